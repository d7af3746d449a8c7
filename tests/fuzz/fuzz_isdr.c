/* libFuzzer target for the ISD-R (src/isdr: SGP.22 §5.7 ES10a/b/c over
 * STORE DATA, GP §11.11) behind a real card engine, with a fake eUICC host
 * (three profiles, three notifications; modelled on tests/unit/test_isdr.c).
 *
 * Input: one configuration octet
 *   bit 0     SF_CARD_DIRECT (else T=0, as lpac sees a card behind pcscd)
 *   bits 1-3  what the host's state-changing operations return: their own
 *             logic, or forced OK / 1 / 2 / 3 / 5 / 127 / SF_EIO
 *   bit 4     profile_get / notification_get fail
 *   bit 5     host strings that are not UTF-8 (SF_EES10_HOST path)
 *   bit 6     host strings at their maximum length
 * then up to 48 operations, each an octet op:
 *   op & 3 = 0  a raw C-APDU: 2-octet length, then the APDU
 *   op & 3 = 1  an ES10 request sent as lpac does on channel (op >> 2) & 3:
 *               2-octet length, block size octet (0: 255), then the request;
 *               STORE DATA blocks (P1 11 / 91, P2 counting), then GET
 *               RESPONSE (class 80|ch when op bit 4, else 00|ch) while 61xx
 *   op & 3 = 2  card reset (warm when op bit 2)
 *   op & 3 = 3  MANAGE CHANNEL open (card-assigned) when op bit 2 is clear,
 *               else close channel (op >> 3) & 3
 * Checks, besides ASan/UBSan:
 *   - every transmission succeeds with a well-formed R-APDU (SW1 6X/9X);
 *   - an ES10 exchange that ends in 90 00 was one strict DER TLV and got
 *     exactly one DER TLV with the request's tag back;
 *   - a request refused for its form (6A 80, 6A 88, 6A 86, 6A 84, 67 00,
 *     69 85) changed nothing in the host;
 *   - the host stays consistent (at most one enabled profile).
 * Build: cmake -DSF_FUZZ=ON -DCMAKE_C_COMPILER=clang; run:
 *   fuzz_isdr -max_total_time=60 <copy of tests/fuzz/corpus_isdr> */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simfleet/card.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/isdr.h"
#include "simfleet/log.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

/* ---- the fake eUICC host ---- */

#define NO_FORCE INT_MIN

struct host {
	struct sf_profile_info prof[3];
	size_t n_prof;
	struct sf_notification notif[3];
	size_t n_notif;
	char dp[256], ds[256];
	const char *eid;
	int changes; /* state-changing operations that returned OK */
	int force;
	int get_fail;
	uint8_t rnd;
};

static void fill(char *dst, size_t cap, const char *s, int flavour)
{
	if (flavour == 1) { /* not UTF-8 */
		snprintf(dst, cap, "%s\xFF\xC0", s);
	} else if (flavour == 2) { /* as long as the field allows */
		memset(dst, 'a', cap - 1);
		dst[cap - 1] = '\0';
	} else {
		snprintf(dst, cap, "%s", s);
	}
}

static struct sf_profile_info mkprof(const char *iccid, uint8_t aid_last, uint8_t state,
				     uint8_t pclass, const char *nick, const char *spn,
				     const char *name, int flavour)
{
	static const uint8_t aid[16] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
					0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00};
	struct sf_profile_info p;
	memset(&p, 0, sizeof(p));
	snprintf(p.iccid, sizeof(p.iccid), "%s", iccid);
	memcpy(p.isdp_aid, aid, 16);
	p.isdp_aid[14] = aid_last;
	p.isdp_aid_len = 16;
	p.state = state;
	p.pclass = pclass;
	fill(p.nickname, sizeof(p.nickname), nick, flavour);
	fill(p.spn, sizeof(p.spn), spn, flavour);
	fill(p.name, sizeof(p.name), name, flavour);
	return p;
}

static void host_setup(struct host *h, int flavour)
{
	memset(h, 0, sizeof(*h));
	h->prof[0] = mkprof("8944476500001224158", 0x10, SF_PROFILE_ENABLED,
			    SF_PROFILE_CLASS_OPERATIONAL, "", "simfleet", "Test One", flavour);
	h->prof[1] = mkprof("89000123456789012341", 0x11, SF_PROFILE_DISABLED,
			    SF_PROFILE_CLASS_TEST, "work", "Op2", "Two", flavour);
	h->prof[2] = mkprof("8949449999999990023", 0x12, SF_PROFILE_DISABLED,
			    SF_PROFILE_CLASS_PROVISIONING, "", "", "", 0);
	h->n_prof = 3;
	static const struct {
		uint32_t seq;
		uint8_t ev;
		const char *addr, *iccid;
	} n[3] = {{1, SF_NOTIF_INSTALL, "smdp.example.com", "8944476500001224158"},
		  {2, SF_NOTIF_ENABLE, "smdp.example.com", "8944476500001224158"},
		  {300, SF_NOTIF_DELETE, "dp.op2.example", ""}};
	for (size_t i = 0; i < 3; i++) {
		h->notif[i].seq = n[i].seq;
		h->notif[i].event = n[i].ev;
		fill(h->notif[i].address, sizeof(h->notif[i].address), n[i].addr, flavour);
		snprintf(h->notif[i].iccid, sizeof(h->notif[i].iccid), "%s", n[i].iccid);
	}
	h->n_notif = 3;
	fill(h->dp, sizeof(h->dp), "smdp.example.com", flavour);
	fill(h->ds, sizeof(h->ds), "lpa.ds.gsma.com", flavour);
	h->eid = "89049032123451234512345678901235";
	h->force = NO_FORCE;
}

static struct sf_profile_info *find(struct host *h, const char *iccid)
{
	CHECK(iccid != NULL && strlen(iccid) <= 20);
	for (size_t i = 0; i < h->n_prof; i++)
		if (strcmp(h->prof[i].iccid, iccid) == 0)
			return &h->prof[i];
	return NULL;
}

static int done(struct host *h, int rc)
{
	if (rc == SF_ES10_OK)
		h->changes++;
	return rc;
}

static const char *h_eid(void *u)
{
	return ((struct host *)u)->eid;
}
static size_t h_profile_count(void *u)
{
	return ((struct host *)u)->n_prof;
}
static int h_profile_get(void *u, size_t i, struct sf_profile_info *out)
{
	struct host *h = u;
	if (h->get_fail || i >= h->n_prof)
		return SF_EIO;
	*out = h->prof[i];
	return 0;
}
static int h_enable(void *u, const char *iccid, int refresh)
{
	struct host *h = u;
	(void)refresh;
	struct sf_profile_info *p = find(h, iccid);
	if (h->force != NO_FORCE)
		return done(h, h->force);
	if (p == NULL)
		return SF_ES10_NOT_FOUND;
	if (p->state != SF_PROFILE_DISABLED)
		return SF_ES10_WRONG_STATE;
	for (size_t i = 0; i < h->n_prof; i++)
		h->prof[i].state = SF_PROFILE_DISABLED;
	p->state = SF_PROFILE_ENABLED;
	return done(h, SF_ES10_OK);
}
static int h_disable(void *u, const char *iccid, int refresh)
{
	struct host *h = u;
	(void)refresh;
	struct sf_profile_info *p = find(h, iccid);
	if (h->force != NO_FORCE)
		return done(h, h->force);
	if (p == NULL)
		return SF_ES10_NOT_FOUND;
	if (p->state != SF_PROFILE_ENABLED)
		return SF_ES10_WRONG_STATE;
	p->state = SF_PROFILE_DISABLED;
	return done(h, SF_ES10_OK);
}
static int h_delete(void *u, const char *iccid)
{
	struct host *h = u;
	struct sf_profile_info *p = find(h, iccid);
	if (h->force != NO_FORCE)
		return done(h, h->force);
	if (p == NULL)
		return SF_ES10_NOT_FOUND;
	if (p->state != SF_PROFILE_DISABLED)
		return SF_ES10_WRONG_STATE;
	size_t i = (size_t)(p - h->prof);
	memmove(&h->prof[i], &h->prof[i + 1], (h->n_prof - i - 1) * sizeof(h->prof[0]));
	h->n_prof--;
	return done(h, SF_ES10_OK);
}
static int h_set_nickname(void *u, const char *iccid, const char *nick)
{
	struct host *h = u;
	struct sf_profile_info *p = find(h, iccid);
	CHECK(nick != NULL && strlen(nick) < sizeof(p->nickname));
	if (h->force != NO_FORCE)
		return done(h, h->force);
	if (p == NULL)
		return SF_ES10_NOT_FOUND;
	snprintf(p->nickname, sizeof(p->nickname), "%s", nick);
	return done(h, SF_ES10_OK);
}
static int h_memory_reset(void *u, unsigned options)
{
	struct host *h = u;
	CHECK(options < 8);
	return done(h, h->force != NO_FORCE ? h->force : SF_ES10_OK);
}
static int h_addresses(void *u, char *dp, size_t dp_cap, char *ds, size_t ds_cap)
{
	struct host *h = u;
	snprintf(dp, dp_cap, "%s", h->dp);
	snprintf(ds, ds_cap, "%s", h->ds);
	return 0;
}
static int h_set_default_dp(void *u, const char *address)
{
	struct host *h = u;
	CHECK(address != NULL && strlen(address) < sizeof(h->dp));
	if (h->force != NO_FORCE)
		return done(h, h->force);
	snprintf(h->dp, sizeof(h->dp), "%s", address);
	return done(h, SF_ES10_OK);
}
static size_t h_notification_count(void *u)
{
	return ((struct host *)u)->n_notif;
}
static int h_notification_get(void *u, size_t i, struct sf_notification *out)
{
	struct host *h = u;
	if (h->get_fail || i >= h->n_notif)
		return SF_EIO;
	*out = h->notif[i];
	return 0;
}
static int h_notification_remove(void *u, uint32_t seq)
{
	struct host *h = u;
	if (h->force != NO_FORCE)
		return done(h, h->force);
	for (size_t i = 0; i < h->n_notif; i++)
		if (h->notif[i].seq == seq) {
			memmove(&h->notif[i], &h->notif[i + 1],
				(h->n_notif - i - 1) * sizeof(h->notif[0]));
			h->n_notif--;
			return done(h, SF_ES10_OK);
		}
	return SF_ES10_NOTHING_TO_DELETE;
}
static int h_random(void *u, uint8_t *buf, size_t len)
{
	struct host *h = u;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(h->rnd + i);
	h->rnd++;
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
	unsigned flags;
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
	int rc = sf_isdr_process(&f->isdr, card, cmd, rsp);
	CHECK(rsp->len <= rsp->cap);
	return rc;
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

static uint8_t rsp[2 + SF_CARD_MAX_RESPONSE + 16];

static uint16_t tx(struct fix *f, const uint8_t *cmd, size_t len, size_t *rlen)
{
	CHECK(sf_card_transmit(&f->card, cmd, len, rsp, sizeof(rsp), rlen) == 0);
	CHECK(*rlen >= 2 && *rlen <= sizeof(rsp));
	uint8_t sw1 = rsp[*rlen - 2];
	CHECK(((sw1 & 0xF0) == 0x60 || (sw1 & 0xF0) == 0x90) && sw1 != 0x60);
	return (uint16_t)((sw1 << 8) | rsp[*rlen - 1]);
}

static int input_error(uint16_t sw)
{
	return sw == SF_SW_WRONG_DATA || sw == SF_SW_REF_DATA_NOT_FOUND ||
	       sw == SF_SW_INCORRECT_P1P2 || sw == SF_SW_NOT_ENOUGH_MEMORY ||
	       sw == SF_SW_WRONG_LENGTH || sw == SF_SW_CONDITIONS_NOT_SATISFIED;
}

/* One ES10 request as lpac sends it, then the checks on the outcome. */
static void es10(struct fix *f, unsigned ch, uint8_t gr_cla, const uint8_t *req, size_t len,
		 size_t bs)
{
	static uint8_t out[SF_CARD_MAX_RESPONSE + 512];
	uint8_t apdu[5 + 255];
	size_t off = 0, rlen = 0, olen = 0;
	unsigned block = 0;
	int changes0 = f->host.changes;
	uint16_t sw = 0;

	if (len == 0)
		return;
	do {
		size_t n = len - off < bs ? len - off : bs;
		int last = off + n == len;
		apdu[0] = (uint8_t)(0x80 | ch);
		apdu[1] = 0xE2;
		apdu[2] = last ? 0x91 : 0x11;
		apdu[3] = (uint8_t)block++;
		apdu[4] = (uint8_t)n;
		memcpy(apdu + 5, req + off, n);
		sw = tx(f, apdu, 5 + n, &rlen);
		off += n;
		if (!last && (rlen != 2 || sw != SF_SW_OK)) {
			if (input_error(sw))
				CHECK(f->host.changes == changes0);
			return;
		}
	} while (off < len);
	for (int i = 0; i < 64; i++) {
		CHECK(olen + rlen - 2 <= sizeof(out));
		memcpy(out + olen, rsp, rlen - 2);
		olen += rlen - 2;
		if ((sw & 0xFF00) != 0x6100)
			break;
		uint8_t gr[5] = {(uint8_t)(gr_cla | ch), 0xC0, 0x00, 0x00, (uint8_t)(sw & 0xFF)};
		sw = tx(f, gr, 5, &rlen);
	}
	if (sw == SF_SW_OK) {
		/* Reached the ISD-R as one strict DER TLV, and its answer is one
		 * TLV with the same tag. */
		const uint8_t *p = req, *v;
		size_t vl;
		uint32_t qtag, atag;
		CHECK(sf_der_get_tlv(&p, req + len, &qtag, &v, &vl) == 0 && p == req + len);
		p = out;
		CHECK(olen > 0);
		CHECK(sf_der_get_tlv(&p, out + olen, &atag, &v, &vl) == 0 && p == out + olen);
		CHECK(atag == qtag);
	} else if (input_error(sw)) {
		CHECK(f->host.changes == changes0);
	}
}

static void host_check(const struct host *h)
{
	int enabled = 0;
	CHECK(h->n_prof <= 3 && h->n_notif <= 3);
	for (size_t i = 0; i < h->n_prof; i++)
		enabled += h->prof[i].state == SF_PROFILE_ENABLED;
	CHECK(enabled <= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fix f;
	static const int forces[8] = {NO_FORCE, SF_ES10_OK,        SF_ES10_NOT_FOUND,
				      SF_ES10_WRONG_STATE, SF_ES10_DISALLOWED, SF_ES10_CAT_BUSY,
				      SF_ES10_UNDEFINED,  SF_EIO};
	static int once;
	const uint8_t *p = data, *end = data + size;

	if (!once) {
		sf_log_set_level(SF_LOG_ERROR);
		once = 1;
	}
	if (size < 1)
		return 0;
	uint8_t cfg = *p++;
	int flavour = (cfg & 0x20) ? 1 : (cfg & 0x40) ? 2 : 0;
	host_setup(&f.host, flavour);
	f.host.force = forces[(cfg >> 1) & 7];
	f.host.get_fail = (cfg >> 4) & 1;
	f.flags = (cfg & 1) ? SF_CARD_DIRECT : 0;
	CHECK(sf_isdr_init(&f.isdr, &host_ops, &f.host) == 0);
	CHECK(sf_card_init(&f.card, &app, &f, f.flags) == 0);
	CHECK(sf_card_reset(&f.card, SF_CARD_RESET_COLD) == 0);

	for (int step = 0; step < 48 && p < end; step++) {
		uint8_t op = *p++;
		size_t rlen;
		switch (op & 3) {
		case 0:
		case 1: {
			if (end - p < 2)
				goto out;
			size_t len = ((size_t)p[0] << 8) | p[1];
			p += 2;
			size_t bs = 255;
			if ((op & 3) == 1) {
				if (p >= end)
					goto out;
				bs = *p++ ? p[-1] : 255;
			}
			if (len > (size_t)(end - p))
				len = (size_t)(end - p);
			/* Exact-size heap copy: ASan sees any read past it. */
			uint8_t *buf = malloc(len ? len : 1);
			CHECK(buf != NULL);
			if (len)
				memcpy(buf, p, len);
			p += len;
			if ((op & 3) == 0)
				(void)tx(&f, buf, len, &rlen);
			else
				es10(&f, (op >> 2) & 3, (op & 0x10) ? 0x80 : 0x00, buf, len, bs);
			free(buf);
			break;
		}
		case 2:
			CHECK(sf_card_reset(&f.card, (op & 4) ? SF_CARD_RESET_WARM
			                                       : SF_CARD_RESET_COLD) == 0);
			CHECK(!f.isdr.assembling);
			break;
		case 3: {
			uint8_t open[5] = {0x00, 0x70, 0x00, 0x00, 0x01};
			uint8_t close[5] = {0x00, 0x70, 0x80, (uint8_t)((op >> 3) & 3), 0x00};
			if (op & 4)
				(void)tx(&f, close, 5, &rlen);
			else
				(void)tx(&f, open, 5, &rlen);
			break;
		}
		}
		host_check(&f.host);
	}
out:
	sf_card_free(&f.card);
	sf_isdr_reset(&f.isdr);
	return 0;
}
