/*
 * The AKA engine: authentication and key agreement for the USIM and the AuC.
 *
 *   Milenage            TS 35.205 / 35.206 (test data 35.207, 35.208)
 *   TUAK                TS 35.231 (test data 35.232, 35.233)
 *   XOR test algorithm  TS 34.108 §8.1.2 (used by the GSMA TS.48 test profiles)
 *   GSM conversion      TS 33.102 §6.8.1.2 (c2, c3), GSM-Milenage TS 55.205
 *   SQN management      TS 33.102 §6.3 and Annex C (SEQ/IND array, Δ, L)
 *
 * The engine does no heap allocation and depends on nothing but the C library:
 * it carries its own AES (AES-NI/VAES where the CPU has it, a constant-time
 * portable fallback otherwise), Keccak and SHA-256, so it builds for a
 * microcontroller as it is.  Every buffer that holds a secret is wiped on
 * every path; callers wipe their own copies with sf_aka_free() /
 * sf_aka_params_wipe().
 *
 * Lengths are in octets throughout.
 */
#ifndef SIMFLEET_AKA_H
#define SIMFLEET_AKA_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/rng.h"

#define SF_AKA_RAND_LEN 16
#define SF_AKA_SQN_LEN 6
#define SF_AKA_AMF_LEN 2
#define SF_AKA_AK_LEN 6
#define SF_AKA_MACS_LEN 8 /* MAC-S inside AUTS is always 64 bits */
#define SF_AKA_AUTS_LEN 14
#define SF_AKA_KC_LEN 8
#define SF_AKA_SRES_LEN 4
#define SF_AKA_MAX_KEY_LEN 32
#define SF_AKA_MAX_MAC_LEN 32
#define SF_AKA_MAX_RES_LEN 32
#define SF_AKA_MAX_CK_LEN 32
#define SF_AKA_MAX_AUTN_LEN (SF_AKA_SQN_LEN + SF_AKA_AMF_LEN + SF_AKA_MAX_MAC_LEN)

/* Largest SQN: 48 bits. */
#define SF_AKA_SQN_MAX ((uint64_t)0xFFFFFFFFFFFFull)

enum sf_aka_alg {
	SF_AKA_ALG_MILENAGE = 1,
	SF_AKA_ALG_TUAK = 2,
	SF_AKA_ALG_XOR = 3,
};

/* Parses "milenage" | "tuak" | "xor"; SF_EAKA_ALG otherwise. */
int sf_aka_alg_parse(const char *name, enum sf_aka_alg *out);
const char *sf_aka_alg_name(enum sf_aka_alg alg);

/* Milenage rotation and XOR constants (TS 35.206 §4.1).  r[i] is r(i+1) in
 * bits (0..127); c[i] is c(i+1) as a 128-bit big-endian value.  Defaults:
 * r = 64, 0, 32, 64, 96; c = 0, 1, 2, 4, 8. */
struct sf_milenage_consts {
	uint8_t r[5];
	uint8_t c[5][16];
};
void sf_milenage_consts_default(struct sf_milenage_consts *c);

/* Everything that identifies a subscriber's algorithm instance. */
struct sf_aka_params {
	enum sf_aka_alg alg;
	uint8_t k[SF_AKA_MAX_KEY_LEN];
	uint8_t k_len;   /* Milenage, XOR: 16; TUAK: 16 or 32 */
	uint8_t opc[32]; /* Milenage: OPc (16); TUAK: TOPc (32); XOR: unused */
	uint8_t opc_len;
	struct sf_milenage_consts consts; /* Milenage only */
	uint8_t mac_len;                  /* Milenage, XOR: 8; TUAK: 8, 16, 32 */
	uint8_t res_len;                  /* Milenage: 8; TUAK: 4, 8, 16, 32; XOR: 4..16 */
	uint8_t ck_len;                   /* Milenage, XOR: 16; TUAK: 16, 32 */
	uint8_t ik_len;                   /* Milenage, XOR: 16; TUAK: 16, 32 */
	uint16_t keccak_iterations;       /* TUAK: >= 1 */
};

/* Sets alg and its default lengths and constants; clears keys.
 * Milenage: MAC 8, RES 8, CK/IK 16.  TUAK: MAC 8, RES 8, CK/IK 16, 1 iteration.
 * XOR: MAC 8, RES 16, CK/IK 16. */
void sf_aka_params_init(struct sf_aka_params *p, enum sf_aka_alg alg);

/* Derives OPc (Milenage, OPc = E_K(OP) xor OP) or TOPc (TUAK, with p's
 * K and iteration count) from an operator variant OP/TOP and stores it in p.
 * p->k and p->k_len must be set first.  Returns 0, SF_EAKA_LEN (op_len is not
 * 16 for Milenage / 32 for TUAK, or bad K length), SF_EAKA_ALG (XOR has no OP). */
int sf_aka_params_set_op(struct sf_aka_params *p, const uint8_t *op, size_t op_len);

/* Checks every field of p against what its algorithm allows.  Returns 0,
 * SF_EAKA_ALG or SF_EAKA_LEN. */
int sf_aka_params_check(const struct sf_aka_params *p);

void sf_aka_params_wipe(struct sf_aka_params *p);

/* A prepared algorithm instance (key schedule done).  Caller-allocated, may
 * live on the stack; wipe with sf_aka_free(). */
struct sf_aka_ctx {
	struct sf_aka_params p;
	_Alignas(64) uint8_t rk[176]; /* AES-128 round keys of K (Milenage) */
	uint8_t std_consts;           /* Milenage: constants are the defaults */
	uint8_t ready;
};

/* Validates p and prepares ctx from it (p is copied; the caller may wipe it).
 * Returns 0, SF_EINVAL, SF_EAKA_ALG or SF_EAKA_LEN. */
int sf_aka_init(struct sf_aka_ctx *ctx, const struct sf_aka_params *p);
/* Wipes ctx.  Accepts NULL; may be called twice. */
void sf_aka_free(struct sf_aka_ctx *ctx);

/* ---- the algorithm functions (any output pointer may be NULL) ----------- */

/* f1 and f1*: MAC-A and MAC-S over SQN || RAND || AMF, ctx->p.mac_len octets
 * each.  Returns 0 or SF_EAKA_NOKEY. */
int sf_aka_f1(const struct sf_aka_ctx *ctx, const uint8_t rand[16], const uint8_t sqn[6],
	      const uint8_t amf[2], uint8_t *mac_a, uint8_t *mac_s);

/* f2, f3, f4, f5: RES (res_len), CK (ck_len), IK (ik_len), AK (6). */
int sf_aka_f2345(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t *res, uint8_t *ck,
		 uint8_t *ik, uint8_t ak[6]);

/* f5*: the anonymity key for resynchronisation (6 octets). */
int sf_aka_f5star(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t ak_star[6]);

/* ---- GSM conversion (TS 33.102 §6.8.1.2, TS 55.205) -------------------- */

/* c2: SRES = XOR of the 32-bit words of RES zero-padded to 128 bits.
 * res_len 4..16.  Returns 0 or SF_EAKA_GSM. */
int sf_aka_c2(const uint8_t *res, size_t res_len, uint8_t sres[4]);
/* c3: Kc = CK[0..63] ^ CK[64..127] ^ IK[0..63] ^ IK[64..127]. */
void sf_aka_c3(const uint8_t ck[16], const uint8_t ik[16], uint8_t kc[8]);
/* GSM-Milenage / GSM context of any algorithm: SRES and Kc from RAND through
 * f2..f4 then c2/c3 (RES <= 16 octets and CK/IK 16 octets only, else SF_EAKA_GSM). */
int sf_aka_gsm(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t sres[4], uint8_t kc[8]);

/* ---- SQN (TS 33.102 Annex C) ------------------------------------------- */

/* SQN = SEQ || IND, IND the ind_bits least significant bits. */
#define SF_SQN_IND_BITS_MAX 8
#define SF_SQN_IND_BITS_DEFAULT 5
#define SF_SQN_DELTA_DEFAULT ((uint64_t)1 << 28)

uint64_t sf_sqn_load(const uint8_t sqn[6]);
void sf_sqn_store(uint8_t sqn[6], uint64_t v);

/* USIM side state: the array SEQ_MS(0..2^ind_bits-1) and the limits. */
struct sf_sqn_ms {
	uint64_t seq[1u << SF_SQN_IND_BITS_MAX];
	uint8_t ind_bits;
	uint64_t delta;     /* Δ: largest accepted jump of SEQ over the highest SEQ_MS */
	uint64_t age_limit; /* L: 0 = age check off */
	uint64_t highest;   /* the highest SQN accepted so far (SEQ || IND) */
};

/* All SEQ_MS(i) = 0.  ind_bits 0..8, delta >= 1.  Returns 0 or SF_ERANGE. */
int sf_sqn_ms_init(struct sf_sqn_ms *ms, unsigned ind_bits, uint64_t delta, uint64_t age_limit);

/* Sets every SEQ_MS(i) to SEQ(sqn) and the highest accepted SQN to sqn, as
 * a USIM that has seen sqn in every slot.  Returns 0 or SF_ERANGE. */
int sf_sqn_ms_set_all(struct sf_sqn_ms *ms, uint64_t sqn);

/* The highest accepted SQN (SEQ_MS max || its IND), as used in AUTS. */
uint64_t sf_sqn_ms_highest(const struct sf_sqn_ms *ms);

/* Freshness check of SQN against the array, without changing it:
 * 0 (fresh) or SF_EAKA_SYNC.  Order: Δ, then L (if on), then SEQ > SEQ_MS(IND). */
int sf_sqn_ms_check(const struct sf_sqn_ms *ms, uint64_t sqn);
/* Records an accepted SQN (SEQ_MS(IND) = SEQ). */
void sf_sqn_ms_accept(struct sf_sqn_ms *ms, uint64_t sqn);

/* AuC side state: SEQ_HE of the last vector issued, and the Δ the AuC
 * assumes its USIMs apply (for resynchronisation). */
struct sf_sqn_he {
	uint64_t seq;
	uint8_t ind_bits;
	uint64_t delta; /* SF_SQN_DELTA_DEFAULT after sf_sqn_he_init */
};
int sf_sqn_he_init(struct sf_sqn_he *he, unsigned ind_bits, uint64_t seq);

/* ---- USIM side (TS 33.102 §6.3.3) -------------------------------------- */

struct sf_aka_usim_result {
	uint8_t res[SF_AKA_MAX_RES_LEN];
	uint8_t ck[SF_AKA_MAX_CK_LEN];
	uint8_t ik[SF_AKA_MAX_CK_LEN];
	uint8_t kc[SF_AKA_KC_LEN]; /* valid when has_kc */
	uint8_t auts[SF_AKA_AUTS_LEN];
	uint8_t sqn[SF_AKA_SQN_LEN]; /* the SQN recovered from AUTN */
	uint8_t res_len, ck_len, ik_len, has_kc;
};

/* Runs the USIM's procedure on (RAND, AUTN): recover SQN with AK, verify MAC-A
 * in constant time, check freshness against ms, and on success record SQN in
 * ms and return RES, CK, IK (and Kc where c3 is defined).
 * Returns 0 (r->res/ck/ik valid), SF_EAKA_MAC (nothing changed, r wiped),
 * SF_EAKA_SYNC (r->auts = Conc(SQN_MS) || MAC-S with AMF 0000, ms unchanged),
 * SF_ELEN (autn_len is not 8 + mac_len), SF_EAKA_NOKEY. */
int sf_aka_usim_authenticate(const struct sf_aka_ctx *ctx, struct sf_sqn_ms *ms,
			     const uint8_t rand[16], const uint8_t *autn, size_t autn_len,
			     struct sf_aka_usim_result *r);

/* Builds AUTS = (SQN_MS xor f5*) || f1*(SQN_MS, RAND, AMF 0000)[0..63]. */
int sf_aka_auts(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint64_t sqn_ms,
		uint8_t auts[14]);

/* ---- AuC side ------------------------------------------------------------ */

struct sf_aka_vector {
	uint8_t rand[SF_AKA_RAND_LEN];
	uint8_t autn[SF_AKA_MAX_AUTN_LEN];
	uint8_t xres[SF_AKA_MAX_RES_LEN];
	uint8_t ck[SF_AKA_MAX_CK_LEN];
	uint8_t ik[SF_AKA_MAX_CK_LEN];
	uint8_t ak[SF_AKA_AK_LEN];
	uint8_t sqn[SF_AKA_SQN_LEN];
	uint8_t autn_len, xres_len, ck_len, ik_len;
};

/* Computes one vector for a given RAND and SQN (no state). */
int sf_aka_vector_compute(const struct sf_aka_ctx *ctx, const uint8_t rand[16],
			  const uint8_t sqn[6], const uint8_t amf[2], struct sf_aka_vector *v);

/* Generates n vectors: RAND from rng (drawn in one call), SQN allocated per
 * Annex C: SEQ_HE+1 .. SEQ_HE+n, each with index ind (the serving node's or
 * domain's slot, < 2^ind_bits).  he is advanced only when all n vectors were
 * made.  Returns 0, SF_EINVAL, SF_ERANGE (ind too large), SF_EAKA_SQN (SEQ
 * would pass 2^(48-ind_bits)-1), SF_ERNG, SF_EAKA_NOKEY. */
int sf_aka_auc_generate(const struct sf_aka_ctx *ctx, struct sf_sqn_he *he, unsigned ind,
			const uint8_t amf[2], const struct sf_rng *rng, struct sf_aka_vector *out,
			size_t n);

/* Verifies AUTS for RAND (MAC-S with AMF 0000) and recovers SQN_MS.
 * Returns 0 (sqn_ms valid) or SF_EAKA_MACS. */
int sf_aka_auts_verify(const struct sf_aka_ctx *ctx, const uint8_t rand[16],
		       const uint8_t auts[14], uint64_t *sqn_ms);

/* The AuC's resynchronisation (TS 33.102 §6.3.5): verify AUTS, then keep
 * SEQ_HE if the next vector it gives (SEQ_HE + 1) is acceptable to the USIM
 * (above SEQ_MS and at most he->delta past it), and otherwise reset SEQ_HE to
 * SEQ_MS so that the next vector is SEQ_MS + 1.  Returns 0 (*sqn_ms set) or
 * SF_EAKA_MACS (he unchanged). */
int sf_aka_auc_resync(const struct sf_aka_ctx *ctx, struct sf_sqn_he *he, const uint8_t rand[16],
		      const uint8_t auts[14], uint64_t *sqn_ms);

/* Which AES implementation the engine selected at run time:
 * "vaes-avx512", "aes-ni" or "portable". */
const char *sf_aka_aes_impl(void);

#endif
