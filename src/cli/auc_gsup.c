/*
 * The GSUP front-end of `simfleet auc serve` (auc_gsup.h, docs/auc.md "GSUP
 * front-end"): network elements that speak GSUP to osmo-hlr (osmo-msc,
 * osmo-sgsn, `simfleet attach --hlr`) authenticate against simfleet's AuC
 * instead.
 *
 *   Transport   IPA multiplex on TCP (gsup_ipa.h): stream 0xFE CCM, stream 0xEE
 *               extension 0x05 GSUP
 *   Handshake   as osmo-hlr's GSUP server: ID_GET right after accept; the
 *               client answers ID_RESP + ID_ACK; ID_ACK is acknowledged,
 *               PING answered with PONG
 *   Messages    SendAuthInfo only (GSUP message types and IEs through
 *               libosmogsm's osmo_gsup_decode / osmo_gsup_encode); every
 *               other request gets its error type with cause 97 (message
 *               type not implemented), results and errors are ignored
 *
 * SendAuthInfo: num_vectors IE if present (1..5), else 5, osmo-hlr's count
 * (the size of the GSUP message's auth tuple array).  Each tuple carries the
 * quintet (RAND, AUTN, CK, IK, RES) and the GSM pair derived with c2/c3
 * (SRES, Kc).  RAND + AUTS first resynchronise (sf_auc_resync, after the
 * host flushed what was queued) and then vectors follow.  Errors carry
 * osmo-hlr's GMM causes: unknown IMSI 2 (IMSI unknown in HLR), a failed
 * resync or any server failure 17 (network failure), a malformed IMSI 96
 * (invalid mandatory information); a suspended subscriber gets the cause
 * osmo-hlr gives a subscriber whose network access mode forbids the domain
 * (7 GPRS services not allowed for PS or no CN domain, 11 PLMN not allowed
 * for CS).  The IND of a connection is the lowest slot no other live
 * connection holds (osmo-hlr's rule), modulo 2^5 (the default IND length).
 *
 * Group commit: a SendAuthInfo request is queued (struct greq) and the
 * host's lowest-priority flush event activated; the flush puts HTTPS and
 * GSUP requests into the same sf_auc_vectors() batch.  Request records are
 * recycled through a free list and the encode buffer is reused, so the
 * steady state allocates nothing per request but libevent's output chains.
 * Answers are appended to the connection's bufferevent and leave in one
 * write per loop iteration (TCP_NODELAY).
 *
 * Robustness: a frame that breaks IPA (empty, longer than FRAME_MAX, an
 * unknown stream or extension) or GSUP that does not decode closes that
 * connection with one log line; nothing else is affected.  At most IN_HIGH
 * octets of unread input are buffered per connection.  Reading from a
 * connection pauses while CONN_INFLIGHT_MAX of its requests are unanswered,
 * its unsent output exceeds OUT_HIGH, or QUEUE_MAX requests wait overall.
 * GSUP has no authentication: bind it to a trusted network only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "auc_gsup.h"
#include "gsup_ipa.h"
#include "simfleet/aka.h"
#include "simfleet/auc.h"
#include "simfleet/err.h"
#include "simfleet/util.h"

#ifndef SF_HAVE_OSMOGSM

int sf__auc_gsup_available(void)
{
	return 0;
}

int sf__auc_gsup_start(const struct auc_gsup_host *host, const char *hostport,
                       struct auc_gsup **out)
{
	(void)host;
	(void)hostport;
	*out = NULL;
	fprintf(stderr,
	        "auc serve: --gsup: %s (%s): install libosmocore-dev (scripts/bootstrap) and "
	        "rebuild\n",
	        sf_strerror(SF_EGSUP_SERVER_UNAVAILABLE), sf_err_name(SF_EGSUP_SERVER_UNAVAILABLE));
	return SF_EGSUP_SERVER_UNAVAILABLE;
}

size_t sf__auc_gsup_queued(const struct auc_gsup *g)
{
	(void)g;
	return 0;
}

size_t sf__auc_gsup_take(struct auc_gsup *g, struct sf_auc_req *reqs, size_t max)
{
	(void)g;
	(void)reqs;
	(void)max;
	return 0;
}

void sf__auc_gsup_answer(struct auc_gsup *g, const struct sf_auc_req *reqs, size_t n, int rc)
{
	(void)g;
	(void)reqs;
	(void)n;
	(void)rc;
}

void sf__auc_gsup_stop(struct auc_gsup *g)
{
	(void)g;
}

void sf__auc_gsup_free(struct auc_gsup *g)
{
	(void)g;
}

#else /* SF_HAVE_OSMOGSM */

#include <osmocom/core/logging.h>
#include <osmocom/core/msgb.h>
#include <osmocom/crypt/auth.h>
#include <osmocom/gsm/gsup.h>
#include <osmocom/gsm/protocol/gsm_04_08_gprs.h>

#define FRAME_MAX 4096u                             /* largest IPA payload accepted */
#define CONN_INFLIGHT_MAX 1024u                     /* unanswered requests of one connection */
#define QUEUE_MAX 16384u                            /* requests waiting for a batch, overall */
#define OUT_HIGH (1024u * 1024)                     /* unsent output of one connection */
#define IN_HIGH (64u * 1024)                        /* unread input buffered for one connection */
#define CONNS_MAX 1024u                             /* connections at once */
#define FREE_MAX 4096u                              /* request records kept for reuse */
#define NAME_LEN 64                                 /* IPA name kept for the log */
#define SRC_MAX 64                                  /* source name echoed as destination */
#define DEFAULT_VECTORS OSMO_GSUP_MAX_NUM_AUTH_INFO /* osmo-hlr: its array size */
#define IND_SLOTS (1u << SF_SQN_IND_BITS_DEFAULT)

struct gconn {
	struct gconn *next, **pprev;
	struct auc_gsup *g;
	struct bufferevent *bev;
	unsigned slot;   /* IND = slot % IND_SLOTS */
	size_t inflight; /* queued or in a batch */
	int paused;
	char peer[INET6_ADDRSTRLEN + 8];
	char name[NAME_LEN];
};

/* One SendAuthInfo waiting for (or in) a batch. */
struct greq {
	struct greq *next;
	struct gconn *c; /* NULL once the connection closed */
	struct sf_auc_req q;
	char imsi[SF_AUC_IMSI_MAX + 1];
	enum osmo_gsup_cn_domain cn;
	enum osmo_gsup_message_class mclass;
	size_t src_len;
	uint8_t src[SRC_MAX];
	struct sf_auc_vec out[OSMO_GSUP_MAX_NUM_AUTH_INFO];
};

struct auc_gsup {
	struct auc_gsup_host h;
	struct evconnlistener *lis;
	struct gconn *conns;
	size_t nconns;
	struct greq *head, **tail;   /* waiting for the next batch */
	struct greq *taken, **ttail; /* in the batch being run */
	struct greq *free;
	size_t queued, ntaken, nfree;
	struct msgb *enc; /* reused for every answer */
	int log_on;
};

static const struct log_info no_log = {.cat = NULL, .num_cat = 0};

int sf__auc_gsup_available(void)
{
	return 1;
}

/* ---- connections ---- */

static void conn_close(struct gconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void conn_close(struct gconn *c, const char *fmt, ...)
{
	struct auc_gsup *g = c->g;
	if (fmt) {
		char why[160];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
		fprintf(stderr, "auc serve: GSUP %s%s%s%s: %s (%s): connection closed\n", c->peer,
		        c->name[0] ? " (" : "", c->name, c->name[0] ? ")" : "", why,
		        sf_err_name(SF_EGSUP_PEER));
	}
	for (struct greq *r = g->head; r; r = r->next)
		if (r->c == c)
			r->c = NULL;
	for (struct greq *r = g->taken; r; r = r->next)
		if (r->c == c)
			r->c = NULL;
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	g->nconns--;
	bufferevent_free(c->bev);
	free(c);
}

/* Pauses or resumes reading from c (back-pressure). */
static void conn_flow(struct gconn *c)
{
	struct auc_gsup *g = c->g;
	int want = c->inflight >= CONN_INFLIGHT_MAX || g->queued >= QUEUE_MAX ||
	           evbuffer_get_length(bufferevent_get_output(c->bev)) >= OUT_HIGH;
	if (want && !c->paused) {
		c->paused = 1;
		bufferevent_disable(c->bev, EV_READ);
	} else if (!want && c->paused) {
		c->paused = 0;
		bufferevent_enable(c->bev, EV_READ);
		/* Frames may already wait in the input buffer: look at them soon. */
		bufferevent_trigger(c->bev, EV_READ,
		                    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	}
}

/* ---- answers ---- */

/* Encodes m into one IPA/OSMO/GSUP frame on c's output; wipes the copy. */
static int send_gsup(struct gconn *c, const struct osmo_gsup_message *m)
{
	struct msgb *b = c->g->enc;
	msgb_reset(b);
	msgb_reserve(b, 4);
	if (osmo_gsup_encode(b, m) != 0) {
		fprintf(stderr, "auc serve: GSUP %s: cannot encode %s\n", c->peer,
		        osmo_gsup_message_type_name(m->message_type));
		return -1;
	}
	uint8_t hdr[4];
	size_t hl = sf__ipa_header(hdr, SF_IPA_PROTO_OSMO, SF_IPA_EXT_GSUP, msgb_length(b) + 1);
	if (hl != 4)
		return -1;
	memcpy(msgb_push(b, 4), hdr, 4);
	evbuffer_add(bufferevent_get_output(c->bev), msgb_data(b), msgb_length(b));
	sf_wipe(msgb_data(b), msgb_length(b));
	return 0;
}

/* The reply fields every answer copies from its request (osmo-hlr does the
 * same): IMSI, message class, the source name as destination. */
static void reply_init(struct osmo_gsup_message *r, int type, const char *imsi,
                       enum osmo_gsup_message_class mclass, const uint8_t *src, size_t src_len)
{
	memset(r, 0, sizeof(*r));
	r->message_type = type;
	size_t il = strnlen(imsi, sizeof(r->imsi) - 1);
	memcpy(r->imsi, imsi, il); /* no printf on the hot path */
	r->message_class = mclass;
	if (src_len) {
		r->destination_name = src;
		r->destination_name_len = src_len;
	}
}

static void send_error(struct gconn *c, const struct osmo_gsup_message *req,
                       enum gsm48_gmm_cause cause)
{
	struct osmo_gsup_message r;
	reply_init(&r, OSMO_GSUP_TO_MSGT_ERROR(req->message_type), req->imsi, req->message_class,
	           req->source_name, req->source_name_len);
	r.cause = cause;
	if (req->session_state != OSMO_GSUP_SESSION_STATE_NONE) {
		r.session_id = req->session_id;
		r.session_state = OSMO_GSUP_SESSION_STATE_END;
	}
	send_gsup(c, &r);
}

/* The GMM cause osmo-hlr would give for a library failure. */
static enum gsm48_gmm_cause cause_of(int rc, enum osmo_gsup_cn_domain cn)
{
	switch (rc) {
	case SF_EAUC_UNKNOWN:
		return GMM_CAUSE_IMSI_UNKNOWN;
	case SF_EAUC_SUSPENDED:
		return cn == OSMO_GSUP_CN_DOMAIN_CS ? GMM_CAUSE_PLMN_NOTALLOWED
		                                    : GMM_CAUSE_GPRS_NOTALLOWED;
	default:
		return GMM_CAUSE_NET_FAIL;
	}
}

static void log_failure(const struct auc_gsup *g, const char *what, const char *imsi, int rc)
{
	/* Expected outcomes are the peer's business; server trouble is logged
	 * (sf_auc_last_error holds no secret). */
	if (rc == SF_EAUC_UNKNOWN || rc == SF_EAUC_SUSPENDED || rc == SF_EAKA_MACS)
		return;
	fprintf(stderr, "auc serve: GSUP %s %s: %s (%s) %s\n", what, imsi, sf_strerror(rc),
	        sf_err_name(rc), sf_auc_last_error(g->h.auc));
}

/* SEND_AUTH_INFO_RESULT from the vectors of r, or its error. */
static void answer_one(struct gconn *c, struct greq *r, int rc)
{
	struct osmo_gsup_message m;
	if (!rc) {
		reply_init(&m, OSMO_GSUP_MSGT_SEND_AUTH_INFO_RESULT, r->imsi, r->mclass, r->src,
		           r->src_len);
		for (size_t k = 0; k < r->q.n && !rc; k++) {
			const struct sf_aka_vector *v = &r->out[k].v;
			struct osmo_auth_vector *a = &m.auth_vectors[k];
			/* The GSUP tuple holds 128-bit CK/IK/AUTN and RES up to 16 octets. */
			if (v->autn_len != 16 || v->ck_len != 16 || v->ik_len != 16 ||
			    v->xres_len > 16 || sf_aka_c2(v->xres, v->xres_len, a->sres) != 0) {
				rc = SF_EAKA_GSM;
				break;
			}
			memcpy(a->rand, v->rand, 16);
			memcpy(a->autn, v->autn, 16);
			memcpy(a->ck, v->ck, 16);
			memcpy(a->ik, v->ik, 16);
			memcpy(a->res, v->xres, v->xres_len);
			a->res_len = v->xres_len;
			sf_aka_c3(v->ck, v->ik, a->kc);
			a->auth_types = OSMO_AUTH_TYPE_GSM | OSMO_AUTH_TYPE_UMTS;
		}
		if (!rc) {
			m.num_auth_vectors = r->q.n;
			send_gsup(c, &m);
		}
		sf_wipe(m.auth_vectors, sizeof(m.auth_vectors));
		if (!rc)
			return;
	}
	log_failure(c->g, "SendAuthInfo", r->imsi, rc);
	reply_init(&m, OSMO_GSUP_MSGT_SEND_AUTH_INFO_ERROR, r->imsi, r->mclass, r->src, r->src_len);
	m.cause = cause_of(rc, r->cn);
	send_gsup(c, &m);
}

/* ---- the host's batch ---- */

size_t sf__auc_gsup_queued(const struct auc_gsup *g)
{
	return g ? g->queued : 0;
}

size_t sf__auc_gsup_take(struct auc_gsup *g, struct sf_auc_req *reqs, size_t max)
{
	size_t n = 0;
	if (!g)
		return 0;
	while (g->head && n < max) {
		struct greq *r = g->head;
		g->head = r->next;
		r->next = NULL;
		*g->ttail = r;
		g->ttail = &r->next;
		reqs[n++] = r->q;
	}
	if (!g->head)
		g->tail = &g->head;
	g->queued -= n;
	g->ntaken += n;
	return n;
}

void sf__auc_gsup_answer(struct auc_gsup *g, const struct sf_auc_req *reqs, size_t n, int rc)
{
	if (!g)
		return;
	struct greq *r = g->taken;
	for (size_t i = 0; r; i++) {
		struct greq *next = r->next;
		/* Every taken request is answered and recycled, even if the host
		 * handed back fewer results than it took (then: failed). */
		int res = rc ? rc : i < n ? reqs[i].result : SF_EINVAL;
		if (r->c) {
			answer_one(r->c, r, res);
			r->c->inflight--;
		}
		sf_wipe(r->out, r->q.n * sizeof(r->out[0]));
		if (g->nfree < FREE_MAX) {
			r->next = g->free;
			g->free = r;
			g->nfree++;
		} else {
			free(r);
		}
		r = next;
	}
	g->taken = NULL;
	g->ttail = &g->taken;
	g->ntaken = 0;
	for (struct gconn *c = g->conns; c; c = c->next)
		if (c->paused)
			conn_flow(c);
}

/* ---- requests ---- */

static int imsi_valid(const char *s)
{
	size_t n = strlen(s);
	return n >= 6 && n <= SF_AUC_IMSI_MAX && strspn(s, "0123456789") == n;
}

static void on_sai(struct gconn *c, const struct osmo_gsup_message *m)
{
	struct auc_gsup *g = c->g;
	size_t n = m->num_auth_vectors ? m->num_auth_vectors : DEFAULT_VECTORS;
	if (n > OSMO_GSUP_MAX_NUM_AUTH_INFO)
		n = OSMO_GSUP_MAX_NUM_AUTH_INFO;
	if (!m->rand != !m->auts) {
		send_error(c, m, GMM_CAUSE_COND_IE_ERR); /* a resync needs both */
		return;
	}
	if (m->rand) {
		/* Whatever is queued goes first, so the resync sees its SQNs. */
		g->h.flush(g->h.arg);
		int rc = sf_auc_resync(g->h.auc, m->imsi, m->rand, m->auts, NULL);
		if (rc) {
			log_failure(g, "resync", m->imsi, rc);
			send_error(c, m, cause_of(rc, m->cn_domain));
			return;
		}
	}
	struct greq *r = g->free;
	if (r) {
		g->free = r->next;
		g->nfree--;
	} else {
		r = malloc(sizeof(*r));
		if (!r) {
			send_error(c, m, GMM_CAUSE_NET_FAIL);
			return;
		}
	}
	memset(&r->q, 0, sizeof(r->q));
	r->next = NULL;
	r->c = c;
	size_t il = strlen(m->imsi); /* imsi_valid: at most 15 digits */
	memcpy(r->imsi, m->imsi, il + 1);
	r->cn = m->cn_domain;
	r->mclass = m->message_class;
	r->src_len = m->source_name_len <= SRC_MAX ? m->source_name_len : 0;
	if (r->src_len)
		memcpy(r->src, m->source_name, r->src_len);
	r->q.imsi = r->imsi;
	r->q.n = n;
	r->q.type = SF_AUC_V3G;
	r->q.ind = c->slot % IND_SLOTS;
	r->q.out = r->out;
	*g->tail = r;
	g->tail = &r->next;
	g->queued++;
	c->inflight++;
	/* The host's flush runs after every higher-priority callback of this
	 * loop iteration: all requests read meanwhile join one batch. */
	event_active(g->h.flush_ev, EV_TIMEOUT, 0);
}

/* One GSUP message; -1 closes the connection. */
static int on_gsup(struct gconn *c, const uint8_t *p, size_t n)
{
	struct osmo_gsup_message m;
	int rc = osmo_gsup_decode(p, n, &m);
	if (rc < 0) {
		conn_close(c, "GSUP message does not decode (cause %d)", -rc);
		return -1;
	}
	if (!OSMO_GSUP_IS_MSGT_REQUEST(m.message_type))
		return 0; /* a result or error: nothing to answer */
	if (!imsi_valid(m.imsi))
		send_error(c, &m, GMM_CAUSE_INV_MAND_INFO);
	else if (m.message_type == OSMO_GSUP_MSGT_SEND_AUTH_INFO_REQUEST)
		on_sai(c, &m);
	else
		send_error(c, &m, GMM_CAUSE_MSGT_NOTEXIST_NOTIMPL);
	return 0;
}

static void send_ccm(struct gconn *c, uint8_t type)
{
	const uint8_t f[4] = {0x00, 0x01, SF_IPA_PROTO_CCM, type};
	bufferevent_write(c->bev, f, sizeof(f));
}

/* One IPA frame; -1 when the connection was closed. */
static int on_frame(struct gconn *c, const uint8_t *f, size_t len)
{
	const uint8_t *p = f + SF_IPA_HDR_LEN;
	size_t n = len - SF_IPA_HDR_LEN;
	if (f[2] == SF_IPA_PROTO_CCM) {
		switch (p[0]) {
		case SF_IPA_CCM_PING:
			send_ccm(c, SF_IPA_CCM_PONG);
			return 0;
		case SF_IPA_CCM_ID_ACK:
			send_ccm(c, SF_IPA_CCM_ID_ACK);
			return 0;
		case SF_IPA_CCM_PONG:
		case SF_IPA_CCM_ID_GET:
			return 0;
		case SF_IPA_CCM_ID_RESP: {
			char name[NAME_LEN];
			int rc =
			    sf__ipa_id_resp_tag(p + 1, n - 1, SF_IPA_TAG_SERNR, name, sizeof(name));
			if (rc == 0 && !name[0])
				rc = 1;
			if (rc == 1)
				rc = sf__ipa_id_resp_tag(p + 1, n - 1, SF_IPA_TAG_UNITNAME, name,
				                         sizeof(name));
			if (rc < 0) {
				conn_close(c, "malformed IPA ID_RESP");
				return -1;
			}
			snprintf(c->name, sizeof(c->name), "%s", rc == 0 ? name : "");
			fprintf(stderr, "auc serve: GSUP peer %s connected from %s (IND %u)\n",
			        c->name[0] ? c->name : "(no name)", c->peer, c->slot % IND_SLOTS);
			return 0;
		}
		default:
			conn_close(c, "unknown IPA CCM message 0x%02x", p[0]);
			return -1;
		}
	}
	if (f[2] != SF_IPA_PROTO_OSMO) {
		conn_close(c, "IPA stream 0x%02x not supported (0xFE CCM, 0xEE GSUP)", f[2]);
		return -1;
	}
	if (n < 2 || p[0] != SF_IPA_EXT_GSUP) {
		conn_close(c, "IPA OSMO extension 0x%02x not supported (0x05 GSUP)", p[0]);
		return -1;
	}
	return on_gsup(c, p + 1, n - 1);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct gconn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	while (!c->paused) {
		size_t avail = evbuffer_get_length(in);
		if (avail < SF_IPA_HDR_LEN)
			return;
		const uint8_t *h = evbuffer_pullup(in, SF_IPA_HDR_LEN);
		long fl = h ? sf__ipa_frame_len(h, avail, FRAME_MAX) : -1;
		if (fl < 0) {
			conn_close(c, "IPA frame length %u (1..%u)",
			           h ? (unsigned)(h[0] << 8 | h[1]) : 0, FRAME_MAX);
			return;
		}
		if (fl == 0)
			return;
		const uint8_t *f = evbuffer_pullup(in, fl);
		if (!f || on_frame(c, f, (size_t)fl) < 0)
			return; /* closed (c is gone) */
		evbuffer_drain(in, (size_t)fl);
		conn_flow(c);
	}
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct gconn *c = arg;
	if (c->paused)
		conn_flow(c);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct gconn *c = arg;
	if (what & BEV_EVENT_ERROR) /* e.g. a reset: the network's doing, not a protocol error */
		fprintf(stderr, "auc serve: GSUP %s: %s: connection closed\n", c->peer,
		        evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF))
		conn_close(c, NULL);
}

static void accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
	(void)lis;
	(void)salen;
	struct auc_gsup *g = arg;
	if (g->nconns >= CONNS_MAX) {
		fprintf(stderr, "auc serve: GSUP: %u connections already: refusing another\n",
		        CONNS_MAX);
		evutil_closesocket(fd);
		return;
	}
	struct gconn *c = calloc(1, sizeof(*c));
	struct bufferevent *bev =
	    c ? bufferevent_socket_new(g->h.base, fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
	if (!bev) {
		free(c);
		evutil_closesocket(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
		snprintf(c->peer, sizeof(c->peer), "%s:%u", a, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
		snprintf(c->peer, sizeof(c->peer), "[%s]:%u", a, port);
	}
	/* The lowest slot no live connection holds (osmo-hlr's IND rule). */
	for (unsigned s = 0;; s++) {
		struct gconn *o = g->conns;
		while (o && o->slot != s)
			o = o->next;
		if (!o) {
			c->slot = s;
			break;
		}
	}
	c->g = g;
	c->bev = bev;
	c->next = g->conns;
	c->pprev = &g->conns;
	if (g->conns)
		g->conns->pprev = &c->next;
	g->conns = c;
	g->nconns++;
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, c);
	/* libevent stops reading while this much input waits (frames are at
	 * most FRAME_MAX, so a whole one always fits). */
	bufferevent_setwatermark(bev, EV_READ, 0, IN_HIGH);
	bufferevent_write(bev, sf__ipa_id_get, sizeof(sf__ipa_id_get));
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void accept_err_cb(struct evconnlistener *lis, void *arg)
{
	(void)lis;
	(void)arg;
	/* EMFILE and the like: log, keep listening. */
	fprintf(stderr, "auc serve: GSUP accept: %s\n",
	        evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* ---- start / stop ---- */

/* "A.B.C.D:PORT" or "[V6]:PORT", numeric, port 0..65535 (0: any). */
static int parse_addr(const char *s, struct sockaddr_storage *ss, int *sl)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon = strrchr(s, ':'), *h = s, *he = colon;
	memset(ss, 0, sizeof(*ss));
	if (!colon || !colon[1] || strlen(colon + 1) > 5 ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -1;
	unsigned long port = strtoul(colon + 1, NULL, 10);
	if (port > 65535)
		return -1;
	if (s[0] == '[') {
		if (colon == s || colon[-1] != ']')
			return -1;
		h = s + 1;
		he = colon - 1;
	}
	if (he <= h || (size_t)(he - h) >= sizeof(host))
		return -1;
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (s[0] != '[' && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*sl = (int)sizeof(*s4);
		return 0;
	}
	if (s[0] == '[' && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*sl = (int)sizeof(*s6);
		return 0;
	}
	return -1;
}

int sf__auc_gsup_start(const struct auc_gsup_host *host, const char *hostport,
                       struct auc_gsup **out)
{
	*out = NULL;
	struct sockaddr_storage ss;
	int sl = 0;
	if (parse_addr(hostport, &ss, &sl) != 0) {
		fprintf(
		    stderr,
		    "auc serve: --gsup %s: expected a numeric ADDRESS:PORT, e.g. 127.0.0.1:4222 or "
		    "[::1]:4222 (port 0 = any free port) (%s)\n",
		    hostport, sf_err_name(SF_ETRANSPORT_ADDR));
		return SF_ETRANSPORT_ADDR;
	}
	struct auc_gsup *g = calloc(1, sizeof(*g));
	if (!g)
		return SF_ENOMEM;
	g->h = *host;
	g->tail = &g->head;
	g->ttail = &g->taken;
	/* libosmocore logs through osmo_log_info: give it one without targets
	 * (nothing of a decode failure must reach a log unfiltered). */
	log_init(&no_log, NULL);
	g->log_on = 1;
	g->enc = msgb_alloc(FRAME_MAX + 64, "auc-gsup");
	if (!g->enc) {
		sf__auc_gsup_free(g);
		return SF_ENOMEM;
	}
	g->lis = evconnlistener_new_bind(host->base, accept_cb, g,
	                                 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
	                                     LEV_OPT_CLOSE_ON_EXEC,
	                                 128, (struct sockaddr *)&ss, sl);
	if (!g->lis) {
		fprintf(stderr, "auc serve: --gsup %s: cannot listen there (%s: %s)\n", hostport,
		        sf_err_name(SF_ENET_LISTEN), strerror(errno));
		sf__auc_gsup_free(g);
		return SF_ENET_LISTEN;
	}
	evconnlistener_set_error_cb(g->lis, accept_err_cb);
	struct sockaddr_storage b;
	socklen_t bl = sizeof(b);
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (getsockname(evconnlistener_get_fd(g->lis), (struct sockaddr *)&b, &bl) == 0) {
		if (b.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&b)->sin6_addr, a, sizeof(a));
			port = ntohs(((struct sockaddr_in6 *)&b)->sin6_port);
		} else {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&b)->sin_addr, a, sizeof(a));
			port = ntohs(((struct sockaddr_in *)&b)->sin_port);
		}
	}
	fprintf(stderr, "auc serve: GSUP listening on %s%s%s:%u\n",
	        b.ss_family == AF_INET6 ? "[" : "", a, b.ss_family == AF_INET6 ? "]" : "", port);
	fflush(stderr);
	*out = g;
	return 0;
}

void sf__auc_gsup_stop(struct auc_gsup *g)
{
	if (g && g->lis) {
		evconnlistener_free(g->lis);
		g->lis = NULL;
	}
}

void sf__auc_gsup_free(struct auc_gsup *g)
{
	if (!g)
		return;
	sf__auc_gsup_stop(g);
	while (g->conns)
		conn_close(g->conns, NULL);
	struct greq *lists[] = {g->head, g->taken, g->free};
	for (size_t i = 0; i < 3; i++)
		for (struct greq *r = lists[i], *next; r; r = next) {
			next = r->next;
			sf_wipe(r, sizeof(*r));
			free(r);
		}
	if (g->enc)
		msgb_free(g->enc);
	if (g->log_on)
		log_fini();
	free(g);
}

#endif /* SF_HAVE_OSMOGSM */
