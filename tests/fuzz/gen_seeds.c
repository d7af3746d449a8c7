/* Writes the seed corpora of fuzz_apdu, fuzz_saip, fuzz_isdr and
 * fuzz_fs_attach (input formats: the header comment of each target).
 * Built with -DSF_FUZZ=ON as fuzz_gen_seeds; run from the source tree:
 *   build-fuzz/tests/fuzz/fuzz_gen_seeds tests/fuzz
 * Profile packages come from sf_saip_build() with the public TEST values
 * (no real subscriber data, no GSMA TS.48 file); arenas from installing
 * them, and from a small tree built here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simfleet/card.h"
#include "simfleet/err.h"
#include "simfleet/saip.h"
#include "simfleet/saip_install.h"
#include "simfleet/uicc_fs.h"

static const char *root;

static void die(const char *what, int rc)
{
	fprintf(stderr, "gen_seeds: %s: %s\n", what, sf_strerror(rc));
	exit(1);
}

static void put(const char *dir, const char *name, const uint8_t *b, size_t n)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s/%s", root, dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "gen_seeds: cannot write %s\n", path);
		exit(1);
	}
}

/* Hex (spaces allowed anywhere) appended to b. */
static size_t hex(uint8_t *b, size_t n, const char *h)
{
	int hi = -1;
	for (const char *s = h; *s; s++) {
		int v;
		if (*s == ' ')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			die(h, SF_EHEX);
		if (hi < 0) {
			hi = v;
		} else {
			b[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		die(h, SF_EHEX);
	return n;
}

/* ---- fuzz_apdu: h [l] r1 r0 s1 s0 m cmd ---- */

static size_t apdu_rec(uint8_t *b, size_t n, unsigned rlen, unsigned sw, unsigned m,
		       const char *cmd_hex)
{
	uint8_t c[300];
	size_t cl = hex(c, 0, cmd_hex);
	if (cl >= 0x80) {
		b[n++] = (uint8_t)(0x80 | (cl >> 8));
		b[n++] = (uint8_t)cl;
	} else {
		b[n++] = (uint8_t)cl;
	}
	b[n++] = (uint8_t)(rlen >> 8);
	b[n++] = (uint8_t)rlen;
	b[n++] = (uint8_t)(sw >> 8);
	b[n++] = (uint8_t)sw;
	b[n++] = (uint8_t)m;
	memcpy(b + n, c, cl);
	return n + cl;
}

static void gen_apdu(void)
{
	static uint8_t b[4096];
	size_t n;
	char name[64];
	/* Each case on its own, in T=0 and direct mode. */
	static const struct {
		const char *name, *cmd;
		unsigned rlen, sw;
	} one[] = {
		{"case1", "00 A4 00 04", 0, 0x9000},
		{"case2s", "00 B0 00 00 10", 16, 0x9000},
		{"case2s_wrong_le", "00 B0 00 00 20", 16, 0x9000},
		{"case2s_256", "00 B0 00 00 00", 300, 0x9000},
		{"case3s", "00 D6 00 00 02 AA BB", 0, 0x9000},
		{"case4s", "00 A4 00 04 02 3F 00 00", 28, 0x9000},
		{"case2e", "00 B0 00 00 00 01 00", 256, 0x9000},
		{"case3e", "00 D6 00 00 00 00 03 01 02 03", 0, 0x9000},
		{"case4e", "00 88 00 81 00 00 02 10 20 00 00", 1000, 0x9000},
		{"warning", "00 B0 00 00 08", 4, 0x6282},
		{"error_with_data", "00 B0 00 00 08", 8, 0x6A82},
		{"bad_sw", "00 B0 00 00 08", 8, 0x6108},
		{"too_long", "00 B0 00 00 08", 0xFFFF, 0x9000},
		{"bad_cla", "FF A4 00 04", 0, 0x9000},
		{"sm_cla", "0C A4 00 04", 0, 0x9000},
		{"chain_cla", "10 A4 00 04", 0, 0x9000},
		{"ch19", "4F A4 00 04", 0, 0x9000},
		{"ins6x", "00 6A 00 00", 0, 0x9000},
		{"short", "00 A4", 0, 0x9000},
		{"lc_mismatch", "00 D6 00 00 05 01 02", 0, 0x9000},
		{"ext_lc0", "00 D6 00 00 00 00 00", 0, 0x9000},
	};
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		for (unsigned mode = 0; mode < 2; mode++) {
			b[0] = (uint8_t)mode;
			n = apdu_rec(b, 1, one[i].rlen, one[i].sw, 0, one[i].cmd);
			snprintf(name, sizeof(name), "%s_%s", one[i].name, mode ? "direct" : "t0");
			put("corpus_apdu", name, b, n);
		}
	/* T=0 exchanges: 61xx then GET RESPONSE in pieces; 6Cxx then re-issue. */
	b[0] = 0;
	n = apdu_rec(b, 1, 600, 0x9000, 0, "00 A4 00 04 02 3F 00");
	n = apdu_rec(b, n, 0, 0x9000, 0, "00 C0 00 00 00");
	n = apdu_rec(b, n, 0, 0x9000, 0, "00 C0 00 00 00");
	n = apdu_rec(b, n, 0, 0x9000, 0, "00 C0 00 00 58");
	n = apdu_rec(b, n, 0, 0x9000, 0, "00 C0 00 00 10");
	put("corpus_apdu", "get_response_chain", b, n);
	n = apdu_rec(b, 1, 0x21, 0x6282, 0, "00 B0 00 00 40");
	n = apdu_rec(b, n, 0, 0x9000, 0, "00 B0 00 00 21");
	n = apdu_rec(b, n, 0, 0x9000, 0, "00 B0 00 00 21");
	put("corpus_apdu", "reissue_6c", b, n);
	/* Channels: open (card-assigned and explicit), use, close, reset. */
	n = apdu_rec(b, 1, 0, 0x9000, 0, "00 70 00 00 01");
	n = apdu_rec(b, n, 5, 0x9000, 0, "01 A4 00 04 02 3F 00");
	n = apdu_rec(b, n, 0, 0x9000, 0, "81 C0 00 00 05");
	n = apdu_rec(b, n, 0, 0x9000, 0, "00 70 00 02");
	n = apdu_rec(b, n, 3, 0x9000, 0, "02 B0 00 00 03");
	n = apdu_rec(b, n, 0, 0x9000, 0, "00 70 00 00 01");
	n = apdu_rec(b, n, 0, 0x9000, 0, "00 70 00 00 01");
	n = apdu_rec(b, n, 0, 0x9000, 0, "00 70 80 01 00");
	n = apdu_rec(b, n, 0, 0x9000, 0, "01 A4 00 04");
	b[n++] = 0xFE;
	n = apdu_rec(b, n, 0, 0x9000, 0, "02 A4 00 04");
	b[n++] = 0xFF;
	put("corpus_apdu", "channels", b, n);
	/* GET RESPONSE on another channel loses the data; undersized buffers. */
	n = apdu_rec(b, 1, 40, 0x9000, 0, "00 A4 00 04 02 3F 00");
	n = apdu_rec(b, n, 0, 0x9000, 0, "00 70 00 01");
	n = apdu_rec(b, n, 0, 0x9000, 0, "01 C0 00 00 28");
	n = apdu_rec(b, n, 0, 0x9000, 0, "00 C0 00 00 28");
	n = apdu_rec(b, n, 300, 0x9000, 2 | (10 << 2), "00 B0 00 00 00");
	n = apdu_rec(b, n, 0, 0x9000, 1, "00 B0 00 00 00");
	put("corpus_apdu", "lost_response_small_buffers", b, n);
	b[0] = 1;
	n = apdu_rec(b, 1, 4096, 0x9000, 0, "00 CA 00 00 00 00 00");
	n = apdu_rec(b, n, 4096, 0x9000, 2, "00 CA 00 00 00");
	n = apdu_rec(b, n, 0, 0x9000, 0, "00 C0 00 00 00");
	put("corpus_apdu", "direct_big", b, n);
}

/* ---- fuzz_saip ---- */

static const uint8_t k16[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
				0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};
static const uint8_t k32[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static size_t build(const struct sf_saip_build_params *p, uint8_t *dst, size_t cap)
{
	struct sf_saip_error e;
	size_t n = 0;
	int rc = sf_saip_build(p, dst, cap, &n, &e);
	if (rc != 0)
		die("sf_saip_build", rc);
	return n;
}

/* Installs pkg and writes the arena (with fuzz_fs_attach's flags octet). */
static void arena_seed(const char *name, const uint8_t *pkg, size_t len, uint8_t flags)
{
	static uint8_t arena[65536 + 1];
	struct sf_fs fs;
	struct sf_pins pins;
	struct sf_saip_installed out;
	struct sf_saip_error e;
	if (sf_fs_init(&fs, arena + 1, sizeof(arena) - 1) != 0)
		die("sf_fs_init", SF_EINVAL);
	sf_pins_init(&pins);
	int rc = sf_saip_install(pkg, len, &fs, &pins, &out, &e);
	if (rc != 0)
		die("sf_saip_install", rc);
	arena[0] = flags;
	put("corpus_fs_attach", name, arena, 1 + sf_fs_used(&fs));
	sf_aka_params_wipe(&out.aka);
}

static void gen_saip(void)
{
	static uint8_t pkg[8192];
	size_t n;
	struct sf_saip_build_params p;

	memset(&p, 0, sizeof(p));
	p.iccid = "89000123456789012341";
	p.imsi = "001010123456789";
	p.algorithm = SF_SAIP_ALG_MILENAGE;
	p.k = k16;
	p.k_len = 16;
	p.opc = k16;
	p.opc_len = 16;
	n = build(&p, pkg, sizeof(pkg));
	put("corpus_saip", "milenage_minimal.der", pkg, n);
	arena_seed("milenage_minimal", pkg, n, 0);
	arena_seed("milenage_minimal_slack_ch1", pkg, n, 2 | 4);

	p.spn = "simfleet";
	p.pin1 = "1234";
	p.puk1 = "87654321";
	p.mnc_len = 3;
	static const uint8_t adm[4] = {'1', '2', '3', '4'};
	p.adm1 = adm;
	p.adm1_len = 4;
	n = build(&p, pkg, sizeof(pkg));
	put("corpus_saip", "milenage_spn_pin.der", pkg, n);
	arena_seed("milenage_spn_pin", pkg, n, 1);

	p.algorithm = SF_SAIP_ALG_TUAK;
	p.k = k32;
	p.k_len = 32;
	p.opc = k32;
	p.opc_len = 32;
	p.iccid = "8944476500001224158";
	p.imsi = "23491";
	n = build(&p, pkg, sizeof(pkg));
	put("corpus_saip", "tuak256.der", pkg, n);

	p.k = k16;
	p.k_len = 16;
	n = build(&p, pkg, sizeof(pkg));
	put("corpus_saip", "tuak128.der", pkg, n);

	memset(&p, 0, sizeof(p));
	p.iccid = "8949449999999990023";
	p.imsi = "999700000000001";
	p.algorithm = SF_SAIP_ALG_TEST;
	p.k = k16;
	p.k_len = 16;
	p.spn = "Test";
	n = build(&p, pkg, sizeof(pkg));
	put("corpus_saip", "xor_test.der", pkg, n);
	arena_seed("xor_test", pkg, n, 0);

	/* Two bad packages the reader must refuse: truncated, and a second
	 * header. */
	put("corpus_saip", "truncated.der", pkg, n / 2);
	static uint8_t two[16384];
	memcpy(two, pkg, n);
	memcpy(two + n, pkg, n);
	put("corpus_saip", "twice.der", two, 2 * n);
}

/* ---- fuzz_fs_attach: a small tree built by hand ---- */

static void gen_fs(void)
{
	static uint8_t arena[1 + 4096];
	struct sf_fs fs;
	uint32_t mf, arr, dir, adf, ef;
	struct sf_fs_attr open = {0, 0, 0}, ruled = {0x2F06, 1, 0};
	struct sf_fs_ef_params t = {SF_FS_EF_TRANSPARENT, 10, 0, 0, SF_FS_SFI_DEFAULT, 0xFF};
	struct sf_fs_ef_params lf = {SF_FS_EF_LINEAR_FIXED, 0, 8, 3, SF_FS_SFI_DEFAULT, 0xFF};
	struct sf_fs_ef_params cy = {SF_FS_EF_CYCLIC, 0, 4, 5, 0x05, 0x00};
	static const uint8_t aid[] = {0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02, 0xFF,
				      0x33, 0xFF, 0xFF, 0x89, 0x01, 0x01, 0x01, 0x00};
	/* EF_ARR record 1: always read, update after PIN1 (AM_DO 80 03, SC_DO
	 * A4 {83 01 01, 95 01 08}); padded to 8 octets as in the unit tests'
	 * arenas. */
	static const uint8_t arr1[] = {0x80, 0x01, 0x01, 0x90, 0x00, 0xFF, 0xFF, 0xFF};
	int rc;
	if ((rc = sf_fs_init(&fs, arena + 1, sizeof(arena) - 1)) ||
	    (rc = sf_fs_create_mf(&fs, &open, &mf)) ||
	    (rc = sf_fs_create_ef(&fs, mf, 0x2F06, &lf, &open, &arr)) ||
	    (rc = sf_fs_write_record(&fs, arr, 1, arr1, 8)) ||
	    (rc = sf_fs_create_ef(&fs, mf, 0x2FE2, &t, &ruled, &ef)) ||
	    (rc = sf_fs_create_ef(&fs, mf, 0x2F00, &lf, &open, &dir)) ||
	    (rc = sf_fs_create_df(&fs, mf, 0x7F10, &open, NULL)) ||
	    (rc = sf_fs_create_adf(&fs, 0x7FF0, aid, sizeof(aid), &open, &adf)) ||
	    (rc = sf_fs_create_ef(&fs, adf, 0x6F07, &t, &ruled, NULL)) ||
	    (rc = sf_fs_create_ef(&fs, adf, 0x6F39, &cy, &open, NULL)))
		die("building the small tree", rc);
	arena[0] = 0;
	put("corpus_fs_attach", "small_tree", arena, 1 + sf_fs_used(&fs));
	arena[0] = 4;
	put("corpus_fs_attach", "small_tree_ch1", arena, 1 + sf_fs_used(&fs));
	arena[0] = 1;
	put("corpus_fs_attach", "header_only_fixup", arena, 1 + SF_FS_HEADER_SIZE);
}

/* ---- fuzz_isdr ---- */

/* op 1: ES10 request on channel ch (GET RESPONSE class 80|ch). */
static size_t es10_op(uint8_t *b, size_t n, unsigned ch, unsigned bs, const char *req_hex)
{
	uint8_t r[600];
	size_t rl = hex(r, 0, req_hex);
	b[n++] = (uint8_t)(1 | (ch << 2) | 0x10);
	b[n++] = (uint8_t)(rl >> 8);
	b[n++] = (uint8_t)rl;
	b[n++] = (uint8_t)bs;
	memcpy(b + n, r, rl);
	return n + rl;
}

/* op 0: a raw APDU. */
static size_t raw_op(uint8_t *b, size_t n, const char *apdu_hex)
{
	uint8_t a[600];
	size_t al = hex(a, 0, apdu_hex);
	b[n++] = 0;
	b[n++] = (uint8_t)(al >> 8);
	b[n++] = (uint8_t)al;
	memcpy(b + n, a, al);
	return n + al;
}

static void gen_isdr(void)
{
	static uint8_t b[4096];
	size_t n;
	char name[64];
	/* lpa-compat.md §2 and rsp-messages.md §1 requests, each alone. */
	static const struct {
		const char *name, *req;
	} reqs[] = {
		{"get_eid", "BF3E035C015A"},
		{"get_profiles_info", "BF2D00"},
		{"get_profiles_info_tags", "BF2D0C A003950101 5C05 95B64F935A"},
		{"get_profiles_info_iccid", "BF2D0E A00C 5A0A 98447456000021425 1F0"},
		{"get_euicc_info2", "BF2200"},
		{"get_euicc_info1", "BF2000"},
		{"get_addresses", "BF3C00"},
		{"get_rat", "BF4300"},
		{"get_challenge", "BF2E00"},
		{"enable_iccid", "BF3111 A00C 5A0A 98001032547698103214 810100"},
		{"disable_iccid", "BF3211 A00C 5A0A 98447456000021425 1F8 8101FF"},
		{"delete_aid", "BF3312 4F10 A0000005591010FFFFFFFF8900001100"},
		{"memory_reset", "BF3404 820205 60"},
		{"set_nickname", "BF2912 5A0A 98001032547698103214 9004 686F6D65"},
		{"set_default_dp", "BF3F0A 8008 64702E6F702E6575"},
		{"list_notification", "BF2800"},
		{"list_notification_filter", "BF2804 81020780"},
		{"retrieve_notifications", "BF2B05 A003 800102"},
		{"remove_notification", "BF3004 80 02 012C"},
		{"prepare_download_unsupported", "BF2100"},
	};
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		b[0] = 0;
		n = es10_op(b, 1, 0, 0, reqs[i].req);
		snprintf(name, sizeof(name), "%s", reqs[i].name);
		put("corpus_isdr", name, b, n);
	}
	/* The lpac session of lpa-compat.md §2, as raw APDUs on channel 1. */
	b[0] = 0;
	n = raw_op(b, 1, "80 AA 00 00 0A A9 08 81 00 82 01 01 83 01 07");
	n = raw_op(b, n, "00 70 00 00 01");
	n = raw_op(b, n, "01 A4 04 00 10 A0000005591010FFFFFFFF8900000100");
	n = raw_op(b, n, "81 E2 91 00 06 BF3E035C015A");
	n = raw_op(b, n, "81 C0 00 00 15");
	n = raw_op(b, n, "81 E2 91 00 03 BF3C00");
	n = raw_op(b, n, "81 C0 00 00 00");
	n = raw_op(b, n, "81 E2 91 00 03 BF4300");
	n = raw_op(b, n, "81 E2 91 00 03 BF2200");
	n = raw_op(b, n, "81 C0 00 00 66");
	n = raw_op(b, n, "00 70 80 01 00");
	put("corpus_isdr", "lpac_chip_info", b, n);
	/* Multi-block requests, small blocks, on channel 2; a broken sequence. */
	b[0] = 0;
	b[1] = 3; /* MANAGE CHANNEL open -> 1 */
	b[2] = 3; /* -> 2 */
	n = es10_op(b, 3, 2, 4, "BF2912 5A0A 98001032547698103214 9004 686F6D65");
	n = es10_op(b, n, 1, 5, "BF2D0E A00C 5A0A 98447456000021425 1F0");
	n = raw_op(b, n, "81 E2 11 00 03 BF2D00");
	n = raw_op(b, n, "82 E2 91 01 01 00");
	n = raw_op(b, n, "81 E2 91 05 01 00");
	b[n++] = 3 | 4 | (2 << 3); /* close channel 2 */
	n = es10_op(b, n, 0, 2, "BF3004 80 02 012C");
	b[n++] = 2; /* reset */
	put("corpus_isdr", "multiblock_channels", b, n);
	/* Host flavours: forced results, failing getters, non-UTF-8 strings,
	 * long strings, in direct mode. */
	static const uint8_t cfgs[] = {0x02, 0x0C, 0x0E, 0x10, 0x20, 0x41};
	for (size_t i = 0; i < sizeof(cfgs); i++) {
		b[0] = cfgs[i];
		n = es10_op(b, 1, 0, 0, "BF2D00");
		n = es10_op(b, n, 0, 0, "BF3111 A00C 5A0A 98001032547698103214 810100");
		n = es10_op(b, n, 0, 0, "BF2800");
		n = es10_op(b, n, 0, 0, "BF3C00");
		snprintf(name, sizeof(name), "host_cfg_%02x", cfgs[i]);
		put("corpus_isdr", name, b, n);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s <tests/fuzz directory>\n", argv[0]);
		return 2;
	}
	root = argv[1];
	gen_apdu();
	gen_saip();
	gen_fs();
	gen_isdr();
	return 0;
}
