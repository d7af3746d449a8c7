/*
 * AKA engine throughput, one JSON object per line (see docs/performance.md):
 *
 *   aka.milenage.auc_vectors  AuC vectors/s through sf_aka_auc_generate:
 *                             RAND drawn inside the timed loop, in bulk, from
 *                             sf_rng_system() (OpenSSL RAND_bytes); SQN
 *                             allocated per Annex C; several subscribers
 *                             round-robin; one thread.
 *                             Peer: libosmocore osmo_auth_gen_vec, its RAND
 *                             drawn the same way, in the same run.
 *   aka.milenage.usim_checks  USIM checks/s through sf_aka_usim_authenticate
 *                             (AK, SQN, MAC-A in constant time, Annex C
 *                             freshness, RES/CK/IK/Kc) over fresh AUTNs.
 *                             Peer: libosmocore milenage_check (exported by
 *                             libosmogsm, not declared in its installed
 *                             headers; prototype from its milenage.h).
 *   aka.tuak.auc_vectors      as the first row, for TUAK (no peer: Debian's
 *                             libosmocore 1.7 has no TUAK).
 *
 * Each measurement runs for about MEASURE_S seconds.  The program always
 * exits 0; a missed target is reported on stderr (gating is the caller's).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simfleet/aka.h"
#include "simfleet/err.h"
#include "simfleet/rng.h"

#ifdef SF_HAVE_OSMOCORE
#include <osmocom/crypt/auth.h>
#endif

#define MEASURE_S 1.5
#define NSUB 8         /* subscribers, round-robin */
#define BATCH 256      /* vectors per sf_aka_auc_generate call (bulk pre-generation) */
#define USIM_RING 4096 /* distinct challenges replayed to the USIM */

#define TARGET_AUC 20000000.0
#define TARGET_RATIO 20.0
#define TARGET_USIM 10000000.0

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_aka: %s: %s (%s)\n", what, sf_strerror(rc), sf_err_name(rc));
	exit(1);
}

/* Keeps results observable so the compiler cannot drop the work. */
static volatile uint8_t g_sink;

static struct sf_aka_vector g_out[BATCH];

static void setup_subscribers(struct sf_aka_ctx ctx[NSUB], struct sf_sqn_he he[NSUB],
                              enum sf_aka_alg alg)
{
	struct sf_rng_det det;
	sf_rng_det_init(&det, 0xBE7C4 + (unsigned)alg);
	for (int s = 0; s < NSUB; s++) {
		struct sf_aka_params p;
		sf_aka_params_init(&p, alg);
		int rc = sf_rng_fill(&det.rng, p.k, p.k_len);
		if (rc == 0)
			rc = sf_rng_fill(&det.rng, p.opc, p.opc_len);
		if (rc == 0)
			rc = sf_aka_init(&ctx[s], &p);
		if (rc == 0)
			rc = sf_sqn_he_init(&he[s], SF_SQN_IND_BITS_DEFAULT, 0);
		if (rc)
			die("subscriber setup", rc);
		sf_aka_params_wipe(&p);
	}
}

/* AuC vectors/s through the public API, RAND from the system RNG. */
static double auc_rate(enum sf_aka_alg alg)
{
	struct sf_aka_ctx ctx[NSUB];
	struct sf_sqn_he he[NSUB];
	static const uint8_t amf[2] = {0x80, 0x00};
	const struct sf_rng *rng = sf_rng_system();
	setup_subscribers(ctx, he, alg);

	/* warm-up (page faults, RNG instantiation, frequency) */
	for (int s = 0; s < NSUB; s++) {
		int rc = sf_aka_auc_generate(&ctx[s], &he[s], (unsigned)s, amf, rng, g_out, BATCH);
		if (rc)
			die("sf_aka_auc_generate", rc);
	}
	uint64_t n = 0;
	double t0 = now_s(), t;
	do {
		for (int rep = 0; rep < 16; rep++)
			for (int s = 0; s < NSUB; s++) {
				int rc = sf_aka_auc_generate(&ctx[s], &he[s], (unsigned)s, amf, rng,
				                             g_out, BATCH);
				if (rc)
					die("sf_aka_auc_generate", rc);
				g_sink ^= g_out[BATCH - 1].autn[15];
				n += BATCH;
			}
		t = now_s() - t0;
	} while (t < MEASURE_S);
	for (int s = 0; s < NSUB; s++)
		sf_aka_free(&ctx[s]);
	memset(g_out, 0, sizeof(g_out));
	return (double)n / t;
}

/* USIM checks/s: a ring of fresh AUTNs (ascending SQN) replayed through
 * sf_aka_usim_authenticate; the SQN array is reset when the ring restarts. */
struct challenge {
	uint8_t rand[16];
	uint8_t autn[16];
};
static struct challenge g_ring[USIM_RING];

static void make_ring(struct sf_aka_ctx *ctx)
{
	struct sf_sqn_he he;
	static const uint8_t amf[2] = {0x80, 0x00};
	int rc = sf_sqn_he_init(&he, SF_SQN_IND_BITS_DEFAULT, 0);
	for (size_t i = 0; i < USIM_RING && rc == 0; i += BATCH) {
		rc = sf_aka_auc_generate(ctx, &he, 0, amf, sf_rng_system(), g_out, BATCH);
		for (size_t j = 0; j < BATCH && rc == 0; j++) {
			memcpy(g_ring[i + j].rand, g_out[j].rand, 16);
			memcpy(g_ring[i + j].autn, g_out[j].autn, 16);
		}
	}
	if (rc)
		die("ring setup", rc);
}

static double usim_rate(void)
{
	struct sf_aka_ctx ctx[NSUB];
	struct sf_sqn_he he[NSUB];
	struct sf_sqn_ms ms;
	struct sf_aka_usim_result r;
	setup_subscribers(ctx, he, SF_AKA_ALG_MILENAGE);
	make_ring(&ctx[0]);

	uint64_t n = 0;
	double t0 = now_s(), t;
	do {
		int rc = sf_sqn_ms_init(&ms, SF_SQN_IND_BITS_DEFAULT, SF_SQN_DELTA_DEFAULT, 0);
		if (rc)
			die("sf_sqn_ms_init", rc);
		for (size_t i = 0; i < USIM_RING; i++) {
			rc = sf_aka_usim_authenticate(&ctx[0], &ms, g_ring[i].rand, g_ring[i].autn,
			                              16, &r);
			if (rc)
				die("sf_aka_usim_authenticate", rc);
			g_sink ^= r.res[0];
		}
		n += USIM_RING;
		t = now_s() - t0;
	} while (t < MEASURE_S);
	for (int s = 0; s < NSUB; s++)
		sf_aka_free(&ctx[s]);
	memset(&r, 0, sizeof(r));
	return (double)n / t;
}

/* ---- libosmocore ----------------------------------------------------------- */

#ifdef SF_HAVE_OSMOCORE
/* libosmogsm exports milenage_check (symbol version LIBOSMOGSM_1.0) but no
 * installed header declares it; this is its prototype from libosmogsm's
 * src/gsm/milenage/milenage.h (hostapd): 0 ok, -1 MAC failure, -2 sync
 * failure (auts written). */
int milenage_check(const uint8_t *opc, const uint8_t *k, const uint8_t *sqn, const uint8_t *_rand,
		   const uint8_t *autn, uint8_t *ik, uint8_t *ck, uint8_t *res, size_t *res_len,
		   uint8_t *auts);
#define osmo_gen osmo_auth_gen_vec
#define osmo_check milenage_check

static double osmo_auc_rate(void)
{
	struct osmo_sub_auth_data aud[NSUB];
	struct osmo_auth_vector vec;
	struct sf_rng_det det;
	uint8_t rands[BATCH * 16];
	const struct sf_rng *rng = sf_rng_system();
	sf_rng_det_init(&det, 0xBE7C4);
	for (int s = 0; s < NSUB; s++) {
		memset(&aud[s], 0, sizeof(aud[s]));
		aud[s].type = OSMO_AUTH_TYPE_UMTS;
		aud[s].algo = OSMO_AUTH_ALG_MILENAGE;
		sf_rng_fill(&det.rng, aud[s].u.umts.k, 16);
		sf_rng_fill(&det.rng, aud[s].u.umts.opc, 16);
		aud[s].u.umts.amf[0] = 0x80;
		aud[s].u.umts.ind_bitlen = SF_SQN_IND_BITS_DEFAULT;
		aud[s].u.umts.ind = (unsigned)s;
	}
	uint64_t n = 0;
	double t0 = now_s(), t;
	do {
		for (int s = 0; s < NSUB; s++) {
			int rc = sf_rng_fill(rng, rands, sizeof(rands));
			if (rc)
				die("RNG", rc);
			for (int i = 0; i < BATCH; i++) {
				if (osmo_gen(&vec, &aud[s], rands + 16 * i) != 0)
					die("osmo_auth_gen_vec", SF_EINTERNAL);
				g_sink ^= vec.autn[15];
			}
			n += BATCH;
		}
		t = now_s() - t0;
	} while (t < MEASURE_S);
	memset(aud, 0, sizeof(aud));
	memset(&vec, 0, sizeof(vec));
	return (double)n / t;
}

static double osmo_usim_rate(void)
{
	struct sf_aka_ctx ctx[NSUB];
	struct sf_sqn_he he[NSUB];
	uint8_t ik[16], ck[16], res[16], auts[14], sqn0[6] = {0};
	size_t res_len;
	setup_subscribers(ctx, he, SF_AKA_ALG_MILENAGE);
	make_ring(&ctx[0]); /* same subscriber, same challenges as ours */
	uint64_t n = 0;
	double t0 = now_s(), t;
	do {
		for (size_t i = 0; i < USIM_RING; i++) {
			/* sqn0: the card's stored SQN; every ring SQN is above it */
			int rc = osmo_check(ctx[0].p.opc, ctx[0].p.k, sqn0, g_ring[i].rand,
			                    g_ring[i].autn, ik, ck, res, &res_len, auts);
			if (rc != 0)
				die("milenage_check", SF_EINTERNAL);
			g_sink ^= res[0];
		}
		n += USIM_RING;
		t = now_s() - t0;
	} while (t < MEASURE_S);
	for (int s = 0; s < NSUB; s++)
		sf_aka_free(&ctx[s]);
	memset(ik, 0, sizeof(ik));
	memset(ck, 0, sizeof(ck));
	memset(res, 0, sizeof(res));
	return (double)n / t;
}
#endif

static void row(const char *name, const char *unit, double v, const char *peer, double pv,
                double target)
{
	printf("{\"name\":\"%s\",\"unit\":\"%s\",\"value\":%.0f", name, unit, v);
	if (peer) {
		printf(",\"peer\":\"%s\"", peer);
		if (pv > 0)
			printf(",\"peer_value\":%.0f,\"ratio\":%.2f", pv, v / pv);
		else
			printf(",\"peer_value\":null,\"ratio\":null");
	}
	if (target > 0)
		printf(",\"target\":%.0f", target);
	printf(",\"aes\":\"%s\",\"threads\":1}\n", sf_aka_aes_impl());
	fflush(stdout);
}

int main(void)
{
	double peer_auc = 0, peer_usim = 0;
	const char *peer_auc_name = "libosmocore osmo_auth_gen_vec";
	const char *peer_usim_name = "libosmocore milenage_check";
#ifdef SF_HAVE_OSMOCORE
	peer_auc = osmo_auc_rate();
	peer_usim = osmo_usim_rate();
#else
	fprintf(stderr, "bench_aka: warning: built without libosmocore: no peer figures\n");
#endif
	double auc = auc_rate(SF_AKA_ALG_MILENAGE);
	row("aka.milenage.auc_vectors", "vectors/s", auc, peer_auc_name, peer_auc, TARGET_AUC);
	if (auc < TARGET_AUC)
		fprintf(stderr, "bench_aka: warning: aka.milenage.auc_vectors %.0f < target %.0f\n",
		        auc, TARGET_AUC);
	if (peer_auc > 0 && auc / peer_auc < TARGET_RATIO)
		fprintf(stderr, "bench_aka: warning: aka.milenage.auc_vectors ratio %.2f < %.0f\n",
		        auc / peer_auc, TARGET_RATIO);

	double usim = usim_rate();
	row("aka.milenage.usim_checks", "checks/s", usim, peer_usim_name, peer_usim, TARGET_USIM);
	if (usim < TARGET_USIM)
		fprintf(stderr, "bench_aka: warning: aka.milenage.usim_checks %.0f < target %.0f\n",
		        usim, TARGET_USIM);

	double tuak = auc_rate(SF_AKA_ALG_TUAK);
	row("aka.tuak.auc_vectors", "vectors/s", tuak, NULL, 0, 0);
	return 0;
}
