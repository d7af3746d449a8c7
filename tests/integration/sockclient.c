/*
 * A minimal client of 'simfleet euicc serve --socket' for the tests: the
 * vpcd framing (2-octet big-endian length + payload, docs/euicc-serve.md)
 * written independently of src/euicc/serve.c.
 *
 * Usage: sockclient [-t] PATH ITEM...
 *   atr            send 04, print the ATR in hex
 *   on|off|reset   send 01 / 00 / 02 (no answer expected)
 *   HEX            send a C-APDU, print the R-APDU in hex; with -t act as a
 *                  T=0 terminal: 61xx -> GET RESPONSE (CLA keeps the channel),
 *                  6Cxx -> the command again with Le = xx, data concatenated
 *   raw:HEX        send HEX as it is (no length added), print nothing
 *   eof            wait up to 3 s for the server to close: print "closed",
 *                  or "open" when it does not
 * Exit status: 0, 1 on a socket error, 2 on bad usage.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fd = -1;

static int unhex(const char *s, unsigned char *out, size_t cap, size_t *n)
{
	size_t l = strlen(s);
	if (l % 2 || l / 2 > cap)
		return -1;
	for (size_t i = 0; i < l / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	*n = l / 2;
	return 0;
}

static void print_hex(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02X", b[i]);
	putchar('\n');
	fflush(stdout);
}

static int xwrite(const unsigned char *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int xread(unsigned char *b, size_t n)
{
	while (n) {
		ssize_t r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int send_frame(const unsigned char *p, size_t n)
{
	unsigned char h[2] = {(unsigned char)(n >> 8), (unsigned char)n};
	return xwrite(h, 2) || xwrite(p, n) ? -1 : 0;
}

static int recv_frame(unsigned char *p, size_t cap, size_t *n)
{
	unsigned char h[2];
	if (xread(h, 2))
		return -1;
	*n = (size_t)h[0] << 8 | h[1];
	return *n > cap ? -1 : xread(p, *n);
}

static int transact(unsigned char *cmd, size_t n, unsigned char *rsp, size_t cap, size_t *rn)
{
	return send_frame(cmd, n) || recv_frame(rsp, cap, rn) || *rn < 2 ? -1 : 0;
}

int main(int argc, char **argv)
{
	int terminal = 0, a = 1;
	if (argc > 1 && strcmp(argv[1], "-t") == 0) {
		terminal = 1;
		a++;
	}
	if (argc - a < 1) {
		fprintf(stderr, "usage: sockclient [-t] PATH ITEM...\n");
		return 2;
	}
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(argv[a]) >= sizeof(sa.sun_path))
		return 2;
	strcpy(sa.sun_path, argv[a]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror(argv[a]);
		return 1;
	}
	static unsigned char cmd[65536], rsp[65536], acc[1 << 20];
	int i;
	for (i = a + 1; i < argc; i++) {
		const char *it = argv[i];
		size_t n = 0, rn = 0;
		if (strcmp(it, "atr") == 0) {
			unsigned char c = 4;
			if (send_frame(&c, 1) || recv_frame(rsp, sizeof(rsp), &rn))
				goto ioerr;
			print_hex(rsp, rn);
		} else if (!strcmp(it, "on") || !strcmp(it, "off") || !strcmp(it, "reset")) {
			unsigned char c = it[1] == 'n' ? 1 : it[1] == 'f' ? 0 : 2;
			if (send_frame(&c, 1))
				goto ioerr;
		} else if (strncmp(it, "raw:", 4) == 0) {
			if (unhex(it + 4, cmd, sizeof(cmd), &n))
				return 2;
			if (xwrite(cmd, n))
				goto ioerr;
		} else if (strcmp(it, "eof") == 0) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			unsigned char c;
			int closed = poll(&p, 1, 3000) == 1 && read(fd, &c, 1) <= 0;
			puts(closed ? "closed" : "open");
		} else {
			if (unhex(it, cmd, sizeof(cmd), &n) || n < 4)
				return 2;
			size_t an = 0;
			if (transact(cmd, n, rsp, sizeof(rsp), &rn))
				goto ioerr;
			for (int guard = 0; terminal && guard < 256; guard++) {
				unsigned char sw1 = rsp[rn - 2], sw2 = rsp[rn - 1];
				if (sw1 == 0x61) {
					memcpy(acc + an, rsp, rn - 2);
					an += rn - 2;
					unsigned char gr[5] = {(unsigned char)(cmd[0] & 3), 0xC0, 0,
					                       0, sw2};
					if (transact(gr, 5, rsp, sizeof(rsp), &rn))
						goto ioerr;
				} else if (sw1 == 0x6C && n >= 5) {
					cmd[n - 1] = sw2;
					if (transact(cmd, n, rsp, sizeof(rsp), &rn))
						goto ioerr;
				} else {
					break;
				}
			}
			memcpy(acc + an, rsp, rn);
			print_hex(acc, an + rn);
		}
	}
	close(fd);
	return 0;
ioerr:
	fprintf(stderr, "sockclient: connection lost at item %d (%s)\n", i - a, argv[i]);
	close(fd);
	return 1;
}
