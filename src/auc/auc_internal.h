/* Internal to the AuC (src/auc): the handle, the statement table and the
 * sealing of secrets.  Not installed. */
#ifndef SF_AUC_INTERNAL_H
#define SF_AUC_INTERNAL_H

#include <sqlite3.h>

#include "simfleet/auc.h"
#include "simfleet/crypto.h"

/* Every SQL statement the AuC runs, by index into sf__auc_sql (store.c). */
enum sf__auc_stmt {
	SF__AUC_BEGIN,
	SF__AUC_COMMIT,
	SF__AUC_ROLLBACK,
	SF__AUC_META_GET,
	SF__AUC_META_PUT,
	SF__AUC_SUB_GET,
	SF__AUC_SUB_INSERT,
	SF__AUC_SUB_SET_SEQ,
	SF__AUC_SUB_SET_STATUS,
	SF__AUC_SUB_IMSI_BY_ICCID,
	SF__AUC_SUB_ALL_IMSI,
	SF__AUC_SUB_SET_SEALED,
	SF__AUC_SUB_ALL_SEALED,
	SF__AUC_SUB_COUNT,
	SF__AUC_STMT_COUNT
};

struct sf_auc {
	sqlite3 *db;
	sqlite3_stmt *st[SF__AUC_STMT_COUNT];
	uint8_t key[SF_AUC_MASTER_KEY_LEN];
	const struct sf_rng *rng;
	int version;
	char errmsg[256];
};

/* Sealed secrets: nonce (12) || ciphertext of K || OPc || tag (16). */
#define SF__AUC_SEALED_MAX (SF_GCM_NONCE_LEN + 64 + SF_GCM_TAG_LEN)

/* Seals p's K and OPc for the row imsi (the AAD binds IMSI, algorithm and
 * lengths).  Returns 0, SF_ERNG, SF_EINVAL, SF_EINTERNAL. */
int sf__auc_seal(const uint8_t key[32], const struct sf_rng *rng, const char *imsi,
                 const struct sf_aka_params *p, uint8_t *blob, size_t *blob_len);
/* Opens a sealed blob into p->k / p->opc (alg and lengths already set).
 * Returns 0, SF_ECRYPTO_AUTH, SF_EINVAL. */
int sf__auc_unseal(const uint8_t key[32], const char *imsi, struct sf_aka_params *p,
                   const uint8_t *blob, size_t blob_len);

/* Creates a database at schema `version` (1..latest), the way an older
 * simfleet did, and closes it: for the migration test. */
int sf__auc_create_version(const char *path, const uint8_t key[32], const struct sf_rng *rng,
                           int version);

/* Runs statement i once to completion (no result rows).  0 or SF_EAUC_DB /
 * SF_EAUC_BUSY, with auc->errmsg set. */
int sf__auc_exec(struct sf_auc *auc, enum sf__auc_stmt i);
/* Writes a fresh key-check value for key into meta. */
int sf__auc_kcv_put(struct sf_auc *auc, const uint8_t key[32]);
/* Records a SQLite failure of `what` in auc->errmsg; returns SF_EAUC_DB or
 * SF_EAUC_BUSY. */
int sf__auc_dberr(struct sf_auc *auc, const char *what);

#endif
