/* Shared plumbing of the simfleet command: argument parsing helpers, secret
 * input (@FILE, -), JSON output.  Errors that reach a person name the flag
 * and say what is expected. */
#ifndef SF_CLI_H
#define SF_CLI_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Exit statuses of every subcommand. */
enum { SF_EXIT_OK = 0, SF_EXIT_FAIL = 1, SF_EXIT_USAGE = 2 };

struct sf_cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* Prints "simfleet: " + message to stderr (one line). */
void sf_cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Decodes the hex value of flag into dst; exact_len 0 = any length up to
 * cap.  When secret is set the value may be "@FILE" or "-" (stdin) so it
 * need not appear on a command line.  Returns 0 or SF_EXIT_USAGE after
 * printing an error naming the flag. */
int sf_cli_hex(const char *flag, const char *arg, int secret, uint8_t *dst, size_t cap,
	       size_t exact_len, size_t *out_len);

/* Parses an unsigned integer (decimal or 0x-hex) within [min, max]. */
int sf_cli_uint(const char *flag, const char *arg, uint64_t min, uint64_t max, uint64_t *out);

/* Adds key = lowercase hex of buf to obj. */
void sf_cli_json_hex(json_t *obj, const char *key, const uint8_t *buf, size_t len);

/* Prints obj to stdout (indented on a terminal, one line otherwise),
 * releases it, returns SF_EXIT_OK (SF_EXIT_FAIL if stdout fails). */
int sf_cli_print(json_t *obj);

/* Sends (wr) or receives exactly len octets on a socket; 0 or
 * SF_ETRANSPORT_IO (peer gone, error). */
int sf_cli_io_full(int fd, void *buf, size_t len, int wr);

/* Subscriber CSV files (imsi,iccid,alg,k,opc), as `auc import` and `auc
 * export` read them.  sf_cli_trim strips blanks and CR in place;
 * sf_cli_csv_split cuts a line at its commas, trims each column into
 * cols[0..max) and returns the column count (which may exceed max);
 * sf_cli_csv_is_subscriber_header tells the exact header line. */
char *sf_cli_trim(char *s);
size_t sf_cli_csv_split(char *line, char **cols, size_t max);
int sf_cli_csv_is_subscriber_header(char **cols, size_t nc);

/* Runs a table of subcommands: argv[0] is the group name. */
int sf_cli_dispatch(const char *group, const struct sf_cli_cmd *cmds, int argc, char **argv,
		    const char *help);

int sf_cmd_aka(int argc, char **argv);
int sf_cmd_profile(int argc, char **argv);
int sf_cmd_euicc(int argc, char **argv);
int sf_cmd_auc(int argc, char **argv);    /* cmd_auc.c, cmd_auc_db.c: the AuC, osmo-hlr export */
int sf_cmd_attach(int argc, char **argv); /* cmd_attach.c: attach --hlr gsup:// */
/* simfleet euicc serve (cmd_serve.c) */
int sf_cmd_euicc_serve(int argc, char **argv);
int sf_cmd_pki(int argc, char **argv); /* cmd_pki.c: simfleet pki */
int sf_cmd_smdp(int argc, char **argv);     /* cmd_smdp.c, smdp_serve.c: the SM-DP+ */
int sf_cmd_operator(int argc, char **argv); /* cmd_operator.c: the operator's ES2+ client */
int sf_cmd_device(int argc, char **argv); /* cmd_device.c: the device agent */

/* The card behind --state DIR (in-process, *e opened), --socket PATH or
 * --pcsc [READER] (pcsc set, reader may be NULL): exactly one.  Returns 0
 * with t ready, or an exit status after a message naming the flag.
 * sf_cli_card_close releases both (accepts what open left on failure). */
struct sf_ipa_transport;
struct sf_euicc;
int sf_cli_card_open(const char *state, const char *sock, const char *pcsc_reader, int pcsc,
                     struct sf_ipa_transport *t, struct sf_euicc **e);
void sf_cli_card_close(struct sf_ipa_transport *t, struct sf_euicc *e);

#endif
