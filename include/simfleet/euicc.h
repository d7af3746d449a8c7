/*
 * The software eUICC: a card (ISO 7816-4 engine) holding USIM profiles in a
 * UICC file system, an ISD-R speaking ES10 over STORE DATA, and a state
 * directory (the vault, sealed by the TRE) where everything persists.
 *
 *   STATE/device.key       the software TRE's device key (0600)
 *   STATE/FORMAT, manifest, r/   the vault (see tre.h)
 *
 * One enabled profile at a time; the USIM seen on the card is the enabled
 * profile's, and with none enabled only the ISD-R answers.  Every change
 * (install, enable, disable, delete, file updates, PIN counters, the SQN
 * array) is committed to the vault before the command that caused it
 * answers, so a crash at any point leaves the old or the new state.
 */
#ifndef SIMFLEET_EUICC_H
#define SIMFLEET_EUICC_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/isdr.h"
#include "simfleet/saip.h"

#define SF_EUICC_TEST_MODE 0x1u /* allows install-local (no RSP) */
#define SF_EUICC_DEFAULT_EID_PREFIX "89049032"

struct sf_euicc;

/* Creates a new eUICC state directory: device key, vault, EID (generated
 * from SF_EUICC_DEFAULT_EID_PREFIX when eid is NULL; checked otherwise).
 * eid_out (33 octets, may be NULL) receives the EID.  Returns 0, SF_EINVAL
 * (bad EID), SF_EEXIST when dir already holds an eUICC,
 * or a storage error. */
int sf_euicc_create(const char *dir, const char *eid, unsigned flags, char *eid_out);

/* Opens an eUICC state directory (exclusively: SF_ESTORE_LOCKED when another
 * process owns it). */
int sf_euicc_open(struct sf_euicc **e, const char *dir);
/* Closes it (state is always already persisted).  Accepts NULL. */
void sf_euicc_close(struct sf_euicc *e);

const char *sf_euicc_eid(const struct sf_euicc *e);
unsigned sf_euicc_flags(const struct sf_euicc *e);

/* One C-APDU in, one R-APDU (data || SW1 SW2) out, as through a reader.
 * T=0 behaviour (61xx / GET RESPONSE) unless the eUICC was switched to
 * direct mode.  Returns 0 whatever the status word; SF_E* for bad arguments. */
int sf_euicc_transmit(struct sf_euicc *e, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
		      size_t rsp_cap, size_t *rsp_len);
/* Power cycle / reset of the card (channels closed, PIN verification lost). */
int sf_euicc_reset(struct sf_euicc *e, int cold);
/* The ATR. */
int sf_euicc_atr(uint8_t *dst, size_t cap, size_t *len);

/* Installs a SAIP package without RSP (test mode only: SF_ENOTSUP
 * otherwise); the new profile is Disabled, or Enabled with enable set.
 * err (may be NULL) describes a package error.  iccid_out (21 octets, may be
 * NULL) receives the ICCID.  Returns 0, SF_ESAIP_*, SF_EDER_*, SF_ECARD_FS_*,
 * SF_EEXIST when that ICCID is installed already. */
int sf_euicc_install_local(struct sf_euicc *e, const uint8_t *pkg, size_t len, int enable,
			   struct sf_saip_error *err, char *iccid_out);

/* Gives the eUICC its RSP credentials (SGP.22 §2.6.2): CERT.EUICC.ECDSA with
 * its private key, CERT.EUM.ECDSA and the CI certificate it trusts (PEM or
 * DER files).  The chain must hold now with the GSMA rules, the key must be
 * the certificate's and the certificate's EID this eUICC's (SF_EPKI_EID).
 * Stored in the state (the key sealed); replaces earlier credentials.  From
 * then on the ISD-R answers AuthenticateServer, PrepareDownload,
 * LoadBoundProfilePackage and CancelSession, lists the CI in EUICCInfo1/2,
 * and signs every notification.  Returns 0, the SF_EPKI_* code of the
 * chain, SF_ECRYPTO_KEY, SF_ENOENT, SF_EIO or a storage error. */
int sf_euicc_set_credentials(struct sf_euicc *e, const char *euicc_cert, const char *euicc_key,
                             const char *eum_cert, const char *ci_cert);
/* 1 when the eUICC has RSP credentials. */
int sf_euicc_has_credentials(const struct sf_euicc *e);

/* Profile operations as ES10c defines them; they return SF_ES10_* result
 * codes (>= 0) or a negative SF_E* code. */
int sf_euicc_enable(struct sf_euicc *e, const char *iccid);
int sf_euicc_disable(struct sf_euicc *e, const char *iccid);
int sf_euicc_delete(struct sf_euicc *e, const char *iccid);

size_t sf_euicc_profile_count(const struct sf_euicc *e);
int sf_euicc_profile_get(const struct sf_euicc *e, size_t i, struct sf_profile_info *out);

#endif
