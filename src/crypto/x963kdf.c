/*
 * ANSI X9.63 key derivation function with SHA-256 (as specified in BSI
 * TR-03111 §4.3.3 and SEC 1 §3.6.1), used by SGP.22 §2.6.4.2 to turn the ECKA
 * shared secret into the BSP session keys.  Built on the project's own
 * SHA-256 (src/common/sha256.c): the inputs are tiny, and this keeps the
 * derivation free of heap allocation.
 */
#include "simfleet/crypto.h"
#include "simfleet/err.h"
#include "simfleet/sha256.h"
#include "simfleet/util.h"

int sf_x963_kdf_sha256(const uint8_t *z, size_t z_len, const uint8_t *shared_info, size_t si_len,
                       uint8_t *out, size_t out_len)
{
	if (!z || !z_len || (si_len && !shared_info) || !out || !out_len ||
	    out_len > 255u * SF_SHA256_LEN)
		return SF_EINVAL;
	struct sf_sha256 h;
	uint8_t block[SF_SHA256_LEN];
	/* The counter is a 32-bit big-endian integer starting at 00000001. */
	for (uint32_t counter = 1; out_len; counter++) {
		uint8_t c[4] = {(uint8_t)(counter >> 24), (uint8_t)(counter >> 16),
		                (uint8_t)(counter >> 8), (uint8_t)counter};
		sf_sha256_init(&h);
		sf_sha256_update(&h, z, z_len);
		sf_sha256_update(&h, c, sizeof(c));
		if (si_len)
			sf_sha256_update(&h, shared_info, si_len);
		sf_sha256_final(&h, block); /* wipes h */
		size_t n = out_len < sizeof(block) ? out_len : sizeof(block);
		for (size_t i = 0; i < n; i++)
			out[i] = block[i];
		out += n;
		out_len -= n;
	}
	sf_wipe(block, sizeof(block));
	return 0;
}
