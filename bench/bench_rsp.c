/*
 * SM-DP+ download benchmark (make bench), one JSON object per line:
 *   rsp.smdp_download   SM-DP+ CPU time per profile download, one thread,
 *                       in process, no network: ES9+.InitiateAuthentication,
 *                       AuthenticateClient, the PrepareDownloadResponse check
 *                       and the binding of a 20 KiB profile package
 *                       (sf_rsp_smdp_* of include/simfleet/rsp.h and bpp.h),
 *                       per curve (P-256, brainpoolP256r1).
 * The same run measures the "crypto floor": only the operations a download
 * cannot avoid, through the same crypto module (3 ECDSA signatures:
 * serverSignature1, smdpSignature2, smdpSign; 3 verifications: CERT.EUICC,
 * euiccSignature1, euiccSignature2; otSK.DP generation; ECDH; the X9.63
 * KDF; AES-CBC + CMAC over the package's segments), with keys and
 * certificates already parsed.  CERT.EUM is not verified per download: it
 * is the same for millions of eUICCs, and the SM-DP+ verifies a preloaded
 * EUM certificate's signature once, at start (sf_rsp_smdp_add_eum), as it
 * trusts its CI.  "floor_download_us" adds what a complete download adds
 * after the binding: the verification of the eUICC's signed
 * ProfileInstallationResult (handleNotification); it is the peer of the
 * SM-DP+ server benchmark (bench/smdp_downloads.sh).  "pct_of_floor_rate" = floor time /
 * download time (target >= 80).  The eUICC's work (AuthenticateServer,
 * PrepareDownload) runs in the loop but is not timed: only the SM-DP+ calls
 * are, with CLOCK_THREAD_CPUTIME_ID.  The SM-DP+'s credentials are loaded
 * once (sf_rsp_smdp_load), as a server does at start, with the EUM's
 * certificate (sf_rsp_smdp_add_eum: parsed and its signature verified
 * once; its validity and rules are still checked per download).
 * The profile package is 20480 synthetic octets: binding does not parse it
 * (a TS.48 v7 package is 12 KiB; the size is what costs).
 * Every download is made by another eUICC: a pool of EUICC_POOL eUICCs
 * (distinct EIDs, keys and CERT.EUICC, issued under the one EUM) is cycled,
 * so nothing keyed on the eUICC certificate can be reused between two
 * consecutive downloads; only what is constant for an SM-DP+ (CI, EUM,
 * its own keys) may be prepared in advance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simfleet/bpp.h"
#include "simfleet/crypto.h"
#include "simfleet/der.h"
#include "simfleet/eid.h"
#include "simfleet/err.h"
#include "simfleet/pki.h"
#include "simfleet/rng.h"
#include "simfleet/rsp.h"

#define ADDR "smdp.example.org"
#define EUICC_POOL 256
#define NOW 1700000000LL
#define UPP_LEN 20480
#define MIN_SECONDS 1.5

static const uint8_t INFO2[] = {0xBF, 0x22, 0x03, 0x81, 0x01, 0x02};
static const uint8_t CTX[] = {0xA0, 0x0A, 0xA1, 0x08, 0x80, 0x04, 0x35, 0x29,
                              0x06, 0x11, 0xA1, 0x00};

static double cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_rsp: %s: %s (%s)\n", what, sf_strerror(rc), sf_err_name(rc));
	exit(1);
}

#define CHECK(what, call)                                                                          \
	do {                                                                                       \
		int rc_ = (call);                                                                  \
		if (rc_)                                                                           \
			die(what, rc_);                                                            \
	} while (0)

struct setup {
	struct sf_rsp_smdp dp;
	struct sf_rsp_euicc_cred cred[EUICC_POOL];
	size_t next; /* the eUICC of the next download */
	uint8_t info1[128];
	size_t info1_len;
	uint8_t *upp;
	struct sf_bpp_metadata md;
	char dir[64];
};

static size_t auth_server_req(const struct sf_rsp_init_auth *ia, uint8_t *buf, size_t cap)
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
	CHECK("AuthenticateServerRequest", sf_der_writer_finish(&w, &n));
	return n;
}

static size_t prepare_req(const struct sf_rsp_auth_client *ac, uint8_t *buf, size_t cap)
{
	struct sf_der_writer w;
	size_t m, n;
	sf_der_writer_init(&w, buf, cap);
	m = sf_der_writer_mark(&w);
	sf_der_write_raw(&w, ac->smdp_cert, ac->smdp_cert_len);
	sf_der_write_octets(&w, 0x5F37, ac->smdp_signature2, 64);
	sf_der_write_raw(&w, ac->smdp_signed2, ac->smdp_signed2_len);
	sf_der_write_wrap(&w, m, 0xBF21);
	CHECK("PrepareDownloadRequest", sf_der_writer_finish(&w, &n));
	return n;
}

static void setup(struct setup *st, enum sf_ec_curve curve)
{
	struct sf_pki_init_opts o = {.curve = curve, .now = NOW};
	char cp[SF_PKI_PATH_MAX], kp[SF_PKI_PATH_MAX], p[6][SF_PKI_PATH_MAX + 16];

	memset(st, 0, sizeof(*st));
	strcpy(st->dir, "/tmp/sf-bench-rsp-XXXXXX");
	if (!mkdtemp(st->dir))
		die("mkdtemp", SF_EIO);
	CHECK("pki init", sf_pki_init(st->dir, &o));
	snprintf(p[0], sizeof(p[0]), "%s/ci.pem", st->dir);
	snprintf(p[1], sizeof(p[1]), "%s/dpauth.pem", st->dir);
	snprintf(p[2], sizeof(p[2]), "%s/dpauth.key", st->dir);
	snprintf(p[3], sizeof(p[3]), "%s/dppb.pem", st->dir);
	snprintf(p[4], sizeof(p[4]), "%s/dppb.key", st->dir);
	snprintf(p[5], sizeof(p[5]), "%s/eum.pem", st->dir);
	CHECK("SM-DP+ credentials", sf_rsp_smdp_load(&st->dp, ADDR, p[0], p[1], p[2], p[3], p[4], NULL));
	CHECK("EUM certificate", sf_rsp_smdp_add_eum(&st->dp, p[5]));
	for (size_t i = 0; i < EUICC_POOL; i++) {
		char eid[SF_EID_DIGITS + 1];
		int rc;
		do { /* a random EID in the EUM's range; retried on a collision */
			CHECK("EID", sf_eid_generate(eid, SF_PKI_DEFAULT_EUM_PREFIX, sf_rng_system()));
			rc = sf_pki_issue_euicc(st->dir, eid, NULL, NOW, cp, kp);
		} while (rc == SF_EEXIST);
		CHECK("eUICC certificate", rc);
		CHECK("eUICC credentials",
		      sf_rsp_euicc_cred_load(&st->cred[i], cp, kp, p[5], p[0], NOW + 60));
	}
	CHECK("EUICCInfo1",
	      sf_rsp_euicc_info1(&st->cred[0], st->info1, sizeof(st->info1), &st->info1_len));
	st->upp = malloc(UPP_LEN);
	if (!st->upp)
		die("malloc", SF_ENOMEM);
	for (size_t i = 0; i < UPP_LEN; i++)
		st->upp[i] = (uint8_t)(i * 31 + 7);
	strcpy(st->md.iccid, "89000123456789012341");
	strcpy(st->md.spn, "simfleet");
	strcpy(st->md.name, "bench profile");
	st->md.pclass = 2;
}

static void teardown(struct setup *st)
{
	char cmd[128];
	sf_rsp_smdp_free(&st->dp);
	for (size_t i = 0; i < EUICC_POOL; i++)
		sf_rsp_euicc_cred_free(&st->cred[i]);
	free(st->upp);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", st->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_rsp: could not remove %s\n", st->dir);
}

/* Sizes of the signed messages of one real download (for the floor). */
struct sizes {
	size_t signed1, euicc_signed1, signed2, euicc_signed2, smdp_sign, bpp;
	double step[4]; /* CPU seconds per SM-DP+ step, summed */
};

/* Length of the first TLV inside OUTER { [0] { TLV ... } } (the signed
 * part of an ES10b response), or of the first child of OUTER. */
static size_t first_signed(const uint8_t *m, size_t len, int depth)
{
	const uint8_t *p = m, *end = m + len, *v, *start;
	size_t vl;
	for (int i = 0; i < depth; i++) {
		if (sf_der_get_tlv(&p, end, NULL, &v, &vl))
			die("response", SF_ERSP_FORMAT);
		p = v;
		end = v + vl;
	}
	start = p;
	if (sf_der_get_tlv(&p, end, NULL, NULL, NULL))
		die("response", SF_ERSP_FORMAT);
	return (size_t)(p - start);
}

/* One download, by the next eUICC of the pool; returns the SM-DP+'s CPU
 * seconds. */
static double download(struct setup *st, struct sizes *sz)
{
	const struct sf_rsp_euicc_cred *cred = &st->cred[st->next];
	struct sf_rsp_smdp_session ds;
	struct sf_rsp_euicc_session es;
	struct sf_rsp_init_auth ia;
	struct sf_rsp_auth_client ac;
	static uint8_t req[8192], rsp[8192];
	uint8_t ch[16], otpk[65], *bpp = NULL;
	size_t req_len, rsp_len, bpp_len;
	int code, err;
	double t0, t1, t2, t3, t4, t5, t6;

	sf_rsp_euicc_session_init(&es);
	CHECK("GetEUICCChallenge", sf_rsp_euicc_challenge(&es, NULL, ch));
	t0 = cpu();
	CHECK("InitiateAuthentication",
	      sf_rsp_smdp_initiate_authentication(&st->dp, &ds, ch, st->info1, st->info1_len, ADDR, &ia));
	t1 = cpu();
	req_len = auth_server_req(&ia, req, sizeof(req));
	CHECK("AuthenticateServer",
	      sf_rsp_euicc_authenticate_server(cred, &es, req, req_len, INFO2, sizeof(INFO2),
	                                       NOW + 60, rsp, sizeof(rsp), &rsp_len, &code));
	t2 = cpu();
	CHECK("AuthenticateClient",
	      sf_rsp_smdp_authenticate_client(&st->dp, &ds, ia.tid, ia.tid_len, rsp, rsp_len, 0, NULL,
	                                      NOW + 60, &ac, &err, NULL, 0));
	t3 = cpu();
	sz->signed1 = ia.server_signed1_len;
	sz->euicc_signed1 = first_signed(rsp, rsp_len, 2);
	sz->signed2 = ac.smdp_signed2_len;
	req_len = prepare_req(&ac, req, sizeof(req));
	CHECK("PrepareDownload", sf_rsp_euicc_prepare_download(cred, &es, req, req_len, NOW + 60,
	                                                       rsp, sizeof(rsp), &rsp_len, &code));
	t4 = cpu();
	CHECK("check PrepareDownloadResponse",
	      sf_rsp_smdp_check_prepare_download(&ds, rsp, rsp_len, NULL, 0, otpk, &err));
	t5 = cpu();
	CHECK("bind", sf_rsp_smdp_bind(&st->dp, &ds, otpk, &st->md, st->upp, UPP_LEN, NULL, &bpp,
	                               &bpp_len));
	t6 = cpu();
	sz->euicc_signed2 = first_signed(rsp, rsp_len, 2) + 67; /* || 5F37 40 smdpSignature2 */
	/* smdpSign covers BF23's content without 5F37 (67), plus 5F49 41 (68) */
	sz->smdp_sign = first_signed(bpp, bpp_len, 1) - 4 - 67 + 68;
	sz->bpp = bpp_len;
	free(bpp);
	sf_rsp_euicc_session_free(&es);
	st->next = (st->next + 1) % EUICC_POOL;
	sz->step[0] += t1 - t0;
	sz->step[1] += t3 - t2;
	sz->step[2] += t5 - t4;
	sz->step[3] += t6 - t5;
	return (t1 - t0) + (t3 - t2) + (t6 - t4);
}

/* The floor: required operations only, keys and certificates parsed. */
struct floor_ctx {
	struct sf_ec_key *dpauth, *dppb, *euicc_pk, *eum_pk;
	const struct sf_x509 *euicc_cert;
	uint8_t msg[5][600], sig[5][64];
	size_t len[5];
	double pir; /* CPU seconds verifying PIRs, summed */
	enum sf_ec_curve curve;
	uint8_t peer[65];
	size_t smdp_sign_len;
};

static double floor_once(struct floor_ctx *f, const uint8_t *upp)
{
	uint8_t sig[64], z[32], eid[16] = {0x89, 0x04, 0x90, 0x32}, point[65];
	static uint8_t seg[SF_BSP_SEGMENT_MAX];
	struct sf_ec_key *otsk = NULL;
	struct sf_bsp_keys keys;
	struct sf_bsp bsp;
	size_t n;
	double t0 = cpu();

	CHECK("sign serverSigned1", sf_ecdsa_sign(f->dpauth, f->msg[0], f->len[0], sig));
	CHECK("verify CERT.EUICC", sf_x509_check_signature(f->euicc_cert, f->eum_pk));
	CHECK("verify euiccSignature1",
	      sf_ecdsa_verify(f->euicc_pk, f->msg[1], f->len[1], f->sig[1], 64));
	CHECK("sign smdpSigned2", sf_ecdsa_sign(f->dppb, f->msg[2], f->len[2], sig));
	CHECK("verify euiccSignature2",
	      sf_ecdsa_verify(f->euicc_pk, f->msg[3], f->len[3], f->sig[3], 64));
	CHECK("otSK.DP", sf_ec_key_generate(f->curve, &otsk));
	CHECK("otPK.DP", sf_ec_key_point(otsk, point));
	CHECK("ECDH", sf_ecka(otsk, f->peer, 65, z));
	sf_ec_key_free(otsk);
	CHECK("KDF", sf_bsp_derive_keys(z, 0x88, 0x10, (const uint8_t *)"simfleet", 8, eid, &keys));
	CHECK("sign smdpSign", sf_ecdsa_sign(f->dppb, f->msg[0], f->smdp_sign_len, sig));
	sf_bsp_init(&bsp, keys.s_enc, keys.s_mac, keys.mcv0);
	CHECK("87", sf_bsp_protect(&bsp, 0x87, upp, 3, seg, sizeof(seg), &n));
	CHECK("88", sf_bsp_mac_only(&bsp, 0x88, upp, 45, seg, sizeof(seg), &n));
	for (size_t off = 0; off < UPP_LEN; off += SF_BSP_PLAIN_MAX) {
		size_t c = UPP_LEN - off < SF_BSP_PLAIN_MAX ? UPP_LEN - off : SF_BSP_PLAIN_MAX;
		CHECK("86", sf_bsp_protect(&bsp, 0x86, upp + off, c, seg, sizeof(seg), &n));
	}
	sf_bsp_free(&bsp);
	double t1 = cpu();
	CHECK("verify euiccSignPIR",
	      sf_ecdsa_verify(f->euicc_pk, f->msg[4], f->len[4], f->sig[4], 64));
	f->pir += cpu() - t1;
	return t1 - t0;
}

static void floor_setup(struct floor_ctx *f, struct setup *st, const struct sizes *sz,
                        enum sf_ec_curve curve)
{
	struct sf_ec_key *eph = NULL;
	memset(f, 0, sizeof(*f));
	f->curve = curve;
	f->smdp_sign_len = sz->smdp_sign;
	f->dpauth = st->dp.dpauth_key;
	f->dppb = st->dp.dppb_key;
	f->euicc_cert = st->cred[0].euicc_cert;
	CHECK("PK.EUICC", sf_x509_public_key(st->cred[0].euicc_cert, &f->euicc_pk));
	CHECK("PK.EUM", sf_x509_public_key(st->cred[0].eum_cert, &f->eum_pk));
	/* the last: a ProfileInstallationResultData (tid, notification
	 * metadata, OID, final result): about 100 octets */
	size_t lens[5] = {sz->signed1, sz->euicc_signed1, sz->signed2 + 67, sz->euicc_signed2, 100};
	for (int i = 0; i < 5; i++) {
		f->len[i] = lens[i] < sizeof(f->msg[i]) ? lens[i] : sizeof(f->msg[i]);
		memset(f->msg[i], 0x30 + i, f->len[i]);
		/* valid eUICC signatures, so verification takes its full path */
		CHECK("eUICC signature", sf_ecdsa_sign(st->cred[0].key, f->msg[i], f->len[i], f->sig[i]));
	}
	CHECK("peer", sf_ec_key_generate(curve, &eph));
	CHECK("peer point", sf_ec_key_point(eph, f->peer));
	sf_ec_key_free(eph);
}

static void floor_free(struct floor_ctx *f)
{
	sf_ec_key_free(f->euicc_pk);
	sf_ec_key_free(f->eum_pk);
}

static void run(enum sf_ec_curve curve, const char *name)
{
	struct setup st;
	struct sizes sz;
	struct floor_ctx f;
	double actual = 0, flo = 0, wall0;
	long n = 0, nf = 0;

	setup(&st, curve);
	memset(&sz, 0, sizeof(sz));
	for (int i = 0; i < 5; i++) /* warm-up, and the message sizes */
		download(&st, &sz);
	floor_setup(&f, &st, &sz, curve);
	for (int i = 0; i < 5; i++)
		floor_once(&f, st.upp);
	memset(sz.step, 0, sizeof(sz.step));
	f.pir = 0;
	/* Interleaved, so that both see the same machine (the other core's
	 * load, frequency) over the run. */
	wall0 = cpu();
	do {
		actual += download(&st, &sz);
		n++;
		flo += floor_once(&f, st.upp);
		nf++;
	} while (cpu() - wall0 < 2 * MIN_SECONDS);
	floor_free(&f);

	double us = actual / n * 1e6, fus = flo / nf * 1e6, pct = 100.0 * fus / us;
	double pir_us = f.pir / nf * 1e6;
	printf("{\"name\":\"rsp.smdp_download\",\"curve\":\"%s\",\"unit\":\"us\",\"value\":%.1f,"
	       "\"downloads_per_s\":%.0f,\"floor_us\":%.1f,\"floor_per_s\":%.0f,"
	       "\"pir_verify_us\":%.1f,\"floor_download_us\":%.1f,"
	       "\"pct_of_floor_rate\":%.1f,\"target\":80,\"steps_us\":{\"initiate\":%.1f,"
	       "\"authenticate_client\":%.1f,\"check_prepare\":%.1f,\"bind\":%.1f},"
	       "\"upp_octets\":%d,\"bpp_octets\":%zu,\"threads\":1}\n",
	       name, us, 1e6 / us, fus, 1e6 / fus, pir_us, fus + pir_us, pct, sz.step[0] / n * 1e6, sz.step[1] / n * 1e6,
	       sz.step[2] / n * 1e6, sz.step[3] / n * 1e6, UPP_LEN, sz.bpp);
	if (pct < 80)
		fprintf(stderr, "bench_rsp: %s: %.1f%% of the crypto floor rate, target 80%%\n", name,
		        pct);
	teardown(&st);
}

/* No argument: both curves; "p256" or "brainpool": one (for profiling). */
int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : "";
	if (!*only || !strcmp(only, "p256"))
		run(SF_EC_P256, "P-256");
	if (!*only || !strcmp(only, "brainpool"))
		run(SF_EC_BRAINPOOLP256R1, "brainpoolP256r1");
	return 0;
}
