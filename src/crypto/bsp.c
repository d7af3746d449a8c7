/*
 * BSP, the BPP security protocol (called SCP03t before SGP.22 v3):
 * SGP.22 §2.6.4 — session-key derivation (§2.6.4.2), segment protection with
 * AES-128-CBC and AES-CMAC MAC chaining, padding (§2.6.4.4); used by
 * ES8+.InitialiseSecureChannel and the 86/87/88 segments of the Bound Profile
 * Package (§2.5, §5.5, §5.7.6).  The exact steps are those of
 * shared/notes/bpp-crypto.md §3-4, checked against the pySim vectors.
 */
#include <stdint.h>
#include <string.h>

#include "simfleet/crypto.h"
#include "simfleet/err.h"
#include "simfleet/util.h"

int sf_bsp_shared_info(uint8_t key_type, uint8_t key_length, const uint8_t *host_id,
                       size_t host_id_len, const uint8_t eid[16], uint8_t *dst, size_t dst_len,
                       size_t *out_len)
{
	if (!eid || !out_len || (host_id_len && !host_id) || (dst_len && !dst))
		return SF_EINVAL;
	/* The CRT of InitialiseSecureChannelRequest (A6 {80 keyType, 81
	 * keyLen, 84 hostId}): SGP.22 allows AES with 16-octet keys only. */
	if (key_type != SF_BSP_KEY_TYPE_AES || key_length != SF_BSP_KEY_LEN || !host_id_len ||
	    host_id_len > SF_BSP_HOST_ID_MAX)
		return SF_ECRYPTO_CRT;
	size_t need = 3 + host_id_len + 1 + 16;
	*out_len = need;
	if (dst_len < need)
		return SF_EBUFSIZE;
	dst[0] = key_type;
	dst[1] = key_length;
	dst[2] = (uint8_t)host_id_len;
	memcpy(dst + 3, host_id, host_id_len);
	dst[3 + host_id_len] = 16;
	memcpy(dst + 4 + host_id_len, eid, 16);
	return 0;
}

int sf_bsp_derive_keys(const uint8_t z[32], uint8_t key_type, uint8_t key_length,
                       const uint8_t *host_id, size_t host_id_len, const uint8_t eid[16],
                       struct sf_bsp_keys *keys)
{
	if (!z || !keys)
		return SF_EINVAL;
	uint8_t si[3 + SF_BSP_HOST_ID_MAX + 1 + 16], out[48];
	size_t si_len = 0;
	int rc = sf_bsp_shared_info(key_type, key_length, host_id, host_id_len, eid, si, sizeof(si),
	                            &si_len);
	if (rc)
		goto out;
	rc = sf_x963_kdf_sha256(z, 32, si, si_len, out, sizeof(out));
	if (rc)
		goto out;
	/* Output octets 0-15: initial MCV, 16-31: S-ENC, 32-47: S-MAC. */
	memcpy(keys->mcv0, out, 16);
	memcpy(keys->s_enc, out + 16, 16);
	memcpy(keys->s_mac, out + 32, 16);
out:
	if (rc)
		sf_wipe(keys, sizeof(*keys));
	sf_wipe(out, sizeof(out));
	return rc;
}

int sf_bsp_init(struct sf_bsp *bsp, const uint8_t s_enc[16], const uint8_t s_mac[16],
                const uint8_t mcv0[16])
{
	if (!bsp || !s_enc || !s_mac || !mcv0)
		return SF_EINVAL;
	memcpy(bsp->s_enc, s_enc, 16);
	memcpy(bsp->s_mac, s_mac, 16);
	memcpy(bsp->mcv, mcv0, 16);
	bsp->counter = 1;
	return 0;
}

void sf_bsp_free(struct sf_bsp *bsp)
{
	if (bsp)
		sf_wipe(bsp, sizeof(*bsp));
}

/* BER length of L (L <= 65535): 1, 2 or 3 octets. */
static size_t ber_len_size(size_t l)
{
	return l < 0x80 ? 1 : l < 0x100 ? 2 : 3;
}

static size_t put_ber_len(uint8_t *p, size_t l)
{
	if (l < 0x80) {
		p[0] = (uint8_t)l;
		return 1;
	}
	if (l < 0x100) {
		p[0] = 0x81;
		p[1] = (uint8_t)l;
		return 2;
	}
	p[0] = 0x82;
	p[1] = (uint8_t)(l >> 8);
	p[2] = (uint8_t)l;
	return 3;
}

/* ICV = AES-ECB_{S-ENC}(n as a 16-octet big-endian integer) (§2.6.4). */
static int icv(const struct sf_bsp *bsp, uint8_t out[16])
{
	uint8_t n[16] = {0};
	n[12] = (uint8_t)(bsp->counter >> 24);
	n[13] = (uint8_t)(bsp->counter >> 16);
	n[14] = (uint8_t)(bsp->counter >> 8);
	n[15] = (uint8_t)bsp->counter;
	return sf_aes128_ecb_block(bsp->s_enc, n, out);
}

/* full = AES-CMAC_{S-MAC}(MCV || tag || BER-len(L) || C), L counting the MAC. */
static int chained_mac(const struct sf_bsp *bsp, const uint8_t *head_and_c, size_t len,
                       uint8_t full[16])
{
	struct sf_crypto_part parts[2] = {{bsp->mcv, 16}, {head_and_c, len}};
	return sf_aes128_cmac(bsp->s_mac, parts, 2, full);
}

static int segment(struct sf_bsp *bsp, int encrypt, uint8_t tag, const uint8_t *pt, size_t pt_len,
                   uint8_t *dst, size_t dst_len, size_t *out_len)
{
	if (!bsp || (pt_len && !pt) || !out_len || (dst_len && !dst))
		return SF_EINVAL;
	if (encrypt ? (tag != SF_BSP_TAG_PROFILE && tag != SF_BSP_TAG_ENC) : tag != SF_BSP_TAG_MAC)
		return SF_EINVAL;
	if (pt_len > (encrypt ? SF_BSP_PLAIN_MAX : SF_BSP_MAC_PLAIN_MAX))
		return SF_ELEN;
	/* The counter starts at 1; its 2^32-1 segments are far beyond any
	 * profile, but it must never wrap to reuse an ICV. */
	if (bsp->counter == 0 || bsp->counter == UINT32_MAX)
		return SF_ERANGE;
	/* §2.6.4.4: padding 80 00.. is always added, a full block when P is
	 * already a multiple of 16. */
	size_t clen = encrypt ? (pt_len / 16 + 1) * 16 : pt_len;
	size_t l = clen + SF_BSP_MAC_LEN, hdr = 1 + ber_len_size(l), total = hdr + l;
	*out_len = total;
	if (dst_len < total)
		return SF_EBUFSIZE;
	uint8_t iv[16], full[16];
	int rc;
	if (pt_len)
		memmove(dst + hdr, pt, pt_len);
	dst[0] = tag;
	put_ber_len(dst + 1, l);
	if (encrypt) {
		dst[hdr + pt_len] = 0x80;
		memset(dst + hdr + pt_len + 1, 0, clen - pt_len - 1);
		rc = icv(bsp, iv);
		if (rc)
			goto out;
		rc = sf_aes128_cbc_encrypt(bsp->s_enc, iv, dst + hdr, clen, dst + hdr);
		if (rc)
			goto out;
	}
	rc = chained_mac(bsp, dst, hdr + clen, full);
	if (rc)
		goto out;
	memcpy(dst + hdr + clen, full, SF_BSP_MAC_LEN);
	memcpy(bsp->mcv, full, 16); /* MCV := the full 16-octet CMAC */
	bsp->counter++;             /* for every segment, 88 included */
out:
	if (rc)
		sf_wipe(dst, total);
	sf_wipe(iv, sizeof(iv));
	sf_wipe(full, sizeof(full));
	return rc;
}

int sf_bsp_protect(struct sf_bsp *bsp, uint8_t tag, const uint8_t *pt, size_t pt_len, uint8_t *dst,
                   size_t dst_len, size_t *out_len)
{
	return segment(bsp, 1, tag, pt, pt_len, dst, dst_len, out_len);
}

int sf_bsp_mac_only(struct sf_bsp *bsp, uint8_t tag, const uint8_t *pt, size_t pt_len, uint8_t *dst,
                    size_t dst_len, size_t *out_len)
{
	return segment(bsp, 0, tag, pt, pt_len, dst, dst_len, out_len);
}

/* Strict BER definite length in minimal form, as SGP.22's DER: 1..3 octets. */
static int get_ber_len(const uint8_t *p, size_t avail, size_t *l, size_t *used)
{
	if (avail < 1)
		return SF_ECRYPTO_BSP_FORMAT;
	if (p[0] < 0x80) {
		*l = p[0];
		*used = 1;
		return 0;
	}
	if (p[0] == 0x81 && avail >= 2 && p[1] >= 0x80) {
		*l = p[1];
		*used = 2;
		return 0;
	}
	if (p[0] == 0x82 && avail >= 3 && p[1] != 0) {
		*l = (size_t)p[1] << 8 | p[2];
		*used = 3;
		return 0;
	}
	return SF_ECRYPTO_BSP_FORMAT;
}

int sf_bsp_unprotect(struct sf_bsp *bsp, uint8_t tag, const uint8_t *tlv, size_t tlv_len,
                     uint8_t *dst, size_t dst_len, size_t *out_len)
{
	if (!bsp || !tlv || !out_len || (dst_len && !dst))
		return SF_EINVAL;
	if (tag != SF_BSP_TAG_PROFILE && tag != SF_BSP_TAG_ENC && tag != SF_BSP_TAG_MAC)
		return SF_EINVAL;
	int encrypted = tag != SF_BSP_TAG_MAC;
	size_t l = 0, used = 0;
	if (tlv_len < 2 || tlv_len > SF_BSP_SEGMENT_MAX || tlv[0] != tag)
		return SF_ECRYPTO_BSP_FORMAT;
	if (get_ber_len(tlv + 1, tlv_len - 1, &l, &used) || 1 + used + l != tlv_len ||
	    l < SF_BSP_MAC_LEN)
		return SF_ECRYPTO_BSP_FORMAT;
	size_t hdr = 1 + used, clen = l - SF_BSP_MAC_LEN;
	if (encrypted && (clen == 0 || clen % 16))
		return SF_ECRYPTO_BSP_FORMAT;
	if (bsp->counter == 0 || bsp->counter == UINT32_MAX)
		return SF_ERANGE;
	if (dst_len < clen) {
		*out_len = clen;
		return SF_EBUFSIZE;
	}
	uint8_t iv[16], full[16];
	size_t n = clen;
	int rc = chained_mac(bsp, tlv, hdr + clen, full);
	if (rc)
		goto out;
	/* MAC first (encrypt-then-MAC): nothing is decrypted, and so no
	 * padding oracle exists, unless the segment is authentic. */
	if (!sf_ct_eq(full, tlv + hdr + clen, SF_BSP_MAC_LEN)) {
		rc = SF_ECRYPTO_BSP_MAC;
		goto out;
	}
	if (encrypted) {
		rc = icv(bsp, iv);
		if (rc)
			goto out;
		rc = sf_aes128_cbc_decrypt(bsp->s_enc, iv, tlv + hdr, clen, dst);
		if (rc)
			goto out;
		/* §2.6.4.4: P' = P || 80 || 00.., 1..16 padding octets. */
		while (n > clen - 16 && dst[n - 1] == 0)
			n--;
		if (n == clen - 16 || dst[n - 1] != 0x80) {
			rc = SF_ECRYPTO_BSP_FORMAT;
			goto out;
		}
		n--;
		dst[n] = 0;
	} else if (clen) {
		memmove(dst, tlv + hdr, clen);
	}
	*out_len = n;
	memcpy(bsp->mcv, full, 16);
	bsp->counter++;
	rc = 0;
out:
	if (rc && dst)
		sf_wipe(dst, clen);
	sf_wipe(iv, sizeof(iv));
	sf_wipe(full, sizeof(full));
	return rc;
}
