/*
 * Sequence numbers, TS 33.102 Annex C, and the two ends of AKA that use
 * them: the USIM's procedure (§6.3.3) and the AuC's vector generation and
 * resynchronisation (§6.3.2, §6.3.5).
 *
 * SQN (48 bits) = SEQ || IND.  IND, the ind_bits least significant bits, is
 * an index into the USIM's array SEQ_MS(0 .. 2^ind_bits - 1); SEQ is the
 * counter.  The HE keeps one counter SEQ_HE per subscriber and gives each
 * serving node (or domain) its own IND, so vectors handed to different nodes
 * can be used out of order without tripping the freshness check: a vector is
 * fresh when its SEQ is greater than the SEQ last accepted in its own slot
 * (C.2.2).  Before that, two limits protect the card (C.2.1, C.2.3):
 *   Δ — SEQ may not jump more than Δ past the highest SEQ accepted anywhere,
 *       so an attacker cannot push the counter towards its end;
 *   L — (optional) SEQ may not be L or more behind that highest SEQ, so very
 *       old unused vectors die.
 * A vector that fails any check gets a synchronisation failure, and the USIM
 * reports the highest SQN it has accepted (SQN_MS) in AUTS, protected by
 * f5* (concealment) and f1* computed with the dummy AMF 0000 (§6.3.3), so the
 * AuC can move SEQ_HE past it (§6.3.5).
 */
#include <string.h>

#include "aka_internal.h"
#include "simfleet/err.h"
#include "simfleet/util.h"

uint64_t sf_sqn_load(const uint8_t sqn[6])
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = v << 8 | sqn[i];
	return v;
}

void sf_sqn_store(uint8_t sqn[6], uint64_t v)
{
	for (int i = 5; i >= 0; i--) {
		sqn[i] = (uint8_t)v;
		v >>= 8;
	}
}

int sf_sqn_ms_init(struct sf_sqn_ms *ms, unsigned ind_bits, uint64_t delta, uint64_t age_limit)
{
	if (!ms)
		return SF_EINVAL;
	if (ind_bits > SF_SQN_IND_BITS_MAX || delta < 1 || delta > SF_AKA_SQN_MAX ||
	    age_limit > SF_AKA_SQN_MAX)
		return SF_ERANGE;
	memset(ms, 0, sizeof(*ms));
	ms->ind_bits = (uint8_t)ind_bits;
	ms->delta = delta;
	ms->age_limit = age_limit;
	return 0;
}

int sf_sqn_ms_set_all(struct sf_sqn_ms *ms, uint64_t sqn)
{
	if (!ms)
		return SF_EINVAL;
	if (sqn > SF_AKA_SQN_MAX)
		return SF_ERANGE;
	for (unsigned i = 0; i < (1u << ms->ind_bits); i++)
		ms->seq[i] = sqn >> ms->ind_bits;
	ms->highest = sqn;
	return 0;
}

uint64_t sf_sqn_ms_highest(const struct sf_sqn_ms *ms)
{
	return ms->highest;
}

int sf_sqn_ms_check(const struct sf_sqn_ms *ms, uint64_t sqn)
{
	uint64_t seq = sqn >> ms->ind_bits;
	unsigned ind = (unsigned)(sqn & ((1u << ms->ind_bits) - 1));
	uint64_t top = ms->highest >> ms->ind_bits;

	/* C.2.1: wrap-around protection. */
	if (seq > top && seq - top > ms->delta)
		return SF_EAKA_SYNC;
	/* C.2.3: the optional age limit. */
	if (ms->age_limit && seq < top && top - seq >= ms->age_limit)
		return SF_EAKA_SYNC;
	/* C.2.2: freshness in the vector's own slot. */
	if (seq <= ms->seq[ind])
		return SF_EAKA_SYNC;
	return 0;
}

void sf_sqn_ms_accept(struct sf_sqn_ms *ms, uint64_t sqn)
{
	uint64_t seq = sqn >> ms->ind_bits;
	unsigned ind = (unsigned)(sqn & ((1u << ms->ind_bits) - 1));
	ms->seq[ind] = seq;
	if (seq > (ms->highest >> ms->ind_bits) ||
	    (seq == (ms->highest >> ms->ind_bits) && sqn > ms->highest))
		ms->highest = sqn;
}

int sf_sqn_he_init(struct sf_sqn_he *he, unsigned ind_bits, uint64_t seq)
{
	if (!he)
		return SF_EINVAL;
	if (ind_bits > SF_SQN_IND_BITS_MAX || seq > (SF_AKA_SQN_MAX >> ind_bits))
		return SF_ERANGE;
	he->seq = seq;
	he->ind_bits = (uint8_t)ind_bits;
	he->delta = SF_SQN_DELTA_DEFAULT;
	return 0;
}

/* f1* for AUTS always yields the 64-bit MAC-S.  For TUAK the MAC length is a
 * parameter of the instance, so AUTS is computed on a copy set to 64 bits
 * (as TS 35.231 and common implementations do). */
static int mac_s64(const struct sf_aka_ctx *ctx, const uint8_t rand[16], const uint8_t sqn[6],
		   uint8_t mac_s[8])
{
	static const uint8_t amf0[2] = {0, 0};
	if (ctx->p.alg != SF_AKA_ALG_TUAK || ctx->p.mac_len == 8)
		return sf_aka_f1(ctx, rand, sqn, amf0, NULL, mac_s);
	struct sf_aka_ctx c64 = *ctx;
	c64.p.mac_len = 8;
	int rc = sf_aka_f1(&c64, rand, sqn, amf0, NULL, mac_s);
	sf_wipe(&c64, sizeof(c64));
	return rc;
}

int sf_aka_auts(const struct sf_aka_ctx *ctx, const uint8_t rand[16], uint64_t sqn_ms,
		uint8_t auts[14])
{
	if (!ctx || !rand || !auts)
		return SF_EINVAL;
	if (sqn_ms > SF_AKA_SQN_MAX)
		return SF_ERANGE;
	uint8_t sqn[6], ak[6];
	sf_sqn_store(sqn, sqn_ms);
	int rc = sf_aka_f5star(ctx, rand, ak);
	if (rc == 0)
		rc = mac_s64(ctx, rand, sqn, auts + 6);
	if (rc == 0)
		for (int i = 0; i < 6; i++)
			auts[i] = sqn[i] ^ ak[i];
	sf_wipe(ak, sizeof(ak));
	return rc;
}

int sf_aka_auts_verify(const struct sf_aka_ctx *ctx, const uint8_t rand[16],
		       const uint8_t auts[14], uint64_t *sqn_ms)
{
	if (!ctx || !rand || !auts || !sqn_ms)
		return SF_EINVAL;
	uint8_t ak[6], sqn[6], xmac[8];
	int rc = sf_aka_f5star(ctx, rand, ak);
	if (rc)
		return rc;
	for (int i = 0; i < 6; i++)
		sqn[i] = auts[i] ^ ak[i];
	rc = mac_s64(ctx, rand, sqn, xmac);
	if (rc == 0 && !sf_ct_eq(xmac, auts + 6, 8))
		rc = SF_EAKA_MACS;
	if (rc == 0)
		*sqn_ms = sf_sqn_load(sqn);
	sf_wipe(ak, sizeof(ak));
	sf_wipe(xmac, sizeof(xmac));
	return rc;
}

int sf_aka_usim_authenticate(const struct sf_aka_ctx *ctx, struct sf_sqn_ms *ms,
			     const uint8_t rand[16], const uint8_t *autn, size_t autn_len,
			     struct sf_aka_usim_result *r)
{
	if (!ctx || !ms || !rand || !autn || !r)
		return SF_EINVAL;
	if (!ctx->ready)
		return SF_EAKA_NOKEY;
	const struct sf_aka_params *p = &ctx->p;
	if (autn_len != 8u + p->mac_len)
		return SF_ELEN;
	memset(r, 0, sizeof(*r));
	int rc;

	if (p->alg == SF_AKA_ALG_MILENAGE) {
		/* Fast path: AK, SQN, XMAC, RES, CK, IK in one interleaved pass. */
		rc = sf__milenage_usim(ctx, rand, autn, r->sqn, r->res, r->ck, r->ik);
	} else {
		uint8_t ak[6], xmac[SF_AKA_MAX_MAC_LEN];
		rc = sf_aka_f2345(ctx, rand, r->res, r->ck, r->ik, ak);
		if (rc == 0) {
			for (int i = 0; i < 6; i++)
				r->sqn[i] = autn[i] ^ ak[i];
			rc = sf_aka_f1(ctx, rand, r->sqn, autn + 6, xmac, NULL);
		}
		if (rc == 0 && !sf_ct_eq(xmac, autn + 8, p->mac_len))
			rc = SF_EAKA_MAC;
		sf_wipe(ak, sizeof(ak));
		sf_wipe(xmac, sizeof(xmac));
	}
	if (rc) {
		/* MAC failure: nothing about the keys leaves, the SQN state is untouched. */
		sf_wipe(r, sizeof(*r));
		return rc;
	}

	uint64_t sqn = sf_sqn_load(r->sqn);
	if (sf_sqn_ms_check(ms, sqn) != 0) {
		sf_wipe(r->res, sizeof(r->res));
		sf_wipe(r->ck, sizeof(r->ck));
		sf_wipe(r->ik, sizeof(r->ik));
		rc = sf_aka_auts(ctx, rand, sf_sqn_ms_highest(ms), r->auts);
		return rc ? rc : SF_EAKA_SYNC;
	}
	sf_sqn_ms_accept(ms, sqn);
	r->res_len = p->res_len;
	r->ck_len = p->ck_len;
	r->ik_len = p->ik_len;
	if (p->res_len <= 16 && p->ck_len == 16 && p->ik_len == 16) {
		/* Kc for the GSM context, TS 33.102 §6.8.1.2 c3. */
		sf_aka_c3(r->ck, r->ik, r->kc);
		r->has_kc = 1;
	}
	return 0;
}

int sf_aka_vector_compute(const struct sf_aka_ctx *ctx, const uint8_t rand[16],
			  const uint8_t sqn[6], const uint8_t amf[2], struct sf_aka_vector *v)
{
	if (!ctx || !rand || !sqn || !amf || !v)
		return SF_EINVAL;
	if (!ctx->ready)
		return SF_EAKA_NOKEY;
	const struct sf_aka_params *p = &ctx->p;
	memset(v, 0, sizeof(*v));
	memcpy(v->rand, rand, 16);
	memcpy(v->sqn, sqn, 6);
	int rc = sf_aka_f2345(ctx, rand, v->xres, v->ck, v->ik, v->ak);
	if (rc == 0)
		rc = sf_aka_f1(ctx, rand, sqn, amf, v->autn + 8, NULL);
	if (rc) {
		sf_wipe(v, sizeof(*v));
		return rc;
	}
	/* AUTN = SQN xor AK || AMF || MAC-A */
	for (int i = 0; i < 6; i++)
		v->autn[i] = sqn[i] ^ v->ak[i];
	memcpy(v->autn + 6, amf, 2);
	v->autn_len = (uint8_t)(8 + p->mac_len);
	v->xres_len = p->res_len;
	v->ck_len = p->ck_len;
	v->ik_len = p->ik_len;
	return 0;
}

/* RANDs and SQNs are prepared in chunks on the stack: one RNG call per chunk
 * (bulk draw), no heap.  A system RNG call has a fixed cost of about 2 us, so
 * the chunk must be large for the AuC's throughput (docs/performance.md); a
 * microcontroller build may define a smaller one (5.6 KiB of stack at 256). */
#ifndef SF_AKA_GEN_CHUNK
#define SF_AKA_GEN_CHUNK 256
#endif
#define GEN_CHUNK SF_AKA_GEN_CHUNK

int sf_aka_auc_generate(const struct sf_aka_ctx *ctx, struct sf_sqn_he *he, unsigned ind,
			const uint8_t amf[2], const struct sf_rng *rng, struct sf_aka_vector *out,
			size_t n)
{
	if (!ctx || !he || !amf || !rng || (n && !out))
		return SF_EINVAL;
	if (!ctx->ready)
		return SF_EAKA_NOKEY;
	if (he->ind_bits > SF_SQN_IND_BITS_MAX || ind >= (1u << he->ind_bits))
		return SF_ERANGE;
	uint64_t seq_max = SF_AKA_SQN_MAX >> he->ind_bits;
	if (he->seq > seq_max || n > seq_max - he->seq)
		return SF_EAKA_SQN;

	uint8_t rands[GEN_CHUNK * 16], sqns[GEN_CHUNK * 6];
	uint64_t seq = he->seq;
	int rc = 0;
	for (size_t done = 0; done < n && rc == 0;) {
		size_t m = n - done < GEN_CHUNK ? n - done : GEN_CHUNK;
		rc = sf_rng_fill(rng, rands, m * 16);
		if (rc)
			break;
		for (size_t i = 0; i < m; i++)
			sf_sqn_store(sqns + 6 * i, (++seq << he->ind_bits) | ind);
		if (ctx->p.alg == SF_AKA_ALG_MILENAGE) {
			sf__milenage_gen(ctx, m, rands, sqns, amf, out + done);
		} else {
			for (size_t i = 0; i < m && rc == 0; i++)
				rc = sf_aka_vector_compute(ctx, rands + 16 * i, sqns + 6 * i, amf,
							   out + done + i);
		}
		done += m;
	}
	if (rc) {
		sf_wipe(out, n * sizeof(*out));
		return rc;
	}
	he->seq = seq;
	return 0;
}

int sf_aka_auc_resync(const struct sf_aka_ctx *ctx, struct sf_sqn_he *he, const uint8_t rand[16],
		      const uint8_t auts[14], uint64_t *sqn_ms)
{
	if (!ctx || !he || !rand || !auts || !sqn_ms)
		return SF_EINVAL;
	uint64_t v;
	int rc = sf_aka_auts_verify(ctx, rand, auts, &v);
	if (rc)
		return rc;
	*sqn_ms = v;
	/* §6.3.5: a counter whose next SQN the USIM accepts stays (its SEQ is
	 * above SEQ_MS and within Δ of it); any other is reset to SQN_MS, so
	 * that the next vector is SEQ_MS + 1.  Keeping a counter more than Δ
	 * ahead would make every new vector fail again, for ever. */
	uint64_t seq_ms = v >> he->ind_bits;
	if (!(he->seq >= seq_ms && he->seq - seq_ms < he->delta))
		he->seq = seq_ms;
	return 0;
}
