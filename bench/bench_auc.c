/*
 * AuC throughput with a durable SQN (include/simfleet/auc.h): vectors per
 * second issued through sf_auc_vectors() in batches of requests spread over
 * 1,000 Milenage subscribers, each batch one fsync'ed transaction (group
 * commit).  The database lives in $TMPDIR (default /tmp): the figure depends
 * on that disk's fsync latency.  Prints one JSON line per batch size, like
 * the other benches.  The osmo-hlr comparison comes with `auc serve`.
 *
 * Usage: bench_auc [SECONDS_PER_FIGURE (default 1)]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "simfleet/auc.h"
#include "simfleet/err.h"

enum { SUBS = 1000, MAX_BATCH = 256, PER_REQ = 1 };

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "bench_auc: %s: %s (%s)\n", what, sf_strerror(rc), sf_err_name(rc));
	return 1;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[256], db[300], cmd[600];
	uint8_t key[32];
	struct sf_auc *auc = NULL;
	static struct sf_auc_sub subs[SUBS];
	static struct sf_auc_vec out[MAX_BATCH][PER_REQ];
	static struct sf_auc_req req[MAX_BATCH];
	int rc;

	if (secs <= 0)
		secs = 1.0;
	snprintf(dir, sizeof(dir), "%s/bench_auc_XXXXXX", tmpdir);
	if (!mkdtemp(dir))
		return fail("mkdtemp", SF_EIO);
	snprintf(db, sizeof(db), "%s/auc.db", dir);
	if ((rc = sf_rng_fill(sf_rng_system(), key, 32)) != 0)
		return fail("master key", rc);
	if ((rc = sf_auc_create(db, key, NULL, &auc)) != 0)
		return fail("create", rc);
	for (int i = 0; i < SUBS; i++) {
		sf_auc_sub_init(&subs[i], SF_AKA_ALG_MILENAGE);
		snprintf(subs[i].imsi, sizeof(subs[i].imsi), "00101%010d", i);
		sf_rng_fill(sf_rng_system(), subs[i].params.k, 16);
		sf_rng_fill(sf_rng_system(), subs[i].params.opc, 16);
	}
	if ((rc = sf_auc_import(auc, subs, SUBS, NULL)) != 0)
		return fail("import", rc);

	static const int batches[] = {1, 16, 64, 256};
	unsigned next = 0;
	for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
		int bs = batches[b];
		double t0 = now(), t;
		unsigned long vecs = 0, commits = 0;
		do {
			for (int i = 0; i < bs; i++) {
				memset(&req[i], 0, sizeof(req[i]));
				req[i].imsi = subs[next++ % SUBS].imsi;
				req[i].n = PER_REQ;
				req[i].type = SF_AUC_V3G;
				req[i].out = out[i];
			}
			if ((rc = sf_auc_vectors(auc, req, (size_t)bs)) != 0)
				return fail("vectors", rc);
			for (int i = 0; i < bs; i++)
				if (req[i].result)
					return fail("vectors (request)", req[i].result);
			vecs += (unsigned long)bs * PER_REQ;
			commits++;
			t = now();
		} while (t - t0 < secs);
		printf("{\"name\":\"auc.vectors_durable.batch%d\",\"unit\":\"vectors/"
		       "s\",\"value\":%.0f,"
		       "\"subscribers\":%d,\"batch\":%d,\"commits_per_s\":%.0f,\"peer\":null,"
		       "\"threads\":1}\n",
		       bs, (double)vecs / (t - t0), SUBS, bs, (double)commits / (t - t0));
		fflush(stdout);
	}
	sf_auc_close(auc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_auc: could not remove %s\n", dir);
	return 0;
}
