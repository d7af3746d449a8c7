/*
 * simfleet smdp serve: the SM-DP+ over HTTPS (GSMA SGP.22 v2.5).
 *
 *   ES9+ (§5.6, JSON binding §6.5)  /gsma/rsp2/es9plus/initiateAuthentication,
 *        authenticateClient, getBoundProfilePackage, handleNotification,
 *        cancelSession: devices (LPA / IPA), no client authentication (the
 *        eUICC authenticates inside the protocol).
 *   ES2+ (§5.3)  /gsma/rsp2/es2plus/downloadOrder, confirmOrder, cancelOrder,
 *        releaseProfile: operators, each with a bearer token (RFC 6750) of
 *        DATA/operators/NAME.json; an operator sees only its own profiles.
 *        handleDownloadProgressInfo goes back to the operator's
 *        notification_url (config) from a worker thread.
 *   GET /health
 *
 * Design: one thread runs the libevent loop and is the only user of the
 * database handle and the sessions; every store change is one SQLite
 * transaction (src/smdp/store.c).  Download sessions (transactionId ->
 * sf_rsp_smdp_session and the order being served) live in memory and
 * expire (session_ttl): a restart drops them, so a download interrupted by
 * a restart fails at the device's next call (unknown transactionId) while
 * the order stays released and can be retried.  Operator notifications are
 * queued to one worker thread that POSTs them with libcurl (best effort,
 * three tries, logged), so ES9+ never waits for an operator.
 *
 * Per request, everything allocated is freed before the handler returns
 * (decoded fields, the package, the BPP).  Secrets: tokens are kept as
 * SHA-256 digests; the confirmation code is never received on ES9+ (only
 * hashCc) and kept only as SHA-256(CC); packages (K/OPc) are wiped after
 * binding.  Nothing secret is logged or audited.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "cli.h"
#include "https_server.h"
#include "simfleet/bpp.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/pki.h"
#include "simfleet/rng.h"
#include "simfleet/rsp.h"
#include "simfleet/sha256.h"
#include "simfleet/smdp.h"
#include "simfleet/tre.h"
#include "simfleet/util.h"
#include "smdp_cli.h"

#define ADMIN_PROTOCOL "gsma/rsp/v2.2.0"
#define HEADERS_MAX (16u * 1024)
#define CONN_TIMEOUT_S 30
#define SESSIONS_MAX 4096
#define TOKEN_LEN_MAX 512
#define RATE_BUCKETS 1024
#define NOTIFY_TRIES 3
#define NOTIFY_QUEUE_MAX 10000

/* One ES9+ download session (per transactionId). */
struct session {
	struct session *next;
	struct sf_rsp_smdp_session rs;
	int64_t expires;
	/* the order being served, after AuthenticateClient */
	char iccid[SF_SMDP_ICCID_MAX + 1];
	char op[SF_SMDP_NAME_MAX + 1];
	char profile_type[SF_SMDP_NAME_MAX + 1];
	int cc_required;
	uint8_t cc_sha256[32];
	struct sf_bpp_metadata md;
};

struct bucket {
	uint32_t key;
	double tokens, last;
};

/* One handleDownloadProgressInfo to deliver; id: its row in the outbox
 * (0: none, it could not be written). */
struct notice {
	struct notice *next;
	char *url, *token, *body, *cacert;
	char op[SF_SMDP_NAME_MAX + 1];
	int64_t id;
};

/* Group commit: a request that wrote to the database is answered once its
 * commit is on disk.  Its answer, and the operator notices it caused, wait
 * here until the next sync of the WAL (flush_cb), which runs after every
 * request that was ready in this turn of the loop: under load, one sync
 * covers the downloads of many devices. */
struct held {
	struct held *next;
	struct evhttp_request *req; /* NULL: the connection closed meanwhile */
	struct evhttp_connection *evcon;
	int answered, code;
	int lazy; /* what it wrote may reach the disk with a later sync */
	const char *reason; /* static text or NULL */
	struct evbuffer *body;
	struct notice *notices, **ntail; /* ntail: while captured only */
};

struct server {
	struct sf__smdp_config *c;
	struct sf__https h;
	struct event_base *base;
	struct event *sigterm_ev, *sigint_ev, *tick_ev, *flush_ev, *deadline_ev;
	struct held *hhead, **htail; /* waiting for the sync */
	unsigned long syncs, synced_answers;
	int sync_failed;
	struct sf_smdp_db *db;
	struct sf_rsp_smdp dp;
	int dp_loaded;
	struct session *sessions;
	size_t nsessions;
	struct bucket buckets[RATE_BUCKETS];
	char address[300];
	int stopping;
	unsigned long call_id;
	/* the notifier */
	pthread_t thread;
	int thread_up;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct notice *qhead, **qtail;
	size_t qlen;
	int qstop;
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the notifier thread (libcurl) ---- */

static size_t discard(void *p, size_t sz, size_t n, void *u)
{
	(void)p;
	(void)u;
	return sz * n;
}

static void notice_free(struct notice *n)
{
	if (!n)
		return;
	free(n->url);
	free(n->cacert);
	if (n->token) {
		sf_wipe(n->token, strlen(n->token));
		free(n->token);
	}
	free(n->body);
	free(n);
}

/* One POST; 0 on a 2xx answer. */
static int post_once(const struct notice *n, long *code, char *err, size_t err_len)
{
	CURL *cu = curl_easy_init();
	struct curl_slist *hd = NULL;
	char auth[300];
	int rc = -1;
	if (!cu) {
		snprintf(err, err_len, "curl_easy_init failed");
		return -1;
	}
	hd = curl_slist_append(hd, "Content-Type: application/json");
	hd = curl_slist_append(hd, "X-Admin-Protocol: " ADMIN_PROTOCOL);
	if (n->token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", n->token);
		hd = curl_slist_append(hd, auth);
		sf_wipe(auth, sizeof(auth));
	}
	curl_easy_setopt(cu, CURLOPT_URL, n->url);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(cu, CURLOPT_POSTFIELDS, n->body);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
	if (n->cacert)
		curl_easy_setopt(cu, CURLOPT_CAINFO, n->cacert);
	CURLcode r = curl_easy_perform(cu);
	*code = 0;
	if (r == CURLE_OK) {
		curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, code);
		rc = (*code >= 200 && *code < 300) ? 0 : -1;
		snprintf(err, err_len, "HTTP %ld", *code);
	} else {
		snprintf(err, err_len, "%s", curl_easy_strerror(r));
	}
	curl_slist_free_all(hd);
	curl_easy_cleanup(cu);
	return rc;
}

/* A notice of operator o with a copy of body; NULL when out of memory. */
static struct notice *notice_new(const struct sf__smdp_operator *o, const char *body)
{
	struct notice *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	snprintf(n->op, sizeof(n->op), "%s", o->name);
	n->body = strdup(body);
	n->url = strdup(o->notification_url);
	n->token = o->notification_token[0] ? strdup(o->notification_token) : NULL;
	n->cacert = o->notification_cacert[0] ? strdup(o->notification_cacert) : NULL;
	if (!n->body || !n->url || (o->notification_token[0] && !n->token) ||
	    (o->notification_cacert[0] && !n->cacert)) {
		notice_free(n);
		return NULL;
	}
	return n;
}

/* The operator of that name, or NULL. */
static const struct sf__smdp_operator *operator_named(const struct sf__smdp_config *c,
                                                     const char *name)
{
	for (size_t i = 0; i < c->nops; i++)
		if (strcmp(c->ops[i].name, name) == 0)
			return &c->ops[i];
	return NULL;
}

/* The outbox's schedule.  A notification put by a request is due
 * OUTBOX_LEASE_S later: the queue delivers it first, and the outbox scan
 * (every OUTBOX_SCAN_S while the queue is empty) only takes one whose
 * sender is gone (a crash) or that failed; a failed one is due again after
 * `notification_retry` (30 s), doubling from the fourth attempt on, at
 * most an hour. */
#define OUTBOX_LEASE_S 10
#define OUTBOX_SCAN_S 5
static int64_t outbox_backoff(const struct server *s, int attempts)
{
	int e = attempts > NOTIFY_TRIES ? attempts - NOTIFY_TRIES : 0;
	int64_t d = (int64_t)s->c->notify_retry_s << (e > 7 ? 7 : e);
	return d > 3600 ? 3600 : d;
}

/* Up to `tries` POSTs of n, 1 s then 2 s apart; a stop ends the waiting.
 * 1 when delivered; *done: the tries made. */
static int deliver(struct server *s, const struct notice *n, int tries, const char *what,
                   int *done, int *stopped)
{
	char err[256] = "";
	long code = 0;
	int ok = 0;
	*done = 0;
	*stopped = 0;
	for (int i = 0; i < tries && !ok; i++) {
		if (i) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1 << (i - 1);
			pthread_mutex_lock(&s->mu);
			if (!s->qstop)
				pthread_cond_timedwait(&s->cv, &s->mu, &ts);
			*stopped = s->qstop;
			pthread_mutex_unlock(&s->mu);
			if (*stopped)
				break;
		}
		ok = post_once(n, &code, err, sizeof(err)) == 0;
		(*done)++;
		fprintf(stderr, "smdp serve: handleDownloadProgressInfo to %s%s: try %d: %s\n",
		        n->url, what, i + 1, err);
	}
	return ok;
}

/* The outbox's due notifications, one try each (while the queue is empty
 * and no stop comes). */
static void outbox_scan(struct server *s, struct sf_smdp_db *db)
{
	int64_t now = now_s();
	struct sf_smdp_outbox_row r;
	for (int k = 0; k < 1000 && sf_smdp_outbox_due(db, now, &r) == 0; k++) {
		const struct sf__smdp_operator *o = operator_named(s->c, r.op);
		struct notice *x = o && o->notification_url[0] ? notice_new(o, r.body) : NULL;
		int done = 0, stopped = 0, rc;
		if (!x) {
			fprintf(stderr,
			        "smdp serve: outbox: a notification for operator %s%s: kept, tried "
			        "again in an hour\n",
			        r.op, o ? " with no notification_url" : ", not configured");
			rc = sf_smdp_outbox_retry(db, r.id, 0, now + 3600);
		} else {
			char what[64];
			snprintf(what, sizeof(what), " (from the outbox, attempt %d)", r.attempts + 1);
			if (deliver(s, x, 1, what, &done, &stopped))
				rc = sf_smdp_outbox_done(db, r.id);
			else
				rc = sf_smdp_outbox_retry(db, r.id, done,
				                          now + outbox_backoff(s, r.attempts + done));
			notice_free(x);
		}
		free(r.body);
		if (rc) {
			fprintf(stderr, "smdp serve: outbox: %s\n", sf_smdp_last_error(db));
			return;
		}
		pthread_mutex_lock(&s->mu);
		int busy = s->qhead || s->qstop;
		pthread_mutex_unlock(&s->mu);
		if (busy)
			return; /* new notices first; a stop now */
	}
}

/* The notifier thread: delivers the queued notices (NOTIFY_TRIES tries
 * each) and, when the queue is empty, what the outbox holds due; deletes a
 * delivered one from the outbox and reschedules a failed one, through a
 * connection of its own whose commits are not synced (a delivery whose
 * deletion is lost is delivered again: at least once).  At a stop it ends
 * after the try in hand; what it has not delivered is due at once in the
 * outbox for the next start. */
static void *notifier(void *arg)
{
	struct server *s = arg;
	struct sf_smdp_db *db = NULL;
	if (sf_smdp_db_open(s->c->db, &s->c->policy, NULL, &db) != 0 ||
	    sf_smdp_db_defer_sync(db) != 0) {
		fprintf(stderr, "smdp serve: the notifier has no database (%s): the outbox is not "
		                "read, delivered notifications are delivered again after a restart\n",
		        db ? sf_smdp_last_error(db) : "cannot open it");
		sf_smdp_db_close(db);
		db = NULL;
	}
	int64_t next_scan = 0; /* at once: what an earlier run left */
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->qhead && !s->qstop && (!db || now_s() < next_scan)) {
			if (!db) {
				pthread_cond_wait(&s->cv, &s->mu);
			} else {
				struct timespec ts = {(time_t)next_scan, 0};
				pthread_cond_timedwait(&s->cv, &s->mu, &ts);
			}
		}
		if (s->qstop)
			break;
		if (!s->qhead) {
			pthread_mutex_unlock(&s->mu);
			outbox_scan(s, db);
			next_scan = now_s() + OUTBOX_SCAN_S;
			pthread_mutex_lock(&s->mu);
			continue;
		}
		struct notice *n = s->qhead;
		s->qhead = n->next;
		if (!s->qhead)
			s->qtail = &s->qhead;
		s->qlen--;
		pthread_mutex_unlock(&s->mu);
		int done = 0, stopped = 0;
		int ok = deliver(s, n, NOTIFY_TRIES, "", &done, &stopped);
		int64_t now = now_s();
		int rc = 0;
		if (ok && n->id && db)
			rc = sf_smdp_outbox_done(db, n->id);
		else if (!ok && n->id && db)
			rc = sf_smdp_outbox_retry(db, n->id, done,
			                          stopped ? now : now + outbox_backoff(s, done));
		if (!ok)
			fprintf(stderr, "smdp serve: handleDownloadProgressInfo to %s: %s\n", n->url,
			        !n->id ? "lost: it could not be written to the outbox"
			        : stopped ? "not delivered before the stop; in the outbox for the next start"
			                  : "in the outbox, tried again later");
		if (rc)
			fprintf(stderr, "smdp serve: outbox: %s\n", sf_smdp_last_error(db));
		notice_free(n);
		pthread_mutex_lock(&s->mu);
	}
	/* Stopping: what is still queued is due at once at the next start. */
	size_t lost = 0;
	for (struct notice *n = s->qhead; n; n = n->next) {
		if (n->id && db)
			sf_smdp_outbox_retry(db, n->id, 0, now_s());
		lost += !n->id;
	}
	pthread_mutex_unlock(&s->mu);
	if (lost)
		fprintf(stderr, "smdp serve: %zu notification%s not in the outbox lost at the stop\n",
		        lost, lost == 1 ? "" : "s");
	sf_smdp_db_close(db);
	return NULL;
}

/* Queues handleDownloadProgressInfo (SGP.22 §5.3.5) for the operator of a
 * profile, when it has a notification URL.  point: notificationPointId
 * (1 eligibility and retry limit check, 2 confirmation failure, 3 BPP
 * download, 4 BPP installation, 5 other notification (enable/disable/
 * delete); simfleet's numbering follows SGP.22 Table "Notification points"
 * for 1..4). */
/* The request being handled (route): its answer and notices are captured
 * there, to be sent now or after the sync.  The loop is single-threaded. */
static struct held *capture;

/* Hands a list of notices to the notifier thread. */
static void notices_enqueue(struct server *s, struct notice *n)
{
	while (n) {
		struct notice *next = n->next;
		n->next = NULL;
		pthread_mutex_lock(&s->mu);
		if (s->qlen >= NOTIFY_QUEUE_MAX) {
			pthread_mutex_unlock(&s->mu);
			fprintf(stderr, "smdp serve: notification queue full: one for %s %s\n", n->url,
			        n->id ? "waits in the outbox" : "lost (not in the outbox)");
			notice_free(n);
		} else {
			*s->qtail = n;
			s->qtail = &n->next;
			s->qlen++;
			pthread_cond_signal(&s->cv);
			pthread_mutex_unlock(&s->mu);
		}
		n = next;
	}
}

/* The notices a request caused, into the outbox in one transaction of
 * their own, right after the request's: the same sync makes both durable
 * before the answer and the notices leave. */
static void notices_persist(struct server *s, struct notice *list)
{
	int64_t now = now_s();
	int grouped = sf_smdp_txn_begin(s->db) == 0, failed = !grouped;
	for (struct notice *n = list; n && !failed; n = n->next)
		failed = sf_smdp_outbox_put(s->db, n->op, n->body, now, now + OUTBOX_LEASE_S,
		                            &n->id) != 0;
	if (grouped && !failed)
		failed = sf_smdp_txn_end(s->db) != 0;
	else if (grouped)
		sf_smdp_txn_abort(s->db);
	if (failed) {
		fprintf(stderr, "smdp serve: outbox: %s: the notifications go from memory only\n",
		        sf_smdp_last_error(s->db));
		for (struct notice *n = list; n; n = n->next)
			n->id = 0;
	}
}

static void notify_operator(struct server *s, const char *op, const char *eid, const char *iccid,
                            const char *ptype, int point, int success, const char *subject,
                            const char *reason, const char *message)
{
	const struct sf__smdp_operator *o = operator_named(s->c, op);
	if (!o || !o->notification_url[0] || !s->thread_up)
		return;
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *j = json_object(), *hdr = json_object(), *st = json_object();
	char cid[32];
	snprintf(cid, sizeof(cid), "%lu", ++s->call_id);
	json_object_set_new(hdr, "functionRequesterIdentifier", json_string(s->address));
	json_object_set_new(hdr, "functionCallIdentifier", json_string(cid));
	json_object_set_new(j, "header", hdr);
	if (eid && *eid)
		json_object_set_new(j, "eid", json_string(eid));
	json_object_set_new(j, "iccid", json_string(iccid ? iccid : ""));
	json_object_set_new(j, "profileType", json_string(ptype ? ptype : ""));
	json_object_set_new(j, "timestamp", json_string(ts));
	json_object_set_new(j, "notificationPointId", json_integer(point));
	json_object_set_new(st, "status", json_string(success ? "Executed-Success" : "Failed"));
	if (!success) {
		json_t *cd = json_object();
		json_object_set_new(cd, "subjectCode", json_string(subject ? subject : "8.1"));
		json_object_set_new(cd, "reasonCode", json_string(reason ? reason : "3.8"));
		if (message)
			json_object_set_new(cd, "message", json_string(message));
		json_object_set_new(st, "statusCodeData", cd);
	}
	json_object_set_new(j, "notificationPointStatus", st);
	char *body = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	struct notice *n = body ? notice_new(o, body) : NULL;
	free(body);
	if (!n) {
		fprintf(stderr, "smdp serve: handleDownloadProgressInfo to %s: out of memory\n",
		        op);
		return;
	}
	if (capture) { /* sent once the change it reports is on disk */
		*capture->ntail = n;
		capture->ntail = &n->next;
		return;
	}
	notices_enqueue(s, n);
}

/* ---- sessions ---- */

static void session_free(struct session *x)
{
	if (!x)
		return;
	sf_wipe(x, sizeof(*x));
	free(x);
}

static void sessions_expire(struct server *s, int64_t now, int all)
{
	for (struct session **pp = &s->sessions; *pp;) {
		struct session *x = *pp;
		if (all || x->expires <= now) {
			*pp = x->next;
			s->nsessions--;
			session_free(x);
		} else {
			pp = &x->next;
		}
	}
}

static struct session *session_find(struct server *s, const uint8_t *tid, size_t tid_len)
{
	int64_t now = now_s();
	for (struct session *x = s->sessions; x; x = x->next)
		if (x->expires > now && x->rs.tid_len == tid_len &&
		    memcmp(x->rs.tid, tid, tid_len) == 0)
			return x;
	return NULL;
}

static void session_drop(struct server *s, struct session *x)
{
	for (struct session **pp = &s->sessions; *pp; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			s->nsessions--;
			session_free(x);
			return;
		}
}

/* ---- rate limit: a token bucket per client address (hashed) ---- */

static int rate_ok(struct server *s, const char *peer)
{
	uint32_t h = 2166136261u;
	for (const char *p = peer; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	struct bucket *b = &s->buckets[h % RATE_BUCKETS];
	double t = mono();
	if (b->key != h || b->last == 0) {
		b->key = h;
		b->tokens = s->c->rate_burst;
		b->last = t;
	}
	b->tokens += (t - b->last) * s->c->rate_per_s;
	if (b->tokens > s->c->rate_burst)
		b->tokens = s->c->rate_burst;
	b->last = t;
	if (b->tokens < 1)
		return 0;
	b->tokens -= 1;
	return 1;
}

/* ---- replies (SGP.22 §6.5.1 JSON header) ---- */

/* Sends the answer to req now, or captures it (see struct held). */
static void respond(struct evhttp_request *req, int code, const char *reason,
                    struct evbuffer *body)
{
	if (capture && capture->req == req && !capture->answered) {
		capture->answered = 1;
		capture->code = code;
		capture->reason = reason;
		capture->body = body;
		return;
	}
	sf__https_send(req, code, reason, body);
}

/* Sends j (released) as the JSON answer, through respond. */
static void send_json(struct evhttp_request *req, int code, json_t *j)
{
	struct evbuffer *b = sf__https_json_body(req, j);
	respond(req, b ? code : 500, b ? NULL : "Internal Server Error", b);
}

/* Sends o (may be NULL) with header.functionExecutionStatus: success when
 * subject is NULL, else Failed with statusCodeData. */
static void reply(struct evhttp_request *req, int http, json_t *o, const char *subject,
                  const char *reason, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void reply(struct evhttp_request *req, int http, json_t *o, const char *subject,
                  const char *reason, const char *fmt, ...)
{
	json_t *j = json_object(), *hdr = json_object(), *fes = json_object();
	json_object_set_new(fes, "status", json_string(subject ? "Failed" : "Executed-Success"));
	if (subject) {
		char msg[512] = "";
		if (fmt) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(msg, sizeof(msg), fmt, ap);
			va_end(ap);
		}
		json_t *cd = json_object();
		json_object_set_new(cd, "subjectCode", json_string(subject));
		json_object_set_new(cd, "reasonCode", json_string(reason));
		if (msg[0])
			json_object_set_new(cd, "message", json_string(msg));
		json_object_set_new(fes, "statusCodeData", cd);
	}
	json_object_set_new(hdr, "functionExecutionStatus", fes);
	json_object_set_new(j, "header", hdr);
	if (o) {
		json_object_update(j, o);
		json_decref(o);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Admin-Protocol",
	                  ADMIN_PROTOCOL);
	if (http == 401)
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
		                  "Bearer realm=\"simfleet-smdp-es2plus\"");
	send_json(req, http, j);
}

/* Malformed requests: HTTP 400 and subjectCode 1.2.1 (the request), reason
 * 2.1 (invalid), the message naming the field. */
#define BAD(req, ...) reply(req, 400, NULL, "1.2.1", "2.1", __VA_ARGS__)

/* ---- request decoding ---- */

/* The JSON object of a POST with X-Admin-Protocol and application/json;
 * NULL after answering. */
static json_t *request_json(struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
		reply(req, 405, NULL, "1.2.1", "2.1", "use POST");
		return NULL;
	}
	const char *ap = evhttp_find_header(in, "X-Admin-Protocol");
	if (!ap || strncmp(ap, "gsma/rsp/v2.", 12) != 0) {
		BAD(req, "header X-Admin-Protocol: expected gsma/rsp/v2.x.y (SGP.22 §6.5.1)");
		return NULL;
	}
	const char *ct = evhttp_find_header(in, "Content-Type");
	if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
		BAD(req, "header Content-Type: expected application/json");
		return NULL;
	}
	size_t len;
	const unsigned char *b = sf__https_body(req, &len);
	json_error_t e;
	json_t *j = b ? json_loadb((const char *)b, len, JSON_REJECT_DUPLICATES, &e) : NULL;
	if (!j || !json_is_object(j)) {
		BAD(req, "body: not a JSON object%s%s", j ? "" : ": ",
		    j   ? ""
		    : b ? e.text
		        : "empty");
		json_decref(j);
		return NULL;
	}
	return j;
}

/* A base64 field into a malloc'd buffer.  0, -1 absent or not a string, -2
 * not base64. */
static int get_b64(json_t *j, const char *key, uint8_t **out, size_t *len)
{
	const char *v = json_string_value(json_object_get(j, key));
	*out = NULL;
	*len = 0;
	if (!v || !*v)
		return -1;
	size_t n = strlen(v), cap = n / 4 * 3 + 3;
	uint8_t *b = malloc(cap);
	if (!b)
		return -2;
	if (sf_b64_decode(b, cap, len, v, n) != 0) {
		free(b);
		return -2;
	}
	*out = b;
	return 0;
}

/* A base64 field of the request, answering 400 when missing or malformed. */
static int need_b64(struct evhttp_request *req, json_t *j, const char *key, uint8_t **out,
                    size_t *len)
{
	int r = get_b64(j, key, out, len);
	if (r)
		BAD(req, "%s: %s", key, r == -1 ? "missing (a base64 string)" : "not valid base64");
	return r;
}

static int need_tid(struct evhttp_request *req, json_t *j, uint8_t tid[SF_RSP_TID_LEN],
                    size_t *tid_len)
{
	const char *v = json_string_value(json_object_get(j, "transactionId"));
	size_t n = v ? strlen(v) : 0;
	if (!v || n == 0 || n > 2 * SF_RSP_TID_LEN ||
	    sf_hex_decode(tid, SF_RSP_TID_LEN, tid_len, v, n)) {
		BAD(req, "transactionId: expected 2 to 32 hex digits");
		return -1;
	}
	return 0;
}

static void set_b64(json_t *o, const char *key, const uint8_t *v, size_t len)
{
	size_t cap = (len + 2) / 3 * 4 + 1, n;
	char *s = malloc(cap);
	if (s && sf_b64_encode(s, cap, &n, v, len) == 0)
		json_object_set_new(o, key, json_string(s));
	free(s);
}

static void set_tid(json_t *o, const uint8_t *tid, size_t len)
{
	char h[2 * SF_RSP_TID_LEN + 1];
	sf_hex_encode(h, sizeof(h), tid, len);
	for (char *p = h; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	json_object_set_new(o, "transactionId", json_string(h));
}

/* 5F37 40 r||s, as the JSON fields serverSignature1 / smdpSignature2 carry
 * the whole TLV (they are concatenated into the eUICC's requests). */
static void set_sig(json_t *o, const char *key, const uint8_t sig[SF_ECDSA_SIG_LEN])
{
	uint8_t t[3 + SF_ECDSA_SIG_LEN] = {0x5F, 0x37, SF_ECDSA_SIG_LEN};
	memcpy(t + 3, sig, SF_ECDSA_SIG_LEN);
	set_b64(o, key, t, sizeof(t));
}

static void audit(struct server *s, struct evhttp_request *req, const char *actor_kind,
                  const char *who, const char *action, const char *iccid, const char *eid, int rc,
                  const char *detail)
{
	char actor[128];
	snprintf(actor, sizeof(actor), "%s:%s", actor_kind, who ? who : sf__https_peer(req));
	int r = sf_smdp_audit(s->db, actor, action, iccid, eid, rc ? sf_err_name(rc) : "ok", detail,
	                      now_s());
	if (r)
		fprintf(stderr, "smdp serve: audit log: %s\n", sf_smdp_last_error(s->db));
}

/* ---- ES9+ ---- */

/* SGP.22 subject/reason of a library or store error on ES9+. */
/* SGP.22 functionExecutionStatus codes (subjectCode, reasonCode) and the
 * HTTP status for simfleet's codes.  The last entry of a table (rc 0) is
 * the default. */
struct status_map {
	int rc;
	const char *subject, *reason;
	int http;
};

static const struct status_map *status_of(const struct status_map *t, int rc)
{
	while (t->rc && t->rc != rc)
		t++;
	return t;
}

static const struct status_map es9_status[] = {
    {SF_ERSP_TRANSACTION, "8.10.1", "3.9", 200}, /* unknown transactionId */
    {SF_ERSP_NO_SESSION, "8.10.1", "3.9", 200},
    {SF_ERSP_ADDRESS, "8.8.1", "3.8", 200},    /* invalid SM-DP+ address */
    {SF_ERSP_CI_UNKNOWN, "8.8.2", "3.1", 200}, /* no supported CI PKID */
    {SF_ERSP_SIG, "8.1", "6.1", 200},          /* eUICC signature */
    {SF_ERSP_CHALLENGE, "8.1", "6.1", 200},
    {SF_ECRYPTO_SIG, "8.1", "6.1", 200},
    {SF_EPKI_EID, "8.1.4", "6.1", 200},  /* EID outside the EUM range */
    {SF_ERSP_CERT, "8.1.3", "6.1", 200}, /* eUICC certificate chain */
    {SF_EPKI_FORMAT, "8.1.3", "6.1", 200},
    {SF_EPKI_UNKNOWN_CI, "8.1.3", "6.1", 200},
    {SF_EPKI_CHAIN, "8.1.3", "6.1", 200},
    {SF_EPKI_SIG, "8.1.3", "6.1", 200},
    {SF_EPKI_VALIDITY, "8.1.3", "6.1", 200},
    {SF_EPKI_USAGE, "8.1.3", "6.1", 200},
    {SF_EPKI_ROLE, "8.1.3", "6.1", 200},
    {SF_ERSP_EUICC_ERROR, "8.1", "3.8", 200},    /* the eUICC refused */
    {SF_ESMDP_MATCHING_ID, "8.2.6", "3.8", 200}, /* matchingId refused */
    {SF_ESMDP_EID, "8.1.1", "3.8", 200},         /* EID refused */
    {SF_ESMDP_EXPIRED, "8.8.5", "4.10", 200},    /* download order expired */
    {SF_ESMDP_ATTEMPTS, "8.8.5", "6.4", 200},    /* max retries exceeded */
    {SF_ESMDP_CC, "8.2.7", "3.8", 200},          /* confirmation code refused */
    {SF_ERSP_CC, "8.2.7", "2.2", 200},           /* code missing */
    {SF_ERSP_FORMAT, "1.2.1", "2.1", 400},
    {0, "8.8", "3.8", 200}, /* simfleet: internal */
};

static void es9_fail(struct evhttp_request *req, int rc, const char *fn, const char *detail)
{
	const struct status_map *m = status_of(es9_status, rc);
	reply(req, m->http, NULL, m->subject, m->reason, "%s: %s%s%s", fn, sf_strerror(rc),
	      detail && *detail ? ": " : "", detail ? detail : "");
}

static void es9_initiate(struct server *s, struct evhttp_request *req, json_t *j)
{
	uint8_t *chal = NULL, *info1 = NULL;
	size_t chal_len, info1_len;
	struct session *x = NULL;
	const char *addr = json_string_value(json_object_get(j, "smdpAddress"));
	if (need_b64(req, j, "euiccChallenge", &chal, &chal_len) ||
	    need_b64(req, j, "euiccInfo1", &info1, &info1_len))
		goto out;
	if (chal_len != SF_RSP_CHALLENGE_LEN) {
		BAD(req, "euiccChallenge: expected 16 octets");
		goto out;
	}
	if (!addr) {
		BAD(req, "smdpAddress: missing (a string)");
		goto out;
	}
	sessions_expire(s, now_s(), 0);
	if (s->nsessions >= SESSIONS_MAX) {
		reply(req, 200, NULL, "8.8", "4.2",
		      "too many download sessions in progress: retry "
		      "later");
		goto out;
	}
	x = calloc(1, sizeof(*x));
	struct sf_rsp_init_auth ia;
	if (!x) {
		es9_fail(req, SF_ENOMEM, "initiateAuthentication", NULL);
		goto out;
	}
	int rc =
	    sf_rsp_smdp_initiate_authentication(&s->dp, &x->rs, chal, info1, info1_len, addr, &ia);
	if (rc) {
		audit(s, req, "device", NULL, "initiateAuthentication", NULL, NULL, rc, addr);
		es9_fail(req, rc, "initiateAuthentication", rc == SF_ERSP_ADDRESS ? addr : NULL);
		goto out;
	}
	x->expires = now_s() + s->c->session_ttl;
	x->next = s->sessions;
	s->sessions = x;
	s->nsessions++;
	x = NULL;
	json_t *o = json_object();
	set_tid(o, ia.tid, ia.tid_len);
	set_b64(o, "serverSigned1", ia.server_signed1, ia.server_signed1_len);
	set_sig(o, "serverSignature1", ia.server_signature1);
	uint8_t pk[2 + SF_RSP_PKID_MAX] = {SF_DER_OCTET_STRING, (uint8_t)ia.ci_pkid_len};
	memcpy(pk + 2, ia.ci_pkid, ia.ci_pkid_len);
	set_b64(o, "euiccCiPKIdToBeUsed", pk, 2 + ia.ci_pkid_len);
	set_b64(o, "serverCertificate", ia.server_cert, ia.server_cert_len);
	reply(req, 200, o, NULL, NULL, NULL);
out:
	session_free(x);
	free(chal);
	free(info1);
}

/* The matchingId inside AuthenticateServerResponse, before it is verified:
 * BF38 { A0 { 30 euiccSigned1 { 80 tid, 83 address, 84 challenge, BF22
 * euiccInfo2, A0 ctxParams1 { 80 matchingId?, A1 deviceInfo } } ... } }.
 * Only used to pick the order (and its ccRequiredFlag); the library then
 * verifies the signature over these very octets.  Returns 0 when ctxParams1
 * carries no matchingId, or an empty one (the default SM-DP+ case of
 * SGP.22 §3.1.2), 1 when it carries one: in mid, or mid "" when it is not
 * usable (too long, malformed), which is then refused.  A response that
 * does not parse this far returns 0: the library refuses it anyway. */
static int peek_matching_id(const uint8_t *der, size_t len, char *mid, size_t cap)
{
	const uint8_t *p = der, *end = der + len, *v, *w;
	size_t vl, wl;
	mid[0] = '\0';
	if (sf_der_expect(&p, end, 0xBF38u, &v, &vl) || (p = v, end = v + vl, 0) ||
	    sf_der_expect(&p, end, SF_DER_CTX_C(0), &v, &vl) || (p = v, end = v + vl, 0) ||
	    sf_der_expect(&p, end, SF_DER_SEQUENCE, &v, &vl))
		return 0;
	p = v;
	end = v + vl;
	for (int i = 0; i < 4; i++) /* tid, serverAddress, serverChallenge, euiccInfo2 */
		if (sf_der_skip(&p, end))
			return 0;
	if (sf_der_expect(&p, end, SF_DER_CTX_C(0), &w, &wl))
		return 0;
	int present = 0;
	p = w;
	end = w + wl;
	if (sf_der_get_optional(&p, end, SF_DER_CTX(0), &v, &vl, &present))
		return 1;
	if (!present || vl == 0)
		return 0;
	if (vl >= cap)
		return 1;
	memcpy(mid, v, vl);
	mid[vl] = '\0';
	return 1;
}

/* The EID in CERT.EUICC inside AuthenticateServerResponse, before anything
 * is verified: BF38 { A0 { 30 euiccSigned1, 5F37 sig, 30 euiccCertificate
 * { 30 tbsCertificate { A0 version, 02 serial, 30 signature, 30 issuer,
 * 30 validity, 30 subject { 31 { 30 { 06 2.5.4.5 serialNumber, 13 EID } }
 * ... } ... } } ... } }.  Only to find the order of a download without a
 * matchingId before smdpSigned2 is signed (its ccRequiredFlag); the order
 * is then taken by the EID of the verified certificate (the library reads
 * it from these very octets).  Returns 0 with 32 digits in eid, or -1. */
static int peek_eid(const uint8_t *der, size_t len, char eid[SF_SMDP_EID_LEN + 1])
{
	static const uint8_t serial_oid[] = {0x55, 0x04, 0x05}; /* 2.5.4.5 */
	const uint8_t *p = der, *end = der + len, *v;
	size_t vl;
	eid[0] = '\0';
	if (sf_der_expect(&p, end, 0xBF38u, &v, &vl) || (p = v, end = v + vl, 0) ||
	    sf_der_expect(&p, end, SF_DER_CTX_C(0), &v, &vl) || (p = v, end = v + vl, 0) ||
	    sf_der_skip(&p, end) || sf_der_skip(&p, end) || /* euiccSigned1, signature */
	    sf_der_expect(&p, end, SF_DER_SEQUENCE, &v, &vl) || (p = v, end = v + vl, 0) ||
	    sf_der_expect(&p, end, SF_DER_SEQUENCE, &v, &vl))
		return -1;
	p = v;
	end = v + vl;
	uint32_t tag;
	if (sf_der_peek_tag(p, end, &tag) == 0 && tag == SF_DER_CTX_C(0) && sf_der_skip(&p, end))
		return -1;
	for (int i = 0; i < 4; i++) /* serialNumber, signature, issuer, validity */
		if (sf_der_skip(&p, end))
			return -1;
	if (sf_der_expect(&p, end, SF_DER_SEQUENCE, &v, &vl)) /* subject */
		return -1;
	struct sf_der_iter rdns, atvs;
	struct sf_der_tlv rdn, atv;
	sf_der_iter_init(&rdns, v, vl);
	while (sf_der_iter_next(&rdns, &rdn) > 0) {
		if (rdn.tag != SF_DER_SET)
			return -1;
		sf_der_iter_init(&atvs, rdn.val, rdn.len);
		while (sf_der_iter_next(&atvs, &atv) > 0) {
			const uint8_t *q = atv.val, *qe = atv.val + atv.len, *oid, *sv;
			size_t ol, sl;
			if (atv.tag != SF_DER_SEQUENCE ||
			    sf_der_get_oid(&q, qe, SF_DER_OID, &oid, &ol) ||
			    !sf_der_oid_eq(oid, ol, serial_oid, sizeof(serial_oid)) ||
			    sf_der_get_tlv(&q, qe, &tag, &sv, &sl) || sl != SF_SMDP_EID_LEN)
				continue;
			for (size_t k = 0; k < sl; k++)
				if (sv[k] < '0' || sv[k] > '9')
					return -1;
			memcpy(eid, sv, sl);
			eid[sl] = '\0';
			return 0;
		}
	}
	return -1;
}

static void es9_authenticate(struct server *s, struct evhttp_request *req, json_t *j)
{
	uint8_t tid[SF_RSP_TID_LEN], *asr = NULL;
	size_t tid_len, asr_len;
	char mid[SF_SMDP_NAME_MAX + 1], reason[256] = "";
	if (need_tid(req, j, tid, &tid_len) ||
	    need_b64(req, j, "authenticateServerResponse", &asr, &asr_len))
		goto out;
	struct session *x = session_find(s, tid, tid_len);
	if (!x || x->rs.state != 1) {
		es9_fail(req, SF_ERSP_TRANSACTION, "authenticateClient", "unknown or expired");
		goto out;
	}
	int has_mid = peek_matching_id(asr, asr_len, mid, sizeof(mid));
	struct sf_smdp_profile p;
	int cc_required = 0;
	char by_eid[SF_SMDP_ICCID_MAX + 1] = ""; /* no matchingId: the order peeked */
	memset(&p, 0, sizeof(p));
	if (has_mid) {
		if (mid[0] && sf_smdp_profile_by_matching_id(s->db, mid, &p) == 0)
			cc_required = p.cc_required;
	} else {
		/* No matchingId: the eUICC came to its default SM-DP+ (SGP.22
		 * §3.1.2) and the order is the one released for its EID.  The
		 * EID is peeked from CERT.EUICC before the chain is verified only
		 * because smdpSigned2 (signed below) carries ccRequiredFlag; the
		 * verified EID then takes the order, which must be this one. */
		char peid[SF_SMDP_EID_LEN + 1];
		if (peek_eid(asr, asr_len, peid) == 0 &&
		    sf_smdp_order_for_eid(s->db, peid, now_s(), &p) == 0) {
			cc_required = p.cc_required;
			snprintf(by_eid, sizeof(by_eid), "%s", p.iccid);
		}
	}
	struct sf_rsp_auth_client ac;
	int eerr = 0;
	int rc =
	    sf_rsp_smdp_authenticate_client(&s->dp, &x->rs, tid, tid_len, asr, asr_len, cc_required,
	                                    NULL, now_s(), &ac, &eerr, reason, sizeof(reason));
	if (rc) {
		char d[300];
		if (rc == SF_ERSP_EUICC_ERROR)
			snprintf(d, sizeof(d), "eUICC error code %d", eerr);
		else
			snprintf(d, sizeof(d), "%s", reason);
		audit(s, req, "device", NULL, "authenticateClient", NULL, NULL, rc, d);
		es9_fail(req, rc, "authenticateClient", d);
		session_drop(s, x);
		goto out;
	}
	/* One commit for the attempt, PK.EUICC and the audit record; without it
	 * each would be its own transaction.  Its answer does not wait for a
	 * sync (capture->lazy): the commit reaches the disk with the next sync,
	 * at the latest the one getBoundProfilePackage's answer, which hands out
	 * the profile, waits for.  A power failure in between loses at most
	 * this attempt (the session is lost with the process anyway). */
	int grouped = sf_smdp_txn_begin(s->db) == 0;
	if (capture)
		capture->lazy = 1;
	if (!has_mid) {
		/* Default SM-DP+: the verified EID's released order (oldest
		 * release first), with the expiry and attempt rules of a
		 * matchingId (sf_smdp_begin_download_eid).  None: 8.2.6/3.8, as
		 * for an unknown matchingId, and nothing changes. */
		memset(&p, 0, sizeof(p));
		rc = sf_smdp_begin_download_eid(s->db, x->rs.eid, now_s(), &p);
		if (rc == 0 && (strcmp(p.iccid, by_eid) != 0 || p.cc_required != cc_required))
			rc = SF_ESMDP_MATCHING_ID; /* the order changed under us: start again */
		snprintf(mid, sizeof(mid), "no matchingId: order of the EID");
	} else if (!mid[0]) {
		rc = SF_ESMDP_MATCHING_ID; /* not usable as a matchingId */
	} else {
		memset(&p, 0, sizeof(p));
		rc = sf_smdp_begin_download(s->db, mid, x->rs.eid, now_s(), &p);
		if (rc == 0 && p.cc_required != cc_required)
			rc = SF_ESMDP_MATCHING_ID; /* the order changed under us: start again */
	}
	if (rc) {
		audit(s, req, "device", NULL, "authenticateClient",
		      rc == SF_ESMDP_MATCHING_ID ? NULL : p.iccid, x->rs.eid, rc,
		      mid[0] ? mid : "matchingId not usable");
		if (grouped && sf_smdp_txn_end(s->db))
			fprintf(stderr, "smdp serve: committing a refused attempt: %s\n",
			        sf_smdp_last_error(s->db));
		if (rc != SF_ESMDP_MATCHING_ID && p.op[0])
			notify_operator(s, p.op, x->rs.eid, p.iccid, p.profile_type, 1, 0,
			                rc == SF_ESMDP_EID ? "8.1.1" : "8.8.5",
			                rc == SF_ESMDP_EID       ? "3.8"
			                : rc == SF_ESMDP_EXPIRED ? "4.10"
			                                         : "6.4",
			                sf_strerror(rc));
		if (!has_mid && rc == SF_ESMDP_MATCHING_ID)
			snprintf(mid, sizeof(mid),
			         "no matchingId, and no order released for the EID");
		es9_fail(req, rc, "authenticateClient", mid[0] ? mid : "matchingId not usable");
		session_drop(s, x);
		goto out;
	}
	snprintf(x->iccid, sizeof(x->iccid), "%s", p.iccid);
	snprintf(x->op, sizeof(x->op), "%s", p.op);
	snprintf(x->profile_type, sizeof(x->profile_type), "%s", p.profile_type);
	x->cc_required = p.cc_required;
	memcpy(x->cc_sha256, p.cc_sha256, 32);
	sf_wipe(p.cc_sha256, sizeof(p.cc_sha256));
	memset(&x->md, 0, sizeof(x->md));
	snprintf(x->md.iccid, sizeof(x->md.iccid), "%s", p.iccid);
	snprintf(x->md.spn, sizeof(x->md.spn), "%.32s", p.spn);
	snprintf(x->md.name, sizeof(x->md.name), "%.64s", p.name);
	x->md.pclass = -1;
	x->expires = now_s() + s->c->session_ttl;
	uint8_t smr[512];
	size_t smr_len = 0;
	rc = sf_smdp_metadata_encode(&x->md, smr, sizeof(smr), &smr_len);
	if (rc == 0 && sf_smdp_euicc_put(s->db, x->rs.eid, x->rs.euicc_curve, x->rs.euicc_pk,
	                                 now_s()) != 0)
		fprintf(stderr, "smdp serve: storing PK.EUICC of %s: %s\n", x->rs.eid,
		        sf_smdp_last_error(s->db));
	if (rc)
		snprintf(mid, sizeof(mid), "profile metadata not encodable");
	audit(s, req, "device", NULL, "authenticateClient", p.iccid, x->rs.eid, rc,
	      rc || !has_mid ? mid : NULL);
	if (grouped) {
		int trc = sf_smdp_txn_end(s->db);
		if (trc && rc == 0)
			rc = trc;
	}
	if (rc) {
		es9_fail(req, rc, "authenticateClient",
		         rc == SF_EINVAL ? "profile metadata not encodable" : "database");
		session_drop(s, x);
		goto out;
	}
	notify_operator(s, p.op, x->rs.eid, p.iccid, p.profile_type, 1, 1, NULL, NULL, NULL);
	json_t *o = json_object();
	set_tid(o, tid, tid_len);
	set_b64(o, "profileMetadata", smr, smr_len);
	set_b64(o, "smdpSigned2", ac.smdp_signed2, ac.smdp_signed2_len);
	set_sig(o, "smdpSignature2", ac.smdp_signature2);
	set_b64(o, "smdpCertificate", ac.smdp_cert, ac.smdp_cert_len);
	reply(req, 200, o, NULL, NULL, NULL);
out:
	free(asr);
}

/* The one place the profile is bound (sf_rsp_smdp_bind, bpp.h): ECKA with a
 * one-time key, the session keys, and the BSP over the package. */
static int bind_profile_package(struct server *s, struct session *x,
                                const uint8_t otpk[SF_EC_POINT_LEN], uint8_t **bpp, size_t *bpp_len)
{
	uint8_t *pkg = NULL;
	size_t pkg_len = 0;
	int rc = sf_smdp_profile_package(s->db, x->iccid, &pkg, &pkg_len);
	if (rc)
		return rc;
	rc = sf_rsp_smdp_bind(&s->dp, &x->rs, otpk, &x->md, pkg, pkg_len, NULL, bpp, bpp_len);
	sf_wipe(pkg, pkg_len); /* K, OPc */
	free(pkg);
	return rc;
}

static void es9_get_bpp(struct server *s, struct evhttp_request *req, json_t *j)
{
	uint8_t tid[SF_RSP_TID_LEN], *pdr = NULL, *bpp = NULL, otpk[SF_EC_POINT_LEN];
	size_t tid_len, pdr_len, bpp_len = 0;
	if (need_tid(req, j, tid, &tid_len) ||
	    need_b64(req, j, "prepareDownloadResponse", &pdr, &pdr_len))
		goto out;
	struct session *x = session_find(s, tid, tid_len);
	if (!x || x->rs.state != 2 || !x->iccid[0]) {
		es9_fail(req, SF_ERSP_TRANSACTION, "getBoundProfilePackage", "unknown or expired");
		goto out;
	}
	int eerr = 0;
	int rc = sf_rsp_smdp_check_prepare_download_hashed(
	    &x->rs, pdr, pdr_len, x->cc_required ? x->cc_sha256 : NULL, otpk, &eerr);
	if (rc == SF_ERSP_CC) {
		/* Wrong or missing hashCc: counts against the order (SGP.22 §3.1.3.2). */
		int r2 = sf_smdp_cc_failed(s->db, x->iccid, now_s());
		rc = r2 == SF_ESMDP_ATTEMPTS ? SF_ESMDP_ATTEMPTS : SF_ESMDP_CC;
		notify_operator(s, x->op, x->rs.eid, x->iccid, x->profile_type, 2, 0, "8.2.7",
		                rc == SF_ESMDP_ATTEMPTS ? "6.4" : "3.8", sf_strerror(rc));
	}
	if (rc) {
		char d[64] = "";
		if (rc == SF_ERSP_EUICC_ERROR)
			snprintf(d, sizeof(d), "eUICC error code %d", eerr);
		audit(s, req, "device", NULL, "getBoundProfilePackage", x->iccid, x->rs.eid, rc, d);
		es9_fail(req, rc, "getBoundProfilePackage", d);
		session_drop(s, x);
		goto out;
	}
	/* the package read, the state and the audit record: one transaction */
	int grouped = sf_smdp_txn_begin(s->db) == 0;
	rc = bind_profile_package(s, x, otpk, &bpp, &bpp_len);
	if (rc == 0)
		rc = sf_smdp_mark_downloaded(s->db, x->iccid, x->rs.eid, now_s());
	audit(s, req, "device", NULL, "getBoundProfilePackage", x->iccid, x->rs.eid, rc, NULL);
	if (grouped) {
		int trc = sf_smdp_txn_end(s->db);
		if (trc && rc == 0)
			rc = trc;
	}
	notify_operator(s, x->op, x->rs.eid, x->iccid, x->profile_type, 3, rc == 0, "8.8", "3.8",
	                rc ? sf_strerror(rc) : NULL);
	if (rc) {
		fprintf(stderr, "smdp serve: binding %s: %s (%s) %s\n", x->iccid, sf_strerror(rc),
		        sf_err_name(rc), rc == SF_ESMDP_DB ? sf_smdp_last_error(s->db) : "");
		es9_fail(req, rc, "getBoundProfilePackage", "binding the profile failed");
		session_drop(s, x);
		goto out;
	}
	x->expires = now_s() + s->c->session_ttl; /* the PIR may follow */
	json_t *o = json_object();
	set_tid(o, tid, tid_len);
	set_b64(o, "boundProfilePackage", bpp, bpp_len);
	reply(req, 200, o, NULL, NULL, NULL);
out:
	if (bpp) {
		sf_wipe(bpp, bpp_len);
		free(bpp);
	}
	free(pdr);
}

static void reply_204(struct evhttp_request *req)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Admin-Protocol",
	                  ADMIN_PROTOCOL);
	respond(req, 204, "No Content", NULL);
}

static const char *event_name(unsigned ev)
{
	static const char *const n[] = {"install", "enable", "disable", "delete"};
	return ev < 4 ? n[ev] : "other";
}

static void es9_notification(struct server *s, struct evhttp_request *req, json_t *j)
{
	uint8_t *der = NULL;
	size_t len;
	struct sf_rsp_notification n;
	if (need_b64(req, j, "pendingNotification", &der, &len))
		goto out;
	int rc = sf_rsp_notification_parse(der, len, &n);
	if (rc) {
		audit(s, req, "device", NULL, "handleNotification", NULL, NULL, rc, "not parsed");
		BAD(req, "pendingNotification: %s", sf_strerror(rc));
		goto out;
	}
	/* SGP.22 §5.6.4: the SM-DP+ answers 204 once it has the notification,
	 * whatever it makes of it; refusals are audited and logged. */
	struct sf_smdp_profile p;
	char eid[SF_SMDP_EID_LEN + 1] = "";
	if (n.is_pir) {
		struct session *x = session_find(s, n.tid, n.tid_len);
		uint8_t pk[SF_EC_POINT_LEN];
		int curve = 0;
		const char *iccid = x && x->iccid[0] ? x->iccid : n.iccid;
		/* the reads, the state and the audit record: one transaction */
		int grouped = sf_smdp_txn_begin(s->db) == 0;
		memset(&p, 0, sizeof(p));
		rc = *iccid ? sf_smdp_profile_get(s->db, NULL, iccid, &p) : SF_ESMDP_UNKNOWN;
		if (rc == 0) {
			snprintf(eid, sizeof(eid), "%s", p.eid);
			if (x) {
				memcpy(pk, x->rs.euicc_pk, sizeof(pk));
				curve = (int)x->rs.euicc_curve;
			} else {
				rc = sf_smdp_euicc_get(s->db, p.eid, &curve, pk);
			}
		}
		if (rc == 0)
			rc = sf_rsp_smdp_verify_notification(&s->dp, &n, pk,
			                                     (enum sf_ec_curve)curve, now_s());
		if (rc == 0)
			rc = sf_smdp_mark_installed(s->db, p.iccid, p.eid, n.success, now_s());
		char d[96];
		snprintf(d, sizeof(d), "PIR seq %u: %s", (unsigned)n.seq,
		         n.success ? "success" : "error");
		if (!n.success)
			snprintf(d, sizeof(d), "PIR seq %u: error bppCommandId %d errorReason %d",
			         (unsigned)n.seq, n.bpp_command_id, n.error_reason);
		audit(s, req, "device", NULL, "handleNotification", iccid, eid, rc, d);
		if (grouped) {
			int trc = sf_smdp_txn_end(s->db);
			if (trc && rc == 0)
				rc = trc;
		}
		if (rc == 0)
			notify_operator(s, p.op, eid, p.iccid, p.profile_type, 4, n.success, "8.8",
			                "3.8", n.success ? NULL : d);
		else
			fprintf(stderr, "smdp serve: PIR for %s refused: %s (%s)\n",
			        *iccid ? iccid : "(no ICCID)", sf_strerror(rc), sf_err_name(rc));
		if (x)
			session_drop(s, x);
	} else {
		rc = sf_rsp_smdp_verify_notification(&s->dp, &n, NULL, SF_EC_P256, now_s());
		char d[96];
		snprintf(d, sizeof(d), "%s seq %u", event_name(n.event), (unsigned)n.seq);
		memset(&p, 0, sizeof(p));
		int have = n.iccid[0] && sf_smdp_profile_get(s->db, NULL, n.iccid, &p) == 0;
		audit(s, req, "device", NULL, "handleNotification", n.iccid[0] ? n.iccid : NULL,
		      have ? p.eid : NULL, rc, d);
		if (rc == 0 && have)
			notify_operator(s, p.op, p.eid, p.iccid, p.profile_type, 5, 1, NULL, NULL,
			                NULL);
	}
	reply_204(req);
out:
	free(der);
}

static void es9_cancel(struct server *s, struct evhttp_request *req, json_t *j)
{
	uint8_t tid[SF_RSP_TID_LEN], *csr = NULL;
	size_t tid_len, csr_len;
	if (need_tid(req, j, tid, &tid_len) ||
	    need_b64(req, j, "cancelSessionResponse", &csr, &csr_len))
		goto out;
	struct session *x = session_find(s, tid, tid_len);
	if (!x || x->rs.state != 2) {
		es9_fail(req, SF_ERSP_TRANSACTION, "cancelSession", "unknown or expired");
		goto out;
	}
	int reason = -1, eerr = 0;
	int rc = sf_rsp_smdp_check_cancel(&x->rs, csr, csr_len, &reason, &eerr);
	char d[64];
	snprintf(d, sizeof(d), "reason %d", reason);
	if (rc == 0 && x->iccid[0]) {
		/* SGP.22 §3.1.3 / §5.6.5: the end user's rejection, a PPR refusal and a
		 * metadata mismatch end the order; postponed, timeout, a load error
		 * and undefined leave it for a retry. */
		int terminate = reason == SF_CANCEL_END_USER_REJECTION ||
		                reason == SF_CANCEL_PPR_NOT_ALLOWED ||
		                reason == SF_CANCEL_METADATA_MISMATCH;
		rc = sf_smdp_session_cancelled(s->db, x->iccid, x->rs.eid, terminate, now_s());
		notify_operator(s, x->op, x->rs.eid, x->iccid, x->profile_type, 3, 0, "8.8",
		                terminate ? "3.8" : "4.2", d);
	}
	audit(s, req, "device", NULL, "cancelSession", x->iccid[0] ? x->iccid : NULL, x->rs.eid, rc,
	      d);
	if (rc) {
		es9_fail(req, rc, "cancelSession", NULL);
		goto out;
	}
	session_drop(s, x);
	reply(req, 200, NULL, NULL, NULL, NULL);
out:
	free(csr);
}

/* ---- ES2+ ---- */

static const struct status_map es2_status[] = {
    {SF_ESMDP_UNKNOWN, "8.2.1", "3.9", 200},        /* ICCID unknown */
    {SF_ESMDP_STATE, "8.2.1", "3.5", 200},          /* not in the right state */
    {SF_ESMDP_NONE_AVAILABLE, "8.2.5", "3.7", 200}, /* profile type unavailable */
    {SF_ESMDP_EID, "8.1.1", "3.10", 200},           /* another EID */
    {SF_ESMDP_MATCHING_ID, "8.2.6", "3.3", 200},    /* matchingId in use / wrong */
    {SF_EINVAL, "1.2.1", "2.1", 400},
    {0, "8.8", "3.8", 200},
};

static void es2_fail(struct evhttp_request *req, int rc, const char *fn)
{
	const struct status_map *m = status_of(es2_status, rc);
	reply(req, m->http, NULL, m->subject, m->reason, "%s: %s", fn, sf_strerror(rc));
}

static const char *jstr(json_t *j, const char *k)
{
	const char *v = json_string_value(json_object_get(j, k));
	return v && *v ? v : NULL;
}

static int es2_fields(struct evhttp_request *req, json_t *j, const char *const *allowed)
{
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v)
	{
		int ok = strcmp(k, "header") == 0;
		for (size_t i = 0; allowed[i]; i++)
			ok |= strcmp(k, allowed[i]) == 0;
		if (!ok) {
			BAD(req, "unknown field %s", k);
			return -1;
		}
		if (strcmp(k, "header") && strcmp(k, "releaseFlag") && !json_is_string(v)) {
			BAD(req, "%s: expected a string", k);
			return -1;
		}
	}
	return 0;
}

static void es2(struct server *s, struct evhttp_request *req, const char *fn, json_t *j,
                const char *op)
{
	int64_t now = now_s();
	int rc;
	json_t *o = NULL;
	const char *iccid = jstr(j, "iccid"), *eid = jstr(j, "eid"), *mid = jstr(j, "matchingId");
	if (strcmp(fn, "downloadOrder") == 0) {
		static const char *const f[] = {"eid", "iccid", "profileType", NULL};
		const char *pt = jstr(j, "profileType");
		char out[SF_SMDP_ICCID_MAX + 1];
		if (es2_fields(req, j, f))
			return;
		if (!iccid == !pt) {
			BAD(req, "downloadOrder: give iccid or profileType (one of them)");
			return;
		}
		rc = sf_smdp_download_order(s->db, op, eid, iccid, pt, now, out);
		audit(s, req, "operator", op, fn, rc ? iccid : out, eid, rc, pt);
		if (rc)
			return es2_fail(req, rc, fn);
		o = json_object();
		json_object_set_new(o, "iccid", json_string(out));
	} else if (strcmp(fn, "confirmOrder") == 0) {
		static const char *const f[] = {
		    "iccid",       "eid",         "matchingId", "confirmationCode",
		    "smdsAddress", "releaseFlag", NULL};
		const char *cc = jstr(j, "confirmationCode");
		json_t *rf = json_object_get(j, "releaseFlag");
		char out[SF_SMDP_NAME_MAX + 1];
		if (es2_fields(req, j, f))
			return;
		if (!iccid || !json_is_boolean(rf)) {
			BAD(req,
			    "confirmOrder: iccid (string) and releaseFlag (boolean) are required");
			return;
		}
		rc = sf_smdp_confirm_order(s->db, op, iccid, eid, mid, (const uint8_t *)cc,
		                           cc ? strlen(cc) : 0, json_is_true(rf), now, out);
		audit(s, req, "operator", op, fn, iccid, eid, rc,
		      rc                 ? NULL
		      : json_is_true(rf) ? "released"
		                         : "confirmed");
		if (rc)
			return es2_fail(req, rc, fn);
		o = json_object();
		if (eid)
			json_object_set_new(o, "eid", json_string(eid));
		json_object_set_new(o, "matchingId", json_string(out));
		json_object_set_new(o, "smdpAddress", json_string(s->address));
	} else if (strcmp(fn, "cancelOrder") == 0) {
		static const char *const f[] = {"iccid", "eid", "matchingId",
		                                "finalProfileStatusIndicator", NULL};
		const char *fin = jstr(j, "finalProfileStatusIndicator");
		if (es2_fields(req, j, f))
			return;
		if (!iccid || !fin || (strcmp(fin, "Available") && strcmp(fin, "Unavailable"))) {
			BAD(req,
			    "cancelOrder: iccid and finalProfileStatusIndicator (\"Available\" or "
			    "\"Unavailable\") are required");
			return;
		}
		rc = sf_smdp_cancel_order(s->db, op, iccid, eid, mid, strcmp(fin, "Available") == 0,
		                          now);
		audit(s, req, "operator", op, fn, iccid, eid, rc, fin);
		if (rc)
			return es2_fail(req, rc, fn);
	} else if (strcmp(fn, "releaseProfile") == 0) {
		static const char *const f[] = {"iccid", NULL};
		if (es2_fields(req, j, f))
			return;
		if (!iccid) {
			BAD(req, "releaseProfile: iccid is required");
			return;
		}
		rc = sf_smdp_release(s->db, op, iccid, now);
		audit(s, req, "operator", op, fn, iccid, NULL, rc, NULL);
		if (rc)
			return es2_fail(req, rc, fn);
	} else {
		reply(req, 404, NULL, "1.2.1", "3.9", "no ES2+ function %s", fn);
		return;
	}
	reply(req, 200, o, NULL, NULL, NULL);
}

/* ---- routing ---- */

static void route_request(struct server *s, struct evhttp_request *req)
{
	const char *path = sf__https_path(req);
	if (s->stopping) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
		reply(req, 503, NULL, "8.8", "4.2", "the SM-DP+ is shutting down");
		return;
	}
	if (!rate_ok(s, sf__https_peer(req))) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
		reply(req, 429, NULL, "8.8", "4.2", "too many requests from %s",
		      sf__https_peer(req));
		return;
	}
	if (strcmp(path, "/health") == 0 && evhttp_request_get_command(req) == EVHTTP_REQ_GET) {
		json_t *o = json_object();
		json_object_set_new(o, "status", json_string("ok"));
		send_json(req, 200, o);
		return;
	}
	static const char es9[] = "/gsma/rsp2/es9plus/", es2p[] = "/gsma/rsp2/es2plus/";
	if (strncmp(path, es9, sizeof(es9) - 1) == 0) {
		const char *fn = path + sizeof(es9) - 1;
		static const struct {
			const char *name;
			void (*h)(struct server *, struct evhttp_request *, json_t *);
		} t[] = {{"initiateAuthentication", es9_initiate},
		         {"authenticateClient", es9_authenticate},
		         {"getBoundProfilePackage", es9_get_bpp},
		         {"handleNotification", es9_notification},
		         {"cancelSession", es9_cancel}};
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (strcmp(fn, t[i].name) == 0) {
				json_t *j = request_json(req);
				if (j) {
					t[i].h(s, req, j);
					json_decref(j);
				}
				return;
			}
		reply(req, 404, NULL, "1.2.1", "3.9", "no ES9+ function %s", fn);
		return;
	}
	if (strncmp(path, es2p, sizeof(es2p) - 1) == 0) {
		uint8_t digests[SF_SMDP_OPERATORS_MAX][32];
		for (size_t i = 0; i < s->c->nops; i++)
			memcpy(digests[i], s->c->ops[i].token_sha256, 32);
		int who =
		    sf__https_bearer(req, (const uint8_t(*)[32])digests, s->c->nops, TOKEN_LEN_MAX);
		if (who < 0) {
			sf_smdp_audit(s->db, "operator:?", path + sizeof(es2p) - 1, NULL, NULL,
			              "unauthorized", sf__https_peer(req), now_s());
			reply(req, 401, NULL, "1.1.1", "1.2",
			      "send \"Authorization: Bearer TOKEN\" with the token of your "
			      "operators/NAME.json");
			return;
		}
		json_t *j = request_json(req);
		if (j) {
			es2(s, req, path + sizeof(es2p) - 1, j, s->c->ops[who].name);
			json_decref(j);
		}
		return;
	}
	send_json(req, 404, json_pack("{s:s,s:s}", "error", "not_found", "path", path));
}

/* ---- group commit ---- */

/* Sends a held answer and hands its notices on. */
static void release(struct server *s, struct held *h)
{
	if (h->req && h->answered)
		sf__https_send(h->req, h->code, h->reason, h->body);
	else if (h->body)
		evbuffer_free(h->body);
	h->body = NULL;
	notices_enqueue(s, h->notices);
	h->notices = NULL;
}

/* The sync failed: what the request changed may not be on disk, so its
 * answer cannot stand, nor its notices.  SGP.22: execution error, retry
 * later; the answer's own headers go, the connection closes. */
static void refuse(struct held *h)
{
	if (h->body)
		evbuffer_free(h->body);
	h->body = NULL;
	for (struct notice *n = h->notices, *next; n; n = next) {
		next = n->next;
		notice_free(n);
	}
	h->notices = NULL;
	if (!h->req || !h->answered)
		return;
	struct evkeyvalq *out = evhttp_request_get_output_headers(h->req);
	evhttp_clear_headers(out);
	evhttp_add_header(out, "Connection", "close");
	struct held *saved = capture;
	capture = NULL;
	reply(h->req, 503, NULL, "8.8", "4.2",
	      "the SM-DP+ could not make the change durable: retry later");
	capture = saved;
}

/* A held request whose connection is freed: forget it.  A request that
 * libevent detached from a failed connection but still expects an answer
 * for (to free it) keeps its pointer. */
static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct server *s = arg;
	for (struct held *h = s->hhead; h; h = h->next)
		if (h->evcon == evcon) {
			if (h->req && evhttp_request_get_connection(h->req) == evcon)
				h->req = NULL;
			h->evcon = NULL; /* freed after this callback, either way */
		}
}

static void begin_stop(struct server *s, const char *why)
{
	if (s->stopping)
		return;
	s->stopping = 1;
	fprintf(stderr, "smdp serve: %s: stopping\n", why);
	sf__https_stop_accepting(&s->h);
	/* Requests are answered within their turn of the loop (held ones by
	 * the sync at its end); leave a moment for the answers to leave the
	 * socket buffers. */
	struct timeval tv = {0, 200000};
	event_base_loopexit(s->base, &tv);
}

/* The WAL could not be synced: nothing can be promised any more (Linux
 * reports a failed writeback once; a later fsync may succeed over lost
 * pages), so the server stops. */
static void sync_failed(struct server *s)
{
	fprintf(stderr, "smdp serve: %s\n", sf_smdp_last_error(s->db));
	s->sync_failed = 1;
	begin_stop(s, "the database cannot be synced to disk");
}

/* One sync for every answer held.  Activated by each held request at the
 * lowest priority, it runs when no request is ready any more, so that
 * under load one sync serves many; and at the latest FLUSH_DEADLINE_US
 * after the first answer was held (deadline_ev, highest priority): libevent
 * runs no lower priority in a turn that ran a higher one, so without the
 * deadline a steady stream of requests could hold answers for ever. */
#define FLUSH_DEADLINE_US 2000
static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct server *s = arg;
	event_del(s->deadline_ev);
	struct held *list = s->hhead;
	s->hhead = NULL;
	s->htail = &s->hhead;
	if (!list)
		return;
	int rc = sf_smdp_db_sync(s->db);
	s->syncs++;
	for (struct held *h = list, *next; h; h = next) {
		next = h->next;
		s->synced_answers += h->answered;
		if (h->evcon)
			evhttp_connection_set_closecb(h->evcon, NULL, NULL);
		if (rc == 0)
			release(s, h);
		else
			refuse(h);
		free(h);
	}
	if (rc)
		sync_failed(s);
}

/* Every request: handled with its answer and notices captured.  Nothing
 * written and nothing held: all sent at once.  Written: all held for the
 * next sync; but authenticateClient's answer (lazy) goes at once, only its
 * notices wait.  Nothing written while answers are held: held too, behind
 * them, so that no answer can tell of a change before it is durable (today
 * every handler that reads the database also writes its audit entry; this
 * keeps it so for one that would not). */
static void route(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	struct held h;
	memset(&h, 0, sizeof(h));
	h.req = req;
	h.ntail = &h.notices;
	int64_t before = sf_smdp_db_changes(s->db);
	capture = &h;
	route_request(s, req);
	capture = NULL;
	if (h.notices)
		notices_persist(s, h.notices);
	if (sf_smdp_db_changes(s->db) == before && !s->hhead) {
		release(s, &h);
		return;
	}
	if (h.lazy) {
		if (h.answered)
			sf__https_send(req, h.code, h.reason, h.body);
		h.answered = 0;
		h.body = NULL;
		h.req = NULL; /* what is left to hold: the notices, if any */
		if (!h.notices)
			return;
	}
	struct held *p = malloc(sizeof(*p));
	if (!p) { /* no memory to wait: sync now */
		if (sf_smdp_db_sync(s->db) == 0) {
			release(s, &h);
		} else {
			refuse(&h);
			sync_failed(s);
		}
		return;
	}
	*p = h;
	p->ntail = NULL; /* it pointed into h; nothing is captured any more */
	p->evcon = p->req ? evhttp_request_get_connection(req) : NULL;
	if (p->evcon)
		evhttp_connection_set_closecb(p->evcon, conn_closed, s);
	if (!s->hhead) {
		struct timeval dl = {0, FLUSH_DEADLINE_US};
		event_add(s->deadline_ev, &dl);
	}
	*s->htail = p;
	s->htail = &p->next;
	event_active(s->flush_ev, EV_TIMEOUT, 0);
}

/* ---- operators' credentials ---- */

/* DATA/operators/NAME.json {"operator","token","url"}: read the token when
 * the file exists (it must be private), else make one; (re)write the file
 * with the current URL.  Keeps only SHA-256(token). */
static int operator_credentials(const struct sf__smdp_config *c, struct sf__smdp_operator *op,
                                const char *url)
{
	char dir[SF_SMDP_PATH + 16], path[SF_SMDP_PATH + 96], tmp[SF_SMDP_PATH + 112];
	char token[TOKEN_LEN_MAX + 1] = "";
	int rc = SF_ESMDP_CONFIG;
	snprintf(dir, sizeof(dir), "%s/operators", c->data);
	snprintf(path, sizeof(path), "%s/%s.json", dir, op->name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.json.tmp", dir, op->name);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		sf_cli_err("%s: %s", dir, strerror(errno));
		return SF_EIO;
	}
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		if (!sf_file_is_private(fd)) {
			sf_cli_err(
			    "%s: must be a regular file of mode 0600 owned by you (chmod 600 %s)",
			    path, path);
			close(fd);
			return SF_ESMDP_CONFIG;
		}
		json_error_t e;
		json_t *j = json_loadfd(fd, JSON_REJECT_DUPLICATES, &e);
		close(fd);
		const char *t = j ? json_string_value(json_object_get(j, "token")) : NULL;
		if (!t || strlen(t) < 16 || strlen(t) > TOKEN_LEN_MAX) {
			sf_cli_err(
			    "%s: expected {\"operator\",\"token\" (16..%d characters),\"url\"}",
			    path, TOKEN_LEN_MAX);
			json_decref(j);
			return SF_ESMDP_CONFIG;
		}
		snprintf(token, sizeof(token), "%s", t);
		json_decref(j);
	} else if (errno == ENOENT) {
		uint8_t r[32];
		if (sf_rng_fill(sf_rng_system(), r, sizeof(r)) != 0) {
			sf_cli_err("%s: no random token: the system CSPRNG failed", path);
			return SF_ERNG;
		}
		sf_hex_encode(token, sizeof(token), r, sizeof(r));
		sf_wipe(r, sizeof(r));
	} else {
		sf_cli_err("%s: %s", path, strerror(errno));
		return SF_EIO;
	}
	sf_sha256(token, strlen(token), op->token_sha256);
	json_t *j = json_pack("{s:s,s:s,s:s}", "operator", op->name, "token", token, "url", url);
	char *txt = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	unlink(tmp);
	fd = txt ? open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
	if (fd >= 0) {
		size_t n = strlen(txt);
		int ok =
		    write(fd, txt, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
		ok &= close(fd) == 0;
		if (ok && rename(tmp, path) == 0)
			rc = 0;
		else
			unlink(tmp);
	}
	if (rc)
		sf_cli_err("%s: cannot write the operator's credentials: %s", path,
		           strerror(errno));
	if (txt) {
		sf_wipe(txt, strlen(txt));
		free(txt);
	}
	sf_wipe(token, sizeof(token));
	return rc;
}

/* ---- PKI ---- */

static int ensure_test_pki(const struct sf__smdp_config *c)
{
	if (c->pki_from_config)
		return 0;
	char dir[SF_SMDP_PATH + 8];
	snprintf(dir, sizeof(dir), "%s/pki", c->data);
	if (access(c->ci, F_OK) == 0)
		return 0;
	struct sf_pki_init_opts o;
	memset(&o, 0, sizeof(o));
	o.now = now_s() - 3600; /* a little clock skew between machines */
	int rc = sf_pki_init(dir, &o);
	if (rc) {
		sf_cli_err("%s: cannot create the test PKI: %s (%s)", dir, sf_strerror(rc),
		           sf_err_name(rc));
		return rc;
	}
	fprintf(stderr,
	        "smdp serve: generated a TEST PKI in %s (CI, EUM, DPauth, DPpb, DPtls): for tests "
	        "and demos only, never production.  Give eUICCs this CI: simfleet euicc init "
	        "--state DIR --pki %s\n",
	        dir, dir);
	return 0;
}

/* ---- signals, timer ---- */

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	begin_stop(arg, sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct server *s = arg;
	sessions_expire(s, now_s(), 0);
}

/* ---- command ---- */

static const char serve_usage[] =
    "Usage: simfleet smdp serve [--config FILE] [--data DIR] [--listen HOST:PORT]\n\n"
    "Runs the SM-DP+ (GSMA SGP.22) over HTTPS (docs/smdp.md):\n"
    "  ES9+  POST /gsma/rsp2/es9plus/{initiateAuthentication, authenticateClient,\n"
    "        getBoundProfilePackage, handleNotification, cancelSession}   (devices)\n"
    "  ES2+  POST /gsma/rsp2/es2plus/{downloadOrder, confirmOrder, cancelOrder,\n"
    "        releaseProfile}   (operators: Authorization: Bearer TOKEN)\n"
    "  GET   /health\n"
    "Defaults: --data ./smdp-data, --listen 127.0.0.1:8443 (port 0 = any free port).\n"
    "On first start without a config naming certificates, a TEST PKI is generated\n"
    "into DATA/pki; the operator `default` gets its token in DATA/operators/default.json\n"
    "(mode 0600).  Prints \"smdp serve: listening on https://HOST:PORT\" to stderr\n"
    "when ready; SIGTERM or SIGINT stops it gracefully.\n";

int sf__cmd_smdp_serve(int argc, char **argv)
{
	enum { O_CONFIG = 1000, O_DATA, O_LISTEN, O_HELP };
	static const struct option lo[] = {{"config", required_argument, 0, O_CONFIG},
	                                   {"data", required_argument, 0, O_DATA},
	                                   {"listen", required_argument, 0, O_LISTEN},
	                                   {"help", no_argument, 0, O_HELP},
	                                   {0, 0, 0, 0}};
	const char *config = NULL, *data = NULL, *listen = NULL;
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (ch) {
		case O_CONFIG:
			config = optarg;
			break;
		case O_DATA:
			data = optarg;
			break;
		case O_LISTEN:
			listen = optarg;
			break;
		case 'h':
		case O_HELP:
			fputs(serve_usage, stdout);
			return SF_EXIT_OK;
		default:
			sf_cli_err("smdp serve: unknown or incomplete option %s (see --help)",
			           argv[optind - 1]);
			return SF_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		sf_cli_err("smdp serve: unexpected argument %s (see --help)", argv[optind]);
		return SF_EXIT_USAGE;
	}
	static struct sf__smdp_config c; /* large: not on the stack */
	static struct server s;
	memset(&s, 0, sizeof(s));
	if (sf__smdp_config_load(&c, config, data, listen))
		return SF_EXIT_USAGE;
	s.c = &c;
	s.qtail = &s.qhead;
	s.htail = &s.hhead;
	if (sf__https_parse_listen(c.listen, c.host, &c.port)) {
		sf_cli_err("--listen %s: expected a numeric ADDRESS:PORT (e.g. 127.0.0.1:8443, "
		           "[::1]:8443; port 0 = any free port)",
		           c.listen);
		return SF_EXIT_USAGE;
	}
	int rc = SF_EXIT_FAIL;
	if (mkdir(c.data, 0700) != 0 && errno != EEXIST) {
		sf_cli_err("--data %s: cannot create the directory: %s", c.data, strerror(errno));
		return SF_EXIT_FAIL;
	}
	if (ensure_test_pki(&c) ||
	    sf__https_tls(&s.h, c.dptls_cert, c.dptls_key, "DPtls certificate", "DPtls key"))
		goto out;
	if (sf__smdp_open_db(&c, &s.db))
		goto out;
	if (sf_smdp_db_defer_sync(s.db)) {
		sf_cli_err("smdp serve: %s", sf_smdp_last_error(s.db));
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	/* The epoll changelist: the TLS bufferevent switches a connection's
	 * read and write interests on and off several times per request; with
	 * the changelist only the net change of each loop iteration reaches
	 * the kernel. */
	struct event_config *ec = event_config_new();
	if (ec && event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) == 0)
		s.base = event_base_new_with_config(ec);
	if (ec)
		event_config_free(ec);
	if (!s.base) {
		sf_cli_err("smdp serve: cannot create the event loop");
		goto out;
	}
	/* Three priorities: the connections, signals and tick at the middle one
	 * (libevent's default), the sync at the lowest, its deadline at the
	 * highest (see flush_cb). */
	if (event_base_priority_init(s.base, 3) != 0) {
		sf_cli_err("smdp serve: cannot set up the event loop's priorities");
		goto out;
	}
	s.sigterm_ev = evsignal_new(s.base, SIGTERM, stop_cb, &s);
	s.sigint_ev = evsignal_new(s.base, SIGINT, stop_cb, &s);
	s.tick_ev = event_new(s.base, -1, EV_PERSIST, tick_cb, &s);
	s.flush_ev = event_new(s.base, -1, 0, flush_cb, &s);
	s.deadline_ev = evtimer_new(s.base, flush_cb, &s);
	struct timeval tick = {5, 0};
	if (!s.sigterm_ev || !s.sigint_ev || !s.tick_ev || !s.flush_ev || !s.deadline_ev ||
	    event_priority_set(s.flush_ev, 2) || event_priority_set(s.deadline_ev, 0) ||
	    evsignal_add(s.sigterm_ev, NULL) ||
	    evsignal_add(s.sigint_ev, NULL) || event_add(s.tick_ev, &tick)) {
		sf_cli_err("smdp serve: cannot set up the event loop");
		goto out;
	}
	struct sf__https_limits lim = {c.body_max, HEADERS_MAX, CONN_TIMEOUT_S};
	if (sf__https_listen(&s.h, s.base, c.host, c.port, &lim, route, &s, "--listen"))
		goto out;
	int v6 = strchr(c.host, ':') != NULL;
	if (c.address[0])
		snprintf(s.address, sizeof(s.address), "%s", c.address);
	else
		snprintf(s.address, sizeof(s.address), "%s%s%s:%u", v6 ? "[" : "", c.host,
		         v6 ? "]" : "", (unsigned)s.h.port);
	char url[320];
	snprintf(url, sizeof(url), "https://%s", s.address);
	int lrc = sf_rsp_smdp_load(&s.dp, s.address, c.ci, c.dpauth_cert, c.dpauth_key, c.dppb_cert,
	                           c.dppb_key, NULL);
	if (lrc) {
		sf_cli_err("SM-DP+ credentials (CI %s, DPauth %s, DPpb %s): %s (%s)", c.ci,
		           c.dpauth_cert, c.dppb_cert, sf_strerror(lrc), sf_err_name(lrc));
		goto out;
	}
	s.dp_loaded = 1;
	/* The EUM certificates eUICCs will present, parsed once (rsp.h). */
	for (size_t i = 0; i < c.neums; i++) {
		int erc = sf_rsp_smdp_add_eum(&s.dp, c.eums[i]);
		if (erc)
			fprintf(stderr,
			        "smdp serve: EUM certificate %s not preloaded: %s (eUICCs presenting "
			        "it are still served)\n",
			        c.eums[i], sf_strerror(erc));
	}
	for (size_t i = 0; i < c.nops; i++)
		if (operator_credentials(&c, &c.ops[i], url))
			goto out;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	if (pthread_create(&s.thread, NULL, notifier, &s) == 0) {
		s.thread_up = 1;
	} else {
		fprintf(stderr, "smdp serve: no notifier thread: operators will not be notified\n");
	}
	fprintf(stderr,
	        "smdp serve: listening on https://%s%s%s:%u (SM-DP+ address %s, %zu "
	        "operator%s)\n",
	        v6 ? "[" : "", c.host, v6 ? "]" : "", (unsigned)s.h.port, s.address, c.nops,
	        c.nops == 1 ? "" : "s");
	fflush(stderr);
	if (event_base_dispatch(s.base) < 0) {
		sf_cli_err("smdp serve: the event loop failed");
		goto out;
	}
	rc = s.sync_failed ? SF_EXIT_FAIL : SF_EXIT_OK;
out:
	if (s.hhead && s.base) { /* answers still waiting for a sync: the loop ended first */
		flush_cb(-1, 0, &s);
		event_base_loop(s.base, EVLOOP_NONBLOCK); /* one more turn, to send them */
	}
	/* Commits answered without a sync (authenticateClient's) reach the
	 * disk too, even if another process keeps the database open and so no
	 * checkpoint comes with the close. */
	if (s.db && !s.sync_failed && sf_smdp_db_sync(s.db) != 0) {
		fprintf(stderr, "smdp serve: %s\n", sf_smdp_last_error(s.db));
		rc = SF_EXIT_FAIL;
	}
	if (s.sync_failed)
		rc = SF_EXIT_FAIL;
	if (s.thread_up) {
		pthread_mutex_lock(&s.mu);
		s.qstop = 1;
		pthread_cond_broadcast(&s.cv);
		pthread_mutex_unlock(&s.mu);
		pthread_join(s.thread, NULL);
		for (struct notice *n = s.qhead, *next; n; n = next) { /* in the outbox */
			next = n->next;
			notice_free(n);
		}
		s.qhead = NULL;
		pthread_mutex_destroy(&s.mu);
		pthread_cond_destroy(&s.cv);
		curl_global_cleanup();
	}
	sessions_expire(&s, 0, 1);
	sf__https_free(&s.h);
	if (s.sigterm_ev)
		event_free(s.sigterm_ev);
	if (s.sigint_ev)
		event_free(s.sigint_ev);
	if (s.tick_ev)
		event_free(s.tick_ev);
	if (s.flush_ev)
		event_free(s.flush_ev);
	if (s.deadline_ev)
		event_free(s.deadline_ev);
	if (s.base)
		event_base_free(s.base);
	if (s.dp_loaded)
		sf_rsp_smdp_free(&s.dp);
	sf_smdp_db_close(s.db);
	if (rc == SF_EXIT_OK)
		fprintf(stderr, "smdp serve: stopped (%lu answers waited for %lu syncs of the database)\n",
		        s.synced_answers, s.syncs);
	sf_wipe(&c, sizeof(c));
	return rc;
}
