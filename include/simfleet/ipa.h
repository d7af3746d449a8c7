/*
 * The device agent (LPA / IPA side of GSMA SGP.22 v2.5): it drives an eUICC
 * through an APDU transport with ES10 (STORE DATA to the ISD-R, §5.7) and
 * talks to an SM-DP+ with ES9+ (§5.6, JSON binding §6.5) to download a
 * profile (§3.1.3).
 *
 * Three layers, each usable alone:
 *
 *  1. struct sf_ipa_transport: one C-APDU in, one R-APDU (data || SW1 SW2)
 *     out.  Implementations: the in-process eUICC (sf_ipa_transport_euicc),
 *     the eUICC daemon's Unix socket (sf_ipa_transport_unix, the vpcd framing
 *     of `simfleet euicc serve --socket`), PC/SC (sf_ipa_transport_pcsc, in
 *     the host library simfleet_ipa_host, present only when built with
 *     libpcsclite).
 *  2. struct sf_ipa_es10: the ES10 client.  It opens a logical channel,
 *     selects the ISD-R on it, sends each request as a STORE DATA chain and
 *     collects the response through 61xx / GET RESPONSE (T=0).
 *  3. The download and notification flows over ES9+ (libcurl + jansson:
 *     simfleet_ipa_host, not the core libraries).
 *
 * Layers 1 (except PC/SC) and 2 allocate nothing on the heap and need no
 * library beyond the simfleet core.
 */
#ifndef SIMFLEET_IPA_H
#define SIMFLEET_IPA_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/isdr.h"

struct sf_euicc;

/* ---- 1. APDU transports ---- */

struct sf_ipa_transport {
	/* Sends one C-APDU, receives one R-APDU (data || SW1 SW2, at least 2
	 * octets) into rsp[0..cap).  Returns 0 whatever the status word, or a
	 * negative SF_E* for a transport failure. */
	int (*transmit)(struct sf_ipa_transport *t, const uint8_t *cmd, size_t len, uint8_t *rsp,
	                size_t cap, size_t *rlen);
	/* Releases what the transport holds (socket, PC/SC context); may be NULL. */
	void (*release)(struct sf_ipa_transport *t);
	void *user;
	int fd;
	/* A short human name ("in-process", "socket PATH", "pcsc READER"). */
	char name[128];
};

/* In-process: APDUs go to sf_euicc_transmit(e); the caller keeps e open for
 * the transport's life and closes it afterwards. */
void sf_ipa_transport_euicc(struct sf_ipa_transport *t, struct sf_euicc *e);

/* Connects to a Unix stream socket served by `simfleet euicc serve --socket
 * PATH` (2-octet big-endian length + payload, docs/euicc-serve.md) and powers
 * the card on.  timeout_ms bounds every read (0 = 10 s).  Returns 0,
 * SF_ETRANSPORT_ADDR (path too long), SF_ETRANSPORT_IO (cannot connect). */
int sf_ipa_transport_unix(struct sf_ipa_transport *t, const char *path, unsigned timeout_ms);

/* PC/SC (libpcsclite): the reader whose name is reader, or the first reader
 * with a card when reader is NULL or "".  Connects with T=0 (what LPAs use,
 * notes/lpa-compat.md §3), T=1 only for a card without T=0.  Returns 0,
 * SF_EIPA_PCSC (no pcscd, no reader, no card: the message is logged) or
 * SF_EIPA_NO_PCSC when this simfleet was built without libpcsclite.
 * Implemented in simfleet_ipa_host. */
int sf_ipa_transport_pcsc(struct sf_ipa_transport *t, const char *reader);

/* Releases the transport (calls release); accepts a zeroed struct, callable
 * twice. */
void sf_ipa_transport_close(struct sf_ipa_transport *t);

/* ---- 2. The ES10 client ---- */

/* STORE DATA block size: lpac's default (notes/lpa-compat.md §3). */
#define SF_IPA_BLOCK_DEFAULT 120
/* Largest ES10 response the client collects (a full AuthenticateServer
 * response with two certificates is about 1.6 KiB). */
#define SF_IPA_RSP_MAX 8192

struct sf_ipa_es10 {
	struct sf_ipa_transport *tr;
	uint8_t ch;       /* logical channel the ISD-R is selected on (0..19) */
	uint8_t opened;   /* 1 when ch was opened with MANAGE CHANNEL */
	size_t block;     /* data octets per STORE DATA block (1..255) */
	uint16_t last_sw; /* status word of the last command */
	/* Room for requests built and responses parsed here (not for the
	 * caller's rsp buffers). */
	uint8_t scratch[2 * SF_IPA_RSP_MAX];
};

/* Opens a logical channel (MANAGE CHANNEL open; when the card refuses,
 * falls back to the basic channel 0) and SELECTs the ISD-R on it.  block
 * 0 = SF_IPA_BLOCK_DEFAULT.  Returns 0, SF_EIPA_SW (SELECT refused: no
 * ISD-R), or a transport error. */
int sf_ipa_es10_open(struct sf_ipa_es10 *c, struct sf_ipa_transport *tr, size_t block);
/* Closes the logical channel (MANAGE CHANNEL close).  Accepts a zeroed
 * struct, callable twice. */
void sf_ipa_es10_close(struct sf_ipa_es10 *c);

/* Builds STORE DATA block i of a chain carrying req[0..len) on channel ch
 * (CLA 80|ch, INS E2, P1 11 more / 91 last, P2 = i, Lc, data; no Le) into
 * apdu[0..5+block).  *nblocks gets the number of blocks of the chain (an
 * empty request is one empty block).  Returns 0, SF_EINVAL, SF_ERANGE (i
 * past the last block, or more than 256 blocks). */
int sf_ipa_store_data_block(uint8_t ch, size_t block, const uint8_t *req, size_t len, size_t i,
                            uint8_t *apdu, size_t *apdu_len, size_t *nblocks);

/* Sends one ES10 request (a complete DER element) as a STORE DATA chain and
 * returns the response data of the last block (possibly empty) in
 * rsp[0..cap).  Intermediate blocks must be answered 90 00.  Returns 0,
 * SF_EIPA_SW (a status word other than 90 00 / 61xx: c->last_sw tells
 * which; 6A 88 = the eUICC does not know this function), SF_EBUFSIZE, or a
 * transport error. */
int sf_ipa_es10_transceive(struct sf_ipa_es10 *c, const uint8_t *req, size_t len, uint8_t *rsp,
                           size_t cap, size_t *rlen);

/* ES10c.GetEID: eid gets 32 digits and a NUL. */
int sf_ipa_get_eid(struct sf_ipa_es10 *c, char eid[33]);
/* ES10b.GetEUICCInfo1 (BF20) and GetEUICCInfo2 (BF22): the raw response
 * element (checked to be one BF20 / BF22 TLV). */
int sf_ipa_get_info1(struct sf_ipa_es10 *c, uint8_t *rsp, size_t cap, size_t *rlen);
int sf_ipa_get_info2(struct sf_ipa_es10 *c, uint8_t *rsp, size_t cap, size_t *rlen);
/* ES10b.GetEUICCChallenge. */
int sf_ipa_get_challenge(struct sf_ipa_es10 *c, uint8_t challenge[16]);

/* Device information for ctxParams1 (SGP.22 §5.7.13, DeviceInfo). */
struct sf_ipa_device_info {
	uint8_t tac[4];
	/* DeviceCapabilities as release versions {major, minor, rev}; a zero
	 * major leaves the field out. */
	uint8_t gsm[3], utran[3], eutran_epc[3], nr_epc[3], nr_5gc[3], eutran_5gc[3];
	uint8_t imei[8];
	uint8_t have_imei;
};

/* ES10b.AuthenticateServer (BF38).  The four server fields are the DER
 * elements exactly as ES9+ initiateAuthentication returned them
 * (serverSigned1 30.., serverSignature1 5F37.., euiccCiPKIdToBeUsed 04..,
 * serverCertificate 30..); they are re-encoded nothing.  matching_id may be
 * NULL (absent).  rsp gets the BF38 response (Ok or Error choice, checked to
 * be one BF38 TLV). */
int sf_ipa_authenticate_server(struct sf_ipa_es10 *c, const uint8_t *signed1, size_t signed1_len,
                               const uint8_t *sig1, size_t sig1_len, const uint8_t *ci_pkid,
                               size_t ci_pkid_len, const uint8_t *cert, size_t cert_len,
                               const char *matching_id, const struct sf_ipa_device_info *dev,
                               uint8_t *rsp, size_t cap, size_t *rlen);

/* ES10b.PrepareDownload (BF21): smdpSigned2 30.., smdpSignature2 5F37..,
 * hashCc (32 octets, NULL = absent), smdpCertificate 30..; rsp gets BF21. */
int sf_ipa_prepare_download(struct sf_ipa_es10 *c, const uint8_t *signed2, size_t signed2_len,
                            const uint8_t *sig2, size_t sig2_len, const uint8_t *hash_cc,
                            const uint8_t *cert, size_t cert_len, uint8_t *rsp, size_t cap,
                            size_t *rlen);

/* hashCc = SHA-256(SHA-256(confirmation code) || transactionId) (SGP.22
 * §3.1.3.4 / §5.7.5). */
void sf_ipa_hash_cc(const char *code, const uint8_t *tid, size_t tid_len, uint8_t out[32]);

/* One item of a bound profile package as an LPA sends it (bpp-crypto.md §6). */
struct sf_ipa_bpp_item {
	size_t off, len; /* within the BPP */
};

/* Splits a BoundProfilePackage (BF36) into the items an LPA sends, each as
 * its own STORE DATA chain: "BF36 L" + BF23 TLV; the A0 TLV; "A1 L" alone,
 * then each 88 TLV; the A2 TLV if present; "A3 L" alone, then each 86 TLV.
 * items may be NULL (count only); *n gets the item count.  Returns 0,
 * SF_EBUFSIZE (more than max items; *n is the count needed), SF_EIPA_BPP
 * (not a well-formed BF36: order, tags, lengths, trailing data). */
int sf_ipa_bpp_split(const uint8_t *bpp, size_t len, struct sf_ipa_bpp_item *items, size_t max,
                     size_t *n);

/* ES10b.LoadBoundProfilePackage: sends the items of bpp in order and stops
 * at the first that is answered with data (the ProfileInstallationResult
 * BF37, at the end or early on an error).  rsp gets the BF37.  Returns 0
 * (a PIR was received: success or error, see sf_ipa_pir_parse),
 * SF_EIPA_BPP, SF_EIPA_RESPONSE (all items sent and no BF37), SF_EIPA_SW. */
int sf_ipa_load_bpp(struct sf_ipa_es10 *c, const uint8_t *bpp, size_t len, uint8_t *rsp, size_t cap,
                    size_t *rlen);

/* What a ProfileInstallationResult says. */
struct sf_ipa_pir {
	int ok;             /* successResult */
	int bpp_command_id; /* errorResult: bppCommandId (-1 when ok) */
	int error_reason;   /* errorResult: errorReason (-1 when ok) */
	uint32_t seq;       /* notificationMetadata seqNumber */
	char iccid[21];     /* notificationMetadata iccid ("" when absent) */
	uint8_t tid[16];
	size_t tid_len;
};
/* Parses BF37 (SGP.22 §5.7.6).  Returns 0 or SF_EIPA_RESPONSE. */
int sf_ipa_pir_parse(const uint8_t *pir, size_t len, struct sf_ipa_pir *out);

/* CancelSession reasons (SGP.22 §5.7.14). */
enum {
	SF_IPA_CANCEL_END_USER_REJECTION = 0,
	SF_IPA_CANCEL_POSTPONED = 1,
	SF_IPA_CANCEL_TIMEOUT = 2,
	SF_IPA_CANCEL_PPR_NOT_ALLOWED = 3,
	SF_IPA_CANCEL_METADATA_MISMATCH = 4,
	SF_IPA_CANCEL_LOAD_BPP_ERROR = 5,
	SF_IPA_CANCEL_UNDEFINED = 127
};
/* ES10b.CancelSession (BF41): rsp gets the BF41 response. */
int sf_ipa_cancel_session(struct sf_ipa_es10 *c, const uint8_t *tid, size_t tid_len, int reason,
                          uint8_t *rsp, size_t cap, size_t *rlen);

/* ES10b.ListNotification (BF28), all events: up to max entries into list,
 * *n = the number the eUICC listed (may exceed max: then SF_EBUFSIZE). */
int sf_ipa_list_notifications(struct sf_ipa_es10 *c, struct sf_notification *list, size_t max,
                              size_t *n);
/* ES10b.RetrieveNotificationsList (BF2B) for one seqNumber: the raw
 * PendingNotification (BF37 PIR or 30 OtherSignedNotification) into
 * rsp.  SF_ENOENT when no such notification, SF_EIPA_REFUSED when the eUICC
 * answers notificationsListResultError. */
int sf_ipa_retrieve_notification(struct sf_ipa_es10 *c, uint32_t seq, uint8_t *rsp, size_t cap,
                                 size_t *rlen);
/* ES10b.RemoveNotificationFromList (BF30): returns the
 * deleteNotificationStatus (>= 0: 0 ok, 1 nothingToDelete, 127) or SF_E*. */
int sf_ipa_remove_notification(struct sf_ipa_es10 *c, uint32_t seq);

/* ES10c.GetProfilesInfo (BF2D), all profiles: as sf_ipa_list_notifications. */
int sf_ipa_get_profiles(struct sf_ipa_es10 *c, struct sf_profile_info *list, size_t max, size_t *n);
/* ES10c.EnableProfile / DisableProfile (refreshFlag as given) and
 * DeleteProfile by ICCID: the ES10 result code (>= 0, SF_ES10_*) or SF_E*. */
int sf_ipa_enable(struct sf_ipa_es10 *c, const char *iccid, int refresh);
int sf_ipa_disable(struct sf_ipa_es10 *c, const char *iccid, int refresh);
int sf_ipa_delete(struct sf_ipa_es10 *c, const char *iccid);
/* The SGP.22 name of an Enable/Disable/Delete result ("ok",
 * "iccidOrAidNotFound", ...), for function tag 0xBF31/0xBF32/0xBF33. */
const char *sf_ipa_result_name(uint32_t fn_tag, int result);

/* ES10a.GetEuiccConfiguredAddresses (BF3C, SGP.22 §5.7.3): the default
 * SM-DP+ address ("" when the eUICC has none) and the root SM-DS address,
 * each at most 255 octets of UTF-8 without control characters.  Returns 0,
 * SF_EIPA_RESPONSE, SF_EIPA_SW, SF_EINVAL, or a transport error. */
int sf_ipa_get_addresses(struct sf_ipa_es10 *c, char default_dp[256], char root_ds[256]);
/* ES10a.SetDefaultDpAddress (BF3F, §5.7.4): address "" clears it.  Returns
 * the setDefaultDpAddressResult (>= 0: 0 ok, 127 undefinedError) or SF_E*
 * (SF_EINVAL: over 255 octets or not UTF-8). */
int sf_ipa_set_default_dp(struct sf_ipa_es10 *c, const char *address);

/* ---- activation code (SGP.22 §4.1) ---- */

struct sf_ipa_ac {
	char smdp[256];        /* SM-DP+ address: FQDN[:port] */
	char matching_id[256]; /* AC_Token ("" when empty) */
	char oid[128];         /* SM-DP+ OID ("" when absent) */
	int cc_required;       /* Confirmation Code Required Flag */
};

/* Parses "1$SMDP$MATCHINGID[$OID[$CCFLAG]]", with or without the "LPA:"
 * prefix of a QR code.  Returns 0 or SF_EIPA_AC (the format version is not
 * 1, the address is empty or not a host name, a field is too long or has a
 * character SGP.22 does not allow, too many fields). */
int sf_ipa_ac_parse(const char *s, struct sf_ipa_ac *out);

/* 1 when address is an SM-DP+ address as the activation code carries it
 * (an FQDN or IP address, an optional ":port", at most 255 octets), else 0.
 * For addresses from elsewhere (the eUICC's default SM-DP+, a command
 * line) before they go into an https:// URL. */
int sf_ipa_smdp_address_valid(const char *address);

/* ---- 3. The flows over ES9+ (simfleet_ipa_host: libcurl + jansson) ---- */

/* Called with one progress line (no newline, nothing secret). */
typedef void (*sf_ipa_progress_fn)(void *user, const char *line);

struct sf_ipa_net_cfg {
	const char *cacert; /* trust anchor file (PEM); NULL = the system store */
	unsigned timeout_s; /* per HTTP request (0 = 30) */
	sf_ipa_progress_fn progress;
	void *user;
};

/* The outcome of a flow, for a person and for JSON. */
struct sf_ipa_result {
	const char *step;  /* the step that failed ("" on success) */
	char message[512]; /* what went wrong, for a person */
	/* ES9+ functionExecutionStatus when the SM-DP+ refused ("" otherwise) */
	char status[32], subject_code[32], reason_code[32], subject_id[128];
	int es10_code; /* eUICC error code (authenticate/prepare/PIR), -1 if none */
	/* The failure may pass on its own (the SM-DP+ unreachable, the
	 * connection lost, HTTP 429, 500, 502, 503 or 504): a later attempt can
	 * succeed.  retry_after_s: the server's Retry-After, 0 when none. */
	int retryable;
	long retry_after_s;
	/* on success */
	char iccid[21];
	char smdp[256];
	char tid[33]; /* transactionId, hex */
	uint32_t pir_seq;
	int pir_delivered; /* handleNotification accepted the PIR */
	int pir_removed;   /* ... and it was removed from the eUICC */
	struct sf_ipa_pir pir;
	int have_pir;
};

struct sf_ipa_download_cfg {
	/* NULL: no activation code; the download goes to the eUICC's default
	 * SM-DP+ (ES10a.GetEuiccConfiguredAddresses) with no matchingId, and
	 * the SM-DP+ serves the order it holds for the eUICC's EID (SGP.22
	 * §3.1.2).  SF_EIPA_NO_DEFAULT_DP when the eUICC has no such address. */
	const char *activation_code;
	const char *confirmation_code; /* NULL when none was given */
	struct sf_ipa_device_info dev;
	struct sf_ipa_net_cfg net;
};

/* Downloads and installs a profile (SGP.22 §3.1.3), then delivers the
 * install notification and removes it.  Returns 0 with res filled, or an
 * SF_E* code with res->step / message (and the ES9+ status) telling why;
 * on an eUICC or server refusal after the session began, the session is
 * cancelled on both sides (ES10b.CancelSession, ES9+ cancelSession). */
int sf_ipa_download(struct sf_ipa_es10 *c, const struct sf_ipa_download_cfg *cfg,
                    struct sf_ipa_result *res);

/* Delivers one pending notification (its raw PendingNotification element)
 * to address with ES9+ handleNotification.  Returns 0 or SF_EIPA_ES9P /
 * SF_EIPA_HTTP with res->message. */
int sf_ipa_send_notification(const char *address, const uint8_t *pn, size_t len,
                             const struct sf_ipa_net_cfg *net, struct sf_ipa_result *res);

/* Whether the host library was built with PC/SC. */
int sf_ipa_have_pcsc(void);

#endif
