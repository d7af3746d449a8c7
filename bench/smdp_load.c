/*
 * Load generator for bench/smdp_downloads.sh (issue 5, "make bench"): N
 * complete SGP.22 profile downloads against a running `simfleet smdp
 * serve`, over HTTPS on loopback, each by a DIFFERENT eUICC.
 *
 *   setup (not timed)   N eUICC credentials issued under the server's test
 *                       PKI EUM (sf_pki_issue_euicc, distinct EIDs and keys),
 *                       parsed once (sf_rsp_euicc_cred_load);
 *   orders (not timed)  ES2+ downloadOrder (--profile-type) + confirmOrder
 *                       with releaseFlag, N times: N released orders, their
 *                       matchingIds kept;
 *   downloads (timed)   per download, the ES9+ calls of an LPA and the eUICC
 *                       side in process (the RSP library, as
 *                       tests/integration/es9client.c): GetEUICCChallenge,
 *                       initiateAuthentication, AuthenticateServer,
 *                       authenticateClient, PrepareDownload,
 *                       getBoundProfilePackage, LoadBoundProfilePackage item
 *                       by item to the end (so the PIR is a real one),
 *                       handleNotification (HTTP 204).
 *
 * WORKERS threads share the downloads (an atomic counter); each thread owns
 * one CURL easy handle for the whole run: one TLS connection per worker,
 * kept alive (HTTP/1.1) and reused for every request, the TLS session
 * cached by libcurl should a connection have to be re-opened.
 *
 * The server's CPU time is read from /proc/PID/stat (utime + stime, all its
 * threads) just before and just after the timed phase.
 *
 * Usage: smdp_load --url https://127.0.0.1:PORT --pki DATA/pki
 *                  --credentials DATA/operators/default.json --keys DIR
 *                  --server-pid PID [--downloads N] [--workers W]
 *                  [--profile-type NAME] [--hook CMD]
 * --hook: `CMD start` runs just before the timed phase and `CMD stop` just
 * after it (to attach a profiler to the server for the downloads alone).
 * Prints one JSON object on stdout; progress and errors on stderr.  Exit 0
 * when every download installed its profile, 1 otherwise.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "euicc_glue.h"
#include "simfleet/bpp.h"
#include "simfleet/der.h"
#include "simfleet/eid.h"
#include "simfleet/err.h"
#include "simfleet/pki.h"
#include "simfleet/rng.h"
#include "simfleet/rsp.h"
#include "simfleet/util.h"

#define BUF_CAP 65536
#define MID_MAX 64

static const char *url, *cacert, *ptype = "bench", *addr, *hook;
static char token[600];
static long ndl = 2000;
static int nworkers = 3;
static int64_t now_base;

static struct sf_rsp_euicc_cred *creds;
static char (*mids)[MID_MAX];
static atomic_long next_i, n_ok, n_fail, n_conn;


static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double self_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* utime + stime of a process (all its threads), in seconds (*sys: stime
 * alone, when not NULL); -1 on error. */
static double proc_cpu2(long pid, double *sys)
{
	char path[64], line[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	const char *p = strrchr(line, ')'); /* the name may hold spaces */
	unsigned long ut = 0, st = 0;
	/* after ')': state(3) ... utime(14) stime(15) */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	if (sys)
		*sys = (double)st / (double)sysconf(_SC_CLK_TCK);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double proc_cpu(long pid)
{
	return proc_cpu2(pid, NULL);
}

/* One worker's HTTP client: a CURL handle reused for every request. */
struct worker {
	pthread_t th;
	CURL *c;
	struct curl_slist *es9_h, *es2_h;
	struct sf_growbuf b;
	uint8_t *req, *rsp;
	long done, failed;
	int id;
};

/* POSTs the JSON body (released) to PATH; returns the parsed answer when
 * the function succeeded (or HTTP 204: an empty object), else NULL after a
 * line on stderr. */
static json_t *post(struct worker *w, const char *path, json_t *body, int es2, long *http)
{
	char u[600];
	snprintf(u, sizeof(u), "%s%s", url, path);
	char *txt = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	w->b.n = 0;
	curl_easy_setopt(w->c, CURLOPT_URL, u);
	curl_easy_setopt(w->c, CURLOPT_HTTPHEADER, es2 ? w->es2_h : w->es9_h);
	curl_easy_setopt(w->c, CURLOPT_POSTFIELDS, txt);
	CURLcode r = curl_easy_perform(w->c);
	free(txt);
	json_t *j = NULL;
	*http = 0;
	if (r != CURLE_OK) {
		fprintf(stderr, "smdp_load: %s: %s\n", path, curl_easy_strerror(r));
		return NULL;
	}
	curl_easy_getinfo(w->c, CURLINFO_RESPONSE_CODE, http);
	j = sf_glue_answer(*http, &w->b, NULL, NULL, 0);
	if (!j)
		fprintf(stderr, "smdp_load: %s: HTTP %ld %.300s\n", path, *http,
		        w->b.n ? w->b.p : "");
	return j;
}

/* ES2+: order a profile of the type and release it; its matchingId. */
static int order(struct worker *w, long i)
{
	long http;
	json_t *q = json_pack("{s:s}", "profileType", ptype), *j;
	if (!(j = post(w, "/gsma/rsp2/es2plus/downloadOrder", q, 1, &http)))
		return -1;
	const char *iccid = json_string_value(json_object_get(j, "iccid"));
	q = json_pack("{s:s,s:b}", "iccid", iccid ? iccid : "", "releaseFlag", 1);
	json_decref(j);
	if (!(j = post(w, "/gsma/rsp2/es2plus/confirmOrder", q, 1, &http)))
		return -1;
	const char *m = json_string_value(json_object_get(j, "matchingId"));
	int rc = m && strlen(m) < MID_MAX ? 0 : -1;
	if (!rc)
		snprintf(mids[i], MID_MAX, "%s", m);
	json_decref(j);
	return rc;
}

/* One complete download by eUICC i with matchingId i; 0 when installed. */
static int download(struct worker *w, long i)
{
	const struct sf_rsp_euicc_cred *cr = &creds[i];
	struct sf_rsp_euicc_session es;
	uint8_t chal[16], info1[256], *req = w->req, *rsp = w->rsp;
	uint8_t *b1 = NULL, *b2 = NULL, *b3 = NULL, *b4 = NULL, *bpp = NULL;
	size_t info1_len, req_len, rsp_len, l1, l2, l3, l4, bpp_len;
	int code = 0, rc = -1, r;
	long http;
	const char *step = "initiateAuthentication";
	json_t *j, *q;
	char tid[40];
	int64_t now = (int64_t)time(NULL);

	sf_rsp_euicc_session_init(&es);
	if (sf_rsp_euicc_challenge(&es, NULL, chal) ||
	    sf_rsp_euicc_info1(cr, info1, sizeof(info1), &info1_len))
		goto out;
	q = json_object();
	sf_glue_put_b64(q, "euiccChallenge", chal, 16);
	sf_glue_put_b64(q, "euiccInfo1", info1, info1_len);
	json_object_set_new(q, "smdpAddress", json_string(addr));
	if (!(j = post(w, "/gsma/rsp2/es9plus/initiateAuthentication", q, 0, &http)))
		goto out;
	snprintf(tid, sizeof(tid), "%s",
	         json_string_value(json_object_get(j, "transactionId"))
	             ? json_string_value(json_object_get(j, "transactionId"))
	             : "");
	b1 = sf_glue_get_b64(j, "serverSigned1", &l1);
	b2 = sf_glue_get_b64(j, "serverSignature1", &l2);
	b3 = sf_glue_get_b64(j, "euiccCiPKIdToBeUsed", &l3);
	b4 = sf_glue_get_b64(j, "serverCertificate", &l4);
	json_decref(j);
	if (!tid[0] || !b1 || !b2 || !b3 || !b4)
		goto out;
	{
		/* AuthenticateServerRequest with ctxParams1 { matchingId, deviceInfo } */
		static const uint8_t info2[] = {0xBF, 0x22, 0x03, 0x81, 0x01, 0x02};
		struct sf_der_writer dw;
		const char *mid = mids[i];
		sf_der_writer_init(&dw, req, BUF_CAP);
		size_t m = sf_der_writer_mark(&dw), m2, m3, m4;
		m2 = sf_der_writer_mark(&dw);
		m3 = sf_der_writer_mark(&dw);
		m4 = sf_der_writer_mark(&dw);
		sf_der_write_wrap(&dw, m4, SF_DER_CTX_C(1));
		sf_der_write_tlv(&dw, SF_DER_CTX(0), (const uint8_t *)"\x35\x29\x06\x11", 4);
		sf_der_write_wrap(&dw, m3, SF_DER_CTX_C(1));
		sf_der_write_tlv(&dw, SF_DER_CTX(0), (const uint8_t *)mid, strlen(mid));
		sf_der_write_wrap(&dw, m2, SF_DER_CTX_C(0));
		sf_der_write_raw(&dw, b4, l4);
		sf_der_write_raw(&dw, b3, l3);
		sf_der_write_raw(&dw, b2, l2);
		sf_der_write_raw(&dw, b1, l1);
		sf_der_write_wrap(&dw, m, 0xBF38);
		step = "AuthenticateServer";
		if (sf_der_writer_finish(&dw, &req_len))
			goto out;
		r = sf_rsp_euicc_authenticate_server(cr, &es, req, req_len, info2, sizeof(info2),
		                                     now, rsp, BUF_CAP, &rsp_len, &code);
		if (r || code) {
			fprintf(stderr, "smdp_load: AuthenticateServer: %s (code %d)\n",
			        sf_strerror(r), code);
			goto out;
		}
	}
	step = "authenticateClient";
	q = json_object();
	json_object_set_new(q, "transactionId", json_string(tid));
	sf_glue_put_b64(q, "authenticateServerResponse", rsp, rsp_len);
	if (!(j = post(w, "/gsma/rsp2/es9plus/authenticateClient", q, 0, &http)))
		goto out;
	free(b1);
	free(b2);
	free(b4);
	b1 = sf_glue_get_b64(j, "smdpSigned2", &l1);
	b2 = sf_glue_get_b64(j, "smdpSignature2", &l2);
	b4 = sf_glue_get_b64(j, "smdpCertificate", &l4);
	json_decref(j);
	if (!b1 || !b2 || !b4)
		goto out;
	{
		struct sf_der_writer dw;
		sf_der_writer_init(&dw, req, BUF_CAP);
		size_t m = sf_der_writer_mark(&dw);
		sf_der_write_raw(&dw, b4, l4);
		sf_der_write_raw(&dw, b2, l2);
		sf_der_write_raw(&dw, b1, l1);
		sf_der_write_wrap(&dw, m, 0xBF21);
		step = "PrepareDownload";
		if (sf_der_writer_finish(&dw, &req_len))
			goto out;
		r = sf_rsp_euicc_prepare_download(cr, &es, req, req_len, now, rsp, BUF_CAP,
		                                  &rsp_len, &code);
		if (r || code) {
			fprintf(stderr, "smdp_load: PrepareDownload: %s (code %d)\n",
			        sf_strerror(r), code);
			goto out;
		}
	}
	step = "getBoundProfilePackage";
	q = json_object();
	json_object_set_new(q, "transactionId", json_string(tid));
	sf_glue_put_b64(q, "prepareDownloadResponse", rsp, rsp_len);
	if (!(j = post(w, "/gsma/rsp2/es9plus/getBoundProfilePackage", q, 0, &http)))
		goto out;
	bpp = sf_glue_get_b64(j, "boundProfilePackage", &bpp_len);
	json_decref(j);
	if (!bpp)
		goto out;
	uint8_t pir[SF_BPP_PIR_MAX];
	size_t pir_len = 0;
	struct sf_rsp_notification pn;
	step = "LoadBoundProfilePackage";
	if (sf_glue_load(cr, &es, bpp, bpp_len, pir, &pir_len, 0) ||
	    sf_rsp_notification_parse(pir, pir_len, &pn) || !pn.is_pir || !pn.success)
		goto out;
	step = "handleNotification";
	q = json_object();
	sf_glue_put_b64(q, "pendingNotification", pir, pir_len);
	if (!(j = post(w, "/gsma/rsp2/es9plus/handleNotification", q, 0, &http)))
		goto out;
	json_decref(j);
	if (http != 204)
		goto out;
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "smdp_load: download %ld failed at %s\n", i, step);
	free(b1);
	free(b2);
	free(b3);
	free(b4);
	free(bpp);
	sf_rsp_euicc_session_free(&es);
	return rc;
}

static int worker_init(struct worker *w)
{
	char auth[700];
	memset(&w->b, 0, sizeof(w->b));
	w->c = curl_easy_init();
	w->req = malloc(BUF_CAP);
	w->rsp = malloc(BUF_CAP);
	if (!w->c || !w->req || !w->rsp)
		return -1;
	/* "Expect:" off: no 100-continue round trip for bodies over 1 KiB. */
	static const char *const common[] = {"Content-Type: application/json",
	                                      "X-Admin-Protocol: gsma/rsp/v2.2.0", "Expect:"};
	for (size_t k = 0; k < 3; k++) {
		w->es9_h = curl_slist_append(w->es9_h, common[k]);
		w->es2_h = curl_slist_append(w->es2_h, common[k]);
	}
	w->es9_h = curl_slist_append(w->es9_h, "User-Agent: gsma-rsp-lpad");
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	w->es2_h = curl_slist_append(w->es2_h, auth);
	curl_easy_setopt(w->c, CURLOPT_WRITEFUNCTION, sf_growbuf_curl);
	curl_easy_setopt(w->c, CURLOPT_WRITEDATA, &w->b);
	curl_easy_setopt(w->c, CURLOPT_CAINFO, cacert);
	curl_easy_setopt(w->c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(w->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(w->c, CURLOPT_TCP_NODELAY, 1L);
	return 0;
}

static void worker_free(struct worker *w)
{
	curl_easy_cleanup(w->c);
	curl_slist_free_all(w->es9_h);
	curl_slist_free_all(w->es2_h);
	sf_growbuf_free(&w->b);
	free(w->req);
	free(w->rsp);
}

static int phase; /* 0 orders, 1 downloads */

static void *work(void *arg)
{
	struct worker *w = arg;
	for (;;) {
		long i = atomic_fetch_add(&next_i, 1);
		if (i >= ndl)
			break;
		int rc = phase == 0 ? order(w, i) : download(w, i);
		if (rc == 0)
			atomic_fetch_add(&n_ok, 1);
		else
			atomic_fetch_add(&n_fail, 1);
		long nc = 0;
		curl_easy_getinfo(w->c, CURLINFO_NUM_CONNECTS, &nc);
		atomic_fetch_add(&n_conn, nc); /* new connections made by this request */
	}
	return NULL;
}

/* Runs one phase over all workers; wall seconds. */
static double run_phase(struct worker *ws, int ph)
{
	phase = ph;
	atomic_store(&next_i, 0);
	atomic_store(&n_ok, 0);
	atomic_store(&n_fail, 0);
	atomic_store(&n_conn, 0);
	double t0 = mono();
	for (int k = 0; k < nworkers; k++)
		if (pthread_create(&ws[k].th, NULL, work, &ws[k])) {
			fprintf(stderr, "smdp_load: pthread_create failed\n");
			exit(1);
		}
	for (int k = 0; k < nworkers; k++)
		pthread_join(ws[k].th, NULL);
	return mono() - t0;
}

static void run_hook(const char *what)
{
	char cmd[1200];
	if (!hook)
		return;
	snprintf(cmd, sizeof(cmd), "%s %s", hook, what);
	if (system(cmd) != 0)
		fprintf(stderr, "smdp_load: %s: failed\n", cmd);
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "smdp_load: %s: %s (%s)\n", what, sf_strerror(rc), sf_err_name(rc));
	exit(1);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"url", 1, 0, 'u'},         {"pki", 1, 0, 'p'},
	                                   {"credentials", 1, 0, 'c'}, {"keys", 1, 0, 'k'},
	                                   {"server-pid", 1, 0, 's'},  {"downloads", 1, 0, 'n'},
	                                   {"workers", 1, 0, 'w'},     {"profile-type", 1, 0, 't'},
	                                   {"hook", 1, 0, 'H'},        {0, 0, 0, 0}};
	const char *pki = NULL, *cred_file = NULL, *keys = NULL;
	long spid = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'u':
			url = optarg;
			break;
		case 'p':
			pki = optarg;
			break;
		case 'c':
			cred_file = optarg;
			break;
		case 'k':
			keys = optarg;
			break;
		case 's':
			spid = atol(optarg);
			break;
		case 'n':
			ndl = atol(optarg);
			break;
		case 'w':
			nworkers = atoi(optarg);
			break;
		case 't':
			ptype = optarg;
			break;
		case 'H':
			hook = optarg;
			break;
		default:
			fprintf(stderr, "smdp_load: bad option (see the comment at the top)\n");
			return 1;
		}
	}
	if (!url || !pki || !cred_file || !keys || spid <= 0 || ndl < 1 || nworkers < 1 ||
	    nworkers > 64 || strncmp(url, "https://", 8) != 0) {
		fprintf(stderr, "usage: smdp_load --url https://H:P --pki DIR --credentials FILE "
		                "--keys DIR --server-pid PID [--downloads N] [--workers W] "
		                "[--profile-type NAME]\n");
		return 1;
	}
	addr = url + 8;
	char ci[SF_PKI_PATH_MAX + 8], eum[SF_PKI_PATH_MAX + 8];
	snprintf(ci, sizeof(ci), "%s/ci.pem", pki);
	snprintf(eum, sizeof(eum), "%s/eum.pem", pki);
	cacert = ci;
	{
		json_error_t e;
		json_t *j = json_load_file(cred_file, 0, &e);
		const char *t = json_string_value(json_object_get(j, "token"));
		if (!t || strlen(t) >= sizeof(token)) {
			fprintf(stderr, "smdp_load: %s: no token\n", cred_file);
			return 1;
		}
		snprintf(token, sizeof(token), "%s", t);
		json_decref(j);
	}
	if (proc_cpu(spid) < 0) {
		fprintf(stderr, "smdp_load: /proc/%ld/stat: not readable\n", spid);
		return 1;
	}
	now_base = (int64_t)time(NULL);

	/* ---- setup: N distinct eUICCs under the server's EUM ---- */
	double t0 = mono();
	creds = calloc((size_t)ndl, sizeof(*creds));
	mids = calloc((size_t)ndl, sizeof(*mids));
	if (!creds || !mids)
		die("calloc", SF_ENOMEM);
	for (long i = 0; i < ndl; i++) {
		char eid[SF_EID_DIGITS + 1], cp[SF_PKI_PATH_MAX], kp[SF_PKI_PATH_MAX];
		int rc;
		do { /* a random EID in the EUM's range; retried on a collision */
			rc = sf_eid_generate(eid, SF_PKI_DEFAULT_EUM_PREFIX, sf_rng_system());
			if (rc)
				die("EID", rc);
			rc = sf_pki_issue_euicc(pki, eid, keys, now_base - 60, cp, kp);
		} while (rc == SF_EEXIST);
		if (rc)
			die("eUICC certificate", rc);
		rc = sf_rsp_euicc_cred_load(&creds[i], cp, kp, eum, ci, now_base);
		if (rc)
			die("eUICC credentials", rc);
	}
	double setup_s = mono() - t0;
	fprintf(stderr, "smdp_load: %ld eUICCs issued in %.1f s\n", ndl, setup_s);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct worker *ws = calloc((size_t)nworkers, sizeof(*ws));
	if (!ws)
		die("calloc", SF_ENOMEM);
	for (int k = 0; k < nworkers; k++) {
		ws[k].id = k;
		if (worker_init(&ws[k]))
			die("curl", SF_ENOMEM);
	}

	/* ---- orders: N released orders ---- */
	double order_s = run_phase(ws, 0);
	if (atomic_load(&n_fail)) {
		fprintf(stderr, "smdp_load: %ld of %ld orders failed\n", atomic_load(&n_fail), ndl);
		return 1;
	}
	fprintf(stderr, "smdp_load: %ld orders placed and released in %.1f s\n", ndl, order_s);

	/* ---- downloads, timed ---- */
	run_hook("start");
	double k0 = 0, k1 = 0;
	double c0 = proc_cpu2(spid, &k0), s0 = self_cpu();
	double wall = run_phase(ws, 1);
	double c1 = proc_cpu2(spid, &k1), s1 = self_cpu();
	run_hook("stop");
	long ok = atomic_load(&n_ok), failed = atomic_load(&n_fail), conns = atomic_load(&n_conn);
	if (c0 < 0 || c1 < 0) {
		fprintf(stderr, "smdp_load: the server's /proc/%ld/stat went away\n", spid);
		return 1;
	}
	fprintf(stderr,
	        "smdp_load: %ld downloads (%ld failed) in %.2f s with %d workers: server CPU %.2f s, "
	        "load generator CPU %.2f s, %ld new connections\n",
	        ok, failed, wall, nworkers, c1 - c0, s1 - s0, conns);
	printf("{\"downloads\":%ld,\"installed\":%ld,\"failed\":%ld,\"workers\":%d,"
	       "\"wall_s\":%.3f,\"downloads_per_s\":%.1f,\"server_cpu_s\":%.2f,"
	       "\"server_cpu_us_per_download\":%.1f,\"server_sys_us_per_download\":%.1f,"
	       "\"client_cpu_us_per_download\":%.1f,"
	       "\"new_connections\":%ld,\"setup_s\":%.1f,\"orders_s\":%.1f,\"clk_tck\":%ld}\n",
	       ndl, ok, failed, nworkers, wall, (double)ok / wall, c1 - c0, (c1 - c0) / ndl * 1e6,
	       (k1 - k0) / ndl * 1e6, (s1 - s0) / ndl * 1e6, conns, setup_s, order_s, sysconf(_SC_CLK_TCK));
	for (int k = 0; k < nworkers; k++)
		worker_free(&ws[k]);
	free(ws);
	for (long i = 0; i < ndl; i++)
		sf_rsp_euicc_cred_free(&creds[i]);
	free(creds);
	free(mids);
	curl_global_cleanup();
	return failed || ok != ndl ? 1 : 0;
}
