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

#include "helper_tsv.h"
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

static uint8_t *load(const char *name, const char *ext, size_t *len)
{
	const char *shared = getenv("SF_SHARED");
	char path[1024];
	if (shared == NULL)
		return NULL;
	snprintf(path, sizeof path, "%s/gsma/ts48-v7/%s.%s", shared, name, ext);
	return sf_test_read_file(path, len);
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

/* ---- hand-built template elements ----
 * A template PE is appended to the package sf_saip_build writes, before its
 * end element.  DER by hand: ProfileElement CHOICE tag [n] (A0+n below 31,
 * BF n from 31), PEHeader A0 { 80 00 mandated, 81 identification },
 * templateID 81, File field k [k] (A0+k) of CHOICE items doNotCreate 80 00,
 * fileDescriptor A1 (Fcp content: 82 descriptor, 83 fileID, 84 dfName, 80
 * efFileSize, ...), fillFileOffset 82, fillFileContent 83. */

struct der {
	uint8_t b[2048];
	size_t n;
};

static void der_raw(struct der *d, const uint8_t *p, size_t n)
{
	assert_true(d->n + n <= sizeof d->b);
	memcpy(d->b + d->n, p, n);
	d->n += n;
}

static void der_hex(struct der *d, const char *hex)
{
	uint8_t t[256];
	size_t n = unhex(hex, t, sizeof t);
	assert_int_equal(n * 2, strlen(hex));
	der_raw(d, t, n);
}

/* tag (hex) + minimal DER length + the content of v */
static void der_tlv(struct der *d, const char *tag, const struct der *v)
{
	uint8_t l[3];
	size_t ln = 0;
	der_hex(d, tag);
	if (v->n < 128) {
		l[ln++] = (uint8_t)v->n;
	} else if (v->n < 256) {
		l[ln++] = 0x81;
		l[ln++] = (uint8_t)v->n;
	} else {
		l[ln++] = 0x82;
		l[ln++] = (uint8_t)(v->n >> 8);
		l[ln++] = (uint8_t)v->n;
	}
	der_raw(d, l, ln);
	der_raw(d, v->b, v->n);
}

/* File field k: "fcp" the Fcp content (NULL: no fileDescriptor item, "":
 * an empty one), "content" one fillFileContent (NULL: none), dnc
 * doNotCreate first. */
static void file_field(struct der *pe, unsigned k, int dnc, const char *fcp, const char *content)
{
	struct der f = {.n = 0}, x = {.n = 0};
	char tag[12];
	if (dnc)
		der_hex(&f, "8000");
	if (fcp != NULL) {
		der_hex(&x, fcp);
		der_tlv(&f, "A1", &x);
	}
	if (content != NULL) {
		x.n = 0;
		der_hex(&x, content);
		der_tlv(&f, "83", &x);
	}
	if (k < 31)
		snprintf(tag, sizeof tag, "%02X", 0xA0 + k);
	else
		snprintf(tag, sizeof tag, "BF%02X", k);
	der_tlv(pe, tag, &f);
}

/* The PE: choice tag (hex, "BB"), identification, template OID last arc,
 * and its File fields in body. */
static void template_pe_v(struct der *out, const char *tag, unsigned id, unsigned oid_last,
                          unsigned version, const struct der *body)
{
	struct der v = {.n = 0};
	char h[64];
	snprintf(h, sizeof h, "A005800081%02X%02X", 1, id);
	der_hex(&v, h);
	if (version == 0)
		snprintf(h, sizeof h, "810667810F0102%02X", oid_last);
	else /* a versioned template OID {2 23 143 1 2 n v} */
		snprintf(h, sizeof h, "810767810F0102%02X%02X", oid_last, version);
	der_hex(&v, h);
	der_raw(&v, body->b, body->n);
	der_tlv(out, tag, &v);
}

static void template_pe(struct der *out, const char *tag, unsigned id, unsigned oid_last,
                        const struct der *body)
{
	template_pe_v(out, tag, id, oid_last, 0, body);
}

/* The built package with pe inserted before its end element; installed. */
static void install_with(struct inst *in, const struct der *pe, int want_rc)
{
	size_t len;
	uint8_t *pkg = build(&len);
	/* the end element is the last 9 octets: AA 07 A0 05 80 00 81 01 id */
	assert_true(len > 9);
	assert_int_equal(pkg[len - 9], 0xAA);
	assert_int_equal(pkg[len - 8], 0x07);
	uint8_t *p = malloc(len + pe->n);
	assert_non_null(p);
	memcpy(p, pkg, len - 9);
	memcpy(p + len - 9, pe->b, pe->n);
	memcpy(p + len - 9 + pe->n, pkg + len - 9, 9);
	assert_int_equal(install(in, p, len + pe->n, ARENA_CAP), want_rc);
	free(p);
	free(pkg);
}

static uint32_t usim_adf(const struct inst *in)
{
	uint32_t adf;
	assert_int_equal(sf_fs_find_adf(&in->fs, in->out.usim_aid, in->out.usim_aid_len, &adf), 0);
	return adf;
}

static void check_ef(const struct inst *in, uint32_t parent, uint16_t fid, uint32_t size,
                     uint8_t sfi, const char *head_hex)
{
	uint32_t h;
	struct sf_fs_info info;
	uint8_t want[64], got[64];
	print_message("  EF %04X\n", fid);
	assert_int_equal(sf_fs_find(&in->fs, parent, fid, &h), 0);
	assert_int_equal(sf_fs_info(&in->fs, h, &info), 0);
	assert_int_equal(info.size, size);
	assert_int_equal(info.sfi, sfi);
	size_t n = unhex(head_hex, want, sizeof want);
	assert_true(n <= size);
	assert_int_equal(sf_fs_read_content(&in->fs, h, 0, got, n), 0);
	assert_memory_equal(got, want, n);
}

/* DF_CD {2 23 143 1 2 2}: root from the template alone, EF_LAUNCHPAD with
 * efFileSize, an EF_ICON with its fileID. */
static void test_template_df_cd(void **state)
{
	(void)state;
	struct der body = {.n = 0}, pe = {.n = 0};
	file_field(&body, 2, 0, "", NULL);
	file_field(&body, 3, 0, "800110", "01020304");
	file_field(&body, 4, 0, "83026F40800108", "AABB");
	template_pe(&pe, "B1", 40, 2, &body);
	struct inst in;
	install_with(&in, &pe, 0);
	const uint8_t path[] = {0x7F, 0x11};
	uint32_t cd;
	struct sf_fs_info info;
	assert_int_equal(sf_fs_find_path(&in.fs, path, 2, &cd), 0);
	assert_int_equal(sf_fs_info(&in.fs, cd, &info), 0);
	assert_int_equal(info.type, SF_FS_DF);
	assert_int_equal(info.arr_rec, 14);
	check_ef(&in, cd, 0x6F01, 16, 0, "01020304FF");
	check_ef(&in, cd, 0x6F40, 8, 0, "AABBFF");
	inst_free(&in);

	/* an EF_ICON without fileID: the template cannot name it */
	body.n = pe.n = 0;
	file_field(&body, 2, 0, "", NULL);
	file_field(&body, 4, 0, "800108", NULL);
	template_pe(&pe, "B1", 40, 2, &body);
	install_with(&in, &pe, SF_ESAIP_UNSUPPORTED);
	assert_string_equal(in.err.field, "ef-icon");
	inst_free(&in);
}

/* DF_EAP {2 23 143 1 2 12}: under the USIM ADF (the last application), the
 * DF's FID from the profile, EF_EAPSTATUS with the template's size and
 * default content 00. */
static void test_template_eap(void **state)
{
	(void)state;
	struct der body = {.n = 0}, pe = {.n = 0};
	file_field(&body, 2, 0, "83025F10", NULL);
	file_field(&body, 3, 0, "800120", "0102");
	file_field(&body, 4, 0, "", NULL);
	template_pe(&pe, "BB", 40, 12, &body);
	struct inst in;
	install_with(&in, &pe, 0);
	uint32_t df;
	assert_int_equal(sf_fs_find(&in.fs, usim_adf(&in), 0x5F10, &df), 0);
	check_ef(&in, df, 0x4F01, 32, 0, "0102FF");
	check_ef(&in, df, 0x4F02, 1, 0, "00");
	inst_free(&in);

	/* df-eap without fileID */
	body.n = pe.n = 0;
	file_field(&body, 2, 0, "", NULL);
	file_field(&body, 4, 0, "", NULL);
	template_pe(&pe, "BB", 40, 12, &body);
	install_with(&in, &pe, SF_ESAIP_UNSUPPORTED);
	assert_string_equal(in.err.field, "df-eap");
	inst_free(&in);
}

/* DF_SNPN {2 23 143 1 2 15}: 5FE0 under the USIM, EF_PWS_SNPN 4F01 (1 octet)
 * given by its content alone. */
static void test_template_df_snpn(void **state)
{
	(void)state;
	struct der body = {.n = 0}, pe = {.n = 0};
	file_field(&body, 2, 0, "", NULL);
	file_field(&body, 3, 0, NULL, "01");
	template_pe(&pe, "BE", 40, 15, &body);
	struct inst in;
	install_with(&in, &pe, 0);
	uint32_t df;
	struct sf_fs_info info;
	assert_int_equal(sf_fs_find(&in.fs, usim_adf(&in), 0x5FE0, &df), 0);
	assert_int_equal(sf_fs_info(&in.fs, df, &info), 0);
	assert_int_equal(info.type, SF_FS_DF);
	check_ef(&in, df, 0x4F01, 1, 0, "01");
	inst_free(&in);
}

/* DF_5G_ProSe {2 23 143 1 2 16}: 5FF0 under the USIM; EF_5G_PROSE_ST with
 * content, EF_5G_PROSE_DD from the template (26 octets, SFI 2). */
static void test_template_df_5gprose(void **state)
{
	(void)state;
	struct der body = {.n = 0}, pe = {.n = 0};
	file_field(&body, 2, 0, "", NULL);
	file_field(&body, 3, 0, NULL, "03");
	file_field(&body, 4, 0, "", NULL);
	template_pe(&pe, "BF1F", 40, 16, &body);
	struct inst in;
	install_with(&in, &pe, 0);
	uint32_t df;
	assert_int_equal(sf_fs_find(&in.fs, usim_adf(&in), 0x5FF0, &df), 0);
	check_ef(&in, df, 0x4F01, 1, 1, "03");
	check_ef(&in, df, 0x4F02, 26, 2, "FFFF");
	uint32_t h;
	assert_int_equal(sf_fs_find(&in.fs, df, 0x4F03, &h), SF_ENOENT); /* not listed */
	inst_free(&in);
}

/* "Created by Default": the built package lists 9 of the USIM template's
 * 24 files and 4 of the MF's 6; the others are created with the template's
 * size, SFI and default content. */
static void test_created_by_default(void **state)
{
	(void)state;
	size_t len;
	uint8_t *pkg = build(&len);
	struct inst in;
	assert_int_equal(install(&in, pkg, len, ARENA_CAP), 0);
	assert_int_equal(in.out.files, 30);
	uint32_t adf = usim_adf(&in), iccid;
	struct sf_fs_info info;
	const uint8_t iccid_path[] = {0x2F, 0xE2};
	assert_int_equal(sf_fs_find_path(&in.fs, iccid_path, 2, &iccid), 0);
	assert_int_equal(sf_fs_info(&in.fs, iccid, &info), 0);
	uint32_t mf = info.parent;
	check_ef(&in, mf, 0x2F05, 2, 5, "FFFF");                        /* EF_PL */
	check_ef(&in, mf, 0x2F08, 5, 8, "FF");                          /* EF_UMPC */
	check_ef(&in, adf, 0x6F31, 1, 0x12, "0A");                      /* EF_HPPLMN */
	check_ef(&in, adf, 0x6F09, 33, 9, "07FFFF");                    /* EF_KEYSPS */
	check_ef(&in, adf, 0x6F7E, 11, 0x0B, "FFFFFFFFFFFFFF0000FF01"); /* EF_LOCI */
	check_ef(&in, adf, 0x6FC4, 128, 0, "FFFF");                     /* EF_NETPAR */
	/* EF_SMS: 10 records of 176, each 00 FF...FF */
	uint32_t h;
	uint8_t b[2];
	assert_int_equal(sf_fs_find(&in.fs, adf, 0x6F3C, &h), 0);
	assert_int_equal(sf_fs_info(&in.fs, h, &info), 0);
	assert_int_equal(info.type, SF_FS_EF_LINEAR_FIXED);
	assert_int_equal(info.rec_len, 176);
	assert_int_equal(info.nrec, 10);
	assert_int_equal(info.arr_fid, 0x6F06);
	assert_int_equal(info.arr_rec, 5);
	assert_int_equal(sf_fs_read_content(&in.fs, h, 9 * 176, b, 2), 0);
	assert_int_equal(b[0], 0x00);
	assert_int_equal(b[1], 0xFF);
	/* listed files keep their content: EF_AD as the package gives it */
	assert_int_equal(sf_fs_find(&in.fs, adf, 0x6FAD, &h), 0);
	inst_free(&in);
	free(pkg);
}

/* ADF_ISIM {2 23 143 1 2 8}, created by default: EF_AD (optional in
 * PE-ISIM) is created with 00 00 00 when the PE leaves it out, and not at
 * all when the PE lists it with doNotCreate. */
static void test_created_by_default_isim(void **state)
{
	(void)state;
	static const uint8_t isim_aid[] = {0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x04};
	for (int dnc = 0; dnc < 2; dnc++) {
		struct der body = {.n = 0}, pe = {.n = 0};
		file_field(&body, 2, 0, "83027FF08407A0000000871004", NULL); /* adf-isim */
		file_field(&body, 3, 0, "800110", "8005");                   /* ef-impi */
		file_field(&body, 4, 0, "820442210010800110", NULL);         /* ef-impu */
		file_field(&body, 5, 0, "800110", "8003");                   /* ef-domain */
		file_field(&body, 6, 0, NULL, "01");                         /* ef-ist */
		if (dnc)
			file_field(&body, 7, 1, NULL, NULL);                 /* ef-ad */
		file_field(&body, 8, 0, "820442210010800120", "8001019000"); /* ef-arr */
		template_pe(&pe, "B5", 40, 8, &body);
		struct inst in;
		install_with(&in, &pe, 0);
		uint32_t adf, h;
		assert_int_equal(sf_fs_find_adf(&in.fs, isim_aid, sizeof isim_aid, &adf), 0);
		if (dnc)
			assert_int_equal(sf_fs_find(&in.fs, adf, 0x6FAD, &h), SF_ENOENT);
		else
			check_ef(&in, adf, 0x6FAD, 3, 3, "000000");
		check_ef(&in, adf, 0x6F02, 16, 2, "8005FF");
		inst_free(&in);
	}
}

/* Versioned template OIDs {2 23 143 1 2 n v}: version 2 of ADF_USIM
 * ({.. 4 2}) makes EF_UST 17 octets where version 1 has 14.  A second USIM
 * (its own AID and temporary FID) lists only the PE-USIM mandatory files;
 * EF_UST is given by its content alone. */
static void test_template_version_usim(void **state)
{
	(void)state;
	static const uint8_t aid[] = {0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02, 0xFF, 0xAA};
	for (unsigned ver = 0; ver <= 2; ver += 2) {
		struct der body = {.n = 0}, pe = {.n = 0};
		file_field(&body, 2, 0, "83027FE08409A0000000871002FFAA", NULL); /* adf-usim */
		file_field(&body, 3, 0, NULL, "080910101032547698");             /* ef-imsi */
		file_field(&body, 4, 0, "820442210010800120", "8001019000");     /* ef-arr */
		file_field(&body, 8, 0, NULL, "01");                             /* ef-ust */
		file_field(&body, 13, 0, NULL, "00");                            /* ef-spn */
		file_field(&body, 14, 0, NULL, "00");                            /* ef-est */
		file_field(&body, 18, 0, NULL, "0001");                          /* ef-acc */
		file_field(&body, 22, 0, NULL, "FFFFFFFF");                      /* ef-ecc */
		template_pe_v(&pe, "B3", 40, 4, ver, &body);
		struct inst in;
		install_with(&in, &pe, 0);
		uint32_t adf;
		assert_int_equal(sf_fs_find_adf(&in.fs, aid, sizeof aid, &adf), 0);
		check_ef(&in, adf, 0x6F38, ver == 2 ? 17 : 14, 4, "01FF");
		check_ef(&in, adf, 0x6F08, 33, 8, "07FF"); /* created by default, both versions */
		inst_free(&in);
	}
}

/* DF_5GS version 4 {.. 13 4}: EF_CAG 4F0D and EF_TN3GPPSNN 4F0C come from the
 * version 2+/4 tables, the NSC files have 2 records of 62 octets (version
 * 3+).  The same element under the version 1 OID cannot name them; an
 * unknown version is refused, not replaced by another. */
static void test_template_version_5gs(void **state)
{
	(void)state;
	struct der body = {.n = 0}, pe = {.n = 0};
	file_field(&body, 2, 0, "", NULL);    /* df-df-5gs */
	file_field(&body, 5, 0, "", NULL);    /* ef-5gs3gppnsc */
	file_field(&body, 14, 0, NULL, "01"); /* ef-tn3gppsnn */
	file_field(&body, 15, 0, NULL, "01"); /* ef-cag */
	template_pe_v(&pe, "BC", 40, 13, 4, &body);
	struct inst in;
	install_with(&in, &pe, 0);
	uint32_t df, h;
	struct sf_fs_info info;
	assert_int_equal(sf_fs_find(&in.fs, usim_adf(&in), 0x5FC0, &df), 0);
	check_ef(&in, df, 0x4F0C, 1, 0x0C, "01");
	check_ef(&in, df, 0x4F0D, 2, 0x0D, "01FF");
	assert_int_equal(sf_fs_find(&in.fs, df, 0x4F03, &h), 0);
	assert_int_equal(sf_fs_info(&in.fs, h, &info), 0);
	assert_int_equal(info.type, SF_FS_EF_LINEAR_FIXED);
	assert_int_equal(info.rec_len, 62);
	assert_int_equal(info.nrec, 2);
	inst_free(&in);

	pe.n = 0;
	template_pe_v(&pe, "BC", 40, 13, 0, &body);
	install_with(&in, &pe, SF_ESAIP_UNSUPPORTED);
	assert_string_equal(in.err.field, "ef-tn3gppsnn");
	inst_free(&in);

	pe.n = 0;
	template_pe_v(&pe, "BC", 40, 13, 9, &body);
	install_with(&in, &pe, SF_ESAIP_UNSUPPORTED);
	assert_string_equal(in.err.field, "templateID");
	assert_non_null(strstr(in.err.detail, "version"));
	inst_free(&in);
}

/* Optional USIM version 3 {.. 5 3}: EF_eAKA 6F01 (1 octet); under version 2
 * it is unknown. */
static void test_template_version_opt_usim(void **state)
{
	(void)state;
	struct der body = {.n = 0}, pe = {.n = 0};
	file_field(&body, 87, 0, NULL, "01"); /* ef-eaka */
	template_pe_v(&pe, "B4", 40, 5, 3, &body);
	struct inst in;
	install_with(&in, &pe, 0);
	check_ef(&in, usim_adf(&in), 0x6F01, 1, 0, "01");
	inst_free(&in);
	pe.n = 0;
	template_pe_v(&pe, "B4", 40, 5, 2, &body);
	install_with(&in, &pe, SF_ESAIP_UNSUPPORTED);
	assert_string_equal(in.err.field, "ef-eaka");
	inst_free(&in);
}

/* The IoT Minimal Profile templates {.. 17} (iot, created by default) and
 * {.. 18} (opt-iot): no public transcription of their tables, refused with
 * a message that says so. */
static void test_template_iot(void **state)
{
	(void)state;
	struct der body = {.n = 0}, pe = {.n = 0};
	file_field(&body, 9, 0, NULL, "080910101032547698"); /* ef-imsi */
	file_field(&body, 18, 0, NULL, "0001");              /* ef-acc */
	template_pe(&pe, "BF20", 40, 17, &body);
	struct inst in;
	install_with(&in, &pe, SF_ESAIP_UNSUPPORTED);
	assert_string_equal(in.err.element, "iot");
	assert_string_equal(in.err.field, "templateID");
	assert_non_null(strstr(in.err.detail, "IoT"));
	inst_free(&in);

	body.n = pe.n = 0;
	file_field(&body, 6, 0, NULL, "00"); /* ef-spn */
	template_pe(&pe, "BF21", 40, 18, &body);
	install_with(&in, &pe, SF_ESAIP_UNSUPPORTED);
	assert_string_equal(in.err.field, "templateID");
	assert_non_null(strstr(in.err.detail, "IoT"));
	inst_free(&in);
}

/* ADF_CSIM {.. 10}: every File of PE-CSIM is mandatory in the module, so the
 * "created by default" rule never adds a file: here each EF is listed with
 * doNotCreate except EF_ARR and EF_IMSI_M, which carry their Fcp (the CSIM
 * annex is not transcribed: no template FIDs or sizes).  An opt-csim
 * {.. 11} element then adds EF_SPN under the CSIM ADF.  A CSIM file
 * without fileID/fileDescriptor, and a PE-CSIM missing a mandatory File,
 * are refused. */
static void csim_body(struct der *body, int imsi_m_fcp, unsigned skip)
{
	file_field(body, 2, 0, "83027FC08410A0000003431002F310FFFF89020000FF", NULL);
	file_field(body, 3, 0, "82044221001083026F068B0101800120", "8001019000"); /* ef-arr */
	for (unsigned k = 4; k <= 36; k++) {
		if (k == skip)
			continue;
		if (k == 5) /* ef-imsi-m, 10 octets */
			file_field(body, 5, 0, imsi_m_fcp ? "8202412183026F228B0101" : NULL,
			           "008D03CB11033480DE03");
		else
			file_field(body, k, 1, NULL, NULL);
	}
}

static void test_template_csim(void **state)
{
	(void)state;
	static const uint8_t aid[] = {0xA0, 0x00, 0x00, 0x03, 0x43, 0x10, 0x02, 0xF3,
	                              0x10, 0xFF, 0xFF, 0x89, 0x02, 0x00, 0x00, 0xFF};
	struct der body = {.n = 0}, pe = {.n = 0}, opt = {.n = 0};
	csim_body(&body, 1, 0);
	template_pe(&pe, "B9", 40, 10, &body);
	body.n = 0;
	file_field(&body, 8, 0, "8202412183026F418B0101800123", "01"); /* ef-spn, 35 octets */
	template_pe(&opt, "BA", 41, 11, &body);
	der_raw(&pe, opt.b, opt.n);
	struct inst in;
	install_with(&in, &pe, 0);
	uint32_t adf, h;
	assert_int_equal(sf_fs_find_adf(&in.fs, aid, sizeof aid, &adf), 0);
	check_ef(&in, adf, 0x6F22, 10, 0, "008D03CB11033480DE03");
	check_ef(&in, adf, 0x6F41, 35, 0, "01FF");
	assert_int_equal(sf_fs_find(&in.fs, adf, 0x6F06, &h), 0);
	assert_int_equal(sf_fs_find(&in.fs, adf, 0x6F21, &h), SF_ENOENT); /* doNotCreate */
	assert_int_equal(sf_fs_find(&in.fs, adf, 0x6F23, &h), SF_ENOENT);
	inst_free(&in);

	body.n = pe.n = 0;
	csim_body(&body, 0, 0);
	template_pe(&pe, "B9", 40, 10, &body);
	install_with(&in, &pe, SF_ESAIP_UNSUPPORTED);
	assert_string_equal(in.err.field, "ef-imsi-m");
	inst_free(&in);

	body.n = pe.n = 0;
	csim_body(&body, 1, 7); /* no ef-tmsi */
	template_pe(&pe, "B9", 40, 10, &body);
	install_with(&in, &pe, SF_ESAIP_FORMAT);
	inst_free(&in);
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
	    cmocka_unit_test(test_ts48),
	    cmocka_unit_test(test_built_milenage),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_duplicate_fid),
	    cmocka_unit_test(test_small_arena),
	    cmocka_unit_test(test_template_df_cd),
	    cmocka_unit_test(test_template_eap),
	    cmocka_unit_test(test_template_df_snpn),
	    cmocka_unit_test(test_template_df_5gprose),
	    cmocka_unit_test(test_created_by_default),
	    cmocka_unit_test(test_created_by_default_isim),
	    cmocka_unit_test(test_template_version_usim),
	    cmocka_unit_test(test_template_version_5gs),
	    cmocka_unit_test(test_template_version_opt_usim),
	    cmocka_unit_test(test_template_iot),
	    cmocka_unit_test(test_template_csim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
