/*
 * Tables of the SAIP profile element schema.
 *
 * SIMalliance/TCA eUICC Profile Package: Interoperable Format Technical
 * Specification v3.3.1, PEDefinitions.  The File field lists of the template
 * PEs were generated from the module text (field order = tag number - 2,
 * AUTOMATIC TAGS); the others were written from it by hand.
 */
#include "saip_internal.h"

#include <stddef.h>

#include "simfleet/saip.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct sf__saip_field files_mf[] = {
	{"mf", 0},
	{"ef-pl", 1},
	{"ef-iccid", 0},
	{"ef-dir", 0},
	{"ef-arr", 0},
	{"ef-umpc", 1},
};
static const struct sf__saip_field files_cd[] = {
	{"df-cd", 0},
	{"ef-launchpad", 1},
	{"ef-icon", 1},
};
static const struct sf__saip_field files_telecom[] = {
	{"df-telecom", 0},
	{"ef-arr", 1},
	{"ef-rma", 1},
	{"ef-sume", 1},
	{"ef-ice-dn", 1},
	{"ef-ice-ff", 1},
	{"ef-psismsc", 1},
	{"df-graphics", 1},
	{"ef-img", 1},
	{"ef-iidf", 1},
	{"ef-ice-graphics", 1},
	{"ef-launch-scws", 1},
	{"ef-icon", 1},
	{"df-phonebook", 1},
	{"ef-pbr", 1},
	{"ef-ext1", 1},
	{"ef-aas", 1},
	{"ef-gas", 1},
	{"ef-psc", 1},
	{"ef-cc", 1},
	{"ef-puid", 1},
	{"ef-iap", 1},
	{"ef-adn", 1},
	{"ef-pbc", 1},
	{"ef-anr", 1},
	{"ef-puri", 1},
	{"ef-email", 1},
	{"ef-sne", 1},
	{"ef-uid", 1},
	{"ef-grp", 1},
	{"ef-ccp1", 1},
	{"df-multimedia", 1},
	{"ef-mml", 1},
	{"ef-mmdf", 1},
	{"df-mmss", 1},
	{"ef-mlpl", 1},
	{"ef-mspl", 1},
	{"ef-mmssmode", 1},
	{"df-mcs", 1},
	{"ef-mst", 1},
	{"ef-mcs-config", 1},
	{"df-v2x", 1},
	{"ef-vst", 1},
	{"ef-v2x-config", 1},
	{"ef-v2xp-pc5", 1},
	{"ef-v2xp-Uu", 1},
};
static const struct sf__saip_field files_usim[] = {
	{"adf-usim", 0},
	{"ef-imsi", 0},
	{"ef-arr", 0},
	{"ef-keys", 1},
	{"ef-keysPS", 1},
	{"ef-hpplmn", 1},
	{"ef-ust", 0},
	{"ef-fdn", 1},
	{"ef-sms", 1},
	{"ef-smsp", 1},
	{"ef-smss", 1},
	{"ef-spn", 0},
	{"ef-est", 0},
	{"ef-start-hfn", 1},
	{"ef-threshold", 1},
	{"ef-psloci", 1},
	{"ef-acc", 0},
	{"ef-fplmn", 1},
	{"ef-loci", 1},
	{"ef-ad", 1},
	{"ef-ecc", 0},
	{"ef-netpar", 1},
	{"ef-epsloci", 1},
	{"ef-epsnsc", 1},
};
static const struct sf__saip_field files_opt_usim[] = {
	{"ef-li", 1},
	{"ef-acmax", 1},
	{"ef-acm", 1},
	{"ef-gid1", 1},
	{"ef-gid2", 1},
	{"ef-msisdn", 1},
	{"ef-puct", 1},
	{"ef-cbmi", 1},
	{"ef-cbmid", 1},
	{"ef-sdn", 1},
	{"ef-ext2", 1},
	{"ef-ext3", 1},
	{"ef-cbmir", 1},
	{"ef-plmnwact", 1},
	{"ef-oplmnwact", 1},
	{"ef-hplmnwact", 1},
	{"ef-dck", 1},
	{"ef-cnl", 1},
	{"ef-smsr", 1},
	{"ef-bdn", 1},
	{"ef-ext5", 1},
	{"ef-ccp2", 1},
	{"ef-ext4", 1},
	{"ef-acl", 1},
	{"ef-cmi", 1},
	{"ef-ici", 1},
	{"ef-oci", 1},
	{"ef-ict", 1},
	{"ef-oct", 1},
	{"ef-vgcs", 1},
	{"ef-vgcss", 1},
	{"ef-vbs", 1},
	{"ef-vbss", 1},
	{"ef-emlpp", 1},
	{"ef-aaem", 1},
	{"ef-hiddenkey", 1},
	{"ef-pnn", 1},
	{"ef-opl", 1},
	{"ef-mbdn", 1},
	{"ef-ext6", 1},
	{"ef-mbi", 1},
	{"ef-mwis", 1},
	{"ef-cfis", 1},
	{"ef-ext7", 1},
	{"ef-spdi", 1},
	{"ef-mmsn", 1},
	{"ef-ext8", 1},
	{"ef-mmsicp", 1},
	{"ef-mmsup", 1},
	{"ef-mmsucp", 1},
	{"ef-nia", 1},
	{"ef-vgcsca", 1},
	{"ef-vbsca", 1},
	{"ef-gbabp", 1},
	{"ef-msk", 1},
	{"ef-muk", 1},
	{"ef-ehplmn", 1},
	{"ef-gbanl", 1},
	{"ef-ehplmnpi", 1},
	{"ef-lrplmnsi", 1},
	{"ef-nafkca", 1},
	{"ef-spni", 1},
	{"ef-pnni", 1},
	{"ef-ncp-ip", 1},
	{"ef-ufc", 1},
	{"ef-nasconfig", 1},
	{"ef-uicciari", 1},
	{"ef-pws", 1},
	{"ef-fdnuri", 1},
	{"ef-bdnuri", 1},
	{"ef-sdnuri", 1},
	{"ef-ial", 1},
	{"ef-ips", 1},
	{"ef-ipd", 1},
	{"ef-epdgid", 1},
	{"ef-epdgselection", 1},
	{"ef-epdgidem", 1},
	{"ef-epdgselectionem", 1},
	{"ef-frompreferred", 1},
	{"ef-imsconfigdata", 1},
	{"ef-3gpppsdataoff", 1},
	{"ef-3gpppsdataoffservicelist", 1},
	{"ef-xcapconfigdata", 1},
	{"ef-earfcnlist", 1},
	{"ef-mudmidconfigdata", 1},
	{"ef-eaka", 1},
};
static const struct sf__saip_field files_isim[] = {
	{"adf-isim", 0},
	{"ef-impi", 0},
	{"ef-impu", 0},
	{"ef-domain", 0},
	{"ef-ist", 0},
	{"ef-ad", 1},
	{"ef-arr", 0},
};
static const struct sf__saip_field files_opt_isim[] = {
	{"ef-pcscf", 1},
	{"ef-sms", 1},
	{"ef-smsp", 1},
	{"ef-smss", 1},
	{"ef-smsr", 1},
	{"ef-gbabp", 1},
	{"ef-gbanl", 1},
	{"ef-nafkca", 1},
	{"ef-uicciari", 1},
	{"ef-frompreferred", 1},
	{"ef-imsconfigdata", 1},
	{"ef-xcapconfigdata", 1},
	{"ef-webrtcuri", 1},
	{"ef-mudmidconfigdata", 1},
};
static const struct sf__saip_field files_phonebook[] = {
	{"df-phonebook", 0},
	{"ef-pbr", 1},
	{"ef-ext1", 1},
	{"ef-aas", 1},
	{"ef-gas", 1},
	{"ef-psc", 1},
	{"ef-cc", 1},
	{"ef-puid", 1},
	{"ef-iap", 1},
	{"ef-adn", 1},
	{"ef-pbc", 1},
	{"ef-anr", 1},
	{"ef-puri", 1},
	{"ef-email", 1},
	{"ef-sne", 1},
	{"ef-uid", 1},
	{"ef-grp", 1},
	{"ef-ccp1", 1},
};
static const struct sf__saip_field files_gsm_access[] = {
	{"df-gsm-access", 0},
	{"ef-kc", 1},
	{"ef-kcgprs", 1},
	{"ef-cpbcch", 1},
	{"ef-invscan", 1},
};
static const struct sf__saip_field files_csim[] = {
	{"adf-csim", 0},
	{"ef-arr", 0},
	{"ef-call-count", 0},
	{"ef-imsi-m", 0},
	{"ef-imsi-t", 0},
	{"ef-tmsi", 0},
	{"ef-ah", 0},
	{"ef-aop", 0},
	{"ef-aloc", 0},
	{"ef-cdmahome", 0},
	{"ef-znregi", 0},
	{"ef-snregi", 0},
	{"ef-distregi", 0},
	{"ef-accolc", 0},
	{"ef-term", 0},
	{"ef-acp", 0},
	{"ef-prl", 0},
	{"ef-ruimid", 0},
	{"ef-csim-st", 0},
	{"ef-spc", 0},
	{"ef-otapaspc", 0},
	{"ef-namlock", 0},
	{"ef-ota", 0},
	{"ef-sp", 0},
	{"ef-esn-meid-me", 0},
	{"ef-li", 0},
	{"ef-usgind", 0},
	{"ef-ad", 0},
	{"ef-max-prl", 0},
	{"ef-spcs", 0},
	{"ef-mecrp", 0},
	{"ef-home-tag", 0},
	{"ef-group-tag", 0},
	{"ef-specific-tag", 0},
	{"ef-call-prompt", 0},
};
static const struct sf__saip_field files_opt_csim[] = {
	{"ef-ssci", 1},
	{"ef-fdn", 1},
	{"ef-sms", 1},
	{"ef-smsp", 1},
	{"ef-smss", 1},
	{"ef-ssfc", 1},
	{"ef-spn", 1},
	{"ef-mdn", 1},
	{"ef-ecc", 1},
	{"ef-me3gpdopc", 1},
	{"ef-3gpdopm", 1},
	{"ef-sipcap", 1},
	{"ef-mipcap", 1},
	{"ef-sipupp", 1},
	{"ef-mipupp", 1},
	{"ef-sipsp", 1},
	{"ef-mipsp", 1},
	{"ef-sippapss", 1},
	{"ef-puzl", 1},
	{"ef-maxpuzl", 1},
	{"ef-hrpdcap", 1},
	{"ef-hrpdupp", 1},
	{"ef-csspr", 1},
	{"ef-atc", 1},
	{"ef-eprl", 1},
	{"ef-bcsmscfg", 1},
	{"ef-bcsmspref", 1},
	{"ef-bcsmstable", 1},
	{"ef-bcsmsp", 1},
	{"ef-bakpara", 1},
	{"ef-upbakpara", 1},
	{"ef-mmsn", 1},
	{"ef-ext8", 1},
	{"ef-mmsicp", 1},
	{"ef-mmsup", 1},
	{"ef-mmsucp", 1},
	{"ef-auth-capability", 1},
	{"ef-3gcik", 1},
	{"ef-dck", 1},
	{"ef-gid1", 1},
	{"ef-gid2", 1},
	{"ef-cdmacnl", 1},
	{"ef-sf-euimid", 1},
	{"ef-est", 1},
	{"ef-hidden-key", 1},
	{"ef-lcsver", 1},
	{"ef-lcscp", 1},
	{"ef-sdn", 1},
	{"ef-ext2", 1},
	{"ef-ext3", 1},
	{"ef-ici", 1},
	{"ef-oci", 1},
	{"ef-ext5", 1},
	{"ef-ccp2", 1},
	{"ef-applabels", 1},
	{"ef-model", 1},
	{"ef-rc", 1},
	{"ef-smscap", 1},
	{"ef-mipflags", 1},
	{"ef-3gpduppext", 1},
	{"ef-ipv6cap", 1},
	{"ef-tcpconfig", 1},
	{"ef-dgc", 1},
	{"ef-wapbrowsercp", 1},
	{"ef-wapbrowserbm", 1},
	{"ef-mmsconfig", 1},
	{"ef-jdl", 1},
};
static const struct sf__saip_field files_eap[] = {
	{"df-eap", 0},
	{"ef-eapkeys", 1},
	{"ef-eapstatus", 0},
	{"ef-puid", 1},
	{"ef-ps", 1},
	{"ef-curid", 1},
	{"ef-reid", 1},
	{"ef-realm", 1},
};
static const struct sf__saip_field files_df_5gs[] = {
	{"df-df-5gs", 0},
	{"ef-5gs3gpploci", 1},
	{"ef-5gsn3gpploci", 1},
	{"ef-5gs3gppnsc", 1},
	{"ef-5gsn3gppnsc", 1},
	{"ef-5gauthkeys", 1},
	{"ef-uac-aic", 1},
	{"ef-suci-calc-info", 1},
	{"ef-opl5g", 1},
	{"ef-supinai", 1},
	{"ef-routing-indicator", 1},
	{"ef-ursp", 1},
	{"ef-tn3gppsnn", 1},
	{"ef-cag", 1},
	{"ef-sor-cmci", 1},
	{"ef-dri", 1},
	{"ef-5gsedrx", 1},
	{"ef-5gnswo-conf", 1},
	{"ef-mchpplmn", 1},
	{"ef-kausf-derivation", 1},
};
static const struct sf__saip_field files_df_saip[] = {
	{"df-df-saip", 0},
	{"ef-suci-calc-info-usim", 1},
};
static const struct sf__saip_field files_df_snpn[] = {
	{"df-df-snpn", 0},
	{"ef-pws-snpn", 1},
};
static const struct sf__saip_field files_df_5gprose[] = {
	{"df-df-5g-prose", 0},
	{"ef-5g-prose-st", 1},
	{"ef-5g-prose-dd", 1},
	{"ef-5g-prose-dc", 1},
	{"ef-5g-prose-u2nru", 1},
	{"ef-5g-prose-ru", 1},
	{"ef-5g-prose-uir", 1},
};
static const struct sf__saip_field files_iot[] = {
	{"mf", 1},
	{"ef-pl", 1},
	{"ef-iccid", 1},
	{"ef-dir", 1},
	{"ef-arr", 1},
	{"ef-umpc", 1},
	{"adf-usim", 1},
	{"ef-imsi", 0},
	{"ef-arr-usim", 1},
	{"ef-keys", 1},
	{"ef-keysPS", 1},
	{"ef-hpplmn", 1},
	{"ef-ust", 1},
	{"ef-start-hfn", 1},
	{"ef-threshold", 1},
	{"ef-psloci", 1},
	{"ef-acc", 0},
	{"ef-fplmn", 1},
	{"ef-loci", 1},
	{"ef-ad", 1},
	{"ef-ecc", 1},
	{"ef-netpar", 1},
};
static const struct sf__saip_field files_opt_iot[] = {
	{"ef-fdn", 1},
	{"ef-sms", 1},
	{"ef-smsp", 1},
	{"ef-smss", 1},
	{"ef-spn", 1},
	{"ef-est", 1},
	{"ef-oplmnwact", 1},
	{"ef-hplmnwact", 1},
	{"ef-ehplmn", 1},
	{"ef-epsloci", 1},
	{"ef-epsnsc", 1},
	{"df-df-5gs", 1},
	{"ef-5gs3gpploci", 1},
	{"ef-5gsn3gpploci", 1},
	{"ef-5gs3gppnsc", 1},
	{"ef-5gsn3gppnsc", 1},
	{"ef-5gauthkeys", 1},
	{"ef-uac-aic", 1},
	{"ef-suci-calc-info", 1},
	{"ef-opl5g", 1},
	{"ef-supi-nai", 1},
	{"ef-routing-indicator", 1},
	{"ef-ursp", 1},
	{"ef-tn3gppsnn", 1},
	{"df-df-saip", 1},
	{"ef-suci-calc-info-usim", 1},
};

/* ProfileHeader (AUTOMATIC TAGS). */
static const struct sf__saip_fdesc f_header[] = {
	{0x80, "major-version", 0},
	{0x81, "minor-version", 0},
	{0x82, "profileType", 1},
	{0x83, "iccid", 0},
	{0x84, "pol", 1},
	{0xA5, "eUICC-Mandatory-services", 0},
	{0xA6, "eUICC-Mandatory-GFSTEList", 0},
	{0x87, "connectivityParameters", 1},
	{0xA8, "eUICC-Mandatory-AIDs", 1},
	{0xA9, "iotOptions", 1},
};
static const struct sf__saip_fdesc f_gfm[] = {
	{0xA0, "gfm-header", 0},
	{0xA1, "fileManagementCMD", 0},
};
static const struct sf__saip_fdesc f_pin[] = {
	{0xA0, "pin-Header", 0},
	{0xA1, "pinCodes", 0},
};
static const struct sf__saip_fdesc f_puk[] = {
	{0xA0, "puk-Header", 0},
	{0xA1, "pukCodes", 0},
};
static const struct sf__saip_fdesc f_aka[] = {
	{0xA0, "aka-header", 0},
	{0xA1, "algoConfiguration", 0},
	{0x82, "sqnOptions", 1},
	{0x83, "sqnDelta", 1},
	{0x84, "sqnAgeLimit", 1},
	{0xA5, "sqnInit", 1},
};
static const struct sf__saip_fdesc f_cdma[] = {
	{0xA0, "cdma-header", 0},
	{0x81, "authenticationKey", 0},
	{0x82, "ssd", 1},
	{0x83, "hrpdAccessAuthenticationData", 1},
	{0x84, "simpleIPAuthenticationData", 1},
	{0x85, "mobileIPAuthenticationData", 1},
};
static const struct sf__saip_fdesc f_sd[] = {
	{0xA0, "sd-Header", 0},
	{0xA1, "instance", 0},
	{0xA2, "keyList", 1},
	{0xA3, "sdPersoData", 1},
	{0xA4, "openPersoData", 1},
	{0xA5, "catTpParameters", 1},
};
/* PE-RFM has explicit tags, so no automatic tagging: [APPLICATION 15] is 4F,
 * the untagged OCTET STRINGs are universal 04 and ADFRFMAccess is 30. */
static const struct sf__saip_fdesc f_rfm[] = {
	{0xA0, "rfm-header", 0},
	{0x4F, "instanceAID", 0},
	{0x4F, "securityDomainAID", 1},
	{0xA0, "tarList", 1},
	{0x81, "minimumSecurityLevel", 0},
	{0x04, "uiccAccessDomain", 0},
	{0x04, "uiccAdminAccessDomain", 0},
	{0x30, "adfRFMAccess", 1},
};
static const struct sf__saip_fdesc f_app[] = {
	{0xA0, "app-Header", 0},
	{0xA1, "loadBlock", 1},
	{0xA2, "instanceList", 1},
};
static const struct sf__saip_fdesc f_nonstd[] = {
	{0xA0, "nonStandard-header", 0},
	{0x81, "issuerID", 0},
	{0x82, "content", 0},
};
static const struct sf__saip_fdesc f_end[] = {
	{0xA0, "end-header", 0},
};

#define FS(a) NULL, 0, a, N(a)
#define TP(a) a, N(a), NULL, 0
const struct sf__saip_petab sf__saip_pes[SF_SAIP_PE_COUNT] = {
	{"header", FS(f_header)},
	{"genericFileManagement", FS(f_gfm)},
	{"pinCodes", FS(f_pin)},
	{"pukCodes", FS(f_puk)},
	{"akaParameter", FS(f_aka)},
	{"cdmaParameter", FS(f_cdma)},
	{"securityDomain", FS(f_sd)},
	{"rfm", FS(f_rfm)},
	{"application", FS(f_app)},
	{"nonStandard", FS(f_nonstd)},
	{"end", FS(f_end)},
	{"rfu1", NULL, 0, NULL, 0},
	{"rfu2", NULL, 0, NULL, 0},
	{"rfu3", NULL, 0, NULL, 0},
	{"rfu4", NULL, 0, NULL, 0},
	{"rfu5", NULL, 0, NULL, 0},
	{"mf", TP(files_mf)},
	{"cd", TP(files_cd)},
	{"telecom", TP(files_telecom)},
	{"usim", TP(files_usim)},
	{"opt-usim", TP(files_opt_usim)},
	{"isim", TP(files_isim)},
	{"opt-isim", TP(files_opt_isim)},
	{"phonebook", TP(files_phonebook)},
	{"gsm-access", TP(files_gsm_access)},
	{"csim", TP(files_csim)},
	{"opt-csim", TP(files_opt_csim)},
	{"eap", TP(files_eap)},
	{"df-5gs", TP(files_df_5gs)},
	{"df-saip", TP(files_df_saip)},
	{"df-snpn", TP(files_df_snpn)},
	{"df-5gprose", TP(files_df_5gprose)},
	{"iot", TP(files_iot)},
	{"opt-iot", TP(files_opt_iot)},
};

static const char *const services[SF_SAIP_SVC_COUNT] = {
	"contactless", "usim", "isim", "csim", "milenage", "tuak128", "cave", "gba-usim",
	"gba-isim", "mbms", "eap", "javacard", "multos", "multiple-usim", "multiple-isim",
	"multiple-csim", "tuak256", "usim-test-algorithm", "ber-tlv", "dfLink", "cat-tp",
	"get-identity", "profile-a-x25519", "profile-b-p256", "suciCalculatorApi",
	"dns-resolution", "scp11ac", "scp11c-authorization-mechanism", "s16mode", "eaka",
};

const char *sf_saip_service_name(unsigned n)
{
	return n < SF_SAIP_SVC_COUNT ? services[n] : NULL;
}

const char *sf_saip_pe_name(unsigned type)
{
	return type < SF_SAIP_PE_COUNT ? sf__saip_pes[type].name : NULL;
}

int sf_saip_pe_is_template(unsigned type)
{
	return type >= SF_SAIP_PE_MF && type < SF_SAIP_PE_COUNT;
}

const char *sf_saip_alg_name(int alg)
{
	switch (alg) {
	case SF_SAIP_ALG_MILENAGE: return "milenage";
	case SF_SAIP_ALG_TUAK: return "tuak";
	case SF_SAIP_ALG_TEST: return "usim-test-algorithm";
	default: return NULL;
	}
}

/* PINKeyReferenceValue and PUKKeyReferenceValue. */
const char *sf_saip_pin_ref_name(unsigned ref)
{
	static const char *const appl[] = {"pinAppl1", "pinAppl2", "pinAppl3", "pinAppl4",
					   "pinAppl5", "pinAppl6", "pinAppl7", "pinAppl8"};
	static const char *const adm[] = {"adm1", "adm2", "adm3", "adm4", "adm5"};
	static const char *const second[] = {"secondPINAppl1", "secondPINAppl2",
					     "secondPINAppl3", "secondPINAppl4",
					     "secondPINAppl5", "secondPINAppl6",
					     "secondPINAppl7", "secondPINAppl8"};
	static const char *const adm6[] = {"adm6", "adm7", "adm8", "adm9", "adm10"};
	if (ref >= 1 && ref <= 8)
		return appl[ref - 1];
	if (ref >= 10 && ref <= 14)
		return adm[ref - 10];
	if (ref >= 129 && ref <= 136)
		return second[ref - 129];
	if (ref >= 138 && ref <= 142)
		return adm6[ref - 138];
	return NULL;
}

const char *sf_saip_puk_ref_name(unsigned ref)
{
	static const char *const appl[] = {"pukAppl1", "pukAppl2", "pukAppl3", "pukAppl4",
					   "pukAppl5", "pukAppl6", "pukAppl7", "pukAppl8"};
	static const char *const second[] = {"secondPUKAppl1", "secondPUKAppl2",
					     "secondPUKAppl3", "secondPUKAppl4",
					     "secondPUKAppl5", "secondPUKAppl6",
					     "secondPUKAppl7", "secondPUKAppl8"};
	if (ref >= 1 && ref <= 8)
		return appl[ref - 1];
	if (ref >= 129 && ref <= 136)
		return second[ref - 129];
	return NULL;
}
