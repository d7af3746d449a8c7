/*
 * The vault: a crash-safe, transactional store of named records in a state
 * directory, sealed by the TRE (see include/simfleet/tre.h for the contract).
 *
 * Layout of DIR:
 *   FORMAT        "simfleet-vault N\n" (written last at creation)
 *   lock          flock()ed exclusively by the owning process
 *   manifest      sealed: generation and, per record, its file, length,
 *                 sealed flag and SHA-256 of the file
 *   r/G.NAME      record NAME as written by the transaction of generation G
 *
 * Commit protocol (the order is what makes it crash safe):
 *   1. each put writes r/G.NAME and fsyncs it (G = generation + 1);
 *   2. commit writes manifest.tmp, fsyncs it, renames it over manifest and
 *      fsyncs the directory — the single atomic step that publishes G;
 *   3. the files of records replaced or deleted by G are unlinked.
 * A crash before step 2 leaves the old manifest, which does not reference the
 * new files (open removes them); a crash after it leaves the new state, whose
 * leftover old files open also removes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "simfleet/err.h"
#include "simfleet/log.h"
#include "simfleet/sha256.h"
#include "simfleet/tre.h"
#include "simfleet/util.h"

#define MANIFEST_AAD "simfleet-vault-manifest"
#define FORMAT_TAG "simfleet-vault"
#define FILE_MAX (24 + SF_VAULT_NAME_MAX)

struct entry {
	char name[SF_VAULT_NAME_MAX + 1];
	char file[FILE_MAX];
	size_t len; /* plaintext length */
	int sealed;
	int deleted; /* staged deletion (transaction list only) */
	uint8_t hash[32];
};

struct list {
	struct entry *e;
	size_t n, cap;
};

struct sf_vault {
	int dirfd, rdirfd, lockfd;
	const struct sf_tre *tre;
	uint64_t gen;
	struct list cur; /* committed state, sorted by name */
	int in_txn;
	struct list txn; /* staged puts and deletions */
};

/* ---- fault injection ---------------------------------------------------- */

static long fault_at = -1; /* -1: not yet read from the environment */
static long fault_count;

void sf_vault_fault_at(long n)
{
	fault_at = n;
	fault_count = 0;
}

static void fault_point(void)
{
	if (fault_at < 0) {
		const char *e = getenv("SIMFLEET_FAULT_AT");
		fault_at = e ? strtol(e, NULL, 10) : 0;
		fault_count = 0;
	}
	if (fault_at > 0 && ++fault_count == fault_at)
		_exit(SF_VAULT_FAULT_EXIT);
}

static int f_fsync(int fd)
{
	fault_point();
	return fsync(fd);
}

static int f_rename(int dfd, const char *a, const char *b)
{
	fault_point();
	return renameat(dfd, a, dfd, b);
}

static int f_unlink(int dfd, const char *a)
{
	fault_point();
	return unlinkat(dfd, a, 0);
}

/* Writes a whole file (dfd/name) and fsyncs it; write points are counted per
 * call so a crash can land between any two of them. */
static int write_file(int dfd, const char *name, const uint8_t *p, size_t len)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return SF_EIO;
	size_t off = 0;
	while (off < len) {
		fault_point();
		size_t chunk = len - off > 65536 ? 65536 : len - off;
		ssize_t w = write(fd, p + off, chunk);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return SF_EIO;
		}
		off += (size_t)w;
	}
	if (f_fsync(fd) != 0) {
		close(fd);
		return SF_EIO;
	}
	return close(fd) == 0 ? 0 : SF_EIO;
}

static int read_file(int dfd, const char *name, uint8_t **out, size_t *len)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? SF_ENOENT : SF_EIO;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)(SIZE_MAX / 2)) {
		close(fd);
		return SF_EIO;
	}
	size_t n = (size_t)st.st_size;
	uint8_t *b = malloc(n ? n : 1);
	if (!b) {
		close(fd);
		return SF_ENOMEM;
	}
	size_t off = 0;
	while (off < n) {
		ssize_t r = read(fd, b + off, n - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	if (off != n) {
		free(b);
		return SF_EIO;
	}
	*out = b;
	*len = n;
	return 0;
}

/* ---- names and lists ------------------------------------------------------ */

static int name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > SF_VAULT_NAME_MAX || name[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static struct entry *find(struct list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->e[i].name, name) == 0)
			return &l->e[i];
	return NULL;
}

static struct entry *add(struct list *l, const char *name)
{
	struct entry *e = find(l, name);
	if (e)
		return e;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct entry *ne = realloc(l->e, cap * sizeof(*ne));
		if (!ne)
			return NULL;
		l->e = ne;
		l->cap = cap;
	}
	e = &l->e[l->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	return e;
}

static void list_free(struct list *l)
{
	free(l->e);
	memset(l, 0, sizeof(*l));
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* ---- manifest ---------------------------------------------------------------- */

static int manifest_write(struct sf_vault *v, uint64_t gen, const struct list *l)
{
	size_t cap = 64 + l->n * (SF_VAULT_NAME_MAX + FILE_MAX + 100);
	char *txt = malloc(cap);
	uint8_t *sealed = malloc(cap + SF_TRE_SEAL_OVERHEAD);
	int rc = SF_ENOMEM;
	if (!txt || !sealed)
		goto out;
	size_t o = (size_t)snprintf(txt, cap, "simfleet-manifest 1\ngen %llu\n",
				    (unsigned long long)gen);
	for (size_t i = 0; i < l->n; i++) {
		char hex[65];
		sf_hex_encode(hex, sizeof(hex), l->e[i].hash, 32);
		o += (size_t)snprintf(txt + o, cap - o, "%s %s %zu %d %s\n", l->e[i].name,
				      l->e[i].file, l->e[i].len, l->e[i].sealed, hex);
	}
	size_t slen = 0;
	rc = sf_tre_seal(v->tre, (const uint8_t *)MANIFEST_AAD, strlen(MANIFEST_AAD),
			 (const uint8_t *)txt, o, sealed, cap + SF_TRE_SEAL_OVERHEAD, &slen);
	if (rc)
		goto out;
	rc = write_file(v->dirfd, "manifest.tmp", sealed, slen);
	if (rc)
		goto out;
	if (f_rename(v->dirfd, "manifest.tmp", "manifest") != 0) {
		rc = SF_EIO;
		goto out;
	}
	/* Past the rename the new state is the state (the caller must not undo
	 * it), but it is not known to be durable until the directory is synced:
	 * say so, so that nothing that depends on durability (a RES after its
	 * SQN) is released. */
	if (f_fsync(v->dirfd) != 0) {
		sf_log(SF_LOG_WARN, "vault", "fsync of the state directory failed: %s",
		       strerror(errno));
		rc = SF_ESTORE_NOTDURABLE;
	}
out:
	free(txt);
	free(sealed);
	return rc;
}

static int manifest_read(struct sf_vault *v)
{
	uint8_t *raw = NULL, *txt = NULL;
	size_t rlen = 0, tlen = 0;
	int rc = read_file(v->dirfd, "manifest", &raw, &rlen);
	if (rc)
		return rc == SF_ENOENT ? SF_ESTORE_CORRUPT : rc;
	txt = malloc(rlen + 1);
	if (!txt) {
		free(raw);
		return SF_ENOMEM;
	}
	rc = sf_tre_unseal(v->tre, (const uint8_t *)MANIFEST_AAD, strlen(MANIFEST_AAD), raw, rlen,
			   txt, rlen, &tlen);
	free(raw);
	if (rc) {
		free(txt);
		return rc;
	}
	txt[tlen] = 0;
	rc = SF_ESTORE_CORRUPT;
	unsigned long long gen;
	char *save = NULL, *line = strtok_r((char *)txt, "\n", &save);
	if (!line || strcmp(line, "simfleet-manifest 1") != 0)
		goto out;
	line = strtok_r(NULL, "\n", &save);
	if (!line || sscanf(line, "gen %llu", &gen) != 1)
		goto out;
	v->gen = gen;
	while ((line = strtok_r(NULL, "\n", &save))) {
		char name[SF_VAULT_NAME_MAX + 2], file[FILE_MAX + 1], hex[66];
		size_t len;
		int sealed, used = 0;
		if (sscanf(line, "%65s %88s %zu %d %65s%n", name, file, &len, &sealed, hex, &used) !=
			    5 ||
		    line[used] || !name_ok(name) || strlen(hex) != 64 || strlen(file) >= FILE_MAX)
			goto out;
		struct entry *e = add(&v->cur, name);
		if (!e) {
			rc = SF_ENOMEM;
			goto out;
		}
		memcpy(e->file, file, strlen(file) + 1); /* length checked above */
		e->len = len;
		e->sealed = sealed != 0;
		if (sf_hex_decode(e->hash, 32, NULL, hex, 64))
			goto out;
	}
	rc = 0;
out:
	sf_wipe(txt, tlen);
	free(txt);
	return rc;
}

/* Removes record files no manifest references (left by a crash). */
static void collect_garbage(struct sf_vault *v)
{
	int fd = dup(v->rdirfd);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	rewinddir(d);
	struct dirent *de;
	int removed = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		int used = 0;
		for (size_t i = 0; i < v->cur.n && !used; i++)
			used = strcmp(v->cur.e[i].file, de->d_name) == 0;
		if (!used && f_unlink(v->rdirfd, de->d_name) == 0)
			removed++;
	}
	closedir(d);
	if (removed)
		f_fsync(v->rdirfd);
	unlinkat(v->dirfd, "manifest.tmp", 0);
}

/* ---- open / close ---------------------------------------------------------------- */

static int read_format(int dirfd, long *ver)
{
	uint8_t *b = NULL;
	size_t n = 0;
	int rc = read_file(dirfd, "FORMAT", &b, &n);
	if (rc)
		return rc;
	char txt[64] = {0};
	memcpy(txt, b, n < sizeof(txt) - 1 ? n : sizeof(txt) - 1);
	free(b);
	if (sscanf(txt, FORMAT_TAG " %ld", ver) != 1 || *ver < 1)
		return SF_ESTORE_FORMAT;
	return 0;
}

static int write_format(int dirfd)
{
	char txt[64];
	int n = snprintf(txt, sizeof(txt), FORMAT_TAG " %d\n", SF_VAULT_FORMAT);
	int rc = write_file(dirfd, "FORMAT.tmp", (const uint8_t *)txt, (size_t)n);
	if (rc == 0 && (f_rename(dirfd, "FORMAT.tmp", "FORMAT") != 0 || f_fsync(dirfd) != 0))
		rc = SF_EIO;
	return rc;
}

int sf_vault_open(struct sf_vault **out, const char *dir, const struct sf_tre *tre, unsigned flags)
{
	if (!out || !dir || !tre || !tre->ops)
		return SF_EINVAL;
	*out = NULL;
	if ((flags & SF_VAULT_CREATE) && mkdir(dir, 0700) != 0 && errno != EEXIST)
		return SF_EIO;
	struct sf_vault *v = calloc(1, sizeof(*v));
	if (!v)
		return SF_ENOMEM;
	v->tre = tre;
	v->rdirfd = v->lockfd = -1;
	int rc = SF_EIO;
	v->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v->dirfd < 0) {
		rc = errno == ENOENT ? SF_ESTORE_FORMAT : SF_EIO;
		goto fail;
	}
	v->lockfd = openat(v->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (v->lockfd < 0)
		goto fail;
	if (flock(v->lockfd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ? SF_ESTORE_LOCKED : SF_EIO;
		goto fail;
	}
	long ver = 0;
	rc = read_format(v->dirfd, &ver);
	if (rc == SF_ENOENT && (flags & SF_VAULT_CREATE)) {
		/* New (or never finished) state directory: empty manifest, then FORMAT. */
		if (mkdirat(v->dirfd, "r", 0700) != 0 && errno != EEXIST) {
			rc = SF_EIO;
			goto fail;
		}
		v->gen = 0;
		if ((rc = manifest_write(v, 0, &v->cur)) || (rc = write_format(v->dirfd)))
			goto fail;
		ver = SF_VAULT_FORMAT;
	} else if (rc) {
		if (rc == SF_ENOENT)
			rc = SF_ESTORE_FORMAT;
		goto fail;
	}
	if (ver > SF_VAULT_FORMAT) {
		sf_log(SF_LOG_ERROR, "vault", "%s has format %ld; this simfleet reads up to %d", dir,
		       ver, SF_VAULT_FORMAT);
		rc = SF_ESTORE_FORMAT;
		goto fail;
	}
	/* Format upgrades run here, oldest first, each ending with write_format().
	 * Format 1 is the first; there is nothing to upgrade yet. */
	v->rdirfd = openat(v->dirfd, "r", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v->rdirfd < 0) {
		rc = SF_ESTORE_CORRUPT;
		goto fail;
	}
	if ((rc = manifest_read(v)))
		goto fail;
	collect_garbage(v);
	*out = v;
	return 0;
fail:
	sf_vault_close(v);
	return rc;
}

void sf_vault_close(struct sf_vault *v)
{
	if (!v)
		return;
	if (v->in_txn)
		sf_vault_abort(v);
	if (v->rdirfd >= 0)
		close(v->rdirfd);
	if (v->lockfd >= 0)
		close(v->lockfd); /* releases the flock */
	if (v->dirfd >= 0)
		close(v->dirfd);
	list_free(&v->cur);
	list_free(&v->txn);
	free(v);
}

/* ---- reading ------------------------------------------------------------------------ */

int sf_vault_size(struct sf_vault *v, const char *name, size_t *len)
{
	if (!v || !name || !len)
		return SF_EINVAL;
	struct entry *e = find(&v->cur, name);
	if (!e)
		return SF_ENOENT;
	*len = e->len;
	return 0;
}

int sf_vault_get(struct sf_vault *v, const char *name, uint8_t *dst, size_t cap, size_t *len)
{
	if (!v || !name || !len || (cap && !dst))
		return SF_EINVAL;
	struct entry *e = find(&v->cur, name);
	if (!e)
		return SF_ENOENT;
	if (cap < e->len) {
		*len = e->len;
		return SF_EBUFSIZE;
	}
	uint8_t *raw = NULL, h[32];
	size_t rlen = 0;
	int rc = read_file(v->rdirfd, e->file, &raw, &rlen);
	if (rc)
		return rc == SF_ENOENT ? SF_ESTORE_CORRUPT : rc;
	sf_sha256(raw, rlen, h);
	if (memcmp(h, e->hash, 32) != 0) {
		rc = SF_ESTORE_CORRUPT;
	} else if (e->sealed) {
		size_t n = 0;
		rc = sf_tre_unseal(v->tre, (const uint8_t *)name, strlen(name), raw, rlen, dst, cap,
				   &n);
		if (rc == 0 && n != e->len)
			rc = SF_ESTORE_CORRUPT;
	} else if (rlen != e->len) {
		rc = SF_ESTORE_CORRUPT;
	} else {
		memcpy(dst, raw, rlen);
	}
	if (rc == 0)
		*len = e->len;
	sf_wipe(raw, rlen);
	free(raw);
	return rc;
}

int sf_vault_each(struct sf_vault *v, const char *prefix,
		  int (*fn)(void *user, const char *name, size_t len), void *user)
{
	if (!v || !fn)
		return SF_EINVAL;
	size_t pl = prefix ? strlen(prefix) : 0;
	for (size_t i = 0; i < v->cur.n; i++) {
		if (pl && strncmp(v->cur.e[i].name, prefix, pl) != 0)
			continue;
		int r = fn(user, v->cur.e[i].name, v->cur.e[i].len);
		if (r)
			return r;
	}
	return 0;
}

/* ---- transactions ------------------------------------------------------------------- */

int sf_vault_begin(struct sf_vault *v)
{
	if (!v)
		return SF_EINVAL;
	if (v->in_txn)
		return SF_ESTORE_TXN;
	v->in_txn = 1;
	v->txn.n = 0;
	return 0;
}

int sf_vault_put(struct sf_vault *v, const char *name, const uint8_t *data, size_t len, int sealed)
{
	if (!v || (len && !data))
		return SF_EINVAL;
	if (!v->in_txn)
		return SF_ESTORE_TXN;
	if (!name_ok(name))
		return SF_ESTORE_NAME;
	if (len > SIZE_MAX - SF_TRE_SEAL_OVERHEAD)
		return SF_ERANGE;
	const uint8_t *body = data;
	size_t blen = len;
	uint8_t *buf = NULL;
	int rc;
	if (sealed) {
		buf = malloc(len + SF_TRE_SEAL_OVERHEAD);
		if (!buf)
			return SF_ENOMEM;
		rc = sf_tre_seal(v->tre, (const uint8_t *)name, strlen(name), data, len, buf,
				 len + SF_TRE_SEAL_OVERHEAD, &blen);
		if (rc) {
			free(buf);
			return rc;
		}
		body = buf;
	}
	struct entry *e = add(&v->txn, name);
	if (!e) {
		free(buf);
		return SF_ENOMEM;
	}
	snprintf(e->file, sizeof(e->file), "%llu.%s", (unsigned long long)(v->gen + 1), name);
	rc = write_file(v->rdirfd, e->file, body, blen);
	if (rc == 0) {
		sf_sha256(body, blen, e->hash);
		e->len = len;
		e->sealed = sealed != 0;
		e->deleted = 0;
	} else {
		/* The staged file may be half written (or an earlier version of this
		 * transaction truncated): keep the entry, marked unusable, so the
		 * abort the caller must now do unlinks it; commit refuses it. */
		e->deleted = 0;
		e->len = SIZE_MAX;
	}
	free(buf);
	return rc;
}

int sf_vault_del(struct sf_vault *v, const char *name)
{
	if (!v)
		return SF_EINVAL;
	if (!v->in_txn)
		return SF_ESTORE_TXN;
	if (!name_ok(name))
		return SF_ESTORE_NAME;
	struct entry *staged = find(&v->txn, name);
	if (staged ? staged->deleted : !find(&v->cur, name))
		return SF_ENOENT;
	if (staged && !staged->deleted)
		unlinkat(v->rdirfd, staged->file, 0);
	struct entry *e = add(&v->txn, name);
	if (!e)
		return SF_ENOMEM;
	e->deleted = 1;
	e->file[0] = 0;
	return 0;
}

void sf_vault_abort(struct sf_vault *v)
{
	if (!v || !v->in_txn)
		return;
	for (size_t i = 0; i < v->txn.n; i++)
		if (!v->txn.e[i].deleted && v->txn.e[i].file[0])
			unlinkat(v->rdirfd, v->txn.e[i].file, 0);
	v->txn.n = 0;
	v->in_txn = 0;
}

int sf_vault_commit(struct sf_vault *v)
{
	if (!v)
		return SF_EINVAL;
	if (!v->in_txn)
		return SF_ESTORE_TXN;
	for (size_t i = 0; i < v->txn.n; i++)
		if (v->txn.e[i].len == SIZE_MAX) {
			/* A put of this transaction failed: it cannot be committed. */
			sf_vault_abort(v);
			return SF_ESTORE_TXN;
		}
	/* The new state: current records with the staged changes applied. */
	struct list next = {0}, old = {0};
	int rc = SF_ENOMEM;
	for (size_t i = 0; i < v->cur.n; i++) {
		struct entry *s = find(&v->txn, v->cur.e[i].name);
		if (s) {
			struct entry *o = add(&old, v->cur.e[i].name);
			if (!o)
				goto out;
			*o = v->cur.e[i];
			if (s->deleted)
				continue;
		}
		struct entry *e = add(&next, v->cur.e[i].name);
		if (!e)
			goto out;
		*e = s ? *s : v->cur.e[i];
	}
	for (size_t i = 0; i < v->txn.n; i++) {
		if (v->txn.e[i].deleted || find(&v->cur, v->txn.e[i].name))
			continue;
		struct entry *e = add(&next, v->txn.e[i].name);
		if (!e)
			goto out;
		*e = v->txn.e[i];
	}
	if (next.n)
		qsort(next.e, next.n, sizeof(*next.e), cmp_entry);
	/* Make sure the record files' directory entries are durable before the
	 * manifest that names them. */
	if (v->txn.n && f_fsync(v->rdirfd) != 0) {
		rc = SF_EIO;
		goto out;
	}
	rc = manifest_write(v, v->gen + 1, &next);
	if (rc && rc != SF_ESTORE_NOTDURABLE)
		goto out; /* the old manifest stands; abort removes the new files */
	int durability = rc;
	v->gen++;
	list_free(&v->cur);
	v->cur = next;
	memset(&next, 0, sizeof(next));
	/* The replaced files are garbage now; a crash here leaves them for open. */
	for (size_t i = 0; i < old.n; i++)
		f_unlink(v->rdirfd, old.e[i].file);
	if (old.n)
		f_fsync(v->rdirfd);
	v->txn.n = 0;
	v->in_txn = 0;
	rc = durability;
out:
	list_free(&next);
	list_free(&old);
	if (rc && v->in_txn)
		sf_vault_abort(v);
	return rc;
}

int sf_vault_put1(struct sf_vault *v, const char *name, const uint8_t *data, size_t len,
		  int sealed)
{
	int rc = sf_vault_begin(v);
	if (rc)
		return rc;
	rc = sf_vault_put(v, name, data, len, sealed);
	if (rc) {
		sf_vault_abort(v);
		return rc;
	}
	return sf_vault_commit(v);
}
