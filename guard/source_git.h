/* Secrets in git history. A scan has three steps:
 *
 *   1. select: which commits count (all refs, revision ranges, pre-push
 *      updates) or the staged changes;
 *   2. plan: walk those commits parents first and list what each one adds,
 *      as (commit, path, blob) introductions, each (blob, path) pair once;
 *   3. scan: read every introduced blob once, scan it, and report its
 *      findings under each path and commit that introduced it.
 *
 * Only what a commit adds counts: each commit is compared with its first
 * parent's tree, so deleting a secret is not a finding. A merge adds the
 * paths whose content differs from every parent's content at that path, and
 * a finding in such a blob counts only when no parent's version of the path
 * contains the same secret. A finding is reported once per (path, rule,
 * secret), at the first commit in parents-first order, so renames and
 * repeated edits of a file do not report the same secret again. */
#ifndef GUARD_SOURCE_GIT_H
#define GUARD_SOURCE_GIT_H

#include <git2.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "error.h"
#include "report.h"
#include "scanner.h"

/* Default --max-blob-size. A larger blob that a selected commit adds is not
 * scanned, and it makes the scan incomplete (GUARD_ERR_LIMIT), because a
 * secret in it would go unseen. */
#define GUARD_GIT_MAX_BLOB_SIZE_DEFAULT (10u * 1024u * 1024u)

struct guard_git;

/* Opens the repository that git itself would use from the current folder:
 * GIT_DIR and the other GIT_* variables first, then discovery upwards. Bare
 * repositories, linked worktrees and submodules (a .git file) work. */
int guard_git_open(struct guard_git **out, struct guard_error *err);
void guard_git_free(struct guard_git *git);

git_repository *guard_git_repository(struct guard_git *git);

/* Selects every commit reachable from any ref, or from HEAD. */
int guard_git_select_all(struct guard_git *git, struct guard_error *err);

/* Selects commits by a revision argument as git writes it: "A..B", "A...B",
 * "REV" or "^REV" (an exclusion). */
int guard_git_select_spec(struct guard_git *git, const char *spec, struct guard_error *err);

/* Adds one commit to walk from, or one commit whose history is excluded. */
int guard_git_include(struct guard_git *git, const git_oid *oid, struct guard_error *err);
int guard_git_exclude(struct guard_git *git, const git_oid *oid, struct guard_error *err);

/* Excludes the history of every remote-tracking ref (refs/remotes/). */
int guard_git_exclude_remote_refs(struct guard_git *git, struct guard_error *err);

/* Selects the index compared with HEAD (or with the empty tree before the
 * first commit) instead of commits. */
void guard_git_select_staged(struct guard_git *git);

/* Walks the selected commits and lists what each adds. Fails on an object
 * that cannot be read; a shallow clone is walked up to its boundary.
 * guard_git_scan walks by itself (scanning while it walks) when this was
 * not called first. */
int guard_git_plan(struct guard_git *git, struct guard_error *err);

/* Calls fn for each planned introduction in walk order; commit is NULL for
 * staged content. A non-zero return from fn stops the loop and is returned. */
typedef int (*guard_git_intro_fn)(const char *commit, const char *path, const char *blob,
				  void *ctx);
int guard_git_plan_foreach(struct guard_git *git, guard_git_intro_fn fn, void *ctx);

struct guard_git_scan_options {
	uint64_t max_blob_size;		/* 0 = GUARD_GIT_MAX_BLOB_SIZE_DEFAULT */
	unsigned jobs;			/* worker threads, 0 = one per CPU (at most 8) */
	bool pre_push;			/* advise .guard.yaml settings, because git push
					 * passes no options to the hook */
};

/* Parses the scan options that guard scan git and guard hook pre-push
 * share: --max-blob-size SIZE and -j/--jobs N. Returns 0 after setting the
 * option, -1 with a usage error for an invalid value. */
int guard_git_scan_option_max_blob_size(struct guard_git_scan_options *options, const char *arg,
					struct guard_error *err);
int guard_git_scan_option_jobs(struct guard_git_scan_options *options, const char *arg,
			       struct guard_error *err);

/* Walks the history unless guard_git_plan already did, scans the blobs it
 * adds and adds findings, counters, problems and a summary line to result. Each added blob over max_blob_size and each blob
 * that cannot be read is a problem in result. The summary string is owned
 * by git. */
int guard_git_scan(struct guard_git *git, struct guard_scanner *scanner,
		   const struct guard_git_scan_options *options,
		   struct guard_scan_result *result, struct guard_error *err);

/* Options of guard_git_scan_report, set by each scan command. */
struct guard_git_report_options {
	const char *command;		/* "scan git" or "hook pre-push" */
	const char *target;		/* the ranges or refs, for the report */
	const struct guard_options *options;
	const char *write_baseline;	/* --write-baseline FILE or NULL */
	struct guard_git_scan_options scan;
};

/* Runs a whole scan of the planned blobs: loads the configuration from the
 * work tree (or --config), builds the engine, scans, and writes the report.
 * Returns GUARD_RESULT_CLEAN or GUARD_RESULT_FINDINGS, or -1 with err set
 * (a blob that could not be read is such an error). */
int guard_git_scan_report(struct guard_git *git, const struct guard_git_report_options *ro,
			  struct guard_error *err);

/* Sets err to the formatted text, ": " and libgit2's last error message.
 * Returns -1. */
int guard_git_error(struct guard_error *err, enum guard_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Counters of the last plan and scan. */
struct guard_git_counts {
	uint64_t commits;		/* commits walked */
	uint64_t introductions;		/* (commit, path, blob) entries planned */
	uint64_t blobs;			/* unique blobs planned */
	uint64_t blobs_scanned;
	uint64_t bytes_scanned;
	uint64_t blobs_too_large;
	uint64_t blobs_unreadable;
	bool shallow;			/* history ends at a shallow boundary */
};

void guard_git_get_counts(const struct guard_git *git, struct guard_git_counts *counts);

#endif
