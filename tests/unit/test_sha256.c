/*
 * SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104) of src/common/sha256.c:
 *  - the FIPS 180-2 Appendix B examples ("abc", the 448-bit message, one
 *    million 'a'), plus the empty message;
 *  - incremental hashing of a 200-octet message split at every offset, and in
 *    three pieces, against the one-shot digest;
 *  - every message length 0..300 (all padding cases) against OpenSSL;
 *  - RFC 4231 test cases 1-7 (case 5 truncated to 128 bits), incremental HMAC,
 *    and every key length 0..200 against OpenSSL;
 *  - final() wipes the context.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "helper_tsv.h"
#include "simfleet/sha256.h"

static void check_digest(const char *label, const void *msg, size_t len, const char *hex)
{
	uint8_t want[32], got[32];
	sf_test_unhex(hex, want, sizeof(want));
	sf_sha256(msg, len, got);
	sf_assert_mem(label, got, want, 32);
}

/* FIPS 180-2 Appendix B.1, B.2, B.3. */
static void test_fips_examples(void **state)
{
	(void)state;
	check_digest("SHA-256(\"\")", "", 0,
		     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_digest("SHA-256(\"abc\")", "abc", 3,
		     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	check_digest("SHA-256(448-bit message)", m448, strlen(m448),
		     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_million_a(void **state)
{
	(void)state;
	/* Fed in uneven chunks so the buffered path is exercised too. */
	uint8_t chunk[997];
	memset(chunk, 'a', sizeof(chunk));
	struct sf_sha256 s;
	sf_sha256_init(&s);
	size_t left = 1000000;
	while (left) {
		size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
		sf_sha256_update(&s, chunk, n);
		left -= n;
	}
	uint8_t got[32], want[32];
	sf_sha256_final(&s, got);
	sf_test_unhex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", want, 32);
	sf_assert_mem("SHA-256(10^6 x 'a')", got, want, 32);
}

static void fill_msg(uint8_t *m, size_t len)
{
	for (size_t i = 0; i < len; i++)
		m[i] = (uint8_t)(i * 7 + 3);
}

static void test_incremental_splits(void **state)
{
	(void)state;
	uint8_t msg[200], ref[32], got[32], want[32];
	fill_msg(msg, sizeof(msg));
	sf_sha256(msg, sizeof(msg), ref);
	/* Value from Python hashlib (OpenSSL) for this message. */
	sf_test_unhex("2c7e18c942ef065b526a2d4e5546283749cd3ddfb51d8fc71f42717363685f46", want, 32);
	sf_assert_mem("one-shot 200 octets", ref, want, 32);

	for (size_t i = 0; i <= sizeof(msg); i++) {
		struct sf_sha256 s;
		sf_sha256_init(&s);
		sf_sha256_update(&s, msg, i);
		sf_sha256_update(&s, msg + i, sizeof(msg) - i);
		sf_sha256_final(&s, got);
		if (memcmp(got, ref, 32) != 0)
			fail_msg("two-piece split at %zu differs", i);
	}
	for (size_t i = 0; i <= sizeof(msg); i += 3) {
		for (size_t j = i; j <= sizeof(msg); j += 5) {
			struct sf_sha256 s;
			sf_sha256_init(&s);
			sf_sha256_update(&s, msg, i);
			sf_sha256_update(&s, NULL, 0);
			sf_sha256_update(&s, msg + i, j - i);
			sf_sha256_update(&s, msg + j, sizeof(msg) - j);
			sf_sha256_final(&s, got);
			if (memcmp(got, ref, 32) != 0)
				fail_msg("three-piece split at %zu/%zu differs", i, j);
		}
	}
	/* One octet at a time. */
	struct sf_sha256 s;
	sf_sha256_init(&s);
	for (size_t i = 0; i < sizeof(msg); i++)
		sf_sha256_update(&s, msg + i, 1);
	sf_sha256_final(&s, got);
	sf_assert_mem("octet by octet", got, ref, 32);
}

static void test_all_lengths_vs_openssl(void **state)
{
	(void)state;
	uint8_t msg[300], got[32], want[32];
	fill_msg(msg, sizeof(msg));
	for (size_t len = 0; len <= sizeof(msg); len++) {
		sf_sha256(msg, len, got);
		SHA256(msg, len, want);
		if (memcmp(got, want, 32) != 0)
			fail_msg("SHA-256 of %zu octets differs from OpenSSL", len);
	}
}

static void test_final_wipes(void **state)
{
	(void)state;
	struct sf_sha256 s, zero;
	uint8_t out[32];
	memset(&zero, 0, sizeof(zero));
	sf_sha256_init(&s);
	sf_sha256_update(&s, "secret key material", 19);
	sf_sha256_final(&s, out);
	sf_assert_mem("sha256 context after final", &s, &zero, sizeof(s));

	struct sf_hmac_sha256 h, hz;
	memset(&hz, 0, sizeof(hz));
	sf_hmac_sha256_init(&h, (const uint8_t *)"key", 3);
	sf_hmac_sha256_update(&h, "data", 4);
	sf_hmac_sha256_final(&h, out);
	sf_assert_mem("hmac context after final", &h, &hz, sizeof(h));
}

/* RFC 4231 §4.2 - §4.8. */
struct hmac_case {
	const char *name;
	uint8_t key[131];
	size_t key_len;
	const char *data;
	size_t data_len;
	size_t out_len;
	const char *mac;
};

static void test_rfc4231(void **state)
{
	(void)state;
	static const char tc7_data[] =
		"This is a test using a larger than block-size key and a larger than block-size "
		"data. The key needs to be hashed before being used by the HMAC algorithm.";
	static const char tc6_data[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	uint8_t dd[50], cd[50];
	memset(dd, 0xdd, sizeof(dd));
	memset(cd, 0xcd, sizeof(cd));

	struct hmac_case tc[7];
	memset(tc, 0, sizeof(tc));
	tc[0].name = "RFC 4231 test case 1";
	memset(tc[0].key, 0x0b, 20);
	tc[0].key_len = 20;
	tc[0].data = "Hi There";
	tc[0].data_len = 8;
	tc[0].out_len = 32;
	tc[0].mac = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";

	tc[1].name = "RFC 4231 test case 2";
	memcpy(tc[1].key, "Jefe", 4);
	tc[1].key_len = 4;
	tc[1].data = "what do ya want for nothing?";
	tc[1].data_len = 28;
	tc[1].out_len = 32;
	tc[1].mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

	tc[2].name = "RFC 4231 test case 3";
	memset(tc[2].key, 0xaa, 20);
	tc[2].key_len = 20;
	tc[2].data = (const char *)dd;
	tc[2].data_len = 50;
	tc[2].out_len = 32;
	tc[2].mac = "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe";

	tc[3].name = "RFC 4231 test case 4";
	for (int i = 0; i < 25; i++)
		tc[3].key[i] = (uint8_t)(i + 1);
	tc[3].key_len = 25;
	tc[3].data = (const char *)cd;
	tc[3].data_len = 50;
	tc[3].out_len = 32;
	tc[3].mac = "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b";

	tc[4].name = "RFC 4231 test case 5 (truncated to 128 bits)";
	memset(tc[4].key, 0x0c, 20);
	tc[4].key_len = 20;
	tc[4].data = "Test With Truncation";
	tc[4].data_len = 20;
	tc[4].out_len = 16;
	tc[4].mac = "a3b6167473100ee06e0c796c2955552b";

	tc[5].name = "RFC 4231 test case 6";
	memset(tc[5].key, 0xaa, 131);
	tc[5].key_len = 131;
	tc[5].data = tc6_data;
	tc[5].data_len = strlen(tc6_data);
	tc[5].out_len = 32;
	tc[5].mac = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";

	tc[6].name = "RFC 4231 test case 7";
	memset(tc[6].key, 0xaa, 131);
	tc[6].key_len = 131;
	tc[6].data = tc7_data;
	tc[6].data_len = strlen(tc7_data);
	tc[6].out_len = 32;
	tc[6].mac = "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2";

	for (size_t i = 0; i < 7; i++) {
		uint8_t want[32], got[32];
		size_t n = sf_test_unhex(tc[i].mac, want, sizeof(want));
		assert_int_equal(n, tc[i].out_len);
		sf_hmac_sha256(tc[i].key, tc[i].key_len, tc[i].data, tc[i].data_len, got);
		sf_assert_mem(tc[i].name, got, want, n);

		/* The same through init/update/final, data split at every offset. */
		for (size_t cut = 0; cut <= tc[i].data_len; cut++) {
			struct sf_hmac_sha256 h;
			sf_hmac_sha256_init(&h, tc[i].key, tc[i].key_len);
			sf_hmac_sha256_update(&h, tc[i].data, cut);
			sf_hmac_sha256_update(&h, tc[i].data + cut, tc[i].data_len - cut);
			sf_hmac_sha256_final(&h, got);
			if (memcmp(got, want, n) != 0)
				fail_msg("%s: incremental HMAC split at %zu differs", tc[i].name, cut);
		}
	}
}

static void test_hmac_key_lengths_vs_openssl(void **state)
{
	(void)state;
	uint8_t key[200], msg[150], got[32], want[32];
	unsigned int wl = 0;
	fill_msg(key, sizeof(key));
	fill_msg(msg, sizeof(msg));
	for (size_t kl = 0; kl <= sizeof(key); kl++) {
		size_t ml = (kl * 13) % sizeof(msg);
		sf_hmac_sha256(key, kl, msg, ml, got);
		assert_non_null(HMAC(EVP_sha256(), key, (int)kl, msg, ml, want, &wl));
		assert_int_equal(wl, 32);
		if (memcmp(got, want, 32) != 0)
			fail_msg("HMAC-SHA-256 with a %zu-octet key differs from OpenSSL", kl);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips_examples),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_incremental_splits),
		cmocka_unit_test(test_all_lengths_vs_openssl),
		cmocka_unit_test(test_final_wipes),
		cmocka_unit_test(test_rfc4231),
		cmocka_unit_test(test_hmac_key_lengths_vs_openssl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
