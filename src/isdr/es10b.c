/*
 * ES10b: the LPA's functions for eUICC information, challenge and
 * notifications.
 *
 *   GSMA SGP.22 v2.5 §5.7.7   ES10b.GetEUICCChallenge           (BF2E)
 *   GSMA SGP.22 v2.5 §5.7.8   ES10b.GetEUICCInfo                (BF20, BF22)
 *   GSMA SGP.22 v2.5 §5.7.9   ES10b.ListNotification            (BF28)
 *   GSMA SGP.22 v2.5 §5.7.10  ES10b.RetrieveNotificationsList   (BF2B)
 *   GSMA SGP.22 v2.5 §5.7.11  ES10b.RemoveNotificationFromList  (BF30)
 *   GSMA SGP.22 v2.5 §5.7.22  ES10b.GetRAT                      (BF43)
 *   ASN.1: RSPDefinitions v2.5 (AUTOMATIC TAGS, EXTENSIBILITY IMPLIED);
 *          UICCCapability from PEDefinitions v3.3.1;
 *          extCardResource: ETSI TS 102 226 §8.2.1.3.2 (Extended Card Resources)
 *
 * PrepareDownload (§5.7.5), LoadBoundProfilePackage (§5.7.6), LoadCRL
 * (§5.7.12), AuthenticateServer (§5.7.13) and CancelSession (§5.7.14) need
 * the RSP security work (certificates, signatures, key agreement) and are
 * not here yet: isdr.c answers them 6A 88.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "isdr_internal.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/isdr.h"
#include "simfleet/log.h"

/* ---- what this eUICC says about itself (EUICCInfo1, EUICCInfo2) ---- */

/* VersionType: major, minor, revision as binary octets. */
static const uint8_t SVN[3] = {2, 5, 0}; /* SGP.22 v2.5.0 */
/* SAIP (eUICC Profile Package) version the profile installer accepts: 2.3,
 * the version the TS.48 test profiles declare. */
static const uint8_t PROFILE_VERSION[3] = {2, 3, 0};
static const uint8_t FIRMWARE_VERSION[3] = {0, 1, 0}; /* simfleet 0.1.0 */
static const uint8_t TS102241_VERSION[3] = {9, 2, 0}; /* UICC API for Java Card */
static const uint8_t GP_VERSION[3] = {2, 3, 0};       /* GlobalPlatform Card Spec 2.3 */
/* Protection Profile (SGP.25) version: this software eUICC is not a
 * certified TOE, so it claims none. */
static const uint8_t PP_VERSION[3] = {0, 0, 0};

/* extCardResource, TS 102 226 §8.2.1.3.2: 81 number of installed
 * applications (no Java Card applets: 0), 82 free non-volatile memory
 * (1 MiB, the order of a real eUICC's), 83 free volatile memory (16 KiB). */
static const uint8_t EXT_CARD_RESOURCE[] = {0x81, 0x01, 0x00, 0x82, 0x04, 0x00, 0x10,
                                            0x00, 0x00, 0x83, 0x02, 0x40, 0x00};

/* UICCCapability (PEDefinitions): what the card engine implements. */
#define UICC_CAP                                                                                   \
	((1u << 1) /* usimSupport */ | (1u << 4) /* akaMilenage */ | (1u << 6) /* akaTuak128 */ |  \
	 (1u << 7) /* akaTuak256 */ | (1u << 8) /* usimTestAlgorithm (XOR, TS 34.108) */)

/* RspCapability: additionalProfile(0) only -- no CRL, no RPM, and the
 * test-profile and extensibility features are not claimed before they are
 * tested against an SM-DP+. */
#define RSP_CAP (1u << 0)

/* euiccCategory other(0): not a certified basic/medium/contactless eUICC. */
#define EUICC_CATEGORY 0

/* sasAcreditationNumber UTF8String (SIZE(0..64)): no SAS-UP site made this
 * eUICC; the empty string is valid and claims nothing. */
static const char SAS_ACCREDITATION[] = "";

/* euiccCiPKIdListForVerification / ForSigning: SEQUENCE OF
 * SubjectKeyIdentifier (04 <SKI>), the CIs of the eUICC's RSP credentials
 * (the same list for both: the eUICC verifies and signs under each CI it
 * holds a certificate chain for).  An eUICC without credentials has empty
 * lists: an SM-DP+ then finds no common CI, which is the truth. */
static int write_ci_pkid_list(struct sf_isdr *isdr, struct sf_der_writer *w, uint32_t tag)
{
	uint8_t ski[8][32];
	size_t len[8], n = 0;

	while (isdr->ops->ci_pkid != NULL && n < 8 &&
	       (len[n] = isdr->ops->ci_pkid(isdr->user, n, ski[n], sizeof(ski[n]))) > 0 &&
	       len[n] <= sizeof(ski[n]))
		n++;
	size_t m = sf_der_writer_mark(w);
	while (n-- > 0) /* last first: the writer works backwards */
		sf_der_write_octets(w, SF_DER_OCTET_STRING, ski[n], len[n]);
	return sf_der_write_wrap(w, m, tag);
}

/* GetEuiccInfo1Request ::= [32] SEQUENCE {}
 * EUICCInfo1 ::= [32] SEQUENCE { svn [2] VersionType,
 *   euiccCiPKIdListForVerification [9] SEQUENCE OF SubjectKeyIdentifier,
 *   euiccCiPKIdListForSigning [10] SEQUENCE OF SubjectKeyIdentifier } */
int sf__isdr_get_info1(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                       struct sf_der_writer *w)
{
	int rc;
	if ((rc = sf__isdr_req_end(val, val + len)) != 0)
		return rc;
	size_t m = sf_der_writer_mark(w);
	write_ci_pkid_list(isdr, w, SF_DER_CTX_C(10));
	write_ci_pkid_list(isdr, w, SF_DER_CTX_C(9));
	sf_der_write_octets(w, SF_DER_CTX(2), SVN, sizeof(SVN));
	return sf_der_write_wrap(w, m, 0xBF20);
}

/* GetEuiccInfo2Request ::= [34] SEQUENCE {}
 * EUICCInfo2 ::= [34] SEQUENCE {
 *   profileVersion [1], svn [2], euiccFirmwareVer [3] VersionType,   81 82 83
 *   extCardResource [4] OCTET STRING,                                84
 *   uiccCapability [5] UICCCapability,                               85
 *   ts102241Version [6] OPTIONAL, globalplatformVersion [7] OPTIONAL, 86 87
 *   rspCapability [8] RspCapability,                                 88
 *   euiccCiPKIdListForVerification [9], ...ForSigning [10],           A9 AA
 *   euiccCategory [11] INTEGER OPTIONAL,                             8B
 *   forbiddenProfilePolicyRules [25] PprIds OPTIONAL,                (absent)
 *   ppVersion VersionType,                                           04 (untagged:
 *   sasAcreditationNumber UTF8String (SIZE(0..64)),                  0C  the SEQUENCE
 *   certificationDataObject [12] OPTIONAL, ... }                      has tags, so
 *                                                                        no automatic
 *                                                                        tagging) */
static int write_info2(struct sf_isdr *isdr, struct sf_der_writer *w)
{
	size_t m = sf_der_writer_mark(w);
	sf__isdr_write_utf8(w, SF_DER_UTF8_STRING, SAS_ACCREDITATION);
	sf_der_write_octets(w, SF_DER_OCTET_STRING, PP_VERSION, sizeof(PP_VERSION));
	sf_der_write_int64(w, SF_DER_CTX(11), EUICC_CATEGORY);
	write_ci_pkid_list(isdr, w, SF_DER_CTX_C(10));
	write_ci_pkid_list(isdr, w, SF_DER_CTX_C(9));
	sf_der_write_named_bits(w, SF_DER_CTX(8), RSP_CAP);
	sf_der_write_octets(w, SF_DER_CTX(7), GP_VERSION, sizeof(GP_VERSION));
	sf_der_write_octets(w, SF_DER_CTX(6), TS102241_VERSION, sizeof(TS102241_VERSION));
	sf_der_write_named_bits(w, SF_DER_CTX(5), UICC_CAP);
	sf_der_write_octets(w, SF_DER_CTX(4), EXT_CARD_RESOURCE, sizeof(EXT_CARD_RESOURCE));
	sf_der_write_octets(w, SF_DER_CTX(3), FIRMWARE_VERSION, sizeof(FIRMWARE_VERSION));
	sf_der_write_octets(w, SF_DER_CTX(2), SVN, sizeof(SVN));
	sf_der_write_octets(w, SF_DER_CTX(1), PROFILE_VERSION, sizeof(PROFILE_VERSION));
	return sf_der_write_wrap(w, m, 0xBF22);
}

int sf__isdr_get_info2(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                       struct sf_der_writer *w)
{
	int rc;
	if ((rc = sf__isdr_req_end(val, val + len)) != 0)
		return rc;
	return write_info2(isdr, w);
}

int sf_isdr_euicc_info2(struct sf_isdr *isdr, uint8_t *dst, size_t cap, size_t *out_len)
{
	struct sf_der_writer w;
	int rc;

	if (isdr == NULL || isdr->ops == NULL || out_len == NULL)
		return SF_EINVAL;
	sf_der_writer_init(&w, dst, cap);
	if ((rc = write_info2(isdr, &w)) != 0 && rc != SF_EBUFSIZE)
		return rc;
	return sf_der_writer_finish(&w, out_len);
}

/* ---- GetEUICCChallenge ---- */

/* GetEuiccChallengeRequest ::= [46] SEQUENCE {}
 * GetEuiccChallengeResponse ::= [46] SEQUENCE { euiccChallenge Octet16 }  -> 80
 * The challenge is kept for AuthenticateServer (RSP security work), which
 * checks that serverSigned1 echoes it.  A new request replaces it. */
int sf__isdr_get_challenge(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                           struct sf_der_writer *w)
{
	uint8_t c[16];
	int rc;

	if ((rc = sf__isdr_req_end(val, val + len)) != 0)
		return rc;
	if (isdr->ops->random == NULL)
		return SF_ENOTSUP;
	isdr->have_challenge = 0;
	if ((rc = isdr->ops->random(isdr->user, c, sizeof(c))) != 0)
		return rc < 0 ? rc : SF_ERNG;
	memcpy(isdr->challenge, c, sizeof(c));
	isdr->have_challenge = 1;

	size_t m = sf_der_writer_mark(w);
	sf_der_write_octets(w, SF_DER_CTX(0), c, sizeof(c));
	return sf_der_write_wrap(w, m, 0xBF2E);
}

/* ---- notifications ---- */

/* NotificationMetadata ::= [47] SEQUENCE {                              BF2F
 *   seqNumber [0] INTEGER,                                                80
 *   profileManagementOperation [1] NotificationEvent, -- one bit set      81
 *   notificationAddress UTF8String,                                       0C
 *   iccid Iccid OPTIONAL }                                                5A */
static int write_metadata(struct sf_der_writer *w, struct sf_notification *n)
{
	uint8_t bcd[10];
	int rc;

	n->address[sizeof(n->address) - 1] = '\0';
	n->iccid[sizeof(n->iccid) - 1] = '\0';
	if (n->event > SF_NOTIF_DELETE)
		return SF_EES10_HOST;
	size_t m = sf_der_writer_mark(w);
	if (n->iccid[0] != '\0') {
		if ((rc = sf__isdr_iccid_to_bcd(n->iccid, bcd)) != 0)
			return rc;
		sf_der_write_octets(w, 0x5A, bcd, sizeof(bcd));
	}
	sf__isdr_write_utf8(w, SF_DER_UTF8_STRING, n->address);
	sf_der_write_named_bits(w, SF_DER_CTX(1), 1u << n->event);
	sf_der_write_uint64(w, SF_DER_CTX(0), n->seq);
	return sf_der_write_wrap(w, m, 0xBF2F);
}

/* The error alternative [1] INTEGER {undefinedError(127)} of the
 * ListNotification and RetrieveNotificationsList responses, written from
 * scratch over whatever was written. */
static int write_list_error(struct sf_der_writer *w, uint32_t tag)
{
	size_t m;
	sf_der_writer_init(w, w->buf, w->size);
	m = sf_der_writer_mark(w);
	sf_der_write_int64(w, SF_DER_CTX(1), SF_ES10_UNDEFINED);
	return sf_der_write_wrap(w, m, tag);
}

/* ListNotificationRequest ::= [40] SEQUENCE {
 *   profileManagementOperation [1] NotificationEvent OPTIONAL }           81
 * ListNotificationResponse ::= [40] CHOICE {
 *   notificationMetadataList SEQUENCE OF NotificationMetadata,            A0
 *   listNotificationsResultError INTEGER {undefinedError(127)} }          81
 * With the filter, only notifications whose event is one of its bits. */
int sf__isdr_list_notification(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                               struct sf_der_writer *w)
{
	const uint8_t *p = val, *end = val + len;
	uint32_t filter = 0xFFFFFFFFu, tag;
	int rc;

	if (sf_der_peek_tag(p, end, &tag) == 0 && tag == SF_DER_CTX(1) &&
	    sf__isdr_get_bits(&p, end, SF_DER_CTX(1), &filter) != 0)
		return SF_EES10_REQUEST;
	if ((rc = sf__isdr_req_end(p, end)) != 0)
		return rc;

	size_t count =
	    isdr->ops->notification_count ? isdr->ops->notification_count(isdr->user) : 0;
	size_t m = sf_der_writer_mark(w);
	for (size_t i = count; i-- > 0;) {
		struct sf_notification n;
		memset(&n, 0, sizeof(n));
		rc = isdr->ops->notification_get ? isdr->ops->notification_get(isdr->user, i, &n)
		                                 : SF_ENOTSUP;
		if (rc == 0 && n.event <= SF_NOTIF_DELETE && !(filter & (1u << n.event)))
			continue;
		if (rc == 0)
			rc = write_metadata(w, &n);
		if (rc != 0 && rc != SF_EBUFSIZE) {
			sf_log(SF_LOG_WARN, "isdr", "ListNotification: notification %zu: %s", i,
			       sf_strerror(rc));
			return write_list_error(w, 0xBF28);
		}
	}
	sf_der_write_wrap(w, m, SF_DER_CTX_C(0));
	if ((rc = sf_der_write_wrap(w, m, 0xBF28)) != 0) {
		sf_log(SF_LOG_WARN, "isdr", "ListNotification: response not encodable: %s",
		       sf_strerror(rc));
		return write_list_error(w, 0xBF28);
	}
	return 0;
}

/* RetrieveNotificationsListRequest ::= [43] SEQUENCE {
 *   searchCriteria CHOICE { seqNumber [0] INTEGER,                   A0 { 80
 *     profileManagementOperation [1] NotificationEvent } OPTIONAL }       | 81 }
 * RetrieveNotificationsListResponse ::= [43] CHOICE {
 *   notificationList SEQUENCE OF PendingNotification,                      A0
 *   notificationsListResultError INTEGER { undefinedError(127)} }         81
 *
 * Every PendingNotification is signed: a ProfileInstallationResult carries
 * euiccSignPIR, an OtherSignedNotification euiccNotificationSignature and the
 * eUICC and EUM certificates; the host keeps them as signed when they were
 * created (ops->notification_signed).  An unsigned variant exists in no
 * version of the module, so a pending notification the host cannot give
 * signed (an eUICC without RSP credentials) makes the answer the function's
 * own error, undefinedError(127): an empty list would tell the LPA that
 * nothing is pending, and it would never deliver the notifications.  When
 * none matches, the empty notificationList is the true answer. */
int sf__isdr_retrieve_notifications(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                                    struct sf_der_writer *w)
{
	const uint8_t *p = val, *end = val + len, *v;
	size_t vlen;
	int present, rc, by_seq = 0, by_event = 0;
	uint64_t seq = 0;
	uint32_t events = 0, tag;

	if (sf_der_get_optional(&p, end, SF_DER_CTX_C(0), &v, &vlen, &present) != 0)
		return SF_EES10_REQUEST;
	if (present) {
		const uint8_t *q = v, *qe = v + vlen;
		if (sf_der_peek_tag(q, qe, &tag) != 0)
			return SF_EES10_REQUEST;
		if (tag == SF_DER_CTX(0)) {
			/* A seqNumber that does not fit 32 bits matches nothing. */
			int64_t s;
			if (sf_der_get_int64(&q, qe, SF_DER_CTX(0), &s) == 0) {
				seq = s < 0 ? UINT64_MAX : (uint64_t)s;
			} else {
				const uint8_t *raw;
				size_t rlen;
				if (sf_der_get_int_raw(&q, qe, SF_DER_CTX(0), &raw, &rlen) != 0)
					return SF_EES10_REQUEST;
				seq = UINT64_MAX;
			}
			by_seq = 1;
		} else if (tag == SF_DER_CTX(1)) {
			if (sf__isdr_get_bits(&q, qe, SF_DER_CTX(1), &events) != 0)
				return SF_EES10_REQUEST;
			by_event = 1;
		} else {
			return SF_EES10_REQUEST;
		}
		if (sf_der_check_end(q, qe) != 0)
			return SF_EES10_REQUEST;
	}
	if ((rc = sf__isdr_req_end(p, end)) != 0)
		return rc;

	size_t count =
	    isdr->ops->notification_count ? isdr->ops->notification_count(isdr->user) : 0;
	if (count > SF_ISDR_MAX_NOTIFICATIONS)
		count = SF_ISDR_MAX_NOTIFICATIONS;
	size_t matching = 0, sizes[SF_ISDR_MAX_NOTIFICATIONS], idx[SF_ISDR_MAX_NOTIFICATIONS];
	for (size_t i = 0; i < count; i++) {
		struct sf_notification n;
		memset(&n, 0, sizeof(n));
		rc = isdr->ops->notification_get ? isdr->ops->notification_get(isdr->user, i, &n)
		                                 : SF_ENOTSUP;
		if (rc != 0)
			return write_list_error(w, 0xBF2B);
		if (by_seq && n.seq != seq)
			continue;
		if (by_event && (n.event > 31 || !(events & (1u << n.event))))
			continue;
		/* The size of its signed form (a sizing call). */
		rc = isdr->ops->notification_signed
		         ? isdr->ops->notification_signed(isdr->user, i, NULL, 0, &sizes[matching])
		         : SF_ENOTSUP;
		if (rc != SF_EBUFSIZE) {
			sf_log(SF_LOG_INFO, "isdr",
			       "RetrieveNotificationsList: notification %u is not signed (%s): "
			       "undefinedError",
			       (unsigned)n.seq, sf_strerror(rc));
			return write_list_error(w, 0xBF2B);
		}
		idx[matching++] = i;
	}
	/* As many as the response holds, oldest first; the LPA removes what it
	 * delivered and asks again for the rest. */
	size_t room = w->size > 16 ? w->size - 16 : 0, used = 0, k = 0;
	while (k < matching && sizes[k] <= room - used) {
		used += sizes[k];
		k++;
	}
	size_t m = sf_der_writer_mark(w);
	while (k-- > 0) { /* last first: the writer works backwards */
		size_t n = 0, free_len = w->size - w->len;
		/* The host writes at the start of the free space; the element then
		 * moves to just before what the writer holds. */
		rc = isdr->ops->notification_signed(isdr->user, idx[k], w->buf, free_len, &n);
		if (rc != 0 || n != sizes[k] || n > free_len)
			return write_list_error(w, 0xBF2B);
		memmove(w->buf + free_len - n, w->buf, n);
		w->len += n;
	}
	sf_der_write_wrap(w, m, SF_DER_CTX_C(0));
	return sf_der_write_wrap(w, m, 0xBF2B);
}

/* NotificationSentRequest ::= [48] SEQUENCE { seqNumber [0] INTEGER }     80
 * NotificationSentResponse ::= [48] SEQUENCE { deleteNotificationStatus
 *   INTEGER {ok(0), nothingToDelete(1), undefinedError(127)} }
 * A seqNumber outside 0..2^32-1 names no notification: nothingToDelete
 * without asking the host. */
int sf__isdr_remove_notification(struct sf_isdr *isdr, const uint8_t *val, size_t len,
                                 struct sf_der_writer *w)
{
	const uint8_t *p = val, *end = val + len, *raw;
	size_t rlen;
	int64_t seq;
	int rc, fits;

	rc = sf_der_get_int64(&p, end, SF_DER_CTX(0), &seq);
	fits = rc == 0 && seq >= 0 && seq <= (int64_t)UINT32_MAX;
	if (rc == SF_EDER_RANGE) /* a valid INTEGER, just big */
		rc = sf_der_get_int_raw(&p, end, SF_DER_CTX(0), &raw, &rlen);
	if (rc != 0)
		return SF_EES10_REQUEST;
	if ((rc = sf__isdr_req_end(p, end)) != 0)
		return rc;

	long result = SF_ES10_NOTHING_TO_DELETE;
	if (fits)
		result =
		    sf__isdr_result(isdr->ops->notification_remove
		                        ? isdr->ops->notification_remove(isdr->user, (uint32_t)seq)
		                        : SF_ENOTSUP);
	return sf__isdr_write_result(w, 0xBF30, result);
}

/* ---- GetRAT ---- */

/* GetRatRequest ::= [67] SEQUENCE {}
 * GetRatResponse ::= [67] SEQUENCE { rat RulesAuthorisationTable }        A0
 * No Profile Policy Rules are enforced yet, so the table is empty: no
 * profile carrying PPRs is authorised, which is what this eUICC can keep. */
int sf__isdr_get_rat(struct sf_isdr *isdr, const uint8_t *val, size_t len, struct sf_der_writer *w)
{
	int rc;
	(void)isdr;
	if ((rc = sf__isdr_req_end(val, val + len)) != 0)
		return rc;
	size_t m = sf_der_writer_mark(w);
	sf_der_write_wrap(w, m, SF_DER_CTX_C(0));
	return sf_der_write_wrap(w, m, 0xBF43);
}
