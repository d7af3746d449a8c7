/* The ISD-R (src/isdr): ES10a/b/c over STORE DATA, driven through a real
 * card engine (T=0 mode, as lpac sees a card behind pcscd) with a fake eUICC
 * host holding three profiles and three notifications.  The lpac byte
 * sequences are those of ../shared/notes/lpa-compat.md §2. */
#include <limits.h>
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
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/isdr.h"
#include "simfleet/log.h"

/* ---- the fake eUICC host ---- */

#define NO_FORCE INT_MIN

struct host {
	struct sf_profile_info prof[3];
	size_t n_prof;
	struct sf_notification notif[3];
	size_t n_notif;
	char dp[256], ds[256];
	const char *eid;
	int calls;    /* every host operation */
	int changes;  /* state-changing operations */
	int force;    /* NO_FORCE, or what the next state-changing op returns */
	int get_fail; /* profile_get / notification_get fail when set */
	char last_iccid[21];
	int last_refresh;
	char last_nick[65];
	unsigned last_options;
	char last_dp[256];
	uint32_t last_seq;
	uint8_t rnd;
};

static struct sf_profile_info mkprof(const char *iccid, uint8_t aid_last, uint8_t state,
                                     uint8_t pclass, const char *nick, const char *spn,
                                     const char *name)
{
	struct sf_profile_info p;
	memset(&p, 0, sizeof(p));
	snprintf(p.iccid, sizeof(p.iccid), "%s", iccid);
	static const uint8_t aid[16] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
	                                0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00};
	memcpy(p.isdp_aid, aid, 16);
	p.isdp_aid[14] = aid_last;
	p.isdp_aid_len = 16;
	p.state = state;
	p.pclass = pclass;
	snprintf(p.nickname, sizeof(p.nickname), "%s", nick);
	snprintf(p.spn, sizeof(p.spn), "%s", spn);
	snprintf(p.name, sizeof(p.name), "%s", name);
	return p;
}

static void host_setup(struct host *h)
{
	memset(h, 0, sizeof(*h));
	h->prof[0] = mkprof("8944476500001224158", 0x10, SF_PROFILE_ENABLED,
	                    SF_PROFILE_CLASS_OPERATIONAL, "", "simfleet", "Test One");
	h->prof[1] = mkprof("89000123456789012341", 0x11, SF_PROFILE_DISABLED,
	                    SF_PROFILE_CLASS_TEST, "work", "Op2", "Two");
	h->prof[2] = mkprof("8949449999999990023", 0x12, SF_PROFILE_DISABLED,
	                    SF_PROFILE_CLASS_PROVISIONING, "", "", "");
	h->n_prof = 3;
	h->notif[0] = (struct sf_notification){.seq = 1, .event = SF_NOTIF_INSTALL};
	snprintf(h->notif[0].address, sizeof(h->notif[0].address), "smdp.example.com");
	snprintf(h->notif[0].iccid, sizeof(h->notif[0].iccid), "8944476500001224158");
	h->notif[1] = (struct sf_notification){.seq = 2, .event = SF_NOTIF_ENABLE};
	snprintf(h->notif[1].address, sizeof(h->notif[1].address), "smdp.example.com");
	snprintf(h->notif[1].iccid, sizeof(h->notif[1].iccid), "8944476500001224158");
	h->notif[2] = (struct sf_notification){.seq = 300, .event = SF_NOTIF_DELETE};
	snprintf(h->notif[2].address, sizeof(h->notif[2].address), "dp.op2.example");
	h->n_notif = 3;
	snprintf(h->dp, sizeof(h->dp), "smdp.example.com");
	snprintf(h->ds, sizeof(h->ds), "lpa.ds.gsma.com");
	h->eid = "89049032123451234512345678901235";
	h->force = NO_FORCE;
}

static struct sf_profile_info *find(struct host *h, const char *iccid)
{
	for (size_t i = 0; i < h->n_prof; i++)
		if (strcmp(h->prof[i].iccid, iccid) == 0)
			return &h->prof[i];
	return NULL;
}

static int change(struct host *h, const char *iccid)
{
	h->calls++;
	h->changes++;
	snprintf(h->last_iccid, sizeof(h->last_iccid), "%s", iccid ? iccid : "");
	return h->force;
}

static const char *h_eid(void *u)
{
	struct host *h = u;
	h->calls++;
	return h->eid;
}
static size_t h_profile_count(void *u)
{
	struct host *h = u;
	h->calls++;
	return h->n_prof;
}
static int h_profile_get(void *u, size_t i, struct sf_profile_info *out)
{
	struct host *h = u;
	h->calls++;
	if (h->get_fail || i >= h->n_prof)
		return SF_EIO;
	*out = h->prof[i];
	return 0;
}
static int h_enable(void *u, const char *iccid, int refresh)
{
	struct host *h = u;
	int f = change(h, iccid);
	h->last_refresh = refresh;
	if (f != NO_FORCE)
		return f;
	struct sf_profile_info *p = find(h, iccid);
	if (p == NULL)
		return SF_ES10_NOT_FOUND;
	if (p->state != SF_PROFILE_DISABLED)
		return SF_ES10_WRONG_STATE;
	for (size_t i = 0; i < h->n_prof; i++)
		h->prof[i].state = SF_PROFILE_DISABLED;
	p->state = SF_PROFILE_ENABLED;
	return SF_ES10_OK;
}
static int h_disable(void *u, const char *iccid, int refresh)
{
	struct host *h = u;
	int f = change(h, iccid);
	h->last_refresh = refresh;
	if (f != NO_FORCE)
		return f;
	struct sf_profile_info *p = find(h, iccid);
	if (p == NULL)
		return SF_ES10_NOT_FOUND;
	if (p->state != SF_PROFILE_ENABLED)
		return SF_ES10_WRONG_STATE;
	p->state = SF_PROFILE_DISABLED;
	return SF_ES10_OK;
}
static int h_delete(void *u, const char *iccid)
{
	struct host *h = u;
	int f = change(h, iccid);
	if (f != NO_FORCE)
		return f;
	struct sf_profile_info *p = find(h, iccid);
	if (p == NULL)
		return SF_ES10_NOT_FOUND;
	if (p->state != SF_PROFILE_DISABLED)
		return SF_ES10_WRONG_STATE;
	size_t i = (size_t)(p - h->prof);
	memmove(&h->prof[i], &h->prof[i + 1], (h->n_prof - i - 1) * sizeof(h->prof[0]));
	h->n_prof--;
	return SF_ES10_OK;
}
static int h_set_nickname(void *u, const char *iccid, const char *nick)
{
	struct host *h = u;
	int f = change(h, iccid);
	snprintf(h->last_nick, sizeof(h->last_nick), "%s", nick);
	if (f != NO_FORCE)
		return f;
	struct sf_profile_info *p = find(h, iccid);
	if (p == NULL)
		return SF_ES10_NOT_FOUND;
	snprintf(p->nickname, sizeof(p->nickname), "%s", nick);
	return SF_ES10_OK;
}
static int h_memory_reset(void *u, unsigned options)
{
	struct host *h = u;
	int f = change(h, NULL);
	h->last_options = options;
	return f != NO_FORCE ? f : SF_ES10_OK;
}
static int h_addresses(void *u, char *dp, size_t dp_cap, char *ds, size_t ds_cap)
{
	struct host *h = u;
	h->calls++;
	snprintf(dp, dp_cap, "%s", h->dp);
	snprintf(ds, ds_cap, "%s", h->ds);
	return 0;
}
static int h_set_default_dp(void *u, const char *address)
{
	struct host *h = u;
	int f = change(h, NULL);
	snprintf(h->last_dp, sizeof(h->last_dp), "%s", address);
	if (f != NO_FORCE)
		return f;
	snprintf(h->dp, sizeof(h->dp), "%s", address);
	return SF_ES10_OK;
}
static size_t h_notification_count(void *u)
{
	struct host *h = u;
	h->calls++;
	return h->n_notif;
}
static int h_notification_get(void *u, size_t i, struct sf_notification *out)
{
	struct host *h = u;
	h->calls++;
	if (h->get_fail || i >= h->n_notif)
		return SF_EIO;
	*out = h->notif[i];
	return 0;
}
static int h_notification_remove(void *u, uint32_t seq)
{
	struct host *h = u;
	int f = change(h, NULL);
	h->last_seq = seq;
	if (f != NO_FORCE)
		return f;
	for (size_t i = 0; i < h->n_notif; i++)
		if (h->notif[i].seq == seq) {
			memmove(&h->notif[i], &h->notif[i + 1],
			        (h->n_notif - i - 1) * sizeof(h->notif[0]));
			h->n_notif--;
			return SF_ES10_OK;
		}
	return SF_ES10_NOTHING_TO_DELETE;
}
static int h_random(void *u, uint8_t *buf, size_t len)
{
	struct host *h = u;
	h->calls++;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(h->rnd + i);
	return 0;
}

static const struct sf_isdr_host_ops host_ops = {
    .eid = h_eid,
    .profile_count = h_profile_count,
    .profile_get = h_profile_get,
    .enable = h_enable,
    .disable = h_disable,
    .delete_profile = h_delete,
    .set_nickname = h_set_nickname,
    .memory_reset = h_memory_reset,
    .addresses = h_addresses,
    .set_default_dp = h_set_default_dp,
    .notification_count = h_notification_count,
    .notification_get = h_notification_get,
    .notification_remove = h_notification_remove,
    .random = h_random,
};

/* ---- the card: one application that routes to the ISD-R ---- */

struct fix {
	struct sf_card card;
	struct sf_isdr isdr;
	struct host host;
};

static int app_process(void *user, struct sf_card *card, const struct sf_apdu *cmd,
                       struct sf_rapdu *rsp)
{
	struct fix *f = user;
	/* SELECT and TERMINAL CAPABILITY belong to the eUICC router. */
	if (cmd->ins == 0xA4 || cmd->ins == 0xAA) {
		rsp->sw = SF_SW_OK;
		return 0;
	}
	return sf_isdr_process(&f->isdr, card, cmd, rsp);
}
static void app_reset(void *user, struct sf_card *card, enum sf_card_reset_kind kind)
{
	struct fix *f = user;
	(void)card;
	(void)kind;
	sf_isdr_reset(&f->isdr);
}
static void app_closed(void *user, struct sf_card *card, unsigned ch)
{
	struct fix *f = user;
	(void)card;
	if (f->isdr.assembling && f->isdr.chan == ch)
		sf_isdr_reset(&f->isdr);
}
static const struct sf_card_app app = {
    .process = app_process, .reset = app_reset, .channel_closed = app_closed};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	host_setup(&f->host);
	assert_int_equal(sf_isdr_init(&f->isdr, &host_ops, &f->host), 0);
	assert_int_equal(sf_card_init(&f->card, &app, f, 0), 0);
	*state = f;
	return 0;
}
static int teardown(void **state)
{
	struct fix *f = *state;
	sf_card_free(&f->card);
	free(f);
	return 0;
}

/* ---- helpers ---- */

/* Hex with optional spaces. */
static size_t unhex(const char *hex, uint8_t *dst, size_t cap)
{
	static char tmp[20000];
	size_t n = 0;
	for (const char *s = hex; *s; s++)
		if (*s != ' ') {
			assert_true(n + 1 < sizeof(tmp));
			tmp[n++] = *s;
		}
	tmp[n] = '\0';
	return sf_test_unhex(tmp, dst, cap);
}

/* One APDU; returns the whole response (data || SW1 SW2). */
static size_t tx_raw(struct fix *f, const uint8_t *cmd, size_t len, uint8_t *rsp)
{
	size_t rlen = 0;
	assert_int_equal(sf_card_transmit(&f->card, cmd, len, rsp, 258, &rlen), 0);
	assert_true(rlen >= 2);
	return rlen;
}

static void tx(struct fix *f, const char *cmd_hex, const char *rsp_hex)
{
	uint8_t cmd[300], rsp[300], want[300];
	size_t n = unhex(cmd_hex, cmd, sizeof(cmd));
	size_t rlen = tx_raw(f, cmd, n, rsp);
	size_t wl = unhex(rsp_hex, want, sizeof(want));
	if (rlen != wl)
		fail_msg("%s: response is %zu octets (SW %02X%02X), expected %zu", cmd_hex, rlen,
		         rsp[rlen - 2], rsp[rlen - 1], wl);
	sf_assert_mem(cmd_hex, rsp, want, wl);
}

static uint16_t sw_of(const uint8_t *r, size_t n)
{
	return (uint16_t)((r[n - 2] << 8) | r[n - 1]);
}

/* Sends an ES10 request as lpac does: STORE DATA blocks of at most bs octets
 * on channel ch, then GET RESPONSE (class gr_cla|ch) while 61xx.  Returns the
 * final status word; the response data goes to out/out_len.  Intermediate
 * blocks must answer exactly 90 00. */
static uint16_t es10_bin(struct fix *f, unsigned ch, const uint8_t *req, size_t len, size_t bs,
                         uint8_t gr_cla, uint8_t *out, size_t out_cap, size_t *out_len)
{
	uint8_t apdu[5 + 255], rsp[300];
	size_t off = 0, rlen;
	unsigned block = 0;
	*out_len = 0;
	do {
		size_t n = len - off < bs ? len - off : bs;
		int last = off + n == len;
		apdu[0] = (uint8_t)(0x80 | ch);
		apdu[1] = 0xE2;
		apdu[2] = last ? 0x91 : 0x11;
		apdu[3] = (uint8_t)block++;
		apdu[4] = (uint8_t)n;
		memcpy(apdu + 5, req + off, n);
		rlen = tx_raw(f, apdu, 5 + n, rsp);
		off += n;
		if (!last) {
			if (rlen != 2 || sw_of(rsp, rlen) != 0x9000)
				return sw_of(rsp, rlen) ? sw_of(rsp, rlen) : 0xFFFF;
		}
	} while (off < len);
	for (;;) {
		uint16_t sw = sw_of(rsp, rlen);
		assert_true(*out_len + rlen - 2 <= out_cap);
		memcpy(out + *out_len, rsp, rlen - 2);
		*out_len += rlen - 2;
		if ((sw & 0xFF00) != 0x6100)
			return sw;
		uint8_t gr[5] = {(uint8_t)(gr_cla | ch), 0xC0, 0x00, 0x00, (uint8_t)(sw & 0xFF)};
		rlen = tx_raw(f, gr, 5, rsp);
	}
}

/* es10_bin on channel 0, one block of up to 255, expecting sw and (when
 * rsp_hex is not NULL) exactly that response. */
static void es10(struct fix *f, const char *req_hex, uint16_t sw, const char *rsp_hex)
{
	static uint8_t req[5000], out[5000], want[5000];
	size_t n = unhex(req_hex, req, sizeof(req)), olen;
	uint16_t got = es10_bin(f, 0, req, n, 255, 0x80, out, sizeof(out), &olen);
	if (got != sw)
		fail_msg("%s: SW %04X, expected %04X", req_hex, got, sw);
	if (rsp_hex != NULL) {
		size_t wl = unhex(rsp_hex, want, sizeof(want));
		if (olen != wl)
			fail_msg("%s: %zu response octets, expected %zu", req_hex, olen, wl);
		sf_assert_mem(req_hex, out, want, wl);
	}
}

/* A request the ISD-R must refuse without asking the host anything. */
static void refused(struct fix *f, const char *req_hex, uint16_t sw)
{
	int calls = f->host.calls;
	es10(f, req_hex, sw, "");
	if (f->host.calls != calls)
		fail_msg("%s: the host was called", req_hex);
}

#define ICCID0 "98 44 74 56 00 00 21 42 51 F8" /* 8944476500001224158 */
#define ICCID1 "98 00 10 32 54 76 98 10 32 14" /* 89000123456789012341 */
#define ICCID2 "98 94 44 99 99 99 99 09 20 F3" /* 8949449999999990023 */
#define AID(x) "A0 00 00 05 59 10 10 FF FF FF FF 89 00 00 " x " 00"

static const char EUICC_INFO2[] =
    "BF22 3F"
    " 81 03 02 03 00"                               /* profileVersion 2.3.0 */
    " 82 03 02 05 00"                               /* svn 2.5.0 */
    " 83 03 00 01 00"                               /* euiccFirmwareVer */
    " 84 0D 81 01 00 82 04 00 10 00 00 83 02 40 00" /* extCardResource */
    " 85 03 07 4B 80"                               /* uiccCapability */
    " 86 03 09 02 00 87 03 02 03 00"                /* TS 102 241, GP */
    " 88 02 07 80"                                  /* rspCapability */
    " A9 00 AA 00"                                  /* CI PKIds */
    " 8B 01 00"                                     /* euiccCategory */
    " 04 03 00 00 00"                               /* ppVersion */
    " 0C 00";                                       /* sasAcreditationNumber */

/* ---- lpac's `chip info` ---- */

static void test_lpac_chip_info(void **state)
{
	struct fix *f = *state;
	tx(f, "80 AA 00 00 0A A9 08 81 00 82 01 01 83 01 07", "90 00");
	tx(f, "00 70 00 00 01", "01 90 00");
	tx(f, "01 A4 04 00 10 A0000005591010FFFFFFFF8900000100", "90 00");
	tx(f, "81 E2 91 00 06 BF3E035C015A", "61 15");
	tx(f, "81 C0 00 00 15",
	   "BF3E 12 5A 10 89 04 90 32 12 34 51 23 45 12 34 56 78 90 12 35 90 00");
	tx(f, "81 E2 91 00 03 BF3C00", "61 26");
	tx(f, "81 C0 00 00 26",
	   "BF3C 23 80 10 736d64702e6578616d706c652e636f6d 81 0F 6c70612e64732e67736d612e636f6d"
	   " 90 00");
	tx(f, "81 E2 91 00 03 BF4300", "61 05");
	tx(f, "81 C0 00 00 05", "BF43 02 A0 00 90 00");
	/* GetEUICCInfo2, GET RESPONSE with lpac's class 8X ... */
	char want[600];
	snprintf(want, sizeof(want), "%s 90 00", EUICC_INFO2);
	tx(f, "81 E2 91 00 03 BF2200", "61 42");
	tx(f, "81 C0 00 00 42", want);
	/* ... and onomondo-ipa's 0X */
	tx(f, "81 E2 91 00 03 BF2200", "61 42");
	tx(f, "01 C0 00 00 42", want);
	tx(f, "00 70 80 01 00", "90 00");
	assert_int_equal(f->host.changes, 0);
}

/* EUICCInfo2 decodes field by field against RSPDefinitions v2.5. */
static void test_euicc_info2_decodes(void **state)
{
	(void)state;
	uint8_t b[100];
	size_t n = unhex(EUICC_INFO2, b, sizeof(b));
	const uint8_t *p = b, *end = b + n, *v, *x;
	size_t len, xl;
	int64_t i64;
	uint32_t bits;
	assert_int_equal(sf_der_expect(&p, end, 0xBF22, &v, &len), 0);
	assert_int_equal(sf_der_check_end(p, end), 0);
	p = v;
	end = v + len;
	for (unsigned t = 1; t <= 3; t++) {
		assert_int_equal(sf_der_get_octets(&p, end, SF_DER_CTX(t), &x, &xl), 0);
		assert_int_equal(xl, 3); /* VersionType */
	}
	assert_int_equal(sf_der_get_octets(&p, end, SF_DER_CTX(4), &x, &xl), 0);
	assert_int_equal(sf_der_get_named_bits(&p, end, SF_DER_CTX(5), &bits), 0);
	assert_int_equal(bits, 0x1D2u);
	assert_int_equal(sf_der_get_octets(&p, end, SF_DER_CTX(6), &x, &xl), 0);
	assert_int_equal(sf_der_get_octets(&p, end, SF_DER_CTX(7), &x, &xl), 0);
	assert_int_equal(sf_der_get_named_bits(&p, end, SF_DER_CTX(8), &bits), 0);
	assert_int_equal(bits, 1u);
	assert_int_equal(sf_der_expect(&p, end, SF_DER_CTX_C(9), &x, &xl), 0);
	assert_int_equal(sf_der_expect(&p, end, SF_DER_CTX_C(10), &x, &xl), 0);
	assert_int_equal(sf_der_get_int64(&p, end, SF_DER_CTX(11), &i64), 0);
	assert_int_equal(sf_der_get_octets(&p, end, SF_DER_OCTET_STRING, &x, &xl), 0);
	assert_int_equal(xl, 3);
	assert_int_equal(
	    sf_der_get_string(&p, end, SF_DER_UTF8_STRING, SF_DER_UTF8_STRING, &x, &xl), 0);
	assert_int_equal(sf_der_check_end(p, end), 0);
}

static void test_euicc_info1_challenge(void **state)
{
	struct fix *f = *state;
	es10(f, "BF20 00", 0x9000, "BF20 09 82 03 02 05 00 A9 00 AA 00");
	f->host.rnd = 0x40;
	es10(f, "BF2E 00", 0x9000, "BF2E 12 80 10 40 41 42 43 44 45 46 47 48 49 4A 4B 4C 4D 4E 4F");
	assert_true(f->isdr.have_challenge);
	assert_int_equal(f->isdr.challenge[0], 0x40);
	assert_int_equal(f->isdr.challenge[15], 0x4F);
	/* An extension addition from a newer LPA is skipped. */
	f->host.rnd = 0x00;
	es10(f, "BF2E 03 85 01 00", 0x9000,
	     "BF2E 12 80 10 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F");
}

/* ---- STORE DATA transport ---- */

/* SetNickname with a 64-octet nickname (81 octets) and GetProfilesInfo with
 * a tagList, in blocks of 255 down to 6 octets: same answer every time. */
static void test_multiblock(void **state)
{
	struct fix *f = *state;
	static const size_t sizes[] = {255, 120, 64, 16, 7, 6};
	uint8_t req[200], out[2000], ref[2000];
	size_t n, olen, rlen;

	char nick[65];
	memset(nick, 'n', 64);
	nick[64] = '\0';
	char hex[400];
	snprintf(hex, sizeof(hex), "BF29 4E 5A 0A " ICCID1 " 90 40 %s", "");
	n = unhex(hex, req, sizeof(req));
	memcpy(req + n, nick, 64);
	n += 64;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		f->host.last_nick[0] = '\0';
		assert_int_equal(es10_bin(f, 0, req, n, sizes[s], 0x80, out, sizeof(out), &olen),
		                 0x9000);
		assert_int_equal(olen, 6);
		sf_assert_mem("SetNickname", out, "\xBF\x29\x03\x80\x01\x00", 6);
		assert_string_equal(f->host.last_nick, nick);
		assert_string_equal(f->host.last_iccid, "89000123456789012341");
	}

	n = unhex("BF2D 0E 5C 0C 5A 4F 9F70 90 91 92 93 94 95 B6 B7", req, sizeof(req));
	assert_int_equal(es10_bin(f, 0, req, n, 255, 0x80, ref, sizeof(ref), &rlen), 0x9000);
	for (size_t s = 1; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		assert_int_equal(es10_bin(f, 0, req, n, sizes[s], 0x00, out, sizeof(out), &olen),
		                 0x9000);
		assert_int_equal(olen, rlen);
		sf_assert_mem("GetProfilesInfo", out, ref, rlen);
	}
}

static void test_block_errors(void **state)
{
	struct fix *f = *state;
	/* A gap in the block numbers ends the sequence. */
	tx(f, "80 E2 11 00 03 BF3E03", "90 00");
	tx(f, "80 E2 91 02 03 5C015A", "6A 86");
	tx(f, "80 E2 91 01 03 5C015A", "6A 86"); /* nothing to continue */
	/* A repeated block too. */
	tx(f, "80 E2 11 00 02 BF3E", "90 00");
	tx(f, "80 E2 11 01 01 03", "90 00");
	tx(f, "80 E2 11 01 01 03", "6A 86");
	/* A later block without a first one. */
	tx(f, "80 E2 91 05 03 BF3C00", "6A 86");
	/* P1 other than 11 / 91. */
	tx(f, "80 E2 11 00 02 BF3E", "90 00");
	tx(f, "80 E2 01 01 04 035C015A", "6A 86");
	tx(f, "80 E2 91 01 04 035C015A", "6A 86"); /* the 6A 86 ended it */
	tx(f, "80 E2 81 00 03 BF3C00", "6A 86");
	tx(f, "80 E2 90 00 03 BF3C00", "6A 86");
	tx(f, "80 E2 00 00 03 BF3C00", "6A 86");
	/* Lc 0 (case 1 and case 2). */
	tx(f, "80 E2 91 00", "67 00");
	tx(f, "80 E2 91 00 00", "67 00");
	/* Le present (case 4) is fine. */
	tx(f, "80 E2 91 00 03 BF4300 00", "61 05");
	tx(f, "80 C0 00 00 05", "BF43 02 A0 00 90 00");
	/* Class 0X: E2 is APPEND RECORD there. */
	tx(f, "00 E2 91 00 03 BF3C00", "6E 00");
	/* Other instructions on the ISD-R. */
	tx(f, "80 CA 00 5A 00", "6D 00");
	tx(f, "80 F2 40 00 02 4F00", "6D 00");
	tx(f, "00 B0 00 00 10", "6D 00");
	/* P2 = 00 restarts: an abandoned sequence does not block a new one. */
	tx(f, "80 E2 11 00 02 BF3E", "90 00");
	tx(f, "80 E2 11 00 02 BF43", "90 00");
	tx(f, "80 E2 91 01 01 00", "61 05");
	tx(f, "80 C0 00 00 05", "BF43 02 A0 00 90 00");
	/* Block FF cannot announce more blocks. */
	uint8_t cmd[6] = {0x80, 0xE2, 0x11, 0x00, 0x01, 0xBF}, rsp[300];
	for (unsigned b = 0; b < 255; b++) {
		cmd[3] = (uint8_t)b;
		assert_int_equal(tx_raw(f, cmd, 6, rsp), 2);
		assert_int_equal(sw_of(rsp, 2), 0x9000);
	}
	cmd[3] = 0xFF;
	assert_int_equal(sw_of(rsp, tx_raw(f, cmd, 6, rsp)), 0x6A84);
	assert_int_equal(f->isdr.assembling, 0);
	assert_int_equal(f->host.calls, 0);
}

static void test_channels(void **state)
{
	struct fix *f = *state;
	tx(f, "00 70 00 00 01", "01 90 00");
	tx(f, "00 70 00 00 01", "02 90 00");
	/* A block on another channel mid-sequence: 69 85, sequence dropped. */
	tx(f, "81 E2 11 00 03 BF3E03", "90 00");
	tx(f, "82 E2 91 01 03 5C015A", "69 85");
	tx(f, "81 E2 91 01 03 5C015A", "6A 86");
	/* A new sequence on another channel replaces an unfinished one. */
	tx(f, "81 E2 11 00 03 BF3E03", "90 00");
	tx(f, "82 E2 11 00 02 BF43", "90 00");
	tx(f, "82 E2 91 01 01 00", "61 05");
	tx(f, "82 C0 00 00 05", "BF43 02 A0 00 90 00");
	/* Closing the sequence's channel drops it (the eUICC router's job). */
	tx(f, "81 E2 11 00 03 BF3E03", "90 00");
	tx(f, "00 70 80 01", "90 00");
	assert_int_equal(f->isdr.assembling, 0);
	/* A card reset too. */
	tx(f, "82 E2 11 00 03 BF3E03", "90 00");
	assert_int_equal(sf_card_reset(&f->card, SF_CARD_RESET_WARM), 0);
	assert_int_equal(f->isdr.assembling, 0);
	assert_int_equal(f->isdr.len, 0);
}

static void test_oversized(void **state)
{
	struct fix *f = *state;
	static uint8_t req[SF_ISDR_MAX_COMMAND + 1], out[5000];
	size_t olen;
	uint8_t rsp[300];

	/* Exactly SF_ISDR_MAX_COMMAND octets: GetProfilesInfo with a tagList of
	 * 4088 x 5A. */
	size_t n = unhex("BF2D 82 0FFB 5C 82 0FF7", req, sizeof(req));
	memset(req + n, 0x5A, SF_ISDR_MAX_COMMAND - n);
	assert_int_equal(
	    es10_bin(f, 0, req, SF_ISDR_MAX_COMMAND, 255, 0x80, out, sizeof(out), &olen), 0x9000);
	es10(f, "BF2D 03 5C 01 5A", 0x9000, NULL);

	/* One octet more: 6A 84 on the block that overflows, and nothing left. */
	n = unhex("BF2D 82 0FFC 5C 82 0FF8", req, sizeof(req));
	memset(req + n, 0x5A, SF_ISDR_MAX_COMMAND + 1 - n);
	int calls = f->host.calls;
	uint16_t sw =
	    es10_bin(f, 0, req, SF_ISDR_MAX_COMMAND + 1, 255, 0x80, out, sizeof(out), &olen);
	assert_int_equal(sw, 0x6A84);
	assert_int_equal(f->host.calls, calls);
	assert_int_equal(f->isdr.assembling, 0);
	/* The next block number finds no sequence. */
	uint8_t cont[] = {0x80, 0xE2, 0x91, 0x11, 0x01, 0x5A};
	assert_int_equal(sw_of(rsp, tx_raw(f, cont, sizeof(cont), rsp)), 0x6A86);
	/* And the ISD-R works on. */
	es10(f, "BF3E 03 5C 01 5A", 0x9000,
	     "BF3E 12 5A 10 89 04 90 32 12 34 51 23 45 12 34 56 78 90 12 35");
}

/* ---- ES10c ---- */

static void test_get_profiles_info(void **state)
{
	struct fix *f = *state;
	/* The small exact case: one profile by ICCID, two tags asked. */
	es10(f, "BF2D 13 A0 0C 5A 0A " ICCID0 " 5C 03 5A 9F70", 0x9000,
	     "BF2D 14 A0 12 E3 10 5A 0A " ICCID0 " 9F70 01 01");
	/* By AID, every field: nickname absent when not set. */
	es10(f, "BF2D 14 A0 12 4F 10 " AID("11"), 0x9000,
	     "BF2D 39 A0 37 E3 35 5A 0A " ICCID1
	     " 4F 10 " AID("11") " 9F70 01 00"
	                         " 90 04 776F726B 91 03 4F7032 92 03 54776F 95 01 00");
	/* By class, tag order in the list does not matter, unknown tags are
	 * ignored, the response keeps the SEQUENCE order. */
	es10(f, "BF2D 0C A0 03 95 01 01 5C 05 95 B6 4F 93 5A", 0x9000,
	     "BF2D 25 A0 23 E3 21 5A 0A " ICCID2 " 4F 10 " AID("12") " 95 01 01");
	/* Nothing matches. */
	es10(f, "BF2D 05 A0 03 95 01 07", 0x9000, "BF2D 02 A0 00");
	es10(f, "BF2D 0E A0 0C 5A 0A 98 44 74 56 00 00 21 42 51 F0", 0x9000, "BF2D 02 A0 00");
	/* An empty tagList: empty ProfileInfos. */
	es10(f, "BF2D 02 5C 00", 0x9000, "BF2D 08 A0 06 E3 00 E3 00 E3 00");
	/* A tagList cut inside a two-octet tag: incorrectInputValues. */
	es10(f, "BF2D 03 5C 01 9F", 0x9000, "BF2D 03 81 01 01");
	/* No criteria, no tagList: all three, in order, through 61xx. */
	uint8_t req[4] = {0xBF, 0x2D, 0x00}, out[1000];
	size_t olen;
	assert_int_equal(es10_bin(f, 0, req, 3, 255, 0x80, out, sizeof(out), &olen), 0x9000);
	const uint8_t *p = out, *end = out + olen, *v, *l;
	size_t len, llen;
	assert_int_equal(sf_der_expect(&p, end, 0xBF2D, &v, &len), 0);
	assert_int_equal(sf_der_check_end(p, end), 0);
	assert_int_equal(sf_der_expect(&v, v + len, SF_DER_CTX_C(0), &l, &llen), 0);
	struct sf_der_iter it;
	struct sf_der_tlv t;
	sf_der_iter_init(&it, l, llen);
	int count = 0, rc;
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		assert_int_equal(t.tag, 0xE3);
		const uint8_t *q = t.val, *qe = t.val + t.len, *x;
		size_t xl;
		assert_int_equal(sf_der_get_octets(&q, qe, 0x5A, &x, &xl), 0);
		assert_int_equal(xl, 10);
		assert_int_equal(x[0], 0x98);
		static const uint8_t second[3] = {0x44, 0x00, 0x94};
		assert_int_equal(x[1], second[count]);
		count++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(count, 3);
	/* A host failure is the function's undefinedError. */
	f->host.get_fail = 1;
	es10(f, "BF2D 00", 0x9000, "BF2D 03 81 01 7F");
}

static void test_enable_disable_delete(void **state)
{
	struct fix *f = *state;
	/* lpac's EnableProfile by ICCID, refreshFlag TRUE */
	es10(f, "BF31 11 A0 0C 5A 0A " ICCID1 " 81 01 FF", 0x9000, "BF31 03 80 01 00");
	assert_string_equal(f->host.last_iccid, "89000123456789012341");
	assert_int_equal(f->host.last_refresh, 1);
	assert_int_equal(f->host.prof[1].state, SF_PROFILE_ENABLED);
	/* again: profileNotInDisabledState, from the host */
	es10(f, "BF31 11 A0 0C 5A 0A " ICCID1 " 81 01 00", 0x9000, "BF31 03 80 01 02");
	assert_int_equal(f->host.last_refresh, 0);
	/* by AID: the ISD-R finds the ICCID */
	es10(f, "BF31 17 A0 12 4F 10 " AID("10") " 81 01 00", 0x9000, "BF31 03 80 01 00");
	assert_string_equal(f->host.last_iccid, "8944476500001224158");
	/* an ICCID the host does not know: its iccidOrAidNotFound */
	int changes = f->host.changes;
	es10(f, "BF31 11 A0 0C 5A 0A 98 44 74 56 00 00 21 42 51 F9 81 01 00", 0x9000,
	     "BF31 03 80 01 01");
	assert_int_equal(f->host.changes, changes + 1);
	/* an AID no profile has: iccidOrAidNotFound without asking the host */
	es10(f, "BF31 17 A0 12 4F 10 " AID("77") " 81 01 00", 0x9000, "BF31 03 80 01 01");
	assert_int_equal(f->host.changes, changes + 1);
	/* forced results: catBusy passes, an internal failure is undefinedError */
	f->host.force = SF_ES10_CAT_BUSY;
	es10(f, "BF31 11 A0 0C 5A 0A " ICCID2 " 81 01 00", 0x9000, "BF31 03 80 01 05");
	f->host.force = SF_EIO;
	es10(f, "BF31 11 A0 0C 5A 0A " ICCID2 " 81 01 00", 0x9000, "BF31 03 80 01 7F");
	f->host.force = NO_FORCE;

	/* DisableProfile */
	es10(f, "BF32 11 A0 0C 5A 0A " ICCID1 " 81 01 FF", 0x9000, "BF32 03 80 01 02");
	es10(f, "BF32 11 A0 0C 5A 0A " ICCID0 " 81 01 FF", 0x9000, "BF32 03 80 01 00");
	assert_int_equal(f->host.prof[0].state, SF_PROFILE_DISABLED);
	f->host.force = SF_ES10_DISALLOWED;
	es10(f, "BF32 11 A0 0C 5A 0A " ICCID0 " 81 01 FF", 0x9000, "BF32 03 80 01 03");
	f->host.force = NO_FORCE;

	/* DeleteProfile (lpac: the CHOICE directly in BF33) */
	es10(f, "BF33 0C 5A 0A " ICCID2, 0x9000, "BF33 03 80 01 00");
	assert_int_equal(f->host.n_prof, 2);
	es10(f, "BF33 0C 5A 0A " ICCID2, 0x9000, "BF33 03 80 01 01");
	es10(f, "BF33 12 4F 10 " AID("12"), 0x9000, "BF33 03 80 01 01");
	es10(f, "BF33 12 4F 10 " AID("10"), 0x9000, "BF33 03 80 01 00");
	assert_string_equal(f->host.last_iccid, "8944476500001224158");
	/* wrong state: an enabled profile */
	es10(f, "BF31 11 A0 0C 5A 0A " ICCID1 " 81 01 FF", 0x9000, "BF31 03 80 01 00");
	es10(f, "BF33 0C 5A 0A " ICCID1, 0x9000, "BF33 03 80 01 02");
	assert_int_equal(f->host.n_prof, 1);
}

static void test_nickname_reset_addresses(void **state)
{
	struct fix *f = *state;
	es10(f, "BF29 12 5A 0A " ICCID0 " 90 04 686F6D65", 0x9000, "BF29 03 80 01 00");
	assert_string_equal(f->host.prof[0].nickname, "home");
	es10(f, "BF29 0E 5A 0A " ICCID0 " 90 00", 0x9000, "BF29 03 80 01 00");
	assert_string_equal(f->host.last_nick, "");
	es10(f, "BF29 12 5A 0A 98 44 74 56 00 00 21 42 51 F9 90 04 686F6D65", 0x9000,
	     "BF29 03 80 01 01");
	/* an ICCID no profile can have (a non-digit nibble): not found, no call */
	int changes = f->host.changes;
	es10(f, "BF29 12 5A 0A 98 44 74 56 00 00 21 42 51 A8 90 04 686F6D65", 0x9000,
	     "BF29 03 80 01 01");
	assert_int_equal(f->host.changes, changes);

	/* eUICCMemoryReset: lpac sends 82 02 00 E0 (trailing zero bits kept) */
	es10(f, "BF34 04 82 02 00 E0", 0x9000, "BF34 03 80 01 00");
	assert_int_equal(f->host.last_options, 7u);
	es10(f, "BF34 04 82 02 07 80", 0x9000, "BF34 03 80 01 00");
	assert_int_equal(f->host.last_options, 1u);
	es10(f, "BF34 05 82 03 00 20 FF", 0x9000, "BF34 03 80 01 00");
	assert_int_equal(f->host.last_options, 4u); /* unnamed bits dropped */
	f->host.force = SF_ES10_NOTHING_TO_DELETE;
	es10(f, "BF34 04 82 02 05 60", 0x9000, "BF34 03 80 01 01");
	f->host.force = SF_ES10_CAT_BUSY;
	es10(f, "BF34 04 82 02 05 60", 0x9000, "BF34 03 80 01 05");
	f->host.force = NO_FORCE;

	/* SetDefaultDpAddress, then GetEuiccConfiguredAddresses */
	es10(f, "BF3F 0A 80 08 64702E6F702E6575", 0x9000, "BF3F 03 80 01 00");
	assert_string_equal(f->host.last_dp, "dp.op.eu");
	es10(f, "BF3C 00", 0x9000,
	     "BF3C 1B 80 08 64702E6F702E6575 81 0F 6c70612e64732e67736d612e636f6d");
	es10(f, "BF3F 02 80 00", 0x9000, "BF3F 03 80 01 00");
	es10(f, "BF3C 00", 0x9000, "BF3C 11 81 0F 6c70612e64732e67736d612e636f6d");
	f->host.force = SF_EIO;
	es10(f, "BF3F 03 80 01 61", 0x9000, "BF3F 03 80 01 7F");
	f->host.force = 1; /* not defined for this function */
	es10(f, "BF3F 03 80 01 61", 0x9000, "BF3F 03 80 01 7F");
	f->host.force = NO_FORCE;
}

/* ---- ES10b notifications ---- */

#define META0 "BF2F 25 80 01 01 81 02 07 80 0C 10 736d64702e6578616d706c652e636f6d 5A 0A " ICCID0
#define META1_ "BF2F 25 80 01 02 81 02 06 40 0C 10 736d64702e6578616d706c652e636f6d 5A 0A " ICCID0
#define META2 "BF2F 18 80 02 01 2C 81 02 04 10 0C 0E 64702e6f70322e6578616d706c65"

static void test_notifications(void **state)
{
	struct fix *f = *state;
	/* all three (40 + 40 + 27 octets) */
	es10(f, "BF28 00", 0x9000, "BF28 6D A0 6B " META0 " " META1_ " " META2);
	/* filter: enable and delete */
	es10(f, "BF28 04 81 02 04 50", 0x9000, "BF28 45 A0 43 " META1_ " " META2);
	/* lpac-style filter with trailing zero bits */
	es10(f, "BF28 04 81 02 00 80", 0x9000, "BF28 2A A0 28 " META0);
	es10(f, "BF28 04 81 02 07 80", 0x9000, "BF28 2A A0 28 " META0);
	/* a filter matching nothing */
	es10(f, "BF28 04 81 02 03 20", 0x9000, "BF28 02 A0 00");

	/* RetrieveNotificationsList: cannot sign, so undefinedError when any
	 * match, the empty list when none does. */
	es10(f, "BF2B 00", 0x9000, "BF2B 03 81 01 7F");
	es10(f, "BF2B 05 A0 03 80 01 02", 0x9000, "BF2B 03 81 01 7F");
	es10(f, "BF2B 05 A0 03 80 01 09", 0x9000, "BF2B 02 A0 00");
	es10(f, "BF2B 06 A0 04 81 02 04 10", 0x9000, "BF2B 03 81 01 7F");
	es10(f, "BF2B 06 A0 04 81 02 05 20", 0x9000, "BF2B 02 A0 00");
	es10(f, "BF2B 0D A0 0B 80 09 01 00 00 00 00 00 00 00 00", 0x9000, "BF2B 02 A0 00");

	/* RemoveNotificationFromList */
	es10(f, "BF30 03 80 01 02", 0x9000, "BF30 03 80 01 00");
	assert_int_equal(f->host.last_seq, 2);
	assert_int_equal(f->host.n_notif, 2);
	es10(f, "BF30 03 80 01 02", 0x9000, "BF30 03 80 01 01");
	es10(f, "BF30 04 80 02 01 2C", 0x9000, "BF30 03 80 01 00");
	assert_int_equal(f->host.last_seq, 300);
	int changes = f->host.changes;
	es10(f, "BF30 07 80 05 01 00 00 00 00", 0x9000, "BF30 03 80 01 01"); /* > 2^32-1 */
	es10(f, "BF30 03 80 01 FF", 0x9000, "BF30 03 80 01 01");             /* negative */
	assert_int_equal(f->host.changes, changes);
	es10(f, "BF28 00", 0x9000, "BF28 2A A0 28 " META0);
	f->host.force = SF_EIO;
	es10(f, "BF30 03 80 01 01", 0x9000, "BF30 03 80 01 7F");
	f->host.force = NO_FORCE;
	/* now nothing is pending: the empty list is the truth */
	es10(f, "BF30 03 80 01 01", 0x9000, "BF30 03 80 01 00");
	es10(f, "BF2B 00", 0x9000, "BF2B 02 A0 00");
	es10(f, "BF28 00", 0x9000, "BF28 02 A0 00");
	/* a host failure while listing */
	f->host.n_notif = 1;
	f->host.get_fail = 1;
	es10(f, "BF28 00", 0x9000, "BF28 03 81 01 7F");
	es10(f, "BF2B 00", 0x9000, "BF2B 03 81 01 7F");
}

/* ---- refusals ---- */

static void test_malformed(void **state)
{
	struct fix *f = *state;
	/* Outer TLV: truncated, trailing octets, non-minimal or indefinite length. */
	refused(f, "BF3E 04 5C 01 5A", 0x6A80);
	refused(f, "BF3E 03 5C 01 5A 00", 0x6A80);
	refused(f, "BF3E 03 5C 01 5A 5A 00", 0x6A80);
	refused(f, "BF3E 81 03 5C 01 5A", 0x6A80);
	refused(f, "BF3E 80 5C 01 5A 00 00", 0x6A80);
	refused(f, "BF 3E", 0x6A80);
	refused(f, "00 00", 0x6A80);
	/* Inner: truncated, wrong tags, values, SIZE constraints. */
	refused(f, "BF3E 03 5C 02 5A", 0x6A80);
	refused(f, "BF3E 03 5D 01 5A", 0x6A80);
	refused(f, "BF3E 03 5C 01 4F", 0x6A80);
	refused(f, "BF3E 00", 0x6A80);
	refused(f, "BF3E 05 5C 01 5A 00 00", 0x6A80); /* not an extension: no tag 0 */
	refused(f, "BF31 11 A0 0C 5A 0A " ICCID1 " 82 01 FF", 0x6A80);
	refused(f, "BF31 11 A0 0C 5A 0A " ICCID1 " 81 01 01", 0x6A80); /* BOOLEAN not DER */
	refused(f, "BF31 0E A0 0C 5A 0A " ICCID1, 0x6A80);             /* refreshFlag missing */
	refused(f, "BF31 10 A0 0B 5A 09 98 00 21 43 65 87 09 21 43 81 01 FF", 0x6A80);
	refused(f, "BF31 13 A0 0E 5A 0A " ICCID1 " 04 00 81 01 FF", 0x6A80);
	refused(f, "BF31 07 A0 02 4F 00 81 01 FF", 0x6A80);
	refused(f, "BF31 0C A0 07 4F 05 A000000559 82 01 FF", 0x6A80);
	refused(f, "BF31 11 A0 0C 5B 0A " ICCID1 " 81 01 FF", 0x6A80);
	refused(f, "BF31 11 A1 0C 5A 0A " ICCID1 " 81 01 FF", 0x6A80);
	refused(f, "BF33 0E 5A 0A " ICCID1 " 81 00", 0x6A80);
	refused(f, "BF33 00", 0x6A80);
	refused(f, "BF33 13 4F 11 " AID("12") " 01", 0x6A80);
	refused(f, "BF29 0C 5A 0A " ICCID0, 0x6A80);
	refused(f, "BF29 0F 5A 0A " ICCID0 " 90 01 C0", 0x6A80);   /* not UTF-8 */
	refused(f, "BF29 10 5A 0A " ICCID0 " 90 02 6100", 0x6A80); /* NUL */
	refused(f, "BF34 04 82 02 08 80", 0x6A80);
	refused(f, "BF34 04 82 02 01 81", 0x6A80); /* padding bit set */
	refused(f, "BF34 03 83 01 00", 0x6A80);
	refused(f, "BF3F 00", 0x6A80);
	refused(f, "BF3F 03 81 01 61", 0x6A80);
	refused(f, "BF30 00", 0x6A80);
	refused(f, "BF30 04 80 02 00 01", 0x6A80); /* INTEGER not minimal */
	refused(f, "BF2D 04 A0 02 96 00", 0x6A80); /* unknown searchCriteria */
	refused(f, "BF2D 08 A0 06 95 01 01 95 01 01", 0x6A80);
	refused(f, "BF2D 0D A0 0B 5A 09 98 00 21 43 65 87 09 21 43", 0x6A80);
	refused(f, "BF2D 03 5C 81 00", 0x6A80);
	refused(f, "BF28 03 81 01 08", 0x6A80);
	refused(f, "BF2B 04 A0 02 82 00", 0x6A80);
	refused(f, "BF2B 07 A0 05 80 01 01 80 00", 0x6A80);
	/* Nickname over 64 octets. */
	char hex[400];
	int n = snprintf(hex, sizeof(hex), "BF29 4F 5A 0A " ICCID0 " 90 41 ");
	for (int i = 0; i < 65; i++)
		n += snprintf(hex + n, sizeof(hex) - (size_t)n, "6E");
	refused(f, hex, 0x6A80);
	/* Unknown outer tags, and the functions of the RSP security work. */
	refused(f, "BF7F 00", 0x6A88);
	refused(f, "BF3D 00", 0x6A88);
	refused(f, "9F3E 00", 0x6A88);
	refused(f, "30 00", 0x6A88);
	refused(f, "BF38 00", 0x6A88);
	refused(f, "BF21 00", 0x6A88);
	refused(f, "BF36 00", 0x6A88);
	refused(f, "BF41 00", 0x6A88);
	assert_int_equal(f->host.calls, 0);
}

/* Every proper prefix of every valid request is truncated DER: 6A 80 and
 * no host call (the request is copied to an exact-size heap buffer first,
 * for AddressSanitizer). */
static void test_prefixes(void **state)
{
	struct fix *f = *state;
	static const char *const reqs[] = {
	    "BF3E 03 5C 01 5A",
	    "BF3C 00",
	    "BF22 00",
	    "BF2D 13 A0 0C 5A 0A " ICCID0 " 5C 03 5A 9F70",
	    "BF31 11 A0 0C 5A 0A " ICCID1 " 81 01 FF",
	    "BF33 12 4F 10 " AID("12"),
	    "BF34 04 82 02 00 E0",
	    "BF29 12 5A 0A " ICCID0 " 90 04 686F6D65",
	    "BF3F 0A 80 08 64702E6F702E6575",
	    "BF28 04 81 02 04 50",
	    "BF2B 05 A0 03 80 01 02",
	    "BF30 04 80 02 01 2C",
	};
	uint8_t full[100], out[600];
	size_t olen;
	for (size_t r = 0; r < sizeof(reqs) / sizeof(reqs[0]); r++) {
		size_t n = unhex(reqs[r], full, sizeof(full));
		for (size_t k = 1; k < n; k++) {
			uint8_t *pre = malloc(k);
			assert_non_null(pre);
			memcpy(pre, full, k);
			int calls = f->host.calls;
			uint16_t sw = es10_bin(f, 0, pre, k, 255, 0x80, out, sizeof(out), &olen);
			if (sw != 0x6A80 || f->host.calls != calls)
				fail_msg("%s: prefix of %zu octets: SW %04X, host calls %d",
				         reqs[r], k, sw, f->host.calls - calls);
			free(pre);
		}
		uint8_t *whole = malloc(n);
		assert_non_null(whole);
		memcpy(whole, full, n);
		assert_int_equal(es10_bin(f, 0, whole, n, 6, 0x80, out, sizeof(out), &olen),
		                 0x9000);
		free(whole);
	}
}

/* ---- host data the ISD-R cannot encode, API misuse ---- */

static void test_host_errors(void **state)
{
	struct fix *f = *state;
	uint8_t rsp[300];
	uint8_t geteid[] = {0x80, 0xE2, 0x91, 0x00, 0x06, 0xBF, 0x3E, 0x03, 0x5C, 0x01, 0x5A};
	f->host.eid = "8904903212345123451234567890123";
	assert_int_equal(sw_of(rsp, tx_raw(f, geteid, sizeof(geteid), rsp)), 0x6F00);
	assert_int_equal(sf_card_last_error(&f->card), SF_EES10_HOST);
	f->host.eid = "8904903212345123451234567890123A";
	assert_int_equal(sw_of(rsp, tx_raw(f, geteid, sizeof(geteid), rsp)), 0x6F00);
	f->host.eid = "89049032123451234512345678901235";
	/* A profile with a bad ICCID or a non-UTF-8 name: undefinedError. */
	snprintf(f->host.prof[1].iccid, sizeof(f->host.prof[1].iccid), "89F1");
	es10(f, "BF2D 00", 0x9000, "BF2D 03 81 01 7F");
	snprintf(f->host.prof[1].iccid, sizeof(f->host.prof[1].iccid), "89000123456789012341");
	f->host.prof[2].name[0] = (char)0xC0;
	es10(f, "BF2D 00", 0x9000, "BF2D 03 81 01 7F");
	f->host.prof[2].name[0] = '\0';
	f->host.prof[2].state = 7;
	es10(f, "BF2D 00", 0x9000, "BF2D 03 81 01 7F");
	f->host.prof[2].state = 0;
	f->host.notif[2].event = 9;
	es10(f, "BF28 00", 0x9000, "BF28 03 81 01 7F");

	/* API */
	struct sf_apdu a;
	struct sf_rapdu r = {rsp, sizeof(rsp), 0, SF_SW_TECHNICAL_PROBLEM};
	assert_int_equal(sf_apdu_parse(&a, geteid, sizeof(geteid)), 0);
	assert_int_equal(sf_isdr_init(NULL, &host_ops, NULL), SF_EINVAL);
	assert_int_equal(sf_isdr_init(&f->isdr, NULL, NULL), SF_EINVAL);
	assert_int_equal(sf_isdr_process(NULL, &f->card, &a, &r), SF_EINVAL);
	assert_int_equal(sf_isdr_process(&f->isdr, &f->card, NULL, &r), SF_EINVAL);
	assert_int_equal(sf_isdr_process(&f->isdr, &f->card, &a, NULL), SF_EINVAL);
	sf_isdr_reset(NULL);
	/* Direct call with a small response buffer: internal failure. */
	uint8_t small[8];
	struct sf_rapdu rs = {small, sizeof(small), 0, SF_SW_TECHNICAL_PROBLEM};
	assert_int_equal(sf_isdr_process(&f->isdr, &f->card, &a, &rs), SF_EBUFSIZE);
	assert_int_equal(f->isdr.assembling, 0);
	static const uint8_t aid[] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
	                              0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00};
	sf_assert_mem("ISD-R AID", sf_isdr_aid, aid, SF_ISDR_AID_LEN);
}

int main(void)
{
	sf_log_set_level(SF_LOG_ERROR);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lpac_chip_info, setup, teardown),
	    cmocka_unit_test(test_euicc_info2_decodes),
	    cmocka_unit_test_setup_teardown(test_euicc_info1_challenge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multiblock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_block_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_channels, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oversized, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_get_profiles_info, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enable_disable_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nickname_reset_addresses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notifications, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prefixes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
