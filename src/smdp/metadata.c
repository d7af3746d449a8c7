/*
 * StoreMetadataRequest (GSMA SGP.22 v2.5 §5.5.3 / §5.6.3: the profileMetadata
 * of ES9+.AuthenticateClient's answer, RSPDefinitions v2.5).
 *
 * StoreMetadataRequest ::= [37] SEQUENCE { iccid Iccid (5A, BCD as EF.ICCID),
 *   serviceProviderName [17] UTF8String (SIZE(0..32)), profileName [18]
 *   UTF8String (SIZE(0..64)), ..., profileClass [21] DEFAULT operational, ... }
 * DER leaves a DEFAULT value out (X.690 §11.5): operational(2) is not
 * encoded.  The encoder is the one sf_rsp_smdp_bind uses for the BPP's A1
 * (sf_bpp_metadata_encode), so what the LPA shows the user is what the
 * eUICC receives.
 */
#include <string.h>

#include "simfleet/bpp.h"
#include "simfleet/err.h"
#include "simfleet/smdp.h"

int sf_smdp_metadata_encode(const struct sf_bpp_metadata *md, uint8_t *dst, size_t dst_len,
                            size_t *out_len)
{
	if (!md || !out_len)
		return SF_EINVAL;
	/* The inventory keeps ICCIDs of 18 to 20 digits. */
	size_t nd = strnlen(md->iccid, sizeof(md->iccid));
	if (nd < 18 || nd > 20)
		return SF_EINVAL;
	int rc = sf_bpp_metadata_encode(md, dst, dst_len, out_len);
	return rc == SF_ERSP_FORMAT ? SF_EINVAL : rc;
}
