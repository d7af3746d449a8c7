/*
 * Helpers of RSP mutual authentication (GSMA SGP.22 v2.5 §3.1.2, §3.1.3):
 * the CI public key identifier, the chained signatures of §3.1.3
 * (smdpSignature2 and euiccSignature2 cover the previous signature as its
 * 5F37 data object), and hashCc (§3.1.3.2).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp_internal.h"
#include "simfleet/crypto.h"
#include "simfleet/err.h"
#include "simfleet/rsp.h"
#include "simfleet/sha256.h"
#include "simfleet/util.h"

int sf__rsp_ski(const struct sf_x509 *cert, uint8_t *out, size_t cap, size_t *len)
{
	struct sf_x509_info *in = calloc(1, sizeof(*in));
	int rc;

	if (in == NULL)
		return SF_ENOMEM;
	rc = sf_x509_get_info(cert, in);
	if (rc == 0 && (in->ski_len == 0 || in->ski_len > cap))
		rc = SF_EPKI_FORMAT;
	if (rc == 0) {
		memcpy(out, in->ski, in->ski_len);
		*len = in->ski_len;
	}
	free(in);
	return rc;
}

#define CHAIN_MAX (SF_RSP_SIGNED_MAX + 3 + SF_ECDSA_SIG_LEN)

static int chained(uint8_t *buf, const uint8_t *data, size_t len,
                   const uint8_t prev_sig[SF_ECDSA_SIG_LEN], size_t *n)
{
	if (len > SF_RSP_SIGNED_MAX)
		return SF_ERSP_FORMAT;
	memcpy(buf, data, len);
	buf[len] = 0x5F;
	buf[len + 1] = 0x37;
	buf[len + 2] = SF_ECDSA_SIG_LEN;
	memcpy(buf + len + 3, prev_sig, SF_ECDSA_SIG_LEN);
	*n = len + 3 + SF_ECDSA_SIG_LEN;
	return 0;
}

int sf__rsp_sign_chained(const struct sf_ec_key *key, const uint8_t *data, size_t len,
                         const uint8_t prev_sig[SF_ECDSA_SIG_LEN], uint8_t sig[SF_ECDSA_SIG_LEN])
{
	uint8_t buf[CHAIN_MAX];
	size_t n;
	int rc = chained(buf, data, len, prev_sig, &n);
	if (rc == 0)
		rc = sf_ecdsa_sign(key, buf, n, sig);
	return rc;
}

int sf__rsp_verify_chained(const struct sf_ec_key *key, const uint8_t *data, size_t len,
                           const uint8_t prev_sig[SF_ECDSA_SIG_LEN], const uint8_t *sig,
                           size_t sig_len)
{
	uint8_t buf[CHAIN_MAX];
	size_t n;
	int rc = chained(buf, data, len, prev_sig, &n);
	if (rc != 0)
		return rc;
	return sf_ecdsa_verify(key, buf, n, sig, sig_len) == 0 ? 0 : SF_ERSP_SIG;
}

/* hashCc = SHA-256(SHA-256(CC) || transactionId), as lpac and osmo-smdpp
 * compute it (SGP.22 §3.1.3.2: the CC is bound to the session). */
int sf_rsp_hash_cc(const uint8_t *cc, size_t cc_len, const uint8_t *tid, size_t tid_len,
                   uint8_t out[32])
{
	struct sf_sha256 h;
	uint8_t inner[32];

	if ((cc == NULL && cc_len) || tid == NULL || tid_len == 0 || out == NULL)
		return SF_EINVAL;
	sf_sha256(cc, cc_len, inner);
	sf_sha256_init(&h);
	sf_sha256_update(&h, inner, sizeof(inner));
	sf_sha256_update(&h, tid, tid_len);
	sf_sha256_final(&h, out);
	sf_wipe(inner, sizeof(inner));
	sf_wipe(&h, sizeof(h));
	return 0;
}
