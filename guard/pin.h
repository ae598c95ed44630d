/* The state of one `guard pin` run, shared by the command (cmd_pin.c), file
 * discovery and parsing (pin_files.c) and the result output (pin_output.c). */
#ifndef GUARD_PIN_H
#define GUARD_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "digest.h"
#include "error.h"
#include "ref.h"

/* Files bigger than this are not parsed (the Dockerfile parser's cap). */
#define GUARD_PIN_MAX_FILE_SIZE ((size_t)4 << 20)
/* Maximum number of files in one run. */
#define GUARD_PIN_MAX_FILES 100000

enum guard_pin_mode {
	GUARD_PIN_WRITE = 0,	/* pin and write the files */
	GUARD_PIN_CHECK,	/* list unpinned references, offline */
	GUARD_PIN_DIFF,		/* print the changes as a unified diff */
};

enum guard_pin_file_kind {
	GUARD_PIN_DOCKERFILE = 0,
	GUARD_PIN_YAML,		/* compose or Kubernetes, decided by content */
};

enum guard_pin_action {
	GUARD_PIN_ACTION_NONE = 0,	/* not decided yet */
	GUARD_PIN_ACTION_PINNED,	/* a digest was (or would be) inserted */
	GUARD_PIN_ACTION_ALREADY,	/* already pinned, nothing to do */
	GUARD_PIN_ACTION_UPDATED,	/* the digest was (or would be) replaced */
	GUARD_PIN_ACTION_UNPINNED,	/* --check: no digest yet */
	GUARD_PIN_ACTION_SKIPPED,	/* left alone, see reason */
	GUARD_PIN_ACTION_ERROR,		/* see error */
};

/* One image reference in a file and what the run did with it. */
struct guard_pin_site {
	size_t file;		/* index in run->files */
	unsigned line, column;
	unsigned edit_line;	/* the line of insert_at or digest_start: an ARG default's line */
	const char *kind;	/* "from", "copy-from", "compose", "kubernetes", ... */
	char *text;		/* as written */
	char *expanded;		/* what is resolved (ARGs substituted); NULL if none */
	char *name;		/* canonical name, NULL when expanded did not parse */
	struct guard_ref ref;	/* parsed expanded, valid when name is set */
	bool has_ref;

	/* The plan. */
	bool pinnable;		/* a digest can be inserted at insert_at */
	size_t insert_at;
	bool add_latest;	/* insert ":latest" before the digest */
	bool duplicate;		/* another site makes the same insertion */
	bool pinned;		/* the reference carries a digest already */
	size_t digest_start;	/* its "@sha256:..." bytes, SIZE_MAX if not in the file */
	size_t digest_end;
	char *reason;		/* why it is skipped */
	char *warning;

	/* The outcome. */
	enum guard_pin_action action;
	char digest[GUARD_DIGEST_MAX];		/* the digest the file has or gets */
	char previous[GUARD_DIGEST_MAX];	/* before an update */
	char moved_to[GUARD_DIGEST_MAX];	/* --verify: where the tag points now */
	struct guard_error error;
	size_t tag_request;	/* index in the request table, SIZE_MAX if none */
	size_t digest_request;
};

struct guard_pin_file {
	char *path;		/* as given or found, for messages */
	char *write_path;	/* the file to replace: symlinks resolved */
	enum guard_pin_file_kind kind;
	const char *content_kind;	/* "dockerfile", "compose", "kubernetes", "yaml" */
	char *data;
	size_t len;
	struct guard_error error;	/* a parse, read or registry failure */
	bool failed;
	bool changed;		/* edits were computed */
	bool written;
	char *diff;		/* --diff output for this file */
};

struct guard_pin_run {
	enum guard_pin_mode mode;
	bool update;
	bool verify;
	const char *platform;
	const char **build_args;
	size_t build_arg_count;
	unsigned jobs;
	struct guard_options opts;
	struct guard_config config;

	struct guard_scanner *scanner;	/* for --diff: finds values to mask */

	struct guard_pin_file *files;
	size_t file_count;
	struct guard_pin_site *sites;
	size_t site_count;
	size_t site_cap;
};

void guard_pin_run_init(struct guard_pin_run *run);
void guard_pin_run_release(struct guard_pin_run *run);

/* Adds the files a PATH names: a file as it is, a folder searched for
 * Dockerfiles, compose files and Kubernetes manifests (skipping .git,
 * node_modules and scan.skip-paths). A missing path is recorded as a
 * failed file, not returned as an error. */
int guard_pin_files_add_path(struct guard_pin_run *run, const char *path,
			     struct guard_error *err);

/* Reads and parses every file, appending its references to run->sites. A
 * file that cannot be read or parsed is marked failed and keeps no sites. */
int guard_pin_files_load(struct guard_pin_run *run, struct guard_error *err);

/* Prints the results in the run's format to out. */
int guard_pin_output_write(const struct guard_pin_run *run, FILE *out,
			   struct guard_error *err);

const char *guard_pin_action_name(enum guard_pin_action action);

struct guard_registry;

/* Sets *listed when the index index_digest of ref's repository lists the
 * manifest digest, for platform when platform is not NULL. */
int guard_pin_index_lists(struct guard_registry *registry, const struct guard_ref *ref,
			  const char *index_digest, const char *digest, const char *platform,
			  bool *listed, struct guard_error *err);

/* Reads the config of the single-platform manifest digest and sets
 * *matches when its os, architecture and variant fit requested
 * ("os/arch[/variant]"). platform receives what the config names
 * ("os/arch[/variant]"), or "" when it names no os or architecture. */
int guard_pin_manifest_platform(struct guard_registry *registry, const struct guard_ref *ref,
				const char *digest, const char *requested, bool *matches,
				char *platform, size_t size, struct guard_error *err);

#endif
