/* See euicc_glue.h. */
#include "euicc_glue.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simfleet/bpp.h"
#include "simfleet/err.h"
#include "simfleet/ipa.h"
#include "simfleet/util.h"

void sf_glue_put_b64(json_t *o, const char *k, const uint8_t *v, size_t n)
{
	size_t cap = (n + 2) / 3 * 4 + 1, l;
	char *s = malloc(cap);
	if (s && sf_b64_encode(s, cap, &l, v, n) == 0)
		json_object_set_new(o, k, json_string(s));
	free(s);
}

uint8_t *sf_glue_get_b64(json_t *o, const char *k, size_t *n)
{
	const char *s = json_string_value(json_object_get(o, k));
	if (!s)
		return NULL;
	size_t cap = strlen(s) / 4 * 3 + 3;
	uint8_t *b = malloc(cap);
	if (b && sf_b64_decode(b, cap, n, s, strlen(s))) {
		free(b);
		return NULL;
	}
	return b;
}

/* The host: nothing installed before, every install succeeds (the profile
 * itself is not kept), sequence numbers from one counter for all threads. */
static atomic_uint next_seq = 1;

static int h_exists(void *u, const char *iccid)
{
	(void)u;
	(void)iccid;
	return 0;
}

static int h_install(void *u, const struct sf_bpp_metadata *md, const uint8_t *upp, size_t len,
                     uint8_t aid[16], size_t *aid_len)
{
	static const uint8_t a[16] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
	                              0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00};
	(void)upp;
	if (u)
		fprintf(stderr, "es9client: installing %s (%zu octets of profile)\n", md->iccid,
		        len);
	memcpy(aid, a, 16);
	*aid_len = 16;
	return 0;
}

static int h_seq(void *u, uint32_t *seq)
{
	(void)u;
	*seq = atomic_fetch_add(&next_seq, 1);
	return 0;
}

int sf_glue_load(const struct sf_rsp_euicc_cred *cr, struct sf_rsp_euicc_session *es,
                 const uint8_t *bpp, size_t n, uint8_t *pir, size_t *pir_len, int verbose)
{
	static int say = 1;
	struct sf_bpp_host bh = {verbose ? &say : NULL, h_exists, h_install, h_seq};
	struct sf_rsp_euicc_load *ld = NULL;
	struct sf_ipa_bpp_item *items = NULL;
	size_t count = 0;
	uint32_t seq;
	int rc = -1;

	int r = sf_ipa_bpp_split(bpp, n, NULL, 0, &count);
	if ((r != 0 && r != SF_EBUFSIZE) || count == 0 ||
	    (items = calloc(count, sizeof(*items))) == NULL ||
	    sf_ipa_bpp_split(bpp, n, items, count, &count) != 0 || sf_rsp_euicc_load_new(&ld))
		goto out;
	rc = 1;
	for (size_t i = 0; i < count && rc == 1; i++)
		rc = sf_rsp_euicc_load_bpp(cr, es, ld, &bh, bpp + items[i].off, items[i].len, pir,
		                           SF_BPP_PIR_MAX, pir_len, &seq);
out:
	sf_rsp_euicc_load_free(ld);
	free(items);
	return rc == 0 ? 0 : -1;
}

json_t *sf_glue_answer(long http, const struct sf_growbuf *b, char *subject, char *reason,
                       size_t cap)
{
	if (http == 204 && !b->n)
		return json_object();
	json_t *j = b->n ? json_loadb(b->p, b->n, 0, NULL) : NULL;
	json_t *fes = json_object_get(json_object_get(j, "header"), "functionExecutionStatus");
	const char *st = json_string_value(json_object_get(fes, "status"));
	if (st && strcmp(st, "Executed-Success") == 0)
		return j;
	json_t *cd = json_object_get(fes, "statusCodeData");
	const char *sc = json_string_value(json_object_get(cd, "subjectCode"));
	const char *rc = json_string_value(json_object_get(cd, "reasonCode"));
	if (subject)
		snprintf(subject, cap, "%s", sc ? sc : "?");
	if (reason)
		snprintf(reason, cap, "%s", rc ? rc : "?");
	json_decref(j);
	return NULL;
}
