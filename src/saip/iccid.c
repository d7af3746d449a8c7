/*
 * ICCID checks for SAIP profile packages.
 *
 * SIMalliance/TCA eUICC Profile Package: Interoperable Format Technical
 * Specification v3.3.1, PEDefinitions (ProfileHeader.iccid, EF.ICCID); the
 * number itself is ITU-T E.118: up to 19 digits plus a Luhn check digit
 * (ISO/IEC 7812-1 Annex B), 18 to 20 digits in practice.
 */
#include <string.h>

#include "simfleet/err.h"
#include "simfleet/saip.h"

int sf_iccid_luhn(const char *s, size_t n)
{
	unsigned sum = 0;
	if (!s || n == 0)
		return -1;
	/* From the rightmost digit of the payload, double every other digit
	 * starting with that one (it sits next to the check digit). */
	for (size_t i = 0; i < n; i++) {
		char c = s[n - 1 - i];
		if (c < '0' || c > '9')
			return -1;
		unsigned d = (unsigned)(c - '0');
		if ((i & 1) == 0) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return '0' + (int)((10 - sum % 10) % 10);
}

int sf_iccid_check(const char *iccid)
{
	size_t n;
	if (!iccid)
		return SF_EINVAL;
	n = strlen(iccid);
	if (n < 18 || n > 20)
		return SF_ESAIP_ICCID;
	int c = sf_iccid_luhn(iccid, n - 1);
	if (c < 0 || iccid[n - 1] != (char)c)
		return SF_ESAIP_ICCID;
	return 0;
}
