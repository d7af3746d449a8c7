/* The shared basics: error table, hex, base64, constant-time compare, wipe,
 * the RNG seam, and the logger's secret-free fingerprints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "helper_tsv.h"
#include "simfleet/err.h"
#include "simfleet/log.h"
#include "simfleet/rng.h"
#include "simfleet/util.h"

static void test_err_table(void **state)
{
	(void)state;
	static const int codes[] = {
#define X(name, code, text) code,
		SF_ERRNO_MAP(X)
#undef X
	};
	size_t n = sizeof(codes) / sizeof(codes[0]);
	for (size_t i = 0; i < n; i++) {
		assert_true(codes[i] < 0);
		assert_string_not_equal(sf_strerror(codes[i]), "unknown error");
		assert_string_not_equal(sf_err_name(codes[i]), "UNKNOWN");
		for (size_t j = i + 1; j < n; j++)
			assert_int_not_equal(codes[i], codes[j]);
	}
	assert_string_equal(sf_err_name(SF_EAKA_MAC), "EAKA_MAC");
	assert_string_equal(sf_strerror(0), "success");
	assert_string_equal(sf_strerror(-9999), "unknown error");
	assert_string_equal(sf_err_name(-9999), "UNKNOWN");
}

static void test_hex(void **state)
{
	(void)state;
	uint8_t b[4] = {0xde, 0xad, 0x00, 0x0f}, d[4] = {0};
	char s[9];
	size_t n = 0;
	assert_int_equal(sf_hex_encode(s, sizeof(s), b, 4), 0);
	assert_string_equal(s, "dead000f");
	assert_int_equal(sf_hex_encode(s, 8, b, 4), SF_EBUFSIZE);
	assert_int_equal(sf_hex_decode(d, 4, &n, "DEAD000F", 8), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(d, b, 4);
	memset(d, 0x55, 4);
	assert_int_equal(sf_hex_decode(d, 4, &n, "dea", 3), SF_EHEX);
	assert_int_equal(sf_hex_decode(d, 4, &n, "de g", 4), SF_EHEX);
	assert_int_equal(sf_hex_decode(d, 4, &n, "0x00", 4), SF_EHEX);
	assert_int_equal(sf_hex_decode(d, 2, &n, "dead00", 6), SF_EBUFSIZE);
	/* Nothing is written on error. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(d[i], 0x55);
}

static void test_base64(void **state)
{
	(void)state;
	/* RFC 4648 §10 */
	static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
					  "Zm9vYmFy"};
	for (int i = 0; i < 7; i++) {
		char s[16];
		uint8_t d[8];
		size_t n = 99;
		assert_int_equal(sf_b64_encode(s, sizeof(s), &n, (const uint8_t *)in[i], strlen(in[i])), 0);
		assert_string_equal(s, out[i]);
		assert_int_equal(n, strlen(out[i]));
		assert_int_equal(sf_b64_decode(d, sizeof(d), &n, out[i], strlen(out[i])), 0);
		assert_int_equal(n, strlen(in[i]));
		assert_memory_equal(d, in[i], n);
	}
	uint8_t d[8];
	size_t n;
	assert_int_equal(sf_b64_decode(d, 8, &n, "Zm9", 3), SF_EBASE64);
	assert_int_equal(sf_b64_decode(d, 8, &n, "Zm9v\n", 5), SF_EBASE64);
	assert_int_equal(sf_b64_decode(d, 8, &n, "Zh==", 4), SF_EBASE64); /* non-zero pad bits */
	assert_int_equal(sf_b64_decode(d, 8, &n, "Z===", 4), SF_EBASE64);
	assert_int_equal(sf_b64_decode(d, 8, &n, "Zm=v", 4), SF_EBASE64);
	assert_int_equal(sf_b64_decode(d, 2, &n, "Zm9v", 4), SF_EBUFSIZE);
	char s[4];
	assert_int_equal(sf_b64_encode(s, sizeof(s), &n, (const uint8_t *)"foo", 3), SF_EBUFSIZE);
}

static void test_ct_and_wipe(void **state)
{
	(void)state;
	uint8_t a[32], b[32];
	for (int i = 0; i < 32; i++)
		a[i] = b[i] = (uint8_t)i;
	assert_int_equal(sf_ct_eq(a, b, 32), 1);
	assert_int_equal(sf_ct_eq(a, b, 0), 1);
	for (int bit = 0; bit < 256; bit++) {
		b[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		assert_int_equal(sf_ct_eq(a, b, 32), 0);
		b[bit / 8] ^= (uint8_t)(1 << (bit % 8));
	}
	sf_wipe(a, sizeof(a));
	uint8_t z[32] = {0};
	assert_memory_equal(a, z, 32);
	sf_wipe(NULL, 5);
}

static void test_rng(void **state)
{
	(void)state;
	struct sf_rng_det d1, d2, d3;
	uint8_t a[100], b[100], c[100];
	sf_rng_det_init(&d1, 42);
	sf_rng_det_init(&d2, 42);
	sf_rng_det_init(&d3, 43);
	assert_int_equal(sf_rng_fill(&d1.rng, a, 100), 0);
	assert_int_equal(sf_rng_fill(&d2.rng, b, 100), 0);
	assert_int_equal(sf_rng_fill(&d3.rng, c, 100), 0);
	assert_memory_equal(a, b, 100);
	assert_memory_not_equal(a, c, 100);
	assert_int_equal(sf_rng_fill(sf_rng_system(), a, 100), 0);
	assert_int_equal(sf_rng_fill(sf_rng_system(), b, 100), 0);
	assert_memory_not_equal(a, b, 100);
	assert_int_equal(sf_rng_fill(NULL, a, 1), SF_EINVAL);
}

static char last_msg[1100];
static void sink(void *user, enum sf_log_level lvl, const char *subsys, const char *msg)
{
	(void)user;
	snprintf(last_msg, sizeof(last_msg), "%d %s %s", (int)lvl, subsys, msg);
}

static void test_log(void **state)
{
	(void)state;
	char fp[SF_LOG_FP_LEN];
	/* SHA-256("") = e3b0c442... */
	assert_string_equal(sf_log_fp(fp, (const uint8_t *)"", 0), "fp:e3b0c442");
	sf_log_set_sink(sink, NULL);
	sf_log_set_level(SF_LOG_INFO);
	last_msg[0] = 0;
	sf_log(SF_LOG_DEBUG, "aka", "hidden");
	assert_string_equal(last_msg, "");
	uint8_t k[16] = {0x46, 0x5b, 0x5c, 0xe8};
	sf_log(SF_LOG_INFO, "aka", "key %s", sf_log_fp(fp, k, sizeof(k)));
	assert_non_null(strstr(last_msg, "2 aka key fp:"));
	assert_null(strstr(last_msg, "465b5ce8"));
	enum sf_log_level l;
	assert_int_equal(sf_log_level_parse("debug", &l), 0);
	assert_int_equal(l, SF_LOG_DEBUG);
	assert_int_equal(sf_log_level_parse("loud", &l), SF_EINVAL);
	sf_log_set_sink(NULL, NULL);
}

static void test_hostport(void **state)
{
	(void)state;
	char h[64];
	uint16_t port = 0;
	assert_int_equal(sf_hostport_parse("127.0.0.1:4259", h, sizeof(h), &port, 0), 0);
	assert_string_equal(h, "127.0.0.1");
	assert_int_equal(port, 4259);
	assert_int_equal(sf_hostport_parse("[::1]:35963", h, sizeof(h), &port, 0), 0);
	assert_string_equal(h, "::1");
	assert_int_equal(port, 35963);
	assert_int_equal(sf_hostport_parse("localhost", h, sizeof(h), &port, 35963), 0);
	assert_int_equal(port, 35963);
	assert_int_equal(sf_hostport_parse("localhost", h, sizeof(h), &port, 0), SF_ETRANSPORT_ADDR);
	static const char *const bad[] = {"h:", ":1", "h:0", "h:65536", "h:12x", "::1:5",
					  "[::1", "[::1]5", "h:123456"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sf_hostport_parse(bad[i], h, sizeof(h), &port, 0), SF_ETRANSPORT_ADDR);
	assert_int_equal(sf_hostport_parse("averyveryverylonghostname:1", h, 8, &port, 0),
			 SF_ETRANSPORT_ADDR);
}

/* The growing buffer: NUL-terminated after what it holds; max refused and
 * nothing changed; the libcurl adapter fails the transfer then. */
static void test_growbuf(void **state)
{
	(void)state;
	struct sf_growbuf b = {.max = 3000};
	char chunk[1000];
	memset(chunk, 'a', sizeof(chunk));
	assert_int_equal(sf_growbuf_add(&b, "", 0), 0);
	assert_non_null(b.p);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.p[0], '\0');
	for (int i = 0; i < 3; i++)
		assert_int_equal(sf_growbuf_curl(chunk, 1, sizeof(chunk), &b), sizeof(chunk));
	assert_int_equal(b.n, 3000);
	assert_int_equal(b.p[2999], 'a');
	assert_int_equal(b.p[3000], '\0');
	assert_int_equal(sf_growbuf_add(&b, "x", 1), SF_ERANGE);
	assert_int_equal(sf_growbuf_curl(chunk, 1, 1, &b), 0);
	assert_int_equal(b.n, 3000);
	assert_int_equal(b.p[3000], '\0');
	sf_growbuf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.max, 3000);
	struct sf_growbuf u = {0}; /* no limit */
	for (int i = 0; i < 100; i++)
		assert_int_equal(sf_growbuf_add(&u, chunk, sizeof(chunk)), 0);
	assert_int_equal(u.n, 100000);
	assert_int_equal(strlen(u.p), 100000);
	sf_growbuf_free(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_table),   cmocka_unit_test(test_hex),
		cmocka_unit_test(test_base64),      cmocka_unit_test(test_ct_and_wipe),
		cmocka_unit_test(test_rng),         cmocka_unit_test(test_log),
		cmocka_unit_test(test_growbuf),
		cmocka_unit_test(test_hostport),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
