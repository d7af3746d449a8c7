/* The UICC file system and PINs (ETSI TS 102 221 §8-§11) driven through a
 * real struct sf_card with the raw APDUs a terminal sends, checking whole
 * R-APDUs: SELECT (FID, path, AID, partial AID) with FCPs, T=0 61xx/GET
 * RESPONSE, BINARY and RECORD commands (SFI, modes, cyclic EFs), SEARCH
 * RECORD, access conditions from EF_ARR, PIN commands and counters,
 * per-channel selection, arena persistence and corruption. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helper_tsv.h"
#include "simfleet/card.h"
#include "simfleet/err.h"
#include "simfleet/uicc_fs.h"

#define USIM_AID "A0000000871002FF33FFFF8901010100"
#define ARENA_CAP 4096

/* ---- fixture: the card and its file system ---- */

struct fx {
	struct sf_card card;
	struct sf_fs fs;
	struct sf_pins pins;
	uint8_t arena[ARENA_CAP];
	uint32_t mf, arr, dir, iccid, telecom, adn, adf, imsi, ust, spn, acm, msisdn;
};

static int app_process(void *user, struct sf_card *card, const struct sf_apdu *cmd,
		       struct sf_rapdu *rsp)
{
	struct fx *f = user;
	int rc = sf_fs_process(&f->fs, &f->pins, card, cmd, rsp);
	if (rc == SF_ECARD_UNHANDLED) { /* the eUICC would try its next application */
		rsp->sw = SF_SW_INS_NOT_SUPPORTED;
		return 0;
	}
	return rc;
}

static void app_reset(void *user, struct sf_card *card, enum sf_card_reset_kind kind)
{
	struct fx *f = user;
	(void)card;
	(void)kind;
	sf_fs_reset(&f->fs);
}

static void app_opened(void *user, struct sf_card *card, unsigned ch, unsigned origin)
{
	struct fx *f = user;
	sf_fs_channel_opened(&f->fs, card, ch, origin);
}

static const struct sf_card_app fs_app = {
	.process = app_process,
	.reset = app_reset,
	.channel_opened = app_opened,
};

static void hexv(const char *hex, uint8_t *dst, size_t cap, size_t *n)
{
	*n = sf_test_unhex(hex, dst, cap);
}

static struct sf_fs_attr rule(uint8_t rec)
{
	struct sf_fs_attr a = {.arr_fid = 0x2F06, .arr_rec = rec, .lcsi = 0};
	return a;
}

static void mk_ef(struct fx *f, uint32_t parent, uint16_t fid, enum sf_fs_type type,
		  uint32_t size_or_rl, uint8_t nrec, uint8_t sfi, uint8_t arr_rec, uint32_t *out)
{
	struct sf_fs_ef_params p = {.type = type, .sfi = sfi, .fill = 0xFF};
	if (type == SF_FS_EF_TRANSPARENT)
		p.size = size_or_rl;
	else {
		p.rec_len = (uint8_t)size_or_rl;
		p.nrec = nrec;
	}
	struct sf_fs_attr a = rule(arr_rec);
	assert_int_equal(sf_fs_create_ef(&f->fs, parent, fid, &p, &a, out), 0);
}

static void fill(struct fx *f, uint32_t file, size_t off, const char *hex)
{
	uint8_t b[256];
	size_t n;
	hexv(hex, b, sizeof(b), &n);
	assert_int_equal(sf_fs_write_content(&f->fs, file, off, b, n), 0);
}

/*
 * The tree:
 *   MF 3F00                               ARR 2F06#1
 *     EF_ARR   2F06 linear fixed 5 x 48   ARR #1, SFI 06
 *     EF_DIR   2F00 linear fixed 2 x 38   ARR #1, SFI 1E (explicit)
 *     EF_ICCID 2FE2 transparent 10        ARR #1, SFI 02 (default)
 *     DF_TELECOM 7F10                     ARR #1
 *       EF 6F3A linear fixed 5 x 6        ARR #5, no SFI
 *   ADF_USIM 7FF0 (AID USIM_AID)          ARR #1
 *     EF_IMSI 6F07 transparent 9          ARR #2, SFI 07 (default)
 *     EF_UST  6F38 transparent 4          ARR #3, SFI 18 (default)
 *     EF_SPN  6F46 transparent 17         ARR #4, no SFI
 *     EF_ACM  6F39 cyclic 3 x 3           ARR #5, SFI 19 (default)
 *     EF_MSISDN 6F40 linear fixed 3 x 4   ARR #5, SFI 0A (explicit)
 * EF_ARR records:
 *   1 read always; update, deactivate, activate ADM1
 *   2 read, update PIN1; deactivate, activate ADM1
 *   3 read always; update never
 *   4 read: PIN1 OR ADM1 (A0); update: PIN1 AND PIN2 (AF)
 *   5 read, update, deactivate, activate always
 */
static void build_tree(struct fx *f)
{
	struct sf_fs_attr a1 = rule(1);
	assert_int_equal(sf_fs_init(&f->fs, f->arena, sizeof(f->arena)), 0);
	assert_int_equal(sf_fs_create_mf(&f->fs, &a1, &f->mf), 0);
	mk_ef(f, f->mf, 0x2F06, SF_FS_EF_LINEAR_FIXED, 48, 5, SF_FS_SFI_DEFAULT, 1, &f->arr);
	mk_ef(f, f->mf, 0x2F00, SF_FS_EF_LINEAR_FIXED, 38, 2, 0x1E, 1, &f->dir);
	mk_ef(f, f->mf, 0x2FE2, SF_FS_EF_TRANSPARENT, 10, 0, SF_FS_SFI_DEFAULT, 1, &f->iccid);
	assert_int_equal(sf_fs_create_df(&f->fs, f->mf, 0x7F10, &a1, &f->telecom), 0);
	mk_ef(f, f->telecom, 0x6F3A, SF_FS_EF_LINEAR_FIXED, 6, 5, SF_FS_SFI_NONE, 5, &f->adn);
	uint8_t aid[16];
	size_t aid_len;
	hexv(USIM_AID, aid, sizeof(aid), &aid_len);
	assert_int_equal(sf_fs_create_adf(&f->fs, 0x7FF0, aid, aid_len, &a1, &f->adf), 0);
	mk_ef(f, f->adf, 0x6F07, SF_FS_EF_TRANSPARENT, 9, 0, SF_FS_SFI_DEFAULT, 2, &f->imsi);
	mk_ef(f, f->adf, 0x6F38, SF_FS_EF_TRANSPARENT, 4, 0, SF_FS_SFI_DEFAULT, 3, &f->ust);
	mk_ef(f, f->adf, 0x6F46, SF_FS_EF_TRANSPARENT, 17, 0, SF_FS_SFI_NONE, 4, &f->spn);
	mk_ef(f, f->adf, 0x6F39, SF_FS_EF_CYCLIC, 3, 3, SF_FS_SFI_DEFAULT, 5, &f->acm);
	mk_ef(f, f->adf, 0x6F40, SF_FS_EF_LINEAR_FIXED, 4, 3, 0x0A, 5, &f->msisdn);

	fill(f, f->arr, 0, "8001019000" "80011AA40683010A950108");
	fill(f, f->arr, 48, "800103A406830101950108" "800118A40683010A950108");
	fill(f, f->arr, 96, "8001019000" "8001029700");
	fill(f, f->arr, 144,
	     "800101A010A406830101950108A40683010A950108"
	     "800102AF10A406830101950108A406830181950108");
	fill(f, f->arr, 192, "80011B9000");
	fill(f, f->dir, 0, "61184F10" USIM_AID "500455534944");
	fill(f, f->iccid, 0, "98103254769810325476");
	fill(f, f->imsi, 0, "082926240000000010");
	fill(f, f->ust, 0, "9E6B1D04");
	fill(f, f->spn, 0, "0154657374");
	uint8_t r[6] = {1, 2, 3, 4, 5, 6};
	for (unsigned i = 1; i <= 5; i++) {
		r[0] = (uint8_t)(0x10 * i);
		assert_int_equal(sf_fs_write_record(&f->fs, f->adn, i, r, 6), 0);
	}
	fill(f, f->msisdn, 0, "A1A2A3A4" "B1B2B3B4" "C1C2C3C4");
	fill(f, f->acm, 0, "000001" "000002" "000003");

	sf_pins_init(&f->pins);
	assert_int_equal(sf_pin_set(&f->pins, SF_PIN_REF_PIN1, (const uint8_t *)"1234", 4, 3,
				    SF_PIN_ENABLED), 0);
	assert_int_equal(sf_pin_set_puk(&f->pins, SF_PIN_REF_PIN1, (const uint8_t *)"12345678", 8,
					10), 0);
	assert_int_equal(sf_pin_set(&f->pins, SF_PIN_REF_PIN2, (const uint8_t *)"5678", 4, 3,
				    SF_PIN_ENABLED), 0);
	assert_int_equal(sf_pin_set_puk(&f->pins, SF_PIN_REF_PIN2, (const uint8_t *)"87654321", 8,
					10), 0);
	assert_int_equal(sf_pin_set(&f->pins, SF_PIN_REF_ADM1, (const uint8_t *)"88888888", 8, 10,
				    0), 0);
	(void)sf_fs_take_dirty(&f->fs);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	build_tree(f);
	assert_int_equal(sf_card_init(&f->card, &fs_app, f, 0), 0);
	assert_int_equal(sf_card_reset(&f->card, SF_CARD_RESET_COLD), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sf_card_free(&f->card);
	sf_pins_free(&f->pins);
	free(f);
	return 0;
}

/* ---- transmission helpers ---- */

static size_t xmit(struct fx *f, const char *cmd_hex, uint8_t *out, size_t cap)
{
	uint8_t cmd[300];
	size_t n, rlen = 0;
	hexv(cmd_hex, cmd, sizeof(cmd), &n);
	/* an exact-size copy so ASan sees any over-read */
	uint8_t *exact = malloc(n ? n : 1);
	assert_non_null(exact);
	memcpy(exact, cmd, n);
	assert_int_equal(sf_card_transmit(&f->card, exact, n, out, cap, &rlen), 0);
	free(exact);
	return rlen;
}

/* Sends cmd_hex, checks the whole R-APDU (data || SW) against rsp_hex. */
#define TX(f, c, r) tx_((f), (c), (r), __LINE__)
static void tx_(struct fx *f, const char *cmd_hex, const char *rsp_hex, int line)
{
	uint8_t out[600], want[600];
	size_t rlen = xmit(f, cmd_hex, out, sizeof(out)), wlen;
	hexv(rsp_hex, want, sizeof(want), &wlen);
	char label[200];
	snprintf(label, sizeof(label), "line %d: %s", line, cmd_hex);
	if (rlen != wlen) {
		print_error("%s: response length %zu, expected %zu\n", label, rlen, wlen);
		sf_assert_mem(label, out, want, rlen < wlen ? rlen : wlen);
		fail();
	}
	sf_assert_mem(label, out, want, wlen);
}

/* SELECT/STATUS in T=0: "61 xx", then GET RESPONSE xx gives the FCP. */
#define TX61(f, c, r) tx61_((f), (c), (r), __LINE__)
static void tx61_(struct fx *f, const char *cmd_hex, const char *rsp_hex, int line)
{
	uint8_t want[300];
	size_t wlen;
	hexv(rsp_hex, want, sizeof(want), &wlen);
	assert_true(wlen >= 2);
	char sw61[8], gr[16];
	snprintf(sw61, sizeof(sw61), "61%02zX", wlen - 2);
	tx_(f, cmd_hex, sw61, line);
	snprintf(gr, sizeof(gr), "00C00000%02zX", wlen - 2);
	tx_(f, gr, rsp_hex, line);
}

/* Octets used by file f and everything under it, as the FCP's 81 gives. */
static uint32_t subtree(struct fx *f, uint32_t df)
{
	uint32_t total = 0;
	for (uint32_t g = SF_FS_HEADER_SIZE; g < sf_fs_used(&f->fs);) {
		struct sf_fs_info in;
		assert_int_equal(sf_fs_info(&f->fs, g, &in), 0);
		uint32_t len = SF_FS_FILE_OVERHEAD + in.aid_len + in.size;
		for (uint32_t a = g; a != 0;) {
			if (a == df) {
				total += len;
				break;
			}
			struct sf_fs_info ai;
			assert_int_equal(sf_fs_info(&f->fs, a, &ai), 0);
			a = ai.parent;
		}
		g += len;
	}
	return total;
}

#define PSDO "C60C9001E083010183018183010A" /* PIN1, PIN2, ADM1 all enabled */
#define VERIFY_PIN1 "002000010831323334FFFFFFFF"
#define VERIFY_ADM1 "0020000A083838383838383838"

/* ---- SELECT and FCPs ---- */

static void test_select_fcp(void **state)
{
	struct fx *f = *state;
	char want[300];

	/* MF, FCP requested: 61 xx then GET RESPONSE (T=0, case 3). */
	snprintf(want, sizeof(want),
		 "6222" "82027821" "83023F00" "8A0105" "8B032F0601" PSDO "8102%04X" "9000",
		 (unsigned)subtree(f, f->mf));
	TX61(f, "00A40004023F00", want);
	/* The same as case 4 with Le. */
	TX61(f, "00A40004023F0000", want);

	/* EF_ICCID: SFI 02 in 88, file size 80. */
	TX61(f, "00A40004022FE2",
	     "6217" "82024121" "83022FE2" "8A0105" "8B032F0601" "8002000A" "880110" "9000");
	TX(f, "00B000000A", "98103254769810325476" "9000");

	/* Path from the MF to a record EF without SFI: 82 with record length
	 * and count, empty 88. */
	TX61(f, "00A40804047F106F3A",
	     "6219" "820542210006" "05" "83026F3A" "8A0105" "8B032F0605" "8002001E" "8800"
	     "9000");

	/* ADF by full AID: 84 DF name, PS_DO, total size. */
	snprintf(want, sizeof(want),
		 "6234" "82027821" "83027FF0" "8410" USIM_AID "8A0105" "8B032F0601" PSDO
		 "8102%04X" "9000",
		 (unsigned)subtree(f, f->adf));
	TX61(f, "00A4040410" USIM_AID, want);
	/* Partial (right-truncated) AID, the RID + application code. */
	TX(f, "00A40004023F00", "6124");
	TX61(f, "00A4040407A0000000871002", want);
	/* 7FFF = the current ADF, from anywhere. */
	TX(f, "00A40004027F10", "6124");
	TX61(f, "00A40004027FFF", want);
	/* Path from the MF through 7FFF. */
	TX(f, "00A4080C047FFF6F07", "9000");
	TX(f, "00A40004023F00", "6124");
	/* Relative path from the current DF (MF here). */
	TX(f, "00A4090C047F106F3A", "9000");
	/* From EF 6F3A: its parent DF_TELECOM's children and DF_TELECOM itself,
	 * the parent (MF), a sibling of the current EF. */
	TX(f, "00A4000C027F10", "9000");
	TX(f, "00A4000C026F3A", "9000");
	TX(f, "00A4000C022FE2", "6A82"); /* not reachable from DF_TELECOM by FID */
	TX(f, "00A4030C", "9000");       /* parent DF: the MF */
	TX(f, "00A4000C022FE2", "9000");
	/* Child DF (P1 01), and P1 01 does not find EFs. */
	TX(f, "00A4010C027F10", "9000");
	TX(f, "00A40004023F00", "6124");
	TX(f, "00A4010C022FE2", "6A82");
	/* ADFs are reached by AID / 7FFF, not as children of the MF. */
	TX(f, "00A4000C027FF0", "6A82");
	/* Parent of the MF: none. */
	TX(f, "00A4030C", "6A82");

	/* P2 0C: no data.  P2 next occurrence with only one match: 6A 82. */
	TX(f, "00A4040C10" USIM_AID, "9000");
	TX(f, "00A4040E07A0000000871002", "6A82");
	/* AID that matches nothing. */
	TX(f, "00A4040C07A0000000871004", "6A82");

	/* Status on the selection: STATUS FCP of the current DF (the ADF). */
	snprintf(want, sizeof(want),
		 "6234" "82027821" "83027FF0" "8410" USIM_AID "8A0105" "8B032F0601" PSDO
		 "8102%04X" "9000",
		 (unsigned)subtree(f, f->adf));
	TX(f, "80F2000036", want); /* case 2, Le exact: data directly */
	TX(f, "80F2000112", "8410" USIM_AID "9000");
	TX(f, "80F2000C", "9000");
	TX(f, "80F20300", "6A86");
	TX(f, "00F2000C", "6E00"); /* STATUS is an 8X command */
}

static void test_select_errors_change_nothing(void **state)
{
	struct fx *f = *state;
	TX(f, "00A4000C022FE2", "9000");
	/* Malformed SELECTs: the current EF stays EF_ICCID. */
	TX(f, "00A4000C033F0000", "6700");  /* Lc 3 for a FID */
	TX(f, "00A4000C", "6700");          /* no FID */
	TX(f, "00A40000023F00", "6A86");    /* P2 00: FCI not offered */
	TX(f, "00A40001023F00", "6A86");    /* occurrence bits with P1 00 */
	TX(f, "00A4020C023F00", "6A86");    /* P1 02 not in TS 102 221 */
	TX(f, "00A4080C033F0000", "6700");  /* odd path */
	TX(f, "00A4080C047F106F99", "6A82");/* path to nothing */
	TX(f, "00A4040C00", "6700");        /* no AID (B5 00 is a case 2 Le) */
	TX(f, "00A4040C11" USIM_AID "00", "6700"); /* AID of 17 octets */
	TX(f, "80A4000C023F00", "6E00");    /* SELECT is a 0X command */
	TX(f, "00B000000A", "98103254769810325476" "9000");
	struct sf_fs_selection s;
	assert_int_equal(sf_fs_current(&f->fs, &f->card, 0, &s), 0);
	assert_int_equal(s.ef, f->iccid);
	assert_int_equal(s.df, f->mf);
	assert_int_equal(s.adf, 0);
}

/* ---- BINARY ---- */

static void test_binary(void **state)
{
	struct fx *f = *state;
	uint8_t out[300];

	TX(f, "00B000000A", "6986"); /* no EF selected after reset */
	/* SFI addressing from the MF: EF_ICCID is SFI 02; it becomes current. */
	TX(f, "00B0820004", "98103254" "9000");
	TX(f, "00B0000406", "769810325476" "9000");
	/* Offset at / past the end. */
	TX(f, "00B0000A01", "6B00");
	TX(f, "00B07FFF01", "6B00");
	/* Short read with an extended Le: the rest and 62 82. */
	TX(f, "00B00006000020", "10325476" "6282");
	/* Short Le bigger than the rest in T=0: 6C xx, then the re-issued
	 * command gets the data.  [The card layer gives the kept SW 62 82 with
	 * the re-issued command; see the report: 90 00 would be exact.] */
	TX(f, "00B0000620", "6C04");
	size_t n = xmit(f, "00B0000604", out, sizeof(out));
	assert_int_equal(n, 6);
	sf_assert_mem("reissue", out, "\x10\x32\x54\x76", 4);
	assert_true((out[4] == 0x90 && out[5] == 0x00) || (out[4] == 0x62 && out[5] == 0x82));
	/* Unknown SFI, RFU bits in P1. */
	TX(f, "00B09F0001", "6A86"); /* SFI 31 */
	TX(f, "00B0A20001", "6A86"); /* b6 set */
	TX(f, "00B0850001", "6A82"); /* SFI 05: no such EF in the MF */
	/* Wrong structure: EF_DIR is a record EF (SFI 1E). */
	TX(f, "00B09E0001", "6981");
	/* Lc present in READ BINARY, Le absent. */
	TX(f, "00B0000001AA", "6700");
	TX(f, "00B00000", "6700");

	/* UPDATE BINARY EF_ICCID needs ADM1. */
	TX(f, "00A4000C022FE2", "9000");
	TX(f, "00D6000002AAAA", "6982");
	TX(f, VERIFY_ADM1, "9000");
	TX(f, "00D6000002AAAA", "9000");
	assert_int_equal(sf_fs_take_dirty(&f->fs) & SF_FS_DIRTY_ARENA, SF_FS_DIRTY_ARENA);
	TX(f, "00D6000903BBBBBB", "6700"); /* past the end: nothing written */
	TX(f, "00D6000A01BB", "6B00");
	TX(f, "00D6820802CCCC", "9000"); /* SFI + offset */
	TX(f, "00B000000A", "AAAA325476981032CCCC" "9000");
	TX(f, "00D60000", "6700");   /* no data */
	TX(f, "00D600000101FF", "6700"); /* Le with UPDATE */
	uint8_t raw[10];
	assert_int_equal(sf_fs_read_content(&f->fs, f->iccid, 0, raw, 10), 0);
	sf_assert_mem("iccid", raw, "\xAA\xAA\x32\x54\x76\x98\x10\x32\xCC\xCC", 10);
	/* EF_UST: update never, even with ADM1. */
	TX(f, "00A4040C10" USIM_AID, "9000");
	TX(f, "00D6980001FF", "6982");
	TX(f, "00B0980004", "9E6B1D04" "9000");
}

/* ---- RECORD ---- */

static void test_records_linear(void **state)
{
	struct fx *f = *state;
	TX(f, "00A4080C047F106F3A", "9000");
	/* absolute */
	TX(f, "00B2030406", "300203040506" "9000");
	TX(f, "00B2000406", "6A83"); /* current: no record pointer yet */
	/* next from nothing = 1, then 2; previous goes back */
	TX(f, "00B2000206", "100203040506" "9000");
	TX(f, "00B2000206", "200203040506" "9000");
	TX(f, "00B2000406", "200203040506" "9000"); /* current */
	TX(f, "00B2050406", "500203040506" "9000"); /* absolute: pointer stays */
	TX(f, "00B2000306", "100203040506" "9000"); /* previous of 2 */
	TX(f, "00B2000306", "6A83");                /* before the first */
	TX(f, "00B2000406", "100203040506" "9000"); /* pointer unchanged */
	TX(f, "00B2060406", "6A83");                /* beyond the last */
	TX(f, "00B2FF0406", "6A86");
	TX(f, "00B2010106", "6A86"); /* mode 01 */
	TX(f, "00B2010206", "6A86"); /* next with P1 != 0 */
	/* T=0 Le different from the record length: 6C 06 */
	TX(f, "00B2010400", "6C06");
	TX(f, "00B2010406", "100203040506" "9000");
	/* previous from nothing = last, next stops at the end */
	TX(f, "00A4000C026F3A", "9000");
	TX(f, "00B2000306", "500203040506" "9000");
	TX(f, "00B2000206", "6A83");
	/* UPDATE RECORD: absolute, next, wrong length */
	TX(f, "00DC0204060102030405FF", "9000");
	TX(f, "00B2020406", "0102030405FF" "9000");
	TX(f, "00DC02040501020304", "6700");
	TX(f, "00A4000C026F3A", "9000");
	TX(f, "00DC000206AAAAAAAAAAAA", "9000"); /* next from nothing = record 1 */
	TX(f, "00B2000406", "AAAAAAAAAAAA" "9000");
	TX(f, "00B2010406", "AAAAAAAAAAAA" "9000");
	/* binary commands on a record EF */
	TX(f, "00B0000001", "6981");

	/* READ RECORD by SFI (EF_MSISDN SFI 0A, EF_DIR SFI 1E) */
	TX(f, "00A4040C10" USIM_AID, "9000");
	TX(f, "00B2025404", "B1B2B3B4" "9000");
	TX(f, "00B2000204", "A1A2A3A4" "9000"); /* current now; SFI reset the pointer */
	TX(f, "00A40004023F00", "6124");
	TX(f, "00B201F426",
	     "61184F10" USIM_AID "500455534944" "FFFFFFFFFFFFFFFFFFFFFFFF" "9000");
	TX(f, "00B201F4", "6700"); /* no Le */
	TX(f, "00B2011426", "6981"); /* SFI 02 is transparent EF_ICCID */
}

static void test_records_cyclic(void **state)
{
	struct fx *f = *state;
	TX(f, "00A4040C10" USIM_AID, "9000");
	TX(f, "00A4000C026F39", "9000");
	TX(f, "00B2010403", "000001" "9000");
	/* UPDATE previous: the oldest (record 3) is overwritten and becomes 1 */
	TX(f, "00DC000303AAAAAA", "9000");
	TX(f, "00B2010403", "AAAAAA" "9000");
	TX(f, "00B2020403", "000001" "9000");
	TX(f, "00B2030403", "000002" "9000");
	TX(f, "00B2000403", "AAAAAA" "9000"); /* record pointer on record 1 */
	TX(f, "00DC000303BBBBBB", "9000");
	TX(f, "00B2010403", "BBBBBB" "9000");
	TX(f, "00B2020403", "AAAAAA" "9000");
	TX(f, "00B2030403", "000001" "9000");
	/* next / previous wrap around */
	TX(f, "00A4000C026F39", "9000");
	TX(f, "00B2000303", "000001" "9000"); /* previous from nothing: last */
	TX(f, "00B2000203", "BBBBBB" "9000"); /* next after the last: first */
	TX(f, "00B2000303", "000001" "9000"); /* previous before the first: last */
	/* only PREVIOUS updates a cyclic EF */
	TX(f, "00DC010403CCCCCC", "6A86");
	TX(f, "00DC000203CCCCCC", "6A86");
	/* by SFI 19 */
	TX(f, "00DC00CB03CCCCCC", "9000");
	TX(f, "00B201CC03", "CCCCCC" "9000");
	/* the arena holds the cyclic pointer: it survives save/attach */
	uint8_t copy[ARENA_CAP];
	memcpy(copy, f->arena, sf_fs_used(&f->fs));
	struct sf_fs fs2;
	assert_int_equal(sf_fs_attach(&fs2, copy, sizeof(copy)), 0);
	uint8_t r1[3];
	assert_int_equal(sf_fs_read_content(&fs2, f->acm, 0, r1, 3), 0);
	struct sf_fs_info in;
	assert_int_equal(sf_fs_info(&fs2, f->acm, &in), 0);
	assert_int_equal(in.type, SF_FS_EF_CYCLIC);
}

static void test_search(void **state)
{
	struct fx *f = *state;
	TX(f, "00A4040C10" USIM_AID, "9000");
	TX(f, "00A4000C026F40", "9000");
	TX(f, "00A2010402B1B2", "6101"); /* case 3 with data in T=0: 61 xx */
	TX(f, "00C0000001", "02" "9000");
	TX(f, "00A2010402A3A4", "6101");
	TX(f, "00C0000001", "01" "9000");
	TX(f, "00A2020402A3A4", "6282"); /* forward from 2: not found */
	TX(f, "00A2030502A3A4", "6101"); /* backward from 3 */
	TX(f, "00C0000001", "01" "9000");
	TX(f, "00A2000601AA", "6A86");   /* enhanced search: not supported */
	TX(f, "00A20104", "6700");
	TX(f, "00A201040501020304FF", "6700"); /* pattern longer than a record */
	TX(f, "00A2040401C1", "6A83");
	/* after a search the pointer is on the first match */
	TX(f, "00A2010401C1", "6101");
	TX(f, "00C0000001", "03" "9000");
	TX(f, "00B2000404", "C1C2C3C4" "9000");
	/* by SFI 0A, several matches */
	TX(f, "00DC0104040000C1FF", "9000");
	TX(f, "00A2015401C1", "6102");
	TX(f, "00C0000002", "0103" "9000");
}

/* ---- access conditions and PINs ---- */

static void test_access_and_verify(void **state)
{
	struct fx *f = *state;
	struct sf_pin_status ps;
	TX(f, "00A4080C047FFF6F07", "6A82"); /* no application selected yet */
	TX(f, "00A4040C10" USIM_AID, "9000");
	TX(f, "00A4000C026F07", "9000");
	TX(f, "00B0000009", "6982");  /* PIN1 not verified */
	TX(f, "0020000100", "6700");  /* Lc 0 is not a case 1 command: parsed as Le */
	TX(f, "00200001", "63C3");    /* status: 3 tries */
	TX(f, "002000010831323335FFFFFFFF", "63C2");
	TX(f, "00200001", "63C2");
	assert_int_equal(sf_fs_take_dirty(&f->fs) & SF_FS_DIRTY_PINS, SF_FS_DIRTY_PINS);
	TX(f, VERIFY_PIN1, "9000");
	TX(f, "00200001", "9000");
	assert_int_equal(sf_pin_status(&f->pins, 1, &ps), 0);
	assert_int_equal(ps.left, 3);
	TX(f, "00B0000009", "082926240000000010" "9000");
	TX(f, "00D6000001FF", "9000");
	/* A reset forgets the verification. */
	assert_int_equal(sf_card_reset(&f->card, SF_CARD_RESET_WARM), 0);
	TX(f, "00A4080C047FFF6F07", "6A82"); /* no current ADF after reset */
	TX(f, "00A4040C10" USIM_AID, "9000");
	TX(f, "00B0870009", "6982");
	/* Unknown key reference, bad P1/P2, wrong lengths */
	TX(f, "0020000208313233FFFFFFFFFF", "6A88");
	TX(f, "0020000908313233FFFFFFFFFF", "6A86"); /* 09 is no key reference */
	TX(f, "0020010108313233FFFFFFFFFF", "6A86");
	TX(f, "002000010431323334", "6700");
	TX(f, "802000010831323334FFFFFFFF", "6E00");

	/* OR / AND rules on EF_SPN: read PIN1 or ADM1, update PIN1 and PIN2 */
	TX(f, "00A4000C026F46", "9000");
	TX(f, "00B0000005", "6982");
	TX(f, VERIFY_ADM1, "9000");
	TX(f, "00B0000005", "0154657374" "9000");
	TX(f, "00D6000001FF", "6982");
	TX(f, VERIFY_PIN1, "9000");
	TX(f, "00D6000001FF", "6982");
	TX(f, "002000810835363738FFFFFFFF", "9000");
	TX(f, "00D6000001FF", "9000");
}

static void test_pin_block_unblock(void **state)
{
	struct fx *f = *state;
	struct sf_pin_status ps;
	TX(f, "002000010830303030FFFFFFFF", "63C2");
	TX(f, "002000010830303030FFFFFFFF", "63C1");
	TX(f, "002000010830303030FFFFFFFF", "63C0");
	TX(f, "002000010830303030FFFFFFFF", "6983");
	TX(f, VERIFY_PIN1, "6983"); /* blocked: the right PIN does not help */
	TX(f, "00200001", "6983");
	TX(f, "002400011031323334FFFFFFFF31313131FFFFFFFF", "6983");
	TX(f, "00A4080C047FFF6F07", "6A82");
	TX(f, "00A4040C10" USIM_AID, "9000");
	TX(f, "00B0870009", "6982");
	/* UNBLOCK: status, a wrong PUK, a malformed new PIN, then the right one */
	TX(f, "002C0001", "63CA");
	TX(f, "002C00011030303030303030303939393939FFFFFF", "63C9");
	TX(f, "002C00011031323334353637383939FFFFFFFFFFFF", "6A80"); /* 2 digits */
	TX(f, "002C0001", "63C9");
	TX(f, "002C00011031323334353637383939393939FFFFFF", "9000");
	assert_int_equal(sf_pin_status(&f->pins, 1, &ps), 0);
	assert_int_equal(ps.left, 3);
	assert_int_equal(ps.puk_left, 10);
	TX(f, "00B0870009", "082926240000000010" "9000"); /* verified by UNBLOCK */
	TX(f, "00200001", "9000");
	assert_int_equal(sf_card_reset(&f->card, SF_CARD_RESET_COLD), 0);
	TX(f, VERIFY_PIN1, "63C2"); /* the PIN is now 99999 */
	TX(f, "002000010839393939FFFFFFFF", "63C1"); /* 4 digits, not 5 */
	TX(f, "00200001083939393939FFFFFF", "9000");
	/* CHANGE PIN */
	TX(f, "002400011031323334FFFFFFFF31313131FFFFFFFF", "63C2");
	TX(f, "00240001103939393939FFFFFF31313131FFFFFFFF", "9000");
	TX(f, "002000010831313131FFFFFFFF", "9000");
	TX(f, "002400011031313131FFFFFFFF3131FFFFFFFFFFFF", "6A80");
	/* PUK blocked after 10 wrong ones */
	for (int i = 9; i >= 0; i--) {
		char sw[8];
		snprintf(sw, sizeof(sw), "63C%X", i);
		TX(f, "002C00011030303030303030303939393939FFFFFF", sw);
	}
	TX(f, "002C0001", "6983");
	TX(f, "002C00011031323334353637383939393939FFFFFF", "6983");
	/* ADM1 has no PUK */
	TX(f, "002C000A", "6A88");
}

static void test_pin_disable_enable(void **state)
{
	struct fx *f = *state;
	struct sf_pin_status ps;
	TX(f, "00A4040C10" USIM_AID, "9000");
	TX(f, "00A4000C026F07", "9000");
	TX(f, "00B0000009", "6982");
	TX(f, "002800010831323334FFFFFFFF", "6985"); /* already enabled */
	TX(f, "002600010830303030FFFFFFFF", "63C2");
	TX(f, "002600010831323334FFFFFFFF", "9000");
	assert_int_equal(sf_pin_status(&f->pins, 1, &ps), 0);
	assert_false(ps.enabled);
	assert_int_equal(ps.left, 3);
	/* Disabled: PS_DO bit 8 cleared in the FCP; no verification needed,
	 * even after a reset; VERIFY refuses (69 84), its status says 90 00. */
	assert_int_equal(sf_card_reset(&f->card, SF_CARD_RESET_COLD), 0);
	TX(f, "00A4040C10" USIM_AID, "9000");
	TX(f, "00B0870009", "082926240000000010" "9000");
	TX(f, "00200001", "9000");
	TX(f, VERIFY_PIN1, "6984");
	assert_int_equal(sf_fs_key_satisfied(&f->fs, &f->pins, SF_PIN_REF_PIN1), 1);
	TX(f, "80F2000C", "9000");
	uint8_t out[300];
	size_t n = xmit(f, "80F2000036", out, sizeof(out));
	if (n != 0x36 + 2)
		print_error("STATUS: %02X%02X\n", out[n - 2], out[n - 1]);
	assert_int_equal(n, 0x36 + 2);
	sf_assert_mem("PS_DO", out + 2 + 4 + 4 + 18 + 3 + 5,
		      "\xC6\x0C\x90\x01\x60\x83\x01\x01\x83\x01\x81\x83\x01\x0A", 14);
	TX(f, "002600010831323334FFFFFFFF", "6985"); /* already disabled */
	/* ADM cannot be disabled */
	TX(f, "0026000A083838383838383838", "6985");
	/* ENABLE again */
	TX(f, "002800010831323334FFFFFFFF", "9000");
	assert_int_equal(sf_card_reset(&f->card, SF_CARD_RESET_COLD), 0);
	TX(f, "00A4040C10" USIM_AID, "9000");
	TX(f, "00B0870009", "6982");
	TX(f, "00200001", "63C3");
}

/* ---- life cycle ---- */

static void test_deactivate_activate(void **state)
{
	struct fx *f = *state;
	TX(f, "00A4040C10" USIM_AID, "9000");
	TX(f, VERIFY_PIN1, "9000");
	TX(f, "00A4000C026F07", "9000");
	TX(f, "00040000", "6982"); /* needs ADM1 */
	TX(f, VERIFY_ADM1, "9000");
	TX(f, "000400000000", "6700"); /* Le */
	TX(f, "00040100", "6A86");
	TX(f, "00040000", "9000");
	TX(f, "00B0000009", "6985");
	/* SELECT of a deactivated file: 62 83 with the FCP (LCSI 04). */
	TX(f, "00A4000C026F07", "6283");
	TX(f, "00A40004026F07", "6119");
	TX(f, "00C0000019",
	   "6217" "82024121" "83026F07" "8A0104" "8B032F0602" "80020009" "880138" "6283");
	/* ACTIVATE by FID */
	TX(f, "00440000026F07", "9000");
	TX(f, "00B0000009", "082926240000000010" "9000");
	struct sf_fs_info in;
	assert_int_equal(sf_fs_info(&f->fs, f->imsi, &in), 0);
	assert_int_equal(in.lcsi, SF_FS_LCSI_ACTIVATED);
	/* terminated */
	assert_int_equal(sf_fs_set_lcsi(&f->fs, f->spn, SF_FS_LCSI_TERMINATED), 0);
	TX(f, "00A4000C026F46", "6285");
	TX(f, "00B0000001", "6985");
	TX(f, "00440000", "6985");
}

/* ---- logical channels ---- */

static void test_channels(void **state)
{
	struct fx *f = *state;
	TX(f, "00A4040C10" USIM_AID, "9000");
	TX(f, VERIFY_PIN1, "9000");
	TX(f, "00A4000C026F07", "9000");
	/* channel 1 from channel 0: starts at the MF */
	TX(f, "0070000001", "01" "9000");
	TX(f, "01B0000001", "6986");
	TX(f, "01A4000C022FE2", "9000");
	TX(f, "01B0000002", "9810" "9000");
	/* channel 0 still has EF_IMSI */
	TX(f, "00B0000002", "0829" "9000");
	TX(f, "01A4000C026F07", "6A82"); /* channel 1 is in the MF */
	/* channel 2 opened from channel 0: MF; from channel 1... */
	TX(f, "00A4000C026F40", "9000");
	TX(f, "00B2000204", "A1A2A3A4" "9000");
	TX(f, "01A4040C10" USIM_AID, "9000");
	TX(f, "0170000001", "02" "9000"); /* opened from channel 1: inherits the ADF */
	TX(f, "02A4000C026F40", "9000");
	TX(f, "02B2000204", "A1A2A3A4" "9000"); /* own record pointer */
	TX(f, "00B2000204", "B1B2B3B4" "9000");
	TX(f, "02A4000C027FFF", "9000");
	struct sf_fs_selection s0, s2;
	assert_int_equal(sf_fs_current(&f->fs, &f->card, 0, &s0), 0);
	assert_int_equal(sf_fs_current(&f->fs, &f->card, 2, &s2), 0);
	assert_int_equal(s0.ef, f->msisdn);
	assert_int_equal(s0.rec, 2);
	assert_int_equal(s2.df, f->adf);
	assert_int_equal(s2.ef, 0);
	/* CLA 8X on a channel */
	TX(f, "81F2000C", "9000");
	/* closing a channel; reopening starts afresh */
	TX(f, "00708001", "9000");
	TX(f, "0070000001", "01" "9000");
	TX(f, "01B0000001", "6986");
	assert_int_equal(sf_fs_current(&f->fs, &f->card, 3, &s0), SF_ECARD_CLOSED);
}

/* ---- other instructions ---- */

static void test_other_ins(void **state)
{
	struct fx *f = *state;
	TX(f, "80AA00000AA9088100820101830107", "9000"); /* lpac's TERMINAL CAPABILITY */
	TX(f, "801000000AFFFFFFFFFFFFFFFFFFFF", "9000"); /* TERMINAL PROFILE */
	TX(f, "80100000", "6700");
	TX(f, "80AA010001A9", "6A86");
	TX(f, "00AA000001A9", "6E00");
	TX(f, "0088008122" "10" "00000000000000000000000000000000" "10"
	      "00000000000000000000000000000000" "00", "6D00"); /* AUTHENTICATE: not ours */
	TX(f, "80E2910003BF2200", "6D00");
	/* sf_fs_process reports what it does not handle, rsp untouched */
	struct sf_apdu a;
	uint8_t cmd[] = {0x00, 0x88, 0x00, 0x81};
	assert_int_equal(sf_apdu_parse(&a, cmd, sizeof(cmd)), 0);
	uint8_t buf[16];
	struct sf_rapdu r = {.data = buf, .cap = sizeof(buf), .sw = 0x1234};
	assert_int_equal(sf_fs_process(&f->fs, &f->pins, &f->card, &a, &r), SF_ECARD_UNHANDLED);
	assert_int_equal(r.sw, 0x1234);
	assert_int_equal(sf_fs_process(NULL, &f->pins, &f->card, &a, &r), SF_EINVAL);
}

/* ---- the arena: creation errors, persistence, corruption ---- */

static void test_create_errors(void **state)
{
	struct fx *f = *state;
	struct sf_fs_attr a = rule(1);
	struct sf_fs_ef_params p = {.type = SF_FS_EF_TRANSPARENT, .size = 4, .fill = 0xFF};
	uint32_t h;
	size_t used = sf_fs_used(&f->fs);
	assert_int_equal(sf_fs_create_mf(&f->fs, &a, &h), SF_ECARD_FS_EXISTS);
	assert_int_equal(sf_fs_create_ef(&f->fs, f->mf, 0x2FE2, &p, &a, &h), SF_ECARD_FS_EXISTS);
	assert_int_equal(sf_fs_create_df(&f->fs, f->mf, 0x7F10, &a, &h), SF_ECARD_FS_EXISTS);
	assert_int_equal(sf_fs_create_ef(&f->fs, f->iccid, 0x1234, &p, &a, &h),
			 SF_ECARD_FS_PARENT);
	assert_int_equal(sf_fs_create_ef(&f->fs, 12345, 0x1234, &p, &a, &h), SF_ECARD_FS_PARENT);
	assert_int_equal(sf_fs_create_ef(&f->fs, f->mf, 0x7FFF, &p, &a, &h), SF_ECARD_FS_PARAM);
	assert_int_equal(sf_fs_create_ef(&f->fs, f->mf, 0x3F00, &p, &a, &h), SF_ECARD_FS_PARAM);
	p.sfi = 0x02; /* EF_ICCID's */
	assert_int_equal(sf_fs_create_ef(&f->fs, f->mf, 0x2F05, &p, &a, &h), SF_ECARD_FS_EXISTS);
	p.sfi = 31;
	assert_int_equal(sf_fs_create_ef(&f->fs, f->mf, 0x2F05, &p, &a, &h), SF_ECARD_FS_PARAM);
	p.sfi = 0;
	p.size = 70000;
	assert_int_equal(sf_fs_create_ef(&f->fs, f->mf, 0x2F05, &p, &a, &h), SF_ECARD_FS_PARAM);
	p.size = ARENA_CAP;
	assert_int_equal(sf_fs_create_ef(&f->fs, f->mf, 0x2F05, &p, &a, &h), SF_ECARD_FS_SPACE);
	struct sf_fs_ef_params r = {.type = SF_FS_EF_LINEAR_FIXED, .rec_len = 0, .nrec = 2};
	assert_int_equal(sf_fs_create_ef(&f->fs, f->mf, 0x2F05, &r, &a, &h), SF_ECARD_FS_PARAM);
	r.rec_len = 4;
	r.nrec = 255;
	assert_int_equal(sf_fs_create_ef(&f->fs, f->mf, 0x2F05, &r, &a, &h), SF_ECARD_FS_PARAM);
	struct sf_fs_attr bad = {.lcsi = 0x02};
	p.size = 4;
	assert_int_equal(sf_fs_create_ef(&f->fs, f->mf, 0x2F05, &p, &bad, &h), SF_ECARD_FS_PARAM);
	uint8_t aid[16];
	size_t aid_len;
	hexv(USIM_AID, aid, sizeof(aid), &aid_len);
	assert_int_equal(sf_fs_create_adf(&f->fs, 0x7FF1, aid, aid_len, &a, &h),
			 SF_ECARD_FS_EXISTS);
	assert_int_equal(sf_fs_create_adf(&f->fs, 0x7FF1, aid, 17, &a, &h), SF_ECARD_FS_PARAM);
	/* nothing was written */
	assert_int_equal(sf_fs_used(&f->fs), used);
	/* the same FID under another DF is fine; a DF's own FID is not */
	assert_int_equal(sf_fs_create_ef(&f->fs, f->telecom, 0x2FE2, &p, &a, &h), 0);
	assert_int_equal(sf_fs_create_ef(&f->fs, f->telecom, 0x7F10, &p, &a, &h),
			 SF_ECARD_FS_EXISTS);
	/* content writes out of range */
	uint8_t b[11] = {0};
	assert_int_equal(sf_fs_write_content(&f->fs, f->iccid, 0, b, 11), SF_ERANGE);
	assert_int_equal(sf_fs_write_content(&f->fs, f->mf, 0, b, 1), SF_ENOENT);
	assert_int_equal(sf_fs_write_record(&f->fs, f->adn, 6, b, 6), SF_ERANGE);
	assert_int_equal(sf_fs_write_record(&f->fs, f->adn, 1, b, 5), SF_ERANGE);
	/* look-ups */
	uint32_t g;
	assert_int_equal(sf_fs_find_path(&f->fs, (const uint8_t *)"\x7F\x10\x6F\x3A", 4, &g), 0);
	assert_int_equal(g, f->adn);
	assert_int_equal(sf_fs_find(&f->fs, f->adf, 0x6F07, &g), 0);
	assert_int_equal(g, f->imsi);
	assert_int_equal(sf_fs_find_adf(&f->fs, aid, 7, &g), 0);
	assert_int_equal(g, f->adf);
	assert_int_equal(sf_fs_find(&f->fs, f->mf, 0x6F07, &g), SF_ENOENT);
	/* an empty arena answers without crashing */
	struct sf_fs empty;
	uint8_t mem[64];
	assert_int_equal(sf_fs_init(&empty, mem, 16), SF_ECARD_FS_SPACE);
	assert_int_equal(sf_fs_init(&empty, mem, sizeof(mem)), 0);
	assert_int_equal(sf_fs_create_df(&empty, 32, 0x7F10, &a, &h), SF_ECARD_FS_PARENT);
	assert_int_equal(sf_fs_create_mf(&empty, &a, &h), 0); /* 32 + 32: exactly full */
	assert_int_equal(sf_fs_create_df(&empty, h, 0x7F10, &a, &h), SF_ECARD_FS_SPACE);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Recomputes the header checksums, so a test can corrupt the structure
 * behind the checksum's back. */
static void reseal(uint8_t *mem, uint32_t used)
{
	uint32_t a = 0, b = 0;
	for (uint32_t i = 32; i < used; i++) {
		a += mem[i];
		b += (uint32_t)mem[i] * (2u * i + 1u);
	}
	put32(mem + 16, a);
	put32(mem + 20, b);
}

static void test_arena_persistence(void **state)
{
	struct fx *f = *state;
	size_t used = sf_fs_used(&f->fs);
	print_message("sizeof(struct sf_fs) = %zu, sizeof(struct sf_pins) = %zu, "
		      "test tree arena = %zu octets (13 files), sizeof(struct sf_card) = %zu\n",
		      sizeof(struct sf_fs), sizeof(struct sf_pins), used, sizeof(struct sf_card));

	/* change something through APDUs, then save exactly `used` octets */
	TX(f, VERIFY_ADM1, "9000");
	TX(f, "00A4000C022FE2", "9000");
	TX(f, "00D6000001AB", "9000");
	TX(f, "00A4040C10" USIM_AID, "9000");
	TX(f, "00DC00CB03123456", "9000");
	uint8_t *saved = malloc(used);
	assert_non_null(saved);
	memcpy(saved, f->arena, used);
	struct sf_pins pins_saved = f->pins;

	/* load into a fresh arena of exactly that size, in a fresh card */
	memset(f->arena, 0, sizeof(f->arena));
	assert_int_equal(sf_fs_attach(&f->fs, saved, used), 0);
	f->pins = pins_saved;
	assert_int_equal(sf_card_reset(&f->card, SF_CARD_RESET_COLD), 0);
	TX(f, "00B0820002", "AB10" "9000");
	TX(f, "00A4040C10" USIM_AID, "9000");
	TX(f, "00B201CC03", "123456" "9000");
	TX(f, "00B0870001", "6982");
	assert_int_equal(sf_fs_used(&f->fs), used);

	/* every single-octet corruption of the image is rejected */
	uint8_t *img = malloc(used);
	assert_non_null(img);
	struct sf_fs t;
	for (size_t i = 0; i < used; i++) {
		memcpy(img, saved, used);
		img[i] ^= 0x01;
		int rc = sf_fs_attach(&t, img, used);
		if (rc != SF_ECARD_FS_CORRUPT)
			print_error("flipping octet %zu was accepted\n", i);
		assert_int_equal(rc, SF_ECARD_FS_CORRUPT);
	}
	/* truncated images */
	memcpy(img, saved, used);
	assert_int_equal(sf_fs_attach(&t, img, used - 1), SF_ECARD_FS_CORRUPT);
	assert_int_equal(sf_fs_attach(&t, img, 16), SF_ECARD_FS_CORRUPT);
	/* structural corruption behind a valid checksum: a parent pointing
	 * into the middle of a record, a record length running past `used`,
	 * a duplicate FID */
	uint32_t ef = f->imsi;
	put32(img + ef + 8, f->adf + 4);
	reseal(img, (uint32_t)used);
	assert_int_equal(sf_fs_attach(&t, img, used), SF_ECARD_FS_CORRUPT);
	memcpy(img, saved, used);
	put32(img + ef + 12, 0x10000);
	reseal(img, (uint32_t)used);
	assert_int_equal(sf_fs_attach(&t, img, used), SF_ECARD_FS_CORRUPT);
	memcpy(img, saved, used);
	img[f->ust + 4] = 0x07; /* 6F38 -> 6F07 */
	img[f->ust + 5] = 0x6F;
	reseal(img, (uint32_t)used);
	assert_int_equal(sf_fs_attach(&t, img, used), SF_ECARD_FS_CORRUPT);
	memcpy(img, saved, used);
	reseal(img, (uint32_t)used);
	assert_int_equal(sf_fs_attach(&t, img, used), 0); /* the helper itself is right */
	/* a bigger arena than the image is fine, and keeps growing */
	memcpy(f->arena, saved, used);
	assert_int_equal(sf_fs_attach(&f->fs, f->arena, sizeof(f->arena)), 0);
	struct sf_fs_attr a = rule(5);
	uint32_t h;
	assert_int_equal(sf_fs_create_df(&f->fs, f->adf, 0x5F3B, &a, &h), 0);
	assert_int_equal(sf_fs_attach(&t, f->arena, sf_fs_used(&f->fs)), 0);
	free(img);
	free(saved);
}


/* Random commands (a fixed LCG, so reproducible) from the instructions the
 * file system handles: no crash under ASan/UBSan, every status word is a
 * valid one, and the arena still passes sf_fs_attach() afterwards (the
 * checksums follow every write path). */
static void test_random_commands(void **state)
{
	struct fx *f = *state;
	static const uint8_t ins[] = {0xA4, 0xF2, 0xB0, 0xD6, 0xB2, 0xDC, 0xA2, 0x20, 0x24,
				      0x26, 0x28, 0x2C, 0x04, 0x44, 0x10, 0xAA, 0x70};
	uint32_t x = 12345;
	uint8_t cmd[64], out[600];
	int ok = 0, reached = 0; /* answered 90 00 / 61 xx; got past the form checks */
	TX(f, VERIFY_ADM1, "9000");
	TX(f, VERIFY_PIN1, "9000");
	for (int i = 0; i < 50000; i++) {
		x = x * 1103515245u + 12345u;
		size_t n = 4;
		cmd[1] = ins[(x >> 8) % sizeof(ins)];
		/* mostly the right class on channel 0; sometimes not */
		cmd[0] = cmd[1] == 0xF2 || cmd[1] == 0x10 || cmd[1] == 0xAA ? 0x80 : 0x00;
		if (((x >> 27) & 7) == 0)
			cmd[0] ^= 0x80;
		if (((x >> 24) & 7) == 0)
			cmd[0] |= (uint8_t)((x >> 4) & 3);
		x = x * 1103515245u + 12345u;
		/* P1/P2 mostly from values that mean something */
		static const uint8_t pp[] = {0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x09,
					     0x0C, 0x04, 0x0C, 0x82, 0x87, 0x0A, 0x54, 0xCC,
					     0xCB, 0xF4, 0x81, 0x98};
		cmd[2] = (x >> 20) % 8 == 0 ? (uint8_t)(x >> 8) : pp[(x >> 8) % sizeof(pp)];
		cmd[3] = (x >> 23) % 8 == 0 ? (uint8_t)(x >> 12) : pp[(x >> 12) % sizeof(pp)];
		x = x * 1103515245u + 12345u;
		/* mostly the command's own shape (case 2: Le; case 3: Lc) */
		unsigned kind = (x >> 16) % 4, lc = (x >> 4) % 11;
		if ((x >> 28) != 0) {
			switch (cmd[1]) {
			case 0xB0: case 0xB2: case 0xF2:
				kind = 1;
				break;
			case 0xA4: case 0x04: case 0x44:
				kind = 2;
				lc = (x >> 4) % 3 == 0 ? 4 : 2;
				break;
			case 0x20: case 0x26: case 0x28:
				kind = 2;
				lc = 8;
				break;
			case 0x24: case 0x2C:
				kind = 2;
				lc = 16;
				break;
			default:
				kind = 2;
			}
		}
		if (kind == 1) {
			cmd[n++] = (uint8_t)(x >> 24);
		} else if (kind >= 2 && lc > 0) {
			cmd[n++] = (uint8_t)lc;
			for (unsigned k = 0; k < lc; k++) {
				x = x * 1103515245u + 12345u;
				/* FIDs and AID octets of the tree, PIN digits, noise */
				static const uint8_t pool[] = {0x3F, 0x00, 0x7F, 0x10, 0x6F, 0x07,
							       0x2F, 0xE2, 0xA0, 0x31, 0x32, 0x33,
							       0x34, 0xFF, 0x3A, 0x39, 0x40, 0xFF};
				cmd[n++] = pool[(x >> 16) % sizeof(pool)];
			}
			if (kind == 3)
				cmd[n++] = (uint8_t)(x >> 8);
		}
		size_t rlen = 0;
		assert_int_equal(sf_card_transmit(&f->card, cmd, n, out, sizeof(out), &rlen), 0);
		assert_true(rlen >= 2);
		uint16_t sw = (uint16_t)((out[rlen - 2] << 8) | out[rlen - 1]);
		ok += sw == 0x9000 || (sw >> 8) == 0x61;
		reached += sw != 0x6700 && sw != 0x6A86 && sw != 0x6E00 && sw != 0x6881;
		if ((x & 0xFFF) == 7)
			assert_int_equal(sf_card_reset(&f->card, SF_CARD_RESET_WARM), 0);
	}
	print_message("random commands: %d of 50000 passed the form checks, %d succeeded\n",
		      reached, ok);
	assert_true(reached > 5000);
	assert_true(ok > 50);
	struct sf_fs t;
	assert_int_equal(sf_fs_attach(&t, f->arena, sf_fs_used(&f->fs)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_select_fcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_errors_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records_linear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records_cyclic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_and_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_block_unblock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_disable_enable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deactivate_activate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_channels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_ins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arena_persistence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_commands, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
