/*
 * SM-DP+ inventory and order lifecycle (GSMA SGP.22 v2.5 §3.1.1 profile
 * download initiation, §5.3 ES2+ DownloadOrder / ConfirmOrder / CancelOrder
 * / ReleaseProfile, §5.6 ES9+; the profile states of §3.1.1 and Annex
 * "Profile states in the SM-DP+").
 *
 * The store keeps, per profile package (one row per ICCID): the operator
 * that owns it, its profileType, the package itself (SAIP DER), its SGP.22
 * state, the EID it is bound to, the matchingId of its order, the SHA-256 of
 * its confirmation code, the download attempts and the order's expiry.  It
 * also keeps PK.EUICC per EID (to verify ProfileInstallationResults) and an
 * audit log of every operator and device action (never a secret: no
 * confirmation code, no token, no key; matchingIds are logged since they
 * are printed in activation codes anyway).
 *
 * State machine (SGP.22 §3.1.1):
 *   available --downloadOrder--> allocated (no EID) | linked (EID)
 *   allocated|linked --confirmOrder--> confirmed | released (releaseFlag)
 *   confirmed --releaseProfile--> released
 *   released|downloaded --ES9+ AuthenticateClient (attempt; by matchingId,
 *     or by EID without one)--> (same)
 *   released|downloaded --BPP delivered--> downloaded
 *   downloaded --PIR success--> installed;  --PIR error--> error
 *   allocated..downloaded --cancelOrder--> available | unavailable
 *   too many download attempts or confirmation code failures --> error
 *
 * SQLite in WAL mode (synchronous FULL), busy timeout 5 s, so `smdp import`
 * runs beside a serving SM-DP+.  Every state change is one IMMEDIATE
 * transaction that re-reads the row it changes: a crash leaves the old or
 * the new state, never half of one.  The schema is versioned and upgraded
 * by an ordered list of migrations (src/smdp/store.c).
 *
 * The handle is not thread-safe: one thread uses it (the server's loop).
 * Time is a parameter (`now`, seconds since 1970 UTC).
 */
#ifndef SIMFLEET_SMDP_H
#define SIMFLEET_SMDP_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/bpp.h"
#include "simfleet/rng.h"

#define SF_SMDP_ICCID_MAX 20
#define SF_SMDP_EID_LEN 32
#define SF_SMDP_NAME_MAX 64        /* operator, profileType, matchingId */
#define SF_SMDP_DEFAULT_ATTEMPTS 5 /* download attempts per order */

/* The SGP.22 profile states, in the order of the lifecycle. */
enum sf_smdp_state {
	SF_SMDP_AVAILABLE = 0,
	SF_SMDP_ALLOCATED,
	SF_SMDP_LINKED,
	SF_SMDP_CONFIRMED,
	SF_SMDP_RELEASED,
	SF_SMDP_DOWNLOADED,
	SF_SMDP_INSTALLED,
	SF_SMDP_ERROR,
	SF_SMDP_UNAVAILABLE,
	SF_SMDP_STATE_COUNT
};

/* "available", ... ; "?" outside the enum. */
const char *sf_smdp_state_name(enum sf_smdp_state st);
/* Name -> state; SF_EINVAL for an unknown name. */
int sf_smdp_state_parse(const char *name, enum sf_smdp_state *st);

/* One profile row as read (no package). */
struct sf_smdp_profile {
	char iccid[SF_SMDP_ICCID_MAX + 1];
	char op[SF_SMDP_NAME_MAX + 1];
	char profile_type[SF_SMDP_NAME_MAX + 1];
	char spn[SF_SMDP_NAME_MAX + 1];  /* StoreMetadata serviceProviderName */
	char name[SF_SMDP_NAME_MAX + 1]; /* StoreMetadata profileName */
	enum sf_smdp_state state;
	char eid[SF_SMDP_EID_LEN + 1];          /* "" when not bound */
	char matching_id[SF_SMDP_NAME_MAX + 1]; /* "" without an order */
	int cc_required;
	uint8_t cc_sha256[32];      /* SHA-256(confirmation code) when cc_required */
	int attempts, max_attempts; /* download attempts of this order */
	int cc_failures;
	int64_t expires; /* order expiry, 0 = none */
	int64_t updated;
};

/* Settings of the lifecycle (zero fields take the defaults). */
struct sf_smdp_policy {
	int max_attempts;    /* download attempts per order (default 5) */
	int max_cc_failures; /* wrong confirmation codes per order (default 3) */
	int64_t order_ttl;   /* seconds from confirmOrder to expiry (default 7 days) */
};

struct sf_smdp_db;

/* Opens (creating it 0600 when missing) the database at path and brings its
 * schema to the latest version.  rng (NULL = system) makes matchingIds.
 * Returns 0, SF_EINVAL, SF_ENOMEM, SF_ESMDP_SCHEMA (not an SM-DP+ database,
 * or newer), SF_ESMDP_DB, SF_ESMDP_BUSY. */
int sf_smdp_db_open(const char *path, const struct sf_smdp_policy *policy, const struct sf_rng *rng,
                    struct sf_smdp_db **out);
/* Closes; NULL accepted. */
void sf_smdp_db_close(struct sf_smdp_db *db);
int sf_smdp_schema_version(const struct sf_smdp_db *db);
int sf_smdp_schema_latest(void);
/* The last SQLite message (no secret in it). */
const char *sf_smdp_last_error(const struct sf_smdp_db *db);

/* Groups several calls into one transaction (one fsync): the lifecycle
 * functions, sf_smdp_euicc_put and sf_smdp_audit called in between commit
 * together at sf_smdp_txn_end, or not at all.  A refusal inside writes
 * nothing of its own (except a failed order, which is meant to stay); a
 * database error inside makes sf_smdp_txn_end roll everything back and
 * return SF_ESMDP_DB.  Not nestable.  Returns 0, SF_EINVAL, SF_ESMDP_BUSY,
 * SF_ESMDP_DB. */
int sf_smdp_txn_begin(struct sf_smdp_db *db);
int sf_smdp_txn_end(struct sf_smdp_db *db);
/* Ends the group without committing anything of it.  Returns 0, SF_EINVAL
 * (no group open), SF_ESMDP_DB (the rollback failed and the transaction
 * is still open). */
int sf_smdp_txn_abort(struct sf_smdp_db *db);

/* Group commit, for a server answering many requests.  After
 * sf_smdp_db_defer_sync a commit no longer waits for the disk (WAL,
 * synchronous=NORMAL: a crash of the process or the machine never corrupts
 * the database, but a power failure may lose the last commits, whole, in
 * order); sf_smdp_db_sync then makes every commit made so far durable with
 * one sync of the WAL through SQLite's VFS, as its synchronous=FULL commit
 * does.  The database must be in WAL mode (else SF_ESMDP_DB).  The caller
 * must answer nothing that depends on a commit before a later
 * sf_smdp_db_sync has returned 0.  Each returns 0, SF_EINVAL or SF_ESMDP_DB
 * (the sync failed: what was committed may not be on disk). */
int sf_smdp_db_defer_sync(struct sf_smdp_db *db);
int sf_smdp_db_sync(struct sf_smdp_db *db);
/* Rows inserted, updated or deleted through this connection since it was
 * opened (sqlite3_total_changes64): tells whether a request wrote. */
int64_t sf_smdp_db_changes(const struct sf_smdp_db *db);

/* Adds a package to op's inventory in state available.  spn/name may be
 * NULL (spn = op, name = profile type or ICCID).  Returns 0,
 * SF_ESMDP_DUPLICATE (ICCID already in the inventory), SF_EINVAL,
 * SF_ESMDP_DB, SF_ESMDP_BUSY. */
int sf_smdp_profile_add(struct sf_smdp_db *db, const char *op, const char *iccid,
                        const char *profile_type, const char *spn, const char *name,
                        const uint8_t *pkg, size_t pkg_len, int64_t now);
/* Reads a row.  op NULL = any operator; otherwise a row of another operator
 * is SF_ESMDP_UNKNOWN (operators see only their own profiles). */
int sf_smdp_profile_get(struct sf_smdp_db *db, const char *op, const char *iccid,
                        struct sf_smdp_profile *p);
/* Reads the row of an order by its matchingId (no change).  Returns 0,
 * SF_ESMDP_UNKNOWN, SF_EINVAL, SF_ESMDP_DB. */
int sf_smdp_profile_by_matching_id(struct sf_smdp_db *db, const char *matching_id,
                                   struct sf_smdp_profile *p);
/* The package (malloc'd; free()).  Returns 0, SF_ESMDP_UNKNOWN, SF_ENOMEM,
 * SF_ESMDP_DB. */
int sf_smdp_profile_package(struct sf_smdp_db *db, const char *iccid, uint8_t **pkg, size_t *len);
/* Calls cb for each row of op (NULL: all), ordered by ICCID.  A non-zero
 * return of cb stops and is returned. */
int sf_smdp_profile_list(struct sf_smdp_db *db, const char *op,
                         int (*cb)(void *user, const struct sf_smdp_profile *p), void *user);

/* ---- ES2+ (operator) ---- */

/* DownloadOrder (§5.3.1): reserves the profile iccid, or any available one of
 * profile_type (one of the two), for op; binds eid when given (linked).
 * Writes the ICCID chosen.  Returns 0, SF_ESMDP_UNKNOWN (no such ICCID of
 * op), SF_ESMDP_STATE (not available), SF_ESMDP_NONE_AVAILABLE (no
 * available profile of that type), SF_EINVAL, SF_ESMDP_DB. */
int sf_smdp_download_order(struct sf_smdp_db *db, const char *op, const char *eid,
                           const char *iccid, const char *profile_type, int64_t now,
                           char iccid_out[SF_SMDP_ICCID_MAX + 1]);

/* ConfirmOrder (§5.3.2) of an allocated or linked profile: eid (optional)
 * must agree with an EID given at DownloadOrder (SF_ESMDP_EID); matching_id
 * (optional, else one is generated) must be unused (SF_ESMDP_MATCHING_ID);
 * cc (optional) is stored as SHA-256(cc) only; release: released instead of
 * confirmed.  The order expires policy.order_ttl seconds from now.  Writes
 * the matchingId.  Returns 0, those, SF_ESMDP_UNKNOWN, SF_ESMDP_STATE,
 * SF_EINVAL, SF_ERNG, SF_ESMDP_DB. */
int sf_smdp_confirm_order(struct sf_smdp_db *db, const char *op, const char *iccid, const char *eid,
                          const char *matching_id, const uint8_t *cc, size_t cc_len, int release,
                          int64_t now, char mid_out[SF_SMDP_NAME_MAX + 1]);

/* CancelOrder (§5.3.3): ends the order of a profile in allocated .. downloaded;
 * eid and matching_id, when given, must be the order's.  The profile becomes
 * available (final_available) or unavailable; EID, matchingId, code and
 * attempts are cleared.  Returns 0, SF_ESMDP_UNKNOWN, SF_ESMDP_STATE,
 * SF_ESMDP_EID, SF_ESMDP_MATCHING_ID, SF_ESMDP_DB. */
int sf_smdp_cancel_order(struct sf_smdp_db *db, const char *op, const char *iccid, const char *eid,
                         const char *matching_id, int final_available, int64_t now);

/* ReleaseProfile (§5.3.4): confirmed -> released.  Returns 0,
 * SF_ESMDP_UNKNOWN, SF_ESMDP_STATE, SF_ESMDP_DB. */
int sf_smdp_release(struct sf_smdp_db *db, const char *op, const char *iccid, int64_t now);

/* ---- ES9+ (device) ---- */

/* One download attempt (ES9+.AuthenticateClient, §5.6.3): the order of
 * matching_id must be released (or downloaded: a retry), not expired, under
 * its attempt limit, and for eid if it is bound to one (otherwise it binds
 * to eid now).  Counts the attempt in the same transaction; an attempt
 * beyond the limit puts the profile in error (SF_ESMDP_ATTEMPTS).  Fills *p.  Returns 0,
 * SF_ESMDP_MATCHING_ID (unknown or not released), SF_ESMDP_EXPIRED,
 * SF_ESMDP_ATTEMPTS, SF_ESMDP_EID, SF_EINVAL, SF_ESMDP_DB. */
int sf_smdp_begin_download(struct sf_smdp_db *db, const char *matching_id, const char *eid,
                           int64_t now, struct sf_smdp_profile *p);

/* A download without a matchingId (SGP.22 §3.1.2, the eUICC's default
 * SM-DP+): the order is the one released for the eUICC's EID.
 *
 * sf_smdp_order_for_eid reads (no change) the order such a download would
 * serve: among the orders bound to eid in state released (or downloaded: a
 * retry, as with a matchingId) and not expired, the one released first;
 * ties go to the smaller ICCID.  Orders without an EID are never chosen.
 * Returns 0 with *p, SF_ESMDP_MATCHING_ID (no such order: *p untouched),
 * SF_ESMDP_EXPIRED (the EID's orders have all expired: *p is the first of
 * them), SF_EINVAL (eid not 32 digits), SF_ESMDP_DB.
 *
 * sf_smdp_begin_download_eid makes the attempt on that order: the choice
 * and sf_smdp_begin_download of its matchingId, in one transaction (the
 * caller's, if one is open), so with the same expiry, attempt and EID rules.
 * Returns 0 with *p, or the codes of both. */
int sf_smdp_order_for_eid(struct sf_smdp_db *db, const char *eid, int64_t now,
                          struct sf_smdp_profile *p);
int sf_smdp_begin_download_eid(struct sf_smdp_db *db, const char *eid, int64_t now,
                               struct sf_smdp_profile *p);

/* A wrong (or missing) confirmation code for iccid: counts it; the failure
 * that reaches policy.max_cc_failures puts the profile in error and
 * returns SF_ESMDP_ATTEMPTS, otherwise SF_ESMDP_CC.  SF_ESMDP_DB. */
int sf_smdp_cc_failed(struct sf_smdp_db *db, const char *iccid, int64_t now);

/* hashCc as the eUICC computes it, from the stored SHA-256(CC):
 * SHA-256( SHA-256(CC) || transactionId ) (SGP.22 §3.1.3.2). */
void sf_smdp_hash_cc(const uint8_t cc_sha256[32], const uint8_t *tid, size_t tid_len,
                     uint8_t out[32]);

/* The BPP of iccid went to eid: released|downloaded -> downloaded.  Returns
 * 0, SF_ESMDP_UNKNOWN, SF_ESMDP_STATE, SF_ESMDP_EID, SF_ESMDP_DB. */
int sf_smdp_mark_downloaded(struct sf_smdp_db *db, const char *iccid, const char *eid, int64_t now);

/* A verified ProfileInstallationResult: downloaded -> installed (success) or
 * error.  Same returns as sf_smdp_mark_downloaded. */
int sf_smdp_mark_installed(struct sf_smdp_db *db, const char *iccid, const char *eid, int success,
                           int64_t now);

/* ES9+.CancelSession for the order of iccid (SGP.22 §5.6.5): terminate
 * (endUserRejection, pprNotAllowed, metadataMismatch) puts the profile in
 * error; otherwise a downloaded profile goes back to released so the order
 * can be retried.  eid must be the order's.  Returns 0, SF_ESMDP_UNKNOWN,
 * SF_ESMDP_STATE (not released/downloaded), SF_ESMDP_EID, SF_ESMDP_DB. */
int sf_smdp_session_cancelled(struct sf_smdp_db *db, const char *iccid, const char *eid,
                              int terminate, int64_t now);

/* PK.EUICC.ECDSA (65 octets) and its curve (enum sf_ec_curve) per EID. */
int sf_smdp_euicc_put(struct sf_smdp_db *db, const char *eid, int curve, const uint8_t pk[65],
                      int64_t now);
/* Returns 0, SF_ESMDP_UNKNOWN, SF_ESMDP_DB. */
int sf_smdp_euicc_get(struct sf_smdp_db *db, const char *eid, int *curve, uint8_t pk[65]);

/* StoreMetadataRequest (BF25) of md, the profileMetadata of
 * ES9+.AuthenticateClient (src/smdp/metadata.c).  Producer contract
 * (SF_EBUFSIZE: *out_len = size needed).  SF_EINVAL for an ICCID that is not
 * 18..20 digits, a name over 64 or an SPN over 32 octets, or not UTF-8. */
int sf_smdp_metadata_encode(const struct sf_bpp_metadata *md, uint8_t *dst, size_t dst_len,
                            size_t *out_len);

/* ---- audit ---- */

/* The outbox of operator notifications (handleDownloadProgressInfo).  put:
 * in the transaction of the change it reports (inside a group, or one of
 * its own), due at next_try (a sender that has it in hand leases it until
 * then); writes its id; 0 or SF_ESMDP_DB.  due: the one due longest at
 * `now` (next_try <= now), its body on the heap (free it); 0,
 * SF_ESMDP_UNKNOWN (none due), SF_ENOMEM, SF_ESMDP_DB.  retry: `tries`
 * more attempts counted, due again at next_try; done: delivered, deleted
 * (also 0 for an id already gone).  0 or SF_ESMDP_DB. */
struct sf_smdp_outbox_row {
	int64_t id;
	char op[SF_SMDP_NAME_MAX + 1];
	char *body;
	int attempts;
};
int sf_smdp_outbox_put(struct sf_smdp_db *db, const char *op, const char *body, int64_t now,
                       int64_t next_try, int64_t *id);
int sf_smdp_outbox_due(struct sf_smdp_db *db, int64_t now, struct sf_smdp_outbox_row *row);
int sf_smdp_outbox_retry(struct sf_smdp_db *db, int64_t id, int tries, int64_t next_try);
int sf_smdp_outbox_done(struct sf_smdp_db *db, int64_t id);

/* Appends to the audit log: actor ("operator:NAME", "device:IP", "admin"),
 * action ("downloadOrder", ...), the profile and EID it concerns (may be
 * NULL), result ("ok" or an error name) and a free detail (never a
 * secret).  Returns 0 or SF_ESMDP_DB. */
int sf_smdp_audit(struct sf_smdp_db *db, const char *actor, const char *action, const char *iccid,
                  const char *eid, const char *result, const char *detail, int64_t now);
/* Calls cb for each audit row in order (id, at, actor, action, iccid, eid,
 * result, detail; absent fields ""). */
int sf_smdp_audit_list(struct sf_smdp_db *db,
                       int (*cb)(void *user, int64_t id, int64_t at, const char *actor,
                                 const char *action, const char *iccid, const char *eid,
                                 const char *result, const char *detail),
                       void *user);

#endif
