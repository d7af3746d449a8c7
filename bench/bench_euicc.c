/*
 * Software eUICC benchmarks (make bench), one JSON object per line:
 *   euicc.apdu_roundtrips        in-process C-APDU -> R-APDU (STATUS and READ
 *                                BINARY on the enabled USIM), round trips/s
 *   euicc.authenticate           AUTHENTICATE 3G context, each one committing
 *                                the SQN array to the vault (fsync) before RES
 *                                leaves, per second
 *   euicc.install_ts48           install of a GSMA TS.48 v7 package (if
 *                                ../shared/gsma is there), milliseconds
 *   euicc.idle_ram               heap per idle eUICC instance with one enabled
 *                                profile, beyond the profile's own file system
 *                                arena, octets (target <= 65536)
 * No peer runs here: the software eUICC has no counterpart among the
 * installed packages; figures are absolute and machine dependent.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "simfleet/aka.h"
#include "simfleet/err.h"
#include "simfleet/euicc.h"
#include "simfleet/saip.h"
#include "simfleet/util.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const uint8_t K[16] = {0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
			      0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc};
static const uint8_t OPC[16] = {0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e,
				0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf};

static size_t build(uint8_t *dst, size_t cap)
{
	struct sf_saip_build_params p;
	struct sf_saip_error err;
	memset(&p, 0, sizeof(p));
	p.iccid = "89000123456789012341";
	p.imsi = "001010123456789";
	p.algorithm = SF_SAIP_ALG_MILENAGE;
	p.k = K;
	p.k_len = 16;
	p.opc = OPC;
	p.opc_len = 16;
	size_t n = 0;
	if (sf_saip_build(&p, dst, cap, &n, &err))
		exit(1);
	return n;
}

static struct sf_euicc *make(const char *dir, const uint8_t *pkg, size_t len)
{
	struct sf_euicc *e;
	if (sf_euicc_create(dir, NULL, SF_EUICC_TEST_MODE, NULL) || sf_euicc_open(&e, dir) ||
	    sf_euicc_install_local(e, pkg, len, 1, NULL, NULL)) {
		fprintf(stderr, "bench_euicc: cannot set up an eUICC in %s\n", dir);
		exit(1);
	}
	return e;
}

static void xmit(struct sf_euicc *e, const uint8_t *c, size_t n, uint8_t *r, size_t *rn)
{
	if (sf_euicc_transmit(e, c, n, r, 4096, rn))
		exit(1);
}

int main(void)
{
	char root[] = "/tmp/sf-bench-euicc-XXXXXX";
	if (!mkdtemp(root))
		return 1;
	char dir[256];
	uint8_t pkg[8192], r[4096];
	size_t len = build(pkg, sizeof(pkg)), rn;
	snprintf(dir, sizeof(dir), "%s/a", root);
	struct sf_euicc *e = make(dir, pkg, len);

	/* APDU round trips: SELECT the USIM, then STATUS / READ BINARY of EF_IMSI. */
	static const uint8_t sel[] = {0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02};
	static const uint8_t sel_imsi[] = {0x00, 0xA4, 0x00, 0x0C, 0x02, 0x6F, 0x07};
	static const uint8_t rd[] = {0x00, 0xB0, 0x00, 0x00, 0x09};
	static const uint8_t st[] = {0x80, 0xF2, 0x00, 0x0C};
	xmit(e, sel, sizeof(sel), r, &rn);
	xmit(e, sel_imsi, sizeof(sel_imsi), r, &rn);
	long n = 0;
	double t0 = now(), t;
	do {
		for (int i = 0; i < 1000; i++) {
			xmit(e, rd, sizeof(rd), r, &rn);
			xmit(e, st, sizeof(st), r, &rn);
		}
		n += 2000;
	} while ((t = now() - t0) < 1.0);
	xmit(e, rd, sizeof(rd), r, &rn);
	if (rn != 11 || r[9] != 0x90 || r[10] != 0x00) {
		fprintf(stderr, "bench_euicc: READ BINARY did not answer as expected\n");
		return 1;
	}
	printf("{\"name\":\"euicc.apdu_roundtrips\",\"unit\":\"roundtrips/s\",\"value\":%.0f}\n", n / t);

	/* AUTHENTICATE, each committing the SQN array durably. */
	struct sf_aka_params p;
	struct sf_aka_ctx ctx;
	sf_aka_params_init(&p, SF_AKA_ALG_MILENAGE);
	memcpy(p.k, K, 16);
	memcpy(p.opc, OPC, 16);
	sf_aka_init(&ctx, &p);
	uint8_t cmd[40] = {0x00, 0x88, 0x00, 0x81, 0x22, 0x10};
	const uint8_t amf[2] = {0x80, 0x00};
	xmit(e, sel, sizeof(sel), r, &rn);
	n = 0;
	t0 = now();
	do {
		struct sf_aka_vector v;
		uint8_t rand[16] = {1, 2, 3}, sqn[6];
		memcpy(rand + 8, &n, sizeof(n));
		sf_sqn_store(sqn, (uint64_t)(n + 1) << 5);
		sf_aka_vector_compute(&ctx, rand, sqn, amf, &v);
		memcpy(cmd + 6, v.rand, 16);
		cmd[22] = 0x10;
		memcpy(cmd + 23, v.autn, 16);
		cmd[39] = 0x00;
		xmit(e, cmd, 40, r, &rn);
		if (rn < 2 || r[rn - 2] != 0x61) {
			fprintf(stderr, "bench_euicc: AUTHENTICATE refused (%02X%02X)\n", r[rn - 2], r[rn - 1]);
			return 1;
		}
		n++;
	} while ((t = now() - t0) < 1.0);
	printf("{\"name\":\"euicc.authenticate\",\"unit\":\"authentications/s\",\"value\":%.0f,"
	       "\"note\":\"SQN array committed with fsync before each RES\"}\n",
	       n / t);
	sf_aka_free(&ctx);
	sf_euicc_close(e);

	/* Install of a TS.48 package. */
	const char *shared = getenv("SF_SHARED") ? getenv("SF_SHARED") : "../shared";
	char ts48[512];
	snprintf(ts48, sizeof(ts48), "%s/gsma/ts48-v7/TS48_V7.0_eSIM_GTP_SAIP2.3_BERTLV_SUCI.der", shared);
	FILE *f = fopen(ts48, "rb");
	if (f) {
		static uint8_t big[65536];
		size_t bl = fread(big, 1, sizeof(big), f);
		fclose(f);
		double best = 1e9;
		for (int i = 0; i < 5; i++) {
			struct sf_euicc *x;
			snprintf(dir, sizeof(dir), "%s/ts48-%d", root, i);
			if (sf_euicc_create(dir, NULL, SF_EUICC_TEST_MODE, NULL) || sf_euicc_open(&x, dir))
				return 1;
			t0 = now();
			int rc = sf_euicc_install_local(x, big, bl, 0, NULL, NULL);
			t = now() - t0;
			sf_euicc_close(x);
			if (rc) {
				fprintf(stderr, "bench_euicc: TS.48 install failed: %s\n", sf_strerror(rc));
				return 1;
			}
			if (t < best)
				best = t;
		}
		printf("{\"name\":\"euicc.install_ts48\",\"unit\":\"ms\",\"value\":%.2f,\"package_octets\":%zu}\n",
		       best * 1000, bl);
	} else {
		fprintf(stderr, "bench_euicc: %s not found: no TS.48 install figure\n", ts48);
	}

	/* Heap per idle instance: open N eUICCs with one enabled profile each. */
	enum { N = 50 };
	static struct sf_euicc *inst[N];
	for (int i = 0; i < N; i++) {
		snprintf(dir, sizeof(dir), "%s/i%d", root, i);
		inst[i] = make(dir, pkg, len);
		sf_euicc_close(inst[i]);
	}
	struct mallinfo2 m0 = mallinfo2();
	for (int i = 0; i < N; i++) {
		snprintf(dir, sizeof(dir), "%s/i%d", root, i);
		if (sf_euicc_open(&inst[i], dir))
			return 1;
	}
	struct mallinfo2 m1 = mallinfo2();
	for (int i = 0; i < N; i++)
		sf_euicc_close(inst[i]);
	/* The profile's own arena is the "stored profile" part. */
	size_t per = (m1.uordblks - m0.uordblks) / N;
	printf("{\"name\":\"euicc.idle_ram\",\"unit\":\"octets\",\"value\":%zu,\"target\":65536,"
	       "\"includes\":\"eUICC object, card engine, ISD-R, vault index; plus a %zu-octet "
	       "profile package's file system\"}\n",
	       per, len);

	char cmdline[300];
	snprintf(cmdline, sizeof(cmdline), "rm -rf '%s'", root);
	return system(cmdline) == 0 ? 0 : 1;
}
