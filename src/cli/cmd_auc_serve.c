/*
 * simfleet auc serve: the AuC's authenticated HTTPS JSON API (issue 6,
 * docs/auc.md "auc serve").
 *
 *   TLS            TLS 1.2 or newer (OpenSSL through libevent's
 *                  bufferevent_openssl, https_server.c shared with `smdp
 *                  serve`), one certificate chain + key
 *   Authentication RFC 6750 bearer tokens ("Authorization: Bearer TOKEN")
 *   Vectors        TS 33.102 §6.3.2, Annex C through sf_auc_vectors()
 *   Resync         TS 33.102 §6.3.5 through sf_auc_resync()
 *
 * Design: one thread, one libevent loop, and that loop is the AuC's only
 * writer (the sf_auc handle is not thread-safe).  POST /v1/vectors does not
 * touch the database in its HTTP callback: the parsed request is queued and
 * a "flush" event is activated at the LOWEST priority.  libevent runs a lower
 * priority only when no higher-priority callback is active, so the flush runs
 * after every HTTP callback of the current loop iteration and drains the
 * whole queue into ONE sf_auc_vectors() call: one transaction, one fsync
 * (group commit).  While that fsync blocks the loop, new requests queue in the
 * kernel and form the next batch, so batches grow with load and a lone
 * request waits for nothing but its own fsync.  Resync, suspend/resume and
 * import are their own transactions, run directly in their callbacks.
 *
 * Ownership: each queued vectors request is a struct pending that owns its
 * output vectors; it is wiped and freed when answered, or when its
 * connection closes first.  The runtime configuration (struct config) is
 * parsed once at start.  The master key is wiped as soon as the database is
 * open; tokens are kept only as SHA-256 digests and compared in constant
 * time.  Nothing secret is ever logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "auc_cli.h"
#include "auc_gsup.h"
#include "rng_pool.h"
#include "cli.h"
#include "https_server.h"
#include "simfleet/auc.h"
#include "simfleet/err.h"
#include "simfleet/kdf.h"
#include "simfleet/saip.h"
#include "simfleet/sha256.h"
#include "simfleet/tre.h"
#include "simfleet/util.h"

int sf__cmd_auc_serve(int argc, char **argv);

#define BODY_MAX (1024u * 1024)     /* largest request body: 1 MiB (413 beyond) */
#define HEADERS_MAX (16u * 1024)    /* largest header block */
#define TOKENS_MAX 256              /* tokens in the tokens file */
#define TOKEN_LEN_MAX 512           /* octets of one token */
#define BATCH_MAX 1024              /* requests in one sf_auc_vectors call */
#define QUEUE_MAX (16u * BATCH_MAX) /* queued vectors requests (500 beyond) */
#define CONN_TIMEOUT_S 30

/* Runtime configuration, parsed once from the command line. */
struct config {
	const char *db, *master_key, *listen, *cert, *key, *tokens;
	const char *gsup; /* --gsup HOST:PORT (auc_gsup.c), or NULL */
	char host[64];
	uint16_t port;
};

/* One queued POST /v1/vectors: everything it owns hangs off it. */
struct pending {
	struct pending *next;
	struct evhttp_request *req; /* NULL once its connection went away */
	struct evhttp_connection *evcon;
	struct sf_auc_req q;
	char imsi[SF_AUC_IMSI_MAX + 1];
	char snn[SF_SNN_MAX_LEN + 1];
	struct sf_auc_vec out[SF_AUC_MAX_VECTORS];
};

struct server {
	struct event_base *base;
	struct sf__https h; /* evhttp, TLS, the listening socket (https_server.c) */
	struct sf_auc *auc;
	struct event *flush_ev, *sigterm_ev, *sigint_ev;
	struct pending *head, **tail;
	size_t queued;
	uint8_t (*tokens)[32]; /* SHA-256 of each accepted token */
	size_t ntokens;
	int stopping;
	struct auc_gsup *gsup; /* the GSUP front-end, or NULL */
};

/* ---- responses ---- */

static void send_json(struct evhttp_request *req, int code, json_t *j)
{
	sf__https_send_json(req, code, j);
}

static void send_err(struct evhttp_request *req, int code, const char *error, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void send_err(struct evhttp_request *req, int code, const char *error, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	json_t *j = json_object();
	json_object_set_new(j, "error", json_string(error));
	json_object_set_new(j, "detail", json_string(detail));
	if (code == 401)
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
		                  "Bearer realm=\"simfleet-auc\"");
	send_json(req, code, j);
}

/* Maps a library failure to a status and an error word. */
static void send_lib_err(struct server *s, struct evhttp_request *req, int rc, const char *what,
                         const char *imsi)
{
	switch (rc) {
	case SF_EAUC_UNKNOWN:
		send_err(req, 404, "unknown_subscriber", "%s: no subscriber with IMSI %s", what,
		         imsi);
		return;
	case SF_EAUC_SUSPENDED:
		send_err(req, 409, "suspended", "%s: subscriber %s is suspended (resume it first)",
		         what, imsi);
		return;
	case SF_EAKA_MACS:
		send_err(req, 400, "auts_invalid",
		         "%s: %s (wrong RAND, or AUTS from another card); SEQ_HE unchanged", what,
		         sf_strerror(rc));
		return;
	case SF_EAKA_SQN:
		send_err(req, 409, "sqn_exhausted", "%s: %s", what, sf_strerror(rc));
		return;
	case SF_ERANGE:
	case SF_EINVAL:
		send_err(req, 400, "bad_request", "%s: %s", what, sf_strerror(rc));
		return;
	default:
		/* sf_auc_last_error holds no secret (auc.h). */
		fprintf(stderr, "auc serve: %s: %s (%s) %s\n", what, sf_strerror(rc),
		        sf_err_name(rc), sf_auc_last_error(s->auc));
		send_err(req, 500, "internal", "%s: %s (%s)", what, sf_strerror(rc),
		         sf_err_name(rc));
		return;
	}
}

/* ---- request helpers ---- */

/* Parses the body as JSON; NULL after answering 400/413. */
static json_t *body_json(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	if (len > BODY_MAX) {
		send_err(req, 413, "too_large", "request body over %u octets", BODY_MAX);
		return NULL;
	}
	unsigned char *p = evbuffer_pullup(in, -1);
	json_error_t e;
	json_t *j = json_loadb((const char *)(p ? p : (unsigned char *)""), len,
	                       JSON_REJECT_DUPLICATES, &e);
	if (p)
		sf_wipe(p, len); /* an import carries K and OPc */
	if (!j)
		send_err(req, 400, "bad_json", "body is not valid JSON: %s (line %d, column %d)",
		         e.text, e.line, e.column);
	return j;
}

static int imsi_ok(const char *imsi)
{
	size_t n = imsi ? strlen(imsi) : 0;
	return n >= 6 && n <= SF_AUC_IMSI_MAX && strspn(imsi, "0123456789") == n;
}

/* "Authorization: Bearer TOKEN" with one of the tokens (digests compared in
 * constant time, https_server.c). */
static int authorized(const struct server *s, struct evhttp_request *req)
{
	return sf__https_bearer(req, (const uint8_t(*)[32])s->tokens, s->ntokens, TOKEN_LEN_MAX) >= 0;
}

/* ---- POST /v1/subscribers ---- */

/* Fills one subscriber from a JSON object (the keys `auc import` takes); on
 * error names the field in *col and returns a message. */
/* POST /v1/subscribers with Content-Type text/csv: the `auc import` CSV. */
static int csv_body(struct evhttp_request *req, struct sf_auc_sub **subs, size_t *n)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	char err[512] = "";
	if (len > BODY_MAX) {
		send_err(req, 413, "too_large", "request body over %u octets", BODY_MAX);
		return -1;
	}
	char *buf = malloc(len + 1);
	if (!buf) {
		send_err(req, 500, "internal", "out of memory");
		return -1;
	}
	evbuffer_copyout(in, buf, len);
	buf[len] = '\0';
	int rc = memchr(buf, '\0', len) ? -2 : sf__auc_csv_subs(buf, subs, n, err, sizeof(err));
	sf_wipe(buf, len + 1); /* K and OPc */
	free(buf);
	unsigned char *p = evbuffer_pullup(in, -1);
	if (p)
		sf_wipe(p, len);
	if (rc) {
		send_err(req, 400, "invalid_subscriber", "%s",
		         rc == -2 ? "the CSV contains a NUL octet; nothing was imported" : err);
		return -1;
	}
	return 0;
}

static void h_import(struct server *s, struct evhttp_request *req)
{
	const char *ct =
	    evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	json_t *root = NULL, *arr = NULL;
	struct sf_auc_sub *subs = NULL;
	size_t n = 0;
	if (ct && strncmp(ct, "text/csv", 8) == 0) {
		if (csv_body(req, &subs, &n))
			return;
		goto import;
	}
	root = body_json(req);
	arr = root;
	if (!root)
		return;
	if (json_is_object(root))
		arr = json_object_get(root, "subscribers");
	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		send_err(req, 400, "bad_request",
		         "expected a non-empty array of subscriber objects; nothing was imported");
		goto out;
	}
	n = json_array_size(arr);
	subs = calloc(n, sizeof(*subs));
	if (!subs) {
		send_err(req, 500, "internal", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *col, *msg = sf__auc_json_sub(&subs[i], json_array_get(arr, i), &col);
		if (msg) {
			send_err(req, 400, "invalid_subscriber",
			         "subscriber %zu, field %s: %s; nothing was imported", i + 1, col,
			         msg);
			goto out;
		}
	}
import:;
	size_t bad = 0;
	int rc = sf_auc_import(s->auc, subs, n, &bad);
	if (rc == SF_EAUC_INVALID || rc == SF_EAUC_DUPLICATE) {
		int dup = rc == SF_EAUC_DUPLICATE;
		send_err(req, dup ? 409 : 400, dup ? "duplicate" : "invalid_subscriber",
		         "subscriber %zu (IMSI %s): %s; nothing was imported", bad + 1,
		         subs[bad].imsi,
		         dup ? "IMSI already provisioned or repeated in the request"
		             : "algorithm lengths, ind_bits or seq_he not valid");
	} else if (rc) {
		send_lib_err(s, req, rc, "import (nothing was imported)", "");
	} else {
		json_t *j = json_object();
		json_object_set_new(j, "imported", json_integer((json_int_t)n));
		send_json(req, 200, j);
	}
out:
	if (subs) {
		sf_wipe(subs, n * sizeof(*subs));
		free(subs);
	}
	json_decref(
	    root); /* jansson does not wipe its strings: K/OPc hex may linger in freed heap */
}

/* ---- POST /v1/vectors (queued, group commit) ---- */

static void pending_free(struct pending *p)
{
	if (!p)
		return;
	sf_wipe(p, sizeof(*p));
	free(p);
}

/* The connection of a queued request closed before its answer: forget the
 * request (libevent frees it), keep the queue entry so its SQNs, if already
 * being issued, are simply never delivered. */
static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct server *s = arg;
	for (struct pending *p = s->head; p; p = p->next)
		if (p->evcon == evcon)
			p->req = NULL;
}

/* Drains the queue into one sf_auc_vectors() call per BATCH_MAX requests. */
static void flush(struct server *s)
{
	while (s->head || sf__auc_gsup_queued(s->gsup)) {
		struct sf_auc_req *reqs = calloc(BATCH_MAX, sizeof(*reqs));
		struct pending *batch[BATCH_MAX];
		size_t n = 0;
		if (!reqs) {
			/* Answer the whole queue with 500 rather than leave it hanging. */
			while (s->head) {
				struct pending *p = s->head;
				s->head = p->next;
				if (p->req)
					send_err(p->req, 500, "internal", "out of memory");
				pending_free(p);
			}
			struct sf_auc_req one;
			while (sf__auc_gsup_take(s->gsup, &one, 1))
				sf__auc_gsup_answer(s->gsup, &one, 1, SF_ENOMEM);
			break;
		}
		while (s->head && n < BATCH_MAX) {
			struct pending *p = s->head;
			s->head = p->next;
			batch[n] = p;
			reqs[n++] = p->q;
		}
		/* GSUP SendAuthInfo requests fill the rest of the same batch. */
		size_t nh = n;
		n += sf__auc_gsup_take(s->gsup, reqs + n, BATCH_MAX - n);
		int rc = sf_auc_vectors(s->auc, reqs, n);
		for (size_t i = 0; i < nh; i++) {
			struct pending *p = batch[i];
			int r = rc ? rc : reqs[i].result;
			if (p->req) {
				if (r) {
					send_lib_err(s, p->req, r, "vectors", p->imsi);
				} else {
					json_t *arr = json_array();
					for (size_t k = 0; k < p->q.n; k++)
						sf__auc_vec_json(arr, &p->q, &p->out[k]);
					send_json(p->req, 200, arr);
				}
			}
			pending_free(p);
		}
		sf__auc_gsup_answer(s->gsup, reqs + nh, n - nh, rc);
		sf_wipe(reqs, BATCH_MAX * sizeof(*reqs));
		free(reqs);
	}
	s->tail = &s->head;
	s->queued = 0;
}

static void flush_hook(void *arg)
{
	flush(arg);
}

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush(arg);
}

static void h_vectors(struct server *s, struct evhttp_request *req)
{
	json_t *j = body_json(req);
	struct pending *p = NULL;
	if (!j)
		return;
	if (!json_is_object(j)) {
		send_err(req, 400, "bad_request", "expected an object {\"imsi\",\"n\",\"type\"}");
		goto out;
	}
	const char *imsi = sf__auc_jstr(j, "imsi"), *type = sf__auc_jstr(j, "type"), *plmn = sf__auc_jstr(j, "plmn"),
	           *snn = sf__auc_jstr(j, "snn");
	json_t *jn = json_object_get(j, "n"), *jind = json_object_get(j, "ind");
	json_int_t n = jn ? (json_is_integer(jn) ? json_integer_value(jn) : -1) : 1;
	json_int_t ind = jind ? (json_is_integer(jind) ? json_integer_value(jind) : -1) : 0;
	enum sf_auc_vtype vt = SF_AUC_V3G;
	char mcc[4] = "", mnc[4] = "";
	if (!imsi_ok(imsi)) {
		send_err(req, 400, "bad_request", "imsi: expected 6 to 15 digits");
		goto out;
	}
	if (n < 1 || n > SF_AUC_MAX_VECTORS) {
		send_err(req, 400, "bad_request", "n: expected an integer 1..%d",
		         SF_AUC_MAX_VECTORS);
		goto out;
	}
	if (ind < 0 || ind > 255) {
		send_err(req, 400, "bad_request", "ind: expected an integer 0..255");
		goto out;
	}
	if ((json_object_get(j, "type") && !type) || (type && sf_auc_vtype_parse(type, &vt))) {
		send_err(req, 400, "bad_request", "type: expected 3g, gsm, eps or 5g");
		goto out;
	}
	if ((json_object_get(j, "plmn") && !plmn) || (plmn && sf__auc_split_plmn(plmn, mcc, mnc))) {
		send_err(req, 400, "bad_request", "plmn: expected \"MCC-MNC\", e.g. \"001-01\"");
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		send_err(req, 500, "internal", "out of memory");
		goto out;
	}
	if (vt == SF_AUC_VEPS) {
		if (!plmn || sf_kdf_plmn_id(mcc, mnc, p->q.plmn)) {
			send_err(req, 400, "bad_request",
			         "plmn: eps needs the serving PLMN, e.g. \"001-01\"");
			goto out;
		}
	}
	if (vt == SF_AUC_V5G) {
		size_t sl = 0;
		if (snn) {
			if (!snn[0] || strlen(snn) > SF_SNN_MAX_LEN) {
				send_err(req, 400, "bad_request", "snn: 1 to %d characters",
				         SF_SNN_MAX_LEN);
				goto out;
			}
			snprintf(p->snn, sizeof(p->snn), "%s", snn);
		} else if (!plmn || sf_kdf_snn(p->snn, sizeof(p->snn), &sl, mcc, mnc)) {
			send_err(req, 400, "bad_request", "5g needs snn or plmn (MCC-MNC digits)");
			goto out;
		}
		p->q.snn = p->snn;
	}
	if (s->queued >= QUEUE_MAX) {
		send_err(req, 500, "overloaded", "%zu requests queued: retry later", s->queued);
		goto out;
	}
	snprintf(p->imsi, sizeof(p->imsi), "%s", imsi);
	p->q.imsi = p->imsi;
	p->q.n = (size_t)n;
	p->q.type = vt;
	p->q.ind = (unsigned)ind;
	p->q.out = p->out;
	p->req = req;
	p->evcon = evhttp_request_get_connection(req);
	if (p->evcon)
		evhttp_connection_set_closecb(p->evcon, conn_closed, s);
	*s->tail = p;
	s->tail = &p->next;
	s->queued++;
	p = NULL;
	/* Runs after every higher-priority callback of this loop iteration. */
	event_active(s->flush_ev, EV_TIMEOUT, 0);
out:
	pending_free(p);
	json_decref(j);
}

/* ---- POST /v1/resync ---- */

static void h_resync(struct server *s, struct evhttp_request *req)
{
	json_t *j = body_json(req);
	uint8_t rand[16], auts[14];
	size_t l1 = 0, l2 = 0;
	if (!j)
		return;
	const char *imsi = sf__auc_jstr(j, "imsi"), *r = sf__auc_jstr(j, "rand"), *a = sf__auc_jstr(j, "auts");
	if (!imsi_ok(imsi)) {
		send_err(req, 400, "bad_request", "imsi: expected 6 to 15 digits");
	} else if (!r || sf_hex_decode(rand, sizeof(rand), &l1, r, strlen(r)) || l1 != 16) {
		send_err(req, 400, "bad_request", "rand: expected 32 hex digits");
	} else if (!a || sf_hex_decode(auts, sizeof(auts), &l2, a, strlen(a)) || l2 != 14) {
		send_err(req, 400, "bad_request", "auts: expected 28 hex digits");
	} else {
		/* Vectors already queued go first, so the resync sees their SEQ_HE. */
		flush(s);
		uint64_t ms = 0;
		struct sf_auc_sub sub;
		memset(&sub, 0, sizeof(sub));
		int rc = sf_auc_resync(s->auc, imsi, rand, auts, &ms);
		if (!rc)
			rc = sf_auc_get(s->auc, imsi, &sub);
		sf_aka_params_wipe(&sub.params);
		if (rc) {
			send_lib_err(s, req, rc, "resync", imsi);
		} else {
			json_t *o = json_object();
			json_object_set_new(o, "imsi", json_string(imsi));
			json_object_set_new(o, "sqn_ms", json_integer((json_int_t)ms));
			json_object_set_new(o, "seq_he", json_integer((json_int_t)sub.seq_he));
			send_json(req, 200, o);
		}
	}
	json_decref(j);
}

/* ---- POST /v1/subscribers/IMSI/suspend|resume ---- */

static void h_status(struct server *s, struct evhttp_request *req, const char *imsi,
                     enum sf_auc_status st)
{
	if (!imsi_ok(imsi)) {
		send_err(req, 400, "bad_request", "IMSI in the path: expected 6 to 15 digits");
		return;
	}
	int rc = sf_auc_set_status(s->auc, imsi, st);
	if (rc) {
		send_lib_err(s, req, rc, st == SF_AUC_SUSPENDED ? "suspend" : "resume", imsi);
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "imsi", json_string(imsi));
	json_object_set_new(o, "status",
	                    json_string(st == SF_AUC_SUSPENDED ? "suspended" : "active"));
	send_json(req, 200, o);
}

/* ---- POST /gsma/rsp2/es2plus/handleDownloadProgressInfo ----
 *
 * The operator's AuC as the endpoint of the SM-DP+'s ES2+ notifications
 * (SGP.22 §5.3.5; configure the operator's notification_url and
 * notification_token in the SM-DP+ to point here with a token of
 * --tokens).  A subscription whose profile the SM-DP+ reports installed
 * (notificationPointId 4, Executed-Success) becomes active: its
 * credentials were loaded suspended when its profile was made (TR 33.812's
 * credential issuing), so it authenticates only once the profile is on a
 * device.  Other notification points are acknowledged and change nothing. */
static void es2_answer(struct evhttp_request *req, int code, const char *status, const char *msg)
{
	json_t *o = json_object(), *h = json_object(), *st = json_object();
	json_object_set_new(st, "status", json_string(status));
	if (msg) {
		json_t *cd = json_object();
		json_object_set_new(cd, "subjectCode", json_string("8.2.1"));
		json_object_set_new(cd, "reasonCode", json_string("3.9"));
		json_object_set_new(cd, "message", json_string(msg));
		json_object_set_new(st, "statusCodeData", cd);
	}
	json_object_set_new(h, "functionExecutionStatus", st);
	json_object_set_new(o, "header", h);
	send_json(req, code, o);
}

static void h_progress(struct server *s, struct evhttp_request *req)
{
	json_t *j = body_json(req);
	if (!j)
		return;
	const char *iccid = sf__auc_jstr(j, "iccid");
	json_t *pt = json_object_get(j, "notificationPointId"),
	       *ps = json_object_get(j, "notificationPointStatus");
	const char *status = json_is_object(ps) ? sf__auc_jstr(ps, "status") : NULL;
	if (!iccid || !json_is_integer(pt) || !status) {
		es2_answer(req, 400, "Failed",
		           "expected {iccid, notificationPointId, notificationPointStatus {status}}");
	} else if (json_integer_value(pt) != 4 || strcmp(status, "Executed-Success") != 0) {
		es2_answer(req, 200, "Executed-Success", NULL); /* noted, nothing to do */
	} else {
		char imsi[SF_AUC_IMSI_MAX + 1];
		int rc = sf_auc_imsi_by_iccid(s->auc, iccid, imsi);
		if (rc == 0)
			rc = sf_auc_set_status(s->auc, imsi, SF_AUC_ACTIVE);
		/* ES2+ (SGP.22 §6.5): a function error is HTTP 200 with status Failed. */
		if (rc == SF_EAUC_UNKNOWN) {
			es2_answer(req, 200, "Failed", "no subscriber with this ICCID in this AuC");
		} else if (rc == SF_EAUC_DUPLICATE) {
			es2_answer(req, 200, "Failed", "two subscribers share this ICCID: none activated");
		} else if (rc) {
			send_lib_err(s, req, rc, "activate", iccid);
		} else {
			fprintf(stderr, "auc serve: profile %s installed: subscriber %s active\n", iccid,
			        imsi);
			es2_answer(req, 200, "Executed-Success", NULL);
		}
	}
	json_decref(j);
}

/* ---- routing ---- */

static void route(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	const char *path = sf__https_path(req);
	if (s->stopping) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
		send_err(req, 500, "stopping", "the server is shutting down");
		return;
	}
	if (strcmp(path, "/health") == 0 && m == EVHTTP_REQ_GET) {
		json_t *o = json_object();
		json_object_set_new(o, "status", json_string("ok"));
		json_object_set_new(o, "schema_version",
		                    json_integer(sf_auc_schema_version(s->auc)));
		send_json(req, 200, o);
		return;
	}
	int es2 = strcmp(path, "/gsma/rsp2/es2plus/handleDownloadProgressInfo") == 0;
	if (strncmp(path, "/v1/", 4) != 0 && !es2) {
		send_err(req, 404, "not_found", "no such route: %s", path);
		return;
	}
	if (!authorized(s, req)) {
		send_err(req, 401, "unauthorized",
		         "send \"Authorization: Bearer TOKEN\" with a token of the --tokens file");
		return;
	}
	if (m == EVHTTP_REQ_POST && es2) {
		h_progress(s, req);
	} else if (m == EVHTTP_REQ_POST && strcmp(path, "/v1/vectors") == 0) {
		h_vectors(s, req);
	} else if (m == EVHTTP_REQ_POST && strcmp(path, "/v1/resync") == 0) {
		h_resync(s, req);
	} else if (m == EVHTTP_REQ_POST && strcmp(path, "/v1/subscribers") == 0) {
		h_import(s, req);
	} else if (m == EVHTTP_REQ_POST && strncmp(path, "/v1/subscribers/", 16) == 0) {
		char imsi[SF_AUC_IMSI_MAX + 2];
		const char *rest = path + 16, *slash = strchr(rest, '/');
		size_t il = slash ? (size_t)(slash - rest) : 0;
		if (!slash || il >= sizeof(imsi) ||
		    (strcmp(slash, "/suspend") != 0 && strcmp(slash, "/resume") != 0)) {
			send_err(req, 404, "not_found", "no such route: POST %s", path);
			return;
		}
		memcpy(imsi, rest, il);
		imsi[il] = '\0';
		h_status(s, req, imsi,
		         strcmp(slash, "/suspend") == 0 ? SF_AUC_SUSPENDED : SF_AUC_ACTIVE);
	} else {
		send_err(req, 404, "not_found", "no such route: %s %s",
		         m == EVHTTP_REQ_GET    ? "GET"
		         : m == EVHTTP_REQ_POST ? "POST"
		                                : "(method)",
		         path);
	}
}

/* ---- tokens file ---- */

static int load_tokens(struct server *s, const char *path)
{
	int rc = SF_ENET_TOKENS;
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		sf_cli_err("--tokens %s: %s", path, strerror(errno));
		goto out;
	}
	if (!sf_file_is_private(fd)) {
		sf_cli_err("--tokens %s: must be a regular file of mode 0600 owned by you "
		           "(chmod 600 %s)",
		           path, path);
		goto out;
	}
	if (st.st_size > (off_t)(TOKENS_MAX * (TOKEN_LEN_MAX + 2))) {
		sf_cli_err("--tokens %s: too large (at most %d tokens)", path, TOKENS_MAX);
		goto out;
	}
	buf = calloc(1, (size_t)st.st_size + 1);
	s->tokens = calloc(TOKENS_MAX, sizeof(*s->tokens));
	if (!buf || !s->tokens) {
		sf_cli_err("out of memory");
		goto out;
	}
	for (ssize_t r; len < (size_t)st.st_size; len += (size_t)r) {
		r = read(fd, buf + len, (size_t)st.st_size - len);
		if (r <= 0)
			break;
	}
	buf[len] = '\0';
	unsigned line = 0;
	for (char *ln = buf, *next; ln; ln = next) {
		next = strchr(ln, '\n');
		if (next)
			*next++ = '\0';
		line++;
		char *t = sf_cli_trim(ln);
		if (!*t || *t == '#')
			continue;
		size_t tl = strlen(t);
		int printable = 1;
		for (size_t i = 0; i < tl; i++)
			if (t[i] <= ' ' || t[i] > '~')
				printable = 0;
		if (tl < 16 || tl > TOKEN_LEN_MAX || !printable) {
			sf_cli_err("--tokens %s: line %u: a token is 16..%d printable characters "
			           "without spaces",
			           path, line, TOKEN_LEN_MAX);
			goto out;
		}
		if (s->ntokens == TOKENS_MAX) {
			sf_cli_err("--tokens %s: more than %d tokens", path, TOKENS_MAX);
			goto out;
		}
		sf_sha256(t, tl, s->tokens[s->ntokens++]);
	}
	if (s->ntokens == 0) {
		sf_cli_err("--tokens %s: no token (one per line; # starts a comment)", path);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (buf) {
		sf_wipe(buf, len);
		free(buf);
	}
	return rc;
}

/* ---- signals ---- */

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;
	(void)what;
	if (s->stopping)
		return;
	s->stopping = 1;
	fprintf(stderr, "auc serve: %s: stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sf__https_stop_accepting(&s->h);
	sf__auc_gsup_stop(s->gsup);
	flush(s); /* answer what is queued; its SQNs are already committed */
	/* Leave a moment for the answers to leave the socket buffers. */
	struct timeval tv = {0, 200000};
	event_base_loopexit(s->base, &tv);
}

/* ---- command ---- */

static const char serve_usage[] =
    "Usage: simfleet auc serve --db FILE --master-key FILE --listen HOST:PORT\n"
    "                          --cert PEM --key PEM --tokens FILE [--gsup HOST:PORT]\n\n"
    "Serves the AuC as an HTTPS (TLS 1.2+) JSON API (docs/auc.md, \"auc serve\"):\n"
    "  GET  /health                          liveness (no token needed)\n"
    "  POST /v1/subscribers                  bulk import, all or nothing (JSON array,\n"
    "                                        or the CSV of `auc import` as text/csv)\n"
    "  POST /v1/vectors                      "
    "{\"imsi\",\"n\",\"type\",\"plmn\"?,\"snn\"?,\"ind\"?}\n"
    "  POST /v1/resync                       {\"imsi\",\"rand\",\"auts\"}\n"
    "  POST /v1/subscribers/IMSI/suspend     (and /resume)\n"
    "  POST /gsma/rsp2/es2plus/handleDownloadProgressInfo   the SM-DP+'s ES2+\n"
    "                                        notification: installed -> active\n"
    "/v1 requests need \"Authorization: Bearer TOKEN\" with a token of --tokens (a 0600\n"
    "file, one token of 16..512 printable characters per line, # comments).  --listen\n"
    "takes a numeric address; port 0 picks a free port.  --master-key - reads the key\n"
    "from stdin.  Prints \"auc serve: listening on https://HOST:PORT\" to stderr when\n"
    "ready; SIGTERM or SIGINT stops it after answering queued requests.\n"
    "--gsup also serves GSUP SendAuthInfo over IPA/TCP, as osmo-hlr does (docs/auc.md,\n"
    "\"GSUP front-end\"): UNAUTHENTICATED, bind it to loopback or a trusted network\n"
    "only; port 0 picks a free port, printed as \"auc serve: GSUP listening on\n"
    "HOST:PORT\".  The HTTPS API stays required (import, suspend, resume).\n";

static int parse_listen(struct config *c)
{
	return sf__https_parse_listen(c->listen, c->host, &c->port);
}

int sf__cmd_auc_serve(int argc, char **argv)
{
	enum { O_DB = 1000, O_KEY, O_LISTEN, O_CERT, O_TLSKEY, O_TOKENS, O_GSUP, O_HELP };
	static const struct option lo[] = {
	    {"db", required_argument, 0, O_DB},         {"master-key", required_argument, 0, O_KEY},
	    {"listen", required_argument, 0, O_LISTEN}, {"cert", required_argument, 0, O_CERT},
	    {"key", required_argument, 0, O_TLSKEY},    {"tokens", required_argument, 0, O_TOKENS},
	    {"gsup", required_argument, 0, O_GSUP},     {"help", no_argument, 0, O_HELP},
	    {0, 0, 0, 0}};
	struct config c;
	struct server s;
	uint8_t mk[SF_AUC_MASTER_KEY_LEN];
	int rc = SF_EXIT_USAGE, ch;
	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	s.tail = &s.head;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (ch) {
		case O_DB:
			c.db = optarg;
			break;
		case O_KEY:
			c.master_key = optarg;
			break;
		case O_LISTEN:
			c.listen = optarg;
			break;
		case O_CERT:
			c.cert = optarg;
			break;
		case O_TLSKEY:
			c.key = optarg;
			break;
		case O_TOKENS:
			c.tokens = optarg;
			break;
		case O_GSUP:
			c.gsup = optarg;
			break;
		case 'h':
		case O_HELP:
			fputs(serve_usage, stdout);
			return SF_EXIT_OK;
		default:
			sf_cli_err("auc serve: unknown or incomplete option %s (see --help)",
			           argv[optind - 1]);
			return SF_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		sf_cli_err("auc serve: unexpected argument %s (see --help)", argv[optind]);
		return SF_EXIT_USAGE;
	}
	static const char *const names[] = {"--db",   "--master-key", "--listen",
	                                    "--cert", "--key",        "--tokens"};
	const char *vals[] = {c.db, c.master_key, c.listen, c.cert, c.key, c.tokens};
	for (size_t i = 0; i < 6; i++)
		if (!vals[i]) {
			sf_cli_err("auc serve: %s is required (see --help)", names[i]);
			return SF_EXIT_USAGE;
		}
	if (parse_listen(&c)) {
		sf_cli_err("--listen %s: expected a numeric ADDRESS:PORT (e.g. 127.0.0.1:8443, "
		           "[::1]:8443; port 0 = any free port)",
		           c.listen);
		return SF_EXIT_USAGE;
	}
	if (c.gsup && !sf__auc_gsup_available()) {
		sf_cli_err("auc serve: --gsup: %s (%s): install libosmocore-dev and rebuild",
		           sf_strerror(SF_EGSUP_SERVER_UNAVAILABLE),
		           sf_err_name(SF_EGSUP_SERVER_UNAVAILABLE));
		return SF_EXIT_USAGE;
	}
	if (load_tokens(&s, c.tokens) || sf__https_tls(&s.h, c.cert, c.key, "--cert", "--key"))
		goto out;

	int lrc;
	if (strcmp(c.master_key, "-") == 0)
		lrc = sf_cli_hex("--master-key", "-", 1, mk, sizeof(mk), sizeof(mk), NULL)
		          ? SF_EINVAL
		          : 0;
	else
		lrc = sf_auc_key_load(c.master_key, mk);
	if (lrc) {
		sf_cli_err(
		    "--master-key %s: it must be a regular file of 64 hex digits, mode 0600, "
		    "owned by you",
		    c.master_key);
		sf_wipe(mk, sizeof(mk));
		goto out;
	}
	/* RAND for every vector comes from a 4 KiB pool of the system CSPRNG
	 * (rng_pool.h): one RAND_bytes per pool, not per request. */
	static struct sf_rng_pool pool;
	sf__rng_pool_init(&pool);
	lrc = sf_auc_open(c.db, mk, &pool.rng, &s.auc);
	sf_wipe(mk, sizeof(mk));
	if (lrc) {
		sf_cli_err("--db %s: %s (%s)%s", c.db, sf_strerror(lrc), sf_err_name(lrc),
		           lrc == SF_ENOENT ? ": create it with `simfleet auc init`" : "");
		rc = lrc == SF_ENOENT ? SF_EXIT_USAGE : SF_EXIT_FAIL;
		goto out;
	}

	rc = SF_EXIT_FAIL;
	signal(SIGPIPE, SIG_IGN);
	struct event_config *ec = event_config_new();
	/* The epoll changelist, as in `smdp serve`: one epoll_ctl per loop
	 * iteration for a connection's net change of interests. */
	if (ec && event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) == 0)
		s.base = event_base_new_with_config(ec);
	if (ec)
		event_config_free(ec);
	/* Three priorities: libevent's own callbacks run at the middle one (the
	 * default), the flush at the lowest, i.e. after all of them. */
	if (!s.base || event_base_priority_init(s.base, 3) != 0) {
		sf_cli_err("auc serve: cannot create the event loop");
		goto out;
	}
	s.flush_ev = event_new(s.base, -1, 0, flush_cb, &s);
	s.sigterm_ev = evsignal_new(s.base, SIGTERM, stop_cb, &s);
	s.sigint_ev = evsignal_new(s.base, SIGINT, stop_cb, &s);
	if (!s.flush_ev || !s.sigterm_ev || !s.sigint_ev ||
	    event_priority_set(s.flush_ev, 2) != 0 || evsignal_add(s.sigterm_ev, NULL) ||
	    evsignal_add(s.sigint_ev, NULL)) {
		sf_cli_err("auc serve: cannot set up the event loop");
		goto out;
	}
	struct sf__https_limits lim = {BODY_MAX, HEADERS_MAX, CONN_TIMEOUT_S};
	if (sf__https_listen(&s.h, s.base, c.host, c.port, &lim, route, &s, "--listen"))
		goto out;
	/* GSUP first: the HTTPS ready line means both are ready. */
	if (c.gsup) {
		const struct auc_gsup_host gh = {.base = s.base, .auc = s.auc, .flush_ev = s.flush_ev,
		                                 .flush = flush_hook, .arg = &s};
		if (sf__auc_gsup_start(&gh, c.gsup, &s.gsup))
			goto out;
	}
	uint16_t port = s.h.port;
	fprintf(stderr, "auc serve: listening on https://%s%s%s:%u\n",
	        strchr(c.host, ':') ? "[" : "", c.host, strchr(c.host, ':') ? "]" : "",
	        (unsigned)port);
	fflush(stderr);
	if (event_base_dispatch(s.base) < 0) {
		sf_cli_err("auc serve: the event loop failed");
		goto out;
	}
	flush(&s);
	fprintf(stderr, "auc serve: stopped\n");
	rc = SF_EXIT_OK;
out:
	/* Nothing is queued here (flush answered or freed everything). */
	sf__auc_gsup_free(s.gsup);
	sf__https_free(&s.h);
	if (s.flush_ev)
		event_free(s.flush_ev);
	if (s.sigterm_ev)
		event_free(s.sigterm_ev);
	if (s.sigint_ev)
		event_free(s.sigint_ev);
	if (s.base)
		event_base_free(s.base);
	sf_auc_close(s.auc);
	sf__rng_pool_wipe(&pool);
	if (s.tokens) {
		sf_wipe(s.tokens, TOKENS_MAX * sizeof(*s.tokens));
		free(s.tokens);
	}
	return rc;
}
