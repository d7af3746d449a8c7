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

#endif
