/*
 * SM-DP+ persistence and the order lifecycle (GSMA SGP.22 v2.5 §3.1.1,
 * §5.3 ES2+, §5.6 ES9+): include/simfleet/smdp.h.
 *
 * Every SQL statement is in the one table `sql`, indexed by enum stmt and
 * prepared once at open.  The schema is versioned (table schema_version) and
 * upgraded by the ordered list `migrations`: migrations[i] takes a database
 * from version i to i + 1, version 0 being an empty file; an open runs the
 * missing steps in one transaction (the osmo-hlr db_upgrade pattern).  Never
 * edit a shipped migration: append.
 *
 * Each lifecycle function is one BEGIN IMMEDIATE transaction: it takes the
 * write lock first, then re-reads the row and checks the state it needs, so
 * two writers (the server and `smdp import`, or two requests) cannot both
 * act on the same old state, and a crash leaves either the old or the new
 * state.  WAL with synchronous=FULL: a COMMIT is durable when it returns
 * (after sf_smdp_db_defer_sync, when a later sf_smdp_db_sync returns).
 *
 * Confirmation codes: only SHA-256(CC) is stored.  That is exactly the inner
 * hash of hashCc = SHA-256(SHA-256(CC) || transactionId) (SGP.22 §3.1.3.2),
 * so the SM-DP+ checks the eUICC's hashCc without ever holding the code.
 * A numeric code is short: its SHA-256 can be brute-forced by whoever reads
 * the database, which is why the attempts are limited and the database is
 * private (0600) — the hash keeps the code out of backups and logs, it does
 * not make a 4-digit code strong.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "simfleet/err.h"
#include "simfleet/sha256.h"
#include "simfleet/smdp.h"
#include "simfleet/util.h"

enum stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_PROFILE_INSERT,
	S_PACKAGE_INSERT,
	S_PROFILE_GET,
	S_PROFILE_BY_MID,
	S_PROFILE_PACKAGE,
	S_PROFILE_LIST,
	S_PROFILE_LIST_OP,
	S_PROFILE_FIRST_OF_TYPE,
	S_PROFILE_SET_ORDER, /* state, eid, matching_id, cc_hash, attempts, cc_failures, expires */
	S_PROFILE_SET_STATE,
	S_PROFILE_SET_ATTEMPT, /* attempts */
	S_PROFILE_SET_EID,
	S_PROFILE_SET_CC_FAIL, /* cc_failures, state */
	S_MID_IN_USE,
	S_EUICC_PUT,
	S_EUICC_GET,
	S_AUDIT_PUT,
	S_AUDIT_LIST,
	S_PROFILE_SET_RELEASED,
	S_PROFILE_FOR_EID,
	S_OUTBOX_PUT,
	S_OUTBOX_DUE,
	S_OUTBOX_RETRY,
	S_OUTBOX_DEL,
	S_COUNT
};

#define PROFILE_COLS                                                                               \
	"iccid, operator, profile_type, spn, name, state, eid, matching_id, cc_hash, attempts,"    \
	" max_attempts, cc_failures, expires, updated"

static const char *const sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_PROFILE_INSERT] =
        "INSERT INTO profile (iccid, operator, profile_type, spn, name, state,"
        " attempts, max_attempts, cc_failures, expires, created, updated)"
        " VALUES (?1, ?2, ?3, ?4, ?5, 'available', 0, ?6, 0, 0, ?7, ?7)",
    [S_PACKAGE_INSERT] = "INSERT INTO package (iccid, der) VALUES (?1, ?2)",
    [S_PROFILE_GET] = "SELECT " PROFILE_COLS " FROM profile WHERE iccid = ?1",
    [S_PROFILE_BY_MID] = "SELECT " PROFILE_COLS " FROM profile WHERE matching_id = ?1",
    [S_PROFILE_PACKAGE] = "SELECT der FROM package WHERE iccid = ?1",
    [S_PROFILE_LIST] = "SELECT " PROFILE_COLS " FROM profile ORDER BY iccid",
    [S_PROFILE_LIST_OP] = "SELECT " PROFILE_COLS " FROM profile WHERE operator = ?1 ORDER BY iccid",
    [S_PROFILE_FIRST_OF_TYPE] = "SELECT iccid FROM profile WHERE operator = ?1 AND"
                                " profile_type = ?2 AND state = 'available' ORDER BY iccid LIMIT 1",
    [S_PROFILE_SET_ORDER] =
        "UPDATE profile SET state = ?2, eid = ?3, matching_id = ?4, cc_hash = ?5, attempts = ?6,"
        " cc_failures = ?7, expires = ?8, max_attempts = ?9, updated = ?10 WHERE iccid = ?1",
    [S_PROFILE_SET_STATE] = "UPDATE profile SET state = ?2, updated = ?3 WHERE iccid = ?1",
    /* Only the columns that change: naming an indexed column in SET
     * rewrites its index entry even with the same value. */
    [S_PROFILE_SET_ATTEMPT] = "UPDATE profile SET attempts = ?2, updated = ?3 WHERE iccid = ?1",
    [S_PROFILE_SET_EID] = "UPDATE profile SET eid = ?2 WHERE iccid = ?1",
    [S_PROFILE_SET_CC_FAIL] =
        "UPDATE profile SET cc_failures = ?2, state = ?3, updated = ?4 WHERE iccid = ?1",
    [S_MID_IN_USE] = "SELECT count(*) FROM profile WHERE matching_id = ?1",
    [S_EUICC_PUT] =
        "INSERT INTO euicc (eid, curve, pk, updated) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (eid) DO UPDATE SET curve = excluded.curve, pk = excluded.pk,"
        " updated = excluded.updated WHERE curve <> excluded.curve OR pk <> excluded.pk",
    [S_EUICC_GET] = "SELECT curve, pk FROM euicc WHERE eid = ?1",
    [S_AUDIT_PUT] = "INSERT INTO audit (at, actor, action, iccid, eid, result, detail)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_AUDIT_LIST] =
        "SELECT id, at, actor, action, iccid, eid, result, detail FROM audit ORDER BY id",
    [S_PROFILE_SET_RELEASED] = "UPDATE profile SET released = ?2 WHERE iccid = ?1",
    /* The order a download without a matchingId serves (sf_smdp_order_for_eid):
     * the EID's released (or downloaded: a retry) orders, unexpired ones
     * first, then the oldest release, then the smallest ICCID. */
    [S_OUTBOX_PUT] = "INSERT INTO outbox (operator, body, created, next_try)"
                     " VALUES (?1, ?2, ?3, ?4)",
    [S_OUTBOX_DUE] = "SELECT id, operator, body, attempts FROM outbox WHERE next_try <= ?1"
                     " ORDER BY next_try, id LIMIT 1",
    [S_OUTBOX_RETRY] = "UPDATE outbox SET attempts = attempts + ?2, next_try = ?3 WHERE id = ?1",
    [S_OUTBOX_DEL] = "DELETE FROM outbox WHERE id = ?1",
    [S_PROFILE_FOR_EID] = "SELECT " PROFILE_COLS " FROM profile WHERE eid = ?1 AND"
                          " state IN ('released', 'downloaded')"
                          " ORDER BY (expires <> 0 AND expires <= ?2), released, iccid LIMIT 1",
};

/* The schema history.  migrations[i]: version i -> i + 1. */
static const char *const migrations[] = {
    /* 0 -> 1: inventory, orders, audit log. */
    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
    "INSERT INTO schema_version (version) VALUES (0);"
    "CREATE TABLE profile ("
    " iccid TEXT PRIMARY KEY NOT NULL,"
    " operator TEXT NOT NULL,"
    " profile_type TEXT NOT NULL DEFAULT '',"
    " spn TEXT NOT NULL DEFAULT '',"
    " name TEXT NOT NULL DEFAULT '',"
    " package BLOB NOT NULL," /* the SAIP profile package (DER) */
    " state TEXT NOT NULL CHECK (state IN ('available', 'allocated', 'linked', 'confirmed',"
    "  'released', 'downloaded', 'installed', 'error', 'unavailable')),"
    " eid TEXT,"
    " matching_id TEXT UNIQUE,"
    " cc_hash BLOB," /* SHA-256 of the confirmation code, never the code */
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " max_attempts INTEGER NOT NULL DEFAULT 5,"
    " expires INTEGER NOT NULL DEFAULT 0,"
    " created INTEGER NOT NULL,"
    " updated INTEGER NOT NULL);"
    "CREATE INDEX profile_type_state ON profile (operator, profile_type, state);"
    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
    " iccid TEXT, eid TEXT, result TEXT NOT NULL, detail TEXT)",
    /* 1 -> 2: PK.EUICC per EID (to verify ProfileInstallationResults after the
     * session is gone), confirmation code failures. */
    "CREATE TABLE euicc (eid TEXT PRIMARY KEY NOT NULL, curve INTEGER NOT NULL,"
    " pk BLOB NOT NULL, updated INTEGER NOT NULL);"
    "ALTER TABLE profile ADD COLUMN cc_failures INTEGER NOT NULL DEFAULT 0",
    /* 2 -> 3: the packages in a table of their own.  An order's state
     * changes rewrite its profile row; with the package inside, each one
     * rewrote the package's overflow pages too (some 20 KiB into the WAL
     * per change), and reading a state walked them. */
    "CREATE TABLE package (iccid TEXT PRIMARY KEY NOT NULL"
    " REFERENCES profile (iccid) ON DELETE CASCADE, der BLOB NOT NULL);"
    "INSERT INTO package (iccid, der) SELECT iccid, package FROM profile;"
    "ALTER TABLE profile DROP COLUMN package",
    /* 3 -> 4: when an order was released (confirmOrder with releaseFlag, or
     * releaseProfile), so that a download without a matchingId (the default
     * SM-DP+, SGP.22 §3.1.2) picks the oldest of an EID's orders, and an
     * index to find an EID's orders.  Orders released before this version
     * take their last change as release time (the best the rows know). */
    "ALTER TABLE profile ADD COLUMN released INTEGER NOT NULL DEFAULT 0;"
    "UPDATE profile SET released = updated WHERE state IN ('released', 'downloaded');"
    "CREATE INDEX profile_eid ON profile (eid)",
    /* 4 -> 5: fewer pages written per download (each a WAL frame, each
     * frame two writes and part of the sync).  The index that finds an
     * available profile of a type holds only available profiles, so the
     * state changes of an order no longer move its entry; the audit log
     * loses AUTOINCREMENT, whose sqlite_sequence row was a second page per
     * entry (ids still grow: the log is never deleted from, and a rowid
     * is then one more than the largest); PK.EUICC is kept in one B-tree
     * (WITHOUT ROWID) instead of a table and its key's index. */
    "DROP INDEX profile_type_state;"
    "CREATE INDEX profile_available ON profile (operator, profile_type, iccid)"
    " WHERE state = 'available';"
    "CREATE INDEX profile_operator ON profile (operator, iccid);" /* an operator's list */
    /* RENAME as before SQLite 3.26: it does not re-check the views and
     * triggers of the schema, so one of an administrator's own on the old
     * table does not fail the upgrade (and reads the new one). */
    "PRAGMA legacy_alter_table = ON;"
    "CREATE TABLE audit_v5 (id INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
    " iccid TEXT, eid TEXT, result TEXT NOT NULL, detail TEXT);"
    "INSERT INTO audit_v5 (id, at, actor, action, iccid, eid, result, detail)"
    " SELECT id, at, actor, action, iccid, eid, result, detail FROM audit;"
    /* ids deleted from the end of the log by hand stay used: an entry
     * at the highest id AUTOINCREMENT gave out keeps the next ones above */
    "INSERT INTO audit_v5 (id, at, actor, action, result, detail)"
    " SELECT seq, CAST(strftime('%s', 'now') AS INTEGER), 'admin', 'upgrade', 'ok',"
    " 'schema 5: the audit ids up to this one were given out before' FROM sqlite_sequence"
    " WHERE name = 'audit' AND seq > (SELECT coalesce(max(id), 0) FROM audit);"
    "DROP TABLE audit;"
    "ALTER TABLE audit_v5 RENAME TO audit;"
    "CREATE TABLE euicc_v5 (eid TEXT PRIMARY KEY NOT NULL, curve INTEGER NOT NULL,"
    " pk BLOB NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO euicc_v5 (eid, curve, pk, updated) SELECT eid, curve, pk, updated FROM euicc;"
    "DROP TABLE euicc;"
    "ALTER TABLE euicc_v5 RENAME TO euicc;"
    "PRAGMA legacy_alter_table = OFF",
    /* 5 -> 6: the operators' notifications (handleDownloadProgressInfo)
     * not yet delivered, written with the change they report: a restart
     * sends them again instead of losing them.  The body is the JSON
     * request; the URL and the token come from the configuration when
     * sending (no secret here). */
    "CREATE TABLE outbox (id INTEGER PRIMARY KEY, operator TEXT NOT NULL,"
    " body TEXT NOT NULL, created INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    " next_try INTEGER NOT NULL);"
    "CREATE INDEX outbox_due ON outbox (next_try, id)",
};
#define LATEST ((int)(sizeof(migrations) / sizeof(migrations[0])))

struct sf_smdp_db {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	const struct sf_rng *rng;
	struct sf_smdp_policy pol;
	int version;
	int outer, outer_failed; /* a caller's transaction is open (sf_smdp_txn_begin) */
	char errmsg[256];
};

static const char *const state_names[SF_SMDP_STATE_COUNT] = {
    "available",  "allocated", "linked", "confirmed",  "released",
    "downloaded", "installed", "error",  "unavailable"};

const char *sf_smdp_state_name(enum sf_smdp_state st)
{
	return (unsigned)st < SF_SMDP_STATE_COUNT ? state_names[st] : "?";
}

int sf_smdp_state_parse(const char *name, enum sf_smdp_state *st)
{
	for (int i = 0; name && i < SF_SMDP_STATE_COUNT; i++)
		if (strcmp(name, state_names[i]) == 0) {
			*st = (enum sf_smdp_state)i;
			return 0;
		}
	return SF_EINVAL;
}

int sf_smdp_schema_latest(void)
{
	return LATEST;
}

int sf_smdp_schema_version(const struct sf_smdp_db *db)
{
	return db ? db->version : 0;
}

const char *sf_smdp_last_error(const struct sf_smdp_db *db)
{
	return db ? db->errmsg : "";
}

static int dberr(struct sf_smdp_db *db, const char *what)
{
	int code = sqlite3_extended_errcode(db->db);
	snprintf(db->errmsg, sizeof(db->errmsg), "%s: %s", what, sqlite3_errmsg(db->db));
	return (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED ? SF_ESMDP_BUSY
	                                                                      : SF_ESMDP_DB;
}

static int exec_sql(struct sf_smdp_db *db, const char *s, const char *what)
{
	if (sqlite3_exec(db->db, s, NULL, NULL, NULL) != SQLITE_OK)
		return dberr(db, what);
	return 0;
}

/* Runs statement i (bindings already made) to completion and resets it. */
static int run(struct sf_smdp_db *db, enum stmt i)
{
	sqlite3_stmt *s = db->st[i];
	int r = sqlite3_step(s);
	int rc = (r == SQLITE_DONE || r == SQLITE_ROW) ? 0 : dberr(db, sql[i]);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

/* Inside a caller's transaction (sf_smdp_txn_begin) a lifecycle function
 * neither begins nor ends one: its changes commit with the caller's.  Its
 * refusals write nothing (every function checks before it writes), except
 * the ones meant to persist (a failed order), which the caller commits too;
 * a database error makes the caller's transaction roll back. */
static int begin(struct sf_smdp_db *db)
{
	return db->outer ? 0 : run(db, S_BEGIN);
}

/* Commits when rc is 0, rolls back otherwise; returns the final status. */
static int end(struct sf_smdp_db *db, int rc)
{
	if (db->outer) {
		if (rc == SF_ESMDP_DB || rc == SF_ESMDP_BUSY)
			db->outer_failed = 1;
		return rc;
	}
	if (rc == 0) {
		rc = run(db, S_COMMIT);
		if (rc == 0)
			return 0;
	}
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static void bind_text(sqlite3_stmt *s, int i, const char *t)
{
	if (t && *t)
		sqlite3_bind_text(s, i, t, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

static void col_text(sqlite3_stmt *s, int i, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static void read_row(sqlite3_stmt *s, struct sf_smdp_profile *p)
{
	char st[16];
	memset(p, 0, sizeof(*p));
	col_text(s, 0, p->iccid, sizeof(p->iccid));
	col_text(s, 1, p->op, sizeof(p->op));
	col_text(s, 2, p->profile_type, sizeof(p->profile_type));
	col_text(s, 3, p->spn, sizeof(p->spn));
	col_text(s, 4, p->name, sizeof(p->name));
	col_text(s, 5, st, sizeof(st));
	enum sf_smdp_state v = SF_SMDP_ERROR;
	sf_smdp_state_parse(st, &v);
	p->state = v;
	col_text(s, 6, p->eid, sizeof(p->eid));
	col_text(s, 7, p->matching_id, sizeof(p->matching_id));
	if (sqlite3_column_bytes(s, 8) == 32) {
		memcpy(p->cc_sha256, sqlite3_column_blob(s, 8), 32);
		p->cc_required = 1;
	}
	p->attempts = sqlite3_column_int(s, 9);
	p->max_attempts = sqlite3_column_int(s, 10);
	p->cc_failures = sqlite3_column_int(s, 11);
	p->expires = sqlite3_column_int64(s, 12);
	p->updated = sqlite3_column_int64(s, 13);
}

/* Reads one row by ICCID (S_PROFILE_GET) or matchingId (S_PROFILE_BY_MID). */
static int get_row(struct sf_smdp_db *db, enum stmt i, const char *key, struct sf_smdp_profile *p)
{
	sqlite3_stmt *s = db->st[i];
	sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
	int r = sqlite3_step(s), rc;
	if (r == SQLITE_ROW) {
		read_row(s, p);
		rc = 0;
	} else {
		rc = r == SQLITE_DONE ? SF_ESMDP_UNKNOWN : dberr(db, sql[i]);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

/* A row of op (NULL = any): another operator's row does not exist for it. */
static int get_own(struct sf_smdp_db *db, const char *op, const char *iccid,
                   struct sf_smdp_profile *p)
{
	if (!iccid || !*iccid)
		return SF_EINVAL;
	int rc = get_row(db, S_PROFILE_GET, iccid, p);
	if (rc == 0 && op && strcmp(op, p->op) != 0)
		rc = SF_ESMDP_UNKNOWN;
	return rc;
}

static int set_order(struct sf_smdp_db *db, const struct sf_smdp_profile *p, int64_t now)
{
	sqlite3_stmt *s = db->st[S_PROFILE_SET_ORDER];
	sqlite3_bind_text(s, 1, p->iccid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, sf_smdp_state_name(p->state), -1, SQLITE_STATIC);
	bind_text(s, 3, p->eid);
	bind_text(s, 4, p->matching_id);
	if (p->cc_required)
		sqlite3_bind_blob(s, 5, p->cc_sha256, 32, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 5);
	sqlite3_bind_int(s, 6, p->attempts);
	sqlite3_bind_int(s, 7, p->cc_failures);
	sqlite3_bind_int64(s, 8, p->expires);
	sqlite3_bind_int(s, 9, p->max_attempts);
	sqlite3_bind_int64(s, 10, now);
	return run(db, S_PROFILE_SET_ORDER);
}

static int set_state(struct sf_smdp_db *db, const char *iccid, enum sf_smdp_state st, int64_t now)
{
	sqlite3_stmt *s = db->st[S_PROFILE_SET_STATE];
	sqlite3_bind_text(s, 1, iccid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, sf_smdp_state_name(st), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	return run(db, S_PROFILE_SET_STATE);
}

/* When the order of iccid was released (the default SM-DP+ serves an
 * EID's oldest released order first). */
static int set_released(struct sf_smdp_db *db, const char *iccid, int64_t now)
{
	sqlite3_stmt *s = db->st[S_PROFILE_SET_RELEASED];
	sqlite3_bind_text(s, 1, iccid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, now);
	return run(db, S_PROFILE_SET_RELEASED);
}

/* ---- open, schema ---- */

static int read_version(struct sf_smdp_db *db, int *version)
{
	sqlite3_stmt *s = NULL;
	int have = 0, other = 0;
	if (sqlite3_prepare_v2(db->db,
	                       "SELECT sum(name = 'schema_version'), sum(name <> 'schema_version')"
	                       " FROM sqlite_master WHERE type = 'table'",
	                       -1, &s, NULL) != SQLITE_OK) {
		int rc = dberr(db, "reading the schema");
		return sqlite3_errcode(db->db) == SQLITE_NOTADB ? SF_ESMDP_SCHEMA : rc;
	}
	if (sqlite3_step(s) == SQLITE_ROW) {
		have = sqlite3_column_int(s, 0);
		other = sqlite3_column_int(s, 1);
	}
	sqlite3_finalize(s);
	if (!have) {
		*version = 0;
		/* A database with other tables is somebody else's. */
		return other ? SF_ESMDP_SCHEMA : 0;
	}
	if (sqlite3_prepare_v2(db->db, "SELECT version FROM schema_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return dberr(db, "reading the schema version");
	int r = sqlite3_step(s);
	*version = r == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	return *version < 0 ? SF_ESMDP_SCHEMA : 0;
}

static int upgrade(struct sf_smdp_db *db, int target)
{
	int v, rc = read_version(db, &v);
	if (rc)
		return rc;
	if (v > LATEST)
		return SF_ESMDP_SCHEMA;
	if (v >= target) {
		db->version = v;
		return 0;
	}
	if ((rc = exec_sql(db, "BEGIN IMMEDIATE", "starting the schema upgrade")) != 0)
		return rc;
	for (int i = v; i < target; i++) {
		char what[64], setv[64];
		snprintf(what, sizeof(what), "schema migration %d -> %d", i, i + 1);
		if ((rc = exec_sql(db, migrations[i], what)) != 0)
			goto fail;
		snprintf(setv, sizeof(setv), "UPDATE schema_version SET version = %d", i + 1);
		if ((rc = exec_sql(db, setv, what)) != 0)
			goto fail;
	}
	if ((rc = exec_sql(db, "COMMIT", "committing the schema upgrade")) != 0)
		goto fail;
	db->version = target;
	return 0;
fail:
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int sf__smdp_db_open_version(const char *path, int version, struct sf_smdp_db **out);

static int open_at(const char *path, const struct sf_smdp_policy *policy, const struct sf_rng *rng,
                   int version, struct sf_smdp_db **out)
{
	if (!path || !out || version < 1 || version > LATEST)
		return SF_EINVAL;
	*out = NULL;
	struct sf_smdp_db *db = calloc(1, sizeof(*db));
	if (!db)
		return SF_ENOMEM;
	db->rng = rng ? rng : sf_rng_system();
	if (policy)
		db->pol = *policy;
	if (db->pol.max_attempts <= 0)
		db->pol.max_attempts = SF_SMDP_DEFAULT_ATTEMPTS;
	if (db->pol.max_cc_failures <= 0)
		db->pol.max_cc_failures = 3;
	if (db->pol.order_ttl <= 0)
		db->pol.order_ttl = 7 * 86400;
	/* Create it private: it holds the packages (subscriber keys).  Only
	 * when it does not exist (O_EXCL): closing a descriptor of a database
	 * this process already has open would drop every POSIX lock the
	 * process holds on it, SQLite's included, and another process closing
	 * its connection would then take this one's WAL for its own and
	 * delete it. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	struct stat st;
	if (fd >= 0) {
		close(fd);
	} else if (errno != EEXIST || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(db->errmsg, sizeof(db->errmsg), "%s: %s", path,
		         errno == EEXIST ? "not a regular file" : strerror(errno));
		free(db);
		return SF_ESMDP_DB;
	}
	int rc;
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		rc = db->db ? dberr(db, "opening the database") : SF_ENOMEM;
		goto fail;
	}
	if (sqlite3_db_readonly(db->db, "main") == 1) {
		snprintf(db->errmsg, sizeof(db->errmsg), "%s: read-only for this user", path);
		rc = SF_ESMDP_DB;
		goto fail;
	}
	sqlite3_busy_timeout(db->db, 5000);
	rc = exec_sql(db,
	              "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	              " PRAGMA foreign_keys = ON;",
	              "setting WAL mode");
	if (rc) {
		rc = sqlite3_errcode(db->db) == SQLITE_NOTADB ? SF_ESMDP_SCHEMA : rc;
		goto fail;
	}
	if ((rc = upgrade(db, version)) != 0)
		goto fail;
	if (version == LATEST)
		for (int i = 0; i < S_COUNT; i++)
			if (sqlite3_prepare_v3(db->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
			                       &db->st[i], NULL) != SQLITE_OK) {
				rc = dberr(db, sql[i]);
				goto fail;
			}
	*out = db;
	return 0;
fail:
	sf_smdp_db_close(db);
	return rc;
}

int sf_smdp_db_open(const char *path, const struct sf_smdp_policy *policy, const struct sf_rng *rng,
                    struct sf_smdp_db **out)
{
	return open_at(path, policy, rng, LATEST, out);
}

/* For the migration test: creates the schema of an older simfleet. */
int sf__smdp_db_open_version(const char *path, int version, struct sf_smdp_db **out)
{
	return open_at(path, NULL, NULL, version, out);
}

void sf_smdp_db_close(struct sf_smdp_db *db)
{
	if (!db)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(db->st[i]);
	if (db->db)
		sqlite3_close(db->db);
	free(db);
}

int sf_smdp_txn_begin(struct sf_smdp_db *db)
{
	if (!db || db->outer)
		return SF_EINVAL;
	int rc = run(db, S_BEGIN);
	if (rc == 0) {
		db->outer = 1;
		db->outer_failed = 0;
	}
	return rc;
}

int sf_smdp_txn_end(struct sf_smdp_db *db)
{
	if (!db || !db->outer)
		return SF_EINVAL;
	db->outer = 0;
	int rc = db->outer_failed ? SF_ESMDP_DB : run(db, S_COMMIT);
	if (rc)
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int sf_smdp_txn_abort(struct sf_smdp_db *db)
{
	if (!db || !db->outer)
		return SF_EINVAL;
	db->outer = 0;
	if (sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK &&
	    !sqlite3_get_autocommit(db->db))
		return dberr(db, "ROLLBACK");
	return 0; /* also when SQLite had already rolled back */
}

int sf_smdp_db_defer_sync(struct sf_smdp_db *db)
{
	if (!db || db->outer)
		return SF_EINVAL;
	/* Only a WAL is synced by sf_smdp_db_sync; in a rollback journal mode
	 * NORMAL would also risk corruption. */
	sqlite3_stmt *q = NULL;
	int wal = sqlite3_prepare_v2(db->db, "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK &&
	          sqlite3_step(q) == SQLITE_ROW &&
	          sqlite3_stricmp((const char *)sqlite3_column_text(q, 0), "wal") == 0;
	sqlite3_finalize(q);
	if (!wal) {
		snprintf(db->errmsg, sizeof(db->errmsg),
		         "deferring syncs: the database is not in WAL mode");
		return SF_ESMDP_DB;
	}
	/* exec, never a prepared statement: SQLite applies "PRAGMA synchronous"
	 * when it compiles it, so stepping a prepared one again changes
	 * nothing. */
	return exec_sql(db, "PRAGMA synchronous = NORMAL", "deferring syncs");
}

/* The WAL's sqlite3_file, synced through SQLite's own VFS with the flags of
 * its commit at synchronous=FULL (fdatasync; the directory the first time).
 * One difference: at FULL, SQLite pads a commit to a sector boundary when
 * the VFS does not promise powersafe overwrite; the unix VFS does, by
 * default. */
int sf_smdp_db_sync(struct sf_smdp_db *db)
{
	sqlite3_file *wal = NULL;
	if (!db)
		return SF_EINVAL;
	if (sqlite3_file_control(db->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK)
		return dberr(db, "finding the WAL");
	if (!wal || !wal->pMethods)
		return 0; /* no WAL open: nothing was committed through it */
	int r = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
	if (r != SQLITE_OK) {
		snprintf(db->errmsg, sizeof(db->errmsg), "syncing the WAL: %s", sqlite3_errstr(r));
		return SF_ESMDP_DB;
	}
	return 0;
}

/* For the tests: the connection's PRAGMA synchronous (1 NORMAL, 2 FULL). */
int sf__smdp_db_sync_level(struct sf_smdp_db *db)
{
	sqlite3_stmt *q = NULL;
	int level = -1;
	if (db && sqlite3_prepare_v2(db->db, "PRAGMA synchronous", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		level = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return level;
}

int64_t sf_smdp_db_changes(const struct sf_smdp_db *db)
{
	return db ? (int64_t)sqlite3_total_changes64(db->db) : 0;
}

/* ---- inventory ---- */

int sf_smdp_profile_add(struct sf_smdp_db *db, const char *op, const char *iccid,
                        const char *profile_type, const char *spn, const char *name,
                        const uint8_t *pkg, size_t pkg_len, int64_t now)
{
	if (!db || !op || !*op || !iccid || !*iccid || strlen(iccid) > SF_SMDP_ICCID_MAX || !pkg ||
	    !pkg_len || strlen(op) > SF_SMDP_NAME_MAX ||
	    (profile_type && strlen(profile_type) > SF_SMDP_NAME_MAX))
		return SF_EINVAL;
	char nm[SF_SMDP_NAME_MAX + 1];
	snprintf(nm, sizeof(nm), "%s",
	         name && *name                   ? name
	         : profile_type && *profile_type ? profile_type
	                                         : iccid);
	int rc = begin(db);
	if (rc)
		return rc;
	sqlite3_stmt *s = db->st[S_PROFILE_INSERT];
	sqlite3_bind_text(s, 1, iccid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, op, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, profile_type ? profile_type : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, spn && *spn ? spn : op, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, nm, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 6, db->pol.max_attempts);
	sqlite3_bind_int64(s, 7, now);
	int r = sqlite3_step(s);
	if (r != SQLITE_DONE)
		rc = (sqlite3_extended_errcode(db->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
		         ? SF_ESMDP_DUPLICATE
		         : dberr(db, sql[S_PROFILE_INSERT]);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == 0) {
		s = db->st[S_PACKAGE_INSERT];
		sqlite3_bind_text(s, 1, iccid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(s, 2, pkg, (int)pkg_len, SQLITE_STATIC);
		rc = run(db, S_PACKAGE_INSERT);
	}
	return end(db, rc);
}

int sf_smdp_profile_get(struct sf_smdp_db *db, const char *op, const char *iccid,
                        struct sf_smdp_profile *p)
{
	if (!db || !p)
		return SF_EINVAL;
	return get_own(db, op, iccid, p);
}

int sf_smdp_profile_by_matching_id(struct sf_smdp_db *db, const char *matching_id,
                                   struct sf_smdp_profile *p)
{
	if (!db || !matching_id || !*matching_id || !p)
		return SF_EINVAL;
	return get_row(db, S_PROFILE_BY_MID, matching_id, p);
}

int sf_smdp_profile_package(struct sf_smdp_db *db, const char *iccid, uint8_t **pkg, size_t *len)
{
	if (!db || !iccid || !pkg || !len)
		return SF_EINVAL;
	sqlite3_stmt *s = db->st[S_PROFILE_PACKAGE];
	sqlite3_bind_text(s, 1, iccid, -1, SQLITE_TRANSIENT);
	int r = sqlite3_step(s), rc = 0;
	if (r == SQLITE_ROW) {
		int n = sqlite3_column_bytes(s, 0);
		*pkg = malloc(n > 0 ? (size_t)n : 1);
		if (!*pkg)
			rc = SF_ENOMEM;
		else {
			memcpy(*pkg, sqlite3_column_blob(s, 0), (size_t)n);
			*len = (size_t)n;
		}
	} else {
		rc = r == SQLITE_DONE ? SF_ESMDP_UNKNOWN : dberr(db, sql[S_PROFILE_PACKAGE]);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

int sf_smdp_profile_list(struct sf_smdp_db *db, const char *op,
                         int (*cb)(void *user, const struct sf_smdp_profile *p), void *user)
{
	if (!db || !cb)
		return SF_EINVAL;
	enum stmt i = op ? S_PROFILE_LIST_OP : S_PROFILE_LIST;
	sqlite3_stmt *s = db->st[i];
	if (op)
		sqlite3_bind_text(s, 1, op, -1, SQLITE_TRANSIENT);
	int r, rc = 0;
	struct sf_smdp_profile p;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		read_row(s, &p);
		if ((rc = cb(user, &p)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = dberr(db, sql[i]);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

/* ---- ES2+ ---- */

static int eid_ok(const char *eid)
{
	return eid && strlen(eid) == SF_SMDP_EID_LEN &&
	       strspn(eid, "0123456789") == SF_SMDP_EID_LEN;
}

int sf_smdp_download_order(struct sf_smdp_db *db, const char *op, const char *eid,
                           const char *iccid, const char *profile_type, int64_t now,
                           char iccid_out[SF_SMDP_ICCID_MAX + 1])
{
	if (!db || !op || !iccid_out || (!iccid && !profile_type) || (iccid && profile_type) ||
	    (eid && *eid && !eid_ok(eid)))
		return SF_EINVAL;
	struct sf_smdp_profile p;
	int rc = begin(db);
	if (rc)
		return rc;
	if (profile_type) {
		sqlite3_stmt *s = db->st[S_PROFILE_FIRST_OF_TYPE];
		sqlite3_bind_text(s, 1, op, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, profile_type, -1, SQLITE_TRANSIENT);
		int r = sqlite3_step(s);
		char ic[SF_SMDP_ICCID_MAX + 1] = "";
		if (r == SQLITE_ROW)
			col_text(s, 0, ic, sizeof(ic));
		else
			rc = r == SQLITE_DONE ? SF_ESMDP_NONE_AVAILABLE
			                      : dberr(db, sql[S_PROFILE_FIRST_OF_TYPE]);
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		if (rc == 0)
			rc = get_own(db, op, ic, &p);
	} else {
		rc = get_own(db, op, iccid, &p);
		if (rc == 0 && p.state != SF_SMDP_AVAILABLE)
			rc = SF_ESMDP_STATE;
	}
	if (rc == 0) {
		p.state = eid && *eid ? SF_SMDP_LINKED : SF_SMDP_ALLOCATED;
		snprintf(p.eid, sizeof(p.eid), "%s", eid ? eid : "");
		p.matching_id[0] = '\0';
		p.cc_required = 0;
		p.attempts = p.cc_failures = 0;
		p.expires = 0;
		p.max_attempts = db->pol.max_attempts;
		rc = set_order(db, &p, now);
	}
	if (rc == 0)
		memcpy(iccid_out, p.iccid, sizeof(p.iccid));
	return end(db, rc);
}

static int mid_ok(const char *m)
{
	size_t n = strlen(m);
	if (n == 0 || n > SF_SMDP_NAME_MAX)
		return 0;
	/* SGP.22 matchingId: UTF8String; in an activation code it sits between
	 * '$' separators, so only unreserved characters here. */
	for (size_t i = 0; i < n; i++) {
		char c = m[i];
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/* A fresh matchingId: 4 groups of 5 from an unambiguous alphabet. */
static int make_mid(struct sf_smdp_db *db, char out[SF_SMDP_NAME_MAX + 1])
{
	static const char A[] = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"; /* no I, O */
	uint8_t r[20];
	int rc = sf_rng_fill(db->rng, r, sizeof(r));
	if (rc)
		return rc;
	size_t k = 0;
	for (int i = 0; i < 20; i++) {
		if (i && i % 5 == 0)
			out[k++] = '-';
		out[k++] = A[r[i] % (sizeof(A) - 1)];
	}
	out[k] = '\0';
	return 0;
}

static int mid_in_use(struct sf_smdp_db *db, const char *mid, int *used)
{
	sqlite3_stmt *s = db->st[S_MID_IN_USE];
	sqlite3_bind_text(s, 1, mid, -1, SQLITE_TRANSIENT);
	int r = sqlite3_step(s), rc = 0;
	if (r == SQLITE_ROW)
		*used = sqlite3_column_int(s, 0) > 0;
	else
		rc = dberr(db, sql[S_MID_IN_USE]);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

int sf_smdp_confirm_order(struct sf_smdp_db *db, const char *op, const char *iccid, const char *eid,
                          const char *matching_id, const uint8_t *cc, size_t cc_len, int release,
                          int64_t now, char mid_out[SF_SMDP_NAME_MAX + 1])
{
	if (!db || !op || !iccid || !mid_out || (eid && *eid && !eid_ok(eid)) ||
	    (matching_id && *matching_id && !mid_ok(matching_id)) || (cc && !cc_len))
		return SF_EINVAL;
	struct sf_smdp_profile p;
	int rc = begin(db), used = 0;
	if (rc)
		return rc;
	if ((rc = get_own(db, op, iccid, &p)) != 0)
		goto out;
	if (p.state != SF_SMDP_ALLOCATED && p.state != SF_SMDP_LINKED) {
		rc = SF_ESMDP_STATE;
		goto out;
	}
	if (eid && *eid) {
		if (p.eid[0] && strcmp(p.eid, eid) != 0) {
			rc = SF_ESMDP_EID;
			goto out;
		}
		snprintf(p.eid, sizeof(p.eid), "%s", eid);
	}
	if (matching_id && *matching_id) {
		if ((rc = mid_in_use(db, matching_id, &used)) != 0)
			goto out;
		if (used) {
			rc = SF_ESMDP_MATCHING_ID;
			goto out;
		}
		snprintf(p.matching_id, sizeof(p.matching_id), "%s", matching_id);
	} else {
		do {
			if ((rc = make_mid(db, p.matching_id)) != 0 ||
			    (rc = mid_in_use(db, p.matching_id, &used)) != 0)
				goto out;
		} while (used);
	}
	p.cc_required = cc != NULL;
	if (cc)
		sf_sha256(cc, cc_len, p.cc_sha256);
	p.state = release ? SF_SMDP_RELEASED : SF_SMDP_CONFIRMED;
	p.attempts = p.cc_failures = 0;
	p.expires = now + db->pol.order_ttl;
	rc = set_order(db, &p, now);
	if (rc == 0 && release)
		rc = set_released(db, p.iccid, now);
	if (rc == 0)
		memcpy(mid_out, p.matching_id, sizeof(p.matching_id));
out:
	sf_wipe(p.cc_sha256, sizeof(p.cc_sha256));
	return end(db, rc);
}

int sf_smdp_cancel_order(struct sf_smdp_db *db, const char *op, const char *iccid, const char *eid,
                         const char *matching_id, int final_available, int64_t now)
{
	if (!db || !op || !iccid)
		return SF_EINVAL;
	struct sf_smdp_profile p;
	int rc = begin(db);
	if (rc)
		return rc;
	if ((rc = get_own(db, op, iccid, &p)) != 0)
		goto out;
	/* Installed profiles are the eUICC's now; available/unavailable have no
	 * order.  error: cancelling it is how an operator recycles the package. */
	if (p.state == SF_SMDP_AVAILABLE || p.state == SF_SMDP_UNAVAILABLE ||
	    p.state == SF_SMDP_INSTALLED) {
		rc = SF_ESMDP_STATE;
		goto out;
	}
	if (eid && *eid && strcmp(eid, p.eid) != 0) {
		rc = SF_ESMDP_EID;
		goto out;
	}
	if (matching_id && *matching_id && strcmp(matching_id, p.matching_id) != 0) {
		rc = SF_ESMDP_MATCHING_ID;
		goto out;
	}
	p.state = final_available ? SF_SMDP_AVAILABLE : SF_SMDP_UNAVAILABLE;
	p.eid[0] = p.matching_id[0] = '\0';
	p.cc_required = 0;
	p.attempts = p.cc_failures = 0;
	p.expires = 0;
	rc = set_order(db, &p, now);
out:
	return end(db, rc);
}

int sf_smdp_release(struct sf_smdp_db *db, const char *op, const char *iccid, int64_t now)
{
	if (!db || !op || !iccid)
		return SF_EINVAL;
	struct sf_smdp_profile p;
	int rc = begin(db);
	if (rc)
		return rc;
	if ((rc = get_own(db, op, iccid, &p)) == 0)
		rc = p.state == SF_SMDP_CONFIRMED ? set_state(db, iccid, SF_SMDP_RELEASED, now)
		                                  : SF_ESMDP_STATE;
	if (rc == 0)
		rc = set_released(db, iccid, now);
	return end(db, rc);
}

/* ---- ES9+ ---- */

int sf_smdp_begin_download(struct sf_smdp_db *db, const char *matching_id, const char *eid,
                           int64_t now, struct sf_smdp_profile *p)
{
	if (!db || !matching_id || !eid_ok(eid) || !p)
		return SF_EINVAL;
	if (!*matching_id)
		return SF_ESMDP_MATCHING_ID;
	int rc = begin(db);
	if (rc)
		return rc;
	rc = get_row(db, S_PROFILE_BY_MID, matching_id, p);
	if (rc == SF_ESMDP_UNKNOWN)
		rc = SF_ESMDP_MATCHING_ID;
	if (rc)
		goto out;
	/* SGP.22 §3.1.3: only a released order can be downloaded; a downloaded
	 * one again (the BPP was sent but no result came back: a retry). */
	if (p->state != SF_SMDP_RELEASED && p->state != SF_SMDP_DOWNLOADED) {
		rc = p->state == SF_SMDP_ERROR ? SF_ESMDP_ATTEMPTS : SF_ESMDP_MATCHING_ID;
		goto out;
	}
	if (p->expires && now >= p->expires) {
		rc = SF_ESMDP_EXPIRED;
		goto out;
	}
	if (p->eid[0] && strcmp(p->eid, eid) != 0) {
		rc = SF_ESMDP_EID;
		goto out;
	}
	if (p->attempts >= p->max_attempts) {
		rc = SF_ESMDP_ATTEMPTS;
		goto out;
	}
	/* Count the attempt and bind the EID, in the one transaction.  The last allowed
	 * attempt still runs; the profile goes to error only when it fails
	 * (a later begin finds attempts == max). */
	p->attempts++;
	sqlite3_stmt *s = db->st[S_PROFILE_SET_ATTEMPT];
	sqlite3_bind_text(s, 1, p->iccid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, p->attempts);
	sqlite3_bind_int64(s, 3, now);
	rc = run(db, S_PROFILE_SET_ATTEMPT);
	if (rc == 0 && !p->eid[0]) {
		snprintf(p->eid, sizeof(p->eid), "%s", eid);
		s = db->st[S_PROFILE_SET_EID];
		sqlite3_bind_text(s, 1, p->iccid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, p->eid, -1, SQLITE_TRANSIENT);
		rc = run(db, S_PROFILE_SET_EID);
	}
out:
	if (rc == SF_ESMDP_ATTEMPTS && p->state != SF_SMDP_ERROR) {
		/* Over the limit: the order has failed (SGP.22: the SM-DP+ ends it). */
		int r2 = end(db, set_state(db, p->iccid, SF_SMDP_ERROR, now));
		return r2 ? r2 : SF_ESMDP_ATTEMPTS;
	}
	return end(db, rc);
}

int sf_smdp_cc_failed(struct sf_smdp_db *db, const char *iccid, int64_t now)
{
	if (!db || !iccid)
		return SF_EINVAL;
	struct sf_smdp_profile p;
	int rc = begin(db);
	if (rc)
		return rc;
	int over = 0;
	if ((rc = get_own(db, NULL, iccid, &p)) == 0) {
		p.cc_failures++;
		over = p.cc_failures >= db->pol.max_cc_failures;
		sqlite3_stmt *s = db->st[S_PROFILE_SET_CC_FAIL];
		sqlite3_bind_text(s, 1, iccid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(s, 2, p.cc_failures);
		sqlite3_bind_text(s, 3, sf_smdp_state_name(over ? SF_SMDP_ERROR : p.state), -1,
		                  SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, now);
		rc = run(db, S_PROFILE_SET_CC_FAIL);
	}
	rc = end(db, rc);
	return rc ? rc : over ? SF_ESMDP_ATTEMPTS : SF_ESMDP_CC;
}

void sf_smdp_hash_cc(const uint8_t cc_sha256[32], const uint8_t *tid, size_t tid_len,
                     uint8_t out[32])
{
	struct sf_sha256 h;
	sf_sha256_init(&h);
	sf_sha256_update(&h, cc_sha256, 32);
	sf_sha256_update(&h, tid, tid_len);
	sf_sha256_final(&h, out);
	sf_wipe(&h, sizeof(h));
}

static int mark(struct sf_smdp_db *db, const char *iccid, const char *eid, int from_mask,
                enum sf_smdp_state to, int64_t now)
{
	if (!db || !iccid || !eid)
		return SF_EINVAL;
	struct sf_smdp_profile p;
	int rc = begin(db);
	if (rc)
		return rc;
	if ((rc = get_own(db, NULL, iccid, &p)) != 0)
		goto out;
	if (!(from_mask & (1 << p.state))) {
		rc = SF_ESMDP_STATE;
		goto out;
	}
	if (strcmp(p.eid, eid) != 0) {
		rc = SF_ESMDP_EID;
		goto out;
	}
	rc = set_state(db, iccid, to, now);
out:
	return end(db, rc);
}

int sf_smdp_mark_downloaded(struct sf_smdp_db *db, const char *iccid, const char *eid, int64_t now)
{
	return mark(db, iccid, eid, (1 << SF_SMDP_RELEASED) | (1 << SF_SMDP_DOWNLOADED),
	            SF_SMDP_DOWNLOADED, now);
}

int sf_smdp_mark_installed(struct sf_smdp_db *db, const char *iccid, const char *eid, int success,
                           int64_t now)
{
	/* released too: the PIR may overtake a lost BPP response's bookkeeping. */
	return mark(db, iccid, eid, (1 << SF_SMDP_DOWNLOADED) | (1 << SF_SMDP_RELEASED),
	            success ? SF_SMDP_INSTALLED : SF_SMDP_ERROR, now);
}

int sf_smdp_session_cancelled(struct sf_smdp_db *db, const char *iccid, const char *eid,
                              int terminate, int64_t now)
{
	return mark(db, iccid, eid, (1 << SF_SMDP_RELEASED) | (1 << SF_SMDP_DOWNLOADED),
	            terminate ? SF_SMDP_ERROR : SF_SMDP_RELEASED, now);
}

int sf_smdp_euicc_put(struct sf_smdp_db *db, const char *eid, int curve, const uint8_t pk[65],
                      int64_t now)
{
	if (!db || !eid_ok(eid) || !pk)
		return SF_EINVAL;
	sqlite3_stmt *s = db->st[S_EUICC_PUT];
	sqlite3_bind_text(s, 1, eid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, curve);
	sqlite3_bind_blob(s, 3, pk, 65, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, now);
	return run(db, S_EUICC_PUT);
}

int sf_smdp_euicc_get(struct sf_smdp_db *db, const char *eid, int *curve, uint8_t pk[65])
{
	if (!db || !eid || !curve || !pk)
		return SF_EINVAL;
	sqlite3_stmt *s = db->st[S_EUICC_GET];
	sqlite3_bind_text(s, 1, eid, -1, SQLITE_TRANSIENT);
	int r = sqlite3_step(s), rc = SF_ESMDP_UNKNOWN;
	if (r == SQLITE_ROW && sqlite3_column_bytes(s, 1) == 65) {
		*curve = sqlite3_column_int(s, 0);
		memcpy(pk, sqlite3_column_blob(s, 1), 65);
		rc = 0;
	} else if (r != SQLITE_ROW && r != SQLITE_DONE) {
		rc = dberr(db, sql[S_EUICC_GET]);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

/* ---- outbox ---- */

int sf_smdp_outbox_put(struct sf_smdp_db *db, const char *op, const char *body, int64_t now,
                       int64_t next_try, int64_t *id)
{
	if (!db || !op || !body)
		return SF_EINVAL;
	sqlite3_stmt *s = db->st[S_OUTBOX_PUT];
	sqlite3_bind_text(s, 1, op, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, body, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, next_try);
	int rc = run(db, S_OUTBOX_PUT);
	if (rc == 0 && id)
		*id = sqlite3_last_insert_rowid(db->db);
	return rc;
}

int sf_smdp_outbox_due(struct sf_smdp_db *db, int64_t now, struct sf_smdp_outbox_row *row)
{
	if (!db || !row)
		return SF_EINVAL;
	memset(row, 0, sizeof(*row));
	sqlite3_stmt *s = db->st[S_OUTBOX_DUE];
	sqlite3_bind_int64(s, 1, now);
	int r = sqlite3_step(s), rc = SF_ESMDP_UNKNOWN;
	if (r == SQLITE_ROW) {
		const unsigned char *b = sqlite3_column_text(s, 2);
		row->id = sqlite3_column_int64(s, 0);
		col_text(s, 1, row->op, sizeof(row->op));
		row->attempts = sqlite3_column_int(s, 3);
		row->body = strdup(b ? (const char *)b : "");
		rc = row->body ? 0 : SF_ENOMEM;
	} else if (r != SQLITE_DONE) {
		rc = dberr(db, sql[S_OUTBOX_DUE]);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

int sf_smdp_outbox_retry(struct sf_smdp_db *db, int64_t id, int tries, int64_t next_try)
{
	if (!db || tries < 0)
		return SF_EINVAL;
	sqlite3_stmt *s = db->st[S_OUTBOX_RETRY];
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, tries);
	sqlite3_bind_int64(s, 3, next_try);
	return run(db, S_OUTBOX_RETRY);
}

int sf_smdp_outbox_done(struct sf_smdp_db *db, int64_t id)
{
	if (!db)
		return SF_EINVAL;
	sqlite3_bind_int64(db->st[S_OUTBOX_DEL], 1, id);
	return run(db, S_OUTBOX_DEL);
}

/* ---- audit ---- */

int sf_smdp_audit(struct sf_smdp_db *db, const char *actor, const char *action, const char *iccid,
                  const char *eid, const char *result, const char *detail, int64_t now)
{
	if (!db || !actor || !action || !result)
		return SF_EINVAL;
	sqlite3_stmt *s = db->st[S_AUDIT_PUT];
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_text(s, 2, actor, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, action, -1, SQLITE_TRANSIENT);
	bind_text(s, 4, iccid);
	bind_text(s, 5, eid);
	sqlite3_bind_text(s, 6, result, -1, SQLITE_TRANSIENT);
	bind_text(s, 7, detail);
	return run(db, S_AUDIT_PUT);
}

int sf_smdp_audit_list(struct sf_smdp_db *db,
                       int (*cb)(void *user, int64_t id, int64_t at, const char *actor,
                                 const char *action, const char *iccid, const char *eid,
                                 const char *result, const char *detail),
                       void *user)
{
	if (!db || !cb)
		return SF_EINVAL;
	sqlite3_stmt *s = db->st[S_AUDIT_LIST];
	int r, rc = 0;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		const char *f[6];
		for (int i = 0; i < 6; i++) {
			const unsigned char *t = sqlite3_column_text(s, 2 + i);
			f[i] = t ? (const char *)t : "";
		}
		if ((rc = cb(user, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), f[0],
		             f[1], f[2], f[3], f[4], f[5])) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = dberr(db, sql[S_AUDIT_LIST]);
	sqlite3_reset(s);
	return rc;
}

/* ---- ES9+ without a matchingId: the default SM-DP+ (SGP.22 §3.1.2) ---- */

/* SGP.22 §3.1.2: an eUICC that contacts its default SM-DP+ presents no
 * matchingId (absent or empty in ctxParams1); the SM-DP+ serves the download
 * order it holds for the eUICC's EID.  The operator must have given the EID
 * (downloadOrder or confirmOrder), so only orders bound to eid are served,
 * never one without an EID.  Several orders for one EID: the oldest release
 * first (the order the operator issued first is the one the device gets
 * first), ties by the smaller ICCID, so the choice never depends on the
 * storage order.  An expired order does not block the ones after it. */
int sf_smdp_order_for_eid(struct sf_smdp_db *db, const char *eid, int64_t now,
                          struct sf_smdp_profile *p)
{
	if (!db || !eid_ok(eid) || !p)
		return SF_EINVAL;
	sqlite3_stmt *s = db->st[S_PROFILE_FOR_EID];
	sqlite3_bind_text(s, 1, eid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, now);
	int r = sqlite3_step(s), rc;
	if (r == SQLITE_ROW) {
		read_row(s, p);
		/* Unexpired orders sort first: an expired one here means all are. */
		rc = p->expires && now >= p->expires ? SF_ESMDP_EXPIRED : 0;
	} else {
		rc = r == SQLITE_DONE ? SF_ESMDP_MATCHING_ID : dberr(db, "the order for an EID");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

int sf_smdp_begin_download_eid(struct sf_smdp_db *db, const char *eid, int64_t now,
                               struct sf_smdp_profile *p)
{
	if (!db || !eid_ok(eid) || !p)
		return SF_EINVAL;
	/* The choice and the attempt in one transaction: no other writer can
	 * release, cancel or download an order of this EID in between. */
	int own = !db->outer;
	int rc = own ? sf_smdp_txn_begin(db) : 0;
	if (rc)
		return rc;
	rc = sf_smdp_order_for_eid(db, eid, now, p);
	if (rc == 0) {
		/* Every released order has a matchingId (confirmOrder makes one):
		 * from here on it is a download of that order, with the same
		 * checks and the same attempt counting as one by matchingId. */
		char mid[SF_SMDP_NAME_MAX + 1];
		memcpy(mid, p->matching_id, sizeof(mid));
		rc = sf_smdp_begin_download(db, mid, eid, now, p);
	}
	if (own) {
		int r2 = sf_smdp_txn_end(db);
		if (r2)
			rc = r2;
	}
	return rc;
}
