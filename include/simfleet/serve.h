/*
 * Serving the software eUICC to a card reader: the vsmartcard virtual reader
 * (vpcd, a pcscd driver) or a Unix stream socket.  Both speak the vpcd card
 * protocol (vsmartcard doc/api.txt): every message in either direction is a
 * 2-octet big-endian length and that many octets.  The reader side always
 * speaks first; the card only answers.
 *
 *   reader -> card            meaning               card -> reader
 *   len 1, 00                 power off             nothing
 *   len 1, 01                 power on (cold reset) nothing
 *   len 1, 02                 reset (warm)          nothing
 *   len 1, 04                 get ATR               len, ATR
 *   len >= 4, C-APDU          APDU                  len, R-APDU (data || SW1 SW2)
 *
 * pcscd polls card presence with 04 between APDUs, so it is answered at any
 * time.  Closing the connection is card removal.  A frame of length 0, 2 or 3,
 * or a one-octet frame other than 00/01/02/04, is a protocol error: the
 * connection is closed (SF_ETRANSPORT_FRAME), the eUICC is untouched.
 *
 * The functions run on a host (sockets, poll); they allocate nothing on the
 * heap, and are not reentrant (one static frame buffer per process).
 */
#ifndef SIMFLEET_SERVE_H
#define SIMFLEET_SERVE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct sf_euicc;

#define SF_SERVE_VPCD_PORT 35963 /* vpcd's first slot (CHANNELID 0x8C7B) */

struct sf_serve_cfg {
	/* The serve functions return 0 soon (within 250 ms) after *stop becomes
	 * non-zero, e.g. from a SIGTERM handler.  May be NULL (serve forever). */
	const volatile sig_atomic_t *stop;
	/* Called with one line (no newline, nothing secret) when the service is
	 * ready and on each connection change.  May be NULL. */
	void (*event)(void *user, const char *line);
	void *user;
	/* vpcd: pause between connection attempts in ms (0 = 500). */
	unsigned retry_ms;
};


/* Serves one connected stream fd until the peer closes it (returns 0), *stop
 * is set (0), or an error: SF_ETRANSPORT_FRAME (protocol error),
 * SF_ETRANSPORT_IO (socket error).  The caller owns and closes fd. */
int sf_serve_stream(struct sf_euicc *e, int fd, const struct sf_serve_cfg *cfg);

/* Acts as the virtual card of vpcd: connects to host:port (TCP), serves,
 * and when vpcd is not there or drops the connection, tries again every
 * retry_ms until *stop.  Returns 0 on stop, SF_ETRANSPORT_ADDR when host
 * does not resolve. */
int sf_serve_vpcd(struct sf_euicc *e, const char *host, uint16_t port,
                  const struct sf_serve_cfg *cfg);

/* Listens on a Unix stream socket at path (mode 0600) and serves one client
 * at a time until *stop; the socket file is removed on return.  A stale
 * socket file at path (nobody listening) is replaced; a live one gives
 * SF_ETRANSPORT_INUSE, any other file SF_EEXIST.  SF_ETRANSPORT_ADDR when
 * path is too long for a socket address, SF_ETRANSPORT_IO when the socket
 * cannot be created. */
int sf_serve_unix(struct sf_euicc *e, const char *path, const struct sf_serve_cfg *cfg);

#endif
