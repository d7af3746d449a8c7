/*
 * ES10a: the LPA's access to the eUICC's configured server addresses.
 *
 *   GSMA SGP.22 v2.5 §5.7.3  ES10a.GetEuiccConfiguredAddresses  (BF3C)
 *   GSMA SGP.22 v2.5 §5.7.4  ES10a.SetDefaultDpAddress          (BF3F)
 *   ASN.1: RSPDefinitions v2.5 (AUTOMATIC TAGS, EXTENSIBILITY IMPLIED)
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "isdr_internal.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/isdr.h"

/* EuiccConfiguredAddressesRequest ::= [60] SEQUENCE {}
 * EuiccConfiguredAddressesResponse ::= [60] SEQUENCE {
 *   defaultDpAddress UTF8String OPTIONAL,   -> 80, absent when none is set
 *   rootDsAddress UTF8String }              -> 81
 * The response has no error alternative: a host failure is 6F 00. */
int sf__isdr_get_addresses(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                           struct sf_der_writer *w)
{
	char dp[256], ds[256];
	int rc;

	if ((rc = sf__isdr_req_end(val, val + len)) != 0)
		return rc;
	if (isdr->ops->addresses == NULL)
		return SF_ENOTSUP;
	dp[0] = ds[0] = '\0';
	rc = isdr->ops->addresses(isdr->user, dp, sizeof(dp), ds, sizeof(ds));
	if (rc < 0)
		return rc;
	dp[sizeof(dp) - 1] = ds[sizeof(ds) - 1] = '\0';

	size_t m = sf_der_writer_mark(w);
	sf__isdr_write_utf8(w, SF_DER_CTX(1), ds);
	if (dp[0] != '\0')
		sf__isdr_write_utf8(w, SF_DER_CTX(0), dp);
	return sf_der_write_wrap(w, m, 0xBF3C);
}

/* SetDefaultDpAddressRequest ::= [63] SEQUENCE { defaultDpAddress UTF8String }  -> 80
 * SetDefaultDpAddressResponse ::= [63] SEQUENCE { setDefaultDpAddressResult
 *   INTEGER { ok(0), undefinedError(127) } }
 * An empty address clears the default SM-DP+ address.  An FQDN has at most
 * 255 octets (RFC 1035 §2.3.4): a longer one is refused with 6A 80. */
int sf__isdr_set_default_dp(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                            struct sf_der_writer *w)
{
	const uint8_t *p = val, *end = val + len, *v;
	size_t vlen;
	char addr[256];
	int rc;

	if (sf_der_get_string(&p, end, SF_DER_CTX(0), SF_DER_UTF8_STRING, &v, &vlen) != 0 ||
	    vlen > 255)
		return SF_EES10_REQUEST;
	if ((rc = sf__isdr_req_end(p, end)) != 0)
		return rc;
	memcpy(addr, v, vlen);
	addr[vlen] = '\0';

	rc = isdr->ops->set_default_dp ? isdr->ops->set_default_dp(isdr->user, addr) : SF_ENOTSUP;
	/* Only ok and undefinedError are defined for this function. */
	long result = rc == SF_ES10_OK ? SF_ES10_OK : SF_ES10_UNDEFINED;
	return sf__isdr_write_result(w, 0xBF3F, result);
}
