/* The system CSPRNG behind the randomness seam: OpenSSL's RAND_bytes (a
 * NIST SP 800-90A DRBG seeded from the kernel). */
#include <limits.h>

#include <openssl/rand.h>

#include "simfleet/err.h"
#include "simfleet/rng.h"

static int system_fill(void *user, uint8_t *buf, size_t len)
{
	(void)user;
	while (len) {
		int n = len > (size_t)INT_MAX ? INT_MAX : (int)len;
		if (RAND_bytes(buf, n) != 1)
			return SF_ERNG;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static const struct sf_rng system_rng = {system_fill, NULL};

const struct sf_rng *sf_rng_system(void)
{
	return &system_rng;
}
