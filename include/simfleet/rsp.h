/*
 * RSP mutual authentication (GSMA SGP.22 v2.5 §3.1.2, §3.1.3; ES9+ §5.6.1
 * InitiateAuthentication, §5.6.3 AuthenticateClient; ES10b §5.7.13
 * AuthenticateServer, §5.7.5 PrepareDownload).  ASN.1: RSPDefinitions v2.5.
 *
 * Two halves, both host library code (OpenSSL through the crypto module):
 *  - the SM-DP+ side (src/rsp/smdp_auth.c): sf_rsp_smdp_* ;
 *  - the eUICC side (src/rsp/euicc_auth.c): sf_rsp_euicc_* , a credential
 *    set (CERT.EUICC, CERT.EUM, SK.EUICC, the CI) and a session that holds
 *    the challenge, the transactionId and the one-time key between calls.
 *
 * Who signs what (bpp-crypto.md §2): serverSignature1 (DPauth) over
 * ServerSigned1; euiccSignature1 (eUICC) over EuiccSigned1; smdpSignature2
 * (DPpb) over SmdpSigned2 || 5F37 40 euiccSignature1; euiccSignature2
 * (eUICC) over EUICCSigned2 || 5F37 40 smdpSignature2.  Signed bytes are
 * always the TLVs as received, never a re-encoding.  Signatures are plain
 * r||s (64 octets).
 *
 * Time is a parameter (`now`, seconds since 1970 UTC): certificate validity
 * is checked against it.  Randomness comes from a struct sf_rng seam.
 */
#ifndef SIMFLEET_RSP_H
#define SIMFLEET_RSP_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/crypto.h"
#include "simfleet/rng.h"

#define SF_RSP_TID_LEN 16       /* transactionId this SM-DP+ generates (1..16 allowed) */
#define SF_RSP_CHALLENGE_LEN 16 /* euiccChallenge, serverChallenge: Octet16 */
#define SF_RSP_ADDRESS_MAX 255  /* SM-DP+ FQDN */
#define SF_RSP_SIGNED_MAX 512   /* ServerSigned1, SmdpSigned2, EUICCSigned2 */
#define SF_RSP_PKID_MAX 32
#define SF_RSP_EUM_MAX 16       /* EUM certificates an SM-DP+ keeps parsed */

/* SGP.22 AuthenticateErrorCode (§5.7.13). */
enum {
	SF_RSP_AUTH_INVALID_CERT = 1,
	SF_RSP_AUTH_INVALID_SIG = 2,
	SF_RSP_AUTH_UNSUPPORTED_CURVE = 3,
	SF_RSP_AUTH_NO_SESSION = 4,
	SF_RSP_AUTH_INVALID_OID = 5,
	SF_RSP_AUTH_CHALLENGE_MISMATCH = 6,
	SF_RSP_AUTH_CI_PK_UNKNOWN = 7,
	SF_RSP_UNDEFINED = 127
};
/* SGP.22 DownloadErrorCode (§5.7.5). */
enum {
	SF_RSP_DL_INVALID_CERT = 1,
	SF_RSP_DL_INVALID_SIG = 2,
	SF_RSP_DL_UNSUPPORTED_CURVE = 3,
	SF_RSP_DL_NO_SESSION = 4,
	SF_RSP_DL_INVALID_TID = 5
};

/* hashCc = SHA-256( SHA-256(CC) || transactionId ) (SGP.22 §3.1.3.2). */
int sf_rsp_hash_cc(const uint8_t *cc, size_t cc_len, const uint8_t *tid, size_t tid_len,
                   uint8_t out[32]);

/* ====================================================================
 * SM-DP+ side
 * ==================================================================== */

/* The SM-DP+'s credentials: one CI (its certificate, trusted by SKI), the
 * DPauth and DPpb certificates and keys, and its address.  Caller-owned;
 * sf_rsp_smdp_free releases what sf_rsp_smdp_load loaded. */
struct sf_rsp_smdp {
	struct sf_x509 *ci;
	struct sf_x509 *dpauth_cert, *dppb_cert;
	struct sf_ec_key *dpauth_key, *dppb_key;
	uint8_t ci_pkid[SF_RSP_PKID_MAX];
	size_t ci_pkid_len;
	char address[SF_RSP_ADDRESS_MAX + 1];
	const struct sf_rng *rng;
	/* EUM certificates parsed in advance (sf_rsp_smdp_add_eum): a CERT.EUM
	 * received byte for byte equal to one of them is not parsed again, nor
	 * its signature verified again when it verified under the CI at load
	 * (eum_sig_ok); the chain rules and validity are checked at every use.
	 * Read-only after start-up, so sessions in several threads may share
	 * dp. */
	struct sf_x509 *eums[SF_RSP_EUM_MAX];
	size_t n_eums;
	/* sf_x509_get_info of the CI and of each preloaded EUM, computed once
	 * (at load, sf_rsp_smdp_add_eum) for the chain checks; NULL when it did
	 * not decode (then every check computes it again and refuses as
	 * before). */
	struct sf_x509_info *ci_info;
	struct sf_x509_info *eum_info[SF_RSP_EUM_MAX];
	/* 1 when the preloaded EUM certificate's signature verified with the
	 * CI's key at sf_rsp_smdp_add_eum: the signature of these very octets
	 * is then not verified again for each eUICC (validity, usage and the
	 * EID range still are). */
	unsigned char eum_sig_ok[SF_RSP_EUM_MAX];
};

/* Loads the credentials from files (PEM or DER); rng NULL = system CSPRNG.
 * Returns 0, SF_EINVAL (address too long or NULL argument), SF_ENOENT,
 * SF_EIO, SF_EPKI_FORMAT, SF_ECRYPTO_KEY, SF_ECRYPTO_CURVE, SF_ENOMEM. */
int sf_rsp_smdp_load(struct sf_rsp_smdp *dp, const char *address, const char *ci_cert,
                     const char *dpauth_cert, const char *dpauth_key, const char *dppb_cert,
                     const char *dppb_key, const struct sf_rng *rng);
/* Frees and wipes.  NULL and a second call are accepted. */
void sf_rsp_smdp_free(struct sf_rsp_smdp *dp);
/* Adds an EUM certificate (file, PEM or DER) that eUICCs are expected to
 * present: the EUM certificate is the same for millions of eUICCs, so it
 * is parsed, its information for the chain rules decoded, and its
 * signature verified under the CI once here rather than at every
 * AuthenticateClient.  Trust is not changed: the signature of these exact
 * octets verified (an EUM certificate that does not verify under the CI is
 * kept, and refused at every use like any received one), and validity,
 * usage and the EID range are still checked per eUICC.  Call after
 * sf_rsp_smdp_load and before sessions start (not thread-safe against
 * them).  Returns 0, SF_EINVAL,
 * SF_ERANGE (SF_RSP_EUM_MAX reached), SF_ENOENT, SF_EIO, SF_EPKI_FORMAT,
 * SF_ENOMEM. */
int sf_rsp_smdp_add_eum(struct sf_rsp_smdp *dp, const char *eum_cert);

/* One download session on the SM-DP+ (per transactionId). */
struct sf_rsp_smdp_session {
	int state; /* 0 none, 1 initiated, 2 client authenticated */
	uint8_t tid[SF_RSP_TID_LEN];
	size_t tid_len;
	uint8_t euicc_challenge[SF_RSP_CHALLENGE_LEN];
	uint8_t server_challenge[SF_RSP_CHALLENGE_LEN];
	char eid[33];                          /* from CERT.EUICC, after AuthenticateClient */
	uint8_t euicc_pk[SF_EC_POINT_LEN];     /* PK.EUICC.ECDSA */
	enum sf_ec_curve euicc_curve;
	uint8_t smdp_signature2[SF_ECDSA_SIG_LEN];
	int cc_required;
};

/* InitiateAuthentication output (InitiateAuthenticationOkEs9, §5.6.1). */
struct sf_rsp_init_auth {
	uint8_t tid[SF_RSP_TID_LEN];
	size_t tid_len;
	uint8_t server_signed1[SF_RSP_SIGNED_MAX]; /* the ServerSigned1 TLV (30 ..) */
	size_t server_signed1_len;
	uint8_t server_signature1[SF_ECDSA_SIG_LEN];
	uint8_t ci_pkid[SF_RSP_PKID_MAX]; /* euiccCiPKIdToBeUsed */
	size_t ci_pkid_len;
	const uint8_t *server_cert; /* CERT.DPauth DER, owned by the sf_rsp_smdp */
	size_t server_cert_len;
};

/* ES9+.InitiateAuthentication: checks the address (SF_ERSP_ADDRESS when it
 * is not this SM-DP+'s), that the eUICC knows this SM-DP+'s CI for
 * verification and signing (euiccInfo1 A9 and AA lists, else
 * SF_ERSP_CI_UNKNOWN), creates the session (transactionId, serverChallenge)
 * and signs ServerSigned1 with SK.DPauth.  euicc_info1 is the EUICCInfo1
 * TLV (BF20 ..).  Returns 0, SF_EINVAL, SF_ERSP_FORMAT (euiccInfo1 not
 * DER), SF_ERSP_ADDRESS, SF_ERSP_CI_UNKNOWN, SF_ERNG or a crypto error. */
int sf_rsp_smdp_initiate_authentication(const struct sf_rsp_smdp *dp,
                                        struct sf_rsp_smdp_session *s,
                                        const uint8_t euicc_challenge[SF_RSP_CHALLENGE_LEN],
                                        const uint8_t *euicc_info1, size_t info1_len,
                                        const char *smdp_address, struct sf_rsp_init_auth *out);

/* AuthenticateClient output (the signed part of AuthenticateClientOk). */
struct sf_rsp_auth_client {
	uint8_t smdp_signed2[SF_RSP_SIGNED_MAX]; /* SmdpSigned2 TLV (30 ..) */
	size_t smdp_signed2_len;
	uint8_t smdp_signature2[SF_ECDSA_SIG_LEN];
	const uint8_t *smdp_cert; /* CERT.DPpb DER, owned by the sf_rsp_smdp */
	size_t smdp_cert_len;
};

/* ES9+.AuthenticateClient: tid is the request's transactionId, rsp the
 * AuthenticateServerResponse TLV (BF38 ..) as the eUICC produced it.
 * Checks, in order: tid (SF_ERSP_TRANSACTION), the eUICC's answer is not an
 * error (SF_ERSP_EUICC_ERROR, the code in *euicc_error if not NULL), the
 * eUICC -> EUM -> CI chain with the GSMA rules at `now` (the SF_EPKI_* code
 * of sf_pki_verify_chain; reason receives its sentence), euiccSignature1
 * (SF_ERSP_SIG), the transactionId (SF_ERSP_TRANSACTION), serverAddress
 * (SF_ERSP_ADDRESS) and serverChallenge (SF_ERSP_CHALLENGE) inside
 * euiccSigned1.  Then signs SmdpSigned2 {tid, ccRequiredFlag,
 * bppEuiccOtpk?} || 5F37 euiccSignature1 with SK.DPpb.  bpp_otpk (65 octets
 * or NULL) is the otPK.EUICC a previous binding used (retry).  A failure
 * leaves the session as it was.  Returns 0 or the codes above, SF_EINVAL,
 * SF_ERSP_FORMAT, SF_ERSP_NO_SESSION or a crypto error. */
int sf_rsp_smdp_authenticate_client(const struct sf_rsp_smdp *dp, struct sf_rsp_smdp_session *s,
                                    const uint8_t *tid, size_t tid_len, const uint8_t *rsp,
                                    size_t rsp_len, int cc_required, const uint8_t *bpp_otpk,
                                    int64_t now, struct sf_rsp_auth_client *out,
                                    int *euicc_error, char *reason, size_t reason_len);

/* The first step of ES9+.GetBoundProfilePackage (§5.6.2): checks the
 * PrepareDownloadResponse TLV (BF21 ..): not an error (SF_ERSP_EUICC_ERROR,
 * code in *euicc_error), euiccSignature2 over EUICCSigned2 || 5F37
 * smdpSignature2 with PK.EUICC (SF_ERSP_SIG), the transactionId
 * (SF_ERSP_TRANSACTION), hashCc when a confirmation code is required
 * (SF_ERSP_CC; cc may be NULL otherwise), and returns otPK.EUICC.ECKA.
 * Returns 0, those codes, SF_EINVAL, SF_ERSP_FORMAT, SF_ERSP_NO_SESSION. */
int sf_rsp_smdp_check_prepare_download(const struct sf_rsp_smdp_session *s, const uint8_t *rsp,
                                       size_t rsp_len, const uint8_t *cc, size_t cc_len,
                                       uint8_t euicc_otpk[SF_EC_POINT_LEN], int *euicc_error);
/* The same with SHA-256(CC) instead of CC (NULL when none is required): an
 * SM-DP+ that stores only the hash of the confirmation code computes hashCc
 * = SHA-256( SHA-256(CC) || transactionId ) from it, which is exactly the
 * formula of §3.1.3.2.  Same returns. */
int sf_rsp_smdp_check_prepare_download_hashed(const struct sf_rsp_smdp_session *s,
                                              const uint8_t *rsp, size_t rsp_len,
                                              const uint8_t *cc_sha256,
                                              uint8_t euicc_otpk[SF_EC_POINT_LEN],
                                              int *euicc_error);

/* ====================================================================
 * eUICC side
 * ==================================================================== */

/* The eUICC's RSP credentials (SGP.22 §2.6.2): CERT.EUICC.ECDSA with its
 * private key, CERT.EUM.ECDSA and the CI certificate it trusts (its SKI is
 * the euiccCiPKId for verification and signing). */
struct sf_rsp_euicc_cred {
	struct sf_x509 *euicc_cert, *eum_cert, *ci;
	struct sf_ec_key *key;
	uint8_t ci_pkid[SF_RSP_PKID_MAX];
	size_t ci_pkid_len;
	char eid[33];
};

/* Loads the four files (PEM or DER).  Checks that the key matches the
 * certificate (SF_ECRYPTO_KEY) and that the eUICC chain holds under the CI
 * at `now` (the SF_EPKI_* code otherwise).  Returns 0, those, SF_EINVAL,
 * SF_ENOENT, SF_EIO, SF_EPKI_FORMAT, SF_ENOMEM. */
int sf_rsp_euicc_cred_load(struct sf_rsp_euicc_cred *c, const char *euicc_cert,
                           const char *euicc_key, const char *eum_cert, const char *ci_cert,
                           int64_t now);
/* Frees and wipes.  NULL and a second call are accepted. */
void sf_rsp_euicc_cred_free(struct sf_rsp_euicc_cred *c);

/* EUICCInfo1 (BF20) naming the credential's CI for verification and
 * signing.  Producer contract (SF_EBUFSIZE: *out_len = size needed). */
int sf_rsp_euicc_info1(const struct sf_rsp_euicc_cred *c, uint8_t *dst, size_t dst_len,
                       size_t *out_len);

/* The eUICC's session state between GetEUICCChallenge and
 * LoadBoundProfilePackage.  sf_rsp_euicc_session_free wipes it and the
 * one-time private key.
 *
 * otsk/otpk are retained across sessions: GetEUICCChallenge,
 * AuthenticateServer, a failed load and CancelSession drop the rest of the
 * session but keep them, so that a retry whose smdpSigned2 carries
 * bppEuiccOtpk == otpk (SGP.22 §3.1.3.3: the SM-DP+ re-sends a BPP already
 * bound to that key) reuses the key.  A successful install deletes them. */
#define SF_RSP_OID_MAX 32 /* content octets of the SM-DP+ OID */
struct sf_rsp_euicc_session {
	int state; /* 0 none, 1 challenge issued, 2 server authenticated, 3 download prepared */
	uint8_t euicc_challenge[SF_RSP_CHALLENGE_LEN];
	uint8_t tid[SF_RSP_TID_LEN];
	size_t tid_len;
	uint8_t server_challenge[SF_RSP_CHALLENGE_LEN];
	uint8_t euicc_signature1[SF_ECDSA_SIG_LEN];
	/* from AuthenticateServer (state >= 2) */
	char server_address[SF_RSP_ADDRESS_MAX + 1]; /* serverSigned1: the PIR's notificationAddress */
	uint8_t smdp_oid[SF_RSP_OID_MAX]; /* CERT.DPauth subjectAltName registeredID (content octets) */
	size_t smdp_oid_len;
	/* from PrepareDownload (state 3): PK.DPpb.ECDSA, checks smdpSign in BF23 */
	uint8_t dppb_pk[SF_EC_POINT_LEN];
	enum sf_ec_curve dppb_curve;
	/* retained (see above) */
	struct sf_ec_key *otsk; /* otSK.EUICC.ECKA (kept for LoadBoundProfilePackage) */
	uint8_t otpk[SF_EC_POINT_LEN];
};
void sf_rsp_euicc_session_init(struct sf_rsp_euicc_session *s);
void sf_rsp_euicc_session_free(struct sf_rsp_euicc_session *s);

/* ES10b.GetEUICCChallenge: a new challenge from rng (NULL = system); any
 * previous session is dropped (the one-time key is retained, see above).
 * Returns 0, SF_EINVAL or SF_ERNG. */
int sf_rsp_euicc_challenge(struct sf_rsp_euicc_session *s, const struct sf_rng *rng,
                           uint8_t out[SF_RSP_CHALLENGE_LEN]);

/* ES10b.AuthenticateServer.  req is the AuthenticateServerRequest TLV
 * (BF38 ..), euicc_info2 the eUICC's EUICCInfo2 TLV (BF22 ..) to sign.
 * Writes the AuthenticateServerResponse TLV (BF38 ..) to dst in both cases:
 *  0: authenticateResponseOk; the session holds transactionId and
 *     serverChallenge;
 *  SF_ERSP_*: authenticateResponseError with the SGP.22 code (also in
 *     *code when not NULL): SF_ERSP_NO_SESSION (4, no challenge),
 *     SF_ERSP_CI_UNKNOWN (7, euiccCiPKIdToBeUsed or the chain's CI),
 *     SF_ERSP_CERT (1, CERT.DPauth chain or role, or no SM-DP+ OID in its
 *     subjectAltName), SF_ERSP_SIG (2,
 *     serverSignature1), SF_ERSP_CHALLENGE (6, euiccChallenge).  The
 *     session's challenge is consumed either way (no replay).
 * Other negative codes (SF_ERSP_FORMAT for a request that is not the ASN.1,
 * SF_EBUFSIZE with *out_len = size needed, SF_EINVAL) write no response. */
int sf_rsp_euicc_authenticate_server(const struct sf_rsp_euicc_cred *c,
                                     struct sf_rsp_euicc_session *s, const uint8_t *req,
                                     size_t req_len, const uint8_t *euicc_info2, size_t info2_len,
                                     int64_t now, uint8_t *dst, size_t dst_len, size_t *out_len,
                                     int *code);

/* ES10b.PrepareDownload.  req: PrepareDownloadRequest TLV (BF21 ..).
 * Writes the PrepareDownloadResponse (BF21 ..):
 *  0: downloadResponseOk with euiccSigned2 {tid, otPK, hashCc?} and
 *     euiccSignature2; the session keeps otSK (a retry whose bppEuiccOtpk
 *     equals the kept otPK reuses it, SGP.22 §3.1.3.3);
 *  SF_ERSP_*: downloadResponseError: SF_ERSP_NO_SESSION (4),
 *     SF_ERSP_CERT (1, CERT.DPpb; also when its SM-DP+ OID is not
 *     CERT.DPauth's), SF_ERSP_CURVE (3), SF_ERSP_SIG (2,
 *     smdpSignature2), SF_ERSP_TRANSACTION (5), SF_ERSP_CC (127: ccRequired
 *     but no hashCc).
 * Other codes as sf_rsp_euicc_authenticate_server. */
int sf_rsp_euicc_prepare_download(const struct sf_rsp_euicc_cred *c,
                                  struct sf_rsp_euicc_session *s, const uint8_t *req,
                                  size_t req_len, int64_t now, uint8_t *dst, size_t dst_len,
                                  size_t *out_len, int *code);

#endif
