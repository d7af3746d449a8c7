/*
 * Strict DER reader and writer.
 *
 *   ITU-T X.690 (02/2021) §8.1   identifier and length octets (BER)
 *                        §8.2–§8.6, §8.8, §8.19, §8.23  BOOLEAN, INTEGER,
 *                              BIT STRING, OCTET STRING, NULL, OID, strings
 *                        §10    DER: definite lengths in minimal form (§10.1),
 *                              primitive strings (§10.2)
 *                        §11    BOOLEAN FF (§11.1), BIT STRING padding and
 *                              named bits (§11.2), GeneralizedTime (§11.7),
 *                              UTCTime (§11.8)
 *   ITU-T X.680 §41–§47 the character-string types and time types
 *   RFC 5280 §4.1.2.5.1 the UTCTime century
 *
 * The reader is the boundary between the network (an SM-DP+, an eIM, a card)
 * and everything behind it, so it accepts exactly one encoding of each value
 * and nothing that BER would merely tolerate: a value that has two encodings
 * can be used to make two parties disagree about a signed message.  Every
 * reader works on (p, end) with pointer comparisons done as lengths
 * (end - p), never as p + n, so an adversarial length cannot overflow a
 * pointer, and commits its outputs and the cursor only after the whole
 * element has been checked.
 *
 * No heap, no host crypto, no time_t: it is part of the MCU-portable core.
 */
#include <limits.h>
#include <string.h>

#include "simfleet/der.h"
#include "simfleet/err.h"

/* ---------------------------------------------------------------- tags -- */

static unsigned tag_octets(uint32_t tag)
{
	return tag > 0xFFFFFFu ? 4 : tag > 0xFFFFu ? 3 : tag > 0xFFu ? 2 : 1;
}

static unsigned tag_first(uint32_t tag)
{
	return (unsigned)(tag >> (8 * (tag_octets(tag) - 1))) & 0xFFu;
}

/* Identifier octets, X.690 §8.1.2.  A number below 31 fits in the first
 * octet (§8.1.2.3); from 31 on the first octet's number bits are all ones
 * and the number follows in base 128, most significant group first, bit 8
 * set on all but the last octet, and "bits 7 to 1 of the first subsequent
 * octet shall not all be zero" (§8.1.2.4.2 c), i.e. no leading 80.  Using
 * the long form for a number below 31 is also a second encoding of the same
 * tag, so it is rejected.  Tag number 0 of the universal class is the
 * end-of-contents marker of indefinite lengths, which DER does not have. */
static int parse_tag(const uint8_t *p, const uint8_t *end, uint32_t *tag, const uint8_t **next)
{
	if (p >= end)
		return SF_EDER_TRUNC;
	uint32_t t = p[0];
	const uint8_t *q = p + 1;
	if ((p[0] & 0x1Fu) != 0x1Fu) {
		if ((p[0] & 0xDFu) == 0) /* universal, number 0 */
			return SF_EDER_TAGENC;
	} else {
		uint32_t num = 0;
		for (unsigned n = 1;; n++) {
			if (q >= end)
				return SF_EDER_TRUNC;
			uint8_t b = *q++;
			if (n == 1 && b == 0x80)
				return SF_EDER_TAGENC;
			t = t << 8 | b;
			num = num << 7 | (b & 0x7Fu);
			if (!(b & 0x80))
				break;
			if (n == 3) /* a 5th identifier octet would follow */
				return SF_EDER_TAGENC;
		}
		if (num < 31)
			return SF_EDER_TAGENC;
	}
	*tag = t;
	*next = q;
	return 0;
}

/* Length octets, X.690 §8.1.3 and §10.1.  Short form for 0..127; long form
 * 8n then n octets, with "the minimum number of octets" (§10.1): so no
 * leading 00 octet and no long form for a length below 128.  80 (indefinite,
 * §8.1.3.6) is not DER and FF is reserved (§8.1.3.5 c).  More than 4 length
 * octets cannot describe anything a card or a message here holds. */
static int parse_len(const uint8_t *p, const uint8_t *end, size_t *len, const uint8_t **next)
{
	if (p >= end)
		return SF_EDER_TRUNC;
	uint32_t l = p[0];
	const uint8_t *q = p + 1;
	if (l & 0x80u) {
		size_t n = l & 0x7Fu;
		if (n == 0 || n > 4)
			return SF_EDER_LEN;
		if ((size_t)(end - q) < n)
			return SF_EDER_TRUNC;
		if (q[0] == 0)
			return SF_EDER_LEN;
		l = 0;
		for (size_t i = 0; i < n; i++)
			l = l << 8 | q[i];
		if (l < 0x80)
			return SF_EDER_LEN;
		q += n;
	}
	if ((uint64_t)l > (uint64_t)(end - q))
		return SF_EDER_TRUNC;
	*len = (size_t)l;
	*next = q;
	return 0;
}

static int check_cursor(const uint8_t *const *p, const uint8_t *end)
{
	if (p == NULL || *p == NULL || end == NULL || *p > end)
		return SF_EINVAL;
	return 0;
}

unsigned sf_der_tag_class(uint32_t tag)
{
	return tag_first(tag) & 0xC0u;
}

int sf_der_tag_constructed(uint32_t tag)
{
	return (tag_first(tag) & SF_DER_CONSTRUCTED) != 0;
}

uint32_t sf_der_tag_number(uint32_t tag)
{
	unsigned n = tag_octets(tag);
	if (n == 1)
		return tag & 0x1Fu;
	uint32_t num = 0;
	for (unsigned i = n - 1; i-- > 0;)
		num = num << 7 | ((tag >> (8 * i)) & 0x7Fu);
	return num;
}

uint32_t sf_der_tag_make(unsigned cls, int constructed, uint32_t number)
{
	if ((cls & ~0xC0u) != 0 || number > SF_DER_TAG_NUMBER_MAX)
		return 0;
	if (cls == SF_DER_CLASS_UNIVERSAL && number == 0)
		return 0;
	uint32_t first = cls | (constructed ? SF_DER_CONSTRUCTED : 0);
	if (number < 31)
		return first | number;
	uint32_t t = first | 0x1Fu;
	unsigned groups = number < (1u << 7) ? 1 : number < (1u << 14) ? 2 : 3;
	for (unsigned i = groups; i-- > 0;)
		t = t << 8 | ((number >> (7 * i)) & 0x7Fu) | (i ? 0x80u : 0);
	return t;
}

/* Serialises the raw tag and parses it back: a tag is valid exactly when
 * the reader would accept its octets, so reader and writer cannot drift. */
static unsigned tag_to_octets(uint32_t tag, uint8_t out[4])
{
	unsigned n = tag_octets(tag);
	for (unsigned i = 0; i < n; i++)
		out[i] = (uint8_t)(tag >> (8 * (n - 1 - i)));
	return n;
}

int sf_der_tag_valid(uint32_t tag)
{
	uint8_t o[4];
	unsigned n = tag_to_octets(tag, o);
	uint32_t t = 0;
	const uint8_t *next = NULL;
	return parse_tag(o, o + n, &t, &next) == 0 && next == o + n && t == tag;
}

/* ------------------------------------------------------ generic reader -- */

static int parse_tlv(const uint8_t *p, const uint8_t *end, uint32_t *tag, const uint8_t **val,
                     size_t *len, const uint8_t **next)
{
	const uint8_t *q;
	int rc = parse_tag(p, end, tag, &q);
	if (rc)
		return rc;
	rc = parse_len(q, end, len, val);
	if (rc)
		return rc;
	*next = *val + *len;
	return 0;
}

/* Tag first, then length: a wrong tag is reported as such even when the
 * rest of the element is broken, which is what a codec wants to say. */
static int parse_expect(const uint8_t *p, const uint8_t *end, uint32_t tag, const uint8_t **val,
                        size_t *len, const uint8_t **next)
{
	uint32_t t;
	const uint8_t *q;
	int rc = parse_tag(p, end, &t, &q);
	if (rc)
		return rc;
	if (t != tag)
		return SF_EDER_TAG;
	rc = parse_len(q, end, len, val);
	if (rc)
		return rc;
	*next = *val + *len;
	return 0;
}

int sf_der_get_tlv(const uint8_t **p, const uint8_t *end, uint32_t *tag, const uint8_t **val,
                   size_t *len)
{
	int rc = check_cursor(p, end);
	if (rc)
		return rc;
	uint32_t t;
	const uint8_t *v, *next;
	size_t l;
	rc = parse_tlv(*p, end, &t, &v, &l, &next);
	if (rc)
		return rc;
	if (tag)
		*tag = t;
	if (val)
		*val = v;
	if (len)
		*len = l;
	*p = next;
	return 0;
}

int sf_der_expect(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **val,
                  size_t *len)
{
	int rc = check_cursor(p, end);
	if (rc)
		return rc;
	const uint8_t *v, *next;
	size_t l;
	rc = parse_expect(*p, end, tag, &v, &l, &next);
	if (rc)
		return rc;
	if (val)
		*val = v;
	if (len)
		*len = l;
	*p = next;
	return 0;
}

int sf_der_peek_tag(const uint8_t *p, const uint8_t *end, uint32_t *tag)
{
	if (p == NULL || end == NULL || p > end || tag == NULL)
		return SF_EINVAL;
	uint32_t t;
	const uint8_t *next;
	int rc = parse_tag(p, end, &t, &next);
	if (rc)
		return rc;
	*tag = t;
	return 0;
}

int sf_der_get_optional(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **val,
                        size_t *len, int *present)
{
	int rc = check_cursor(p, end);
	if (rc || present == NULL)
		return SF_EINVAL;
	if (*p == end) {
		*present = 0;
		return 0;
	}
	uint32_t t;
	const uint8_t *q;
	rc = parse_tag(*p, end, &t, &q);
	if (rc)
		return rc;
	if (t != tag) {
		*present = 0;
		return 0;
	}
	rc = sf_der_expect(p, end, tag, val, len);
	if (rc)
		return rc;
	*present = 1;
	return 0;
}

int sf_der_skip(const uint8_t **p, const uint8_t *end)
{
	return sf_der_get_tlv(p, end, NULL, NULL, NULL);
}

int sf_der_check_end(const uint8_t *p, const uint8_t *end)
{
	if (p == NULL || end == NULL || p > end)
		return SF_EINVAL;
	return p == end ? 0 : SF_EDER_TRAIL;
}

void sf_der_iter_init(struct sf_der_iter *it, const uint8_t *val, size_t len)
{
	it->p = val;
	it->end = val ? val + len : NULL;
}

int sf_der_iter_next(struct sf_der_iter *it, struct sf_der_tlv *out)
{
	if (it == NULL || out == NULL)
		return SF_EINVAL;
	if (it->p == it->end)
		return 0;
	const uint8_t *start = it->p;
	struct sf_der_tlv t;
	int rc = sf_der_get_tlv(&it->p, it->end, &t.tag, &t.val, &t.len);
	if (rc)
		return rc;
	t.raw = start;
	t.raw_len = (size_t)(it->p - start);
	*out = t;
	return 1;
}

/* ------------------------------------------------------- typed readers -- */

/* The common start of every typed reader: a primitive element with the
 * given tag. */
static int get_prim(const uint8_t *const *p, const uint8_t *end, uint32_t tag, const uint8_t **val,
                    size_t *len, const uint8_t **next)
{
	int rc = check_cursor(p, end);
	if (rc)
		return rc;
	if (!sf_der_tag_valid(tag) || sf_der_tag_constructed(tag))
		return SF_EINVAL;
	return parse_expect(*p, end, tag, val, len, next);
}

/* X.690 §8.3.2: "the bits of the first octet and bit 8 of the second octet
 * shall not all be ones; and shall not all be zero", i.e. the two's
 * complement is minimal.  An empty INTEGER has no value (§8.3.1). */
static int check_int(const uint8_t *v, size_t len)
{
	if (len == 0)
		return SF_EDER_INTENC;
	if (len > 1 && ((v[0] == 0x00 && !(v[1] & 0x80)) || (v[0] == 0xFF && (v[1] & 0x80))))
		return SF_EDER_INTENC;
	return 0;
}

int sf_der_get_int_raw(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **val,
                       size_t *len)
{
	const uint8_t *v, *next;
	size_t l;
	int rc = get_prim(p, end, tag, &v, &l, &next);
	if (rc == 0)
		rc = check_int(v, l);
	if (rc)
		return rc;
	if (val)
		*val = v;
	if (len)
		*len = l;
	*p = next;
	return 0;
}

int sf_der_get_uint_raw(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **val,
                        size_t *len)
{
	const uint8_t *v, *next;
	size_t l;
	int rc = get_prim(p, end, tag, &v, &l, &next);
	if (rc == 0)
		rc = check_int(v, l);
	if (rc)
		return rc;
	if (v[0] & 0x80)
		return SF_EDER_RANGE;
	if (l > 1 && v[0] == 0) {
		v++;
		l--;
	}
	if (val)
		*val = v;
	if (len)
		*len = l;
	*p = next;
	return 0;
}

int sf_der_get_int64(const uint8_t **p, const uint8_t *end, uint32_t tag, int64_t *out)
{
	const uint8_t *v, *next;
	size_t l;
	int rc = get_prim(p, end, tag, &v, &l, &next);
	if (rc == 0)
		rc = check_int(v, l);
	if (rc)
		return rc;
	if (l > 8)
		return SF_EDER_RANGE;
	uint64_t u = (v[0] & 0x80) ? UINT64_MAX : 0;
	for (size_t i = 0; i < l; i++)
		u = u << 8 | v[i];
	/* Two's complement to int64_t without implementation-defined casts. */
	int64_t x = (u >> 63) ? -(int64_t)(~u) - 1 : (int64_t)u;
	if (out)
		*out = x;
	*p = next;
	return 0;
}

int sf_der_get_uint64(const uint8_t **p, const uint8_t *end, uint32_t tag, uint64_t *out)
{
	const uint8_t *v, *next;
	size_t l;
	int rc = get_prim(p, end, tag, &v, &l, &next);
	if (rc == 0)
		rc = check_int(v, l);
	if (rc)
		return rc;
	/* Non-negative and minimal: 9 octets fit only as 00 then 8 octets. */
	if ((v[0] & 0x80) || l > 9 || (l == 9 && v[0] != 0))
		return SF_EDER_RANGE;
	uint64_t u = 0;
	for (size_t i = 0; i < l; i++)
		u = u << 8 | v[i];
	if (out)
		*out = u;
	*p = next;
	return 0;
}

int sf_der_get_bool(const uint8_t **p, const uint8_t *end, uint32_t tag, int *out)
{
	const uint8_t *v, *next;
	size_t l;
	int rc = get_prim(p, end, tag, &v, &l, &next);
	if (rc)
		return rc;
	/* §8.2.1: one octet; §11.1: TRUE is FF in DER. */
	if (l != 1 || (v[0] != 0x00 && v[0] != 0xFF))
		return SF_EDER_VALUE;
	if (out)
		*out = v[0] != 0;
	*p = next;
	return 0;
}

int sf_der_get_null(const uint8_t **p, const uint8_t *end, uint32_t tag)
{
	const uint8_t *v, *next;
	size_t l;
	int rc = get_prim(p, end, tag, &v, &l, &next);
	if (rc)
		return rc;
	if (l != 0) /* §8.8.2 */
		return SF_EDER_VALUE;
	*p = next;
	return 0;
}

int sf_der_get_octets(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **val,
                      size_t *len)
{
	const uint8_t *v, *next;
	size_t l;
	int rc = get_prim(p, end, tag, &v, &l, &next);
	if (rc)
		return rc;
	if (val)
		*val = v;
	if (len)
		*len = l;
	*p = next;
	return 0;
}

/* §8.6.2: the first content octet counts the unused bits of the last octet,
 * 0..7, and is 0 when there are no further octets (§8.6.2.3).  §11.2.1: in
 * DER those unused bits are zero. */
static int check_bitstring(const uint8_t *v, size_t l)
{
	if (l == 0 || v[0] > 7 || (l == 1 && v[0] != 0))
		return SF_EDER_VALUE;
	if (l > 1 && (v[l - 1] & ((1u << v[0]) - 1u)) != 0)
		return SF_EDER_VALUE;
	return 0;
}

int sf_der_get_bitstring(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **bits,
                         size_t *nbytes, unsigned *unused)
{
	const uint8_t *v, *next;
	size_t l;
	int rc = get_prim(p, end, tag, &v, &l, &next);
	if (rc == 0)
		rc = check_bitstring(v, l);
	if (rc)
		return rc;
	if (bits)
		*bits = v + 1;
	if (nbytes)
		*nbytes = l - 1;
	if (unused)
		*unused = v[0];
	*p = next;
	return 0;
}

int sf_der_get_named_bits(const uint8_t **p, const uint8_t *end, uint32_t tag, uint32_t *flags)
{
	const uint8_t *v, *next;
	size_t l;
	int rc = get_prim(p, end, tag, &v, &l, &next);
	if (rc == 0)
		rc = check_bitstring(v, l);
	if (rc)
		return rc;
	size_t nbytes = l - 1;
	uint32_t f = 0;
	if (nbytes > 0) {
		/* §11.2.2: with a named bit list, trailing zero bits are removed,
		 * so the last bit present is a 1.  (An empty list is 03 01 00.) */
		size_t nbits = nbytes * 8 - v[0];
		if (!(v[l - 1] & (1u << v[0])))
			return SF_EDER_VALUE;
		if (nbits > 32)
			return SF_EDER_RANGE;
		for (size_t i = 0; i < nbits; i++)
			if (v[1 + i / 8] & (0x80u >> (i % 8)))
				f |= (uint32_t)1 << i;
	}
	if (flags)
		*flags = f;
	*p = next;
	return 0;
}

/* §8.19.2: subidentifiers in base 128, bit 8 set on all but their last
 * octet, and "the leading octet of the subidentifier shall not have the
 * value 80" (minimal).  At least one subidentifier. */
static int check_oid(const uint8_t *v, size_t l)
{
	if (l == 0 || (v[l - 1] & 0x80))
		return SF_EDER_VALUE;
	for (size_t i = 0; i < l; i++)
		if ((i == 0 || !(v[i - 1] & 0x80)) && v[i] == 0x80)
			return SF_EDER_VALUE;
	return 0;
}

int sf_der_get_oid(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **val,
                   size_t *len)
{
	const uint8_t *v, *next;
	size_t l;
	int rc = get_prim(p, end, tag, &v, &l, &next);
	if (rc == 0)
		rc = check_oid(v, l);
	if (rc)
		return rc;
	if (val)
		*val = v;
	if (len)
		*len = l;
	*p = next;
	return 0;
}

int sf_der_oid_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Appends the decimal digits of v at dst[*pos] if they fit before dst_len
 * (dst may be NULL: counting only); always advances *pos. */
static void put_u64(char *dst, size_t dst_len, size_t *pos, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n) {
		if (dst && *pos < dst_len)
			dst[*pos] = tmp[n - 1];
		(*pos)++;
		n--;
	}
}

static void put_char(char *dst, size_t dst_len, size_t *pos, char c)
{
	if (dst && *pos < dst_len)
		dst[*pos] = c;
	(*pos)++;
}

/* Formats into dst (or only counts, dst NULL). */
static int oid_format(char *dst, size_t dst_len, size_t *pos, const uint8_t *v, size_t l)
{
	uint64_t arc = 0;
	int first = 1;
	for (size_t i = 0; i < l; i++) {
		if (arc > (UINT64_MAX >> 7))
			return SF_EDER_RANGE;
		arc = arc << 7 | (v[i] & 0x7Fu);
		if (v[i] & 0x80)
			continue;
		if (first) {
			/* §8.19.4: the first subidentifier is X*40 + Y, with
			 * X in 0..2 and Y < 40 unless X is 2. */
			unsigned x = arc < 40 ? 0 : arc < 80 ? 1 : 2;
			put_u64(dst, dst_len, pos, x);
			put_char(dst, dst_len, pos, '.');
			put_u64(dst, dst_len, pos, arc - 40u * x);
			first = 0;
		} else {
			put_char(dst, dst_len, pos, '.');
			put_u64(dst, dst_len, pos, arc);
		}
		arc = 0;
	}
	return 0;
}

int sf_der_oid_to_str(char *dst, size_t dst_len, size_t *out_len, const uint8_t *oid,
                      size_t oid_len)
{
	if (oid == NULL && oid_len != 0)
		return SF_EINVAL;
	int rc = check_oid(oid, oid_len);
	if (rc)
		return rc;
	size_t n = 0;
	rc = oid_format(NULL, 0, &n, oid, oid_len);
	if (rc)
		return rc;
	if (out_len)
		*out_len = n;
	if (dst == NULL || dst_len < n + 1)
		return SF_EBUFSIZE;
	n = 0;
	oid_format(dst, dst_len, &n, oid, oid_len);
	dst[n] = '\0';
	return 0;
}

/* Parses one decimal arc at *s (no sign, no leading zero, <= UINT64_MAX). */
static int parse_arc(const char **s, uint64_t *out)
{
	const char *c = *s;
	if (*c < '0' || *c > '9')
		return SF_EDER_VALUE;
	if (c[0] == '0' && c[1] >= '0' && c[1] <= '9')
		return SF_EDER_VALUE;
	uint64_t v = 0;
	for (; *c >= '0' && *c <= '9'; c++) {
		unsigned d = (unsigned)(*c - '0');
		if (v > (UINT64_MAX - d) / 10)
			return SF_EDER_RANGE;
		v = v * 10 + d;
	}
	*s = c;
	*out = v;
	return 0;
}

static size_t septets(uint64_t v)
{
	size_t n = 1;
	while (n < 10 && (v >> (7 * n)) != 0)
		n++;
	return n;
}

static void put_subid(uint8_t *dst, size_t *pos, uint64_t v)
{
	size_t n = septets(v);
	for (size_t i = n; i-- > 0;)
		dst[(*pos)++] = (uint8_t)(((v >> (7 * i)) & 0x7Fu) | (i ? 0x80u : 0));
}

/* Walks the dotted string; with dst NULL only validates and counts. */
static int oid_encode(const char *s, uint8_t *dst, size_t *out_len)
{
	uint64_t x, y;
	size_t n = 0;
	int rc = parse_arc(&s, &x);
	if (rc)
		return rc;
	if (x > 2 || *s != '.')
		return SF_EDER_VALUE;
	s++;
	rc = parse_arc(&s, &y);
	if (rc)
		return rc;
	if (x < 2 && y >= 40)
		return SF_EDER_VALUE;
	if (y > UINT64_MAX - 80)
		return SF_EDER_RANGE;
	uint64_t first = x * 40 + y;
	if (dst)
		put_subid(dst, &n, first);
	else
		n += septets(first);
	while (*s == '.') {
		s++;
		uint64_t a;
		rc = parse_arc(&s, &a);
		if (rc)
			return rc;
		if (dst)
			put_subid(dst, &n, a);
		else
			n += septets(a);
	}
	if (*s != '\0')
		return SF_EDER_VALUE;
	*out_len = n;
	return 0;
}

int sf_der_oid_from_str(uint8_t *dst, size_t dst_len, size_t *out_len, const char *s)
{
	if (s == NULL)
		return SF_EINVAL;
	size_t n;
	int rc = oid_encode(s, NULL, &n);
	if (rc)
		return rc;
	if (out_len)
		*out_len = n;
	if (dst == NULL || dst_len < n)
		return SF_EBUFSIZE;
	return oid_encode(s, dst, &n);
}

/* X.680 §41.4 Table 10: PrintableString is A-Z a-z 0-9 space ' ( ) + , - . / : = ? */
static int printable(uint8_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr(" '()+,-./:=?", c) != NULL;
}

/* Well-formed UTF-8 (Unicode §3.9, Table 3-7; RFC 3629): no overlong forms,
 * no surrogates D800-DFFF, nothing above U+10FFFF. */
static int check_utf8(const uint8_t *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		uint8_t c = s[i];
		size_t more;
		uint8_t lo = 0x80, hi = 0xBF;
		if (c == 0)
			return SF_EDER_CHARSET;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			more = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			more = 2;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			more = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else {
			return SF_EDER_CHARSET;
		}
		if (len - i - 1 < more)
			return SF_EDER_CHARSET;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return SF_EDER_CHARSET;
		for (size_t k = 2; k <= more; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return SF_EDER_CHARSET;
		i += more + 1;
	}
	return 0;
}

int sf_der_check_string(uint32_t charset, const uint8_t *s, size_t len)
{
	if (s == NULL && len != 0)
		return SF_EINVAL;
	switch (charset) {
	case SF_DER_UTF8_STRING:
		return check_utf8(s, len);
	case SF_DER_PRINTABLE_STRING:
		for (size_t i = 0; i < len; i++)
			if (!printable(s[i]))
				return SF_EDER_CHARSET;
		return 0;
	case SF_DER_IA5_STRING:
		for (size_t i = 0; i < len; i++)
			if (s[i] == 0 || s[i] > 0x7F)
				return SF_EDER_CHARSET;
		return 0;
	default:
		return SF_EINVAL;
	}
}

int sf_der_get_string(const uint8_t **p, const uint8_t *end, uint32_t tag, uint32_t charset,
                      const uint8_t **val, size_t *len)
{
	if (charset != SF_DER_UTF8_STRING && charset != SF_DER_PRINTABLE_STRING &&
	    charset != SF_DER_IA5_STRING)
		return SF_EINVAL;
	const uint8_t *v, *next;
	size_t l;
	int rc = get_prim(p, end, tag, &v, &l, &next);
	if (rc == 0)
		rc = sf_der_check_string(charset, v, l);
	if (rc)
		return rc;
	if (val)
		*val = v;
	if (len)
		*len = l;
	*p = next;
	return 0;
}

/* ---------------------------------------------------------------- time -- */

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const uint8_t d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : d[m - 1];
}

static int valid_time(const struct sf_der_time *t)
{
	return t->year >= 0 && t->year <= 9999 && t->mon >= 1 && t->mon <= 12 && t->day >= 1 &&
	       t->day <= days_in_month(t->year, t->mon) && t->hour >= 0 && t->hour <= 23 &&
	       t->min >= 0 && t->min <= 59 && t->sec >= 0 && t->sec <= 59 && t->nsec <= 999999999u;
}

/* n decimal digits at s, all checked. */
static int digits(const uint8_t *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return SF_EDER_TIME;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* MMDDHHMMSS at s. */
static int parse_mdhms(const uint8_t *s, struct sf_der_time *t)
{
	if (digits(s, 2, &t->mon) || digits(s + 2, 2, &t->day) || digits(s + 4, 2, &t->hour) ||
	    digits(s + 6, 2, &t->min) || digits(s + 8, 2, &t->sec))
		return SF_EDER_TIME;
	return 0;
}

/* §11.8: UTCTime ends in Z and has seconds: exactly YYMMDDHHMMSSZ. */
static int parse_utctime(const uint8_t *v, size_t l, struct sf_der_time *t)
{
	int yy;
	if (l != 13 || v[12] != 'Z' || digits(v, 2, &yy) || parse_mdhms(v + 2, t))
		return SF_EDER_TIME;
	t->year = yy >= 50 ? 1900 + yy : 2000 + yy;
	t->nsec = 0;
	return valid_time(t) ? 0 : SF_EDER_TIME;
}

/* §11.7: GeneralizedTime ends in Z, has seconds, and a fraction only when
 * non-zero, written with "." and without trailing zeros. */
static int parse_gentime(const uint8_t *v, size_t l, struct sf_der_time *t)
{
	if (l < 15 || v[l - 1] != 'Z' || digits(v, 4, &t->year) || parse_mdhms(v + 4, t))
		return SF_EDER_TIME;
	t->nsec = 0;
	if (l > 15) {
		size_t nf = l - 16; /* digits between '.' and 'Z' */
		if (v[14] != '.' || nf == 0 || v[l - 2] == '0')
			return SF_EDER_TIME;
		uint32_t ns = 0;
		for (size_t i = 0; i < nf; i++) {
			uint8_t c = v[15 + i];
			if (c < '0' || c > '9')
				return SF_EDER_TIME;
			if (i < 9)
				ns = ns * 10 + (uint32_t)(c - '0');
		}
		if (nf > 9)
			return SF_EDER_RANGE;
		for (size_t i = nf; i < 9; i++)
			ns *= 10;
		t->nsec = ns;
	}
	return valid_time(t) ? 0 : SF_EDER_TIME;
}

int sf_der_get_utctime(const uint8_t **p, const uint8_t *end, uint32_t tag, struct sf_der_time *out)
{
	const uint8_t *v, *next;
	size_t l;
	struct sf_der_time t;
	int rc = get_prim(p, end, tag, &v, &l, &next);
	if (rc == 0)
		rc = parse_utctime(v, l, &t);
	if (rc)
		return rc;
	if (out)
		*out = t;
	*p = next;
	return 0;
}

int sf_der_get_gentime(const uint8_t **p, const uint8_t *end, uint32_t tag, struct sf_der_time *out)
{
	const uint8_t *v, *next;
	size_t l;
	struct sf_der_time t;
	int rc = get_prim(p, end, tag, &v, &l, &next);
	if (rc == 0)
		rc = parse_gentime(v, l, &t);
	if (rc)
		return rc;
	if (out)
		*out = t;
	*p = next;
	return 0;
}

int sf_der_get_time(const uint8_t **p, const uint8_t *end, struct sf_der_time *out)
{
	int rc = check_cursor(p, end);
	if (rc)
		return rc;
	uint32_t tag;
	rc = sf_der_peek_tag(*p, end, &tag);
	if (rc)
		return rc;
	if (tag == SF_DER_UTC_TIME)
		return sf_der_get_utctime(p, end, tag, out);
	if (tag == SF_DER_GENERALIZED_TIME)
		return sf_der_get_gentime(p, end, tag, out);
	return SF_EDER_TAG;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), exact for every int year here. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int sf_der_time_to_unix(const struct sf_der_time *t, int64_t *out)
{
	if (t == NULL || out == NULL)
		return SF_EINVAL;
	if (!valid_time(t))
		return SF_EDER_TIME;
	*out = days_from_civil(t->year, t->mon, t->day) * 86400 + t->hour * 3600 + t->min * 60 +
	       t->sec;
	return 0;
}

int sf_der_time_from_unix(int64_t secs, struct sf_der_time *out)
{
	if (out == NULL)
		return SF_EINVAL;
	const int64_t lo = days_from_civil(0, 1, 1) * 86400;
	const int64_t hi = days_from_civil(10000, 1, 1) * 86400;
	if (secs < lo || secs >= hi)
		return SF_EDER_RANGE;
	int64_t z = secs / 86400, r = secs % 86400;
	if (r < 0) {
		r += 86400;
		z--;
	}
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);
	struct sf_der_time t = {(int)y,        (int)m, (int)d, (int)(r / 3600), (int)(r / 60 % 60),
	                        (int)(r % 60), 0};
	*out = t;
	return 0;
}

/* -------------------------------------------------------------- writer -- */

/* Records an error.  A real error replaces SF_EBUFSIZE (the caller must fix
 * it before a bigger buffer helps) and is never replaced. */
static int set_err(struct sf_der_writer *w, int rc)
{
	if (w->err == 0 || w->err == SF_EBUFSIZE)
		w->err = rc;
	return w->err;
}

/* 1 when the writer should go on (status 0 or only out of room). */
static int live(const struct sf_der_writer *w)
{
	return w != NULL && (w->err == 0 || w->err == SF_EBUFSIZE);
}

/* Claims n octets in front of what is written; returns where to fill them
 * (front to back), or NULL when they are only counted (out of room). */
static uint8_t *reserve(struct sf_der_writer *w, size_t n)
{
	if (n > SIZE_MAX - w->len) {
		set_err(w, SF_ERANGE);
		return NULL;
	}
	w->len += n;
	if (w->err == 0 && w->len > w->size)
		w->err = SF_EBUFSIZE;
	if (w->err)
		return NULL;
	return w->buf + (w->size - w->len);
}

void sf_der_writer_init(struct sf_der_writer *w, uint8_t *buf, size_t size)
{
	w->buf = buf;
	w->size = buf ? size : 0;
	w->len = 0;
	w->err = 0;
}

int sf_der_writer_finish(struct sf_der_writer *w, size_t *out_len)
{
	if (w == NULL)
		return SF_EINVAL;
	if (out_len)
		*out_len = w->len;
	if (w->err)
		return w->err;
	if (w->len)
		memmove(w->buf, w->buf + (w->size - w->len), w->len);
	return 0;
}

const uint8_t *sf_der_writer_data(const struct sf_der_writer *w, size_t *len)
{
	if (w == NULL || w->err || w->buf == NULL)
		return NULL;
	if (len)
		*len = w->len;
	return w->buf + (w->size - w->len);
}

size_t sf_der_writer_mark(const struct sf_der_writer *w)
{
	return w ? w->len : 0;
}

int sf_der_write_raw(struct sf_der_writer *w, const uint8_t *data, size_t len)
{
	if (!live(w))
		return w ? w->err : SF_EINVAL;
	if (data == NULL && len != 0)
		return set_err(w, SF_EINVAL);
	uint8_t *d = reserve(w, len);
	if (d && len)
		memcpy(d, data, len);
	return w->err;
}

int sf_der_write_header(struct sf_der_writer *w, uint32_t tag, size_t len)
{
	if (!live(w))
		return w ? w->err : SF_EINVAL;
	if (!sf_der_tag_valid(tag))
		return set_err(w, SF_EINVAL);
	if ((uint64_t)len > 0xFFFFFFFFu)
		return set_err(w, SF_EDER_LEN);
	uint8_t h[9];
	unsigned n = tag_to_octets(tag, h);
	if (len < 0x80) {
		h[n++] = (uint8_t)len;
	} else {
		unsigned k = len > 0xFFFFFF ? 4 : len > 0xFFFF ? 3 : len > 0xFF ? 2 : 1;
		h[n++] = (uint8_t)(0x80u | k);
		for (unsigned i = k; i-- > 0;)
			h[n++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	return sf_der_write_raw(w, h, n);
}

int sf_der_write_wrap(struct sf_der_writer *w, size_t mark, uint32_t tag)
{
	if (!live(w))
		return w ? w->err : SF_EINVAL;
	if (mark > w->len)
		return set_err(w, SF_EINVAL);
	return sf_der_write_header(w, tag, w->len - mark);
}

int sf_der_write_tlv(struct sf_der_writer *w, uint32_t tag, const uint8_t *val, size_t len)
{
	if (!live(w))
		return w ? w->err : SF_EINVAL;
	if (!sf_der_tag_valid(tag))
		return set_err(w, SF_EINVAL);
	sf_der_write_raw(w, val, len);
	return sf_der_write_header(w, tag, len);
}

/* Strips redundant leading 00/FF octets of a two's complement number. */
static size_t int_minimal_skip(const uint8_t *v, size_t len)
{
	size_t i = 0;
	while (len - i > 1 &&
	       ((v[i] == 0x00 && !(v[i + 1] & 0x80)) || (v[i] == 0xFF && (v[i + 1] & 0x80))))
		i++;
	return i;
}

int sf_der_write_int_raw(struct sf_der_writer *w, uint32_t tag, const uint8_t *v, size_t len)
{
	if (!live(w))
		return w ? w->err : SF_EINVAL;
	if (v == NULL || len == 0)
		return set_err(w, SF_EINVAL);
	size_t i = int_minimal_skip(v, len);
	return sf_der_write_tlv(w, tag, v + i, len - i);
}

int sf_der_write_int64(struct sf_der_writer *w, uint32_t tag, int64_t v)
{
	uint8_t b[8];
	uint64_t u = (uint64_t)v; /* well defined: modulo 2^64 */
	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)u;
		u >>= 8;
	}
	return sf_der_write_int_raw(w, tag, b, sizeof(b));
}

int sf_der_write_uint64(struct sf_der_writer *w, uint32_t tag, uint64_t v)
{
	uint8_t b[9];
	b[0] = 0;
	for (int i = 8; i >= 1; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
	return sf_der_write_int_raw(w, tag, b, sizeof(b));
}

int sf_der_write_uint_raw(struct sf_der_writer *w, uint32_t tag, const uint8_t *v, size_t len)
{
	if (!live(w))
		return w ? w->err : SF_EINVAL;
	if (v == NULL && len != 0)
		return set_err(w, SF_EINVAL);
	while (len > 0 && v[0] == 0) {
		v++;
		len--;
	}
	static const uint8_t zero = 0;
	if (len == 0)
		return sf_der_write_tlv(w, tag, &zero, 1);
	if (!(v[0] & 0x80))
		return sf_der_write_tlv(w, tag, v, len);
	if (!sf_der_tag_valid(tag))
		return set_err(w, SF_EINVAL);
	sf_der_write_raw(w, v, len);
	sf_der_write_raw(w, &zero, 1);
	return sf_der_write_header(w, tag, len + 1);
}

int sf_der_write_bool(struct sf_der_writer *w, uint32_t tag, int v)
{
	uint8_t b = v ? 0xFF : 0x00;
	return sf_der_write_tlv(w, tag, &b, 1);
}

int sf_der_write_null(struct sf_der_writer *w, uint32_t tag)
{
	return sf_der_write_header(w, tag, 0);
}

int sf_der_write_octets(struct sf_der_writer *w, uint32_t tag, const uint8_t *v, size_t len)
{
	return sf_der_write_tlv(w, tag, v, len);
}

int sf_der_write_bitstring(struct sf_der_writer *w, uint32_t tag, const uint8_t *bits,
                           size_t nbytes, unsigned unused)
{
	if (!live(w))
		return w ? w->err : SF_EINVAL;
	if (unused > 7 || (nbytes == 0 && unused != 0) || (bits == NULL && nbytes != 0) ||
	    !sf_der_tag_valid(tag) || nbytes == SIZE_MAX)
		return set_err(w, SF_EINVAL);
	uint8_t *d = reserve(w, nbytes + 1);
	if (d) {
		d[0] = (uint8_t)unused;
		if (nbytes) {
			memcpy(d + 1, bits, nbytes);
			d[nbytes] &= (uint8_t)(0xFFu << unused);
		}
	}
	return sf_der_write_header(w, tag, nbytes + 1);
}

int sf_der_write_named_bits(struct sf_der_writer *w, uint32_t tag, uint32_t flags)
{
	uint8_t b[4] = {0};
	size_t nbits = 0;
	for (size_t i = 0; i < 32; i++) {
		if (flags & ((uint32_t)1 << i)) {
			b[i / 8] |= (uint8_t)(0x80u >> (i % 8));
			nbits = i + 1;
		}
	}
	size_t nbytes = (nbits + 7) / 8;
	return sf_der_write_bitstring(w, tag, b, nbytes, (unsigned)(nbytes * 8 - nbits));
}

int sf_der_write_oid(struct sf_der_writer *w, uint32_t tag, const uint8_t *oid, size_t len)
{
	if (!live(w))
		return w ? w->err : SF_EINVAL;
	if (oid == NULL && len != 0)
		return set_err(w, SF_EINVAL);
	int rc = check_oid(oid, len);
	if (rc)
		return set_err(w, rc);
	return sf_der_write_tlv(w, tag, oid, len);
}

int sf_der_write_oid_str(struct sf_der_writer *w, uint32_t tag, const char *dotted)
{
	if (!live(w))
		return w ? w->err : SF_EINVAL;
	if (dotted == NULL || !sf_der_tag_valid(tag))
		return set_err(w, SF_EINVAL);
	size_t n;
	int rc = oid_encode(dotted, NULL, &n);
	if (rc)
		return set_err(w, rc);
	uint8_t *d = reserve(w, n);
	if (d)
		oid_encode(dotted, d, &n);
	return sf_der_write_header(w, tag, n);
}

int sf_der_write_string(struct sf_der_writer *w, uint32_t tag, uint32_t charset, const char *s,
                        size_t len)
{
	if (!live(w))
		return w ? w->err : SF_EINVAL;
	int rc = sf_der_check_string(charset, (const uint8_t *)s, len);
	if (rc)
		return set_err(w, rc);
	return sf_der_write_tlv(w, tag, (const uint8_t *)s, len);
}

static void put2(uint8_t *d, int v)
{
	d[0] = (uint8_t)('0' + v / 10);
	d[1] = (uint8_t)('0' + v % 10);
}

static void put_mdhms(uint8_t *d, const struct sf_der_time *t)
{
	put2(d, t->mon);
	put2(d + 2, t->day);
	put2(d + 4, t->hour);
	put2(d + 6, t->min);
	put2(d + 8, t->sec);
}

int sf_der_write_utctime(struct sf_der_writer *w, uint32_t tag, const struct sf_der_time *t)
{
	if (!live(w))
		return w ? w->err : SF_EINVAL;
	if (t == NULL)
		return set_err(w, SF_EINVAL);
	if (!valid_time(t))
		return set_err(w, SF_EDER_TIME);
	if (t->year < 1950 || t->year > 2049 || t->nsec != 0)
		return set_err(w, SF_EDER_RANGE);
	uint8_t s[13];
	put2(s, t->year % 100);
	put_mdhms(s + 2, t);
	s[12] = 'Z';
	return sf_der_write_tlv(w, tag, s, sizeof(s));
}

int sf_der_write_gentime(struct sf_der_writer *w, uint32_t tag, const struct sf_der_time *t)
{
	if (!live(w))
		return w ? w->err : SF_EINVAL;
	if (t == NULL)
		return set_err(w, SF_EINVAL);
	if (!valid_time(t))
		return set_err(w, SF_EDER_TIME);
	uint8_t s[25];
	size_t n = 14;
	put2(s, t->year / 100);
	put2(s + 2, t->year % 100);
	put_mdhms(s + 4, t);
	if (t->nsec) {
		uint32_t f = t->nsec;
		unsigned nd = 9;
		while (f % 10 == 0) { /* §11.7.3: no trailing zeros */
			f /= 10;
			nd--;
		}
		s[n++] = '.';
		for (unsigned i = nd; i-- > 0;) {
			s[n + i] = (uint8_t)('0' + f % 10);
			f /= 10;
		}
		n += nd;
	}
	s[n++] = 'Z';
	return sf_der_write_tlv(w, tag, s, n);
}
