/*
 * sf_x509 (src/crypto/x509.c) against OpenSSL's own parse in the default
 * library context, the way simfleet parsed certificates before it moved the
 * parse to a context without key decoders and verified certificate
 * signatures over the tbsCertificate octets itself:
 *  - the same certificates load, with the same public key (or the same
 *    refusal code) and the same signature verdict: every octet of an eUICC
 *    certificate's tbsCertificate flipped (0x01, 0x80), with the original
 *    signature and re-signed by the EUM, on P-256 and brainpoolP256r1;
 *  - targeted cases: a tampered tbsCertificate; another signature algorithm
 *    outside (ecdsa-with-SHA384), the same algorithm with NULL parameters
 *    outside only; unused bits in the signature BIT STRING; a non-minimal
 *    ECDSA-Sig-Value; trailing octets after the certificate and inside it;
 *    a compressed point (OpenSSL's decoder reads it: still accepted); a
 *    point off the curve and an unsupported curve (refused by the chain
 *    rules as before: "key is not P-256 or brainpoolP256r1"); PEM, whole
 *    and damaged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "simfleet/crypto.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/pki.h"

#define assert_rc(want, got) assert_string_equal(sf_err_name(want), sf_err_name(got))

#define NOW 1700000000LL
#define LATER (NOW + 86400)
#define EID_OK "89049032123451234512345678901235"
#define CAP 2048

struct fx {
	char dir[64];
	struct sf_x509 *ci, *eum, *euicc;
	struct sf_ec_key *eum_key; /* private */
	const struct sf_ec_key *eum_pub;
	EVP_PKEY *ref_eum_pub; /* OpenSSL's, from its own parse */
	const uint8_t *der;    /* CERT.EUICC */
	size_t der_len;
	const uint8_t *tbs, *alg, *sig; /* inside der: TLVs */
	size_t tbs_len, alg_len, sig_len;
};

static void setup_fx(struct fx *f, enum sf_ec_curve curve)
{
	struct sf_pki_init_opts o = {.curve = curve, .now = NOW};
	char cp[SF_PKI_PATH_MAX], kp[SF_PKI_PATH_MAX], p[SF_PKI_PATH_MAX + 16];
	const uint8_t *d, *q, *end, *v;
	size_t dl, vl;

	memset(f, 0, sizeof(*f));
	strcpy(f->dir, "/tmp/sf_test_x509_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_rc(0, sf_pki_init(f->dir, &o));
	assert_rc(0, sf_pki_issue_euicc(f->dir, EID_OK, NULL, NOW, cp, kp));
	assert_rc(0, sf_pki_load_cert_file(cp, &f->euicc));
	snprintf(p, sizeof(p), "%s/eum.pem", f->dir);
	assert_rc(0, sf_pki_load_cert_file(p, &f->eum));
	snprintf(p, sizeof(p), "%s/ci.pem", f->dir);
	assert_rc(0, sf_pki_load_cert_file(p, &f->ci));
	snprintf(p, sizeof(p), "%s/eum.key", f->dir);
	assert_rc(0, sf_pki_load_key_file(p, &f->eum_key));
	assert_rc(0, sf_x509_get0_public_key(f->eum, &f->eum_pub));
	assert_rc(0, sf_x509_der(f->eum, &d, &dl));
	q = d;
	X509 *x = d2i_X509(NULL, &q, (long)dl);
	assert_non_null(x);
	f->ref_eum_pub = X509_get_pubkey(x);
	assert_non_null(f->ref_eum_pub);
	X509_free(x);

	assert_rc(0, sf_x509_der(f->euicc, &f->der, &f->der_len));
	q = f->der, end = f->der + f->der_len;
	assert_rc(0, sf_der_expect(&q, end, SF_DER_SEQUENCE, &v, &vl));
	q = v, end = v + vl;
	f->tbs = q;
	assert_rc(0, sf_der_expect(&q, end, SF_DER_SEQUENCE, NULL, NULL));
	f->tbs_len = (size_t)(q - f->tbs);
	f->alg = q;
	assert_rc(0, sf_der_expect(&q, end, SF_DER_SEQUENCE, NULL, NULL));
	f->alg_len = (size_t)(q - f->alg);
	f->sig = q;
	assert_rc(0, sf_der_expect(&q, end, SF_DER_BIT_STRING, NULL, NULL));
	f->sig_len = (size_t)(q - f->sig);
	assert_true(q == end);
}

static void free_fx(struct fx *f)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(0, system(cmd));
	sf_x509_free(f->ci), sf_x509_free(f->eum), sf_x509_free(f->euicc);
	sf_ec_key_free(f->eum_key);
	EVP_PKEY_free(f->ref_eum_pub);
}

/* ---- a tiny DER builder ---- */

static size_t put_len(uint8_t *d, size_t n)
{
	if (n < 0x80) {
		d[0] = (uint8_t)n;
		return 1;
	}
	if (n < 0x100) {
		d[0] = 0x81, d[1] = (uint8_t)n;
		return 2;
	}
	d[0] = 0x82, d[1] = (uint8_t)(n >> 8), d[2] = (uint8_t)n;
	return 3;
}

/* tag || length || the parts concatenated. */
static size_t tlv(uint8_t *d, uint8_t tag, const uint8_t *const *parts, const size_t *lens,
                  size_t n)
{
	size_t total = 0, o;
	for (size_t i = 0; i < n; i++)
		total += lens[i];
	d[0] = tag;
	o = 1 + put_len(d + 1, total);
	for (size_t i = 0; i < n; i++) {
		memcpy(d + o, parts[i], lens[i]);
		o += lens[i];
	}
	return o;
}

/* Certificate from a tbsCertificate, an algorithm TLV and a BIT STRING TLV. */
static size_t cert(uint8_t *d, const uint8_t *tbs, size_t tl, const uint8_t *alg, size_t al,
                   const uint8_t *sig, size_t sl)
{
	const uint8_t *p[3] = {tbs, alg, sig};
	size_t l[3] = {tl, al, sl};
	return tlv(d, 0x30, p, l, 3);
}

/* signatureValue BIT STRING of tbs signed with key (ECDSA-SHA256, DER). */
static size_t sign_bits(uint8_t *d, const struct sf_ec_key *key, const uint8_t *tbs, size_t tl)
{
	uint8_t plain[64], der[SF_ECDSA_DER_MAX + 1];
	size_t dl = 0;
	assert_rc(0, sf_ecdsa_sign(key, tbs, tl, plain));
	der[0] = 0x00; /* no unused bits */
	assert_rc(0, sf_ecdsa_plain_to_der(plain, der + 1, sizeof(der) - 1, &dl));
	const uint8_t *p[1] = {der};
	size_t l[1] = {dl + 1};
	return tlv(d, 0x03, p, l, 1);
}

/* The tbsCertificate with its idx-th element replaced by elem. */
static size_t tbs_replace(uint8_t *d, const uint8_t *tbs, size_t tl, size_t idx,
                          const uint8_t *elem, size_t el)
{
	const uint8_t *q = tbs, *end = tbs + tl, *v, *parts[12];
	size_t vl, lens[12], n = 0;
	assert_rc(0, sf_der_expect(&q, end, SF_DER_SEQUENCE, &v, &vl));
	q = v, end = v + vl;
	while (q < end) {
		const uint8_t *s = q;
		assert_true(n < 12);
		assert_rc(0, sf_der_get_tlv(&q, end, NULL, NULL, NULL));
		parts[n] = n == idx ? elem : s;
		lens[n] = n == idx ? el : (size_t)(q - s);
		n++;
	}
	assert_true(idx < n);
	return tlv(d, 0x30, parts, lens, n);
}

/* ---- the comparison ---- */

struct verdict {
	int load; /* 0 or an error */
	int key;  /* sf_x509_public_key's code */
	uint8_t point[SF_EC_POINT_LEN];
	int sig; /* 1: verifies with the EUM key */
	enum sf_ec_curve curve;
};

/* What simfleet says now. */
static struct verdict ours(const struct fx *f, const uint8_t *der, size_t len)
{
	struct verdict r = {0};
	struct sf_x509 *c = NULL;
	struct sf_ec_key *k = NULL;
	struct sf_x509_info *in = calloc(1, sizeof(*in));

	assert_non_null(in);
	r.load = sf_x509_load(der, len, &c);
	if (r.load == 0) {
		r.key = sf_x509_public_key(c, &k);
		if (r.key == 0)
			assert_rc(0, sf_ec_key_point(k, r.point));
		r.sig = sf_x509_check_signature(c, f->eum_pub) == 0;
		/* info's curve; when the certificate's times do not decode
		 * (unchanged OpenSSL code), the key's, to compare the rest. */
		if (sf_x509_get_info(c, in) == 0)
			r.curve = in->curve;
		else
			r.curve = sf_ec_key_curve(k);
	}
	sf_ec_key_free(k);
	sf_x509_free(c);
	free(in);
	return r;
}

/* What the former code said: d2i_X509 in the default context (nothing
 * after it, no invalid extension), X509_get_pubkey, X509_verify. */
static struct verdict reference(const struct fx *f, const uint8_t *der, size_t len)
{
	struct verdict r = {0};
	const unsigned char *q = der;
	X509 *x = d2i_X509(NULL, &q, (long)len);
	struct sf_ec_key *k = NULL;

	if (!x || q != der + len || (X509_get_extension_flags(x) & EXFLAG_INVALID)) {
		X509_free(x);
		r.load = SF_EPKI_FORMAT;
		return r;
	}
	EVP_PKEY *pk = X509_get_pubkey(x);
	if (!pk) {
		r.key = SF_ECRYPTO_KEY;
	} else {
		unsigned char *spki = NULL;
		int n = i2d_PUBKEY(pk, &spki);
		assert_true(n > 0);
		/* The decoder and the checks of sf__ec_key_wrap, as before. */
		r.key = sf_ec_key_load_public(spki, (size_t)n, &k);
		OPENSSL_free(spki);
		if (r.key == 0) {
			assert_rc(0, sf_ec_key_point(k, r.point));
			r.curve = sf_ec_key_curve(k);
		}
		EVP_PKEY_free(pk);
	}
	r.sig = X509_get_signature_nid(x) == NID_ecdsa_with_SHA256 &&
	        X509_verify(x, f->ref_eum_pub) == 1;
	sf_ec_key_free(k);
	X509_free(x);
	ERR_clear_error();
	return r;
}

static void same(const struct fx *f, const uint8_t *der, size_t len, const char *what, size_t pos)
{
	struct verdict a = ours(f, der, len), b = reference(f, der, len);
	if (a.load != b.load || a.key != b.key || a.sig != b.sig || a.curve != b.curve ||
	    memcmp(a.point, b.point, sizeof(a.point)) != 0)
		fail_msg("%s at %zu: ours load %s key %s sig %d curve %d, OpenSSL load %s key %s "
		         "sig %d curve %d",
		         what, pos, sf_err_name(a.load), sf_err_name(a.key), a.sig, a.curve,
		         sf_err_name(b.load), sf_err_name(b.key), b.sig, b.curve);
}

static int chain(const struct fx *f, const struct sf_x509 *leaf)
{
	const struct sf_x509 *c[2] = {leaf, f->eum};
	return sf_pki_verify_chain(f->ci, c, 2, SF_PKI_ROLE_EUICC, LATER, NULL, NULL, 0);
}

static int chain_der(const struct fx *f, const uint8_t *der, size_t len)
{
	struct sf_x509 *c = NULL;
	int rc = sf_x509_load(der, len, &c);
	if (rc == 0)
		rc = chain(f, c);
	sf_x509_free(c);
	return rc;
}

static void every_octet(enum sf_ec_curve curve)
{
	struct fx f;
	uint8_t *tbs = malloc(CAP), *d = malloc(CAP), bits[96];
	static const uint8_t masks[] = {0x01, 0x80};

	assert_non_null(tbs), assert_non_null(d);
	setup_fx(&f, curve);
	same(&f, f.der, f.der_len, "original", 0);
	assert_rc(0, chain(&f, f.euicc));
	for (size_t i = 0; i < f.tbs_len; i++)
		for (size_t m = 0; m < sizeof(masks); m++) {
			memcpy(tbs, f.tbs, f.tbs_len);
			tbs[i] ^= masks[m];
			/* the original signature */
			size_t n = cert(d, tbs, f.tbs_len, f.alg, f.alg_len, f.sig, f.sig_len);
			same(&f, d, n, "flipped", i);
			/* signed again by the EUM */
			size_t bl = sign_bits(bits, f.eum_key, tbs, f.tbs_len);
			n = cert(d, tbs, f.tbs_len, f.alg, f.alg_len, bits, bl);
			same(&f, d, n, "flipped and re-signed", i);
		}
	free_fx(&f);
	free(tbs), free(d);
}

static void test_every_octet_p256(void **state)
{
	(void)state;
	every_octet(SF_EC_P256);
}

static void test_every_octet_brainpool(void **state)
{
	(void)state;
	every_octet(SF_EC_BRAINPOOLP256R1);
}

static void targeted(enum sf_ec_curve curve)
{
	struct fx f;
	uint8_t *tbs = malloc(CAP), *d = malloc(CAP), bits[96], alg[32], spki[128];
	size_t n, bl, tl;
	struct sf_x509 *c = NULL;

	assert_non_null(tbs), assert_non_null(d);
	setup_fx(&f, curve);

	/* A tampered tbsCertificate (the last octet: in the extensions). */
	memcpy(tbs, f.tbs, f.tbs_len);
	tbs[f.tbs_len - 1] ^= 0x01;
	n = cert(d, tbs, f.tbs_len, f.alg, f.alg_len, f.sig, f.sig_len);
	same(&f, d, n, "tampered tbs", 0);
	assert_rc(0, sf_x509_load(d, n, &c));
	assert_rc(SF_ECRYPTO_SIG, sf_x509_check_signature(c, f.eum_pub));
	assert_rc(SF_EPKI_SIG, chain(&f, c));
	sf_x509_free(c), c = NULL;

	/* ecdsa-with-SHA384 outside (the signature is over SHA-256). */
	assert_true(f.alg_len == 12 && f.alg[11] == 0x02);
	memcpy(alg, f.alg, f.alg_len);
	alg[11] = 0x03;
	n = cert(d, f.tbs, f.tbs_len, alg, f.alg_len, f.sig, f.sig_len);
	same(&f, d, n, "SHA384 outside", 0);
	assert_rc(SF_EPKI_SIG, chain_der(&f, d, n));

	/* ecdsa-with-SHA256 with NULL parameters outside, none inside: the
	 * signature itself holds, the algorithms differ (X509_verify refuses). */
	memcpy(alg, f.alg, f.alg_len);
	alg[1] += 2, alg[f.alg_len] = 0x05, alg[f.alg_len + 1] = 0x00;
	n = cert(d, f.tbs, f.tbs_len, alg, f.alg_len + 2, f.sig, f.sig_len);
	same(&f, d, n, "NULL parameters outside", 0);
	assert_rc(0, sf_x509_load(d, n, &c));
	assert_rc(SF_ECRYPTO_SIG, sf_x509_check_signature(c, f.eum_pub));
	sf_x509_free(c), c = NULL;

	/* One unused bit in the signature BIT STRING. */
	memcpy(bits, f.sig, f.sig_len);
	bits[2] = 0x01;
	bits[f.sig_len - 1] &= 0xFE;
	n = cert(d, f.tbs, f.tbs_len, f.alg, f.alg_len, bits, f.sig_len);
	same(&f, d, n, "unused bits", 0);
	assert_int_not_equal(0, chain_der(&f, d, n));

	/* A non-minimal ECDSA-Sig-Value: r with a needless 00 (BER, not DER). */
	{
		const uint8_t *s = f.sig + 3; /* 03 len 00 | 30 len 02 rl r 02 sl s */
		size_t sl = f.sig_len - 3, rl = s[3];
		uint8_t e[96];
		size_t o = 0;
		assert_true(s[0] == 0x30 && s[2] == 0x02);
		e[o++] = 0x03, e[o++] = (uint8_t)(sl + 2), e[o++] = 0x00;
		e[o++] = 0x30, e[o++] = (uint8_t)(s[1] + 1);
		e[o++] = 0x02, e[o++] = (uint8_t)(rl + 1), e[o++] = 0x00;
		memcpy(e + o, s + 4, sl - 4);
		o += sl - 4;
		n = cert(d, f.tbs, f.tbs_len, f.alg, f.alg_len, e, o);
		same(&f, d, n, "non-minimal r", 0);
		assert_rc(SF_EPKI_SIG, chain_der(&f, d, n));
	}

	/* Trailing octets: after the certificate, and inside its SEQUENCE. */
	memcpy(d, f.der, f.der_len);
	d[f.der_len] = 0x00;
	assert_rc(SF_EPKI_FORMAT, sf_x509_load(d, f.der_len + 1, &c));
	assert_null(c);
	{
		static const uint8_t extra[] = {0x05, 0x00};
		const uint8_t *p[4] = {f.tbs, f.alg, f.sig, extra};
		size_t l[4] = {f.tbs_len, f.alg_len, f.sig_len, sizeof(extra)};
		n = tlv(d, 0x30, p, l, 4);
		same(&f, d, n, "element after the signature", 0);
		assert_rc(SF_EPKI_FORMAT, sf_x509_load(d, n, &c));
	}

	/* PEM: the same certificate loads; a damaged body does not (and
	 * nothing leaks on either path: ASan). */
	{
		char pem[4096];
		size_t pl;
		const uint8_t *d2;
		size_t dl2;
		assert_rc(0, sf_x509_pem(f.euicc, pem, sizeof(pem), &pl));
		assert_rc(0, sf_x509_load((const uint8_t *)pem, pl, &c));
		assert_rc(0, sf_x509_der(c, &d2, &dl2));
		assert_true(dl2 == f.der_len && memcmp(d2, f.der, dl2) == 0);
		assert_int_equal(1, ours(&f, d2, dl2).sig);
		sf_x509_free(c), c = NULL;
		assert_int_equal('M', pem[28]); /* "MII..": 30 82 .., the SEQUENCE */
		pem[28] = 'A';                  /* 00 ..: not a certificate */
		assert_rc(SF_EPKI_FORMAT, sf_x509_load((const uint8_t *)pem, pl, &c));
		assert_null(c);
		assert_rc(SF_EPKI_FORMAT, sf_x509_load((const uint8_t *)pem, 60, &c));
		assert_null(c);
	}

	/* The subject public key, re-signed by the EUM: element 6 of the tbs
	 * (version, serial, signature, issuer, validity, subject, SPKI). */
	uint8_t point[SF_EC_POINT_LEN];
	const struct sf_ec_key *pub = NULL;
	assert_rc(0, sf_x509_get0_public_key(f.euicc, &pub));
	assert_rc(0, sf_ec_key_point(pub, point));
	uint8_t curve_oid[16];
	size_t curve_oid_len;
	{
		/* SEQUENCE { SEQUENCE { id-ecPublicKey, namedCurve }, BIT STRING } */
		const uint8_t *q = f.tbs, *end = f.tbs + f.tbs_len, *v, *a, *k;
		size_t vl, al;
		assert_rc(0, sf_der_expect(&q, end, SF_DER_SEQUENCE, &v, &vl));
		q = v;
		for (int i = 0; i < 6; i++)
			assert_rc(0, sf_der_get_tlv(&q, v + vl, NULL, NULL, NULL));
		assert_rc(0, sf_der_expect(&q, v + vl, SF_DER_SEQUENCE, &a, &al));
		k = a;
		assert_rc(0, sf_der_expect(&k, a + al, SF_DER_SEQUENCE, &v, &vl));
		const uint8_t *o = v;
		assert_rc(0, sf_der_expect(&o, v + vl, SF_DER_OID, NULL, NULL));
		curve_oid_len = (size_t)(v + vl - o);
		assert_true(curve_oid_len <= sizeof(curve_oid));
		memcpy(curve_oid, o, curve_oid_len);
	}
	static const uint8_t ec_oid[] = {0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
	/* compressed, off the curve, on P-192's OID */
	for (int variant = 0; variant < 3; variant++) {
		uint8_t algid[32], key[80], oid[16];
		size_t kl;
		memcpy(oid, curve_oid, curve_oid_len);
		if (variant == 2) /* prime256v1 -> prime192v1, brainpoolP256r1 -> P160r1 */
			oid[curve_oid_len - 1] = 0x01;
		const uint8_t *ap[2] = {ec_oid, oid};
		size_t al[2] = {sizeof(ec_oid), curve_oid_len};
		size_t algl = tlv(algid, 0x30, ap, al, 2);
		key[0] = 0x00;
		if (variant == 0) {
			key[1] = (uint8_t)(0x02 | (point[64] & 1));
			memcpy(key + 2, point + 1, 32);
			kl = 34;
		} else {
			memcpy(key + 1, point, SF_EC_POINT_LEN);
			if (variant == 1)
				key[65] ^= 0x01;
			kl = 1 + SF_EC_POINT_LEN;
		}
		uint8_t bs[96];
		const uint8_t *kp[1] = {key};
		size_t kls[1] = {kl};
		size_t bsl = tlv(bs, 0x03, kp, kls, 1);
		const uint8_t *sp[2] = {algid, bs};
		size_t sl[2] = {algl, bsl};
		size_t spl = tlv(spki, 0x30, sp, sl, 2);
		tl = tbs_replace(tbs, f.tbs, f.tbs_len, 6, spki, spl);
		bl = sign_bits(bits, f.eum_key, tbs, tl);
		n = cert(d, tbs, tl, f.alg, f.alg_len, bits, bl);
		same(&f, d, n, "subject public key", (size_t)variant);
		assert_rc(0, sf_x509_load(d, n, &c));
		if (variant == 0) {
			/* OpenSSL's decoder reads the compressed form: the same key. */
			struct sf_ec_key *k = NULL;
			uint8_t again[SF_EC_POINT_LEN];
			assert_rc(0, sf_x509_public_key(c, &k));
			assert_rc(0, sf_ec_key_point(k, again));
			assert_memory_equal(point, again, SF_EC_POINT_LEN);
			sf_ec_key_free(k);
			assert_rc(0, chain(&f, c));
		} else {
			struct sf_ec_key *k = NULL;
			assert_int_not_equal(0, sf_x509_public_key(c, &k));
			assert_null(k);
			assert_rc(SF_EPKI_FORMAT, chain(&f, c));
		}
		sf_x509_free(c), c = NULL;
	}
	free_fx(&f);
	free(tbs), free(d);
}

static void test_targeted_p256(void **state)
{
	(void)state;
	targeted(SF_EC_P256);
}

static void test_targeted_brainpool(void **state)
{
	(void)state;
	targeted(SF_EC_BRAINPOOLP256R1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_targeted_p256),
	    cmocka_unit_test(test_targeted_brainpool),
	    cmocka_unit_test(test_every_octet_p256),
	    cmocka_unit_test(test_every_octet_brainpool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
