/*
 * Randomness seam.  Everything that needs random bytes (RAND in the AuC,
 * challenges, keys) takes a const struct sf_rng *, so tests can plug in a
 * deterministic generator and production uses the system CSPRNG.
 */
#ifndef SIMFLEET_RNG_H
#define SIMFLEET_RNG_H

#include <stddef.h>
#include <stdint.h>

struct sf_rng {
	/* Fills buf with len random bytes; returns 0 or a negative SF_E* code. */
	int (*fill)(void *user, uint8_t *buf, size_t len);
	void *user;
};

/* Fills buf from rng; SF_EINVAL when rng is NULL, SF_ERNG when it fails. */
int sf_rng_fill(const struct sf_rng *rng, uint8_t *buf, size_t len);

/* The system CSPRNG (OpenSSL RAND_bytes, through the crypto module).  The
 * returned object is static and thread-safe. */
const struct sf_rng *sf_rng_system(void);

/* Deterministic generator for tests and reproducible demos: xoshiro256**
 * seeded with splitmix64(seed).  NOT cryptographically secure. */
struct sf_rng_det {
	uint64_t s[4];
	struct sf_rng rng;
};
/* Initialises det; use &det->rng as the seam. */
void sf_rng_det_init(struct sf_rng_det *det, uint64_t seed);

#endif
