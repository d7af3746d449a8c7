/*
 * EC keys on NIST P-256 and brainpoolP256r1 (the curves of SGP.22 and
 * SGP.26), ECDSA with SHA-256 in the GSMA plain r||s form (BSI TR-03111
 * §5.2.1; SGP.22 signatures in `5F37` TLVs) with conversion to and
 * from the DER ECDSA-Sig-Value of X.509 (RFC 5480 / SEC 1), and ECKA-DH
 * (TR-03111 §4.3.1) for the one-time keys of the profile binding (SGP.22
 * §3.1.3, ES10b.PrepareDownload, InitialiseSecureChannel).
 *
 * OpenSSL 3 EVP_PKEY / OSSL_PARAM / OSSL_DECODER interfaces only.  OpenSSL
 * clears private scalars when it frees a key (BN_clear_free).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto_internal.h"
#include "simfleet/crypto.h"
#include "simfleet/err.h"
#include "simfleet/util.h"

struct sf_ec_key {
	EVP_PKEY *pkey;
	enum sf_ec_curve curve;
	int has_private;
};

static const struct {
	enum sf_ec_curve curve;
	const char *name; /* OpenSSL group name */
	uint8_t order[32];
} curves[] = {
    {SF_EC_P256, "prime256v1", {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                                0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
                                0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51}},
    {SF_EC_BRAINPOOLP256R1, "brainpoolP256r1", {0xa9, 0xfb, 0x57, 0xdb, 0xa1, 0xee, 0xa9, 0xbc,
                                                0x3e, 0x66, 0x0a, 0x90, 0x9d, 0x83, 0x8d, 0x71,
                                                0x8c, 0x39, 0x7a, 0xa3, 0xb5, 0x61, 0xa6, 0xf7,
                                                0x90, 0x1e, 0x0e, 0x82, 0x97, 0x48, 0x56, 0xa7}},
};

static int curve_index(enum sf_ec_curve c)
{
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].curve == c)
			return (int)i;
	return -1;
}

/* OpenSSL leaves the reason of a refused operation on its thread's error
 * queue; simfleet reports its own code, so the queue is cleared. */
static int backend_fail(int rc)
{
	ERR_clear_error();
	return rc;
}

EVP_PKEY *sf__ec_key_pkey(const struct sf_ec_key *key)
{
	return key ? key->pkey : NULL;
}

static int has_private_part(const EVP_PKEY *pk)
{
	BIGNUM *d = NULL;
	int ok = EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1 && d;
	BN_clear_free(d);
	ERR_clear_error();
	return ok;
}

static int wrap(EVP_PKEY *pkey, int need_private, int check, struct sf_ec_key **out)
{
	int rc = SF_ECRYPTO_KEY;
	struct sf_ec_key *k = NULL;
	char name[64];
	size_t name_len = 0;
	EVP_PKEY_CTX *ctx = NULL;
	if (!out)
		goto out;
	*out = NULL;
	if (!pkey || !EVP_PKEY_is_a(pkey, "EC"))
		goto out;
	/* A key with explicit curve parameters has no group name: refused. */
	rc = SF_ECRYPTO_CURVE;
	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name),
	                                   &name_len) != 1)
		goto out;
	int ci = -1;
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (!strcmp(name, curves[i].name))
			ci = (int)i;
	if (ci < 0)
		goto out;
	int priv = has_private_part(pkey);
	rc = SF_ECRYPTO_KEY;
	if (need_private && !priv)
		goto out;
	/* SGP.22 carries public keys as uncompressed points (04||X||Y). */
	if (EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	                                   "uncompressed") != 1) {
		rc = SF_ECRYPTO_BACKEND;
		goto out;
	}
	/* Private: scalar in [1, n-1] and matching the public point.  Public
	 * only: on the curve, not infinity (cofactor 1, so no order check).
	 * Not for a key OpenSSL has just generated (check == 0): that costs a
	 * scalar multiplication per one-time key and proves nothing. */
	if (check) {
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		if (!ctx) {
			rc = SF_ENOMEM;
			goto out;
		}
		if (priv ? EVP_PKEY_check(ctx) != 1 : EVP_PKEY_public_check_quick(ctx) != 1) {
			rc = priv ? SF_ECRYPTO_KEY : SF_ECRYPTO_POINT;
			goto out;
		}
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		rc = SF_ENOMEM;
		goto out;
	}
	k->pkey = pkey;
	k->curve = curves[ci].curve;
	k->has_private = priv;
	*out = k;
	pkey = NULL;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	if (rc)
		ERR_clear_error();
	return rc;
}

int sf__ec_key_wrap(EVP_PKEY *pkey, int need_private, struct sf_ec_key **out)
{
	return wrap(pkey, need_private, 1, out);
}

int sf__ec_key_ref(const struct sf_ec_key *key, struct sf_ec_key **out)
{
	struct sf_ec_key *k;

	if (!key || !out)
		return SF_EINVAL;
	*out = NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return SF_ENOMEM;
	if (!EVP_PKEY_up_ref(key->pkey)) {
		free(k);
		return backend_fail(SF_ECRYPTO_BACKEND);
	}
	*k = *key;
	*out = k;
	return 0;
}

int sf_ec_key_generate(enum sf_ec_curve curve, struct sf_ec_key **out)
{
	if (!out)
		return SF_EINVAL;
	*out = NULL;
	int ci = curve_index(curve);
	if (ci < 0)
		return SF_ECRYPTO_CURVE;
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[ci].name);
	if (!pk)
		return backend_fail(SF_ECRYPTO_BACKEND);
	return wrap(pk, 1, 0, out);
}

static int load(const uint8_t *data, size_t len, int selection, int need_private,
                struct sf_ec_key **out)
{
	if (!out)
		return SF_EINVAL;
	*out = NULL;
	if (!data || !len)
		return SF_EINVAL;
	/* `openssl ecparam -genkey` (and the SGP.26 test keys) put an EC
	 * PARAMETERS block before the key; the decoder stops at it, so the key
	 * is read from after it. */
	static const char ecp_begin[] = "-----BEGIN EC PARAMETERS-----";
	static const char ecp_end[] = "-----END EC PARAMETERS-----";
	if (len > sizeof(ecp_begin) && memcmp(data, ecp_begin, sizeof(ecp_begin) - 1) == 0) {
		for (size_t i = 0; i + sizeof(ecp_end) - 1 <= len; i++)
			if (memcmp(data + i, ecp_end, sizeof(ecp_end) - 1) == 0) {
				size_t skip = i + sizeof(ecp_end) - 1;
				data += skip;
				len -= skip;
				break;
			}
	}
	EVP_PKEY *pk = NULL;
	/* Input type NULL: PEM or DER, whichever it is; any structure
	 * (PKCS#8, SEC 1, SubjectPublicKeyInfo).  No passphrase callback, so an
	 * encrypted key is refused rather than prompted for. */
	OSSL_DECODER_CTX *d =
	    OSSL_DECODER_CTX_new_for_pkey(&pk, NULL, NULL, "EC", selection, NULL, NULL);
	if (!d)
		return backend_fail(SF_ENOMEM);
	const unsigned char *p = data;
	size_t left = len;
	int ok = OSSL_DECODER_from_data(d, &p, &left) == 1 && pk;
	OSSL_DECODER_CTX_free(d);
	if (!ok) {
		EVP_PKEY_free(pk);
		return backend_fail(SF_ECRYPTO_KEY);
	}
	return sf__ec_key_wrap(pk, need_private, out);
}

int sf_ec_key_load_private(const uint8_t *data, size_t len, struct sf_ec_key **out)
{
	return load(data, len, EVP_PKEY_KEYPAIR, 1, out);
}

int sf_ec_key_load_public(const uint8_t *data, size_t len, struct sf_ec_key **out)
{
	int rc = load(data, len, EVP_PKEY_PUBLIC_KEY, 0, out);
	/* Never hand out a private key from the "public" loader. */
	if (!rc && (*out)->has_private) {
		sf_ec_key_free(*out);
		*out = NULL;
		rc = SF_ECRYPTO_KEY;
	}
	return rc;
}

/* Per curve, a key holding only the domain parameters, made once: a public
 * key is a copy of it with the point set (EVP_PKEY_dup copies the group;
 * making it again from its name costs more than the rest of the import). */
static CRYPTO_ONCE params_once = CRYPTO_ONCE_STATIC_INIT;
static EVP_PKEY *params_key[sizeof(curves) / sizeof(curves[0])];

static void params_init(void)
{
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		OSSL_PARAM params[] = {
		    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
		                                     (char *)curves[i].name, 0),
		    OSSL_PARAM_construct_end(),
		};
		EVP_PKEY *pk = NULL;
		if (ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
		    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_KEY_PARAMETERS, params) == 1)
			params_key[i] = pk;
		else
			EVP_PKEY_free(pk);
		EVP_PKEY_CTX_free(ctx);
	}
	ERR_clear_error();
}

/* The point on a copy of the curve's parameters key; NULL when that path
 * is not available (then the caller imports from scratch).  *bad = 1 when
 * OpenSSL refused the point (not on the curve, coordinates >= p). */
static EVP_PKEY *point_on_params(int ci, const uint8_t *point, size_t len, int *bad)
{
	EVP_PKEY *pk;
	*bad = 0;
	if (!CRYPTO_THREAD_run_once(&params_once, params_init) || !params_key[ci])
		return NULL;
	pk = EVP_PKEY_dup(params_key[ci]);
	if (!pk)
		return NULL;
	if (EVP_PKEY_set_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
	                                    (unsigned char *)point, len) != 1) {
		EVP_PKEY_free(pk);
		*bad = 1;
		return NULL;
	}
	return pk;
}

int sf_ec_key_from_point(enum sf_ec_curve curve, const uint8_t *point, size_t len,
                         struct sf_ec_key **out)
{
	if (!out)
		return SF_EINVAL;
	*out = NULL;
	if (!point)
		return SF_EINVAL;
	int ci = curve_index(curve);
	if (ci < 0)
		return SF_ECRYPTO_CURVE;
	/* Only the uncompressed form, as SGP.22 transmits (5F49 41 04..). */
	if (len != SF_EC_POINT_LEN || point[0] != 0x04)
		return SF_ECRYPTO_POINT;
	int bad;
	EVP_PKEY *pk = point_on_params(ci, point, len, &bad);
	if (pk)
		return sf__ec_key_wrap(pk, 0, out);
	if (bad)
		return backend_fail(SF_ECRYPTO_POINT);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx)
		return backend_fail(SF_ENOMEM);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)curves[ci].name,
	                                     0),
	    OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, len),
	    OSSL_PARAM_construct_end(),
	};
	/* fromdata decodes the point and refuses coordinates >= p and points
	 * off the curve; wrap() adds the public-key check. */
	int ok = EVP_PKEY_fromdata_init(ctx) == 1 &&
	         EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok) {
		EVP_PKEY_free(pk);
		return backend_fail(SF_ECRYPTO_POINT);
	}
	return sf__ec_key_wrap(pk, 0, out);
}

int sf_ec_key_point(const struct sf_ec_key *key, uint8_t point[SF_EC_POINT_LEN])
{
	if (!key || !point)
		return SF_EINVAL;
	size_t l = 0;
	if (EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_PUB_KEY, point,
	                                    SF_EC_POINT_LEN, &l) != 1 ||
	    l != SF_EC_POINT_LEN || point[0] != 0x04)
		return backend_fail(SF_ECRYPTO_BACKEND);
	return 0;
}

enum sf_ec_curve sf_ec_key_curve(const struct sf_ec_key *key)
{
	return key ? key->curve : (enum sf_ec_curve)0;
}

int sf_ec_key_has_private(const struct sf_ec_key *key)
{
	return key ? key->has_private : 0;
}

int sf_ec_key_private_pem(const struct sf_ec_key *key, char *dst, size_t dst_len, size_t *out_len)
{
	if (!key || !out_len || (dst_len && !dst))
		return SF_EINVAL;
	if (!key->has_private)
		return SF_ECRYPTO_KEY;
	/* Secure-heap memory BIO: its buffer is cleansed when freed. */
	BIO *b = BIO_new(BIO_s_secmem());
	if (!b)
		return backend_fail(SF_ENOMEM);
	int rc = SF_ECRYPTO_BACKEND;
	char *p = NULL;
	if (PEM_write_bio_PrivateKey(b, key->pkey, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	long n = BIO_get_mem_data(b, &p);
	if (n <= 0 || !p)
		goto out;
	*out_len = (size_t)n + 1;
	rc = SF_EBUFSIZE;
	if (dst_len < (size_t)n + 1)
		goto out;
	memcpy(dst, p, (size_t)n);
	dst[n] = '\0';
	*out_len = (size_t)n;
	rc = 0;
out:
	BIO_free(b);
	if (rc)
		ERR_clear_error();
	return rc;
}

void sf_ec_key_free(struct sf_ec_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	sf_wipe(key, sizeof(*key));
	free(key);
}

/* ---- signature formats ---- */

static int is_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* One INTEGER of a 32-octet unsigned big-endian value, minimal and positive. */
static size_t put_int(uint8_t *dst, const uint8_t v[32])
{
	size_t i = 0;
	while (i < 31 && v[i] == 0)
		i++;
	size_t n = 32 - i, pad = v[i] & 0x80 ? 1 : 0;
	if (dst) {
		dst[0] = 0x02;
		dst[1] = (uint8_t)(n + pad);
		if (pad)
			dst[2] = 0;
		memcpy(dst + 2 + pad, v + i, n);
	}
	return 2 + pad + n;
}

int sf_ecdsa_plain_to_der(const uint8_t sig[SF_ECDSA_SIG_LEN], uint8_t *dst, size_t dst_len,
                          size_t *out_len)
{
	if (!sig || !out_len || (dst_len && !dst))
		return SF_EINVAL;
	if (is_zero(sig, 32) || is_zero(sig + 32, 32))
		return SF_ECRYPTO_SIG_FORMAT;
	size_t lr = put_int(NULL, sig), ls = put_int(NULL, sig + 32);
	size_t need = 2 + lr + ls; /* content <= 70: short-form length */
	*out_len = need;
	if (dst_len < need)
		return SF_EBUFSIZE;
	dst[0] = 0x30;
	dst[1] = (uint8_t)(lr + ls);
	put_int(dst + 2, sig);
	put_int(dst + 2 + lr, sig + 32);
	return 0;
}

/* Strict DER INTEGER, positive, minimal, 1..32 significant octets, not 0. */
static int get_int(const uint8_t **p, const uint8_t *end, uint8_t v[32])
{
	const uint8_t *q = *p;
	if (end - q < 2 || q[0] != 0x02 || q[1] & 0x80)
		return SF_ECRYPTO_SIG_FORMAT;
	size_t n = q[1];
	q += 2;
	if (n == 0 || (size_t)(end - q) < n)
		return SF_ECRYPTO_SIG_FORMAT;
	if (q[0] & 0x80) /* negative */
		return SF_ECRYPTO_SIG_FORMAT;
	if (n > 1 && q[0] == 0 && !(q[1] & 0x80)) /* non-minimal */
		return SF_ECRYPTO_SIG_FORMAT;
	const uint8_t *val = q;
	size_t vn = n;
	if (val[0] == 0 && vn > 1) {
		val++;
		vn--;
	}
	if (vn > 32 || (vn == 1 && val[0] == 0))
		return SF_ECRYPTO_SIG_FORMAT;
	memset(v, 0, 32 - vn);
	memcpy(v + 32 - vn, val, vn);
	*p = q + n;
	return 0;
}

int sf_ecdsa_der_to_plain(const uint8_t *der, size_t der_len, uint8_t sig[SF_ECDSA_SIG_LEN])
{
	if (!der || !sig)
		return SF_EINVAL;
	/* SEQUENCE with a short-form length (the content is at most 70
	 * octets, so a long form would not be minimal) covering the input. */
	if (der_len < 2 || der[0] != 0x30 || der[1] & 0x80 || (size_t)der[1] + 2 != der_len)
		return SF_ECRYPTO_SIG_FORMAT;
	uint8_t tmp[64];
	const uint8_t *p = der + 2, *end = der + der_len;
	if (get_int(&p, end, tmp) || get_int(&p, end, tmp + 32) || p != end)
		return SF_ECRYPTO_SIG_FORMAT;
	memcpy(sig, tmp, 64);
	return 0;
}

/* ---- ECDSA ---- */

int sf_ecdsa_sign(const struct sf_ec_key *key, const uint8_t *msg, size_t msg_len,
                  uint8_t sig[SF_ECDSA_SIG_LEN])
{
	if (!key || (msg_len && !msg) || !sig)
		return SF_EINVAL;
	if (!key->has_private)
		return SF_ECRYPTO_KEY;
	static const uint8_t empty[1];
	uint8_t der[SF_ECDSA_DER_MAX + 8];
	size_t der_len = sizeof(der);
	int rc = SF_ECRYPTO_BACKEND;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	if (!m) {
		rc = SF_ENOMEM;
		goto out;
	}
	if (EVP_DigestSignInit_ex(m, NULL, "SHA256", NULL, NULL, key->pkey, NULL) != 1 ||
	    EVP_DigestSign(m, der, &der_len, msg_len ? msg : empty, msg_len) != 1)
		goto out;
	if (sf_ecdsa_der_to_plain(der, der_len, sig))
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(m);
	if (rc) {
		ERR_clear_error();
		memset(sig, 0, SF_ECDSA_SIG_LEN);
	}
	return rc;
}

/* 1 when the 32-octet big-endian a < b. */
static int less_than(const uint8_t a[32], const uint8_t b[32])
{
	for (size_t i = 0; i < 32; i++)
		if (a[i] != b[i])
			return a[i] < b[i];
	return 0;
}

static int verify_plain(const struct sf_ec_key *key, const uint8_t *msg, size_t msg_len,
                        const uint8_t sig[64])
{
	static const uint8_t empty[1];
	int ci = curve_index(key->curve);
	if (ci < 0)
		return SF_EINTERNAL;
	/* 0 < r, s < n (FIPS 186-4 §6.4.2 step 1): outside, the signature is
	 * malformed rather than merely wrong. */
	if (is_zero(sig, 32) || is_zero(sig + 32, 32) || !less_than(sig, curves[ci].order) ||
	    !less_than(sig + 32, curves[ci].order))
		return SF_ECRYPTO_SIG_FORMAT;
	uint8_t der[SF_ECDSA_DER_MAX];
	size_t der_len = 0;
	int rc = sf_ecdsa_plain_to_der(sig, der, sizeof(der), &der_len);
	if (rc)
		return rc;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	if (!m)
		return SF_ENOMEM;
	rc = SF_ECRYPTO_BACKEND;
	if (EVP_DigestVerifyInit_ex(m, NULL, "SHA256", NULL, NULL, key->pkey, NULL) != 1)
		goto out;
	int v = EVP_DigestVerify(m, der, der_len, msg_len ? msg : empty, msg_len);
	rc = v == 1 ? 0 : v == 0 ? SF_ECRYPTO_SIG : SF_ECRYPTO_BACKEND;
out:
	EVP_MD_CTX_free(m);
	if (rc)
		ERR_clear_error();
	return rc;
}

int sf_ecdsa_verify(const struct sf_ec_key *key, const uint8_t *msg, size_t msg_len,
                    const uint8_t *sig, size_t sig_len)
{
	if (!key || (msg_len && !msg) || !sig)
		return SF_EINVAL;
	if (sig_len != SF_ECDSA_SIG_LEN)
		return SF_ECRYPTO_SIG_FORMAT;
	return verify_plain(key, msg, msg_len, sig);
}

int sf_ecdsa_verify_der(const struct sf_ec_key *key, const uint8_t *msg, size_t msg_len,
                        const uint8_t *der, size_t der_len)
{
	if (!key || (msg_len && !msg) || !der)
		return SF_EINVAL;
	uint8_t sig[64];
	int rc = sf_ecdsa_der_to_plain(der, der_len, sig);
	if (rc)
		return rc;
	return verify_plain(key, msg, msg_len, sig);
}

/* ---- ECKA-DH ---- */

int sf_ecka_key(const struct sf_ec_key *priv, const struct sf_ec_key *peer,
                uint8_t z[SF_EC_COORD_LEN])
{
	if (!priv || !peer || !z)
		return SF_EINVAL;
	memset(z, 0, SF_EC_COORD_LEN);
	if (!priv->has_private)
		return SF_ECRYPTO_KEY;
	if (priv->curve != peer->curve)
		return SF_ECRYPTO_CURVE;
	int rc = SF_ECRYPTO_BACKEND;
	size_t zl = SF_EC_COORD_LEN;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, priv->pkey, NULL);
	if (!c) {
		rc = SF_ENOMEM;
		goto out;
	}
	/* The peer was validated when it became an sf_ec_key (on the curve,
	 * not infinity; cofactor 1), so OpenSSL need not check it again. */
	if (EVP_PKEY_derive_init(c) != 1 || EVP_PKEY_derive_set_peer_ex(c, peer->pkey, 0) != 1 ||
	    EVP_PKEY_derive(c, z, &zl) != 1 || zl != SF_EC_COORD_LEN)
		goto out;
	rc = 0;
out:
	EVP_PKEY_CTX_free(c);
	if (rc) {
		OPENSSL_cleanse(z, SF_EC_COORD_LEN);
		ERR_clear_error();
	}
	return rc;
}

int sf_ecka(const struct sf_ec_key *priv, const uint8_t *peer_point, size_t peer_len,
            uint8_t z[SF_EC_COORD_LEN])
{
	if (!priv || !peer_point || !z)
		return SF_EINVAL;
	memset(z, 0, SF_EC_COORD_LEN);
	struct sf_ec_key *peer = NULL;
	int rc = sf_ec_key_from_point(priv->curve, peer_point, peer_len, &peer);
	if (!rc)
		rc = sf_ecka_key(priv, peer, z);
	sf_ec_key_free(peer);
	return rc;
}
