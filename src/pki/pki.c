/*
 * The GSMA RSP PKI: SGP.22 v2.5 §4.5.2 (certificate profiles), §4.5.2.2
 * (certificate chain verification), SGP.26 (the test PKI it mirrors).
 *
 * Trust model.  A CI (Certificate Issuer) is the root.  It signs the EUM
 * (eUICC manufacturer) certificate and the SM-DP+ certificates (DPauth for
 * mutual authentication, DPpb for profile binding, DPtls for ES9+ TLS).  The
 * EUM signs the eUICC certificates of its EID range.  An eUICC trusts a CI
 * by its subject key identifier (euiccCiPKId), so a chain is built by key
 * identifier, not by name; each role is marked by a certificate policy
 * under id-rspRole (2.23.146.1.2.1.x).
 *
 * The EID range.  An EUM certificate (Variant O) carries nameConstraints
 * with one permitted DirName {O, serialNumber = EID prefix}.  GSMA reads it
 * as a prefix: the eUICC's subject serialNumber (its EID) must begin with
 * it.  RFC 5280 §4.2.1.10 would require the attribute to be equal, so a
 * generic validator (OpenSSL X509_verify_cert) rejects every valid GSMA
 * eUICC chain with "permitted subtree violation".  This file therefore does
 * the path validation itself and never asks OpenSSL for the RFC 5280 rules;
 * signatures are still checked for every link (src/crypto/x509.c).
 *
 * No OpenSSL here: certificates come from the crypto module.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "simfleet/crypto.h"
#include "simfleet/eid.h"
#include "simfleet/err.h"
#include "simfleet/pki.h"
#include "simfleet/rng.h"
#include "simfleet/util.h"

#define PATH_DEPTH_MAX 4 /* certificates below the CI: eUICC, EUM, (SubCA) */
#define FILE_MAX (64 * 1024)

static const struct {
	enum sf_pki_role role;
	const char *name;
	const char *oid;
} roles[] = {
    {SF_PKI_ROLE_EUICC, "euicc", SF_PKI_OID_EUICC},
    {SF_PKI_ROLE_DPAUTH, "dpauth", SF_PKI_OID_DPAUTH},
    {SF_PKI_ROLE_DPPB, "dppb", SF_PKI_OID_DPPB},
    {SF_PKI_ROLE_DPTLS, "dptls", SF_PKI_OID_DPTLS},
    {SF_PKI_ROLE_EUM, "eum", SF_PKI_OID_EUM},
    {SF_PKI_ROLE_CI, "ci", SF_PKI_OID_CI},
};

int sf_pki_role_parse(const char *name, enum sf_pki_role *role)
{
	if (!name || !role)
		return SF_EINVAL;
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(name, roles[i].name) == 0) {
			*role = roles[i].role;
			return 0;
		}
	return SF_EINVAL;
}

const char *sf_pki_role_name(enum sf_pki_role role)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].role == role)
			return roles[i].name;
	return "any";
}

const char *sf_pki_role_oid(enum sf_pki_role role)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].role == role)
			return roles[i].oid;
	return NULL;
}

static int has_policy(const struct sf_x509_info *in, const char *oid)
{
	for (size_t i = 0; i < in->n_policies; i++)
		if (strcmp(in->policies[i], oid) == 0)
			return 1;
	return 0;
}

int sf_pki_eid_in_prefix(const char *eid, const char *prefix)
{
	if (!eid || !prefix || prefix[0] == '\0')
		return SF_EPKI_EID;
	if (sf_eid_check(eid) != 0)
		return SF_EPKI_EID;
	if (strncmp(eid, prefix, strlen(prefix)) != 0)
		return SF_EPKI_EID;
	return 0;
}

static void say(char *reason, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *reason, size_t cap, const char *fmt, ...)
{
	va_list ap;
	if (!reason || cap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, cap, fmt, ap);
	va_end(ap);
}

static void hexid(const uint8_t *id, size_t len, char *dst, size_t cap)
{
	if (len == 0 || sf_hex_encode(dst, cap, id, len) != 0)
		snprintf(dst, cap, "(none)");
}

static int keyid_eq(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	return al > 0 && al == bl && memcmp(a, b, al) == 0;
}

/* One link: cert signed by issuer, valid at now. */
static int check_link(const struct sf_x509 *cert, const struct sf_x509_info *ci_,
                      const struct sf_x509 *issuer, const struct sf_x509_info *ii, char *reason,
                      size_t cap)
{
	const struct sf_ec_key *k = NULL;
	int rc = sf_x509_get0_public_key(issuer, &k); /* made once, when issuer was loaded */

	if (rc) {
		say(reason, cap, "issuer '%s': public key not usable (%s)", ii->subject,
		    sf_strerror(rc));
		return rc == SF_ENOMEM ? rc : SF_EPKI_FORMAT;
	}
	rc = sf_x509_check_signature(cert, k);
	if (rc) {
		say(reason, cap, "'%s': signature does not verify with the key of '%s'",
		    ci_->subject, ii->subject);
		return SF_EPKI_SIG;
	}
	return 0;
}

static int check_validity(const struct sf_x509_info *in, int64_t now, char *reason, size_t cap)
{
	if (now < in->not_before) {
		say(reason, cap, "'%s': not yet valid (notBefore %lld > now %lld)", in->subject,
		    (long long)in->not_before, (long long)now);
		return SF_EPKI_VALIDITY;
	}
	if (now > in->not_after) {
		say(reason, cap, "'%s': expired (notAfter %lld < now %lld)", in->subject,
		    (long long)in->not_after, (long long)now);
		return SF_EPKI_VALIDITY;
	}
	return 0;
}

int sf_pki_verify_chain(const struct sf_x509 *ci, const struct sf_x509 *const *certs, size_t n,
                        enum sf_pki_role role, int64_t now, enum sf_pki_role *leaf_role,
                        char *reason, size_t reason_len)
{
	struct sf_pki_cert c = {ci, NULL, NULL}, v[PATH_DEPTH_MAX * 2];

	if (reason && reason_len)
		reason[0] = '\0';
	if (!ci || !certs || n == 0 || n > PATH_DEPTH_MAX * 2)
		return SF_EINVAL;
	for (size_t i = 0; i < n; i++)
		v[i] = (struct sf_pki_cert){certs[i], NULL, NULL};
	return sf_pki_verify_chain_info(&c, v, n, role, now, leaf_role, reason, reason_len);
}

int sf_pki_verify_chain_info(const struct sf_pki_cert *cic, const struct sf_pki_cert *certv,
                             size_t n, enum sf_pki_role role, int64_t now,
                             enum sf_pki_role *leaf_role, char *reason, size_t reason_len)
{
	int rc = SF_EINVAL;
	const struct sf_x509 *ci, *certs[PATH_DEPTH_MAX * 2];
	const struct sf_x509_info *info[PATH_DEPTH_MAX * 2], *ciinfo;
	struct sf_x509_info *own = NULL; /* the information computed here */
	size_t n_own = 0, path[PATH_DEPTH_MAX], depth = 0;
	int used[PATH_DEPTH_MAX * 2] = {0};
	char a[2 * SF_X509_KEYID_MAX + 1], b[2 * SF_X509_KEYID_MAX + 1];

	if (reason && reason_len)
		reason[0] = '\0';
	if (!cic || !cic->cert || !certv || n == 0 || n > PATH_DEPTH_MAX * 2)
		return SF_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!certv[i].cert)
			return SF_EINVAL;
	ci = cic->cert;
	for (size_t i = 0; i < n; i++) {
		certs[i] = certv[i].cert;
		n_own += certv[i].info == NULL;
	}
	n_own += cic->info == NULL;
	if (n_own && (own = calloc(n_own, sizeof(*own))) == NULL) {
		rc = SF_ENOMEM;
		goto out;
	}
	n_own = 0;
	if (cic->info) {
		ciinfo = cic->info;
	} else {
		if ((rc = sf_x509_get_info(ci, &own[n_own])) != 0) {
			say(reason, reason_len, "CI certificate: %s", sf_strerror(rc));
			goto out;
		}
		ciinfo = &own[n_own++];
	}
	for (size_t i = 0; i < n; i++) {
		if (certv[i].info) {
			info[i] = certv[i].info;
			continue;
		}
		if ((rc = sf_x509_get_info(certs[i], &own[n_own])) != 0) {
			say(reason, reason_len, "certificate %zu: %s", i + 1, sf_strerror(rc));
			goto out;
		}
		info[i] = &own[n_own++];
	}
	if (ciinfo->ski_len == 0) {
		rc = SF_EPKI_UNKNOWN_CI;
		say(reason, reason_len, "CI '%s' has no subject key identifier to be trusted by",
		    ciinfo->subject);
		goto out;
	}

	/* Build the path by key identifier: leaf, its issuer, ... until the AKI
	 * names the CI's SKI (SGP.22 §4.5.2.2: the CI is identified by key). */
	path[depth++] = 0;
	used[0] = 1;
	for (;;) {
		const struct sf_x509_info *cur = info[path[depth - 1]];
		size_t next = n;
		if (keyid_eq(cur->aki, cur->aki_len, ciinfo->ski, ciinfo->ski_len))
			break;
		if (cur->aki_len == 0) {
			rc = SF_EPKI_CHAIN;
			say(reason, reason_len, "'%s' has no authority key identifier",
			    cur->subject);
			goto out;
		}
		for (size_t i = 1; i < n; i++)
			if (!used[i] &&
			    keyid_eq(cur->aki, cur->aki_len, info[i]->ski, info[i]->ski_len)) {
				next = i;
				break;
			}
		if (next == n) {
			int any_left = 0;
			for (size_t i = 1; i < n; i++)
				any_left |= !used[i];
			hexid(cur->aki, cur->aki_len, a, sizeof(a));
			hexid(ciinfo->ski, ciinfo->ski_len, b, sizeof(b));
			/* An intermediate given but not matching, or an eUICC
			 * without its EUM: the chain is incomplete.  Otherwise the
			 * top of the chain names another CI. */
			if (any_left || (depth == 1 && has_policy(cur, SF_PKI_OID_EUICC)))
				rc = SF_EPKI_CHAIN;
			else
				rc = SF_EPKI_UNKNOWN_CI;
			if (rc == SF_EPKI_UNKNOWN_CI)
				say(reason, reason_len,
				    "'%s' was issued under key %s, not the CI '%s' (key %s)",
				    cur->subject, a, ciinfo->subject, b);
			else
				say(reason, reason_len,
				    "no certificate given for the issuer of '%s' (key %s): give "
				    "the chain leaf "
				    "first, then its issuers (e.g. the EUM certificate)",
				    cur->subject, a);
			goto out;
		}
		if (depth == PATH_DEPTH_MAX) {
			rc = SF_EPKI_CHAIN;
			say(reason, reason_len, "chain longer than %d certificates below the CI",
			    PATH_DEPTH_MAX);
			goto out;
		}
		used[next] = 1;
		path[depth++] = next;
	}

	/* Signatures and validity, the CI included (it is trusted by key, but a
	 * CI past its notAfter is not used). */
	if ((rc = check_validity(ciinfo, now, reason, reason_len)) != 0)
		goto out;
	for (size_t d = 0; d < depth; d++) {
		const struct sf_x509 *issuer = d + 1 < depth ? certs[path[d + 1]] : ci;
		const struct sf_x509_info *ii = d + 1 < depth ? info[path[d + 1]] : ciinfo;
		const struct sf_x509_info *in = info[path[d]];
		if (certv[path[d]].verified_by != issuer &&
		    (rc = check_link(certs[path[d]], in, issuer, ii, reason, reason_len)) != 0)
			goto out;
		if ((rc = check_validity(in, now, reason, reason_len)) != 0)
			goto out;
		if (in->curve == 0) {
			rc = SF_EPKI_FORMAT;
			say(reason, reason_len, "'%s': key is not P-256 or brainpoolP256r1",
			    in->subject);
			goto out;
		}
	}

	/* Issuers: CA with keyCertSign, and the path length below each. */
	for (size_t d = 1; d <= depth; d++) {
		const struct sf_x509_info *ii = d < depth ? info[path[d]] : ciinfo;
		long below = (long)d - 1; /* intermediate CAs below this issuer */
		if (!ii->is_ca || !ii->has_ku || !(ii->ku & SF_X509_KU_KEY_CERT_SIGN)) {
			rc = SF_EPKI_USAGE;
			say(reason, reason_len,
			    "'%s' issues certificates but is not a CA with keyCertSign",
			    ii->subject);
			goto out;
		}
		if (ii->pathlen >= 0 && below > ii->pathlen) {
			rc = SF_EPKI_USAGE;
			say(reason, reason_len, "'%s': pathLenConstraint %ld exceeded", ii->subject,
			    ii->pathlen);
			goto out;
		}
	}
	const struct sf_x509_info *leaf = info[0];
	if (leaf->is_ca || !leaf->has_ku || !(leaf->ku & SF_X509_KU_DIGITAL_SIGNATURE)) {
		rc = SF_EPKI_USAGE;
		say(reason, reason_len,
		    "'%s': a signing certificate must be no CA and have digitalSignature",
		    leaf->subject);
		goto out;
	}

	/* Role policy of the leaf. */
	if (role == SF_PKI_ROLE_ANY) {
		static const enum sf_pki_role leaf_roles[] = {SF_PKI_ROLE_EUICC, SF_PKI_ROLE_DPAUTH,
		                                              SF_PKI_ROLE_DPPB, SF_PKI_ROLE_DPTLS};
		for (size_t i = 0; i < sizeof(leaf_roles) / sizeof(leaf_roles[0]); i++)
			if (has_policy(leaf, sf_pki_role_oid(leaf_roles[i])))
				role = leaf_roles[i];
		if (role == SF_PKI_ROLE_ANY) {
			rc = SF_EPKI_ROLE;
			say(reason, reason_len, "'%s' carries no RSP role policy (id-rspRole-*)",
			    leaf->subject);
			goto out;
		}
	}
	if (role == SF_PKI_ROLE_EUM || role == SF_PKI_ROLE_CI) {
		rc = SF_EINVAL;
		say(reason, reason_len, "role %s is an issuer role, not a leaf",
		    sf_pki_role_name(role));
		goto out;
	}
	if (leaf_role)
		*leaf_role = role;
	if (!has_policy(leaf, sf_pki_role_oid(role))) {
		rc = SF_EPKI_ROLE;
		say(reason, reason_len, "'%s' lacks the %s role policy %s (has %s)", leaf->subject,
		    sf_pki_role_name(role), sf_pki_role_oid(role),
		    leaf->n_policies ? leaf->policies[0] : "none");
		goto out;
	}
	if (role == SF_PKI_ROLE_DPTLS &&
	    !(leaf->has_eku && (leaf->eku & SF_X509_EKU_SERVER_AUTH))) {
		rc = SF_EPKI_USAGE;
		say(reason, reason_len,
		    "'%s': a DPtls certificate needs the serverAuth extended key usage",
		    leaf->subject);
		goto out;
	}
	if (role == SF_PKI_ROLE_EUICC) {
		const struct sf_x509_info *eum;
		if (depth < 2) {
			rc = SF_EPKI_CHAIN;
			say(reason, reason_len,
			    "'%s': an eUICC certificate is issued by an EUM, not the CI",
			    leaf->subject);
			goto out;
		}
		eum = info[path[1]];
		if (!has_policy(eum, SF_PKI_OID_EUM)) {
			rc = SF_EPKI_ROLE;
			say(reason, reason_len, "issuer '%s' lacks the EUM role policy %s",
			    eum->subject, SF_PKI_OID_EUM);
			goto out;
		}
		/* SGP.22 §4.5.2.1.0.2: the EID must lie in the EUM's range, a
		 * prefix match on serialNumber (not RFC 5280 DirName equality). */
		if (!eum->has_nc || eum->nc_serial[0] == '\0') {
			rc = SF_EPKI_EID;
			say(reason, reason_len, "EUM '%s' has no EID-prefix name constraint",
			    eum->subject);
			goto out;
		}
		if (sf_pki_eid_in_prefix(leaf->subject_serial, eum->nc_serial) != 0) {
			rc = SF_EPKI_EID;
			say(reason, reason_len,
			    "EID '%s' of '%s' is not a valid EID within the EUM's prefix %s",
			    leaf->subject_serial, leaf->subject, eum->nc_serial);
			goto out;
		}
		if (eum->nc_o[0] && strcmp(eum->nc_o, leaf->subject_o) != 0) {
			rc = SF_EPKI_EID;
			say(reason, reason_len,
			    "eUICC organisation '%s' is not the EUM's permitted '%s'",
			    leaf->subject_o, eum->nc_o);
			goto out;
		}
	}
	rc = 0;
out:
	free(own);
	return rc;
}

/* ---- files ---- */

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f;
	uint8_t *p;
	size_t n;

	*buf = NULL;
	f = fopen(path, "rb");
	if (!f)
		return errno == ENOENT ? SF_ENOENT : SF_EIO;
	p = malloc(FILE_MAX);
	if (!p) {
		fclose(f);
		return SF_ENOMEM;
	}
	n = fread(p, 1, FILE_MAX, f);
	if (ferror(f) || n == FILE_MAX) {
		fclose(f);
		sf_wipe(p, FILE_MAX);
		free(p);
		return SF_EIO;
	}
	fclose(f);
	*buf = p;
	*len = n;
	return 0;
}

int sf_pki_load_cert_file(const char *path, struct sf_x509 **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (!path || !out)
		return SF_EINVAL;
	*out = NULL;
	if ((rc = read_file(path, &buf, &len)) != 0)
		return rc;
	rc = len ? sf_x509_load(buf, len, out) : SF_EPKI_FORMAT;
	free(buf);
	return rc;
}

int sf_pki_load_key_file(const char *path, struct sf_ec_key **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (!path || !out)
		return SF_EINVAL;
	*out = NULL;
	if ((rc = read_file(path, &buf, &len)) != 0)
		return rc;
	rc = len ? sf_ec_key_load_private(buf, len, out) : SF_ECRYPTO_KEY;
	sf_wipe(buf, FILE_MAX);
	free(buf);
	return rc;
}

/* Writes a new file (never overwrites) with mode; all or nothing. */
static int write_new(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	const uint8_t *p = data;

	if (fd < 0)
		return errno == EEXIST ? SF_EEXIST : SF_EIO;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(path);
			return SF_EIO;
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) != 0) {
		unlink(path);
		return SF_EIO;
	}
	return 0;
}

static int join(char *dst, size_t cap, const char *dir, const char *name, const char *ext)
{
	int n = snprintf(dst, cap, "%s/%s%s", dir, name, ext);
	return n < 0 || (size_t)n >= cap ? SF_EINVAL : 0;
}

static int save_pair(const char *dir, const char *name, const struct sf_x509 *cert,
                     const struct sf_ec_key *key, char *cert_path, char *key_path)
{
	char pem[4096], kpem[SF_EC_PEM_MAX];
	size_t len, klen;
	int rc;

	if ((rc = join(cert_path, SF_PKI_PATH_MAX, dir, name, ".pem")) != 0 ||
	    (rc = join(key_path, SF_PKI_PATH_MAX, dir, name, ".key")) != 0)
		return rc;
	if ((rc = sf_x509_pem(cert, pem, sizeof(pem), &len)) != 0)
		return rc;
	if ((rc = sf_ec_key_private_pem(key, kpem, sizeof(kpem), &klen)) != 0)
		goto out;
	/* The key first and 0600: a private key is never readable by others. */
	if ((rc = write_new(key_path, kpem, klen, 0600)) != 0)
		goto out;
	if ((rc = write_new(cert_path, pem, len, 0644)) != 0)
		unlink(key_path);
out:
	sf_wipe(kpem, sizeof(kpem));
	return rc;
}

static int random_serial(uint64_t *serial)
{
	uint8_t b[8];
	int rc = sf_rng_fill(sf_rng_system(), b, sizeof(b));
	if (rc)
		return rc;
	*serial = 0;
	for (size_t i = 0; i < 8; i++)
		*serial = (*serial << 8) | b[i];
	*serial = (*serial >> 1) | 1; /* positive in 63 bits, non-zero */
	return 0;
}

#define YEAR (365LL * 86400)
#define EUICC_NOT_AFTER 253402300799LL /* 9999-12-31 23:59:59, SGP.22 eUICC profile */

static int valid_prefix(const char *p)
{
	size_t n = strlen(p);
	if (n < 2 || n > 30 || p[0] != '8' || p[1] != '9')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

static int valid_host(const char *h)
{
	size_t n = strlen(h);
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

static const char readme[] =
    "TEST PKI - not for production\n"
    "\n"
    "Generated by `simfleet pki init` for tests and demos.  It follows the GSMA SGP.22\n"
    "certificate profiles (CI, EUM, DPauth, DPpb, DPtls, eIM), but nothing signed by\n"
    "these keys may be trusted outside a test environment.  Production loads\n"
    "certificates and keys issued under a GSMA CI.\n"
    "\n"
    "  ci.pem      Certificate Issuer (root, self-signed, id-rspRole-ci)\n"
    "  eum.pem     eUICC manufacturer (CA, EID-prefix name constraint, id-rspRole-eum)\n"
    "  dpauth.pem  SM-DP+ authentication (id-rspRole-dp-auth)\n"
    "  dppb.pem    SM-DP+ profile binding (id-rspRole-dp-pb)\n"
    "  dptls.pem   SM-DP+ TLS server (serverAuth, id-rspRole-dp-tls)\n"
    "  eim.pem     eIM signing certificate (SGP.32; no GSMA role policy)\n"
    "  *.key       their private keys (PKCS#8, mode 0600)\n";

int sf_pki_init(const char *dir, const struct sf_pki_init_opts *opts)
{
	int rc = SF_EINVAL;
	struct sf_pki_init_opts o = {0};
	struct sf_ec_key *cikey = NULL, *eumkey = NULL, *k = NULL;
	struct sf_x509 *ci = NULL, *eum = NULL, *c = NULL;
	char cp[SF_PKI_PATH_MAX], kp[SF_PKI_PATH_MAX];
	struct sf_x509_spec s;
	static const char org[] = "simfleet TEST";
	static const char eum_org[] = "simfleet TEST EUM";

	if (!dir)
		return SF_EINVAL;
	if (opts)
		o = *opts;
	if (!o.curve)
		o.curve = SF_EC_P256;
	if (!o.eum_prefix)
		o.eum_prefix = SF_PKI_DEFAULT_EUM_PREFIX;
	if (!o.host)
		o.host = SF_PKI_DEFAULT_HOST;
	if (!valid_prefix(o.eum_prefix) || !valid_host(o.host))
		return SF_EINVAL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return SF_EIO;
	if ((rc = join(cp, sizeof(cp), dir, "ci", ".pem")) != 0)
		return rc;
	if (access(cp, F_OK) == 0)
		return SF_EEXIST;

	/* CI: self-signed root, SGP.22 §4.5.2.1.0.1. */
	memset(&s, 0, sizeof(s));
	s.c = "XX", s.o = org, s.ou = SF_PKI_TEST_NOTICE, s.cn = "simfleet TEST CI";
	s.not_before = o.now, s.not_after = o.now + 30 * YEAR;
	s.ca = 1, s.pathlen = -1, s.ku = SF_X509_KU_KEY_CERT_SIGN | SF_X509_KU_CRL_SIGN;
	s.policy = SF_PKI_OID_CI;
	if ((rc = sf_ec_key_generate(o.curve, &cikey)) || (rc = random_serial(&s.serial)) ||
	    (rc = sf_x509_issue(&s, cikey, NULL, cikey, &ci)) ||
	    (rc = save_pair(dir, "ci", ci, cikey, cp, kp)))
		goto out;

	/* EUM: CA for eUICCs, pathLen 0, EID range as a permitted DirName
	 * {O, serialNumber = prefix} (SGP.22 §4.5.2.1.0.2 Variant O, as SGP.26). */
	memset(&s, 0, sizeof(s));
	s.c = "XX", s.o = eum_org, s.ou = SF_PKI_TEST_NOTICE, s.cn = "simfleet TEST EUM";
	s.not_before = o.now, s.not_after = o.now + 30 * YEAR;
	s.ca = 1, s.pathlen = 0, s.ku = SF_X509_KU_KEY_CERT_SIGN;
	s.policy = SF_PKI_OID_EUM, s.nc_o = eum_org, s.nc_serial = o.eum_prefix;
	if ((rc = sf_ec_key_generate(o.curve, &eumkey)) || (rc = random_serial(&s.serial)) ||
	    (rc = sf_x509_issue(&s, eumkey, ci, cikey, &eum)) ||
	    (rc = save_pair(dir, "eum", eum, eumkey, cp, kp)))
		goto out;

	/* The SM-DP+ certificates and the eIM's, all issued by the CI. */
	static const struct {
		const char *name, *cn, *policy;
		int tls, rid;
	} leaves[] = {
	    {"dpauth", "simfleet TEST SM-DP+ auth", SF_PKI_OID_DPAUTH, 0, 1},
	    {"dppb", "simfleet TEST SM-DP+ pb", SF_PKI_OID_DPPB, 0, 1},
	    {"dptls", NULL, SF_PKI_OID_DPTLS, 1, 0},
	    {"eim", "simfleet TEST eIM", NULL, 0, 0},
	};
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		memset(&s, 0, sizeof(s));
		s.o = org, s.ou = SF_PKI_TEST_NOTICE, s.cn = leaves[i].cn ? leaves[i].cn : o.host;
		s.not_before = o.now, s.not_after = o.now + (leaves[i].tls ? 2 : 5) * YEAR;
		s.pathlen = -1, s.ku = SF_X509_KU_DIGITAL_SIGNATURE, s.policy = leaves[i].policy;
		/* SGP.22 §4.5.2.1.0.3-4: CERT.DPauth and CERT.DPpb carry the
		 * SM-DP+ OID as subjectAltName registeredID (the smdpOid the eUICC
		 * puts in the PIR and CancelSession); 2.999.10 as SGP.26's. */
		if (leaves[i].rid)
			s.san_rid = SF_PKI_TEST_SMDP_OID;
		if (leaves[i].tls) {
			s.eku = SF_X509_EKU_SERVER_AUTH;
			s.san_dns = o.host, s.san_ip = "127.0.0.1";
		}
		if ((rc = sf_ec_key_generate(o.curve, &k)) || (rc = random_serial(&s.serial)) ||
		    (rc = sf_x509_issue(&s, k, ci, cikey, &c)) ||
		    (rc = save_pair(dir, leaves[i].name, c, k, cp, kp)))
			goto out;
		sf_x509_free(c), c = NULL;
		sf_ec_key_free(k), k = NULL;
	}
	if ((rc = join(cp, sizeof(cp), dir, "README", ".txt")) != 0)
		goto out;
	rc = write_new(cp, readme, sizeof(readme) - 1, 0644);
out:
	sf_x509_free(c);
	sf_x509_free(eum);
	sf_x509_free(ci);
	sf_ec_key_free(k);
	sf_ec_key_free(eumkey);
	sf_ec_key_free(cikey);
	return rc;
}

int sf_pki_issue_euicc(const char *dir, const char *eid, const char *out_dir, int64_t now,
                       char cert_path[SF_PKI_PATH_MAX], char key_path[SF_PKI_PATH_MAX])
{
	int rc;
	struct sf_x509 *eum = NULL, *c = NULL;
	struct sf_ec_key *eumkey = NULL, *k = NULL;
	struct sf_x509_info *ei = NULL;
	struct sf_x509_spec s;
	char p[SF_PKI_PATH_MAX], name[64];

	if (!dir || !eid || !cert_path || !key_path)
		return SF_EINVAL;
	if (sf_eid_check(eid) != 0)
		return SF_EPKI_EID;
	ei = calloc(1, sizeof(*ei));
	if (!ei)
		return SF_ENOMEM;
	if ((rc = join(p, sizeof(p), dir, "eum", ".pem")) ||
	    (rc = sf_pki_load_cert_file(p, &eum)) ||
	    (rc = join(p, sizeof(p), dir, "eum", ".key")) ||
	    (rc = sf_pki_load_key_file(p, &eumkey)) || (rc = sf_x509_get_info(eum, ei)))
		goto out;
	if (!ei->has_nc || sf_pki_eid_in_prefix(eid, ei->nc_serial) != 0) {
		rc = SF_EPKI_EID;
		goto out;
	}
	memset(&s, 0, sizeof(s));
	/* SGP.22 §4.5.2.1.0.3: subject O (the EUM's), serialNumber = EID. */
	s.o = ei->nc_o[0] ? ei->nc_o : ei->subject_o, s.serial_number = eid;
	s.cn = "simfleet TEST eUICC";
	s.not_before = now, s.not_after = EUICC_NOT_AFTER;
	s.pathlen = -1, s.ku = SF_X509_KU_DIGITAL_SIGNATURE, s.policy = SF_PKI_OID_EUICC;
	snprintf(name, sizeof(name), "euicc-%s", eid);
	if ((rc = sf_ec_key_generate(sf_ec_key_curve(eumkey), &k)) ||
	    (rc = random_serial(&s.serial)) || (rc = sf_x509_issue(&s, k, eum, eumkey, &c)) ||
	    (rc = save_pair(out_dir ? out_dir : dir, name, c, k, cert_path, key_path)))
		goto out;
out:
	free(ei);
	sf_x509_free(c);
	sf_x509_free(eum);
	sf_ec_key_free(k);
	sf_ec_key_free(eumkey);
	return rc;
}
