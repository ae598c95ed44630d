/* libFuzzer target for the Dockerfile parser and the pin plan. Besides
 * memory errors it checks that applying digests changes only the planned
 * bytes: the output must be as long as the input plus the inserted text.
 *
 * Build and run (clang with libFuzzer, from the repository root):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -Iguard fuzz/dockerfile.c guard/dockerfile*.c guard/ref.c guard/error.c \
 *     guard/buf.c guard/util.c guard/digest.c guard/log.c \
 *     $(pkg-config --cflags --libs jansson libcrypto) -o build/fuzz-dockerfile
 *   mkdir -p build/fuzz-corpus && build/fuzz-dockerfile -max_len=4096 build/fuzz-corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile.h"

#define DIGEST "sha256:0000000000000000000000000000000000000000000000000000000000000000"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guard_dockerfile *df = NULL;
	struct guard_error err = GUARD_ERROR_INIT;
	static const char *const args[] = { "BASE=alpine:3", "TAG" };
	struct guard_dockerfile_options opts = { args, 2, 0 };
	const char **digests;
	char *out = NULL;
	size_t out_len = 0, grow = 0;

	if (guard_dockerfile_parse(&df, "fuzz", (const char *)data, size, &opts, &err) < 0)
		return 0;
	digests = calloc(df->image_count + 1, sizeof(*digests));
	if (!digests)
		abort();
	for (size_t i = 0; i < df->image_count; i++) {
		const struct guard_dockerfile_image *img = &df->images[i];

		digests[i] = DIGEST;
		if (img->action == GUARD_DOCKERFILE_PIN && !img->duplicate) {
			if (img->insert_at > df->len)
				abort();
			grow += strlen(DIGEST) + 1 + (img->add_latest ? 7 : 0);
		} else if (img->action == GUARD_DOCKERFILE_PINNED && img->digest_start != SIZE_MAX) {
			if (img->digest_end > df->len || img->digest_start >= img->digest_end ||
			    df->data[img->digest_start] != '@')
				abort();
			grow += strlen(DIGEST) + 1;
			grow -= img->digest_end - img->digest_start;
		}
	}
	if (guard_dockerfile_apply(df, digests, &out, &out_len, &err) == 0 &&
	    out_len != df->len + grow)
		abort();
	free(out);
	free(digests);
	guard_dockerfile_free(df);
	return 0;
}
