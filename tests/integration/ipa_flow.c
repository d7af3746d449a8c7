/*
 * The whole download flow of the device agent (sf_ipa_download) against a
 * scripted eUICC (this file) and a scripted ES9+ endpoint (fake_es9p.py):
 * what the agent sends each side, in which order, and what it does with
 * the answers.  The eUICC part answers like a card that accepts everything:
 * AuthenticateServer and PrepareDownload with an ok choice, every BPP item
 * with 90 00 and the last (or, in mode "installfail", the third) with a
 * ProfileInstallationResult, RetrieveNotificationsList with that PIR,
 * RemoveNotificationFromList and CancelSession with ok.
 *
 * Prints one line per ES10 request ("es10 TAG LEN HEX" for the small ones,
 * "es10 TAG LEN" for the rest), then "result NAME STEP" and the message.
 * Usage: sf_ipa_flow CACERT ACTIVATION-CODE [CC] [installfail]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/ipa.h"
#include "simfleet/util.h"

struct card {
	uint8_t chain[16384];
	size_t chain_len;
	uint8_t pending[4096];
	size_t pending_len, pending_off;
	int items;     /* BPP items received */
	int bpp_items; /* items of the package being loaded (from the BF36 header on) */
	int fail_at;   /* answer the PIR with an error at this item (0 = at the end) */
	int in_bpp;
};

static size_t pir(uint8_t *buf, size_t cap, int ok)
{
	struct sf_der_writer w;
	size_t n;
	static const uint8_t tid[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	                                0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
	static const uint8_t iccid[10] = {0x98, 0x44, 0x05, 0x10, 0x20,
	                                  0x91, 0x38, 0x40, 0x28, 0xF6};
	static const uint8_t sig[64] = {0x11};
	static const uint8_t aid[16] = {0xA0, 0,    0,    5,    0x59, 0x10, 0x10, 0xFF,
	                                0xFF, 0xFF, 0xFF, 0x89, 0,    0,    0x10, 0};
	sf_der_writer_init(&w, buf, cap);
	size_t m = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, 0x5F37, sig, 64);
	size_t md = sf_der_writer_mark(&w), mf = md, mr = md;
	if (ok) {
		sf_der_write_octets(&w, SF_DER_OCTET_STRING, NULL, 0);
		sf_der_write_octets(&w, 0x4F, aid, 16);
		sf_der_write_wrap(&w, mr, SF_DER_CTX_C(0));
	} else {
		sf_der_write_int64(&w, SF_DER_CTX(1), 12); /* PEProcessingError */
		sf_der_write_int64(&w, SF_DER_CTX(0), 1);  /* configureISDP */
		sf_der_write_wrap(&w, mr, SF_DER_CTX_C(1));
	}
	sf_der_write_wrap(&w, mf, SF_DER_CTX_C(2));
	sf_der_write_oid_str(&w, SF_DER_OID, "2.999.10");
	size_t mn = sf_der_writer_mark(&w);
	sf_der_write_octets(&w, 0x5A, iccid, 10);
	sf_der_write_string(&w, SF_DER_UTF8_STRING, SF_DER_UTF8_STRING, "127.0.0.1", 9);
	sf_der_write_named_bits(&w, SF_DER_CTX(1), 1u << 0);
	sf_der_write_int64(&w, SF_DER_CTX(0), 5);
	sf_der_write_wrap(&w, mn, 0xBF2F);
	sf_der_write_octets(&w, SF_DER_CTX(0), tid, 16);
	sf_der_write_wrap(&w, md, 0xBF27);
	sf_der_write_wrap(&w, m, 0xBF37);
	sf_der_writer_finish(&w, &n);
	return n;
}

static int installfail;

/* The answer to one reassembled ES10 request (or to a BPP item). */
static size_t answer(struct card *c, const uint8_t *req, size_t len, uint8_t *out, size_t cap)
{
	uint32_t tag = 0;
	sf_der_peek_tag(req, req + len, &tag);
	if (len >= 2 && req[0] == 0xBF && req[1] == 0x36) {
		c->in_bpp = 1;
		c->items = 0;
	}
	if (c->in_bpp) {
		c->items++;
		printf("es10 item %d %zu\n", c->items, len);
		/* the last item: an 86 that ends the package; the mock knows the
		 * package from fake_es9p.py: 9 items */
		if ((installfail && c->items == 3) || c->items == 9) {
			c->in_bpp = 0;
			return pir(out, cap, !(installfail && c->items == 3));
		}
		return 0;
	}
	char hex[64] = "";
	if (len <= 24)
		sf_hex_encode(hex, sizeof(hex), req, len);
	printf("es10 %X %zu %s\n", (unsigned)tag, len, hex);
	/* what the agent put into AuthenticateServer (ctxParams1) and
	 * PrepareDownload (hashCc) */
	const uint8_t *p = req, *v;
	size_t vl;
	if ((tag == 0xBF38 || tag == 0xBF21) && sf_der_expect(&p, req + len, tag, &v, &vl) == 0) {
		struct sf_der_iter it;
		struct sf_der_tlv t;
		sf_der_iter_init(&it, v, vl);
		while (sf_der_iter_next(&it, &t) > 0) {
			if (tag == 0xBF21 && t.tag == SF_DER_OCTET_STRING) {
				char h[65];
				sf_hex_encode(h, sizeof(h), t.val, t.len < 32 ? t.len : 32);
				printf("hashcc %s\n", h);
			}
			if (tag == 0xBF38 && t.tag == SF_DER_CTX_C(0)) {
				char h[256];
				sf_hex_encode(h, sizeof(h), t.raw,
				              t.raw_len < 100 ? t.raw_len : 100);
				printf("ctxparams1 %s\n", h);
			}
		}
	}
	static const uint8_t info1[] = {0xBF, 0x20, 0x09, 0x82, 0x03, 0x02,
	                                0x05, 0x00, 0xA9, 0x00, 0xAA, 0x00};
	static const uint8_t chal[] = {0xBF, 0x2E, 0x12, 0x80, 0x10, 1,  2,  3,  4,  5, 6,
	                               7,    8,    9,    10,   11,   12, 13, 14, 15, 16};
	static const uint8_t auth_ok[] = {0xBF, 0x38, 0x0A, 0xA0, 0x08, 0x30, 0x03,
	                                  0x80, 0x01, 0x01, 0x5F, 0x37, 0x00};
	static const uint8_t prep_ok[] = {0xBF, 0x21, 0x0A, 0xA0, 0x08, 0x30, 0x03,
	                                  0x80, 0x01, 0x02, 0x5F, 0x37, 0x00};
	static const uint8_t cancel_ok[] = {0xBF, 0x41, 0x0A, 0xA0, 0x08, 0x30, 0x03,
	                                    0x80, 0x01, 0x03, 0x5F, 0x37, 0x00};
	static const uint8_t removed[] = {0xBF, 0x30, 0x03, 0x80, 0x01, 0x00};
	const uint8_t *a = NULL;
	size_t n = 0;
	switch (tag) {
	case 0xBF20:
		a = info1;
		n = sizeof(info1);
		break;
	case 0xBF2E:
		a = chal;
		n = sizeof(chal);
		break;
	case 0xBF38:
		a = auth_ok;
		n = sizeof(auth_ok);
		break;
	case 0xBF21:
		a = prep_ok;
		n = sizeof(prep_ok);
		break;
	case 0xBF41:
		a = cancel_ok;
		n = sizeof(cancel_ok);
		break;
	case 0xBF30:
		a = removed;
		n = sizeof(removed);
		break;
	case 0xBF2B: {
		uint8_t pb[512];
		size_t pl = pir(pb, sizeof(pb), !installfail);
		struct sf_der_writer w;
		sf_der_writer_init(&w, out, cap);
		size_t m = sf_der_writer_mark(&w);
		sf_der_write_raw(&w, pb, pl);
		sf_der_write_wrap(&w, m, SF_DER_CTX_C(0));
		sf_der_write_wrap(&w, m, 0xBF2B);
		sf_der_writer_finish(&w, &n);
		return n;
	}
	default:
		return 0;
	}
	memcpy(out, a, n);
	return n;
}

static int tx(struct sf_ipa_transport *t, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
              size_t *rlen)
{
	struct card *c = t->user;
	(void)cap;
	if (len < 4)
		return SF_EINVAL;
	if (cmd[1] == 0x70 && cmd[2] == 0x00) { /* MANAGE CHANNEL open */
		rsp[0] = 0x01;
		rsp[1] = 0x90;
		rsp[2] = 0x00;
		*rlen = 3;
		return 0;
	}
	if (cmd[1] == 0xC0) { /* GET RESPONSE */
		size_t left = c->pending_len - c->pending_off;
		size_t k = left < 256 ? left : 256;
		memcpy(rsp, c->pending + c->pending_off, k);
		c->pending_off += k;
		left -= k;
		rsp[k] = left ? 0x61 : 0x90;
		rsp[k + 1] = left ? (uint8_t)(left > 255 ? 0 : left) : 0x00;
		*rlen = k + 2;
		return 0;
	}
	if (cmd[1] == 0xE2) {
		memcpy(c->chain + c->chain_len, cmd + 5, cmd[4]);
		c->chain_len += cmd[4];
		if (cmd[2] == 0x91) {
			c->pending_len =
			    answer(c, c->chain, c->chain_len, c->pending, sizeof(c->pending));
			c->pending_off = 0;
			c->chain_len = 0;
			if (c->pending_len) {
				rsp[0] = 0x61;
				rsp[1] = (uint8_t)(c->pending_len > 255 ? 0 : c->pending_len);
				*rlen = 2;
				return 0;
			}
		}
	}
	rsp[0] = 0x90;
	rsp[1] = 0x00;
	*rlen = 2;
	return 0;
}

static void progress(void *user, const char *line)
{
	(void)user;
	fprintf(stderr, "progress: %s\n", line);
}

int main(int argc, char **argv)
{
	static struct card card;
	static struct sf_ipa_es10 c;
	struct sf_ipa_transport t = {.transmit = tx, .user = &card, .fd = -1};
	struct sf_ipa_download_cfg cfg;
	struct sf_ipa_result res;
	if (argc < 3) {
		fprintf(stderr, "usage: sf_ipa_flow CACERT AC [CC|-] [installfail]\n");
		return 2;
	}
	installfail = argc > 4 && strcmp(argv[4], "installfail") == 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.activation_code = argv[2];
	cfg.confirmation_code = argc > 3 && strcmp(argv[3], "-") != 0 ? argv[3] : NULL;
	cfg.dev.tac[0] = 0x35;
	cfg.dev.tac[1] = 0x29;
	cfg.dev.tac[2] = 0x06;
	cfg.dev.tac[3] = 0x11;
	cfg.dev.eutran_epc[0] = 15;
	cfg.net.cacert = argv[1];
	cfg.net.progress = progress;
	if (sf_ipa_es10_open(&c, &t, 0) != 0) {
		printf("open failed\n");
		return 1;
	}
	int rc = sf_ipa_download(&c, &cfg, &res);
	printf("result %s %s\n", rc ? sf_err_name(rc) : "OK", res.step[0] ? res.step : "-");
	printf("message %s\n", res.message);
	printf("iccid %s\n", res.iccid);
	printf("pir %d delivered %d removed %d\n", res.have_pir ? res.pir.ok : -1,
	       res.pir_delivered, res.pir_removed);
	sf_ipa_es10_close(&c);
	return 0;
}
