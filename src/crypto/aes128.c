/*
 * AES-128 modes for the BSP (SGP.22 §2.6.4): CBC without padding (NIST SP
 * 800-38A), single-block ECB for the ICV, and AES-CMAC (NIST SP 800-38B,
 * RFC 4493).  Through OpenSSL's EVP interface.
 */
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "simfleet/crypto.h"
#include "simfleet/err.h"

static int cbc(int enc, const uint8_t key[16], const uint8_t iv[16], const uint8_t *in, size_t len,
               uint8_t *out)
{
	if (!key || !iv || (len && (!in || !out)) || len % 16 || len > INT_MAX)
		return SF_EINVAL;
	if (!len)
		return 0;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c)
		return SF_ENOMEM;
	int rc = SF_ECRYPTO_BACKEND, n = 0, m = 0;
	if (EVP_CipherInit_ex2(c, EVP_aes_128_cbc(), key, iv, enc, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, (int)len) != 1 ||
	    EVP_CipherFinal_ex(c, out + n, &m) != 1 || (size_t)n + (size_t)m != len)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c); /* cleanses the key schedule */
	return rc;
}

int sf_aes128_cbc_encrypt(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
                          size_t len, uint8_t *out)
{
	return cbc(1, key, iv, in, len, out);
}

int sf_aes128_cbc_decrypt(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
                          size_t len, uint8_t *out)
{
	return cbc(0, key, iv, in, len, out);
}

int sf_aes128_ecb_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
	static const uint8_t zero[16];
	if (!in || !out)
		return SF_EINVAL;
	/* One CBC block under a zero IV is one ECB block. */
	return cbc(1, key, zero, in, 16, out);
}

int sf_aes128_cmac(const uint8_t key[16], const struct sf_crypto_part *parts, size_t n,
                   uint8_t mac[16])
{
	if (!key || !mac || (n && !parts))
		return SF_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (parts[i].len && !parts[i].p)
			return SF_EINVAL;
	int rc = SF_ECRYPTO_BACKEND;
	EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
	if (!c) {
		rc = m ? SF_ENOMEM : SF_ECRYPTO_BACKEND;
		goto out;
	}
	char cipher[] = "AES-128-CBC";
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
	    OSSL_PARAM_construct_end(),
	};
	if (EVP_MAC_init(c, key, 16, params) != 1)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (parts[i].len && EVP_MAC_update(c, parts[i].p, parts[i].len) != 1)
			goto out;
	size_t outl = 0;
	if (EVP_MAC_final(c, mac, &outl, 16) != 1 || outl != 16)
		goto out;
	rc = 0;
out:
	if (rc)
		OPENSSL_cleanse(mac, 16);
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	return rc;
}
