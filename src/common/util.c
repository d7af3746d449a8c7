/* Hex (lowercase out, either case in), base64 (RFC 4648 §4, strict),
 * constant-time comparison and secure wipe. */
#include "simfleet/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simfleet/err.h"

static const char HEX[] = "0123456789abcdef";

int sf_hex_encode(char *dst, size_t dst_len, const uint8_t *src, size_t len)
{
	if (!dst || (len && !src))
		return SF_EINVAL;
	if (len > (SIZE_MAX - 1) / 2 || dst_len < 2 * len + 1)
		return SF_EBUFSIZE;
	for (size_t i = 0; i < len; i++) {
		dst[2 * i] = HEX[src[i] >> 4];
		dst[2 * i + 1] = HEX[src[i] & 15];
	}
	dst[2 * len] = 0;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sf_hex_decode(uint8_t *dst, size_t dst_len, size_t *out_len, const char *str, size_t str_len)
{
	if (!str || (str_len && !dst))
		return SF_EINVAL;
	if (str_len % 2)
		return SF_EHEX;
	for (size_t i = 0; i < str_len; i++)
		if (hexval(str[i]) < 0)
			return SF_EHEX;
	if (str_len / 2 > dst_len)
		return SF_EBUFSIZE;
	for (size_t i = 0; i < str_len / 2; i++)
		dst[i] = (uint8_t)(hexval(str[2 * i]) << 4 | hexval(str[2 * i + 1]));
	if (out_len)
		*out_len = str_len / 2;
	return 0;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sf_b64_encode(char *dst, size_t dst_len, size_t *out_len, const uint8_t *src, size_t len)
{
	if (!dst || (len && !src))
		return SF_EINVAL;
	if (len / 3 >= (SIZE_MAX - 5) / 4)
		return SF_EBUFSIZE;
	size_t need = (len + 2) / 3 * 4;
	if (dst_len < need + 1)
		return SF_EBUFSIZE;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)src[i + 1] << 8;
		if (i + 2 < len)
			v |= src[i + 2];
		dst[o++] = B64[v >> 18 & 63];
		dst[o++] = B64[v >> 12 & 63];
		dst[o++] = i + 1 < len ? B64[v >> 6 & 63] : '=';
		dst[o++] = i + 2 < len ? B64[v & 63] : '=';
	}
	dst[o] = 0;
	if (out_len)
		*out_len = o;
	return 0;
}

/* 0..63, or -1 for a character outside the alphabet (a table: the decoder
 * runs over every ES9+ request body). */
static const int8_t B64VAL[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,
    ['H'] = 8,  ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
    ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
    ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
    ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
    ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
    ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
    ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63,
    ['/'] = 64}; /* value + 1: 0 marks "not base64" */

static int b64val(char c)
{
	return B64VAL[(uint8_t)c] - 1;
}

int sf_b64_decode(uint8_t *dst, size_t dst_len, size_t *out_len, const char *str, size_t str_len)
{
	if (!str || (str_len && !dst))
		return SF_EINVAL;
	if (str_len % 4)
		return SF_EBASE64;
	size_t pad = 0;
	if (str_len && str[str_len - 1] == '=')
		pad = (str_len > 1 && str[str_len - 2] == '=') ? 2 : 1;
	size_t n = str_len / 4 * 3 - pad;
	/* Validate everything before writing anything. */
	int bad = 0;
	for (size_t i = 0; i < str_len - pad; i++)
		bad |= B64VAL[(uint8_t)str[i]] == 0;
	if (bad)
		return SF_EBASE64;
	if (pad) {
		/* The bits beyond the last octet must be zero (canonical encoding). */
		int last = b64val(str[str_len - pad - 1]);
		if ((pad == 1 && (last & 3)) || (pad == 2 && (last & 15)))
			return SF_EBASE64;
	}
	if (n > dst_len)
		return SF_EBUFSIZE;
	size_t o = 0;
	for (size_t i = 0; i < str_len; i += 4) {
		uint32_t v = 0;
		for (size_t j = 0; j < 4; j++) {
			char c = str[i + j];
			v = v << 6 | (c == '=' ? 0u : (uint32_t)b64val(c));
		}
		if (o < n)
			dst[o++] = (uint8_t)(v >> 16);
		if (o < n)
			dst[o++] = (uint8_t)(v >> 8);
		if (o < n)
			dst[o++] = (uint8_t)v;
	}
	if (out_len)
		*out_len = n;
	return 0;
}

int sf_ct_eq(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;
	for (size_t i = 0; i < len; i++)
		d |= (uint8_t)(x[i] ^ y[i]);
	/* 1 when d == 0, without a data-dependent branch. */
	return (int)(1 & ((uint32_t)(d - 1) >> 8));
}

/* A memset through a volatile function pointer cannot be proven dead and
 * removed by the optimiser. */
static void *(*const volatile wipe_memset)(void *, int, size_t) = memset;

void sf_wipe(void *p, size_t len)
{
	if (p && len)
		wipe_memset(p, 0, len);
}

/* "HOST:PORT", "[V6ADDR]:PORT" (RFC 3986 §3.2.2), or "HOST" alone when a
 * default port is given. */
int sf_hostport_parse(const char *s, char *host, size_t host_cap, uint16_t *port,
		      uint16_t default_port)
{
	if (!s || !host || !port || host_cap == 0)
		return SF_EINVAL;
	const char *h = s, *he, *ps = NULL;
	if (*s == '[') {
		/* [IPv6]:port, RFC 3986 §3.2.2 */
		h = s + 1;
		he = strchr(h, ']');
		if (!he || (he[1] != '\0' && he[1] != ':'))
			return SF_ETRANSPORT_ADDR;
		if (he[1] == ':')
			ps = he + 2;
	} else {
		he = strrchr(s, ':');
		if (he && strchr(s, ':') != he)
			return SF_ETRANSPORT_ADDR; /* bare IPv6 needs brackets */
		if (he)
			ps = he + 1;
		else
			he = s + strlen(s);
	}
	size_t hl = (size_t)(he - h);
	if (hl == 0 || hl >= host_cap)
		return SF_ETRANSPORT_ADDR;
	if (!ps && default_port == 0)
		return SF_ETRANSPORT_ADDR; /* the port is required */
	unsigned long p = default_port;
	if (ps) {
		if (*ps == '\0' || strlen(ps) > 5)
			return SF_ETRANSPORT_ADDR;
		p = 0;
		for (const char *c = ps; *c; c++) {
			if (*c < '0' || *c > '9')
				return SF_ETRANSPORT_ADDR;
			p = p * 10 + (unsigned long)(*c - '0');
		}
		if (p == 0 || p > 65535)
			return SF_ETRANSPORT_ADDR;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 0;
}


int sf_iccid_to_bcd(const char *iccid, uint8_t out[10])
{
	size_t n = iccid ? strnlen(iccid, 21) : 0;
	if (n < 1 || n > 20 || !out)
		return SF_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (iccid[i] < '0' || iccid[i] > '9')
			return SF_EINVAL;
	memset(out, 0xFF, 10);
	for (size_t i = 0; i < n; i++) {
		uint8_t d = (uint8_t)(iccid[i] - '0');
		out[i / 2] = i % 2 == 0 ? (uint8_t)((out[i / 2] & 0xF0) | d)
		                        : (uint8_t)((out[i / 2] & 0x0F) | (d << 4));
	}
	return 0;
}

int sf_iccid_from_bcd(const uint8_t in[10], char out[21])
{
	size_t n = 0;
	int pad = 0;
	if (!in || !out)
		return SF_EINVAL;
	for (size_t i = 0; i < 20; i++) {
		unsigned d = i % 2 == 0 ? (in[i / 2] & 0x0Fu) : (in[i / 2] >> 4);
		if (d == 0xF) {
			pad = 1;
			continue;
		}
		if (d > 9 || pad)
			return SF_EINVAL;
		out[n++] = (char)('0' + d);
	}
	out[n] = '\0';
	return n > 0 ? 0 : SF_EINVAL;
}

int sf_growbuf_add(struct sf_growbuf *b, const void *d, size_t len)
{
	if (b->max && len > b->max - (b->n < b->max ? b->n : b->max))
		return SF_ERANGE;
	if (len >= SIZE_MAX / 2 - b->n)
		return SF_ENOMEM;
	if (b->n + len + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 1024;
		while (nc < b->n + len + 1)
			nc *= 2;
		char *q = malloc(nc);
		if (!q)
			return SF_ENOMEM;
		if (b->p) { /* moved, not realloc'ed: the old copy is wiped */
			memcpy(q, b->p, b->n);
			sf_wipe(b->p, b->cap);
			free(b->p);
		}
		b->p = q;
		b->cap = nc;
	}
	memcpy(b->p + b->n, d, len);
	b->n += len;
	b->p[b->n] = '\0';
	return 0;
}

size_t sf_growbuf_curl(char *d, size_t size, size_t nmemb, void *growbuf)
{
	size_t len = size * nmemb;
	return sf_growbuf_add(growbuf, d, len) == 0 ? len : 0;
}

void sf_growbuf_free(struct sf_growbuf *b)
{
	if (b->p) {
		sf_wipe(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->n = b->cap = 0;
}
