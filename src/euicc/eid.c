/* EID check digits, GSMA SGP.29 §2 (ISO/IEC 7064 MOD 97-10, as in IBAN). */
#include <string.h>

#include "simfleet/eid.h"
#include "simfleet/err.h"

static unsigned mod97(const char *digits, size_t n)
{
	unsigned r = 0;
	for (size_t i = 0; i < n; i++)
		r = (r * 10 + (unsigned)(digits[i] - '0')) % 97;
	return r;
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int sf_eid_check(const char *eid)
{
	if (!eid || strlen(eid) != SF_EID_DIGITS || !all_digits(eid, SF_EID_DIGITS) ||
	    eid[0] != '8' || eid[1] != '9')
		return SF_EINVAL;
	return mod97(eid, SF_EID_DIGITS) == 1 ? 0 : SF_EINVAL;
}

int sf_eid_generate(char dst[SF_EID_DIGITS + 1], const char *prefix, const struct sf_rng *rng)
{
	size_t pl = prefix ? strlen(prefix) : 0;
	if (!dst || !rng || pl < 2 || pl > 30 || !all_digits(prefix, pl) || prefix[0] != '8' ||
	    prefix[1] != '9')
		return SF_EINVAL;
	memcpy(dst, prefix, pl);
	uint8_t rnd[30];
	int rc = sf_rng_fill(rng, rnd, sizeof(rnd));
	if (rc)
		return rc;
	/* 250 = 25 * 10: rejecting larger octets keeps the digits uniform. */
	for (size_t i = pl; i < 30;) {
		for (size_t j = 0; j < sizeof(rnd) && i < 30; j++)
			if (rnd[j] < 250)
				dst[i++] = (char)('0' + rnd[j] % 10);
		if (i < 30 && (rc = sf_rng_fill(rng, rnd, sizeof(rnd))))
			return rc;
	}
	dst[30] = dst[31] = '0';
	unsigned check = 98 - mod97(dst, SF_EID_DIGITS);
	dst[30] = (char)('0' + check / 10);
	dst[31] = (char)('0' + check % 10);
	dst[32] = 0;
	return 0;
}
