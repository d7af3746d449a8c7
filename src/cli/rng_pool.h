/*
 * A buffered view of the system CSPRNG for one single-threaded server
 * (`auc serve`): RAND_bytes is asked for 4 KiB at a time instead of once
 * per request (OpenSSL 3 checks getpid() on every call, a system call per
 * SendAuthInfo here).  Octets are handed out once and wiped as they leave
 * the pool; a request larger than the pool goes to the system CSPRNG
 * directly.  Not thread-safe; do not use across fork().
 */
#ifndef SF_CLI_RNG_POOL_H
#define SF_CLI_RNG_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/rng.h"

#define SF_RNG_POOL_LEN 4096

struct sf_rng_pool {
	uint8_t buf[SF_RNG_POOL_LEN];
	size_t left; /* unused octets at the end of buf */
	struct sf_rng rng;
};

/* Initialises pool (empty); use &pool->rng as the seam. */
void sf__rng_pool_init(struct sf_rng_pool *pool);
/* Wipes what is left. */
void sf__rng_pool_wipe(struct sf_rng_pool *pool);

#endif
