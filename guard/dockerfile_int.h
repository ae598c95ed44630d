/* Internal interface between the parts of the Dockerfile parser: text that
 * remembers where each byte came from, shell-word expansion, and the pin
 * plan. Not for use outside guard/dockerfile*.c. */
#ifndef GUARD_DOCKERFILE_INT_H
#define GUARD_DOCKERFILE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dockerfile.h"
#include "error.h"

/* Marks a byte that does not come from the file (a --build-arg value). */
#define DF_NOSRC SIZE_MAX

/* A string whose every byte records the offset in df->data it was read
 * from, so a result can be traced back to the bytes that produced it. */
struct df_text {
	char *s;		/* NUL-terminated */
	size_t *src;
	size_t len, cap;
};

int df_text_put(struct df_text *t, char c, size_t src, struct guard_error *err);
int df_text_append(struct df_text *t, const struct df_text *from, size_t start,
		   size_t len, struct guard_error *err);
int df_text_set(struct df_text *t, const char *s, size_t src, struct guard_error *err);
void df_text_release(struct df_text *t);

/* A variable seen by substitution: an ARG, an ENV, or a platform ARG that
 * BuildKit fills in at build time. */
struct df_var {
	char *name;
	struct df_text value;
	bool set;		/* has a value (an ARG without one is unset) */
	bool platform;		/* TARGETARCH and friends: value known only at build time */
	bool is_env;
	bool overridden;	/* value from --build-arg */
	/* The byte range of the ARG default (quotes excluded), or DF_NOSRC. */
	size_t default_start, default_end;
	char **deps;		/* names whose values this value was built from */
	size_t dep_count;
};

struct df_env {
	struct df_var *vars;
	size_t count;
};

void df_env_release(struct df_env *env);
struct df_var *df_env_find(const struct df_env *env, const char *name);
/* Adds var or replaces the one of the same name; takes ownership of var's
 * contents. */
int df_env_put(struct df_env *env, struct df_var *var, struct guard_error *err);
int df_var_copy(struct df_var *dst, const struct df_var *src, struct guard_error *err);
void df_var_release(struct df_var *var);
bool df_is_platform_arg(const char *name);

/* The result of expanding one word. */
struct df_expansion {
	struct df_text out;
	char **deps;		/* every variable looked up, with its own deps */
	size_t dep_count;
	char *missing;		/* first variable used for its value that had none */
	bool missing_declared;	/* it was declared, without a value */
	char *platform;		/* first platform ARG used for its value */
	char *required;		/* ${V:?} or ${V?} that failed: V */
	size_t expressions;	/* $V and ${...} at the top level of the word */
	size_t literals;	/* bytes copied outside expressions */
};

void df_expansion_release(struct df_expansion *x);

/* Expands a shell word as BuildKit's lexer does: quotes removed, escapes
 * applied, $V and ${V...} substituted from env. in is read from
 * [start, start + len). With env NULL nothing is substituted and '$' is
 * kept, which gives the word's value as written. Errors: GUARD_ERR_PARSE
 * for a bad substitution (the message has no location). */
int df_expand(const struct df_text *in, size_t start, size_t len, char escape,
	      const struct df_env *env, struct df_expansion *out,
	      struct guard_error *err);

/* Adds name to a list of strings unless present. */
int df_names_add(char ***names, size_t *count, const char *name, struct guard_error *err);
bool df_names_has(char **names, size_t count, const char *name);
void df_names_free(char **names, size_t count);

/* Matches text against a BuildKit substitution pattern (* and ? globs,
 * escape char quoting the next byte). */
bool df_glob_match(const char *pattern, const char *text, size_t text_len, char escape);

/* Plans the pins: fills df->stages and df->images from df->instructions. */
int df_plan(struct guard_dockerfile *df, const struct guard_dockerfile_options *opts,
	    struct guard_error *err);

/* Line number (1-based) and column of a byte offset. */
void df_position(const struct guard_dockerfile *df, size_t offset, unsigned *line,
		 unsigned *column);

/* The public struct plus the line table that df_position searches. */
struct df_full {
	struct guard_dockerfile pub;
	size_t *line_starts;
	size_t *line_ends;	/* end of the content, line ending excluded */
	size_t line_count;
	struct df_text *logical;	/* per instruction: its logical line */
};

struct df_reader {
	struct df_full *full;
	struct guard_dockerfile *df;
	size_t line;		/* index of the next physical line to read */
	struct guard_error *err;
};

/* True for the blanks BuildKit splits words on (space, tab, CR, VT, FF). */
bool df_is_blank(char c);

/* Sets GUARD_ERR_PARSE "path:line: message" for 0-based line_index. */
int df_parse_error(struct df_reader *rd, size_t line_index, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Parses the logical line t (keyword at 0) that starts on 0-based line
 * into ins; heredoc bodies are read from the lines after rd->line, and
 * *end moves to the end of the last terminator. */
int df_read_instruction(struct df_reader *rd, const struct df_text *t, size_t line,
			struct guard_dockerfile_instruction *ins, size_t *end);
void df_instruction_release(struct guard_dockerfile_instruction *ins);

/* The logical line of an instruction, and the index in it of the byte
 * read from offset (the first index at or after it). */
const struct df_text *df_logical(const struct guard_dockerfile *df, size_t instruction);
size_t df_logical_index(const struct df_text *t, size_t offset);

/* Records a file-level warning "path:line: text". */
int df_warn(struct guard_dockerfile *df, unsigned line, struct guard_error *err,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
