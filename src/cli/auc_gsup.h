/*
 * The GSUP front-end of `simfleet auc serve --gsup HOST:PORT` (auc_gsup.c,
 * docs/auc.md "GSUP front-end"): GSUP over IPA on TCP, as osmo-hlr serves
 * it, for SendAuthInfo.  It runs in the server's libevent loop and feeds the
 * server's group commit: a SendAuthInfo request is queued here and the
 * host's flush event is activated; the host's flush takes the queued
 * requests into its sf_auc_vectors() batch (sf__auc_gsup_take) and hands the
 * results back (sf__auc_gsup_answer).  Every function accepts a NULL handle
 * (no GSUP front-end) and then does nothing.
 */
#ifndef SF_CLI_AUC_GSUP_H
#define SF_CLI_AUC_GSUP_H

#include <stddef.h>

struct event_base;
struct event;
struct sf_auc;
struct sf_auc_req;
struct auc_gsup;

/* What the front-end needs from the server that hosts it. */
struct auc_gsup_host {
	struct event_base *base;
	struct sf_auc *auc;     /* used directly only for a resync (AUTS) */
	struct event *flush_ev; /* activated whenever a request is queued */
	/* Runs the host's flush now (answers everything queued, HTTPS and GSUP):
	 * called before a resync so that it sees every SQN already issued. */
	void (*flush)(void *arg);
	void *arg;
};

/* 1 when this simfleet was built with libosmogsm (the GSUP codec). */
int sf__auc_gsup_available(void);

/* Listens on hostport ("ADDRESS:PORT", numeric, [V6]:PORT, port 0 = any
 * free port) and prints "auc serve: GSUP listening on ADDRESS:PORT" to
 * stderr.  Returns 0, SF_EGSUP_SERVER_UNAVAILABLE, SF_ETRANSPORT_ADDR,
 * SF_ENET_LISTEN or SF_ENOMEM (with a message on stderr). */
int sf__auc_gsup_start(const struct auc_gsup_host *host, const char *hostport,
                       struct auc_gsup **out);

/* Number of requests waiting for the next batch. */
size_t sf__auc_gsup_queued(const struct auc_gsup *g);

/* Moves up to max queued requests into reqs (the caller's batch); they stay
 * owned by the front-end until sf__auc_gsup_answer().  Returns how many. */
size_t sf__auc_gsup_take(struct auc_gsup *g, struct sf_auc_req *reqs, size_t max);

/* Answers the n requests taken last, in order, from reqs[i].result (or rc
 * when the whole batch failed), and recycles them. */
void sf__auc_gsup_answer(struct auc_gsup *g, const struct sf_auc_req *reqs, size_t n, int rc);

/* Stops accepting connections (shutdown); connections stay to get their
 * answers. */
void sf__auc_gsup_stop(struct auc_gsup *g);

/* Closes every connection and frees everything (after the loop ended). */
void sf__auc_gsup_free(struct auc_gsup *g);

#endif
