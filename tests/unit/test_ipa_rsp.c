/*
 * The device agent's ES10 requests against simfleet's own RSP code, before
 * the ISD-R answers them: a card stand-in reassembles the agent's STORE DATA
 * chains and hands GetEUICCInfo1, GetEUICCChallenge, AuthenticateServer and
 * PrepareDownload to the eUICC side of include/simfleet/rsp.h, while the
 * SM-DP+ side of the same header plays ES9+.  Checks that the bytes the agent
 * builds (ctxParams1, the server's fields passed on as DER elements, hashCc)
 * are what the eUICC parses and signs, and that the SM-DP+ accepts what the
 * agent passes back: mutual authentication end to end, with and without a
 * confirmation code, on a generated test PKI.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/ipa.h"
#include "simfleet/pki.h"
#include "simfleet/rsp.h"

#define assert_rc(want, got) assert_string_equal(sf_err_name(want), sf_err_name(got))
#define NOW 1700000000LL
#define EID "89049032123451234512345678901235"
#define ADDR "smdp.example.org"

/* An EUICCInfo2 for euiccSigned1 (only carried, not checked here). */
static const uint8_t INFO2[] = {0xBF, 0x22, 0x03, 0x81, 0x01, 0x02};

struct card {
	struct sf_rsp_euicc_cred *cred;
	struct sf_rsp_euicc_session es;
	uint8_t chain[8192];
	size_t chain_len;
	uint8_t out[8192];
	size_t out_len, out_off;
	uint32_t last_tag;
	int last_code;
};

/* One reassembled ES10 request to the eUICC's RSP functions. */
static void dispatch(struct card *c)
{
	uint32_t tag = 0;
	int code = -1;
	assert_int_equal(sf_der_peek_tag(c->chain, c->chain + c->chain_len, &tag), 0);
	c->last_tag = tag;
	c->out_len = c->out_off = 0;
	switch (tag) {
	case 0xBF20:
		assert_rc(0, sf_rsp_euicc_info1(c->cred, c->out, sizeof(c->out), &c->out_len));
		break;
	case 0xBF2E: {
		uint8_t ch[16];
		assert_rc(0, sf_rsp_euicc_challenge(&c->es, NULL, ch));
		uint8_t r[] = {0xBF, 0x2E, 0x12, 0x80, 0x10};
		memcpy(c->out, r, 5);
		memcpy(c->out + 5, ch, 16);
		c->out_len = 21;
		break;
	}
	case 0xBF38:
		(void)sf_rsp_euicc_authenticate_server(c->cred, &c->es, c->chain, c->chain_len,
		                                       INFO2, sizeof(INFO2), NOW + 60, c->out,
		                                       sizeof(c->out), &c->out_len, &code);
		break;
	case 0xBF21:
		(void)sf_rsp_euicc_prepare_download(c->cred, &c->es, c->chain, c->chain_len,
		                                    NOW + 60, c->out, sizeof(c->out), &c->out_len,
		                                    &code);
		break;
	default:
		fail_msg("unexpected ES10 request %X", tag);
	}
	c->last_code = code;
}

/* A T=0 card: STORE DATA blocks reassembled, the answer through 61xx. */
static int tx(struct sf_ipa_transport *t, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
              size_t *rlen)
{
	struct card *c = t->user;
	(void)cap;
	assert_true(len >= 4);
	if (cmd[1] == 0x70) { /* MANAGE CHANNEL */
		rsp[0] = 0x02;
		rsp[1] = 0x90;
		rsp[2] = 0x00;
		*rlen = cmd[2] == 0 ? 3 : 2;
		if (cmd[2] != 0)
			memmove(rsp, rsp + 1, 2);
		return 0;
	}
	if (cmd[1] == 0xA4) { /* SELECT ISD-R */
		assert_int_equal(cmd[0], 0x02);
		rsp[0] = 0x90;
		rsp[1] = 0x00;
		*rlen = 2;
		return 0;
	}
	if (cmd[1] == 0xC0) {
		assert_int_equal(cmd[0], 0x02);
		size_t left = c->out_len - c->out_off;
		size_t k = left < 256 ? left : 256;
		memcpy(rsp, c->out + c->out_off, k);
		c->out_off += k;
		left -= k;
		rsp[k] = left ? 0x61 : 0x90;
		rsp[k + 1] = left ? (uint8_t)(left > 255 ? 0 : left) : 0;
		*rlen = k + 2;
		return 0;
	}
	assert_int_equal(cmd[1], 0xE2);
	assert_int_equal(cmd[0], 0x82);
	assert_int_equal(len, 5u + cmd[4]);
	memcpy(c->chain + c->chain_len, cmd + 5, cmd[4]);
	c->chain_len += cmd[4];
	rsp[0] = 0x90;
	rsp[1] = 0x00;
	*rlen = 2;
	if (cmd[2] == 0x91) {
		dispatch(c);
		c->chain_len = 0;
		if (c->out_len) {
			rsp[0] = 0x61;
			rsp[1] = (uint8_t)(c->out_len > 255 ? 0 : c->out_len);
		}
	}
	return 0;
}

/* The ES9+ fields as the SM-DP+ sends them in JSON: DER elements. */
static size_t tlv(uint32_t tag, const uint8_t *v, size_t n, uint8_t *dst, size_t cap)
{
	struct sf_der_writer w;
	size_t len;
	sf_der_writer_init(&w, dst, cap);
	sf_der_write_octets(&w, tag, v, n);
	assert_int_equal(sf_der_writer_finish(&w, &len), 0);
	return len;
}

static void flow(struct sf_rsp_smdp *dp, struct sf_rsp_euicc_cred *cred, int ccreq)
{
	static struct card card;
	static struct sf_ipa_es10 c;
	struct sf_ipa_transport t = {.transmit = tx, .user = &card, .fd = -1};
	struct sf_rsp_smdp_session ds;
	struct sf_rsp_init_auth ia;
	struct sf_rsp_auth_client ac;
	struct sf_ipa_device_info dev;
	uint8_t info1[256], ch[16], sig[80], pkid[40], rsp[8192], otpk[65], hcc[32], hcc2[32];
	size_t info1_len, sig_len, pkid_len, rl;
	int err = -1;
	char reason[256];

	memset(&card, 0, sizeof(card));
	card.cred = cred;
	sf_rsp_euicc_session_init(&card.es);
	memset(&ds, 0, sizeof(ds));
	memset(&dev, 0, sizeof(dev));
	memcpy(dev.tac, "\x35\x29\x06\x11", 4);
	dev.eutran_epc[0] = 15;

	assert_rc(0, sf_ipa_es10_open(&c, &t, 0));
	assert_int_equal(c.ch, 2);
	assert_rc(0, sf_ipa_get_info1(&c, info1, sizeof(info1), &info1_len));
	assert_rc(0, sf_ipa_get_challenge(&c, ch));
	assert_rc(0, sf_rsp_smdp_initiate_authentication(dp, &ds, ch, info1, info1_len, ADDR, &ia));

	sig_len = tlv(0x5F37, ia.server_signature1, 64, sig, sizeof(sig));
	pkid_len = tlv(SF_DER_OCTET_STRING, ia.ci_pkid, ia.ci_pkid_len, pkid, sizeof(pkid));
	assert_rc(0, sf_ipa_authenticate_server(&c, ia.server_signed1, ia.server_signed1_len, sig,
	                                        sig_len, pkid, pkid_len, ia.server_cert,
	                                        ia.server_cert_len, "MATCH-42", &dev, rsp,
	                                        sizeof(rsp), &rl));
	assert_int_equal(card.last_code, 0);
	/* the response is longer than 256 octets: it came through 61xx */
	assert_true(rl > 256);
	int rc = sf_rsp_smdp_authenticate_client(dp, &ds, ia.tid, ia.tid_len, rsp, rl, ccreq, NULL,
	                                         NOW + 60, &ac, &err, reason, sizeof(reason));
	if (rc)
		fail_msg("AuthenticateClient: %s (%s)", sf_err_name(rc), reason);

	/* hashCc: the agent's computation is the SM-DP+'s */
	sf_ipa_hash_cc("12345678", ia.tid, ia.tid_len, hcc);
	assert_rc(0, sf_rsp_hash_cc((const uint8_t *)"12345678", 8, ia.tid, ia.tid_len, hcc2));
	assert_memory_equal(hcc, hcc2, 32);

	sig_len = tlv(0x5F37, ac.smdp_signature2, 64, sig, sizeof(sig));
	assert_rc(0, sf_ipa_prepare_download(&c, ac.smdp_signed2, ac.smdp_signed2_len, sig, sig_len,
	                                     ccreq ? hcc : NULL, ac.smdp_cert, ac.smdp_cert_len,
	                                     rsp, sizeof(rsp), &rl));
	assert_int_equal(card.last_code, 0);
	assert_rc(0, sf_rsp_smdp_check_prepare_download(&ds, rsp, rl,
	                                                ccreq ? (const uint8_t *)"12345678" : NULL,
	                                                ccreq ? 8 : 0, otpk, &err));
	assert_memory_equal(card.es.otpk, otpk, 65);
	sf_ipa_es10_close(&c);
	sf_rsp_euicc_session_free(&card.es);
}

static void test_mutual_auth(void **state)
{
	(void)state;
	struct sf_pki_init_opts o = {.curve = SF_EC_P256, .now = NOW};
	char dir[64] = "/tmp/sf_test_ipa_rsp_XXXXXX", cp[SF_PKI_PATH_MAX], kp[SF_PKI_PATH_MAX],
	     a[SF_PKI_PATH_MAX * 2], b[SF_PKI_PATH_MAX * 2], c[SF_PKI_PATH_MAX * 2],
	     d[SF_PKI_PATH_MAX * 2], e[SF_PKI_PATH_MAX * 2];
	struct sf_rsp_smdp dp;
	struct sf_rsp_euicc_cred cred;
	memset(&dp, 0, sizeof(dp));
	memset(&cred, 0, sizeof(cred));
	assert_non_null(mkdtemp(dir));
	assert_rc(0, sf_pki_init(dir, &o));
	assert_rc(0, sf_pki_issue_euicc(dir, EID, NULL, NOW, cp, kp));
	snprintf(a, sizeof(a), "%s/ci.pem", dir);
	snprintf(b, sizeof(b), "%s/dpauth.pem", dir);
	snprintf(c, sizeof(c), "%s/dpauth.key", dir);
	snprintf(d, sizeof(d), "%s/dppb.pem", dir);
	snprintf(e, sizeof(e), "%s/dppb.key", dir);
	assert_rc(0, sf_rsp_smdp_load(&dp, ADDR, a, b, c, d, e, NULL));
	snprintf(b, sizeof(b), "%s/eum.pem", dir);
	assert_rc(0, sf_rsp_euicc_cred_load(&cred, cp, kp, b, a, NOW + 60));

	flow(&dp, &cred, 0);
	flow(&dp, &cred, 1);

	sf_rsp_smdp_free(&dp);
	sf_rsp_euicc_cred_free(&cred);
	snprintf(a, sizeof(a), "rm -rf '%s'", dir);
	assert_int_equal(0, system(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mutual_auth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
