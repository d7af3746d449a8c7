/*
 * StoreMetadataRequest (GSMA SGP.22 v2.5 §5.5.3 / §5.6.3: the profileMetadata
 * of ES9+.AuthenticateClient's answer, RSPDefinitions v2.5).
 *
 * StoreMetadataRequest ::= [37] SEQUENCE { iccid Iccid (5A, BCD as EF.ICCID),
 *   serviceProviderName [17] UTF8String (SIZE(0..32)), profileName [18]
 *   UTF8String (SIZE(0..64)), ..., profileClass [21] DEFAULT operational, ... }
 * DER leaves a DEFAULT value out (X.690 §11.5): operational(2) is not
 * encoded.  The same encoding sf_rsp_smdp_bind puts into the BPP's A1, so
 * what the LPA shows the user is what the eUICC receives.
 */
#include <string.h>

#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/smdp.h"

int sf_smdp_metadata_encode(const struct sf_bpp_metadata *md, uint8_t *dst, size_t dst_len,
                            size_t *out_len)
{
	if (!md || !out_len)
		return SF_EINVAL;
	size_t nd = strnlen(md->iccid, sizeof(md->iccid));
	size_t spn = strnlen(md->spn, sizeof(md->spn)), name = strnlen(md->name, sizeof(md->name));
	if (nd < 18 || nd > 20 || strspn(md->iccid, "0123456789") != nd || spn > 32 || name > 64 ||
	    md->pclass < -1 || md->pclass > 2)
		return SF_EINVAL;
	/* EF.ICCID order: digit 2i in the low nibble, 2i+1 in the high, F pad. */
	uint8_t bcd[10];
	for (size_t i = 0; i < 10; i++) {
		unsigned lo = 2 * i < nd ? (unsigned)(md->iccid[2 * i] - '0') : 0xFu;
		unsigned hi = 2 * i + 1 < nd ? (unsigned)(md->iccid[2 * i + 1] - '0') : 0xFu;
		bcd[i] = (uint8_t)(lo | (hi << 4));
	}
	struct sf_der_writer w;
	sf_der_writer_init(&w, dst, dst_len);
	size_t m = sf_der_writer_mark(&w);
	if (md->pclass >= 0 && md->pclass != 2)
		sf_der_write_int64(&w, SF_DER_CTX(21), md->pclass);
	sf_der_write_string(&w, SF_DER_CTX(18), SF_DER_UTF8_STRING, md->name, name);
	sf_der_write_string(&w, SF_DER_CTX(17), SF_DER_UTF8_STRING, md->spn, spn);
	sf_der_write_octets(&w, 0x5Au, bcd, sizeof(bcd));
	sf_der_write_wrap(&w, m, 0xBF25u);
	int rc = sf_der_writer_finish(&w, out_len);
	return rc == SF_EDER_CHARSET ? SF_EINVAL : rc;
}
