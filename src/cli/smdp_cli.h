/* Internal to the `simfleet smdp` commands: the runtime configuration of an
 * SM-DP+ (parsed once from the command line and the config file) and the
 * data directory layout.  docs/smdp.md describes both. */
#ifndef SF_CLI_SMDP_H
#define SF_CLI_SMDP_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/smdp.h"

#define SF_SMDP_OPERATORS_MAX 64
#define SF_SMDP_PATH 4096

struct sf__smdp_operator {
	char name[SF_SMDP_NAME_MAX + 1];
	char notification_url[512];   /* "" = none */
	char notification_token[256]; /* bearer for notification_url, "" = none */
	char notification_cacert[SF_SMDP_PATH]; /* CA file for an https URL, "" = system */
	uint8_t token_sha256[32];
};

struct sf__smdp_config {
	char data[SF_SMDP_PATH];
	char db[SF_SMDP_PATH];
	char listen[128];
	char host[64];
	uint16_t port;
	char address[256]; /* SM-DP+ address (FQDN[:port]); "" = HOST:PORT bound */
	/* credentials (defaults: DATA/pki/...) */
	char ci[SF_SMDP_PATH], dpauth_cert[SF_SMDP_PATH], dpauth_key[SF_SMDP_PATH];
	char dppb_cert[SF_SMDP_PATH], dppb_key[SF_SMDP_PATH];
	char dptls_cert[SF_SMDP_PATH], dptls_key[SF_SMDP_PATH];
	int pki_from_config; /* certificates named by the config: no test PKI */
	/* EUM certificates parsed once at start (sf_rsp_smdp_add_eum): default
	 * DATA/pki/eum.pem of the test PKI */
	char eums[8][SF_SMDP_PATH];
	size_t neums;
	struct sf_smdp_policy policy;
	int session_ttl;   /* seconds */
	int notify_retry_s; /* a failed notification's first wait in the outbox */
	size_t body_max;   /* octets */
	double rate_per_s; /* per client IP */
	double rate_burst;
	struct sf__smdp_operator ops[SF_SMDP_OPERATORS_MAX];
	size_t nops;
};

/* Fills c from the defaults, the config file (NULL: none) and --data /
 * --listen (NULL: not given; they override the file).  Prints what is wrong
 * and returns SF_EXIT_USAGE, or 0. */
int sf__smdp_config_load(struct sf__smdp_config *c, const char *file, const char *data,
                         const char *listen);

/* Creates DATA (0700) and opens its database. */
int sf__smdp_open_db(const struct sf__smdp_config *c, struct sf_smdp_db **db);

/* simfleet smdp serve (smdp_serve.c) */
int sf__cmd_smdp_serve(int argc, char **argv);

#endif
