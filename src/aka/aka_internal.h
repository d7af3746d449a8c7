/*
 * Internal interfaces between the AKA engine's files.  Not installed.
 * All functions take a prepared context (sf_aka_init) and never fail: the
 * public wrappers in aka.c validate arguments first.  Output pointers may be
 * NULL where noted.
 */
#ifndef SF_AKA_INTERNAL_H
#define SF_AKA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/aka.h"

/* ---- AES-128 (aes.c) ----------------------------------------------------- */

/* Expands a 128-bit key into 11 round keys (176 octets, FIPS-197 order). */
void sf__aes128_expand(uint8_t rk[176], const uint8_t key[16]);
/* One block. in and out may alias. */
void sf__aes128_encrypt(const uint8_t rk[176], const uint8_t in[16], uint8_t out[16]);
/* n independent blocks under one key (interleaved where the CPU allows). */
void sf__aes128_encrypt_n(const uint8_t rk[176], const uint8_t *in, uint8_t *out, size_t n);
/* "vaes-avx512", "aes-ni" or "portable"; honours SIMFLEET_AES=portable|aes-ni|vaes
 * in the environment (for tests of every path on one machine). */
const char *sf__aes_impl_name(void);

/* ---- Milenage (milenage.c, TS 35.206) ---------------------------------- */

/* Expands K into ctx->rk and sets ctx->std_consts. */
void sf__milenage_prepare(struct sf_aka_ctx *ctx);
void sf__milenage_opc(const uint8_t k[16], const uint8_t op[16], uint8_t opc[16]);
void sf__milenage_f1(const struct sf_aka_ctx *ctx, const uint8_t rand[16], const uint8_t sqn[6],
		     const uint8_t amf[2], uint8_t mac_a[8], uint8_t mac_s[8]);
void sf__milenage_f2345(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t res[8],
			uint8_t ck[16], uint8_t ik[16], uint8_t ak[6]);
void sf__milenage_f5star(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t ak_star[6]);
/* AuC fast path: n vectors, vector i from rand + 16*i and sqn + 6*i, AMF amf.
 * Fills every field of out[i] (rand, sqn, autn, xres, ck, ik, ak, lengths). */
void sf__milenage_gen(const struct sf_aka_ctx *ctx, size_t n, const uint8_t *rand,
		      const uint8_t *sqn, const uint8_t amf[2], struct sf_aka_vector *out);
/* USIM fast path: from RAND and AUTN (16 octets) computes AK, SQN, XMAC and
 * compares it with MAC-A in constant time.  Returns 0 (MAC ok: sqn, res, ck,
 * ik written) or SF_EAKA_MAC (nothing written but sqn; scratch wiped). */
int sf__milenage_usim(const struct sf_aka_ctx *ctx, const uint8_t rand[16], const uint8_t autn[16],
		      uint8_t sqn[6], uint8_t res[8], uint8_t ck[16], uint8_t ik[16]);

/* ---- TUAK (tuak.c, TS 35.231) ----------------------------------------- */

/* Keccak-f[1600], 24 rounds, on 25 lanes (lane i = state octets 8i..8i+7,
 * little-endian). */
void sf__keccak_f1600(uint64_t st[25]);
/* TOPc from TOP with K (16 or 32 octets) and the iteration count. */
void sf__tuak_topc(const uint8_t *k, size_t k_len, const uint8_t top[32], unsigned iterations,
		   uint8_t topc[32]);
/* Lengths come from ctx->p (mac_len, res_len, ck_len, ik_len). */
void sf__tuak_f1(const struct sf_aka_ctx *ctx, const uint8_t rand[16], const uint8_t sqn[6],
		 const uint8_t amf[2], uint8_t *mac_a, uint8_t *mac_s);
void sf__tuak_f2345(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t *res,
		    uint8_t *ck, uint8_t *ik, uint8_t ak[6]);
void sf__tuak_f5star(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t ak_star[6]);

/* ---- XOR test algorithm (xor.c, TS 34.108 §8.1.2) ----------------------- */

void sf__xor_f1(const struct sf_aka_ctx *ctx, const uint8_t rand[16], const uint8_t sqn[6],
		const uint8_t amf[2], uint8_t mac_a[8], uint8_t mac_s[8]);
void sf__xor_f2345(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t *res,
		   uint8_t ck[16], uint8_t ik[16], uint8_t ak[6]);
void sf__xor_f5star(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t ak_star[6]);

#endif
