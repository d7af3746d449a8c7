/*
 * simfleet auc init | import | vectors | resync | suspend | resume | rekey:
 * the offline face of the AuC library (include/simfleet/auc.h, docs/auc.md).
 * The HTTPS API of `auc serve` will call the same library functions.
 *
 * The master key is read from a 0600 file and never printed; K and OPc pass
 * through buffers that are wiped on every exit path, and are never printed by
 * any of these commands (vectors print only RAND, AUTN and derived keys).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auc_cli.h"
#include "cli.h"
#include "simfleet/auc.h"
#include "simfleet/err.h"
#include "simfleet/kdf.h"
#include "simfleet/saip.h"
#include "simfleet/util.h"

int sf__cmd_auc_init(int argc, char **argv);
int sf__cmd_auc_import(int argc, char **argv);
int sf__cmd_auc_vectors(int argc, char **argv);
int sf__cmd_auc_resync(int argc, char **argv);
int sf__cmd_auc_suspend(int argc, char **argv);
int sf__cmd_auc_resume(int argc, char **argv);
int sf__cmd_auc_rekey(int argc, char **argv);

#define IMPORT_MAX_BYTES (64u * 1024 * 1024)

/* ---- options: every subcommand takes --name VALUE pairs ---- */

enum {
	O_DB,
	O_KEY,
	O_IMSI,
	O_N,
	O_TYPE,
	O_PLMN,
	O_SNN,
	O_IND,
	O_RAND,
	O_AUTS,
	O_NEWKEY,
	O_STATUS,
	O_HELP,
	O_COUNT
};
static const char *const opt_names[O_COUNT] = {"db",   "master-key", "imsi",    "n",
                                               "type", "plmn",       "snn",     "ind",
                                               "rand", "auts",       "new-key", "status",
                                               "help"};

struct opts {
	const char *v[O_COUNT];
	char **rest;
	int nrest;
};

/* Parses argv; allowed is a bit mask of O_*; SF_EXIT_OK or SF_EXIT_USAGE. */
static int parse(const char *cmd, int argc, char **argv, unsigned allowed, const char *usage,
                 struct opts *o)
{
	struct option lo[O_COUNT + 1];
	int k = 0;
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < O_COUNT; i++) {
		if (!(allowed & (1u << i)) && i != O_HELP)
			continue;
		lo[k].name = opt_names[i];
		lo[k].has_arg = i == O_HELP ? no_argument : required_argument;
		lo[k].flag = NULL;
		lo[k].val = 1000 + i;
		k++;
	}
	memset(&lo[k], 0, sizeof(lo[k]));
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		if (c == 'h' || c == 1000 + O_HELP) {
			fputs(usage, stdout);
			return -1;
		}
		if (c < 1000) {
			sf_cli_err("auc %s: unknown or incomplete option %s (see --help)", cmd,
			           argv[optind - 1]);
			return SF_EXIT_USAGE;
		}
		o->v[c - 1000] = optarg;
	}
	o->rest = argv + optind;
	o->nrest = argc - optind;
	return SF_EXIT_OK;
}

/* open_db for other auc subcommands (auc export): --db and --master-key. */
int sf__cmd_auc_open(const char *db, const char *key, struct sf_auc **auc);

static int need(const struct opts *o, int i, const char *what)
{
	if (o->v[i])
		return 0;
	sf_cli_err("--%s is required (%s)", opt_names[i], what);
	return SF_EXIT_USAGE;
}

static int no_rest(const char *cmd, const struct opts *o)
{
	if (o->nrest == 0)
		return 0;
	sf_cli_err("auc %s: unexpected argument %s (see --help)", cmd, o->rest[0]);
	return SF_EXIT_USAGE;
}

static int lib_fail(const char *what, int rc, struct sf_auc *auc)
{
	const char *db = auc ? sf_auc_last_error(auc) : "";
	sf_cli_err("%s: %s (%s)%s%s", what, sf_strerror(rc), sf_err_name(rc), db[0] ? ": " : "",
	           db);
	return SF_EXIT_FAIL;
}

/* Loads the master key and opens --db. */
static int open_db(const struct opts *o, struct sf_auc **auc)
{
	uint8_t key[SF_AUC_MASTER_KEY_LEN];
	if (need(o, O_DB, "the AuC database, made by `simfleet auc init`") ||
	    need(o, O_KEY, "the master key file, made by `simfleet auc init`"))
		return SF_EXIT_USAGE;
	int rc;
	if (strcmp(o->v[O_KEY], "-") == 0) {
		/* A key handed in at start (stdin, 64 hex digits), as other secrets. */
		if (sf_cli_hex("--master-key", "-", 1, key, sizeof(key), sizeof(key), NULL))
			return SF_EXIT_USAGE;
		rc = 0;
	} else {
		rc = sf_auc_key_load(o->v[O_KEY], key);
	}
	if (rc) {
		sf_cli_err("--master-key %s: %s: it must be a regular file of 64 hex digits, mode "
		           "0600, owned by you",
		           o->v[O_KEY], sf_strerror(rc));
		return SF_EXIT_USAGE;
	}
	rc = sf_auc_open(o->v[O_DB], key, NULL, auc);
	sf_wipe(key, sizeof(key));
	if (rc == SF_ENOENT) {
		sf_cli_err("--db %s: no such file (create it with `simfleet auc init`)",
		           o->v[O_DB]);
		return SF_EXIT_USAGE;
	}
	if (rc == SF_EAUC_MASTER_KEY) {
		sf_cli_err("--master-key %s does not open --db %s: %s", o->v[O_KEY], o->v[O_DB],
		           sf_strerror(rc));
		return SF_EXIT_FAIL;
	}
	if (rc) {
		sf_cli_err("--db %s: %s (%s)", o->v[O_DB], sf_strerror(rc), sf_err_name(rc));
		return SF_EXIT_FAIL;
	}
	return SF_EXIT_OK;
}

/* ---- init ---- */

static const char init_usage[] =
    "Usage: simfleet auc init --db FILE --master-key FILE\n\n"
    "Creates a new AuC database and a new operator master key file (32 random octets as\n"
    "64 hex digits, mode 0600).  Refuses to overwrite either.  Keep the key file apart\n"
    "from the database: K and OPc in the database are sealed under it.\n";

int sf__cmd_auc_init(int argc, char **argv)
{
	struct opts o;
	struct sf_auc *auc = NULL;
	uint8_t key[SF_AUC_MASTER_KEY_LEN];
	int rc = parse("init", argc, argv, 1u << O_DB | 1u << O_KEY, init_usage, &o);
	if (rc)
		return rc < 0 ? SF_EXIT_OK : rc;
	if (no_rest("init", &o) || need(&o, O_DB, "the database file to create") ||
	    need(&o, O_KEY, "the master key file to create"))
		return SF_EXIT_USAGE;
	struct stat st;
	if (stat(o.v[O_DB], &st) == 0) {
		sf_cli_err("--db %s already exists: auc init never overwrites a database",
		           o.v[O_DB]);
		return SF_EXIT_USAGE;
	}
	rc = sf_auc_key_create(o.v[O_KEY], NULL, key);
	if (rc) {
		sf_cli_err("--master-key %s: cannot create it (%s): it must not exist yet",
		           o.v[O_KEY], strerror(errno));
		return SF_EXIT_USAGE;
	}
	rc = sf_auc_create(o.v[O_DB], key, NULL, &auc);
	sf_wipe(key, sizeof(key));
	if (rc) {
		remove(o.v[O_KEY]);
		if (rc == SF_EAUC_DB_EXISTS) {
			sf_cli_err("--db %s already exists: auc init never overwrites a database",
			           o.v[O_DB]);
			return SF_EXIT_USAGE;
		}
		sf_cli_err("--db %s: %s (%s)", o.v[O_DB], sf_strerror(rc), sf_err_name(rc));
		return SF_EXIT_FAIL;
	}
	int ver = sf_auc_schema_version(auc);
	sf_auc_close(auc);
	json_t *j = json_object();
	json_object_set_new(j, "db", json_string(o.v[O_DB]));
	json_object_set_new(j, "master_key", json_string(o.v[O_KEY]));
	json_object_set_new(j, "schema_version", json_integer(ver));
	return sf_cli_print(j);
}

/* ---- import: CSV (imsi,iccid,alg,k,opc) or JSON ---- */

struct subs {
	struct sf_auc_sub *v;
	size_t n, cap;
	unsigned *line; /* CSV line (or JSON index + 1) of each */
};

static void subs_free(struct subs *s)
{
	if (s->v) {
		sf_wipe(s->v, s->cap * sizeof(*s->v));
		free(s->v);
	}
	free(s->line);
	memset(s, 0, sizeof(*s));
}

static struct sf_auc_sub *subs_add(struct subs *s, unsigned line)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		struct sf_auc_sub *nv = calloc(nc, sizeof(*nv));
		unsigned *nl = calloc(nc, sizeof(*nl));
		if (!nv || !nl) {
			free(nv);
			free(nl);
			return NULL;
		}
		if (s->v) {
			memcpy(nv, s->v, s->n * sizeof(*nv));
			memcpy(nl, s->line, s->n * sizeof(*nl));
			sf_wipe(s->v, s->cap * sizeof(*s->v));
			free(s->v);
			free(s->line);
		}
		s->v = nv;
		s->line = nl;
		s->cap = nc;
	}
	s->line[s->n] = line;
	return &s->v[s->n++];
}

/* Fills one subscriber from its text fields; on error names the column in
 * *col and returns a message. */
static const char *fill_sub(struct sf_auc_sub *u, const char *imsi, const char *iccid,
                            const char *alg, const char *k, const char *opc, const char **col)
{
	enum sf_aka_alg a;
	size_t got = 0;
	*col = "alg";
	if (!alg || sf_aka_alg_parse(alg, &a) != 0)
		return "expected milenage, tuak or xor";
	sf_auc_sub_init(u, a);
	*col = "imsi";
	if (!imsi || strlen(imsi) < 6 || strlen(imsi) > 15 ||
	    strspn(imsi, "0123456789") != strlen(imsi))
		return "expected 6 to 15 digits";
	memcpy(u->imsi, imsi, strlen(imsi) + 1);
	*col = "iccid";
	if (iccid && iccid[0]) {
		if (strlen(iccid) > SF_AUC_ICCID_MAX || sf_iccid_check(iccid) != 0)
			return "expected 18 to 20 digits ending in its Luhn check digit";
		memcpy(u->iccid, iccid, strlen(iccid) + 1);
	}
	*col = "k";
	if (!k || sf_hex_decode(u->params.k, sizeof(u->params.k), &got, k, strlen(k)) != 0 ||
	    !(got == 16 || (a == SF_AKA_ALG_TUAK && got == 32)))
		return a == SF_AKA_ALG_TUAK ? "expected 32 or 64 hex digits (K of 128 or 256 bits)"
		                            : "expected 32 hex digits (128-bit K)";
	u->params.k_len = (uint8_t)got;
	*col = a == SF_AKA_ALG_TUAK ? "opc (TOPc)" : "opc";
	if (a == SF_AKA_ALG_XOR) {
		if (opc && opc[0])
			return "must be empty for the XOR test algorithm (it has no OPc)";
		u->params.opc_len = 0;
	} else {
		size_t want = a == SF_AKA_ALG_TUAK ? 32 : 16;
		if (!opc ||
		    sf_hex_decode(u->params.opc, sizeof(u->params.opc), &got, opc, strlen(opc)) !=
		        0 ||
		    got != want)
			return a == SF_AKA_ALG_TUAK ? "expected 64 hex digits (TOPc)"
			                            : "expected 32 hex digits (128-bit OPc)";
		u->params.opc_len = (uint8_t)want;
	}
	*col = NULL;
	return NULL;
}

/* The CSV reader; a refusal's sentence goes to err. */
static int load_csv_msg(const char *file, char *buf, struct subs *s, char *err, size_t errlen)
{
	unsigned line = 0;
	int header = 0;
	for (char *ln = buf, *next; ln; ln = next) {
		next = strchr(ln, '\n');
		if (next)
			*next++ = '\0';
		line++;
		char *t = sf_cli_trim(ln);
		if (!*t)
			continue;
		char *cols[6];
		size_t nc = sf_cli_csv_split(t, cols, 6);
		if (!header) {
			if (!sf_cli_csv_is_subscriber_header(cols, nc)) {
				snprintf(err, errlen, "%s: line %u: the header must be exactly "
				           "\"imsi,iccid,alg,k,opc\"; nothing was imported",
				           file, line);
				return SF_EXIT_USAGE;
			}
			header = 1;
			continue;
		}
		if (nc != 5) {
			snprintf(err, errlen, 
			    "%s: line %u: expected 5 columns imsi,iccid,alg,k,opc, found %zu; "
			    "nothing was imported",
			    file, line, nc);
			return SF_EXIT_USAGE;
		}
		struct sf_auc_sub *u = subs_add(s, line);
		if (!u) {
			snprintf(err, errlen, "out of memory reading %s", file);
			return SF_EXIT_FAIL;
		}
		const char *col,
		    *msg = fill_sub(u, cols[0], cols[1], cols[2], cols[3], cols[4], &col);
		if (msg) {
			snprintf(err, errlen, "%s: line %u, column %s: %s; nothing was imported", file, line,
			           col, msg);
			return SF_EXIT_USAGE;
		}
	}
	if (!header || s->n == 0) {
		snprintf(err, errlen, "%s: expected the header \"imsi,iccid,alg,k,opc\" and at least one row; "
		           "nothing was imported",
		           file);
		return SF_EXIT_USAGE;
	}
	return SF_EXIT_OK;
}

static int load_csv(const char *file, char *buf, struct subs *s)
{
	char err[512] = "";
	int rc = load_csv_msg(file, buf, s, err, sizeof(err));
	if (rc)
		sf_cli_err("%s", err);
	return rc;
}

int sf__auc_csv_subs(char *buf, struct sf_auc_sub **v, size_t *n, char *err, size_t errlen)
{
	struct subs s;
	memset(&s, 0, sizeof(s));
	int rc = load_csv_msg("CSV", buf, &s, err, errlen);
	if (rc) {
		subs_free(&s);
		return rc;
	}
	free(s.line);
	*v = s.v;
	*n = s.n;
	return 0;
}

const char *sf__auc_jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* One subscriber object of the JSON import format (shared by `auc import`
 * and `auc serve`): keys imsi, iccid, alg, k, opc (or topc), and optionally
 * mac_len, res_len, ck_len, ik_len, keccak_iterations, ind_bits, seq_he,
 * status.  NULL, or a message with *col naming the field. */
const char *sf__auc_json_sub(struct sf_auc_sub *u, json_t *r, const char **col_out)
{
	const char *col = "(object)", *msg = "expected an object";
	if (json_is_object(r)) {
		const char *opc = sf__auc_jstr(r, "opc") ? sf__auc_jstr(r, "opc")
							 : sf__auc_jstr(r, "topc");
		msg = fill_sub(u, sf__auc_jstr(r, "imsi"), sf__auc_jstr(r, "iccid"),
			       sf__auc_jstr(r, "alg"), sf__auc_jstr(r, "k"), opc, &col);
	}
	static const char *const ints[] = {"mac_len", "res_len",           "ck_len",
	                                   "ik_len",  "keccak_iterations", "ind_bits",
	                                   "seq_he"};
	for (size_t f = 0; !msg && f < 7; f++) {
		json_t *v = json_object_get(r, ints[f]);
		if (!v)
			continue;
		json_int_t x = json_is_integer(v) ? json_integer_value(v) : -1;
		if (x < 0 || (f < 6 && x > 65535)) {
			col = ints[f];
			msg = "expected a small non-negative integer";
			break;
		}
		switch (f) {
		case 0:
			u->params.mac_len = (uint8_t)x;
			break;
		case 1:
			u->params.res_len = (uint8_t)x;
			break;
		case 2:
			u->params.ck_len = (uint8_t)x;
			break;
		case 3:
			u->params.ik_len = (uint8_t)x;
			break;
		case 4:
			u->params.keccak_iterations = (uint16_t)x;
			break;
		case 5:
			u->ind_bits = (uint8_t)(x > 255 ? 255 : x);
			break;
		default:
			u->seq_he = (uint64_t)x;
			break;
		}
	}
	const char *st = msg ? NULL : sf__auc_jstr(r, "status");
	if (st && strcmp(st, "active") != 0) {
		if (strcmp(st, "suspended") == 0)
			u->status = SF_AUC_SUSPENDED;
		else {
			col = "status";
			msg = "expected active or suspended";
		}
	}
	*col_out = col;
	return msg;
}

/* JSON: an array of objects, or {"subscribers": [...]}.  Keys: imsi, iccid,
 * alg, k, opc (or topc), and optionally mac_len, res_len, ck_len, ik_len,
 * keccak_iterations, ind_bits, seq_he, status. */
static int load_json(const char *file, const char *buf, struct subs *s)
{
	json_error_t e;
	json_t *root = json_loads(buf, 0, &e), *arr = root;
	int rc = SF_EXIT_USAGE;
	if (json_is_object(root))
		arr = json_object_get(root, "subscribers");
	if (!root || !json_is_array(arr) || json_array_size(arr) == 0) {
		sf_cli_err("%s: %s%s; nothing was imported", file,
		           root ? "expected a non-empty array of subscriber objects"
		                : "not valid JSON: ",
		           root ? "" : e.text);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *r = json_array_get(arr, i);
		struct sf_auc_sub *u = subs_add(s, (unsigned)i + 1);
		if (!u) {
			rc = SF_EXIT_FAIL;
			goto out;
		}
		const char *col, *msg = sf__auc_json_sub(u, r, &col);
		if (msg) {
			sf_cli_err("%s: subscriber %zu, field %s: %s; nothing was imported", file,
			           i + 1, col, msg);
			goto out;
		}
	}
	rc = SF_EXIT_OK;
out:
	json_decref(root);
	return rc;
}

static const char import_usage[] =
    "Usage: simfleet auc import --db FILE --master-key FILE [--status active|suspended]\n"
    "                           FILE.csv|FILE.json\n\n"
    "Adds subscribers, all or nothing: every row is validated first and all are\n"
    "inserted in one transaction.  CSV: header imsi,iccid,alg,k,opc (alg milenage,\n"
    "tuak or xor; opc is TOPc for tuak, empty for xor).  JSON: an array of objects\n"
    "with those keys and optionally mac_len, res_len, ck_len, ik_len,\n"
    "keccak_iterations, ind_bits, seq_he, status.  --status sets the status of\n"
    "every subscriber of the file: `suspended` for credentials issued with profiles\n"
    "not yet on a device (the AuC's handleDownloadProgressInfo endpoint, or `auc\n"
    "resume`, activates each when its profile is installed).  Prints {\"imported\":N}.\n";

int sf__cmd_auc_import(int argc, char **argv)
{
	struct opts o;
	struct subs s = {0};
	struct sf_auc *auc = NULL;
	char *buf = NULL;
	size_t len = 0;
	int rc = parse("import", argc, argv, 1u << O_DB | 1u << O_KEY | 1u << O_STATUS, import_usage,
	               &o);
	if (rc)
		return rc < 0 ? SF_EXIT_OK : rc;
	if (o.v[O_STATUS] && strcmp(o.v[O_STATUS], "active") != 0 &&
	    strcmp(o.v[O_STATUS], "suspended") != 0) {
		sf_cli_err("--status: expected active or suspended");
		return SF_EXIT_USAGE;
	}
	if (o.nrest != 1) {
		sf_cli_err("auc import: expected one FILE.csv or FILE.json (see --help)");
		return SF_EXIT_USAGE;
	}
	const char *file = o.rest[0];
	FILE *f = fopen(file, "rb");
	if (!f) {
		sf_cli_err("%s: %s", file, strerror(errno));
		return SF_EXIT_USAGE;
	}
	buf = malloc(IMPORT_MAX_BYTES + 1);
	if (buf)
		len = fread(buf, 1, IMPORT_MAX_BYTES + 1, f);
	int ferr = ferror(f);
	fclose(f);
	rc = SF_EXIT_USAGE;
	if (!buf || ferr || len > IMPORT_MAX_BYTES || memchr(buf, '\0', len)) {
		sf_cli_err("%s: %s", file,
		           !buf                     ? "out of memory"
		           : ferr                   ? "read error"
		           : len > IMPORT_MAX_BYTES ? "larger than 64 MiB: split it"
		                                    : "contains a NUL octet: not a text file");
		goto out;
	}
	buf[len] = '\0';
	size_t p = strspn(buf, " \t\r\n");
	rc = (buf[p] == '[' || buf[p] == '{') ? load_json(file, buf, &s) : load_csv(file, buf, &s);
	if (rc)
		goto out;
	if (o.v[O_STATUS])
		for (size_t i = 0; i < s.n; i++)
			s.v[i].status =
			    strcmp(o.v[O_STATUS], "suspended") == 0 ? SF_AUC_SUSPENDED : SF_AUC_ACTIVE;
	rc = open_db(&o, &auc);
	if (rc)
		goto out;
	size_t bad = 0;
	int lrc = sf_auc_import(auc, s.v, s.n, &bad);
	if (lrc == SF_EAUC_INVALID || lrc == SF_EAUC_DUPLICATE) {
		const struct sf_auc_sub *u = &s.v[bad];
		const char *why = lrc == SF_EAUC_DUPLICATE
		                      ? "IMSI already provisioned or repeated in the file"
		                      : "algorithm lengths (mac_len, res_len, ck_len, ik_len, "
		                        "keccak_iterations), ind_bits or seq_he not valid";
		sf_cli_err("%s: %s %u (IMSI %s): %s; nothing was imported", file,
		           buf[p] == '[' || buf[p] == '{' ? "subscriber" : "line", s.line[bad],
		           u->imsi, why);
		rc = SF_EXIT_USAGE;
		goto out;
	}
	if (lrc) {
		rc = lib_fail("import (nothing was imported)", lrc, auc);
		goto out;
	}
	json_t *j = json_object();
	json_object_set_new(j, "imported", json_integer((json_int_t)s.n));
	rc = sf_cli_print(j);
out:
	sf_auc_close(auc);
	subs_free(&s);
	if (buf) {
		sf_wipe(buf, len);
		free(buf);
	}
	return rc;
}

/* ---- vectors ---- */

static const char vectors_usage[] =
    "Usage: simfleet auc vectors --db FILE --master-key FILE --imsi IMSI [--n N]\n"
    "       [--type 3g|gsm|eps|5g] [--plmn MCC-MNC] [--snn NAME] [--ind IND]\n\n"
    "Issues N (default 1, at most 32) vectors as a JSON array.  The new SEQ_HE is\n"
    "committed to disk before anything is printed, so no SQN is ever issued twice.\n"
    "eps needs --plmn (K_ASME); 5g needs --snn or --plmn (XRES*, HXRES*, K_AUSF).\n";

void sf__auc_vec_json(json_t *arr, const struct sf_auc_req *q, const struct sf_auc_vec *o)
{
	json_t *j = json_object();
	const struct sf_aka_vector *v = &o->v;
	sf_cli_json_hex(j, "rand", v->rand, 16);
	if (q->type == SF_AUC_VGSM) {
		sf_cli_json_hex(j, "sres", o->sres, 4);
		sf_cli_json_hex(j, "kc", o->kc, 8);
	} else {
		sf_cli_json_hex(j, "autn", v->autn, v->autn_len);
		sf_cli_json_hex(j, "sqn", v->sqn, 6);
		if (q->type == SF_AUC_V5G) {
			sf_cli_json_hex(j, "xres_star", o->xres_star, 16);
			sf_cli_json_hex(j, "hxres_star", o->hxres_star, 16);
			sf_cli_json_hex(j, "kausf", o->kausf, 32);
		} else {
			sf_cli_json_hex(j, "xres", v->xres, v->xres_len);
			if (q->type == SF_AUC_VEPS) {
				sf_cli_json_hex(j, "kasme", o->kasme, 32);
			} else {
				sf_cli_json_hex(j, "ck", v->ck, v->ck_len);
				sf_cli_json_hex(j, "ik", v->ik, v->ik_len);
			}
		}
	}
	json_array_append_new(arr, j);
}

int sf__auc_split_plmn(const char *s, char mcc[4], char mnc[4])
{
	const char *dash = s ? strchr(s, '-') : NULL;
	if (!dash || dash - s != 3 || (strlen(dash + 1) != 2 && strlen(dash + 1) != 3))
		return -1;
	memcpy(mcc, s, 3);
	mcc[3] = '\0';
	snprintf(mnc, 4, "%s", dash + 1);
	return 0;
}

int sf__cmd_auc_vectors(int argc, char **argv)
{
	struct opts o;
	struct sf_auc *auc = NULL;
	struct sf_auc_vec out[SF_AUC_MAX_VECTORS];
	struct sf_auc_req q;
	char snn[SF_SNN_MAX_LEN + 1];
	uint64_t n = 1, ind = 0;
	memset(&q, 0, sizeof(q));
	int rc = parse("vectors", argc, argv,
	               1u << O_DB | 1u << O_KEY | 1u << O_IMSI | 1u << O_N | 1u << O_TYPE |
	                   1u << O_PLMN | 1u << O_SNN | 1u << O_IND,
	               vectors_usage, &o);
	if (rc)
		return rc < 0 ? SF_EXIT_OK : rc;
	if (no_rest("vectors", &o) || need(&o, O_IMSI, "the subscriber"))
		return SF_EXIT_USAGE;
	if ((o.v[O_N] && sf_cli_uint("--n", o.v[O_N], 1, SF_AUC_MAX_VECTORS, &n)) ||
	    (o.v[O_IND] && sf_cli_uint("--ind", o.v[O_IND], 0, 255, &ind)))
		return SF_EXIT_USAGE;
	q.type = SF_AUC_V3G;
	if (o.v[O_TYPE] && sf_auc_vtype_parse(o.v[O_TYPE], &q.type)) {
		sf_cli_err("--type: expected 3g, gsm, eps or 5g");
		return SF_EXIT_USAGE;
	}
	char mcc[4] = "", mnc[4] = "";
	if (o.v[O_PLMN] && sf__auc_split_plmn(o.v[O_PLMN], mcc, mnc)) {
		sf_cli_err("--plmn %s: expected MCC-MNC, e.g. 001-01", o.v[O_PLMN]);
		return SF_EXIT_USAGE;
	}
	if (q.type == SF_AUC_VEPS) {
		if (need(&o, O_PLMN, "the serving PLMN for K_ASME, e.g. 001-01"))
			return SF_EXIT_USAGE;
		if (sf_kdf_plmn_id(mcc, mnc, q.plmn)) {
			sf_cli_err("--plmn %s: MCC and MNC must be digits", o.v[O_PLMN]);
			return SF_EXIT_USAGE;
		}
	}
	if (q.type == SF_AUC_V5G) {
		size_t sl = 0;
		if (o.v[O_SNN]) {
			if (strlen(o.v[O_SNN]) == 0 || strlen(o.v[O_SNN]) > SF_SNN_MAX_LEN) {
				sf_cli_err("--snn: 1 to %d characters", SF_SNN_MAX_LEN);
				return SF_EXIT_USAGE;
			}
			snprintf(snn, sizeof(snn), "%s", o.v[O_SNN]);
		} else if (!o.v[O_PLMN] || sf_kdf_snn(snn, sizeof(snn), &sl, mcc, mnc)) {
			sf_cli_err("--snn NAME or --plmn MCC-MNC is required for --type 5g");
			return SF_EXIT_USAGE;
		}
		q.snn = snn;
	}
	q.imsi = o.v[O_IMSI];
	q.n = (size_t)n;
	q.ind = (unsigned)ind;
	q.out = out;
	rc = open_db(&o, &auc);
	if (rc)
		return rc;
	int lrc = sf_auc_vectors(auc, &q, 1);
	if (!lrc)
		lrc = q.result;
	if (lrc == SF_EAUC_UNKNOWN || lrc == SF_EAUC_SUSPENDED) {
		sf_cli_err("--imsi %s: %s", q.imsi, sf_strerror(lrc));
		rc = SF_EXIT_FAIL;
	} else if (lrc == SF_ERANGE) {
		sf_cli_err("--ind %llu: beyond this subscriber's IND range",
		           (unsigned long long)ind);
		rc = SF_EXIT_USAGE;
	} else if (lrc) {
		rc = lib_fail("vectors", lrc, auc);
	} else {
		json_t *arr = json_array();
		for (size_t i = 0; i < q.n; i++)
			sf__auc_vec_json(arr, &q, &out[i]);
		rc = sf_cli_print(arr);
		/* Test hook for the crash-consistency check (tests/cli/auc.sh): die
		 * hard right after the vectors left, as a crash would. */
		const char *hook = getenv("SF_AUC_TEST_CRASH_AFTER_PRINT");
		if (hook && hook[0] == '1') {
			fflush(stdout);
			raise(SIGKILL);
		}
	}
	sf_wipe(out, sizeof(out));
	sf_auc_close(auc);
	return rc;
}

/* ---- resync ---- */

static const char resync_usage[] =
    "Usage: simfleet auc resync --db FILE --master-key FILE --imsi IMSI --rand HEX --auts HEX\n\n"
    "Resynchronises SEQ_HE from the USIM's AUTS (TS 33.102 §6.3.5) for the RAND of\n"
    "the challenge that failed.  Prints {\"imsi\",\"sqn_ms\",\"seq_he\"}.\n";

int sf__cmd_auc_resync(int argc, char **argv)
{
	struct opts o;
	struct sf_auc *auc = NULL;
	uint8_t rand[16], auts[14];
	int rc = parse("resync", argc, argv,
	               1u << O_DB | 1u << O_KEY | 1u << O_IMSI | 1u << O_RAND | 1u << O_AUTS,
	               resync_usage, &o);
	if (rc)
		return rc < 0 ? SF_EXIT_OK : rc;
	if (no_rest("resync", &o) || need(&o, O_IMSI, "the subscriber") ||
	    need(&o, O_RAND, "the RAND of the failed challenge") ||
	    need(&o, O_AUTS, "the AUTS the USIM returned") ||
	    sf_cli_hex("--rand", o.v[O_RAND], 0, rand, 16, 16, NULL) ||
	    sf_cli_hex("--auts", o.v[O_AUTS], 0, auts, 14, 14, NULL))
		return SF_EXIT_USAGE;
	rc = open_db(&o, &auc);
	if (rc)
		return rc;
	uint64_t ms = 0;
	int lrc = sf_auc_resync(auc, o.v[O_IMSI], rand, auts, &ms);
	struct sf_auc_sub sub;
	memset(&sub, 0, sizeof(sub));
	if (!lrc)
		lrc = sf_auc_get(auc, o.v[O_IMSI], &sub);
	sf_aka_params_wipe(&sub.params);
	if (lrc == SF_EAUC_UNKNOWN || lrc == SF_EAUC_SUSPENDED) {
		sf_cli_err("--imsi %s: %s", o.v[O_IMSI], sf_strerror(lrc));
		rc = SF_EXIT_FAIL;
	} else if (lrc == SF_EAKA_MACS) {
		sf_cli_err("--auts: %s (wrong RAND, or AUTS from another card); SEQ_HE unchanged",
		           sf_strerror(lrc));
		rc = SF_EXIT_FAIL;
	} else if (lrc) {
		rc = lib_fail("resync", lrc, auc);
	} else {
		json_t *j = json_object();
		json_object_set_new(j, "imsi", json_string(o.v[O_IMSI]));
		json_object_set_new(j, "sqn_ms", json_integer((json_int_t)ms));
		json_object_set_new(j, "seq_he", json_integer((json_int_t)sub.seq_he));
		rc = sf_cli_print(j);
	}
	sf_auc_close(auc);
	return rc;
}

/* ---- suspend / resume ---- */

static int set_status(const char *cmd, int argc, char **argv, enum sf_auc_status st)
{
	struct opts o;
	struct sf_auc *auc = NULL;
	char usage[256];
	snprintf(usage, sizeof(usage),
	         "Usage: simfleet auc %s --db FILE --master-key FILE --imsi IMSI\n\n"
	         "%s the subscriber: a suspended one gets no vectors and no resync.\n",
	         cmd, st == SF_AUC_SUSPENDED ? "Suspends" : "Resumes");
	int rc = parse(cmd, argc, argv, 1u << O_DB | 1u << O_KEY | 1u << O_IMSI, usage, &o);
	if (rc)
		return rc < 0 ? SF_EXIT_OK : rc;
	if (no_rest(cmd, &o) || need(&o, O_IMSI, "the subscriber"))
		return SF_EXIT_USAGE;
	rc = open_db(&o, &auc);
	if (rc)
		return rc;
	int lrc = sf_auc_set_status(auc, o.v[O_IMSI], st);
	if (lrc == SF_EAUC_UNKNOWN) {
		sf_cli_err("--imsi %s: %s", o.v[O_IMSI], sf_strerror(lrc));
		rc = SF_EXIT_FAIL;
	} else if (lrc) {
		rc = lib_fail(cmd, lrc, auc);
	} else {
		json_t *j = json_object();
		json_object_set_new(j, "imsi", json_string(o.v[O_IMSI]));
		json_object_set_new(j, "status",
		                    json_string(st == SF_AUC_SUSPENDED ? "suspended" : "active"));
		rc = sf_cli_print(j);
	}
	sf_auc_close(auc);
	return rc;
}

int sf__cmd_auc_suspend(int argc, char **argv)
{
	return set_status("suspend", argc, argv, SF_AUC_SUSPENDED);
}

int sf__cmd_auc_resume(int argc, char **argv)
{
	return set_status("resume", argc, argv, SF_AUC_ACTIVE);
}

/* ---- rekey ---- */

static const char rekey_usage[] =
    "Usage: simfleet auc rekey --db FILE --master-key OLD --new-key NEW\n\n"
    "Re-seals every subscriber's K and OPc under a new master key in one transaction.\n"
    "NEW is created (64 hex digits, mode 0600) if it does not exist, else read.  After\n"
    "success use NEW; OLD no longer opens the database.  Prints {\"rekeyed\":N}.\n";

int sf__cmd_auc_rekey(int argc, char **argv)
{
	struct opts o;
	struct sf_auc *auc = NULL;
	uint8_t nk[SF_AUC_MASTER_KEY_LEN];
	int created = 0;
	int rc =
	    parse("rekey", argc, argv, 1u << O_DB | 1u << O_KEY | 1u << O_NEWKEY, rekey_usage, &o);
	if (rc)
		return rc < 0 ? SF_EXIT_OK : rc;
	if (no_rest("rekey", &o) || need(&o, O_NEWKEY, "the new master key file"))
		return SF_EXIT_USAGE;
	rc = open_db(&o, &auc);
	if (rc)
		return rc;
	struct stat st;
	if (stat(o.v[O_NEWKEY], &st) == 0) {
		if (sf_auc_key_load(o.v[O_NEWKEY], nk)) {
			sf_cli_err("--new-key %s: not 64 hex digits in a private (0600) file",
			           o.v[O_NEWKEY]);
			rc = SF_EXIT_USAGE;
			goto out;
		}
	} else if (sf_auc_key_create(o.v[O_NEWKEY], NULL, nk)) {
		sf_cli_err("--new-key %s: cannot create it", o.v[O_NEWKEY]);
		rc = SF_EXIT_USAGE;
		goto out;
	} else {
		created = 1;
	}
	uint64_t count = 0;
	int lrc = sf_auc_rekey(auc, nk);
	if (!lrc)
		lrc = sf_auc_count(auc, &count);
	if (lrc) {
		if (created)
			remove(o.v[O_NEWKEY]);
		rc = lib_fail("rekey (nothing changed; keep using the old key)", lrc, auc);
		goto out;
	}
	json_t *j = json_object();
	json_object_set_new(j, "rekeyed", json_integer((json_int_t)count));
	json_object_set_new(j, "master_key", json_string(o.v[O_NEWKEY]));
	rc = sf_cli_print(j);
out:
	sf_wipe(nk, sizeof(nk));
	sf_auc_close(auc);
	return rc;
}

int sf__cmd_auc_open(const char *db, const char *key, struct sf_auc **auc)
{
	struct opts o;
	memset(&o, 0, sizeof(o));
	o.v[O_DB] = db;
	o.v[O_KEY] = key;
	return open_db(&o, auc);
}
