/* Parses an image history entry's created_by text into the variables it
 * records: ENV pairs, ARG declarations and the build arguments that prefix
 * a RUN (both the classic builder's and BuildKit's forms). */
#ifndef GUARD_IMAGE_HISTORY_H
#define GUARD_IMAGE_HISTORY_H

#include <stddef.h>

#include "error.h"

enum guard_history_kind {
	GUARD_HISTORY_OTHER = 0,	/* COPY, CMD, LABEL, an import, ... */
	GUARD_HISTORY_ENV,
	GUARD_HISTORY_ARG,
	GUARD_HISTORY_RUN,
};

/* One NAME=value pair. value is "" for a bare "ARG NAME" and for an unset
 * build argument ("K=" in a RUN prefix). */
struct guard_history_var {
	char *name;
	char *value;
};

/* A parsed created_by. command is the RUN command after the build argument
 * prefix (NULL for other kinds). All strings are owned. */
struct guard_history_step {
	enum guard_history_kind kind;
	struct guard_history_var *vars;
	size_t var_count;
	char *command;
};

/* Parses created_by. Text that is not a recognised form gives kind OTHER
 * with no variables; only out-of-memory fails. */
int guard_history_parse(struct guard_history_step *out, const char *created_by,
			struct guard_error *err);

/* Wipes the values (they may be secrets) and frees everything. */
void guard_history_step_release(struct guard_history_step *step);

const char *guard_history_kind_name(enum guard_history_kind kind);

#endif
