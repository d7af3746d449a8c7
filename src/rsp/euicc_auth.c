/*
 * eUICC side of RSP mutual authentication and binding preparation.
 *
 *   GSMA SGP.22 v2.5 §3.1.2   common mutual authentication procedure
 *   GSMA SGP.22 v2.5 §5.7.7   ES10b.GetEUICCChallenge
 *   GSMA SGP.22 v2.5 §5.7.13  ES10b.AuthenticateServer  (BF38)
 *   GSMA SGP.22 v2.5 §5.7.5   ES10b.PrepareDownload     (BF21)
 *   GSMA SGP.22 v2.5 §2.6.2   eUICC credentials (CERT.EUICC, CERT.EUM, CI)
 *   ASN.1: RSPDefinitions v2.5 (AUTOMATIC TAGS).
 *
 * Library functions on a credential set and a session; the ISD-R dispatcher
 * (src/isdr) does not call them yet (BF38/BF21 still answer 6A 88 there).
 * Refusals are answered with the function's error choice and SGP.22 code;
 * the challenge is consumed by every AuthenticateServer so that a recorded
 * serverSigned1 cannot be replayed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp_internal.h"
#include "simfleet/crypto.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/log.h"
#include "simfleet/pki.h"
#include "simfleet/rng.h"
#include "simfleet/rsp.h"
#include "simfleet/util.h"

#define TAG_SIG 0x5F37u
#define TAG_OTPK 0x5F49u

/* ---- credentials ---- */

void sf_rsp_euicc_cred_free(struct sf_rsp_euicc_cred *c)
{
	if (c == NULL)
		return;
	sf_x509_free(c->euicc_cert);
	sf_x509_free(c->eum_cert);
	sf_x509_free(c->ci);
	sf_ec_key_free(c->key);
	memset(c, 0, sizeof(*c));
}

int sf_rsp_euicc_cred_load(struct sf_rsp_euicc_cred *c, const char *euicc_cert,
                           const char *euicc_key, const char *eum_cert, const char *ci_cert,
                           int64_t now)
{
	struct sf_x509_info *info = NULL;
	struct sf_ec_key *pub = NULL;
	uint8_t a[SF_EC_POINT_LEN], b[SF_EC_POINT_LEN];
	int rc;

	if (c == NULL)
		return SF_EINVAL;
	memset(c, 0, sizeof(*c));
	if ((rc = sf_pki_load_cert_file(euicc_cert, &c->euicc_cert)) != 0 ||
	    (rc = sf_pki_load_cert_file(eum_cert, &c->eum_cert)) != 0 ||
	    (rc = sf_pki_load_cert_file(ci_cert, &c->ci)) != 0 ||
	    (rc = sf_pki_load_key_file(euicc_key, &c->key)) != 0 ||
	    (rc = sf__rsp_ski(c->ci, c->ci_pkid, sizeof(c->ci_pkid), &c->ci_pkid_len)) != 0)
		goto out;
	/* The private key must be the certificate's. */
	if ((rc = sf_x509_public_key(c->euicc_cert, &pub)) != 0 || (rc = sf_ec_key_point(pub, a)) != 0 ||
	    (rc = sf_ec_key_point(c->key, b)) != 0)
		goto out;
	if (memcmp(a, b, sizeof(a)) != 0) {
		sf_log(SF_LOG_WARN, "rsp", "%s is not the key of %s", euicc_key, euicc_cert);
		rc = SF_ECRYPTO_KEY;
		goto out;
	}
	const struct sf_x509 *chain[2] = {c->euicc_cert, c->eum_cert};
	char reason[256];
	if ((rc = sf_pki_verify_chain(c->ci, chain, 2, SF_PKI_ROLE_EUICC, now, NULL, reason,
	                              sizeof(reason))) != 0) {
		sf_log(SF_LOG_WARN, "rsp", "eUICC credentials %s: %s", euicc_cert, reason);
		goto out;
	}
	if ((info = calloc(1, sizeof(*info))) == NULL) {
		rc = SF_ENOMEM;
		goto out;
	}
	if ((rc = sf_x509_get_info(c->euicc_cert, info)) != 0)
		goto out;
	memcpy(c->eid, info->subject_serial, sizeof(c->eid) - 1);
	c->eid[sizeof(c->eid) - 1] = '\0';
	rc = 0;
out:
	free(info);
	sf_ec_key_free(pub);
	if (rc != 0)
		sf_rsp_euicc_cred_free(c);
	return rc;
}

/* EUICCInfo1 ::= [32] SEQUENCE { svn [2] VersionType,
 *   euiccCiPKIdListForVerification [9], euiccCiPKIdListForSigning [10] } */
int sf_rsp_euicc_info1(const struct sf_rsp_euicc_cred *c, uint8_t *dst, size_t dst_len,
                       size_t *out_len)
{
	static const uint8_t svn[3] = {2, 5, 0};
	struct sf_der_writer w;
	size_t m, l;

	if (c == NULL || out_len == NULL)
		return SF_EINVAL;
	sf_der_writer_init(&w, dst, dst_len);
	m = sf_der_writer_mark(&w);
	l = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, SF_DER_OCTET_STRING, c->ci_pkid, c->ci_pkid_len);
	sf_der_write_wrap(&w, l, SF_DER_CTX_C(10));
	l = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, SF_DER_OCTET_STRING, c->ci_pkid, c->ci_pkid_len);
	sf_der_write_wrap(&w, l, SF_DER_CTX_C(9));
	sf_der_write_octets(&w, SF_DER_CTX(2), svn, sizeof(svn));
	sf_der_write_wrap(&w, m, 0xBF20);
	return sf_der_writer_finish(&w, out_len);
}

/* ---- session ---- */

void sf_rsp_euicc_session_init(struct sf_rsp_euicc_session *s)
{
	if (s != NULL)
		memset(s, 0, sizeof(*s));
}

void sf_rsp_euicc_session_free(struct sf_rsp_euicc_session *s)
{
	if (s == NULL)
		return;
	sf_ec_key_free(s->otsk);
	sf_wipe(s, sizeof(*s));
}

/* Ends the session.  The one-time key is retained unless drop_otk: a new
 * session may be a retry that names its otPK in bppEuiccOtpk (§3.1.3.3). */
void sf__rsp_euicc_session_close(struct sf_rsp_euicc_session *s, int drop_otk)
{
	struct sf_ec_key *otsk;
	uint8_t otpk[SF_EC_POINT_LEN];

	if (s == NULL)
		return;
	if (drop_otk) {
		sf_rsp_euicc_session_free(s);
		return;
	}
	otsk = s->otsk;
	memcpy(otpk, s->otpk, sizeof(otpk));
	sf_wipe(s, sizeof(*s));
	s->otsk = otsk;
	memcpy(s->otpk, otpk, sizeof(otpk));
}

int sf_rsp_euicc_challenge(struct sf_rsp_euicc_session *s, const struct sf_rng *rng,
                           uint8_t out[SF_RSP_CHALLENGE_LEN])
{
	int rc;
	if (s == NULL || out == NULL)
		return SF_EINVAL;
	sf__rsp_euicc_session_close(s, 0);
	if ((rc = sf_rng_fill(rng ? rng : sf_rng_system(), s->euicc_challenge,
	                      SF_RSP_CHALLENGE_LEN)) != 0) {
		sf__rsp_euicc_session_close(s, 0);
		return rc;
	}
	memcpy(out, s->euicc_challenge, SF_RSP_CHALLENGE_LEN);
	s->state = 1;
	return 0;
}

/* ---- responses ---- */

/* An error choice: outer { [1] { transactionId [0], code INTEGER } }. */
static int write_error(uint32_t outer, const uint8_t *tid, size_t tid_len, int code,
                       uint8_t *dst, size_t dst_len, size_t *out_len)
{
	struct sf_der_writer w;
	size_t m;
	static const uint8_t none[1] = {0};
	int rc;

	sf_der_writer_init(&w, dst, dst_len);
	m = sf_der_writer_mark(&w);
	sf_der_write_int64(&w, SF_DER_INTEGER, code);
	/* transactionId is SIZE(1..16): when the request had none we could
	 * read, one zero octet (no session matches it). */
	if (tid_len == 0 || tid == NULL)
		sf_der_write_octets(&w, SF_DER_CTX(0), none, 1);
	else
		sf_der_write_octets(&w, SF_DER_CTX(0), tid, tid_len);
	sf_der_write_wrap(&w, m, SF_DER_CTX_C(1));
	sf_der_write_wrap(&w, m, outer);
	rc = sf_der_writer_finish(&w, out_len);
	return rc;
}

static int cert_chain_rc(int pki_rc)
{
	return pki_rc == SF_EPKI_UNKNOWN_CI ? SF_ERSP_CI_UNKNOWN : SF_ERSP_CERT;
}

static int sgp22_auth_code(int rc)
{
	switch (rc) {
	case SF_ERSP_CERT:
		return SF_RSP_AUTH_INVALID_CERT;
	case SF_ERSP_SIG:
		return SF_RSP_AUTH_INVALID_SIG;
	case SF_ERSP_CURVE:
		return SF_RSP_AUTH_UNSUPPORTED_CURVE;
	case SF_ERSP_NO_SESSION:
		return SF_RSP_AUTH_NO_SESSION;
	case SF_ERSP_CHALLENGE:
		return SF_RSP_AUTH_CHALLENGE_MISMATCH;
	case SF_ERSP_CI_UNKNOWN:
		return SF_RSP_AUTH_CI_PK_UNKNOWN;
	default:
		return SF_RSP_UNDEFINED;
	}
}

static int sgp22_dl_code(int rc)
{
	switch (rc) {
	case SF_ERSP_CERT:
	case SF_ERSP_CI_UNKNOWN:
		return SF_RSP_DL_INVALID_CERT;
	case SF_ERSP_SIG:
		return SF_RSP_DL_INVALID_SIG;
	case SF_ERSP_CURVE:
		return SF_RSP_DL_UNSUPPORTED_CURVE;
	case SF_ERSP_NO_SESSION:
		return SF_RSP_DL_NO_SESSION;
	case SF_ERSP_TRANSACTION:
		return SF_RSP_DL_INVALID_TID;
	default:
		return SF_RSP_UNDEFINED;
	}
}

/* The SM-DP+ OID: the registeredID in the subjectAltName of CERT.DPauth and
 * CERT.DPpb (SGP.22 §4.5.2.1.0.3-4), as OID content octets.  SF_ERSP_CERT
 * when there is none. */
static int smdp_oid(const struct sf_x509 *cert, uint8_t *oid, size_t cap, size_t *len)
{
	struct sf_x509_info *in = calloc(1, sizeof(*in));
	int rc = SF_ERSP_CERT;

	if (in == NULL)
		return SF_ENOMEM;
	if (sf_x509_get_info(cert, in) == 0)
		for (size_t i = 0; i < in->n_san; i++)
			if (strncmp(in->san[i], "RID:", 4) == 0) {
				rc = sf_der_oid_from_str(oid, cap, len, in->san[i] + 4) == 0
				         ? 0
				         : SF_ERSP_CERT;
				break;
			}
	free(in);
	if (rc == SF_ERSP_CERT)
		sf_log(SF_LOG_INFO, "rsp", "server certificate has no SM-DP+ OID (SAN registeredID)");
	return rc;
}

/* Verifies a server certificate (DER) for role under the eUICC's CI and
 * returns its public key and its SM-DP+ OID. */
static int check_server_cert(const struct sf_rsp_euicc_cred *c, const uint8_t *der, size_t len,
                             enum sf_pki_role role, int64_t now, struct sf_ec_key **pk,
                             uint8_t oid[SF_RSP_OID_MAX], size_t *oid_len)
{
	struct sf_x509 *cert = NULL;
	char reason[256];
	int rc;

	if (sf_x509_load(der, len, &cert) != 0)
		return SF_ERSP_CERT;
	const struct sf_x509 *chain[1] = {cert};
	rc = sf_pki_verify_chain(c->ci, chain, 1, role, now, NULL, reason, sizeof(reason));
	if (rc != 0) {
		sf_log(SF_LOG_INFO, "rsp", "server certificate refused: %s", reason);
		rc = cert_chain_rc(rc);
	} else if ((rc = sf_x509_public_key(cert, pk)) != 0) {
		rc = rc == SF_ECRYPTO_CURVE ? SF_ERSP_CURVE : SF_ERSP_CERT;
	} else if ((rc = smdp_oid(cert, oid, SF_RSP_OID_MAX, oid_len)) != 0) {
		sf_ec_key_free(*pk);
		*pk = NULL;
	}
	sf_x509_free(cert);
	return rc;
}

/* AuthenticateServerRequest ::= [56] SEQUENCE { serverSigned1 (30),
 *   serverSignature1 5F37, euiccCiPKIdToBeUsed 04, serverCertificate (30),
 *   ctxParams1 (A0) }
 * ServerSigned1 ::= SEQUENCE { transactionId [0], euiccChallenge [1],
 *   serverAddress [3], serverChallenge [4] } */
struct auth_req {
	const uint8_t *signed1, *sig, *pkid, *cert, *ctx;
	size_t signed1_len, sig_len, pkid_len, cert_len, ctx_len;
	const uint8_t *tid, *ec, *addr, *sc;
	size_t tid_len, ec_len, addr_len, sc_len;
};

static int tlv_raw(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **raw,
                   size_t *raw_len)
{
	const uint8_t *start = *p;
	if (sf_der_expect(p, end, tag, NULL, NULL) != 0)
		return SF_ERSP_FORMAT;
	*raw = start;
	*raw_len = (size_t)(*p - start);
	return 0;
}

static int parse_auth_req(const uint8_t *req, size_t len, struct auth_req *r)
{
	const uint8_t *p = req, *end = req + len, *v, *q, *qe;
	size_t vlen;

	if (sf_der_expect(&p, end, 0xBF38, &v, &vlen) != 0 || sf_der_check_end(p, end) != 0)
		return SF_ERSP_FORMAT;
	p = v;
	end = v + vlen;
	if (tlv_raw(&p, end, SF_DER_SEQUENCE, &r->signed1, &r->signed1_len) != 0 ||
	    sf_der_get_octets(&p, end, TAG_SIG, &r->sig, &r->sig_len) != 0 ||
	    sf_der_get_octets(&p, end, SF_DER_OCTET_STRING, &r->pkid, &r->pkid_len) != 0 ||
	    tlv_raw(&p, end, SF_DER_SEQUENCE, &r->cert, &r->cert_len) != 0 ||
	    tlv_raw(&p, end, SF_DER_CTX_C(0), &r->ctx, &r->ctx_len) != 0)
		return SF_ERSP_FORMAT;
	/* later elements: extension additions, skipped (EXTENSIBILITY IMPLIED) */
	while (p < end)
		if (sf_der_skip(&p, end) != 0)
			return SF_ERSP_FORMAT;
	q = r->signed1;
	qe = r->signed1 + r->signed1_len;
	if (sf_der_expect(&q, qe, SF_DER_SEQUENCE, &v, &vlen) != 0)
		return SF_ERSP_FORMAT;
	q = v;
	qe = v + vlen;
	if (sf_der_get_octets(&q, qe, SF_DER_CTX(0), &r->tid, &r->tid_len) != 0 ||
	    sf_der_get_octets(&q, qe, SF_DER_CTX(1), &r->ec, &r->ec_len) != 0 ||
	    sf_der_get_string(&q, qe, SF_DER_CTX(3), SF_DER_UTF8_STRING, &r->addr, &r->addr_len) !=
	        0 ||
	    sf_der_get_octets(&q, qe, SF_DER_CTX(4), &r->sc, &r->sc_len) != 0)
		return SF_ERSP_FORMAT;
	if (r->tid_len == 0 || r->tid_len > SF_RSP_TID_LEN || r->ec_len != SF_RSP_CHALLENGE_LEN ||
	    r->sc_len != SF_RSP_CHALLENGE_LEN || r->addr_len > SF_RSP_ADDRESS_MAX)
		return SF_ERSP_FORMAT;
	return 0;
}

int sf_rsp_euicc_authenticate_server(const struct sf_rsp_euicc_cred *c,
                                     struct sf_rsp_euicc_session *s, const uint8_t *req,
                                     size_t req_len, const uint8_t *euicc_info2, size_t info2_len,
                                     int64_t now, uint8_t *dst, size_t dst_len, size_t *out_len,
                                     int *code)
{
	struct auth_req r;
	struct sf_ec_key *pk = NULL;
	struct sf_der_writer w;
	uint8_t sig1[SF_ECDSA_SIG_LEN], oid[SF_RSP_OID_MAX];
	size_t m, mo, n, oid_len = 0;
	int rc, had_challenge;

	if (c == NULL || s == NULL || req == NULL || euicc_info2 == NULL || out_len == NULL)
		return SF_EINVAL;
	if (code)
		*code = 0;
	memset(&r, 0, sizeof(r));
	if ((rc = parse_auth_req(req, req_len, &r)) != 0)
		return rc;

	/* The challenge is single use: consumed by this call whatever its
	 * outcome (a replayed serverSigned1 then finds no session). */
	had_challenge = s->state == 1;
	uint8_t challenge[SF_RSP_CHALLENGE_LEN];
	memcpy(challenge, s->euicc_challenge, sizeof(challenge));
	sf__rsp_euicc_session_close(s, 0);

	/* §5.7.13 order: session; CI to be used; CERT.DPauth; signature;
	 * challenge. */
	if (!had_challenge)
		rc = SF_ERSP_NO_SESSION;
	else if (r.pkid_len != c->ci_pkid_len || memcmp(r.pkid, c->ci_pkid, r.pkid_len) != 0)
		rc = SF_ERSP_CI_UNKNOWN;
	else if ((rc = check_server_cert(c, r.cert, r.cert_len, SF_PKI_ROLE_DPAUTH, now, &pk, oid,
	                                 &oid_len)) != 0)
		;
	else if (sf_ecdsa_verify(pk, r.signed1, r.signed1_len, r.sig, r.sig_len) != 0)
		rc = SF_ERSP_SIG;
	else if (!sf_ct_eq(r.ec, challenge, SF_RSP_CHALLENGE_LEN))
		rc = SF_ERSP_CHALLENGE;
	sf_ec_key_free(pk);
	pk = NULL;
	if (rc != 0) {
		sf_log(SF_LOG_INFO, "rsp", "AuthenticateServer refused: %s", sf_strerror(rc));
		if (code)
			*code = sgp22_auth_code(rc);
		int wr = write_error(0xBF38, r.tid, r.tid_len, sgp22_auth_code(rc), dst, dst_len,
		                     out_len);
		return wr != 0 ? wr : rc;
	}

	/* EuiccSigned1 ::= SEQUENCE { transactionId [0], serverAddress [3],
	 *   serverChallenge [4], euiccInfo2 [34], ctxParams1 }: encoded in a
	 * scratch buffer and signed, then the response is written around it. */
	{
		uint8_t *tmp = malloc(SF_RSP_SIGNED_MAX * 4);
		size_t tlen;
		struct sf_der_writer t;
		if (tmp == NULL)
			return SF_ENOMEM;
		sf_der_writer_init(&t, tmp, SF_RSP_SIGNED_MAX * 4);
		m = sf_der_writer_mark(&t);
		sf_der_write_raw(&t, r.ctx, r.ctx_len);
		sf_der_write_raw(&t, euicc_info2, info2_len);
		sf_der_write_octets(&t, SF_DER_CTX(4), r.sc, r.sc_len);
		sf_der_write_tlv(&t, SF_DER_CTX(3), r.addr, r.addr_len);
		sf_der_write_octets(&t, SF_DER_CTX(0), r.tid, r.tid_len);
		sf_der_write_wrap(&t, m, SF_DER_SEQUENCE);
		if ((rc = sf_der_writer_finish(&t, &tlen)) != 0 ||
		    (rc = sf_ecdsa_sign(c->key, tmp, tlen, sig1)) != 0) {
			free(tmp);
			return rc == SF_EBUFSIZE ? SF_ERSP_FORMAT : rc;
		}
		sf_der_writer_init(&w, dst, dst_len);
		mo = sf_der_writer_mark(&w);
		const uint8_t *der;
		size_t dlen;
		if (sf_x509_der(c->eum_cert, &der, &dlen) == 0)
			sf_der_write_raw(&w, der, dlen);
		if (sf_x509_der(c->euicc_cert, &der, &dlen) == 0)
			sf_der_write_raw(&w, der, dlen);
		sf_der_write_octets(&w, TAG_SIG, sig1, sizeof(sig1));
		sf_der_write_raw(&w, tmp, tlen);
		free(tmp);
	}
	sf_der_write_wrap(&w, mo, SF_DER_CTX_C(0));
	sf_der_write_wrap(&w, mo, 0xBF38);
	if ((rc = sf_der_writer_finish(&w, &n)) != 0)
		return rc;
	*out_len = n;

	memcpy(s->tid, r.tid, r.tid_len);
	s->tid_len = r.tid_len;
	memcpy(s->server_challenge, r.sc, SF_RSP_CHALLENGE_LEN);
	memcpy(s->euicc_signature1, sig1, sizeof(sig1));
	memcpy(s->server_address, r.addr, r.addr_len);
	s->server_address[r.addr_len] = '\0';
	memcpy(s->smdp_oid, oid, oid_len);
	s->smdp_oid_len = oid_len;
	s->state = 2;
	return 0;
}

/* PrepareDownloadRequest ::= [33] SEQUENCE { smdpSigned2 (30),
 *   smdpSignature2 5F37, hashCc 04 OPTIONAL, smdpCertificate (30) }
 * SmdpSigned2 ::= SEQUENCE { transactionId [0], ccRequiredFlag BOOLEAN,
 *   bppEuiccOtpk 5F49 OPTIONAL } */
int sf_rsp_euicc_prepare_download(const struct sf_rsp_euicc_cred *c,
                                  struct sf_rsp_euicc_session *s, const uint8_t *req,
                                  size_t req_len, int64_t now, uint8_t *dst, size_t dst_len,
                                  size_t *out_len, int *code)
{
	const uint8_t *p, *end, *v, *signed2, *sig, *hcc = NULL, *cert, *tid, *bpp = NULL;
	size_t vlen, signed2_len, sig_len, hcc_len = 0, cert_len, tid_len, bpp_len = 0;
	int present, bpp_present, cc_required, rc;
	struct sf_ec_key *pk = NULL, *otsk = NULL;
	uint8_t otpk[SF_EC_POINT_LEN], sig2[SF_ECDSA_SIG_LEN], signed_buf[SF_RSP_SIGNED_MAX];
	uint8_t oid[SF_RSP_OID_MAX], pbpk[SF_EC_POINT_LEN];
	struct sf_der_writer w;
	size_t m, n, oid_len = 0;

	if (c == NULL || s == NULL || req == NULL || out_len == NULL)
		return SF_EINVAL;
	if (code)
		*code = 0;
	p = req;
	end = req + req_len;
	if (sf_der_expect(&p, end, 0xBF21, &v, &vlen) != 0 || sf_der_check_end(p, end) != 0)
		return SF_ERSP_FORMAT;
	p = v;
	end = v + vlen;
	if (tlv_raw(&p, end, SF_DER_SEQUENCE, &signed2, &signed2_len) != 0 ||
	    sf_der_get_octets(&p, end, TAG_SIG, &sig, &sig_len) != 0 ||
	    sf_der_get_optional(&p, end, SF_DER_OCTET_STRING, &hcc, &hcc_len, &present) != 0 ||
	    tlv_raw(&p, end, SF_DER_SEQUENCE, &cert, &cert_len) != 0 || (present && hcc_len != 32))
		return SF_ERSP_FORMAT;
	{
		const uint8_t *q = signed2, *qe = signed2 + signed2_len, *sv;
		size_t svlen;
		if (sf_der_expect(&q, qe, SF_DER_SEQUENCE, &sv, &svlen) != 0)
			return SF_ERSP_FORMAT;
		q = sv;
		qe = sv + svlen;
		if (sf_der_get_octets(&q, qe, SF_DER_CTX(0), &tid, &tid_len) != 0 ||
		    sf_der_get_bool(&q, qe, SF_DER_BOOLEAN, &cc_required) != 0 ||
		    sf_der_get_optional(&q, qe, TAG_OTPK, &bpp, &bpp_len, &bpp_present) != 0 ||
		    tid_len == 0 || tid_len > SF_RSP_TID_LEN)
			return SF_ERSP_FORMAT;
	}

	/* §5.7.5 order: session; CERT.DPpb; smdpSignature2 (over smdpSigned2
	 * || euiccSignature1: only the SM-DP+ that saw our signature can make
	 * it); transactionId; confirmation code. */
	if (s->state != 2 && s->state != 3)
		rc = SF_ERSP_NO_SESSION;
	else if ((rc = check_server_cert(c, cert, cert_len, SF_PKI_ROLE_DPPB, now, &pk, oid,
	                                 &oid_len)) != 0)
		;
	/* CERT.DPpb must be the same SM-DP+'s as CERT.DPauth: its OID goes
	 * into the PIR that the DPauth session's SM-DP+ receives. */
	else if (oid_len != s->smdp_oid_len || memcmp(oid, s->smdp_oid, oid_len) != 0)
		rc = SF_ERSP_CERT;
	else if ((rc = sf__rsp_verify_chained(pk, signed2, signed2_len, s->euicc_signature1, sig,
	                                      sig_len)) != 0)
		rc = SF_ERSP_SIG;
	else if (tid_len != s->tid_len || !sf_ct_eq(tid, s->tid, tid_len))
		rc = SF_ERSP_TRANSACTION;
	else if (cc_required && !present)
		rc = SF_ERSP_CC;
	if (rc != 0)
		goto refuse;
	if ((rc = sf_ec_key_point(pk, pbpk)) != 0)
		goto out;

	/* otSK.EUICC.ECKA on the curve of CERT.DPpb.  A retry that names the
	 * otPK we already gave (bppEuiccOtpk) keeps it: the SM-DP+ may have
	 * bound the BPP to it (§3.1.3.3); anything else gets a fresh key. */
	if (s->otsk != NULL && bpp_present && bpp_len == SF_EC_POINT_LEN &&
	    memcmp(bpp, s->otpk, SF_EC_POINT_LEN) == 0 &&
	    sf_ec_key_curve(s->otsk) == sf_ec_key_curve(pk)) {
		memcpy(otpk, s->otpk, sizeof(otpk));
	} else {
		if ((rc = sf_ec_key_generate(sf_ec_key_curve(pk), &otsk)) != 0 ||
		    (rc = sf_ec_key_point(otsk, otpk)) != 0)
			goto out;
	}

	/* EUICCSigned2 ::= SEQUENCE { transactionId [0], euiccOtpk 5F49,
	 *   hashCc Octet32 OPTIONAL } */
	sf_der_writer_init(&w, signed_buf, sizeof(signed_buf));
	m = sf_der_writer_mark(&w);
	if (present)
		sf_der_write_octets(&w, SF_DER_OCTET_STRING, hcc, hcc_len);
	sf_der_write_octets(&w, TAG_OTPK, otpk, sizeof(otpk));
	sf_der_write_octets(&w, SF_DER_CTX(0), tid, tid_len);
	sf_der_write_wrap(&w, m, SF_DER_SEQUENCE);
	if ((rc = sf_der_writer_finish(&w, &n)) != 0)
		goto out;
	/* euiccSignature2 over euiccSigned2 || smdpSignature2 DO (§3.1.3). */
	if ((rc = sf__rsp_sign_chained(c->key, signed_buf, n, sig, sig2)) != 0)
		goto out;
	sf_der_writer_init(&w, dst, dst_len);
	m = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, TAG_SIG, sig2, sizeof(sig2));
	sf_der_write_raw(&w, signed_buf, n);
	sf_der_write_wrap(&w, m, SF_DER_CTX_C(0));
	sf_der_write_wrap(&w, m, 0xBF21);
	if ((rc = sf_der_writer_finish(&w, out_len)) != 0)
		goto out;
	if (otsk != NULL) {
		sf_ec_key_free(s->otsk);
		s->otsk = otsk;
		otsk = NULL;
		memcpy(s->otpk, otpk, sizeof(otpk));
	}
	memcpy(s->dppb_pk, pbpk, sizeof(pbpk));
	s->dppb_curve = sf_ec_key_curve(pk);
	s->state = 3;
	rc = 0;
	goto out;

refuse:
	sf_log(SF_LOG_INFO, "rsp", "PrepareDownload refused: %s", sf_strerror(rc));
	if (code)
		*code = sgp22_dl_code(rc);
	{
		int wr = write_error(0xBF21, tid, tid_len, sgp22_dl_code(rc), dst, dst_len, out_len);
		if (wr != 0)
			rc = wr;
	}
out:
	sf_ec_key_free(otsk);
	sf_ec_key_free(pk);
	return rc;
}
