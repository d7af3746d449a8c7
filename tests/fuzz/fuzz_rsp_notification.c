/* libFuzzer target for what an SM-DP+ receives after a download
 * (src/rsp/smdp_bpp.c): sf_rsp_notification_parse (PendingNotification:
 * ProfileInstallationResult BF37 or OtherSignedNotification 30) and
 * sf_rsp_smdp_check_cancel (CancelSessionResponse BF41).
 *
 * Input: the message itself, copied into an exact-size heap buffer (ASan
 * sees any over-read).  Both functions run on it.  Checked besides "no
 * crash": a parse that succeeds points only inside the input, its strings
 * are terminated, and every strict prefix of an accepted message is
 * refused.  Seeds (corpus_rsp_notification/): PIRs (success, error), an
 * other notification with its certificates and CancelSession responses,
 * written by test_rsp_bpp_smdp when SF_WRITE_SEEDS names this directory:
 *   SF_WRITE_SEEDS=tests/fuzz/corpus_rsp_notification build-a/tests/test_rsp_bpp_smdp */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simfleet/bpp.h"
#include "simfleet/err.h"
#include "simfleet/rsp.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static int inside(const uint8_t *p, size_t n, const uint8_t *b, size_t len)
{
	return p >= b && n <= len && (size_t)(p - b) <= len - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sf_rsp_notification n;
	struct sf_rsp_smdp_session s;
	uint8_t *b = malloc(size ? size : 1);
	int reason, err;

	if (b == NULL)
		return 0;
	memcpy(b, data, size);
	if (sf_rsp_notification_parse(b, size, &n) == 0) {
		CHECK(inside(n.signed_data, n.signed_len, b, size));
		CHECK(inside(n.signature, 64, b, size));
		CHECK(memchr(n.address, 0, sizeof(n.address)) != NULL && n.address[0] != 0);
		CHECK(memchr(n.iccid, 0, sizeof(n.iccid)) != NULL);
		CHECK(n.event <= 3 && (n.event == 0) == (n.is_pir != 0));
		if (n.is_pir) {
			CHECK(n.tid_len >= 1 && n.tid_len <= SF_RSP_TID_LEN);
			CHECK(n.success ? (n.isdp_aid_len >= 5 && n.isdp_aid_len <= 16)
			                : (n.bpp_command_id >= 0 && n.error_reason >= 0));
		} else {
			CHECK(inside(n.euicc_cert, n.euicc_cert_len, b, size));
			CHECK(inside(n.eum_cert, n.eum_cert_len, b, size));
		}
		/* an accepted message has no accepted strict prefix */
		for (size_t k = 0; k < size; k++) {
			uint8_t *c = malloc(k ? k : 1);
			if (c == NULL)
				break;
			memcpy(c, b, k);
			CHECK(sf_rsp_notification_parse(c, k, &n) != 0);
			free(c);
		}
	}

	/* CancelSession against a session in state 2 whose PK.EUICC is the
	 * P-256 generator (a valid point: the signature check is reached). */
	static const uint8_t G[65] = {
	    0x04, 0x6B, 0x17, 0xD1, 0xF2, 0xE1, 0x2C, 0x42, 0x47, 0xF8, 0xBC, 0xE6, 0xE5,
	    0x63, 0xA4, 0x40, 0xF2, 0x77, 0x03, 0x7D, 0x81, 0x2D, 0xEB, 0x33, 0xA0, 0xF4,
	    0xA1, 0x39, 0x45, 0xD8, 0x98, 0xC2, 0x96, 0x4F, 0xE3, 0x42, 0xE2, 0xFE, 0x1A,
	    0x7F, 0x9B, 0x8E, 0xE7, 0xEB, 0x4A, 0x7C, 0x0F, 0x9E, 0x16, 0x2B, 0xCE, 0x33,
	    0x57, 0x6B, 0x31, 0x5E, 0xCE, 0xCB, 0xB6, 0x40, 0x68, 0x37, 0xBF, 0x51, 0xF5};
	memset(&s, 0, sizeof(s));
	s.state = 2;
	s.tid_len = 16;
	memcpy(s.euicc_pk, G, sizeof(G));
	s.euicc_curve = SF_EC_P256;
	reason = err = -1;
	int rc = sf_rsp_smdp_check_cancel(&s, b, size, &reason, &err);
	CHECK(rc <= 0);
	if (rc == 0)
		CHECK(reason >= 0 && reason <= 127);
	if (rc == SF_ERSP_EUICC_ERROR)
		CHECK(err >= 0 && err <= 255);
	free(b);
	return 0;
}
