/* libFuzzer target for sf_fs_attach() (src/card/fs.c), the check of a file
 * system arena read back from storage, and for the commands that then run on
 * what it accepted (src/card/fs_cmd.c, ETSI TS 102 221 §11.1).
 *
 * Input: one flags octet, then the arena.
 *   bit 0  fix up the header before attaching: file count and the two
 *          checksums of src/card/fs.c ([16] sum of the octets of [32, used),
 *          [20] sum of (2i+1) * octet i), so mutations get past the checksum
 *          to the record checks behind it
 *   bit 1  attach with 4 KiB of slack after the image (cap > size)
 *   bit 2  run the commands on channel 1 (opened from channel 0) as well
 * The arena is an exact-size heap copy (plus the slack), so ASan sees any
 * access past it.  When it attaches, every file is visited through the
 * public API (a handle is the file's offset, a record 32 octets + AID +
 * contents; uicc_fs.h) and through a card: SELECT by path / AID, STATUS,
 * READ BINARY / RECORD, SEARCH RECORD, VERIFY PIN, UPDATE BINARY.  Checks:
 * attach writes fs only on success; what it accepted stays within the
 * arena; after the commands the arena (with its incrementally kept
 * checksums) still attaches.
 * Build: cmake -DSF_FUZZ=ON -DCMAKE_C_COMPILER=clang; run:
 *   fuzz_fs_attach -max_total_time=60 <copy of tests/fuzz/corpus_fs_attach> */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simfleet/card.h"
#include "simfleet/err.h"
#include "simfleet/uicc_fs.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

#define SLACK 4096
#define MAX_FILES 128

struct fx {
	struct sf_card card;
	struct sf_fs fs;
	struct sf_pins pins;
};

static int app_process(void *user, struct sf_card *card, const struct sf_apdu *cmd,
		       struct sf_rapdu *rsp)
{
	struct fx *f = user;
	int rc = sf_fs_process(&f->fs, &f->pins, card, cmd, rsp);
	if (rc == SF_ECARD_UNHANDLED) {
		rsp->sw = SF_SW_INS_NOT_SUPPORTED;
		return 0;
	}
	return rc;
}
static void app_reset(void *user, struct sf_card *card, enum sf_card_reset_kind kind)
{
	struct fx *f = user;
	(void)card;
	(void)kind;
	sf_fs_reset(&f->fs);
}
static void app_opened(void *user, struct sf_card *card, unsigned ch, unsigned origin)
{
	struct fx *f = user;
	sf_fs_channel_opened(&f->fs, card, ch, origin);
}
static const struct sf_card_app fs_app = {
	.process = app_process, .reset = app_reset, .channel_opened = app_opened};

static uint16_t tx(struct fx *f, const uint8_t *cmd, size_t len)
{
	static uint8_t rsp[2 + SF_CARD_MAX_RESPONSE];
	size_t rlen = 0;
	CHECK(sf_card_transmit(&f->card, cmd, len, rsp, sizeof(rsp), &rlen) == 0);
	CHECK(rlen >= 2);
	uint16_t sw = (uint16_t)((rsp[rlen - 2] << 8) | rsp[rlen - 1]);
	if ((sw >> 8) == 0x61) { /* T=0: fetch it */
		uint8_t gr[5] = {(uint8_t)(cmd[0] & 0x03), 0xC0, 0, 0, (uint8_t)sw};
		CHECK(sf_card_transmit(&f->card, gr, 5, rsp, sizeof(rsp), &rlen) == 0);
		CHECK(rlen >= 2);
		sw = (uint16_t)((rsp[rlen - 2] << 8) | rsp[rlen - 1]);
	}
	return sw;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Recomputes the header's file count and checksums (layout: src/card/fs.c). */
static void fixup(uint8_t *mem, size_t size)
{
	if (size < SF_FS_HEADER_SIZE)
		return;
	uint32_t used = get32(mem + 8);
	if (used > size)
		used = (uint32_t)size;
	uint32_t a = 0, b = 0, n = 0;
	for (uint32_t i = SF_FS_HEADER_SIZE; i < used; i++) {
		a += mem[i];
		b += (uint32_t)mem[i] * (2u * i + 1u);
	}
	for (uint32_t g = SF_FS_HEADER_SIZE; g + SF_FS_FILE_OVERHEAD <= used && n < 100000; n++) {
		uint32_t l = get32(mem + g + 12);
		if (l == 0 || l > used - g)
			break;
		g += l;
	}
	put32(mem + 12, n);
	put32(mem + 16, a);
	put32(mem + 20, b);
}

static void cmd_on(struct fx *f, unsigned ch, const uint8_t *c, size_t len)
{
	uint8_t buf[64];
	CHECK(len <= sizeof(buf));
	memcpy(buf, c, len);
	buf[0] = (uint8_t)((buf[0] & 0xFC) | ch);
	(void)tx(f, buf, len);
}

/* SELECT by path from the MF (P1 08) of file h, built from its parents. */
static void select_path(struct fx *f, unsigned ch, uint32_t h)
{
	uint16_t fids[16];
	size_t n = 0;
	struct sf_fs_info in;
	while (h != 0 && n < 16) {
		CHECK(sf_fs_info(&f->fs, h, &in) == 0);
		if (in.type == SF_FS_MF)
			break;
		fids[n++] = in.fid;
		h = in.parent;
	}
	uint8_t apdu[5 + 32 + 1] = {(uint8_t)ch, 0xA4, 0x08, 0x04, (uint8_t)(2 * n)};
	for (size_t i = 0; i < n; i++) {
		apdu[5 + 2 * i] = (uint8_t)(fids[n - 1 - i] >> 8);
		apdu[6 + 2 * i] = (uint8_t)fids[n - 1 - i];
	}
	apdu[5 + 2 * n] = 0x00;
	if (n == 0) {
		static const uint8_t mf[] = {0x00, 0xA4, 0x00, 0x04, 0x02, 0x3F, 0x00, 0x00};
		cmd_on(f, ch, mf, sizeof(mf));
	} else {
		(void)tx(f, apdu, 5 + 2 * n + 1);
	}
}

static void visit(struct fx *f, unsigned ch, size_t size)
{
	static const uint8_t status[] = {0x80, 0xF2, 0x00, 0x0C, 0x00};
	static const uint8_t read_bin[] = {0x00, 0xB0, 0x00, 0x00, 0x00};
	static const uint8_t read_rec[] = {0x00, 0xB2, 0x01, 0x04, 0x00};
	static const uint8_t read_last[] = {0x00, 0xB2, 0x00, 0x03, 0x00};
	static const uint8_t search[] = {0x00, 0xA2, 0x01, 0x04, 0x02, 0xFF, 0xFF, 0x00};
	static const uint8_t verify[] = {0x00, 0x20, 0x00, 0x01, 0x08, '0', '0', '0', '0',
					 0xFF, 0xFF, 0xFF, 0xFF};
	static const uint8_t upd_bin[] = {0x00, 0xD6, 0x00, 0x00, 0x01, 0x5A};
	static const uint8_t sfi_read[] = {0x00, 0xB0, 0x87, 0x00, 0x00};
	static const uint8_t usim[] = {0x00, 0xA4, 0x04, 0x04, 0x07, 0xA0, 0x00,
				       0x00, 0x00, 0x87, 0x10, 0x02, 0x00};
	uint32_t h = SF_FS_HEADER_SIZE;
	unsigned files = 0;
	cmd_on(f, ch, verify, sizeof(verify));
	cmd_on(f, ch, usim, sizeof(usim));
	cmd_on(f, ch, sfi_read, sizeof(sfi_read));
	while (h < sf_fs_used(&f->fs) && files++ < MAX_FILES) {
		struct sf_fs_info in;
		CHECK(sf_fs_info(&f->fs, h, &in) == 0);
		CHECK((uint64_t)h + SF_FS_FILE_OVERHEAD + in.aid_len + in.size <= size);
		static uint8_t body[65536];
		CHECK(sf_fs_read_content(&f->fs, h, 0, body, in.size) == 0 ||
		      in.type <= SF_FS_ADF);
		if (in.type == SF_FS_ADF) {
			uint8_t sel[5 + SF_FS_AID_MAX + 1] = {(uint8_t)ch, 0xA4, 0x04, 0x04,
							      in.aid_len};
			memcpy(sel + 5, in.aid, in.aid_len);
			sel[5 + in.aid_len] = 0;
			(void)tx(f, sel, 5 + in.aid_len + 1);
		} else {
			select_path(f, ch, h);
		}
		cmd_on(f, ch, status, sizeof(status));
		if (in.type == SF_FS_EF_TRANSPARENT) {
			cmd_on(f, ch, read_bin, sizeof(read_bin));
			cmd_on(f, ch, upd_bin, sizeof(upd_bin));
		} else if (in.type == SF_FS_EF_LINEAR_FIXED || in.type == SF_FS_EF_CYCLIC) {
			cmd_on(f, ch, read_rec, sizeof(read_rec));
			cmd_on(f, ch, read_last, sizeof(read_last));
			cmd_on(f, ch, search, sizeof(search));
		}
		h += SF_FS_FILE_OVERHEAD + in.aid_len + in.size;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fx f;
	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	data++;
	size--;
	size_t cap = size + ((flags & 2) ? SLACK : 0);
	uint8_t *mem = malloc(cap ? cap : 1);
	CHECK(mem != NULL);
	if (size)
		memcpy(mem, data, size);
	if (cap > size)
		memset(mem + size, 0, cap - size);
	if (flags & 1)
		fixup(mem, size);

	memset(&f.fs, 0xA5, sizeof(f.fs));
	struct sf_fs guard = f.fs;
	int rc = sf_fs_attach(&f.fs, mem, cap);
	if (rc != 0) {
		CHECK(rc == SF_ECARD_FS_CORRUPT || rc == SF_EINVAL);
		CHECK(memcmp(&f.fs, &guard, sizeof(guard)) == 0);
		free(mem);
		return 0;
	}
	size_t used = sf_fs_used(&f.fs);
	CHECK(used >= SF_FS_HEADER_SIZE && used <= cap);
	uint32_t mf;
	if (used > SF_FS_HEADER_SIZE)
		CHECK(sf_fs_mf(&f.fs, &mf) == 0 && mf == SF_FS_HEADER_SIZE);

	sf_pins_init(&f.pins);
	static const uint8_t pin1[] = {'0', '0', '0', '0'};
	CHECK(sf_pin_set(&f.pins, SF_PIN_REF_PIN1, pin1, 4, 3, SF_PIN_ENABLED) == 0);
	CHECK(sf_pin_set(&f.pins, SF_PIN_REF_ADM1, pin1, 4, 10, 0) == 0);
	CHECK(sf_card_init(&f.card, &fs_app, &f, 0) == 0);
	CHECK(sf_card_reset(&f.card, SF_CARD_RESET_COLD) == 0);
	visit(&f, 0, cap);
	if (flags & 4) {
		static const uint8_t open1[] = {0x00, 0x70, 0x00, 0x01};
		(void)tx(&f, open1, sizeof(open1));
		if (sf_card_chan_is_open(&f.card, 1))
			visit(&f, 1, cap);
	}
	/* Whatever the commands changed, the arena still checks out. */
	struct sf_fs again;
	CHECK(sf_fs_used(&f.fs) <= cap);
	CHECK(sf_fs_attach(&again, mem, cap) == 0);
	CHECK(sf_fs_used(&again) == sf_fs_used(&f.fs));
	sf_card_free(&f.card);
	sf_pins_free(&f.pins);
	free(mem);
	return 0;
}
