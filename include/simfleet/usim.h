/*
 * The USIM's AUTHENTICATE command (TS 31.102 §7.1.2) on top of the AKA engine.
 *
 *   00 88 00 81 Lc [10 RAND 10 AUTN] 00    3G/EPS/5G context
 *     -> DB L RES L CK L IK [08 Kc]  90 00   success (Kc with GSM access, service 27)
 *     -> DC 0E AUTS                   90 00   synchronisation failure
 *     ->                              98 62   MAC failure
 *   00 88 00 80 Lc [10 RAND] 00              GSM context
 *     -> 04 SRES 08 Kc                90 00
 *
 * The SQN state must survive a power cut without ever accepting a SQN twice,
 * so a successful check hands the new SEQ array to `persist` BEFORE any
 * response leaves the card; when persisting fails the command fails with
 * 65 81 (memory problem) and the state in RAM is left as it was.  A GSM
 * context challenge does not touch the SQN state.
 *
 * No heap allocation; RES/CK/IK/Kc are wiped from the stack on every path.
 */
#ifndef SIMFLEET_USIM_H
#define SIMFLEET_USIM_H

#include "simfleet/aka.h"
#include "simfleet/card.h"

struct sf_usim_auth {
	const struct sf_aka_ctx *aka; /* the subscriber's algorithm instance */
	struct sf_sqn_ms *sqn;        /* its SEQ array (updated on success) */
	int gsm_access;               /* EF_UST service n°27: add Kc, allow P2=80 */
	/* Called with the new SEQ array before RES is released; 0 or SF_E*. */
	int (*persist)(void *user, const struct sf_sqn_ms *ms);
	void *user;
};

/* Processes one AUTHENTICATE command (INS 88; the caller has checked that
 * the USIM ADF is the current application on cmd->channel and that PIN
 * conditions hold).  Sets rsp->sw and data; returns 0, or a negative SF_E*
 * code only for an internal failure. */
int sf_usim_authenticate(const struct sf_usim_auth *u, const struct sf_apdu *cmd,
			 struct sf_rapdu *rsp);

#endif
