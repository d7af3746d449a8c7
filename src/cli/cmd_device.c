/*
 * simfleet device: the device agent (LPA/IPA) on the command line.
 *   download       a profile from an SM-DP+ (activation code, or the eUICC's
 *                  default SM-DP+ without one; ES9+ over HTTPS)
 *   info           EID, versions, CI key identifiers, free memory
 *   profiles       the profiles on the eUICC
 *   enable, disable, delete ICCID
 *   notifications  pending notifications; --process delivers and removes them
 *   set-default-dp ADDRESS  the eUICC's default SM-DP+ address (ES10a)
 *
 * The eUICC: --state DIR (in-process), --socket PATH (`simfleet euicc serve
 * --socket`), --pcsc [READER] (PC/SC).  JSON on stdout, progress on stderr.
 * The library side: include/simfleet/ipa.h; docs/device-agent.md.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/euicc.h"
#include "simfleet/ipa.h"
#include "simfleet/rng.h"
#include "simfleet/util.h"

/* ---- the card: shared with `simfleet attach` ---- */

int sf_cli_card_open(const char *state, const char *sock, const char *pcsc_reader, int pcsc,
                     struct sf_ipa_transport *t, struct sf_euicc **e)
{
	int rc;
	*e = NULL;
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	signal(SIGPIPE, SIG_IGN);
	if ((state != NULL) + (sock != NULL) + (pcsc != 0) != 1) {
		sf_cli_err("give exactly one of --state DIR, --socket PATH or --pcsc [READER]");
		return SF_EXIT_USAGE;
	}
	if (state) {
		rc = sf_euicc_open(e, state);
		if (rc) {
			sf_cli_err("--state %s: %s%s", state, sf_strerror(rc),
			           rc == SF_ESTORE_LOCKED
			               ? " (a `simfleet euicc serve` holds it: use --socket PATH)"
			               : "");
			return rc == SF_ESTORE_FORMAT ? SF_EXIT_USAGE : SF_EXIT_FAIL;
		}
		sf_ipa_transport_euicc(t, *e);
		return 0;
	}
	if (sock) {
		rc = sf_ipa_transport_unix(t, sock, 10000);
		if (rc == SF_ETRANSPORT_ADDR) {
			sf_cli_err("--socket %s: path too long for a Unix socket", sock);
			return SF_EXIT_USAGE;
		}
		if (rc) {
			sf_cli_err(
			    "--socket %s: cannot connect: %s (is `simfleet euicc serve --socket` "
			    "running?)",
			    sock, strerror(errno));
			return SF_EXIT_FAIL;
		}
		return 0;
	}
	rc = sf_ipa_transport_pcsc(t, pcsc_reader);
	if (rc == SF_EIPA_NO_PCSC) {
		sf_cli_err(
		    "--pcsc: %s: install libpcsclite-dev (scripts/bootstrap) and rebuild, or "
		    "use --state / --socket",
		    sf_strerror(rc));
		return SF_EXIT_FAIL;
	}
	if (rc) {
		sf_cli_err("--pcsc%s%s: %s", pcsc_reader && *pcsc_reader ? " " : "",
		           pcsc_reader ? pcsc_reader : "", sf_strerror(rc));
		return SF_EXIT_FAIL;
	}
	return 0;
}

void sf_cli_card_close(struct sf_ipa_transport *t, struct sf_euicc *e)
{
	sf_ipa_transport_close(t);
	sf_euicc_close(e);
}

/* ---- options ---- */

enum {
	D_STATE = 500,
	D_SOCKET,
	D_PCSC,
	D_AC,
	D_CC,
	D_CACERT,
	D_PROCESS,
	D_REFRESH,
	D_BLOCK,
	D_TAC,
	D_IMEI,
	D_ENABLE,
	D_RETRIES,
	D_RETRY_WAIT,
	D_HELP
};

static const struct option dopts[] = {{"state", required_argument, 0, D_STATE},
                                      {"socket", required_argument, 0, D_SOCKET},
                                      {"pcsc", optional_argument, 0, D_PCSC},
                                      {"activation-code", required_argument, 0, D_AC},
                                      {"confirmation-code", required_argument, 0, D_CC},
                                      {"cacert", required_argument, 0, D_CACERT},
                                      {"process", no_argument, 0, D_PROCESS},
                                      {"refresh", no_argument, 0, D_REFRESH},
                                      {"block", required_argument, 0, D_BLOCK},
                                      {"tac", required_argument, 0, D_TAC},
                                      {"imei", required_argument, 0, D_IMEI},
                                      {"enable", no_argument, 0, D_ENABLE},
                                      {"retries", required_argument, 0, D_RETRIES},
                                      {"retry-wait", required_argument, 0, D_RETRY_WAIT},
                                      {"help", no_argument, 0, D_HELP},
                                      {0, 0, 0, 0}};

struct dargs {
	const char *state, *sock, *reader, *ac, *cc, *cacert, *tac, *imei;
	int pcsc, process, refresh, enable, help;
	unsigned retries, retry_wait; /* download: attempts after the first; first wait (s) */
	int reader_guessed; /* reader is the word after --pcsc, not --pcsc=READER */
	size_t block;
	const char *pos; /* the one positional argument (ICCID or ADDRESS) */
};

#define ALLOW(o) (1u << ((o)-D_STATE))
#define CARD_OPTS (ALLOW(D_STATE) | ALLOW(D_SOCKET) | ALLOW(D_PCSC) | ALLOW(D_BLOCK))

/* Prints j (released); exit status 1 when failed, else that of the print. */
static int print_outcome(json_t *j, int failed)
{
	int rc = sf_cli_print(j);
	return rc == SF_EXIT_OK && failed ? SF_EXIT_FAIL : rc;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

enum { POS_NONE, POS_ICCID, POS_ADDRESS }; /* parse's want_pos */

static int parse(int argc, char **argv, struct dargs *a, const char *usage, unsigned allowed,
                 int want_pos)
{
	int c;
	uint64_t v;
	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", dopts, NULL)) != -1) {
		if (c == D_HELP) {
			fputs(usage, stdout);
			a->help = 1;
			return 0;
		}
		if (c < D_STATE || c > D_RETRY_WAIT || !(allowed & ALLOW(c))) {
			sf_cli_err("%s: bad option %s (see --help)", argv[0],
			           optind > 1 ? argv[optind - 1] : "");
			return SF_EXIT_USAGE;
		}
		switch (c) {
		case D_STATE:
			a->state = optarg;
			break;
		case D_SOCKET:
			a->sock = optarg;
			break;
		case D_PCSC:
			a->pcsc = 1;
			a->reader = optarg;
			/* "--pcsc READER": the next word, unless it is an option or
			 * an ICCID (--pcsc=READER is never ambiguous). */
			if (!optarg && optind < argc && argv[optind][0] != '-' &&
			    !all_digits(argv[optind])) {
				a->reader = argv[optind++];
				a->reader_guessed = 1;
			}
			break;
		case D_AC:
			a->ac = optarg;
			break;
		case D_CC:
			a->cc = optarg;
			break;
		case D_CACERT:
			a->cacert = optarg;
			break;
		case D_PROCESS:
			a->process = 1;
			break;
		case D_REFRESH:
			a->refresh = 1;
			break;
		case D_TAC:
			a->tac = optarg;
			break;
		case D_IMEI:
			a->imei = optarg;
			break;
		case D_ENABLE:
			a->enable = 1;
			break;
		case D_BLOCK:
			if (sf_cli_uint("--block", optarg, 1, 255, &v) != 0)
				return SF_EXIT_USAGE;
			a->block = (size_t)v;
			break;
		case D_RETRIES:
			if (sf_cli_uint("--retries", optarg, 0, 1000, &v) != 0)
				return SF_EXIT_USAGE;
			a->retries = (unsigned)v;
			break;
		case D_RETRY_WAIT:
			if (sf_cli_uint("--retry-wait", optarg, 1, 3600, &v) != 0)
				return SF_EXIT_USAGE;
			a->retry_wait = (unsigned)v;
			break;
		}
	}
	if (want_pos) {
		/* "set-default-dp --pcsc ADDRESS": the word was the address. */
		if (want_pos == POS_ADDRESS && optind == argc && a->reader_guessed) {
			a->pos = a->reader;
			a->reader = NULL;
			return 0;
		}
		if (optind + 1 != argc) {
			sf_cli_err("%s: give exactly one %s (see --help)", argv[0],
			           want_pos == POS_ADDRESS ? "ADDRESS" : "ICCID");
			return SF_EXIT_USAGE;
		}
		a->pos = argv[optind];
	} else if (optind != argc) {
		sf_cli_err("%s: unexpected argument %s (see --help)", argv[0], argv[optind]);
		return SF_EXIT_USAGE;
	}
	return 0;
}

/* The card open with the ISD-R selected on a logical channel. */
struct dev {
	struct sf_ipa_transport t;
	struct sf_euicc *e;
	struct sf_ipa_es10 c;
};

static int dev_open(struct dev *d, const struct dargs *a)
{
	memset(d, 0, sizeof(*d));
	int rc = sf_cli_card_open(a->state, a->sock, a->reader, a->pcsc, &d->t, &d->e);
	if (rc)
		return rc;
	rc = sf_ipa_es10_open(&d->c, &d->t, a->block);
	if (rc) {
		if (rc == SF_EIPA_SW)
			sf_cli_err("%s: SELECT ISD-R answered %04X: no eUICC (ISD-R "
			           "A0000005591010FFFFFFFF8900000100) on this card",
			           d->t.name, d->c.last_sw);
		else
			sf_cli_err("%s: %s", d->t.name, sf_strerror(rc));
		sf_cli_card_close(&d->t, d->e);
		return SF_EXIT_FAIL;
	}
	return 0;
}

static void dev_close(struct dev *d)
{
	sf_ipa_es10_close(&d->c);
	sf_cli_card_close(&d->t, d->e);
	d->e = NULL;
}

/* An ES10 failure for a person. */
static int es10_err(struct dev *d, const char *fn, int rc)
{
	if (rc == SF_EIPA_SW)
		sf_cli_err("%s: the eUICC answered SW %04X%s", fn, d->c.last_sw,
		           d->c.last_sw == 0x6A88 ? " (function not supported by this eUICC)" : "");
	else
		sf_cli_err("%s: %s", fn, sf_strerror(rc));
	return SF_EXIT_FAIL;
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static void json_version(json_t *o, const char *key, const uint8_t *v, size_t n)
{
	char s[32];
	if (n != 3)
		return;
	snprintf(s, sizeof(s), "%u.%u.%u", v[0], v[1], v[2]);
	json_object_set_new(o, key, json_string(s));
}

static json_t *ski_list(const uint8_t *v, size_t n)
{
	json_t *arr = json_array();
	struct sf_der_iter it;
	struct sf_der_tlv t;
	sf_der_iter_init(&it, v, n);
	while (sf_der_iter_next(&it, &t) > 0) {
		if (t.tag != SF_DER_OCTET_STRING || t.len > 64)
			continue;
		char hex[129];
		sf_hex_encode(hex, sizeof(hex), t.val, t.len);
		json_array_append_new(arr, json_string(hex));
	}
	return arr;
}

/* extCardResource (ETSI TS 102 226 §8.2.1.3.2): 81 installed applications,
 * 82 free non-volatile memory, 83 free volatile memory. */
static void ext_card_resource(json_t *o, const uint8_t *v, size_t n)
{
	const uint8_t *p = v, *end = v + n;
	while (p < end) {
		uint32_t tag;
		const uint8_t *x;
		size_t xl;
		if (sf_der_get_tlv(&p, end, &tag, &x, &xl) != 0 || xl > 8)
			return;
		uint64_t val = 0;
		for (size_t i = 0; i < xl; i++)
			val = (val << 8) | x[i];
		if (tag == 0x81)
			json_object_set_new(o, "installed_applications",
			                    json_integer((json_int_t)val));
		else if (tag == 0x82)
			json_object_set_new(o, "free_nvm", json_integer((json_int_t)val));
		else if (tag == 0x83)
			json_object_set_new(o, "free_ram", json_integer((json_int_t)val));
	}
}

static const char info_usage[] =
    "Usage: simfleet device info (--state DIR | --socket PATH | --pcsc [READER])\n"
    "\n"
    "Prints the eUICC's EID and what GetEUICCInfo1/2 tell (SGP.22 §5.7.8): versions,\n"
    "the CI public key identifiers it verifies and signs with, free memory; and its\n"
    "configured addresses (ES10a.GetEuiccConfiguredAddresses): default_smdp_address\n"
    "(null when none is set) and root_smds_address.\n";

static int cmd_info(int argc, char **argv)
{
	struct dargs a;
	struct dev d;
	char eid[33];
	size_t n1, n2;
	static uint8_t i1[SF_IPA_RSP_MAX], i2[SF_IPA_RSP_MAX];
	int rc = parse(argc, argv, &a, info_usage, CARD_OPTS, 0);
	if (rc || a.help)
		return rc;
	if ((rc = dev_open(&d, &a)) != 0)
		return rc;
	if ((rc = sf_ipa_get_eid(&d.c, eid)) != 0) {
		rc = es10_err(&d, "GetEID", rc);
		goto out;
	}
	if ((rc = sf_ipa_get_info1(&d.c, i1, sizeof(i1), &n1)) != 0) {
		rc = es10_err(&d, "GetEUICCInfo1", rc);
		goto out;
	}
	if ((rc = sf_ipa_get_info2(&d.c, i2, sizeof(i2), &n2)) != 0) {
		rc = es10_err(&d, "GetEUICCInfo2", rc);
		goto out;
	}
	json_t *j = json_object();
	json_object_set_new(j, "eid", json_string(eid));
	json_object_set_new(j, "transport", json_string(d.t.name));
	/* EUICCInfo2 ::= [34] SEQUENCE { 81 profileVersion, 82 svn, 83
	 * euiccFirmwareVer, 84 extCardResource, 85 uiccCapability, 86
	 * ts102241Version, 87 globalplatformVersion, 88 rspCapability, A9/AA CI
	 * PKID lists, 8B euiccCategory, 99 forbiddenProfilePolicyRules, 04
	 * ppVersion, 0C sasAcreditationNumber, ... } */
	const uint8_t *p = i2, *v;
	size_t vl;
	if (sf_der_expect(&p, i2 + n2, 0xBF22, &v, &vl) == 0) {
		struct sf_der_iter it;
		struct sf_der_tlv t;
		sf_der_iter_init(&it, v, vl);
		while (sf_der_iter_next(&it, &t) > 0) {
			switch (t.tag) {
			case 0x81:
				json_version(j, "profile_version", t.val, t.len);
				break;
			case 0x82:
				json_version(j, "svn", t.val, t.len);
				break;
			case 0x83:
				json_version(j, "firmware_version", t.val, t.len);
				break;
			case 0x84:
				ext_card_resource(j, t.val, t.len);
				break;
			case 0x86:
				json_version(j, "ts102241_version", t.val, t.len);
				break;
			case 0x87:
				json_version(j, "globalplatform_version", t.val, t.len);
				break;
			case 0xA9:
				json_object_set_new(j, "ci_pkid_verification",
				                    ski_list(t.val, t.len));
				break;
			case 0xAA:
				json_object_set_new(j, "ci_pkid_signing", ski_list(t.val, t.len));
				break;
			case 0x8B:
				if (t.len == 1)
					json_object_set_new(j, "euicc_category",
					                    json_integer(t.val[0]));
				break;
			case 0x04:
				json_version(j, "pp_version", t.val, t.len);
				break;
			case 0x0C: {
				char s[65];
				size_t k = t.len < 64 ? t.len : 64;
				memcpy(s, t.val, k);
				s[k] = '\0';
				json_object_set_new(j, "sas_accreditation_number", json_string(s));
				break;
			}
			default:
				break;
			}
		}
	}
	/* ES10a: where a download without an activation code goes. */
	char dp[256], ds[256];
	int ar = sf_ipa_get_addresses(&d.c, dp, ds);
	if (ar)
		fprintf(stderr, "simfleet: GetEuiccConfiguredAddresses: %s (SW %04X)\n",
		        sf_strerror(ar), d.c.last_sw);
	json_object_set_new(j, "default_smdp_address", str_or_null(ar ? "" : dp));
	json_object_set_new(j, "root_smds_address", str_or_null(ar ? "" : ds));
	char hex[2 * SF_IPA_RSP_MAX + 1];
	sf_hex_encode(hex, sizeof(hex), i1, n1);
	json_object_set_new(j, "euicc_info1", json_string(hex));
	sf_hex_encode(hex, sizeof(hex), i2, n2);
	json_object_set_new(j, "euicc_info2", json_string(hex));
	rc = sf_cli_print(j);
out:
	dev_close(&d);
	return rc;
}

static const char profiles_usage[] =
    "Usage: simfleet device profiles (--state DIR | --socket PATH | --pcsc [READER])\n"
    "\n"
    "Lists the profiles (ES10c.GetProfilesInfo): iccid, isdp_aid, state, class,\n"
    "nickname, spn (service provider), name.\n";

static int cmd_profiles(int argc, char **argv)
{
	static const char *cls[] = {"test", "provisioning", "operational"};
	struct dargs a;
	struct dev d;
	struct sf_profile_info list[32];
	size_t n = 0;
	int rc = parse(argc, argv, &a, profiles_usage, CARD_OPTS, 0);
	if (rc || a.help)
		return rc;
	if ((rc = dev_open(&d, &a)) != 0)
		return rc;
	rc = sf_ipa_get_profiles(&d.c, list, 32, &n);
	if (rc && rc != SF_EBUFSIZE) {
		rc = es10_err(&d, "GetProfilesInfo", rc);
		goto out;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n && i < 32; i++) {
		struct sf_profile_info *p = &list[i];
		json_t *o = json_object();
		char aid[33];
		sf_hex_encode(aid, sizeof(aid), p->isdp_aid, p->isdp_aid_len);
		json_object_set_new(o, "iccid", json_string(p->iccid));
		json_object_set_new(o, "isdp_aid", json_string(aid));
		json_object_set_new(o, "state", json_string(p->state ? "enabled" : "disabled"));
		json_object_set_new(o, "class",
		                    json_string(p->pclass < 3 ? cls[p->pclass] : "unknown"));
		json_object_set_new(o, "nickname", json_string(p->nickname));
		json_object_set_new(o, "spn", json_string(p->spn));
		json_object_set_new(o, "name", json_string(p->name));
		json_array_append_new(arr, o);
	}
	json_t *j = json_object();
	json_object_set_new(j, "profiles", arr);
	rc = sf_cli_print(j);
out:
	dev_close(&d);
	return rc;
}

static const char op_usage[] =
    "Usage: simfleet device enable|disable|delete ICCID\n"
    "                (--state DIR | --socket PATH | --pcsc[=READER]) [--refresh]\n"
    "\n"
    "ES10c.EnableProfile / DisableProfile / DeleteProfile by ICCID.  --refresh sets\n"
    "refreshFlag (the eUICC then resets the modem's session; off by default).\n"
    "Prints {\"iccid\", \"result\", \"code\"}; exit 0 when result is \"ok\", 1 otherwise.\n";

static int profile_op(int argc, char **argv, uint32_t fn)
{
	struct dargs a;
	struct dev d;
	int rc =
	    parse(argc, argv, &a, op_usage, CARD_OPTS | (fn != 0xBF33 ? ALLOW(D_REFRESH) : 0), 1);
	if (rc || a.help)
		return rc;
	size_t l = strlen(a.pos);
	if (l < 18 || l > 20 || !all_digits(a.pos)) {
		sf_cli_err("%s: ICCID must be 18 to 20 digits, not \"%s\"", argv[0], a.pos);
		return SF_EXIT_USAGE;
	}
	if ((rc = dev_open(&d, &a)) != 0)
		return rc;
	int r = fn == 0xBF31   ? sf_ipa_enable(&d.c, a.pos, a.refresh)
	        : fn == 0xBF32 ? sf_ipa_disable(&d.c, a.pos, a.refresh)
	                       : sf_ipa_delete(&d.c, a.pos);
	if (r < 0) {
		rc = es10_err(&d, argv[0], r);
		goto out;
	}
	json_t *j = json_object();
	json_object_set_new(j, "iccid", json_string(a.pos));
	json_object_set_new(j, "result", json_string(sf_ipa_result_name(fn, r)));
	json_object_set_new(j, "code", json_integer(r));
	rc = print_outcome(j, r != 0);
out:
	dev_close(&d);
	return rc;
}

static int cmd_enable(int argc, char **argv)
{
	return profile_op(argc, argv, 0xBF31);
}
static int cmd_disable(int argc, char **argv)
{
	return profile_op(argc, argv, 0xBF32);
}
static int cmd_delete(int argc, char **argv)
{
	return profile_op(argc, argv, 0xBF33);
}

static void progress_line(void *user, const char *line)
{
	(void)user;
	fprintf(stderr, "simfleet: %s\n", line);
}

static const char notif_usage[] =
    "Usage: simfleet device notifications (--state DIR | --socket PATH | --pcsc [READER])\n"
    "                [--process [--cacert FILE]]\n"
    "\n"
    "Lists the eUICC's pending notifications (ES10b.ListNotification).  With --process,\n"
    "sends each to its notificationAddress with ES9+ handleNotification over HTTPS\n"
    "(verified against --cacert FILE, else the system trust store) and removes it\n"
    "from the eUICC once delivered.  Exit 1 when any could not be delivered.\n";

static int cmd_notifications(int argc, char **argv)
{
	static const char *ev[] = {"install", "enable", "disable", "delete"};
	struct dargs a;
	struct dev d;
	struct sf_notification list[64];
	size_t n = 0;
	int failed = 0;
	int rc =
	    parse(argc, argv, &a, notif_usage, CARD_OPTS | ALLOW(D_PROCESS) | ALLOW(D_CACERT), 0);
	if (rc || a.help)
		return rc;
	if ((rc = dev_open(&d, &a)) != 0)
		return rc;
	rc = sf_ipa_list_notifications(&d.c, list, 64, &n);
	if (rc && rc != SF_EBUFSIZE) {
		rc = es10_err(&d, "ListNotification", rc);
		goto out;
	}
	if (n > 64)
		n = 64;
	struct sf_ipa_net_cfg net = {.cacert = a.cacert, .progress = progress_line};
	static uint8_t pn[SF_IPA_RSP_MAX];
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		struct sf_notification *m = &list[i];
		json_t *o = json_object();
		json_object_set_new(o, "seq", json_integer(m->seq));
		json_object_set_new(o, "event",
		                    json_string(m->event < 4 ? ev[m->event] : "unknown"));
		json_object_set_new(o, "address", json_string(m->address));
		json_object_set_new(o, "iccid", str_or_null(m->iccid));
		if (a.process) {
			size_t pl = 0;
			struct sf_ipa_result res;
			int delivered = 0, removed = 0;
			const char *err = NULL;
			char ebuf[600];
			int r = sf_ipa_retrieve_notification(&d.c, m->seq, pn, sizeof(pn), &pl);
			if (!m->address[0]) {
				snprintf(ebuf, sizeof(ebuf),
				         "no notificationAddress: nowhere to deliver it (a profile "
				         "installed locally?)");
				err = ebuf;
			} else if (r) {
				snprintf(ebuf, sizeof(ebuf), "RetrieveNotificationsList: %s%s",
				         sf_strerror(r),
				         r == SF_EIPA_REFUSED ? " (the eUICC cannot give it signed)"
				                              : "");
				err = ebuf;
			} else if ((r = sf_ipa_send_notification(m->address, pn, pl, &net, &res)) !=
			           0) {
				snprintf(ebuf, sizeof(ebuf), "%s", res.message);
				err = ebuf;
			} else {
				delivered = 1;
				r = sf_ipa_remove_notification(&d.c, m->seq);
				removed = r == SF_ES10_OK;
				if (!removed) {
					snprintf(ebuf, sizeof(ebuf),
					         "RemoveNotificationFromList: %s",
					         r < 0 ? sf_strerror(r)
					               : "nothingToDelete/undefinedError");
					err = ebuf;
				}
			}
			if (err) {
				failed = 1;
				fprintf(stderr, "simfleet: notification %u: %s\n", m->seq, err);
			}
			json_object_set_new(o, "delivered", json_boolean(delivered));
			json_object_set_new(o, "removed", json_boolean(removed));
			json_object_set_new(o, "error", str_or_null(err));
		}
		json_array_append_new(arr, o);
	}
	json_t *j = json_object();
	json_object_set_new(j, "notifications", arr);
	rc = print_outcome(j, failed);
out:
	dev_close(&d);
	return rc;
}

/* Seconds to wait before retry number n (1, 2, ...): first * 2^(n-1), at
 * most an hour, +/- 20 % at random so that devices cut off together do not
 * come back together; at least the server's Retry-After. */
static unsigned retry_delay(unsigned first, unsigned n, long retry_after)
{
	double w = first;
	for (unsigned i = 1; i < n && w < 3600; i++)
		w *= 2;
	if (w > 3600)
		w = 3600;
	uint8_t r[2] = {0, 0};
	if (sf_rng_fill(sf_rng_system(), r, sizeof(r)) == 0)
		w *= 0.8 + 0.4 * (double)(r[0] << 8 | r[1]) / 65535.0;
	if (retry_after > 0 && w < (double)retry_after)
		w = (double)(retry_after < 3600 ? retry_after : 3600);
	return w < 1 ? 1 : (unsigned)(w + 0.5);
}

static const char download_usage[] =
    "Usage: simfleet device download [--activation-code AC] [--confirmation-code CODE]\n"
    "                [--cacert FILE] (--state DIR | --socket PATH | --pcsc [READER])\n"
    "                [--tac HEX8] [--imei HEX16] [--enable [--refresh]]\n"
    "                [--retries N [--retry-wait SECONDS]]\n"
    "\n"
    "Downloads and installs a profile (SGP.22 §3.1.3).  AC is the activation code as\n"
    "SGP.22 §4.1 writes it, with or without the LPA: prefix of a QR code:\n"
    "  1$SMDP.EXAMPLE.COM$MATCHINGID[$OID[$1]]   ($1 at the end: a confirmation code\n"
    "  is required).  Without --activation-code (first power-up, no one to scan a QR\n"
    "code) the download goes to the eUICC's default SM-DP+ address (see `device\n"
    "set-default-dp`) with no matchingId, and that SM-DP+ serves the order it holds\n"
    "for this eUICC's EID (SGP.22 §3.1.2).  The SM-DP+'s TLS certificate is verified\n"
    "against --cacert FILE, else the system trust store; this cannot be turned off.\n"
    "Progress lines go to stderr; the result is JSON on stdout: result \"ok\" with\n"
    "iccid, or the failed step, message and the SM-DP+'s subjectCode/reasonCode.\n"
    "Exit 0 on success.  The new profile is installed disabled; --enable enables it\n"
    "afterwards.\n"
    "--retries N: for a device on its own, up to N more attempts after a failure\n"
    "that may pass (the SM-DP+ unreachable, the connection lost, HTTP 429 or 5xx),\n"
    "waiting --retry-wait SECONDS (default 5) before the first, twice as long before\n"
    "each next (at most an hour, give or take a fifth at random so a fleet does not\n"
    "come back at once), or the server's Retry-After if longer.  A refusal (wrong\n"
    "matchingId, EID, code, expired order, eUICC error) is never retried.  Each\n"
    "attempt that reached authenticateClient counts against the order's attempts.\n";

static int cmd_download(int argc, char **argv)
{
	struct dargs a;
	struct dev d;
	struct sf_ipa_download_cfg cfg;
	struct sf_ipa_result res;
	struct sf_ipa_ac ac;
	int rc = parse(argc, argv, &a, download_usage,
	               CARD_OPTS | ALLOW(D_AC) | ALLOW(D_CC) | ALLOW(D_CACERT) | ALLOW(D_TAC) |
	                   ALLOW(D_IMEI) | ALLOW(D_ENABLE) | ALLOW(D_REFRESH) | ALLOW(D_RETRIES) |
	                   ALLOW(D_RETRY_WAIT),
	               0);
	if (rc || a.help)
		return rc;
	if (a.ac && sf_ipa_ac_parse(a.ac, &ac) != 0) {
		sf_cli_err("--activation-code: not an SGP.22 activation code: expected "
		           "[LPA:]1$SMDP.ADDRESS$MATCHINGID[$OID[$CCFLAG]]");
		return SF_EXIT_USAGE;
	}
	if (a.ac && ac.cc_required && !a.cc) {
		sf_cli_err("--activation-code: this code requires a confirmation code: give "
		           "--confirmation-code CODE");
		return SF_EXIT_USAGE;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.activation_code = a.ac;
	cfg.confirmation_code = a.cc;
	/* DeviceInfo: a TAC (8 digits of the IMEI: the device model) and the
	 * radio releases supported.  The defaults describe an LTE/NR M2M module. */
	static const uint8_t tac_default[4] = {0x35, 0x29, 0x06, 0x11};
	memcpy(cfg.dev.tac, tac_default, 4);
	if (a.tac && sf_cli_hex("--tac", a.tac, 0, cfg.dev.tac, 4, 4, NULL) != 0)
		return SF_EXIT_USAGE;
	if (a.imei) {
		if (sf_cli_hex("--imei", a.imei, 0, cfg.dev.imei, 8, 8, NULL) != 0)
			return SF_EXIT_USAGE;
		cfg.dev.have_imei = 1;
	}
	static const uint8_t r15[3] = {15, 0, 0};
	memcpy(cfg.dev.gsm, r15, 3);
	memcpy(cfg.dev.utran, r15, 3);
	memcpy(cfg.dev.eutran_epc, r15, 3);
	memcpy(cfg.dev.nr_5gc, r15, 3);
	cfg.net.cacert = a.cacert;
	cfg.net.progress = progress_line;
	if (a.retry_wait && !a.retries) {
		sf_cli_err("--retry-wait goes with --retries N");
		return SF_EXIT_USAGE;
	}
	if ((rc = dev_open(&d, &a)) != 0)
		return rc;
	unsigned attempt = 1;
	int r = sf_ipa_download(&d.c, &cfg, &res);
	for (; r != 0 && res.retryable && attempt <= a.retries; attempt++) {
		unsigned wait = retry_delay(a.retry_wait ? a.retry_wait : 5, attempt, res.retry_after_s);
		fprintf(stderr, "simfleet: attempt %u failed: %s; retrying in %u s (%u of %u left)\n",
		        attempt, res.message, wait, a.retries - attempt + 1, a.retries);
		sleep(wait);
		r = sf_ipa_download(&d.c, &cfg, &res);
	}
	int en = 0, tried = 0;
	if (r == 0 && a.enable && res.iccid[0]) {
		tried = 1;
		en = sf_ipa_enable(&d.c, res.iccid, a.refresh);
		fprintf(stderr, "simfleet: ES10c.EnableProfile %s: %s\n", res.iccid,
		        en < 0 ? sf_strerror(en) : sf_ipa_result_name(0xBF31, en));
	}
	dev_close(&d);
	json_t *j = json_object();
	json_object_set_new(j, "result", json_string(r == 0 ? "ok" : "error"));
	json_object_set_new(j, "smdp", str_or_null(res.smdp));
	if (!a.ac)
		json_object_set_new(j, "default_smdp", json_true());
	json_object_set_new(j, "transaction_id", str_or_null(res.tid));
	json_object_set_new(j, "iccid", str_or_null(res.iccid));
	json_object_set_new(j, "attempts", json_integer(attempt));
	if (r) {
		json_object_set_new(j, "error", json_string(sf_err_name(r)));
		json_object_set_new(j, "step", str_or_null(res.step));
		json_object_set_new(j, "message", json_string(res.message));
		fprintf(stderr, "simfleet: download failed: %s\n", res.message);
		if (res.status[0]) {
			json_t *s = json_object();
			json_object_set_new(s, "status", json_string(res.status));
			json_object_set_new(s, "subjectCode", str_or_null(res.subject_code));
			json_object_set_new(s, "reasonCode", str_or_null(res.reason_code));
			json_object_set_new(s, "subjectIdentifier", str_or_null(res.subject_id));
			json_object_set_new(j, "smdp_status", s);
		}
		if (res.es10_code >= 0)
			json_object_set_new(j, "euicc_error_code", json_integer(res.es10_code));
	}
	if (res.have_pir) {
		json_t *p = json_object();
		json_object_set_new(p, "ok", json_boolean(res.pir.ok));
		json_object_set_new(p, "seq", json_integer(res.pir.seq));
		if (!res.pir.ok) {
			json_object_set_new(p, "bppCommandId",
			                    json_integer(res.pir.bpp_command_id));
			json_object_set_new(p, "errorReason", json_integer(res.pir.error_reason));
		}
		json_object_set_new(p, "delivered", json_boolean(res.pir_delivered));
		json_object_set_new(p, "removed", json_boolean(res.pir_removed));
		json_object_set_new(j, "install_result", p);
	}
	if (tried)
		json_object_set_new(
		    j, "enable",
		    json_string(en < 0 ? sf_err_name(en) : sf_ipa_result_name(0xBF31, en)));
	rc = sf_cli_print(j);
	return r == 0 && en == 0 && rc == SF_EXIT_OK ? SF_EXIT_OK : SF_EXIT_FAIL;
}

static const char set_dp_usage[] =
    "Usage: simfleet device set-default-dp ADDRESS\n"
    "                (--state DIR | --socket PATH | --pcsc[=READER])\n"
    "\n"
    "Sets the eUICC's default SM-DP+ address (ES10a.SetDefaultDpAddress, SGP.22\n"
    "§5.7.4): where `device download` goes without an activation code.  ADDRESS is an\n"
    "SM-DP+ address as an activation code carries it (smdp.example.com, or\n"
    "HOST:PORT); '' clears it.  `device info` shows it.  Prints\n"
    "{\"default_smdp_address\", \"result\", \"code\"}; exit 0 when result is \"ok\".\n";

static int cmd_set_default_dp(int argc, char **argv)
{
	struct dargs a;
	struct dev d;
	int rc = parse(argc, argv, &a, set_dp_usage, CARD_OPTS, POS_ADDRESS);
	if (rc || a.help)
		return rc;
	if (a.pos[0] && !sf_ipa_smdp_address_valid(a.pos)) {
		sf_cli_err("%s: \"%s\" is not an SM-DP+ address: expected a host name or IP "
		           "address with an optional :PORT (or '' to clear it)",
		           argv[0], a.pos);
		return SF_EXIT_USAGE;
	}
	if ((rc = dev_open(&d, &a)) != 0)
		return rc;
	int r = sf_ipa_set_default_dp(&d.c, a.pos);
	if (r < 0) {
		rc = es10_err(&d, "SetDefaultDpAddress", r);
		goto out;
	}
	json_t *j = json_object();
	json_object_set_new(j, "default_smdp_address", str_or_null(a.pos));
	json_object_set_new(j, "result",
	                    json_string(r == 0     ? "ok"
	                                : r == 127 ? "undefinedError"
	                                           : "unknown"));
	json_object_set_new(j, "code", json_integer(r));
	rc = print_outcome(j, r != 0);
out:
	dev_close(&d);
	return rc;
}

static const struct sf_cli_cmd device_cmds[] = {
    {"download", cmd_download, "download and install a profile from an SM-DP+ (ES9+)"},
    {"info", cmd_info, "EID, versions, CI key identifiers, free memory"},
    {"profiles", cmd_profiles, "list the profiles"},
    {"enable", cmd_enable, "enable a profile by ICCID"},
    {"disable", cmd_disable, "disable a profile by ICCID"},
    {"delete", cmd_delete, "delete a profile by ICCID"},
    {"notifications", cmd_notifications, "pending notifications; --process delivers them"},
    {"set-default-dp", cmd_set_default_dp, "set the eUICC's default SM-DP+ address (ES10a)"},
    {NULL, NULL, NULL},
};

static const char device_help[] =
    "Usage: simfleet device COMMAND (--state DIR | --socket PATH | --pcsc [READER]) ...\n"
    "\n"
    "The device agent (LPA/IPA, GSMA SGP.22): drives an eUICC over ES10 and talks to\n"
    "SM-DP+ servers over ES9+ (HTTPS).  The eUICC: --state DIR opens a software eUICC\n"
    "in-process; --socket PATH talks to `simfleet euicc serve --socket PATH`;\n"
    "--pcsc [READER] uses a card reader through pcscd (the first reader with a card\n"
    "when none is named).  JSON on stdout, progress and errors on stderr.\n";

int sf_cmd_device(int argc, char **argv)
{
	return sf_cli_dispatch("device", device_cmds, argc, argv, device_help);
}
