/*
 * Unit tests of src/aka/tuak.c (TS 35.231) and src/aka/kdf.c (TS 33.220 B.2,
 * TS 33.401 A.2, TS 33.402 A.2, TS 33.501 Annex A, RFC 5448).  The published
 * rows of tests/vectors/tuak.tsv and kdf_5g.tsv are run by test_vectors.c;
 * this file covers what those rows do not:
 *
 *  Keccak-f[1600]: used as SHA3-256 and SHAKE128 (FIPS 202 sponge, rate
 *    136/168, padding 06/1F ... 80) against the FIPS 202 known answers and
 *    against OpenSSL for every message length 0..400 and long SHAKE output.
 *  TUAK: TS 35.233 test sets 5 and 6 (RES 256, CK 256, 2 iterations), every
 *    MAC/RES/CK/IK length with K of 128 and 256 bits (exact output length,
 *    length separation through INSTANCE), K128 vs K256 separation, iteration
 *    count changes TOPc, f1/f1* and f5/f5* instance separation, NULL outputs.
 *  KDF: SNN and PLMN-id encodings and their rejections, the S encoding of the
 *    generic KDF against a hand-assembled S, argument validation of every
 *    derivation (outputs untouched on error), K_ASME against a published
 *    value, 256-bit CK/IK keys, PRF' at every length class up to 255 blocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "aka_internal.h"
#include "helper_tsv.h"
#include "simfleet/err.h"
#include "simfleet/kdf.h"
#include "simfleet/sha256.h"
#include "simfleet/util.h"

/* ==== Keccak-f[1600] through a FIPS 202 sponge ========================== */

/* XORs octet b into octet position i of the state (lane i/8, little-endian):
 * portable, no casts of byte buffers. */
static void st_xor_octet(uint64_t st[25], size_t i, uint8_t b)
{
	st[i / 8] ^= (uint64_t)b << (8 * (i % 8));
}

static uint8_t st_get_octet(const uint64_t st[25], size_t i)
{
	return (uint8_t)(st[i / 8] >> (8 * (i % 8)));
}

/* FIPS 202 §4 sponge over sf__keccak_f1600 with the SHA-3 (0x06) or SHAKE
 * (0x1F) domain padding. */
static void sponge(size_t rate, uint8_t pad, const uint8_t *msg, size_t len, uint8_t *out,
		   size_t out_len)
{
	uint64_t st[25];
	memset(st, 0, sizeof(st));
	size_t pos = 0;
	for (size_t i = 0; i < len; i++) {
		st_xor_octet(st, pos++, msg[i]);
		if (pos == rate) {
			sf__keccak_f1600(st);
			pos = 0;
		}
	}
	st_xor_octet(st, pos, pad);
	st_xor_octet(st, rate - 1, 0x80);
	sf__keccak_f1600(st);
	for (size_t o = 0, p = 0; o < out_len; o++, p++) {
		if (p == rate) {
			sf__keccak_f1600(st);
			p = 0;
		}
		out[o] = st_get_octet(st, p);
	}
}

static void sha3_256(const void *msg, size_t len, uint8_t out[32])
{
	sponge(136, 0x06, msg, len, out, 32);
}

static void shake128(const void *msg, size_t len, uint8_t *out, size_t out_len)
{
	sponge(168, 0x1F, msg, len, out, out_len);
}

static void test_keccak_known_answers(void **state)
{
	(void)state;
	uint8_t got[32], want[32];

	/* FIPS 202 / NIST CAVP examples. */
	sha3_256("", 0, got);
	sf_test_unhex("a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a", want, 32);
	sf_assert_mem("SHA3-256(\"\")", got, want, 32);

	sha3_256("abc", 3, got);
	sf_test_unhex("3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532", want, 32);
	sf_assert_mem("SHA3-256(\"abc\")", got, want, 32);

	shake128("", 0, got, 32);
	sf_test_unhex("7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26", want, 32);
	sf_assert_mem("SHAKE128(\"\", 256)", got, want, 32);

	/* The permutation of the all-zero state: lane 0 as published in the
	 * Keccak team's KeccakF-1600-IntermediateValues.txt. */
	uint64_t st[25];
	memset(st, 0, sizeof(st));
	sf__keccak_f1600(st);
	if (st[0] != UINT64_C(0xF1258F7940E1DDE7))
		fail_msg("Keccak-f[1600](0) lane 0 = %016llx, want f1258f7940e1dde7",
			 (unsigned long long)st[0]);
}

static void test_keccak_vs_openssl(void **state)
{
	(void)state;
	uint8_t msg[400], got[600], want[600];
	unsigned int wl;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 31 + 7);

	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_non_null(md);
	for (size_t len = 0; len <= sizeof(msg); len++) {
		sha3_256(msg, len, got);
		assert_int_equal(EVP_Digest(msg, len, want, &wl, EVP_sha3_256(), NULL), 1);
		if (memcmp(got, want, 32) != 0)
			fail_msg("SHA3-256 of %zu octets differs from OpenSSL", len);

		/* SHAKE128 with 600 octets of output: four squeezes. */
		size_t out_len = len % 7 == 0 ? sizeof(got) : 32;
		shake128(msg, len, got, out_len);
		assert_int_equal(EVP_DigestInit_ex(md, EVP_shake128(), NULL), 1);
		assert_int_equal(EVP_DigestUpdate(md, msg, len), 1);
		assert_int_equal(EVP_DigestFinalXOF(md, want, out_len), 1);
		if (memcmp(got, want, out_len) != 0)
			fail_msg("SHAKE128 of %zu octets (%zu out) differs from OpenSSL", len,
				 out_len);
	}
	EVP_MD_CTX_free(md);
}

/* ==== TUAK =============================================================== */

struct tuak_case {
	const char *name, *k, *rand, *sqn, *amf, *top, *topc;
	unsigned iterations;
	const char *f1, *f1s, *f2, *f3, *f4, *f5, *f5s;
};

/* TS 35.233 test sets 5 and 6 as published in libosmocore
 * tests/tuak/tuak_test.c ("TS 35.233 Section 6.7 / 6.8"); tuak.tsv holds
 * sets 1-4 only.  Set 5: MAC 64, RES 256, CK 256, IK 128; set 6: all 256
 * bits and two Keccak iterations (which changes TOPc too). */
static const struct tuak_case TUAK_SETS[] = {
	{"TS 35.233 set 5", "1574ca56881d05c189c82880f789c9cd4244955f4426aa2b69c29f15770e5aa5",
	 "c570aac68cde651fb1e3088322498bef", "c89bb71f3a41", "297d",
	 "e59f6eb10ea406813f4991b0b9e02f181edf4c7e17b480f66d34da35ee88c95e",
	 "3c6052e41532a28a47aa3cbb89f223e8f3aaa976aecd48bc3e7d6165a55eff62", 1, "d7340dad02b4cb01",
	 "c6021e2e66accb15", "84d89b41db1867ffd4c7ba1d82163f4d526a20fbae5418fbb526940b1eeb905c",
	 "d419676afe5ab58c1d8bee0d43523a4d2f52ef0b31a4676a0c334427a988fe65",
	 "205533e505661b61d05cc0eac87818f4", "d7b3d2d4980a", "ca9655264986"},
	{"TS 35.233 set 6", "1574ca56881d05c189c82880f789c9cd4244955f4426aa2b69c29f15770e5aa5",
	 "c570aac68cde651fb1e3088322498bef", "c89bb71f3a41", "297d",
	 "e59f6eb10ea406813f4991b0b9e02f181edf4c7e17b480f66d34da35ee88c95e",
	 "b04a66f26c62fcd6c82de22a179ab65506ecf47f56245cd149966cfa9cec7a51", 2,
	 "90d2289ed1ca1c3dbc2247bb480d431ac71d2e4a7677f6e997cfddb0cbad88b7",
	 "427355dbac30e825063aba61b556e87583abac638e3ab01c4c884ad9d458dc2f",
	 "d67e6e64590d22eecba7324afa4af4460c93f01b24506d6e12047d789a94c867",
	 "ede57edfc57cdffe1aae75066a1b7479bbc3837438e88d37a801cccc9f972b89",
	 "48ed9299126e5057402fe01f9201cf25249f9c5c0ed2afcf084755daff1d3999", "6aae8d18c448",
	 "8c5f33b61f4e"},
};

/* A prepared TUAK context without going through sf_aka_init (this file
 * tests tuak.c alone): K, TOPc, lengths and iterations set directly. */
static void tuak_ctx(struct sf_aka_ctx *ctx, const uint8_t *k, size_t k_len,
		     const uint8_t topc[32], unsigned mac, unsigned res, unsigned ck, unsigned ik,
		     unsigned iterations)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->p.alg = SF_AKA_ALG_TUAK;
	memcpy(ctx->p.k, k, k_len);
	ctx->p.k_len = (uint8_t)k_len;
	memcpy(ctx->p.opc, topc, 32);
	ctx->p.opc_len = 32;
	ctx->p.mac_len = (uint8_t)mac;
	ctx->p.res_len = (uint8_t)res;
	ctx->p.ck_len = (uint8_t)ck;
	ctx->p.ik_len = (uint8_t)ik;
	ctx->p.keccak_iterations = (uint16_t)iterations;
	ctx->ready = 1;
}

static void test_tuak_sets_5_6(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(TUAK_SETS) / sizeof(TUAK_SETS[0]); i++) {
		const struct tuak_case *c = &TUAK_SETS[i];
		uint8_t k[32], rand[16], sqn[6], amf[2], top[32], topc[32], e[32], a[32], b[32],
			d[32], f[32], ak[6];
		char label[80];
		size_t kl = sf_test_unhex(c->k, k, sizeof(k));
		sf_test_unhex(c->rand, rand, 16);
		sf_test_unhex(c->sqn, sqn, 6);
		sf_test_unhex(c->amf, amf, 2);
		sf_test_unhex(c->top, top, 32);

		sf__tuak_topc(k, kl, top, c->iterations, topc);
		sf_test_unhex(c->topc, e, 32);
		snprintf(label, sizeof(label), "%s TOPc", c->name);
		sf_assert_mem(label, topc, e, 32);

		size_t ml = strlen(c->f1) / 2, rl = strlen(c->f2) / 2, cl = strlen(c->f3) / 2,
		       il = strlen(c->f4) / 2;
		struct sf_aka_ctx ctx;
		tuak_ctx(&ctx, k, kl, topc, (unsigned)ml, (unsigned)rl, (unsigned)cl, (unsigned)il,
			 c->iterations);

		sf__tuak_f1(&ctx, rand, sqn, amf, a, b);
		snprintf(label, sizeof(label), "%s f1", c->name);
		sf_test_unhex(c->f1, e, 32);
		sf_assert_mem(label, a, e, ml);
		snprintf(label, sizeof(label), "%s f1*", c->name);
		sf_test_unhex(c->f1s, e, 32);
		sf_assert_mem(label, b, e, ml);

		sf__tuak_f2345(&ctx, rand, a, d, f, ak);
		snprintf(label, sizeof(label), "%s f2", c->name);
		sf_test_unhex(c->f2, e, 32);
		sf_assert_mem(label, a, e, rl);
		snprintf(label, sizeof(label), "%s f3", c->name);
		sf_test_unhex(c->f3, e, 32);
		sf_assert_mem(label, d, e, cl);
		snprintf(label, sizeof(label), "%s f4", c->name);
		sf_test_unhex(c->f4, e, 32);
		sf_assert_mem(label, f, e, il);
		snprintf(label, sizeof(label), "%s f5", c->name);
		sf_test_unhex(c->f5, e, 6);
		sf_assert_mem(label, ak, e, 6);

		sf__tuak_f5star(&ctx, rand, ak);
		snprintf(label, sizeof(label), "%s f5*", c->name);
		sf_test_unhex(c->f5s, e, 6);
		sf_assert_mem(label, ak, e, 6);
		sf_wipe(&ctx, sizeof(ctx));
	}
}

static const uint8_t T_RAND[16] = {0x23, 0x55, 0x3c, 0xbe, 0x96, 0x37, 0xa8, 0x9d,
				   0x21, 0x8a, 0xe6, 0x4d, 0xae, 0x47, 0xbf, 0x35};
static const uint8_t T_SQN[6] = {0xff, 0x9b, 0xb4, 0xd0, 0xb6, 0x07};
static const uint8_t T_AMF[2] = {0xb9, 0xb9};

static void t_key(uint8_t k[32])
{
	for (int i = 0; i < 32; i++)
		k[i] = (uint8_t)(0xa0 + i);
}

static void t_topc(uint8_t topc[32])
{
	for (int i = 0; i < 32; i++)
		topc[i] = (uint8_t)(0x5a ^ (i * 3));
}

#define CANARY 0xC5

static int canary_intact(const uint8_t *buf, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (buf[i] != CANARY)
			return 0;
	return 1;
}

/* Every MAC length with both K lengths: exactly mac_len octets written, and
 * the length is part of INSTANCE, so a 64-bit MAC is not the prefix of the
 * 128-bit one. */
static void test_tuak_mac_lengths(void **state)
{
	(void)state;
	static const unsigned macs[3] = {8, 16, 32};
	uint8_t k[32], topc[32];
	uint8_t mac_a[3][40], mac_s[3][40];
	t_key(k);
	t_topc(topc);
	for (size_t kl = 16; kl <= 32; kl += 16) {
		for (size_t m = 0; m < 3; m++) {
			struct sf_aka_ctx ctx;
			tuak_ctx(&ctx, k, kl, topc, macs[m], 8, 16, 16, 1);
			memset(mac_a[m], CANARY, sizeof(mac_a[m]));
			memset(mac_s[m], CANARY, sizeof(mac_s[m]));
			sf__tuak_f1(&ctx, T_RAND, T_SQN, T_AMF, mac_a[m], mac_s[m]);
			if (!canary_intact(mac_a[m], macs[m], 40) ||
			    !canary_intact(mac_s[m], macs[m], 40))
				fail_msg("K %zu, MAC %u: wrote past mac_len", kl, macs[m]);
			if (canary_intact(mac_a[m], 0, macs[m]))
				fail_msg("K %zu, MAC %u: nothing written", kl, macs[m]);

			/* Only one of the two requested: the same values. */
			uint8_t only[32];
			sf__tuak_f1(&ctx, T_RAND, T_SQN, T_AMF, only, NULL);
			sf_assert_mem("f1 alone", only, mac_a[m], macs[m]);
			sf__tuak_f1(&ctx, T_RAND, T_SQN, T_AMF, NULL, only);
			sf_assert_mem("f1* alone", only, mac_s[m], macs[m]);

			/* f1 and f1* are separate instances (INSTANCE bit 7). */
			assert_memory_not_equal(mac_a[m], mac_s[m], macs[m]);
		}
		for (size_t m = 1; m < 3; m++) {
			assert_memory_not_equal(mac_a[m], mac_a[m - 1], macs[m - 1]);
			assert_memory_not_equal(mac_s[m], mac_s[m - 1], macs[m - 1]);
		}
	}
}

/* Every RES x CK x IK length combination with both K lengths: exact
 * lengths, NULL outputs allowed, and distinct INSTANCE values give
 * distinct outputs (AK included). */
static void test_tuak_f2345_lengths(void **state)
{
	(void)state;
	static const unsigned ress[4] = {4, 8, 16, 32};
	uint8_t k[32], topc[32];
	uint8_t aks[2 * 4 * 2 * 2][6];
	size_t naks = 0;
	t_key(k);
	t_topc(topc);
	for (size_t kl = 16; kl <= 32; kl += 16) {
		for (size_t r = 0; r < 4; r++) {
			for (unsigned ck = 16; ck <= 32; ck += 16) {
				for (unsigned ik = 16; ik <= 32; ik += 16) {
					struct sf_aka_ctx ctx;
					uint8_t res[40], ckb[40], ikb[40], ak[6], x[32];
					tuak_ctx(&ctx, k, kl, topc, 8, ress[r], ck, ik, 1);
					memset(res, CANARY, sizeof(res));
					memset(ckb, CANARY, sizeof(ckb));
					memset(ikb, CANARY, sizeof(ikb));
					sf__tuak_f2345(&ctx, T_RAND, res, ckb, ikb, ak);
					if (!canary_intact(res, ress[r], 40) ||
					    !canary_intact(ckb, ck, 40) || !canary_intact(ikb, ik, 40))
						fail_msg("K %zu RES %u CK %u IK %u: wrote past an "
							 "output length",
							 kl, ress[r], ck, ik);

					/* Each output alone equals the combined call. */
					sf__tuak_f2345(&ctx, T_RAND, x, NULL, NULL, NULL);
					sf_assert_mem("RES alone", x, res, ress[r]);
					sf__tuak_f2345(&ctx, T_RAND, NULL, x, NULL, NULL);
					sf_assert_mem("CK alone", x, ckb, ck);
					sf__tuak_f2345(&ctx, T_RAND, NULL, NULL, x, NULL);
					sf_assert_mem("IK alone", x, ikb, ik);
					sf__tuak_f2345(&ctx, T_RAND, NULL, NULL, NULL, x);
					sf_assert_mem("AK alone", x, ak, 6);

					/* f5* is its own instance. */
					sf__tuak_f5star(&ctx, T_RAND, x);
					assert_memory_not_equal(x, ak, 6);

					for (size_t j = 0; j < naks; j++)
						if (memcmp(aks[j], ak, 6) == 0)
							fail_msg("K %zu RES %u CK %u IK %u: AK "
								 "repeats an earlier length set",
								 kl, ress[r], ck, ik);
					memcpy(aks[naks++], ak, 6);
				}
			}
		}
	}
	assert_int_equal(naks, 32);
}

/* A 256-bit K whose second half is zero must not collide with the 128-bit
 * K of its first half: the K-length bit of INSTANCE separates them. */
static void test_tuak_k128_vs_k256(void **state)
{
	(void)state;
	uint8_t k[32], topc[32], top[32], t16[32], t32[32];
	uint8_t a16[8], a32[8], r16[8], r32[8];
	t_key(k);
	memset(k + 16, 0, 16);
	t_topc(top);
	sf__tuak_topc(k, 16, top, 1, t16);
	sf__tuak_topc(k, 32, top, 1, t32);
	assert_memory_not_equal(t16, t32, 32);

	t_topc(topc);
	struct sf_aka_ctx c16, c32;
	tuak_ctx(&c16, k, 16, topc, 8, 8, 16, 16, 1);
	tuak_ctx(&c32, k, 32, topc, 8, 8, 16, 16, 1);
	sf__tuak_f1(&c16, T_RAND, T_SQN, T_AMF, a16, NULL);
	sf__tuak_f1(&c32, T_RAND, T_SQN, T_AMF, a32, NULL);
	assert_memory_not_equal(a16, a32, 8);
	sf__tuak_f2345(&c16, T_RAND, r16, NULL, NULL, NULL);
	sf__tuak_f2345(&c32, T_RAND, r32, NULL, NULL, NULL);
	assert_memory_not_equal(r16, r32, 8);

	/* K is really used: the second half of a 256-bit K matters. */
	k[31] ^= 1;
	tuak_ctx(&c32, k, 32, topc, 8, 8, 16, 16, 1);
	sf__tuak_f1(&c32, T_RAND, T_SQN, T_AMF, r32, NULL);
	assert_memory_not_equal(a32, r32, 8);
}

/* The iteration count changes TOPc and every output; the derivation of TOPc
 * iterates too (TS 35.233 sets 5 and 6 share TOP and K). */
static void test_tuak_iterations(void **state)
{
	(void)state;
	uint8_t k[32], top[32], t1[32], t2[32], t3[32], t0[32];
	t_key(k);
	t_topc(top);
	sf__tuak_topc(k, 32, top, 1, t1);
	sf__tuak_topc(k, 32, top, 2, t2);
	sf__tuak_topc(k, 32, top, 3, t3);
	assert_memory_not_equal(t1, t2, 32);
	assert_memory_not_equal(t2, t3, 32);
	/* 0 is rejected by the public API; tuak.c never leaves the state
	 * unpermuted (TOPc would be TOP) and treats it as 1. */
	sf__tuak_topc(k, 32, top, 0, t0);
	sf_assert_mem("0 iterations behaves as 1", t0, t1, 32);

	struct sf_aka_ctx c1, c2;
	uint8_t m1[8], m2[8];
	tuak_ctx(&c1, k, 32, t1, 8, 8, 16, 16, 1);
	tuak_ctx(&c2, k, 32, t1, 8, 8, 16, 16, 2);
	sf__tuak_f1(&c1, T_RAND, T_SQN, T_AMF, m1, NULL);
	sf__tuak_f1(&c2, T_RAND, T_SQN, T_AMF, m2, NULL);
	assert_memory_not_equal(m1, m2, 8);
}

/* f1 covers SQN, AMF and RAND; f2345 and f5* ignore SQN/AMF by construction
 * (they are not inputs), so only RAND is varied for them. */
static void test_tuak_input_sensitivity(void **state)
{
	(void)state;
	uint8_t k[32], topc[32], base[8], x[8];
	t_key(k);
	t_topc(topc);
	struct sf_aka_ctx ctx;
	tuak_ctx(&ctx, k, 16, topc, 8, 8, 16, 16, 1);
	sf__tuak_f1(&ctx, T_RAND, T_SQN, T_AMF, base, NULL);

	uint8_t rand[16], sqn[6], amf[2];
	memcpy(rand, T_RAND, 16);
	rand[15] ^= 0x01;
	sf__tuak_f1(&ctx, rand, T_SQN, T_AMF, x, NULL);
	assert_memory_not_equal(base, x, 8);
	memcpy(sqn, T_SQN, 6);
	sqn[0] ^= 0x80;
	sf__tuak_f1(&ctx, T_RAND, sqn, T_AMF, x, NULL);
	assert_memory_not_equal(base, x, 8);
	memcpy(amf, T_AMF, 2);
	amf[1] ^= 0x01;
	sf__tuak_f1(&ctx, T_RAND, T_SQN, amf, x, NULL);
	assert_memory_not_equal(base, x, 8);

	uint8_t ak1[6], ak2[6];
	sf__tuak_f2345(&ctx, T_RAND, NULL, NULL, NULL, ak1);
	sf__tuak_f2345(&ctx, rand, NULL, NULL, NULL, ak2);
	assert_memory_not_equal(ak1, ak2, 6);
	sf_wipe(&ctx, sizeof(ctx));
}

/* ==== KDF: identities ===================================================== */

static void test_snn(void **state)
{
	(void)state;
	char buf[SF_SNN_MAX_LEN + 1];
	size_t len = 0;

	assert_int_equal(sf_kdf_snn(buf, sizeof(buf), &len, "001", "01"), 0);
	assert_string_equal(buf, "5G:mnc001.mcc001.3gppnetwork.org");
	assert_int_equal(len, 32);

	assert_int_equal(sf_kdf_snn(buf, sizeof(buf), &len, "208", "93"), 0);
	assert_string_equal(buf, "5G:mnc093.mcc208.3gppnetwork.org");
	assert_int_equal(sf_kdf_snn(buf, sizeof(buf), NULL, "310", "410"), 0);
	assert_string_equal(buf, "5G:mnc410.mcc310.3gppnetwork.org");

	/* Exactly 33 octets (32 + NUL) is enough; 32 is not. */
	char small[33];
	assert_int_equal(sf_kdf_snn(small, sizeof(small), &len, "001", "01"), 0);
	memset(small, 'x', sizeof(small));
	assert_int_equal(sf_kdf_snn(small, 32, &len, "001", "01"), SF_EBUFSIZE);
	assert_int_equal(small[0], 'x');

	static const char *const bad[][2] = {
		{"01", "01"},  {"0011", "01"}, {"0a1", "01"}, {"", "01"},    {"001", "1"},
		{"001", ""},   {"001", "1234"}, {"001", "9x"}, {"001", "0 1"}, {" 01", "01"},
		{"001", "-1"}, {"00\xb9", "01"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		len = 777;
		if (sf_kdf_snn(buf, sizeof(buf), &len, bad[i][0], bad[i][1]) != SF_EINVAL)
			fail_msg("SNN accepted MCC '%s' MNC '%s'", bad[i][0], bad[i][1]);
		assert_int_equal(buf[0], 'x');
		assert_int_equal(len, 777);
	}
	assert_int_equal(sf_kdf_snn(NULL, 64, &len, "001", "01"), SF_EINVAL);
	assert_int_equal(sf_kdf_snn(buf, sizeof(buf), &len, NULL, "01"), SF_EINVAL);
	assert_int_equal(sf_kdf_snn(buf, sizeof(buf), &len, "001", NULL), SF_EINVAL);
}

static void test_plmn_id(void **state)
{
	(void)state;
	uint8_t p[3];
	assert_int_equal(sf_kdf_plmn_id("001", "01", p), 0);
	sf_assert_mem("PLMN 001/01", p, "\x00\xf1\x10", 3);
	assert_int_equal(sf_kdf_plmn_id("310", "410", p), 0);
	sf_assert_mem("PLMN 310/410", p, "\x13\x00\x14", 3);
	assert_int_equal(sf_kdf_plmn_id("208", "93", p), 0);
	sf_assert_mem("PLMN 208/93", p, "\x02\xf8\x39", 3);
	/* The SN id of the published K_ASME example below. */
	assert_int_equal(sf_kdf_plmn_id("208", "034", p), 0);
	sf_assert_mem("PLMN 208/034", p, "\x02\x48\x30", 3);

	memset(p, 0xEE, 3);
	assert_int_equal(sf_kdf_plmn_id("01", "01", p), SF_EINVAL);
	assert_int_equal(sf_kdf_plmn_id("001", "1", p), SF_EINVAL);
	assert_int_equal(sf_kdf_plmn_id("001", "0001", p), SF_EINVAL);
	assert_int_equal(sf_kdf_plmn_id("00f", "01", p), SF_EINVAL);
	assert_int_equal(sf_kdf_plmn_id(NULL, "01", p), SF_EINVAL);
	assert_int_equal(sf_kdf_plmn_id("001", NULL, p), SF_EINVAL);
	sf_assert_mem("PLMN untouched on error", p, "\xee\xee\xee", 3);
	assert_int_equal(sf_kdf_plmn_id("001", "01", NULL), SF_EINVAL);
}

/* ==== KDF: the generic function ========================================== */

/* HMAC over an S assembled by hand, to check sf_kdf's streamed encoding. */
static void kdf_by_hand(const uint8_t *key, size_t key_len, uint8_t fc,
			const struct sf_kdf_param *p, size_t n, uint8_t out[32])
{
	static uint8_t s[1 + 4 * (200 + 2)];
	size_t o = 0;
	s[o++] = fc;
	for (size_t i = 0; i < n; i++) {
		assert_true(p[i].len <= 200);
		if (p[i].len)
			memcpy(s + o, p[i].p, p[i].len);
		o += p[i].len;
		s[o++] = (uint8_t)(p[i].len >> 8);
		s[o++] = (uint8_t)p[i].len;
	}
	sf_hmac_sha256(key, key_len, s, o, out);
}

static void test_kdf_generic(void **state)
{
	(void)state;
	uint8_t key[32], a[200], b[3], got[32], want[32];
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 200; i++)
		a[i] = (uint8_t)(0x80 + i);
	memcpy(b, "\x01\x02\x03", 3);

	/* n = 0: S = FC alone. */
	assert_int_equal(sf_kdf(key, 32, 0x6A, NULL, 0, got), 0);
	kdf_by_hand(key, 32, 0x6A, NULL, 0, want);
	sf_assert_mem("KDF with no parameters", got, want, 32);

	/* A zero-length parameter still gets its L = 00 00. */
	const struct sf_kdf_param p3[3] = {{a, 200}, {NULL, 0}, {b, 3}};
	assert_int_equal(sf_kdf(key, 32, 0x20, p3, 3, got), 0);
	kdf_by_hand(key, 32, 0x20, p3, 3, want);
	sf_assert_mem("KDF with an empty parameter", got, want, 32);
	const struct sf_kdf_param p2[2] = {{a, 200}, {b, 3}};
	assert_int_equal(sf_kdf(key, 32, 0x20, p2, 2, want), 0);
	assert_memory_not_equal(got, want, 32);

	/* FC is part of S. */
	assert_int_equal(sf_kdf(key, 32, 0x21, p2, 2, got), 0);
	assert_memory_not_equal(got, want, 32);

	/* SF_KDF_MAX_PARAMS parameters are fine, one more is not. */
	struct sf_kdf_param many[SF_KDF_MAX_PARAMS + 1];
	for (size_t i = 0; i <= SF_KDF_MAX_PARAMS; i++) {
		many[i].p = b;
		many[i].len = 3;
	}
	assert_int_equal(sf_kdf(key, 32, 0x10, many, SF_KDF_MAX_PARAMS, got), 0);
	memset(got, 0xEE, 32);
	assert_int_equal(sf_kdf(key, 32, 0x10, many, SF_KDF_MAX_PARAMS + 1, got), SF_EINVAL);

	/* Parameter lengths: 65535 is the largest L can express. */
	static uint8_t big[65536];
	const struct sf_kdf_param pb[1] = {{big, 65535}};
	assert_int_equal(sf_kdf(key, 32, 0x10, pb, 1, want), 0);
	const struct sf_kdf_param pc[1] = {{big, 65536}};
	assert_int_equal(sf_kdf(key, 32, 0x10, pc, 1, got), SF_EINVAL);

	const struct sf_kdf_param pn[1] = {{NULL, 1}};
	assert_int_equal(sf_kdf(key, 32, 0x10, pn, 1, got), SF_EINVAL);
	assert_int_equal(sf_kdf(NULL, 32, 0x10, p2, 2, got), SF_EINVAL);
	assert_int_equal(sf_kdf(key, 32, 0x10, NULL, 2, got), SF_EINVAL);
	assert_int_equal(sf_kdf(key, 32, 0x10, p2, 2, NULL), SF_EINVAL);
	{
		uint8_t ee[32];
		memset(ee, 0xEE, 32);
		sf_assert_mem("output untouched on error", got, ee, 32);
	}
	/* An empty key is legal HMAC input. */
	assert_int_equal(sf_kdf(NULL, 0, 0x10, p2, 2, got), 0);
	kdf_by_hand(NULL, 0, 0x10, p2, 2, want);
	sf_assert_mem("KDF with an empty key", got, want, 32);
}

/* ==== KDF: the named derivations ========================================= */

static const char SNN[] = "5G:mnc001.mcc001.3gppnetwork.org";
#define SNN_U8 ((const uint8_t *)SNN)
#define SNN_LEN (sizeof(SNN) - 1)

static void ckik_fixture(uint8_t ck[32], uint8_t ik[32], uint8_t sqnak[6], uint8_t rand[16])
{
	for (int i = 0; i < 32; i++) {
		ck[i] = (uint8_t)(0x10 + i);
		ik[i] = (uint8_t)(0x90 + i);
	}
	memcpy(sqnak, "\x57\xe6\x73\x24\x5c\x0d", 6);
	for (int i = 0; i < 16; i++)
		rand[i] = (uint8_t)(0xf0 - i);
}

/* Each derivation equals the generic KDF with its FC and parameters, for
 * 128- and 256-bit CK/IK (Key = CK || IK, CK first). */
static void test_kdf_derivations_structure(void **state)
{
	(void)state;
	uint8_t ck[32], ik[32], sqnak[6], rand[16], key[64], got[32], want[32], g2[16];
	ckik_fixture(ck, ik, sqnak, rand);
	static const size_t lens[4][2] = {{16, 16}, {32, 32}, {16, 32}, {32, 16}};
	for (size_t li = 0; li < 4; li++) {
		size_t cl = lens[li][0], il = lens[li][1];
		memcpy(key, ck, cl);
		memcpy(key + cl, ik, il);

		const struct sf_kdf_param pa[2] = {{SNN_U8, SNN_LEN}, {sqnak, 6}};
		assert_int_equal(sf_kdf_kausf(ck, cl, ik, il, SNN_U8, SNN_LEN, sqnak, got), 0);
		kdf_by_hand(key, cl + il, 0x6A, pa, 2, want);
		sf_assert_mem("K_AUSF structure", got, want, 32);

		const uint8_t plmn[3] = {0x00, 0xf1, 0x10};
		const struct sf_kdf_param pk[2] = {{plmn, 3}, {sqnak, 6}};
		assert_int_equal(sf_kdf_kasme(ck, cl, ik, il, plmn, sqnak, got), 0);
		kdf_by_hand(key, cl + il, 0x10, pk, 2, want);
		sf_assert_mem("K_ASME structure", got, want, 32);

		const struct sf_kdf_param pw[2] = {{(const uint8_t *)"WLAN", 4}, {sqnak, 6}};
		assert_int_equal(sf_kdf_ck_ik_prime(ck, cl, ik, il, (const uint8_t *)"WLAN", 4,
						    sqnak, got, g2),
				 0);
		kdf_by_hand(key, cl + il, 0x20, pw, 2, want);
		sf_assert_mem("CK' = first half", got, want, 16);
		sf_assert_mem("IK' = second half", g2, want + 16, 16);

		for (size_t rl = 4; rl <= 16; rl += 4) {
			const uint8_t *res = ik + 3;
			const struct sf_kdf_param pr[3] = {{SNN_U8, SNN_LEN}, {rand, 16}, {res, rl}};
			assert_int_equal(sf_kdf_res_star(ck, cl, ik, il, SNN_U8, SNN_LEN, rand, res,
							 rl, got),
					 0);
			kdf_by_hand(key, cl + il, 0x6B, pr, 3, want);
			sf_assert_mem("RES* = last 16 octets", got, want + 16, 16);
		}
	}

	/* HXRES* = SHA-256(RAND || RES*)[16..31]. */
	uint8_t rs[16], cat[32], d[32];
	memcpy(rs, ck, 16);
	sf_kdf_hxres_star(rand, rs, got);
	memcpy(cat, rand, 16);
	memcpy(cat + 16, rs, 16);
	sf_sha256(cat, 32, d);
	sf_assert_mem("HXRES*", got, d + 16, 16);

	/* K_SEAF, K_AMF, K_gNB keyed with the previous 32-octet key. */
	const struct sf_kdf_param ps[1] = {{SNN_U8, SNN_LEN}};
	assert_int_equal(sf_kdf_kseaf(ck, SNN_U8, SNN_LEN, got), 0);
	kdf_by_hand(ck, 32, 0x6C, ps, 1, want);
	sf_assert_mem("K_SEAF structure", got, want, 32);

	const uint8_t *supi = (const uint8_t *)"001010123456789";
	const uint8_t abba[2] = {0, 0};
	const struct sf_kdf_param pm[2] = {{supi, 15}, {abba, 2}};
	assert_int_equal(sf_kdf_kamf(ck, supi, 15, abba, 2, got), 0);
	kdf_by_hand(ck, 32, 0x6D, pm, 2, want);
	sf_assert_mem("K_AMF structure", got, want, 32);

	/* UL NAS COUNT is 4 octets big-endian. */
	const uint8_t cnt[4] = {0x01, 0x02, 0x03, 0x04}, at = 0x02;
	const struct sf_kdf_param pg[2] = {{cnt, 4}, {&at, 1}};
	assert_int_equal(sf_kdf_kgnb(ck, 0x01020304u, 0x02, got), 0);
	kdf_by_hand(ck, 32, 0x6E, pg, 2, want);
	sf_assert_mem("K_gNB structure", got, want, 32);
}

/* K_ASME (TS 33.401 A.2): the value of the public open5gs/nextepc unit test
 * "security_test3" (CK/IK of Milenage TS 35.208 set 1, SN id 02 48 30,
 * SQN fd8eef40df7d xor AK aa689c648370).  Not in kdf_5g.tsv. */
static void test_kasme_published(void **state)
{
	(void)state;
	uint8_t ck[16], ik[16], plmn[3], sqn[6], ak[6], sqnak[6], got[32], want[32];
	sf_test_unhex("b40ba9a3c58b2a05bbf0d987b21bf8cb", ck, 16);
	sf_test_unhex("f769bcd751044604127672711c6d3441", ik, 16);
	sf_test_unhex("024830", plmn, 3);
	sf_test_unhex("fd8eef40df7d", sqn, 6);
	sf_test_unhex("aa689c648370", ak, 6);
	for (int i = 0; i < 6; i++)
		sqnak[i] = sqn[i] ^ ak[i];
	assert_int_equal(sf_kdf_kasme(ck, 16, ik, 16, plmn, sqnak, got), 0);
	sf_test_unhex("238e457e0f758badbca8d34bb2612c10428d426757cb5553b2b184fa64bfc549", want, 32);
	sf_assert_mem("K_ASME (security_test3)", got, want, 32);
}

static void expect_untouched(const uint8_t *buf, size_t len, const char *what)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != 0xEE)
			fail_msg("%s: output written although the call failed", what);
}

static void test_kdf_validation(void **state)
{
	(void)state;
	uint8_t ck[32], ik[32], sqnak[6], rand[16], out[32], out2[16];
	const uint8_t plmn[3] = {0x00, 0xf1, 0x10};
	ckik_fixture(ck, ik, sqnak, rand);
	memset(out, 0xEE, sizeof(out));
	memset(out2, 0xEE, sizeof(out2));

	/* CK and IK: 16 or 32 octets each, never NULL. */
	static const size_t badl[] = {0, 8, 15, 17, 24, 31, 33, 64};
	for (size_t i = 0; i < sizeof(badl) / sizeof(badl[0]); i++) {
		size_t l = badl[i];
		assert_int_equal(sf_kdf_kausf(ck, l, ik, 16, SNN_U8, SNN_LEN, sqnak, out),
				 SF_EINVAL);
		assert_int_equal(sf_kdf_kausf(ck, 16, ik, l, SNN_U8, SNN_LEN, sqnak, out),
				 SF_EINVAL);
		assert_int_equal(sf_kdf_kasme(ck, l, ik, 16, plmn, sqnak, out), SF_EINVAL);
		assert_int_equal(sf_kdf_ck_ik_prime(ck, 16, ik, l, SNN_U8, SNN_LEN, sqnak, out,
						    out2),
				 SF_EINVAL);
		assert_int_equal(sf_kdf_res_star(ck, l, ik, 16, SNN_U8, SNN_LEN, rand, ik, 8, out),
				 SF_EINVAL);
	}
	assert_int_equal(sf_kdf_kausf(NULL, 16, ik, 16, SNN_U8, SNN_LEN, sqnak, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kausf(ck, 16, NULL, 16, SNN_U8, SNN_LEN, sqnak, out), SF_EINVAL);

	/* Names: non-NULL, non-empty. */
	assert_int_equal(sf_kdf_kausf(ck, 16, ik, 16, SNN_U8, 0, sqnak, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kausf(ck, 16, ik, 16, NULL, SNN_LEN, sqnak, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kseaf(ck, SNN_U8, 0, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kseaf(ck, NULL, 4, out), SF_EINVAL);
	assert_int_equal(sf_kdf_ck_ik_prime(ck, 16, ik, 16, NULL, 4, sqnak, out, out2), SF_EINVAL);
	assert_int_equal(sf_kdf_ck_ik_prime(ck, 16, ik, 16, SNN_U8, 0, sqnak, out, out2),
			 SF_EINVAL);
	assert_int_equal(sf_kdf_res_star(ck, 16, ik, 16, SNN_U8, 0, rand, ik, 8, out), SF_EINVAL);

	/* Other NULL inputs and outputs. */
	assert_int_equal(sf_kdf_kausf(ck, 16, ik, 16, SNN_U8, SNN_LEN, NULL, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kausf(ck, 16, ik, 16, SNN_U8, SNN_LEN, sqnak, NULL), SF_EINVAL);
	assert_int_equal(sf_kdf_kasme(ck, 16, ik, 16, NULL, sqnak, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kasme(ck, 16, ik, 16, plmn, NULL, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kasme(ck, 16, ik, 16, plmn, sqnak, NULL), SF_EINVAL);
	assert_int_equal(sf_kdf_ck_ik_prime(ck, 16, ik, 16, SNN_U8, 4, NULL, out, out2),
			 SF_EINVAL);
	assert_int_equal(sf_kdf_ck_ik_prime(ck, 16, ik, 16, SNN_U8, 4, sqnak, NULL, out2),
			 SF_EINVAL);
	assert_int_equal(sf_kdf_ck_ik_prime(ck, 16, ik, 16, SNN_U8, 4, sqnak, out, NULL),
			 SF_EINVAL);
	assert_int_equal(sf_kdf_res_star(ck, 16, ik, 16, SNN_U8, SNN_LEN, NULL, ik, 8, out),
			 SF_EINVAL);
	assert_int_equal(sf_kdf_res_star(ck, 16, ik, 16, SNN_U8, SNN_LEN, rand, NULL, 8, out),
			 SF_EINVAL);
	assert_int_equal(sf_kdf_res_star(ck, 16, ik, 16, SNN_U8, SNN_LEN, rand, ik, 8, NULL),
			 SF_EINVAL);
	assert_int_equal(sf_kdf_kseaf(NULL, SNN_U8, SNN_LEN, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kseaf(ck, SNN_U8, SNN_LEN, NULL), SF_EINVAL);

	/* RES: 4..16 octets. */
	assert_int_equal(sf_kdf_res_star(ck, 16, ik, 16, SNN_U8, SNN_LEN, rand, ik, 3, out),
			 SF_EINVAL);
	assert_int_equal(sf_kdf_res_star(ck, 16, ik, 16, SNN_U8, SNN_LEN, rand, ik, 17, out),
			 SF_EINVAL);
	assert_int_equal(sf_kdf_res_star(ck, 16, ik, 16, SNN_U8, SNN_LEN, rand, ik, 0, out),
			 SF_EINVAL);

	/* K_AMF: SUPI non-empty, ABBA at least 2 octets. */
	const uint8_t abba[4] = {0, 0, 0, 0};
	const uint8_t *supi = (const uint8_t *)"001010123456789";
	assert_int_equal(sf_kdf_kamf(ck, supi, 0, abba, 2, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kamf(ck, NULL, 15, abba, 2, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kamf(ck, supi, 15, abba, 1, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kamf(ck, supi, 15, abba, 0, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kamf(ck, supi, 15, NULL, 2, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kamf(NULL, supi, 15, abba, 2, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kamf(ck, supi, 15, abba, 2, NULL), SF_EINVAL);

	/* K_gNB: access type 1 or 2. */
	assert_int_equal(sf_kdf_kgnb(ck, 0, 0x00, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kgnb(ck, 0, 0x03, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kgnb(ck, 0, 0xFF, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kgnb(NULL, 0, 0x01, out), SF_EINVAL);
	assert_int_equal(sf_kdf_kgnb(ck, 0, 0x01, NULL), SF_EINVAL);

	expect_untouched(out, sizeof(out), "KDF validation");
	expect_untouched(out2, sizeof(out2), "KDF validation (IK')");

	/* And the accepted edges. */
	assert_int_equal(sf_kdf_kamf(ck, supi, 15, abba, 4, out), 0);
	assert_int_equal(sf_kdf_kgnb(ck, 0xFFFFFFFFu, 0x01, out), 0);
	assert_int_equal(sf_kdf_res_star(ck, 32, ik, 32, SNN_U8, SNN_LEN, rand, ik, 16, out), 0);
}

/* PRF' (RFC 5448 §3.4.1): T1 = HMAC(K, S | 01), Tn = HMAC(K, Tn-1 | S | n). */
static void test_prf_prime(void **state)
{
	(void)state;
	static uint8_t full[255 * 32], ref[255 * 32], buf[255 * 32 + 1];
	uint8_t key[32], s[40];
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x33 * i);
	memcpy(s, "EAP-AKA'0555444333222111", 24);

	/* The reference, block by block with the one-shot HMAC. */
	uint8_t in[32 + 24 + 1];
	for (unsigned n = 1; n <= 255; n++) {
		size_t o = 0;
		if (n > 1) {
			memcpy(in, ref + 32 * (n - 2), 32);
			o = 32;
		}
		memcpy(in + o, s, 24);
		o += 24;
		in[o++] = (uint8_t)n;
		sf_hmac_sha256(key, 32, in, o, ref + 32 * (n - 1));
	}

	assert_int_equal(sf_kdf_prf_prime(key, 32, s, 24, full, sizeof(full)), 0);
	sf_assert_mem("PRF' 255 blocks", full, ref, sizeof(full));

	/* Every length class: a shorter output is a prefix of the longer one
	 * and nothing past out_len is written. */
	static const size_t lens[] = {0, 1, 16, 31, 32, 33, 63, 64, 65, 208, 224, 1000, 8159};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(buf, 0xEE, sizeof(buf));
		assert_int_equal(sf_kdf_prf_prime(key, 32, s, 24, buf, lens[i]), 0);
		if (memcmp(buf, ref, lens[i]) != 0)
			fail_msg("PRF' of %zu octets is not the prefix of the full output",
				 lens[i]);
		expect_untouched(buf + lens[i], sizeof(buf) - lens[i], "PRF' past out_len");
	}

	memset(buf, 0xEE, sizeof(buf));
	assert_int_equal(sf_kdf_prf_prime(key, 32, s, 24, buf, 255 * 32 + 1), SF_EINVAL);
	expect_untouched(buf, sizeof(buf), "PRF' too long");
	assert_int_equal(sf_kdf_prf_prime(key, 32, s, 24, NULL, 32), SF_EINVAL);
	assert_int_equal(sf_kdf_prf_prime(NULL, 32, s, 24, buf, 32), SF_EINVAL);
	assert_int_equal(sf_kdf_prf_prime(key, 32, NULL, 24, buf, 32), SF_EINVAL);
	assert_int_equal(sf_kdf_prf_prime(key, 32, NULL, 0, buf, 32), 0);
	assert_int_equal(sf_kdf_prf_prime(key, 32, s, 24, NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keccak_known_answers),
		cmocka_unit_test(test_keccak_vs_openssl),
		cmocka_unit_test(test_tuak_sets_5_6),
		cmocka_unit_test(test_tuak_mac_lengths),
		cmocka_unit_test(test_tuak_f2345_lengths),
		cmocka_unit_test(test_tuak_k128_vs_k256),
		cmocka_unit_test(test_tuak_iterations),
		cmocka_unit_test(test_tuak_input_sensitivity),
		cmocka_unit_test(test_snn),
		cmocka_unit_test(test_plmn_id),
		cmocka_unit_test(test_kdf_generic),
		cmocka_unit_test(test_kdf_derivations_structure),
		cmocka_unit_test(test_kasme_published),
		cmocka_unit_test(test_kdf_validation),
		cmocka_unit_test(test_prf_prime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
