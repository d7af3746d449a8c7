/*
 * Internals shared by fs.c (model, arena, navigation), fs_cmd.c (APDU
 * commands) and pin.c (PINs, access conditions).  ETSI TS 102 221 §8, §9, §11.
 */
#ifndef SIMFLEET_FS_INTERNAL_H
#define SIMFLEET_FS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "simfleet/uicc_fs.h"

/* Arena header (little-endian fields). */
#define FSH_MAGIC 0   /* "SFFS" */
#define FSH_VERSION 4 /* u16 */
#define FSH_HDRSIZE 6 /* u16 = SF_FS_HEADER_SIZE */
#define FSH_USED 8    /* u32 */
#define FSH_NFILES 12 /* u32 */
#define FSH_SUM1 16   /* u32: sum of the octets [32, used) */
#define FSH_SUM2 20   /* u32: sum of (2i+1) * octet i over [32, used) */
#define FS_VERSION 1

/* File record header (SF_FS_FILE_OVERHEAD octets), then the AID, then the
 * contents. */
#define R_MAGIC 0 /* FS_REC_MAGIC */
#define R_TYPE 1
#define R_LCSI 2
#define R_SFI 3
#define R_FID 4     /* u16 */
#define R_AIDLEN 6
#define R_SECKIND 7 /* 0 none, 1 referenced (8B) */
#define R_PARENT 8  /* u32 handle, 0 for the MF */
#define R_LEN 12    /* u32 whole record length */
#define R_SIZE 16   /* u32 contents size */
#define R_RECLEN 20 /* u16 */
#define R_NREC 22
#define R_CYC 23    /* cyclic: physical index of record 1 (most recent) */
#define R_ARRFID 24 /* u16 */
#define R_ARRREC 26
#define FS_REC_MAGIC 0xF5

static inline uint32_t sf__fs_get16(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static inline uint32_t sf__fs_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static inline int sf__fs_is_df(unsigned type)
{
	return type == SF_FS_MF || type == SF_FS_DF || type == SF_FS_ADF;
}

static inline int sf__fs_is_rec(unsigned type)
{
	return type == SF_FS_EF_LINEAR_FIXED || type == SF_FS_EF_CYCLIC;
}

/* Field access on a file known to be valid. */
#define FS_F8(fs, f, field) ((fs)->mem[(f) + (field)])
#define FS_F16(fs, f, field) sf__fs_get16((fs)->mem + (f) + (field))
#define FS_F32(fs, f, field) sf__fs_get32((fs)->mem + (f) + (field))

uint32_t sf__fs_used(const struct sf_fs *fs);
/* Every arena write after the header goes through here (checksum). */
void sf__fs_put(struct sf_fs *fs, uint32_t off, const uint8_t *src, size_t len);
void sf__fs_put8(struct sf_fs *fs, uint32_t off, uint8_t v);
/* First file (the MF) or 0; next file after f or 0. */
uint32_t sf__fs_first(const struct sf_fs *fs);
uint32_t sf__fs_next(const struct sf_fs *fs, uint32_t f);
/* 1 when f is the handle of a file of fs. */
int sf__fs_valid(const struct sf_fs *fs, uint32_t f);
/* Contents of file f. */
uint8_t *sf__fs_body(const struct sf_fs *fs, uint32_t f);
/* Child of DF df with FID fid; type filter: 0 any but ADF, 1 DFs only. */
uint32_t sf__fs_child(const struct sf_fs *fs, uint32_t df, uint16_t fid, int dfs_only);
/* EF child of df with SFI sfi, or 0. */
uint32_t sf__fs_child_sfi(const struct sf_fs *fs, uint32_t df, uint8_t sfi);
/* ADF matching aid (prefix) after handle `after` (0: from the start). */
uint32_t sf__fs_adf(const struct sf_fs *fs, const uint8_t *aid, size_t len, uint32_t after);
/* Octets used by df and everything below it. */
uint32_t sf__fs_total_size(const struct sf_fs *fs, uint32_t df);
/* Physical offset in the body of logical record recno (1..nrec). */
uint32_t sf__fs_rec_off(const struct sf_fs *fs, uint32_t f, unsigned recno);

/* Access modes (ISO/IEC 7816-4 Table 17 for EFs, AM_DO 80 bits). */
#define SF__AM_READ 0x01
#define SF__AM_UPDATE 0x02
#define SF__AM_DEACTIVATE 0x08
#define SF__AM_ACTIVATE 0x10
/* 1 when the security attributes of file f allow access mode am (an AM_DO
 * 80 bit; ins is used for AM_DO 84 command-description forms). */
int sf__fs_access(const struct sf_fs *fs, const struct sf_pins *pins, uint32_t f, uint8_t am,
		  uint8_t ins);

/* PIN slot of key reference ref, or -1. */
int sf__fs_pin_slot(const struct sf_pins *pins, uint8_t ref);

/* PIN commands on slot i (status words). data is 8 octets (16 for change /
 * unblock), or NULL for a status query. */
uint16_t sf__fs_pin_verify(struct sf_fs *fs, struct sf_pins *pins, int i, const uint8_t *data);
uint16_t sf__fs_pin_change(struct sf_fs *fs, struct sf_pins *pins, int i, const uint8_t *data);
uint16_t sf__fs_pin_disable(struct sf_fs *fs, struct sf_pins *pins, int i, const uint8_t *data);
uint16_t sf__fs_pin_enable(struct sf_fs *fs, struct sf_pins *pins, int i, const uint8_t *data);
uint16_t sf__fs_pin_unblock(struct sf_fs *fs, struct sf_pins *pins, int i, const uint8_t *data);

#endif
