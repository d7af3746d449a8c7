/*
 * The GSMA RSP PKI (include/simfleet/pki.h, src/crypto/x509.c):
 *  - a generated TEST PKI on P-256 and brainpoolP256r1: every role verifies,
 *    an eUICC certificate is issued under the EUM and verifies through it;
 *  - refusals with their codes: another CI, not yet valid and expired (a
 *    fixed "now"), wrong role policy, EID outside the EUM prefix (and
 *    issue-euicc refusing bad check digits / another prefix), tampered
 *    signature, missing EUM, a CA used as a leaf;
 *  - the SGP.26 test PKI ($SF_SHARED/gsma/sgp26; skipped when absent): the
 *    eUICC -> EUM -> CI chains on both curves, DPauth/DPpb, and the EUM's
 *    name constraint read as the EID prefix.  (OpenSSL's X509_verify_cert
 *    refuses the same eUICC chains with X509_V_ERR_PERMITTED_VIOLATION
 *    "permitted subtree violation": RFC 5280 DirName equality, not the GSMA
 *    prefix — see /work/shared/gsma/README.md; not repeated here.)
 *  - sf_x509_load: every truncated prefix of a certificate refused;
 *  - every check again through sf_pki_verify_chain_info with the
 *    certificates' information computed in advance: same code, same reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "simfleet/crypto.h"
#include "simfleet/eid.h"
#include "simfleet/err.h"
#include "simfleet/pki.h"
#include "simfleet/rng.h"

#define assert_rc(want, got) assert_string_equal(sf_err_name(want), sf_err_name(got))

#define NOW 1700000000LL /* notBefore of the generated PKI */
#define LATER (NOW + 86400)
#define EID_OK "89049032123451234512345678901235"

struct pki {
	char dir[64];
	struct sf_x509 *ci, *eum, *dpauth, *dppb, *dptls, *eim, *euicc;
};

static struct sf_x509 *load(const char *dir, const char *name)
{
	char p[SF_PKI_PATH_MAX];
	struct sf_x509 *c = NULL;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int rc = sf_pki_load_cert_file(p, &c);
	if (rc)
		fail_msg("%s: %s", p, sf_err_name(rc));
	return c;
}

static void make_pki(struct pki *k, enum sf_ec_curve curve)
{
	struct sf_pki_init_opts o = {.curve = curve, .now = NOW};
	char cp[SF_PKI_PATH_MAX], kp[SF_PKI_PATH_MAX];
	struct stat st;

	memset(k, 0, sizeof(*k));
	strcpy(k->dir, "/tmp/sf_test_pki_XXXXXX");
	assert_non_null(mkdtemp(k->dir));
	assert_rc(0, sf_pki_init(k->dir, &o));
	assert_rc(SF_EEXIST, sf_pki_init(k->dir, &o));
	k->ci = load(k->dir, "ci.pem");
	k->eum = load(k->dir, "eum.pem");
	k->dpauth = load(k->dir, "dpauth.pem");
	k->dppb = load(k->dir, "dppb.pem");
	k->dptls = load(k->dir, "dptls.pem");
	k->eim = load(k->dir, "eim.pem");
	assert_rc(0, sf_pki_issue_euicc(k->dir, EID_OK, NULL, NOW, cp, kp));
	assert_rc(SF_EEXIST, sf_pki_issue_euicc(k->dir, EID_OK, NULL, NOW, cp, kp));
	assert_int_equal(0, stat(kp, &st));
	assert_int_equal(0600, st.st_mode & 0777);
	assert_rc(0, sf_pki_load_cert_file(cp, &k->euicc));
}

static void free_pki(struct pki *k)
{
	/* The directory holds private keys: remove all of it, and check. */
	char cmd[SF_PKI_PATH_MAX + 32];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", k->dir);
	assert_int_equal(system(cmd), 0);
	assert_int_not_equal(access(k->dir, F_OK), 0);
	sf_x509_free(k->ci), sf_x509_free(k->eum), sf_x509_free(k->dpauth);
	sf_x509_free(k->dppb), sf_x509_free(k->dptls), sf_x509_free(k->eim);
	sf_x509_free(k->euicc);
}

static int verify(const struct sf_x509 *ci, enum sf_pki_role role, int64_t now,
                  const struct sf_x509 *a, const struct sf_x509 *b)
{
	const struct sf_x509 *chain[2] = {a, b};
	char reason[512];
	int rc = sf_pki_verify_chain(ci, chain, b ? 2 : 1, role, now, NULL, reason, sizeof(reason));
	if (rc)
		print_message("  refused: %s (%s)\n", reason, sf_err_name(rc));

	/* The same with the information computed in advance (as the SM-DP+
	 * caches it for its CI and EUMs): the same code and reason. */
	struct sf_x509_info *in = calloc(3, sizeof(*in));
	char reason2[512];
	assert_non_null(in);
	struct sf_pki_cert c = {ci, sf_x509_get_info(ci, &in[0]) == 0 ? &in[0] : NULL, NULL};
	struct sf_pki_cert v[2] = {{a, sf_x509_get_info(a, &in[1]) == 0 ? &in[1] : NULL, NULL},
	                           {b, b && sf_x509_get_info(b, &in[2]) == 0 ? &in[2] : NULL, NULL}};
	int rc2 = sf_pki_verify_chain_info(&c, v, b ? 2 : 1, role, now, NULL, reason2,
	                                   sizeof(reason2));
	assert_rc(rc, rc2);
	assert_string_equal(rc ? reason : "", rc ? reason2 : "");
	free(in);
	return rc;
}

static void generated(enum sf_ec_curve curve, enum sf_ec_curve other)
{
	struct pki k, o;
	struct sf_x509_info *in = calloc(1, sizeof(*in));
	enum sf_pki_role got = SF_PKI_ROLE_ANY;
	const struct sf_x509 *chain[2];

	assert_non_null(in);
	make_pki(&k, curve);
	assert_rc(0, verify(k.ci, SF_PKI_ROLE_DPAUTH, LATER, k.dpauth, NULL));
	assert_rc(0, verify(k.ci, SF_PKI_ROLE_DPPB, LATER, k.dppb, NULL));
	assert_rc(0, verify(k.ci, SF_PKI_ROLE_DPTLS, LATER, k.dptls, NULL));
	assert_rc(0, verify(k.ci, SF_PKI_ROLE_EUICC, LATER, k.euicc, k.eum));
	chain[0] = k.euicc, chain[1] = k.eum;
	assert_rc(0, sf_pki_verify_chain(k.ci, chain, 2, SF_PKI_ROLE_ANY, LATER, &got, NULL, 0));
	assert_int_equal(SF_PKI_ROLE_EUICC, got);

	/* The profiles. */
	assert_rc(0, sf_x509_get_info(k.ci, in));
	assert_true(in->is_ca && in->self_signed_name && in->ski_len == 20 && in->aki_len == 0);
	assert_string_equal(SF_PKI_OID_CI, in->policies[0]);
	assert_int_equal(curve, in->curve);
	assert_rc(0, sf_x509_get_info(k.eum, in));
	assert_true(in->is_ca && in->pathlen == 0 && in->has_nc);
	assert_string_equal("89049032", in->nc_serial);
	assert_string_equal(SF_PKI_OID_EUM, in->policies[0]);
	assert_rc(0, sf_x509_get_info(k.dptls, in));
	assert_int_equal(2, in->n_san);
	assert_string_equal("DNS:localhost", in->san[0]);
	assert_string_equal("IP:127.0.0.1", in->san[1]);
	assert_true(in->eku & SF_X509_EKU_SERVER_AUTH);
	assert_rc(0, sf_x509_get_info(k.euicc, in));
	assert_string_equal(EID_OK, in->subject_serial);
	assert_string_equal(SF_PKI_OID_EUICC, in->policies[0]);
	assert_rc(0, sf_x509_get_info(k.eim, in));
	assert_int_equal(0, in->n_policies);

	/* Time: a fixed "now" before notBefore and after the DP notAfter (5 y). */
	assert_rc(SF_EPKI_VALIDITY, verify(k.ci, SF_PKI_ROLE_DPAUTH, NOW - 1, k.dpauth, NULL));
	assert_rc(SF_EPKI_VALIDITY,
	          verify(k.ci, SF_PKI_ROLE_DPAUTH, NOW + 6 * 365 * 86400LL, k.dpauth, NULL));
	assert_rc(SF_EPKI_VALIDITY, verify(k.ci, SF_PKI_ROLE_EUICC, NOW - 1, k.euicc, k.eum));
	/* Roles. */
	assert_rc(SF_EPKI_ROLE, verify(k.ci, SF_PKI_ROLE_DPPB, LATER, k.dpauth, NULL));
	assert_rc(SF_EPKI_ROLE, verify(k.ci, SF_PKI_ROLE_DPAUTH, LATER, k.dppb, NULL));
	assert_rc(SF_EPKI_ROLE, verify(k.ci, SF_PKI_ROLE_EUICC, LATER, k.dptls, NULL));
	assert_rc(SF_EPKI_ROLE, verify(k.ci, SF_PKI_ROLE_ANY, LATER, k.eim, NULL));
	assert_rc(SF_EPKI_USAGE, verify(k.ci, SF_PKI_ROLE_ANY, LATER, k.eum, NULL));
	/* The eUICC without its EUM. */
	assert_rc(SF_EPKI_CHAIN, verify(k.ci, SF_PKI_ROLE_EUICC, LATER, k.euicc, NULL));
	/* Another CI (a PKI on the other curve). */
	make_pki(&o, other);
	assert_rc(SF_EPKI_UNKNOWN_CI, verify(o.ci, SF_PKI_ROLE_DPAUTH, LATER, k.dpauth, NULL));
	assert_rc(SF_EPKI_UNKNOWN_CI, verify(o.ci, SF_PKI_ROLE_EUICC, LATER, k.euicc, k.eum));
	assert_rc(SF_EPKI_CHAIN, verify(k.ci, SF_PKI_ROLE_EUICC, LATER, k.euicc, o.eum));
	free_pki(&o);

	/* Tampered signature: the last octet of the DER is in the signature. */
	{
		const uint8_t *der;
		size_t len;
		struct sf_x509 *t = NULL;
		assert_rc(0, sf_x509_der(k.dpauth, &der, &len));
		uint8_t *copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, der, len);
		copy[len - 1] ^= 0x01;
		assert_rc(0, sf_x509_load(copy, len, &t));
		assert_rc(SF_EPKI_SIG, verify(k.ci, SF_PKI_ROLE_DPAUTH, LATER, t, NULL));
		sf_x509_free(t);
		/* Every truncated prefix of the DER is refused. */
		for (size_t n = 1; n < len; n++) {
			uint8_t *p = malloc(n);
			assert_non_null(p);
			memcpy(p, der, n);
			t = NULL;
			assert_rc(SF_EPKI_FORMAT, sf_x509_load(p, n, &t));
			assert_null(t);
			free(p);
		}
		free(copy);
	}

	/* EID outside the EUM prefix: issue-euicc refuses it, and a certificate
	 * minted anyway with the EUM key is refused by the validator. */
	{
		char eid[SF_EID_DIGITS + 1], bad_cd[] = EID_OK, cp[SF_PKI_PATH_MAX],
		                             kp[SF_PKI_PATH_MAX], p[SF_PKI_PATH_MAX];
		struct sf_rng_det det;
		struct sf_ec_key *eumkey = NULL, *key = NULL;
		struct sf_x509 *c = NULL;
		sf_rng_det_init(&det, 42);
		assert_rc(0, sf_eid_generate(eid, "89049033", &det.rng));
		assert_rc(SF_EPKI_EID, sf_pki_issue_euicc(k.dir, eid, NULL, NOW, cp, kp));
		bad_cd[31] = bad_cd[31] == '9' ? '0' : (char)(bad_cd[31] + 1);
		assert_rc(SF_EPKI_EID, sf_pki_issue_euicc(k.dir, bad_cd, NULL, NOW, cp, kp));

		snprintf(p, sizeof(p), "%s/eum.key", k.dir);
		assert_rc(0, sf_pki_load_key_file(p, &eumkey));
		assert_rc(0, sf_ec_key_generate(curve, &key));
		struct sf_x509_spec s = {.o = "simfleet TEST EUM",
		                         .serial_number = eid,
		                         .cn = "rogue eUICC",
		                         .serial = 7,
		                         .not_before = NOW,
		                         .not_after = NOW + 86400 * 365,
		                         .pathlen = -1,
		                         .ku = SF_X509_KU_DIGITAL_SIGNATURE,
		                         .policy = SF_PKI_OID_EUICC};
		assert_rc(0, sf_x509_issue(&s, key, k.eum, eumkey, &c));
		assert_rc(SF_EPKI_EID, verify(k.ci, SF_PKI_ROLE_EUICC, LATER, c, k.eum));
		sf_x509_free(c), c = NULL;
		/* Right prefix, other organisation than the constraint's O. */
		s.o = "Someone Else", s.serial_number = EID_OK;
		assert_rc(0, sf_x509_issue(&s, key, k.eum, eumkey, &c));
		assert_rc(SF_EPKI_EID, verify(k.ci, SF_PKI_ROLE_EUICC, LATER, c, k.eum));
		sf_x509_free(c), c = NULL;
		/* A short-lived certificate, checked with the real clock. */
		s.o = "simfleet TEST EUM", s.not_before = NOW, s.not_after = NOW + 1;
		assert_rc(0, sf_x509_issue(&s, key, k.eum, eumkey, &c));
		assert_rc(SF_EPKI_VALIDITY, verify(k.ci, SF_PKI_ROLE_EUICC, NOW + 2, c, k.eum));
		sf_x509_free(c);
		sf_ec_key_free(key);
		sf_ec_key_free(eumkey);
	}
	free_pki(&k);
	free(in);
}

static void test_generated_p256(void **state)
{
	(void)state;
	generated(SF_EC_P256, SF_EC_BRAINPOOLP256R1);
}

static void test_generated_brainpool(void **state)
{
	(void)state;
	generated(SF_EC_BRAINPOOLP256R1, SF_EC_P256);
}

static void test_bad_options(void **state)
{
	(void)state;
	struct sf_pki_init_opts o = {.eum_prefix = "12345"};
	assert_rc(SF_EINVAL, sf_pki_init("/tmp/sf_test_pki_never", &o));
	o.eum_prefix = NULL, o.host = "bad host";
	assert_rc(SF_EINVAL, sf_pki_init("/tmp/sf_test_pki_never", &o));
	enum sf_pki_role r;
	assert_rc(0, sf_pki_role_parse("dppb", &r));
	assert_int_equal(SF_PKI_ROLE_DPPB, r);
	assert_rc(SF_EINVAL, sf_pki_role_parse("dp", &r));
	assert_rc(SF_EPKI_FORMAT,
	          sf_x509_load((const uint8_t *)"xx", 2, &(struct sf_x509 *){NULL}));
}

/* ---- SGP.26 ---- */

static const char *shared(void)
{
	const char *s = getenv("SF_SHARED");
	static char p[SF_PKI_PATH_MAX];
	if (!s)
		return NULL;
	snprintf(p, sizeof(p), "%s/gsma/sgp26/EUM/CERT_EUM_ECDSA_NIST.der", s);
	return access(p, R_OK) == 0 ? s : NULL;
}

static struct sf_x509 *sgp26(const char *rel)
{
	char p[SF_PKI_PATH_MAX];
	struct sf_x509 *c = NULL;
	snprintf(p, sizeof(p), "%s/gsma/sgp26/%s", shared(), rel);
	int rc = sf_pki_load_cert_file(p, &c);
	if (rc)
		fail_msg("%s: %s", p, sf_err_name(rc));
	return c;
}

static void test_sgp26(void **state)
{
	(void)state;
	if (!shared()) {
		print_message("SF_SHARED/gsma/sgp26 not found: SGP.26 checks skipped\n");
		skip();
	}
	static const char *curves[] = {"NIST", "BRP"};
	static const char *ci_ski[] = {"F54172BDF98A95D65CBEB88A38A1C11D800A85C3",
	                               "C0BC70BA36929D43B467FF57570530E57AB8FCD8"};
	const int64_t when = 1750000000; /* 2025: every certificate here is valid */
	char p[128];
	struct sf_x509 *c[2][5];
	struct sf_x509_info *in = calloc(1, sizeof(*in));
	assert_non_null(in);
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "CertificateIssuer/CERT_CI_ECDSA_%s.der", curves[i]);
		c[i][0] = sgp26(p);
		snprintf(p, sizeof(p), "EUM/CERT_EUM_ECDSA_%s.der", curves[i]);
		c[i][1] = sgp26(p);
		snprintf(p, sizeof(p), "eUICC/CERT_EUICC_ECDSA_%s.der", curves[i]);
		c[i][2] = sgp26(p);
		snprintf(p, sizeof(p), "DPauth/CERT_S_SM_DPauth_ECDSA_%s.der", curves[i]);
		c[i][3] = sgp26(p);
		snprintf(p, sizeof(p), "DPpb/CERT_S_SM_DPpb_ECDSA_%s.der", curves[i]);
		c[i][4] = sgp26(p);

		assert_rc(0, sf_x509_get_info(c[i][0], in));
		char hex[41];
		for (size_t j = 0; j < in->ski_len && j < 20; j++)
			snprintf(hex + 2 * j, 3, "%02X", in->ski[j]);
		assert_string_equal(ci_ski[i], hex);
		assert_rc(0, sf_x509_get_info(c[i][1], in));
		assert_string_equal("89049032", in->nc_serial);
		assert_string_equal("RSP Test EUM", in->nc_o);

		assert_rc(0, verify(c[i][0], SF_PKI_ROLE_EUICC, when, c[i][2], c[i][1]));
		assert_rc(0, verify(c[i][0], SF_PKI_ROLE_DPAUTH, when, c[i][3], NULL));
		assert_rc(0, verify(c[i][0], SF_PKI_ROLE_DPPB, when, c[i][4], NULL));
		assert_rc(SF_EPKI_ROLE, verify(c[i][0], SF_PKI_ROLE_DPPB, when, c[i][3], NULL));
	}
	/* Across curves: the brainpool eUICC under the NIST EUM/CI. */
	assert_rc(SF_EPKI_CHAIN, verify(c[0][0], SF_PKI_ROLE_EUICC, when, c[1][2], c[0][1]));
	assert_rc(SF_EPKI_UNKNOWN_CI, verify(c[1][0], SF_PKI_ROLE_DPAUTH, when, c[0][3], NULL));
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 5; j++)
			sf_x509_free(c[i][j]);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generated_p256),
	    cmocka_unit_test(test_generated_brainpool),
	    cmocka_unit_test(test_bad_options),
	    cmocka_unit_test(test_sgp26),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
