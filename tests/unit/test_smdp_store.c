/*
 * The SM-DP+ store (include/simfleet/smdp.h): the SGP.22 state machine
 * (every allowed transition and the refused ones), operators isolated,
 * matchingIds (chosen, generated, unique), EID binding, the confirmation
 * code stored only as SHA-256 and hashCc derived from it, download attempts,
 * confirmation code failures, expiry, cancel, PK.EUICC per EID, the audit
 * log, the StoreMetadataRequest encoding, schema migration from the oldest
 * version, a second connection (import while serving) and crash safety: a
 * child killed in the middle of a stream of transitions leaves every row in
 * a state of the lifecycle with consistent fields.
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "simfleet/err.h"
#include "simfleet/rsp.h"
#include "simfleet/sha256.h"
#include "simfleet/smdp.h"

int sf__smdp_db_open_version(const char *path, int version, struct sf_smdp_db **out);
int sf__smdp_db_sync_level(struct sf_smdp_db *db);

#define assert_rc(want, got)                                                                       \
	do {                                                                                       \
		int got_ = (got), want_ = (want);                                                  \
		if (got_ != want_)                                                                 \
			fail_msg("%s: got %d (%s) want %d (%s)", #got, got_, sf_err_name(got_),    \
			         want_, sf_err_name(want_));                                       \
	} while (0)

static char dir[64], dbp[96];
static const uint8_t PKG[] = {0xA0, 0x03, 0x01, 0x02, 0x03, 0x4B, 0x31, 0x4B, 0x31};
static const char *EID1 = "89049032000000000000000011111125";
static const char *EID2 = "89049032000000000000000022222281";
#define I1 "89000123456789010014"
#define I2 "89000123456789010022"
#define I3 "89000123456789010030"

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sf_smdp_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(dbp, sizeof(dbp), "%s/smdp.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct sf_smdp_db *fresh(const struct sf_smdp_policy *pol)
{
	struct sf_smdp_db *db = NULL;
	unlink(dbp);
	char p[128];
	snprintf(p, sizeof(p), "%s-wal", dbp);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbp);
	unlink(p);
	assert_rc(0, sf_smdp_db_open(dbp, pol, NULL, &db));
	assert_rc(0,
	          sf_smdp_profile_add(db, "op1", I1, "typeA", NULL, NULL, PKG, sizeof(PKG), 100));
	assert_rc(
	    0, sf_smdp_profile_add(db, "op1", I2, "typeA", "SPN", "Name", PKG, sizeof(PKG), 100));
	assert_rc(0,
	          sf_smdp_profile_add(db, "op2", I3, "typeA", NULL, NULL, PKG, sizeof(PKG), 100));
	return db;
}

static enum sf_smdp_state st(struct sf_smdp_db *db, const char *iccid)
{
	struct sf_smdp_profile p;
	assert_rc(0, sf_smdp_profile_get(db, NULL, iccid, &p));
	return p.state;
}

static void test_names(void **state)
{
	(void)state;
	enum sf_smdp_state s;
	for (int i = 0; i < SF_SMDP_STATE_COUNT; i++) {
		assert_rc(0, sf_smdp_state_parse(sf_smdp_state_name((enum sf_smdp_state)i), &s));
		assert_int_equal(s, i);
	}
	assert_string_equal(sf_smdp_state_name(SF_SMDP_LINKED), "linked");
	assert_rc(SF_EINVAL, sf_smdp_state_parse("installing", &s));
}

static void test_inventory(void **state)
{
	(void)state;
	struct sf_smdp_db *db = fresh(NULL);
	struct sf_smdp_profile p;
	uint8_t *pkg;
	size_t len;
	assert_rc(SF_ESMDP_DUPLICATE,
	          sf_smdp_profile_add(db, "op2", I1, "t", NULL, NULL, PKG, sizeof(PKG), 1));
	assert_rc(0, sf_smdp_profile_get(db, "op1", I1, &p));
	assert_string_equal(p.spn, "op1");    /* default SPN: the operator */
	assert_string_equal(p.name, "typeA"); /* default name: the type */
	assert_int_equal(p.state, SF_SMDP_AVAILABLE);
	assert_int_equal(p.max_attempts, SF_SMDP_DEFAULT_ATTEMPTS);
	assert_rc(SF_ESMDP_UNKNOWN, sf_smdp_profile_get(db, "op2", I1, &p)); /* isolated */
	assert_rc(0, sf_smdp_profile_get(db, "op1", I2, &p));
	assert_string_equal(p.spn, "SPN");
	assert_rc(0, sf_smdp_profile_package(db, I2, &pkg, &len));
	assert_int_equal(len, sizeof(PKG));
	assert_memory_equal(pkg, PKG, len);
	free(pkg);
	assert_rc(SF_ESMDP_UNKNOWN, sf_smdp_profile_package(db, "8900", &pkg, &len));
	assert_rc(SF_EINVAL, sf_smdp_profile_add(db, "", I1, NULL, NULL, NULL, PKG, 1, 1));
	sf_smdp_db_close(db);
}

/* The whole lifecycle of SGP.22 §3.1.1 through the store. */
static void test_lifecycle(void **state)
{
	(void)state;
	struct sf_smdp_db *db = fresh(NULL);
	char iccid[21], mid[SF_SMDP_NAME_MAX + 1];
	struct sf_smdp_profile p;

	/* downloadOrder by type: the first available of op1, linked to EID1. */
	assert_rc(0, sf_smdp_download_order(db, "op1", EID1, NULL, "typeA", 200, iccid));
	assert_string_equal(iccid, I1);
	assert_int_equal(st(db, I1), SF_SMDP_LINKED);
	/* then I2 allocated (no EID), then nothing left for op1 */
	assert_rc(0, sf_smdp_download_order(db, "op1", NULL, NULL, "typeA", 200, iccid));
	assert_string_equal(iccid, I2);
	assert_int_equal(st(db, I2), SF_SMDP_ALLOCATED);
	assert_rc(SF_ESMDP_NONE_AVAILABLE,
	          sf_smdp_download_order(db, "op1", NULL, NULL, "typeA", 200, iccid));
	assert_rc(SF_ESMDP_STATE, sf_smdp_download_order(db, "op1", NULL, I1, NULL, 200, iccid));
	assert_rc(SF_ESMDP_UNKNOWN, sf_smdp_download_order(db, "op1", NULL, I3, NULL, 200, iccid));
	assert_rc(SF_EINVAL, sf_smdp_download_order(db, "op1", "123", I3, NULL, 200, iccid));
	assert_rc(SF_EINVAL, sf_smdp_download_order(db, "op1", NULL, I3, "typeA", 200, iccid));

	/* releaseProfile before confirm is refused */
	assert_rc(SF_ESMDP_STATE, sf_smdp_release(db, "op1", I1, 210));
	/* confirmOrder with another EID than the linked one is refused */
	assert_rc(SF_ESMDP_EID,
	          sf_smdp_confirm_order(db, "op1", I1, EID2, NULL, NULL, 0, 0, 210, mid));
	assert_rc(0, sf_smdp_confirm_order(db, "op1", I1, NULL, "ORDER-1", (const uint8_t *)"1234",
	                                   4, 0, 210, mid));
	assert_string_equal(mid, "ORDER-1");
	assert_int_equal(st(db, I1), SF_SMDP_CONFIRMED);
	/* a matchingId is unique; an unsafe one refused */
	assert_rc(SF_ESMDP_MATCHING_ID,
	          sf_smdp_confirm_order(db, "op1", I2, NULL, "ORDER-1", NULL, 0, 1, 210, mid));
	assert_rc(SF_EINVAL,
	          sf_smdp_confirm_order(db, "op1", I2, NULL, "A$B", NULL, 0, 1, 210, mid));
	assert_int_equal(st(db, I2), SF_SMDP_ALLOCATED);
	/* confirmed, not released: not downloadable */
	assert_rc(SF_ESMDP_MATCHING_ID, sf_smdp_begin_download(db, "ORDER-1", EID1, 220, &p));
	assert_rc(0, sf_smdp_release(db, "op1", I1, 220));
	assert_int_equal(st(db, I1), SF_SMDP_RELEASED);

	/* the confirmation code: only SHA-256(CC) kept; hashCc from it */
	assert_rc(0, sf_smdp_profile_get(db, NULL, I1, &p));
	uint8_t h[32], want[32], tid[16] = {1, 2, 3};
	assert_true(p.cc_required);
	sf_sha256("1234", 4, h);
	assert_memory_equal(p.cc_sha256, h, 32);
	sf_smdp_hash_cc(p.cc_sha256, tid, sizeof(tid), h);
	assert_rc(0, sf_rsp_hash_cc((const uint8_t *)"1234", 4, tid, sizeof(tid), want));
	assert_memory_equal(h, want, 32);

	/* ES9+: another EID is refused without counting; EID1 counts */
	assert_rc(SF_ESMDP_EID, sf_smdp_begin_download(db, "ORDER-1", EID2, 230, &p));
	assert_rc(SF_ESMDP_MATCHING_ID, sf_smdp_begin_download(db, "NOPE", EID1, 230, &p));
	assert_rc(0, sf_smdp_begin_download(db, "ORDER-1", EID1, 230, &p));
	assert_int_equal(p.attempts, 1);
	assert_string_equal(p.iccid, I1);
	assert_rc(SF_ESMDP_EID, sf_smdp_mark_downloaded(db, I1, EID2, 231));
	assert_rc(0, sf_smdp_mark_downloaded(db, I1, EID1, 231));
	assert_int_equal(st(db, I1), SF_SMDP_DOWNLOADED);
	/* a retry of a downloaded order is allowed */
	assert_rc(0, sf_smdp_begin_download(db, "ORDER-1", EID1, 232, &p));
	assert_int_equal(p.attempts, 2);
	assert_rc(0, sf_smdp_mark_installed(db, I1, EID1, 1, 233));
	assert_int_equal(st(db, I1), SF_SMDP_INSTALLED);
	assert_rc(SF_ESMDP_MATCHING_ID, sf_smdp_begin_download(db, "ORDER-1", EID1, 234, &p));
	assert_rc(SF_ESMDP_STATE, sf_smdp_cancel_order(db, "op1", I1, NULL, NULL, 1, 235));

	/* I2: confirm with release and a generated matchingId; the first EID
	 * that downloads binds it. */
	assert_rc(0, sf_smdp_confirm_order(db, "op1", I2, NULL, NULL, NULL, 0, 1, 240, mid));
	assert_int_equal(strlen(mid), 23);
	assert_int_equal(st(db, I2), SF_SMDP_RELEASED);
	assert_rc(0, sf_smdp_begin_download(db, mid, EID2, 241, &p));
	assert_false(p.cc_required);
	assert_rc(SF_ESMDP_EID, sf_smdp_begin_download(db, mid, EID1, 242, &p));
	/* a failed install (PIR error) */
	assert_rc(0, sf_smdp_mark_downloaded(db, I2, EID2, 243));
	assert_rc(0, sf_smdp_mark_installed(db, I2, EID2, 0, 244));
	assert_int_equal(st(db, I2), SF_SMDP_ERROR);
	/* cancel with the wrong matchingId / EID refused, then back to available */
	assert_rc(SF_ESMDP_MATCHING_ID, sf_smdp_cancel_order(db, "op1", I2, NULL, "X", 1, 245));
	assert_rc(SF_ESMDP_EID, sf_smdp_cancel_order(db, "op1", I2, EID1, NULL, 1, 245));
	assert_rc(SF_ESMDP_UNKNOWN, sf_smdp_cancel_order(db, "op2", I2, NULL, NULL, 1, 245));
	assert_rc(0, sf_smdp_cancel_order(db, "op1", I2, EID2, mid, 1, 245));
	assert_rc(0, sf_smdp_profile_get(db, NULL, I2, &p));
	assert_int_equal(p.state, SF_SMDP_AVAILABLE);
	assert_string_equal(p.eid, "");
	assert_string_equal(p.matching_id, "");
	assert_int_equal(p.attempts, 0);
	/* cancel to unavailable */
	assert_rc(0, sf_smdp_download_order(db, "op1", NULL, I2, NULL, 250, iccid));
	assert_rc(0, sf_smdp_cancel_order(db, "op1", I2, NULL, NULL, 0, 251));
	assert_int_equal(st(db, I2), SF_SMDP_UNAVAILABLE);
	assert_rc(SF_ESMDP_STATE, sf_smdp_download_order(db, "op1", NULL, I2, NULL, 252, iccid));
	sf_smdp_db_close(db);
}

static void test_attempts_expiry(void **state)
{
	(void)state;
	struct sf_smdp_policy pol = {.max_attempts = 2, .max_cc_failures = 2, .order_ttl = 100};
	struct sf_smdp_db *db = fresh(&pol);
	char iccid[21], mid[SF_SMDP_NAME_MAX + 1];
	struct sf_smdp_profile p;

	assert_rc(0, sf_smdp_download_order(db, "op1", NULL, I1, NULL, 1000, iccid));
	assert_rc(0, sf_smdp_confirm_order(db, "op1", I1, NULL, "M1", NULL, 0, 1, 1000, mid));
	assert_rc(0, sf_smdp_begin_download(db, "M1", EID1, 1001, &p));
	assert_rc(0, sf_smdp_begin_download(db, "M1", EID1, 1002, &p));
	assert_int_equal(p.attempts, 2);
	/* the third attempt is refused and the order fails */
	assert_rc(SF_ESMDP_ATTEMPTS, sf_smdp_begin_download(db, "M1", EID1, 1003, &p));
	assert_int_equal(st(db, I1), SF_SMDP_ERROR);
	assert_rc(SF_ESMDP_ATTEMPTS, sf_smdp_begin_download(db, "M1", EID1, 1004, &p));

	/* confirmation code failures */
	assert_rc(0, sf_smdp_download_order(db, "op1", NULL, I2, NULL, 1000, iccid));
	assert_rc(0, sf_smdp_confirm_order(db, "op1", I2, NULL, "M2", (const uint8_t *)"9", 1, 1,
	                                   1000, mid));
	assert_rc(SF_ESMDP_CC, sf_smdp_cc_failed(db, I2, 1001));
	assert_int_equal(st(db, I2), SF_SMDP_RELEASED);
	assert_rc(SF_ESMDP_ATTEMPTS, sf_smdp_cc_failed(db, I2, 1002));
	assert_int_equal(st(db, I2), SF_SMDP_ERROR);

	/* expiry: order_ttl 100 from the confirmation at 1000 */
	assert_rc(0, sf_smdp_download_order(db, "op2", NULL, I3, NULL, 1000, iccid));
	assert_rc(0, sf_smdp_confirm_order(db, "op2", I3, NULL, "M3", NULL, 0, 1, 1000, mid));
	assert_rc(0, sf_smdp_profile_get(db, NULL, I3, &p));
	assert_int_equal(p.expires, 1100);
	assert_rc(SF_ESMDP_EXPIRED, sf_smdp_begin_download(db, "M3", EID1, 1100, &p));
	assert_rc(0, sf_smdp_profile_get(db, NULL, I3, &p));
	assert_int_equal(p.attempts, 0); /* an expired order counts nothing */
	assert_rc(0, sf_smdp_begin_download(db, "M3", EID1, 1099, &p));

	/* cancelSession: postponed gives the order back, rejection ends it */
	assert_rc(0, sf_smdp_mark_downloaded(db, I3, EID1, 1099));
	assert_rc(0, sf_smdp_session_cancelled(db, I3, EID1, 0, 1099));
	assert_int_equal(st(db, I3), SF_SMDP_RELEASED);
	assert_rc(0, sf_smdp_session_cancelled(db, I3, EID1, 1, 1099));
	assert_int_equal(st(db, I3), SF_SMDP_ERROR);
	sf_smdp_db_close(db);
}

static int count_audit(void *user, int64_t id, int64_t at, const char *actor, const char *action,
                       const char *iccid, const char *eid, const char *result, const char *detail)
{
	(void)id;
	(void)at;
	(void)eid;
	(void)detail;
	int *n = user;
	if (*n == 0) {
		assert_string_equal(actor, "operator:op1");
		assert_string_equal(action, "downloadOrder");
		assert_string_equal(iccid, I1);
		assert_string_equal(result, "ok");
	}
	(*n)++;
	return 0;
}

static void test_euicc_audit(void **state)
{
	(void)state;
	struct sf_smdp_db *db = fresh(NULL);
	uint8_t pk[65], got[65];
	int curve = 0, n = 0;
	memset(pk, 0x42, sizeof(pk));
	pk[0] = 4;
	assert_rc(SF_ESMDP_UNKNOWN, sf_smdp_euicc_get(db, EID1, &curve, got));
	assert_rc(0, sf_smdp_euicc_put(db, EID1, 1, pk, 10));
	assert_rc(0, sf_smdp_euicc_get(db, EID1, &curve, got));
	assert_int_equal(curve, 1);
	assert_memory_equal(got, pk, 65);
	assert_rc(SF_EINVAL, sf_smdp_euicc_put(db, "89", 1, pk, 10));
	assert_rc(0, sf_smdp_audit(db, "operator:op1", "downloadOrder", I1, NULL, "ok", NULL, 5));
	assert_rc(0, sf_smdp_audit(db, "device:127.0.0.1", "authenticateClient", I1, EID1,
	                           "ESMDP_EID", "M1", 6));
	assert_rc(0, sf_smdp_audit_list(db, count_audit, &n));
	assert_int_equal(n, 2);
	sf_smdp_db_close(db);
}

static void test_metadata(void **state)
{
	(void)state;
	struct sf_bpp_metadata md;
	uint8_t b[256];
	size_t n;
	static const uint8_t want[] = {0xBF, 0x25, 0x14, 0x5A, 0x0A, 0x98, 0x00, 0x10,
	                               0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14, 0x91,
	                               0x02, 'o',  'p',  0x92, 0x02, 'P',  '1'};
	memset(&md, 0, sizeof(md));
	snprintf(md.iccid, sizeof(md.iccid), "89000123456789012341");
	snprintf(md.spn, sizeof(md.spn), "op");
	snprintf(md.name, sizeof(md.name), "P1");
	md.pclass = -1;
	assert_rc(0, sf_smdp_metadata_encode(&md, b, sizeof(b), &n));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(b, want, n);
	/* 19 digits: F padding; class test(0) encoded, operational(2) not */
	snprintf(md.iccid, sizeof(md.iccid), "8900012345678901234");
	md.pclass = 0;
	assert_rc(0, sf_smdp_metadata_encode(&md, b, sizeof(b), &n));
	assert_int_equal(b[14], 0xF4);
	assert_int_equal(b[n - 3], 0x95);
	md.pclass = 2;
	assert_rc(0, sf_smdp_metadata_encode(&md, b, sizeof(b), &n));
	assert_int_equal(n, sizeof(want));
	assert_rc(SF_EBUFSIZE, sf_smdp_metadata_encode(&md, b, 5, &n));
	assert_int_equal(n, sizeof(want));
	snprintf(md.iccid, sizeof(md.iccid), "89A");
	assert_rc(SF_EINVAL, sf_smdp_metadata_encode(&md, b, sizeof(b), &n));
}

/* Downloads without a matchingId (the default SM-DP+, SGP.22 §3.1.2): the
 * EID's released order, the oldest release first; never an order without
 * an EID or for another EID; expiry and attempts as by matchingId; a
 * refusal changes nothing. */
#define I4 "89000123456789010048"
#define I5 "89000123456789010055"
static void test_order_for_eid(void **state)
{
	(void)state;
	struct sf_smdp_policy pol = {.max_attempts = 2, .order_ttl = 1000};
	struct sf_smdp_db *db = fresh(&pol);
	char iccid[21], mid[SF_SMDP_NAME_MAX + 1];
	struct sf_smdp_profile p;
	assert_rc(0,
	          sf_smdp_profile_add(db, "op1", I4, "typeA", NULL, NULL, PKG, sizeof(PKG), 100));
	assert_rc(0,
	          sf_smdp_profile_add(db, "op2", I5, "typeA", NULL, NULL, PKG, sizeof(PKG), 100));

	/* nothing for the EID: refused, nothing written */
	assert_rc(SF_ESMDP_MATCHING_ID, sf_smdp_order_for_eid(db, EID1, 200, &p));
	assert_rc(SF_ESMDP_MATCHING_ID, sf_smdp_begin_download_eid(db, EID1, 200, &p));
	assert_rc(SF_EINVAL, sf_smdp_order_for_eid(db, "8904", 200, &p));
	assert_rc(SF_EINVAL, sf_smdp_begin_download_eid(db, NULL, 200, &p));

	/* I1 for EID1 confirmed but not released; I2 released without an EID;
	 * I5 released for EID2: none of them is EID1's to download. */
	assert_rc(0, sf_smdp_download_order(db, "op1", EID1, I1, NULL, 200, iccid));
	assert_rc(0, sf_smdp_confirm_order(db, "op1", I1, NULL, NULL, NULL, 0, 0, 210, mid));
	assert_rc(0, sf_smdp_download_order(db, "op1", NULL, I2, NULL, 200, iccid));
	assert_rc(0, sf_smdp_confirm_order(db, "op1", I2, NULL, NULL, NULL, 0, 1, 210, mid));
	assert_rc(0, sf_smdp_download_order(db, "op2", EID2, I5, NULL, 200, iccid));
	assert_rc(0, sf_smdp_confirm_order(db, "op2", I5, NULL, NULL, NULL, 0, 1, 210, mid));
	assert_rc(SF_ESMDP_MATCHING_ID, sf_smdp_order_for_eid(db, EID1, 220, &p));
	assert_rc(SF_ESMDP_MATCHING_ID, sf_smdp_begin_download_eid(db, EID1, 220, &p));
	assert_int_equal(st(db, I1), SF_SMDP_CONFIRMED);
	assert_int_equal(st(db, I2), SF_SMDP_RELEASED);
	assert_rc(0, sf_smdp_profile_get(db, NULL, I2, &p));
	assert_string_equal(p.eid, ""); /* not bound by the refusal */
	assert_int_equal(p.attempts, 0);
	assert_rc(0, sf_smdp_order_for_eid(db, EID2, 220, &p));
	assert_string_equal(p.iccid, I5);

	/* Two orders for EID1: I1 confirmed first (210) but released at 300,
	 * I4 confirmed and released at 290: the oldest release wins. */
	assert_rc(0, sf_smdp_release(db, "op1", I1, 300));
	assert_rc(0, sf_smdp_download_order(db, "op1", NULL, I4, NULL, 280, iccid));
	assert_rc(0, sf_smdp_confirm_order(db, "op1", I4, EID1, "EID1-FIRST", (const uint8_t *)"42",
	                                   2, 1, 290, mid));
	assert_rc(0, sf_smdp_order_for_eid(db, EID1, 310, &p));
	assert_string_equal(p.iccid, I4);
	assert_string_equal(p.matching_id, "EID1-FIRST");
	assert_true(p.cc_required);      /* what smdpSigned2's ccRequiredFlag needs */
	assert_int_equal(p.attempts, 0); /* reading counts nothing */

	/* the attempt: counted on I4, in the caller's transaction */
	assert_rc(0, sf_smdp_txn_begin(db));
	assert_rc(0, sf_smdp_begin_download_eid(db, EID1, 311, &p));
	assert_rc(0, sf_smdp_txn_end(db));
	assert_string_equal(p.iccid, I4);
	assert_int_equal(p.attempts, 1);
	assert_rc(0, sf_smdp_mark_downloaded(db, I4, EID1, 312));
	/* downloaded, no result yet: still the one served (a retry) */
	assert_rc(0, sf_smdp_begin_download_eid(db, EID1, 313, &p));
	assert_string_equal(p.iccid, I4);
	assert_int_equal(p.attempts, 2);
	assert_rc(0, sf_smdp_mark_installed(db, I4, EID1, 1, 314));
	/* installed: the next order, I1 */
	assert_rc(0, sf_smdp_begin_download_eid(db, EID1, 315, &p));
	assert_string_equal(p.iccid, I1);
	assert_int_equal(p.attempts, 1);
	assert_false(p.cc_required);
	/* I1 over its attempt limit: refused and failed, as by matchingId */
	assert_rc(0, sf_smdp_begin_download_eid(db, EID1, 316, &p));
	assert_rc(SF_ESMDP_ATTEMPTS, sf_smdp_begin_download_eid(db, EID1, 317, &p));
	assert_int_equal(st(db, I1), SF_SMDP_ERROR);
	assert_rc(SF_ESMDP_MATCHING_ID, sf_smdp_begin_download_eid(db, EID1, 318, &p));

	/* ties: released in the same second, the smaller ICCID first */
	assert_rc(0, sf_smdp_cancel_order(db, "op1", I1, NULL, NULL, 1, 400));
	assert_rc(0, sf_smdp_cancel_order(db, "op1", I2, NULL, NULL, 1, 400));
	assert_rc(0, sf_smdp_download_order(db, "op1", EID1, I2, NULL, 400, iccid));
	assert_rc(0, sf_smdp_confirm_order(db, "op1", I2, NULL, NULL, NULL, 0, 1, 401, mid));
	assert_rc(0, sf_smdp_download_order(db, "op1", EID1, I1, NULL, 400, iccid));
	assert_rc(0, sf_smdp_confirm_order(db, "op1", I1, NULL, NULL, NULL, 0, 1, 401, mid));
	assert_rc(0, sf_smdp_order_for_eid(db, EID1, 402, &p));
	assert_string_equal(p.iccid, I1);

	/* expiry (order_ttl 1000 from 401): once all have expired, refused
	 * without counting; a younger order is not blocked by an expired one */
	assert_rc(SF_ESMDP_EXPIRED, sf_smdp_order_for_eid(db, EID1, 1401, &p));
	assert_string_equal(p.iccid, I1);
	assert_rc(SF_ESMDP_EXPIRED, sf_smdp_begin_download_eid(db, EID1, 1401, &p));
	assert_rc(0, sf_smdp_profile_get(db, NULL, I1, &p));
	assert_int_equal(p.attempts, 0);
	assert_int_equal(p.state, SF_SMDP_RELEASED);
	assert_rc(0, sf_smdp_cancel_order(db, "op1", I2, NULL, NULL, 1, 1300));
	assert_rc(0, sf_smdp_download_order(db, "op1", EID1, I2, NULL, 1300, iccid));
	assert_rc(0, sf_smdp_confirm_order(db, "op1", I2, NULL, NULL, NULL, 0, 1, 1300, mid));
	assert_rc(0, sf_smdp_begin_download_eid(db, EID1, 1401, &p));
	assert_string_equal(p.iccid, I2);
	/* EID2's order was never touched */
	assert_rc(0, sf_smdp_profile_get(db, NULL, I5, &p));
	assert_int_equal(p.attempts, 0);
	assert_int_equal(p.state, SF_SMDP_RELEASED);
	sf_smdp_db_close(db);
}

/* A database of schema `version` (an older simfleet's), with rows written
 * by `sql` as that simfleet would have. */
static void old_database(int version, const char *sql)
{
	struct sf_smdp_db *db = NULL;
	sqlite3 *raw;
	unlink(dbp);
	assert_rc(0, sf__smdp_db_open_version(dbp, version, &db));
	assert_int_equal(sf_smdp_schema_version(db), version);
	sf_smdp_db_close(db);
	assert_int_equal(sqlite3_open(dbp, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
}

static void test_migrations(void **state)
{
	(void)state;
	struct sf_smdp_db *db = NULL;
	sqlite3 *raw;
	/* the schema of the first simfleet SM-DP+ (version 1), with a row */
	old_database(1, "INSERT INTO profile (iccid, operator, package, state, created,"
	                " updated) VALUES ('" I1 "', 'op1', x'00', 'available', 1, 1)");
	/* opening upgrades it to the latest, keeping the row */
	assert_rc(0, sf_smdp_db_open(dbp, NULL, NULL, &db));
	assert_int_equal(sf_smdp_schema_version(db), sf_smdp_schema_latest());
	assert_true(sf_smdp_schema_latest() >= 3);
	struct sf_smdp_profile p;
	assert_rc(0, sf_smdp_profile_get(db, "op1", I1, &p));
	assert_int_equal(p.cc_failures, 0);
	uint8_t *pkg = NULL;
	size_t pkg_len = 0;
	assert_rc(0, sf_smdp_profile_package(db, I1, &pkg, &pkg_len)); /* moved by 2 -> 3 */
	assert_int_equal(pkg_len, 1);
	assert_int_equal(pkg[0], 0x00);
	free(pkg);
	uint8_t pk[65] = {4};
	assert_rc(0, sf_smdp_euicc_put(db, EID1, 1, pk, 1)); /* the v2 table */
	sf_smdp_db_close(db);
	/* a newer schema is refused; so is somebody else's database */
	assert_int_equal(sqlite3_open(dbp, &raw), SQLITE_OK);
	sqlite3_exec(raw, "UPDATE schema_version SET version = 99", NULL, NULL, NULL);
	sqlite3_close(raw);
	assert_rc(SF_ESMDP_SCHEMA, sf_smdp_db_open(dbp, NULL, NULL, &db));
	char other[128];
	snprintf(other, sizeof(other), "%s/other.db", dir);
	assert_int_equal(sqlite3_open(other, &raw), SQLITE_OK);
	sqlite3_exec(raw, "CREATE TABLE t (x)", NULL, NULL, NULL);
	sqlite3_close(raw);
	assert_rc(SF_ESMDP_SCHEMA, sf_smdp_db_open(other, NULL, NULL, &db));
	FILE *f = fopen(other, "wb");
	fputs("this is not a database, just text long enough to have a header ........", f);
	fclose(f);
	assert_rc(SF_ESMDP_SCHEMA, sf_smdp_db_open(other, NULL, NULL, &db));
}

/* 3 -> 4: orders released before the release time was kept are still
 * served to their EID without a matchingId. */
static void test_migration_released(void **state)
{
	(void)state;
	struct sf_smdp_db *db = NULL;
	old_database(3,
	             "INSERT INTO profile (iccid, operator, state, eid, matching_id,"
	             " attempts, max_attempts, expires, created, updated) VALUES"
	             " ('" I2 "', 'op1', 'released', '89049032000000000000000011111125',"
	             " 'OLD-2', 0, 5, 0, 1, 500),"
	             " ('" I1 "', 'op1', 'released', '89049032000000000000000011111125',"
	             " 'OLD-1', 0, 5, 0, 1, 600);"
	             "INSERT INTO package (iccid, der) VALUES ('" I1 "', x'00'),"
	             " ('" I2 "', x'00')");
	assert_rc(0, sf_smdp_db_open(dbp, NULL, NULL, &db));
	assert_int_equal(sf_smdp_schema_version(db), sf_smdp_schema_latest());
	struct sf_smdp_profile p;
	assert_rc(0, sf_smdp_order_for_eid(db, EID1, 700, &p));
	assert_string_equal(p.iccid, I2); /* released (last changed) at 500 */
	assert_rc(0, sf_smdp_begin_download_eid(db, EID1, 700, &p));
	assert_string_equal(p.matching_id, "OLD-2");
	sf_smdp_db_close(db);
}

static int count_rows(void *user, int64_t id, int64_t at, const char *actor, const char *action,
                      const char *iccid, const char *eid, const char *result, const char *detail)
{
	(void)id, (void)at, (void)actor, (void)action, (void)iccid, (void)eid, (void)result;
	(void)detail;
	(*(int *)user)++;
	return 0;
}

/* The audit log's ids, in order (up to 8). */
struct ids {
	int n;
	int64_t id[8];
};
static int list_ids(void *user, int64_t id, int64_t at, const char *actor, const char *action,
                    const char *iccid, const char *eid, const char *result, const char *detail)
{
	(void)at, (void)actor, (void)action, (void)iccid, (void)eid, (void)result, (void)detail;
	struct ids *v = user;
	if (v->n < 8)
		v->id[v->n] = id;
	v->n++;
	return 0;
}

/* 4 -> 5: the audit log, PK.EUICC and the available profiles move to
 * their new tables and index with every row; audit ids go on growing from
 * the largest ever given out; a view of the old table survives; an
 * available profile of a type is still found, and no longer once it is
 * ordered. */
static void test_migration_v5(void **state)
{
	(void)state;
	struct sf_smdp_db *db = NULL;
	sqlite3 *raw;
	old_database(4,
	             "INSERT INTO profile (iccid, operator, profile_type, state, created,"
	             " updated) VALUES ('" I1 "', 'op1', 'meter', 'available', 1, 1),"
	             " ('" I2 "', 'op1', 'meter', 'available', 1, 1);"
	             "INSERT INTO package (iccid, der) VALUES ('" I1 "', x'00'), ('" I2 "', x'00');"
	             "INSERT INTO euicc (eid, curve, pk, updated) VALUES"
	             " ('89049032000000000000000011111125', 1, zeroblob(65), 7);"
	             "INSERT INTO audit (id, at, actor, action, result) VALUES"
	             " (41, 1, 'operator:op1', 'import', 'ok'), (42, 2, 'operator:op1', 'x', 'ok');"
	             /* a tail entry deleted by hand: its id stays given out */
	             "DELETE FROM audit WHERE id = 42;"
	             /* an administrator's own view does not stop the upgrade */
	             "CREATE VIEW recent AS SELECT id, action FROM audit WHERE at > 0");
	assert_rc(0, sf_smdp_db_open(dbp, NULL, NULL, &db));
	assert_int_equal(sf_smdp_schema_version(db), sf_smdp_schema_latest());
	assert_true(sf_smdp_schema_latest() >= 5);
	int curve = 0;
	uint8_t pk[65] = {1};
	assert_rc(0, sf_smdp_euicc_get(db, EID1, &curve, pk));
	assert_int_equal(curve, 1);
	assert_int_equal(pk[0], 0);
	pk[0] = 4;
	assert_rc(0, sf_smdp_euicc_put(db, EID1, 2, pk, 8)); /* replaces */
	assert_rc(0, sf_smdp_euicc_get(db, EID1, &curve, pk));
	assert_int_equal(curve, 2);
	assert_int_equal(pk[0], 4);
	assert_rc(0, sf_smdp_audit(db, "operator:op1", "y", NULL, NULL, "ok", NULL, 3));
	struct ids v = {0};
	assert_rc(0, sf_smdp_audit_list(db, list_ids, &v));
	assert_int_equal(v.n, 3);
	assert_int_equal(v.id[0], 41);
	assert_int_equal(v.id[1], 42); /* the upgrade's entry */
	assert_int_equal(v.id[2], 43);
	assert_int_equal(sqlite3_open(dbp, &raw), SQLITE_OK);
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT count(*) FROM recent", -1, &q, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 3);
	sqlite3_finalize(q);
	sqlite3_close(raw);
	char iccid[SF_SMDP_ICCID_MAX + 1];
	assert_rc(0, sf_smdp_download_order(db, "op1", NULL, NULL, "meter", 10, iccid));
	assert_string_equal(iccid, I1);
	assert_rc(0, sf_smdp_download_order(db, "op1", NULL, NULL, "meter", 10, iccid));
	assert_string_equal(iccid, I2);
	assert_rc(SF_ESMDP_NONE_AVAILABLE,
	          sf_smdp_download_order(db, "op1", NULL, NULL, "meter", 10, iccid));
	/* cancelled back to available, found again */
	assert_rc(0, sf_smdp_cancel_order(db, "op1", I2, NULL, NULL, 1, 11));
	assert_rc(0, sf_smdp_download_order(db, "op1", NULL, NULL, "meter", 12, iccid));
	assert_string_equal(iccid, I2);
	sf_smdp_db_close(db);
}

/* The outbox: a notification is due from its next_try on, the longest
 * due first; a retry counts attempts and makes it due later; done deletes
 * it.  One put inside a group goes with it (rolled back with it); another
 * connection (the notifier's) sees what was committed. */
static void test_outbox(void **state)
{
	(void)state;
	struct sf_smdp_db *db = fresh(NULL), *other = NULL;
	int64_t id1 = 0, id2 = 0, id = 0;
	struct sf_smdp_outbox_row r;
	assert_rc(SF_ESMDP_UNKNOWN, sf_smdp_outbox_due(db, 1000, &r));
	assert_null(r.body);
	assert_rc(0, sf_smdp_txn_begin(db));
	assert_rc(0, sf_smdp_outbox_put(db, "op1", "{\"n\":0}", 5, 5, &id));
	assert_rc(0, sf_smdp_txn_abort(db));
	assert_rc(SF_ESMDP_UNKNOWN, sf_smdp_outbox_due(db, 1000, &r));
	assert_rc(0, sf_smdp_txn_begin(db));
	char iccid[21];
	assert_rc(0, sf_smdp_download_order(db, "op1", NULL, I1, NULL, 1, iccid));
	assert_rc(0, sf_smdp_outbox_put(db, "op1", "{\"n\":1}", 5, 65, &id1));
	assert_rc(0, sf_smdp_txn_end(db));
	assert_rc(0, sf_smdp_outbox_put(db, "op2", "{\"n\":2}", 6, 60, &id2));
	assert_true(id2 > id1);
	assert_rc(SF_ESMDP_UNKNOWN, sf_smdp_outbox_due(db, 59, &r)); /* leased */
	assert_rc(0, sf_smdp_db_open(dbp, NULL, NULL, &other));
	assert_rc(0, sf_smdp_outbox_due(other, 100, &r)); /* due longest: id2 */
	assert_int_equal(r.id, id2);
	assert_string_equal(r.op, "op2");
	assert_string_equal(r.body, "{\"n\":2}");
	assert_int_equal(r.attempts, 0);
	free(r.body);
	assert_rc(0, sf_smdp_outbox_retry(other, id2, 3, 200));
	assert_rc(0, sf_smdp_outbox_due(other, 100, &r));
	assert_int_equal(r.id, id1);
	assert_string_equal(r.op, "op1");
	free(r.body);
	assert_rc(0, sf_smdp_outbox_done(other, id1));
	assert_rc(0, sf_smdp_outbox_done(other, id1)); /* already gone */
	assert_rc(SF_ESMDP_UNKNOWN, sf_smdp_outbox_due(db, 199, &r));
	assert_rc(0, sf_smdp_outbox_due(db, 200, &r));
	assert_int_equal(r.id, id2);
	assert_int_equal(r.attempts, 3);
	free(r.body);
	assert_rc(SF_EINVAL, sf_smdp_outbox_put(db, NULL, "{}", 1, 1, NULL));
	sf_smdp_db_close(other);
	sf_smdp_db_close(db);
}

/* Run as `test_smdp_store --state-of DB ICCID` (a fresh process, nothing
 * of the parent's SQLite in it): the exit status is the profile's state,
 * 99 when it cannot be read. */
static int state_of(const char *db, const char *iccid)
{
	sqlite3 *raw = NULL;
	sqlite3_stmt *q = NULL;
	int st = -1;
	if (sqlite3_open_v2(db, &raw, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(raw, "SELECT state FROM profile WHERE iccid = ?1", -1, &q, NULL) ==
	        SQLITE_OK &&
	    sqlite3_bind_text(q, 1, iccid, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		sf_smdp_state_parse((const char *)sqlite3_column_text(q, 0), (enum sf_smdp_state *)&st);
	sqlite3_finalize(q);
	sqlite3_close(raw);
	return st < 0 ? 99 : st;
}

static int other_process_state(const char *iccid)
{
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "test_smdp_store", "--state-of", dbp, iccid, (char *)NULL);
		_exit(98);
	}
	int ws = 0;
	if (pid < 0 || waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws))
		return -1;
	return WEXITSTATUS(ws);
}

/* Another process's connection, opened and closed while this process has
 * two (the server and its notifier): this process's changes stay visible
 * to others and its WAL stays in place.  (Opening the second connection
 * once dropped the process's POSIX locks, and the other process's close
 * then deleted the WAL under the server.) */
static void test_another_process(void **state)
{
	(void)state;
	/* a path that is not a regular file is refused, not opened */
	char d[128];
	struct sf_smdp_db *bad = NULL;
	snprintf(d, sizeof(d), "%s/a-directory.db", dir);
	assert_int_equal(mkdir(d, 0700), 0);
	assert_rc(SF_ESMDP_DB, sf_smdp_db_open(d, NULL, NULL, &bad));
	assert_null(bad);
	rmdir(d);
	struct sf_smdp_db *db = fresh(NULL), *second = NULL;
	char iccid[21], wal[300];
	snprintf(wal, sizeof(wal), "%s-wal", dbp);
	assert_rc(0, sf_smdp_db_open(dbp, NULL, NULL, &second));
	assert_int_equal(other_process_state(I1), SF_SMDP_AVAILABLE);
	assert_rc(0, sf_smdp_download_order(db, "op1", NULL, I1, NULL, 1, iccid));
	assert_int_equal(access(wal, F_OK), 0);
	assert_int_equal(other_process_state(I1), SF_SMDP_ALLOCATED);
	assert_int_equal(access(wal, F_OK), 0);
	assert_rc(0, sf_smdp_cancel_order(db, "op1", I1, NULL, NULL, 1, 2));
	assert_int_equal(other_process_state(I1), SF_SMDP_AVAILABLE);
	sf_smdp_db_close(second);
	sf_smdp_db_close(db);
}

/* Grouped calls commit together; a refusal inside writes nothing of its own
 * but the rest commits; a second begin is refused; an aborted group leaves
 * nothing. */
static void test_txn(void **state)
{
	(void)state;
	struct sf_smdp_db *db = fresh(NULL), *other = NULL;
	char iccid[21];
	int n = 0;
	assert_rc(SF_EINVAL, sf_smdp_txn_abort(db));
	assert_rc(0, sf_smdp_txn_begin(db));
	assert_rc(0, sf_smdp_download_order(db, "op1", NULL, I1, NULL, 1, iccid));
	assert_rc(0, sf_smdp_audit(db, "operator:op1", "downloadOrder", I1, NULL, "ok", NULL, 1));
	assert_rc(0, sf_smdp_txn_abort(db));
	assert_rc(SF_EINVAL, sf_smdp_txn_end(db));
	assert_int_equal(st(db, I1), SF_SMDP_AVAILABLE);
	assert_rc(0, sf_smdp_audit_list(db, count_rows, &n));
	assert_int_equal(n, 0);
	assert_rc(0, sf_smdp_txn_begin(db));
	assert_rc(SF_EINVAL, sf_smdp_txn_begin(db));
	assert_rc(0, sf_smdp_download_order(db, "op1", NULL, I1, NULL, 1, iccid));
	assert_rc(SF_ESMDP_STATE, sf_smdp_download_order(db, "op1", NULL, I1, NULL, 1, iccid));
	assert_rc(0, sf_smdp_audit(db, "operator:op1", "downloadOrder", I1, NULL, "ok", NULL, 1));
	/* not visible to another connection before the commit */
	assert_rc(0, sf_smdp_db_open(dbp, NULL, NULL, &other));
	assert_int_equal(st(other, I1), SF_SMDP_AVAILABLE);
	assert_rc(0, sf_smdp_txn_end(db));
	assert_rc(SF_EINVAL, sf_smdp_txn_end(db));
	assert_int_equal(st(other, I1), SF_SMDP_ALLOCATED);
	assert_rc(0, sf_smdp_audit_list(other, count_rows, &n));
	assert_int_equal(n, 1);
	sf_smdp_db_close(other);
	/* a failed order inside a group stays failed after the commit */
	struct sf_smdp_policy pol = {.max_attempts = 1};
	sf_smdp_db_close(db);
	db = fresh(&pol);
	char mid[SF_SMDP_NAME_MAX + 1];
	struct sf_smdp_profile p;
	assert_rc(0, sf_smdp_download_order(db, "op1", NULL, I1, NULL, 1, iccid));
	assert_rc(0, sf_smdp_confirm_order(db, "op1", I1, NULL, "G1", NULL, 0, 1, 1, mid));
	assert_rc(0, sf_smdp_begin_download(db, "G1", EID1, 2, &p));
	assert_rc(0, sf_smdp_txn_begin(db));
	assert_rc(SF_ESMDP_ATTEMPTS, sf_smdp_begin_download(db, "G1", EID1, 3, &p));
	assert_rc(0, sf_smdp_txn_end(db));
	assert_int_equal(st(db, I1), SF_SMDP_ERROR);
	sf_smdp_db_close(db);
}

/* Group commit: after sf_smdp_db_defer_sync the changes count moves with
 * each write, sf_smdp_db_sync succeeds (before any write too), a grouped
 * transaction leaves the connection deferred, and another connection sees
 * every commit at once (the sync is about the disk, not visibility). */
static void test_deferred_sync(void **state)
{
	(void)state;
	struct sf_smdp_db *db = fresh(NULL), *other = NULL;
	char iccid[21];
	assert_rc(SF_EINVAL, sf_smdp_db_defer_sync(NULL));
	assert_rc(SF_EINVAL, sf_smdp_db_sync(NULL));
	assert_int_equal(sf__smdp_db_sync_level(db), 2);
	assert_rc(0, sf_smdp_db_defer_sync(db));
	assert_int_equal(sf__smdp_db_sync_level(db), 1);
	int64_t c0 = sf_smdp_db_changes(db);
	assert_rc(0, sf_smdp_db_sync(db));
	assert_rc(0, sf_smdp_download_order(db, "op1", NULL, I1, NULL, 1, iccid));
	assert_true(sf_smdp_db_changes(db) > c0);
	assert_rc(0, sf_smdp_db_open(dbp, NULL, NULL, &other));
	assert_int_equal(st(other, I1), SF_SMDP_ALLOCATED);
	assert_rc(0, sf_smdp_db_sync(db));
	int64_t c1 = sf_smdp_db_changes(db);
	assert_rc(0, sf_smdp_txn_begin(db));
	assert_rc(0, sf_smdp_audit(db, "operator:op1", "x", I1, NULL, "ok", NULL, 2));
	assert_rc(0, sf_smdp_txn_end(db));
	assert_int_equal(sf__smdp_db_sync_level(db), 1); /* still deferred */
	assert_true(sf_smdp_db_changes(db) > c1);
	int64_t c2 = sf_smdp_db_changes(db);
	struct sf_smdp_profile p;
	assert_rc(0, sf_smdp_profile_get(db, NULL, I1, &p)); /* a read changes nothing */
	assert_int_equal(sf_smdp_db_changes(db), c2);
	assert_rc(0, sf_smdp_db_sync(db));
	assert_rc(SF_EINVAL, sf_smdp_txn_begin(db) ? SF_EINVAL : sf_smdp_db_defer_sync(db));
	assert_rc(0, sf_smdp_txn_end(db));
	sf_smdp_db_close(other);
	sf_smdp_db_close(db);
}

/* Two handles on one file (the server and `smdp import`): WAL lets both
 * work; each sees the other's commits. */
static void test_two_connections(void **state)
{
	(void)state;
	struct sf_smdp_db *a = fresh(NULL), *b = NULL;
	char iccid[21];
	assert_rc(0, sf_smdp_db_open(dbp, NULL, NULL, &b));
	assert_rc(0, sf_smdp_profile_add(b, "op1", "89000123456789010048", "typeB", NULL, NULL, PKG,
	                                 sizeof(PKG), 1));
	assert_rc(0, sf_smdp_download_order(a, "op1", NULL, NULL, "typeB", 2, iccid));
	assert_string_equal(iccid, "89000123456789010048");
	assert_int_equal(st(b, iccid), SF_SMDP_ALLOCATED);
	sf_smdp_db_close(b);
	sf_smdp_db_close(a);
}

/* A child runs order -> confirm -> download -> cancel cycles and is killed
 * at a random moment; the parent then finds every row in a lifecycle state
 * whose fields agree with it (no half-applied transition), and can carry on. */
static void test_crash(void **state)
{
	(void)state;
	struct sf_smdp_db *db = fresh(NULL);
	sf_smdp_db_close(db);
	for (int round = 0; round < 3; round++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct sf_smdp_db *c = NULL;
			char ic[21], mid[SF_SMDP_NAME_MAX + 1];
			struct sf_smdp_profile p;
			if (sf_smdp_db_open(dbp, NULL, NULL, &c))
				_exit(2);
			if (round == 2 && sf_smdp_db_defer_sync(c)) /* as `smdp serve` */
				_exit(2);
			for (int i = 0;; i++) {
				const char *x = (i & 1) ? I2 : I1;
				sf_smdp_download_order(c, "op1", NULL, x, NULL, i, ic);
				sf_smdp_confirm_order(c, "op1", x, NULL, NULL, (const uint8_t *)"1",
				                      1, 1, i, mid);
				sf_smdp_begin_download(c, mid, EID1, i, &p);
				sf_smdp_cancel_order(c, "op1", x, NULL, NULL, 1, i);
				if (round == 2)
					sf_smdp_db_sync(c);
			}
		}
		usleep(20000 + 30000 * round);
		kill(pid, SIGKILL);
		int status;
		waitpid(pid, &status, 0);
		assert_rc(0, sf_smdp_db_open(dbp, NULL, NULL, &db));
		struct sf_smdp_profile p;
		for (int k = 0; k < 2; k++) {
			assert_rc(0, sf_smdp_profile_get(db, NULL, k ? I2 : I1, &p));
			switch (p.state) {
			case SF_SMDP_AVAILABLE:
				assert_string_equal(p.matching_id, "");
				assert_false(p.cc_required);
				assert_int_equal(p.attempts, 0);
				break;
			case SF_SMDP_ALLOCATED:
				assert_string_equal(p.matching_id, "");
				break;
			case SF_SMDP_RELEASED:
				assert_int_equal(strlen(p.matching_id), 23);
				assert_true(p.cc_required);
				assert_true(p.attempts <= 1);
				assert_true(p.attempts == 0 || strcmp(p.eid, EID1) == 0);
				break;
			default:
				fail_msg("state %s after a crash", sf_smdp_state_name(p.state));
			}
			/* it can always be brought back to available */
			if (p.state != SF_SMDP_AVAILABLE)
				assert_rc(
				    0, sf_smdp_cancel_order(db, "op1", p.iccid, NULL, NULL, 1, 1));
		}
		sf_smdp_db_close(db);
	}
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--state-of") == 0)
		return state_of(argv[2], argv[3]);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),       cmocka_unit_test(test_inventory),
	    cmocka_unit_test(test_lifecycle),   cmocka_unit_test(test_attempts_expiry),
	    cmocka_unit_test(test_euicc_audit), cmocka_unit_test(test_metadata),
	    cmocka_unit_test(test_migrations),  cmocka_unit_test(test_two_connections),
	    cmocka_unit_test(test_txn),         cmocka_unit_test(test_deferred_sync),
	    cmocka_unit_test(test_order_for_eid),
	    cmocka_unit_test(test_migration_released),
	    cmocka_unit_test(test_migration_v5),
	    cmocka_unit_test(test_outbox),
	    cmocka_unit_test(test_another_process),
	    cmocka_unit_test(test_crash),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
