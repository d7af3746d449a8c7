/*
 * ES10c: the LPA's local profile management functions on the ISD-R.
 *
 *   GSMA SGP.22 v2.5 §5.7.15  ES10c.GetProfilesInfo     (BF2D)
 *   GSMA SGP.22 v2.5 §5.7.16  ES10c.EnableProfile       (BF31)
 *   GSMA SGP.22 v2.5 §5.7.17  ES10c.DisableProfile      (BF32)
 *   GSMA SGP.22 v2.5 §5.7.18  ES10c.DeleteProfile       (BF33)
 *   GSMA SGP.22 v2.5 §5.7.19  ES10c.eUICCMemoryReset    (BF34)
 *   GSMA SGP.22 v2.5 §5.7.20  ES10c.GetEID              (BF3E)
 *   GSMA SGP.22 v2.5 §5.7.21  ES10c.SetNickname         (BF29)
 *   ASN.1: RSPDefinitions v2.5 (AUTOMATIC TAGS, EXTENSIBILITY IMPLIED)
 *   ICCID coding: ETSI TS 102 221 §13.2 (EF.ICCID)
 *
 * State changes are the host's (struct sf_isdr_host_ops): the ISD-R parses
 * the whole request first, calls the host once, and passes its result code
 * through.  Side effects the specification attaches to enabling/disabling
 * (REFRESH proactive command, notifications) are the host's too.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "isdr_internal.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/isdr.h"
#include "simfleet/log.h"

/* ---- GetProfilesInfo ---- */

/* The ProfileInfo fields this eUICC keeps, in SEQUENCE order, with their bit
 * in a selection mask.  iconType, icon, notificationConfigurationInfo,
 * profileOwner, dpProprietaryData and profilePolicyRules are not kept (no
 * host field yet): they are never returned, requested or not. */
enum {
	PI_ICCID = 1u << 0, /* 5A */
	PI_AID = 1u << 1,   /* 4F */
	PI_STATE = 1u << 2, /* 9F70 */
	PI_NICK = 1u << 3,  /* 90 */
	PI_SPN = 1u << 4,   /* 91 */
	PI_NAME = 1u << 5,  /* 92 */
	PI_CLASS = 1u << 6, /* 95 */
	PI_ALL = 0x7Fu
};

static unsigned pi_bit(uint32_t tag)
{
	switch (tag) {
	case 0x5A:
		return PI_ICCID;
	case 0x4F:
		return PI_AID;
	case 0x9F70:
		return PI_STATE;
	case 0x90:
		return PI_NICK;
	case 0x91:
		return PI_SPN;
	case 0x92:
		return PI_NAME;
	case 0x95:
		return PI_CLASS;
	default:
		return 0;
	}
}

/* tagList: a string of BER tags (ISO/IEC 7816-4 §5.2.4 tag list), e.g.
 * 5A 4F 9F70 90 91 92 95.  Returns -1 when a tag is cut short or longer than
 * 3 octets. */
static int parse_tag_list(const uint8_t *v, size_t len, unsigned *mask)
{
	unsigned m = 0;
	size_t i = 0;
	while (i < len) {
		uint32_t tag = v[i++];
		if ((tag & 0x1F) == 0x1F) {
			size_t n = 0;
			do {
				if (i >= len || ++n > 2)
					return -1;
				tag = (tag << 8) | v[i];
			} while (v[i++] & 0x80);
		}
		m |= pi_bit(tag);
	}
	*mask = m;
	return 0;
}

struct pi_filter {
	uint32_t tag; /* 0: no searchCriteria */
	const uint8_t *v;
	size_t len;
	int64_t pclass;
};

static int pi_matches(const struct pi_filter *f, const struct sf_profile_info *pi,
                      const uint8_t iccid_bcd[10])
{
	switch (f->tag) {
	case 0x4F:
		return pi->isdp_aid_len == f->len && memcmp(pi->isdp_aid, f->v, f->len) == 0;
	case 0x5A:
		return memcmp(iccid_bcd, f->v, 10) == 0;
	case 0x95:
		return pi->pclass == f->pclass;
	default:
		return 1;
	}
}

/* One ProfileInfo (E3), fields written last to first. */
static int write_profile_info(struct sf_der_writer *w, const struct sf_profile_info *pi,
                              const uint8_t iccid_bcd[10], unsigned mask)
{
	size_t m = sf_der_writer_mark(w);
	if (mask & PI_CLASS)
		sf_der_write_int64(w, SF_DER_CTX(21), pi->pclass);
	if (mask & PI_NAME)
		sf__isdr_write_utf8(w, SF_DER_CTX(18), pi->name);
	if (mask & PI_SPN)
		sf__isdr_write_utf8(w, SF_DER_CTX(17), pi->spn);
	/* profileNickname is OPTIONAL and only set by SetNickname: absent
	 * when the host has none. */
	if ((mask & PI_NICK) && pi->nickname[0] != '\0')
		sf__isdr_write_utf8(w, SF_DER_CTX(16), pi->nickname);
	if (mask & PI_STATE)
		sf_der_write_int64(w, 0x9F70, pi->state);
	if (mask & PI_AID)
		sf_der_write_octets(w, 0x4F, pi->isdp_aid, pi->isdp_aid_len);
	if (mask & PI_ICCID)
		sf_der_write_octets(w, 0x5A, iccid_bcd, 10);
	return sf_der_write_wrap(w, m, 0xE3);
}

/* Host data the response cannot carry. */
static int profile_valid(struct sf_profile_info *pi)
{
	pi->iccid[sizeof(pi->iccid) - 1] = '\0';
	pi->nickname[sizeof(pi->nickname) - 1] = '\0';
	pi->spn[sizeof(pi->spn) - 1] = '\0';
	pi->name[sizeof(pi->name) - 1] = '\0';
	return pi->isdp_aid_len >= 1 && pi->isdp_aid_len <= 16 && pi->state <= 1 && pi->pclass <= 2;
}

/* ProfileInfoListResponse ::= [45] CHOICE { profileInfoListOk SEQUENCE OF
 * ProfileInfo (A0), profileInfoListError ProfileInfoListError (81) } */
static int write_list_error(struct sf_der_writer *w, long error)
{
	size_t m;
	sf_der_writer_init(w, w->buf, w->size);
	m = sf_der_writer_mark(w);
	sf_der_write_int64(w, SF_DER_CTX(1), error);
	return sf_der_write_wrap(w, m, 0xBF2D);
}

int sf__isdr_get_profiles_info(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                               struct sf_der_writer *w)
{
	const uint8_t *p = val, *end = val + len, *v, *tags;
	size_t vlen, tags_len;
	struct pi_filter f = {0};
	unsigned mask = PI_ALL;
	int present, rc;

	/* ProfileInfoListRequest ::= [45] SEQUENCE {
	 *   searchCriteria [0] CHOICE { isdpAid 4F, iccid 5A, profileClass 95 } OPTIONAL,
	 *   tagList [APPLICATION 28] OCTET STRING OPTIONAL } */
	rc = sf_der_get_optional(&p, end, SF_DER_CTX_C(0), &v, &vlen, &present);
	if (rc != 0)
		return SF_EES10_REQUEST;
	if (present) {
		const uint8_t *q = v, *qe = v + vlen;
		if (sf_der_peek_tag(q, qe, &f.tag) != 0)
			return SF_EES10_REQUEST;
		if (f.tag == 0x4F)
			rc = sf_der_get_octets(&q, qe, 0x4F, &f.v, &f.len);
		else if (f.tag == 0x5A)
			rc = sf_der_get_octets(&q, qe, 0x5A, &f.v, &f.len);
		else if (f.tag == 0x95)
			rc = sf_der_get_int64(&q, qe, SF_DER_CTX(21), &f.pclass);
		else
			rc = SF_EES10_REQUEST; /* an alternative we do not know */
		/* The CHOICE's explicit [0] holds exactly one alternative. */
		if (rc != 0 || sf_der_check_end(q, qe) != 0)
			return SF_EES10_REQUEST;
		if ((f.tag == 0x4F && (f.len < 1 || f.len > 16)) || (f.tag == 0x5A && f.len != 10))
			return SF_EES10_REQUEST;
	}
	rc = sf_der_get_optional(&p, end, 0x5C, &tags, &tags_len, &present);
	if (rc != 0)
		return SF_EES10_REQUEST;
	if ((rc = sf__isdr_req_end(p, end)) != 0)
		return rc;
	if (present && parse_tag_list(tags, tags_len, &mask) != 0)
		return write_list_error(w, 1); /* incorrectInputValues */

	/* The SEQUENCE OF is written backwards: last profile first. */
	size_t count = isdr->ops->profile_count ? isdr->ops->profile_count(isdr->user) : 0;
	size_t m = sf_der_writer_mark(w);
	for (size_t i = count; i-- > 0;) {
		struct sf_profile_info pi;
		uint8_t bcd[10];
		memset(&pi, 0, sizeof(pi));
		rc = isdr->ops->profile_get ? isdr->ops->profile_get(isdr->user, i, &pi)
		                            : SF_ENOTSUP;
		if (rc == 0 && !profile_valid(&pi))
			rc = SF_EES10_HOST;
		if (rc == 0)
			rc = sf__isdr_iccid_to_bcd(pi.iccid, bcd);
		if (rc != 0) {
			sf_log(SF_LOG_WARN, "isdr", "GetProfilesInfo: profile %zu: %s", i,
			       sf_strerror(rc));
			return write_list_error(w, SF_ES10_UNDEFINED);
		}
		if (pi_matches(&f, &pi, bcd))
			write_profile_info(w, &pi, bcd, mask);
	}
	sf_der_write_wrap(w, m, SF_DER_CTX_C(0));
	rc = sf_der_write_wrap(w, m, 0xBF2D);
	if (rc != 0) {
		/* Too many profiles for the response buffer, or a host string
		 * that is not UTF-8: the function's own error. */
		sf_log(SF_LOG_WARN, "isdr", "GetProfilesInfo: response not encodable: %s",
		       sf_strerror(rc));
		return write_list_error(w, SF_ES10_UNDEFINED);
	}
	return 0;
}

/* ---- EnableProfile, DisableProfile ---- */

/* EnableProfileRequest ::= [49] SEQUENCE {            (DisableProfile: [50])
 *   profileIdentifier CHOICE { isdpAid 4F, iccid 5A },  -> A0, explicit
 *   refreshFlag BOOLEAN }                               -> 81 */
static int enable_disable(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                          struct sf_der_writer *w, uint32_t tag,
                          int (*op)(void *user, const char *iccid, int refresh))
{
	const uint8_t *p = val, *end = val + len, *v;
	size_t vlen;
	char iccid[21];
	int refresh, rc;

	if (sf_der_expect(&p, end, SF_DER_CTX_C(0), &v, &vlen) != 0)
		return SF_EES10_REQUEST;
	const uint8_t *q = v, *qe = v + vlen;
	if (sf_der_get_bool(&p, end, SF_DER_CTX(1), &refresh) != 0)
		return SF_EES10_REQUEST;
	if ((rc = sf__isdr_req_end(p, end)) != 0)
		return rc;
	rc = sf__isdr_profile_id(isdr, q, qe, iccid);
	if (rc == SF_EES10_REQUEST)
		return rc;

	long result = SF_ES10_NOT_FOUND; /* iccidOrAidNotFound */
	if (rc < 0)                      /* the host failed while the AID was looked up */
		result = SF_ES10_UNDEFINED;
	else if (iccid[0] != '\0')
		result = sf__isdr_result(op ? op(isdr->user, iccid, refresh) : SF_ENOTSUP);
	return sf__isdr_write_result(w, tag, result);
}

int sf__isdr_enable_profile(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                            struct sf_der_writer *w)
{
	return enable_disable(isdr, val, len, w, 0xBF31, isdr->ops->enable);
}

int sf__isdr_disable_profile(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                             struct sf_der_writer *w)
{
	return enable_disable(isdr, val, len, w, 0xBF32, isdr->ops->disable);
}

/* ---- DeleteProfile ---- */

/* DeleteProfileRequest ::= [51] CHOICE { isdpAid 4F, iccid 5A }: the
 * explicit [51] holds exactly one alternative (no extension room). */
int sf__isdr_delete_profile(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                            struct sf_der_writer *w)
{
	const uint8_t *p = val, *end = val + len;
	char iccid[21];
	int rc;

	rc = sf__isdr_profile_id(isdr, p, end, iccid);
	if (rc == SF_EES10_REQUEST)
		return rc;
	long result = SF_ES10_NOT_FOUND;
	if (rc < 0)
		result = SF_ES10_UNDEFINED;
	else if (iccid[0] != '\0')
		result = sf__isdr_result(isdr->ops->delete_profile
		                             ? isdr->ops->delete_profile(isdr->user, iccid)
		                             : SF_ENOTSUP);
	return sf__isdr_write_result(w, 0xBF33, result);
}

/* ---- eUICCMemoryReset ---- */

/* EuiccMemoryResetRequest ::= [52] SEQUENCE { resetOptions [2] BIT STRING {
 *   deleteOperationalProfiles(0), deleteFieldLoadedTestProfiles(1),
 *   resetDefaultSmdpAddress(2) } } */
int sf__isdr_memory_reset(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                          struct sf_der_writer *w)
{
	const uint8_t *p = val, *end = val + len;
	uint32_t options;
	int rc;

	if (sf__isdr_get_bits(&p, end, SF_DER_CTX(2), &options) != 0)
		return SF_EES10_REQUEST;
	if ((rc = sf__isdr_req_end(p, end)) != 0)
		return rc;
	/* Bits the v2.5 module does not name are dropped. */
	options &= 0x7u;
	long result = sf__isdr_result(
	    isdr->ops->memory_reset ? isdr->ops->memory_reset(isdr->user, options) : SF_ENOTSUP);
	return sf__isdr_write_result(w, 0xBF34, result);
}

/* ---- GetEID ---- */

/* GetEuiccDataRequest ::= [62] SEQUENCE { tagList [APPLICATION 28] Octet1 }
 * -- the value SHALL be '5A'.
 * GetEuiccDataResponse ::= [62] SEQUENCE { eidValue [APPLICATION 26] Octet16 }
 * The EID is 32 digits in plain BCD (89 04 90 32 ...), not nibble-swapped. */
int sf__isdr_get_eid(struct sf_isdr *isdr, const uint8_t *val, size_t len, struct sf_der_writer *w)
{
	const uint8_t *p = val, *end = val + len, *v;
	size_t vlen;
	uint8_t eid[16];
	int rc;

	if (sf_der_get_octets(&p, end, 0x5C, &v, &vlen) != 0 || vlen != 1 || v[0] != 0x5A)
		return SF_EES10_REQUEST;
	if ((rc = sf__isdr_req_end(p, end)) != 0)
		return rc;

	const char *digits = isdr->ops->eid ? isdr->ops->eid(isdr->user) : NULL;
	if (digits == NULL || strlen(digits) != 32) {
		sf_log(SF_LOG_ERROR, "isdr", "GetEID: the eUICC has no valid EID (32 digits)");
		return SF_EES10_HOST;
	}
	for (size_t i = 0; i < 32; i++) {
		if (digits[i] < '0' || digits[i] > '9') {
			sf_log(SF_LOG_ERROR, "isdr", "GetEID: EID has a non-digit");
			return SF_EES10_HOST;
		}
		uint8_t d = (uint8_t)(digits[i] - '0');
		if (i % 2 == 0)
			eid[i / 2] = (uint8_t)(d << 4);
		else
			eid[i / 2] |= d;
	}
	size_t m = sf_der_writer_mark(w);
	sf_der_write_octets(w, 0x5A, eid, sizeof(eid));
	return sf_der_write_wrap(w, m, 0xBF3E);
}

/* ---- SetNickname ---- */

/* SetNicknameRequest ::= [41] SEQUENCE { iccid Iccid (5A),
 *   profileNickname [16] UTF8String (SIZE(0..64)) (90) }
 * SetNicknameResponse ::= [41] SEQUENCE { setNicknameResult INTEGER
 *   {ok(0), iccidNotFound(1), undefinedError(127)} } */
int sf__isdr_set_nickname(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                          struct sf_der_writer *w)
{
	const uint8_t *p = val, *end = val + len, *v, *nick;
	size_t vlen, nick_len;
	char iccid[21], nickname[65];
	int rc;

	if (sf_der_get_octets(&p, end, 0x5A, &v, &vlen) != 0 || vlen != 10)
		return SF_EES10_REQUEST;
	const uint8_t *iccid_bcd = v;
	/* SIZE(0..64) counts characters; the host keeps 64 octets, so a longer
	 * UTF-8 encoding is refused as well. */
	if (sf_der_get_string(&p, end, SF_DER_CTX(16), SF_DER_UTF8_STRING, &nick, &nick_len) != 0 ||
	    nick_len > 64)
		return SF_EES10_REQUEST;
	if ((rc = sf__isdr_req_end(p, end)) != 0)
		return rc;
	memcpy(nickname, nick, nick_len);
	nickname[nick_len] = '\0';

	long result = SF_ES10_NOT_FOUND; /* iccidNotFound */
	if (sf__isdr_iccid_from_bcd(iccid_bcd, iccid) == 0)
		result = sf__isdr_result(isdr->ops->set_nickname
		                             ? isdr->ops->set_nickname(isdr->user, iccid, nickname)
		                             : SF_ENOTSUP);
	return sf__isdr_write_result(w, 0xBF29, result);
}
