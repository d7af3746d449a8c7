/* libFuzzer target for the APDU parser and the card engine (src/card/apdu.c,
 * src/card/channel.c): ISO/IEC 7816-3 §12.1.3, ETSI TS 102 221 §7.3, §10,
 * §11.1.17, §12.1.1.
 *
 * Input: one flags octet (bit 0: SF_CARD_DIRECT), then up to 64 records:
 *   FF | FE                      cold | warm reset
 *   h [l] r1 r0 s1 s0 m cmd...   one C-APDU of h (h < 80) or ((h & 7F) << 8 | l)
 *                                octets; the application behind the card answers
 *                                it with r1 r0 octets of data (modulo
 *                                SF_CARD_MAX_RESPONSE + 1; FFFF: a length past
 *                                its buffer, a contract breach) and status word
 *                                s1 s0, or fails when m bit 0 is set.  m bit 1:
 *                                first try a response buffer of (m >> 2) * 5
 *                                octets, expect SF_EBUFSIZE with nothing changed
 *                                when it is too small, then retry with the size
 *                                the card asked for.
 * Checks, besides ASan/UBSan:
 *   - sf_apdu_parse: accepted APDUs re-encode to exactly the input (so every
 *     field is consistent with the length); a rejected one leaves out alone
 *     and is answered by the card with sf_card_err_sw() of that code, with
 *     the card otherwise unchanged (pending data kept, no application call);
 *   - sf_card_transmit: rc 0, a response of at least SW1 SW2 and at most
 *     what the contract promises for that command (2 + min(Ne, max) etc.),
 *     a valid SW1 (6X/9X, not 60); SF_EBUFSIZE changes nothing and reports a
 *     size that then suffices;
 *   - the application sees only well-formed commands on open channels, never
 *     MANAGE CHANNEL or GET RESPONSE, and a fresh response (len 0, sw 6F00);
 *   - an application error, a bad status word or an oversized length gives a
 *     bare 6F 00; an error status word gives no data;
 *   - delivered data is always a run of what the application wrote
 *     (data[i] = seed + 7 i), never stale or wiped octets.
 * Build: cmake -DSF_FUZZ=ON -DCMAKE_C_COMPILER=clang; run:
 *   fuzz_apdu -max_total_time=60 <copy of tests/fuzz/corpus_apdu> */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simfleet/card.h"
#include "simfleet/err.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

/* What the application does with the next command. */
struct app_plan {
	uint32_t rlen; /* may exceed cap: contract breach */
	uint16_t sw;
	int fail;
	int called;
	struct sf_apdu expect; /* the harness's own parse of the command */
};

static int app_process(void *user, struct sf_card *card, const struct sf_apdu *cmd,
		       struct sf_rapdu *rsp)
{
	struct app_plan *pl = user;
	CHECK(!pl->called);
	pl->called = 1;
	CHECK(cmd->ins != 0x70 && cmd->ins != 0xC0);
	CHECK(sf_card_chan_is_open(card, cmd->channel));
	CHECK(sf_card_chan_state(card, cmd->channel) != NULL);
	const struct sf_apdu *e = &pl->expect;
	CHECK(cmd->cla == e->cla && cmd->ins == e->ins && cmd->p1 == e->p1 && cmd->p2 == e->p2);
	CHECK(cmd->apdu_case == e->apdu_case && cmd->extended == e->extended);
	CHECK(cmd->channel == e->channel && cmd->nc == e->nc && cmd->ne == e->ne);
	CHECK(cmd->nc == 0 || memcmp(cmd->data, e->data, cmd->nc) == 0);
	CHECK(rsp->data != NULL && rsp->cap == SF_CARD_MAX_RESPONSE);
	CHECK(rsp->len == 0 && rsp->sw == SF_SW_TECHNICAL_PROBLEM);
	if (pl->fail)
		return SF_EINTERNAL;
	if (pl->rlen > rsp->cap) {
		rsp->len = pl->rlen; /* claims more than it could write */
	} else {
		uint8_t seed = (uint8_t)(cmd->ins ^ cmd->p1 ^ cmd->p2);
		for (size_t i = 0; i < pl->rlen; i++)
			rsp->data[i] = (uint8_t)(seed + 7 * i);
		rsp->len = pl->rlen;
	}
	rsp->sw = pl->sw;
	return 0;
}

static struct app_plan *cur_plan;
static int resets;

static void app_reset(void *user, struct sf_card *card, enum sf_card_reset_kind kind)
{
	(void)user;
	(void)kind;
	/* Channels 1..3 are closed and every state area zeroed by now. */
	CHECK(sf_card_chan_is_open(card, 0));
	for (unsigned ch = 1; ch < SF_CARD_CHANNELS; ch++)
		CHECK(!sf_card_chan_is_open(card, ch));
	resets++;
}

static void app_opened(void *user, struct sf_card *card, unsigned ch, unsigned origin)
{
	(void)user;
	CHECK(ch > 0 && ch < SF_CARD_CHANNELS && origin < SF_CARD_CHANNELS);
	CHECK(sf_card_chan_is_open(card, ch) && sf_card_chan_is_open(card, origin));
	const uint8_t *st = sf_card_chan_state(card, ch);
	for (size_t i = 0; i < SF_CARD_CHAN_STATE_SIZE; i++)
		CHECK(st[i] == 0);
}

static void app_closed(void *user, struct sf_card *card, unsigned ch)
{
	(void)user;
	CHECK(ch > 0 && ch < SF_CARD_CHANNELS && sf_card_chan_is_open(card, ch));
}

static const struct sf_card_app app = {
	.process = app_process,
	.reset = app_reset,
	.channel_opened = app_opened,
	.channel_closed = app_closed,
};

/* Re-encodes a parsed APDU (ISO/IEC 7816-3 §12.1.3) into dst; returns the
 * length. */
static size_t encode(const struct sf_apdu *a, uint8_t *dst)
{
	size_t n = 0;
	dst[n++] = a->cla;
	dst[n++] = a->ins;
	dst[n++] = a->p1;
	dst[n++] = a->p2;
	if (a->extended) {
		dst[n++] = 0;
		if (a->nc > 0) {
			dst[n++] = (uint8_t)(a->nc >> 8);
			dst[n++] = (uint8_t)a->nc;
			memcpy(dst + n, a->data, a->nc);
			n += a->nc;
		}
		if (a->ne > 0) {
			dst[n++] = (uint8_t)(a->ne >> 8); /* 65536 -> 00 00 */
			dst[n++] = (uint8_t)a->ne;
		}
	} else {
		if (a->nc > 0) {
			dst[n++] = (uint8_t)a->nc;
			memcpy(dst + n, a->data, a->nc);
			n += a->nc;
		}
		if (a->ne > 0)
			dst[n++] = (uint8_t)a->ne; /* 256 -> 00 */
	}
	return n;
}

static void check_parse(const uint8_t *cmd, size_t len, int rc, const struct sf_apdu *a)
{
	static uint8_t re[4 + 3 + 65535 + 2];
	if (rc != 0) {
		CHECK(rc == SF_EAPDU_SHORT || rc == SF_EAPDU_CLA || rc == SF_EAPDU_SM ||
		      rc == SF_EAPDU_CHAINING || rc == SF_EAPDU_CHANNEL || rc == SF_EAPDU_INS ||
		      rc == SF_EAPDU_LEN);
		CHECK(len >= 4 || rc == SF_EAPDU_SHORT);
		return;
	}
	CHECK(a->apdu_case >= 1 && a->apdu_case <= 4);
	CHECK(a->channel < SF_CARD_CHANNELS);
	CHECK(a->nc <= 65535 && a->ne <= 65536 && a->data != NULL);
	CHECK((a->nc > 0) == (a->apdu_case >= 3));
	CHECK((a->ne > 0) == (a->apdu_case == 2 || a->apdu_case == 4));
	CHECK(a->extended ? 1 : (a->nc <= 255 && a->ne <= 256));
	CHECK((a->ins & 0xF0) != 0x60 && (a->ins & 0xF0) != 0x90);
	if (a->nc > 0)
		CHECK(a->data >= cmd + 4 && a->data + a->nc <= cmd + len);
	size_t n = encode(a, re);
	CHECK(n == len && memcmp(re, cmd, len) == 0);
}

/* The longest R-APDU the contract of sf_card_transmit allows for a. */
static size_t max_rsp(unsigned flags, const struct sf_apdu *a)
{
	if (a->ins == 0xC0 && a->ne == 0)
		return 2 + 256;
	if (a->ne > 0)
		return 2 + (a->ne < SF_CARD_MAX_RESPONSE ? a->ne : SF_CARD_MAX_RESPONSE);
	if (!(flags & SF_CARD_DIRECT))
		return 2;
	return 2 + (a->extended ? SF_CARD_MAX_RESPONSE : 256);
}

static int sw1_valid(uint8_t sw1)
{
	return ((sw1 & 0xF0) == 0x60 || (sw1 & 0xF0) == 0x90) && sw1 != 0x60;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sf_card card, before;
	static uint8_t rsp[2 + 65536 + 16];
	struct app_plan plan;
	const uint8_t *p = data, *end = data + size;

	if (size < 1)
		return 0;
	unsigned flags = (*p++ & 1) ? SF_CARD_DIRECT : 0;
	memset(&plan, 0, sizeof(plan));
	cur_plan = &plan;
	CHECK(sf_card_init(&card, &app, &plan, flags) == 0);
	CHECK(sf_card_reset(&card, SF_CARD_RESET_COLD) == 0);

	for (int step = 0; step < 64 && p < end; step++) {
		uint8_t h = *p++;
		if (h == 0xFF || h == 0xFE) {
			int r0 = resets;
			CHECK(sf_card_reset(&card, h == 0xFF ? SF_CARD_RESET_COLD
			                                     : SF_CARD_RESET_WARM) == 0);
			CHECK(resets == r0 + 1);
			continue;
		}
		size_t len = h;
		if (h & 0x80) {
			if (p >= end)
				break;
			len = ((size_t)(h & 0x7F) << 8) | *p++;
		}
		if (end - p < 5)
			break;
		uint32_t rlen = ((uint32_t)p[0] << 8) | p[1];
		plan.rlen = rlen == 0xFFFF ? SF_CARD_MAX_RESPONSE + 1 : rlen % (SF_CARD_MAX_RESPONSE + 1);
		plan.sw = (uint16_t)((p[2] << 8) | p[3]);
		plan.fail = p[4] & 1;
		int small = (p[4] & 2) != 0;
		size_t small_cap = (size_t)(p[4] >> 2) * 5;
		p += 5;
		if ((size_t)(end - p) < len)
			len = (size_t)(end - p);
		/* An exact-size heap copy: ASan sees any read past the APDU. */
		uint8_t *cmd = malloc(len ? len : 1);
		CHECK(cmd != NULL);
		if (len)
			memcpy(cmd, p, len);
		p += len;

		/* The parser alone. */
		struct sf_apdu a;
		memset(&a, 0xA5, sizeof(a));
		struct sf_apdu guard = a;
		int prc = sf_apdu_parse(&a, cmd, len);
		if (prc != 0)
			CHECK(memcmp(&a, &guard, sizeof(a)) == 0);
		check_parse(cmd, len, prc, &a);
		plan.expect = a;
		int closed = prc == 0 && !sf_card_chan_is_open(&card, a.channel);

		size_t rlen_out = 0;
		int rc;
		before = card;
		plan.called = 0;
		if (small) {
			rc = sf_card_transmit(&card, cmd, len, rsp, small_cap, &rlen_out);
			if (rc == SF_EBUFSIZE) {
				CHECK(memcmp(&card, &before, sizeof(card)) == 0);
				CHECK(!plan.called);
				CHECK(rlen_out > small_cap && rlen_out <= sizeof(rsp));
				size_t need = rlen_out;
				rc = sf_card_transmit(&card, cmd, len, rsp, need, &rlen_out);
				/* "The size needed" is exact: one retry always works. */
				CHECK(rc == 0 && rlen_out <= need);
			}
		} else {
			rc = sf_card_transmit(&card, cmd, len, rsp, sizeof(rsp), &rlen_out);
		}
		CHECK(rc == 0);
		CHECK(rlen_out >= 2 && rlen_out <= sizeof(rsp));
		uint16_t sw = (uint16_t)((rsp[rlen_out - 2] << 8) | rsp[rlen_out - 1]);
		CHECK(sw1_valid((uint8_t)(sw >> 8)));

		if (prc != 0 || closed) {
			/* Refused by the card layer: the SW of the code, nothing else
			 * changed (last error aside). */
			int want = prc != 0 ? prc : SF_ECARD_CLOSED;
			CHECK(!plan.called);
			CHECK(rlen_out == 2 && sw == sf_card_err_sw(want));
			CHECK(sf_card_last_error(&card) == want);
			before.last_err = card.last_err;
			CHECK(memcmp(&card, &before, sizeof(card)) == 0);
			free(cmd);
			continue;
		}
		CHECK(rlen_out <= max_rsp(flags, &a));
		if (plan.called) {
			int app_ok = !plan.fail && plan.rlen <= SF_CARD_MAX_RESPONSE &&
			             sw1_valid((uint8_t)(plan.sw >> 8)) &&
			             (plan.sw >> 8) != 0x61 && (plan.sw >> 8) != 0x6C;
			if (!app_ok)
				CHECK(rlen_out == 2 && sw == SF_SW_TECHNICAL_PROBLEM);
			else if (!sf_card_sw_is_success(plan.sw) || plan.rlen == 0)
				CHECK(rlen_out == 2 && sw == plan.sw);
		}
		/* Response data is a run of the application's pattern (or the one
		 * octet of MANAGE CHANNEL open). */
		for (size_t i = 1; i + 2 < rlen_out; i++)
			CHECK((uint8_t)(rsp[i] - rsp[i - 1]) == 7);
		if (a.ins == 0x70 && rlen_out == 3)
			CHECK(rsp[0] >= 1 && rsp[0] < SF_CARD_CHANNELS && sf_card_chan_is_open(&card, rsp[0]));
		free(cmd);
	}
	sf_card_free(&card);
	return 0;
}
