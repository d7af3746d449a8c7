/*
 * Key derivations of EPS and 5G built on the generic KDF of TS 33.220 Annex
 * B.2:  derived key = HMAC-SHA-256(Key, FC || P0 || L0 || ... || Pn || Ln).
 *
 *   CK', IK'         TS 33.402 A.2 (EAP-AKA'), TS 33.501 A.3     FC 0x20
 *   K_ASME           TS 33.401 A.2                               FC 0x10
 *   K_AUSF           TS 33.501 A.2                               FC 0x6A
 *   RES* / XRES*     TS 33.501 A.4                               FC 0x6B
 *   HRES* / HXRES*   TS 33.501 A.5 (SHA-256, no FC)
 *   K_SEAF           TS 33.501 A.6                               FC 0x6C
 *   K_AMF            TS 33.501 A.7                               FC 0x6D
 *   K_gNB            TS 33.501 A.9                               FC 0x6E
 *   PRF'             RFC 5448 §3.3 / RFC 9048 (EAP-AKA' key expansion)
 *
 * Key = CK || IK everywhere it is built from CK and IK.  No heap allocation;
 * intermediate HMAC state is wiped.
 */
#ifndef SIMFLEET_KDF_H
#define SIMFLEET_KDF_H

#include <stddef.h>
#include <stdint.h>

#define SF_KDF_MAX_PARAMS 8
#define SF_SNN_MAX_LEN 64

struct sf_kdf_param {
	const uint8_t *p;
	size_t len; /* < 65536 */
};

/* TS 33.220 B.2 generic KDF: 32-octet output.  Returns 0 or SF_EINVAL
 * (n > SF_KDF_MAX_PARAMS, a parameter of 65536 octets or more). */
int sf_kdf(const uint8_t *key, size_t key_len, uint8_t fc, const struct sf_kdf_param *params,
	   size_t n, uint8_t out[32]);

/* Serving network name "5G:mncXXX.mccYYY.3gppnetwork.org" (TS 24.501
 * §9.12.1) from a 3-digit MCC and a 2- or 3-digit MNC (left-padded to 3).
 * Writes a NUL-terminated string; *out_len = strlen.  Returns 0, SF_EINVAL
 * (not digits, wrong length) or SF_EBUFSIZE. */
int sf_kdf_snn(char *dst, size_t dst_len, size_t *out_len, const char *mcc, const char *mnc);

/* PLMN identity as coded in NAS (3 octets, TS 24.008 §10.5.1.13) — the SN id
 * of K_ASME.  Returns 0 or SF_EINVAL. */
int sf_kdf_plmn_id(const char *mcc, const char *mnc, uint8_t plmn[3]);

int sf_kdf_ck_ik_prime(const uint8_t *ck, size_t ck_len, const uint8_t *ik, size_t ik_len,
		       const uint8_t *anid, size_t anid_len, const uint8_t sqn_xor_ak[6],
		       uint8_t ck_prime[16], uint8_t ik_prime[16]);
int sf_kdf_kasme(const uint8_t *ck, size_t ck_len, const uint8_t *ik, size_t ik_len,
		 const uint8_t plmn[3], const uint8_t sqn_xor_ak[6], uint8_t kasme[32]);
int sf_kdf_kausf(const uint8_t *ck, size_t ck_len, const uint8_t *ik, size_t ik_len,
		 const uint8_t *snn, size_t snn_len, const uint8_t sqn_xor_ak[6],
		 uint8_t kausf[32]);
/* RES* (ME) or XRES* (home network): res_len 4..16. */
int sf_kdf_res_star(const uint8_t *ck, size_t ck_len, const uint8_t *ik, size_t ik_len,
		    const uint8_t *snn, size_t snn_len, const uint8_t rand[16], const uint8_t *res,
		    size_t res_len, uint8_t res_star[16]);
void sf_kdf_hxres_star(const uint8_t rand[16], const uint8_t res_star[16], uint8_t hxres_star[16]);
int sf_kdf_kseaf(const uint8_t kausf[32], const uint8_t *snn, size_t snn_len, uint8_t kseaf[32]);
/* supi: the IMSI digits as characters; abba: usually 00 00. */
int sf_kdf_kamf(const uint8_t kseaf[32], const uint8_t *supi, size_t supi_len, const uint8_t *abba,
		size_t abba_len, uint8_t kamf[32]);
/* access_type: 0x01 3GPP, 0x02 non-3GPP. */
int sf_kdf_kgnb(const uint8_t kamf[32], uint32_t ul_nas_count, uint8_t access_type,
		uint8_t kgnb[32]);
/* RFC 5448 PRF'(key, s): out_len octets (at most 255*32). */
int sf_kdf_prf_prime(const uint8_t *key, size_t key_len, const uint8_t *s, size_t s_len,
		     uint8_t *out, size_t out_len);

#endif
