/*
 * The SAIP installer: profile package (PEDefinitions 3.3.1) -> UICC file
 * system, PINs/PUKs and the USIM's AKA configuration.
 *
 *   template PEs, Fcp, File            SAIP v3.3.1 §8.3 and Annex A (tables in
 *                                      templates.c), ETSI TS 102 222 (Fcp coding)
 *   file descriptor                    ETSI TS 102 221 §11.1.1.4.3
 *   genericFileManagement              SAIP §8.3.5 (filePath, createFCP, fill*)
 *   PINs, PUKs                         SAIP §8.5, ETSI TS 102 221 §9.4 (key refs)
 *   akaParameter                       SAIP §8.6, TS 33.102 Annex C (SQN array)
 *   EF_SPN, EF_UST                     3GPP TS 31.102 §4.2.12, §4.2.8
 *
 * Each element is validated completely by sf_saip_next() before it is acted
 * on.  Files are created when their File field ends (so a missing size can
 * be taken from the template or from the content), contents are written in
 * the order of the package; the files of a "Created by Default" template
 * that its PE does not list are created after the PE with the template's
 * defaults (create_by_default).  No heap.
 */
#include <string.h>

#include "install_internal.h"
#include "simfleet/err.h"
#include "simfleet/saip_install.h"

#define MAX_OPS 128 /* fillFileContent items of one file */
#define MAX_ADF 8

struct op {
	size_t pos;
	const uint8_t *p;
	size_t len;
};

struct inst {
	struct sf_fs *fs;
	struct sf_pins *pins;
	struct sf_saip_installed *out;
	struct sf_saip_error *err;
	const struct sf_saip_pe *pe;
	/* applications and ADF temporary FIDs (for paths) */
	uint32_t mf, usim, isim, csim, telecom;
	struct {
		uint16_t fid;
		uint32_t h;
	} adf[MAX_ADF];
	unsigned nadf;
	unsigned last_app; /* SF_SAIP_PE_USIM / ISIM / CSIM: the last application PE */
	struct sf_saip_puks puks;
	int have_puks;
	/* the template PE being walked */
	const struct sf__saip_template *tpl;
	uint32_t root, cur_df;
	int skip_pe;                             /* the root DF was doNotCreate */
	uint32_t seen[SF__SAIP_TFILES_MAX / 32]; /* template files the PE listed */
	/* the file being collected */
	int pending;
	const char *fname;
	int first_field;
	int dnc;
	int have_fcp;
	struct sf_saip_fcp fcp;
	size_t pos;
	unsigned nops;
	struct op ops[MAX_OPS];
};

static int fail(struct inst *c, int code, const char *field, const char *detail)
{
	if (c->err != NULL) {
		memset(c->err, 0, sizeof(*c->err));
		c->err->code = code;
		c->err->element = c->pe ? c->pe->name : "package";
		c->err->field = field;
		c->err->detail = detail;
		if (c->pe != NULL) {
			c->err->tag = c->pe->raw_len ? c->pe->raw[0] : 0;
			c->err->index = c->pe->index;
			c->err->offset = c->pe->offset;
		}
	}
	return code;
}

static unsigned be(const uint8_t *p, size_t n)
{
	unsigned v = 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* ---- paths ---- */

static uint32_t adf_by_fid(const struct inst *c, uint16_t fid)
{
	for (unsigned i = 0; i < c->nadf; i++)
		if (c->adf[i].fid == fid)
			return c->adf[i].h;
	return 0;
}

/* A filePath / linkPath (SAIP §8.3.5: FIDs from the MF without 3F00, an
 * ADF named by its temporary FID) to a handle. */
static int resolve_path(const struct inst *c, const uint8_t *p, size_t len, uint32_t *out)
{
	if (len & 1)
		return SF_ENOENT;
	uint32_t f = c->mf;
	size_t i = 0;
	if (len >= 2) {
		uint32_t a = adf_by_fid(c, (uint16_t)be(p, 2));
		if (a != 0) {
			f = a;
			i = 2;
		}
	}
	for (; i < len; i += 2) {
		uint32_t n;
		if (sf_fs_find(c->fs, f, (uint16_t)be(p + i, 2), &n) != 0)
			return SF_ENOENT;
		f = n;
	}
	*out = f;
	return f ? 0 : SF_ENOENT;
}

/* ---- Fcp -> file system parameters ---- */

/* securityAttributesReferenced (SAIP Fcp comment): ARR FID + record, or the
 * record alone with EF_ARR 2F06 for ADFs, the MF and files directly under
 * the MF, 6F06 for any other file. */
static void sec_attr(const struct inst *c, const struct sf__saip_tfile *tf, uint32_t parent,
                     int is_adf_or_mf, struct sf_fs_attr *a)
{
	uint16_t implicit = (is_adf_or_mf || parent == c->mf) ? 0x2F06 : 0x6F06;
	memset(a, 0, sizeof(*a));
	a->lcsi = c->have_fcp ? c->fcp.lcsi : SF_FS_LCSI_ACTIVATED;
	if (c->have_fcp && c->fcp.sec_attr.present && c->fcp.sec_attr.len == 3) {
		a->arr_fid = (uint16_t)be(c->fcp.sec_attr.p, 2);
		a->arr_rec = c->fcp.sec_attr.p[2];
	} else if (c->have_fcp && c->fcp.sec_attr.present && c->fcp.sec_attr.len == 1) {
		a->arr_fid = implicit;
		a->arr_rec = c->fcp.sec_attr.p[0];
	} else if (tf != NULL) {
		a->arr_fid = implicit;
		a->arr_rec = tf->arr;
	}
}

static size_t extent(const struct inst *c)
{
	size_t e = 0;
	for (unsigned i = 0; i < c->nops; i++)
		if (c->ops[i].pos + c->ops[i].len > e)
			e = c->ops[i].pos + c->ops[i].len;
	return e;
}

/* Initial content from fillPattern / repeatPattern (ETSI TS 102 222
 * §6.3.2.2 [U: clause]): a fill pattern is written at the start of the
 * file (of each record) and its last octet repeated to the end; a repeat
 * pattern is repeated over the whole file (each record). */
static int apply_pattern(struct inst *c, uint32_t h, const struct sf_fs_ef_params *ep)
{
	const struct sf_saip_bytes *fp = &c->fcp.fill_pattern, *rp = &c->fcp.repeat_pattern;
	if (!c->have_fcp || !c->fcp.has_proprietary || (!fp->present && !rp->present))
		return 0;
	const struct sf_saip_bytes *pat = fp->present ? fp : rp;
	if (pat->len == 0)
		return 0;
	size_t unit = ep->type == SF_FS_EF_TRANSPARENT ? ep->size : ep->rec_len;
	unsigned n = ep->type == SF_FS_EF_TRANSPARENT ? 1 : ep->nrec;
	uint8_t buf[64];
	for (unsigned r = 0; r < n; r++) {
		for (size_t o = 0; o < unit; o += sizeof buf) {
			size_t k = unit - o < sizeof buf ? unit - o : sizeof buf;
			for (size_t j = 0; j < k; j++) {
				size_t x = o + j;
				if (fp->present)
					buf[j] = x < pat->len ? pat->p[x] : pat->p[pat->len - 1];
				else
					buf[j] = pat->p[x % pat->len];
			}
			int rc = sf_fs_write_content(c->fs, h, r * unit + o, buf, k);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Hex octets of s up to "..." or the end: at most cap, *n set; 0 or -1. */
static int unhex_run(const char *s, size_t len, uint8_t *dst, size_t cap, size_t *n)
{
	*n = 0;
	if (len & 1)
		return -1;
	for (size_t i = 0; i < len; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0 || *n == cap)
			return -1;
		dst[(*n)++] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* The template's default content (Annex A notation, see install_internal.h)
 * written to every record (record EFs) or to the file (transparent).  With
 * "...": the octets before it, the last of them repeated, then the octets
 * after it at the end; a unit shorter than both gets their start.  Without:
 * the octets at the start, the rest keeps the fill. */
static int write_default(struct inst *c, uint32_t h, const struct sf_fs_ef_params *ep,
                         const char *dv)
{
	uint8_t pre[48], suf[48], buf[64];
	size_t np = 0, ns = 0;
	const char *dots = strstr(dv, "...");
	size_t lp = dots ? (size_t)(dots - dv) : strlen(dv);
	if (unhex_run(dv, lp, pre, sizeof pre, &np) != 0 ||
	    (dots && unhex_run(dots + 3, strlen(dots + 3), suf, sizeof suf, &ns) != 0) || np == 0)
		return SF_EINTERNAL;
	size_t unit = ep->type == SF_FS_EF_TRANSPARENT ? ep->size : ep->rec_len;
	unsigned nunits = ep->type == SF_FS_EF_TRANSPARENT ? 1 : ep->nrec;
	size_t len = dots ? unit : (np < unit ? np : unit);
	for (unsigned r = 0; r < nunits; r++) {
		for (size_t o = 0; o < len; o += sizeof buf) {
			size_t k = len - o < sizeof buf ? len - o : sizeof buf;
			for (size_t j = 0; j < k; j++) {
				size_t x = o + j;
				if (x < np)
					buf[j] = pre[x];
				else if (dots && unit < np + ns)
					buf[j] = suf[x - np];
				else if (dots && x >= unit - ns)
					buf[j] = suf[x - (unit - ns)];
				else
					buf[j] = pre[np - 1];
			}
			int rc = sf_fs_write_content(c->fs, h, r * unit + o, buf, k);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

static int write_ops(struct inst *c, uint32_t h)
{
	for (unsigned i = 0; i < c->nops; i++) {
		int rc = sf_fs_write_content(c->fs, h, c->ops[i].pos, c->ops[i].p, c->ops[i].len);
		if (rc != 0)
			return fail(c, SF_ESAIP_VALUE, c->fname,
			            "fillFileOffset/fillFileContent past the end of the file");
	}
	return 0;
}

static int fs_fail(struct inst *c, int rc, const char *what)
{
	if (rc == SF_ECARD_FS_SPACE)
		return fail(c, rc, c->fname,
		            "the file system arena is full: retry with a larger one");
	if (rc == SF_ECARD_FS_EXISTS)
		return fail(c, rc, c->fname,
		            "a file with this FID, SFI or AID already exists there");
	return fail(c, rc, c->fname, what);
}

/* Link files (linkPath, SAIP Fcp): the file system has no links, so the
 * linked file's structure and current content are copied [documented
 * limitation]. */
static int create_link(struct inst *c, uint32_t parent, uint16_t fid, const struct sf_fs_attr *a)
{
	uint32_t t, h;
	struct sf_fs_info ti;
	if (resolve_path(c, c->fcp.link_path.p, c->fcp.link_path.len, &t) != 0 ||
	    sf_fs_info(c->fs, t, &ti) != 0 || ti.type < SF_FS_EF_TRANSPARENT)
		return fail(c, SF_ESAIP_UNSUPPORTED, c->fname,
		            "linkPath names no EF of the profile");
	struct sf_fs_ef_params ep = {.type = ti.type,
	                             .size = ti.size,
	                             .rec_len = ti.rec_len,
	                             .nrec = ti.nrec,
	                             .sfi = SF_FS_SFI_NONE,
	                             .fill = 0xFF};
	if (c->fcp.short_efid.present && c->fcp.short_efid.len == 1)
		ep.sfi = c->fcp.short_efid.p[0] >> 3;
	int rc = sf_fs_create_ef(c->fs, parent, fid, &ep, a, &h);
	if (rc != 0)
		return fs_fail(c, rc, "link file not accepted by the file system");
	uint8_t buf[64];
	for (size_t o = 0; o < ti.size; o += sizeof buf) {
		size_t k = ti.size - o < sizeof buf ? ti.size - o : sizeof buf;
		if (sf_fs_read_content(c->fs, t, o, buf, k) != 0 ||
		    sf_fs_write_content(c->fs, h, o, buf, k) != 0)
			return fail(c, SF_EINTERNAL, c->fname, "copying the linked file failed");
	}
	c->out->files++;
	return write_ops(c, h);
}

/* Creates the collected file.  tf: its template entry or NULL (GFM, or a
 * file the table does not know). */
static int create_file(struct inst *c, const struct sf__saip_tfile *tf, uint32_t parent,
                       int is_root, uint32_t *made)
{
	const struct sf_saip_fcp *f = &c->fcp;
	int hf = c->have_fcp;
	int rc;
	*made = 0;
	/* the kind of file: the Fcp's file descriptor, else the template */
	int kind = tf ? tf->type : 0;
	unsigned fd0 = 0, rec_len = tf && tf->type != SF__SAIP_T_TR ? tf->size : 0;
	if (hf && f->file_descriptor.present && f->file_descriptor.len >= 1) {
		fd0 = f->file_descriptor.p[0];
		switch (fd0 & 0x3F) {
		case 0x38:
			kind = (hf && f->df_name.present) ? SF__SAIP_T_ADF : SF__SAIP_T_DF;
			break;
		case 0x01:
			kind = SF__SAIP_T_TR;
			break;
		case 0x02:
			kind = SF__SAIP_T_LF;
			break;
		case 0x06:
			kind = SF__SAIP_T_CY;
			break;
		case 0x39:
			kind = SF__SAIP_T_BT;
			break;
		default:
			return fail(c, SF_ESAIP_UNSUPPORTED, c->fname,
			            "file descriptor type not supported");
		}
		if ((kind == SF__SAIP_T_LF || kind == SF__SAIP_T_CY) && f->file_descriptor.len >= 4)
			rec_len = be(f->file_descriptor.p + 2, 2);
	}
	if (kind == SF__SAIP_T_MF && tf && tf->type != SF__SAIP_T_MF)
		kind = tf->type;
	if (kind == 0)
		return fail(c, SF_ESAIP_UNSUPPORTED, c->fname,
		            "file unknown to the template table and no fileDescriptor given");
	uint16_t fid = tf ? tf->fid : 0;
	if (hf && f->file_id.present && f->file_id.len == 2)
		fid = (uint16_t)be(f->file_id.p, 2);
	if (fid == 0 && kind != SF__SAIP_T_MF)
		return fail(c, SF_ESAIP_UNSUPPORTED, c->fname,
		            "no fileID in the Fcp or the template");

	struct sf_fs_attr a;
	sec_attr(c, tf, parent, kind == SF__SAIP_T_MF || kind == SF__SAIP_T_ADF, &a);
	if (a.arr_rec == 0)
		return fail(c, SF_ESAIP_VALUE, c->fname,
		            "securityAttributesReferenced missing and no template default");

	if (kind == SF__SAIP_T_MF) {
		rc = sf_fs_create_mf(c->fs, &a, made);
		if (rc != 0)
			return fs_fail(c, rc, "MF not accepted by the file system");
		c->mf = *made;
		c->out->files++;
		return 0;
	}
	if (kind == SF__SAIP_T_ADF) {
		if (!hf || !f->df_name.present)
			return fail(c, SF_ESAIP_VALUE, c->fname, "an ADF needs dfName (its AID)");
		if (c->nadf == MAX_ADF)
			return fail(c, SF_ESAIP_UNSUPPORTED, c->fname, "too many ADFs");
		rc = sf_fs_create_adf(c->fs, fid, f->df_name.p, f->df_name.len, &a, made);
		if (rc != 0)
			return fs_fail(c, rc, "ADF not accepted by the file system");
		c->adf[c->nadf].fid = fid;
		c->adf[c->nadf++].h = *made;
		c->out->files++;
		return 0;
	}
	if (kind == SF__SAIP_T_DF) {
		rc = sf_fs_create_df(c->fs, parent, fid, &a, made);
		if (rc != 0)
			return fs_fail(c, rc, "DF not accepted by the file system");
		c->out->files++;
		return 0;
	}
	(void)is_root;

	if (hf && f->link_path.present && f->link_path.len > 0)
		return create_link(c, parent, fid, &a);

	/* an EF: size from efFileSize, else the template, else the content */
	struct sf_fs_ef_params ep = {.fill = 0xFF};
	size_t size = 0;
	int have_size = 0;
	if (hf && f->ef_file_size.present && f->ef_file_size.len >= 1 && f->ef_file_size.len <= 3) {
		size = be(f->ef_file_size.p, f->ef_file_size.len);
		have_size = 1;
	} else if (kind == SF__SAIP_T_BT && hf && f->maximum_file_size.present &&
	           f->maximum_file_size.len >= 1 && f->maximum_file_size.len <= 3) {
		size = be(f->maximum_file_size.p, f->maximum_file_size.len);
		have_size = 1;
	}
	if (kind == SF__SAIP_T_TR || kind == SF__SAIP_T_BT) {
		/* BER-TLV EFs are created as transparent EFs of their maximum
		 * size: the file system has no BER-TLV structure [limitation] */
		ep.type = SF_FS_EF_TRANSPARENT;
		if (!have_size && tf && tf->size) {
			size = tf->size;
			have_size = 1;
		}
		if (!have_size)
			size = extent(c) ? extent(c) : 1; /* [U] template without a size */
		ep.size = (uint32_t)size;
	} else {
		ep.type = kind == SF__SAIP_T_LF ? SF_FS_EF_LINEAR_FIXED : SF_FS_EF_CYCLIC;
		if (rec_len == 0 || rec_len > 255)
			return fail(c, SF_ESAIP_VALUE, c->fname, "record length must be 1..255");
		unsigned nrec;
		if (have_size) {
			if (size % rec_len != 0)
				return fail(c, SF_ESAIP_VALUE, c->fname,
				            "efFileSize is not a multiple of the record length");
			nrec = (unsigned)(size / rec_len);
		} else if (tf && tf->nrec) {
			nrec = tf->nrec;
		} else {
			size_t e = extent(c);
			nrec = e ? (unsigned)((e + rec_len - 1) / rec_len) : 1; /* [U] */
		}
		if (nrec == 0 || nrec > 254)
			return fail(c, SF_ESAIP_VALUE, c->fname,
			            "number of records must be 1..254");
		ep.rec_len = (uint8_t)rec_len;
		ep.nrec = (uint8_t)nrec;
	}
	/* shortEFID: absent -> the template's SFI (GFM: from the FID); empty ->
	 * no SFI; one octet -> bits b8..b4 */
	if (hf && f->short_efid.present) {
		if (f->short_efid.len == 0)
			ep.sfi = SF_FS_SFI_NONE;
		else if ((f->short_efid.p[0] & 7) != 0 || (f->short_efid.p[0] >> 3) == 0 ||
		         (f->short_efid.p[0] >> 3) > 30)
			return fail(c, SF_ESAIP_VALUE, c->fname,
			            "shortEFID must code an SFI 1..30");
		else
			ep.sfi = f->short_efid.p[0] >> 3;
	} else if (tf) {
		ep.sfi = tf->sfi;
	} else {
		ep.sfi = c->tpl ? SF_FS_SFI_NONE : SF_FS_SFI_DEFAULT;
	}
	if (c->have_fcp && c->fcp.has_proprietary && c->fcp.fill_pattern.present &&
	    c->fcp.fill_pattern.len > 0)
		ep.fill = c->fcp.fill_pattern.p[c->fcp.fill_pattern.len - 1];
	rc = sf_fs_create_ef(c->fs, parent, fid, &ep, &a, made);
	if (rc != 0)
		return fs_fail(c, rc, "EF not accepted by the file system (size, SFI or LCSI)");
	c->out->files++;
	if (ep.type == SF_FS_EF_TRANSPARENT)
		ep.size = (uint32_t)size;
	/* content: the Fcp's fill/repeat pattern, else the template's default
	 * content, then fillFileContent */
	int has_pattern = hf && f->has_proprietary &&
	                  ((f->fill_pattern.present && f->fill_pattern.len > 0) ||
	                   (f->repeat_pattern.present && f->repeat_pattern.len > 0));
	const char *dv = tf && c->tpl ? sf__saip_template_default(c->tpl, tf->name) : NULL;
	rc = 0;
	if (has_pattern)
		rc = apply_pattern(c, *made, &ep);
	else if (dv != NULL)
		rc = write_default(c, *made, &ep, dv);
	if (rc != 0)
		return fail(c, SF_EINTERNAL, c->fname, "writing the initial content failed");
	return write_ops(c, *made);
}

static void file_reset(struct inst *c, const char *name)
{
	c->pending = 1;
	c->fname = name;
	c->dnc = 0;
	c->have_fcp = 0;
	memset(&c->fcp, 0, sizeof(c->fcp));
	c->pos = 0;
	c->nops = 0;
}

static int add_content(struct inst *c, const uint8_t *p, size_t len)
{
	if (!c->pending)
		return fail(c, SF_ESAIP_UNSUPPORTED, c->fname,
		            "fillFileContent without a file created before it");
	if (c->nops == MAX_OPS)
		return fail(c, SF_ESAIP_UNSUPPORTED, c->fname, "too many fillFileContent items");
	c->ops[c->nops].pos = c->pos;
	c->ops[c->nops].p = p;
	c->ops[c->nops++].len = len;
	c->pos += len;
	return 0;
}

static uint32_t app_handle(const struct inst *c, unsigned p)
{
	switch (p) {
	case SF__SAIP_P_MF:
		return c->mf;
	case SF__SAIP_P_USIM:
		return c->usim;
	case SF__SAIP_P_ISIM:
		return c->isim;
	case SF__SAIP_P_CSIM:
		return c->csim;
	case SF__SAIP_P_APP:
		return c->last_app == SF_SAIP_PE_USIM   ? c->usim
		       : c->last_app == SF_SAIP_PE_ISIM ? c->isim
		       : c->last_app == SF_SAIP_PE_CSIM ? c->csim
		                                        : 0;
	default:
		return 0;
	}
}

/* End of a File field of a template PE: create it. */
static int template_file_end(struct inst *c)
{
	const struct sf__saip_tfile *tf = sf__saip_template_file(c->tpl, c->fname);
	int is_root = c->first_field;
	c->pending = 0;
	if (tf != NULL) {
		size_t i = (size_t)(tf - c->tpl->files);
		c->seen[i / 32] |= (uint32_t)1 << (i % 32);
	}
	c->first_field = 0;
	int kind = tf ? tf->type : 0;
	if (c->have_fcp && c->fcp.file_descriptor.present && c->fcp.file_descriptor.len >= 1 &&
	    (c->fcp.file_descriptor.p[0] & 0x3F) == 0x38)
		kind = SF__SAIP_T_DF;
	int is_df = kind == SF__SAIP_T_MF || kind == SF__SAIP_T_DF || kind == SF__SAIP_T_ADF;
	/* doNotCreate has no effect in the MF template (module comment) */
	if (c->dnc && c->tpl->oid_last != 1) {
		if (is_root)
			c->skip_pe = 1;
		if (is_df && !is_root)
			c->cur_df = 0;
		return 0;
	}
	if (c->skip_pe)
		return 0;
	uint32_t parent;
	if (is_root && is_df)
		parent = app_handle(c, c->tpl->parent);
	else if (is_df)
		parent = c->root;
	else
		parent = c->cur_df;
	if (parent == 0 && !(is_root && c->tpl->parent == SF__SAIP_P_NONE)) {
		if (is_df && !is_root)
			return fail(c, SF_ESAIP_ORDER, c->fname,
			            "the template's root DF was not created");
		if (!is_df && c->cur_df == 0 && c->root != 0)
			return 0; /* inside a sub-DF that was doNotCreate */
		return fail(
		    c, SF_ESAIP_ORDER, c->fname,
		    "the DF or application this template extends was not created before it");
	}
	uint32_t h;
	int rc = create_file(c, tf, parent, is_root, &h);
	if (rc != 0)
		return rc;
	if (is_df || (h && c->mf == h)) {
		if (is_root) {
			c->root = h;
			if (c->pe->type == SF_SAIP_PE_USIM)
				c->usim = h;
			else if (c->pe->type == SF_SAIP_PE_ISIM)
				c->isim = h;
			else if (c->pe->type == SF_SAIP_PE_CSIM)
				c->csim = h;
			else if (c->pe->type == SF_SAIP_PE_TELECOM)
				c->telecom = h;
		}
		c->cur_df = h;
	}
	return 0;
}

static int template_cb(void *user, const struct sf_saip_file_item *it)
{
	struct inst *c = user;
	switch (it->op) {
	case SF_SAIP_FILE_BEGIN:
		if (c->tpl == NULL) {
			c->tpl = sf__saip_template_find(it->template_oid, it->template_oid_len);
			if (c->tpl == NULL)
				return fail(
				    c, SF_ESAIP_UNSUPPORTED, "templateID",
				    sf__saip_template_why(it->template_oid, it->template_oid_len));
			c->first_field = 1;
			if (c->tpl->nfiles == 0 || c->tpl->files[0].type == SF__SAIP_T_TR ||
			    c->tpl->files[0].type == SF__SAIP_T_LF ||
			    c->tpl->files[0].type == SF__SAIP_T_CY) {
				/* an "optional" template: files go into the application */
				c->first_field = 0;
				c->root = c->cur_df = app_handle(c, c->tpl->parent);
				if (c->root == 0)
					return fail(c, SF_ESAIP_ORDER, it->file,
					            "the application this template extends was not "
					            "created before it");
			}
		}
		file_reset(c, it->file);
		return 0;
	case SF_SAIP_FILE_DO_NOT_CREATE:
		c->dnc = 1;
		return 0;
	case SF_SAIP_FILE_FCP:
		c->have_fcp = 1;
		c->fcp = it->fcp;
		return 0;
	case SF_SAIP_FILE_OFFSET:
		c->pos += it->offset;
		return 0;
	case SF_SAIP_FILE_CONTENT:
		return add_content(c, it->data, it->len);
	case SF_SAIP_FILE_END:
		return template_file_end(c);
	default:
		return fail(c, SF_ESAIP_FORMAT, it->file, "unexpected item in a template element");
	}
}

/* "Created by Default" templates (MF, ADF_USIM, ADF_ISIM, ADF_CSIM): the
 * eUICC creates every file of the template, with the template's FCP values
 * and default content, unless the PE lists it with doNotCreate; a file the
 * PE lists is created as listed.  The ASN.1 module says so in two places:
 * doNotCreate "Indicates that this file shall not be created by the eUICC
 * even if present in a PE referencing a 'Created by Default' template" (a
 * file of such a template is created without being asked for), and the
 * fields the PE-MF/PE-USIM/PE-ISIM types make OPTIONAL are exactly the
 * template files that have a fixed size (and mostly a default content), the
 * mandatory ones those whose size or content only the profile can give.
 * Sub-DFs are not created this way (none of these templates has one). */
static int create_by_default(struct inst *c)
{
	const struct sf__saip_template *t = c->tpl;
	if (t == NULL || !t->by_default || c->skip_pe || c->root == 0)
		return 0;
	for (size_t i = 0; i < t->nfiles; i++) {
		const struct sf__saip_tfile *tf = &t->files[i];
		if ((c->seen[i / 32] >> (i % 32)) & 1)
			continue;
		if (tf->type == SF__SAIP_T_MF || tf->type == SF__SAIP_T_DF ||
		    tf->type == SF__SAIP_T_ADF)
			continue;
		file_reset(c, tf->name);
		c->pending = 0;
		if (tf->size == 0 || tf->fid == 0 ||
		    ((tf->type == SF__SAIP_T_LF || tf->type == SF__SAIP_T_CY) && tf->nrec == 0))
			return fail(c, SF_ESAIP_VALUE, tf->name,
			            "file of a Created by Default template missing from the "
			            "element, and the template gives it no size: list it with "
			            "its fileDescriptor and efFileSize");
		uint32_t h;
		int rc = create_file(c, tf, c->root, 0, &h);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- genericFileManagement ---- */

static int gfm_flush(struct inst *c)
{
	if (!c->pending)
		return 0;
	c->pending = 0;
	if (!c->have_fcp)
		return 0;
	if (c->cur_df == 0)
		return fail(c, SF_ESAIP_VALUE, "filePath", "createFCP without a selected DF");
	uint32_t h;
	return create_file(c, NULL, c->cur_df, 0, &h);
}

static int gfm_cb(void *user, const struct sf_saip_file_item *it)
{
	struct inst *c = user;
	int rc;
	switch (it->op) {
	case SF_SAIP_FILE_CMD:
		rc = gfm_flush(c);
		c->cur_df = c->mf;
		return rc;
	case SF_SAIP_FILE_PATH:
		if ((rc = gfm_flush(c)) != 0)
			return rc;
		c->fname = "filePath";
		if (resolve_path(c, it->data, it->len, &c->cur_df) != 0)
			return fail(c, SF_ESAIP_VALUE, "filePath", "names no DF of the profile");
		return 0;
	case SF_SAIP_FILE_FCP:
		if ((rc = gfm_flush(c)) != 0)
			return rc;
		file_reset(c, "createFCP");
		c->have_fcp = 1;
		c->fcp = it->fcp;
		return 0;
	case SF_SAIP_FILE_OFFSET:
		if (!c->pending)
			return fail(c, SF_ESAIP_UNSUPPORTED, "fillFileOffset",
			            "fill of a selected (not created) file");
		c->pos += it->offset;
		return 0;
	case SF_SAIP_FILE_CONTENT:
		if (!c->pending)
			return fail(c, SF_ESAIP_UNSUPPORTED, "fillFileContent",
			            "fill of a selected (not created) file");
		return add_content(c, it->data, it->len);
	default:
		return 0;
	}
}

/* ---- PINs and PUKs ---- */

/* pinAttributes [U: bit meanings not in the module]: b1 set = the PIN is
 * enabled (verification required); b3 clear = it may not be disabled.  This
 * reads TS.48's values consistently: PIN1 6 (disabled, may be enabled and
 * disabled), ADM 3, PIN2 3, the DEFAULT 7 (enabled). */
static int install_pins(struct inst *c)
{
	struct sf_saip_pins pins;
	int rc = sf_saip_pins_decode(c->pe, &pins, c->err);
	if (rc != 0)
		return rc;
	if (pins.is_path) {
		c->out->stored_only++; /* shared with another DF: same key references */
		return 0;
	}
	for (unsigned i = 0; i < pins.count; i++) {
		const struct sf_saip_pin *p = &pins.pin[i];
		unsigned flags = 0;
		if (p->attributes & 0x01)
			flags |= SF_PIN_ENABLED;
		if (!(p->attributes & 0x04))
			flags |= SF_PIN_NO_DISABLE;
		if (p->max_attempts < 1 || p->max_attempts > 15 ||
		    p->retries_left > p->max_attempts)
			return fail(c, SF_ESAIP_VALUE, "maxNumOfAttemps-retryNumLeft",
			            "attempts must be 1..15 and retries left at most that");
		rc = sf_pin_set(c->pins, (uint8_t)p->key_ref, p->value, 8, (uint8_t)p->max_attempts,
		                flags);
		if (rc != 0)
			return fail(c, rc == SF_ERANGE ? SF_ESAIP_UNSUPPORTED : SF_ESAIP_VALUE,
			            "pinCodes", "PIN not accepted (too many key references?)");
		struct sf_pin *slot = NULL;
		for (unsigned k = 0; k < SF_PINS_MAX; k++)
			if (c->pins->pin[k].ref == p->key_ref)
				slot = &c->pins->pin[k];
		if (slot != NULL)
			slot->left = (uint8_t)p->retries_left;
		if (p->unblock_ref < 0)
			continue;
		const struct sf_saip_puk *u = NULL;
		for (unsigned k = 0; c->have_puks && k < c->puks.count; k++)
			if ((int)c->puks.puk[k].key_ref == p->unblock_ref)
				u = &c->puks.puk[k];
		if (u == NULL)
			return fail(c, SF_ESAIP_VALUE, "unblockingPINReference",
			            "names no PUK of a preceding pukCodes element");
		if (u->max_attempts < 1 || u->max_attempts > 15 ||
		    u->retries_left > u->max_attempts)
			return fail(c, SF_ESAIP_VALUE, "pukCodes", "PUK attempts must be 1..15");
		rc = sf_pin_set_puk(c->pins, (uint8_t)p->key_ref, u->value, 8,
		                    (uint8_t)u->max_attempts);
		if (rc != 0)
			return fail(c, SF_ESAIP_VALUE, "pukCodes", "PUK not accepted");
		if (slot != NULL)
			slot->puk_left = (uint8_t)u->retries_left;
	}
	return 0;
}

/* ---- akaParameter ---- */

static uint64_t be48(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = (v << 8) | p[i];
	return v;
}

/* sqnOptions [U: bit meanings not in the module]: we apply the age limit L
 * (TS 33.102 Annex C.2.2) only when bit b3 ('04') is set, so the DEFAULT
 * '02'H leaves it off.  IND is 5 bits (32 sqnInit entries).  For the test
 * algorithm the module says sqnOptions/Delta/AgeLimit are ignored: Δ is then
 * the Annex C example 2^28 and L off. */
static int install_aka(struct inst *c)
{
	struct sf_saip_aka aka;
	int rc = sf_saip_aka_decode(c->pe, &aka, c->err);
	if (rc != 0)
		return rc;
	if (c->last_app != SF_SAIP_PE_USIM || c->out->has_aka || aka.is_mapping) {
		c->out->stored_only++;
		return 0;
	}
	struct sf_aka_params *p = &c->out->aka;
	enum sf_aka_alg alg = aka.algorithm == SF_SAIP_ALG_MILENAGE ? SF_AKA_ALG_MILENAGE
	                      : aka.algorithm == SF_SAIP_ALG_TUAK   ? SF_AKA_ALG_TUAK
	                                                            : SF_AKA_ALG_XOR;
	sf_aka_params_init(p, alg);
	if (aka.key_len > sizeof p->k)
		return fail(c, SF_ESAIP_VALUE, "key", "too long");
	memcpy(p->k, aka.key, aka.key_len);
	p->k_len = (uint8_t)aka.key_len;
	if (alg != SF_AKA_ALG_XOR) {
		if (aka.opc_len > sizeof p->opc)
			return fail(c, SF_ESAIP_VALUE, "opc", "too long");
		memcpy(p->opc, aka.opc, aka.opc_len);
		p->opc_len = (uint8_t)aka.opc_len;
	}
	if (alg == SF_AKA_ALG_MILENAGE) {
		memcpy(p->consts.r, aka.rotation_constants, 5);
		for (int i = 0; i < 5; i++)
			memcpy(p->consts.c[i], aka.xoring_constants + 16 * i, 16);
	}
	if (alg == SF_AKA_ALG_TUAK)
		p->keccak_iterations = (uint16_t)aka.number_of_keccak;
	/* algorithmOptions [U]: not interpreted; lengths are the algorithm
	 * defaults of sf_aka_params_init (XOR: RES 16 as libosmocore). */
	if (sf_aka_params_check(p) != 0)
		return fail(c, SF_ESAIP_VALUE, "algoParameter", "not usable by the AKA engine");
	uint64_t delta = SF_SQN_DELTA_DEFAULT, age = 0;
	if (alg != SF_AKA_ALG_XOR) {
		delta = be48(aka.sqn_delta);
		if (aka.sqn_options & 0x04)
			age = be48(aka.sqn_age_limit);
	}
	if (delta == 0)
		delta = 1;
	if (sf_sqn_ms_init(&c->out->sqn, SF_SQN_IND_BITS_DEFAULT, delta, age) != 0)
		return fail(c, SF_ESAIP_VALUE, "sqnDelta", "not accepted");
	for (unsigned i = 0; i < 32; i++) {
		uint64_t s = be48(aka.sqn_init[i]);
		c->out->sqn.seq[i] = s;
		uint64_t sqn = (s << SF_SQN_IND_BITS_DEFAULT) | i;
		if (s != 0 && sqn > c->out->sqn.highest)
			c->out->sqn.highest = sqn;
	}
	c->out->has_aka = 1;
	return 0;
}

/* ---- after the last element ---- */

/* EF_SPN (TS 31.102 §4.2.12): display condition, then the name in the SMS
 * default alphabet (unpacked, FF-padded) or UCS2 ('80').  We decode the
 * ASCII-compatible subset and '@' '$' '_'; any other character becomes '?'. */
static void decode_spn(const uint8_t *b, size_t n, char *dst, size_t cap)
{
	size_t o = 0;
	if (n < 2)
		goto out;
	if (b[1] == 0x80) {
		for (size_t i = 2; i + 1 < n && o + 1 < cap; i += 2) {
			unsigned u = (unsigned)b[i] << 8 | b[i + 1];
			if (u == 0xFFFF)
				break;
			dst[o++] = (u >= 0x20 && u < 0x7F) ? (char)u : '?';
		}
		goto out;
	}
	for (size_t i = 1; i < n && o + 1 < cap; i++) {
		uint8_t x = b[i];
		char ch;
		if (x == 0xFF)
			break;
		if (x == 0x00)
			ch = '@';
		else if (x == 0x02)
			ch = '$';
		else if (x == 0x11)
			ch = '_';
		else if ((x >= 0x20 && x <= 0x23) || (x >= 0x25 && x <= 0x3F) ||
		         (x >= 0x41 && x <= 0x5A) || (x >= 0x61 && x <= 0x7A))
			ch = (char)x;
		else
			ch = '?';
		dst[o++] = ch;
	}
out:
	if (cap)
		dst[o] = 0;
}

static void summarise(struct inst *c)
{
	struct sf_saip_installed *o = c->out;
	struct sf_fs_info in;
	uint32_t h;
	if (c->usim == 0 || sf_fs_info(c->fs, c->usim, &in) != 0)
		return;
	o->has_usim = 1;
	memcpy(o->usim_aid, in.aid, in.aid_len);
	o->usim_aid_len = in.aid_len;
	if (sf_fs_find(c->fs, c->usim, 0x6F46, &h) == 0 && sf_fs_info(c->fs, h, &in) == 0 &&
	    in.size > 0) {
		uint8_t b[64];
		size_t n = in.size < sizeof b ? in.size : sizeof b;
		if (sf_fs_read_content(c->fs, h, 0, b, n) == 0)
			decode_spn(b, n, o->spn, sizeof o->spn);
	}
	/* EF_UST service n: octet (n-1)/8, bit (n-1)%8 */
	if (sf_fs_find(c->fs, c->usim, 0x6F38, &h) == 0 && sf_fs_info(c->fs, h, &in) == 0 &&
	    in.size >= 4) {
		uint8_t b;
		if (sf_fs_read_content(c->fs, h, 3, &b, 1) == 0)
			o->gsm_access = (b >> 2) & 1;
	}
}

int sf_saip_install(const uint8_t *pkg, size_t len, struct sf_fs *fs, struct sf_pins *pins,
                    struct sf_saip_installed *out, struct sf_saip_error *err)
{
	struct sf_saip_reader r;
	struct sf_saip_pe pe;
	struct inst c;
	int rc = SF_EINVAL;
	if (out == NULL)
		return SF_EINVAL;
	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.fs = fs;
	c.pins = pins;
	c.out = out;
	c.err = err;
	if (pkg == NULL || fs == NULL || pins == NULL) {
		fail(&c, rc, NULL, "NULL argument");
		goto out;
	}
	sf_saip_reader_init(&r, pkg, len);
	while ((rc = sf_saip_next(&r, &pe, err)) > 0) {
		c.pe = &pe;
		out->elements++;
		switch (pe.type) {
		case SF_SAIP_PE_HEADER: {
			struct sf_saip_header h;
			rc = sf_saip_header_decode(&pe, &h, err);
			if (rc != 0)
				goto out;
			memcpy(out->iccid, h.iccid, sizeof out->iccid);
			if (h.profile_type != NULL) {
				size_t n = h.profile_type_len < sizeof out->profile_type - 1
				               ? h.profile_type_len
				               : sizeof out->profile_type - 1;
				memcpy(out->profile_type, h.profile_type, n);
				out->profile_type[n] = 0;
			}
			break;
		}
		case SF_SAIP_PE_GENERIC_FILE_MANAGEMENT:
			c.tpl = NULL;
			c.pending = 0;
			c.cur_df = c.mf;
			rc = sf_saip_files_walk(&pe, gfm_cb, &c, err);
			if (rc == 0)
				rc = gfm_flush(&c);
			if (rc != 0)
				goto out;
			break;
		case SF_SAIP_PE_PUK_CODES:
			rc = sf_saip_puks_decode(&pe, &c.puks, err);
			if (rc != 0)
				goto out;
			c.have_puks = 1;
			break;
		case SF_SAIP_PE_PIN_CODES:
			if ((rc = install_pins(&c)) != 0)
				goto out;
			break;
		case SF_SAIP_PE_AKA_PARAMETER:
			if ((rc = install_aka(&c)) != 0)
				goto out;
			break;
		case SF_SAIP_PE_END:
			break;
		default:
			if (!sf_saip_pe_is_template(pe.type)) {
				out->stored_only++; /* cdmaParameter, securityDomain, rfm, ... */
				break;
			}
			c.tpl = NULL;
			c.root = c.cur_df = 0;
			c.skip_pe = 0;
			c.pending = 0;
			memset(c.seen, 0, sizeof c.seen);
			rc = sf_saip_files_walk(&pe, template_cb, &c, err);
			if (rc == 0)
				rc = create_by_default(&c);
			if (rc != 0)
				goto out;
			if (pe.type == SF_SAIP_PE_USIM || pe.type == SF_SAIP_PE_ISIM ||
			    pe.type == SF_SAIP_PE_CSIM)
				c.last_app = pe.type;
			break;
		}
	}
	if (rc < 0)
		goto out;
	summarise(&c);
	rc = 0;
out:
	if (rc != 0) {
		sf_aka_params_wipe(&out->aka);
		out->has_aka = 0;
	}
	return rc;
}
