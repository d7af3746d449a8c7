/*
 * The UICC file system and its PINs, as a card application.
 *
 *   file types, FIDs, MF/DF/ADF/EF         ETSI TS 102 221 §8.1-§8.3
 *   file selection, current DF/EF          ETSI TS 102 221 §8.4.1, §8.4.2 (SFI)
 *   records: modes, cyclic EFs             ETSI TS 102 221 §8.2.2, §8.5 [U: §8.5 numbering]
 *   security attributes, EF_ARR, PINs      ETSI TS 102 221 §9 (§9.2.7 referenced
 *                                          format, §9.4 key references, §9.5 PS_DO),
 *                                          ISO/IEC 7816-4 §9.3 (AM_DO / SC_DO)
 *   commands, FCP template, LCSI           ETSI TS 102 221 §10.2 (status words),
 *                                          §11.1.1 (SELECT, FCP §11.1.1.3/§11.1.1.4),
 *                                          §11.1.2 STATUS, §11.1.3-§11.1.7 BINARY/RECORD/
 *                                          SEARCH, §11.1.9-§11.1.13 PIN commands,
 *                                          §11.1.14/§11.1.15 DEACTIVATE/ACTIVATE FILE,
 *                                          §11.1.19 TERMINAL CAPABILITY, §11.2.1 TERMINAL PROFILE
 *
 * The file system lives in one caller-provided byte arena which is also its
 * persisted form: files are position-independent records (offsets, little
 * endian, never pointers), so the owner saves sf_fs_used() octets and later
 * hands them back to sf_fs_attach(), which checks them before use.  A file is
 * named by its handle: its offset in the arena (uint32_t, never 0), stable
 * across save and load.
 *
 * PINs (key references, values, retry counters, PUKs) are a plain
 * fixed-size struct sf_pins the owner also persists.  Which PINs have been
 * verified is RAM state in struct sf_fs (cleared by sf_fs_reset()).
 *
 * Current DF/ADF/EF and record pointer are per logical channel, kept in the
 * card's per-channel state area (sf_card_chan_state()).
 *
 * No heap, no dependency beyond the C library: part of simfleet_aka.
 * See docs/uicc-fs.md.
 */
#ifndef SIMFLEET_UICC_FS_H
#define SIMFLEET_UICC_FS_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/card.h"

/* ---- PINs (TS 102 221 §9.4, §9.5) ---- */

/* Key references (TS 102 221 Table 9.3). */
#define SF_PIN_REF_PIN1 0x01      /* PIN Appl 1 */
#define SF_PIN_REF_UNIVERSAL 0x11 /* universal PIN */
#define SF_PIN_REF_ADM1 0x0A      /* ADM1 (0A..0E, 8A..8E: ADM1..ADM10) */
#define SF_PIN_REF_PIN2 0x81      /* second PIN Appl 1 */

#define SF_PINS_MAX 10 /* PIN slots per card */
#define SF_PIN_LEN 8   /* PIN and PUK values: 8 octets, padded with FF */

/* sf_pin flags */
#define SF_PIN_ENABLED 0x01    /* verification required (else "disabled") */
#define SF_PIN_NO_DISABLE 0x02 /* DISABLE PIN refused (69 85); ADM keys always */
#define SF_PIN_HAS_PUK 0x04    /* an unblock key is set */

/* One key reference.  Plain data, no pointers: persist struct sf_pins as is. */
struct sf_pin {
	uint8_t ref;      /* key reference; 0 = free slot */
	uint8_t flags;    /* SF_PIN_* */
	uint8_t max;      /* retry counter initial value, 1..15 */
	uint8_t left;     /* retries left; 0 = blocked */
	uint8_t puk_max;  /* unblock counter initial value, 1..15 */
	uint8_t puk_left; /* 0 = PUK blocked */
	uint8_t rfu[2];
	uint8_t value[SF_PIN_LEN];
	uint8_t puk[SF_PIN_LEN];
};

struct sf_pins {
	uint8_t version; /* SF_PINS_VERSION */
	uint8_t rfu[3];
	struct sf_pin pin[SF_PINS_MAX];
};
#define SF_PINS_VERSION 1

/* Empties p (no PINs).  Never fails. */
void sf_pins_init(struct sf_pins *p);

/* Wipes p (PIN and PUK values).  Accepts NULL; may be called twice. */
void sf_pins_free(struct sf_pins *p);

/* Sets (creates or replaces) the PIN with key reference ref: value is 1..8
 * octets, stored padded with FF (a 4-digit PIN "1234" is 31 32 33 34); max
 * retries 1..15 (the counter is reset to it); flags SF_PIN_ENABLED and/or
 * SF_PIN_NO_DISABLE (ADM references 0A..0E, 8A..8E always get NO_DISABLE
 * and ENABLED).  A replaced PIN keeps its PUK.  Returns 0, SF_EINVAL (NULL,
 * ref 0, length, max, unknown flag) or SF_ERANGE (all SF_PINS_MAX slots used). */
int sf_pin_set(struct sf_pins *p, uint8_t ref, const uint8_t *value, size_t len, uint8_t max,
	       unsigned flags);

/* Sets the unblock key (PUK) of the existing PIN ref: 1..8 octets, FF-padded,
 * max tries 1..15.  Returns 0, SF_EINVAL or SF_ENOENT (no such PIN). */
int sf_pin_set_puk(struct sf_pins *p, uint8_t ref, const uint8_t *puk, size_t len, uint8_t max);

struct sf_pin_status {
	int enabled;
	unsigned left, max;         /* 0 left = blocked */
	unsigned puk_left, puk_max; /* 0/0 without PUK */
	int has_puk;
};

/* Status of PIN ref.  Returns 0, SF_EINVAL or SF_ENOENT. */
int sf_pin_status(const struct sf_pins *p, uint8_t ref, struct sf_pin_status *out);

/* ---- File system model ---- */

enum sf_fs_type {
	SF_FS_MF = 1,
	SF_FS_DF = 2,
	SF_FS_ADF = 3,
	SF_FS_EF_TRANSPARENT = 4,
	SF_FS_EF_LINEAR_FIXED = 5,
	SF_FS_EF_CYCLIC = 6,
};

/* Life cycle status integer (TS 102 221 §11.1.1.4.9), as coded in tag 8A. */
#define SF_FS_LCSI_CREATION 0x01
#define SF_FS_LCSI_INIT 0x03
#define SF_FS_LCSI_ACTIVATED 0x05   /* operational, activated */
#define SF_FS_LCSI_DEACTIVATED 0x04 /* operational, deactivated */
#define SF_FS_LCSI_TERMINATED 0x0C

/* SFI values for struct sf_fs_ef_params */
#define SF_FS_SFI_NONE 0x00    /* the EF has no SFI (FCP carries an empty 88) */
#define SF_FS_SFI_DEFAULT 0xFF /* the 5 low bits of the FID (none if 0 or 31) */

#define SF_FS_AID_MAX 16
#define SF_FS_HEADER_SIZE 32 /* arena header */
#define SF_FS_FILE_OVERHEAD 32 /* per file, plus its AID and contents */

/* The file system.  Caller-owned; the arena (mem) is owned by the caller
 * too and must outlive fs.  Fields are private. */
struct sf_fs {
	uint8_t *mem;
	size_t cap;
	uint32_t verified; /* bit i: sf_pins.pin[i] verified since the last reset */
	unsigned dirty;    /* SF_FS_DIRTY_* */
};

#define SF_FS_DIRTY_ARENA 0x1u /* the arena changed: persist sf_fs_used() octets */
#define SF_FS_DIRTY_PINS 0x2u  /* struct sf_pins changed (counter, value, enabled) */

/* Security attributes and state of a new file. */
struct sf_fs_attr {
	uint16_t arr_fid; /* EF_ARR holding the rule (usually 2F06 / 6F06) */
	uint8_t arr_rec;  /* its record number; 0 = no security attributes: every
			   * access allowed (use only for tests) */
	uint8_t lcsi;     /* SF_FS_LCSI_*; 0 means ACTIVATED */
};

struct sf_fs_ef_params {
	enum sf_fs_type type; /* SF_FS_EF_* */
	uint32_t size;        /* transparent: 0..65535 octets */
	uint8_t rec_len;      /* record EFs: 1..255 */
	uint8_t nrec;         /* record EFs: 1..254 */
	uint8_t sfi;          /* 1..30, SF_FS_SFI_NONE or SF_FS_SFI_DEFAULT */
	uint8_t fill;         /* initial content octet (normally FF) */
};

/* Formats mem (cap octets, at least SF_FS_HEADER_SIZE) as an empty file
 * system and attaches fs to it.  Create the MF next.  Returns 0, SF_EINVAL or
 * SF_ECARD_FS_SPACE. */
int sf_fs_init(struct sf_fs *fs, void *mem, size_t cap);

/* Attaches fs to an arena read back from storage (the first sf_fs_used()
 * octets of one, cap >= that; the arena may be larger than when it was
 * saved).  Checks everything before use: header, every record's bounds and
 * fields, parents, duplicates, checksum.  fs is written only on success.
 * Returns 0, SF_EINVAL or SF_ECARD_FS_CORRUPT. */
int sf_fs_attach(struct sf_fs *fs, void *mem, size_t cap);

/* Octets of the arena in use: what the owner must persist. */
size_t sf_fs_used(const struct sf_fs *fs);

/* Returns and clears the SF_FS_DIRTY_* flags (what changed since the last
 * call): the owner persists the arena and/or the PINs when they are set. */
unsigned sf_fs_take_dirty(struct sf_fs *fs);

/* Creation (installer API, no access conditions).  out (may be NULL)
 * receives the new file's handle.  Errors change nothing:
 *   SF_EINVAL           NULL fs/attr/params/aid
 *   SF_ECARD_FS_PARAM   reserved FID (3F00, 7FFF, 3FFF, FFFF), sizes, SFI, LCSI,
 *                       AID length 1..16
 *   SF_ECARD_FS_PARENT  parent is not the handle of an MF/DF/ADF; no MF yet
 *   SF_ECARD_FS_EXISTS  MF twice; FID already used by a child of parent (or
 *                       equal to the parent's); SFI used in parent; AID used
 *   SF_ECARD_FS_SPACE   the arena is full */
int sf_fs_create_mf(struct sf_fs *fs, const struct sf_fs_attr *attr, uint32_t *out);
int sf_fs_create_df(struct sf_fs *fs, uint32_t parent, uint16_t fid, const struct sf_fs_attr *attr,
		    uint32_t *out);
/* ADFs hang below the MF (their parent DF for SELECT P1=03); fid is their
 * FID for paths under 7FFF (ADF FIDs are not selectable from the MF). */
int sf_fs_create_adf(struct sf_fs *fs, uint16_t fid, const uint8_t *aid, size_t aid_len,
		     const struct sf_fs_attr *attr, uint32_t *out);
int sf_fs_create_ef(struct sf_fs *fs, uint32_t parent, uint16_t fid,
		    const struct sf_fs_ef_params *params, const struct sf_fs_attr *attr,
		    uint32_t *out);

/* Writes raw contents of EF file at offset (records are stored one after
 * the other, record 1 first, as the installer's fillFileContent expects).
 * Returns 0, SF_EINVAL, SF_ENOENT (not an EF handle) or SF_ERANGE (past the
 * end; nothing written). */
int sf_fs_write_content(struct sf_fs *fs, uint32_t file, size_t offset, const uint8_t *data,
			size_t len);
/* Writes record recno (1..nrec; for cyclic EFs the logical number) of a
 * record EF; len must be the record length.  0, SF_EINVAL, SF_ENOENT,
 * SF_ERANGE. */
int sf_fs_write_record(struct sf_fs *fs, uint32_t file, unsigned recno, const uint8_t *data,
		       size_t len);
/* Reads raw contents (like sf_fs_write_content).  0, SF_EINVAL, SF_ENOENT,
 * SF_ERANGE. */
int sf_fs_read_content(const struct sf_fs *fs, uint32_t file, size_t offset, uint8_t *dst,
		       size_t len);
/* Sets the LCSI of a file.  0, SF_EINVAL, SF_ENOENT, SF_ECARD_FS_PARAM. */
int sf_fs_set_lcsi(struct sf_fs *fs, uint32_t file, uint8_t lcsi);

/* Look-ups.  Return 0 and the handle, SF_EINVAL, or SF_ENOENT. */
/* The MF. */
int sf_fs_mf(const struct sf_fs *fs, uint32_t *out);
/* The child of DF parent with FID fid (ADFs are not children by FID). */
int sf_fs_find(const struct sf_fs *fs, uint32_t parent, uint16_t fid, uint32_t *out);
/* A path of FIDs from the MF (2 octets each, without 3F00), as SELECT P1=08. */
int sf_fs_find_path(const struct sf_fs *fs, const uint8_t *path, size_t len, uint32_t *out);
/* The first ADF whose AID starts with aid (aid_len 1..16). */
int sf_fs_find_adf(const struct sf_fs *fs, const uint8_t *aid, size_t aid_len, uint32_t *out);

struct sf_fs_info {
	enum sf_fs_type type;
	uint16_t fid;
	uint8_t sfi; /* 0: none */
	uint8_t lcsi;
	uint32_t parent; /* 0 for the MF */
	uint32_t size;   /* EF body size (rec_len * nrec for record EFs) */
	uint8_t rec_len, nrec;
	uint8_t aid_len;
	uint8_t aid[SF_FS_AID_MAX];
	uint16_t arr_fid;
	uint8_t arr_rec;
};
/* 0, SF_EINVAL or SF_ENOENT (not a file handle of fs). */
int sf_fs_info(const struct sf_fs *fs, uint32_t file, struct sf_fs_info *out);

/* ---- As a card application ---- */

/* What is selected on a logical channel (handles; 0 = none). */
struct sf_fs_selection {
	uint32_t df;  /* current DF (the MF after reset) */
	uint32_t adf; /* current application (ADF), 0 = none */
	uint32_t ef;  /* current EF, 0 = none */
	unsigned rec; /* record pointer, 0 = none */
};

/* Processes one command for the file system on cmd->channel:
 *   SELECT (A4), STATUS (80 F2), READ/UPDATE BINARY (B0/D6),
 *   READ/UPDATE RECORD (B2/DC), SEARCH RECORD (A2, simple search),
 *   VERIFY (20), CHANGE (24), DISABLE (26), ENABLE (28), UNBLOCK (2C) PIN,
 *   DEACTIVATE (04) / ACTIVATE (44) FILE,
 *   TERMINAL PROFILE (80 10), TERMINAL CAPABILITY (80 AA): 90 00, stored nowhere.
 * Sets rsp->sw (and data) and returns 0 for those, whatever the status word.
 * Returns SF_ECARD_UNHANDLED, rsp untouched, for any other INS, so the caller
 * can route it (AUTHENTICATE, STORE DATA, ...) and answer 6D 00 at the end.
 * SF_EINVAL for NULL arguments.  The per-channel state must be the card's
 * (call from the card application's process callback). */
int sf_fs_process(struct sf_fs *fs, struct sf_pins *pins, struct sf_card *card,
		  const struct sf_apdu *cmd, struct sf_rapdu *rsp);

/* Call from the card application's reset callback: forgets which PINs were
 * verified (the card zeroes the channel state, i.e. the MF is current). */
void sf_fs_reset(struct sf_fs *fs);

/* Call from the card application's channel_opened callback: a channel
 * opened from channel 0 starts at the MF; opened from another channel it
 * inherits that channel's current DF and application (TS 102 221 §11.1.17,
 * ISO/IEC 7816-4 §5.4.1), with no current EF. */
void sf_fs_channel_opened(struct sf_fs *fs, struct sf_card *card, unsigned channel,
			  unsigned origin);

/* What is selected on channel ch.  0, SF_EINVAL, or SF_ECARD_CLOSED. */
int sf_fs_current(const struct sf_fs *fs, struct sf_card *card, unsigned ch,
		  struct sf_fs_selection *out);

/* 1 when the access condition "user verification with key reference ref"
 * holds now: the PIN is verified, or disabled.  0 otherwise (also for an
 * unknown ref).  For applications such as AUTHENTICATE (TS 31.102 §7.1.2
 * needs PIN1). */
int sf_fs_key_satisfied(const struct sf_fs *fs, const struct sf_pins *pins, uint8_t ref);

#endif
