/* libFuzzer target for the SM-DP+'s parsers of the eUICC's signed answers
 * in a download (src/rsp/smdp_auth.c): the AuthenticateServerResponse (BF38)
 * in AuthenticateClient and the PrepareDownloadResponse (BF21) in
 * GetBoundProfilePackage.  (PendingNotifications and CancelSessionResponse:
 * fuzz_rsp_notification.)
 *
 * The first input octet selects the function (odd: BF38, even: BF21), the
 * rest is the eUICC's bytes.  A TEST PKI is generated once (LLVMFuzzerInitialize) so that the
 * SM-DP+ has real credentials and sessions in each state.  Besides "no
 * crash, no over-read", a refusal must leave the session as it was.
 * Build: cmake -DSF_FUZZ=ON -DCMAKE_C_COMPILER=clang; run:
 *   fuzz_rsp_smdp -max_total_time=60 tests/fuzz/corpus_rsp_smdp
 * Seeds (real eUICC answers from a download into the software eUICC):
 *   SF_FUZZ_SEEDS=tests/fuzz/corpus_rsp_smdp build/tests/test_euicc_rsp */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "simfleet/err.h"
#include "simfleet/pki.h"
#include "simfleet/rsp.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static struct sf_rsp_smdp dp;
static struct sf_rsp_smdp_session s1, s2; /* initiated; client authenticated */
static int64_t now;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/sf-fuzz-rsp-XXXXXX", p[6][300], cmd[400];
	static const char *const names[6] = {"ci.pem",   "dpauth.pem", "dpauth.key",
	                                     "dppb.pem", "dppb.key",   "eum.pem"};
	struct sf_pki_init_opts o;
	struct sf_rsp_init_auth ia;
	uint8_t challenge[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	/* EUICCInfo1 naming no CI is refused; the CI's SKI is filled in below */
	uint8_t info1[64];
	size_t n = 0;
	struct sf_ec_key *k = NULL;
	(void)argc;
	(void)argv;

	now = (int64_t)time(NULL);
	CHECK(mkdtemp(dir) != NULL);
	memset(&o, 0, sizeof(o));
	o.now = now - 3600;
	CHECK(sf_pki_init(dir, &o) == 0);
	for (int i = 0; i < 6; i++)
		snprintf(p[i], sizeof(p[i]), "%s/%s", dir, names[i]);
	CHECK(sf_rsp_smdp_load(&dp, "smdp.example.org", p[0], p[1], p[2], p[3], p[4], NULL) == 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);

	/* BF20 { 82 03 02 05 00, A9 { 04 SKI }, AA { 04 SKI } } */
	uint8_t body[60];
	size_t b = 0, sk = dp.ci_pkid_len;
	body[b++] = 0x82, body[b++] = 3, body[b++] = 2, body[b++] = 5, body[b++] = 0;
	for (int t = 0; t < 2; t++) {
		body[b++] = (uint8_t)(0xA9 + t), body[b++] = (uint8_t)(sk + 2);
		body[b++] = 0x04, body[b++] = (uint8_t)sk;
		memcpy(body + b, dp.ci_pkid, sk);
		b += sk;
	}
	info1[n++] = 0xBF, info1[n++] = 0x20, info1[n++] = (uint8_t)b;
	memcpy(info1 + n, body, b);
	n += b;
	CHECK(sf_rsp_smdp_initiate_authentication(&dp, &s1, challenge, info1, n, "smdp.example.org",
	                                          &ia) == 0);
	/* a session past AuthenticateClient, with some eUICC key */
	s2 = s1;
	s2.state = 2;
	snprintf(s2.eid, sizeof(s2.eid), "89049032123451234512345678901235");
	CHECK(sf_ec_key_generate(SF_EC_P256, &k) == 0);
	CHECK(sf_ec_key_point(k, s2.euicc_pk) == 0);
	s2.euicc_curve = SF_EC_P256;
	sf_ec_key_free(k);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *in = data + 1;
	size_t len = size - 1;
	int err = -1, rc;
	char why[128];

	if (data[0] & 1) { /* AuthenticateServerResponse */
		struct sf_rsp_smdp_session t = s1;
		struct sf_rsp_auth_client ac;
		rc = sf_rsp_smdp_authenticate_client(&dp, &t, s1.tid, s1.tid_len, in, len, 0, NULL,
		                                     now, &ac, &err, why, sizeof(why));
		if (rc != 0)
			CHECK(memcmp(&t, &s1, sizeof(t)) == 0);
	} else { /* PrepareDownloadResponse */
		uint8_t otpk[SF_EC_POINT_LEN];
		rc = sf_rsp_smdp_check_prepare_download(&s2, in, len, (const uint8_t *)"1234", 4, otpk,
		                                        &err);
		CHECK(rc != 0); /* nothing the fuzzer makes is signed by the eUICC's key */
	}
	return 0;
}
