/*
 * The software TRE and the vault: sealing, records, persistence, locking,
 * integrity checks, and crash consistency by fault injection at every write
 * point of a transaction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "simfleet/err.h"
#include "simfleet/tre.h"

static char root[256];

static void path(char *dst, size_t n, const char *leaf)
{
	snprintf(dst, n, "%s/%s", root, leaf);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "%s/sf-vault-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
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

static void open_tre(struct sf_tre *tre)
{
	char k[300];
	path(k, sizeof(k), "device.key");
	assert_int_equal(sf_tre_soft_open(tre, k, SF_TRE_CREATE), 0);
}

static void test_tre_seal(void **state)
{
	(void)state;
	struct sf_tre tre;
	open_tre(&tre);
	assert_int_equal(tre.ops->tamper_resistant, 0);
	uint8_t pt[40] = "subscriber key material", ct[80], back[80];
	size_t n, m;
	assert_int_equal(sf_tre_seal(&tre, (const uint8_t *)"a", 1, pt, 40, ct, sizeof(ct), &n), 0);
	assert_int_equal(n, 40 + SF_TRE_SEAL_OVERHEAD);
	assert_int_equal(sf_tre_unseal(&tre, (const uint8_t *)"a", 1, ct, n, back, sizeof(back), &m), 0);
	assert_int_equal(m, 40);
	assert_memory_equal(back, pt, 40);
	/* Another AAD, a flipped bit anywhere: refused, nothing released. */
	assert_int_equal(sf_tre_unseal(&tre, (const uint8_t *)"b", 1, ct, n, back, sizeof(back), &m),
			 SF_ECRYPTO_AUTH);
	for (size_t bit = 0; bit < n * 8; bit += 7) {
		ct[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		assert_int_equal(sf_tre_unseal(&tre, (const uint8_t *)"a", 1, ct, n, back, sizeof(back), &m),
				 SF_ECRYPTO_AUTH);
		ct[bit / 8] ^= (uint8_t)(1 << (bit % 8));
	}
	assert_int_equal(sf_tre_seal(&tre, NULL, 0, pt, 40, ct, 40, &n), SF_EBUFSIZE);
	sf_tre_close(&tre);
	sf_tre_close(&tre);

	/* The key file must be private. */
	char k[300];
	path(k, sizeof(k), "device.key");
	chmod(k, 0644);
	assert_int_equal(sf_tre_soft_open(&tre, k, 0), SF_ESTORE_KEY);
	chmod(k, 0600);
	assert_int_equal(sf_tre_soft_open(&tre, k, 0), 0);
	sf_tre_close(&tre);
	path(k, sizeof(k), "missing.key");
	assert_int_equal(sf_tre_soft_open(&tre, k, 0), SF_ESTORE_KEY);
}

static void test_vault_basics(void **state)
{
	(void)state;
	struct sf_tre tre;
	struct sf_vault *v, *v2;
	char d[300];
	uint8_t buf[64];
	size_t n;
	open_tre(&tre);
	path(d, sizeof(d), "state");
	assert_int_equal(sf_vault_open(&v, d, &tre, 0), SF_ESTORE_FORMAT);
	assert_int_equal(sf_vault_open(&v, d, &tre, SF_VAULT_CREATE), 0);
	/* One owner at a time. */
	assert_int_equal(sf_vault_open(&v2, d, &tre, 0), SF_ESTORE_LOCKED);

	assert_int_equal(sf_vault_put1(v, "profile.1", (const uint8_t *)"hello", 5, 0), 0);
	assert_int_equal(sf_vault_put1(v, "secret.k", (const uint8_t *)"0123456789abcdef", 16, 1), 0);
	assert_int_equal(sf_vault_get(v, "profile.1", buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(sf_vault_get(v, "secret.k", buf, 4, &n), SF_EBUFSIZE);
	assert_int_equal(n, 16);
	assert_int_equal(sf_vault_get(v, "nope", buf, sizeof(buf), &n), SF_ENOENT);
	assert_int_equal(sf_vault_put1(v, "../escape", buf, 1, 0), SF_ESTORE_NAME);
	assert_int_equal(sf_vault_put1(v, "a/b", buf, 1, 0), SF_ESTORE_NAME);
	assert_int_equal(sf_vault_put(v, "x", buf, 1, 0), SF_ESTORE_TXN);

	/* A transaction is invisible until commit, and abort leaves nothing. */
	assert_int_equal(sf_vault_begin(v), 0);
	assert_int_equal(sf_vault_begin(v), SF_ESTORE_TXN);
	assert_int_equal(sf_vault_put(v, "profile.1", (const uint8_t *)"world", 5, 0), 0);
	assert_int_equal(sf_vault_del(v, "secret.k"), 0);
	assert_int_equal(sf_vault_get(v, "profile.1", buf, sizeof(buf), &n), 0);
	assert_memory_equal(buf, "hello", 5);
	sf_vault_abort(v);
	assert_int_equal(sf_vault_get(v, "secret.k", buf, sizeof(buf), &n), 0);
	sf_vault_close(v);

	/* Persistence, and the secret is not on disk in clear. */
	assert_int_equal(sf_vault_open(&v, d, &tre, 0), 0);
	assert_int_equal(sf_vault_get(v, "secret.k", buf, sizeof(buf), &n), 0);
	assert_memory_equal(buf, "0123456789abcdef", 16);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "grep -rq 0123456789abcdef '%s'", d);
	assert_int_not_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "grep -rq hello '%s'", d);
	assert_int_equal(system(cmd), 0); /* unsealed records are plain */
	assert_int_equal(sf_vault_begin(v), 0);
	assert_int_equal(sf_vault_del(v, "profile.1"), 0);
	assert_int_equal(sf_vault_del(v, "profile.1"), SF_ENOENT);
	assert_int_equal(sf_vault_commit(v), 0);
	assert_int_equal(sf_vault_size(v, "profile.1", &n), SF_ENOENT);
	sf_vault_close(v);

	/* Tampering with a record file is detected. */
	assert_int_equal(sf_vault_open(&v, d, &tre, 0), 0);
	assert_int_equal(sf_vault_put1(v, "plain", (const uint8_t *)"AAAA", 4, 0), 0);
	sf_vault_close(v);
	snprintf(cmd, sizeof(cmd), "sed -i s/AAAA/AAAB/ '%s'/r/*.plain", d);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(sf_vault_open(&v, d, &tre, 0), 0);
	assert_int_equal(sf_vault_get(v, "plain", buf, sizeof(buf), &n), SF_ESTORE_CORRUPT);
	sf_vault_close(v);

	/* Another device key cannot read the state. */
	struct sf_tre other;
	char k2[300];
	path(k2, sizeof(k2), "other.key");
	assert_int_equal(sf_tre_soft_open(&other, k2, SF_TRE_CREATE), 0);
	assert_int_equal(sf_vault_open(&v, d, &other, 0), SF_ECRYPTO_AUTH);
	sf_tre_close(&other);

	/* A newer format is refused. */
	char f[300];
	path(f, sizeof(f), "state/FORMAT");
	FILE *fp = fopen(f, "w");
	fputs("simfleet-vault 99\n", fp);
	fclose(fp);
	assert_int_equal(sf_vault_open(&v, d, &tre, 0), SF_ESTORE_FORMAT);
	sf_tre_close(&tre);
}

/* State before the transaction: a=A1, b=B1, c=C1.  After: a=A1, b=B2, c gone,
 * d=D2.  Anything else after a crash is a failure. */
static void make_old_state(const char *d, struct sf_tre *tre)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
	struct sf_vault *v;
	assert_int_equal(sf_vault_open(&v, d, tre, SF_VAULT_CREATE), 0);
	assert_int_equal(sf_vault_begin(v), 0);
	assert_int_equal(sf_vault_put(v, "a", (const uint8_t *)"A1", 2, 1), 0);
	assert_int_equal(sf_vault_put(v, "b", (const uint8_t *)"B1", 2, 1), 0);
	assert_int_equal(sf_vault_put(v, "c", (const uint8_t *)"C1", 2, 0), 0);
	assert_int_equal(sf_vault_commit(v), 0);
	sf_vault_close(v);
}

static int has(struct sf_vault *v, const char *name, const char *want)
{
	uint8_t buf[16];
	size_t n;
	int rc = sf_vault_get(v, name, buf, sizeof(buf), &n);
	if (!want)
		return rc == SF_ENOENT;
	return rc == 0 && n == strlen(want) && memcmp(buf, want, n) == 0;
}

static int count_files(const char *d)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "ls '%s/r' | wc -l", d);
	FILE *p = popen(cmd, "r");
	int n = -1;
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void test_crash_consistency(void **state)
{
	(void)state;
	struct sf_tre tre;
	char d[300];
	open_tre(&tre);
	path(d, sizeof(d), "crash");
	int crashes = 0, completed = 0;
	for (long n = 1; n < 200 && !completed; n++) {
		make_old_state(d, &tre);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct sf_vault *v;
			if (sf_vault_open(&v, d, &tre, 0))
				_exit(2);
			sf_vault_fault_at(n);
			if (sf_vault_begin(v) || sf_vault_put(v, "b", (const uint8_t *)"B2", 2, 1) ||
			    sf_vault_del(v, "c") || sf_vault_put(v, "d", (const uint8_t *)"D2", 2, 0) ||
			    sf_vault_commit(v))
				_exit(3);
			sf_vault_close(v);
			_exit(0);
		}
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st) == 0)
			completed = 1;
		else if (WEXITSTATUS(st) == SF_VAULT_FAULT_EXIT)
			crashes++;
		else
			fail_msg("child failed with %d at fault point %ld", WEXITSTATUS(st), n);

		struct sf_vault *v;
		assert_int_equal(sf_vault_open(&v, d, &tre, 0), 0);
		int old = has(v, "a", "A1") && has(v, "b", "B1") && has(v, "c", "C1") && has(v, "d", NULL);
		int new = has(v, "a", "A1") && has(v, "b", "B2") && has(v, "c", NULL) && has(v, "d", "D2");
		if (!old && !new)
			fail_msg("crash at write point %ld left a mixed state", n);
		if (completed && !new)
			fail_msg("completed transaction not visible");
		/* Garbage of the interrupted transaction is gone after open. */
		assert_int_equal(count_files(d), 3);
		sf_vault_close(v);
	}
	assert_true(completed);
	print_message("crash consistency: %d crash points, all left old or new state\n", crashes);
	assert_true(crashes >= 8);
	sf_tre_close(&tre);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tre_seal),
		cmocka_unit_test(test_vault_basics),
		cmocka_unit_test(test_crash_consistency),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
