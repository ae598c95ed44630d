/* "guard hook": the git pre-push hook and its installer. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "log.h"
#include "source_git.h"
#include "util.h"

/* The text of hooks/pre-push, byte for byte; a test compares the installed
 * hook with that file. */
static const char pre_push_script[] =
	"#!/bin/sh\n"
	"# git pre-push hook: blocks a push whose new commits add a secret.\n"
	"# Installed by 'guard hook install'. It runs 'guard hook pre-push', which\n"
	"# reads the refs being pushed from stdin. To push once without the check,\n"
	"# run 'git push --no-verify'. The \"--\" keeps a remote name that starts\n"
	"# with '-' from being read as an option.\n"
	"case $0 in\n"
	"*/*) here=${0%/*} ;;\n"
	"*) here=. ;;\n"
	"esac\n"
	"guard=${GUARD:-}\n"
	"if [ -z \"$guard\" ]; then\n"
	"\tif command -v guard >/dev/null 2>&1; then\n"
	"\t\tguard=guard\n"
	"\telif [ -x \"$here/guard\" ]; then\n"
	"\t\tguard=$here/guard\n"
	"\tfi\n"
	"fi\n"
	"if [ -z \"$guard\" ]; then\n"
	"\techo \"guard: push blocked: the guard program was not found in GUARD, PATH or $here\" >&2\n"
	"\techo \"guard: hint: install guard or set GUARD to its path; to push without the check, run 'git push --no-verify'\" >&2\n"
	"\texit 1\n"
	"fi\n"
	"exec \"$guard\" hook pre-push -- \"$@\"\n";

/* git writes one line per ref; a longer line is not git's input. */
#define PUSH_LINE_MAX 4096
#define PUSH_LINES_MAX 100000
#define HOOK_FILE_MAX (1024 * 1024)

static const char hook_usage[] =
	"usage: guard hook pre-push [options] [--] [REMOTE URL]\n"
	"       guard hook install [--force]\n"
	"\n"
	"pre-push: run as git's pre-push hook. Reads the lines git writes to the\n"
	"hook's stdin ('<local ref> <local id> <remote ref> <remote id>') and scans\n"
	"the commits each update sends that the remote does not have yet. Without\n"
	"input lines, PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF (set by the\n"
	"pre-commit framework) give the range. Findings or any error block the push.\n"
	"Options may also follow REMOTE URL; after \"--\", as the installed hook\n"
	"passes them, a remote name that starts with '-' is not read as an option.\n"
	"\n"
	"install: copy the pre-push hook into this repository's hooks folder\n"
	"(core.hooksPath when set). An existing different hook is kept unless\n"
	"--force is given, which moves it to pre-push.guard-backup beside the new\n"
	"hook. Warns when the hook would not find guard in GUARD, PATH or the hooks\n"
	"folder, because such a hook blocks every push.\n"
	"\n"
	"Options of pre-push:\n"
	"      --max-blob-size SIZE  largest blob to scan, in bytes (default 10M, or\n"
	"                            scan.max-file-size from .guard.yaml); a larger blob\n"
	"                            blocks the push, because it was not scanned\n"
	"  -j, --jobs N              scan with N threads, 1 to 64 (default: one per CPU,\n"
	"                            at most 8)\n"
	"      --dry-run             print 'COMMIT PATH BLOB' for each file the push\n"
	"                            would scan, and scan nothing\n"
	"\n";

enum {
	OPT_FORCE = 1,
	OPT_MAX_BLOB_SIZE,
	OPT_DRY_RUN,
};

static const struct option hook_options[] = {
	GUARD_COMMON_LONG_OPTIONS,
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "max-blob-size", required_argument, NULL, OPT_MAX_BLOB_SIZE },
	{ "jobs", required_argument, NULL, 'j' },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ NULL, 0, NULL, 0 },
};

struct hook_args {
	struct guard_options options;
	struct guard_git_scan_options scan;
	bool force;
	bool dry_run;
	bool help;
};

static int parse_args(struct hook_args *args, int argc, char **argv, struct guard_error *err)
{
	int c, handled;

	optind = 1;
	opterr = 0;
	/* Options may follow the remote and URL, as in other commands. git may
	 * pass a remote name that starts with '-' ('git remote add -- -x URL'),
	 * so the installed hook puts "--" before git's arguments. */
	while ((c = getopt_long(argc, argv, "j:" GUARD_COMMON_SHORT_OPTIONS, hook_options,
				NULL)) != -1) {
		handled = guard_options_handle(&args->options, c, optarg, err);
		if (handled < 0)
			return -1;
		if (handled)
			continue;
		switch (c) {
		case 'h':
			args->help = true;
			break;
		case OPT_FORCE:
			args->force = true;
			break;
		case OPT_DRY_RUN:
			args->dry_run = true;
			break;
		case OPT_MAX_BLOB_SIZE:
			if (guard_git_scan_option_max_blob_size(&args->scan, optarg, err) < 0)
				return -1;
			break;
		case 'j':
			if (guard_git_scan_option_jobs(&args->scan, optarg, err) < 0)
				return -1;
			break;
		default:
			return guard_options_usage_error("hook", argv, err);
		}
	}
	return 0;
}

/* A SHA-1 (40) or SHA-256 (64) object id in lowercase or uppercase hex. */
static bool is_object_id(const char *s)
{
	size_t len = strlen(s), i;

	if (len != 40 && len != 64)
		return false;
	for (i = 0; i < len; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	return true;
}

static bool is_zero_id(const char *s)
{
	return strspn(s, "0") == strlen(s);
}

/* Replaces the id of an annotated tag (a pushed tag) with the commit it
 * points to. A tag of a tree or a blob is rejected, so the push is blocked
 * instead of sending content that was not scanned. */
static int peel_tag(struct guard_git *git, const char *hex, git_oid *oid, struct guard_error *err)
{
	git_object *tag = NULL, *target = NULL;

	if (git_object_lookup(&tag, guard_git_repository(git), oid, GIT_OBJECT_TAG) < 0)
		return guard_git_error(err, GUARD_ERR_IO, "reading tag '%s'", hex);
	if (git_object_peel(&target, tag, GIT_OBJECT_COMMIT) < 0) {
		git_object_free(tag);
		return guard_git_error(err, GUARD_ERR_PARSE, "tag '%s' does not point to a commit", hex);
	}
	git_oid_cpy(oid, git_object_id(target));
	git_object_free(target);
	git_object_free(tag);
	return 0;
}

/* Resolves an id git gave us to a local commit. *found is false when the
 * repository does not have it (someone else pushed it). */
static int lookup_commit(struct guard_git *git, const char *hex, git_oid *oid, bool *found,
			 struct guard_error *err)
{
	git_odb *odb = NULL;
	git_object_t type;
	size_t size;
	int rc;

	*found = false;
	if (strlen(hex) != GIT_OID_HEXSZ)
		return guard_error_set(err, GUARD_ERR_PARSE,
				       "object id '%s' is a SHA-256 id, which this build of libgit2 "
				       "cannot read", hex);
	if (git_oid_fromstr(oid, hex) < 0)
		return guard_git_error(err, GUARD_ERR_PARSE, "invalid object id '%s'", hex);
	if (git_repository_odb(&odb, guard_git_repository(git)) < 0)
		return guard_git_error(err, GUARD_ERR_IO, "opening the object database");
	rc = git_odb_read_header(&size, &type, odb, oid);
	git_odb_free(odb);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return guard_git_error(err, GUARD_ERR_IO, "reading object '%s'", hex);
	if (type == GIT_OBJECT_TAG && peel_tag(git, hex, oid, err) < 0)
		return -1;
	if (type != GIT_OBJECT_COMMIT && type != GIT_OBJECT_TAG)
		return guard_error_set(err, GUARD_ERR_PARSE, "object '%s' is a %s, not a commit or a tag",
				       hex, git_object_type2string(type));
	*found = true;
	return 0;
}

struct push_plan {
	size_t updates;			/* refs whose new commits are scanned */
	bool exclude_remotes;		/* some ref is new to the remote */
};

/* Selects the commits of one update: local_id minus what the remote has. */
static int select_update(struct guard_git *git, const char *local_id, const char *remote_id,
			 struct push_plan *plan, struct guard_error *err)
{
	git_oid local, remote;
	bool found;

	if (lookup_commit(git, local_id, &local, &found, err) < 0)
		return -1;
	if (!found)
		return guard_error_set(err, GUARD_ERR_IO, "the pushed commit '%s' is not in this "
				       "repository", local_id);
	if (guard_git_include(git, &local, err) < 0)
		return -1;
	plan->updates++;

	if (!is_zero_id(remote_id)) {
		if (lookup_commit(git, remote_id, &remote, &found, err) < 0)
			return -1;
		if (found)
			return guard_git_exclude(git, &remote, err);
		guard_log_info("the remote's commit '%s' is not in this repository; scanning "
			       "every commit that no remote-tracking ref contains", remote_id);
	}

	/* A new ref (or an unknown remote state): everything no remote has. */
	plan->exclude_remotes = true;
	return 0;
}

/* Parses "<local ref> <local id> <remote ref> <remote id>". */
static int handle_push_line(struct guard_git *git, char *line, size_t number,
			    struct push_plan *plan, struct guard_error *err)
{
	char *fields[4], *p = line, *space;
	size_t count = 0;

	/* Exactly four fields separated by single spaces; ref names have none. */
	while (count < 4) {
		fields[count++] = p;
		space = strchr(p, ' ');
		if (!space)
			break;
		*space = '\0';
		p = space + 1;
	}
	if (count != 4 || strchr(fields[3], ' ') || !*fields[0] || !*fields[2])
		return guard_error_set(err, GUARD_ERR_PARSE, "invalid pre-push input line %zu: expected "
				       "'<local ref> <local id> <remote ref> <remote id>'", number);
	if (!is_object_id(fields[1]) || !is_object_id(fields[3]))
		return guard_error_set(err, GUARD_ERR_PARSE, "invalid pre-push input line %zu: '%s' or "
				       "'%s' is not an object id", number, fields[1], fields[3]);

	/* Deleting a remote ref sends no commits. */
	if (is_zero_id(fields[1]))
		return 0;
	if (select_update(git, fields[1], fields[3], plan, err) < 0)
		return guard_error_prefix(err, "pre-push input line %zu (%s)", number, fields[2]);
	return 0;
}

static int read_push_lines(struct guard_git *git, struct push_plan *plan, size_t *lines,
			   struct guard_error *err)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	*lines = 0;
	if (isatty(STDIN_FILENO))
		return 0;
	while (rc == 0 && (len = getline(&line, &cap, stdin)) >= 0) {
		if (++*lines > PUSH_LINES_MAX) {
			rc = guard_error_set(err, GUARD_ERR_LIMIT, "more than %d pre-push input lines",
					     PUSH_LINES_MAX);
			break;
		}
		if ((size_t)len > PUSH_LINE_MAX) {
			rc = guard_error_set(err, GUARD_ERR_LIMIT, "pre-push input line %zu is longer "
					     "than %d bytes", *lines, PUSH_LINE_MAX);
			break;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0) {
			--*lines;
			continue;
		}
		rc = handle_push_line(git, line, *lines, plan, err);
	}
	if (rc == 0 && ferror(stdin))
		rc = guard_error_set(err, GUARD_ERR_IO, "reading the pre-push input: %s", strerror(errno));
	free(line);
	return rc;
}

/* The pre-commit framework runs pre-push hooks without git's input and
 * passes the range in PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF. */
static int select_from_environment(struct guard_git *git, struct push_plan *plan,
				   struct guard_error *err)
{
	const char *from = getenv("PRE_COMMIT_FROM_REF"), *to = getenv("PRE_COMMIT_TO_REF");
	git_object *to_obj = NULL, *from_obj = NULL;
	int rc = 0;

	if (!to || !*to)
		return 0;
	if (git_revparse_single(&to_obj, guard_git_repository(git), to) < 0) {
		return guard_git_error(err, GUARD_ERR_PARSE, "invalid PRE_COMMIT_TO_REF '%s'", to);
	}
	rc = guard_git_select_spec(git, to, err);
	plan->updates++;
	if (rc == 0 && from && *from && !is_zero_id(from) &&
	    git_revparse_single(&from_obj, guard_git_repository(git), from) == 0)
		rc = guard_git_exclude(git, git_object_id(from_obj), err);
	else if (rc == 0)
		plan->exclude_remotes = true;
	git_object_free(to_obj);
	git_object_free(from_obj);
	return rc;
}

static int print_planned(const char *commit, const char *path, const char *blob, void *ctx)
{
	(void)ctx;
	printf("%s %s %s\n", commit ? commit : "staged", path, blob);
	return 0;
}

static void print_push_guidance(void)
{
	guard_log_error("push blocked: the commits being pushed add the secrets listed above");
	guard_log_hint("remove each secret from the commits that are not pushed yet: "
		       "'git commit --amend' for the last commit, 'git rebase -i' for older ones; "
		       "then rotate the secret, because it may already have been copied");
	guard_log_hint("to push anyway, run 'git push --no-verify'");
}

/* Sets a usage error that lists the arguments given, so that an option
 * read as a remote name (or the reverse) is visible. */
static int usage_arguments(int argc, char **argv, struct guard_error *err)
{
	struct guard_buf list = GUARD_BUF_INIT(GUARD_ERROR_MAX);
	int i, rc;

	for (i = 0; i < argc; i++)
		if (guard_buf_printf(&list, err, "%s'%.100s'", i ? " " : "", argv[i]) < 0)
			break;
	rc = guard_error_set(err, GUARD_ERR_USAGE,
			     "invalid arguments %s: 'guard hook pre-push' takes the remote name and "
			     "URL that git passes to the hook, or nothing; put \"--\" before a remote "
			     "name that starts with '-'", list.data ? list.data : "");
	guard_buf_release(&list);
	return rc;
}

static int run_pre_push(struct hook_args *args, int argc, char **argv, struct guard_error *err)
{
	struct guard_git_report_options ro;
	struct push_plan plan = { 0, false };
	struct guard_git *git = NULL;
	char target[512];
	size_t lines = 0;
	int rc = -1;

	if (argc != 0 && argc != 2)
		return usage_arguments(argc, argv, err);
	snprintf(target, sizeof(target), "push to %.200s", argc == 2 ? argv[0] : "the remote");

	if (guard_git_open(&git, err) < 0 || read_push_lines(git, &plan, &lines, err) < 0)
		goto out;
	if (lines == 0 && select_from_environment(git, &plan, err) < 0)
		goto out;
	if (plan.updates == 0) {
		guard_log_info("nothing to scan: the push sends no new commits");
		rc = GUARD_RESULT_CLEAN;
		goto out;
	}
	if (plan.exclude_remotes && guard_git_exclude_remote_refs(git, err) < 0)
		goto out;
	if (args->dry_run) {
		if (guard_git_plan(git, err) < 0)
			goto out;
		guard_git_plan_foreach(git, print_planned, NULL);
		rc = GUARD_RESULT_CLEAN;
		goto out;
	}

	memset(&ro, 0, sizeof(ro));
	ro.command = "hook pre-push";
	ro.target = target;
	ro.options = &args->options;
	ro.scan = args->scan;
	ro.scan.pre_push = true;
	rc = guard_git_scan_report(git, &ro, err);
	if (rc == GUARD_RESULT_FINDINGS)
		print_push_guidance();
out:
	guard_git_free(git);
	if (rc < 0) {
		guard_error_prefix(err, "push blocked");
		guard_log_report(err);
		guard_log_hint("fix the cause above and push again; to push without the check, run "
			       "'git push --no-verify'");
		err->message[0] = '\0';
	}
	return rc;
}

/* The folder git runs hooks from: core.hooksPath (relative to the work
 * tree, or to the repository of a bare one) or the repository's hooks/. */
static int hooks_folder(git_repository *repo, char **out, struct guard_error *err)
{
	git_config *config = NULL;
	git_buf value = { NULL, 0, 0 };
	const char *base;
	int rc;

	if (git_repository_config_snapshot(&config, repo) < 0)
		return guard_git_error(err, GUARD_ERR_IO, "reading the git configuration");
	rc = git_config_get_path(&value, config, "core.hooksPath");
	git_config_free(config);
	if (rc == 0) {
		if (value.ptr[0] == '/') {
			*out = guard_strdup(value.ptr, err);
		} else {
			base = git_repository_workdir(repo);
			*out = guard_path_join(base ? base : git_repository_path(repo), value.ptr);
			if (!*out)
				guard_error_oom(err);
		}
		git_buf_dispose(&value);
		return *out ? 0 : -1;
	}
	if (rc != GIT_ENOTFOUND)
		return guard_git_error(err, GUARD_ERR_PARSE, "reading core.hooksPath");

	if (git_repository_item_path(&value, repo, GIT_REPOSITORY_ITEM_HOOKS) < 0)
		return guard_git_error(err, GUARD_ERR_IO, "finding the hooks folder");
	*out = guard_strdup(value.ptr, err);
	git_buf_dispose(&value);
	return *out ? 0 : -1;
}

/* Creates path and its missing parents. */
static int make_folders(const char *path, struct guard_error *err)
{
	char *copy = guard_strdup(path, err), *p;
	int rc = 0;

	if (!copy)
		return -1;
	for (p = copy + 1; rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(copy, 0777) < 0 && errno != EEXIST)
			rc = guard_error_set(err, GUARD_ERR_IO, "creating folder '%s': %s", copy,
					     strerror(errno));
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	return rc;
}

/* Largest number tried in pre-push.guard-backup.N before giving up. */
#define HOOK_BACKUPS_MAX 100

/* Renames the hook at path to the first free name of pre-push.guard-backup,
 * pre-push.guard-backup.2, ... beside it, so that --force loses nothing. A
 * symbolic link is moved as the link, and its target is left as it is. */
static int move_hook_aside(const char *path, char **backup, struct guard_error *err)
{
	struct guard_buf name = GUARD_BUF_INIT(PATH_MAX);
	struct stat st;
	int n;

	for (n = 1; n <= HOOK_BACKUPS_MAX; n++) {
		guard_buf_release(&name);
		if ((n == 1 ? guard_buf_printf(&name, err, "%s.guard-backup", path)
			    : guard_buf_printf(&name, err, "%s.guard-backup.%d", path, n)) < 0)
			return -1;
		if (lstat(name.data, &st) < 0 && errno == ENOENT)
			break;
	}
	if (n > HOOK_BACKUPS_MAX) {
		guard_buf_release(&name);
		return guard_error_set(err, GUARD_ERR_LIMIT, "cannot keep a backup of '%s': "
				       "'%s.guard-backup' up to '.%d' exist already; remove old backups",
				       path, path, HOOK_BACKUPS_MAX);
	}
	if (rename(path, name.data) < 0) {
		guard_error_set(err, GUARD_ERR_IO, "moving '%s' to '%s': %s", path, name.data,
				strerror(errno));
		guard_buf_release(&name);
		return -1;
	}
	*backup = guard_buf_detach(&name, NULL);
	return 0;
}

/* True when an executable regular file named guard is in folder. */
static bool folder_has_guard(const char *folder, size_t len)
{
	struct guard_buf path = GUARD_BUF_INIT(PATH_MAX);
	struct stat st;
	bool found;

	if (guard_buf_printf(&path, NULL, "%.*s/guard", len ? (int)len : 1, len ? folder : ".") < 0)
		return false;
	found = stat(path.data, &st) == 0 && S_ISREG(st.st_mode) && access(path.data, X_OK) == 0;
	guard_buf_release(&path);
	return found;
}

/* Warns when the installed hook would not find guard, the way the script
 * looks for it: GUARD, then PATH, then the hooks folder. Such a hook
 * blocks every push. */
static void check_hook_finds_guard(const char *hooks)
{
	const char *env = getenv("GUARD"), *path = getenv("PATH"), *end;
	char self[PATH_MAX];
	ssize_t len;

	if (env && *env)
		return;
	for (; path && *path; path = *end ? end + 1 : end) {
		end = strchrnul(path, ':');
		if (folder_has_guard(path, (size_t)(end - path)))
			return;
	}
	if (folder_has_guard(hooks, strlen(hooks)))
		return;

	guard_log_warn("the hook cannot find guard, so it will block every push: 'guard' is not "
		       "on PATH and GUARD is not set");
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len > 0) {
		self[len] = '\0';
		guard_log_hint("run 'make install' or put guard in a folder on PATH, or set GUARD "
			       "in the environment git runs in, for example: export GUARD='%s'", self);
	} else {
		guard_log_hint("run 'make install' or put guard in a folder on PATH, or set GUARD "
			       "to guard's path in the environment git runs in");
	}
}

static int run_install(const struct hook_args *args, int argc, struct guard_error *err)
{
	size_t script_len = sizeof(pre_push_script) - 1, len = 0;
	struct guard_git *git = NULL;
	char *folder = NULL, *path = NULL, *existing = NULL, *backup = NULL;
	struct guard_error read_err = GUARD_ERROR_INIT;
	struct stat st;
	int rc = -1;

	if (argc != 0)
		return guard_error_set(err, GUARD_ERR_USAGE, "'guard hook install' takes no arguments");
	if (guard_git_open(&git, err) < 0 || hooks_folder(guard_git_repository(git), &folder, err) < 0)
		goto out;
	path = guard_path_join(folder, "pre-push");
	if (!path) {
		guard_error_oom(err);
		goto out;
	}

	if (access(path, F_OK) == 0) {
		if (guard_read_file(path, HOOK_FILE_MAX, &existing, &len, &read_err) == 0 &&
		    len == script_len && memcmp(existing, pre_push_script, len) == 0) {
			if (chmod(path, 0755) < 0) {
				guard_error_set(err, GUARD_ERR_IO, "making '%s' executable: %s", path,
						strerror(errno));
				goto out;
			}
			printf("the guard pre-push hook is already installed at '%s'\n", path);
			check_hook_finds_guard(folder);
			rc = GUARD_RESULT_CLEAN;
			goto out;
		}
		if (!args->force) {
			guard_error_set(err, GUARD_ERR_USAGE, "a different pre-push hook exists at '%s'; "
					"run 'guard hook install --force' to replace it (a backup is "
					"kept), or add 'guard hook pre-push -- \"$@\"' to that hook", path);
			goto out;
		}
	}
	/* lstat, because a dangling symbolic link fails access() but still
	 * takes the name. */
	if (lstat(path, &st) == 0 && move_hook_aside(path, &backup, err) < 0)
		goto out;

	if (make_folders(folder, err) < 0 ||
	    guard_write_atomic(path, pre_push_script, script_len, err) < 0)
		goto restore;
	if (chmod(path, 0755) < 0) {
		guard_error_set(err, GUARD_ERR_IO, "making '%s' executable: %s", path, strerror(errno));
		goto out;
	}
	if (backup)
		printf("kept the previous pre-push hook as '%s'\n", backup);
	printf("installed the guard pre-push hook at '%s'\n", path);
	check_hook_finds_guard(folder);
	rc = GUARD_RESULT_CLEAN;
	goto out;
restore:
	if (backup && rename(backup, path) < 0)
		guard_log_error("restoring '%s' from '%s' failed: %s", path, backup, strerror(errno));
out:
	free(backup);
	free(existing);
	free(path);
	free(folder);
	guard_git_free(git);
	return rc;
}

int guard_cmd_hook(int argc, char **argv, struct guard_error *err)
{
	struct hook_args args;
	const char *action;
	int rc = -1;

	if (argc < 2) {
		fputs(hook_usage, stderr);
		return guard_error_set(err, GUARD_ERR_USAGE, "missing hook action: pre-push or install");
	}
	action = argv[1];
	if (strcmp(action, "--help") == 0 || strcmp(action, "-h") == 0) {
		fputs(hook_usage, stdout);
		return GUARD_RESULT_CLEAN;
	}

	memset(&args, 0, sizeof(args));
	guard_options_init(&args.options);
	if (parse_args(&args, argc - 1, argv + 1, err) < 0)
		goto out;
	if (args.help) {
		fputs(hook_usage, stdout);
		fputs(guard_common_options_help, stdout);
		rc = GUARD_RESULT_CLEAN;
	} else if (strcmp(action, "pre-push") == 0) {
		if (args.force) {
			guard_error_set(err, GUARD_ERR_USAGE, "--force applies to 'guard hook install' only");
			goto out;
		}
		rc = run_pre_push(&args, argc - 1 - optind, argv + 1 + optind, err);
	} else if (strcmp(action, "install") == 0) {
		rc = run_install(&args, argc - 1 - optind, err);
	} else {
		guard_error_set(err, GUARD_ERR_USAGE, "unknown hook action '%s': expected pre-push or "
				"install", action);
	}
out:
	guard_options_release(&args.options);
	return rc;
}
