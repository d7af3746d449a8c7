/*
 * Command APDU parsing and status words.
 *
 *   ISO/IEC 7816-3 §12.1.3   decoding of the command APDU (cases 1-4, short/extended)
 *   ISO/IEC 7816-3 §10.3.2   INS '6X' and '9X' are invalid (T=0 procedure bytes)
 *   ISO/IEC 7816-4 §5.1      Lc/Le, Nc/Ne; Le '00' = 256, '0000' = 65536
 *   ISO/IEC 7816-4 §5.4.1    class byte: first (0X) and further (4X-7X) interindustry
 *   ETSI TS 102 221 §10.1.1  class byte of UICC commands: 0X/4X/6X and 8X/CX/EX
 *   ETSI TS 102 221 §10.2.1  status conditions; 3GPP TS 31.102 §7.3 (98 xx)
 */
#include <stddef.h>
#include <stdint.h>

#include "simfleet/card.h"
#include "simfleet/err.h"

/*
 * Class byte (TS 102 221 Table 10.3, ISO/IEC 7816-4 Tables 2 and 3).
 *
 *   0000 xxxx  0X  first interindustry: b4-b3 secure messaging, b2-b1 channel 0..3
 *   0001 xxxx  1X  the same with command chaining (b5)
 *   001x xxxx  2X/3X  RFU
 *   01xx xxxx  4X-7X  further interindustry: b6 SM, b5 chaining, b4-b1 channel 4..19
 *   100x xxxx  8X/9X  proprietary (TS 102 221: STATUS, TERMINAL CAPABILITY, GET
 *                     RESPONSE from LPAs, ES10 STORE DATA), coded like 0X/1X
 *   101x xxxx  AX/BX  A0 is the GSM class of TS 51.011; we are a UICC without a
 *                     GSM SIM application, so A0 and the rest answer 6E 00
 *   11xx xxxx  CX-FE  proprietary, coded like 4X-7X: channels 4..19
 *   1111 1111  FF     invalid (it is the PPS character)
 *
 * Channels 4..19 are valid syntax but not supported by this card: 68 81.
 */
static int check_class(uint8_t cla, uint8_t *channel)
{
	if (cla == 0xFF)
		return SF_EAPDU_CLA;
	switch (cla >> 5) {
	case 0: /* 0X, 1X */
	case 4: /* 8X, 9X */
		if (cla & 0x0C)
			return SF_EAPDU_SM;
		if (cla & 0x10)
			return SF_EAPDU_CHAINING;
		*channel = (uint8_t)(cla & 0x03);
		return 0;
	case 2: /* 4X, 5X */
	case 3: /* 6X, 7X */
	case 6: /* CX, DX */
	case 7: /* EX, FX */
		return SF_EAPDU_CHANNEL;
	default: /* 2X, 3X RFU; AX, BX (GSM A0) */
		return SF_EAPDU_CLA;
	}
}

static uint32_t be16(const uint8_t *p)
{
	return ((uint32_t)p[0] << 8) | p[1];
}

int sf_apdu_parse(struct sf_apdu *out, const uint8_t *buf, size_t len)
{
	if (out == NULL || (buf == NULL && len > 0))
		return SF_EINVAL;
	if (len < 4)
		return SF_EAPDU_SHORT;

	/* The header is checked first, as a T=0 card sees it before P3 and any
	 * data: class, then instruction. */
	struct sf_apdu a = {
		.cla = buf[0], .ins = buf[1], .p1 = buf[2], .p2 = buf[3],
		.data = buf + 4, /* never NULL, so memcpy(dst, data, nc) is fine for nc = 0 */
	};
	int rc = check_class(a.cla, &a.channel);
	if (rc != 0)
		return rc;
	if ((a.ins & 0xF0) == 0x60 || (a.ins & 0xF0) == 0x90)
		return SF_EAPDU_INS;

	/* ISO/IEC 7816-3 §12.1.3: the body is decoded from its length L and
	 * its first octet B1 (= buf[4]) alone; every other length is an error. */
	const uint8_t *b = buf + 4;
	size_t l = len - 4;
	if (l == 0) {
		a.apdu_case = 1;
	} else if (l == 1) {
		a.apdu_case = 2; /* 2S: Le = B1, 00 means 256 */
		a.ne = b[0] ? b[0] : 256;
	} else if (b[0] != 0) {
		size_t lc = b[0];
		if (l == 1 + lc)
			a.apdu_case = 3; /* 3S */
		else if (l == 2 + lc)
			a.apdu_case = 4; /* 4S: last octet Le */
		else
			return SF_EAPDU_LEN;
		a.nc = (uint32_t)lc;
		a.data = b + 1;
		if (a.apdu_case == 4)
			a.ne = b[l - 1] ? b[l - 1] : 256;
	} else if (l == 3) {
		a.apdu_case = 2; /* 2E: 00 Le1 Le2, 0000 means 65536 */
		a.extended = 1;
		a.ne = be16(b + 1) ? be16(b + 1) : 65536;
	} else if (l > 3) {
		/* 3E / 4E: 00 Lc1 Lc2 data [Le1 Le2].  Lc 0000 is not an
		 * encoding of anything (Nc would be 0: no Lc field at all). */
		size_t lc = be16(b + 1);
		if (lc == 0)
			return SF_EAPDU_LEN;
		if (l == 3 + lc)
			a.apdu_case = 3;
		else if (l == 5 + lc)
			a.apdu_case = 4;
		else
			return SF_EAPDU_LEN; /* includes a short Le after an extended Lc */
		a.extended = 1;
		a.nc = (uint32_t)lc;
		a.data = b + 3;
		if (a.apdu_case == 4)
			a.ne = be16(b + l - 2) ? be16(b + l - 2) : 65536;
	} else {
		return SF_EAPDU_LEN; /* l == 2 with B1 = 00: neither short nor extended */
	}
	*out = a;
	return 0;
}

uint16_t sf_card_err_sw(int err)
{
	switch (err) {
	case SF_EAPDU_SHORT:
	case SF_EAPDU_LEN:
		return SF_SW_WRONG_LENGTH;
	case SF_EAPDU_CLA:
		return SF_SW_CLA_NOT_SUPPORTED;
	case SF_EAPDU_INS:
		return SF_SW_INS_NOT_SUPPORTED;
	case SF_EAPDU_CHANNEL:
	case SF_ECARD_CLOSED:
		return SF_SW_CHANNEL_NOT_SUPPORTED;
	case SF_EAPDU_SM:
		return SF_SW_SM_NOT_SUPPORTED;
	case SF_EAPDU_CHAINING:
		return SF_SW_CHAINING_NOT_SUPPORTED;
	case SF_EAPDU_P1P2:
		return SF_SW_INCORRECT_P1P2;
	case SF_ECARD_NOCHAN:
		return SF_SW_FUNCTION_NOT_SUPPORTED;
	case SF_ECARD_NODATA:
	case SF_ECARD_APP:
	default:
		return SF_SW_TECHNICAL_PROBLEM;
	}
}

int sf_card_sw_is_success(uint16_t sw)
{
	switch (sw >> 8) {
	case 0x90:
		return sw == SF_SW_OK;
	case 0x91:
	case 0x92:
	case 0x62:
	case 0x63:
		return 1;
	default:
		return 0;
	}
}

static const struct {
	uint16_t sw;
	const char *text;
} sw_texts[] = {
	{0x9000, "normal ending of the command"},
	{0x9300, "toolkit busy: command cannot be executed now, other commands are allowed"},
	{0x6200, "warning: no information given, non-volatile memory unchanged"},
	{0x6281, "warning: part of returned data may be corrupted"},
	{0x6282, "warning: end of file/record reached before reading Le bytes, or search failed"},
	{0x6283, "warning: selected file invalidated"},
	{0x6285, "warning: selected file in termination state"},
	{0x62F1, "warning: more data available"},
	{0x62F2, "warning: more data available and proactive command pending"},
	{0x62F3, "warning: response data available"},
	{0x63F1, "warning: more data expected"},
	{0x63F2, "warning: more data expected and proactive command pending"},
	{0x6400, "execution error: no information given, non-volatile memory unchanged"},
	{0x6500, "execution error: no information given, non-volatile memory changed"},
	{0x6581, "execution error: memory problem"},
	{0x6700, "wrong length"},
	{0x6800, "function in CLA not supported"},
	{0x6881, "logical channel not supported"},
	{0x6882, "secure messaging not supported"},
	{0x6884, "command chaining not supported"},
	{0x6900, "command not allowed"},
	{0x6981, "command incompatible with file structure"},
	{0x6982, "security status not satisfied"},
	{0x6983, "authentication/PIN method blocked"},
	{0x6984, "referenced data invalidated"},
	{0x6985, "conditions of use not satisfied"},
	{0x6986, "command not allowed (no EF selected)"},
	{0x6989, "command not allowed: secure channel security not satisfied"},
	{0x6A80, "incorrect parameters in the data field"},
	{0x6A81, "function not supported"},
	{0x6A82, "file or application not found"},
	{0x6A83, "record not found"},
	{0x6A84, "not enough memory space"},
	{0x6A86, "incorrect parameters P1 to P2"},
	{0x6A87, "Lc inconsistent with P1 to P2"},
	{0x6A88, "referenced data not found"},
	{0x6B00, "wrong parameter(s) P1-P2"},
	{0x6D00, "instruction code not supported or invalid"},
	{0x6E00, "class not supported"},
	{0x6F00, "technical problem, no precise diagnosis"},
	{0x9862, "authentication error, incorrect MAC"},
	{0x9864, "authentication error, security context not supported"},
	{0x9865, "key freshness failure"},
	{0x9866, "authentication error, no memory space available"},
	{0x9867, "authentication error, no memory space available in EF MUK"},
};

const char *sf_card_sw_text(uint16_t sw)
{
	for (size_t i = 0; i < sizeof(sw_texts) / sizeof(sw_texts[0]); i++)
		if (sw_texts[i].sw == sw)
			return sw_texts[i].text;
	switch (sw >> 8) {
	case 0x61:
		return "response bytes still available: SW2 gives how many (00: 256 or more)";
	case 0x6C:
		return "wrong length Le: SW2 gives the exact length";
	case 0x91:
		return "normal ending, proactive command pending: SW2 gives its length";
	case 0x92:
		return "normal ending, with information on an ongoing data transfer session";
	case 0x9F:
		return "GSM: response data available, SW2 gives its length";
	case 0x62:
		return "warning, non-volatile memory unchanged";
	case 0x63:
		if ((sw & 0xF0) == 0xC0)
			return "verification failed or counter: SW2 low nibble gives retries left";
		return "warning, non-volatile memory changed";
	case 0x64:
		return "execution error, non-volatile memory unchanged";
	case 0x65:
		return "execution error, non-volatile memory changed";
	case 0x67:
		return "wrong length (command dependent)";
	case 0x68:
		return "function in CLA not supported";
	case 0x69:
		return "command not allowed";
	case 0x6A:
		return "wrong parameters";
	case 0x98:
		return "security management error";
	default:
		return "unknown status word";
	}
}
