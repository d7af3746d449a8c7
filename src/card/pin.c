/*
 * PINs, retry counters and access-condition evaluation.
 *
 *   ETSI TS 102 221 §9.4     key references: 01..08 PIN Appl, 0A..0E ADM1..5,
 *                            11 universal PIN, 81..88 second PIN Appl, 8A..8E ADM6..10
 *   ETSI TS 102 221 §9.5     PIN status; §9.5.1 (PS_DO in the FCP, see fs_cmd.c)
 *   ETSI TS 102 221 §11.1.9  VERIFY PIN, §11.1.10 CHANGE PIN, §11.1.11 DISABLE PIN,
 *                            §11.1.12 ENABLE PIN, §11.1.13 UNBLOCK PIN
 *   ETSI TS 102 221 §9.2.7 / §11.1.1.4.7.3  security attributes, referenced
 *                            format: EF_ARR file ID + record number
 *   ISO/IEC 7816-4 §9.3.3    expanded format: AM_DO (80 access mode byte, 84
 *                            INS) followed by SC_DOs (90 always, 97 never,
 *                            A4 CRT with 83 key reference [+ 95 usage
 *                            qualifier 08: user verification], A0 OR template,
 *                            AF AND template); several SC_DOs after one AM_DO
 *                            mean OR.
 *
 * Verification state: one flag per key reference per card, in struct sf_fs
 * (RAM), cleared by sf_fs_reset().  TS 102 221 §9.5 ties a PIN's
 * verification to the application sessions on which its application is
 * active; with one application per profile, per-card is the same thing,
 * except that a verification made on one logical channel also counts on
 * another channel that has not selected the application.  Documented in
 * docs/uicc-fs.md.
 *
 * Retry counters: on a comparison the counter is decremented BEFORE the
 * comparison is made and restored only after a match, so a power cut
 * between the two can only cost a try, never give one back (the owner
 * persists struct sf_pins when sf_fs_take_dirty() says so, before the
 * response leaves -- the same rule as for the SQN).  The comparison is
 * constant time (sf_ct_eq) over the 8 padded octets.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fs_internal.h"
#include "simfleet/err.h"
#include "simfleet/util.h"

static int is_adm(uint8_t ref)
{
	uint8_t r = ref & 0x7F;
	return r >= 0x0A && r <= 0x0E;
}

void sf_pins_init(struct sf_pins *p)
{
	if (p == NULL)
		return;
	memset(p, 0, sizeof(*p));
	p->version = SF_PINS_VERSION;
}

void sf_pins_free(struct sf_pins *p)
{
	if (p != NULL)
		sf_wipe(p, sizeof(*p));
}

int sf__fs_pin_slot(const struct sf_pins *pins, uint8_t ref)
{
	if (ref == 0)
		return -1;
	for (int i = 0; i < SF_PINS_MAX; i++)
		if (pins->pin[i].ref == ref)
			return i;
	return -1;
}

static void pad(uint8_t dst[SF_PIN_LEN], const uint8_t *v, size_t len)
{
	memset(dst, 0xFF, SF_PIN_LEN);
	memcpy(dst, v, len);
}

int sf_pin_set(struct sf_pins *p, uint8_t ref, const uint8_t *value, size_t len, uint8_t max,
	       unsigned flags)
{
	if (p == NULL || value == NULL || ref == 0 || len == 0 || len > SF_PIN_LEN || max == 0 ||
	    max > 15 || (flags & ~(unsigned)(SF_PIN_ENABLED | SF_PIN_NO_DISABLE)))
		return SF_EINVAL;
	int i = sf__fs_pin_slot(p, ref);
	if (i < 0) {
		for (i = 0; i < SF_PINS_MAX && p->pin[i].ref != 0; i++)
			;
		if (i == SF_PINS_MAX)
			return SF_ERANGE;
		memset(&p->pin[i], 0, sizeof(p->pin[i]));
	}
	struct sf_pin *k = &p->pin[i];
	if (is_adm(ref))
		flags |= SF_PIN_ENABLED | SF_PIN_NO_DISABLE;
	k->ref = ref;
	k->flags = (uint8_t)((k->flags & SF_PIN_HAS_PUK) | flags);
	k->max = k->left = max;
	pad(k->value, value, len);
	return 0;
}

int sf_pin_set_puk(struct sf_pins *p, uint8_t ref, const uint8_t *puk, size_t len, uint8_t max)
{
	if (p == NULL || puk == NULL || len == 0 || len > SF_PIN_LEN || max == 0 || max > 15)
		return SF_EINVAL;
	int i = sf__fs_pin_slot(p, ref);
	if (i < 0)
		return SF_ENOENT;
	struct sf_pin *k = &p->pin[i];
	k->flags |= SF_PIN_HAS_PUK;
	k->puk_max = k->puk_left = max;
	pad(k->puk, puk, len);
	return 0;
}

int sf_pin_status(const struct sf_pins *p, uint8_t ref, struct sf_pin_status *out)
{
	if (p == NULL || out == NULL)
		return SF_EINVAL;
	int i = sf__fs_pin_slot(p, ref);
	if (i < 0)
		return SF_ENOENT;
	const struct sf_pin *k = &p->pin[i];
	memset(out, 0, sizeof(*out));
	out->enabled = (k->flags & SF_PIN_ENABLED) != 0;
	out->left = k->left;
	out->max = k->max;
	out->has_puk = (k->flags & SF_PIN_HAS_PUK) != 0;
	if (out->has_puk) {
		out->puk_left = k->puk_left;
		out->puk_max = k->puk_max;
	}
	return 0;
}

int sf_fs_key_satisfied(const struct sf_fs *fs, const struct sf_pins *pins, uint8_t ref)
{
	if (fs == NULL || pins == NULL)
		return 0;
	int i = sf__fs_pin_slot(pins, ref);
	if (i < 0)
		return 0;
	/* A disabled PIN is no condition (TS 102 221 §9.5.1); a blocked,
	 * enabled one is never satisfied. */
	if (!(pins->pin[i].flags & SF_PIN_ENABLED))
		return 1;
	return (fs->verified >> i) & 1u;
}

/* ---- PIN commands (status words; data already length-checked) ---- */

/* Compares against the 8-octet secret with the counter rule described at
 * the top.  Returns 1 on a match. */
static int try_secret(struct sf_fs *fs, uint8_t *left, uint8_t max, const uint8_t *secret,
		      const uint8_t *given)
{
	(*left)--;
	fs->dirty |= SF_FS_DIRTY_PINS;
	int ok = sf_ct_eq(secret, given, SF_PIN_LEN);
	if (ok)
		*left = max;
	return ok;
}

/* Does a new PIN value have the TS 102 221 §9.5 form?  The value is coded
 * in digits '0'..'9' (30..39) padded with FF, 4..8 digits; ADM values are
 * any 8 octets. */
static int pin_format_ok(uint8_t ref, const uint8_t *v)
{
	if (is_adm(ref))
		return 1;
	size_t n = 0;
	while (n < SF_PIN_LEN && v[n] >= 0x30 && v[n] <= 0x39)
		n++;
	for (size_t i = n; i < SF_PIN_LEN; i++)
		if (v[i] != 0xFF)
			return 0;
	return n >= 4;
}

uint16_t sf__fs_pin_verify(struct sf_fs *fs, struct sf_pins *pins, int i, const uint8_t *data)
{
	struct sf_pin *k = &pins->pin[i];
	if (data == NULL) {
		/* §11.1.9: no data: the retry counter, or 90 00 when no
		 * verification is needed (verified or disabled). */
		if (k->left == 0)
			return SF_SW_AUTH_BLOCKED;
		if (!(k->flags & SF_PIN_ENABLED) || ((fs->verified >> i) & 1u))
			return SF_SW_OK;
		return SF_SW_VERIFY_FAIL(k->left);
	}
	if (k->left == 0)
		return SF_SW_AUTH_BLOCKED;
	/* [U] a VERIFY of a disabled PIN: 69 84 "referenced data invalidated"
	 * (the value is not compared, no try is used). */
	if (!(k->flags & SF_PIN_ENABLED))
		return SF_SW_REF_DATA_INVALIDATED;
	if (!try_secret(fs, &k->left, k->max, k->value, data)) {
		fs->verified &= ~(1u << i);
		return SF_SW_VERIFY_FAIL(k->left);
	}
	fs->verified |= 1u << i;
	return SF_SW_OK;
}

uint16_t sf__fs_pin_change(struct sf_fs *fs, struct sf_pins *pins, int i, const uint8_t *data)
{
	struct sf_pin *k = &pins->pin[i];
	if (k->left == 0)
		return SF_SW_AUTH_BLOCKED;
	if (!(k->flags & SF_PIN_ENABLED))
		return SF_SW_REF_DATA_INVALIDATED; /* [U] as for VERIFY */
	if (!pin_format_ok(k->ref, data + SF_PIN_LEN))
		return SF_SW_WRONG_DATA;
	if (!try_secret(fs, &k->left, k->max, k->value, data)) {
		fs->verified &= ~(1u << i);
		return SF_SW_VERIFY_FAIL(k->left);
	}
	memcpy(k->value, data + SF_PIN_LEN, SF_PIN_LEN);
	fs->verified |= 1u << i;
	return SF_SW_OK;
}

static uint16_t set_enabled(struct sf_fs *fs, struct sf_pins *pins, int i, const uint8_t *data,
			    int enable)
{
	struct sf_pin *k = &pins->pin[i];
	if (k->left == 0)
		return SF_SW_AUTH_BLOCKED;
	if (!enable && (k->flags & SF_PIN_NO_DISABLE))
		return SF_SW_CONDITIONS_NOT_SATISFIED;
	if (((k->flags & SF_PIN_ENABLED) != 0) == enable)
		return SF_SW_CONDITIONS_NOT_SATISFIED; /* already in that state [U] */
	if (!try_secret(fs, &k->left, k->max, k->value, data)) {
		fs->verified &= ~(1u << i);
		return SF_SW_VERIFY_FAIL(k->left);
	}
	if (enable)
		k->flags |= SF_PIN_ENABLED;
	else
		k->flags &= (uint8_t)~SF_PIN_ENABLED;
	fs->verified |= 1u << i;
	return SF_SW_OK;
}

uint16_t sf__fs_pin_disable(struct sf_fs *fs, struct sf_pins *pins, int i, const uint8_t *data)
{
	return set_enabled(fs, pins, i, data, 0);
}

uint16_t sf__fs_pin_enable(struct sf_fs *fs, struct sf_pins *pins, int i, const uint8_t *data)
{
	return set_enabled(fs, pins, i, data, 1);
}

uint16_t sf__fs_pin_unblock(struct sf_fs *fs, struct sf_pins *pins, int i, const uint8_t *data)
{
	struct sf_pin *k = &pins->pin[i];
	if (!(k->flags & SF_PIN_HAS_PUK))
		return SF_SW_REF_DATA_NOT_FOUND;
	if (data == NULL) /* §11.1.13: no data: the unblock counter */
		return k->puk_left == 0 ? SF_SW_AUTH_BLOCKED : SF_SW_VERIFY_FAIL(k->puk_left);
	if (k->puk_left == 0)
		return SF_SW_AUTH_BLOCKED;
	if (!pin_format_ok(k->ref, data + SF_PIN_LEN))
		return SF_SW_WRONG_DATA;
	if (!try_secret(fs, &k->puk_left, k->puk_max, k->puk, data))
		return SF_SW_VERIFY_FAIL(k->puk_left);
	/* New PIN, counter reset, verified.  [U] the enabled/disabled state is
	 * kept as it was. */
	memcpy(k->value, data + SF_PIN_LEN, SF_PIN_LEN);
	k->left = k->max;
	fs->verified |= 1u << i;
	return SF_SW_OK;
}

/* ---- access conditions from EF_ARR ---- */

/* One BER-TLV with a 1-octet tag and a 1- or 2-octet length (81 xx).
 * Returns 0 and advances *p, or -1 (malformed: the rule then denies). */
static int tlv(const uint8_t **p, const uint8_t *end, uint8_t *tag, const uint8_t **v,
	       size_t *len)
{
	const uint8_t *q = *p;
	if (end - q < 2)
		return -1;
	*tag = *q++;
	size_t l = *q++;
	if (l == 0x81) {
		if (q == end)
			return -1;
		l = *q++;
	} else if (l > 0x7F) {
		return -1;
	}
	if ((size_t)(end - q) < l)
		return -1;
	*v = q;
	*len = l;
	*p = q + l;
	return 0;
}

/* Evaluates one SC_DO.  depth bounds A0/AF nesting. */
static int sc_do(const struct sf_fs *fs, const struct sf_pins *pins, uint8_t tag,
		 const uint8_t *v, size_t len, int depth)
{
	switch (tag) {
	case 0x90: /* always */
		return 1;
	case 0x97: /* never */
		return 0;
	case 0xA4: { /* CRT authentication: 83 key reference, 95 usage qualifier */
		const uint8_t *p = v, *end = v + len, *x;
		size_t xl;
		uint8_t t;
		int key = -1;
		while (p < end) {
			if (tlv(&p, end, &t, &x, &xl) != 0)
				return 0;
			if (t == 0x83 && xl == 1)
				key = x[0];
			/* 95 usage qualifier: 08 = user verification; we
			 * evaluate every key reference as a PIN. */
		}
		return key >= 0 && sf_fs_key_satisfied(fs, pins, (uint8_t)key);
	}
	case 0xA0:   /* OR template */
	case 0xAF: { /* AND template */
		if (depth > 3)
			return 0;
		const uint8_t *p = v, *end = v + len, *x;
		size_t xl;
		uint8_t t;
		int any = 0, all = 1, n = 0;
		while (p < end) {
			if (tlv(&p, end, &t, &x, &xl) != 0)
				return 0;
			int r = sc_do(fs, pins, t, x, xl, depth + 1);
			any |= r;
			all &= r;
			n++;
		}
		if (n == 0)
			return 0;
		return tag == 0xA0 ? any : all;
	}
	default: /* SM, external authentication, ...: not available here */
		return 0;
	}
}

/* Does AM_DO (tag, v) cover access mode am / instruction ins?  80: the
 * access mode byte (b8 = 0: bits b7..b1 are the modes); 84: a list of INS. */
static int am_matches(uint8_t tag, const uint8_t *v, size_t len, uint8_t am, uint8_t ins)
{
	if (tag == 0x80)
		return len == 1 && !(v[0] & 0x80) && (v[0] & am) != 0;
	if (tag == 0x84) {
		for (size_t i = 0; i < len; i++)
			if (v[i] == ins)
				return 1;
	}
	return 0;
}

/* Evaluates a security rule (an EF_ARR record, padded with FF).  The first
 * AM_DO that covers the access decides: allowed if any of its SC_DOs holds.
 * A mode no AM_DO covers is never allowed. */
static int rule_allows(const struct sf_fs *fs, const struct sf_pins *pins, const uint8_t *rule,
		       size_t len, uint8_t am, uint8_t ins)
{
	const uint8_t *p = rule, *end = rule + len, *v;
	size_t vl;
	uint8_t tag;
	int in_group = 0, result = 0;
	while (p < end && *p != 0xFF && *p != 0x00) {
		if (tlv(&p, end, &tag, &v, &vl) != 0)
			return 0;
		if ((tag & 0xF0) == 0x80) { /* AM_DO 80..8F */
			if (in_group)
				return result; /* the matching group has ended */
			in_group = am_matches(tag, v, vl, am, ins);
			continue;
		}
		if (in_group)
			result |= sc_do(fs, pins, tag, v, vl, 0);
	}
	return in_group ? result : 0;
}

/* The EF_ARR for file f: searched in the DF that contains f (for a DF, the
 * DF itself), then in each parent up to the MF [U: TS 102 221 §9.2.7
 * names the current DF, its parent and the MF; ADFs: the ADF, then the MF]. */
static uint32_t find_arr(const struct sf_fs *fs, uint32_t f, uint16_t arr_fid)
{
	uint32_t df = sf__fs_is_df(FS_F8(fs, f, R_TYPE)) ? f : FS_F32(fs, f, R_PARENT);
	for (; df != 0; df = FS_F32(fs, df, R_PARENT)) {
		uint32_t arr = sf__fs_child(fs, df, arr_fid, 0);
		if (arr != 0 && FS_F8(fs, arr, R_TYPE) == SF_FS_EF_LINEAR_FIXED)
			return arr;
	}
	return 0;
}

int sf__fs_access(const struct sf_fs *fs, const struct sf_pins *pins, uint32_t f, uint8_t am,
		  uint8_t ins)
{
	if (FS_F8(fs, f, R_SECKIND) == 0)
		return 1; /* no security attributes: see struct sf_fs_attr */
	uint32_t arr = find_arr(fs, f, (uint16_t)FS_F16(fs, f, R_ARRFID));
	unsigned rec = FS_F8(fs, f, R_ARRREC);
	if (arr == 0 || rec == 0 || rec > FS_F8(fs, arr, R_NREC))
		return 0; /* a dangling reference denies */
	const uint8_t *rule = sf__fs_body(fs, arr) + sf__fs_rec_off(fs, arr, rec);
	return rule_allows(fs, pins, rule, FS_F16(fs, arr, R_RECLEN), am, ins);
}
