/*
 * simfleet smdp: the SM-DP+ (GSMA SGP.22 v2.5).  This file: the command
 * group, the configuration (docs/smdp.md "Configuration"), `smdp import`
 * (profile packages into an operator's inventory, also while the server
 * runs: SQLite WAL + busy timeout), `smdp list` and `smdp audit`.  The
 * server itself is smdp_serve.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "simfleet/err.h"
#include "simfleet/saip.h"
#include "simfleet/smdp.h"
#include "simfleet/util.h"
#include "smdp_cli.h"

/* ---- configuration ---- */

static int set_str(char *dst, size_t cap, const char *v, const char *file, const char *key)
{
	if (!v) {
		sf_cli_err("--config %s: \"%s\" must be a string", file, key);
		return -1;
	}
	if (strlen(v) >= cap) {
		sf_cli_err("--config %s: \"%s\" is too long (at most %zu characters)", file, key,
		           cap - 1);
		return -1;
	}
	snprintf(dst, cap, "%s", v);
	return 0;
}

static int json_num(json_t *o, const char *key, double min, double max, double *out,
                    const char *file)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	if (!json_is_number(v) || json_number_value(v) < min || json_number_value(v) > max) {
		sf_cli_err("--config %s: \"%s\" must be a number from %g to %g", file, key, min,
		           max);
		return -1;
	}
	*out = json_number_value(v);
	return 0;
}

static int name_ok(const char *n)
{
	size_t l = strlen(n);
	if (l == 0 || l > SF_SMDP_NAME_MAX)
		return 0;
	for (size_t i = 0; i < l; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
		      (n[i] >= '0' && n[i] <= '9') || n[i] == '-' || n[i] == '_' || n[i] == '.'))
			return 0;
	return n[0] != '.';
}

static int load_file(struct sf__smdp_config *c, const char *file)
{
	json_error_t e;
	json_t *j = json_load_file(file, JSON_REJECT_DUPLICATES, &e);
	int rc = -1;
	if (!j) {
		sf_cli_err("--config %s: %s (line %d, column %d)", file, e.text, e.line, e.column);
		return -1;
	}
	if (!json_is_object(j)) {
		sf_cli_err("--config %s: expected a JSON object", file);
		goto out;
	}
	static const char *const known[] = {
	    "data",        "database",  "listen",       "address",
	    "pki",         "order_ttl", "max_attempts", "max_cc_failures",
	    "session_ttl", "max_body",  "rate_limit",   "operators",
	    "eum_certs",   "notification_retry", NULL};
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v)
	{
		int ok = 0;
		for (size_t i = 0; known[i]; i++)
			ok |= strcmp(k, known[i]) == 0;
		if (!ok) {
			sf_cli_err("--config %s: unknown key \"%s\" (docs/smdp.md lists them)",
			           file, k);
			goto out;
		}
	}
	if ((v = json_object_get(j, "data")) &&
	    set_str(c->data, sizeof(c->data), json_string_value(v), file, "data"))
		goto out;
	if ((v = json_object_get(j, "database")) &&
	    set_str(c->db, sizeof(c->db), json_string_value(v), file, "database"))
		goto out;
	if ((v = json_object_get(j, "listen")) &&
	    set_str(c->listen, sizeof(c->listen), json_string_value(v), file, "listen"))
		goto out;
	if ((v = json_object_get(j, "address")) &&
	    set_str(c->address, sizeof(c->address), json_string_value(v), file, "address"))
		goto out;
	json_t *pki = json_object_get(j, "pki");
	if (pki) {
		struct {
			const char *key;
			char *dst;
		} f[] = {{"ci", c->ci},
		         {"dpauth_cert", c->dpauth_cert},
		         {"dpauth_key", c->dpauth_key},
		         {"dppb_cert", c->dppb_cert},
		         {"dppb_key", c->dppb_key},
		         {"dptls_cert", c->dptls_cert},
		         {"dptls_key", c->dptls_key}};
		if (!json_is_object(pki)) {
			sf_cli_err("--config %s: \"pki\" must be an object of file names", file);
			goto out;
		}
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			json_t *p = json_object_get(pki, f[i].key);
			if (!p) {
				sf_cli_err(
				    "--config %s: \"pki\" needs \"%s\" (all seven files, or no "
				    "\"pki\" for the test PKI in DATA/pki)",
				    file, f[i].key);
				goto out;
			}
			if (set_str(f[i].dst, SF_SMDP_PATH, json_string_value(p), file, f[i].key))
				goto out;
		}
		c->pki_from_config = 1;
	}
	json_t *eums = json_object_get(j, "eum_certs");
	if (eums) {
		size_t i;
		json_t *e2;
		if (!json_is_array(eums) || json_array_size(eums) > 8) {
			sf_cli_err("--config %s: \"eum_certs\" must be an array of at most 8 file names",
			           file);
			goto out;
		}
		json_array_foreach(eums, i, e2)
		{
			if (set_str(c->eums[i], SF_SMDP_PATH, json_string_value(e2), file, "eum_certs"))
				goto out;
		}
		c->neums = json_array_size(eums);
	}
	double d;
	d = (double)c->policy.order_ttl;
	if (json_num(j, "order_ttl", 1, 365.0 * 86400, &d, file))
		goto out;
	c->policy.order_ttl = (int64_t)d;
	d = c->policy.max_attempts;
	if (json_num(j, "max_attempts", 1, 1000, &d, file))
		goto out;
	c->policy.max_attempts = (int)d;
	d = c->policy.max_cc_failures;
	if (json_num(j, "max_cc_failures", 1, 1000, &d, file))
		goto out;
	c->policy.max_cc_failures = (int)d;
	d = c->session_ttl;
	if (json_num(j, "session_ttl", 1, 86400, &d, file))
		goto out;
	c->session_ttl = (int)d;
	d = c->notify_retry_s;
	if (json_num(j, "notification_retry", 1, 3600, &d, file))
		goto out;
	c->notify_retry_s = (int)d;
	d = (double)c->body_max;
	if (json_num(j, "max_body", 1024, 64.0 * 1024 * 1024, &d, file))
		goto out;
	c->body_max = (size_t)d;
	json_t *rl = json_object_get(j, "rate_limit");
	if (rl) {
		if (!json_is_object(rl) ||
		    json_num(rl, "per_second", 0.1, 1e6, &c->rate_per_s, file) ||
		    json_num(rl, "burst", 1, 1e6, &c->rate_burst, file)) {
			sf_cli_err(
			    "--config %s: \"rate_limit\" is {\"per_second\": N, \"burst\": N}",
			    file);
			goto out;
		}
	}
	json_t *ops = json_object_get(j, "operators");
	if (ops) {
		size_t i;
		json_t *o;
		if (!json_is_array(ops) || json_array_size(ops) == 0 ||
		    json_array_size(ops) > SF_SMDP_OPERATORS_MAX) {
			sf_cli_err("--config %s: \"operators\" must be an array of 1 to %d objects",
			           file, SF_SMDP_OPERATORS_MAX);
			goto out;
		}
		json_array_foreach(ops, i, o)
		{
			struct sf__smdp_operator *op = &c->ops[i];
			const char *n = json_string_value(json_object_get(o, "name"));
			if (!json_is_object(o) || !n || !name_ok(n)) {
				sf_cli_err("--config %s: operators[%zu]: \"name\" must be 1..%d of "
				           "A-Z a-z 0-9 - _ .",
				           file, i, SF_SMDP_NAME_MAX);
				goto out;
			}
			for (size_t k2 = 0; k2 < i; k2++)
				if (strcmp(c->ops[k2].name, n) == 0) {
					sf_cli_err("--config %s: operator \"%s\" twice", file, n);
					goto out;
				}
			snprintf(op->name, sizeof(op->name), "%s", n);
			json_t *u = json_object_get(o, "notification_url");
			if (u && set_str(op->notification_url, sizeof(op->notification_url),
			                 json_string_value(u), file, "notification_url"))
				goto out;
			json_t *ca = json_object_get(o, "notification_cacert");
			if (ca && set_str(op->notification_cacert, sizeof(op->notification_cacert),
			                  json_string_value(ca), file, "notification_cacert"))
				goto out;
			json_t *t = json_object_get(o, "notification_token");
			if (t && set_str(op->notification_token, sizeof(op->notification_token),
			                 json_string_value(t), file, "notification_token"))
				goto out;
		}
		c->nops = json_array_size(ops);
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int sf__smdp_config_load(struct sf__smdp_config *c, const char *file, const char *data,
                         const char *listen)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->data, sizeof(c->data), "smdp-data");
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8443");
	c->policy.max_attempts = SF_SMDP_DEFAULT_ATTEMPTS;
	c->policy.max_cc_failures = 3;
	c->policy.order_ttl = 7 * 86400;
	c->session_ttl = 300;
	c->notify_retry_s = 30;
	c->body_max = 256 * 1024;
	c->rate_per_s = 200;
	c->rate_burst = 400;
	if (file && load_file(c, file))
		return SF_EXIT_USAGE;
	if (data)
		snprintf(c->data, sizeof(c->data), "%s", data);
	if (listen)
		snprintf(c->listen, sizeof(c->listen), "%s", listen);
	if (!c->db[0] &&
	    (size_t)snprintf(c->db, sizeof(c->db), "%s/smdp.db", c->data) >= sizeof(c->db)) {
		sf_cli_err("--data %s: path too long", c->data);
		return SF_EXIT_USAGE;
	}
	if (!c->pki_from_config) {
		struct {
			char *dst;
			const char *name;
		} f[] = {{c->ci, "ci.pem"},
		         {c->dpauth_cert, "dpauth.pem"},
		         {c->dpauth_key, "dpauth.key"},
		         {c->dppb_cert, "dppb.pem"},
		         {c->dppb_key, "dppb.key"},
		         {c->dptls_cert, "dptls.pem"},
		         {c->dptls_key, "dptls.key"}};
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			if ((size_t)snprintf(f[i].dst, SF_SMDP_PATH, "%s/pki/%s", c->data,
			                     f[i].name) >= SF_SMDP_PATH) {
				sf_cli_err("--data %s: path too long", c->data);
				return SF_EXIT_USAGE;
			}
		if (c->neums == 0) {
			snprintf(c->eums[0], SF_SMDP_PATH, "%.4000s/pki/eum.pem", c->data);
			c->neums = 1;
		}
	}
	if (c->nops == 0) {
		snprintf(c->ops[0].name, sizeof(c->ops[0].name), "default");
		c->nops = 1;
	}
	return 0;
}

int sf__smdp_open_db(const struct sf__smdp_config *c, struct sf_smdp_db **db)
{
	if (mkdir(c->data, 0700) != 0 && errno != EEXIST) {
		sf_cli_err("--data %s: cannot create the directory: %s", c->data, strerror(errno));
		return SF_EIO;
	}
	struct stat st;
	if (stat(c->db, &st) == 0 && !S_ISREG(st.st_mode)) {
		sf_cli_err("database %s: not a regular file", c->db);
		return SF_ESMDP_DB;
	}
	if (access(c->db, F_OK) == 0 && access(c->db, R_OK | W_OK) != 0) {
		sf_cli_err("database %s: %s", c->db, strerror(errno));
		return SF_ESMDP_DB;
	}
	int rc = sf_smdp_db_open(c->db, &c->policy, NULL, db);
	if (rc)
		sf_cli_err("database %s: %s (%s)%s", c->db, sf_strerror(rc), sf_err_name(rc),
		           rc == SF_ESMDP_SCHEMA ? ": point --data at an SM-DP+ data directory"
		                                 : "");
	return rc;
}

/* ---- smdp import ---- */

static const char import_usage[] =
    "Usage: simfleet smdp import [--data DIR | --config FILE] [--operator NAME]\n"
    "                            [--profile-type NAME] PACKAGE.der...\n"
    "       simfleet smdp import [--data DIR | --config FILE] [--operator NAME]\n"
    "                            [--profile-type NAME] [--spn NAME]\n"
    "                            [--template PACKAGE.der] --subscribers FILE.csv\n\n"
    "Adds SAIP profile packages (as `simfleet profile build` writes them) to an\n"
    "operator's inventory (default: `default`), in state available.  The ICCID and\n"
    "the profileType come from each package's ProfileHeader; --profile-type names\n"
    "the type of packages whose header has none.  Works while `smdp serve` runs.\n"
    "All or nothing per package: prints one JSON object per package imported.\n\n"
    "--subscribers: credentials instead of packages.  FILE.csv has the header\n"
    "imsi,iccid,alg,k,opc (the format of `auc import`; alg milenage, tuak or xor, opc\n"
    "the TOPc for tuak, empty for xor); the SM-DP+ personalises a template with each\n"
    "row: the operator's own SAIP package given with --template (its file system,\n"
    "applets and PINs stay; the header ICCID, EF.ICCID, EF.IMSI, the USIM's AKA\n"
    "algorithm, K and OPc, and EF.SPN with --spn are set per row), or else the\n"
    "built-in USIM template (`profile build`).  profileType from --profile-type, or\n"
    "the template's header.  The file is read twice, a line at a time (any number of\n"
    "rows, in constant memory): first every row is checked, and nothing is imported\n"
    "if one is invalid or its ICCID is in the file twice or already in the inventory;\n"
    "then the rows are added 500 to a transaction.  Should a transaction fail (the\n"
    "database, or another import taking an ICCID in between), its rows are not\n"
    "imported, those before stay, and the message says up to which line.  FILE.csv\n"
    "must be a regular file; one changed during the import is caught by its rows.\n"
    "The same file provisions the operator's AuC, so a downloaded profile\n"
    "authenticates.\n";

static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return SF_ENOENT;
	size_t cap = 64 * 1024, n = 0;
	uint8_t *b = malloc(cap);
	int rc = 0;
	while (b) {
		size_t r = fread(b + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
		if (n == cap) {
			if (cap >= 16u * 1024 * 1024) {
				rc = SF_ERANGE;
				break;
			}
			uint8_t *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
	}
	if (ferror(f))
		rc = SF_EIO;
	fclose(f);
	if (!b)
		return SF_ENOMEM;
	if (rc) {
		free(b);
		return rc;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* The ICCID and profileType of a package, after the whole package parsed. */
static int package_header(const uint8_t *pkg, size_t len, char iccid[21], char *ptype,
                          size_t ptype_cap, char *why, size_t why_len)
{
	struct sf_saip_reader r;
	struct sf_saip_pe pe;
	struct sf_saip_error e;
	int rc, first = 1;
	memset(&e, 0, sizeof(e));
	sf_saip_reader_init(&r, pkg, len);
	while ((rc = sf_saip_next(&r, &pe, &e)) == 1) {
		if (first) {
			struct sf_saip_header h;
			if ((rc = sf_saip_header_decode(&pe, &h, &e)) != 0)
				break;
			snprintf(iccid, 21, "%s", h.iccid);
			ptype[0] = '\0';
			if (h.profile_type && h.profile_type_len < ptype_cap) {
				memcpy(ptype, h.profile_type, h.profile_type_len);
				ptype[h.profile_type_len] = '\0';
			}
			first = 0;
		}
	}
	if (rc < 0) {
		sf_saip_error_format(&e, why, why_len);
		return SF_ESMDP_PACKAGE;
	}
	if (first || !iccid[0]) {
		snprintf(why, why_len, "no ProfileHeader with an ICCID");
		return SF_ESMDP_PACKAGE;
	}
	return 0;
}

/* The JSON line of one package imported (stdout).  0 or -1. */
static int print_imported(const char *iccid, const char *op, const char *ptype, size_t len)
{
	json_t *o = json_object();
	json_object_set_new(o, "iccid", json_string(iccid));
	json_object_set_new(o, "operator", json_string(op));
	json_object_set_new(o, "profile_type", json_string(ptype));
	json_object_set_new(o, "state", json_string("available"));
	json_object_set_new(o, "size", json_integer((json_int_t)len));
	return sf_cli_print(o) == SF_EXIT_OK ? 0 : -1;
}

/* An operator's template (--template): the package and its file name. */
struct tmpl {
	const char *name;
	uint8_t *pkg;
	size_t len;
};

/* One row of FILE.csv personalised: its line, the package's ICCID and
 * profileType, the package (wiped and freed after the callback). */
struct row {
	unsigned line;
	const char *iccid, *ptype;
	const uint8_t *pkg;
	size_t len;
};

/* The longest line of FILE.csv: imsi (15), iccid (20), alg, K and OPc (64
 * hex digits each for TUAK), commas and blanks fit many times over. */
#define CSV_LINE_MAX 1024

/* One line of f into buf (without its newline, NUL-terminated): 1, 0 at
 * the end of the file, -1 too long, -2 a NUL byte in it, -3 a read error. */
static int read_line(FILE *f, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	int c, any = 0;
	while ((c = getc_unlocked(f)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		if (c == '\0')
			return -2;
		if (n + 1 >= cap)
			return -1;
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	*len = n;
	if (ferror(f))
		return -3;
	return any ? 1 : 0;
}

/* Reads FILE.csv (imsi,iccid,alg,k,opc; f, from its start) one line at a
 * time, personalises each row (tp->pkg when tp is given, else the built-in
 * template) and calls cb with it: a file of any length, one row in memory
 * at a time.  Returns SF_EXIT_OK; SF_EXIT_USAGE after naming the line and
 * column (or what the template lacks), the message ending with `then`; or
 * what cb returned (anything but SF_EXIT_OK stops, cb having said why). */
static int each_subscriber(FILE *f, const char *file, const char *spn, const struct tmpl *tp,
                           const char *then, int (*cb)(void *user, const struct row *r),
                           void *user)
{
	char ln[CSV_LINE_MAX + 1];
	uint8_t k[32], opc[32];
	unsigned line = 0;
	size_t rows = 0, lnlen = 0;
	int header = 0, rc = SF_EXIT_USAGE, got;
	while ((got = read_line(f, ln, sizeof(ln), &lnlen)) == 1) {
		line++;
		char *t = sf_cli_trim(ln), *cols[6];
		if (!*t)
			continue;
		size_t nc = sf_cli_csv_split(t, cols, 6);
		if (!header) {
			if (!sf_cli_csv_is_subscriber_header(cols, nc)) {
				sf_cli_err("%s: line %u: the header must be exactly \"imsi,iccid,alg,k,opc\"; "
				           "%s",
				           file, line, then);
				goto out;
			}
			header = 1;
			continue;
		}
		if (nc != 5) {
			sf_cli_err("%s: line %u: expected 5 columns imsi,iccid,alg,k,opc, found %zu; %s",
			           file, line, nc, then);
			goto out;
		}
		struct sf_saip_build_params p;
		struct sf_saip_error e;
		size_t kl = 0, ol = 0, need = 0;
		int r = 0;
		uint8_t *pkg = NULL;
		memset(&p, 0, sizeof(p));
		memset(&e, 0, sizeof(e));
		p.iccid = cols[1];
		p.imsi = cols[0];
		p.spn = spn;
		const char *col = NULL;
		if (strcmp(cols[2], "milenage") == 0)
			p.algorithm = SF_SAIP_ALG_MILENAGE;
		else if (strcmp(cols[2], "tuak") == 0)
			p.algorithm = SF_SAIP_ALG_TUAK;
		else if (strcmp(cols[2], "xor") == 0)
			p.algorithm = SF_SAIP_ALG_TEST;
		else
			col = "alg (milenage, tuak or xor)";
		if (!col && sf_hex_decode(k, sizeof(k), &kl, cols[3], strlen(cols[3])))
			col = "k (hex)";
		if (!col && cols[4][0] && sf_hex_decode(opc, sizeof(opc), &ol, cols[4], strlen(cols[4])))
			col = "opc (hex)";
		if (!col) {
			p.k = k;
			p.k_len = kl;
			p.opc = ol ? opc : NULL;
			p.opc_len = ol;
			r = tp ? sf_saip_personalise(tp->pkg, tp->len, &p, NULL, 0, &need, &e)
			       : sf_saip_build(&p, NULL, 0, &need, &e);
			pkg = r == SF_EBUFSIZE ? malloc(need) : NULL;
			if (pkg)
				r = tp ? sf_saip_personalise(tp->pkg, tp->len, &p, pkg, need, &need, &e)
				       : sf_saip_build(&p, pkg, need, &need, &e);
			if (r && tp && r != SF_ESAIP_ICCID && r != SF_ESAIP_IMSI &&
			    r != SF_ESAIP_PARAM && r != SF_ENOMEM && r != SF_EBUFSIZE) {
				/* the template, not the row */
				char why[256];
				sf_saip_error_format(&e, why, sizeof(why));
				sf_cli_err("--template %s: cannot be personalised: %s (%s); %s", tp->name,
				           why, sf_err_name(r), then);
				if (pkg) {
					sf_wipe(pkg, need);
					free(pkg);
				}
				goto out;
			}
			if (r == SF_EBUFSIZE && !pkg)
				r = SF_ENOMEM;
			if (r)
				col = e.field ? e.field : "row";
		}
		if (col) {
			/* e.detail names a rule ("must be 16 or 32 octets"), never a value */
			sf_cli_err("%s: line %u, column %s: not valid%s%s; %s", file, line, col,
			           r ? ": " : "", r ? (e.detail ? e.detail : sf_strerror(r)) : "", then);
			if (pkg) {
				sf_wipe(pkg, need);
				free(pkg);
			}
			goto out;
		}
		char iccid[21] = "", ptype[SF_SMDP_NAME_MAX + 1] = "", why[256] = "";
		r = package_header(pkg, need, iccid, ptype, sizeof(ptype), why, sizeof(why));
		if (r)
			sf_cli_err("%s: line %u: the personalised package does not read back: %s; %s",
			           file, line, why, then);
		else
			rc = cb(user, &(struct row){line, iccid, ptype, pkg, need});
		sf_wipe(pkg, need);
		free(pkg);
		if (r)
			goto out;
		if (rc != SF_EXIT_OK)
			goto done; /* cb said why */
		rows++;
		rc = SF_EXIT_USAGE;
	}
	if (got < 0) {
		if (got == -1)
			sf_cli_err("%s: line %u: longer than %d characters; %s", file, line + 1,
			           CSV_LINE_MAX, then);
		else
			sf_cli_err("%s: line %u: %s; %s", file, line + 1,
			           got == -2 ? "a NUL byte: not a CSV text file" : strerror(errno), then);
		goto out;
	}
	if (!header || rows == 0) {
		sf_cli_err("%s: no subscriber (header imsi,iccid,alg,k,opc then one row per "
		           "subscriber); %s",
		           file, then);
		goto out;
	}
	rc = SF_EXIT_OK;
	goto done;
out:
	rc = SF_EXIT_USAGE;
done:
	sf_wipe(ln, sizeof(ln)); /* K and OPc */
	sf_wipe(k, sizeof(k));
	sf_wipe(opc, sizeof(opc));
	return rc;
}

/* The first pass over FILE.csv: every row personalised, and its ICCID in
 * the file once and not yet in the inventory. */
struct seen {
	char iccid[21];
	unsigned line;
};
struct check {
	struct sf_smdp_db *db;
	const char *file;
	struct seen *v;
	size_t n, cap;
};

static int check_row(void *user, const struct row *r)
{
	struct check *c = user;
	struct sf_smdp_profile p;
	int g = sf_smdp_profile_get(c->db, NULL, r->iccid, &p);
	if (g == 0) {
		sf_cli_err("%s: line %u: ICCID %s is already in the inventory (operator %s); "
		           "nothing was imported",
		           c->file, r->line, r->iccid, p.op);
		return SF_EXIT_FAIL;
	}
	if (g != SF_ESMDP_UNKNOWN) {
		sf_cli_err("%s: line %u: ICCID %s: %s (%s)%s%s; nothing was imported", c->file,
		           r->line, r->iccid, sf_strerror(g), sf_err_name(g),
		           g == SF_ESMDP_DB ? ": " : "", g == SF_ESMDP_DB ? sf_smdp_last_error(c->db) : "");
		return SF_EXIT_FAIL;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		struct seen *v = realloc(c->v, cap * sizeof(*v));
		if (!v) {
			sf_cli_err("%s: out of memory at line %u; nothing was imported", c->file, r->line);
			return SF_EXIT_FAIL;
		}
		c->v = v;
		c->cap = cap;
	}
	snprintf(c->v[c->n].iccid, sizeof(c->v[c->n].iccid), "%s", r->iccid);
	c->v[c->n++].line = r->line;
	return SF_EXIT_OK;
}

static int seen_cmp(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int d = strcmp(x->iccid, y->iccid);
	return d ? d : (x->line > y->line) - (x->line < y->line);
}

static int seen_iccid_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seen *)a)->iccid, ((const struct seen *)b)->iccid);
}

/* The second pass: the rows added IMPORT_BATCH at a time, each batch one
 * transaction (one sync; the running server's writes wait at most one
 * batch); the JSON lines of a batch printed once it is committed. */
#define IMPORT_BATCH 500
struct adder {
	struct sf_smdp_db *db;
	const char *file, *op, *ptype_arg;
	const struct seen *checked; /* the first pass's ICCIDs, sorted */
	size_t nchecked;
	size_t n, done, rows; /* rows in the open batch; committed; seen */
	unsigned first, last; /* the open batch's first line; the last row's */
	unsigned committed;   /* the line of the last row committed */
	int said;             /* import_stopped has spoken */
	struct added {
		char iccid[21], ptype[SF_SMDP_NAME_MAX + 1];
		size_t len;
	} batch[IMPORT_BATCH];
};

/* What stays when a batch fails: said the same way for every failure. */
static void import_stopped(struct adder *a)
{
	a->said = 1;
	if (a->done)
		sf_cli_err("%s: the %zu subscribers up to line %u were imported (their JSON lines "
		           "above), none after",
		           a->file, a->done, a->committed);
	else
		sf_cli_err("%s: nothing was imported", a->file);
}

static int commit_batch(struct adder *a)
{
	if (!a->n)
		return SF_EXIT_OK;
	int r = sf_smdp_txn_end(a->db);
	if (r) {
		char why[256];
		snprintf(why, sizeof(why), "%s", sf_smdp_last_error(a->db));
		sf_cli_err("%s: committing lines %u and after: %s (%s): %s", a->file, a->first,
		           sf_strerror(r), sf_err_name(r), why);
		a->n = 0;
		char detail[600];
		snprintf(detail, sizeof(detail), "%s: lines %u and after", a->file, a->first);
		sf_smdp_audit(a->db, "admin", "import", NULL, NULL, sf_err_name(r), detail,
		              (int64_t)time(NULL));
		import_stopped(a);
		return SF_EXIT_FAIL;
	}
	size_t n = a->n;
	a->done += n; /* committed, whatever becomes of the JSON lines */
	a->committed = a->last;
	a->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (print_imported(a->batch[i].iccid, a->op, a->batch[i].ptype, a->batch[i].len)) {
			a->said = 1;
			sf_cli_err("%s: the %zu subscribers up to line %u were imported; their JSON "
			           "lines could not all be written",
			           a->file, a->done, a->committed);
			return SF_EXIT_FAIL;
		}
	}
	return SF_EXIT_OK;
}

static int add_row(void *user, const struct row *r)
{
	struct adder *a = user;
	int64_t now = (int64_t)time(NULL);
	struct seen key;
	snprintf(key.iccid, sizeof(key.iccid), "%s", r->iccid);
	key.line = 0;
	if (++a->rows > a->nchecked ||
	    !bsearch(&key, a->checked, a->nchecked, sizeof(key), seen_iccid_cmp)) {
		sf_cli_err("%s: line %u: not a row checked before: the file changed during the "
		           "import",
		           a->file, r->line);
		return SF_EXIT_FAIL; /* import_subscribers aborts the batch */
	}
	if (a->n == 0) {
		int b = sf_smdp_txn_begin(a->db);
		if (b) {
			sf_cli_err("%s: line %u: %s (%s): %s", a->file, r->line, sf_strerror(b),
			           sf_err_name(b), sf_smdp_last_error(a->db));
			import_stopped(a);
			return SF_EXIT_FAIL;
		}
		a->first = r->line;
	}
	a->last = r->line;
	struct added *x = &a->batch[a->n];
	snprintf(x->iccid, sizeof(x->iccid), "%s", r->iccid);
	snprintf(x->ptype, sizeof(x->ptype), "%s", a->ptype_arg ? a->ptype_arg : r->ptype);
	x->len = r->len;
	int e = sf_smdp_profile_add(a->db, a->op, x->iccid, x->ptype, NULL, NULL, r->pkg, r->len,
	                            now);
	if (e == 0)
		e = sf_smdp_audit(a->db, "admin", "import", x->iccid, NULL, "ok",
		                  x->ptype[0] ? x->ptype : NULL, now);
	if (e) {
		/* another import took the ICCID since the check, or the database
		 * failed: the batch goes, the failure is logged outside it */
		char why[256];
		snprintf(why, sizeof(why), "%s", sf_smdp_last_error(a->db));
		sf_smdp_txn_abort(a->db);
		a->n = 0;
		sf_smdp_audit(a->db, "admin", "import", x->iccid, NULL, sf_err_name(e), a->file, now);
		sf_cli_err("%s: line %u: ICCID %s: %s (%s)%s%s", a->file, r->line, x->iccid,
		           sf_strerror(e), sf_err_name(e), e == SF_ESMDP_DB ? ": " : "",
		           e == SF_ESMDP_DB ? why : "");
		import_stopped(a);
		return SF_EXIT_FAIL;
	}
	if (++a->n == IMPORT_BATCH)
		return commit_batch(a);
	return SF_EXIT_OK;
}

/* --subscribers: two passes over the file, so that a file with a bad row
 * (or an ICCID twice, or one already in the inventory) imports nothing,
 * and the packages never all sit in memory at once (the first pass keeps
 * each ICCID: some 28 octets a row).  One open file for both passes: the
 * second reads what the first checked, even if the name is replaced
 * meanwhile; a file changed in place is caught by its rows (an ICCID not
 * checked, more or fewer rows), the open batch then not committed. */
static int import_subscribers(struct sf_smdp_db *db, const char *op, const char *file,
                              const char *spn, const struct tmpl *tp, const char *ptype_arg)
{
	FILE *f = fopen(file, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		sf_cli_err("--subscribers %s: %s", file,
		           f ? "not a regular file (it is read twice)" : strerror(errno));
		if (f)
			fclose(f);
		return SF_EXIT_USAGE;
	}
	char iobuf[16384]; /* stdio's buffer, ours so that its keys are wiped */
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
	struct check c = {db, file, NULL, 0, 0};
	struct adder *a = NULL;
	int rc = each_subscriber(f, file, spn, tp, "nothing was imported", check_row, &c);
	if (rc == SF_EXIT_OK) {
		qsort(c.v, c.n, sizeof(*c.v), seen_cmp);
		for (size_t i = 1; i < c.n; i++)
			if (strcmp(c.v[i - 1].iccid, c.v[i].iccid) == 0) {
				sf_cli_err("%s: ICCID %s on line %u and on line %u; nothing was imported",
				           file, c.v[i].iccid, c.v[i - 1].line, c.v[i].line);
				rc = SF_EXIT_USAGE;
				break;
			}
	}
	if (rc != SF_EXIT_OK)
		goto out;
	a = calloc(1, sizeof(*a));
	if (!a) {
		sf_cli_err("%s: out of memory; nothing was imported", file);
		rc = SF_EXIT_FAIL;
		goto out;
	}
	a->db = db;
	a->file = file;
	a->op = op;
	a->ptype_arg = ptype_arg;
	a->checked = c.v;
	a->nchecked = c.n;
	rewind(f);
	rc = each_subscriber(f, file, spn, tp, "its batch was not imported", add_row, a);
	if (rc == SF_EXIT_OK && a->rows != c.n) {
		sf_cli_err("%s: %zu rows now, %zu when checked: the file changed during the import",
		           file, a->rows, c.n);
		rc = SF_EXIT_FAIL;
	}
	if (rc == SF_EXIT_OK) {
		rc = commit_batch(a);
	} else if (a->n) { /* a row refused in the second pass: its batch goes */
		sf_smdp_txn_abort(a->db);
		a->n = 0;
	}
	if (rc != SF_EXIT_OK && !a->said)
		import_stopped(a);
	if (rc == SF_EXIT_USAGE)
		rc = SF_EXIT_FAIL; /* the file was fine at the first pass */
out:
	free(a);
	free(c.v);
	fclose(f);
	sf_wipe(iobuf, sizeof(iobuf));
	return rc;
}

/* Adds one package (label names it in messages); prints its JSON line.
 * 0 or -1. */
static int import_one(struct sf_smdp_db *db, const char *op, const char *label,
                      const uint8_t *pkg, size_t len, const char *ptype_arg)
{
	char iccid[21] = "", ptype[SF_SMDP_NAME_MAX + 1] = "", why[256] = "";
	int r = package_header(pkg, len, iccid, ptype, sizeof(ptype), why, sizeof(why));
	if (r) {
		sf_cli_err("%s: not a SAIP profile package: %s (%s); not imported", label, why,
		           sf_err_name(r));
		sf_smdp_audit(db, "admin", "import", NULL, NULL, sf_err_name(r), label,
		              (int64_t)time(NULL));
		return -1;
	}
	if (!ptype[0] && ptype_arg)
		snprintf(ptype, sizeof(ptype), "%s", ptype_arg);
	r = sf_smdp_profile_add(db, op, iccid, ptype, NULL, NULL, pkg, len, (int64_t)time(NULL));
	sf_smdp_audit(db, "admin", "import", iccid, NULL, r ? sf_err_name(r) : "ok",
	              ptype[0] ? ptype : NULL, (int64_t)time(NULL));
	if (r) {
		sf_cli_err("%s: ICCID %s: %s (%s)%s%s", label, iccid, sf_strerror(r), sf_err_name(r),
		           r == SF_ESMDP_DB ? ": " : "", r == SF_ESMDP_DB ? sf_smdp_last_error(db) : "");
		return -1;
	}
	return print_imported(iccid, op, ptype, len);
}

static int cmd_import(int argc, char **argv)
{
	enum { O_DATA = 1000, O_CONFIG, O_OP, O_TYPE, O_SUBS, O_SPN, O_TMPL, O_HELP };
	static const struct option lo[] = {{"data", required_argument, 0, O_DATA},
	                                   {"config", required_argument, 0, O_CONFIG},
	                                   {"operator", required_argument, 0, O_OP},
	                                   {"profile-type", required_argument, 0, O_TYPE},
	                                   {"subscribers", required_argument, 0, O_SUBS},
	                                   {"spn", required_argument, 0, O_SPN},
	                                   {"template", required_argument, 0, O_TMPL},
	                                   {"help", no_argument, 0, O_HELP},
	                                   {0, 0, 0, 0}};
	const char *data = NULL, *config = NULL, *op = "default", *ptype_arg = NULL;
	const char *subs = NULL, *spn = NULL, *tmpl_file = NULL;
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (ch) {
		case O_DATA:
			data = optarg;
			break;
		case O_CONFIG:
			config = optarg;
			break;
		case O_OP:
			op = optarg;
			break;
		case O_TYPE:
			ptype_arg = optarg;
			break;
		case O_SUBS:
			subs = optarg;
			break;
		case O_SPN:
			spn = optarg;
			break;
		case O_TMPL:
			tmpl_file = optarg;
			break;
		case 'h':
		case O_HELP:
			fputs(import_usage, stdout);
			return SF_EXIT_OK;
		default:
			sf_cli_err("smdp import: unknown or incomplete option %s (see --help)",
			           argv[optind - 1]);
			return SF_EXIT_USAGE;
		}
	}
	if ((optind >= argc) == !subs) {
		sf_cli_err("smdp import: name PACKAGE.der files or --subscribers FILE.csv (one of "
		           "them; see --help)");
		return SF_EXIT_USAGE;
	}
	if (spn && !subs) {
		sf_cli_err("smdp import: --spn goes with --subscribers");
		return SF_EXIT_USAGE;
	}
	if (tmpl_file && !subs) {
		sf_cli_err("smdp import: --template goes with --subscribers (a package to "
		           "personalise per row); import packages as they are without it");
		return SF_EXIT_USAGE;
	}
	if (!name_ok(op)) {
		sf_cli_err("--operator %s: 1..%d of A-Z a-z 0-9 - _ .", op, SF_SMDP_NAME_MAX);
		return SF_EXIT_USAGE;
	}
	if (ptype_arg && (!*ptype_arg || strlen(ptype_arg) > SF_SMDP_NAME_MAX)) {
		sf_cli_err("--profile-type: 1..%d characters", SF_SMDP_NAME_MAX);
		return SF_EXIT_USAGE;
	}
	struct sf__smdp_config c;
	if (sf__smdp_config_load(&c, config, data, NULL))
		return SF_EXIT_USAGE;
	int known = 0;
	for (size_t i = 0; i < c.nops; i++)
		known |= strcmp(c.ops[i].name, op) == 0;
	if (!known) {
		sf_cli_err("--operator %s: not an operator of this SM-DP+ (the config's "
		           "\"operators\", or `default` without a config)",
		           op);
		return SF_EXIT_USAGE;
	}
	struct tmpl t = {tmpl_file, NULL, 0};
	if (tmpl_file) {
		int r = read_all(tmpl_file, &t.pkg, &t.len);
		if (r) {
			sf_cli_err("--template %s: %s", tmpl_file,
			           r == SF_ENOENT ? strerror(errno) : sf_strerror(r));
			return SF_EXIT_USAGE;
		}
	}
	struct sf_smdp_db *db = NULL;
	if (sf__smdp_open_db(&c, &db)) {
		if (t.pkg) {
			sf_wipe(t.pkg, t.len);
			free(t.pkg);
		}
		return SF_EXIT_FAIL;
	}
	int rc = SF_EXIT_OK;
	if (subs) {
		rc = import_subscribers(db, op, subs, spn, tmpl_file ? &t : NULL, ptype_arg);
		if (t.pkg) { /* it holds the template's keys */
			sf_wipe(t.pkg, t.len);
			free(t.pkg);
		}
	}
	for (int i = optind; i < argc; i++) {
		uint8_t *pkg = NULL;
		size_t len = 0;
		int r = read_all(argv[i], &pkg, &len);
		if (r) {
			sf_cli_err("%s: %s", argv[i],
			           r == SF_ENOENT ? strerror(errno) : sf_strerror(r));
			rc = SF_EXIT_FAIL;
			continue;
		}
		if (import_one(db, op, argv[i], pkg, len, ptype_arg))
			rc = SF_EXIT_FAIL;
		sf_wipe(pkg, len); /* it holds K/OPc */
		free(pkg);
	}
	sf_smdp_db_close(db);
	return rc;
}

/* ---- smdp list / audit ---- */

static const char list_usage[] =
    "Usage: simfleet smdp list [--data DIR | --config FILE] [--operator NAME]\n\n"
    "Prints the inventory as a JSON array: iccid, operator, profile_type, state,\n"
    "eid, matching_id, cc_required, attempts, max_attempts, expires.\n";
static const char audit_usage[] =
    "Usage: simfleet smdp audit [--data DIR | --config FILE]\n\n"
    "Prints the audit log (every operator and device action) as a JSON array.\n";

static int list_cb(void *user, const struct sf_smdp_profile *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "iccid", json_string(p->iccid));
	json_object_set_new(o, "operator", json_string(p->op));
	json_object_set_new(o, "profile_type", json_string(p->profile_type));
	json_object_set_new(o, "state", json_string(sf_smdp_state_name(p->state)));
	json_object_set_new(o, "eid", p->eid[0] ? json_string(p->eid) : json_null());
	json_object_set_new(o, "matching_id",
	                    p->matching_id[0] ? json_string(p->matching_id) : json_null());
	json_object_set_new(o, "cc_required", json_boolean(p->cc_required));
	json_object_set_new(o, "attempts", json_integer(p->attempts));
	json_object_set_new(o, "max_attempts", json_integer(p->max_attempts));
	json_object_set_new(o, "expires", json_integer((json_int_t)p->expires));
	json_array_append_new(user, o);
	return 0;
}

static int audit_cb(void *user, int64_t id, int64_t at, const char *actor, const char *action,
                    const char *iccid, const char *eid, const char *result, const char *detail)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer((json_int_t)id));
	json_object_set_new(o, "at", json_integer((json_int_t)at));
	json_object_set_new(o, "actor", json_string(actor));
	json_object_set_new(o, "action", json_string(action));
	json_object_set_new(o, "iccid", *iccid ? json_string(iccid) : json_null());
	json_object_set_new(o, "eid", *eid ? json_string(eid) : json_null());
	json_object_set_new(o, "result", json_string(result));
	json_object_set_new(o, "detail", *detail ? json_string(detail) : json_null());
	json_array_append_new(user, o);
	return 0;
}

static int list_or_audit(int argc, char **argv, int audit)
{
	enum { O_DATA = 1000, O_CONFIG, O_OP, O_HELP };
	static const struct option lo[] = {{"data", required_argument, 0, O_DATA},
	                                   {"config", required_argument, 0, O_CONFIG},
	                                   {"operator", required_argument, 0, O_OP},
	                                   {"help", no_argument, 0, O_HELP},
	                                   {0, 0, 0, 0}};
	const char *data = NULL, *config = NULL, *op = NULL;
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (ch) {
		case O_DATA:
			data = optarg;
			break;
		case O_CONFIG:
			config = optarg;
			break;
		case O_OP:
			if (audit)
				goto bad;
			op = optarg;
			break;
		case 'h':
		case O_HELP:
			fputs(audit ? audit_usage : list_usage, stdout);
			return SF_EXIT_OK;
		default:
		bad:
			sf_cli_err("smdp %s: unknown or incomplete option %s (see --help)",
			           audit ? "audit" : "list", argv[optind - 1]);
			return SF_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		sf_cli_err("unexpected argument %s (see --help)", argv[optind]);
		return SF_EXIT_USAGE;
	}
	struct sf__smdp_config c;
	struct sf_smdp_db *db = NULL;
	if (sf__smdp_config_load(&c, config, data, NULL))
		return SF_EXIT_USAGE;
	if (sf__smdp_open_db(&c, &db))
		return SF_EXIT_FAIL;
	json_t *arr = json_array();
	int rc = audit ? sf_smdp_audit_list(db, audit_cb, arr)
	               : sf_smdp_profile_list(db, op, list_cb, arr);
	if (rc) {
		sf_cli_err("%s: %s", c.db, sf_smdp_last_error(db));
		json_decref(arr);
		sf_smdp_db_close(db);
		return SF_EXIT_FAIL;
	}
	sf_smdp_db_close(db);
	return sf_cli_print(arr);
}

static int cmd_list(int argc, char **argv)
{
	return list_or_audit(argc, argv, 0);
}

static int cmd_audit(int argc, char **argv)
{
	return list_or_audit(argc, argv, 1);
}

static const struct sf_cli_cmd smdp_cmds[] = {
    {"serve", sf__cmd_smdp_serve, "run the SM-DP+ (ES9+ for devices, ES2+ for operators)"},
    {"import", cmd_import, "add profile packages to an operator's inventory"},
    {"list", cmd_list, "print the inventory and the orders"},
    {"audit", cmd_audit, "print the audit log"},
    {NULL, NULL, NULL},
};

int sf_cmd_smdp(int argc, char **argv)
{
	return sf_cli_dispatch(
	    "smdp", smdp_cmds, argc, argv,
	    "Usage: simfleet smdp COMMAND [ARGS...]\n\n"
	    "The SM-DP+ of GSMA SGP.22: profile inventory, operator orders "
	    "(ES2+)\nand profile download to eUICCs (ES9+).  See docs/smdp.md.\n");
}
