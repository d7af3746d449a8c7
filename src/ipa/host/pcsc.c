/*
 * The PC/SC transport of the device agent (PC/SC Workgroup specification
 * part 5, as libpcsclite implements it): a real eUICC in a reader, or the
 * software eUICC behind pcscd + vsmartcard's vpcd (docs/euicc-serve.md).
 *
 * The card is connected with T=0, as lpac does (notes/lpa-compat.md §3),
 * and with T=1 only when it offers no T=0; 61xx / 6Cxx are handled one
 * layer up, by the ES10 client.  Built only
 * when libpcsclite was found (SF_HAVE_PCSC); otherwise the entry point says
 * so with SF_EIPA_NO_PCSC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simfleet/err.h"
#include "simfleet/ipa.h"
#include "simfleet/log.h"

#ifdef SF_HAVE_PCSC
#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

struct pcsc {
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	DWORD proto;
};

static int tx_pcsc(struct sf_ipa_transport *t, const uint8_t *cmd, size_t len, uint8_t *rsp,
                   size_t cap, size_t *rlen)
{
	struct pcsc *p = t->user;
	const SCARD_IO_REQUEST *pci = p->proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
	DWORD n = (DWORD)cap;
	LONG r = SCardTransmit(p->card, pci, cmd, (DWORD)len, NULL, rsp, &n);
	if (r != SCARD_S_SUCCESS) {
		sf_log(SF_LOG_ERROR, "ipa", "PC/SC SCardTransmit: %s (0x%lX)",
		       pcsc_stringify_error(r), (unsigned long)r);
		return SF_EIPA_PCSC;
	}
	*rlen = n;
	return 0;
}

static void release_pcsc(struct sf_ipa_transport *t)
{
	struct pcsc *p = t->user;
	if (!p)
		return;
	if (p->card)
		SCardDisconnect(p->card, SCARD_LEAVE_CARD);
	if (p->ctx)
		SCardReleaseContext(p->ctx);
	free(p);
	t->user = NULL;
}

int sf_ipa_transport_pcsc(struct sf_ipa_transport *t, const char *reader)
{
	LONG r;
	char *readers = NULL;
	DWORD len = 0;
	int rc = SF_EIPA_PCSC;
	struct pcsc *p = calloc(1, sizeof(*p));
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (!p)
		return SF_ENOMEM;
	t->user = p;
	t->transmit = tx_pcsc;
	t->release = release_pcsc;
	r = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
	if (r != SCARD_S_SUCCESS) {
		p->ctx = 0;
		sf_log(SF_LOG_ERROR, "ipa", "PC/SC: %s (0x%lX)%s", pcsc_stringify_error(r),
		       (unsigned long)r,
		       r == (LONG)SCARD_E_NO_SERVICE ? ": is pcscd running?" : "");
		goto out;
	}
	r = SCardListReaders(p->ctx, NULL, NULL, &len);
	if (r == SCARD_S_SUCCESS && len > 0 && (readers = calloc(1, len)) != NULL)
		r = SCardListReaders(p->ctx, NULL, readers, &len);
	if (r != SCARD_S_SUCCESS || !readers) {
		sf_log(SF_LOG_ERROR, "ipa", "PC/SC: no reader: %s (0x%lX)", pcsc_stringify_error(r),
		       (unsigned long)r);
		goto out;
	}
	/* A multi-string: names separated by NULs, ended by an empty one. */
	LONG last = SCARD_E_UNKNOWN_READER;
	for (const char *name = readers; *name; name += strlen(name) + 1) {
		if (reader && *reader && strcmp(reader, name) != 0)
			continue;
		last = SCardConnect(p->ctx, name, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0, &p->card,
		                    &p->proto);
		/* A card that offers only T=1 (some MFF2 readers): the T=0
		 * conventions above are then simply never triggered. */
		if (last == (LONG)SCARD_E_PROTO_MISMATCH)
			last = SCardConnect(p->ctx, name, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1,
			                    &p->card, &p->proto);
		if (last == SCARD_S_SUCCESS) {
			snprintf(t->name, sizeof(t->name), "pcsc %s", name);
			rc = 0;
			goto out;
		}
		p->card = 0;
		if (reader && *reader)
			break;
	}
	sf_log(SF_LOG_ERROR, "ipa", "PC/SC: %s%s%s: %s (0x%lX)",
	       reader && *reader ? "reader \"" : "no reader with a card",
	       reader && *reader ? reader : "", reader && *reader ? "\"" : "",
	       pcsc_stringify_error(last), (unsigned long)last);
out:
	free(readers);
	if (rc)
		sf_ipa_transport_close(t);
	return rc;
}

int sf_ipa_have_pcsc(void)
{
	return 1;
}

#else /* !SF_HAVE_PCSC */

int sf_ipa_transport_pcsc(struct sf_ipa_transport *t, const char *reader)
{
	(void)reader;
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	return SF_EIPA_NO_PCSC;
}

int sf_ipa_have_pcsc(void)
{
	return 0;
}

#endif
