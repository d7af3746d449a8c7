/* The DER reader and writer (src/der/der.c, X.690 §8.1, §10, §11).
 *
 * Most cases are rows of one table: a reader, an encoding in hex, and the
 * expected result rendered as text (or the expected error).  Every accepted
 * row is also parsed from each of its truncated prefixes in an exact-size
 * heap buffer (Mbed TLS parse_prefixes): each must fail with SF_EDER_TRUNC
 * and leave the cursor where it was, and AddressSanitizer catches any read
 * past the end. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helper_tsv.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/util.h"

/* ------------------------------------------------ readers as renderers -- */

typedef int (*reader_fn)(const uint8_t **p, const uint8_t *end, char *out, size_t cap);

static void hexs(char *out, size_t cap, const uint8_t *v, size_t len)
{
	if (sf_hex_encode(out, cap, v, len) != 0)
		snprintf(out, cap, "<too long>");
}

static int r_tlv(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	uint32_t tag;
	const uint8_t *v;
	size_t len;
	int rc = sf_der_get_tlv(p, end, &tag, &v, &len);
	if (rc == 0)
		snprintf(out, cap, "%" PRIX32 "/%zu", tag, len);
	return rc;
}

static int r_int64(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	int64_t v;
	int rc = sf_der_get_int64(p, end, SF_DER_INTEGER, &v);
	if (rc == 0)
		snprintf(out, cap, "%" PRId64, v);
	return rc;
}

static int r_enum(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	int64_t v;
	int rc = sf_der_get_int64(p, end, SF_DER_ENUMERATED, &v);
	if (rc == 0)
		snprintf(out, cap, "%" PRId64, v);
	return rc;
}

/* An IMPLICIT [0] INTEGER, as AUTOMATIC TAGS modules (SGP.22) produce. */
static int r_int_ctx0(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	int64_t v;
	int rc = sf_der_get_int64(p, end, SF_DER_CTX(0), &v);
	if (rc == 0)
		snprintf(out, cap, "%" PRId64, v);
	return rc;
}

static int r_uint64(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	uint64_t v;
	int rc = sf_der_get_uint64(p, end, SF_DER_INTEGER, &v);
	if (rc == 0)
		snprintf(out, cap, "%" PRIu64, v);
	return rc;
}

static int r_intraw(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	const uint8_t *v;
	size_t len;
	int rc = sf_der_get_int_raw(p, end, SF_DER_INTEGER, &v, &len);
	if (rc == 0)
		hexs(out, cap, v, len);
	return rc;
}

static int r_uintraw(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	const uint8_t *v;
	size_t len;
	int rc = sf_der_get_uint_raw(p, end, SF_DER_INTEGER, &v, &len);
	if (rc == 0)
		hexs(out, cap, v, len);
	return rc;
}

static int r_bool(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	int v;
	int rc = sf_der_get_bool(p, end, SF_DER_BOOLEAN, &v);
	if (rc == 0)
		snprintf(out, cap, "%s", v ? "true" : "false");
	return rc;
}

static int r_null(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	int rc = sf_der_get_null(p, end, SF_DER_NULL);
	if (rc == 0)
		snprintf(out, cap, "null");
	return rc;
}

static int r_octets(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	const uint8_t *v;
	size_t len;
	int rc = sf_der_get_octets(p, end, SF_DER_OCTET_STRING, &v, &len);
	if (rc == 0)
		hexs(out, cap, v, len);
	return rc;
}

static int r_bits(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	const uint8_t *v;
	size_t n;
	unsigned unused;
	int rc = sf_der_get_bitstring(p, end, SF_DER_BIT_STRING, &v, &n, &unused);
	if (rc == 0) {
		char h[256];
		hexs(h, sizeof(h), v, n);
		snprintf(out, cap, "%u:%s", unused, h);
	}
	return rc;
}

static int r_named(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	uint32_t f;
	int rc = sf_der_get_named_bits(p, end, SF_DER_BIT_STRING, &f);
	if (rc == 0)
		snprintf(out, cap, "%08" PRIx32, f);
	return rc;
}

static int r_oid(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	const uint8_t *v;
	size_t len;
	const uint8_t *q = *p;
	/* The reader accepts any arc (valid DER); only the formatter stops at
	 * 64 bits, so the cursor moves only when both succeed. */
	int rc = sf_der_get_oid(&q, end, SF_DER_OID, &v, &len);
	if (rc == 0)
		rc = sf_der_oid_to_str(out, cap, NULL, v, len);
	if (rc == 0)
		*p = q;
	return rc;
}

static int r_str(const uint8_t **p, const uint8_t *end, char *out, size_t cap, uint32_t cs)
{
	const uint8_t *v;
	size_t len;
	int rc = sf_der_get_string(p, end, cs, cs, &v, &len);
	if (rc == 0)
		snprintf(out, cap, "%.*s", (int)len, (const char *)v);
	return rc;
}

static int r_utf8(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	return r_str(p, end, out, cap, SF_DER_UTF8_STRING);
}

static int r_printable(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	return r_str(p, end, out, cap, SF_DER_PRINTABLE_STRING);
}

static int r_ia5(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	return r_str(p, end, out, cap, SF_DER_IA5_STRING);
}

static void render_time(char *out, size_t cap, const struct sf_der_time *t)
{
	int64_t u = 0;
	assert_int_equal(sf_der_time_to_unix(t, &u), 0);
	snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%09" PRIu32 "Z=%" PRId64, t->year, t->mon,
		 t->day, t->hour, t->min, t->sec, t->nsec, u);
}

static int r_time(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	struct sf_der_time t;
	int rc = sf_der_get_time(p, end, &t);
	if (rc == 0)
		render_time(out, cap, &t);
	return rc;
}

static int r_utc(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	struct sf_der_time t;
	int rc = sf_der_get_utctime(p, end, SF_DER_UTC_TIME, &t);
	if (rc == 0)
		render_time(out, cap, &t);
	return rc;
}

static int r_gen(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	struct sf_der_time t;
	int rc = sf_der_get_gentime(p, end, SF_DER_GENERALIZED_TIME, &t);
	if (rc == 0)
		render_time(out, cap, &t);
	return rc;
}

/* SGP.22 §5.7.10 ES10b.GetEUICCChallenge response:
 *   GetEuiccChallengeResponse ::= [46] SEQUENCE { euiccChallenge Octet16 }
 * with AUTOMATIC TAGS, so BF2E { 80 10 <16 octets> }. */
static int r_challenge(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	const uint8_t *q = *p, *v, *c;
	size_t len, clen;
	int rc = sf_der_expect(&q, end, 0xBF2E, &v, &len);
	if (rc)
		return rc;
	const uint8_t *ve = v + len;
	rc = sf_der_get_octets(&v, ve, SF_DER_CTX(0), &c, &clen);
	if (rc)
		return rc;
	if ((rc = sf_der_check_end(v, ve)) != 0)
		return rc;
	if (clen != 16)
		return SF_ELEN;
	hexs(out, cap, c, clen);
	*p = q;
	return 0;
}

/* SGP.22 §5.7.15 ProfileInfoListRequest ::= [45] SEQUENCE { searchCriteria
 * CHOICE {...} OPTIONAL, tagList [APPLICATION 28] OCTET STRING OPTIONAL }:
 * BF2D 00 asks for everything.  Reads the optional elements. */
static int r_pilreq(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	const uint8_t *q = *p, *v, *tl = NULL;
	size_t len, tllen = 0;
	int present = 0;
	int rc = sf_der_expect(&q, end, 0xBF2D, &v, &len);
	if (rc)
		return rc;
	const uint8_t *ve = v + len;
	uint32_t t;
	int crit = 0;
	if (v != ve && sf_der_peek_tag(v, ve, &t) == 0 && (t == 0x5A || t == 0x4F || t == 0x95)) {
		crit = 1;
		if ((rc = sf_der_skip(&v, ve)) != 0)
			return rc;
	}
	rc = sf_der_get_optional(&v, ve, 0x5C, &tl, &tllen, &present);
	if (rc)
		return rc;
	if ((rc = sf_der_check_end(v, ve)) != 0)
		return rc;
	char h[64];
	hexs(h, sizeof(h), tl, present ? tllen : 0);
	snprintf(out, cap, "crit=%d tags=%s", crit, present ? h : "-");
	*p = q;
	return 0;
}

/* Walks a whole tree (constructed elements recursively): the number of
 * elements, and the deepest level. */
static int walk(const uint8_t *v, const uint8_t *end, int depth, int *count, int *maxdepth)
{
	struct sf_der_iter it;
	struct sf_der_tlv t;
	int rc;
	if (depth > 16)
		return SF_ERANGE;
	if (depth > *maxdepth)
		*maxdepth = depth;
	sf_der_iter_init(&it, v, (size_t)(end - v));
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		(*count)++;
		if (sf_der_tag_constructed(t.tag)) {
			rc = walk(t.val, t.val + t.len, depth + 1, count, maxdepth);
			if (rc)
				return rc;
		}
	}
	return rc;
}

static int r_tree(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	const uint8_t *q = *p, *v;
	size_t len;
	uint32_t tag;
	int rc = sf_der_get_tlv(&q, end, &tag, &v, &len);
	if (rc)
		return rc;
	int count = 1, depth = 0;
	if (sf_der_tag_constructed(tag) && (rc = walk(v, v + len, 1, &count, &depth)) != 0)
		return rc;
	snprintf(out, cap, "%d/%d", count, depth);
	*p = q;
	return 0;
}

static const struct {
	const char *name;
	reader_fn fn;
} readers[] = {
	{"tlv", r_tlv},	      {"int64", r_int64},	  {"enum", r_enum},
	{"intctx0", r_int_ctx0}, {"uint64", r_uint64},	  {"intraw", r_intraw},
	{"uintraw", r_uintraw},	  {"bool", r_bool},	  {"null", r_null},
	{"octets", r_octets},	  {"bits", r_bits},	  {"named", r_named},
	{"oid", r_oid},		  {"utf8", r_utf8},	  {"printable", r_printable},
	{"ia5", r_ia5},		  {"time", r_time},	  {"utc", r_utc},
	{"gen", r_gen},		  {"challenge", r_challenge}, {"pilreq", r_pilreq},
	{"tree", r_tree},
};

static reader_fn reader(const char *name)
{
	for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++)
		if (strcmp(readers[i].name, name) == 0)
			return readers[i].fn;
	fail_msg("no reader %s", name);
	return NULL;
}

/* ------------------------------------------------------------- vectors -- */

struct vec {
	const char *reader;
	const char *hex;
	int rc;		   /* expected result */
	const char *value; /* rendered value when rc == 0 */
};

#define CHAL "000102030405060708090a0b0c0d0e0f"

static const struct vec vectors[] = {
	/* Headers: short, long, multi-octet tags (X.690 §8.1.2.4, §8.1.3). */
	{"tlv", "0400", 0, "4/0"},
	{"tlv", "0401ff", 0, "4/1"},
	{"tlv", "bf2d00", 0, "BF2D/0"},
	{"tlv", "5f200141", 0, "5F20/1"},
	{"tlv", "7f2100", 0, "7F21/0"},
	{"tlv", "9f7000", 0, "9F70/0"},
	{"tlv", "1f1f00", 0, "1F1F/0"},	     /* number 31: the smallest high-tag number */
	{"tlv", "bf810000", 0, "BF8100/0"},   /* number 128 */
	{"tlv", "dfffff7f00", 0, "DFFFFF7F/0"}, /* number 2^21-1, 4 octets */
	/* Lengths. */
	{"tlv", "0481", SF_EDER_TRUNC, NULL},
	{"tlv", "3080", SF_EDER_LEN, NULL},		/* indefinite */
	{"tlv", "30800000", SF_EDER_LEN, NULL},		/* indefinite with EOC */
	{"tlv", "048105", SF_EDER_LEN, NULL},		/* 81 05: should be 05 */
	{"tlv", "04817f", SF_EDER_LEN, NULL},		/* 81 7F: should be 7F */
	{"tlv", "0482007f", SF_EDER_LEN, NULL},		/* 82 00 7F */
	{"tlv", "04820080", SF_EDER_LEN, NULL},		/* 82 00 80: should be 81 80 */
	{"tlv", "0485000000000100", SF_EDER_LEN, NULL}, /* 5 length octets */
	{"tlv", "04ff", SF_EDER_LEN, NULL},		/* reserved */
	{"tlv", "040201", SF_EDER_TRUNC, NULL},
	{"tlv", "0484ffffffff00", SF_EDER_TRUNC, NULL}, /* huge, past end */
	{"tlv", "", SF_EDER_TRUNC, NULL},
	/* Tags. */
	{"tlv", "0000", SF_EDER_TAGENC, NULL},	     /* end-of-contents */
	{"tlv", "2000", SF_EDER_TAGENC, NULL},	     /* universal 0, constructed */
	{"tlv", "1f0500", SF_EDER_TAGENC, NULL},	     /* high form for 5 */
	{"tlv", "bf1e00", SF_EDER_TAGENC, NULL},	     /* high form for 30 */
	{"tlv", "bf802200", SF_EDER_TAGENC, NULL},     /* leading 80 */
	{"tlv", "bf8180808000", SF_EDER_TAGENC, NULL}, /* 5 identifier octets */
	{"tlv", "bf", SF_EDER_TRUNC, NULL},
	{"tlv", "bf81", SF_EDER_TRUNC, NULL},
	{"int64", "040100", SF_EDER_TAG, NULL},
	{"int64", "", SF_EDER_TRUNC, NULL},
	/* INTEGER (X.690 §8.3). */
	{"int64", "020100", 0, "0"},
	{"int64", "0201ff", 0, "-1"},
	{"int64", "02017f", 0, "127"},
	{"int64", "02020080", 0, "128"},
	{"int64", "020180", 0, "-128"},
	{"int64", "0202ff7f", 0, "-129"},
	{"int64", "02020100", 0, "256"},
	{"int64", "02087fffffffffffffff", 0, "9223372036854775807"},
	{"int64", "02088000000000000000", 0, "-9223372036854775808"},
	{"int64", "0209008000000000000000", SF_EDER_RANGE, NULL},
	{"int64", "0209ff7fffffffffffffff", SF_EDER_RANGE, NULL},
	{"int64", "0200", SF_EDER_INTENC, NULL},
	{"int64", "02020000", SF_EDER_INTENC, NULL},
	{"int64", "0202007f", SF_EDER_INTENC, NULL},
	{"int64", "0202ffff", SF_EDER_INTENC, NULL},
	{"int64", "0202ff80", SF_EDER_INTENC, NULL},
	{"int64", "0203000080", SF_EDER_INTENC, NULL},
	{"int64", "2201ff", SF_EDER_TAG, NULL},
	{"enum", "0a0103", 0, "3"},
	{"intctx0", "800105", 0, "5"},
	{"intctx0", "020105", SF_EDER_TAG, NULL},
	{"uint64", "020100", 0, "0"},
	{"uint64", "02020080", 0, "128"},
	{"uint64", "020900ffffffffffffffff", 0, "18446744073709551615"},
	{"uint64", "0209010000000000000000", SF_EDER_RANGE, NULL},
	{"uint64", "0201ff", SF_EDER_RANGE, NULL},
	{"uint64", "020200ff", 0, "255"},
	{"uint64", "02030000ff", SF_EDER_INTENC, NULL},
	{"intraw", "0211ff00112233445566778899aabbccddeeff", 0, "ff00112233445566778899aabbccddeeff"},
	{"intraw", "0202ff80", SF_EDER_INTENC, NULL},
	{"uintraw", "02030080ff", 0, "80ff"},
	{"uintraw", "020100", 0, "00"},
	{"uintraw", "02017f", 0, "7f"},
	{"uintraw", "020180", SF_EDER_RANGE, NULL},
	/* BOOLEAN (§8.2, §11.1). */
	{"bool", "0101ff", 0, "true"},
	{"bool", "010100", 0, "false"},
	{"bool", "010101", SF_EDER_VALUE, NULL},
	{"bool", "01017f", SF_EDER_VALUE, NULL},
	{"bool", "0100", SF_EDER_VALUE, NULL},
	{"bool", "0102ffff", SF_EDER_VALUE, NULL},
	/* NULL (§8.8). */
	{"null", "0500", 0, "null"},
	{"null", "050100", SF_EDER_VALUE, NULL},
	/* OCTET STRING (§8.7, §10.2: primitive only). */
	{"octets", "0400", 0, ""},
	{"octets", "0403010203", 0, "010203"},
	{"octets", "2403040100", SF_EDER_TAG, NULL},
	/* BIT STRING (§8.6, §11.2); X.690 §8.6.4.2 example '0A3B5F291CD'H. */
	{"bits", "0307040a3b5f291cd0", 0, "4:0a3b5f291cd0"},
	{"bits", "030100", 0, "0:"},
	{"bits", "0300", SF_EDER_VALUE, NULL},
	{"bits", "030101", SF_EDER_VALUE, NULL},  /* unused bits with no octets */
	{"bits", "03020800", SF_EDER_VALUE, NULL}, /* unused > 7 */
	{"bits", "03020101", SF_EDER_VALUE, NULL}, /* padding bit set */
	{"bits", "0307040a3b5f291cd8", SF_EDER_VALUE, NULL},
	{"bits", "2303030100", SF_EDER_TAG, NULL},
	{"named", "030100", 0, "00000000"},
	{"named", "03020780", 0, "00000001"},
	{"named", "03020520", 0, "00000004"},
	{"named", "030205a0", 0, "00000005"},
	{"named", "030206a0", SF_EDER_VALUE, NULL}, /* a trailing zero bit */
	{"named", "03050000000001", 0, "80000000"},
	{"named", "03020080", SF_EDER_VALUE, NULL}, /* trailing zero bits kept */
	{"named", "03020000", SF_EDER_VALUE, NULL},
	{"named", "03060700000000" "80", SF_EDER_RANGE, NULL}, /* bit 32 */
	/* OBJECT IDENTIFIER (§8.19); §8.19.5 example {2 999 3}. */
	{"oid", "0603883703", 0, "2.999.3"},
	{"oid", "06072a8648ce3d0201", 0, "1.2.840.10045.2.1"},
	{"oid", "06082a8648ce3d030107", 0, "1.2.840.10045.3.1.7"},
	{"oid", "060100", 0, "0.0"},
	{"oid", "060127", 0, "0.39"},
	{"oid", "06014f", 0, "1.39"},
	{"oid", "060150", 0, "2.0"},
	{"oid", "0606678112010201", 0, "2.23.146.1.2.1"}, /* GSMA RSP */
	{"oid", "060b81ffffffffffffffff7f03", 0, "2.18446744073709551535.3"},
	{"oid", "060a8280808080808080" "8000", SF_EDER_RANGE, NULL}, /* subidentifier 2^64 */
	{"oid", "0600", SF_EDER_VALUE, NULL},
	{"oid", "06022a", SF_EDER_TRUNC, NULL},
	{"oid", "06022a86", SF_EDER_VALUE, NULL}, /* last octet continues */
	{"oid", "0603808001", SF_EDER_VALUE, NULL},
	{"oid", "06032a8001", SF_EDER_VALUE, NULL}, /* leading 80 in an arc */
	/* Strings (X.680 §41). */
	{"utf8", "0c054a6f6e6573", 0, "Jones"},
	{"utf8", "0c00", 0, ""},
	{"utf8", "0c0bc3a9e282acf09f9882c2a0", 0, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x82\xc2\xa0"},
	{"utf8", "0c04f48fbfbf", 0, "\xf4\x8f\xbf\xbf"},
	{"utf8", "0c02c080", SF_EDER_CHARSET, NULL},	   /* overlong NUL */
	{"utf8", "0c02c1bf", SF_EDER_CHARSET, NULL},	   /* overlong */
	{"utf8", "0c03e08080", SF_EDER_CHARSET, NULL},	   /* overlong */
	{"utf8", "0c04f0808080", SF_EDER_CHARSET, NULL},   /* overlong */
	{"utf8", "0c03eda080", SF_EDER_CHARSET, NULL},	   /* surrogate D800 */
	{"utf8", "0c04f4908080", SF_EDER_CHARSET, NULL},   /* > U+10FFFF */
	{"utf8", "0c01e2", SF_EDER_CHARSET, NULL},	   /* truncated sequence */
	{"utf8", "0c02e282", SF_EDER_CHARSET, NULL},
	{"utf8", "0c02c241", SF_EDER_CHARSET, NULL},	   /* bad continuation */
	{"utf8", "0c0180", SF_EDER_CHARSET, NULL},	   /* lone continuation */
	{"utf8", "0c01ff", SF_EDER_CHARSET, NULL},
	{"utf8", "0c03410042", SF_EDER_CHARSET, NULL}, /* NUL */
	{"printable", "130e4142432078797a20303132272829", 0, "ABC xyz 012'()"},
	{"printable", "13082b2c2d2e2f3a3d", SF_EDER_TRUNC, NULL},
	{"printable", "13082b2c2d2e2f3a3d3f", 0, "+,-./:=?"},
	{"printable", "13012a", SF_EDER_CHARSET, NULL}, /* '*' */
	{"printable", "130140", SF_EDER_CHARSET, NULL}, /* '@' */
	{"printable", "13015f", SF_EDER_CHARSET, NULL}, /* '_' */
	{"printable", "1301c3", SF_EDER_CHARSET, NULL},
	{"ia5", "160f736d64702e6578616d706c652e636f", 0, "smdp.example.co"},
	{"ia5", "1602407e", 0, "@~"},
	{"ia5", "160180", SF_EDER_CHARSET, NULL},
	{"ia5", "160100", SF_EDER_CHARSET, NULL},
	{"ia5", "0c0141", SF_EDER_TAG, NULL},
	/* UTCTime (§11.8) and GeneralizedTime (§11.7). */
	{"utc", "170d3234303232393233353935395a", 0, "2024-02-29T23:59:59.000000000Z=1709251199"},
	{"utc", "170d3439313233313233353935395a", 0, "2049-12-31T23:59:59.000000000Z=2524607999"},
	{"utc", "170d3530303130313030303030305a", 0, "1950-01-01T00:00:00.000000000Z=-631152000"},
	{"utc", "170b323430323239323335395a", SF_EDER_TIME, NULL},	  /* no seconds */
	{"utc", "170c323430323239323335393539", SF_EDER_TIME, NULL},   /* no Z */
	{"utc", "1711323430323239323335393539", SF_EDER_TRUNC, NULL},
	{"utc", "17113234303232393233353935392b30303030", SF_EDER_TIME, NULL}, /* +0000 */
	{"utc", "170d3233303232393030303030305a", SF_EDER_TIME, NULL}, /* 2023-02-29 */
	{"utc", "170d3234313330313030303030305a", SF_EDER_TIME, NULL}, /* month 13 */
	{"utc", "170d3234303030313030303030305a", SF_EDER_TIME, NULL}, /* month 0 */
	{"utc", "170d3234303433313030303030305a", SF_EDER_TIME, NULL}, /* 04-31 */
	{"utc", "170d3234303130313234303030305a", SF_EDER_TIME, NULL}, /* 24:00:00 */
	{"utc", "170d3234303130313030363030305a", SF_EDER_TIME, NULL}, /* minute 60 */
	{"utc", "170d3234303130313030303036305a", SF_EDER_TIME, NULL}, /* second 60 */
	{"utc", "170d32343031303130303030302b5a", SF_EDER_TIME, NULL}, /* non-digit */
	{"gen", "180f32303234303232393233353935395a", 0, "2024-02-29T23:59:59.000000000Z=1709251199"},
	{"gen", "181132303030303232393030303030302e355a", 0,
	 "2000-02-29T00:00:00.500000000Z=951782400"},
	{"gen", "181932303030303232393030303030302e3132333435363738395a", 0,
	 "2000-02-29T00:00:00.123456789Z=951782400"},
	{"gen", "180f39393939313233313233353935395a", 0,
	 "9999-12-31T23:59:59.000000000Z=253402300799"},
	{"gen", "180f30303030303130313030303030305a", 0,
	 "0000-01-01T00:00:00.000000000Z=-62167219200"},
	{"gen", "180f31393030303232393030303030305a", SF_EDER_TIME, NULL}, /* 1900 not leap */
	{"gen", "181232303234303130313030303030302e35305a", SF_EDER_TIME, NULL}, /* .50 */
	{"gen", "181132303234303130313030303030302e305a", SF_EDER_TIME, NULL},   /* .0 */
	{"gen", "181032303234303130313030303030302e5a", SF_EDER_TIME, NULL},     /* "." */
	{"gen", "181132303234303130313030303030302c355a", SF_EDER_TIME, NULL},   /* comma */
	{"gen", "180e3230323430313031303030303030", SF_EDER_TIME, NULL},	  /* local */
	{"gen", "180d3230323430313031303030305a", SF_EDER_TIME, NULL},	  /* no secs */
	{"gen", "181132303234303130313030303030302e352b", SF_EDER_TIME, NULL},
	{"gen", "181a32303030303232393030303030302e313233343536373839315a", SF_EDER_RANGE,
	 NULL}, /* 10 fraction digits */
	{"gen", "181132303234303130313030303030302e615a", SF_EDER_TIME, NULL},
	{"time", "170d3234303232393233353935395a", 0, "2024-02-29T23:59:59.000000000Z=1709251199"},
	{"time", "180f32303530303130313030303030305a", 0,
	 "2050-01-01T00:00:00.000000000Z=2524608000"},
	{"time", "0400", SF_EDER_TAG, NULL},
	/* SGP.22 messages. */
	{"challenge", "bf2e128010" CHAL, 0, CHAL},
	{"challenge", "bf2e128011" CHAL, SF_EDER_TRUNC, NULL},	/* inner 80 overruns */
	{"challenge", "bf2e148010" CHAL "0500", SF_EDER_TRAIL, NULL}, /* extra child */
	{"challenge", "bf2e128110" CHAL, SF_EDER_TAG, NULL},
	{"challenge", "bf2e1280820010" CHAL, SF_EDER_LEN, NULL},
	{"challenge", "bf2e80801080" CHAL "0000", SF_EDER_LEN, NULL}, /* BER indefinite */
	{"pilreq", "bf2d00", 0, "crit=0 tags=-"},
	{"pilreq", "bf2d035c015a", 0, "crit=0 tags=5a"},
	{"pilreq", "bf2d0795020f005c0190", 0, "crit=1 tags=90"},
	{"pilreq", "bf2d035d015a", SF_EDER_TRAIL, NULL},
	/* Trees: X.509 AlgorithmIdentifier, nested constructed tags. */
	{"tree", "301306072a8648ce3d020106082a8648ce3d030107", 0, "3/1"},
	{"tree", "bf2d0ba009a0075a058910000000", 0, "4/3"},
	{"tree", "3000", 0, "1/1"},
	{"tree", "30033001ff", SF_EDER_TRUNC, NULL},
	{"tree", "30043080", SF_EDER_TRUNC, NULL},
	{"tree", "3004308000", SF_EDER_TRUNC, NULL},
	{"tree", "300430800000", SF_EDER_LEN, NULL}, /* BER indefinite inside */
	{"tree", "3006308000000000", SF_EDER_LEN, NULL},
	{"tree", "30031f0500", SF_EDER_TAGENC, NULL},
};

/* Copies hex into an exact-size heap buffer so ASan sees any over-read;
 * a zero-length input gets a live pointer too. */
static uint8_t *exact(const uint8_t *src, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);
	assert_non_null(b);
	if (len)
		memcpy(b, src, len);
	return b;
}

static void check_vector(const struct vec *v)
{
	static uint8_t in[512];
	char out[512] = "";
	size_t n = sf_test_unhex(v->hex, in, sizeof(in));
	reader_fn fn = reader(v->reader);
	uint8_t *b = exact(in, n);
	const uint8_t *p = b;
	int rc = fn(&p, b + n, out, sizeof(out));
	if (rc != v->rc)
		fail_msg("%s %s: got %d (%s), want %d (%s)", v->reader, v->hex, rc, sf_err_name(rc),
			 v->rc, sf_err_name(v->rc));
	if (rc == 0) {
		assert_string_equal(out, v->value);
		/* A reader consumes exactly one element. */
		if (p != b + n)
			fail_msg("%s %s: consumed %td of %zu", v->reader, v->hex, p - b, n);
		/* parse_prefixes: every strict prefix fails cleanly, cursor unmoved. */
		for (size_t k = 0; k < n; k++) {
			uint8_t *c = exact(in, k);
			const uint8_t *q = c;
			int prc = fn(&q, c + k, out, sizeof(out));
			if (prc != SF_EDER_TRUNC || q != c)
				fail_msg("%s %s: prefix %zu gave %d (%s), cursor moved %td",
					 v->reader, v->hex, k, prc, sf_err_name(prc), q - c);
			free(c);
		}
	} else if (p != b) {
		fail_msg("%s %s: cursor moved on error", v->reader, v->hex);
	}
	free(b);
}

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		check_vector(&vectors[i]);
}

/* ---------------------------------------------------------------- tags -- */

static void test_tags(void **state)
{
	(void)state;
	assert_int_equal(sf_der_tag_class(0xBF22), SF_DER_CLASS_CONTEXT);
	assert_int_equal(sf_der_tag_constructed(0xBF22), 1);
	assert_int_equal(sf_der_tag_number(0xBF22), 34);
	assert_int_equal(sf_der_tag_class(0x5F20), SF_DER_CLASS_APPLICATION);
	assert_int_equal(sf_der_tag_constructed(0x5F20), 0);
	assert_int_equal(sf_der_tag_number(0x5F20), 32);
	assert_int_equal(sf_der_tag_number(0x7F21), 33);
	assert_int_equal(sf_der_tag_constructed(0x7F21), 1);
	assert_int_equal(sf_der_tag_number(0x9F70), 112);
	assert_int_equal(sf_der_tag_class(0x9F70), SF_DER_CLASS_CONTEXT);
	assert_int_equal(sf_der_tag_number(0x30), 16);
	assert_int_equal(sf_der_tag_class(0x30), SF_DER_CLASS_UNIVERSAL);
	assert_int_equal(sf_der_tag_number(0xDFFFFF7F), SF_DER_TAG_NUMBER_MAX);
	assert_int_equal(sf_der_tag_class(0xDFFFFF7F), SF_DER_CLASS_PRIVATE);
	assert_int_equal(sf_der_tag_make(SF_DER_CLASS_CONTEXT, 1, 34), 0xBF22);
	assert_int_equal(sf_der_tag_make(SF_DER_CLASS_APPLICATION, 0, 32), 0x5F20);
	assert_int_equal(sf_der_tag_make(SF_DER_CLASS_CONTEXT, 1, 45), 0xBF2D);
	assert_int_equal(sf_der_tag_make(SF_DER_CLASS_CONTEXT, 0, 0), 0x80);
	assert_int_equal(sf_der_tag_make(SF_DER_CLASS_UNIVERSAL, 1, 16), SF_DER_SEQUENCE);
	assert_int_equal(sf_der_tag_make(SF_DER_CLASS_CONTEXT, 1, 128), 0xBF8100);
	assert_int_equal(sf_der_tag_make(SF_DER_CLASS_UNIVERSAL, 0, 0), 0);
	assert_int_equal(sf_der_tag_make(SF_DER_CLASS_CONTEXT, 0, SF_DER_TAG_NUMBER_MAX + 1), 0);
	assert_int_equal(sf_der_tag_make(0x10, 0, 1), 0);
	assert_int_equal(SF_DER_CTX_C(3), 0xA3);
	/* make, number, class and valid agree everywhere, including at the
	 * one/two/three/four-octet boundaries. */
	static const uint32_t nums[] = {1, 2, 30, 31, 32, 127, 128, 129, 16383, 16384, 16385,
					SF_DER_TAG_NUMBER_MAX};
	static const unsigned cls[] = {SF_DER_CLASS_UNIVERSAL, SF_DER_CLASS_APPLICATION,
				       SF_DER_CLASS_CONTEXT, SF_DER_CLASS_PRIVATE};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		for (size_t c = 0; c < 4; c++)
			for (int k = 0; k < 2; k++) {
				uint32_t t = sf_der_tag_make(cls[c], k, nums[i]);
				assert_true(sf_der_tag_valid(t));
				assert_int_equal(sf_der_tag_number(t), nums[i]);
				assert_int_equal(sf_der_tag_class(t), cls[c]);
				assert_int_equal(sf_der_tag_constructed(t), k);
			}
	static const uint32_t bad[] = {0, 0x20, 0x1F, 0xBF, 0x1F05, 0xBF1E, 0xBF8022, 0xBF81,
				       0xBFFFFFFF, 0x3080, 0x0201};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sf_der_tag_valid(bad[i]))
			fail_msg("tag %" PRIX32 " accepted", bad[i]);
}

/* --------------------------------------------------- generic reader API -- */

static void test_reader_api(void **state)
{
	(void)state;
	uint8_t in[64];
	size_t n = sf_test_unhex("3009" "020101" "0101ff" "800105", in, sizeof(in));
	const uint8_t *p = in, *end = in + n, *v;
	size_t len;
	uint32_t tag = 0;
	int present = -1;

	assert_int_equal(sf_der_peek_tag(p, end, &tag), 0);
	assert_int_equal(tag, SF_DER_SEQUENCE);
	assert_ptr_equal(p, in);
	assert_int_equal(sf_der_expect(&p, end, SF_DER_SET, &v, &len), SF_EDER_TAG);
	assert_ptr_equal(p, in);
	assert_int_equal(sf_der_expect(&p, end, SF_DER_SEQUENCE, &v, &len), 0);
	assert_int_equal(len, 9);
	assert_int_equal(sf_der_check_end(p, end), 0);

	/* Inside: INTEGER, BOOLEAN, then an OPTIONAL [0] present and an
	 * OPTIONAL [1] absent at the end. */
	const uint8_t *q = v, *qe = v + len;
	int64_t i64 = 0;
	int b = 0;
	assert_int_equal(sf_der_get_optional(&q, qe, SF_DER_CTX(0), &v, &len, &present), 0);
	assert_int_equal(present, 0);
	assert_ptr_equal(q, in + 2);
	assert_int_equal(sf_der_get_int64(&q, qe, SF_DER_INTEGER, &i64), 0);
	assert_int_equal(i64, 1);
	assert_int_equal(sf_der_check_end(q, qe), SF_EDER_TRAIL);
	assert_int_equal(sf_der_get_bool(&q, qe, SF_DER_BOOLEAN, &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(sf_der_get_optional(&q, qe, SF_DER_CTX(0), &v, &len, &present), 0);
	assert_int_equal(present, 1);
	assert_int_equal(len, 1);
	assert_int_equal(v[0], 5);
	assert_int_equal(sf_der_get_optional(&q, qe, SF_DER_CTX(1), &v, &len, &present), 0);
	assert_int_equal(present, 0);
	assert_int_equal(sf_der_check_end(q, qe), 0);
	assert_int_equal(sf_der_peek_tag(q, qe, &tag), SF_EDER_TRUNC);
	assert_int_equal(sf_der_expect(&q, qe, SF_DER_INTEGER, &v, &len), SF_EDER_TRUNC);

	/* An optional element whose header is broken is an error, not absent. */
	n = sf_test_unhex("8081", in, sizeof(in));
	p = in;
	assert_int_equal(sf_der_get_optional(&p, in + n, SF_DER_CTX(0), &v, &len, &present),
			 SF_EDER_TRUNC);
	assert_ptr_equal(p, in);

	/* Skip. */
	n = sf_test_unhex("0403aabbcc0500", in, sizeof(in));
	p = in;
	assert_int_equal(sf_der_skip(&p, in + n), 0);
	assert_ptr_equal(p, in + 5);
	assert_int_equal(sf_der_get_null(&p, in + n, SF_DER_NULL), 0);
	assert_int_equal(sf_der_skip(&p, in + n), SF_EDER_TRUNC);

	/* Bad arguments. */
	p = NULL;
	assert_int_equal(sf_der_get_tlv(&p, in + n, &tag, &v, &len), SF_EINVAL);
	assert_int_equal(sf_der_get_tlv(NULL, in + n, &tag, &v, &len), SF_EINVAL);
	p = in + 1;
	assert_int_equal(sf_der_get_tlv(&p, in, &tag, &v, &len), SF_EINVAL);
	p = in;
	assert_int_equal(sf_der_get_int64(&p, in + n, SF_DER_SEQUENCE, &i64), SF_EINVAL);
	assert_int_equal(sf_der_get_int64(&p, in + n, 0x1F05, &i64), SF_EINVAL);
	assert_int_equal(sf_der_get_string(&p, in + n, 0x04, 0x04, &v, &len), SF_EINVAL);
}

static void test_iterator(void **state)
{
	(void)state;
	uint8_t in[64];
	size_t n = sf_test_unhex("020101" "bf2203800100" "5f200141", in, sizeof(in));
	struct sf_der_iter it;
	struct sf_der_tlv t;
	static const uint32_t tags[] = {SF_DER_INTEGER, 0xBF22, 0x5F20};
	static const size_t raw[] = {3, 6, 4};
	size_t off = 0, k = 0;
	int rc;
	sf_der_iter_init(&it, in, n);
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		assert_true(k < 3);
		assert_int_equal(t.tag, tags[k]);
		assert_ptr_equal(t.raw, in + off);
		assert_int_equal(t.raw_len, raw[k]);
		assert_ptr_equal(t.val + t.len, in + off + raw[k]);
		off += raw[k++];
	}
	assert_int_equal(rc, 0);
	assert_int_equal(k, 3);
	assert_int_equal(sf_der_iter_next(&it, &t), 0);

	/* An empty constructed value has no children. */
	sf_der_iter_init(&it, in, 0);
	assert_int_equal(sf_der_iter_next(&it, &t), 0);
	sf_der_iter_init(&it, NULL, 0);
	assert_int_equal(sf_der_iter_next(&it, &t), 0);

	/* A bad child stops the walk and the iterator stays on it. */
	n = sf_test_unhex("0500" "048105", in, sizeof(in));
	sf_der_iter_init(&it, in, n);
	assert_int_equal(sf_der_iter_next(&it, &t), 1);
	assert_int_equal(sf_der_iter_next(&it, &t), SF_EDER_LEN);
	assert_ptr_equal(it.p, in + 2);
	assert_int_equal(sf_der_iter_next(&it, &t), SF_EDER_LEN);
}

/* Long lengths (1 to 3 length octets) and their prefixes. */
static void test_long_lengths(void **state)
{
	(void)state;
	static const size_t sizes[] = {127, 128, 200, 255, 256, 300, 65535, 65536, 70000};
	static const char *heads[] = {"047f", "048180", "0481c8", "0481ff", "04820100",
				      "0482012c", "0482ffff", "0483010000", "0483011170"};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t cl = sizes[i];
		uint8_t *src = calloc(1, cl);
		assert_non_null(src);
		for (size_t k = 0; k < cl; k++)
			src[k] = (uint8_t)(k * 7);
		/* writer */
		size_t cap = cl + 8, n = 0;
		uint8_t *buf = malloc(cap);
		assert_non_null(buf);
		struct sf_der_writer w;
		sf_der_writer_init(&w, buf, cap);
		assert_int_equal(sf_der_write_octets(&w, SF_DER_OCTET_STRING, src, cl), 0);
		assert_int_equal(sf_der_writer_finish(&w, &n), 0);
		uint8_t h[8];
		size_t hl = sf_test_unhex(heads[i], h, sizeof(h));
		assert_int_equal(n, hl + cl);
		sf_assert_mem(heads[i], buf, h, hl);
		assert_memory_equal(buf + hl, src, cl);
		/* reader on an exact buffer */
		uint8_t *e = exact(buf, n);
		const uint8_t *p = e, *v;
		size_t len;
		assert_int_equal(sf_der_get_octets(&p, e + n, SF_DER_OCTET_STRING, &v, &len), 0);
		assert_int_equal(len, cl);
		assert_ptr_equal(p, e + n);
		/* prefixes: all header cuts and a few content cuts */
		for (size_t k = 0; k < n; k = k < hl + 2 ? k + 1 : k + 997) {
			uint8_t *c = exact(buf, k);
			const uint8_t *q = c;
			assert_int_equal(sf_der_get_octets(&q, c + k, SF_DER_OCTET_STRING, &v, &len),
					 SF_EDER_TRUNC);
			assert_ptr_equal(q, c);
			free(c);
		}
		free(e);
		free(buf);
		free(src);
	}
}

/* ----------------------------------------------------------- writer -- */

static void expect_out(struct sf_der_writer *w, const char *hex)
{
	uint8_t want[256];
	size_t wl = sf_test_unhex(hex, want, sizeof(want)), n = 0;
	int rc = sf_der_writer_finish(w, &n);
	if (rc)
		fail_msg("writer for %s: %d (%s)", hex, rc, sf_err_name(rc));
	if (n != wl)
		fail_msg("writer for %s: %zu octets", hex, n);
	sf_assert_mem(hex, w->buf, want, wl);
}

static void test_write_int(void **state)
{
	(void)state;
	static const struct {
		int64_t v;
		const char *hex;
	} iv[] = {
		{0, "020100"},
		{-1, "0201ff"},
		{127, "02017f"},
		{128, "02020080"},
		{-128, "020180"},
		{-129, "0202ff7f"},
		{255, "020200ff"},
		{256, "02020100"},
		{32767, "02027fff"},
		{-32768, "02028000"},
		{INT64_MAX, "02087fffffffffffffff"},
		{INT64_MIN, "02088000000000000000"},
	};
	uint8_t buf[64];
	struct sf_der_writer w;
	for (size_t i = 0; i < sizeof(iv) / sizeof(iv[0]); i++) {
		sf_der_writer_init(&w, buf, sizeof(buf));
		assert_int_equal(sf_der_write_int64(&w, SF_DER_INTEGER, iv[i].v), 0);
		expect_out(&w, iv[i].hex);
		const uint8_t *p = buf;
		int64_t back = 0;
		assert_int_equal(sf_der_get_int64(&p, buf + w.len, SF_DER_INTEGER, &back), 0);
		assert_true(back == iv[i].v);
	}
	sf_der_writer_init(&w, buf, sizeof(buf));
	sf_der_write_uint64(&w, SF_DER_INTEGER, UINT64_MAX);
	expect_out(&w, "020900ffffffffffffffff");
	sf_der_writer_init(&w, buf, sizeof(buf));
	sf_der_write_uint64(&w, SF_DER_CTX(2), 0);
	expect_out(&w, "820100");

	/* Pseudo-random round trips through every length. */
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t u = x >> (i % 64);
		int64_t s = (int64_t)(u ^ (i & 1 ? UINT64_MAX : 0)); /* both signs */
		const uint8_t *p;
		sf_der_writer_init(&w, buf, sizeof(buf));
		sf_der_write_int64(&w, SF_DER_ENUMERATED, s);
		assert_int_equal(sf_der_writer_finish(&w, NULL), 0);
		p = buf;
		int64_t sb = 0;
		assert_int_equal(sf_der_get_int64(&p, buf + w.len, SF_DER_ENUMERATED, &sb), 0);
		assert_true(sb == s);
		sf_der_writer_init(&w, buf, sizeof(buf));
		sf_der_write_uint64(&w, SF_DER_INTEGER, u);
		assert_int_equal(sf_der_writer_finish(&w, NULL), 0);
		p = buf;
		uint64_t ub = 0;
		assert_int_equal(sf_der_get_uint64(&p, buf + w.len, SF_DER_INTEGER, &ub), 0);
		assert_true(ub == u);
	}

	/* From bytes: two's complement minimised, unsigned magnitude signed. */
	uint8_t r[40];
	size_t rl = sf_test_unhex("0000ff80", r, sizeof(r));
	sf_der_writer_init(&w, buf, sizeof(buf));
	sf_der_write_int_raw(&w, SF_DER_INTEGER, r, rl);
	expect_out(&w, "020300ff80");
	rl = sf_test_unhex("ffff80", r, sizeof(r));
	sf_der_writer_init(&w, buf, sizeof(buf));
	sf_der_write_int_raw(&w, SF_DER_INTEGER, r, rl);
	expect_out(&w, "020180");
	rl = sf_test_unhex("0000" "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5",
			   r, sizeof(r));
	sf_der_writer_init(&w, buf, sizeof(buf));
	sf_der_write_uint_raw(&w, SF_DER_INTEGER, r, rl);
	expect_out(&w, "022100c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5");
	const uint8_t *p = buf, *v;
	size_t len;
	assert_int_equal(sf_der_get_uint_raw(&p, buf + w.len, SF_DER_INTEGER, &v, &len), 0);
	sf_assert_mem("r", v, r + 2, 32);
	sf_der_writer_init(&w, buf, sizeof(buf));
	sf_der_write_uint_raw(&w, SF_DER_INTEGER, r, 2);
	expect_out(&w, "020100");
	sf_der_writer_init(&w, buf, sizeof(buf));
	sf_der_write_uint_raw(&w, SF_DER_INTEGER, r + 3, 1);
	expect_out(&w, "020104");
	sf_der_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(sf_der_write_int_raw(&w, SF_DER_INTEGER, r, 0), SF_EINVAL);
}

static void test_write_types(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct sf_der_writer w;
	static const uint8_t bits[] = {0x0A, 0x3B, 0x5F, 0x29, 0x1C, 0xDF};

	sf_der_writer_init(&w, buf, sizeof(buf));
	sf_der_write_bool(&w, SF_DER_BOOLEAN, 7);
	sf_der_write_bool(&w, SF_DER_BOOLEAN, 0);
	sf_der_write_null(&w, SF_DER_NULL);
	expect_out(&w, "05000101000101ff");

	/* X.690 §8.6.4.2; the writer clears padding bits (DF -> D0). */
	sf_der_writer_init(&w, buf, sizeof(buf));
	sf_der_write_bitstring(&w, SF_DER_BIT_STRING, bits, sizeof(bits), 4);
	expect_out(&w, "0307040a3b5f291cd0");
	sf_der_writer_init(&w, buf, sizeof(buf));
	sf_der_write_bitstring(&w, SF_DER_BIT_STRING, NULL, 0, 0);
	expect_out(&w, "030100");
	sf_der_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(sf_der_write_bitstring(&w, SF_DER_BIT_STRING, NULL, 0, 1), SF_EINVAL);
	sf_der_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(sf_der_write_bitstring(&w, SF_DER_BIT_STRING, bits, 1, 8), SF_EINVAL);

	static const struct {
		uint32_t f;
		const char *hex;
	} nb[] = {{0, "030100"},
		  {1, "03020780"},
		  {4, "03020520"},
		  {5, "030205a0"},
		  {0x80, "03020001"},
		  {0x100, "0303070080"},
		  {0x80000000u, "03050000000001"},
		  {0xFFFFFFFFu, "030500ffffffff"}};
	for (size_t i = 0; i < sizeof(nb) / sizeof(nb[0]); i++) {
		sf_der_writer_init(&w, buf, sizeof(buf));
		sf_der_write_named_bits(&w, SF_DER_BIT_STRING, nb[i].f);
		expect_out(&w, nb[i].hex);
		const uint8_t *p = buf;
		uint32_t f = 1234;
		assert_int_equal(sf_der_get_named_bits(&p, buf + w.len, SF_DER_BIT_STRING, &f), 0);
		assert_int_equal(f, nb[i].f);
	}

	/* OIDs from strings and raw; through the reader and back to text. */
	static const struct {
		const char *s, *hex;
	} ov[] = {{"2.999.3", "0603883703"},
		  {"1.2.840.10045.3.1.7", "06082a8648ce3d030107"},
		  {"1.3.36.3.3.2.8.1.1.7", "06092b2403030208010107"}, /* brainpoolP256r1 */
		  {"2.23.146.1.2.1.0", "0607678112010201" "00"},
		  {"0.0", "060100"},
		  {"1.39", "06014f"},
		  {"2.18446744073709551535", "060a81ffffffffffffffff7f"},
		  {"1.2.18446744073709551615", "060b2a81ffffffffffffffff7f"}};
	for (size_t i = 0; i < sizeof(ov) / sizeof(ov[0]); i++) {
		sf_der_writer_init(&w, buf, sizeof(buf));
		sf_der_write_oid_str(&w, SF_DER_OID, ov[i].s);
		expect_out(&w, ov[i].hex);
		const uint8_t *p = buf, *v;
		size_t len, sl = 0;
		char s[64];
		assert_int_equal(sf_der_get_oid(&p, buf + w.len, SF_DER_OID, &v, &len), 0);
		assert_int_equal(sf_der_oid_to_str(s, sizeof(s), &sl, v, len), 0);
		assert_string_equal(s, ov[i].s);
		assert_int_equal(sl, strlen(ov[i].s));
		uint8_t raw[32];
		size_t rl = 0;
		assert_int_equal(sf_der_oid_from_str(raw, sizeof(raw), &rl, ov[i].s), 0);
		assert_true(sf_der_oid_eq(raw, rl, v, len));
		sf_der_writer_init(&w, buf, sizeof(buf));
		sf_der_write_oid(&w, SF_DER_OID, raw, rl);
		expect_out(&w, ov[i].hex);
	}
	static const char *badoid[] = {"",	   "1",	   "3.1",  "1.40", "0.40", "1.2.",
				       ".1.2",	   "1..2", "1.02", "01.2", "1.2a", "1.-2",
				       "1.2 ",	   "+1.2", "2.18446744073709551536",
				       "1.2.18446744073709551616"};
	for (size_t i = 0; i < sizeof(badoid) / sizeof(badoid[0]); i++) {
		sf_der_writer_init(&w, buf, sizeof(buf));
		int rc = sf_der_write_oid_str(&w, SF_DER_OID, badoid[i]);
		if (rc != SF_EDER_VALUE && rc != SF_EDER_RANGE)
			fail_msg("OID \"%s\" gave %d", badoid[i], rc);
	}
	uint8_t o[4] = {0x2a, 0x86, 0x48, 0x86};
	sf_der_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(sf_der_write_oid(&w, SF_DER_OID, o, 4), SF_EDER_VALUE);
	assert_false(sf_der_oid_eq(o, 3, o, 4));
	assert_true(sf_der_oid_eq(o, 3, o, 3));
	/* to_str reports the size it needs. */
	size_t need = 0;
	char small[8];
	o[3] = 0x06;
	assert_int_equal(sf_der_oid_to_str(small, sizeof(small), &need, o, 4), SF_EBUFSIZE);
	assert_int_equal(need, strlen("1.2.840.6"));
	assert_int_equal(sf_der_oid_to_str(NULL, 0, &need, o, 4), SF_EBUFSIZE);
	char ten[10];
	assert_int_equal(sf_der_oid_to_str(ten, sizeof(ten), &need, o, 4), 0);
	assert_string_equal(ten, "1.2.840.6");
	uint8_t raw[4];
	assert_int_equal(sf_der_oid_from_str(raw, 3, &need, "1.2.840.6"), SF_EBUFSIZE);
	assert_int_equal(need, 4);

	/* Strings. */
	sf_der_writer_init(&w, buf, sizeof(buf));
	sf_der_write_string(&w, 0x80, SF_DER_UTF8_STRING, "\xc3\xa9t\xc3\xa9", 5);
	sf_der_write_string(&w, SF_DER_IA5_STRING, SF_DER_IA5_STRING, "a@b", 3);
	sf_der_write_string(&w, SF_DER_PRINTABLE_STRING, SF_DER_PRINTABLE_STRING, "GSMA", 4);
	expect_out(&w, "130447534d41" "1603614062" "8005c3a974c3a9");
	sf_der_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(
		sf_der_write_string(&w, SF_DER_PRINTABLE_STRING, SF_DER_PRINTABLE_STRING, "a@b", 3),
		SF_EDER_CHARSET);
	sf_der_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(sf_der_write_string(&w, SF_DER_UTF8_STRING, SF_DER_UTF8_STRING, "\xff", 1),
			 SF_EDER_CHARSET);
	sf_der_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(sf_der_write_string(&w, SF_DER_UTF8_STRING, 0x04, "x", 1), SF_EINVAL);
}

static void test_write_time(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct sf_der_writer w;
	struct sf_der_time t = {2024, 2, 29, 23, 59, 59, 0}, b;
	sf_der_writer_init(&w, buf, sizeof(buf));
	sf_der_write_utctime(&w, SF_DER_UTC_TIME, &t);
	expect_out(&w, "170d3234303232393233353935395a");
	const uint8_t *p = buf;
	assert_int_equal(sf_der_get_time(&p, buf + w.len, &b), 0);
	assert_memory_equal(&b, &t, sizeof(t));

	t.nsec = 500000000;
	sf_der_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(sf_der_write_utctime(&w, SF_DER_UTC_TIME, &t), SF_EDER_RANGE);
	sf_der_writer_init(&w, buf, sizeof(buf));
	sf_der_write_gentime(&w, SF_DER_GENERALIZED_TIME, &t);
	expect_out(&w, "181132303234303232393233353935392e355a");
	static const uint32_t ns[] = {1, 10, 120000000, 123456789, 999999999};
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		t.nsec = ns[i];
		sf_der_writer_init(&w, buf, sizeof(buf));
		assert_int_equal(sf_der_write_gentime(&w, SF_DER_GENERALIZED_TIME, &t), 0);
		assert_int_equal(sf_der_writer_finish(&w, NULL), 0);
		p = buf;
		assert_int_equal(sf_der_get_gentime(&p, buf + w.len, SF_DER_GENERALIZED_TIME, &b), 0);
		assert_memory_equal(&b, &t, sizeof(t));
	}
	t.nsec = 0;
	t.day = 28;
	t.year = 2050;
	sf_der_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(sf_der_write_utctime(&w, SF_DER_UTC_TIME, &t), SF_EDER_RANGE);
	t.year = 1949;
	sf_der_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(sf_der_write_utctime(&w, SF_DER_UTC_TIME, &t), SF_EDER_RANGE);
	t.year = 2023;
	t.day = 29;
	sf_der_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(sf_der_write_gentime(&w, SF_DER_GENERALIZED_TIME, &t), SF_EDER_TIME);
	t = (struct sf_der_time){2024, 1, 1, 0, 0, 0, 1000000000u};
	sf_der_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(sf_der_write_gentime(&w, SF_DER_GENERALIZED_TIME, &t), SF_EDER_TIME);

	/* Unix time both ways. */
	static const struct {
		struct sf_der_time t;
		int64_t u;
	} uv[] = {{{1970, 1, 1, 0, 0, 0, 0}, 0},
		  {{1969, 12, 31, 23, 59, 59, 0}, -1},
		  {{2000, 3, 1, 0, 0, 0, 0}, 951868800},
		  {{2038, 1, 19, 3, 14, 8, 0}, 2147483648},
		  {{2106, 2, 7, 6, 28, 16, 0}, 4294967296},
		  {{9999, 12, 31, 23, 59, 59, 0}, 253402300799},
		  {{0, 1, 1, 0, 0, 0, 0}, -62167219200},
		  {{0, 2, 29, 0, 0, 0, 0}, -62162121600}};
	for (size_t i = 0; i < sizeof(uv) / sizeof(uv[0]); i++) {
		int64_t u = 0;
		assert_int_equal(sf_der_time_to_unix(&uv[i].t, &u), 0);
		if (u != uv[i].u)
			fail_msg("row %zu: %" PRId64 " != %" PRId64, i, u, uv[i].u);
		assert_int_equal(sf_der_time_from_unix(uv[i].u, &b), 0);
		assert_memory_equal(&b, &uv[i].t, sizeof(b));
	}
	assert_int_equal(sf_der_time_from_unix(253402300800, &b), SF_EDER_RANGE);
	assert_int_equal(sf_der_time_from_unix(-62167219201, &b), SF_EDER_RANGE);
	/* Every day from year 0 to 9999 round-trips, at a varying time of day. */
	for (int64_t d = -719528; d <= 2932896; d += 1) {
		int64_t s = d * 86400 + (d * 7919 % 86400 + 86400) % 86400, u = 0;
		assert_int_equal(sf_der_time_from_unix(s, &b), 0);
		assert_int_equal(sf_der_time_to_unix(&b, &u), 0);
		if (u != s)
			fail_msg("%" PRId64 " -> %d-%d-%d -> %" PRId64, s, b.year, b.mon, b.day, u);
	}
}

/* SGP.22 messages built with the writer, read back. */
static void test_write_messages(void **state)
{
	(void)state;
	uint8_t buf[64], chal[16];
	struct sf_der_writer w;
	for (int i = 0; i < 16; i++)
		chal[i] = (uint8_t)i;
	sf_der_writer_init(&w, buf, sizeof(buf));
	size_t m = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, SF_DER_CTX(0), chal, sizeof(chal));
	sf_der_write_wrap(&w, m, 0xBF2E);
	expect_out(&w, "bf2e128010" CHAL);

	sf_der_writer_init(&w, buf, sizeof(buf));
	m = sf_der_writer_mark(&w);
	sf_der_write_wrap(&w, m, 0xBF2D);
	expect_out(&w, "bf2d00");

	/* Nested: ProfileInfoListRequest { searchCriteria iccid, tagList }. */
	static const uint8_t iccid[] = {0x89, 0x10, 0, 0, 0};
	static const uint8_t taglist[] = {0x5A, 0x90};
	sf_der_writer_init(&w, buf, sizeof(buf));
	m = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, 0x5C, taglist, sizeof(taglist));
	size_t m2 = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, 0x5A, iccid, sizeof(iccid));
	sf_der_write_wrap(&w, m2, SF_DER_CTX_C(0));
	sf_der_write_wrap(&w, m, 0xBF2D);
	expect_out(&w, "bf2d0da0075a058910000000" "5c025a90");

	/* A ready-made element, raw, plus an explicit header. */
	sf_der_writer_init(&w, buf, sizeof(buf));
	static const uint8_t inner[] = {0x02, 0x01, 0x05};
	sf_der_write_raw(&w, inner, sizeof(inner));
	sf_der_write_header(&w, 0x7F21, sizeof(inner));
	expect_out(&w, "7f2103020105");
	const uint8_t *d;
	size_t dl = 0;
	sf_der_writer_init(&w, buf, sizeof(buf));
	sf_der_write_null(&w, SF_DER_NULL);
	d = sf_der_writer_data(&w, &dl);
	assert_ptr_equal(d, buf + sizeof(buf) - 2);
	assert_int_equal(dl, 2);
}

/* Buffer contract: too small reports SF_EBUFSIZE with the size needed and
 * writes nothing outside the buffer; errors are sticky. */
static void test_writer_errors(void **state)
{
	(void)state;
	uint8_t big[300], chal[16] = {0};
	struct sf_der_writer w;
	size_t n = 0, need = 0;

	/* Sizing pass. */
	sf_der_writer_init(&w, NULL, 0);
	size_t m = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, SF_DER_CTX(0), chal, sizeof(chal));
	sf_der_write_octets(&w, SF_DER_OCTET_STRING, big, 200);
	sf_der_write_wrap(&w, m, 0xBF2E);
	assert_int_equal(sf_der_writer_finish(&w, &need), SF_EBUFSIZE);
	assert_int_equal(need, 4 + 18 + 203);
	assert_null(sf_der_writer_data(&w, &n));

	/* Every buffer size short of the need: SF_EBUFSIZE, same need, and the
	 * guard octets around the buffer untouched. */
	for (size_t cap = 0; cap <= need; cap++) {
		uint8_t *mem = malloc(cap + 32);
		assert_non_null(mem);
		memset(mem, 0xA5, cap + 32);
		sf_der_writer_init(&w, mem + 16, cap);
		m = sf_der_writer_mark(&w);
		sf_der_write_octets(&w, SF_DER_CTX(0), chal, sizeof(chal));
		sf_der_write_octets(&w, SF_DER_OCTET_STRING, big, 200);
		int rc = sf_der_write_wrap(&w, m, 0xBF2E);
		assert_int_equal(rc, cap < need ? SF_EBUFSIZE : 0);
		assert_int_equal(sf_der_writer_finish(&w, &n), rc);
		assert_int_equal(n, need);
		for (size_t k = 0; k < 16; k++) {
			assert_int_equal(mem[k], 0xA5);
			assert_int_equal(mem[16 + cap + k], 0xA5);
		}
		free(mem);
	}

	/* A real error beats SF_EBUFSIZE, and sticks. */
	uint8_t small[4];
	sf_der_writer_init(&w, small, sizeof(small));
	assert_int_equal(sf_der_write_octets(&w, SF_DER_OCTET_STRING, big, 10), SF_EBUFSIZE);
	assert_int_equal(sf_der_write_string(&w, SF_DER_IA5_STRING, SF_DER_IA5_STRING, "\x80", 1),
			 SF_EDER_CHARSET);
	assert_int_equal(sf_der_write_null(&w, SF_DER_NULL), SF_EDER_CHARSET);
	assert_int_equal(sf_der_writer_finish(&w, &n), SF_EDER_CHARSET);
	sf_der_writer_init(&w, big, sizeof(big));
	assert_int_equal(sf_der_write_null(&w, 0x1F05), SF_EINVAL);
	assert_int_equal(sf_der_write_null(&w, SF_DER_NULL), SF_EINVAL);
	sf_der_writer_init(&w, big, sizeof(big));
	assert_int_equal(sf_der_write_wrap(&w, 5, SF_DER_SEQUENCE), SF_EINVAL);
	sf_der_writer_init(&w, big, sizeof(big));
	assert_int_equal(sf_der_write_raw(&w, NULL, 3), SF_EINVAL);
	assert_int_equal(sf_der_write_null(NULL, SF_DER_NULL), SF_EINVAL);
	assert_int_equal(sf_der_writer_finish(NULL, &n), SF_EINVAL);
#if SIZE_MAX > 0xFFFFFFFFu
	sf_der_writer_init(&w, NULL, 0);
	assert_int_equal(sf_der_write_header(&w, SF_DER_OCTET_STRING, (size_t)0x100000000ull),
			 SF_EDER_LEN);
#endif
}

/* Every error code of the module has a message that names DER. */
static void test_messages(void **state)
{
	(void)state;
	static const int codes[] = {SF_EDER_TRUNC, SF_EDER_LEN,	  SF_EDER_TAG,	   SF_EDER_TAGENC,
				    SF_EDER_VALUE, SF_EDER_INTENC, SF_EDER_RANGE,   SF_EDER_CHARSET,
				    SF_EDER_TIME,  SF_EDER_TRAIL};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_true(codes[i] <= -200 && codes[i] > -300);
		assert_non_null(strstr(sf_strerror(codes[i]), "DER: "));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),	      cmocka_unit_test(test_tags),
		cmocka_unit_test(test_reader_api),     cmocka_unit_test(test_iterator),
		cmocka_unit_test(test_long_lengths),   cmocka_unit_test(test_write_int),
		cmocka_unit_test(test_write_types),    cmocka_unit_test(test_write_time),
		cmocka_unit_test(test_write_messages), cmocka_unit_test(test_writer_errors),
		cmocka_unit_test(test_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
