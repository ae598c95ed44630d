/* The secret engine. One Vectorscan database contains every keyword of
 * every rule, so each byte is looked at once for all rules. A keyword hit opens a
 * window around it, bounded by the rule's before and after distances, and
 * PCRE2 (JIT) runs the rule's pattern only inside the windows; windows of
 * one rule that touch are merged, up to WINDOW_MAX bytes, so the work stays
 * linear in the input. Decoded forms of the text (UTF-16, base64, URL and
 * JSON escapes) go through the same path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "decode.h"
#include "glob.h"
#include "log.h"
#include "rules.h"
#include "scanner.h"
#include "scanner_int.h"
#include "util.h"

/* PCRE2 step budget per match attempt; generous for any real secret, and it
 * stops catastrophic backtracking on hostile input. */
#define MATCH_LIMIT 1000000

static void worker_free(struct scan_worker *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < GUARD_ARRAY_SIZE(w->scratch); i++) {
		if (w->scratch[i])
			hs_free_scratch(w->scratch[i]);
	}
	pcre2_match_data_free(w->match_data);
	pcre2_match_context_free(w->match_context);
	pcre2_jit_stack_free(w->jit_stack);
	free(w);
}

static struct scan_worker *worker_new(struct guard_scanner *scanner, struct guard_error *err)
{
	struct scan_worker *w = calloc(1, sizeof(*w));

	if (!w) {
		guard_error_oom(err);
		return NULL;
	}
	for (size_t i = 0; scanner->prototype && i < GUARD_ARRAY_SIZE(w->scratch); i++) {
		if (hs_clone_scratch(scanner->prototype, &w->scratch[i]) != HS_SUCCESS) {
			w->scratch[i] = NULL;
			worker_free(w);
			guard_error_set(err, GUARD_ERR_INTERNAL,
					"cannot allocate Vectorscan scratch space");
			return NULL;
		}
	}
	w->match_data = pcre2_match_data_create(16, NULL);
	w->match_context = pcre2_match_context_create(NULL);
	w->jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
	if (!w->match_data || !w->match_context || !w->jit_stack) {
		worker_free(w);
		guard_error_oom(err);
		return NULL;
	}
	pcre2_set_match_limit(w->match_context, MATCH_LIMIT);
	pcre2_jit_stack_assign(w->match_context, NULL, w->jit_stack);
	return w;
}

struct scan_worker *guard_scanner_acquire(struct guard_scanner *scanner, struct guard_error *err)
{
	struct scan_worker *w = NULL;

	pthread_mutex_lock(&scanner->lock);
	if (scanner->idle_count > 0)
		w = scanner->idle[--scanner->idle_count];
	pthread_mutex_unlock(&scanner->lock);
	return w ? w : worker_new(scanner, err);
}

void guard_scanner_release(struct guard_scanner *scanner, struct scan_worker *w)
{
	pthread_mutex_lock(&scanner->lock);
	if (scanner->idle_count == scanner->idle_cap) {
		size_t cap = scanner->idle_cap ? scanner->idle_cap * 2 : 8;
		struct scan_worker **idle = reallocarray(scanner->idle, cap, sizeof(*idle));

		if (!idle) {
			pthread_mutex_unlock(&scanner->lock);
			worker_free(w);
			return;
		}
		scanner->idle = idle;
		scanner->idle_cap = cap;
	}
	scanner->idle[scanner->idle_count++] = w;
	pthread_mutex_unlock(&scanner->lock);
}

static bool list_contains(const struct guard_string_list *list, const char *value)
{
	for (size_t i = 0; list && i < list->count; i++) {
		if (strcmp(list->items[i], value) == 0)
			return true;
	}
	return false;
}

static int copy_list(char ***out, size_t *count, const struct guard_string_list *list,
		     struct guard_error *err)
{
	*out = NULL;
	*count = 0;
	if (!list || list->count == 0)
		return 0;
	*out = calloc(list->count, sizeof(char *));
	if (!*out)
		return guard_error_oom(err);
	for (size_t i = 0; i < list->count; i++) {
		(*out)[i] = guard_strdup(list->items[i], err);
		if (!(*out)[i])
			return -1;
		(*count)++;
	}
	return 0;
}

static int compile_patterns(struct guard_scanner *scanner,
			    const struct guard_string_list *disabled, struct guard_error *err)
{
	size_t count;
	const struct guard_rule *table = guard_rules(&count);

	scanner->rules = calloc(count, sizeof(*scanner->rules));
	if (!scanner->rules)
		return guard_error_oom(err);

	for (size_t i = 0; i < count; i++) {
		struct compiled_rule *cr = &scanner->rules[scanner->rule_count];
		int code;
		PCRE2_SIZE offset;

		if (list_contains(disabled, table[i].id))
			continue;
		cr->rule = &table[i];
		cr->code = pcre2_compile((PCRE2_SPTR)table[i].pattern, PCRE2_ZERO_TERMINATED, 0,
					 &code, &offset, NULL);
		if (!cr->code) {
			PCRE2_UCHAR message[256];

			pcre2_get_error_message(code, message, sizeof(message));
			return guard_error_set(err, GUARD_ERR_INTERNAL,
					       "cannot compile rule '%s' at offset %zu: %s",
					       table[i].id, (size_t)offset, (char *)message);
		}
		/* Without JIT support PCRE2 falls back to its interpreter, which
		 * gives the same results more slowly. */
		(void)pcre2_jit_compile(cr->code, PCRE2_JIT_COMPLETE);
		scanner->rule_count++;
	}
	return 0;
}

static int compile_keywords(struct guard_scanner *scanner, struct guard_error *err)
{
	size_t total = 0, n = 0;
	const char **literals = NULL;
	unsigned *flags = NULL, *ids = NULL;
	size_t *lens = NULL;
	hs_compile_error_t *compile_error = NULL;
	int rc = -1;

	for (size_t r = 0; r < scanner->rule_count; r++) {
		for (size_t k = 0; scanner->rules[r].rule->keywords[k]; k++)
			total++;
	}
	if (total == 0)
		return 0;

	literals = calloc(total, sizeof(*literals));
	flags = calloc(total, sizeof(*flags));
	ids = calloc(total, sizeof(*ids));
	lens = calloc(total, sizeof(*lens));
	scanner->keywords = calloc(total, sizeof(*scanner->keywords));
	if (!literals || !flags || !ids || !lens || !scanner->keywords) {
		guard_error_oom(err);
		goto done;
	}

	for (size_t r = 0; r < scanner->rule_count; r++) {
		const struct guard_rule *rule = scanner->rules[r].rule;

		for (size_t k = 0; rule->keywords[k]; k++) {
			literals[n] = rule->keywords[k];
			lens[n] = strlen(rule->keywords[k]);
			flags[n] = (rule->filters & GUARD_FILTER_ANY_CASE) ? HS_FLAG_CASELESS : 0;
			ids[n] = (unsigned)n;
			scanner->keywords[n].rule = (uint32_t)r;
			scanner->keywords[n].len = (uint32_t)lens[n];
			n++;
		}
	}
	scanner->keyword_count = n;

	/* Literals only: Vectorscan then uses its SIMD literal matchers, which
	 * are several times faster than any regular expression over the text. */
	if (hs_compile_lit_multi(literals, flags, ids, lens, (unsigned)n, HS_MODE_BLOCK, NULL,
				 &scanner->db, &compile_error) != HS_SUCCESS) {
		guard_error_set(err, GUARD_ERR_INTERNAL, "cannot compile the rule keywords: %s",
				compile_error ? compile_error->message : "unknown error");
		hs_free_compile_error(compile_error);
		goto done;
	}
	if (hs_alloc_scratch(scanner->db, &scanner->prototype) != HS_SUCCESS) {
		guard_error_set(err, GUARD_ERR_INTERNAL, "cannot allocate Vectorscan scratch space");
		goto done;
	}
	rc = 0;
done:
	free(literals);
	free(flags);
	free(ids);
	free(lens);
	return rc;
}

static void disable_file_rules(struct guard_scanner *scanner,
			       const struct guard_string_list *disabled)
{
	size_t count;
	const struct guard_file_rule *table = guard_file_rules(&count);

	for (size_t i = 0; i < count && i < GUARD_SCANNER_FILE_RULES_MAX; i++)
		scanner->file_rule_disabled[i] = list_contains(disabled, table[i].id);
}

int guard_scanner_new(struct guard_scanner **out, const struct guard_scan_config *config,
		      struct guard_error *err)
{
	struct guard_scanner *scanner = calloc(1, sizeof(*scanner));
	const struct guard_string_list *disabled = config ? &config->disabled_rules : NULL;

	if (!scanner)
		return guard_error_oom(err);
	pthread_mutex_init(&scanner->lock, NULL);
	scanner->max_file_size = config && config->max_file_size ? config->max_file_size
								   : GUARD_SCAN_DEFAULT_MAX_FILE_SIZE;

	if (copy_list(&scanner->stopwords, &scanner->stopword_count,
		      config ? &config->stopwords : NULL, err) < 0 ||
	    copy_list(&scanner->skip_paths, &scanner->skip_path_count,
		      config ? &config->skip_paths : NULL, err) < 0 ||
	    compile_patterns(scanner, disabled, err) < 0 ||
	    compile_keywords(scanner, err) < 0) {
		guard_scanner_free(scanner);
		return -1;
	}
	disable_file_rules(scanner, disabled);
	*out = scanner;
	return 0;
}

static void free_list(char **items, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(items[i]);
	free(items);
}

void guard_scanner_free(struct guard_scanner *scanner)
{
	if (!scanner)
		return;
	for (size_t i = 0; i < scanner->idle_count; i++)
		worker_free(scanner->idle[i]);
	free(scanner->idle);
	for (size_t i = 0; i < scanner->rule_count; i++)
		pcre2_code_free(scanner->rules[i].code);
	free(scanner->rules);
	free(scanner->keywords);
	if (scanner->prototype)
		hs_free_scratch(scanner->prototype);
	if (scanner->db)
		hs_free_database(scanner->db);
	free_list(scanner->stopwords, scanner->stopword_count);
	free_list(scanner->skip_paths, scanner->skip_path_count);
	pthread_mutex_destroy(&scanner->lock);
	free(scanner);
}

uint64_t guard_scanner_max_file_size(const struct guard_scanner *scanner)
{
	return scanner->max_file_size;
}

bool guard_scanner_path_skipped(const struct guard_scanner *scanner, const char *path)
{
	for (size_t i = 0; path && i < scanner->skip_path_count; i++) {
		if (guard_glob_match_path(scanner->skip_paths[i], path))
			return true;
	}
	return false;
}

bool guard_scanner_name_is_keystore(const char *path)
{
	static const char *const suffixes[] = {
		".p12", ".pfx", ".pkcs12", ".jks", ".jceks", ".bks", ".keystore", ".kdbx", ".kdb",
	};
	const char *base = path ? guard_path_base(path) : "";
	size_t blen = strlen(base);

	for (size_t i = 0; i < GUARD_ARRAY_SIZE(suffixes); i++) {
		size_t n = strlen(suffixes[i]);

		if (blen > n && strcasecmp(base + blen - n, suffixes[i]) == 0)
			return true;
	}
	return false;
}

int guard_scanner_check_name(struct guard_scanner *scanner, const struct guard_location *loc,
			     const void *data, size_t len,
			     guard_finding_fn fn, void *ctx, struct guard_error *err)
{
	size_t count;
	const struct guard_file_rule *table = guard_file_rules(&count);
	const struct guard_file_rule *rule;
	struct guard_finding f;
	const char *base;

	if (!loc || !loc->path)
		return 0;
	rule = guard_file_rule_match(loc->path, data, len);
	if (!rule || scanner->file_rule_disabled[rule - table])
		return 0;

	memset(&f, 0, sizeof(f));
	f.rule_id = rule->id;
	f.description = rule->description;
	f.severity = rule->severity;
	f.hint = rule->hint;
	f.loc = *loc;
	f.loc.line = 0;
	f.loc.column = 0;
	f.loc.end_column = 0;

	/* The file name is hashed in place of a secret, so the fingerprint
	 * follows the file. A name is not secret: the preview shows it whole
	 * (up to the preview's size) rather than redacted. */
	base = guard_path_base(loc->path);
	if (guard_finding_set_secret(&f, base, strlen(base), err) < 0 ||
	    guard_finding_fingerprint(&f, err) < 0)
		return -1;
	snprintf(f.preview, sizeof(f.preview), "%s", base);
	return fn(&f, ctx, err) < 0 ? -1 : 0;
}

void guard_scan_stats_add(struct guard_scan_stats *sum, const struct guard_scan_stats *part)
{
	sum->files_scanned += part->files_scanned;
	sum->bytes_scanned += part->bytes_scanned;
	sum->files_binary += part->files_binary;
	sum->files_too_large += part->files_too_large;
	sum->files_unreadable += part->files_unreadable;
	sum->files_ignored += part->files_ignored;
	sum->findings_allowed += part->findings_allowed;
	sum->findings_baselined += part->findings_baselined;
}
