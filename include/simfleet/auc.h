/*
 * The operator's AuC: subscribers and their AKA credentials in a SQLite
 * database, vectors issued with a durable SQN.
 *
 *   Vector generation     TS 33.102 §6.3.2 (quintets), §6.8.1.2 (GSM triplets)
 *   SQN management        TS 33.102 Annex C (SEQ_HE, IND), §6.3.5 (resync)
 *   EPS / 5G keys         TS 33.401 A.2 (K_ASME), TS 33.501 A.2, A.4, A.5
 *
 * K and OPc/TOPc are stored sealed with AES-256-GCM under an operator master
 * key that never enters the database; the AAD binds each sealed blob to its
 * row's IMSI and algorithm lengths, so a blob copied to another row does not
 * open.  The database holds a key-check value, so a wrong master key is
 * refused at open time instead of producing wrong vectors.
 *
 * Durability: sf_auc_vectors() commits every SEQ_HE advance (with
 * synchronous=FULL in WAL mode, i.e. an fsync) before it returns any vector,
 * so no SQN is issued twice across crashes.  It takes a batch of requests for
 * any number of IMSIs and advances them all in ONE transaction: group commit,
 * one fsync per batch rather than per request.  A server runs one writer
 * thread that drains its queue of pending requests into one call and answers
 * each request after the call returns (docs/auc.md).
 *
 * An sf_auc handle is not thread-safe: one thread uses it at a time.
 */
#ifndef SIMFLEET_AUC_H
#define SIMFLEET_AUC_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/aka.h"
#include "simfleet/rng.h"

#define SF_AUC_MASTER_KEY_LEN 32
#define SF_AUC_IMSI_MAX 15
#define SF_AUC_ICCID_MAX 20
/* Largest n of one request (TS 29.002 asks for at most 5; we allow more). */
#define SF_AUC_MAX_VECTORS 32

struct sf_auc; /* opaque handle: one open database */

enum sf_auc_status { SF_AUC_ACTIVE = 0, SF_AUC_SUSPENDED = 1 };

/* One subscriber as imported.  params holds K and OPc/TOPc: wipe it with
 * sf_aka_params_wipe() when done.  Only the default Milenage constants are
 * supported. */
struct sf_auc_sub {
	char imsi[SF_AUC_IMSI_MAX + 1];   /* 6..15 digits */
	char iccid[SF_AUC_ICCID_MAX + 1]; /* 18..20 digits with Luhn digit, or "" */
	struct sf_aka_params params;
	uint8_t ind_bits; /* IND length, 0..8 (default SF_SQN_IND_BITS_DEFAULT) */
	uint64_t seq_he;  /* SEQ_HE of the last vector issued (0 for a new card) */
	enum sf_auc_status status;
};

/* Initialises sub with algorithm defaults (status active, IND 5 bits). */
void sf_auc_sub_init(struct sf_auc_sub *sub, enum sf_aka_alg alg);

/* ---- the master key file ------------------------------------------------ */

/* Creates path (O_EXCL, mode 0600) holding a fresh key from rng as 64 hex
 * digits and a newline; the key is also returned in key.  Returns 0,
 * SF_EAUC_KEYFILE (exists or cannot be written), SF_ERNG, SF_EINVAL. */
int sf_auc_key_create(const char *path, const struct sf_rng *rng,
                      uint8_t key[SF_AUC_MASTER_KEY_LEN]);
/* Reads a master key file: 64 hex digits (whitespace around allowed) or 32
 * raw octets; the file must be a regular file without group/other access.
 * Returns 0 or SF_EAUC_KEYFILE (key zeroed). */
int sf_auc_key_load(const char *path, uint8_t key[SF_AUC_MASTER_KEY_LEN]);

/* ---- database ------------------------------------------------------------ */

/* Creates a new AuC database at path (refuses an existing file:
 * SF_EAUC_DB_EXISTS) at the newest schema, with a key-check value for key.
 * rng draws GCM nonces (NULL: the system CSPRNG).  *out is the open handle.
 * Returns 0, SF_EINVAL, SF_EAUC_DB_EXISTS, SF_EAUC_DB, SF_ERNG. */
int sf_auc_create(const char *path, const uint8_t key[SF_AUC_MASTER_KEY_LEN],
                  const struct sf_rng *rng, struct sf_auc **out);
/* Opens an existing database, upgrades its schema through the ordered
 * migrations (in one transaction), and checks the master key.  Returns 0,
 * SF_EINVAL, SF_ENOENT (no such file), SF_EAUC_SCHEMA (not an AuC database or
 * newer than this simfleet), SF_EAUC_MASTER_KEY, SF_EAUC_DB, SF_EAUC_BUSY. */
int sf_auc_open(const char *path, const uint8_t key[SF_AUC_MASTER_KEY_LEN],
                const struct sf_rng *rng, struct sf_auc **out);
/* Closes and wipes the handle.  Accepts NULL. */
void sf_auc_close(struct sf_auc *auc);

/* A one-line description of the last database failure on this handle
 * (which operation, SQLite's message); "" when there was none.  Holds no
 * secret. */
const char *sf_auc_last_error(const struct sf_auc *auc);

/* The schema version of the open database (after upgrades). */
int sf_auc_schema_version(const struct sf_auc *auc);
/* The newest schema version this build knows. */
int sf_auc_schema_latest(void);

/* Validates every subscriber first (IMSI, ICCID, algorithm parameters, IND,
 * duplicates within subs), then inserts all in one transaction: all or
 * nothing.  On failure *bad (if not NULL) is the index of the offending
 * subscriber.  Returns 0, SF_EAUC_INVALID, SF_EAUC_DUPLICATE (IMSI twice in
 * subs or already provisioned), SF_EAUC_DB, SF_EAUC_BUSY, SF_ERNG. */
int sf_auc_import(struct sf_auc *auc, const struct sf_auc_sub *subs, size_t n, size_t *bad);

/* Reads one subscriber, secrets included (wipe sub->params afterwards).
 * Returns 0, SF_EAUC_UNKNOWN, SF_ECRYPTO_AUTH (sealed blob does not open),
 * SF_EAUC_DB. */
int sf_auc_get(struct sf_auc *auc, const char *imsi, struct sf_auc_sub *sub);

/* Calls cb with each subscriber's IMSI, in order, until cb returns non-zero
 * (that value is returned).  cb may call sf_auc_get but must not write.
 * Returns 0, cb's value, SF_EINVAL, SF_EAUC_DB, SF_EAUC_BUSY. */
int sf_auc_each(struct sf_auc *auc, int (*cb)(void *user, const char *imsi), void *user);

/* The number of subscribers. */
int sf_auc_count(struct sf_auc *auc, uint64_t *count);

/* Sets the status.  Returns 0, SF_EAUC_UNKNOWN, SF_EAUC_DB, SF_EAUC_BUSY. */
int sf_auc_set_status(struct sf_auc *auc, const char *imsi, enum sf_auc_status status);
/* The IMSI of the subscriber whose profile has this ICCID (imsi: 16 octets).
 * Returns 0, SF_EAUC_UNKNOWN (none), SF_EAUC_DUPLICATE (two subscribers
 * share the ICCID), SF_EINVAL, SF_EAUC_DB, SF_EAUC_BUSY. */
int sf_auc_imsi_by_iccid(struct sf_auc *auc, const char *iccid, char imsi[SF_AUC_IMSI_MAX + 1]);

/* ---- vectors (group commit) --------------------------------------------- */

enum sf_auc_vtype {
	SF_AUC_V3G = 0, /* quintet RAND, XRES, CK, IK, AUTN */
	SF_AUC_VGSM,    /* triplet RAND, SRES, Kc (no SQN consumed) */
	SF_AUC_VEPS,    /* RAND, XRES, AUTN, K_ASME (needs plmn) */
	SF_AUC_V5G,     /* RAND, AUTN, XRES*, HXRES*, K_AUSF (needs snn) */
};
/* Parses "3g" | "gsm" | "eps" | "5g"; SF_EINVAL otherwise. */
int sf_auc_vtype_parse(const char *name, enum sf_auc_vtype *out);

struct sf_auc_vec {
	struct sf_aka_vector v; /* RAND, AUTN, XRES, CK, IK, SQN (3G, EPS, 5G) */
	uint8_t sres[SF_AKA_SRES_LEN], kc[SF_AKA_KC_LEN]; /* GSM */
	uint8_t kasme[32];                                /* EPS */
	uint8_t xres_star[16], hxres_star[16], kausf[32]; /* 5G */
};

/* One request of a batch.  The caller owns out (n entries) and wipes it. */
struct sf_auc_req {
	const char *imsi;
	size_t n; /* 1..SF_AUC_MAX_VECTORS */
	enum sf_auc_vtype type;
	unsigned ind;    /* IND slot of the requesting node, < 2^ind_bits */
	uint8_t plmn[3]; /* EPS: serving PLMN (sf_kdf_plmn_id) */
	const char *snn; /* 5G: serving network name */
	struct sf_auc_vec *out;
	int result; /* set by sf_auc_vectors: 0 or an SF_E* code */
};

/* Generates the vectors of every request in reqs and commits all SEQ_HE
 * advances in one durable transaction before returning.  A request that
 * fails alone (unknown IMSI SF_EAUC_UNKNOWN, suspended SF_EAUC_SUSPENDED,
 * SF_EAKA_SQN, SF_EINVAL, SF_ECRYPTO_AUTH) gets its own result and consumes
 * nothing; the others proceed.  Several requests may name the same IMSI:
 * they receive distinct SQNs.  Returns 0 (look at each result), or a
 * batch-wide failure SF_EAUC_DB / SF_EAUC_BUSY / SF_ERNG / SF_EINVAL, in which
 * case nothing was committed, every result is that code and every out is
 * wiped. */
int sf_auc_vectors(struct sf_auc *auc, struct sf_auc_req *reqs, size_t n);

/* Resynchronisation (TS 33.102 §6.3.5) from the RAND of the failed challenge
 * and the USIM's AUTS: verifies MAC-S, moves SEQ_HE as sf_aka_auc_resync and
 * commits it.  *sqn_ms (may be NULL) is the USIM's SQN_MS.  Returns 0,
 * SF_EAUC_UNKNOWN, SF_EAUC_SUSPENDED, SF_EAKA_MACS (nothing changed),
 * SF_EAUC_DB, SF_EAUC_BUSY. */
int sf_auc_resync(struct sf_auc *auc, const char *imsi, const uint8_t rand[16],
                  const uint8_t auts[14], uint64_t *sqn_ms);

/* Re-seals every subscriber's secrets and the key-check value under
 * new_key, in one transaction; on success the handle uses new_key.  Returns
 * 0, SF_ECRYPTO_AUTH (a row does not open under the current key: nothing
 * changed), SF_EAUC_DB, SF_EAUC_BUSY, SF_ERNG. */
int sf_auc_rekey(struct sf_auc *auc, const uint8_t new_key[SF_AUC_MASTER_KEY_LEN]);

#endif
