/*
 * The crypto module's primitives for SGP.22 RSP (src/crypto):
 *  - AES-128 CBC (SP 800-38A F.2.1), one ECB block (FIPS-197 C.1) and CMAC
 *    (RFC 4493 examples 1-4, the message split at every offset): aes128.tsv;
 *  - X9.63 KDF and the BSP session-key derivation on bsp_kdf.tsv (SGP.22
 *    §2.6.4.2), SharedInfo built from the CRT, CRT values refused;
 *  - EC keys on P-256 and brainpoolP256r1: generate, PEM/DER load (SEC 1,
 *    PKCS#8, SubjectPublicKeyInfo), point export/import, PEM export and
 *    reload; other curves, other key types and garbage refused;
 *  - ECDSA plain r||s: RFC 6979 A.2.5 known answers and refusals
 *    (ecdsa.tsv), sign/verify on both curves, every single-bit change of
 *    message and signature refused, plain <-> DER and strict DER parsing;
 *  - ECKA: both sides agree on both curves, bad points and curve mismatch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helper_tsv.h"
#include "simfleet/crypto.h"
#include "simfleet/err.h"

static struct sf_tsv tsv;

#define assert_rc(want, got) assert_string_equal(sf_err_name(want), sf_err_name(got))

/* ---- fixtures (generated once with the openssl command) ---- */

static const char p256_sec1_pem[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIFie/ofjqDc3KA9IncG2+qhH+kWBluSLkkQORrOGnRmSoAoGCCqGSM49\n"
    "AwEHoUQDQgAExYu/wi2ny/fZsE9M1oShZXw0cxORtiQsFpDoJDBTi4XPmayaMgeR\n"
    "nEaW3MJDQ3mrGGxPEQid2Yvj29l4a/BPiA==\n"
    "-----END EC PRIVATE KEY-----\n";
static const char p256_pub_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExYu/wi2ny/fZsE9M1oShZXw0cxOR\n"
    "tiQsFpDoJDBTi4XPmayaMgeRnEaW3MJDQ3mrGGxPEQid2Yvj29l4a/BPiA==\n"
    "-----END PUBLIC KEY-----\n";
static const char p256_sec1_der[] =
    "30770201010420589efe87e3a83737280f489dc1b6faa847fa458196e48b92440e46b3869d1992a00a06082a"
    "8648ce3d030107a14403420004c58bbfc22da7cbf7d9b04f4cd684a1657c34731391b6242c1690e82430538b"
    "85cf99ac9a3207919c4696dcc2434379ab186c4f11089dd98be3dbd9786bf04f88";
static const char p256_spki_der[] =
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004c58bbfc22da7cbf7d9b04f4cd684a1657c"
    "34731391b6242c1690e82430538b85cf99ac9a3207919c4696dcc2434379ab186c4f11089dd98be3dbd9786b"
    "f04f88";
static const char p256_point[] =
    "04c58bbfc22da7cbf7d9b04f4cd684a1657c34731391b6242c1690e82430538b85cf99ac9a3207919c4696dc"
    "c2434379ab186c4f11089dd98be3dbd9786bf04f88";
static const char bp_pkcs8_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGIAgEAMBQGByqGSM49AgEGCSskAwMCCAEBBwRtMGsCAQEEIAV/wgvCY+bVMqgR\n"
    "bjpo6Uwx/cvq45ljYyiY71EVtTwqoUQDQgAEWedvks35te7SMg3zUzRCwr+XiG7R\n"
    "PA7Y1P09zfcwxUKVriG4rVKd2VyhnhCrKUMc54WeBtuvkJxwBX2luM4pQA==\n"
    "-----END PRIVATE KEY-----\n";
static const char bp_pub_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFowFAYHKoZIzj0CAQYJKyQDAwIIAQEHA0IABFnnb5LN+bXu0jIN81M0QsK/l4hu\n"
    "0TwO2NT9Pc33MMVCla4huK1SndlcoZ4QqylDHOeFngbbr5CccAV9pbjOKUA=\n"
    "-----END PUBLIC KEY-----\n";
static const char bp_point[] =
    "0459e76f92cdf9b5eed2320df3533442c2bf97886ed13c0ed8d4fd3dcdf730c54295ae21b8ad529dd95ca19e"
    "10ab29431ce7859e06dbaf909c70057da5b8ce2940";
static const char p384_pem[] = "-----BEGIN EC PRIVATE KEY-----\n"
                               "MIGkAgEBBDAXonpEub5R4IgzxXp5i4Lc1jZJKJelIzhjDcXwuMETTcyVRnCGQOrV\n"
                               "2B4YIZ1qtdegBwYFK4EEACKhZANiAASuwOO/vroM9R88U5ZDWsZLtZ05CMDs5ENZ\n"
                               "JTJ3Ed8Bx+RX31TWvXovvSKJDfA79HlcIcoApEKgqJEnH2N4kaGpeKR0dX7A3xwr\n"
                               "xVgSEcO8lslgypnH7w8rizoxfXkjx4g=\n"
                               "-----END EC PRIVATE KEY-----\n";
static const char ed25519_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIM+XPYn5dHtEUxrZvX4A6SoSY1C+Ki3bu1si0rg0icRI\n"
    "-----END PRIVATE KEY-----\n";

static const enum sf_ec_curve both[] = {SF_EC_P256, SF_EC_BRAINPOOLP256R1};

/* ---- AES-128, CMAC ---- */

static void test_aes128_vectors(void **state)
{
	(void)state;
	sf_tsv_load(&tsv, "aes128.tsv");
	for (size_t r = 0; r < tsv.nrows; r++) {
		const char *ref = sf_tsv_get(&tsv, r, "ref"), *mode = sf_tsv_get(&tsv, r, "mode");
		uint8_t key[16], iv[16], in[64], want[64], got[64];
		sf_tsv_hex(&tsv, r, "key", key, sizeof(key));
		size_t n = sf_tsv_hex(&tsv, r, "input", in, sizeof(in));
		size_t wn = sf_tsv_hex(&tsv, r, "expected", want, sizeof(want));
		if (!strcmp(mode, "cbc")) {
			sf_tsv_hex(&tsv, r, "iv", iv, sizeof(iv));
			assert_rc(0, sf_aes128_cbc_encrypt(key, iv, in, n, got));
			sf_assert_mem(ref, got, want, wn);
			assert_rc(0, sf_aes128_cbc_decrypt(key, iv, got, n, got)); /* in place */
			sf_assert_mem(ref, got, in, n);
		} else if (!strcmp(mode, "ecb")) {
			assert_rc(0, sf_aes128_ecb_block(key, in, got));
			sf_assert_mem(ref, got, want, 16);
		} else {
			assert_string_equal(mode, "cmac");
			struct sf_crypto_part one = {in, n};
			assert_rc(0, sf_aes128_cmac(key, &one, 1, got));
			sf_assert_mem(ref, got, want, 16);
			/* The same message in two parts, split at every offset. */
			for (size_t s = 0; s <= n; s++) {
				struct sf_crypto_part two[2] = {{in, s}, {in + s, n - s}};
				memset(got, 0, 16);
				assert_rc(0, sf_aes128_cmac(key, two, 2, got));
				sf_assert_mem(ref, got, want, 16);
			}
		}
	}
	sf_tsv_free(&tsv);
}

static void test_aes128_args(void **state)
{
	(void)state;
	uint8_t k[16] = {0}, iv[16] = {0}, b[32] = {0};
	assert_rc(SF_EINVAL, sf_aes128_cbc_encrypt(k, iv, b, 15, b));
	assert_rc(SF_EINVAL, sf_aes128_cbc_decrypt(k, iv, b, 17, b));
	assert_rc(SF_EINVAL, sf_aes128_cbc_encrypt(NULL, iv, b, 16, b));
	assert_rc(0, sf_aes128_cbc_encrypt(k, iv, NULL, 0, NULL));
	assert_rc(SF_EINVAL, sf_aes128_cmac(k, NULL, 1, b));
	struct sf_crypto_part bad = {NULL, 3};
	assert_rc(SF_EINVAL, sf_aes128_cmac(k, &bad, 1, b));
	assert_rc(0, sf_aes128_cmac(k, NULL, 0, b));
}

/* ---- KDF ---- */

static void test_bsp_kdf_vectors(void **state)
{
	(void)state;
	sf_tsv_load(&tsv, "bsp_kdf.tsv");
	assert_true(tsv.nrows >= 2);
	for (size_t r = 0; r < tsv.nrows; r++) {
		uint8_t z[32], kt[1], kl[1], host[16], eid[16], si[64], si_want[64];
		uint8_t mcv[16], enc[16], mac[16], kdf[48];
		sf_tsv_hex(&tsv, r, "z", z, sizeof(z));
		sf_tsv_hex(&tsv, r, "key_type", kt, 1);
		sf_tsv_hex(&tsv, r, "key_length", kl, 1);
		size_t hl = sf_tsv_hex(&tsv, r, "host_id", host, sizeof(host));
		assert_int_equal(sf_tsv_hex(&tsv, r, "eid", eid, sizeof(eid)), 16);
		size_t siw = sf_tsv_hex(&tsv, r, "shared_info", si_want, sizeof(si_want));
		sf_tsv_hex(&tsv, r, "mcv0", mcv, 16);
		sf_tsv_hex(&tsv, r, "s_enc", enc, 16);
		sf_tsv_hex(&tsv, r, "s_mac", mac, 16);

		size_t sil = 0;
		assert_rc(0, sf_bsp_shared_info(kt[0], kl[0], host, hl, eid, si, sizeof(si), &sil));
		assert_int_equal(sil, siw);
		sf_assert_mem("SharedInfo", si, si_want, sil);

		/* The raw KDF: 48 octets = MCV0 || S-ENC || S-MAC. */
		assert_rc(0, sf_x963_kdf_sha256(z, 32, si, sil, kdf, sizeof(kdf)));
		sf_assert_mem("KDF 0..15 (MCV0)", kdf, mcv, 16);
		sf_assert_mem("KDF 16..31 (S-ENC)", kdf + 16, enc, 16);
		sf_assert_mem("KDF 32..47 (S-MAC)", kdf + 32, mac, 16);
		/* A shorter output is a prefix of the longer one. */
		uint8_t k20[20];
		assert_rc(0, sf_x963_kdf_sha256(z, 32, si, sil, k20, sizeof(k20)));
		sf_assert_mem("KDF truncated", k20, kdf, 20);

		struct sf_bsp_keys keys;
		assert_rc(0, sf_bsp_derive_keys(z, kt[0], kl[0], host, hl, eid, &keys));
		sf_assert_mem("mcv0", keys.mcv0, mcv, 16);
		sf_assert_mem("s_enc", keys.s_enc, enc, 16);
		sf_assert_mem("s_mac", keys.s_mac, mac, 16);
	}
	sf_tsv_free(&tsv);
}

static void test_bsp_kdf_refusals(void **state)
{
	(void)state;
	uint8_t z[32] = {1}, eid[16] = {0x89}, host[17] = {0x80}, si[64];
	size_t sil = 0;
	struct sf_bsp_keys keys;
	memset(&keys, 0xAA, sizeof(keys));
	assert_rc(SF_ECRYPTO_CRT, sf_bsp_derive_keys(z, 0x80, 0x10, host, 8, eid, &keys));
	uint8_t zero[sizeof(keys)] = {0};
	sf_assert_mem("keys zeroed on failure", &keys, zero, sizeof(keys));
	assert_rc(SF_ECRYPTO_CRT, sf_bsp_derive_keys(z, 0x88, 0x20, host, 8, eid, &keys));
	assert_rc(SF_ECRYPTO_CRT, sf_bsp_derive_keys(z, 0x88, 0x10, host, 0, eid, &keys));
	assert_rc(SF_ECRYPTO_CRT, sf_bsp_derive_keys(z, 0x88, 0x10, host, 17, eid, &keys));
	assert_rc(0, sf_bsp_derive_keys(z, 0x88, 0x10, host, 16, eid, &keys));
	assert_rc(SF_EBUFSIZE, sf_bsp_shared_info(0x88, 0x10, host, 8, eid, si, 27, &sil));
	assert_int_equal(sil, 28);
	assert_rc(SF_EINVAL, sf_bsp_derive_keys(NULL, 0x88, 0x10, host, 8, eid, &keys));
	assert_rc(SF_EINVAL, sf_x963_kdf_sha256(z, 32, NULL, 0, si, 0));
	assert_rc(SF_EINVAL, sf_x963_kdf_sha256(z, 0, NULL, 0, si, 16));
}

/* ---- EC keys ---- */

static struct sf_ec_key *load_priv_str(const char *pem)
{
	struct sf_ec_key *k = NULL;
	assert_rc(0, sf_ec_key_load_private((const uint8_t *)pem, strlen(pem), &k));
	assert_non_null(k);
	return k;
}

static void check_point(const char *label, const struct sf_ec_key *k, const char *hex)
{
	uint8_t want[65], got[65];
	sf_test_unhex(hex, want, sizeof(want));
	assert_rc(0, sf_ec_key_point(k, got));
	sf_assert_mem(label, got, want, 65);
}

static void test_ec_load(void **state)
{
	(void)state;
	struct sf_ec_key *k = load_priv_str(p256_sec1_pem);
	assert_int_equal(sf_ec_key_curve(k), SF_EC_P256);
	assert_true(sf_ec_key_has_private(k));
	check_point("P-256 SEC1 PEM", k, p256_point);
	sf_ec_key_free(k);

	k = load_priv_str(bp_pkcs8_pem);
	assert_int_equal(sf_ec_key_curve(k), SF_EC_BRAINPOOLP256R1);
	check_point("brainpool PKCS#8 PEM", k, bp_point);
	sf_ec_key_free(k);

	uint8_t der[200];
	size_t n = sf_test_unhex(p256_sec1_der, der, sizeof(der));
	assert_rc(0, sf_ec_key_load_private(der, n, &k));
	check_point("P-256 SEC1 DER", k, p256_point);
	sf_ec_key_free(k);

	assert_rc(0,
	          sf_ec_key_load_public((const uint8_t *)p256_pub_pem, strlen(p256_pub_pem), &k));
	assert_false(sf_ec_key_has_private(k));
	check_point("P-256 SPKI PEM", k, p256_point);
	sf_ec_key_free(k);
	assert_rc(0, sf_ec_key_load_public((const uint8_t *)bp_pub_pem, strlen(bp_pub_pem), &k));
	assert_int_equal(sf_ec_key_curve(k), SF_EC_BRAINPOOLP256R1);
	check_point("brainpool SPKI PEM", k, bp_point);
	sf_ec_key_free(k);
	n = sf_test_unhex(p256_spki_der, der, sizeof(der));
	assert_rc(0, sf_ec_key_load_public(der, n, &k));
	check_point("P-256 SPKI DER", k, p256_point);
	sf_ec_key_free(k);

	/* Every truncated prefix of the DER private key is refused (exact-size
	 * heap copies, so ASan sees any over-read). */
	n = sf_test_unhex(p256_sec1_der, der, sizeof(der));
	for (size_t i = 1; i < n; i++) {
		uint8_t *cut = malloc(i);
		assert_non_null(cut);
		memcpy(cut, der, i);
		k = (struct sf_ec_key *)1;
		assert_rc(SF_ECRYPTO_KEY, sf_ec_key_load_private(cut, i, &k));
		assert_null(k);
		free(cut);
	}
}

static void test_ec_load_refusals(void **state)
{
	(void)state;
	struct sf_ec_key *k = NULL;
	assert_rc(SF_ECRYPTO_CURVE,
	          sf_ec_key_load_private((const uint8_t *)p384_pem, strlen(p384_pem), &k));
	assert_null(k);
	assert_rc(SF_ECRYPTO_KEY,
	          sf_ec_key_load_private((const uint8_t *)ed25519_pem, strlen(ed25519_pem), &k));
	assert_rc(SF_ECRYPTO_KEY, sf_ec_key_load_private((const uint8_t *)"garbage", 7, &k));
	/* A public key is no private key. */
	assert_rc(SF_ECRYPTO_KEY,
	          sf_ec_key_load_private((const uint8_t *)p256_pub_pem, strlen(p256_pub_pem), &k));
	assert_null(k);
	/* The public loader never hands out a private key. */
	k = (struct sf_ec_key *)1;
	int rc = sf_ec_key_load_public((const uint8_t *)p256_sec1_pem, strlen(p256_sec1_pem), &k);
	assert_rc(SF_ECRYPTO_KEY, rc);
	assert_null(k);
	assert_rc(SF_EINVAL, sf_ec_key_load_private(NULL, 3, &k));
	assert_rc(SF_EINVAL, sf_ec_key_load_public((const uint8_t *)"x", 0, &k));
	sf_ec_key_free(NULL);
}

static void test_ec_generate_pem_roundtrip(void **state)
{
	(void)state;
	for (size_t c = 0; c < 2; c++) {
		struct sf_ec_key *k = NULL, *k2 = NULL, *pub = NULL;
		assert_rc(0, sf_ec_key_generate(both[c], &k));
		assert_int_equal(sf_ec_key_curve(k), both[c]);
		uint8_t pt[65], pt2[65];
		assert_rc(0, sf_ec_key_point(k, pt));
		assert_int_equal(pt[0], 0x04);

		char pem[SF_EC_PEM_MAX];
		size_t n = 0;
		assert_rc(SF_EBUFSIZE, sf_ec_key_private_pem(k, pem, 10, &n));
		size_t need = n;
		assert_true(need <= sizeof(pem));
		assert_rc(0, sf_ec_key_private_pem(k, pem, need, &n));
		assert_int_equal(n + 1, need);
		assert_int_equal(strlen(pem), n);
		assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
		assert_rc(0, sf_ec_key_load_private((const uint8_t *)pem, n, &k2));
		assert_rc(0, sf_ec_key_point(k2, pt2));
		sf_assert_mem("point after PEM round trip", pt2, pt, 65);

		/* Point import: a public key that verifies k's signatures. */
		assert_rc(0, sf_ec_key_from_point(both[c], pt, 65, &pub));
		assert_false(sf_ec_key_has_private(pub));
		assert_rc(SF_ECRYPTO_KEY, sf_ec_key_private_pem(pub, pem, sizeof(pem), &n));
		uint8_t sig[64];
		assert_rc(0, sf_ecdsa_sign(k2, (const uint8_t *)"abc", 3, sig));
		assert_rc(0, sf_ecdsa_verify(pub, (const uint8_t *)"abc", 3, sig, 64));
		assert_rc(SF_ECRYPTO_KEY, sf_ecdsa_sign(pub, (const uint8_t *)"abc", 3, sig));
		sf_ec_key_free(pub);
		sf_ec_key_free(k2);
		sf_ec_key_free(k);
	}
	struct sf_ec_key *k = (struct sf_ec_key *)1;
	assert_rc(SF_ECRYPTO_CURVE, sf_ec_key_generate((enum sf_ec_curve)7, &k));
	assert_null(k);
}

/* `openssl ecparam -genkey` output: an EC PARAMETERS block, then the key. */
static void test_ec_load_with_params_block(void **state)
{
	(void)state;
	struct sf_ec_key *k = NULL, *k2 = NULL;
	char pem[2048], withparams[2400];
	size_t n = 0;
	uint8_t a[65], b[65];
	assert_rc(0, sf_ec_key_generate(SF_EC_P256, &k));
	assert_rc(0, sf_ec_key_private_pem(k, pem, sizeof(pem), &n));
	int w = snprintf(withparams, sizeof(withparams),
			 "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n%.*s",
			 (int)n, pem);
	assert_true(w > 0 && (size_t)w < sizeof(withparams));
	assert_rc(0, sf_ec_key_load_private((const uint8_t *)withparams, (size_t)w, &k2));
	assert_rc(0, sf_ec_key_point(k, a));
	assert_rc(0, sf_ec_key_point(k2, b));
	sf_assert_mem("same key", a, b, 65);
	/* A parameters block alone is not a key. */
	struct sf_ec_key *k3 = NULL;
	size_t params_len = (size_t)w - n;
	assert_rc(SF_ECRYPTO_KEY, sf_ec_key_load_private((const uint8_t *)withparams, params_len, &k3));
	assert_null(k3);
	sf_ec_key_free(k);
	sf_ec_key_free(k2);
}

static void test_ec_point_refusals(void **state)
{
	(void)state;
	uint8_t pt[66];
	struct sf_ec_key *k = NULL;
	for (size_t c = 0; c < 2; c++) {
		sf_test_unhex(c ? bp_point : p256_point, pt, 65);
		assert_rc(0, sf_ec_key_from_point(both[c], pt, 65, &k));
		sf_ec_key_free(k);
		k = NULL;
		assert_rc(SF_ECRYPTO_POINT, sf_ec_key_from_point(both[c], pt, 64, &k));
		assert_rc(SF_ECRYPTO_POINT, sf_ec_key_from_point(both[c], pt, 66, &k));
		/* The point of one curve is not on the other. */
		assert_rc(SF_ECRYPTO_POINT, sf_ec_key_from_point(both[1 - c], pt, 65, &k));
		uint8_t bad[65];
		memcpy(bad, pt, 65);
		bad[0] = 0x02; /* compressed form: not used by SGP.22 */
		assert_rc(SF_ECRYPTO_POINT, sf_ec_key_from_point(both[c], bad, 65, &k));
		memcpy(bad, pt, 65);
		bad[64] ^= 1; /* off the curve */
		assert_rc(SF_ECRYPTO_POINT, sf_ec_key_from_point(both[c], bad, 65, &k));
		memset(bad + 1, 0, 64); /* (0, 0) */
		assert_rc(SF_ECRYPTO_POINT, sf_ec_key_from_point(both[c], bad, 65, &k));
		memset(bad + 1, 0xff, 64); /* coordinates >= p */
		assert_rc(SF_ECRYPTO_POINT, sf_ec_key_from_point(both[c], bad, 65, &k));
		assert_null(k);
	}
	assert_rc(SF_ECRYPTO_CURVE, sf_ec_key_from_point((enum sf_ec_curve)0, pt, 65, &k));
	assert_rc(SF_EINVAL, sf_ec_key_from_point(SF_EC_P256, NULL, 65, &k));
}

/* ---- ECDSA ---- */

static void test_ecdsa_vectors(void **state)
{
	(void)state;
	sf_tsv_load(&tsv, "ecdsa.tsv");
	for (size_t r = 0; r < tsv.nrows; r++) {
		const char *ref = sf_tsv_get(&tsv, r, "ref"), *res = sf_tsv_get(&tsv, r, "result");
		enum sf_ec_curve curve = !strcmp(sf_tsv_get(&tsv, r, "curve"), "p256")
		                             ? SF_EC_P256
		                             : SF_EC_BRAINPOOLP256R1;
		uint8_t pt[65], msg[256], sig[80], der[SF_ECDSA_DER_MAX];
		sf_tsv_hex(&tsv, r, "point", pt, sizeof(pt));
		size_t ml = sf_tsv_hex(&tsv, r, "msg", msg, sizeof(msg));
		size_t sl = sf_tsv_hex(&tsv, r, "sig", sig, sizeof(sig));
		struct sf_ec_key *k = NULL;
		assert_rc(0, sf_ec_key_from_point(curve, pt, 65, &k));
		int want = !strcmp(res, "ok")    ? 0
		           : !strcmp(res, "SIG") ? SF_ECRYPTO_SIG
		                                 : SF_ECRYPTO_SIG_FORMAT;
		int got = sf_ecdsa_verify(k, msg, ml, sig, sl);
		if (got != want)
			fail_msg("%s: want %s, got %s", ref, sf_err_name(want), sf_err_name(got));
		if (want == 0 || want == SF_ECRYPTO_SIG) {
			/* The DER form verifies the same. */
			size_t dl = 0;
			assert_rc(0, sf_ecdsa_plain_to_der(sig, der, sizeof(der), &dl));
			assert_rc(want, sf_ecdsa_verify_der(k, msg, ml, der, dl));
		}
		sf_ec_key_free(k);
	}
	sf_tsv_free(&tsv);
}

static void test_ecdsa_sign_verify_tamper(void **state)
{
	(void)state;
	uint8_t msg[40];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	for (size_t c = 0; c < 2; c++) {
		struct sf_ec_key *k = NULL;
		assert_rc(0, sf_ec_key_generate(both[c], &k));
		uint8_t sig[64], sig2[64];
		assert_rc(0, sf_ecdsa_sign(k, msg, sizeof(msg), sig));
		assert_rc(0, sf_ecdsa_verify(k, msg, sizeof(msg), sig, 64));
		/* ECDSA is randomised: a second signature differs and verifies. */
		assert_rc(0, sf_ecdsa_sign(k, msg, sizeof(msg), sig2));
		assert_memory_not_equal(sig, sig2, 64);
		assert_rc(0, sf_ecdsa_verify(k, msg, sizeof(msg), sig2, 64));
		/* The empty message can be signed too. */
		assert_rc(0, sf_ecdsa_sign(k, NULL, 0, sig2));
		assert_rc(0, sf_ecdsa_verify(k, NULL, 0, sig2, 64));
		for (size_t bit = 0; bit < sizeof(msg) * 8; bit++) {
			msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_rc(SF_ECRYPTO_SIG, sf_ecdsa_verify(k, msg, sizeof(msg), sig, 64));
			msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		for (size_t bit = 0; bit < 64 * 8; bit++) {
			sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			int rc = sf_ecdsa_verify(k, msg, sizeof(msg), sig, 64);
			/* A flipped top bit may push r or s past n: malformed. */
			if (rc != SF_ECRYPTO_SIG && rc != SF_ECRYPTO_SIG_FORMAT)
				fail_msg("bit %zu of the signature: %s", bit, sf_err_name(rc));
			sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		assert_rc(0, sf_ecdsa_verify(k, msg, sizeof(msg), sig, 64));
		assert_rc(SF_ECRYPTO_SIG_FORMAT, sf_ecdsa_verify(k, msg, sizeof(msg), sig, 63));
		assert_rc(SF_ECRYPTO_SIG_FORMAT, sf_ecdsa_verify(k, msg, sizeof(msg), sig, 65));
		assert_rc(SF_EINVAL, sf_ecdsa_verify(k, NULL, 3, sig, 64));

		/* A signature of the other curve's key does not verify. */
		struct sf_ec_key *o = NULL;
		assert_rc(0, sf_ec_key_generate(both[1 - c], &o));
		int rc = sf_ecdsa_verify(o, msg, sizeof(msg), sig, 64);
		assert_true(rc == SF_ECRYPTO_SIG || rc == SF_ECRYPTO_SIG_FORMAT);
		sf_ec_key_free(o);
		sf_ec_key_free(k);
	}
}

static void test_ecdsa_der_conversion(void **state)
{
	(void)state;
	uint8_t sig[64], back[64], der[SF_ECDSA_DER_MAX];
	size_t n = 0;
	/* r with the top bit set (needs a 00), s with leading zero octets. */
	for (size_t i = 0; i < 32; i++) {
		sig[i] = (uint8_t)(0x80 + i);
		sig[32 + i] = i < 3 ? 0 : (uint8_t)i;
	}
	assert_rc(0, sf_ecdsa_plain_to_der(sig, der, sizeof(der), &n));
	assert_int_equal(n, 2 + 2 + 33 + 2 + 29);
	static const uint8_t head[] = {0x30, 66, 0x02, 33, 0x00, 0x80};
	sf_assert_mem("DER head", der, head, sizeof(head));
	assert_int_equal(der[37], 0x02);
	assert_int_equal(der[38], 29);
	assert_rc(0, sf_ecdsa_der_to_plain(der, n, back));
	sf_assert_mem("DER -> plain", back, sig, 64);
	assert_rc(SF_EBUFSIZE, sf_ecdsa_plain_to_der(sig, der, n - 1, &n));
	assert_int_equal(n, 68);

	/* Smallest values: r = 1, s = 0x7f. */
	memset(sig, 0, 64);
	sig[31] = 1;
	sig[63] = 0x7f;
	assert_rc(0, sf_ecdsa_plain_to_der(sig, der, sizeof(der), &n));
	static const uint8_t small[] = {0x30, 6, 0x02, 1, 1, 0x02, 1, 0x7f};
	assert_int_equal(n, sizeof(small));
	sf_assert_mem("DER of (1, 127)", der, small, sizeof(small));
	assert_rc(0, sf_ecdsa_der_to_plain(small, sizeof(small), back));
	sf_assert_mem("(1, 127)", back, sig, 64);
	/* Every truncated prefix, in an exact-size heap buffer. */
	for (size_t i = 0; i < sizeof(small); i++) {
		uint8_t *cut = malloc(i ? i : 1);
		assert_non_null(cut);
		memcpy(cut, small, i);
		assert_rc(SF_ECRYPTO_SIG_FORMAT, sf_ecdsa_der_to_plain(cut, i, back));
		free(cut);
	}
	sig[31] = 0;
	assert_rc(SF_ECRYPTO_SIG_FORMAT, sf_ecdsa_plain_to_der(sig, der, sizeof(der), &n));

	static const struct {
		const char *what;
		uint8_t der[12];
		size_t len;
	} bad[] = {
	    {"non-minimal INTEGER 00 01", {0x30, 7, 2, 2, 0, 1, 2, 1, 1}, 9},
	    {"negative INTEGER", {0x30, 6, 2, 1, 0x81, 2, 1, 1}, 8},
	    {"zero r", {0x30, 6, 2, 1, 0, 2, 1, 1}, 8},
	    {"empty INTEGER", {0x30, 5, 2, 0, 2, 1, 1}, 7},
	    {"trailing octet", {0x30, 7, 2, 1, 1, 2, 1, 1, 0}, 9},
	    {"data after the SEQUENCE", {0x30, 6, 2, 1, 1, 2, 1, 1, 0}, 9},
	    {"long-form length", {0x30, 0x81, 6, 2, 1, 1, 2, 1, 1}, 9},
	    {"not a SEQUENCE", {0x31, 6, 2, 1, 1, 2, 1, 1}, 8},
	    {"BIT STRING for s", {0x30, 6, 2, 1, 1, 3, 1, 1}, 8},
	    {"one INTEGER", {0x30, 3, 2, 1, 1}, 5},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(back, 0x5a, 64);
		int rc = sf_ecdsa_der_to_plain(bad[i].der, bad[i].len, back);
		if (rc != SF_ECRYPTO_SIG_FORMAT)
			fail_msg("%s: got %s", bad[i].what, sf_err_name(rc));
		assert_int_equal(back[0], 0x5a); /* untouched */
	}
	/* 33 significant octets are too many for a 256-bit curve. */
	uint8_t big[2 + 2 + 34 + 3];
	big[0] = 0x30;
	big[1] = 2 + 34 + 3;
	big[2] = 2;
	big[3] = 34;
	big[4] = 0;
	memset(big + 5, 0x80, 33);
	big[38] = 2;
	big[39] = 1;
	big[40] = 1;
	assert_rc(SF_ECRYPTO_SIG_FORMAT, sf_ecdsa_der_to_plain(big, sizeof(big), back));
}

/* ---- ECKA ---- */

static void test_ecka(void **state)
{
	(void)state;
	for (size_t c = 0; c < 2; c++) {
		struct sf_ec_key *a = NULL, *b = NULL, *o = NULL;
		assert_rc(0, sf_ec_key_generate(both[c], &a));
		assert_rc(0, sf_ec_key_generate(both[c], &b));
		uint8_t pa[65], pb[65], za[32], zb[32], zk[32];
		assert_rc(0, sf_ec_key_point(a, pa));
		assert_rc(0, sf_ec_key_point(b, pb));
		assert_rc(0, sf_ecka(a, pb, 65, za));
		assert_rc(0, sf_ecka(b, pa, 65, zb));
		sf_assert_mem("Z = x(a*B) = x(b*A)", za, zb, 32);
		assert_rc(0, sf_ecka_key(a, b, zk));
		sf_assert_mem("Z via key object", zk, za, 32);

		/* The full chain of SGP.22 §3.1.3 and §2.6.4: both ends derive
		 * the same session keys from their own one-time keys. */
		static const uint8_t host[8] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
		uint8_t eid[16] = {0x89, 0x04, 0x90, 0x32};
		struct sf_bsp_keys ka, kb;
		assert_rc(0, sf_bsp_derive_keys(za, 0x88, 0x10, host, 8, eid, &ka));
		assert_rc(0, sf_bsp_derive_keys(zb, 0x88, 0x10, host, 8, eid, &kb));
		sf_assert_mem("session keys", &ka, &kb, sizeof(ka));

		uint8_t bad[65];
		memcpy(bad, pb, 65);
		bad[40] ^= 0x10;
		memset(zb, 0x55, 32);
		assert_rc(SF_ECRYPTO_POINT, sf_ecka(a, bad, 65, zb));
		static const uint8_t zero[32];
		sf_assert_mem("Z zeroed on failure", zb, zero, 32);
		assert_rc(SF_ECRYPTO_POINT, sf_ecka(a, pb, 64, zb));
		bad[0] = 0x04;
		memset(bad + 1, 0, 64);
		assert_rc(SF_ECRYPTO_POINT, sf_ecka(a, bad, 65, zb));

		/* Keys of different curves, and a public key as "private". */
		assert_rc(0, sf_ec_key_generate(both[1 - c], &o));
		assert_rc(SF_ECRYPTO_CURVE, sf_ecka_key(a, o, zb));
		struct sf_ec_key *pub = NULL;
		assert_rc(0, sf_ec_key_from_point(both[c], pb, 65, &pub));
		assert_rc(SF_ECRYPTO_KEY, sf_ecka(pub, pa, 65, zb));
		sf_ec_key_free(pub);
		sf_ec_key_free(o);
		sf_ec_key_free(b);
		sf_ec_key_free(a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_aes128_vectors),
	    cmocka_unit_test(test_aes128_args),
	    cmocka_unit_test(test_bsp_kdf_vectors),
	    cmocka_unit_test(test_bsp_kdf_refusals),
	    cmocka_unit_test(test_ec_load),
	    cmocka_unit_test(test_ec_load_refusals),
	    cmocka_unit_test(test_ec_generate_pem_roundtrip),
	    cmocka_unit_test(test_ec_load_with_params_block),
	    cmocka_unit_test(test_ec_point_refusals),
	    cmocka_unit_test(test_ecdsa_vectors),
	    cmocka_unit_test(test_ecdsa_sign_verify_tamper),
	    cmocka_unit_test(test_ecdsa_der_conversion),
	    cmocka_unit_test(test_ecka),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
