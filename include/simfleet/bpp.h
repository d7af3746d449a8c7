/*
 * Bound profile packages (GSMA SGP.22 v2.5 §2.5, §2.6.4, §3.1.3, §5.6.2
 * ES9+.GetBoundProfilePackage, §5.7.6 ES10b.LoadBoundProfilePackage,
 * §5.7.14 CancelSession, §5.7.9/§5.7.10 notifications; RSPDefinitions v2.5).
 *
 * Continues the mutual authentication of rsp.h on both sides:
 *  - the SM-DP+ binds a profile package to the session: ECKA with a
 *    one-time key, the X9.63 KDF, and the BSP (SCP03t) over the segments of
 *    the BoundProfilePackage (BF36); later it checks what the eUICC signed
 *    (ProfileInstallationResult, other notifications, CancelSession);
 *  - the eUICC loads the BF36 item by item as an LPA or IPA delivers it in
 *    STORE DATA sequences (bpp-crypto.md §6), installs the profile through
 *    its host at the end, and signs the ProfileInstallationResult.
 *
 * The wire order of a BoundProfilePackage built here:
 *   BF36 { BF23 InitialiseSecureChannelRequest,
 *          A0 { 87 ConfigureISDPRequest },
 *          A1 { 88 StoreMetadataRequest ... },
 *          A2 { 87 ReplaceSessionKeysRequest }   (only with PPKs),
 *          A3 { 86 profile segment ... } }
 * Segments are at most SF_BSP_SEGMENT_MAX (1020) octets.
 */
#ifndef SIMFLEET_BPP_H
#define SIMFLEET_BPP_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/crypto.h"
#include "simfleet/rsp.h"

/* bppCommandId (§5.7.6 ProfileInstallationResultData.errorResult). */
enum sf_bpp_command {
	SF_BPP_CMD_INIT_SECURE_CHANNEL = 0,
	SF_BPP_CMD_CONFIGURE_ISDP = 1,
	SF_BPP_CMD_STORE_METADATA = 2,
	SF_BPP_CMD_STORE_METADATA2 = 3,
	SF_BPP_CMD_REPLACE_SESSION_KEYS = 4,
	SF_BPP_CMD_LOAD_PROFILE_ELEMENTS = 5
};

/* errorReason (§5.7.6). */
enum sf_bpp_reason {
	SF_BPP_INCORRECT_INPUT = 1,
	SF_BPP_INVALID_SIGNATURE = 2,
	SF_BPP_INVALID_TID = 3,
	SF_BPP_UNSUPPORTED_CRT = 4,
	SF_BPP_UNSUPPORTED_OP = 5,
	SF_BPP_UNSUPPORTED_CLASS = 6,
	SF_BPP_SCP03T_STRUCTURE = 7,
	SF_BPP_SCP03T_SECURITY = 8,
	SF_BPP_ICCID_EXISTS = 9,
	SF_BPP_NO_MEMORY = 10,
	SF_BPP_INTERRUPTION = 11,
	SF_BPP_PE_ERROR = 12,
	SF_BPP_DATA_MISMATCH = 13,
	SF_BPP_INVALID_NAA_KEY = 14,
	SF_BPP_PPR_NOT_ALLOWED = 15,
	SF_BPP_UNKNOWN = 127
};

/* CancelSessionReason (§5.7.14). */
enum sf_cancel_reason {
	SF_CANCEL_END_USER_REJECTION = 0,
	SF_CANCEL_POSTPONED = 1,
	SF_CANCEL_TIMEOUT = 2,
	SF_CANCEL_PPR_NOT_ALLOWED = 3,
	SF_CANCEL_METADATA_MISMATCH = 4,
	SF_CANCEL_LOAD_BPP_ERROR = 5,
	SF_CANCEL_UNDEFINED = 127
};

/* StoreMetadataRequest (BF25) as far as simfleet fills it. */
struct sf_bpp_metadata {
	char iccid[21];  /* 19 or 20 digits; 5A, BCD as EF.ICCID */
	char spn[33];    /* serviceProviderName 91 */
	char name[65];   /* profileName 92 */
	int pclass;      /* profileClass 95: 0 test, 1 provisioning, 2 operational; -1 absent */
};

/* ====================================================================
 * SM-DP+ side (src/rsp/smdp_bpp.c)
 * ==================================================================== */

/* StoreMetadataRequest (BF25 {5A iccid, 91 SPN, 92 name, 95 class}), as the
 * BPP's A1 carries it and ES9+ authenticateClient's profileMetadata shows
 * it (class operational(2), the DEFAULT, is left out as DER requires).
 * Producer contract (SF_EBUFSIZE: *n = size needed).  Returns 0,
 * SF_EINVAL, SF_ERSP_FORMAT (ICCID not 1..20 digits, SPN over 32 or name
 * over 64 octets, class out of range, not UTF-8), SF_EBUFSIZE. */
int sf_bpp_metadata_encode(const struct sf_bpp_metadata *md, uint8_t *dst, size_t cap,
                           size_t *n);

/* Options of a binding.  All-zero (or NULL) means: no ReplaceSessionKeys
 * (profile segments under the session keys), hostId "simfleet" (8
 * octets), no dpProprietaryData. */
struct sf_bpp_options {
	int use_ppk;            /* A2 ReplaceSessionKeys with the three values below */
	uint8_t ppk_enc[16];
	uint8_t ppk_mac[16];
	uint8_t ppk_mcv[16];    /* initialMacChainingValue */
	const uint8_t *host_id; /* 1..16 octets, NULL = default */
	size_t host_id_len;
};

/* ES9+.GetBoundProfilePackage, after sf_rsp_smdp_check_prepare_download
 * gave otPK.EUICC.ECKA: generates otSK/otPK.DP on the curve of CERT.DPpb,
 * Z = ECKA(otSK.DP, otPK.EUICC), derives S-ENC/S-MAC/MCV with the session's
 * EID, signs BF23 with SK.DPpb and protects ConfigureISDP, StoreMetadata
 * (from md), ReplaceSessionKeys (with PPKs) and the profile package upp
 * (the SAIP ProfileElement sequence, cut into <= 1007-octet segments).
 * *bpp receives a malloc'd BF36 TLV (free() it), *bpp_len its length.
 * otSK.DP and the keys are wiped.  The session must be in state 2 (client
 * authenticated); it stays there, so a retry binds again.
 * Returns 0, SF_EINVAL, SF_ERSP_NO_SESSION, SF_ERSP_FORMAT (metadata not
 * encodable), SF_ENOMEM or a crypto error. */
int sf_rsp_smdp_bind(const struct sf_rsp_smdp *dp, struct sf_rsp_smdp_session *s,
                     const uint8_t euicc_otpk[SF_EC_POINT_LEN], const struct sf_bpp_metadata *md,
                     const uint8_t *upp, size_t upp_len, const struct sf_bpp_options *opts,
                     uint8_t **bpp, size_t *bpp_len);

/* A PendingNotification (§5.7.10) as the SM-DP+ receives it in
 * ES9+.HandleNotification: a ProfileInstallationResult (BF37) or an
 * OtherSignedNotification (30 { BF2F, 5F37, eUICC cert, EUM cert }).
 * Pointers reference the caller's buffer. */
struct sf_rsp_notification {
	int is_pir;                    /* BF37 */
	uint32_t seq;                  /* seqNumber */
	unsigned event;                /* NotificationEvent bit (sf_notif_event) */
	char address[SF_RSP_ADDRESS_MAX + 1]; /* notificationAddress */
	char iccid[21];                /* "" when absent */
	/* PIR only */
	uint8_t tid[SF_RSP_TID_LEN];
	size_t tid_len;
	int success;                   /* successResult */
	uint8_t isdp_aid[16];
	size_t isdp_aid_len;
	int bpp_command_id, error_reason; /* errorResult, -1 otherwise */
	/* the signed part and the signature, as received */
	const uint8_t *signed_data;
	size_t signed_len;
	const uint8_t *signature;      /* 64 octets r||s */
	/* other notifications only: the certificates as received (DER) */
	const uint8_t *euicc_cert, *eum_cert;
	size_t euicc_cert_len, eum_cert_len;
};

/* Decodes a PendingNotification (strict DER, one TLV, exactly len octets).
 * Returns 0, SF_EINVAL or SF_ERSP_FORMAT.  Verifies nothing. */
int sf_rsp_notification_parse(const uint8_t *der, size_t len, struct sf_rsp_notification *n);

/* Verifies a parsed notification's signature.  A PIR is verified with
 * euicc_pk (the PK.EUICC.ECDSA of the session that downloaded, on curve;
 * SF_EINVAL when NULL); another notification with its own eUICC certificate,
 * whose eUICC -> EUM -> CI chain must hold under dp's CI at `now` (the
 * SF_EPKI_* code otherwise; euicc_pk is ignored).  Returns 0, SF_ERSP_SIG,
 * SF_EPKI_*, SF_EINVAL, SF_ERSP_FORMAT. */
int sf_rsp_smdp_verify_notification(const struct sf_rsp_smdp *dp,
                                    const struct sf_rsp_notification *n,
                                    const uint8_t *euicc_pk, enum sf_ec_curve curve,
                                    int64_t now);

/* Checks a CancelSessionResponse (BF41 .., from ES10b.CancelSession) for
 * ES9+.CancelSession: cancelSessionResponseOk with euiccCancelSessionSigned
 * {tid, smdpOid, reason} verified with the session's PK.EUICC and tid.
 * *reason receives the reason.  Returns 0, SF_ERSP_EUICC_ERROR (code in
 * *euicc_error), SF_ERSP_SIG, SF_ERSP_TRANSACTION, SF_ERSP_FORMAT,
 * SF_ERSP_NO_SESSION, SF_EINVAL. */
int sf_rsp_smdp_check_cancel(const struct sf_rsp_smdp_session *s, const uint8_t *rsp,
                             size_t rsp_len, int *reason, int *euicc_error);

/* ====================================================================
 * eUICC side (src/rsp/euicc_bpp.c)
 * ==================================================================== */

/* What the eUICC that hosts the loader does.  Called from
 * sf_rsp_euicc_load_bpp. */
struct sf_bpp_host {
	void *user;
	/* 1 when a profile with this ICCID is installed, 0 otherwise. */
	int (*iccid_exists)(void *user, const char *iccid);
	/* Installs the complete profile package (plaintext UPP) with the
	 * metadata, atomically: on any failure nothing stays.  On success
	 * writes the ISD-P AID (<= 16 octets) and returns 0; otherwise returns
	 * an errorReason (enum sf_bpp_reason: 9, 10, 12, 13, 14, 127).  The
	 * notification that the install creates is stored by the loader's
	 * caller, not here. */
	int (*install)(void *user, const struct sf_bpp_metadata *md, const uint8_t *upp, size_t len,
	               uint8_t aid[16], size_t *aid_len);
	/* The next notification sequence number (persistent, increasing). */
	int (*next_seq)(void *user, uint32_t *seq);
};

/* The loader's state across the STORE DATA items of one BF36. */
#define SF_BPP_PIR_MAX 512 /* room for any ProfileInstallationResult (BF37) */
struct sf_rsp_euicc_load;

/* Creates/frees the loader state (heap).  Free wipes the keys and the
 * buffered plaintext.  NULL is accepted by free. */
int sf_rsp_euicc_load_new(struct sf_rsp_euicc_load **ld);
void sf_rsp_euicc_load_free(struct sf_rsp_euicc_load *ld);

/* ES10b.LoadBoundProfilePackage, one item at a time as bpp-crypto.md §6
 * lists them: "BF36 L BF23..", "A0 L 87..", "A1 L", "88..", "A2 L 87..",
 * "A3 L", "86..".  The first item (BF36) needs the session in state 3
 * (download prepared) and resets ld; a load left unfinished by an earlier
 * session (another transactionId) is dropped.  dst must have room for
 * SF_BPP_PIR_MAX octets whatever the item (any item may end the load).
 * Returns:
 *   1  item accepted, more expected (the ISD-R answers 90 00, no data);
 *   0  finished: dst holds the ProfileInstallationResult (BF37 ..),
 *      success or error, signed with SK.EUICC; *pir_seq its seqNumber
 *      (pir_seq may be NULL).  On error nothing is installed, ld is reset
 *      and the session closed (the one-time key is kept for a retry, see
 *      rsp.h); on success the session is closed and the one-time key
 *      deleted;
 *   <0 an item that is not the ASN.1 at all (SF_ERSP_FORMAT: the ISD-R
 *      answers 6A 80 and ld is reset, the session stays for CancelSession),
 *      SF_ERSP_NO_SESSION (no download prepared, or the load already ended:
 *      nothing consumed), SF_EBUFSIZE (dst_len < SF_BPP_PIR_MAX, *out_len =
 *      SF_BPP_PIR_MAX, nothing consumed), SF_EINVAL, SF_ENOMEM, or the
 *      negative code of host->next_seq (the load ends, nothing installed).
 * Every refusal defined by SGP.22 is a PIR with its bppCommandId and
 * errorReason (invalid smdpSign -> 0/2, tid -> 0/3, CRT -> 0/4, MAC -> n/8,
 * padding -> n/7, segment out of order -> n/7 or 8, ICCID exists -> 2/9,
 * install failure -> 5/the host's reason).  docs/bpp-euicc.md lists every
 * check. */
int sf_rsp_euicc_load_bpp(const struct sf_rsp_euicc_cred *c, struct sf_rsp_euicc_session *s,
                          struct sf_rsp_euicc_load *ld, const struct sf_bpp_host *host,
                          const uint8_t *item, size_t item_len, uint8_t *dst, size_t dst_len,
                          size_t *out_len, uint32_t *pir_seq);

/* ES10b.CancelSession (BF41 request {80 tid, 81 reason}): when tid is the
 * current session's (state 2 or 3), answers cancelSessionResponseOk
 * A0 { 30 {80 tid, 81 smdpOid, 82 reason}, 5F37 signature } signed with
 * SK.EUICC over the 30 TLV (EuiccCancelSessionSigned has no tagged
 * component, so AUTOMATIC TAGS make smdpOid [1] = 81) and closes the
 * session (and any load in progress, ld may be NULL; the one-time key is
 * kept for a retry); otherwise cancelSessionResponseError 81 01 05
 * invalidTransactionId(5); no session -> undefinedError(127).  Returns 0 (a
 * response in dst either way), SF_ERSP_FORMAT, SF_EBUFSIZE (the session is
 * unchanged), SF_EINVAL. */
int sf_rsp_euicc_cancel_session(const struct sf_rsp_euicc_cred *c, struct sf_rsp_euicc_session *s,
                                struct sf_rsp_euicc_load *ld, const uint8_t *req, size_t req_len,
                                uint8_t *dst, size_t dst_len, size_t *out_len);

/* OtherSignedNotification for enable/disable/delete (§5.7.10):
 * 30 { BF2F NotificationMetadata {80 seq, 81 event, 0C address, 5A iccid?},
 *      5F37 euiccNotificationSignature, CERT.EUICC, CERT.EUM }.
 * iccid may be NULL or "".  Producer contract (SF_EBUFSIZE: *out_len = size
 * needed). */
int sf_rsp_euicc_sign_notification(const struct sf_rsp_euicc_cred *c, uint32_t seq,
                                   unsigned event, const char *address, const char *iccid,
                                   uint8_t *dst, size_t dst_len, size_t *out_len);

#endif
