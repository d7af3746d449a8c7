/* libFuzzer target for the device agent's parsers of untrusted input
 * (src/ipa: what a card answers to ES10, what an SM-DP+ sends as a bound
 * profile package, what a QR code holds).
 *
 * Input: one selector octet, then
 *   sel % 12 = 0..7, 11  an ES10 call (GetEID then GetEuiccConfiguredAddresses,
 *              GetProfilesInfo,
 *              ListNotification, RetrieveNotificationsList, GetEUICCChallenge,
 *              RemoveNotificationFromList, EnableProfile, open (MANAGE CHANNEL
 *              + SELECT), LoadBoundProfilePackage of a fixed package) against
 *              a card whose R-APDUs are the rest of the input: each a
 *              2-octet length (clamped to 2..258) and that many octets; 6F 00
 *              once they run out.  The STORE DATA block size is 1 + (sel >> 4)
 *              * 16 octets.
 *   sel % 12 = 8  sf_ipa_pir_parse of the rest;
 *   sel % 12 = 9  sf_ipa_bpp_split of the rest (exact-size heap copy);
 *   sel % 12 = 10 sf_ipa_ac_parse and sf_ipa_smdp_address_valid of the rest
 *              as a string.
 * Checks, besides ASan/UBSan: results stay within their buffers and the
 * counts the functions report are consistent.
 * Build: cmake -DSF_FUZZ=ON -DCMAKE_C_COMPILER=clang; run:
 *   fuzz_ipa -max_total_time=60 <copy of tests/fuzz/corpus_ipa> */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simfleet/err.h"
#include "simfleet/ipa.h"

struct script {
	const uint8_t *p, *end;
};

static int tx(struct sf_ipa_transport *t, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
              size_t *rlen)
{
	struct script *s = t->user;
	(void)cmd;
	if (len < 4)
		abort(); /* the client never sends less than a header */
	if (s->end - s->p < 2) {
		rsp[0] = 0x6F;
		rsp[1] = 0x00;
		*rlen = 2;
		return 0;
	}
	size_t n = ((size_t)s->p[0] << 8) | s->p[1];
	s->p += 2;
	if (n < 2)
		n = 2;
	if (n > 258)
		n = 258;
	if (n > (size_t)(s->end - s->p) || n > cap) {
		s->p = s->end;
		return SF_ETRANSPORT_IO;
	}
	memcpy(rsp, s->p, n);
	s->p += n;
	*rlen = n;
	return 0;
}

/* A small valid BF36 (BF23, A0 {87}, A1 {88}, A3 {86, 86}). */
static const uint8_t BPP[] = {0xBF, 0x36, 0x19, 0xBF, 0x23, 0x03, 0x82, 0x01, 0x01, 0xA0,
                              0x02, 0x87, 0x00, 0xA1, 0x03, 0x88, 0x01, 0x00, 0xA3, 0x08,
                              0x86, 0x02, 0x01, 0x02, 0x86, 0x02, 0x03, 0x04};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sf_ipa_es10 c;
	static uint8_t rsp[SF_IPA_RSP_MAX];
	struct sf_profile_info pi[4];
	struct sf_notification nl[4];
	struct sf_ipa_pir pir;
	struct sf_ipa_bpp_item items[8];
	size_t n = 0, rl = 0;
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	struct script s = {data + 1, data + size};
	struct sf_ipa_transport t = {.transmit = tx, .user = &s, .fd = -1};
	memset(&c, 0, sizeof(c));
	c.tr = &t;
	c.ch = 1;
	c.block = 1 + (size_t)(sel >> 4) * 16;
	int rc;
	switch (sel % 12) {
	case 0: {
		char eid[33], dp[256], ds[256];
		if (sf_ipa_get_eid(&c, eid) == 0 && strlen(eid) != 32)
			abort();
		if (sf_ipa_get_addresses(&c, dp, ds) == 0 && (strlen(dp) > 255 || strlen(ds) > 255))
			abort();
		break;
	}
	case 1:
		rc = sf_ipa_get_profiles(&c, pi, 4, &n);
		if (rc == 0 && n > 4)
			abort();
		for (size_t i = 0; rc == 0 && i < n; i++)
			if (strlen(pi[i].iccid) > 20 || pi[i].isdp_aid_len > 16)
				abort();
		break;
	case 2:
		rc = sf_ipa_list_notifications(&c, nl, 4, &n);
		if (rc == 0 && n > 4)
			abort();
		break;
	case 3:
		rc = sf_ipa_retrieve_notification(&c, 1, rsp, sizeof(rsp), &rl);
		if (rc == 0 && (rl == 0 || rl > sizeof(rsp)))
			abort();
		break;
	case 4: {
		uint8_t ch[16];
		(void)sf_ipa_get_challenge(&c, ch);
		break;
	}
	case 5:
		rc = sf_ipa_remove_notification(&c, 7);
		if (rc > 255)
			abort();
		break;
	case 6:
		rc = sf_ipa_enable(&c, "89000123456789012341", 1);
		if (rc > 255)
			abort();
		break;
	case 7: {
		static struct sf_ipa_es10 o;
		if (sf_ipa_es10_open(&o, &t, c.block) == 0 && (o.ch > 19 || o.tr != &t))
			abort();
		sf_ipa_es10_close(&o);
		break;
	}
	case 8: {
		uint8_t *b = malloc(size - 1 ? size - 1 : 1);
		memcpy(b, data + 1, size - 1);
		if (sf_ipa_pir_parse(b, size - 1, &pir) == 0 &&
		    (pir.tid_len > 16 || strlen(pir.iccid) > 20))
			abort();
		free(b);
		break;
	}
	case 9: {
		uint8_t *b = malloc(size - 1 ? size - 1 : 1);
		memcpy(b, data + 1, size - 1);
		rc = sf_ipa_bpp_split(b, size - 1, items, 8, &n);
		if (rc == 0) {
			size_t pos = 0;
			for (size_t i = 0; i < n; i++) {
				if (items[i].off != pos)
					abort(); /* items tile the package */
				pos += items[i].len;
			}
			if (pos != size - 1)
				abort();
		}
		free(b);
		break;
	}
	case 10: {
		char *str = malloc(size);
		memcpy(str, data + 1, size - 1);
		str[size - 1] = '\0';
		struct sf_ipa_ac ac;
		if (sf_ipa_ac_parse(str, &ac) == 0 && (!ac.smdp[0] || ac.cc_required > 1))
			abort();
		if (sf_ipa_smdp_address_valid(str) && (!str[0] || strlen(str) > 255))
			abort();
		free(str);
		break;
	}
	case 11:
		rc = sf_ipa_load_bpp(&c, BPP, sizeof(BPP), rsp, sizeof(rsp), &rl);
		if (rc == 0 && (rl < 2 || rsp[0] != 0xBF || rsp[1] != 0x37))
			abort();
		break;
	}
	return 0;
}
