/*
 * simfleet auc export --to osmo-hlr: provisions subscribers into a running
 * osmo-hlr through its CTRL interface.
 *
 * The Osmocom CTRL protocol is text inside IPA framing: each message is a
 * 2-octet big-endian length, the protocol octet 0xEE (IPAC_PROTO_OSMO), then
 * the extension octet 0x00 (IPAC_PROTO_EXT_CTRL) and the text; the length
 * counts the extension octet and the text.  Commands are "GET <id> <var>" and
 * "SET <id> <var> <value>"; the answer is "GET_REPLY|SET_REPLY <id> <var>
 * <value>" or "ERROR <id> <reason>", and the peer may interleave "TRAP ..."
 * messages, which a client skips.
 *
 * The osmo-hlr (1.5) variables used here:
 *   GET subscriber.by-imsi-IMSI.info        exists?  ("No such subscriber.")
 *   SET subscriber.create IMSI              creates it (NAM CS+PS on)
 *   SET subscriber.by-imsi-IMSI.aud3g milenage,K,OPC,OPc
 *   SET subscriber.delete IMSI              used to roll back a failed run
 *
 * All or nothing: every CSV row is validated before the HLR is contacted, an
 * IMSI already in the HLR stops the export before anything is written, and
 * when the HLR refuses a write half way the subscribers created by this run
 * are deleted again.  K and OPc travel only inside the CTRL connection (as
 * osmo-hlr requires); they never reach stdout, stderr or a log, and their
 * buffers are wiped on every exit path.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli.h"
#include "simfleet/aka.h"
#include "simfleet/auc.h"
#include "simfleet/err.h"
#include "simfleet/saip.h"
#include "simfleet/util.h"

#define CSV_MAX_BYTES (64u * 1024 * 1024)
#define CTRL_TIMEOUT_S 10
#define CTRL_MAX_MSG 4096

struct sub_row {
	char imsi[16];
	char iccid[21];
	char k[33];   /* lowercase hex, secret */
	char opc[33]; /* lowercase hex, secret */
	unsigned line;
};

/* ---- CSV (imsi,iccid,alg,k,opc) ---- */

static int all_digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Copies a 128-bit hex key into dst as lowercase hex; 0 or -1. */
static int key_hex(const char *s, char dst[33])
{
	if (strlen(s) != 32)
		return -1;
	for (size_t i = 0; i < 32; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		dst[i] = c;
	}
	dst[32] = '\0';
	return 0;
}

static void row_err(const char *file, size_t row, unsigned line, const char *col, const char *fmt,
                    ...) __attribute__((format(printf, 5, 6)));
static void row_err(const char *file, size_t row, unsigned line, const char *col, const char *fmt,
                    ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sf_cli_err("%s: row %zu (line %u), column %s: %s; nothing was exported", file, row, line,
	           col, msg);
}

/* Parses and validates the whole file; SF_EXIT_OK or SF_EXIT_USAGE after
 * naming the row and column.  *rows is heap memory the caller wipes. */
static int csv_load(const char *file, struct sub_row **rows_out, size_t *n_out)
{
	int rc = SF_EXIT_USAGE;
	char *buf = NULL;
	struct sub_row *rows = NULL;
	size_t n = 0, cap = 0, len = 0;
	FILE *f = fopen(file, "rb");
	if (!f) {
		sf_cli_err("--input %s: %s", file, strerror(errno));
		return SF_EXIT_USAGE;
	}
	buf = malloc(CSV_MAX_BYTES + 1);
	if (!buf) {
		rc = SF_EXIT_FAIL;
		sf_cli_err("out of memory reading %s", file);
		goto out;
	}
	len = fread(buf, 1, CSV_MAX_BYTES + 1, f);
	if (ferror(f) || len > CSV_MAX_BYTES) {
		sf_cli_err("--input %s: %s", file,
		           ferror(f) ? "read error" : "larger than 64 MiB: split it");
		goto out;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		sf_cli_err("--input %s: contains a NUL octet: not a CSV text file", file);
		goto out;
	}

	unsigned line = 0;
	int header_seen = 0;
	for (char *ln = buf, *next; ln; ln = next) {
		next = strchr(ln, '\n');
		if (next)
			*next++ = '\0';
		line++;
		char *t = sf_cli_trim(ln);
		if (*t == '\0')
			continue;
		if (strchr(t, '"')) {
			sf_cli_err("%s: line %u: quoted fields are not supported (the columns are "
			           "digits and hex); nothing was exported",
			           file, line);
			goto out;
		}
		/* Split on commas, keeping empty fields (a missing K is column k). */
		char *cols[6];
		size_t nc = sf_cli_csv_split(t, cols, 6);
		if (!header_seen) {
			if (!sf_cli_csv_is_subscriber_header(cols, nc)) {
				sf_cli_err("%s: line %u: the header must be exactly "
				           "\"imsi,iccid,alg,k,opc\"; nothing was exported",
				           file, line);
				goto out;
			}
			header_seen = 1;
			continue;
		}
		size_t rowno = n + 1;
		if (nc != 5) {
			row_err(file, rowno, line, "count",
			        "expected 5 columns imsi,iccid,alg,k,opc, found %zu", nc);
			goto out;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct sub_row *nr = calloc(ncap, sizeof(*nr));
			if (!nr) {
				rc = SF_EXIT_FAIL;
				sf_cli_err("out of memory reading %s", file);
				goto out;
			}
			if (rows) {
				memcpy(nr, rows, n * sizeof(*nr));
				sf_wipe(rows, cap * sizeof(*rows));
				free(rows);
			}
			rows = nr;
			cap = ncap;
		}
		struct sub_row *r = &rows[n];
		r->line = line;
		if (!all_digits(cols[0], 6, 15)) {
			row_err(file, rowno, line, "imsi", "\"%.20s\" is not 6 to 15 digits",
			        cols[0]);
			goto out;
		}
		memcpy(r->imsi, cols[0], strlen(cols[0]) + 1);
		if (strlen(cols[1]) > 20 || sf_iccid_check(cols[1]) != 0) {
			row_err(file, rowno, line, "iccid",
			        "\"%.24s\" is not 18 to 20 digits ending in its Luhn check digit",
			        cols[1]);
			goto out;
		}
		memcpy(r->iccid, cols[1], strlen(cols[1]) + 1);
		if (strcmp(cols[2], "milenage") != 0) {
			row_err(
			    file, rowno, line, "alg",
			    "\"%.16s\" cannot be exported to osmo-hlr: use milenage (osmo-hlr 1.5 "
			    "has no TUAK, and the XOR test algorithm is for test cards only)",
			    cols[2]);
			goto out;
		}
		if (key_hex(cols[3], r->k) != 0) {
			row_err(file, rowno, line, "k", "expected 32 hex digits (128-bit K)");
			goto out;
		}
		if (key_hex(cols[4], r->opc) != 0) {
			row_err(file, rowno, line, "opc", "expected 32 hex digits (128-bit OPc)");
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if (strcmp(rows[i].imsi, r->imsi) == 0) {
				row_err(file, rowno, line, "imsi",
				        "IMSI %s already on row %zu (line %u)", r->imsi, i + 1,
				        rows[i].line);
				goto out;
			}
		}
		n++;
	}
	if (!header_seen) {
		sf_cli_err(
		    "%s: empty: expected the header \"imsi,iccid,alg,k,opc\" and one row per "
		    "subscriber",
		    file);
		goto out;
	}
	if (n == 0) {
		sf_cli_err("%s: no subscriber rows after the header; nothing was exported", file);
		goto out;
	}
	*rows_out = rows;
	*n_out = n;
	rows = NULL;
	rc = SF_EXIT_OK;
out:
	if (rows) {
		sf_wipe(rows, cap * sizeof(*rows));
		free(rows);
	}
	if (buf) {
		sf_wipe(buf, len);
		free(buf);
	}
	fclose(f);
	return rc;
}

/* ---- IPA + CTRL client ---- */

struct ctrl {
	int fd;
	unsigned next_id;
	char reply[CTRL_MAX_MSG + 1]; /* text of the last answer (after "<id> ") */
};

static int ctrl_connect(struct ctrl *c, const char *hostport)
{
	char host[256], port[8];
	uint16_t portnum;
	struct addrinfo hints = {0}, *res = NULL;
	c->fd = -1;
	c->next_id = 1;
	if (sf_hostport_parse(hostport, host, sizeof(host), &portnum, 0) != 0) {
		sf_cli_err("--ctrl %s: expected HOST:PORT (osmo-hlr's CTRL port is 4259)",
		           hostport);
		return SF_ETRANSPORT_ADDR;
	}
	snprintf(port, sizeof(port), "%u", portnum);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0 || !res) {
		sf_cli_err("--ctrl %s: host does not resolve", hostport);
		return SF_ETRANSPORT_ADDR;
	}
	int rc = SF_ETRANSPORT_IO, err = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		struct timeval tv = {CTRL_TIMEOUT_S, 0};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			c->fd = fd;
			rc = 0;
			break;
		}
		err = errno;
		close(fd);
	}
	freeaddrinfo(res);
	if (rc)
		sf_cli_err("--ctrl %s: cannot connect: %s (is osmo-hlr running with its ctrl "
		           "interface bound there?)",
		           hostport, strerror(err));
	return rc;
}

/* Sends "VERB id var[ value]" and waits for its answer.  0 when the answer is
 * VERB_REPLY (c->reply = value), SF_ECTRL_REFUSED on ERROR (c->reply =
 * reason), SF_ECTRL_PROTO / SF_ETRANSPORT_IO otherwise.  value may hold
 * secrets: it is built in a buffer that is wiped. */
static int ctrl_cmd(struct ctrl *c, const char *verb, const char *var, const char *value)
{
	uint8_t msg[CTRL_MAX_MSG + 4];
	unsigned id = c->next_id++;
	int rc = SF_ECTRL_PROTO;
	int n = snprintf((char *)msg + 4, CTRL_MAX_MSG, "%s %u %s%s%s", verb, id, var,
	                 value ? " " : "", value ? value : "");
	if (n < 0 || n >= CTRL_MAX_MSG - 1) {
		rc = SF_EINVAL;
		goto out;
	}
	size_t plen = (size_t)n + 1; /* extension octet + text */
	msg[0] = (uint8_t)(plen >> 8);
	msg[1] = (uint8_t)plen;
	msg[2] = 0xee; /* IPAC_PROTO_OSMO */
	msg[3] = 0x00; /* IPAC_PROTO_EXT_CTRL */
	rc = sf_cli_io_full(c->fd, msg, plen + 3, 1);
	if (rc)
		goto out;
	for (;;) {
		uint8_t hdr[3];
		rc = sf_cli_io_full(c->fd, hdr, 3, 0);
		if (rc)
			goto out;
		size_t len = ((size_t)hdr[0] << 8) | hdr[1];
		if (len == 0 || len > CTRL_MAX_MSG) {
			rc = SF_ECTRL_PROTO;
			goto out;
		}
		rc = sf_cli_io_full(c->fd, msg, len, 0);
		if (rc)
			goto out;
		if (hdr[2] == 0xfe && msg[0] == 0x00) { /* IPA CCM PING: answer PONG */
			uint8_t pong[4] = {0, 1, 0xfe, 0x01};
			rc = sf_cli_io_full(c->fd, pong, sizeof(pong), 1);
			if (rc)
				goto out;
			continue;
		}
		if (hdr[2] != 0xee || msg[0] != 0x00)
			continue; /* another IPA protocol: not for us */
		msg[len] = '\0';
		const char *t = (const char *)msg + 1;
		if (strncmp(t, "TRAP ", 5) == 0)
			continue;
		char want[32];
		snprintf(want, sizeof(want), "%s_REPLY %u ", verb, id);
		size_t wl = strlen(want);
		char werr[32];
		snprintf(werr, sizeof(werr), "ERROR %u ", id);
		size_t el = strlen(werr);
		if (strncmp(t, want, wl) == 0) {
			const char *v = t + wl;
			size_t vl = strlen(var);
			if (strncmp(v, var, vl) != 0 || (v[vl] != ' ' && v[vl] != '\0')) {
				rc = SF_ECTRL_PROTO;
				goto out;
			}
			v += vl;
			if (*v == ' ')
				v++;
			snprintf(c->reply, sizeof(c->reply), "%s", v);
			rc = 0;
		} else if (strncmp(t, werr, el) == 0) {
			snprintf(c->reply, sizeof(c->reply), "%s", t + el);
			rc = SF_ECTRL_REFUSED;
		} else {
			rc = SF_ECTRL_PROTO;
		}
		goto out;
	}
out:
	sf_wipe(msg, sizeof(msg));
	return rc;
}

static void ctrl_close(struct ctrl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	sf_wipe(c->reply, sizeof(c->reply));
}

/* Reports a CTRL failure for IMSI (row) without echoing any secret. */
static void ctrl_fail(const struct ctrl *c, int rc, const char *what, const struct sub_row *r,
                      size_t row)
{
	if (rc == SF_ECTRL_REFUSED)
		sf_cli_err("osmo-hlr refused %s for IMSI %s (row %zu): \"%.200s\"", what, r->imsi,
		           row, c->reply);
	else
		sf_cli_err("CTRL %s for IMSI %s (row %zu): %s", what, r->imsi, row,
		           sf_strerror(rc));
}

static int export_osmo_hlr(const char *hostport, struct sub_row *rows, size_t n)
{
	struct ctrl c;
	char var[96];
	char val[128];
	size_t created = 0;
	int rc = ctrl_connect(&c, hostport);
	if (rc)
		return SF_EXIT_FAIL;

	/* 1. Nothing is written while any IMSI is already there. */
	for (size_t i = 0; i < n; i++) {
		snprintf(var, sizeof(var), "subscriber.by-imsi-%s.info", rows[i].imsi);
		rc = ctrl_cmd(&c, "GET", var, NULL);
		if (rc == 0) {
			sf_cli_err("IMSI %s (row %zu) is already in osmo-hlr; nothing was exported "
			           "(delete it there first, or leave it out of the CSV)",
			           rows[i].imsi, i + 1);
			rc = SF_EEXIST;
			goto out;
		}
		if (rc != SF_ECTRL_REFUSED || strncmp(c.reply, "No such subscriber", 18) != 0) {
			ctrl_fail(&c, rc, "the existence check", &rows[i], i + 1);
			goto out;
		}
	}

	/* 2. Create and set the 3G authentication data (ind_bitlen stays 5,
	 *    as the USIM's SQN array of TS 33.102 C.3.2 uses 32 entries). */
	for (size_t i = 0; i < n; i++) {
		rc = ctrl_cmd(&c, "SET", "subscriber.create", rows[i].imsi);
		if (rc) {
			ctrl_fail(&c, rc, "subscriber.create", &rows[i], i + 1);
			goto rollback;
		}
		created = i + 1;
		snprintf(var, sizeof(var), "subscriber.by-imsi-%s.aud3g", rows[i].imsi);
		snprintf(val, sizeof(val), "milenage,%s,OPC,%s", rows[i].k, rows[i].opc);
		rc = ctrl_cmd(&c, "SET", var, val);
		sf_wipe(val, sizeof(val));
		if (rc) {
			ctrl_fail(&c, rc, "aud3g (K, OPc)", &rows[i], i + 1);
			goto rollback;
		}
	}
	rc = 0;
	goto out;

rollback:
	for (size_t i = created; i-- > 0;) {
		if (ctrl_cmd(&c, "SET", "subscriber.delete", rows[i].imsi) != 0)
			sf_cli_err(
			    "rollback: could not delete IMSI %s (row %zu) again: remove it by "
			    "hand",
			    rows[i].imsi, i + 1);
	}
	sf_cli_err("the subscribers this run created were deleted again; osmo-hlr is as before");
out:
	sf_wipe(val, sizeof(val));
	ctrl_close(&c);
	return rc ? SF_EXIT_FAIL : SF_EXIT_OK;
}

/* The AuC database as export rows (Milenage subscribers; any other is an
 * error naming it, and nothing is exported). */
int sf__cmd_auc_open(const char *db, const char *key, struct sf_auc **auc);

struct db_rows {
	struct sf_auc *auc;
	struct sub_row *v;
	size_t n, cap, suspended;
	int bad;
};

static int db_row(void *user, const char *imsi)
{
	struct db_rows *d = user;
	struct sf_auc_sub sub;
	memset(&sub, 0, sizeof(sub));
	int rc = sf_auc_get(d->auc, imsi, &sub);
	if (rc == 0 && sub.status == SF_AUC_SUSPENDED) {
		/* osmo-hlr has no suspended state: exporting it would let the
		 * subscription authenticate there.  Left out, and counted. */
		d->suspended++;
		sf_aka_params_wipe(&sub.params);
		return 0;
	}
	if (rc == 0 && (sub.params.alg != SF_AKA_ALG_MILENAGE || sub.params.k_len != 16 ||
	                sub.params.opc_len != 16)) {
		sf_cli_err("subscriber %s: not Milenage with a 16-octet K and OPc, which osmo-hlr's "
		           "CTRL cannot take; nothing was exported",
		           imsi);
		d->bad = 1;
		rc = SF_ENOTSUP;
	}
	if (rc == 0 && d->n == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 64;
		struct sub_row *nv = calloc(nc, sizeof(*nv));
		if (!nv) {
			rc = SF_ENOMEM;
		} else {
			if (d->v) {
				memcpy(nv, d->v, d->n * sizeof(*nv));
				sf_wipe(d->v, d->n * sizeof(*nv));
				free(d->v);
			}
			d->v = nv;
			d->cap = nc;
		}
	}
	if (rc == 0) {
		struct sub_row *r = &d->v[d->n++];
		snprintf(r->imsi, sizeof(r->imsi), "%s", imsi);
		snprintf(r->iccid, sizeof(r->iccid), "%s", sub.iccid);
		sf_hex_encode(r->k, sizeof(r->k), sub.params.k, 16);
		sf_hex_encode(r->opc, sizeof(r->opc), sub.params.opc, 16);
	}
	sf_aka_params_wipe(&sub.params);
	return rc;
}

static int db_load(const char *db, const char *key, struct sub_row **rows, size_t *n,
                   size_t *suspended)
{
	struct db_rows d;
	memset(&d, 0, sizeof(d));
	int rc = sf__cmd_auc_open(db, key, &d.auc);
	if (rc)
		return rc;
	int lrc = sf_auc_each(d.auc, db_row, &d);
	sf_auc_close(d.auc);
	if (lrc) {
		if (!d.bad)
			sf_cli_err("--db %s: %s", db, sf_strerror(lrc));
		sf_wipe(d.v, d.cap * sizeof(*d.v));
		free(d.v);
		return d.bad ? SF_EXIT_USAGE : SF_EXIT_FAIL;
	}
	*rows = d.v;
	*n = d.n;
	*suspended = d.suspended;
	return SF_EXIT_OK;
}

static const char export_usage[] =
    "Usage: simfleet auc export --to osmo-hlr --ctrl HOST:PORT\n"
    "                           (--input FILE.csv | --db FILE --master-key FILE)\n"
    "\n"
    "Provisions subscribers into a running osmo-hlr through its CTRL interface\n"
    "(osmo-hlr's CTRL port is 4259): from FILE.csv, with the header imsi,iccid,alg,k,opc\n"
    "and one subscriber per row (alg milenage, K and OPc 32 hex digits), or every\n"
    "subscriber of simfleet's AuC database (Milenage ones only: osmo-hlr's CTRL takes\n"
    "no other algorithm; suspended ones are left out, since osmo-hlr would let them\n"
    "authenticate, and counted as skipped_suspended).\n"
    "Every row is checked first: a bad row (exit 2, naming row and column) or an IMSI\n"
    "already in the HLR (exit 1) changes nothing, and if the HLR refuses a write the\n"
    "subscribers created by the run are deleted again.  K and OPc are never printed.\n"
    "Prints {\"exported\":N}.\n";

static int cmd_export(int argc, char **argv)
{
	enum { O_TO = 1, O_CTRL, O_INPUT, O_DB, O_KEY, O_HELP };
	static const struct option opts[] = {{"to", required_argument, 0, O_TO},
	                                     {"ctrl", required_argument, 0, O_CTRL},
	                                     {"input", required_argument, 0, O_INPUT},
	                                     {"db", required_argument, 0, O_DB},
	                                     {"master-key", required_argument, 0, O_KEY},
	                                     {"help", no_argument, 0, O_HELP},
	                                     {0, 0, 0, 0}};
	const char *to = NULL, *ctrl = NULL, *input = NULL, *db = NULL, *key = NULL;
	int o;
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case O_TO:
			to = optarg;
			break;
		case O_CTRL:
			ctrl = optarg;
			break;
		case O_INPUT:
			input = optarg;
			break;
		case O_DB:
			db = optarg;
			break;
		case O_KEY:
			key = optarg;
			break;
		case 'h':
		case O_HELP:
			fputs(export_usage, stdout);
			return SF_EXIT_OK;
		default:
			sf_cli_err("auc export: unknown or incomplete option %s (see --help)",
			           argv[optind - 1]);
			return SF_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		sf_cli_err("auc export: unexpected argument %s (see --help)", argv[optind]);
		return SF_EXIT_USAGE;
	}
	if (!to || strcmp(to, "osmo-hlr") != 0) {
		sf_cli_err("--to: required, and osmo-hlr is the only target so far");
		return SF_EXIT_USAGE;
	}
	if (!ctrl) {
		sf_cli_err("--ctrl HOST:PORT is required (osmo-hlr's CTRL interface, port 4259)");
		return SF_EXIT_USAGE;
	}
	if (!input == !db || !db != !key) {
		sf_cli_err("give --input FILE.csv, or --db FILE with --master-key FILE");
		return SF_EXIT_USAGE;
	}
	struct sub_row *rows = NULL;
	size_t n = 0, suspended = 0;
	int rc = input ? csv_load(input, &rows, &n) : db_load(db, key, &rows, &n, &suspended);
	if (rc != SF_EXIT_OK)
		return rc;
	rc = export_osmo_hlr(ctrl, rows, n);
	sf_wipe(rows, n * sizeof(*rows));
	free(rows);
	if (rc != SF_EXIT_OK)
		return rc;
	json_t *out = json_object();
	json_object_set_new(out, "exported", json_integer((json_int_t)n));
	if (db)
		json_object_set_new(out, "skipped_suspended", json_integer((json_int_t)suspended));
	return sf_cli_print(out);
}

/* The AuC database subcommands (cmd_auc_db.c). */
int sf__cmd_auc_init(int argc, char **argv);
int sf__cmd_auc_import(int argc, char **argv);
int sf__cmd_auc_vectors(int argc, char **argv);
int sf__cmd_auc_resync(int argc, char **argv);
int sf__cmd_auc_suspend(int argc, char **argv);
int sf__cmd_auc_resume(int argc, char **argv);
int sf__cmd_auc_rekey(int argc, char **argv);
int sf__cmd_auc_serve(int argc, char **argv); /* cmd_auc_serve.c */

static const struct sf_cli_cmd auc_cmds[] = {
    {"export", cmd_export, "provision subscribers into osmo-hlr (CTRL) from a CSV"},
    {"init", sf__cmd_auc_init, "create an AuC database and its master key file"},
    {"import", sf__cmd_auc_import, "add subscribers from CSV or JSON, all or nothing"},
    {"vectors", sf__cmd_auc_vectors, "issue 3G/GSM/EPS/5G vectors with a durable SQN"},
    {"resync", sf__cmd_auc_resync, "resynchronise SEQ_HE from a USIM's AUTS"},
    {"suspend", sf__cmd_auc_suspend, "refuse vectors to a subscriber"},
    {"resume", sf__cmd_auc_resume, "serve a suspended subscriber again"},
    {"rekey", sf__cmd_auc_rekey, "re-seal every K and OPc under a new master key"},
    {"serve", sf__cmd_auc_serve, "serve the AuC as an HTTPS JSON API (group commit)"},
    {NULL, NULL, NULL},
};

int sf_cmd_auc(int argc, char **argv)
{
	return sf_cli_dispatch("auc", auc_cmds, argc, argv,
	                       "Usage: simfleet auc SUBCOMMAND [ARGS...]\n\n"
	                       "The operator's AuC: subscribers with K/OPc sealed under a master key,\n"
	                       "vectors with a durable SQN, resynchronisation; and export of\n"
	                       "subscribers to osmo-hlr.\n");
}
