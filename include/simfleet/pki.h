/*
 * The GSMA RSP PKI (SGP.22 §4.5.2 certificate profiles, §4.5.2.2 chain
 * validation; SGP.26 test PKI): chain validation as the eUICC and the SM-DP+
 * do it, and a generated TEST PKI for tests and demos (never production:
 * production loads certificates issued under a GSMA CI).  Certificates are
 * parsed by the crypto module (include/simfleet/crypto.h, struct sf_x509).
 */
#ifndef SIMFLEET_PKI_H
#define SIMFLEET_PKI_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/crypto.h"

/* Certificate policies of the RSP roles: id-rspRole OBJECT IDENTIFIER ::=
 * {2 23 146 1 2 1} (RSPDefinitions, SGP.22 §4.5.2). */
#define SF_PKI_OID_CI "2.23.146.1.2.1.0"
#define SF_PKI_OID_EUICC "2.23.146.1.2.1.1"
#define SF_PKI_OID_EUM "2.23.146.1.2.1.2"
#define SF_PKI_OID_DPTLS "2.23.146.1.2.1.3"
#define SF_PKI_OID_DPAUTH "2.23.146.1.2.1.4"
#define SF_PKI_OID_DPPB "2.23.146.1.2.1.5"

#define SF_PKI_TEST_NOTICE "TEST PKI - not for production"
#define SF_PKI_TEST_SMDP_OID "2.999.10" /* test SM-DP+ OID (SAN registeredID), as SGP.26 */
#define SF_PKI_DEFAULT_EUM_PREFIX "89049032"
#define SF_PKI_DEFAULT_HOST "localhost"
#define SF_PKI_PATH_MAX 4096

enum sf_pki_role {
	SF_PKI_ROLE_ANY = 0, /* taken from the leaf's role policy */
	SF_PKI_ROLE_EUICC,
	SF_PKI_ROLE_DPAUTH,
	SF_PKI_ROLE_DPPB,
	SF_PKI_ROLE_DPTLS,
	SF_PKI_ROLE_EUM,
	SF_PKI_ROLE_CI,
};

/* "euicc", "dpauth", ... -> role; SF_EINVAL for an unknown name. */
int sf_pki_role_parse(const char *name, enum sf_pki_role *role);
/* role -> "euicc", ... ("any" for SF_PKI_ROLE_ANY). */
const char *sf_pki_role_name(enum sf_pki_role role);
/* role -> its policy OID (NULL for ANY). */
const char *sf_pki_role_oid(enum sf_pki_role role);

/* The GSMA EID-range rule (SGP.22 §4.5.2.1.0.2, EUM Variant O): the eUICC's
 * subject serialNumber (the EID) must start with the serialNumber of the
 * EUM's permitted DirName (the EID prefix) and carry valid SGP.29 check
 * digits.  Returns 0 or SF_EPKI_EID. */
int sf_pki_eid_in_prefix(const char *eid, const char *prefix);

/* Validates a chain with the GSMA rules:
 *  - certs[0] is the leaf, certs[1..n-1] intermediates in any order; the
 *    path is built by key identifier (AKI -> SKI) up to the trusted CI,
 *    which is trusted by its subject key identifier (SGP.22 euiccCiPKId);
 *  - every signature (ecdsa-with-SHA256) with the issuer's key; validity of
 *    every certificate and of the CI at `now` (seconds since 1970, UTC);
 *  - issuers are CAs with keyCertSign and respect pathLenConstraint; the
 *    leaf is no CA and has digitalSignature; DPtls has serverAuth;
 *  - the leaf's role policy is the one of `role` (ANY: any RSP leaf role);
 *    an eUICC's issuer has the EUM role policy;
 *  - eUICC: the EID rule of sf_pki_eid_in_prefix against the EUM's name
 *    constraint (and the same organisation when the constraint names one).
 *    OpenSSL's RFC 5280 DirName check is not applied (it rejects valid GSMA
 *    chains).
 * No heap objects stay with the caller.  On failure reason (may be NULL)
 * receives a sentence naming the certificate and the rule.  *leaf_role (may
 * be NULL) receives the role that was checked.  Returns 0, SF_EINVAL,
 * SF_ENOMEM, SF_EPKI_UNKNOWN_CI, SF_EPKI_CHAIN, SF_EPKI_SIG,
 * SF_EPKI_VALIDITY, SF_EPKI_USAGE, SF_EPKI_ROLE, SF_EPKI_EID or
 * SF_EPKI_FORMAT. */
int sf_pki_verify_chain(const struct sf_x509 *ci, const struct sf_x509 *const *certs, size_t n,
                        enum sf_pki_role role, int64_t now, enum sf_pki_role *leaf_role,
                        char *reason, size_t reason_len);

/* A certificate and, optionally, its information (sf_x509_get_info of that
 * same certificate, computed by the caller).  For certificates checked in
 * many chains — an SM-DP+'s CI, the EUM certificates it preloads — and for a
 * received certificate whose information the caller needs anyway (the EID
 * of CERT.EUICC): the information is then computed once, not on every
 * check.  info NULL: computed by the check. */
struct sf_pki_cert {
	const struct sf_x509 *cert;
	const struct sf_x509_info *info;
	/* The issuer whose key already verified cert's signature (the caller
	 * checked it once, e.g. a preloaded EUM certificate against the CI), or
	 * NULL.  When the chain puts exactly that issuer above cert, the
	 * signature is not verified again; everything else (validity, usage,
	 * role, EID range) still is. */
	const struct sf_x509 *verified_by;
};

/* sf_pki_verify_chain with the certificates' information given (see struct
 * sf_pki_cert): the same rules, checks, codes and reasons.  Every signature
 * is verified on every call except one the caller vouches for
 * (verified_by); only the decoding of the fields is saved.  certs[0] is the
 * leaf. */
int sf_pki_verify_chain_info(const struct sf_pki_cert *ci, const struct sf_pki_cert *certs,
                             size_t n, enum sf_pki_role role, int64_t now,
                             enum sf_pki_role *leaf_role, char *reason, size_t reason_len);

/* Reads a certificate file, PEM or DER.  Returns 0, SF_EINVAL, SF_EIO,
 * SF_ENOENT, SF_ENOMEM or SF_EPKI_FORMAT. */
int sf_pki_load_cert_file(const char *path, struct sf_x509 **out);
/* Reads a private key file (PEM/DER); the buffer is wiped.  Returns 0,
 * SF_EINVAL, SF_EIO, SF_ENOENT, SF_ENOMEM, SF_ECRYPTO_KEY or SF_ECRYPTO_CURVE. */
int sf_pki_load_key_file(const char *path, struct sf_ec_key **out);

/* Options of sf_pki_init; zero/NULL fields take the defaults. */
struct sf_pki_init_opts {
	enum sf_ec_curve curve; /* 0: P-256 */
	const char *eum_prefix; /* EID prefix of the EUM: "89" + 0..28 digits; default 89049032 */
	const char *host;       /* DPtls DNS name; default localhost (plus IP 127.0.0.1) */
	int64_t now;            /* notBefore of every certificate (seconds since 1970) */
};

/* Creates a complete TEST PKI in dir (created 0700 if missing): ci, eum,
 * dpauth, dppb, dptls, eim as NAME.pem (certificate) and NAME.key (PKCS#8,
 * mode 0600), and README.txt saying it is a test PKI.  Refuses a dir that
 * already holds ci.pem.  Returns 0, SF_EINVAL (bad prefix or host),
 * SF_EEXIST, SF_EIO, SF_ENOMEM or a crypto error. */
int sf_pki_init(const char *dir, const struct sf_pki_init_opts *opts);

/* Issues an eUICC certificate under the EUM of the test PKI in dir (eum.pem,
 * eum.key): a new key on the EUM's curve, subject O = the EUM's constraint
 * O, serialNumber = eid, eUICC role policy, valid from now.  Writes
 * euicc-EID.pem and euicc-EID.key (0600) in out_dir (NULL: dir) and returns
 * their paths.  Returns 0, SF_EINVAL, SF_EPKI_EID (check digits wrong, or
 * outside the EUM's prefix), SF_EEXIST, SF_EIO, SF_ENOENT, SF_ENOMEM or a
 * crypto error. */
int sf_pki_issue_euicc(const char *dir, const char *eid, const char *out_dir, int64_t now,
                       char cert_path[SF_PKI_PATH_MAX], char key_path[SF_PKI_PATH_MAX]);

#endif
