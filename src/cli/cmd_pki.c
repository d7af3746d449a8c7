/*
 * simfleet pki: the GSMA RSP PKI (SGP.22 §4.5.2) from the command line —
 * generate a TEST PKI, issue test eUICC certificates, show a certificate,
 * verify a chain with the GSMA rules (include/simfleet/pki.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "simfleet/crypto.h"
#include "simfleet/err.h"
#include "simfleet/pki.h"
#include "simfleet/util.h"

#define NOTICE "TEST PKI \xe2\x80\x94 not for production"

enum { P_DIR = 500, P_CURVE, P_PREFIX, P_HOST, P_EID, P_OUT, P_CI, P_ROLE, P_AT, P_HELP };

static const struct option popts[] = {{"dir", required_argument, 0, P_DIR},
                                      {"curve", required_argument, 0, P_CURVE},
                                      {"eum-prefix", required_argument, 0, P_PREFIX},
                                      {"host", required_argument, 0, P_HOST},
                                      {"eid", required_argument, 0, P_EID},
                                      {"out", required_argument, 0, P_OUT},
                                      {"ci", required_argument, 0, P_CI},
                                      {"role", required_argument, 0, P_ROLE},
                                      {"at", required_argument, 0, P_AT},
                                      {"help", no_argument, 0, P_HELP},
                                      {0, 0, 0, 0}};

struct pargs {
	const char *v[P_HELP - P_DIR];
	int help;
};
#define ARG(a, f) ((a)->v[(f)-P_DIR])
#define A(f) (1u << ((f)-P_DIR))

static int parse(int argc, char **argv, struct pargs *a, const char *usage, unsigned allowed)
{
	int c;
	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", popts, NULL)) != -1) {
		if (c == P_HELP) {
			fputs(usage, stdout);
			a->help = 1;
			return 0;
		}
		if (c < P_DIR || c >= P_HELP || !(allowed & A(c))) {
			sf_cli_err("bad option (see --help)");
			return SF_EXIT_USAGE;
		}
		ARG(a, c) = optarg;
	}
	return 0;
}

static const char *curve_name(enum sf_ec_curve c)
{
	return c == SF_EC_P256 ? "P-256" : c == SF_EC_BRAINPOOLP256R1 ? "brainpoolP256r1" : "other";
}

/* The current time, or --at SECONDS (for checking a chain at a given time). */
static int now_arg(const struct pargs *a, int64_t *now)
{
	uint64_t v;
	if (!ARG(a, P_AT)) {
		*now = (int64_t)time(NULL);
		return 0;
	}
	if (sf_cli_uint("--at", ARG(a, P_AT), 0, 253402300799ULL, &v))
		return SF_EXIT_USAGE;
	*now = (int64_t)v;
	return 0;
}

static const char init_usage[] =
    "Usage: simfleet pki init --dir DIR [--curve p256|brainpool] [--eum-prefix DIGITS]\n"
    "                         [--host NAME]\n"
    "\n"
    "Creates a TEST PKI (not for production) with the SGP.22 certificate profiles in DIR:\n"
    "ci.pem (root, SKI), eum.pem (EID-prefix name constraint, default " SF_PKI_DEFAULT_EUM_PREFIX
    "),\n"
    "dpauth.pem, dppb.pem, dptls.pem (serverAuth, DNS NAME (default localhost) and IP\n"
    "127.0.0.1), eim.pem, each with its .key (mode 0600), and README.txt.\n";

static int cmd_init(int argc, char **argv)
{
	struct pargs a;
	struct sf_pki_init_opts o = {0};
	int rc = parse(argc, argv, &a, init_usage, A(P_DIR) | A(P_CURVE) | A(P_PREFIX) | A(P_HOST));
	if (rc || a.help)
		return rc;
	if (!ARG(&a, P_DIR)) {
		sf_cli_err("--dir DIR is required");
		return SF_EXIT_USAGE;
	}
	o.curve = SF_EC_P256;
	if (ARG(&a, P_CURVE)) {
		if (strcmp(ARG(&a, P_CURVE), "p256") == 0)
			o.curve = SF_EC_P256;
		else if (strcmp(ARG(&a, P_CURVE), "brainpool") == 0)
			o.curve = SF_EC_BRAINPOOLP256R1;
		else {
			sf_cli_err("--curve: expected p256 or brainpool");
			return SF_EXIT_USAGE;
		}
	}
	o.eum_prefix = ARG(&a, P_PREFIX) ? ARG(&a, P_PREFIX) : SF_PKI_DEFAULT_EUM_PREFIX;
	o.host = ARG(&a, P_HOST) ? ARG(&a, P_HOST) : SF_PKI_DEFAULT_HOST;
	o.now = (int64_t)time(NULL);
	rc = sf_pki_init(ARG(&a, P_DIR), &o);
	if (rc == SF_EEXIST) {
		sf_cli_err("--dir %s: already holds a PKI (ci.pem): use another directory",
		           ARG(&a, P_DIR));
		return SF_EXIT_USAGE;
	}
	if (rc == SF_EINVAL) {
		sf_cli_err(
		    "--eum-prefix/--host: expected a prefix of 2..30 digits starting with 89 and "
		    "a DNS name of letters, digits, '-' and '.'");
		return SF_EXIT_USAGE;
	}
	if (rc) {
		sf_cli_err("--dir %s: %s", ARG(&a, P_DIR), sf_strerror(rc));
		return SF_EXIT_FAIL;
	}
	json_t *j = json_object(), *f = json_object();
	static const char *names[] = {"ci", "eum", "dpauth", "dppb", "dptls", "eim"};
	char p[SF_PKI_PATH_MAX];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s.pem", ARG(&a, P_DIR), names[i]);
		json_object_set_new(f, names[i], json_string(p));
	}
	json_object_set_new(j, "notice", json_string(NOTICE));
	json_object_set_new(j, "dir", json_string(ARG(&a, P_DIR)));
	json_object_set_new(j, "curve", json_string(curve_name(o.curve)));
	json_object_set_new(j, "eum_prefix", json_string(o.eum_prefix));
	json_object_set_new(j, "host", json_string(o.host));
	json_object_set_new(j, "certs", f);
	return sf_cli_print(j);
}

static const char issue_usage[] =
    "Usage: simfleet pki issue-euicc --dir DIR --eid EID [--out DIR]\n"
    "\n"
    "Issues a TEST eUICC certificate under DIR's EUM (eum.pem, eum.key): EID in the\n"
    "subject serialNumber, eUICC role policy.  Writes euicc-EID.pem/.key (0600) in\n"
    "--out (default DIR).  The EID needs valid SGP.29 check digits and the EUM's prefix.\n"
    "Prints {\"eid\",\"cert\",\"key\"}.\n";

static int cmd_issue(int argc, char **argv)
{
	struct pargs a;
	char cp[SF_PKI_PATH_MAX], kp[SF_PKI_PATH_MAX];
	int rc = parse(argc, argv, &a, issue_usage, A(P_DIR) | A(P_EID) | A(P_OUT));
	if (rc || a.help)
		return rc;
	if (!ARG(&a, P_DIR) || !ARG(&a, P_EID)) {
		sf_cli_err("--dir DIR and --eid EID are required");
		return SF_EXIT_USAGE;
	}
	rc = sf_pki_issue_euicc(ARG(&a, P_DIR), ARG(&a, P_EID), ARG(&a, P_OUT), (int64_t)time(NULL),
	                        cp, kp);
	if (rc == SF_EPKI_EID) {
		sf_cli_err("--eid %s: not a valid EID (32 digits, SGP.29 check digits) within the "
		           "EUM's EID prefix (see 'simfleet pki show %s/eum.pem')",
		           ARG(&a, P_EID), ARG(&a, P_DIR));
		return SF_EXIT_USAGE;
	}
	if (rc == SF_EEXIST) {
		sf_cli_err("--eid %s: a certificate for this EID already exists in %s",
		           ARG(&a, P_EID), ARG(&a, P_OUT) ? ARG(&a, P_OUT) : ARG(&a, P_DIR));
		return SF_EXIT_USAGE;
	}
	if (rc) {
		sf_cli_err("--dir %s: %s (a directory made by 'simfleet pki init'?)",
		           ARG(&a, P_DIR), sf_strerror(rc));
		return SF_EXIT_FAIL;
	}
	json_t *j = json_object();
	json_object_set_new(j, "eid", json_string(ARG(&a, P_EID)));
	json_object_set_new(j, "cert", json_string(cp));
	json_object_set_new(j, "key", json_string(kp));
	json_object_set_new(j, "notice", json_string(NOTICE));
	return sf_cli_print(j);
}

static json_t *jtime(int64_t t)
{
	char buf[32];
	struct tm tm;
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_integer(t);
	return json_string(buf);
}

static const char *policy_role(const char *oid)
{
	static const enum sf_pki_role r[] = {SF_PKI_ROLE_CI,     SF_PKI_ROLE_EUICC,
	                                     SF_PKI_ROLE_EUM,    SF_PKI_ROLE_DPTLS,
	                                     SF_PKI_ROLE_DPAUTH, SF_PKI_ROLE_DPPB};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (strcmp(oid, sf_pki_role_oid(r[i])) == 0)
			return sf_pki_role_name(r[i]);
	return NULL;
}

static const char show_usage[] =
    "Usage: simfleet pki show FILE\n"
    "\n"
    "Prints a certificate (PEM or DER) as JSON: subject, issuer, validity, SKI/AKI, key\n"
    "usage, basic constraints, policies (with their RSP role), name constraints, SAN,\n"
    "public key curve.\n";

static int cmd_show(int argc, char **argv)
{
	struct pargs a;
	struct sf_x509 *c = NULL;
	struct sf_x509_info *in;
	int rc = parse(argc, argv, &a, show_usage, 0);
	if (rc || a.help)
		return rc;
	if (optind != argc - 1) {
		sf_cli_err("expected one FILE (see --help)");
		return SF_EXIT_USAGE;
	}
	rc = sf_pki_load_cert_file(argv[optind], &c);
	if (rc) {
		sf_cli_err("%s: %s", argv[optind], sf_strerror(rc));
		return SF_EXIT_USAGE;
	}
	in = calloc(1, sizeof(*in));
	if (!in || (rc = sf_x509_get_info(c, in)) != 0) {
		sf_cli_err("%s: %s", argv[optind], sf_strerror(in ? rc : SF_ENOMEM));
		free(in);
		sf_x509_free(c);
		return SF_EXIT_FAIL;
	}
	json_t *j = json_object(), *arr;
	json_object_set_new(j, "subject", json_string(in->subject));
	json_object_set_new(j, "issuer", json_string(in->issuer));
	json_object_set_new(j, "serial", json_string(in->serial_hex));
	json_object_set_new(j, "not_before", jtime(in->not_before));
	json_object_set_new(j, "not_after", jtime(in->not_after));
	json_object_set_new(j, "curve", json_string(curve_name(in->curve)));
	if (in->ski_len)
		sf_cli_json_hex(j, "ski", in->ski, in->ski_len);
	if (in->aki_len)
		sf_cli_json_hex(j, "aki", in->aki, in->aki_len);
	if (in->subject_serial[0])
		json_object_set_new(j, "subject_serial_number", json_string(in->subject_serial));
	json_object_set_new(j, "ca", json_boolean(in->is_ca));
	if (in->is_ca && in->pathlen >= 0)
		json_object_set_new(j, "path_len", json_integer(in->pathlen));
	arr = json_array();
	if (in->ku & SF_X509_KU_DIGITAL_SIGNATURE)
		json_array_append_new(arr, json_string("digitalSignature"));
	if (in->ku & SF_X509_KU_KEY_CERT_SIGN)
		json_array_append_new(arr, json_string("keyCertSign"));
	if (in->ku & SF_X509_KU_CRL_SIGN)
		json_array_append_new(arr, json_string("cRLSign"));
	json_object_set_new(j, "key_usage", arr);
	if (in->has_eku) {
		arr = json_array();
		if (in->eku & SF_X509_EKU_SERVER_AUTH)
			json_array_append_new(arr, json_string("serverAuth"));
		if (in->eku & SF_X509_EKU_CLIENT_AUTH)
			json_array_append_new(arr, json_string("clientAuth"));
		json_object_set_new(j, "extended_key_usage", arr);
	}
	arr = json_array();
	for (size_t i = 0; i < in->n_policies; i++) {
		json_t *p = json_object();
		const char *r = policy_role(in->policies[i]);
		json_object_set_new(p, "oid", json_string(in->policies[i]));
		if (r)
			json_object_set_new(p, "role", json_string(r));
		json_array_append_new(arr, p);
	}
	json_object_set_new(j, "policies", arr);
	if (in->has_nc) {
		json_t *nc = json_object();
		json_object_set_new(nc, "o", json_string(in->nc_o));
		json_object_set_new(nc, "eid_prefix", json_string(in->nc_serial));
		json_object_set_new(j, "name_constraints", nc);
	}
	arr = json_array();
	for (size_t i = 0; i < in->n_san; i++)
		json_array_append_new(arr, json_string(in->san[i]));
	json_object_set_new(j, "san", arr);
	free(in);
	sf_x509_free(c);
	return sf_cli_print(j);
}

static const char verify_usage[] =
    "Usage: simfleet pki verify --ci FILE [--role euicc|dpauth|dppb|dptls] [--at SECONDS]\n"
    "                           CERT [INTERMEDIATE...]\n"
    "\n"
    "Checks a chain, leaf first (PEM or DER), with the GSMA rules: CI trusted by key\n"
    "identifier, signatures, validity (now, or --at seconds since 1970), key usage and\n"
    "basic constraints, role policy, and an eUICC's EID within its EUM's prefix.\n"
    "Exit 0 when the chain holds, 1 with the reason otherwise.\n";

static int cmd_verify(int argc, char **argv)
{
	struct pargs a;
	struct sf_x509 *ci = NULL, *certs[8] = {0};
	enum sf_pki_role role = SF_PKI_ROLE_ANY, got = SF_PKI_ROLE_ANY;
	char reason[512];
	int64_t now;
	size_t n = 0;
	int rc = parse(argc, argv, &a, verify_usage, A(P_CI) | A(P_ROLE) | A(P_AT)), ret;
	if (rc || a.help)
		return rc;
	if (!ARG(&a, P_CI) || optind >= argc) {
		sf_cli_err("--ci FILE and a CERT are required (see --help)");
		return SF_EXIT_USAGE;
	}
	if (argc - optind > 8) {
		sf_cli_err("at most 8 certificates (leaf and intermediates)");
		return SF_EXIT_USAGE;
	}
	if (ARG(&a, P_ROLE) && (sf_pki_role_parse(ARG(&a, P_ROLE), &role) ||
	                        role == SF_PKI_ROLE_EUM || role == SF_PKI_ROLE_CI)) {
		sf_cli_err("--role: expected euicc, dpauth, dppb or dptls");
		return SF_EXIT_USAGE;
	}
	if ((ret = now_arg(&a, &now)) != 0)
		return ret;
	ret = SF_EXIT_USAGE;
	if ((rc = sf_pki_load_cert_file(ARG(&a, P_CI), &ci)) != 0) {
		sf_cli_err("--ci %s: %s", ARG(&a, P_CI), sf_strerror(rc));
		goto out;
	}
	for (int i = optind; i < argc; i++, n++)
		if ((rc = sf_pki_load_cert_file(argv[i], &certs[n])) != 0) {
			sf_cli_err("%s: %s", argv[i], sf_strerror(rc));
			goto out;
		}
	rc = sf_pki_verify_chain(ci, (const struct sf_x509 *const *)certs, n, role, now, &got,
	                         reason, sizeof(reason));
	json_t *j = json_object();
	json_object_set_new(j, "ok", json_boolean(rc == 0));
	json_object_set_new(j, "role", json_string(sf_pki_role_name(rc == 0 ? got : role)));
	if (rc) {
		json_object_set_new(j, "error", json_string(sf_err_name(rc)));
		json_object_set_new(j, "reason", json_string(reason[0] ? reason : sf_strerror(rc)));
		sf_cli_err("%s: chain refused: %s (%s)", argv[optind], reason[0] ? reason : "",
		           sf_strerror(rc));
		sf_cli_print(j);
		ret = SF_EXIT_FAIL;
	} else {
		ret = sf_cli_print(j);
	}
out:
	for (size_t i = 0; i < 8; i++)
		sf_x509_free(certs[i]);
	sf_x509_free(ci);
	return ret;
}

static const struct sf_cli_cmd pki_cmds[] = {
    {"init", cmd_init, "create a TEST PKI (CI, EUM, DPauth, DPpb, DPtls, eIM)"},
    {"issue-euicc", cmd_issue, "issue a TEST eUICC certificate under the EUM"},
    {"show", cmd_show, "print a certificate as JSON"},
    {"verify", cmd_verify, "check a certificate chain with the GSMA rules"},
    {0, 0, 0},
};

int sf_cmd_pki(int argc, char **argv)
{
	return sf_cli_dispatch(
	    "pki", pki_cmds, argc, argv,
	    "Usage: simfleet pki COMMAND [FLAGS...]\n"
	    "\n"
	    "The GSMA RSP PKI (SGP.22 4.5.2): test PKI generation and chain checks.\n");
}
