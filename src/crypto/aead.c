/* AES-256-GCM through OpenSSL's EVP interface (NIST SP 800-38D). */
#include <limits.h>
#include <string.h>

#include <openssl/evp.h>

#include "simfleet/crypto.h"
#include "simfleet/err.h"
#include "simfleet/util.h"

static int gcm(int enc, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
	       size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
	if (!key || !nonce || !tag || (aad_len && !aad) || (len && (!in || !out)))
		return SF_EINVAL;
	if (len > INT_MAX || aad_len > INT_MAX)
		return SF_EINVAL;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c)
		return SF_ENOMEM;
	int rc = SF_EINTERNAL, n = 0;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) != 1)
		goto out;
	if (aad_len && EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) != 1)
		goto out;
	if (len && EVP_CipherUpdate(c, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out ? out + n : NULL, &n) != 1) {
		rc = enc ? SF_EINTERNAL : SF_ECRYPTO_AUTH;
		if (!enc && len)
			sf_wipe(out, len);
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

int sf_aes256gcm_seal(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
		      size_t aad_len, const uint8_t *pt, size_t pt_len, uint8_t *ct,
		      uint8_t tag[16])
{
	return gcm(1, key, nonce, aad, aad_len, pt, pt_len, ct, tag);
}

int sf_aes256gcm_open(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
		      size_t aad_len, const uint8_t *ct, size_t ct_len, const uint8_t tag[16],
		      uint8_t *pt)
{
	uint8_t t[16];
	if (!tag)
		return SF_EINVAL;
	memcpy(t, tag, 16);
	return gcm(0, key, nonce, aad, aad_len, ct, ct_len, pt, t);
}
