/*
 * SM-DP+ half of bpp.h (src/rsp/smdp_bpp.c; SGP.22 v2.5 §2.5, §2.6.4, §3.1.3,
 * §5.6.2, §5.7.10, §5.7.14):
 *  - the segments of a BoundProfilePackage byte for byte against the BSP
 *    vectors (tests/vectors/bsp.tsv, bsp_kdf.tsv: pySim, third-party trace);
 *  - sf_rsp_smdp_bind after an in-process mutual authentication and
 *    PrepareDownload (the approach of test_rsp_auth.c), on P-256 and
 *    brainpoolP256r1: the package walked with the DER reader, smdpSign
 *    checked with CERT.DPpb, and every segment opened with sf_bsp_unprotect
 *    under the keys the eUICC derives from its own otSK (and the PPKs);
 *  - notifications (PIR, other) and CancelSession responses built and signed
 *    here with SK.EUICC: parse, verify, tampering, wrong keys, and every
 *    truncated prefix in an exact-size heap buffer (ASan in make check).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/rsp/rsp_internal.h"
#include "helper_tsv.h"
#include "simfleet/bpp.h"
#include "simfleet/crypto.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/pki.h"
#include "simfleet/rsp.h"
#include "simfleet/util.h"

#define assert_rc(want, got) assert_string_equal(sf_err_name(want), sf_err_name(got))

#define NOW 1700000000LL
#define EID "89049032123451234512345678901235"
#define ADDR "smdp.example.org"

static const uint8_t INFO2[] = {0xBF, 0x22, 0x03, 0x81, 0x01, 0x02};
static const uint8_t CTX[] = {0xA0, 0x0A, 0xA1, 0x08, 0x80, 0x04, 0x35, 0x29,
                              0x06, 0x11, 0xA1, 0x00};

/* ====================================================================
 * 1. Segments against the vectors
 * ==================================================================== */

/* The child of a constructed TLV at *p with tag; fails the test otherwise. */
static void expect(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **v,
                   size_t *len)
{
	int rc = sf_der_expect(p, end, tag, v, len);
	if (rc)
		fail_msg("expected tag %X: %s", tag, sf_err_name(rc));
}

static void vector_md(struct sf_bpp_metadata *md)
{
	memset(md, 0, sizeof(*md));
	strcpy(md->iccid, "89000123456789012341");
	strcpy(md->spn, "GSMA_TEST");
	strcpy(md->name, "GSMA_TEST_PROFILE");
	md->pclass = 0;
}

static void test_vectors(void **state)
{
	(void)state;
	struct sf_tsv kdf, bsp;
	struct sf_bsp_keys keys;
	struct sf_bpp_options o;
	struct sf_bpp_metadata md;
	uint8_t z[32], hid[16], eid[16], exp[1100], upp[2 * 1007], *out;
	size_t hid_len, n, len, need;
	const uint8_t *p, *end, *v;

	sf_tsv_load(&kdf, "bsp_kdf.tsv");
	sf_tsv_load(&bsp, "bsp.tsv");
	assert_int_equal(32, sf_tsv_hex(&kdf, 0, "z", z, sizeof(z)));
	hid_len = sf_tsv_hex(&kdf, 0, "host_id", hid, sizeof(hid));
	assert_int_equal(16, sf_tsv_hex(&kdf, 0, "eid", eid, sizeof(eid)));
	assert_rc(0, sf_bsp_derive_keys(z, 0x88, 0x10, hid, hid_len, eid, &keys));
	/* the keys the BSP rows were made with */
	assert_int_equal(16, sf_tsv_hex(&bsp, 0, "s_enc", exp, sizeof(exp)));
	sf_assert_mem("S-ENC", exp, keys.s_enc, 16);
	assert_int_equal(16, sf_tsv_hex(&bsp, 0, "mcv_in", exp, sizeof(exp)));
	sf_assert_mem("MCV0", exp, keys.mcv0, 16);

	vector_md(&md);
	memset(&o, 0, sizeof(o));
	o.use_ppk = 1;
	assert_int_equal(16, sf_tsv_hex(&bsp, 3, "s_enc", o.ppk_enc, 16));
	assert_int_equal(16, sf_tsv_hex(&bsp, 3, "s_mac", o.ppk_mac, 16));
	assert_int_equal(16, sf_tsv_hex(&bsp, 3, "mcv_in", o.ppk_mcv, 16));
	assert_int_equal(1007, sf_tsv_hex(&bsp, 3, "plaintext", upp, 1007));
	assert_int_equal(1007, sf_tsv_hex(&bsp, 4, "plaintext", upp + 1007, 1007));

	assert_rc(SF_EBUFSIZE, sf__bpp_build_segments(&keys, &md, &o, upp, sizeof(upp), NULL, 0,
	                                               &need));
	out = malloc(need);
	assert_non_null(out);
	assert_rc(SF_EBUFSIZE, sf__bpp_build_segments(&keys, &md, &o, upp, sizeof(upp), out,
	                                               need - 1, &n));
	assert_rc(0, sf__bpp_build_segments(&keys, &md, &o, upp, sizeof(upp), out, need, &n));
	assert_int_equal(need, n);

	p = out;
	end = out + n;
	/* A0 { 87 ConfigureISDP } = row 1 */
	expect(&p, end, 0xA0, &v, &len);
	n = sf_tsv_hex(&bsp, 0, "expected", exp, sizeof(exp));
	assert_int_equal(n, len);
	sf_assert_mem("A0/87 ConfigureISDP", exp, v, n);
	/* A1 { 88 StoreMetadata } = row 2 (plaintext = our encoding too) */
	expect(&p, end, 0xA1, &v, &len);
	n = sf_tsv_hex(&bsp, 1, "expected", exp, sizeof(exp));
	assert_int_equal(n, len);
	sf_assert_mem("A1/88 StoreMetadata", exp, v, n);
	/* A2 { 87 ReplaceSessionKeys } = row 3 */
	expect(&p, end, 0xA2, &v, &len);
	n = sf_tsv_hex(&bsp, 2, "expected", exp, sizeof(exp));
	assert_int_equal(n, len);
	sf_assert_mem("A2/87 ReplaceSessionKeys", exp, v, n);
	/* A3 { 86, 86 } = rows 4, 5 under the PPKs */
	expect(&p, end, 0xA3, &v, &len);
	assert_int_equal(2040, len);
	n = sf_tsv_hex(&bsp, 3, "expected", exp, sizeof(exp));
	assert_int_equal(1020, n);
	sf_assert_mem("A3/86 segment 1", exp, v, n);
	n = sf_tsv_hex(&bsp, 4, "expected", exp, sizeof(exp));
	sf_assert_mem("A3/86 segment 2", exp, v + 1020, n);
	assert_rc(0, sf_der_check_end(p, end));

	/* Without PPKs the first three segments are the same, the profile
	 * continues the session state (n = 3). */
	o.use_ppk = 0;
	size_t n2;
	uint8_t *out2 = malloc(need);
	assert_non_null(out2);
	assert_rc(0, sf__bpp_build_segments(&keys, &md, &o, upp, sizeof(upp), out2, need, &n2));
	assert_int_equal(need - 76, n2);
	sf_assert_mem("A0 A1 without PPK", out, out2, 28 + 60);
	struct sf_bsp st;
	uint8_t pt[1100];
	size_t ptl;
	sf_bsp_init(&st, keys.s_enc, keys.s_mac, keys.mcv0);
	p = out2;
	end = out2 + n2;
	expect(&p, end, 0xA0, &v, &len);
	assert_rc(0, sf_bsp_unprotect(&st, 0x87, v, len, pt, sizeof(pt), &ptl));
	expect(&p, end, 0xA1, &v, &len);
	assert_rc(0, sf_bsp_unprotect(&st, 0x88, v, len, pt, sizeof(pt), &ptl));
	expect(&p, end, 0xA3, &v, &len);
	assert_rc(0, sf_bsp_unprotect(&st, 0x86, v, 1020, pt, sizeof(pt), &ptl));
	sf_assert_mem("UPP part 1", upp, pt, 1007);
	assert_rc(0, sf_bsp_unprotect(&st, 0x86, v + 1020, 1020, pt, sizeof(pt), &ptl));
	sf_assert_mem("UPP part 2", upp + 1007, pt, 1007);
	sf_bsp_free(&st);

	/* metadata that StoreMetadataRequest cannot carry */
	md.iccid[5] = 'x';
	assert_rc(SF_ERSP_FORMAT,
	          sf__bpp_build_segments(&keys, &md, &o, upp, sizeof(upp), out2, need, &n2));
	vector_md(&md);
	md.iccid[18] = '\0'; /* 18 digits */
	assert_rc(SF_ERSP_FORMAT,
	          sf__bpp_build_segments(&keys, &md, &o, upp, sizeof(upp), out2, need, &n2));
	vector_md(&md);
	md.pclass = 3;
	assert_rc(SF_ERSP_FORMAT,
	          sf__bpp_build_segments(&keys, &md, &o, upp, sizeof(upp), out2, need, &n2));
	vector_md(&md);
	md.name[0] = (char)0xC0; /* not UTF-8 */
	assert_rc(SF_ERSP_FORMAT,
	          sf__bpp_build_segments(&keys, &md, &o, upp, sizeof(upp), out2, need, &n2));
	vector_md(&md);
	assert_rc(SF_EINVAL, sf__bpp_build_segments(&keys, &md, &o, upp, 0, out2, need, &n2));

	free(out);
	free(out2);
	sf_tsv_free(&kdf);
	sf_tsv_free(&bsp);
}

/* StoreMetadata of a 19-digit ICCID (F padding) and of an operational
 * profile (DEFAULT: not encoded), seen through a MAC-only segment. */
static void test_metadata_encoding(void **state)
{
	(void)state;
	struct sf_bsp_keys keys;
	struct sf_bpp_metadata md;
	uint8_t out[256], upp[1] = {0};
	size_t n, len;
	const uint8_t *p, *end, *v;
	static const uint8_t want[] = {0xBF, 0x25, 0x12, 0x5A, 0x0A, 0x98, 0x00, 0x10, 0x32,
	                               0x54, 0x76, 0x98, 0x10, 0x32, 0xF4, 0x91, 0x01, 'A',
	                               0x92, 0x01, 'B'};

	memset(&keys, 0x11, sizeof(keys));
	memset(&md, 0, sizeof(md));
	strcpy(md.iccid, "8900012345678901234");
	strcpy(md.spn, "A");
	strcpy(md.name, "B");
	md.pclass = 2;
	assert_rc(0, sf__bpp_build_segments(&keys, &md, NULL, upp, 1, out, sizeof(out), &n));
	p = out;
	end = out + n;
	expect(&p, end, 0xA0, NULL, NULL);
	expect(&p, end, 0xA1, &v, &len);
	assert_memory_equal(v, ((const uint8_t[]){0x88, sizeof(want) + 8}), 2);
	/* MAC-only: the plaintext is in the clear */
	sf_assert_mem("StoreMetadata", want, v + 2, sizeof(want));
}

/* ====================================================================
 * 2. Binding after an in-process authentication
 * ==================================================================== */

struct world {
	struct sf_rsp_smdp dp;
	struct sf_rsp_euicc_cred cred;
	int64_t now;
	struct sf_x509 *dppb;
	char dir[64];
	enum sf_ec_curve curve;
};

static size_t build_auth_server(const struct sf_rsp_init_auth *ia, uint8_t *buf, size_t cap)
{
	struct sf_der_writer w;
	size_t m, n;
	sf_der_writer_init(&w, buf, cap);
	m = sf_der_writer_mark(&w);
	sf_der_write_raw(&w, CTX, sizeof(CTX));
	sf_der_write_raw(&w, ia->server_cert, ia->server_cert_len);
	sf_der_write_octets(&w, SF_DER_OCTET_STRING, ia->ci_pkid, ia->ci_pkid_len);
	sf_der_write_octets(&w, 0x5F37, ia->server_signature1, 64);
	sf_der_write_raw(&w, ia->server_signed1, ia->server_signed1_len);
	sf_der_write_wrap(&w, m, 0xBF38);
	assert_int_equal(0, sf_der_writer_finish(&w, &n));
	return n;
}

static size_t build_prepare(const struct sf_rsp_auth_client *ac, uint8_t *buf, size_t cap)
{
	struct sf_der_writer w;
	size_t m, n;
	sf_der_writer_init(&w, buf, cap);
	m = sf_der_writer_mark(&w);
	sf_der_write_raw(&w, ac->smdp_cert, ac->smdp_cert_len);
	sf_der_write_octets(&w, 0x5F37, ac->smdp_signature2, 64);
	sf_der_write_raw(&w, ac->smdp_signed2, ac->smdp_signed2_len);
	sf_der_write_wrap(&w, m, 0xBF21);
	assert_int_equal(0, sf_der_writer_finish(&w, &n));
	return n;
}

/* GetEUICCChallenge .. check_prepare_download: ds in state 2, es holding
 * otSK.EUICC, otpk = otPK.EUICC as the SM-DP+ received it. */
static void authenticate(struct world *wd, struct sf_rsp_smdp_session *ds,
                         struct sf_rsp_euicc_session *es, uint8_t otpk[65])
{
	struct sf_rsp_init_auth ia;
	struct sf_rsp_auth_client ac;
	uint8_t ch[16], info1[128], *req = malloc(8192), *rsp = malloc(8192);
	size_t info1_len, req_len, rsp_len;
	int code = -1, err = -1, rc;
	char reason[256];

	assert_non_null(req);
	assert_non_null(rsp);
	sf_rsp_euicc_session_init(es);
	memset(ds, 0, sizeof(*ds));
	assert_rc(0, sf_rsp_euicc_challenge(es, NULL, ch));
	assert_rc(0, sf_rsp_euicc_info1(&wd->cred, info1, sizeof(info1), &info1_len));
	assert_rc(0, sf_rsp_smdp_initiate_authentication(&wd->dp, ds, ch, info1, info1_len, ADDR,
	                                                 &ia));
	req_len = build_auth_server(&ia, req, 8192);
	assert_rc(0, sf_rsp_euicc_authenticate_server(&wd->cred, es, req, req_len, INFO2,
	                                              sizeof(INFO2), wd->now, rsp, 8192, &rsp_len,
	                                              &code));
	rc = sf_rsp_smdp_authenticate_client(&wd->dp, ds, ia.tid, ia.tid_len, rsp, rsp_len, 0, NULL,
	                                     wd->now, &ac, &err, reason, sizeof(reason));
	if (rc)
		fail_msg("AuthenticateClient: %s (%s)", sf_err_name(rc), reason);
	req_len = build_prepare(&ac, req, 8192);
	assert_rc(0, sf_rsp_euicc_prepare_download(&wd->cred, es, req, req_len, wd->now, rsp, 8192,
	                                           &rsp_len, &code));
	assert_rc(0, sf_rsp_smdp_check_prepare_download(ds, rsp, rsp_len, NULL, 0, otpk, &err));
	free(req);
	free(rsp);
}

static void world_up(struct world *wd, enum sf_ec_curve curve)
{
	struct sf_pki_init_opts o = {.curve = curve, .now = NOW};
	char cp[SF_PKI_PATH_MAX], kp[SF_PKI_PATH_MAX], a[SF_PKI_PATH_MAX * 2],
	    b[SF_PKI_PATH_MAX * 2], c[SF_PKI_PATH_MAX * 2], d[SF_PKI_PATH_MAX * 2],
	    e[SF_PKI_PATH_MAX * 2];

	memset(wd, 0, sizeof(*wd));
	wd->now = NOW + 60;
	wd->curve = curve;
	strcpy(wd->dir, "/tmp/sf_test_bpp_smdp_XXXXXX");
	assert_non_null(mkdtemp(wd->dir));
	assert_rc(0, sf_pki_init(wd->dir, &o));
	assert_rc(0, sf_pki_issue_euicc(wd->dir, EID, NULL, NOW, cp, kp));
	snprintf(a, sizeof(a), "%s/ci.pem", wd->dir);
	snprintf(b, sizeof(b), "%s/dpauth.pem", wd->dir);
	snprintf(c, sizeof(c), "%s/dpauth.key", wd->dir);
	snprintf(d, sizeof(d), "%s/dppb.pem", wd->dir);
	snprintf(e, sizeof(e), "%s/dppb.key", wd->dir);
	assert_rc(0, sf_rsp_smdp_load(&wd->dp, ADDR, a, b, c, d, e, NULL));
	assert_rc(0, sf_pki_load_cert_file(d, &wd->dppb));
	snprintf(b, sizeof(b), "%s/eum.pem", wd->dir);
	assert_rc(0, sf_rsp_euicc_cred_load(&wd->cred, cp, kp, b, a, wd->now));
	/* P-256: the EUM certificate preloaded (same checks, no parsing) */
	if (curve == SF_EC_P256) {
		assert_rc(0, sf_rsp_smdp_add_eum(&wd->dp, b));
		assert_int_equal(1, wd->dp.n_eums);
	}
}

static void world_down(struct world *wd)
{
	char cmd[128];
	sf_rsp_smdp_free(&wd->dp);
	sf_rsp_euicc_cred_free(&wd->cred);
	sf_x509_free(wd->dppb);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", wd->dir);
	assert_int_equal(0, system(cmd));
}

/* Opens every segment of a container with st; appends the plaintext to
 * out (cap octets), checks that each segment is <= 1020 octets. */
static size_t open_container(struct sf_bsp *st, uint8_t seg_tag, const uint8_t *v, size_t len,
                             uint8_t *out, size_t cap)
{
	struct sf_der_iter it;
	struct sf_der_tlv t;
	size_t total = 0, n;
	int rc;
	sf_der_iter_init(&it, v, len);
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		assert_int_equal(seg_tag, t.tag);
		if (t.raw_len > SF_BSP_SEGMENT_MAX)
			fail_msg("segment of %zu octets", t.raw_len);
		rc = sf_bsp_unprotect(st, seg_tag, t.raw, t.raw_len, out + total, cap - total, &n);
		if (rc)
			fail_msg("segment %X: %s", seg_tag, sf_err_name(rc));
		total += n;
	}
	assert_int_equal(0, rc);
	return total;
}

/* The eUICC's view of a BF36: BF23 checked (smdpSign with CERT.DPpb),
 * keys from its otSK, every segment opened; the results compared. */
static void receive(struct world *wd, const struct sf_rsp_smdp_session *ds,
                    const struct sf_rsp_euicc_session *es, const uint8_t *bpp, size_t bpp_len,
                    const struct sf_bpp_metadata *md, const uint8_t *upp, size_t upp_len,
                    const struct sf_bpp_options *opts)
{
	const uint8_t *p = bpp, *end = bpp + bpp_len, *v, *q, *qe, *x, *isc, *tid, *crt, *hid,
	              *otpk, *sig;
	size_t vlen, xlen, isclen, tidlen, crtlen, hidlen, otpklen, siglen;
	int64_t op;
	struct sf_ec_key *pb = NULL;
	struct sf_bsp_keys keys;
	struct sf_bsp st;
	uint8_t z[32], eid[16], *pt = malloc(upp_len + 2048), tbs[512];
	size_t eidl, n;
	int present;

	assert_non_null(pt);
	expect(&p, end, 0xBF36, &v, &vlen);
	assert_rc(0, sf_der_check_end(p, end));
	q = v;
	qe = v + vlen;
	/* BF23 */
	expect(&q, qe, 0xBF23, &isc, &isclen);
	p = isc;
	end = isc + isclen;
	assert_rc(0, sf_der_get_int64(&p, end, 0x82, &op));
	assert_int_equal(1, op);
	assert_rc(0, sf_der_get_octets(&p, end, 0x80, &tid, &tidlen));
	assert_int_equal(ds->tid_len, tidlen);
	assert_memory_equal(ds->tid, tid, tidlen);
	expect(&p, end, 0xA6, &crt, &crtlen);
	assert_rc(0, sf_der_get_octets(&p, end, 0x5F49, &otpk, &otpklen));
	assert_int_equal(65, otpklen);
	size_t tbs_len = (size_t)(p - isc);
	assert_rc(0, sf_der_get_octets(&p, end, 0x5F37, &sig, &siglen));
	assert_int_equal(64, siglen);
	assert_rc(0, sf_der_check_end(p, end));
	memcpy(tbs, isc, tbs_len);
	tbs[tbs_len] = 0x5F;
	tbs[tbs_len + 1] = 0x49;
	tbs[tbs_len + 2] = 0x41;
	memcpy(tbs + tbs_len + 3, es->otpk, 65);
	assert_rc(0, sf_x509_public_key(wd->dppb, &pb));
	assert_rc(0, sf_ecdsa_verify(pb, tbs, tbs_len + 68, sig, 64));
	tbs[tbs_len + 10] ^= 1; /* smdpSign covers the eUICC's otPK */
	assert_rc(SF_ECRYPTO_SIG, sf_ecdsa_verify(pb, tbs, tbs_len + 68, sig, 64));
	sf_ec_key_free(pb);
	/* CRT */
	p = crt;
	end = crt + crtlen;
	assert_rc(0, sf_der_get_octets(&p, end, 0x80, &x, &xlen));
	assert_int_equal(1, xlen);
	assert_int_equal(0x88, x[0]);
	assert_rc(0, sf_der_get_octets(&p, end, 0x81, &x, &xlen));
	assert_int_equal(1, xlen);
	assert_int_equal(0x10, x[0]);
	assert_rc(0, sf_der_get_octets(&p, end, 0x84, &hid, &hidlen));
	assert_rc(0, sf_der_check_end(p, end));
	if (opts && opts->host_id) {
		assert_int_equal(opts->host_id_len, hidlen);
		assert_memory_equal(opts->host_id, hid, hidlen);
	} else {
		assert_int_equal(8, hidlen);
		assert_memory_equal("simfleet", hid, 8);
	}

	/* the eUICC's keys */
	assert_rc(0, sf_ecka(es->otsk, otpk, 65, z));
	assert_rc(0, sf_hex_decode(eid, sizeof(eid), &eidl, wd->cred.eid, 32));
	assert_rc(0, sf_bsp_derive_keys(z, 0x88, 0x10, hid, hidlen, eid, &keys));
	sf_bsp_init(&st, keys.s_enc, keys.s_mac, keys.mcv0);

	expect(&q, qe, 0xA0, &x, &xlen);
	n = open_container(&st, 0x87, x, xlen, pt, upp_len + 2048);
	assert_int_equal(3, n);
	assert_memory_equal("\xBF\x24\x00", pt, 3);
	expect(&q, qe, 0xA1, &x, &xlen);
	n = open_container(&st, 0x88, x, xlen, pt, upp_len + 2048);
	{
		const uint8_t *r = pt, *re = pt + n, *mv, *s1;
		size_t mvl, s1l;
		char iccid[21];
		expect(&r, re, 0xBF25, &mv, &mvl);
		assert_rc(0, sf_der_check_end(r, re));
		r = mv;
		re = mv + mvl;
		assert_rc(0, sf_der_get_octets(&r, re, 0x5A, &s1, &s1l));
		assert_int_equal(10, s1l);
		size_t k = 0;
		for (size_t i = 0; i < 20; i++) {
			unsigned dg = (i % 2) ? s1[i / 2] >> 4 : s1[i / 2] & 15;
			if (dg != 15)
				iccid[k++] = (char)('0' + dg);
		}
		iccid[k] = '\0';
		assert_string_equal(md->iccid, iccid);
		assert_rc(0, sf_der_get_string(&r, re, 0x91, SF_DER_UTF8_STRING, &s1, &s1l));
		assert_int_equal(strlen(md->spn), s1l);
		assert_memory_equal(md->spn, s1, s1l);
		assert_rc(0, sf_der_get_string(&r, re, 0x92, SF_DER_UTF8_STRING, &s1, &s1l));
		assert_int_equal(strlen(md->name), s1l);
		assert_memory_equal(md->name, s1, s1l);
		int64_t pc = 2;
		assert_rc(0, sf_der_get_optional(&r, re, 0x95, &s1, &s1l, &present));
		if (present) {
			assert_int_equal(1, s1l);
			pc = s1[0];
		}
		assert_int_equal(md->pclass < 0 ? 2 : md->pclass, pc);
		assert_rc(0, sf_der_check_end(r, re));
	}
	assert_rc(0, sf_der_peek_tag(q, qe, &(uint32_t){0}));
	if (opts && opts->use_ppk) {
		expect(&q, qe, 0xA2, &x, &xlen);
		n = open_container(&st, 0x87, x, xlen, pt, upp_len + 2048);
		assert_int_equal(57, n);
		assert_memory_equal("\xBF\x26\x36\x80\x10", pt, 5);
		assert_memory_equal(opts->ppk_mcv, pt + 5, 16);
		assert_memory_equal(opts->ppk_enc, pt + 23, 16);
		assert_memory_equal(opts->ppk_mac, pt + 41, 16);
		sf_bsp_free(&st);
		sf_bsp_init(&st, opts->ppk_enc, opts->ppk_mac, opts->ppk_mcv);
	}
	expect(&q, qe, 0xA3, &x, &xlen);
	n = open_container(&st, 0x86, x, xlen, pt, upp_len + 2048);
	assert_int_equal(upp_len, n);
	assert_memory_equal(upp, pt, upp_len);
	/* 1007-octet chunks: ceil(len / 1007) segments */
	{
		struct sf_der_iter it;
		struct sf_der_tlv t;
		size_t count = 0;
		sf_der_iter_init(&it, x, xlen);
		while (sf_der_iter_next(&it, &t) > 0)
			count++;
		assert_int_equal((upp_len + 1006) / 1007, count);
	}
	assert_rc(0, sf_der_check_end(q, qe));
	sf_bsp_free(&st);
	sf_wipe(&keys, sizeof(keys));
	free(pt);
}

static void bind_flow(enum sf_ec_curve curve)
{
	struct world wd;
	struct sf_rsp_smdp_session ds;
	struct sf_rsp_euicc_session es;
	struct sf_bpp_metadata md;
	struct sf_bpp_options o;
	uint8_t otpk[65], *bpp = NULL, *upp = malloc(20000);
	size_t bpp_len = 0;
	static const size_t sizes[] = {1, 15, 16, 1006, 1007, 1008, 2014, 20000};

	assert_non_null(upp);
	for (size_t i = 0; i < 20000; i++)
		upp[i] = (uint8_t)(i * 7 + (i >> 8));
	world_up(&wd, curve);
	vector_md(&md);
	authenticate(&wd, &ds, &es, otpk);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_rc(0, sf_rsp_smdp_bind(&wd.dp, &ds, otpk, &md, upp, sizes[i], NULL, &bpp,
		                              &bpp_len));
		assert_int_equal(2, ds.state); /* a retry may bind again */
		receive(&wd, &ds, &es, bpp, bpp_len, &md, upp, sizes[i], NULL);
		free(bpp);
	}
	/* PPK path, another hostId, an operational profile of a 19-digit ICCID */
	memset(&o, 0, sizeof(o));
	o.use_ppk = 1;
	memset(o.ppk_enc, 0x11, 16);
	memset(o.ppk_mac, 0x22, 16);
	memset(o.ppk_mcv, 0x33, 16);
	o.host_id = (const uint8_t *)"0123456789abcdef";
	o.host_id_len = 16;
	strcpy(md.iccid, "8944110000000000017");
	md.pclass = 2;
	assert_rc(0, sf_rsp_smdp_bind(&wd.dp, &ds, otpk, &md, upp, 20000, &o, &bpp, &bpp_len));
	receive(&wd, &ds, &es, bpp, bpp_len, &md, upp, 20000, &o);
	/* two bindings never share otPK.DP (hence keys) */
	{
		uint8_t *b2;
		size_t l2;
		assert_rc(0, sf_rsp_smdp_bind(&wd.dp, &ds, otpk, &md, upp, 20000, &o, &b2, &l2));
		assert_int_equal(bpp_len, l2);
		assert_memory_not_equal(bpp, b2, l2);
		free(b2);
	}
	free(bpp);

	/* refusals */
	bpp = (uint8_t *)1;
	o.host_id_len = 17;
	assert_rc(SF_EINVAL, sf_rsp_smdp_bind(&wd.dp, &ds, otpk, &md, upp, 100, &o, &bpp, &bpp_len));
	assert_null(bpp);
	assert_rc(SF_EINVAL, sf_rsp_smdp_bind(&wd.dp, &ds, otpk, &md, upp, 0, NULL, &bpp, &bpp_len));
	assert_rc(SF_EINVAL, sf_rsp_smdp_bind(&wd.dp, &ds, otpk, NULL, upp, 1, NULL, &bpp, &bpp_len));
	md.iccid[0] = 'A';
	assert_rc(SF_ERSP_FORMAT,
	          sf_rsp_smdp_bind(&wd.dp, &ds, otpk, &md, upp, 100, NULL, &bpp, &bpp_len));
	vector_md(&md);
	uint8_t bad[65];
	memcpy(bad, otpk, 65);
	bad[40] ^= 1; /* off the curve */
	assert_rc(SF_ECRYPTO_POINT,
	          sf_rsp_smdp_bind(&wd.dp, &ds, bad, &md, upp, 100, NULL, &bpp, &bpp_len));
	assert_null(bpp);
	ds.state = 1;
	assert_rc(SF_ERSP_NO_SESSION,
	          sf_rsp_smdp_bind(&wd.dp, &ds, otpk, &md, upp, 100, NULL, &bpp, &bpp_len));
	ds.state = 2;

	sf_rsp_euicc_session_free(&es);
	world_down(&wd);
	free(upp);
}

static void test_bind_p256(void **state)
{
	(void)state;
	bind_flow(SF_EC_P256);
}

static void test_bind_brainpool(void **state)
{
	(void)state;
	bind_flow(SF_EC_BRAINPOOLP256R1);
}

/* ====================================================================
 * 3. Notifications and CancelSession
 * ==================================================================== */

/* NotificationMetadata BF2F {80 seq, 81 event, 0C address, 5A iccid?} */
static void write_metadata(struct sf_der_writer *w, uint32_t seq, unsigned event_bits,
                           const uint8_t *iccid_bcd)
{
	size_t m = sf_der_writer_mark(w);
	if (iccid_bcd)
		sf_der_write_octets(w, 0x5A, iccid_bcd, 10);
	sf_der_write_string(w, SF_DER_UTF8_STRING, SF_DER_UTF8_STRING, ADDR, strlen(ADDR));
	sf_der_write_named_bits(w, 0x81, event_bits);
	sf_der_write_uint64(w, 0x80, seq);
	sf_der_write_wrap(w, m, 0xBF2F);
}

static const uint8_t ICCID_BCD[10] = {0x98, 0x00, 0x10, 0x32, 0x54,
                                      0x76, 0x98, 0x10, 0x32, 0x14};
static const uint8_t AID[16] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00};

/* Signs the TLV at data with SK.EUICC and appends 5F37 (backward writer:
 * written before data). */
static void write_sig(struct world *wd, struct sf_der_writer *w, const uint8_t *data, size_t len)
{
	uint8_t sig[64];
	assert_rc(0, sf_ecdsa_sign(wd->cred.key, data, len, sig));
	sf_der_write_octets(w, 0x5F37, sig, 64);
}

/* ProfileInstallationResult, success or error, signed with SK.EUICC. */
static size_t build_pir(struct world *wd, const struct sf_rsp_smdp_session *ds, int success,
                        uint8_t *out, size_t cap)
{
	uint8_t d[1024];
	struct sf_der_writer w;
	size_t m, m2, dl, n;

	sf_der_writer_init(&w, d, sizeof(d));
	m = sf_der_writer_mark(&w);
	m2 = sf_der_writer_mark(&w);
	if (success) {
		sf_der_write_octets(&w, SF_DER_OCTET_STRING, (const uint8_t *)"\x90\x00", 2);
		sf_der_write_octets(&w, 0x4F, AID, sizeof(AID));
		sf_der_write_wrap(&w, m2, 0xA0);
	} else {
		sf_der_write_octets(&w, 0x82, (const uint8_t *)"\x30\x00", 2);
		sf_der_write_int64(&w, 0x81, 8);
		sf_der_write_int64(&w, 0x80, 5);
		sf_der_write_wrap(&w, m2, 0xA1);
	}
	sf_der_write_wrap(&w, m2, 0xA2);
	sf_der_write_oid_str(&w, SF_DER_OID, "2.999.10");
	write_metadata(&w, 7, 1u << 0, ICCID_BCD);
	sf_der_write_octets(&w, 0x80, ds->tid, ds->tid_len);
	sf_der_write_wrap(&w, m, 0xBF27);
	assert_rc(0, sf_der_writer_finish(&w, &dl));

	sf_der_writer_init(&w, out, cap);
	m = sf_der_writer_mark(&w);
	write_sig(wd, &w, d, dl);
	sf_der_write_raw(&w, d, dl);
	sf_der_write_wrap(&w, m, 0xBF37);
	assert_rc(0, sf_der_writer_finish(&w, &n));
	return n;
}

/* OtherSignedNotification for event bit `event`, with the certificates. */
static size_t build_other(struct world *wd, unsigned event, const struct sf_x509 *eum,
                          uint8_t *out, size_t cap)
{
	uint8_t d[512];
	struct sf_der_writer w;
	size_t m, dl, n, cl;
	const uint8_t *c;

	sf_der_writer_init(&w, d, sizeof(d));
	write_metadata(&w, 42, 1u << event, ICCID_BCD);
	assert_rc(0, sf_der_writer_finish(&w, &dl));
	sf_der_writer_init(&w, out, cap);
	m = sf_der_writer_mark(&w);
	assert_rc(0, sf_x509_der(eum ? eum : wd->cred.eum_cert, &c, &cl));
	sf_der_write_raw(&w, c, cl);
	assert_rc(0, sf_x509_der(wd->cred.euicc_cert, &c, &cl));
	sf_der_write_raw(&w, c, cl);
	write_sig(wd, &w, d, dl);
	sf_der_write_raw(&w, d, dl);
	sf_der_write_wrap(&w, m, SF_DER_SEQUENCE);
	assert_rc(0, sf_der_writer_finish(&w, &n));
	return n;
}

/* CancelSessionResponse ok {30 {80 tid, 81 smdpOid, 82 reason}, 5F37}. */
static size_t build_cancel(struct world *wd, const uint8_t *tid, size_t tid_len, int reason,
                           uint8_t *out, size_t cap)
{
	uint8_t d[128];
	struct sf_der_writer w;
	size_t m, dl, n;

	sf_der_writer_init(&w, d, sizeof(d));
	m = sf_der_writer_mark(&w);
	sf_der_write_int64(&w, 0x82, reason);
	sf_der_write_oid_str(&w, 0x81, "2.999.10");
	sf_der_write_octets(&w, 0x80, tid, tid_len);
	sf_der_write_wrap(&w, m, SF_DER_SEQUENCE);
	assert_rc(0, sf_der_writer_finish(&w, &dl));
	sf_der_writer_init(&w, out, cap);
	m = sf_der_writer_mark(&w);
	size_t m2 = sf_der_writer_mark(&w);
	write_sig(wd, &w, d, dl);
	sf_der_write_raw(&w, d, dl);
	sf_der_write_wrap(&w, m2, 0xA0);
	sf_der_write_wrap(&w, m, 0xBF41);
	assert_rc(0, sf_der_writer_finish(&w, &n));
	return n;
}

/* With SF_WRITE_SEEDS=DIR the messages become the seed corpus of
 * tests/fuzz/fuzz_rsp_notification.c. */
static void seed(enum sf_ec_curve curve, const char *name, const uint8_t *b, size_t n)
{
	const char *dir = getenv("SF_WRITE_SEEDS");
	char path[1024];
	if (dir == NULL || curve != SF_EC_P256)
		return;
	snprintf(path, sizeof(path), "%s/%s.der", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(n, fwrite(b, 1, n, f));
	assert_int_equal(0, fclose(f));
}

/* Every strict prefix, in an exact-size heap buffer, must fail; so must one
 * octet more. */
static void prefixes_notification(const uint8_t *msg, size_t len)
{
	struct sf_rsp_notification n;
	for (size_t k = 0; k < len; k++) {
		uint8_t *b = malloc(k ? k : 1);
		assert_non_null(b);
		memcpy(b, msg, k);
		int rc = sf_rsp_notification_parse(b, k, &n);
		if (rc >= 0)
			fail_msg("prefix of %zu/%zu octets accepted", k, len);
		free(b);
	}
	uint8_t *b = malloc(len + 1);
	assert_non_null(b);
	memcpy(b, msg, len);
	b[len] = 0;
	assert_rc(SF_ERSP_FORMAT, sf_rsp_notification_parse(b, len + 1, &n));
	free(b);
}

static void prefixes_cancel(const struct sf_rsp_smdp_session *ds, const uint8_t *msg, size_t len)
{
	int reason, err;
	for (size_t k = 0; k < len; k++) {
		uint8_t *b = malloc(k ? k : 1);
		assert_non_null(b);
		memcpy(b, msg, k);
		int rc = sf_rsp_smdp_check_cancel(ds, b, k, &reason, &err);
		if (rc >= 0)
			fail_msg("cancel prefix of %zu/%zu octets accepted", k, len);
		free(b);
	}
}

/* Flips each octet of the message in turn: the parse or the signature
 * must refuse it (nothing after the parse is unsigned, except the
 * signature and the certificates, which verify). */
static void flip_all_pir(struct world *wd, const struct sf_rsp_smdp_session *ds, uint8_t *msg,
                         size_t len)
{
	struct sf_rsp_notification n;
	for (size_t i = 0; i < len; i++) {
		msg[i] ^= 0x01;
		int rc = sf_rsp_notification_parse(msg, len, &n);
		if (rc == 0)
			rc = sf_rsp_smdp_verify_notification(&wd->dp, &n, ds->euicc_pk,
			                                     ds->euicc_curve, wd->now);
		if (rc == 0)
			fail_msg("PIR with octet %zu flipped accepted", i);
		msg[i] ^= 0x01;
	}
}

static void notif_flow(enum sf_ec_curve curve)
{
	struct world wd;
	struct sf_rsp_smdp_session ds;
	struct sf_rsp_euicc_session es;
	struct sf_rsp_notification n;
	uint8_t otpk[65], msg[4096], wrong[65];
	size_t len;
	int reason = -1, err = -1;

	world_up(&wd, curve);
	authenticate(&wd, &ds, &es, otpk);

	/* PIR, success */
	len = build_pir(&wd, &ds, 1, msg, sizeof(msg));
	seed(curve, "pir_success", msg, len);
	assert_rc(0, sf_rsp_notification_parse(msg, len, &n));
	assert_int_equal(1, n.is_pir);
	assert_int_equal(7, n.seq);
	assert_int_equal(0, n.event);
	assert_string_equal(ADDR, n.address);
	assert_string_equal("89000123456789012341", n.iccid);
	assert_int_equal(ds.tid_len, n.tid_len);
	assert_memory_equal(ds.tid, n.tid, n.tid_len);
	assert_int_equal(1, n.success);
	assert_int_equal(16, n.isdp_aid_len);
	assert_memory_equal(AID, n.isdp_aid, 16);
	assert_int_equal(-1, n.bpp_command_id);
	assert_ptr_equal(msg + 4, n.signed_data);
	assert_rc(0, sf_rsp_smdp_verify_notification(&wd.dp, &n, ds.euicc_pk, ds.euicc_curve,
	                                             wd.now));
	assert_rc(SF_EINVAL,
	          sf_rsp_smdp_verify_notification(&wd.dp, &n, NULL, ds.euicc_curve, wd.now));
	/* the wrong key: otPK.EUICC is on the curve, but not PK.EUICC */
	assert_rc(SF_ERSP_SIG,
	          sf_rsp_smdp_verify_notification(&wd.dp, &n, otpk, ds.euicc_curve, wd.now));
	memcpy(wrong, ds.euicc_pk, 65);
	wrong[64] ^= 1;
	assert_rc(SF_EINVAL,
	          sf_rsp_smdp_verify_notification(&wd.dp, &n, wrong, ds.euicc_curve, wd.now));
	/* the tampered signature */
	msg[len - 5] ^= 1;
	assert_rc(0, sf_rsp_notification_parse(msg, len, &n));
	assert_rc(SF_ERSP_SIG, sf_rsp_smdp_verify_notification(&wd.dp, &n, ds.euicc_pk,
	                                                       ds.euicc_curve, wd.now));
	msg[len - 5] ^= 1;
	flip_all_pir(&wd, &ds, msg, len);
	prefixes_notification(msg, len);

	/* PIR, error */
	len = build_pir(&wd, &ds, 0, msg, sizeof(msg));
	seed(curve, "pir_error", msg, len);
	assert_rc(0, sf_rsp_notification_parse(msg, len, &n));
	assert_int_equal(0, n.success);
	assert_int_equal(5, n.bpp_command_id);
	assert_int_equal(8, n.error_reason);
	assert_int_equal(0, n.isdp_aid_len);
	assert_rc(0, sf_rsp_smdp_verify_notification(&wd.dp, &n, ds.euicc_pk, ds.euicc_curve,
	                                             wd.now));
	prefixes_notification(msg, len);

	/* Other notification (delete) with its certificates */
	len = build_other(&wd, 3, NULL, msg, sizeof(msg));
	seed(curve, "other_delete", msg, len);
	assert_rc(0, sf_rsp_notification_parse(msg, len, &n));
	assert_int_equal(0, n.is_pir);
	assert_int_equal(42, n.seq);
	assert_int_equal(3, n.event);
	assert_string_equal("89000123456789012341", n.iccid);
	assert_non_null(n.euicc_cert);
	assert_rc(0, sf_rsp_smdp_verify_notification(&wd.dp, &n, NULL, 0, wd.now));
	/* the chain is checked at `now` */
	assert_rc(SF_EPKI_VALIDITY,
	          sf_rsp_smdp_verify_notification(&wd.dp, &n, NULL, 0, NOW - 86400));
	/* euicc_pk is ignored for other notifications */
	assert_rc(0, sf_rsp_smdp_verify_notification(&wd.dp, &n, otpk, curve, wd.now));
	msg[len - 1] ^= 1; /* inside the EUM certificate's signature */
	if (sf_rsp_notification_parse(msg, len, &n) == 0)
		assert_true(sf_rsp_smdp_verify_notification(&wd.dp, &n, NULL, 0, wd.now) < 0);
	msg[len - 1] ^= 1;
	prefixes_notification(msg, len);
	{
		/* signed by the eUICC, but the signature tampered */
		assert_rc(0, sf_rsp_notification_parse(msg, len, &n));
		size_t off = (size_t)(n.signature - msg);
		msg[off + 3] ^= 0x80;
		assert_rc(0, sf_rsp_notification_parse(msg, len, &n));
		assert_rc(SF_ERSP_SIG, sf_rsp_smdp_verify_notification(&wd.dp, &n, NULL, 0, wd.now));
		msg[off + 3] ^= 0x80;
	}
	/* the EUM certificate replaced by another (DPpb: not the eUICC's issuer) */
	len = build_other(&wd, 1, wd.dppb, msg, sizeof(msg));
	assert_rc(0, sf_rsp_notification_parse(msg, len, &n));
	assert_true(sf_rsp_smdp_verify_notification(&wd.dp, &n, NULL, 0, wd.now) < 0);
	/* install is never an OtherSignedNotification */
	len = build_other(&wd, 0, NULL, msg, sizeof(msg));
	assert_rc(SF_ERSP_FORMAT, sf_rsp_notification_parse(msg, len, &n));
	/* two event bits */
	{
		struct sf_der_writer w;
		uint8_t d[256], s[64];
		size_t dl, m, l2;
		sf_der_writer_init(&w, d, sizeof(d));
		write_metadata(&w, 1, 3u << 1, NULL);
		assert_rc(0, sf_der_writer_finish(&w, &dl));
		memset(s, 1, sizeof(s));
		sf_der_writer_init(&w, msg, sizeof(msg));
		m = sf_der_writer_mark(&w);
		sf_der_write_raw(&w, (const uint8_t *)"\x30\x00\x30\x00", 4);
		sf_der_write_octets(&w, 0x5F37, s, 64);
		sf_der_write_raw(&w, d, dl);
		sf_der_write_wrap(&w, m, SF_DER_SEQUENCE);
		assert_rc(0, sf_der_writer_finish(&w, &l2));
		assert_rc(SF_ERSP_FORMAT, sf_rsp_notification_parse(msg, l2, &n));
	}
	assert_rc(SF_EINVAL, sf_rsp_notification_parse(NULL, 3, &n));
	assert_rc(SF_ERSP_FORMAT, sf_rsp_notification_parse((const uint8_t *)"\x04\x00", 2, &n));

	/* CancelSession */
	len = build_cancel(&wd, ds.tid, ds.tid_len, SF_CANCEL_POSTPONED, msg, sizeof(msg));
	seed(curve, "cancel_ok", msg, len);
	assert_rc(0, sf_rsp_smdp_check_cancel(&ds, msg, len, &reason, &err));
	assert_int_equal(SF_CANCEL_POSTPONED, reason);
	prefixes_cancel(&ds, msg, len);
	msg[len - 7] ^= 1; /* signature */
	assert_rc(SF_ERSP_SIG, sf_rsp_smdp_check_cancel(&ds, msg, len, &reason, &err));
	msg[len - 7] ^= 1;
	assert_int_equal(0x80, msg[7]);
	msg[10] ^= 1; /* transactionId, under the signature */
	assert_rc(SF_ERSP_SIG, sf_rsp_smdp_check_cancel(&ds, msg, len, &reason, &err));
	msg[10] ^= 1;
	{
		uint8_t other[16];
		memcpy(other, ds.tid, ds.tid_len);
		other[0] ^= 1;
		len = build_cancel(&wd, other, ds.tid_len, SF_CANCEL_TIMEOUT, msg, sizeof(msg));
		assert_rc(SF_ERSP_TRANSACTION,
		          sf_rsp_smdp_check_cancel(&ds, msg, len, &reason, &err));
	}
	/* 06 instead of 81 for smdpOid: not the ASN.1 (automatic tags) */
	{
		uint8_t d[128], s[64];
		struct sf_der_writer w;
		size_t m, m2, dl;
		sf_der_writer_init(&w, d, sizeof(d));
		m = sf_der_writer_mark(&w);
		sf_der_write_int64(&w, 0x82, 1);
		sf_der_write_oid_str(&w, SF_DER_OID, "2.999.10");
		sf_der_write_octets(&w, 0x80, ds.tid, ds.tid_len);
		sf_der_write_wrap(&w, m, SF_DER_SEQUENCE);
		assert_rc(0, sf_der_writer_finish(&w, &dl));
		assert_rc(0, sf_ecdsa_sign(wd.cred.key, d, dl, s));
		sf_der_writer_init(&w, msg, sizeof(msg));
		m = sf_der_writer_mark(&w);
		m2 = sf_der_writer_mark(&w);
		sf_der_write_octets(&w, 0x5F37, s, 64);
		sf_der_write_raw(&w, d, dl);
		sf_der_write_wrap(&w, m2, 0xA0);
		sf_der_write_wrap(&w, m, 0xBF41);
		assert_rc(0, sf_der_writer_finish(&w, &len));
		assert_rc(SF_ERSP_FORMAT, sf_rsp_smdp_check_cancel(&ds, msg, len, &reason, &err));
	}
	/* the error alternative */
	static const uint8_t cerr[] = {0xBF, 0x41, 0x03, 0x81, 0x01, 0x05};
	seed(curve, "cancel_error", cerr, sizeof(cerr));
	assert_rc(SF_ERSP_EUICC_ERROR,
	          sf_rsp_smdp_check_cancel(&ds, cerr, sizeof(cerr), &reason, &err));
	assert_int_equal(5, err);
	prefixes_cancel(&ds, cerr, sizeof(cerr));
	ds.state = 1;
	assert_rc(SF_ERSP_NO_SESSION,
	          sf_rsp_smdp_check_cancel(&ds, cerr, sizeof(cerr), &reason, &err));
	ds.state = 2;

	sf_rsp_euicc_session_free(&es);
	world_down(&wd);
}

static void test_notifications_p256(void **state)
{
	(void)state;
	notif_flow(SF_EC_P256);
}

static void test_notifications_brainpool(void **state)
{
	(void)state;
	notif_flow(SF_EC_BRAINPOOLP256R1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_metadata_encoding),
	    cmocka_unit_test(test_bind_p256),
	    cmocka_unit_test(test_bind_brainpool),
	    cmocka_unit_test(test_notifications_p256),
	    cmocka_unit_test(test_notifications_brainpool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
