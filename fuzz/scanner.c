/* libFuzzer target for the secret engine. Besides memory errors it checks
 * that every finding lies inside the input: a line, and columns that start
 * at 1 and do not run backwards.
 *
 * Build and run (clang with libFuzzer, from the repository root):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -Iguard fuzz/scanner.c guard/scanner.c guard/scanner_match.c guard/rules.c \
 *     guard/decode.c guard/glob.c guard/finding.c guard/config.c guard/error.c \
 *     guard/buf.c guard/util.c guard/digest.c guard/log.c guard/cli.c \
 *     $(pkg-config --cflags --libs libhs libpcre2-8 libcrypto jansson yaml-0.1) \
 *     -o build/fuzz-scanner
 *   build/fuzz-scanner -max_len=65536 fuzz/corpus-scanner/
 * If the link lacks a symbol from another module, add that module's file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct bounds {
	unsigned lines;
};

static int check_finding(const struct guard_finding *f, void *ctx, struct guard_error *err)
{
	const struct bounds *b = ctx;

	(void)err;
	if (f->loc.line < 1 || f->loc.line > b->lines || f->loc.column < 1 ||
	    f->loc.end_column < f->loc.column || f->secret_length == 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guard_scanner *scanner;
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_scan_stats stats = { 0 };
	struct guard_location loc = { 0 };
	struct bounds b = { 1 };

	if (!scanner && guard_scanner_new(&scanner, NULL, &err) < 0)
		abort();

	/* Each line break of the scanned text comes from a '\n' byte, or from
	 * a UTF-16 unit with a NUL byte, so this count bounds the lines. */
	for (size_t i = 0; i < size; i++)
		b.lines += data[i] == '\n' || data[i] == 0;
	loc.path = "fuzz.txt";
	if (guard_scanner_scan(scanner, &loc, data, size, &stats, check_finding, &b, &err) < 0)
		abort();
	return 0;
}
