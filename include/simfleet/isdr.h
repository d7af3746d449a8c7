/*
 * The ISD-R: the eUICC's root security domain that LPAs and IPAs talk to
 * (GSMA SGP.22 §5.7 ES10a/b/c, SGP.32 additions).  ES10 functions travel in
 * STORE DATA commands (CLA 80|ch, INS E2, P1 11 = more blocks / 91 = last
 * block, P2 = block number); the ISD-R reassembles the blocks, dispatches on
 * the outer tag of the ASN.1 request (BF3E GetEID, BF2D GetProfilesInfo, ...)
 * and answers with the DER response, which the card engine returns directly or
 * through 61xx / GET RESPONSE.
 *
 * The ISD-R keeps no profile data itself: it asks the eUICC that hosts it
 * through struct sf_isdr_host_ops.  No heap allocation.
 */
#ifndef SIMFLEET_ISDR_H
#define SIMFLEET_ISDR_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/card.h"

/* A0000005591010FFFFFFFF8900000100 */
#define SF_ISDR_AID_LEN 16
extern const uint8_t sf_isdr_aid[SF_ISDR_AID_LEN];

/* Largest reassembled ES10 request. */
#ifndef SF_ISDR_MAX_COMMAND
#define SF_ISDR_MAX_COMMAND 4096
#endif

/* Most pending notifications RetrieveNotificationsList looks at. */
#define SF_ISDR_MAX_NOTIFICATIONS 64

enum sf_profile_state { SF_PROFILE_DISABLED = 0, SF_PROFILE_ENABLED = 1 };
enum sf_profile_class {
	SF_PROFILE_CLASS_TEST = 0,
	SF_PROFILE_CLASS_PROVISIONING = 1,
	SF_PROFILE_CLASS_OPERATIONAL = 2
};

/* ProfileInfo (SGP.22 §5.7.15) as the host keeps it. */
struct sf_profile_info {
	char iccid[21]; /* 19 or 20 digits */
	uint8_t isdp_aid[16];
	uint8_t isdp_aid_len;
	uint8_t state;  /* enum sf_profile_state */
	uint8_t pclass; /* enum sf_profile_class */
	char nickname[65];
	char spn[33];  /* serviceProviderName */
	char name[65]; /* profileName */
};

/* NotificationEvent bits (SGP.22 §5.7.9). */
enum sf_notif_event {
	SF_NOTIF_INSTALL = 0,
	SF_NOTIF_ENABLE = 1,
	SF_NOTIF_DISABLE = 2,
	SF_NOTIF_DELETE = 3
};

/* NotificationMetadata (SGP.22 §5.7.9; signatures come with RSP security). */
struct sf_notification {
	uint32_t seq;
	uint8_t event;      /* enum sf_notif_event */
	char address[256];  /* notificationAddress (FQDN of the SM-DP+) */
	char iccid[21];     /* "" when absent */
};

/* ES10 result codes used by the host operations (SGP.22 §5.7.16 ff.). */
enum {
	SF_ES10_OK = 0,
	SF_ES10_NOT_FOUND = 1,         /* iccidOrAidNotFound / iccidNotFound */
	SF_ES10_WRONG_STATE = 2,       /* profileNotInDisabledState / profileNotInEnabledState */
	SF_ES10_DISALLOWED = 3,        /* disallowedByPolicy */
	SF_ES10_CAT_BUSY = 5,          /* catBusy */
	SF_ES10_NOTHING_TO_DELETE = 1, /* eUICCMemoryReset, RemoveNotificationFromList */
	SF_ES10_UNDEFINED = 127        /* undefinedError */
};

/* What the ISD-R asks of its eUICC.  Operations that change state return an
 * ES10 result code (>= 0) — having done nothing unless it is SF_ES10_OK — or
 * a negative SF_E* code for an internal failure (the ISD-R then answers
 * undefinedError).  The host persists every change before returning OK. */
struct sf_isdr_host_ops {
	/* 32 digits. */
	const char *(*eid)(void *user);
	size_t (*profile_count)(void *user);
	int (*profile_get)(void *user, size_t i, struct sf_profile_info *out);
	int (*enable)(void *user, const char *iccid, int refresh);
	int (*disable)(void *user, const char *iccid, int refresh);
	int (*delete_profile)(void *user, const char *iccid);
	int (*set_nickname)(void *user, const char *iccid, const char *nickname);
	/* options: bit 0 deleteOperationalProfiles, 1 deleteFieldLoadedTestProfiles,
	 * 2 resetDefaultSmdpAddress (SGP.22 §5.7.19). */
	int (*memory_reset)(void *user, unsigned options);
	/* Copies the default SM-DP+ address ("" when none) and the root SM-DS. */
	int (*addresses)(void *user, char *dp, size_t dp_cap, char *ds, size_t ds_cap);
	int (*set_default_dp)(void *user, const char *address);
	size_t (*notification_count)(void *user);
	int (*notification_get)(void *user, size_t i, struct sf_notification *out);
	/* SF_ES10_OK or SF_ES10_NOTHING_TO_DELETE. */
	int (*notification_remove)(void *user, uint32_t seq);
	/* Random octets for the eUICC challenge. */
	int (*random)(void *user, uint8_t *buf, size_t len);

	/* ---- RSP security (SGP.22 §5.7.5-§5.7.14); all three NULL on an
	 * eUICC without RSP credentials, which then answers as before: empty CI
	 * lists, the ISD-R's own challenge, 6A 88 for BF38/BF21/BF36/BF41. ---- */
	/* The i-th CI public key identifier (SKI) the eUICC trusts for
	 * verification and signing: its length, 0 past the last. */
	size_t (*ci_pkid)(void *user, size_t i, uint8_t *dst, size_t cap);
	/* Runs an RSP function whose request TLV is req: tag BF2E
	 * GetEUICCChallenge, BF38 AuthenticateServer, BF21 PrepareDownload, BF41
	 * CancelSession, or BF36 for each LoadBoundProfilePackage item (the first
	 * "BF36 L BF23..", then "A0..", "A1 L", "88..", "A2..", "A3 L", "86..").
	 * Writes the whole response TLV to dst.  Returns 0 (response written),
	 * 1 (a BF36 item accepted, no response yet), SF_ENOTSUP (no credentials),
	 * SF_ERSP_FORMAT (not the ASN.1: 6A 80) or another SF_E* (internal). */
	int (*rsp)(void *user, uint32_t tag, const uint8_t *req, size_t len, uint8_t *dst,
	           size_t cap, size_t *out_len);
	/* The signed PendingNotification TLV (BF37 ProfileInstallationResult or
	 * 30 OtherSignedNotification) of notification i.  Producer contract:
	 * dst NULL / cap too small -> SF_EBUFSIZE with *out_len = size needed.
	 * SF_ENOTSUP when it has none (an eUICC without credentials). */
	int (*notification_signed)(void *user, size_t i, uint8_t *dst, size_t cap, size_t *out_len);
};

struct sf_isdr {
	const struct sf_isdr_host_ops *ops;
	void *user;
	/* STORE DATA reassembly, per card (one ES10 exchange at a time). */
	uint8_t chan;
	uint8_t next_block;
	uint8_t assembling;
	size_t len;
	uint8_t buf[SF_ISDR_MAX_COMMAND];
	uint8_t challenge[16];
	uint8_t have_challenge;
	/* A LoadBoundProfilePackage is in progress: the items after the first
	 * (tags A0..A3, 86, 88) go to ops->rsp. */
	uint8_t bpp_active;
};

int sf_isdr_init(struct sf_isdr *isdr, const struct sf_isdr_host_ops *ops, void *user);

/* Processes a command addressed to the ISD-R (the ISD-R is the selected
 * application on cmd->channel): STORE DATA (E2), and answers everything else
 * with the right status word.  Sets rsp->sw and data; returns 0, or a
 * negative SF_E* only for an internal failure. */
int sf_isdr_process(struct sf_isdr *isdr, struct sf_card *card, const struct sf_apdu *cmd,
		    struct sf_rapdu *rsp);

/* Drops a partly reassembled request (card reset, channel closed). */
void sf_isdr_reset(struct sf_isdr *isdr);

/* The eUICC's EUICCInfo2 (BF22 ..), as GetEUICCInfo2 answers it: the host
 * signs it inside euiccSigned1.  Producer contract (SF_EBUFSIZE: *out_len =
 * size needed). */
int sf_isdr_euicc_info2(struct sf_isdr *isdr, uint8_t *dst, size_t cap, size_t *out_len);

#endif
