/* The randomness seam and the deterministic test generator (xoshiro256**,
 * seeded through splitmix64).  The system CSPRNG lives in src/crypto. */
#include "simfleet/rng.h"

#include <string.h>

#include "simfleet/err.h"

int sf_rng_fill(const struct sf_rng *rng, uint8_t *buf, size_t len)
{
	if (!rng || !rng->fill || (len && !buf))
		return SF_EINVAL;
	if (!len)
		return 0;
	int rc = rng->fill(rng->user, buf, len);
	return rc == 0 ? 0 : (rc < 0 ? rc : SF_ERNG);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t xoshiro_next(uint64_t s[4])
{
	uint64_t r = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

static int det_fill(void *user, uint8_t *buf, size_t len)
{
	struct sf_rng_det *d = user;
	while (len) {
		uint64_t v = xoshiro_next(d->s);
		size_t n = len < 8 ? len : 8;
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)(v >> (56 - 8 * i));
		buf += n;
		len -= n;
	}
	return 0;
}

void sf_rng_det_init(struct sf_rng_det *det, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		det->s[i] = splitmix64(&x);
	det->rng.fill = det_fill;
	det->rng.user = det;
}
