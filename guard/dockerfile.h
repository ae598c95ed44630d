/* The Dockerfile parser: the grammar BuildKit's Dockerfile frontend accepts,
 * with the byte position of everything it returns, and the plan that decides
 * where `guard pin` writes each digest.
 *
 * Every offset is a byte offset into the parsed buffer (df->data, a copy of
 * the input), so an edit at an offset changes exactly the bytes it names.
 * Lines and columns are 1-based; a column counts bytes from the start of its
 * physical line (after the UTF-8 byte order mark on line 1). */
#ifndef GUARD_DOCKERFILE_H
#define GUARD_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Caps on input sizes. BuildKit rejects physical lines over 64 KiB. */
#define GUARD_DOCKERFILE_MAX_SIZE ((size_t)4 << 20)
#define GUARD_DOCKERFILE_MAX_LINE ((size_t)64 << 10)

struct guard_dockerfile_options {
	/* --build-arg values: "NAME=VALUE", or "NAME" to take the value from
	 * the environment as docker build does (ignored when unset). */
	const char *const *build_args;
	size_t build_arg_count;
	size_t max_size;	/* 0 means GUARD_DOCKERFILE_MAX_SIZE */
};

/* A word of an instruction. */
struct guard_dockerfile_word {
	char *raw;		/* as written, continuation lines joined */
	char *value;		/* quotes and escapes removed, variables kept */
	size_t start, end;	/* [start, end) of the word in df->data */
	unsigned line, column;
};

/* A NAME=VALUE pair of ENV, ARG or LABEL (also the legacy `ENV NAME value`). */
struct guard_dockerfile_pair {
	char *name;
	char *value;		/* quotes and escapes removed, variables kept;
				 * NULL for `ARG NAME` without a value */
	size_t name_start, name_end;
	size_t value_start, value_end;	/* value as written, quotes included; an
					 * empty range after the '=' of NAME=, and
					 * at the end of the name when absent */
	bool quoted;		/* some part of the value was in quotes */
	unsigned line, column;	/* of the name */
};

/* A heredoc of RUN, COPY or ADD (or of ONBUILD with one of those). */
struct guard_dockerfile_heredoc {
	char *delimiter;	/* quotes removed: <<'EOF' gives EOF */
	int fd;			/* 2 for 2<<EOF, -1 when not written */
	bool strip_tabs;	/* <<-: leading tabs removed before the terminator check */
	bool expand;		/* false when any part of the delimiter was quoted */
	size_t opener_start, opener_end; /* the <<EOF word on the instruction line */
	size_t body_start, body_end;	/* body bytes with their line endings; the
					 * terminator line is not included */
	unsigned body_line;	/* line of the first body line */
	unsigned end_line;	/* line of the terminator */
};

struct guard_dockerfile_instruction {
	char keyword[16];	/* upper case: "FROM", "RUN", "ONBUILD", ... */
	char trigger[16];	/* ONBUILD only: the upper-case keyword it wraps */
	unsigned line, end_line; /* first and last physical line, heredocs included */
	size_t start, end;	/* bytes from the keyword to the end of the last line
				 * (heredoc bodies and terminators included), without
				 * the final line ending */
	char *text;		/* the logical line: continuations joined, comment
				 * lines inside the instruction dropped, heredoc
				 * bodies not included */
	int stage;		/* index into df->stages, -1 before the first FROM */
	bool json;		/* exec (JSON array) form */
	/* Leading --flags as written ("--from=build", "--mount=type=cache,..."). */
	struct guard_dockerfile_word *flags;
	size_t flag_count;
	/* The words after the flags (for ONBUILD, after the trigger keyword and
	 * its flags): split on blanks for FROM, COPY and ADD (a heredoc opener
	 * such as <<EOF is a word too), shell words otherwise. In JSON form,
	 * the array elements, decoded. Empty for ENV, ARG and LABEL. */
	struct guard_dockerfile_word *args;
	size_t arg_count;
	/* ENV, ARG, LABEL (also inside ONBUILD). */
	struct guard_dockerfile_pair *pairs;
	size_t pair_count;
	struct guard_dockerfile_heredoc *heredocs;
	size_t heredoc_count;
};

struct guard_dockerfile_stage {
	char *name;		/* lower case; NULL when the stage has no AS */
	size_t instruction;	/* index of its FROM in df->instructions */
};

enum guard_dockerfile_ref_kind {
	GUARD_DOCKERFILE_REF_FROM,
	GUARD_DOCKERFILE_REF_COPY_FROM,		/* COPY --from=<image> */
	GUARD_DOCKERFILE_REF_MOUNT_FROM,	/* RUN --mount=...,from=<image> */
	GUARD_DOCKERFILE_REF_ONBUILD_COPY_FROM,
	GUARD_DOCKERFILE_REF_ONBUILD_MOUNT_FROM,
	GUARD_DOCKERFILE_REF_SYNTAX,		/* # syntax=<image> */
};

enum guard_dockerfile_action {
	GUARD_DOCKERFILE_PIN,		/* insert a digest at insert_at */
	GUARD_DOCKERFILE_PINNED,	/* has a digest already */
	GUARD_DOCKERFILE_SKIP,		/* nothing to pin, or cannot pin: see reason */
};

/* The place a planned digest goes. */
enum guard_dockerfile_site {
	GUARD_DOCKERFILE_SITE_NONE,
	GUARD_DOCKERFILE_SITE_LITERAL,		/* after the reference as written */
	GUARD_DOCKERFILE_SITE_ARG_DEFAULT,	/* at the end of an ARG default value */
	GUARD_DOCKERFILE_SITE_EXPR_DEFAULT,	/* at the end of the w of ${V:-w} */
	GUARD_DOCKERFILE_SITE_AFTER_EXPRESSION,	/* after a reference built from ARGs */
};

/* An image reference and what pin does with it. */
struct guard_dockerfile_image {
	enum guard_dockerfile_ref_kind kind;
	size_t instruction;	/* index in df->instructions; SIZE_MAX for syntax */
	unsigned line, column;	/* of the reference as written */
	size_t start, end;	/* the reference as written in df->data */
	char *written;		/* the reference as written (continuations joined) */
	char *expanded;		/* after ARG substitution, quotes removed; NULL when
				 * it could not be expanded */
	enum guard_dockerfile_action action;

	/* PIN: insert [":latest"] "@sha256:<hex>" at insert_at. add_latest is
	 * set when the reference has no tag, so `FROM node` becomes
	 * `FROM node:latest@sha256:...`. */
	enum guard_dockerfile_site site;
	size_t insert_at;
	unsigned insert_line;
	bool add_latest;
	/* PIN: another image earlier in df->images plans the same insertion
	 * (an ARG default used by several FROM lines); edit it once. */
	bool duplicate;

	/* PINNED: the "@sha256:..." bytes in df->data that a re-pin replaces;
	 * both SIZE_MAX when the digest does not come from the file (a
	 * --build-arg value). */
	size_t digest_start, digest_end;

	char *reason;		/* SKIP: why, naming the ARG or stage; else NULL */
	char *warning;		/* anything pin should tell the user; else NULL */
};

struct guard_dockerfile {
	char *path;		/* for messages */
	char *data;		/* a NUL-terminated copy of the input */
	size_t len;
	bool bom;		/* the input starts with a UTF-8 byte order mark */
	bool crlf;		/* the first line ends with CRLF */
	char escape;		/* '\\' or '`' */

	/* Parser directives; value NULL when absent. syntax_image is the first
	 * word of the syntax value, at [syntax_start, syntax_end). */
	char *syntax;
	char *syntax_image;
	size_t syntax_start, syntax_end;
	unsigned syntax_line;
	char *check;

	struct guard_dockerfile_instruction *instructions;
	size_t instruction_count;
	struct guard_dockerfile_stage *stages;
	size_t stage_count;
	struct guard_dockerfile_image *images;	/* in file order, syntax first */
	size_t image_count;
	char **warnings;	/* "path:line: text" for the file as a whole */
	size_t warning_count;
};

/* Parses a Dockerfile and plans the pins. data may hold a BOM, CRLF or LF
 * line endings and no final newline. path is used only in messages. opts
 * may be NULL. Errors: GUARD_ERR_PARSE "path:line: what is wrong" for
 * input BuildKit rejects (unknown instruction, FROM with two words,
 * unterminated heredoc, repeated directive, invalid reference, ...);
 * GUARD_ERR_LIMIT for a line over GUARD_DOCKERFILE_MAX_LINE or a file over
 * the size cap. Never contacts a registry. */
int guard_dockerfile_parse(struct guard_dockerfile **out, const char *path,
			   const char *data, size_t len,
			   const struct guard_dockerfile_options *opts,
			   struct guard_error *err);

/* Reads the file at path (capped at opts->max_size) and parses it. */
int guard_dockerfile_load(struct guard_dockerfile **out, const char *path,
			  const struct guard_dockerfile_options *opts,
			  struct guard_error *err);

void guard_dockerfile_free(struct guard_dockerfile *df);

/* Builds the pinned text: digests[i] ("sha256:<hex>", or NULL to leave the
 * image alone) goes to df->images[i]. A PIN image gets [":latest"] "@"
 * digest inserted at insert_at, once per site. A PINNED image with a
 * digest range gets the range replaced by "@" digest. Every other byte is
 * copied unchanged. *out is NUL-terminated and the caller frees it. Fails
 * with GUARD_ERR_INTERNAL when two edits overlap. */
int guard_dockerfile_apply(const struct guard_dockerfile *df,
			   const char *const *digests, char **out, size_t *out_len,
			   struct guard_error *err);

/* Returns a short name: "from", "copy-from", "mount-from",
 * "onbuild-copy-from", "onbuild-mount-from", "syntax". */
const char *guard_dockerfile_ref_kind_name(enum guard_dockerfile_ref_kind kind);

#endif
