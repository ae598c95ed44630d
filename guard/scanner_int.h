/* Internals of the secret engine shared by scanner.c (set-up, names) and
 * scanner_match.c (content). Nothing outside the engine includes this. */
#ifndef GUARD_SCANNER_INT_H
#define GUARD_SCANNER_INT_H

#include <hs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules.h"
#include "scanner.h"

#define GUARD_SCANNER_FILE_RULES_MAX 32

/* Decoded text may itself contain encoded text. Two levels cover base64 in
 * base64 (a Kubernetes secret of a docker config) without unbounded work. */
#define GUARD_SCANNER_DECODE_DEPTH 2

/* Largest window one pattern run covers. Windows of a rule that touch are
 * merged up to this size. A longer stretch of hits is cut into windows that
 * overlap by the rule's reach, so no match is lost at a cut. */
#define GUARD_SCANNER_WINDOW_MAX (256 * 1024)

/* Base64 runs shorter than this are not decoded. */
#define GUARD_SCANNER_BASE64_RUN_MIN 24

struct compiled_rule {
	const struct guard_rule *rule;
	pcre2_code *code;
};

/* The rule and keyword length behind a Vectorscan match id. */
struct keyword {
	uint32_t rule;		/* index into guard_scanner.rules */
	uint32_t len;
};

/* Per-thread matching state, pooled by the scanner. A decoded value is
 * scanned while the scan of the text around it is still running, so each
 * decoding level has its own Vectorscan scratch. */
struct scan_worker {
	hs_scratch_t *scratch[GUARD_SCANNER_DECODE_DEPTH + 1];
	pcre2_match_data *match_data;
	pcre2_match_context *match_context;
	pcre2_jit_stack *jit_stack;
};

struct guard_scanner {
	hs_database_t *db;
	hs_scratch_t *prototype;	/* cloned for each worker */
	struct compiled_rule *rules;
	size_t rule_count;
	struct keyword *keywords;	/* indexed by Vectorscan match id */
	size_t keyword_count;		/* the id after the last is the base64 run pattern */
	bool file_rule_disabled[GUARD_SCANNER_FILE_RULES_MAX];

	char **stopwords;
	size_t stopword_count;
	char **skip_paths;
	size_t skip_path_count;
	uint64_t max_file_size;

	pthread_mutex_t lock;		/* guards idle */
	struct scan_worker **idle;
	size_t idle_count;
	size_t idle_cap;
};

/* Takes a worker from the pool, or makes one. */
struct scan_worker *guard_scanner_acquire(struct guard_scanner *scanner, struct guard_error *err);
void guard_scanner_release(struct guard_scanner *scanner, struct scan_worker *w);

#endif
