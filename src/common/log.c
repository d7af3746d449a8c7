/* Logging: level filter, replaceable sink, secrets only as fingerprints. */
#include "simfleet/log.h"

#include <stdio.h>
#include <string.h>

#include "simfleet/err.h"
#include "simfleet/sha256.h"
#include "simfleet/util.h"

static enum sf_log_level log_level = SF_LOG_WARN;
static sf_log_sink log_sink;
static void *log_user;

void sf_log_set_level(enum sf_log_level lvl)
{
	log_level = lvl;
}

enum sf_log_level sf_log_get_level(void)
{
	return log_level;
}

void sf_log_set_sink(sf_log_sink sink, void *user)
{
	log_sink = sink;
	log_user = user;
}

int sf_log_level_parse(const char *s, enum sf_log_level *out)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	for (int i = 0; s && i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum sf_log_level)i;
			return 0;
		}
	return SF_EINVAL;
}

void sf_log(enum sf_log_level lvl, const char *subsys, const char *fmt, ...)
{
	static const char *const tags[] = {"error", "warn", "info", "debug"};
	if (lvl > log_level)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_sink) {
		log_sink(log_user, lvl, subsys, msg);
		return;
	}
	fprintf(stderr, "simfleet %s [%s] %s\n", tags[lvl], subsys ? subsys : "-", msg);
}

const char *sf_log_fp(char dst[SF_LOG_FP_LEN], const uint8_t *buf, size_t len)
{
	uint8_t h[SF_SHA256_LEN];
	sf_sha256(buf, len, h);
	memcpy(dst, "fp:", 3);
	sf_hex_encode(dst + 3, SF_LOG_FP_LEN - 3, h, 4);
	sf_wipe(h, sizeof(h));
	return dst;
}
