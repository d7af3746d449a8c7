/*
 * TUAK (3GPP TS 35.231): the authentication and key generation functions
 * f1, f1*, f2, f3, f4, f5, f5* and the TOPc derivation, built on the
 * Keccak-f[1600] permutation (FIPS 202 §3, 24 rounds).  Test data:
 * TS 35.232 / 35.233.
 *
 * Every TUAK function fills one 1600-bit Keccak state with the following
 * (TS 35.231; each big-endian input is stored octet-reversed, least
 * significant octet first, matching the little-endian lanes):
 *
 *   octet   0.. 31  TOPc (or TOP when deriving TOPc)
 *           32      INSTANCE: selects the function and the output lengths
 *           33.. 39 ALGONAME "TUAK1.0"
 *           40.. 55 RAND
 *           56.. 57 AMF      (zero for f2..f5*)
 *           58.. 63 SQN      (zero for f2..f5*)
 *           64.. 95 K        (a 128-bit K is followed by 16 zero octets)
 *           96      0x1F     (SHAKE-style padding ... )
 *           135     0x80     (... closing a 136-octet rate)
 *           rest    zero
 *
 * permutes it KeccakIterations times and reads the outputs, again
 * octet-reversed, from octets 0 (TOPc, MAC, RES), 32 (CK), 64 (IK) and
 * 96 (AK).  See ../../../shared/notes/aka.md §4.
 *
 * Lanes are built from the inputs and read back octet by octet (lane i =
 * state octets 8i..8i+7, little-endian, as FIPS 202 §3.1.2 orders them), so
 * this file is correct on any host byte order and never casts a byte buffer
 * to uint64_t *.  Every state array that held K-derived data is wiped before
 * return; the permutation's own locals (registers, spilled stack slots) are
 * not, as in other portable Keccak code.
 */
#include <string.h>

#include "aka_internal.h"
#include "simfleet/util.h"

/* ---- Keccak-f[1600] ----------------------------------------------------- */

#define ROL64(a, n) (((a) << (n)) | ((a) >> (64 - (n))))

/* FIPS 202 §3.2.5 round constants (iota). */
static const uint64_t RC[24] = {
	UINT64_C(0x0000000000000001), UINT64_C(0x0000000000008082), UINT64_C(0x800000000000808a),
	UINT64_C(0x8000000080008000), UINT64_C(0x000000000000808b), UINT64_C(0x0000000080000001),
	UINT64_C(0x8000000080008081), UINT64_C(0x8000000000008009), UINT64_C(0x000000000000008a),
	UINT64_C(0x0000000000000088), UINT64_C(0x0000000080008009), UINT64_C(0x000000008000000a),
	UINT64_C(0x000000008000808b), UINT64_C(0x800000000000008b), UINT64_C(0x8000000000008089),
	UINT64_C(0x8000000000008003), UINT64_C(0x8000000000008002), UINT64_C(0x8000000000000080),
	UINT64_C(0x000000000000800a), UINT64_C(0x800000008000000a), UINT64_C(0x8000000080008081),
	UINT64_C(0x8000000000008080), UINT64_C(0x0000000080000001), UINT64_C(0x8000000080008008),
};

/*
 * One round, theta, rho, pi, chi and iota, from the 25 lanes prefixed src to
 * the 25 lanes prefixed dst, fully unrolled (the lane-complementing-free
 * "opt64" form of the Keccak team's reference code).  Lane names: the first
 * letter is the row y = b, g, k, m, s (0..4), the second the column
 * x = a, e, i, o, u (0..4); lane (x, y) is st[x + 5y].  For each output plane
 * y, B[x] = ROT(A[x'][x] ^ D[x'], r[x'][x]) with x' = 3(y - 3x) mod 5 (pi
 * inverted), then chi across the plane.
 */
#define KECCAK_ROUND(src, dst, rc) \
	do { \
		Ca = src##ba ^ src##ga ^ src##ka ^ src##ma ^ src##sa; \
		Ce = src##be ^ src##ge ^ src##ke ^ src##me ^ src##se; \
		Ci = src##bi ^ src##gi ^ src##ki ^ src##mi ^ src##si; \
		Co = src##bo ^ src##go ^ src##ko ^ src##mo ^ src##so; \
		Cu = src##bu ^ src##gu ^ src##ku ^ src##mu ^ src##su; \
		Da = Cu ^ ROL64(Ce, 1);                               \
		De = Ca ^ ROL64(Ci, 1);                               \
		Di = Ce ^ ROL64(Co, 1);                               \
		Do = Ci ^ ROL64(Cu, 1);                               \
		Du = Co ^ ROL64(Ca, 1);                               \
		Ba = src##ba ^ Da;                                    \
		Be = ROL64(src##ge ^ De, 44);                         \
		Bi = ROL64(src##ki ^ Di, 43);                         \
		Bo = ROL64(src##mo ^ Do, 21);                         \
		Bu = ROL64(src##su ^ Du, 14);                         \
		dst##ba = Ba ^ (~Be & Bi) ^ (rc);                     \
		dst##be = Be ^ (~Bi & Bo);                            \
		dst##bi = Bi ^ (~Bo & Bu);                            \
		dst##bo = Bo ^ (~Bu & Ba);                            \
		dst##bu = Bu ^ (~Ba & Be);                            \
		Ba = ROL64(src##bo ^ Do, 28);                         \
		Be = ROL64(src##gu ^ Du, 20);                         \
		Bi = ROL64(src##ka ^ Da, 3);                          \
		Bo = ROL64(src##me ^ De, 45);                         \
		Bu = ROL64(src##si ^ Di, 61);                         \
		dst##ga = Ba ^ (~Be & Bi);                            \
		dst##ge = Be ^ (~Bi & Bo);                            \
		dst##gi = Bi ^ (~Bo & Bu);                            \
		dst##go = Bo ^ (~Bu & Ba);                            \
		dst##gu = Bu ^ (~Ba & Be);                            \
		Ba = ROL64(src##be ^ De, 1);                          \
		Be = ROL64(src##gi ^ Di, 6);                          \
		Bi = ROL64(src##ko ^ Do, 25);                         \
		Bo = ROL64(src##mu ^ Du, 8);                          \
		Bu = ROL64(src##sa ^ Da, 18);                         \
		dst##ka = Ba ^ (~Be & Bi);                            \
		dst##ke = Be ^ (~Bi & Bo);                            \
		dst##ki = Bi ^ (~Bo & Bu);                            \
		dst##ko = Bo ^ (~Bu & Ba);                            \
		dst##ku = Bu ^ (~Ba & Be);                            \
		Ba = ROL64(src##bu ^ Du, 27);                         \
		Be = ROL64(src##ga ^ Da, 36);                         \
		Bi = ROL64(src##ke ^ De, 10);                         \
		Bo = ROL64(src##mi ^ Di, 15);                         \
		Bu = ROL64(src##so ^ Do, 56);                         \
		dst##ma = Ba ^ (~Be & Bi);                            \
		dst##me = Be ^ (~Bi & Bo);                            \
		dst##mi = Bi ^ (~Bo & Bu);                            \
		dst##mo = Bo ^ (~Bu & Ba);                            \
		dst##mu = Bu ^ (~Ba & Be);                            \
		Ba = ROL64(src##bi ^ Di, 62);                         \
		Be = ROL64(src##go ^ Do, 55);                         \
		Bi = ROL64(src##ku ^ Du, 39);                         \
		Bo = ROL64(src##ma ^ Da, 41);                         \
		Bu = ROL64(src##se ^ De, 2);                          \
		dst##sa = Ba ^ (~Be & Bi);                            \
		dst##se = Be ^ (~Bi & Bo);                            \
		dst##si = Bi ^ (~Bo & Bu);                            \
		dst##so = Bo ^ (~Bu & Ba);                            \
		dst##su = Bu ^ (~Ba & Be);                            \
	} while (0)

void sf__keccak_f1600(uint64_t st[25])
{
	uint64_t Aba, Abe, Abi, Abo, Abu, Aga, Age, Agi, Ago, Agu, Aka, Ake, Aki, Ako, Aku;
	uint64_t Ama, Ame, Ami, Amo, Amu, Asa, Ase, Asi, Aso, Asu;
	uint64_t Eba, Ebe, Ebi, Ebo, Ebu, Ega, Ege, Egi, Ego, Egu, Eka, Eke, Eki, Eko, Eku;
	uint64_t Ema, Eme, Emi, Emo, Emu, Esa, Ese, Esi, Eso, Esu;
	uint64_t Ba, Be, Bi, Bo, Bu, Ca, Ce, Ci, Co, Cu, Da, De, Di, Do, Du;

	Aba = st[0];
	Abe = st[1];
	Abi = st[2];
	Abo = st[3];
	Abu = st[4];
	Aga = st[5];
	Age = st[6];
	Agi = st[7];
	Ago = st[8];
	Agu = st[9];
	Aka = st[10];
	Ake = st[11];
	Aki = st[12];
	Ako = st[13];
	Aku = st[14];
	Ama = st[15];
	Ame = st[16];
	Ami = st[17];
	Amo = st[18];
	Amu = st[19];
	Asa = st[20];
	Ase = st[21];
	Asi = st[22];
	Aso = st[23];
	Asu = st[24];

	for (int i = 0; i < 24; i += 2) {
		KECCAK_ROUND(A, E, RC[i]);
		KECCAK_ROUND(E, A, RC[i + 1]);
	}

	st[0] = Aba;
	st[1] = Abe;
	st[2] = Abi;
	st[3] = Abo;
	st[4] = Abu;
	st[5] = Aga;
	st[6] = Age;
	st[7] = Agi;
	st[8] = Ago;
	st[9] = Agu;
	st[10] = Aka;
	st[11] = Ake;
	st[12] = Aki;
	st[13] = Ako;
	st[14] = Aku;
	st[15] = Ama;
	st[16] = Ame;
	st[17] = Ami;
	st[18] = Amo;
	st[19] = Amu;
	st[20] = Asa;
	st[21] = Ase;
	st[22] = Asi;
	st[23] = Aso;
	st[24] = Asu;
}

#undef KECCAK_ROUND

/* ---- TUAK (TS 35.231) --------------------------------------------------- */

/* INSTANCE octet (TS 35.231).  Bits 7..6 select the function, bits
 * 5..1 the output lengths, bit 0 the key length. */
#define INST_F1 0x00
#define INST_F1STAR 0x80
#define INST_F2345 0x40
#define INST_F5STAR 0xC0
#define INST_TOPC 0x00
#define INST_K256 0x01

/*
 * The state is built directly as lanes.  Storing a big-endian field
 * octet-reversed and reading the octets back as a little-endian lane is the
 * same as reading the field big-endian, so (lane i = octets 8i..8i+7):
 *
 *   lanes 0..3    TOP/TOPc octets 24..31, 16..23, 8..15, 0..7 (big-endian)
 *   lane  4       INSTANCE in octet 32 (the low octet), then "TUAK1.0"
 *   lanes 5..6    RAND octets 8..15, 0..7
 *   lane  7       AMF (low 16 bits), then SQN (high 48 bits)
 *   lanes 8..11   K: 32-octet K octets 24..31, 16..23, 8..15, 0..7; a
 *                 16-octet K fills lanes 8..9 (octets 8..15, 0..7)
 *   lane  12      0x1F (state octet 96)
 *   lane  16      0x80 in its top octet (state octet 135)
 *
 * Loads are octet by octet, so this holds on any host byte order.
 */

/* "TUAK1.0" (ALGONAME) read big-endian, shifted above the INSTANCE octet. */
#define ALGONAME_LANE UINT64_C(0x5455414B312E3000)

/* Offsets of the outputs in the 200-octet state (see the top of the file). */
enum {
	OFF_TOP = 0,
	OFF_CK = 32,
	OFF_IK = 64,
	OFF_AK = 96,
};

static uint64_t load_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Octet j of the state (lane j/8, little-endian). */
static uint8_t st_octet(const uint64_t st[25], size_t j)
{
	return (uint8_t)(st[j >> 3] >> (8 * (j & 7)));
}

/* out = the state octets off .. off+len-1 in reverse order. */
static void get_rev(uint8_t *out, const uint64_t st[25], size_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out[i] = st_octet(st, off + len - 1 - i);
}

/*
 * Builds the TUAK input (the layout at the top of the file) in st and
 * applies Keccak-f[1600] `iterations` times.  rand, amf and sqn may be NULL
 * for all-zero fields.  The K-length bit of INSTANCE is set here from k_len.
 */
static void tuak_core(uint64_t st[25], const uint8_t top[32], uint8_t instance,
		      const uint8_t *rand, const uint8_t *amf, const uint8_t *sqn, const uint8_t *k,
		      size_t k_len, unsigned iterations)
{
	memset(st, 0, 25 * sizeof(st[0]));
	for (size_t i = 0; i < 4; i++)
		st[i] = load_be(top + 24 - 8 * i, 8);
	st[4] = ALGONAME_LANE | (uint8_t)(instance | (k_len == 32 ? INST_K256 : 0));
	if (rand) {
		st[5] = load_be(rand + 8, 8);
		st[6] = load_be(rand, 8);
	}
	st[7] = (amf ? load_be(amf, 2) : 0) | (sqn ? load_be(sqn, 6) << 16 : 0);
	if (k_len == 32) {
		for (size_t i = 0; i < 4; i++)
			st[8 + i] = load_be(k + 24 - 8 * i, 8);
	} else {
		st[8] = load_be(k + 8, 8);
		st[9] = load_be(k, 8);
	}
	st[12] = 0x1F;
	st[16] = UINT64_C(0x80) << 56;

	/* The public wrappers reject 0 iterations; never hand out an
	 * unpermuted state (its first 32 octets would be TOP itself). */
	if (iterations == 0)
		iterations = 1;
	for (unsigned i = 0; i < iterations; i++)
		sf__keccak_f1600(st);
}

static unsigned iterations_of(const struct sf_aka_ctx *ctx)
{
	return ctx->p.keccak_iterations;
}

void sf__tuak_topc(const uint8_t *k, size_t k_len, const uint8_t top[32], unsigned iterations,
		   uint8_t topc[32])
{
	/* TOPc = the first 256 bits of the output of the
	 * permutation on TOP with INSTANCE 0 and RAND, AMF, SQN all zero. */
	uint64_t st[25];
	tuak_core(st, top, INST_TOPC, NULL, NULL, NULL, k, k_len, iterations);
	get_rev(topc, st, OFF_TOP, 32);
	sf_wipe(st, sizeof(st));
}

/* Bits 5..3 of INSTANCE for f1/f1*: the MAC length. */
static uint8_t mac_bits(size_t mac_len)
{
	switch (mac_len) {
	case 16:
		return 0x10;
	case 32:
		return 0x20;
	default: /* 8 */
		return 0x08;
	}
}

void sf__tuak_f1(const struct sf_aka_ctx *ctx, const uint8_t rand[16], const uint8_t sqn[6],
		 const uint8_t amf[2], uint8_t *mac_a, uint8_t *mac_s)
{
	const struct sf_aka_params *p = &ctx->p;
	uint64_t st[25];
	uint8_t len_bits = mac_bits(p->mac_len);

	/* f1 and f1* differ only in INSTANCE bit 7, so they take one
	 * permutation run each. */
	if (mac_a) {
		tuak_core(st, p->opc, INST_F1 | len_bits, rand, amf, sqn, p->k, p->k_len,
			  iterations_of(ctx));
		get_rev(mac_a, st, OFF_TOP, p->mac_len);
	}
	if (mac_s) {
		tuak_core(st, p->opc, INST_F1STAR | len_bits, rand, amf, sqn, p->k, p->k_len,
			  iterations_of(ctx));
		get_rev(mac_s, st, OFF_TOP, p->mac_len);
	}
	sf_wipe(st, sizeof(st));
}

void sf__tuak_f2345(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t *res,
		    uint8_t *ck, uint8_t *ik, uint8_t ak[6])
{
	const struct sf_aka_params *p = &ctx->p;
	uint64_t st[25];
	uint8_t instance = INST_F2345;

	/* One run yields RES, CK, IK and AK; INSTANCE
	 * carries all their lengths, so e.g. a 64-bit RES is not a prefix of
	 * a 128-bit one. */
	switch (p->res_len) {
	case 8:
		instance |= 0x08;
		break;
	case 16:
		instance |= 0x10;
		break;
	case 32:
		instance |= 0x20;
		break;
	default: /* 4 */
		break;
	}
	if (p->ck_len == 32)
		instance |= 0x04;
	if (p->ik_len == 32)
		instance |= 0x02;

	tuak_core(st, p->opc, instance, rand, NULL, NULL, p->k, p->k_len, iterations_of(ctx));
	if (res)
		get_rev(res, st, OFF_TOP, p->res_len);
	if (ck)
		get_rev(ck, st, OFF_CK, p->ck_len);
	if (ik)
		get_rev(ik, st, OFF_IK, p->ik_len);
	if (ak)
		get_rev(ak, st, OFF_AK, SF_AKA_AK_LEN);
	sf_wipe(st, sizeof(st));
}

void sf__tuak_f5star(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t ak_star[6])
{
	const struct sf_aka_params *p = &ctx->p;
	uint64_t st[25];

	/* f5*: AK for resynchronisation, read where f5 puts AK. */
	tuak_core(st, p->opc, INST_F5STAR, rand, NULL, NULL, p->k, p->k_len, iterations_of(ctx));
	if (ak_star)
		get_rev(ak_star, st, OFF_AK, SF_AKA_AK_LEN);
	sf_wipe(st, sizeof(st));
}
