/* Internal interface of the SAIP installer: the template tables
 * (src/saip/templates.c) used by src/saip/install.c. */
#ifndef SF_SAIP_INSTALL_INTERNAL_H
#define SF_SAIP_INSTALL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* File types of the Annex A tables. */
enum sf__saip_tftype {
	SF__SAIP_T_MF = 1,
	SF__SAIP_T_DF,
	SF__SAIP_T_ADF,
	SF__SAIP_T_TR, /* transparent */
	SF__SAIP_T_LF, /* linear fixed */
	SF__SAIP_T_CY, /* cyclic */
	SF__SAIP_T_BT, /* BER-TLV */
};

/* Where the first DF/ADF of a template (or, for an "optional" template
 * without one, its files) is created. */
enum sf__saip_tparent {
	SF__SAIP_P_NONE = 0, /* the MF itself */
	SF__SAIP_P_MF,
	SF__SAIP_P_USIM, /* the ADF created by the USIM template */
	SF__SAIP_P_ISIM,
	SF__SAIP_P_CSIM,
	SF__SAIP_P_APP, /* the ADF of the last application PE (usim, isim, csim) */
};

#define SF__SAIP_SFI_NONE 0 /* the template gives the file no SFI */

/* One file of a template: the DEFAULT FCP values.  size is the file size
 * (transparent, BER-TLV) or the record length (record EFs), 0 when the
 * template leaves it to the profile; nrec 0 likewise. */
struct sf__saip_tfile {
	const char *name; /* the PE field name: "ef-imsi" */
	uint16_t fid;     /* 0: given by the profile (ADF temporary FID) */
	uint8_t type;     /* enum sf__saip_tftype */
	uint8_t sfi;      /* 1..30 or SF__SAIP_SFI_NONE */
	uint16_t size;
	uint8_t nrec;
	uint8_t arr; /* default record of the applicable EF_ARR */
};

/* The default content of a template file in the Annex A notation: hex
 * octets, optionally with one "..." meaning "repeat the octet before it up
 * to the octets after it" ("07FF...FF", "00FF...FF"); without "..." the
 * octets are the start of the file (record), the rest is the fill FF.  For
 * record EFs the value is that of each record. */
struct sf__saip_tdefault {
	const char *name; /* the PE field name */
	const char *value;
};

/* Most files a template table can hold (the installer keeps one bit per
 * file to know which ones the PE listed). */
#define SF__SAIP_TFILES_MAX 128

struct sf__saip_template {
	uint8_t oid_last; /* {2 23 143 1 2 oid_last} */
	uint8_t version;  /* 1: no version arc; v: {2 23 143 1 2 oid_last v} */
	const char *name;
	uint8_t parent;     /* enum sf__saip_tparent */
	uint8_t by_default; /* "Created by Default" template */
	const struct sf__saip_tfile *files;
	size_t nfiles;
	const struct sf__saip_tdefault *defaults; /* default contents, or NULL */
	size_t ndefaults;
};

/* The template (and version) with OID content octets oid, or NULL. */
const struct sf__saip_template *sf__saip_template_find(const uint8_t *oid, size_t len);
/* Why sf__saip_template_find(oid, len) found nothing: an error detail. */
const char *sf__saip_template_why(const uint8_t *oid, size_t len);
/* The default content (Annex A notation) of the file of t named name, or
 * NULL when the template gives none. */
const char *sf__saip_template_default(const struct sf__saip_template *t, const char *name);
/* The file of t named name, or NULL. */
const struct sf__saip_tfile *sf__saip_template_file(const struct sf__saip_template *t,
                                                    const char *name);

#endif
