/*
 * ES9+ client (LPA -> SM-DP+) and the profile download flow of the device
 * agent.
 *
 *   GSMA SGP.22 v2.5 §3.1.3   profile download and installation (the LPA's part)
 *   GSMA SGP.22 v2.5 §5.6     ES9+ functions
 *   GSMA SGP.22 v2.5 §6.5     JSON binding: HTTPS POST /gsma/rsp2/es9plus/<function>,
 *                             X-Admin-Protocol, base64 DER fields, transactionId in hex,
 *                             header.functionExecutionStatus
 *   GSMA SGP.22 v2.5 §3.5     notifications (handleNotification)
 *
 * TLS is always verified (peer and host name) against the configured trust
 * anchor, or the system store: there is deliberately no way to turn that
 * off.  One CURL handle serves a whole download, so its connection (and TLS
 * session) is reused from one ES9+ call to the next.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/ipa.h"
#include "simfleet/util.h"

#define ES9P_PATH "/gsma/rsp2/es9plus/"
#define ES9P_PROTOCOL "gsma/rsp/v2.2.0"
#define BODY_MAX (8u << 20) /* a BPP of a few hundred KiB, base64: ample */
#define FIELD_MAX (6u << 20)

struct es9p {
	CURL *h;
	struct curl_slist *hdrs;
	const struct sf_ipa_net_cfg *net;
	struct sf_ipa_result *res;
	struct sf_growbuf body; /* the answer (max BODY_MAX) */
};

static void progress(const struct sf_ipa_net_cfg *net, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void progress(const struct sf_ipa_net_cfg *net, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	if (!net || !net->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	net->progress(net->user, line);
}

static int fail(struct sf_ipa_result *res, const char *step, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct sf_ipa_result *res, const char *step, int rc, const char *fmt, ...)
{
	va_list ap;
	if (!res->message[0]) {
		res->step = step;
		va_start(ap, fmt);
		vsnprintf(res->message, sizeof(res->message), fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int es9p_init(struct es9p *c, const struct sf_ipa_net_cfg *net, struct sf_ipa_result *res)
{
	memset(c, 0, sizeof(*c));
	c->net = net;
	c->res = res;
	c->body.max = BODY_MAX;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(c->h = curl_easy_init()))
		return SF_ENOMEM;
	/* SGP.22 §6.5.1: the HTTP header fields of every ES9+ request. */
	c->hdrs = curl_slist_append(NULL, "User-Agent: gsma-rsp-lpad");
	c->hdrs = curl_slist_append(c->hdrs, "X-Admin-Protocol: " ES9P_PROTOCOL);
	c->hdrs = curl_slist_append(c->hdrs, "Content-Type: application/json;charset=UTF-8");
	c->hdrs = curl_slist_append(c->hdrs, "Accept: application/json");
	c->hdrs = curl_slist_append(c->hdrs, "Expect:");
	if (!c->hdrs)
		return SF_ENOMEM;
	CURL *h = c->h;
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)(net && net->timeout_s ? net->timeout_s : 30));
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sf_growbuf_curl);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &c->body);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	if (net && net->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, net->cacert);
	return 0;
}

static void es9p_free(struct es9p *c)
{
	if (c->h)
		curl_easy_cleanup(c->h);
	curl_slist_free_all(c->hdrs);
	sf_growbuf_free(&c->body);
	if (c->h)
		curl_global_cleanup();
	memset(c, 0, sizeof(*c));
}

static void copy_json_str(char *dst, size_t cap, json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	snprintf(dst, cap, "%s", s ? s : "");
}

/* POSTs req (taken) to https://address/gsma/rsp2/es9plus/fn.  On 200 with a
 * functionExecutionStatus of success, *ans (when ans is given) gets the
 * parsed answer.  A 204 (handleNotification) is success with *ans NULL. */
static int es9p_call(struct es9p *c, const char *address, const char *fn, json_t *req, json_t **ans)
{
	char url[512], errbuf[CURL_ERROR_SIZE] = "";
	struct sf_ipa_result *res = c->res;
	char *data = json_dumps(req, JSON_COMPACT);
	json_t *j = NULL;
	long status = 0;
	int rc;
	json_decref(req);
	if (ans)
		*ans = NULL;
	if (!data)
		return fail(res, fn, SF_ENOMEM, "%s: out of memory", fn);
	snprintf(url, sizeof(url), "https://%s" ES9P_PATH "%s", address, fn);
	c->body.n = 0;
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, data);
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)strlen(data));
	curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, errbuf);
	progress(c->net, "ES9+ %s -> %s", fn, address);
	CURLcode cc = curl_easy_perform(c->h);
	curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, NULL);
	free(data);
	int first = !res->message[0]; /* this failure is the one reported */
	if (cc != CURLE_OK) {
		const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);
		if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
		    cc == CURLE_SSL_ISSUER_ERROR)
			return fail(
			    res, fn, SF_EIPA_TLS,
			    "%s: TLS: the SM-DP+ %s is not trusted: %s (give its trust anchor "
			    "with --cacert FILE)",
			    fn, address, why);
		/* not reached, cut, timed out: the network or the server, for now */
		if (first && (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
		              cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_SEND_ERROR ||
		              cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING ||
		              cc == CURLE_PARTIAL_FILE || cc == CURLE_SSL_CONNECT_ERROR))
			res->retryable = 1;
		return fail(res, fn, SF_EIPA_HTTP, "%s: %s: %s", fn, url, why);
	}
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	if (status == 204 && c->body.n == 0)
		return 0;
	if (status != 200) {
		if (first && (status == 429 || status == 500 || status == 502 || status == 503 ||
		              status == 504)) {
			curl_off_t ra = 0;
			res->retryable = 1;
			if (curl_easy_getinfo(c->h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
				res->retry_after_s = (long)ra;
		}
		return fail(res, fn, SF_EIPA_HTTP, "%s: %s: HTTP status %ld", fn, url, status);
	}
	j = json_loadb(c->body.p ? c->body.p : "", c->body.n, 0, NULL);
	json_t *fes = json_object_get(json_object_get(j, "header"), "functionExecutionStatus");
	const char *st = json_string_value(json_object_get(fes, "status"));
	if (!json_is_object(j) || !st) {
		rc =
		    fail(res, fn, SF_EIPA_HTTP,
		         "%s: the answer is not ES9+ JSON (no header.functionExecutionStatus)", fn);
		goto out;
	}
	if (strcmp(st, "Executed-Success") != 0 && strcmp(st, "Executed-WithWarning") != 0) {
		json_t *scd = json_object_get(fes, "statusCodeData");
		snprintf(res->status, sizeof(res->status), "%s", st);
		copy_json_str(res->subject_code, sizeof(res->subject_code), scd, "subjectCode");
		copy_json_str(res->reason_code, sizeof(res->reason_code), scd, "reasonCode");
		copy_json_str(res->subject_id, sizeof(res->subject_id), scd, "subjectIdentifier");
		const char *msg = json_string_value(json_object_get(scd, "message"));
		rc = fail(
		    res, fn, SF_EIPA_ES9P, "%s: the SM-DP+ answered %s (subject %s, reason %s)%s%s",
		    fn, st, res->subject_code[0] ? res->subject_code : "-",
		    res->reason_code[0] ? res->reason_code : "-", msg ? ": " : "", msg ? msg : "");
		goto out;
	}
	if (ans) {
		*ans = j;
		j = NULL;
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

/* A base64 DER field of an answer: decoded into a new buffer, checked to
 * be one DER element with tag (0 = any). */
static int b64_field(struct es9p *c, json_t *o, const char *fn, const char *key, uint32_t tag,
                     uint8_t **out, size_t *len)
{
	const char *s = json_string_value(json_object_get(o, key));
	size_t sl = s ? strlen(s) : 0;
	*out = NULL;
	if (!s || sl == 0 || sl > FIELD_MAX)
		return fail(c->res, fn, SF_EIPA_HTTP, "%s: the answer has no %s", fn, key);
	uint8_t *b = malloc(sl);
	if (!b)
		return SF_ENOMEM;
	const uint8_t *p = b, *v;
	size_t vl;
	uint32_t t;
	if (sf_b64_decode(b, sl, len, s, sl) != 0 ||
	    sf_der_get_tlv(&p, b + *len, &t, &v, &vl) != 0 || p != b + *len || (tag && t != tag)) {
		free(b);
		return fail(c->res, fn, SF_EIPA_HTTP, "%s: %s is not base64 of one DER element%s",
		            fn, key, tag ? " of the right tag" : "");
	}
	*out = b;
	return 0;
}

static char *b64(const uint8_t *d, size_t n)
{
	size_t cap = 4 * ((n + 2) / 3) + 1, ol;
	char *s = malloc(cap);
	if (s && sf_b64_encode(s, cap, &ol, d, n) != 0) {
		free(s);
		s = NULL;
	}
	return s;
}

static json_t *json_b64(const uint8_t *d, size_t n)
{
	char *s = b64(d, n);
	json_t *j = s ? json_string(s) : NULL;
	free(s);
	return j;
}

/* ---- the download flow ---- */

struct dl {
	struct sf_ipa_es10 *c;
	const struct sf_ipa_download_cfg *cfg;
	struct sf_ipa_result *res;
	struct es9p es9;
	struct sf_ipa_ac ac;
	uint8_t tid[16];
	size_t tid_len;
	int session; /* the eUICC has a session to cancel */
	uint8_t rsp[SF_IPA_RSP_MAX];
	size_t rlen;
	uint8_t note[SF_IPA_RSP_MAX];
};

/* ES10b.CancelSession, then ES9+ cancelSession with the eUICC's signed
 * answer (SGP.22 §3.1.3: an LPA ends an abandoned download on both sides).
 * Failures here are reported as progress only: the first error stays the
 * result. */
static void cancel(struct dl *d, int reason)
{
	uint8_t rsp[1024];
	size_t rl = 0;
	if (!d->session || !d->tid_len)
		return;
	d->session = 0;
	progress(&d->cfg->net, "ES10b.CancelSession (reason %d)", reason);
	int rc = sf_ipa_cancel_session(d->c, d->tid, d->tid_len, reason, rsp, sizeof(rsp), &rl);
	if (rc) {
		progress(&d->cfg->net, "CancelSession on the eUICC failed: %s (SW %04X)",
		         sf_strerror(rc), d->c->last_sw);
		return;
	}
	const uint8_t *p = rsp, *v;
	size_t vl;
	uint32_t tag;
	if (sf_der_expect(&p, rsp + rl, 0xBF41, &v, &vl) != 0 ||
	    sf_der_peek_tag(v, v + vl, &tag) != 0 || tag != SF_DER_CTX_C(0)) {
		progress(&d->cfg->net, "the eUICC refused CancelSession: nothing signed to send");
		return;
	}
	char tidhex[33];
	sf_hex_encode(tidhex, sizeof(tidhex), d->tid, d->tid_len);
	json_t *req = json_object();
	json_object_set_new(req, "transactionId", json_string(tidhex));
	json_object_set_new(req, "cancelSessionResponse", json_b64(rsp, rl));
	struct sf_ipa_result scratch;
	memset(&scratch, 0, sizeof(scratch));
	struct sf_ipa_result *keep = d->es9.res;
	d->es9.res = &scratch;
	rc = es9p_call(&d->es9, d->ac.smdp, "cancelSession", req, NULL);
	d->es9.res = keep;
	if (rc)
		progress(&d->cfg->net, "ES9+ cancelSession: %s", scratch.message);
}

/* An ES10 step failed: message, cancel, return rc. */
static int es10_fail(struct dl *d, const char *step, int rc, int reason)
{
	if (rc == SF_EIPA_SW)
		fail(d->res, step, rc, "%s: the eUICC answered SW %04X%s", step, d->c->last_sw,
		     d->c->last_sw == 0x6A88 ? " (function not supported by this eUICC)" : "");
	else
		fail(d->res, step, rc, "%s: %s", step, sf_strerror(rc));
	cancel(d, reason);
	return rc;
}

/* The error choice [1] { transactionId [0], code INTEGER } of the
 * AuthenticateServer / PrepareDownload responses: its code, or -1 when the
 * response is the ok choice [0]. */
static int euicc_error_code(const uint8_t *rsp, size_t n, uint32_t fn_tag)
{
	const uint8_t *p = rsp, *v, *q;
	size_t vl, ql;
	uint32_t tag;
	if (sf_der_expect(&p, rsp + n, fn_tag, &v, &vl) != 0 ||
	    sf_der_get_tlv(&v, v + vl, &tag, &q, &ql) != 0)
		return 127;
	if (tag == SF_DER_CTX_C(0))
		return -1;
	const uint8_t *e = q + ql;
	int64_t code;
	int present;
	const uint8_t *tv;
	size_t tl;
	if (sf_der_get_optional(&q, e, SF_DER_CTX(0), &tv, &tl, &present) != 0 ||
	    sf_der_get_int64(&q, e, SF_DER_INTEGER, &code) != 0 || code < 0 || code > 255)
		return 127;
	return (int)code;
}

static int get_tid(struct dl *d, json_t *ans, const char *fn)
{
	const char *t = json_string_value(json_object_get(ans, "transactionId"));
	uint8_t tid[16];
	size_t n = 0;
	if (!t || sf_hex_decode(tid, sizeof(tid), &n, t, strlen(t)) != 0 || n == 0)
		return fail(d->res, fn, SF_EIPA_HTTP,
		            "%s: transactionId missing or not 1..16 octets in hex", fn);
	if (d->tid_len && (n != d->tid_len || memcmp(tid, d->tid, n) != 0))
		return fail(d->res, fn, SF_EIPA_HTTP, "%s: transactionId is not this session's",
		            fn);
	memcpy(d->tid, tid, n);
	d->tid_len = n;
	sf_hex_encode(d->res->tid, sizeof(d->res->tid), tid, n);
	return 0;
}

static json_t *req_tid(struct dl *d)
{
	json_t *r = json_object();
	json_object_set_new(r, "transactionId", json_string(d->res->tid));
	return r;
}

/* smdpSigned2 ::= SEQUENCE { transactionId [0], ccRequiredFlag BOOLEAN,
 * bppEuiccOtpk [APPLICATION 73] OPTIONAL } */
static int cc_required(const uint8_t *s2, size_t n, int *req)
{
	const uint8_t *p = s2, *v, *e;
	size_t vl;
	if (sf_der_expect(&p, s2 + n, SF_DER_SEQUENCE, &v, &vl) != 0)
		return SF_EIPA_HTTP;
	e = v + vl;
	if (sf_der_skip(&v, e) != 0 || sf_der_get_bool(&v, e, SF_DER_BOOLEAN, req) != 0)
		return SF_EIPA_HTTP;
	return 0;
}

/* StoreMetadataRequest BF25 { 5A iccid, 91 SPN, 92 name, ... }: the ICCID
 * and name for the progress lines. */
static void metadata_summary(const uint8_t *md, size_t n, char *iccid, char *name, size_t cap)
{
	const uint8_t *p = md, *v;
	size_t vl;
	struct sf_der_iter it;
	struct sf_der_tlv t;
	iccid[0] = name[0] = '\0';
	if (sf_der_expect(&p, md + n, 0xBF25, &v, &vl) != 0)
		return;
	sf_der_iter_init(&it, v, vl);
	while (sf_der_iter_next(&it, &t) > 0) {
		if (t.tag == 0x5A && t.len == 10) {
			size_t k = 0;
			for (size_t i = 0; i < 20; i++) {
				unsigned dgt = i % 2 ? t.val[i / 2] >> 4 : t.val[i / 2] & 0xF;
				if (dgt > 9)
					break;
				iccid[k++] = (char)('0' + dgt);
			}
			iccid[k] = '\0';
		} else if (t.tag == 0x92) {
			size_t k = t.len < cap - 1 ? t.len : cap - 1;
			for (size_t i = 0; i < k; i++)
				name[i] =
				    t.val[i] >= 0x20 && t.val[i] < 0x7f ? (char)t.val[i] : '?';
			name[k] = '\0';
		}
	}
}

static int run(struct dl *d)
{
	const struct sf_ipa_net_cfg *net = &d->cfg->net;
	struct sf_ipa_result *res = d->res;
	uint8_t info1[512], challenge[16];
	size_t info1_len;
	json_t *ans = NULL;
	uint8_t *s1 = NULL, *sig1 = NULL, *ci = NULL, *cert = NULL;
	uint8_t *s2 = NULL, *sig2 = NULL, *cert2 = NULL, *md = NULL, *bpp = NULL;
	size_t s1l, sig1l, cil, certl, s2l, sig2l, cert2l, mdl = 0, bppl;
	int rc;

	/* 1. eUICC information and challenge (ES10b) */
	progress(net, "ES10b.GetEUICCInfo1, GetEUICCChallenge");
	if ((rc = sf_ipa_get_info1(d->c, info1, sizeof(info1), &info1_len)) != 0)
		return es10_fail(d, "getEuiccInfo1", rc, 0);
	if ((rc = sf_ipa_get_challenge(d->c, challenge)) != 0)
		return es10_fail(d, "getEuiccChallenge", rc, 0);

	/* 2. ES9+ initiateAuthentication */
	json_t *req = json_object();
	json_object_set_new(req, "euiccChallenge", json_b64(challenge, 16));
	json_object_set_new(req, "euiccInfo1", json_b64(info1, info1_len));
	json_object_set_new(req, "smdpAddress", json_string(d->ac.smdp));
	if ((rc = es9p_call(&d->es9, d->ac.smdp, "initiateAuthentication", req, &ans)) != 0)
		goto out;
	if ((rc = get_tid(d, ans, "initiateAuthentication")) != 0 ||
	    (rc = b64_field(&d->es9, ans, "initiateAuthentication", "serverSigned1",
	                    SF_DER_SEQUENCE, &s1, &s1l)) != 0 ||
	    (rc = b64_field(&d->es9, ans, "initiateAuthentication", "serverSignature1", 0x5F37,
	                    &sig1, &sig1l)) != 0 ||
	    (rc = b64_field(&d->es9, ans, "initiateAuthentication", "euiccCiPKIdToBeUsed",
	                    SF_DER_OCTET_STRING, &ci, &cil)) != 0 ||
	    (rc = b64_field(&d->es9, ans, "initiateAuthentication", "serverCertificate",
	                    SF_DER_SEQUENCE, &cert, &certl)) != 0)
		goto out;
	json_decref(ans);
	ans = NULL;
	progress(net, "transactionId %s", res->tid);

	/* 3. ES10b.AuthenticateServer */
	progress(net, "ES10b.AuthenticateServer");
	d->session = 1;
	rc = sf_ipa_authenticate_server(d->c, s1, s1l, sig1, sig1l, ci, cil, cert, certl,
	                                d->ac.matching_id[0] ? d->ac.matching_id : NULL,
	                                &d->cfg->dev, d->rsp, sizeof(d->rsp), &d->rlen);
	if (rc) {
		es10_fail(d, "authenticateServer", rc, SF_IPA_CANCEL_UNDEFINED);
		goto out;
	}
	int code = euicc_error_code(d->rsp, d->rlen, 0xBF38);
	if (code >= 0) {
		/* The eUICC refused the server (certificate, signature, CI...).
		 * AuthenticateServerResponse is a CHOICE that includes this error,
		 * and ES9+ authenticateClient takes it as it is (SGP.22 §5.6): the
		 * LPA passes it on so the SM-DP+ ends its session.  The eUICC has
		 * no session to cancel; the download is over either way. */
		res->es10_code = code;
		fail(res, "authenticateServer", SF_EIPA_REFUSED,
		     "authenticateServer: the eUICC refused the SM-DP+ (authenticateErrorCode %d)",
		     code);
		req = req_tid(d);
		json_object_set_new(req, "authenticateServerResponse", json_b64(d->rsp, d->rlen));
		struct sf_ipa_result scratch;
		memset(&scratch, 0, sizeof(scratch));
		d->es9.res = &scratch;
		(void)es9p_call(&d->es9, d->ac.smdp, "authenticateClient", req, NULL);
		d->es9.res = res;
		d->session = 0;
		rc = SF_EIPA_REFUSED;
		goto out;
	}

	/* 4. ES9+ authenticateClient */
	req = req_tid(d);
	json_object_set_new(req, "authenticateServerResponse", json_b64(d->rsp, d->rlen));
	if ((rc = es9p_call(&d->es9, d->ac.smdp, "authenticateClient", req, &ans)) != 0) {
		cancel(d, SF_IPA_CANCEL_UNDEFINED);
		goto out;
	}
	if ((rc = get_tid(d, ans, "authenticateClient")) != 0 ||
	    (rc = b64_field(&d->es9, ans, "authenticateClient", "smdpSigned2", SF_DER_SEQUENCE, &s2,
	                    &s2l)) != 0 ||
	    (rc = b64_field(&d->es9, ans, "authenticateClient", "smdpSignature2", 0x5F37, &sig2,
	                    &sig2l)) != 0 ||
	    (rc = b64_field(&d->es9, ans, "authenticateClient", "smdpCertificate", SF_DER_SEQUENCE,
	                    &cert2, &cert2l)) != 0) {
		cancel(d, SF_IPA_CANCEL_UNDEFINED);
		goto out;
	}
	if (json_object_get(ans, "profileMetadata") &&
	    b64_field(&d->es9, ans, "authenticateClient", "profileMetadata", 0xBF25, &md, &mdl) ==
	        0) {
		char iccid[21], name[65];
		metadata_summary(md, mdl, iccid, name, sizeof(name));
		snprintf(res->iccid, sizeof(res->iccid), "%s", iccid);
		progress(net, "profile %s%s%s%s", iccid[0] ? iccid : "(no ICCID)",
		         name[0] ? " \"" : "", name, name[0] ? "\"" : "");
	}
	json_decref(ans);
	ans = NULL;

	/* 5. confirmation code, ES10b.PrepareDownload */
	int ccreq = 0;
	if (cc_required(s2, s2l, &ccreq) != 0) {
		rc = fail(res, "authenticateClient", SF_EIPA_HTTP,
		          "authenticateClient: smdpSigned2 is not SEQUENCE {transactionId, "
		          "ccRequiredFlag, ...}");
		cancel(d, SF_IPA_CANCEL_UNDEFINED);
		goto out;
	}
	uint8_t hash_cc[32];
	if (ccreq && !d->cfg->confirmation_code) {
		rc =
		    fail(res, "prepareDownload", SF_EIPA_CC_REQUIRED,
		         "the SM-DP+ requires a confirmation code for this profile: run again with "
		         "--confirmation-code CODE");
		cancel(d, SF_IPA_CANCEL_END_USER_REJECTION);
		goto out;
	}
	if (ccreq)
		sf_ipa_hash_cc(d->cfg->confirmation_code, d->tid, d->tid_len, hash_cc);
	progress(net, "ES10b.PrepareDownload%s", ccreq ? " (with hashCc)" : "");
	rc = sf_ipa_prepare_download(d->c, s2, s2l, sig2, sig2l, ccreq ? hash_cc : NULL, cert2,
	                             cert2l, d->rsp, sizeof(d->rsp), &d->rlen);
	sf_wipe(hash_cc, sizeof(hash_cc));
	if (rc) {
		es10_fail(d, "prepareDownload", rc, SF_IPA_CANCEL_UNDEFINED);
		goto out;
	}
	code = euicc_error_code(d->rsp, d->rlen, 0xBF21);
	if (code >= 0) {
		/* As for AuthenticateServer: PrepareDownloadResponse includes the
		 * error choice and getBoundProfilePackage carries it to the SM-DP+,
		 * which then ends the session (no BPP comes back). */
		res->es10_code = code;
		rc = fail(res, "prepareDownload", SF_EIPA_REFUSED,
		          "prepareDownload: the eUICC refused (downloadErrorCode %d)", code);
		d->session = 0;
		req = req_tid(d);
		json_object_set_new(req, "prepareDownloadResponse", json_b64(d->rsp, d->rlen));
		struct sf_ipa_result scratch;
		memset(&scratch, 0, sizeof(scratch));
		d->es9.res = &scratch;
		(void)es9p_call(&d->es9, d->ac.smdp, "getBoundProfilePackage", req, NULL);
		d->es9.res = res;
		goto out;
	}

	/* 6. ES9+ getBoundProfilePackage */
	req = req_tid(d);
	json_object_set_new(req, "prepareDownloadResponse", json_b64(d->rsp, d->rlen));
	if ((rc = es9p_call(&d->es9, d->ac.smdp, "getBoundProfilePackage", req, &ans)) != 0) {
		cancel(d, SF_IPA_CANCEL_UNDEFINED);
		goto out;
	}
	if ((rc = get_tid(d, ans, "getBoundProfilePackage")) != 0 ||
	    (rc = b64_field(&d->es9, ans, "getBoundProfilePackage", "boundProfilePackage", 0xBF36,
	                    &bpp, &bppl)) != 0) {
		cancel(d, SF_IPA_CANCEL_UNDEFINED);
		goto out;
	}
	json_decref(ans);
	ans = NULL;

	/* 7. ES10b.LoadBoundProfilePackage */
	size_t items = 0;
	if ((rc = sf_ipa_bpp_split(bpp, bppl, NULL, 0, &items)) != 0) {
		fail(res, "loadBoundProfilePackage", rc,
		     "loadBoundProfilePackage: the SM-DP+'s package is not a well-formed BF36");
		cancel(d, SF_IPA_CANCEL_LOAD_BPP_ERROR);
		goto out;
	}
	progress(net, "ES10b.LoadBoundProfilePackage: %zu octets in %zu items", bppl, items);
	rc = sf_ipa_load_bpp(d->c, bpp, bppl, d->rsp, sizeof(d->rsp), &d->rlen);
	if (rc) {
		es10_fail(d, "loadBoundProfilePackage", rc, SF_IPA_CANCEL_LOAD_BPP_ERROR);
		goto out;
	}
	d->session = 0; /* the PIR ended the eUICC's session */
	if ((rc = sf_ipa_pir_parse(d->rsp, d->rlen, &res->pir)) != 0) {
		fail(res, "loadBoundProfilePackage", rc,
		     "loadBoundProfilePackage: the ProfileInstallationResult does not parse");
		goto out;
	}
	res->have_pir = 1;
	res->pir_seq = res->pir.seq;
	if (res->pir.iccid[0])
		snprintf(res->iccid, sizeof(res->iccid), "%s", res->pir.iccid);
	if (res->pir.ok)
		progress(net, "installed: ICCID %s, notification %u", res->iccid, res->pir.seq);
	else
		progress(net, "installation failed: bppCommandId %d, errorReason %d",
		         res->pir.bpp_command_id, res->pir.error_reason);

	/* 8. deliver the PIR (ES9+ handleNotification) and remove it (ES10b) */
	uint8_t *pn = d->rsp;
	size_t pnl = d->rlen;
	size_t notel = 0;
	if (sf_ipa_retrieve_notification(d->c, res->pir.seq, d->note, sizeof(d->note), &notel) ==
	    0) {
		pn = d->note;
		pnl = notel;
	} else {
		progress(net, "RetrieveNotificationsList(%u) failed: sending the PIR as received",
		         res->pir.seq);
	}
	req = json_object();
	json_object_set_new(req, "pendingNotification", json_b64(pn, pnl));
	struct sf_ipa_result nres;
	memset(&nres, 0, sizeof(nres));
	d->es9.res = &nres;
	int nrc = es9p_call(&d->es9, d->ac.smdp, "handleNotification", req, NULL);
	d->es9.res = res;
	if (nrc == 0) {
		res->pir_delivered = 1;
		int r = sf_ipa_remove_notification(d->c, res->pir.seq);
		res->pir_removed = r == SF_ES10_OK;
		progress(net, "notification %u delivered%s", res->pir.seq,
		         res->pir_removed ? " and removed" : ", not removed from the eUICC");
	} else {
		progress(net,
		         "notification %u not delivered (%s): `simfleet device notifications "
		         "--process` sends it later",
		         res->pir.seq, nres.message);
	}
	rc = res->pir.ok ? 0
	                 : fail(res, "loadBoundProfilePackage", SF_EIPA_INSTALL,
	                        "the eUICC could not install the profile: bppCommandId %d, "
	                        "errorReason %d",
	                        res->pir.bpp_command_id, res->pir.error_reason);
out:
	json_decref(ans);
	free(s1);
	free(sig1);
	free(ci);
	free(cert);
	free(s2);
	free(sig2);
	free(cert2);
	free(md);
	if (bpp)
		sf_wipe(bpp, bppl);
	free(bpp);
	return rc;
}

/* No activation code: the eUICC's default SM-DP+ (SGP.22 §3.1.2).  The LPA
 * reads the address with ES10a.GetEuiccConfiguredAddresses and opens the
 * session there with no matchingId in ctxParams1; the SM-DP+ finds the
 * order by the EID of the eUICC's certificate.  The address comes from the
 * card: it must be a host[:port] before it goes into a URL. */
static int default_smdp(struct dl *d)
{
	char dp[256], ds[256];
	progress(&d->cfg->net, "ES10a.GetEuiccConfiguredAddresses");
	int rc = sf_ipa_get_addresses(d->c, dp, ds);
	if (rc == SF_EIPA_SW)
		return fail(
		    d->res, "getEuiccConfiguredAddresses", rc,
		    "getEuiccConfiguredAddresses: the eUICC answered SW %04X%s", d->c->last_sw,
		    d->c->last_sw == 0x6A88 ? " (function not supported by this eUICC)" : "");
	if (rc)
		return fail(d->res, "getEuiccConfiguredAddresses", rc,
		            "getEuiccConfiguredAddresses: %s", sf_strerror(rc));
	if (!dp[0])
		return fail(d->res, "getEuiccConfiguredAddresses", SF_EIPA_NO_DEFAULT_DP,
		            "no activation code given and the eUICC has no default SM-DP+ "
		            "address: give --activation-code AC, or set the address with "
		            "`simfleet device set-default-dp ADDRESS`");
	if (!sf_ipa_smdp_address_valid(dp))
		return fail(d->res, "getEuiccConfiguredAddresses", SF_EIPA_RESPONSE,
		            "the eUICC's default SM-DP+ address \"%.255s\" is not a host name "
		            "with an optional :port: set a valid one with `simfleet device "
		            "set-default-dp ADDRESS`",
		            dp);
	snprintf(d->ac.smdp, sizeof(d->ac.smdp), "%s", dp);
	d->ac.matching_id[0] = '\0';
	return 0;
}

int sf_ipa_download(struct sf_ipa_es10 *c, const struct sf_ipa_download_cfg *cfg,
                    struct sf_ipa_result *res)
{
	if (!c || !cfg || !res)
		return SF_EINVAL;
	memset(res, 0, sizeof(*res));
	res->step = "";
	res->es10_code = -1;
	struct dl *d = calloc(1, sizeof(*d));
	if (!d)
		return SF_ENOMEM;
	d->c = c;
	d->cfg = cfg;
	d->res = res;
	int rc;
	if (!cfg->activation_code) {
		if ((rc = default_smdp(d)) != 0)
			goto out;
		snprintf(res->smdp, sizeof(res->smdp), "%s", d->ac.smdp);
		progress(&cfg->net, "SM-DP+ %s (the eUICC's default SM-DP+), no matchingId",
		         d->ac.smdp);
	} else {
		rc = sf_ipa_ac_parse(cfg->activation_code, &d->ac);
		if (rc) {
			fail(res, "activationCode", rc,
			     "activation code not valid: expected "
			     "[LPA:]1$SMDP.ADDRESS$MATCHINGID[$OID[$1]]");
			goto out;
		}
		snprintf(res->smdp, sizeof(res->smdp), "%s", d->ac.smdp);
		if (d->ac.cc_required && !cfg->confirmation_code) {
			rc = fail(res, "activationCode", SF_EIPA_CC_REQUIRED,
			          "the activation code says a confirmation code is required: give "
			          "--confirmation-code CODE");
			goto out;
		}
		progress(&cfg->net, "SM-DP+ %s, matchingId %s", d->ac.smdp,
		         d->ac.matching_id[0] ? "given" : "empty");
	}
	if ((rc = es9p_init(&d->es9, &cfg->net, res)) != 0) {
		fail(res, "init", rc, "libcurl could not be initialised");
		goto out;
	}
	rc = run(d);
out:
	es9p_free(&d->es9);
	sf_wipe(d, sizeof(*d));
	free(d);
	return rc;
}

int sf_ipa_send_notification(const char *address, const uint8_t *pn, size_t len,
                             const struct sf_ipa_net_cfg *net, struct sf_ipa_result *res)
{
	struct es9p c;
	if (!address || !pn || !res)
		return SF_EINVAL;
	memset(res, 0, sizeof(*res));
	res->step = "";
	res->es10_code = -1;
	int rc = es9p_init(&c, net, res);
	if (rc == 0) {
		json_t *req = json_object();
		json_object_set_new(req, "pendingNotification", json_b64(pn, len));
		rc = es9p_call(&c, address, "handleNotification", req, NULL);
	}
	es9p_free(&c);
	return rc;
}
