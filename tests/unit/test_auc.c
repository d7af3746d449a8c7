/*
 * The AuC library (include/simfleet/auc.h): import validation (all or
 * nothing), vectors accepted by a USIM simulated with the AKA engine for
 * every algorithm and type, group commit of a batch over many IMSIs,
 * resynchronisation, suspension, the master key (wrong key refused, K not in
 * the file, rekey round trip), crash consistency of vector issue (a child
 * killed right after it got its vectors) and schema migration from the
 * oldest version.
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/auc/auc_internal.h"
#include "simfleet/aka.h"
#include "simfleet/auc.h"
#include "simfleet/err.h"
#include "simfleet/kdf.h"
#include "simfleet/rng.h"

static char dir[64];
static uint8_t KEY[32], KEY2[32];

static void path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sf_auc_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	for (int i = 0; i < 32; i++) {
		KEY[i] = (uint8_t)(0xa0 + i);
		KEY2[i] = (uint8_t)(0x10 + i);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A subscriber of algorithm alg with keys from seed. */
static void make_sub(struct sf_auc_sub *u, enum sf_aka_alg alg, unsigned idx)
{
	struct sf_rng_det det;
	sf_auc_sub_init(u, alg);
	snprintf(u->imsi, sizeof(u->imsi), "00101%010u", idx);
	sf_rng_det_init(&det, 1000 + idx);
	if (alg == SF_AKA_ALG_TUAK) {
		u->params.k_len = 32;
		u->params.res_len = 16;
	}
	sf_rng_fill(&det.rng, u->params.k, u->params.k_len);
	sf_rng_fill(&det.rng, u->params.opc, u->params.opc_len);
}

static struct sf_auc *fresh_db(const char *name, struct sf_rng_det *det)
{
	char p[128];
	struct sf_auc *auc = NULL;
	path(p, sizeof(p), name);
	sf_rng_det_init(det, 42);
	assert_int_equal(sf_auc_create(p, KEY, &det->rng, &auc), 0);
	return auc;
}

static void usim_for(const struct sf_auc_sub *u, struct sf_aka_ctx *ctx, struct sf_sqn_ms *ms)
{
	assert_int_equal(sf_aka_init(ctx, &u->params), 0);
	assert_int_equal(sf_sqn_ms_init(ms, u->ind_bits, SF_SQN_DELTA_DEFAULT, 0), 0);
}

static uint64_t count(struct sf_auc *auc)
{
	uint64_t c = 0;
	assert_int_equal(sf_auc_count(auc, &c), 0);
	return c;
}

static void test_import_all_or_nothing(void **state)
{
	(void)state;
	struct sf_rng_det det;
	struct sf_auc *auc = fresh_db("imp.db", &det);
	struct sf_auc_sub s[4];
	size_t bad = 99;
	for (unsigned i = 0; i < 4; i++)
		make_sub(&s[i], SF_AKA_ALG_MILENAGE, i);
	/* A bad MAC length on the last row: nothing is written. */
	s[3].params.mac_len = 5;
	assert_int_equal(sf_auc_import(auc, s, 4, &bad), SF_EAUC_INVALID);
	assert_int_equal(bad, 3);
	assert_int_equal(count(auc), 0);
	s[3].params.mac_len = 8;
	/* A bad ICCID, a bad IMSI. */
	strcpy(s[1].iccid, "89000123456789012342");
	assert_int_equal(sf_auc_import(auc, s, 4, &bad), SF_EAUC_INVALID);
	assert_int_equal(bad, 1);
	strcpy(s[1].iccid, "89000123456789012341");
	strcpy(s[2].imsi, "0010a");
	assert_int_equal(sf_auc_import(auc, s, 4, &bad), SF_EAUC_INVALID);
	assert_int_equal(bad, 2);
	/* A duplicate inside the batch names the later row. */
	strcpy(s[2].imsi, s[0].imsi);
	assert_int_equal(sf_auc_import(auc, s, 4, &bad), SF_EAUC_DUPLICATE);
	assert_int_equal(bad, 2);
	assert_int_equal(count(auc), 0);
	make_sub(&s[2], SF_AKA_ALG_MILENAGE, 2);
	assert_int_equal(sf_auc_import(auc, s, 2, NULL), 0);
	assert_int_equal(count(auc), 2);
	/* Already provisioned (row 1 of this batch): the new rows 2, 3 stay out. */
	assert_int_equal(sf_auc_import(auc, s + 1, 3, &bad), SF_EAUC_DUPLICATE);
	assert_int_equal(bad, 0);
	assert_int_equal(count(auc), 2);
	struct sf_auc_sub got;
	assert_int_equal(sf_auc_get(auc, s[2].imsi, &got), SF_EAUC_UNKNOWN);
	assert_int_equal(sf_auc_get(auc, s[1].imsi, &got), 0);
	assert_memory_equal(got.params.k, s[1].params.k, 16);
	assert_string_equal(got.iccid, "89000123456789012341");
	sf_aka_params_wipe(&got.params);
	sf_auc_close(auc);
}

/* Every algorithm and type: the simulated USIM accepts each vector, and its
 * RES / keys match what the AuC returned. */
/* sf_auc_each: every IMSI once, in order, and the callback's value stops
 * it.  sf_auc_imsi_by_iccid: the one subscriber of an ICCID; none is
 * unknown; two sharing it are an error, never an arbitrary pick. */
static int collect(void *user, const char *imsi)
{
	char *acc = user;
	if (strlen(acc) + strlen(imsi) + 2 > 256)
		return SF_ERANGE;
	strcat(acc, imsi);
	strcat(acc, ",");
	return strcmp(imsi, "001010000000003") == 0 ? 7 : 0;
}

static void test_each_and_iccid(void **state)
{
	(void)state;
	struct sf_rng_det det;
	struct sf_auc *auc = fresh_db("each.db", &det);
	struct sf_auc_sub u[4];
	static const char *const iccid[4] = {"8900000000000000011", "8900000000000000029",
	                                     "8900000000000000037", "8900000000000000037"};
	char acc[256] = "", imsi[SF_AUC_IMSI_MAX + 1];
	for (unsigned i = 0; i < 4; i++) {
		make_sub(&u[i], SF_AKA_ALG_MILENAGE, 4 - i); /* imported out of order */
		snprintf(u[i].iccid, sizeof(u[i].iccid), "%s", iccid[i]);
	}
	assert_int_equal(sf_auc_import(auc, u, 4, NULL), 0);
	assert_int_equal(sf_auc_each(auc, collect, acc), 7);
	assert_string_equal(acc, "001010000000001,001010000000002,001010000000003,");
	assert_int_equal(sf_auc_imsi_by_iccid(auc, iccid[1], imsi), 0);
	assert_string_equal(imsi, "001010000000003");
	assert_int_equal(sf_auc_imsi_by_iccid(auc, "8900000000000000045", imsi), SF_EAUC_UNKNOWN);
	assert_int_equal(sf_auc_imsi_by_iccid(auc, iccid[2], imsi), SF_EAUC_DUPLICATE);
	for (unsigned i = 0; i < 4; i++)
		sf_aka_params_wipe(&u[i].params);
	sf_auc_close(auc);
}

static void test_vectors_accepted(void **state)
{
	(void)state;
	struct sf_rng_det det;
	struct sf_auc *auc = fresh_db("vec.db", &det);
	static const enum sf_aka_alg algs[3] = {SF_AKA_ALG_MILENAGE, SF_AKA_ALG_TUAK,
	                                        SF_AKA_ALG_XOR};
	struct sf_auc_sub s[3];
	for (unsigned i = 0; i < 3; i++)
		make_sub(&s[i], algs[i], 10 + i);
	assert_int_equal(sf_auc_import(auc, s, 3, NULL), 0);
	const char *snn = "5G:mnc001.mcc001.3gppnetwork.org";
	uint8_t plmn[3];
	assert_int_equal(sf_kdf_plmn_id("001", "01", plmn), 0);
	for (unsigned a = 0; a < 3; a++) {
		struct sf_aka_ctx ctx;
		struct sf_sqn_ms ms;
		usim_for(&s[a], &ctx, &ms);
		for (int t = SF_AUC_V3G; t <= SF_AUC_V5G; t++) {
			struct sf_auc_vec out[5];
			struct sf_auc_req q = {.imsi = s[a].imsi,
			                       .n = 5,
			                       .type = (enum sf_auc_vtype)t,
			                       .ind = 3,
			                       .snn = snn,
			                       .out = out};
			memcpy(q.plmn, plmn, 3);
			assert_int_equal(sf_auc_vectors(auc, &q, 1), 0);
			assert_int_equal(q.result, 0);
			for (int i = 0; i < 5; i++) {
				struct sf_aka_usim_result r;
				const struct sf_aka_vector *v = &out[i].v;
				if (t == SF_AUC_VGSM) {
					uint8_t sres[4], kc[8];
					assert_int_equal(sf_aka_gsm(&ctx, v->rand, sres, kc), 0);
					assert_memory_equal(sres, out[i].sres, 4);
					assert_memory_equal(kc, out[i].kc, 8);
					continue;
				}
				assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v->rand,
				                                          v->autn, v->autn_len, &r),
				                 0);
				assert_memory_equal(r.res, v->xres, v->xres_len);
				assert_int_equal(sf_sqn_load(v->sqn) & 31, 3);
				if (t == SF_AUC_VEPS) {
					uint8_t kasme[32];
					sf_kdf_kasme(r.ck, r.ck_len, r.ik, r.ik_len, plmn, v->autn,
					             kasme);
					assert_memory_equal(kasme, out[i].kasme, 32);
				}
				if (t == SF_AUC_V5G) {
					uint8_t rs[16], hx[16], kausf[32];
					sf_kdf_res_star(r.ck, r.ck_len, r.ik, r.ik_len,
					                (const uint8_t *)snn, strlen(snn), v->rand,
					                r.res, r.res_len, rs);
					assert_memory_equal(rs, out[i].xres_star, 16);
					sf_kdf_hxres_star(v->rand, rs, hx);
					assert_memory_equal(hx, out[i].hxres_star, 16);
					sf_kdf_kausf(r.ck, r.ck_len, r.ik, r.ik_len,
					             (const uint8_t *)snn, strlen(snn), v->autn,
					             kausf);
					assert_memory_equal(kausf, out[i].kausf, 32);
				}
				/* A replay is refused by the USIM. */
				assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v->rand,
				                                          v->autn, v->autn_len, &r),
				                 SF_EAKA_SYNC);
			}
		}
		sf_aka_free(&ctx);
	}
	/* 3G, EPS, 5G each advanced SEQ_HE by 5; GSM by nothing. */
	struct sf_auc_sub got;
	assert_int_equal(sf_auc_get(auc, s[0].imsi, &got), 0);
	assert_int_equal(got.seq_he, 15);
	sf_aka_params_wipe(&got.params);
	sf_auc_close(auc);
}

/* One batch over many IMSIs (some repeated, one unknown, one suspended):
 * one transaction, distinct SQNs, per-request errors isolated. */
static void test_group_commit_batch(void **state)
{
	(void)state;
	struct sf_rng_det det;
	struct sf_auc *auc = fresh_db("batch.db", &det);
	enum { NS = 20, NR = 64 };
	struct sf_auc_sub s[NS];
	for (unsigned i = 0; i < NS; i++)
		make_sub(&s[i], SF_AKA_ALG_MILENAGE, 100 + i);
	assert_int_equal(sf_auc_import(auc, s, NS, NULL), 0);
	assert_int_equal(sf_auc_set_status(auc, s[7].imsi, SF_AUC_SUSPENDED), 0);
	static struct sf_auc_vec out[NR][2];
	struct sf_auc_req q[NR];
	memset(q, 0, sizeof(q));
	for (int i = 0; i < NR; i++) {
		q[i].imsi = s[i % NS].imsi;
		q[i].n = 2;
		q[i].out = out[i];
	}
	q[5].imsi = "001019999999999";
	assert_int_equal(sf_auc_vectors(auc, q, NR), 0);
	for (int i = 0; i < NR; i++) {
		int want = i == 5 ? SF_EAUC_UNKNOWN : (i % NS == 7 ? SF_EAUC_SUSPENDED : 0);
		assert_int_equal(q[i].result, want);
	}
	/* Subscriber 0 had requests 0, 20, 40, 60: SQN SEQ 1..8 in order. */
	struct sf_aka_ctx ctx;
	struct sf_sqn_ms ms;
	usim_for(&s[0], &ctx, &ms);
	for (int r = 0; r < 4; r++) {
		for (int k = 0; k < 2; k++) {
			struct sf_aka_usim_result res;
			const struct sf_aka_vector *v = &out[r * NS][k].v;
			assert_int_equal(sf_sqn_load(v->sqn) >> 5, (uint64_t)(r * 2 + k + 1));
			assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, v->rand, v->autn,
			                                          v->autn_len, &res),
			                 0);
		}
	}
	sf_aka_free(&ctx);
	struct sf_auc_sub got;
	assert_int_equal(sf_auc_get(auc, s[7].imsi, &got), 0);
	assert_int_equal(got.seq_he, 0); /* suspended: nothing consumed */
	assert_int_equal(got.status, SF_AUC_SUSPENDED);
	sf_aka_params_wipe(&got.params);
	assert_int_equal(sf_auc_set_status(auc, s[7].imsi, SF_AUC_ACTIVE), 0);
	assert_int_equal(sf_auc_vectors(auc, &q[7], 1), 0);
	assert_int_equal(q[7].result, 0);
	assert_int_equal(sf_auc_set_status(auc, "001019999999999", SF_AUC_SUSPENDED),
	                 SF_EAUC_UNKNOWN);
	sf_auc_close(auc);
}

static void test_resync(void **state)
{
	(void)state;
	struct sf_rng_det det;
	struct sf_auc *auc = fresh_db("resync.db", &det);
	struct sf_auc_sub s;
	make_sub(&s, SF_AKA_ALG_MILENAGE, 200);
	assert_int_equal(sf_auc_import(auc, &s, 1, NULL), 0);
	/* The USIM has seen SEQ 1000 (a card used with another AuC). */
	struct sf_aka_ctx ctx;
	struct sf_sqn_ms ms;
	usim_for(&s, &ctx, &ms);
	assert_int_equal(sf_sqn_ms_set_all(&ms, (uint64_t)1000 << 5), 0);
	struct sf_auc_vec out[1];
	struct sf_auc_req q = {.imsi = s.imsi, .n = 1, .out = out};
	assert_int_equal(sf_auc_vectors(auc, &q, 1), 0);
	struct sf_aka_usim_result r;
	assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, out[0].v.rand, out[0].v.autn,
	                                          out[0].v.autn_len, &r),
	                 SF_EAKA_SYNC);
	/* A corrupted AUTS changes nothing. */
	uint8_t auts[14];
	memcpy(auts, r.auts, 14);
	auts[13] ^= 1;
	assert_int_equal(sf_auc_resync(auc, s.imsi, out[0].v.rand, auts, NULL), SF_EAKA_MACS);
	struct sf_auc_sub got;
	assert_int_equal(sf_auc_get(auc, s.imsi, &got), 0);
	assert_int_equal(got.seq_he, 1);
	sf_aka_params_wipe(&got.params);
	uint64_t sqn_ms = 0;
	assert_int_equal(sf_auc_resync(auc, s.imsi, out[0].v.rand, r.auts, &sqn_ms), 0);
	assert_int_equal(sqn_ms, (uint64_t)1000 << 5);
	assert_int_equal(sf_auc_get(auc, s.imsi, &got), 0);
	assert_int_equal(got.seq_he, 1000);
	sf_aka_params_wipe(&got.params);
	assert_int_equal(sf_auc_vectors(auc, &q, 1), 0);
	assert_int_equal(sf_aka_usim_authenticate(&ctx, &ms, out[0].v.rand, out[0].v.autn,
	                                          out[0].v.autn_len, &r),
	                 0);
	/* Suspended: no resync either. */
	assert_int_equal(sf_auc_set_status(auc, s.imsi, SF_AUC_SUSPENDED), 0);
	assert_int_equal(sf_auc_resync(auc, s.imsi, out[0].v.rand, r.auts, NULL),
	                 SF_EAUC_SUSPENDED);
	assert_int_equal(sf_auc_resync(auc, "001019999999999", out[0].v.rand, r.auts, NULL),
	                 SF_EAUC_UNKNOWN);
	sf_aka_free(&ctx);
	sf_auc_close(auc);
}

static int file_has(const char *p, const uint8_t *needle, size_t n)
{
	FILE *f = fopen(p, "rb");
	if (!f)
		return 0;
	static uint8_t buf[1 << 20];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return memmem(buf, len, needle, n) != NULL;
}

static void test_master_key(void **state)
{
	(void)state;
	struct sf_rng_det det;
	char p[128], pw[160];
	struct sf_auc *auc = fresh_db("key.db", &det);
	struct sf_auc_sub s;
	make_sub(&s, SF_AKA_ALG_MILENAGE, 300);
	assert_int_equal(sf_auc_import(auc, &s, 1, NULL), 0);
	path(p, sizeof(p), "key.db");
	snprintf(pw, sizeof(pw), "%s-wal", p);
	/* Neither K nor OPc is in the database or its WAL. */
	assert_false(file_has(p, s.params.k, 16));
	assert_false(file_has(pw, s.params.k, 16));
	assert_false(file_has(p, s.params.opc, 16));
	assert_false(file_has(pw, s.params.opc, 16));
	assert_false(file_has(p, KEY, 32));
	sf_auc_close(auc);

	struct sf_auc *x = NULL;
	assert_int_equal(sf_auc_open(p, KEY2, NULL, &x), SF_EAUC_MASTER_KEY);
	assert_null(x);
	assert_int_equal(sf_auc_create(p, KEY, NULL, &x), SF_EAUC_DB_EXISTS);

	/* Rekey round trip. */
	assert_int_equal(sf_auc_open(p, KEY, NULL, &auc), 0);
	assert_int_equal(sf_auc_rekey(auc, KEY2), 0);
	sf_auc_close(auc);
	assert_int_equal(sf_auc_open(p, KEY, NULL, &x), SF_EAUC_MASTER_KEY);
	assert_int_equal(sf_auc_open(p, KEY2, NULL, &auc), 0);
	struct sf_auc_sub got;
	assert_int_equal(sf_auc_get(auc, s.imsi, &got), 0);
	assert_memory_equal(got.params.k, s.params.k, 16);
	assert_memory_equal(got.params.opc, s.params.opc, 16);
	sf_aka_params_wipe(&got.params);
	assert_int_equal(sf_auc_rekey(auc, KEY), 0);
	assert_int_equal(sf_auc_get(auc, s.imsi, &got), 0);
	assert_memory_equal(got.params.k, s.params.k, 16);
	sf_aka_params_wipe(&got.params);
	sf_auc_close(auc);
	assert_int_equal(sf_auc_open(p, KEY, NULL, &auc), 0);
	sf_auc_close(auc);

	/* Key files: created 0600; a group-readable one is refused. */
	char kp[128];
	uint8_t k1[32], k2[32];
	path(kp, sizeof(kp), "master.key");
	assert_int_equal(sf_auc_key_create(kp, NULL, k1), 0);
	assert_int_equal(sf_auc_key_create(kp, NULL, k2), SF_EAUC_KEYFILE);
	assert_int_equal(sf_auc_key_load(kp, k2), 0);
	assert_memory_equal(k1, k2, 32);
	assert_int_equal(chmod(kp, 0640), 0);
	assert_int_equal(sf_auc_key_load(kp, k2), SF_EAUC_KEYFILE);
}

/* A child issues vectors and dies by SIGKILL the moment it has them (before
 * any close or checkpoint); every SQN it reported must be covered by the
 * SEQ_HE found on reopening. */
static void test_crash_consistency(void **state)
{
	(void)state;
	struct sf_rng_det det;
	char p[128];
	struct sf_auc *auc = fresh_db("crash.db", &det);
	struct sf_auc_sub s[4];
	for (unsigned i = 0; i < 4; i++)
		make_sub(&s[i], SF_AKA_ALG_MILENAGE, 400 + i);
	assert_int_equal(sf_auc_import(auc, s, 4, NULL), 0);
	sf_auc_close(auc);
	path(p, sizeof(p), "crash.db");
	uint64_t maxseq[4] = {0};
	for (int round = 0; round < 5; round++) {
		int fd[2];
		assert_int_equal(pipe(fd), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fd[0]);
			struct sf_auc *c = NULL;
			if (sf_auc_open(p, KEY, NULL, &c))
				_exit(3);
			struct sf_auc_vec out[4][3];
			struct sf_auc_req q[4];
			memset(q, 0, sizeof(q));
			for (int i = 0; i < 4; i++) {
				q[i].imsi = s[i].imsi;
				q[i].n = 3;
				q[i].out = out[i];
			}
			if (sf_auc_vectors(c, q, 4))
				_exit(4);
			for (int i = 0; i < 4; i++)
				for (int k = 0; k < 3; k++) {
					uint64_t sqn = sf_sqn_load(out[i][k].v.sqn);
					if (write(fd[1], &sqn, sizeof(sqn)) != sizeof(sqn))
						_exit(5);
				}
			raise(SIGKILL);
			_exit(6);
		}
		close(fd[1]);
		uint64_t sqn;
		int got = 0;
		while (read(fd[0], &sqn, sizeof(sqn)) == sizeof(sqn)) {
			int i = got / 3;
			if (i < 4 && (sqn >> 5) > maxseq[i])
				maxseq[i] = sqn >> 5;
			got++;
		}
		close(fd[0]);
		int st = 0;
		waitpid(pid, &st, 0);
		assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		assert_int_equal(got, 12);
		assert_int_equal(sf_auc_open(p, KEY, NULL, &auc), 0);
		for (int i = 0; i < 4; i++) {
			struct sf_auc_sub g;
			assert_int_equal(sf_auc_get(auc, s[i].imsi, &g), 0);
			assert_true(g.seq_he >= maxseq[i]);
			sf_aka_params_wipe(&g.params);
		}
		sf_auc_close(auc);
	}
	assert_int_equal(maxseq[0], 15);
}

/* A database made at schema version 1 (the oldest) with a subscriber in it
 * opens, upgrades to the latest and serves that subscriber. */
static void test_migrations(void **state)
{
	(void)state;
	char p[128];
	struct sf_rng_det det;
	path(p, sizeof(p), "v1.db");
	sf_rng_det_init(&det, 7);
	assert_int_equal(sf__auc_create_version(p, KEY, &det.rng, 1), 0);
	struct sf_auc_sub s;
	make_sub(&s, SF_AKA_ALG_MILENAGE, 500);
	uint8_t blob[SF__AUC_SEALED_MAX];
	size_t bl = 0;
	assert_int_equal(sf__auc_seal(KEY, &det.rng, s.imsi, &s.params, blob, &bl), 0);
	/* The row as simfleet's schema 1 wrote it. */
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db,
	                       "INSERT INTO subscriber (imsi, iccid, alg, k_len, "
	                       "opc_len, mac_len, res_len, ck_len, ik_len, sealed, "
	                       "seq_he, ind_bits) VALUES (?1, '', 1, 16, 16, 8, 8, 16, "
	                       "16, ?2, 77, 5)",
	                       -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, s.imsi, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, blob, (int)bl, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);

	struct sf_auc *auc = NULL;
	assert_int_equal(sf_auc_open(p, KEY, NULL, &auc), 0);
	assert_int_equal(sf_auc_schema_version(auc), sf_auc_schema_latest());
	assert_true(sf_auc_schema_latest() >= 2);
	struct sf_auc_sub got;
	assert_int_equal(sf_auc_get(auc, s.imsi, &got), 0);
	assert_int_equal(got.seq_he, 77);
	assert_int_equal(got.status, SF_AUC_ACTIVE);
	assert_int_equal(got.params.keccak_iterations, 1);
	sf_aka_params_wipe(&got.params);
	struct sf_auc_vec out[1];
	struct sf_auc_req q = {.imsi = s.imsi, .n = 1, .out = out};
	assert_int_equal(sf_auc_vectors(auc, &q, 1), 0);
	assert_int_equal(q.result, 0);
	assert_int_equal(sf_sqn_load(out[0].v.sqn) >> 5, 78);
	assert_int_equal(sf_auc_set_status(auc, s.imsi, SF_AUC_SUSPENDED), 0);
	sf_auc_close(auc);
	/* Reopening an up-to-date database changes nothing. */
	assert_int_equal(sf_auc_open(p, KEY, NULL, &auc), 0);
	assert_int_equal(sf_auc_get(auc, s.imsi, &got), 0);
	assert_int_equal(got.status, SF_AUC_SUSPENDED);
	sf_aka_params_wipe(&got.params);
	sf_auc_close(auc);

	/* Not an AuC database / newer schema. */
	char q2[128];
	path(q2, sizeof(q2), "other.db");
	assert_int_equal(sqlite3_open(q2, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sf_auc_open(q2, KEY, NULL, &auc), SF_EAUC_SCHEMA);
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "UPDATE schema_version SET version = 99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sf_auc_open(p, KEY, NULL, &auc), SF_EAUC_SCHEMA);
	assert_int_equal(sf_auc_open("/nonexistent/x.db", KEY, NULL, &auc), SF_ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_import_all_or_nothing),
	    cmocka_unit_test(test_each_and_iccid),
	    cmocka_unit_test(test_vectors_accepted),
	    cmocka_unit_test(test_group_commit_batch),
	    cmocka_unit_test(test_resync),
	    cmocka_unit_test(test_master_key),
	    cmocka_unit_test(test_crash_consistency),
	    cmocka_unit_test(test_migrations),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
