/*
 * Differential test of Milenage against libosmocore (libosmogsm 1.7, the
 * osmo-hlr / osmo-auc-gen implementation, itself derived from hostapd):
 * 10,000 random subscribers and challenges, half given OP and half OPc,
 * through simfleet's public API (sf_aka_params_set_op, sf_aka_init,
 * sf_aka_vector_compute, sf_aka_auc_generate, sf_aka_gsm,
 * sf_aka_usim_authenticate, sf_aka_auts, sf_aka_auts_verify) against
 * osmo_auth_gen_vec and osmo_auth_gen_vec_auts on RES, CK, IK, AUTN (SQN xor
 * AK, AMF, MAC-A), SRES and Kc, and the AUTS round trip both ways.
 *
 * The inputs come from a fixed-seed generator (sf_rng_det), so a failure
 * names a case number that reproduces.  The cases run once per AES
 * implementation available (portable, aes-ni, vaes-avx512).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <osmocom/crypt/auth.h>

#include "aes_internal.h"
#include "helper_tsv.h"
#include "simfleet/aka.h"
#include "simfleet/err.h"
#include "simfleet/rng.h"

#define NCASES 10000

#define osmo_gen osmo_auth_gen_vec
#define osmo_gen_auts osmo_auth_gen_vec_auts

/* A randomness seam that hands out a fixed RAND, so sf_aka_auc_generate can
 * be compared with a given challenge. */
struct fixed_rand {
	const uint8_t *rand;
};

static int fixed_fill(void *user, uint8_t *buf, size_t len)
{
	struct fixed_rand *f = user;
	if (len != 16)
		return SF_EINVAL;
	memcpy(buf, f->rand, 16);
	return 0;
}

static uint64_t load48(const uint8_t b[6])
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = v << 8 | b[i];
	return v;
}

static void osmo_aud(struct osmo_sub_auth_data *aud, const uint8_t k[16], const uint8_t opx[16],
                     int is_op, const uint8_t amf[2], uint64_t prev_sqn)
{
	memset(aud, 0, sizeof(*aud));
	aud->type = OSMO_AUTH_TYPE_UMTS;
	aud->algo = OSMO_AUTH_ALG_MILENAGE;
	memcpy(aud->u.umts.k, k, 16);
	memcpy(aud->u.umts.opc, opx, 16);
	aud->u.umts.opc_is_op = is_op;
	memcpy(aud->u.umts.amf, amf, 2);
	/* IND length 0: the next SQN osmo_auth_gen_vec uses is prev_sqn + 1. */
	aud->u.umts.ind_bitlen = 0;
	aud->u.umts.ind = 0;
	aud->u.umts.sqn = prev_sqn;
}

static void check_case(unsigned n, struct sf_rng_det *det)
{
	uint8_t k[16], opx[16], rand[16], rand2[16], sqn[6], amf[2], sqn_ms_b[6];
	char label[64];
	snprintf(label, sizeof(label), "case %u", n);
	assert_int_equal(sf_rng_fill(&det->rng, k, 16), 0);
	assert_int_equal(sf_rng_fill(&det->rng, opx, 16), 0);
	assert_int_equal(sf_rng_fill(&det->rng, rand, 16), 0);
	assert_int_equal(sf_rng_fill(&det->rng, rand2, 16), 0);
	assert_int_equal(sf_rng_fill(&det->rng, sqn, 6), 0);
	assert_int_equal(sf_rng_fill(&det->rng, amf, 2), 0);
	assert_int_equal(sf_rng_fill(&det->rng, sqn_ms_b, 6), 0);
	int is_op = n & 1;
	uint64_t sqn_v = load48(sqn);
	if (sqn_v == 0) /* the USIM below starts at 0 and needs SQN > 0 */
		sqn[5] = 1, sqn_v = 1;
	uint64_t sqn_ms = load48(sqn_ms_b);

	/* ---- simfleet -------------------------------------------------------- */
	struct sf_aka_params p;
	struct sf_aka_ctx ctx;
	sf_aka_params_init(&p, SF_AKA_ALG_MILENAGE);
	memcpy(p.k, k, 16);
	if (is_op)
		assert_int_equal(sf_aka_params_set_op(&p, opx, 16), 0);
	else
		memcpy(p.opc, opx, 16);
	assert_int_equal(sf_aka_init(&ctx, &p), 0);
	sf_aka_params_wipe(&p);

	struct sf_aka_vector v, g;
	assert_int_equal(sf_aka_vector_compute(&ctx, rand, sqn, amf, &v), 0);
	/* the AuC batch path (SEQ_HE = SQN - 1, IND length 0, RAND from the seam) */
	struct fixed_rand fr = {rand};
	struct sf_rng rng = {fixed_fill, &fr};
	struct sf_sqn_he he;
	assert_int_equal(sf_sqn_he_init(&he, 0, sqn_v - 1), 0);
	assert_int_equal(sf_aka_auc_generate(&ctx, &he, 0, amf, &rng, &g, 1), 0);
	sf_assert_mem(label, &g, &v, sizeof(v));
	assert_int_equal(he.seq, sqn_v);
	uint8_t sres[4], kc[8];
	assert_int_equal(sf_aka_gsm(&ctx, rand, sres, kc), 0);

	/* ---- libosmocore ------------------------------------------------------ */
	struct osmo_sub_auth_data aud;
	struct osmo_auth_vector ov;
	osmo_aud(&aud, k, opx, is_op, amf, sqn_v - 1);
	memset(&ov, 0, sizeof(ov));
	int rc = osmo_gen(&ov, &aud, rand);
	if (rc != 0)
		fail_msg("%s: osmo_auth_gen_vec returned %d", label, rc);
	assert_int_equal(aud.u.umts.sqn, sqn_v);
	assert_int_equal(ov.res_len, 8);
	sf_assert_mem(label, v.autn, ov.autn, 16);
	sf_assert_mem(label, v.xres, ov.res, 8);
	sf_assert_mem(label, v.ck, ov.ck, 16);
	sf_assert_mem(label, v.ik, ov.ik, 16);
	sf_assert_mem(label, sres, ov.sres, 4);
	sf_assert_mem(label, kc, ov.kc, 8);

	/* ---- the USIM accepts osmo's AUTN --------------------------------------- */
	struct sf_sqn_ms ms;
	struct sf_aka_usim_result r;
	assert_int_equal(sf_sqn_ms_init(&ms, 0, SF_AKA_SQN_MAX, 0), 0);
	rc = sf_aka_usim_authenticate(&ctx, &ms, rand, ov.autn, 16, &r);
	if (rc != 0)
		fail_msg("%s: USIM rejected osmo's AUTN: %s", label, sf_err_name(rc));
	sf_assert_mem(label, r.sqn, sqn, 6);
	sf_assert_mem(label, r.res, ov.res, 8);
	sf_assert_mem(label, r.ck, ov.ck, 16);
	sf_assert_mem(label, r.ik, ov.ik, 16);
	assert_int_equal(r.has_kc, 1);
	sf_assert_mem(label, r.kc, ov.kc, 8);

	/* ---- AUTS: ours verified by osmo, and osmo's resync vector by us --------- */
	uint8_t auts[14];
	assert_int_equal(sf_aka_auts(&ctx, rand, sqn_ms, auts), 0);
	uint64_t got_ms = 0;
	assert_int_equal(sf_aka_auts_verify(&ctx, rand, auts, &got_ms), 0);
	assert_int_equal(got_ms, sqn_ms);
	osmo_aud(&aud, k, opx, is_op, amf, 0);
	memset(&ov, 0, sizeof(ov));
	rc = osmo_gen_auts(&ov, &aud, auts, rand, rand2);
	if (rc != 0)
		fail_msg("%s: osmo_auth_gen_vec_auts rejected our AUTS (rc %d)", label, rc);
	assert_int_equal(aud.u.umts.sqn_ms, sqn_ms);
	uint8_t next[6];
	sf_sqn_store(next, (sqn_ms + 1) & SF_AKA_SQN_MAX);
	assert_int_equal(sf_aka_vector_compute(&ctx, rand2, next, amf, &v), 0);
	sf_assert_mem(label, v.autn, ov.autn, 16);
	sf_assert_mem(label, v.xres, ov.res, 8);
	sf_assert_mem(label, v.ck, ov.ck, 16);
	sf_assert_mem(label, v.ik, ov.ik, 16);

	/* a corrupted AUTS is refused by both */
	if (n % 50 == 0) {
		auts[6 + (n / 50) % 8] ^= (uint8_t)(1u << (n % 8));
		assert_int_equal(sf_aka_auts_verify(&ctx, rand, auts, &got_ms), SF_EAKA_MACS);
		osmo_aud(&aud, k, opx, is_op, amf, 0);
		rc = osmo_gen_auts(&ov, &aud, auts, rand, rand2);
		if (rc == 0)
			fail_msg("%s: osmo accepted a corrupted AUTS", label);
	}
	sf_aka_free(&ctx);
}

static void test_osmo_milenage_random(void **state)
{
	(void)state;
	/* The same cases on every AES implementation this machine has. */
	enum sf__aes_impl saved = sf__aes_impl_id();
	for (int i = SF__AES_PORTABLE; i <= SF__AES_VAES; i++) {
		if (sf__aes_select((enum sf__aes_impl)i) != 0)
			continue;
		struct sf_rng_det det;
		sf_rng_det_init(&det, 0x33102u); /* fixed: failures reproduce */
		for (unsigned n = 0; n < NCASES; n++)
			check_case(n, &det);
		print_message("  %d random Milenage cases agree with libosmocore (AES: %s)\n",
		              NCASES, sf_aka_aes_impl());
	}
	assert_int_equal(sf__aes_select(saved), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_osmo_milenage_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
