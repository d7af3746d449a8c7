/*
 * SAIP profile package personalisation: an operator's template package
 * (PEDefinitions v3.3.1) made into one subscriber's package.
 *
 * SIMalliance/TCA eUICC Profile Package: Interoperable Format Technical
 * Specification v3.3.1 (ProfileHeader, template PEs §8.3, PE-AKAParameter
 * §8.6); 3GPP TS 31.102 (EF.IMSI §4.2.2, EF.SPN §4.2.12); ETSI TS 102 221
 * (EF.ICCID §13.2).
 *
 * The template is walked with the parser (sf_saip_next validates every
 * element before it is used) and copied element by element into dst.  The
 * elements that carry per-subscriber data are re-encoded with the DER writer
 * from their parsed fields, so a field whose length changes (a 32-octet TUAK
 * key or TOPc where the template had 16) gets correct lengths all the way up;
 * every field and every element we do not change is copied as its original
 * octets.  What changes:
 *
 *   header        iccid; the algorithm services of eUICC-Mandatory-services
 *                 (milenage, tuak128, tuak256, usim-test-algorithm) become the
 *                 subscriber's algorithm, the other services stay
 *   mf            ef-iccid: its fill items become one fillFileContent
 *   usim          ef-imsi: likewise; ef-spn when an SPN is given
 *   akaParameter  algorithmID, key, opc (algorithmOptions when the algorithm
 *                 changes); rotation/xoring constants, authCounterMax,
 *                 numberOfKeccak and the SQN fields stay
 *
 * Which akaParameter: the installer (install.c) keys the USIM with the first
 * akaParameter holding an algoParameter after the usim element; a second one
 * there is ambiguous and refused.  An algoParameter after the isim element
 * (TS.48 has one) gets the same credentials: the subscriber has one K, and
 * leaving the template's key there would give every subscriber the same ISIM
 * key.  An algoParameter that follows neither is refused for the same reason;
 * a mappingParameter (it points at another application's key) is copied.
 *
 * The output holds K: on failure dst is wiped.  No heap, nothing kept.
 */
#include <string.h>

#include "saip_internal.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/saip.h"
#include "simfleet/util.h"

#define MAX_CHILDREN 40 /* fields of one PE we rewrite: usim has 26 at most */

/* The mandatory-services bits that name an algorithm. */
#define SVC_ALGS                                                                                   \
	(SF_SAIP_SVC_MILENAGE | SF_SAIP_SVC_TUAK128 | SF_SAIP_SVC_TUAK256 |                        \
	 SF_SAIP_SVC_USIM_TEST_ALGORITHM)

struct pz {
	const struct sf_saip_build_params *prm;
	struct sf_saip_error *err;
	uint8_t iccid_hdr[10], iccid_ef[10], imsi[9];
	uint32_t alg_svc; /* the subscriber's algorithm service bit */
	/* output */
	uint8_t *dst;
	size_t cap, len;
	int full; /* dst too small: only counting from here */
	/* what the walk has seen */
	unsigned last_app;
	unsigned n_elements;
	size_t tmpl_len;
	unsigned n_mf, n_usim, n_usim_aka, n_aka;
	uint8_t adf_fid[2]; /* fileID of adf-usim, for genericFileManagement paths */
	int has_adf_fid;
};

/* A refusal about element pe (NULL: the package). */
static int refuse(struct pz *z, const struct sf_saip_pe *pe, const char *field, const char *detail)
{
	struct sf_saip_error *e = z->err;
	if (e) {
		memset(e, 0, sizeof(*e));
		e->element = pe ? pe->name : "package";
		if (pe) {
			e->tag = sf_der_tag_make(SF_DER_CLASS_CONTEXT, 1, pe->type);
			e->index = pe->index;
			e->offset = pe->offset;
		} else { /* found missing at the end */
			e->index = z->n_elements;
			e->offset = z->tmpl_len;
		}
	}
	return sf__saip_fail(e, SF_ESAIP_TEMPLATE, field, detail);
}

/* ---- output: each element encoded by its own backward writer at the end
 * of what is already there ---- */

static void out_begin(struct pz *z, struct sf_der_writer *w)
{
	if (z->dst && !z->full)
		sf_der_writer_init(w, z->dst + z->len, z->cap - z->len);
	else
		sf_der_writer_init(w, NULL, 0);
}

static int out_end(struct pz *z, struct sf_der_writer *w)
{
	size_t n = 0;
	int rc = sf_der_writer_finish(w, &n);
	if (rc == SF_EBUFSIZE) {
		z->full = 1;
		rc = 0;
	}
	if (rc)
		return rc;
	z->len += n;
	return 0;
}

static int copy_pe(struct pz *z, const struct sf_saip_pe *pe)
{
	struct sf_der_writer w;
	out_begin(z, &w);
	sf_der_write_raw(&w, pe->raw, pe->raw_len);
	return out_end(z, &w);
}

/* The children of a constructed value, in order (already validated). */
static int children(const uint8_t *val, size_t len, struct sf_der_tlv *c, size_t cap, size_t *n)
{
	struct sf_der_iter it;
	int rc;
	*n = 0;
	sf_der_iter_init(&it, val, len);
	while ((rc = sf_der_iter_next(&it, &c[*n])) > 0)
		if (++*n == cap)
			return SF_EINTERNAL;
	return rc;
}

/* ---- header ---- */

static int write_header(struct pz *z, const struct sf_saip_pe *pe)
{
	struct sf_saip_header h;
	struct sf_der_tlv c[MAX_CHILDREN];
	struct sf_der_writer w;
	size_t n, m;
	int rc;
	if ((rc = sf_saip_header_decode(pe, &h, z->err)) != 0)
		return rc;
	if ((rc = children(pe->val, pe->len, c, MAX_CHILDREN, &n)) != 0)
		return sf__saip_fail(z->err, rc, NULL, NULL);
	uint32_t svc = (h.services & ~(uint32_t)SVC_ALGS) | z->alg_svc;
	out_begin(z, &w);
	m = sf_der_writer_mark(&w);
	for (size_t i = n; i-- > 0;) {
		if (c[i].tag == 0x83) { /* iccid */
			sf_der_write_octets(&w, 0x83, z->iccid_hdr, 10);
		} else if (c[i].tag == 0xA5) { /* eUICC-Mandatory-services: NULLs [n] in order */
			size_t ms = sf_der_writer_mark(&w);
			for (unsigned b = SF_SAIP_SVC_COUNT; b-- > 0;)
				if (svc & (1u << b))
					sf_der_write_null(&w, SF_DER_CTX(b));
			sf_der_write_wrap(&w, ms, 0xA5);
		} else {
			sf_der_write_raw(&w, c[i].raw, c[i].raw_len);
		}
	}
	sf_der_write_wrap(&w, m, pe->raw[0]); /* A0 */
	return out_end(z, &w);
}

/* ---- template PEs: one File field's fill replaced ---- */

/* What a template PE says about one of its File fields. */
struct finfo {
	const char *name;
	int found, dnc, has_size, first, fill0;
	unsigned size;
	int seen_content;
};

static int finfo_cb(void *user, const struct sf_saip_file_item *it)
{
	struct finfo *f = user;
	if (!it->file || strcmp(it->file, f->name) != 0)
		return 0;
	switch (it->op) {
	case SF_SAIP_FILE_BEGIN:
		f->found = 1;
		break;
	case SF_SAIP_FILE_DO_NOT_CREATE:
		f->dnc = 1;
		break;
	case SF_SAIP_FILE_FCP:
		if (it->fcp.ef_file_size.present) {
			f->has_size = 1;
			f->size = 0;
			for (size_t i = 0; i < it->fcp.ef_file_size.len && i < 4; i++)
				f->size = f->size << 8 | it->fcp.ef_file_size.p[i];
		}
		if (it->fcp.fill_pattern.present)
			f->fill0 = it->fcp.fill_pattern.p[0];
		else if (it->fcp.repeat_pattern.present)
			f->fill0 = it->fcp.repeat_pattern.p[0];
		break;
	case SF_SAIP_FILE_OFFSET:
		f->seen_content = 1; /* content after an offset is not at octet 0 */
		break;
	case SF_SAIP_FILE_CONTENT:
		if (!f->seen_content && it->len > 0)
			f->first = it->data[0];
		f->seen_content = 1;
		break;
	default:
		break;
	}
	return 0;
}

static int file_info(struct pz *z, const struct sf_saip_pe *pe, const char *name, struct finfo *f)
{
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->first = f->fill0 = -1;
	return sf_saip_files_walk(pe, finfo_cb, f, z->err);
}

/* The tag of template field `name` of pe's type. */
static uint32_t field_tag(enum sf_saip_pe_type type, const char *name)
{
	const struct sf__saip_petab *t = &sf__saip_pes[type];
	for (size_t i = 0; i < t->nfiles; i++)
		if (strcmp(t->files[i].name, name) == 0)
			return sf_der_tag_make(SF_DER_CLASS_CONTEXT, 1, (uint32_t)(i + 2));
	return 0;
}

struct fill {
	uint32_t tag; /* the File field */
	const uint8_t *content;
	size_t len;
};

/* Writes pe with the fill items (fillFileOffset, fillFileContent) of each
 * File field in f[] replaced by one fillFileContent; its file description
 * (doNotCreate / fileDescriptor) and every other field stay as they were. */
static int write_template(struct pz *z, const struct sf_saip_pe *pe, const struct fill *f,
                          size_t nf)
{
	struct sf_der_tlv c[MAX_CHILDREN], it[4];
	struct sf_der_writer w;
	size_t n, m, ni;
	int rc;
	if ((rc = children(pe->val, pe->len, c, MAX_CHILDREN, &n)) != 0)
		return sf__saip_fail(z->err, rc, NULL, NULL);
	out_begin(z, &w);
	m = sf_der_writer_mark(&w);
	for (size_t i = n; i-- > 0;) {
		const struct fill *x = NULL;
		for (size_t k = 0; k < nf; k++)
			if (f[k].tag == c[i].tag)
				x = &f[k];
		if (!x) {
			sf_der_write_raw(&w, c[i].raw, c[i].raw_len);
			continue;
		}
		/* File ::= SEQUENCE OF CHOICE: the description comes first, at
		 * most one (the parser checked), then the fill items we drop. */
		struct sf_der_iter di;
		struct sf_der_tlv t;
		ni = 0;
		sf_der_iter_init(&di, c[i].val, c[i].len);
		while ((rc = sf_der_iter_next(&di, &t)) > 0)
			if ((t.tag == 0x80 || t.tag == 0xA1) && ni < 4)
				it[ni++] = t;
		if (rc < 0)
			return sf__saip_fail(z->err, rc, NULL, NULL);
		size_t mf = sf_der_writer_mark(&w);
		sf_der_write_octets(&w, 0x83, x->content, x->len);
		for (size_t k = ni; k-- > 0;)
			sf_der_write_raw(&w, it[k].raw, it[k].raw_len);
		sf_der_write_wrap(&w, mf, c[i].tag);
	}
	sf_der_write_wrap(&w, m, sf_der_tag_make(SF_DER_CLASS_CONTEXT, 1, pe->type));
	return out_end(z, &w);
}

static int do_mf(struct pz *z, const struct sf_saip_pe *pe)
{
	struct finfo f;
	int rc;
	if (++z->n_mf > 1)
		return refuse(z, pe, NULL, "comes twice: which holds EF.ICCID is ambiguous");
	if ((rc = file_info(z, pe, "ef-iccid", &f)) != 0)
		return rc;
	if (!f.found || f.dnc)
		return refuse(z, pe, "ef-iccid", "is not created: the ICCID has nowhere to go");
	if (f.has_size && f.size < 10)
		return refuse(z, pe, "ef-iccid", "is smaller than the 10 octets of an ICCID");
	struct fill x = {field_tag(SF_SAIP_PE_MF, "ef-iccid"), z->iccid_ef, 10};
	return write_template(z, pe, &x, 1);
}

static int adf_cb(void *user, const struct sf_saip_file_item *it)
{
	struct pz *z = user;
	if (it->op == SF_SAIP_FILE_FCP && it->file && strcmp(it->file, "adf-usim") == 0 &&
	    it->fcp.file_id.present && it->fcp.file_id.len == 2) {
		memcpy(z->adf_fid, it->fcp.file_id.p, 2);
		z->has_adf_fid = 1;
	}
	return 0;
}

static int do_usim(struct pz *z, const struct sf_saip_pe *pe)
{
	const struct sf_saip_build_params *p = z->prm;
	struct finfo fi, fs;
	struct fill x[2];
	uint8_t spn[17];
	size_t nx = 0;
	int rc;
	if (++z->n_usim > 1)
		return refuse(z, pe, NULL,
		              "comes twice: which USIM gets the IMSI and the key is ambiguous");
	if ((rc = sf_saip_files_walk(pe, adf_cb, z, z->err)) != 0)
		return rc;
	if ((rc = file_info(z, pe, "ef-imsi", &fi)) != 0)
		return rc;
	if (!fi.found || fi.dnc)
		return refuse(z, pe, "ef-imsi", "is not created: the IMSI has nowhere to go");
	if (fi.has_size && fi.size < 9)
		return refuse(z, pe, "ef-imsi", "is smaller than the 9 octets of EF.IMSI");
	x[nx++] = (struct fill){field_tag(SF_SAIP_PE_USIM, "ef-imsi"), z->imsi, 9};
	if (p->spn) {
		if ((rc = file_info(z, pe, "ef-spn", &fs)) != 0)
			return rc;
		if (!fs.found || fs.dnc)
			return refuse(z, pe, "ef-spn",
			              "is not created: the template has no EF.SPN for the SPN");
		/* EF.SPN: display condition, then the name unpacked GSM 7-bit
		 * (the builder's check allows only characters coded as in
		 * ASCII), FF-padded to the file (17 octets unless the Fcp says
		 * otherwise; never written past 17). */
		size_t size = fs.has_size ? fs.size : 17, nl = strlen(p->spn);
		if (size > sizeof(spn))
			size = sizeof(spn);
		if (size < 1 + nl)
			return refuse(z, pe, "ef-spn", "is too small for the SPN given");
		memset(spn, 0xFF, sizeof(spn));
		/* keep the template's display condition */
		spn[0] = (uint8_t)(fs.first >= 0 ? fs.first : fs.fill0 >= 0 ? fs.fill0 : 0x00);
		memcpy(spn + 1, p->spn, nl);
		x[nx++] = (struct fill){field_tag(SF_SAIP_PE_USIM, "ef-spn"), spn, size};
	}
	rc = write_template(z, pe, x, nx);
	z->last_app = SF_SAIP_PE_USIM;
	return rc;
}

/* genericFileManagement may create files anywhere: refuse one that creates
 * EF.ICCID under the MF or EF.IMSI under the USIM ADF, which the fills of
 * the mf and usim elements would not reach. */
struct gfm {
	struct pz *z;
	uint8_t path[8];
	size_t path_len;
	const char *hit;
};

static int gfm_cb(void *user, const struct sf_saip_file_item *it)
{
	struct gfm *g = user;
	if (it->op == SF_SAIP_FILE_PATH) {
		g->path_len = it->len <= sizeof(g->path) ? it->len : sizeof(g->path);
		memcpy(g->path, it->data, g->path_len);
		/* a path may name the MF explicitly */
		if (g->path_len >= 2 && g->path[0] == 0x3F && g->path[1] == 0x00) {
			memmove(g->path, g->path + 2, g->path_len - 2);
			g->path_len -= 2;
		}
	} else if (it->op == SF_SAIP_FILE_FCP && it->fcp.file_id.present &&
	           it->fcp.file_id.len == 2) {
		const uint8_t *fid = it->fcp.file_id.p;
		if (g->path_len == 0 && fid[0] == 0x2F && fid[1] == 0xE2)
			g->hit = "creates EF.ICCID (2FE2), which personalisation sets in the mf "
			         "element only";
		if (g->path_len == 2 && fid[0] == 0x6F && fid[1] == 0x07 &&
		    ((g->z->has_adf_fid && memcmp(g->path, g->z->adf_fid, 2) == 0) ||
		     (g->path[0] == 0x7F && g->path[1] == 0xF0)))
			g->hit = "creates EF.IMSI (6F07) in the USIM, which personalisation sets "
			         "in the usim element only";
	}
	return 0;
}

static int do_gfm(struct pz *z, const struct sf_saip_pe *pe)
{
	struct gfm g;
	int rc;
	memset(&g, 0, sizeof(g));
	g.z = z;
	if ((rc = sf_saip_files_walk(pe, gfm_cb, &g, z->err)) != 0)
		return rc;
	if (g.hit)
		return refuse(z, pe, "fileManagementCMD", g.hit);
	return copy_pe(z, pe);
}

/* ---- akaParameter ---- */

static int write_aka(struct pz *z, const struct sf_saip_pe *pe, const struct sf_saip_aka *a)
{
	const struct sf_saip_build_params *p = z->prm;
	static const uint8_t opc_zero[16];
	struct sf_der_tlv c[8], ap[10];
	struct sf_der_writer w;
	size_t n, na, m;
	int rc;
	if ((rc = children(pe->val, pe->len, c, 8, &n)) != 0)
		return sf__saip_fail(z->err, rc, NULL, NULL);
	out_begin(z, &w);
	m = sf_der_writer_mark(&w);
	for (size_t i = n; i-- > 0;) {
		if (c[i].tag != 0xA1) {
			sf_der_write_raw(&w, c[i].raw, c[i].raw_len);
			continue;
		}
		/* algoConfiguration [1] { algoParameter [1] { ... } } */
		struct sf_der_tlv alt;
		const uint8_t *q = c[i].val;
		if ((rc = sf_der_get_tlv(&q, c[i].val + c[i].len, &alt.tag, &alt.val, &alt.len)) !=
		    0)
			return sf__saip_fail(z->err, rc, "algoConfiguration", NULL);
		if ((rc = children(alt.val, alt.len, ap, 10, &na)) != 0)
			return sf__saip_fail(z->err, rc, "algoParameter", NULL);
		size_t m1 = sf_der_writer_mark(&w), m2 = sf_der_writer_mark(&w);
		for (size_t k = na; k-- > 0;) {
			switch (ap[k].tag) {
			case 0x80:
				sf_der_write_uint64(&w, 0x80, (uint64_t)p->algorithm);
				break;
			case 0x81:
				/* algorithmOptions: its bits are not in the module;
				 * the template's stay with its algorithm, otherwise
				 * what the builder writes ('02'H for the test
				 * algorithm as TS.48, '00'H otherwise). */
				if (a->algorithm == p->algorithm) {
					sf_der_write_raw(&w, ap[k].raw, ap[k].raw_len);
				} else {
					uint8_t o = p->algorithm == SF_SAIP_ALG_TEST ? 0x02 : 0x00;
					sf_der_write_octets(&w, 0x81, &o, 1);
				}
				break;
			case 0x82:
				sf_der_write_octets(&w, 0x82, p->k, p->k_len);
				break;
			case 0x83:
				if (p->opc)
					sf_der_write_octets(&w, 0x83, p->opc, p->opc_len);
				else
					sf_der_write_octets(&w, 0x83, opc_zero, sizeof(opc_zero));
				break;
			default:
				sf_der_write_raw(&w, ap[k].raw, ap[k].raw_len);
				break;
			}
		}
		sf_der_write_wrap(&w, m2, alt.tag);
		sf_der_write_wrap(&w, m1, 0xA1);
	}
	sf_der_write_wrap(&w, m, pe->raw[0]); /* A4 */
	return out_end(z, &w);
}

static int do_aka(struct pz *z, const struct sf_saip_pe *pe)
{
	struct sf_saip_aka a;
	int rc = sf_saip_aka_decode(pe, &a, z->err);
	if (rc != 0)
		goto out;
	if (a.is_mapping) {
		rc = copy_pe(z, pe);
		goto out;
	}
	if (z->last_app == SF_SAIP_PE_USIM) {
		if (++z->n_usim_aka > 1) {
			rc = refuse(z, pe, "algoParameter",
			            "is the second one after the usim element: which keys the "
			            "USIM is ambiguous");
			goto out;
		}
	} else if (z->last_app != SF_SAIP_PE_ISIM) {
		rc = refuse(z, pe, "algoParameter",
		            "follows no usim or isim element: it would keep the template's key");
		goto out;
	}
	z->n_aka++;
	rc = write_aka(z, pe, &a);
out:
	sf_wipe(&a, sizeof(a));
	return rc;
}

/* ---- the package ---- */

int sf_saip_personalise(const uint8_t *tmpl, size_t tmpl_len,
                        const struct sf_saip_build_params *prm, uint8_t *dst, size_t dst_len,
                        size_t *out_len, struct sf_saip_error *err)
{
	struct sf_saip_reader r;
	struct sf_saip_pe pe;
	struct pz z;
	int rc;

	if (err) {
		memset(err, 0, sizeof(*err));
		err->element = "parameters";
	}
	if (!tmpl || !prm || !out_len || (!dst && dst_len))
		return sf__saip_fail(err, SF_EINVAL, NULL, NULL);
	*out_len = 0;
	if ((rc = sf__saip_check_cred(prm, err)) != 0)
		return rc;
	/* What the builder would set but a template keeps as its operator
	 * made it: refused rather than silently ignored. */
	if (prm->pin1 || prm->puk1 || prm->adm1)
		return sf__saip_fail(
		    err, SF_ESAIP_PARAM,
		    prm->pin1   ? "pin1"
		    : prm->puk1 ? "puk1"
		                : "adm1",
		    "is not set in a template (the template's PINs and keys stay)");
	if (prm->mnc_len)
		return sf__saip_fail(err, SF_ESAIP_PARAM, "mnc_len",
		                     "is not set in a template (its EF.AD stays)");

	memset(&z, 0, sizeof(z));
	z.prm = prm;
	z.err = err;
	z.dst = dst;
	z.cap = dst_len;
	z.tmpl_len = tmpl_len;
	sf__saip_enc_iccid(prm->iccid, z.iccid_hdr, z.iccid_ef);
	sf__saip_enc_imsi(prm->imsi, z.imsi);
	switch (prm->algorithm) {
	case SF_SAIP_ALG_MILENAGE:
		z.alg_svc = SF_SAIP_SVC_MILENAGE;
		break;
	case SF_SAIP_ALG_TUAK:
		z.alg_svc = prm->k_len == 32 ? SF_SAIP_SVC_TUAK256 : SF_SAIP_SVC_TUAK128;
		break;
	default:
		z.alg_svc = SF_SAIP_SVC_USIM_TEST_ALGORITHM;
		break;
	}

	sf_saip_reader_init(&r, tmpl, tmpl_len);
	while ((rc = sf_saip_next(&r, &pe, err)) > 0) {
		switch (pe.type) {
		case SF_SAIP_PE_HEADER:
			rc = write_header(&z, &pe);
			break;
		case SF_SAIP_PE_MF:
			rc = do_mf(&z, &pe);
			break;
		case SF_SAIP_PE_USIM:
			rc = do_usim(&z, &pe);
			break;
		case SF_SAIP_PE_AKA_PARAMETER:
			rc = do_aka(&z, &pe);
			break;
		case SF_SAIP_PE_GENERIC_FILE_MANAGEMENT:
			rc = do_gfm(&z, &pe);
			break;
		default:
			rc = copy_pe(&z, &pe);
			if (pe.type == SF_SAIP_PE_ISIM || pe.type == SF_SAIP_PE_CSIM)
				z.last_app = pe.type;
			break;
		}
		if (rc != 0)
			goto out;
		z.n_elements++;
	}
	if (rc < 0)
		goto out;
	if (z.n_mf == 0)
		rc = refuse(&z, NULL, "mf", "is missing: EF.ICCID has nowhere to go");
	else if (z.n_usim == 0)
		rc = refuse(&z, NULL, "usim",
		            "is missing: the template has no USIM (EF.IMSI) to personalise");
	else if (z.n_usim_aka == 0)
		rc = refuse(&z, NULL, "akaParameter",
		            "is missing: no algoParameter follows the usim element");
	if (rc != 0)
		goto out;
	*out_len = z.len;
	rc = z.full ? SF_EBUFSIZE : 0;
	if (rc && err) {
		memset(err, 0, sizeof(*err));
		err->element = "parameters";
		sf__saip_fail(err, rc, NULL, NULL);
	}
out:
	sf_wipe(&z, sizeof(z));
	/* Partial output holds K: nothing of it stays in a buffer the caller
	 * discards. */
	if (rc && dst)
		sf_wipe(dst, dst_len);
	return rc;
}
