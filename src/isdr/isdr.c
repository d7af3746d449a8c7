/*
 * The ISD-R: STORE DATA transport of ES10 and dispatch on the request's tag.
 *
 *   GSMA SGP.22 v2.5 §5.7.1   ES10 overview: ISD-R AID, one outer tag per function
 *   GSMA SGP.22 v2.5 §5.7.2   transport of ES10 over STORE DATA: CLA 80|ch, P1
 *                             11 (more blocks) / 91 (last block), P2 block number
 *   GlobalPlatform Card Specification v2.3 §11.11   STORE DATA: P1 b8 last block,
 *                             P2 block number from 00, incremented by one
 *   ISO/IEC 7816-4 §5.1, §5.6 command/response pairs, status words
 *
 * The ES10 functions themselves are in es10a.c (§5.7.3-5.7.4), es10b.c
 * (§5.7.5-5.7.14, §5.7.22) and es10c.c (§5.7.15-5.7.21); their ASN.1 is
 * RSPDefinitions v2.5 (../shared/gsma/asn1/RSPDefinitions-v2.5.asn).
 *
 * No heap: the request is reassembled in struct sf_isdr, the response written
 * straight into the card's response buffer, which the card layer returns
 * directly or through 61xx / GET RESPONSE.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "isdr_internal.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/isdr.h"
#include "simfleet/log.h"
#include "simfleet/util.h"

const uint8_t sf_isdr_aid[SF_ISDR_AID_LEN] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                              0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00};

#define INS_STORE_DATA 0xE2u
#define P1_MORE_BLOCKS 0x11u
#define P1_LAST_BLOCK 0x91u

/* ---- dispatch table ---- */

struct es10_function {
	uint32_t tag;
	sf__isdr_fn fn; /* NULL: known, not implemented yet (answered 6A 88) */
};

static const struct es10_function functions[] = {
    /* ES10a */
    {0xBF3C, sf__isdr_get_addresses},
    {0xBF3F, sf__isdr_set_default_dp},
    /* ES10b */
    {0xBF20, sf__isdr_get_info1},
    {0xBF22, sf__isdr_get_info2},
    {0xBF2E, sf__isdr_get_challenge},
    {0xBF28, sf__isdr_list_notification},
    {0xBF2B, sf__isdr_retrieve_notifications},
    {0xBF30, sf__isdr_remove_notification},
    {0xBF43, sf__isdr_get_rat},
    /* The download and its session need the RSP security work (eUICC and
     * EUM certificates, ECDSA signatures, ECKA, SCP03t): AuthenticateServer,
     * PrepareDownload, LoadBoundProfilePackage, CancelSession, and LoadCRL.
     * Until then they are answered as an unknown function, 6A 88. */
    {0xBF38, NULL},
    {0xBF21, NULL},
    {0xBF36, NULL},
    {0xBF41, NULL},
    {0xBF35, NULL},
    /* ES10c */
    {0xBF2D, sf__isdr_get_profiles_info},
    {0xBF31, sf__isdr_enable_profile},
    {0xBF32, sf__isdr_disable_profile},
    {0xBF33, sf__isdr_delete_profile},
    {0xBF34, sf__isdr_memory_reset},
    {0xBF3E, sf__isdr_get_eid},
    {0xBF29, sf__isdr_set_nickname},
};

/* ---- life cycle ---- */

int sf_isdr_init(struct sf_isdr *isdr, const struct sf_isdr_host_ops *ops, void *user)
{
	if (isdr == NULL || ops == NULL)
		return SF_EINVAL;
	memset(isdr, 0, sizeof(*isdr));
	isdr->ops = ops;
	isdr->user = user;
	return 0;
}

/* Ends the STORE DATA sequence (after each request). */
static void drop_request(struct sf_isdr *isdr)
{
	/* The request may hold profile data (nicknames, bound profile package
	 * segments): wipe what was used. */
	sf_wipe(isdr->buf, isdr->len <= sizeof(isdr->buf) ? isdr->len : sizeof(isdr->buf));
	isdr->len = 0;
	isdr->assembling = 0;
	isdr->next_block = 0;
	isdr->chan = 0;
}

void sf_isdr_reset(struct sf_isdr *isdr)
{
	if (isdr == NULL)
		return;
	drop_request(isdr);
	isdr->bpp_active = 0;
}

/* ---- dispatch ---- */

/* LoadBoundProfilePackage (SGP.22 §5.7.6) is the one ES10 function that
 * spans several STORE DATA sequences, and its items are not complete TLVs:
 * the first is "BF36 L" followed by the BF23 only, later ones "A1 L" or
 * "A3 L" alone, or one 88/86 segment.  With RSP credentials (ops->rsp), a
 * sequence starting with BF36 begins a load and, while it lasts, sequences
 * starting with A0..A3, 86 or 88 continue it. */
static int is_bpp_item(const struct sf_isdr *isdr, uint32_t tag)
{
	if (isdr->ops->rsp == NULL)
		return 0;
	if (tag == 0xBF36)
		return 1;
	return isdr->bpp_active && (tag == 0xA0 || tag == 0xA1 || tag == 0xA2 || tag == 0xA3 ||
	                            tag == 0x86 || tag == 0x88);
}

/* Hands one item to the host's loader: 90 00 without data while it wants
 * more, the ProfileInstallationResult (BF37) at the end or on a refusal. */
static int load_bpp_item(struct sf_isdr *isdr, struct sf_rapdu *rsp)
{
	size_t n = 0;
	int rc = isdr->ops->rsp(isdr->user, 0xBF36, isdr->buf, isdr->len, rsp->data, rsp->cap, &n);

	isdr->bpp_active = rc == 1;
	if (rc == 1 || rc == 0) {
		rsp->len = rc == 0 ? n : 0;
		rsp->sw = SF_SW_OK;
		return 0;
	}
	rsp->len = 0;
	if (rc == SF_ERSP_FORMAT) {
		sf_log(SF_LOG_INFO, "isdr", "LoadBoundProfilePackage item malformed: 6A 80");
		rsp->sw = SF_SW_WRONG_DATA;
		return 0;
	}
	if (rc == SF_ENOTSUP) {
		rsp->sw = SF_SW_REF_DATA_NOT_FOUND;
		return 0;
	}
	if (rc == SF_ERSP_NO_SESSION) {
		/* No download prepared (or the load already ended): not now. */
		sf_log(SF_LOG_INFO, "isdr", "LoadBoundProfilePackage without a prepared download: "
		                            "69 85");
		rsp->sw = SF_SW_CONDITIONS_NOT_SATISFIED;
		return 0;
	}
	sf_log(SF_LOG_WARN, "isdr", "LoadBoundProfilePackage failed: %s", sf_strerror(rc));
	return rc;
}

/* The RSP functions the host runs (ops->rsp): the whole request TLV in,
 * the whole response TLV out.  SF_ENOTSUP falls back to fn (the ISD-R's own
 * answer), or to 6A 88 when there is none. */
static int rsp_function(struct sf_isdr *isdr, uint32_t tag, struct sf_rapdu *rsp, int *handled)
{
	size_t n = 0;
	int rc;

	*handled = 0;
	if (isdr->ops->rsp == NULL ||
	    (tag != 0xBF2E && tag != 0xBF38 && tag != 0xBF21 && tag != 0xBF41))
		return 0;
	rc = isdr->ops->rsp(isdr->user, tag, isdr->buf, isdr->len, rsp->data, rsp->cap, &n);
	if (rc == SF_ENOTSUP)
		return 0;
	*handled = 1;
	rsp->len = 0;
	if (rc == 0) {
		rsp->len = n;
		rsp->sw = SF_SW_OK;
		return 0;
	}
	if (rc == SF_ERSP_FORMAT) {
		sf_log(SF_LOG_INFO, "isdr", "ES10 request %X malformed: 6A 80", (unsigned)tag);
		rsp->sw = SF_SW_WRONG_DATA;
		return 0;
	}
	sf_log(SF_LOG_WARN, "isdr", "ES10 function %X failed: %s", (unsigned)tag, sf_strerror(rc));
	return rc;
}

/* Runs the reassembled request isdr->buf[0..len) and sets rsp. */
static int dispatch(struct sf_isdr *isdr, struct sf_rapdu *rsp)
{
	const uint8_t *p = isdr->buf, *end = isdr->buf + isdr->len, *val;
	size_t vlen, n;
	uint32_t tag;
	const struct es10_function *f = NULL;
	struct sf_der_writer w;
	int rc;

	if (sf_der_peek_tag(p, end, &tag) == 0 && is_bpp_item(isdr, tag))
		return load_bpp_item(isdr, rsp);
	/* Exactly one outer TLV, strict DER, nothing after it. */
	if (sf_der_get_tlv(&p, end, &tag, &val, &vlen) != 0 || sf_der_check_end(p, end) != 0) {
		rsp->sw = SF_SW_WRONG_DATA;
		return 0;
	}
	int handled;
	rc = rsp_function(isdr, tag, rsp, &handled);
	if (handled || rc != 0)
		return rc;
	for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++)
		if (functions[i].tag == tag)
			f = &functions[i];
	if (f == NULL || f->fn == NULL) {
		/* An ES10 function this eUICC does not know (or not yet): there is
		 * no DER response for an unknown request type, so a status word. */
		sf_log(SF_LOG_INFO, "isdr", "ES10 request with tag %X not supported: 6A 88",
		       (unsigned)tag);
		rsp->sw = SF_SW_REF_DATA_NOT_FOUND;
		return 0;
	}

	sf_der_writer_init(&w, rsp->data, rsp->cap);
	rc = f->fn(isdr, val, vlen, &w);
	if (rc == SF_EES10_REQUEST) {
		sf_log(SF_LOG_INFO, "isdr", "ES10 request %X malformed: 6A 80", (unsigned)tag);
		rsp->sw = SF_SW_WRONG_DATA;
		return 0;
	}
	if (rc == 0)
		rc = sf_der_writer_finish(&w, &n);
	if (rc == SF_EDER_CHARSET)
		rc = SF_EES10_HOST; /* a host string that is not UTF-8 */
	if (rc != 0) {
		sf_log(SF_LOG_WARN, "isdr", "ES10 function %X failed: %s", (unsigned)tag,
		       sf_strerror(rc));
		rsp->len = 0;
		return rc;
	}
	rsp->len = n;
	rsp->sw = SF_SW_OK;
	return 0;
}

/* ---- STORE DATA ---- */

/* An error status word for a STORE DATA: it also ends any sequence in
 * progress, since the LPA cannot resume a sequence it saw fail (GP §11.11). */
static int store_data_error(struct sf_isdr *isdr, struct sf_rapdu *rsp, uint16_t sw)
{
	sf_isdr_reset(isdr);
	rsp->len = 0;
	rsp->sw = sw;
	return 0;
}

int sf_isdr_process(struct sf_isdr *isdr, struct sf_card *card, const struct sf_apdu *cmd,
                    struct sf_rapdu *rsp)
{
	(void)card;
	if (isdr == NULL || cmd == NULL || rsp == NULL || isdr->ops == NULL)
		return SF_EINVAL;
	rsp->len = 0;

	if (cmd->ins != INS_STORE_DATA) {
		/* SELECT is the eUICC router's, GET RESPONSE and MANAGE CHANNEL
		 * the card layer's: nothing else is defined on the ISD-R. */
		rsp->sw = SF_SW_INS_NOT_SUPPORTED;
		return 0;
	}
	if ((cmd->cla & 0x80) == 0) {
		/* STORE DATA is a GlobalPlatform command of the proprietary class
		 * 8X (SGP.22 §5.7.2: 80|ch).  0X E2 is ISO/IEC 7816-4 APPEND
		 * RECORD, which the ISD-R does not have: class not supported, as
		 * GlobalPlatform security domains answer.  It is not a STORE DATA,
		 * so a sequence in progress is kept. */
		rsp->sw = SF_SW_CLA_NOT_SUPPORTED;
		return 0;
	}
	if (cmd->p1 != P1_MORE_BLOCKS && cmd->p1 != P1_LAST_BLOCK)
		return store_data_error(isdr, rsp, SF_SW_INCORRECT_P1P2);
	if (cmd->nc < 1 || cmd->nc > 255)
		return store_data_error(isdr, rsp, SF_SW_WRONG_LENGTH);

	/*
	 * Block numbering (GP §11.11.2.2): P2 is 00 in the first block and goes
	 * up by one in each following block of the sequence.  P2 = 00 always
	 * begins a new sequence and drops any unfinished one, on any channel:
	 * an LPA that died mid-sequence (its channel may stay open behind
	 * pcscd) must not lock the ISD-R.  A later block that is not the next
	 * one (a gap, a repeat) gets 6A 86; a later block on another channel
	 * than the sequence's gets 69 85 (conditions of use not satisfied: the
	 * ISD-R runs one sequence per card).  Both end the sequence.
	 */
	if (cmd->p2 == 0) {
		drop_request(isdr); /* a new sequence; a load in progress goes on */
		isdr->assembling = 1;
		isdr->chan = cmd->channel;
	} else if (!isdr->assembling) {
		return store_data_error(isdr, rsp, SF_SW_INCORRECT_P1P2);
	} else if (cmd->channel != isdr->chan) {
		return store_data_error(isdr, rsp, SF_SW_CONDITIONS_NOT_SATISFIED);
	} else if (cmd->p2 != isdr->next_block) {
		return store_data_error(isdr, rsp, SF_SW_INCORRECT_P1P2);
	}

	if (cmd->nc > sizeof(isdr->buf) - isdr->len) {
		sf_log(SF_LOG_INFO, "isdr", "ES10 request over %u octets: 6A 84",
		       (unsigned)SF_ISDR_MAX_COMMAND);
		return store_data_error(isdr, rsp, SF_SW_NOT_ENOUGH_MEMORY);
	}
	memcpy(isdr->buf + isdr->len, cmd->data, cmd->nc);
	isdr->len += cmd->nc;

	if (cmd->p1 == P1_MORE_BLOCKS) {
		/* Block FF cannot be followed: no P2 numbers it. */
		if (cmd->p2 == 0xFF)
			return store_data_error(isdr, rsp, SF_SW_NOT_ENOUGH_MEMORY);
		isdr->next_block = (uint8_t)(cmd->p2 + 1);
		rsp->sw = SF_SW_OK;
		return 0;
	}

	int rc = dispatch(isdr, rsp);
	drop_request(isdr);
	return rc;
}

/* ---- helpers shared by the ES10 files ---- */

int sf__isdr_req(int rc)
{
	return rc == 0 ? 0 : SF_EES10_REQUEST;
}

int sf__isdr_req_end(const uint8_t *p, const uint8_t *end)
{
	while (p < end)
		if (sf_der_skip(&p, end) != 0)
			return SF_EES10_REQUEST;
	return 0;
}

int sf__isdr_get_bits(const uint8_t **p, const uint8_t *end, uint32_t tag, uint32_t *flags)
{
	const uint8_t *bits;
	size_t n;
	unsigned unused;
	uint32_t f = 0;
	int rc = sf_der_get_bitstring(p, end, tag, &bits, &n, &unused);
	if (rc != 0)
		return SF_EES10_REQUEST;
	for (size_t i = 0; i < n && i < 4; i++)
		for (unsigned b = 0; b < 8; b++)
			if (bits[i] & (0x80u >> b))
				f |= 1u << (i * 8 + b);
	*flags = f;
	return 0;
}

int sf__isdr_iccid_to_bcd(const char *iccid, uint8_t out[10])
{
	return sf_iccid_to_bcd(iccid, out) == 0 ? 0 : SF_EES10_HOST;
}

int sf__isdr_iccid_from_bcd(const uint8_t in[10], char out[21])
{
	return sf_iccid_from_bcd(in, out) == 0 ? 0 : SF_EES10_REQUEST;
}

int sf__isdr_profile_id(struct sf_isdr *isdr, const uint8_t *p, const uint8_t *end, char iccid[21])
{
	const uint8_t *v;
	size_t len;
	uint32_t tag;
	int rc;

	iccid[0] = '\0';
	if (sf_der_peek_tag(p, end, &tag) != 0)
		return SF_EES10_REQUEST;
	if (tag == 0x5A) { /* iccid Iccid: [APPLICATION 26] OCTET STRING (SIZE(10)) */
		if (sf_der_get_octets(&p, end, 0x5A, &v, &len) != 0 || len != 10 ||
		    sf_der_check_end(p, end) != 0)
			return SF_EES10_REQUEST;
		if (sf__isdr_iccid_from_bcd(v, iccid) != 0)
			iccid[0] = '\0'; /* no profile has it */
		return 0;
	}
	/* isdpAid [APPLICATION 15] OctetTo16 */
	if (tag != 0x4F || sf_der_get_octets(&p, end, 0x4F, &v, &len) != 0 || len < 1 || len > 16 ||
	    sf_der_check_end(p, end) != 0)
		return SF_EES10_REQUEST;

	/* The host addresses profiles by ICCID: find the profile of the AID. */
	size_t count = isdr->ops->profile_count ? isdr->ops->profile_count(isdr->user) : 0;
	for (size_t i = 0; i < count; i++) {
		struct sf_profile_info pi;
		memset(&pi, 0, sizeof(pi));
		if (isdr->ops->profile_get == NULL)
			return SF_ENOTSUP;
		rc = isdr->ops->profile_get(isdr->user, i, &pi);
		if (rc < 0)
			return rc;
		if (pi.isdp_aid_len == len && memcmp(pi.isdp_aid, v, len) == 0) {
			pi.iccid[sizeof(pi.iccid) - 1] = '\0';
			memcpy(iccid, pi.iccid, sizeof(pi.iccid));
			return 0;
		}
	}
	return 0;
}

long sf__isdr_result(int host_rc)
{
	if (host_rc < 0 || host_rc > SF_ES10_UNDEFINED)
		return SF_ES10_UNDEFINED;
	return host_rc;
}

int sf__isdr_write_result(struct sf_der_writer *w, uint32_t tag, long result)
{
	size_t m = sf_der_writer_mark(w);
	sf_der_write_int64(w, SF_DER_CTX(0), result);
	return sf_der_write_wrap(w, m, tag);
}

int sf__isdr_write_utf8(struct sf_der_writer *w, uint32_t tag, const char *s)
{
	return sf_der_write_string(w, tag, SF_DER_UTF8_STRING, s, strlen(s));
}
