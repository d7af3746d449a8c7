/* libFuzzer target for the eUICC's BPP loader (src/rsp/euicc_bpp.c, SGP.22
 * §5.7.6 ES10b.LoadBoundProfilePackage) and CancelSession (§5.7.14).
 *
 * Once per process: a TEST PKI is generated (P-256), the mutual
 * authentication runs to PrepareDownload (session state 3) and the harness,
 * playing the SM-DP+, signs a BF23 bound to that session and derives the
 * BSP keys.  Each input then starts from that session (a copy, with the
 * one-time key reloaded) and a fresh loader, so random items reach every
 * state: the harness can protect fuzzer plaintext with valid MACs.
 *
 * Input: one configuration octet
 *   bit 0     host: the ICCID exists
 *   bits 1-3  host install result: 0 OK, else 9/10/12/13/14/127/-5 (bad)
 * then operations, each an octet op:
 *   op & 3 = 0  a raw item: 2-octet length, the octets
 *   op & 3 = 1  "BF36 L" + the harness's signed BF23; L - len(BF23) is the
 *               next 2 octets
 *   op & 3 = 2  a segment protected by the harness's BSP state: tag 86, 87,
 *               88 by ((op >> 2) & 3) % 3; 2-octet length, plaintext (<= 1007);
 *               op bit 4: wrapped as A0 { }, op bit 5: as A2 { }
 *   op & 3 = 3  op bit 2 clear: a header "A1 L" (op bit 3 clear) or "A3 L",
 *               L the next 2 octets; op bit 2 set: A2 { 87 RSK } with fixed
 *               PPKs, after which the harness protects with them (counter 1);
 *               op bit 3 too: a CancelSession with the session's
 *               transactionId (op bit 4: a wrong one)
 * Checks, besides ASan/UBSan: the loader returns 1, 0, SF_ERSP_FORMAT or
 * SF_ERSP_NO_SESSION only; a 0 comes with exactly one strict DER BF37 TLV
 * of at most SF_BPP_PIR_MAX octets; the host installs at most once per
 * input, and only at the item that returns the PIR.
 * Build: cmake -DSF_FUZZ=ON -DCMAKE_C_COMPILER=clang; run:
 *   fuzz_bpp -max_total_time=60 <copy of tests/fuzz/corpus_bpp>
 * Seeds: tests/fuzz/gen_bpp_seeds.py (the sizes of protected segments are
 * computed there, so a seed makes a complete, valid BF36). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simfleet/bpp.h"
#include "simfleet/crypto.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/log.h"
#include "simfleet/pki.h"
#include "simfleet/rsp.h"
#include "simfleet/util.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "CHECK failed line %d: %s\n", __LINE__, #c);               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define EID "89049032123451234512345678901235"
#define ADDR "smdp.example.org"

static struct sf_rsp_euicc_cred cred;
static struct sf_rsp_euicc_session base;
static char otsk_pem[SF_EC_PEM_MAX];
static uint8_t bf23[512];
static size_t bf23_len;
static struct sf_bsp_keys keys;
static const uint8_t PPK_ENC[16] = {1}, PPK_MAC[16] = {2}, PPK_MCV[16] = {3};

/* ---- host ---- */

struct host {
	int exists, install_rc, installs;
	uint32_t seq;
};

static int h_exists(void *u, const char *iccid)
{
	CHECK(strlen(iccid) == 19 || strlen(iccid) == 20);
	return ((struct host *)u)->exists;
}

static int h_install(void *u, const struct sf_bpp_metadata *md, const uint8_t *upp, size_t len,
                     uint8_t aid[16], size_t *aid_len)
{
	struct host *h = u;
	CHECK(md != NULL && (len == 0 || upp != NULL));
	if (h->install_rc)
		return h->install_rc;
	h->installs++;
	memset(aid, 0xA0, 16);
	*aid_len = 16;
	return 0;
}

static int h_seq(void *u, uint32_t *seq)
{
	*seq = ++((struct host *)u)->seq;
	return 0;
}

/* ---- one-time set-up ---- */

static size_t wrap(uint8_t *out, uint32_t tag, const uint8_t *v, size_t n)
{
	struct sf_der_writer w;
	size_t m, len;
	sf_der_writer_init(&w, out, n + 16);
	m = sf_der_writer_mark(&w);
	sf_der_write_raw(&w, v, n);
	sf_der_write_wrap(&w, m, tag);
	CHECK(sf_der_writer_finish(&w, &len) == 0);
	return len;
}

static void setup(void)
{
	char dir[] = "/tmp/sf_fuzz_bpp_XXXXXX", cp[SF_PKI_PATH_MAX], kp[SF_PKI_PATH_MAX],
	     p[6][SF_PKI_PATH_MAX + 32];
	struct sf_pki_init_opts o = {.curve = SF_EC_P256, .now = 1700000000};
	struct sf_rsp_smdp dp;
	struct sf_rsp_smdp_session ds;
	struct sf_rsp_init_auth ia;
	struct sf_rsp_auth_client ac;
	struct sf_ec_key *dppb = NULL, *otsk_dp = NULL;
	uint8_t ch[16], info1[128], req[4096], rsp[4096], otpk[65], otpk_dp[65], z[32], eid[16],
	    sig[64], isc[400], msg[500];
	size_t l1, rl, sl, n, m, il, pl;
	int code, err;
	struct sf_der_writer w;
	static const uint8_t info2[] = {0xBF, 0x22, 0x03, 0x81, 0x01, 0x02};
	static const uint8_t ctx[] = {0xA0, 0x0A, 0xA1, 0x08, 0x80, 0x04, 0x35, 0x29,
	                              0x06, 0x11, 0xA1, 0x00};
	static const uint8_t hid[8] = {'s', 'i', 'm', 'f', 'l', 'e', 'e', 't'};
	int64_t now = 1700000060;

	sf_log_set_level(SF_LOG_ERROR);
	CHECK(mkdtemp(dir) != NULL);
	CHECK(sf_pki_init(dir, &o) == 0);
	CHECK(sf_pki_issue_euicc(dir, EID, NULL, 1700000000, cp, kp) == 0);
	static const char *names[6] = {"ci.pem",   "dpauth.pem", "dpauth.key",
	                               "dppb.pem", "dppb.key",   "eum.pem"};
	for (int i = 0; i < 6; i++)
		snprintf(p[i], sizeof(p[i]), "%s/%s", dir, names[i]);
	CHECK(sf_rsp_smdp_load(&dp, ADDR, p[0], p[1], p[2], p[3], p[4], NULL) == 0);
	CHECK(sf_pki_load_key_file(p[4], &dppb) == 0);
	CHECK(sf_rsp_euicc_cred_load(&cred, cp, kp, p[5], p[0], now) == 0);
	{
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK(system(cmd) == 0);
	}

	/* mutual authentication up to PrepareDownload */
	sf_rsp_euicc_session_init(&base);
	memset(&ds, 0, sizeof(ds));
	CHECK(sf_rsp_euicc_challenge(&base, NULL, ch) == 0);
	CHECK(sf_rsp_euicc_info1(&cred, info1, sizeof(info1), &l1) == 0);
	CHECK(sf_rsp_smdp_initiate_authentication(&dp, &ds, ch, info1, l1, ADDR, &ia) == 0);
	sf_der_writer_init(&w, req, sizeof(req));
	m = sf_der_writer_mark(&w);
	sf_der_write_raw(&w, ctx, sizeof(ctx));
	sf_der_write_raw(&w, ia.server_cert, ia.server_cert_len);
	sf_der_write_octets(&w, SF_DER_OCTET_STRING, ia.ci_pkid, ia.ci_pkid_len);
	sf_der_write_octets(&w, 0x5F37, ia.server_signature1, 64);
	sf_der_write_raw(&w, ia.server_signed1, ia.server_signed1_len);
	sf_der_write_wrap(&w, m, 0xBF38);
	CHECK(sf_der_writer_finish(&w, &n) == 0);
	CHECK(sf_rsp_euicc_authenticate_server(&cred, &base, req, n, info2, sizeof(info2), now, rsp,
	                                       sizeof(rsp), &rl, &code) == 0);
	CHECK(sf_rsp_smdp_authenticate_client(&dp, &ds, ia.tid, ia.tid_len, rsp, rl, 0, NULL, now,
	                                      &ac, &err, NULL, 0) == 0);
	sf_der_writer_init(&w, req, sizeof(req));
	m = sf_der_writer_mark(&w);
	sf_der_write_raw(&w, ac.smdp_cert, ac.smdp_cert_len);
	sf_der_write_octets(&w, 0x5F37, ac.smdp_signature2, 64);
	sf_der_write_raw(&w, ac.smdp_signed2, ac.smdp_signed2_len);
	sf_der_write_wrap(&w, m, 0xBF21);
	CHECK(sf_der_writer_finish(&w, &n) == 0);
	CHECK(sf_rsp_euicc_prepare_download(&cred, &base, req, n, now, rsp, sizeof(rsp), &rl,
	                                    &code) == 0);
	CHECK(sf_rsp_smdp_check_prepare_download(&ds, rsp, rl, NULL, 0, otpk, &err) == 0);
	CHECK(sf_ec_key_private_pem(base.otsk, otsk_pem, sizeof(otsk_pem), &pl) == 0);

	/* the SM-DP+'s BF23 and keys (bpp-crypto.md §3, §5) */
	CHECK(sf_ec_key_generate(SF_EC_P256, &otsk_dp) == 0);
	CHECK(sf_ec_key_point(otsk_dp, otpk_dp) == 0);
	CHECK(sf_ecka(otsk_dp, otpk, 65, z) == 0);
	CHECK(sf_hex_decode(eid, 16, &n, EID, 32) == 0);
	CHECK(sf_bsp_derive_keys(z, 0x88, 0x10, hid, sizeof(hid), eid, &keys) == 0);
	il = 0;
	isc[il++] = 0x82, isc[il++] = 1, isc[il++] = 1;
	isc[il++] = 0x80, isc[il++] = (uint8_t)base.tid_len;
	memcpy(isc + il, base.tid, base.tid_len), il += base.tid_len;
	static const uint8_t crt[] = {0xA6, 0x10, 0x80, 0x01, 0x88, 0x81, 0x01, 0x10, 0x84, 0x08};
	memcpy(isc + il, crt, sizeof(crt)), il += sizeof(crt);
	memcpy(isc + il, hid, 8), il += 8;
	isc[il++] = 0x5F, isc[il++] = 0x49, isc[il++] = 65;
	memcpy(isc + il, otpk_dp, 65), il += 65;
	memcpy(msg, isc, il);
	msg[il] = 0x5F, msg[il + 1] = 0x49, msg[il + 2] = 65;
	memcpy(msg + il + 3, otpk, 65);
	CHECK(sf_ecdsa_sign(dppb, msg, il + 68, sig) == 0);
	isc[il++] = 0x5F, isc[il++] = 0x37, isc[il++] = 64;
	memcpy(isc + il, sig, 64), il += 64;
	bf23_len = wrap(bf23, 0xBF23, isc, il);
	(void)sl;

	sf_ec_key_free(otsk_dp);
	sf_ec_key_free(dppb);
	sf_rsp_smdp_free(&dp);
}

/* ---- one input ---- */

static int get16(const uint8_t **d, const uint8_t *end, size_t *v)
{
	if (end - *d < 2)
		return -1;
	*v = ((size_t)(*d)[0] << 8) | (*d)[1];
	*d += 2;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready, verbose;
	static const int install_rc[8] = {0, 9, 10, 12, 13, 14, 127, -5};
	struct sf_rsp_euicc_session s;
	struct sf_rsp_euicc_load *ld = NULL;
	struct host h = {0};
	struct sf_bpp_host bh = {&h, h_exists, h_install, h_seq};
	struct sf_bsp bsp;
	const uint8_t *d = data, *end = data + size;
	uint8_t *item = NULL, pir[SF_BPP_PIR_MAX], seg[SF_BSP_SEGMENT_MAX + 64];
	size_t len, n, o;
	int rc;

	if (!ready) {
		setup();
		ready = 1;
		verbose = getenv("FUZZ_BPP_VERBOSE") != NULL;
	}
	if (size < 1)
		return 0;
	h.exists = d[0] & 1;
	h.install_rc = install_rc[(d[0] >> 1) & 7];
	d++;
	s = base;
	CHECK(sf_ec_key_load_private((const uint8_t *)otsk_pem, strlen(otsk_pem), &s.otsk) == 0);
	CHECK(sf_rsp_euicc_load_new(&ld) == 0);
	CHECK(sf_bsp_init(&bsp, keys.s_enc, keys.s_mac, keys.mcv0) == 0);

	while (d < end) {
		uint8_t op = *d++;
		int installs_before = h.installs;
		item = malloc(70000);
		CHECK(item != NULL);
		len = 0;
		switch (op & 3) {
		case 0:
			if (get16(&d, end, &n) != 0 || (size_t)(end - d) < n)
				goto done;
			memcpy(item, d, n);
			d += n;
			len = n;
			break;
		case 1: {
			struct sf_der_writer w;
			if (get16(&d, end, &n) != 0)
				goto done;
			sf_der_writer_init(&w, item, 70000);
			sf_der_write_raw(&w, bf23, bf23_len);
			sf_der_write_header(&w, 0xBF36, bf23_len + n);
			CHECK(sf_der_writer_finish(&w, &len) == 0);
			break;
		}
		case 2: {
			static const uint8_t tags[3] = {0x86, 0x87, 0x88};
			uint8_t tag = tags[((op >> 2) & 3) % 3];
			if (get16(&d, end, &n) != 0 || (size_t)(end - d) < n || n > SF_BSP_PLAIN_MAX)
				goto done;
			if (tag == 0x88)
				rc = sf_bsp_mac_only(&bsp, tag, d, n, seg, sizeof(seg), &o);
			else
				rc = sf_bsp_protect(&bsp, tag, d, n, seg, sizeof(seg), &o);
			CHECK(rc == 0);
			d += n;
			if (op & 0x30)
				len = wrap(item, (op & 0x10) ? 0xA0 : 0xA2, seg, o);
			else
				memcpy(item, seg, o), len = o;
			break;
		}
		case 3:
			if (!(op & 4)) {
				struct sf_der_writer w;
				if (get16(&d, end, &n) != 0)
					goto done;
				sf_der_writer_init(&w, item, 16);
				sf_der_write_header(&w, (op & 8) ? 0xA3 : 0xA1, n);
				CHECK(sf_der_writer_finish(&w, &len) == 0);
			} else if (!(op & 8)) {
				uint8_t rsk[60] = {0xBF, 0x26, 0x36, 0x80, 0x10};
				memcpy(rsk + 5, PPK_MCV, 16);
				rsk[21] = 0x81, rsk[22] = 0x10;
				memcpy(rsk + 23, PPK_ENC, 16);
				rsk[39] = 0x82, rsk[40] = 0x10;
				memcpy(rsk + 41, PPK_MAC, 16);
				CHECK(sf_bsp_protect(&bsp, 0x87, rsk, 57, seg, sizeof(seg), &o) == 0);
				len = wrap(item, 0xA2, seg, o);
				sf_bsp_free(&bsp);
				CHECK(sf_bsp_init(&bsp, PPK_ENC, PPK_MAC, PPK_MCV) == 0);
			} else {
				uint8_t req[32], t[16] = {0};
				size_t rl = 0, ol, tl = s.tid_len ? s.tid_len : 1;
				int was = s.state, match = s.tid_len > 0 && !(op & 0x10);
				memcpy(t, s.tid, s.tid_len);
				if (op & 0x10)
					t[0] ^= 1;
				req[rl++] = 0xBF, req[rl++] = 0x41, req[rl++] = (uint8_t)(2 + tl + 3);
				req[rl++] = 0x80, req[rl++] = (uint8_t)tl;
				memcpy(req + rl, t, tl), rl += tl;
				req[rl++] = 0x81, req[rl++] = 1, req[rl++] = 5;
				rc = sf_rsp_euicc_cancel_session(&cred, &s, ld, req, rl, seg, sizeof(seg),
				                                 &ol);
				CHECK(rc == 0);
				CHECK(ol > 3 && seg[0] == 0xBF && seg[1] == 0x41);
				CHECK(was >= 2 && match ? s.state == 0 : s.state == was);
				free(item);
				item = NULL;
				continue;
			}
			break;
		}
		/* the item in an exact-size buffer */
		uint8_t *x = malloc(len ? len : 1);
		CHECK(x != NULL);
		memcpy(x, item, len);
		free(item);
		item = NULL;
		rc = sf_rsp_euicc_load_bpp(&cred, &s, ld, &bh, x, len, pir, sizeof(pir), &o, NULL);
		free(x);
		if (verbose)
			fprintf(stderr, "op %02x item %zu octets -> %d (installs %d)\n", op, len, rc,
			        h.installs);
		CHECK(rc == 1 || rc == 0 || rc == SF_ERSP_FORMAT || rc == SF_ERSP_NO_SESSION);
		if (rc == 0) {
			const uint8_t *p = pir;
			CHECK(o <= SF_BPP_PIR_MAX);
			CHECK(sf_der_expect(&p, pir + o, 0xBF37, NULL, NULL) == 0 && p == pir + o);
			CHECK(s.state == 0);
		} else {
			CHECK(h.installs == installs_before);
		}
		CHECK(h.installs <= 1);
	}
done:
	free(item);
	sf_bsp_free(&bsp);
	sf_rsp_euicc_load_free(ld);
	sf_rsp_euicc_session_free(&s);
	return 0;
}
