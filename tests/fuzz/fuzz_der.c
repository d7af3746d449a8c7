/* libFuzzer target for the DER reader (src/der/der.c).
 *
 * Walks the input as a tree of elements and tries every typed reader on
 * every primitive element.  Besides "no crash, no over-read" (ASan) it checks
 * the properties a strict DER reader owes its callers:
 *   - a reader that fails leaves the cursor where it was;
 *   - DER is canonical: whatever a reader accepts, the writer re-encodes to
 *     exactly the same octets (header and content), so no two encodings of
 *     one value are both accepted;
 *   - OID text and time conversions round-trip.
 * Build: cmake -DSF_FUZZ=ON -DCMAKE_C_COMPILER=clang; run:
 *   fuzz_der -max_total_time=60 tests/fuzz/corpus_der */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simfleet/der.h"
#include "simfleet/err.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static uint8_t wbuf[1 << 16];

/* Re-encodes with fn's writes and compares with the raw element. */
#define SAME_AS_RAW(raw, raw_len, writes)                                                          \
	do {                                                                                       \
		struct sf_der_writer w_;                                                           \
		size_t n_ = 0;                                                                     \
		sf_der_writer_init(&w_, wbuf, sizeof(wbuf));                                       \
		struct sf_der_writer *w = &w_;                                                     \
		writes;                                                                            \
		int rc_ = sf_der_writer_finish(&w_, &n_);                                          \
		if (rc_ == SF_EBUFSIZE)                                                            \
			break;                                                                     \
		CHECK(rc_ == 0);                                                                   \
		CHECK(n_ == (raw_len) && memcmp(wbuf, (raw), n_) == 0);                            \
	} while (0)

/* A reader either consumes the whole element or nothing, and fails only
 * with a DER code (SF_EINVAL is impossible here: the tag came from the
 * reader itself). */
static int ok(int rc, const uint8_t *p, const uint8_t *start, const uint8_t *end)
{
	CHECK(rc == 0 ? p == end : p == start);
	CHECK(rc == 0 || (rc <= -200 && rc > -300));
	return rc == 0;
}

static void try_primitive(const struct sf_der_tlv *t)
{
	const uint8_t *end = t->raw + t->raw_len, *p, *v;
	size_t len;
	uint32_t tag = t->tag;
	int rc;

#define RUN(call) (p = t->raw, rc = (call), ok(rc, p, t->raw, end))

	int64_t i64;
	if (RUN(sf_der_get_int64(&p, end, tag, &i64)))
		SAME_AS_RAW(t->raw, t->raw_len, sf_der_write_int64(w, tag, i64));
	uint64_t u64;
	if (RUN(sf_der_get_uint64(&p, end, tag, &u64)))
		SAME_AS_RAW(t->raw, t->raw_len, sf_der_write_uint64(w, tag, u64));
	if (RUN(sf_der_get_int_raw(&p, end, tag, &v, &len)))
		SAME_AS_RAW(t->raw, t->raw_len, sf_der_write_int_raw(w, tag, v, len));
	if (RUN(sf_der_get_uint_raw(&p, end, tag, &v, &len)))
		SAME_AS_RAW(t->raw, t->raw_len, sf_der_write_uint_raw(w, tag, v, len));
	int b;
	if (RUN(sf_der_get_bool(&p, end, tag, &b)))
		SAME_AS_RAW(t->raw, t->raw_len, sf_der_write_bool(w, tag, b));
	if (RUN(sf_der_get_null(&p, end, tag)))
		SAME_AS_RAW(t->raw, t->raw_len, sf_der_write_null(w, tag));
	if (RUN(sf_der_get_octets(&p, end, tag, &v, &len)))
		SAME_AS_RAW(t->raw, t->raw_len, sf_der_write_octets(w, tag, v, len));
	unsigned unused;
	if (RUN(sf_der_get_bitstring(&p, end, tag, &v, &len, &unused)))
		SAME_AS_RAW(t->raw, t->raw_len, sf_der_write_bitstring(w, tag, v, len, unused));
	uint32_t flags;
	if (RUN(sf_der_get_named_bits(&p, end, tag, &flags)))
		SAME_AS_RAW(t->raw, t->raw_len, sf_der_write_named_bits(w, tag, flags));
	if (RUN(sf_der_get_oid(&p, end, tag, &v, &len))) {
		SAME_AS_RAW(t->raw, t->raw_len, sf_der_write_oid(w, tag, v, len));
		char s[1024];
		size_t sl = 0, ol = 0;
		uint8_t o[512];
		rc = sf_der_oid_to_str(s, sizeof(s), &sl, v, len);
		CHECK(rc == 0 || rc == SF_EDER_RANGE || rc == SF_EBUFSIZE);
		if (rc == 0) {
			CHECK(strlen(s) == sl);
			CHECK(sf_der_oid_from_str(o, sizeof(o), &ol, s) == 0);
			CHECK(sf_der_oid_eq(o, ol, v, len));
		}
	}
	static const uint32_t cs[] = {SF_DER_UTF8_STRING, SF_DER_PRINTABLE_STRING,
	                              SF_DER_IA5_STRING};
	for (size_t i = 0; i < 3; i++)
		if (RUN(sf_der_get_string(&p, end, tag, cs[i], &v, &len)))
			SAME_AS_RAW(t->raw, t->raw_len,
			            sf_der_write_string(w, tag, cs[i], (const char *)v, len));
	struct sf_der_time tm, back;
	int64_t u;
	if (RUN(sf_der_get_utctime(&p, end, tag, &tm))) {
		SAME_AS_RAW(t->raw, t->raw_len, sf_der_write_utctime(w, tag, &tm));
		CHECK(sf_der_time_to_unix(&tm, &u) == 0);
		CHECK(sf_der_time_from_unix(u, &back) == 0);
		CHECK(back.year == tm.year && back.mon == tm.mon && back.day == tm.day &&
		      back.hour == tm.hour && back.min == tm.min && back.sec == tm.sec);
	}
	if (RUN(sf_der_get_gentime(&p, end, tag, &tm))) {
		SAME_AS_RAW(t->raw, t->raw_len, sf_der_write_gentime(w, tag, &tm));
		CHECK(sf_der_time_to_unix(&tm, &u) == 0);
		CHECK(sf_der_time_from_unix(u, &back) == 0);
		CHECK(back.year == tm.year && back.day == tm.day && back.sec == tm.sec);
	}
	if (tag == SF_DER_UTC_TIME || tag == SF_DER_GENERALIZED_TIME)
		(void)RUN(sf_der_get_time(&p, end, &tm));
#undef RUN
}

static void walk(const uint8_t *val, size_t len, int depth)
{
	struct sf_der_iter it;
	struct sf_der_tlv t;
	int rc;
	if (depth > 32)
		return;
	sf_der_iter_init(&it, val, len);
	while ((rc = sf_der_iter_next(&it, &t)) > 0) {
		/* The header the reader accepted is the one the writer makes. */
		SAME_AS_RAW(t.raw, t.raw_len - t.len, sf_der_write_header(w, t.tag, t.len));
		CHECK(sf_der_tag_valid(t.tag));
		CHECK(sf_der_tag_make(sf_der_tag_class(t.tag), sf_der_tag_constructed(t.tag),
		                      sf_der_tag_number(t.tag)) == t.tag);
		if (sf_der_tag_constructed(t.tag))
			walk(t.val, t.len, depth + 1);
		else
			try_primitive(&t);
	}
	CHECK(rc == 0 || (rc <= -200 && rc > -300));
	if (rc < 0) {
		/* The failing element fails the same way through every entry
		 * point, and none of them moves the cursor. */
		const uint8_t *p = it.p;
		uint32_t tag;
		CHECK(sf_der_get_tlv(&p, it.end, &tag, NULL, NULL) == rc && p == it.p);
		CHECK(sf_der_skip(&p, it.end) == rc && p == it.p);
		if (sf_der_peek_tag(p, it.end, &tag) == 0) {
			const uint8_t *v;
			size_t l;
			int present = -1;
			CHECK(sf_der_expect(&p, it.end, tag, &v, &l) == rc && p == it.p);
			CHECK(sf_der_get_optional(&p, it.end, tag, &v, &l, &present) == rc);
			CHECK(p == it.p);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	walk(data, size, 0);
	return 0;
}
