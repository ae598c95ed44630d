/* A secret finding, as every source (context, git, image) reports it, and
 * the list that report writers consume. The raw secret is never stored here:
 * only a redacted preview, its length and hashes. */
#ifndef GUARD_FINDING_H
#define GUARD_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum guard_severity {
	GUARD_SEVERITY_LOW = 0,
	GUARD_SEVERITY_MEDIUM,
	GUARD_SEVERITY_HIGH,
	GUARD_SEVERITY_CRITICAL,
};

/* The source of a finding's bytes. Every string is owned by the
 * finding (strdup'ed by guard_finding_set_source) and may be NULL. */
struct guard_location {
	char *path;		/* context- or repository-relative path, or path in a layer */
	unsigned line;		/* 1-based; 0 when the finding is not in a line (a file name) */
	unsigned column;	/* 1-based byte column of the secret's first byte */
	unsigned end_column;	/* 1-based byte column after the secret on its first line */
	/* The same two columns counted in UTF-16 code units, as SARIF counts
	 * them by default; 0 when the source did not set them. */
	unsigned column_utf16, end_column_utf16;

	/* git */
	char *commit;		/* full hex id of the commit that introduced it */
	char *author;		/* "Name <email>" */
	char *date;		/* ISO 8601 */
	char *subject;		/* first line of the commit message */

	/* image */
	char *image;		/* the image as the user named it */
	char *platform;		/* os/arch[/variant] for multi-platform images */
	char *layer;		/* layer digest */
	int layer_index;	/* 1-based, 0 when not in a layer */
	char *step;		/* history created_by of the step that made the layer */
	bool removed;		/* deleted or replaced by a later layer */
	char *origin;		/* "config.Env", "history", "layer", ... */
};

struct guard_finding {
	const char *rule_id;		/* static, from the rule table */
	const char *description;	/* static */
	enum guard_severity severity;
	const char *hint;		/* static: what to do */
	char *message;			/* optional extra sentence, owned */

	struct guard_location loc;

	char preview[48];		/* redacted: a few leading characters and "…" */
	size_t secret_length;
	char secret_hash[65];		/* hex SHA-256 of the secret bytes */
	char fingerprint[96];		/* rule:source:hash, see guard_finding_fingerprint */
};

struct guard_findings {
	struct guard_finding *items;
	size_t count;
	size_t cap;
};

/* Returns "low", "medium", "high" or "critical". */
const char *guard_severity_name(enum guard_severity severity);
/* Parses a severity name, ignoring case. Returns 0, or -1 for an unknown
 * name (err-free so that callers word the message for their context). */
int guard_severity_parse(const char *name, enum guard_severity *out);

/* Fills preview, secret_length and secret_hash from the secret bytes, which
 * the caller then wipes. The preview shows at most 4 leading characters, and
 * fewer for short secrets, followed by "…" and the length. */
int guard_finding_set_secret(struct guard_finding *f, const void *secret, size_t len,
			     struct guard_error *err);

/* Computes f->fingerprint from the rule, the source (path, plus commit or
 * layer) and the secret hash, so it survives line moves and CRLF changes:
 * "<rule>:<16 hex of sha256(path NUL commit-or-layer)>:<16 hex of the
 * secret hash>". Without a path the origin ("config.Env") is used instead.
 * Call it after guard_finding_set_secret and after the location is set. */
int guard_finding_fingerprint(struct guard_finding *f, struct guard_error *err);

/* Returns the 1-based UTF-16 column of the byte after the first len bytes
 * of a UTF-8 line: one unit per character, two for a character outside the
 * Basic Multilingual Plane, one per byte of invalid UTF-8. */
unsigned guard_utf16_column(const char *line, size_t len);

/* Deep-copies src into the list. */
int guard_findings_add(struct guard_findings *list, const struct guard_finding *src,
		       struct guard_error *err);

/* Frees the strings a finding owns. */
void guard_finding_release(struct guard_finding *f);
void guard_findings_release(struct guard_findings *list);

/* Releases the finding at index and closes the gap, keeping the order. */
void guard_findings_remove(struct guard_findings *list, size_t index);

/* Sorts by path, commit, layer, line, column and rule, for stable output. */
void guard_findings_sort(struct guard_findings *list);

#endif
