/*
 * The device agent's core (include/simfleet/ipa.h): the activation code
 * parser, STORE DATA chaining at the block boundaries, T=0 response
 * handling, BF36 item splitting and the LoadBoundProfilePackage APDU
 * sequence against a scripted card, the PIR parser, hashCc, SM-DP+
 * addresses, ctxParams1 without a matchingId (the default SM-DP+), and the
 * ES10 client against the in-process eUICC (ES10a addresses included).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "helper_tsv.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/euicc.h"
#include "simfleet/ipa.h"
#include "simfleet/saip.h"
#include "simfleet/util.h"

/* ---- activation codes ---- */

static void test_ac_good(void **state)
{
	(void)state;
	struct sf_ipa_ac ac;
	assert_int_equal(sf_ipa_ac_parse("1$smdp.example.com$ABC-123", &ac), 0);
	assert_string_equal(ac.smdp, "smdp.example.com");
	assert_string_equal(ac.matching_id, "ABC-123");
	assert_string_equal(ac.oid, "");
	assert_int_equal(ac.cc_required, 0);
	assert_int_equal(sf_ipa_ac_parse("LPA:1$smdp.example.com$ABC-123", &ac), 0);
	assert_string_equal(ac.smdp, "smdp.example.com");
	assert_int_equal(sf_ipa_ac_parse("lpa:1$smdp.example.com$ABC", &ac), 0);
	assert_int_equal(sf_ipa_ac_parse("1$127.0.0.1:8443$M-1$1.3.6.1.4.1.31746$1", &ac), 0);
	assert_string_equal(ac.smdp, "127.0.0.1:8443");
	assert_string_equal(ac.oid, "1.3.6.1.4.1.31746");
	assert_int_equal(ac.cc_required, 1);
	assert_int_equal(sf_ipa_ac_parse("1$a.example$X$$1", &ac), 0); /* empty OID, flag */
	assert_string_equal(ac.oid, "");
	assert_int_equal(ac.cc_required, 1);
	assert_int_equal(sf_ipa_ac_parse("1$a.example$X$1.2$0", &ac), 0);
	assert_int_equal(ac.cc_required, 0);
	assert_int_equal(sf_ipa_ac_parse("1$a.example$", &ac), 0); /* empty matchingId */
	assert_string_equal(ac.matching_id, "");
	assert_int_equal(sf_ipa_ac_parse("1$[::1]:443$X", &ac), 0);
	assert_string_equal(ac.smdp, "[::1]:443");
}

static void test_ac_bad(void **state)
{
	(void)state;
	static const char *bad[] = {
	    "",
	    "LPA:",
	    "1",
	    "1$a.example",           /* no token field */
	    "2$a.example$X",         /* format version */
	    "11$a.example$X",        /* format version */
	    "$a.example$X",          /* format missing */
	    "1$$X",                  /* empty address */
	    "1$a b$X",               /* space in the address */
	    "1$a.example$X Y",       /* space in the token */
	    "1$a.example$X$1.2$2",   /* flag not 0/1 */
	    "1$a.example$X$1.2$11",  /* flag not one digit */
	    "1$a.example$X$1.2$1$z", /* six fields */
	    "1$a.example$X$abc",     /* OID not dotted decimal */
	    "1$a.example$X$1..2",    /* empty arc */
	    "1$a.example$X$1.",      /* trailing dot */
	    "1$a.example$X$7",       /* one arc */
	    "1$a.example:0$X",       /* port 0 */
	    "1$a.example:65536$X",   /* port too large */
	    "1$a.example:$X",        /* empty port */
	    "1$a.example:1:2$X",     /* two colons */
	    "1$-a.example$X",        /* leading hyphen */
	    "1$[::1$X",              /* unclosed bracket */
	    "1$a.example$X\n",       /* control character */
	    "LPA:LPA:1$a.example$X", /* prefix twice */
	};
	struct sf_ipa_ac ac;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = sf_ipa_ac_parse(bad[i], &ac);
		if (rc != SF_EIPA_AC)
			fail_msg("accepted \"%s\" (rc %d)", bad[i], rc);
		assert_string_equal(ac.smdp, "");
	}
	char longtok[400];
	memset(longtok, 'A', sizeof(longtok));
	memcpy(longtok, "1$a$", 4);
	longtok[sizeof(longtok) - 1] = '\0';
	assert_int_equal(sf_ipa_ac_parse(longtok, &ac), SF_EIPA_AC); /* token > 255 */
	assert_int_equal(sf_ipa_ac_parse(NULL, &ac), SF_EINVAL);
}

/* ---- a scripted card ---- */

struct mock {
	/* every APDU received, concatenated, with its length */
	uint8_t log[65536];
	size_t log_len;
	size_t napdu;
	size_t lens[1024];
	/* STORE DATA data of the current chain, reassembled */
	uint8_t chain[16384];
	size_t chain_len;
	size_t chains; /* chains completed */
	size_t pir_at; /* answer BF37 to chain number pir_at (1-based), 0 = never */
	int t0_split;  /* answer the last block with 61xx in pieces of t0_split */
	int wrong_le;  /* first GET RESPONSE gets 6Cxx */
	uint8_t pending[512];
	size_t pending_len, pending_off;
	int expect_p2;
};

static const uint8_t PIR_MIN[] = {0xBF, 0x37, 0x00};

static void mock_ans(uint8_t *rsp, size_t *rlen, const uint8_t *d, size_t n, uint16_t sw)
{
	if (n)
		memcpy(rsp, d, n);
	rsp[n] = (uint8_t)(sw >> 8);
	rsp[n + 1] = (uint8_t)sw;
	*rlen = n + 2;
}

static int mock_tx(struct sf_ipa_transport *t, const uint8_t *cmd, size_t len, uint8_t *rsp,
                   size_t cap, size_t *rlen)
{
	struct mock *m = t->user;
	(void)cap;
	assert_true(len >= 4);
	assert_true(m->log_len + len <= sizeof(m->log));
	memcpy(m->log + m->log_len, cmd, len);
	m->log_len += len;
	m->lens[m->napdu++] = len;
	if (cmd[1] == 0xC0) { /* GET RESPONSE */
		size_t left = m->pending_len - m->pending_off;
		size_t want = cmd[4] ? cmd[4] : 256;
		if (m->wrong_le && want != left && left < 256 && m->pending_off > 0) {
			m->wrong_le = 0;
			mock_ans(rsp, rlen, NULL, 0, (uint16_t)(0x6C00 | left));
			return 0;
		}
		size_t k = want < left ? want : left;
		memcpy(rsp, m->pending + m->pending_off, k);
		m->pending_off += k;
		left -= k;
		/* with wrong_le, announce a wrong count so that the next GET
		 * RESPONSE gets 6Cxx */
		size_t announce = m->wrong_le && left && left < 256 ? left / 2 : left;
		uint16_t sw = left ? (uint16_t)(0x6100 | (announce > 255 ? 0 : announce)) : 0x9000;
		rsp[k] = (uint8_t)(sw >> 8);
		rsp[k + 1] = (uint8_t)sw;
		*rlen = k + 2;
		return 0;
	}
	if (cmd[1] != 0xE2) {
		mock_ans(rsp, rlen, NULL, 0, 0x9000);
		return 0;
	}
	/* STORE DATA: case 3, Lc = the data that follows */
	assert_int_equal(len, 5u + cmd[4]);
	assert_int_equal(cmd[3], m->expect_p2);
	memcpy(m->chain + m->chain_len, cmd + 5, cmd[4]);
	m->chain_len += cmd[4];
	if (cmd[2] == 0x11) {
		m->expect_p2++;
		mock_ans(rsp, rlen, NULL, 0, 0x9000);
		return 0;
	}
	assert_int_equal(cmd[2], 0x91);
	m->chains++;
	m->expect_p2 = 0;
	m->chain_len = 0;
	if (m->pir_at && m->chains == m->pir_at) {
		mock_ans(rsp, rlen, PIR_MIN, sizeof(PIR_MIN), 0x9000);
		return 0;
	}
	if (m->t0_split) {
		/* a 300-octet answer through 61xx */
		m->pending_len = 300;
		m->pending_off = 0;
		m->pending[0] = 0xBF;
		m->pending[1] = 0x2E;
		m->pending[2] = 0x82;
		m->pending[3] = 0x01;
		m->pending[4] = 0x28;
		for (size_t i = 5; i < 300; i++)
			m->pending[i] = (uint8_t)i;
		mock_ans(rsp, rlen, NULL, 0, 0x6100); /* 256 or more available */
		return 0;
	}
	mock_ans(rsp, rlen, NULL, 0, 0x9000);
	return 0;
}

static void mock_init(struct sf_ipa_transport *t, struct mock *m)
{
	memset(m, 0, sizeof(*m));
	memset(t, 0, sizeof(*t));
	t->transmit = mock_tx;
	t->user = m;
	t->fd = -1;
}

/* An ES10 client on channel ch over the mock, without MANAGE CHANNEL. */
static void es10_on(struct sf_ipa_es10 *c, struct sf_ipa_transport *t, uint8_t ch, size_t block)
{
	memset(c, 0, sizeof(*c));
	c->tr = t;
	c->ch = ch;
	c->block = block;
}

/* ---- STORE DATA chaining ---- */

static void check_chain(size_t len, size_t block, uint8_t ch, size_t want_blocks)
{
	static struct mock m;
	struct sf_ipa_transport t;
	static struct sf_ipa_es10 c;
	static uint8_t req[2048];
	uint8_t rsp[16];
	size_t rl;
	for (size_t i = 0; i < len; i++)
		req[i] = (uint8_t)(i * 7 + 1);
	mock_init(&t, &m);
	es10_on(&c, &t, ch, block);
	assert_int_equal(sf_ipa_es10_transceive(&c, req, len, rsp, sizeof(rsp), &rl), 0);
	assert_int_equal(rl, 0);
	assert_int_equal(m.napdu, want_blocks);
	/* every block: CLA 80|ch (or C0|ch-4), E2, 11.../91, P2 = i, Lc, data */
	size_t off = 0, data = 0;
	uint8_t want_cla = ch < 4 ? (uint8_t)(0x80 | ch) : (uint8_t)(0xC0 | (ch - 4));
	for (size_t i = 0; i < m.napdu; i++) {
		const uint8_t *a = m.log + off;
		size_t k = len - data < block ? len - data : block;
		assert_int_equal(a[0], want_cla);
		assert_int_equal(a[1], 0xE2);
		assert_int_equal(a[2], i + 1 == m.napdu ? 0x91 : 0x11);
		assert_int_equal(a[3], i);
		assert_int_equal(a[4], k);
		assert_int_equal(m.lens[i], 5 + k);
		assert_memory_equal(a + 5, req + data, k);
		data += k;
		off += m.lens[i];
	}
	assert_int_equal(data, len);
}

static void test_store_data_boundaries(void **state)
{
	(void)state;
	check_chain(0, 255, 1, 1); /* an empty request is one empty last block */
	check_chain(1, 255, 1, 1);
	check_chain(254, 255, 1, 1);
	check_chain(255, 255, 1, 1);
	check_chain(256, 255, 1, 2);
	check_chain(510, 255, 1, 2);
	check_chain(511, 255, 1, 3);
	check_chain(255, 120, 2, 3); /* lpac's block size: 120 + 120 + 15 */
	check_chain(256, 120, 3, 3);
	check_chain(511, 120, 0, 5);
	check_chain(240, 120, 1, 2);
	check_chain(241, 120, 5, 3); /* channel 5: CLA C1 */
	check_chain(100, 1, 1, 100);

	static uint8_t req[120 * 256 + 1];
	uint8_t apdu[260];
	size_t al, nb;
	assert_int_equal(sf_ipa_store_data_block(1, 120, req, 120 * 256, 0, apdu, &al, &nb), 0);
	assert_int_equal(nb, 256);
	assert_int_equal(sf_ipa_store_data_block(1, 120, req, 120 * 256 + 1, 0, apdu, &al, &nb),
	                 SF_ERANGE);
	assert_int_equal(sf_ipa_store_data_block(1, 0, req, 1, 0, apdu, &al, &nb), SF_EINVAL);
	assert_int_equal(sf_ipa_store_data_block(1, 256, req, 1, 0, apdu, &al, &nb), SF_EINVAL);
	assert_int_equal(sf_ipa_store_data_block(1, 10, req, 1, 1, apdu, &al, &nb), SF_ERANGE);
}

/* 61xx: the answer is fetched with GET RESPONSE (CLA 0|ch) and reassembled;
 * 6Cxx on a GET RESPONSE repeats it with the Le the card asked for. */
static void test_t0_get_response(void **state)
{
	(void)state;
	static struct mock m;
	struct sf_ipa_transport t;
	static struct sf_ipa_es10 c;
	uint8_t req[3] = {0xBF, 0x2E, 0x00}, rsp[512];
	size_t rl;
	for (int wrong = 0; wrong < 2; wrong++) {
		mock_init(&t, &m);
		m.t0_split = 1;
		m.wrong_le = wrong;
		es10_on(&c, &t, 2, 120);
		assert_int_equal(sf_ipa_es10_transceive(&c, req, 3, rsp, sizeof(rsp), &rl), 0);
		assert_int_equal(rl, 300);
		assert_memory_equal(rsp, m.pending, 300);
		/* STORE DATA, GET RESPONSE 00 (256), GET RESPONSE 2C [, again] */
		assert_int_equal(m.napdu, wrong ? 4 : 3);
		const uint8_t *gr = m.log + m.lens[0];
		assert_int_equal(gr[0], 0x02);
		assert_int_equal(gr[1], 0xC0);
		assert_int_equal(gr[4], 0x00);
		assert_int_equal(c.last_sw, 0x9000);
		/* too small a buffer: SF_EBUFSIZE, not an overflow */
		mock_init(&t, &m);
		m.t0_split = 1;
		es10_on(&c, &t, 2, 120);
		assert_int_equal(sf_ipa_es10_transceive(&c, req, 3, rsp, 299, &rl), SF_EBUFSIZE);
	}
}

/* ---- bound profile packages ---- */

/* A synthetic BF36: BF23 {82 01 01, 80 tid}, A0 {87}, A1 {88, 88},
 * [A2 {87}], A3 {86 x n3} with segments of seg octets. */
static size_t build_bpp(uint8_t *buf, size_t cap, int with_a2, size_t n3, size_t seg)
{
	static uint8_t data[1100];
	struct sf_der_writer w;
	size_t n;
	memset(data, 0x5A, sizeof(data));
	sf_der_writer_init(&w, buf, cap);
	size_t m = sf_der_writer_mark(&w);
	size_t ma3 = sf_der_writer_mark(&w);
	for (size_t i = 0; i < n3; i++)
		sf_der_write_octets(&w, 0x86, data, seg - i);
	sf_der_write_wrap(&w, ma3, SF_DER_CTX_C(3));
	if (with_a2) {
		size_t ma2 = sf_der_writer_mark(&w);
		sf_der_write_octets(&w, 0x87, data, 40);
		sf_der_write_wrap(&w, ma2, SF_DER_CTX_C(2));
	}
	size_t ma1 = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, 0x88, data, 30);
	sf_der_write_octets(&w, 0x88, data, 200);
	sf_der_write_wrap(&w, ma1, SF_DER_CTX_C(1));
	size_t ma0 = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, 0x87, data, 20);
	sf_der_write_wrap(&w, ma0, SF_DER_CTX_C(0));
	size_t mi = sf_der_writer_mark(&w);
	static const uint8_t tid[16] = {1, 2, 3};
	sf_der_write_octets(&w, SF_DER_CTX(0), tid, 16);
	static const uint8_t op = 1;
	sf_der_write_octets(&w, SF_DER_CTX(2), &op, 1);
	sf_der_write_wrap(&w, mi, 0xBF23);
	sf_der_write_wrap(&w, m, 0xBF36);
	assert_int_equal(sf_der_writer_finish(&w, &n), 0);
	return n;
}

/* The raw element at off, its header length and total length. */
static void elem(const uint8_t *b, size_t len, size_t off, uint32_t *tag, size_t *hdr,
                 size_t *total)
{
	const uint8_t *p = b + off, *v;
	size_t vl;
	assert_int_equal(sf_der_get_tlv(&p, b + len, tag, &v, &vl), 0);
	*hdr = (size_t)(v - (b + off));
	*total = (size_t)(p - (b + off));
}

static void test_bpp_split(void **state)
{
	(void)state;
	static uint8_t bpp[8192];
	struct sf_ipa_bpp_item it[32];
	size_t n, len;
	uint32_t tag;
	size_t hdr, total;

	for (int a2 = 0; a2 < 2; a2++) {
		len = build_bpp(bpp, sizeof(bpp), a2, 3, 1020);
		assert_int_equal(sf_ipa_bpp_split(bpp, len, it, 32, &n), 0);
		assert_int_equal(n, a2 ? 10u : 9u);
		/* 1: "BF36 L" + BF23, contiguous from offset 0 */
		elem(bpp, len, 0, &tag, &hdr, &total);
		assert_int_equal(tag, 0xBF36);
		assert_int_equal(it[0].off, 0);
		uint32_t t2;
		size_t h2, tot2;
		elem(bpp, len, hdr, &t2, &h2, &tot2);
		assert_int_equal(t2, 0xBF23);
		assert_int_equal(it[0].len, hdr + tot2);
		/* 2: A0 whole */
		elem(bpp, len, it[1].off, &tag, &hdr, &total);
		assert_int_equal(tag, 0xA0);
		assert_int_equal(it[1].len, total);
		/* 3: A1 header alone, then the two 88s */
		elem(bpp, len, it[2].off, &tag, &hdr, &total);
		assert_int_equal(tag, 0xA1);
		assert_int_equal(it[2].len, hdr);
		assert_int_equal(it[3].off, it[2].off + hdr);
		assert_int_equal(bpp[it[3].off], 0x88);
		assert_int_equal(bpp[it[4].off], 0x88);
		assert_int_equal(it[4].off + it[4].len, it[2].off + total);
		size_t k = 5;
		if (a2) {
			elem(bpp, len, it[5].off, &tag, &hdr, &total);
			assert_int_equal(tag, 0xA2);
			assert_int_equal(it[5].len, total);
			k = 6;
		}
		/* A3 header alone, then each 86 with its full TLV */
		elem(bpp, len, it[k].off, &tag, &hdr, &total);
		assert_int_equal(tag, 0xA3);
		assert_int_equal(it[k].len, hdr);
		for (size_t i = 1; i <= 3; i++) {
			assert_int_equal(bpp[it[k + i].off], 0x86);
			assert_int_equal(it[k + i].len, 4 + 1020 - (3 - i)); /* 86 82 LL LL */
		}
		assert_int_equal(it[k + 3].off + it[k + 3].len, len);
		/* the items cover the whole package, in order, without gaps */
		size_t pos = 0;
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(it[i].off, pos);
			pos += it[i].len;
		}
		assert_int_equal(pos, len);
		/* counting only, and a too small array */
		assert_int_equal(sf_ipa_bpp_split(bpp, len, NULL, 0, &n), 0);
		assert_int_equal(n, a2 ? 10u : 9u);
		assert_int_equal(sf_ipa_bpp_split(bpp, len, it, 4, &n), SF_EBUFSIZE);
		assert_int_equal(n, a2 ? 10u : 9u);
	}

	/* malformed: truncated at every length, trailing octets, wrong tags */
	len = build_bpp(bpp, sizeof(bpp), 1, 2, 100);
	for (size_t l = 0; l < len; l++) {
		uint8_t *cut = malloc(l ? l : 1);
		memcpy(cut, bpp, l);
		assert_int_equal(sf_ipa_bpp_split(cut, l, it, 32, &n), SF_EIPA_BPP);
		free(cut);
	}
	bpp[len] = 0x00;
	assert_int_equal(sf_ipa_bpp_split(bpp, len + 1, it, 32, &n), SF_EIPA_BPP);
	len = build_bpp(bpp, sizeof(bpp), 0, 1, 50);
	size_t a1 = 0;
	{
		struct sf_ipa_bpp_item x[16];
		assert_int_equal(sf_ipa_bpp_split(bpp, len, x, 16, &n), 0);
		a1 = x[3].off; /* the first 88 */
	}
	bpp[a1] = 0x87; /* an 87 inside A1 */
	assert_int_equal(sf_ipa_bpp_split(bpp, len, it, 32, &n), SF_EIPA_BPP);
	bpp[a1] = 0x88;
	bpp[1] = 0x38; /* BF38, not BF36 */
	assert_int_equal(sf_ipa_bpp_split(bpp, len, it, 32, &n), SF_EIPA_BPP);
	/* A3 with no 86 at all */
	static const uint8_t empty_a3[] = {0xBF, 0x36, 0x11, 0xBF, 0x23, 0x03, 0x82,
	                                   0x01, 0x01, 0xA0, 0x02, 0x87, 0x00, 0xA1,
	                                   0x02, 0x88, 0x00, 0xA3, 0x00};
	assert_int_equal(sf_ipa_bpp_split(empty_a3, sizeof(empty_a3), it, 32, &n), SF_EIPA_BPP);
	/* A1 before A0 */
	static const uint8_t order[] = {0xBF, 0x36, 0x13, 0xBF, 0x23, 0x03, 0x82,
	                                0x01, 0x01, 0xA1, 0x02, 0x88, 0x00, 0xA0,
	                                0x02, 0x87, 0x00, 0xA3, 0x02, 0x86, 0x00};
	assert_int_equal(sf_ipa_bpp_split(order, sizeof(order), it, 32, &n), SF_EIPA_BPP);
}

/* LoadBoundProfilePackage over the scripted card: each item is its own
 * STORE DATA chain (P2 from 0), and the client stops at the BF37. */
static void test_load_bpp(void **state)
{
	(void)state;
	static uint8_t bpp[8192];
	static struct mock m;
	struct sf_ipa_transport t;
	static struct sf_ipa_es10 c;
	struct sf_ipa_bpp_item it[32];
	uint8_t rsp[256];
	size_t n, rl, len = build_bpp(bpp, sizeof(bpp), 1, 3, 1020);
	assert_int_equal(sf_ipa_bpp_split(bpp, len, it, 32, &n), 0);

	/* the PIR after the last item */
	mock_init(&t, &m);
	m.pir_at = n;
	es10_on(&c, &t, 1, 120);
	assert_int_equal(sf_ipa_load_bpp(&c, bpp, len, rsp, sizeof(rsp), &rl), 0);
	assert_int_equal(rl, sizeof(PIR_MIN));
	assert_int_equal(m.chains, n);
	/* re-split the APDU log into chains and compare with the items */
	size_t off = 0, item = 0, ipos = 0;
	for (size_t i = 0; i < m.napdu; i++) {
		const uint8_t *a = m.log + off;
		assert_int_equal(a[0], 0x81);
		assert_memory_equal(a + 5, bpp + it[item].off + ipos, a[4]);
		assert_true(a[4] <= 120);
		ipos += a[4];
		if (a[2] == 0x91) {
			assert_int_equal(ipos, it[item].len);
			item++;
			ipos = 0;
		}
		off += m.lens[i];
	}
	assert_int_equal(item, n);

	/* an early PIR (an error at the third item): nothing more is sent */
	mock_init(&t, &m);
	m.pir_at = 3;
	es10_on(&c, &t, 1, 120);
	assert_int_equal(sf_ipa_load_bpp(&c, bpp, len, rsp, sizeof(rsp), &rl), 0);
	assert_int_equal(m.chains, 3);

	/* no PIR at all */
	mock_init(&t, &m);
	es10_on(&c, &t, 1, 120);
	assert_int_equal(sf_ipa_load_bpp(&c, bpp, len, rsp, sizeof(rsp), &rl), SF_EIPA_RESPONSE);
	assert_int_equal(m.chains, n);

	/* a malformed package sends nothing */
	mock_init(&t, &m);
	es10_on(&c, &t, 1, 120);
	assert_int_equal(sf_ipa_load_bpp(&c, bpp, len - 1, rsp, sizeof(rsp), &rl), SF_EIPA_BPP);
	assert_int_equal(m.napdu, 0);
}

/* ---- PIR, hashCc ---- */

static size_t build_pir(uint8_t *buf, size_t cap, int ok)
{
	struct sf_der_writer w;
	size_t n;
	static const uint8_t tid[4] = {0xDE, 0xAD, 0xBE, 0xEF};
	static const uint8_t iccid[10] = {0x98, 0x00, 0x21, 0x43, 0x65,
	                                  0x87, 0x09, 0x21, 0x43, 0x65};
	static const uint8_t sig[64] = {0};
	static const uint8_t aid[16] = {0xA0, 0,    0,    5,    0x59, 0x10, 0x10, 0xFF,
	                                0xFF, 0xFF, 0xFF, 0x89, 0,    0,    0x10, 0};
	sf_der_writer_init(&w, buf, cap);
	size_t m = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, 0x5F37, sig, 64);
	size_t md = sf_der_writer_mark(&w);
	size_t mf = sf_der_writer_mark(&w);
	size_t mr = sf_der_writer_mark(&w);
	if (ok) {
		sf_der_write_octets(&w, SF_DER_OCTET_STRING, NULL, 0);
		sf_der_write_octets(&w, 0x4F, aid, 16);
		sf_der_write_wrap(&w, mr, SF_DER_CTX_C(0));
	} else {
		sf_der_write_int64(&w, SF_DER_CTX(1), 9);
		sf_der_write_int64(&w, SF_DER_CTX(0), 5);
		sf_der_write_wrap(&w, mr, SF_DER_CTX_C(1));
	}
	sf_der_write_wrap(&w, mf, SF_DER_CTX_C(2));
	sf_der_write_oid_str(&w, SF_DER_OID, "2.999.10");
	size_t mn = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, 0x5A, iccid, 10);
	sf_der_write_string(&w, SF_DER_UTF8_STRING, SF_DER_UTF8_STRING, "smdp.example", 12);
	sf_der_write_named_bits(&w, SF_DER_CTX(1), 1u << 0);
	sf_der_write_int64(&w, SF_DER_CTX(0), 7);
	sf_der_write_wrap(&w, mn, 0xBF2F);
	sf_der_write_octets(&w, SF_DER_CTX(0), tid, 4);
	sf_der_write_wrap(&w, md, 0xBF27);
	sf_der_write_wrap(&w, m, 0xBF37);
	assert_int_equal(sf_der_writer_finish(&w, &n), 0);
	return n;
}

static void test_pir(void **state)
{
	(void)state;
	uint8_t buf[512];
	struct sf_ipa_pir p;
	size_t n = build_pir(buf, sizeof(buf), 1);
	assert_int_equal(sf_ipa_pir_parse(buf, n, &p), 0);
	assert_int_equal(p.ok, 1);
	assert_int_equal(p.seq, 7);
	assert_string_equal(p.iccid, "89001234567890123456");
	assert_int_equal(p.tid_len, 4);
	n = build_pir(buf, sizeof(buf), 0);
	assert_int_equal(sf_ipa_pir_parse(buf, n, &p), 0);
	assert_int_equal(p.ok, 0);
	assert_int_equal(p.bpp_command_id, 5);
	assert_int_equal(p.error_reason, 9);
	for (size_t l = 0; l < n; l++)
		assert_int_equal(sf_ipa_pir_parse(buf, l, &p), SF_EIPA_RESPONSE);
}

static void test_hash_cc(void **state)
{
	(void)state;
	uint8_t tid[16], out[32], want[32];
	sf_test_unhex("0123456789abcdef0123456789abcdef", tid, 16);
	/* python3: sha256(sha256(b"12345678").digest() + tid) */
	sf_test_unhex("a1370440a38ba522a1518b10200ec765da6a7b2e5afd2a696de8592fd4a0928f", want, 32);
	sf_ipa_hash_cc("12345678", tid, 16, out);
	assert_memory_equal(out, want, 32);
}

/* SM-DP+ addresses from elsewhere than an activation code (the eUICC's
 * default SM-DP+, set-default-dp): the activation code's rules. */
static void test_smdp_address(void **state)
{
	(void)state;
	static const char *good[] = {"smdp.example.com", "127.0.0.1:8443", "[::1]:443", "a"};
	static const char *bad[] = {"",        "a b",        "a/b",   "https://a",     "a:0",
	                            "a:65536", "-a.example", "a$b",   "a:1:2",         "[::1",
	                            "a\nb",    "a.example:", "a?x=1", "user@a.example"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!sf_ipa_smdp_address_valid(good[i]))
			fail_msg("refused \"%s\"", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sf_ipa_smdp_address_valid(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	char longer[300];
	memset(longer, 'a', sizeof(longer));
	longer[256] = '\0';
	assert_false(sf_ipa_smdp_address_valid(longer));
	assert_false(sf_ipa_smdp_address_valid(NULL));
}

/* The ES10b.AuthenticateServer request the agent sends to the card, taken
 * back from the STORE DATA blocks the scripted card received. */
static size_t sent_request(const struct mock *m, uint8_t *out, size_t cap)
{
	size_t off = 0, n = 0;
	for (size_t i = 0; i < m->napdu; i++) {
		const uint8_t *a = m->log + off;
		if (a[1] == 0xE2) {
			assert_true(n + a[4] <= cap);
			memcpy(out + n, a + 5, a[4]);
			n += a[4];
		}
		off += m->lens[i];
	}
	return n;
}

/* ctxParams1 {matchingId?, deviceInfo}: a download through the default
 * SM-DP+ sends no matchingId at all (SGP.22 §3.1.2); with one it is 80. */
static void test_authenticate_server_no_matching_id(void **state)
{
	(void)state;
	static struct mock m;
	struct sf_ipa_transport t;
	static struct sf_ipa_es10 c;
	static const uint8_t s1[] = {0x30, 0x03, 0x80, 0x01, 0x01}, ci[] = {0x04, 0x01, 0xAA},
	                     cert[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	uint8_t sig[67] = {0x5F, 0x37, 0x40}, rsp[64], req[1024];
	struct sf_ipa_device_info dev;
	size_t rl;
	memset(&dev, 0, sizeof(dev));
	memcpy(dev.tac, "\x35\x29\x06\x11", 4);
	for (int with = 0; with < 2; with++) {
		mock_init(&t, &m);
		es10_on(&c, &t, 1, 255);
		/* the scripted card answers 90 00 without data: not a BF38 */
		assert_int_equal(sf_ipa_authenticate_server(&c, s1, sizeof(s1), sig, sizeof(sig),
		                                            ci, sizeof(ci), cert, sizeof(cert),
		                                            with ? "MID-1" : NULL, &dev, rsp,
		                                            sizeof(rsp), &rl),
		                 SF_EIPA_RESPONSE);
		size_t n = sent_request(&m, req, sizeof(req));
		const uint8_t *p = req, *end = req + n, *v, *w;
		size_t vl, wl;
		assert_int_equal(sf_der_expect(&p, end, 0xBF38, &v, &vl), 0);
		assert_ptr_equal(p, end);
		p = v;
		end = v + vl;
		for (int i = 0; i < 4; i++) /* serverSigned1, signature, CI PKID, certificate */
			assert_int_equal(sf_der_skip(&p, end), 0);
		assert_int_equal(sf_der_expect(&p, end, SF_DER_CTX_C(0), &w, &wl), 0);
		assert_ptr_equal(p, end);
		p = w;
		end = w + wl;
		if (with) {
			assert_int_equal(sf_der_expect(&p, end, SF_DER_CTX(0), &v, &vl), 0);
			assert_int_equal(vl, 5);
			assert_memory_equal(v, "MID-1", 5);
		}
		/* then deviceInfo, and nothing else */
		assert_int_equal(sf_der_expect(&p, end, SF_DER_CTX_C(1), &v, &vl), 0);
		assert_ptr_equal(p, end);
	}
}

/* ---- against the in-process eUICC ---- */

static char root[256];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/sf-ipa-XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static size_t build(const char *iccid, uint8_t *dst, size_t cap)
{
	uint8_t k[16], opc[16];
	sf_test_unhex("465b5ce8b199b49faa5f0a2ee238a6bc", k, 16);
	sf_test_unhex("cd63cb71954a9f4e48a5994e37a02baf", opc, 16);
	struct sf_saip_build_params p;
	memset(&p, 0, sizeof(p));
	p.iccid = iccid;
	p.imsi = "001010123456789";
	p.algorithm = SF_SAIP_ALG_MILENAGE;
	p.k = k;
	p.k_len = 16;
	p.opc = opc;
	p.opc_len = 16;
	p.spn = "simfleet";
	size_t n = 0;
	struct sf_saip_error err;
	assert_int_equal(sf_saip_build(&p, dst, cap, &n, &err), 0);
	return n;
}

static void test_es10_euicc(void **state)
{
	(void)state;
	char dir[300], eid[33];
	static uint8_t pkg[65536], buf[SF_IPA_RSP_MAX];
	struct sf_euicc *e = NULL;
	struct sf_ipa_transport t;
	static struct sf_ipa_es10 c;
	struct sf_profile_info pi[4];
	struct sf_notification nl[16];
	size_t n, bl;
	snprintf(dir, sizeof(dir), "%s/e", root);
	assert_int_equal(sf_euicc_create(dir, NULL, SF_EUICC_TEST_MODE, NULL), 0);
	assert_int_equal(sf_euicc_open(&e, dir), 0);
	size_t pl = build("89000123456789012341", pkg, sizeof(pkg));
	assert_int_equal(sf_euicc_install_local(e, pkg, pl, 0, NULL, NULL), 0);
	pl = build("8900012345678901230", pkg, sizeof(pkg)); /* 19 digits */
	assert_int_equal(sf_euicc_install_local(e, pkg, pl, 0, NULL, NULL), 0);

	static const size_t blocks[] = {0, 1, 6, 120, 255};
	for (size_t b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++) {
		sf_ipa_transport_euicc(&t, e);
		assert_int_equal(sf_ipa_es10_open(&c, &t, blocks[b]), 0);
		assert_int_equal(c.opened, 1);
		assert_true(c.ch >= 1 && c.ch <= 3);
		assert_int_equal(sf_ipa_get_eid(&c, eid), 0);
		assert_string_equal(eid, sf_euicc_eid(e));
		assert_int_equal(sf_ipa_get_profiles(&c, pi, 4, &n), 0);
		assert_int_equal(n, 2);
		assert_string_equal(pi[0].iccid, "89000123456789012341");
		assert_string_equal(pi[1].iccid, "8900012345678901230");
		assert_int_equal(pi[0].state, SF_PROFILE_DISABLED);
		assert_int_equal(pi[0].isdp_aid_len, 16);
		sf_ipa_es10_close(&c);
		sf_ipa_es10_close(&c); /* twice is fine */
	}

	sf_ipa_transport_euicc(&t, e);
	assert_int_equal(sf_ipa_es10_open(&c, &t, 0), 0);
	assert_int_equal(c.block, SF_IPA_BLOCK_DEFAULT);
	assert_int_equal(sf_ipa_get_info1(&c, buf, sizeof(buf), &bl), 0);
	assert_int_equal(buf[0], 0xBF);
	assert_int_equal(buf[1], 0x20);
	assert_int_equal(sf_ipa_get_info2(&c, buf, sizeof(buf), &bl), 0);
	assert_int_equal(buf[1], 0x22);
	uint8_t ch1[16], ch2[16];
	assert_int_equal(sf_ipa_get_challenge(&c, ch1), 0);
	assert_int_equal(sf_ipa_get_challenge(&c, ch2), 0);
	assert_memory_not_equal(ch1, ch2, 16);

	/* profile operations and their result codes */
	assert_int_equal(sf_ipa_enable(&c, "89000123456789012341", 0), SF_ES10_OK);
	assert_int_equal(sf_ipa_enable(&c, "89000123456789012341", 0), SF_ES10_WRONG_STATE);
	assert_int_equal(sf_ipa_enable(&c, "8900012345678901230", 0), SF_ES10_OK); /* switch */
	assert_int_equal(sf_ipa_get_profiles(&c, pi, 4, &n), 0);
	assert_int_equal(pi[0].state, SF_PROFILE_DISABLED);
	assert_int_equal(pi[1].state, SF_PROFILE_ENABLED);
	assert_int_equal(sf_ipa_delete(&c, "8900012345678901230"), SF_ES10_WRONG_STATE);
	assert_int_equal(sf_ipa_disable(&c, "8900012345678901230", 0), SF_ES10_OK);
	assert_int_equal(sf_ipa_disable(&c, "8900012345678901230", 0), SF_ES10_WRONG_STATE);
	assert_int_equal(sf_ipa_delete(&c, "8900012345678901230"), SF_ES10_OK);
	assert_int_equal(sf_ipa_delete(&c, "8900012345678901230"), SF_ES10_NOT_FOUND);
	assert_int_equal(sf_ipa_enable(&c, "89000000000000000000", 0), SF_ES10_NOT_FOUND);
	assert_int_equal(sf_ipa_enable(&c, "123", 0), SF_EINVAL);
	assert_string_equal(sf_ipa_result_name(0xBF32, 2), "profileNotInEnabledState");
	assert_int_equal(sf_ipa_get_profiles(&c, pi, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sf_ipa_get_profiles(&c, pi, 0, &n), SF_EBUFSIZE);
	assert_int_equal(n, 1);

	/* notifications: listed with their events; removal by seqNumber */
	assert_int_equal(sf_ipa_list_notifications(&c, nl, 16, &n), 0);
	assert_true(n >= 5);
	assert_int_equal(nl[0].event, SF_NOTIF_INSTALL);
	assert_string_equal(nl[0].iccid, "89000123456789012341");
	uint32_t first = nl[0].seq;
	assert_int_equal(sf_ipa_remove_notification(&c, first), 0);
	assert_int_equal(sf_ipa_remove_notification(&c, first), 1); /* nothingToDelete */
	size_t n2;
	assert_int_equal(sf_ipa_list_notifications(&c, nl, 16, &n2), 0);
	assert_int_equal(n2, n - 1);
	assert_int_equal(sf_ipa_retrieve_notification(&c, 999999, buf, sizeof(buf), &bl),
	                 SF_ENOENT);

	/* ES10a: the default SM-DP+ address, none at first; set, read, cleared */
	char dp[256], ds[256];
	assert_int_equal(sf_ipa_get_addresses(&c, dp, ds), 0);
	assert_string_equal(dp, "");
	assert_int_equal(sf_ipa_set_default_dp(&c, "smdp.example.com:8443"), SF_ES10_OK);
	assert_int_equal(sf_ipa_get_addresses(&c, dp, ds), 0);
	assert_string_equal(dp, "smdp.example.com:8443");
	char longer[300];
	memset(longer, 'a', sizeof(longer));
	longer[256] = '\0';
	assert_int_equal(sf_ipa_set_default_dp(&c, longer), SF_EINVAL); /* over 255 */
	assert_int_equal(sf_ipa_get_addresses(&c, dp, ds), 0);
	assert_string_equal(dp, "smdp.example.com:8443");
	assert_int_equal(sf_ipa_set_default_dp(&c, ""), SF_ES10_OK);
	assert_int_equal(sf_ipa_get_addresses(&c, dp, ds), 0);
	assert_string_equal(dp, "");
	sf_ipa_es10_close(&c);
	sf_ipa_transport_close(&t);
	sf_euicc_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ac_good),
	    cmocka_unit_test(test_ac_bad),
	    cmocka_unit_test(test_store_data_boundaries),
	    cmocka_unit_test(test_t0_get_response),
	    cmocka_unit_test(test_bpp_split),
	    cmocka_unit_test(test_load_bpp),
	    cmocka_unit_test(test_pir),
	    cmocka_unit_test(test_hash_cc),
	    cmocka_unit_test(test_smdp_address),
	    cmocka_unit_test(test_authenticate_server_no_matching_id),
	    cmocka_unit_test_setup_teardown(test_es10_euicc, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
