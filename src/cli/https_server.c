/* Shared HTTPS server plumbing (https_server.h): libevent evhttp over
 * bufferevent_openssl, used by `auc serve` and `smdp serve`. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/ssl.h>

#include "cli.h"
#include "https_server.h"
#include "simfleet/err.h"
#include "simfleet/sha256.h"
#include "simfleet/util.h"

int sf__https_parse_listen(const char *l, char host[64], uint16_t *port)
{
	const char *colon = l ? strrchr(l, ':') : NULL;
	const char *h = l, *he = colon;
	if (!colon)
		return -1;
	if (l[0] == '[') {
		h = l + 1;
		if (colon == l || colon[-1] != ']')
			return -1;
		he = colon - 1;
	}
	size_t hl = (size_t)(he - h);
	if (hl == 0 || hl >= 64)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a6) != 1 && inet_pton(AF_INET6, host, &a6) != 1)
		return -1;
	char *end;
	errno = 0;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || p > 65535)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

int sf__https_tls(struct sf__https *h, const char *cert, const char *key, const char *cert_flag,
                  const char *key_flag)
{
	h->ssl = SSL_CTX_new(TLS_server_method());
	if (!h->ssl || !SSL_CTX_set_min_proto_version(h->ssl, TLS1_2_VERSION)) {
		sf_cli_err("TLS: cannot create the server context");
		return SF_ENET_TLS;
	}
	SSL_CTX_set_options(h->ssl, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	                                SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(h->ssl, cert) != 1) {
		sf_cli_err("%s %s: not a PEM certificate (chain) OpenSSL can load", cert_flag,
		           cert);
		return SF_ENET_TLS;
	}
	if (SSL_CTX_use_PrivateKey_file(h->ssl, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(h->ssl) != 1) {
		sf_cli_err("%s %s: not a PEM private key matching %s %s", key_flag, key, cert_flag,
		           cert);
		return SF_ENET_TLS;
	}
	return 0;
}

static struct bufferevent *bev_tls(struct event_base *base, void *arg)
{
	struct sf__https *h = arg;
	SSL *ssl = SSL_new(h->ssl);
	if (!ssl)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	                                      BEV_OPT_CLOSE_ON_FREE);
}

int sf__https_listen(struct sf__https *h, struct event_base *base, const char *host, uint16_t port,
                     const struct sf__https_limits *lim,
                     void (*cb)(struct evhttp_request *, void *), void *arg,
                     const char *listen_flag)
{
	h->base = base;
	h->http = evhttp_new(base);
	if (!h->http)
		return SF_ENOMEM;
	evhttp_set_bevcb(h->http, bev_tls, h);
	evhttp_set_gencb(h->http, cb, arg);
	evhttp_set_max_body_size(h->http, (ev_ssize_t)lim->body_max);
	evhttp_set_max_headers_size(h->http, (ev_ssize_t)lim->headers_max);
	evhttp_set_timeout(h->http, lim->timeout_s);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	h->bound = evhttp_bind_socket_with_handle(h->http, host, port);
	if (!h->bound) {
		sf_cli_err("%s %s:%u: cannot listen there (%s: %s)", listen_flag, host,
		           (unsigned)port, sf_err_name(SF_ENET_LISTEN), strerror(errno));
		return SF_ENET_LISTEN;
	}
	/* Responses are small and written in pieces (TLS records, headers,
	 * body): with Nagle on, each piece after the first waits for the
	 * client's delayed ACK, about 40 ms per request.  Set on the listening
	 * socket, Linux gives the option to every accepted connection: no
	 * system call per request or connection. */
	int one = 1;
	if (setsockopt(evhttp_bound_socket_get_fd(h->bound), IPPROTO_TCP, TCP_NODELAY, &one,
	               sizeof(one)) != 0)
		fprintf(stderr, "%s %s:%u: TCP_NODELAY: %s (answers may be delayed)\n",
		        listen_flag, host, (unsigned)port, strerror(errno));
	snprintf(h->host, sizeof(h->host), "%s", host);
	h->port = port;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(evhttp_bound_socket_get_fd(h->bound), (struct sockaddr *)&ss, &sl) == 0)
		h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
		                                         : ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

void sf__https_stop_accepting(struct sf__https *h)
{
	if (h->bound) {
		evhttp_del_accept_socket(h->http, h->bound);
		h->bound = NULL;
	}
}

void sf__https_free(struct sf__https *h)
{
	if (h->http)
		evhttp_free(h->http);
	h->http = NULL;
	SSL_CTX_free(h->ssl);
	h->ssl = NULL;
}

const char *sf__https_path(struct evhttp_request *req)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	return path ? path : "";
}

const char *sf__https_peer(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	char *addr = NULL;
	ev_uint16_t port = 0;
	if (!c)
		return "?";
	evhttp_connection_get_peer(c, &addr, &port);
	return addr ? addr : "?";
}

struct evbuffer *sf__https_json_body(struct evhttp_request *req, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	struct evbuffer *b = evbuffer_new();
	if (!s || !b) {
		free(s);
		if (b)
			evbuffer_free(b);
		return NULL;
	}
	size_t len = strlen(s);
	evbuffer_add(b, s, len);
	evbuffer_add(b, "\n", 1);
	/* Bodies may hold vectors or keys: wipe our copy. */
	sf_wipe(s, len);
	free(s);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Cache-Control", "no-store");
	return b;
}

void sf__https_send(struct evhttp_request *req, int code, const char *reason,
                    struct evbuffer *body)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
	evhttp_send_reply(req, code, reason, body);
	if (body)
		evbuffer_free(body);
	/* evhttp queues the header and the body as two pieces, and the TLS
	 * bufferevent makes one record and one write(2) of each (on loopback the
	 * sender also pays the receiver's TCP processing).  Made contiguous
	 * here, before the socket is writable, the answer leaves as one record,
	 * one write. */
	if (bev)
		evbuffer_pullup(bufferevent_get_output(bev), -1);
}

void sf__https_send_json(struct evhttp_request *req, int code, json_t *j)
{
	struct evbuffer *b = sf__https_json_body(req, j);
	if (!b) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	sf__https_send(req, code, NULL, b);
}

const unsigned char *sf__https_body(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	*len = evbuffer_get_length(in);
	return *len ? evbuffer_pullup(in, -1) : NULL;
}

/* Checks "Authorization: Bearer TOKEN" against every digest, in time that
 * depends only on the number of digests: the presented token is hashed and
 * the digests compared with sf_ct_eq, all of them, without an early exit. */
int sf__https_bearer(struct evhttp_request *req, const uint8_t (*digests)[32], size_t n,
                     size_t max_len)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return -1;
	const char *t = h + 7;
	while (*t == ' ')
		t++;
	size_t len = strlen(t);
	while (len && (t[len - 1] == ' ' || t[len - 1] == '\t'))
		len--;
	if (len == 0 || len > max_len)
		return -1;
	uint8_t d[32];
	sf_sha256(t, len, d);
	int which = -1;
	for (size_t i = 0; i < n; i++) {
		int m = sf_ct_eq(d, digests[i], sizeof(d));
		/* Branch-free select keeps the loop's timing independent of i. */
		which = m ? (int)i : which;
	}
	sf_wipe(d, sizeof(d));
	return which;
}
