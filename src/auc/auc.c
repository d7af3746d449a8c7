/*
 * The AuC: subscribers, vectors with a durable SQN, resynchronisation,
 * suspension and master-key rotation.
 *
 *   TS 33.102 §6.3.2   authentication vectors (quintets), AMF separation bit
 *   TS 33.102 Annex C  SQN = SEQ || IND; SEQ_HE per subscriber
 *   TS 33.102 §6.3.5   resynchronisation from AUTS
 *   TS 33.102 §6.8.1.2 GSM triplets through c2/c3
 *   TS 33.401 A.2      K_ASME;  TS 33.501 A.2, A.4, A.5  K_AUSF, XRES*, HXRES*
 *
 * Group commit.  sf_auc_vectors() takes a batch of requests, computes every
 * vector and writes every new SEQ_HE inside one BEGIN IMMEDIATE ... COMMIT;
 * only when COMMIT has returned (the WAL fsync'ed, store.c) are the vectors
 * valid.  If the process dies before COMMIT, nothing was handed out and the
 * old SEQ_HE is still right; if it dies after, SEQ_HE already covers every
 * SQN handed out.  So no SQN is ever issued twice, and the cost of the fsync
 * is shared by the whole batch.
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
#include "simfleet/kdf.h"
#include "simfleet/saip.h"
#include "simfleet/tre.h"
#include "simfleet/util.h"

/* AMF with the separation bit set (TS 33.401 §6.1.1: E-UTRAN and 5G require
 * it; UTRAN ignores it). */
static const uint8_t AMF[2] = {0x80, 0x00};

void sf_auc_sub_init(struct sf_auc_sub *sub, enum sf_aka_alg alg)
{
	memset(sub, 0, sizeof(*sub));
	sf_aka_params_init(&sub->params, alg);
	sub->ind_bits = SF_SQN_IND_BITS_DEFAULT;
	sub->status = SF_AUC_ACTIVE;
}

/* ---- the master key file ------------------------------------------------ */

int sf_auc_key_create(const char *path, const struct sf_rng *rng, uint8_t key[32])
{
	char hex[65];
	if (!path || !key)
		return SF_EINVAL;
	int rc = sf_rng_fill(rng ? rng : sf_rng_system(), key, 32);
	if (rc)
		return rc;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		sf_wipe(key, 32);
		return SF_EAUC_KEYFILE;
	}
	sf_hex_encode(hex, sizeof(hex), key, 32);
	hex[64] = '\n';
	ssize_t w = write(fd, hex, 65);
	sf_wipe(hex, sizeof(hex));
	if (w != 65 || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		sf_wipe(key, 32);
		return SF_EAUC_KEYFILE;
	}
	close(fd);
	return 0;
}

int sf_auc_key_load(const char *path, uint8_t key[32])
{
	uint8_t buf[130];
	int rc = SF_EAUC_KEYFILE;
	if (!path || !key)
		return SF_EINVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return SF_EAUC_KEYFILE;
	ssize_t n = 0;
	if (!sf_file_is_private(fd))
		goto out;
	n = read(fd, buf, sizeof(buf));
	if (n == 32) {
		memcpy(key, buf, 32);
		rc = 0;
		goto out;
	}
	if (n <= 0 || n >= (ssize_t)sizeof(buf))
		goto out;
	size_t b = 0, e = (size_t)n;
	while (b < e && (buf[b] == ' ' || buf[b] == '\n' || buf[b] == '\r' || buf[b] == '\t'))
		b++;
	while (e > b && (buf[e - 1] == ' ' || buf[e - 1] == '\n' || buf[e - 1] == '\r' ||
	                 buf[e - 1] == '\t'))
		e--;
	size_t got = 0;
	if (e - b == 64 && sf_hex_decode(key, 32, &got, (const char *)buf + b, 64) == 0 &&
	    got == 32)
		rc = 0;
out:
	sf_wipe(buf, sizeof(buf));
	if (rc)
		sf_wipe(key, 32);
	close(fd);
	return rc;
}

/* ---- sealing ------------------------------------------------------------ */

/* AAD = "sf-auc1" || IMSI || 00 || alg || k_len || opc_len: a blob opens
 * only in its own row and for the lengths it was made with. */
static size_t make_aad(uint8_t aad[32], const char *imsi, const struct sf_aka_params *p)
{
	size_t il = strlen(imsi);
	memcpy(aad, "sf-auc1", 7);
	memcpy(aad + 7, imsi, il);
	aad[7 + il] = 0;
	aad[8 + il] = (uint8_t)p->alg;
	aad[9 + il] = p->k_len;
	aad[10 + il] = p->opc_len;
	return 11 + il;
}

int sf__auc_seal(const uint8_t key[32], const struct sf_rng *rng, const char *imsi,
                 const struct sf_aka_params *p, uint8_t *blob, size_t *blob_len)
{
	uint8_t pt[64], aad[32];
	size_t n = (size_t)p->k_len + p->opc_len;
	if (strlen(imsi) > SF_AUC_IMSI_MAX || n > sizeof(pt))
		return SF_EINVAL;
	int rc = sf_rng_fill(rng, blob, SF_GCM_NONCE_LEN);
	if (rc)
		return rc;
	memcpy(pt, p->k, p->k_len);
	memcpy(pt + p->k_len, p->opc, p->opc_len);
	size_t al = make_aad(aad, imsi, p);
	rc = sf_aes256gcm_seal(key, blob, aad, al, pt, n, blob + SF_GCM_NONCE_LEN,
	                       blob + SF_GCM_NONCE_LEN + n);
	sf_wipe(pt, sizeof(pt));
	*blob_len = SF_GCM_NONCE_LEN + n + SF_GCM_TAG_LEN;
	return rc;
}

int sf__auc_unseal(const uint8_t key[32], const char *imsi, struct sf_aka_params *p,
                   const uint8_t *blob, size_t blob_len)
{
	uint8_t pt[64], aad[32];
	size_t n = (size_t)p->k_len + p->opc_len;
	if (strlen(imsi) > SF_AUC_IMSI_MAX || n > sizeof(pt) || p->k_len > sizeof(p->k) ||
	    p->opc_len > sizeof(p->opc) || blob_len != SF_GCM_NONCE_LEN + n + SF_GCM_TAG_LEN)
		return SF_ECRYPTO_AUTH;
	size_t al = make_aad(aad, imsi, p);
	int rc = sf_aes256gcm_open(key, blob, aad, al, blob + SF_GCM_NONCE_LEN, n,
	                           blob + SF_GCM_NONCE_LEN + n, pt);
	if (rc == 0) {
		memcpy(p->k, pt, p->k_len);
		memcpy(p->opc, pt + p->k_len, p->opc_len);
	}
	sf_wipe(pt, sizeof(pt));
	return rc;
}

/* ---- validation ---------------------------------------------------------- */

static int digits(const char *s, size_t min, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int sub_check(const struct sf_auc_sub *s)
{
	if (!digits(s->imsi, 6, SF_AUC_IMSI_MAX))
		return SF_EAUC_INVALID;
	if (s->iccid[0] && (strnlen(s->iccid, sizeof(s->iccid)) > SF_AUC_ICCID_MAX ||
	                    sf_iccid_check(s->iccid) != 0))
		return SF_EAUC_INVALID;
	if (sf_aka_params_check(&s->params) != 0)
		return SF_EAUC_INVALID;
	if (s->params.alg == SF_AKA_ALG_MILENAGE) {
		struct sf_milenage_consts d;
		sf_milenage_consts_default(&d);
		if (memcmp(&d, &s->params.consts, sizeof(d)) != 0)
			return SF_EAUC_INVALID; /* only the default constants are stored */
	}
	if (s->ind_bits > SF_SQN_IND_BITS_MAX || s->seq_he > (SF_AKA_SQN_MAX >> s->ind_bits))
		return SF_EAUC_INVALID;
	if (s->status != SF_AUC_ACTIVE && s->status != SF_AUC_SUSPENDED)
		return SF_EAUC_INVALID;
	return 0;
}

/* ---- reading a row -------------------------------------------------------- */

/* Reads imsi's row into sub (secrets unsealed).  Returns 0,
 * SF_EAUC_UNKNOWN, SF_ECRYPTO_AUTH, SF_EAUC_DB. */
static int row_get(struct sf_auc *auc, const char *imsi, struct sf_auc_sub *sub)
{
	sqlite3_stmt *s = auc->st[SF__AUC_SUB_GET];
	int rc;
	if (!digits(imsi, 6, SF_AUC_IMSI_MAX))
		return SF_EAUC_UNKNOWN;
	sqlite3_bind_text(s, 1, imsi, -1, SQLITE_STATIC);
	int r = sqlite3_step(s);
	if (r == SQLITE_DONE) {
		rc = SF_EAUC_UNKNOWN;
		goto out;
	}
	if (r != SQLITE_ROW) {
		rc = sf__auc_dberr(auc, "reading a subscriber");
		goto out;
	}
	int alg = sqlite3_column_int(s, 1);
	if (alg < SF_AKA_ALG_MILENAGE || alg > SF_AKA_ALG_XOR) {
		rc = SF_EAUC_SCHEMA;
		goto out;
	}
	sf_auc_sub_init(sub, (enum sf_aka_alg)alg);
	snprintf(sub->imsi, sizeof(sub->imsi), "%s", imsi);
	const unsigned char *iccid = sqlite3_column_text(s, 0);
	snprintf(sub->iccid, sizeof(sub->iccid), "%s", iccid ? (const char *)iccid : "");
	struct sf_aka_params *p = &sub->params;
	p->k_len = (uint8_t)sqlite3_column_int(s, 2);
	p->opc_len = (uint8_t)sqlite3_column_int(s, 3);
	p->mac_len = (uint8_t)sqlite3_column_int(s, 4);
	p->res_len = (uint8_t)sqlite3_column_int(s, 5);
	p->ck_len = (uint8_t)sqlite3_column_int(s, 6);
	p->ik_len = (uint8_t)sqlite3_column_int(s, 7);
	p->keccak_iterations = (uint16_t)sqlite3_column_int(s, 8);
	rc = sf__auc_unseal(auc->key, imsi, p, sqlite3_column_blob(s, 9),
	                    (size_t)sqlite3_column_bytes(s, 9));
	sub->seq_he = (uint64_t)sqlite3_column_int64(s, 10);
	sub->ind_bits = (uint8_t)sqlite3_column_int(s, 11);
	const unsigned char *st = sqlite3_column_text(s, 12);
	sub->status =
	    st && strcmp((const char *)st, "suspended") == 0 ? SF_AUC_SUSPENDED : SF_AUC_ACTIVE;
	if (rc)
		sf_aka_params_wipe(p);
out:
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

int sf_auc_get(struct sf_auc *auc, const char *imsi, struct sf_auc_sub *sub)
{
	if (!auc || !imsi || !sub)
		return SF_EINVAL;
	return row_get(auc, imsi, sub);
}

int sf_auc_count(struct sf_auc *auc, uint64_t *count)
{
	if (!auc || !count)
		return SF_EINVAL;
	sqlite3_stmt *s = auc->st[SF__AUC_SUB_COUNT];
	int rc = 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		*count = (uint64_t)sqlite3_column_int64(s, 0);
	else
		rc = sf__auc_dberr(auc, "counting subscribers");
	sqlite3_reset(s);
	return rc;
}

static void rollback(struct sf_auc *auc)
{
	sf__auc_exec(auc, SF__AUC_ROLLBACK);
}

static int commit(struct sf_auc *auc)
{
	int rc = sf__auc_exec(auc, SF__AUC_COMMIT);
	if (rc)
		rollback(auc);
	return rc;
}

/* ---- import ---------------------------------------------------------------- */

static int cmp_imsi(const void *a, const void *b)
{
	const struct sf_auc_sub *const *x = a, *const *y = b;
	return strcmp((*x)->imsi, (*y)->imsi);
}

int sf_auc_import(struct sf_auc *auc, const struct sf_auc_sub *subs, size_t n, size_t *bad)
{
	const struct sf_auc_sub **sorted = NULL;
	uint8_t blob[SF__AUC_SEALED_MAX];
	size_t blob_len = 0;
	int rc = SF_EINVAL;
	if (!auc || (!subs && n))
		return SF_EINVAL;
	/* Everything is checked before the database is touched. */
	for (size_t i = 0; i < n; i++) {
		rc = sub_check(&subs[i]);
		if (rc) {
			if (bad)
				*bad = i;
			return rc;
		}
	}
	sorted = malloc((n ? n : 1) * sizeof(*sorted));
	if (!sorted)
		return SF_ENOMEM;
	for (size_t i = 0; i < n; i++)
		sorted[i] = &subs[i];
	qsort(sorted, n, sizeof(*sorted), cmp_imsi);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(sorted[i - 1]->imsi, sorted[i]->imsi) == 0) {
			const struct sf_auc_sub *later =
			    sorted[i] > sorted[i - 1] ? sorted[i] : sorted[i - 1];
			if (bad)
				*bad = (size_t)(later - subs);
			free(sorted);
			return SF_EAUC_DUPLICATE;
		}
	}
	free(sorted);

	rc = sf__auc_exec(auc, SF__AUC_BEGIN);
	if (rc)
		return rc;
	sqlite3_stmt *s = auc->st[SF__AUC_SUB_INSERT];
	for (size_t i = 0; i < n; i++) {
		const struct sf_auc_sub *u = &subs[i];
		const struct sf_aka_params *p = &u->params;
		rc = sf__auc_seal(auc->key, auc->rng, u->imsi, p, blob, &blob_len);
		if (rc)
			goto fail;
		sqlite3_bind_text(s, 1, u->imsi, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, u->iccid, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, (int)p->alg);
		sqlite3_bind_int(s, 4, p->k_len);
		sqlite3_bind_int(s, 5, p->opc_len);
		sqlite3_bind_int(s, 6, p->mac_len);
		sqlite3_bind_int(s, 7, p->res_len);
		sqlite3_bind_int(s, 8, p->ck_len);
		sqlite3_bind_int(s, 9, p->ik_len);
		sqlite3_bind_int(s, 10, p->keccak_iterations);
		sqlite3_bind_blob(s, 11, blob, (int)blob_len, SQLITE_STATIC);
		sqlite3_bind_int64(s, 12, (sqlite3_int64)u->seq_he);
		sqlite3_bind_int(s, 13, u->ind_bits);
		sqlite3_bind_text(s, 14, u->status == SF_AUC_SUSPENDED ? "suspended" : "active", -1,
		                  SQLITE_STATIC);
		int r = sqlite3_step(s);
		if (r != SQLITE_DONE) {
			rc = (sqlite3_extended_errcode(auc->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
			         ? SF_EAUC_DUPLICATE
			         : sf__auc_dberr(auc, "inserting a subscriber");
			if (bad)
				*bad = i;
		}
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		if (rc)
			goto fail;
	}
	sf_wipe(blob, sizeof(blob));
	return commit(auc);
fail:
	sf_wipe(blob, sizeof(blob));
	rollback(auc);
	return rc;
}

int sf_auc_set_status(struct sf_auc *auc, const char *imsi, enum sf_auc_status status)
{
	if (!auc || !imsi || (status != SF_AUC_ACTIVE && status != SF_AUC_SUSPENDED))
		return SF_EINVAL;
	sqlite3_stmt *s = auc->st[SF__AUC_SUB_SET_STATUS];
	sqlite3_bind_text(s, 1, imsi, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, status == SF_AUC_SUSPENDED ? "suspended" : "active", -1,
	                  SQLITE_STATIC);
	int rc = sf__auc_exec(auc, SF__AUC_SUB_SET_STATUS);
	sqlite3_clear_bindings(s);
	if (!rc && sqlite3_changes(auc->db) == 0)
		rc = SF_EAUC_UNKNOWN;
	return rc;
}

int sf_auc_each(struct sf_auc *auc, int (*cb)(void *user, const char *imsi), void *user)
{
	if (!auc || !cb)
		return SF_EINVAL;
	sqlite3_stmt *s = auc->st[SF__AUC_SUB_ALL_IMSI];
	int r, rc = 0;
	while (rc == 0 && (r = sqlite3_step(s)) == SQLITE_ROW) {
		char imsi[SF_AUC_IMSI_MAX + 1];
		const unsigned char *t = sqlite3_column_text(s, 0);
		int n = sqlite3_column_bytes(s, 0);
		if (!t || n <= 0 || n > SF_AUC_IMSI_MAX) {
			rc = SF_EAUC_INVALID;
			break;
		}
		memcpy(imsi, t, (size_t)n);
		imsi[n] = '\0';
		rc = cb(user, imsi);
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = sf__auc_dberr(auc, "SELECT imsi FROM subscriber");
	sqlite3_reset(s);
	return rc;
}

int sf_auc_imsi_by_iccid(struct sf_auc *auc, const char *iccid, char imsi[SF_AUC_IMSI_MAX + 1])
{
	if (!auc || !iccid || !imsi || !iccid[0])
		return SF_EINVAL;
	sqlite3_stmt *s = auc->st[SF__AUC_SUB_IMSI_BY_ICCID];
	sqlite3_bind_text(s, 1, iccid, -1, SQLITE_STATIC);
	int r = sqlite3_step(s), rc = SF_EAUC_UNKNOWN;
	if (r == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 0);
		int n = sqlite3_column_bytes(s, 0);
		rc = (t && n > 0 && n <= SF_AUC_IMSI_MAX) ? 0 : SF_EAUC_INVALID;
		if (rc == 0) {
			memcpy(imsi, t, (size_t)n);
			imsi[n] = '\0';
			/* An ICCID names one subscription: two rows are an error,
			 * never an arbitrary pick. */
			if (sqlite3_step(s) == SQLITE_ROW)
				rc = SF_EAUC_DUPLICATE;
		}
	} else if (r != SQLITE_DONE) {
		rc = sf__auc_dberr(auc, "SELECT imsi FROM subscriber WHERE iccid = ?1");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

/* ---- vectors ---------------------------------------------------------------- */

int sf_auc_vtype_parse(const char *name, enum sf_auc_vtype *out)
{
	static const char *const names[] = {"3g", "gsm", "eps", "5g"};
	if (!name || !out)
		return SF_EINVAL;
	for (int i = 0; i < 4; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum sf_auc_vtype)i;
			return 0;
		}
	}
	return SF_EINVAL;
}

static int set_seq(struct sf_auc *auc, const char *imsi, uint64_t seq)
{
	sqlite3_stmt *s = auc->st[SF__AUC_SUB_SET_SEQ];
	sqlite3_bind_text(s, 1, imsi, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
	int rc = sf__auc_exec(auc, SF__AUC_SUB_SET_SEQ);
	sqlite3_clear_bindings(s);
	return rc;
}

/* Derives the EPS / 5G keys of one vector. */
static int derive(const struct sf_auc_req *q, struct sf_auc_vec *o)
{
	const struct sf_aka_vector *v = &o->v;
	if (q->type == SF_AUC_VEPS)
		return sf_kdf_kasme(v->ck, v->ck_len, v->ik, v->ik_len, q->plmn, v->autn, o->kasme);
	if (q->type != SF_AUC_V5G)
		return 0;
	size_t sl = strlen(q->snn);
	int rc = sf_kdf_res_star(v->ck, v->ck_len, v->ik, v->ik_len, (const uint8_t *)q->snn, sl,
	                         v->rand, v->xres, v->xres_len, o->xres_star);
	if (rc)
		return rc;
	sf_kdf_hxres_star(v->rand, o->xres_star, o->hxres_star);
	return sf_kdf_kausf(v->ck, v->ck_len, v->ik, v->ik_len, (const uint8_t *)q->snn, sl,
	                    v->autn, o->kausf);
}

/* One request inside the batch transaction.  Per-request failures return
 * their code with nothing written; *dbfail is set when the database failed
 * (the whole batch must be abandoned). */
static int one_request(struct sf_auc *auc, struct sf_auc_req *q, int *dbfail)
{
	struct sf_auc_sub sub;
	struct sf_aka_ctx ctx;
	struct sf_aka_vector v[SF_AUC_MAX_VECTORS];
	struct sf_sqn_he he;
	int rc;
	memset(&ctx, 0, sizeof(ctx));
	if (!q->imsi || !q->out || q->n < 1 || q->n > SF_AUC_MAX_VECTORS || q->type > SF_AUC_V5G ||
	    (q->type == SF_AUC_V5G && (!q->snn || !q->snn[0] || strlen(q->snn) > SF_SNN_MAX_LEN)))
		return SF_EINVAL;
	rc = row_get(auc, q->imsi, &sub);
	if (rc) {
		*dbfail = rc == SF_EAUC_DB || rc == SF_EAUC_BUSY;
		return rc;
	}
	if (sub.status == SF_AUC_SUSPENDED) {
		rc = SF_EAUC_SUSPENDED;
		goto out;
	}
	rc = sf_aka_init(&ctx, &sub.params);
	if (rc)
		goto out;
	memset(q->out, 0, q->n * sizeof(*q->out));
	if (q->type == SF_AUC_VGSM) {
		/* Triplets carry no SQN: nothing to advance. */
		for (size_t i = 0; i < q->n && !rc; i++) {
			rc = sf_rng_fill(auc->rng, q->out[i].v.rand, SF_AKA_RAND_LEN);
			if (!rc)
				rc = sf_aka_gsm(&ctx, q->out[i].v.rand, q->out[i].sres,
				                q->out[i].kc);
		}
		goto out;
	}
	rc = sf_sqn_he_init(&he, sub.ind_bits, sub.seq_he);
	if (rc)
		goto out;
	rc = sf_aka_auc_generate(&ctx, &he, q->ind, AMF, auc->rng, v, q->n);
	if (rc)
		goto out;
	for (size_t i = 0; i < q->n && !rc; i++) {
		q->out[i].v = v[i];
		rc = derive(q, &q->out[i]);
	}
	if (rc)
		goto out;
	/* The new SEQ_HE joins the batch's transaction; it is durable before
	 * any vector leaves sf_auc_vectors(). */
	rc = set_seq(auc, q->imsi, he.seq);
	if (rc)
		*dbfail = 1;
out:
	if (rc && q->out)
		sf_wipe(q->out, q->n * sizeof(*q->out));
	sf_wipe(v, sizeof(v));
	sf_aka_free(&ctx);
	sf_aka_params_wipe(&sub.params);
	return rc;
}

int sf_auc_vectors(struct sf_auc *auc, struct sf_auc_req *reqs, size_t n)
{
	if (!auc || (!reqs && n))
		return SF_EINVAL;
	int rc = sf__auc_exec(auc, SF__AUC_BEGIN);
	if (rc)
		goto fail_all;
	for (size_t i = 0; i < n; i++) {
		int dbfail = 0;
		reqs[i].result = one_request(auc, &reqs[i], &dbfail);
		if (dbfail) {
			rc = reqs[i].result;
			rollback(auc);
			goto fail_all;
		}
	}
	rc = commit(auc);
	if (rc)
		goto fail_all;
	return 0;
fail_all:
	for (size_t i = 0; i < n; i++) {
		if (reqs[i].out && reqs[i].n <= SF_AUC_MAX_VECTORS)
			sf_wipe(reqs[i].out, reqs[i].n * sizeof(*reqs[i].out));
		reqs[i].result = rc;
	}
	return rc;
}

/* ---- resync ------------------------------------------------------------------ */

int sf_auc_resync(struct sf_auc *auc, const char *imsi, const uint8_t rand[16],
                  const uint8_t auts[14], uint64_t *sqn_ms)
{
	struct sf_auc_sub sub;
	struct sf_aka_ctx ctx;
	struct sf_sqn_he he;
	uint64_t ms = 0;
	if (!auc || !imsi || !rand || !auts)
		return SF_EINVAL;
	memset(&ctx, 0, sizeof(ctx));
	memset(&sub, 0, sizeof(sub));
	int rc = sf__auc_exec(auc, SF__AUC_BEGIN);
	if (rc)
		return rc;
	rc = row_get(auc, imsi, &sub);
	if (rc)
		goto out;
	if (sub.status == SF_AUC_SUSPENDED) {
		rc = SF_EAUC_SUSPENDED;
		goto out;
	}
	rc = sf_aka_init(&ctx, &sub.params);
	if (!rc)
		rc = sf_sqn_he_init(&he, sub.ind_bits, sub.seq_he);
	if (!rc)
		rc = sf_aka_auc_resync(&ctx, &he, rand, auts, &ms);
	if (!rc && he.seq != sub.seq_he)
		rc = set_seq(auc, imsi, he.seq);
	if (!rc)
		rc = commit(auc);
	else
		rollback(auc);
	if (!rc && sqn_ms)
		*sqn_ms = ms;
	goto done;
out:
	rollback(auc);
done:
	sf_aka_free(&ctx);
	sf_aka_params_wipe(&sub.params);
	return rc;
}

/* ---- rekey ------------------------------------------------------------------- */

int sf_auc_rekey(struct sf_auc *auc, const uint8_t new_key[32])
{
	uint8_t blob[SF__AUC_SEALED_MAX];
	size_t blob_len = 0;
	struct sf_aka_params p;
	if (!auc || !new_key)
		return SF_EINVAL;
	memset(&p, 0, sizeof(p));
	int rc = sf__auc_exec(auc, SF__AUC_BEGIN);
	if (rc)
		return rc;
	sqlite3_stmt *all = auc->st[SF__AUC_SUB_ALL_SEALED];
	sqlite3_stmt *up = auc->st[SF__AUC_SUB_SET_SEALED];
	int r;
	while ((r = sqlite3_step(all)) == SQLITE_ROW) {
		char imsi[SF_AUC_IMSI_MAX + 1];
		const unsigned char *t = sqlite3_column_text(all, 0);
		snprintf(imsi, sizeof(imsi), "%s", t ? (const char *)t : "");
		memset(&p, 0, sizeof(p));
		p.alg = (enum sf_aka_alg)sqlite3_column_int(all, 1);
		p.k_len = (uint8_t)sqlite3_column_int(all, 2);
		p.opc_len = (uint8_t)sqlite3_column_int(all, 3);
		rc = sf__auc_unseal(auc->key, imsi, &p, sqlite3_column_blob(all, 4),
		                    (size_t)sqlite3_column_bytes(all, 4));
		if (!rc)
			rc = sf__auc_seal(new_key, auc->rng, imsi, &p, blob, &blob_len);
		sf_aka_params_wipe(&p);
		if (rc)
			break;
		sqlite3_bind_text(up, 1, imsi, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(up, 2, blob, (int)blob_len, SQLITE_TRANSIENT);
		rc = sf__auc_exec(auc, SF__AUC_SUB_SET_SEALED);
		sqlite3_clear_bindings(up);
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE && r != SQLITE_ROW)
		rc = sf__auc_dberr(auc, "reading subscribers for rekey");
	sqlite3_reset(all);
	sf_wipe(blob, sizeof(blob));
	if (!rc)
		rc = sf__auc_kcv_put(auc, new_key);
	if (!rc)
		rc = commit(auc);
	else
		rollback(auc);
	if (!rc)
		memcpy(auc->key, new_key, 32);
	return rc;
}
