/*
 * SM-DP+ side of RSP mutual authentication.
 *
 *   GSMA SGP.22 v2.5 §3.1.2   common mutual authentication procedure
 *   GSMA SGP.22 v2.5 §5.6.1   ES9+.InitiateAuthentication
 *   GSMA SGP.22 v2.5 §5.6.3   ES9+.AuthenticateClient
 *   GSMA SGP.22 v2.5 §5.6.2   ES9+.GetBoundProfilePackage (its first check only)
 *   GSMA SGP.22 v2.5 §4.5.2.2 certificate chain validation (src/pki)
 *   ASN.1: RSPDefinitions v2.5 (AUTOMATIC TAGS): ServerSigned1, EuiccSigned1,
 *          SmdpSigned2, EUICCSigned2, AuthenticateServerResponse,
 *          PrepareDownloadResponse.
 *
 * Signed data is always checked on the TLV bytes as received (never
 * re-encoded): see ../shared/notes/bpp-crypto.md §2, §8.
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
#include "simfleet/sha256.h"
#include "simfleet/rng.h"
#include "simfleet/rsp.h"
#include "simfleet/util.h"

#define TAG_SIG 0x5F37u
#define TAG_OTPK 0x5F49u

void sf_rsp_smdp_free(struct sf_rsp_smdp *dp)
{
	if (dp == NULL)
		return;
	sf_x509_free(dp->ci);
	sf_x509_free(dp->dpauth_cert);
	sf_x509_free(dp->dppb_cert);
	sf_ec_key_free(dp->dpauth_key);
	sf_ec_key_free(dp->dppb_key);
	for (size_t i = 0; i < dp->n_eums && i < SF_RSP_EUM_MAX; i++) {
		sf_x509_free(dp->eums[i]);
		free(dp->eum_info[i]);
	}
	free(dp->ci_info);
	memset(dp, 0, sizeof(*dp));
}

/* sf_x509_get_info of cert on the heap, or NULL (out of memory, or it does
 * not decode: then the chain check computes it itself and says why). */
static struct sf_x509_info *info_of(const struct sf_x509 *cert)
{
	struct sf_x509_info *in = calloc(1, sizeof(*in));
	if (in != NULL && sf_x509_get_info(cert, in) != 0) {
		free(in);
		in = NULL;
	}
	return in;
}

int sf_rsp_smdp_add_eum(struct sf_rsp_smdp *dp, const char *eum_cert)
{
	if (dp == NULL || eum_cert == NULL)
		return SF_EINVAL;
	if (dp->n_eums >= SF_RSP_EUM_MAX)
		return SF_ERANGE;
	int rc = sf_pki_load_cert_file(eum_cert, &dp->eums[dp->n_eums]);
	if (rc == 0) {
		const struct sf_ec_key *ci_key = NULL;
		dp->eum_info[dp->n_eums] = info_of(dp->eums[dp->n_eums]);
		/* Its signature under the CI, verified once: an EUM certificate
		 * signed by another CI is kept too, and refused at each use. */
		dp->eum_sig_ok[dp->n_eums] =
		    dp->ci && sf_x509_get0_public_key(dp->ci, &ci_key) == 0 &&
		    sf_x509_check_signature(dp->eums[dp->n_eums], ci_key) == 0;
		dp->n_eums++;
	}
	return rc;
}

int sf__rsp_smdp_eum(const struct sf_rsp_smdp *dp, const uint8_t *der, size_t len,
                     struct sf_x509 **parsed, struct sf_pki_cert *eum)
{
	*parsed = NULL;
	for (size_t i = 0; i < dp->n_eums && i < SF_RSP_EUM_MAX; i++) {
		const uint8_t *d;
		size_t dl;
		if (sf_x509_der(dp->eums[i], &d, &dl) == 0 && dl == len && memcmp(d, der, len) == 0) {
			eum->cert = dp->eums[i];
			eum->info = dp->eum_info[i];
			eum->verified_by = dp->eum_sig_ok[i] ? dp->ci : NULL;
			return 0;
		}
	}
	if (sf_x509_load(der, len, parsed) != 0)
		return SF_ERSP_FORMAT;
	eum->cert = *parsed;
	eum->info = NULL;
	eum->verified_by = NULL;
	return 0;
}

int sf__rsp_smdp_verify_euicc(const struct sf_rsp_smdp *dp, const struct sf_x509 *euicc,
                              const struct sf_x509_info *euicc_info,
                              const struct sf_pki_cert *eum, int64_t now, char *reason,
                              size_t reason_len)
{
	const struct sf_pki_cert ci = {dp->ci, dp->ci_info, NULL};
	const struct sf_pki_cert chain[2] = {{euicc, euicc_info, NULL}, *eum};
	return sf_pki_verify_chain_info(&ci, chain, 2, SF_PKI_ROLE_EUICC, now, NULL, reason,
	                                reason_len);
}

int sf_rsp_smdp_load(struct sf_rsp_smdp *dp, const char *address, const char *ci_cert,
                     const char *dpauth_cert, const char *dpauth_key, const char *dppb_cert,
                     const char *dppb_key, const struct sf_rng *rng)
{
	int rc = SF_EINVAL;

	if (dp == NULL)
		return SF_EINVAL;
	memset(dp, 0, sizeof(*dp));
	if (address == NULL || strlen(address) == 0 || strlen(address) > SF_RSP_ADDRESS_MAX)
		goto out;
	memcpy(dp->address, address, strlen(address) + 1);
	dp->rng = rng ? rng : sf_rng_system();
	if ((rc = sf_pki_load_cert_file(ci_cert, &dp->ci)) != 0 ||
	    (rc = sf_pki_load_cert_file(dpauth_cert, &dp->dpauth_cert)) != 0 ||
	    (rc = sf_pki_load_cert_file(dppb_cert, &dp->dppb_cert)) != 0 ||
	    (rc = sf_pki_load_key_file(dpauth_key, &dp->dpauth_key)) != 0 ||
	    (rc = sf_pki_load_key_file(dppb_key, &dp->dppb_key)) != 0 ||
	    (rc = sf__rsp_ski(dp->ci, dp->ci_pkid, sizeof(dp->ci_pkid), &dp->ci_pkid_len)) != 0)
		goto out;
	dp->ci_info = info_of(dp->ci);
	rc = 0;
out:
	if (rc != 0)
		sf_rsp_smdp_free(dp);
	return rc;
}

/* 1 when the SEQUENCE OF SubjectKeyIdentifier (content val/len) holds pkid. */
static int pkid_listed(const uint8_t *val, size_t len, const uint8_t *pkid, size_t pkid_len,
                       int *found)
{
	struct sf_der_iter it;
	struct sf_der_tlv t;
	int rc;

	*found = 0;
	sf_der_iter_init(&it, val, len);
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		if (t.tag != SF_DER_OCTET_STRING)
			return SF_ERSP_FORMAT;
		if (t.len == pkid_len && memcmp(t.val, pkid, pkid_len) == 0)
			*found = 1;
	}
	return rc < 0 ? SF_ERSP_FORMAT : 0;
}

/* EUICCInfo1 ::= [32] SEQUENCE { svn [2], euiccCiPKIdListForVerification [9],
 *   euiccCiPKIdListForSigning [10], ... }: this SM-DP+'s CI must be in both
 * (its DPauth/DPpb certificates are checked with it, and the eUICC signs with
 * the certificate chain under it: euiccCiPKIdToBeUsed). */
static int check_info1(const struct sf_rsp_smdp *dp, const uint8_t *info1, size_t len)
{
	const uint8_t *p = info1, *end = info1 + len, *v, *q, *qe, *l;
	size_t vlen, llen;
	int ver = 0, sign = 0;

	if (sf_der_expect(&p, end, 0xBF20, &v, &vlen) != 0 || sf_der_check_end(p, end) != 0)
		return SF_ERSP_FORMAT;
	q = v;
	qe = v + vlen;
	if (sf_der_expect(&q, qe, SF_DER_CTX(2), NULL, NULL) != 0 ||
	    sf_der_expect(&q, qe, SF_DER_CTX_C(9), &l, &llen) != 0 ||
	    pkid_listed(l, llen, dp->ci_pkid, dp->ci_pkid_len, &ver) != 0 ||
	    sf_der_expect(&q, qe, SF_DER_CTX_C(10), &l, &llen) != 0 ||
	    pkid_listed(l, llen, dp->ci_pkid, dp->ci_pkid_len, &sign) != 0)
		return SF_ERSP_FORMAT;
	return ver && sign ? 0 : SF_ERSP_CI_UNKNOWN;
}

int sf_rsp_smdp_initiate_authentication(const struct sf_rsp_smdp *dp,
                                        struct sf_rsp_smdp_session *s,
                                        const uint8_t euicc_challenge[SF_RSP_CHALLENGE_LEN],
                                        const uint8_t *euicc_info1, size_t info1_len,
                                        const char *smdp_address, struct sf_rsp_init_auth *out)
{
	struct sf_rsp_smdp_session ns;
	struct sf_der_writer w;
	size_t m, n;
	int rc;

	if (dp == NULL || s == NULL || euicc_challenge == NULL || euicc_info1 == NULL ||
	    smdp_address == NULL || out == NULL || dp->dpauth_key == NULL)
		return SF_EINVAL;
	/* §5.6.1: the address the LPA used must be this SM-DP+'s
	 * (invalidDpAddress); the eUICC must trust this SM-DP+'s CI. */
	if (strcmp(smdp_address, dp->address) != 0) {
		sf_log(SF_LOG_INFO, "rsp", "InitiateAuthentication for %s, this SM-DP+ is %s",
		       smdp_address, dp->address);
		return SF_ERSP_ADDRESS;
	}
	if ((rc = check_info1(dp, euicc_info1, info1_len)) != 0)
		return rc;

	memset(&ns, 0, sizeof(ns));
	memset(out, 0, sizeof(*out));
	ns.tid_len = SF_RSP_TID_LEN;
	if ((rc = sf_rng_fill(dp->rng, ns.tid, ns.tid_len)) != 0 ||
	    (rc = sf_rng_fill(dp->rng, ns.server_challenge, SF_RSP_CHALLENGE_LEN)) != 0)
		return rc;
	memcpy(ns.euicc_challenge, euicc_challenge, SF_RSP_CHALLENGE_LEN);

	/* ServerSigned1 ::= SEQUENCE { transactionId [0], euiccChallenge [1],
	 *   serverAddress [3] UTF8String, serverChallenge [4] } */
	sf_der_writer_init(&w, out->server_signed1, sizeof(out->server_signed1));
	m = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, SF_DER_CTX(4), ns.server_challenge, SF_RSP_CHALLENGE_LEN);
	sf_der_write_string(&w, SF_DER_CTX(3), SF_DER_UTF8_STRING, dp->address,
	                    strlen(dp->address));
	sf_der_write_octets(&w, SF_DER_CTX(1), euicc_challenge, SF_RSP_CHALLENGE_LEN);
	sf_der_write_octets(&w, SF_DER_CTX(0), ns.tid, ns.tid_len);
	sf_der_write_wrap(&w, m, SF_DER_SEQUENCE);
	if ((rc = sf_der_writer_finish(&w, &n)) != 0)
		return rc;
	out->server_signed1_len = n;
	if ((rc = sf_ecdsa_sign(dp->dpauth_key, out->server_signed1, n, out->server_signature1)) !=
	    0)
		return rc;
	memcpy(out->tid, ns.tid, ns.tid_len);
	out->tid_len = ns.tid_len;
	memcpy(out->ci_pkid, dp->ci_pkid, dp->ci_pkid_len);
	out->ci_pkid_len = dp->ci_pkid_len;
	if ((rc = sf_x509_der(dp->dpauth_cert, &out->server_cert, &out->server_cert_len)) != 0)
		return rc;
	ns.state = 1;
	*s = ns;
	return 0;
}

/* Parsed AuthenticateResponseOk. */
struct auth_ok {
	const uint8_t *signed1; /* EuiccSigned1 TLV */
	size_t signed1_len;
	const uint8_t *sig;
	size_t sig_len;
	const uint8_t *euicc_cert, *eum_cert;
	size_t euicc_cert_len, eum_cert_len;
	const uint8_t *tid, *addr, *sc;
	size_t tid_len, addr_len, sc_len;
};

/* A whole TLV with the expected tag: its raw bytes. */
static int raw_tlv(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **raw,
                   size_t *raw_len)
{
	const uint8_t *start = *p;
	if (sf_der_expect(p, end, tag, NULL, NULL) != 0)
		return SF_ERSP_FORMAT;
	*raw = start;
	*raw_len = (size_t)(*p - start);
	return 0;
}

/* The error alternative { transactionId [0], code INTEGER } of both
 * responses. */
static int parse_error(const uint8_t *v, size_t len, int *code)
{
	const uint8_t *p = v, *end = v + len;
	int64_t c;
	if (sf_der_expect(&p, end, SF_DER_CTX(0), NULL, NULL) != 0 ||
	    sf_der_get_int64(&p, end, SF_DER_INTEGER, &c) != 0 || c < 0 || c > 255)
		return SF_ERSP_FORMAT;
	if (code)
		*code = (int)c;
	return SF_ERSP_EUICC_ERROR;
}

/* Unwraps an ES10b response OUTER { [0] ok | [1] error }: *body gets the ok
 * alternative's content; the error alternative is decoded by parse_error. */
static int open_response(const uint8_t *rsp, size_t len, uint32_t outer, const uint8_t **body,
			 size_t *blen, int *code)
{
	const uint8_t *p = rsp, *end = rsp + len, *v;
	size_t vlen;
	uint32_t tag;
	if (sf_der_expect(&p, end, outer, &v, &vlen) != 0 || sf_der_check_end(p, end) != 0)
		return SF_ERSP_FORMAT;
	p = v;
	end = v + vlen;
	if (sf_der_get_tlv(&p, end, &tag, &v, &vlen) != 0)
		return SF_ERSP_FORMAT;
	if (tag == SF_DER_CTX_C(1))
		return parse_error(v, vlen, code);
	if (tag != SF_DER_CTX_C(0))
		return SF_ERSP_FORMAT;
	*body = v;
	*blen = vlen;
	return 0;
}

/* AuthenticateServerResponse ::= [56] CHOICE { authenticateResponseOk [0]
 *   { euiccSigned1 (30), euiccSignature1 5F37, euiccCertificate (30),
 *     eumCertificate (30) }, authenticateResponseError [1] }
 * EuiccSigned1 ::= SEQUENCE { transactionId [0], serverAddress [3],
 *   serverChallenge [4], euiccInfo2 [34], ctxParams1 } */
static int parse_auth_response(const uint8_t *rsp, size_t len, struct auth_ok *o, int *code)
{
	const uint8_t *v, *q, *qe, *sv;
	size_t vlen, svlen;

	int rc = open_response(rsp, len, 0xBF38, &v, &vlen, code);
	if (rc)
		return rc;
	q = v;
	qe = v + vlen;
	if (raw_tlv(&q, qe, SF_DER_SEQUENCE, &o->signed1, &o->signed1_len) != 0 ||
	    sf_der_get_octets(&q, qe, TAG_SIG, &o->sig, &o->sig_len) != 0 ||
	    raw_tlv(&q, qe, SF_DER_SEQUENCE, &o->euicc_cert, &o->euicc_cert_len) != 0 ||
	    raw_tlv(&q, qe, SF_DER_SEQUENCE, &o->eum_cert, &o->eum_cert_len) != 0)
		return SF_ERSP_FORMAT;
	/* euiccSigned1's own fields */
	q = o->signed1;
	qe = o->signed1 + o->signed1_len;
	if (sf_der_expect(&q, qe, SF_DER_SEQUENCE, &sv, &svlen) != 0)
		return SF_ERSP_FORMAT;
	q = sv;
	qe = sv + svlen;
	if (sf_der_get_octets(&q, qe, SF_DER_CTX(0), &o->tid, &o->tid_len) != 0 ||
	    sf_der_get_string(&q, qe, SF_DER_CTX(3), SF_DER_UTF8_STRING, &o->addr, &o->addr_len) !=
	        0 ||
	    sf_der_get_octets(&q, qe, SF_DER_CTX(4), &o->sc, &o->sc_len) != 0 ||
	    sf_der_expect(&q, qe, 0xBF22, NULL, NULL) != 0 ||
	    sf_der_expect(&q, qe, SF_DER_CTX_C(0), NULL, NULL) != 0)
		return SF_ERSP_FORMAT;
	if (o->tid_len == 0 || o->tid_len > SF_RSP_TID_LEN || o->sc_len != SF_RSP_CHALLENGE_LEN)
		return SF_ERSP_FORMAT;
	return 0;
}

int sf_rsp_smdp_authenticate_client(const struct sf_rsp_smdp *dp, struct sf_rsp_smdp_session *s,
                                    const uint8_t *tid, size_t tid_len, const uint8_t *rsp,
                                    size_t rsp_len, int cc_required, const uint8_t *bpp_otpk,
                                    int64_t now, struct sf_rsp_auth_client *out,
                                    int *euicc_error, char *reason, size_t reason_len)
{
	struct auth_ok o;
	struct sf_x509 *euicc = NULL, *eum = NULL;
	struct sf_pki_cert eum_c = {NULL, NULL, NULL};
	const struct sf_ec_key *pk = NULL;
	struct sf_x509_info *info = NULL;
	struct sf_der_writer w;
	size_t m, n;
	int rc = SF_EINVAL;

	if (reason && reason_len)
		reason[0] = '\0';
	if (dp == NULL || s == NULL || tid == NULL || rsp == NULL || out == NULL)
		return SF_EINVAL;
	if (s->state != 1)
		return SF_ERSP_NO_SESSION;
	if (tid_len != s->tid_len || !sf_ct_eq(tid, s->tid, tid_len))
		return SF_ERSP_TRANSACTION;
	memset(&o, 0, sizeof(o));
	if ((rc = parse_auth_response(rsp, rsp_len, &o, euicc_error)) != 0)
		return rc;

	/* §5.6.3: the eUICC and EUM certificates up to the CI (GSMA rules,
	 * EID within the EUM's range), then euiccSignature1 with PK.EUICC. */
	if (sf_x509_load(o.euicc_cert, o.euicc_cert_len, &euicc) != 0 ||
	    sf__rsp_smdp_eum(dp, o.eum_cert, o.eum_cert_len, &eum, &eum_c) != 0) {
		rc = SF_ERSP_FORMAT;
		goto out;
	}
	/* CERT.EUICC's information once: for the chain check and the EID.
	 * When it does not decode, the chain check computes it and says why. */
	if ((info = calloc(1, sizeof(*info))) == NULL) {
		rc = SF_ENOMEM;
		goto out;
	}
	int info_rc = sf_x509_get_info(euicc, info);
	rc = sf__rsp_smdp_verify_euicc(dp, euicc, info_rc == 0 ? info : NULL, &eum_c, now, reason,
	                               reason_len);
	if (rc != 0)
		goto out;
	if ((rc = info_rc) != 0)
		goto out;
	if ((rc = sf_x509_get0_public_key(euicc, &pk)) != 0)
		goto out;
	if (sf_ecdsa_verify(pk, o.signed1, o.signed1_len, o.sig, o.sig_len) != 0) {
		rc = SF_ERSP_SIG;
		goto out;
	}
	/* Inside what the eUICC signed: this session, this SM-DP+, this
	 * server challenge (the eUICC's proof of freshness). */
	if (o.tid_len != s->tid_len || !sf_ct_eq(o.tid, s->tid, s->tid_len)) {
		rc = SF_ERSP_TRANSACTION;
		goto out;
	}
	if (o.addr_len != strlen(dp->address) || memcmp(o.addr, dp->address, o.addr_len) != 0) {
		rc = SF_ERSP_ADDRESS;
		goto out;
	}
	if (!sf_ct_eq(o.sc, s->server_challenge, SF_RSP_CHALLENGE_LEN)) {
		rc = SF_ERSP_CHALLENGE;
		goto out;
	}
	/* SmdpSigned2 ::= SEQUENCE { transactionId [0], ccRequiredFlag BOOLEAN,
	 *   bppEuiccOtpk [APPLICATION 73] OPTIONAL } */
	memset(out, 0, sizeof(*out));
	sf_der_writer_init(&w, out->smdp_signed2, sizeof(out->smdp_signed2));
	m = sf_der_writer_mark(&w);
	if (bpp_otpk != NULL)
		sf_der_write_octets(&w, TAG_OTPK, bpp_otpk, SF_EC_POINT_LEN);
	sf_der_write_bool(&w, SF_DER_BOOLEAN, cc_required != 0);
	sf_der_write_octets(&w, SF_DER_CTX(0), s->tid, s->tid_len);
	sf_der_write_wrap(&w, m, SF_DER_SEQUENCE);
	if ((rc = sf_der_writer_finish(&w, &n)) != 0)
		goto out;
	out->smdp_signed2_len = n;
	/* smdpSignature2 covers smdpSigned2 || euiccSignature1 DO, binding this
	 * answer to the eUICC's authentication (§3.1.3). */
	if ((rc = sf__rsp_sign_chained(dp->dppb_key, out->smdp_signed2, n, o.sig,
	                               out->smdp_signature2)) != 0)
		goto out;
	if ((rc = sf_x509_der(dp->dppb_cert, &out->smdp_cert, &out->smdp_cert_len)) != 0)
		goto out;
	if ((rc = sf_ec_key_point(pk, s->euicc_pk)) != 0)
		goto out;
	s->euicc_curve = sf_ec_key_curve(pk);
	memcpy(s->eid, info->subject_serial, sizeof(s->eid) - 1);
	s->eid[sizeof(s->eid) - 1] = '\0';
	memcpy(s->smdp_signature2, out->smdp_signature2, SF_ECDSA_SIG_LEN);
	s->cc_required = cc_required != 0;
	s->state = 2;
	rc = 0;
out:
	free(info);
	sf_x509_free(euicc);
	sf_x509_free(eum);
	return rc;
}

/* PrepareDownloadResponse ::= [33] CHOICE { downloadResponseOk [0]
 *   { euiccSigned2 (30) { transactionId [0], euiccOtpk 5F49, hashCc 04 OPTIONAL },
 *     euiccSignature2 5F37 }, downloadResponseError [1] } */
/* Both entry points: the confirmation code itself (cc) or its SHA-256
 * (cc_sha256, what an SM-DP+ that stores only the hash has). */
static int check_prepare_download(const struct sf_rsp_smdp_session *s, const uint8_t *rsp,
                                  size_t rsp_len, const uint8_t *cc, size_t cc_len,
                                  const uint8_t *cc_sha256, uint8_t euicc_otpk[SF_EC_POINT_LEN],
                                  int *euicc_error)
{
	const uint8_t *p, *end, *v, *signed2, *sig, *sv, *t, *otpk, *hcc = NULL;
	size_t vlen, signed2_len, sig_len, svlen, tlen, otpk_len, hcc_len = 0;
	int present, rc;
	struct sf_ec_key *pk = NULL;

	if (s == NULL || rsp == NULL || euicc_otpk == NULL)
		return SF_EINVAL;
	if (s->state != 2)
		return SF_ERSP_NO_SESSION;
	int orc = open_response(rsp, rsp_len, 0xBF21, &v, &vlen, euicc_error);
	if (orc)
		return orc;
	p = v;
	end = v + vlen;
	if (raw_tlv(&p, end, SF_DER_SEQUENCE, &signed2, &signed2_len) != 0 ||
	    sf_der_get_octets(&p, end, TAG_SIG, &sig, &sig_len) != 0)
		return SF_ERSP_FORMAT;
	p = signed2;
	end = signed2 + signed2_len;
	if (sf_der_expect(&p, end, SF_DER_SEQUENCE, &sv, &svlen) != 0)
		return SF_ERSP_FORMAT;
	p = sv;
	end = sv + svlen;
	if (sf_der_get_octets(&p, end, SF_DER_CTX(0), &t, &tlen) != 0 ||
	    sf_der_get_octets(&p, end, TAG_OTPK, &otpk, &otpk_len) != 0 ||
	    sf_der_get_optional(&p, end, SF_DER_OCTET_STRING, &hcc, &hcc_len, &present) != 0 ||
	    otpk_len != SF_EC_POINT_LEN || (present && hcc_len != 32))
		return SF_ERSP_FORMAT;

	if ((rc = sf_ec_key_from_point(s->euicc_curve, s->euicc_pk, SF_EC_POINT_LEN, &pk)) != 0)
		return rc;
	rc = sf__rsp_verify_chained(pk, signed2, signed2_len, s->smdp_signature2, sig, sig_len);
	sf_ec_key_free(pk);
	if (rc != 0)
		return rc;
	if (tlen != s->tid_len || !sf_ct_eq(t, s->tid, tlen))
		return SF_ERSP_TRANSACTION;
	if (s->cc_required) {
		uint8_t want[32];
		if (!present || (cc == NULL && cc_sha256 == NULL))
			return SF_ERSP_CC;
		if (cc_sha256) {
			struct sf_sha256 h;
			sf_sha256_init(&h);
			sf_sha256_update(&h, cc_sha256, 32);
			sf_sha256_update(&h, s->tid, s->tid_len);
			sf_sha256_final(&h, want);
			sf_wipe(&h, sizeof(h));
		} else if ((rc = sf_rsp_hash_cc(cc, cc_len, s->tid, s->tid_len, want)) != 0) {
			return rc;
		}
		rc = sf_ct_eq(want, hcc, 32) ? 0 : SF_ERSP_CC;
		sf_wipe(want, sizeof(want));
		if (rc != 0)
			return rc;
	}
	memcpy(euicc_otpk, otpk, SF_EC_POINT_LEN);
	return 0;
}

int sf_rsp_smdp_check_prepare_download(const struct sf_rsp_smdp_session *s, const uint8_t *rsp,
                                       size_t rsp_len, const uint8_t *cc, size_t cc_len,
                                       uint8_t euicc_otpk[SF_EC_POINT_LEN], int *euicc_error)
{
	return check_prepare_download(s, rsp, rsp_len, cc, cc_len, NULL, euicc_otpk, euicc_error);
}

int sf_rsp_smdp_check_prepare_download_hashed(const struct sf_rsp_smdp_session *s,
                                              const uint8_t *rsp, size_t rsp_len,
                                              const uint8_t *cc_sha256,
                                              uint8_t euicc_otpk[SF_EC_POINT_LEN],
                                              int *euicc_error)
{
	return check_prepare_download(s, rsp, rsp_len, NULL, 0, cc_sha256, euicc_otpk,
	                              euicc_error);
}
