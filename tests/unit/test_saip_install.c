/*
 * The SAIP installer (sf_saip_install): the four GSMA TS.48 v7 packages
 * install into a fresh file system and their ICCID, IMSI, EF_DIR, USIM ADF,
 * AKA parameters and PINs come back through the file system's query API and
 * through APDUs on a real card; a package built by sf_saip_build (Milenage)
 * installs; a truncated package, a duplicate FID and a small arena fail with
 * the element named.
 *
 * The TS.48 files are read from $SF_SHARED/gsma/ts48-v7 (never copied into
 * the project); those tests skip when they are absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "simfleet/card.h"
#include "simfleet/err.h"
#include "simfleet/saip.h"
#include "simfleet/saip_install.h"
#include "simfleet/uicc_fs.h"

#define ARENA_CAP (64 * 1024)

static const char *const ts48[] = {
    "TS48_V7.0_eSIM_GTP_SAIP2.3_BERTLV_SUCI",
    "TS48_V7.0_eSIM_GTP_SAIP2.3_BERTLV_SUCI_NoRAMRFM",
    "TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV",
    "TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV_NoRAMRFM",
};

static const uint8_t usim_aid[] = {0xA0, 0x00, 0x00, 0x00, 0x87, 0x10,
                                   0x02, 0xFF, 0x49, 0xFF, 0x05, 0x89};

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		b = malloc((size_t)n + 1);
		if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
			free(b);
			b = NULL;
		}
		if (b) {
			b[n] = 0;
			*len = (size_t)n;
		}
	}
	fclose(f);
	return b;
}

static uint8_t *load(const char *name, const char *ext, size_t *len)
{
	const char *shared = getenv("SF_SHARED");
	char path[1024];
	if (shared == NULL)
		return NULL;
	snprintf(path, sizeof path, "%s/gsma/ts48-v7/%s.%s", shared, name, ext);
	return read_file(path, len);
}

static size_t unhex(const char *s, uint8_t *dst, size_t cap)
{
	size_t n = 0;
	for (; s[0] && s[1] && s[0] != '\'' && n < cap; s += 2) {
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1)
			break;
		dst[n++] = (uint8_t)v;
	}
	return n;
}

/* The first fillFileContent of field `field` in the value-notation twin. */
static size_t txt_content(const char *txt, const char *field, uint8_t *dst, size_t cap)
{
	char key[64];
	snprintf(key, sizeof key, "\n  %s {", field);
	const char *p = strstr(txt, key);
	if (p == NULL)
		return 0;
	p = strstr(p, "fillFileContent : '");
	if (p == NULL)
		return 0;
	return unhex(p + strlen("fillFileContent : '"), dst, cap);
}

struct inst {
	struct sf_fs fs;
	struct sf_pins pins;
	struct sf_saip_installed out;
	struct sf_saip_error err;
	uint8_t *arena;
	size_t cap;
};

static int install(struct inst *in, const uint8_t *pkg, size_t len, size_t cap)
{
	memset(in, 0, sizeof(*in));
	in->arena = malloc(cap);
	in->cap = cap;
	assert_non_null(in->arena);
	assert_int_equal(sf_fs_init(&in->fs, in->arena, cap), 0);
	sf_pins_init(&in->pins);
	int rc = sf_saip_install(pkg, len, &in->fs, &in->pins, &in->out, &in->err);
	if (rc != 0) {
		char msg[256];
		sf_saip_error_format(&in->err, msg, sizeof msg);
		print_message("install: %s (%s)\n", msg, sf_err_name(rc));
	}
	return rc;
}

static void inst_free(struct inst *in)
{
	sf_aka_params_wipe(&in->out.aka);
	sf_pins_free(&in->pins);
	free(in->arena);
}

static void read_ef(const struct sf_fs *fs, uint32_t h, uint8_t *dst, size_t n)
{
	assert_int_equal(sf_fs_read_content(fs, h, 0, dst, n), 0);
}

/* ---- a card on top of the installed file system ---- */

struct cardfx {
	struct sf_card card;
	struct inst *in;
};

static int app_process(void *user, struct sf_card *card, const struct sf_apdu *cmd,
                       struct sf_rapdu *rsp)
{
	struct cardfx *f = user;
	int rc = sf_fs_process(&f->in->fs, &f->in->pins, card, cmd, rsp);
	if (rc == SF_ECARD_UNHANDLED) {
		rsp->sw = SF_SW_INS_NOT_SUPPORTED;
		return 0;
	}
	return rc;
}

static const struct sf_card_app fs_app = {.process = app_process};

static uint16_t apdu(struct cardfx *f, const char *hex, uint8_t *rsp, size_t *rlen)
{
	uint8_t cmd[64];
	size_t n = unhex(hex, cmd, sizeof cmd);
	assert_int_equal(sf_card_transmit(&f->card, cmd, n, rsp, 260, rlen), 0);
	assert_true(*rlen >= 2);
	return (uint16_t)(rsp[*rlen - 2] << 8 | rsp[*rlen - 1]);
}

static void check_card_imsi(struct inst *in, const uint8_t *imsi, size_t imsi_len)
{
	struct cardfx f = {.in = in};
	uint8_t rsp[260];
	size_t n;
	uint16_t sw;
	assert_int_equal(sf_card_init(&f.card, &fs_app, &f, 0), 0);
	sw = apdu(&f, "00A4040407A0000000871002", rsp, &n);
	if ((sw & 0xFF00) == 0x6100)
		sw = 0x9000; /* FCP waiting for GET RESPONSE */
	assert_int_equal(sw, 0x9000);
	sw = apdu(&f, "00A4000C026F07", rsp, &n);
	assert_int_equal(sw, 0x9000);
	sw = apdu(&f, "00B0000009", rsp, &n);
	assert_int_equal(sw, 0x9000);
	assert_int_equal(n, imsi_len + 2);
	assert_memory_equal(rsp, imsi, imsi_len);
	sf_card_free(&f.card);
}

/* ---- TS.48 ---- */

static void test_ts48(void **state)
{
	(void)state;
	int ran = 0;
	for (size_t i = 0; i < sizeof ts48 / sizeof ts48[0]; i++) {
		size_t len = 0, tlen = 0;
		uint8_t *pkg = load(ts48[i], "der", &len);
		char *txt = (char *)load(ts48[i], "txt", &tlen);
		if (pkg == NULL || txt == NULL) {
			free(pkg);
			free(txt);
			continue;
		}
		ran++;
		struct inst in;
		assert_int_equal(install(&in, pkg, len, ARENA_CAP), 0);
		print_message("%s: %u elements, %u files, %u stored only, arena %zu of %d octets\n",
		              ts48[i], in.out.elements, in.out.files, in.out.stored_only,
		              sf_fs_used(&in.fs), ARENA_CAP);
		assert_string_equal(in.out.iccid, "89000123456789012341");
		assert_string_equal(in.out.profile_type, "GSMA Generic eUICC Test Profile");

		/* EF_ICCID: the header's digits nibble-swapped */
		uint32_t h;
		uint8_t b[64], want[64];
		const uint8_t path_iccid[] = {0x2F, 0xE2};
		assert_int_equal(sf_fs_find_path(&in.fs, path_iccid, 2, &h), 0);
		read_ef(&in.fs, h, b, 10);
		const uint8_t iccid_swapped[] = {0x98, 0x00, 0x10, 0x32, 0x54,
		                                 0x76, 0x98, 0x10, 0x32, 0x14};
		assert_memory_equal(b, iccid_swapped, 10);

		/* USIM ADF and EF_IMSI */
		uint32_t adf, imsi;
		struct sf_fs_info info;
		assert_int_equal(sf_fs_find_adf(&in.fs, usim_aid, sizeof usim_aid, &adf), 0);
		assert_int_equal(sf_fs_info(&in.fs, adf, &info), 0);
		assert_int_equal(info.type, SF_FS_ADF);
		assert_int_equal(info.aid_len, sizeof usim_aid);
		assert_true(in.out.has_usim);
		assert_memory_equal(in.out.usim_aid, usim_aid, sizeof usim_aid);
		assert_int_equal(sf_fs_find(&in.fs, adf, 0x6F07, &imsi), 0);
		assert_int_equal(sf_fs_info(&in.fs, imsi, &info), 0);
		assert_int_equal(info.size, 9);
		assert_int_equal(info.sfi, 7); /* template default */
		size_t wn = txt_content(txt, "ef-imsi", want, sizeof want);
		assert_int_equal(wn, 9);
		read_ef(&in.fs, imsi, b, 9);
		assert_memory_equal(b, want, 9);

		/* EF_DIR record 1 is the USIM's application template */
		const uint8_t path_dir[] = {0x2F, 0x00};
		assert_int_equal(sf_fs_find_path(&in.fs, path_dir, 2, &h), 0);
		assert_int_equal(sf_fs_info(&in.fs, h, &info), 0);
		assert_int_equal(info.type, SF_FS_EF_LINEAR_FIXED);
		assert_int_equal(info.rec_len, 0x21);
		assert_int_equal(info.nrec, 4);
		read_ef(&in.fs, h, b, 0x21);
		assert_int_equal(b[0], 0x61);
		assert_int_equal(b[3], sizeof usim_aid);
		assert_memory_equal(b + 4, usim_aid, sizeof usim_aid);
		assert_int_equal(b[22], 0xFF); /* rest of the record: fill */
		assert_int_equal(sf_fs_read_content(&in.fs, h, 0x21, b, 1), 0);
		assert_int_equal(b[0], 0x61); /* record 2 after fillFileOffset */

		/* a file given only through the template: ef-umpc (no efFileSize) */
		const uint8_t path_umpc[] = {0x2F, 0x08};
		assert_int_equal(sf_fs_find_path(&in.fs, path_umpc, 2, &h), 0);
		assert_int_equal(sf_fs_info(&in.fs, h, &info), 0);
		assert_int_equal(info.size, 5);
		/* a fill pattern: DF_TELECOM/EF_SUME starts 85 00 then FF */
		const uint8_t path_sume[] = {0x7F, 0x10, 0x6F, 0x54};
		assert_int_equal(sf_fs_find_path(&in.fs, path_sume, 4, &h), 0);
		read_ef(&in.fs, h, b, 3);
		assert_int_equal(b[0], 0x85);
		assert_int_equal(b[1], 0x00);
		assert_int_equal(b[2], 0xFF);
		/* GFM-created file under DF_TELECOM/DF_PHONEBOOK */
		const uint8_t path_gfm[] = {0x7F, 0x10, 0x5F, 0x3A, 0x4F, 0x09};
		assert_int_equal(sf_fs_find_path(&in.fs, path_gfm, 6, &h), 0);

		/* AKA: the XOR test algorithm with K 000102..0F */
		assert_true(in.out.has_aka);
		assert_int_equal(in.out.aka.alg, SF_AKA_ALG_XOR);
		assert_int_equal(in.out.aka.k_len, 16);
		for (int k = 0; k < 16; k++)
			assert_int_equal(in.out.aka.k[k], k);
		assert_int_equal(in.out.aka.res_len, 16);
		assert_int_equal(in.out.sqn.ind_bits, 5);
		assert_true(in.out.stored_only >= 1); /* the ISIM's akaParameter, rfm, ... */

		/* PIN1 "0000" disabled, 3 tries, PUK1 "11111111"; ADM1 "55555555" */
		struct sf_pin_status ps;
		assert_int_equal(sf_pin_status(&in.pins, SF_PIN_REF_PIN1, &ps), 0);
		assert_false(ps.enabled);
		assert_int_equal(ps.max, 3);
		assert_int_equal(ps.left, 3);
		assert_true(ps.has_puk);
		assert_int_equal(ps.puk_max, 10);
		for (unsigned k = 0; k < SF_PINS_MAX; k++) {
			const struct sf_pin *p = &in.pins.pin[k];
			if (p->ref == SF_PIN_REF_PIN1) {
				assert_memory_equal(p->value, "0000\xFF\xFF\xFF\xFF", 8);
				assert_memory_equal(p->puk, "11111111", 8);
			}
			if (p->ref == SF_PIN_REF_ADM1)
				assert_memory_equal(p->value, "55555555", 8);
		}
		assert_int_equal(sf_pin_status(&in.pins, SF_PIN_REF_ADM1, &ps), 0);
		assert_true(ps.enabled);
		assert_int_equal(sf_pin_status(&in.pins, SF_PIN_REF_PIN2, &ps), 0);
		assert_true(ps.enabled);

		/* the same through APDUs */
		check_card_imsi(&in, want, 9);

		inst_free(&in);
		free(pkg);
		free(txt);
	}
	if (!ran) {
		print_message("skipped: TS.48 packages not found in $SF_SHARED/gsma/ts48-v7 "
			      "(set SF_SHARED to the shared directory)\n");
		skip();
	}
}

/* ---- built packages ---- */

static const uint8_t k_m[16] = {0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
                                0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc};
static const uint8_t opc_m[16] = {0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e,
                                  0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf};

static uint8_t *build(size_t *len)
{
	struct sf_saip_build_params p = {
	    .iccid = "89000123456789012341",
	    .imsi = "001010123456789",
	    .algorithm = SF_SAIP_ALG_MILENAGE,
	    .k = k_m,
	    .k_len = 16,
	    .opc = opc_m,
	    .opc_len = 16,
	    .spn = "simfleet",
	};
	struct sf_saip_error e;
	size_t need = 0;
	assert_int_equal(sf_saip_build(&p, NULL, 0, &need, &e), SF_EBUFSIZE);
	uint8_t *b = malloc(need);
	assert_non_null(b);
	assert_int_equal(sf_saip_build(&p, b, need, len, &e), 0);
	return b;
}

static void test_built_milenage(void **state)
{
	(void)state;
	size_t len;
	uint8_t *pkg = build(&len);
	struct inst in;
	assert_int_equal(install(&in, pkg, len, ARENA_CAP), 0);
	print_message("built package: %zu octets, %u files, arena %zu octets\n", len, in.out.files,
	              sf_fs_used(&in.fs));
	assert_true(in.out.has_aka);
	assert_int_equal(in.out.aka.alg, SF_AKA_ALG_MILENAGE);
	assert_memory_equal(in.out.aka.k, k_m, 16);
	assert_int_equal(in.out.aka.opc_len, 16);
	assert_memory_equal(in.out.aka.opc, opc_m, 16);
	assert_string_equal(in.out.spn, "simfleet");
	assert_true(in.out.has_usim);
	uint32_t adf, h;
	assert_int_equal(sf_fs_find_adf(&in.fs, in.out.usim_aid, in.out.usim_aid_len, &adf), 0);
	assert_int_equal(sf_fs_find(&in.fs, adf, 0x6F07, &h), 0);
	uint8_t b[9];
	read_ef(&in.fs, h, b, 9);
	/* IMSI 001010123456789: 08, 09 10 10 10 32 54 76 98 */
	const uint8_t imsi[9] = {0x08, 0x09, 0x10, 0x10, 0x10, 0x32, 0x54, 0x76, 0x98};
	assert_memory_equal(b, imsi, 9);
	check_card_imsi(&in, imsi, 9);
	inst_free(&in);
	free(pkg);
}

/* ---- errors ---- */

static void test_truncated(void **state)
{
	(void)state;
	size_t len;
	uint8_t *pkg = build(&len);
	for (size_t cut = 1; cut < len; cut += (cut < 64 ? 1 : 37)) {
		uint8_t *t = malloc(len - cut);
		memcpy(t, pkg, len - cut);
		struct inst in;
		memset(&in, 0, sizeof in);
		in.arena = malloc(ARENA_CAP);
		assert_int_equal(sf_fs_init(&in.fs, in.arena, ARENA_CAP), 0);
		sf_pins_init(&in.pins);
		int rc = sf_saip_install(t, len - cut, &in.fs, &in.pins, &in.out, &in.err);
		assert_true(rc < 0);
		assert_false(in.out.has_aka);
		inst_free(&in);
		free(t);
	}
	free(pkg);
}

static void test_duplicate_fid(void **state)
{
	(void)state;
	size_t len;
	uint8_t *pkg = build(&len);
	/* EF_KEYS (fileID 83 02 6F 08) renamed to EF_IMSI's FID */
	int found = 0;
	for (size_t i = 0; i + 4 <= len; i++)
		if (pkg[i] == 0x83 && pkg[i + 1] == 0x02 && pkg[i + 2] == 0x6F &&
		    pkg[i + 3] == 0x08) {
			pkg[i + 3] = 0x07;
			found = 1;
			break;
		}
	assert_true(found);
	struct inst in;
	assert_int_equal(install(&in, pkg, len, ARENA_CAP), SF_ECARD_FS_EXISTS);
	assert_string_equal(in.err.element, "usim");
	assert_non_null(in.err.field);
	assert_string_equal(in.err.field, "ef-keys");
	char msg[256];
	sf_saip_error_format(&in.err, msg, sizeof msg);
	assert_non_null(strstr(msg, "usim"));
	assert_false(in.out.has_aka);
	inst_free(&in);
	free(pkg);
}

static void test_small_arena(void **state)
{
	(void)state;
	size_t len;
	uint8_t *pkg = build(&len);
	struct inst in;
	assert_int_equal(install(&in, pkg, len, 512), SF_ECARD_FS_SPACE);
	assert_non_null(in.err.element);
	inst_free(&in);
	free(pkg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ts48),        cmocka_unit_test(test_built_milenage),
	    cmocka_unit_test(test_truncated),   cmocka_unit_test(test_duplicate_fid),
	    cmocka_unit_test(test_small_arena),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
