/*
 * Small shared basics: hex and base64 codecs, constant-time comparison,
 * secure wipe.  No heap allocation; usable from the AKA engine on a
 * microcontroller.
 */
#ifndef SIMFLEET_UTIL_H
#define SIMFLEET_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*len lowercase hex digits and a NUL to dst (dst_len >= 2*len+1).
 * Returns 0, or SF_EBUFSIZE. */
int sf_hex_encode(char *dst, size_t dst_len, const uint8_t *src, size_t len);

/* Decodes a hex string of exactly str_len characters (upper or lower case, no
 * separators) into dst.  *out_len receives the decoded length (str_len/2).
 * Returns 0, SF_EHEX (odd length, non-hex character) or SF_EBUFSIZE.
 * dst is left untouched on error. */
int sf_hex_decode(uint8_t *dst, size_t dst_len, size_t *out_len, const char *str, size_t str_len);

/* Standard base64 (RFC 4648 §4) with padding, NUL-terminated.
 * dst_len must be >= 4*ceil(len/3)+1.  Returns 0 or SF_EBUFSIZE. */
int sf_b64_encode(char *dst, size_t dst_len, size_t *out_len, const uint8_t *src, size_t len);

/* Strict base64 decode: padding required, no whitespace, non-zero trailing
 * bits rejected.  Returns 0, SF_EBASE64 or SF_EBUFSIZE; dst is untouched on error
 * except that bytes may have been written when SF_EBASE64 is returned late. */
int sf_b64_decode(uint8_t *dst, size_t dst_len, size_t *out_len, const char *str, size_t str_len);

/* Constant-time comparison of two buffers of the same length: 1 if equal, 0
 * otherwise.  Time depends only on len. */
int sf_ct_eq(const void *a, const void *b, size_t len);

/* Zeroes len bytes in a way the compiler may not remove. */
void sf_wipe(void *p, size_t len);

/* An ICCID as Iccid (SGP.22 tag 5A) and EF.ICCID hold it (TS 102 221
 * §13.2): 10 octets, digit 1 in the low nibble of octet 1, F after the last
 * digit.  sf_iccid_to_bcd takes 1..20 digits; sf_iccid_from_bcd gives the
 * digits and accepts F only after them (at least one digit).  Both return 0
 * or SF_EINVAL; callers check the lengths their field allows. */
int sf_iccid_to_bcd(const char *iccid, uint8_t out[10]);
int sf_iccid_from_bcd(const uint8_t in[10], char out[21]);

/* A growing buffer for a body read from the network: p holds n octets and a
 * NUL after them (text can be parsed in place); max > 0 refuses to grow
 * beyond max octets.  Zero-initialise it ({0}, or {.max = M}). */
struct sf_growbuf {
	char *p;
	size_t n, cap, max;
};
/* Appends len octets.  Returns 0, SF_ERANGE (over max), SF_ENOMEM. */
int sf_growbuf_add(struct sf_growbuf *b, const void *d, size_t len);
/* libcurl's CURLOPT_WRITEFUNCTION over a struct sf_growbuf given as
 * CURLOPT_WRITEDATA: the octets taken, 0 (the transfer fails) when they do
 * not fit. */
size_t sf_growbuf_curl(char *d, size_t size, size_t nmemb, void *growbuf);
/* Wipes what was allocated, frees it, and empties b (max kept). */
void sf_growbuf_free(struct sf_growbuf *b);

/* Splits "HOST:PORT" or "[V6ADDR]:PORT" into host (NUL-terminated, host_cap
 * octets) and port 1..65535; "HOST" alone takes default_port, or is refused
 * when default_port is 0.  Returns 0, SF_EINVAL or SF_ETRANSPORT_ADDR. */
int sf_hostport_parse(const char *s, char *host, size_t host_cap, uint16_t *port,
		      uint16_t default_port);

#endif
