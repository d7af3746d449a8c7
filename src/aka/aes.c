/*
 * AES-128 encryption, FIPS-197 (Advanced Encryption Standard, NIST 2001,
 * updated 2023): key expansion §5.2, cipher §5.1.  Only encryption is
 * needed: Milenage (TS 35.206) uses the block cipher in the forward
 * direction only.
 *
 * Three implementations, chosen at run time (see aes_internal.h):
 *
 *  - portable: bitsliced over 64-bit words, four blocks at a time.  Plane j
 *    of the state holds bit j of each of the 64 state bytes, so every step
 *    is a fixed sequence of AND/XOR/shift on whole words.  The S-box is
 *    computed, not looked up: inversion in GF(2^8) as x^254 (FIPS-197 §5.1.1)
 *    by multiplications of bitsliced field elements, followed by the affine
 *    map.  No table is indexed and no branch depends on key or data, so the
 *    timing and the memory access pattern are independent of secrets (the
 *    point of not using the usual T-tables, which leak through the cache).
 *  - aes-ni: AESENC/AESENCLAST on 128-bit registers, eight blocks in flight.
 *  - vaes-avx512: VAESENC on 512-bit registers (four blocks each), sixteen
 *    blocks in flight.
 *
 * The x86 code is compiled with function-level target attributes, so the
 * rest of the library stays generic and the same binary runs on CPUs
 * without these extensions; on other architectures only the portable path
 * exists.
 */
#include <stdlib.h>
#include <string.h>

#include "aes_internal.h"
#include "simfleet/err.h"
#include "simfleet/util.h"

#if defined(__x86_64__) || defined(__i386__)
#define SF_AES_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

#if !defined(__STDC_NO_ATOMICS__)
#include <stdatomic.h>
#define SF_AES_ATOMIC 1
#endif

/* ===================== portable, bitsliced ============================== */

typedef uint64_t u64;

static u64 load64le(const uint8_t *p)
{
	u64 v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void store64le(uint8_t *p, u64 v)
{
	for (int i = 0; i < 8; i++) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* Exchanges the bits of x selected by m with those d positions higher. */
#define SWAPMOVE1(x, m, d)                                                                         \
	do {                                                                                       \
		u64 t_ = ((x) ^ ((x) >> (d))) & (m);                                               \
		(x) ^= t_ ^ (t_ << (d));                                                           \
	} while (0)
/* Exchanges the bits of a selected by m << d with the bits of b selected by m. */
#define SWAPMOVE2(a, b, m, d)                                                                      \
	do {                                                                                       \
		u64 t_ = (((a) >> (d)) ^ (b)) & (m);                                               \
		(b) ^= t_;                                                                         \
		(a) ^= t_ << (d);                                                                  \
	} while (0)

/*
 * Conversion between bytes and bit planes is a transposition of a 64x8 bit
 * matrix, done as an 8x8 bit transposition inside each word (element
 * (word k, byte m, bit j) -> (k, j, m)) and an 8x8 byte transposition across
 * the words ((k, m, j) -> (m, k, j)).  Each is an involution; bytes to planes
 * is bits-then-bytes, planes to bytes bytes-then-bits.
 */
static void transpose_bits(u64 w[8])
{
	for (int k = 0; k < 8; k++) {
		SWAPMOVE1(w[k], 0x00AA00AA00AA00AAull, 7);
		SWAPMOVE1(w[k], 0x0000CCCC0000CCCCull, 14);
		SWAPMOVE1(w[k], 0x00000000F0F0F0F0ull, 28);
	}
}

static void transpose_bytes(u64 w[8])
{
	for (int k = 0; k < 4; k++)
		SWAPMOVE2(w[k], w[k + 4], 0x00000000FFFFFFFFull, 32);
	for (int k = 0; k < 8; k += 4) {
		SWAPMOVE2(w[k], w[k + 2], 0x0000FFFF0000FFFFull, 16);
		SWAPMOVE2(w[k + 1], w[k + 3], 0x0000FFFF0000FFFFull, 16);
	}
	for (int k = 0; k < 8; k += 2)
		SWAPMOVE2(w[k], w[k + 1], 0x00FF00FF00FF00FFull, 8);
}

/* c = a * b in GF(2^8) = GF(2)[x] / (x^8 + x^4 + x^3 + x + 1), bitsliced. */
static void gf_mul(u64 c[8], const u64 a[8], const u64 b[8])
{
	u64 p[15];
	for (int i = 0; i < 15; i++)
		p[i] = 0;
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 8; j++)
			p[i + j] ^= a[i] & b[j];
	/* x^8 = x^4 + x^3 + x + 1 */
	for (int k = 14; k >= 8; k--) {
		p[k - 4] ^= p[k];
		p[k - 5] ^= p[k];
		p[k - 7] ^= p[k];
		p[k - 8] ^= p[k];
	}
	for (int i = 0; i < 8; i++)
		c[i] = p[i];
}

/* c = a^2 (squaring is linear over GF(2)). */
static void gf_sq(u64 c[8], const u64 a[8])
{
	u64 p[15];
	for (int i = 0; i < 15; i++)
		p[i] = 0;
	for (int i = 0; i < 8; i++)
		p[2 * i] = a[i];
	for (int k = 14; k >= 8; k--) {
		p[k - 4] ^= p[k];
		p[k - 5] ^= p[k];
		p[k - 7] ^= p[k];
		p[k - 8] ^= p[k];
	}
	for (int i = 0; i < 8; i++)
		c[i] = p[i];
}

/* SubBytes on all 64 bytes: b = x^254 (the inverse, 0 -> 0), then the
 * affine map s_i = b_i ^ b_i+4 ^ b_i+5 ^ b_i+6 ^ b_i+7 ^ c_i, c = 0x63
 * (FIPS-197 §5.1.1).  Addition chain: 2, 3, 6, 12, 15, 30, 60, 120, 240,
 * 14 = 12 + 2, 254 = 240 + 14. */
static void sub_bytes(u64 q[8])
{
	u64 x2[8], x3[8], x12[8], x14[8], x15[8], t[8], b[8];
	gf_sq(x2, q);
	gf_mul(x3, x2, q);
	gf_sq(t, x3);  /* x^6 */
	gf_sq(x12, t); /* x^12 */
	gf_mul(x15, x12, x3);
	gf_mul(x14, x12, x2);
	gf_sq(t, x15);     /* x^30 */
	gf_sq(t, t);       /* x^60 */
	gf_sq(t, t);       /* x^120 */
	gf_sq(t, t);       /* x^240 */
	gf_mul(b, t, x14); /* x^254 */
	for (int i = 0; i < 8; i++)
		q[i] = b[i] ^ b[(i + 4) & 7] ^ b[(i + 5) & 7] ^ b[(i + 6) & 7] ^ b[(i + 7) & 7];
	/* + 0x63: bits 0, 1, 5, 6 */
	q[0] = ~q[0];
	q[1] = ~q[1];
	q[5] = ~q[5];
	q[6] = ~q[6];
}

/*
 * Byte p of a block is state element s[r][c] with p = r + 4c (FIPS-197 §3.4),
 * so in each 16-bit lane of a plane, row r is the bits r, r+4, r+8, r+12.
 * ShiftRows (§5.1.2) moves s[r][c] <- s[r][c + r mod 4]: row r rotates by
 * 4r bit positions within its lane.
 */
#define REP16(m) ((u64)(m)*0x0001000100010001ull)
static u64 shift_rows1(u64 x)
{
	u64 r1 = x & REP16(0x2222), r2 = x & REP16(0x4444), r3 = x & REP16(0x8888);
	return (x & REP16(0x1111)) | ((r1 >> 4) & REP16(0x0222)) | ((r1 << 12) & REP16(0x2000)) |
	       ((r2 >> 8) & REP16(0x0044)) | ((r2 << 8) & REP16(0x4400)) |
	       ((r3 >> 12) & REP16(0x0008)) | ((r3 << 4) & REP16(0x8880));
}

/* Rotations of the four rows within each column (a 4-bit nibble):
 * rot1(x)[r] = x[r+1], rot2(x)[r] = x[r+2]. */
static u64 rot1(u64 x)
{
	return ((x >> 1) & 0x7777777777777777ull) | ((x << 3) & 0x8888888888888888ull);
}

static u64 rot2(u64 x)
{
	return ((x >> 2) & 0x3333333333333333ull) | ((x << 2) & 0xCCCCCCCCCCCCCCCCull);
}

/* MixColumns (§5.1.3): s'[r] = 2 s[r] ^ 3 s[r+1] ^ s[r+2] ^ s[r+3]
 * = 2 (s[r] ^ s[r+1]) ^ s[r+1] ^ (s[r+2] ^ s[r+3]). */
static void mix_columns(u64 q[8])
{
	u64 b[8], s[8];
	for (int i = 0; i < 8; i++) {
		b[i] = rot1(q[i]);
		s[i] = q[i] ^ b[i];
	}
	/* xtime(s): multiply by x modulo x^8 + x^4 + x^3 + x + 1 */
	u64 xt[8] = {s[7], s[0] ^ s[7], s[1], s[2] ^ s[7], s[3] ^ s[7], s[4], s[5], s[6]};
	for (int i = 0; i < 8; i++)
		q[i] = xt[i] ^ b[i] ^ rot2(s[i]);
}

/* Bit planes of 64 bytes: q[j] bit p = bit j of in[p]. */
static void bitslice64(u64 q[8], const uint8_t in[64])
{
	for (int k = 0; k < 8; k++)
		q[k] = load64le(in + 8 * k);
	transpose_bits(q);
	transpose_bytes(q);
}

static void unbitslice64(uint8_t out[64], u64 q[8])
{
	transpose_bytes(q);
	transpose_bits(q);
	for (int k = 0; k < 8; k++)
		store64le(out + 8 * k, q[k]);
}

/* Round key i as bit planes, repeated for the four blocks of a batch. */
static void bitslice_rk(u64 bk[11][8], const uint8_t rk[176])
{
	uint8_t buf[64];
	for (int i = 0; i < 11; i++) {
		for (int b = 0; b < 4; b++)
			memcpy(buf + 16 * b, rk + 16 * i, 16);
		bitslice64(bk[i], buf);
	}
	sf_wipe(buf, sizeof(buf));
}

static void portable_rounds(u64 q[8], u64 bk[11][8])
{
	for (int j = 0; j < 8; j++)
		q[j] ^= bk[0][j];
	for (int r = 1; r <= 10; r++) {
		sub_bytes(q);
		for (int j = 0; j < 8; j++)
			q[j] = shift_rows1(q[j]);
		if (r != 10)
			mix_columns(q);
		for (int j = 0; j < 8; j++)
			q[j] ^= bk[r][j];
	}
}

/* The S-box keeps its intermediate field elements in local arrays that
 * sub_bytes cannot usefully wipe on every call (it runs ten times per
 * block).  After a whole operation, this overwrites the stack area those
 * frames used (libgcrypt's "burn stack"), so no state or key material of the
 * last rounds is left behind. */
__attribute__((noinline)) static void burn_stack(void)
{
	uint8_t buf[2048];
	sf_wipe(buf, sizeof(buf));
}

void sf__aes128_encrypt_n_portable(const uint8_t rk[176], const uint8_t *in, uint8_t *out, size_t n)
{
	u64 bk[11][8], q[8];
	uint8_t buf[64];
	if (n == 0)
		return;
	bitslice_rk(bk, rk);
	while (n) {
		size_t m = n < 4 ? n : 4;
		memcpy(buf, in, 16 * m);
		if (m < 4)
			memset(buf + 16 * m, 0, 16 * (4 - m));
		bitslice64(q, buf);
		portable_rounds(q, bk);
		unbitslice64(buf, q);
		memcpy(out, buf, 16 * m);
		in += 16 * m;
		out += 16 * m;
		n -= m;
	}
	sf_wipe(bk, sizeof(bk));
	sf_wipe(q, sizeof(q));
	sf_wipe(buf, sizeof(buf));
	burn_stack();
}

/* S-box of four bytes (SubWord, §5.2), through the same bitsliced circuit. */
static void sub_word(uint8_t w[4])
{
	u64 q[8];
	for (int j = 0; j < 8; j++) {
		q[j] = 0;
		for (int p = 0; p < 4; p++)
			q[j] |= (u64)((w[p] >> j) & 1) << p;
	}
	sub_bytes(q);
	for (int p = 0; p < 4; p++) {
		uint8_t v = 0;
		for (int j = 0; j < 8; j++)
			v |= (uint8_t)(((q[j] >> p) & 1) << j);
		w[p] = v;
	}
	sf_wipe(q, sizeof(q));
}

/* KeyExpansion (§5.2) for Nk = 4, Nr = 10. */
static void portable_expand(uint8_t rk[176], const uint8_t key[16])
{
	uint8_t t[4], rcon = 1;
	memcpy(rk, key, 16);
	for (int i = 4; i < 44; i++) {
		memcpy(t, rk + 4 * (i - 1), 4);
		if (i % 4 == 0) {
			uint8_t r0 = t[0];
			t[0] = t[1];
			t[1] = t[2];
			t[2] = t[3];
			t[3] = r0;
			sub_word(t);
			t[0] ^= rcon;
			/* xtime(rcon), without a branch */
			rcon = (uint8_t)((rcon << 1) ^ (0x1b & -(rcon >> 7)));
		}
		for (int j = 0; j < 4; j++)
			rk[4 * i + j] = rk[4 * (i - 4) + j] ^ t[j];
	}
	sf_wipe(t, sizeof(t));
	burn_stack();
}

/* ===================== x86: AES-NI and VAES ============================= */

#ifdef SF_AES_X86

#define SF_TARGET_NI __attribute__((target("aes,sse4.1")))
#define SF_TARGET_VAES __attribute__((target("vaes,aes,avx512f,avx512bw,avx512vl,sse4.1")))

SF_TARGET_NI static inline __m128i ni_expand_step(__m128i k, __m128i kg)
{
	kg = _mm_shuffle_epi32(kg, 0xff);
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	return _mm_xor_si128(k, kg);
}

SF_TARGET_NI static void ni_expand(uint8_t rk[176], const uint8_t key[16])
{
	__m128i k = _mm_loadu_si128((const __m128i *)key);
	_mm_storeu_si128((__m128i *)rk, k);
#define NI_EXP(i, rcon)                                                                            \
	k = ni_expand_step(k, _mm_aeskeygenassist_si128(k, rcon));                                 \
	_mm_storeu_si128((__m128i *)(rk + 16 * (i)), k)
	NI_EXP(1, 0x01);
	NI_EXP(2, 0x02);
	NI_EXP(3, 0x04);
	NI_EXP(4, 0x08);
	NI_EXP(5, 0x10);
	NI_EXP(6, 0x20);
	NI_EXP(7, 0x40);
	NI_EXP(8, 0x80);
	NI_EXP(9, 0x1b);
	NI_EXP(10, 0x36);
#undef NI_EXP
}

SF_TARGET_NI static void ni_encrypt_n(const uint8_t rk[176], const uint8_t *in, uint8_t *out,
                                      size_t n)
{
	__m128i k[11];
	for (int i = 0; i < 11; i++)
		k[i] = _mm_loadu_si128((const __m128i *)(rk + 16 * i));
	for (; n >= 8; n -= 8, in += 128, out += 128) {
		__m128i s[8];
		for (int b = 0; b < 8; b++)
			s[b] = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(in + 16 * b)), k[0]);
		for (int r = 1; r < 10; r++)
			for (int b = 0; b < 8; b++)
				s[b] = _mm_aesenc_si128(s[b], k[r]);
		for (int b = 0; b < 8; b++)
			_mm_storeu_si128((__m128i *)(out + 16 * b),
			                 _mm_aesenclast_si128(s[b], k[10]));
	}
	for (; n; n--, in += 16, out += 16) {
		__m128i s = _mm_xor_si128(_mm_loadu_si128((const __m128i *)in), k[0]);
		for (int r = 1; r < 10; r++)
			s = _mm_aesenc_si128(s, k[r]);
		_mm_storeu_si128((__m128i *)out, _mm_aesenclast_si128(s, k[10]));
	}
}

SF_TARGET_VAES static void vaes_encrypt_n(const uint8_t rk[176], const uint8_t *in, uint8_t *out,
                                          size_t n)
{
	__m512i k[11];
	for (int i = 0; i < 11; i++)
		k[i] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(rk + 16 * i)));
	for (; n >= 16; n -= 16, in += 256, out += 256) {
		__m512i s[4];
		for (int b = 0; b < 4; b++)
			s[b] = _mm512_xor_si512(_mm512_loadu_si512(in + 64 * b), k[0]);
		for (int r = 1; r < 10; r++)
			for (int b = 0; b < 4; b++)
				s[b] = _mm512_aesenc_epi128(s[b], k[r]);
		for (int b = 0; b < 4; b++)
			_mm512_storeu_si512(out + 64 * b, _mm512_aesenclast_epi128(s[b], k[10]));
	}
	/* The rest, four blocks at a time, the last group with masked loads and
	 * stores (lanes past the end are neither read nor written). */
	for (; n;) {
		size_t m = n < 4 ? n : 4;
		__mmask8 msk = (__mmask8)((1u << (2 * m)) - 1);
		__m512i s = _mm512_maskz_loadu_epi64(msk, in);
		s = _mm512_xor_si512(s, k[0]);
		for (int r = 1; r < 10; r++)
			s = _mm512_aesenc_epi128(s, k[r]);
		s = _mm512_aesenclast_epi128(s, k[10]);
		_mm512_mask_storeu_epi64(out, msk, s);
		in += 16 * m;
		out += 16 * m;
		n -= m;
	}
}

/* CPUID.(EAX=7, ECX=0):ECX bit 9.  Asked directly because not every
 * compiler's __builtin_cpu_supports knows "vaes". */
static int cpu_has_vaes(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (c >> 9) & 1;
}

static unsigned x86_supported(void)
{
	unsigned m = 0;
	__builtin_cpu_init();
	if (__builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1"))
		m |= 1u << SF__AES_NI;
	/* __builtin_cpu_supports("avx512*") also checks that the OS saves the
	 * AVX-512 state (XCR0), which CPUID alone does not say. */
	if ((m & (1u << SF__AES_NI)) && cpu_has_vaes() && __builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
		m |= 1u << SF__AES_VAES;
	return m;
}
#endif /* SF_AES_X86 */

/* ===================== selection ======================================== */

#ifdef SF_AES_ATOMIC
static atomic_int g_impl = -1;
#define IMPL_LOAD() atomic_load_explicit(&g_impl, memory_order_relaxed)
#define IMPL_STORE(v) atomic_store_explicit(&g_impl, (v), memory_order_relaxed)
#else
static volatile int g_impl = -1;
#define IMPL_LOAD() g_impl
#define IMPL_STORE(v) (g_impl = (v))
#endif

unsigned sf__aes_supported(void)
{
	unsigned m = 1u << SF__AES_PORTABLE;
#ifdef SF_AES_X86
	m |= x86_supported();
#endif
	return m;
}

/* The best available, or the one SIMFLEET_AES asks for when it is there.
 * Every thread that races here computes the same value. */
static int resolve(void)
{
	unsigned sup = sf__aes_supported();
	int best = (sup & (1u << SF__AES_VAES)) ? SF__AES_VAES
	           : (sup & (1u << SF__AES_NI)) ? SF__AES_NI
	                                        : SF__AES_PORTABLE;
	const char *env = getenv("SIMFLEET_AES");
	if (env) {
		int want = -1;
		if (strcmp(env, "portable") == 0)
			want = SF__AES_PORTABLE;
		else if (strcmp(env, "aes-ni") == 0)
			want = SF__AES_NI;
		else if (strcmp(env, "vaes") == 0 || strcmp(env, "vaes-avx512") == 0)
			want = SF__AES_VAES;
		if (want >= 0 && (sup & (1u << want)))
			best = want;
	}
	return best;
}

enum sf__aes_impl sf__aes_impl_id(void)
{
	int v = IMPL_LOAD();
	if (v < 0) {
		v = resolve();
		IMPL_STORE(v);
	}
	return (enum sf__aes_impl)v;
}

int sf__aes_select(enum sf__aes_impl impl)
{
	if ((unsigned)impl > SF__AES_VAES || !(sf__aes_supported() & (1u << impl)))
		return SF_ENOTSUP;
	IMPL_STORE((int)impl);
	return 0;
}

const char *sf__aes_impl_label(enum sf__aes_impl impl)
{
	switch (impl) {
	case SF__AES_VAES:
		return "vaes-avx512";
	case SF__AES_NI:
		return "aes-ni";
	case SF__AES_PORTABLE:
		return "portable";
	}
	return "unknown";
}

const char *sf__aes_impl_name(void)
{
	return sf__aes_impl_label(sf__aes_impl_id());
}

/* ===================== the interface of aka_internal.h ================== */

void sf__aes128_expand(uint8_t rk[176], const uint8_t key[16])
{
#ifdef SF_AES_X86
	if (sf__aes_impl_id() != SF__AES_PORTABLE) {
		ni_expand(rk, key);
		return;
	}
#endif
	portable_expand(rk, key);
}

void sf__aes128_encrypt_n(const uint8_t rk[176], const uint8_t *in, uint8_t *out, size_t n)
{
	switch (sf__aes_impl_id()) {
#ifdef SF_AES_X86
	case SF__AES_VAES:
		vaes_encrypt_n(rk, in, out, n);
		return;
	case SF__AES_NI:
		ni_encrypt_n(rk, in, out, n);
		return;
#endif
	default:
		sf__aes128_encrypt_n_portable(rk, in, out, n);
		return;
	}
}

void sf__aes128_encrypt(const uint8_t rk[176], const uint8_t in[16], uint8_t out[16])
{
	sf__aes128_encrypt_n(rk, in, out, 1);
}
