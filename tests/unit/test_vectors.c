/*
 * The one driver for the published vectors in tests/vectors:
 *   milenage.tsv        TS 35.207 sets 1-6, TS 35.208 sets 1-12 with TS 55.205 GSM values
 *   milenage_auts.tsv   AUTS for those sets (SQN_MS = the set's SQN, AMF* = 0000)
 *   tuak.tsv            TS 35.233 sets 1-4
 *   xor.tsv             the TS 34.108 XOR algorithm example (osmo-hlr's test vector)
 *   kdf_5g.tsv          TS 33.501 Annex A, TS 33.402 A.2, RFC 5448/9048 PRF'
 * Each row runs through the public API.  New rows need no new C.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helper_tsv.h"
#include "simfleet/aka.h"
#include "simfleet/err.h"
#include "simfleet/kdf.h"
#include "simfleet/sha256.h"

static void milenage_ctx(const struct sf_tsv *t, size_t r, int use_op, struct sf_aka_ctx *ctx)
{
	struct sf_aka_params p;
	uint8_t op[16];
	sf_aka_params_init(&p, SF_AKA_ALG_MILENAGE);
	sf_tsv_hex(t, r, "K", p.k, 16);
	if (use_op) {
		sf_tsv_hex(t, r, "OP", op, 16);
		assert_int_equal(sf_aka_params_set_op(&p, op, 16), 0);
	} else {
		sf_tsv_hex(t, r, "OPc", p.opc, 16);
	}
	assert_int_equal(sf_aka_init(ctx, &p), 0);
}

static void test_milenage(void **state)
{
	(void)state;
	struct sf_tsv t;
	sf_tsv_load(&t, "milenage.tsv");
	for (size_t r = 0; r < t.nrows; r++) {
		uint8_t rand[16], sqn[6], amf[2], e[16], got[16], got2[16], res[8], ck[16], ik[16],
			ak[6];
		char label[96];
		snprintf(label, sizeof(label), "%s set %s", sf_tsv_get(&t, r, "spec"),
			 sf_tsv_get(&t, r, "test_set"));
		sf_tsv_hex(&t, r, "RAND", rand, 16);
		sf_tsv_hex(&t, r, "SQN", sqn, 6);
		sf_tsv_hex(&t, r, "AMF", amf, 2);
		for (int use_op = 0; use_op < 2; use_op++) {
			struct sf_aka_ctx ctx;
			milenage_ctx(&t, r, use_op, &ctx);
			sf_tsv_hex(&t, r, "OPc", e, 16);
			sf_assert_mem(label, ctx.p.opc, e, 16);

			assert_int_equal(sf_aka_f1(&ctx, rand, sqn, amf, got, got2), 0);
			sf_tsv_hex(&t, r, "f1_MAC_A", e, 8);
			sf_assert_mem("f1", got, e, 8);
			sf_tsv_hex(&t, r, "f1star_MAC_S", e, 8);
			sf_assert_mem("f1*", got2, e, 8);

			assert_int_equal(sf_aka_f2345(&ctx, rand, res, ck, ik, ak), 0);
			sf_tsv_hex(&t, r, "f2_RES", e, 8);
			sf_assert_mem("f2", res, e, 8);
			sf_tsv_hex(&t, r, "f3_CK", e, 16);
			sf_assert_mem("f3", ck, e, 16);
			sf_tsv_hex(&t, r, "f4_IK", e, 16);
			sf_assert_mem("f4", ik, e, 16);
			sf_tsv_hex(&t, r, "f5_AK", e, 6);
			sf_assert_mem("f5", ak, e, 6);
			assert_int_equal(sf_aka_f5star(&ctx, rand, got), 0);
			sf_tsv_hex(&t, r, "f5star_AK_resync", e, 6);
			sf_assert_mem("f5*", got, e, 6);

			/* The batch path of the AuC gives the same vector. */
			struct sf_aka_vector v;
			assert_int_equal(sf_aka_vector_compute(&ctx, rand, sqn, amf, &v), 0);
			sf_tsv_hex(&t, r, "f2_RES", e, 8);
			sf_assert_mem("vector xres", v.xres, e, 8);
			assert_int_equal(v.autn_len, 16);
			sf_tsv_hex(&t, r, "f1_MAC_A", e, 8);
			sf_assert_mem("vector mac", v.autn + 8, e, 8);

			if (*sf_tsv_get(&t, r, "GSM_SRES1_c2")) {
				uint8_t sres[4], kc[8];
				assert_int_equal(sf_aka_gsm(&ctx, rand, sres, kc), 0);
				sf_tsv_hex(&t, r, "GSM_SRES1_c2", e, 4);
				sf_assert_mem("SRES (c2)", sres, e, 4);
				sf_tsv_hex(&t, r, "GSM_Kc_c3", e, 8);
				sf_assert_mem("Kc (c3)", kc, e, 8);
				/* SRES#2 of TS 55.205 = the first 32 bits of RES. */
				sf_tsv_hex(&t, r, "GSM_SRES2_first32_RES", e, 4);
				sf_assert_mem("SRES#2", res, e, 4);
			}
			sf_aka_free(&ctx);
		}
	}
	sf_tsv_free(&t);
}

static size_t find_row(const struct sf_tsv *t, const char *spec, const char *set)
{
	for (size_t r = 0; r < t->nrows; r++)
		if (!strcmp(sf_tsv_get(t, r, "spec"), spec) && !strcmp(sf_tsv_get(t, r, "test_set"), set))
			return r;
	fail_msg("no Milenage row %s set %s", spec, set);
	return 0;
}

static void test_milenage_auts(void **state)
{
	(void)state;
	struct sf_tsv m, a;
	sf_tsv_load(&m, "milenage.tsv");
	sf_tsv_load(&a, "milenage_auts.tsv");
	for (size_t i = 0; i < a.nrows; i++) {
		size_t r = find_row(&m, sf_tsv_get(&a, i, "spec"), sf_tsv_get(&a, i, "test_set"));
		struct sf_aka_ctx ctx;
		uint8_t rand[16], sqn_ms[6], auts[14], got[14];
		milenage_ctx(&m, r, 1, &ctx);
		sf_tsv_hex(&m, r, "RAND", rand, 16);
		sf_tsv_hex(&a, i, "SQN_MS", sqn_ms, 6);
		sf_tsv_hex(&a, i, "AUTS", auts, 14);
		assert_int_equal(sf_aka_auts(&ctx, rand, sf_sqn_load(sqn_ms), got), 0);
		sf_assert_mem("AUTS", got, auts, 14);
		uint64_t back = 0;
		assert_int_equal(sf_aka_auts_verify(&ctx, rand, auts, &back), 0);
		assert_int_equal(back, sf_sqn_load(sqn_ms));
		auts[13] ^= 1;
		assert_int_equal(sf_aka_auts_verify(&ctx, rand, auts, &back), SF_EAKA_MACS);
		sf_aka_free(&ctx);
	}
	sf_tsv_free(&a);
	sf_tsv_free(&m);
}

static unsigned bits(const struct sf_tsv *t, size_t r, const char *col)
{
	return (unsigned)strtoul(sf_tsv_get(t, r, col), NULL, 10);
}

static void test_tuak(void **state)
{
	(void)state;
	struct sf_tsv t;
	sf_tsv_load(&t, "tuak.tsv");
	for (size_t r = 0; r < t.nrows; r++) {
		for (int use_top = 0; use_top < 2; use_top++) {
			struct sf_aka_params p;
			struct sf_aka_ctx ctx;
			uint8_t rand[16], sqn[6], amf[2], top[32], e[32], a[32], b[32], c[32], d[32],
				ak[6];
			sf_aka_params_init(&p, SF_AKA_ALG_TUAK);
			p.k_len = (uint8_t)(bits(&t, r, "K_len_bits") / 8);
			assert_int_equal(sf_tsv_hex(&t, r, "K", p.k, 32), p.k_len);
			p.mac_len = (uint8_t)(bits(&t, r, "MAC_len_bits") / 8);
			p.res_len = (uint8_t)(bits(&t, r, "RES_len_bits") / 8);
			p.ck_len = (uint8_t)(bits(&t, r, "CK_len_bits") / 8);
			p.ik_len = (uint8_t)(bits(&t, r, "IK_len_bits") / 8);
			p.keccak_iterations = (uint16_t)bits(&t, r, "KeccakIterations");
			if (use_top) {
				sf_tsv_hex(&t, r, "TOP", top, 32);
				assert_int_equal(sf_aka_params_set_op(&p, top, 32), 0);
			} else {
				sf_tsv_hex(&t, r, "TOPc", p.opc, 32);
			}
			assert_int_equal(sf_aka_init(&ctx, &p), 0);
			sf_tsv_hex(&t, r, "TOPc", e, 32);
			sf_assert_mem("TOPc", ctx.p.opc, e, 32);
			sf_tsv_hex(&t, r, "RAND", rand, 16);
			sf_tsv_hex(&t, r, "SQN", sqn, 6);
			sf_tsv_hex(&t, r, "AMF", amf, 2);
			assert_int_equal(sf_aka_f1(&ctx, rand, sqn, amf, a, b), 0);
			assert_int_equal(sf_tsv_hex(&t, r, "f1_MAC_A", e, 32), p.mac_len);
			sf_assert_mem("TUAK f1", a, e, p.mac_len);
			sf_tsv_hex(&t, r, "f1star_MAC_S", e, 32);
			sf_assert_mem("TUAK f1*", b, e, p.mac_len);
			assert_int_equal(sf_aka_f2345(&ctx, rand, a, b, c, ak), 0);
			assert_int_equal(sf_tsv_hex(&t, r, "f2_RES", e, 32), p.res_len);
			sf_assert_mem("TUAK f2", a, e, p.res_len);
			assert_int_equal(sf_tsv_hex(&t, r, "f3_CK", e, 32), p.ck_len);
			sf_assert_mem("TUAK f3", b, e, p.ck_len);
			assert_int_equal(sf_tsv_hex(&t, r, "f4_IK", e, 32), p.ik_len);
			sf_assert_mem("TUAK f4", c, e, p.ik_len);
			sf_tsv_hex(&t, r, "f5_AK", e, 6);
			sf_assert_mem("TUAK f5", ak, e, 6);
			assert_int_equal(sf_aka_f5star(&ctx, rand, d), 0);
			sf_tsv_hex(&t, r, "f5star_AK_resync", e, 6);
			sf_assert_mem("TUAK f5*", d, e, 6);
			sf_aka_free(&ctx);
			sf_aka_params_wipe(&p);
		}
	}
	sf_tsv_free(&t);
}

static void test_xor(void **state)
{
	(void)state;
	struct sf_tsv t;
	sf_tsv_load(&t, "xor.tsv");
	for (size_t r = 0; r < t.nrows; r++) {
		struct sf_aka_params p;
		struct sf_aka_ctx ctx;
		struct sf_aka_vector v;
		uint8_t rand[16], sqn[6], amf[2], e[16], sres[4], kc[8], auts[14];
		sf_aka_params_init(&p, SF_AKA_ALG_XOR);
		sf_tsv_hex(&t, r, "K", p.k, 16);
		p.res_len = (uint8_t)sf_tsv_hex(&t, r, "RES", e, 16);
		assert_int_equal(sf_aka_init(&ctx, &p), 0);
		sf_tsv_hex(&t, r, "RAND", rand, 16);
		sf_tsv_hex(&t, r, "SQN", sqn, 6);
		sf_tsv_hex(&t, r, "AMF", amf, 2);
		assert_int_equal(sf_aka_vector_compute(&ctx, rand, sqn, amf, &v), 0);
		sf_tsv_hex(&t, r, "RES", e, 16);
		sf_assert_mem("XOR RES", v.xres, e, p.res_len);
		sf_tsv_hex(&t, r, "CK", e, 16);
		sf_assert_mem("XOR CK", v.ck, e, 16);
		sf_tsv_hex(&t, r, "IK", e, 16);
		sf_assert_mem("XOR IK", v.ik, e, 16);
		sf_tsv_hex(&t, r, "AK", e, 6);
		sf_assert_mem("XOR AK", v.ak, e, 6);
		assert_int_equal(sf_tsv_hex(&t, r, "AUTN", e, 16), v.autn_len);
		sf_assert_mem("XOR AUTN", v.autn, e, 16);
		assert_int_equal(sf_aka_gsm(&ctx, rand, sres, kc), 0);
		sf_tsv_hex(&t, r, "SRES", e, 4);
		sf_assert_mem("XOR SRES", sres, e, 4);
		sf_tsv_hex(&t, r, "Kc", e, 8);
		sf_assert_mem("XOR Kc", kc, e, 8);
		sf_tsv_hex(&t, r, "SQN_MS", sqn, 6);
		assert_int_equal(sf_aka_auts(&ctx, rand, sf_sqn_load(sqn), auts), 0);
		sf_tsv_hex(&t, r, "AUTS", e, 14);
		sf_assert_mem("XOR AUTS", auts, e, 14);
		sf_aka_free(&ctx);
	}
	sf_tsv_free(&t);
}

/* kdf_5g.tsv: the generic KDF from the row's own FC and parameters, and the
 * named derivation through its specific function. */
static void test_kdf_5g(void **state)
{
	(void)state;
	struct sf_tsv t;
	sf_tsv_load(&t, "kdf_5g.tsv");
	for (size_t r = 0; r < t.nrows; r++) {
		const char *method = sf_tsv_get(&t, r, "method"), *name = sf_tsv_get(&t, r, "name");
		uint8_t key[64], pv[4][256], exp[256], out[256];
		size_t kl = 0, pl[4] = {0}, el;
		static const char *const pcols[4] = {"p0", "p1", "p2", "p3"};
		unsigned a = 0, b = 0;
		if (*sf_tsv_get(&t, r, "key"))
			kl = sf_tsv_hex(&t, r, "key", key, sizeof(key));
		size_t np = 0;
		for (int i = 0; i < 4; i++)
			if (*sf_tsv_get(&t, r, pcols[i])) {
				pl[i] = sf_tsv_hex(&t, r, pcols[i], pv[i], 256);
				np = (size_t)i + 1;
			}
		el = sf_tsv_hex(&t, r, "expected", exp, sizeof(exp));
		const char *o = sf_tsv_get(&t, r, "out");
		print_message("kdf_5g row %s: %s (%s)\n", sf_tsv_get(&t, r, "id"), name, method);

		if (!strcmp(method, "kdf")) {
			assert_int_equal(sscanf(o, "%u:%u", &a, &b), 2);
			assert_int_equal(b - a, el);
			struct sf_kdf_param prm[4];
			for (size_t i = 0; i < np; i++) {
				prm[i].p = pv[i];
				prm[i].len = pl[i];
			}
			uint8_t fc = (uint8_t)strtoul(sf_tsv_get(&t, r, "fc"), NULL, 16);
			assert_int_equal(sf_kdf(key, kl, fc, prm, np, out), 0);
			sf_assert_mem(name, out + a, exp, el);

			memset(out, 0, sizeof(out));
			if (!strcmp(name, "K_AUSF")) {
				assert_int_equal(sf_kdf_kausf(key, 16, key + 16, 16, pv[0], pl[0], pv[1], out), 0);
			} else if (!strcmp(name, "K_SEAF")) {
				assert_int_equal(sf_kdf_kseaf(key, pv[0], pl[0], out), 0);
			} else if (!strcmp(name, "K_AMF")) {
				assert_int_equal(sf_kdf_kamf(key, pv[0], pl[0], pv[1], pl[1], out), 0);
			} else if (!strcmp(name, "K_gNB")) {
				uint32_t cnt = (uint32_t)pv[0][0] << 24 | (uint32_t)pv[0][1] << 16 |
					       (uint32_t)pv[0][2] << 8 | pv[0][3];
				assert_int_equal(sf_kdf_kgnb(key, cnt, pv[1][0], out), 0);
			} else if (!strcmp(name, "XRES*")) {
				assert_int_equal(sf_kdf_res_star(key, 16, key + 16, 16, pv[0], pl[0], pv[1],
								 pv[2], pl[2], out + 16), 0);
			} else if (!strcmp(name, "CK'|IK'")) {
				assert_int_equal(sf_kdf_ck_ik_prime(key, 16, key + 16, 16, pv[0], pl[0], pv[1],
								    out, out + 16), 0);
			} else {
				fail_msg("kdf row with unknown name %s", name);
			}
			sf_assert_mem(name, out + a, exp, el);
		} else if (!strcmp(method, "sha256")) {
			assert_int_equal(sscanf(o, "%u:%u", &a, &b), 2);
			struct sf_sha256 s;
			sf_sha256_init(&s);
			for (size_t i = 0; i < np; i++)
				sf_sha256_update(&s, pv[i], pl[i]);
			sf_sha256_final(&s, out);
			sf_assert_mem(name, out + a, exp, el);
			assert_int_equal(pl[0], 16);
			assert_int_equal(pl[1], 16);
			sf_kdf_hxres_star(pv[0], pv[1], out);
			sf_assert_mem("sf_kdf_hxres_star", out, exp, el);
		} else if (!strcmp(method, "prf_prime")) {
			assert_int_equal(sscanf(o, "%u:%u", &a, &b), 2);
			assert_int_equal(sf_kdf_prf_prime(key, kl, pv[0], pl[0], out, b), 0);
			sf_assert_mem(name, out + a, exp, el);
		} else if (!strcmp(method, "slice")) {
			assert_int_equal(sscanf(o, "%u:%u", &a, &b), 2);
			assert_true(b <= pl[0]);
			sf_assert_mem(name, pv[0] + a, exp, el);
		} else if (!strcmp(method, "milenage_opc")) {
			struct sf_aka_params p;
			struct sf_aka_ctx ctx;
			sf_aka_params_init(&p, SF_AKA_ALG_MILENAGE);
			memcpy(p.k, key, 16);
			memcpy(p.opc, pv[0], 16);
			assert_int_equal(sf_aka_init(&ctx, &p), 0);
			assert_int_equal(sf_aka_f1(&ctx, pv[1], pv[2], pv[3], out, NULL), 0);
			assert_int_equal(sf_aka_f2345(&ctx, pv[1], out + 8, out + 16, out + 32, out + 48), 0);
			assert_int_equal(el, 54);
			sf_assert_mem(name, out, exp, el);
			sf_aka_free(&ctx);
		} else {
			fail_msg("unknown method %s", method);
		}
	}
	sf_tsv_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_milenage), cmocka_unit_test(test_milenage_auts),
		cmocka_unit_test(test_tuak),     cmocka_unit_test(test_xor),
		cmocka_unit_test(test_kdf_5g),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
