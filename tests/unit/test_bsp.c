/*
 * BSP segment protection (SGP.22 §2.6.4, SCP03t) of src/crypto/bsp.c on
 * tests/vectors/bsp.tsv (pySim test_esim_bsp.py, a third-party SM-DP+ trace):
 *  - every row in both directions: protect/mac_only from the row's state
 *    reproduces `expected`, unprotect recovers `plaintext`; the state after a
 *    row is the `mcv_in`/`counter` of the next row of the chain;
 *  - each chain run from its first row only, state carried over;
 *  - tampering: every single-bit change of every vector TLV is refused and
 *    leaves the state unchanged; every truncated prefix likewise (exact-size
 *    heap copies for ASan); a segment out of order fails its MAC;
 *  - padding: malformed padding under a valid MAC is a structure error;
 *  - sizes: 1007/1008-octet plaintexts give 1020-octet segments, one more is
 *    refused; buffer-size reporting; tags; BER lengths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helper_tsv.h"
#include "simfleet/crypto.h"
#include "simfleet/err.h"

#define assert_rc(want, got) assert_string_equal(sf_err_name(want), sf_err_name(got))
#define MAXSEG 1100

static struct sf_tsv tsv;

struct row {
	uint8_t tag;
	int enc;
	uint8_t s_enc[16], s_mac[16], mcv[16];
	uint32_t counter;
	uint8_t pt[MAXSEG], exp[MAXSEG];
	size_t pt_len, exp_len;
	long chain, step;
};

static void get_row(size_t r, struct row *w)
{
	uint8_t t[1];
	sf_tsv_hex(&tsv, r, "tag", t, 1);
	w->tag = t[0];
	w->enc = !strcmp(sf_tsv_get(&tsv, r, "op"), "enc_mac");
	sf_tsv_hex(&tsv, r, "s_enc", w->s_enc, 16);
	sf_tsv_hex(&tsv, r, "s_mac", w->s_mac, 16);
	sf_tsv_hex(&tsv, r, "mcv_in", w->mcv, 16);
	w->counter = (uint32_t)strtoul(sf_tsv_get(&tsv, r, "counter"), NULL, 10);
	w->pt_len = sf_tsv_hex(&tsv, r, "plaintext", w->pt, sizeof(w->pt));
	w->exp_len = sf_tsv_hex(&tsv, r, "expected", w->exp, sizeof(w->exp));
	w->chain = strtol(sf_tsv_get(&tsv, r, "chain"), NULL, 10);
	w->step = strtol(sf_tsv_get(&tsv, r, "step"), NULL, 10);
}

static void row_state(const struct row *w, struct sf_bsp *b)
{
	assert_rc(0, sf_bsp_init(b, w->s_enc, w->s_mac, w->mcv));
	assert_int_equal(b->counter, 1);
	b->counter = w->counter;
}

static int do_protect(struct sf_bsp *b, const struct row *w, uint8_t *dst, size_t cap, size_t *n)
{
	return w->enc ? sf_bsp_protect(b, w->tag, w->pt, w->pt_len, dst, cap, n)
	              : sf_bsp_mac_only(b, w->tag, w->pt, w->pt_len, dst, cap, n);
}

static void test_vectors_each_row(void **state)
{
	(void)state;
	static struct row w, next;
	sf_tsv_load(&tsv, "bsp.tsv");
	assert_int_equal(tsv.nrows, 5);
	for (size_t r = 0; r < tsv.nrows; r++) {
		get_row(r, &w);
		char label[64];
		snprintf(label, sizeof(label), "bsp.tsv chain %ld step %ld", w.chain, w.step);
		struct sf_bsp tx, rx;
		uint8_t out[MAXSEG];
		size_t n = 0;
		row_state(&w, &tx);
		row_state(&w, &rx);
		assert_rc(0, do_protect(&tx, &w, out, sizeof(out), &n));
		assert_int_equal(n, w.exp_len);
		sf_assert_mem(label, out, w.exp, n);
		assert_int_equal(tx.counter, w.counter + 1);
		/* MCV := the full CMAC, whose first 8 octets end the TLV. */
		sf_assert_mem("MCV prefix = C-MAC", tx.mcv, w.exp + w.exp_len - 8, 8);

		uint8_t pt[MAXSEG];
		size_t pn = 0;
		assert_rc(0, sf_bsp_unprotect(&rx, w.tag, w.exp, w.exp_len, pt, sizeof(pt), &pn));
		assert_int_equal(pn, w.pt_len);
		sf_assert_mem(label, pt, w.pt, pn);
		sf_assert_mem("receiver state = sender state", &rx, &tx, sizeof(rx));

		if (r + 1 < tsv.nrows) {
			get_row(r + 1, &next);
			if (next.chain == w.chain) {
				sf_assert_mem("MCV carried to the next row", tx.mcv, next.mcv, 16);
				assert_int_equal(tx.counter, next.counter);
			}
		}
		sf_bsp_free(&tx);
		sf_bsp_free(&rx);
		static const uint8_t zero[sizeof(struct sf_bsp)];
		sf_assert_mem("free wipes", &tx, zero, sizeof(tx));
	}
	sf_tsv_free(&tsv);
}

/* Each chain from its first row only: the state is the implementation's own. */
static void test_vectors_chains(void **state)
{
	(void)state;
	static struct row w;
	sf_tsv_load(&tsv, "bsp.tsv");
	struct sf_bsp tx = {0}, rx = {0};
	long chain = -1;
	for (size_t r = 0; r < tsv.nrows; r++) {
		get_row(r, &w);
		if (w.chain != chain) {
			assert_int_equal(w.counter, 1);
			assert_rc(0, sf_bsp_init(&tx, w.s_enc, w.s_mac, w.mcv));
			assert_rc(0, sf_bsp_init(&rx, w.s_enc, w.s_mac, w.mcv));
			chain = w.chain;
		}
		uint8_t out[MAXSEG], pt[MAXSEG];
		size_t n = 0, pn = 0;
		assert_rc(0, do_protect(&tx, &w, out, sizeof(out), &n));
		assert_int_equal(n, w.exp_len);
		sf_assert_mem("chained protect", out, w.exp, n);
		assert_rc(0, sf_bsp_unprotect(&rx, w.tag, out, n, pt, sizeof(pt), &pn));
		assert_int_equal(pn, w.pt_len);
		sf_assert_mem("chained unprotect", pt, w.pt, pn);
	}
	/* The 86 profile segments are the full 1020 octets. */
	assert_int_equal(w.exp_len, SF_BSP_SEGMENT_MAX);
	assert_int_equal(w.pt_len, SF_BSP_PLAIN_MAX);
	sf_tsv_free(&tsv);
}

static void test_tamper(void **state)
{
	(void)state;
	static struct row w;
	sf_tsv_load(&tsv, "bsp.tsv");
	for (size_t r = 0; r < tsv.nrows; r++) {
		get_row(r, &w);
		struct sf_bsp b, before;
		row_state(&w, &b);
		before = b;
		uint8_t *seg = malloc(w.exp_len), pt[MAXSEG];
		assert_non_null(seg);
		size_t n = 0;
		for (size_t bit = 0; bit < w.exp_len * 8; bit++) {
			memcpy(seg, w.exp, w.exp_len);
			seg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			memset(pt, 0x5a, sizeof(pt));
			int rc = sf_bsp_unprotect(&b, w.tag, seg, w.exp_len, pt, sizeof(pt), &n);
			/* In the tag or length octets the TLV no longer parses;
			 * anywhere else the MAC fails. */
			size_t hdr = w.exp_len > 255 + 3 ? 4 : w.exp_len > 127 + 2 ? 3 : 2;
			int want = bit / 8 < hdr ? SF_ECRYPTO_BSP_FORMAT : SF_ECRYPTO_BSP_MAC;
			if (rc != want)
				fail_msg("row %zu bit %zu: want %s, got %s", r, bit,
				         sf_err_name(want), sf_err_name(rc));
			sf_assert_mem("state unchanged after a refusal", &b, &before, sizeof(b));
		}
		/* Every truncated prefix, in an exact-size heap buffer. */
		for (size_t i = 0; i < w.exp_len; i++) {
			uint8_t *cut = malloc(i ? i : 1);
			assert_non_null(cut);
			memcpy(cut, w.exp, i);
			int rc = sf_bsp_unprotect(&b, w.tag, cut, i, pt, sizeof(pt), &n);
			if (rc != SF_ECRYPTO_BSP_FORMAT)
				fail_msg("row %zu prefix %zu: %s", r, i, sf_err_name(rc));
			free(cut);
		}
		sf_assert_mem("state unchanged", &b, &before, sizeof(b));
		/* A wrong expected tag is a structure error. */
		uint8_t other = w.tag == 0x88 ? 0x87 : 0x88;
		assert_rc(SF_ECRYPTO_BSP_FORMAT,
		          sf_bsp_unprotect(&b, other, w.exp, w.exp_len, pt, sizeof(pt), &n));
		/* Replay after success: the MCV has moved, so the MAC fails. */
		assert_rc(0, sf_bsp_unprotect(&b, w.tag, w.exp, w.exp_len, pt, sizeof(pt), &n));
		assert_rc(SF_ECRYPTO_BSP_MAC,
		          sf_bsp_unprotect(&b, w.tag, w.exp, w.exp_len, pt, sizeof(pt), &n));
		free(seg);
	}
	sf_tsv_free(&tsv);
}

static void test_out_of_order(void **state)
{
	(void)state;
	static struct row w1, w2;
	sf_tsv_load(&tsv, "bsp.tsv");
	get_row(0, &w1);
	get_row(1, &w2);
	struct sf_bsp b;
	row_state(&w1, &b);
	uint8_t pt[MAXSEG];
	size_t n = 0;
	/* Step 2 before step 1 (a skipped segment): the chaining value differs. */
	assert_rc(SF_ECRYPTO_BSP_MAC,
	          sf_bsp_unprotect(&b, w2.tag, w2.exp, w2.exp_len, pt, sizeof(pt), &n));
	assert_rc(0, sf_bsp_unprotect(&b, w1.tag, w1.exp, w1.exp_len, pt, sizeof(pt), &n));
	assert_rc(0, sf_bsp_unprotect(&b, w2.tag, w2.exp, w2.exp_len, pt, sizeof(pt), &n));
	sf_tsv_free(&tsv);
}

/* Builds an 86 TLV from an already padded plaintext with a valid MAC. */
static size_t raw_segment(struct sf_bsp *b, const uint8_t *padded, size_t len, uint8_t *out)
{
	uint8_t n[16] = {0}, iv[16], full[16];
	n[15] = (uint8_t)b->counter;
	assert_rc(0, sf_aes128_ecb_block(b->s_enc, n, iv));
	out[0] = 0x86;
	out[1] = (uint8_t)(len + 8);
	assert_rc(0, sf_aes128_cbc_encrypt(b->s_enc, iv, padded, len, out + 2));
	struct sf_crypto_part parts[2] = {{b->mcv, 16}, {out, 2 + len}};
	assert_rc(0, sf_aes128_cmac(b->s_mac, parts, 2, full));
	memcpy(out + 2 + len, full, 8);
	return 2 + len + 8;
}

static void test_padding_strict(void **state)
{
	(void)state;
	uint8_t k1[16], k2[16], mcv[16];
	memset(k1, 1, 16);
	memset(k2, 2, 16);
	memset(mcv, 3, 16);
	static const struct {
		const char *what;
		uint8_t p[32];
		size_t len;
		int ok;
		size_t pt_len;
	} cases[] = {
	    {"80 at the end", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x80}, 16, 1, 15},
	    {"full padding block", {0x80}, 16, 1, 0},
	    {"all zero block", {0}, 16, 0, 0},
	    {"81 instead of 80", {1, 2, 0x81}, 16, 0, 0},
	    {"data after 80", {1, 0x80, 0, 0, 5}, 16, 0, 0},
	    {"no padding (last octet data)",
	     {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
	     16,
	     0,
	     0},
	    /* 80 followed by more than a block of zeros: 17 padding octets. */
	    {"padding longer than a block",
	     {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x80},
	     32,
	     0,
	     0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sf_bsp b, before;
		assert_rc(0, sf_bsp_init(&b, k1, k2, mcv));
		before = b;
		uint8_t seg[64], pt[64];
		size_t sl = raw_segment(&b, cases[i].p, cases[i].len, seg), n = 0;
		int rc = sf_bsp_unprotect(&b, 0x86, seg, sl, pt, sizeof(pt), &n);
		if (cases[i].ok) {
			if (rc)
				fail_msg("%s: %s", cases[i].what, sf_err_name(rc));
			assert_int_equal(n, cases[i].pt_len);
			sf_assert_mem(cases[i].what, pt, cases[i].p, n);
		} else {
			if (rc != SF_ECRYPTO_BSP_FORMAT)
				fail_msg("%s: want ECRYPTO_BSP_FORMAT, got %s", cases[i].what,
				         sf_err_name(rc));
			sf_assert_mem("state unchanged", &b, &before, sizeof(b));
			static const uint8_t zero[32];
			sf_assert_mem("plaintext wiped", pt, zero, cases[i].len);
		}
	}
}

static void test_sizes_and_args(void **state)
{
	(void)state;
	uint8_t k1[16] = {1}, k2[16] = {2}, mcv[16] = {3};
	static uint8_t pt[1100], seg[1100], back[1100];
	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)i;
	struct sf_bsp tx, rx;
	assert_rc(0, sf_bsp_init(&tx, k1, k2, mcv));
	assert_rc(0, sf_bsp_init(&rx, k1, k2, mcv));
	/* Every plaintext length of an 86 segment, through all BER length
	 * forms, round trips; the padding always adds 1..16 octets. */
	for (size_t len = 0; len <= SF_BSP_PLAIN_MAX; len++) {
		size_t n = 0, pn = 0;
		assert_rc(0, sf_bsp_protect(&tx, 0x86, pt, len, seg, sizeof(seg), &n));
		size_t l = (len / 16 + 1) * 16 + 8;
		assert_int_equal(n, 1 + (l < 128 ? 1 : l < 256 ? 2 : 3) + l);
		assert_rc(0, sf_bsp_unprotect(&rx, 0x86, seg, n, back, n, &pn));
		assert_int_equal(pn, len);
		assert_memory_equal(back, pt, len);
	}
	for (size_t len = 0; len <= SF_BSP_MAC_PLAIN_MAX; len += 101) {
		size_t n = 0, pn = 0;
		assert_rc(0, sf_bsp_mac_only(&tx, 0x88, pt, len, seg, sizeof(seg), &n));
		assert_rc(0, sf_bsp_unprotect(&rx, 0x88, seg, n, back, sizeof(back), &pn));
		assert_int_equal(pn, len);
		assert_memory_equal(back, pt, len);
	}
	assert_int_equal(tx.counter, rx.counter);
	size_t n = 0, pn = 0;
	assert_rc(0, sf_bsp_protect(&tx, 0x86, pt, SF_BSP_PLAIN_MAX, seg, sizeof(seg), &n));
	assert_int_equal(n, SF_BSP_SEGMENT_MAX);
	assert_rc(0, sf_bsp_unprotect(&rx, 0x86, seg, n, back, sizeof(back), &pn));
	assert_rc(0, sf_bsp_mac_only(&tx, 0x88, pt, SF_BSP_MAC_PLAIN_MAX, seg, sizeof(seg), &n));
	assert_int_equal(n, SF_BSP_SEGMENT_MAX);
	assert_rc(0, sf_bsp_unprotect(&rx, 0x88, seg, n, back, sizeof(back), &pn));
	assert_int_equal(pn, SF_BSP_MAC_PLAIN_MAX);

	struct sf_bsp before = tx;
	assert_rc(SF_ELEN,
	          sf_bsp_protect(&tx, 0x86, pt, SF_BSP_PLAIN_MAX + 1, seg, sizeof(seg), &n));
	assert_rc(SF_ELEN,
	          sf_bsp_mac_only(&tx, 0x88, pt, SF_BSP_MAC_PLAIN_MAX + 1, seg, sizeof(seg), &n));
	assert_rc(SF_EINVAL, sf_bsp_protect(&tx, 0x88, pt, 3, seg, sizeof(seg), &n));
	assert_rc(SF_EINVAL, sf_bsp_mac_only(&tx, 0x87, pt, 3, seg, sizeof(seg), &n));
	assert_rc(SF_EBUFSIZE, sf_bsp_protect(&tx, 0x87, pt, 3, seg, 25, &n));
	assert_int_equal(n, 26);
	assert_rc(SF_EINVAL, sf_bsp_protect(&tx, 0x87, NULL, 3, seg, sizeof(seg), &n));
	sf_assert_mem("state unchanged", &tx, &before, sizeof(tx));

	/* Receiver: size reporting, non-minimal length, oversized segment. */
	assert_rc(0, sf_bsp_protect(&tx, 0x87, pt, 20, seg, sizeof(seg), &n));
	before = rx;
	assert_rc(SF_EBUFSIZE, sf_bsp_unprotect(&rx, 0x87, seg, n, back, 31, &pn));
	assert_int_equal(pn, 32);
	uint8_t nm[64];
	nm[0] = 0x87;
	nm[1] = 0x81;
	memcpy(nm + 2, seg + 1, n - 1); /* 81 28: long form for a length < 128 */
	assert_rc(SF_ECRYPTO_BSP_FORMAT, sf_bsp_unprotect(&rx, 0x87, nm, n + 1, back, 64, &pn));
	static uint8_t big[1030];
	big[0] = 0x86;
	big[1] = 0x82;
	big[2] = 0x04;
	big[3] = 0x00;
	assert_rc(SF_ECRYPTO_BSP_FORMAT,
	          sf_bsp_unprotect(&rx, 0x86, big, 4 + 1024, back, sizeof(back), &pn));
	assert_rc(SF_EINVAL, sf_bsp_unprotect(&rx, 0x85, seg, n, back, sizeof(back), &pn));
	sf_assert_mem("state unchanged", &rx, &before, sizeof(rx));
	assert_rc(0, sf_bsp_unprotect(&rx, 0x87, seg, n, back, 32, &pn));
	assert_int_equal(pn, 20);

	/* The counter never wraps (an ICV would repeat). */
	tx.counter = UINT32_MAX;
	assert_rc(SF_ERANGE, sf_bsp_protect(&tx, 0x87, pt, 3, seg, sizeof(seg), &n));
	sf_bsp_free(&tx);
	sf_bsp_free(&tx);
	sf_bsp_free(NULL);
	assert_rc(SF_EINVAL, sf_bsp_init(NULL, k1, k2, mcv));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors_each_row), cmocka_unit_test(test_vectors_chains),
	    cmocka_unit_test(test_tamper),           cmocka_unit_test(test_out_of_order),
	    cmocka_unit_test(test_padding_strict),   cmocka_unit_test(test_sizes_and_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
