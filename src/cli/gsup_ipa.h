/*
 * IPA multiplex framing as the Osmocom GSUP peers use it (no libosmocore
 * needed): a 3-octet header (2-octet big-endian length of what follows, then
 * a 1-octet stream identifier), CCM (0xFE) for the identity exchange and
 * keep-alive, and the OSMO extension stream (0xEE) whose first payload octet
 * names the protocol (0x05 GSUP).  Pure functions, unit-tested in
 * tests/unit/test_ipa.c; the GSUP front-end of `auc serve` (auc_gsup.c) uses
 * them.
 */
#ifndef SF_CLI_GSUP_IPA_H
#define SF_CLI_GSUP_IPA_H

#include <stddef.h>
#include <stdint.h>

#define SF_IPA_HDR_LEN 3
#define SF_IPA_PROTO_CCM 0xFE
#define SF_IPA_PROTO_OSMO 0xEE
#define SF_IPA_EXT_GSUP 0x05

/* CCM message types (first payload octet of stream 0xFE). */
#define SF_IPA_CCM_PING 0x00
#define SF_IPA_CCM_PONG 0x01
#define SF_IPA_CCM_ID_GET 0x04
#define SF_IPA_CCM_ID_RESP 0x05
#define SF_IPA_CCM_ID_ACK 0x06

/* CCM identity tags. */
#define SF_IPA_TAG_SERNR 0x00
#define SF_IPA_TAG_UNITNAME 0x01

/* The ID_GET a server sends right after accepting a connection (the same
 * tags osmo-hlr asks for), header included. */
extern const uint8_t sf__ipa_id_get[20];

/* Looks at the first len octets of a byte stream.  Returns the size of the
 * first whole frame (header included) when it is all there, 0 when more
 * octets are needed, or -1 when the header is not acceptable: an empty
 * payload or one longer than max_payload (the caller closes the
 * connection). */
long sf__ipa_frame_len(const uint8_t *buf, size_t len, size_t max_payload);

/* Writes the header of a frame whose payload (ext octet included, when ext
 * >= 0) is n octets: 3 octets, or 4 with the extension octet ext.  Returns
 * the header length, or 0 when n does not fit the 16-bit length. */
size_t sf__ipa_header(uint8_t hdr[4], uint8_t proto, int ext, size_t n);

/* Finds tag in the body of a CCM ID_RESP (the octets after the message
 * type: entries of a 2-octet big-endian length, the tag, then length-1
 * octets of value) and copies its value as a string: printable ASCII only,
 * truncated to cap-1 characters, stopping at a NUL.  Returns 0 (found), 1
 * (not there), -1 (the body is malformed). */
int sf__ipa_id_resp_tag(const uint8_t *body, size_t len, uint8_t tag, char *out, size_t cap);

#endif
