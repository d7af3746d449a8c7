/*
 * eUICC identifiers (EID), GSMA SGP.29: 32 decimal digits, starting with 89,
 * the last two being check digits computed as in ISO 7064 MOD 97-10 (the
 * whole number modulo 97 equals 1).
 */
#ifndef SIMFLEET_EID_H
#define SIMFLEET_EID_H

#include <stddef.h>

#include "simfleet/rng.h"

#define SF_EID_DIGITS 32

/* 0 when eid is 32 digits, starts with "89" and its check digits hold;
 * SF_EINVAL otherwise. */
int sf_eid_check(const char *eid);

/* Makes an EID from prefix (2..30 digits, starting with "89", e.g. an EUM's
 * "89049032"), random digits up to 30 from rng, and the check digits.
 * dst receives 33 characters including the NUL.  Returns 0, SF_EINVAL,
 * SF_ERNG. */
int sf_eid_generate(char dst[SF_EID_DIGITS + 1], const char *prefix, const struct sf_rng *rng);

#endif
