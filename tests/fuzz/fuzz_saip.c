/* libFuzzer target for the SAIP profile package reader and installer
 * (src/saip/saip.c, src/saip/install.c; PEDefinitions 3.3.1).
 *
 * The input is a profile package.  It is read element by element with
 * sf_saip_next(), every element goes through every decoder (the one of its
 * type, and the others, which must refuse it with SF_EINVAL), through
 * sf_saip_fields_walk() and, for file-system elements, sf_saip_files_walk();
 * then the package is installed into a 64 KiB file-system arena.  Checks,
 * besides ASan/UBSan:
 *   - sf_saip_next() returns elements back to back, each of the size
 *     sf_saip_element_size() announces, with consistent pointers; after an
 *     error the reader stays on the bad element (the same error again);
 *   - "validated completely": the decoder of an element's own type accepts
 *     every element sf_saip_next() returned, and the file walk succeeds on
 *     every file-system element;
 *   - error reports are filled (code, element name) and format safely into
 *     any buffer size;
 *   - the installer accepts only packages the reader accepts, and what it
 *     leaves in the arena is a file system sf_fs_attach() accepts;
 *   - sf_saip_personalise() (the package as an operator's template) accepts
 *     only packages the reader accepts; its output parses with as many
 *     elements, and personalising it again gives the same octets; on error
 *     the output buffer is wiped.
 * Build: cmake -DSF_FUZZ=ON -DCMAKE_C_COMPILER=clang; run:
 *   fuzz_saip -max_total_time=60 <copy of tests/fuzz/corpus_saip> */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simfleet/aka.h"
#include "simfleet/err.h"
#include "simfleet/log.h"
#include "simfleet/saip.h"
#include "simfleet/saip_install.h"
#include "simfleet/uicc_fs.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

#define ARENA_CAP (64 * 1024)

struct walk_ctx {
	const uint8_t *lo, *hi; /* the element: every pointer must stay inside */
	unsigned items;
	int in_file;
};

static void inside(const struct walk_ctx *w, const uint8_t *p, size_t len)
{
	if (len == 0)
		return;
	CHECK(p != NULL && p >= w->lo && p + len <= w->hi);
}

static int field_cb(void *user, const char *name, const struct sf_der_tlv *t)
{
	struct walk_ctx *w = user;
	CHECK(name != NULL && name[0] != '\0');
	inside(w, t->raw, t->raw_len);
	inside(w, t->val, t->len);
	CHECK(t->len <= t->raw_len);
	w->items++;
	return 0;
}

static void bytes_inside(const struct walk_ctx *w, const struct sf_saip_bytes *b)
{
	if (b->present)
		inside(w, b->p, b->len);
}

static int file_cb(void *user, const struct sf_saip_file_item *it)
{
	struct walk_ctx *w = user;
	w->items++;
	switch (it->op) {
	case SF_SAIP_FILE_BEGIN:
		CHECK(!w->in_file);
		w->in_file = 1;
		break;
	case SF_SAIP_FILE_END:
		CHECK(w->in_file);
		w->in_file = 0;
		break;
	case SF_SAIP_FILE_FCP: {
		const struct sf_saip_fcp *f = &it->fcp;
		bytes_inside(w, &f->file_descriptor);
		bytes_inside(w, &f->file_id);
		bytes_inside(w, &f->df_name);
		bytes_inside(w, &f->sec_attr);
		bytes_inside(w, &f->ef_file_size);
		bytes_inside(w, &f->pin_status_template);
		bytes_inside(w, &f->short_efid);
		bytes_inside(w, &f->link_path);
		bytes_inside(w, &f->fill_pattern);
		bytes_inside(w, &f->repeat_pattern);
		bytes_inside(w, &f->maximum_file_size);
		break;
	}
	case SF_SAIP_FILE_CONTENT:
	case SF_SAIP_FILE_PATH:
		inside(w, it->data, it->len);
		break;
	case SF_SAIP_FILE_DO_NOT_CREATE:
	case SF_SAIP_FILE_OFFSET:
	case SF_SAIP_FILE_CMD:
		break;
	default:
		CHECK(0);
	}
	if (it->template_oid_len)
		inside(w, it->template_oid, it->template_oid_len);
	return 0;
}

static void check_error(const struct sf_saip_error *e, int rc)
{
	static const size_t caps[] = {0, 1, 7, 40, 512};
	char msg[512];
	CHECK(e->code == rc);
	CHECK(e->element != NULL);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		memset(msg, 'x', sizeof(msg));
		size_t n = sf_saip_error_format(e, msg, caps[i]);
		if (caps[i] > 0) {
			size_t sl = strnlen(msg, caps[i]);
			CHECK(sl < caps[i]);
			CHECK(n == sl);
		} else {
			CHECK(msg[0] == 'x');
		}
	}
}

/* Every decoder on one element: the element's own must succeed, the others
 * must refuse it without touching anything. */
static void decode_all(const struct sf_saip_pe *pe)
{
	static struct sf_saip_header h;
	static struct sf_saip_aka aka;
	static struct sf_saip_pins pins;
	static struct sf_saip_puks puks;
	struct sf_saip_error e;
	struct walk_ctx w = {.lo = pe->raw, .hi = pe->raw + pe->raw_len};
	int rc;

	rc = sf_saip_header_decode(pe, &h, &e);
	if (pe->type == SF_SAIP_PE_HEADER) {
		CHECK(rc == 0);
		CHECK(strlen(h.iccid) <= 20);
		inside(&w, h.profile_type, h.profile_type_len);
		inside(&w, h.pol, h.pol_len);
		inside(&w, h.gfste, h.gfste_len);
		inside(&w, h.connectivity, h.connectivity_len);
		inside(&w, h.aids, h.aids_len);
		inside(&w, h.iot_pix, h.iot_pix_len);
		if (h.iccid_raw)
			inside(&w, h.iccid_raw, 10);
	} else {
		CHECK(rc == SF_EINVAL);
	}

	rc = sf_saip_aka_decode(pe, &aka, &e);
	if (pe->type == SF_SAIP_PE_AKA_PARAMETER) {
		CHECK(rc == 0);
		if (!aka.is_mapping) {
			CHECK(aka.algorithm >= 1 && aka.algorithm <= 3);
			CHECK(sf_saip_alg_name(aka.algorithm) != NULL);
			inside(&w, aka.key, aka.key_len);
			inside(&w, aka.opc, aka.opc_len);
		} else {
			inside(&w, aka.mapping_source, aka.mapping_source_len);
		}
	} else {
		CHECK(rc == SF_EINVAL);
	}

	rc = sf_saip_pins_decode(pe, &pins, &e);
	if (pe->type == SF_SAIP_PE_PIN_CODES) {
		CHECK(rc == 0);
		CHECK(pins.count <= SF_SAIP_MAX_PINS);
		if (pins.is_path)
			inside(&w, pins.path, pins.path_len);
		for (unsigned i = 0; i < pins.count; i++)
			inside(&w, pins.pin[i].value, 8);
	} else {
		CHECK(rc == SF_EINVAL);
	}

	rc = sf_saip_puks_decode(pe, &puks, &e);
	if (pe->type == SF_SAIP_PE_PUK_CODES) {
		CHECK(rc == 0);
		CHECK(puks.count <= SF_SAIP_MAX_PUKS);
		for (unsigned i = 0; i < puks.count; i++)
			inside(&w, puks.puk[i].value, 8);
	} else {
		CHECK(rc == SF_EINVAL);
	}

	rc = sf_saip_files_walk(pe, file_cb, &w, &e);
	if (sf_saip_pe_is_template(pe->type) || pe->type == SF_SAIP_PE_GENERIC_FILE_MANAGEMENT) {
		if (rc != 0)
			check_error(&e, rc);
		/* SF_ESAIP_UNSUPPORTED is the one refusal a validated element may
		 * still get from the walk (a feature the walker does not do). */
		CHECK(rc == 0 || rc == SF_ESAIP_UNSUPPORTED);
		if (rc == 0)
			CHECK(!w.in_file);
	} else {
		CHECK(rc == SF_EINVAL);
	}

	w.items = 0;
	CHECK(sf_saip_fields_walk(pe, field_cb, &w) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	static uint8_t arena[ARENA_CAP];
	if (!once) {
		sf_log_set_level(SF_LOG_ERROR);
		once = 1;
	}
	/* Exact-size heap copy: ASan flags any read past the package. */
	uint8_t *pkg = malloc(size ? size : 1);
	CHECK(pkg != NULL);
	if (size)
		memcpy(pkg, data, size);

	struct sf_saip_reader r;
	struct sf_saip_pe pe;
	struct sf_saip_error e;
	int rc;
	size_t expect_off = 0;
	unsigned n = 0;
	sf_saip_reader_init(&r, pkg, size);
	while ((rc = sf_saip_next(&r, &pe, &e)) > 0) {
		CHECK(rc == 1);
		CHECK(pe.index == n++);
		CHECK(pe.offset == expect_off && pe.raw == pkg + pe.offset);
		CHECK(pe.raw_len <= size - pe.offset);
		CHECK(pe.val >= pe.raw && pe.val + pe.len == pe.raw + pe.raw_len);
		CHECK(pe.name != NULL && pe.name == sf_saip_pe_name(pe.type));
		CHECK((unsigned)pe.type < SF_SAIP_PE_COUNT);
		size_t need = 0;
		CHECK(sf_saip_element_size(pe.raw, size - pe.offset, &need) == 0);
		CHECK(need == pe.raw_len);
		expect_off += pe.raw_len;
		decode_all(&pe);
	}
	int read_rc = rc;
	if (rc < 0) {
		check_error(&e, rc);
		/* The reader stays on the bad element. */
		struct sf_saip_error e2;
		CHECK(sf_saip_next(&r, &pe, &e2) == rc);
	} else {
		CHECK(expect_off == size);
	}

	struct sf_fs fs, fs2;
	struct sf_pins pins;
	static struct sf_saip_installed out;
	memset(arena, 0, sizeof(arena));
	CHECK(sf_fs_init(&fs, arena, sizeof(arena)) == 0);
	sf_pins_init(&pins);
	rc = sf_saip_install(pkg, size, &fs, &pins, &out, &e);
	if (read_rc < 0)
		CHECK(rc < 0);
	if (rc == 0) {
		CHECK(out.elements == n);
		CHECK(strlen(out.iccid) <= 20 && strlen(out.spn) < sizeof(out.spn));
		size_t used = sf_fs_used(&fs);
		CHECK(used >= SF_FS_HEADER_SIZE && used <= sizeof(arena));
		CHECK(sf_fs_attach(&fs2, arena, used) == 0);
		sf_aka_params_wipe(&out.aka);
	} else {
		check_error(&e, rc);
	}
	sf_pins_free(&pins);

	/* The package as an operator's template. */
	static const uint8_t k[16] = {0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
	                              0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc};
	static const uint8_t k32[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
	                                12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
	                                23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
	struct sf_saip_build_params prm = {
	    .iccid = "8949012345678901237",
	    .imsi = "262019876543210",
	    .algorithm = (size & 1) ? SF_SAIP_ALG_TUAK : SF_SAIP_ALG_MILENAGE,
	    .k = (size & 1) ? k32 : k,
	    .k_len = (size & 1) ? 32 : 16,
	    .opc = (size & 1) ? k32 : k,
	    .opc_len = (size & 1) ? 32 : 16,
	    .spn = (size & 2) ? "fuzz" : NULL,
	};
	size_t cap = size + 256, olen = 0, olen2 = 0;
	uint8_t *o1 = malloc(cap), *o2 = malloc(cap);
	CHECK(o1 != NULL && o2 != NULL);
	rc = sf_saip_personalise(pkg, size, &prm, o1, cap, &olen, &e);
	if (read_rc < 0)
		CHECK(rc < 0);
	if (rc == 0) {
		unsigned n2 = 0;
		sf_saip_reader_init(&r, o1, olen);
		while ((rc = sf_saip_next(&r, &pe, &e)) > 0)
			n2++;
		CHECK(rc == 0 && n2 == n);
		CHECK(sf_saip_personalise(o1, olen, &prm, o2, cap, &olen2, &e) == 0);
		CHECK(olen2 == olen && memcmp(o1, o2, olen) == 0);
	} else {
		check_error(&e, rc);
		for (size_t i = 0; i < cap; i++) /* nothing of K left behind */
			CHECK(o1[i] == 0);
	}
	free(o1);
	free(o2);
	free(pkg);
	return 0;
}
