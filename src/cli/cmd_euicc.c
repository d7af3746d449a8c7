/*
 * simfleet euicc: the software eUICC on the command line.
 *   init           create a state directory (EID, device key, vault), optionally
 *                  with RSP credentials (--pki DIR, or --cert/--key/--eum/--ci)
 *   credentials    give an existing eUICC its RSP credentials
 *   install-local  install a SAIP package without RSP (test-mode eUICCs only)
 *   apdu           send APDUs in-process as a terminal would
 *   profiles       list the profiles
 *   enable, disable, delete   ES10c profile operations by ICCID
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "simfleet/eid.h"
#include "simfleet/err.h"
#include "simfleet/euicc.h"
#include "simfleet/pki.h"
#include "simfleet/rng.h"
#include "simfleet/util.h"

enum { E_STATE = 400, E_EID, E_TEST, E_ENABLE, E_PKI, E_CERT, E_KEY, E_EUM, E_CI, E_HELP };

static const struct option eopts[] = {
	{"state", required_argument, 0, E_STATE}, {"eid", required_argument, 0, E_EID},
	{"test-mode", no_argument, 0, E_TEST},    {"enable", no_argument, 0, E_ENABLE},
	{"pki", required_argument, 0, E_PKI},     {"cert", required_argument, 0, E_CERT},
	{"key", required_argument, 0, E_KEY},     {"eum", required_argument, 0, E_EUM},
	{"ci", required_argument, 0, E_CI},       {"help", no_argument, 0, E_HELP},
	{0, 0, 0, 0}};

struct eargs {
	const char *state, *eid, *pki, *cert, *key, *eum, *ci;
	int test_mode, enable, help;
};

static int parse(int argc, char **argv, struct eargs *a, const char *usage, unsigned allowed)
{
	int c;
	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", eopts, NULL)) != -1) {
		if (c == E_HELP) {
			fputs(usage, stdout);
			a->help = 1;
			return 0;
		}
		if (c < E_STATE || c > E_CI || !(allowed & (1u << (c - E_STATE)))) {
			sf_cli_err("bad option (see --help)");
			return SF_EXIT_USAGE;
		}
		switch (c) {
		case E_STATE: a->state = optarg; break;
		case E_EID: a->eid = optarg; break;
		case E_TEST: a->test_mode = 1; break;
		case E_ENABLE: a->enable = 1; break;
		case E_PKI: a->pki = optarg; break;
		case E_CERT: a->cert = optarg; break;
		case E_KEY: a->key = optarg; break;
		case E_EUM: a->eum = optarg; break;
		case E_CI: a->ci = optarg; break;
		}
	}
	if (!a->state) {
		sf_cli_err("--state DIR is required");
		return SF_EXIT_USAGE;
	}
	return 0;
}

#define A_STATE (1u << 0)
#define A_EID (1u << 1)
#define A_TEST (1u << 2)
#define A_ENABLE (1u << 3)
#define A_PKI (1u << 4)
#define A_CRED (0xFu << 5) /* --cert --key --eum --ci */

static int open_state(const char *dir, struct sf_euicc **e)
{
	int rc = sf_euicc_open(e, dir);
	if (rc == SF_ESTORE_LOCKED)
		sf_cli_err("--state %s: the eUICC is in use by another process (a running 'simfleet "
			   "euicc serve'?): send APDUs through its socket instead",
			   dir);
	else if (rc == SF_ESTORE_FORMAT || rc == SF_ESTORE_KEY)
		sf_cli_err("--state %s: not an eUICC state directory (create one with 'simfleet "
			   "euicc init'): %s",
			   dir, sf_strerror(rc));
	else if (rc)
		sf_cli_err("--state %s: %s", dir, sf_strerror(rc));
	return rc == 0 ? 0 : (rc == SF_ESTORE_FORMAT || rc == SF_ESTORE_KEY ? SF_EXIT_USAGE
									     : SF_EXIT_FAIL);
}

static const char init_usage[] =
	"Usage: simfleet euicc init --state DIR [--eid EID] [--test-mode]\n"
	"                           [--pki PKIDIR | --cert F --key F --eum F --ci F]\n"
	"\n"
	"Creates a software eUICC in DIR: a device key (DIR/device.key, mode 0600; the\n"
	"software TRE is NOT tamper resistant), the sealed crash-safe state, and an EID\n"
	"(32 digits, SGP.29 check digits; generated with prefix " SF_EUICC_DEFAULT_EID_PREFIX
	" unless given).\n"
	"--test-mode allows 'install-local' (profiles without remote provisioning).\n"
	"RSP credentials (needed to download profiles from an SM-DP+):\n"
	"  --pki PKIDIR   issue the eUICC certificate from the EUM of a TEST PKI made by\n"
	"                 'simfleet pki init' (or an SM-DP+'s DATA/pki); the EID takes the\n"
	"                 EUM's prefix, and the eUICC trusts that PKI's CI;\n"
	"  --cert F --key F --eum F --ci F   certificates and key issued elsewhere\n"
	"                 (CERT.EUICC.ECDSA, its key, CERT.EUM.ECDSA, the CI), PEM or DER.\n"
	"The key is sealed into the state; the chain is checked first.\n"
	"Prints {\"eid\",\"state\",\"test_mode\",\"rsp\"}.\n";

static const char cred_usage[] =
	"Usage: simfleet euicc credentials --state DIR (--pki PKIDIR | --cert F --key F --eum F "
	"--ci F)\n"
	"\n"
	"Gives an existing eUICC its RSP credentials (replacing earlier ones), as 'init' does.\n";

/* Gives the eUICC in a.state its credentials: from a.pki (a test PKI's EUM
 * issues the certificate into the state directory; the key file is removed
 * once sealed) or from the four files. */
static int install_credentials(const struct eargs *a, const char *eid)
{
	char cert[SF_PKI_PATH_MAX], key[SF_PKI_PATH_MAX], eum[SF_PKI_PATH_MAX], ci[SF_PKI_PATH_MAX];
	struct sf_euicc *e = NULL;
	int issued = 0, rc;

	if (a->pki) {
		snprintf(eum, sizeof(eum), "%s/eum.pem", a->pki);
		snprintf(ci, sizeof(ci), "%s/ci.pem", a->pki);
		rc = sf_pki_issue_euicc(a->pki, eid, a->state, (int64_t)time(NULL), cert, key);
		if (rc == SF_EEXIST) {
			/* A certificate issued for this EID by an earlier run. */
			snprintf(cert, sizeof(cert), "%s/euicc-%s.pem", a->state, eid);
			snprintf(key, sizeof(key), "%s/euicc-%s.key", a->state, eid);
			rc = 0;
		}
		if (rc) {
			sf_cli_err("--pki %s: cannot issue the eUICC certificate: %s", a->pki,
			           sf_strerror(rc));
			return SF_EXIT_FAIL;
		}
		issued = 1;
	} else {
		snprintf(cert, sizeof(cert), "%s", a->cert);
		snprintf(key, sizeof(key), "%s", a->key);
		snprintf(eum, sizeof(eum), "%s", a->eum);
		snprintf(ci, sizeof(ci), "%s", a->ci);
	}
	if ((rc = open_state(a->state, &e)) != 0)
		return rc;
	rc = sf_euicc_set_credentials(e, cert, key, eum, ci);
	sf_euicc_close(e);
	if (rc) {
		sf_cli_err("RSP credentials refused: %s", sf_strerror(rc));
		return SF_EXIT_FAIL;
	}
	if (issued && unlink(key) != 0)
		sf_cli_err("warning: cannot remove %s (the key is sealed in the state): %s", key,
		           strerror(errno));
	return 0;
}

static int cred_args_ok(const struct eargs *a)
{
	int files = (a->cert != NULL) + (a->key != NULL) + (a->eum != NULL) + (a->ci != NULL);
	if ((a->pki && files) || (files && files != 4)) {
		sf_cli_err("give either --pki DIR or all of --cert, --key, --eum and --ci");
		return 0;
	}
	return 1;
}

/* The EID prefix of the EUM certificate of a test PKI (its name constraint). */
static int eum_prefix(const char *pki, char *prefix, size_t cap)
{
	char path[SF_PKI_PATH_MAX];
	struct sf_x509 *eum = NULL;
	struct sf_x509_info *info = calloc(1, sizeof(*info));
	int rc = info ? 0 : SF_ENOMEM;

	snprintf(path, sizeof(path), "%s/eum.pem", pki);
	if (rc == 0)
		rc = sf_pki_load_cert_file(path, &eum);
	if (rc == 0)
		rc = sf_x509_get_info(eum, info);
	if (rc == 0)
		snprintf(prefix, cap, "%s",
		         info->nc_serial[0] ? info->nc_serial : SF_EUICC_DEFAULT_EID_PREFIX);
	else
		sf_cli_err("--pki %s: %s: %s", pki, path, sf_strerror(rc));
	sf_x509_free(eum);
	free(info);
	return rc;
}

static int cmd_init(int argc, char **argv)
{
	struct eargs a;
	int rc = parse(argc, argv, &a, init_usage, A_STATE | A_EID | A_TEST | A_PKI | A_CRED);
	if (rc || a.help)
		return rc;
	if (a.eid && sf_eid_check(a.eid) != 0) {
		sf_cli_err("--eid: expected 32 digits starting with 89 with valid check digits");
		return SF_EXIT_USAGE;
	}
	if (!cred_args_ok(&a))
		return SF_EXIT_USAGE;
	char eid[SF_EID_DIGITS + 1];
	if (a.eid) {
		snprintf(eid, sizeof(eid), "%s", a.eid);
	} else if (a.pki) {
		char prefix[SF_X509_ATTR_MAX];
		if (eum_prefix(a.pki, prefix, sizeof(prefix)) != 0)
			return SF_EXIT_FAIL;
		if ((rc = sf_eid_generate(eid, prefix, sf_rng_system())) != 0) {
			sf_cli_err("--pki %s: EID prefix %s: %s", a.pki, prefix, sf_strerror(rc));
			return SF_EXIT_FAIL;
		}
	}
	rc = sf_euicc_create(a.state, (a.eid || a.pki) ? eid : NULL,
	                     a.test_mode ? SF_EUICC_TEST_MODE : 0, eid);
	if (rc == SF_EEXIST) {
		sf_cli_err("--state %s: already holds an eUICC", a.state);
		return SF_EXIT_USAGE;
	}
	if (rc) {
		sf_cli_err("--state %s: %s", a.state, sf_strerror(rc));
		return SF_EXIT_FAIL;
	}
	int rsp = a.pki || a.cert;
	if (rsp && (rc = install_credentials(&a, eid)) != 0) {
		sf_cli_err("the eUICC in %s was created without RSP credentials: give them with "
		           "'simfleet euicc credentials'",
		           a.state);
		return rc;
	}
	json_t *j = json_object();
	json_object_set_new(j, "eid", json_string(eid));
	json_object_set_new(j, "state", json_string(a.state));
	json_object_set_new(j, "test_mode", json_boolean(a.test_mode));
	json_object_set_new(j, "rsp", json_boolean(rsp));
	if (a.pki)
		json_object_set_new(j, "pki", json_string(SF_PKI_TEST_NOTICE));
	return sf_cli_print(j);
}

static int cmd_credentials(int argc, char **argv)
{
	struct eargs a;
	struct sf_euicc *e = NULL;
	char eid[SF_EID_DIGITS + 1];
	int rc = parse(argc, argv, &a, cred_usage, A_STATE | A_PKI | A_CRED);
	if (rc || a.help)
		return rc;
	if (!cred_args_ok(&a) || (!a.pki && !a.cert)) {
		if (!a.pki && !a.cert)
			sf_cli_err("give --pki DIR or --cert, --key, --eum and --ci");
		return SF_EXIT_USAGE;
	}
	if ((rc = open_state(a.state, &e)) != 0)
		return rc;
	snprintf(eid, sizeof(eid), "%s", sf_euicc_eid(e));
	sf_euicc_close(e);
	if ((rc = install_credentials(&a, eid)) != 0)
		return rc;
	json_t *j = json_object();
	json_object_set_new(j, "eid", json_string(eid));
	json_object_set_new(j, "rsp", json_true());
	return sf_cli_print(j);
}

static const char *state_name(unsigned s)
{
	return s == SF_PROFILE_ENABLED ? "enabled" : "disabled";
}

static const char install_usage[] =
	"Usage: simfleet euicc install-local --state DIR [--enable] FILE.der\n"
	"\n"
	"Installs a SAIP profile package without remote provisioning: only on an eUICC\n"
	"created with --test-mode.  The profile starts Disabled unless --enable is given.\n"
	"Prints {\"iccid\",\"state\"}; a package error names the element at fault.\n";

/* Reads a whole package file into one heap buffer sized from fstat (it
 * holds K and OPc in clear: no stdio buffer, no realloc leaving copies). */
static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (64 << 20)) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *b = malloc(n ? n : 1);
	if (!b) {
		close(fd);
		return -1;
	}
	while (got < n) {
		ssize_t r = read(fd, b + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != n) {
		sf_wipe(b, n);
		free(b);
		errno = EIO;
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

static int cmd_install(int argc, char **argv)
{
	struct eargs a;
	int rc = parse(argc, argv, &a, install_usage, A_STATE | A_ENABLE);
	if (rc || a.help)
		return rc;
	if (optind != argc - 1) {
		sf_cli_err("install-local takes one package file (see --help)");
		return SF_EXIT_USAGE;
	}
	uint8_t *pkg = NULL;
	size_t len = 0;
	if (read_all(argv[optind], &pkg, &len)) {
		sf_cli_err("%s: %s", argv[optind], strerror(errno));
		return SF_EXIT_USAGE;
	}
	struct sf_euicc *e;
	if ((rc = open_state(a.state, &e))) {
		sf_wipe(pkg, len);
		free(pkg);
		return rc;
	}
	struct sf_saip_error err;
	char iccid[21] = "";
	int r = sf_euicc_install_local(e, pkg, len, a.enable, &err, iccid);
	sf_wipe(pkg, len);
	free(pkg);
	if (r == SF_ENOTSUP) {
		sf_cli_err("--state %s: install-local needs an eUICC created with --test-mode; "
			   "production eUICCs take profiles only through remote provisioning",
			   a.state);
		rc = SF_EXIT_USAGE;
	} else if (r == SF_EEXIST) {
		sf_cli_err("%s: a profile with this ICCID is already installed", argv[optind]);
		rc = SF_EXIT_USAGE;
	} else if (r && err.element) {
		char msg[300];
		sf_saip_error_format(&err, msg, sizeof(msg));
		sf_cli_err("%s: %s", argv[optind], msg);
		rc = SF_EXIT_USAGE;
	} else if (r) {
		sf_cli_err("%s: %s", argv[optind], sf_strerror(r));
		rc = SF_EXIT_FAIL;
	} else {
		json_t *j = json_object();
		json_object_set_new(j, "iccid", json_string(iccid));
		json_object_set_new(j, "state", json_string(a.enable ? "enabled" : "disabled"));
		rc = sf_cli_print(j);
	}
	sf_euicc_close(e);
	return rc;
}

static const char apdu_usage[] =
	"Usage: simfleet euicc apdu --state DIR HEX...\n"
	"\n"
	"Sends each APDU to the eUICC in-process, as a terminal would: a 61xx answer is\n"
	"followed by GET RESPONSE, and a 6Cxx by the command again with the right Le.\n"
	"Prints each final response (data and status word) in hex, one line per APDU.\n"
	"Exit status 0 when every APDU was sent (whatever its status word).\n";

static int cmd_apdu(int argc, char **argv)
{
	struct eargs a;
	int rc = parse(argc, argv, &a, apdu_usage, A_STATE);
	if (rc || a.help)
		return rc;
	if (optind >= argc) {
		sf_cli_err("apdu: give at least one APDU in hex");
		return SF_EXIT_USAGE;
	}
	/* Check every APDU first: bad input changes nothing. */
	for (int i = optind; i < argc; i++) {
		uint8_t tmp[5 + 65536 + 3];
		size_t n;
		if (sf_hex_decode(tmp, sizeof(tmp), &n, argv[i], strlen(argv[i])) || n < 4) {
			/* Not echoed: it may be a VERIFY PIN. */
			sf_cli_err("APDU %d: expected hex of at least 4 octets", i - optind + 1);
			return SF_EXIT_USAGE;
		}
	}
	struct sf_euicc *e;
	if ((rc = open_state(a.state, &e)))
		return rc;
	static uint8_t cmd[5 + 65536 + 3], rsp[65536 + 2], acc[65536 * 4 + 2];
	for (int i = optind; i < argc && rc == 0; i++) {
		size_t n = 0, rn = 0, an = 0;
		sf_hex_decode(cmd, sizeof(cmd), &n, argv[i], strlen(argv[i]));
		int r = sf_euicc_transmit(e, cmd, n, rsp, sizeof(rsp), &rn);
		for (int guard = 0; r == 0 && guard < 1024; guard++) {
			uint8_t sw1 = rsp[rn - 2], sw2 = rsp[rn - 1];
			if (sw1 == 0x61) {
				/* Keep the data so far; fetch the rest (CLA keeps the channel). */
				memcpy(acc + an, rsp, rn - 2);
				an += rn - 2;
				uint8_t gr[5] = {(uint8_t)(cmd[0] & 0x03), 0xC0, 0, 0, sw2};
				r = sf_euicc_transmit(e, gr, 5, rsp, sizeof(rsp), &rn);
			} else if (sw1 == 0x6C && n >= 5) {
				cmd[n - 1] = sw2; /* re-issue with Le = the right length */
				r = sf_euicc_transmit(e, cmd, n, rsp, sizeof(rsp), &rn);
			} else {
				break;
			}
		}
		if (r) {
			sf_cli_err("APDU %d: %s", i - optind + 1, sf_strerror(r));
			rc = SF_EXIT_FAIL;
			break;
		}
		memcpy(acc + an, rsp, rn);
		an += rn;
		static char hex[2 * sizeof(acc) + 1];
		sf_hex_encode(hex, sizeof(hex), acc, an);
		puts(hex);
		sf_wipe(acc, an);
		sf_wipe(hex, 2 * an);
	}
	sf_wipe(rsp, sizeof(rsp));
	sf_euicc_close(e);
	if (fflush(stdout) != 0)
		rc = SF_EXIT_FAIL;
	return rc;
}

static const char profiles_usage[] =
	"Usage: simfleet euicc profiles --state DIR\n"
	"\n"
	"Prints {\"eid\",\"profiles\":[{\"iccid\",\"state\",\"class\",\"nickname\",\"spn\",\"name\"}]}.\n";

static int cmd_profiles(int argc, char **argv)
{
	struct eargs a;
	int rc = parse(argc, argv, &a, profiles_usage, A_STATE);
	if (rc || a.help)
		return rc;
	struct sf_euicc *e;
	if ((rc = open_state(a.state, &e)))
		return rc;
	static const char *const cls[] = {"test", "provisioning", "operational"};
	json_t *j = json_object(), *arr = json_array();
	json_object_set_new(j, "eid", json_string(sf_euicc_eid(e)));
	for (size_t i = 0; i < sf_euicc_profile_count(e); i++) {
		struct sf_profile_info p;
		sf_euicc_profile_get(e, i, &p);
		json_t *o = json_object();
		json_object_set_new(o, "iccid", json_string(p.iccid));
		json_object_set_new(o, "state", json_string(state_name(p.state)));
		json_object_set_new(o, "class", json_string(p.pclass < 3 ? cls[p.pclass] : "unknown"));
		json_object_set_new(o, "nickname", json_string(p.nickname));
		json_object_set_new(o, "spn", json_string(p.spn));
		json_object_set_new(o, "name", json_string(p.name));
		json_array_append_new(arr, o);
	}
	json_object_set_new(j, "profiles", arr);
	sf_euicc_close(e);
	return sf_cli_print(j);
}

static int profile_op(int argc, char **argv, const char *what,
		      int (*op)(struct sf_euicc *, const char *))
{
	char usage[400];
	snprintf(usage, sizeof(usage),
		 "Usage: simfleet euicc %s --state DIR ICCID\n\n"
		 "ES10c %s of the profile ICCID.  Prints {\"result\":\"ok\"} or the ES10 reason\n"
		 "(\"not_found\", \"wrong_state\", ...); exit 0 only for ok.\n",
		 what, what);
	struct eargs a;
	int rc = parse(argc, argv, &a, usage, A_STATE);
	if (rc || a.help)
		return rc;
	if (optind != argc - 1) {
		sf_cli_err("%s takes one ICCID", what);
		return SF_EXIT_USAGE;
	}
	struct sf_euicc *e;
	if ((rc = open_state(a.state, &e)))
		return rc;
	int r = op(e, argv[optind]);
	sf_euicc_close(e);
	if (r < 0) {
		sf_cli_err("%s %s: %s", what, argv[optind], sf_strerror(r));
		return SF_EXIT_FAIL;
	}
	const char *res = r == SF_ES10_OK ? "ok" : r == SF_ES10_NOT_FOUND ? "not_found"
					   : r == SF_ES10_WRONG_STATE      ? "wrong_state"
					   : r == SF_ES10_DISALLOWED       ? "disallowed_by_policy"
									   : "undefined_error";
	json_t *j = json_object();
	json_object_set_new(j, "result", json_string(res));
	json_object_set_new(j, "iccid", json_string(argv[optind]));
	rc = sf_cli_print(j);
	return rc ? rc : (r == SF_ES10_OK ? SF_EXIT_OK : SF_EXIT_FAIL);
}

static int cmd_enable(int argc, char **argv)
{
	return profile_op(argc, argv, "enable", sf_euicc_enable);
}

static int cmd_disable(int argc, char **argv)
{
	return profile_op(argc, argv, "disable", sf_euicc_disable);
}

static int cmd_delete(int argc, char **argv)
{
	return profile_op(argc, argv, "delete", sf_euicc_delete);
}

static const struct sf_cli_cmd euicc_cmds[] = {
	{"init", cmd_init, "create a software eUICC state directory"},
	{"credentials", cmd_credentials, "give an eUICC its RSP credentials (certificates, key)"},
	{"install-local", cmd_install, "install a SAIP package without RSP (test mode)"},
	{"apdu", cmd_apdu, "send APDUs in-process, print the responses"},
	{"profiles", cmd_profiles, "list the installed profiles"},
	{"enable", cmd_enable, "enable a profile (the enabled one is disabled)"},
	{"disable", cmd_disable, "disable the enabled profile"},
	{"delete", cmd_delete, "delete a disabled profile"},
	{"serve", sf_cmd_euicc_serve, "serve the eUICC as a card: vpcd (PC/SC) or a Unix socket"},
	{NULL, NULL, NULL},
};

int sf_cmd_euicc(int argc, char **argv)
{
	return sf_cli_dispatch("euicc", euicc_cmds, argc, argv,
			       "Usage: simfleet euicc COMMAND --state DIR [ARGS...]\n\n"
			       "The software eUICC: USIM profiles in a sealed, crash-safe state\n"
			       "directory, driven by APDUs as a real eUICC is.\n");
}
