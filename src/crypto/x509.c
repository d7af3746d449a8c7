/*
 * X.509 certificates (RFC 5280) for the GSMA RSP PKI: the certificate
 * profiles of SGP.22 §4.5.2 (CI, EUM, eUICC, DPauth, DPpb, DPtls), read and
 * written with OpenSSL 3.  This file only parses, extracts fields, issues
 * and checks single signatures; the GSMA chain rules (trust by key
 * identifier, role policies, EID prefix) are in src/pki/pki.c, which never
 * calls OpenSSL.  OpenSSL's X509_verify_cert is deliberately not used: its
 * RFC 5280 DirName name-constraint check rejects valid GSMA eUICC chains
 * (an EUM constraint serialNumber=89049032 is an EID *prefix*, SGP.22
 * §4.5.2.1.0.2; RFC 5280 §4.2.1.10 would require equal attributes).
 *
 * Parsing cost.  OpenSSL 3.0's d2i_X509 decodes the subject public key
 * through OSSL_DECODER_CTX_new_for_pkey, which enumerates every provider
 * decoder on each call: ~90 % of the parse, as much as an ECDSA
 * verification (openssl/openssl#19119).  Certificates are therefore parsed
 * in a library context holding only the "null" provider, so that this
 * opportunistic decode finds no decoder and gives up at once; the ASN.1
 * structure, names, times and extensions are parsed by OpenSSL exactly as
 * before.  The key is then made once, at load, from the SPKI fields OpenSSL
 * parsed (id-ecPublicKey, a namedCurve we support, an uncompressed point:
 * sf_ec_key_from_point, which validates it); anything else, or a point
 * that does not validate, goes through OpenSSL's own decoder in the default
 * context, giving the same key or the same refusal as before.  The
 * certificate's signature is verified over its tbsCertificate octets as
 * received with the crypto module's ECDSA, after the checks X509_verify
 * makes (ecdsa-with-SHA256, outer algorithm = inner algorithm, no unused
 * bits in the signature BIT STRING).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <openssl/crypto.h>
#include <openssl/provider.h>

#include "crypto_internal.h"
#include "simfleet/crypto.h"
#include "simfleet/der.h"
#include "simfleet/err.h"

struct sf_x509 {
	X509 *x;
	uint8_t *der;
	size_t der_len;
	struct sf_ec_key *pub; /* the subject public key, NULL when pub_rc */
	int pub_rc;            /* why there is none (as sf_x509_public_key) */
};

/* The library context certificates are parsed in: only the "null"
 * provider, so d2i finds no key decoder (see the top of the file).  NULL
 * (the default context, the slow path) if it could not be made. */
static CRYPTO_ONCE parse_once = CRYPTO_ONCE_STATIC_INIT;
static OSSL_LIB_CTX *parse_ctx;

static void parse_ctx_init(void)
{
	OSSL_LIB_CTX *c = OSSL_LIB_CTX_new();
	if (c && OSSL_PROVIDER_load(c, "null")) {
		parse_ctx = c;
		return;
	}
	OSSL_LIB_CTX_free(c);
	ERR_clear_error();
}

static OSSL_LIB_CTX *get_parse_ctx(void)
{
	if (!CRYPTO_THREAD_run_once(&parse_once, parse_ctx_init))
		return NULL;
	return parse_ctx;
}

static int fail(int rc)
{
	ERR_clear_error();
	return rc;
}

/* The subject public key through OpenSSL's SPKI decoder in the default
 * context: what X509_get_pubkey gives for a certificate parsed there. */
static int key_by_decoder(const X509_PUBKEY *xpk, struct sf_ec_key **out)
{
	unsigned char *spki = NULL;
	const unsigned char *p;
	EVP_PKEY *pk;
	int n = i2d_X509_PUBKEY(xpk, &spki);

	if (n <= 0)
		return fail(SF_ECRYPTO_KEY);
	p = spki;
	pk = d2i_PUBKEY_ex(NULL, &p, n, NULL, NULL);
	OPENSSL_free(spki);
	if (!pk)
		return fail(SF_ECRYPTO_KEY);
	return sf__ec_key_wrap(pk, 0, out);
}

/* The subject public key of x (see the top of the file). */
static int cert_key(X509 *x, struct sf_ec_key **out)
{
	X509_PUBKEY *xpk = X509_get_X509_PUBKEY(x);
	const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);
	ASN1_OBJECT *alg = NULL;
	X509_ALGOR *pa = NULL;
	const unsigned char *pt = NULL;
	int pt_len = 0, ptype = V_ASN1_UNDEF;
	const void *pval = NULL;

	*out = NULL;
	if (!xpk || !bits || !X509_PUBKEY_get0_param(&alg, &pt, &pt_len, &pa, xpk))
		return fail(SF_ECRYPTO_KEY);
	if (pa)
		X509_ALGOR_get0(NULL, &ptype, &pval, pa);
	if (OBJ_obj2nid(alg) == NID_X9_62_id_ecPublicKey && ptype == V_ASN1_OBJECT && pt &&
	    pt_len == SF_EC_POINT_LEN && pt[0] == 0x04 && (bits->flags & 0x07) == 0) {
		int cnid = OBJ_obj2nid((const ASN1_OBJECT *)pval);
		enum sf_ec_curve c = cnid == NID_X9_62_prime256v1    ? SF_EC_P256
		                     : cnid == NID_brainpoolP256r1 ? SF_EC_BRAINPOOLP256R1
		                                                   : (enum sf_ec_curve)0;
		if (c) {
			int rc = sf_ec_key_from_point(c, pt, (size_t)pt_len, out);
			if (rc == 0 || rc == SF_ENOMEM)
				return rc;
		}
	}
	/* Another algorithm, curve or point form, or a point that does not
	 * validate: OpenSSL's decoder decides, as it did for every key. */
	return key_by_decoder(xpk, out);
}

static int wrap(X509 *x, struct sf_x509 **out)
{
	struct sf_x509 *c = calloc(1, sizeof(*c));
	unsigned char *der = NULL;
	int n;

	if (!c) {
		X509_free(x);
		return SF_ENOMEM;
	}
	n = i2d_X509(x, &der);
	if (n <= 0) {
		X509_free(x);
		free(c);
		return fail(SF_EPKI_FORMAT);
	}
	c->x = x;
	c->der = der;
	c->der_len = (size_t)n;
	c->pub_rc = cert_key(x, &c->pub);
	if (c->pub_rc == SF_ENOMEM) {
		sf_x509_free(c);
		return SF_ENOMEM;
	}
	*out = c;
	return 0;
}

/* memmem is not POSIX. */
static int has_pem_tag(const uint8_t *data, size_t len, const char *tag)
{
	size_t n = strlen(tag);
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(data + i, tag, n) == 0)
			return 1;
	return 0;
}

int sf_x509_load(const uint8_t *data, size_t len, struct sf_x509 **out)
{
	X509 *x = NULL;
	static const char pem_tag[] = "-----BEGIN CERTIFICATE-----";

	if (!data || !out || len == 0 || len > INT_MAX)
		return SF_EINVAL;
	*out = NULL;
	/* An object of the parse context, filled by d2i (which also caches
	 * the extensions then: an invalid one makes it return NULL). */
	x = X509_new_ex(get_parse_ctx(), NULL);
	if (!x)
		return fail(SF_ENOMEM);
	if (has_pem_tag(data, len, pem_tag)) {
		BIO *b = BIO_new_mem_buf(data, (int)len);
		if (!b) {
			X509_free(x);
			return fail(SF_ENOMEM);
		}
		if (!PEM_read_bio_X509(b, &x, NULL, NULL)) {
			X509_free(x);
			x = NULL;
		}
		BIO_free(b);
	} else {
		const unsigned char *p = data;
		/* DER is exactly one certificate: nothing after it. */
		if (!d2i_X509(&x, &p, (long)len) || p != data + len) {
			X509_free(x);
			x = NULL;
		}
	}
	if (!x)
		return fail(SF_EPKI_FORMAT);
	/* Decode and cache the extensions now: a malformed one is refused here. */
	if (X509_get_extension_flags(x) & EXFLAG_INVALID) {
		X509_free(x);
		return fail(SF_EPKI_FORMAT);
	}
	return wrap(x, out);
}

void sf_x509_free(struct sf_x509 *cert)
{
	if (!cert)
		return;
	X509_free(cert->x);
	OPENSSL_free(cert->der);
	sf_ec_key_free(cert->pub);
	free(cert);
}

int sf_x509_der(const struct sf_x509 *cert, const uint8_t **der, size_t *der_len)
{
	if (!cert || !der || !der_len)
		return SF_EINVAL;
	*der = cert->der;
	*der_len = cert->der_len;
	return 0;
}

int sf_x509_pem(const struct sf_x509 *cert, char *dst, size_t dst_len, size_t *out_len)
{
	int rc = SF_ECRYPTO_BACKEND;
	BIO *b = NULL;
	char *p;
	long n;

	if (!cert || !out_len || (!dst && dst_len))
		return SF_EINVAL;
	b = BIO_new(BIO_s_mem());
	if (!b)
		return SF_ENOMEM;
	if (!PEM_write_bio_X509(b, cert->x))
		goto out;
	n = BIO_get_mem_data(b, &p);
	if (n <= 0)
		goto out;
	*out_len = (size_t)n + 1;
	if (dst_len < (size_t)n + 1) {
		rc = SF_EBUFSIZE;
		goto out;
	}
	memcpy(dst, p, (size_t)n);
	dst[n] = '\0';
	*out_len = (size_t)n;
	rc = 0;
out:
	BIO_free(b);
	return fail(rc);
}

int sf_x509_public_key(const struct sf_x509 *cert, struct sf_ec_key **out)
{
	if (!cert || !out)
		return SF_EINVAL;
	*out = NULL;
	if (!cert->pub)
		return cert->pub_rc;
	return sf__ec_key_ref(cert->pub, out);
}

int sf_x509_get0_public_key(const struct sf_x509 *cert, const struct sf_ec_key **key)
{
	if (!cert || !key)
		return SF_EINVAL;
	*key = cert->pub;
	return cert->pub ? 0 : cert->pub_rc;
}

/* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
 * signatureValue BIT STRING }: the tbsCertificate TLV and the signature
 * octets, from the DER (OpenSSL re-encodes only the outer parts; the
 * tbsCertificate is kept as received).  The BIT STRING must have no unused
 * bits, as X509_verify requires. */
static int split(const struct sf_x509 *cert, const uint8_t **tbs, size_t *tbs_len,
                 const uint8_t **sig, size_t *sig_len)
{
	const uint8_t *p = cert->der, *end = cert->der + cert->der_len, *v, *b;
	size_t vlen, blen;

	if (sf_der_expect(&p, end, SF_DER_SEQUENCE, &v, &vlen) != 0 || sf_der_check_end(p, end))
		return SF_ECRYPTO_SIG;
	p = v;
	end = v + vlen;
	*tbs = p;
	if (sf_der_expect(&p, end, SF_DER_SEQUENCE, NULL, NULL) != 0)
		return SF_ECRYPTO_SIG;
	*tbs_len = (size_t)(p - *tbs);
	if (sf_der_expect(&p, end, SF_DER_SEQUENCE, NULL, NULL) != 0 ||
	    sf_der_expect(&p, end, SF_DER_BIT_STRING, &b, &blen) != 0 ||
	    sf_der_check_end(p, end) != 0 || blen < 1 || b[0] != 0)
		return SF_ECRYPTO_SIG;
	*sig = b + 1;
	*sig_len = blen - 1;
	return 0;
}

int sf_x509_check_signature(const struct sf_x509 *cert, const struct sf_ec_key *key)
{
	const X509_ALGOR *outer = NULL;
	const uint8_t *tbs, *sig;
	size_t tbs_len, sig_len;

	if (!cert || !sf__ec_key_pkey(key))
		return SF_EINVAL;
	/* SGP.22 §4.5.2: every RSP certificate is signed with ecdsa-with-SHA256. */
	if (X509_get_signature_nid(cert->x) != NID_ecdsa_with_SHA256)
		return SF_ECRYPTO_SIG;
	/* As X509_verify: the signatureAlgorithm outside and inside the
	 * tbsCertificate are the same (algorithm and parameters). */
	X509_get0_signature(NULL, &outer, cert->x);
	if (!outer || X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(cert->x)) != 0)
		return fail(SF_ECRYPTO_SIG);
	if (split(cert, &tbs, &tbs_len, &sig, &sig_len) != 0)
		return SF_ECRYPTO_SIG;
	/* A strict DER ECDSA-Sig-Value, 0 < r, s < n, over the octets signed. */
	if (sf_ecdsa_verify_der(key, tbs, tbs_len, sig, sig_len) != 0)
		return SF_ECRYPTO_SIG;
	return 0;
}

/* ---- reading fields ---- */

static void copy_str(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void name_line(const X509_NAME *n, char *dst, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long len;

	dst[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		len = BIO_get_mem_data(b, &p);
		if (len > 0)
			copy_str(dst, cap, p, (size_t)len);
	}
	BIO_free(b);
}

static void name_attr(const X509_NAME *n, int nid, char *dst, size_t cap)
{
	int i = X509_NAME_get_index_by_NID(n, nid, -1);
	const ASN1_STRING *s;

	dst[0] = '\0';
	if (i < 0)
		return;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
	if (s)
		copy_str(dst, cap, (const char *)ASN1_STRING_get0_data(s),
		         (size_t)ASN1_STRING_length(s));
}

/* Days from 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil): timegm is not POSIX. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int asn1_time_to_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return SF_EPKI_FORMAT;
	*out = days_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 +
	       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return 0;
}

static void keyid(const ASN1_OCTET_STRING *s, uint8_t *dst, size_t *len)
{
	*len = 0;
	if (!s || ASN1_STRING_length(s) <= 0 || ASN1_STRING_length(s) > SF_X509_KEYID_MAX)
		return;
	*len = (size_t)ASN1_STRING_length(s);
	memcpy(dst, ASN1_STRING_get0_data(s), *len);
}

static void san_entry(const GENERAL_NAME *g, char *dst, size_t cap)
{
	char buf[SF_X509_NAME_MAX - 16];
	const unsigned char *ip;

	switch (g->type) {
	case GEN_DNS:
		copy_str(buf, sizeof(buf), (const char *)ASN1_STRING_get0_data(g->d.dNSName),
		         (size_t)ASN1_STRING_length(g->d.dNSName));
		snprintf(dst, cap, "DNS:%s", buf);
		break;
	case GEN_IPADD:
		ip = ASN1_STRING_get0_data(g->d.iPAddress);
		if (ASN1_STRING_length(g->d.iPAddress) == 4)
			snprintf(dst, cap, "IP:%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
		else
			snprintf(dst, cap, "IP:(%d octets)", ASN1_STRING_length(g->d.iPAddress));
		break;
	case GEN_RID:
		OBJ_obj2txt(buf, sizeof(buf), g->d.registeredID, 1);
		snprintf(dst, cap, "RID:%s", buf);
		break;
	case GEN_DIRNAME:
		name_line(g->d.directoryName, buf, sizeof(buf));
		snprintf(dst, cap, "DirName:%s", buf);
		break;
	default:
		snprintf(dst, cap, "other(%d)", g->type);
		break;
	}
}

int sf_x509_get_info(const struct sf_x509 *cert, struct sf_x509_info *info)
{
	int rc = SF_EPKI_FORMAT, crit;
	X509 *x;
	CERTIFICATEPOLICIES *pol = NULL;
	NAME_CONSTRAINTS *nc = NULL;
	GENERAL_NAMES *san = NULL;
	uint32_t flags, xku;
	const ASN1_INTEGER *sn;
	BIGNUM *bn = NULL;
	char *hex = NULL;

	if (!cert || !info)
		return SF_EINVAL;
	memset(info, 0, sizeof(*info));
	x = cert->x;
	flags = X509_get_extension_flags(x);
	if (flags & EXFLAG_INVALID)
		goto out;

	name_line(X509_get_subject_name(x), info->subject, sizeof(info->subject));
	name_line(X509_get_issuer_name(x), info->issuer, sizeof(info->issuer));
	name_attr(X509_get_subject_name(x), NID_organizationName, info->subject_o,
	          sizeof(info->subject_o));
	name_attr(X509_get_subject_name(x), NID_serialNumber, info->subject_serial,
	          sizeof(info->subject_serial));
	info->self_signed_name =
	    X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;

	sn = X509_get0_serialNumber(x);
	bn = sn ? ASN1_INTEGER_to_BN(sn, NULL) : NULL;
	hex = bn ? BN_bn2hex(bn) : NULL;
	if (!hex)
		goto out;
	copy_str(info->serial_hex, sizeof(info->serial_hex), hex, strlen(hex));

	if (asn1_time_to_unix(X509_get0_notBefore(x), &info->not_before) ||
	    asn1_time_to_unix(X509_get0_notAfter(x), &info->not_after))
		goto out;

	keyid(X509_get0_subject_key_id(x), info->ski, &info->ski_len);
	keyid(X509_get0_authority_key_id(x), info->aki, &info->aki_len);

	info->has_ku = (flags & EXFLAG_KUSAGE) != 0;
	info->ku = info->has_ku ? (X509_get_key_usage(x) & 0xffu) : 0;
	info->is_ca = (flags & EXFLAG_CA) != 0;
	info->pathlen = X509_get_pathlen(x);
	info->has_eku = (flags & EXFLAG_XKUSAGE) != 0;
	xku = info->has_eku ? X509_get_extended_key_usage(x) : 0;
	info->eku = ((xku & XKU_SSL_SERVER) ? SF_X509_EKU_SERVER_AUTH : 0) |
	            ((xku & XKU_SSL_CLIENT) ? SF_X509_EKU_CLIENT_AUTH : 0);

	pol = X509_get_ext_d2i(x, NID_certificate_policies, &crit, NULL);
	if (!pol && crit != -1)
		goto out; /* present but undecodable (-1 = absent) */
	for (int i = 0; pol && i < sk_POLICYINFO_num(pol); i++) {
		if (info->n_policies == SF_X509_LIST_MAX)
			break;
		OBJ_obj2txt(info->policies[info->n_policies], SF_X509_OID_MAX,
		            sk_POLICYINFO_value(pol, i)->policyid, 1);
		info->n_policies++;
	}

	nc = X509_get_ext_d2i(x, NID_name_constraints, &crit, NULL);
	if (!nc && crit != -1)
		goto out;
	if (nc) {
		info->has_nc = 1;
		for (int i = 0;
		     nc->permittedSubtrees && i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees);
		     i++) {
			const GENERAL_SUBTREE *st =
			    sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i);
			if (st->base->type != GEN_DIRNAME)
				continue;
			name_attr(st->base->d.directoryName, NID_organizationName, info->nc_o,
			          sizeof(info->nc_o));
			name_attr(st->base->d.directoryName, NID_serialNumber, info->nc_serial,
			          sizeof(info->nc_serial));
			break;
		}
	}

	san = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	if (!san && crit != -1)
		goto out;
	for (int i = 0; san && i < sk_GENERAL_NAME_num(san); i++) {
		if (info->n_san == SF_X509_LIST_MAX)
			break;
		san_entry(sk_GENERAL_NAME_value(san, i), info->san[info->n_san], SF_X509_NAME_MAX);
		info->n_san++;
	}

	info->curve = sf_ec_key_curve(cert->pub); /* 0 when there is none */
	rc = 0;
out:
	CERTIFICATEPOLICIES_free(pol);
	NAME_CONSTRAINTS_free(nc);
	GENERAL_NAMES_free(san);
	OPENSSL_free(hex);
	BN_free(bn);
	return fail(rc);
}

/* ---- issuing ---- */

static int add_attr(X509_NAME *n, const char *field, const char *v)
{
	if (!v)
		return 1;
	return X509_NAME_add_entry_by_txt(n, field, MBSTRING_UTF8, (const unsigned char *)v, -1, -1,
	                                  0);
}

static int add_conf_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok;

	if (!e)
		return 0;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

/* certificatePolicies with one policy OID, critical (as SGP.26 marks it).
 * Built directly: the configuration syntax needs a config database. */
static int add_policy(X509 *x, const char *oid)
{
	CERTIFICATEPOLICIES *pol = sk_POLICYINFO_new_null();
	POLICYINFO *pi = POLICYINFO_new();
	int ok = 0;

	if (!pol || !pi)
		goto out;
	ASN1_OBJECT_free(pi->policyid);
	pi->policyid = OBJ_txt2obj(oid, 1);
	if (!pi->policyid || !sk_POLICYINFO_push(pol, pi))
		goto out;
	pi = NULL;
	ok = X509_add1_ext_i2d(x, NID_certificate_policies, pol, 1, X509V3_ADD_DEFAULT) == 1;
out:
	POLICYINFO_free(pi);
	CERTIFICATEPOLICIES_free(pol);
	return ok;
}

/* nameConstraints with one permitted DirName {O, serialNumber}, critical: the
 * EUM's EID range as SGP.22 §4.5.2.1.0.2 (Variant O) and SGP.26 encode it. */
static int add_name_constraint(X509 *x, const char *o, const char *serial)
{
	NAME_CONSTRAINTS *nc = NAME_CONSTRAINTS_new();
	GENERAL_SUBTREE *st = GENERAL_SUBTREE_new();
	X509_NAME *dn = X509_NAME_new();
	int ok = 0;

	if (!nc || !st || !dn)
		goto out;
	if (!add_attr(dn, "O", o) || !add_attr(dn, "serialNumber", serial))
		goto out;
	GENERAL_NAME_free(st->base);
	st->base = GENERAL_NAME_new();
	if (!st->base)
		goto out;
	st->base->type = GEN_DIRNAME;
	st->base->d.directoryName = dn;
	dn = NULL;
	nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null();
	if (!nc->permittedSubtrees || !sk_GENERAL_SUBTREE_push(nc->permittedSubtrees, st))
		goto out;
	st = NULL;
	ok = X509_add1_ext_i2d(x, NID_name_constraints, nc, 1, X509V3_ADD_DEFAULT) == 1;
out:
	X509_NAME_free(dn);
	GENERAL_SUBTREE_free(st);
	NAME_CONSTRAINTS_free(nc);
	return ok;
}

int sf_x509_issue(const struct sf_x509_spec *spec, const struct sf_ec_key *subject_key,
                  const struct sf_x509 *issuer, const struct sf_ec_key *issuer_key,
                  struct sf_x509 **out)
{
	int rc = SF_ECRYPTO_BACKEND;
	X509 *x = NULL;
	X509_NAME *name = NULL;
	X509V3_CTX ctx;
	EVP_PKEY *spk = sf__ec_key_pkey(subject_key), *ipk = sf__ec_key_pkey(issuer_key);
	char buf[160];

	if (!spec || !spk || !ipk || !out || spec->serial == 0 ||
	    !sf_ec_key_has_private(issuer_key))
		return SF_EINVAL;
	if (!issuer && issuer_key != subject_key)
		return SF_EINVAL;
	*out = NULL;
	x = X509_new();
	name = X509_NAME_new();
	if (!x || !name) {
		rc = SF_ENOMEM;
		goto out;
	}
	if (!X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), spec->serial) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)spec->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)spec->not_after))
		goto out;
	if (!add_attr(name, "C", spec->c) || !add_attr(name, "O", spec->o) ||
	    !add_attr(name, "OU", spec->ou) ||
	    !add_attr(name, "serialNumber", spec->serial_number) || !add_attr(name, "CN", spec->cn))
		goto out;
	if (!X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->x) : name) ||
	    !X509_set_pubkey(x, spk))
		goto out;

	X509V3_set_ctx(&ctx, issuer ? issuer->x : x, x, NULL, NULL, 0);
	if (!add_conf_ext(x, &ctx, NID_subject_key_identifier, "hash"))
		goto out;
	if (issuer && !add_conf_ext(x, &ctx, NID_authority_key_identifier, "keyid:always"))
		goto out;
	if (spec->ku) {
		snprintf(buf, sizeof(buf), "critical%s%s%s",
		         (spec->ku & SF_X509_KU_DIGITAL_SIGNATURE) ? ",digitalSignature" : "",
		         (spec->ku & SF_X509_KU_KEY_CERT_SIGN) ? ",keyCertSign" : "",
		         (spec->ku & SF_X509_KU_CRL_SIGN) ? ",cRLSign" : "");
		if (!add_conf_ext(x, &ctx, NID_key_usage, buf))
			goto out;
	}
	if (spec->policy) {
		if (!add_policy(x, spec->policy))
			goto out;
	}
	if (spec->eku) {
		snprintf(buf, sizeof(buf), "%s%s%s",
		         (spec->eku & SF_X509_EKU_SERVER_AUTH) ? "serverAuth" : "",
		         (spec->eku & SF_X509_EKU_SERVER_AUTH) &&
		                 (spec->eku & SF_X509_EKU_CLIENT_AUTH)
		             ? ","
		             : "",
		         (spec->eku & SF_X509_EKU_CLIENT_AUTH) ? "clientAuth" : "");
		if (!add_conf_ext(x, &ctx, NID_ext_key_usage, buf))
			goto out;
	}
	if (spec->san_dns || spec->san_ip || spec->san_rid) {
		int n = snprintf(buf, sizeof(buf), "%s%s%s%s%s%s%s%s", spec->san_dns ? "DNS:" : "",
		                 spec->san_dns ? spec->san_dns : "",
		                 spec->san_dns && (spec->san_ip || spec->san_rid) ? "," : "",
		                 spec->san_ip ? "IP:" : "", spec->san_ip ? spec->san_ip : "",
		                 spec->san_ip && spec->san_rid ? "," : "",
		                 spec->san_rid ? "RID:" : "", spec->san_rid ? spec->san_rid : "");
		if (n < 0 || (size_t)n >= sizeof(buf)) {
			rc = SF_EINVAL;
			goto out;
		}
		if (!add_conf_ext(x, &ctx, NID_subject_alt_name, buf))
			goto out;
	}
	if (spec->ca) {
		if (spec->pathlen >= 0)
			snprintf(buf, sizeof(buf), "critical,CA:TRUE,pathlen:%ld", spec->pathlen);
		else
			snprintf(buf, sizeof(buf), "critical,CA:TRUE");
		if (!add_conf_ext(x, &ctx, NID_basic_constraints, buf))
			goto out;
	}
	if (spec->nc_o || spec->nc_serial) {
		if (!add_name_constraint(x, spec->nc_o, spec->nc_serial))
			goto out;
	}
	if (X509_sign(x, ipk, EVP_sha256()) <= 0)
		goto out;
	rc = wrap(x, out);
	x = NULL;
out:
	X509_NAME_free(name);
	X509_free(x);
	return fail(rc);
}
