/*
 * Personalisation of an operator's template (sf_saip_personalise): the four
 * GSMA TS.48 v7 packages and a package of simfleet's own builder are
 * personalised with a new ICCID, IMSI, algorithm, K and OPc/TOPc; the result
 * parses, carries the new values in the header, EF.ICCID, EF.IMSI and the
 * akaParameter, and every other element (and every other field of the changed
 * ones) is octet for octet the template's.  Installed into a file system, its
 * USIM answers AUTHENTICATE for vectors of the new K/OPc and refuses those of
 * the template's K.  Refusals: every truncated prefix and every single-octet
 * corruption of a template (exact-size heap buffers: run under ASan), missing
 * and duplicated elements, key lengths the algorithm does not allow, a small
 * buffer.
 *
 * The TS.48 files are read from $SF_SHARED/gsma/ts48-v7 (never copied into
 * the project); those tests skip when they are absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helper_tsv.h"
#include "simfleet/aka.h"
#include "simfleet/card.h"
#include "simfleet/err.h"
#include "simfleet/saip.h"
#include "simfleet/saip_install.h"
#include "simfleet/uicc_fs.h"
#include "simfleet/usim.h"
#include "simfleet/util.h"

#define ARENA_CAP (64 * 1024)
#define MAX_PES 64

static const char *const ts48[] = {
    "TS48_V7.0_eSIM_GTP_SAIP2.3_BERTLV_SUCI",
    "TS48_V7.0_eSIM_GTP_SAIP2.3_BERTLV_SUCI_NoRAMRFM",
    "TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV",
    "TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV_NoRAMRFM",
};

/* The template's K (TS.48 and our built template): 000102..0F, XOR. */
static const uint8_t k_tmpl[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
/* TS 35.208 set 1 K and OPc (Milenage). */
static const uint8_t k_m[16] = {0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
                                0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc};
static const uint8_t opc_m[16] = {0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e,
                                  0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf};
static uint8_t k_t[32], topc_t[32]; /* TUAK 256: filled in setup */

#define NEW_ICCID "8949012345678901237"
#define NEW_IMSI "262019876543210"

static uint8_t *load_ts48(const char *name, size_t *len)
{
	const char *shared = getenv("SF_SHARED");
	char path[1024];
	if (shared == NULL)
		return NULL;
	snprintf(path, sizeof path, "%s/gsma/ts48-v7/%s.der", shared, name);
	return sf_test_read_file(path, len);
}

static void skip_no_ts48(void)
{
	print_message("skipped: TS.48 packages not found in $SF_SHARED/gsma/ts48-v7 "
	              "(../shared/gsma beside the source tree)\n");
	skip();
}

/* sf_saip_build with the XOR test algorithm and K 000102..0F, as TS.48. */
static uint8_t *build_tmpl(size_t *len, const char *spn)
{
	struct sf_saip_build_params p = {
	    .iccid = "89000123456789012341",
	    .imsi = "001010123456789",
	    .algorithm = SF_SAIP_ALG_TEST,
	    .k = k_tmpl,
	    .k_len = 16,
	    .spn = spn,
	};
	struct sf_saip_error e;
	size_t need = 0;
	assert_int_equal(sf_saip_build(&p, NULL, 0, &need, &e), SF_EBUFSIZE);
	uint8_t *b = malloc(need);
	assert_non_null(b);
	assert_int_equal(sf_saip_build(&p, b, need, len, &e), 0);
	return b;
}

static void params(struct sf_saip_build_params *p, int alg)
{
	memset(p, 0, sizeof(*p));
	p->iccid = NEW_ICCID;
	p->imsi = NEW_IMSI;
	p->algorithm = alg;
	if (alg == SF_SAIP_ALG_TUAK) {
		p->k = k_t;
		p->k_len = 32;
		p->opc = topc_t;
		p->opc_len = 32;
	} else {
		p->k = k_m;
		p->k_len = 16;
		p->opc = opc_m;
		p->opc_len = 16;
	}
}

/* Personalises (sizing first, then an exact buffer); returns the package or
 * NULL with the error code in *rc. */
static uint8_t *personalise(const uint8_t *t, size_t tl, const struct sf_saip_build_params *p,
                            size_t *len, int *rc, struct sf_saip_error *e)
{
	size_t need = 0;
	*rc = sf_saip_personalise(t, tl, p, NULL, 0, &need, e);
	if (*rc != SF_EBUFSIZE) {
		char msg[256];
		sf_saip_error_format(e, msg, sizeof msg);
		print_message("personalise: %s (%s)\n", msg, sf_err_name(*rc));
		return NULL;
	}
	uint8_t *b = malloc(need);
	assert_non_null(b);
	*rc = sf_saip_personalise(t, tl, p, b, need, len, e);
	if (*rc != 0) {
		free(b);
		return NULL;
	}
	assert_int_equal(*len, need);
	return b;
}

/* ---- the package as a list of elements ---- */

struct pes {
	size_t n;
	struct sf_saip_pe pe[MAX_PES];
};

static void split(const uint8_t *pkg, size_t len, struct pes *s)
{
	struct sf_saip_reader r;
	struct sf_saip_error e;
	int rc;
	s->n = 0;
	sf_saip_reader_init(&r, pkg, len);
	while ((rc = sf_saip_next(&r, &s->pe[s->n], &e)) > 0) {
		s->n++;
		assert_true(s->n < MAX_PES);
	}
	if (rc < 0) {
		char msg[256];
		sf_saip_error_format(&e, msg, sizeof msg);
		fail_msg("parse: %s", msg);
	}
}

/* The elements of s except those at index skip (SIZE_MAX: none) and
 * index dup (appended again after itself), concatenated into a heap buffer. */
static uint8_t *join(const struct pes *s, size_t skip, size_t dup, size_t *len)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += (i == skip ? 0 : s->pe[i].raw_len) + (i == dup ? s->pe[i].raw_len : 0);
	uint8_t *b = malloc(n ? n : 1), *q = b;
	assert_non_null(b);
	for (size_t i = 0; i < s->n; i++) {
		if (i != skip) {
			memcpy(q, s->pe[i].raw, s->pe[i].raw_len);
			q += s->pe[i].raw_len;
		}
		if (i == dup) {
			memcpy(q, s->pe[i].raw, s->pe[i].raw_len);
			q += s->pe[i].raw_len;
		}
	}
	*len = n;
	return b;
}

static size_t find(const struct pes *s, enum sf_saip_pe_type t, unsigned nth)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->pe[i].type == t && nth-- == 0)
			return i;
	return SIZE_MAX;
}

/* The children of two constructed values are pairwise the same tag, and the
 * same octets unless the tag is in except[]. */
static void same_children(const uint8_t *a, size_t al, const uint8_t *b, size_t bl,
                          const uint32_t *except, size_t nex, const char *what)
{
	struct sf_der_iter ia, ib;
	struct sf_der_tlv ta, tb;
	int ra, rb;
	sf_der_iter_init(&ia, a, al);
	sf_der_iter_init(&ib, b, bl);
	for (;;) {
		ra = sf_der_iter_next(&ia, &ta);
		rb = sf_der_iter_next(&ib, &tb);
		assert_int_equal(ra, rb);
		if (ra <= 0)
			break;
		if (ta.tag != tb.tag)
			fail_msg("%s: field %X became %X", what, (unsigned)ta.tag,
			         (unsigned)tb.tag);
		int ex = 0;
		for (size_t k = 0; k < nex; k++)
			ex |= except[k] == ta.tag;
		if (ex)
			continue;
		if (ta.raw_len != tb.raw_len || memcmp(ta.raw, tb.raw, ta.raw_len) != 0)
			fail_msg("%s: field %X changed", what, (unsigned)ta.tag);
	}
	assert_int_equal(ra, 0);
}

/* The content (single fillFileContent) of File field tag in template PE pe. */
static void file_content(const struct sf_saip_pe *pe, uint32_t tag, const uint8_t **c, size_t *n)
{
	struct sf_der_iter it, fi;
	struct sf_der_tlv t, x;
	*c = NULL;
	*n = 0;
	sf_der_iter_init(&it, pe->val, pe->len);
	while (sf_der_iter_next(&it, &t) > 0) {
		if (t.tag != tag)
			continue;
		sf_der_iter_init(&fi, t.val, t.len);
		while (sf_der_iter_next(&fi, &x) > 0)
			if (x.tag == 0x83) {
				assert_null(*c); /* one fill item */
				*c = x.val;
				*n = x.len;
			}
	}
}

/* The algoParameter's children of an akaParameter PE. */
static void algo_param(const struct sf_saip_pe *pe, const uint8_t **v, size_t *n)
{
	struct sf_der_iter it;
	struct sf_der_tlv t;
	sf_der_iter_init(&it, pe->val, pe->len);
	while (sf_der_iter_next(&it, &t) > 0)
		if (t.tag == 0xA1) {
			const uint8_t *q = t.val;
			uint32_t tag;
			assert_int_equal(sf_der_get_tlv(&q, t.val + t.len, &tag, v, n), 0);
			assert_int_equal(tag, 0xA1);
			return;
		}
	fail_msg("no algoConfiguration");
}

/* Checks out against tmpl: the new values where they belong, the template's
 * octets everywhere else. */
static void check_result(const uint8_t *tmpl, size_t tl, const uint8_t *out, size_t ol,
                         const struct sf_saip_build_params *p, const char *name)
{
	static struct pes a, b;
	split(tmpl, tl, &a);
	split(out, ol, &b);
	assert_int_equal(a.n, b.n);
	unsigned usim_akas = 0;
	int after = 0; /* last application: 1 usim, 2 isim */
	for (size_t i = 0; i < a.n; i++) {
		const struct sf_saip_pe *x = &a.pe[i], *y = &b.pe[i];
		assert_int_equal(x->type, y->type);
		switch (x->type) {
		case SF_SAIP_PE_HEADER: {
			struct sf_saip_header hx, hy;
			assert_int_equal(sf_saip_header_decode(x, &hx, NULL), 0);
			assert_int_equal(sf_saip_header_decode(y, &hy, NULL), 0);
			assert_string_equal(hy.iccid, p->iccid);
			uint32_t algs = SF_SAIP_SVC_MILENAGE | SF_SAIP_SVC_TUAK128 |
			                SF_SAIP_SVC_TUAK256 | SF_SAIP_SVC_USIM_TEST_ALGORITHM;
			uint32_t want =
			    p->algorithm == SF_SAIP_ALG_MILENAGE ? SF_SAIP_SVC_MILENAGE
			    : p->algorithm == SF_SAIP_ALG_TUAK
			        ? (p->k_len == 32 ? SF_SAIP_SVC_TUAK256 : SF_SAIP_SVC_TUAK128)
			        : SF_SAIP_SVC_USIM_TEST_ALGORITHM;
			assert_int_equal(hy.services, (hx.services & ~algs) | want);
			static const uint32_t ex[] = {0x83, 0xA5};
			same_children(x->val, x->len, y->val, y->len, ex, 2, "header");
			break;
		}
		case SF_SAIP_PE_MF: {
			const uint8_t *c;
			size_t n;
			uint8_t bcd[10];
			assert_int_equal(sf_iccid_to_bcd(p->iccid, bcd), 0);
			file_content(y, 0xA4, &c, &n);
			assert_int_equal(n, 10);
			assert_memory_equal(c, bcd, 10);
			static const uint32_t ex[] = {0xA4};
			same_children(x->val, x->len, y->val, y->len, ex, 1, "mf");
			break;
		}
		case SF_SAIP_PE_USIM: {
			const uint8_t *c;
			size_t n;
			/* 262019876543210: 08, 29 26 10 89 67 45 23 01 */
			static const uint8_t imsi[9] = {0x08, 0x29, 0x26, 0x10, 0x89,
			                                0x67, 0x45, 0x23, 0x01};
			file_content(y, 0xA3, &c, &n);
			assert_int_equal(n, 9);
			assert_memory_equal(c, imsi, 9);
			static const uint32_t ex[] = {0xA3, 0xAD};
			same_children(x->val, x->len, y->val, y->len, ex, p->spn ? 2 : 1, "usim");
			if (p->spn) {
				file_content(y, 0xAD, &c, &n);
				assert_true(n >= 1 + strlen(p->spn));
				assert_memory_equal(c + 1, p->spn, strlen(p->spn));
			}
			after = 1;
			break;
		}
		case SF_SAIP_PE_ISIM:
			after = 2;
			assert_memory_equal(x->raw, y->raw, x->raw_len);
			break;
		case SF_SAIP_PE_AKA_PARAMETER: {
			struct sf_saip_aka ax, ay;
			assert_int_equal(sf_saip_aka_decode(x, &ax, NULL), 0);
			assert_int_equal(sf_saip_aka_decode(y, &ay, NULL), 0);
			if (ax.is_mapping) {
				assert_memory_equal(x->raw, y->raw, x->raw_len);
				break;
			}
			usim_akas += after == 1;
			assert_int_equal(ay.algorithm, p->algorithm);
			assert_int_equal(ay.key_len, p->k_len);
			assert_memory_equal(ay.key, p->k, p->k_len);
			assert_int_equal(ay.opc_len, p->opc_len);
			assert_memory_equal(ay.opc, p->opc, p->opc_len);
			/* the rest of the algorithm and the SQN fields: the template's */
			assert_memory_equal(ay.rotation_constants, ax.rotation_constants, 5);
			assert_memory_equal(ay.xoring_constants, ax.xoring_constants, 80);
			assert_int_equal(ay.number_of_keccak, ax.number_of_keccak);
			assert_int_equal(ay.sqn_options, ax.sqn_options);
			static const uint32_t ex[] = {0xA1};
			same_children(x->val, x->len, y->val, y->len, ex, 1, "akaParameter");
			const uint8_t *va, *vb;
			size_t na, nb;
			algo_param(x, &va, &na);
			algo_param(y, &vb, &nb);
			static const uint32_t ex2[] = {0x80, 0x81, 0x82, 0x83};
			same_children(va, na, vb, nb, ex2, 4, "algoParameter");
			break;
		}
		default:
			if (x->raw_len != y->raw_len || memcmp(x->raw, y->raw, x->raw_len) != 0)
				fail_msg("%s: element %zu (%s) is not the template's", name, i,
				         x->name);
			break;
		}
	}
	assert_int_equal(usim_akas, 1);
}

/* ---- install and AUTHENTICATE ---- */

struct inst {
	struct sf_fs fs;
	struct sf_pins pins;
	struct sf_saip_installed out;
	uint8_t *arena;
};

static void install(struct inst *in, const uint8_t *pkg, size_t len)
{
	struct sf_saip_error e;
	memset(in, 0, sizeof(*in));
	in->arena = malloc(ARENA_CAP);
	assert_non_null(in->arena);
	assert_int_equal(sf_fs_init(&in->fs, in->arena, ARENA_CAP), 0);
	sf_pins_init(&in->pins);
	int rc = sf_saip_install(pkg, len, &in->fs, &in->pins, &in->out, &e);
	if (rc != 0) {
		char msg[256];
		sf_saip_error_format(&e, msg, sizeof msg);
		fail_msg("install: %s (%s)", msg, sf_err_name(rc));
	}
	assert_true(in->out.has_aka);
}

static void inst_free(struct inst *in)
{
	sf_aka_params_wipe(&in->out.aka);
	sf_pins_free(&in->pins);
	free(in->arena);
}

struct usim {
	struct sf_aka_ctx aka;
	struct sf_sqn_ms sqn;
	struct sf_usim_auth u;
	struct sf_card card;
};

static int usim_process(void *user, struct sf_card *card, const struct sf_apdu *cmd,
                        struct sf_rapdu *rsp)
{
	(void)card;
	struct usim *f = user;
	return sf_usim_authenticate(&f->u, cmd, rsp);
}

static const struct sf_card_app usim_app = {usim_process, NULL, NULL, NULL};

/* AUTHENTICATE (3G context) on the installed USIM with a vector the network
 * computes from net (SQN: SEQ 1, IND 0); returns the status word, and checks
 * RES = XRES on success. */
static uint16_t authenticate(const struct inst *in, const struct sf_aka_params *net)
{
	static struct usim f;
	struct sf_aka_ctx nctx;
	struct sf_aka_vector v;
	static const uint8_t rand[16] = {0x23, 0x55, 0x3c, 0xbe, 0x96, 0x37, 0xa8, 0x9d,
	                                 0x21, 0x8a, 0xe6, 0x4d, 0xae, 0x47, 0xbf, 0x35};
	const uint8_t sqn[6] = {0, 0, 0, 0, 0, 1u << 5}, amf[2] = {0x80, 0x00};
	uint8_t cmd[128], rsp[300];
	size_t n = 0, rn = 0;
	memset(&f, 0, sizeof(f));
	assert_int_equal(sf_aka_init(&f.aka, &in->out.aka), 0);
	f.sqn = in->out.sqn;
	f.u.aka = &f.aka;
	f.u.sqn = &f.sqn;
	f.u.gsm_access = in->out.gsm_access;
	assert_int_equal(sf_card_init(&f.card, &usim_app, &f, 0), 0);
	assert_int_equal(sf_aka_init(&nctx, net), 0);
	assert_int_equal(sf_aka_vector_compute(&nctx, rand, sqn, amf, &v), 0);
	cmd[n++] = 0x00;
	cmd[n++] = 0x88;
	cmd[n++] = 0x00;
	cmd[n++] = 0x81;
	cmd[n++] = (uint8_t)(2 + 16 + v.autn_len);
	cmd[n++] = 16;
	memcpy(cmd + n, rand, 16);
	n += 16;
	cmd[n++] = v.autn_len;
	memcpy(cmd + n, v.autn, v.autn_len);
	n += v.autn_len;
	cmd[n++] = 0x00;
	assert_int_equal(sf_card_transmit(&f.card, cmd, n, rsp, sizeof rsp, &rn), 0);
	assert_true(rn >= 2);
	uint16_t sw = (uint16_t)(rsp[rn - 2] << 8 | rsp[rn - 1]);
	if ((sw & 0xFF00) == 0x6100) { /* T=0: the data comes with GET RESPONSE */
		uint8_t gr[5] = {0x00, 0xC0, 0x00, 0x00, (uint8_t)sw};
		assert_int_equal(sf_card_transmit(&f.card, gr, 5, rsp, sizeof rsp, &rn), 0);
		sw = (uint16_t)(rsp[rn - 2] << 8 | rsp[rn - 1]);
		assert_int_equal(sw, 0x9000);
		assert_int_equal(rsp[0], 0xDB);
		assert_int_equal(rsp[1], v.xres_len);
		assert_memory_equal(rsp + 2, v.xres, v.xres_len);
	}
	sf_aka_free(&nctx);
	sf_aka_free(&f.aka);
	sf_card_free(&f.card);
	return sw;
}

static void net_params(struct sf_aka_params *n, int alg, const uint8_t *k, size_t kl,
                       const uint8_t *opc, size_t ol)
{
	sf_aka_params_init(n, alg == SF_SAIP_ALG_MILENAGE ? SF_AKA_ALG_MILENAGE
	                      : alg == SF_SAIP_ALG_TUAK   ? SF_AKA_ALG_TUAK
	                                                  : SF_AKA_ALG_XOR);
	memcpy(n->k, k, kl);
	n->k_len = (uint8_t)kl;
	if (opc) {
		memcpy(n->opc, opc, ol);
		n->opc_len = (uint8_t)ol;
	}
}

/* Personalise, check, install, AUTHENTICATE with the new and the old key. */
static void full_check(const uint8_t *t, size_t tl, int alg, const char *spn, const char *name)
{
	struct sf_saip_build_params p;
	struct sf_saip_error e;
	size_t len = 0;
	int rc;
	params(&p, alg);
	p.spn = spn;
	uint8_t *pkg = personalise(t, tl, &p, &len, &rc, &e);
	assert_int_equal(rc, 0);
	print_message("%s -> %s: %zu octets (template %zu)\n", name, sf_saip_alg_name(alg), len,
	              tl);
	check_result(t, tl, pkg, len, &p, name);

	struct inst in;
	install(&in, pkg, len);
	assert_string_equal(in.out.iccid, NEW_ICCID);
	if (spn)
		assert_string_equal(in.out.spn, spn);
	assert_memory_equal(in.out.aka.k, p.k, p.k_len);
	struct sf_aka_params net;
	net_params(&net, alg, p.k, p.k_len, p.opc, p.opc_len);
	assert_int_equal(authenticate(&in, &net), 0x9000);
	/* the template's key (XOR 000102..0F) no longer authenticates */
	net_params(&net, SF_SAIP_ALG_TEST, k_tmpl, 16, NULL, 0);
	assert_int_equal(authenticate(&in, &net), 0x9862);
	/* nor the new algorithm with the template's key */
	net_params(&net, alg, k_tmpl, 16, p.opc, alg == SF_SAIP_ALG_TUAK ? 32 : 16);
	assert_int_equal(authenticate(&in, &net), 0x9862);
	sf_aka_params_wipe(&net);
	inst_free(&in);
	free(pkg);
}

/* ---- tests ---- */

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < 32; i++) {
		k_t[i] = (uint8_t)(0xA0 + i);
		topc_t[i] = (uint8_t)(0x5A ^ (i * 7));
	}
	return 0;
}

static void test_ts48(void **state)
{
	(void)state;
	int ran = 0;
	for (size_t i = 0; i < sizeof ts48 / sizeof ts48[0]; i++) {
		size_t len = 0;
		uint8_t *t = load_ts48(ts48[i], &len);
		if (!t)
			continue;
		ran++;
		full_check(t, len, SF_SAIP_ALG_MILENAGE, NULL, ts48[i]);
		full_check(t, len, SF_SAIP_ALG_TUAK, "simfleet", ts48[i]);
		free(t);
	}
	if (!ran)
		skip_no_ts48();
}

static void test_built(void **state)
{
	(void)state;
	size_t len;
	uint8_t *t = build_tmpl(&len, "Template SPN");
	full_check(t, len, SF_SAIP_ALG_MILENAGE, "Op 1", "built");
	full_check(t, len, SF_SAIP_ALG_TUAK, NULL, "built");
	/* the same algorithm as the template: algorithmOptions stays '02'H */
	struct sf_saip_build_params p;
	struct sf_saip_error e;
	size_t ol;
	int rc;
	params(&p, SF_SAIP_ALG_TEST);
	p.opc = NULL;
	p.opc_len = 0;
	uint8_t *o = personalise(t, len, &p, &ol, &rc, &e);
	assert_int_equal(rc, 0);
	struct pes s;
	split(o, ol, &s);
	struct sf_saip_aka a;
	assert_int_equal(sf_saip_aka_decode(&s.pe[find(&s, SF_SAIP_PE_AKA_PARAMETER, 0)], &a, NULL),
	                 0);
	assert_int_equal(a.algorithm, SF_SAIP_ALG_TEST);
	assert_int_equal(a.algorithm_options, 0x02);
	assert_memory_equal(a.key, k_m, 16);
	struct inst in;
	install(&in, o, ol);
	struct sf_aka_params net;
	net_params(&net, SF_SAIP_ALG_TEST, k_m, 16, NULL, 0);
	assert_int_equal(authenticate(&in, &net), 0x9000);
	net_params(&net, SF_SAIP_ALG_TEST, k_tmpl, 16, NULL, 0);
	assert_int_equal(authenticate(&in, &net), 0x9862);
	inst_free(&in);
	free(o);
	free(t);
}

/* Personalising the result again gives the same octets as personalising the
 * template once (nothing accumulates), and a different subscriber changes only
 * the subscriber's fields. */
static void test_idempotent(void **state)
{
	(void)state;
	size_t len, l1, l2;
	int rc;
	struct sf_saip_build_params p;
	struct sf_saip_error e;
	uint8_t *t = build_tmpl(&len, "X");
	params(&p, SF_SAIP_ALG_MILENAGE);
	uint8_t *o1 = personalise(t, len, &p, &l1, &rc, &e);
	assert_int_equal(rc, 0);
	uint8_t *o2 = personalise(o1, l1, &p, &l2, &rc, &e);
	assert_int_equal(rc, 0);
	assert_int_equal(l1, l2);
	assert_memory_equal(o1, o2, l1);
	free(o1);
	free(o2);
	free(t);
}

/* Every prefix of a template in an exact-size heap buffer: an error (the
 * end element is missing), never a crash or a read past the buffer (ASan). */
static void prefixes(const uint8_t *t, size_t len)
{
	struct sf_saip_build_params p;
	struct sf_saip_error e;
	static uint8_t out[32768];
	size_t ol;
	params(&p, SF_SAIP_ALG_MILENAGE);
	for (size_t n = 0; n < len; n++) {
		uint8_t *b = malloc(n ? n : 1);
		assert_non_null(b);
		memcpy(b, t, n);
		int rc = sf_saip_personalise(b, n, &p, out, sizeof out, &ol, &e);
		if (rc >= 0)
			fail_msg("prefix %zu of %zu accepted", n, len);
		free(b);
	}
}

static void test_truncated(void **state)
{
	(void)state;
	size_t len;
	uint8_t *t = build_tmpl(&len, NULL);
	prefixes(t, len);
	free(t);
	int ran = 0;
	for (size_t i = 0; i < sizeof ts48 / sizeof ts48[0]; i++) {
		uint8_t *x = load_ts48(ts48[i], &len);
		if (!x)
			continue;
		ran++;
		prefixes(x, len);
		free(x);
	}
	if (!ran)
		print_message("TS.48 packages not found: truncated only the built template\n");
}

/* Every single octet of the built template inverted, and set to 00, 80, FF:
 * personalisation either fails with an error or gives a package that parses. */
static void test_corrupted(void **state)
{
	(void)state;
	size_t len;
	uint8_t *t = build_tmpl(&len, "Template");
	struct sf_saip_build_params p;
	struct sf_saip_error e;
	static const int how[] = {-1, 0x00, 0x80, 0xFF};
	static uint8_t out[8192];
	unsigned errors = 0, ok = 0;
	params(&p, SF_SAIP_ALG_TUAK);
	for (size_t i = 0; i < len; i++)
		for (size_t h = 0; h < sizeof how / sizeof how[0]; h++) {
			uint8_t *b = malloc(len);
			assert_non_null(b);
			memcpy(b, t, len);
			b[i] = how[h] < 0 ? (uint8_t)~b[i] : (uint8_t)how[h];
			size_t ol = 0;
			int rc = sf_saip_personalise(b, len, &p, out, sizeof out, &ol, &e);
			if (rc == 0) {
				struct pes s;
				split(out, ol, &s);
				ok++;
			} else {
				assert_true(rc < 0);
				char msg[256];
				assert_true(sf_saip_error_format(&e, msg, sizeof msg) > 0);
				errors++;
			}
			free(b);
		}
	print_message("corrupted templates: %u refused, %u still personalisable\n", errors, ok);
	assert_true(errors > 0);
	free(t);
}

static void expect_refusal(const uint8_t *t, size_t len, const struct sf_saip_build_params *p,
                           int code, const char *element, const char *field)
{
	struct sf_saip_error e;
	uint8_t out[4096];
	size_t ol = 99;
	char msg[256];
	memset(out, 0xAB, sizeof out);
	int rc = sf_saip_personalise(t, len, p, out, sizeof out, &ol, &e);
	sf_saip_error_format(&e, msg, sizeof msg);
	print_message("  refused: %s (%s)\n", msg, sf_err_name(rc));
	assert_int_equal(rc, code);
	assert_int_equal(e.code, code);
	if (element)
		assert_string_equal(e.element, element);
	if (field) {
		assert_non_null(e.field);
		assert_string_equal(e.field, field);
	}
	assert_int_equal(ol, 0);
	for (size_t i = 0; i < sizeof out; i++) /* nothing of K left behind */
		assert_true(out[i] == 0 || out[i] == 0xAB);
}

static void test_missing_parts(void **state)
{
	(void)state;
	size_t len, l2;
	uint8_t *t = build_tmpl(&len, NULL);
	struct sf_saip_build_params p;
	struct pes s;
	params(&p, SF_SAIP_ALG_MILENAGE);
	split(t, len, &s);
	size_t hdr = find(&s, SF_SAIP_PE_HEADER, 0), mf = find(&s, SF_SAIP_PE_MF, 0),
	       usim = find(&s, SF_SAIP_PE_USIM, 0), aka = find(&s, SF_SAIP_PE_AKA_PARAMETER, 0);
	assert_true(hdr != SIZE_MAX && mf != SIZE_MAX && usim != SIZE_MAX && aka != SIZE_MAX);
	uint8_t *x;

	x = join(&s, hdr, SIZE_MAX, &l2); /* no header: the parser's rule */
	expect_refusal(x, l2, &p, SF_ESAIP_ORDER, NULL, NULL);
	free(x);
	x = join(&s, mf, SIZE_MAX, &l2);
	expect_refusal(x, l2, &p, SF_ESAIP_TEMPLATE, "package", "mf");
	free(x);
	x = join(&s, usim, SIZE_MAX, &l2); /* the AKA PE then follows no USIM */
	expect_refusal(x, l2, &p, SF_ESAIP_TEMPLATE, "akaParameter", "algoParameter");
	free(x);
	x = join(&s, aka, SIZE_MAX, &l2);
	expect_refusal(x, l2, &p, SF_ESAIP_TEMPLATE, "package", "akaParameter");
	free(x);
	x = join(&s, SIZE_MAX, usim, &l2);
	expect_refusal(x, l2, &p, SF_ESAIP_TEMPLATE, "usim", NULL);
	free(x);
	x = join(&s, SIZE_MAX, aka, &l2);
	expect_refusal(x, l2, &p, SF_ESAIP_TEMPLATE, "akaParameter", "algoParameter");
	free(x);
	x = join(&s, SIZE_MAX, mf, &l2);
	expect_refusal(x, l2, &p, SF_ESAIP_TEMPLATE, "mf", NULL);
	free(x);
	/* --spn where the template has no EF.SPN (built without: doNotCreate) */
	p.spn = "Op";
	expect_refusal(t, len, &p, SF_ESAIP_TEMPLATE, "usim", "ef-spn");
	free(t);
}

/* The elements of s with blob inserted after element idx. */
static uint8_t *insert_after(const struct pes *s, size_t idx, const uint8_t *blob, size_t bl,
                             size_t *len)
{
	size_t n = bl;
	for (size_t i = 0; i < s->n; i++)
		n += s->pe[i].raw_len;
	uint8_t *b = malloc(n), *q = b;
	assert_non_null(b);
	for (size_t i = 0; i < s->n; i++) {
		memcpy(q, s->pe[i].raw, s->pe[i].raw_len);
		q += s->pe[i].raw_len;
		if (i == idx) {
			memcpy(q, blob, bl);
			q += bl;
		}
	}
	*len = n;
	return b;
}

/* The elements of s with element idx replaced by blob. */
static uint8_t *replace_pe(const struct pes *s, size_t idx, const uint8_t *blob, size_t bl,
                           size_t *len)
{
	struct pes t = *s;
	t.n = idx; /* up to idx - 1, then blob ... */
	size_t head;
	uint8_t *x = insert_after(&t, idx - 1, blob, bl, &head);
	size_t tail = 0;
	for (size_t i = idx + 1; i < s->n; i++)
		tail += s->pe[i].raw_len;
	uint8_t *y = realloc(x, head + tail);
	assert_non_null(y);
	size_t off = head;
	for (size_t i = idx + 1; i < s->n; i++) {
		memcpy(y + off, s->pe[i].raw, s->pe[i].raw_len);
		off += s->pe[i].raw_len;
	}
	*len = head + tail;
	return y;
}

/* Template PE pe re-encoded with File field `tag` replaced by doNotCreate. */
static size_t do_not_create(const struct sf_saip_pe *pe, uint32_t tag, uint8_t *dst, size_t cap)
{
	struct sf_der_tlv c[40];
	struct sf_der_iter it;
	struct sf_der_writer w;
	size_t n = 0, len = 0;
	sf_der_iter_init(&it, pe->val, pe->len);
	while (sf_der_iter_next(&it, &c[n]) > 0)
		n++;
	sf_der_writer_init(&w, dst, cap);
	size_t m = sf_der_writer_mark(&w);
	for (size_t i = n; i-- > 0;) {
		if (c[i].tag == tag) {
			size_t mf = sf_der_writer_mark(&w);
			sf_der_write_null(&w, 0x80);
			sf_der_write_wrap(&w, mf, tag);
		} else {
			sf_der_write_raw(&w, c[i].raw, c[i].raw_len);
		}
	}
	sf_der_write_wrap(&w, m, pe->raw[0]);
	assert_int_equal(sf_der_writer_finish(&w, &len), 0);
	return len;
}

static void test_unreachable_files(void **state)
{
	(void)state;
	size_t len, l2, pl;
	uint8_t *t = build_tmpl(&len, NULL), pe[2048];
	struct sf_saip_build_params p;
	static struct pes s;
	params(&p, SF_SAIP_ALG_MILENAGE);
	split(t, len, &s);
	size_t mf = find(&s, SF_SAIP_PE_MF, 0), usim = find(&s, SF_SAIP_PE_USIM, 0);
	uint8_t *x;

	/* EF.IMSI, EF.ICCID doNotCreate: the credentials have nowhere to go */
	pl = do_not_create(&s.pe[usim], 0xA3, pe, sizeof pe);
	x = replace_pe(&s, usim, pe, pl, &l2);
	expect_refusal(x, l2, &p, SF_ESAIP_TEMPLATE, "usim", "ef-imsi");
	free(x);
	pl = do_not_create(&s.pe[mf], 0xA4, pe, sizeof pe);
	x = replace_pe(&s, mf, pe, pl, &l2);
	expect_refusal(x, l2, &p, SF_ESAIP_TEMPLATE, "mf", "ef-iccid");
	free(x);

	/* genericFileManagement creating EF.ICCID under the MF: filePath '',
	 * createFCP { fileDescriptor 4121, fileID 2FE2, efFileSize 0A } */
	static const uint8_t gfm_iccid[] = {
	    0xA1, 0x1A, 0xA0, 0x05, 0x80, 0x00, 0x81, 0x01, 0x07, 0xA1, 0x11, 0x30, 0x0F, 0x80,
	    0x00, 0x62, 0x0B, 0x82, 0x02, 0x41, 0x21, 0x83, 0x02, 0x2F, 0xE2, 0x80, 0x01, 0x0A};
	x = insert_after(&s, mf, gfm_iccid, sizeof gfm_iccid, &l2);
	expect_refusal(x, l2, &p, SF_ESAIP_TEMPLATE, "genericFileManagement", "fileManagementCMD");
	free(x);
	/* ...and EF.IMSI in the USIM ADF (filePath 7FD0, its temporary FID) */
	uint8_t gfm_imsi[sizeof gfm_iccid + 2];
	memcpy(gfm_imsi, gfm_iccid, sizeof gfm_iccid);
	static const uint8_t cmd[] = {0x30, 0x11, 0x80, 0x02, 0x7F, 0xD0, 0x62, 0x0B, 0x82, 0x02,
	                              0x41, 0x21, 0x83, 0x02, 0x6F, 0x07, 0x80, 0x01, 0x09};
	gfm_imsi[1] = 0x1C;
	gfm_imsi[10] = 0x13;
	memcpy(gfm_imsi + 11, cmd, sizeof cmd);
	x = insert_after(&s, usim, gfm_imsi, sizeof gfm_imsi, &l2);
	expect_refusal(x, l2, &p, SF_ESAIP_TEMPLATE, "genericFileManagement", "fileManagementCMD");
	free(x);
	/* a GFM elsewhere (DF_TELECOM's EF 6F07 is not the IMSI) is copied */
	gfm_imsi[15] = 0x7F;
	gfm_imsi[16] = 0x10;
	x = insert_after(&s, usim, gfm_imsi, sizeof gfm_imsi, &l2);
	int rc;
	struct sf_saip_error e;
	size_t ol;
	uint8_t *o = personalise(x, l2, &p, &ol, &rc, &e);
	assert_int_equal(rc, 0);
	check_result(x, l2, o, ol, &p, "gfm elsewhere");
	free(o);
	free(x);
	free(t);
}

static void test_bad_params(void **state)
{
	(void)state;
	size_t len;
	uint8_t *t = build_tmpl(&len, "X");
	struct sf_saip_build_params p;
	params(&p, SF_SAIP_ALG_MILENAGE);
	p.k = k_t;
	p.k_len = 32; /* Milenage: 16 */
	expect_refusal(t, len, &p, SF_ESAIP_PARAM, "parameters", "k");
	params(&p, SF_SAIP_ALG_MILENAGE);
	p.opc_len = 8;
	expect_refusal(t, len, &p, SF_ESAIP_PARAM, "parameters", "opc");
	params(&p, SF_SAIP_ALG_TUAK);
	p.opc_len = 16; /* TOPc: 32 */
	expect_refusal(t, len, &p, SF_ESAIP_PARAM, "parameters", "opc");
	params(&p, SF_SAIP_ALG_TUAK);
	p.k_len = 24;
	expect_refusal(t, len, &p, SF_ESAIP_PARAM, "parameters", "k");
	params(&p, SF_SAIP_ALG_TEST);
	p.k_len = 32;
	expect_refusal(t, len, &p, SF_ESAIP_PARAM, "parameters", "k");
	params(&p, 7);
	expect_refusal(t, len, &p, SF_ESAIP_PARAM, "parameters", "algorithm");
	params(&p, SF_SAIP_ALG_MILENAGE);
	p.iccid = "8949012345678901238"; /* Luhn */
	expect_refusal(t, len, &p, SF_ESAIP_ICCID, "parameters", "iccid");
	params(&p, SF_SAIP_ALG_MILENAGE);
	p.imsi = "26201x";
	expect_refusal(t, len, &p, SF_ESAIP_IMSI, "parameters", "imsi");
	params(&p, SF_SAIP_ALG_MILENAGE);
	p.pin1 = "1234"; /* the template keeps its PINs */
	expect_refusal(t, len, &p, SF_ESAIP_PARAM, "parameters", "pin1");
	params(&p, SF_SAIP_ALG_MILENAGE);
	p.spn = "much too long for EF.SPN";
	expect_refusal(t, len, &p, SF_ESAIP_PARAM, "parameters", "spn");
	free(t);
}

static void test_small_buffer(void **state)
{
	(void)state;
	size_t len, need = 0, got = 0;
	uint8_t *t = build_tmpl(&len, NULL);
	struct sf_saip_build_params p;
	struct sf_saip_error e;
	params(&p, SF_SAIP_ALG_MILENAGE);
	assert_int_equal(sf_saip_personalise(t, len, &p, NULL, 0, &need, &e), SF_EBUFSIZE);
	for (size_t cap = 0; cap < need; cap += 37) {
		uint8_t *b = malloc(cap ? cap : 1);
		assert_non_null(b);
		assert_int_equal(sf_saip_personalise(t, len, &p, b, cap, &got, &e), SF_EBUFSIZE);
		assert_int_equal(got, need);
		for (size_t i = 0; i < cap; i++)
			assert_int_equal(b[i], 0);
		free(b);
	}
	uint8_t *b = malloc(need);
	assert_non_null(b);
	assert_int_equal(sf_saip_personalise(t, len, &p, b, need, &got, &e), 0);
	assert_int_equal(got, need);
	free(b);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ts48),
	    cmocka_unit_test(test_built),
	    cmocka_unit_test(test_idempotent),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_corrupted),
	    cmocka_unit_test(test_missing_parts),
	    cmocka_unit_test(test_unreachable_files),
	    cmocka_unit_test(test_bad_params),
	    cmocka_unit_test(test_small_buffer),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
