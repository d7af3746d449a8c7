/*
 * The AKA engine's public face: parameter validation, algorithm dispatch,
 * the GSM conversion functions c2/c3 (TS 33.102 §6.8.1.2) and GSM-Milenage
 * (TS 55.205, SRES#1 = c2, Kc = c3).
 */
#include <string.h>

#include "aka_internal.h"
#include "simfleet/err.h"
#include "simfleet/util.h"

int sf_aka_alg_parse(const char *name, enum sf_aka_alg *out)
{
	if (!name || !out)
		return SF_EINVAL;
	if (strcmp(name, "milenage") == 0)
		*out = SF_AKA_ALG_MILENAGE;
	else if (strcmp(name, "tuak") == 0)
		*out = SF_AKA_ALG_TUAK;
	else if (strcmp(name, "xor") == 0)
		*out = SF_AKA_ALG_XOR;
	else
		return SF_EAKA_ALG;
	return 0;
}

const char *sf_aka_alg_name(enum sf_aka_alg alg)
{
	switch (alg) {
	case SF_AKA_ALG_MILENAGE:
		return "milenage";
	case SF_AKA_ALG_TUAK:
		return "tuak";
	case SF_AKA_ALG_XOR:
		return "xor";
	}
	return "unknown";
}

void sf_milenage_consts_default(struct sf_milenage_consts *c)
{
	static const uint8_t r[5] = {64, 0, 32, 64, 96};
	memset(c, 0, sizeof(*c));
	memcpy(c->r, r, sizeof(r));
	/* c1 = 0, c2 = 1, c3 = 2, c4 = 4, c5 = 8, each in the last octet. */
	c->c[1][15] = 1;
	c->c[2][15] = 2;
	c->c[3][15] = 4;
	c->c[4][15] = 8;
}

void sf_aka_params_init(struct sf_aka_params *p, enum sf_aka_alg alg)
{
	memset(p, 0, sizeof(*p));
	p->alg = alg;
	sf_milenage_consts_default(&p->consts);
	p->k_len = 16;
	p->mac_len = 8;
	p->res_len = alg == SF_AKA_ALG_XOR ? 16 : 8;
	p->ck_len = 16;
	p->ik_len = 16;
	p->keccak_iterations = 1;
	p->opc_len = alg == SF_AKA_ALG_TUAK ? 32 : alg == SF_AKA_ALG_MILENAGE ? 16 : 0;
}

void sf_aka_params_wipe(struct sf_aka_params *p)
{
	if (p)
		sf_wipe(p, sizeof(*p));
}

static int one_of(unsigned v, unsigned a, unsigned b, unsigned c, unsigned d)
{
	return v == a || v == b || v == c || v == d;
}

int sf_aka_params_check(const struct sf_aka_params *p)
{
	if (!p)
		return SF_EINVAL;
	switch (p->alg) {
	case SF_AKA_ALG_MILENAGE:
		/* TS 35.206 fixes the output sizes: 64-bit MAC and RES, 128-bit CK/IK. */
		if (p->k_len != 16 || p->opc_len != 16 || p->mac_len != 8 || p->res_len != 8 ||
		    p->ck_len != 16 || p->ik_len != 16)
			return SF_EAKA_LEN;
		for (int i = 0; i < 5; i++)
			if (p->consts.r[i] > 127)
				return SF_EAKA_LEN;
		return 0;
	case SF_AKA_ALG_TUAK:
		/* TS 35.231 §6: K 128/256, MAC 64/128/256, RES 32/64/128/256, CK/IK 128/256. */
		if (!one_of(p->k_len, 16, 32, 16, 32) || p->opc_len != 32 ||
		    !one_of(p->mac_len, 8, 16, 32, 8) || !one_of(p->res_len, 4, 8, 16, 32) ||
		    !one_of(p->ck_len, 16, 32, 16, 32) || !one_of(p->ik_len, 16, 32, 16, 32) ||
		    p->keccak_iterations < 1)
			return SF_EAKA_LEN;
		return 0;
	case SF_AKA_ALG_XOR:
		/* TS 34.108 §8.1.2: 128-bit K, RES of 32..128 bits, 64-bit MAC. */
		if (p->k_len != 16 || p->mac_len != 8 || p->res_len < 4 || p->res_len > 16 ||
		    p->ck_len != 16 || p->ik_len != 16)
			return SF_EAKA_LEN;
		return 0;
	}
	return SF_EAKA_ALG;
}

int sf_aka_params_set_op(struct sf_aka_params *p, const uint8_t *op, size_t op_len)
{
	if (!p || !op)
		return SF_EINVAL;
	switch (p->alg) {
	case SF_AKA_ALG_MILENAGE:
		if (op_len != 16 || p->k_len != 16)
			return SF_EAKA_LEN;
		sf__milenage_opc(p->k, op, p->opc);
		p->opc_len = 16;
		return 0;
	case SF_AKA_ALG_TUAK:
		if (op_len != 32 || (p->k_len != 16 && p->k_len != 32) || p->keccak_iterations < 1)
			return SF_EAKA_LEN;
		sf__tuak_topc(p->k, p->k_len, op, p->keccak_iterations, p->opc);
		p->opc_len = 32;
		return 0;
	case SF_AKA_ALG_XOR:
		return SF_EAKA_ALG;
	}
	return SF_EAKA_ALG;
}

int sf_aka_init(struct sf_aka_ctx *ctx, const struct sf_aka_params *p)
{
	if (!ctx || !p)
		return SF_EINVAL;
	int rc = sf_aka_params_check(p);
	if (rc)
		return rc;
	memset(ctx, 0, sizeof(*ctx));
	ctx->p = *p;
	if (p->alg == SF_AKA_ALG_MILENAGE)
		sf__milenage_prepare(ctx);
	ctx->ready = 1;
	return 0;
}

void sf_aka_free(struct sf_aka_ctx *ctx)
{
	if (ctx)
		sf_wipe(ctx, sizeof(*ctx));
}

int sf_aka_f1(const struct sf_aka_ctx *ctx, const uint8_t rand[16], const uint8_t sqn[6],
	      const uint8_t amf[2], uint8_t *mac_a, uint8_t *mac_s)
{
	if (!ctx || !rand || !sqn || !amf)
		return SF_EINVAL;
	if (!ctx->ready)
		return SF_EAKA_NOKEY;
	switch (ctx->p.alg) {
	case SF_AKA_ALG_MILENAGE:
		sf__milenage_f1(ctx, rand, sqn, amf, mac_a, mac_s);
		return 0;
	case SF_AKA_ALG_TUAK:
		sf__tuak_f1(ctx, rand, sqn, amf, mac_a, mac_s);
		return 0;
	case SF_AKA_ALG_XOR:
		sf__xor_f1(ctx, rand, sqn, amf, mac_a, mac_s);
		return 0;
	}
	return SF_EAKA_ALG;
}

int sf_aka_f2345(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t *res, uint8_t *ck,
		 uint8_t *ik, uint8_t ak[6])
{
	if (!ctx || !rand)
		return SF_EINVAL;
	if (!ctx->ready)
		return SF_EAKA_NOKEY;
	switch (ctx->p.alg) {
	case SF_AKA_ALG_MILENAGE:
		sf__milenage_f2345(ctx, rand, res, ck, ik, ak);
		return 0;
	case SF_AKA_ALG_TUAK:
		sf__tuak_f2345(ctx, rand, res, ck, ik, ak);
		return 0;
	case SF_AKA_ALG_XOR:
		sf__xor_f2345(ctx, rand, res, ck, ik, ak);
		return 0;
	}
	return SF_EAKA_ALG;
}

int sf_aka_f5star(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t ak_star[6])
{
	if (!ctx || !rand || !ak_star)
		return SF_EINVAL;
	if (!ctx->ready)
		return SF_EAKA_NOKEY;
	switch (ctx->p.alg) {
	case SF_AKA_ALG_MILENAGE:
		sf__milenage_f5star(ctx, rand, ak_star);
		return 0;
	case SF_AKA_ALG_TUAK:
		sf__tuak_f5star(ctx, rand, ak_star);
		return 0;
	case SF_AKA_ALG_XOR:
		sf__xor_f5star(ctx, rand, ak_star);
		return 0;
	}
	return SF_EAKA_ALG;
}

int sf_aka_c2(const uint8_t *res, size_t res_len, uint8_t sres[4])
{
	if (!res || !sres)
		return SF_EINVAL;
	if (res_len < 4 || res_len > 16)
		return SF_EAKA_GSM;
	/* RES zero-padded to 128 bits, then the four 32-bit words XORed. */
	uint8_t pad[16] = {0};
	memcpy(pad, res, res_len);
	for (int i = 0; i < 4; i++)
		sres[i] = pad[i] ^ pad[4 + i] ^ pad[8 + i] ^ pad[12 + i];
	sf_wipe(pad, sizeof(pad));
	return 0;
}

void sf_aka_c3(const uint8_t ck[16], const uint8_t ik[16], uint8_t kc[8])
{
	for (int i = 0; i < 8; i++)
		kc[i] = ck[i] ^ ck[8 + i] ^ ik[i] ^ ik[8 + i];
}

int sf_aka_gsm(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint8_t sres[4], uint8_t kc[8])
{
	if (!ctx || !rand || !sres || !kc)
		return SF_EINVAL;
	if (!ctx->ready)
		return SF_EAKA_NOKEY;
	if (ctx->p.res_len > 16 || ctx->p.ck_len != 16 || ctx->p.ik_len != 16)
		return SF_EAKA_GSM;
	uint8_t res[SF_AKA_MAX_RES_LEN], ck[SF_AKA_MAX_CK_LEN], ik[SF_AKA_MAX_CK_LEN];
	int rc = sf_aka_f2345(ctx, rand, res, ck, ik, NULL);
	if (rc == 0)
		rc = sf_aka_c2(res, ctx->p.res_len, sres);
	if (rc == 0)
		sf_aka_c3(ck, ik, kc);
	sf_wipe(res, sizeof(res));
	sf_wipe(ck, sizeof(ck));
	sf_wipe(ik, sizeof(ik));
	return rc;
}

const char *sf_aka_aes_impl(void)
{
	return sf__aes_impl_name();
}
