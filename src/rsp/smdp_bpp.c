/*
 * SM-DP+ side of profile binding and of what the eUICC signs afterwards.
 *
 *   GSMA SGP.22 v2.5 §2.5     Bound Profile Package structure
 *   GSMA SGP.22 v2.5 §2.6.4   BSP (SCP03t): key derivation, segment protection
 *   GSMA SGP.22 v2.5 §3.1.3   profile download and installation (key agreement)
 *   GSMA SGP.22 v2.5 §5.6.2   ES9+.GetBoundProfilePackage
 *   GSMA SGP.22 v2.5 §5.6.4   ES9+.HandleNotification (§5.7.10 PendingNotification)
 *   GSMA SGP.22 v2.5 §5.6.5   ES9+.CancelSession (§5.7.14 CancelSessionResponse)
 *   ASN.1: RSPDefinitions v2.5 (AUTOMATIC TAGS, EXTENSIBILITY IMPLIED):
 *          BoundProfilePackage, InitialiseSecureChannelRequest,
 *          ConfigureISDPRequest, StoreMetadataRequest, ReplaceSessionKeysRequest,
 *          ProfileInstallationResult, OtherSignedNotification,
 *          NotificationMetadata, CancelSessionResponse.
 *
 * The exact crypto steps are ../shared/notes/bpp-crypto.md §2-5; docs/bpp.md
 * describes this file.  Signed data is always the TLV as received.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp_internal.h"
#include "simfleet/bpp.h"
#include "simfleet/crypto.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/pki.h"
#include "simfleet/rsp.h"
#include "simfleet/util.h"

#define TAG_SIG 0x5F37u
#define TAG_OTPK 0x5F49u
#define TAG_ICCID 0x5Au
#define TAG_BPP 0xBF36u
#define TAG_ISC 0xBF23u  /* InitialiseSecureChannelRequest */
#define TAG_CISDP 0xBF24u /* ConfigureISDPRequest */
#define TAG_SMR 0xBF25u  /* StoreMetadataRequest */
#define TAG_RSK 0xBF26u  /* ReplaceSessionKeysRequest */
#define TAG_PIR 0xBF37u  /* ProfileInstallationResult */
#define TAG_PIRD 0xBF27u /* ProfileInstallationResultData */
#define TAG_NMD 0xBF2Fu  /* NotificationMetadata */
#define TAG_CANCEL 0xBF41u

/* hostId when the caller gives none (CRT 84, 1..16 octets). */
static const uint8_t DEFAULT_HOST_ID[] = {'s', 'i', 'm', 'f', 'l', 'e', 'e', 't'};

/* ---- small encoders ---- */

/* DER length octets of len (up to 4 octets after 8x). */
static size_t len_size(size_t len)
{
	return len < 0x80 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : len < 0x1000000 ? 4 : 5;
}

/* Size of a whole TLV with a one-octet tag. */
static size_t tlv_size(size_t len)
{
	return 1 + len_size(len) + len;
}

/* Writes a tag (1 or 2 octets) and a DER length forward; returns the octets
 * written. */
static size_t put_header(uint8_t *p, uint32_t tag, size_t len)
{
	size_t n = 0, ls = len_size(len);
	if (tag > 0xFF)
		p[n++] = (uint8_t)(tag >> 8);
	p[n++] = (uint8_t)tag;
	if (ls == 1) {
		p[n++] = (uint8_t)len;
		return n;
	}
	p[n++] = (uint8_t)(0x80 | (ls - 1));
	for (size_t i = ls - 1; i > 0; i--)
		p[n++] = (uint8_t)(len >> (8 * (i - 1)));
	return n;
}

/* Size of one BSP segment TLV for pt_len plaintext octets (bpp-crypto.md §4:
 * 86/87 always padded to the next multiple of 16; 88 not encrypted). */
static size_t seg_size(int encrypt, size_t pt_len)
{
	size_t c = encrypt ? (pt_len / 16 + 1) * 16 : pt_len;
	return tlv_size(c + SF_BSP_MAC_LEN);
}

/* Size of the segments of `len` octets cut into chunks of at most `chunk`. */
static size_t segs_size(int encrypt, size_t len, size_t chunk)
{
	size_t full = len / chunk, rest = len % chunk, n = full * seg_size(encrypt, chunk);
	if (rest || len == 0)
		n += seg_size(encrypt, rest);
	return n;
}

/* ICCID digits <-> EF.ICCID BCD (sf_iccid_to_bcd), 19 or 20 digits here. */
static int iccid_to_bcd(const char *iccid, uint8_t out[10])
{
	size_t n = strnlen(iccid, 21);
	return (n == 19 || n == 20) && sf_iccid_to_bcd(iccid, out) == 0 ? 0 : SF_ERSP_FORMAT;
}

static int iccid_from_bcd(const uint8_t in[10], char out[21])
{
	return sf_iccid_from_bcd(in, out) == 0 ? 0 : SF_ERSP_FORMAT;
}

/* StoreMetadataRequest ::= [37] SEQUENCE { iccid 5A, serviceProviderName
 *   [17] UTF8String (SIZE(0..32)), profileName [18] UTF8String (SIZE(0..64)),
 *   ..., profileClass [21] ProfileClass DEFAULT operational, ... }
 * DER (X.690 §11.5) leaves a DEFAULT value out: class operational(2) is not
 * encoded.  Producer contract. */
int sf_bpp_metadata_encode(const struct sf_bpp_metadata *md, uint8_t *dst, size_t cap, size_t *n)
{
	struct sf_der_writer w;
	uint8_t bcd[10];
	size_t m, spn = strnlen(md->spn, sizeof(md->spn)), name = strnlen(md->name, sizeof(md->name));

	if (!md || !n)
		return SF_EINVAL;
	if (spn > 32 || name > 64 || md->pclass < -1 || md->pclass > 2 ||
	    iccid_to_bcd(md->iccid, bcd) != 0)
		return SF_ERSP_FORMAT;
	sf_der_writer_init(&w, dst, cap);
	m = sf_der_writer_mark(&w);
	if (md->pclass >= 0 && md->pclass != 2)
		sf_der_write_int64(&w, SF_DER_CTX(21), md->pclass);
	sf_der_write_string(&w, SF_DER_CTX(18), SF_DER_UTF8_STRING, md->name, name);
	sf_der_write_string(&w, SF_DER_CTX(17), SF_DER_UTF8_STRING, md->spn, spn);
	sf_der_write_octets(&w, TAG_ICCID, bcd, sizeof(bcd));
	sf_der_write_wrap(&w, m, TAG_SMR);
	int rc = sf_der_writer_finish(&w, n);
	return rc == SF_EDER_CHARSET ? SF_ERSP_FORMAT : rc;
}

/* ReplaceSessionKeysRequest ::= [38] SEQUENCE { initialMacChainingValue,
 *   ppkEnc, ppkCmac } (all untagged: automatic tags 80, 81, 82). */
static void encode_rsk(const struct sf_bpp_options *o, uint8_t out[57])
{
	static const uint8_t head[] = {0xBF, 0x26, 0x36};
	memcpy(out, head, 3);
	out[3] = 0x80;
	out[4] = 16;
	memcpy(out + 5, o->ppk_mcv, 16);
	out[21] = 0x81;
	out[22] = 16;
	memcpy(out + 23, o->ppk_enc, 16);
	out[39] = 0x82;
	out[40] = 16;
	memcpy(out + 41, o->ppk_mac, 16);
}

/* One container [n] { segments of data cut into chunks }: writes forward at
 * *p, advancing it.  The container's length is known in advance (segs). */
static int put_segments(struct sf_bsp *bsp, uint32_t container, uint8_t seg_tag,
                        const uint8_t *data, size_t len, size_t chunk, uint8_t **p,
                        const uint8_t *end)
{
	int encrypt = seg_tag != SF_BSP_TAG_MAC;
	size_t total = segs_size(encrypt, len, chunk), off = 0, n;
	int rc;

	*p += put_header(*p, container, total);
	do {
		size_t c = len - off < chunk ? len - off : chunk;
		rc = encrypt ? sf_bsp_protect(bsp, seg_tag, data + off, c, *p, (size_t)(end - *p), &n)
		             : sf_bsp_mac_only(bsp, seg_tag, data + off, c, *p, (size_t)(end - *p), &n);
		if (rc)
			return rc;
		*p += n;
		off += c;
	} while (off < len);
	return 0;
}

/* SF_BSP_PLAIN_MAX etc. as one place for the chunk sizes. */
#define CHUNK_ENC SF_BSP_PLAIN_MAX     /* 1007: 86/87 TLV of 1020 octets */
#define CHUNK_MAC SF_BSP_MAC_PLAIN_MAX /* 1008: 88 TLV of 1020 octets */
#define SMR_MAX 1200                   /* 5A(12) + 91(34) + 92(66) + 95(3) + header */
#define CISDP_LEN 3                    /* BF24 00 */
#define RSK_LEN 57

int sf__bpp_build_segments(const struct sf_bsp_keys *keys, const struct sf_bpp_metadata *md,
                           const struct sf_bpp_options *opts, const uint8_t *upp, size_t upp_len,
                           uint8_t *dst, size_t dst_len, size_t *out_len)
{
	static const uint8_t cisdp[CISDP_LEN] = {0xBF, 0x24, 0x00};
	uint8_t smr[SMR_MAX], rsk[RSK_LEN], *p, *end;
	size_t smr_len = 0, need;
	struct sf_bsp bsp;
	int ppk = opts != NULL && opts->use_ppk, rc;

	if (keys == NULL || md == NULL || (upp == NULL && upp_len) || out_len == NULL ||
	    (dst == NULL && dst_len))
		return SF_EINVAL;
	/* An empty profile cannot be installed; a BPP of more than 16 MiB is
	 * not a profile either (and would need 5 length octets). */
	if (upp_len == 0 || upp_len > 0xFFFFFF / 2)
		return SF_EINVAL;
	if ((rc = sf_bpp_metadata_encode(md, smr, sizeof(smr), &smr_len)) != 0)
		return rc;
	need = tlv_size(segs_size(1, CISDP_LEN, CHUNK_ENC)) +
	       tlv_size(segs_size(0, smr_len, CHUNK_MAC)) +
	       (ppk ? tlv_size(segs_size(1, RSK_LEN, CHUNK_ENC)) : 0) +
	       tlv_size(segs_size(1, upp_len, CHUNK_ENC));
	*out_len = need;
	if (dst_len < need)
		return SF_EBUFSIZE;

	p = dst;
	end = dst + dst_len;
	sf_bsp_init(&bsp, keys->s_enc, keys->s_mac, keys->mcv0);
	/* §2.5: firstSequenceOf87 = ConfigureISDP, sequenceOf88 = StoreMetadata
	 * (MAC only: the LPA reads it), both under the session keys with one
	 * counter (n = 1, 2, ...). */
	if ((rc = put_segments(&bsp, SF_DER_CTX_C(0), SF_BSP_TAG_ENC, cisdp, CISDP_LEN, CHUNK_ENC,
	                       &p, end)) != 0 ||
	    (rc = put_segments(&bsp, SF_DER_CTX_C(1), SF_BSP_TAG_MAC, smr, smr_len, CHUNK_MAC, &p,
	                       end)) != 0)
		goto out;
	if (ppk) {
		/* secondSequenceOf87: ReplaceSessionKeys, still under the
		 * session keys; the profile segments then use a NEW state
		 * with the PPKs, the counter restarting at 1 (pySim vectors). */
		encode_rsk(opts, rsk);
		if ((rc = put_segments(&bsp, SF_DER_CTX_C(2), SF_BSP_TAG_ENC, rsk, RSK_LEN,
		                       CHUNK_ENC, &p, end)) != 0)
			goto out;
		sf_bsp_free(&bsp);
		sf_bsp_init(&bsp, opts->ppk_enc, opts->ppk_mac, opts->ppk_mcv);
	}
	rc = put_segments(&bsp, SF_DER_CTX_C(3), SF_BSP_TAG_PROFILE, upp, upp_len, CHUNK_ENC, &p,
	                  end);
out:
	if (rc == 0 && (size_t)(p - dst) != need)
		rc = SF_EINTERNAL;
	if (rc)
		sf_wipe(dst, dst_len < need ? dst_len : need);
	sf_bsp_free(&bsp);
	sf_wipe(rsk, sizeof(rsk));
	return rc;
}

/* InitialiseSecureChannelRequest ::= [35] SEQUENCE { remoteOpId [2] (82 01 01),
 *   transactionId [0], controlRefTemplate [6] IMPLICIT { keyType [0],
 *   keyLen [1], hostId [4] }, smdpOtpk 5F49, smdpSign 5F37 }.
 * smdpSign covers the TLVs before it and the eUICC's otPK as a 5F49 TLV
 * (bpp-crypto.md §2), which binds otPK.DP to the PrepareDownload answer. */
#define ISC_MAX (3 + 3 + 2 + SF_RSP_TID_LEN + 2 + 6 + 2 + SF_BSP_HOST_ID_MAX + 2 * 68 + 67)

static int build_isc(const struct sf_rsp_smdp *dp, const struct sf_rsp_smdp_session *s,
                     const uint8_t *host_id, size_t host_id_len,
                     const uint8_t dp_otpk[SF_EC_POINT_LEN],
                     const uint8_t euicc_otpk[SF_EC_POINT_LEN], uint8_t *out, size_t *out_len)
{
	uint8_t tbs[ISC_MAX], sig[SF_ECDSA_SIG_LEN];
	struct sf_der_writer w;
	size_t m, n, tbs_len, body;
	int rc;

	sf_der_writer_init(&w, tbs, sizeof(tbs));
	sf_der_write_octets(&w, TAG_OTPK, euicc_otpk, SF_EC_POINT_LEN);
	sf_der_write_octets(&w, TAG_OTPK, dp_otpk, SF_EC_POINT_LEN);
	m = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, SF_DER_CTX(4), host_id, host_id_len);
	sf_der_write_octets(&w, SF_DER_CTX(1), (const uint8_t[]){SF_BSP_KEY_LEN}, 1);
	sf_der_write_octets(&w, SF_DER_CTX(0), (const uint8_t[]){SF_BSP_KEY_TYPE_AES}, 1);
	sf_der_write_wrap(&w, m, SF_DER_CTX_C(6));
	sf_der_write_octets(&w, SF_DER_CTX(0), s->tid, s->tid_len);
	sf_der_write_int64(&w, SF_DER_CTX(2), 1); /* installBoundProfilePackage */
	if ((rc = sf_der_writer_finish(&w, &tbs_len)) != 0)
		return rc;
	if ((rc = sf_ecdsa_sign(dp->dppb_key, tbs, tbs_len, sig)) != 0)
		return rc;
	/* BF23 = the signed TLVs without the eUICC's otPK, then 5F37. */
	body = tbs_len - (3 + SF_EC_POINT_LEN) + 3 + SF_ECDSA_SIG_LEN;
	n = put_header(out, TAG_ISC, body);
	memcpy(out + n, tbs, tbs_len - (3 + SF_EC_POINT_LEN));
	n += tbs_len - (3 + SF_EC_POINT_LEN);
	out[n++] = 0x5F;
	out[n++] = 0x37;
	out[n++] = SF_ECDSA_SIG_LEN;
	memcpy(out + n, sig, SF_ECDSA_SIG_LEN);
	n += SF_ECDSA_SIG_LEN;
	*out_len = n;
	sf_wipe(sig, sizeof(sig));
	return 0;
}

int sf_rsp_smdp_bind(const struct sf_rsp_smdp *dp, struct sf_rsp_smdp_session *s,
                     const uint8_t euicc_otpk[SF_EC_POINT_LEN], const struct sf_bpp_metadata *md,
                     const uint8_t *upp, size_t upp_len, const struct sf_bpp_options *opts,
                     uint8_t **bpp, size_t *bpp_len)
{
	struct sf_ec_key *otsk = NULL;
	struct sf_bsp_keys keys;
	uint8_t z[SF_EC_COORD_LEN], eid[16], otpk[SF_EC_POINT_LEN], isc[ISC_MAX], *buf = NULL;
	const uint8_t *host_id = DEFAULT_HOST_ID;
	size_t host_id_len = sizeof(DEFAULT_HOST_ID), isc_len = 0, seg_len = 0, eid_len = 0, body,
	       total, n;
	int rc = SF_EINVAL;

	memset(&keys, 0, sizeof(keys));
	memset(z, 0, sizeof(z));
	if (bpp)
		*bpp = NULL;
	if (bpp_len)
		*bpp_len = 0;
	if (dp == NULL || s == NULL || euicc_otpk == NULL || md == NULL || upp == NULL ||
	    upp_len == 0 || bpp == NULL || bpp_len == NULL || dp->dppb_key == NULL)
		return SF_EINVAL;
	if (opts != NULL && opts->host_id != NULL) {
		host_id = opts->host_id;
		host_id_len = opts->host_id_len;
		if (host_id_len == 0 || host_id_len > SF_BSP_HOST_ID_MAX)
			return SF_EINVAL;
	}
	if (s->state != 2)
		return SF_ERSP_NO_SESSION;
	/* SharedInfo carries the EID as 16 binary octets: the 32 decimal digits
	 * of CERT.EUICC's serialNumber read as BCD (bpp-crypto.md §3). */
	if (strnlen(s->eid, sizeof(s->eid)) != 32 || strspn(s->eid, "0123456789") != 32 ||
	    sf_hex_decode(eid, sizeof(eid), &eid_len, s->eid, 32) != 0)
		return SF_EINVAL;
	/* Size and metadata first: nothing is generated for a request that
	 * cannot be encoded. */
	rc = sf__bpp_build_segments(&keys, md, opts, upp, upp_len, NULL, 0, &seg_len);
	if (rc != SF_EBUFSIZE)
		return rc == 0 ? SF_EINTERNAL : rc;

	/* §3.1.3: otSK.DP.ECKA on the curve of CERT.DPpb, Z = ECKA with
	 * otPK.EUICC (validated on that curve by sf_ecka). */
	if ((rc = sf_ec_key_generate(sf_ec_key_curve(dp->dppb_key), &otsk)) != 0 ||
	    (rc = sf_ec_key_point(otsk, otpk)) != 0 ||
	    (rc = sf_ecka(otsk, euicc_otpk, SF_EC_POINT_LEN, z)) != 0)
		goto out;
	sf_ec_key_free(otsk);
	otsk = NULL;
	if ((rc = sf_bsp_derive_keys(z, SF_BSP_KEY_TYPE_AES, SF_BSP_KEY_LEN, host_id, host_id_len,
	                             eid, &keys)) != 0)
		goto out;
	if ((rc = build_isc(dp, s, host_id, host_id_len, otpk, euicc_otpk, isc, &isc_len)) != 0)
		goto out;

	body = isc_len + seg_len;
	total = 2 + len_size(body) + body;
	if ((buf = malloc(total)) == NULL) {
		rc = SF_ENOMEM;
		goto out;
	}
	n = put_header(buf, TAG_BPP, body);
	memcpy(buf + n, isc, isc_len);
	n += isc_len;
	if ((rc = sf__bpp_build_segments(&keys, md, opts, upp, upp_len, buf + n, total - n,
	                                 &seg_len)) != 0)
		goto out;
	*bpp = buf;
	*bpp_len = total;
	buf = NULL;
	rc = 0;
out:
	free(buf); /* only on failure, and then wiped by the segment builder */
	sf_ec_key_free(otsk);
	sf_wipe(&keys, sizeof(keys));
	sf_wipe(z, sizeof(z));
	return rc;
}

/* ====================================================================
 * Notifications (§5.7.10) and CancelSession (§5.7.14), as received
 * ==================================================================== */

/* The rest of an extensible SEQUENCE: extension additions (X.680 §52,
 * EXTENSIBILITY IMPLIED) are well-formed TLVs that this version skips. */
static int skip_extensions(const uint8_t *p, const uint8_t *end)
{
	while (p < end)
		if (sf_der_skip(&p, end) != 0)
			return SF_ERSP_FORMAT;
	return 0;
}

/* A whole TLV with the expected tag: its raw bytes. */
static int raw_tlv(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **raw,
                   size_t *raw_len)
{
	const uint8_t *start = *p;
	if (sf_der_expect(p, end, tag, NULL, NULL) != 0)
		return SF_ERSP_FORMAT;
	*raw = start;
	*raw_len = (size_t)(*p - start);
	return 0;
}

/* An INTEGER into 0..max. */
static int get_small(const uint8_t **p, const uint8_t *end, uint32_t tag, int64_t max, int64_t *v)
{
	if (sf_der_get_int64(p, end, tag, v) != 0 || *v < 0 || *v > max)
		return SF_ERSP_FORMAT;
	return 0;
}

/* NotificationMetadata ::= [47] SEQUENCE { seqNumber [0] INTEGER,
 *   profileManagementOperation [1] NotificationEvent (one bit set),
 *   notificationAddress UTF8String, iccid Iccid OPTIONAL } */
static int parse_metadata(const uint8_t *v, size_t len, struct sf_rsp_notification *n)
{
	const uint8_t *p = v, *end = v + len, *a, *ic;
	size_t alen, iclen;
	int64_t seq;
	uint32_t bits;
	int present;

	if (get_small(&p, end, SF_DER_CTX(0), UINT32_MAX, &seq) != 0 ||
	    sf_der_get_named_bits(&p, end, SF_DER_CTX(1), &bits) != 0 ||
	    sf_der_get_string(&p, end, SF_DER_UTF8_STRING, SF_DER_UTF8_STRING, &a, &alen) != 0 ||
	    sf_der_get_optional(&p, end, TAG_ICCID, &ic, &iclen, &present) != 0)
		return SF_ERSP_FORMAT;
	/* "Only one bit SHALL be set", and v2.5 knows bits 0..3. */
	if (bits == 0 || (bits & (bits - 1)) != 0 || bits > (1u << 3))
		return SF_ERSP_FORMAT;
	if (alen == 0 || alen > SF_RSP_ADDRESS_MAX)
		return SF_ERSP_FORMAT;
	if (present && (iclen != 10 || iccid_from_bcd(ic, n->iccid) != 0))
		return SF_ERSP_FORMAT;
	if (skip_extensions(p, end) != 0)
		return SF_ERSP_FORMAT;
	n->seq = (uint32_t)seq;
	for (n->event = 0; !(bits & (1u << n->event)); n->event++)
		;
	memcpy(n->address, a, alen);
	n->address[alen] = '\0';
	return 0;
}

/* ProfileInstallationResultData ::= [39] SEQUENCE { transactionId [0],
 *   notificationMetadata [47], smdpOid OBJECT IDENTIFIER (06: a component is
 *   tagged, so no automatic tags), finalResult [2] CHOICE {
 *     successResult [0] { aid 4F (5..16), simaResponse 04 },
 *     errorResult [1] { bppCommandId [0], errorReason [1],
 *                       simaResponse [2] OPTIONAL } } } */
static int parse_pir_data(const uint8_t *v, size_t len, struct sf_rsp_notification *n)
{
	const uint8_t *p = v, *end = v + len, *t, *md, *fr, *alt, *q, *qe, *aid;
	size_t tlen, mdlen, frlen, altlen, aidlen;
	uint32_t tag;
	int64_t cmd, reason;
	int present;

	if (sf_der_get_octets(&p, end, SF_DER_CTX(0), &t, &tlen) != 0 || tlen == 0 ||
	    tlen > SF_RSP_TID_LEN || sf_der_expect(&p, end, TAG_NMD, &md, &mdlen) != 0 ||
	    parse_metadata(md, mdlen, n) != 0 || sf_der_get_oid(&p, end, SF_DER_OID, NULL, NULL) != 0 ||
	    sf_der_expect(&p, end, SF_DER_CTX_C(2), &fr, &frlen) != 0 ||
	    skip_extensions(p, end) != 0)
		return SF_ERSP_FORMAT;
	/* The PIR is the install notification (§5.7.6). */
	if (n->event != 0)
		return SF_ERSP_FORMAT;
	memcpy(n->tid, t, tlen);
	n->tid_len = tlen;
	/* finalResult: a tagged CHOICE is explicit, one alternative inside. */
	p = fr;
	end = fr + frlen;
	if (sf_der_get_tlv(&p, end, &tag, &alt, &altlen) != 0 || sf_der_check_end(p, end) != 0)
		return SF_ERSP_FORMAT;
	q = alt;
	qe = alt + altlen;
	if (tag == SF_DER_CTX_C(0)) {
		if (sf_der_get_octets(&q, qe, 0x4Fu, &aid, &aidlen) != 0 || aidlen < 5 ||
		    aidlen > sizeof(n->isdp_aid) ||
		    sf_der_get_octets(&q, qe, SF_DER_OCTET_STRING, NULL, NULL) != 0 ||
		    skip_extensions(q, qe) != 0)
			return SF_ERSP_FORMAT;
		n->success = 1;
		memcpy(n->isdp_aid, aid, aidlen);
		n->isdp_aid_len = aidlen;
		return 0;
	}
	if (tag != SF_DER_CTX_C(1) || get_small(&q, qe, SF_DER_CTX(0), INT_MAX, &cmd) != 0 ||
	    get_small(&q, qe, SF_DER_CTX(1), INT_MAX, &reason) != 0 ||
	    sf_der_get_optional(&q, qe, SF_DER_CTX(2), NULL, NULL, &present) != 0 ||
	    skip_extensions(q, qe) != 0)
		return SF_ERSP_FORMAT;
	n->success = 0;
	n->bpp_command_id = (int)cmd;
	n->error_reason = (int)reason;
	return 0;
}

int sf_rsp_notification_parse(const uint8_t *der, size_t len, struct sf_rsp_notification *n)
{
	const uint8_t *p, *end, *v, *q, *qe, *inner, *sig;
	size_t vlen, innerlen, siglen;
	uint32_t tag;
	struct sf_rsp_notification o;

	if (der == NULL || n == NULL || len == 0)
		return SF_EINVAL;
	memset(&o, 0, sizeof(o));
	o.bpp_command_id = o.error_reason = -1;
	p = der;
	end = der + len;
	if (sf_der_get_tlv(&p, end, &tag, &v, &vlen) != 0 || sf_der_check_end(p, end) != 0)
		return SF_ERSP_FORMAT;
	q = v;
	qe = v + vlen;
	if (tag == TAG_PIR) {
		/* ProfileInstallationResult ::= [55] SEQUENCE {
		 *   profileInstallationResultData [39], euiccSignPIR 5F37 } */
		o.is_pir = 1;
		if (raw_tlv(&q, qe, TAG_PIRD, &o.signed_data, &o.signed_len) != 0 ||
		    sf_der_get_octets(&q, qe, TAG_SIG, &sig, &siglen) != 0 ||
		    siglen != SF_ECDSA_SIG_LEN || skip_extensions(q, qe) != 0)
			return SF_ERSP_FORMAT;
		/* the signed TLV's content */
		p = o.signed_data;
		end = o.signed_data + o.signed_len;
		if (sf_der_expect(&p, end, TAG_PIRD, &inner, &innerlen) != 0 ||
		    parse_pir_data(inner, innerlen, &o) != 0)
			return SF_ERSP_FORMAT;
	} else if (tag == SF_DER_SEQUENCE) {
		/* OtherSignedNotification ::= SEQUENCE { tbsOtherNotification
		 *   [47], euiccNotificationSignature 5F37, euiccCertificate,
		 *   eumCertificate } (a component is tagged: no automatic tags) */
		if (raw_tlv(&q, qe, TAG_NMD, &o.signed_data, &o.signed_len) != 0 ||
		    sf_der_get_octets(&q, qe, TAG_SIG, &sig, &siglen) != 0 ||
		    siglen != SF_ECDSA_SIG_LEN ||
		    raw_tlv(&q, qe, SF_DER_SEQUENCE, &o.euicc_cert, &o.euicc_cert_len) != 0 ||
		    raw_tlv(&q, qe, SF_DER_SEQUENCE, &o.eum_cert, &o.eum_cert_len) != 0 ||
		    skip_extensions(q, qe) != 0)
			return SF_ERSP_FORMAT;
		p = o.signed_data;
		end = o.signed_data + o.signed_len;
		if (sf_der_expect(&p, end, TAG_NMD, &inner, &innerlen) != 0 ||
		    parse_metadata(inner, innerlen, &o) != 0)
			return SF_ERSP_FORMAT;
		/* install is reported by a PIR, never by another notification */
		if (o.event == 0)
			return SF_ERSP_FORMAT;
	} else {
		return SF_ERSP_FORMAT;
	}
	o.signature = sig;
	*n = o;
	return 0;
}

/* ECDSA over data with an uncompressed public point.  SF_ERSP_SIG when the
 * signature does not verify or is malformed; SF_EINVAL for a point that is
 * not on the curve. */
static int verify_with_point(const uint8_t *pk, enum sf_ec_curve curve, const uint8_t *data,
                             size_t len, const uint8_t *sig)
{
	struct sf_ec_key *k = NULL;
	int rc = sf_ec_key_from_point(curve, pk, SF_EC_POINT_LEN, &k);
	if (rc)
		return rc == SF_ENOMEM ? rc : SF_EINVAL;
	rc = sf_ecdsa_verify(k, data, len, sig, SF_ECDSA_SIG_LEN);
	sf_ec_key_free(k);
	if (rc == SF_ECRYPTO_SIG || rc == SF_ECRYPTO_SIG_FORMAT)
		return SF_ERSP_SIG;
	return rc;
}

int sf_rsp_smdp_verify_notification(const struct sf_rsp_smdp *dp,
                                    const struct sf_rsp_notification *n,
                                    const uint8_t *euicc_pk, enum sf_ec_curve curve,
                                    int64_t now)
{
	struct sf_x509 *euicc = NULL, *eum = NULL;
	struct sf_pki_cert eum_c = {NULL, NULL, NULL};
	struct sf_ec_key *k = NULL;
	int rc;

	if (dp == NULL || n == NULL || n->signed_data == NULL || n->signature == NULL)
		return SF_EINVAL;
	if (n->is_pir) {
		/* euiccSignPIR over ProfileInstallationResultData (BF27) with
		 * the PK.EUICC of the download session (§5.7.6). */
		if (euicc_pk == NULL)
			return SF_EINVAL;
		return verify_with_point(euicc_pk, curve, n->signed_data, n->signed_len,
		                         n->signature);
	}
	/* euiccNotificationSignature over tbsOtherNotification (BF2F), with the
	 * key of the eUICC certificate that comes with it: that certificate
	 * must chain eUICC -> EUM -> this SM-DP+'s CI (§4.5.2.2). */
	if (n->euicc_cert == NULL || n->eum_cert == NULL || dp->ci == NULL)
		return SF_EINVAL;
	if (sf_x509_load(n->euicc_cert, n->euicc_cert_len, &euicc) != 0 ||
	    sf__rsp_smdp_eum(dp, n->eum_cert, n->eum_cert_len, &eum, &eum_c) != 0) {
		rc = SF_ERSP_FORMAT;
		goto out;
	}
	if ((rc = sf__rsp_smdp_verify_euicc(dp, euicc, NULL, &eum_c, now, NULL, 0)) != 0)
		goto out;
	if ((rc = sf_x509_public_key(euicc, &k)) != 0)
		goto out;
	rc = sf_ecdsa_verify(k, n->signed_data, n->signed_len, n->signature, SF_ECDSA_SIG_LEN);
	if (rc == SF_ECRYPTO_SIG || rc == SF_ECRYPTO_SIG_FORMAT)
		rc = SF_ERSP_SIG;
out:
	sf_ec_key_free(k);
	sf_x509_free(euicc);
	sf_x509_free(eum);
	return rc;
}

/* CancelSessionResponse ::= [65] CHOICE {     (a tagged CHOICE: explicit)
 *   cancelSessionResponseOk [0] SEQUENCE {    (automatic tags: A0)
 *     euiccCancelSessionSigned SEQUENCE {     (30: the sibling 5F37 is tagged)
 *       transactionId [0], smdpOid [1] OBJECT IDENTIFIER,
 *       reason [2] CancelSessionReason },     (all untagged: 80, 81, 82)
 *     euiccCancelSessionSignature 5F37 },
 *   cancelSessionResponseError [1] INTEGER }  (81) */
int sf_rsp_smdp_check_cancel(const struct sf_rsp_smdp_session *s, const uint8_t *rsp,
                             size_t rsp_len, int *reason, int *euicc_error)
{
	const uint8_t *p, *end, *v, *q, *qe, *signed_, *sv, *t, *sig;
	size_t vlen, signed_len, svlen, tlen, siglen;
	uint32_t tag;
	int64_t r;
	int rc;

	if (s == NULL || rsp == NULL || rsp_len == 0 || reason == NULL)
		return SF_EINVAL;
	if (s->state != 2)
		return SF_ERSP_NO_SESSION; /* PK.EUICC is known after AuthenticateClient */
	p = rsp;
	end = rsp + rsp_len;
	if (sf_der_expect(&p, end, TAG_CANCEL, &v, &vlen) != 0 || sf_der_check_end(p, end) != 0)
		return SF_ERSP_FORMAT;
	p = v;
	end = v + vlen;
	if (sf_der_peek_tag(p, end, &tag) != 0)
		return SF_ERSP_FORMAT;
	if (tag == SF_DER_CTX(1)) {
		if (get_small(&p, end, SF_DER_CTX(1), 255, &r) != 0 || sf_der_check_end(p, end) != 0)
			return SF_ERSP_FORMAT;
		if (euicc_error)
			*euicc_error = (int)r;
		return SF_ERSP_EUICC_ERROR;
	}
	if (sf_der_expect(&p, end, SF_DER_CTX_C(0), &q, &vlen) != 0 ||
	    sf_der_check_end(p, end) != 0)
		return SF_ERSP_FORMAT;
	qe = q + vlen;
	if (raw_tlv(&q, qe, SF_DER_SEQUENCE, &signed_, &signed_len) != 0 ||
	    sf_der_get_octets(&q, qe, TAG_SIG, &sig, &siglen) != 0 || siglen != SF_ECDSA_SIG_LEN ||
	    skip_extensions(q, qe) != 0)
		return SF_ERSP_FORMAT;
	p = signed_;
	end = signed_ + signed_len;
	if (sf_der_expect(&p, end, SF_DER_SEQUENCE, &sv, &svlen) != 0)
		return SF_ERSP_FORMAT;
	p = sv;
	end = sv + svlen;
	if (sf_der_get_octets(&p, end, SF_DER_CTX(0), &t, &tlen) != 0 || tlen == 0 ||
	    tlen > SF_RSP_TID_LEN || sf_der_get_oid(&p, end, SF_DER_CTX(1), NULL, NULL) != 0 ||
	    get_small(&p, end, SF_DER_CTX(2), 127, &r) != 0 || skip_extensions(p, end) != 0)
		return SF_ERSP_FORMAT;
	/* The signature with the session's PK.EUICC, then what it covers. */
	if ((rc = verify_with_point(s->euicc_pk, s->euicc_curve, signed_, signed_len, sig)) != 0)
		return rc;
	if (tlen != s->tid_len || !sf_ct_eq(t, s->tid, tlen))
		return SF_ERSP_TRANSACTION;
	*reason = (int)r;
	return 0;
}
