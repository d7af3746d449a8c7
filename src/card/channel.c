/*
 * The card object: transport-level response handling and logical channels.
 *
 *   ETSI TS 102 221 §7.3 / ISO/IEC 7816-3 §12.2       T=0 cases 1-4: 61xx, 6Cxx
 *   ETSI TS 102 221 §12.1.1                           GET RESPONSE
 *   ETSI TS 102 221 Annex C                           T=0 exchange examples
 *   ETSI TS 102 221 §11.1.17, ISO/IEC 7816-4 §11.1.2  MANAGE CHANNEL
 *   ISO/IEC 7816-4 §5.4.1                             logical channels 0..3
 *   ISO/IEC 7816-3 §8                                 ATR, TCK
 *
 * What a host sees through PC/SC from a real UICC is the T=0 TPDU behaviour
 * surfacing at the APDU level (pcscd and the usual CCID drivers do not hide
 * 61xx and 6Cxx): a case 3 or case 4 command that produces data answers 61 xx
 * and the data comes with GET RESPONSE; a case 2 command with the wrong Le
 * answers 6C xx and is re-issued.  lpac, pySim and pcsc-tools expect exactly
 * that, so it is the default.  SF_CARD_DIRECT gives T=1-like delivery for the
 * in-process and socket transports.
 *
 * One response buffer per card, not per channel: TS 102 221 §12.1.1.1 says
 * GET RESPONSE must follow the command it belongs to on the same logical
 * channel, and that a command on another channel in between loses the
 * response.  Per-channel buffers would quadruple the card's RAM for a
 * behaviour no terminal may rely on.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "simfleet/card.h"
#include "simfleet/err.h"
#include "simfleet/util.h"

_Static_assert(SF_CARD_MAX_RESPONSE >= 256 && SF_CARD_MAX_RESPONSE <= 65535,
	       "SF_CARD_MAX_RESPONSE must be 256..65535");
_Static_assert(SF_CARD_CHANNELS <= 8, "channel bitmap is one octet");

#define INS_GET_RESPONSE 0xC0
#define INS_MANAGE_CHANNEL 0x70

enum pend_kind {
	PEND_NONE = 0,
	PEND_GET_RESPONSE, /* 61xx given: data waits for GET RESPONSE */
	PEND_REISSUE,      /* 6Cxx given: data waits for the same command with Le = xx */
};

static const uint8_t atr[] = {
	0x3B, /* TS: direct convention */
	0x9F, /* T0: TA1 and TD1 follow, 15 historical bytes */
	0x96, /* TA1: Fi = 512, Di = 32 */
	0x80, /* TD1: TD2 follows; T=0 */
	0x1F, /* TD2: TA3 follows; T=15 (global interface bytes) */
	0xC7, /* TA3: clock stop no preference; classes A, B, C */
	/* historical bytes, COMPACT-TLV (ISO/IEC 7816-4 §12.1.1) */
	0x80,                   /* category indicator */
	0x31, 0xE0,             /* card service data */
	0x73, 0xFE, 0x21, 0x1B, /* card capabilities: selection methods, data coding,
				 * logical channels assigned by card and by host, 4 */
	0x63, 0x3A, 0x20, 0x4E, /* pre-issuing data */
	0x83, 0x00, 0x90, 0x00, /* status indicator: LCS 00, SW 90 00 */
	0x93, /* TCK: XOR of T0 .. last historical byte, required since T=15 is indicated */
};

/* ---- small helpers ---- */

static uint8_t xx(size_t n)
{
	return (uint8_t)(n >= 256 ? 0 : n); /* 61 xx / 6C xx: 00 stands for 256 */
}

static void wipe_buf(struct sf_card *c)
{
	if (c->used > 0)
		sf_wipe(c->buf, c->used);
	c->used = 0;
}

static void drop_pending(struct sf_card *c)
{
	c->pend_kind = PEND_NONE;
	c->pend_off = c->pend_len = 0;
	c->pend_sw = 0;
	wipe_buf(c);
}

/* Writes data || SW to the response.  Capacity was checked in advance. */
static void emit(uint8_t *rsp, size_t *rsp_len, const uint8_t *data, size_t n, uint16_t sw)
{
	if (n > 0)
		memcpy(rsp, data, n);
	rsp[n] = (uint8_t)(sw >> 8);
	rsp[n + 1] = (uint8_t)sw;
	*rsp_len = n + 2;
}

static int refuse(struct sf_card *c, int err, uint8_t *rsp, size_t *rsp_len)
{
	c->last_err = err;
	emit(rsp, rsp_len, NULL, 0, sf_card_err_sw(err));
	return 0;
}

/* ISO/IEC 7816-3 §10.3.3: SW1 is 6X or 9X except 60 (NULL procedure byte);
 * 61xx and 6Cxx are the card layer's to give. */
static int app_sw_valid(uint16_t sw)
{
	uint8_t sw1 = (uint8_t)(sw >> 8);
	if ((sw1 & 0xF0) != 0x60 && (sw1 & 0xF0) != 0x90)
		return 0;
	return sw1 != 0x60 && sw1 != 0x61 && sw1 != 0x6C;
}

static int t0(const struct sf_card *c)
{
	return !(c->flags & SF_CARD_DIRECT);
}

/* The most response data this command may get in its R-APDU (see the
 * contract of sf_card_transmit): checked against rsp_cap before anything
 * happens, so an undersized buffer changes nothing. */
static size_t max_data(const struct sf_card *c, const struct sf_apdu *a)
{
	if (a->ne > 0)
		return a->ne < SF_CARD_MAX_RESPONSE ? a->ne : SF_CARD_MAX_RESPONSE;
	if (t0(c))
		return 0;
	return a->extended ? SF_CARD_MAX_RESPONSE : 256;
}

/* Hands out up to `limit` octets of the pending data buf[pend_off..] and
 * ends with 61 xx when some remain, or with the final status word. */
static void serve(struct sf_card *c, uint8_t channel, size_t limit, uint8_t *rsp,
		  size_t *rsp_len)
{
	size_t n = c->pend_len < limit ? c->pend_len : limit;
	size_t rest = c->pend_len - n;
	const uint8_t *p = c->buf + c->pend_off;
	if (rest > 0) {
		c->pend_kind = PEND_GET_RESPONSE;
		c->pend_chan = channel;
		c->pend_off += (uint32_t)n;
		c->pend_len = (uint32_t)rest;
		emit(rsp, rsp_len, p, n, SF_SW_MORE_DATA(xx(rest)));
	} else {
		emit(rsp, rsp_len, p, n, c->pend_sw);
		drop_pending(c);
	}
}

/*
 * Delivers response data buf[0..n) with final status word sw for command a,
 * which has just been processed.
 *
 * T=0 mode, short APDUs (TS 102 221 §7.3, ISO/IEC 7816-3 §12.2):
 *  - case 1/3 (no Le) and case 4: T=0 carries no Le for case 4, so the card
 *    answers 61 xx and the host fetches the data with GET RESPONSE.
 *  - case 2: P3 is the exact length in T=0.  Le = Na gives the data; Le = 256
 *    with more than 256 octets gives 256 and 61 xx for the rest; any other Le
 *    gives 6C Na (00 for 256 or more) and the data is kept for the re-issued
 *    command, so a stateful command is not executed twice.
 * Extended APDUs with Le, and SF_CARD_DIRECT mode: the data comes directly,
 * up to Ne (no Le: 256 short / SF_CARD_MAX_RESPONSE extended); 61 xx tells
 * of the rest.  Extended case 1/3 in T=0 mode answers 61 xx like short ones.
 *
 * The final status word (90 00, or a warning 62xx/63xx, or 91xx) ends the
 * last part of the data [U: for warnings and 91xx with case 4 data, some
 * cards answer the warning first; we always give 61xx first].
 */
static void deliver(struct sf_card *c, const struct sf_apdu *a, size_t n, uint16_t sw,
		    uint8_t *rsp, size_t *rsp_len)
{
	c->pend_kind = PEND_NONE;
	c->pend_chan = a->channel;
	c->pend_off = 0;
	c->pend_len = (uint32_t)n;
	c->pend_sw = sw;

	if (t0(c) && (a->ne == 0 || (a->apdu_case == 4 && !a->extended))) {
		c->pend_kind = PEND_GET_RESPONSE;
		emit(rsp, rsp_len, NULL, 0, SF_SW_MORE_DATA(xx(n)));
		return;
	}
	if (t0(c) && !a->extended) { /* case 2 short */
		if (a->ne == n || (a->ne == 256 && n > 256)) {
			serve(c, a->channel, a->ne, rsp, rsp_len);
			return;
		}
		c->pend_kind = PEND_REISSUE;
		c->pend_hdr[0] = a->cla;
		c->pend_hdr[1] = a->ins;
		c->pend_hdr[2] = a->p1;
		c->pend_hdr[3] = a->p2;
		emit(rsp, rsp_len, NULL, 0, SF_SW_WRONG_LE(xx(n)));
		return;
	}
	serve(c, a->channel, max_data(c, a), rsp, rsp_len);
}

/* GET RESPONSE (TS 102 221 §12.1.1): CLA 0X or 8X (lpac sends 8X, others
 * 0X), P1 = P2 = 00, Le = length wanted.  A case 1 form (no Le) is what a T=0
 * card sees as P3 = 00, i.e. 256. */
static int get_response(struct sf_card *c, const struct sf_apdu *a, uint8_t *rsp,
			size_t *rsp_len)
{
	if (a->nc > 0)
		return refuse(c, SF_EAPDU_LEN, rsp, rsp_len);
	if (a->p1 != 0 || a->p2 != 0)
		return refuse(c, SF_EAPDU_P1P2, rsp, rsp_len);
	if (c->pend_kind != PEND_GET_RESPONSE || c->pend_chan != a->channel) {
		/* TS 102 221 §12.1.1.1: "technical problem, no precise diagnosis".
		 * A GET RESPONSE on another channel is "another command": the
		 * pending data is lost. */
		drop_pending(c);
		return refuse(c, SF_ECARD_NODATA, rsp, rsp_len);
	}
	size_t ne = a->ne ? a->ne : 256;
	if (t0(c) && !a->extended && ne > c->pend_len) {
		/* P3 longer than what is there: T=0 cards answer 6C with the
		 * exact length and keep the data. */
		emit(rsp, rsp_len, NULL, 0, SF_SW_WRONG_LE(xx(c->pend_len)));
		return 0;
	}
	serve(c, a->channel, ne, rsp, rsp_len);
	return 0;
}

/* Is a the re-issue, with Le = xx, of the command refused with 6C xx? */
static int is_reissue(const struct sf_card *c, const struct sf_apdu *a)
{
	return c->pend_kind == PEND_REISSUE && c->pend_chan == a->channel &&
	       a->apdu_case == 2 && !a->extended && a->cla == c->pend_hdr[0] &&
	       a->ins == c->pend_hdr[1] && a->p1 == c->pend_hdr[2] && a->p2 == c->pend_hdr[3];
}

/*
 * MANAGE CHANNEL (TS 102 221 §11.1.17, ISO/IEC 7816-4 §11.1.2), interindustry
 * class only, sent on any open channel (the origin).
 *   P1 00 P2 00 Le 01   open: the card assigns the lowest free channel 1..3 and
 *                       returns its number (lpac: `00 70 00 00 01` -> `0n 90 00`);
 *                       6A 81 when none is free.
 *   P1 00 P2 01..03     open that channel (no response data).
 *   P1 80 P2 01..03     close that channel.
 * The basic channel 0 can neither be opened nor closed (6A 86).  Channels
 * 4..19 are not supported (68 81), closing a channel that is not open gives
 * 68 81, opening one that is already open 6A 86 [U: the clause names no SW].
 * The state change happens only after every check has passed, so a refused
 * MANAGE CHANNEL changes nothing.
 */
static int manage_channel(struct sf_card *c, const struct sf_apdu *a, uint8_t *rsp,
			  size_t *rsp_len)
{
	if (a->cla & 0x80)
		return refuse(c, SF_EAPDU_CLA, rsp, rsp_len);
	if (a->nc > 0)
		return refuse(c, SF_EAPDU_LEN, rsp, rsp_len);
	unsigned ch = a->p2;
	/* Close and explicit open carry no response data.  A T=0 terminal
	 * still sends P3 = 00 (lpac: `00 70 80 0n 00`), which parses as a short
	 * Le of 256: accepted as "no Le". */
	int no_le = a->ne == 0 || (a->ne == 256 && !a->extended);
	if (a->p1 == 0x80) {
		if (!no_le)
			return refuse(c, SF_EAPDU_LEN, rsp, rsp_len);
		if (ch == 0 || ch >= 20)
			return refuse(c, SF_EAPDU_P1P2, rsp, rsp_len);
		if (ch >= SF_CARD_CHANNELS || !(c->open & (1u << ch)))
			return refuse(c, SF_ECARD_CLOSED, rsp, rsp_len);
		if (c->app->channel_closed)
			c->app->channel_closed(c->user, c, ch);
		c->open &= (uint8_t)~(1u << ch);
		memset(&c->chan[ch], 0, sizeof(c->chan[ch]));
		c->last_err = 0;
		emit(rsp, rsp_len, NULL, 0, SF_SW_OK);
		return 0;
	}
	if (a->p1 != 0x00)
		return refuse(c, SF_EAPDU_P1P2, rsp, rsp_len);
	if (ch == 0) {
		/* Card-assigned: one octet of response data.  In T=0 mode a Le
		 * other than 01 gets 6C 01 before anything is opened. */
		if (t0(c) && a->ne > 0 && !a->extended && a->ne != 1) {
			c->last_err = 0;
			emit(rsp, rsp_len, NULL, 0, SF_SW_WRONG_LE(1));
			return 0;
		}
		for (ch = 1; ch < SF_CARD_CHANNELS; ch++)
			if (!(c->open & (1u << ch)))
				break;
		if (ch == SF_CARD_CHANNELS)
			return refuse(c, SF_ECARD_NOCHAN, rsp, rsp_len);
	} else {
		if (!no_le)
			return refuse(c, SF_EAPDU_LEN, rsp, rsp_len);
		if (ch >= 20)
			return refuse(c, SF_EAPDU_P1P2, rsp, rsp_len);
		if (ch >= SF_CARD_CHANNELS)
			return refuse(c, SF_EAPDU_CHANNEL, rsp, rsp_len);
		if (c->open & (1u << ch))
			return refuse(c, SF_EAPDU_P1P2, rsp, rsp_len);
	}
	c->open |= (uint8_t)(1u << ch);
	memset(&c->chan[ch], 0, sizeof(c->chan[ch]));
	if (c->app->channel_opened)
		c->app->channel_opened(c->user, c, ch, a->channel);
	c->last_err = 0;
	if (a->p2 != 0) {
		emit(rsp, rsp_len, NULL, 0, SF_SW_OK);
		return 0;
	}
	c->buf[0] = (uint8_t)ch;
	c->used = 1;
	deliver(c, a, 1, SF_SW_OK, rsp, rsp_len);
	return 0;
}

/* ---- public API ---- */

int sf_card_init(struct sf_card *c, const struct sf_card_app *app, void *user, unsigned flags)
{
	if (c == NULL || app == NULL || app->process == NULL || (flags & ~SF_CARD_DIRECT))
		return SF_EINVAL;
	memset(c, 0, sizeof(*c));
	c->app = app;
	c->user = user;
	c->flags = flags;
	c->open = 1;
	return 0;
}

void sf_card_free(struct sf_card *c)
{
	if (c == NULL)
		return;
	sf_wipe(c, sizeof(*c));
}

int sf_card_reset(struct sf_card *c, enum sf_card_reset_kind kind)
{
	if (c == NULL || c->app == NULL ||
	    (kind != SF_CARD_RESET_COLD && kind != SF_CARD_RESET_WARM))
		return SF_EINVAL;
	drop_pending(c);
	c->open = 1;
	c->last_err = 0;
	memset(c->chan, 0, sizeof(c->chan));
	if (c->app->reset)
		c->app->reset(c->user, c, kind);
	return 0;
}

int sf_card_atr(uint8_t *dst, size_t dst_len, size_t *out_len)
{
	if (dst == NULL || out_len == NULL)
		return SF_EINVAL;
	*out_len = sizeof(atr);
	if (dst_len < sizeof(atr))
		return SF_EBUFSIZE;
	memcpy(dst, atr, sizeof(atr));
	return 0;
}

int sf_card_last_error(const struct sf_card *c)
{
	return c ? c->last_err : SF_EINVAL;
}

int sf_card_chan_is_open(const struct sf_card *c, unsigned ch)
{
	return c != NULL && ch < SF_CARD_CHANNELS && (c->open & (1u << ch)) != 0;
}

void *sf_card_chan_state(struct sf_card *c, unsigned ch)
{
	if (!sf_card_chan_is_open(c, ch))
		return NULL;
	return c->chan[ch].bytes;
}

int sf_card_transmit(struct sf_card *c, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
		     size_t rsp_cap, size_t *rsp_len)
{
	if (c == NULL || c->app == NULL || rsp == NULL || rsp_len == NULL ||
	    (cmd == NULL && cmd_len > 0))
		return SF_EINVAL;
	*rsp_len = 0;
	/* Parsing has no side effects, so the size needed is known before
	 * anything happens: a refusal needs 2 octets, a command its longest
	 * answer. */
	struct sf_apdu a;
	int rc = sf_apdu_parse(&a, cmd, cmd_len);
	size_t need = rc != 0 || !(c->open & (1u << a.channel))
			      ? 2
			      : 2 + (a.ins == INS_GET_RESPONSE && a.ne == 0 ? 256 : max_data(c, &a));
	if (rsp_cap < 2) {
		*rsp_len = need;
		return SF_EBUFSIZE;
	}
	if (rc != 0)
		return refuse(c, rc, rsp, rsp_len);
	if (!(c->open & (1u << a.channel)))
		return refuse(c, SF_ECARD_CLOSED, rsp, rsp_len);

	if (rsp_cap < need) {
		*rsp_len = need;
		return SF_EBUFSIZE;
	}

	c->last_err = 0;
	if (a.ins == INS_GET_RESPONSE)
		return get_response(c, &a, rsp, rsp_len);
	if (is_reissue(c, &a)) {
		/* The re-issued command after 6C xx: served from the kept data
		 * (6C again if Le is still wrong). */
		uint16_t sw = c->pend_sw;
		/* 62 82 "end of file before Le octets" no longer holds when the
		 * re-issue asks for exactly what is there. */
		if (sw == SF_SW_WARN_EOF && a.ne == c->pend_len)
			sw = SF_SW_OK;
		deliver(c, &a, c->pend_len, sw, rsp, rsp_len);
		return 0;
	}
	/* Any other command drops what an earlier one left (TS 102 221 §12.1.1.1). */
	drop_pending(c);
	if (a.ins == INS_MANAGE_CHANNEL)
		return manage_channel(c, &a, rsp, rsp_len);

	struct sf_rapdu r = {
		.data = c->buf, .cap = sizeof(c->buf), .len = 0, .sw = SF_SW_TECHNICAL_PROBLEM,
	};
	rc = c->app->process(c->user, c, &a, &r);
	if (r.len > sizeof(c->buf)) {
		/* Cannot know what was written: wipe it all. */
		c->used = sizeof(c->buf);
		drop_pending(c);
		return refuse(c, rc < 0 ? rc : SF_ECARD_APP, rsp, rsp_len);
	}
	c->used = (uint32_t)r.len;
	if (rc < 0 || !app_sw_valid(r.sw)) {
		drop_pending(c);
		return refuse(c, rc < 0 ? rc : SF_ECARD_APP, rsp, rsp_len);
	}
	if (r.len == 0 || !sf_card_sw_is_success(r.sw)) {
		/* ISO/IEC 7816-4 §5.6: no response data with an error status. */
		drop_pending(c);
		emit(rsp, rsp_len, NULL, 0, r.sw);
		return 0;
	}
	deliver(c, &a, r.len, r.sw, rsp, rsp_len);
	return 0;
}
