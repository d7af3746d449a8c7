/*
 * Internals shared by the two halves of RSP mutual authentication
 * (src/rsp/smdp_auth.c, src/rsp/euicc_auth.c; SGP.22 v2.5 §3.1.2-3.1.3).
 * Not installed.
 */
#ifndef SF_RSP_INTERNAL_H
#define SF_RSP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/crypto.h"

/* The CI's public key identifier: the subjectKeyIdentifier of its
 * certificate.  SF_EPKI_FORMAT when it has none. */
int sf__rsp_ski(const struct sf_x509 *cert, uint8_t *out, size_t cap, size_t *len);

/* ECDSA over data || 5F 37 40 prev_sig (smdpSignature2, euiccSignature2). */
int sf__rsp_sign_chained(const struct sf_ec_key *key, const uint8_t *data, size_t len,
                         const uint8_t prev_sig[SF_ECDSA_SIG_LEN], uint8_t sig[SF_ECDSA_SIG_LEN]);
/* 0 when it verifies, SF_ERSP_SIG otherwise (SF_ERSP_FORMAT: data too long). */
int sf__rsp_verify_chained(const struct sf_ec_key *key, const uint8_t *data, size_t len,
                           const uint8_t prev_sig[SF_ECDSA_SIG_LEN], const uint8_t *sig,
                           size_t sig_len);

/* ---- SM-DP+ profile binding (src/rsp/smdp_bpp.c) ---- */
struct sf_bsp_keys;
struct sf_bpp_metadata;
struct sf_bpp_options;

/* Everything of a BoundProfilePackage after BF23, with given session keys:
 * A0 {87 ConfigureISDP}, A1 {88 StoreMetadata(md)...}, A2 {87
 * ReplaceSessionKeys} when opts->use_ppk, A3 {86 upp...} (profile segments
 * under the PPKs with a fresh counter, or continuing the session state).
 * Deterministic, so tests compare it with the BSP vectors.  Producer
 * contract (SF_EBUFSIZE: *out_len = size needed; dst may be NULL with
 * dst_len 0).  Returns 0, SF_EINVAL, SF_ERSP_FORMAT (md not encodable),
 * SF_EBUFSIZE or a crypto error; dst is wiped on failure. */
int sf__bpp_build_segments(const struct sf_bsp_keys *keys, const struct sf_bpp_metadata *md,
                           const struct sf_bpp_options *opts, const uint8_t *upp, size_t upp_len,
                           uint8_t *dst, size_t dst_len, size_t *out_len);

/* Ends an eUICC session (state 0).  The one-time key otSK/otPK is retained
 * for a retry unless drop_otk (then as sf_rsp_euicc_session_free).
 * (euicc_auth.c; used by euicc_bpp.c.) */
struct sf_rsp_euicc_session;
void sf__rsp_euicc_session_close(struct sf_rsp_euicc_session *s, int drop_otk);

/* CERT.EUM as received (DER): one of dp's preloaded EUM certificates when
 * it is byte for byte equal (eum->cert, with its cached information in
 * eum->info, possibly NULL; *parsed = NULL), otherwise parsed into *parsed
 * (caller frees) with eum->cert = *parsed, eum->info = NULL.  0 or
 * SF_ERSP_FORMAT. */
struct sf_rsp_smdp;
struct sf_pki_cert;
int sf__rsp_smdp_eum(const struct sf_rsp_smdp *dp, const uint8_t *der, size_t len,
                     struct sf_x509 **parsed, struct sf_pki_cert *eum);

/* CERT.EUICC (and its information) verified under dp's CI with the GSMA
 * rules (sf_pki_verify_chain_info), with the CI's and a preloaded EUM's
 * information cached in dp.  euicc_info may be NULL. */
int sf__rsp_smdp_verify_euicc(const struct sf_rsp_smdp *dp, const struct sf_x509 *euicc,
                              const struct sf_x509_info *euicc_info,
                              const struct sf_pki_cert *eum, int64_t now, char *reason,
                              size_t reason_len);

#endif
