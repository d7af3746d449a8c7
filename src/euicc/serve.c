/*
 * The eUICC as a card behind a reader: the vsmartcard vpcd card protocol
 * (vsmartcard virtualsmartcard/doc/api.txt and src/vpcd/vpcd.c) over TCP to
 * vpcd inside pcscd, or over a Unix stream socket (docs/euicc-serve.md).
 *
 * ISO/IEC 7816-3 events map to the card: power on is a cold reset (§6.2.2,
 * channels closed, PIN verification lost), reset a warm reset (§6.2.3).
 * C-APDUs go to sf_euicc_transmit() unchanged; the T=0 behaviour (61xx and
 * GET RESPONSE, 6Cxx) is the card's own, which is what pcscd and the LPAs
 * expect of a T=0 card (notes/lpa-compat.md §3).
 *
 * Every wait is a poll() of at most POLL_MS so that a stop request (a flag set
 * by a signal handler) is seen promptly without racing the blocking call.
 */
#include "simfleet/serve.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "simfleet/err.h"
#include "simfleet/euicc.h"
#include "simfleet/log.h"
#include "simfleet/util.h"

#define POLL_MS 250
#define CONNECT_MS 5000
#define FRAME_MAX 0xFFFFu

enum { CTRL_POWER_OFF = 0x00, CTRL_POWER_ON = 0x01, CTRL_RESET = 0x02, CTRL_ATR = 0x04 };

/* One frame in, one frame out; static so that the service needs no heap
 * (hence not reentrant, see serve.h).  Wiped after each APDU: C-APDUs carry
 * PINs, R-APDUs of AUTHENTICATE carry CK and IK. */
static uint8_t frame_in[FRAME_MAX];
static uint8_t frame_out[2 + FRAME_MAX];

static int stopped(const struct sf_serve_cfg *cfg)
{
	return cfg && cfg->stop && *cfg->stop;
}

static void event(const struct sf_serve_cfg *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void event(const struct sf_serve_cfg *cfg, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (cfg && cfg->event)
		cfg->event(cfg->user, line);
	else
		sf_log(SF_LOG_INFO, "serve", "%s", line);
}

/* Sleeps ms in POLL_MS slices; returns early on stop. */
static void pause_ms(unsigned ms, const struct sf_serve_cfg *cfg)
{
	while (ms > 0 && !stopped(cfg)) {
		unsigned step = ms < POLL_MS ? ms : POLL_MS;
		poll(NULL, 0, (int)step);
		ms -= step;
	}
}

enum { RD_OK = 0, RD_EOF = 1, RD_STOP = 2 };

/* Reads exactly n octets.  RD_EOF only when the peer closed before the
 * first octet (an orderly card removal); EOF inside a frame is a framing
 * error. */
static int read_full(int fd, uint8_t *buf, size_t n, const struct sf_serve_cfg *cfg)
{
	size_t got = 0;
	while (got < n) {
		if (stopped(cfg))
			return RD_STOP;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int pr = poll(&p, 1, POLL_MS);
		if (pr < 0 && errno != EINTR)
			return SF_ETRANSPORT_IO;
		if (pr <= 0)
			continue;
		ssize_t r = read(fd, buf + got, n - got);
		int err = errno; /* setsockopt below may change errno */
#ifdef TCP_QUICKACK
		/* vpcd writes a frame's length and payload separately with Nagle on:
		 * its payload waits for our ACK of the length, which delayed ACK
		 * would hold back ~40 ms per APDU.  Linux clears QUICKACK as it goes,
		 * so it is set again after every read (harmless on Unix sockets). */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#endif
		if (r < 0) {
			if (err == EINTR || err == EAGAIN)
				continue;
			/* A reset by the peer is a removal like a close. */
			if (err == ECONNRESET && got == 0)
				return RD_EOF;
			return SF_ETRANSPORT_IO;
		}
		if (r == 0)
			return got == 0 ? RD_EOF : SF_ETRANSPORT_FRAME;
		got += (size_t)r;
	}
	return RD_OK;
}

static int write_full(int fd, const uint8_t *buf, size_t n, const struct sf_serve_cfg *cfg)
{
	while (n > 0) {
		/* A peer that stops reading must not keep us from stopping: wait
		 * for room in short polls, checking the stop flag, and never block
		 * in send itself. */
		if (stopped(cfg))
			return SF_ETRANSPORT_IO;
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		if (poll(&p, 1, POLL_MS) <= 0)
			continue;
		/* MSG_NOSIGNAL: a reader that went away is an error, not SIGPIPE. */
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return SF_ETRANSPORT_IO;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

int sf_serve_stream(struct sf_euicc *e, int fd, const struct sf_serve_cfg *cfg)
{
	if (!e || fd < 0)
		return SF_EINVAL;
	int rc = 0;
	for (;;) {
		uint8_t hdr[2];
		int r = read_full(fd, hdr, 2, cfg);
		if (r == RD_EOF || r == RD_STOP)
			return 0;
		if (r < 0)
			return r;
		size_t n = (size_t)hdr[0] << 8 | hdr[1];
		/* A C-APDU has at least its 4-octet header; 1 octet is control. */
		if (n == 0 || n == 2 || n == 3) {
			sf_log(SF_LOG_WARN, "serve", "frame of length %zu: not the vpcd protocol",
			       n);
			return SF_ETRANSPORT_FRAME;
		}
		r = read_full(fd, frame_in, n, cfg);
		if (r != RD_OK) {
			/* A partial frame (it may be a VERIFY PIN) does not stay. */
			sf_wipe(frame_in, n);
			return r == RD_STOP ? 0 : r == RD_EOF ? SF_ETRANSPORT_FRAME : r;
		}
		size_t out = 0;
		if (n == 1) {
			switch (frame_in[0]) {
			case CTRL_POWER_OFF:
				/* Nothing to do until power on, which resets cold. */
				sf_log(SF_LOG_DEBUG, "serve", "power off");
				continue;
			case CTRL_POWER_ON:
			case CTRL_RESET:
				sf_log(SF_LOG_DEBUG, "serve", "%s",
				       frame_in[0] == CTRL_RESET ? "warm reset" : "power on");
				r = sf_euicc_reset(e, frame_in[0] == CTRL_POWER_ON);
				if (r)
					sf_log(SF_LOG_ERROR, "serve", "reset failed: %s",
					       sf_strerror(r));
				continue;
			case CTRL_ATR:
				r = sf_euicc_atr(frame_out + 2, FRAME_MAX, &out);
				if (r)
					return r;
				break;
			default:
				sf_log(SF_LOG_WARN, "serve", "unknown control octet %02X",
				       frame_in[0]);
				return SF_ETRANSPORT_FRAME;
			}
		} else {
			r = sf_euicc_transmit(e, frame_in, n, frame_out + 2, FRAME_MAX, &out);
			sf_wipe(frame_in, n);
			if (r || out < 2) {
				/* The card reports a broken command with a status word; an
				 * error here is a bug, answered as a terminal would see it. */
				sf_log(SF_LOG_ERROR, "serve", "transmit failed: %s",
				       sf_strerror(r));
				frame_out[2] = 0x6F;
				frame_out[3] = 0x00;
				out = 2;
			}
		}
		frame_out[0] = (uint8_t)(out >> 8);
		frame_out[1] = (uint8_t)out;
		rc = write_full(fd, frame_out, 2 + out, cfg);
		sf_wipe(frame_out, 2 + out);
		if (rc)
			return rc;
	}
}

/* Non-blocking connect bounded by CONNECT_MS (and stop); returns the
 * connected blocking fd or -1 with errno. */
static int connect_one(const struct addrinfo *ai, const struct sf_serve_cfg *cfg)
{
	int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0)
		return -1;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS && errno != EINTR)
			goto fail;
		int waited = 0, err = 0;
		for (;;) {
			if (stopped(cfg) || waited >= CONNECT_MS) {
				errno = ETIMEDOUT;
				goto fail;
			}
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			int pr = poll(&p, 1, POLL_MS);
			if (pr < 0 && errno != EINTR)
				goto fail;
			if (pr > 0)
				break;
			waited += POLL_MS;
		}
		socklen_t el = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			goto fail;
		if (err) {
			errno = err;
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, fl) < 0)
		goto fail;
	/* One small frame per exchange: Nagle would hold each back for the
	 * peer's delayed ACK (tens of ms per APDU). */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
fail:;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int sf_serve_vpcd(struct sf_euicc *e, const char *host, uint16_t port,
                  const struct sf_serve_cfg *cfg)
{
	if (!e || !host || port == 0)
		return SF_EINVAL;
	char ps[8], shown[300];
	snprintf(ps, sizeof(ps), "%u", (unsigned)port);
	snprintf(shown, sizeof(shown), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
	         (unsigned)port);
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	int gr = getaddrinfo(host, ps, &hints, &res);
	if (gr != 0) {
		sf_log(SF_LOG_ERROR, "serve", "vpcd %s: %s", shown, gai_strerror(gr));
		return SF_ETRANSPORT_ADDR;
	}
	unsigned retry = cfg && cfg->retry_ms ? cfg->retry_ms : 500;
	int connected_once = 0, said_waiting = 0;
	while (!stopped(cfg)) {
		int fd = -1, err = 0;
		for (const struct addrinfo *ai = res; ai && fd < 0 && !stopped(cfg);
		     ai = ai->ai_next) {
			fd = connect_one(ai, cfg);
			if (fd < 0)
				err = errno;
		}
		if (fd < 0) {
			if (!said_waiting && !stopped(cfg)) {
				event(cfg, "waiting for vpcd on %s (%s); retrying every %u ms",
				      shown, strerror(err), retry);
				said_waiting = 1;
			}
			pause_ms(retry, cfg);
			continue;
		}
		said_waiting = 0;
		event(cfg, "%s EID %s on vpcd %s", connected_once ? "again serving" : "serving",
		      sf_euicc_eid(e), shown);
		connected_once = 1;
		/* A new connection is a card inserted anew: cold reset, so no PIN
		 * verification or channel survives a reconnect. */
		sf_euicc_reset(e, 1);
		int r = sf_serve_stream(e, fd, cfg);
		close(fd);
		if (stopped(cfg))
			break;
		event(cfg, "vpcd %s: connection ended (%s); reconnecting", shown,
		      r ? sf_strerror(r) : "card removed");
		pause_ms(retry, cfg);
	}
	freeaddrinfo(res);
	return 0;
}

/* Is a process listening on the socket file at sa?  1 yes, 0 stale, <0 error. */
static int socket_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return SF_ETRANSPORT_IO;
	int r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	int err = errno;
	close(fd);
	if (r == 0)
		return 1;
	return err == ECONNREFUSED ? 0 : SF_ETRANSPORT_IO;
}

int sf_serve_unix(struct sf_euicc *e, const char *path, const struct sf_serve_cfg *cfg)
{
	if (!e || !path)
		return SF_EINVAL;
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	size_t pl = strlen(path);
	if (pl == 0 || pl >= sizeof(sa.sun_path))
		return SF_ETRANSPORT_ADDR;
	memcpy(sa.sun_path, path, pl);

	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return SF_EEXIST; /* never remove somebody's file */
		int live = socket_live(&sa);
		if (live)
			return live > 0 ? SF_ETRANSPORT_INUSE : live;
		if (unlink(path) < 0 && errno != ENOENT)
			return SF_ETRANSPORT_IO;
		sf_log(SF_LOG_INFO, "serve", "%s: replaced a stale socket file", path);
	}

	int rc = SF_ETRANSPORT_IO, lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	int bound = 0;
	if (lfd < 0)
		goto out;
	/* The socket is the card: only its owner may talk to it.  The umask
	 * makes bind() create it 0600 so there is no window with wider mode. */
	mode_t old = umask(0177);
	int br = bind(lfd, (const struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (br < 0 || lstat(path, &st) < 0)
		goto out;
	bound = 1;
	if (chmod(path, 0600) < 0 || listen(lfd, 4) < 0)
		goto out;
	event(cfg, "serving EID %s on socket %s", sf_euicc_eid(e), path);
	rc = 0;
	while (!stopped(cfg)) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};
		int pr = poll(&p, 1, POLL_MS);
		if (pr < 0 && errno != EINTR) {
			rc = SF_ETRANSPORT_IO;
			break;
		}
		if (pr <= 0)
			continue;
		int cfd = accept(lfd, NULL, NULL);
		if (cfd < 0)
			continue;
		/* A new client is a card insertion: it starts from a cold reset,
		 * whatever the previous client left selected or verified. */
		sf_euicc_reset(e, 1);
		sf_log(SF_LOG_INFO, "serve", "%s: client connected", path);
		int r = sf_serve_stream(e, cfd, cfg);
		close(cfd);
		if (r)
			sf_log(SF_LOG_WARN, "serve", "%s: client dropped: %s", path,
			       sf_strerror(r));
		else
			sf_log(SF_LOG_INFO, "serve", "%s: client disconnected", path);
	}
out:;
	int saved = errno;
	if (lfd >= 0)
		close(lfd);
	/* Remove the file only if it is still the one this call created. */
	struct stat now;
	if (bound && lstat(path, &now) == 0 && now.st_dev == st.st_dev && now.st_ino == st.st_ino)
		unlink(path);
	if (rc == SF_ETRANSPORT_IO)
		sf_log(SF_LOG_ERROR, "serve", "%s: %s", path, strerror(saved));
	return rc;
}
