/*
 * Remote provisioning into the software eUICC through its card interface
 * (SGP.22 v2.5 §3.1.2-§3.1.3, ES10b over STORE DATA): the SM-DP+ library on
 * one side (include/simfleet/rsp.h, bpp.h), the eUICC on the other, and
 * between them only APDUs, as an LPA would send them -- STORE DATA blocks of
 * at most 255 octets, GET RESPONSE after 61xx, the bound profile package cut
 * into the items of SGP.22 §5.7.6.  A freshly generated TEST PKI on both
 * curves, and the SGP.26 test PKI (its CI, DPauth, DPpb; an eUICC
 * certificate issued under its EUM key) when $SF_SHARED/gsma/sgp26 exists.  Then: the profile is installed with the metadata the SM-DP+ sent,
 * the ProfileInstallationResult verifies and is a pending notification,
 * enabling gives a signed notification that verifies against the CI, and the
 * USIM authenticates with the ordered key.  Refusals: a corrupted segment
 * installs nothing; an interrupted load leaves nothing, and the retry SGP.22
 * allows (same otPK.EUICC) succeeds; a restart in the middle leaves nothing;
 * an eUICC without credentials answers 6A 88.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "helper_tsv.h"
#include "simfleet/aka.h"
#include "simfleet/bpp.h"
#include "simfleet/crypto.h"
#include "simfleet/der.h"
#include "simfleet/eid.h"
#include "simfleet/err.h"
#include "simfleet/euicc.h"
#include "simfleet/log.h"
#include "simfleet/pki.h"
#include "simfleet/rng.h"
#include "simfleet/rsp.h"
#include "simfleet/saip.h"
#include "simfleet/util.h"

#define assert_rc(want, got) assert_string_equal(sf_err_name(want), sf_err_name(got))
#define ADDR "smdp.example.org"
#define ICCID "89000123456789012341"

static const char *K = "465b5ce8b199b49faa5f0a2ee238a6bc";
static const char *OPC = "cd63cb71954a9f4e48a5994e37a02baf";
static const uint8_t ISDR_AID[16] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                     0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00};

struct world {
	char root[256], pki[300], state[300];
	enum sf_ec_curve curve;
	struct sf_rsp_smdp dp;
	struct sf_euicc *e;
	uint8_t pkg[16384];
	size_t pkg_len;
	struct sf_x509 *ci;
};

/* ---- an LPA's transport: ES10 in STORE DATA, responses through GET RESPONSE ---- */

/* Sends one C-APDU and follows 61xx; returns SW, data in out. */
static unsigned apdu(struct sf_euicc *e, const uint8_t *cmd, size_t n, uint8_t *out, size_t cap,
                     size_t *out_len)
{
	uint8_t rsp[300];
	size_t rn = 0, an = 0;
	assert_int_equal(0, sf_euicc_transmit(e, cmd, n, rsp, sizeof(rsp), &rn));
	for (;;) {
		assert_true(rn >= 2);
		unsigned sw = (unsigned)(rsp[rn - 2] << 8 | rsp[rn - 1]);
		assert_true(an + rn - 2 <= cap);
		memcpy(out + an, rsp, rn - 2);
		an += rn - 2;
		if ((sw & 0xFF00) != 0x6100) {
			*out_len = an;
			return sw;
		}
		uint8_t gr[5] = {(uint8_t)(cmd[0] & 0x03), 0xC0, 0, 0, (uint8_t)(sw & 0xFF)};
		assert_int_equal(0, sf_euicc_transmit(e, gr, 5, rsp, sizeof(rsp), &rn));
	}
}

static void select_isdr(struct sf_euicc *e)
{
	uint8_t cmd[5 + 16 + 1] = {0x00, 0xA4, 0x04, 0x00, 16}, out[300];
	size_t n;
	memcpy(cmd + 5, ISDR_AID, 16);
	cmd[21] = 0x00;
	unsigned sw = apdu(e, cmd, sizeof(cmd), out, sizeof(out), &n);
	assert_true(sw == 0x9000);
}

/* One ES10 request as a STORE DATA sequence (blocks of 255). */
static unsigned es10(struct sf_euicc *e, const uint8_t *req, size_t len, uint8_t *out, size_t cap,
                     size_t *out_len)
{
	uint8_t cmd[5 + 255 + 1];
	unsigned sw = 0;
	size_t off = 0;
	*out_len = 0;
	for (unsigned blk = 0; off < len || blk == 0; blk++) {
		size_t n = len - off > 255 ? 255 : len - off;
		int last = off + n == len;
		cmd[0] = 0x80;
		cmd[1] = 0xE2;
		cmd[2] = last ? 0x91 : 0x11;
		cmd[3] = (uint8_t)blk;
		cmd[4] = (uint8_t)n;
		memcpy(cmd + 5, req + off, n);
		cmd[5 + n] = 0x00;
		sw = apdu(e, cmd, 5 + n + (last ? 1 : 0), out, cap, out_len);
		off += n;
		if (!last && sw != 0x9000)
			return sw;
	}
	return sw;
}

/* The items of a BF36, as an LPA sends them (SGP.22 §5.7.6). */
struct item {
	const uint8_t *p;
	size_t len;
};

static size_t bpp_items(const uint8_t *bpp, size_t len, struct item *it, size_t max)
{
	const uint8_t *p = bpp, *end = bpp + len, *val, *q, *qe;
	size_t vlen, n = 0;
	uint32_t tag;
	assert_rc(0, sf_der_get_tlv(&p, end, &tag, &val, &vlen));
	assert_int_equal(0xBF36, tag);
	q = val;
	qe = val + vlen;
	/* BF36 header + BF23 */
	const uint8_t *c = q;
	assert_rc(0, sf_der_get_tlv(&q, qe, &tag, &val, &vlen));
	assert_int_equal(0xBF23, tag);
	it[n++] = (struct item){bpp, (size_t)(q - bpp)};
	while (q < qe) {
		c = q;
		assert_rc(0, sf_der_get_tlv(&q, qe, &tag, &val, &vlen));
		if (tag == 0xA0 || tag == 0xA2) {
			it[n++] = (struct item){c, (size_t)(q - c)};
			continue;
		}
		assert_true(tag == 0xA1 || tag == 0xA3);
		it[n++] = (struct item){c, (size_t)(val - c)}; /* the header alone */
		const uint8_t *s = val, *se = val + vlen;
		while (s < se) {
			const uint8_t *sc = s, *sv;
			size_t sl;
			uint32_t st;
			assert_rc(0, sf_der_get_tlv(&s, se, &st, &sv, &sl));
			assert_true(n < max);
			it[n++] = (struct item){sc, (size_t)(s - sc)};
		}
	}
	return n;
}

/* With SF_FUZZ_SEEDS=DIR, the eUICC's answers become seeds of
 * tests/fuzz/fuzz_rsp_smdp (first octet: which parser). */
static void seed(unsigned sel, const uint8_t *b, size_t n, const char *name)
{
	const char *dir = getenv("SF_FUZZ_SEEDS");
	char path[512];
	FILE *f;
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return;
	fputc((int)sel, f);
	fwrite(b, 1, n, f);
	fclose(f);
}

static int contains(const uint8_t *h, size_t hn, const uint8_t *n, size_t nn)
{
	for (size_t i = 0; i + nn <= hn; i++)
		if (memcmp(h + i, n, nn) == 0)
			return 1;
	return 0;
}

/* ---- the world: a test PKI, an SM-DP+, an eUICC with credentials ---- */

static void build_pkg(struct world *w)
{
	uint8_t k[16], opc[16];
	struct sf_saip_build_params p;
	struct sf_saip_error err;
	sf_test_unhex(K, k, 16);
	sf_test_unhex(OPC, opc, 16);
	memset(&p, 0, sizeof(p));
	p.iccid = ICCID;
	p.imsi = "001010000000077";
	p.algorithm = SF_SAIP_ALG_MILENAGE;
	p.k = k;
	p.k_len = 16;
	p.opc = opc;
	p.opc_len = 16;
	p.spn = "simfleet";
	assert_rc(0, sf_saip_build(&p, w->pkg, sizeof(w->pkg), &w->pkg_len, &err));
}

static int setup_curve(void **state, enum sf_ec_curve curve)
{
	struct world *w = calloc(1, sizeof(*w));
	struct sf_pki_init_opts o;
	char eid[SF_EID_DIGITS + 1], cert[SF_PKI_PATH_MAX], key[SF_PKI_PATH_MAX], a[400], b[400],
	    c[400], d[400], f[400], g[400];
	int64_t now = (int64_t)time(NULL);

	assert_non_null(w);
	w->curve = curve;
	snprintf(w->root, sizeof(w->root), "/tmp/sf-euicc-rsp-XXXXXX");
	assert_non_null(mkdtemp(w->root));
	snprintf(w->pki, sizeof(w->pki), "%s/pki", w->root);
	snprintf(w->state, sizeof(w->state), "%s/euicc", w->root);
	memset(&o, 0, sizeof(o));
	o.curve = curve;
	o.now = now - 3600;
	assert_rc(0, sf_pki_init(w->pki, &o));
	snprintf(a, sizeof(a), "%s/ci.pem", w->pki);
	snprintf(b, sizeof(b), "%s/dpauth.pem", w->pki);
	snprintf(c, sizeof(c), "%s/dpauth.key", w->pki);
	snprintf(d, sizeof(d), "%s/dppb.pem", w->pki);
	snprintf(f, sizeof(f), "%s/dppb.key", w->pki);
	snprintf(g, sizeof(g), "%s/eum.pem", w->pki);
	assert_rc(0, sf_rsp_smdp_load(&w->dp, ADDR, a, b, c, d, f, NULL));
	assert_rc(0, sf_pki_load_cert_file(a, &w->ci));

	assert_rc(0, sf_eid_generate(eid, "89049032", sf_rng_system()));
	assert_rc(0, sf_euicc_create(w->state, eid, 0, NULL));
	assert_rc(0, sf_pki_issue_euicc(w->pki, eid, w->root, now - 60, cert, key));
	assert_rc(0, sf_euicc_open(&w->e, w->state));
	assert_int_equal(0, sf_euicc_has_credentials(w->e));
	/* an EUM certificate as the eUICC's: refused, nothing stored */
	assert_true(sf_euicc_set_credentials(w->e, g, key, g, a) < 0);
	assert_int_equal(0, sf_euicc_has_credentials(w->e));
	assert_rc(0, sf_euicc_set_credentials(w->e, cert, key, g, a));
	assert_int_equal(1, sf_euicc_has_credentials(w->e));
	build_pkg(w);
	*state = w;
	return 0;
}

/* The SGP.26 test PKI (read in place from $SF_SHARED/gsma/sgp26): its CI,
 * DPauth and DPpb certificates and keys for the SM-DP+, and a new eUICC
 * certificate issued under its EUM key for a fresh EID. */
static int setup_sgp26(void **state, const char *v, enum sf_ec_curve curve)
{
	const char *sh = getenv("SF_SHARED");
	char base[300], f[8][400], eid[SF_EID_DIGITS + 1], cert[SF_PKI_PATH_MAX],
	    key[SF_PKI_PATH_MAX], cmd[2400];
	struct world *w;

	snprintf(base, sizeof(base), "%s/gsma/sgp26", sh ? sh : "");
	snprintf(f[0], sizeof(f[0]), "%s/CertificateIssuer/CERT_CI_ECDSA_%s.der", base, v);
	if (!sh || access(f[0], R_OK) != 0) {
		*state = NULL;
		return 0; /* the test says it skips */
	}
	snprintf(f[1], sizeof(f[1]), "%s/DPauth/CERT_S_SM_DPauth_ECDSA_%s.der", base, v);
	snprintf(f[2], sizeof(f[2]), "%s/DPauth/SK_S_SM_DPauth_ECDSA_%s.pem", base, v);
	snprintf(f[3], sizeof(f[3]), "%s/DPpb/CERT_S_SM_DPpb_ECDSA_%s.der", base, v);
	snprintf(f[4], sizeof(f[4]), "%s/DPpb/SK_S_SM_DPpb_ECDSA_%s.pem", base, v);
	snprintf(f[5], sizeof(f[5]), "%s/EUM/CERT_EUM_ECDSA_%s.der", base, v);
	snprintf(f[6], sizeof(f[6]), "%s/EUM/SK_EUM_ECDSA_%s.pem", base, v);
	w = calloc(1, sizeof(*w));
	assert_non_null(w);
	w->curve = curve;
	snprintf(w->root, sizeof(w->root), "/tmp/sf-euicc-sgp26-XXXXXX");
	assert_non_null(mkdtemp(w->root));
	snprintf(w->pki, sizeof(w->pki), "%s/eum", w->root);
	snprintf(w->state, sizeof(w->state), "%s/euicc", w->root);
	/* sf_pki_issue_euicc reads DIR/eum.pem and DIR/eum.key (PEM or DER) */
	snprintf(cmd, sizeof(cmd), "mkdir -m 700 '%s' && cp '%s' '%s/eum.pem' && cp '%s' '%s/eum.key'",
	         w->pki, f[5], w->pki, f[6], w->pki);
	assert_int_equal(0, system(cmd));
	assert_rc(0, sf_rsp_smdp_load(&w->dp, ADDR, f[0], f[1], f[2], f[3], f[4], NULL));
	assert_rc(0, sf_pki_load_cert_file(f[0], &w->ci));
	assert_rc(0, sf_eid_generate(eid, "89049032", sf_rng_system()));
	assert_rc(0, sf_euicc_create(w->state, eid, 0, NULL));
	assert_rc(0, sf_pki_issue_euicc(w->pki, eid, w->root, (int64_t)time(NULL) - 60, cert, key));
	assert_rc(0, sf_euicc_open(&w->e, w->state));
	assert_rc(0, sf_euicc_set_credentials(w->e, cert, key, f[5], f[0]));
	build_pkg(w);
	*state = w;
	return 0;
}

static int setup_sgp26_nist(void **state)
{
	return setup_sgp26(state, "NIST", SF_EC_P256);
}

static int setup_sgp26_brp(void **state)
{
	return setup_sgp26(state, "BRP", SF_EC_BRAINPOOLP256R1);
}

static int setup_p256(void **state)
{
	return setup_curve(state, SF_EC_P256);
}

static int setup_bp(void **state)
{
	return setup_curve(state, SF_EC_BRAINPOOLP256R1);
}

static int teardown(void **state)
{
	struct world *w = *state;
	char cmd[400];
	if (w == NULL)
		return 0;
	sf_euicc_close(w->e);
	sf_rsp_smdp_free(&w->dp);
	sf_x509_free(w->ci);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->root);
	assert_int_equal(0, system(cmd));
	free(w);
	return 0;
}

/* ---- the download, step by step ---- */

struct download {
	struct sf_rsp_smdp_session ss;
	uint8_t otpk[SF_EC_POINT_LEN];
	uint8_t *bpp;
	size_t bpp_len;
	struct item it[64];
	size_t nitems;
};

/* ctxParams1 { matchingId "MID", deviceInfo { tac, capabilities {} } } */
static const uint8_t CTX[] = {0xA0, 0x0F, 0x80, 0x03, 'M',  'I',  'D',  0xA1, 0x08,
                              0x80, 0x04, 0x35, 0x29, 0x06, 0x11, 0xA1, 0x00};

/* Mutual authentication and binding; prev_otpk (or NULL) asks the eUICC to
 * reuse its one-time key (the retry of SGP.22 §3.1.3.3). */
static void authenticate_and_bind(struct world *w, struct download *d, const uint8_t *prev_otpk)
{
	uint8_t req[8192], out[8192];
	size_t n, m;
	struct sf_rsp_init_auth ia;
	struct sf_rsp_auth_client ac;
	struct sf_der_writer wr;
	uint8_t challenge[16], info1[256];
	int err;

	memset(d, 0, sizeof(*d));
	select_isdr(w->e);
	/* GetEUICCInfo1: names the CI of the test PKI */
	assert_int_equal(0x9000, es10(w->e, (const uint8_t *)"\xBF\x20\x00", 3, info1,
	                              sizeof(info1), &n));
	/* GetEUICCChallenge */
	assert_int_equal(0x9000, es10(w->e, (const uint8_t *)"\xBF\x2E\x00", 3, out, sizeof(out),
	                              &m));
	assert_int_equal(21, m);
	memcpy(challenge, out + 5, 16);
	assert_rc(0, sf_rsp_smdp_initiate_authentication(&w->dp, &d->ss, challenge, info1, n, ADDR,
	                                                 &ia));
	/* AuthenticateServer */
	sf_der_writer_init(&wr, req, sizeof(req));
	size_t mk = sf_der_writer_mark(&wr);
	sf_der_write_raw(&wr, CTX, sizeof(CTX));
	sf_der_write_raw(&wr, ia.server_cert, ia.server_cert_len);
	sf_der_write_octets(&wr, SF_DER_OCTET_STRING, ia.ci_pkid, ia.ci_pkid_len);
	sf_der_write_octets(&wr, 0x5F37, ia.server_signature1, 64);
	sf_der_write_raw(&wr, ia.server_signed1, ia.server_signed1_len);
	sf_der_write_wrap(&wr, mk, 0xBF38);
	assert_rc(0, sf_der_writer_finish(&wr, &n));
	assert_int_equal(0x9000, es10(w->e, req, n, out, sizeof(out), &m));
	seed(1, out, m, "authenticate_server_response");
	assert_rc(0, sf_rsp_smdp_authenticate_client(&w->dp, &d->ss, ia.tid, ia.tid_len, out, m, 0,
	                                             prev_otpk, (int64_t)time(NULL), &ac, &err,
	                                             NULL, 0));
	assert_string_equal(sf_euicc_eid(w->e), d->ss.eid);
	/* PrepareDownload */
	sf_der_writer_init(&wr, req, sizeof(req));
	mk = sf_der_writer_mark(&wr);
	sf_der_write_raw(&wr, ac.smdp_cert, ac.smdp_cert_len);
	sf_der_write_octets(&wr, 0x5F37, ac.smdp_signature2, 64);
	sf_der_write_raw(&wr, ac.smdp_signed2, ac.smdp_signed2_len);
	sf_der_write_wrap(&wr, mk, 0xBF21);
	assert_rc(0, sf_der_writer_finish(&wr, &n));
	assert_int_equal(0x9000, es10(w->e, req, n, out, sizeof(out), &m));
	seed(0, out, m, "prepare_download_response");
	assert_rc(0, sf_rsp_smdp_check_prepare_download(&d->ss, out, m, NULL, 0, d->otpk, &err));
	if (prev_otpk)
		assert_memory_equal(prev_otpk, d->otpk, SF_EC_POINT_LEN);
	/* GetBoundProfilePackage */
	struct sf_bpp_metadata md;
	memset(&md, 0, sizeof(md));
	snprintf(md.iccid, sizeof(md.iccid), "%s", ICCID);
	snprintf(md.spn, sizeof(md.spn), "Fleet Operator");
	snprintf(md.name, sizeof(md.name), "Fleet M2M");
	md.pclass = SF_PROFILE_CLASS_OPERATIONAL;
	assert_rc(0, sf_rsp_smdp_bind(&w->dp, &d->ss, d->otpk, &md, w->pkg, w->pkg_len, NULL,
	                              &d->bpp, &d->bpp_len));
	d->nitems = bpp_items(d->bpp, d->bpp_len, d->it, 64);
	assert_true(d->nitems >= 6);
}

/* Loads items [from, to): 90 00 without data for all but the last, which
 * gives the ProfileInstallationResult (into pir). */
static void load(struct world *w, struct download *d, size_t from, size_t to, uint8_t *pir,
                 size_t *pir_len)
{
	uint8_t out[4096];
	size_t m;
	for (size_t i = from; i < to; i++) {
		assert_int_equal(0x9000, es10(w->e, d->it[i].p, d->it[i].len, out, sizeof(out), &m));
		if (i + 1 < d->nitems)
			assert_int_equal(0, m);
		else {
			memcpy(pir, out, m);
			*pir_len = m;
		}
	}
}

static void usim_authenticates(struct world *w)
{
	struct sf_aka_params p;
	struct sf_aka_ctx ctx;
	struct sf_aka_vector v;
	uint8_t rand[16] = {0x77, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	uint8_t sqn[6], amf[2] = {0x80, 0x00}, cmd[64] = {0x00, 0x88, 0x00, 0x81, 0x22, 0x10},
	                                      sel[] = {0x00, 0xA4, 0x04, 0x04, 0x07, 0xA0, 0x00, 0x00,
	                                               0x00, 0x87, 0x10, 0x02},
	                                      out[300];
	size_t m;
	sf_aka_params_init(&p, SF_AKA_ALG_MILENAGE);
	sf_test_unhex(K, p.k, 16);
	sf_test_unhex(OPC, p.opc, 16);
	assert_rc(0, sf_aka_init(&ctx, &p));
	sf_sqn_store(sqn, 32);
	assert_rc(0, sf_aka_vector_compute(&ctx, rand, sqn, amf, &v));
	memcpy(cmd + 6, v.rand, 16);
	cmd[22] = 0x10;
	memcpy(cmd + 23, v.autn, 16);
	cmd[39] = 0x00;
	assert_int_equal(0x9000, apdu(w->e, sel, sizeof(sel), out, sizeof(out), &m));
	assert_int_equal(0x9000, apdu(w->e, cmd, 40, out, sizeof(out), &m));
	assert_int_equal(0xDB, out[0]);
	assert_int_equal(8, out[1]);
	assert_memory_equal(v.xres, out + 2, 8);
	sf_aka_free(&ctx);
	sf_aka_params_wipe(&p);
}

static void test_download(void **state)
{
	struct world *w = *state;
	if (w == NULL) {
		print_message("$SF_SHARED/gsma/sgp26 not found: SGP.26 download skipped\n");
		skip();
	}
	struct download d;
	uint8_t pir[4096], out[8192];
	size_t pir_len = 0, m;
	struct sf_rsp_notification pn;
	uint8_t euicc_pk[SF_EC_POINT_LEN];

	authenticate_and_bind(w, &d, NULL);
	memcpy(euicc_pk, d.ss.euicc_pk, sizeof(euicc_pk));
	load(w, &d, 0, d.nitems, pir, &pir_len);
	/* the result: signed, successful, for this transaction */
	assert_rc(0, sf_rsp_notification_parse(pir, pir_len, &pn));
	assert_int_equal(1, pn.is_pir);
	assert_int_equal(1, pn.success);
	assert_string_equal(ADDR, pn.address);
	assert_string_equal(ICCID, pn.iccid);
	assert_memory_equal(d.ss.tid, pn.tid, d.ss.tid_len);
	assert_rc(0, sf_rsp_smdp_verify_notification(&w->dp, &pn, euicc_pk, d.ss.euicc_curve,
	                                             (int64_t)time(NULL)));
	pir[pir_len - 1] ^= 1;
	assert_rc(0, sf_rsp_notification_parse(pir, pir_len, &pn));
	assert_rc(SF_ERSP_SIG, sf_rsp_smdp_verify_notification(&w->dp, &pn, euicc_pk,
	                                                       d.ss.euicc_curve,
	                                                       (int64_t)time(NULL)));
	pir[pir_len - 1] ^= 1;
	free(d.bpp);

	/* installed as the metadata says, Disabled */
	struct sf_profile_info pi;
	assert_int_equal(1, sf_euicc_profile_count(w->e));
	assert_rc(0, sf_euicc_profile_get(w->e, 0, &pi));
	assert_string_equal(ICCID, pi.iccid);
	assert_string_equal("Fleet Operator", pi.spn);
	assert_string_equal("Fleet M2M", pi.name);
	assert_int_equal(SF_PROFILE_CLASS_OPERATIONAL, pi.pclass);
	assert_int_equal(SF_PROFILE_DISABLED, pi.state);
	assert_memory_equal(pn.isdp_aid, pi.isdp_aid, pi.isdp_aid_len);

	/* the PIR is pending, byte for byte, and survives a restart */
	sf_euicc_close(w->e);
	assert_rc(0, sf_euicc_open(&w->e, w->state));
	select_isdr(w->e);
	assert_int_equal(0x9000, es10(w->e, (const uint8_t *)"\xBF\x2B\x00", 3, out, sizeof(out),
	                              &m));
	assert_true(m > pir_len);
	assert_true(contains(out, m, pir, pir_len));

	/* enable: an OtherSignedNotification that verifies against the CI */
	assert_int_equal(SF_ES10_OK, sf_euicc_enable(w->e, ICCID));
	select_isdr(w->e);
	assert_int_equal(0x9000, es10(w->e, (const uint8_t *)"\xBF\x2B\x00", 3, out, sizeof(out),
	                              &m));
	{
		const uint8_t *p = out, *end = out + m, *val, *q, *qe;
		size_t vlen;
		uint32_t tag;
		int seen_other = 0, seen_pir = 0;
		assert_rc(0, sf_der_get_tlv(&p, end, &tag, &val, &vlen));
		assert_int_equal(0xBF2B, tag);
		p = val;
		end = val + vlen;
		assert_rc(0, sf_der_get_tlv(&p, end, &tag, &val, &vlen));
		assert_int_equal(0xA0, tag);
		q = val;
		qe = val + vlen;
		while (q < qe) {
			const uint8_t *c = q;
			assert_rc(0, sf_der_skip(&q, qe));
			assert_rc(0, sf_rsp_notification_parse(c, (size_t)(q - c), &pn));
			if (pn.is_pir) {
				seen_pir = 1;
				continue;
			}
			seen_other = 1;
			assert_int_equal(SF_NOTIF_ENABLE, pn.event);
			assert_string_equal(ICCID, pn.iccid);
			assert_string_equal(ADDR, pn.address); /* the SM-DP+ that installed it */
			assert_rc(0, sf_rsp_smdp_verify_notification(&w->dp, &pn, NULL, 0,
			                                             (int64_t)time(NULL)));
		}
		assert_true(seen_pir && seen_other);
	}
	/* the subscription authenticates */
	usim_authenticates(w);
}

/* A corrupted profile segment: the PIR reports it, nothing is installed,
 * and the PIR is still a pending notification. */
static void test_corrupt_segment(void **state)
{
	struct world *w = *state;
	struct download d;
	uint8_t pir[4096], seg[1100];
	size_t pir_len = 0, m;
	struct sf_rsp_notification pn;

	authenticate_and_bind(w, &d, NULL);
	size_t last = d.nitems - 1; /* an 86 */
	load(w, &d, 0, last, pir, &pir_len);
	memcpy(seg, d.it[last].p, d.it[last].len);
	seg[d.it[last].len - 3] ^= 0x40; /* inside the C-MAC */
	assert_int_equal(0x9000, es10(w->e, seg, d.it[last].len, pir, sizeof(pir), &m));
	assert_true(m > 0);
	assert_rc(0, sf_rsp_notification_parse(pir, m, &pn));
	assert_int_equal(0, pn.success);
	assert_int_equal(SF_BPP_CMD_LOAD_PROFILE_ELEMENTS, pn.bpp_command_id);
	assert_int_equal(SF_BPP_SCP03T_SECURITY, pn.error_reason);
	assert_rc(0, sf_rsp_smdp_verify_notification(&w->dp, &pn, d.ss.euicc_pk, d.ss.euicc_curve,
	                                             (int64_t)time(NULL)));
	assert_int_equal(0, sf_euicc_profile_count(w->e));
	free(d.bpp);
}

/* A package that does not install (cut in half): the PIR says so, nothing
 * is installed, and its sequence number is not given again: the next
 * download's PIR has another, and both are pending. */
static void test_install_failure(void **state)
{
	struct world *w = *state;
	struct download d, d2;
	uint8_t pir[4096], pir2[4096], out[8192];
	size_t pir_len = 0, pir2_len = 0, m, full = w->pkg_len;
	struct sf_rsp_notification pn, pn2;

	w->pkg_len = full / 2;
	authenticate_and_bind(w, &d, NULL);
	w->pkg_len = full;
	load(w, &d, 0, d.nitems, pir, &pir_len);
	assert_rc(0, sf_rsp_notification_parse(pir, pir_len, &pn));
	assert_int_equal(0, pn.success);
	assert_int_equal(SF_BPP_CMD_LOAD_PROFILE_ELEMENTS, pn.bpp_command_id);
	assert_int_equal(SF_BPP_PE_ERROR, pn.error_reason);
	assert_int_equal(0, sf_euicc_profile_count(w->e));

	authenticate_and_bind(w, &d2, NULL);
	load(w, &d2, 0, d2.nitems, pir2, &pir2_len);
	assert_rc(0, sf_rsp_notification_parse(pir2, pir2_len, &pn2));
	assert_int_equal(1, pn2.success);
	assert_true(pn2.seq != pn.seq);
	select_isdr(w->e);
	assert_int_equal(0x9000, es10(w->e, (const uint8_t *)"\xBF\x2B\x00", 3, out, sizeof(out),
	                              &m));
	assert_true(contains(out, m, pir, pir_len));
	assert_true(contains(out, m, pir2, pir2_len));
	free(d.bpp);
	free(d2.bpp);
}

/* The LPA stops in the middle (connection lost) and starts again: nothing
 * was installed; the SM-DP+ retries with the eUICC's one-time key, which the
 * eUICC kept, and the download completes. */
static void test_interrupted_retry(void **state)
{
	struct world *w = *state;
	struct download d, d2;
	uint8_t pir[4096];
	size_t pir_len = 0;
	struct sf_rsp_notification pn;

	authenticate_and_bind(w, &d, NULL);
	load(w, &d, 0, d.nitems / 2, pir, &pir_len);
	assert_int_equal(0, sf_euicc_profile_count(w->e));
	authenticate_and_bind(w, &d2, d.otpk);
	load(w, &d2, 0, d2.nitems, pir, &pir_len);
	assert_rc(0, sf_rsp_notification_parse(pir, pir_len, &pn));
	assert_int_equal(1, pn.success);
	assert_int_equal(1, sf_euicc_profile_count(w->e));
	free(d.bpp);
	free(d2.bpp);
}

/* The eUICC restarts in the middle of a load: nothing installed; a new
 * download (a new one-time key, the old one died with the session) works. */
static void test_restart_mid_load(void **state)
{
	struct world *w = *state;
	struct download d, d2;
	uint8_t pir[4096];
	size_t pir_len = 0;
	struct sf_rsp_notification pn;

	authenticate_and_bind(w, &d, NULL);
	load(w, &d, 0, d.nitems - 1, pir, &pir_len);
	sf_euicc_close(w->e);
	assert_rc(0, sf_euicc_open(&w->e, w->state));
	assert_int_equal(0, sf_euicc_profile_count(w->e));
	/* the rest of the old package is refused: no load in progress */
	select_isdr(w->e);
	{
		uint8_t out[4096];
		size_t m;
		unsigned sw = es10(w->e, d.it[d.nitems - 1].p, d.it[d.nitems - 1].len, out,
		                   sizeof(out), &m);
		assert_true(sw != 0x9000 || m == 0 || out[0] == 0xBF);
		assert_int_equal(0, sf_euicc_profile_count(w->e));
	}
	authenticate_and_bind(w, &d2, NULL);
	load(w, &d2, 0, d2.nitems, pir, &pir_len);
	assert_rc(0, sf_rsp_notification_parse(pir, pir_len, &pn));
	assert_int_equal(1, pn.success);
	assert_int_equal(1, sf_euicc_profile_count(w->e));
	free(d.bpp);
	free(d2.bpp);
}

/* CancelSession through the card: signed, the SM-DP+ accepts it, and the
 * package of the cancelled session no longer loads. */
static void test_cancel(void **state)
{
	struct world *w = *state;
	struct download d;
	uint8_t req[64], out[4096];
	size_t n = 0, m;
	int reason = -1, err = -1;

	authenticate_and_bind(w, &d, NULL);
	req[n++] = 0xBF;
	req[n++] = 0x41;
	req[n++] = (uint8_t)(5 + d.ss.tid_len);
	req[n++] = 0x80;
	req[n++] = (uint8_t)d.ss.tid_len;
	memcpy(req + n, d.ss.tid, d.ss.tid_len);
	n += d.ss.tid_len;
	req[n++] = 0x81;
	req[n++] = 0x01;
	req[n++] = SF_CANCEL_POSTPONED;
	assert_int_equal(0x9000, es10(w->e, req, n, out, sizeof(out), &m));
	assert_rc(0, sf_rsp_smdp_check_cancel(&d.ss, out, m, &reason, &err));
	assert_int_equal(SF_CANCEL_POSTPONED, reason);
	out[m - 1] ^= 1;
	assert_rc(SF_ERSP_SIG, sf_rsp_smdp_check_cancel(&d.ss, out, m, &reason, &err));
	/* a second cancel: no session (undefinedError) */
	assert_int_equal(0x9000, es10(w->e, req, n, out, sizeof(out), &m));
	assert_rc(SF_ERSP_EUICC_ERROR, sf_rsp_smdp_check_cancel(&d.ss, out, m, &reason, &err));
	/* the bound package no longer loads */
	assert_int_equal(0x6985, es10(w->e, d.it[0].p, d.it[0].len, out, sizeof(out), &m));
	assert_int_equal(0, sf_euicc_profile_count(w->e));
	free(d.bpp);
}

/* Without credentials the RSP functions are not there (6A 88), the CI lists
 * are empty, and the challenge still works. */
static void test_no_credentials(void **state)
{
	struct world *w = *state;
	char dir[400];
	struct sf_euicc *e;
	uint8_t out[4096];
	size_t m;
	snprintf(dir, sizeof(dir), "%s/plain", w->root);
	assert_rc(0, sf_euicc_create(dir, NULL, 0, NULL));
	assert_rc(0, sf_euicc_open(&e, dir));
	select_isdr(e);
	assert_int_equal(0x6A88, es10(e, (const uint8_t *)"\xBF\x38\x00", 3, out, sizeof(out), &m));
	assert_int_equal(0x9000, es10(e, (const uint8_t *)"\xBF\x20\x00", 3, out, sizeof(out), &m));
	assert_memory_equal("\xA9\x00", out + 8, 2); /* BF20 L 82 03 svn A9 00 AA 00, backwards */
	assert_int_equal(0x9000, es10(e, (const uint8_t *)"\xBF\x2E\x00", 3, out, sizeof(out), &m));
	assert_int_equal(21, m);
	sf_euicc_close(e);
}

int main(void)
{
	if (getenv("SF_TEST_LOG"))
		sf_log_set_level(SF_LOG_DEBUG);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_download, setup_p256, teardown),
	    cmocka_unit_test_setup_teardown(test_download, setup_bp, teardown),
	    cmocka_unit_test_setup_teardown(test_download, setup_sgp26_nist, teardown),
	    cmocka_unit_test_setup_teardown(test_download, setup_sgp26_brp, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_segment, setup_p256, teardown),
	    cmocka_unit_test_setup_teardown(test_install_failure, setup_p256, teardown),
	    cmocka_unit_test_setup_teardown(test_interrupted_retry, setup_p256, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_mid_load, setup_bp, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel, setup_bp, teardown),
	    cmocka_unit_test_setup_teardown(test_no_credentials, setup_p256, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
