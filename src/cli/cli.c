#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "simfleet/err.h"
#include "simfleet/util.h"

void sf_cli_err(const char *fmt, ...)
{
	va_list ap;
	fputs("simfleet: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int stdin_used;

/* Reads a secret from a file or stdin into buf (NUL-terminated, trailing
 * whitespace removed).  Returns length or -1. */
static long read_secret(const char *flag, const char *arg, char *buf, size_t cap)
{
	FILE *f;
	if (strcmp(arg, "-") == 0) {
		if (stdin_used) {
			sf_cli_err("%s: standard input was already used by another flag", flag);
			return -1;
		}
		stdin_used = 1;
		f = stdin;
	} else {
		f = fopen(arg + 1, "r");
		if (!f) {
			sf_cli_err("%s: cannot open %s: %s", flag, arg + 1, strerror(errno));
			return -1;
		}
		/* No stdio buffer: the secret is read straight into buf, which is
		 * wiped by the caller. */
		setvbuf(f, NULL, _IONBF, 0);
	}
	size_t n = fread(buf, 1, cap - 1, f);
	int overflow = !feof(f) && fgetc(f) != EOF;
	if (f != stdin)
		fclose(f);
	if (overflow) {
		sf_cli_err("%s: value in %s is too long", flag, arg[0] == '@' ? arg + 1 : "stdin");
		sf_wipe(buf, cap);
		return -1;
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
		     buf[n - 1] == '\t'))
		n--;
	buf[n] = 0;
	return (long)n;
}

int sf_cli_hex(const char *flag, const char *arg, int secret, uint8_t *dst, size_t cap,
	       size_t exact_len, size_t *out_len)
{
	char tmp[512];
	const char *s = arg;
	size_t slen = strlen(arg);
	int from_file = secret && (arg[0] == '@' || strcmp(arg, "-") == 0);
	if (from_file) {
		long n = read_secret(flag, arg, tmp, sizeof(tmp));
		if (n < 0)
			return SF_EXIT_USAGE;
		s = tmp;
		slen = (size_t)n;
	}
	size_t got = 0;
	int rc = sf_hex_decode(dst, cap, &got, s, slen);
	if (from_file)
		sf_wipe(tmp, sizeof(tmp));
	if (rc != 0 || (exact_len && got != exact_len) || (!exact_len && got == 0)) {
		if (exact_len)
			sf_cli_err("%s: expected %zu hex digits", flag, 2 * exact_len);
		else
			sf_cli_err("%s: expected hex digits (at most %zu)", flag, 2 * cap);
		sf_wipe(dst, cap);
		return SF_EXIT_USAGE;
	}
	if (out_len)
		*out_len = got;
	return 0;
}

int sf_cli_uint(const char *flag, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	if (!arg[0] || arg[0] == '-') {
		sf_cli_err("%s: expected a number from %llu to %llu", flag, (unsigned long long)min,
			   (unsigned long long)max);
		return SF_EXIT_USAGE;
	}
	/* Decimal, or hexadecimal after 0x; a leading 0 is not octal. */
	int hex = arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X');
	unsigned long long v = strtoull(hex ? arg + 2 : arg, &end, hex ? 16 : 10);
	if (hex && !isxdigit((unsigned char)arg[2]))
		end = (char *)arg; /* "0x" alone, "0x-1", "0x 1" */
	if (errno || !end || *end || v < min || v > max) {
		sf_cli_err("%s: expected a number from %llu to %llu", flag, (unsigned long long)min,
			   (unsigned long long)max);
		return SF_EXIT_USAGE;
	}
	*out = v;
	return 0;
}

void sf_cli_json_hex(json_t *obj, const char *key, const uint8_t *buf, size_t len)
{
	char hex[2 * 256 + 1];
	if (len > 256)
		len = 256;
	sf_hex_encode(hex, sizeof(hex), buf, len);
	json_object_set_new(obj, key, json_string(hex));
	sf_wipe(hex, sizeof(hex));
}

int sf_cli_print(json_t *obj)
{
	size_t flags = JSON_PRESERVE_ORDER | (isatty(1) ? JSON_INDENT(2) : JSON_COMPACT);
	int rc = json_dumpf(obj, stdout, flags);
	json_decref(obj);
	if (rc != 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
		sf_cli_err("cannot write to standard output: %s", strerror(errno));
		return SF_EXIT_FAIL;
	}
	return SF_EXIT_OK;
}

int sf_cli_dispatch(const char *group, const struct sf_cli_cmd *cmds, int argc, char **argv,
		    const char *help)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		FILE *out = argc < 2 ? stderr : stdout;
		fputs(help, out);
		fprintf(out, "\nCommands:\n");
		for (const struct sf_cli_cmd *c = cmds; c->name; c++)
			fprintf(out, "  %-10s %s\n", c->name, c->summary);
		fprintf(out, "\nRun 'simfleet %s%sCOMMAND --help' for the flags of each.\n", group,
			*group ? " " : "");
		return argc < 2 ? SF_EXIT_USAGE : SF_EXIT_OK;
	}
	for (const struct sf_cli_cmd *c = cmds; c->name; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->run(argc - 1, argv + 1);
	sf_cli_err("%s%sunknown command '%s' (try 'simfleet %s%s--help')", group, *group ? ": " : "",
		   argv[1], group, *group ? " " : "");
	return SF_EXIT_USAGE;
}

/* jansson holds copies of every printed key (CK, IK, ...): wipe them on free. */
static void wiping_free(void *p)
{
	if (p) {
		sf_wipe(p, malloc_usable_size(p));
		free(p);
	}
}

__attribute__((constructor)) static void cli_init(void)
{
	json_set_alloc_funcs(malloc, wiping_free);
}

int sf_cli_io_full(int fd, void *buf, size_t len, int wr)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t k = wr ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return SF_ETRANSPORT_IO;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

char *sf_cli_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

size_t sf_cli_csv_split(char *line, char **cols, size_t max)
{
	size_t nc = 0;
	for (char *c = line;;) {
		char *comma = strchr(c, ',');
		if (comma)
			*comma = '\0';
		if (nc < max)
			cols[nc] = sf_cli_trim(c);
		nc++;
		if (!comma)
			return nc;
		c = comma + 1;
	}
}

int sf_cli_csv_is_subscriber_header(char **cols, size_t nc)
{
	static const char *const want[5] = {"imsi", "iccid", "alg", "k", "opc"};
	if (nc != 5)
		return 0;
	for (size_t i = 0; i < 5; i++)
		if (strcmp(cols[i], want[i]) != 0)
			return 0;
	return 1;
}
