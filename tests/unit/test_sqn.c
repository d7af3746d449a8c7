/*
 * Properties of the USIM and AuC ends of AKA (TS 33.102 §6.3, Annex C), for
 * every algorithm: the USIM accepts what the AuC generates, a replay is
 * refused, every IND slot works, Δ and L hold, AUTS round-trips through the
 * AuC's resynchronisation, and any flipped bit of AUTN is a MAC failure that
 * changes nothing.  Bad input is rejected with the right code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "helper_tsv.h"
#include "simfleet/aka.h"
#include "simfleet/err.h"
#include "simfleet/rng.h"

static const uint8_t AMF[2] = {0x80, 0x00};

static void make_ctx(enum sf_aka_alg alg, uint64_t seed, struct sf_aka_ctx *ctx)
{
	struct sf_rng_det det;
	struct sf_aka_params p;
	sf_rng_det_init(&det, seed);
	sf_aka_params_init(&p, alg);
	if (alg == SF_AKA_ALG_TUAK) {
		p.k_len = 32;
		p.mac_len = 16;
		p.res_len = 16;
	}
	sf_rng_fill(&det.rng, p.k, p.k_len);
	sf_rng_fill(&det.rng, p.opc, p.opc_len);
	assert_int_equal(sf_aka_init(ctx, &p), 0);
	sf_aka_params_wipe(&p);
}

static const enum sf_aka_alg ALGS[] = {SF_AKA_ALG_MILENAGE, SF_AKA_ALG_TUAK, SF_AKA_ALG_XOR};

static void test_accepts_generated(void **state)
{
	(void)state;
	for (size_t a = 0; a < 3; a++) {
		struct sf_aka_ctx ctx;
		struct sf_sqn_he he;
		struct sf_sqn_ms ms;
		struct sf_rng_det det;
		struct sf_aka_vector v[70];
		struct sf_aka_usim_result r;
		make_ctx(ALGS[a], 1 + a, &ctx);
		sf_rng_det_init(&det, 99);
		assert_int_equal(sf_sqn_he_init(&he, 5, 0), 0);
		assert_int_equal(sf_sqn_ms_init(&ms, 5, SF_SQN_DELTA_DEFAULT, 0), 0);
		/* A batch larger than the generator's internal chunk. */
		assert_int_equal(sf_aka_auc_generate(&ctx, &he, 3, AMF, &det.rng, v, 70), 0);
		assert_int_equal(he.seq, 70);
		for (size_t i = 0; i < 70; i++) {
			assert_int_equal(sf_sqn_load(v[i].sqn), ((i + 1) << 5) | 3);
			assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v[i].rand, v[i].autn,
								  v[i].autn_len, &r), 0);
			assert_int_equal(r.res_len, v[i].xres_len);
			sf_assert_mem("RES", r.res, v[i].xres, r.res_len);
			sf_assert_mem("CK", r.ck, v[i].ck, r.ck_len);
			sf_assert_mem("IK", r.ik, v[i].ik, r.ik_len);
			sf_assert_mem("SQN", r.sqn, v[i].sqn, 6);
		}
		assert_int_equal(sf_sqn_ms_highest(&ms), (70u << 5) | 3);
		sf_aka_free(&ctx);
	}
}

static void test_replay_and_resync(void **state)
{
	(void)state;
	for (size_t a = 0; a < 3; a++) {
		struct sf_aka_ctx ctx;
		struct sf_sqn_he he;
		struct sf_sqn_ms ms;
		struct sf_rng_det det;
		struct sf_aka_vector v[3];
		struct sf_aka_usim_result r;
		make_ctx(ALGS[a], 10 + a, &ctx);
		sf_rng_det_init(&det, 7);
		sf_sqn_he_init(&he, 5, 100);
		sf_sqn_ms_init(&ms, 5, SF_SQN_DELTA_DEFAULT, 0);
		assert_int_equal(sf_aka_auc_generate(&ctx, &he, 0, AMF, &det.rng, v, 2), 0);
		assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v[1].rand, v[1].autn,
							  v[1].autn_len, &r), 0);
		struct sf_sqn_ms before = ms;
		/* The replay of the same vector, and an older one in the same slot. */
		for (int k = 1; k >= 0; k--) {
			assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v[k].rand, v[k].autn,
								  v[k].autn_len, &r), SF_EAKA_SYNC);
			assert_memory_equal(&before, &ms, sizeof(ms));
			uint64_t sqn_ms;
			assert_int_equal(sf_aka_auts_verify(&ctx, v[k].rand, r.auts, &sqn_ms), 0);
			assert_int_equal(sqn_ms, sf_sqn_load(v[1].sqn));
		}
		/* An AuC that lost its state (back to SEQ 0) is brought forward by AUTS. */
		struct sf_sqn_he lost;
		sf_sqn_he_init(&lost, 5, 0);
		assert_int_equal(sf_aka_auc_generate(&ctx, &lost, 0, AMF, &det.rng, v + 2, 1), 0);
		assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v[2].rand, v[2].autn,
							  v[2].autn_len, &r), SF_EAKA_SYNC);
		uint64_t sqn_ms = 0;
		assert_int_equal(sf_aka_auc_resync(&ctx, &lost, v[2].rand, r.auts, &sqn_ms), 0);
		assert_int_equal(sqn_ms, sf_sqn_load(v[1].sqn));
		assert_int_equal(lost.seq, 102);
		assert_int_equal(sf_aka_auc_generate(&ctx, &lost, 0, AMF, &det.rng, v + 2, 1), 0);
		assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v[2].rand, v[2].autn,
							  v[2].autn_len, &r), 0);
		/* A corrupted AUTS is refused and leaves the AuC's counter alone. */
		assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v[2].rand, v[2].autn,
							  v[2].autn_len, &r), SF_EAKA_SYNC);
		for (int bit = 0; bit < 14 * 8; bit++) {
			struct sf_sqn_he h2 = lost;
			uint8_t auts[14];
			memcpy(auts, r.auts, 14);
			auts[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
			assert_int_equal(sf_aka_auc_resync(&ctx, &h2, v[2].rand, auts, &sqn_ms),
					 SF_EAKA_MACS);
			assert_int_equal(h2.seq, lost.seq);
		}
		/* A counter ahead of SQN_MS whose next SQN is within Δ is kept... */
		struct sf_sqn_he ahead;
		sf_sqn_he_init(&ahead, 5, 5000);
		assert_int_equal(sf_aka_auc_resync(&ctx, &ahead, v[2].rand, r.auts, &sqn_ms), 0);
		assert_int_equal(ahead.seq, 5000);
		/* ...one further ahead than Δ is reset to SQN_MS, and its next
		 * vector is accepted. */
		ahead.delta = 256;
		ahead.seq = 103 + 300;
		assert_int_equal(sf_aka_auc_resync(&ctx, &ahead, v[2].rand, r.auts, &sqn_ms), 0);
		assert_int_equal(ahead.seq, 103);
		struct sf_sqn_ms ms256;
		sf_sqn_ms_init(&ms256, 5, 256, 0);
		sf_sqn_ms_set_all(&ms256, sqn_ms);
		assert_int_equal(sf_aka_auc_generate(&ctx, &ahead, 0, AMF, &det.rng, v + 2, 1), 0);
		assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms256, v[2].rand, v[2].autn,
							  v[2].autn_len, &r), 0);
		sf_aka_free(&ctx);
	}
}

static void test_every_ind_slot(void **state)
{
	(void)state;
	struct sf_aka_ctx ctx;
	struct sf_sqn_he he;
	struct sf_sqn_ms ms;
	struct sf_rng_det det;
	struct sf_aka_vector v[32];
	struct sf_aka_usim_result r;
	make_ctx(SF_AKA_ALG_MILENAGE, 3, &ctx);
	sf_rng_det_init(&det, 3);
	sf_sqn_he_init(&he, 5, 0);
	sf_sqn_ms_init(&ms, 5, SF_SQN_DELTA_DEFAULT, 0);
	/* One vector per slot, generated in slot order... */
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(sf_aka_auc_generate(&ctx, &he, i, AMF, &det.rng, v + i, 1), 0);
	/* ...used in reverse order, as if by 32 serving nodes: all are fresh. */
	for (int i = 31; i >= 0; i--)
		assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v[i].rand, v[i].autn, 16, &r), 0);
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(ms.seq[i], i + 1);
	/* ...and none of them twice. */
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v[i].rand, v[i].autn, 16, &r),
				 SF_EAKA_SYNC);
	/* Other IND lengths, 0 to 8 bits. */
	for (unsigned bits = 0; bits <= SF_SQN_IND_BITS_MAX; bits++) {
		sf_sqn_he_init(&he, bits, 0);
		sf_sqn_ms_init(&ms, bits, SF_SQN_DELTA_DEFAULT, 0);
		unsigned slots = 1u << bits;
		for (unsigned i = 0; i < slots; i++) {
			assert_int_equal(sf_aka_auc_generate(&ctx, &he, slots - 1 - i, AMF, &det.rng, v, 1), 0);
			assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v[0].rand, v[0].autn, 16, &r), 0);
		}
		assert_int_equal(sf_aka_auc_generate(&ctx, &he, slots, AMF, &det.rng, v, 1), SF_ERANGE);
	}
	sf_aka_free(&ctx);
}

/* A vector with a chosen SQN (not from the AuC's counter). */
static void vec_at(const struct sf_aka_ctx *ctx, uint64_t sqn, struct sf_aka_vector *v)
{
	uint8_t rand[16] = {1, 2, 3}, s[6];
	rand[15] = (uint8_t)sqn;
	sf_sqn_store(s, sqn);
	assert_int_equal(sf_aka_vector_compute(ctx, rand, s, AMF, v), 0);
}

static void test_delta_and_age_limit(void **state)
{
	(void)state;
	struct sf_aka_ctx ctx;
	struct sf_sqn_ms ms;
	struct sf_aka_vector v;
	struct sf_aka_usim_result r;
	make_ctx(SF_AKA_ALG_MILENAGE, 4, &ctx);
	const uint64_t delta = 1000, L = 50;
	sf_sqn_ms_init(&ms, 5, delta, L);
	sf_sqn_ms_set_all(&ms, 200 << 5);
	/* Δ: SEQ may go at most Δ past the highest accepted SEQ. */
	vec_at(&ctx, (200 + delta + 1) << 5 | 1, &v);
	assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v.rand, v.autn, 16, &r), SF_EAKA_SYNC);
	uint64_t sqn_ms;
	assert_int_equal(sf_aka_auts_verify(&ctx, v.rand, r.auts, &sqn_ms), 0);
	assert_int_equal(sqn_ms, 200 << 5);
	vec_at(&ctx, (200 + delta) << 5 | 1, &v);
	assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v.rand, v.autn, 16, &r), 0);
	/* L: now the highest SEQ is 1200; a SEQ of 1150 (= L behind) in a fresh
	 * slot is too old, 1151 is not. */
	ms.seq[2] = 0;
	vec_at(&ctx, (1200 - L) << 5 | 2, &v);
	assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v.rand, v.autn, 16, &r), SF_EAKA_SYNC);
	vec_at(&ctx, (1200 - L + 1) << 5 | 2, &v);
	assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v.rand, v.autn, 16, &r), 0);
	/* Without L the old SEQ is fine in its own slot. */
	sf_sqn_ms_init(&ms, 5, delta, 0);
	sf_sqn_ms_set_all(&ms, 1200 << 5);
	ms.seq[3] = 0;
	vec_at(&ctx, 1 << 5 | 3, &v);
	assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v.rand, v.autn, 16, &r), 0);
	sf_aka_free(&ctx);
}

static void test_flipped_bits(void **state)
{
	(void)state;
	for (size_t a = 0; a < 3; a++) {
		struct sf_aka_ctx ctx;
		struct sf_sqn_ms ms;
		struct sf_aka_vector v;
		struct sf_aka_usim_result r;
		make_ctx(ALGS[a], 20 + a, &ctx);
		sf_sqn_ms_init(&ms, 5, SF_SQN_DELTA_DEFAULT, 0);
		vec_at(&ctx, 1 << 5, &v);
		struct sf_sqn_ms before = ms;
		for (int bit = 0; bit < v.autn_len * 8; bit++) {
			uint8_t autn[SF_AKA_MAX_AUTN_LEN];
			memcpy(autn, v.autn, v.autn_len);
			autn[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
			assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v.rand, autn, v.autn_len, &r),
					 SF_EAKA_MAC);
			assert_memory_equal(&before, &ms, sizeof(ms));
			uint8_t zero[sizeof(r)] = {0};
			assert_memory_equal(&r, zero, sizeof(r));
		}
		assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v.rand, v.autn, v.autn_len, &r), 0);
		sf_aka_free(&ctx);
	}
}

static void test_bad_input(void **state)
{
	(void)state;
	struct sf_aka_params p;
	struct sf_aka_ctx ctx;
	struct sf_sqn_ms ms;
	struct sf_sqn_he he;
	struct sf_aka_usim_result r;
	struct sf_aka_vector v[2];
	struct sf_rng_det det;
	uint8_t rand[16] = {0}, autn[16] = {0};
	sf_rng_det_init(&det, 1);

	sf_aka_params_init(&p, SF_AKA_ALG_MILENAGE);
	p.mac_len = 16;
	assert_int_equal(sf_aka_init(&ctx, &p), SF_EAKA_LEN);
	sf_aka_params_init(&p, SF_AKA_ALG_MILENAGE);
	p.consts.r[2] = 128;
	assert_int_equal(sf_aka_init(&ctx, &p), SF_EAKA_LEN);
	sf_aka_params_init(&p, SF_AKA_ALG_TUAK);
	p.res_len = 12;
	assert_int_equal(sf_aka_init(&ctx, &p), SF_EAKA_LEN);
	sf_aka_params_init(&p, SF_AKA_ALG_TUAK);
	p.keccak_iterations = 0;
	assert_int_equal(sf_aka_init(&ctx, &p), SF_EAKA_LEN);
	sf_aka_params_init(&p, SF_AKA_ALG_XOR);
	p.res_len = 17;
	assert_int_equal(sf_aka_init(&ctx, &p), SF_EAKA_LEN);
	assert_int_equal(sf_aka_params_set_op(&p, rand, 16), SF_EAKA_ALG);
	p.alg = (enum sf_aka_alg)9;
	assert_int_equal(sf_aka_init(&ctx, &p), SF_EAKA_ALG);
	assert_int_equal(sf_aka_init(NULL, &p), SF_EINVAL);
	enum sf_aka_alg alg;
	assert_int_equal(sf_aka_alg_parse("comp128", &alg), SF_EAKA_ALG);

	/* A context that was never initialised (or was freed) has no key. */
	memset(&ctx, 0, sizeof(ctx));
	sf_sqn_ms_init(&ms, 5, 1, 0);
	assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, rand, autn, 16, &r), SF_EAKA_NOKEY);
	make_ctx(SF_AKA_ALG_MILENAGE, 5, &ctx);
	sf_aka_free(&ctx);
	sf_aka_free(&ctx);
	assert_int_equal(sf_aka_f2345(&ctx, rand, NULL, NULL, NULL, NULL), SF_EAKA_NOKEY);

	make_ctx(SF_AKA_ALG_MILENAGE, 5, &ctx);
	assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, rand, autn, 15, &r), SF_ELEN);
	assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, rand, NULL, 16, &r), SF_EINVAL);
	assert_int_equal(sf_sqn_ms_init(&ms, 9, 1, 0), SF_ERANGE);
	assert_int_equal(sf_sqn_ms_init(&ms, 5, 0, 0), SF_ERANGE);
	assert_int_equal(sf_sqn_he_init(&he, 9, 0), SF_ERANGE);

	/* SQN exhaustion: the counter never wraps, and nothing is consumed. */
	assert_int_equal(sf_sqn_he_init(&he, 5, (SF_AKA_SQN_MAX >> 5) - 1), 0);
	assert_int_equal(sf_aka_auc_generate(&ctx, &he, 0, AMF, &det.rng, v, 2), SF_EAKA_SQN);
	assert_int_equal(he.seq, (SF_AKA_SQN_MAX >> 5) - 1);
	assert_int_equal(sf_aka_auc_generate(&ctx, &he, 0, AMF, &det.rng, v, 1), 0);
	assert_int_equal(sf_sqn_load(v[0].sqn), (SF_AKA_SQN_MAX >> 5) << 5);
	assert_int_equal(sf_aka_auc_generate(&ctx, &he, 0, AMF, NULL, v, 1), SF_EINVAL);

	/* GSM conversion is defined for RES <= 128 bits and 128-bit CK/IK only. */
	uint8_t sres[4], kc[8];
	assert_int_equal(sf_aka_c2(rand, 3, sres), SF_EAKA_GSM);
	sf_aka_free(&ctx);
	make_ctx(SF_AKA_ALG_TUAK, 6, &ctx);
	assert_int_equal(sf_aka_gsm(&ctx, rand, sres, kc), 0);
	ctx.p.ck_len = 32;
	assert_int_equal(sf_aka_gsm(&ctx, rand, sres, kc), SF_EAKA_GSM);
	sf_aka_free(&ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_generated), cmocka_unit_test(test_replay_and_resync),
		cmocka_unit_test(test_every_ind_slot),    cmocka_unit_test(test_delta_and_age_limit),
		cmocka_unit_test(test_flipped_bits),      cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
