/* Buffered system CSPRNG for a single-threaded server (rng_pool.h). */
#include "rng_pool.h"

#include <string.h>

#include "simfleet/util.h"

static int pool_fill(void *user, uint8_t *out, size_t len)
{
	struct sf_rng_pool *p = user;
	if (len > SF_RNG_POOL_LEN)
		return sf_rng_fill(sf_rng_system(), out, len);
	if (p->left < len) {
		int rc = sf_rng_fill(sf_rng_system(), p->buf, SF_RNG_POOL_LEN);
		if (rc) {
			p->left = 0;
			return rc;
		}
		p->left = SF_RNG_POOL_LEN;
	}
	uint8_t *src = p->buf + SF_RNG_POOL_LEN - p->left;
	memcpy(out, src, len);
	sf_wipe(src, len); /* handed out once */
	p->left -= len;
	return 0;
}

void sf__rng_pool_init(struct sf_rng_pool *pool)
{
	memset(pool, 0, sizeof(*pool));
	pool->rng.fill = pool_fill;
	pool->rng.user = pool;
}

void sf__rng_pool_wipe(struct sf_rng_pool *pool)
{
	sf_wipe(pool->buf, sizeof(pool->buf));
	pool->left = 0;
}
