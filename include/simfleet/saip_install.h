/*
 * The SAIP installer: turns a profile package (PEDefinitions 3.3.1) into the
 * files of a UICC file system, its PINs and PUKs, and the USIM's AKA
 * configuration.  All or nothing: on any error the caller discards the file
 * system arena and the PINs it passed in (they are scratch until the eUICC
 * commits the profile).  No heap allocation.
 */
#ifndef SIMFLEET_SAIP_INSTALL_H
#define SIMFLEET_SAIP_INSTALL_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/aka.h"
#include "simfleet/saip.h"
#include "simfleet/uicc_fs.h"

/* What the eUICC needs to know about an installed profile beyond its files. */
struct sf_saip_installed {
	char iccid[21];          /* from the ProfileHeader */
	char profile_type[65];   /* ProfileHeader profileType, "" if absent */
	char spn[33];            /* EF_SPN of the USIM, decoded, "" if absent */
	int has_usim;            /* a USIM ADF was created */
	uint8_t usim_aid[16];    /* its AID */
	uint8_t usim_aid_len;
	int gsm_access;          /* EF_UST service n°27 */
	int has_aka;             /* an akaParameter applies to the USIM */
	struct sf_aka_params aka;/* the USIM's algorithm, K, OPc/TOPc, lengths */
	struct sf_sqn_ms sqn;    /* initial SEQ array, Δ and L from the package */
	unsigned elements;       /* profile elements processed */
	unsigned files;          /* files created */
	unsigned stored_only;    /* elements kept but not acted on (rfm, securityDomain, ...) */
};

/* Installs pkg into fs (initialised, empty: sf_fs_init) and pins
 * (sf_pins_init).  Returns 0, or the first error with err describing the
 * element (SF_ESAIP_*, SF_EDER_*, SF_ECARD_FS_SPACE when the arena is too
 * small — retry with a larger one —, SF_ECARD_FS_* for file conflicts).
 * out->aka holds K: wipe it with sf_aka_params_wipe() when done. */
int sf_saip_install(const uint8_t *pkg, size_t len, struct sf_fs *fs, struct sf_pins *pins,
		    struct sf_saip_installed *out, struct sf_saip_error *err);

#endif
