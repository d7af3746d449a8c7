/*
 * Key derivations of EPS, EAP-AKA' and 5G on top of the generic KDF.
 *
 *   TS 33.220 Annex B.2   generic KDF: HMAC-SHA-256(Key, FC || P0 || L0 || ... || Pn || Ln),
 *                         Li = length of Pi in octets, two octets big-endian
 *   TS 33.401 Annex A.2   K_ASME                          FC 0x10
 *   TS 33.402 Annex A.2   CK', IK' (EAP-AKA')             FC 0x20  (also TS 33.501 A.3)
 *   TS 33.501 Annex A     A.2 K_AUSF                      FC 0x6A
 *                         A.4 RES* or XRES*               FC 0x6B
 *                         A.5 HRES* or HXRES*             SHA-256, no FC
 *                         A.6 K_SEAF                      FC 0x6C
 *                         A.7 K_AMF                       FC 0x6D
 *                         A.9 K_gNB                       FC 0x6E
 *   RFC 5448 §3.3         EAP-AKA' key generation with PRF' (§3.4.1); also RFC 9048
 *   TS 24.501 §9.12.1     serving network name; TS 24.008 §10.5.1.13 PLMN identity
 *
 * Wherever the key is built from CK and IK it is Key = CK || IK.  CK and IK
 * may each be 16 or 32 octets (TUAK allows 256-bit CK/IK; Milenage gives
 * 128-bit ones).  See ../../../shared/notes/kdf-5g.md.
 *
 * No heap allocation.  Every function checks its arguments before writing
 * any output, so a call that fails leaves the outputs untouched.  The
 * concatenated CK || IK, the HMAC states and full-length intermediate
 * outputs are wiped on every path.
 */
#include "simfleet/kdf.h"

#include <string.h>

#include "simfleet/err.h"
#include "simfleet/sha256.h"
#include "simfleet/util.h"

/* FC values, one per derivation (the clauses listed at the top). */
#define FC_KASME 0x10
#define FC_CK_IK_PRIME 0x20
#define FC_KAUSF 0x6A
#define FC_RES_STAR 0x6B
#define FC_KSEAF 0x6C
#define FC_KAMF 0x6D
#define FC_KGNB 0x6E

#define PARAM_MAX_LEN 0xFFFFu

int sf_kdf(const uint8_t *key, size_t key_len, uint8_t fc, const struct sf_kdf_param *params,
	   size_t n, uint8_t out[32])
{
	if ((!key && key_len) || (!params && n) || !out || n > SF_KDF_MAX_PARAMS)
		return SF_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (params[i].len > PARAM_MAX_LEN || (!params[i].p && params[i].len))
			return SF_EINVAL;

	/* S is streamed into the HMAC; it never exists as one buffer. */
	struct sf_hmac_sha256 h;
	sf_hmac_sha256_init(&h, key, key_len);
	sf_hmac_sha256_update(&h, &fc, 1);
	for (size_t i = 0; i < n; i++) {
		uint8_t l[2] = {(uint8_t)(params[i].len >> 8), (uint8_t)params[i].len};
		sf_hmac_sha256_update(&h, params[i].p, params[i].len);
		sf_hmac_sha256_update(&h, l, 2);
	}
	sf_hmac_sha256_final(&h, out); /* wipes h */
	return 0;
}

/* ---- identities ---------------------------------------------------------- */

static int all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* MCC: exactly 3 decimal digits; MNC: 2 or 3.  Reads at most 4 characters
 * of each string, so an over-long argument is rejected without scanning it. */
static int check_mcc_mnc(const char *mcc, const char *mnc, size_t *mnc_len)
{
	if (!mcc || !mnc)
		return SF_EINVAL;
	size_t ml = 0, nl = 0;
	while (ml < 4 && mcc[ml])
		ml++;
	while (nl < 4 && mnc[nl])
		nl++;
	if (ml != 3 || (nl != 2 && nl != 3) || !all_digits(mcc, 3) || !all_digits(mnc, nl))
		return SF_EINVAL;
	*mnc_len = nl;
	return 0;
}

int sf_kdf_snn(char *dst, size_t dst_len, size_t *out_len, const char *mcc, const char *mnc)
{
	/* TS 24.501 §9.12.1 / TS 33.501 §6.1.1.4: "5G:mnc<MNC>.mcc<MCC>.3gppnetwork.org"
	 * with a 2-digit MNC left-padded with '0'. */
	static const char p1[] = "5G:mnc", p2[] = ".mcc", p3[] = ".3gppnetwork.org";
	size_t mnc_len;
	if (!dst)
		return SF_EINVAL;
	int rc = check_mcc_mnc(mcc, mnc, &mnc_len);
	if (rc)
		return rc;
	size_t len = (sizeof(p1) - 1) + 3 + (sizeof(p2) - 1) + 3 + (sizeof(p3) - 1);
	if (dst_len < len + 1)
		return SF_EBUFSIZE;

	char *o = dst;
	memcpy(o, p1, sizeof(p1) - 1);
	o += sizeof(p1) - 1;
	if (mnc_len == 2)
		*o++ = '0';
	memcpy(o, mnc, mnc_len);
	o += mnc_len;
	memcpy(o, p2, sizeof(p2) - 1);
	o += sizeof(p2) - 1;
	memcpy(o, mcc, 3);
	o += 3;
	memcpy(o, p3, sizeof(p3)); /* with the NUL */
	if (out_len)
		*out_len = len;
	return 0;
}

int sf_kdf_plmn_id(const char *mcc, const char *mnc, uint8_t plmn[3])
{
	/* TS 24.008 §10.5.1.13:
	 *   octet 1: MCC digit 2 | MCC digit 1
	 *   octet 2: MNC digit 3 | MCC digit 3   (MNC digit 3 = 0xF for a 2-digit MNC)
	 *   octet 3: MNC digit 2 | MNC digit 1   (high nibble | low nibble) */
	size_t mnc_len;
	if (!plmn)
		return SF_EINVAL;
	int rc = check_mcc_mnc(mcc, mnc, &mnc_len);
	if (rc)
		return rc;
	uint8_t c1 = (uint8_t)(mcc[0] - '0'), c2 = (uint8_t)(mcc[1] - '0'),
		c3 = (uint8_t)(mcc[2] - '0');
	uint8_t n1 = (uint8_t)(mnc[0] - '0'), n2 = (uint8_t)(mnc[1] - '0');
	uint8_t n3 = mnc_len == 3 ? (uint8_t)(mnc[2] - '0') : 0x0F;
	plmn[0] = (uint8_t)(c2 << 4 | c1);
	plmn[1] = (uint8_t)(n3 << 4 | c3);
	plmn[2] = (uint8_t)(n2 << 4 | n1);
	return 0;
}

/* ---- derivations keyed with CK || IK ----------------------------------- */

static int ckik_ok(const uint8_t *ck, size_t ck_len, const uint8_t *ik, size_t ik_len)
{
	return ck && ik && (ck_len == 16 || ck_len == 32) && (ik_len == 16 || ik_len == 32);
}

/* A string parameter (SNN, access network identity): non-empty and short
 * enough for its 2-octet length field. */
static int name_ok(const uint8_t *s, size_t len)
{
	return s && len >= 1 && len <= PARAM_MAX_LEN;
}

/* The KDF with Key = CK || IK; arguments already checked. */
static int kdf_ckik(const uint8_t *ck, size_t ck_len, const uint8_t *ik, size_t ik_len, uint8_t fc,
		    const struct sf_kdf_param *params, size_t n, uint8_t out[32])
{
	uint8_t key[64];
	memcpy(key, ck, ck_len);
	memcpy(key + ck_len, ik, ik_len);
	int rc = sf_kdf(key, ck_len + ik_len, fc, params, n, out);
	sf_wipe(key, sizeof(key));
	return rc;
}

int sf_kdf_ck_ik_prime(const uint8_t *ck, size_t ck_len, const uint8_t *ik, size_t ik_len,
		       const uint8_t *anid, size_t anid_len, const uint8_t sqn_xor_ak[6],
		       uint8_t ck_prime[16], uint8_t ik_prime[16])
{
	/* TS 33.402 A.2: P0 = access network identity, P1 = SQN xor AK;
	 * CK' = the 128 most significant bits of the output, IK' the rest. */
	if (!ckik_ok(ck, ck_len, ik, ik_len) || !name_ok(anid, anid_len) || !sqn_xor_ak ||
	    !ck_prime || !ik_prime)
		return SF_EINVAL;
	const struct sf_kdf_param p[2] = {{anid, anid_len}, {sqn_xor_ak, 6}};
	uint8_t out[32];
	int rc = kdf_ckik(ck, ck_len, ik, ik_len, FC_CK_IK_PRIME, p, 2, out);
	if (rc == 0) {
		memcpy(ck_prime, out, 16);
		memcpy(ik_prime, out + 16, 16);
	}
	sf_wipe(out, sizeof(out));
	return rc;
}

int sf_kdf_kasme(const uint8_t *ck, size_t ck_len, const uint8_t *ik, size_t ik_len,
		 const uint8_t plmn[3], const uint8_t sqn_xor_ak[6], uint8_t kasme[32])
{
	/* TS 33.401 A.2: P0 = SN id (the 3-octet PLMN identity), P1 = SQN xor AK. */
	if (!ckik_ok(ck, ck_len, ik, ik_len) || !plmn || !sqn_xor_ak || !kasme)
		return SF_EINVAL;
	const struct sf_kdf_param p[2] = {{plmn, 3}, {sqn_xor_ak, 6}};
	return kdf_ckik(ck, ck_len, ik, ik_len, FC_KASME, p, 2, kasme);
}

int sf_kdf_kausf(const uint8_t *ck, size_t ck_len, const uint8_t *ik, size_t ik_len,
		 const uint8_t *snn, size_t snn_len, const uint8_t sqn_xor_ak[6],
		 uint8_t kausf[32])
{
	/* TS 33.501 A.2: P0 = serving network name, P1 = SQN xor AK. */
	if (!ckik_ok(ck, ck_len, ik, ik_len) || !name_ok(snn, snn_len) || !sqn_xor_ak || !kausf)
		return SF_EINVAL;
	const struct sf_kdf_param p[2] = {{snn, snn_len}, {sqn_xor_ak, 6}};
	return kdf_ckik(ck, ck_len, ik, ik_len, FC_KAUSF, p, 2, kausf);
}

int sf_kdf_res_star(const uint8_t *ck, size_t ck_len, const uint8_t *ik, size_t ik_len,
		    const uint8_t *snn, size_t snn_len, const uint8_t rand[16], const uint8_t *res,
		    size_t res_len, uint8_t res_star[16])
{
	/* TS 33.501 A.4: P0 = SNN, P1 = RAND, P2 = RES; RES* = the 128 least
	 * significant bits of the output. */
	if (!ckik_ok(ck, ck_len, ik, ik_len) || !name_ok(snn, snn_len) || !rand || !res ||
	    res_len < 4 || res_len > 16 || !res_star)
		return SF_EINVAL;
	const struct sf_kdf_param p[3] = {{snn, snn_len}, {rand, 16}, {res, res_len}};
	uint8_t out[32];
	int rc = kdf_ckik(ck, ck_len, ik, ik_len, FC_RES_STAR, p, 3, out);
	if (rc == 0)
		memcpy(res_star, out + 16, 16);
	sf_wipe(out, sizeof(out));
	return rc;
}

void sf_kdf_hxres_star(const uint8_t rand[16], const uint8_t res_star[16], uint8_t hxres_star[16])
{
	/* TS 33.501 A.5: HXRES* = the 128 least significant bits of
	 * SHA-256(RAND || XRES*); no FC and no length fields. */
	struct sf_sha256 s;
	uint8_t d[32];
	sf_sha256_init(&s);
	sf_sha256_update(&s, rand, 16);
	sf_sha256_update(&s, res_star, 16);
	sf_sha256_final(&s, d);
	memcpy(hxres_star, d + 16, 16);
	sf_wipe(d, sizeof(d));
}

int sf_kdf_kseaf(const uint8_t kausf[32], const uint8_t *snn, size_t snn_len, uint8_t kseaf[32])
{
	/* TS 33.501 A.6: Key = K_AUSF, P0 = SNN. */
	if (!kausf || !name_ok(snn, snn_len) || !kseaf)
		return SF_EINVAL;
	const struct sf_kdf_param p[1] = {{snn, snn_len}};
	return sf_kdf(kausf, 32, FC_KSEAF, p, 1, kseaf);
}

int sf_kdf_kamf(const uint8_t kseaf[32], const uint8_t *supi, size_t supi_len, const uint8_t *abba,
		size_t abba_len, uint8_t kamf[32])
{
	/* TS 33.501 A.7: Key = K_SEAF, P0 = SUPI (IMSI digits as characters),
	 * P1 = ABBA.  The ABBA IE of TS 24.501 carries at least 2 octets. */
	if (!kseaf || !name_ok(supi, supi_len) || !abba || abba_len < 2 ||
	    abba_len > PARAM_MAX_LEN || !kamf)
		return SF_EINVAL;
	const struct sf_kdf_param p[2] = {{supi, supi_len}, {abba, abba_len}};
	return sf_kdf(kseaf, 32, FC_KAMF, p, 2, kamf);
}

int sf_kdf_kgnb(const uint8_t kamf[32], uint32_t ul_nas_count, uint8_t access_type,
		uint8_t kgnb[32])
{
	/* TS 33.501 A.9: Key = K_AMF, P0 = uplink NAS COUNT (4 octets,
	 * big-endian), P1 = access type distinguisher (0x01 3GPP, 0x02
	 * non-3GPP; other values are reserved). */
	if (!kamf || !kgnb || (access_type != 0x01 && access_type != 0x02))
		return SF_EINVAL;
	const uint8_t count[4] = {(uint8_t)(ul_nas_count >> 24), (uint8_t)(ul_nas_count >> 16),
				  (uint8_t)(ul_nas_count >> 8), (uint8_t)ul_nas_count};
	const struct sf_kdf_param p[2] = {{count, 4}, {&access_type, 1}};
	return sf_kdf(kamf, 32, FC_KGNB, p, 2, kgnb);
}

int sf_kdf_prf_prime(const uint8_t *key, size_t key_len, const uint8_t *s, size_t s_len,
		     uint8_t *out, size_t out_len)
{
	/* RFC 5448 §3.4.1, used for the key generation of §3.3:
	 *   T1 = HMAC-SHA-256(K, S | 0x01)
	 *   Tn = HMAC-SHA-256(K, T(n-1) | S | n),  n <= 255
	 * The keyed HMAC state is computed once and copied for each block. */
	if ((!key && key_len) || (!s && s_len) || (!out && out_len) ||
	    out_len > 255 * (size_t)SF_SHA256_LEN)
		return SF_EINVAL;

	struct sf_hmac_sha256 keyed, h;
	uint8_t t[SF_SHA256_LEN];
	size_t done = 0;
	sf_hmac_sha256_init(&keyed, key, key_len);
	for (unsigned n = 1; done < out_len; n++) {
		uint8_t cnt = (uint8_t)n;
		h = keyed;
		if (n > 1)
			sf_hmac_sha256_update(&h, t, sizeof(t));
		sf_hmac_sha256_update(&h, s, s_len);
		sf_hmac_sha256_update(&h, &cnt, 1);
		sf_hmac_sha256_final(&h, t); /* wipes h */
		size_t take = out_len - done < sizeof(t) ? out_len - done : sizeof(t);
		memcpy(out + done, t, take);
		done += take;
	}
	sf_wipe(&keyed, sizeof(keyed));
	sf_wipe(t, sizeof(t));
	return 0;
}
