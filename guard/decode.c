/* Decoders for the secret engine: UTF-16, base64, URL and JSON escapes. */
#include <stdint.h>
#include <string.h>

#include "decode.h"

/* Binary data with big-endian or little-endian integers can have the NUL
 * pattern of UTF-16 too. In text, nearly every unit below U+0100 is a
 * printable character or a line break. */
static bool utf16_units_are_text(const unsigned char *p, size_t n,
				 enum guard_text_encoding encoding)
{
	size_t narrow = 0, printable = 0;

	for (size_t i = 0; i + 1 < n; i += 2) {
		unsigned char high = encoding == GUARD_TEXT_UTF16LE ? p[i + 1] : p[i];
		unsigned char low = encoding == GUARD_TEXT_UTF16LE ? p[i] : p[i + 1];

		if (high != 0)
			continue;
		narrow++;
		printable += (low >= 0x20 && low != 0x7f) || low == '\t' || low == '\n' ||
			     low == '\r';
	}
	return printable * 10 >= narrow * 9;
}

enum guard_text_encoding guard_decode_sniff_utf16(const void *data, size_t len,
						  size_t *bom_len)
{
	const unsigned char *p = data;
	size_t n = len < GUARD_DECODE_SNIFF_BYTES ? len : GUARD_DECODE_SNIFF_BYTES;
	size_t pairs = n / 2, even_nuls = 0, odd_nuls = 0;

	*bom_len = 0;
	if (len >= 2 && p[0] == 0xff && p[1] == 0xfe) {
		*bom_len = 2;
		return GUARD_TEXT_UTF16LE;
	}
	if (len >= 2 && p[0] == 0xfe && p[1] == 0xff) {
		*bom_len = 2;
		return GUARD_TEXT_UTF16BE;
	}
	if (pairs == 0 || !memchr(p, 0, n))
		return GUARD_TEXT_BYTES;

	for (size_t i = 0; i + 1 < n; i += 2) {
		even_nuls += p[i] == 0;
		odd_nuls += p[i + 1] == 0;
	}

	/* Text in Latin scripts encodes most characters with one zero byte;
	 * 40% leaves room for other scripts, and 5% for stray NULs. */
	if (odd_nuls * 10 >= pairs * 4 && even_nuls * 20 <= pairs &&
	    utf16_units_are_text(p, n, GUARD_TEXT_UTF16LE))
		return GUARD_TEXT_UTF16LE;
	if (even_nuls * 10 >= pairs * 4 && odd_nuls * 20 <= pairs &&
	    utf16_units_are_text(p, n, GUARD_TEXT_UTF16BE))
		return GUARD_TEXT_UTF16BE;
	return GUARD_TEXT_BYTES;
}

bool guard_decode_is_binary(const void *data, size_t len)
{
	size_t n = len < GUARD_DECODE_SNIFF_BYTES ? len : GUARD_DECODE_SNIFF_BYTES;

	return memchr(data, 0, n) != NULL;
}

static size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static uint32_t utf16_unit(const unsigned char *p, enum guard_text_encoding encoding)
{
	if (encoding == GUARD_TEXT_UTF16LE)
		return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
	return ((uint32_t)p[0] << 8) | (uint32_t)p[1];
}

int guard_decode_utf16(const void *data, size_t len, enum guard_text_encoding encoding,
		       struct guard_buf *out, struct guard_error *err)
{
	const unsigned char *p = data;
	size_t i = 0;

	/* ASCII halves, most other text keeps its size and only text above
	 * U+07FF grows (to 1.5 times), so 3/4 of the input fits most text. */
	if (guard_buf_reserve(out, len / 2 + len / 4 + 4, err) < 0)
		return -1;

	while (i + 1 < len) {
		uint32_t cp = utf16_unit(p + i, encoding);
		char utf8[4];
		size_t n;

		i += 2;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			uint32_t low = i + 1 < len ? utf16_unit(p + i, encoding) : 0;

			if (low >= 0xdc00 && low <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
				i += 2;
			} else {
				cp = 0xfffd;
			}
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			cp = 0xfffd;
		}
		n = utf8_encode(cp, utf8);
		if (guard_buf_append(out, utf8, n, err) < 0)
			return -1;
	}
	if (i < len && guard_buf_append(out, "\xef\xbf\xbd", 3, err) < 0)
		return -1;
	return 0;
}

static int base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

size_t guard_decode_base64(const char *in, size_t len, unsigned char *out, size_t cap)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0;

	while (len > 0 && in[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return SIZE_MAX;

	for (size_t i = 0; i < len; i++) {
		int v = base64_value((unsigned char)in[i]);

		if (v < 0)
			return SIZE_MAX;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return SIZE_MAX;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return n;
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t guard_decode_url(const char *in, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (in[i] == '%' && i + 2 < len &&
		    (hi = hex_value((unsigned char)in[i + 1])) >= 0 &&
		    (lo = hex_value((unsigned char)in[i + 2])) >= 0) {
			out[n++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (in[i] == '+') {
			out[n++] = ' ';
		} else {
			out[n++] = in[i];
		}
	}
	return n;
}

static bool parse_hex4(const char *in, size_t len, uint32_t *out)
{
	uint32_t v = 0;

	if (len < 4)
		return false;
	for (size_t i = 0; i < 4; i++) {
		int h = hex_value((unsigned char)in[i]);

		if (h < 0)
			return false;
		v = v * 16 + (uint32_t)h;
	}
	*out = v;
	return true;
}

size_t guard_decode_json_string(const char *in, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		uint32_t cp;

		if (c != '\\' || i + 1 == len) {
			out[n++] = c;
			continue;
		}
		c = in[++i];
		switch (c) {
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'u':
			/* "\uXXXX" is 6 bytes and its UTF-8 form at most 3, so the
			 * output never outgrows the input. */
			if (parse_hex4(in + i + 1, len - i - 1, &cp)) {
				char utf8[4];
				size_t k = utf8_encode(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp, utf8);

				memcpy(out + n, utf8, k);
				n += k;
				i += 4;
			} else {
				out[n++] = 'u';
			}
			break;
		default: out[n++] = c; break;
		}
	}
	return n;
}

bool guard_decode_is_text(const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t odd = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (!((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r' || c >= 0x80))
			odd++;
	}
	return odd * 20 <= len;
}
