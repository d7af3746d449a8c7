/*
 * AES-128 implementation selection, shared by aes.c, milenage.c and the
 * unit tests.  Not installed.
 *
 * Three implementations share one round-key layout (rk[176], FIPS-197 §5.2
 * order: round key i is rk[16i .. 16i+15], byte j of it XORed into state
 * byte j), so a context prepared under one can be used under another:
 *   SF__AES_PORTABLE  bitsliced, constant time, C only (any target)
 *   SF__AES_NI        AES-NI, one 128-bit block per instruction (x86)
 *   SF__AES_VAES      VAES + AVX-512, four blocks per instruction (x86)
 * The choice is made once, on first use, from the CPU (cpuid, through
 * __builtin_cpu_supports) and the environment variable SIMFLEET_AES
 * (portable | aes-ni | vaes), which forces a path when the CPU has it and
 * falls back to the best available one otherwise.
 */
#ifndef SF_AES_INTERNAL_H
#define SF_AES_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "aka_internal.h"

enum sf__aes_impl {
	SF__AES_PORTABLE = 0,
	SF__AES_NI = 1,
	SF__AES_VAES = 2,
};

/* The implementation in use (resolving it on first call). */
enum sf__aes_impl sf__aes_impl_id(void);

/* Bit mask (1u << SF__AES_*) of the implementations this build and CPU can
 * run.  SF__AES_PORTABLE is always there. */
unsigned sf__aes_supported(void);

/* Switches to impl for the rest of the process (tests, benchmarks).
 * Returns 0, or SF_ENOTSUP when the build or the CPU lacks it (the
 * selection is then unchanged).  Not meant to race with encryption in
 * other threads. */
int sf__aes_select(enum sf__aes_impl impl);

/* "portable", "aes-ni" or "vaes-avx512". */
const char *sf__aes_impl_label(enum sf__aes_impl impl);

/* The portable implementation, callable directly (tests compare it with the
 * others; milenage.c uses it for the key schedule of OPc). */
void sf__aes128_encrypt_n_portable(const uint8_t rk[176], const uint8_t *in, uint8_t *out,
                                   size_t n);

#endif
