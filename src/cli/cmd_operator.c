/*
 * simfleet operator: the operator's ES2+ client of an SM-DP+ (GSMA SGP.22
 * v2.5 §5.3: DownloadOrder, ConfirmOrder, CancelOrder, ReleaseProfile; JSON
 * binding §6.5).  libcurl over HTTPS, the server verified against --cacert
 * (or the system trust store); the operator authenticates with the bearer
 * token of its credentials file (DATA/operators/NAME.json, written by
 * `smdp serve`).  Results are JSON on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli.h"
#include "simfleet/err.h"
#include "simfleet/tre.h"
#include "simfleet/util.h"

#define RESPONSE_MAX (1024u * 1024)

struct client {
	char url[512]; /* https://HOST:PORT */
	char token[520];
	char op[72];
	const char *cacert;
	unsigned long call;
};

/* POSTs body (released) to /gsma/rsp2/es2plus/fn; on Executed-Success
 * returns the response object, otherwise prints the status and returns
 * NULL. */
static json_t *call(struct client *c, const char *fn, json_t *body)
{
	char url[700], auth[560], cid[32];
	json_t *hdr = json_object(), *res = NULL;
	snprintf(cid, sizeof(cid), "%lu", ++c->call);
	json_object_set_new(hdr, "functionRequesterIdentifier", json_string(c->op));
	json_object_set_new(hdr, "functionCallIdentifier", json_string(cid));
	json_object_set_new(body, "header", hdr);
	char *txt = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	snprintf(url, sizeof(url), "%s/gsma/rsp2/es2plus/%s", c->url, fn);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
	struct sf_growbuf b = {.max = RESPONSE_MAX};
	struct curl_slist *h = NULL;
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Accept: application/json");
	h = curl_slist_append(h, "X-Admin-Protocol: gsma/rsp/v2.2.0");
	h = curl_slist_append(h, auth);
	sf_wipe(auth, sizeof(auth));
	CURL *cu = curl_easy_init();
	if (!cu || !txt) {
		sf_cli_err("%s: out of memory", fn);
		goto out;
	}
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(cu, CURLOPT_POSTFIELDS, txt);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, sf_growbuf_curl);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(cu, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(cu, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->cacert)
		curl_easy_setopt(cu, CURLOPT_CAINFO, c->cacert);
	CURLcode r = curl_easy_perform(cu);
	if (r != CURLE_OK) {
		sf_cli_err("%s %s: %s%s", fn, url, curl_easy_strerror(r),
		           r == CURLE_PEER_FAILED_VERIFICATION || r == CURLE_SSL_CACERT_BADFILE
		               ? " (pass the SM-DP+'s CI or DPtls certificate with --cacert)"
		               : "");
		goto out;
	}
	long code = 0;
	curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &code);
	json_t *j = b.p ? json_loads(b.p, 0, NULL) : NULL;
	json_t *fes = json_object_get(json_object_get(j, "header"), "functionExecutionStatus");
	const char *st = json_string_value(json_object_get(fes, "status"));
	if (code == 200 && st && strcmp(st, "Executed-Success") == 0) {
		res = j;
	} else {
		json_t *cd = json_object_get(fes, "statusCodeData");
		sf_cli_err("%s: HTTP %ld, %s %s/%s: %s", fn, code, st ? st : "(no status)",
		           json_string_value(json_object_get(cd, "subjectCode"))
		               ? json_string_value(json_object_get(cd, "subjectCode"))
		               : "-",
		           json_string_value(json_object_get(cd, "reasonCode"))
		               ? json_string_value(json_object_get(cd, "reasonCode"))
		               : "-",
		           json_string_value(json_object_get(cd, "message"))
		               ? json_string_value(json_object_get(cd, "message"))
		           : code == 401 ? "the token of --credentials is not accepted"
		                         : "");
		json_decref(j);
	}
out:
	if (cu)
		curl_easy_cleanup(cu);
	curl_slist_free_all(h);
	if (txt) {
		sf_wipe(txt, strlen(txt));
		free(txt);
	}
	sf_growbuf_free(&b);
	return res;
}

/* Reads {"operator","token","url"} (mode 0600). */
static int load_credentials(struct client *c, const char *path, const char *smdp)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		sf_cli_err("--credentials %s: %s", path, strerror(errno));
		return SF_EXIT_USAGE;
	}
	if (!sf_file_is_private(fd)) {
		close(fd);
		sf_cli_err("--credentials %s: must be a regular file of mode 0600 owned by you "
		           "(chmod 600 %s)",
		           path, path);
		return SF_EXIT_USAGE;
	}
	json_error_t e;
	json_t *j = json_loadfd(fd, 0, &e);
	close(fd);
	const char *op = json_string_value(json_object_get(j, "operator"));
	const char *tok = json_string_value(json_object_get(j, "token"));
	const char *url = json_string_value(json_object_get(j, "url"));
	if (!op || !tok || strlen(tok) >= sizeof(c->token) || strlen(op) >= sizeof(c->op)) {
		sf_cli_err("--credentials %s: expected {\"operator\", \"token\", \"url\"} as `smdp "
		           "serve` writes it",
		           path);
		json_decref(j);
		return SF_EXIT_USAGE;
	}
	snprintf(c->op, sizeof(c->op), "%s", op);
	snprintf(c->token, sizeof(c->token), "%s", tok);
	const char *u = smdp ? smdp : url;
	if (!u || strncmp(u, "https://", 8) != 0 || strlen(u) >= sizeof(c->url)) {
		sf_cli_err("--smdp: expected https://HOST:PORT (or a \"url\" in --credentials)");
		json_decref(j);
		return SF_EXIT_USAGE;
	}
	snprintf(c->url, sizeof(c->url), "%s", u);
	size_t n = strlen(c->url);
	while (n > 8 && c->url[n - 1] == '/')
		c->url[--n] = '\0';
	json_decref(j);
	return 0;
}

enum {
	O_SMDP = 1000,
	O_CRED,
	O_ICCID,
	O_TYPE,
	O_EID,
	O_MID,
	O_CONFIRM,
	O_RELEASE,
	O_CC,
	O_CACERT,
	O_FINAL,
	O_HELP
};

struct args {
	const char *smdp, *cred, *iccid, *ptype, *eid, *mid, *cc, *cacert, *final;
	int confirm, release;
};

static int parse(int argc, char **argv, struct args *a, const char *usage, const char *name)
{
	static const struct option lo[] = {{"smdp", required_argument, 0, O_SMDP},
	                                   {"credentials", required_argument, 0, O_CRED},
	                                   {"iccid", required_argument, 0, O_ICCID},
	                                   {"profile-type", required_argument, 0, O_TYPE},
	                                   {"eid", required_argument, 0, O_EID},
	                                   {"matching-id", required_argument, 0, O_MID},
	                                   {"confirm", no_argument, 0, O_CONFIRM},
	                                   {"release", no_argument, 0, O_RELEASE},
	                                   {"cc", required_argument, 0, O_CC},
	                                   {"cacert", required_argument, 0, O_CACERT},
	                                   {"final", required_argument, 0, O_FINAL},
	                                   {"help", no_argument, 0, O_HELP},
	                                   {0, 0, 0, 0}};
	int ch;
	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (ch) {
		case O_SMDP:
			a->smdp = optarg;
			break;
		case O_CRED:
			a->cred = optarg;
			break;
		case O_ICCID:
			a->iccid = optarg;
			break;
		case O_TYPE:
			a->ptype = optarg;
			break;
		case O_EID:
			a->eid = optarg;
			break;
		case O_MID:
			a->mid = optarg;
			break;
		case O_CONFIRM:
			a->confirm = 1;
			break;
		case O_RELEASE:
			a->release = 1;
			break;
		case O_CC:
			a->cc = optarg;
			break;
		case O_CACERT:
			a->cacert = optarg;
			break;
		case O_FINAL:
			a->final = optarg;
			break;
		case 'h':
		case O_HELP:
			fputs(usage, stdout);
			return -1;
		default:
			sf_cli_err("operator %s: unknown or incomplete option %s (see --help)",
			           name, argv[optind - 1]);
			return SF_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		sf_cli_err("operator %s: unexpected argument %s (see --help)", name, argv[optind]);
		return SF_EXIT_USAGE;
	}
	if (!a->cred) {
		sf_cli_err(
		    "operator %s: --credentials FILE is required (DATA/operators/NAME.json of "
		    "the SM-DP+)",
		    name);
		return SF_EXIT_USAGE;
	}
	if (a->eid && (strlen(a->eid) != 32 || strspn(a->eid, "0123456789") != 32)) {
		sf_cli_err("--eid %s: expected 32 digits", a->eid);
		return SF_EXIT_USAGE;
	}
	return 0;
}

static const char order_usage[] =
    "Usage: simfleet operator order --credentials FILE [--smdp URL] [--cacert FILE]\n"
    "           (--iccid ICCID | --profile-type NAME) [--eid EID]\n"
    "           [--confirm] [--release] [--matching-id ID] [--cc CODE]\n\n"
    "ES2+ DownloadOrder reserves a profile (a given ICCID, or any available one of a\n"
    "profile type), bound to --eid when given.  --confirm adds ConfirmOrder (with\n"
    "--matching-id, or one the SM-DP+ makes, and the confirmation code --cc);\n"
    "--release (implies --confirm) releases it for download at once.\n"
    "Prints {iccid, state, matching_id, activation_code \"1$SMDP$MATCHINGID\"}.\n"
    "--credentials: the operator's file written by `smdp serve` (mode 0600); its url\n"
    "is the default for --smdp.  --cacert: the CA (or certificate) to verify the\n"
    "SM-DP+'s TLS certificate with; default the system store.\n";

static int cmd_order(int argc, char **argv)
{
	struct args a;
	struct client c;
	int rc = parse(argc, argv, &a, order_usage, "order");
	if (rc)
		return rc < 0 ? SF_EXIT_OK : rc;
	if (!a.iccid == !a.ptype) {
		sf_cli_err("operator order: give --iccid or --profile-type (one of them)");
		return SF_EXIT_USAGE;
	}
	if (a.final) {
		sf_cli_err("operator order: --final belongs to `operator cancel`");
		return SF_EXIT_USAGE;
	}
	if (a.release)
		a.confirm = 1;
	if (!a.confirm && (a.mid || a.cc)) {
		sf_cli_err("operator order: --matching-id and --cc go with --confirm or --release");
		return SF_EXIT_USAGE;
	}
	memset(&c, 0, sizeof(c));
	c.cacert = a.cacert;
	if ((rc = load_credentials(&c, a.cred, a.smdp)) != 0)
		return rc;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = SF_EXIT_FAIL;
	json_t *q = json_object(), *r;
	if (a.eid)
		json_object_set_new(q, "eid", json_string(a.eid));
	if (a.iccid)
		json_object_set_new(q, "iccid", json_string(a.iccid));
	if (a.ptype)
		json_object_set_new(q, "profileType", json_string(a.ptype));
	if (!(r = call(&c, "downloadOrder", q)))
		goto out;
	json_t *out = json_object();
	const char *iccid = json_string_value(json_object_get(r, "iccid"));
	json_object_set_new(out, "iccid", json_string(iccid ? iccid : ""));
	json_object_set_new(out, "state", json_string(a.eid ? "linked" : "allocated"));
	if (a.eid)
		json_object_set_new(out, "eid", json_string(a.eid));
	if (a.confirm && iccid) {
		q = json_object();
		json_object_set_new(q, "iccid", json_string(iccid));
		if (a.eid)
			json_object_set_new(q, "eid", json_string(a.eid));
		if (a.mid)
			json_object_set_new(q, "matchingId", json_string(a.mid));
		if (a.cc)
			json_object_set_new(q, "confirmationCode", json_string(a.cc));
		json_object_set_new(q, "releaseFlag", json_boolean(a.release));
		json_t *r2 = call(&c, "confirmOrder", q);
		if (!r2) {
			sf_cli_err(
			    "operator order: profile %s stays ordered (not confirmed): `operator "
			    "cancel --iccid %s` frees it",
			    iccid, iccid);
			json_decref(out);
			json_decref(r);
			goto out;
		}
		const char *mid = json_string_value(json_object_get(r2, "matchingId"));
		const char *addr = json_string_value(json_object_get(r2, "smdpAddress"));
		char ac[1400];
		if (!addr) {
			/* The host of --smdp. */
			addr = c.url + 8;
		}
		snprintf(ac, sizeof(ac), "1$%s$%s", addr, mid ? mid : "");
		json_object_set_new(out, "state",
		                    json_string(a.release ? "released" : "confirmed"));
		json_object_set_new(out, "matching_id", json_string(mid ? mid : ""));
		json_object_set_new(out, "smdp_address", json_string(addr));
		json_object_set_new(out, "activation_code", json_string(ac));
		json_object_set_new(out, "cc_required", json_boolean(a.cc != NULL));
		json_decref(r2);
	}
	json_decref(r);
	rc = sf_cli_print(out);
out:
	sf_wipe(c.token, sizeof(c.token));
	curl_global_cleanup();
	return rc;
}

static const char cancel_usage[] =
    "Usage: simfleet operator cancel --credentials FILE [--smdp URL] [--cacert FILE]\n"
    "           --iccid ICCID [--eid EID] [--matching-id ID] [--final available|unavailable]\n\n"
    "ES2+ CancelOrder: ends the order of a profile (not yet installed); the profile\n"
    "becomes available again (default) or unavailable.  Prints {iccid, state}.\n";

static const char release_usage[] =
    "Usage: simfleet operator release --credentials FILE [--smdp URL] [--cacert FILE]\n"
    "           --iccid ICCID\n\n"
    "ES2+ ReleaseProfile: a confirmed order becomes downloadable.  Prints {iccid, state}.\n";

static int cancel_or_release(int argc, char **argv, int release)
{
	struct args a;
	struct client c;
	const char *name = release ? "release" : "cancel";
	int rc = parse(argc, argv, &a, release ? release_usage : cancel_usage, name);
	if (rc)
		return rc < 0 ? SF_EXIT_OK : rc;
	if (!a.iccid || a.ptype || a.confirm || a.release || a.cc ||
	    (release && (a.eid || a.mid || a.final))) {
		sf_cli_err("operator %s: --iccid is required; see --help for the other flags",
		           name);
		return SF_EXIT_USAGE;
	}
	const char *fin = "Available";
	if (a.final) {
		if (strcmp(a.final, "available") == 0)
			fin = "Available";
		else if (strcmp(a.final, "unavailable") == 0)
			fin = "Unavailable";
		else {
			sf_cli_err("--final %s: expected available or unavailable", a.final);
			return SF_EXIT_USAGE;
		}
	}
	memset(&c, 0, sizeof(c));
	c.cacert = a.cacert;
	if ((rc = load_credentials(&c, a.cred, a.smdp)) != 0)
		return rc;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = SF_EXIT_FAIL;
	json_t *q = json_object(), *r;
	json_object_set_new(q, "iccid", json_string(a.iccid));
	if (!release) {
		if (a.eid)
			json_object_set_new(q, "eid", json_string(a.eid));
		if (a.mid)
			json_object_set_new(q, "matchingId", json_string(a.mid));
		json_object_set_new(q, "finalProfileStatusIndicator", json_string(fin));
	}
	if ((r = call(&c, release ? "releaseProfile" : "cancelOrder", q)) != NULL) {
		json_decref(r);
		json_t *out = json_object();
		json_object_set_new(out, "iccid", json_string(a.iccid));
		json_object_set_new(out, "state",
		                    json_string(release                         ? "released"
		                                : strcmp(fin, "Available") == 0 ? "available"
		                                                                : "unavailable"));
		rc = sf_cli_print(out);
	}
	sf_wipe(c.token, sizeof(c.token));
	curl_global_cleanup();
	return rc;
}

static int cmd_cancel(int argc, char **argv)
{
	return cancel_or_release(argc, argv, 0);
}

static int cmd_release(int argc, char **argv)
{
	return cancel_or_release(argc, argv, 1);
}

static const struct sf_cli_cmd op_cmds[] = {
    {"order", cmd_order, "DownloadOrder (+ ConfirmOrder, release): prints the activation code"},
    {"cancel", cmd_cancel, "CancelOrder: the profile becomes available (or unavailable)"},
    {"release", cmd_release, "ReleaseProfile: a confirmed order becomes downloadable"},
    {NULL, NULL, NULL},
};

int sf_cmd_operator(int argc, char **argv)
{
	return sf_cli_dispatch("operator", op_cmds, argc, argv,
	                       "Usage: simfleet operator COMMAND [ARGS...]\n\n"
	                       "The operator's ES2+ client of an SM-DP+ (GSMA SGP.22 §5.3) over "
	                       "HTTPS.\n");
}
