/*
 * The crypto module: the only place (TLS in `net` aside) where simfleet calls
 * the host crypto library, OpenSSL 3.  Everything here can be re-targeted to
 * another backend without touching its callers.
 */
#ifndef SIMFLEET_CRYPTO_H
#define SIMFLEET_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define SF_GCM_NONCE_LEN 12
#define SF_GCM_TAG_LEN 16

/* AES-256-GCM (NIST SP 800-38D) with a 96-bit nonce and a 128-bit tag.
 * seal: ct (pt_len octets) and tag; open: verifies the tag in constant time
 * and writes pt only when it holds.  pt and ct may be the same buffer.
 * Returns 0, SF_EINVAL, SF_EINTERNAL, or (open) SF_ECRYPTO_AUTH when the tag,
 * the AAD or the ciphertext does not verify — then pt is zeroed. */
int sf_aes256gcm_seal(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
                      size_t aad_len, const uint8_t *pt, size_t pt_len, uint8_t *ct,
                      uint8_t tag[16]);
int sf_aes256gcm_open(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
                      size_t aad_len, const uint8_t *ct, size_t ct_len, const uint8_t tag[16],
                      uint8_t *pt);

/* ---- AES-128 (FIPS-197) modes: CBC (SP 800-38A) and CMAC (SP 800-38B) ----
 * Used by the BSP (SGP.22 §2.6.4).  CBC is without padding: len must be a
 * multiple of 16 (the caller pads, SGP.22 §2.6.4.4).  in and out may be the
 * same buffer.  Returns 0, SF_EINVAL (NULL, len not a multiple of 16 or over
 * INT_MAX) or SF_ECRYPTO_BACKEND. */
int sf_aes128_cbc_encrypt(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
                          size_t len, uint8_t *out);
int sf_aes128_cbc_decrypt(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
                          size_t len, uint8_t *out);
/* One AES-128 block: out = AES_key(in) (the BSP's ICV).  Returns 0, SF_EINVAL
 * or SF_ECRYPTO_BACKEND. */
int sf_aes128_ecb_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16]);
/* AES-CMAC (NIST SP 800-38B, RFC 4493), full 16-octet tag.  The message may
 * be given in up to n parts (concatenated), so callers need not copy.
 * Returns 0, SF_EINVAL or SF_ECRYPTO_BACKEND. */
struct sf_crypto_part {
	const uint8_t *p;
	size_t len;
};
int sf_aes128_cmac(const uint8_t key[16], const struct sf_crypto_part *parts, size_t n,
                   uint8_t mac[16]);

/* SHA-256: use include/simfleet/sha256.h (sf_sha256, one-shot and incremental);
 * it is tested against FIPS 180-2 and OpenSSL.  ECDSA hashes inside OpenSSL. */

/* ---- X9.63 KDF (ANSI X9.63 / BSI TR-03111 §4.3.3 with SHA-256) ----
 * out = SHA256(Z || 00000001 || SI) || SHA256(Z || 00000002 || SI) || ...,
 * truncated to out_len (1 .. 32*255 octets).  Returns 0 or SF_EINVAL. */
int sf_x963_kdf_sha256(const uint8_t *z, size_t z_len, const uint8_t *shared_info, size_t si_len,
                       uint8_t *out, size_t out_len);

/* ---- EC keys: NIST P-256 and brainpoolP256r1 (the curves of SGP.22 / SGP.26) ---- */
enum sf_ec_curve {
	SF_EC_P256 = 1, /* prime256v1 / secp256r1 */
	SF_EC_BRAINPOOLP256R1 = 2,
};
#define SF_EC_POINT_LEN 65 /* 04 || X || Y */
#define SF_EC_COORD_LEN 32
#define SF_ECDSA_SIG_LEN 64 /* r || s (BSI TR-03111 §5.2.1 plain) */
#define SF_ECDSA_DER_MAX 72 /* 30 46 02 21 00.. 02 21 00.. */
#define SF_EC_PEM_MAX 512   /* PKCS#8 PEM of a 256-bit EC private key */

/* Opaque key (private key pair or public key only), on the heap.  The caller
 * owns it and releases it with sf_ec_key_free, which wipes the private scalar. */
struct sf_ec_key;

/* Generates a key pair on curve with the system CSPRNG (OpenSSL DRBG, as
 * sf_rng_system).  Returns 0, SF_EINVAL, SF_ECRYPTO_CURVE, SF_ENOMEM or
 * SF_ECRYPTO_BACKEND.  *out is NULL on failure. */
int sf_ec_key_generate(enum sf_ec_curve curve, struct sf_ec_key **out);

/* Loads a private key from PEM or DER (PKCS#8 PrivateKeyInfo or SEC 1
 * ECPrivateKey, unencrypted; the format is detected).  The key is checked
 * (scalar in range, public point consistent).  Returns 0, SF_EINVAL,
 * SF_ECRYPTO_KEY (malformed, encrypted, not EC, inconsistent),
 * SF_ECRYPTO_CURVE (another curve) or SF_ENOMEM. */
int sf_ec_key_load_private(const uint8_t *data, size_t len, struct sf_ec_key **out);

/* Loads a public key from PEM or DER SubjectPublicKeyInfo.  The point is
 * validated.  Returns as sf_ec_key_load_private, or SF_ECRYPTO_POINT. */
int sf_ec_key_load_public(const uint8_t *data, size_t len, struct sf_ec_key **out);

/* Public key from an uncompressed point 04||X||Y (65 octets, the SGP.22
 * `5F49` euiccOtpk/smdpOtpk and the subjectPublicKey of a certificate).
 * Validated: uncompressed form, coordinates < p, on the curve, not infinity.
 * Returns 0, SF_EINVAL, SF_ECRYPTO_CURVE, SF_ECRYPTO_POINT or SF_ENOMEM. */
int sf_ec_key_from_point(enum sf_ec_curve curve, const uint8_t *point, size_t len,
                         struct sf_ec_key **out);

/* Writes the public point 04||X||Y (65 octets).  Returns 0, SF_EINVAL or
 * SF_ECRYPTO_BACKEND. */
int sf_ec_key_point(const struct sf_ec_key *key, uint8_t point[SF_EC_POINT_LEN]);

/* The key's curve (never fails on a valid key; 0 for NULL). */
enum sf_ec_curve sf_ec_key_curve(const struct sf_ec_key *key);

/* 1 when the key has a private part, 0 otherwise (or NULL). */
int sf_ec_key_has_private(const struct sf_ec_key *key);

/* Writes the private key as PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"),
 * NUL-terminated; *out_len = strlen.  Producer contract: on SF_EBUFSIZE
 * *out_len is the size needed (with the NUL).  Intermediate buffers are wiped.
 * Returns 0, SF_EINVAL, SF_ECRYPTO_KEY (no private part), SF_EBUFSIZE,
 * SF_ENOMEM or SF_ECRYPTO_BACKEND. */
int sf_ec_key_private_pem(const struct sf_ec_key *key, char *dst, size_t dst_len, size_t *out_len);

/* Frees the key and wipes its private scalar.  NULL is accepted. */
void sf_ec_key_free(struct sf_ec_key *key);

/* ---- ECDSA with SHA-256 (FIPS 186-4; every SGP.22 signature) ----
 * Every GSMA signature field (`5F37 40`) is the plain r||s form; X.509
 * certificates use DER ECDSA-Sig-Value.  msg is the data, hashed here. */

/* Signs msg with key's private part; sig = r||s (64 octets).  Returns 0,
 * SF_EINVAL, SF_ECRYPTO_KEY (no private part), SF_ENOMEM or SF_ECRYPTO_BACKEND. */
int sf_ecdsa_sign(const struct sf_ec_key *key, const uint8_t *msg, size_t msg_len,
                  uint8_t sig[SF_ECDSA_SIG_LEN]);

/* Verifies a plain r||s signature (sig_len must be 64, 0 < r, s).  Returns
 * 0 when it holds, SF_ECRYPTO_SIG when it does not, SF_ECRYPTO_SIG_FORMAT
 * when it is malformed, SF_EINVAL, SF_ENOMEM or SF_ECRYPTO_BACKEND. */
int sf_ecdsa_verify(const struct sf_ec_key *key, const uint8_t *msg, size_t msg_len,
                    const uint8_t *sig, size_t sig_len);

/* As sf_ecdsa_verify for a DER ECDSA-Sig-Value (strictly parsed first). */
int sf_ecdsa_verify_der(const struct sf_ec_key *key, const uint8_t *msg, size_t msg_len,
                        const uint8_t *der, size_t der_len);

/* r||s -> DER ECDSA-Sig-Value (at most SF_ECDSA_DER_MAX octets).  Returns 0,
 * SF_EINVAL, SF_ECRYPTO_SIG_FORMAT (r or s zero) or SF_EBUFSIZE (*out_len =
 * size needed). */
int sf_ecdsa_plain_to_der(const uint8_t sig[SF_ECDSA_SIG_LEN], uint8_t *dst, size_t dst_len,
                          size_t *out_len);

/* Strict DER ECDSA-Sig-Value -> r||s: SEQUENCE of two minimal positive
 * INTEGERs of 1..32 significant octets, nothing after it.  sig is untouched on
 * error.  Returns 0, SF_EINVAL or SF_ECRYPTO_SIG_FORMAT. */
int sf_ecdsa_der_to_plain(const uint8_t *der, size_t der_len, uint8_t sig[SF_ECDSA_SIG_LEN]);

/* ---- ECKA-DH (BSI TR-03111 §4.3.1; SGP.22 §3.1.3 key agreement) ----
 * z = x-coordinate of priv * peer (32 octets).  peer_point is 04||X||Y on the
 * curve of priv, validated before use.  Returns 0, SF_EINVAL, SF_ECRYPTO_KEY
 * (priv has no private part), SF_ECRYPTO_POINT, SF_ECRYPTO_CURVE, SF_ENOMEM
 * or SF_ECRYPTO_BACKEND.  z is zeroed on failure. */
int sf_ecka(const struct sf_ec_key *priv, const uint8_t *peer_point, size_t peer_len,
            uint8_t z[SF_EC_COORD_LEN]);
/* The same with the peer as a key object (same curve required). */
int sf_ecka_key(const struct sf_ec_key *priv, const struct sf_ec_key *peer,
                uint8_t z[SF_EC_COORD_LEN]);

/* ---- BSP, the BPP security protocol (SCP03t), SGP.22 §2.6.4 ---- */
#define SF_BSP_TAG_PROFILE 0x86   /* A3 sequenceOf86: profile segments, enc + MAC */
#define SF_BSP_TAG_ENC 0x87       /* A0/A2: ConfigureISDP, ReplaceSessionKeys, enc + MAC */
#define SF_BSP_TAG_MAC 0x88       /* A1: StoreMetadata, MAC only */
#define SF_BSP_KEY_TYPE_AES 0x88  /* CRT keyType */
#define SF_BSP_KEY_LEN 0x10       /* CRT keyLength */
#define SF_BSP_SEGMENT_MAX 1020   /* a TLV with tag, length and MAC */
#define SF_BSP_PLAIN_MAX 1007     /* plaintext of one full 86/87 segment */
#define SF_BSP_MAC_PLAIN_MAX 1008 /* plaintext of one full 88 segment */
#define SF_BSP_MAC_LEN 8
#define SF_BSP_HOST_ID_MAX 16

/* Session keys of §2.6.4.2: KDF output 0..15, 16..31, 32..47. */
struct sf_bsp_keys {
	uint8_t mcv0[16];
	uint8_t s_enc[16];
	uint8_t s_mac[16];
};

/* SharedInfo = keyType || keyLength || len(hostId) || hostId || 10 || EID.
 * Returns 0, SF_EINVAL, SF_ECRYPTO_CRT (keyType != 88, keyLength != 10,
 * hostId not 1..16 octets) or SF_EBUFSIZE (*out_len = size needed). */
int sf_bsp_shared_info(uint8_t key_type, uint8_t key_length, const uint8_t *host_id,
                       size_t host_id_len, const uint8_t eid[16], uint8_t *dst, size_t dst_len,
                       size_t *out_len);

/* Session-key derivation (§2.6.4.2, §3.1.3): X9.63 KDF-SHA-256 of the ECKA
 * shared secret z with the SharedInfo above, 48 octets -> keys.  The EID is
 * the 16 binary octets (no check-digit validation here).  Returns 0,
 * SF_EINVAL or SF_ECRYPTO_CRT; keys is zeroed on failure.  Wipe keys after
 * sf_bsp_init (sf_wipe). */
int sf_bsp_derive_keys(const uint8_t z[32], uint8_t key_type, uint8_t key_length,
                       const uint8_t *host_id, size_t host_id_len, const uint8_t eid[16],
                       struct sf_bsp_keys *keys);

/* BSP state of one key set (session keys, or the PPKs after
 * ReplaceSessionKeys).  Caller-owned; no heap. */
struct sf_bsp {
	uint8_t s_enc[16];
	uint8_t s_mac[16];
	uint8_t mcv[16];  /* MAC chaining value: full CMAC of the previous segment */
	uint32_t counter; /* block counter n for the next segment; starts at 1 */
};

/* Sets the keys and the initial MCV, counter := 1.  Returns 0 or SF_EINVAL. */
int sf_bsp_init(struct sf_bsp *bsp, const uint8_t s_enc[16], const uint8_t s_mac[16],
                const uint8_t mcv0[16]);
/* Wipes the state.  NULL is accepted; may be called twice. */
void sf_bsp_free(struct sf_bsp *bsp);

/* Protects one segment with encryption and MAC (tag 86 or 87): pads
 * 80 00.., encrypts with AES-CBC (IV = AES_S-ENC(counter)), appends the
 * 8-octet C-MAC chained over MCV; writes tag || BER length || C || C-MAC.
 * pt_len <= SF_BSP_PLAIN_MAX.  Output is at most pt_len + 29 octets.  The state
 * advances only on success.  Returns 0, SF_EINVAL, SF_ELEN (pt_len too big),
 * SF_ERANGE (counter exhausted), SF_EBUFSIZE (*out_len = size needed) or
 * SF_ECRYPTO_BACKEND. */
int sf_bsp_protect(struct sf_bsp *bsp, uint8_t tag, const uint8_t *pt, size_t pt_len, uint8_t *dst,
                   size_t dst_len, size_t *out_len);

/* MAC-only segment (tag 88, StoreMetadata): tag || len || P || C-MAC; the
 * counter is still incremented.  pt_len <= SF_BSP_MAC_PLAIN_MAX.  Returns as
 * sf_bsp_protect. */
int sf_bsp_mac_only(struct sf_bsp *bsp, uint8_t tag, const uint8_t *pt, size_t pt_len, uint8_t *dst,
                    size_t dst_len, size_t *out_len);

/* Receiver side: checks that the TLV has tag `tag` (86, 87 or 88) and a
 * valid BER length covering exactly tlv_len octets, verifies the C-MAC in
 * constant time, then decrypts (86/87) and strips the 80 00.. padding
 * strictly.  dst receives the plaintext (at most tlv_len octets suffice).
 * All or nothing: on any error the state is unchanged and dst is wiped.
 * Returns 0, SF_EINVAL, SF_ECRYPTO_BSP_FORMAT (scp03tStructureError),
 * SF_ECRYPTO_BSP_MAC (scp03tSecurityError), SF_ERANGE, SF_EBUFSIZE (*out_len =
 * size needed) or SF_ECRYPTO_BACKEND. */
int sf_bsp_unprotect(struct sf_bsp *bsp, uint8_t tag, const uint8_t *tlv, size_t tlv_len,
                     uint8_t *dst, size_t dst_len, size_t *out_len);


/* ====================================================================
 * X.509 certificates (RFC 5280) for the GSMA RSP PKI (SGP.22 §4.5.2)
 * --------------------------------------------------------------------
 * Added for the pki module (include/simfleet/pki.h): parsing, reading the
 * fields that the GSMA rules look at, issuing test certificates and
 * checking one signature.  Chain policy lives in src/pki/pki.c; nothing
 * here applies RFC 5280 path rules (in particular no DirName constraint
 * check, which GSMA EID-prefix constraints do not follow).
 * ==================================================================== */

/* Opaque parsed certificate; the caller owns it (sf_x509_free). */
struct sf_x509;

/* Parses one certificate, PEM ("-----BEGIN CERTIFICATE-----") or DER
 * (exactly len octets).  Returns 0, SF_EINVAL, SF_ENOMEM or SF_EPKI_FORMAT. */
int sf_x509_load(const uint8_t *data, size_t len, struct sf_x509 **out);

/* Frees the certificate.  NULL is accepted. */
void sf_x509_free(struct sf_x509 *cert);

/* Writes the certificate as PEM, NUL-terminated (*out_len = strlen); on
 * SF_EBUFSIZE *out_len is the size needed.  Returns 0, SF_EINVAL,
 * SF_EBUFSIZE or SF_ECRYPTO_BACKEND. */
int sf_x509_pem(const struct sf_x509 *cert, char *dst, size_t dst_len, size_t *out_len);

/* The DER encoding, owned by cert (valid until sf_x509_free). */
int sf_x509_der(const struct sf_x509 *cert, const uint8_t **der, size_t *der_len);

/* The subject public key as a new key object (caller frees).  Returns 0,
 * SF_EINVAL, SF_ECRYPTO_KEY, SF_ECRYPTO_CURVE, SF_ECRYPTO_POINT or
 * SF_ENOMEM.  The key is made (and validated) once, when the certificate is
 * loaded or issued; a certificate whose key is not usable still loads. */
int sf_x509_public_key(const struct sf_x509 *cert, struct sf_ec_key **out);

/* The same key without a copy: *key is owned by cert (valid until
 * sf_x509_free; NULL on error).  Returns as sf_x509_public_key. */
int sf_x509_get0_public_key(const struct sf_x509 *cert, const struct sf_ec_key **key);

/* 0 when cert's signature (ecdsa-with-SHA256) verifies with key, else
 * SF_ECRYPTO_SIG (also for another signature algorithm) or SF_EINVAL. */
int sf_x509_check_signature(const struct sf_x509 *cert, const struct sf_ec_key *key);

#define SF_X509_KU_DIGITAL_SIGNATURE 0x80u /* keyUsage bits as OpenSSL's KU_* */
#define SF_X509_KU_KEY_CERT_SIGN 0x04u
#define SF_X509_KU_CRL_SIGN 0x02u
#define SF_X509_EKU_SERVER_AUTH 0x1u
#define SF_X509_EKU_CLIENT_AUTH 0x2u
#define SF_X509_NAME_MAX 256
#define SF_X509_ATTR_MAX 65
#define SF_X509_OID_MAX 64
#define SF_X509_KEYID_MAX 32
#define SF_X509_LIST_MAX 4

/* The fields of a certificate that the GSMA rules and `pki show` use.
 * Strings are NUL-terminated and truncated to their buffers. */
struct sf_x509_info {
	char subject[SF_X509_NAME_MAX]; /* one line, RFC 2253 order */
	char issuer[SF_X509_NAME_MAX];
	char subject_o[SF_X509_ATTR_MAX];      /* organizationName, "" if none */
	char subject_serial[SF_X509_ATTR_MAX]; /* serialNumber attribute (EID) */
	char serial_hex[SF_X509_ATTR_MAX];     /* certificate serial number */
	int64_t not_before, not_after;         /* seconds since 1970 (UTC) */
	uint8_t ski[SF_X509_KEYID_MAX];
	size_t ski_len; /* 0: no subjectKeyIdentifier */
	uint8_t aki[SF_X509_KEYID_MAX];
	size_t aki_len;    /* 0: no authorityKeyIdentifier keyIdentifier */
	int has_ku;        /* keyUsage present */
	uint32_t ku;       /* SF_X509_KU_* bits */
	int is_ca;         /* basicConstraints cA */
	long pathlen;      /* -1: none */
	int has_eku;
	uint32_t eku; /* SF_X509_EKU_* bits */
	char policies[SF_X509_LIST_MAX][SF_X509_OID_MAX];
	size_t n_policies;
	int has_nc; /* nameConstraints present */
	char nc_o[SF_X509_ATTR_MAX];      /* first permitted DirName: O */
	char nc_serial[SF_X509_ATTR_MAX]; /* ... and serialNumber (EID prefix) */
	char san[SF_X509_LIST_MAX][SF_X509_NAME_MAX]; /* "DNS:x", "IP:a.b.c.d", "RID:oid" */
	size_t n_san;
	enum sf_ec_curve curve; /* 0: not a supported EC key */
	int self_signed_name;   /* subject == issuer */
};

/* Fills info.  Returns 0, SF_EINVAL, SF_ENOMEM or SF_EPKI_FORMAT (an
 * extension does not decode). */
int sf_x509_get_info(const struct sf_x509 *cert, struct sf_x509_info *info);

/* What sf_x509_issue puts in a certificate (the SGP.22 §4.5.2 profiles). */
struct sf_x509_spec {
	const char *c, *o, *ou, *serial_number, *cn; /* subject; NULL = absent */
	uint64_t serial;                             /* certificate serial, > 0 */
	int64_t not_before, not_after;               /* seconds since 1970 (UTC) */
	int ca;                                      /* basicConstraints cA (critical) */
	long pathlen;                                /* -1: none */
	uint32_t ku;                                 /* SF_X509_KU_* (critical); 0: none */
	uint32_t eku;                                /* SF_X509_EKU_*; 0: none */
	const char *policy;         /* certificatePolicies OID (critical); NULL: none */
	const char *nc_o, *nc_serial; /* nameConstraints permitted DirName; NULL: none */
	const char *san_dns, *san_ip, *san_rid; /* subjectAltName entries; NULL: absent */
};

/* Issues a certificate for subject_key (public part used) signed with
 * issuer_key (ECDSA-SHA256), with SKI (SHA-1 of the key) and, unless
 * self-signed, AKI = the issuer's SKI.  issuer NULL = self-signed (issuer_key
 * must then be subject_key).  *out is caller-owned.  Returns 0, SF_EINVAL,
 * SF_ENOMEM or SF_ECRYPTO_BACKEND. */
int sf_x509_issue(const struct sf_x509_spec *spec, const struct sf_ec_key *subject_key,
                  const struct sf_x509 *issuer, const struct sf_ec_key *issuer_key,
                  struct sf_x509 **out);

#endif
