/* The card engine's APDU layer: parsing (ISO/IEC 7816-3 §12.1.3), class
 * bytes, T=0 response handling (61xx, 6Cxx, GET RESPONSE), MANAGE CHANNEL,
 * reset and the ATR, driven through sf_card_transmit() with a recording
 * application. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helper_tsv.h"
#include "simfleet/card.h"
#include "simfleet/err.h"

/* ---- a recording application ---- */

struct rec {
	int calls;
	struct sf_apdu last;
	uint8_t last_data[300];
	/* what to answer */
	size_t resp_len;
	uint16_t resp_sw;
	int resp_rc;
	/* callbacks seen */
	int resets;
	enum sf_card_reset_kind reset_kind;
	int opened, closed;
	unsigned open_ch, open_origin, close_ch;
	int state_zero_on_open;
};

/* Response octet i: distinct across 256-byte pieces. */
static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 8) * 3 + 1);
}

static int rec_process(void *user, struct sf_card *card, const struct sf_apdu *cmd,
		       struct sf_rapdu *rsp)
{
	struct rec *r = user;
	r->calls++;
	r->last = *cmd;
	memcpy(r->last_data, cmd->data,
	       cmd->nc < sizeof(r->last_data) ? cmd->nc : sizeof(r->last_data));
	/* The app's per-channel state is there for the channel it runs on. */
	assert_non_null(sf_card_chan_state(card, cmd->channel));
	assert_int_equal(rsp->cap, SF_CARD_MAX_RESPONSE);
	assert_int_equal(rsp->sw, SF_SW_TECHNICAL_PROBLEM);
	for (size_t i = 0; i < r->resp_len && i < rsp->cap; i++)
		rsp->data[i] = pat(i);
	rsp->len = r->resp_len;
	rsp->sw = r->resp_sw;
	return r->resp_rc;
}

static void rec_reset(void *user, struct sf_card *card, enum sf_card_reset_kind kind)
{
	struct rec *r = user;
	(void)card;
	r->resets++;
	r->reset_kind = kind;
}

static void rec_opened(void *user, struct sf_card *card, unsigned ch, unsigned origin)
{
	struct rec *r = user;
	r->opened++;
	r->open_ch = ch;
	r->open_origin = origin;
	const uint8_t *st = sf_card_chan_state(card, ch);
	assert_non_null(st);
	r->state_zero_on_open = 1;
	for (size_t i = 0; i < SF_CARD_CHAN_STATE_SIZE; i++)
		if (st[i] != 0)
			r->state_zero_on_open = 0;
}

static void rec_closed(void *user, struct sf_card *card, unsigned ch)
{
	struct rec *r = user;
	(void)card;
	r->closed++;
	r->close_ch = ch;
}

static const struct sf_card_app rec_app = {
	.process = rec_process,
	.reset = rec_reset,
	.channel_opened = rec_opened,
	.channel_closed = rec_closed,
};

struct fx {
	struct sf_card card;
	struct rec rec;
};

static struct fx *fx_new(unsigned flags)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(sf_card_init(&f->card, &rec_app, &f->rec, flags), 0);
	f->rec.resp_sw = SF_SW_OK;
	return f;
}

static void fx_free(struct fx *f)
{
	sf_card_free(&f->card);
	sf_card_free(&f->card); /* twice is fine */
	free(f);
}

/* Sends cmd_hex; returns the R-APDU in out (cap 70000) and its length. */
static size_t xmit(struct fx *f, const char *cmd_hex, uint8_t *out)
{
	static uint8_t cmd[70000];
	size_t n = sf_test_unhex(cmd_hex, cmd, sizeof(cmd));
	/* exact-size heap copy, so ASan sees any read past the APDU */
	uint8_t *exact = malloc(n ? n : 1);
	assert_non_null(exact);
	memcpy(exact, cmd, n);
	size_t rlen = 0;
	assert_int_equal(sf_card_transmit(&f->card, exact, n, out, 70000, &rlen), 0);
	free(exact);
	assert_true(rlen >= 2);
	return rlen;
}

static uint16_t sw_of(const uint8_t *r, size_t n)
{
	return (uint16_t)((r[n - 2] << 8) | r[n - 1]);
}

/* Sends cmd_hex, expects exactly rsp_hex back. */
static void tx(struct fx *f, const char *cmd_hex, const char *rsp_hex)
{
	static uint8_t out[70000], want[70000];
	size_t n = xmit(f, cmd_hex, out);
	size_t w = sf_test_unhex(rsp_hex, want, sizeof(want));
	if (n != w)
		fprintf(stderr, "command %s: response length %zu, expected %zu (%s), SW %04X\n",
			cmd_hex, n, w, rsp_hex, sw_of(out, n));
	assert_int_equal(n, w);
	sf_assert_mem(cmd_hex, out, want, n);
}

/* Sends cmd_hex, expects n_data octets of pat(off..) followed by sw. */
static void tx_data(struct fx *f, const char *cmd_hex, size_t off, size_t n_data, uint16_t sw)
{
	static uint8_t out[70000];
	size_t n = xmit(f, cmd_hex, out);
	if (n != n_data + 2)
		fprintf(stderr, "command %s: response length %zu, expected %zu, SW %04X\n", cmd_hex,
			n, n_data + 2, sw_of(out, n));
	assert_int_equal(n, n_data + 2);
	for (size_t i = 0; i < n_data; i++)
		if (out[i] != pat(off + i)) {
			fprintf(stderr, "command %s: octet %zu is %02X, expected %02X\n",
				cmd_hex, i, out[i], pat(off + i));
			fail();
		}
	assert_int_equal(sw_of(out, n), sw);
}

/* ---- parsing ---- */

static void test_parse_cases(void **state)
{
	(void)state;
	static const struct {
		const char *hex;
		int apdu_case, ext;
		uint32_t nc, ne;
		unsigned channel;
	} v[] = {
		{"00A40000", 1, 0, 0, 0, 0},
		{"80F2000016", 2, 0, 0, 0x16, 0},
		{"00B0000000", 2, 0, 0, 256, 0},
		{"01B00000FF", 2, 0, 0, 255, 1},
		{"00A40004023F00", 3, 0, 2, 0, 0},
		{"83E2910006BF3E035C015A", 3, 0, 6, 0, 3},
		{"0088008122"
		 "10" "00112233445566778899AABBCCDDEEFF"
		 "10" "00112233445566778899AABBCCDDEEFF" "00",
		 4, 0, 0x22, 256, 0},
		{"02A40004023F0010", 4, 0, 2, 0x10, 2},
		{"00B00000000100", 2, 1, 0, 256, 0},
		{"00B00000000000", 2, 1, 0, 65536, 0},
		{"00B0000000FFFF", 2, 1, 0, 65535, 0},
		{"00D6000000000301020" "3", 3, 1, 3, 0, 0},
		{"00A4000400000101" "0000", 4, 1, 1, 65536, 0},
		{"81A4000400000101" "0010", 4, 1, 1, 16, 1},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t buf[128];
		size_t n = sf_test_unhex(v[i].hex, buf, sizeof(buf));
		struct sf_apdu a;
		int rc = sf_apdu_parse(&a, buf, n);
		if (rc != 0)
			fprintf(stderr, "%s: %s\n", v[i].hex, sf_err_name(rc));
		assert_int_equal(rc, 0);
		assert_int_equal(a.cla, buf[0]);
		assert_int_equal(a.ins, buf[1]);
		assert_int_equal(a.p1, buf[2]);
		assert_int_equal(a.p2, buf[3]);
		assert_int_equal(a.apdu_case, v[i].apdu_case);
		assert_int_equal(a.extended, v[i].ext);
		assert_int_equal(a.nc, v[i].nc);
		assert_int_equal(a.ne, v[i].ne);
		assert_int_equal(a.channel, v[i].channel);
		if (a.nc > 0)
			assert_ptr_equal(a.data, buf + (a.extended ? 7 : 5));
	}

	/* Extended case 3 and 4 with long data (256 and 65535 octets). */
	static uint8_t big[9 + 65535];
	struct sf_apdu a;
	memset(big, 0x5A, sizeof(big));
	big[0] = 0x80, big[1] = 0xE2, big[2] = 0x91, big[3] = 0x00;
	big[4] = 0x00, big[5] = 0x01, big[6] = 0x00; /* Lc 256 */
	assert_int_equal(sf_apdu_parse(&a, big, 7 + 256), 0);
	assert_int_equal(a.apdu_case, 3);
	assert_int_equal(a.nc, 256);
	big[7 + 256] = 0x02, big[7 + 257] = 0x00;
	assert_int_equal(sf_apdu_parse(&a, big, 9 + 256), 0);
	assert_int_equal(a.apdu_case, 4);
	assert_int_equal(a.ne, 512);
	big[5] = 0xFF, big[6] = 0xFF;
	assert_int_equal(sf_apdu_parse(&a, big, 7 + 65535), 0);
	assert_int_equal(a.nc, 65535);
	big[7 + 65535] = 0x00, big[8 + 65535] = 0x00;
	assert_int_equal(sf_apdu_parse(&a, big, 9 + 65535), 0);
	assert_int_equal(a.ne, 65536);
	assert_int_equal(sf_apdu_parse(&a, big, 8 + 65535), SF_EAPDU_LEN);

	/* Short case 3 with 255 octets, case 4 with 255 + Le. */
	big[0] = 0x00, big[4] = 0xFF;
	assert_int_equal(sf_apdu_parse(&a, big, 5 + 255), 0);
	assert_int_equal(a.apdu_case, 3);
	assert_int_equal(a.nc, 255);
	assert_int_equal(sf_apdu_parse(&a, big, 6 + 255), 0);
	assert_int_equal(a.apdu_case, 4);

	assert_int_equal(sf_apdu_parse(NULL, big, 4), SF_EINVAL);
	assert_int_equal(sf_apdu_parse(&a, NULL, 4), SF_EINVAL);
	assert_int_equal(sf_apdu_parse(&a, NULL, 0), SF_EAPDU_SHORT);
}

/* Every prefix of valid APDUs, in exact-size heap buffers: no crash, no read
 * past the end (ASan), and only valid results. */
static void test_parse_prefixes(void **state)
{
	(void)state;
	static const char *const hex[] = {
		"00A4000400000101" "0000",
		"0088008122"
		"10" "00112233445566778899AABBCCDDEEFF"
		"10" "00112233445566778899AABBCCDDEEFF" "00",
		"00B0000000FFFF",
		"02A40004023F0010",
	};
	for (size_t h = 0; h < sizeof(hex) / sizeof(hex[0]); h++) {
		uint8_t buf[128];
		size_t n = sf_test_unhex(hex[h], buf, sizeof(buf));
		for (size_t len = 0; len <= n; len++) {
			uint8_t *p = malloc(len ? len : 1);
			assert_non_null(p);
			memcpy(p, buf, len);
			struct sf_apdu a;
			memset(&a, 0xEE, sizeof(a));
			int rc = sf_apdu_parse(&a, p, len);
			if (rc == 0) {
				assert_true(a.apdu_case >= 1 && a.apdu_case <= 4);
				if (a.nc)
					assert_true(a.data + a.nc <= p + len);
			} else {
				assert_true(rc == SF_EAPDU_SHORT || rc == SF_EAPDU_LEN);
				assert_int_equal(a.cla, 0xEE); /* out untouched */
			}
			free(p);
		}
	}
}

/* ---- malformed commands: the SW a card gives, and nothing changes ---- */

static void test_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *hex;
		uint16_t sw;
		int err;
	} v[] = {
		{"", 0x6700, SF_EAPDU_SHORT},
		{"00", 0x6700, SF_EAPDU_SHORT},
		{"00A4", 0x6700, SF_EAPDU_SHORT},
		{"00A400", 0x6700, SF_EAPDU_SHORT},
		{"00A40004023F", 0x6700, SF_EAPDU_LEN},       /* Lc > data */
		{"00A40004023F000000", 0x6700, SF_EAPDU_LEN}, /* Lc < data */
		{"00A40004023F000102", 0x6700, SF_EAPDU_LEN},
		{"00A400040000", 0x6700, SF_EAPDU_LEN},           /* 00 + 1 octet */
		{"00A40004000002" "3F00" "00", 0x6700, SF_EAPDU_LEN}, /* ext Lc + short Le */
		{"00A40004000002" "3F00" "000000", 0x6700, SF_EAPDU_LEN},
		{"00A40004000003" "3F00", 0x6700, SF_EAPDU_LEN},  /* ext Lc > data */
		{"00A40004000001" "3F00", 0x6700, SF_EAPDU_LEN},  /* ext Lc < data */
		{"00A40004000000" "00", 0x6700, SF_EAPDU_LEN},    /* ext Lc 0000 */
		{"00A40004000000" "0000", 0x6700, SF_EAPDU_LEN},
		{"00A40004023F00" "0000", 0x6700, SF_EAPDU_LEN},  /* short Lc + ext Le */
		{"00B000000000", 0x6700, SF_EAPDU_LEN},           /* truncated ext Le */
		{"FFA40004023F00", 0x6E00, SF_EAPDU_CLA},
		{"FFA4", 0x6700, SF_EAPDU_SHORT},                 /* too short to look at */
		{"FFA40004023F", 0x6E00, SF_EAPDU_CLA},           /* CLA checked before length */
		{"20A40000", 0x6E00, SF_EAPDU_CLA},
		{"3FA40000", 0x6E00, SF_EAPDU_CLA},
		{"A0A40000023F00", 0x6E00, SF_EAPDU_CLA},         /* GSM class: not a SIM */
		{"B0A40000", 0x6E00, SF_EAPDU_CLA},
		{"04A40000", 0x6882, SF_EAPDU_SM},
		{"0CA40000", 0x6882, SF_EAPDU_SM},
		{"84E2910000", 0x6882, SF_EAPDU_SM},
		{"10A40000", 0x6884, SF_EAPDU_CHAINING},
		{"90E2910000", 0x6884, SF_EAPDU_CHAINING},
		{"40A40000", 0x6881, SF_EAPDU_CHANNEL},
		{"4FA40000", 0x6881, SF_EAPDU_CHANNEL},
		{"60A40000", 0x6881, SF_EAPDU_CHANNEL},
		{"C0F20000", 0x6881, SF_EAPDU_CHANNEL},
		{"E1F20000", 0x6881, SF_EAPDU_CHANNEL},
		{"00600000", 0x6D00, SF_EAPDU_INS},
		{"006F000000", 0x6D00, SF_EAPDU_INS},
		{"00900000", 0x6D00, SF_EAPDU_INS},
		{"809F0000", 0x6D00, SF_EAPDU_INS},
		{"00600000023F", 0x6D00, SF_EAPDU_INS},           /* INS checked before length */
		{"01A40000", 0x6881, SF_ECARD_CLOSED},            /* channel 1 not open */
		{"03B0000000", 0x6881, SF_ECARD_CLOSED},
		{"81C0000010", 0x6881, SF_ECARD_CLOSED},
	};
	struct fx *f = fx_new(0);
	/* Leave 20 octets pending, so "nothing changed" includes the pending data. */
	f->rec.resp_len = 20;
	tx(f, "80E2910003BF2200", "6114");
	assert_int_equal(f->rec.calls, 1);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char want[8];
		snprintf(want, sizeof(want), "%04X", v[i].sw);
		tx(f, v[i].hex, want);
		assert_int_equal(f->rec.calls, 1);
		assert_int_equal(sf_card_last_error(&f->card), v[i].err);
		assert_int_equal(sf_card_err_sw(v[i].err), v[i].sw);
	}
	/* The pending response survived all of it. */
	tx_data(f, "00C0000014", 0, 20, SF_SW_OK);
	assert_int_equal(sf_card_last_error(&f->card), 0);
	assert_int_equal(f->rec.calls, 1);
	fx_free(f);
}

/* ---- T=0: 61xx and GET RESPONSE ---- */

/* Fetches `total` pending octets with GET RESPONSEs of the given Le values
 * (0 = use the SW2 last announced), checking every piece. */
static void fetch(struct fx *f, const char *cla, size_t total, const unsigned *les, size_t nles,
		  uint16_t final_sw)
{
	size_t off = 0;
	size_t k = 0;
	while (off < total) {
		size_t avail = total - off;
		unsigned le = k < nles ? les[k] : 0;
		k++;
		size_t want = le ? le : (avail >= 256 ? 256 : avail);
		if (want > avail)
			want = avail;
		char cmd[16];
		snprintf(cmd, sizeof(cmd), "%sC00000%02X", cla, le ? le : (unsigned)(want & 0xFF));
		size_t rest = avail - want;
		uint16_t sw = rest ? (uint16_t)(0x6100 | (rest >= 256 ? 0 : rest)) : final_sw;
		tx_data(f, cmd, off, want, sw);
		off += want;
	}
	tx(f, "00C0000010", "6F00"); /* all fetched: nothing pending */
	assert_int_equal(sf_card_last_error(&f->card), SF_ECARD_NODATA);
}

static void test_get_response_chaining(void **state)
{
	(void)state;
	struct fx *f = fx_new(0);

	/* lpac's trace: 100 octets -> 61 64, GET RESPONSE with CLA 80 */
	f->rec.resp_len = 100;
	tx(f, "80E2910003BF2200", "6164");
	tx_data(f, "80C0000064", 0, 100, SF_SW_OK);
	tx(f, "80C0000064", "6F00");

	/* 300 octets, case 4: 61 00 (256 or more) then 256 + 61 2C, then 44 */
	f->rec.resp_len = 300;
	tx(f, "0088008102AABB00", "6100");
	fetch(f, "00", 300, NULL, 0, SF_SW_OK);

	/* 300 octets, shorter Le values chain with 61 yy */
	static const unsigned les300[] = {0x10, 0x80, 0x9C};
	tx(f, "0088008102AABB00", "6100");
	fetch(f, "80", 300, les300, 3, SF_SW_OK);

	/* 1000 octets: 3 x 256 + 232 */
	f->rec.resp_len = 1000;
	tx(f, "80E2910003BF2D00", "6100");
	fetch(f, "00", 1000, NULL, 0, SF_SW_OK);

	/* 1000 octets with odd pieces */
	static const unsigned les1000[] = {1, 0x40, 0xFF, 0xFF, 0x11, 0x80, 0xC8};
	tx(f, "80E2910003BF2D00", "6100");
	fetch(f, "80", 1000, les1000, 7, SF_SW_OK);

	/* GET RESPONSE longer than what is left: 6C with the exact length,
	 * data kept; Le 00 (256) with less left is the same. */
	f->rec.resp_len = 20;
	tx(f, "00A40004023F00", "6114");
	tx(f, "00C0000020", "6C14");
	tx(f, "00C0000000", "6C14");
	tx(f, "00C0000000", "6C14");
	tx_data(f, "00C0000014", 0, 20, SF_SW_OK);

	/* Case 1 GET RESPONSE (no Le) is P3 = 00 for a T=0 card: 256 */
	f->rec.resp_len = 300;
	tx(f, "00A40004023F00", "6100");
	tx_data(f, "00C00000", 0, 256, 0x612C);
	tx_data(f, "00C000002C", 256, 44, SF_SW_OK);

	/* Bad P1-P2 or data on GET RESPONSE: refused, data kept */
	f->rec.resp_len = 20;
	tx(f, "00A40004023F00", "6114");
	tx(f, "00C0010014", "6A86");
	tx(f, "00C0000101", "6A86");
	tx(f, "00C000000100", "6700");
	tx_data(f, "00C0000014", 0, 20, SF_SW_OK);

	/* Exactly 256 octets: 61 00, one GET RESPONSE of 256 */
	f->rec.resp_len = 256;
	tx(f, "00A40004023F00", "6100");
	tx_data(f, "00C0000000", 0, 256, SF_SW_OK);

	/* Case 3 commands with data (SELECT without Le) and case 1 too */
	f->rec.resp_len = 0x1C;
	tx(f, "00A4000C023F00", "611C");
	tx_data(f, "00C000001C", 0, 0x1C, SF_SW_OK);
	tx(f, "80AA0000", "611C");
	tx_data(f, "80C000001C", 0, 0x1C, SF_SW_OK);

	/* No data: the status word directly */
	f->rec.resp_len = 0;
	tx(f, "80AA00000AA9088100820101830107", "9000");
	tx(f, "00C0000000", "6F00");

	/* A warning or proactive SW with data ends the last piece. */
	f->rec.resp_len = 10;
	f->rec.resp_sw = SF_SW_WARN_EOF;
	tx(f, "00A40004023F00", "610A");
	tx_data(f, "00C000000A", 0, 10, 0x6282);
	f->rec.resp_sw = SF_SW_PROACTIVE(0x1A);
	f->rec.resp_len = 300;
	tx(f, "80C2000003D10100", "6100");
	fetch(f, "80", 300, NULL, 0, 0x911A);
	fx_free(f);
}

static void test_pending_discarded(void **state)
{
	(void)state;
	struct fx *f = fx_new(0);
	f->rec.resp_len = 40;

	/* Another command in between: lost (TS 102 221 §12.1.1.1) */
	tx(f, "00A40004023F00", "6128");
	f->rec.resp_len = 0;
	tx(f, "80AA0000", "9000");
	assert_int_equal(f->rec.calls, 2);
	tx(f, "00C0000028", "6F00");
	assert_int_equal(sf_card_last_error(&f->card), SF_ECARD_NODATA);

	/* Part fetched, then another command: the rest is lost too */
	f->rec.resp_len = 40;
	tx(f, "00A40004023F00", "6128");
	tx_data(f, "00C0000010", 0, 16, 0x6118);
	f->rec.resp_len = 0;
	f->rec.resp_sw = SF_SW_FILE_NOT_FOUND;
	tx(f, "00A40004026F07", "6A82");
	tx(f, "00C0000018", "6F00");

	/* GET RESPONSE on another channel does not get it, and loses it */
	f->rec.resp_sw = SF_SW_OK;
	tx(f, "0070000001", "019000");
	f->rec.resp_len = 40;
	tx(f, "00A40004023F00", "6128");
	tx(f, "01C0000028", "6F00");
	tx(f, "00C0000028", "6F00");

	/* MANAGE CHANNEL in between also counts */
	tx(f, "01A40004023F00", "6128");
	tx(f, "00708001", "9000");
	tx(f, "00C0000028", "6F00");
	/* the pending data lived on the now closed channel 1 */
	tx(f, "01C0000028", "6881");
	fx_free(f);
}

/* ---- T=0: 6Cxx ---- */

static void test_wrong_le(void **state)
{
	(void)state;
	struct fx *f = fx_new(0);
	f->rec.resp_len = 20;

	/* Case 2 with Le 00 for 20 octets: 6C 14, re-issue with Le 14 */
	tx(f, "00B0000000", "6C14");
	assert_int_equal(f->rec.calls, 1);
	assert_int_equal(f->rec.last.ne, 256);
	tx_data(f, "00B0000014", 0, 20, SF_SW_OK);
	/* served from the kept data: the command was not executed twice */
	assert_int_equal(f->rec.calls, 1);

	/* Le too short, then still wrong, then right */
	tx(f, "80F2000005", "6C14");
	tx(f, "80F2000013", "6C14");
	tx_data(f, "80F2000014", 0, 20, SF_SW_OK);
	assert_int_equal(f->rec.calls, 2);
	/* the same command again is a new command */
	tx_data(f, "80F2000014", 0, 20, SF_SW_OK);
	assert_int_equal(f->rec.calls, 3);

	/* Another command after 6C: the kept data is dropped */
	tx(f, "00B0000000", "6C14");
	assert_int_equal(f->rec.calls, 4);
	tx_data(f, "00B0010014", 0, 20, SF_SW_OK); /* different P1: executed */
	assert_int_equal(f->rec.calls, 5);
	tx_data(f, "00B0000014", 0, 20, SF_SW_OK);
	assert_int_equal(f->rec.calls, 6);
	/* GET RESPONSE after 6C: nothing to get */
	tx(f, "00B0000000", "6C14");
	tx(f, "00C0000014", "6F00");

	/* 300 octets: Le other than 00 gets 6C 00; Le 00 gives 256 + 61 2C */
	f->rec.resp_len = 300;
	tx(f, "00B2010410", "6C00");
	tx_data(f, "00B2010400", 0, 256, 0x612C);
	tx_data(f, "00C000002C", 256, 44, SF_SW_OK);
	assert_int_equal(f->rec.calls, 8);

	/* Exactly 256: Le 00 fits */
	f->rec.resp_len = 256;
	tx_data(f, "00B2010400", 0, 256, SF_SW_OK);

	/* Malformed command after 6C keeps the data (nothing changed) */
	f->rec.resp_len = 20;
	tx(f, "00B0000000", "6C14");
	tx(f, "FFB0000014", "6E00");
	tx_data(f, "00B0000014", 0, 20, SF_SW_OK);

	/* "End of file before Le octets" (62 82) no longer holds once the
	 * re-issue asks for exactly what there is: 90 00. */
	f->rec.resp_len = 8;
	f->rec.resp_sw = SF_SW_WARN_EOF;
	tx(f, "00B0000010", "6C08");
	tx_data(f, "00B0000008", 0, 8, SF_SW_OK);
	/* Another warning travels with the data. */
	f->rec.resp_len = 8;
	f->rec.resp_sw = SF_SW_WARN_CORRUPTED;
	tx(f, "00B0000010", "6C08");
	tx_data(f, "00B0000008", 0, 8, SF_SW_WARN_CORRUPTED);
	fx_free(f);
}

/* ---- error status words, application failures ---- */

static void test_app_errors(void **state)
{
	(void)state;
	struct fx *f = fx_new(0);

	/* Data with an error SW is dropped (ISO/IEC 7816-4 §5.6) */
	f->rec.resp_len = 10;
	f->rec.resp_sw = SF_SW_FILE_NOT_FOUND;
	tx(f, "00A40004026F07", "6A82");
	tx(f, "00C000000A", "6F00");
	f->rec.resp_sw = SF_SW_AUTH_MAC_FAILURE;
	tx(f, "0088008102AABB00", "9862");
	assert_int_equal(sf_card_last_error(&f->card), 0);

	/* The app's own errors: 6F 00 */
	f->rec.resp_sw = SF_SW_OK;
	f->rec.resp_rc = SF_EINTERNAL;
	tx(f, "00A40004023F00", "6F00");
	assert_int_equal(sf_card_last_error(&f->card), SF_EINTERNAL);
	f->rec.resp_rc = 0;
	static const uint16_t bad[] = {0x6110, 0x6C10, 0x6000, 0x0000, 0x7000, 0x8000, 0xA000};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f->rec.resp_sw = bad[i];
		tx(f, "00A40004023F00", "6F00");
		assert_int_equal(sf_card_last_error(&f->card), SF_ECARD_APP);
	}
	/* Response longer than the buffer */
	f->rec.resp_sw = SF_SW_OK;
	f->rec.resp_len = SF_CARD_MAX_RESPONSE + 1;
	tx(f, "00A40004023F00", "6F00");
	assert_int_equal(sf_card_last_error(&f->card), SF_ECARD_APP);
	f->rec.resp_len = SF_CARD_MAX_RESPONSE;
	tx(f, "00A40004023F00", "6100");
	fx_free(f);
}

/* ---- logical channels ---- */

static void test_manage_channel(void **state)
{
	(void)state;
	struct fx *f = fx_new(0);
	assert_true(sf_card_chan_is_open(&f->card, 0));
	assert_false(sf_card_chan_is_open(&f->card, 1));
	assert_null(sf_card_chan_state(&f->card, 1));
	assert_null(sf_card_chan_state(&f->card, 4));

	/* lpac: 00 70 00 00 01 -> <ch> 90 00, exhaustion -> 6A 81 */
	tx(f, "0070000001", "019000");
	assert_int_equal(f->rec.opened, 1);
	assert_int_equal(f->rec.open_ch, 1);
	assert_int_equal(f->rec.open_origin, 0);
	assert_true(f->rec.state_zero_on_open);
	tx(f, "0070000001", "029000");
	tx(f, "0070000001", "039000");
	tx(f, "0070000001", "6A81");
	assert_int_equal(sf_card_last_error(&f->card), SF_ECARD_NOCHAN);
	assert_int_equal(f->rec.opened, 3);
	assert_int_equal(f->rec.calls, 0); /* never reaches the app */

	/* Channel bits route to the app, with CLA 0X and 8X */
	f->rec.resp_len = 0;
	for (unsigned ch = 0; ch < 4; ch++) {
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "0%uA4000410A0000005591010FFFFFFFF8900000100", ch);
		tx(f, cmd, "9000");
		assert_int_equal(f->rec.last.channel, ch);
		assert_int_equal(f->rec.last.cla, ch);
		assert_int_equal(f->rec.last.nc, 16);
		snprintf(cmd, sizeof(cmd), "8%uE2910006BF3E035C015A", ch);
		tx(f, cmd, "9000");
		assert_int_equal(f->rec.last.channel, ch);
		assert_int_equal(f->rec.last.p1, 0x91);
	}
	/* GET RESPONSE per channel, CLA 8<ch> as lpac sends it */
	f->rec.resp_len = 0x66;
	tx(f, "82E2910003BF2200", "6166");
	tx_data(f, "82C0000066", 0, 0x66, SF_SW_OK);

	/* Close 2, its state goes; open again assigns 2 */
	unsigned char *st = sf_card_chan_state(&f->card, 2);
	assert_non_null(st);
	memset(st, 0xAB, SF_CARD_CHAN_STATE_SIZE);
	tx(f, "0070800201", "6700");  /* Le on close */
	tx(f, "007080020101", "6700"); /* data on close */
	/* lpac's form: P3 = 00 after the header, as T=0 carries it. */
	tx(f, "0070800200", "9000");
	assert_int_equal(f->rec.closed, 1);
	assert_int_equal(f->rec.close_ch, 2);
	assert_false(sf_card_chan_is_open(&f->card, 2));
	assert_null(sf_card_chan_state(&f->card, 2));
	tx(f, "02A40004023F00", "6881");
	tx(f, "82C0000066", "6881");
	tx(f, "00708002", "6881"); /* already closed */
	assert_int_equal(sf_card_last_error(&f->card), SF_ECARD_CLOSED);

	/* Open from channel 1: origin 1, lowest free channel 2, state zeroed */
	tx(f, "0170000001", "029000");
	assert_int_equal(f->rec.open_ch, 2);
	assert_int_equal(f->rec.open_origin, 1);
	assert_true(f->rec.state_zero_on_open);
	st = sf_card_chan_state(&f->card, 2);
	for (size_t i = 0; i < SF_CARD_CHAN_STATE_SIZE; i++)
		assert_int_equal(st[i], 0);

	/* Close from the channel itself */
	tx(f, "03708003", "9000");
	assert_false(sf_card_chan_is_open(&f->card, 3));
	tx(f, "03708003", "6881"); /* channel 3 is closed: the command cannot be sent on it */

	/* Explicit open (P2 = channel, case 1, no data back) */
	tx(f, "00700003", "9000");
	assert_true(sf_card_chan_is_open(&f->card, 3));
	tx(f, "00700003", "6A86");   /* already open */
	tx(f, "0070000301", "6700"); /* Le with explicit open */
	tx(f, "00700004", "6881");   /* 4..19 not supported */
	tx(f, "00700013", "6881");
	tx(f, "00700014", "6A86");   /* 20: not a channel */
	tx(f, "00708000", "6A86");   /* the basic channel cannot be closed */
	tx(f, "00708004", "6881");
	tx(f, "00708014", "6A86");
	tx(f, "00704001", "6A86");   /* bad P1 */
	tx(f, "80700000", "6E00");   /* MANAGE CHANNEL is interindustry */
	tx(f, "8070800300", "6E00");
	tx(f, "0070000101", "6700"); /* data */
	assert_true(sf_card_chan_is_open(&f->card, 3));

	/* Close everything; case 1 auto-open in T=0 gives 61 01 */
	tx(f, "00708001", "9000");
	tx(f, "00708002", "9000");
	tx(f, "00708003", "9000");
	tx(f, "00700000", "6101");
	tx(f, "00C0000001", "019000");
	/* Wrong Le: 6C 01 and nothing is opened */
	tx(f, "0070000000", "6C01");
	tx(f, "0070000002", "6C01");
	assert_false(sf_card_chan_is_open(&f->card, 2));
	tx(f, "0070000001", "029000");
	assert_int_equal(f->rec.calls, 9); /* 4 channels x 2 + one ES10 command */
	fx_free(f);
}

/* ---- reset ---- */

static void test_reset(void **state)
{
	(void)state;
	struct fx *f = fx_new(0);
	tx(f, "0070000001", "019000");
	tx(f, "0070000001", "029000");
	unsigned char *st0 = sf_card_chan_state(&f->card, 0);
	memset(st0, 0x11, SF_CARD_CHAN_STATE_SIZE);
	f->rec.resp_len = 40;
	tx(f, "01A40004023F00", "6128");

	assert_int_equal(sf_card_reset(&f->card, SF_CARD_RESET_WARM), 0);
	assert_int_equal(f->rec.resets, 1);
	assert_int_equal(f->rec.reset_kind, SF_CARD_RESET_WARM);
	assert_true(sf_card_chan_is_open(&f->card, 0));
	assert_false(sf_card_chan_is_open(&f->card, 1));
	assert_false(sf_card_chan_is_open(&f->card, 2));
	for (size_t i = 0; i < SF_CARD_CHAN_STATE_SIZE; i++)
		assert_int_equal(st0[i], 0);
	tx(f, "01C0000028", "6881");
	tx(f, "00C0000028", "6F00");
	/* pending data was wiped from the buffer too */
	for (size_t i = 0; i < 40; i++)
		assert_int_equal(f->card.buf[i], 0);
	tx(f, "0070000001", "019000");

	f->rec.resp_len = 40;
	tx(f, "00A40004023F00", "6128");
	assert_int_equal(sf_card_reset(&f->card, SF_CARD_RESET_COLD), 0);
	assert_int_equal(f->rec.resets, 2);
	assert_int_equal(f->rec.reset_kind, SF_CARD_RESET_COLD);
	tx(f, "00C0000028", "6F00");
	assert_false(sf_card_chan_is_open(&f->card, 1));

	assert_int_equal(sf_card_reset(NULL, SF_CARD_RESET_COLD), SF_EINVAL);
	assert_int_equal(sf_card_reset(&f->card, (enum sf_card_reset_kind)7), SF_EINVAL);
	fx_free(f);
}

/* ---- direct (T=1-like) mode and extended lengths ---- */

static void test_direct_mode(void **state)
{
	(void)state;
	struct fx *f = fx_new(SF_CARD_DIRECT);

	f->rec.resp_len = 20;
	tx_data(f, "00A40004023F00", 0, 20, SF_SW_OK);       /* case 3: directly */
	tx_data(f, "0088008102AABB00", 0, 20, SF_SW_OK);     /* case 4 */
	tx_data(f, "00B0000000", 0, 20, SF_SW_OK);           /* case 2, Le 00 = up to 256 */
	tx_data(f, "00B0000010", 0, 16, 0x6104);             /* Le shorter: 61 04 */
	tx_data(f, "00C0000000", 16, 4, SF_SW_OK);           /* GET RESPONSE: no 6C here */
	tx(f, "0070000000", "019000");                       /* MANAGE CHANNEL, Le 00 */
	tx(f, "00700000", "029000");                         /* and without Le */

	f->rec.resp_len = 300;
	tx_data(f, "00A40004023F00", 0, 256, 0x612C);
	tx_data(f, "00C0000000", 256, 44, SF_SW_OK);

	/* Extended: the whole response in one R-APDU */
	f->rec.resp_len = 1000;
	tx_data(f, "80E29100000003BF2D00" "0000", 0, 1000, SF_SW_OK);
	tx_data(f, "80E29100000003BF2D00", 0, 1000, SF_SW_OK); /* case 3E: up to max */
	tx_data(f, "80E29100000003BF2D00" "0100", 0, 256, 0x6100);
	tx_data(f, "00C00000000300", 256, 744, SF_SW_OK);    /* extended GET RESPONSE */
	f->rec.resp_len = SF_CARD_MAX_RESPONSE;
	tx_data(f, "00B00000000000", 0, SF_CARD_MAX_RESPONSE, SF_SW_OK);
	fx_free(f);
}

static void test_extended_t0(void **state)
{
	(void)state;
	struct fx *f = fx_new(0);
	/* Extended case 4 with Le: delivered directly even in T=0 mode */
	f->rec.resp_len = 1000;
	tx_data(f, "80E29100000003BF2D00" "0000", 0, 1000, SF_SW_OK);
	assert_int_equal(f->rec.last.nc, 3);
	assert_int_equal(f->rec.last.ne, 65536);
	assert_int_equal(f->rec.last.extended, 1);
	assert_memory_equal(f->rec.last_data, "\xBF\x2D\x00", 3);
	tx_data(f, "80E29100000003BF2D00" "0200", 0, 512, 0x6100);
	tx_data(f, "00C0000000", 512, 256, 0x61E8);
	tx_data(f, "00C00000E8", 768, 232, SF_SW_OK);
	/* Extended case 3: 61 xx like a short one */
	tx(f, "80E29100000003BF2D00", "6100");
	fetch(f, "00", 1000, NULL, 0, SF_SW_OK);
	/* Extended case 2 with a small Le */
	f->rec.resp_len = 20;
	tx_data(f, "00B00000000100", 0, 20, SF_SW_OK);
	tx_data(f, "00B00000000010", 0, 16, 0x6104);
	fx_free(f);
}

/* ---- buffer contract ---- */

static void test_buffers(void **state)
{
	(void)state;
	struct fx *f = fx_new(0);
	uint8_t cmd[] = {0x00, 0xB0, 0x00, 0x00, 0x00};
	uint8_t out[300];
	size_t n = 0;
	f->rec.resp_len = 20;
	/* Le 00 may need 256 + 2: refused before anything happens */
	assert_int_equal(sf_card_transmit(&f->card, cmd, 5, out, 100, &n), SF_EBUFSIZE);
	assert_int_equal(n, 258);
	assert_int_equal(f->rec.calls, 0);
	assert_int_equal(sf_card_transmit(&f->card, cmd, 5, out, 258, &n), 0);
	assert_int_equal(n, 2); /* 6C 14 */
	assert_int_equal(f->rec.calls, 1);
	/* Case 3 in T=0 mode needs only the SW */
	uint8_t sel[] = {0x00, 0xA4, 0x00, 0x04, 0x02, 0x3F, 0x00};
	assert_int_equal(sf_card_transmit(&f->card, sel, sizeof(sel), out, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], 0x61);
	assert_int_equal(sf_card_transmit(&f->card, sel, sizeof(sel), out, 1, &n), SF_EBUFSIZE);
	assert_int_equal(sf_card_transmit(NULL, sel, sizeof(sel), out, 300, &n), SF_EINVAL);
	assert_int_equal(sf_card_transmit(&f->card, NULL, 4, out, 300, &n), SF_EINVAL);
	assert_int_equal(sf_card_transmit(&f->card, sel, sizeof(sel), NULL, 300, &n), SF_EINVAL);
	assert_int_equal(sf_card_transmit(&f->card, sel, sizeof(sel), out, 300, NULL), SF_EINVAL);

	struct sf_card c;
	static const struct sf_card_app noproc = {0};
	assert_int_equal(sf_card_init(&c, &noproc, NULL, 0), SF_EINVAL);
	assert_int_equal(sf_card_init(&c, &rec_app, NULL, 0x80), SF_EINVAL);
	assert_int_equal(sf_card_init(NULL, &rec_app, NULL, 0), SF_EINVAL);
	sf_card_free(NULL);

	/* An app with only process: optional callbacks absent */
	static const struct sf_card_app minimal = {.process = rec_process};
	struct rec r = {.resp_sw = SF_SW_OK};
	assert_int_equal(sf_card_init(&c, &minimal, &r, 0), 0);
	uint8_t open[] = {0x00, 0x70, 0x00, 0x00, 0x01}, close1[] = {0x00, 0x70, 0x80, 0x01};
	assert_int_equal(sf_card_transmit(&c, open, 5, out, sizeof(out), &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(sf_card_transmit(&c, close1, 4, out, sizeof(out), &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(sf_card_reset(&c, SF_CARD_RESET_COLD), 0);
	sf_card_free(&c);
	fx_free(f);
}

/* ---- ATR ---- */

static void test_atr(void **state)
{
	(void)state;
	uint8_t atr[SF_CARD_ATR_MAX];
	size_t n = 0;
	assert_int_equal(sf_card_atr(atr, 5, &n), SF_EBUFSIZE);
	assert_int_equal(n, 22);
	assert_int_equal(sf_card_atr(atr, sizeof(atr), &n), 0);
	uint8_t want[32];
	size_t w = sf_test_unhex("3B9F96801FC78031E073FE211B633A204E8300900093", want,
				 sizeof(want));
	assert_int_equal(n, w);
	sf_assert_mem("ATR", atr, want, n);

	/* Walk the structure as an ATR parser does (ISO/IEC 7816-3 §8.2). */
	assert_int_equal(atr[0], 0x3B);
	size_t i = 1;
	uint8_t y = atr[i] >> 4;
	size_t k = atr[i] & 0x0F;
	int t0 = 0, other = 0, first_td = 1;
	i++;
	for (;;) {
		if (y & 1)
			i++; /* TA */
		if (y & 2)
			i++; /* TB */
		if (y & 4)
			i++; /* TC */
		if (!(y & 8))
			break;
		uint8_t td = atr[i++];
		unsigned t = td & 0x0F;
		if (t == 0)
			t0 = 1;
		else
			other = 1;
		if (first_td)
			assert_int_equal(t, 0); /* T=0 is the first offered protocol */
		first_td = 0;
		y = td >> 4;
	}
	assert_true(t0);
	assert_true(other); /* T=15 -> TCK present */
	assert_int_equal(i + k + 1, n);
	uint8_t x = 0;
	for (size_t j = 1; j < n; j++)
		x ^= atr[j];
	assert_int_equal(x, 0); /* TCK: XOR of T0..TCK is zero */
	/* historical bytes: COMPACT-TLV ending in the status indicator 00 90 00 */
	assert_int_equal(atr[i], 0x80);
	assert_memory_equal(atr + n - 4, "\x00\x90\x00", 3);
	assert_int_equal(sf_card_atr(NULL, 40, &n), SF_EINVAL);
}

/* ---- status word texts ---- */

static void test_sw_text(void **state)
{
	(void)state;
	assert_string_equal(sf_card_sw_text(0x9000), "normal ending of the command");
	assert_string_equal(sf_card_sw_text(0x6700), "wrong length");
	assert_string_equal(sf_card_sw_text(0x6881), "logical channel not supported");
	assert_string_equal(sf_card_sw_text(0x6F00), "technical problem, no precise diagnosis");
	assert_string_equal(sf_card_sw_text(0x9862), "authentication error, incorrect MAC");
	assert_non_null(strstr(sf_card_sw_text(0x6112), "still available"));
	assert_non_null(strstr(sf_card_sw_text(0x6C12), "exact length"));
	assert_non_null(strstr(sf_card_sw_text(0x9112), "proactive"));
	assert_non_null(strstr(sf_card_sw_text(0x63C2), "retries"));
	assert_string_equal(sf_card_sw_text(0x1234), "unknown status word");
	static const uint16_t listed[] = {
		SF_SW_OK, SF_SW_TOOLKIT_BUSY, SF_SW_WARN_NO_INFO, SF_SW_WARN_CORRUPTED,
		SF_SW_WARN_EOF, SF_SW_WARN_INVALIDATED, SF_SW_WARN_TERMINATED,
		SF_SW_WARN_MORE_DATA, SF_SW_WARN_MORE_DATA_PROACTIVE, SF_SW_WARN_RESPONSE_AVAILABLE,
		SF_SW_WARN_MORE_EXPECTED, SF_SW_WARN_MORE_EXPECTED_PROACTIVE, SF_SW_EXEC_ERROR,
		SF_SW_EXEC_ERROR_CHANGED, SF_SW_MEMORY_PROBLEM, SF_SW_WRONG_LENGTH,
		SF_SW_CLA_FUNCTION_NOT_SUPPORTED, SF_SW_CHANNEL_NOT_SUPPORTED,
		SF_SW_SM_NOT_SUPPORTED, SF_SW_CHAINING_NOT_SUPPORTED, SF_SW_NOT_ALLOWED,
		SF_SW_INCOMPATIBLE_FILE, SF_SW_SECURITY_NOT_SATISFIED, SF_SW_AUTH_BLOCKED,
		SF_SW_REF_DATA_INVALIDATED, SF_SW_CONDITIONS_NOT_SATISFIED, SF_SW_NO_EF_SELECTED,
		SF_SW_SECURE_CHANNEL_NOT_SATISFIED, SF_SW_WRONG_DATA, SF_SW_FUNCTION_NOT_SUPPORTED,
		SF_SW_FILE_NOT_FOUND, SF_SW_RECORD_NOT_FOUND, SF_SW_NOT_ENOUGH_MEMORY,
		SF_SW_INCORRECT_P1P2, SF_SW_LC_INCONSISTENT, SF_SW_REF_DATA_NOT_FOUND,
		SF_SW_WRONG_P1P2, SF_SW_INS_NOT_SUPPORTED, SF_SW_CLA_NOT_SUPPORTED,
		SF_SW_TECHNICAL_PROBLEM, SF_SW_AUTH_MAC_FAILURE, SF_SW_AUTH_CONTEXT_NOT_SUPPORTED,
		SF_SW_AUTH_KEY_FRESHNESS, SF_SW_AUTH_NO_MEMORY, SF_SW_AUTH_NO_MEMORY_MUK,
		SF_SW_PROACTIVE(3), SF_SW_DATA_TRANSFER(3), SF_SW_MORE_DATA(3), SF_SW_WRONG_LE(3),
		SF_SW_VERIFY_FAIL(2),
	};
	for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++)
		assert_string_not_equal(sf_card_sw_text(listed[i]), "unknown status word");
	assert_true(sf_card_sw_is_success(0x9000));
	assert_true(sf_card_sw_is_success(0x9110));
	assert_true(sf_card_sw_is_success(0x6282));
	assert_true(sf_card_sw_is_success(0x63C1));
	assert_false(sf_card_sw_is_success(0x9001));
	assert_false(sf_card_sw_is_success(0x6A82));
	assert_false(sf_card_sw_is_success(0x9862));
}

static void test_sizeof(void **state)
{
	(void)state;
	/* Reported, and kept small: the eUICC budget is 64 KiB per idle instance. */
	print_message("sizeof(struct sf_card) = %zu (SF_CARD_MAX_RESPONSE %d, "
		      "%d x %d channel state)\n",
		      sizeof(struct sf_card), SF_CARD_MAX_RESPONSE, SF_CARD_CHANNELS,
		      SF_CARD_CHAN_STATE_SIZE);
	assert_true(sizeof(struct sf_card) <= SF_CARD_MAX_RESPONSE + 512);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cases),
		cmocka_unit_test(test_parse_prefixes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_get_response_chaining),
		cmocka_unit_test(test_pending_discarded),
		cmocka_unit_test(test_wrong_le),
		cmocka_unit_test(test_app_errors),
		cmocka_unit_test(test_manage_channel),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_direct_mode),
		cmocka_unit_test(test_extended_t0),
		cmocka_unit_test(test_buffers),
		cmocka_unit_test(test_atr),
		cmocka_unit_test(test_sw_text),
		cmocka_unit_test(test_sizeof),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
