/*
 * GSUP SendAuthInfo load against osmo-hlr (run by bench/auc_vs_hlr.sh):
 * one GSUP connection through libosmo-gsup-client, WINDOW requests in
 * flight (each answer sends the next), IMSIs FIRST .. FIRST+COUNT-1 in
 * turn, for SECONDS.  Answers are matched by count, not by IMSI: osmo-hlr
 * answers in order on one connection.  Prints one JSON line
 * {"answered":N,"errors":E,"seconds":S,"rps":R}; exit 1 if nothing was
 * answered.
 * Usage: sai_client HOST PORT FIRST_IMSI COUNT [WINDOW [SECONDS]]
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/gsm/gsup.h>
#include <osmocom/gsm/ipa.h>
#include <osmocom/gsupclient/gsup_client.h>

static struct osmo_gsup_client *gc;
static struct osmo_timer_list start_timer, stop_timer, give_up_timer;
static unsigned long long first_imsi, count, next_i;
static unsigned window;
static double seconds, t0, t1;
static int up, running, finished, failed;
static unsigned long long sent, answered, errors;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void send_one(void)
{
	struct osmo_gsup_message m;
	memset(&m, 0, sizeof(m));
	m.message_type = OSMO_GSUP_MSGT_SEND_AUTH_INFO_REQUEST;
	snprintf(m.imsi, sizeof(m.imsi), "%015llu", first_imsi + next_i);
	next_i = (next_i + 1) % count;
	m.cn_domain = OSMO_GSUP_CN_DOMAIN_PS;
	if (osmo_gsup_client_enc_send(gc, &m) != 0) {
		fprintf(stderr, "sai_client: send failed\n");
		failed = 1;
		finished = 1;
		return;
	}
	sent++;
}

static void start_cb(void *data)
{
	(void)data;
	if (!up)
		return;
	running = 1;
	t0 = now();
	for (unsigned i = 0; i < window && !finished; i++)
		send_one();
	osmo_timer_schedule(&stop_timer, (long)seconds, (long)((seconds - (long)seconds) * 1e6));
}

static void stop_cb(void *data)
{
	(void)data;
	t1 = now();
	running = 0;
	finished = 1;
}

static void give_up_cb(void *data)
{
	(void)data;
	if (!running && !finished) {
		fprintf(stderr, "sai_client: no GSUP connection\n");
		failed = 1;
		finished = 1;
	}
}

static bool updown(struct osmo_gsup_client *c, bool is_up)
{
	(void)c;
	up = is_up;
	if (is_up && !running && !finished)
		/* after the IPA identity exchange that follows the connect */
		osmo_timer_schedule(&start_timer, 0, 200000);
	if (!is_up && running) {
		fprintf(stderr, "sai_client: GSUP link down\n");
		t1 = now();
		running = 0;
		finished = 1;
	}
	return true;
}

static int read_cb(struct osmo_gsup_client *c, struct msgb *msg)
{
	(void)c;
	struct osmo_gsup_message m;
	int rc = osmo_gsup_decode(msgb_l2(msg), msgb_l2len(msg), &m);
	if (rc >= 0 && running) {
		if (m.message_type == OSMO_GSUP_MSGT_SEND_AUTH_INFO_RESULT && m.num_auth_vectors > 0)
			answered++;
		else
			errors++;
		send_one();
	}
	msgb_free(msg);
	return 0;
}

static const struct log_info log_info_empty = {.cat = NULL, .num_cat = 0};

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: sai_client HOST PORT FIRST_IMSI COUNT [WINDOW [SECONDS]]\n");
		return 2;
	}
	const char *host = argv[1];
	unsigned port = (unsigned)strtoul(argv[2], NULL, 10);
	first_imsi = strtoull(argv[3], NULL, 10);
	count = strtoull(argv[4], NULL, 10);
	window = argc > 5 ? (unsigned)strtoul(argv[5], NULL, 10) : 64;
	seconds = argc > 6 ? strtod(argv[6], NULL) : 3.0;
	if (port == 0 || count == 0 || window == 0 || seconds <= 0) {
		fprintf(stderr, "sai_client: bad arguments\n");
		return 2;
	}
	void *ctx = talloc_named_const(NULL, 0, "sai_client");
	msgb_talloc_ctx_init(ctx, 0);
	log_init(&log_info_empty, ctx);
	struct ipaccess_unit *dev = talloc_zero(ctx, struct ipaccess_unit);
	dev->unit_name = "simfleet-bench";
	struct osmo_gsup_client_config cfg = {
	    .ipa_dev = dev,
	    .ip_addr = host,
	    .tcp_port = port,
	    .read_cb = read_cb,
	    .up_down_cb = updown,
	    .data = NULL,
	};
	osmo_timer_setup(&start_timer, start_cb, NULL);
	osmo_timer_setup(&stop_timer, stop_cb, NULL);
	osmo_timer_setup(&give_up_timer, give_up_cb, NULL);
	osmo_timer_schedule(&give_up_timer, 5, 0);
	gc = osmo_gsup_client_create3(ctx, &cfg);
	if (!gc) {
		fprintf(stderr, "sai_client: cannot create the GSUP client\n");
		return 1;
	}
	while (!finished)
		osmo_select_main(0);
	osmo_timer_del(&start_timer);
	osmo_timer_del(&stop_timer);
	osmo_timer_del(&give_up_timer);
	osmo_gsup_client_destroy(gc);
	if (failed && t1 == 0)
		return 1;
	double dt = t1 - t0;
	printf("{\"answered\":%llu,\"errors\":%llu,\"seconds\":%.3f,\"rps\":%.1f}\n", answered,
	       errors, dt, dt > 0 ? (double)answered / dt : 0.0);
	return answered > 0 ? 0 : 1;
}
