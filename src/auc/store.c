/*
 * AuC persistence: the SQLite database, its statements and its schema.
 *
 * Every SQL statement the AuC runs is in the one table sf__auc_sql, indexed by
 * enum sf__auc_stmt, and prepared once when the database is opened.  The
 * schema is versioned (table schema_version) and upgraded by the ordered
 * list `migrations`: migrations[i] takes a database from version i to i + 1,
 * version 0 being an empty file.  An open runs the missing steps in one
 * transaction, so an interrupted upgrade leaves the old version intact
 * (the osmo-hlr db_upgrade pattern).  Never edit a shipped migration: append.
 *
 * Durability: WAL journal with synchronous=FULL, so a COMMIT returns only
 * after the WAL is fsync'ed (SQLite "Write-Ahead Logging", §"Performance
 * Considerations").  The AuC commits every SEQ_HE advance before it hands a
 * vector out (auc.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auc_internal.h"
#include "simfleet/err.h"
#include "simfleet/util.h"

/* The statements, in the order of enum sf__auc_stmt. */
static const char *const sf__auc_sql[SF__AUC_STMT_COUNT] = {
    [SF__AUC_BEGIN] = "BEGIN IMMEDIATE",
    [SF__AUC_COMMIT] = "COMMIT",
    [SF__AUC_ROLLBACK] = "ROLLBACK",
    [SF__AUC_META_GET] = "SELECT value FROM meta WHERE name = ?1",
    [SF__AUC_META_PUT] = "INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)",
    [SF__AUC_SUB_GET] = "SELECT iccid, alg, k_len, opc_len, mac_len, res_len, ck_len, ik_len,"
                        " keccak_iterations, sealed, seq_he, ind_bits, status"
                        " FROM subscriber WHERE imsi = ?1",
    [SF__AUC_SUB_INSERT] = "INSERT INTO subscriber (imsi, iccid, alg, k_len, opc_len, mac_len,"
                           " res_len, ck_len, ik_len, keccak_iterations, sealed, seq_he,"
                           " ind_bits, status)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [SF__AUC_SUB_SET_SEQ] = "UPDATE subscriber SET seq_he = ?2 WHERE imsi = ?1",
    [SF__AUC_SUB_SET_STATUS] = "UPDATE subscriber SET status = ?2 WHERE imsi = ?1",
    [SF__AUC_SUB_IMSI_BY_ICCID] = "SELECT imsi FROM subscriber WHERE iccid = ?1",
    [SF__AUC_SUB_ALL_IMSI] = "SELECT imsi FROM subscriber ORDER BY imsi",
    [SF__AUC_SUB_SET_SEALED] = "UPDATE subscriber SET sealed = ?2 WHERE imsi = ?1",
    [SF__AUC_SUB_ALL_SEALED] = "SELECT imsi, alg, k_len, opc_len, sealed FROM subscriber",
    [SF__AUC_SUB_COUNT] = "SELECT count(*) FROM subscriber",
};

/* The schema history.  migrations[i]: version i -> i + 1. */
static const char *const migrations[] = {
    /* 0 -> 1: the first AuC schema. */
    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
    "INSERT INTO schema_version (version) VALUES (0);"
    "CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL);"
    "CREATE TABLE subscriber ("
    " imsi TEXT PRIMARY KEY NOT NULL,"
    " iccid TEXT NOT NULL,"
    " alg INTEGER NOT NULL,"
    " k_len INTEGER NOT NULL, opc_len INTEGER NOT NULL, mac_len INTEGER NOT NULL,"
    " res_len INTEGER NOT NULL, ck_len INTEGER NOT NULL, ik_len INTEGER NOT NULL,"
    " sealed BLOB NOT NULL,"    /* K || OPc under the master key (AES-256-GCM) */
    " seq_he INTEGER NOT NULL," /* SEQ_HE of the last vector issued */
    " ind_bits INTEGER NOT NULL)",
    /* 1 -> 2: suspend / resume. */
    "ALTER TABLE subscriber ADD COLUMN status TEXT NOT NULL DEFAULT 'active'"
    " CHECK (status IN ('active', 'suspended'))",
    /* 2 -> 3: TUAK's Keccak iteration count; look-up by ICCID (profile ordering). */
    "ALTER TABLE subscriber ADD COLUMN keccak_iterations INTEGER NOT NULL DEFAULT 1;"
    "CREATE INDEX subscriber_iccid ON subscriber (iccid)",
};
#define LATEST ((int)(sizeof(migrations) / sizeof(migrations[0])))

static const char KEY_CHECK_AAD[] = "simfleet-auc key check v1";

int sf_auc_schema_latest(void)
{
	return LATEST;
}

int sf_auc_schema_version(const struct sf_auc *auc)
{
	return auc ? auc->version : 0;
}

const char *sf_auc_last_error(const struct sf_auc *auc)
{
	return auc ? auc->errmsg : "";
}

int sf__auc_dberr(struct sf_auc *auc, const char *what)
{
	int code = sqlite3_extended_errcode(auc->db);
	snprintf(auc->errmsg, sizeof(auc->errmsg), "%s: %s", what, sqlite3_errmsg(auc->db));
	return (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED ? SF_EAUC_BUSY
	                                                                      : SF_EAUC_DB;
}

int sf__auc_exec(struct sf_auc *auc, enum sf__auc_stmt i)
{
	sqlite3_stmt *s = auc->st[i];
	int r = sqlite3_step(s);
	int rc = (r == SQLITE_DONE || r == SQLITE_ROW) ? 0 : sf__auc_dberr(auc, sf__auc_sql[i]);
	sqlite3_reset(s);
	return rc;
}

static int exec_sql(struct sf_auc *auc, const char *sql, const char *what)
{
	if (sqlite3_exec(auc->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sf__auc_dberr(auc, what);
	return 0;
}

/* Key-check value: nonce || GCM(key, 16 zero octets) || tag. */
#define KCV_LEN (SF_GCM_NONCE_LEN + 16 + SF_GCM_TAG_LEN)

static int kcv_make(const uint8_t key[32], const struct sf_rng *rng, uint8_t kcv[KCV_LEN])
{
	static const uint8_t zero[16];
	int rc = sf_rng_fill(rng, kcv, SF_GCM_NONCE_LEN);
	if (rc)
		return rc;
	return sf_aes256gcm_seal(key, kcv, (const uint8_t *)KEY_CHECK_AAD,
	                         sizeof(KEY_CHECK_AAD) - 1, zero, 16, kcv + SF_GCM_NONCE_LEN,
	                         kcv + SF_GCM_NONCE_LEN + 16);
}

static int kcv_put(struct sf_auc *auc, const uint8_t key[32])
{
	uint8_t kcv[KCV_LEN];
	int rc = kcv_make(key, auc->rng, kcv);
	if (rc)
		return rc;
	sqlite3_stmt *s = auc->st[SF__AUC_META_PUT];
	sqlite3_bind_text(s, 1, "key_check", -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, kcv, KCV_LEN, SQLITE_TRANSIENT);
	rc = sf__auc_exec(auc, SF__AUC_META_PUT);
	sqlite3_clear_bindings(s);
	return rc;
}

int sf__auc_kcv_put(struct sf_auc *auc, const uint8_t key[32])
{
	return kcv_put(auc, key);
}

static int kcv_check(struct sf_auc *auc)
{
	sqlite3_stmt *s = auc->st[SF__AUC_META_GET];
	int rc = SF_EAUC_SCHEMA;
	uint8_t pt[16];
	sqlite3_bind_text(s, 1, "key_check", -1, SQLITE_STATIC);
	int r = sqlite3_step(s);
	if (r == SQLITE_ROW && sqlite3_column_bytes(s, 0) == KCV_LEN) {
		const uint8_t *kcv = sqlite3_column_blob(s, 0);
		rc = sf_aes256gcm_open(auc->key, kcv, (const uint8_t *)KEY_CHECK_AAD,
		                       sizeof(KEY_CHECK_AAD) - 1, kcv + SF_GCM_NONCE_LEN, 16,
		                       kcv + SF_GCM_NONCE_LEN + 16, pt);
		if (rc == SF_ECRYPTO_AUTH)
			rc = SF_EAUC_MASTER_KEY;
	} else if (r != SQLITE_ROW && r != SQLITE_DONE) {
		rc = sf__auc_dberr(auc, "reading the key-check value");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

static int read_version(struct sf_auc *auc, int *version)
{
	sqlite3_stmt *s = NULL;
	int have = 0;
	if (sqlite3_prepare_v2(auc->db,
	                       "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
	                       "'schema_version'",
	                       -1, &s, NULL) != SQLITE_OK)
		return sf__auc_dberr(auc, "reading the schema");
	if (sqlite3_step(s) == SQLITE_ROW)
		have = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (!have) {
		*version = 0;
		return 0;
	}
	if (sqlite3_prepare_v2(auc->db, "SELECT version FROM schema_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return sf__auc_dberr(auc, "reading the schema version");
	int r = sqlite3_step(s);
	*version = r == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	return *version < 0 ? SF_EAUC_SCHEMA : 0;
}

/* Brings the schema from its version to `target` in one transaction. */
static int upgrade(struct sf_auc *auc, int target)
{
	int v, rc = read_version(auc, &v);
	if (rc)
		return rc;
	if (v > LATEST)
		return SF_EAUC_SCHEMA;
	if (v >= target) {
		auc->version = v;
		return 0;
	}
	rc = exec_sql(auc, "BEGIN IMMEDIATE", "starting the schema upgrade");
	if (rc)
		return rc;
	for (int i = v; i < target; i++) {
		char what[64], setv[64];
		snprintf(what, sizeof(what), "schema migration %d -> %d", i, i + 1);
		rc = exec_sql(auc, migrations[i], what);
		if (rc)
			goto fail;
		snprintf(setv, sizeof(setv), "UPDATE schema_version SET version = %d", i + 1);
		rc = exec_sql(auc, setv, what);
		if (rc)
			goto fail;
	}
	rc = exec_sql(auc, "COMMIT", "committing the schema upgrade");
	if (rc)
		goto fail;
	auc->version = target;
	return 0;
fail:
	sqlite3_exec(auc->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int prepare_all(struct sf_auc *auc)
{
	for (int i = 0; i < SF__AUC_STMT_COUNT; i++) {
		if (sqlite3_prepare_v3(auc->db, sf__auc_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                       &auc->st[i], NULL) != SQLITE_OK)
			return sf__auc_dberr(auc, sf__auc_sql[i]);
	}
	return 0;
}

/* Opens the file (which must exist) with the AuC's pragmas. */
static int db_open(const char *path, const uint8_t key[32], const struct sf_rng *rng,
                   struct sf_auc **out)
{
	struct sf_auc *auc = calloc(1, sizeof(*auc));
	if (!auc)
		return SF_ENOMEM;
	memcpy(auc->key, key, 32);
	auc->rng = rng ? rng : sf_rng_system();
	if (sqlite3_open_v2(path, &auc->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		int rc = auc->db ? sf__auc_dberr(auc, "opening the database") : SF_ENOMEM;
		sf_auc_close(auc);
		return rc;
	}
	sqlite3_busy_timeout(auc->db, 5000);
	/* WAL + FULL: a commit is durable when it returns; WAL lets readers run
	 * beside the single writer. */
	int rc = exec_sql(auc, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;",
	                  "setting WAL mode");
	if (rc) {
		/* A file that is not a database fails here. */
		rc = (sqlite3_errcode(auc->db) == SQLITE_NOTADB) ? SF_EAUC_SCHEMA : rc;
		sf_auc_close(auc);
		return rc;
	}
	*out = auc;
	return 0;
}

/* Creates the file exclusively (0600) so an existing database is never
 * overwritten, even by a concurrent init. */
static int create_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? SF_EAUC_DB_EXISTS : SF_EIO;
	close(fd);
	return 0;
}

static int create_at(const char *path, const uint8_t key[32], const struct sf_rng *rng, int version,
                     struct sf_auc **out)
{
	struct sf_auc *auc = NULL;
	if (!path || !key || !out || version < 1 || version > LATEST)
		return SF_EINVAL;
	int rc = create_file(path);
	if (rc)
		return rc;
	rc = db_open(path, key, rng, &auc);
	if (rc)
		goto fail;
	rc = upgrade(auc, version);
	if (rc)
		goto fail;
	/* The key-check statement exists at every version (meta is in v1). */
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(auc->db, sf__auc_sql[SF__AUC_META_PUT], -1, &s, NULL) != SQLITE_OK) {
		rc = sf__auc_dberr(auc, "preparing the key check");
		goto fail;
	}
	auc->st[SF__AUC_META_PUT] = s;
	rc = kcv_put(auc, key);
	sqlite3_finalize(s);
	auc->st[SF__AUC_META_PUT] = NULL;
	if (rc)
		goto fail;
	if (version == LATEST) {
		rc = prepare_all(auc);
		if (rc)
			goto fail;
	}
	*out = auc;
	return 0;
fail:
	sf_auc_close(auc);
	unlink(path);
	return rc;
}

int sf_auc_create(const char *path, const uint8_t key[32], const struct sf_rng *rng,
                  struct sf_auc **out)
{
	return create_at(path, key, rng, LATEST, out);
}

int sf__auc_create_version(const char *path, const uint8_t key[32], const struct sf_rng *rng,
                           int version)
{
	struct sf_auc *auc = NULL;
	int rc = create_at(path, key, rng, version, &auc);
	sf_auc_close(auc);
	return rc;
}

int sf_auc_open(const char *path, const uint8_t key[32], const struct sf_rng *rng,
                struct sf_auc **out)
{
	struct sf_auc *auc = NULL;
	struct stat st;
	if (!path || !key || !out)
		return SF_EINVAL;
	*out = NULL;
	if (stat(path, &st) != 0)
		return SF_ENOENT;
	int rc = db_open(path, key, rng, &auc);
	if (rc)
		return rc;
	int v = 0;
	rc = read_version(auc, &v);
	if (!rc && (v < 1 || v > LATEST))
		rc = SF_EAUC_SCHEMA;
	if (rc)
		goto fail;
	/* Check the key before changing anything (the meta table is in v1). */
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(auc->db, sf__auc_sql[SF__AUC_META_GET], -1, &s, NULL) != SQLITE_OK) {
		rc = sf__auc_dberr(auc, "preparing the key check");
		goto fail;
	}
	auc->st[SF__AUC_META_GET] = s;
	rc = kcv_check(auc);
	sqlite3_finalize(s);
	auc->st[SF__AUC_META_GET] = NULL;
	if (rc)
		goto fail;
	rc = upgrade(auc, LATEST);
	if (rc)
		goto fail;
	rc = prepare_all(auc);
	if (rc)
		goto fail;
	*out = auc;
	return 0;
fail:
	sf_auc_close(auc);
	return rc;
}

void sf_auc_close(struct sf_auc *auc)
{
	if (!auc)
		return;
	for (int i = 0; i < SF__AUC_STMT_COUNT; i++)
		sqlite3_finalize(auc->st[i]);
	if (auc->db)
		sqlite3_close(auc->db);
	sf_wipe(auc, sizeof(*auc));
	free(auc);
}
