/*
 * APDU transports of the device agent: the in-process eUICC and the eUICC
 * daemon's Unix socket (the vsmartcard vpcd card protocol, vsmartcard
 * doc/api.txt, as `simfleet euicc serve --socket` speaks it:
 * docs/euicc-serve.md).  PC/SC lives in the host library (pcsc.c).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "simfleet/err.h"
#include "simfleet/euicc.h"
#include "simfleet/ipa.h"

static int tx_euicc(struct sf_ipa_transport *t, const uint8_t *cmd, size_t len, uint8_t *rsp,
                    size_t cap, size_t *rlen)
{
	return sf_euicc_transmit(t->user, cmd, len, rsp, cap, rlen);
}

void sf_ipa_transport_euicc(struct sf_ipa_transport *t, struct sf_euicc *e)
{
	memset(t, 0, sizeof(*t));
	t->transmit = tx_euicc;
	t->user = e;
	t->fd = -1;
	snprintf(t->name, sizeof(t->name), "in-process eUICC");
}

/* ---- Unix socket, vpcd framing ---- */

/* Reads or writes exactly len octets; every wait bounded by the timeout the
 * transport keeps in user (milliseconds, as an integer in the pointer). */
static int io_full(int fd, void *buf, size_t len, int wr, int timeout_ms)
{
	uint8_t *p = buf;
	while (len > 0) {
		struct pollfd pfd = {.fd = fd, .events = wr ? POLLOUT : POLLIN};
		int pr = poll(&pfd, 1, timeout_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return SF_ETRANSPORT_IO; /* error or timeout */
		ssize_t n = wr ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return SF_ETRANSPORT_IO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int frame_send(struct sf_ipa_transport *t, const uint8_t *data, size_t len)
{
	int tmo = (int)(intptr_t)t->user;
	uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	int rc = io_full(t->fd, hdr, 2, 1, tmo);
	return rc ? rc : io_full(t->fd, (void *)(uintptr_t)data, len, 1, tmo);
}

static int tx_unix(struct sf_ipa_transport *t, const uint8_t *cmd, size_t len, uint8_t *rsp,
                   size_t cap, size_t *rlen)
{
	int tmo = (int)(intptr_t)t->user;
	uint8_t hdr[2];
	if (t->fd < 0)
		return SF_ETRANSPORT_IO;
	if (len < 4 || len > 0xFFFF)
		return SF_EINVAL;
	int rc = frame_send(t, cmd, len);
	if (!rc)
		rc = io_full(t->fd, hdr, 2, 0, tmo);
	if (rc)
		return rc;
	size_t n = ((size_t)hdr[0] << 8) | hdr[1];
	if (n < 2)
		return SF_ETRANSPORT_FRAME;
	if (n > cap)
		return SF_EBUFSIZE;
	rc = io_full(t->fd, rsp, n, 0, tmo);
	if (!rc)
		*rlen = n;
	return rc;
}

static void release_unix(struct sf_ipa_transport *t)
{
	if (t->fd >= 0) {
		static const uint8_t off = 0x00; /* power off: the card's session ends */
		(void)frame_send(t, &off, 1);
		close(t->fd);
	}
	t->fd = -1;
}

int sf_ipa_transport_unix(struct sf_ipa_transport *t, const char *path, unsigned timeout_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return SF_ETRANSPORT_ADDR;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return SF_ETRANSPORT_IO;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return SF_ETRANSPORT_IO;
	}
	t->fd = fd;
	t->transmit = tx_unix;
	t->release = release_unix;
	t->user = (void *)(intptr_t)(timeout_ms ? timeout_ms : 10000);
	snprintf(t->name, sizeof(t->name), "socket %s", path);
	/* Power on (a cold reset): the server does one per new client anyway;
	 * saying it keeps the agent right with any vpcd-protocol card. */
	static const uint8_t on = 0x01;
	int rc = frame_send(t, &on, 1);
	if (rc)
		release_unix(t);
	return rc;
}

void sf_ipa_transport_close(struct sf_ipa_transport *t)
{
	if (!t)
		return;
	if (t->release)
		t->release(t);
	t->release = NULL;
	t->transmit = NULL;
}
