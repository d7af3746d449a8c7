/*
 * simfleet attach: a network attach, simulated, against a real HLR.
 *
 * The network side of UMTS AKA (TS 33.102 §6.3): the serving network asks
 * the home network for authentication vectors with GSUP SendAuthInfo (the
 * Osmocom equivalent of MAP Send Authentication Info, TS 29.002 §8.5.2),
 * sends RAND and AUTN to the USIM with AUTHENTICATE (TS 31.102 §7.1.2) and
 * accepts the device when RES = XRES.  When the USIM answers a
 * synchronisation failure (SQN not fresh, TS 33.102 §6.3.5) the network
 * sends AUTS and the RAND it came from in a second SendAuthInfo; the AuC
 * recovers SQN_MS, resets its counter after it and issues fresh vectors,
 * which are tried once.
 *
 * The card: the software eUICC in-process (--state, which locks the state
 * directory) or a running `simfleet euicc serve --socket PATH` (vpcd framing:
 * 2-octet length + APDU each way; T=0 behaviour, so 61xx is followed by GET
 * RESPONSE).  The IMSI comes from EF_IMSI (6F07) of ADF.USIM, TS 31.102
 * §4.2.2.
 *
 * Where the vectors come from is a small seam (struct vsource): one call
 * fetches a 3G vector for the IMSI, or, given RAND and AUTS, resynchronises
 * first; the attach flow itself (run_attach) is the same for both sources.
 *
 * --hlr: libosmocore's GSUP client (libosmo-gsup-client), an optional
 * build dependency; without it the command says so and exits 1.  Its
 * logging has no target, so nothing of a vector is ever printed.
 *
 * --auc: simfleet's own AuC (`simfleet auc serve`, docs/auc.md) over HTTPS
 * with libcurl: POST /v1/vectors {"imsi","n":1,"type":"3g"}, and on a sync
 * failure POST /v1/resync {"imsi","rand","auts"} before the next vector.
 * The bearer token comes from a 0600 file and is never printed; answers are
 * wiped after parsing.
 *
 * The JSON output names steps and results only, never RAND/AUTN/RES/CK/IK.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "simfleet/err.h"
#include "simfleet/euicc.h"
#include "simfleet/ipa.h"
#include "simfleet/tre.h"
#include "simfleet/util.h"

#ifdef SF_HAVE_GSUP_CLIENT
#include <osmocom/core/logging.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/gsm/gsup.h>
#include <osmocom/gsm/ipa.h>
#include <osmocom/gsm/protocol/gsm_04_08_gprs.h>
#include <osmocom/gsupclient/gsup_client.h>
#endif

#define GSUP_TIMEOUT_S 5
#define AUC_TIMEOUT_S 20

/* ---- the card: the device agent's APDU transport (include/simfleet/ipa.h),
 * opened by sf_cli_card_open as for `simfleet device` ---- */

/* Sends cmd; fetches 61xx with GET RESPONSE.  Returns 0 with *sw set, or an
 * error.  rsp gets the data (without SW). */
static int apdu(struct sf_ipa_transport *c, const uint8_t *cmd, size_t len, uint8_t *rsp,
                size_t cap, size_t *rlen, unsigned *sw)
{
	uint8_t buf[300];
	size_t n = 0;
	int rc = c->transmit(c, cmd, len, buf, sizeof(buf), &n);
	if (rc == 0 && n >= 2 && buf[n - 2] == 0x61) {
		uint8_t gr[5] = {0x00, 0xc0, 0x00, 0x00, buf[n - 1]};
		rc = c->transmit(c, gr, sizeof(gr), buf, sizeof(buf), &n);
	}
	if (rc == 0 && (n < 2 || n - 2 > cap))
		rc = SF_ECARD_APP;
	if (rc == 0) {
		*sw = ((unsigned)buf[n - 2] << 8) | buf[n - 1];
		memcpy(rsp, buf, n - 2);
		*rlen = n - 2;
	}
	sf_wipe(buf, sizeof(buf));
	return rc;
}

/* ---- steps and the result ---- */

struct attach {
	struct sf_ipa_transport card;
	json_t *steps;
	char imsi[16];
	const char *result;
};

static json_t *step(struct attach *a, const char *name)
{
	json_t *s = json_object();
	json_object_set_new(s, "step", json_string(name));
	json_array_append_new(a->steps, s);
	return s;
}

static void step_sw(json_t *s, unsigned sw)
{
	char t[5];
	snprintf(t, sizeof(t), "%04x", sw);
	json_object_set_new(s, "sw", json_string(t));
}

static int sw_ok(unsigned sw)
{
	return sw == 0x9000 || (sw >> 8) == 0x91 || (sw >> 8) == 0x9f;
}

/* TS 31.102 §4.2.2 EF_IMSI: length octet, then BCD digits, low nibble
 * first; the first nibble is the parity/type field (x001 with bit 4 set for
 * an odd number of digits), not a digit. */
static int decode_imsi(const uint8_t *ef, size_t len, char out[16])
{
	if (len < 2 || ef[0] < 1 || ef[0] > 8 || (size_t)ef[0] + 1 > len)
		return -1;
	size_t nd = 0;
	for (size_t i = 0; i < ef[0]; i++) {
		for (int hi = 0; hi < 2; hi++) {
			if (i == 0 && hi == 0) {
				if ((ef[1] & 0x07) != 0x01)
					return -1;
				continue;
			}
			unsigned d = hi ? ef[1 + i] >> 4 : ef[1 + i] & 0x0f;
			if (d == 0x0f)
				continue;
			if (d > 9 || nd == 15)
				return -1;
			out[nd++] = (char)('0' + d);
		}
	}
	out[nd] = '\0';
	return nd >= 6 ? 0 : -1;
}

static int read_imsi(struct attach *a)
{
	static const uint8_t sel_usim[] = {0x00, 0xa4, 0x04, 0x04, 0x07, 0xa0,
	                                   0x00, 0x00, 0x00, 0x87, 0x10, 0x02};
	static const uint8_t sel_imsi[] = {0x00, 0xa4, 0x00, 0x0c, 0x02, 0x6f, 0x07};
	static const uint8_t rd[] = {0x00, 0xb0, 0x00, 0x00, 0x09};
	uint8_t r[260];
	size_t n;
	unsigned sw;
	json_t *s = step(a, "select_usim");
	int rc = apdu(&a->card, sel_usim, sizeof(sel_usim), r, sizeof(r), &n, &sw);
	if (rc) {
		json_object_set_new(s, "error", json_string(sf_err_name(rc)));
		a->result = "card_error";
		return -1;
	}
	step_sw(s, sw);
	if (!sw_ok(sw)) {
		a->result = "no_usim"; /* 6A82: no enabled profile */
		return -1;
	}
	s = step(a, "read_imsi");
	rc = apdu(&a->card, sel_imsi, sizeof(sel_imsi), r, sizeof(r), &n, &sw);
	if (!rc && sw_ok(sw))
		rc = apdu(&a->card, rd, sizeof(rd), r, sizeof(r), &n, &sw);
	if (rc || !sw_ok(sw) || decode_imsi(r, n, a->imsi) != 0) {
		if (rc)
			json_object_set_new(s, "error", json_string(sf_err_name(rc)));
		else
			step_sw(s, sw);
		a->result = "card_error";
		return -1;
	}
	json_object_set_new(s, "imsi", json_string(a->imsi));
	return 0;
}

/* AUTHENTICATE (TS 31.102 §7.1.2, 3G context, P2 = 81).  Returns 0 on
 * success (res/ck/ik filled), 1 on sync failure (auts filled), -1 with
 * a->result set otherwise. */
static int authenticate(struct attach *a, const uint8_t rand[16], const uint8_t autn[16],
                        uint8_t *res, size_t *res_len, uint8_t ck[16], uint8_t ik[16],
                        uint8_t auts[14])
{
	uint8_t cmd[5 + 1 + 16 + 1 + 16 + 1] = {0x00, 0x88, 0x00, 0x81, 0x22, 0x10};
	uint8_t r[260];
	size_t n;
	unsigned sw;
	int ret = -1;
	memcpy(cmd + 6, rand, 16);
	cmd[22] = 0x10;
	memcpy(cmd + 23, autn, 16);
	json_t *s = step(a, "authenticate");
	int rc = apdu(&a->card, cmd, sizeof(cmd), r, sizeof(r), &n, &sw);
	if (rc) {
		json_object_set_new(s, "error", json_string(sf_err_name(rc)));
		a->result = "card_error";
		goto out;
	}
	step_sw(s, sw);
	if (sw == 0x9862) {
		json_object_set_new(s, "result", json_string("mac_failure"));
		a->result = "mac_failure";
		goto out;
	}
	if (sw != 0x9000 || n < 1) {
		a->result = "card_error";
		goto out;
	}
	if (r[0] == 0xdc && n >= 16 && r[1] == 14) {
		memcpy(auts, r + 2, 14);
		json_object_set_new(s, "result", json_string("sync_failure"));
		ret = 1;
		goto out;
	}
	/* DB L RES L CK L IK [L Kc] */
	if (r[0] != 0xdb || n < 2 || r[1] < 4 || r[1] > 16 || n < 2u + r[1] + 34 ||
	    r[2 + r[1]] != 16 || r[3 + r[1] + 16] != 16) {
		a->result = "card_error";
		goto out;
	}
	*res_len = r[1];
	memcpy(res, r + 2, r[1]);
	memcpy(ck, r + 3 + r[1], 16);
	memcpy(ik, r + 4 + r[1] + 16, 16);
	json_object_set_new(s, "result", json_string("success"));
	ret = 0;
out:
	sf_wipe(r, sizeof(r));
	return ret;
}

/* ---- the vector seam: where RAND/AUTN/XRES/CK/IK come from ---- */

struct vec3g {
	uint8_t rand[16], autn[16], xres[16], ck[16], ik[16];
	size_t xres_len;
};

struct vsource {
	/* One 3G vector for a->imsi into *v; with rand and auts set, the source
	 * first resynchronises from AUTS (TS 33.102 §6.3.5).  Records its steps;
	 * 0, or -1 with a->result set. */
	int (*get)(struct vsource *src, struct attach *a, const uint8_t *rand, const uint8_t *auts,
	           struct vec3g *v);
	void *impl;
};

/* RES = XRES and the keys agree: the network accepts the device. */
static int compare(struct attach *a, const struct vec3g *v, const uint8_t *res, size_t res_len,
                   const uint8_t *ck, const uint8_t *ik)
{
	json_t *s = step(a, "compare");
	int res_ok = res_len == v->xres_len && sf_ct_eq(res, v->xres, res_len);
	int ck_ok = sf_ct_eq(ck, v->ck, 16);
	int ik_ok = sf_ct_eq(ik, v->ik, 16);
	json_object_set_new(s, "res", json_string(res_ok ? "match" : "mismatch"));
	json_object_set_new(s, "ck", json_string(ck_ok ? "match" : "mismatch"));
	json_object_set_new(s, "ik", json_string(ik_ok ? "match" : "mismatch"));
	if (!res_ok) {
		a->result = "res_mismatch";
		return -1;
	}
	if (!ck_ok || !ik_ok) {
		a->result = "key_mismatch";
		return -1;
	}
	a->result = "ok";
	return 0;
}

/* The attach: a vector, AUTHENTICATE, and on a sync failure one resync and
 * one more try. */
static void run_attach(struct attach *a, struct vsource *src)
{
	struct vec3g v;
	uint8_t res[16], ck[16], ik[16], auts[14], rand[16];
	size_t res_len = 0;
	memset(&v, 0, sizeof(v));
	if (src->get(src, a, NULL, NULL, &v))
		goto out;
	int ar = authenticate(a, v.rand, v.autn, res, &res_len, ck, ik, auts);
	if (ar == 1) {
		/* Sync failure: AUTS goes back with the RAND it answers. */
		memcpy(rand, v.rand, 16);
		sf_wipe(&v, sizeof(v));
		if (src->get(src, a, rand, auts, &v))
			goto out;
		ar = authenticate(a, v.rand, v.autn, res, &res_len, ck, ik, auts);
		if (ar == 1) {
			a->result = "sync_failure";
			goto out;
		}
	}
	if (ar == 0)
		compare(a, &v, res, res_len, ck, ik);
out:
	sf_wipe(&v, sizeof(v));
	sf_wipe(res, sizeof(res));
	sf_wipe(ck, sizeof(ck));
	sf_wipe(ik, sizeof(ik));
	sf_wipe(auts, sizeof(auts));
}

#ifdef SF_HAVE_GSUP_CLIENT
/* ---- GSUP SendAuthInfo through libosmo-gsup-client ---- */

struct gsup {
	void *ctx;
	struct osmo_gsup_client *gc;
	struct osmo_timer_list timeout, send_timer;
	int up, waiting, done, timed_out;
	const char *imsi;
	const uint8_t *rand, *auts; /* resync request when set */
	/* answer */
	int is_error;
	int cause;
	size_t nvec;
	struct osmo_auth_vector vec; /* the first vector (secret) */
	int proto_err;
};

static void gsup_send(struct gsup *g)
{
	struct osmo_gsup_message m;
	memset(&m, 0, sizeof(m));
	m.message_type = OSMO_GSUP_MSGT_SEND_AUTH_INFO_REQUEST;
	snprintf(m.imsi, sizeof(m.imsi), "%s", g->imsi);
	m.cn_domain = OSMO_GSUP_CN_DOMAIN_PS;
	m.rand = g->rand;
	m.auts = g->auts;
	if (osmo_gsup_client_enc_send(g->gc, &m) != 0) {
		g->proto_err = 1;
		g->done = 1;
	}
}

/* osmo-hlr learns the client's IPA name (and so its IND slot, TS 33.102
 * C.3.4) from the IPA identity exchange that follows the TCP connect; the
 * request goes out a moment after the link is up so it follows that
 * exchange. */
static void send_timer_cb(void *data)
{
	struct gsup *g = data;
	if (g->up && g->waiting)
		gsup_send(g);
}

static bool gsup_updown(struct osmo_gsup_client *gc, bool up)
{
	struct gsup *g = gc->data;
	g->up = up;
	if (up && g->waiting)
		osmo_timer_schedule(&g->send_timer, 0, 100000);
	return true;
}

static int gsup_read(struct osmo_gsup_client *gc, struct msgb *msg)
{
	struct gsup *g = gc->data;
	struct osmo_gsup_message m;
	int rc = osmo_gsup_decode(msgb_l2(msg), msgb_l2len(msg), &m);
	if (!g->waiting) {
		msgb_free(msg);
		return 0;
	}
	if (rc < 0 || strcmp(m.imsi, g->imsi) != 0) {
		g->proto_err = 1;
	} else if (m.message_type == OSMO_GSUP_MSGT_SEND_AUTH_INFO_ERROR) {
		g->is_error = 1;
		g->cause = (int)m.cause;
	} else if (m.message_type == OSMO_GSUP_MSGT_SEND_AUTH_INFO_RESULT) {
		g->nvec = m.num_auth_vectors;
		if (g->nvec == 0 || !(m.auth_vectors[0].auth_types & OSMO_AUTH_TYPE_UMTS))
			g->proto_err = 1;
		else
			memcpy(&g->vec, &m.auth_vectors[0], sizeof(g->vec));
		sf_wipe(m.auth_vectors, sizeof(m.auth_vectors));
	} else {
		msgb_free(msg);
		return 0; /* not our answer */
	}
	g->done = 1;
	g->waiting = 0;
	sf_wipe(msgb_data(msg), msgb_length(msg));
	msgb_free(msg);
	return 0;
}

static void timeout_cb(void *data)
{
	struct gsup *g = data;
	g->timed_out = 1;
	g->done = 1;
}

static const struct log_info gsup_log_info = {.cat = NULL, .num_cat = 0};

static int gsup_open(struct gsup *g, const char *host, unsigned port)
{
	memset(g, 0, sizeof(*g));
	g->ctx = talloc_named_const(NULL, 0, "simfleet-attach");
	if (!g->ctx)
		return SF_ENOMEM;
	/* Logging with no target: libosmocore would otherwise need its own
	 * setup, and vectors must not reach a log. */
	log_init(&gsup_log_info, g->ctx);
	struct ipaccess_unit *dev = talloc_zero(g->ctx, struct ipaccess_unit);
	if (!dev)
		return SF_ENOMEM;
	dev->unit_name = "simfleet-attach";
	struct osmo_gsup_client_config cfg = {
	    .ipa_dev = dev,
	    .ip_addr = host,
	    .tcp_port = port,
	    .read_cb = gsup_read,
	    .up_down_cb = gsup_updown,
	    .data = g,
	};
	osmo_timer_setup(&g->send_timer, send_timer_cb, g);
	osmo_timer_setup(&g->timeout, timeout_cb, g);
	g->gc = osmo_gsup_client_create3(g->ctx, &cfg);
	return g->gc ? 0 : SF_ETRANSPORT_IO;
}

/* One SendAuthInfo round trip; 0, or SF_EGSUP_TIMEOUT / SF_EGSUP_PROTO. */
static int gsup_sai(struct gsup *g, const char *imsi, const uint8_t *rand, const uint8_t *auts)
{
	g->imsi = imsi;
	g->rand = rand;
	g->auts = auts;
	g->is_error = 0;
	g->nvec = 0;
	g->proto_err = 0;
	g->done = 0;
	g->timed_out = 0;
	g->waiting = 1;
	osmo_timer_schedule(&g->timeout, GSUP_TIMEOUT_S, 0);
	if (g->up)
		gsup_send(g);
	while (!g->done)
		osmo_select_main(0);
	osmo_timer_del(&g->timeout);
	osmo_timer_del(&g->send_timer);
	g->waiting = 0;
	if (g->timed_out)
		return SF_EGSUP_TIMEOUT;
	return g->proto_err ? SF_EGSUP_PROTO : 0;
}

static void gsup_close(struct gsup *g)
{
	osmo_timer_del(&g->timeout);
	osmo_timer_del(&g->send_timer);
	if (g->gc)
		osmo_gsup_client_destroy(g->gc);
	g->gc = NULL;
	sf_wipe(&g->vec, sizeof(g->vec));
	log_fini(); /* before its context goes: no dangling osmo_log_info */
	talloc_free(g->ctx);
	g->ctx = NULL;
}

/* Records a SendAuthInfo answer as a step; 0 when a vector is there, -1
 * with a->result set otherwise. */
static int sai_step(struct attach *a, struct gsup *g, int rc, int resync)
{
	json_t *s = step(a, resync ? "send_auth_info_resync" : "send_auth_info");
	if (rc == SF_EGSUP_TIMEOUT) {
		json_object_set_new(s, "error", json_string(sf_err_name(rc)));
		a->result = g->up ? "hlr_timeout" : "hlr_unreachable";
		return -1;
	}
	if (rc) {
		json_object_set_new(s, "error", json_string(sf_err_name(rc)));
		a->result = "hlr_error";
		return -1;
	}
	if (g->is_error) {
		json_object_set_new(s, "cause", json_integer(g->cause));
		json_object_set_new(
		    s, "cause_name",
		    json_string(get_value_string(gsm48_gmm_cause_names, (uint32_t)g->cause)));
		/* 7/11: the HLR bars the subscriber (osmo-hlr's causes for a network
		 * access mode that forbids the domain; `auc serve --gsup` for a
		 * suspended subscriber). */
		a->result = g->cause == GMM_CAUSE_IMSI_UNKNOWN ? "unknown_subscriber"
		            : g->cause == GMM_CAUSE_GPRS_NOTALLOWED || g->cause == GMM_CAUSE_PLMN_NOTALLOWED
		                ? "suspended"
		                : "hlr_error";
		return -1;
	}
	json_object_set_new(s, "vectors", json_integer((json_int_t)g->nvec));
	return 0;
}

/* The vector source over GSUP: SendAuthInfo, with RAND and AUTS for a
 * resync (osmo-hlr resynchronises and answers fresh vectors). */
static int gsup_get(struct vsource *src, struct attach *a, const uint8_t *rand, const uint8_t *auts,
                    struct vec3g *v)
{
	struct gsup *g = src->impl;
	int rc = gsup_sai(g, a->imsi, rand, auts);
	if (sai_step(a, g, rc, rand != NULL))
		return -1;
	if (g->vec.res_len > sizeof(v->xres)) {
		sf_wipe(&g->vec, sizeof(g->vec));
		a->result = "hlr_error";
		return -1;
	}
	memcpy(v->rand, g->vec.rand, 16);
	memcpy(v->autn, g->vec.autn, 16);
	memcpy(v->xres, g->vec.res, g->vec.res_len);
	v->xres_len = g->vec.res_len;
	memcpy(v->ck, g->vec.ck, 16);
	memcpy(v->ik, g->vec.ik, 16);
	sf_wipe(&g->vec, sizeof(g->vec));
	return 0;
}

static void run_hlr(struct attach *a, const char *host, unsigned port)
{
	struct gsup g;
	if (gsup_open(&g, host, port) != 0) {
		a->result = "hlr_error";
	} else {
		struct vsource src = {.get = gsup_get, .impl = &g};
		run_attach(a, &src);
	}
	gsup_close(&g);
}
#endif /* SF_HAVE_GSUP_CLIENT */

/* ---- simfleet's AuC over HTTPS (libcurl) ---- */

#define AUC_BODY_MAX 16384
#define AUC_TOKEN_MAX 512

struct auc {
	CURL *curl;
	const char *url; /* base, https://HOST:PORT */
	const char *cacert;
	struct curl_slist *hdrs;
	char auth[sizeof("Authorization: Bearer ") + AUC_TOKEN_MAX];
};

struct body {
	char buf[AUC_BODY_MAX];
	size_t len;
};

static size_t body_write(char *p, size_t sz, size_t n, void *user)
{
	struct body *b = user;
	size_t k = sz * n;
	if (k >= sizeof(b->buf) - b->len)
		return 0; /* too large: the transfer fails */
	memcpy(b->buf + b->len, p, k);
	b->len += k;
	return k;
}

/* The first token of a tokens file as `auc serve` takes it (one a line,
 * blank and # lines skipped): a regular 0600 file owned by the user.
 * 0, or -1 after a message (the token is never in it). */
static int read_token(const char *path, char *tok, size_t cap)
{
	char buf[4096];
	struct stat st;
	int ret = -1;
	ssize_t r = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		sf_cli_err("--auc-token %s: %s", path, strerror(errno));
		goto out;
	}
	if (!sf_file_is_private(fd)) {
		sf_cli_err("--auc-token %s: must be a regular file of mode 0600 owned by you "
		           "(chmod 600 %s)",
		           path, path);
		goto out;
	}
	r = read(fd, buf, sizeof(buf) - 1);
	if (r < 0) {
		sf_cli_err("--auc-token %s: %s", path, strerror(errno));
		r = 0;
		goto out;
	}
	buf[r] = '\0';
	for (char *ln = buf, *next; ln; ln = next) {
		next = strchr(ln, '\n');
		if (next)
			*next++ = '\0';
		char *t = sf_cli_trim(ln);
		if (!*t || *t == '#')
			continue;
		size_t tl = strlen(t);
		int printable = 1;
		for (size_t i = 0; i < tl; i++)
			if (t[i] <= ' ' || t[i] > '~')
				printable = 0;
		if (tl < 16 || tl > AUC_TOKEN_MAX || tl >= cap || !printable)
			break;
		memcpy(tok, t, tl + 1);
		ret = 0;
		break;
	}
	if (ret)
		sf_cli_err("--auc-token %s: no token (16..%d printable characters without spaces "
		           "on the first line that is not blank or a # comment)",
		           path, AUC_TOKEN_MAX);
out:
	sf_wipe(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Wipes every string of a JSON answer (hex secrets) before it is freed. */
static void json_wipe(json_t *j)
{
	size_t i;
	const char *k;
	json_t *v;
	if (json_is_string(j))
		sf_wipe((char *)(uintptr_t)json_string_value(j), json_string_length(j));
	else if (json_is_array(j))
		json_array_foreach(j, i, v) json_wipe(v);
	else if (json_is_object(j))
		json_object_foreach(j, k, v) json_wipe(v);
}

/* POST PATH with the JSON request (taken).  Records step NAME; 0 with *ans
 * (the parsed 200 answer, when ans is given), or -1 with a->result set:
 * 404 unknown_subscriber, 409 suspended, 401 auc_unauthorized, otherwise
 * auc_error. */
static int auc_call(struct auc *c, struct attach *a, const char *name, const char *path,
                    json_t *req, json_t **ans)
{
	static struct body b;
	char url[600], errbuf[CURL_ERROR_SIZE] = "";
	json_t *s = step(a, name);
	char *data = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_t *j = NULL;
	long status = 0;
	int ret = -1;
	json_decref(req);
	a->result = "auc_error";
	if (!data) {
		json_object_set_new(s, "error", json_string("out_of_memory"));
		return -1;
	}
	snprintf(url, sizeof(url), "%s%s", c->url, path);
	b.len = 0;
	CURL *h = c->curl;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)AUC_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, data);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(data));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (c->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	CURLcode cc = curl_easy_perform(h);
	sf_wipe(data, strlen(data));
	free(data);
	if (cc != CURLE_OK) {
		json_object_set_new(s, "error",
		                    json_string(errbuf[0] ? errbuf : curl_easy_strerror(cc)));
		a->result = cc == CURLE_COULDNT_CONNECT ? "auc_unreachable" : "auc_error";
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	json_object_set_new(s, "http", json_integer(status));
	j = json_loadb(b.buf, b.len, 0, NULL);
	if (status != 200) {
		const char *word = json_string_value(json_object_get(j, "error"));
		if (word)
			json_object_set_new(s, "error", json_string(word));
		if (status == 404 && word && strcmp(word, "unknown_subscriber") == 0)
			a->result = "unknown_subscriber";
		else if (status == 409 && word && strcmp(word, "suspended") == 0)
			a->result = "suspended";
		else if (status == 401)
			a->result = "auc_unauthorized";
		goto out;
	}
	if (!j) {
		json_object_set_new(s, "error", json_string("bad_answer"));
		goto out;
	}
	if (ans) {
		*ans = j;
		j = NULL;
	}
	ret = 0;
out:
	sf_wipe(b.buf, sizeof(b.buf));
	json_wipe(j);
	json_decref(j);
	return ret;
}

static int hex_field(json_t *o, const char *key, uint8_t *dst, size_t min, size_t max, size_t *len)
{
	const char *h = json_string_value(json_object_get(o, key));
	size_t n = 0;
	if (!h || sf_hex_decode(dst, max, &n, h, strlen(h)) != 0 || n < min)
		return -1;
	if (len)
		*len = n;
	return 0;
}

/* The vector source over HTTPS: POST /v1/resync first when AUTS is given,
 * then POST /v1/vectors for one 3G quintet. */
static int auc_get(struct vsource *src, struct attach *a, const uint8_t *rand, const uint8_t *auts,
                   struct vec3g *v)
{
	struct auc *c = src->impl;
	json_t *ans = NULL;
	if (rand) {
		char rh[33], ah[29];
		sf_hex_encode(rh, sizeof(rh), rand, 16);
		sf_hex_encode(ah, sizeof(ah), auts, 14);
		json_t *req = json_pack("{s:s,s:s,s:s}", "imsi", a->imsi, "rand", rh, "auts", ah);
		if (auc_call(c, a, "auc_resync", "/v1/resync", req, NULL))
			return -1;
	}
	json_t *req = json_pack("{s:s,s:i,s:s}", "imsi", a->imsi, "n", 1, "type", "3g");
	if (auc_call(c, a, "auc_vectors", "/v1/vectors", req, &ans))
		return -1;
	json_t *q = json_array_get(ans, 0);
	int bad = hex_field(q, "rand", v->rand, 16, 16, NULL) ||
	          hex_field(q, "autn", v->autn, 16, 16, NULL) ||
	          hex_field(q, "xres", v->xres, 4, 16, &v->xres_len) ||
	          hex_field(q, "ck", v->ck, 16, 16, NULL) ||
	          hex_field(q, "ik", v->ik, 16, 16, NULL);
	json_t *s = json_array_get(a->steps, json_array_size(a->steps) - 1);
	if (bad) {
		json_object_set_new(s, "error", json_string("bad_answer"));
		a->result = "auc_error";
	} else {
		json_object_set_new(s, "vectors", json_integer((json_int_t)json_array_size(ans)));
	}
	json_wipe(ans);
	json_decref(ans);
	return bad ? -1 : 0;
}

static void run_auc(struct attach *a, struct auc *c)
{
	c->curl = curl_easy_init();
	if (!c->curl) {
		json_object_set_new(step(a, "auc_vectors"), "error", json_string("curl_init"));
		a->result = "auc_error";
		return;
	}
	struct vsource src = {.get = auc_get, .impl = c};
	run_attach(a, &src);
	curl_easy_cleanup(c->curl);
	c->curl = NULL;
}

/* gsup://HOST:PORT (IPv4 or a name; libosmo-gsup-client takes an address
 * string).  0 or -1. */
static int parse_hlr(const char *s, char *host, size_t cap, unsigned *port)
{
	uint16_t p;
	if (strncmp(s, "gsup://", 7) != 0 || sf_hostport_parse(s + 7, host, cap, &p, 0) != 0)
		return -1;
	*port = p;
	return 0;
}

static const char attach_usage[] =
    "Usage: simfleet attach (--state DIR | --socket PATH | --pcsc [READER])\n"
    "                       (--auc URL --auc-token FILE [--cacert FILE] | --hlr gsup://HOST:PORT)\n"
    "\n"
    "Simulates a network attach: reads the IMSI from the enabled profile's USIM, gets\n"
    "an authentication vector, runs AUTHENTICATE on the eUICC and compares RES with\n"
    "XRES and CK/IK; on a synchronisation failure it resynchronises with AUTS and\n"
    "tries once more.\n"
    "  --auc URL         simfleet's AuC (`simfleet auc serve`), https://HOST:PORT:\n"
    "                    POST /v1/vectors and /v1/resync\n"
    "  --auc-token FILE  its bearer token: the first token line of a 0600 file\n"
    "  --cacert FILE     CA certificates for the AuC's TLS certificate (default:\n"
    "                    the system's)\n"
    "  --hlr gsup://HOST:PORT  an HLR speaking GSUP SendAuthInfo (osmo-hlr: 4222)\n"
    "--state opens the eUICC in-process; --socket talks to a running\n"
    "`simfleet euicc serve --socket PATH`; --pcsc uses a card in a PC/SC reader (the\n"
    "first with a card when none is named), e.g. a real eUICC or UICC in a modem's\n"
    "reader, or the software eUICC behind pcscd + vpcd.  Prints one JSON object:\n"
    "{\"result\": ok|mac_failure|sync_failure|unknown_subscriber|suspended|no_usim|\n"
    "res_mismatch|key_mismatch|hlr_unreachable|hlr_timeout|hlr_error|auc_unauthorized|\n"
    "auc_unreachable|auc_error|card_error, \"imsi\", \"steps\"}.\n"
    "Exit 0 only for ok, 1 for any other result, 2 for bad arguments.\n"
    "No RAND, AUTN, RES, key or token is ever printed.\n";

int sf_cmd_attach(int argc, char **argv)
{
	enum { O_STATE = 1, O_SOCKET, O_PCSC, O_HLR, O_AUC, O_TOKEN, O_CACERT, O_HELP };
	static const struct option opts[] = {{"state", required_argument, 0, O_STATE},
	                                     {"socket", required_argument, 0, O_SOCKET},
	                                     {"pcsc", optional_argument, 0, O_PCSC},
	                                     {"hlr", required_argument, 0, O_HLR},
	                                     {"auc", required_argument, 0, O_AUC},
	                                     {"auc-token", required_argument, 0, O_TOKEN},
	                                     {"cacert", required_argument, 0, O_CACERT},
	                                     {"help", no_argument, 0, O_HELP},
	                                     {0, 0, 0, 0}};
	const char *state = NULL, *sock = NULL, *hlr = NULL, *auc = NULL, *token = NULL,
	           *cacert = NULL, *reader = NULL;
	int pcsc = 0;
	char host[256];
	unsigned port = 0;
	int o;
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case O_STATE:
			state = optarg;
			break;
		case O_SOCKET:
			sock = optarg;
			break;
		case O_PCSC:
			/* "--pcsc READER": the next word unless it is an option */
			pcsc = 1;
			reader = optarg;
			if (!optarg && optind < argc && argv[optind][0] != '-')
				reader = argv[optind++];
			break;
		case O_HLR:
			hlr = optarg;
			break;
		case O_AUC:
			auc = optarg;
			break;
		case O_TOKEN:
			token = optarg;
			break;
		case O_CACERT:
			cacert = optarg;
			break;
		case 'h':
		case O_HELP:
			fputs(attach_usage, stdout);
			return SF_EXIT_OK;
		default:
			sf_cli_err("attach: unknown or incomplete option %s (see --help)",
			           argv[optind - 1]);
			return SF_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		sf_cli_err("attach: unexpected argument %s (see --help)", argv[optind]);
		return SF_EXIT_USAGE;
	}
	if ((state != NULL) + (sock != NULL) + pcsc != 1) {
		sf_cli_err("attach: give exactly one of --state DIR, --socket PATH or --pcsc [READER]");
		return SF_EXIT_USAGE;
	}
	if (!hlr == !auc) {
		sf_cli_err("attach: give exactly one of --auc URL or --hlr gsup://HOST:PORT");
		return SF_EXIT_USAGE;
	}
	if (hlr && (token || cacert)) {
		sf_cli_err("attach: --auc-token and --cacert go with --auc");
		return SF_EXIT_USAGE;
	}
	if (hlr && parse_hlr(hlr, host, sizeof(host), &port) != 0) {
		sf_cli_err("--hlr %s: expected gsup://HOST:PORT, e.g. gsup://127.0.0.1:4222", hlr);
		return SF_EXIT_USAGE;
	}
	struct auc ac;
	memset(&ac, 0, sizeof(ac));
	if (auc) {
		size_t ul = strlen(auc);
		if (strncmp(auc, "https://", 8) != 0 || ul <= 8 || ul > 400) {
			sf_cli_err(
			    "--auc %s: expected https://HOST:PORT, e.g. https://localhost:8443",
			    auc);
			return SF_EXIT_USAGE;
		}
		if (!token) {
			sf_cli_err("attach: --auc needs --auc-token FILE");
			return SF_EXIT_USAGE;
		}
		char tok[AUC_TOKEN_MAX + 1];
		if (read_token(token, tok, sizeof(tok)) != 0)
			return SF_EXIT_USAGE;
		snprintf(ac.auth, sizeof(ac.auth), "Authorization: Bearer %s", tok);
		sf_wipe(tok, sizeof(tok));
		ac.url = auc;
		ac.cacert = cacert;
	}
#ifndef SF_HAVE_GSUP_CLIENT
	if (hlr) {
		sf_cli_err(
		    "attach --hlr: this simfleet was built without libosmo-gsup-client (%s): "
		    "install libosmo-gsup-client-dev (scripts/bootstrap) and rebuild",
		    sf_strerror(SF_EGSUP_UNAVAILABLE));
		return SF_EXIT_FAIL;
	}
#endif
	struct attach a = {.result = "card_error"};
	struct sf_euicc *e = NULL;
	int rc = sf_cli_card_open(state, sock, reader, pcsc, &a.card, &e);
	if (rc) {
		sf_wipe(ac.auth, sizeof(ac.auth));
		return rc;
	}
	a.steps = json_array();
	if (read_imsi(&a) == 0) {
		if (auc) {
			if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
				a.result = "auc_error";
			} else {
				ac.hdrs = curl_slist_append(NULL, ac.auth);
				ac.hdrs =
				    curl_slist_append(ac.hdrs, "Content-Type: application/json");
				run_auc(&a, &ac);
				for (struct curl_slist *l = ac.hdrs; l; l = l->next)
					sf_wipe(l->data, strlen(l->data));
				curl_slist_free_all(ac.hdrs);
				curl_global_cleanup();
			}
		}
#ifdef SF_HAVE_GSUP_CLIENT
		else {
			run_hlr(&a, host, port);
		}
#endif
	}
	sf_wipe(ac.auth, sizeof(ac.auth));
	sf_cli_card_close(&a.card, e);
	json_t *out = json_object();
	json_object_set_new(out, "result", json_string(a.result));
	json_object_set_new(out, "imsi", a.imsi[0] ? json_string(a.imsi) : json_null());
	json_object_set_new(out, "steps", a.steps);
	int ok = strcmp(a.result, "ok") == 0;
	rc = sf_cli_print(out);
	return ok && rc == SF_EXIT_OK ? SF_EXIT_OK : SF_EXIT_FAIL;
}
