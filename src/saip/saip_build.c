/*
 * SAIP profile package builder: a minimal complete USIM profile.
 *
 * SIMalliance/TCA eUICC Profile Package: Interoperable Format Technical
 * Specification v3.3.1, PEDefinitions.  File contents per 3GPP TS 31.102
 * (EF.IMSI §4.2.2, EF.AD §4.2.18, EF.UST §4.2.8, EF.ACC §4.2.15, EF.KEYS
 * §4.2.4, EF.SPN §4.2.12, EF.EST §4.2.47, EF.ECC §4.2.21), ETSI TS 102 221
 * (EF.ICCID §13.2, EF.DIR §13.1, EF.ARR §13.4 with the expanded access rule
 * format of §9.2.4) and TS 102 222 (file descriptor coding).
 *
 * Every file is written with an explicit fileDescriptor (Fcp) even where the
 * template would supply one, as the TS.48 test profiles do, so an installer
 * needs no copy of the template tables to create them.
 */
#include <string.h>

#include "saip_internal.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/saip.h"
#include "simfleet/util.h"

/* Template OIDs (SAIP Annex A): 2.23.143.1.2.1 MF, 2.23.143.1.2.4 USIM. */
static const uint8_t oid_mf[] = {0x67, 0x81, 0x0F, 0x01, 0x02, 0x01};
static const uint8_t oid_usim[] = {0x67, 0x81, 0x0F, 0x01, 0x02, 0x04};

/* USIM AID: RID A000000087 (3GPP), application code 1002 (USIM), then
 * country/provider bytes as in the GSMA TS.48 test profiles. */
static const uint8_t usim_aid[] = {0xA0, 0x00, 0x00, 0x00, 0x87, 0x10,
				   0x02, 0xFF, 0x49, 0xFF, 0x05, 0x89};

/* EF.ARR: three access rules (TS 102 221 §9.2.4, expanded format), each a
 * record of ARR_REC octets padded with FF:
 *   1: READ always;              everything else ADM1 (key reference 0A)
 *   2: READ PIN1 (01);           everything else ADM1
 *   3: READ and UPDATE PIN1;     everything else ADM1
 * AM_DO 80 01 xx (access mode byte), SC_DO 90 00 (always) or A4 06 83 01 kk
 * 95 01 08 (user verification with key kk). */
#define ARR_REC 22
#define ARR_N 3
static const uint8_t arr_rules[ARR_N][ARR_REC] = {
	{0x80, 0x01, 0x01, 0x90, 0x00, 0x80, 0x01, 0x7E, 0xA4, 0x06, 0x83,
	 0x01, 0x0A, 0x95, 0x01, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},
	{0x80, 0x01, 0x01, 0xA4, 0x06, 0x83, 0x01, 0x01, 0x95, 0x01, 0x08,
	 0x80, 0x01, 0x7E, 0xA4, 0x06, 0x83, 0x01, 0x0A, 0x95, 0x01, 0x08},
	{0x80, 0x01, 0x03, 0xA4, 0x06, 0x83, 0x01, 0x01, 0x95, 0x01, 0x08,
	 0x80, 0x01, 0x7C, 0xA4, 0x06, 0x83, 0x01, 0x0A, 0x95, 0x01, 0x08},
};

/* One File field with its Fcp and content. */
struct fspec {
	const char *name;    /* template field name */
	uint8_t fd[4];       /* fileDescriptor */
	size_t fd_len;
	uint16_t fid;        /* 0: none (the MF) */
	const uint8_t *aid;  /* dfName (ADF) */
	size_t aid_len;
	uint8_t sec[3];      /* securityAttributesReferenced: ARR FID + record */
	unsigned size;       /* efFileSize, 0 for DFs */
	const uint8_t *pst;  /* pinStatusTemplateDO (DFs) */
	size_t pst_len;
	const uint8_t *content;
	size_t content_len;
	int do_not_create;
};

static uint32_t field_tag(enum sf_saip_pe_type type, const char *name)
{
	const struct sf__saip_petab *t = &sf__saip_pes[type];
	for (size_t i = 0; i < t->nfiles; i++)
		if (strcmp(t->files[i].name, name) == 0)
			return sf_der_tag_make(SF_DER_CLASS_CONTEXT, 1, (uint32_t)(i + 2));
	return 0; /* write_header rejects it: SF_EINVAL, a bug here */
}

static void wr_size(struct sf_der_writer *w, uint32_t tag, unsigned v)
{
	uint8_t b[4];
	size_t n = 0;
	/* minimal big-endian octets, at least one */
	for (int s = 24; s >= 0; s -= 8)
		if ((v >> s) || n || s == 0)
			b[n++] = (uint8_t)(v >> s);
	sf_der_write_octets(w, tag, b, n);
}

static void wr_peheader(struct sf_der_writer *w, unsigned ident)
{
	size_t m = sf_der_writer_mark(w);
	sf_der_write_uint64(w, 0x81, ident);
	sf_der_write_null(w, 0x80); /* mandated */
	sf_der_write_wrap(w, m, 0xA0);
}

static void wr_file(struct sf_der_writer *w, enum sf_saip_pe_type type, const struct fspec *f)
{
	size_t m = sf_der_writer_mark(w);
	if (f->do_not_create) {
		sf_der_write_null(w, 0x80);
	} else {
		if (f->content)
			sf_der_write_octets(w, 0x83, f->content, f->content_len);
		/* Fcp fields, last first: ... C6, 80, 8B, 84, 83, 82 */
		size_t mf = sf_der_writer_mark(w);
		if (f->pst)
			sf_der_write_octets(w, 0xC6, f->pst, f->pst_len);
		if (f->size)
			wr_size(w, 0x80, f->size);
		sf_der_write_octets(w, 0x8B, f->sec, 3);
		if (f->aid)
			sf_der_write_octets(w, 0x84, f->aid, f->aid_len);
		if (f->fid) {
			uint8_t fid[2] = {(uint8_t)(f->fid >> 8), (uint8_t)f->fid};
			sf_der_write_octets(w, 0x83, fid, 2);
		}
		if (f->fd_len)
			sf_der_write_octets(w, 0x82, f->fd, f->fd_len);
		sf_der_write_wrap(w, mf, 0xA1);
	}
	sf_der_write_wrap(w, m, field_tag(type, f->name));
}

static void wr_template_pe(struct sf_der_writer *w, enum sf_saip_pe_type type, unsigned ident,
			   const uint8_t *oid, size_t oid_len, const struct fspec *files, size_t n)
{
	size_t m = sf_der_writer_mark(w);
	for (size_t i = n; i-- > 0;)
		wr_file(w, type, &files[i]);
	sf_der_write_oid(w, 0x81, oid, oid_len);
	wr_peheader(w, ident);
	sf_der_write_wrap(w, m, sf_der_tag_make(SF_DER_CLASS_CONTEXT, 1, type));
}

/* ---- parameter checks ---- */

static int all_digits(const char *s, size_t lo, size_t hi)
{
	size_t n = s ? strlen(s) : 0;
	if (n < lo || n > hi)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Characters whose GSM 7-bit default alphabet code (TS 23.038 §6.2.1) equals
 * their ASCII code, so an SPN can be stored unpacked without a table. */
static int gsm7_same(char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	return c != 0 && strchr(" !\"#%&'()*+,-./:;<=>?", c) != NULL;
}

/* PIN/PUK value: ASCII digits padded with FF to 8 octets (TS 102 221 §9.5.1). */
static void pin_pad(uint8_t out[8], const char *digits)
{
	size_t n = strlen(digits);
	memset(out, 0xFF, 8);
	memcpy(out, digits, n);
}

/* Header: digits in order, one per nibble, F-padded; EF.ICCID: the same
 * nibble-swapped (TS 102 221 §13.2).  iccid passed sf_iccid_check. */
void sf__saip_enc_iccid(const char *ic, uint8_t hdr[10], uint8_t ef[10])
{
	size_t il = strlen(ic);
	memset(hdr, 0xFF, 10);
	memset(ef, 0xFF, 10);
	for (size_t i = 0; i < il && i < 20; i++) {
		uint8_t d = (uint8_t)(ic[i] - '0');
		if (i & 1) {
			hdr[i / 2] = (uint8_t)((hdr[i / 2] & 0xF0) | d);
			ef[i / 2] = (uint8_t)((ef[i / 2] & 0x0F) | (d << 4));
		} else {
			hdr[i / 2] = (uint8_t)((hdr[i / 2] & 0x0F) | (d << 4));
			ef[i / 2] = (uint8_t)((ef[i / 2] & 0xF0) | d);
		}
	}
}

/* EF.IMSI (TS 31.102 §4.2.2, TS 24.008 §10.5.1.4): length of the identity
 * in octets, then digit 1 in the high nibble of the first octet above the
 * type "IMSI" (001) with the odd/even indicator (bit 4), the other digits two
 * per octet low nibble first, F-padded; FF after.  im is 5..15 digits. */
void sf__saip_enc_imsi(const char *im, uint8_t out[9])
{
	size_t nl = strlen(im);
	memset(out, 0xFF, 9);
	out[0] = (uint8_t)((nl + 2) / 2);
	out[1] = (uint8_t)(((im[0] - '0') << 4) | 0x01 | ((nl & 1) ? 0x08 : 0x00));
	for (size_t i = 1; i < nl && i < 15; i++) {
		uint8_t d = (uint8_t)(im[i] - '0');
		size_t o = 1 + (i + 1) / 2;
		if (i & 1)
			out[o] = (uint8_t)((out[o] & 0xF0) | d);
		else
			out[o] = (uint8_t)((out[o] & 0x0F) | (d << 4));
	}
}

int sf__saip_check_cred(const struct sf_saip_build_params *prm, struct sf_saip_error *err)
{
	size_t n;
	if (!prm->iccid || sf_iccid_check(prm->iccid))
		return sf__saip_fail(err, SF_ESAIP_ICCID, "iccid",
		                     "must be 18 to 20 digits ending in its Luhn check digit");
	if (!all_digits(prm->imsi, 5, 15))
		return sf__saip_fail(err, SF_ESAIP_IMSI, "imsi", "must be 5 to 15 digits");
	switch (prm->algorithm) {
	case SF_SAIP_ALG_MILENAGE:
		if (!prm->k || prm->k_len != 16)
			return sf__saip_fail(err, SF_ESAIP_PARAM, "k",
			                     "must be 16 octets for milenage");
		if (!prm->opc || prm->opc_len != 16)
			return sf__saip_fail(err, SF_ESAIP_PARAM, "opc",
			                     "must be 16 octets for milenage");
		break;
	case SF_SAIP_ALG_TUAK:
		if (!prm->k || (prm->k_len != 16 && prm->k_len != 32))
			return sf__saip_fail(err, SF_ESAIP_PARAM, "k",
			                     "must be 16 or 32 octets for tuak");
		if (!prm->opc || prm->opc_len != 32)
			return sf__saip_fail(err, SF_ESAIP_PARAM, "opc",
			                     "(TOPc) must be 32 octets for tuak");
		break;
	case SF_SAIP_ALG_TEST:
		if (!prm->k || prm->k_len != 16)
			return sf__saip_fail(err, SF_ESAIP_PARAM, "k",
			                     "must be 16 octets for the XOR test algorithm");
		if (prm->opc && prm->opc_len != 16)
			return sf__saip_fail(
			    err, SF_ESAIP_PARAM, "opc",
			    "must be 16 octets if given (the XOR algorithm ignores it)");
		break;
	default:
		return sf__saip_fail(err, SF_ESAIP_PARAM, "algorithm",
		                     "must be milenage, tuak or xor");
	}
	if (prm->spn) {
		n = strlen(prm->spn);
		if (n == 0 || n > 16)
			return sf__saip_fail(err, SF_ESAIP_PARAM, "spn",
			                     "must be 1 to 16 characters");
		for (size_t i = 0; i < n; i++)
			if (!gsm7_same(prm->spn[i]))
				return sf__saip_fail(err, SF_ESAIP_PARAM, "spn",
				                     "may use only letters, digits, space and "
				                     "!\"#%&'()*+,-./:;<=>? (GSM 7-bit)");
	}
	return 0;
}

int sf_saip_build(const struct sf_saip_build_params *prm, uint8_t *dst, size_t dst_len,
		  size_t *out_len, struct sf_saip_error *err)
{
	int rc = SF_EINTERNAL;
	struct sf_der_writer w;
	uint8_t iccid_hdr[10], iccid_ef[10], imsi[9], ad[4], ust[8], acc[2], keys[33],
		spn[17], est[1], ecc[4], dir[32], arr[ARR_N * ARR_REC], pin1[8], puk1[8],
		adm1[8], opc_zero[16];
	unsigned mnc_len;

	if (err) {
		memset(err, 0, sizeof(*err));
		err->element = "parameters";
	}
	if (!prm || !out_len || (!dst && dst_len))
		return SF_EINVAL;
	*out_len = 0;

	/* ---- checks: nothing is written before all parameters pass ---- */
	if ((rc = sf__saip_check_cred(prm, err)) != 0)
		return rc;
	mnc_len = prm->mnc_len ? prm->mnc_len : 2;
	if (mnc_len != 2 && mnc_len != 3)
		return sf__saip_fail(err, SF_ESAIP_PARAM, "mnc_len", "must be 2 or 3");
	if (prm->pin1 && !all_digits(prm->pin1, 4, 8))
		return sf__saip_fail(err, SF_ESAIP_PARAM, "pin1", "must be 4 to 8 digits");
	if (prm->puk1 && !all_digits(prm->puk1, 8, 8))
		return sf__saip_fail(err, SF_ESAIP_PARAM, "puk1", "must be 8 digits");
	if (prm->adm1 && (prm->adm1_len < 1 || prm->adm1_len > 8))
		return sf__saip_fail(err, SF_ESAIP_PARAM, "adm1", "must be 1 to 8 octets");

	/* ---- file contents ---- */
	sf__saip_enc_iccid(prm->iccid, iccid_hdr, iccid_ef);
	sf__saip_enc_imsi(prm->imsi, imsi);
	const char *im = prm->imsi;
	size_t nl = strlen(im);
	/* EF.AD: normal operation, no ciphering indicator, MNC length. */
	ad[0] = 0x00;
	ad[1] = 0x00;
	ad[2] = 0x00;
	ad[3] = (uint8_t)mnc_len;
	/* EF.UST: service n is bit (n-1)%8 of octet (n-1)/8.  n33 "shall be
	 * set to 1" (packet switched domain); n17 when EF.SPN is created. */
	memset(ust, 0, sizeof(ust));
	ust[(33 - 1) / 8] |= (uint8_t)(1u << ((33 - 1) % 8));
	if (prm->spn)
		ust[(17 - 1) / 8] |= (uint8_t)(1u << ((17 - 1) % 8));
	/* EF.ACC (TS 22.011 §4.2): access class 0..9 from the last IMSI digit,
	 * a common operator practice; classes 8..15 in octet 1, 0..7 in octet 2. */
	unsigned cls = (unsigned)(im[nl - 1] - '0');
	acc[0] = cls >= 8 ? (uint8_t)(1u << (cls - 8)) : 0;
	acc[1] = cls < 8 ? (uint8_t)(1u << cls) : 0;
	/* EF.KEYS: KSI 07 (no key), CK and IK unset. */
	memset(keys, 0xFF, sizeof(keys));
	keys[0] = 0x07;
	/* EF.SPN: display condition 00, name unpacked GSM 7-bit, FF-padded. */
	memset(spn, 0xFF, sizeof(spn));
	spn[0] = 0x00;
	if (prm->spn)
		memcpy(spn + 1, prm->spn, strlen(prm->spn));
	est[0] = 0x00;
	memset(ecc, 0xFF, sizeof(ecc));
	/* EF.DIR: one application template 61 { 4F AID, 50 label }. */
	memset(dir, 0xFF, sizeof(dir));
	dir[0] = 0x61;
	dir[1] = (uint8_t)(2 + sizeof(usim_aid) + 2 + 4);
	dir[2] = 0x4F;
	dir[3] = (uint8_t)sizeof(usim_aid);
	memcpy(dir + 4, usim_aid, sizeof(usim_aid));
	memcpy(dir + 4 + sizeof(usim_aid), "\x50\x04USIM", 6);
	memcpy(arr, arr_rules, sizeof(arr));
	pin_pad(pin1, prm->pin1 ? prm->pin1 : "0000");
	pin_pad(puk1, prm->puk1 ? prm->puk1 : SF_SAIP_TEST_PUK1);
	if (prm->adm1) {
		memset(adm1, 0xFF, sizeof(adm1));
		memcpy(adm1, prm->adm1, prm->adm1_len);
	} else {
		pin_pad(adm1, SF_SAIP_TEST_ADM1);
	}
	memset(opc_zero, 0, sizeof(opc_zero));

	/* Key references the DFs use (SAIP pinStatusTemplateDO: the list of key
	 * references; the eUICC builds the PS_DO from the PIN definitions). */
	static const uint8_t pst_mf[] = {0x01, 0x0A};
	static const uint8_t pst_adf[] = {0x01, 0x0A};
	const struct fspec mf_files[] = {
		{"mf", {0}, 0, 0, NULL, 0, {0x2F, 0x06, 0x01}, 0, pst_mf, sizeof(pst_mf), NULL, 0, 0},
		{"ef-iccid", {0x41, 0x21}, 2, 0x2FE2, NULL, 0, {0x2F, 0x06, 0x01}, 10, NULL, 0,
		 iccid_ef, 10, 0},
		{"ef-dir", {0x42, 0x21, 0x00, 0x20}, 4, 0x2F00, NULL, 0, {0x2F, 0x06, 0x01},
		 sizeof(dir), NULL, 0, dir, sizeof(dir), 0},
		{"ef-arr", {0x42, 0x21, 0x00, ARR_REC}, 4, 0x2F06, NULL, 0, {0x2F, 0x06, 0x01},
		 sizeof(arr), NULL, 0, arr, sizeof(arr), 0},
	};
	const struct fspec usim_files[] = {
		{"adf-usim", {0}, 0, 0x7FD0, usim_aid, sizeof(usim_aid), {0x2F, 0x06, 0x01}, 0,
		 pst_adf, sizeof(pst_adf), NULL, 0, 0},
		{"ef-imsi", {0x41, 0x21}, 2, 0x6F07, NULL, 0, {0x6F, 0x06, 0x02}, sizeof(imsi),
		 NULL, 0, imsi, sizeof(imsi), 0},
		{"ef-arr", {0x42, 0x21, 0x00, ARR_REC}, 4, 0x6F06, NULL, 0, {0x6F, 0x06, 0x01},
		 sizeof(arr), NULL, 0, arr, sizeof(arr), 0},
		{"ef-keys", {0x41, 0x21}, 2, 0x6F08, NULL, 0, {0x6F, 0x06, 0x03}, sizeof(keys),
		 NULL, 0, keys, sizeof(keys), 0},
		{"ef-ust", {0x41, 0x21}, 2, 0x6F38, NULL, 0, {0x6F, 0x06, 0x02}, sizeof(ust), NULL,
		 0, ust, sizeof(ust), 0},
		{"ef-spn", {0x41, 0x21}, 2, 0x6F46, NULL, 0, {0x6F, 0x06, 0x02}, sizeof(spn), NULL,
		 0, spn, sizeof(spn), prm->spn == NULL},
		{"ef-est", {0x41, 0x21}, 2, 0x6F56, NULL, 0, {0x6F, 0x06, 0x02}, sizeof(est), NULL,
		 0, est, sizeof(est), 0},
		{"ef-acc", {0x41, 0x21}, 2, 0x6F78, NULL, 0, {0x6F, 0x06, 0x02}, sizeof(acc), NULL,
		 0, acc, sizeof(acc), 0},
		{"ef-ad", {0x41, 0x21}, 2, 0x6FAD, NULL, 0, {0x6F, 0x06, 0x01}, sizeof(ad), NULL, 0,
		 ad, sizeof(ad), 0},
		{"ef-ecc", {0x42, 0x21, 0x00, 0x04}, 4, 0x6FB7, NULL, 0, {0x6F, 0x06, 0x01},
		 sizeof(ecc), NULL, 0, ecc, sizeof(ecc), 0},
	};

	/* ---- the package, last element first ---- */
	sf_der_writer_init(&w, dst, dst_len);
	size_t m, m2, m3;

	/* end */
	m = sf_der_writer_mark(&w);
	wr_peheader(&w, 6);
	sf_der_write_wrap(&w, m, 0xAA);

	/* akaParameter: aka-header, algoConfiguration [1] { algoParameter [1] {
	 * algorithmID, algorithmOptions, key, opc } }; the SQN knobs keep their
	 * module DEFAULTs (not encoded). */
	m = sf_der_writer_mark(&w);
	m2 = sf_der_writer_mark(&w);
	m3 = sf_der_writer_mark(&w);
	if (prm->opc)
		sf_der_write_octets(&w, 0x83, prm->opc, prm->opc_len);
	else
		sf_der_write_octets(&w, 0x83, opc_zero, sizeof(opc_zero));
	sf_der_write_octets(&w, 0x82, prm->k, prm->k_len);
	/* algorithmOptions: '02'H for the test algorithm as in TS.48, '00'H
	 * otherwise; the bit meanings are not in the module. */
	uint8_t aopt = prm->algorithm == SF_SAIP_ALG_TEST ? 0x02 : 0x00;
	sf_der_write_octets(&w, 0x81, &aopt, 1);
	sf_der_write_uint64(&w, 0x80, (uint64_t)prm->algorithm);
	sf_der_write_wrap(&w, m3, 0xA1);
	sf_der_write_wrap(&w, m2, 0xA1);
	wr_peheader(&w, 5);
	sf_der_write_wrap(&w, m, 0xA4);

	/* usim */
	wr_template_pe(&w, SF_SAIP_PE_USIM, 4, oid_usim, sizeof(oid_usim), usim_files,
		       sizeof(usim_files) / sizeof(usim_files[0]));

	/* pinCodes (MF context: global PINs): pinAppl1 unblocked by pukAppl1,
	 * adm1.  pinAttributes: 7 (the DEFAULT) for an enabled PIN1, 6 for a
	 * disabled one, as the TS.48 profiles code their disabled PIN1;
	 * ADM1 3 with 10 attempts ('AA'H). */
	m = sf_der_writer_mark(&w);
	m2 = sf_der_writer_mark(&w);
	m3 = sf_der_writer_mark(&w);
	{
		size_t mc = sf_der_writer_mark(&w);
		sf_der_write_uint64(&w, 0x84, 0xAA);
		sf_der_write_uint64(&w, 0x83, 3);
		sf_der_write_octets(&w, 0x81, adm1, 8);
		sf_der_write_uint64(&w, 0x80, 10);
		sf_der_write_wrap(&w, mc, SF_DER_SEQUENCE);
		mc = sf_der_writer_mark(&w);
		if (!prm->pin1)
			sf_der_write_uint64(&w, 0x83, 6);
		sf_der_write_uint64(&w, 0x82, 1);
		sf_der_write_octets(&w, 0x81, pin1, 8);
		sf_der_write_uint64(&w, 0x80, 1);
		sf_der_write_wrap(&w, mc, SF_DER_SEQUENCE);
	}
	sf_der_write_wrap(&w, m3, 0xA0); /* pinconfig */
	sf_der_write_wrap(&w, m2, 0xA1); /* pinCodes CHOICE */
	wr_peheader(&w, 3);
	sf_der_write_wrap(&w, m, 0xA2);

	/* pukCodes: pukAppl1, DEFAULT 10 attempts */
	m = sf_der_writer_mark(&w);
	m2 = sf_der_writer_mark(&w);
	{
		size_t mc = sf_der_writer_mark(&w);
		sf_der_write_octets(&w, 0x81, puk1, 8);
		sf_der_write_uint64(&w, 0x80, 1);
		sf_der_write_wrap(&w, mc, SF_DER_SEQUENCE);
	}
	sf_der_write_wrap(&w, m2, 0xA1);
	wr_peheader(&w, 2);
	sf_der_write_wrap(&w, m, 0xA3);

	/* mf */
	wr_template_pe(&w, SF_SAIP_PE_MF, 1, oid_mf, sizeof(oid_mf), mf_files,
		       sizeof(mf_files) / sizeof(mf_files[0]));

	/* header: version 2.3 (the SAIP version the TS.48 v7 profiles declare,
	 * which every eUICC in the field accepts; nothing here needs 3.x). */
	m = sf_der_writer_mark(&w);
	m2 = sf_der_writer_mark(&w);
	sf_der_write_oid(&w, SF_DER_OID, oid_usim, sizeof(oid_usim));
	sf_der_write_oid(&w, SF_DER_OID, oid_mf, sizeof(oid_mf));
	sf_der_write_wrap(&w, m2, 0xA6);
	m2 = sf_der_writer_mark(&w);
	if (prm->algorithm == SF_SAIP_ALG_TEST)
		sf_der_write_null(&w, 0x91); /* usim-test-algorithm [17] */
	if (prm->algorithm == SF_SAIP_ALG_TUAK && prm->k_len == 32)
		sf_der_write_null(&w, 0x90); /* tuak256 [16] */
	if (prm->algorithm == SF_SAIP_ALG_TUAK && prm->k_len == 16)
		sf_der_write_null(&w, 0x85); /* tuak128 [5] */
	if (prm->algorithm == SF_SAIP_ALG_MILENAGE)
		sf_der_write_null(&w, 0x84); /* milenage [4] */
	sf_der_write_null(&w, 0x81);         /* usim [1] */
	sf_der_write_wrap(&w, m2, 0xA5);
	sf_der_write_octets(&w, 0x83, iccid_hdr, 10);
	static const char ptype[] = "simfleet USIM profile";
	sf_der_write_string(&w, 0x82, SF_DER_UTF8_STRING, ptype, sizeof(ptype) - 1);
	sf_der_write_uint64(&w, 0x81, 3);
	sf_der_write_uint64(&w, 0x80, 2);
	sf_der_write_wrap(&w, m, 0xA0);

	rc = sf_der_writer_finish(&w, out_len);
	if (rc && rc != SF_EBUFSIZE)
		sf__saip_fail(err, rc, NULL, "internal encoding error");
	else if (rc)
		sf__saip_fail(err, rc, NULL, NULL);

	/* Wipe the stack copies of secrets (K and OPc only pass through dst). */
	sf_wipe(pin1, sizeof(pin1));
	sf_wipe(puk1, sizeof(puk1));
	sf_wipe(adm1, sizeof(adm1));
	/* A failed write may have left partial output in dst: clear it so no
	 * fragment of a key stays behind in a buffer the caller discards. */
	if (rc && dst)
		sf_wipe(dst, dst_len);
	return rc;
}
