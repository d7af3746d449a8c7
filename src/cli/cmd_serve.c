/*
 * simfleet euicc serve: the software eUICC as a card in a reader, so that
 * unmodified PC/SC tools (pcsc_scan, scriptor, lpac, pySim) drive it through
 * pcscd and the vsmartcard virtual reader (vpcd), or a program drives it over
 * a Unix socket.  The protocol is in include/simfleet/serve.h and
 * docs/euicc-serve.md.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "simfleet/err.h"
#include "simfleet/euicc.h"
#include "simfleet/serve.h"
#include "simfleet/util.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	stop_flag = sig;
}

static void on_event(void *user, const char *line)
{
	(void)user;
	fprintf(stderr, "simfleet: %s\n", line);
	fflush(stderr);
}

static const char serve_usage[] =
    "Usage: simfleet euicc serve --state DIR (--vpcd HOST[:PORT] | --socket PATH)\n"
    "\n"
    "Serves the eUICC in DIR as a card until SIGINT or SIGTERM (the state is\n"
    "persisted after every command, so stopping loses nothing).  The state\n"
    "directory stays locked meanwhile: other 'euicc' commands fail until it stops.\n"
    "\n"
    "--vpcd HOST[:PORT]  be the virtual card of vsmartcard's vpcd reader inside\n"
    "                    pcscd (TCP client; PORT defaults to 35963, the reader\n"
    "                    'Virtual PCD 00 00'); retries every 0.5 s while vpcd is\n"
    "                    not there and after it drops the connection.\n"
    "--socket PATH       listen on a Unix stream socket (mode 0600, removed on\n"
    "                    exit), one client at a time; refuses a PATH that another\n"
    "                    process serves.\n"
    "Both speak the vpcd framing: 2-octet big-endian length + payload; payloads\n"
    "00/01/02/04 are power off/power on/reset/get ATR, longer ones C-APDUs.\n"
    "See docs/euicc-serve.md.  Prints one line on stderr when ready.\n";

enum { S_STATE = 500, S_VPCD, S_SOCKET, S_HELP };

static const struct option sopts[] = {{"state", required_argument, 0, S_STATE},
                                      {"vpcd", required_argument, 0, S_VPCD},
                                      {"socket", required_argument, 0, S_SOCKET},
                                      {"help", no_argument, 0, S_HELP},
                                      {0, 0, 0, 0}};

int sf_cmd_euicc_serve(int argc, char **argv)
{
	const char *state = NULL, *vpcd = NULL, *sock = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", sopts, NULL)) != -1) {
		switch (c) {
		case S_STATE:
			state = optarg;
			break;
		case S_VPCD:
			vpcd = optarg;
			break;
		case S_SOCKET:
			sock = optarg;
			break;
		case S_HELP:
			fputs(serve_usage, stdout);
			return SF_EXIT_OK;
		default:
			sf_cli_err("serve: bad option (see --help)");
			return SF_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		sf_cli_err("serve: unexpected argument '%s' (see --help)", argv[optind]);
		return SF_EXIT_USAGE;
	}
	if (!state) {
		sf_cli_err("--state DIR is required");
		return SF_EXIT_USAGE;
	}
	if (!vpcd == !sock) {
		sf_cli_err("serve: give exactly one of --vpcd HOST[:PORT] and --socket PATH");
		return SF_EXIT_USAGE;
	}
	char host[256];
	uint16_t port = 0;
	if (vpcd && sf_hostport_parse(vpcd, host, sizeof(host), &port, SF_SERVE_VPCD_PORT)) {
		sf_cli_err("--vpcd '%s': expected HOST, HOST:PORT or [IPV6]:PORT, PORT 1..65535",
		           vpcd);
		return SF_EXIT_USAGE;
	}

	struct sf_euicc *e = NULL;
	int rc = sf_euicc_open(&e, state);
	if (rc == SF_ESTORE_LOCKED) {
		sf_cli_err("--state %s: the eUICC is in use by another process (already served?)",
		           state);
		return SF_EXIT_FAIL;
	}
	if (rc == SF_ESTORE_FORMAT || rc == SF_ESTORE_KEY) {
		sf_cli_err("--state %s: not an eUICC state directory (create one with 'simfleet "
		           "euicc init'): %s",
		           state, sf_strerror(rc));
		return SF_EXIT_USAGE;
	}
	if (rc) {
		sf_cli_err("--state %s: %s", state, sf_strerror(rc));
		return SF_EXIT_FAIL;
	}

	/* No SA_RESTART: a signal interrupts the current poll(); the serve loop
	 * sees the flag within its poll period either way. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct sf_serve_cfg cfg = {.stop = &stop_flag, .event = on_event, .user = NULL};
	int r = vpcd ? sf_serve_vpcd(e, host, port, &cfg) : sf_serve_unix(e, sock, &cfg);
	sf_euicc_close(e);
	switch (r) {
	case 0:
		return SF_EXIT_OK;
	case SF_ETRANSPORT_ADDR:
		if (vpcd)
			sf_cli_err("--vpcd %s: host does not resolve", vpcd);
		else
			sf_cli_err("--socket %s: path too long for a Unix socket (max 107 octets)",
			           sock);
		return SF_EXIT_USAGE;
	case SF_ETRANSPORT_INUSE:
		sf_cli_err("--socket %s: another process is serving this socket; stop it or "
		           "choose another path",
		           sock);
		return SF_EXIT_FAIL;
	case SF_EEXIST:
		sf_cli_err("--socket %s: exists and is not a socket; not replacing it", sock);
		return SF_EXIT_USAGE;
	default:
		sf_cli_err("%s %s: %s", vpcd ? "--vpcd" : "--socket", vpcd ? vpcd : sock,
		           sf_strerror(r));
		return SF_EXIT_FAIL;
	}
}
