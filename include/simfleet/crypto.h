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

#endif
