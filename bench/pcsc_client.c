/*
 * PC/SC round trips against the software eUICC behind pcscd + vpcd (run by
 * bench/pcsc.sh, which starts them): SCardTransmit of READ BINARY on the
 * USIM's EF_IMSI, and ES10c GetEID through the ISD-R (with its GET
 * RESPONSE), timed for about a second each.  Prints JSON lines.
 * Usage: pcsc_client READER
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <PCSC/winscard.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static SCARDHANDLE card;
static DWORD proto;

static int tx(const unsigned char *c, DWORD n, unsigned char *r, DWORD *rn)
{
	const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
	*rn = 300;
	LONG rv = SCardTransmit(card, pci, c, n, NULL, r, rn);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "pcsc_client: SCardTransmit: %s\n", pcsc_stringify_error(rv));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: pcsc_client READER\n");
		return 2;
	}
	SCARDCONTEXT ctx;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv == SCARD_S_SUCCESS)
		rv = SCardConnect(ctx, argv[1], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0, &card, &proto);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "pcsc_client: %s\n", pcsc_stringify_error(rv));
		return 1;
	}
	unsigned char r[300];
	DWORD rn;
	static const unsigned char sel_usim[] = {0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00,
						 0x00, 0x00, 0x87, 0x10, 0x02};
	static const unsigned char sel_imsi[] = {0x00, 0xA4, 0x00, 0x0C, 0x02, 0x6F, 0x07};
	static const unsigned char rd[] = {0x00, 0xB0, 0x00, 0x00, 0x09};
	if (tx(sel_usim, sizeof(sel_usim), r, &rn) || tx(sel_imsi, sizeof(sel_imsi), r, &rn))
		return 1;
	long n = 0;
	double t0 = now(), t;
	do {
		if (tx(rd, sizeof(rd), r, &rn) || rn != 11 || r[9] != 0x90) {
			fprintf(stderr, "pcsc_client: READ BINARY answered badly\n");
			return 1;
		}
		n++;
	} while ((t = now() - t0) < 1.0);
	printf("{\"name\":\"euicc.pcsc_roundtrips\",\"unit\":\"roundtrips/s\",\"value\":%.0f,"
	       "\"path\":\"SCardTransmit -> pcscd -> vpcd -> simfleet euicc serve\"}\n",
	       n / t);

	static const unsigned char sel_isdr[] = {0x00, 0xA4, 0x04, 0x0C, 0x10, 0xA0, 0x00, 0x00,
						 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF,
						 0x89, 0x00, 0x00, 0x01, 0x00};
	static const unsigned char geteid[] = {0x80, 0xE2, 0x91, 0x00, 0x06, 0xBF,
					       0x3E, 0x03, 0x5C, 0x01, 0x5A};
	unsigned char gr[5] = {0x00, 0xC0, 0x00, 0x00, 0x00};
	if (tx(sel_isdr, sizeof(sel_isdr), r, &rn))
		return 1;
	n = 0;
	t0 = now();
	do {
		if (tx(geteid, sizeof(geteid), r, &rn) || rn != 2 || r[0] != 0x61)
			return 1;
		gr[4] = r[1];
		if (tx(gr, 5, r, &rn) || rn != 23u || r[21] != 0x90)
			return 1;
		n++;
	} while ((t = now() - t0) < 1.0);
	printf("{\"name\":\"euicc.pcsc_es10_geteid\",\"unit\":\"requests/s\",\"value\":%.0f,"
	       "\"note\":\"STORE DATA + GET RESPONSE per request\"}\n",
	       n / t);
	SCardDisconnect(card, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	return 0;
}
