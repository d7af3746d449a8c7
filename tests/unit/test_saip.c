/*
 * SAIP profile packages (PEDefinitions 3.3.1): the GSMA TS.48 v7 test
 * profiles parse completely and match their value-notation twins; built
 * packages round-trip for every algorithm; every truncated prefix is
 * rejected; unknown elements and bad AKA keys are rejected with the element
 * named; the ICCID Luhn check.
 *
 * The TS.48 files are read from $SF_SHARED/gsma/ts48-v7 (never copied into
 * the project); the test skips when they are absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helper_tsv.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/saip.h"

static const char *const ts48[] = {
	"TS48_V7.0_eSIM_GTP_SAIP2.3_BERTLV_SUCI",
	"TS48_V7.0_eSIM_GTP_SAIP2.3_BERTLV_SUCI_NoRAMRFM",
	"TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV",
	"TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV_NoRAMRFM",
};

/* Parses a whole package; returns the element count or the error. */
static int parse_all(const uint8_t *pkg, size_t len, struct sf_saip_error *e)
{
	struct sf_saip_reader r;
	struct sf_saip_pe pe;
	int rc, n = 0;
	sf_saip_reader_init(&r, pkg, len);
	while ((rc = sf_saip_next(&r, &pe, e)) > 0)
		n++;
	return rc < 0 ? rc : n;
}

struct walk_count {
	unsigned files, fcps, contents;
	char imsi_hex[64];
};

static int count_cb(void *user, const struct sf_saip_file_item *it)
{
	struct walk_count *c = user;
	switch (it->op) {
	case SF_SAIP_FILE_BEGIN:
		c->files++;
		break;
	case SF_SAIP_FILE_FCP:
		c->fcps++;
		break;
	case SF_SAIP_FILE_CONTENT:
		c->contents++;
		if (it->file && strcmp(it->file, "ef-imsi") == 0 && it->len <= 20)
			for (size_t i = 0; i < it->len; i++)
				sprintf(c->imsi_hex + 2 * i, "%02X", it->data[i]);
		break;
	default:
		break;
	}
	return 0;
}

static const uint8_t ts48_k[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
				   0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};

static void test_ts48(void **state)
{
	(void)state;
	const char *shared = getenv("SF_SHARED");
	char path[1024];
	if (!shared) {
		print_message("SF_SHARED is not set: skipping the TS.48 profiles\n");
		skip();
	}
	for (size_t f = 0; f < sizeof(ts48) / sizeof(ts48[0]); f++) {
		size_t dlen = 0, tlen = 0;
		snprintf(path, sizeof(path), "%s/gsma/ts48-v7/%s.der", shared, ts48[f]);
		uint8_t *der = sf_test_read_file(path, &dlen);
		if (!der) {
			print_message("%s not found: skipping the TS.48 profiles (../shared/gsma absent)\n",
				      path);
			skip();
		}
		snprintf(path, sizeof(path), "%s/gsma/ts48-v7/%s.txt", shared, ts48[f]);
		char *txt = (char *)sf_test_read_file(path, &tlen);
		assert_non_null(txt);

		/* The element names, in order, from the value notation. */
		const char *names[64];
		size_t nn = 0;
		char *save = NULL;
		char iccid[32] = {0};
		for (char *line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *m = strstr(line, " ProfileElement ::= ");
			if (m && nn < 64) {
				char *name = m + strlen(" ProfileElement ::= ");
				char *sp = strchr(name, ' ');
				if (sp)
					*sp = 0;
				names[nn++] = name;
			}
			char *ic = strstr(line, "iccid '");
			if (ic && !iccid[0] && nn == 1) {
				ic += strlen("iccid '");
				char *q = strchr(ic, '\'');
				assert_non_null(q);
				memcpy(iccid, ic, (size_t)(q - ic));
			}
		}
		assert_true(nn > 10);
		assert_int_equal(strlen(iccid), 20);

		struct sf_saip_reader r;
		struct sf_saip_pe pe;
		struct sf_saip_error e;
		int rc;
		size_t n = 0;
		unsigned naka = 0;
		sf_saip_reader_init(&r, der, dlen);
		while ((rc = sf_saip_next(&r, &pe, &e)) > 0) {
			assert_true(n < nn);
			if (strcmp(pe.name, names[n]) != 0)
				fail_msg("%s element %zu: got %s want %s", ts48[f], n, pe.name, names[n]);
			if (pe.type == SF_SAIP_PE_HEADER) {
				struct sf_saip_header h;
				assert_int_equal(sf_saip_header_decode(&pe, &h, &e), 0);
				assert_string_equal(h.iccid, iccid);
				assert_int_equal(h.major, 2);
				assert_int_equal(h.minor, 3);
				assert_true(h.services & SF_SAIP_SVC_USIM_TEST_ALGORITHM);
				assert_int_equal(sf_iccid_check(h.iccid), 0);
			} else if (pe.type == SF_SAIP_PE_AKA_PARAMETER) {
				struct sf_saip_aka a;
				assert_int_equal(sf_saip_aka_decode(&pe, &a, &e), 0);
				assert_int_equal(a.algorithm, SF_SAIP_ALG_TEST);
				assert_int_equal(a.key_len, 16);
				assert_memory_equal(a.key, ts48_k, 16);
				assert_int_equal(a.sqn_options, 0x02);
				assert_int_equal(a.number_of_keccak, 1);
				naka++;
			} else if (pe.type == SF_SAIP_PE_PIN_CODES) {
				struct sf_saip_pins p;
				assert_int_equal(sf_saip_pins_decode(&pe, &p, &e), 0);
				assert_true(p.count >= 1);
			} else if (pe.type == SF_SAIP_PE_PUK_CODES) {
				struct sf_saip_puks p;
				assert_int_equal(sf_saip_puks_decode(&pe, &p, &e), 0);
				assert_memory_equal(p.puk[0].value, "11111111", 8);
			} else if (sf_saip_pe_is_template(pe.type) ||
				   pe.type == SF_SAIP_PE_GENERIC_FILE_MANAGEMENT) {
				struct walk_count c;
				memset(&c, 0, sizeof(c));
				assert_int_equal(sf_saip_files_walk(&pe, count_cb, &c, &e), 0);
				assert_true(c.files > 0 || pe.type == SF_SAIP_PE_GENERIC_FILE_MANAGEMENT);
				if (pe.type == SF_SAIP_PE_USIM)
					assert_string_equal(c.imsi_hex, "080910101032547698");
			}
			n++;
		}
		if (rc < 0) {
			char msg[256];
			sf_saip_error_format(&e, msg, sizeof(msg));
			fail_msg("%s: %s", ts48[f], msg);
		}
		assert_int_equal(n, nn);
		assert_int_equal(naka, 2);
		free(der);
		free(txt);
	}
}

/* ---- built packages ---- */

static const uint8_t k16[16] = {0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
				0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc};
static const uint8_t opc16[16] = {0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e,
				  0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf};
static uint8_t k32[32], topc32[32];

static uint8_t *build(const struct sf_saip_build_params *p, size_t *len)
{
	struct sf_saip_error e;
	size_t need = 0;
	assert_int_equal(sf_saip_build(p, NULL, 0, &need, &e), SF_EBUFSIZE);
	assert_true(need > 100);
	uint8_t *b = malloc(need);
	assert_non_null(b);
	int rc = sf_saip_build(p, b, need, len, &e);
	if (rc) {
		char msg[256];
		sf_saip_error_format(&e, msg, sizeof(msg));
		fail_msg("build: %s", msg);
	}
	assert_int_equal(*len, need);
	return b;
}

static void base_params(struct sf_saip_build_params *p, int alg)
{
	memset(p, 0, sizeof(*p));
	p->iccid = "8944500102198304826";
	p->imsi = "001010123456789";
	p->algorithm = alg;
	p->k = k16;
	p->k_len = 16;
	if (alg == SF_SAIP_ALG_MILENAGE) {
		p->opc = opc16;
		p->opc_len = 16;
	} else if (alg == SF_SAIP_ALG_TUAK) {
		p->k = k32;
		p->k_len = 32;
		p->opc = topc32;
		p->opc_len = 32;
	}
}

static void check_roundtrip(const struct sf_saip_build_params *p, const char *imsi_hex)
{
	size_t len;
	uint8_t *pkg = build(p, &len);
	struct sf_saip_reader r;
	struct sf_saip_pe pe;
	struct sf_saip_error e;
	int rc, n = 0, saw_aka = 0, saw_pin = 0, saw_usim = 0;
	static const char *const order[] = {"header", "mf", "pukCodes", "pinCodes",
					    "usim", "akaParameter", "end"};
	sf_saip_reader_init(&r, pkg, len);
	while ((rc = sf_saip_next(&r, &pe, &e)) > 0) {
		assert_true(n < 7);
		assert_string_equal(pe.name, order[n]);
		if (pe.type == SF_SAIP_PE_HEADER) {
			struct sf_saip_header h;
			assert_int_equal(sf_saip_header_decode(&pe, &h, &e), 0);
			assert_string_equal(h.iccid, p->iccid);
			assert_true(h.services & SF_SAIP_SVC_USIM);
			assert_int_equal(h.gfste_count, 2);
		} else if (pe.type == SF_SAIP_PE_AKA_PARAMETER) {
			struct sf_saip_aka a;
			assert_int_equal(sf_saip_aka_decode(&pe, &a, &e), 0);
			assert_int_equal(a.algorithm, p->algorithm);
			assert_int_equal(a.key_len, p->k_len);
			assert_memory_equal(a.key, p->k, p->k_len);
			if (p->opc) {
				assert_int_equal(a.opc_len, p->opc_len);
				assert_memory_equal(a.opc, p->opc, p->opc_len);
			}
			/* module defaults */
			assert_int_equal(a.sqn_options, 0x02);
			assert_int_equal(a.sqn_delta[2], 0x10);
			assert_int_equal(a.rotation_constants[0], 0x40);
			assert_int_equal(a.xoring_constants[79], 0x08);
			saw_aka = 1;
		} else if (pe.type == SF_SAIP_PE_PIN_CODES) {
			struct sf_saip_pins pins;
			assert_int_equal(sf_saip_pins_decode(&pe, &pins, &e), 0);
			assert_int_equal(pins.count, 2);
			assert_int_equal(pins.pin[0].key_ref, 1);
			assert_int_equal(pins.pin[0].unblock_ref, 1);
			assert_int_equal(pins.pin[0].attributes, p->pin1 ? 7u : 6u);
			if (p->pin1)
				assert_memory_equal(pins.pin[0].value, p->pin1, strlen(p->pin1));
			assert_int_equal(pins.pin[1].key_ref, 10);
			saw_pin = 1;
		} else if (pe.type == SF_SAIP_PE_USIM) {
			struct walk_count c;
			memset(&c, 0, sizeof(c));
			assert_int_equal(sf_saip_files_walk(&pe, count_cb, &c, &e), 0);
			assert_string_equal(c.imsi_hex, imsi_hex);
			assert_int_equal(c.files, 10);
			assert_int_equal(c.fcps, p->spn ? 10 : 9);
			saw_usim = 1;
		}
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 7);
	assert_true(saw_aka && saw_pin && saw_usim);
	free(pkg);
}

static void test_build_roundtrip(void **state)
{
	(void)state;
	struct sf_saip_build_params p;
	for (int i = 0; i < 32; i++) {
		k32[i] = (uint8_t)(0xFF - i);
		topc32[i] = (uint8_t)(0x80 + i);
	}
	base_params(&p, SF_SAIP_ALG_MILENAGE);
	check_roundtrip(&p, "080910101032547698");
	p.spn = "simfleet";
	p.pin1 = "1234";
	p.imsi = "26201123456789"; /* even number of digits */
	p.mnc_len = 2;
	check_roundtrip(&p, "0821261021436587F9");
	base_params(&p, SF_SAIP_ALG_TUAK);
	check_roundtrip(&p, "080910101032547698");
	base_params(&p, SF_SAIP_ALG_TUAK);
	p.k = k16;
	p.k_len = 16;
	check_roundtrip(&p, "080910101032547698");
	base_params(&p, SF_SAIP_ALG_TEST);
	p.k = ts48_k;
	check_roundtrip(&p, "080910101032547698");
}

static void test_build_rejects(void **state)
{
	(void)state;
	struct sf_saip_build_params p;
	struct sf_saip_error e;
	uint8_t buf[4096];
	size_t n;
	base_params(&p, SF_SAIP_ALG_MILENAGE);
	p.iccid = "8944500102198304827"; /* bad Luhn */
	assert_int_equal(sf_saip_build(&p, buf, sizeof(buf), &n, &e), SF_ESAIP_ICCID);
	assert_string_equal(e.field, "iccid");
	base_params(&p, SF_SAIP_ALG_MILENAGE);
	p.imsi = "1234";
	assert_int_equal(sf_saip_build(&p, buf, sizeof(buf), &n, &e), SF_ESAIP_IMSI);
	base_params(&p, SF_SAIP_ALG_MILENAGE);
	p.opc_len = 15;
	assert_int_equal(sf_saip_build(&p, buf, sizeof(buf), &n, &e), SF_ESAIP_PARAM);
	assert_string_equal(e.field, "opc");
	base_params(&p, SF_SAIP_ALG_MILENAGE);
	p.spn = "under_score";
	assert_int_equal(sf_saip_build(&p, buf, sizeof(buf), &n, &e), SF_ESAIP_PARAM);
	assert_string_equal(e.field, "spn");
	base_params(&p, SF_SAIP_ALG_MILENAGE);
	p.pin1 = "12a4";
	assert_int_equal(sf_saip_build(&p, buf, sizeof(buf), &n, &e), SF_ESAIP_PARAM);
	base_params(&p, SF_SAIP_ALG_MILENAGE);
	p.algorithm = 7;
	assert_int_equal(sf_saip_build(&p, buf, sizeof(buf), &n, &e), SF_ESAIP_PARAM);
	/* too small a buffer: the size needed, and nothing left in dst */
	base_params(&p, SF_SAIP_ALG_MILENAGE);
	assert_int_equal(sf_saip_build(&p, buf, 100, &n, &e), SF_EBUFSIZE);
	assert_true(n > 100);
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(buf[i], 0);
}

/* Every truncated prefix, in an exact-size heap buffer (ASan sees any
 * over-read), is rejected; the whole package is accepted. */
static void test_prefixes(void **state)
{
	(void)state;
	struct sf_saip_build_params p;
	struct sf_saip_error e;
	size_t len;
	base_params(&p, SF_SAIP_ALG_MILENAGE);
	p.spn = "X";
	uint8_t *pkg = build(&p, &len);
	assert_int_equal(parse_all(pkg, len, &e), 7);
	for (size_t n = 0; n < len; n++) {
		uint8_t *b = malloc(n ? n : 1);
		assert_non_null(b);
		memcpy(b, pkg, n);
		int rc = parse_all(b, n, &e);
		if (rc >= 0)
			fail_msg("prefix of %zu/%zu octets accepted", n, len);
		free(b);
	}
	free(pkg);
}

/* Offsets of each element of a package. */
static size_t element_offsets(const uint8_t *pkg, size_t len, size_t *off, size_t max)
{
	struct sf_saip_reader r;
	struct sf_saip_pe pe;
	size_t n = 0;
	sf_saip_reader_init(&r, pkg, len);
	while (sf_saip_next(&r, &pe, NULL) > 0 && n < max)
		off[n++] = pe.offset;
	return n;
}

static void test_unknown_element(void **state)
{
	(void)state;
	struct sf_saip_build_params p;
	struct sf_saip_error e;
	size_t len, off[8];
	char msg[256];
	base_params(&p, SF_SAIP_ALG_MILENAGE);
	uint8_t *pkg = build(&p, &len);
	assert_int_equal(element_offsets(pkg, len, off, 8), 7);
	/* [40] constructed, empty, inserted before end */
	static const uint8_t unk[] = {0xBF, 0x28, 0x00};
	uint8_t *b = malloc(len + sizeof(unk));
	assert_non_null(b);
	memcpy(b, pkg, off[6]);
	memcpy(b + off[6], unk, sizeof(unk));
	memcpy(b + off[6] + sizeof(unk), pkg + off[6], len - off[6]);
	assert_int_equal(parse_all(b, len + sizeof(unk), &e), SF_ESAIP_UNKNOWN_PE);
	assert_int_equal(e.index, 6);
	assert_int_equal(e.offset, off[6]);
	sf_saip_error_format(&e, msg, sizeof(msg));
	print_message("unknown element: %s\n", msg);
	assert_non_null(strstr(msg, "BF28"));
	/* a universal SEQUENCE is no ProfileElement either */
	b[off[6]] = 0x30;
	b[off[6] + 1] = 0x00;
	assert_int_equal(parse_all(b, len + sizeof(unk) - 1, &e), SF_ESAIP_UNKNOWN_PE);
	free(b);
	/* data after end, and end missing */
	b = malloc(len + 2);
	memcpy(b, pkg, len);
	b[len] = 0xAA;
	b[len + 1] = 0x00;
	assert_int_equal(parse_all(b, len + 2, &e), SF_ESAIP_ORDER);
	assert_int_equal(parse_all(pkg, off[6], &e), SF_EDER_TRUNC);
	/* header not first */
	assert_int_equal(parse_all(pkg + off[1], len - off[1], &e), SF_ESAIP_ORDER);
	free(b);
	free(pkg);
}

/* An akaParameter with a 20-octet key between a real header and end. */
static void test_bad_aka_key(void **state)
{
	(void)state;
	struct sf_saip_build_params p;
	struct sf_saip_error e;
	size_t len, off[8], n;
	char msg[256];
	uint8_t aka[128], key[20] = {0};
	base_params(&p, SF_SAIP_ALG_MILENAGE);
	uint8_t *pkg = build(&p, &len);
	assert_int_equal(element_offsets(pkg, len, off, 8), 7);

	struct sf_der_writer w;
	sf_der_writer_init(&w, aka, sizeof(aka));
	size_t m = sf_der_writer_mark(&w), m2 = sf_der_writer_mark(&w), m3 = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, 0x83, opc16, 16);
	sf_der_write_octets(&w, 0x82, key, sizeof(key));
	sf_der_write_octets(&w, 0x81, (const uint8_t *)"\x00", 1);
	sf_der_write_uint64(&w, 0x80, 1);
	sf_der_write_wrap(&w, m3, 0xA1);
	sf_der_write_wrap(&w, m2, 0xA1);
	size_t mh = sf_der_writer_mark(&w);
	sf_der_write_uint64(&w, 0x81, 9);
	sf_der_write_wrap(&w, mh, 0xA0);
	sf_der_write_wrap(&w, m, 0xA4);
	assert_int_equal(sf_der_writer_finish(&w, &n), 0);

	size_t hl = off[1], el = len - off[6];
	uint8_t *b = malloc(hl + n + el);
	memcpy(b, pkg, hl);
	memcpy(b + hl, aka, n);
	memcpy(b + hl + n, pkg + off[6], el);
	assert_int_equal(parse_all(b, hl + n + el, &e), SF_ESAIP_VALUE);
	sf_saip_error_format(&e, msg, sizeof(msg));
	print_message("bad key: %s\n", msg);
	assert_string_equal(e.element, "akaParameter");
	assert_string_equal(e.field, "key");
	assert_non_null(strstr(msg, "akaParameter: key must be 16 or 32 octets"));
	free(b);
	free(pkg);
}

/* A corrupted length inside an element is a DER error naming the element. */
static void test_malformed_inside(void **state)
{
	(void)state;
	struct sf_saip_build_params p;
	struct sf_saip_error e;
	size_t len, off[8];
	base_params(&p, SF_SAIP_ALG_MILENAGE);
	uint8_t *pkg = build(&p, &len);
	assert_int_equal(element_offsets(pkg, len, off, 8), 7);
	/* the pukCodes element (short form lengths): its PEHeader length + 1 */
	size_t o = off[2] + 2;
	assert_int_equal(pkg[o], 0xA0);
	pkg[o + 1]++;
	int rc = parse_all(pkg, len, &e);
	assert_true(rc < 0);
	assert_string_equal(e.element, "pukCodes");
	free(pkg);
}

static void test_element_size(void **state)
{
	(void)state;
	static const uint8_t a[] = {0xA0, 0x81, 0x9D};
	static const uint8_t b[] = {0xBF, 0x25, 0x02, 0xA0, 0x00};
	size_t need;
	assert_int_equal(sf_saip_element_size(a, 3, &need), 0);
	assert_int_equal(need, 3 + 0x9D);
	assert_int_equal(sf_saip_element_size(a, 2, &need), SF_EDER_TRUNC);
	assert_int_equal(sf_saip_element_size(b, 5, &need), 0);
	assert_int_equal(need, 5);
	assert_int_equal(sf_saip_element_size(b, 1, &need), SF_EDER_TRUNC);
}

static void test_luhn(void **state)
{
	(void)state;
	static const struct {
		const char *iccid;
		int ok;
	} t[] = {
		{"89000123456789012341", 1}, /* TS.48 */
		{"8944500102198304826", 1},  /* 19 digits */
		{"89014103211118510720", 1},
		{"898823900000000003", 1},   /* 18 digits */
		{"89000123456789012340", 0}, /* wrong check digit */
		{"89000123456789012342", 0},
		{"8944500102198304827", 0},
		{"89882390000000003", 0},    /* 17 digits */
		{"890001234567890123410", 0}, /* 21 digits */
		{"8900012345678901234A", 0},
		{"", 0},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = sf_iccid_check(t[i].iccid);
		if ((rc == 0) != t[i].ok)
			fail_msg("%s: got %d want %s", t[i].iccid, rc, t[i].ok ? "valid" : "invalid");
		if (!t[i].ok)
			assert_int_equal(rc, SF_ESAIP_ICCID);
	}
	assert_int_equal(sf_iccid_luhn("7992739871", 10), '3'); /* the textbook example */
	assert_int_equal(sf_iccid_luhn("12x", 3), -1);
	assert_int_equal(sf_iccid_check(NULL), SF_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_luhn),
		cmocka_unit_test(test_element_size),
		cmocka_unit_test(test_build_roundtrip),
		cmocka_unit_test(test_build_rejects),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_unknown_element),
		cmocka_unit_test(test_bad_aka_key),
		cmocka_unit_test(test_malformed_inside),
		cmocka_unit_test(test_ts48),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
