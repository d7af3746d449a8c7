/*
 * A small ES9+ client for the SM-DP+ integration test (smdp_serve.sh): the
 * in-process eUICC side of the RSP library (rsp.h, bpp.h) talks to `smdp
 * serve` over HTTPS with libcurl, the way an LPA would (SGP.22 §3.1.2,
 * §3.1.3, ES9+ JSON binding): initiateAuthentication, AuthenticateServer,
 * authenticateClient, PrepareDownload (with hashCc when --cc is given),
 * getBoundProfilePackage, LoadBoundProfilePackage item by item, and
 * handleNotification with the signed PIR; or cancelSession after
 * authenticateClient (--cancel REASON).
 *
 * Usage: sf_es9client --url https://H:P --cacert CI.pem --pki DIR --eid EID
 *                     [--matching-id ID] [--cc CODE] [--cancel REASON]
 *                     [--keys DIR] [--address ADDR] [--no-notification]
 *                     [--stop-after authenticateClient|getBoundProfilePackage]
 *                     [--pause SECONDS (before authenticateClient)]
 * Prints one JSON object: {"result":"installed"|"failed"|"cancelled",
 * "step","subjectCode","reasonCode","iccid","pir_success"}.  Exit 0 when the
 * profile was installed (or the session cancelled), 3 when the SM-DP+
 * answered Failed, 1 on any other error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "euicc_glue.h"
#include "simfleet/bpp.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/pki.h"
#include "simfleet/rsp.h"
#include "simfleet/util.h"

static const char *url, *cacert, *step = "start";
static char subject[32] = "", reason[32] = "";

static void out(const char *result, const char *iccid, int pir_success)
{
	json_t *o = json_pack("{s:s,s:s}", "result", result, "step", step);
	if (subject[0]) {
		json_object_set_new(o, "subjectCode", json_string(subject));
		json_object_set_new(o, "reasonCode", json_string(reason));
	}
	if (iccid)
		json_object_set_new(o, "iccid", json_string(iccid));
	if (pir_success >= 0)
		json_object_set_new(o, "pir_success", json_boolean(pir_success));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	puts(s);
	free(s);
	json_decref(o);
}

/* POSTs body to the ES9+ function; returns the response (NULL and
 * subject/reason set when Failed).  *http receives the status. */
static json_t *es9(const char *fn, json_t *body, long *http)
{
	char u[600];
	struct sf_growbuf b = {0};
	struct curl_slist *h = NULL;
	step = fn;
	snprintf(u, sizeof(u), "%s/gsma/rsp2/es9plus/%s", url, fn);
	char *txt = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "X-Admin-Protocol: gsma/rsp/v2.2.0");
	h = curl_slist_append(h, "User-Agent: gsma-rsp-lpad");
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, u);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, txt);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sf_growbuf_curl);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	CURLcode r = curl_easy_perform(c);
	json_t *j = NULL;
	*http = 0;
	if (r != CURLE_OK) {
		fprintf(stderr, "es9client: %s: %s\n", fn, curl_easy_strerror(r));
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, http);
		j = sf_glue_answer(*http, &b, subject, reason, sizeof(subject));
		if (!j)
			fprintf(stderr, "es9client: %s: HTTP %ld %s\n", fn, *http, b.p ? b.p : "");
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	free(txt);
	sf_growbuf_free(&b);
	return j;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"url", 1, 0, 'u'},         {"cacert", 1, 0, 'c'},
	    {"pki", 1, 0, 'p'},         {"eid", 1, 0, 'e'},
	    {"matching-id", 1, 0, 'm'}, {"cc", 1, 0, 'C'},
	    {"cancel", 1, 0, 'x'},      {"keys", 1, 0, 'k'},
	    {"address", 1, 0, 'a'},     {"no-notification", 0, 0, 'N'},
	    {"stop-after", 1, 0, 'S'},  {"pause", 1, 0, 'P'},      {0, 0, 0, 0}};
	const char *pki = NULL, *eid = NULL, *mid = NULL, *cc = NULL, *keys = NULL, *addr = NULL;
	int cancel = -1, notify = 1, ch;
	const char *stop_after = "";
	int pause_s = 0;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'u':
			url = optarg;
			break;
		case 'c':
			cacert = optarg;
			break;
		case 'p':
			pki = optarg;
			break;
		case 'e':
			eid = optarg;
			break;
		case 'm':
			mid = optarg;
			break;
		case 'C':
			cc = optarg;
			break;
		case 'x':
			cancel = atoi(optarg);
			break;
		case 'k':
			keys = optarg;
			break;
		case 'a':
			addr = optarg;
			break;
		case 'N':
			notify = 0;
			break;
		case 'P':
			pause_s = atoi(optarg);
			break;
		case 'S':
			stop_after = optarg;
			break;
		default:
			fprintf(stderr, "es9client: bad option\n");
			return 1;
		}
	}
	if (!url || !cacert || !pki || !eid) {
		fprintf(stderr, "usage: see the comment at the top of es9client.c\n");
		return 1;
	}
	if (!addr)
		addr = url + 8;
	int64_t now = (int64_t)time(NULL);
	char cert[SF_PKI_PATH_MAX], key[SF_PKI_PATH_MAX], eum[SF_PKI_PATH_MAX], ci[SF_PKI_PATH_MAX];
	snprintf(eum, sizeof(eum), "%s/eum.pem", pki);
	snprintf(ci, sizeof(ci), "%s/ci.pem", pki);
	/* The eUICC's certificate from the SM-DP+'s test PKI (kept in --keys). */
	snprintf(cert, sizeof(cert), "%s/euicc-%s.pem", keys ? keys : pki, eid);
	snprintf(key, sizeof(key), "%s/euicc-%s.key", keys ? keys : pki, eid);
	struct stat st;
	if (stat(cert, &st) != 0) {
		int r = sf_pki_issue_euicc(pki, eid, keys, now - 60, cert, key);
		if (r) {
			fprintf(stderr, "es9client: issuing the eUICC certificate: %s\n",
			        sf_strerror(r));
			return 1;
		}
	}
	struct sf_rsp_euicc_cred cr;
	struct sf_rsp_euicc_session es;
	memset(&cr, 0, sizeof(cr));
	int r = sf_rsp_euicc_cred_load(&cr, cert, key, eum, ci, now);
	if (r) {
		fprintf(stderr, "es9client: eUICC credentials: %s\n", sf_strerror(r));
		return 1;
	}
	sf_rsp_euicc_session_init(&es);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int exit_code = 1;
	long http;
	uint8_t chal[16], info1[256], *req = malloc(16384), *rsp = malloc(16384);
	size_t info1_len, req_len, rsp_len;
	uint8_t *b1 = NULL, *b2 = NULL, *b3 = NULL, *b4 = NULL, *bpp = NULL;
	size_t l1, l2, l3, l4, bpp_len;
	int code = 0;
	char iccid[21] = "";
	json_t *j = NULL, *q;

	sf_rsp_euicc_challenge(&es, NULL, chal);
	sf_rsp_euicc_info1(&cr, info1, sizeof(info1), &info1_len);
	q = json_object();
	sf_glue_put_b64(q, "euiccChallenge", chal, 16);
	sf_glue_put_b64(q, "euiccInfo1", info1, info1_len);
	json_object_set_new(q, "smdpAddress", json_string(addr));
	if (!(j = es9("initiateAuthentication", q, &http)))
		goto failed;
	const char *tid = json_string_value(json_object_get(j, "transactionId"));
	char tidhex[40];
	snprintf(tidhex, sizeof(tidhex), "%s", tid ? tid : "");
	b1 = sf_glue_get_b64(j, "serverSigned1", &l1);
	b2 = sf_glue_get_b64(j, "serverSignature1", &l2);
	b3 = sf_glue_get_b64(j, "euiccCiPKIdToBeUsed", &l3);
	b4 = sf_glue_get_b64(j, "serverCertificate", &l4);
	json_decref(j);
	if (!tidhex[0] || !b1 || !b2 || !b3 || !b4)
		goto bad;
	/* AuthenticateServerRequest: the fields as received, then ctxParams1 {
	 * matchingId, deviceInfo { tac, deviceCapabilities {} } }. */
	{
		struct sf_der_writer w;
		static const uint8_t info2[] = {0xBF, 0x22, 0x03, 0x81, 0x01, 0x02};
		sf_der_writer_init(&w, req, 16384);
		size_t m = sf_der_writer_mark(&w), m2, m3;
		m2 = sf_der_writer_mark(&w);
		m3 = sf_der_writer_mark(&w);
		size_t m4 = sf_der_writer_mark(&w);
		sf_der_write_wrap(&w, m4, SF_DER_CTX_C(1)); /* deviceCapabilities {} */
		sf_der_write_tlv(&w, SF_DER_CTX(0), (const uint8_t *)"\x35\x29\x06\x11", 4);
		sf_der_write_wrap(&w, m3, SF_DER_CTX_C(1));
		if (mid)
			sf_der_write_tlv(&w, SF_DER_CTX(0), (const uint8_t *)mid, strlen(mid));
		sf_der_write_wrap(&w, m2, SF_DER_CTX_C(0));
		sf_der_write_raw(&w, b4, l4);
		sf_der_write_raw(&w, b3, l3);
		sf_der_write_raw(&w, b2, l2);
		sf_der_write_raw(&w, b1, l1);
		sf_der_write_wrap(&w, m, 0xBF38);
		if (sf_der_writer_finish(&w, &req_len))
			goto bad;
		step = "AuthenticateServer";
		r = sf_rsp_euicc_authenticate_server(&cr, &es, req, req_len, info2, sizeof(info2),
		                                     now, rsp, 16384, &rsp_len, &code);
		if (r && !(r <= -530 && r >= -549) /* no response written */) {
			fprintf(stderr, "es9client: AuthenticateServer: %s\n", sf_strerror(r));
			goto bad;
		}
	}
	if (pause_s > 0)
		sleep((unsigned)pause_s); /* --pause: let the SM-DP+ session expire */
	q = json_object();
	json_object_set_new(q, "transactionId", json_string(tidhex));
	sf_glue_put_b64(q, "authenticateServerResponse", rsp, rsp_len);
	if (!(j = es9("authenticateClient", q, &http)))
		goto failed;
	free(b1);
	free(b2);
	free(b4);
	b1 = sf_glue_get_b64(j, "smdpSigned2", &l1);
	b2 = sf_glue_get_b64(j, "smdpSignature2", &l2);
	b4 = sf_glue_get_b64(j, "smdpCertificate", &l4);
	uint8_t *md = sf_glue_get_b64(j, "profileMetadata", &l3);
	json_decref(j);
	if (!b1 || !b2 || !b4 || !md || l3 < 14 || md[0] != 0xBF || md[1] != 0x25)
		goto bad;
	/* The ICCID from the metadata (5A, BCD swapped) for the report. */
	for (size_t i = 0; i + 12 <= l3; i++)
		if (md[i] == 0x5A && md[i + 1] == 10) {
			size_t k = 0;
			for (size_t d = 0; d < 10; d++) {
				uint8_t v = md[i + 2 + d];
				if ((v & 0xF) < 10)
					iccid[k++] = (char)('0' + (v & 0xF));
				if ((v >> 4) < 10)
					iccid[k++] = (char)('0' + (v >> 4));
			}
			iccid[k] = '\0';
			break;
		}
	free(md);
	if (strcmp(stop_after, "authenticateClient") == 0) {
		/* As if the connection were cut here: the session stays open. */
		out("stopped", iccid, -1);
		exit_code = 0;
		goto done;
	}
	if (cancel >= 0) {
		/* ES10b.CancelSession on the eUICC, then ES9+.cancelSession. */
		uint8_t creq[40], tb[16];
		size_t tl;
		sf_hex_decode(tb, sizeof(tb), &tl, tidhex, strlen(tidhex));
		size_t k = 0;
		creq[k++] = 0xBF;
		creq[k++] = 0x41;
		creq[k++] = (uint8_t)(2 + tl + 3);
		creq[k++] = 0x80;
		creq[k++] = (uint8_t)tl;
		memcpy(creq + k, tb, tl);
		k += tl;
		creq[k++] = 0x81;
		creq[k++] = 1;
		creq[k++] = (uint8_t)cancel;
		step = "CancelSession";
		if (sf_rsp_euicc_cancel_session(&cr, &es, NULL, creq, k, rsp, 16384, &rsp_len))
			goto bad;
		q = json_object();
		json_object_set_new(q, "transactionId", json_string(tidhex));
		sf_glue_put_b64(q, "cancelSessionResponse", rsp, rsp_len);
		if (!(j = es9("cancelSession", q, &http)))
			goto failed;
		json_decref(j);
		out("cancelled", iccid, -1);
		exit_code = 0;
		goto done;
	}
	{
		/* PrepareDownloadRequest {smdpSigned2, smdpSignature2, hashCc?, smdpCertificate} */
		struct sf_der_writer w;
		sf_der_writer_init(&w, req, 16384);
		size_t m = sf_der_writer_mark(&w);
		sf_der_write_raw(&w, b4, l4);
		if (cc) {
			uint8_t h[32];
			sf_rsp_hash_cc((const uint8_t *)cc, strlen(cc), es.tid, es.tid_len, h);
			sf_der_write_octets(&w, SF_DER_OCTET_STRING, h, 32);
		}
		sf_der_write_raw(&w, b2, l2);
		sf_der_write_raw(&w, b1, l1);
		sf_der_write_wrap(&w, m, 0xBF21);
		if (sf_der_writer_finish(&w, &req_len))
			goto bad;
		step = "PrepareDownload";
		r = sf_rsp_euicc_prepare_download(&cr, &es, req, req_len, now, rsp, 16384, &rsp_len,
		                                  &code);
		if (r && !(r <= -530 && r >= -549))
			goto bad;
	}
	q = json_object();
	json_object_set_new(q, "transactionId", json_string(tidhex));
	sf_glue_put_b64(q, "prepareDownloadResponse", rsp, rsp_len);
	if (!(j = es9("getBoundProfilePackage", q, &http)))
		goto failed;
	bpp = sf_glue_get_b64(j, "boundProfilePackage", &bpp_len);
	json_decref(j);
	if (!bpp)
		goto bad;
	if (strcmp(stop_after, "getBoundProfilePackage") == 0) {
		/* As if the BPP were lost on the way to the eUICC. */
		out("stopped", iccid, -1);
		exit_code = 0;
		goto done;
	}
	uint8_t pir[SF_BPP_PIR_MAX];
	size_t pir_len = 0;
	step = "LoadBoundProfilePackage";
	if (sf_glue_load(&cr, &es, bpp, bpp_len, pir, &pir_len, 1))
		goto bad;
	struct sf_rsp_notification pn;
	if (sf_rsp_notification_parse(pir, pir_len, &pn) || !pn.is_pir)
		goto bad;
	int success = pn.success;
	if (notify) {
		q = json_object();
		sf_glue_put_b64(q, "pendingNotification", pir, pir_len);
		j = es9("handleNotification", q, &http);
		json_decref(j);
		if (http != 204) {
			fprintf(stderr, "es9client: handleNotification: HTTP %ld (want 204)\n",
			        http);
			goto bad;
		}
	}
	out(success ? "installed" : "install-error", iccid, success);
	exit_code = 0;
	goto done;
failed:
	out("failed", iccid[0] ? iccid : NULL, -1);
	exit_code = 3;
	goto done;
bad:
	fprintf(stderr, "es9client: %s: unexpected answer or local failure\n", step);
	exit_code = 1;
done:
	free(b1);
	free(b2);
	free(b3);
	free(b4);
	free(bpp);
	free(req);
	free(rsp);
	sf_rsp_euicc_session_free(&es);
	sf_rsp_euicc_cred_free(&cr);
	curl_global_cleanup();
	return exit_code;
}
