/*
 * The activation code (GSMA SGP.22 v2.5 §4.1): what the QR code of an
 * operator holds.
 *
 *   AC = [ "LPA:" ] AC_Format "$" SM-DP+ Address "$" AC_Token
 *        [ "$" SM-DP+ OID [ "$" Confirmation Code Required Flag ] ]
 *
 * AC_Format is "1".  The SM-DP+ address is an FQDN (simfleet also accepts a
 * ":port" after it, as test SM-DP+s on loopback need).  AC_Token is the
 * matchingId (SGP.22: alphanumeric and '-'; simfleet accepts any printable
 * ASCII but '$', since operators' SM-DP+s do not all keep to the rule).  The
 * OID is dotted decimal and may be empty when the flag follows; the flag is
 * "1" when a confirmation code is required ("0" is read as not required).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "simfleet/err.h"
#include "simfleet/ipa.h"

/* Copies the field [s, e) into dst (cap) if it fits and every character
 * passes ok(). */
static int field(char *dst, size_t cap, const char *s, const char *e, int (*ok)(int))
{
	size_t n = (size_t)(e - s);
	if (n >= cap)
		return SF_EIPA_AC;
	for (size_t i = 0; i < n; i++)
		if (!ok((unsigned char)s[i]))
			return SF_EIPA_AC;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

static int host_char(int ch)
{
	return isalnum(ch) || ch == '.' || ch == '-' || ch == ':' || ch == '[' || ch == ']';
}

static int token_char(int ch)
{
	return ch > 0x20 && ch < 0x7f && ch != '$';
}

static int oid_char(int ch)
{
	return isdigit(ch) || ch == '.';
}

static int valid_host(const char *h)
{
	size_t n = strlen(h);
	if (n == 0 || h[0] == '.' || h[0] == '-' || h[0] == ':')
		return 0;
	/* At most one ':' outside brackets, followed by a port 1..65535. */
	const char *colon = NULL;
	if (h[0] == '[') {
		const char *rb = strchr(h, ']');
		if (!rb || rb == h + 1)
			return 0;
		colon = rb[1] == ':' ? rb + 1 : NULL;
		if (rb[1] && !colon)
			return 0;
	} else {
		if (strchr(h, '[') || strchr(h, ']'))
			return 0;
		colon = strchr(h, ':');
		if (colon && strchr(colon + 1, ':'))
			return 0;
		if (colon == h)
			return 0;
	}
	if (colon) {
		const char *q = colon + 1;
		unsigned long port = 0;
		if (!*q || strlen(q) > 5)
			return 0;
		for (; *q; q++) {
			if (!isdigit((unsigned char)*q))
				return 0;
			port = port * 10 + (unsigned long)(*q - '0');
		}
		if (port == 0 || port > 65535)
			return 0;
	}
	return 1;
}

static int valid_oid(const char *o)
{
	/* empty, or digits separated by single dots, at least two arcs */
	if (!*o)
		return 1;
	if (o[0] == '.' || o[strlen(o) - 1] == '.' || strstr(o, "..") || !strchr(o, '.'))
		return 0;
	return 1;
}

int sf_ipa_ac_parse(const char *s, struct sf_ipa_ac *out)
{
	const char *f[6];
	const char *end;
	size_t nf = 0;
	if (!s || !out)
		return SF_EINVAL;
	memset(out, 0, sizeof(*out));
	if (strncasecmp(s, "LPA:", 4) == 0)
		s += 4;
	end = s + strlen(s);
	if (end - s > 1024)
		return SF_EIPA_AC;
	f[nf++] = s;
	for (const char *p = s; p < end; p++) {
		if (*p == '$') {
			if (nf == 5)
				return SF_EIPA_AC; /* more than five fields */
			f[nf++] = p + 1;
		}
	}
	if (nf < 3)
		return SF_EIPA_AC;
#define FEND(i) ((i) + 1 < nf ? f[(i) + 1] - 1 : end)
	if (FEND(0) - f[0] != 1 || f[0][0] != '1')
		return SF_EIPA_AC; /* AC_Format */
	if (field(out->smdp, sizeof(out->smdp), f[1], FEND(1), host_char) != 0 ||
	    !valid_host(out->smdp))
		goto bad;
	if (field(out->matching_id, sizeof(out->matching_id), f[2], FEND(2), token_char) != 0)
		goto bad;
	if (nf > 3 && (field(out->oid, sizeof(out->oid), f[3], FEND(3), oid_char) != 0 ||
	               !valid_oid(out->oid)))
		goto bad;
	if (nf > 4) {
		if (FEND(4) - f[4] != 1 || (f[4][0] != '0' && f[4][0] != '1'))
			goto bad;
		out->cc_required = f[4][0] == '1';
	}
#undef FEND
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return SF_EIPA_AC;
}

int sf_ipa_smdp_address_valid(const char *address)
{
	if (!address || !*address || strlen(address) > 255)
		return 0;
	for (const char *p = address; *p; p++)
		if (!host_char((unsigned char)*p))
			return 0;
	return valid_host(address);
}
