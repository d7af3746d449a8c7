/*
 * Logging.  Messages go to stderr (or a sink set by the program) with a
 * level and a subsystem.  The logger has no way to print a byte buffer:
 * the only helper that renders bytes is sf_log_fp(), which prints a short
 * SHA-256 fingerprint ("fp:1a2b3c4d"), so K, OPc or a session key can at most
 * be identified, never recovered, from a log.
 */
#ifndef SIMFLEET_LOG_H
#define SIMFLEET_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum sf_log_level { SF_LOG_ERROR = 0, SF_LOG_WARN = 1, SF_LOG_INFO = 2, SF_LOG_DEBUG = 3 };

typedef void (*sf_log_sink)(void *user, enum sf_log_level lvl, const char *subsys, const char *msg);

/* Messages above lvl are dropped.  Default: SF_LOG_WARN, or the value of the
 * SIMFLEET_LOG environment variable (error|warn|info|debug) read by the CLI. */
void sf_log_set_level(enum sf_log_level lvl);
enum sf_log_level sf_log_get_level(void);
/* Replace the sink (NULL restores stderr). */
void sf_log_set_sink(sf_log_sink sink, void *user);
/* Parses "error|warn|info|debug"; SF_EINVAL otherwise. */
int sf_log_level_parse(const char *s, enum sf_log_level *out);

void sf_log(enum sf_log_level lvl, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A printable fingerprint of a secret: "fp:" and the first 4 octets of
 * SHA-256(buf) in hex.  dst must hold SF_LOG_FP_LEN bytes. */
#define SF_LOG_FP_LEN 12
const char *sf_log_fp(char dst[SF_LOG_FP_LEN], const uint8_t *buf, size_t len);

#endif
