/*
 * Strict DER reader and writer (ITU-T X.690 §8 BER, restricted by §10 and §11
 * to DER), the base of every GSMA message codec: ES10 over STORE DATA, the
 * base64 DER fields of ES9+, SAIP PEDefinitions, certificate TBS parsing.
 *
 * No heap allocation, no host crypto: it is linked into the eUICC and builds
 * for a microcontroller.  See docs/der.md for the contract and examples.
 *
 * Tags are uint32_t holding the raw identifier octets as they appear on the
 * wire, big-endian: 0x02 (INTEGER), 0x30 (SEQUENCE), 0x80 ([0] primitive),
 * 0xBF22 ([34] constructed, SGP.22 ProfileInfoListResponse's outer tag),
 * 0x5F20 ([APPLICATION 32]), 0x7F21 ([APPLICATION 33] constructed).  This is
 * how GSMA specifications, lpac and pySim write them.  Up to 4 octets (tag
 * numbers up to 2^21 - 1) are supported.
 *
 * Reader contract (Mbed TLS asn1parse style): a reader takes a cursor and an
 * end, (const uint8_t **p, const uint8_t *end, ...), and on success moves *p
 * past what it consumed and fills its outputs.  On failure it returns a
 * negative SF_E* code and leaves *p and every output untouched.  Returned
 * value pointers point into the caller's input; nothing is copied.
 *
 * The typed readers take the tag they expect, so the same function reads a
 * universal INTEGER (SF_DER_INTEGER) or an IMPLICIT one ([0] = 0x80, as
 * ASN.1 modules with AUTOMATIC TAGS produce).  They return SF_EINVAL for a
 * constructed tag, since those types are primitive in DER.
 *
 * Strictness (what BER allows and DER, hence this reader, does not):
 *   - lengths: definite only (80 rejected), at most 4 length octets, minimal
 *     (81 05 and 82 00 7F rejected), never past end                 §8.1.3, §10.1
 *   - tags: high-tag-number form only for numbers >= 31, no leading 80 in
 *     the subsequent octets; tag number 0 (end-of-contents) rejected  §8.1.2
 *   - INTEGER minimal (no redundant leading 00/FF)                   §8.3.2
 *   - BOOLEAN 00 or FF                                               §11.1
 *   - BIT STRING: unused bits 0..7, 0 if empty, padding bits zero    §11.2
 *   - strings primitive (a constructed tag never matches a primitive one)
 *                                                                    §10.2
 *   - UTCTime YYMMDDHHMMSSZ, GeneralizedTime YYYYMMDDHHMMSS[.f]Z with no
 *     trailing zeros in the fraction                                 §11.7, §11.8
 * Rules that need the schema (SET OF ordering, DEFAULT values not encoded)
 * are the codec's business, not this module's.
 */
#ifndef SIMFLEET_DER_H
#define SIMFLEET_DER_H

#include <stddef.h>
#include <stdint.h>

/* Universal tags (X.680 §8.4), as full identifier octets. */
#define SF_DER_BOOLEAN 0x01u
#define SF_DER_INTEGER 0x02u
#define SF_DER_BIT_STRING 0x03u
#define SF_DER_OCTET_STRING 0x04u
#define SF_DER_NULL 0x05u
#define SF_DER_OID 0x06u
#define SF_DER_ENUMERATED 0x0Au
#define SF_DER_UTF8_STRING 0x0Cu
#define SF_DER_PRINTABLE_STRING 0x13u
#define SF_DER_IA5_STRING 0x16u
#define SF_DER_UTC_TIME 0x17u
#define SF_DER_GENERALIZED_TIME 0x18u
#define SF_DER_SEQUENCE 0x30u /* constructed */
#define SF_DER_SET 0x31u      /* constructed */

/* Class bits of the first identifier octet (X.690 §8.1.2.2). */
#define SF_DER_CLASS_UNIVERSAL 0x00u
#define SF_DER_CLASS_APPLICATION 0x40u
#define SF_DER_CLASS_CONTEXT 0x80u
#define SF_DER_CLASS_PRIVATE 0xC0u
#define SF_DER_CONSTRUCTED 0x20u

/* Context-specific tags [n] for n <= 30 (one octet).  Higher numbers are
 * written as their raw octets, as the specifications do: 0xBF2D is [45]
 * constructed. */
#define SF_DER_CTX(n) (0x80u | (uint32_t)(n))
#define SF_DER_CTX_C(n) (0xA0u | (uint32_t)(n))

/* Largest tag number a 4-octet tag can carry. */
#define SF_DER_TAG_NUMBER_MAX 0x1FFFFFu

/* ---- tags ---- */

/* Class bits of a tag (SF_DER_CLASS_*). */
unsigned sf_der_tag_class(uint32_t tag);
/* 1 if the tag is constructed, 0 if primitive. */
int sf_der_tag_constructed(uint32_t tag);
/* The tag number: 0xBF22 -> 34, 0x5F20 -> 32, 0x30 -> 16. */
uint32_t sf_der_tag_number(uint32_t tag);
/* Builds the raw tag for class cls (SF_DER_CLASS_*), constructed or not, and
 * number.  Returns 0 (never a valid tag) if number > SF_DER_TAG_NUMBER_MAX or
 * cls is not a class, or for universal number 0. */
uint32_t sf_der_tag_make(unsigned cls, int constructed, uint32_t number);
/* 1 if tag is the minimal encoding of some tag (what the reader accepts and
 * the writer writes), 0 otherwise. */
int sf_der_tag_valid(uint32_t tag);

/* ---- generic reader ---- */

/* Reads one element: its tag, and its content as (*val, *len) pointing into
 * the input.  Returns 0, SF_EDER_TRUNC (input ends inside the element, or
 * *p == end), SF_EDER_TAGENC, SF_EDER_LEN; SF_EINVAL for NULL arguments.
 * tag, val and len may each be NULL when not wanted. */
int sf_der_get_tlv(const uint8_t **p, const uint8_t *end, uint32_t *tag, const uint8_t **val,
                   size_t *len);

/* Like sf_der_get_tlv, but the element must have the given tag: SF_EDER_TAG
 * otherwise (and SF_EDER_TRUNC when *p == end: the element is missing). */
int sf_der_expect(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **val,
                  size_t *len);

/* Reads the tag of the next element without consuming anything.  Returns 0,
 * SF_EDER_TRUNC (nothing left) or SF_EDER_TAGENC. */
int sf_der_peek_tag(const uint8_t *p, const uint8_t *end, uint32_t *tag);

/* An OPTIONAL element: if the next element has the given tag, reads it as
 * sf_der_expect does and sets *present = 1; if the input is exhausted or the
 * next tag differs, consumes nothing, sets *present = 0 and returns 0.
 * Errors are those of sf_der_expect except SF_EDER_TAG. */
int sf_der_get_optional(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **val,
                        size_t *len, int *present);

/* Skips one element (after checking its header).  Errors of sf_der_get_tlv. */
int sf_der_skip(const uint8_t **p, const uint8_t *end);

/* Returns 0 if p == end, SF_EDER_TRAIL if there is more input: call it after
 * the last element of a SEQUENCE or a message. */
int sf_der_check_end(const uint8_t *p, const uint8_t *end);

/* One element as read by the iterator. raw/raw_len cover the whole encoding
 * (tag, length and content), e.g. the TBS bytes a signature covers. */
struct sf_der_tlv {
	uint32_t tag;
	const uint8_t *val;
	size_t len;
	const uint8_t *raw;
	size_t raw_len;
};

/* Iterator over the children of a constructed value (the content bytes
 * val/len of a SEQUENCE, SET or constructed context tag). */
struct sf_der_iter {
	const uint8_t *p;
	const uint8_t *end;
};
void sf_der_iter_init(struct sf_der_iter *it, const uint8_t *val, size_t len);
/* Returns 1 and fills *out with the next child, 0 when there are no more,
 * or a negative error code (of sf_der_get_tlv) on malformed content; after
 * an error the iterator stays on the bad child.  Typical use:
 *     while ((rc = sf_der_iter_next(&it, &tlv)) > 0) { ... }
 *     if (rc < 0) goto out; */
int sf_der_iter_next(struct sf_der_iter *it, struct sf_der_tlv *out);

/* ---- typed readers (tag: the universal tag or an IMPLICIT one) ---- */

/* INTEGER (or ENUMERATED) into an int64_t.  SF_EDER_INTENC for a non-minimal
 * or empty encoding, SF_EDER_RANGE if it does not fit. */
int sf_der_get_int64(const uint8_t **p, const uint8_t *end, uint32_t tag, int64_t *out);
/* INTEGER into a uint64_t; SF_EDER_RANGE if negative or above UINT64_MAX. */
int sf_der_get_uint64(const uint8_t **p, const uint8_t *end, uint32_t tag, uint64_t *out);
/* INTEGER of any size: its minimal two's complement content octets. */
int sf_der_get_int_raw(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **val,
                       size_t *len);
/* Non-negative INTEGER of any size as an unsigned big-endian magnitude, with
 * the sign octet 00 removed (zero is one octet 00): serial numbers, ECDSA r
 * and s.  SF_EDER_RANGE if negative. */
int sf_der_get_uint_raw(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **val,
                        size_t *len);

/* BOOLEAN: content 00 (-> 0) or FF (-> 1), SF_EDER_VALUE otherwise. */
int sf_der_get_bool(const uint8_t **p, const uint8_t *end, uint32_t tag, int *out);

/* NULL: empty content, SF_EDER_VALUE otherwise. */
int sf_der_get_null(const uint8_t **p, const uint8_t *end, uint32_t tag);

/* OCTET STRING (primitive): its content. */
int sf_der_get_octets(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **val,
                      size_t *len);

/* BIT STRING: *bits and *nbytes are the octets after the unused-bits octet, and
 * *unused (0..7) the number of unused bits in the last one.  SF_EDER_VALUE if
 * the content is empty, unused > 7, unused != 0 with no octets, or a padding
 * bit is 1 (X.690 §11.2.1). */
int sf_der_get_bitstring(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **bits,
                         size_t *nbytes, unsigned *unused);

/* BIT STRING with named bits (SGP.22 NotificationEvent, PprIds, UICCCapability
 * ...) into flags: ASN.1 bit n (the leading bit is bit 0) becomes (1u << n).
 * Also enforces X.690 §11.2.2: trailing zero bits are not encoded, so the last
 * bit must be 1 (SF_EDER_VALUE).  SF_EDER_RANGE for a bit number above 31. */
int sf_der_get_named_bits(const uint8_t **p, const uint8_t *end, uint32_t tag, uint32_t *flags);

/* OBJECT IDENTIFIER: its content octets, checked (non-empty, every
 * subidentifier minimal, last octet complete): SF_EDER_VALUE otherwise. */
int sf_der_get_oid(const uint8_t **p, const uint8_t *end, uint32_t tag, const uint8_t **val,
                   size_t *len);
/* 1 if the OID content octets a/alen equal b/blen, 0 otherwise. */
int sf_der_oid_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* Formats OID content octets as a NUL-terminated dotted string ("1.2.840.10045.2.1")
 * into dst.  *out_len receives the string length without the NUL, also on
 * SF_EBUFSIZE (the buffer needs *out_len + 1).  SF_EDER_VALUE for malformed
 * content, SF_EDER_RANGE for an arc above UINT64_MAX. out_len may be NULL. */
int sf_der_oid_to_str(char *dst, size_t dst_len, size_t *out_len, const uint8_t *oid,
                      size_t oid_len);
/* Encodes a dotted OID ("2.23.146.1.2.1.0") as content octets into dst.
 * At least two arcs, the first 0..2, the second < 40 below 2, no leading
 * zeros, arcs up to UINT64_MAX.  *out_len gets the encoded length, also on
 * SF_EBUFSIZE.  SF_EDER_VALUE for a malformed string. */
int sf_der_oid_from_str(uint8_t *dst, size_t dst_len, size_t *out_len, const char *s);

/* String types: charset is SF_DER_UTF8_STRING, SF_DER_PRINTABLE_STRING or
 * SF_DER_IA5_STRING and tag the tag actually used (the same, or an IMPLICIT
 * one).  The content is checked for the charset (UTF-8: well formed, no
 * overlong forms, surrogates or code points above U+10FFFF); NUL is rejected
 * in every type so a value can never be truncated by C string handling.
 * SF_EDER_CHARSET on a bad character, SF_EINVAL for an unknown charset.
 * *val is not NUL-terminated. */
int sf_der_get_string(const uint8_t **p, const uint8_t *end, uint32_t tag, uint32_t charset,
                      const uint8_t **val, size_t *len);
/* The charset check alone: 0 or SF_EDER_CHARSET (SF_EINVAL unknown charset). */
int sf_der_check_string(uint32_t charset, const uint8_t *s, size_t len);

/* A calendar time, UTC. */
struct sf_der_time {
	int year;      /* 0..9999 (UTCTime: 1950..2049) */
	int mon;       /* 1..12 */
	int day;       /* 1..31, valid for the month */
	int hour;      /* 0..23 */
	int min;       /* 0..59 */
	int sec;       /* 0..59 (no leap seconds) */
	uint32_t nsec; /* GeneralizedTime fraction, 0..999999999 */
};
/* UTCTime: exactly YYMMDDHHMMSSZ; YY >= 50 is 19YY, otherwise 20YY (RFC 5280
 * §4.1.2.5.1; X.680 leaves the century open).  SF_EDER_TIME otherwise. */
int sf_der_get_utctime(const uint8_t **p, const uint8_t *end, uint32_t tag,
                       struct sf_der_time *out);
/* GeneralizedTime: YYYYMMDDHHMMSSZ or YYYYMMDDHHMMSS.fZ where f is 1..9
 * digits not ending in 0 (X.690 §11.7).  More than 9 digits: SF_EDER_RANGE. */
int sf_der_get_gentime(const uint8_t **p, const uint8_t *end, uint32_t tag,
                       struct sf_der_time *out);
/* X.509 Time ::= CHOICE { utcTime, generalTime }: either universal tag. */
int sf_der_get_time(const uint8_t **p, const uint8_t *end, struct sf_der_time *out);
/* Seconds since 1970-01-01T00:00:00Z (negative before), fraction dropped.
 * Proleptic Gregorian, no time_t or timegm (32-bit time_t on MCUs).  Returns
 * 0, or SF_EDER_TIME if *t is not a valid time. */
int sf_der_time_to_unix(const struct sf_der_time *t, int64_t *out);
/* The inverse, for years 0..9999; SF_EDER_RANGE outside them. */
int sf_der_time_from_unix(int64_t secs, struct sf_der_time *out);

/* ---- writer ----
 *
 * A backward writer (Mbed TLS asn1write style): it fills the caller's buffer
 * from its end towards its start, so an element's content is written first
 * and its length is known when its header is written, with no second pass.
 * Write the children of a SEQUENCE in reverse order, then wrap them:
 *
 *     struct sf_der_writer w;
 *     sf_der_writer_init(&w, buf, sizeof(buf));
 *     size_t m = sf_der_writer_mark(&w);
 *     sf_der_write_octets(&w, 0x80, challenge, 16);   (last child first)
 *     sf_der_write_wrap(&w, m, 0xBF2E);                (BF2E 12 80 10 ...)
 *     rc = sf_der_writer_finish(&w, &n);               (buf[0..n) = encoding)
 *
 * Errors are sticky: every write function returns the writer's status (0 or
 * the first error) and does nothing once it is non-zero, so a codec can make
 * all its calls and check once.  Running out of room is the exception: the
 * writer records SF_EBUFSIZE and keeps counting, so finish() reports the size
 * the buffer needs.  init() with a NULL buffer and 0 size is a pure sizing
 * pass.  Nothing is written outside buf[0..size). */
struct sf_der_writer {
	uint8_t *buf;
	size_t size;
	size_t len; /* octets written (or that would have been), at buf+size-len */
	int err;
};
void sf_der_writer_init(struct sf_der_writer *w, uint8_t *buf, size_t size);
/* Moves the encoding to the start of the buffer and sets *out_len to its
 * length; on SF_EBUFSIZE *out_len is the size needed.  Returns the status. */
int sf_der_writer_finish(struct sf_der_writer *w, size_t *out_len);
/* The encoding where it lies (at the end of the buffer), without moving it;
 * NULL unless the status is 0. */
const uint8_t *sf_der_writer_data(const struct sf_der_writer *w, size_t *len);
/* The current position, for sf_der_write_wrap. */
size_t sf_der_writer_mark(const struct sf_der_writer *w);

/* Raw octets, prepended as they are (an element encoded elsewhere). */
int sf_der_write_raw(struct sf_der_writer *w, const uint8_t *data, size_t len);
/* A tag and a length header. SF_EINVAL for an invalid tag, SF_EDER_LEN for a
 * length above 0xFFFFFFFF. */
int sf_der_write_header(struct sf_der_writer *w, uint32_t tag, size_t len);
/* Wraps everything written since mark into one element with tag. */
int sf_der_write_wrap(struct sf_der_writer *w, size_t mark, uint32_t tag);
/* A whole primitive element tag+len+content. */
int sf_der_write_tlv(struct sf_der_writer *w, uint32_t tag, const uint8_t *val, size_t len);

int sf_der_write_int64(struct sf_der_writer *w, uint32_t tag, int64_t v);
int sf_der_write_uint64(struct sf_der_writer *w, uint32_t tag, uint64_t v);
/* INTEGER from two's complement big-endian octets, minimised (len >= 1). */
int sf_der_write_int_raw(struct sf_der_writer *w, uint32_t tag, const uint8_t *v, size_t len);
/* Non-negative INTEGER from an unsigned big-endian magnitude (leading zeros
 * dropped, a 00 sign octet added when needed; len 0 means zero). */
int sf_der_write_uint_raw(struct sf_der_writer *w, uint32_t tag, const uint8_t *v, size_t len);
int sf_der_write_bool(struct sf_der_writer *w, uint32_t tag, int v);
int sf_der_write_null(struct sf_der_writer *w, uint32_t tag);
int sf_der_write_octets(struct sf_der_writer *w, uint32_t tag, const uint8_t *v, size_t len);
/* BIT STRING from octets and the count of unused bits (0..7) in the last,
 * whose padding bits are cleared as DER requires. SF_EINVAL for unused > 7
 * or unused != 0 with no octets. */
int sf_der_write_bitstring(struct sf_der_writer *w, uint32_t tag, const uint8_t *bits,
                           size_t nbytes, unsigned unused);
/* BIT STRING with named bits from flags (bit n = 1u << n), trailing zero bits
 * removed (X.690 §11.2.2). */
int sf_der_write_named_bits(struct sf_der_writer *w, uint32_t tag, uint32_t flags);
/* OBJECT IDENTIFIER from content octets (checked: SF_EDER_VALUE) or from a
 * dotted string (SF_EDER_VALUE if malformed). */
int sf_der_write_oid(struct sf_der_writer *w, uint32_t tag, const uint8_t *oid, size_t len);
int sf_der_write_oid_str(struct sf_der_writer *w, uint32_t tag, const char *dotted);
/* A string of the given charset (as sf_der_get_string), checked first:
 * SF_EDER_CHARSET. */
int sf_der_write_string(struct sf_der_writer *w, uint32_t tag, uint32_t charset, const char *s,
                        size_t len);
/* UTCTime (years 1950..2049, fraction must be 0: SF_EDER_RANGE) and
 * GeneralizedTime (fraction written without trailing zeros). SF_EDER_TIME
 * for an invalid time. */
int sf_der_write_utctime(struct sf_der_writer *w, uint32_t tag, const struct sf_der_time *t);
int sf_der_write_gentime(struct sf_der_writer *w, uint32_t tag, const struct sf_der_time *t);

#endif
