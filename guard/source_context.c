#include "source_context.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "dockerfile.h"
#include "ignore.h"
#include "log.h"
#include "rules.h"
#include "secret_name.h"
#include "util.h"

/* Files up to this size are read into memory; larger ones are mapped. */
#define SMALL_FILE_MAX ((size_t)256 << 10)

/* Folders nest at most this deep; deeper ones are reported, not walked. */
#define CONTEXT_MAX_DEPTH 256

struct context_walk {
	struct guard_scanner *scanner;
	const struct guard_context_options *opts;
	struct guard_scan_result *result;
	struct guard_ignore *ignore;	/* NULL with --all-files or no ignore file */
	const char *prefix;		/* DIR as given, for the paths of findings */
	char *dockerfile_rel;		/* the Dockerfile's path in the context, or NULL */
	int root_fd;			/* the context folder */
	struct guard_string_list secret_files;	/* context paths flagged by name */
	struct guard_string_list queue;	/* files to scan, relative to the root */

	/* The walk and the workers share the result, the secret file list,
	 * the queue and next, under lock. queued signals a new file or the
	 * end of the walk. */
	pthread_mutex_t lock;
	pthread_cond_t queued;
	size_t next;			/* index of the next queued file to scan */
	bool walk_done;			/* no more files will be queued */
	bool failed;			/* a worker failed: the others stop */
	struct guard_error error;	/* the first worker failure */
};

/* The finding callback context of one worker or of the walking thread. */
struct collector {
	struct context_walk *walk;
	size_t count;			/* findings collected through this collector */
};

/* Appends a finding to the shared result under the lock. */
static int collect(const struct guard_finding *finding, void *ctx, struct guard_error *err)
{
	struct collector *c = ctx;
	int rc;

	pthread_mutex_lock(&c->walk->lock);
	rc = guard_scan_result_collect(finding, c->walk->result, err);
	pthread_mutex_unlock(&c->walk->lock);
	c->count++;
	return rc;
}

static char *display_path(const struct context_walk *walk, const char *rel)
{
	const char *prefix = walk->prefix;

	while (prefix[0] == '.' && prefix[1] == '/')
		prefix += 2;
	if (!*prefix || strcmp(prefix, ".") == 0)
		return strdup(rel);
	return guard_path_join(prefix, rel);
}

static int record_problem(struct context_walk *walk, enum guard_error_code code,
			  const char *rel, const char *what, int errnum, struct guard_error *err)
{
	struct guard_error problem = GUARD_ERROR_INIT;
	int rc;

	guard_error_set(&problem, code, "cannot %s '%s': %s", what, rel, strerror(errnum));
	pthread_mutex_lock(&walk->lock);
	walk->result->stats.files_unreadable++;
	rc = guard_scan_result_problem(walk->result, &problem, err);
	pthread_mutex_unlock(&walk->lock);
	return rc;
}

/* A file scanned only up to scan.max-file-size was not fully read, so the
 * scan cannot pass as clean. */
static int record_too_large(struct context_walk *walk, const char *rel, size_t len,
			    struct guard_error *err)
{
	struct guard_error problem = GUARD_ERROR_INIT;
	int rc;

	guard_error_set(&problem, GUARD_ERR_LIMIT,
			"file '%s' is %zu bytes; only the first %llu were scanned: raise "
			"scan.max-file-size in .guard.yaml, or exclude the file in .dockerignore",
			rel, len, (unsigned long long)guard_scanner_max_file_size(walk->scanner));
	pthread_mutex_lock(&walk->lock);
	rc = guard_scan_result_problem(walk->result, &problem, err);
	pthread_mutex_unlock(&walk->lock);
	return rc;
}

static bool is_excluded(const struct context_walk *walk, const char *rel, bool is_dir)
{
	return walk->ignore && guard_ignore_match(walk->ignore, rel, is_dir);
}

static int check_name(struct context_walk *walk, const char *rel, const void *data, size_t len,
		      struct guard_error *err)
{
	struct collector names = { walk, 0 };
	struct guard_location loc = { 0 };
	int rc;

	loc.path = display_path(walk, rel);
	if (!loc.path)
		return guard_error_oom(err);
	loc.origin = "context";
	rc = guard_scanner_check_name(walk->scanner, &loc, data, len, collect, &names, err);
	free(loc.path);
	if (rc < 0 || names.count == 0)
		return rc;

	/* Remembered for the COPY and ADD checks. */
	pthread_mutex_lock(&walk->lock);
	rc = guard_string_list_add(&walk->secret_files, rel, err);
	pthread_mutex_unlock(&walk->lock);
	return rc;
}

/* Reads or maps a file and runs the engine and the file-name checks over
 * it. */
static int scan_file(struct context_walk *walk, const char *rel, struct guard_scan_stats *stats,
		     struct guard_error *err)
{
	struct collector found = { walk, 0 };
	struct guard_location loc = { 0 };
	struct stat st;
	char *copy = NULL;
	void *data = NULL;
	size_t len = 0;
	int fd, rc;

	/* The walk never entered a symbolic link, so only the last component
	 * can have become one since; O_NOFOLLOW rejects that. */
	fd = openat(walk->root_fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return record_problem(walk, GUARD_ERR_IO, rel, "open", errno, err);
	if (fstat(fd, &st) < 0) {
		int saved = errno;

		close(fd);
		return record_problem(walk, GUARD_ERR_IO, rel, "read", saved, err);
	}
	len = (size_t)st.st_size;
	if (len > 0 && len <= SMALL_FILE_MAX) {
		/* Small files are read: mapping costs more system time than
		 * copying a few pages. */
		ssize_t got;

		copy = malloc(len);
		if (!copy) {
			close(fd);
			return guard_error_oom(err);
		}
		got = pread(fd, copy, len, 0);
		if (got < 0) {
			int saved = errno;

			free(copy);
			close(fd);
			return record_problem(walk, GUARD_ERR_IO, rel, "read", saved, err);
		}
		len = (size_t)got;
		data = copy;
	} else if (len > 0) {
		data = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (data == MAP_FAILED) {
			int saved = errno;

			close(fd);
			return record_problem(walk, GUARD_ERR_IO, rel, "read", saved, err);
		}
		madvise(data, len, MADV_SEQUENTIAL);
	}
	close(fd);

	loc.path = display_path(walk, rel);
	if (!loc.path) {
		rc = guard_error_oom(err);
		goto done;
	}
	loc.origin = "context";
	rc = guard_scanner_scan(walk->scanner, &loc, data, len, stats, collect, &found, err);
	if (rc == 0)
		rc = check_name(walk, rel, data, len, err);
	if (rc == 0 && len > guard_scanner_max_file_size(walk->scanner))
		rc = record_too_large(walk, rel, len, err);

done:
	free(loc.path);
	if (copy)
		free(copy);
	else if (data)
		munmap(data, (size_t)st.st_size);
	return rc;
}

/* Scans queued files as the walk adds them, until the walk is done and the
 * queue empty, or a worker failed. */
static void *scan_worker(void *arg)
{
	struct context_walk *walk = arg;
	struct guard_scan_stats stats = { 0 };
	struct guard_error err = GUARD_ERROR_INIT;

	for (;;) {
		const char *rel;

		pthread_mutex_lock(&walk->lock);
		while (!walk->failed && walk->next >= walk->queue.count && !walk->walk_done)
			pthread_cond_wait(&walk->queued, &walk->lock);
		if (walk->failed || walk->next >= walk->queue.count) {
			pthread_mutex_unlock(&walk->lock);
			break;
		}
		/* The array may move when the walk appends; the string does not. */
		rel = walk->queue.items[walk->next++];
		pthread_mutex_unlock(&walk->lock);

		if (scan_file(walk, rel, &stats, &err) < 0) {
			pthread_mutex_lock(&walk->lock);
			if (!walk->failed)
				guard_error_copy(&walk->error, &err);
			walk->failed = true;
			pthread_cond_broadcast(&walk->queued);
			pthread_mutex_unlock(&walk->lock);
			break;
		}
	}

	pthread_mutex_lock(&walk->lock);
	guard_scan_stats_add(&walk->result->stats, &stats);
	pthread_mutex_unlock(&walk->lock);
	return NULL;
}

/* Adds a file for the workers to scan. */
static int enqueue(struct context_walk *walk, const char *rel, struct guard_error *err)
{
	int rc;

	pthread_mutex_lock(&walk->lock);
	rc = guard_string_list_add(&walk->queue, rel, err);
	pthread_cond_signal(&walk->queued);
	pthread_mutex_unlock(&walk->lock);
	return rc;
}

static void count_ignored(struct context_walk *walk)
{
	pthread_mutex_lock(&walk->lock);
	walk->result->stats.files_ignored++;
	pthread_mutex_unlock(&walk->lock);
}

/* Starts one scanning thread per CPU (at most 8), since reading and
 * matching files are independent; they scan while the walk goes on. */
static size_t start_workers(struct context_walk *walk, pthread_t *threads, size_t max)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t count = cpus > 0 ? (size_t)cpus : 1, started = 0, i;

	if (count > max)
		count = max;
	for (i = 0; i < count; i++) {
		if (pthread_create(&threads[i], NULL, scan_worker, walk) != 0)
			break;
		started++;
	}
	return started;
}

/* Ends the walk and waits for the workers; with none started, the calling
 * thread scans the queue itself. */
static int finish_workers(struct context_walk *walk, pthread_t *threads, size_t started,
			  struct guard_error *err)
{
	size_t i;

	pthread_mutex_lock(&walk->lock);
	walk->walk_done = true;
	pthread_cond_broadcast(&walk->queued);
	pthread_mutex_unlock(&walk->lock);
	if (started == 0)
		scan_worker(walk);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);

	if (walk->failed) {
		guard_error_copy(err, &walk->error);
		return -1;
	}
	return 0;
}

static int walk_dir(struct context_walk *walk, int dirfd, const char *rel, unsigned depth,
		    struct guard_error *err);

/* A .git folder sent to the builder is itself the leak: the full history,
 * remotes, and sometimes tokens in remote URLs. Its config is scanned and
 * reported by name; its objects are compressed, and guard scan git is the
 * tool that reads them. */
static int visit_git_dir(struct context_walk *walk, int dirfd, const char *rel,
			 struct guard_error *err)
{
	char *config_rel = guard_path_join(rel, "config");
	struct stat st;
	int fd, rc = 0;

	if (!config_rel)
		return guard_error_oom(err);
	fd = openat(dirfd, ".git", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = record_problem(walk, GUARD_ERR_IO, rel, "open folder", errno, err);
	} else {
		if (fstatat(fd, "config", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			rc = enqueue(walk, config_rel, err);
		else
			rc = check_name(walk, config_rel, NULL, 0, err);
		close(fd);
	}
	free(config_rel);
	if (rc == 0)
		guard_log_hint("'%s' is sent to the builder; add .git to .dockerignore, and run "
			       "'guard scan git' to scan its history", rel);
	return rc;
}

static int visit_dir(struct context_walk *walk, int dirfd, const char *name, const char *rel,
		     unsigned depth, struct guard_error *err)
{
	bool excluded = is_excluded(walk, rel, true);
	int fd, rc;

	if (excluded && !guard_ignore_must_descend(walk->ignore, rel)) {
		count_ignored(walk);
		return 0;
	}
	if (!excluded && strcmp(name, ".git") == 0)
		return visit_git_dir(walk, dirfd, rel, err);
	if (!excluded && check_name(walk, rel, NULL, 0, err) < 0)
		return -1;
	if (depth >= CONTEXT_MAX_DEPTH)
		return record_problem(walk, GUARD_ERR_LIMIT, rel, "walk", ELOOP, err);

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return record_problem(walk, GUARD_ERR_IO, rel, "open folder", errno, err);
	rc = walk_dir(walk, fd, rel, depth + 1, err);
	close(fd);
	return rc;
}

static int visit(struct context_walk *walk, int dirfd, const char *name, const char *rel,
		 unsigned depth, struct guard_error *err)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return record_problem(walk, GUARD_ERR_IO, rel, "read", errno, err);

	if (S_ISDIR(st.st_mode))
		return visit_dir(walk, dirfd, name, rel, depth, err);

	/* Symbolic links are sent as links: their targets stay on the host, so
	 * they are never followed, in or out of the context. Sockets, FIFOs
	 * and devices carry no content. */
	if (!S_ISREG(st.st_mode))
		return 0;

	/* The builder receives the Dockerfile even when .dockerignore lists
	 * it, so it is scanned on its own. */
	if (walk->dockerfile_rel && strcmp(rel, walk->dockerfile_rel) == 0)
		return 0;
	if (is_excluded(walk, rel, false) && strcmp(rel, ".dockerignore") != 0) {
		count_ignored(walk);
		return 0;
	}
	if (guard_scanner_path_skipped(walk->scanner, rel)) {
		count_ignored(walk);
		return 0;
	}
	return enqueue(walk, rel, err);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Visits the entries of a folder in name order, so output is stable. */
static int walk_dir(struct context_walk *walk, int dirfd, const char *rel, unsigned depth,
		    struct guard_error *err)
{
	struct guard_string_list names = { 0 };
	struct dirent *entry;
	DIR *dir;
	int fd, rc = 0;
	size_t i;

	fd = dup(dirfd);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return record_problem(walk, GUARD_ERR_IO, rel ? rel : ".", "list", errno, err);
	}
	errno = 0;
	while ((entry = readdir(dir))) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		if (guard_string_list_add(&names, entry->d_name, err) < 0) {
			closedir(dir);
			guard_string_list_release(&names);
			return -1;
		}
	}
	closedir(dir);
	if (names.count)
		qsort(names.items, names.count, sizeof(*names.items), compare_names);

	for (i = 0; i < names.count && rc == 0; i++) {
		char *child = rel ? guard_path_join(rel, names.items[i]) : strdup(names.items[i]);

		if (!child) {
			rc = guard_error_oom(err);
			break;
		}
		rc = visit(walk, dirfd, names.items[i], child, depth, err);
		free(child);
	}
	guard_string_list_release(&names);
	return rc;
}

/* Returns the 1-based byte column of offset within its line of data. */
static size_t line_start_of(const char *data, size_t offset)
{
	while (offset > 0 && data[offset - 1] != '\n')
		offset--;
	return offset;
}

static unsigned column_of(const char *data, size_t offset)
{
	return (unsigned)(offset - line_start_of(data, offset) + 1);
}

/* True when the instruction's lines, or a comment line just above it, carry
 * guard:allow. A Dockerfile has no trailing comments, so the line above is
 * the only place a note fits for single-line instructions. */
static bool instruction_allowed(const struct guard_dockerfile *df,
				const struct guard_dockerfile_instruction *ins)
{
	size_t start = ins->start, end = ins->end, prev;

	if (memmem(df->data + start, end - start, "guard:allow", 11))
		return true;
	while (start > 0 && df->data[start - 1] != '\n')
		start--;
	if (start == 0)
		return false;
	prev = start - 1;
	while (prev > 0 && df->data[prev - 1] != '\n')
		prev--;
	return memmem(df->data + prev, start - prev, "guard:allow", 11) != NULL;
}

/* Returns the engine's finding of the same secret on the same line, if
 * any. */
static struct guard_finding *same_secret(struct guard_scan_result *result,
					 const struct guard_finding *f)
{
	size_t i;

	for (i = 0; i < result->findings.count; i++) {
		struct guard_finding *other = &result->findings.items[i];

		if (other->loc.line == f->loc.line && other->loc.path && f->loc.path &&
		    strcmp(other->loc.path, f->loc.path) == 0 &&
		    strcmp(other->secret_hash, f->secret_hash) == 0)
			return other;
	}
	return NULL;
}

/* Adds a Dockerfile finding. A generic engine finding of the same value (a
 * password assignment) is replaced, because this one explains why the value
 * leaks. A specific one (a GitHub token) is kept and given the message. */
static int add_dockerfile_finding(struct context_walk *walk, const struct guard_finding *f,
				  struct guard_error *err)
{
	struct guard_findings *list = &walk->result->findings;
	struct guard_finding *other = same_secret(walk->result, f);
	char *message;

	if (other && !guard_has_prefix(other->rule_id, "generic-")) {
		message = guard_strdup(f->message, err);
		if (!message)
			return -1;
		free(other->message);
		other->message = message;
		return 0;
	}
	if (other) {
		size_t index = (size_t)(other - list->items);

		guard_finding_release(other);
		memmove(other, other + 1, (list->count - index - 1) * sizeof(*other));
		list->count--;
	}
	return guard_scan_result_collect(f, walk->result, err);
}

static int report_pair(struct context_walk *walk, const struct guard_dockerfile *df,
		       const struct guard_dockerfile_instruction *ins,
		       const struct guard_dockerfile_pair *pair, const char *path,
		       struct guard_error *err)
{
	size_t line_start;
	bool env = strcmp(ins->keyword, "ENV") == 0 || strcmp(ins->trigger, "ENV") == 0;
	const struct guard_file_rule *rule;
	struct guard_finding f = { 0 };
	char message[512];

	if (!pair->value || strchr(pair->value, '$') ||
	    !guard_secret_name_is_sensitive(pair->name) ||
	    guard_secret_value_is_placeholder(pair->value))
		return 0;
	if (instruction_allowed(df, ins)) {
		walk->result->stats.findings_allowed++;
		return 0;
	}

	rule = guard_source_rule(env ? "dockerfile-env-secret" : "dockerfile-arg-secret");
	f.rule_id = rule->id;
	f.description = rule->description;
	f.severity = rule->severity;
	f.hint = rule->hint;
	if (env)
		snprintf(message, sizeof(message),
			 "ENV %s sets a literal value that is baked into the image config and "
			 "history; anyone who pulls the image can read it", pair->name);
	else
		snprintf(message, sizeof(message),
			 "ARG %s has a literal default that is recorded in the image history of "
			 "every stage that uses it", pair->name);
	f.message = message;
	f.loc.path = (char *)path;
	f.loc.origin = "dockerfile";
	f.loc.line = pair->line;
	f.loc.column = column_of(df->data, pair->value_start);
	f.loc.end_column = f.loc.column + (unsigned)(pair->value_end - pair->value_start);
	line_start = line_start_of(df->data, pair->value_start);
	f.loc.column_utf16 = guard_utf16_column(df->data + line_start, pair->value_start - line_start);
	f.loc.end_column_utf16 = guard_utf16_column(df->data + line_start, pair->value_end - line_start);
	if (guard_finding_set_secret(&f, pair->value, strlen(pair->value), err) < 0 ||
	    guard_finding_fingerprint(&f, err) < 0)
		return -1;
	return add_dockerfile_finding(walk, &f, err);
}

static int check_env_and_arg(struct context_walk *walk, const struct guard_dockerfile *df,
			     const char *path, struct guard_error *err)
{
	size_t i, j;

	for (i = 0; i < df->instruction_count; i++) {
		const struct guard_dockerfile_instruction *ins = &df->instructions[i];
		const char *keyword = strcmp(ins->keyword, "ONBUILD") == 0 ? ins->trigger : ins->keyword;

		if (strcmp(keyword, "ENV") != 0 && strcmp(keyword, "ARG") != 0)
			continue;
		for (j = 0; j < ins->pair_count; j++)
			if (report_pair(walk, df, ins, &ins->pairs[j], path, err) < 0)
				return -1;
	}
	return 0;
}

/* Normalises a COPY source as BuildKit resolves it against the context:
 * relative to the root, "./" and leading "/" dropped. Returns NULL for
 * sources that are not context paths. */
static char *context_source(const char *value)
{
	size_t n;
	char *copy;

	if (strstr(value, "://") || guard_has_prefix(value, "git@") || guard_has_prefix(value, "<<") ||
	    strchr(value, '$'))
		return NULL;
	while (value[0] == '/' || (value[0] == '.' && value[1] == '/'))
		value += value[0] == '/' ? 1 : 2;
	copy = strdup(value);
	if (!copy)
		return NULL;
	n = strlen(copy);
	while (n > 0 && copy[n - 1] == '/')
		copy[--n] = '\0';
	return copy;
}

/* True when COPY source pattern src sends the context file rel. */
static bool source_sends(const char *src, const char *rel)
{
	size_t n = strlen(src);

	if (n == 0 || strcmp(src, ".") == 0)
		return true;
	if (fnmatch(src, rel, FNM_PATHNAME | FNM_PERIOD) == 0)
		return true;
	/* A folder, or a pattern matching a folder, sends everything below. */
	if (strncmp(rel, src, n) == 0 && rel[n] == '/')
		return true;
	for (const char *slash = strchr(rel, '/'); slash; slash = strchr(slash + 1, '/')) {
		char *parent = strndup(rel, (size_t)(slash - rel));
		bool match = parent && fnmatch(src, parent, FNM_PATHNAME | FNM_PERIOD) == 0;

		free(parent);
		if (match)
			return true;
	}
	return false;
}

static int report_copy(struct context_walk *walk, const struct guard_dockerfile *df,
		       const struct guard_dockerfile_instruction *ins,
		       const struct guard_dockerfile_word *word, const char *rel,
		       const char *path, struct guard_error *err)
{
	size_t line_start;
	const struct guard_file_rule *rule = guard_source_rule("dockerfile-copy-secret-file");
	struct guard_finding f = { 0 };
	char message[512];
	const char *keyword = strcmp(ins->keyword, "ONBUILD") == 0 ? ins->trigger : ins->keyword;

	if (instruction_allowed(df, ins)) {
		walk->result->stats.findings_allowed++;
		return 0;
	}
	f.rule_id = rule->id;
	f.description = rule->description;
	f.severity = rule->severity;
	f.hint = rule->hint;
	snprintf(message, sizeof(message), "%s '%s' sends the secret file '%s' into a layer",
		 keyword, word->value, rel);
	f.message = message;
	f.loc.path = (char *)path;
	f.loc.origin = "dockerfile";
	f.loc.line = word->line;
	f.loc.column = word->column;
	f.loc.end_column = word->column + (unsigned)(word->end - word->start);
	line_start = line_start_of(df->data, word->start);
	f.loc.column_utf16 = guard_utf16_column(df->data + line_start, word->start - line_start);
	f.loc.end_column_utf16 = guard_utf16_column(df->data + line_start, word->end - line_start);
	/* The finding names a file, not a value: its hash keeps the
	 * fingerprint stable, and the preview stays empty. */
	if (guard_sha256_hex(rel, strlen(rel), f.secret_hash, err) < 0 ||
	    guard_finding_fingerprint(&f, err) < 0)
		return -1;
	return guard_scan_result_collect(&f, walk->result, err);
}

static int check_copies(struct context_walk *walk, const struct guard_dockerfile *df,
			const char *path, struct guard_error *err)
{
	size_t i, j, k;

	for (i = 0; i < df->instruction_count; i++) {
		const struct guard_dockerfile_instruction *ins = &df->instructions[i];
		const char *keyword = strcmp(ins->keyword, "ONBUILD") == 0 ? ins->trigger : ins->keyword;
		bool from_other = false;

		if (strcmp(keyword, "COPY") != 0 && strcmp(keyword, "ADD") != 0)
			continue;
		for (j = 0; j < ins->flag_count; j++)
			if (guard_has_prefix(ins->flags[j].value, "--from="))
				from_other = true;
		if (from_other || ins->arg_count < 2)
			continue;

		/* Every word but the last is a source. */
		for (j = 0; j + 1 < ins->arg_count; j++) {
			char *src = context_source(ins->args[j].value);

			if (!src)
				continue;
			for (k = 0; k < walk->secret_files.count; k++) {
				if (!source_sends(src, walk->secret_files.items[k]))
					continue;
				if (report_copy(walk, df, ins, &ins->args[j], walk->secret_files.items[k],
						path, err) < 0) {
					free(src);
					return -1;
				}
			}
			free(src);
		}
	}
	return 0;
}

/* Returns the Dockerfile's path relative to the context root when it lies
 * inside the context, else NULL. */
static char *relative_to(const char *root, const char *path)
{
	char real_root[PATH_MAX], real_path[PATH_MAX];
	size_t n;

	if (!realpath(root, real_root) || !realpath(path, real_path))
		return NULL;
	n = strlen(real_root);
	if (strcmp(real_root, "/") == 0)
		return strdup(real_path + 1);
	if (strncmp(real_path, real_root, n) == 0 && real_path[n] == '/')
		return strdup(real_path + n + 1);
	return NULL;
}

/* BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile when it
 * exists, instead of the context root's .dockerignore. */
static int load_ignore(struct context_walk *walk, const char *dockerfile, struct guard_error *err)
{
	char *beside, *root_file;
	const char *chosen = NULL;
	int rc = 0;

	if (walk->opts->all_files)
		return 0;
	beside = malloc(strlen(dockerfile) + sizeof(".dockerignore"));
	root_file = guard_path_join(walk->opts->dir, ".dockerignore");
	if (!beside || !root_file) {
		free(beside);
		free(root_file);
		return guard_error_oom(err);
	}
	memcpy(beside, dockerfile, strlen(dockerfile));
	memcpy(beside + strlen(dockerfile), ".dockerignore", sizeof(".dockerignore"));

	if (access(beside, F_OK) == 0)
		chosen = beside;
	else if (access(root_file, F_OK) == 0)
		chosen = root_file;
	if (chosen) {
		rc = guard_ignore_load_file(&walk->ignore, chosen, err);
		if (rc == 0)
			guard_log_info("using ignore file '%s'", chosen);
	}
	free(beside);
	free(root_file);
	return rc;
}

/* Scans the Dockerfile's bytes and parses it. On a parse error the
 * Dockerfile checks are skipped and the error is recorded as a problem. */
static int scan_dockerfile(struct context_walk *walk, const char *dockerfile,
			   struct guard_dockerfile **df_out, char **path_out, struct guard_error *err)
{
	struct guard_location loc = { 0 };
	struct guard_error problem = GUARD_ERROR_INIT;
	char *data = NULL;
	size_t len = 0;
	int rc;

	*df_out = NULL;
	*path_out = walk->dockerfile_rel ? display_path(walk, walk->dockerfile_rel) : strdup(dockerfile);
	if (!*path_out)
		return guard_error_oom(err);

	if (guard_read_file(dockerfile, GUARD_DOCKERFILE_MAX_SIZE, &data, &len, &problem) < 0) {
		walk->result->stats.files_unreadable++;
		return guard_scan_result_problem(walk->result, &problem, err);
	}
	loc.path = *path_out;
	loc.origin = "dockerfile";
	rc = guard_scanner_scan(walk->scanner, &loc, data, len, &walk->result->stats,
				guard_scan_result_collect, walk->result, err);
	if (rc == 0 && guard_dockerfile_parse(df_out, *path_out, data, len, NULL, &problem) < 0)
		rc = guard_scan_result_problem(walk->result, &problem, err);
	free(data);
	return rc;
}

int guard_context_scan(struct guard_scanner *scanner, const struct guard_context_options *opts,
		       struct guard_scan_result *result, struct guard_error *err)
{
	struct context_walk walk = { 0 };
	struct guard_error ignored = GUARD_ERROR_INIT;
	struct guard_dockerfile *df = NULL;
	pthread_t threads[8];
	size_t started;
	struct stat st;
	char *dockerfile = NULL, *df_path = NULL;
	int fd = -1, rc = -1, walk_rc;

	walk.scanner = scanner;
	walk.opts = opts;
	walk.result = result;
	walk.prefix = opts->dir;
	walk.root_fd = -1;
	pthread_mutex_init(&walk.lock, NULL);
	pthread_cond_init(&walk.queued, NULL);

	if (stat(opts->dir, &st) < 0)
		return guard_error_set(err, GUARD_ERR_IO, "cannot scan context '%s': %s", opts->dir,
				       strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return guard_error_set(err, GUARD_ERR_USAGE, "cannot scan context '%s': it is a file, "
				       "not a folder; give the build context's folder, and the "
				       "Dockerfile with -f if it is not DIR/Dockerfile", opts->dir);
	dockerfile = opts->dockerfile ? strdup(opts->dockerfile) : guard_path_join(opts->dir, "Dockerfile");
	if (!dockerfile)
		return guard_error_oom(err);
	walk.dockerfile_rel = relative_to(opts->dir, dockerfile);

	if (load_ignore(&walk, dockerfile, err) < 0)
		goto done;
	if (access(dockerfile, F_OK) == 0) {
		if (scan_dockerfile(&walk, dockerfile, &df, &df_path, err) < 0)
			goto done;
		if (df && check_env_and_arg(&walk, df, df_path, err) < 0)
			goto done;
	} else if (opts->dockerfile) {
		rc = guard_error_set(err, GUARD_ERR_IO, "cannot read Dockerfile '%s': %s",
				     opts->dockerfile, strerror(errno));
		goto done;
	} else {
		guard_log_warn("no Dockerfile at '%s': scanning the context only; name one with -f",
			       dockerfile);
	}

	fd = open(opts->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = guard_error_set(err, GUARD_ERR_IO, "cannot open context '%s': %s", opts->dir,
				     strerror(errno));
		goto done;
	}
	walk.root_fd = fd;
	started = start_workers(&walk, threads, GUARD_ARRAY_SIZE(threads));
	walk_rc = walk_dir(&walk, fd, NULL, 0, err);
	if (walk_rc < 0) {
		/* Stop the workers before leaving: they share walk. */
		pthread_mutex_lock(&walk.lock);
		walk.failed = true;
		pthread_mutex_unlock(&walk.lock);
		finish_workers(&walk, threads, started, &ignored);
		goto done;
	}
	if (finish_workers(&walk, threads, started, err) < 0)
		goto done;
	if (df && check_copies(&walk, df, df_path, err) < 0)
		goto done;
	rc = 0;

done:
	if (fd >= 0)
		close(fd);
	guard_dockerfile_free(df);
	guard_ignore_free(walk.ignore);
	guard_string_list_release(&walk.secret_files);
	guard_string_list_release(&walk.queue);
	pthread_cond_destroy(&walk.queued);
	pthread_mutex_destroy(&walk.lock);
	free(walk.dockerfile_rel);
	free(df_path);
	free(dockerfile);
	return rc;
}
