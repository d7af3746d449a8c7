/*
 * Internals of the ISD-R (module `isdr`): what isdr.c (STORE DATA transport
 * and dispatch, SGP.22 §5.7.2) shares with the ES10 function files es10a.c,
 * es10b.c and es10c.c.  Not installed.
 */
#ifndef SF_ISDR_INTERNAL_H
#define SF_ISDR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/der.h"
#include "simfleet/isdr.h"

/* An ES10 function.  val/len: the content of the request's outer TLV (the
 * dispatcher has checked the TLV itself and that nothing follows it).  The
 * handler parses the content completely before it calls the host, then writes
 * the whole response (outer tag included) to w, which the dispatcher has
 * initialised on the card's response buffer.  Returns
 *   0                   response written: the dispatcher answers it with 90 00
 *   SF_EES10_REQUEST    the request does not follow the ASN.1: 6A 80, host untouched
 *   other negative      internal failure (host, buffer): 6F 00 */
typedef int (*sf__isdr_fn)(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                           struct sf_der_writer *w);

/* ES10a (SGP.22 §5.7.3, §5.7.4) */
int sf__isdr_get_addresses(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                           struct sf_der_writer *w);
int sf__isdr_set_default_dp(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                            struct sf_der_writer *w);
/* ES10b (SGP.22 §5.7.7 - §5.7.11, §5.7.22) */
int sf__isdr_get_info1(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                       struct sf_der_writer *w);
int sf__isdr_get_info2(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                       struct sf_der_writer *w);
int sf__isdr_get_challenge(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                           struct sf_der_writer *w);
int sf__isdr_list_notification(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                               struct sf_der_writer *w);
int sf__isdr_retrieve_notifications(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                                    struct sf_der_writer *w);
int sf__isdr_remove_notification(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                                 struct sf_der_writer *w);
int sf__isdr_get_rat(struct sf_isdr *isdr, const uint8_t *val, size_t len, struct sf_der_writer *w);
/* ES10c (SGP.22 §5.7.15 - §5.7.21) */
int sf__isdr_get_profiles_info(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                               struct sf_der_writer *w);
int sf__isdr_enable_profile(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                            struct sf_der_writer *w);
int sf__isdr_disable_profile(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                             struct sf_der_writer *w);
int sf__isdr_delete_profile(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                            struct sf_der_writer *w);
int sf__isdr_memory_reset(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                          struct sf_der_writer *w);
int sf__isdr_get_eid(struct sf_isdr *isdr, const uint8_t *val, size_t len, struct sf_der_writer *w);
int sf__isdr_set_nickname(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                          struct sf_der_writer *w);

/* ---- shared helpers (isdr.c) ---- */

/* Any DER reader error of a request becomes SF_EES10_REQUEST; 0 stays 0. */
int sf__isdr_req(int rc);

/* The end of a request SEQUENCE: the module is EXTENSIBILITY IMPLIED, so
 * well-formed elements after the known ones are extension additions of a
 * newer LPA and are skipped; anything that is not DER is SF_EES10_REQUEST. */
int sf__isdr_req_end(const uint8_t *p, const uint8_t *end);

/* An incoming named BIT STRING (NotificationEvent, resetOptions) into flags,
 * bit n -> 1u << n; bits above 31 are dropped.  Unlike sf_der_get_named_bits
 * it accepts trailing zero bits (X.690 §11.2.2): lpac encodes resetOptions as
 * 82 02 00 E0, not 82 02 05 E0.  Padding bits must still be zero. */
int sf__isdr_get_bits(const uint8_t **p, const uint8_t *end, uint32_t tag, uint32_t *flags);

/* ICCID digits ("8944...", 1..20 digits) <-> the 10 octets of EF.ICCID
 * (nibble-swapped BCD, padded with F): SF_EES10_HOST for a string that is not
 * 1..20 decimal digits.  From BCD: SF_EES10_REQUEST when a nibble is not a
 * digit, or a digit follows the F padding, or there is no digit at all. */
int sf__isdr_iccid_to_bcd(const char *iccid, uint8_t out[10]);
int sf__isdr_iccid_from_bcd(const uint8_t in[10], char out[21]);

/* A profile identifier of EnableProfile/DisableProfile/DeleteProfile (a
 * CHOICE of 4F isdpAid and 5A iccid): the one element of [p, end), inside
 * the CHOICE's explicit tag.  Checked completely before the host is asked
 * anything.  On success *iccid holds
 * the ICCID to give the host, or "" when no profile can match (an AID no
 * profile has, an ICCID with non-digit nibbles): the caller answers
 * iccidOrAidNotFound without calling the host.  SF_EES10_REQUEST for another
 * tag, a SIZE violation or anything after the element; a host failure while looking up an AID is
 * returned as is. */
int sf__isdr_profile_id(struct sf_isdr *isdr, const uint8_t *p, const uint8_t *end, char iccid[21]);

/* A host operation's result as an ES10 result code: negative (internal
 * failure) or above 127 -> undefinedError(127). */
long sf__isdr_result(int host_rc);

/* Writes OuterTag { 80 result } -- the shape of every ES10 result response. */
int sf__isdr_write_result(struct sf_der_writer *w, uint32_t tag, long result);

/* Writes a UTF8String from a NUL-terminated host string. */
int sf__isdr_write_utf8(struct sf_der_writer *w, uint32_t tag, const char *s);

#endif
