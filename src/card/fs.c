/*
 * The UICC file system model: arena, files, creation, persistence check,
 * navigation helpers.
 *
 *   ETSI TS 102 221 §8.1   file types: MF, DF, ADF, EF (transparent, linear
 *                          fixed, cyclic)
 *   ETSI TS 102 221 §8.2   EF structures; §8.2.3 cyclic EFs (record 1 is the
 *                          most recent, the oldest is overwritten)
 *   ETSI TS 102 221 §8.3   file identifiers (3F00 MF, 7FFF current ADF, 3FFF
 *                          and FFFF reserved)
 *   ETSI TS 102 221 §8.4.2 short file identifiers (1..30)
 *   ETSI TS 102 221 §11.1.1.4.9 LCSI coding
 *
 * Arena layout (all integers little endian, so an image moves between
 * machines):
 *
 *   [0, 32)        header: "SFFS", version, header size, used, file count,
 *                  two checksums over [32, used)
 *   [32, used)     file records back to back, the MF first; each is a 32-octet
 *                  header (type, LCSI, SFI, FID, parent handle, sizes, cyclic
 *                  pointer, EF_ARR reference) + AID + contents
 *
 * A file's handle is its offset.  Files are only appended (a UICC profile is
 * created once; deleting files is the profile's deletion, i.e. a new arena),
 * so creation order is also the order children are searched in.
 *
 * The checksums are position-weighted sums kept up to date on every write
 * (sf__fs_put), so a write costs O(its length), not O(arena).  They catch
 * storage corruption; tampering is the storage layer's business (the TRE
 * vault seals what it stores).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fs_internal.h"
#include "simfleet/err.h"

static void set16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void set32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

uint32_t sf__fs_used(const struct sf_fs *fs)
{
	return sf__fs_get32(fs->mem + FSH_USED);
}

void sf__fs_put(struct sf_fs *fs, uint32_t off, const uint8_t *src, size_t len)
{
	uint32_t s1 = sf__fs_get32(fs->mem + FSH_SUM1);
	uint32_t s2 = sf__fs_get32(fs->mem + FSH_SUM2);
	for (size_t i = 0; i < len; i++) {
		uint32_t pos = off + (uint32_t)i;
		uint32_t d = (uint32_t)src[i] - (uint32_t)fs->mem[pos]; /* mod 2^32 */
		s1 += d;
		s2 += d * (2u * pos + 1u);
		fs->mem[pos] = src[i];
	}
	set32(fs->mem + FSH_SUM1, s1);
	set32(fs->mem + FSH_SUM2, s2);
	fs->dirty |= SF_FS_DIRTY_ARENA;
}

void sf__fs_put8(struct sf_fs *fs, uint32_t off, uint8_t v)
{
	sf__fs_put(fs, off, &v, 1);
}

static void sums(const uint8_t *mem, uint32_t used, uint32_t *s1, uint32_t *s2)
{
	uint32_t a = 0, b = 0;
	for (uint32_t i = SF_FS_HEADER_SIZE; i < used; i++) {
		a += mem[i];
		b += (uint32_t)mem[i] * (2u * i + 1u);
	}
	*s1 = a;
	*s2 = b;
}

uint32_t sf__fs_first(const struct sf_fs *fs)
{
	return sf__fs_used(fs) > SF_FS_HEADER_SIZE ? SF_FS_HEADER_SIZE : 0;
}

uint32_t sf__fs_next(const struct sf_fs *fs, uint32_t f)
{
	uint32_t n = f + FS_F32(fs, f, R_LEN);
	return n < sf__fs_used(fs) ? n : 0;
}

int sf__fs_valid(const struct sf_fs *fs, uint32_t f)
{
	if (f < SF_FS_HEADER_SIZE || f >= sf__fs_used(fs))
		return 0;
	for (uint32_t g = sf__fs_first(fs); g != 0 && g <= f; g = sf__fs_next(fs, g))
		if (g == f)
			return 1;
	return 0;
}

uint8_t *sf__fs_body(const struct sf_fs *fs, uint32_t f)
{
	return fs->mem + f + SF_FS_FILE_OVERHEAD + FS_F8(fs, f, R_AIDLEN);
}

uint32_t sf__fs_child(const struct sf_fs *fs, uint32_t df, uint16_t fid, int dfs_only)
{
	for (uint32_t g = sf__fs_first(fs); g != 0; g = sf__fs_next(fs, g)) {
		unsigned t = FS_F8(fs, g, R_TYPE);
		if (FS_F32(fs, g, R_PARENT) != df || FS_F16(fs, g, R_FID) != fid ||
		    t == SF_FS_ADF)
			continue;
		if (dfs_only && t != SF_FS_DF)
			continue;
		return g;
	}
	return 0;
}

uint32_t sf__fs_child_sfi(const struct sf_fs *fs, uint32_t df, uint8_t sfi)
{
	for (uint32_t g = sf__fs_first(fs); g != 0; g = sf__fs_next(fs, g))
		if (FS_F32(fs, g, R_PARENT) == df && !sf__fs_is_df(FS_F8(fs, g, R_TYPE)) &&
		    FS_F8(fs, g, R_SFI) == sfi)
			return g;
	return 0;
}

uint32_t sf__fs_adf(const struct sf_fs *fs, const uint8_t *aid, size_t len, uint32_t after)
{
	uint32_t g = after ? sf__fs_next(fs, after) : sf__fs_first(fs);
	for (; g != 0; g = sf__fs_next(fs, g))
		if (FS_F8(fs, g, R_TYPE) == SF_FS_ADF && FS_F8(fs, g, R_AIDLEN) >= len &&
		    memcmp(fs->mem + g + SF_FS_FILE_OVERHEAD, aid, len) == 0)
			return g;
	return 0;
}

uint32_t sf__fs_total_size(const struct sf_fs *fs, uint32_t df)
{
	uint32_t total = 0;
	for (uint32_t g = sf__fs_first(fs); g != 0; g = sf__fs_next(fs, g)) {
		/* Is df an ancestor of g (or g itself)?  Parents precede
		 * children, so the walk up ends. */
		for (uint32_t a = g; a != 0; a = FS_F32(fs, a, R_PARENT)) {
			if (a == df) {
				total += FS_F32(fs, g, R_LEN);
				break;
			}
		}
	}
	return total;
}

uint32_t sf__fs_rec_off(const struct sf_fs *fs, uint32_t f, unsigned recno)
{
	unsigned n = FS_F8(fs, f, R_NREC), phys = recno - 1;
	if (FS_F8(fs, f, R_TYPE) == SF_FS_EF_CYCLIC)
		phys = (FS_F8(fs, f, R_CYC) + recno - 1) % n;
	return (uint32_t)phys * FS_F16(fs, f, R_RECLEN);
}

/* ---- init / attach ---- */

static void write_header(uint8_t *mem, uint32_t used, uint32_t nfiles, uint32_t s1, uint32_t s2)
{
	memset(mem, 0, SF_FS_HEADER_SIZE);
	memcpy(mem + FSH_MAGIC, "SFFS", 4);
	set16(mem + FSH_VERSION, FS_VERSION);
	set16(mem + FSH_HDRSIZE, SF_FS_HEADER_SIZE);
	set32(mem + FSH_USED, used);
	set32(mem + FSH_NFILES, nfiles);
	set32(mem + FSH_SUM1, s1);
	set32(mem + FSH_SUM2, s2);
}

int sf_fs_init(struct sf_fs *fs, void *mem, size_t cap)
{
	if (fs == NULL || mem == NULL)
		return SF_EINVAL;
	if (cap < SF_FS_HEADER_SIZE)
		return SF_ECARD_FS_SPACE;
	if (cap > UINT32_MAX)
		cap = UINT32_MAX;
	write_header(mem, SF_FS_HEADER_SIZE, 0, 0, 0);
	memset(fs, 0, sizeof(*fs));
	fs->mem = mem;
	fs->cap = cap;
	fs->dirty = SF_FS_DIRTY_ARENA;
	return 0;
}

static int lcsi_ok(uint8_t l)
{
	/* §11.1.1.4.9: 01 creation, 03 initialisation, 05/07 activated,
	 * 04/06 deactivated, 0C..0F terminated. */
	return l == 0x01 || l == 0x03 || (l >= 0x04 && l <= 0x07) || (l >= 0x0C && l <= 0x0F);
}

static int fid_reserved(uint32_t fid)
{
	return fid == 0x3F00 || fid == 0x7FFF || fid == 0x3FFF || fid == 0xFFFF;
}

/* Checks the record at f (structure only, relative to the records before
 * it): 0 or SF_ECARD_FS_CORRUPT.  A view `v` with used = f covers the
 * earlier records. */
static int check_record(const uint8_t *mem, uint32_t used, uint32_t f)
{
	if (used - f < SF_FS_FILE_OVERHEAD)
		return SF_ECARD_FS_CORRUPT;
	const uint8_t *r = mem + f;
	unsigned type = r[R_TYPE], aidlen = r[R_AIDLEN], nrec = r[R_NREC];
	uint32_t len = sf__fs_get32(r + R_LEN), size = sf__fs_get32(r + R_SIZE);
	uint32_t reclen = sf__fs_get16(r + R_RECLEN), fid = sf__fs_get16(r + R_FID);
	uint32_t parent = sf__fs_get32(r + R_PARENT);
	if (r[R_MAGIC] != FS_REC_MAGIC || type < SF_FS_MF || type > SF_FS_EF_CYCLIC ||
	    !lcsi_ok(r[R_LCSI]) || r[R_SECKIND] > 1 || aidlen > SF_FS_AID_MAX)
		return SF_ECARD_FS_CORRUPT;
	if (size > 0xFFFF || (uint64_t)SF_FS_FILE_OVERHEAD + aidlen + size != len ||
	    len > used - f)
		return SF_ECARD_FS_CORRUPT;
	if ((type == SF_FS_ADF) != (aidlen > 0))
		return SF_ECARD_FS_CORRUPT;
	if (sf__fs_is_df(type)) {
		if (size != 0 || reclen != 0 || nrec != 0 || r[R_SFI] != 0 || r[R_CYC] != 0)
			return SF_ECARD_FS_CORRUPT;
	} else if (sf__fs_is_rec(type)) {
		if (reclen == 0 || reclen > 255 || nrec == 0 || nrec > 254 ||
		    size != reclen * nrec || r[R_CYC] >= nrec || r[R_SFI] > 30)
			return SF_ECARD_FS_CORRUPT;
	} else if (reclen != 0 || nrec != 0 || r[R_CYC] != 0 || r[R_SFI] > 30) {
		return SF_ECARD_FS_CORRUPT;
	}
	if (f == SF_FS_HEADER_SIZE) /* the MF, and only the first record */
		return type == SF_FS_MF && fid == 0x3F00 && parent == 0 ? 0 : SF_ECARD_FS_CORRUPT;
	if (type == SF_FS_MF || fid_reserved(fid))
		return SF_ECARD_FS_CORRUPT;

	/* The parent is an earlier DF record; no sibling has the same FID (or
	 * SFI, or AID among ADFs). */
	int parent_ok = 0;
	for (uint32_t g = SF_FS_HEADER_SIZE; g < f; g += sf__fs_get32(mem + g + R_LEN)) {
		const uint8_t *q = mem + g;
		if (g == parent && sf__fs_is_df(q[R_TYPE]))
			parent_ok = 1;
		if (type == SF_FS_ADF) {
			if (q[R_TYPE] == SF_FS_ADF && q[R_AIDLEN] == aidlen &&
			    memcmp(q + SF_FS_FILE_OVERHEAD, r + SF_FS_FILE_OVERHEAD, aidlen) == 0)
				return SF_ECARD_FS_CORRUPT;
			continue;
		}
		if (sf__fs_get32(q + R_PARENT) != parent || q[R_TYPE] == SF_FS_ADF)
			continue;
		if (sf__fs_get16(q + R_FID) == fid)
			return SF_ECARD_FS_CORRUPT;
		if (r[R_SFI] != 0 && q[R_SFI] == r[R_SFI])
			return SF_ECARD_FS_CORRUPT;
	}
	if (!parent_ok || (type == SF_FS_ADF && parent != SF_FS_HEADER_SIZE))
		return SF_ECARD_FS_CORRUPT;
	return 0;
}

int sf_fs_attach(struct sf_fs *fs, void *mem_, size_t cap)
{
	uint8_t *mem = mem_;
	if (fs == NULL || mem == NULL)
		return SF_EINVAL;
	if (cap < SF_FS_HEADER_SIZE || memcmp(mem + FSH_MAGIC, "SFFS", 4) != 0 ||
	    sf__fs_get16(mem + FSH_VERSION) != FS_VERSION ||
	    sf__fs_get16(mem + FSH_HDRSIZE) != SF_FS_HEADER_SIZE)
		return SF_ECARD_FS_CORRUPT;
	uint32_t used = sf__fs_get32(mem + FSH_USED);
	if (used < SF_FS_HEADER_SIZE || used > cap)
		return SF_ECARD_FS_CORRUPT;
	for (size_t i = 24; i < SF_FS_HEADER_SIZE; i++)
		if (mem[i] != 0)
			return SF_ECARD_FS_CORRUPT;
	uint32_t n = 0, f = SF_FS_HEADER_SIZE;
	while (f < used) {
		if (check_record(mem, used, f) != 0)
			return SF_ECARD_FS_CORRUPT;
		f += sf__fs_get32(mem + f + R_LEN);
		n++;
	}
	uint32_t s1, s2;
	sums(mem, used, &s1, &s2);
	if (n != sf__fs_get32(mem + FSH_NFILES) || s1 != sf__fs_get32(mem + FSH_SUM1) ||
	    s2 != sf__fs_get32(mem + FSH_SUM2))
		return SF_ECARD_FS_CORRUPT;
	memset(fs, 0, sizeof(*fs));
	fs->mem = mem;
	fs->cap = cap > UINT32_MAX ? UINT32_MAX : cap;
	return 0;
}

size_t sf_fs_used(const struct sf_fs *fs)
{
	return fs && fs->mem ? sf__fs_used(fs) : 0;
}

unsigned sf_fs_take_dirty(struct sf_fs *fs)
{
	if (fs == NULL)
		return 0;
	unsigned d = fs->dirty;
	fs->dirty = 0;
	return d;
}

/* ---- creation ---- */

struct newfile {
	unsigned type;
	uint16_t fid;
	uint32_t parent;
	const uint8_t *aid;
	size_t aid_len;
	uint32_t size;
	unsigned rec_len, nrec, sfi;
	uint8_t fill;
	const struct sf_fs_attr *attr;
};

static int append(struct sf_fs *fs, const struct newfile *nf, uint32_t *out)
{
	uint8_t lcsi = nf->attr->lcsi ? nf->attr->lcsi : SF_FS_LCSI_ACTIVATED;
	if (!lcsi_ok(lcsi))
		return SF_ECARD_FS_PARAM;
	uint32_t used = sf__fs_used(fs);
	uint64_t len = (uint64_t)SF_FS_FILE_OVERHEAD + nf->aid_len + nf->size;
	if (len > fs->cap - used)
		return SF_ECARD_FS_SPACE;

	uint8_t h[SF_FS_FILE_OVERHEAD];
	memset(h, 0, sizeof(h));
	h[R_MAGIC] = FS_REC_MAGIC;
	h[R_TYPE] = (uint8_t)nf->type;
	h[R_LCSI] = lcsi;
	h[R_SFI] = (uint8_t)nf->sfi;
	set16(h + R_FID, nf->fid);
	h[R_AIDLEN] = (uint8_t)nf->aid_len;
	h[R_SECKIND] = nf->attr->arr_rec ? 1 : 0;
	set32(h + R_PARENT, nf->parent);
	set32(h + R_LEN, (uint32_t)len);
	set32(h + R_SIZE, nf->size);
	set16(h + R_RECLEN, nf->rec_len);
	h[R_NREC] = (uint8_t)nf->nrec;
	if (nf->attr->arr_rec) {
		set16(h + R_ARRFID, nf->attr->arr_fid);
		h[R_ARRREC] = nf->attr->arr_rec;
	}

	/* Bytes beyond `used` are outside the checksums: zero them, extend
	 * `used`, then write through sf__fs_put so the sums include them. */
	uint32_t f = used;
	memset(fs->mem + f, 0, (size_t)len);
	set32(fs->mem + FSH_USED, (uint32_t)(used + len));
	set32(fs->mem + FSH_NFILES, sf__fs_get32(fs->mem + FSH_NFILES) + 1);
	sf__fs_put(fs, f, h, sizeof(h));
	if (nf->aid_len)
		sf__fs_put(fs, f + SF_FS_FILE_OVERHEAD, nf->aid, nf->aid_len);
	uint8_t fill[64];
	memset(fill, nf->fill, sizeof(fill));
	uint32_t body = f + SF_FS_FILE_OVERHEAD + (uint32_t)nf->aid_len;
	for (uint32_t o = 0; o < nf->size; o += sizeof(fill)) {
		uint32_t k = nf->size - o < sizeof(fill) ? nf->size - o : (uint32_t)sizeof(fill);
		sf__fs_put(fs, body + o, fill, k);
	}
	if (out)
		*out = f;
	return 0;
}

/* Common checks for a file below DF `parent` with FID fid and SFI sfi. */
static int check_new(const struct sf_fs *fs, uint32_t parent, uint16_t fid, unsigned sfi)
{
	if (!sf__fs_valid(fs, parent) || !sf__fs_is_df(FS_F8(fs, parent, R_TYPE)))
		return SF_ECARD_FS_PARENT;
	if (fid_reserved(fid))
		return SF_ECARD_FS_PARAM;
	if (fid == FS_F16(fs, parent, R_FID) || sf__fs_child(fs, parent, fid, 0) != 0)
		return SF_ECARD_FS_EXISTS;
	if (sfi != 0 && sf__fs_child_sfi(fs, parent, (uint8_t)sfi) != 0)
		return SF_ECARD_FS_EXISTS;
	return 0;
}

int sf_fs_create_mf(struct sf_fs *fs, const struct sf_fs_attr *attr, uint32_t *out)
{
	if (fs == NULL || fs->mem == NULL || attr == NULL)
		return SF_EINVAL;
	if (sf__fs_first(fs) != 0)
		return SF_ECARD_FS_EXISTS;
	struct newfile nf = {.type = SF_FS_MF, .fid = 0x3F00, .attr = attr};
	return append(fs, &nf, out);
}

int sf_fs_create_df(struct sf_fs *fs, uint32_t parent, uint16_t fid, const struct sf_fs_attr *attr,
		    uint32_t *out)
{
	if (fs == NULL || fs->mem == NULL || attr == NULL)
		return SF_EINVAL;
	int rc = check_new(fs, parent, fid, 0);
	if (rc != 0)
		return rc;
	struct newfile nf = {.type = SF_FS_DF, .fid = fid, .parent = parent, .attr = attr};
	return append(fs, &nf, out);
}

int sf_fs_create_adf(struct sf_fs *fs, uint16_t fid, const uint8_t *aid, size_t aid_len,
		     const struct sf_fs_attr *attr, uint32_t *out)
{
	if (fs == NULL || fs->mem == NULL || attr == NULL || aid == NULL)
		return SF_EINVAL;
	uint32_t mf = sf__fs_first(fs);
	if (mf == 0)
		return SF_ECARD_FS_PARENT;
	if (aid_len == 0 || aid_len > SF_FS_AID_MAX || fid_reserved(fid))
		return SF_ECARD_FS_PARAM;
	for (uint32_t g = sf__fs_first(fs); g != 0; g = sf__fs_next(fs, g))
		if (FS_F8(fs, g, R_TYPE) == SF_FS_ADF && FS_F8(fs, g, R_AIDLEN) == aid_len &&
		    memcmp(fs->mem + g + SF_FS_FILE_OVERHEAD, aid, aid_len) == 0)
			return SF_ECARD_FS_EXISTS;
	struct newfile nf = {.type = SF_FS_ADF, .fid = fid, .parent = mf, .aid = aid,
			     .aid_len = aid_len, .attr = attr};
	return append(fs, &nf, out);
}

int sf_fs_create_ef(struct sf_fs *fs, uint32_t parent, uint16_t fid,
		    const struct sf_fs_ef_params *p, const struct sf_fs_attr *attr, uint32_t *out)
{
	if (fs == NULL || fs->mem == NULL || attr == NULL || p == NULL)
		return SF_EINVAL;
	struct newfile nf = {.type = p->type, .fid = fid, .parent = parent, .fill = p->fill,
			     .attr = attr};
	switch (p->type) {
	case SF_FS_EF_TRANSPARENT:
		if (p->size > 0xFFFF)
			return SF_ECARD_FS_PARAM;
		nf.size = p->size;
		break;
	case SF_FS_EF_LINEAR_FIXED:
	case SF_FS_EF_CYCLIC:
		if (p->rec_len == 0 || p->nrec == 0 || p->nrec > 254)
			return SF_ECARD_FS_PARAM;
		nf.rec_len = p->rec_len;
		nf.nrec = p->nrec;
		nf.size = (uint32_t)p->rec_len * p->nrec;
		break;
	default:
		return SF_ECARD_FS_PARAM;
	}
	if (p->sfi == SF_FS_SFI_DEFAULT)
		nf.sfi = fid & 0x1F; /* §11.1.1.4.8: default SFI = 5 low bits of the FID */
	else if (p->sfi <= 30)
		nf.sfi = p->sfi;
	else
		return SF_ECARD_FS_PARAM;
	if (nf.sfi == 31)
		nf.sfi = 0;
	int rc = check_new(fs, parent, fid, nf.sfi);
	if (rc != 0)
		return rc;
	return append(fs, &nf, out);
}

static int ef_handle(const struct sf_fs *fs, uint32_t file)
{
	if (fs == NULL || fs->mem == NULL)
		return SF_EINVAL;
	if (!sf__fs_valid(fs, file) || sf__fs_is_df(FS_F8(fs, file, R_TYPE)))
		return SF_ENOENT;
	return 0;
}

int sf_fs_write_content(struct sf_fs *fs, uint32_t file, size_t offset, const uint8_t *data,
			size_t len)
{
	int rc = ef_handle(fs, file);
	if (rc != 0)
		return rc;
	if (data == NULL && len > 0)
		return SF_EINVAL;
	uint32_t size = FS_F32(fs, file, R_SIZE);
	if (offset > size || len > size - offset)
		return SF_ERANGE;
	uint32_t body = (uint32_t)(sf__fs_body(fs, file) - fs->mem);
	if (len)
		sf__fs_put(fs, body + (uint32_t)offset, data, len);
	return 0;
}

int sf_fs_write_record(struct sf_fs *fs, uint32_t file, unsigned recno, const uint8_t *data,
		       size_t len)
{
	int rc = ef_handle(fs, file);
	if (rc != 0)
		return rc;
	if (data == NULL || !sf__fs_is_rec(FS_F8(fs, file, R_TYPE)))
		return data == NULL ? SF_EINVAL : SF_ENOENT;
	if (recno == 0 || recno > FS_F8(fs, file, R_NREC) || len != FS_F16(fs, file, R_RECLEN))
		return SF_ERANGE;
	uint32_t body = (uint32_t)(sf__fs_body(fs, file) - fs->mem);
	sf__fs_put(fs, body + sf__fs_rec_off(fs, file, recno), data, len);
	return 0;
}

int sf_fs_read_content(const struct sf_fs *fs, uint32_t file, size_t offset, uint8_t *dst,
		       size_t len)
{
	int rc = ef_handle(fs, file);
	if (rc != 0)
		return rc;
	if (dst == NULL && len > 0)
		return SF_EINVAL;
	uint32_t size = FS_F32(fs, file, R_SIZE);
	if (offset > size || len > size - offset)
		return SF_ERANGE;
	if (len)
		memcpy(dst, sf__fs_body(fs, file) + offset, len);
	return 0;
}

int sf_fs_set_lcsi(struct sf_fs *fs, uint32_t file, uint8_t lcsi)
{
	if (fs == NULL || fs->mem == NULL)
		return SF_EINVAL;
	if (!sf__fs_valid(fs, file))
		return SF_ENOENT;
	if (!lcsi_ok(lcsi))
		return SF_ECARD_FS_PARAM;
	sf__fs_put8(fs, file + R_LCSI, lcsi);
	return 0;
}

/* ---- look-ups ---- */

int sf_fs_mf(const struct sf_fs *fs, uint32_t *out)
{
	if (fs == NULL || fs->mem == NULL || out == NULL)
		return SF_EINVAL;
	*out = sf__fs_first(fs);
	return *out ? 0 : SF_ENOENT;
}

int sf_fs_find(const struct sf_fs *fs, uint32_t parent, uint16_t fid, uint32_t *out)
{
	if (fs == NULL || fs->mem == NULL || out == NULL)
		return SF_EINVAL;
	if (!sf__fs_valid(fs, parent))
		return SF_ENOENT;
	uint32_t f = sf__fs_child(fs, parent, fid, 0);
	if (f == 0)
		return SF_ENOENT;
	*out = f;
	return 0;
}

int sf_fs_find_path(const struct sf_fs *fs, const uint8_t *path, size_t len, uint32_t *out)
{
	if (fs == NULL || fs->mem == NULL || out == NULL || (path == NULL && len > 0) ||
	    (len & 1))
		return SF_EINVAL;
	uint32_t f = sf__fs_first(fs);
	if (f == 0)
		return SF_ENOENT;
	for (size_t i = 0; i < len; i += 2) {
		if (!sf__fs_is_df(FS_F8(fs, f, R_TYPE)))
			return SF_ENOENT;
		f = sf__fs_child(fs, f, (uint16_t)((path[i] << 8) | path[i + 1]), 0);
		if (f == 0)
			return SF_ENOENT;
	}
	*out = f;
	return 0;
}

int sf_fs_find_adf(const struct sf_fs *fs, const uint8_t *aid, size_t aid_len, uint32_t *out)
{
	if (fs == NULL || fs->mem == NULL || out == NULL || aid == NULL || aid_len == 0 ||
	    aid_len > SF_FS_AID_MAX)
		return SF_EINVAL;
	uint32_t f = sf__fs_adf(fs, aid, aid_len, 0);
	if (f == 0)
		return SF_ENOENT;
	*out = f;
	return 0;
}

int sf_fs_info(const struct sf_fs *fs, uint32_t file, struct sf_fs_info *out)
{
	if (fs == NULL || fs->mem == NULL || out == NULL)
		return SF_EINVAL;
	if (!sf__fs_valid(fs, file))
		return SF_ENOENT;
	memset(out, 0, sizeof(*out));
	out->type = (enum sf_fs_type)FS_F8(fs, file, R_TYPE);
	out->fid = (uint16_t)FS_F16(fs, file, R_FID);
	out->sfi = FS_F8(fs, file, R_SFI);
	out->lcsi = FS_F8(fs, file, R_LCSI);
	out->parent = FS_F32(fs, file, R_PARENT);
	out->size = FS_F32(fs, file, R_SIZE);
	out->rec_len = (uint8_t)FS_F16(fs, file, R_RECLEN);
	out->nrec = FS_F8(fs, file, R_NREC);
	out->aid_len = FS_F8(fs, file, R_AIDLEN);
	memcpy(out->aid, fs->mem + file + SF_FS_FILE_OVERHEAD, out->aid_len);
	out->arr_fid = (uint16_t)FS_F16(fs, file, R_ARRFID);
	out->arr_rec = FS_F8(fs, file, R_ARRREC);
	return 0;
}
