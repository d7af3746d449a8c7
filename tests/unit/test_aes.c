/*
 * AES-128 (FIPS-197) and Milenage (TS 35.206) internals, on every AES
 * implementation this machine can run (portable, aes-ni, vaes-avx512):
 *   - FIPS-197 Appendix B and C.1 vectors, the Appendix A.1 key schedule;
 *   - sf__aes128_encrypt_n for n = 0..37 (and in place) against single blocks,
 *     random keys against the portable implementation;
 *   - OPc, f1, f1*, f2..f5, f5* on every row of tests/vectors/milenage.tsv
 *     (TS 35.207 / 35.208);
 *   - the AuC batch sf__milenage_gen for several n against the single
 *     functions, the USIM fast path accepting a good AUTN and rejecting every
 *     single-bit change of MAC-A and AMF;
 *   - non-default rotation and XOR constants against a plain bit-by-bit
 *     reference written here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aes_internal.h"
#include "aka_internal.h"
#include "helper_tsv.h"
#include "simfleet/aka.h"
#include "simfleet/err.h"
#include "simfleet/rng.h"

/* Runs fn once per implementation available here, with that one selected. */
static void each_impl(void (*fn)(const char *impl))
{
	unsigned sup = sf__aes_supported();
	enum sf__aes_impl saved = sf__aes_impl_id();
	for (int i = SF__AES_PORTABLE; i <= SF__AES_VAES; i++) {
		if (!(sup & (1u << i))) {
			print_message("  [%s not available on this machine]\n",
			              sf__aes_impl_label((enum sf__aes_impl)i));
			continue;
		}
		assert_int_equal(sf__aes_select((enum sf__aes_impl)i), 0);
		assert_string_equal(sf__aes_impl_name(), sf__aes_impl_label((enum sf__aes_impl)i));
		fn(sf__aes_impl_name());
	}
	assert_int_equal(sf__aes_select(saved), 0);
}

/* Must run first: the environment is read on first use only. */
static void test_env_selects(void **state)
{
	(void)state;
	setenv("SIMFLEET_AES", "portable", 1);
	assert_string_equal(sf__aes_impl_name(), "portable");
	assert_string_equal(sf_aka_aes_impl(), "portable");
	assert_true(sf__aes_supported() & (1u << SF__AES_PORTABLE));
	assert_int_equal(sf__aes_select((enum sf__aes_impl)7), SF_ENOTSUP);
	/* Back to the best one. */
	unsigned sup = sf__aes_supported();
	enum sf__aes_impl best = (sup & (1u << SF__AES_VAES)) ? SF__AES_VAES
	                         : (sup & (1u << SF__AES_NI)) ? SF__AES_NI
	                                                      : SF__AES_PORTABLE;
	assert_int_equal(sf__aes_select(best), 0);
	print_message("  best AES implementation here: %s\n", sf__aes_impl_name());
}

/* ---- AES ----------------------------------------------------------------- */

static void fips197(const char *impl)
{
	uint8_t key[16], pt[16], ct[16], got[16], rk[176], w40[16];
	/* Appendix C.1 */
	sf_test_unhex("000102030405060708090a0b0c0d0e0f", key, 16);
	sf_test_unhex("00112233445566778899aabbccddeeff", pt, 16);
	sf_test_unhex("69c4e0d86a7b0430d8cdb78070b4c55a", ct, 16);
	sf__aes128_expand(rk, key);
	sf__aes128_encrypt(rk, pt, got);
	sf_assert_mem(impl, got, ct, 16);
	memcpy(got, pt, 16);
	sf__aes128_encrypt(rk, got, got); /* in place */
	sf_assert_mem(impl, got, ct, 16);
	/* Appendix B (cipher example) and A.1 (its key expansion, w[40..43]) */
	sf_test_unhex("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
	sf_test_unhex("3243f6a8885a308d313198a2e0370734", pt, 16);
	sf_test_unhex("3925841d02dc09fbdc118597196a0b32", ct, 16);
	sf_test_unhex("d014f9a8c9ee2589e13f0cc8b6630ca6", w40, 16);
	sf__aes128_expand(rk, key);
	sf_assert_mem(impl, rk + 160, w40, 16);
	sf_assert_mem(impl, rk, key, 16);
	sf__aes128_encrypt(rk, pt, got);
	sf_assert_mem(impl, got, ct, 16);
	sf__aes128_encrypt_n(rk, pt, got, 1);
	sf_assert_mem(impl, got, ct, 16);
}

static void test_fips197(void **state)
{
	(void)state;
	each_impl(fips197);
}

static void encrypt_n(const char *impl)
{
	enum { MAXN = 37 };
	uint8_t key[16], rk[176], rk_p[176], in[MAXN * 16 + 16], one[MAXN * 16],
	    many[MAXN * 16 + 16];
	struct sf_rng_det det;
	sf_rng_det_init(&det, 0x5eedae5);
	for (int trial = 0; trial < 4; trial++) {
		assert_int_equal(sf_rng_fill(&det.rng, key, 16), 0);
		assert_int_equal(sf_rng_fill(&det.rng, in, sizeof(in)), 0);
		sf__aes128_expand(rk, key);
		sf__aes128_encrypt_n_portable(rk, in, one, 0); /* n = 0 is a no-op */
		/* Every path expands keys identically. */
		enum sf__aes_impl cur = sf__aes_impl_id();
		assert_int_equal(sf__aes_select(SF__AES_PORTABLE), 0);
		sf__aes128_expand(rk_p, key);
		assert_int_equal(sf__aes_select(cur), 0);
		sf_assert_mem(impl, rk, rk_p, 176);

		for (size_t b = 0; b < MAXN; b++)
			sf__aes128_encrypt(rk, in + 16 * b, one + 16 * b);
		for (size_t n = 0; n <= MAXN; n++) {
			char label[64];
			snprintf(label, sizeof(label), "%s encrypt_n n=%zu", impl, n);
			/* a canary after the last block must survive */
			memset(many, 0xA5, sizeof(many));
			sf__aes128_encrypt_n(rk, in, many, n);
			sf_assert_mem(label, many, one, 16 * n);
			for (size_t i = 16 * n; i < sizeof(many); i++)
				assert_int_equal(many[i], 0xA5);
			/* in place */
			memcpy(many, in, 16 * n);
			sf__aes128_encrypt_n(rk, many, many, n);
			sf_assert_mem(label, many, one, 16 * n);
			/* the bitsliced reference */
			sf__aes128_encrypt_n_portable(rk, in, many, n);
			sf_assert_mem(label, many, one, 16 * n);
		}
	}
}

static void test_encrypt_n(void **state)
{
	(void)state;
	each_impl(encrypt_n);
}

/* ---- Milenage on the published vectors ----------------------------------- */

static void milenage_rows(const char *impl)
{
	struct sf_tsv t;
	sf_tsv_load(&t, "milenage.tsv");
	for (size_t r = 0; r < t.nrows; r++) {
		uint8_t k[16], op[16], opc[16], rand[16], sqn[6], amf[2], e[16], a[16], b[16];
		uint8_t res[8], ck[16], ik[16], ak[6];
		char label[128];
		snprintf(label, sizeof(label), "%s %s set %s", impl, sf_tsv_get(&t, r, "spec"),
		         sf_tsv_get(&t, r, "test_set"));
		sf_tsv_hex(&t, r, "K", k, 16);
		sf_tsv_hex(&t, r, "OP", op, 16);
		sf_tsv_hex(&t, r, "RAND", rand, 16);
		sf_tsv_hex(&t, r, "SQN", sqn, 6);
		sf_tsv_hex(&t, r, "AMF", amf, 2);

		sf__milenage_opc(k, op, opc);
		sf_tsv_hex(&t, r, "OPc", e, 16);
		sf_assert_mem(label, opc, e, 16);

		struct sf_aka_params p;
		struct sf_aka_ctx ctx;
		sf_aka_params_init(&p, SF_AKA_ALG_MILENAGE);
		memcpy(p.k, k, 16);
		memcpy(p.opc, opc, 16);
		assert_int_equal(sf_aka_init(&ctx, &p), 0);
		assert_int_equal(ctx.std_consts, 1);

		sf__milenage_f1(&ctx, rand, sqn, amf, a, b);
		sf_tsv_hex(&t, r, "f1_MAC_A", e, 8);
		sf_assert_mem(label, a, e, 8);
		sf_tsv_hex(&t, r, "f1star_MAC_S", e, 8);
		sf_assert_mem(label, b, e, 8);
		sf__milenage_f1(&ctx, rand, sqn, amf, NULL, b);
		sf_assert_mem(label, b, e, 8);

		sf__milenage_f2345(&ctx, rand, res, ck, ik, ak);
		sf_tsv_hex(&t, r, "f2_RES", e, 8);
		sf_assert_mem(label, res, e, 8);
		sf_tsv_hex(&t, r, "f3_CK", e, 16);
		sf_assert_mem(label, ck, e, 16);
		sf_tsv_hex(&t, r, "f4_IK", e, 16);
		sf_assert_mem(label, ik, e, 16);
		sf_tsv_hex(&t, r, "f5_AK", e, 6);
		sf_assert_mem(label, ak, e, 6);
		sf__milenage_f2345(&ctx, rand, NULL, NULL, NULL, ak);
		sf_assert_mem(label, ak, e, 6);

		sf__milenage_f5star(&ctx, rand, a);
		sf_tsv_hex(&t, r, "f5star_AK_resync", e, 6);
		sf_assert_mem(label, a, e, 6);

		/* The AuC batch (one vector) and the USIM path on the same row. */
		struct sf_aka_vector v;
		sf__milenage_gen(&ctx, 1, rand, sqn, amf, &v);
		sf_tsv_hex(&t, r, "f2_RES", e, 8);
		sf_assert_mem(label, v.xres, e, 8);
		sf_tsv_hex(&t, r, "f1_MAC_A", e, 8);
		sf_assert_mem(label, v.autn + 8, e, 8);
		uint8_t s2[6], res2[8], ck2[16], ik2[16];
		assert_int_equal(sf__milenage_usim(&ctx, rand, v.autn, s2, res2, ck2, ik2), 0);
		sf_assert_mem(label, s2, sqn, 6);
		sf_assert_mem(label, res2, res, 8);
		sf_assert_mem(label, ck2, ck, 16);
		sf_assert_mem(label, ik2, ik, 16);
		sf_aka_free(&ctx);
	}
	sf_tsv_free(&t);
}

static void test_milenage_vectors(void **state)
{
	(void)state;
	each_impl(milenage_rows);
}

/* TS 35.207 set 1 spelled out, so this file checks the brief's values even
 * if the vector file changes. */
static void set1(const char *impl)
{
	struct sf_aka_params p;
	struct sf_aka_ctx ctx;
	uint8_t op[16], rand[16], sqn[6], amf[2], e[16], a[16], b[16], res[8], ck[16], ik[16],
	    ak[6];
	sf_aka_params_init(&p, SF_AKA_ALG_MILENAGE);
	sf_test_unhex("465b5ce8b199b49faa5f0a2ee238a6bc", p.k, 16);
	sf_test_unhex("cdc202d5123e20f62b6d676ac72cb318", op, 16);
	sf_test_unhex("23553cbe9637a89d218ae64dae47bf35", rand, 16);
	sf_test_unhex("ff9bb4d0b607", sqn, 6);
	sf_test_unhex("b9b9", amf, 2);
	assert_int_equal(sf_aka_params_set_op(&p, op, 16), 0);
	sf_test_unhex("cd63cb71954a9f4e48a5994e37a02baf", e, 16);
	sf_assert_mem(impl, p.opc, e, 16);
	assert_int_equal(sf_aka_init(&ctx, &p), 0);
	sf__milenage_f1(&ctx, rand, sqn, amf, a, b);
	sf_test_unhex("4a9ffac354dfafb3", e, 8);
	sf_assert_mem(impl, a, e, 8);
	sf_test_unhex("01cfaf9ec4e871e9", e, 8);
	sf_assert_mem(impl, b, e, 8);
	sf__milenage_f2345(&ctx, rand, res, ck, ik, ak);
	sf_test_unhex("a54211d5e3ba50bf", e, 8);
	sf_assert_mem(impl, res, e, 8);
	sf_test_unhex("b40ba9a3c58b2a05bbf0d987b21bf8cb", e, 16);
	sf_assert_mem(impl, ck, e, 16);
	sf_test_unhex("f769bcd751044604127672711c6d3441", e, 16);
	sf_assert_mem(impl, ik, e, 16);
	sf_test_unhex("aa689c648370", e, 6);
	sf_assert_mem(impl, ak, e, 6);
	sf__milenage_f5star(&ctx, rand, a);
	sf_test_unhex("451e8beca43b", e, 6);
	sf_assert_mem(impl, a, e, 6);
	sf_aka_free(&ctx);
}

static void test_milenage_set1(void **state)
{
	(void)state;
	each_impl(set1);
}

/* ---- AuC batch and USIM fast path ---------------------------------------- */

static void random_ctx(struct sf_rng_det *det, struct sf_aka_ctx *ctx)
{
	struct sf_aka_params p;
	sf_aka_params_init(&p, SF_AKA_ALG_MILENAGE);
	assert_int_equal(sf_rng_fill(&det->rng, p.k, 16), 0);
	assert_int_equal(sf_rng_fill(&det->rng, p.opc, 16), 0);
	assert_int_equal(sf_aka_init(ctx, &p), 0);
}

/* out must equal what the single functions give for (rand, sqn, amf). */
static void check_vector(const char *label, const struct sf_aka_ctx *ctx,
                         const struct sf_aka_vector *v, const uint8_t rand[16],
                         const uint8_t sqn[6], const uint8_t amf[2])
{
	struct sf_aka_vector e;
	memset(&e, 0, sizeof(e));
	memcpy(e.rand, rand, 16);
	memcpy(e.sqn, sqn, 6);
	sf__milenage_f2345(ctx, rand, e.xres, e.ck, e.ik, e.ak);
	sf__milenage_f1(ctx, rand, sqn, amf, e.autn + 8, NULL);
	for (int i = 0; i < 6; i++)
		e.autn[i] = sqn[i] ^ e.ak[i];
	memcpy(e.autn + 6, amf, 2);
	e.autn_len = 16;
	e.xres_len = 8;
	e.ck_len = 16;
	e.ik_len = 16;
	/* the whole struct, so unused tails must be zero too */
	sf_assert_mem(label, v, &e, sizeof(e));
}

static void gen_batch(const char *impl)
{
	static const size_t ns[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 20, 31, 32, 33, 64, 67};
	enum { MAXN = 67 };
	struct sf_rng_det det;
	sf_rng_det_init(&det, 0xA0C);
	struct sf_aka_vector out[MAXN + 1];
	uint8_t rand[MAXN * 16], sqn[MAXN * 6], amf[2];
	for (size_t t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
		size_t n = ns[t];
		struct sf_aka_ctx ctx;
		random_ctx(&det, &ctx);
		assert_int_equal(sf_rng_fill(&det.rng, rand, sizeof(rand)), 0);
		assert_int_equal(sf_rng_fill(&det.rng, sqn, sizeof(sqn)), 0);
		assert_int_equal(sf_rng_fill(&det.rng, amf, 2), 0);
		memset(out, 0xEE, sizeof(out));
		sf__milenage_gen(&ctx, n, rand, sqn, amf, out);
		for (size_t i = 0; i < n; i++) {
			char label[80];
			snprintf(label, sizeof(label), "%s gen n=%zu vector %zu", impl, n, i);
			check_vector(label, &ctx, &out[i], rand + 16 * i, sqn + 6 * i, amf);
		}
		/* nothing written past out[n - 1] */
		const uint8_t *tail = (const uint8_t *)&out[n];
		for (size_t i = 0; i < sizeof(out[0]); i++)
			assert_int_equal(tail[i], 0xEE);
		sf_aka_free(&ctx);
	}
}

static void test_gen_batch(void **state)
{
	(void)state;
	each_impl(gen_batch);
}

static void usim_bits(const char *impl)
{
	struct sf_rng_det det;
	sf_rng_det_init(&det, 0x05111);
	for (int trial = 0; trial < 3; trial++) {
		struct sf_aka_ctx ctx;
		struct sf_aka_vector v;
		uint8_t rand[16], sqn[6], amf[2];
		uint8_t s[6], res[8], ck[16], ik[16];
		random_ctx(&det, &ctx);
		assert_int_equal(sf_rng_fill(&det.rng, rand, 16), 0);
		assert_int_equal(sf_rng_fill(&det.rng, sqn, 6), 0);
		assert_int_equal(sf_rng_fill(&det.rng, amf, 2), 0);
		sf__milenage_gen(&ctx, 1, rand, sqn, amf, &v);

		assert_int_equal(sf__milenage_usim(&ctx, rand, v.autn, s, res, ck, ik), 0);
		sf_assert_mem(impl, s, sqn, 6);
		sf_assert_mem(impl, res, v.xres, 8);
		sf_assert_mem(impl, ck, v.ck, 16);
		sf_assert_mem(impl, ik, v.ik, 16);

		/* Every bit of AMF (octets 6..7) and MAC-A (8..15), and of SQN xor AK. */
		for (int bit = 0; bit < 128; bit++) {
			uint8_t autn[16];
			memcpy(autn, v.autn, 16);
			autn[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
			memset(res, 0x5A, sizeof(res));
			memset(ck, 0x5A, sizeof(ck));
			memset(ik, 0x5A, sizeof(ik));
			int rc = sf__milenage_usim(&ctx, rand, autn, s, res, ck, ik);
			if (rc != SF_EAKA_MAC)
				fail_msg("%s: AUTN bit %d flipped: rc %d, want SF_EAKA_MAC", impl,
				         bit, rc);
			/* nothing but SQN is written on a MAC failure */
			for (int i = 0; i < 8; i++)
				assert_int_equal(res[i], 0x5A);
			for (int i = 0; i < 16; i++) {
				assert_int_equal(ck[i], 0x5A);
				assert_int_equal(ik[i], 0x5A);
			}
		}
		/* A different RAND fails too. */
		rand[15] ^= 1;
		assert_int_equal(sf__milenage_usim(&ctx, rand, v.autn, s, res, ck, ik),
		                 SF_EAKA_MAC);
		sf_aka_free(&ctx);
	}
}

static void test_usim_bits(void **state)
{
	(void)state;
	each_impl(usim_bits);
}

/* ---- non-default constants against a plain reference --------------------- */

/* Bit i of a 128-bit big-endian string (bit 0 = MSB of octet 0). */
static int getbit(const uint8_t *x, unsigned i)
{
	return (x[i / 8] >> (7 - i % 8)) & 1;
}

static void ref_rot(uint8_t out[16], const uint8_t in[16], unsigned r)
{
	/* towards the MSB: output bit i is input bit i + r (mod 128) */
	memset(out, 0, 16);
	for (unsigned i = 0; i < 128; i++)
		if (getbit(in, (i + r) % 128))
			out[i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

/* TS 35.206 §4.1 as written, one block at a time. */
static void ref_milenage(const uint8_t rk[176], const uint8_t opc[16],
                         const struct sf_milenage_consts *c, const uint8_t rand[16],
                         const uint8_t sqn[6], const uint8_t amf[2], uint8_t out[5][16])
{
	uint8_t temp[16], t[16], in1[16], blk[16];
	for (int i = 0; i < 16; i++)
		t[i] = rand[i] ^ opc[i];
	sf__aes128_encrypt(rk, t, temp);
	memcpy(in1, sqn, 6);
	memcpy(in1 + 6, amf, 2);
	memcpy(in1 + 8, sqn, 6);
	memcpy(in1 + 14, amf, 2);
	for (int i = 0; i < 16; i++)
		t[i] = in1[i] ^ opc[i];
	ref_rot(blk, t, c->r[0]);
	for (int i = 0; i < 16; i++)
		blk[i] ^= temp[i] ^ c->c[0][i];
	sf__aes128_encrypt(rk, blk, out[0]);
	for (int f = 1; f < 5; f++) {
		for (int i = 0; i < 16; i++)
			t[i] = temp[i] ^ opc[i];
		ref_rot(blk, t, c->r[f]);
		for (int i = 0; i < 16; i++)
			blk[i] ^= c->c[f][i];
		sf__aes128_encrypt(rk, blk, out[f]);
	}
	for (int f = 0; f < 5; f++)
		for (int i = 0; i < 16; i++)
			out[f][i] ^= opc[i];
}

static void consts(const char *impl)
{
	struct sf_rng_det det;
	sf_rng_det_init(&det, 0xC0C0);
	for (int trial = 0; trial < 40; trial++) {
		struct sf_aka_params p;
		struct sf_aka_ctx ctx;
		uint8_t rand[16 * 5], sqn[6 * 5], amf[2], o[5][16], a[8], b[8], res[8], ck[16],
		    ik[16], ak[6];
		char label[80];
		snprintf(label, sizeof(label), "%s constants trial %d", impl, trial);
		sf_aka_params_init(&p, SF_AKA_ALG_MILENAGE);
		assert_int_equal(sf_rng_fill(&det.rng, p.k, 16), 0);
		assert_int_equal(sf_rng_fill(&det.rng, p.opc, 16), 0);
		if (trial == 0) {
			/* the defaults, through the general reference */
		} else if (trial < 5) {
			/* only one constant off the default: the fast path must not be taken */
			if (trial & 1)
				p.consts.r[trial % 5] ^= 8;
			else
				p.consts.c[trial % 5][3] ^= 0x40;
		} else {
			assert_int_equal(sf_rng_fill(&det.rng, p.consts.r, 5), 0);
			for (int i = 0; i < 5; i++)
				p.consts.r[i] &= 127; /* any bit count 0..127 */
			assert_int_equal(sf_rng_fill(&det.rng, &p.consts.c[0][0], 80), 0);
		}
		assert_int_equal(sf_aka_init(&ctx, &p), 0);
		assert_int_equal(ctx.std_consts, trial == 0);
		assert_int_equal(sf_rng_fill(&det.rng, rand, sizeof(rand)), 0);
		assert_int_equal(sf_rng_fill(&det.rng, sqn, sizeof(sqn)), 0);
		assert_int_equal(sf_rng_fill(&det.rng, amf, 2), 0);

		ref_milenage(ctx.rk, p.opc, &p.consts, rand, sqn, amf, o);
		sf__milenage_f1(&ctx, rand, sqn, amf, a, b);
		sf_assert_mem(label, a, o[0], 8);
		sf_assert_mem(label, b, o[0] + 8, 8);
		sf__milenage_f2345(&ctx, rand, res, ck, ik, ak);
		sf_assert_mem(label, ak, o[1], 6);
		sf_assert_mem(label, res, o[1] + 8, 8);
		sf_assert_mem(label, ck, o[2], 16);
		sf_assert_mem(label, ik, o[3], 16);
		sf__milenage_f5star(&ctx, rand, ak);
		sf_assert_mem(label, ak, o[4], 6);

		struct sf_aka_vector v[5];
		sf__milenage_gen(&ctx, 5, rand, sqn, amf, v);
		for (int i = 0; i < 5; i++)
			check_vector(label, &ctx, &v[i], rand + 16 * i, sqn + 6 * i, amf);
		uint8_t s[6];
		assert_int_equal(sf__milenage_usim(&ctx, rand, v[0].autn, s, res, ck, ik), 0);
		sf_assert_mem(label, s, sqn, 6);
		sf_assert_mem(label, ck, o[2], 16);
		v[0].autn[15] ^= 1;
		assert_int_equal(sf__milenage_usim(&ctx, rand, v[0].autn, s, res, ck, ik),
		                 SF_EAKA_MAC);
		sf_aka_free(&ctx);
	}
}

static void test_nondefault_constants(void **state)
{
	(void)state;
	each_impl(consts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_env_selects),      cmocka_unit_test(test_fips197),
	    cmocka_unit_test(test_encrypt_n),        cmocka_unit_test(test_milenage_set1),
	    cmocka_unit_test(test_milenage_vectors), cmocka_unit_test(test_gen_batch),
	    cmocka_unit_test(test_usim_bits),        cmocka_unit_test(test_nondefault_constants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
