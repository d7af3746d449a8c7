/* Internal tables of the SAIP codec (PEDefinitions v3.3.1). */
#ifndef SF_SAIP_INTERNAL_H
#define SF_SAIP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* A File field of a template PE: its tag number is its index + 2. */
struct sf__saip_field {
	const char *name;
	uint8_t optional;
};

/* A field of a non-template SEQUENCE, with its full tag. */
struct sf__saip_fdesc {
	uint32_t tag;
	const char *name;
	uint8_t optional;
};

struct sf__saip_petab {
	const char *name;
	/* template PEs: their File fields */
	const struct sf__saip_field *files;
	size_t nfiles;
	/* other PEs: their top-level fields */
	const struct sf__saip_fdesc *fields;
	size_t nfields;
};

extern const struct sf__saip_petab sf__saip_pes[];

struct sf_saip_build_params;
struct sf_saip_error;

/* Sets e->code, e->field, e->detail (e may be NULL) and returns code
 * (saip.c): every refusal of the parser, builder and personaliser. */
int sf__saip_fail(struct sf_saip_error *e, int code, const char *field, const char *detail);

/* Shared by the builder and the personaliser (saip_build.c). */
/* Checks iccid, imsi, algorithm with k/opc and spn of prm: 0, or
 * SF_ESAIP_ICCID / SF_ESAIP_IMSI / SF_ESAIP_PARAM with err->field set. */
int sf__saip_check_cred(const struct sf_saip_build_params *prm, struct sf_saip_error *err);
/* The ICCID as the ProfileHeader (digits in order) and EF.ICCID
 * (nibble-swapped) hold it; iccid passed sf_iccid_check. */
void sf__saip_enc_iccid(const char *iccid, uint8_t hdr[10], uint8_t ef[10]);
/* EF.IMSI content (TS 31.102 §4.2.2): 9 octets; imsi is 5..15 digits. */
void sf__saip_enc_imsi(const char *imsi, uint8_t out[9]);

#endif
