/*
 * The card engine, APDU layer: what a reader sees of a UICC.
 *
 *   command APDU structure, cases 1-4,
 *   short and extended lengths         ISO/IEC 7816-3 §12.1.3, ISO/IEC 7816-4 §5.1
 *   class byte, logical channels       ETSI TS 102 221 §10.1.1, ISO/IEC 7816-4 §5.4.1
 *   status words                       ETSI TS 102 221 §10.2.1, 3GPP TS 31.102 §7.3
 *   T=0 response handling (61xx, 6Cxx,
 *   GET RESPONSE)                      ETSI TS 102 221 §7.3 (APDU transport), §12.1.1, Annex C
 *   MANAGE CHANNEL                     ETSI TS 102 221 §11.1.17
 *   ATR                                ISO/IEC 7816-3 §8
 *
 * One C-APDU goes in through sf_card_transmit(), one R-APDU (data || SW1 SW2)
 * comes out, exactly as a PC/SC reader would show it.  The card layer checks
 * the command's form, handles MANAGE CHANNEL and GET RESPONSE itself, and hands
 * everything else to one application (struct sf_card_app) on the logical
 * channel named in the class byte.  The application returns response data and
 * a status word; the card layer applies the transport rules (61xx / 6Cxx /
 * GET RESPONSE in T=0 mode, direct delivery in SF_CARD_DIRECT mode).
 * Routing to several applications (file system, USIM, ISD-R) is that one
 * application's business.
 *
 * No heap allocation, no dependency beyond the C library: the caller owns
 * struct sf_card (see sizeof and docs/card.md), which builds for a
 * microcontroller as it is.  Not thread-safe per card; cards are independent.
 */
#ifndef SIMFLEET_CARD_H
#define SIMFLEET_CARD_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/card_config.h"

/* Logical channels supported: the basic channel 0 and 1..3 (first
 * interindustry class coding).  Channels 4..19 answer 68 81. */
#define SF_CARD_CHANNELS 4

/* Longest ATR (ISO/IEC 7816-3 §8.2.1: TS + 32 characters). */
#define SF_CARD_ATR_MAX 33

/* ---- Status words: ETSI TS 102 221 §10.2.1, ISO/IEC 7816-4 §5.6 ---- */

/* Normal processing */
#define SF_SW_OK 0x9000u
#define SF_SW_PROACTIVE(len) (0x9100u | ((len) & 0xFFu)) /* 91 xx: proactive cmd pending */
#define SF_SW_DATA_TRANSFER(len) (0x9200u | ((len) & 0xFFu)) /* 92 xx */
#define SF_SW_MORE_DATA(len) (0x6100u | ((len) & 0xFFu)) /* 61 xx: xx bytes (00: 256+) */
/* Postponed processing */
#define SF_SW_TOOLKIT_BUSY 0x9300u
/* Warnings */
#define SF_SW_WARN_NO_INFO 0x6200u
#define SF_SW_WARN_CORRUPTED 0x6281u
#define SF_SW_WARN_EOF 0x6282u /* end of file/record before Le bytes, or search failed */
#define SF_SW_WARN_INVALIDATED 0x6283u
#define SF_SW_WARN_TERMINATED 0x6285u
#define SF_SW_WARN_MORE_DATA 0x62F1u
#define SF_SW_WARN_MORE_DATA_PROACTIVE 0x62F2u
#define SF_SW_WARN_RESPONSE_AVAILABLE 0x62F3u
#define SF_SW_WARN_MORE_EXPECTED 0x63F1u
#define SF_SW_WARN_MORE_EXPECTED_PROACTIVE 0x63F2u
#define SF_SW_VERIFY_FAIL(retries) (0x63C0u | ((retries) & 0x0Fu)) /* 63 Cx */
/* Execution errors */
#define SF_SW_EXEC_ERROR 0x6400u
#define SF_SW_EXEC_ERROR_CHANGED 0x6500u
#define SF_SW_MEMORY_PROBLEM 0x6581u
/* Checking errors */
#define SF_SW_WRONG_LENGTH 0x6700u
#define SF_SW_CLA_FUNCTION_NOT_SUPPORTED 0x6800u
#define SF_SW_CHANNEL_NOT_SUPPORTED 0x6881u
#define SF_SW_SM_NOT_SUPPORTED 0x6882u
#define SF_SW_CHAINING_NOT_SUPPORTED 0x6884u /* ISO/IEC 7816-4 */
#define SF_SW_NOT_ALLOWED 0x6900u
#define SF_SW_INCOMPATIBLE_FILE 0x6981u
#define SF_SW_SECURITY_NOT_SATISFIED 0x6982u
#define SF_SW_AUTH_BLOCKED 0x6983u
#define SF_SW_REF_DATA_INVALIDATED 0x6984u
#define SF_SW_CONDITIONS_NOT_SATISFIED 0x6985u
#define SF_SW_NO_EF_SELECTED 0x6986u
#define SF_SW_SECURE_CHANNEL_NOT_SATISFIED 0x6989u
#define SF_SW_WRONG_DATA 0x6A80u
#define SF_SW_FUNCTION_NOT_SUPPORTED 0x6A81u
#define SF_SW_FILE_NOT_FOUND 0x6A82u
#define SF_SW_RECORD_NOT_FOUND 0x6A83u
#define SF_SW_NOT_ENOUGH_MEMORY 0x6A84u
#define SF_SW_INCORRECT_P1P2 0x6A86u
#define SF_SW_LC_INCONSISTENT 0x6A87u
#define SF_SW_REF_DATA_NOT_FOUND 0x6A88u
#define SF_SW_WRONG_P1P2 0x6B00u
#define SF_SW_WRONG_LE(len) (0x6C00u | ((len) & 0xFFu)) /* 6C xx: xx is the right Le */
#define SF_SW_INS_NOT_SUPPORTED 0x6D00u
#define SF_SW_CLA_NOT_SUPPORTED 0x6E00u
#define SF_SW_TECHNICAL_PROBLEM 0x6F00u
/* Application errors, 3GPP TS 31.102 §7.3 (AUTHENTICATE) */
#define SF_SW_AUTH_MAC_FAILURE 0x9862u
#define SF_SW_AUTH_CONTEXT_NOT_SUPPORTED 0x9864u
#define SF_SW_AUTH_KEY_FRESHNESS 0x9865u
#define SF_SW_AUTH_NO_MEMORY 0x9866u
#define SF_SW_AUTH_NO_MEMORY_MUK 0x9867u

/* A short English text for a status word, for tools and logs ("wrong length",
 * "response bytes still available", ...); patterns such as 61xx, 6Cxx, 63Cx
 * and 91xx are recognised.  Never NULL: "unknown status word" otherwise. */
const char *sf_card_sw_text(uint16_t sw);

/* 1 when SW1 SW2 ends a command normally or with a warning (90 00, 91 xx,
 * 92 xx, 62 xx, 63 xx): response data may accompany it.  0 for errors, after
 * which ISO/IEC 7816-4 allows no response data. */
int sf_card_sw_is_success(uint16_t sw);

/* ---- Command APDU ---- */

/* A parsed command APDU.  data points into the caller's buffer (valid as long
 * as that buffer is; never NULL, even when nc is 0).  Ne follows ISO/IEC
 * 7816-4 §5.1: 0 when Le is absent, 1..256 for a short Le (00 = 256),
 * 1..65536 for an extended Le (0000 = 65536). */
struct sf_apdu {
	uint8_t cla, ins, p1, p2;
	uint8_t apdu_case; /* 1..4 */
	uint8_t extended;  /* 1 when Lc/Le use the extended (3-/2-octet) form */
	uint8_t channel;   /* logical channel from CLA: 0..3 (4..19 are rejected) */
	uint32_t nc;       /* Nc: length of data, 0..65535 */
	const uint8_t *data;
	uint32_t ne; /* Ne: 0 (no Le) .. 65536 */
};

/* Parses one command APDU of exactly len octets (ISO/IEC 7816-3 §12.1.3):
 *   4             case 1
 *   5             case 2S   Le = B5
 *   5 + B5        case 3S   B5 != 0 is Lc
 *   6 + B5        case 4S   last octet is Le
 *   7, B5 = 00    case 2E   Le = B6 B7
 *   7 + Lc        case 3E   B5 = 00, Lc = B6 B7 != 0000
 *   9 + Lc        case 4E   B5 = 00, last two octets are Le
 * and checks the class byte (TS 102 221 §10.1.1) and INS, in the order a card
 * checks them.  Anything else is rejected: the return code says which status
 * word a card gives (sf_card_err_sw()).  out is written only on success.
 * Returns 0, or
 *   SF_EAPDU_SHORT     fewer than 4 octets                                  (67 00)
 *   SF_EAPDU_CLA       CLA FF, RFU 2X/3X, or A0 (GSM, not supported)         (6E 00)
 *   SF_EAPDU_SM        secure messaging indicated in CLA                     (68 82)
 *   SF_EAPDU_CHAINING  command chaining indicated in CLA                     (68 84)
 *   SF_EAPDU_CHANNEL   logical channel 4..19 (CLA 4X-7X, CX-FE)              (68 81)
 *   SF_EAPDU_INS       INS 6X or 9X (T=0 procedure bytes)                    (6D 00)
 *   SF_EAPDU_LEN       length fields do not match the size, extended Lc of
 *                      0000, short and extended forms mixed                  (67 00)
 *   SF_EINVAL          NULL pointer */
int sf_apdu_parse(struct sf_apdu *out, const uint8_t *buf, size_t len);

/* The status word a card answers for a card-layer error code (the SF_EAPDU_*
 * and SF_ECARD_* codes above and in sf_card_transmit()); 6F 00 for anything
 * else. */
uint16_t sf_card_err_sw(int err);

/* ---- Response of an application ---- */

/* The card provides data (cap octets, SF_CARD_MAX_RESPONSE); the application
 * writes its response data there, sets len and sw.  sw starts as 6F 00 and
 * len as 0.  The application must not use the transport status words 61xx or
 * 6Cxx: the card layer produces them. */
struct sf_rapdu {
	uint8_t *data;
	size_t cap;
	size_t len;
	uint16_t sw;
};

struct sf_card;

enum sf_card_reset_kind {
	SF_CARD_RESET_COLD = 0, /* power-on (or vpcd "power on") */
	SF_CARD_RESET_WARM = 1, /* reset with power kept (vpcd "reset") */
};

/* The entry points of the application behind the card.  A shared, usually
 * static const table; per-card data goes through the `user` pointer given to
 * sf_card_init().  Only process is mandatory. */
struct sf_card_app {
	/* Processes one command on an open logical channel (cmd->channel).  Every
	 * command except MANAGE CHANNEL (INS 70) and GET RESPONSE (INS C0) comes
	 * here, with a well-formed structure and a supported class byte; checking
	 * INS, P1-P2, Lc and Le against the command's definition is the
	 * application's job (6D 00, 6A 86 / 6B 00, 67 00).  Return 0 after
	 * setting rsp->sw (and data) -- whatever the status word -- or a negative
	 * SF_E* code for an internal failure, which the card answers with 6F 00.
	 * Response data with an error status word is discarded. */
	int (*process)(void *user, struct sf_card *card, const struct sf_apdu *cmd,
		       struct sf_rapdu *rsp);
	/* Optional.  Called by sf_card_reset() after channels 1..3 have been closed
	 * and every channel's state area zeroed. */
	void (*reset)(void *user, struct sf_card *card, enum sf_card_reset_kind kind);
	/* Optional.  Channel `channel` has just been opened by MANAGE CHANNEL sent
	 * on channel `origin`; its state area is zeroed.  ISO/IEC 7816-4 §5.4.1:
	 * opened from channel 0, the new channel starts at the MF; opened from
	 * another channel, it inherits that channel's selection. */
	void (*channel_opened)(void *user, struct sf_card *card, unsigned channel, unsigned origin);
	/* Optional.  Channel `channel` is about to be closed by MANAGE CHANNEL;
	 * its state area is zeroed afterwards. */
	void (*channel_closed)(void *user, struct sf_card *card, unsigned channel);
};

/* ---- The card ---- */

/* Flags for sf_card_init(). */
#define SF_CARD_DIRECT 0x1u /* T=1 / direct mode: no 61xx for cases 3/4, no 6Cxx */

/* The card.  The caller owns it (static, on the stack, in an array, inside
 * an eUICC object); its fields are private: use the functions below.  Its
 * size is dominated by SF_CARD_MAX_RESPONSE (see docs/card.md). */
struct sf_card {
	const struct sf_card_app *app;
	void *user;
	unsigned flags;
	int last_err;
	uint8_t open;       /* bit n: logical channel n is open */
	uint8_t pend_kind;  /* what buf holds for the next command */
	uint8_t pend_chan;  /* channel the pending response belongs to */
	uint8_t pend_hdr[4];/* CLA INS P1 P2 of a 6Cxx-refused command */
	uint16_t pend_sw;   /* status word that ends the pending response */
	uint32_t pend_off;  /* pending data: buf[pend_off .. pend_off + pend_len) */
	uint32_t pend_len;
	uint32_t used;      /* octets of buf the last response used (wiped after) */
	union {
		max_align_t align;
		unsigned char bytes[SF_CARD_CHAN_STATE_SIZE];
	} chan[SF_CARD_CHANNELS];
	uint8_t buf[SF_CARD_MAX_RESPONSE];
};

/* Initialises card c as after a cold reset: channel 0 open, nothing pending,
 * channel state zeroed.  app (not copied: it must outlive c) and user are
 * handed to the application callbacks.  flags: 0 (T=0 behaviour, as a UICC
 * behind a PC/SC reader shows it) or SF_CARD_DIRECT.  The application's reset
 * callback is not called; transports call sf_card_reset() at power-on.
 * Returns 0, or SF_EINVAL (NULL c, app or app->process, unknown flag). */
int sf_card_init(struct sf_card *c, const struct sf_card_app *app, void *user, unsigned flags);

/* Wipes c (response data may hold keys, e.g. CK/IK of AUTHENTICATE).  Accepts
 * NULL; may be called twice.  Does not call the application. */
void sf_card_free(struct sf_card *c);

/* Cold or warm reset (ISO/IEC 7816-3 §6.2): closes channels 1..3, drops and
 * wipes pending response data, zeroes every channel's state area, then calls
 * the application's reset callback.  Returns 0, or SF_EINVAL. */
int sf_card_reset(struct sf_card *c, enum sf_card_reset_kind kind);

/* The card's ATR (same for every card):
 *   3B 9F 96 80 1F C7 80 31 E0 73 FE 21 1B 63 3A 20 4E 83 00 90 00 93
 * TS 3B direct convention; TA1 96 (Fi 512, Di 32); TD1 80 -> T=0; TD2 1F ->
 * T=15 global, TA3 C7 (clock stop, classes A, B and C); 15 historical bytes
 * (COMPACT-TLV: card service data, card capabilities with 4 logical channels
 * assigned by the card, status 00 90 00); TCK 93.
 * Writes it to dst; *out_len receives its length (22).  Returns 0, SF_EINVAL or
 * SF_EBUFSIZE (*out_len still set to the size needed). */
int sf_card_atr(uint8_t *dst, size_t dst_len, size_t *out_len);

/* Processes one command APDU (cmd, cmd_len octets) and writes the response
 * APDU -- response data followed by SW1 SW2 -- to rsp.  *rsp_len receives its
 * length.  Malformed commands, unsupported classes and closed channels get
 * the status word a card gives and change nothing (no application call,
 * pending response data kept).  Every status word, error or not, is a
 * successful transmission: the return value is 0.
 *
 * rsp_cap must hold the longest response this command may produce before the
 * command is processed: 2 + min(Ne, SF_CARD_MAX_RESPONSE) when Le is present;
 * 2 without Le in T=0 mode; 2 + 256 (short) or 2 + SF_CARD_MAX_RESPONSE
 * (extended) without Le in SF_CARD_DIRECT mode.  258 octets always suffice
 * for short APDUs.
 *
 * Returns 0, or (card untouched)
 *   SF_EINVAL    NULL c, rsp or rsp_len; NULL cmd with cmd_len > 0
 *   SF_EBUFSIZE  rsp_cap too small; *rsp_len receives the size needed
 * After the call sf_card_last_error() tells why a card-layer status word was
 * given. */
int sf_card_transmit(struct sf_card *c, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
		     size_t rsp_cap, size_t *rsp_len);

/* Why the last sf_card_transmit() answered as it did: 0 when the card layer
 * passed the command and an application answered normally, the SF_EAPDU_* /
 * SF_ECARD_* code when the card layer refused it, or the application's own
 * negative code when its process callback failed (answered 6F 00). */
int sf_card_last_error(const struct sf_card *c);

/* 1 when logical channel ch is open, 0 otherwise (also for ch >= 4). */
int sf_card_chan_is_open(const struct sf_card *c, unsigned ch);

/* The application's state area of logical channel ch (SF_CARD_CHAN_STATE_SIZE
 * octets, aligned for any type), zeroed when the channel opens, closes and at
 * reset; NULL when ch is not open.  Owned by the card; valid while c is. */
void *sf_card_chan_state(struct sf_card *c, unsigned ch);

#endif
