/*
 * SAIP file structure templates: the DEFAULT FCP values of the template
 * files, and the default contents of the files a "Created by Default"
 * template creates without the PE listing them.
 *
 * Source: SIMalliance/TCA eUICC Profile Package: Interoperable Format
 * Technical Specification, Annex A "File Structure Templates Definition"
 * (transcribed from public secondary sources: the annex itself is not in the
 * ASN.1 module), cross-checked against ETSI TS 102 221 §13 (MF files) and
 * 3GPP TS 31.102 §4.2 (USIM), TS 31.103 §4.2 (ISIM) for FIDs and SFIs.
 * The secondary source for DF_CD, DF_EAP, DF_SNPN, DF_5G_ProSe and the
 * default contents is osmocom/pysim pySim/esim/saip/templates.py (its
 * transcription of Annex A §9.3, §9.5.1, §9.5.13, §9.5.14, §9.6.1, §9.8 of
 * SAIP v3.3.1); the DF_EAP file identifiers are those of ETSI TS 102 310.
 *
 * Coverage (see docs/saip.md "Installing"): MF {2 23 143 1 2 1}, DF_CD .2,
 * DF_TELECOM .3 (EFs at its root, DF_GRAPHICS, DF_PHONEBOOK, DF_MMSS),
 * ADF_USIM .4, optional USIM .5, DF_PHONEBOOK under ADF_USIM .6,
 * DF_GSM-ACCESS .7, ADF_ISIM .8, optional ISIM .9, ADF_CSIM .10 and the
 * optional CSIM template .11 (root only: no public transcription of the
 * CSIM annex was found, its files must carry fileID, fileDescriptor,
 * securityAttributesReferenced and, where the profile needs a size,
 * efFileSize or content), DF_EAP .12, DF_5GS .13, DF_SAIP .14, DF_SNPN .15,
 * DF_5G_ProSe .16, and the versions {2 23 143 1 2 n v} pySim transcribes
 * from SAIP v3.3.1: .3.2, .4.2, .5.2, .5.3, .9.2, .13.2 .. .13.4 (and
 * .10.2, .11.2, root only).  The IoT Minimal Profile templates (.17 iot,
 * .18 opt-iot) have no table: no public transcription of them was found
 * (pySim's oid.py names their OIDs only), sf__saip_template_why says so.
 * Where a secondary source and the 3GPP/ETSI spec disagree on an FID
 * (EF_ICCID 2FE2, DF_TELECOM 7F10, DF_5GS 5FC0, DF_SAIP 5FD0) the spec wins.
 */
#include <string.h>

#include "install_internal.h"

#define MF SF__SAIP_T_MF
#define DF SF__SAIP_T_DF
#define ADF SF__SAIP_T_ADF
#define TR SF__SAIP_T_TR
#define LF SF__SAIP_T_LF
#define CY SF__SAIP_T_CY
#define BT SF__SAIP_T_BT
#define NONE SF__SAIP_SFI_NONE
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Annex A §9.2: files at the MF (created by default). */
static const struct sf__saip_tfile t_mf[] = {
    {"mf", 0x3F00, MF, NONE, 0, 0, 14},        {"ef-pl", 0x2F05, TR, 0x05, 2, 0, 1},
    {"ef-iccid", 0x2FE2, TR, 0x02, 10, 0, 11}, {"ef-dir", 0x2F00, LF, 0x1E, 0, 0, 10},
    {"ef-arr", 0x2F06, LF, 0x06, 0, 0, 10},    {"ef-umpc", 0x2F08, TR, 0x08, 5, 0, 10},
};

/* §9.3: DF_CD (not created by default).  EF_LAUNCHPAD and the EF_ICONs
 * (6F40..6F7E, one ef-icon field per PE: its fileID is required) take
 * their size from the profile. */
static const struct sf__saip_tfile t_cd[] = {
    {"df-cd", 0x7F11, DF, NONE, 0, 0, 14},
    {"ef-launchpad", 0x6F01, TR, NONE, 0, 0, 2},
    {"ef-icon", 0, TR, NONE, 0, 0, 2},
};

/* §9.4: DF_TELECOM.  Sub-DFs are children of DF_TELECOM; an EF belongs to
 * the DF listed last before it. */
#define TELECOM_FILES                                                                              \
	{"df-telecom", 0x7F10, DF, NONE, 0, 0, 14}, {"ef-arr", 0x6F06, LF, NONE, 0, 0, 10},        \
	    {"ef-rma", 0x6F53, LF, NONE, 0, 0, 3}, {"ef-sume", 0x6F54, TR, NONE, 22, 0, 3},        \
	    {"ef-ice-dn", 0x6FE0, LF, NONE, 24, 50, 9}, {"ef-ice-ff", 0x6FE1, LF, NONE, 0, 0, 9},  \
	    {"ef-psismsc", 0x6FE5, LF, NONE, 0, 0, 5},                                             \
	    {"df-graphics", 0x5F50, DF, NONE, 0, 0, 14}, {"ef-img", 0x4F20, LF, NONE, 0, 0, 2},    \
	    {"ef-launch-scws", 0x4F01, TR, NONE, 0, 0, 10},                                        \
	    {"df-phonebook", 0x5F3A, DF, NONE, 0, 0, 14}, {"ef-pbr", 0x4F30, LF, NONE, 0, 0, 2},   \
	    {"ef-psc", 0x4F22, TR, NONE, 4, 0, 5}, {"ef-cc", 0x4F23, TR, NONE, 2, 0, 5},           \
	    {"ef-puid", 0x4F24, TR, NONE, 2, 0, 5}, {"df-multimedia", 0x5F3B, DF, NONE, 0, 0, 14}, \
	    {"df-mmss", 0x5F3C, DF, NONE, 0, 0, 14}, {"ef-mlpl", 0x4F20, TR, 0x01, 0, 0, 2},       \
	    {"ef-mspl", 0x4F21, TR, 0x02, 0, 0, 2},

static const struct sf__saip_tfile t_telecom[] = {TELECOM_FILES};
/* version 2 {2 23 143 1 2 3 2} (SAIP v3.1 §9.4): plus DF_MCS 5F3D and DF_V2X
 * 5F3E with their EFs (pySim FilesTelecomV2). */
static const struct sf__saip_tfile t_telecom_v2[] = {
    TELECOM_FILES{"df-mcs", 0x5F3D, DF, NONE, 0, 0, 14},
    {"ef-mst", 0x4F01, TR, 0x01, 0, 0, 2},
    {"ef-mcs-config", 0x4F02, BT, 0x02, 0, 0, 2},
    {"df-v2x", 0x5F3E, DF, NONE, 0, 0, 14},
    {"ef-vst", 0x4F01, TR, 0x01, 0, 0, 2},
    {"ef-v2x-config", 0x4F02, BT, 0x02, 0, 0, 2},
    {"ef-v2xp-pc5", 0x4F03, TR, NONE, 0, 0, 2},
    {"ef-v2xp-Uu", 0x4F04, TR, NONE, 0, 0, 2},
};

/* §9.5.1: ADF_USIM (created by default).  Version 2 {2 23 143 1 2 4 2}
 * (SAIP v3.1 and later) differs only in the size of EF_UST: 17 octets
 * instead of 14 (pySim FilesUsimMandatoryV2). */
#define USIM_FILES(ust)                                                                            \
	{"adf-usim", 0, ADF, NONE, 0, 0, 14}, {"ef-imsi", 0x6F07, TR, 0x07, 9, 0, 2},              \
	    {"ef-arr", 0x6F06, LF, 0x17, 0, 0, 10}, {"ef-keys", 0x6F08, TR, 0x08, 33, 0, 5},       \
	    {"ef-keysPS", 0x6F09, TR, 0x09, 33, 0, 5}, {"ef-hpplmn", 0x6F31, TR, 0x12, 1, 0, 2},   \
	    {"ef-ust", 0x6F38, TR, 0x04, ust, 0, 2}, {"ef-fdn", 0x6F3B, LF, NONE, 26, 20, 8},      \
	    {"ef-sms", 0x6F3C, LF, NONE, 176, 10, 5}, {"ef-smsp", 0x6F42, LF, NONE, 38, 1, 5},     \
	    {"ef-smss", 0x6F43, TR, NONE, 2, 0, 5}, {"ef-spn", 0x6F46, TR, NONE, 17, 0, 10},       \
	    {"ef-est", 0x6F56, TR, 0x05, 1, 0, 8}, {"ef-start-hfn", 0x6F5B, TR, 0x0F, 6, 0, 5},    \
	    {"ef-threshold", 0x6F5C, TR, 0x10, 3, 0, 2},                                           \
	    {"ef-psloci", 0x6F73, TR, 0x0C, 14, 0, 5}, {"ef-acc", 0x6F78, TR, 0x06, 2, 0, 2},      \
	    {"ef-fplmn", 0x6F7B, TR, 0x0D, 12, 0, 5}, {"ef-loci", 0x6F7E, TR, 0x0B, 11, 0, 5},     \
	    {"ef-ad", 0x6FAD, TR, 0x03, 4, 0, 10}, {"ef-ecc", 0x6FB7, LF, 0x01, 4, 1, 10},         \
	    {"ef-netpar", 0x6FC4, TR, NONE, 128, 0, 5},                                            \
	    {"ef-epsloci", 0x6FE3, TR, 0x1E, 18, 0, 5}, {"ef-epsnsc", 0x6FE4, LF, 0x18, 80, 1, 5},

static const struct sf__saip_tfile t_usim[] = {USIM_FILES(14)};
static const struct sf__saip_tfile t_usim_v2[] = {USIM_FILES(17)};

/* §9.5.2: optional USIM files (not created by default: only those listed). */
#define OPT_USIM_FILES                                                                             \
	{"ef-li", 0x6F05, TR, 0x02, 6, 0, 1}, {"ef-acmax", 0x6F37, TR, NONE, 3, 0, 5},             \
	    {"ef-acm", 0x6F39, CY, NONE, 3, 1, 7}, {"ef-gid1", 0x6F3E, TR, NONE, 8, 0, 2},         \
	    {"ef-gid2", 0x6F3F, TR, NONE, 8, 0, 2}, {"ef-msisdn", 0x6F40, LF, NONE, 24, 1, 2},     \
	    {"ef-puct", 0x6F41, TR, NONE, 5, 0, 5}, {"ef-cbmi", 0x6F45, TR, NONE, 10, 0, 5},       \
	    {"ef-cbmid", 0x6F48, TR, 0x0E, 10, 0, 2}, {"ef-sdn", 0x6F49, LF, NONE, 24, 10, 2},     \
	    {"ef-ext2", 0x6F4B, LF, NONE, 13, 10, 8}, {"ef-ext3", 0x6F4C, LF, NONE, 13, 10, 2},    \
	    {"ef-cbmir", 0x6F50, TR, NONE, 20, 0, 5}, {"ef-plmnwact", 0x6F60, TR, 0x0A, 40, 0, 5}, \
	    {"ef-oplmnwact", 0x6F61, TR, 0x11, 40, 0, 2},                                          \
	    {"ef-hplmnwact", 0x6F62, TR, 0x13, 5, 0, 2}, {"ef-dck", 0x6F2C, TR, NONE, 16, 0, 5},   \
	    {"ef-cnl", 0x6F32, TR, NONE, 30, 0, 2}, {"ef-smsr", 0x6F47, LF, NONE, 30, 10, 5},      \
	    {"ef-bdn", 0x6F4D, LF, NONE, 25, 10, 8}, {"ef-ext5", 0x6F4E, LF, NONE, 13, 10, 5},     \
	    {"ef-ccp2", 0x6F4F, LF, 0x16, 15, 5, 5}, {"ef-ext4", 0x6F55, LF, NONE, 13, 10, 8},     \
	    {"ef-acl", 0x6F57, TR, NONE, 101, 0, 8}, {"ef-cmi", 0x6F58, LF, NONE, 11, 10, 2},      \
	    {"ef-ici", 0x6F80, CY, 0x14, 38, 20, 5}, {"ef-oci", 0x6F81, CY, 0x15, 37, 20, 5},      \
	    {"ef-ict", 0x6F82, CY, NONE, 3, 1, 7}, {"ef-oct", 0x6F83, CY, NONE, 3, 1, 7},          \
	    {"ef-vgcs", 0x6FB1, TR, NONE, 20, 0, 2}, {"ef-vgcss", 0x6FB2, TR, NONE, 7, 0, 5},      \
	    {"ef-vbs", 0x6FB3, TR, NONE, 20, 0, 2}, {"ef-vbss", 0x6FB4, TR, NONE, 7, 0, 5},        \
	    {"ef-emlpp", 0x6FB5, TR, NONE, 2, 0, 2}, {"ef-aaem", 0x6FB6, TR, NONE, 1, 0, 5},       \
	    {"ef-hiddenkey", 0x6FC3, TR, NONE, 4, 0, 5}, {"ef-pnn", 0x6FC5, LF, 0x19, 16, 10, 10}, \
	    {"ef-opl", 0x6FC6, LF, 0x1A, 8, 5, 10}, {"ef-mbdn", 0x6FC7, LF, NONE, 24, 3, 5},       \
	    {"ef-ext6", 0x6FC8, LF, NONE, 13, 10, 5}, {"ef-mbi", 0x6FC9, LF, NONE, 5, 10, 5},      \
	    {"ef-mwis", 0x6FCA, LF, NONE, 6, 10, 5}, {"ef-cfis", 0x6FCB, LF, NONE, 16, 10, 5},     \
	    {"ef-spdi", 0x6FCD, TR, 0x1B, 17, 0, 2}, {"ef-mmsn", 0x6FCE, LF, NONE, 6, 10, 5},      \
	    {"ef-ext8", 0x6FCF, LF, NONE, 13, 10, 5}, {"ef-mmsicp", 0x6FD0, TR, NONE, 100, 0, 2},  \
	    {"ef-mmsup", 0x6FD1, LF, NONE, 0, 0, 5}, {"ef-mmsucp", 0x6FD2, TR, NONE, 100, 0, 5},   \
	    {"ef-nia", 0x6FD3, LF, NONE, 11, 5, 2}, {"ef-vgcsca", 0x6FD4, TR, NONE, 0, 0, 2},      \
	    {"ef-vbsca", 0x6FD5, TR, NONE, 0, 0, 2}, {"ef-gbabp", 0x6FD6, TR, NONE, 0, 0, 5},      \
	    {"ef-msk", 0x6FD7, LF, NONE, 0, 0, 2}, {"ef-muk", 0x6FD8, LF, NONE, 0, 0, 2},          \
	    {"ef-ehplmn", 0x6FD9, TR, 0x1D, 15, 0, 2}, {"ef-gbanl", 0x6FDA, LF, NONE, 0, 0, 2},    \
	    {"ef-ehplmnpi", 0x6FDB, TR, NONE, 1, 0, 2},                                            \
	    {"ef-lrplmnsi", 0x6FDC, TR, NONE, 1, 0, 2}, {"ef-nafkca", 0x6FDD, LF, NONE, 0, 0, 2},  \
	    {"ef-nasconfig", 0x6FE8, TR, NONE, 18, 0, 2},                                          \
	    {"ef-fdnuri", 0x6FED, LF, NONE, 0, 0, 8}, {"ef-bdnuri", 0x6FEE, LF, NONE, 0, 0, 8},    \
	    {"ef-sdnuri", 0x6FEF, LF, NONE, 0, 0, 2},

/* Files of the optional USIM template in pySim's v1 table (SAIP v2.3.1
 * §9.5.2) that the first transcription here left out. */
#define OPT_USIM_FILES_V1_MORE                                                                     \
	{"ef-spni", 0x6FDE, TR, NONE, 0, 0, 10}, {"ef-pnni", 0x6FDF, LF, NONE, 0, 0, 10},          \
	    {"ef-ncp-ip", 0x6FE2, LF, NONE, 0, 0, 2}, {"ef-ufc", 0x6FE6, TR, NONE, 30, 0, 10},     \
	    {"ef-uicciari", 0x6FE7, LF, NONE, 0, 0, 2}, {"ef-pws", 0x6FEC, TR, NONE, 0, 0, 10},    \
	    {"ef-ial", 0x6FF0, LF, NONE, 0, 0, 3}, {"ef-ips", 0x6FF1, CY, NONE, 4, 0, 10},         \
	    {"ef-ipd", 0x6FF2, LF, NONE, 0, 0, 3},

/* §9.5.2 version 2 {2 23 143 1 2 5 2} (SAIP v3.1): version 1 plus the ePDG,
 * IMS, PS data off, XCAP, EARFCN and MuD/MiD files (pySim
 * FilesUsimOptionalV2).
 * EF_MudMidCfgData: pySim gives 6FFD, the FID of EF_EARFCNList, so its FID
 * is left to the profile [U]. */
#define OPT_USIM_FILES_V2_MORE                                                                     \
	{"ef-epdgid", 0x6FF3, TR, NONE, 0, 0, 2}, {"ef-epdgselection", 0x6FF4, TR, NONE, 0, 0, 2}, \
	    {"ef-epdgidem", 0x6FF5, TR, NONE, 0, 0, 2},                                            \
	    {"ef-epdgselectionem", 0x6FF6, TR, NONE, 0, 0, 2},                                     \
	    {"ef-frompreferred", 0x6FF7, TR, NONE, 1, 0, 2},                                       \
	    {"ef-imsconfigdata", 0x6FF8, BT, NONE, 0, 0, 2},                                       \
	    {"ef-3gpppsdataoff", 0x6FF9, TR, NONE, 4, 0, 2},                                       \
	    {"ef-3gpppsdataoffservicelist", 0x6FFA, LF, NONE, 0, 0, 2},                            \
	    {"ef-xcapconfigdata", 0x6FFC, BT, NONE, 0, 0, 2},                                      \
	    {"ef-earfcnlist", 0x6FFD, TR, NONE, 0, 0, 10},                                         \
	    {"ef-mudmidconfigdata", 0, BT, NONE, 0, 0, 2},

static const struct sf__saip_tfile t_opt_usim[] = {OPT_USIM_FILES OPT_USIM_FILES_V1_MORE};
static const struct sf__saip_tfile t_opt_usim_v2[] = {
    OPT_USIM_FILES OPT_USIM_FILES_V1_MORE OPT_USIM_FILES_V2_MORE};
/* version 3 {2 23 143 1 2 5 3} (SAIP v3.3.1 §9.5.2.3): version 2 plus EF_eAKA
 * 6F01 (pySim FilesUsimOptionalV3). */
static const struct sf__saip_tfile t_opt_usim_v3[] = {
    OPT_USIM_FILES OPT_USIM_FILES_V1_MORE OPT_USIM_FILES_V2_MORE{"ef-eaka", 0x6F01, TR, NONE, 1, 0,
                                                                 3}};

/* §9.5.3: DF_PHONEBOOK under ADF_USIM (root and the fixed-FID EFs). */
static const struct sf__saip_tfile t_usim_pb[] = {
    {"df-phonebook", 0x5F3A, DF, NONE, 0, 0, 14}, {"ef-pbr", 0x4F30, LF, NONE, 0, 0, 2},
    {"ef-psc", 0x4F22, TR, NONE, 4, 0, 5},        {"ef-cc", 0x4F23, TR, NONE, 2, 0, 5},
    {"ef-puid", 0x4F24, TR, NONE, 2, 0, 5},
};

/* §9.5.4: DF_GSM-ACCESS under ADF_USIM (TS 31.102 §4.4.3). */
static const struct sf__saip_tfile t_gsm_access[] = {
    {"df-gsm-access", 0x5F3B, DF, NONE, 0, 0, 14}, {"ef-kc", 0x4F20, TR, 0x01, 9, 0, 5},
    {"ef-kcgprs", 0x4F52, TR, 0x02, 9, 0, 5},      {"ef-cpbcch", 0x4F63, TR, NONE, 10, 0, 5},
    {"ef-invscan", 0x4F64, TR, NONE, 1, 0, 2},
};

/* §9.6.1: ADF_ISIM (created by default; TS 31.103 §4.2). */
static const struct sf__saip_tfile t_isim[] = {
    {"adf-isim", 0, ADF, NONE, 0, 0, 14},   {"ef-impi", 0x6F02, TR, 0x02, 0, 0, 2},
    {"ef-impu", 0x6F04, LF, 0x04, 0, 1, 2}, {"ef-domain", 0x6F03, TR, 0x05, 0, 0, 2},
    {"ef-ist", 0x6F07, TR, 0x07, 14, 0, 2}, {"ef-ad", 0x6FAD, TR, 0x03, 3, 0, 10},
    {"ef-arr", 0x6F06, LF, 0x06, 0, 0, 10},
};

/* §9.6.2: optional ISIM files. */
#define OPT_ISIM_FILES                                                                             \
	{"ef-pcscf", 0x6F09, LF, NONE, 0, 1, 2}, {"ef-sms", 0x6F3C, LF, NONE, 176, 10, 5},         \
	    {"ef-smsp", 0x6F42, LF, NONE, 38, 1, 5}, {"ef-smss", 0x6F43, TR, NONE, 2, 0, 5},       \
	    {"ef-smsr", 0x6F47, LF, NONE, 30, 10, 5}, {"ef-gbabp", 0x6FD5, TR, NONE, 0, 0, 5},     \
	    {"ef-gbanl", 0x6FD7, LF, NONE, 0, 0, 2}, {"ef-nafkca", 0x6FDD, LF, NONE, 0, 0, 2},     \
	    {"ef-uicciari", 0x6FE7, LF, NONE, 0, 0, 2},

static const struct sf__saip_tfile t_opt_isim[] = {OPT_ISIM_FILES};
/* version 2 {2 23 143 1 2 9 2} (SAIP v3.1): plus EF_FromPreferred,
 * EF_IMSConfigData, EF_XCAPConfigData, EF_WebRTCURI (pySim
 * FilesIsimOptionalv2); EF_MuDMiDConfigData: pySim gives 6FFA, the FID of
 * EF_WebRTCURI, so its FID is left to the profile [U]. */
static const struct sf__saip_tfile t_opt_isim_v2[] = {
    OPT_ISIM_FILES{"ef-frompreferred", 0x6FF7, TR, NONE, 1, 0, 2},
    {"ef-imsconfigdata", 0x6FF8, BT, NONE, 0, 0, 2},
    {"ef-xcapconfigdata", 0x6FFC, BT, NONE, 0, 0, 2},
    {"ef-webrtcuri", 0x6FFA, LF, NONE, 0, 0, 2},
    {"ef-mudmidconfigdata", 0, BT, NONE, 0, 0, 2},
};

/* §9.7: ADF_CSIM (root only, see the file comment). */
static const struct sf__saip_tfile t_csim[] = {
    {"adf-csim", 0, ADF, NONE, 0, 0, 14},
};

/* §9.8: DF_EAP (not created by default; ETSI TS 102 310 for the FIDs).
 * The DF's FID is given by the profile.  Placed under the ADF of the last
 * application PE before it [U: the annex names no parent]. */
static const struct sf__saip_tfile t_eap[] = {
    {"df-eap", 0, DF, NONE, 0, 0, 14},           {"ef-eapkeys", 0x4F01, TR, NONE, 0, 0, 2},
    {"ef-eapstatus", 0x4F02, TR, NONE, 1, 0, 2}, {"ef-puid", 0x4F03, TR, NONE, 0, 0, 2},
    {"ef-ps", 0x4F04, TR, NONE, 0, 0, 5},        {"ef-curid", 0x4F20, TR, NONE, 0, 0, 5},
    {"ef-reid", 0x4F21, TR, NONE, 0, 0, 5},      {"ef-realm", 0x4F22, TR, NONE, 0, 0, 5},
};

/* §9.5.13: DF_SNPN under ADF_USIM (TS 31.102 DF_SNPN 5FE0). */
static const struct sf__saip_tfile t_df_snpn[] = {
    {"df-df-snpn", 0x5FE0, DF, NONE, 0, 0, 14},
    {"ef-pws-snpn", 0x4F01, TR, NONE, 1, 0, 10},
};

/* §9.5.14: DF_5G_ProSe under ADF_USIM (TS 31.102 DF_5G_ProSe 5FF0). */
static const struct sf__saip_tfile t_df_5gprose[] = {
    {"df-df-5g-prose", 0x5FF0, DF, NONE, 0, 0, 14},
    {"ef-5g-prose-st", 0x4F01, TR, 0x01, 1, 0, 2},
    {"ef-5g-prose-dd", 0x4F02, TR, 0x02, 26, 0, 2},
    {"ef-5g-prose-dc", 0x4F03, TR, 0x03, 12, 0, 2},
    {"ef-5g-prose-u2nru", 0x4F04, TR, 0x04, 32, 0, 2},
    {"ef-5g-prose-ru", 0x4F05, TR, 0x05, 29, 0, 2},
    {"ef-5g-prose-uir", 0x4F06, TR, 0x06, 32, 0, 2},
};

/* §9.5.11: DF_5GS under ADF_USIM (TS 31.102 §4.4.11). */
#define DF_5GS_FILES(nsc, nscrec)                                                                  \
	{"df-df-5gs", 0x5FC0, DF, NONE, 0, 0, 14}, {"ef-5gs3gpploci", 0x4F01, TR, 0x01, 20, 0, 5}, \
	    {"ef-5gsn3gpploci", 0x4F02, TR, 0x02, 20, 0, 5},                                       \
	    {"ef-5gs3gppnsc", 0x4F03, LF, 0x03, nsc, nscrec, 5},                                   \
	    {"ef-5gsn3gppnsc", 0x4F04, LF, 0x04, nsc, nscrec, 5},                                  \
	    {"ef-5gauthkeys", 0x4F05, TR, 0x05, 110, 0, 5},                                        \
	    {"ef-uac-aic", 0x4F06, TR, 0x06, 4, 0, 2},                                             \
	    {"ef-suci-calc-info", 0x4F07, TR, 0x07, 0, 0, 2},                                      \
	    {"ef-opl5g", 0x4F08, LF, 0x08, 10, 0, 10}, {"ef-supinai", 0x4F09, TR, 0x09, 0, 0, 2},  \
	    {"ef-routing-indicator", 0x4F0A, TR, 0x0A, 4, 0, 2},

/* version 2 {2 23 143 1 2 13 2} (SAIP v3.1 §9.5.11.2): plus EF_URSP 4F0B
 * (BER-TLV) and EF_TN3GPPSNN 4F0C; version 3 (.13.3, §9.5.11.3): the NSC
 * files hold 2 records of 62 octets; version 4 (.13.4, SAIP v3.3.1
 * §9.5.11.4): plus EF_CAG .. EF_KAUSF_DERIVATION (pySim FilesUsimDf5GSv2..v4,
 * FIDs and SFIs as pySim gives them). */
#define DF_5GS_V2_MORE                                                                             \
	{"ef-ursp", 0x4F0B, BT, NONE, 0, 0, 2}, {"ef-tn3gppsnn", 0x4F0C, TR, 0x0C, 1, 0, 2},
#define DF_5GS_V4_MORE                                                                             \
	{"ef-cag", 0x4F0D, TR, 0x0D, 2, 0, 2}, {"ef-sor-cmci", 0x4F0E, TR, 0x0E, 0, 0, 2},         \
	    {"ef-dri", 0x4F0F, TR, 0x0F, 7, 0, 2}, {"ef-5gsedrx", 0x4F10, TR, 0x10, 2, 0, 2},      \
	    {"ef-5gnswo-conf", 0x4F11, TR, 0x11, 1, 0, 2},                                         \
	    {"ef-mchpplmn", 0x4F15, TR, 0x15, 1, 0, 2},                                            \
	    {"ef-kausf-derivation", 0x4F16, TR, 0x16, 1, 0, 2},

static const struct sf__saip_tfile t_df_5gs[] = {DF_5GS_FILES(57, 1)};
static const struct sf__saip_tfile t_df_5gs_v2[] = {DF_5GS_FILES(57, 1) DF_5GS_V2_MORE};
static const struct sf__saip_tfile t_df_5gs_v3[] = {DF_5GS_FILES(62, 2) DF_5GS_V2_MORE};
static const struct sf__saip_tfile t_df_5gs_v4[] = {DF_5GS_FILES(62, 2)
                                                        DF_5GS_V2_MORE DF_5GS_V4_MORE};

/* §9.5.12: DF_SAIP under ADF_USIM. */
static const struct sf__saip_tfile t_df_saip[] = {
    {"df-df-saip", 0x5FD0, DF, NONE, 0, 0, 14},
    {"ef-suci-calc-info-usim", 0x4F01, TR, NONE, 0, 0, 3},
};

/* Default contents (Annex A "default value" column) of the files of the
 * "Created by Default" templates that their PE may leave out, and of the
 * DF_EAP files that have one.  Files without an entry are FF-filled. */
static const struct sf__saip_tdefault d_mf[] = {
    {"ef-pl", "FF...FF"},
};

static const struct sf__saip_tdefault d_usim[] = {
    {"ef-keys", "07FF...FF"},
    {"ef-keysPS", "07FF...FF"},
    {"ef-hpplmn", "0A"},
    {"ef-fdn", "FF...FF"},
    {"ef-sms", "00FF...FF"},
    {"ef-smsp", "FF...FF"},
    {"ef-smss", "FFFF"},
    {"ef-start-hfn", "F00000F00000"},
    {"ef-threshold", "FFFFFF"},
    {"ef-psloci", "FFFFFFFFFFFFFFFFFFFF0000FF01"},
    {"ef-fplmn", "FF...FF"},
    {"ef-loci", "FFFFFFFFFFFFFF0000FF01"},
    {"ef-ad", "00000002"},
    {"ef-netpar", "FF...FF"},
    {"ef-epsloci", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFF000001"},
    {"ef-epsnsc", "FF...FF"},
};

static const struct sf__saip_tdefault d_isim[] = {
    {"ef-ad", "000000"},
};

static const struct sf__saip_tdefault d_eap[] = {
    {"ef-eapstatus", "00"},
    {"ef-ps", "FF...FF"},
    {"ef-curid", "FF...FF"},
};

#define T(f) f, N(f)
#define D(d) d, N(d)
#define NODEF NULL, 0
/* {oid_last, version, ...}: version 1 is the OID without a version arc. */
static const struct sf__saip_template templates[] = {
    {1, 1, "MF", SF__SAIP_P_NONE, 1, T(t_mf), D(d_mf)},
    {2, 1, "DF.CD", SF__SAIP_P_MF, 0, T(t_cd), NODEF},
    {3, 1, "DF.TELECOM", SF__SAIP_P_MF, 0, T(t_telecom), NODEF},
    {3, 2, "DF.TELECOM v2", SF__SAIP_P_MF, 0, T(t_telecom_v2), NODEF},
    {4, 1, "ADF.USIM", SF__SAIP_P_MF, 1, T(t_usim), D(d_usim)},
    {4, 2, "ADF.USIM v2", SF__SAIP_P_MF, 1, T(t_usim_v2), D(d_usim)},
    {5, 1, "ADF.USIM optional", SF__SAIP_P_USIM, 0, T(t_opt_usim), NODEF},
    {5, 2, "ADF.USIM optional v2", SF__SAIP_P_USIM, 0, T(t_opt_usim_v2), NODEF},
    {5, 3, "ADF.USIM optional v3", SF__SAIP_P_USIM, 0, T(t_opt_usim_v3), NODEF},
    {6, 1, "DF.PHONEBOOK (USIM)", SF__SAIP_P_USIM, 0, T(t_usim_pb), NODEF},
    {7, 1, "DF.GSM-ACCESS", SF__SAIP_P_USIM, 0, T(t_gsm_access), NODEF},
    {8, 1, "ADF.ISIM", SF__SAIP_P_MF, 1, T(t_isim), D(d_isim)},
    {9, 1, "ADF.ISIM optional", SF__SAIP_P_ISIM, 0, T(t_opt_isim), NODEF},
    {9, 2, "ADF.ISIM optional v2", SF__SAIP_P_ISIM, 0, T(t_opt_isim_v2), NODEF},
    /* CSIM, both versions: the root only (see the file comment); the
     * version 2 OIDs {.. 10 2} {.. 11 2} are those of pySim's oid.py, the
     * PE-CSIM / PE-OPT-CSIM types are the same for both [U] */
    {10, 1, "ADF.CSIM", SF__SAIP_P_MF, 1, T(t_csim), NODEF},
    {10, 2, "ADF.CSIM v2", SF__SAIP_P_MF, 1, T(t_csim), NODEF},
    {11, 1, "ADF.CSIM optional", SF__SAIP_P_CSIM, 0, NULL, 0, NODEF},
    {11, 2, "ADF.CSIM optional v2", SF__SAIP_P_CSIM, 0, NULL, 0, NODEF},
    {12, 1, "DF.EAP", SF__SAIP_P_APP, 0, T(t_eap), D(d_eap)},
    {13, 1, "DF.5GS", SF__SAIP_P_USIM, 0, T(t_df_5gs), NODEF},
    {13, 2, "DF.5GS v2", SF__SAIP_P_USIM, 0, T(t_df_5gs_v2), NODEF},
    {13, 3, "DF.5GS v3", SF__SAIP_P_USIM, 0, T(t_df_5gs_v3), NODEF},
    {13, 4, "DF.5GS v4", SF__SAIP_P_USIM, 0, T(t_df_5gs_v4), NODEF},
    {14, 1, "DF.SAIP", SF__SAIP_P_USIM, 0, T(t_df_saip), NODEF},
    {15, 1, "DF.SNPN", SF__SAIP_P_USIM, 0, T(t_df_snpn), NODEF},
    {16, 1, "DF.5G-ProSe", SF__SAIP_P_USIM, 0, T(t_df_5gprose), NODEF},
};

/* {2 23 143 1 2 n} and {2 23 143 1 2 n v}: 67 81 0F 01 02 n [v]
 * (n, v < 128).  The version arc: SAIP v3.1 and later name a revised
 * template by appending its version to the template's OID ({.. 4 2} is
 * version 2 of ADF_USIM; no arc = version 1), osmocom/pysim
 * pySim/esim/saip/oid.py.  A version is a different table (the sizes or the
 * file list differ), so the installer uses the table of exactly that
 * version and never a lower one [U: the annex's rule text was not
 * available; this is the reading of the transcribed tables]. */
static const uint8_t oid_prefix[] = {0x67, 0x81, 0x0F, 0x01, 0x02};

static int oid_split(const uint8_t *oid, size_t len, unsigned *n, unsigned *v)
{
	if (oid == NULL || len < sizeof(oid_prefix) + 1 || len > sizeof(oid_prefix) + 2 ||
	    memcmp(oid, oid_prefix, sizeof(oid_prefix)) != 0)
		return -1;
	*n = oid[sizeof(oid_prefix)];
	*v = len == sizeof(oid_prefix) + 2 ? oid[sizeof(oid_prefix) + 1] : 1;
	if ((*n & 0x80) || (*v & 0x80) || (len == sizeof(oid_prefix) + 2 && *v < 2))
		return -1; /* multi-octet arcs; an explicit version 0 or 1 */
	return 0;
}

const struct sf__saip_template *sf__saip_template_find(const uint8_t *oid, size_t len)
{
	unsigned n, v;
	if (oid_split(oid, len, &n, &v) != 0)
		return NULL;
	for (size_t i = 0; i < N(templates); i++)
		if (templates[i].oid_last == n && templates[i].version == v &&
		    templates[i].nfiles <= SF__SAIP_TFILES_MAX)
			return &templates[i];
	return NULL;
}

const char *sf__saip_template_why(const uint8_t *oid, size_t len)
{
	unsigned n, v;
	if (oid_split(oid, len, &n, &v) != 0)
		return "templateID is not a SAIP template OID {2 23 143 1 2 n} or {2 23 143 1 2 n "
		       "v}";
	if (n == 17 || n == 18)
		return "IoT Minimal Profile templates (.17 iot, .18 opt-iot): no public "
		       "transcription of their Annex A tables, not installable";
	for (size_t i = 0; i < N(templates); i++)
		if (templates[i].oid_last == n)
			return "no table for this version of the template (a version is "
			       "never replaced by another)";
	return "no template table for this OID";
}

const char *sf__saip_template_default(const struct sf__saip_template *t, const char *name)
{
	if (t == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < t->ndefaults; i++)
		if (strcmp(t->defaults[i].name, name) == 0)
			return t->defaults[i].value;
	return NULL;
}

const struct sf__saip_tfile *sf__saip_template_file(const struct sf__saip_template *t,
                                                    const char *name)
{
	if (t == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < t->nfiles; i++)
		if (strcmp(t->files[i].name, name) == 0)
			return &t->files[i];
	return NULL;
}
