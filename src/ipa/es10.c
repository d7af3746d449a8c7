/*
 * The ES10 client of the device agent: what an LPA/IPA sends to the ISD-R.
 *
 *   GSMA SGP.22 v2.5 §5.7       ES10a/b/c functions (ASN.1: RSPDefinitions v2.5)
 *   GSMA SGP.22 v2.5 §5.7.2     transport: STORE DATA, CLA 80|ch, INS E2,
 *                               P1 11 (more blocks) / 91 (last block), P2 block number
 *   GlobalPlatform Card Spec v2.3 §11.11  STORE DATA
 *   ETSI TS 102 221 §10.1.1, ISO/IEC 7816-4 §5.4.1  logical channels in CLA
 *   ISO/IEC 7816-3 §10.3.4 (T=0)  61xx: GET RESPONSE; 6Cxx: repeat with Le = xx
 *
 * The APDU sequence follows what real LPAs send (notes/lpa-compat.md §2):
 * MANAGE CHANNEL open, SELECT the ISD-R by AID on the new channel, ES10
 * requests in STORE DATA blocks of SF_IPA_BLOCK_DEFAULT (lpac's 120) octets,
 * responses fetched with GET RESPONSE, MANAGE CHANNEL close at the end.
 */
#include <stdio.h>
#include <string.h>

#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/ipa.h"
#include "simfleet/sha256.h"
#include "simfleet/util.h"

#define INS_STORE_DATA 0xE2u
#define INS_GET_RESPONSE 0xC0u
#define INS_MANAGE_CHANNEL 0x70u
#define INS_SELECT 0xA4u
#define P1_MORE 0x11u
#define P1_LAST 0x91u

/* CLA for a logical channel (ETSI TS 102 221 §10.1.1): channels 0..3 in
 * b1-b2 of the first interindustry class, 4..19 in b1-b4 of the further
 * class (b7 set).  proprietary sets b8 (GlobalPlatform's 80 class). */
static uint8_t cla(uint8_t ch, int proprietary)
{
	uint8_t c = ch < 4 ? ch : (uint8_t)(0x40u | (ch - 4u));
	return proprietary ? (uint8_t)(c | 0x80u) : c;
}

static int sw_success(uint16_t sw)
{
	/* 90 00, and 91 xx (normal ending, proactive command pending). */
	return sw == 0x9000u || (sw >> 8) == 0x91u;
}

/* One command with the T=0 conventions: 6Cxx repeats it with Le = xx, 61xx
 * fetches the rest with GET RESPONSE (repeatedly) and appends it.  The data
 * go to out[0..cap) (out may be NULL when cap is 0: any data is then an
 * overflow), the final status word to *sw. */
static int xchg(struct sf_ipa_es10 *c, const uint8_t *cmd, size_t len, uint8_t *out, size_t cap,
                size_t *olen, uint16_t *sw)
{
	uint8_t r[600], again[300];
	size_t n = 0, have = 0;
	int rc, repeated = 0;
	const uint8_t *cur = cmd;
	size_t cur_len = len;

	for (;;) {
		rc = c->tr->transmit(c->tr, cur, cur_len, r, sizeof(r), &n);
		if (rc)
			goto out;
		if (n < 2) {
			rc = SF_EIPA_RESPONSE;
			goto out;
		}
		uint8_t sw1 = r[n - 2], sw2 = r[n - 1];
		if (sw1 == 0x6Cu && !repeated && cur_len >= 4 && cur_len <= sizeof(again) - 2) {
			/* Wrong Le: the same command with Le = SW2 -- replacing the Le
			 * of a case 2 or case 4 command, appending one to a case 1 or
			 * case 3 command (short APDUs, ISO/IEC 7816-3 §12.1). */
			memmove(again, cur, cur_len);
			int has_le = cur_len == 5 || (cur_len > 5 && cur_len == 6u + cur[4]);
			size_t k = has_le ? cur_len : cur_len + 1;
			again[k - 1] = sw2;
			cur = again;
			cur_len = k;
			repeated = 1;
			continue;
		}
		if (n > 2 && !out) {
			rc = SF_EIPA_RESPONSE; /* data where the protocol has none */
			goto out;
		}
		if (n - 2 > cap - have) {
			rc = SF_EBUFSIZE;
			goto out;
		}
		if (n > 2)
			memcpy(out + have, r, n - 2);
		have += n - 2;
		if (sw1 == 0x61u) {
			again[0] = cla(c->ch, 0);
			again[1] = INS_GET_RESPONSE;
			again[2] = 0;
			again[3] = 0;
			again[4] = sw2;
			cur = again;
			cur_len = 5;
			repeated = 0;
			continue;
		}
		*sw = (uint16_t)((sw1 << 8) | sw2);
		c->last_sw = *sw;
		break;
	}
	*olen = have;
out:
	sf_wipe(r, sizeof(r));
	return rc;
}

int sf_ipa_es10_open(struct sf_ipa_es10 *c, struct sf_ipa_transport *tr, size_t block)
{
	uint8_t rsp[256];
	size_t n = 0;
	uint16_t sw = 0;
	int rc;
	if (!c || !tr || !tr->transmit || block > 255)
		return SF_EINVAL;
	memset(c, 0, sizeof(*c));
	c->tr = tr;
	c->block = block ? block : SF_IPA_BLOCK_DEFAULT;

	/* MANAGE CHANNEL open, the card assigns the number (P2 = 00, Le = 1). */
	static const uint8_t mc_open[] = {0x00, INS_MANAGE_CHANNEL, 0x00, 0x00, 0x01};
	rc = xchg(c, mc_open, sizeof(mc_open), rsp, sizeof(rsp), &n, &sw);
	if (rc)
		return rc;
	if (sw == 0x9000u && n == 1 && rsp[0] >= 1 && rsp[0] <= 19) {
		c->ch = rsp[0];
		c->opened = 1;
	} /* else: no logical channels (6881, 6D00...): the basic channel. */

	uint8_t sel[5 + SF_ISDR_AID_LEN + 1];
	sel[0] = cla(c->ch, 0);
	sel[1] = INS_SELECT;
	sel[2] = 0x04; /* by DF name (AID) */
	sel[3] = 0x00; /* first occurrence, return FCI */
	sel[4] = SF_ISDR_AID_LEN;
	memcpy(sel + 5, sf_isdr_aid, SF_ISDR_AID_LEN);
	sel[5 + SF_ISDR_AID_LEN] = 0x00;
	rc = xchg(c, sel, sizeof(sel), rsp, sizeof(rsp), &n, &sw);
	if (rc == 0 && !sw_success(sw))
		rc = SF_EIPA_SW;
	if (rc)
		sf_ipa_es10_close(c);
	return rc;
}

void sf_ipa_es10_close(struct sf_ipa_es10 *c)
{
	if (!c || !c->tr)
		return;
	if (c->opened && c->tr->transmit) {
		uint8_t cmd[4] = {0x00, INS_MANAGE_CHANNEL, 0x80, c->ch};
		uint8_t r[8];
		size_t n;
		(void)c->tr->transmit(c->tr, cmd, sizeof(cmd), r, sizeof(r), &n);
	}
	c->opened = 0;
	c->tr = NULL;
}

int sf_ipa_store_data_block(uint8_t ch, size_t block, const uint8_t *req, size_t len, size_t i,
                            uint8_t *apdu, size_t *apdu_len, size_t *nblocks)
{
	if (block == 0 || block > 255 || (!req && len) || !apdu || !apdu_len || ch > 19)
		return SF_EINVAL;
	size_t nb = len == 0 ? 1 : (len + block - 1) / block;
	if (nblocks)
		*nblocks = nb;
	if (nb > 256 || i >= nb)
		return SF_ERANGE;
	size_t off = i * block;
	size_t k = len - off < block ? len - off : block;
	apdu[0] = cla(ch, 1);
	apdu[1] = INS_STORE_DATA;
	apdu[2] = i + 1 == nb ? P1_LAST : P1_MORE;
	apdu[3] = (uint8_t)i;
	apdu[4] = (uint8_t)k;
	if (k)
		memcpy(apdu + 5, req + off, k);
	*apdu_len = 5 + k;
	return 0;
}

int sf_ipa_es10_transceive(struct sf_ipa_es10 *c, const uint8_t *req, size_t len, uint8_t *rsp,
                           size_t cap, size_t *rlen)
{
	uint8_t apdu[5 + 255];
	size_t alen, nb = 0, n = 0;
	uint16_t sw = 0;
	int rc;
	if (!c || !c->tr || !rlen)
		return SF_EINVAL;
	*rlen = 0;
	rc = sf_ipa_store_data_block(c->ch, c->block, req, len, 0, apdu, &alen, &nb);
	for (size_t i = 0; rc == 0 && i < nb; i++) {
		if (i > 0)
			rc = sf_ipa_store_data_block(c->ch, c->block, req, len, i, apdu, &alen,
			                             NULL);
		if (rc)
			break;
		int last = i + 1 == nb;
		rc = xchg(c, apdu, alen, last ? rsp : NULL, last ? cap : 0, &n, &sw);
		if (rc == 0 && !sw_success(sw))
			rc = SF_EIPA_SW;
		if (rc == 0 && last)
			*rlen = n;
	}
	sf_wipe(apdu, sizeof(apdu));
	return rc;
}

/* ---- helpers ---- */

/* The response must be exactly one element with tag; its content in v. */
static int one_tlv(const uint8_t *rsp, size_t n, uint32_t tag, const uint8_t **v, size_t *vlen)
{
	const uint8_t *p = rsp, *end = rsp + n;
	if (sf_der_expect(&p, end, tag, v, vlen) != 0 || p != end)
		return SF_EIPA_RESPONSE;
	return 0;
}

/* The responses that are a list or an error: tag { A0 { items } } or
 * tag { 81 error }.  v/vlen: the list's content.  SF_EIPA_REFUSED for the
 * error choice, SF_EIPA_RESPONSE for anything else. */
static int list_tlv(const uint8_t *rsp, size_t n, uint32_t tag, const uint8_t **v, size_t *vlen)
{
	const uint8_t *p, *end, *lv;
	size_t ll;
	uint32_t t;
	if (one_tlv(rsp, n, tag, &lv, &ll) != 0)
		return SF_EIPA_RESPONSE;
	p = lv;
	end = lv + ll;
	if (sf_der_peek_tag(p, end, &t) != 0)
		return SF_EIPA_RESPONSE;
	if (t == SF_DER_CTX(1))
		return SF_EIPA_REFUSED;
	if (sf_der_expect(&p, end, SF_DER_CTX_C(0), v, vlen) != 0)
		return SF_EIPA_RESPONSE;
	return 0;
}

/* Checks that buf is one complete DER element with tag. */
static int is_tlv(const uint8_t *buf, size_t n, uint32_t tag)
{
	const uint8_t *v;
	size_t vl;
	return buf && one_tlv(buf, n, tag, &v, &vl) == 0;
}

/* Request of one element with an empty content: e.g. BF2E 00. */
static int call_empty(struct sf_ipa_es10 *c, uint32_t tag, uint8_t *rsp, size_t cap, size_t *rlen)
{
	uint8_t req[4];
	size_t n;
	struct sf_der_writer w;
	sf_der_writer_init(&w, req, sizeof(req));
	sf_der_write_header(&w, tag, 0);
	int rc = sf_der_writer_finish(&w, &n);
	return rc ? rc : sf_ipa_es10_transceive(c, req, n, rsp, cap, rlen);
}

/* ICCID digits <-> the 10 octets of Iccid (sf_iccid_to_bcd), 18 to 20
 * digits here. */
static int iccid_to_bcd(const char *s, uint8_t out[10])
{
	size_t len = s ? strnlen(s, 21) : 0;
	return len >= 18 && len <= 20 ? sf_iccid_to_bcd(s, out) : SF_EINVAL;
}

static int iccid_from_bcd(const uint8_t *in, size_t len, char out[21])
{
	return len == 10 && sf_iccid_from_bcd(in, out) == 0 ? 0 : SF_EIPA_RESPONSE;
}

static void copy_str(char *dst, size_t cap, const uint8_t *v, size_t len)
{
	size_t k = len < cap - 1 ? len : cap - 1;
	for (size_t i = 0; i < k; i++)
		dst[i] = (v[i] >= 0x20 && v[i] != 0x7f) || v[i] >= 0x80 ? (char)v[i] : '?';
	dst[k] = '\0';
}

/* ---- ES10c.GetEID, ES10b.GetEUICCInfo1/2, GetEUICCChallenge ---- */

int sf_ipa_get_eid(struct sf_ipa_es10 *c, char eid[33])
{
	static const uint8_t req[] = {0xBF, 0x3E, 0x03, 0x5C, 0x01, 0x5A};
	uint8_t rsp[64];
	size_t n;
	const uint8_t *v, *e;
	size_t vl, el;
	int rc = sf_ipa_es10_transceive(c, req, sizeof(req), rsp, sizeof(rsp), &n);
	if (rc)
		return rc;
	if (one_tlv(rsp, n, 0xBF3E, &v, &vl) != 0)
		return SF_EIPA_RESPONSE;
	const uint8_t *p = v;
	if (sf_der_get_octets(&p, v + vl, 0x5A, &e, &el) != 0 || el != 16)
		return SF_EIPA_RESPONSE;
	for (size_t i = 0; i < 16; i++) {
		if ((e[i] >> 4) > 9 || (e[i] & 0xF) > 9)
			return SF_EIPA_RESPONSE; /* an EID is 32 decimal digits */
		eid[2 * i] = (char)('0' + (e[i] >> 4));
		eid[2 * i + 1] = (char)('0' + (e[i] & 0xF));
	}
	eid[32] = '\0';
	return 0;
}

int sf_ipa_get_info1(struct sf_ipa_es10 *c, uint8_t *rsp, size_t cap, size_t *rlen)
{
	int rc = call_empty(c, 0xBF20, rsp, cap, rlen);
	return rc ? rc : is_tlv(rsp, *rlen, 0xBF20) ? 0 : SF_EIPA_RESPONSE;
}

int sf_ipa_get_info2(struct sf_ipa_es10 *c, uint8_t *rsp, size_t cap, size_t *rlen)
{
	int rc = call_empty(c, 0xBF22, rsp, cap, rlen);
	return rc ? rc : is_tlv(rsp, *rlen, 0xBF22) ? 0 : SF_EIPA_RESPONSE;
}

int sf_ipa_get_challenge(struct sf_ipa_es10 *c, uint8_t challenge[16])
{
	uint8_t rsp[64];
	size_t n;
	const uint8_t *v, *ch;
	size_t vl, cl;
	int rc = call_empty(c, 0xBF2E, rsp, sizeof(rsp), &n);
	if (rc)
		return rc;
	const uint8_t *p;
	if (one_tlv(rsp, n, 0xBF2E, &v, &vl) != 0 || (p = v, 0) ||
	    sf_der_get_octets(&p, v + vl, SF_DER_CTX(0), &ch, &cl) != 0 || cl != 16)
		return SF_EIPA_RESPONSE;
	memcpy(challenge, ch, 16);
	return 0;
}

/* ---- ES10b.AuthenticateServer, PrepareDownload ---- */

static void write_version(struct sf_der_writer *w, uint32_t tag, const uint8_t v[3])
{
	if (v[0] || v[1] || v[2])
		sf_der_write_octets(w, tag, v, 3);
}

/* CtxParams1 ::= CHOICE { ctxParamsForCommonAuthentication [0] SEQUENCE {
 *   matchingId [0] UTF8String OPTIONAL, deviceInfo [1] DeviceInfo } }
 * DeviceInfo ::= SEQUENCE { tac [0] Octet4, deviceCapabilities [1]
 *   DeviceCapabilities, imei [2] Octet8 OPTIONAL }   (AUTOMATIC TAGS) */
static void write_ctx_params1(struct sf_der_writer *w, const char *matching_id,
                              const struct sf_ipa_device_info *d)
{
	size_t m = sf_der_writer_mark(w);
	size_t mdi = sf_der_writer_mark(w);
	if (d->have_imei)
		sf_der_write_octets(w, SF_DER_CTX(2), d->imei, 8);
	size_t mcap = sf_der_writer_mark(w);
	/* DeviceCapabilities, last component first: eutran5gc [10], nr5gc [9],
	 * nrEpc [8], eutranEpc [5], utran [1], gsm [0]. */
	write_version(w, SF_DER_CTX(10), d->eutran_5gc);
	write_version(w, SF_DER_CTX(9), d->nr_5gc);
	write_version(w, SF_DER_CTX(8), d->nr_epc);
	write_version(w, SF_DER_CTX(5), d->eutran_epc);
	write_version(w, SF_DER_CTX(1), d->utran);
	write_version(w, SF_DER_CTX(0), d->gsm);
	sf_der_write_wrap(w, mcap, SF_DER_CTX_C(1));
	sf_der_write_octets(w, SF_DER_CTX(0), d->tac, 4);
	sf_der_write_wrap(w, mdi, SF_DER_CTX_C(1));
	if (matching_id)
		sf_der_write_octets(w, SF_DER_CTX(0), (const uint8_t *)matching_id,
		                    strlen(matching_id));
	sf_der_write_wrap(w, m, SF_DER_CTX_C(0));
}

int sf_ipa_authenticate_server(struct sf_ipa_es10 *c, const uint8_t *signed1, size_t signed1_len,
                               const uint8_t *sig1, size_t sig1_len, const uint8_t *ci_pkid,
                               size_t ci_pkid_len, const uint8_t *cert, size_t cert_len,
                               const char *matching_id, const struct sf_ipa_device_info *dev,
                               uint8_t *rsp, size_t cap, size_t *rlen)
{
	uint8_t *req = c->scratch;
	struct sf_der_writer w;
	size_t n;
	if (!dev || !is_tlv(signed1, signed1_len, SF_DER_SEQUENCE) ||
	    !is_tlv(sig1, sig1_len, 0x5F37) || !is_tlv(ci_pkid, ci_pkid_len, SF_DER_OCTET_STRING) ||
	    !is_tlv(cert, cert_len, SF_DER_SEQUENCE) || (matching_id && strlen(matching_id) > 255))
		return SF_EINVAL;
	sf_der_writer_init(&w, req, sizeof(c->scratch));
	size_t m = sf_der_writer_mark(&w);
	write_ctx_params1(&w, matching_id, dev);
	sf_der_write_raw(&w, cert, cert_len);
	sf_der_write_raw(&w, ci_pkid, ci_pkid_len);
	sf_der_write_raw(&w, sig1, sig1_len);
	sf_der_write_raw(&w, signed1, signed1_len);
	sf_der_write_wrap(&w, m, 0xBF38);
	int rc = sf_der_writer_finish(&w, &n);
	if (rc == 0)
		rc = sf_ipa_es10_transceive(c, req, n, rsp, cap, rlen);
	if (rc == 0 && !is_tlv(rsp, *rlen, 0xBF38))
		rc = SF_EIPA_RESPONSE;
	return rc;
}

int sf_ipa_prepare_download(struct sf_ipa_es10 *c, const uint8_t *signed2, size_t signed2_len,
                            const uint8_t *sig2, size_t sig2_len, const uint8_t *hash_cc,
                            const uint8_t *cert, size_t cert_len, uint8_t *rsp, size_t cap,
                            size_t *rlen)
{
	uint8_t *req = c->scratch;
	struct sf_der_writer w;
	size_t n;
	if (!is_tlv(signed2, signed2_len, SF_DER_SEQUENCE) || !is_tlv(sig2, sig2_len, 0x5F37) ||
	    !is_tlv(cert, cert_len, SF_DER_SEQUENCE))
		return SF_EINVAL;
	/* PrepareDownloadRequest ::= [33] SEQUENCE { smdpSigned2, smdpSignature2
	 * [APPLICATION 55], hashCc Octet32 OPTIONAL, smdpCertificate } */
	sf_der_writer_init(&w, req, sizeof(c->scratch));
	size_t m = sf_der_writer_mark(&w);
	sf_der_write_raw(&w, cert, cert_len);
	if (hash_cc)
		sf_der_write_octets(&w, SF_DER_OCTET_STRING, hash_cc, 32);
	sf_der_write_raw(&w, sig2, sig2_len);
	sf_der_write_raw(&w, signed2, signed2_len);
	sf_der_write_wrap(&w, m, 0xBF21);
	int rc = sf_der_writer_finish(&w, &n);
	if (rc == 0)
		rc = sf_ipa_es10_transceive(c, req, n, rsp, cap, rlen);
	if (rc == 0 && !is_tlv(rsp, *rlen, 0xBF21))
		rc = SF_EIPA_RESPONSE;
	return rc;
}

void sf_ipa_hash_cc(const char *code, const uint8_t *tid, size_t tid_len, uint8_t out[32])
{
	uint8_t h[32];
	struct sf_sha256 s;
	sf_sha256(code, strlen(code), h);
	sf_sha256_init(&s);
	sf_sha256_update(&s, h, sizeof(h));
	sf_sha256_update(&s, tid, tid_len);
	sf_sha256_final(&s, out);
	sf_wipe(h, sizeof(h));
	sf_wipe(&s, sizeof(s));
}

/* ---- ES10b.LoadBoundProfilePackage ---- */

/* Items are handed to a callback as they are found; a non-zero return
 * stops the walk and is returned (> 0: stop without error). */
typedef int (*item_fn)(void *user, size_t off, size_t len);

/* Every child of a constructed value has tag (87 in A0/A2, 88 in A1, 86 in
 * A3), at least one of them; when fn is given, each is its own item. */
static int children(const uint8_t *bpp, const struct sf_der_tlv *t, uint32_t tag, item_fn fn,
                    void *user)
{
	struct sf_der_iter it;
	struct sf_der_tlv c;
	int rc, count = 0;
	sf_der_iter_init(&it, t->val, t->len);
	while ((rc = sf_der_iter_next(&it, &c)) > 0) {
		if (c.tag != tag)
			return SF_EIPA_BPP;
		count++;
	}
	if (rc < 0 || count == 0)
		return SF_EIPA_BPP;
	sf_der_iter_init(&it, t->val, t->len);
	while (fn && sf_der_iter_next(&it, &c) > 0)
		if ((rc = fn(user, (size_t)(c.raw - bpp), c.raw_len)) != 0)
			return rc;
	return 0;
}

/* The item walk of bpp-crypto.md §6 (lpac es10b.c, onomondo-ipa
 * bpp_segments.c).  The structure is checked completely before the first
 * item goes out, so a malformed package sends nothing. */
static int walk(const uint8_t *bpp, size_t len, item_fn fn, void *user)
{
	const uint8_t *p = bpp, *end = bpp + len, *v;
	size_t vl;
	struct sf_der_iter it;
	struct sf_der_tlv bf23, a0, a1, a3, t;
	struct sf_der_tlv a2 = {0, NULL, 0, NULL, 0};
	int rc, have_a2 = 0;
	if (!bpp)
		return SF_EINVAL;
	if (sf_der_expect(&p, end, 0xBF36, &v, &vl) != 0 || p != end)
		return SF_EIPA_BPP;
	sf_der_iter_init(&it, v, vl);
	if (sf_der_iter_next(&it, &bf23) <= 0 || bf23.tag != 0xBF23)
		return SF_EIPA_BPP;
	if (sf_der_iter_next(&it, &a0) <= 0 || a0.tag != SF_DER_CTX_C(0) ||
	    children(bpp, &a0, 0x87, NULL, NULL) != 0)
		return SF_EIPA_BPP;
	if (sf_der_iter_next(&it, &a1) <= 0 || a1.tag != SF_DER_CTX_C(1) ||
	    children(bpp, &a1, 0x88, NULL, NULL) != 0)
		return SF_EIPA_BPP;
	if (sf_der_iter_next(&it, &t) <= 0)
		return SF_EIPA_BPP;
	if (t.tag == SF_DER_CTX_C(2)) {
		a2 = t;
		have_a2 = 1;
		if (children(bpp, &a2, 0x87, NULL, NULL) != 0 || sf_der_iter_next(&it, &t) <= 0)
			return SF_EIPA_BPP;
	}
	a3 = t;
	if (a3.tag != SF_DER_CTX_C(3) || children(bpp, &a3, 0x86, NULL, NULL) != 0)
		return SF_EIPA_BPP;
	if (sf_der_iter_next(&it, &t) != 0)
		return SF_EIPA_BPP; /* anything after A3 */

	/* 1. "BF36 L" + BF23 */
	if ((rc = fn(user, 0, (size_t)(bf23.raw + bf23.raw_len - bpp))) != 0)
		return rc;
	/* 2. A0 whole */
	if ((rc = fn(user, (size_t)(a0.raw - bpp), a0.raw_len)) != 0)
		return rc;
	/* 3. "A1 L" alone, then each 88 */
	if ((rc = fn(user, (size_t)(a1.raw - bpp), (size_t)(a1.val - a1.raw))) != 0 ||
	    (rc = children(bpp, &a1, 0x88, fn, user)) != 0)
		return rc;
	/* 4. A2 whole, if present */
	if (have_a2 && (rc = fn(user, (size_t)(a2.raw - bpp), a2.raw_len)) != 0)
		return rc;
	/* 5. "A3 L" alone, then each 86 */
	if ((rc = fn(user, (size_t)(a3.raw - bpp), (size_t)(a3.val - a3.raw))) != 0)
		return rc;
	return children(bpp, &a3, 0x86, fn, user);
}

struct collect {
	struct sf_ipa_bpp_item *items;
	size_t max, n;
};

static int collect_item(void *user, size_t off, size_t len)
{
	struct collect *c = user;
	if (c->items && c->n < c->max) {
		c->items[c->n].off = off;
		c->items[c->n].len = len;
	}
	c->n++;
	return 0;
}

int sf_ipa_bpp_split(const uint8_t *bpp, size_t len, struct sf_ipa_bpp_item *items, size_t max,
                     size_t *n)
{
	struct collect c = {items, max, 0};
	if (!n)
		return SF_EINVAL;
	int rc = walk(bpp, len, collect_item, &c);
	*n = rc ? 0 : c.n;
	if (rc)
		return rc;
	return items && c.n > max ? SF_EBUFSIZE : 0;
}

struct load {
	struct sf_ipa_es10 *c;
	const uint8_t *bpp;
	uint8_t *rsp;
	size_t cap, *rlen;
};

static int send_item(void *user, size_t off, size_t len)
{
	struct load *l = user;
	int rc = sf_ipa_es10_transceive(l->c, l->bpp + off, len, l->rsp, l->cap, l->rlen);
	if (rc)
		return rc;
	return *l->rlen > 0 ? 1 : 0; /* data = the PIR: stop */
}

int sf_ipa_load_bpp(struct sf_ipa_es10 *c, const uint8_t *bpp, size_t len, uint8_t *rsp, size_t cap,
                    size_t *rlen)
{
	struct load l = {c, bpp, rsp, cap, rlen};
	if (!c || !rlen)
		return SF_EINVAL;
	*rlen = 0;
	int rc = walk(bpp, len, send_item, &l);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return SF_EIPA_RESPONSE; /* every item accepted and no result */
	return is_tlv(rsp, *rlen, 0xBF37) ? 0 : SF_EIPA_RESPONSE;
}

/* ProfileInstallationResult ::= [55] SEQUENCE {                        BF37
 *   profileInstallationResultData [39] ProfileInstallationResultData,   BF27
 *   euiccSignPIR EuiccSignPIR }                                         5F37
 * ProfileInstallationResultData: 80 tid, BF2F notificationMetadata,
 *   06 smdpOid, A2 finalResult { A0 {4F aid, 04 simaResponse} |
 *   A1 {80 bppCommandId, 81 errorReason, 82 simaResponse?} } */
static int parse_metadata(const uint8_t *v, size_t vl, struct sf_notification *out);

int sf_ipa_pir_parse(const uint8_t *pir, size_t len, struct sf_ipa_pir *out)
{
	const uint8_t *v, *d, *p, *end, *x;
	size_t vl, dl, xl;
	uint32_t tag;
	int rc = SF_EIPA_RESPONSE;
	if (!pir || !out)
		return SF_EINVAL;
	memset(out, 0, sizeof(*out));
	out->bpp_command_id = out->error_reason = -1;
	if (one_tlv(pir, len, 0xBF37, &v, &vl) != 0)
		return rc;
	p = v;
	end = v + vl;
	if (sf_der_expect(&p, end, 0xBF27, &d, &dl) != 0)
		return rc;
	p = d;
	end = d + dl;
	if (sf_der_get_octets(&p, end, SF_DER_CTX(0), &x, &xl) != 0 || xl < 1 || xl > 16)
		return rc;
	memcpy(out->tid, x, xl);
	out->tid_len = xl;
	if (sf_der_expect(&p, end, 0xBF2F, &x, &xl) != 0)
		return rc;
	struct sf_notification nm;
	if (parse_metadata(x, xl, &nm) != 0)
		return rc;
	out->seq = nm.seq;
	memcpy(out->iccid, nm.iccid, sizeof(out->iccid));
	/* smdpOid, then finalResult; tolerate a missing OID (older cards). */
	if (sf_der_peek_tag(p, end, &tag) == 0 && tag == SF_DER_OID && sf_der_skip(&p, end) != 0)
		return rc;
	if (sf_der_expect(&p, end, SF_DER_CTX_C(2), &x, &xl) != 0)
		return rc;
	const uint8_t *q = x, *qe = x + xl, *r;
	size_t rl;
	if (sf_der_get_tlv(&q, qe, &tag, &r, &rl) != 0)
		return rc;
	if (tag == SF_DER_CTX_C(0)) {
		out->ok = 1;
		return 0;
	}
	if (tag != SF_DER_CTX_C(1))
		return rc;
	int64_t cmd, reason;
	const uint8_t *s = r;
	if (sf_der_get_int64(&s, r + rl, SF_DER_CTX(0), &cmd) != 0 ||
	    sf_der_get_int64(&s, r + rl, SF_DER_CTX(1), &reason) != 0 || cmd < 0 || cmd > 255 ||
	    reason < 0 || reason > 255)
		return rc;
	out->bpp_command_id = (int)cmd;
	out->error_reason = (int)reason;
	return 0;
}

/* ---- ES10b.CancelSession ---- */

int sf_ipa_cancel_session(struct sf_ipa_es10 *c, const uint8_t *tid, size_t tid_len, int reason,
                          uint8_t *rsp, size_t cap, size_t *rlen)
{
	uint8_t req[48];
	struct sf_der_writer w;
	size_t n;
	if (!tid || tid_len < 1 || tid_len > 16 || reason < 0 || reason > 127)
		return SF_EINVAL;
	/* CancelSessionRequest ::= [65] SEQUENCE { transactionId [0],
	 *   reason [1] CancelSessionReason } */
	sf_der_writer_init(&w, req, sizeof(req));
	size_t m = sf_der_writer_mark(&w);
	sf_der_write_int64(&w, SF_DER_CTX(1), reason);
	sf_der_write_octets(&w, SF_DER_CTX(0), tid, tid_len);
	sf_der_write_wrap(&w, m, 0xBF41);
	int rc = sf_der_writer_finish(&w, &n);
	if (rc == 0)
		rc = sf_ipa_es10_transceive(c, req, n, rsp, cap, rlen);
	if (rc == 0 && !is_tlv(rsp, *rlen, 0xBF41))
		rc = SF_EIPA_RESPONSE;
	return rc;
}

/* ---- notifications ---- */

/* NotificationMetadata content: 80 seqNumber, 81 event (one bit), 0C
 * address, 5A iccid?, extensions skipped. */
static int parse_metadata(const uint8_t *v, size_t vl, struct sf_notification *out)
{
	const uint8_t *p = v, *end = v + vl, *x;
	size_t xl;
	uint64_t seq;
	uint32_t ev;
	int present;
	memset(out, 0, sizeof(*out));
	if (sf_der_get_uint64(&p, end, SF_DER_CTX(0), &seq) != 0 || seq > UINT32_MAX ||
	    sf_der_get_named_bits(&p, end, SF_DER_CTX(1), &ev) != 0 ||
	    sf_der_get_octets(&p, end, SF_DER_UTF8_STRING, &x, &xl) != 0)
		return SF_EIPA_RESPONSE;
	out->seq = (uint32_t)seq;
	out->event = 0xFF;
	for (uint8_t b = 0; b < 32; b++)
		if (ev == (1u << b))
			out->event = b;
	copy_str(out->address, sizeof(out->address), x, xl);
	if (sf_der_get_optional(&p, end, 0x5A, &x, &xl, &present) != 0)
		return SF_EIPA_RESPONSE;
	if (present && iccid_from_bcd(x, xl, out->iccid) != 0)
		return SF_EIPA_RESPONSE;
	return 0;
}

int sf_ipa_list_notifications(struct sf_ipa_es10 *c, struct sf_notification *list, size_t max,
                              size_t *n)
{
	uint8_t *rsp = c->scratch;
	size_t rl;
	const uint8_t *v;
	size_t vl;
	*n = 0;
	int rc = call_empty(c, 0xBF28, rsp, sizeof(c->scratch), &rl);
	if (rc)
		return rc;
	/* error choice: listNotificationsResultError */
	if ((rc = list_tlv(rsp, rl, 0xBF28, &v, &vl)) != 0)
		return rc;
	struct sf_der_iter it;
	struct sf_der_tlv t;
	sf_der_iter_init(&it, v, vl);
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		struct sf_notification nm;
		if (t.tag != 0xBF2F || parse_metadata(t.val, t.len, &nm) != 0)
			return SF_EIPA_RESPONSE;
		if (list && *n < max)
			list[*n] = nm;
		(*n)++;
	}
	if (rc < 0)
		return SF_EIPA_RESPONSE;
	return *n > max ? SF_EBUFSIZE : 0;
}

int sf_ipa_retrieve_notification(struct sf_ipa_es10 *c, uint32_t seq, uint8_t *rsp, size_t cap,
                                 size_t *rlen)
{
	uint8_t req[24];
	uint8_t *buf = c->scratch;
	struct sf_der_writer w;
	size_t n, bl;
	const uint8_t *v;
	size_t vl;
	/* RetrieveNotificationsListRequest ::= [43] SEQUENCE { searchCriteria
	 *   [0] CHOICE { seqNumber [0] INTEGER, ... } OPTIONAL } */
	sf_der_writer_init(&w, req, sizeof(req));
	size_t m = sf_der_writer_mark(&w);
	sf_der_write_int64(&w, SF_DER_CTX(0), seq);
	sf_der_write_wrap(&w, m, SF_DER_CTX_C(0));
	sf_der_write_wrap(&w, m, 0xBF2B);
	int rc = sf_der_writer_finish(&w, &n);
	if (rc == 0)
		rc = sf_ipa_es10_transceive(c, req, n, buf, sizeof(c->scratch), &bl);
	if (rc)
		return rc;
	/* error choice: notificationsListResultError */
	if ((rc = list_tlv(buf, bl, 0xBF2B, &v, &vl)) != 0)
		return rc;
	struct sf_der_iter it;
	struct sf_der_tlv t;
	sf_der_iter_init(&it, v, vl);
	rc = sf_der_iter_next(&it, &t);
	if (rc == 0)
		return SF_ENOENT;
	if (rc < 0 || (t.tag != 0xBF37 && t.tag != SF_DER_SEQUENCE))
		return SF_EIPA_RESPONSE;
	if (t.raw_len > cap)
		return SF_EBUFSIZE;
	memcpy(rsp, t.raw, t.raw_len);
	*rlen = t.raw_len;
	return 0;
}

/* A response { 80 INTEGER } inside fn_tag: the result code. */
static int result_code(const uint8_t *rsp, size_t n, uint32_t fn_tag)
{
	const uint8_t *v, *p;
	size_t vl;
	int64_t r;
	if (one_tlv(rsp, n, fn_tag, &v, &vl) != 0)
		return SF_EIPA_RESPONSE;
	p = v;
	if (sf_der_get_int64(&p, v + vl, SF_DER_CTX(0), &r) != 0 || r < 0 || r > 255)
		return SF_EIPA_RESPONSE;
	return (int)r;
}

int sf_ipa_remove_notification(struct sf_ipa_es10 *c, uint32_t seq)
{
	uint8_t req[16], rsp[32];
	struct sf_der_writer w;
	size_t n, rl;
	sf_der_writer_init(&w, req, sizeof(req));
	size_t m = sf_der_writer_mark(&w);
	sf_der_write_int64(&w, SF_DER_CTX(0), seq);
	sf_der_write_wrap(&w, m, 0xBF30);
	int rc = sf_der_writer_finish(&w, &n);
	if (rc == 0)
		rc = sf_ipa_es10_transceive(c, req, n, rsp, sizeof(rsp), &rl);
	return rc ? rc : result_code(rsp, rl, 0xBF30);
}

/* ---- ES10c: profiles ---- */

static int parse_profile(const uint8_t *v, size_t vl, struct sf_profile_info *pi)
{
	struct sf_der_iter it;
	struct sf_der_tlv t;
	int rc;
	memset(pi, 0, sizeof(*pi));
	sf_der_iter_init(&it, v, vl);
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		switch (t.tag) {
		case 0x5A:
			if (iccid_from_bcd(t.val, t.len, pi->iccid) != 0)
				return SF_EIPA_RESPONSE;
			break;
		case 0x4F:
			if (t.len > sizeof(pi->isdp_aid))
				return SF_EIPA_RESPONSE;
			memcpy(pi->isdp_aid, t.val, t.len);
			pi->isdp_aid_len = (uint8_t)t.len;
			break;
		case 0x9F70:
			if (t.len != 1)
				return SF_EIPA_RESPONSE;
			pi->state = t.val[0];
			break;
		case 0x90:
			copy_str(pi->nickname, sizeof(pi->nickname), t.val, t.len);
			break;
		case 0x91:
			copy_str(pi->spn, sizeof(pi->spn), t.val, t.len);
			break;
		case 0x92:
			copy_str(pi->name, sizeof(pi->name), t.val, t.len);
			break;
		case 0x95:
			if (t.len != 1)
				return SF_EIPA_RESPONSE;
			pi->pclass = t.val[0];
			break;
		default:
			break; /* icon, owner, PPRs, extensions */
		}
	}
	return rc < 0 ? SF_EIPA_RESPONSE : 0;
}

int sf_ipa_get_profiles(struct sf_ipa_es10 *c, struct sf_profile_info *list, size_t max, size_t *n)
{
	/* ProfileInfoListRequest with a tagList of the fields the agent shows:
	 * iccid, isdpAid, profileState, nickname, SPN, name, class. */
	static const uint8_t req[] = {0xBF, 0x2D, 0x0A, 0x5C, 0x08, 0x5A, 0x4F,
	                              0x9F, 0x70, 0x90, 0x91, 0x92, 0x95};
	uint8_t *rsp = c->scratch;
	size_t rl, vl;
	const uint8_t *v;
	*n = 0;
	int rc = sf_ipa_es10_transceive(c, req, sizeof(req), rsp, sizeof(c->scratch), &rl);
	if (rc)
		return rc;
	/* error choice: profileInfoListError */
	if ((rc = list_tlv(rsp, rl, 0xBF2D, &v, &vl)) != 0)
		return rc;
	struct sf_der_iter it;
	struct sf_der_tlv t;
	sf_der_iter_init(&it, v, vl);
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		struct sf_profile_info pi;
		if (t.tag != 0xE3 || parse_profile(t.val, t.len, &pi) != 0)
			return SF_EIPA_RESPONSE;
		if (list && *n < max)
			list[*n] = pi;
		(*n)++;
	}
	if (rc < 0)
		return SF_EIPA_RESPONSE;
	return *n > max ? SF_EBUFSIZE : 0;
}

/* EnableProfileRequest ::= [49] SEQUENCE { profileIdentifier CHOICE {
 *   isdpAid [APPLICATION 15], iccid Iccid } (in [0]: A0), refreshFlag
 *   BOOLEAN ([1]: 81) }; DisableProfileRequest [50] the same;
 * DeleteProfileRequest ::= [51] CHOICE { isdpAid, iccid }. */
static int profile_op(struct sf_ipa_es10 *c, uint32_t fn_tag, const char *iccid, int refresh)
{
	uint8_t bcd[10], req[32], rsp[32];
	struct sf_der_writer w;
	size_t n, rl;
	if (iccid_to_bcd(iccid, bcd) != 0)
		return SF_EINVAL;
	sf_der_writer_init(&w, req, sizeof(req));
	size_t m = sf_der_writer_mark(&w);
	if (fn_tag == 0xBF33) {
		sf_der_write_octets(&w, 0x5A, bcd, 10);
	} else {
		sf_der_write_bool(&w, SF_DER_CTX(1), refresh);
		size_t mi = sf_der_writer_mark(&w);
		sf_der_write_octets(&w, 0x5A, bcd, 10);
		sf_der_write_wrap(&w, mi, SF_DER_CTX_C(0));
	}
	sf_der_write_wrap(&w, m, fn_tag);
	int rc = sf_der_writer_finish(&w, &n);
	if (rc == 0)
		rc = sf_ipa_es10_transceive(c, req, n, rsp, sizeof(rsp), &rl);
	return rc ? rc : result_code(rsp, rl, fn_tag);
}

int sf_ipa_enable(struct sf_ipa_es10 *c, const char *iccid, int refresh)
{
	return profile_op(c, 0xBF31, iccid, refresh);
}

int sf_ipa_disable(struct sf_ipa_es10 *c, const char *iccid, int refresh)
{
	return profile_op(c, 0xBF32, iccid, refresh);
}

int sf_ipa_delete(struct sf_ipa_es10 *c, const char *iccid)
{
	return profile_op(c, 0xBF33, iccid, 0);
}

const char *sf_ipa_result_name(uint32_t fn_tag, int result)
{
	switch (result) {
	case 0:
		return "ok";
	case 1:
		return "iccidOrAidNotFound";
	case 2:
		return fn_tag == 0xBF32 ? "profileNotInEnabledState" : "profileNotInDisabledState";
	case 3:
		return "disallowedByPolicy";
	case 4:
		return fn_tag == 0xBF31 ? "wrongProfileReenabling" : "unknown";
	case 5:
		return "catBusy";
	case 127:
		return "undefinedError";
	default:
		return "unknown";
	}
}

/* ---- ES10a: the configured addresses (SGP.22 §5.7.3, §5.7.4) ---- */

/* EuiccConfiguredAddressesResponse ::= [60] SEQUENCE {
 *   defaultDpAddress UTF8String OPTIONAL,   -> 80
 *   rootDsAddress UTF8String }              -> 81
 * Both are what the eUICC says: checked to be UTF-8 of at most 255 octets
 * (an FQDN's limit) without control characters; whether one is a usable
 * host name is the caller's business (sf_ipa_smdp_address_valid). */
int sf_ipa_get_addresses(struct sf_ipa_es10 *c, char default_dp[256], char root_ds[256])
{
	uint8_t rsp[600];
	size_t n, vl, dl, rl;
	const uint8_t *v, *d, *r;
	int present = 0;
	if (!c || !default_dp || !root_ds)
		return SF_EINVAL;
	default_dp[0] = root_ds[0] = '\0';
	int rc = call_empty(c, 0xBF3C, rsp, sizeof(rsp), &n);
	if (rc)
		return rc;
	if (one_tlv(rsp, n, 0xBF3C, &v, &vl) != 0)
		return SF_EIPA_RESPONSE;
	const uint8_t *p = v, *end = v + vl;
	if (sf_der_get_optional(&p, end, SF_DER_CTX(0), &d, &dl, &present) != 0 ||
	    (present && (dl > 255 || sf_der_check_string(SF_DER_UTF8_STRING, d, dl) != 0)) ||
	    sf_der_get_string(&p, end, SF_DER_CTX(1), SF_DER_UTF8_STRING, &r, &rl) != 0 || rl > 255)
		return SF_EIPA_RESPONSE;
	for (size_t i = 0; present && i < dl; i++)
		if (d[i] < 0x20 || d[i] == 0x7f)
			return SF_EIPA_RESPONSE;
	for (size_t i = 0; i < rl; i++)
		if (r[i] < 0x20 || r[i] == 0x7f)
			return SF_EIPA_RESPONSE;
	/* extensions after rootDsAddress are skipped (EXTENSIBILITY IMPLIED) */
	if (present)
		memcpy(default_dp, d, dl);
	default_dp[present ? dl : 0] = '\0';
	memcpy(root_ds, r, rl);
	root_ds[rl] = '\0';
	return 0;
}

/* SetDefaultDpAddressRequest ::= [63] SEQUENCE { defaultDpAddress UTF8String }
 * SetDefaultDpAddressResponse ::= [63] SEQUENCE { setDefaultDpAddressResult
 *   INTEGER { ok(0), undefinedError(127) } } */
int sf_ipa_set_default_dp(struct sf_ipa_es10 *c, const char *address)
{
	uint8_t req[300], rsp[32];
	struct sf_der_writer w;
	size_t n, rl, len = address ? strlen(address) : 0;
	if (!c || !address || len > 255 ||
	    sf_der_check_string(SF_DER_UTF8_STRING, (const uint8_t *)address, len) != 0)
		return SF_EINVAL;
	sf_der_writer_init(&w, req, sizeof(req));
	size_t m = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, SF_DER_CTX(0), (const uint8_t *)address, len);
	sf_der_write_wrap(&w, m, 0xBF3F);
	int rc = sf_der_writer_finish(&w, &n);
	if (rc == 0)
		rc = sf_ipa_es10_transceive(c, req, n, rsp, sizeof(rsp), &rl);
	return rc ? rc : result_code(rsp, rl, 0xBF3F);
}
