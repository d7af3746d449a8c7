/*
 * The 3GPP XOR test algorithm, TS 34.108 §8.1.2 (§8.1.2.1 f1..f5, §8.1.2.2
 * resynchronisation).  Used by test USIMs and by every GSMA TS.48 generic
 * test profile (SAIP algorithmID usim-test-algorithm).  It has no
 * cryptographic strength; it exists so test equipment and profiles work.
 *
 *   XDOUT = K xor RAND
 *   RES   = XDOUT[0 .. res_len-1]
 *   CK    = XDOUT rotated left by 1 octet, IK = rotated left by 2 octets
 *   AK    = XDOUT octets 3..8 (also used as AK* for resynchronisation)
 *   MAC   = XDOUT[0..63] xor (SQN || AMF)   (f1 and f1* alike)
 */
#include <string.h>

#include "aka_internal.h"
#include "simfleet/util.h"

static void xdout(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t x[16])
{
	for (int i = 0; i < 16; i++)
		x[i] = ctx->p.k[i] ^ rand[i];
}

void sf__xor_f1(const struct sf_aka_ctx *ctx, const uint8_t rand[16], const uint8_t sqn[6],
		const uint8_t amf[2], uint8_t mac_a[8], uint8_t mac_s[8])
{
	uint8_t x[16], cd[8];
	xdout(ctx, rand, x);
	memcpy(cd, sqn, 6);
	memcpy(cd + 6, amf, 2);
	for (int i = 0; i < 8; i++) {
		if (mac_a)
			mac_a[i] = x[i] ^ cd[i];
		if (mac_s)
			mac_s[i] = x[i] ^ cd[i];
	}
	sf_wipe(x, sizeof(x));
}

void sf__xor_f2345(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t *res,
		   uint8_t ck[16], uint8_t ik[16], uint8_t ak[6])
{
	uint8_t x[16];
	xdout(ctx, rand, x);
	if (res)
		memcpy(res, x, ctx->p.res_len);
	for (int i = 0; i < 16; i++) {
		if (ck)
			ck[i] = x[(i + 1) % 16];
		if (ik)
			ik[i] = x[(i + 2) % 16];
	}
	if (ak)
		memcpy(ak, x + 3, 6);
	sf_wipe(x, sizeof(x));
}

void sf__xor_f5star(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t ak_star[6])
{
	sf__xor_f2345(ctx, rand, NULL, NULL, NULL, ak_star);
}
