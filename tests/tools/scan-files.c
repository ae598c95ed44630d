/* Scans files and folders with the secret engine and prints one line per
 * finding: "path:line:column-end_column rule severity preview fingerprint".
 * Used by the engine tests and by bench/scan.
 *
 *   scan-files [-j THREADS] [-m MAX_FILE_SIZE] [-s STOPWORD]... [-d RULE]...
 *              [-x SKIP_GLOB]... [-q] PATH...
 *
 * -q prints only the summary. The summary goes to stderr:
 * "files=N bytes=N binary=N too_large=N unreadable=N ignored=N allowed=N findings=N".
 * Exits 0 when clean, 1 with findings, 3 on errors. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "scanner.h"
#include "util.h"

struct job_list {
	char **paths;
	size_t count;
	size_t cap;
	size_t next;
	pthread_mutex_t lock;
};

struct shared {
	struct guard_scanner *scanner;
	struct job_list jobs;
	struct guard_scan_stats stats;
	unsigned long long findings;
	int quiet;
	int failed;
	pthread_mutex_t lock;
};

static int add_path(struct job_list *jobs, const char *path)
{
	if (jobs->count == jobs->cap) {
		size_t cap = jobs->cap ? jobs->cap * 2 : 1024;
		char **paths = reallocarray(jobs->paths, cap, sizeof(*paths));

		if (!paths)
			return -1;
		jobs->paths = paths;
		jobs->cap = cap;
	}
	jobs->paths[jobs->count] = strdup(path);
	return jobs->paths[jobs->count++] ? 0 : -1;
}

/* Lists regular files below path; symbolic links are not followed. */
static int walk(struct job_list *jobs, const char *path)
{
	struct stat st;
	DIR *dir;
	struct dirent *entry;

	if (lstat(path, &st) < 0)
		return 0;
	if (S_ISREG(st.st_mode))
		return add_path(jobs, path);
	if (!S_ISDIR(st.st_mode))
		return 0;
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((entry = readdir(dir))) {
		char *child;

		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		child = guard_path_join(path, entry->d_name);
		if (!child || walk(jobs, child) < 0) {
			free(child);
			closedir(dir);
			return -1;
		}
		free(child);
	}
	closedir(dir);
	return 0;
}

static int print_finding(const struct guard_finding *f, void *ctx, struct guard_error *err)
{
	struct shared *sh = ctx;

	(void)err;
	pthread_mutex_lock(&sh->lock);
	sh->findings++;
	if (!sh->quiet)
		printf("%s:%u:%u-%u %s %s %s %s\n", f->loc.path, f->loc.line, f->loc.column,
		       f->loc.end_column, f->rule_id, guard_severity_name(f->severity), f->preview,
		       f->fingerprint);
	pthread_mutex_unlock(&sh->lock);
	return 0;
}

/* Reads at most max bytes plus one into a buffer that each worker reuses.
 * With the extra byte the engine detects that the file exceeds its limit. */
static int read_capped(const char *path, size_t max, char **buf, size_t *cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t want, n = 0;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	want = (size_t)st.st_size < max ? (size_t)st.st_size + 1 : max + 1;
	if (want > *cap) {
		char *grown = realloc(*buf, want);

		if (!grown)
			goto fail;
		*buf = grown;
		*cap = want;
	}
	while (n < want) {
		ssize_t got = read(fd, *buf + n, want - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			goto fail;
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	*len = n;
	return 0;
fail:
	close(fd);
	return -1;
}

static void scan_one(struct shared *sh, const char *path, struct guard_scan_stats *stats,
		     char **data, size_t *cap)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_location loc = { 0 };
	size_t len = 0;

	loc.path = (char *)path;
	if (guard_scanner_path_skipped(sh->scanner, path)) {
		stats->files_ignored++;
		return;
	}
	if (read_capped(path, guard_scanner_max_file_size(sh->scanner), data, cap, &len) < 0) {
		stats->files_unreadable++;
		return;
	}
	if (guard_scanner_check_name(sh->scanner, &loc, *data, len, print_finding, sh, &err) < 0 ||
	    guard_scanner_scan(sh->scanner, &loc, *data, len, stats, print_finding, sh, &err) < 0) {
		fprintf(stderr, "scan-files: cannot scan '%s': %s\n", path, err.message);
		sh->failed = 1;
	}
}

static void *worker(void *arg)
{
	struct shared *sh = arg;
	struct guard_scan_stats stats = { 0 };
	char *data = NULL;
	size_t cap = 0;

	for (;;) {
		const char *path = NULL;

		pthread_mutex_lock(&sh->jobs.lock);
		if (sh->jobs.next < sh->jobs.count)
			path = sh->jobs.paths[sh->jobs.next++];
		pthread_mutex_unlock(&sh->jobs.lock);
		if (!path)
			break;
		scan_one(sh, path, &stats, &data, &cap);
	}
	free(data);
	pthread_mutex_lock(&sh->lock);
	guard_scan_stats_add(&sh->stats, &stats);
	pthread_mutex_unlock(&sh->lock);
	return NULL;
}

static int add_option(struct guard_string_list *list, const char *value)
{
	struct guard_error err = GUARD_ERROR_INIT;

	if (guard_string_list_add(list, value, &err) < 0) {
		fprintf(stderr, "scan-files: %s\n", err.message);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_config config;
	struct shared sh;
	pthread_t threads[64];
	unsigned long threads_wanted = 1;
	int opt, status;

	memset(&sh, 0, sizeof(sh));
	pthread_mutex_init(&sh.lock, NULL);
	pthread_mutex_init(&sh.jobs.lock, NULL);
	guard_config_init(&config);

	while ((opt = getopt(argc, argv, "j:m:s:d:x:q")) != -1) {
		switch (opt) {
		case 'j':
			threads_wanted = strtoul(optarg, NULL, 10);
			if (threads_wanted < 1 || threads_wanted > 64)
				threads_wanted = 1;
			break;
		case 'm':
			if (guard_parse_size(optarg, &config.scan.max_file_size, "-m", &err) < 0) {
				fprintf(stderr, "scan-files: %s\n", err.message);
				return 2;
			}
			break;
		case 's':
			if (add_option(&config.scan.stopwords, optarg) < 0)
				return 2;
			break;
		case 'd':
			if (add_option(&config.scan.disabled_rules, optarg) < 0)
				return 2;
			break;
		case 'x':
			if (add_option(&config.scan.skip_paths, optarg) < 0)
				return 2;
			break;
		case 'q':
			sh.quiet = 1;
			break;
		default:
			return 2;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (walk(&sh.jobs, argv[i]) < 0) {
			fprintf(stderr, "scan-files: out of memory\n");
			return 3;
		}
	}
	if (guard_scanner_new(&sh.scanner, &config.scan, &err) < 0) {
		fprintf(stderr, "scan-files: %s\n", err.message);
		return 3;
	}

	for (unsigned long t = 0; t < threads_wanted; t++)
		pthread_create(&threads[t], NULL, worker, &sh);
	for (unsigned long t = 0; t < threads_wanted; t++)
		pthread_join(threads[t], NULL);

	fprintf(stderr, "files=%llu bytes=%llu binary=%llu too_large=%llu unreadable=%llu "
		"ignored=%llu allowed=%llu findings=%llu\n",
		(unsigned long long)sh.stats.files_scanned,
		(unsigned long long)sh.stats.bytes_scanned,
		(unsigned long long)sh.stats.files_binary,
		(unsigned long long)sh.stats.files_too_large,
		(unsigned long long)sh.stats.files_unreadable,
		(unsigned long long)sh.stats.files_ignored,
		(unsigned long long)sh.stats.findings_allowed, sh.findings);

	status = 0;
	if (sh.findings)
		status = 1;
	if (sh.failed)
		status = 3;
	guard_scanner_free(sh.scanner);
	guard_config_release(&config);
	for (size_t i = 0; i < sh.jobs.count; i++)
		free(sh.jobs.paths[i]);
	free(sh.jobs.paths);
	return status;
}
