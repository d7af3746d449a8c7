/* The HTTPS server plumbing that `auc serve` and `smdp serve` share: libevent
 * evhttp over bufferevent_openssl (TLS 1.2+), the listen address, JSON
 * replies, bearer tokens kept as SHA-256 digests and compared in constant
 * time, and TCP_NODELAY.  What each server answers stays in its own file. */
#ifndef SF_CLI_HTTPS_SERVER_H
#define SF_CLI_HTTPS_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <openssl/ssl.h>

struct sf__https {
	struct event_base *base; /* not owned */
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	SSL_CTX *ssl;
	char host[64]; /* numeric address */
	uint16_t port; /* the port bound (the real one when 0 was asked) */
};

/* Limits of an evhttp instance. */
struct sf__https_limits {
	size_t body_max, headers_max;
	int timeout_s;
};

/* "ADDR:PORT" or "[V6]:PORT" with a numeric address; 0 or -1. */
int sf__https_parse_listen(const char *listen, char host[64], uint16_t *port);

/* TLS context (TLS 1.2+, no compression, no renegotiation) with a PEM chain
 * and key.  Names cert_flag / key_flag in the error it prints.  Returns 0 or
 * SF_ENET_TLS. */
int sf__https_tls(struct sf__https *h, const char *cert, const char *key, const char *cert_flag,
                  const char *key_flag);

/* Creates the evhttp on base over h->ssl, routes every request to cb, binds
 * host:port and records the real port.  GET and POST only.  Prints the
 * error naming listen_flag.  Returns 0, SF_ENET_LISTEN or SF_ENOMEM. */
int sf__https_listen(struct sf__https *h, struct event_base *base, const char *host, uint16_t port,
                     const struct sf__https_limits *lim,
                     void (*cb)(struct evhttp_request *, void *), void *arg,
                     const char *listen_flag);

/* Stops accepting (graceful shutdown: requests in flight still finish). */
void sf__https_stop_accepting(struct sf__https *h);
/* Frees the evhttp and the TLS context; the base is the caller's. */
void sf__https_free(struct sf__https *h);

/* The request path ("" when none). */
const char *sf__https_path(struct evhttp_request *req);
/* The peer address as text ("?" when unknown). */
const char *sf__https_peer(struct evhttp_request *req);

/* Sends j (released) as the JSON body with code; the serialised copy is
 * wiped.  Cache-Control: no-store. */
void sf__https_send_json(struct evhttp_request *req, int code, json_t *j);
/* The two halves of sf__https_send_json, for a server that answers later:
 * the body of j (released) with the JSON headers set on req, NULL when out
 * of memory; and the sending of code, reason (NULL: the standard phrase)
 * and body (may be NULL; freed). */
struct evbuffer *sf__https_json_body(struct evhttp_request *req, json_t *j);
void sf__https_send(struct evhttp_request *req, int code, const char *reason,
                    struct evbuffer *body);

/* The request body (pulled up, NUL not added); *len its length.  NULL for an
 * empty body. */
const unsigned char *sf__https_body(struct evhttp_request *req, size_t *len);

/* SHA-256 of the bearer token of "Authorization: Bearer TOKEN" (1..max_len
 * octets) compared with every digest in constant time; returns the index
 * matched, or -1. */
int sf__https_bearer(struct evhttp_request *req, const uint8_t (*digests)[32], size_t n,
                     size_t max_len);

#endif
