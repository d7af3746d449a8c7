/*
 * The eUICC half of bound profile packages (include/simfleet/bpp.h,
 * src/rsp/euicc_bpp.c; SGP.22 v2.5 §5.7.6, §5.7.14, §5.7.10).
 *
 * The SM-DP+ binder lives elsewhere, so the BPPs fed here are built by a
 * small builder in this file that follows bpp-crypto.md §5 with the crypto
 * primitives (otSK.DP, sf_ecka, sf_bsp_derive_keys, sf_bsp_protect,
 * sf_bsp_mac_only, smdpSign with the test PKI's SK.DPpb).  The session comes
 * from the real mutual authentication (rsp.h) on a generated TEST PKI, P-256
 * and brainpoolP256r1.  With ReplaceSessionKeys the profile segments are
 * under PPKs independent of the ECKA, so the pySim BSP vectors
 * (tests/vectors/bsp.tsv) are reproduced byte for byte by the builder and
 * decrypted by the loader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helper_tsv.h"
#include "simfleet/bpp.h"
#include "simfleet/crypto.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/pki.h"
#include "simfleet/rsp.h"

#define assert_rc(want, got) assert_string_equal(sf_err_name(want), sf_err_name(got))

#define NOW 1700000000LL
#define EID "89049032123451234512345678901235"
#define ADDR "smdp.example.org"
#define ICCID "89000123456789012341"

static const uint8_t INFO2[] = {0xBF, 0x22, 0x03, 0x81, 0x01, 0x02};
static const uint8_t CTX[] = {0xA0, 0x0A, 0xA1, 0x08, 0x80, 0x04, 0x35, 0x29,
                              0x06, 0x11, 0xA1, 0x00};
static const uint8_t AID[16] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00};
/* 2.999.10 (SF_PKI_TEST_SMDP_OID) */
static const uint8_t OID[] = {0x88, 0x37, 0x0A};

struct world {
	struct sf_rsp_smdp dp;
	struct sf_rsp_euicc_cred cred;
	struct sf_ec_key *dppb_key, *euicc_pk;
	enum sf_ec_curve curve;
	char dir[64];
	int64_t now;
};

static struct world *W;

/* ---- fake eUICC host ---- */

struct fhost {
	int installs, exists, install_rc;
	uint8_t *upp;
	size_t upp_len;
	struct sf_bpp_metadata md;
	uint32_t seq;
	char asked[21];
};

static int h_exists(void *u, const char *iccid)
{
	struct fhost *h = u;
	snprintf(h->asked, sizeof(h->asked), "%s", iccid);
	return h->exists;
}

static int h_install(void *u, const struct sf_bpp_metadata *md, const uint8_t *upp, size_t len,
                     uint8_t aid[16], size_t *aid_len)
{
	struct fhost *h = u;
	if (h->install_rc)
		return h->install_rc;
	free(h->upp);
	h->upp = malloc(len ? len : 1);
	assert_non_null(h->upp);
	memcpy(h->upp, upp, len);
	h->upp_len = len;
	h->md = *md;
	h->installs++;
	memcpy(aid, AID, 16);
	*aid_len = 16;
	return 0;
}

static int h_seq(void *u, uint32_t *seq)
{
	struct fhost *h = u;
	*seq = ++h->seq;
	return 0;
}

static void host_init(struct fhost *h, struct sf_bpp_host *bh)
{
	memset(h, 0, sizeof(*h));
	h->seq = 41;
	bh->user = h;
	bh->iccid_exists = h_exists;
	bh->install = h_install;
	bh->next_seq = h_seq;
}

/* ---- the mutual authentication up to PrepareDownload ---- */

static size_t build_auth_server(const struct sf_rsp_init_auth *ia, uint8_t *buf, size_t cap)
{
	struct sf_der_writer w;
	size_t m, n;
	sf_der_writer_init(&w, buf, cap);
	m = sf_der_writer_mark(&w);
	sf_der_write_raw(&w, CTX, sizeof(CTX));
	sf_der_write_raw(&w, ia->server_cert, ia->server_cert_len);
	sf_der_write_octets(&w, SF_DER_OCTET_STRING, ia->ci_pkid, ia->ci_pkid_len);
	sf_der_write_octets(&w, 0x5F37, ia->server_signature1, 64);
	sf_der_write_raw(&w, ia->server_signed1, ia->server_signed1_len);
	sf_der_write_wrap(&w, m, 0xBF38);
	assert_int_equal(0, sf_der_writer_finish(&w, &n));
	return n;
}

static size_t build_prepare(const struct sf_rsp_auth_client *ac, uint8_t *buf, size_t cap)
{
	struct sf_der_writer w;
	size_t m, n;
	sf_der_writer_init(&w, buf, cap);
	m = sf_der_writer_mark(&w);
	sf_der_write_raw(&w, ac->smdp_cert, ac->smdp_cert_len);
	sf_der_write_octets(&w, 0x5F37, ac->smdp_signature2, 64);
	sf_der_write_raw(&w, ac->smdp_signed2, ac->smdp_signed2_len);
	sf_der_write_wrap(&w, m, 0xBF21);
	assert_int_equal(0, sf_der_writer_finish(&w, &n));
	return n;
}

/* GetEUICCChallenge .. PrepareDownload; es ends in state 3.  bpp_otpk: the
 * otPK of a previous binding (retry) or NULL.  otpk receives otPK.EUICC as
 * the SM-DP+ checked it. */
static void prepare(struct sf_rsp_euicc_session *es, struct sf_rsp_smdp_session *ds,
                    const uint8_t *bpp_otpk, uint8_t otpk[65])
{
	struct sf_rsp_init_auth ia;
	struct sf_rsp_auth_client ac;
	uint8_t ch[16], info1[128], *req = malloc(8192), *rsp = malloc(8192);
	size_t info1_len, req_len, rsp_len;
	int code, err;

	assert_non_null(req);
	assert_non_null(rsp);
	memset(ds, 0, sizeof(*ds));
	assert_rc(0, sf_rsp_euicc_challenge(es, NULL, ch));
	assert_rc(0, sf_rsp_euicc_info1(&W->cred, info1, sizeof(info1), &info1_len));
	assert_rc(0, sf_rsp_smdp_initiate_authentication(&W->dp, ds, ch, info1, info1_len, ADDR,
	                                                 &ia));
	req_len = build_auth_server(&ia, req, 8192);
	assert_rc(0, sf_rsp_euicc_authenticate_server(&W->cred, es, req, req_len, INFO2,
	                                              sizeof(INFO2), W->now, rsp, 8192, &rsp_len,
	                                              &code));
	assert_rc(0, sf_rsp_smdp_authenticate_client(&W->dp, ds, ia.tid, ia.tid_len, rsp, rsp_len,
	                                             0, bpp_otpk, W->now, &ac, &err, NULL, 0));
	req_len = build_prepare(&ac, req, 8192);
	assert_rc(0, sf_rsp_euicc_prepare_download(&W->cred, es, req, req_len, W->now, rsp, 8192,
	                                           &rsp_len, &code));
	assert_rc(0, sf_rsp_smdp_check_prepare_download(ds, rsp, rsp_len, NULL, 0, otpk, &err));
	assert_int_equal(3, es->state);
	assert_string_equal(ADDR, es->server_address);
	assert_memory_equal(OID, es->smdp_oid, sizeof(OID));
	free(req);
	free(rsp);
}

/* ---- the test-side BPP builder (bpp-crypto.md §5) ---- */

struct dbuf {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct dbuf *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void put_hdr(struct dbuf *b, uint32_t tag, size_t len)
{
	uint8_t h[8];
	size_t i = 0;
	if (tag > 0xFF)
		h[i++] = (uint8_t)(tag >> 8);
	h[i++] = (uint8_t)tag;
	if (len < 0x80) {
		h[i++] = (uint8_t)len;
	} else if (len < 0x100) {
		h[i++] = 0x81, h[i++] = (uint8_t)len;
	} else if (len < 0x10000) {
		h[i++] = 0x82, h[i++] = (uint8_t)(len >> 8), h[i++] = (uint8_t)len;
	} else {
		h[i++] = 0x83, h[i++] = (uint8_t)(len >> 16), h[i++] = (uint8_t)(len >> 8);
		h[i++] = (uint8_t)len;
	}
	put(b, h, i);
}

static void put_tlv(struct dbuf *b, uint32_t tag, const void *v, size_t len)
{
	put_hdr(b, tag, len);
	put(b, v, len);
}

struct bspec {
	const uint8_t *tid;
	size_t tid_len;
	const uint8_t *euicc_otpk;
	const uint8_t *cisdp; /* ConfigureISDP plaintext; NULL: BF24 00 */
	size_t cisdp_len;
	const uint8_t *md; /* StoreMetadata plaintext */
	size_t md_len;
	size_t md_split; /* 0: one 88, else two cut here */
	int ppk;
	uint8_t ppk_enc[16], ppk_mac[16], ppk_mcv[16];
	const uint8_t *rsk; /* ReplaceSessionKeys plaintext; NULL: from ppk_* */
	size_t rsk_len;
	const uint8_t *upp;
	size_t upp_len, seg; /* seg 0: SF_BSP_PLAIN_MAX */
	int op_id;           /* 0: 1 */
	uint8_t key_type;    /* CRT keyType written (0: 88); keys derived with 88 */
	int bad_tid, bad_sign;
	int bad_pad; /* the last 86: 00 padding instead of 80 00.. */
};

#define MAX_ITEMS 64
struct bpp {
	uint8_t *item[MAX_ITEMS];
	size_t len[MAX_ITEMS];
	size_t n;
	size_t i_a0, i_a1, i_88, n88, i_a2, i_a3, i_86, n86;
};

static void add_item(struct bpp *o, struct dbuf *b)
{
	assert_true(o->n < MAX_ITEMS);
	o->item[o->n] = b->p;
	o->len[o->n] = b->n;
	o->n++;
	memset(b, 0, sizeof(*b));
}

static void protect(struct sf_bsp *bsp, uint8_t tag, const uint8_t *pt, size_t n, struct dbuf *out)
{
	uint8_t tmp[SF_BSP_SEGMENT_MAX + 32];
	size_t o;
	if (tag == SF_BSP_TAG_MAC)
		assert_rc(0, sf_bsp_mac_only(bsp, tag, pt, n, tmp, sizeof(tmp), &o));
	else
		assert_rc(0, sf_bsp_protect(bsp, tag, pt, n, tmp, sizeof(tmp), &o));
	assert_true(o <= SF_BSP_SEGMENT_MAX);
	put(out, tmp, o);
}

/* A BSP segment (bpp-crypto.md §4) of an already padded plaintext, so that
 * the padding can be wrong under a valid MAC. */
static void protect_raw(struct sf_bsp *bsp, uint8_t tag, const uint8_t *pt, size_t n,
                        struct dbuf *out)
{
	uint8_t ctr[16] = {0}, icv[16], c[1024], full[16], hl[4];
	size_t l = n + 8, hn = 0;
	assert_true(n % 16 == 0 && n <= sizeof(c));
	ctr[12] = (uint8_t)(bsp->counter >> 24), ctr[13] = (uint8_t)(bsp->counter >> 16);
	ctr[14] = (uint8_t)(bsp->counter >> 8), ctr[15] = (uint8_t)bsp->counter;
	assert_rc(0, sf_aes128_ecb_block(bsp->s_enc, ctr, icv));
	assert_rc(0, sf_aes128_cbc_encrypt(bsp->s_enc, icv, pt, n, c));
	bsp->counter++;
	hl[hn++] = tag;
	if (l >= 0x100)
		hl[hn++] = 0x82, hl[hn++] = (uint8_t)(l >> 8), hl[hn++] = (uint8_t)l;
	else if (l >= 0x80)
		hl[hn++] = 0x81, hl[hn++] = (uint8_t)l;
	else
		hl[hn++] = (uint8_t)l;
	struct sf_crypto_part parts[3] = {{bsp->mcv, 16}, {hl, hn}, {c, n}};
	assert_rc(0, sf_aes128_cmac(bsp->s_mac, parts, 3, full));
	memcpy(bsp->mcv, full, 16);
	put(out, hl, hn);
	put(out, c, n);
	put(out, full, 8);
}

static void build(const struct bspec *sp, struct bpp *o)
{
	static const uint8_t hid[8] = {'s', 'i', 'm', 'f', 'l', 'e', 'e', 't'};
	struct sf_ec_key *otsk = NULL;
	uint8_t otpk[65], z[32], eid[16], sig[64], tid[16], t3[3];
	struct sf_bsp_keys keys;
	struct sf_bsp bsp;
	struct dbuf isc = {0}, msg = {0}, bf23 = {0}, a0 = {0}, s87 = {0}, s88[2] = {{0}, {0}},
	            a2 = {0}, s86[MAX_ITEMS] = {{0}}, it = {0}, rsk = {0};
	size_t n88 = sp->md_split ? 2 : 1, n86 = 0, a1_len = 0, a3_len = 0, seg;

	memset(o, 0, sizeof(*o));
	assert_rc(0, sf_ec_key_generate(W->curve, &otsk));
	assert_rc(0, sf_ec_key_point(otsk, otpk));
	assert_rc(0, sf_ecka(otsk, sp->euicc_otpk, 65, z));
	sf_ec_key_free(otsk);
	assert_int_equal(16, sf_test_unhex(EID, eid, sizeof(eid)));
	assert_rc(0, sf_bsp_derive_keys(z, 0x88, 0x10, hid, sizeof(hid), eid, &keys));
	assert_rc(0, sf_bsp_init(&bsp, keys.s_enc, keys.s_mac, keys.mcv0));

	/* BF23 */
	memcpy(tid, sp->tid, sp->tid_len);
	if (sp->bad_tid)
		tid[0] ^= 1;
	t3[0] = 0x82, t3[1] = 1, t3[2] = (uint8_t)(sp->op_id ? sp->op_id : 1);
	put(&isc, t3, 3);
	put_tlv(&isc, 0x80, tid, sp->tid_len);
	put_hdr(&isc, 0xA6, 6 + 2 + sizeof(hid));
	t3[0] = 0x80, t3[1] = 1, t3[2] = sp->key_type ? sp->key_type : 0x88;
	put(&isc, t3, 3);
	t3[0] = 0x81, t3[1] = 1, t3[2] = 0x10;
	put(&isc, t3, 3);
	put_tlv(&isc, 0x84, hid, sizeof(hid));
	put_tlv(&isc, 0x5F49, otpk, 65);
	put(&msg, isc.p, isc.n);
	put_tlv(&msg, 0x5F49, sp->euicc_otpk, 65);
	assert_rc(0, sf_ecdsa_sign(W->dppb_key, msg.p, msg.n, sig));
	if (sp->bad_sign)
		sig[5] ^= 1;
	put_tlv(&isc, 0x5F37, sig, 64);
	put_tlv(&bf23, 0xBF23, isc.p, isc.n);

	/* A0 { 87 ConfigureISDP } */
	if (sp->cisdp)
		protect(&bsp, 0x87, sp->cisdp, sp->cisdp_len, &s87);
	else
		protect(&bsp, 0x87, (const uint8_t[]){0xBF, 0x24, 0x00}, 3, &s87);
	put_tlv(&a0, 0xA0, s87.p, s87.n);
	/* A1 { 88 StoreMetadata ... } */
	if (sp->md_split) {
		protect(&bsp, 0x88, sp->md, sp->md_split, &s88[0]);
		protect(&bsp, 0x88, sp->md + sp->md_split, sp->md_len - sp->md_split, &s88[1]);
	} else {
		protect(&bsp, 0x88, sp->md, sp->md_len, &s88[0]);
	}
	for (size_t i = 0; i < n88; i++)
		a1_len += s88[i].n;
	/* A2 { 87 ReplaceSessionKeys }, then the PPKs from counter 1 */
	if (sp->ppk) {
		if (sp->rsk) {
			put(&rsk, sp->rsk, sp->rsk_len);
		} else {
			struct dbuf v = {0};
			put_tlv(&v, 0x80, sp->ppk_mcv, 16);
			put_tlv(&v, 0x81, sp->ppk_enc, 16);
			put_tlv(&v, 0x82, sp->ppk_mac, 16);
			put_tlv(&rsk, 0xBF26, v.p, v.n);
			free(v.p);
		}
		struct dbuf r87 = {0};
		protect(&bsp, 0x87, rsk.p, rsk.n, &r87);
		put_tlv(&a2, 0xA2, r87.p, r87.n);
		free(r87.p);
		sf_bsp_free(&bsp);
		assert_rc(0, sf_bsp_init(&bsp, sp->ppk_enc, sp->ppk_mac, sp->ppk_mcv));
	}
	/* A3 { 86 ... } */
	seg = sp->seg ? sp->seg : SF_BSP_PLAIN_MAX;
	for (size_t off = 0; off < sp->upp_len; off += seg) {
		size_t l = sp->upp_len - off < seg ? sp->upp_len - off : seg;
		assert_true(n86 < MAX_ITEMS - 10);
		if (sp->bad_pad && off + l == sp->upp_len) {
			uint8_t padded[1024] = {0};
			memcpy(padded, sp->upp + off, l);
			protect_raw(&bsp, 0x86, padded, (l + 15) / 16 * 16, &s86[n86]);
		} else {
			protect(&bsp, 0x86, sp->upp + off, l, &s86[n86]);
		}
		a3_len += s86[n86].n;
		n86++;
	}
	sf_bsp_free(&bsp);

	/* items: "BF36 L" + BF23, A0, "A1 L", 88.., A2, "A3 L", 86.. */
	{
		struct dbuf hd = {0};
		size_t total = bf23.n + a0.n + a2.n;
		put_hdr(&hd, 0xA1, a1_len);
		total += hd.n + a1_len;
		free(hd.p);
		memset(&hd, 0, sizeof(hd));
		put_hdr(&hd, 0xA3, a3_len);
		total += hd.n + a3_len;
		free(hd.p);
		put_hdr(&it, 0xBF36, total);
		put(&it, bf23.p, bf23.n);
		add_item(o, &it);
	}
	o->i_a0 = o->n;
	add_item(o, &a0);
	o->i_a1 = o->n;
	put_hdr(&it, 0xA1, a1_len);
	add_item(o, &it);
	o->i_88 = o->n;
	o->n88 = n88;
	for (size_t i = 0; i < n88; i++)
		add_item(o, &s88[i]);
	o->i_a2 = sp->ppk ? o->n : 0;
	if (sp->ppk)
		add_item(o, &a2);
	o->i_a3 = o->n;
	put_hdr(&it, 0xA3, a3_len);
	add_item(o, &it);
	o->i_86 = o->n;
	o->n86 = n86;
	for (size_t i = 0; i < n86; i++)
		add_item(o, &s86[i]);
	free(isc.p);
	free(msg.p);
	free(bf23.p);
	free(s87.p);
	free(rsk.p);
	free(a2.p);
	sf_bsp_free(&bsp);
}

static void bpp_free(struct bpp *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->item[i]);
	memset(o, 0, sizeof(*o));
}

/* StoreMetadata BF25 {5A iccid, 91 spn, 92 name, 95 class} */
static size_t metadata(int pclass, uint8_t *out)
{
	static const uint8_t bcd[10] = {0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14};
	struct dbuf v = {0}, t = {0};
	put_tlv(&v, 0x5A, bcd, 10);
	put_tlv(&v, 0x91, "simfleet", 8);
	put_tlv(&v, 0x92, "TEST profile", 12);
	if (pclass >= 0) {
		uint8_t c = (uint8_t)pclass;
		put_tlv(&v, 0x95, &c, 1);
	}
	put_tlv(&t, 0xBF25, v.p, v.n);
	memcpy(out, t.p, t.n);
	size_t n = t.n;
	free(v.p);
	free(t.p);
	return n;
}

/* ---- the PIR as the SM-DP+ would read it ---- */

struct pir {
	uint8_t tid[16];
	size_t tid_len;
	uint64_t seq;
	uint32_t event;
	char addr[256];
	int has_iccid;
	uint8_t iccid[10];
	int ok;
	uint8_t aid[16];
	size_t aid_len;
	int64_t cmd, reason;
};

static void parse_pir(const uint8_t *b, size_t n, struct pir *r)
{
	const uint8_t *p = b, *end = b + n, *v, *raw, *q, *qe, *x, *sig, *oid;
	size_t vl, rl, xl, sl, ol, ql;
	uint32_t tag;

	memset(r, 0, sizeof(*r));
	assert_rc(0, sf_der_expect(&p, end, 0xBF37, &v, &vl));
	assert_rc(0, sf_der_check_end(p, end));
	p = v;
	end = v + vl;
	raw = p;
	assert_rc(0, sf_der_expect(&p, end, 0xBF27, &q, &ql));
	rl = (size_t)(p - raw);
	assert_rc(0, sf_der_get_octets(&p, end, 0x5F37, &sig, &sl));
	assert_rc(0, sf_der_check_end(p, end));
	/* euiccSignPIR over the BF27 TLV, with PK.EUICC */
	assert_rc(0, sf_ecdsa_verify(W->euicc_pk, raw, rl, sig, sl));
	qe = q + ql;
	assert_rc(0, sf_der_get_octets(&q, qe, 0x80, &x, &xl));
	memcpy(r->tid, x, xl);
	r->tid_len = xl;
	{
		const uint8_t *m, *me, *s;
		size_t ml, l;
		assert_rc(0, sf_der_expect(&q, qe, 0xBF2F, &m, &ml));
		me = m + ml;
		assert_rc(0, sf_der_get_uint64(&m, me, 0x80, &r->seq));
		assert_rc(0, sf_der_get_named_bits(&m, me, 0x81, &r->event));
		assert_rc(0, sf_der_get_string(&m, me, 0x0C, SF_DER_UTF8_STRING, &s, &l));
		memcpy(r->addr, s, l);
		if (m < me) {
			assert_rc(0, sf_der_get_octets(&m, me, 0x5A, &s, &l));
			assert_int_equal(10, l);
			memcpy(r->iccid, s, 10);
			r->has_iccid = 1;
		}
		assert_rc(0, sf_der_check_end(m, me));
	}
	assert_rc(0, sf_der_get_oid(&q, qe, 0x06, &oid, &ol));
	assert_int_equal(sizeof(OID), ol);
	assert_memory_equal(OID, oid, ol);
	assert_rc(0, sf_der_expect(&q, qe, 0xA2, &x, &xl));
	assert_rc(0, sf_der_check_end(q, qe));
	q = x;
	qe = x + xl;
	assert_rc(0, sf_der_get_tlv(&q, qe, &tag, &x, &xl));
	assert_rc(0, sf_der_check_end(q, qe));
	q = x;
	qe = x + xl;
	if (tag == 0xA0) {
		const uint8_t *a;
		r->ok = 1;
		assert_rc(0, sf_der_get_octets(&q, qe, 0x4F, &a, &r->aid_len));
		memcpy(r->aid, a, r->aid_len);
		assert_rc(0, sf_der_get_octets(&q, qe, 0x04, &a, &xl));
		r->cmd = r->reason = -1;
	} else {
		assert_int_equal(0xA1, tag);
		assert_rc(0, sf_der_get_int64(&q, qe, 0x80, &r->cmd));
		assert_rc(0, sf_der_get_int64(&q, qe, 0x81, &r->reason));
	}
	assert_rc(0, sf_der_check_end(q, qe));
	(void)sig;
}

/* ---- feeding ---- */

/* One item, in an exact-size heap buffer (ASan sees any over-read). */
static int feed1(struct sf_rsp_euicc_session *es, struct sf_rsp_euicc_load *ld,
                 const struct sf_bpp_host *bh, const uint8_t *item, size_t len, uint8_t *pir,
                 size_t *pir_len, uint32_t *seq)
{
	uint8_t *x = malloc(len ? len : 1);
	assert_non_null(x);
	memcpy(x, item, len);
	int rc = sf_rsp_euicc_load_bpp(&W->cred, es, ld, bh, x, len, pir, SF_BPP_PIR_MAX, pir_len,
	                               seq);
	free(x);
	return rc;
}

/* Feeds the items in order until the PIR; returns the index of the item
 * that produced it. */
static size_t feed(struct sf_rsp_euicc_session *es, struct sf_rsp_euicc_load *ld,
                   const struct sf_bpp_host *bh, const struct bpp *o, uint8_t *pir,
                   size_t *pir_len, uint32_t *seq)
{
	for (size_t i = 0; i < o->n; i++) {
		int rc = feed1(es, ld, bh, o->item[i], o->len[i], pir, pir_len, seq);
		if (rc == 1)
			continue;
		if (rc != 0)
			fail_msg("item %zu: %s", i, sf_err_name(rc));
		return i;
	}
	fail_msg("no PIR after %zu items", o->n);
	return 0;
}

static void fill_upp(uint8_t *u, size_t n)
{
	for (size_t i = 0; i < n; i++)
		u[i] = (uint8_t)(i * 7 + 3);
}

static void set_ppk(struct bspec *sp)
{
	sp->ppk = 1;
	for (int i = 0; i < 16; i++) {
		sp->ppk_enc[i] = (uint8_t)(0x10 + i);
		sp->ppk_mac[i] = (uint8_t)(0x20 + i);
		sp->ppk_mcv[i] = (uint8_t)(0x30 + i);
	}
}

/* ---- loads: good and every refusal ---- */

enum tcase {
	C_GOOD,
	C_GOOD_PPK,
	C_OPID,
	C_TID,
	C_SIGN,
	C_CRT,
	C_CISDP,
	C_MAC87,
	C_MAC88,
	C_MAC86,
	C_SWAP86,
	C_86_BEFORE_A3,
	C_88_AFTER_A2,
	C_A2_MAC,
	C_ICCID_EXISTS,
	C_CLASS,
	C_INSTALL_FAIL,
	C_PADDING,
	C_A3_LEN,
	C_BF36_AGAIN,
	C_MAX
};

static const struct {
	const char *name;
	int cmd, reason;
} CASES[C_MAX] = {
    [C_GOOD] = {"good", -1, -1},
    [C_GOOD_PPK] = {"good with ReplaceSessionKeys", -1, -1},
    [C_OPID] = {"remoteOpId 2", 0, 5},
    [C_TID] = {"BF23 transactionId of another session", 0, 3},
    [C_SIGN] = {"smdpSign corrupted", 0, 2},
    [C_CRT] = {"CRT keyType 89", 0, 4},
    [C_CISDP] = {"87 in A0 not ConfigureISDP", 1, 1},
    [C_MAC87] = {"MAC of 87 (A0) corrupted", 1, 8},
    [C_MAC88] = {"MAC of 88 corrupted", 2, 8},
    [C_MAC86] = {"MAC of the second 86 corrupted", 5, 8},
    [C_SWAP86] = {"two 86 swapped", 5, 8},
    [C_86_BEFORE_A3] = {"86 before the A3 header", 5, 7},
    [C_88_AFTER_A2] = {"88 after A2", 2, 7},
    [C_A2_MAC] = {"MAC of 87 (A2) corrupted", 4, 8},
    [C_ICCID_EXISTS] = {"ICCID exists", 2, 9},
    [C_CLASS] = {"profile class 3", 2, 6},
    [C_INSTALL_FAIL] = {"host install fails (memory)", 5, 10},
    [C_PADDING] = {"last 86 padded with 00 under a valid MAC", 5, 7},
    [C_A3_LEN] = {"A3 length is not the rest of BF36", 5, 7},
    [C_BF36_AGAIN] = {"BF36 again after A0", 0, 7},
};

static void swap_items(struct bpp *o, size_t a, size_t b)
{
	uint8_t *p = o->item[a];
	size_t l = o->len[a];
	o->item[a] = o->item[b], o->len[a] = o->len[b];
	o->item[b] = p, o->len[b] = l;
}

static void run_case(enum tcase c)
{
	static const uint8_t bcd[10] = {0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14};
	static const uint8_t not_cisdp[3] = {0xBF, 0x25, 0x00};
	struct sf_rsp_euicc_session es;
	struct sf_rsp_smdp_session ds;
	struct sf_rsp_euicc_load *ld = NULL;
	struct fhost h;
	struct sf_bpp_host bh;
	struct bpp o;
	struct pir r;
	uint8_t otpk[65], md[128], upp[2500], pir[SF_BPP_PIR_MAX], tid[16];
	size_t md_len, pir_len, tid_len;
	uint32_t seq = 0;

	print_message("  %s\n", CASES[c].name);
	sf_rsp_euicc_session_init(&es);
	prepare(&es, &ds, NULL, otpk);
	memcpy(tid, es.tid, es.tid_len);
	tid_len = es.tid_len;
	host_init(&h, &bh);
	md_len = metadata(c == C_CLASS ? 3 : 1, md);
	fill_upp(upp, sizeof(upp));

	struct bspec sp = {.tid = tid, .tid_len = tid_len, .euicc_otpk = otpk, .md = md,
	                   .md_len = md_len, .md_split = 20, .upp = upp, .upp_len = sizeof(upp)};
	if (c == C_GOOD_PPK || c == C_88_AFTER_A2 || c == C_A2_MAC)
		set_ppk(&sp);
	sp.op_id = c == C_OPID ? 2 : 0;
	sp.bad_tid = c == C_TID;
	sp.bad_sign = c == C_SIGN;
	sp.key_type = c == C_CRT ? 0x89 : 0;
	sp.bad_pad = c == C_PADDING;
	if (c == C_CISDP)
		sp.cisdp = not_cisdp, sp.cisdp_len = sizeof(not_cisdp);
	build(&sp, &o);
	assert_int_equal(3, o.n86);
	switch (c) {
	case C_MAC87:
		o.item[o.i_a0][o.len[o.i_a0] - 1] ^= 1;
		break;
	case C_MAC88:
		o.item[o.i_88][o.len[o.i_88] - 1] ^= 1;
		break;
	case C_MAC86:
		o.item[o.i_86 + 1][o.len[o.i_86 + 1] - 1] ^= 1;
		break;
	case C_A2_MAC:
		o.item[o.i_a2][o.len[o.i_a2] - 1] ^= 1;
		break;
	case C_SWAP86:
		swap_items(&o, o.i_86, o.i_86 + 1);
		break;
	case C_86_BEFORE_A3:
		swap_items(&o, o.i_a3, o.i_86);
		break;
	case C_A3_LEN:
		o.item[o.i_a3][o.len[o.i_a3] - 1] ^= 1; /* "A3 82 xx yy": yy */
		break;
	case C_BF36_AGAIN:
		free(o.item[o.i_a1]);
		o.item[o.i_a1] = malloc(o.len[0]);
		memcpy(o.item[o.i_a1], o.item[0], o.len[0]);
		o.len[o.i_a1] = o.len[0];
		break;
	case C_88_AFTER_A2:
		free(o.item[o.i_a3]);
		o.item[o.i_a3] = malloc(o.len[o.i_88]);
		memcpy(o.item[o.i_a3], o.item[o.i_88], o.len[o.i_88]);
		o.len[o.i_a3] = o.len[o.i_88];
		break;
	default:
		break;
	}
	h.exists = c == C_ICCID_EXISTS;
	h.install_rc = c == C_INSTALL_FAIL ? SF_BPP_NO_MEMORY : 0;

	assert_rc(0, sf_rsp_euicc_load_new(&ld));
	size_t last = feed(&es, ld, &bh, &o, pir, &pir_len, &seq);
	parse_pir(pir, pir_len, &r);
	assert_int_equal(42, seq);
	assert_int_equal(42, r.seq);
	assert_int_equal(1u << 0, r.event); /* notificationInstall */
	assert_string_equal(ADDR, r.addr);
	assert_int_equal(tid_len, r.tid_len);
	assert_memory_equal(tid, r.tid, tid_len);
	assert_int_equal(0, es.state); /* the session is closed either way */
	if (CASES[c].cmd < 0) {
		assert_int_equal(o.n - 1, last);
		assert_true(r.ok);
		assert_int_equal(16, r.aid_len);
		assert_memory_equal(AID, r.aid, 16);
		assert_int_equal(1, h.installs);
		assert_int_equal(sizeof(upp), h.upp_len);
		assert_memory_equal(upp, h.upp, sizeof(upp));
		assert_string_equal(ICCID, h.md.iccid);
		assert_string_equal("simfleet", h.md.spn);
		assert_string_equal("TEST profile", h.md.name);
		assert_int_equal(1, h.md.pclass);
		assert_string_equal(ICCID, h.asked);
		assert_true(r.has_iccid);
		assert_memory_equal(bcd, r.iccid, 10);
		assert_null(es.otsk); /* deleted after a successful install */
	} else {
		assert_false(r.ok);
		assert_int_equal(CASES[c].cmd, r.cmd);
		assert_int_equal(CASES[c].reason, r.reason);
		assert_int_equal(0, h.installs);
		/* the ICCID is known once StoreMetadata was read */
		assert_int_equal(CASES[c].cmd >= 4 || CASES[c].reason == 9 || CASES[c].reason == 6 ||
		                     c == C_88_AFTER_A2,
		                 r.has_iccid);
		assert_non_null(es.otsk); /* kept for a retry */
	}
	/* the load is over: anything more finds no session */
	assert_rc(SF_ERSP_NO_SESSION,
	          feed1(&es, ld, &bh, o.item[o.n - 1], o.len[o.n - 1], pir, &pir_len, &seq));
	assert_rc(SF_ERSP_NO_SESSION, feed1(&es, ld, &bh, o.item[0], o.len[0], pir, &pir_len, &seq));

	sf_rsp_euicc_load_free(ld);
	sf_rsp_euicc_load_free(NULL);
	bpp_free(&o);
	free(h.upp);
	sf_rsp_euicc_session_free(&es);
}

static void test_loads(void **state)
{
	(void)state;
	for (int c = 0; c < C_MAX; c++)
		run_case((enum tcase)c);
}

/* The pySim BSP vectors: ConfigureISDP, StoreMetadata and
 * ReplaceSessionKeys plaintexts of chain 1 and the PPK chain 2, whose 86
 * segments do not depend on the ECKA: the builder reproduces them byte for
 * byte and the loader decrypts them to the vector's plaintext. */
static void test_vectors(void **state)
{
	(void)state;
	struct sf_tsv t;
	struct sf_rsp_euicc_session es;
	struct sf_rsp_smdp_session ds;
	struct sf_rsp_euicc_load *ld = NULL;
	struct fhost h;
	struct sf_bpp_host bh;
	struct bpp o;
	struct pir r;
	uint8_t otpk[65], cisdp[16], md[128], rsk[128], upp[2 * 1007], exp[2][1100],
	    pir[SF_BPP_PIR_MAX];
	size_t cl, ml, rl, el[2], pir_len;
	uint32_t seq;

	sf_tsv_load(&t, "bsp.tsv");
	assert_int_equal(5, t.nrows);
	cl = sf_tsv_hex(&t, 0, "plaintext", cisdp, sizeof(cisdp));
	ml = sf_tsv_hex(&t, 1, "plaintext", md, sizeof(md));
	rl = sf_tsv_hex(&t, 2, "plaintext", rsk, sizeof(rsk));
	assert_int_equal(1007, sf_tsv_hex(&t, 3, "plaintext", upp, 1007));
	assert_int_equal(1007, sf_tsv_hex(&t, 4, "plaintext", upp + 1007, 1007));
	el[0] = sf_tsv_hex(&t, 3, "expected", exp[0], sizeof(exp[0]));
	el[1] = sf_tsv_hex(&t, 4, "expected", exp[1], sizeof(exp[1]));

	sf_rsp_euicc_session_init(&es);
	prepare(&es, &ds, NULL, otpk);
	host_init(&h, &bh);
	struct bspec sp = {.tid = es.tid, .tid_len = es.tid_len, .euicc_otpk = otpk,
	                   .cisdp = cisdp, .cisdp_len = cl, .md = md, .md_len = ml, .rsk = rsk,
	                   .rsk_len = rl, .upp = upp, .upp_len = sizeof(upp), .ppk = 1};
	sf_tsv_hex(&t, 3, "s_enc", sp.ppk_enc, 16);
	sf_tsv_hex(&t, 3, "s_mac", sp.ppk_mac, 16);
	sf_tsv_hex(&t, 3, "mcv_in", sp.ppk_mcv, 16);
	build(&sp, &o);
	assert_int_equal(2, o.n86);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(el[i], o.len[o.i_86 + (size_t)i]);
		sf_assert_mem("86 segment", exp[i], o.item[o.i_86 + (size_t)i], el[i]);
	}
	assert_rc(0, sf_rsp_euicc_load_new(&ld));
	feed(&es, ld, &bh, &o, pir, &pir_len, &seq);
	parse_pir(pir, pir_len, &r);
	assert_true(r.ok);
	assert_int_equal(1, h.installs);
	assert_int_equal(sizeof(upp), h.upp_len);
	sf_assert_mem("UPP", upp, h.upp, sizeof(upp));
	assert_string_equal(ICCID, h.md.iccid);
	assert_string_equal("GSMA_TEST", h.md.spn);
	assert_string_equal("GSMA_TEST_PROFILE", h.md.name);
	assert_int_equal(0, h.md.pclass);
	sf_rsp_euicc_load_free(ld);
	bpp_free(&o);
	free(h.upp);
	sf_rsp_euicc_session_free(&es);
	sf_tsv_free(&t);
}

/* SGP.22 §3.1.3.3 retry: a failed load keeps otSK; a new session whose
 * smdpSigned2 names the kept otPK gets the same key back, and a BPP bound
 * to it loads. */
static void test_retry(void **state)
{
	(void)state;
	struct sf_rsp_euicc_session es;
	struct sf_rsp_smdp_session ds;
	struct sf_rsp_euicc_load *ld = NULL;
	struct fhost h;
	struct sf_bpp_host bh;
	struct bpp o;
	struct pir r;
	uint8_t otpk1[65], otpk2[65], otpk3[65], md[128], upp[600], pir[SF_BPP_PIR_MAX];
	size_t ml, pir_len;
	uint32_t seq;

	sf_rsp_euicc_session_init(&es);
	host_init(&h, &bh);
	ml = metadata(2, md);
	fill_upp(upp, sizeof(upp));
	assert_rc(0, sf_rsp_euicc_load_new(&ld));

	/* first attempt: interrupted by a bad segment */
	prepare(&es, &ds, NULL, otpk1);
	struct bspec sp = {.tid = es.tid, .tid_len = es.tid_len, .euicc_otpk = otpk1, .md = md,
	                   .md_len = ml, .upp = upp, .upp_len = sizeof(upp), .seg = 200};
	build(&sp, &o);
	o.item[o.n - 1][5] ^= 1;
	feed(&es, ld, &bh, &o, pir, &pir_len, &seq);
	parse_pir(pir, pir_len, &r);
	assert_int_equal(5, r.cmd);
	assert_int_equal(8, r.reason);
	assert_non_null(es.otsk);
	assert_memory_equal(otpk1, es.otpk, 65);
	bpp_free(&o);

	/* retry: same otPK */
	prepare(&es, &ds, otpk1, otpk2);
	assert_memory_equal(otpk1, otpk2, 65);
	sp.tid = es.tid, sp.tid_len = es.tid_len, sp.euicc_otpk = otpk2;
	build(&sp, &o);
	feed(&es, ld, &bh, &o, pir, &pir_len, &seq);
	parse_pir(pir, pir_len, &r);
	assert_true(r.ok);
	assert_int_equal(1, h.installs);
	assert_null(es.otsk);
	bpp_free(&o);

	/* after the install the key is gone: a new session gets a new one
	 * even when it names the old one */
	prepare(&es, &ds, otpk1, otpk3);
	assert_memory_not_equal(otpk1, otpk3, 65);
	/* and a session that names no otPK replaces a kept key */
	prepare(&es, &ds, NULL, otpk2);
	assert_memory_not_equal(otpk3, otpk2, 65);

	sf_rsp_euicc_load_free(ld);
	free(h.upp);
	sf_rsp_euicc_session_free(&es);
	assert_null(es.otsk);
}

/* A load left half way when the LPA starts a new session is dropped; the
 * new session's BPP loads. */
static void test_new_session_mid_load(void **state)
{
	(void)state;
	struct sf_rsp_euicc_session es;
	struct sf_rsp_smdp_session ds;
	struct sf_rsp_euicc_load *ld = NULL;
	struct fhost h;
	struct sf_bpp_host bh;
	struct bpp o1, o2;
	struct pir r;
	uint8_t otpk[65], md[128], upp[500], pir[SF_BPP_PIR_MAX];
	size_t ml, pir_len;
	uint32_t seq;

	sf_rsp_euicc_session_init(&es);
	host_init(&h, &bh);
	ml = metadata(2, md);
	fill_upp(upp, sizeof(upp));
	assert_rc(0, sf_rsp_euicc_load_new(&ld));
	prepare(&es, &ds, NULL, otpk);
	struct bspec sp = {.tid = es.tid, .tid_len = es.tid_len, .euicc_otpk = otpk, .md = md,
	                   .md_len = ml, .upp = upp, .upp_len = sizeof(upp), .seg = 200};
	build(&sp, &o1);
	for (size_t i = 0; i < o1.i_a3; i++)
		assert_int_equal(1, feed1(&es, ld, &bh, o1.item[i], o1.len[i], pir, &pir_len, &seq));
	prepare(&es, &ds, NULL, otpk);
	sp.tid = es.tid, sp.tid_len = es.tid_len;
	build(&sp, &o2);
	assert_int_equal(o2.n - 1, feed(&es, ld, &bh, &o2, pir, &pir_len, &seq));
	parse_pir(pir, pir_len, &r);
	assert_true(r.ok);
	assert_int_equal(1, h.installs);
	assert_memory_equal(upp, h.upp, sizeof(upp));
	sf_rsp_euicc_load_free(ld);
	bpp_free(&o1);
	bpp_free(&o2);
	free(h.upp);
	sf_rsp_euicc_session_free(&es);
}

/* Every proper prefix of every item, in an exact-size heap buffer, after
 * the items before it: SF_ERSP_FORMAT, nothing installed, the session kept. */
static void test_prefixes(void **state)
{
	(void)state;
	struct sf_rsp_euicc_session es;
	struct sf_rsp_smdp_session ds;
	struct sf_rsp_euicc_load *ld = NULL;
	struct fhost h;
	struct sf_bpp_host bh;
	struct bpp o;
	uint8_t otpk[65], md[128], upp[300], pir[SF_BPP_PIR_MAX];
	size_t ml, pir_len;
	uint32_t seq;

	sf_rsp_euicc_session_init(&es);
	host_init(&h, &bh);
	prepare(&es, &ds, NULL, otpk);
	ml = metadata(1, md);
	fill_upp(upp, sizeof(upp));
	struct bspec sp = {.tid = es.tid, .tid_len = es.tid_len, .euicc_otpk = otpk, .md = md,
	                   .md_len = ml, .md_split = 9, .upp = upp, .upp_len = sizeof(upp),
	                   .seg = 100};
	set_ppk(&sp);
	build(&sp, &o);
	for (size_t k = 0; k < o.n; k++) {
		for (size_t l = 0; l < o.len[k]; l++) {
			assert_rc(0, sf_rsp_euicc_load_new(&ld));
			for (size_t i = 0; i < k; i++)
				assert_int_equal(1, feed1(&es, ld, &bh, o.item[i], o.len[i], pir,
				                          &pir_len, &seq));
			int rc = feed1(&es, ld, &bh, o.item[k], l, pir, &pir_len, &seq);
			if (rc != SF_ERSP_FORMAT)
				fail_msg("item %zu prefix %zu: %s", k, l, sf_err_name(rc));
			assert_int_equal(3, es.state);
			assert_int_equal(0, h.installs);
			sf_rsp_euicc_load_free(ld);
		}
	}
	/* after all that the whole BPP still loads */
	assert_rc(0, sf_rsp_euicc_load_new(&ld));
	/* a PIR buffer too small is refused before anything is consumed */
	assert_rc(SF_EBUFSIZE, sf_rsp_euicc_load_bpp(&W->cred, &es, ld, &bh, o.item[0], o.len[0],
	                                             pir, SF_BPP_PIR_MAX - 1, &pir_len, &seq));
	assert_int_equal(SF_BPP_PIR_MAX, pir_len);
	assert_int_equal(o.n - 1, feed(&es, ld, &bh, &o, pir, &pir_len, &seq));
	assert_int_equal(1, h.installs);
	sf_rsp_euicc_load_free(ld);
	bpp_free(&o);
	free(h.upp);
	sf_rsp_euicc_session_free(&es);
}

/* ---- CancelSession ---- */

static size_t cancel_req(const uint8_t *tid, size_t tid_len, int reason, uint8_t *out)
{
	struct dbuf v = {0}, t = {0};
	uint8_t r = (uint8_t)reason;
	put_tlv(&v, 0x80, tid, tid_len);
	put_tlv(&v, 0x81, &r, 1);
	put_tlv(&t, 0xBF41, v.p, v.n);
	memcpy(out, t.p, t.n);
	size_t n = t.n;
	free(v.p);
	free(t.p);
	return n;
}

static void test_cancel(void **state)
{
	(void)state;
	struct sf_rsp_euicc_session es;
	struct sf_rsp_smdp_session ds;
	struct sf_rsp_euicc_load *ld = NULL;
	struct fhost h;
	struct sf_bpp_host bh;
	struct bpp o;
	uint8_t otpk[65], req[64], rsp[512], tid[16], md[128], upp[100], pir[SF_BPP_PIR_MAX];
	size_t rl, n, pir_len, tid_len;
	uint32_t seq;
	static const uint8_t err5[] = {0xBF, 0x41, 0x03, 0x81, 0x01, 0x05};
	static const uint8_t err127[] = {0xBF, 0x41, 0x03, 0x81, 0x01, 0x7F};

	sf_rsp_euicc_session_init(&es);
	host_init(&h, &bh);
	/* no session */
	rl = cancel_req((const uint8_t *)"x", 1, 0, req);
	assert_rc(0, sf_rsp_euicc_cancel_session(&W->cred, &es, NULL, req, rl, rsp, sizeof(rsp),
	                                         &n));
	assert_int_equal(sizeof(err127), n);
	assert_memory_equal(err127, rsp, n);

	prepare(&es, &ds, NULL, otpk);
	memcpy(tid, es.tid, es.tid_len);
	tid_len = es.tid_len;
	/* a load in progress */
	size_t ml = metadata(1, md);
	fill_upp(upp, sizeof(upp));
	struct bspec sp = {.tid = tid, .tid_len = tid_len, .euicc_otpk = otpk, .md = md,
	                   .md_len = ml, .upp = upp, .upp_len = sizeof(upp)};
	build(&sp, &o);
	assert_rc(0, sf_rsp_euicc_load_new(&ld));
	assert_int_equal(1, feed1(&es, ld, &bh, o.item[0], o.len[0], pir, &pir_len, &seq));
	assert_int_equal(1, feed1(&es, ld, &bh, o.item[1], o.len[1], pir, &pir_len, &seq));

	/* wrong transactionId: invalidTransactionId(5), session unchanged */
	tid[0] ^= 1;
	rl = cancel_req(tid, tid_len, 5, req);
	tid[0] ^= 1;
	assert_rc(0, sf_rsp_euicc_cancel_session(&W->cred, &es, ld, req, rl, rsp, sizeof(rsp),
	                                         &n));
	assert_int_equal(sizeof(err5), n);
	assert_memory_equal(err5, rsp, n);
	assert_int_equal(3, es.state);

	/* every truncation of the request is refused */
	rl = cancel_req(tid, tid_len, SF_CANCEL_LOAD_BPP_ERROR, req);
	for (size_t l = 0; l < rl; l++) {
		uint8_t *x = malloc(l ? l : 1);
		memcpy(x, req, l);
		assert_rc(SF_ERSP_FORMAT, sf_rsp_euicc_cancel_session(&W->cred, &es, ld, x, l, rsp,
		                                                      sizeof(rsp), &n));
		free(x);
	}
	/* too small an output: SF_EBUFSIZE, the session stays */
	assert_rc(SF_EBUFSIZE, sf_rsp_euicc_cancel_session(&W->cred, &es, ld, req, rl, rsp, 10, &n));
	assert_int_equal(3, es.state);

	/* the right one: signed, session and load closed */
	assert_rc(0, sf_rsp_euicc_cancel_session(&W->cred, &es, ld, req, rl, rsp, sizeof(rsp), &n));
	{
		const uint8_t *p = rsp, *end = rsp + n, *v, *ok, *raw, *s, *sig, *x;
		size_t vl, okl, sl, sigl, xl;
		int64_t reason;
		assert_rc(0, sf_der_expect(&p, end, 0xBF41, &v, &vl));
		assert_rc(0, sf_der_check_end(p, end));
		p = v, end = v + vl;
		assert_rc(0, sf_der_expect(&p, end, 0xA0, &ok, &okl));
		assert_rc(0, sf_der_check_end(p, end));
		p = ok, end = ok + okl;
		raw = p;
		assert_rc(0, sf_der_expect(&p, end, 0x30, &s, &sl));
		size_t raw_len = (size_t)(p - raw);
		assert_rc(0, sf_der_get_octets(&p, end, 0x5F37, &sig, &sigl));
		assert_rc(0, sf_der_check_end(p, end));
		assert_rc(0, sf_ecdsa_verify(W->euicc_pk, raw, raw_len, sig, sigl));
		p = s, end = s + sl;
		assert_rc(0, sf_der_get_octets(&p, end, 0x80, &x, &xl));
		assert_int_equal(tid_len, xl);
		assert_memory_equal(tid, x, xl);
		assert_rc(0, sf_der_get_oid(&p, end, 0x81, &x, &xl));
		assert_int_equal(sizeof(OID), xl);
		assert_memory_equal(OID, x, xl);
		assert_rc(0, sf_der_get_int64(&p, end, 0x82, &reason));
		assert_int_equal(SF_CANCEL_LOAD_BPP_ERROR, reason);
		assert_rc(0, sf_der_check_end(p, end));
	}
	assert_int_equal(0, es.state);
	assert_non_null(es.otsk);
	assert_rc(SF_ERSP_NO_SESSION,
	          feed1(&es, ld, &bh, o.item[2], o.len[2], pir, &pir_len, &seq));
	/* a second cancel finds no session */
	assert_rc(0, sf_rsp_euicc_cancel_session(&W->cred, &es, ld, req, rl, rsp, sizeof(rsp), &n));
	assert_memory_equal(err127, rsp, n);
	assert_int_equal(0, h.installs);

	sf_rsp_euicc_load_free(ld);
	bpp_free(&o);
	sf_rsp_euicc_session_free(&es);
}

/* ---- OtherSignedNotification ---- */

static void check_notification(const uint8_t *b, size_t n, uint32_t seq, unsigned event,
                               const char *iccid_bcd)
{
	const uint8_t *p = b, *end = b + n, *v, *raw, *m, *sig, *x, *der;
	size_t vl, ml, sigl, xl, dl;
	uint64_t s;
	uint32_t ev;

	assert_rc(0, sf_der_expect(&p, end, 0x30, &v, &vl));
	assert_rc(0, sf_der_check_end(p, end));
	p = v, end = v + vl;
	raw = p;
	assert_rc(0, sf_der_expect(&p, end, 0xBF2F, &m, &ml));
	size_t raw_len = (size_t)(p - raw);
	assert_rc(0, sf_der_get_octets(&p, end, 0x5F37, &sig, &sigl));
	assert_rc(0, sf_ecdsa_verify(W->euicc_pk, raw, raw_len, sig, sigl));
	assert_rc(0, sf_x509_der(W->cred.euicc_cert, &der, &dl));
	assert_true((size_t)(end - p) >= dl);
	assert_memory_equal(der, p, dl);
	p += dl;
	assert_rc(0, sf_x509_der(W->cred.eum_cert, &der, &dl));
	assert_int_equal(dl, (size_t)(end - p));
	assert_memory_equal(der, p, dl);
	p = m, end = m + ml;
	assert_rc(0, sf_der_get_uint64(&p, end, 0x80, &s));
	assert_int_equal(seq, s);
	assert_rc(0, sf_der_get_named_bits(&p, end, 0x81, &ev));
	assert_int_equal(1u << event, ev);
	assert_rc(0, sf_der_get_string(&p, end, 0x0C, SF_DER_UTF8_STRING, &x, &xl));
	assert_int_equal(strlen(ADDR), xl);
	assert_memory_equal(ADDR, x, xl);
	if (iccid_bcd) {
		assert_rc(0, sf_der_get_octets(&p, end, 0x5A, &x, &xl));
		assert_int_equal(10, xl);
		assert_memory_equal(iccid_bcd, x, 10);
	}
	assert_rc(0, sf_der_check_end(p, end));
}

static void test_notification(void **state)
{
	(void)state;
	static const char bcd[10] = {(char)0x98, 0x00, 0x10, 0x32, 0x54, 0x76, (char)0x98, 0x10,
	                             0x32, 0x14};
	static const char bcd19[10] = {(char)0x98, 0x00, 0x10, 0x32, 0x54, 0x76, (char)0x98, 0x10,
	                               0x32, (char)0xF4};
	uint8_t buf[2048];
	size_t n, need;

	assert_rc(0, sf_rsp_euicc_sign_notification(&W->cred, 7, 1, ADDR, ICCID, buf, sizeof(buf),
	                                            &n));
	check_notification(buf, n, 7, 1, bcd);
	assert_rc(0, sf_rsp_euicc_sign_notification(&W->cred, 70000, 3, ADDR, "8900012345678901234",
	                                            buf, sizeof(buf), &n));
	check_notification(buf, n, 70000, 3, bcd19);
	assert_rc(0, sf_rsp_euicc_sign_notification(&W->cred, 8, 2, ADDR, NULL, buf, sizeof(buf),
	                                            &n));
	check_notification(buf, n, 8, 2, NULL);
	assert_rc(SF_EBUFSIZE, sf_rsp_euicc_sign_notification(&W->cred, 8, 2, ADDR, "", buf, 10,
	                                                      &need));
	assert_int_equal(n, need);
	assert_rc(SF_EINVAL, sf_rsp_euicc_sign_notification(&W->cred, 8, 2, ADDR, "89ab", buf,
	                                                    sizeof(buf), &n));
	assert_rc(SF_EINVAL, sf_rsp_euicc_sign_notification(&W->cred, 8, 4, ADDR, NULL, buf,
	                                                    sizeof(buf), &n));
	assert_rc(SF_EINVAL, sf_rsp_euicc_sign_notification(&W->cred, 8, 1, NULL, NULL, buf,
	                                                    sizeof(buf), &n));
}

/* ---- the generated TEST PKI, per curve ---- */

static int setup(void **state, enum sf_ec_curve curve)
{
	struct world *wd = calloc(1, sizeof(*wd));
	struct sf_pki_init_opts o = {.curve = curve, .now = NOW};
	char cp[SF_PKI_PATH_MAX], kp[SF_PKI_PATH_MAX], a[SF_PKI_PATH_MAX * 2],
	    b[SF_PKI_PATH_MAX * 2], c[SF_PKI_PATH_MAX * 2], d[SF_PKI_PATH_MAX * 2],
	    e[SF_PKI_PATH_MAX * 2];

	if (wd == NULL)
		return -1;
	wd->curve = curve;
	wd->now = NOW + 60;
	snprintf(wd->dir, sizeof(wd->dir), "/tmp/sf_test_bpp_XXXXXX");
	if (mkdtemp(wd->dir) == NULL || sf_pki_init(wd->dir, &o) != 0 ||
	    sf_pki_issue_euicc(wd->dir, EID, NULL, NOW, cp, kp) != 0)
		return -1;
	snprintf(a, sizeof(a), "%s/ci.pem", wd->dir);
	snprintf(b, sizeof(b), "%s/dpauth.pem", wd->dir);
	snprintf(c, sizeof(c), "%s/dpauth.key", wd->dir);
	snprintf(d, sizeof(d), "%s/dppb.pem", wd->dir);
	snprintf(e, sizeof(e), "%s/dppb.key", wd->dir);
	if (sf_rsp_smdp_load(&wd->dp, ADDR, a, b, c, d, e, NULL) != 0 ||
	    sf_pki_load_key_file(e, &wd->dppb_key) != 0)
		return -1;
	snprintf(b, sizeof(b), "%s/eum.pem", wd->dir);
	if (sf_rsp_euicc_cred_load(&wd->cred, cp, kp, b, a, wd->now) != 0 ||
	    sf_x509_public_key(wd->cred.euicc_cert, &wd->euicc_pk) != 0)
		return -1;
	W = wd;
	*state = wd;
	return 0;
}

static int setup_p256(void **state)
{
	return setup(state, SF_EC_P256);
}

static int setup_bp(void **state)
{
	return setup(state, SF_EC_BRAINPOOLP256R1);
}

static int teardown(void **state)
{
	struct world *wd = *state;
	char cmd[128];
	sf_rsp_smdp_free(&wd->dp);
	sf_rsp_euicc_cred_free(&wd->cred);
	sf_ec_key_free(wd->dppb_key);
	sf_ec_key_free(wd->euicc_pk);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", wd->dir);
	if (system(cmd) != 0)
		return -1;
	free(wd);
	W = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest p256[] = {
	    cmocka_unit_test(test_loads),   cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_retry),   cmocka_unit_test(test_prefixes),
	    cmocka_unit_test(test_new_session_mid_load),
	    cmocka_unit_test(test_cancel),  cmocka_unit_test(test_notification),
	};
	const struct CMUnitTest bp[] = {
	    cmocka_unit_test(test_loads),
	    cmocka_unit_test(test_retry),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_notification),
	};
	int rc = cmocka_run_group_tests_name("P-256", p256, setup_p256, teardown);
	rc |= cmocka_run_group_tests_name("brainpoolP256r1", bp, setup_bp, teardown);
	return rc;
}
