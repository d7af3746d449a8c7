/*
 * The in-process eUICC side of an ES9+ client, shared by the integration
 * test client (tests/integration/es9client.c) and the SM-DP+ load generator
 * (bench/smdp_load.c): base64 JSON fields, and a bound profile package cut
 * into the items an LPA sends (sf_ipa_bpp_split) and loaded into the RSP
 * library's eUICC loader with a host that installs nothing.  Not a library
 * of simfleet: test and benchmark code only.
 */
#ifndef SF_TESTS_EUICC_GLUE_H
#define SF_TESTS_EUICC_GLUE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "simfleet/rsp.h"
#include "simfleet/util.h"

/* Sets o[k] to the base64 of v (nothing on failure). */
void sf_glue_put_b64(json_t *o, const char *k, const uint8_t *v, size_t n);
/* The decoded o[k] (malloc'd; free it) or NULL when absent or not base64. */
uint8_t *sf_glue_get_b64(json_t *o, const char *k, size_t *n);
/* Loads bpp item by item into the eUICC session; 0 with the
 * ProfileInstallationResult in pir (SF_BPP_PIR_MAX octets), -1 otherwise.
 * verbose: one line on stderr per install. */
int sf_glue_load(const struct sf_rsp_euicc_cred *cr, struct sf_rsp_euicc_session *es,
                 const uint8_t *bpp, size_t n, uint8_t *pir, size_t *pir_len, int verbose);

/* The answer of an ES9+ or ES2+ POST (b: collected by sf_growbuf_curl):
 * the parsed JSON object when the
 * function succeeded (HTTP 204 with no body: an empty object), else NULL,
 * with subject and reason (each cap octets; may be NULL) set from
 * statusCodeData ("?" when absent). */
json_t *sf_glue_answer(long http, const struct sf_growbuf *b, char *subject, char *reason,
                       size_t cap);

#endif
