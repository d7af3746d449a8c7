/*
 * SHA-256 (FIPS 180-4 §4.1.2, §4.2.2, §5.1.1, §5.3.3, §6.2) and
 * HMAC-SHA-256 (RFC 2104, FIPS 198-1).
 *
 * Self-contained so that the AKA engine's key derivations (TS 33.220 B.2 and
 * friends, kdf.c) build on a microcontroller without a host crypto library.
 * Words are loaded and stored octet by octet (big-endian as the standard
 * defines them), so the code is independent of host byte order and
 * alignment.  Every context that held message or key material is wiped when
 * its final function returns.
 */
#include "simfleet/sha256.h"

#include <string.h>

#include "simfleet/util.h"

/* FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes. */
static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static uint32_t rotr(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#define CH(x, y, z) (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x) (rotr((x), 2) ^ rotr((x), 13) ^ rotr((x), 22))
#define BSIG1(x) (rotr((x), 6) ^ rotr((x), 11) ^ rotr((x), 25))
#define SSIG0(x) (rotr((x), 7) ^ rotr((x), 18) ^ ((x) >> 3))
#define SSIG1(x) (rotr((x), 17) ^ rotr((x), 19) ^ ((x) >> 10))

/* FIPS 180-4 §6.2.2: the compression function over n consecutive blocks.
 * The message schedule is kept as a 16-word ring. */
static void compress(uint32_t h[8], const uint8_t *blk, size_t n)
{
	uint32_t w[16];
	while (n--) {
		uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
		uint32_t e = h[4], f = h[5], g = h[6], hh = h[7];
		for (int t = 0; t < 64; t++) {
			uint32_t wt;
			if (t < 16) {
				wt = load_be32(blk + 4 * t);
			} else {
				wt = SSIG1(w[(t - 2) & 15]) + w[(t - 7) & 15] +
				     SSIG0(w[(t - 15) & 15]) + w[(t - 16) & 15];
			}
			w[t & 15] = wt;
			uint32_t t1 = hh + BSIG1(e) + CH(e, f, g) + K256[t] + wt;
			uint32_t t2 = BSIG0(a) + MAJ(a, b, c);
			hh = g;
			g = f;
			f = e;
			e = d + t1;
			d = c;
			c = b;
			b = a;
			a = t1 + t2;
		}
		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
		h[4] += e;
		h[5] += f;
		h[6] += g;
		h[7] += hh;
		blk += SF_SHA256_BLOCK;
	}
	/* The schedule is derived from the message, which may be a key. */
	sf_wipe(w, sizeof(w));
}

void sf_sha256_init(struct sf_sha256 *s)
{
	/* FIPS 180-4 §5.3.3. */
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(s->h, iv, sizeof(iv));
	s->total = 0;
	s->fill = 0;
	memset(s->buf, 0, sizeof(s->buf));
}

void sf_sha256_update(struct sf_sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	if (len == 0)
		return;
	s->total += len;
	if (s->fill) {
		size_t take = SF_SHA256_BLOCK - s->fill;
		if (take > len)
			take = len;
		memcpy(s->buf + s->fill, p, take);
		s->fill += take;
		p += take;
		len -= take;
		if (s->fill < SF_SHA256_BLOCK)
			return;
		compress(s->h, s->buf, 1);
		s->fill = 0;
	}
	if (len >= SF_SHA256_BLOCK) {
		size_t nblk = len / SF_SHA256_BLOCK;
		compress(s->h, p, nblk);
		p += nblk * SF_SHA256_BLOCK;
		len -= nblk * SF_SHA256_BLOCK;
	}
	if (len) {
		memcpy(s->buf, p, len);
		s->fill = len;
	}
}

void sf_sha256_final(struct sf_sha256 *s, uint8_t out[32])
{
	/* FIPS 180-4 §5.1.1: append 1 bit, zeros to 448 mod 512, then the
	 * message length in bits as a 64-bit big-endian integer. */
	uint64_t bits = s->total << 3;
	size_t f = s->fill;
	s->buf[f++] = 0x80;
	if (f > SF_SHA256_BLOCK - 8) {
		memset(s->buf + f, 0, SF_SHA256_BLOCK - f);
		compress(s->h, s->buf, 1);
		f = 0;
	}
	memset(s->buf + f, 0, SF_SHA256_BLOCK - 8 - f);
	store_be32(s->buf + 56, (uint32_t)(bits >> 32));
	store_be32(s->buf + 60, (uint32_t)bits);
	compress(s->h, s->buf, 1);
	for (int i = 0; i < 8; i++)
		store_be32(out + 4 * i, s->h[i]);
	sf_wipe(s, sizeof(*s));
}

void sf_sha256(const void *data, size_t len, uint8_t out[32])
{
	struct sf_sha256 s;
	sf_sha256_init(&s);
	sf_sha256_update(&s, data, len);
	sf_sha256_final(&s, out);
}

/* RFC 2104 §2: H(K XOR opad, H(K XOR ipad, text)); a key longer than the
 * block is first hashed, a shorter one is padded with zeros. */
void sf_hmac_sha256_init(struct sf_hmac_sha256 *h, const uint8_t *key, size_t key_len)
{
	uint8_t k0[SF_SHA256_BLOCK];
	uint8_t pad[SF_SHA256_BLOCK];

	memset(k0, 0, sizeof(k0));
	if (key_len > SF_SHA256_BLOCK)
		sf_sha256(key, key_len, k0);
	else if (key_len)
		memcpy(k0, key, key_len);

	for (int i = 0; i < SF_SHA256_BLOCK; i++)
		pad[i] = k0[i] ^ 0x36;
	sf_sha256_init(&h->inner);
	sf_sha256_update(&h->inner, pad, sizeof(pad));
	for (int i = 0; i < SF_SHA256_BLOCK; i++)
		pad[i] = k0[i] ^ 0x5c;
	sf_sha256_init(&h->outer);
	sf_sha256_update(&h->outer, pad, sizeof(pad));

	sf_wipe(k0, sizeof(k0));
	sf_wipe(pad, sizeof(pad));
}

void sf_hmac_sha256_update(struct sf_hmac_sha256 *h, const void *data, size_t len)
{
	sf_sha256_update(&h->inner, data, len);
}

void sf_hmac_sha256_final(struct sf_hmac_sha256 *h, uint8_t out[32])
{
	uint8_t ih[SF_SHA256_LEN];
	sf_sha256_final(&h->inner, ih);
	sf_sha256_update(&h->outer, ih, sizeof(ih));
	sf_sha256_final(&h->outer, out);
	sf_wipe(ih, sizeof(ih));
	sf_wipe(h, sizeof(*h));
}

void sf_hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len,
		    uint8_t out[32])
{
	struct sf_hmac_sha256 h;
	sf_hmac_sha256_init(&h, key, key_len);
	sf_hmac_sha256_update(&h, data, len);
	sf_hmac_sha256_final(&h, out);
}
