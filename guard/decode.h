/* Decoders the secret engine applies before matching: UTF-16 text, base64,
 * URL (percent) encoding and JSON string escapes. Each works on bounded
 * input and never allocates more than its output. */
#ifndef GUARD_DECODE_H
#define GUARD_DECODE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "error.h"

/* How many leading bytes the binary and UTF-16 checks look at. */
#define GUARD_DECODE_SNIFF_BYTES 8192

enum guard_text_encoding {
	GUARD_TEXT_BYTES = 0,	/* UTF-8, ASCII or anything else byte-oriented */
	GUARD_TEXT_UTF16LE,
	GUARD_TEXT_UTF16BE,
};

/* Detects UTF-16 from a byte order mark, or without one from the pattern
 * of NUL bytes in the first GUARD_DECODE_SNIFF_BYTES: mostly-ASCII UTF-16
 * has a NUL in nearly every other byte and almost none in between. Sets
 * *bom_len to the length of the mark to skip (0 or 2). */
enum guard_text_encoding guard_decode_sniff_utf16(const void *data, size_t len,
						  size_t *bom_len);

/* True when the first GUARD_DECODE_SNIFF_BYTES contain a NUL byte. */
bool guard_decode_is_binary(const void *data, size_t len);

/* Appends the UTF-8 form of UTF-16 data to out. Unpaired surrogates and
 * a trailing odd byte become U+FFFD. */
int guard_decode_utf16(const void *data, size_t len, enum guard_text_encoding encoding,
		       struct guard_buf *out, struct guard_error *err);

/* Decodes standard or URL-safe base64, padded or not, into out (at most
 * cap bytes). Returns the decoded length, or SIZE_MAX when the input is not
 * base64 or does not fit. */
size_t guard_decode_base64(const char *in, size_t len, unsigned char *out, size_t cap);

/* Decodes %XX sequences (and '+' as a space) into out, which must hold len
 * bytes. Returns the decoded length. */
size_t guard_decode_url(const char *in, size_t len, char *out);

/* Decodes the escapes of a JSON string body (without its quotes) into out,
 * which must hold len bytes. \uXXXX becomes UTF-8. Returns the length. */
size_t guard_decode_json_string(const char *in, size_t len, char *out);

/* True when at least 95% of the bytes are printable ASCII, tabs, line
 * breaks or bytes of UTF-8 sequences. */
bool guard_decode_is_text(const void *data, size_t len);

#endif
