/* IPA framing helpers (gsup_ipa.h). */
#include "gsup_ipa.h"

/* ID_GET: 17 octets after the header, each requested tag as (0x01, TAG):
 * unit ID, MAC address, location 1 and 2, equipment and software version,
 * unit name, serial number. */
/* clang-format off */
const uint8_t sf__ipa_id_get[20] = {
    0x00, 0x11, SF_IPA_PROTO_CCM, SF_IPA_CCM_ID_GET, /* header, ID_GET */
    0x01, 0x08, 0x01, 0x07, 0x01, 0x02, 0x01, 0x03,  /* unit, MAC, location 1, 2 */
    0x01, 0x04, 0x01, 0x05, 0x01, 0x01, 0x01, 0x00,  /* versions, unit name, serial */
};
/* clang-format on */

long sf__ipa_frame_len(const uint8_t *buf, size_t len, size_t max_payload)
{
	if (len < SF_IPA_HDR_LEN)
		return 0;
	size_t n = ((size_t)buf[0] << 8) | buf[1];
	if (n == 0 || n > max_payload)
		return -1;
	if (len < SF_IPA_HDR_LEN + n)
		return 0;
	return (long)(SF_IPA_HDR_LEN + n);
}

size_t sf__ipa_header(uint8_t hdr[4], uint8_t proto, int ext, size_t n)
{
	if (n == 0 || n > 0xFFFF)
		return 0;
	hdr[0] = (uint8_t)(n >> 8);
	hdr[1] = (uint8_t)n;
	hdr[2] = proto;
	if (ext < 0)
		return 3;
	hdr[3] = (uint8_t)ext;
	return 4;
}

int sf__ipa_id_resp_tag(const uint8_t *body, size_t len, uint8_t tag, char *out, size_t cap)
{
	int found = 0;
	if (cap)
		out[0] = '\0';
	for (size_t i = 0; i < len;) {
		if (len - i < 3)
			return -1;
		size_t el = ((size_t)body[i] << 8) | body[i + 1];
		if (el == 0 || el > len - i - 2)
			return -1;
		const uint8_t *v = body + i + 3;
		size_t vl = el - 1;
		if (!found && body[i + 2] == tag && cap) {
			size_t o = 0;
			for (size_t k = 0; k < vl && v[k] && o + 1 < cap; k++)
				out[o++] = (v[k] >= 0x20 && v[k] < 0x7F) ? (char)v[k] : '?';
			out[o] = '\0';
			found = 1;
		}
		i += 2 + el;
	}
	return found ? 0 : 1;
}
