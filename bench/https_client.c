/*
 * HTTPS vector-request load against `simfleet auc serve` (run by
 * bench/auc_vs_hlr.sh): libcurl multi, CONC easy handles kept alive, each
 * POSTing /v1/vectors {"imsi":...,"n":1,"type":"3g"} again as soon as its
 * answer is in, IMSIs FIRST .. FIRST+COUNT-1 in turn, for SECONDS.  Counts
 * 200 answers.  Prints one JSON line
 * {"answered":N,"errors":E,"seconds":S,"rps":R}; exit 1 if nothing was
 * answered.
 * Usage: https_client URL TOKEN_FILE CACERT FIRST_IMSI COUNT [CONC [SECONDS]]
 * (URL is the base, e.g. https://localhost:PORT)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

struct req {
	CURL *h;
	char body[96];
	size_t got;
};

static unsigned long long first_imsi, count, next_i;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
	(void)p;
	((struct req *)ud)->got += sz * n;
	return sz * n;
}

static void prepare(struct req *r)
{
	snprintf(r->body, sizeof(r->body), "{\"imsi\":\"%015llu\",\"n\":1,\"type\":\"3g\"}",
	         first_imsi + next_i);
	next_i = (next_i + 1) % count;
	r->got = 0;
	curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(r->h, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr,
		        "usage: https_client URL TOKEN_FILE CACERT FIRST_IMSI COUNT [CONC [SECONDS]]\n");
		return 2;
	}
	char url[512], auth[512], tok[256] = "";
	snprintf(url, sizeof(url), "%s/v1/vectors", argv[1]);
	FILE *f = fopen(argv[2], "r");
	if (!f) {
		perror("https_client: token file");
		return 2;
	}
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] && line[0] != '#') {
			snprintf(tok, sizeof(tok), "%s", line);
			break;
		}
	}
	fclose(f);
	if (!tok[0]) {
		fprintf(stderr, "https_client: no token in %s\n", argv[2]);
		return 2;
	}
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	first_imsi = strtoull(argv[4], NULL, 10);
	count = strtoull(argv[5], NULL, 10);
	unsigned conc = argc > 6 ? (unsigned)strtoul(argv[6], NULL, 10) : 32;
	double seconds = argc > 7 ? strtod(argv[7], NULL) : 3.0;
	if (count == 0 || conc == 0 || conc > 1024 || seconds <= 0) {
		fprintf(stderr, "https_client: bad arguments\n");
		return 2;
	}

	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURLM *m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)conc);
	struct curl_slist *hdrs = curl_slist_append(NULL, auth);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	struct req *rs = calloc(conc, sizeof(*rs));
	if (!m || !hdrs || !rs) {
		fprintf(stderr, "https_client: out of memory\n");
		return 1;
	}
	for (unsigned i = 0; i < conc; i++) {
		CURL *h = curl_easy_init();
		rs[i].h = h;
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_CAINFO, argv[3]);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &rs[i]);
		curl_easy_setopt(h, CURLOPT_PRIVATE, &rs[i]);
		curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
		curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		prepare(&rs[i]);
	}

	/* Warm-up: one request per handle (TLS handshakes), not counted. */
	for (unsigned i = 0; i < conc; i++)
		curl_multi_add_handle(m, rs[i].h);
	int running = (int)conc, q;
	unsigned long long answered = 0, errors = 0;
	while (running > 0) {
		curl_multi_perform(m, &running);
		if (running > 0)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	CURLMsg *msg;
	unsigned warm_ok = 0;
	while ((msg = curl_multi_info_read(m, &q))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		long code = 0;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		if (msg->data.result == CURLE_OK && code == 200)
			warm_ok++;
		else
			fprintf(stderr, "https_client: warm-up: %s, HTTP %ld\n",
			        curl_easy_strerror(msg->data.result), code);
	}
	if (warm_ok == 0) {
		fprintf(stderr, "https_client: no request succeeded\n");
		return 1;
	}

	double t0 = now(), end = t0 + seconds;
	for (unsigned i = 0; i < conc; i++) {
		curl_multi_remove_handle(m, rs[i].h);
		prepare(&rs[i]);
		curl_multi_add_handle(m, rs[i].h);
	}
	int active = (int)conc;
	while (active > 0) {
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &q))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			CURL *h = msg->easy_handle;
			long code = 0;
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
			double t = now();
			if (t <= end) {
				if (msg->data.result == CURLE_OK && code == 200)
					answered++;
				else
					errors++;
			}
			struct req *r = NULL;
			curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&r);
			curl_multi_remove_handle(m, h);
			if (t < end) {
				prepare(r);
				curl_multi_add_handle(m, h);
			} else {
				active--;
			}
		}
		if (active > 0)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	double dt = end - t0;
	for (unsigned i = 0; i < conc; i++)
		curl_easy_cleanup(rs[i].h);
	free(rs);
	curl_slist_free_all(hdrs);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	printf("{\"answered\":%llu,\"errors\":%llu,\"seconds\":%.3f,\"rps\":%.1f}\n", answered,
	       errors, dt, (double)answered / dt);
	return answered > 0 ? 0 : 1;
}
