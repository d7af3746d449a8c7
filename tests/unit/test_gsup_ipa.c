/*
 * The IPA framing helpers of `auc serve --gsup` (src/cli/ipa.c):
 *   - the frame splitter on whole, partial, back-to-back, empty and oversized
 *     frames, and on every prefix of a stream of frames;
 *   - the header writer (3 octets, 4 with the extension octet, limits);
 *   - the ID_GET the server sends (osmo-hlr's tags, a consistent length);
 *   - the ID_RESP tag reader on a response as libosmocore's IPA client
 *     builds it, on missing tags, truncation, non-printable octets and
 *     malformed bodies (every truncation of a valid body).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "gsup_ipa.h"

static void test_split(void **state)
{
	(void)state;
	/* PING, then OSMO/GSUP with a 3-octet body, back to back. */
	const uint8_t s[] = {0x00, 0x01, 0xFE, 0x00, 0x00, 0x04, 0xEE, 0x05, 0x08, 0x01, 0x00};
	assert_int_equal(sf__ipa_frame_len(s, sizeof(s), 4096), 4);
	assert_int_equal(sf__ipa_frame_len(s + 4, sizeof(s) - 4, 4096), 7);
	for (size_t n = 0; n < 4; n++)
		assert_int_equal(sf__ipa_frame_len(s, n, 4096), 0);
	for (size_t n = 0; n < 7; n++)
		assert_int_equal(sf__ipa_frame_len(s + 4, n, 4096), 0);
	/* Walking the stream with every split point finds the same frames. */
	for (size_t cut = 0; cut <= sizeof(s); cut++) {
		size_t off = 0, frames = 0;
		long fl;
		while ((fl = sf__ipa_frame_len(s + off, cut - off, 4096)) > 0) {
			off += (size_t)fl;
			frames++;
		}
		assert_true(fl == 0);
		assert_int_equal(frames, cut >= 11 ? 2 : cut >= 4 ? 1 : 0);
	}
	/* Empty payload and too long are refused once the header is there. */
	const uint8_t empty[] = {0x00, 0x00, 0xEE};
	assert_int_equal(sf__ipa_frame_len(empty, 3, 4096), -1);
	assert_int_equal(sf__ipa_frame_len(empty, 2, 4096), 0);
	const uint8_t big[] = {0x10, 0x01, 0xEE};
	assert_int_equal(sf__ipa_frame_len(big, 3, 4096), -1);
	const uint8_t max[] = {0x10, 0x00, 0xEE};
	assert_int_equal(sf__ipa_frame_len(max, 3, 4096), 0);
	assert_int_equal(sf__ipa_frame_len(max, 3 + 4096, 4096), 3 + 4096);
	const uint8_t http[] = {'G', 'E', 'T'};
	assert_int_equal(sf__ipa_frame_len(http, 3, 4096), -1);
}

static void test_header(void **state)
{
	(void)state;
	uint8_t h[4] = {0};
	assert_int_equal(sf__ipa_header(h, SF_IPA_PROTO_OSMO, SF_IPA_EXT_GSUP, 0x123), 4);
	const uint8_t want[] = {0x01, 0x23, 0xEE, 0x05};
	assert_memory_equal(h, want, 4);
	assert_int_equal(sf__ipa_header(h, SF_IPA_PROTO_CCM, -1, 1), 3);
	const uint8_t want3[] = {0x00, 0x01, 0xFE};
	assert_memory_equal(h, want3, 3);
	assert_int_equal(sf__ipa_header(h, SF_IPA_PROTO_OSMO, 5, 0), 0);
	assert_int_equal(sf__ipa_header(h, SF_IPA_PROTO_OSMO, 5, 0x10000), 0);
	assert_int_equal(sf__ipa_header(h, SF_IPA_PROTO_OSMO, 5, 0xFFFF), 4);
}

static void test_id_get(void **state)
{
	(void)state;
	const uint8_t *g = sf__ipa_id_get;
	assert_int_equal(sf__ipa_frame_len(g, sizeof(sf__ipa_id_get), 4096),
	                 (long)sizeof(sf__ipa_id_get));
	assert_int_equal(g[2], SF_IPA_PROTO_CCM);
	assert_int_equal(g[3], SF_IPA_CCM_ID_GET);
	/* Eight (0x01, TAG) requests, unit name and serial number among them. */
	int seen_name = 0, seen_serial = 0;
	for (size_t i = 4; i < sizeof(sf__ipa_id_get); i += 2) {
		assert_int_equal(g[i], 0x01);
		seen_name |= g[i + 1] == SF_IPA_TAG_UNITNAME;
		seen_serial |= g[i + 1] == SF_IPA_TAG_SERNR;
	}
	assert_true(seen_name && seen_serial);
}

/* An ID_RESP body as libosmocore builds it: (len16, tag, "value\0"). */
static size_t put(uint8_t *b, size_t off, uint8_t tag, const char *v)
{
	size_t vl = strlen(v) + 1;
	b[off] = (uint8_t)((vl + 1) >> 8);
	b[off + 1] = (uint8_t)(vl + 1);
	b[off + 2] = tag;
	memcpy(b + off + 3, v, vl);
	return off + 3 + vl;
}

static void test_id_resp(void **state)
{
	(void)state;
	uint8_t b[256];
	size_t n = put(b, 0, 0x08, "0/0/0");
	n = put(b, n, SF_IPA_TAG_UNITNAME, "msc-1");
	n = put(b, n, SF_IPA_TAG_SERNR, "MSC-00-00-00-00-00-00");
	char out[64];
	assert_int_equal(sf__ipa_id_resp_tag(b, n, SF_IPA_TAG_SERNR, out, sizeof(out)), 0);
	assert_string_equal(out, "MSC-00-00-00-00-00-00");
	assert_int_equal(sf__ipa_id_resp_tag(b, n, SF_IPA_TAG_UNITNAME, out, sizeof(out)), 0);
	assert_string_equal(out, "msc-1");
	assert_int_equal(sf__ipa_id_resp_tag(b, n, 0x07, out, sizeof(out)), 1);
	assert_string_equal(out, "");
	/* Truncated to the buffer. */
	char small[4];
	assert_int_equal(sf__ipa_id_resp_tag(b, n, SF_IPA_TAG_UNITNAME, small, sizeof(small)), 0);
	assert_string_equal(small, "msc");
	/* Every cut inside an entry is malformed; cuts between entries are not. */
	size_t ends[] = {9, 18, n};
	for (size_t cut = 1; cut < n; cut++) {
		int at_end = cut == ends[0] || cut == ends[1];
		int rc = sf__ipa_id_resp_tag(b, cut, 0x7F, out, sizeof(out));
		assert_int_equal(rc, at_end ? 1 : -1);
	}
	assert_int_equal(sf__ipa_id_resp_tag(b, 0, SF_IPA_TAG_SERNR, out, sizeof(out)), 1);
	/* A zero entry length is malformed, non-printable octets are masked. */
	const uint8_t zero[] = {0x00, 0x00, 0x01};
	assert_int_equal(sf__ipa_id_resp_tag(zero, 3, 0x01, out, sizeof(out)), -1);
	const uint8_t ctl[] = {0x00, 0x04, 0x01, 'a', 0x1B, 'b'};
	assert_int_equal(sf__ipa_id_resp_tag(ctl, sizeof(ctl), 0x01, out, sizeof(out)), 0);
	assert_string_equal(out, "a?b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_header),
	    cmocka_unit_test(test_id_get),
	    cmocka_unit_test(test_id_resp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
