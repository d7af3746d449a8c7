/*
 * The file system's APDU commands.
 *
 *   ETSI TS 102 221 §8.4.1      what SELECT by FID may reach from the current DF
 *   ETSI TS 102 221 §8.4.2      SFI addressing (READ/UPDATE BINARY P1, RECORD P2)
 *   ETSI TS 102 221 §10.1.1     class bytes per command (0X: SELECT, BINARY, RECORD,
 *                               PIN; 8X: STATUS, TERMINAL PROFILE/CAPABILITY)
 *   ETSI TS 102 221 §10.2.1     status words
 *   ETSI TS 102 221 §11.1.1     SELECT; §11.1.1.3 FCP template, §11.1.1.4 its DOs
 *   ETSI TS 102 221 §11.1.2     STATUS
 *   ETSI TS 102 221 §11.1.3/4   READ BINARY / UPDATE BINARY
 *   ETSI TS 102 221 §11.1.5/6   READ RECORD / UPDATE RECORD
 *   ETSI TS 102 221 §11.1.7     SEARCH RECORD (simple search)
 *   ETSI TS 102 221 §11.1.9-13  VERIFY / CHANGE / DISABLE / ENABLE / UNBLOCK PIN
 *   ETSI TS 102 221 §11.1.14/15 DEACTIVATE FILE / ACTIVATE FILE
 *   ETSI TS 102 221 §11.1.19    TERMINAL CAPABILITY; §11.2.1 TERMINAL PROFILE
 *   ETSI TS 102 221 §11.1.17    MANAGE CHANNEL (what a new channel inherits)
 *
 * Order of checks, the same for every command, so a malformed command never
 * reaches the file: class (6E 00), Lc/Le presence and length (67 00),
 * P1-P2 form (6A 86), then the file: none selected (69 86) or not found
 * (6A 82), structure (69 81), life cycle (69 85), security (69 82), then
 * offsets and record numbers (6B 00, 6A 83).  Only the last step writes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fs_internal.h"
#include "simfleet/err.h"

/* Per-logical-channel state in the card's channel area.  All zero (a fresh
 * channel, a reset) means: the MF is current, no application, no EF. */
struct chan {
	uint32_t df, adf, ef;
	uint16_t rec;
	uint16_t rfu;
};
_Static_assert(sizeof(struct chan) <= SF_CARD_CHAN_STATE_SIZE, "channel state too large");

/* The channel's state, checked against the arena: a handle left over from
 * another arena (the owner swapped profiles without a reset) falls back to
 * the MF rather than pointing into the middle of a record. */
static struct chan *get_chan(const struct sf_fs *fs, struct sf_card *card, unsigned ch)
{
	struct chan *st = sf_card_chan_state(card, ch);
	if (st == NULL)
		return NULL;
	uint32_t mf = sf__fs_first(fs);
	int ok = st->df != 0 && sf__fs_valid(fs, st->df) && sf__fs_is_df(FS_F8(fs, st->df, R_TYPE));
	if (ok && st->adf != 0)
		ok = sf__fs_valid(fs, st->adf) && FS_F8(fs, st->adf, R_TYPE) == SF_FS_ADF;
	if (ok && st->ef != 0)
		ok = sf__fs_valid(fs, st->ef) && FS_F32(fs, st->ef, R_PARENT) == st->df &&
		     !sf__fs_is_df(FS_F8(fs, st->ef, R_TYPE));
	if (!ok) {
		memset(st, 0, sizeof(*st));
		st->df = mf;
	}
	if (st->ef == 0 || st->rec > FS_F8(fs, st->ef, R_NREC))
		st->rec = 0;
	return st;
}

static int lcsi_usable(uint8_t lcsi)
{
	return !(lcsi == 0x04 || lcsi == 0x06 || lcsi >= 0x0C);
}

/* Life cycle, then security, of file f for access mode am. */
static uint16_t check_use(const struct sf_fs *fs, const struct sf_pins *pins, uint32_t f,
			  uint8_t am, uint8_t ins)
{
	if (!lcsi_usable(FS_F8(fs, f, R_LCSI)))
		return SF_SW_CONDITIONS_NOT_SATISFIED;
	if (!sf__fs_access(fs, pins, f, am, ins))
		return SF_SW_SECURITY_NOT_SATISFIED;
	return 0;
}

/* ---- FCP template (§11.1.1.3) ---- */

struct out {
	uint8_t *p;
	size_t cap, n;
};

static void put(struct out *o, const uint8_t *src, size_t len)
{
	if (o->n + len <= o->cap)
		memcpy(o->p + o->n, src, len);
	o->n += len;
}

static void put_tlv(struct out *o, uint8_t tag, const uint8_t *v, size_t len)
{
	uint8_t h[2] = {tag, (uint8_t)len}; /* every DO here is shorter than 128 */
	put(o, h, 2);
	put(o, v, len);
}

/* §9.5.1 PIN status template DO: 90 PS_DO (bit i, from b8 of the first
 * octet, set when the i-th key reference below is enabled), then 83 key
 * reference for each PIN.  Every configured PIN is listed for every DF
 * [U: a real card lists only the DF's own keys]. */
static void put_psdo(struct out *o, const struct sf_pins *pins)
{
	uint8_t body[2 + 2 + 3 * SF_PINS_MAX], ps[2] = {0, 0};
	size_t n = 0, k = 0;
	for (int i = 0; i < SF_PINS_MAX; i++) {
		if (pins->pin[i].ref == 0)
			continue;
		if (pins->pin[i].flags & SF_PIN_ENABLED)
			ps[k / 8] |= (uint8_t)(0x80u >> (k % 8));
		k++;
	}
	size_t pslen = k > 8 ? 2 : 1;
	body[n++] = 0x90;
	body[n++] = (uint8_t)pslen;
	memcpy(body + n, ps, pslen);
	n += pslen;
	for (int i = 0; i < SF_PINS_MAX; i++) {
		if (pins->pin[i].ref == 0)
			continue;
		body[n++] = 0x83;
		body[n++] = 1;
		body[n++] = pins->pin[i].ref;
	}
	put_tlv(o, 0xC6, body, n);
}

static void put_size(struct out *o, uint8_t tag, uint32_t size)
{
	uint8_t v[4] = {(uint8_t)(size >> 24), (uint8_t)(size >> 16), (uint8_t)(size >> 8),
			(uint8_t)size};
	if (size <= 0xFFFF)
		put_tlv(o, tag, v + 2, 2);
	else
		put_tlv(o, tag, v, 4);
}

/* Writes 62 L {...} for file f to rsp; 0 or SF_EINTERNAL. */
static int build_fcp(const struct sf_fs *fs, const struct sf_pins *pins, uint32_t f,
		     struct sf_rapdu *rsp)
{
	uint8_t tmp[160];
	struct out o = {tmp, sizeof(tmp), 0};
	unsigned type = FS_F8(fs, f, R_TYPE);
	uint8_t v[8];

	/* 82 file descriptor: FDB, data coding 21 [, record length (2), records] */
	switch (type) {
	case SF_FS_EF_TRANSPARENT:
		v[0] = 0x41; /* shareable, working EF, transparent */
		break;
	case SF_FS_EF_LINEAR_FIXED:
		v[0] = 0x42;
		break;
	case SF_FS_EF_CYCLIC:
		v[0] = 0x46;
		break;
	default:
		v[0] = 0x78; /* shareable DF/ADF */
	}
	v[1] = 0x21;
	if (sf__fs_is_rec(type)) {
		uint32_t rl = FS_F16(fs, f, R_RECLEN);
		v[2] = (uint8_t)(rl >> 8);
		v[3] = (uint8_t)rl;
		v[4] = FS_F8(fs, f, R_NREC);
		put_tlv(&o, 0x82, v, 5);
	} else {
		put_tlv(&o, 0x82, v, 2);
	}
	uint32_t fid = FS_F16(fs, f, R_FID);
	v[0] = (uint8_t)(fid >> 8);
	v[1] = (uint8_t)fid;
	put_tlv(&o, 0x83, v, 2);
	if (type == SF_FS_ADF)
		put_tlv(&o, 0x84, fs->mem + f + SF_FS_FILE_OVERHEAD, FS_F8(fs, f, R_AIDLEN));
	v[0] = FS_F8(fs, f, R_LCSI);
	put_tlv(&o, 0x8A, v, 1);
	if (FS_F8(fs, f, R_SECKIND) == 1) {
		uint32_t arr = FS_F16(fs, f, R_ARRFID);
		v[0] = (uint8_t)(arr >> 8);
		v[1] = (uint8_t)arr;
		v[2] = FS_F8(fs, f, R_ARRREC);
		put_tlv(&o, 0x8B, v, 3);
	}
	if (sf__fs_is_df(type)) {
		put_psdo(&o, pins);
		put_size(&o, 0x81, sf__fs_total_size(fs, f));
	} else {
		put_size(&o, 0x80, FS_F32(fs, f, R_SIZE));
		/* §11.1.1.4.8: an absent 88 means "SFI = 5 low bits of the
		 * FID"; an EF without SFI must say so with an empty 88. */
		uint8_t sfi = FS_F8(fs, f, R_SFI);
		v[0] = (uint8_t)(sfi << 3);
		put_tlv(&o, 0x88, v, sfi ? 1 : 0);
	}
	if (o.n > o.cap || o.n > 0x7F || o.n + 2 > rsp->cap)
		return SF_EINTERNAL;
	rsp->data[0] = 0x62;
	rsp->data[1] = (uint8_t)o.n;
	memcpy(rsp->data + 2, tmp, o.n);
	rsp->len = o.n + 2;
	return 0;
}

/* ---- SELECT (§11.1.1) ---- */

static uint32_t select_fid(const struct sf_fs *fs, const struct chan *st, uint16_t fid)
{
	uint32_t mf = sf__fs_first(fs), f;
	if (fid == 0x3F00)
		return mf;
	if (fid == 0x7FFF)
		return st->adf;
	/* §8.4.1: a child of the current DF (which covers the siblings of
	 * the current EF), the current DF, its parent, a DF sibling of it. */
	if ((f = sf__fs_child(fs, st->df, fid, 0)) != 0)
		return f;
	if (FS_F16(fs, st->df, R_FID) == fid)
		return st->df;
	uint32_t parent = FS_F32(fs, st->df, R_PARENT);
	if (parent == 0)
		return 0;
	if (FS_F16(fs, parent, R_FID) == fid)
		return parent;
	return sf__fs_child(fs, parent, fid, 1);
}

/* Path of FIDs (§11.1.1.2: P1 08 from the MF without 3F00, where a leading
 * 7FFF names the current ADF; P1 09 from the current DF). */
static uint32_t select_path(const struct sf_fs *fs, const struct chan *st, const uint8_t *path,
			    size_t len, int from_mf)
{
	uint32_t f = from_mf ? sf__fs_first(fs) : st->df;
	for (size_t i = 0; i < len; i += 2) {
		uint16_t fid = (uint16_t)((path[i] << 8) | path[i + 1]);
		if (i == 0 && from_mf && fid == 0x7FFF) {
			f = st->adf;
		} else {
			if (!sf__fs_is_df(FS_F8(fs, f, R_TYPE)))
				return 0;
			f = sf__fs_child(fs, f, fid, 0);
		}
		if (f == 0)
			return 0;
	}
	return f;
}

static void make_current(const struct sf_fs *fs, struct chan *st, uint32_t f)
{
	unsigned t = FS_F8(fs, f, R_TYPE);
	if (sf__fs_is_df(t)) {
		st->df = f;
		st->ef = 0;
		if (t == SF_FS_ADF)
			st->adf = f;
	} else {
		st->df = FS_F32(fs, f, R_PARENT);
		st->ef = f;
	}
	st->rec = 0;
}

static uint16_t lcsi_sw(uint8_t lcsi)
{
	if (lcsi == 0x04 || lcsi == 0x06)
		return SF_SW_WARN_INVALIDATED; /* 62 83 */
	if (lcsi >= 0x0C)
		return SF_SW_WARN_TERMINATED; /* 62 85 */
	return SF_SW_OK;
}

/* Resolves the file of SELECT (and of DEACTIVATE/ACTIVATE FILE with data)
 * for P1 00/01/03/08/09; *f = 0 when not found.  Returns 0 or a SW for a
 * malformed command. */
static uint16_t resolve(const struct sf_fs *fs, const struct chan *st, const struct sf_apdu *cmd,
			uint32_t *f)
{
	*f = 0;
	switch (cmd->p1) {
	case 0x00: /* by FID */
	case 0x01: /* child DF */
		if (cmd->nc != 2)
			return SF_SW_WRONG_LENGTH;
		if (cmd->p1 == 0)
			*f = select_fid(fs, st, (uint16_t)((cmd->data[0] << 8) | cmd->data[1]));
		else
			*f = sf__fs_child(fs, st->df, (uint16_t)((cmd->data[0] << 8) | cmd->data[1]),
					  1);
		return 0;
	case 0x03: /* parent DF */
		if (cmd->nc != 0)
			return SF_SW_WRONG_LENGTH;
		*f = FS_F32(fs, st->df, R_PARENT);
		return 0;
	case 0x08: /* path from the MF */
	case 0x09: /* path from the current DF */
		if (cmd->nc == 0 || (cmd->nc & 1))
			return SF_SW_WRONG_LENGTH;
		*f = select_path(fs, st, cmd->data, cmd->nc, cmd->p1 == 0x08);
		return 0;
	default:
		return SF_SW_INCORRECT_P1P2;
	}
}

/*
 * P2 (§11.1.1.2, Table 11.2):
 *   b4-b3  01 return FCP template (P2 04), 11 no data (P2 0C)
 *   b7     P1 04 only: 1 = termination of the application session
 *   b2-b1  P1 04 only: 00 first or only occurrence, 10 next occurrence
 *          (01 last and 11 previous are not supported: 6A 86)
 */
static int cmd_select(struct sf_fs *fs, const struct sf_pins *pins, struct chan *st,
		      const struct sf_apdu *cmd, struct sf_rapdu *rsp)
{
	uint8_t p2 = cmd->p2, resp = p2 & 0x0C, occ = p2 & 0x03;
	int terminate = (p2 & 0x40) != 0;
	if ((p2 & 0xB0) || (resp != 0x04 && resp != 0x0C) ||
	    (cmd->p1 != 0x04 && (occ || terminate)) || occ == 0x01 || occ == 0x03) {
		rsp->sw = SF_SW_INCORRECT_P1P2;
		return 0;
	}
	uint32_t f = 0;
	if (cmd->p1 == 0x04) {
		/* By DF name: the AID, in full or right-truncated (ISO/IEC
		 * 7816-4 §7.1.1 "partial DF name"). */
		if (cmd->nc == 0 || cmd->nc > SF_FS_AID_MAX) {
			rsp->sw = SF_SW_WRONG_LENGTH;
			return 0;
		}
		uint32_t after = 0;
		if (occ == 0x02 && st->adf != 0 &&
		    sf__fs_adf(fs, cmd->data, cmd->nc, 0) != 0 &&
		    FS_F8(fs, st->adf, R_AIDLEN) >= cmd->nc &&
		    memcmp(fs->mem + st->adf + SF_FS_FILE_OVERHEAD, cmd->data, cmd->nc) == 0)
			after = st->adf;
		f = sf__fs_adf(fs, cmd->data, cmd->nc, after);
		if (f == 0) {
			rsp->sw = SF_SW_FILE_NOT_FOUND;
			return 0;
		}
		if (terminate) {
			/* Ends the application session on this channel; the
			 * MF becomes current [U: TS 102 221 §11.1.1.2 leaves
			 * the current DF after termination open]. */
			if (f != st->adf) {
				rsp->sw = SF_SW_CONDITIONS_NOT_SATISFIED;
				return 0;
			}
			memset(st, 0, sizeof(*st));
			st->df = sf__fs_first(fs);
			rsp->sw = SF_SW_OK;
			return 0;
		}
	} else {
		uint16_t sw = resolve(fs, st, cmd, &f);
		if (sw != 0) {
			rsp->sw = sw;
			return 0;
		}
		if (f == 0) {
			rsp->sw = SF_SW_FILE_NOT_FOUND;
			return 0;
		}
	}
	if (resp == 0x04) {
		int rc = build_fcp(fs, pins, f, rsp);
		if (rc != 0)
			return rc;
	}
	make_current(fs, st, f);
	rsp->sw = lcsi_sw(FS_F8(fs, f, R_LCSI));
	return 0;
}

/* ---- STATUS (§11.1.2) ---- */

static int cmd_status(struct sf_fs *fs, const struct sf_pins *pins, struct chan *st,
		      const struct sf_apdu *cmd, struct sf_rapdu *rsp)
{
	if (cmd->nc != 0) {
		rsp->sw = SF_SW_WRONG_LENGTH;
		return 0;
	}
	/* P1: 00 no indication, 01 application initialised, 02 the terminal
	 * will end the application.  Nothing here depends on it. */
	if (cmd->p1 > 0x02 || (cmd->p2 != 0x00 && cmd->p2 != 0x01 && cmd->p2 != 0x0C)) {
		rsp->sw = SF_SW_INCORRECT_P1P2;
		return 0;
	}
	if (cmd->p2 == 0x00) {
		int rc = build_fcp(fs, pins, st->df, rsp);
		if (rc != 0)
			return rc;
	} else if (cmd->p2 == 0x01) {
		/* The DF name TLV of the current application [U: the SW when
		 * there is none]. */
		if (st->adf == 0) {
			rsp->sw = SF_SW_REF_DATA_NOT_FOUND;
			return 0;
		}
		size_t n = FS_F8(fs, st->adf, R_AIDLEN);
		rsp->data[0] = 0x84;
		rsp->data[1] = (uint8_t)n;
		memcpy(rsp->data + 2, fs->mem + st->adf + SF_FS_FILE_OVERHEAD, n);
		rsp->len = n + 2;
	}
	rsp->sw = SF_SW_OK;
	return 0;
}

/* ---- BINARY (§11.1.3, §11.1.4) ---- */

/* The EF addressed: an SFI (1..30) makes that EF of the current DF the
 * current EF (§8.4.2); 0 means the current EF. */
static uint16_t target_ef(const struct sf_fs *fs, struct chan *st, unsigned sfi, uint32_t *ef)
{
	if (sfi != 0) {
		uint32_t f = sf__fs_child_sfi(fs, st->df, (uint8_t)sfi);
		if (f == 0)
			return SF_SW_FILE_NOT_FOUND;
		st->ef = f;
		st->rec = 0;
	}
	if (st->ef == 0)
		return SF_SW_NO_EF_SELECTED;
	*ef = st->ef;
	return 0;
}

static int cmd_binary(struct sf_fs *fs, const struct sf_pins *pins, struct chan *st,
		      const struct sf_apdu *cmd, struct sf_rapdu *rsp)
{
	int update = cmd->ins == 0xD6;
	/* READ: case 2 (no data, Le); UPDATE: case 3 (data, no Le). */
	if (update ? (cmd->nc == 0 || cmd->ne != 0) : (cmd->nc != 0 || cmd->ne == 0)) {
		rsp->sw = SF_SW_WRONG_LENGTH;
		return 0;
	}
	/* P1 b8 = 1: b7-b6 = 00, b5-b1 SFI, P2 offset 0..255; else P1-P2 is
	 * a 15-bit offset. */
	unsigned sfi = 0;
	uint32_t offset;
	if (cmd->p1 & 0x80) {
		sfi = cmd->p1 & 0x1F;
		if ((cmd->p1 & 0x60) || sfi == 0 || sfi == 31) {
			rsp->sw = SF_SW_INCORRECT_P1P2;
			return 0;
		}
		offset = cmd->p2;
	} else {
		offset = ((uint32_t)cmd->p1 << 8) | cmd->p2;
	}
	uint32_t ef;
	uint16_t sw = target_ef(fs, st, sfi, &ef);
	if (sw == 0 && FS_F8(fs, ef, R_TYPE) != SF_FS_EF_TRANSPARENT)
		sw = SF_SW_INCOMPATIBLE_FILE;
	if (sw == 0)
		sw = check_use(fs, pins, ef, update ? SF__AM_UPDATE : SF__AM_READ, cmd->ins);
	uint32_t size = sw == 0 ? FS_F32(fs, ef, R_SIZE) : 0;
	if (sw == 0 && offset >= size)
		sw = SF_SW_WRONG_P1P2;
	if (sw != 0) {
		rsp->sw = sw;
		return 0;
	}
	uint32_t body = (uint32_t)(sf__fs_body(fs, ef) - fs->mem);
	if (update) {
		if (cmd->nc > size - offset) {
			rsp->sw = SF_SW_WRONG_LENGTH;
			return 0;
		}
		sf__fs_put(fs, body + offset, cmd->data, cmd->nc);
		rsp->sw = SF_SW_OK;
		return 0;
	}
	/* Fewer octets than Le before the end: the rest with 62 82 (in T=0
	 * with a short Le the card layer turns that into 6C xx). */
	size_t n = size - offset;
	rsp->sw = SF_SW_OK;
	if (cmd->ne < n)
		n = cmd->ne;
	else if (cmd->ne > n)
		rsp->sw = SF_SW_WARN_EOF;
	if (n > rsp->cap)
		n = rsp->cap;
	memcpy(rsp->data, fs->mem + body + offset, n);
	rsp->len = n;
	return 0;
}

/* ---- RECORD (§11.1.5, §11.1.6, §11.1.7) ---- */

/* Record number for P1 and mode (02 next, 03 previous, 04 absolute or
 * current with P1 00).  Next/previous move the record pointer (*move set);
 * they wrap around in cyclic EFs and stop with 6A 83 at the ends of linear
 * fixed ones.  With no record pointer, next gives the first record and
 * previous the last.  Absolute mode leaves the pointer where it was
 * [U: TS 102 221 §11.1.5 wording]. */
static uint16_t record_no(const struct sf_fs *fs, const struct chan *st, uint32_t ef, unsigned p1,
			  unsigned mode, unsigned *recno, int *move)
{
	unsigned n = FS_F8(fs, ef, R_NREC), cur = st->rec, r;
	int cyclic = FS_F8(fs, ef, R_TYPE) == SF_FS_EF_CYCLIC;
	*move = 0;
	if (mode == 0x04) {
		r = p1 ? p1 : cur;
	} else if (mode == 0x02) {
		r = cur == 0 ? 1 : cur + 1;
		if (r > n)
			r = cyclic ? 1 : 0;
		*move = 1;
	} else {
		r = cur == 0 ? n : cur - 1;
		if (r == 0 && cyclic)
			r = n;
		*move = 1;
	}
	if (r == 0 || r > n)
		return SF_SW_RECORD_NOT_FOUND;
	*recno = r;
	return 0;
}

/* Common P1/P2 checks for READ/UPDATE/SEARCH RECORD: P2 b8-b4 SFI (0 =
 * current EF, 31 RFU), b3-b1 mode. */
static uint16_t record_target(const struct sf_fs *fs, const struct sf_pins *pins, struct chan *st,
			      const struct sf_apdu *cmd, uint8_t am, uint32_t *ef)
{
	unsigned sfi = cmd->p2 >> 3;
	if (sfi == 31 || cmd->p1 == 0xFF)
		return SF_SW_INCORRECT_P1P2;
	uint16_t sw = target_ef(fs, st, sfi, ef);
	if (sw == 0 && !sf__fs_is_rec(FS_F8(fs, *ef, R_TYPE)))
		sw = SF_SW_INCOMPATIBLE_FILE;
	if (sw == 0)
		sw = check_use(fs, pins, *ef, am, cmd->ins);
	return sw;
}

static int cmd_read_record(struct sf_fs *fs, const struct sf_pins *pins, struct chan *st,
			   const struct sf_apdu *cmd, struct sf_rapdu *rsp)
{
	unsigned mode = cmd->p2 & 0x07;
	if (cmd->nc != 0 || cmd->ne == 0) {
		rsp->sw = SF_SW_WRONG_LENGTH;
		return 0;
	}
	if (mode < 0x02 || mode > 0x04 || (mode != 0x04 && cmd->p1 != 0)) {
		rsp->sw = SF_SW_INCORRECT_P1P2;
		return 0;
	}
	uint32_t ef;
	unsigned recno;
	int move;
	uint16_t sw = record_target(fs, pins, st, cmd, SF__AM_READ, &ef);
	if (sw == 0)
		sw = record_no(fs, st, ef, cmd->p1, mode, &recno, &move);
	if (sw != 0) {
		rsp->sw = sw;
		return 0;
	}
	if (move)
		st->rec = (uint16_t)recno;
	/* The whole record: the card layer serves Le (6C xx in T=0 when Le
	 * differs from the record length, as a real card does). */
	size_t rl = FS_F16(fs, ef, R_RECLEN);
	memcpy(rsp->data, sf__fs_body(fs, ef) + sf__fs_rec_off(fs, ef, recno), rl);
	rsp->len = rl;
	rsp->sw = SF_SW_OK;
	return 0;
}

static int cmd_update_record(struct sf_fs *fs, const struct sf_pins *pins, struct chan *st,
			     const struct sf_apdu *cmd, struct sf_rapdu *rsp)
{
	unsigned mode = cmd->p2 & 0x07;
	if (cmd->nc == 0 || cmd->ne != 0) {
		rsp->sw = SF_SW_WRONG_LENGTH;
		return 0;
	}
	if (mode < 0x02 || mode > 0x04 || (mode != 0x04 && cmd->p1 != 0)) {
		rsp->sw = SF_SW_INCORRECT_P1P2;
		return 0;
	}
	uint32_t ef;
	uint16_t sw = record_target(fs, pins, st, cmd, SF__AM_UPDATE, &ef);
	if (sw == 0 && cmd->nc != FS_F16(fs, ef, R_RECLEN))
		sw = SF_SW_WRONG_LENGTH;
	int cyclic = sw == 0 && FS_F8(fs, ef, R_TYPE) == SF_FS_EF_CYCLIC;
	/* §11.1.6: a cyclic EF is updated in PREVIOUS mode only. */
	if (cyclic && mode != 0x03)
		sw = SF_SW_INCORRECT_P1P2;
	if (sw != 0) {
		rsp->sw = sw;
		return 0;
	}
	uint32_t body = (uint32_t)(sf__fs_body(fs, ef) - fs->mem);
	if (cyclic) {
		/* The oldest record (logical n) is overwritten and becomes
		 * record 1; the record pointer goes to it. */
		unsigned n = FS_F8(fs, ef, R_NREC);
		uint8_t head = (uint8_t)((FS_F8(fs, ef, R_CYC) + n - 1) % n);
		sf__fs_put8(fs, ef + R_CYC, head);
		sf__fs_put(fs, body + sf__fs_rec_off(fs, ef, 1), cmd->data, cmd->nc);
		st->rec = 1;
		rsp->sw = SF_SW_OK;
		return 0;
	}
	unsigned recno;
	int move;
	sw = record_no(fs, st, ef, cmd->p1, mode, &recno, &move);
	if (sw != 0) {
		rsp->sw = sw;
		return 0;
	}
	sf__fs_put(fs, body + sf__fs_rec_off(fs, ef, recno), cmd->data, cmd->nc);
	if (move)
		st->rec = (uint16_t)recno;
	rsp->sw = SF_SW_OK;
	return 0;
}

/* SEARCH RECORD, simple search (P2 mode 04 forward from P1, 05 backward
 * from P1; P1 00 = from the record pointer, or from the first/last record
 * when there is none).  The pattern may occur anywhere in a record [U:
 * TS 102 221 §11.1.7.1 vs the GSM SEEK, which matched at the start].  The
 * response lists the matching record numbers; none: 62 82 without data.
 * The record pointer goes to the first record found. */
static int cmd_search_record(struct sf_fs *fs, const struct sf_pins *pins, struct chan *st,
			     const struct sf_apdu *cmd, struct sf_rapdu *rsp)
{
	unsigned mode = cmd->p2 & 0x07;
	if (cmd->nc == 0) {
		rsp->sw = SF_SW_WRONG_LENGTH;
		return 0;
	}
	if (mode != 0x04 && mode != 0x05) {
		rsp->sw = SF_SW_INCORRECT_P1P2;
		return 0;
	}
	uint32_t ef;
	uint16_t sw = record_target(fs, pins, st, cmd, SF__AM_READ, &ef);
	unsigned n = sw == 0 ? FS_F8(fs, ef, R_NREC) : 0;
	size_t rl = sw == 0 ? FS_F16(fs, ef, R_RECLEN) : 0;
	if (sw == 0 && cmd->nc > rl)
		sw = SF_SW_WRONG_LENGTH;
	unsigned start = cmd->p1 ? cmd->p1 : (st->rec ? st->rec : (mode == 0x04 ? 1 : n));
	if (sw == 0 && start > n)
		sw = SF_SW_RECORD_NOT_FOUND;
	if (sw != 0) {
		rsp->sw = sw;
		return 0;
	}
	const uint8_t *body = sf__fs_body(fs, ef);
	size_t found = 0;
	for (unsigned r = start; r >= 1 && r <= n; r = mode == 0x04 ? r + 1 : r - 1) {
		const uint8_t *rec = body + sf__fs_rec_off(fs, ef, r);
		for (size_t o = 0; o + cmd->nc <= rl; o++) {
			if (memcmp(rec + o, cmd->data, cmd->nc) == 0) {
				rsp->data[found++] = (uint8_t)r;
				break;
			}
		}
	}
	if (found == 0) {
		rsp->sw = SF_SW_WARN_EOF;
		return 0;
	}
	st->rec = rsp->data[0];
	rsp->len = found;
	rsp->sw = SF_SW_OK;
	return 0;
}

/* ---- DEACTIVATE / ACTIVATE FILE (§11.1.14, §11.1.15) ---- */

/* No data: the current EF (or the current DF when no EF is selected).
 * With data: the file named as for SELECT with the same P1 (00, 08, 09),
 * which becomes the current file.  P2 00. */
static int cmd_lifecycle(struct sf_fs *fs, const struct sf_pins *pins, struct chan *st,
			 const struct sf_apdu *cmd, struct sf_rapdu *rsp)
{
	int activate = cmd->ins == 0x44;
	if (cmd->ne != 0) {
		rsp->sw = SF_SW_WRONG_LENGTH;
		return 0;
	}
	if (cmd->p2 != 0 || (cmd->nc == 0 && cmd->p1 != 0) ||
	    (cmd->nc != 0 && cmd->p1 != 0x00 && cmd->p1 != 0x08 && cmd->p1 != 0x09)) {
		rsp->sw = SF_SW_INCORRECT_P1P2;
		return 0;
	}
	uint32_t f = st->ef ? st->ef : st->df;
	if (cmd->nc != 0) {
		uint16_t sw = resolve(fs, st, cmd, &f);
		if (sw == 0 && f == 0)
			sw = SF_SW_FILE_NOT_FOUND;
		if (sw != 0) {
			rsp->sw = sw;
			return 0;
		}
		make_current(fs, st, f);
	}
	uint8_t lcsi = FS_F8(fs, f, R_LCSI);
	if (lcsi >= 0x0C) {
		rsp->sw = SF_SW_CONDITIONS_NOT_SATISFIED;
		return 0;
	}
	if (!sf__fs_access(fs, pins, f, activate ? SF__AM_ACTIVATE : SF__AM_DEACTIVATE, cmd->ins)) {
		rsp->sw = SF_SW_SECURITY_NOT_SATISFIED;
		return 0;
	}
	uint8_t want = activate ? SF_FS_LCSI_ACTIVATED : SF_FS_LCSI_DEACTIVATED;
	if (lcsi != want)
		sf__fs_put8(fs, f + R_LCSI, want);
	rsp->sw = SF_SW_OK;
	return 0;
}

/* ---- PIN commands (§11.1.9-§11.1.13) ---- */

/* §9.4.2 key references a PIN command may name. */
static int key_ref_valid(uint8_t r)
{
	uint8_t l = r & 0x7F;
	return (l >= 0x01 && l <= 0x08) || (l >= 0x0A && l <= 0x0E) || r == 0x11;
}

static int cmd_pin(struct sf_fs *fs, struct sf_pins *pins, const struct sf_apdu *cmd,
		   struct sf_rapdu *rsp)
{
	uint8_t ins = cmd->ins;
	/* Data lengths: VERIFY 8 or none (status), CHANGE 16, DISABLE and
	 * ENABLE 8, UNBLOCK 16 or none (status). */
	int ok_len;
	switch (ins) {
	case 0x20:
		ok_len = cmd->nc == 0 || cmd->nc == 8;
		break;
	case 0x2C:
		ok_len = cmd->nc == 0 || cmd->nc == 16;
		break;
	case 0x24:
		ok_len = cmd->nc == 16;
		break;
	default:
		ok_len = cmd->nc == 8;
	}
	if (!ok_len || cmd->ne != 0) {
		rsp->sw = SF_SW_WRONG_LENGTH;
		return 0;
	}
	/* P1 00 [U: DISABLE PIN P1 with the universal PIN as replacement is
	 * not supported: 6A 86]. */
	if (cmd->p1 != 0x00 || !key_ref_valid(cmd->p2)) {
		rsp->sw = SF_SW_INCORRECT_P1P2;
		return 0;
	}
	int i = sf__fs_pin_slot(pins, cmd->p2);
	if (i < 0) {
		rsp->sw = SF_SW_REF_DATA_NOT_FOUND;
		return 0;
	}
	const uint8_t *d = cmd->nc ? cmd->data : NULL;
	switch (ins) {
	case 0x20:
		rsp->sw = sf__fs_pin_verify(fs, pins, i, d);
		break;
	case 0x24:
		rsp->sw = sf__fs_pin_change(fs, pins, i, d);
		break;
	case 0x26:
		rsp->sw = sf__fs_pin_disable(fs, pins, i, d);
		break;
	case 0x28:
		rsp->sw = sf__fs_pin_enable(fs, pins, i, d);
		break;
	default:
		rsp->sw = sf__fs_pin_unblock(fs, pins, i, d);
	}
	return 0;
}

/* ---- dispatch ---- */

int sf_fs_process(struct sf_fs *fs, struct sf_pins *pins, struct sf_card *card,
		  const struct sf_apdu *cmd, struct sf_rapdu *rsp)
{
	if (fs == NULL || fs->mem == NULL || pins == NULL || card == NULL || cmd == NULL ||
	    rsp == NULL)
		return SF_EINVAL;
	/* Which class each command takes (§10.1.1, Table 10.5): 0 = 0X
	 * (interindustry), 1 = 8X (proprietary). */
	int want_prop;
	switch (cmd->ins) {
	case 0xA4: case 0xB0: case 0xD6: case 0xB2: case 0xDC: case 0xA2:
	case 0x20: case 0x24: case 0x26: case 0x28: case 0x2C: case 0x04: case 0x44:
		want_prop = 0;
		break;
	case 0xF2: case 0x10: case 0xAA:
		want_prop = 1;
		break;
	default:
		return SF_ECARD_UNHANDLED;
	}
	if (((cmd->cla & 0x80) != 0) != want_prop) {
		rsp->sw = SF_SW_CLA_NOT_SUPPORTED;
		return 0;
	}
	if (cmd->ins == 0x10 || cmd->ins == 0xAA) {
		/* TERMINAL PROFILE / TERMINAL CAPABILITY: accepted, kept
		 * nowhere (no toolkit here).  P1 P2 00 00, data present. */
		if (cmd->nc == 0 || cmd->ne != 0)
			rsp->sw = SF_SW_WRONG_LENGTH;
		else if (cmd->p1 != 0 || cmd->p2 != 0)
			rsp->sw = SF_SW_INCORRECT_P1P2;
		else
			rsp->sw = SF_SW_OK;
		return 0;
	}
	if (cmd->ins == 0x20 || cmd->ins == 0x24 || cmd->ins == 0x26 || cmd->ins == 0x28 ||
	    cmd->ins == 0x2C)
		return cmd_pin(fs, pins, cmd, rsp);

	struct chan *st = get_chan(fs, card, cmd->channel);
	if (st == NULL)
		return SF_EINVAL; /* the card only calls us on open channels */
	if (st->df == 0) { /* no MF: an empty arena */
		rsp->sw = cmd->ins == 0xA4 ? SF_SW_FILE_NOT_FOUND : SF_SW_NO_EF_SELECTED;
		return 0;
	}
	switch (cmd->ins) {
	case 0xA4:
		return cmd_select(fs, pins, st, cmd, rsp);
	case 0xF2:
		return cmd_status(fs, pins, st, cmd, rsp);
	case 0xB0:
	case 0xD6:
		return cmd_binary(fs, pins, st, cmd, rsp);
	case 0xB2:
		return cmd_read_record(fs, pins, st, cmd, rsp);
	case 0xDC:
		return cmd_update_record(fs, pins, st, cmd, rsp);
	case 0xA2:
		return cmd_search_record(fs, pins, st, cmd, rsp);
	default:
		return cmd_lifecycle(fs, pins, st, cmd, rsp);
	}
}

void sf_fs_reset(struct sf_fs *fs)
{
	if (fs != NULL)
		fs->verified = 0;
}

void sf_fs_channel_opened(struct sf_fs *fs, struct sf_card *card, unsigned channel,
			  unsigned origin)
{
	if (fs == NULL || fs->mem == NULL || card == NULL)
		return;
	struct chan *st = sf_card_chan_state(card, channel);
	if (st == NULL)
		return;
	memset(st, 0, sizeof(*st));
	st->df = sf__fs_first(fs);
	if (origin != 0 && origin != channel) {
		struct chan *o = get_chan(fs, card, origin);
		if (o != NULL) {
			st->df = o->df;
			st->adf = o->adf;
		}
	}
}

int sf_fs_current(const struct sf_fs *fs, struct sf_card *card, unsigned ch,
		  struct sf_fs_selection *out)
{
	if (fs == NULL || fs->mem == NULL || card == NULL || out == NULL)
		return SF_EINVAL;
	struct chan *st = get_chan(fs, card, ch);
	if (st == NULL)
		return SF_ECARD_CLOSED;
	out->df = st->df;
	out->adf = st->adf;
	out->ef = st->ef;
	out->rec = st->rec;
	return 0;
}
