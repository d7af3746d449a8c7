/*
 * SAIP profile packages: parser and builder.
 *
 * SIMalliance/TCA eUICC Profile Package: Interoperable Format Technical
 * Specification v3.3.1, PEDefinitions (ASN.1 module, AUTOMATIC TAGS).
 *
 * A profile package (the "Unprotected Profile Package" an SM-DP+ binds into
 * a BPP) is a sequence of ProfileElement CHOICE values written back to back,
 * each a complete DER TLV: [0] header first, [10] end last.  The parser walks
 * them in place, with no heap and no copies: every pointer it returns points
 * into the caller's buffer, which must outlive the results.  It is linked into
 * the eUICC and builds for a microcontroller (no OpenSSL, no malloc).
 *
 * Typical use (an installer):
 *
 *     struct sf_saip_reader r;
 *     struct sf_saip_pe pe;
 *     struct sf_saip_error e;
 *     sf_saip_reader_init(&r, pkg, pkg_len);
 *     while ((rc = sf_saip_next(&r, &pe, &e)) > 0) {
 *         switch (pe.type) {
 *         case SF_SAIP_PE_AKA_PARAMETER: sf_saip_aka_decode(&pe, &aka, &e); ...
 *         case SF_SAIP_PE_USIM: sf_saip_files_walk(&pe, create_file_cb, ctx, &e); ...
 *         }
 *     }
 *     if (rc < 0) { sf_saip_error_format(&e, msg, sizeof msg); ... }
 *
 * sf_saip_next() validates each element completely before returning it (every
 * field of the acting elements, the field structure of the others), and the
 * package as a whole (header first, end last, nothing after end), so an
 * installer that stops at the first error has created nothing from a bad
 * element.  Errors name the element: "akaParameter: key must be 16 or 32
 * octets".
 */
#ifndef SIMFLEET_SAIP_H
#define SIMFLEET_SAIP_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/der.h"

/* ProfileElement CHOICE alternatives; the value is the context tag number
 * (AUTOMATIC TAGS), e.g. akaParameter is [4], its TLV starts with A4. */
enum sf_saip_pe_type {
	SF_SAIP_PE_HEADER = 0,
	SF_SAIP_PE_GENERIC_FILE_MANAGEMENT = 1,
	SF_SAIP_PE_PIN_CODES = 2,
	SF_SAIP_PE_PUK_CODES = 3,
	SF_SAIP_PE_AKA_PARAMETER = 4,
	SF_SAIP_PE_CDMA_PARAMETER = 5,
	SF_SAIP_PE_SECURITY_DOMAIN = 6,
	SF_SAIP_PE_RFM = 7,
	SF_SAIP_PE_APPLICATION = 8,
	SF_SAIP_PE_NON_STANDARD = 9,
	SF_SAIP_PE_END = 10,
	/* 11..15: rfu1..rfu5 (PE-Dummy, an empty SEQUENCE) */
	SF_SAIP_PE_MF = 16,
	SF_SAIP_PE_CD = 17,
	SF_SAIP_PE_TELECOM = 18,
	SF_SAIP_PE_USIM = 19,
	SF_SAIP_PE_OPT_USIM = 20,
	SF_SAIP_PE_ISIM = 21,
	SF_SAIP_PE_OPT_ISIM = 22,
	SF_SAIP_PE_PHONEBOOK = 23,
	SF_SAIP_PE_GSM_ACCESS = 24,
	SF_SAIP_PE_CSIM = 25,
	SF_SAIP_PE_OPT_CSIM = 26,
	SF_SAIP_PE_EAP = 27,
	SF_SAIP_PE_DF_5GS = 28,
	SF_SAIP_PE_DF_SAIP = 29,
	SF_SAIP_PE_DF_SNPN = 30,
	SF_SAIP_PE_DF_5GPROSE = 31,
	SF_SAIP_PE_IOT = 32,
	SF_SAIP_PE_OPT_IOT = 33,
	SF_SAIP_PE_COUNT = 34
};

/* The module's name of a PE type ("akaParameter", "opt-usim"), or NULL for a
 * number that is not a ProfileElement alternative. */
const char *sf_saip_pe_name(unsigned type);
/* 1 for the file-system PEs (mf .. opt-iot: PEHeader, templateID, File...). */
int sf_saip_pe_is_template(unsigned type);

/* Where and why parsing failed.  All strings are static. */
struct sf_saip_error {
	int code;            /* the value the function returned (SF_E*) */
	const char *element; /* "akaParameter", or "package" for package-level rules */
	const char *field;   /* "key", "ef-imsi", or NULL */
	const char *detail;  /* "must be 16 or 32 octets", or NULL: sf_strerror(code) */
	uint32_t tag;        /* the element's tag (e.g. 0xA4), 0 if not read */
	unsigned index;      /* 0-based position of the element in the package */
	size_t offset;       /* octet offset of the element in the package */
};
/* "akaParameter: key must be 16 or 32 octets (element 10 at offset 1234)".
 * Returns the length written (truncated to fit, always NUL-terminated when
 * dst_len > 0). */
size_t sf_saip_error_format(const struct sf_saip_error *e, char *dst, size_t dst_len);

/* ---- package iteration ---- */

struct sf_saip_reader {
	const uint8_t *start, *p, *end;
	unsigned index;
	int seen_end;
};

/* One profile element as found in the package. */
struct sf_saip_pe {
	enum sf_saip_pe_type type;
	const char *name;
	const uint8_t *val; /* the content of the CHOICE TLV (the PE's SEQUENCE body) */
	size_t len;
	const uint8_t *raw; /* the whole TLV */
	size_t raw_len;
	size_t offset;  /* of raw in the package */
	unsigned index; /* 0-based */
	/* PEHeader (absent from the header PE itself: identification 0) */
	int mandated;
	unsigned identification;
};

void sf_saip_reader_init(struct sf_saip_reader *r, const uint8_t *pkg, size_t len);
/* Returns 1 and fills *pe with the next validated element, 0 after the end
 * element (when nothing follows it), or a negative code with *err filled:
 *   SF_ESAIP_UNKNOWN_PE  a tag that is not a ProfileElement alternative
 *   SF_ESAIP_ORDER       header not first, a second header, data after end
 *   SF_ESAIP_FORMAT      a field missing, out of order or not allowed
 *   SF_ESAIP_VALUE       a value outside what the module allows
 *   SF_EDER_*            malformed DER; SF_EDER_TRUNC also when the package
 *                        ends before its end element
 * After an error the reader stays on the bad element. err may be NULL. */
int sf_saip_next(struct sf_saip_reader *r, struct sf_saip_pe *pe, struct sf_saip_error *err);

/* Octets the next element needs, from its tag and length alone: lets a
 * streaming installer buffer exactly one element at a time.  Returns 0 with
 * *need set, or SF_EDER_TRUNC when even the header is incomplete (*need is
 * then a lower bound), or another SF_EDER_* code. */
int sf_saip_element_size(const uint8_t *p, size_t avail, size_t *need);

/* Walks the top-level fields of any element: cb gets the module's field name
 * ("instanceAID", "ef-imsi", or "unknown" for an rfu) and the TLV.  A non-zero
 * return from cb stops the walk and is returned. */
typedef int (*sf_saip_field_cb)(void *user, const char *name, const struct sf_der_tlv *tlv);
int sf_saip_fields_walk(const struct sf_saip_pe *pe, sf_saip_field_cb cb, void *user);

/* ---- ProfileHeader ---- */

/* ServicesList alternatives as bits: (1u << n) for the n-th field
 * (contactless = 0, usim = 1, ..., usim-test-algorithm = 17, ber-tlv = 18,
 * get-identity = 21, eaka = 29). */
#define SF_SAIP_SVC_USIM (1u << 1)
#define SF_SAIP_SVC_ISIM (1u << 2)
#define SF_SAIP_SVC_CSIM (1u << 3)
#define SF_SAIP_SVC_MILENAGE (1u << 4)
#define SF_SAIP_SVC_TUAK128 (1u << 5)
#define SF_SAIP_SVC_TUAK256 (1u << 16)
#define SF_SAIP_SVC_USIM_TEST_ALGORITHM (1u << 17)
#define SF_SAIP_SVC_BER_TLV (1u << 18)
#define SF_SAIP_SVC_COUNT 30
/* Name of service bit n ("usim-test-algorithm"), NULL past the list. */
const char *sf_saip_service_name(unsigned n);

struct sf_saip_header {
	unsigned major, minor;
	const uint8_t *profile_type; /* UTF-8, not NUL-terminated; NULL if absent */
	size_t profile_type_len;
	/* iccid: the header carries the ICCID digits in order, one per nibble,
	 * padded with F ('89000123456789012341'H); EF.ICCID carries them
	 * nibble-swapped.  iccid[] is the digit string. */
	char iccid[21];
	const uint8_t *iccid_raw; /* 10 octets */
	const uint8_t *pol;
	size_t pol_len;
	uint32_t services;       /* SF_SAIP_SVC_* bits */
	const uint8_t *gfste;    /* content of eUICC-Mandatory-GFSTEList: OIDs */
	size_t gfste_len;
	unsigned gfste_count;
	const uint8_t *connectivity;
	size_t connectivity_len;
	const uint8_t *aids;     /* content of eUICC-Mandatory-AIDs, NULL if absent */
	size_t aids_len;
	const uint8_t *iot_pix;
	size_t iot_pix_len;
};
int sf_saip_header_decode(const struct sf_saip_pe *pe, struct sf_saip_header *h,
			  struct sf_saip_error *err);

/* ---- PE-AKAParameter ---- */

enum sf_saip_alg { SF_SAIP_ALG_MILENAGE = 1, SF_SAIP_ALG_TUAK = 2, SF_SAIP_ALG_TEST = 3 };
/* "milenage", "tuak", "usim-test-algorithm"; NULL otherwise. */
const char *sf_saip_alg_name(int alg);

struct sf_saip_aka {
	int is_mapping; /* mappingParameter instead of algoParameter */
	uint8_t mapping_options;
	const uint8_t *mapping_source; /* AID */
	size_t mapping_source_len;
	/* algoParameter (module DEFAULTs filled in when absent) */
	int algorithm; /* enum sf_saip_alg */
	uint8_t algorithm_options;
	const uint8_t *key; /* points into the package: the caller wipes it */
	size_t key_len;
	const uint8_t *opc; /* OPc (Milenage), TOPc (TUAK), ignored for the test algorithm */
	size_t opc_len;
	uint8_t rotation_constants[5];
	uint8_t xoring_constants[80];
	int has_auth_counter_max;
	uint8_t auth_counter_max[3];
	unsigned number_of_keccak;
	uint8_t sqn_options;
	uint8_t sqn_delta[6];
	uint8_t sqn_age_limit[6];
	uint8_t sqn_init[32][6]; /* SEQ values without IND */
};
/* Rules beyond the module's SIZE constraints (SF_ESAIP_VALUE):
 * key 16 or 32 octets (16 for Milenage), OPc 16 octets for Milenage, TOPc 32
 * for TUAK; algorithmID 1..3; sqnDelta, sqnAgeLimit, sqnInit <= '07FFFFFFFFFF'H. */
int sf_saip_aka_decode(const struct sf_saip_pe *pe, struct sf_saip_aka *aka,
		       struct sf_saip_error *err);

/* ---- PE-PINCodes / PE-PUKCodes ---- */

struct sf_saip_pin {
	unsigned key_ref;       /* PINKeyReferenceValue: 1..8 pinApplN, 10..14 adm1-5, ... */
	const uint8_t *value;   /* 8 octets */
	int unblock_ref;        /* PUKKeyReferenceValue, -1 when absent */
	unsigned attributes;    /* DEFAULT 7 */
	unsigned max_attempts;  /* high nibble of maxNumOfAttemps-retryNumLeft (DEFAULT 51) */
	unsigned retries_left;  /* low nibble */
};
#define SF_SAIP_MAX_PINS 26
struct sf_saip_pins {
	int is_path;            /* shared with another DF/ADF: path below */
	const uint8_t *path;
	size_t path_len;
	unsigned count;
	struct sf_saip_pin pin[SF_SAIP_MAX_PINS];
};
int sf_saip_pins_decode(const struct sf_saip_pe *pe, struct sf_saip_pins *pins,
			struct sf_saip_error *err);

struct sf_saip_puk {
	unsigned key_ref;
	const uint8_t *value;  /* 8 octets */
	unsigned max_attempts; /* DEFAULT 170 = 10 / 10 */
	unsigned retries_left;
};
#define SF_SAIP_MAX_PUKS 16
struct sf_saip_puks {
	unsigned count;
	struct sf_saip_puk puk[SF_SAIP_MAX_PUKS];
};
int sf_saip_puks_decode(const struct sf_saip_pe *pe, struct sf_saip_puks *puks,
			struct sf_saip_error *err);
/* "pinAppl1", "adm1", "secondPUKAppl1"...; NULL for a value not in the module. */
const char *sf_saip_pin_ref_name(unsigned ref);
const char *sf_saip_puk_ref_name(unsigned ref);

/* ---- file system (template PEs and genericFileManagement) ---- */

struct sf_saip_bytes {
	const uint8_t *p;
	size_t len;
	int present;
};

/* Fcp (ETSI TS 102 222 coding of each field).  Fields with a DEFAULT carry it
 * when absent (lcsi 05, specialFileInformation 00, fileDetails 01). */
struct sf_saip_fcp {
	struct sf_saip_bytes file_descriptor, file_id, df_name, sec_attr, ef_file_size,
		pin_status_template, short_efid, link_path;
	uint8_t lcsi;
	int has_proprietary;
	uint8_t special_file_info;
	struct sf_saip_bytes fill_pattern, repeat_pattern, maximum_file_size;
	uint8_t file_details;
};

enum sf_saip_file_op {
	SF_SAIP_FILE_BEGIN,         /* a File field of a template PE starts (file, field) */
	SF_SAIP_FILE_DO_NOT_CREATE, /* doNotCreate */
	SF_SAIP_FILE_FCP,           /* fileDescriptor / createFCP (fcp) */
	SF_SAIP_FILE_OFFSET,        /* fillFileOffset (offset) */
	SF_SAIP_FILE_CONTENT,       /* fillFileContent (data, len) */
	SF_SAIP_FILE_END,           /* the File field ends */
	SF_SAIP_FILE_CMD,           /* genericFileManagement: a FileManagement command starts */
	SF_SAIP_FILE_PATH           /* genericFileManagement: filePath (data, len) */
};

struct sf_saip_file_item {
	enum sf_saip_file_op op;
	const char *file;    /* template field name ("ef-imsi"); NULL for GFM */
	unsigned field;      /* template field tag number (2 = first file) */
	const uint8_t *template_oid; /* template PEs: templateID content octets */
	size_t template_oid_len;
	struct sf_saip_fcp fcp;      /* SF_SAIP_FILE_FCP */
	unsigned offset;             /* SF_SAIP_FILE_OFFSET */
	const uint8_t *data;         /* SF_SAIP_FILE_CONTENT, SF_SAIP_FILE_PATH */
	size_t len;
};
typedef int (*sf_saip_file_cb)(void *user, const struct sf_saip_file_item *it);

/* Walks the files of a template PE (mf, usim, ...) or genericFileManagement
 * in order, calling cb for each item; the parser keeps nothing.  A non-zero
 * return from cb stops the walk and is returned.  Works on any element
 * sf_saip_next() returned (which already validated it); SF_EINVAL for other
 * element types. */
int sf_saip_files_walk(const struct sf_saip_pe *pe, sf_saip_file_cb cb, void *user,
		       struct sf_saip_error *err);

/* ---- ICCID ---- */

/* Luhn (ISO/IEC 7812-1) check digit of the digit string s[0..n): '0'..'9',
 * or -1 if a character is not a digit or n is 0. */
int sf_iccid_luhn(const char *s, size_t n);
/* A printable ICCID (ITU-T E.118): 18..20 decimal digits, the last the Luhn
 * check digit of the others.  0, SF_ESAIP_ICCID otherwise. */
int sf_iccid_check(const char *iccid);

/* ---- builder ---- */

struct sf_saip_build_params {
	const char *iccid;         /* checked with sf_iccid_check */
	const char *imsi;          /* 5..15 digits */
	unsigned mnc_len;          /* 2 or 3 (EF.AD); 0 = 2 */
	int algorithm;             /* enum sf_saip_alg (SF_SAIP_ALG_TEST = XOR) */
	const uint8_t *k;          /* 16 (or 32 for TUAK) */
	size_t k_len;
	const uint8_t *opc;        /* OPc 16 (Milenage), TOPc 32 (TUAK), NULL for XOR */
	size_t opc_len;
	const char *spn;           /* NULL: EF.SPN not created; <= 16 GSM-7 characters */
	const char *pin1;          /* NULL: PIN1 "0000" and disabled; else 4..8 digits, enabled */
	const char *puk1;          /* NULL: SF_SAIP_TEST_PUK1; else 8 digits */
	const uint8_t *adm1;       /* NULL: SF_SAIP_TEST_ADM1; else 1..8 octets, FF-padded */
	size_t adm1_len;
};
/* TEST values used when the caller gives none: public, never for production. */
#define SF_SAIP_TEST_ADM1 "88888888"
#define SF_SAIP_TEST_PUK1 "12345678"

/* Writes a minimal complete USIM profile package (header, mf, pukCodes,
 * pinCodes, usim, akaParameter, end) into dst, following the producer
 * contract: *out_len receives the length, or the size needed with
 * SF_EBUFSIZE (dst may be NULL with dst_len 0 to size it).  Input errors:
 * SF_ESAIP_ICCID, SF_ESAIP_IMSI, SF_ESAIP_PARAM (err->field names the
 * parameter: "iccid", "k", "opc", "spn", "pin1", "puk1", "adm1", "mnc_len",
 * "algorithm").  No heap: the key material only passes through dst. */
int sf_saip_build(const struct sf_saip_build_params *prm, uint8_t *dst, size_t dst_len,
		  size_t *out_len, struct sf_saip_error *err);

/* ---- personalisation of an operator's template ---- */

/* Writes into dst the template package tmpl (an operator's own profile: any
 * file system, applets, PINs) personalised for one subscriber, following the
 * producer contract of sf_saip_build (dst NULL with dst_len 0 sizes it).
 * From prm it takes iccid, imsi, algorithm, k, opc (NULL for XOR: 16 zero
 * octets) and spn (NULL: EF.SPN stays as the template has it); pin1, puk1,
 * adm1 and mnc_len must be unset (SF_ESAIP_PARAM): the template keeps its own.
 *
 * It sets the ProfileHeader's iccid and its algorithm services (milenage,
 * tuak128/256, usim-test-algorithm: only the subscriber's), EF.ICCID in the
 * mf element, EF.IMSI (and EF.SPN when given) in the usim element, and
 * algorithmID, key and opc of the akaParameter that keys the USIM (the first
 * algoParameter after the usim element, as sf_saip_install uses) and of any
 * algoParameter after an isim element; algorithmOptions only when the
 * algorithm changes.  Changed elements are re-encoded (lengths follow the new
 * values); every other element, and every other field of the changed ones,
 * is copied octet for octet.
 *
 * Errors: those of sf_saip_next for a malformed template (the element
 * named); SF_ESAIP_ICCID, SF_ESAIP_IMSI, SF_ESAIP_PARAM for prm (err->field
 * names it, as sf_saip_build); SF_ESAIP_TEMPLATE for a template that cannot be
 * personalised, err naming the element and field: no mf or usim element, or
 * two; ef-iccid or ef-imsi not created or too small; no algoParameter after
 * the usim, or two; an algoParameter after no usim or isim; spn given and no
 * EF.SPN; genericFileManagement creating EF.ICCID or the USIM's EF.IMSI.
 * SF_EBUFSIZE with *out_len the size needed.  On any error dst is wiped (it
 * may have held K).  No heap; tmpl is only read and must not overlap dst. */
int sf_saip_personalise(const uint8_t *tmpl, size_t tmpl_len,
			const struct sf_saip_build_params *prm, uint8_t *dst, size_t dst_len,
			size_t *out_len, struct sf_saip_error *err);

#endif
