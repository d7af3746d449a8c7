/*
 * AUTHENTICATE for the USIM application, TS 31.102 §7.1.2 (command and
 * response coding), TS 33.102 §6.3.3 (the USIM's procedure), §6.8.1.2 (GSM
 * context: SRES = c2(RES), Kc = c3(CK, IK)).  See include/simfleet/usim.h.
 */
#include <string.h>

#include "simfleet/err.h"
#include "simfleet/usim.h"
#include "simfleet/util.h"

/* P2: b8 = 1 "specific reference data", b3..b1 = context. */
#define P2_GSM 0x80
#define P2_3G 0x81

static int put_lv(struct sf_rapdu *rsp, size_t *o, const uint8_t *v, size_t len)
{
	if (*o + 1 + len > rsp->cap)
		return SF_EBUFSIZE;
	rsp->data[(*o)++] = (uint8_t)len;
	memcpy(rsp->data + *o, v, len);
	*o += len;
	return 0;
}

static int auth_gsm(const struct sf_usim_auth *u, const struct sf_apdu *cmd, struct sf_rapdu *rsp)
{
	/* L1 RAND */
	if (cmd->nc != 17 || cmd->data[0] != 16) {
		rsp->sw = SF_SW_WRONG_LENGTH;
		return 0;
	}
	uint8_t sres[4], kc[8];
	int rc = sf_aka_gsm(u->aka, cmd->data + 1, sres, kc);
	if (rc == SF_EAKA_GSM) {
		rsp->sw = SF_SW_AUTH_CONTEXT_NOT_SUPPORTED;
		return 0;
	}
	size_t o = 0;
	if (rc == 0)
		rc = put_lv(rsp, &o, sres, 4);
	if (rc == 0)
		rc = put_lv(rsp, &o, kc, 8);
	sf_wipe(sres, sizeof(sres));
	sf_wipe(kc, sizeof(kc));
	if (rc) {
		sf_wipe(rsp->data, o);
		return rc;
	}
	rsp->len = o;
	rsp->sw = SF_SW_OK;
	return 0;
}

static int auth_3g(const struct sf_usim_auth *u, const struct sf_apdu *cmd, struct sf_rapdu *rsp)
{
	/* L1 RAND L2 AUTN, AUTN of 8 + MAC octets. */
	const uint8_t *d = cmd->data;
	size_t autn_len = 8u + u->aka->p.mac_len;
	if (cmd->nc < 1 || d[0] != 16 || cmd->nc != 1 + 16 + 1 + autn_len || d[17] != autn_len) {
		rsp->sw = SF_SW_WRONG_LENGTH;
		return 0;
	}
	struct sf_sqn_ms next = *u->sqn;
	struct sf_aka_usim_result r;
	int rc = sf_aka_usim_authenticate(u->aka, &next, d + 1, d + 18, autn_len, &r);
	size_t o = 0;
	if (rc == SF_EAKA_MAC) {
		rsp->sw = SF_SW_AUTH_MAC_FAILURE;
		rc = 0;
		goto out;
	}
	if (rc == SF_EAKA_SYNC) {
		/* 'DC' L AUTS, as normal response data. */
		if (rsp->cap < 2 + SF_AKA_AUTS_LEN) {
			rc = SF_EBUFSIZE;
			goto out;
		}
		rsp->data[o++] = 0xDC;
		rc = put_lv(rsp, &o, r.auts, SF_AKA_AUTS_LEN);
		if (rc == 0) {
			rsp->len = o;
			rsp->sw = SF_SW_OK;
		}
		goto out;
	}
	if (rc)
		goto out;
	/* The whole answer must fit before the SQN is spent on it. */
	size_t need = 1 + (1u + r.res_len) + (1u + r.ck_len) + (1u + r.ik_len) +
		      (u->gsm_access && r.has_kc ? 1u + SF_AKA_KC_LEN : 0);
	if (rsp->cap < need) {
		rc = SF_EBUFSIZE;
		goto out;
	}
	/* Accepted: the new SQN state is durable before anything is released. */
	if (u->persist && u->persist(u->user, &next) != 0) {
		rsp->sw = SF_SW_MEMORY_PROBLEM;
		rsp->len = 0;
		goto out;
	}
	*u->sqn = next;
	rsp->data[o++] = 0xDB;
	rc = put_lv(rsp, &o, r.res, r.res_len);
	if (rc == 0)
		rc = put_lv(rsp, &o, r.ck, r.ck_len);
	if (rc == 0)
		rc = put_lv(rsp, &o, r.ik, r.ik_len);
	if (rc == 0 && u->gsm_access && r.has_kc)
		rc = put_lv(rsp, &o, r.kc, SF_AKA_KC_LEN);
	if (rc == 0) {
		rsp->len = o;
		rsp->sw = SF_SW_OK;
	}
out:
	sf_wipe(&r, sizeof(r));
	sf_wipe(&next, sizeof(next));
	if (rc && rsp->len == 0)
		sf_wipe(rsp->data, o);
	return rc;
}

int sf_usim_authenticate(const struct sf_usim_auth *u, const struct sf_apdu *cmd,
			 struct sf_rapdu *rsp)
{
	if (!u || !u->aka || !u->sqn || !cmd || !rsp)
		return SF_EINVAL;
	rsp->len = 0;
	if (cmd->ins != 0x88) {
		rsp->sw = SF_SW_INS_NOT_SUPPORTED;
		return 0;
	}
	if (cmd->p1 != 0x00) {
		rsp->sw = SF_SW_INCORRECT_P1P2;
		return 0;
	}
	/* Case 4; over T=0 terminals often send it as case 3 and fetch the
	 * response with GET RESPONSE, so both are accepted. */
	if (cmd->apdu_case != 3 && cmd->apdu_case != 4) {
		rsp->sw = SF_SW_WRONG_LENGTH;
		return 0;
	}
	switch (cmd->p2) {
	case P2_3G:
		return auth_3g(u, cmd, rsp);
	case P2_GSM:
		if (!u->gsm_access) {
			rsp->sw = SF_SW_AUTH_CONTEXT_NOT_SUPPORTED;
			return 0;
		}
		return auth_gsm(u, cmd, rsp);
	default:
		/* Other contexts with specific reference data (VGCS/VBS, GBA, MBMS,
		 * local key) are not offered by this USIM: 98 64.  Anything else is
		 * a bad P2. */
		rsp->sw = (cmd->p2 & 0x80) && (cmd->p2 & 0x78) == 0 ? SF_SW_AUTH_CONTEXT_NOT_SUPPORTED
								    : SF_SW_INCORRECT_P1P2;
		return 0;
	}
}
