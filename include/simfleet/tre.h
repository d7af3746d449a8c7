/*
 * The trusted environment (TRE, 3GPP TR 33.812 §5.1.3.5): a device key that
 * never leaves it, sealing of data at rest under that key, and — built on it —
 * the vault: a crash-safe, transactional store of named records in a state
 * directory.
 *
 * Backends: the software backend (this file) keeps a 256-bit key in a 0600
 * file.  It is NOT tamper resistant: anyone who can read the file as the
 * device's user can unseal everything; it exists for development, tests and
 * simulation.  A TPM 2.0 backend (tpm2-tss) plugs in behind the same
 * struct sf_tre.
 */
#ifndef SIMFLEET_TRE_H
#define SIMFLEET_TRE_H

#include <stddef.h>
#include <stdint.h>

/* Sealed blob: version (1) || nonce (12) || ciphertext || tag (16). */
#define SF_TRE_SEAL_OVERHEAD (1 + 12 + 16)

struct sf_tre_ops {
	const char *name;     /* "software", "tpm2" */
	int tamper_resistant; /* 0 for the software backend */
	/* Seals pt under the device key, binding aad.  out_cap >= pt_len +
	 * SF_TRE_SEAL_OVERHEAD.  Returns 0 or SF_E*. */
	int (*seal)(void *impl, const uint8_t *aad, size_t aad_len, const uint8_t *pt,
		    size_t pt_len, uint8_t *out, size_t out_cap, size_t *out_len);
	/* Opens a sealed blob; SF_ECRYPTO_AUTH when it does not verify. */
	int (*unseal)(void *impl, const uint8_t *aad, size_t aad_len, const uint8_t *in,
		      size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);
	void (*close)(void *impl);
};

struct sf_tre {
	const struct sf_tre_ops *ops;
	void *impl;
};

#define SF_TRE_CREATE 1u /* create the key file if it does not exist */

/* 1 when fd is a regular file of mode 0600 (no group or other bits) owned by
 * this user: the rule for every file that holds a key or token (device key,
 * AuC master key, API tokens); 0 otherwise, also when fstat fails. */
int sf_file_is_private(int fd);

/* Opens (or with SF_TRE_CREATE creates, mode 0600, from the system CSPRNG)
 * the software backend's key file.  Refuses a key file that group or others
 * can access, or of the wrong size: SF_ESTORE_KEY.  Logs a warning that the
 * backend is not tamper resistant. */
int sf_tre_soft_open(struct sf_tre *tre, const char *key_path, unsigned flags);

/* Releases the backend and wipes its key.  Accepts NULL and a closed tre. */
void sf_tre_close(struct sf_tre *tre);

int sf_tre_seal(const struct sf_tre *tre, const uint8_t *aad, size_t aad_len, const uint8_t *pt,
		size_t pt_len, uint8_t *out, size_t out_cap, size_t *out_len);
int sf_tre_unseal(const struct sf_tre *tre, const uint8_t *aad, size_t aad_len,
		  const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
		  size_t *out_len);

/* ---- the vault -------------------------------------------------------------
 *
 * A state directory of named records (names: 1-64 characters of
 * [A-Za-z0-9._-]).  Changes happen in transactions: every record a
 * transaction writes reaches the disk (written, fsync'ed) under a new file
 * name first; then one rename of a new manifest makes the whole transaction
 * visible.  A crash at any point leaves either the old or the new state; files
 * of an unfinished transaction are removed at the next open.  The manifest is
 * sealed by the TRE and carries the SHA-256 of every record, so a record
 * changed, swapped or removed outside simfleet is detected
 * (SF_ESTORE_CORRUPT).  Records written with `sealed` are also encrypted.
 *
 * One process owns a state directory at a time (an exclusive lock);
 * a second sf_vault_open gets SF_ESTORE_LOCKED.
 *
 * Not protected by the software backend: rolling the whole directory back to
 * an older copy (that needs a monotonic counter in the TRE, e.g. TPM NV).
 */

#define SF_VAULT_FORMAT 1
#define SF_VAULT_NAME_MAX 64
#define SF_VAULT_CREATE 1u

struct sf_vault;

/* Opens dir (with SF_VAULT_CREATE: creates it and its format file) using tre
 * for sealing; tre must outlive the vault.  Upgrades an older format in
 * place.  Returns 0, SF_ESTORE_LOCKED, SF_ESTORE_FORMAT, SF_ESTORE_CORRUPT,
 * SF_ECRYPTO_AUTH (sealed under another key), SF_EIO, SF_ENOMEM. */
int sf_vault_open(struct sf_vault **v, const char *dir, const struct sf_tre *tre, unsigned flags);
/* Releases the lock and memory.  Accepts NULL.  An open transaction is aborted. */
void sf_vault_close(struct sf_vault *v);

/* Length of a record; SF_ENOENT when absent. */
int sf_vault_size(struct sf_vault *v, const char *name, size_t *len);
/* Reads a record (unsealing if needed) after checking its hash.  Returns 0,
 * SF_ENOENT, SF_EBUFSIZE (*len = needed), SF_ESTORE_CORRUPT, SF_EIO. */
int sf_vault_get(struct sf_vault *v, const char *name, uint8_t *dst, size_t cap, size_t *len);
/* Calls fn for each record whose name starts with prefix, in name order;
 * stops early when fn returns non-zero and returns that value. */
int sf_vault_each(struct sf_vault *v, const char *prefix,
		  int (*fn)(void *user, const char *name, size_t len), void *user);
/* Transactions: one at a time.  put/del stage changes (put writes the record
 * file at once, so a large transaction does not hold its data in memory);
 * commit publishes them atomically; abort (or close) drops them. */
int sf_vault_begin(struct sf_vault *v);
int sf_vault_put(struct sf_vault *v, const char *name, const uint8_t *data, size_t len, int sealed);
int sf_vault_del(struct sf_vault *v, const char *name);
/* Commit returns 0, or SF_ESTORE_NOTDURABLE when the new state is published
 * (and is the state from now on) but the final directory sync failed, so it
 * may not survive a power cut; any other error leaves the old state. */
int sf_vault_commit(struct sf_vault *v);
void sf_vault_abort(struct sf_vault *v);
/* One-record transaction. */
int sf_vault_put1(struct sf_vault *v, const char *name, const uint8_t *data, size_t len,
		  int sealed);

/* Fault injection for crash-consistency tests: the process _exit()s with
 * status SF_VAULT_FAULT_EXIT at the n-th write point (write, fsync, rename,
 * unlink) counted from this call; 0 disables.  The environment variable
 * SIMFLEET_FAULT_AT=n does the same for whole programs. */
#define SF_VAULT_FAULT_EXIT 86
void sf_vault_fault_at(long n);

#endif
