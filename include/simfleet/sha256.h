/*
 * SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), self-contained so the
 * AKA engine's key derivations build without a host crypto library.
 */
#ifndef SIMFLEET_SHA256_H
#define SIMFLEET_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SF_SHA256_LEN 32
#define SF_SHA256_BLOCK 64

struct sf_sha256 {
	uint32_t h[8];
	uint64_t total;
	uint8_t buf[SF_SHA256_BLOCK];
	size_t fill;
};

void sf_sha256_init(struct sf_sha256 *s);
void sf_sha256_update(struct sf_sha256 *s, const void *data, size_t len);
/* Writes the digest and wipes s. */
void sf_sha256_final(struct sf_sha256 *s, uint8_t out[32]);
void sf_sha256(const void *data, size_t len, uint8_t out[32]);

struct sf_hmac_sha256 {
	struct sf_sha256 inner, outer;
};
void sf_hmac_sha256_init(struct sf_hmac_sha256 *h, const uint8_t *key, size_t key_len);
void sf_hmac_sha256_update(struct sf_hmac_sha256 *h, const void *data, size_t len);
/* Writes the MAC and wipes h. */
void sf_hmac_sha256_final(struct sf_hmac_sha256 *h, uint8_t out[32]);
void sf_hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len,
		    uint8_t out[32]);

#endif
