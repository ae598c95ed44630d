/* The built-in secret rules. Each rule names a credential format, the
 * literal keywords that every match contains, and a PCRE2 pattern whose
 * first capture group is the secret. */
#ifndef GUARD_RULES_H
#define GUARD_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "finding.h"

#define GUARD_RULE_MAX_KEYWORDS 14

/* Value filters a rule turns on, applied to the captured secret. */
enum {
	/* Skip references and placeholders: $VAR, ${VAR}, <value>, {{ x }},
	 * %(x)s, os.getenv(...), process.env.X, changeme, xxxx, ... */
	GUARD_FILTER_PLACEHOLDER = 1 << 0,
	/* Skip values shaped like code or paths: calls, member access,
	 * file paths, and plain words without a digit or symbol. */
	GUARD_FILTER_CODE = 1 << 1,
	/* A generic rule: dropped where a specific rule found the same bytes. */
	GUARD_FILTER_GENERIC = 1 << 2,
	/* The value is base64 of "user:password". */
	GUARD_FILTER_BASIC_AUTH = 1 << 3,
	/* The keywords match in any case; otherwise they match exactly. */
	GUARD_FILTER_ANY_CASE = 1 << 4,
};

/* Every match of pattern contains one of the keywords, starts at most `before` bytes before that keyword and
 * ends at most `after` bytes after its end. The engine relies on this to
 * run the pattern only on a bounded window around each keyword. */
struct guard_rule {
	const char *id;
	const char *description;
	enum guard_severity severity;
	const char *keywords[GUARD_RULE_MAX_KEYWORDS];	/* NULL-terminated */
	const char *pattern;		/* PCRE2, group 1 is the secret */
	unsigned before;
	unsigned after;
	double min_entropy;		/* Shannon bits per byte of the secret, 0 = none */
	unsigned filters;		/* GUARD_FILTER_* */
	const char *hint;
};

/* The rule table, in a stable order. */
const struct guard_rule *guard_rules(size_t *count);

/* Returns the rule with this id, or NULL. */
const struct guard_rule *guard_rule_find(const char *id);

/* Shannon entropy of data in bits per byte. */
double guard_rule_entropy(const void *data, size_t len);

/* True when the value passes the rule's entropy floor and filters. */
bool guard_rule_accepts(const struct guard_rule *rule, const char *value, size_t len);

/* Rules that report a file by its path alone. */
struct guard_file_rule {
	const char *id;
	const char *description;
	enum guard_severity severity;
	const char *hint;
};

const struct guard_file_rule *guard_file_rules(size_t *count);

/* Rules that a source reports from what it parses, not from the engine's
 * patterns: secret-looking ENV and ARG names with literal values in a
 * Dockerfile or an image, and COPY of a secret file. They share the shape
 * of file rules. */
const struct guard_file_rule *guard_source_rules(size_t *count);

/* Returns the source rule with this id. Callers pass ids of the table only;
 * an unknown id, a programming error, returns the first rule, not NULL. */
const struct guard_file_rule *guard_source_rule(const char *id);

/* Returns the file rule that the path (and, for *.pem and *.key, the
 * content, when data is not NULL) matches, or NULL. */
const struct guard_file_rule *guard_file_rule_match(const char *path, const void *data,
						    size_t len);

#endif
