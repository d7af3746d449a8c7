/*
 * eUICC side of bound profile packages.
 *
 *   GSMA SGP.22 v2.5 §5.7.6   ES10b.LoadBoundProfilePackage (BF36 items)
 *   GSMA SGP.22 v2.5 §2.5.5, §2.6.4  BPP structure, BSP (SCP03t) receiver
 *   GSMA SGP.22 v2.5 §3.1.3   key agreement (ECKA with otSK.EUICC), KDF
 *   GSMA SGP.22 v2.5 §5.7.14  ES10b.CancelSession (BF41)
 *   GSMA SGP.22 v2.5 §5.7.10  notifications (OtherSignedNotification)
 *   ASN.1: RSPDefinitions v2.5 (AUTOMATIC TAGS); the steps: bpp-crypto.md
 *   §3-§7; what is checked where: docs/bpp-euicc.md.
 *
 * The loader is a state machine over the STORE DATA items an LPA sends
 * (lpac es10b.c, onomondo-ipa bpp_segments.c): "BF36 L" + BF23, the A0 TLV,
 * the "A1 L" header, each 88, the A2 TLV (optional), the "A3 L" header,
 * each 86.  Nothing is installed before the last 86: the profile is
 * buffered (at most SF__BPP_UPP_MAX octets) and handed to the host in one
 * call, which installs it atomically.  Every refusal that SGP.22 defines is
 * answered with a signed ProfileInstallationResult (PIR) carrying
 * bppCommandId and errorReason; an item that is not DER at all is refused
 * with SF_ERSP_FORMAT (the ISD-R answers 6A 80).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp_internal.h"
#include "simfleet/bpp.h"
#include "simfleet/crypto.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/isdr.h"
#include "simfleet/log.h"
#include "simfleet/rsp.h"
#include "simfleet/util.h"

#define TAG_BPP 0xBF36u
#define TAG_ISC 0xBF23u  /* InitialiseSecureChannelRequest */
#define TAG_CISDP 0xBF24u /* ConfigureISDPRequest */
#define TAG_SMD 0xBF25u  /* StoreMetadataRequest */
#define TAG_RSK 0xBF26u  /* ReplaceSessionKeysRequest */
#define TAG_PIR 0xBF37u
#define TAG_PIRD 0xBF27u
#define TAG_NMD 0xBF2Fu  /* NotificationMetadata */
#define TAG_CANCEL 0xBF41u
#define TAG_SIG 0x5F37u
#define TAG_OTPK 0x5F49u
#define TAG_AID 0x4Fu
#define TAG_ICCID 0x5Au

#define SF__BPP_UPP_MAX (1u << 20) /* profile package buffered: 1 MiB */
#define MD_MAX 2048                /* StoreMetadata plaintext (icon <= 1024) */

/* EUICCResponse ::= SEQUENCE { peStatus SEQUENCE OF PEStatus } with an empty
 * list (PEDefinitions, AUTOMATIC TAGS): the simaResponse of a success.  The
 * host installs the UPP as a whole and reports no per-PE status. */
static const uint8_t SIMA_OK[] = {0x30, 0x02, 0xA0, 0x00};

enum ld_state {
	LD_IDLE = 0, /* expects BF36 */
	LD_A0,       /* expects the A0 TLV */
	LD_A1,       /* expects the A1 header */
	LD_88,       /* inside A1: 88 segments */
	LD_A2_A3,    /* expects the A2 TLV or the A3 header */
	LD_A3,       /* after A2: expects the A3 header */
	LD_86        /* inside A3: 86 segments */
};

struct sf_rsp_euicc_load {
	enum ld_state state;
	uint8_t tid[SF_RSP_TID_LEN]; /* the session the load belongs to */
	size_t tid_len;
	size_t bf36_left; /* octets of the BF36 value still to come */
	size_t a1_left, a3_left;
	struct sf_bsp bsp;
	struct sf_bpp_metadata md;
	int have_md;
	uint8_t mdbuf[MD_MAX];
	size_t md_len;
	uint8_t *upp;
	size_t upp_len, upp_cap;
};

static void ld_reset(struct sf_rsp_euicc_load *ld)
{
	sf_bsp_free(&ld->bsp);
	if (ld->upp != NULL) {
		sf_wipe(ld->upp, ld->upp_cap);
		free(ld->upp);
	}
	sf_wipe(ld, sizeof(*ld));
	ld->state = LD_IDLE;
}

int sf_rsp_euicc_load_new(struct sf_rsp_euicc_load **ld)
{
	if (ld == NULL)
		return SF_EINVAL;
	*ld = calloc(1, sizeof(**ld));
	return *ld == NULL ? SF_ENOMEM : 0;
}

void sf_rsp_euicc_load_free(struct sf_rsp_euicc_load *ld)
{
	if (ld == NULL)
		return;
	ld_reset(ld);
	free(ld);
}

/* ---- encodings ---- */

/* ICCID as EF.ICCID / Iccid (5A), sf_iccid_to_bcd's coding: 19 or 20
 * digits here.  89000123456789012341 -> 98 00 10 32 ... 14. */
static int iccid_encode(const char *iccid, uint8_t out[10])
{
	size_t n = strnlen(iccid, 21);
	return (n == 19 || n == 20) ? sf_iccid_to_bcd(iccid, out) : SF_EINVAL;
}

static int iccid_decode(const uint8_t in[10], char out[21])
{
	if (sf_iccid_from_bcd(in, out) != 0)
		return SF_EINVAL;
	size_t n = strlen(out);
	return (n == 19 || n == 20) ? 0 : SF_EINVAL;
}

/* NotificationMetadata ::= [47] SEQUENCE { seqNumber [0] INTEGER,
 *   profileManagementOperation [1] NotificationEvent, notificationAddress
 *   UTF8String, iccid Iccid OPTIONAL }  (tagged components: no automatic
 * tags, so 80, 81, 0C, 5A). */
static void write_nmd(struct sf_der_writer *w, uint32_t seq, unsigned event, const char *address,
                      const uint8_t *iccid_bcd)
{
	size_t m = sf_der_writer_mark(w);
	if (iccid_bcd != NULL)
		sf_der_write_octets(w, TAG_ICCID, iccid_bcd, 10);
	sf_der_write_string(w, SF_DER_UTF8_STRING, SF_DER_UTF8_STRING, address, strlen(address));
	sf_der_write_named_bits(w, SF_DER_CTX(1), 1u << event);
	sf_der_write_uint64(w, SF_DER_CTX(0), seq);
	sf_der_write_wrap(w, m, TAG_NMD);
}

/* ProfileInstallationResult ::= [55] SEQUENCE {
 *   profileInstallationResultData [39] SEQUENCE { transactionId [0],
 *     notificationMetadata [47], smdpOid OBJECT IDENTIFIER,
 *     finalResult [2] CHOICE { successResult [0] { aid 4F, simaResponse 04 },
 *                              errorResult [1] { bppCommandId [0],
 *                                                errorReason [1] } } },
 *   euiccSignPIR [APPLICATION 55] }
 * ProfileInstallationResultData has tagged components, so its smdpOid keeps
 * its universal tag 06; ErrorResult has none, so it gets 80/81 (AUTOMATIC).
 * The signature covers the BF27 TLV. */
static int write_pir(const struct sf_rsp_euicc_cred *c, const struct sf_rsp_euicc_session *s,
                     uint32_t seq, const uint8_t *iccid_bcd, const uint8_t *aid, size_t aid_len,
                     int cmd, int reason, uint8_t *dst, size_t dst_len, size_t *out_len)
{
	uint8_t tbs[SF_BPP_PIR_MAX], sig[SF_ECDSA_SIG_LEN];
	struct sf_der_writer w;
	size_t m, m2, n;
	int rc;

	sf_der_writer_init(&w, tbs, sizeof(tbs));
	m = sf_der_writer_mark(&w);
	m2 = sf_der_writer_mark(&w);
	if (aid != NULL) {
		sf_der_write_octets(&w, SF_DER_OCTET_STRING, SIMA_OK, sizeof(SIMA_OK));
		sf_der_write_octets(&w, TAG_AID, aid, aid_len);
		sf_der_write_wrap(&w, m2, SF_DER_CTX_C(0));
	} else {
		sf_der_write_int64(&w, SF_DER_CTX(1), reason);
		sf_der_write_int64(&w, SF_DER_CTX(0), cmd);
		sf_der_write_wrap(&w, m2, SF_DER_CTX_C(1));
	}
	sf_der_write_wrap(&w, m2, SF_DER_CTX_C(2));
	sf_der_write_oid(&w, SF_DER_OID, s->smdp_oid, s->smdp_oid_len);
	write_nmd(&w, seq, SF_NOTIF_INSTALL, s->server_address, iccid_bcd);
	sf_der_write_octets(&w, SF_DER_CTX(0), s->tid, s->tid_len);
	sf_der_write_wrap(&w, m, TAG_PIRD);
	if ((rc = sf_der_writer_finish(&w, &n)) != 0)
		return rc == SF_EBUFSIZE ? SF_EINTERNAL : rc;
	if ((rc = sf_ecdsa_sign(c->key, tbs, n, sig)) != 0)
		return rc;
	sf_der_writer_init(&w, dst, dst_len);
	m = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, TAG_SIG, sig, sizeof(sig));
	sf_der_write_raw(&w, tbs, n);
	sf_der_write_wrap(&w, m, TAG_PIR);
	return sf_der_writer_finish(&w, out_len);
}

/* ---- item framing ---- */

/* Reads a tag and a strict DER definite length (minimal, 1..4 length
 * octets) without requiring the value: "A1 L" and "A3 L" items are headers
 * alone. */
static int read_header(const uint8_t *p, const uint8_t *end, uint32_t *tag, size_t *len,
                       size_t *hdr)
{
	uint32_t t;
	size_t tl, n = 0;
	const uint8_t *q;

	if (sf_der_peek_tag(p, end, &t) != 0)
		return SF_ERSP_FORMAT;
	tl = t > 0xFFFFFFu ? 4 : t > 0xFFFFu ? 3 : t > 0xFFu ? 2 : 1;
	if ((size_t)(end - p) <= tl)
		return SF_ERSP_FORMAT;
	q = p + tl;
	if (*q < 0x80) {
		n = *q++;
	} else {
		unsigned k = *q++ & 0x7Fu;
		if (k == 0 || k > 4 || (size_t)(end - q) < k || q[0] == 0)
			return SF_ERSP_FORMAT;
		for (unsigned i = 0; i < k; i++)
			n = (n << 8) | q[i];
		q += k;
		if (n < 0x80)
			return SF_ERSP_FORMAT;
	}
	*tag = t;
	*len = n;
	*hdr = (size_t)(q - p);
	return 0;
}

/* The bppCommandId an item belongs to (for a PIR on an item out of order). */
static int item_command(uint32_t tag, enum ld_state st)
{
	switch (tag) {
	case TAG_BPP:
		return SF_BPP_CMD_INIT_SECURE_CHANNEL;
	case 0xA0:
		return SF_BPP_CMD_CONFIGURE_ISDP;
	case 0xA1:
	case SF_BSP_TAG_MAC:
		return SF_BPP_CMD_STORE_METADATA;
	case 0xA2:
		return SF_BPP_CMD_REPLACE_SESSION_KEYS;
	case 0xA3:
	case SF_BSP_TAG_PROFILE:
		return SF_BPP_CMD_LOAD_PROFILE_ELEMENTS;
	default:
		break;
	}
	switch (st) {
	case LD_IDLE:
		return SF_BPP_CMD_INIT_SECURE_CHANNEL;
	case LD_A0:
		return SF_BPP_CMD_CONFIGURE_ISDP;
	case LD_A1:
	case LD_88:
		return SF_BPP_CMD_STORE_METADATA;
	case LD_A2_A3:
		return tag == SF_BSP_TAG_ENC ? SF_BPP_CMD_REPLACE_SESSION_KEYS
		                             : SF_BPP_CMD_LOAD_PROFILE_ELEMENTS;
	default:
		return SF_BPP_CMD_LOAD_PROFILE_ELEMENTS;
	}
}

/* A BSP error as an errorReason (bpp-crypto.md §4: MAC -> 8, padding or
 * framing -> 7). */
static int bsp_reason(int rc)
{
	return rc == SF_ECRYPTO_BSP_MAC ? SF_BPP_SCP03T_SECURITY : SF_BPP_SCP03T_STRUCTURE;
}

/* A refusal: cmd/reason as the loader found it, or 0 (accepted). */
struct verdict {
	int cmd, reason;
};
static int refuse(struct verdict *v, int cmd, int reason)
{
	v->cmd = cmd;
	v->reason = reason;
	return 0;
}

/* ---- BF36 header + BF23 InitialiseSecureChannelRequest ----
 * InitialiseSecureChannelRequest ::= [35] SEQUENCE { remoteOpId [2] INTEGER,
 *   transactionId [0], controlRefTemplate [6] IMPLICIT { keyType [0],
 *   keyLen [1], hostId [4] }, smdpOtpk 5F49, smdpSign 5F37 }
 * smdpSign covers the BF23 value up to and including smdpOtpk, followed by
 * 5F49 41 otPK.EUICC (bpp-crypto.md §2). */
static int do_bf23(const struct sf_rsp_euicc_cred *c, struct sf_rsp_euicc_session *s,
                   struct sf_rsp_euicc_load *ld, const uint8_t *item, size_t item_len,
                   struct verdict *v)
{
	const uint8_t *p = item, *end = item + item_len, *isc, *q, *qe, *crt, *tid, *kt, *kl, *hid,
	              *otpk, *sig, *signed_end;
	size_t hdr, bf36_len, isc_len, crt_len, tid_len, kt_len, kl_len, hid_len, otpk_len, sig_len;
	uint32_t tag;
	int64_t op;
	uint8_t *msg = NULL, z[SF_EC_COORD_LEN], eid[16];
	struct sf_bsp_keys keys;
	struct sf_ec_key *pb = NULL;
	size_t eid_len, msg_len;
	int rc;

	ld_reset(ld);
	if (read_header(p, end, &tag, &bf36_len, &hdr) != 0 || tag != TAG_BPP)
		return SF_ERSP_FORMAT;
	p += hdr;
	q = p;
	if (sf_der_expect(&q, end, TAG_ISC, &isc, &isc_len) != 0 || sf_der_check_end(q, end) != 0 ||
	    (size_t)(end - p) > bf36_len)
		return SF_ERSP_FORMAT;
	ld->bf36_left = bf36_len - (size_t)(end - p);
	q = isc;
	qe = isc + isc_len;
	if (sf_der_get_int64(&q, qe, SF_DER_CTX(2), &op) != 0 ||
	    sf_der_get_octets(&q, qe, SF_DER_CTX(0), &tid, &tid_len) != 0 ||
	    sf_der_expect(&q, qe, SF_DER_CTX_C(6), &crt, &crt_len) != 0 ||
	    sf_der_get_octets(&q, qe, TAG_OTPK, &otpk, &otpk_len) != 0)
		return SF_ERSP_FORMAT;
	signed_end = q;
	if (sf_der_get_octets(&q, qe, TAG_SIG, &sig, &sig_len) != 0)
		return SF_ERSP_FORMAT;
	while (q < qe) /* extension additions (EXTENSIBILITY IMPLIED) */
		if (sf_der_skip(&q, qe) != 0)
			return SF_ERSP_FORMAT;
	{
		const uint8_t *r = crt, *re = crt + crt_len;
		if (sf_der_get_octets(&r, re, SF_DER_CTX(0), &kt, &kt_len) != 0 ||
		    sf_der_get_octets(&r, re, SF_DER_CTX(1), &kl, &kl_len) != 0 ||
		    sf_der_get_octets(&r, re, SF_DER_CTX(4), &hid, &hid_len) != 0 ||
		    sf_der_check_end(r, re) != 0)
			return SF_ERSP_FORMAT;
	}

	/* §5.7.6 checks, in the order of the errorReasons. */
	if (op != 1)
		return refuse(v, SF_BPP_CMD_INIT_SECURE_CHANNEL, SF_BPP_UNSUPPORTED_OP);
	if (tid_len != s->tid_len || !sf_ct_eq(tid, s->tid, tid_len))
		return refuse(v, SF_BPP_CMD_INIT_SECURE_CHANNEL, SF_BPP_INVALID_TID);
	if (kt_len != 1 || kt[0] != SF_BSP_KEY_TYPE_AES || kl_len != 1 || kl[0] != SF_BSP_KEY_LEN ||
	    hid_len == 0 || hid_len > SF_BSP_HOST_ID_MAX)
		return refuse(v, SF_BPP_CMD_INIT_SECURE_CHANNEL, SF_BPP_UNSUPPORTED_CRT);

	msg_len = (size_t)(signed_end - isc) + 3 + SF_EC_POINT_LEN;
	if ((msg = malloc(msg_len)) == NULL)
		return SF_ENOMEM;
	memcpy(msg, isc, (size_t)(signed_end - isc));
	msg[signed_end - isc] = 0x5F;
	msg[signed_end - isc + 1] = 0x49;
	msg[signed_end - isc + 2] = SF_EC_POINT_LEN;
	memcpy(msg + (signed_end - isc) + 3, s->otpk, SF_EC_POINT_LEN);
	rc = sf_ec_key_from_point(s->dppb_curve, s->dppb_pk, SF_EC_POINT_LEN, &pb);
	if (rc == 0 && sf_ecdsa_verify(pb, msg, msg_len, sig, sig_len) != 0)
		rc = refuse(v, SF_BPP_CMD_INIT_SECURE_CHANNEL, SF_BPP_INVALID_SIGNATURE);
	free(msg);
	sf_ec_key_free(pb);
	if (rc != 0 || v->reason != 0)
		return rc;

	/* Z = ECKA(otSK.EUICC, otPK.DP); the keys with the CRT and the EID. */
	if (s->otsk == NULL)
		return refuse(v, SF_BPP_CMD_INIT_SECURE_CHANNEL, SF_BPP_UNKNOWN);
	if (sf_ecka(s->otsk, otpk, otpk_len, z) != 0)
		return refuse(v, SF_BPP_CMD_INIT_SECURE_CHANNEL, SF_BPP_INCORRECT_INPUT);
	if (sf_hex_decode(eid, sizeof(eid), &eid_len, c->eid, strlen(c->eid)) != 0 ||
	    eid_len != 16) {
		sf_wipe(z, sizeof(z));
		return SF_EINVAL;
	}
	rc = sf_bsp_derive_keys(z, kt[0], kl[0], hid, hid_len, eid, &keys);
	if (rc == 0)
		rc = sf_bsp_init(&ld->bsp, keys.s_enc, keys.s_mac, keys.mcv0);
	sf_wipe(z, sizeof(z));
	sf_wipe(&keys, sizeof(keys));
	if (rc != 0)
		return refuse(v, SF_BPP_CMD_INIT_SECURE_CHANNEL, SF_BPP_UNSUPPORTED_CRT);
	memcpy(ld->tid, s->tid, s->tid_len);
	ld->tid_len = s->tid_len;
	ld->state = LD_A0;
	return 0;
}

/* Unprotects every 87 of an A0 or A2 TLV value into a heap buffer. */
static int unprotect_87s(struct sf_rsp_euicc_load *ld, const uint8_t *val, size_t len, int cmd,
                         uint8_t **pt, size_t *pt_len, struct verdict *v)
{
	struct sf_der_iter it;
	struct sf_der_tlv t;
	uint8_t *buf;
	size_t n = 0, o;
	int rc, count = 0;

	/* Not DER inside the item: the item is not the ASN.1. */
	sf_der_iter_init(&it, val, len);
	while ((rc = sf_der_iter_next(&it, &t)) > 0)
		;
	if (rc < 0)
		return SF_ERSP_FORMAT;
	if ((buf = malloc(len + 1)) == NULL)
		return SF_ENOMEM;
	sf_der_iter_init(&it, val, len);
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		if (t.tag != SF_BSP_TAG_ENC) {
			rc = refuse(v, cmd, SF_BPP_SCP03T_STRUCTURE);
			break;
		}
		rc = sf_bsp_unprotect(&ld->bsp, SF_BSP_TAG_ENC, t.raw, t.raw_len, buf + n,
		                      len + 1 - n, &o);
		if (rc != 0) {
			rc = refuse(v, cmd, bsp_reason(rc));
			break;
		}
		n += o;
		count++;
	}
	if (rc == 0 && v->reason == 0 && count == 0)
		refuse(v, cmd, SF_BPP_SCP03T_STRUCTURE);
	if (rc != 0 || v->reason != 0) {
		sf_wipe(buf, len + 1);
		free(buf);
		return rc;
	}
	*pt = buf;
	*pt_len = n;
	return 0;
}

/* Exactly one TLV with tag, well formed inside: (*val, *vlen) its value. */
static int one_tlv(const uint8_t *p, size_t len, uint32_t tag, const uint8_t **val, size_t *vlen)
{
	const uint8_t *q = p, *end = p + len;
	struct sf_der_iter it;
	struct sf_der_tlv t;
	int rc;

	if (sf_der_expect(&q, end, tag, val, vlen) != 0 || sf_der_check_end(q, end) != 0)
		return SF_ERSP_FORMAT;
	sf_der_iter_init(&it, *val, *vlen);
	while ((rc = sf_der_iter_next(&it, &t)) > 0)
		;
	return rc < 0 ? SF_ERSP_FORMAT : 0;
}

/* A0 { 87 ConfigureISDPRequest BF24 { [B8 dpProprietaryData] } } */
static int do_a0(struct sf_rsp_euicc_load *ld, const uint8_t *val, size_t len, struct verdict *v)
{
	uint8_t *pt = NULL;
	size_t n, cl;
	const uint8_t *cv;
	int rc = unprotect_87s(ld, val, len, SF_BPP_CMD_CONFIGURE_ISDP, &pt, &n, v);
	if (rc != 0 || v->reason != 0)
		return rc;
	if (one_tlv(pt, n, TAG_CISDP, &cv, &cl) != 0)
		refuse(v, SF_BPP_CMD_CONFIGURE_ISDP, SF_BPP_INCORRECT_INPUT);
	sf_wipe(pt, n);
	free(pt);
	if (v->reason == 0)
		ld->state = LD_A1;
	return 0;
}

/* A2 { 87 ReplaceSessionKeysRequest BF26 { 80 initialMacChainingValue,
 *   81 ppkEnc, 82 ppkCmac } }: the profile segments that follow are under
 * the PPKs, counter from 1 (bpp-crypto.md §5). */
static int do_a2(struct sf_rsp_euicc_load *ld, const uint8_t *val, size_t len, struct verdict *v)
{
	uint8_t *pt = NULL;
	size_t n, cl, l0, l1, l2;
	const uint8_t *cv, *q, *qe, *mcv, *enc, *mac;
	int rc = unprotect_87s(ld, val, len, SF_BPP_CMD_REPLACE_SESSION_KEYS, &pt, &n, v);
	if (rc != 0 || v->reason != 0)
		return rc;
	if (one_tlv(pt, n, TAG_RSK, &cv, &cl) != 0) {
		refuse(v, SF_BPP_CMD_REPLACE_SESSION_KEYS, SF_BPP_INCORRECT_INPUT);
		goto out;
	}
	q = cv;
	qe = cv + cl;
	if (sf_der_get_octets(&q, qe, SF_DER_CTX(0), &mcv, &l0) != 0 ||
	    sf_der_get_octets(&q, qe, SF_DER_CTX(1), &enc, &l1) != 0 ||
	    sf_der_get_octets(&q, qe, SF_DER_CTX(2), &mac, &l2) != 0 || l0 != 16 || l1 != 16 ||
	    l2 != 16) {
		refuse(v, SF_BPP_CMD_REPLACE_SESSION_KEYS, SF_BPP_INCORRECT_INPUT);
		goto out;
	}
	sf_bsp_free(&ld->bsp);
	if ((rc = sf_bsp_init(&ld->bsp, enc, mac, mcv)) != 0)
		goto out;
	ld->state = LD_A3;
out:
	sf_wipe(pt, n);
	free(pt);
	return rc;
}

/* StoreMetadataRequest ::= [37] SEQUENCE { iccid 5A, serviceProviderName
 *   91 (0..32), profileName 92 (0..64), iconType 93 OPTIONAL, icon 94
 *   OPTIONAL, profileClass 95 DEFAULT operational, ... OPTIONAL }  */
static int parse_metadata(const uint8_t *buf, size_t len, struct sf_bpp_metadata *md)
{
	const uint8_t *v, *q, *qe, *iccid, *spn, *name;
	size_t vl, il, sl, nl;
	struct sf_der_iter it;
	struct sf_der_tlv t;
	int rc;

	memset(md, 0, sizeof(*md));
	md->pclass = -1;
	if (one_tlv(buf, len, TAG_SMD, &v, &vl) != 0)
		return SF_ERSP_FORMAT;
	q = v;
	qe = v + vl;
	if (sf_der_get_octets(&q, qe, TAG_ICCID, &iccid, &il) != 0 || il != 10 ||
	    sf_der_get_string(&q, qe, SF_DER_CTX(17), SF_DER_UTF8_STRING, &spn, &sl) != 0 ||
	    sl >= sizeof(md->spn) ||
	    sf_der_get_string(&q, qe, SF_DER_CTX(18), SF_DER_UTF8_STRING, &name, &nl) != 0 ||
	    nl >= sizeof(md->name) || iccid_decode(iccid, md->iccid) != 0)
		return SF_ERSP_FORMAT;
	memcpy(md->spn, spn, sl);
	memcpy(md->name, name, nl);
	sf_der_iter_init(&it, q, (size_t)(qe - q));
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		if (t.tag == SF_DER_CTX(21)) {
			const uint8_t *r = t.raw;
			int64_t pc;
			if (sf_der_get_int64(&r, t.raw + t.raw_len, SF_DER_CTX(21), &pc) != 0)
				return SF_ERSP_FORMAT;
			md->pclass = pc < 0 || pc > 1000 ? 1000 : (int)pc;
		}
		/* icon, notificationConfigurationInfo, profileOwner, PPRs and
		 * service-specific data are not used by this eUICC. */
	}
	return rc < 0 ? SF_ERSP_FORMAT : 0;
}

/* The last 88 arrived: StoreMetadata complete. */
static int do_metadata(struct sf_rsp_euicc_load *ld, const struct sf_bpp_host *host,
                       struct verdict *v)
{
	if (parse_metadata(ld->mdbuf, ld->md_len, &ld->md) != 0)
		return refuse(v, SF_BPP_CMD_STORE_METADATA, SF_BPP_INCORRECT_INPUT);
	ld->have_md = 1;
	if (host->iccid_exists != NULL && host->iccid_exists(host->user, ld->md.iccid) == 1)
		return refuse(v, SF_BPP_CMD_STORE_METADATA, SF_BPP_ICCID_EXISTS);
	/* ProfileClass ::= INTEGER {test(0), provisioning(1), operational(2)} */
	if (ld->md.pclass > 2)
		return refuse(v, SF_BPP_CMD_STORE_METADATA, SF_BPP_UNSUPPORTED_CLASS);
	ld->state = LD_A2_A3;
	return 0;
}

/* One item of a state that expects a complete TLV or a header. */
static int step(const struct sf_rsp_euicc_cred *c, struct sf_rsp_euicc_session *s,
                struct sf_rsp_euicc_load *ld, const struct sf_bpp_host *host, const uint8_t *item,
                size_t item_len, struct verdict *v)
{
	uint32_t tag;
	size_t len, hdr, o;
	int header_only, rc;

	if (read_header(item, item + item_len, &tag, &len, &hdr) != 0)
		return SF_ERSP_FORMAT;
	if (tag == TAG_BPP) {
		if (ld->state != LD_IDLE)
			return refuse(v, SF_BPP_CMD_INIT_SECURE_CHANNEL, SF_BPP_SCP03T_STRUCTURE);
		return do_bf23(c, s, ld, item, item_len, v);
	}
	/* "A1 L" / "A3 L" alone, else exactly one complete TLV. */
	header_only = item_len == hdr && (tag == 0xA1 || tag == 0xA3);
	if (!header_only && hdr + len != item_len)
		return SF_ERSP_FORMAT;
	if (item_len > ld->bf36_left || ld->state == LD_IDLE)
		return refuse(v, item_command(tag, ld->state), SF_BPP_SCP03T_STRUCTURE);

	switch (ld->state) {
	case LD_A0:
		if (tag != 0xA0)
			break;
		ld->bf36_left -= item_len;
		return do_a0(ld, item + hdr, len, v);
	case LD_A1:
		if (tag != 0xA1 || !header_only)
			break;
		ld->bf36_left -= hdr;
		if (len == 0 || len > ld->bf36_left)
			return refuse(v, SF_BPP_CMD_STORE_METADATA, SF_BPP_SCP03T_STRUCTURE);
		ld->a1_left = len;
		ld->state = LD_88;
		return 0;
	case LD_88:
		if (tag != SF_BSP_TAG_MAC)
			break;
		if (item_len > ld->a1_left)
			return refuse(v, SF_BPP_CMD_STORE_METADATA, SF_BPP_SCP03T_STRUCTURE);
		if (ld->md_len + item_len > sizeof(ld->mdbuf))
			return refuse(v, SF_BPP_CMD_STORE_METADATA, SF_BPP_INCORRECT_INPUT);
		rc = sf_bsp_unprotect(&ld->bsp, SF_BSP_TAG_MAC, item, item_len,
		                      ld->mdbuf + ld->md_len, sizeof(ld->mdbuf) - ld->md_len, &o);
		if (rc != 0)
			return refuse(v, SF_BPP_CMD_STORE_METADATA, bsp_reason(rc));
		ld->md_len += o;
		ld->a1_left -= item_len;
		ld->bf36_left -= item_len;
		return ld->a1_left == 0 ? do_metadata(ld, host, v) : 0;
	case LD_A2_A3:
		if (tag == 0xA2 && !header_only) {
			ld->bf36_left -= item_len;
			return do_a2(ld, item + hdr, len, v);
		}
		/* fall through - an A3 header without A2 */
	case LD_A3:
		if (tag != 0xA3 || !header_only)
			break;
		/* sequenceOf86 is the last element: it fills the BF36. */
		ld->bf36_left -= hdr;
		if (len == 0 || len != ld->bf36_left)
			return refuse(v, SF_BPP_CMD_LOAD_PROFILE_ELEMENTS, SF_BPP_SCP03T_STRUCTURE);
		ld->a3_left = len;
		ld->state = LD_86;
		return 0;
	case LD_86:
		if (tag != SF_BSP_TAG_PROFILE)
			break;
		if (item_len > ld->a3_left)
			return refuse(v, SF_BPP_CMD_LOAD_PROFILE_ELEMENTS, SF_BPP_SCP03T_STRUCTURE);
		if (ld->upp_len + item_len > SF__BPP_UPP_MAX)
			return refuse(v, SF_BPP_CMD_LOAD_PROFILE_ELEMENTS, SF_BPP_NO_MEMORY);
		if (ld->upp_len + item_len > ld->upp_cap) {
			/* Grow by copying so that no plaintext is left behind
			 * unwiped in a block realloc released. */
			size_t cap = ld->upp_cap ? ld->upp_cap : 4096;
			uint8_t *nb;
			while (cap < ld->upp_len + item_len)
				cap *= 2;
			if (cap > SF__BPP_UPP_MAX)
				cap = SF__BPP_UPP_MAX;
			if ((nb = malloc(cap)) == NULL)
				return refuse(v, SF_BPP_CMD_LOAD_PROFILE_ELEMENTS, SF_BPP_NO_MEMORY);
			if (ld->upp != NULL) {
				memcpy(nb, ld->upp, ld->upp_len);
				sf_wipe(ld->upp, ld->upp_cap);
				free(ld->upp);
			}
			ld->upp = nb;
			ld->upp_cap = cap;
		}
		rc = sf_bsp_unprotect(&ld->bsp, SF_BSP_TAG_PROFILE, item, item_len,
		                      ld->upp + ld->upp_len, ld->upp_cap - ld->upp_len, &o);
		if (rc != 0)
			return refuse(v, SF_BPP_CMD_LOAD_PROFILE_ELEMENTS, bsp_reason(rc));
		ld->upp_len += o;
		ld->a3_left -= item_len;
		ld->bf36_left -= item_len;
		return 0;
	default:
		break;
	}
	return refuse(v, item_command(tag, ld->state), SF_BPP_SCP03T_STRUCTURE);
}

static int host_seq(const struct sf_bpp_host *host, uint32_t *seq)
{
	int rc;
	if (host->next_seq == NULL)
		return SF_EINVAL;
	rc = host->next_seq(host->user, seq);
	return rc == 0 ? 0 : rc < 0 ? rc : SF_EINTERNAL;
}

/* Ends the load: ld reset, session closed (the one-time key kept unless
 * the profile was installed). */
static void finish(struct sf_rsp_euicc_session *s, struct sf_rsp_euicc_load *ld, int installed)
{
	ld_reset(ld);
	sf__rsp_euicc_session_close(s, installed);
}

int sf_rsp_euicc_load_bpp(const struct sf_rsp_euicc_cred *c, struct sf_rsp_euicc_session *s,
                          struct sf_rsp_euicc_load *ld, const struct sf_bpp_host *host,
                          const uint8_t *item, size_t item_len, uint8_t *dst, size_t dst_len,
                          size_t *out_len, uint32_t *pir_seq)
{
	struct verdict v = {0, 0};
	uint8_t bcd[10], aid[16];
	size_t aid_len = 0;
	uint32_t seq = 0;
	int rc, reason;

	if (c == NULL || s == NULL || ld == NULL || host == NULL || host->install == NULL ||
	    out_len == NULL || (item == NULL && item_len != 0))
		return SF_EINVAL;
	*out_len = 0;
	/* Any item may end the load with a PIR: room for one is required
	 * before anything is consumed. */
	if (dst == NULL || dst_len < SF_BPP_PIR_MAX) {
		*out_len = SF_BPP_PIR_MAX;
		return SF_EBUFSIZE;
	}
	if (s->state != 3) {
		ld_reset(ld);
		return SF_ERSP_NO_SESSION;
	}
	/* A load left unfinished by an earlier session (the LPA started a new
	 * one) is dropped: its keys are not this session's. */
	if (ld->state != LD_IDLE &&
	    (ld->tid_len != s->tid_len || memcmp(ld->tid, s->tid, s->tid_len) != 0))
		ld_reset(ld);

	rc = step(c, s, ld, host, item, item_len, &v);
	if (rc == SF_ERSP_FORMAT) {
		sf_log(SF_LOG_INFO, "rsp", "LoadBoundProfilePackage: item of %zu octets is not DER",
		       item_len);
		ld_reset(ld);
		return rc;
	}
	if (rc != 0) { /* SF_ENOMEM, SF_EINVAL ...: no verdict could be reached */
		finish(s, ld, 0);
		return rc;
	}
	if (v.reason == 0 && !(ld->state == LD_86 && ld->a3_left == 0))
		return 1; /* more expected */

	if ((rc = host_seq(host, &seq)) != 0) {
		finish(s, ld, 0);
		return rc;
	}
	if (v.reason == 0) {
		reason = host->install(host->user, &ld->md, ld->upp, ld->upp_len, aid, &aid_len);
		if (reason != 0) {
			v.cmd = SF_BPP_CMD_LOAD_PROFILE_ELEMENTS;
			v.reason = reason > 0 && reason <= SF_BPP_UNKNOWN ? reason : SF_BPP_UNKNOWN;
		} else if (aid_len > sizeof(aid)) {
			aid_len = sizeof(aid);
		}
	}
	if (v.reason != 0)
		sf_log(SF_LOG_INFO, "rsp", "LoadBoundProfilePackage refused: bppCommandId %d, "
		       "errorReason %d", v.cmd, v.reason);
	rc = write_pir(c, s, seq,
	               ld->have_md && iccid_encode(ld->md.iccid, bcd) == 0 ? bcd : NULL,
	               v.reason == 0 ? aid : NULL, aid_len, v.cmd, v.reason, dst, dst_len, out_len);
	finish(s, ld, v.reason == 0);
	if (rc != 0)
		return rc;
	if (pir_seq != NULL)
		*pir_seq = seq;
	return 0;
}

/* ---- CancelSession ---- */

/* CancelSessionRequest ::= [65] SEQUENCE { transactionId [0], reason [1] }
 * CancelSessionResponse ::= [65] CHOICE {
 *   cancelSessionResponseOk [0] SEQUENCE { euiccCancelSessionSigned
 *     SEQUENCE { transactionId [0], smdpOid [1], reason [2] },
 *     euiccCancelSessionSignature 5F37 },
 *   cancelSessionResponseError [1] INTEGER }
 * CancelSessionResponseOk has a tagged component (5F37), so it is not
 * automatically tagged (30, 5F37); EuiccCancelSessionSigned has none, so
 * its components are 80, 81, 82. */
int sf_rsp_euicc_cancel_session(const struct sf_rsp_euicc_cred *c, struct sf_rsp_euicc_session *s,
                                struct sf_rsp_euicc_load *ld, const uint8_t *req, size_t req_len,
                                uint8_t *dst, size_t dst_len, size_t *out_len)
{
	const uint8_t *p = req, *end = req + req_len, *v, *tid;
	size_t vlen, tid_len, m, n;
	int64_t reason;
	uint8_t tbs[3 * 2 + SF_RSP_TID_LEN + SF_RSP_OID_MAX + 8 + 2], sig[SF_ECDSA_SIG_LEN];
	struct sf_der_writer w;
	int rc, err = 0;

	if (c == NULL || s == NULL || req == NULL || out_len == NULL)
		return SF_EINVAL;
	if (sf_der_expect(&p, end, TAG_CANCEL, &v, &vlen) != 0 || sf_der_check_end(p, end) != 0)
		return SF_ERSP_FORMAT;
	p = v;
	end = v + vlen;
	if (sf_der_get_octets(&p, end, SF_DER_CTX(0), &tid, &tid_len) != 0 ||
	    sf_der_get_int64(&p, end, SF_DER_CTX(1), &reason) != 0 || tid_len == 0 ||
	    tid_len > SF_RSP_TID_LEN || reason < 0 || reason > 0x7FFFFFFF)
		return SF_ERSP_FORMAT;
	while (p < end)
		if (sf_der_skip(&p, end) != 0)
			return SF_ERSP_FORMAT;

	if (s->state < 2)
		err = 127; /* undefinedError: no session to cancel */
	else if (tid_len != s->tid_len || !sf_ct_eq(tid, s->tid, tid_len))
		err = 5; /* invalidTransactionId */
	if (err != 0) {
		sf_der_writer_init(&w, dst, dst_len);
		m = sf_der_writer_mark(&w);
		sf_der_write_int64(&w, SF_DER_CTX(1), err);
		sf_der_write_wrap(&w, m, TAG_CANCEL);
		return sf_der_writer_finish(&w, out_len);
	}

	sf_der_writer_init(&w, tbs, sizeof(tbs));
	m = sf_der_writer_mark(&w);
	sf_der_write_int64(&w, SF_DER_CTX(2), reason);
	sf_der_write_oid(&w, SF_DER_CTX(1), s->smdp_oid, s->smdp_oid_len);
	sf_der_write_octets(&w, SF_DER_CTX(0), s->tid, s->tid_len);
	sf_der_write_wrap(&w, m, SF_DER_SEQUENCE);
	if ((rc = sf_der_writer_finish(&w, &n)) != 0)
		return rc == SF_EBUFSIZE ? SF_EINTERNAL : rc;
	if ((rc = sf_ecdsa_sign(c->key, tbs, n, sig)) != 0)
		return rc;
	sf_der_writer_init(&w, dst, dst_len);
	m = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, TAG_SIG, sig, sizeof(sig));
	sf_der_write_raw(&w, tbs, n);
	sf_der_write_wrap(&w, m, SF_DER_CTX_C(0));
	sf_der_write_wrap(&w, m, TAG_CANCEL);
	if ((rc = sf_der_writer_finish(&w, out_len)) != 0)
		return rc; /* SF_EBUFSIZE: the session stays, the caller retries */
	/* The session ends; otSK stays for a retry (a BPP bound to it may
	 * still be offered in a new session). */
	if (ld != NULL)
		ld_reset(ld);
	sf__rsp_euicc_session_close(s, 0);
	return 0;
}

/* ---- OtherSignedNotification ---- */

/* OtherSignedNotification ::= SEQUENCE { tbsOtherNotification
 *   NotificationMetadata (BF2F), euiccNotificationSignature 5F37 (over the
 *   BF2F TLV), euiccCertificate, eumCertificate } */
int sf_rsp_euicc_sign_notification(const struct sf_rsp_euicc_cred *c, uint32_t seq,
                                   unsigned event, const char *address, const char *iccid,
                                   uint8_t *dst, size_t dst_len, size_t *out_len)
{
	uint8_t tbs[SF_RSP_ADDRESS_MAX + 64], sig[SF_ECDSA_SIG_LEN], bcd[10];
	const uint8_t *der;
	size_t n, m, dlen;
	struct sf_der_writer w;
	int rc, has_iccid = iccid != NULL && iccid[0] != '\0';

	if (c == NULL || address == NULL || out_len == NULL || event > SF_NOTIF_DELETE ||
	    strlen(address) > SF_RSP_ADDRESS_MAX)
		return SF_EINVAL;
	if (has_iccid && iccid_encode(iccid, bcd) != 0)
		return SF_EINVAL;
	sf_der_writer_init(&w, tbs, sizeof(tbs));
	write_nmd(&w, seq, event, address, has_iccid ? bcd : NULL);
	if ((rc = sf_der_writer_finish(&w, &n)) != 0)
		return rc == SF_EDER_CHARSET ? SF_EINVAL : rc == SF_EBUFSIZE ? SF_EINTERNAL : rc;
	if ((rc = sf_ecdsa_sign(c->key, tbs, n, sig)) != 0)
		return rc;
	sf_der_writer_init(&w, dst, dst_len);
	m = sf_der_writer_mark(&w);
	if ((rc = sf_x509_der(c->eum_cert, &der, &dlen)) != 0)
		return rc;
	sf_der_write_raw(&w, der, dlen);
	if ((rc = sf_x509_der(c->euicc_cert, &der, &dlen)) != 0)
		return rc;
	sf_der_write_raw(&w, der, dlen);
	sf_der_write_octets(&w, TAG_SIG, sig, sizeof(sig));
	sf_der_write_raw(&w, tbs, n);
	sf_der_write_wrap(&w, m, SF_DER_SEQUENCE);
	return sf_der_writer_finish(&w, out_len);
}
