/* Image references in compose files (services.*.image) and Kubernetes
 * manifests (the image of every container, init container and ephemeral
 * container of any object, in every document of the file), with the byte
 * range of each value in the file so that only that scalar is edited. */
#ifndef GUARD_YAML_REFS_H
#define GUARD_YAML_REFS_H

#include <stddef.h>

#include "error.h"

enum guard_yaml_kind {
	GUARD_YAML_OTHER = 0,	/* no document looks like compose or Kubernetes */
	GUARD_YAML_COMPOSE,
	GUARD_YAML_KUBERNETES,
};

struct guard_yaml_ref {
	char *text;		/* the image value as written, owned */
	size_t start;		/* byte range of the value in the file, inside any quotes */
	size_t end;
	size_t line;		/* 1-based line of start */
	size_t column;		/* 1-based byte column of start */
	const char *skip_reason;	/* static; NULL when the value can be edited */
};

struct guard_yaml_refs {
	enum guard_yaml_kind kind;	/* of the first document that is either */
	struct guard_yaml_ref *items;	/* in file order */
	size_t count;
};

void guard_yaml_refs_init(struct guard_yaml_refs *refs);
void guard_yaml_refs_release(struct guard_yaml_refs *refs);

/* Parses data (UTF-8, optionally with a BOM) and collects the image values.
 * Each document is compose when its top level has "services", Kubernetes
 * when it has "apiVersion" and "kind", and ignored otherwise. A value that
 * cannot be edited in place (a block scalar, escape sequences, several
 * lines, compose interpolation, the name a compose build produces) is
 * returned with a skip_reason. YAML syntax errors are GUARD_ERR_PARSE
 * "PATH:LINE: what is wrong"; path is used only in messages. */
int guard_yaml_refs_find(struct guard_yaml_refs *refs, const char *path, const char *data,
			 size_t len, struct guard_error *err);

const char *guard_yaml_kind_name(enum guard_yaml_kind kind);

#endif
