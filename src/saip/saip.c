/*
 * SAIP profile package parser.
 *
 * SIMalliance/TCA eUICC Profile Package: Interoperable Format Technical
 * Specification v3.3.1, PEDefinitions.  The module uses AUTOMATIC TAGS, so a
 * ProfileElement alternative is the context tag of its position ([4] = A4,
 * akaParameter) and SEQUENCE fields are context tags in declaration order,
 * except in types that tag some of their fields explicitly (X.680 §25.3:
 * then nothing is tagged automatically, e.g. PE-RFM, Fcp, ApplicationInstance).
 *
 * Everything here works in place on the caller's buffer: no heap, no copies
 * of K or OPc.  DER is enforced by the der module; fields with a DEFAULT are
 * accepted when encoded with their default value (BER allows it, and such
 * packages exist), the module's SIZE constraints are enforced, and unknown
 * tags (the module's extension marker) are rejected: an eUICC must not
 * silently ignore a field it does not understand.
 */
#include <stdio.h>
#include <string.h>

#include "saip_internal.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/saip.h"
#include "simfleet/util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_DEPTH 16

/* ---- errors ---- */

/* Fills e (may be NULL) and returns code: the one way the SAIP module
 * reports a refusal (saip_internal.h). */
int sf__saip_fail(struct sf_saip_error *e, int code, const char *field, const char *detail)
{
	if (e) {
		e->code = code;
		e->field = field;
		e->detail = detail;
	}
	return code;
}

static void err_start(struct sf_saip_error *e, const struct sf_saip_pe *pe)
{
	if (!e)
		return;
	memset(e, 0, sizeof(*e));
	if (pe) {
		e->element = pe->name;
		e->tag = (uint32_t)sf_der_tag_make(SF_DER_CLASS_CONTEXT, 1, pe->type);
		e->index = pe->index;
		e->offset = pe->offset;
	} else {
		e->element = "package";
	}
}

size_t sf_saip_error_format(const struct sf_saip_error *e, char *dst, size_t dst_len)
{
	char tmp[256];
	int n;
	if (!dst || dst_len == 0)
		return 0;
	if (!e) {
		dst[0] = 0;
		return 0;
	}
	char unk[40];
	const char *el = e->element ? e->element : "package";
	if (e->code == SF_ESAIP_UNKNOWN_PE && e->tag) {
		snprintf(unk, sizeof(unk), "element with tag %X", (unsigned)e->tag);
		el = unk;
	}
	const char *what = e->detail ? e->detail : sf_strerror(e->code);
	if (e->field && e->detail)
		n = snprintf(tmp, sizeof(tmp), "%s: %s %s", el, e->field, what);
	else if (e->field)
		n = snprintf(tmp, sizeof(tmp), "%s: %s: %s", el, e->field, what);
	else
		n = snprintf(tmp, sizeof(tmp), "%s: %s", el, what);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(tmp))
		n = (int)sizeof(tmp) - 1;
	if (!e->element || strcmp(e->element, "parameters") != 0)
		snprintf(tmp + n, sizeof(tmp) - (size_t)n, " (element %u at offset %zu)", e->index,
			 e->offset);
	size_t len = strlen(tmp);
	if (len >= dst_len)
		len = dst_len - 1;
	memcpy(dst, tmp, len);
	dst[len] = 0;
	return len;
}

/* ---- small readers on an already-iterated TLV ---- */

static int tlv_uint(const struct sf_der_tlv *t, uint64_t max, uint64_t *out,
		    struct sf_saip_error *e, const char *field)
{
	const uint8_t *q = t->raw;
	uint64_t v;
	int rc = sf_der_get_uint64(&q, t->raw + t->raw_len, t->tag, &v);
	if (rc == SF_EDER_RANGE)
		return sf__saip_fail(e, SF_ESAIP_VALUE, field, "is negative or too large");
	if (rc)
		return sf__saip_fail(e, rc, field, NULL);
	if (v > max)
		return sf__saip_fail(e, SF_ESAIP_VALUE, field, "is out of range");
	*out = v;
	return 0;
}

static int tlv_null(const struct sf_der_tlv *t, struct sf_saip_error *e, const char *field)
{
	if (t->len != 0)
		return sf__saip_fail(e, SF_EDER_VALUE, field, "must be NULL (empty)");
	return 0;
}

/* OCTET STRING with a SIZE constraint (the tag already matched, primitive). */
static int tlv_size(const struct sf_der_tlv *t, size_t lo, size_t hi, struct sf_saip_error *e,
		    const char *field, const char *detail)
{
	if (t->len < lo || t->len > hi)
		return sf__saip_fail(e, SF_ESAIP_VALUE, field, detail);
	return 0;
}

/* Every constructed element below is well-formed DER, down to MAX_DEPTH. */
static int check_nested(const uint8_t *val, size_t len, int depth)
{
	struct sf_der_iter it;
	struct sf_der_tlv t;
	int rc;
	if (depth > MAX_DEPTH)
		return SF_ESAIP_FORMAT;
	sf_der_iter_init(&it, val, len);
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		if (sf_der_tag_constructed(t.tag)) {
			rc = check_nested(t.val, t.len, depth + 1);
			if (rc)
				return rc;
		}
	}
	return rc;
}

/* Matches the children of val/len, in order, against the field list f.
 * out[i].raw is NULL for an absent optional field. */
static int match_seq(const uint8_t *val, size_t len, const struct sf__saip_fdesc *f, size_t n,
		     struct sf_der_tlv *out, struct sf_saip_error *e)
{
	struct sf_der_iter it;
	struct sf_der_tlv t;
	size_t i = 0;
	int rc;
	for (size_t k = 0; k < n; k++)
		memset(&out[k], 0, sizeof(out[k]));
	sf_der_iter_init(&it, val, len);
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		while (i < n && f[i].tag != t.tag) {
			if (!f[i].optional)
				return sf__saip_fail(e, SF_ESAIP_FORMAT, f[i].name,
				                     "is missing (or a field is out of order)");
			i++;
		}
		if (i == n)
			return sf__saip_fail(e, SF_ESAIP_FORMAT, NULL,
			                     "has an unknown or out-of-order field");
		out[i++] = t;
	}
	if (rc < 0)
		return sf__saip_fail(e, rc, i < n ? f[i].name : NULL, NULL);
	for (; i < n; i++)
		if (!f[i].optional)
			return sf__saip_fail(e, SF_ESAIP_FORMAT, f[i].name, "is missing");
	return 0;
}

/* PEHeader ::= SEQUENCE { mandated NULL OPTIONAL, identification UInt15 } */
static int pe_header(const struct sf_der_tlv *t, int *mandated, unsigned *ident,
		     struct sf_saip_error *e, const char *name)
{
	static const struct sf__saip_fdesc f[] = {{0x80, "mandated", 1},
						  {0x81, "identification", 0}};
	struct sf_der_tlv o[2];
	uint64_t v;
	int rc = match_seq(t->val, t->len, f, 2, o, e);
	if (rc) {
		if (e && e->field == NULL)
			e->field = name;
		return rc;
	}
	if (o[0].raw && (rc = tlv_null(&o[0], e, "mandated")))
		return rc;
	if ((rc = tlv_uint(&o[1], 32767, &v, e, "identification")))
		return rc;
	*mandated = o[0].raw != NULL;
	*ident = (unsigned)v;
	return 0;
}

/* ---- ProfileHeader ---- */

static int bcd_iccid(const uint8_t *b, char out[21])
{
	size_t n = 0;
	int done = 0;
	for (size_t i = 0; i < 10; i++) {
		unsigned d[2] = {b[i] >> 4, b[i] & 0x0Fu};
		for (int j = 0; j < 2; j++) {
			if (d[j] == 0xF) {
				done = 1;
			} else if (d[j] <= 9 && !done) {
				out[n++] = (char)('0' + d[j]);
			} else {
				return -1;
			}
		}
	}
	out[n] = 0;
	return n >= 18 ? 0 : -1;
}

int sf_saip_header_decode(const struct sf_saip_pe *pe, struct sf_saip_header *h,
			  struct sf_saip_error *err)
{
	const struct sf__saip_petab *tab = &sf__saip_pes[SF_SAIP_PE_HEADER];
	struct sf_der_tlv o[10];
	struct sf_saip_header x;
	struct sf_der_iter it;
	struct sf_der_tlv t;
	uint64_t v;
	int rc;
	if (!pe || !h || pe->type != SF_SAIP_PE_HEADER)
		return SF_EINVAL;
	err_start(err, pe);
	memset(&x, 0, sizeof(x));
	if ((rc = match_seq(pe->val, pe->len, tab->fields, tab->nfields, o, err)))
		return rc;
	if ((rc = tlv_uint(&o[0], 255, &v, err, "major-version")))
		return rc;
	x.major = (unsigned)v;
	if ((rc = tlv_uint(&o[1], 255, &v, err, "minor-version")))
		return rc;
	x.minor = (unsigned)v;
	if (o[2].raw) {
		const uint8_t *q = o[2].raw, *s;
		size_t sl;
		rc = sf_der_get_string(&q, o[2].raw + o[2].raw_len, 0x82, SF_DER_UTF8_STRING, &s,
				       &sl);
		if (rc)
			return sf__saip_fail(err, rc, "profileType", NULL);
		if (sl < 1 || sl > 100)
			return sf__saip_fail(err, SF_ESAIP_VALUE, "profileType",
			                     "must be 1 to 100 octets");
		x.profile_type = s;
		x.profile_type_len = sl;
	}
	if ((rc = tlv_size(&o[3], 10, 10, err, "iccid", "must be 10 octets")))
		return rc;
	if (bcd_iccid(o[3].val, x.iccid))
		return sf__saip_fail(err, SF_ESAIP_VALUE, "iccid",
		                     "must be 18 to 20 BCD digits padded with F");
	x.iccid_raw = o[3].val;
	if (o[4].raw) {
		x.pol = o[4].val;
		x.pol_len = o[4].len;
	}
	/* ServicesList: NULLs [0]..[29] in order. */
	sf_der_iter_init(&it, o[5].val, o[5].len);
	int last = -1;
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		unsigned num = sf_der_tag_number(t.tag);
		if (sf_der_tag_class(t.tag) != SF_DER_CLASS_CONTEXT || sf_der_tag_constructed(t.tag) ||
		    num >= SF_SAIP_SVC_COUNT || (int)num <= last)
			return sf__saip_fail(err, SF_ESAIP_FORMAT, "eUICC-Mandatory-services",
			                     "has an unknown or out-of-order service");
		if (t.len)
			return sf__saip_fail(err, SF_EDER_VALUE, "eUICC-Mandatory-services",
			                     "entries must be NULL");
		x.services |= 1u << num;
		last = (int)num;
	}
	if (rc < 0)
		return sf__saip_fail(err, rc, "eUICC-Mandatory-services", NULL);
	/* eUICC-Mandatory-GFSTEList: SEQUENCE OF OBJECT IDENTIFIER */
	sf_der_iter_init(&it, o[6].val, o[6].len);
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		const uint8_t *q = t.raw, *oid;
		size_t ol;
		rc = sf_der_get_oid(&q, t.raw + t.raw_len, SF_DER_OID, &oid, &ol);
		if (rc)
			return sf__saip_fail(err, rc == SF_EDER_TAG ? SF_ESAIP_FORMAT : rc,
			                     "eUICC-Mandatory-GFSTEList", "must hold only OIDs");
		x.gfste_count++;
	}
	if (rc < 0)
		return sf__saip_fail(err, rc, "eUICC-Mandatory-GFSTEList", NULL);
	x.gfste = o[6].val;
	x.gfste_len = o[6].len;
	if (o[7].raw) {
		x.connectivity = o[7].val;
		x.connectivity_len = o[7].len;
	}
	if (o[8].raw) {
		static const struct sf__saip_fdesc fa[] = {{0x80, "aid", 0}, {0x81, "version", 0}};
		struct sf_der_tlv a[2];
		sf_der_iter_init(&it, o[8].val, o[8].len);
		while ((rc = sf_der_iter_next(&it, &t)) > 0) {
			if (t.tag != SF_DER_SEQUENCE)
				return sf__saip_fail(err, SF_ESAIP_FORMAT, "eUICC-Mandatory-AIDs",
				                     "entries must be SEQUENCEs");
			if ((rc = match_seq(t.val, t.len, fa, 2, a, err)))
				return rc;
			if ((rc = tlv_size(&a[0], 5, 16, err, "eUICC-Mandatory-AIDs",
					   "aid must be 5 to 16 octets")) ||
			    (rc = tlv_size(&a[1], 2, 2, err, "eUICC-Mandatory-AIDs",
					   "version must be 2 octets")))
				return rc;
		}
		if (rc < 0)
			return sf__saip_fail(err, rc, "eUICC-Mandatory-AIDs", NULL);
		x.aids = o[8].val;
		x.aids_len = o[8].len;
	}
	if (o[9].raw) {
		static const struct sf__saip_fdesc fi[] = {{0x80, "pix", 0}};
		struct sf_der_tlv a[1];
		if ((rc = match_seq(o[9].val, o[9].len, fi, 1, a, err)))
			return rc;
		if ((rc = tlv_size(&a[0], 7, 11, err, "iotOptions", "pix must be 7 to 11 octets")))
			return rc;
		x.iot_pix = a[0].val;
		x.iot_pix_len = a[0].len;
	}
	*h = x;
	return 0;
}

/* ---- PE-AKAParameter ---- */

static const uint8_t rot_default[5] = {0x40, 0x00, 0x20, 0x40, 0x60};

static int sqn_max_ok(const uint8_t v[6])
{
	return v[0] <= 0x07; /* <= '07FFFFFFFFFF'H */
}

int sf_saip_aka_decode(const struct sf_saip_pe *pe, struct sf_saip_aka *aka,
		       struct sf_saip_error *err)
{
	const struct sf__saip_petab *tab = &sf__saip_pes[SF_SAIP_PE_AKA_PARAMETER];
	struct sf_der_tlv o[6], c;
	struct sf_saip_aka x;
	uint64_t v;
	int rc, mand;
	unsigned id;
	if (!pe || !aka || pe->type != SF_SAIP_PE_AKA_PARAMETER)
		return SF_EINVAL;
	err_start(err, pe);
	memset(&x, 0, sizeof(x));
	if ((rc = match_seq(pe->val, pe->len, tab->fields, tab->nfields, o, err)))
		return rc;
	if ((rc = pe_header(&o[0], &mand, &id, err, "aka-header")))
		return rc;
	/* algoConfiguration: a CHOICE, hence explicitly tagged [1]: exactly one
	 * alternative inside. */
	{
		const uint8_t *q = o[1].val, *qe = o[1].val + o[1].len;
		rc = sf_der_get_tlv(&q, qe, &c.tag, &c.val, &c.len);
		if (rc)
			return sf__saip_fail(err, rc, "algoConfiguration", NULL);
		c.raw = o[1].val;
		c.raw_len = (size_t)(q - o[1].val);
		if (q != qe)
			return sf__saip_fail(err, SF_ESAIP_FORMAT, "algoConfiguration",
			                     "must hold exactly one alternative");
	}
	x.number_of_keccak = 1;
	memcpy(x.rotation_constants, rot_default, 5);
	/* xoringConstants DEFAULT c1..c5 = 0, 1, 2, 4, 8 (TS 35.206 §4.1). */
	x.xoring_constants[31] = 1;
	x.xoring_constants[47] = 2;
	x.xoring_constants[63] = 4;
	x.xoring_constants[79] = 8;
	if (c.tag == 0xA0) {
		static const struct sf__saip_fdesc fm[] = {{0x80, "mappingOptions", 0},
							   {0x81, "mappingSource", 0}};
		struct sf_der_tlv m[2];
		if ((rc = match_seq(c.val, c.len, fm, 2, m, err)))
			return rc;
		if ((rc = tlv_size(&m[0], 1, 1, err, "mappingOptions", "must be 1 octet")) ||
		    (rc = tlv_size(&m[1], 5, 16, err, "mappingSource", "must be an AID of 5 to 16 octets")))
			return rc;
		x.is_mapping = 1;
		x.mapping_options = m[0].val[0];
		x.mapping_source = m[1].val;
		x.mapping_source_len = m[1].len;
	} else if (c.tag == 0xA1) {
		static const struct sf__saip_fdesc fa[] = {
			{0x80, "algorithmID", 0},      {0x81, "algorithmOptions", 0},
			{0x82, "key", 0},              {0x83, "opc", 0},
			{0x84, "rotationConstants", 1}, {0x85, "xoringConstants", 1},
			{0x86, "authCounterMax", 1},   {0x87, "numberOfKeccak", 1},
		};
		struct sf_der_tlv a[8];
		if ((rc = match_seq(c.val, c.len, fa, 8, a, err)))
			return rc;
		if ((rc = tlv_uint(&a[0], 1000, &v, err, "algorithmID")))
			return rc;
		if (v < 1 || v > 3)
			return sf__saip_fail(
			    err, SF_ESAIP_VALUE, "algorithmID",
			    "must be milenage(1), tuak(2) or usim-test-algorithm(3)");
		x.algorithm = (int)v;
		if ((rc = tlv_size(&a[1], 1, 1, err, "algorithmOptions", "must be 1 octet")))
			return rc;
		x.algorithm_options = a[1].val[0];
		if (a[2].len != 16 && a[2].len != 32)
			return sf__saip_fail(err, SF_ESAIP_VALUE, "key", "must be 16 or 32 octets");
		if (x.algorithm == SF_SAIP_ALG_MILENAGE && a[2].len != 16)
			return sf__saip_fail(err, SF_ESAIP_VALUE, "key",
			                     "must be 16 octets for milenage");
		x.key = a[2].val;
		x.key_len = a[2].len;
		if (x.algorithm == SF_SAIP_ALG_MILENAGE && a[3].len != 16)
			return sf__saip_fail(err, SF_ESAIP_VALUE, "opc",
			                     "must be 16 octets for milenage");
		if (x.algorithm == SF_SAIP_ALG_TUAK && a[3].len != 32)
			return sf__saip_fail(err, SF_ESAIP_VALUE, "opc",
			                     "(TOPc) must be 32 octets for tuak");
		x.opc = a[3].val;
		x.opc_len = a[3].len;
		if (a[4].raw) {
			if ((rc = tlv_size(&a[4], 5, 5, err, "rotationConstants", "must be 5 octets")))
				return rc;
			memcpy(x.rotation_constants, a[4].val, 5);
		}
		if (a[5].raw) {
			if ((rc = tlv_size(&a[5], 80, 80, err, "xoringConstants", "must be 80 octets")))
				return rc;
			memcpy(x.xoring_constants, a[5].val, 80);
		}
		if (a[6].raw) {
			if ((rc = tlv_size(&a[6], 3, 3, err, "authCounterMax", "must be 3 octets")))
				return rc;
			x.has_auth_counter_max = 1;
			memcpy(x.auth_counter_max, a[6].val, 3);
		}
		if (a[7].raw) {
			if ((rc = tlv_uint(&a[7], 255, &v, err, "numberOfKeccak")))
				return rc;
			if (v == 0)
				return sf__saip_fail(err, SF_ESAIP_VALUE, "numberOfKeccak",
				                     "must be at least 1");
			x.number_of_keccak = (unsigned)v;
		}
	} else {
		return sf__saip_fail(err, SF_ESAIP_FORMAT, "algoConfiguration",
		                     "must be mappingParameter [0] or algoParameter [1]");
	}
	x.sqn_options = 0x02;
	static const uint8_t sqn_def[6] = {0x00, 0x00, 0x10, 0x00, 0x00, 0x00}; /* 2^28 */
	memcpy(x.sqn_delta, sqn_def, 6);
	memcpy(x.sqn_age_limit, sqn_def, 6);
	if (o[2].raw) {
		if ((rc = tlv_size(&o[2], 1, 1, err, "sqnOptions", "must be 1 octet")))
			return rc;
		x.sqn_options = o[2].val[0];
	}
	if (o[3].raw) {
		if ((rc = tlv_size(&o[3], 6, 6, err, "sqnDelta", "must be 6 octets")))
			return rc;
		if (!sqn_max_ok(o[3].val))
			return sf__saip_fail(err, SF_ESAIP_VALUE, "sqnDelta",
			                     "must not exceed '07FFFFFFFFFF'H");
		memcpy(x.sqn_delta, o[3].val, 6);
	}
	if (o[4].raw) {
		if ((rc = tlv_size(&o[4], 6, 6, err, "sqnAgeLimit", "must be 6 octets")))
			return rc;
		if (!sqn_max_ok(o[4].val))
			return sf__saip_fail(err, SF_ESAIP_VALUE, "sqnAgeLimit",
			                     "must not exceed '07FFFFFFFFFF'H");
		memcpy(x.sqn_age_limit, o[4].val, 6);
	}
	if (o[5].raw) {
		struct sf_der_iter it;
		struct sf_der_tlv t;
		unsigned n = 0;
		sf_der_iter_init(&it, o[5].val, o[5].len);
		while ((rc = sf_der_iter_next(&it, &t)) > 0) {
			if (t.tag != SF_DER_OCTET_STRING || t.len != 6)
				return sf__saip_fail(err, SF_ESAIP_VALUE, "sqnInit",
				                     "entries must be OCTET STRINGs of 6 octets");
			if (n == 32)
				return sf__saip_fail(err, SF_ESAIP_VALUE, "sqnInit",
				                     "must have 32 entries");
			if (!sqn_max_ok(t.val))
				return sf__saip_fail(err, SF_ESAIP_VALUE, "sqnInit",
				                     "entries must not exceed '07FFFFFFFFFF'H");
			memcpy(x.sqn_init[n++], t.val, 6);
		}
		if (rc < 0)
			return sf__saip_fail(err, rc, "sqnInit", NULL);
		if (n != 32)
			return sf__saip_fail(err, SF_ESAIP_VALUE, "sqnInit",
			                     "must have 32 entries");
	}
	*aka = x;
	return 0;
}

/* ---- PE-PINCodes / PE-PUKCodes ---- */

int sf_saip_pins_decode(const struct sf_saip_pe *pe, struct sf_saip_pins *pins,
			struct sf_saip_error *err)
{
	const struct sf__saip_petab *tab = &sf__saip_pes[SF_SAIP_PE_PIN_CODES];
	static const struct sf__saip_fdesc fc[] = {
		{0x80, "keyReference", 0},
		{0x81, "pinValue", 0},
		{0x82, "unblockingPINReference", 1},
		{0x83, "pinAttributes", 1},
		{0x84, "maxNumOfAttemps-retryNumLeft", 1},
	};
	struct sf_der_tlv o[2], c, a[5];
	struct sf_saip_pins x;
	uint64_t v;
	int rc, mand;
	unsigned id;
	if (!pe || !pins || pe->type != SF_SAIP_PE_PIN_CODES)
		return SF_EINVAL;
	err_start(err, pe);
	memset(&x, 0, sizeof(x));
	if ((rc = match_seq(pe->val, pe->len, tab->fields, tab->nfields, o, err)))
		return rc;
	if ((rc = pe_header(&o[0], &mand, &id, err, "pin-Header")))
		return rc;
	const uint8_t *q = o[1].val, *qe = o[1].val + o[1].len;
	if ((rc = sf_der_get_tlv(&q, qe, &c.tag, &c.val, &c.len)))
		return sf__saip_fail(err, rc, "pinCodes", NULL);
	if (q != qe)
		return sf__saip_fail(err, SF_ESAIP_FORMAT, "pinCodes",
		                     "must hold exactly one alternative");
	if (c.tag == 0x81) {
		if (c.len > 8)
			return sf__saip_fail(err, SF_ESAIP_VALUE, "filePath",
			                     "must be at most 8 octets");
		x.is_path = 1;
		x.path = c.val;
		x.path_len = c.len;
		*pins = x;
		return 0;
	}
	if (c.tag != 0xA0)
		return sf__saip_fail(err, SF_ESAIP_FORMAT, "pinCodes",
		                     "must be pinconfig [0] or filePath [1]");
	struct sf_der_iter it;
	struct sf_der_tlv t;
	sf_der_iter_init(&it, c.val, c.len);
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		struct sf_saip_pin *p;
		if (t.tag != SF_DER_SEQUENCE)
			return sf__saip_fail(err, SF_ESAIP_FORMAT, "pinconfig",
			                     "entries must be SEQUENCEs");
		if (x.count == SF_SAIP_MAX_PINS)
			return sf__saip_fail(err, SF_ESAIP_VALUE, "pinconfig",
			                     "has more than 26 PINs");
		if ((rc = match_seq(t.val, t.len, fc, 5, a, err)))
			return rc;
		p = &x.pin[x.count];
		if ((rc = tlv_uint(&a[0], 255, &v, err, "keyReference")))
			return rc;
		if (!sf_saip_pin_ref_name((unsigned)v))
			return sf__saip_fail(err, SF_ESAIP_VALUE, "keyReference",
			                     "is not a PINKeyReferenceValue");
		p->key_ref = (unsigned)v;
		for (unsigned k = 0; k < x.count; k++)
			if (x.pin[k].key_ref == p->key_ref)
				return sf__saip_fail(err, SF_ESAIP_VALUE, "keyReference",
				                     "is defined twice");
		if ((rc = tlv_size(&a[1], 8, 8, err, "pinValue", "must be 8 octets")))
			return rc;
		p->value = a[1].val;
		p->unblock_ref = -1;
		if (a[2].raw) {
			if ((rc = tlv_uint(&a[2], 255, &v, err, "unblockingPINReference")))
				return rc;
			if (!sf_saip_puk_ref_name((unsigned)v))
				return sf__saip_fail(err, SF_ESAIP_VALUE, "unblockingPINReference",
				                     "is not a PUKKeyReferenceValue");
			p->unblock_ref = (int)v;
		}
		p->attributes = 7;
		if (a[3].raw) {
			if ((rc = tlv_uint(&a[3], 255, &v, err, "pinAttributes")))
				return rc;
			p->attributes = (unsigned)v;
		}
		v = 51;
		if (a[4].raw && (rc = tlv_uint(&a[4], 255, &v, err, "maxNumOfAttemps-retryNumLeft")))
			return rc;
		p->max_attempts = (unsigned)(v >> 4);
		p->retries_left = (unsigned)(v & 0x0F);
		x.count++;
	}
	if (rc < 0)
		return sf__saip_fail(err, rc, "pinconfig", NULL);
	if (x.count == 0)
		return sf__saip_fail(err, SF_ESAIP_VALUE, "pinconfig",
		                     "must have at least one PIN");
	*pins = x;
	return 0;
}

int sf_saip_puks_decode(const struct sf_saip_pe *pe, struct sf_saip_puks *puks,
			struct sf_saip_error *err)
{
	const struct sf__saip_petab *tab = &sf__saip_pes[SF_SAIP_PE_PUK_CODES];
	static const struct sf__saip_fdesc fc[] = {
		{0x80, "keyReference", 0},
		{0x81, "pukValue", 0},
		{0x82, "maxNumOfAttemps-retryNumLeft", 1},
	};
	struct sf_der_tlv o[2], a[3];
	struct sf_saip_puks x;
	struct sf_der_iter it;
	struct sf_der_tlv t;
	uint64_t v;
	int rc, mand;
	unsigned id;
	if (!pe || !puks || pe->type != SF_SAIP_PE_PUK_CODES)
		return SF_EINVAL;
	err_start(err, pe);
	memset(&x, 0, sizeof(x));
	if ((rc = match_seq(pe->val, pe->len, tab->fields, tab->nfields, o, err)))
		return rc;
	if ((rc = pe_header(&o[0], &mand, &id, err, "puk-Header")))
		return rc;
	sf_der_iter_init(&it, o[1].val, o[1].len);
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		struct sf_saip_puk *p;
		if (t.tag != SF_DER_SEQUENCE)
			return sf__saip_fail(err, SF_ESAIP_FORMAT, "pukCodes",
			                     "entries must be SEQUENCEs");
		if (x.count == SF_SAIP_MAX_PUKS)
			return sf__saip_fail(err, SF_ESAIP_VALUE, "pukCodes",
			                     "has more than 16 PUKs");
		if ((rc = match_seq(t.val, t.len, fc, 3, a, err)))
			return rc;
		p = &x.puk[x.count];
		if ((rc = tlv_uint(&a[0], 255, &v, err, "keyReference")))
			return rc;
		if (!sf_saip_puk_ref_name((unsigned)v))
			return sf__saip_fail(err, SF_ESAIP_VALUE, "keyReference",
			                     "is not a PUKKeyReferenceValue");
		p->key_ref = (unsigned)v;
		for (unsigned k = 0; k < x.count; k++)
			if (x.puk[k].key_ref == p->key_ref)
				return sf__saip_fail(err, SF_ESAIP_VALUE, "keyReference",
				                     "is defined twice");
		if ((rc = tlv_size(&a[1], 8, 8, err, "pukValue", "must be 8 octets")))
			return rc;
		p->value = a[1].val;
		v = 170;
		if (a[2].raw && (rc = tlv_uint(&a[2], 255, &v, err, "maxNumOfAttemps-retryNumLeft")))
			return rc;
		p->max_attempts = (unsigned)(v >> 4);
		p->retries_left = (unsigned)(v & 0x0F);
		x.count++;
	}
	if (rc < 0)
		return sf__saip_fail(err, rc, "pukCodes", NULL);
	if (x.count == 0)
		return sf__saip_fail(err, SF_ESAIP_VALUE, "pukCodes", "must have at least one PUK");
	*puks = x;
	return 0;
}

/* ---- file system ---- */

/* Fcp: explicitly tagged, so its fields keep their own tags, in this order. */
static int decode_fcp(const uint8_t *val, size_t len, struct sf_saip_fcp *fcp,
		      struct sf_saip_error *e)
{
	static const struct sf__saip_fdesc f[] = {
		{0x82, "fileDescriptor", 1},
		{0x83, "fileID", 1},
		{0x84, "dfName", 1},
		{0x8A, "lcsi", 1},
		{0x8B, "securityAttributesReferenced", 1},
		{0x80, "efFileSize", 1},
		{0xC6, "pinStatusTemplateDO", 1},
		{0x88, "shortEFID", 1},
		{0xA5, "proprietaryEFInfo", 1},
		{0xC7, "linkPath", 1},
	};
	static const struct {
		size_t lo, hi;
		const char *msg;
	} sz[] = {
		{2, 4, "must be 2 to 4 octets"},   {2, 2, "must be 2 octets"},
		{5, 16, "must be 5 to 16 octets"}, {1, 1, "must be 1 octet"},
		{1, 3, "must be 1 to 3 octets"},   {1, 8, "must be 1 to 8 octets"},
		{0, 255, ""},                      {0, 1, "must be 0 or 1 octet"},
		{0, 0, ""},                        {0, 8, "must be at most 8 octets"},
	};
	struct sf_der_tlv o[10];
	struct sf_saip_bytes *b[10];
	int rc;
	memset(fcp, 0, sizeof(*fcp));
	fcp->lcsi = 0x05;
	fcp->special_file_info = 0x00;
	fcp->file_details = 0x01;
	b[0] = &fcp->file_descriptor;
	b[1] = &fcp->file_id;
	b[2] = &fcp->df_name;
	b[3] = NULL;
	b[4] = &fcp->sec_attr;
	b[5] = &fcp->ef_file_size;
	b[6] = &fcp->pin_status_template;
	b[7] = &fcp->short_efid;
	b[8] = NULL;
	b[9] = &fcp->link_path;
	if ((rc = match_seq(val, len, f, N(f), o, e)))
		return rc;
	for (size_t i = 0; i < N(f); i++) {
		if (!o[i].raw || i == 8)
			continue;
		if ((rc = tlv_size(&o[i], sz[i].lo, sz[i].hi, e, f[i].name, sz[i].msg)))
			return rc;
		if (b[i]) {
			b[i]->p = o[i].val;
			b[i]->len = o[i].len;
			b[i]->present = 1;
		}
	}
	if (o[3].raw)
		fcp->lcsi = o[3].val[0];
	/* efFileSize "shall be encoded on the minimum number of octets". */
	if (o[5].raw && o[5].len > 1 && o[5].val[0] == 0)
		return sf__saip_fail(e, SF_ESAIP_VALUE, "efFileSize",
		                     "must not have leading zero octets");
	if (o[8].raw) {
		static const struct sf__saip_fdesc fp[] = {
			{0xC0, "specialFileInformation", 1},
			{0xC1, "fillPattern", 1},
			{0xC2, "repeatPattern", 1},
			{0x86, "maximumFileSize", 1},
			{0x84, "fileDetails", 1},
		};
		struct sf_der_tlv p[5];
		if ((rc = match_seq(o[8].val, o[8].len, fp, N(fp), p, e)))
			return rc;
		fcp->has_proprietary = 1;
		if (p[0].raw) {
			if ((rc = tlv_size(&p[0], 1, 1, e, "specialFileInformation",
					   "must be 1 octet")))
				return rc;
			fcp->special_file_info = p[0].val[0];
		}
		if (p[1].raw && p[2].raw)
			return sf__saip_fail(e, SF_ESAIP_VALUE, "fillPattern",
			                     "and repeatPattern must not both be present");
		if (p[1].raw) {
			if ((rc = tlv_size(&p[1], 1, 200, e, "fillPattern", "must be 1 to 200 octets")))
				return rc;
			fcp->fill_pattern = (struct sf_saip_bytes){p[1].val, p[1].len, 1};
		}
		if (p[2].raw) {
			if ((rc = tlv_size(&p[2], 1, 200, e, "repeatPattern",
					   "must be 1 to 200 octets")))
				return rc;
			fcp->repeat_pattern = (struct sf_saip_bytes){p[2].val, p[2].len, 1};
		}
		if (p[3].raw) {
			if (p[3].len == 0 || (p[3].len > 1 && p[3].val[0] == 0))
				return sf__saip_fail(e, SF_ESAIP_VALUE, "maximumFileSize",
				                     "must be minimal and non-empty");
			fcp->maximum_file_size = (struct sf_saip_bytes){p[3].val, p[3].len, 1};
		}
		if (p[4].raw) {
			if ((rc = tlv_size(&p[4], 1, 1, e, "fileDetails", "must be 1 octet")))
				return rc;
			fcp->file_details = p[4].val[0];
		}
	}
	return 0;
}

static int emit(sf_saip_file_cb cb, void *user, struct sf_saip_file_item *it)
{
	return cb ? cb(user, it) : 0;
}

/* File ::= SEQUENCE OF CHOICE { doNotCreate [0] NULL, fileDescriptor [1] Fcp,
 * fillFileOffset [2] UInt16, fillFileContent [3] OCTET STRING }.  A file
 * description (fileDescriptor or doNotCreate) comes first or not at all, and
 * nothing follows doNotCreate. */
static int walk_file(const struct sf_der_tlv *ft, struct sf_saip_file_item *item,
		     sf_saip_file_cb cb, void *user, struct sf_saip_error *e)
{
	struct sf_der_iter it;
	struct sf_der_tlv t;
	int rc, first = 1, dnc = 0;
	item->op = SF_SAIP_FILE_BEGIN;
	if ((rc = emit(cb, user, item)))
		return rc;
	sf_der_iter_init(&it, ft->val, ft->len);
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		uint64_t v;
		if (dnc)
			return sf__saip_fail(e, SF_ESAIP_FORMAT, item->file,
			                     "has content after doNotCreate");
		switch (t.tag) {
		case 0x80:
			if (!first)
				return sf__saip_fail(e, SF_ESAIP_FORMAT, item->file,
				                     "has doNotCreate after other items");
			if ((rc = tlv_null(&t, e, item->file)))
				return rc;
			dnc = 1;
			item->op = SF_SAIP_FILE_DO_NOT_CREATE;
			break;
		case 0xA1:
			if (!first)
				return sf__saip_fail(e, SF_ESAIP_FORMAT, item->file,
				                     "has a fileDescriptor after other items");
			if ((rc = decode_fcp(t.val, t.len, &item->fcp, e)))
				return rc;
			item->op = SF_SAIP_FILE_FCP;
			break;
		case 0x82:
			if ((rc = tlv_uint(&t, 65535, &v, e, "fillFileOffset")))
				return rc;
			item->op = SF_SAIP_FILE_OFFSET;
			item->offset = (unsigned)v;
			break;
		case 0x83:
			item->op = SF_SAIP_FILE_CONTENT;
			item->data = t.val;
			item->len = t.len;
			break;
		default:
			return sf__saip_fail(e, SF_ESAIP_FORMAT, item->file, "has an unknown item");
		}
		first = 0;
		if ((rc = emit(cb, user, item)))
			return rc;
	}
	if (rc < 0)
		return sf__saip_fail(e, rc, item->file, NULL);
	item->op = SF_SAIP_FILE_END;
	return emit(cb, user, item);
}

static int walk_template(const struct sf_saip_pe *pe, sf_saip_file_cb cb, void *user,
			 struct sf_saip_error *e)
{
	const struct sf__saip_petab *tab = &sf__saip_pes[pe->type];
	struct sf_saip_file_item item;
	struct sf_der_iter it;
	struct sf_der_tlv t;
	size_t next = 0; /* index of the next File field allowed */
	int rc;
	memset(&item, 0, sizeof(item));
	sf_der_iter_init(&it, pe->val, pe->len);
	/* PEHeader [0] and templateID [1] were checked by the caller (validate). */
	if ((rc = sf_der_iter_next(&it, &t)) <= 0 || t.tag != 0xA0)
		return sf__saip_fail(e, rc < 0 ? rc : SF_ESAIP_FORMAT, "header", "is missing");
	if ((rc = sf_der_iter_next(&it, &t)) <= 0 || t.tag != 0x81)
		return sf__saip_fail(e, rc < 0 ? rc : SF_ESAIP_FORMAT, "templateID", "is missing");
	{
		const uint8_t *q = t.raw, *oid;
		size_t ol;
		if ((rc = sf_der_get_oid(&q, t.raw + t.raw_len, 0x81, &oid, &ol)))
			return sf__saip_fail(e, rc, "templateID", NULL);
		item.template_oid = oid;
		item.template_oid_len = ol;
	}
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		uint32_t num = sf_der_tag_number(t.tag);
		if (sf_der_tag_class(t.tag) != SF_DER_CLASS_CONTEXT || !sf_der_tag_constructed(t.tag) ||
		    num < 2 || num - 2 >= tab->nfiles)
			return sf__saip_fail(e, SF_ESAIP_FORMAT, NULL, "has an unknown field");
		size_t idx = num - 2;
		if (idx < next)
			return sf__saip_fail(e, SF_ESAIP_FORMAT, tab->files[idx].name,
			                     "is repeated or out of order");
		for (; next < idx; next++)
			if (!tab->files[next].optional)
				return sf__saip_fail(e, SF_ESAIP_FORMAT, tab->files[next].name,
				                     "is missing");
		next = idx + 1;
		item.file = tab->files[idx].name;
		item.field = num;
		if ((rc = walk_file(&t, &item, cb, user, e)))
			return rc;
	}
	if (rc < 0)
		return sf__saip_fail(e, rc, NULL, NULL);
	for (; next < tab->nfiles; next++)
		if (!tab->files[next].optional)
			return sf__saip_fail(e, SF_ESAIP_FORMAT, tab->files[next].name,
			                     "is missing");
	return 0;
}

/* fileManagementCMD: SEQUENCE OF FileManagement, each a SEQUENCE OF CHOICE
 * { filePath [0], createFCP [APPLICATION 2] Fcp, fillFileOffset INTEGER,
 * fillFileContent [1] } (explicit tags present, so none automatic). */
static int walk_gfm(const struct sf_saip_pe *pe, sf_saip_file_cb cb, void *user,
		    struct sf_saip_error *e)
{
	const struct sf__saip_petab *tab = &sf__saip_pes[pe->type];
	struct sf_saip_file_item item;
	struct sf_der_tlv o[2], t, c;
	struct sf_der_iter it, ic;
	int rc;
	unsigned ncmd = 0;
	memset(&item, 0, sizeof(item));
	if ((rc = match_seq(pe->val, pe->len, tab->fields, tab->nfields, o, e)))
		return rc;
	sf_der_iter_init(&it, o[1].val, o[1].len);
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		unsigned nitems = 0;
		if (t.tag != SF_DER_SEQUENCE)
			return sf__saip_fail(e, SF_ESAIP_FORMAT, "fileManagementCMD",
			                     "entries must be SEQUENCEs");
		item.op = SF_SAIP_FILE_CMD;
		if ((rc = emit(cb, user, &item)))
			return rc;
		sf_der_iter_init(&ic, t.val, t.len);
		while ((rc = sf_der_iter_next(&ic, &c)) > 0) {
			uint64_t v;
			switch (c.tag) {
			case 0x80:
				if (c.len > 8)
					return sf__saip_fail(e, SF_ESAIP_VALUE, "filePath",
					                     "must be at most 8 octets");
				item.op = SF_SAIP_FILE_PATH;
				item.data = c.val;
				item.len = c.len;
				break;
			case 0x62:
				if ((rc = decode_fcp(c.val, c.len, &item.fcp, e)))
					return rc;
				item.op = SF_SAIP_FILE_FCP;
				break;
			case SF_DER_INTEGER:
				if ((rc = tlv_uint(&c, 65535, &v, e, "fillFileOffset")))
					return rc;
				item.op = SF_SAIP_FILE_OFFSET;
				item.offset = (unsigned)v;
				break;
			case 0x81:
				item.op = SF_SAIP_FILE_CONTENT;
				item.data = c.val;
				item.len = c.len;
				break;
			default:
				return sf__saip_fail(e, SF_ESAIP_FORMAT, "fileManagementCMD",
				                     "has an unknown command");
			}
			nitems++;
			if ((rc = emit(cb, user, &item)))
				return rc;
		}
		if (rc < 0)
			return sf__saip_fail(e, rc, "fileManagementCMD", NULL);
		if (nitems == 0)
			return sf__saip_fail(e, SF_ESAIP_VALUE, "fileManagementCMD",
			                     "has an empty command");
		ncmd++;
	}
	if (rc < 0)
		return sf__saip_fail(e, rc, "fileManagementCMD", NULL);
	if (ncmd == 0)
		return sf__saip_fail(e, SF_ESAIP_VALUE, "fileManagementCMD", "must not be empty");
	return 0;
}

int sf_saip_files_walk(const struct sf_saip_pe *pe, sf_saip_file_cb cb, void *user,
		       struct sf_saip_error *err)
{
	if (!pe)
		return SF_EINVAL;
	err_start(err, pe);
	if (sf_saip_pe_is_template(pe->type))
		return walk_template(pe, cb, user, err);
	if (pe->type == SF_SAIP_PE_GENERIC_FILE_MANAGEMENT)
		return walk_gfm(pe, cb, user, err);
	return sf__saip_fail(err, SF_EINVAL, NULL, "is not a file-system element");
}

/* ---- generic field walk ---- */

int sf_saip_fields_walk(const struct sf_saip_pe *pe, sf_saip_field_cb cb, void *user)
{
	const struct sf__saip_petab *tab;
	struct sf_der_iter it;
	struct sf_der_tlv t;
	size_t i = 0;
	int rc;
	if (!pe || !cb || pe->type >= SF_SAIP_PE_COUNT)
		return SF_EINVAL;
	tab = &sf__saip_pes[pe->type];
	sf_der_iter_init(&it, pe->val, pe->len);
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		const char *name = "unknown";
		if (tab->files) {
			uint32_t num = sf_der_tag_number(t.tag);
			if (num == 0)
				name = "header";
			else if (num == 1)
				name = "templateID";
			else if (num - 2 < tab->nfiles)
				name = tab->files[num - 2].name;
		} else {
			while (i < tab->nfields && tab->fields[i].tag != t.tag)
				i++;
			if (i < tab->nfields)
				name = tab->fields[i++].name;
		}
		if ((rc = cb(user, name, &t)))
			return rc;
	}
	return rc;
}

/* ---- validation of one element, and the package ---- */

static int validate(struct sf_saip_pe *pe, struct sf_saip_error *e)
{
	const struct sf__saip_petab *tab = &sf__saip_pes[pe->type];
	int rc;
	if (pe->type == SF_SAIP_PE_HEADER) {
		struct sf_saip_header h;
		return sf_saip_header_decode(pe, &h, e);
	}
	if (pe->type >= 11 && pe->type <= 15) {
		/* PE-Dummy ::= SEQUENCE {} */
		if (pe->len)
			return sf__saip_fail(e, SF_ESAIP_FORMAT, NULL,
			                     "(a reserved element) must be empty");
		return 0;
	}
	/* The PEHeader first: every element but the header has one. */
	{
		struct sf_der_iter it;
		struct sf_der_tlv t;
		sf_der_iter_init(&it, pe->val, pe->len);
		rc = sf_der_iter_next(&it, &t);
		if (rc < 0)
			return sf__saip_fail(e, rc, NULL, NULL);
		if (rc == 0 || t.tag != 0xA0)
			return sf__saip_fail(e, SF_ESAIP_FORMAT, "PEHeader", "is missing");
		if ((rc = pe_header(&t, &pe->mandated, &pe->identification, e, "PEHeader")))
			return rc;
	}
	switch (pe->type) {
	case SF_SAIP_PE_AKA_PARAMETER: {
		struct sf_saip_aka a;
		rc = sf_saip_aka_decode(pe, &a, e);
		sf_wipe(&a, sizeof(a));
		return rc;
	}
	case SF_SAIP_PE_PIN_CODES: {
		struct sf_saip_pins p;
		return sf_saip_pins_decode(pe, &p, e);
	}
	case SF_SAIP_PE_PUK_CODES: {
		struct sf_saip_puks p;
		return sf_saip_puks_decode(pe, &p, e);
	}
	case SF_SAIP_PE_GENERIC_FILE_MANAGEMENT:
		return sf_saip_files_walk(pe, NULL, NULL, e);
	default:
		break;
	}
	if (tab->files)
		return sf_saip_files_walk(pe, NULL, NULL, e);
	/* Elements the eUICC does not act on: field structure and nested DER. */
	{
		struct sf_der_tlv o[8];
		if ((rc = match_seq(pe->val, pe->len, tab->fields, tab->nfields, o, e)))
			return rc;
		for (size_t i = 0; i < tab->nfields; i++)
			if (o[i].raw && sf_der_tag_constructed(o[i].tag) &&
			    (rc = check_nested(o[i].val, o[i].len, 0)))
				return sf__saip_fail(e, rc, tab->fields[i].name, NULL);
		if (pe->type == SF_SAIP_PE_NON_STANDARD) {
			const uint8_t *q = o[1].raw, *oid;
			size_t ol;
			if ((rc = sf_der_get_oid(&q, o[1].raw + o[1].raw_len, 0x81, &oid, &ol)))
				return sf__saip_fail(e, rc, "issuerID", NULL);
		}
		if (pe->type == SF_SAIP_PE_CDMA_PARAMETER &&
		    (rc = tlv_size(&o[1], 8, 8, e, "authenticationKey", "must be 8 octets")))
			return rc;
	}
	return 0;
}

void sf_saip_reader_init(struct sf_saip_reader *r, const uint8_t *pkg, size_t len)
{
	r->start = r->p = pkg;
	r->end = pkg ? pkg + len : pkg;
	r->index = 0;
	r->seen_end = 0;
}

int sf_saip_element_size(const uint8_t *p, size_t avail, size_t *need)
{
	size_t hl = 1, len;
	if (!p || !need)
		return SF_EINVAL;
	*need = 2;
	if (avail < 1)
		return SF_EDER_TRUNC;
	if ((p[0] & 0x1F) == 0x1F) {
		do {
			if (avail < hl + 1) {
				*need = hl + 2;
				return SF_EDER_TRUNC;
			}
			hl++;
			if (hl > 4)
				return SF_EDER_TAGENC;
		} while (p[hl - 1] & 0x80);
	}
	if (avail < hl + 1) {
		*need = hl + 1;
		return SF_EDER_TRUNC;
	}
	uint8_t l0 = p[hl++];
	if (l0 < 0x80) {
		len = l0;
	} else {
		size_t n = l0 & 0x7Fu;
		if (n == 0 || n > 4)
			return SF_EDER_LEN;
		if (avail < hl + n) {
			*need = hl + n;
			return SF_EDER_TRUNC;
		}
		len = 0;
		for (size_t i = 0; i < n; i++)
			len = (len << 8) | p[hl + i];
		hl += n;
	}
	*need = hl + len;
	/* Full DER checks (minimal length, tag form) happen in sf_saip_next. */
	return 0;
}

int sf_saip_next(struct sf_saip_reader *r, struct sf_saip_pe *pe, struct sf_saip_error *err)
{
	struct sf_saip_error dummy;
	struct sf_saip_pe x;
	const uint8_t *q;
	uint32_t tag;
	int rc;
	if (!err)
		err = &dummy;
	err_start(err, NULL);
	if (!r || !pe)
		return SF_EINVAL;
	err->index = r->index;
	err->offset = (size_t)(r->p - r->start);
	if (r->p == r->end) {
		if (r->seen_end)
			return 0;
		return sf__saip_fail(err, SF_EDER_TRUNC, NULL,
		                     r->index ? "ends before its end element (truncated)"
		                              : "is empty");
	}
	if (r->seen_end)
		return sf__saip_fail(err, SF_ESAIP_ORDER, NULL, "has data after its end element");
	memset(&x, 0, sizeof(x));
	q = r->p;
	rc = sf_der_get_tlv(&q, r->end, &tag, &x.val, &x.len);
	if (rc) {
		/* Name the element if at least its tag is readable. */
		if (sf_der_peek_tag(r->p, r->end, &tag) == 0) {
			uint32_t tn = sf_der_tag_number(tag);
			err->tag = tag;
			if (sf_der_tag_class(tag) == SF_DER_CLASS_CONTEXT &&
			    sf_der_tag_constructed(tag) && tn < SF_SAIP_PE_COUNT)
				err->element = sf__saip_pes[tn].name;
		}
		return sf__saip_fail(err, rc, NULL, "is malformed or truncated");
	}
	uint32_t num = sf_der_tag_number(tag);
	err->tag = tag;
	if (sf_der_tag_class(tag) != SF_DER_CLASS_CONTEXT || !sf_der_tag_constructed(tag) ||
	    num >= SF_SAIP_PE_COUNT)
		return sf__saip_fail(err, SF_ESAIP_UNKNOWN_PE, NULL,
		                     "is not a ProfileElement of PEDefinitions 3.3.1");
	x.type = (enum sf_saip_pe_type)num;
	x.name = sf__saip_pes[num].name;
	x.raw = r->p;
	x.raw_len = (size_t)(q - r->p);
	x.offset = (size_t)(r->p - r->start);
	x.index = r->index;
	err->element = x.name;
	if (r->index == 0 && x.type != SF_SAIP_PE_HEADER)
		return sf__saip_fail(err, SF_ESAIP_ORDER, NULL,
		                     "must not come first: the header must");
	if (r->index > 0 && x.type == SF_SAIP_PE_HEADER)
		return sf__saip_fail(err, SF_ESAIP_ORDER, NULL, "must come only once, first");
	if ((rc = validate(&x, err)))
		return rc;
	r->p = q;
	r->index++;
	if (x.type == SF_SAIP_PE_END)
		r->seen_end = 1;
	*pe = x;
	return 1;
}
