/* simfleet: remote management of the USIM on M2M equipment (3GPP TR 33.812).
 * The command: programs read JSON on stdout; errors go to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "simfleet/aka.h"
#include "simfleet/log.h"

#define SF_VERSION "0.1.0"

static int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		puts("Usage: simfleet version\n\nPrints the version and the AES implementation the "
		     "AKA engine selected for this CPU, as JSON.");
		return SF_EXIT_OK;
	}
	json_t *o = json_object();
	json_object_set_new(o, "version", json_string(SF_VERSION));
	json_object_set_new(o, "aes", json_string(sf_aka_aes_impl()));
	return sf_cli_print(o);
}

static const struct sf_cli_cmd top[] = {
	{"aka", sf_cmd_aka, "the AKA engine: vectors, USIM checks, resync, key derivations"},
	{"attach", sf_cmd_attach, "simulate a network attach: USIM against an HLR (GSUP)"},
	{"auc", sf_cmd_auc, "the operator's AuC side: export subscribers to osmo-hlr"},
	{"device", sf_cmd_device, "the device agent: download profiles from an SM-DP+, manage them"},
	{"euicc", sf_cmd_euicc, "the software eUICC: state, profiles, APDUs"},
	{"operator", sf_cmd_operator, "the operator's ES2+ client of an SM-DP+: order, cancel"},
	{"pki", sf_cmd_pki, "GSMA RSP PKI: test PKI, eUICC certificates, chain checks"},
	{"profile", sf_cmd_profile, "build and inspect SAIP profile packages"},
	{"smdp", sf_cmd_smdp, "the SM-DP+: profile inventory, ES2+ orders, ES9+ downloads"},
	{"version", cmd_version, "version and build information"},
	{NULL, NULL, NULL},
};

static const char usage[] =
	"Usage: simfleet COMMAND [ARGS...]\n"
	"\n"
	"simfleet manages USIM subscriptions on M2M equipment remotely (3GPP TR 33.812).\n"
	"Results are JSON on standard output; errors are one line on standard error.\n"
	"Exit status: 0 when a result was printed, 1 on a failure, 2 on bad input.\n"
	"Environment: SIMFLEET_LOG=error|warn|info|debug sets the log level;\n"
	"SIMFLEET_AES=portable|aes-ni|vaes forces an AES implementation.\n";

int main(int argc, char **argv)
{
	const char *lvl = getenv("SIMFLEET_LOG");
	enum sf_log_level l;
	if (lvl && sf_log_level_parse(lvl, &l) == 0)
		sf_log_set_level(l);
	if (argc > 1 && strcmp(argv[1], "--version") == 0)
		return cmd_version(1, argv);
	return sf_cli_dispatch("", top, argc, argv, usage);
}
