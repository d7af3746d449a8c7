/*
 * The software eUICC end to end, in-process: state directory, local install
 * of a built package, profile switching, ES10 through the ISD-R, the USIM's
 * AUTHENTICATE through the card engine, persistence across restarts, the
 * lock, and crash consistency of install and AUTHENTICATE by fault injection
 * at every write point (a SQN is never accepted twice).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "helper_tsv.h"
#include "simfleet/aka.h"
#include "simfleet/eid.h"
#include "simfleet/err.h"
#include "simfleet/euicc.h"
#include "simfleet/saip.h"
#include "simfleet/tre.h"
#include "simfleet/util.h"

static char root[256];
static const char *K = "465b5ce8b199b49faa5f0a2ee238a6bc";
static const char *OPC = "cd63cb71954a9f4e48a5994e37a02baf";

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/sf-euicc-XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static size_t build(const char *iccid, const char *imsi, uint8_t *dst, size_t cap)
{
	uint8_t k[16], opc[16];
	sf_test_unhex(K, k, 16);
	sf_test_unhex(OPC, opc, 16);
	struct sf_saip_build_params p;
	memset(&p, 0, sizeof(p));
	p.iccid = iccid;
	p.imsi = imsi;
	p.algorithm = SF_SAIP_ALG_MILENAGE;
	p.k = k;
	p.k_len = 16;
	p.opc = opc;
	p.opc_len = 16;
	p.spn = "simfleet";
	size_t n = 0;
	struct sf_saip_error err;
	assert_int_equal(sf_saip_build(&p, dst, cap, &n, &err), 0);
	return n;
}

/* Sends one APDU, follows 61xx; returns the final R-APDU in hex. */
static const char *xfer(struct sf_euicc *e, const char *hex)
{
	static char out[2 * 4200 + 1];
	uint8_t cmd[300], rsp[4200], acc[4200];
	size_t n = sf_test_unhex(hex, cmd, sizeof(cmd)), rn = 0, an = 0;
	assert_int_equal(sf_euicc_transmit(e, cmd, n, rsp, sizeof(rsp), &rn), 0);
	while (rn >= 2 && rsp[rn - 2] == 0x61) {
		uint8_t gr[5] = {(uint8_t)(cmd[0] & 3), 0xC0, 0, 0, rsp[rn - 1]};
		memcpy(acc + an, rsp, rn - 2);
		an += rn - 2;
		assert_int_equal(sf_euicc_transmit(e, gr, 5, rsp, sizeof(rsp), &rn), 0);
	}
	memcpy(acc + an, rsp, rn);
	an += rn;
	sf_hex_encode(out, sizeof(out), acc, an);
	return out;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* AUTHENTICATE APDU for SQN with the test subscriber's key. */
static void auth_apdu(uint64_t sqn, char *hex, size_t cap, char *res_hex)
{
	struct sf_aka_params p;
	struct sf_aka_ctx ctx;
	struct sf_aka_vector v;
	uint8_t rand[16] = {0x5a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, (uint8_t)sqn};
	uint8_t s[6], amf[2] = {0x80, 0x00};
	sf_aka_params_init(&p, SF_AKA_ALG_MILENAGE);
	sf_test_unhex(K, p.k, 16);
	sf_test_unhex(OPC, p.opc, 16);
	assert_int_equal(sf_aka_init(&ctx, &p), 0);
	sf_sqn_store(s, sqn);
	assert_int_equal(sf_aka_vector_compute(&ctx, rand, s, amf, &v), 0);
	char r[33], a[33];
	sf_hex_encode(r, sizeof(r), v.rand, 16);
	sf_hex_encode(a, sizeof(a), v.autn, 16);
	snprintf(hex, cap, "008800812210%s10%s00", r, a);
	sf_hex_encode(res_hex, 17, v.xres, 8);
	sf_aka_free(&ctx);
}

static void test_lifecycle(void **state)
{
	(void)state;
	char dir[300], eid[33];
	snprintf(dir, sizeof(dir), "%s/life", root);
	assert_int_equal(sf_euicc_create(dir, NULL, SF_EUICC_TEST_MODE, eid), 0);
	assert_int_equal(sf_eid_check(eid), 0);
	assert_int_equal(sf_euicc_create(dir, NULL, SF_EUICC_TEST_MODE, eid), SF_EEXIST);

	struct sf_euicc *e, *e2;
	assert_int_equal(sf_euicc_open(&e, dir), 0);
	assert_int_equal(sf_euicc_open(&e2, dir), SF_ESTORE_LOCKED);
	assert_string_equal(sf_euicc_eid(e), eid);

	/* No profile: the USIM is absent, the ISD-R answers. */
	assert_string_equal(xfer(e, "00a4040407a0000000871002"), "6a82");

	uint8_t pkg[16384];
	size_t n1 = build("89000123456789012341", "001010000000001", pkg, sizeof(pkg));
	char iccid[21];
	assert_int_equal(sf_euicc_install_local(e, pkg, n1, 0, NULL, iccid), 0);
	assert_string_equal(iccid, "89000123456789012341");
	assert_int_equal(sf_euicc_install_local(e, pkg, n1, 0, NULL, iccid), SF_EEXIST);
	size_t n2 = build("89000123456789012358", "001010000000002", pkg, sizeof(pkg));
	assert_int_equal(sf_euicc_install_local(e, pkg, n2, 0, NULL, iccid), 0);
	assert_int_equal(sf_euicc_profile_count(e), 2);

	/* Installed profiles start Disabled. */
	assert_string_equal(xfer(e, "00a4040407a0000000871002"), "6a82");
	assert_int_equal(sf_euicc_enable(e, "89000123456789012341"), SF_ES10_OK);
	assert_int_equal(sf_euicc_enable(e, "89000123456789012341"), SF_ES10_WRONG_STATE);
	assert_int_equal(sf_euicc_delete(e, "89000123456789012341"), SF_ES10_WRONG_STATE);
	assert_int_equal(sf_euicc_enable(e, "89000000000000000000"), SF_ES10_NOT_FOUND);

	/* The USIM of the enabled profile: select, read EF_IMSI, authenticate. */
	const char *r = xfer(e, "00a4040407a0000000871002");
	assert_true(ends_with(r, "9000"));
	r = xfer(e, "00a4000c026f07");
	assert_string_equal(r, "9000");
	r = xfer(e, "00b0000009");
	assert_string_equal(r, "080910100000000010" "9000");
	char apdu[200], res[17];
	auth_apdu((2u << 5) | 1, apdu, sizeof(apdu), res);
	r = xfer(e, apdu);
	assert_memory_equal(r, "db08", 4);
	assert_memory_equal(r + 4, res, 16);
	assert_true(ends_with(r, "9000"));

	/* Switch to the second profile: its IMSI; the first is disabled. */
	assert_int_equal(sf_euicc_enable(e, "89000123456789012358"), SF_ES10_OK);
	struct sf_profile_info pi;
	assert_int_equal(sf_euicc_profile_get(e, 0, &pi), 0);
	assert_int_equal(pi.state, SF_PROFILE_DISABLED);
	xfer(e, "00a4040407a0000000871002");
	xfer(e, "00a4000c026f07");
	assert_string_equal(xfer(e, "00b0000009"), "080910100000000020" "9000");
	sf_euicc_close(e);

	/* After a restart: state, SQN array and the enabled profile are back. */
	assert_int_equal(sf_euicc_open(&e, dir), 0);
	assert_int_equal(sf_euicc_enable(e, "89000123456789012341"), SF_ES10_OK);
	xfer(e, "00a4040407a0000000871002");
	r = xfer(e, apdu); /* the replay */
	assert_memory_equal(r, "dc0e", 4);

	/* ES10 through the ISD-R on a logical channel, as lpac does it. */
	assert_string_equal(xfer(e, "0070000001"), "019000");
	r = xfer(e, "01a4040010a0000005591010ffffffff8900000100");
	assert_true(ends_with(r, "9000"));
	char want[80];
	uint8_t bcd[16];
	for (int i = 0; i < 16; i++)
		bcd[i] = (uint8_t)((eid[2 * i] - '0') << 4 | (eid[2 * i + 1] - '0'));
	char bhex[33];
	sf_hex_encode(bhex, sizeof(bhex), bcd, 16);
	snprintf(want, sizeof(want), "bf3e125a10%s9000", bhex);
	assert_string_equal(xfer(e, "81e2910006bf3e035c015a"), want);
	r = xfer(e, "81e2910003bf2d00");
	assert_memory_equal(r, "bf2d", 4);
	assert_true(ends_with(r, "9000"));
	/* DisableProfile by ICCID over ES10c: BF32 {A0 {5A iccid} 81 00}. */
	r = xfer(e, "81e2910014bf3211a00c5a0a980010325476981032148101ff");
	assert_string_equal(r, "bf3203800100" "9000");
	assert_int_equal(sf_euicc_profile_get(e, 0, &pi), 0);
	assert_int_equal(pi.state, SF_PROFILE_DISABLED);
	assert_int_equal(sf_euicc_delete(e, "89000123456789012341"), SF_ES10_OK);
	assert_int_equal(sf_euicc_profile_count(e), 1);
	sf_euicc_close(e);

	/* install-local is for test-mode eUICCs only. */
	snprintf(dir, sizeof(dir), "%s/prod", root);
	assert_int_equal(sf_euicc_create(dir, "89049032123451234512345678901235", 0, NULL), 0);
	assert_int_equal(sf_euicc_open(&e, dir), 0);
	assert_int_equal(sf_euicc_install_local(e, pkg, n2, 1, NULL, NULL), SF_ENOTSUP);
	sf_euicc_close(e);
}

/* Kill the eUICC at every write point of an AUTHENTICATE: afterwards a RES
 * that left the card is never obtained again with the same AUTN. */
static void test_auth_crash(void **state)
{
	(void)state;
	char dir[300];
	snprintf(dir, sizeof(dir), "%s/crash", root);
	uint8_t pkg[16384];
	size_t n = build("89000123456789012341", "001010000000001", pkg, sizeof(pkg));
	int crashes = 0;
	for (long point = 1; point < 40; point++) {
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
		struct sf_euicc *e;
		assert_int_equal(sf_euicc_create(dir, NULL, SF_EUICC_TEST_MODE, NULL), 0);
		assert_int_equal(sf_euicc_open(&e, dir), 0);
		assert_int_equal(sf_euicc_install_local(e, pkg, n, 1, NULL, NULL), 0);
		sf_euicc_close(e);
		char apdu[200], res[17];
		auth_apdu(1u << 5, apdu, sizeof(apdu), res);
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		pid_t pid = fork();
		if (pid == 0) {
			close(fds[0]);
			if (sf_euicc_open(&e, dir))
				_exit(2);
			xfer(e, "00a4040407a0000000871002");
			sf_vault_fault_at(point);
			const char *r = xfer(e, apdu);
			sf_vault_fault_at(0);
			if (write(fds[1], r, strlen(r)) < 0)
				_exit(3);
			_exit(0);
		}
		close(fds[1]);
		char got[200] = "";
		ssize_t gl = read(fds[0], got, sizeof(got) - 1);
		close(fds[0]);
		got[gl > 0 ? gl : 0] = 0;
		int st;
		waitpid(pid, &st, 0);
		assert_true(WIFEXITED(st));
		int released = gl > 4 && memcmp(got, "db08", 4) == 0;
		if (WEXITSTATUS(st) == SF_VAULT_FAULT_EXIT)
			crashes++;
		else
			assert_int_equal(WEXITSTATUS(st), 0);
		assert_int_equal(sf_euicc_open(&e, dir), 0);
		xfer(e, "00a4040407a0000000871002");
		const char *again = xfer(e, apdu);
		int accepted_again = memcmp(again, "db08", 4) == 0;
		if (released && accepted_again)
			fail_msg("write point %ld: the same SQN was accepted twice", point);
		sf_euicc_close(e);
		if (WEXITSTATUS(st) == 0) {
			assert_true(released);
			break;
		}
	}
	print_message("AUTHENTICATE: %d crash points checked\n", crashes);
	assert_true(crashes >= 3);
}

/* Kill the eUICC at every write point of an install: afterwards the profile
 * is either fully there and usable, or absent. */
static void test_install_crash(void **state)
{
	(void)state;
	char dir[300];
	snprintf(dir, sizeof(dir), "%s/icrash", root);
	uint8_t pkg[16384];
	size_t n = build("89000123456789012341", "001010000000001", pkg, sizeof(pkg));
	int crashes = 0, done = 0;
	for (long point = 1; point < 200 && !done; point++) {
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
		assert_int_equal(sf_euicc_create(dir, NULL, SF_EUICC_TEST_MODE, NULL), 0);
		pid_t pid = fork();
		if (pid == 0) {
			struct sf_euicc *c;
			if (sf_euicc_open(&c, dir))
				_exit(2);
			sf_vault_fault_at(point);
			int rc = sf_euicc_install_local(c, pkg, n, 1, NULL, NULL);
			_exit(rc == 0 ? 0 : 3);
		}
		int st;
		waitpid(pid, &st, 0);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st) == 0)
			done = 1;
		else if (WEXITSTATUS(st) == SF_VAULT_FAULT_EXIT)
			crashes++;
		else
			fail_msg("install failed with exit %d at point %ld", WEXITSTATUS(st), point);
		struct sf_euicc *e;
		assert_int_equal(sf_euicc_open(&e, dir), 0);
		size_t count = sf_euicc_profile_count(e);
		assert_true(count <= 1);
		if (count == 1) {
			struct sf_profile_info pi;
			assert_int_equal(sf_euicc_profile_get(e, 0, &pi), 0);
			if (pi.state == SF_PROFILE_DISABLED)
				assert_int_equal(sf_euicc_enable(e, pi.iccid), SF_ES10_OK);
			xfer(e, "00a4040407a0000000871002");
			xfer(e, "00a4000c026f07");
			assert_string_equal(xfer(e, "00b0000009"), "080910100000000010" "9000");
		}
		sf_euicc_close(e);
	}
	assert_true(done);
	print_message("install: %d crash points, each left no profile or a whole one\n", crashes);
	assert_true(crashes >= 8);
}

/* Kill the eUICC at every write point of a profile switch (A enabled -> B
 * enabled) and of a delete: afterwards the state is the old or the new one,
 * never two enabled profiles or a half-deleted profile. */
static void test_switch_delete_crash(void **state)
{
	(void)state;
	char dir[300];
	snprintf(dir, sizeof(dir), "%s/scrash", root);
	uint8_t a[16384], b[16384];
	size_t na = build("89000123456789012341", "001010000000001", a, sizeof(a));
	size_t nb = build("89000123456789012358", "001010000000002", b, sizeof(b));
	for (int phase = 0; phase < 2; phase++) {
		int crashes = 0, done = 0;
		for (long point = 1; point < 100 && !done; point++) {
			char cmd[400];
			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
			assert_int_equal(system(cmd), 0);
			struct sf_euicc *e;
			assert_int_equal(sf_euicc_create(dir, NULL, SF_EUICC_TEST_MODE, NULL), 0);
			assert_int_equal(sf_euicc_open(&e, dir), 0);
			assert_int_equal(sf_euicc_install_local(e, a, na, 1, NULL, NULL), 0);
			assert_int_equal(sf_euicc_install_local(e, b, nb, 0, NULL, NULL), 0);
			sf_euicc_close(e);
			pid_t pid = fork();
			if (pid == 0) {
				if (sf_euicc_open(&e, dir))
					_exit(2);
				sf_vault_fault_at(point);
				int rc = phase == 0 ? sf_euicc_enable(e, "89000123456789012358")
						    : sf_euicc_delete(e, "89000123456789012358");
				_exit(rc == 0 ? 0 : 3);
			}
			int st;
			waitpid(pid, &st, 0);
			assert_true(WIFEXITED(st));
			if (WEXITSTATUS(st) == 0)
				done = 1;
			else if (WEXITSTATUS(st) == SF_VAULT_FAULT_EXIT)
				crashes++;
			else
				fail_msg("phase %d point %ld: exit %d", phase, point, WEXITSTATUS(st));
			assert_int_equal(sf_euicc_open(&e, dir), 0);
			size_t count = sf_euicc_profile_count(e);
			int enabled = 0, b_enabled = 0;
			for (size_t i = 0; i < count; i++) {
				struct sf_profile_info pi;
				assert_int_equal(sf_euicc_profile_get(e, i, &pi), 0);
				if (pi.state == SF_PROFILE_ENABLED) {
					enabled++;
					b_enabled = strcmp(pi.iccid, "89000123456789012358") == 0;
				}
			}
			assert_int_equal(enabled, 1);
			if (phase == 0) {
				assert_int_equal(count, 2);
				if (done)
					assert_true(b_enabled);
			} else {
				assert_true(count == 2 || count == 1);
				assert_false(b_enabled);
				if (done)
					assert_int_equal(count, 1);
			}
			/* Whatever is enabled is whole and answers. */
			xfer(e, "00a4040407a0000000871002");
			xfer(e, "00a4000c026f07");
			const char *r = xfer(e, "00b0000009");
			assert_true(strcmp(r, "080910100000000010" "9000") == 0 ||
				    strcmp(r, "080910100000000020" "9000") == 0);
			sf_euicc_close(e);
		}
		assert_true(done);
		print_message("%s: %d crash points, each left the old or the new state\n",
			      phase == 0 ? "switch" : "delete", crashes);
		assert_true(crashes >= 3);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_auth_crash),
		cmocka_unit_test(test_install_crash),
		cmocka_unit_test(test_switch_delete_crash),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
