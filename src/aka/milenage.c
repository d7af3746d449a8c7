/*
 * Milenage, 3GPP TS 35.206 (algorithm specification; §4.1 the functions
 * f1, f1*, f2, f3, f4, f5, f5*, Annex: OPc), on the AES-128 kernel of aes.c.
 * Test data: TS 35.207 / TS 35.208 (tests/vectors/milenage.tsv).
 *
 *   OPc  = E_K(OP) xor OP
 *   TEMP = E_K(RAND xor OPc)
 *   IN1  = SQN || AMF || SQN || AMF
 *   OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc
 *   OUTi = E_K(rot(TEMP xor OPc, ri) xor ci) xor OPc          i = 2..5
 *   f1 = OUT1[0..63], f1* = OUT1[64..127], f5 = OUT2[0..47],
 *   f2 = OUT2[64..127], f3 = OUT3, f4 = OUT4, f5* = OUT5[0..47]
 * rot(x, r) rotates the 128-bit x towards the most significant bit by r bits.
 *
 * Two kinds of code:
 *  - the general path, for any constants r1..r5 (0..127 bits) and c1..c5 and
 *    any AES implementation: the single functions f1, f2345, f5* and, when
 *    the constants are not the defaults, the AuC batch and the USIM check;
 *  - fast paths for the default constants (r = 64, 0, 32, 64, 96;
 *    c = 0, 1, 2, 4, 8) on AES-NI and VAES.  They use three identities:
 *      * E_K(x xor OPc): OPc folds into round key 0, and "xor OPc" after an
 *        encryption into round key 10, so TEMP xor OPc (call it X) and the
 *        OUTi come out of the cipher with no extra work;
 *      * rot by 0/32/64 bits is a dword shuffle;
 *      * IN1 is invariant under rot64, so
 *        OUT1 input = X xor IN1 xor (OPc xor rot64(OPc) xor c1).
 *    The AuC batch computes the TEMPs of sixteen vectors (four per zmm),
 *    then the four blocks OUT1..OUT4 of each vector in one zmm, sixteen zmm
 *    in flight, so the AES units never wait for a result.
 *
 * Every buffer in memory that holds key-derived data is wiped before
 * return.  Values the compiler keeps only in registers cannot be wiped from
 * C; the fast paths keep their intermediates in vector registers.
 */
#include <stddef.h>
#include <string.h>

#include "aes_internal.h"
#include "aka_internal.h"
#include "simfleet/err.h"
#include "simfleet/util.h"

#if defined(__x86_64__) || defined(__i386__)
#define SF_MIL_X86 1
#include <immintrin.h>
#endif

/* ---- general path ------------------------------------------------------- */

static void xor16(uint8_t *o, const uint8_t *a, const uint8_t *b)
{
	for (int i = 0; i < 16; i++)
		o[i] = a[i] ^ b[i];
}

/* out = in rotated towards the MSB by r bits (0..127); out != in. */
static void rot128(uint8_t out[16], const uint8_t in[16], unsigned r)
{
	unsigned q = (r >> 3) & 15, b = r & 7;
	for (unsigned k = 0; k < 16; k++) {
		unsigned hi = in[(k + q) & 15], lo = in[(k + q + 1) & 15];
		out[k] = b ? (uint8_t)((hi << b) | (lo >> (8 - b))) : (uint8_t)hi;
	}
}

/* TEMP = E_K(RAND xor OPc) for n RANDs. */
static void temp_n(const struct sf_aka_ctx *ctx, const uint8_t *rand, uint8_t *temp, size_t n)
{
	for (size_t i = 0; i < n; i++)
		xor16(temp + 16 * i, rand + 16 * i, ctx->p.opc);
	sf__aes128_encrypt_n(ctx->rk, temp, temp, n);
}

/* The input block of OUT1. */
static void in_out1(const struct sf_aka_ctx *ctx, const uint8_t temp[16], const uint8_t sqn[6],
                    const uint8_t amf[2], uint8_t blk[16])
{
	uint8_t in1[16], t[16];
	memcpy(in1, sqn, 6);
	memcpy(in1 + 6, amf, 2);
	memcpy(in1 + 8, in1, 8);
	xor16(t, in1, ctx->p.opc);
	rot128(blk, t, ctx->p.consts.r[0]);
	xor16(blk, blk, temp);
	xor16(blk, blk, ctx->p.consts.c[0]);
	sf_wipe(t, sizeof(t));
}

/* The input block of OUTi, i = 2..5. */
static void in_outi(const struct sf_aka_ctx *ctx, const uint8_t temp[16], int i, uint8_t blk[16])
{
	uint8_t t[16];
	xor16(t, temp, ctx->p.opc);
	rot128(blk, t, ctx->p.consts.r[i - 1]);
	xor16(blk, blk, ctx->p.consts.c[i - 1]);
	sf_wipe(t, sizeof(t));
}

/* Encrypts n blocks in place and XORs OPc into each. */
static void enc_opc(const struct sf_aka_ctx *ctx, uint8_t *blk, size_t n)
{
	sf__aes128_encrypt_n(ctx->rk, blk, blk, n);
	for (size_t i = 0; i < n; i++)
		xor16(blk + 16 * i, blk + 16 * i, ctx->p.opc);
}

void sf__milenage_prepare(struct sf_aka_ctx *ctx)
{
	struct sf_milenage_consts d;
	sf_milenage_consts_default(&d);
	sf__aes128_expand(ctx->rk, ctx->p.k);
	/* The constants are operator parameters, not secrets: memcmp is fine. */
	ctx->std_consts = memcmp(&d, &ctx->p.consts, sizeof(d)) == 0;
}

void sf__milenage_opc(const uint8_t k[16], const uint8_t op[16], uint8_t opc[16])
{
	_Alignas(16) uint8_t rk[176];
	uint8_t t[16];
	sf__aes128_expand(rk, k);
	sf__aes128_encrypt(rk, op, t);
	xor16(opc, t, op);
	sf_wipe(rk, sizeof(rk));
	sf_wipe(t, sizeof(t));
}

void sf__milenage_f1(const struct sf_aka_ctx *ctx, const uint8_t rand[16], const uint8_t sqn[6],
                     const uint8_t amf[2], uint8_t mac_a[8], uint8_t mac_s[8])
{
	uint8_t temp[16], out1[16];
	temp_n(ctx, rand, temp, 1);
	in_out1(ctx, temp, sqn, amf, out1);
	enc_opc(ctx, out1, 1);
	if (mac_a)
		memcpy(mac_a, out1, 8);
	if (mac_s)
		memcpy(mac_s, out1 + 8, 8);
	sf_wipe(temp, sizeof(temp));
	sf_wipe(out1, sizeof(out1));
}

void sf__milenage_f2345(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t res[8],
                        uint8_t ck[16], uint8_t ik[16], uint8_t ak[6])
{
	uint8_t temp[16], out[48];
	temp_n(ctx, rand, temp, 1);
	for (int i = 2; i <= 4; i++)
		in_outi(ctx, temp, i, out + 16 * (i - 2));
	enc_opc(ctx, out, 3);
	if (ak)
		memcpy(ak, out, 6);
	if (res)
		memcpy(res, out + 8, 8);
	if (ck)
		memcpy(ck, out + 16, 16);
	if (ik)
		memcpy(ik, out + 32, 16);
	sf_wipe(temp, sizeof(temp));
	sf_wipe(out, sizeof(out));
}

void sf__milenage_f5star(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t ak_star[6])
{
	uint8_t temp[16], out5[16];
	temp_n(ctx, rand, temp, 1);
	in_outi(ctx, temp, 5, out5);
	enc_opc(ctx, out5, 1);
	memcpy(ak_star, out5, 6);
	sf_wipe(temp, sizeof(temp));
	sf_wipe(out5, sizeof(out5));
}

/* Writes every field of v from the four output blocks OUT1..OUT4. */
static void fill_vector(struct sf_aka_vector *v, const uint8_t rand[16], const uint8_t sqn[6],
                        const uint8_t amf[2], const uint8_t out[64])
{
	memset(v, 0, sizeof(*v));
	memcpy(v->rand, rand, 16);
	memcpy(v->sqn, sqn, 6);
	memcpy(v->ak, out + 16, 6);
	for (int i = 0; i < 6; i++)
		v->autn[i] = sqn[i] ^ out[16 + i];
	memcpy(v->autn + 6, amf, 2);
	memcpy(v->autn + 8, out, 8);
	memcpy(v->xres, out + 24, 8);
	memcpy(v->ck, out + 32, 16);
	memcpy(v->ik, out + 48, 16);
	v->autn_len = 16;
	v->xres_len = 8;
	v->ck_len = 16;
	v->ik_len = 16;
}

/* AuC batch, general path: TEMP of four vectors at a time, then the four
 * blocks OUT1..OUT4 of each vector in one call (four blocks is the width of
 * the bitsliced portable cipher). */
static void gen_general(const struct sf_aka_ctx *ctx, size_t n, const uint8_t *rand,
                        const uint8_t *sqn, const uint8_t amf[2], struct sf_aka_vector *out)
{
	uint8_t temp[64], blk[64];
	for (size_t i = 0; i < n; i += 4) {
		size_t m = n - i < 4 ? n - i : 4;
		temp_n(ctx, rand + 16 * i, temp, m);
		for (size_t j = 0; j < m; j++) {
			const uint8_t *s = sqn + 6 * (i + j);
			in_out1(ctx, temp + 16 * j, s, amf, blk);
			for (int f = 2; f <= 4; f++)
				in_outi(ctx, temp + 16 * j, f, blk + 16 * (f - 1));
			enc_opc(ctx, blk, 4);
			fill_vector(out + i + j, rand + 16 * (i + j), s, amf, blk);
		}
	}
	sf_wipe(temp, sizeof(temp));
	sf_wipe(blk, sizeof(blk));
}

/* USIM check, general path. */
static int usim_general(const struct sf_aka_ctx *ctx, const uint8_t rand[16],
                        const uint8_t autn[16], uint8_t sqn[6], uint8_t res[8], uint8_t ck[16],
                        uint8_t ik[16])
{
	uint8_t temp[16], out[48], out1[16];
	temp_n(ctx, rand, temp, 1);
	for (int i = 2; i <= 4; i++)
		in_outi(ctx, temp, i, out + 16 * (i - 2));
	enc_opc(ctx, out, 3);
	for (int i = 0; i < 6; i++)
		sqn[i] = autn[i] ^ out[i];
	in_out1(ctx, temp, sqn, autn + 6, out1);
	enc_opc(ctx, out1, 1);
	int ok = sf_ct_eq(out1, autn + 8, 8);
	if (ok) {
		memcpy(res, out + 8, 8);
		memcpy(ck, out + 16, 16);
		memcpy(ik, out + 32, 16);
	}
	sf_wipe(temp, sizeof(temp));
	sf_wipe(out, sizeof(out));
	sf_wipe(out1, sizeof(out1));
	return ok ? 0 : SF_EAKA_MAC;
}

/* ---- x86 fast paths (default constants) --------------------------------- */

#ifdef SF_MIL_X86

#define SF_TARGET_NI __attribute__((target("aes,sse4.1")))
#define SF_TARGET_VAES __attribute__((target("vaes,aes,avx512f,avx512bw,avx512vl,sse4.1")))
/* Full unrolling keeps the per-vector blocks in registers and turns the
 * lane numbers into the immediates the shuffles need. */
#define SF_UNROLL _Pragma("GCC unroll 16")

/* SQN || AMF as the low 64 bits of an integer, memory order. */
static inline uint64_t sqn_amf64(const uint8_t sqn[6], uint64_t amf_hi)
{
	/* x86 is little endian: octet 0 in bits 0..7.  Two loads, not a
	 * 6-octet copy into a zeroed 8-octet variable: that would stall store
	 * forwarding. */
	uint32_t lo;
	uint16_t hi;
	memcpy(&lo, sqn, 4);
	memcpy(&hi, sqn + 4, 2);
	return (uint64_t)lo | (uint64_t)hi << 32 | amf_hi;
}

/* The constant part of OUT1's input with the default constants:
 * OPc xor rot64(OPc) xor c1. */
SF_TARGET_NI static inline __m128i k_out1(const struct sf_aka_ctx *ctx, __m128i opc)
{
	__m128i c1 = _mm_loadu_si128((const __m128i *)ctx->p.consts.c[0]);
	return _mm_xor_si128(_mm_xor_si128(opc, _mm_shuffle_epi32(opc, _MM_SHUFFLE(1, 0, 3, 2))),
	                     c1);
}

/* store_vector writes the last 16 octets (ak, sqn, the four lengths) with one store. */
_Static_assert(offsetof(struct sf_aka_vector, ak) + 16 == sizeof(struct sf_aka_vector) &&
                   offsetof(struct sf_aka_vector, sqn) == offsetof(struct sf_aka_vector, ak) + 6 &&
                   offsetof(struct sf_aka_vector, autn_len) ==
                       offsetof(struct sf_aka_vector, ak) + 12 &&
                   offsetof(struct sf_aka_vector, ik_len) ==
                       offsetof(struct sf_aka_vector, ak) + 15,
               "struct sf_aka_vector layout");

/* Stores the fields of one vector from OUT1..OUT4 (o1..o4), a = SQN || AMF. */
SF_TARGET_NI static inline void store_vector(struct sf_aka_vector *v, const uint8_t *rand,
                                             uint64_t a, __m128i o1, __m128i o2, __m128i o3,
                                             __m128i o4)
{
	const __m128i m48 = _mm_set_epi64x(0, 0xFFFFFFFFFFFFll);
	const __m128i z = _mm_setzero_si128();
	uint8_t *p = (uint8_t *)v;
	__m128i ak = _mm_and_si128(o2, m48);
	/* AUTN = SQN xor AK || AMF || MAC-A */
	__m128i autn = _mm_unpacklo_epi64(_mm_xor_si128(ak, _mm_set_epi64x(0, (long long)a)), o1);
	/* ak(6) || sqn(6) || autn_len, xres_len, ck_len, ik_len */
	__m128i tail = _mm_or_si128(
	    _mm_or_si128(ak,
	                 _mm_slli_si128(_mm_set_epi64x(0, (long long)(a & 0xFFFFFFFFFFFFull)), 6)),
	    _mm_set_epi32(0x10100810, 0, 0, 0));
	_mm_storeu_si128((__m128i *)(p + offsetof(struct sf_aka_vector, rand)),
	                 _mm_loadu_si128((const __m128i *)rand));
	_mm_storeu_si128((__m128i *)(p + offsetof(struct sf_aka_vector, autn)), autn);
	_mm_storeu_si128((__m128i *)(p + offsetof(struct sf_aka_vector, autn) + 16), z);
	_mm_storel_epi64((__m128i *)(p + offsetof(struct sf_aka_vector, autn) + 32), z);
	_mm_storeu_si128((__m128i *)(p + offsetof(struct sf_aka_vector, xres)),
	                 _mm_unpackhi_epi64(o2, z));
	_mm_storeu_si128((__m128i *)(p + offsetof(struct sf_aka_vector, xres) + 16), z);
	_mm_storeu_si128((__m128i *)(p + offsetof(struct sf_aka_vector, ck)), o3);
	_mm_storeu_si128((__m128i *)(p + offsetof(struct sf_aka_vector, ck) + 16), z);
	_mm_storeu_si128((__m128i *)(p + offsetof(struct sf_aka_vector, ik)), o4);
	_mm_storeu_si128((__m128i *)(p + offsetof(struct sf_aka_vector, ik) + 16), z);
	_mm_storeu_si128((__m128i *)(p + offsetof(struct sf_aka_vector, ak)), tail);
}

/* AES-NI: four vectors at a time (four TEMPs, then sixteen OUT blocks in two
 * rounds of eight, so the xmm registers are not spilled). */
SF_TARGET_NI static void gen_ni(const struct sf_aka_ctx *ctx, size_t n, const uint8_t *rand,
                                const uint8_t *sqn, const uint8_t amf[2], struct sf_aka_vector *out)
{
	__m128i rk[11];
	for (int i = 0; i < 11; i++)
		rk[i] = _mm_loadu_si128((const __m128i *)(ctx->rk + 16 * i));
	const __m128i opc = _mm_loadu_si128((const __m128i *)ctx->p.opc);
	const __m128i rk0o = _mm_xor_si128(rk[0], opc), rk10o = _mm_xor_si128(rk[10], opc);
	const __m128i k1 = k_out1(ctx, opc);
	const __m128i c2 = _mm_loadu_si128((const __m128i *)ctx->p.consts.c[1]);
	const __m128i c3 = _mm_loadu_si128((const __m128i *)ctx->p.consts.c[2]);
	const __m128i c4 = _mm_loadu_si128((const __m128i *)ctx->p.consts.c[3]);
	const uint64_t amf_hi = (uint64_t)amf[0] << 48 | (uint64_t)amf[1] << 56;

	for (size_t i = 0; i < n; i += 4) {
		size_t m = n - i < 4 ? n - i : 4;
		__m128i x[4];
		for (size_t j = 0; j < 4; j++)
			x[j] = _mm_xor_si128(
			    _mm_loadu_si128((const __m128i *)(rand + 16 * (i + (j < m ? j : 0)))),
			    rk0o);
		for (int r = 1; r < 10; r++)
			for (int j = 0; j < 4; j++)
				x[j] = _mm_aesenc_si128(x[j], rk[r]);
		for (int j = 0; j < 4; j++)
			x[j] = _mm_aesenclast_si128(x[j], rk10o); /* TEMP xor OPc */

		for (size_t h = 0; h < m; h += 2) {
			__m128i s[8];
			uint64_t a[2];
			for (size_t j = 0; j < 2; j++) {
				size_t v = h + j < m ? h + j : h;
				a[j] = sqn_amf64(sqn + 6 * (i + v), amf_hi);
				__m128i X = x[v];
				s[4 * j + 0] = _mm_xor_si128(
				    _mm_xor_si128(X, _mm_set1_epi64x((long long)a[j])), k1);
				s[4 * j + 1] = _mm_xor_si128(X, c2);
				s[4 * j + 2] = _mm_xor_si128(
				    _mm_shuffle_epi32(X, _MM_SHUFFLE(0, 3, 2, 1)), c3);
				s[4 * j + 3] = _mm_xor_si128(
				    _mm_shuffle_epi32(X, _MM_SHUFFLE(1, 0, 3, 2)), c4);
			}
			for (int b = 0; b < 8; b++)
				s[b] = _mm_xor_si128(s[b], rk[0]);
			for (int r = 1; r < 10; r++)
				for (int b = 0; b < 8; b++)
					s[b] = _mm_aesenc_si128(s[b], rk[r]);
			for (int b = 0; b < 8; b++)
				s[b] = _mm_aesenclast_si128(s[b], rk10o);
			for (size_t j = 0; j < 2 && h + j < m; j++)
				store_vector(out + i + h + j, rand + 16 * (i + h + j), a[j],
				             s[4 * j], s[4 * j + 1], s[4 * j + 2], s[4 * j + 3]);
		}
	}
}

/*
 * VAES: G vectors per step (G = 16 or 4, a compile-time constant after
 * inlining).  The TEMPs of four vectors share a zmm; then each vector gets
 * one zmm whose four lanes are the inputs of OUT1..OUT4:
 *   broadcast(X) shuffled per lane (identity, identity, rot32, rot64)
 *   xor [ IN1 xor K1, c2, c3, c4 ].
 */
SF_TARGET_VAES static inline __attribute__((always_inline)) void
vaes_group(const __m512i rk[11], __m512i rk0o, __m512i rk10o, __m512i ctrl, __m512i ybase,
           uint64_t amf_hi, const uint8_t *rand, const uint8_t *sqn, struct sf_aka_vector *out,
           const int G)
{
	__m512i x[4], s[16];
	SF_UNROLL
	for (int j = 0; j < G / 4; j++)
		x[j] = _mm512_xor_si512(_mm512_loadu_si512(rand + 64 * j), rk0o);
	SF_UNROLL
	for (int r = 1; r < 10; r++) {
		SF_UNROLL
		for (int j = 0; j < G / 4; j++)
			x[j] = _mm512_aesenc_epi128(x[j], rk[r]);
	}
	SF_UNROLL
	for (int j = 0; j < G / 4; j++)
		x[j] = _mm512_aesenclast_epi128(x[j], rk10o); /* TEMP xor OPc */

	uint64_t a[16];
	SF_UNROLL
	for (int v = 0; v < G; v++) {
		a[v] = sqn_amf64(sqn + 6 * v, amf_hi);
		__m512i b;
		switch (v & 3) { /* the lane index must be an immediate */
		case 0:
			b = _mm512_shuffle_i32x4(x[v >> 2], x[v >> 2], 0x00);
			break;
		case 1:
			b = _mm512_shuffle_i32x4(x[v >> 2], x[v >> 2], 0x55);
			break;
		case 2:
			b = _mm512_shuffle_i32x4(x[v >> 2], x[v >> 2], 0xAA);
			break;
		default:
			b = _mm512_shuffle_i32x4(x[v >> 2], x[v >> 2], 0xFF);
			break;
		}
		b = _mm512_shuffle_epi8(b, ctrl);
		__m512i y = _mm512_xor_si512(ybase, _mm512_maskz_set1_epi64(0x03, (long long)a[v]));
		s[v] = _mm512_ternarylogic_epi64(b, y, rk[0], 0x96); /* b ^ y ^ rk0 */
	}
	SF_UNROLL
	for (int r = 1; r < 10; r++) {
		SF_UNROLL
		for (int v = 0; v < G; v++)
			s[v] = _mm512_aesenc_epi128(s[v], rk[r]);
	}
	SF_UNROLL
	for (int v = 0; v < G; v++)
		s[v] = _mm512_aesenclast_epi128(s[v], rk10o);
	SF_UNROLL
	for (int v = 0; v < G; v++)
		store_vector(out + v, rand + 16 * v, a[v], _mm512_castsi512_si128(s[v]),
		             _mm512_extracti32x4_epi32(s[v], 1), _mm512_extracti32x4_epi32(s[v], 2),
		             _mm512_extracti32x4_epi32(s[v], 3));
}

SF_TARGET_VAES static void gen_vaes(const struct sf_aka_ctx *ctx, size_t n, const uint8_t *rand,
                                    const uint8_t *sqn, const uint8_t amf[2],
                                    struct sf_aka_vector *out)
{
	__m512i rk[11];
	for (int i = 0; i < 11; i++)
		rk[i] =
		    _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(ctx->rk + 16 * i)));
	const __m128i opc = _mm_loadu_si128((const __m128i *)ctx->p.opc);
	const __m512i opc4 = _mm512_broadcast_i32x4(opc);
	const __m512i rk0o = _mm512_xor_si512(rk[0], opc4), rk10o = _mm512_xor_si512(rk[10], opc4);
	/* per lane: identity, identity, rot32 (octet k <- k+4), rot64 (k <- k+8) */
	const __m512i ctrl =
	    _mm512_set_epi32(0x07060504, 0x03020100, 0x0f0e0d0c, 0x0b0a0908, 0x03020100, 0x0f0e0d0c,
	                     0x0b0a0908, 0x07060504, 0x0f0e0d0c, 0x0b0a0908, 0x07060504, 0x03020100,
	                     0x0f0e0d0c, 0x0b0a0908, 0x07060504, 0x03020100);
	__m512i ybase = _mm512_castsi128_si512(k_out1(ctx, opc));
	ybase = _mm512_inserti32x4(ybase, _mm_loadu_si128((const __m128i *)ctx->p.consts.c[1]), 1);
	ybase = _mm512_inserti32x4(ybase, _mm_loadu_si128((const __m128i *)ctx->p.consts.c[2]), 2);
	ybase = _mm512_inserti32x4(ybase, _mm_loadu_si128((const __m128i *)ctx->p.consts.c[3]), 3);
	const uint64_t amf_hi = (uint64_t)amf[0] << 48 | (uint64_t)amf[1] << 56;

	size_t i = 0;
	for (; i + 16 <= n; i += 16)
		vaes_group(rk, rk0o, rk10o, ctrl, ybase, amf_hi, rand + 16 * i, sqn + 6 * i,
		           out + i, 16);
	for (; i + 4 <= n; i += 4)
		vaes_group(rk, rk0o, rk10o, ctrl, ybase, amf_hi, rand + 16 * i, sqn + 6 * i,
		           out + i, 4);
	if (i < n) {
		/* 1..3 left: run a padded group of four on copies. */
		_Alignas(64) uint8_t r4[64] = {0}, s4[24] = {0};
		struct sf_aka_vector v4[4];
		size_t m = n - i;
		memcpy(r4, rand + 16 * i, 16 * m);
		memcpy(s4, sqn + 6 * i, 6 * m);
		vaes_group(rk, rk0o, rk10o, ctrl, ybase, amf_hi, r4, s4, v4, 4);
		memcpy(out + i, v4, m * sizeof(v4[0]));
		sf_wipe(v4, sizeof(v4));
	}
}

/* USIM check: TEMP, then OUT2 (AK, RES), OUT3, OUT4 side by side, then OUT1
 * over the recovered SQN.  Three dependent AES passes. */
SF_TARGET_NI static int usim_ni(const struct sf_aka_ctx *ctx, const uint8_t rand[16],
                                const uint8_t autn[16], uint8_t sqn[6], uint8_t res[8],
                                uint8_t ck[16], uint8_t ik[16])
{
	const uint8_t *rk = ctx->rk;
#define RK(i) _mm_loadu_si128((const __m128i *)(rk + 16 * (i)))
	const __m128i opc = _mm_loadu_si128((const __m128i *)ctx->p.opc);
	const __m128i rk10o = _mm_xor_si128(RK(10), opc);
	__m128i x =
	    _mm_xor_si128(_mm_loadu_si128((const __m128i *)rand), _mm_xor_si128(RK(0), opc));
	for (int r = 1; r < 10; r++)
		x = _mm_aesenc_si128(x, RK(r));
	x = _mm_aesenclast_si128(x, rk10o); /* TEMP xor OPc */

	const __m128i k0 = RK(0);
	__m128i o2 = _mm_xor_si128(
	    _mm_xor_si128(x, _mm_loadu_si128((const __m128i *)ctx->p.consts.c[1])), k0);
	__m128i o3 =
	    _mm_xor_si128(_mm_xor_si128(_mm_shuffle_epi32(x, _MM_SHUFFLE(0, 3, 2, 1)),
	                                _mm_loadu_si128((const __m128i *)ctx->p.consts.c[2])),
	                  k0);
	__m128i o4 =
	    _mm_xor_si128(_mm_xor_si128(_mm_shuffle_epi32(x, _MM_SHUFFLE(1, 0, 3, 2)),
	                                _mm_loadu_si128((const __m128i *)ctx->p.consts.c[3])),
	                  k0);
	for (int r = 1; r < 10; r++) {
		__m128i k = RK(r);
		o2 = _mm_aesenc_si128(o2, k);
		o3 = _mm_aesenc_si128(o3, k);
		o4 = _mm_aesenc_si128(o4, k);
	}
	o2 = _mm_aesenclast_si128(o2, rk10o);
	o3 = _mm_aesenclast_si128(o3, rk10o);
	o4 = _mm_aesenclast_si128(o4, rk10o);

	/* SQN || AMF = (SQN xor AK || AMF) xor (AK || 0) */
	const __m128i m48 = _mm_set_epi64x(0, 0xFFFFFFFFFFFFll);
	__m128i sa = _mm_xor_si128(_mm_loadl_epi64((const __m128i *)autn), _mm_and_si128(o2, m48));
	__m128i o1 = _mm_xor_si128(_mm_xor_si128(x, _mm_unpacklo_epi64(sa, sa)), k_out1(ctx, opc));
	o1 = _mm_xor_si128(o1, k0);
	for (int r = 1; r < 10; r++)
		o1 = _mm_aesenc_si128(o1, RK(r));
	o1 = _mm_aesenclast_si128(o1, rk10o);
#undef RK

	uint8_t sbuf[16];
	_mm_storeu_si128((__m128i *)sbuf, sa);
	memcpy(sqn, sbuf, 6);
	/* XMAC = MAC-A, all 64 bits compared at once (constant time). */
	__m128i d = _mm_xor_si128(o1, _mm_loadl_epi64((const __m128i *)(autn + 8)));
	int ok = _mm_testz_si128(d, _mm_set_epi64x(0, -1));
	if (!ok)
		return SF_EAKA_MAC;
	_mm_storel_epi64((__m128i *)res, _mm_unpackhi_epi64(o2, o2));
	_mm_storeu_si128((__m128i *)ck, o3);
	_mm_storeu_si128((__m128i *)ik, o4);
	return 0;
}

#endif /* SF_MIL_X86 */

/* ---- dispatch ----------------------------------------------------------- */

void sf__milenage_gen(const struct sf_aka_ctx *ctx, size_t n, const uint8_t *rand,
                      const uint8_t *sqn, const uint8_t amf[2], struct sf_aka_vector *out)
{
#ifdef SF_MIL_X86
	if (ctx->std_consts) {
		switch (sf__aes_impl_id()) {
		case SF__AES_VAES:
			gen_vaes(ctx, n, rand, sqn, amf, out);
			return;
		case SF__AES_NI:
			gen_ni(ctx, n, rand, sqn, amf, out);
			return;
		default:
			break;
		}
	}
#endif
	gen_general(ctx, n, rand, sqn, amf, out);
}

int sf__milenage_usim(const struct sf_aka_ctx *ctx, const uint8_t rand[16], const uint8_t autn[16],
                      uint8_t sqn[6], uint8_t res[8], uint8_t ck[16], uint8_t ik[16])
{
#ifdef SF_MIL_X86
	if (ctx->std_consts && sf__aes_impl_id() != SF__AES_PORTABLE)
		return usim_ni(ctx, rand, autn, sqn, res, ck, ik);
#endif
	return usim_general(ctx, rand, autn, sqn, res, ck, ik);
}
