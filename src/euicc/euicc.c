/*
 * The software eUICC (see include/simfleet/euicc.h): composes the card
 * engine, the UICC file system and USIM of the enabled profile, the ISD-R
 * (SGP.22 §5.7 ES10), and the vault that makes every change durable.
 *
 * Vault records (names are [A-Za-z0-9._-]):
 *   euicc            struct euicc_rec: EID, flags, notification counter, addresses
 *   p.ICCID.meta     struct profile_rec: ProfileInfo, USIM AID, GSM access
 *   p.ICCID.fs       the file system arena (sf_fs_used() octets)
 *   p.ICCID.pins     struct sf_pins            (sealed)
 *   p.ICCID.aka      struct sf_aka_params      (sealed)
 *   p.ICCID.sqn      struct sf_sqn_ms
 *   p.ICCID.pkg      the package as installed  (sealed)
 *   n.SEQ            struct sf_notification
 *   s.SEQ            its signed form: PendingNotification DER (eUICCs with
 *                    RSP credentials)
 *   p.ICCID.dp       the address of the SM-DP+ that installed the profile
 *                    (RSP installs; its notifications go there)
 *   rsp.euicc.crt, rsp.eum.crt, rsp.ci.crt   RSP certificates (DER)
 *   rsp.euicc.key    SK.EUICC.ECDSA           (sealed)
 * Records are host structures written as they are: a state directory is
 * read by the simfleet build that wrote it (or upgraded by the vault's
 * format migrations), never exchanged between machines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "simfleet/bpp.h"
#include "simfleet/card.h"
#include "simfleet/der.h"
#include "simfleet/eid.h"
#include "simfleet/err.h"
#include "simfleet/euicc.h"
#include "simfleet/log.h"
#include "simfleet/pki.h"
#include "simfleet/rng.h"
#include "simfleet/rsp.h"
#include "simfleet/saip_install.h"
#include "simfleet/tre.h"
#include "simfleet/uicc_fs.h"
#include "simfleet/usim.h"
#include "simfleet/util.h"

#define REC_VERSION 1
#define ARENA_MIN (64u * 1024u)
#define ARENA_MAX (4u * 1024u * 1024u)
#define MAX_PROFILES 32
#define MAX_NOTIFS 64

struct euicc_rec {
	uint32_t version;
	uint32_t flags;
	uint32_t next_seq;
	char eid[SF_EID_DIGITS + 1];
	char default_dp[256];
	char root_ds[256];
};

struct profile_rec {
	uint32_t version;
	struct sf_profile_info info;
	uint8_t usim_aid[16];
	uint8_t usim_aid_len;
	uint8_t gsm_access;
	uint8_t has_aka;
};

/* The enabled profile, loaded. */
struct runtime {
	int idx; /* index in profiles, -1 = none */
	uint8_t *arena;
	size_t arena_cap;
	struct sf_fs fs;
	struct sf_pins pins;
	struct sf_aka_ctx aka;
	struct sf_sqn_ms sqn;
};

struct sf_euicc {
	struct sf_tre tre;
	struct sf_vault *v;
	struct euicc_rec rec;
	struct profile_rec prof[MAX_PROFILES];
	size_t nprof;
	struct sf_notification notif[MAX_NOTIFS];
	size_t nnotif;
	struct runtime rt;
	struct sf_card card;
	struct sf_isdr isdr;
	uint8_t isdr_sel; /* bit ch: the ISD-R is the selected application on ch */
	/* RSP (SGP.22): credentials when provisioned, the download session. */
	int has_cred;
	struct sf_rsp_euicc_cred cred;
	struct sf_rsp_euicc_session sess;
	struct sf_rsp_euicc_load *ld;
	/* LoadBoundProfilePackage: the install staged in an open transaction,
	 * committed with its ProfileInstallationResult. */
	int bpp_txn;
	struct snapshot *bpp_snap;
	int bpp_idx;
	char bpp_dp[256];
};

static void rec_name(char *dst, size_t n, const char *iccid, const char *what)
{
	snprintf(dst, n, "p.%s.%s", iccid, what);
}

/* ---- loading ------------------------------------------------------------------ */

static int load_struct(struct sf_vault *v, const char *name, void *dst, size_t len)
{
	size_t got = 0;
	int rc = sf_vault_get(v, name, dst, len, &got);
	if (rc == 0 && got != len)
		rc = SF_ESTORE_CORRUPT;
	return rc;
}

struct list_ctx {
	struct sf_euicc *e;
	int rc;
};

static int each_profile(void *user, const char *name, size_t len)
{
	struct list_ctx *c = user;
	size_t n = strlen(name);
	if (n < 7 || strcmp(name + n - 5, ".meta") != 0)
		return 0;
	if (c->e->nprof >= MAX_PROFILES || len != sizeof(struct profile_rec)) {
		c->rc = SF_ESTORE_CORRUPT;
		return 1;
	}
	struct profile_rec *p = &c->e->prof[c->e->nprof];
	c->rc = load_struct(c->e->v, name, p, sizeof(*p));
	if (c->rc)
		return 1;
	if (p->version != REC_VERSION) {
		c->rc = SF_ESTORE_FORMAT;
		return 1;
	}
	c->e->nprof++;
	return 0;
}

static int each_notif(void *user, const char *name, size_t len)
{
	struct list_ctx *c = user;
	if (c->e->nnotif >= MAX_NOTIFS || len != sizeof(struct sf_notification)) {
		c->rc = SF_ESTORE_CORRUPT;
		return 1;
	}
	c->rc = load_struct(c->e->v, name, &c->e->notif[c->e->nnotif], sizeof(struct sf_notification));
	if (c->rc)
		return 1;
	c->e->nnotif++;
	return 0;
}

static int find_profile(const struct sf_euicc *e, const char *iccid)
{
	for (size_t i = 0; i < e->nprof; i++)
		if (strcmp(e->prof[i].info.iccid, iccid) == 0)
			return (int)i;
	return -1;
}

static void runtime_unload(struct sf_euicc *e)
{
	struct runtime *rt = &e->rt;
	if (rt->arena) {
		sf_wipe(rt->arena, rt->arena_cap);
		free(rt->arena);
	}
	sf_pins_free(&rt->pins);
	sf_aka_free(&rt->aka);
	sf_wipe(&rt->sqn, sizeof(rt->sqn));
	memset(rt, 0, sizeof(*rt));
	rt->idx = -1;
	/* File handles of the old profile must not survive in any channel. */
	for (unsigned ch = 0; ch < SF_CARD_CHANNELS; ch++) {
		void *cs = sf_card_chan_state(&e->card, ch);
		if (cs && !(e->isdr_sel & (1u << ch)))
			memset(cs, 0, SF_CARD_CHAN_STATE_SIZE);
	}
}

static int runtime_load(struct sf_euicc *e, int idx)
{
	struct runtime *rt = &e->rt;
	const char *iccid = e->prof[idx].info.iccid;
	char name[SF_VAULT_NAME_MAX + 1];
	struct sf_aka_params p;
	size_t used = 0;
	int rc;

	runtime_unload(e);
	rec_name(name, sizeof(name), iccid, "fs");
	if ((rc = sf_vault_size(e->v, name, &used)))
		return rc;
	/* Files never grow at run time (their sizes are fixed at creation), so
	 * the arena needs no room beyond what was saved. */
	rt->arena_cap = used ? used : 1;
	rt->arena = calloc(1, rt->arena_cap);
	if (!rt->arena)
		return SF_ENOMEM;
	if ((rc = sf_vault_get(e->v, name, rt->arena, rt->arena_cap, &used)) ||
	    (rc = sf_fs_attach(&rt->fs, rt->arena, rt->arena_cap)))
		goto fail;
	rec_name(name, sizeof(name), iccid, "pins");
	if ((rc = load_struct(e->v, name, &rt->pins, sizeof(rt->pins))))
		goto fail;
	if (e->prof[idx].has_aka) {
		rec_name(name, sizeof(name), iccid, "aka");
		rc = load_struct(e->v, name, &p, sizeof(p));
		if (rc == 0)
			rc = sf_aka_init(&rt->aka, &p);
		sf_aka_params_wipe(&p);
		if (rc)
			goto fail;
		rec_name(name, sizeof(name), iccid, "sqn");
		if ((rc = load_struct(e->v, name, &rt->sqn, sizeof(rt->sqn))))
			goto fail;
	}
	rt->idx = idx;
	return 0;
fail:
	runtime_unload(e);
	return rc;
}

/* ---- ISD-R host operations ------------------------------------------------------ */

static const char *h_eid(void *u)
{
	return ((struct sf_euicc *)u)->rec.eid;
}

static size_t h_count(void *u)
{
	return ((struct sf_euicc *)u)->nprof;
}

static int h_get(void *u, size_t i, struct sf_profile_info *out)
{
	struct sf_euicc *e = u;
	if (i >= e->nprof)
		return SF_ERANGE;
	*out = e->prof[i].info;
	return 0;
}

/* The signed form of an enable/disable/delete notification
 * (OtherSignedNotification), staged beside it. */
static int stage_signed(struct sf_euicc *e, const struct sf_notification *n)
{
	uint8_t buf[4096];
	size_t len = 0;
	char name[32];
	int rc = sf_rsp_euicc_sign_notification(&e->cred, n->seq, n->event, n->address, n->iccid,
	                                        buf, sizeof(buf), &len);
	if (rc)
		return rc;
	snprintf(name, sizeof(name), "s.%010u", n->seq);
	return sf_vault_put(e->v, name, buf, len, 0);
}

/* Deletes notification seq and its signed form in the open transaction. */
static int stage_notification_del(struct sf_euicc *e, uint32_t seq)
{
	char name[32];
	size_t len;
	snprintf(name, sizeof(name), "n.%010u", seq);
	int rc = sf_vault_del(e->v, name);
	snprintf(name, sizeof(name), "s.%010u", seq);
	if (rc == 0 && sf_vault_size(e->v, name, &len) == 0)
		rc = sf_vault_del(e->v, name);
	return rc;
}

/* With the list full, the oldest pending notification makes room in the
 * open transaction (its loss is logged). */
static int make_room(struct sf_euicc *e)
{
	if (e->nnotif < MAX_NOTIFS)
		return 0;
	sf_log(SF_LOG_WARN, "euicc", "notification list full: dropping notification %u",
	       e->notif[0].seq);
	int rc = stage_notification_del(e, e->notif[0].seq);
	if (rc)
		return rc;
	memmove(e->notif, e->notif + 1, (MAX_NOTIFS - 1) * sizeof(e->notif[0]));
	e->nnotif--;
	return 0;
}

/* Adds a notification to the transaction that is open. */
static int stage_notification(struct sf_euicc *e, uint8_t event, const char *iccid)
{
	int rc = make_room(e);
	if (rc)
		return rc;
	struct sf_notification *n = &e->notif[e->nnotif];
	memset(n, 0, sizeof(*n));
	n->seq = e->rec.next_seq++;
	n->event = event;
	snprintf(n->address, sizeof(n->address), "%s", e->rec.default_dp);
	snprintf(n->iccid, sizeof(n->iccid), "%s", iccid ? iccid : "");
	/* Notifications go to the SM-DP+ that installed the profile, else to
	 * the default SM-DP+. */
	if (iccid) {
		char name[SF_VAULT_NAME_MAX + 1];
		size_t got = 0;
		rec_name(name, sizeof(name), iccid, "dp");
		if (sf_vault_get(e->v, name, (uint8_t *)n->address, sizeof(n->address) - 1, &got) == 0)
			n->address[got] = '\0';
	}
	char name[32];
	snprintf(name, sizeof(name), "n.%010u", n->seq);
	rc = sf_vault_put(e->v, name, (const uint8_t *)n, sizeof(*n), 0);
	if (rc == 0 && e->has_cred)
		rc = stage_signed(e, n);
	if (rc == 0)
		e->nnotif++;
	return rc;
}

static int stage_meta(struct sf_euicc *e, size_t i)
{
	char name[SF_VAULT_NAME_MAX + 1];
	rec_name(name, sizeof(name), e->prof[i].info.iccid, "meta");
	return sf_vault_put(e->v, name, (const uint8_t *)&e->prof[i], sizeof(e->prof[i]), 0);
}

static int stage_euicc(struct sf_euicc *e)
{
	return sf_vault_put(e->v, "euicc", (const uint8_t *)&e->rec, sizeof(e->rec), 0);
}

/* Commits the open transaction.  A state change that is published but not
 * confirmed durable (SF_ESTORE_NOTDURABLE) is the state from now on, so RAM
 * follows it; only the SQN path, which must not release RES before the SQN
 * is durable, treats it as a failure (persist_sqn). */
static int commit(struct sf_euicc *e)
{
	int rc = sf_vault_commit(e->v);
	if (rc == SF_ESTORE_NOTDURABLE) {
		sf_log(SF_LOG_WARN, "euicc", "state change not confirmed durable");
		rc = 0;
	}
	return rc;
}

/* Ends the transaction begun with rc = sf_vault_begin(): commits when every
 * step succeeded (rc == 0), aborts otherwise.  Returns the first error. */
static int txn_end(struct sf_euicc *e, int rc)
{
	if (rc == 0)
		return commit(e);
	if (rc != SF_ESTORE_TXN)
		sf_vault_abort(e->v);
	return rc;
}

/* Runs a state change as one vault transaction; on failure the RAM copies
 * are restored from the snapshot. */
struct snapshot {
	struct euicc_rec rec;
	struct profile_rec prof[MAX_PROFILES];
	size_t nprof;
	struct sf_notification notif[MAX_NOTIFS];
	size_t nnotif;
};

static struct snapshot *snap_take(const struct sf_euicc *e)
{
	struct snapshot *s = malloc(sizeof(*s));
	if (!s)
		return NULL;
	s->rec = e->rec;
	memcpy(s->prof, e->prof, sizeof(s->prof));
	s->nprof = e->nprof;
	memcpy(s->notif, e->notif, sizeof(s->notif));
	s->nnotif = e->nnotif;
	return s;
}

static void snap_restore(struct sf_euicc *e, const struct snapshot *s)
{
	e->rec = s->rec;
	memcpy(e->prof, s->prof, sizeof(s->prof));
	e->nprof = s->nprof;
	memcpy(e->notif, s->notif, sizeof(s->notif));
	e->nnotif = s->nnotif;
}

static int set_state(struct sf_euicc *e, int enable_idx, int disable_idx)
{
	struct snapshot *s = snap_take(e);
	if (!s)
		return SF_ENOMEM;
	int rc = sf_vault_begin(e->v);
	if (rc)
		goto out;
	if (disable_idx >= 0) {
		e->prof[disable_idx].info.state = SF_PROFILE_DISABLED;
		if ((rc = stage_meta(e, (size_t)disable_idx)) ||
		    (rc = stage_notification(e, SF_NOTIF_DISABLE, e->prof[disable_idx].info.iccid)))
			goto abort;
	}
	if (enable_idx >= 0) {
		e->prof[enable_idx].info.state = SF_PROFILE_ENABLED;
		if ((rc = stage_meta(e, (size_t)enable_idx)) ||
		    (rc = stage_notification(e, SF_NOTIF_ENABLE, e->prof[enable_idx].info.iccid)))
			goto abort;
	}
	if ((rc = stage_euicc(e)))
		goto abort;
	if ((rc = commit(e)))
		goto restore; /* commit aborts by itself on failure */
	/* Committed: the card now shows the newly enabled profile (or none). */
	if (enable_idx >= 0) {
		rc = runtime_load(e, enable_idx);
		if (rc)
			sf_log(SF_LOG_ERROR, "euicc", "profile %s enabled but cannot be loaded: %s",
			       e->prof[enable_idx].info.iccid, sf_strerror(rc));
	} else {
		runtime_unload(e);
	}
	goto out;
abort:
	sf_vault_abort(e->v);
restore:
	snap_restore(e, s);
out:
	free(s);
	return rc;
}

int sf_euicc_enable(struct sf_euicc *e, const char *iccid)
{
	if (!e || !iccid)
		return SF_EINVAL;
	int i = find_profile(e, iccid);
	if (i < 0)
		return SF_ES10_NOT_FOUND;
	if (e->prof[i].info.state != SF_PROFILE_DISABLED)
		return SF_ES10_WRONG_STATE;
	/* SGP.22 §3.2.1: enabling a profile disables the one enabled before. */
	int cur = -1;
	for (size_t k = 0; k < e->nprof; k++)
		if (e->prof[k].info.state == SF_PROFILE_ENABLED)
			cur = (int)k;
	int rc = set_state(e, i, cur);
	return rc < 0 ? rc : SF_ES10_OK;
}

int sf_euicc_disable(struct sf_euicc *e, const char *iccid)
{
	if (!e || !iccid)
		return SF_EINVAL;
	int i = find_profile(e, iccid);
	if (i < 0)
		return SF_ES10_NOT_FOUND;
	if (e->prof[i].info.state != SF_PROFILE_ENABLED)
		return SF_ES10_WRONG_STATE;
	int rc = set_state(e, -1, i);
	return rc < 0 ? rc : SF_ES10_OK;
}

static int stage_delete_records(struct sf_euicc *e, const char *iccid)
{
	static const char *const parts[] = {"meta", "fs", "pins", "aka", "sqn", "pkg", "dp"};
	for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
		char name[SF_VAULT_NAME_MAX + 1];
		size_t len;
		rec_name(name, sizeof(name), iccid, parts[k]);
		if (sf_vault_size(e->v, name, &len) == 0) {
			int rc = sf_vault_del(e->v, name);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int sf_euicc_delete(struct sf_euicc *e, const char *iccid)
{
	if (!e || !iccid)
		return SF_EINVAL;
	int i = find_profile(e, iccid);
	if (i < 0)
		return SF_ES10_NOT_FOUND;
	if (e->prof[i].info.state != SF_PROFILE_DISABLED)
		return SF_ES10_WRONG_STATE;
	struct snapshot *s = snap_take(e);
	if (!s)
		return SF_ENOMEM;
	char id[21];
	snprintf(id, sizeof(id), "%s", iccid);
	int rc = sf_vault_begin(e->v);
	if (rc == 0 && (rc = stage_delete_records(e, id)) == 0 &&
	    (rc = stage_notification(e, SF_NOTIF_DELETE, id)) == 0)
		rc = stage_euicc(e);
	rc = txn_end(e, rc);
	if (rc) {
		snap_restore(e, s);
	} else {
		memmove(&e->prof[i], &e->prof[i + 1], (e->nprof - (size_t)i - 1) * sizeof(e->prof[0]));
		e->nprof--;
		if (e->rt.idx > i)
			e->rt.idx--;
	}
	free(s);
	return rc < 0 ? rc : SF_ES10_OK;
}

static int h_enable(void *u, const char *iccid, int refresh)
{
	(void)refresh;
	return sf_euicc_enable(u, iccid);
}

static int h_disable(void *u, const char *iccid, int refresh)
{
	(void)refresh;
	return sf_euicc_disable(u, iccid);
}

static int h_delete(void *u, const char *iccid)
{
	return sf_euicc_delete(u, iccid);
}

static int h_nickname(void *u, const char *iccid, const char *nick)
{
	struct sf_euicc *e = u;
	int i = find_profile(e, iccid);
	if (i < 0)
		return SF_ES10_NOT_FOUND;
	struct profile_rec old = e->prof[i];
	snprintf(e->prof[i].info.nickname, sizeof(e->prof[i].info.nickname), "%s", nick);
	int rc = sf_vault_begin(e->v);
	if (rc == 0)
		rc = stage_meta(e, (size_t)i);
	rc = txn_end(e, rc);
	if (rc)
		e->prof[i] = old;
	return rc < 0 ? rc : SF_ES10_OK;
}

static int h_memory_reset(void *u, unsigned options)
{
	struct sf_euicc *e = u;
	int did = 0;
	/* Delete the selected classes of profile, enabled ones included. */
	for (size_t i = e->nprof; i-- > 0;) {
		unsigned cls = e->prof[i].info.pclass;
		int hit = ((options & 1u) && cls == SF_PROFILE_CLASS_OPERATIONAL) ||
			  ((options & 2u) && cls == SF_PROFILE_CLASS_TEST);
		if (!hit)
			continue;
		char iccid[21];
		snprintf(iccid, sizeof(iccid), "%s", e->prof[i].info.iccid);
		if (e->prof[i].info.state == SF_PROFILE_ENABLED) {
			int rc = sf_euicc_disable(e, iccid);
			if (rc)
				return rc < 0 ? rc : SF_ES10_UNDEFINED;
		}
		int rc = sf_euicc_delete(e, iccid);
		if (rc)
			return rc < 0 ? rc : SF_ES10_UNDEFINED;
		did = 1;
	}
	if ((options & 4u) && e->rec.default_dp[0]) {
		struct euicc_rec old = e->rec;
		e->rec.default_dp[0] = 0;
		int rc = sf_vault_begin(e->v);
		if (rc == 0)
			rc = stage_euicc(e);
		rc = txn_end(e, rc);
		if (rc) {
			e->rec = old;
			return rc;
		}
		did = 1;
	}
	return did ? SF_ES10_OK : SF_ES10_NOTHING_TO_DELETE;
}

static int h_addresses(void *u, char *dp, size_t dp_cap, char *ds, size_t ds_cap)
{
	struct sf_euicc *e = u;
	snprintf(dp, dp_cap, "%s", e->rec.default_dp);
	snprintf(ds, ds_cap, "%s", e->rec.root_ds);
	return 0;
}

static int h_set_dp(void *u, const char *addr)
{
	struct sf_euicc *e = u;
	if (strlen(addr) >= sizeof(e->rec.default_dp))
		return SF_ES10_UNDEFINED;
	struct euicc_rec old = e->rec;
	snprintf(e->rec.default_dp, sizeof(e->rec.default_dp), "%s", addr);
	int rc = sf_vault_begin(e->v);
	if (rc == 0)
		rc = stage_euicc(e);
	rc = txn_end(e, rc);
	if (rc)
		e->rec = old;
	return rc < 0 ? rc : SF_ES10_OK;
}

static size_t h_ncount(void *u)
{
	return ((struct sf_euicc *)u)->nnotif;
}

static int h_nget(void *u, size_t i, struct sf_notification *out)
{
	struct sf_euicc *e = u;
	if (i >= e->nnotif)
		return SF_ERANGE;
	*out = e->notif[i];
	return 0;
}

static int h_nremove(void *u, uint32_t seq)
{
	struct sf_euicc *e = u;
	for (size_t i = 0; i < e->nnotif; i++) {
		if (e->notif[i].seq != seq)
			continue;
		int rc = sf_vault_begin(e->v);
		if (rc == 0)
			rc = stage_notification_del(e, seq);
		rc = txn_end(e, rc);
		if (rc)
			return rc;
		memmove(&e->notif[i], &e->notif[i + 1], (e->nnotif - i - 1) * sizeof(e->notif[0]));
		e->nnotif--;
		return SF_ES10_OK;
	}
	return SF_ES10_NOTHING_TO_DELETE;
}

static int h_random(void *u, uint8_t *buf, size_t len)
{
	(void)u;
	return sf_rng_fill(sf_rng_system(), buf, len);
}

/* RSP security: at the end of this file. */
static void bpp_rollback(struct sf_euicc *e);
static int cred_load(struct sf_euicc *e);
static size_t h_ci_pkid(void *u, size_t i, uint8_t *dst, size_t cap);
static int h_rsp(void *u, uint32_t tag, const uint8_t *req, size_t len, uint8_t *dst, size_t cap,
                 size_t *out_len);
static int h_nsigned(void *u, size_t i, uint8_t *dst, size_t cap, size_t *out_len);

static const struct sf_isdr_host_ops host_ops = {
	h_eid,      h_count,        h_get,       h_enable, h_disable,  h_delete, h_nickname,
	h_memory_reset, h_addresses, h_set_dp, h_ncount, h_nget, h_nremove, h_random,
	h_ci_pkid, h_rsp, h_nsigned,
};

/* ---- the card application: routing ---------------------------------------------- */

static int is_select_isdr(const struct sf_apdu *cmd)
{
	return cmd->ins == 0xA4 && cmd->p1 == 0x04 && cmd->nc >= 7 &&
	       cmd->nc <= SF_ISDR_AID_LEN && memcmp(cmd->data, sf_isdr_aid, cmd->nc) == 0;
}

static int persist_sqn(void *user, const struct sf_sqn_ms *ms)
{
	struct sf_euicc *e = user;
	char name[SF_VAULT_NAME_MAX + 1];
	rec_name(name, sizeof(name), e->prof[e->rt.idx].info.iccid, "sqn");
	return sf_vault_put1(e->v, name, (const uint8_t *)ms, sizeof(*ms), 0);
}

/* Persists what a file-system command changed, before it answers. */
static int persist_fs(struct sf_euicc *e)
{
	unsigned dirty = sf_fs_take_dirty(&e->rt.fs);
	if (!dirty)
		return 0;
	const char *iccid = e->prof[e->rt.idx].info.iccid;
	char name[SF_VAULT_NAME_MAX + 1];
	int rc = sf_vault_begin(e->v);
	if (rc == 0 && (dirty & SF_FS_DIRTY_ARENA)) {
		rec_name(name, sizeof(name), iccid, "fs");
		rc = sf_vault_put(e->v, name, e->rt.arena, sf_fs_used(&e->rt.fs), 0);
	}
	if (rc == 0 && (dirty & SF_FS_DIRTY_PINS)) {
		rec_name(name, sizeof(name), iccid, "pins");
		rc = sf_vault_put(e->v, name, (const uint8_t *)&e->rt.pins, sizeof(e->rt.pins), 1);
	}
	return txn_end(e, rc);
}

static const uint8_t usim_aid_prefix[7] = {0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02};

static int app_process(void *user, struct sf_card *card, const struct sf_apdu *cmd,
		       struct sf_rapdu *rsp)
{
	struct sf_euicc *e = user;
	unsigned ch = cmd->channel, bit = 1u << ch;

	if (is_select_isdr(cmd)) {
		e->isdr_sel |= bit;
		memset(sf_card_chan_state(card, ch), 0, SF_CARD_CHAN_STATE_SIZE);
		if ((cmd->p2 & 0x0C) == 0x0C) {
			rsp->sw = SF_SW_OK;
			return 0;
		}
		/* FCI: 6F { 84 AID } */
		if (rsp->cap < 4 + SF_ISDR_AID_LEN)
			return SF_EBUFSIZE;
		rsp->data[0] = 0x6F;
		rsp->data[1] = 2 + SF_ISDR_AID_LEN;
		rsp->data[2] = 0x84;
		rsp->data[3] = SF_ISDR_AID_LEN;
		memcpy(rsp->data + 4, sf_isdr_aid, SF_ISDR_AID_LEN);
		rsp->len = 4 + SF_ISDR_AID_LEN;
		rsp->sw = SF_SW_OK;
		return 0;
	}
	if (cmd->ins == 0xA4)
		e->isdr_sel &= (uint8_t)~bit; /* any other SELECT leaves the ISD-R */
	if (e->isdr_sel & bit)
		return sf_isdr_process(&e->isdr, card, cmd, rsp);

	if (e->rt.idx < 0) {
		/* No enabled profile: no file system, no USIM. */
		if ((cmd->cla & 0x80) && (cmd->ins == 0xAA || cmd->ins == 0x10))
			rsp->sw = SF_SW_OK;
		else
			rsp->sw = cmd->ins == 0xA4 ? SF_SW_FILE_NOT_FOUND : SF_SW_CONDITIONS_NOT_SATISFIED;
		return 0;
	}
	if (cmd->ins == 0x88) {
		struct sf_fs_selection sel;
		struct sf_fs_info info;
		if (!e->prof[e->rt.idx].has_aka || sf_fs_current(&e->rt.fs, card, ch, &sel) != 0 ||
		    !sel.adf || sf_fs_info(&e->rt.fs, sel.adf, &info) != 0 ||
		    info.aid_len < sizeof(usim_aid_prefix) ||
		    memcmp(info.aid, usim_aid_prefix, sizeof(usim_aid_prefix)) != 0) {
			rsp->sw = SF_SW_CONDITIONS_NOT_SATISFIED;
			return 0;
		}
		if (!sf_fs_key_satisfied(&e->rt.fs, &e->rt.pins, SF_PIN_REF_PIN1)) {
			rsp->sw = SF_SW_SECURITY_NOT_SATISFIED;
			return 0;
		}
		struct sf_usim_auth u = {&e->rt.aka, &e->rt.sqn, e->prof[e->rt.idx].gsm_access,
					 persist_sqn, e};
		return sf_usim_authenticate(&u, cmd, rsp);
	}
	int rc = sf_fs_process(&e->rt.fs, &e->rt.pins, card, cmd, rsp);
	if (rc == SF_ECARD_UNHANDLED) {
		rsp->sw = SF_SW_INS_NOT_SUPPORTED;
		return 0;
	}
	if (rc)
		return rc;
	if (persist_fs(e) != 0) {
		/* The change could not be made durable: report it, and reload the
		 * last durable state so RAM and disk agree. */
		sf_log(SF_LOG_ERROR, "euicc", "cannot persist a file system change");
		rsp->len = 0;
		rsp->sw = SF_SW_MEMORY_PROBLEM;
		int idx = e->rt.idx;
		runtime_load(e, idx);
	}
	return 0;
}

static void app_reset(void *user, struct sf_card *card, enum sf_card_reset_kind kind)
{
	(void)card;
	(void)kind;
	struct sf_euicc *e = user;
	e->isdr_sel = 0;
	sf_isdr_reset(&e->isdr);
	/* A reset ends a LoadBoundProfilePackage in progress: its partly
	 * decrypted package goes (nothing of it was installed). */
	sf_rsp_euicc_load_free(e->ld);
	e->ld = NULL;
	if (e->rt.idx >= 0)
		sf_fs_reset(&e->rt.fs);
}

static void app_opened(void *user, struct sf_card *card, unsigned channel, unsigned origin)
{
	struct sf_euicc *e = user;
	if (e->isdr_sel & (1u << origin))
		e->isdr_sel |= (uint8_t)(1u << channel);
	else if (e->rt.idx >= 0)
		sf_fs_channel_opened(&e->rt.fs, card, channel, origin);
}

static void app_closed(void *user, struct sf_card *card, unsigned channel)
{
	(void)card;
	struct sf_euicc *e = user;
	e->isdr_sel &= (uint8_t)~(1u << channel);
}

static const struct sf_card_app euicc_app = {app_process, app_reset, app_opened, app_closed};

/* ---- life cycle ---------------------------------------------------------------------- */

static int key_path(char *dst, size_t n, const char *dir)
{
	int w = snprintf(dst, n, "%s/device.key", dir);
	return w > 0 && (size_t)w < n ? 0 : SF_EINVAL;
}

int sf_euicc_create(const char *dir, const char *eid, unsigned flags, char *eid_out)
{
	if (!dir || (flags & ~SF_EUICC_TEST_MODE))
		return SF_EINVAL;
	if (eid && sf_eid_check(eid) != 0)
		return SF_EINVAL;
	char kp[4096];
	if (key_path(kp, sizeof(kp), dir))
		return SF_EINVAL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return SF_EIO;
	struct sf_tre tre;
	struct sf_vault *v = NULL;
	int rc = sf_tre_soft_open(&tre, kp, SF_TRE_CREATE);
	if (rc)
		return rc;
	rc = sf_vault_open(&v, dir, &tre, SF_VAULT_CREATE);
	if (rc)
		goto out;
	size_t len;
	if (sf_vault_size(v, "euicc", &len) == 0) {
		rc = SF_EEXIST;
		goto out;
	}
	struct euicc_rec rec;
	memset(&rec, 0, sizeof(rec));
	rec.version = REC_VERSION;
	rec.flags = flags;
	rec.next_seq = 1;
	if (eid)
		snprintf(rec.eid, sizeof(rec.eid), "%s", eid);
	else if ((rc = sf_eid_generate(rec.eid, SF_EUICC_DEFAULT_EID_PREFIX, sf_rng_system())))
		goto out;
	rc = sf_vault_put1(v, "euicc", (const uint8_t *)&rec, sizeof(rec), 0);
	if (rc == 0 && eid_out)
		memcpy(eid_out, rec.eid, sizeof(rec.eid));
out:
	sf_vault_close(v);
	sf_tre_close(&tre);
	return rc;
}

int sf_euicc_open(struct sf_euicc **out, const char *dir)
{
	if (!out || !dir)
		return SF_EINVAL;
	*out = NULL;
	char kp[4096];
	if (key_path(kp, sizeof(kp), dir))
		return SF_EINVAL;
	struct sf_euicc *e = calloc(1, sizeof(*e));
	if (!e)
		return SF_ENOMEM;
	e->rt.idx = -1;
	int rc = sf_tre_soft_open(&e->tre, kp, 0);
	if (rc) {
		free(e);
		return rc;
	}
	if ((rc = sf_vault_open(&e->v, dir, &e->tre, 0)))
		goto fail;
	if ((rc = load_struct(e->v, "euicc", &e->rec, sizeof(e->rec))))
		goto fail;
	if (e->rec.version != REC_VERSION) {
		rc = SF_ESTORE_FORMAT;
		goto fail;
	}
	struct list_ctx c = {e, 0};
	sf_vault_each(e->v, "p.", each_profile, &c);
	if (c.rc == 0)
		sf_vault_each(e->v, "n.", each_notif, &c);
	if ((rc = c.rc))
		goto fail;
	sf_rsp_euicc_session_init(&e->sess);
	if ((rc = cred_load(e)))
		goto fail;
	if ((rc = sf_card_init(&e->card, &euicc_app, e, 0)) ||
	    (rc = sf_isdr_init(&e->isdr, &host_ops, e)))
		goto fail;
	for (size_t i = 0; i < e->nprof; i++)
		if (e->prof[i].info.state == SF_PROFILE_ENABLED && (rc = runtime_load(e, (int)i)))
			goto fail;
	*out = e;
	return 0;
fail:
	sf_euicc_close(e);
	return rc;
}

void sf_euicc_close(struct sf_euicc *e)
{
	if (!e)
		return;
	runtime_unload(e);
	bpp_rollback(e);
	sf_rsp_euicc_load_free(e->ld);
	sf_rsp_euicc_session_free(&e->sess);
	if (e->has_cred)
		sf_rsp_euicc_cred_free(&e->cred);
	sf_card_free(&e->card);
	sf_vault_close(e->v);
	sf_tre_close(&e->tre);
	sf_wipe(e, sizeof(*e));
	free(e);
}

const char *sf_euicc_eid(const struct sf_euicc *e)
{
	return e ? e->rec.eid : NULL;
}

unsigned sf_euicc_flags(const struct sf_euicc *e)
{
	return e ? e->rec.flags : 0;
}

int sf_euicc_transmit(struct sf_euicc *e, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
		      size_t rsp_cap, size_t *rsp_len)
{
	if (!e)
		return SF_EINVAL;
	return sf_card_transmit(&e->card, cmd, cmd_len, rsp, rsp_cap, rsp_len);
}

int sf_euicc_reset(struct sf_euicc *e, int cold)
{
	if (!e)
		return SF_EINVAL;
	return sf_card_reset(&e->card, cold ? SF_CARD_RESET_COLD : SF_CARD_RESET_WARM);
}

int sf_euicc_atr(uint8_t *dst, size_t cap, size_t *len)
{
	return sf_card_atr(dst, cap, len);
}

size_t sf_euicc_profile_count(const struct sf_euicc *e)
{
	return e ? e->nprof : 0;
}

int sf_euicc_profile_get(const struct sf_euicc *e, size_t i, struct sf_profile_info *out)
{
	if (!e || !out)
		return SF_EINVAL;
	return h_get((void *)(uintptr_t)e, i, out);
}

/* ---- installing a profile ------------------------------------------------------------ */

/* Installs a SAIP package as a new Disabled profile, staged in the open
 * transaction (the caller commits, and restores its snapshot on failure:
 * e->nprof grows here).  md (RSP: StoreMetadata) overrides the name, SPN and
 * class and must name the package's ICCID (SF_ERSP_FORMAT otherwise); without
 * it the profile is a test profile named after its profileType.  *idx_out
 * receives the profile's index.  Returns 0, SF_EEXIST (ICCID installed),
 * SF_ECARD_FS_SPACE (no room), SF_ESAIP_*, SF_EDER_*, SF_ECARD_FS_*, or a
 * storage error. */
static int stage_install(struct sf_euicc *e, const uint8_t *pkg, size_t len,
                         const struct sf_bpp_metadata *md, struct sf_saip_error *err,
                         int *idx_out)
{
	if (e->nprof >= MAX_PROFILES)
		return SF_ECARD_FS_SPACE;
	struct sf_saip_installed *ins = calloc(1, sizeof(*ins));
	struct sf_pins *pins = calloc(1, sizeof(*pins));
	uint8_t *arena = NULL;
	size_t cap = ARENA_MIN;
	struct sf_fs fs;
	int rc = SF_ENOMEM;
	if (!ins || !pins)
		goto out;
	/* Grow the arena until the profile fits. */
	for (;;) {
		free(arena);
		arena = calloc(1, cap);
		if (!arena) {
			rc = SF_ENOMEM;
			goto out;
		}
		sf_pins_init(pins);
		memset(ins, 0, sizeof(*ins));
		rc = sf_fs_init(&fs, arena, cap);
		if (rc == 0)
			rc = sf_saip_install(pkg, len, &fs, pins, ins, err);
		if (rc != SF_ECARD_FS_SPACE || cap >= ARENA_MAX)
			break;
		sf_wipe(arena, cap);
		cap *= 2;
	}
	if (rc)
		goto out;
	if (md && strcmp(md->iccid, ins->iccid) != 0) {
		sf_log(SF_LOG_INFO, "euicc", "StoreMetadata ICCID %s, package ICCID %s", md->iccid,
		       ins->iccid);
		rc = SF_ERSP_FORMAT;
		goto out;
	}
	if (find_profile(e, ins->iccid) >= 0) {
		rc = SF_EEXIST;
		goto out;
	}

	struct profile_rec *p = &e->prof[e->nprof];
	memset(p, 0, sizeof(*p));
	p->version = REC_VERSION;
	snprintf(p->info.iccid, sizeof(p->info.iccid), "%s", ins->iccid);
	p->info.state = SF_PROFILE_DISABLED;
	if (md) {
		p->info.pclass = (uint8_t)(md->pclass >= 0 ? md->pclass : SF_PROFILE_CLASS_OPERATIONAL);
		snprintf(p->info.spn, sizeof(p->info.spn), "%s", md->spn);
		snprintf(p->info.name, sizeof(p->info.name), "%s", md->name);
	} else {
		/* Test-mode installs are test profiles (SGP.22 profileClass test). */
		p->info.pclass = SF_PROFILE_CLASS_TEST;
		snprintf(p->info.spn, sizeof(p->info.spn), "%s", ins->spn);
		snprintf(p->info.name, sizeof(p->info.name), "%s", ins->profile_type);
	}
	/* ISD-P AID: A0000005591010FFFFFFFF89 0000 NN 00, one per profile slot. */
	static const uint8_t isdp[16] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
					 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00};
	memcpy(p->info.isdp_aid, isdp, 16);
	/* The lowest slot octet no installed profile uses (MAX_PROFILES < 0xF0). */
	for (unsigned slot = 0x10; slot <= 0xFF; slot++) {
		int used = 0;
		for (size_t k = 0; k < e->nprof && !used; k++)
			used = e->prof[k].info.isdp_aid[14] == slot;
		if (!used) {
			p->info.isdp_aid[14] = (uint8_t)slot;
			break;
		}
	}
	p->info.isdp_aid_len = 16;
	memcpy(p->usim_aid, ins->usim_aid, sizeof(p->usim_aid));
	p->usim_aid_len = ins->usim_aid_len;
	p->gsm_access = (uint8_t)ins->gsm_access;
	p->has_aka = (uint8_t)(ins->has_usim && ins->has_aka);

	char name[SF_VAULT_NAME_MAX + 1];
	const char *id = p->info.iccid;
	e->nprof++;
	rec_name(name, sizeof(name), id, "fs");
	rc = sf_vault_put(e->v, name, arena, sf_fs_used(&fs), 0);
	if (rc == 0) {
		rec_name(name, sizeof(name), id, "pins");
		rc = sf_vault_put(e->v, name, (const uint8_t *)pins, sizeof(*pins), 1);
	}
	if (rc == 0 && p->has_aka) {
		rec_name(name, sizeof(name), id, "aka");
		rc = sf_vault_put(e->v, name, (const uint8_t *)&ins->aka, sizeof(ins->aka), 1);
		rec_name(name, sizeof(name), id, "sqn");
		if (rc == 0)
			rc = sf_vault_put(e->v, name, (const uint8_t *)&ins->sqn, sizeof(ins->sqn), 0);
	}
	if (rc == 0) {
		rec_name(name, sizeof(name), id, "pkg");
		rc = sf_vault_put(e->v, name, pkg, len, 1);
	}
	if (rc == 0)
		rc = stage_meta(e, e->nprof - 1);
	if (rc == 0)
		*idx_out = (int)e->nprof - 1;
out:
	if (ins) {
		sf_aka_params_wipe(&ins->aka);
		free(ins);
	}
	if (pins) {
		sf_pins_free(pins);
		free(pins);
	}
	if (arena) {
		sf_wipe(arena, cap);
		free(arena);
	}
	return rc;
}

/* ---- local installation (test mode) -------------------------------------------------- */

int sf_euicc_install_local(struct sf_euicc *e, const uint8_t *pkg, size_t len, int enable,
			   struct sf_saip_error *err, char *iccid_out)
{
	if (!e || !pkg)
		return SF_EINVAL;
	if (!(e->rec.flags & SF_EUICC_TEST_MODE))
		return SF_ENOTSUP;
	struct sf_saip_error scratch;
	if (!err)
		err = &scratch;
	memset(err, 0, sizeof(*err));

	struct snapshot *s = snap_take(e);
	if (!s)
		return SF_ENOMEM;
	int idx = -1;
	char iccid[21] = "";
	int rc = sf_vault_begin(e->v);
	if (rc == 0)
		rc = stage_install(e, pkg, len, NULL, err, &idx);
	if (rc == 0) {
		snprintf(iccid, sizeof(iccid), "%s", e->prof[idx].info.iccid);
		rc = stage_notification(e, SF_NOTIF_INSTALL, iccid);
	}
	if (rc == 0)
		rc = stage_euicc(e);
	rc = txn_end(e, rc);
	if (rc)
		snap_restore(e, s);
	free(s);
	if (rc == 0 && iccid_out)
		snprintf(iccid_out, 21, "%s", iccid);
	/* The install is committed at this point; enabling is a second step.
	 * If it fails the profile stays installed (Disabled) and the error is
	 * returned: the caller may retry with sf_euicc_enable(). */
	if (rc == 0 && enable) {
		int r = sf_euicc_enable(e, iccid);
		if (r != SF_ES10_OK)
			rc = r < 0 ? r : SF_EINTERNAL;
	}
	return rc;
}

/* ---- RSP security (SGP.22 §3.1.2-§3.1.3, ES10b) ---------------------------------------- */

static const char *const cred_rec[4] = {"rsp.euicc.crt", "rsp.euicc.key", "rsp.eum.crt",
                                        "rsp.ci.crt"};

/* Reads one credential record into a malloc'd buffer (wiped and freed by
 * the caller). */
static int cred_read(struct sf_euicc *e, const char *name, uint8_t **buf, size_t *len)
{
	int rc = sf_vault_size(e->v, name, len);
	if (rc)
		return rc;
	if ((*buf = malloc(*len ? *len : 1)) == NULL)
		return SF_ENOMEM;
	return sf_vault_get(e->v, name, *buf, *len, len);
}

/* Loads the credentials from the vault when it has them (the chain was
 * checked when they were stored). */
static int cred_load(struct sf_euicc *e)
{
	struct sf_rsp_euicc_cred *c = &e->cred;
	struct sf_x509_info *info = NULL;
	uint8_t *buf[4] = {NULL, NULL, NULL, NULL};
	size_t len[4] = {0, 0, 0, 0};
	int rc;

	if (sf_vault_size(e->v, cred_rec[0], &len[0]) != 0)
		return 0; /* no RSP credentials: test-mode installs only */
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 4; i++)
		if ((rc = cred_read(e, cred_rec[i], &buf[i], &len[i])) != 0)
			goto out;
	if ((rc = sf_x509_load(buf[0], len[0], &c->euicc_cert)) ||
	    (rc = sf_ec_key_load_private(buf[1], len[1], &c->key)) ||
	    (rc = sf_x509_load(buf[2], len[2], &c->eum_cert)) ||
	    (rc = sf_x509_load(buf[3], len[3], &c->ci)))
		goto out;
	if ((info = calloc(1, sizeof(*info))) == NULL) {
		rc = SF_ENOMEM;
		goto out;
	}
	if ((rc = sf_x509_get_info(c->ci, info)) != 0)
		goto out;
	if (info->ski_len == 0 || info->ski_len > sizeof(c->ci_pkid)) {
		rc = SF_EPKI_FORMAT;
		goto out;
	}
	memcpy(c->ci_pkid, info->ski, info->ski_len);
	c->ci_pkid_len = info->ski_len;
	if ((rc = sf_x509_get_info(c->euicc_cert, info)) != 0)
		goto out;
	if (strlen(info->subject_serial) != SF_EID_DIGITS) {
		rc = SF_EPKI_EID;
		goto out;
	}
	memcpy(c->eid, info->subject_serial, SF_EID_DIGITS + 1);
	e->has_cred = 1;
out:
	free(info);
	for (int i = 0; i < 4; i++) {
		if (buf[i])
			sf_wipe(buf[i], len[i]);
		free(buf[i]);
	}
	if (rc) {
		sf_log(SF_LOG_ERROR, "euicc", "RSP credentials in the state unreadable: %s",
		       sf_strerror(rc));
		sf_rsp_euicc_cred_free(c);
	}
	return rc;
}

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;
	if (!f)
		return errno == ENOENT ? SF_ENOENT : SF_EIO;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > 65536 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return SF_EIO;
	}
	*buf = malloc((size_t)n + 1);
	if (!*buf) {
		fclose(f);
		return SF_ENOMEM;
	}
	*len = fread(*buf, 1, (size_t)n, f);
	int rc = (*len == (size_t)n && !ferror(f)) ? 0 : SF_EIO;
	fclose(f);
	return rc;
}

int sf_euicc_set_credentials(struct sf_euicc *e, const char *euicc_cert, const char *euicc_key,
                             const char *eum_cert, const char *ci_cert)
{
	struct sf_rsp_euicc_cred c;
	uint8_t *key = NULL;
	size_t key_len = 0;
	int rc;

	if (!e || !euicc_cert || !euicc_key || !eum_cert || !ci_cert)
		return SF_EINVAL;
	memset(&c, 0, sizeof(c));
	/* The chain must hold now and the key must be the certificate's. */
	if ((rc = sf_rsp_euicc_cred_load(&c, euicc_cert, euicc_key, eum_cert, ci_cert,
	                                 (int64_t)time(NULL))) != 0)
		return rc;
	if (strcmp(c.eid, e->rec.eid) != 0) {
		sf_log(SF_LOG_WARN, "euicc", "certificate EID %s is not this eUICC's %s", c.eid,
		       e->rec.eid);
		rc = SF_EPKI_EID;
		goto out;
	}
	if ((rc = read_file(euicc_key, &key, &key_len)) != 0)
		goto out;
	const struct sf_x509 *certs[3] = {c.euicc_cert, c.eum_cert, c.ci};
	const uint8_t *der[3];
	size_t der_len[3];
	for (int i = 0; i < 3; i++)
		if ((rc = sf_x509_der(certs[i], &der[i], &der_len[i])) != 0)
			goto out;
	if ((rc = sf_vault_begin(e->v)) != 0)
		goto out;
	if ((rc = sf_vault_put(e->v, cred_rec[0], der[0], der_len[0], 0)) == 0 &&
	    (rc = sf_vault_put(e->v, cred_rec[1], key, key_len, 1)) == 0 &&
	    (rc = sf_vault_put(e->v, cred_rec[2], der[1], der_len[1], 0)) == 0)
		rc = sf_vault_put(e->v, cred_rec[3], der[2], der_len[2], 0);
	if ((rc = txn_end(e, rc)) != 0)
		goto out;
	/* In use from now on. */
	if (e->has_cred)
		sf_rsp_euicc_cred_free(&e->cred);
	e->has_cred = 0;
	sf_rsp_euicc_session_free(&e->sess);
	sf_rsp_euicc_session_init(&e->sess);
	rc = cred_load(e);
out:
	if (key) {
		sf_wipe(key, key_len);
		free(key);
	}
	sf_rsp_euicc_cred_free(&c);
	return rc;
}

int sf_euicc_has_credentials(const struct sf_euicc *e)
{
	return e && e->has_cred;
}

static size_t h_ci_pkid(void *u, size_t i, uint8_t *dst, size_t cap)
{
	struct sf_euicc *e = u;
	if (!e->has_cred || i > 0 || e->cred.ci_pkid_len > cap)
		return 0;
	memcpy(dst, e->cred.ci_pkid, e->cred.ci_pkid_len);
	return e->cred.ci_pkid_len;
}

static int h_nsigned(void *u, size_t i, uint8_t *dst, size_t cap, size_t *out_len)
{
	struct sf_euicc *e = u;
	char name[32];
	size_t len;
	if (i >= e->nnotif)
		return SF_ERANGE;
	snprintf(name, sizeof(name), "s.%010u", e->notif[i].seq);
	if (sf_vault_size(e->v, name, &len) != 0)
		return SF_ENOTSUP; /* made before the eUICC had credentials */
	*out_len = len;
	if (dst == NULL || cap < len)
		return SF_EBUFSIZE;
	return sf_vault_get(e->v, name, dst, cap, out_len);
}

/* The loader's host: the install is staged in a transaction that stays
 * open until the ProfileInstallationResult is stored with it. */
static int bpp_snapshot(struct sf_euicc *e)
{
	if (e->bpp_snap == NULL && (e->bpp_snap = snap_take(e)) == NULL)
		return SF_ENOMEM;
	return 0;
}

static int b_iccid_exists(void *u, const char *iccid)
{
	return find_profile(u, iccid) >= 0;
}

static int b_next_seq(void *u, uint32_t *seq)
{
	struct sf_euicc *e = u;
	int rc = bpp_snapshot(e);
	if (rc)
		return rc;
	*seq = e->rec.next_seq++;
	return 0;
}

static int b_install(void *u, const struct sf_bpp_metadata *md, const uint8_t *upp, size_t len,
                     uint8_t aid[16], size_t *aid_len)
{
	struct sf_euicc *e = u;
	struct sf_saip_error err;
	int idx = -1, rc;

	if (e->bpp_txn || bpp_snapshot(e) != 0)
		return SF_BPP_UNKNOWN;
	memset(&err, 0, sizeof(err));
	if ((rc = sf_vault_begin(e->v)) != 0)
		return SF_BPP_UNKNOWN;
	rc = stage_install(e, upp, len, md, &err, &idx);
	if (rc != 0) {
		/* Undo the profile, not the sequence number the loader already
		 * took for this load's ProfileInstallationResult. */
		uint32_t next_seq = e->rec.next_seq;
		sf_vault_abort(e->v);
		snap_restore(e, e->bpp_snap);
		e->rec.next_seq = next_seq;
		sf_log(SF_LOG_INFO, "euicc", "profile package not installed: %s", sf_strerror(rc));
		if (rc == SF_EEXIST)
			return SF_BPP_ICCID_EXISTS;
		if (rc == SF_ECARD_FS_SPACE || rc == SF_ENOMEM)
			return SF_BPP_NO_MEMORY;
		if (rc == SF_ERSP_FORMAT)
			return SF_BPP_DATA_MISMATCH;
		if (rc <= -200 && rc > -400) /* DER, SAIP and file-system errors of the package */
			return SF_BPP_PE_ERROR;
		return SF_BPP_UNKNOWN;
	}
	e->bpp_txn = 1;
	e->bpp_idx = idx;
	memcpy(aid, e->prof[idx].info.isdp_aid, e->prof[idx].info.isdp_aid_len);
	*aid_len = e->prof[idx].info.isdp_aid_len;
	return 0;
}

/* Undoes what a load staged (nothing stays when it did not finish). */
static void bpp_rollback(struct sf_euicc *e)
{
	if (e->bpp_txn)
		sf_vault_abort(e->v);
	e->bpp_txn = 0;
	if (e->bpp_snap)
		snap_restore(e, e->bpp_snap);
	free(e->bpp_snap);
	e->bpp_snap = NULL;
}

/* Stores the ProfileInstallationResult as a pending notification, with the
 * profile it reports when the install succeeded: one commit. */
static int bpp_finish(struct sf_euicc *e, const uint8_t *pir, size_t len, uint32_t seq)
{
	struct sf_rsp_notification pn;
	int rc = sf_rsp_notification_parse(pir, len, &pn);
	if (rc != 0 || !pn.is_pir || pn.seq != seq)
		return rc ? rc : SF_EINTERNAL;
	if (!e->bpp_txn && (rc = sf_vault_begin(e->v)) != 0)
		return rc;
	e->bpp_txn = 1;
	if ((rc = make_room(e)) != 0)
		return rc;
	struct sf_notification *n = &e->notif[e->nnotif];
	char name[SF_VAULT_NAME_MAX + 1];
	memset(n, 0, sizeof(*n));
	n->seq = seq;
	n->event = SF_NOTIF_INSTALL;
	snprintf(n->address, sizeof(n->address), "%s", pn.address);
	snprintf(n->iccid, sizeof(n->iccid), "%s", pn.iccid);
	snprintf(name, sizeof(name), "n.%010u", seq);
	if ((rc = sf_vault_put(e->v, name, (const uint8_t *)n, sizeof(*n), 0)) != 0)
		return rc;
	snprintf(name, sizeof(name), "s.%010u", seq);
	if ((rc = sf_vault_put(e->v, name, pir, len, 0)) != 0)
		return rc;
	e->nnotif++;
	if (pn.success) {
		if (!e->bpp_snap || e->bpp_idx < 0 || (size_t)e->bpp_idx >= e->nprof)
			return SF_EINTERNAL;
		rec_name(name, sizeof(name), e->prof[e->bpp_idx].info.iccid, "dp");
		if ((rc = sf_vault_put(e->v, name, (const uint8_t *)pn.address, strlen(pn.address),
		                       0)) != 0)
			return rc;
	}
	if ((rc = stage_euicc(e)) != 0)
		return rc;
	e->bpp_txn = 0;
	if ((rc = commit(e)) != 0) /* commit aborts by itself on failure */
		return rc;
	free(e->bpp_snap);
	e->bpp_snap = NULL;
	return 0;
}

static int load_item(struct sf_euicc *e, const uint8_t *req, size_t len, uint8_t *dst, size_t cap,
                     size_t *out_len)
{
	const struct sf_bpp_host host = {e, b_iccid_exists, b_install, b_next_seq};
	uint32_t seq = 0;
	int rc;

	if (e->ld == NULL && (rc = sf_rsp_euicc_load_new(&e->ld)) != 0)
		return rc;
	e->bpp_idx = -1;
	rc = sf_rsp_euicc_load_bpp(&e->cred, &e->sess, e->ld, &host, req, len, dst, cap, out_len,
	                           &seq);
	if (rc == 1 && !e->bpp_txn)
		return 1;
	if (rc == 0)
		rc = bpp_finish(e, dst, *out_len, seq);
	if (rc != 0) {
		bpp_rollback(e);
		if (rc > 0) /* the loader wanted more after installing: a bug */
			rc = SF_EINTERNAL;
		*out_len = 0;
	}
	return rc;
}

/* A function that answers with a response TLV in both outcomes: the SGP.22
 * error alternatives are responses too (the ISD-R answers 90 00 with them). */
static int answered(int rc, size_t n)
{
	if (rc == 0 || rc == SF_ERSP_FORMAT || rc == SF_EBUFSIZE || rc == SF_EINVAL)
		return rc;
	return n > 0 ? 0 : rc;
}

static int h_rsp(void *u, uint32_t tag, const uint8_t *req, size_t len, uint8_t *dst, size_t cap,
                 size_t *out_len)
{
	struct sf_euicc *e = u;
	int64_t now = (int64_t)time(NULL);
	uint8_t info2[1024];
	size_t n = 0;
	int rc;

	if (!e->has_cred)
		return SF_ENOTSUP;
	*out_len = 0;
	switch (tag) {
	case 0xBF2E: { /* GetEuiccChallengeResponse ::= [46] SEQUENCE { euiccChallenge [0] } */
		const uint8_t *p = req, *end = req + len, *val;
		size_t vlen;
		uint32_t t;
		uint8_t ch[SF_RSP_CHALLENGE_LEN];
		struct sf_der_writer w;
		if (sf_der_get_tlv(&p, end, &t, &val, &vlen) != 0 || vlen != 0)
			return SF_ERSP_FORMAT;
		/* A new session: a load left unfinished by the last one ends here
		 * (it installed nothing; the one-time key stays for a retry). */
		sf_rsp_euicc_load_free(e->ld);
		e->ld = NULL;
		if ((rc = sf_rsp_euicc_challenge(&e->sess, NULL, ch)) != 0)
			return rc;
		sf_der_writer_init(&w, dst, cap);
		size_t m = sf_der_writer_mark(&w);
		sf_der_write_octets(&w, SF_DER_CTX(0), ch, sizeof(ch));
		sf_der_write_wrap(&w, m, 0xBF2E);
		return sf_der_writer_finish(&w, out_len);
	}
	case 0xBF38:
		if ((rc = sf_isdr_euicc_info2(&e->isdr, info2, sizeof(info2), &n)) != 0)
			return rc;
		rc = sf_rsp_euicc_authenticate_server(&e->cred, &e->sess, req, len, info2, n, now,
		                                      dst, cap, out_len, NULL);
		return answered(rc, *out_len);
	case 0xBF21:
		rc = sf_rsp_euicc_prepare_download(&e->cred, &e->sess, req, len, now, dst, cap,
		                                   out_len, NULL);
		return answered(rc, *out_len);
	case 0xBF41:
		rc = sf_rsp_euicc_cancel_session(&e->cred, &e->sess, e->ld, req, len, dst, cap,
		                                 out_len);
		return answered(rc, *out_len);
	case 0xBF36:
		return load_item(e, req, len, dst, cap, out_len);
	default:
		return SF_ENOTSUP;
	}
}
