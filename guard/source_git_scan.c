/* Scanning the planned blobs and reporting their findings per commit and
 * path. Each unique blob is read and scanned once, by a pool of worker
 * threads that each hold one blob in memory at a time. Findings are kept
 * per blob and then reported for every (commit, path) that introduced it. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "source_git.h"
#include "source_git_impl.h"
#include "util.h"

#define JOBS_MAX 8

/* The delta base cache of each scanning thread. Most blobs in a pack are
 * stored whole, so these threads need less cache than the walk. */
#define SCAN_CACHE_BYTES (2u * 1024u * 1024u)

/* Blobs are queued in chunks that never move, so that workers read them
 * while the walk appends more. */
#define TASK_CHUNK 4096
#define TASK_CHUNKS_MAX (1u << 20)

/* One blob to scan and, once scanned, what came of it. Workers write only
 * here: git->blobs may be moved by the walk while they run. */
struct scan_task {
	git_oid oid;
	char *path;		/* the first path it was planned under */
	uint32_t blob;
	uint8_t state;
	uint64_t size;
	struct guard_findings *findings;
};

/* The state the workers share. The walk (or the caller) appends tasks;
 * each worker claims the next one under the lock. */
struct scan_job {
	struct guard_git *git;
	struct guard_scanner *scanner;
	struct guard_scan_result *result;
	uint64_t max_size;
	pthread_mutex_t lock;		/* the queue, result problems, failure */
	pthread_cond_t more;
	struct scan_task **chunks;
	size_t count;			/* tasks queued (atomic writes) */
	size_t next;			/* tasks claimed */
	size_t finished;		/* atomic */
	bool closed;			/* no more tasks will come (atomic writes) */
	bool failed;			/* atomic */
	struct guard_error failure;

	struct scan_worker *workers;
	unsigned jobs, started;
};

struct scan_worker {
	struct scan_job *job;
	git_repository *repo;
	git_odb *odb;
	struct guard_odb_reader *reader;
	struct guard_scan_stats stats;
	uint64_t too_large, unreadable, scanned, bytes;
	pthread_t thread;
};

static int collect_blob_finding(const struct guard_finding *finding, void *ctx,
				struct guard_error *err)
{
	struct scan_task *task = ctx;

	if (!task->findings) {
		task->findings = calloc(1, sizeof(*task->findings));
		if (!task->findings)
			return guard_error_oom(err);
	}
	return guard_findings_add(task->findings, finding, err);
}

static void job_fail_locked(struct scan_job *job, const struct guard_error *err)
{
	if (!job->failed) {
		__atomic_store_n(&job->failed, true, __ATOMIC_RELAXED);
		guard_error_copy(&job->failure, err);
	}
	pthread_cond_broadcast(&job->more);
}

static void job_fail(struct scan_job *job, const struct guard_error *err)
{
	pthread_mutex_lock(&job->lock);
	job_fail_locked(job, err);
	pthread_mutex_unlock(&job->lock);
}

/* Records a blob that could not be read; the scan goes on but its result
 * is never clean. */
static void job_problem(struct scan_job *job, const struct scan_task *task, const char *cause)
{
	struct guard_error problem = GUARD_ERROR_INIT, err = GUARD_ERROR_INIT;
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), &task->oid);
	guard_error_set(&problem, GUARD_ERR_IO, "reading blob %s at '%s': %s", hex, task->path, cause);
	pthread_mutex_lock(&job->lock);
	if (guard_scan_result_problem(job->result, &problem, &err) < 0)
		job_fail_locked(job, &err);
	pthread_mutex_unlock(&job->lock);
}

static int scan_one_blob(struct scan_worker *w, struct scan_task *task, struct guard_error *err)
{
	struct scan_job *job = w->job;
	struct guard_error cause = GUARD_ERROR_INIT;
	struct guard_git_object *obj = NULL;
	struct guard_location loc;
	uint64_t size = 0;
	int rc;

	rc = guard_odb_read(w->reader, &task->oid, job->max_size, false, &obj, &size, &cause);
	if (rc < 0 && cause.code == GUARD_ERR_INTERNAL)
		return guard_error_set(err, cause.code, "%s", cause.message);
	if (rc == 0 && obj->type != GIT_OBJECT_BLOB) {
		guard_error_set(&cause, GUARD_ERR_PARSE, "the object is a %s, not a blob",
				git_object_type2string(obj->type));
		guard_git_object_unref(obj);
		rc = -1;
	}
	if (rc < 0) {
		task->state = BLOB_UNREADABLE;
		w->unreadable++;
		job_problem(job, task, cause.message);
		return 0;
	}
	if (rc > 0) {
		task->state = BLOB_TOO_LARGE;
		task->size = size;
		w->too_large++;
		return 0;
	}

	memset(&loc, 0, sizeof(loc));
	loc.path = task->path;
	rc = guard_scanner_scan(job->scanner, &loc, (const char *)obj->data, obj->size, &w->stats,
				collect_blob_finding, task, err);
	if (rc == 0) {
		task->state = BLOB_SCANNED;
		w->scanned++;
		w->bytes += obj->size;
	}
	guard_git_object_unref(obj);
	return rc;
}

static struct scan_task *task_at(struct scan_job *job, size_t i)
{
	return &job->chunks[i / TASK_CHUNK][i % TASK_CHUNK];
}

/* Opens the worker's own handle on the repository, for objects that are
 * not in pack files, because libgit2 objects must not be used from two
 * threads at once. Only a worker that meets such an object opens it. It is
 * found the way the walking thread's was, so GIT_DIR, GIT_OBJECT_DIRECTORY
 * and the other variables apply to both. */
static int worker_open_fallback(void *ctx, git_odb **out, struct guard_error *err)
{
	struct scan_worker *w = ctx;

	if (!w->repo && git_repository_open_ext(&w->repo, NULL, GIT_REPOSITORY_OPEN_FROM_ENV,
						NULL) < 0)
		return guard_git_error(err, GUARD_ERR_IO, "opening the repository again");
	if (!w->odb && git_repository_odb(&w->odb, w->repo) < 0)
		return guard_git_error(err, GUARD_ERR_IO, "opening the object database");
	*out = w->odb;
	return 0;
}

static int worker_open(struct scan_worker *w, struct guard_error *err)
{
	return guard_odb_reader_new(&w->reader, w->job->git->odb, worker_open_fallback, w,
				    SCAN_CACHE_BYTES, err);
}

static void *scan_worker_run(void *arg)
{
	struct scan_worker *w = arg;
	struct scan_job *job = w->job;
	struct guard_error err = GUARD_ERROR_INIT;
	size_t i, finished;

	if (worker_open(w, &err) < 0) {
		job_fail(job, &err);
		return NULL;
	}
	for (;;) {
		pthread_mutex_lock(&job->lock);
		while (job->next >= job->count && !job->closed && !job->failed)
			pthread_cond_wait(&job->more, &job->lock);
		if (job->failed || job->next >= job->count) {
			pthread_mutex_unlock(&job->lock);
			break;
		}
		i = job->next++;
		pthread_mutex_unlock(&job->lock);

		if (scan_one_blob(w, task_at(job, i), &err) < 0) {
			job_fail(job, &err);
			break;
		}
		finished = __atomic_add_fetch(&job->finished, 1, __ATOMIC_RELAXED);
		/* While the walk runs, its own progress line is shown. */
		if (finished % 256 == 0 && __atomic_load_n(&job->closed, __ATOMIC_RELAXED))
			guard_log_progress("scanning blobs: %zu of %zu", finished,
					   __atomic_load_n(&job->count, __ATOMIC_RELAXED));
	}
	return NULL;
}

static unsigned pick_jobs(unsigned requested)
{
	long cpus;

	if (requested)
		return requested;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		return 1;
	return cpus > JOBS_MAX ? JOBS_MAX : (unsigned)cpus;
}

/* Starts the workers; they wait for tasks until pool_finish. */
static int pool_start(struct scan_job *job, struct guard_git *git, struct guard_scanner *scanner,
		      uint64_t max_size, unsigned jobs_requested, struct guard_scan_result *result,
		      struct guard_error *err)
{
	unsigned i;

	memset(job, 0, sizeof(*job));
	job->git = git;
	job->scanner = scanner;
	job->result = result;
	job->max_size = max_size;
	pthread_mutex_init(&job->lock, NULL);
	pthread_cond_init(&job->more, NULL);
	if (guard_git_reader_open(git, err) < 0)
		return -1;
	job->jobs = pick_jobs(jobs_requested);
	job->chunks = calloc(TASK_CHUNKS_MAX, sizeof(*job->chunks));
	job->workers = calloc(job->jobs, sizeof(*job->workers));
	if (!job->chunks || !job->workers)
		return guard_error_oom(err);
	for (i = 0; i < job->jobs; i++) {
		job->workers[i].job = job;
		if (pthread_create(&job->workers[i].thread, NULL, scan_worker_run,
				   &job->workers[i]) != 0)
			return guard_error_set(err, GUARD_ERR_INTERNAL, "starting a scan thread failed");
		job->started++;
	}
	return 0;
}

/* Queues one blob (from the walking thread). */
static int pool_push(struct scan_job *job, uint32_t blob, struct guard_error *err)
{
	struct guard_git *git = job->git;
	struct scan_task *task;
	size_t i = job->count;

	if (__atomic_load_n(&job->failed, __ATOMIC_RELAXED))
		return guard_error_set(err, GUARD_ERR_INTERNAL, "scanning stopped");
	if (i / TASK_CHUNK >= TASK_CHUNKS_MAX)
		return guard_error_set(err, GUARD_ERR_LIMIT, "more than %u blobs to scan",
				       TASK_CHUNKS_MAX * TASK_CHUNK);
	if (!job->chunks[i / TASK_CHUNK]) {
		job->chunks[i / TASK_CHUNK] = calloc(TASK_CHUNK, sizeof(struct scan_task));
		if (!job->chunks[i / TASK_CHUNK])
			return guard_error_oom(err);
	}
	task = task_at(job, i);
	git_oid_cpy(&task->oid, &git->blobs[blob].oid);
	task->path = git->paths[git->blobs[blob].path];
	task->blob = blob;
	git->blobs[blob].listed = true;
	pthread_mutex_lock(&job->lock);
	__atomic_store_n(&job->count, i + 1, __ATOMIC_RELAXED);	/* also read for progress */
	pthread_cond_signal(&job->more);
	pthread_mutex_unlock(&job->lock);
	return 0;
}

static int pool_push_blob(void *ctx, uint32_t blob, struct guard_error *err)
{
	return pool_push(ctx, blob, err);
}

/* Lets the workers drain the queue (or stops them when ok is false), joins
 * them and copies the results into git->blobs. */
static int pool_finish(struct scan_job *job, bool ok, struct guard_error *err)
{
	struct guard_git *git = job->git;
	struct guard_scan_result *result = job->result;
	struct scan_worker *w;
	struct scan_task *task;
	struct walk_blob *blob;
	size_t i;
	int rc = -1;

	pthread_mutex_lock(&job->lock);
	__atomic_store_n(&job->closed, true, __ATOMIC_RELAXED);
	if (!ok)
		__atomic_store_n(&job->failed, true, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&job->more);
	pthread_mutex_unlock(&job->lock);
	for (i = 0; i < job->started; i++)
		pthread_join(job->workers[i].thread, NULL);
	guard_log_progress_done();

	for (i = 0; job->workers && i < job->jobs; i++) {
		w = &job->workers[i];
		guard_scan_stats_add(&result->stats, &w->stats);
		git->counts.blobs_scanned += w->scanned;
		git->counts.bytes_scanned += w->bytes;
		git->counts.blobs_too_large += w->too_large;
		git->counts.blobs_unreadable += w->unreadable;
		result->stats.files_too_large += w->too_large;
		result->stats.files_unreadable += w->unreadable;
		guard_odb_reader_free(w->reader);
		git_odb_free(w->odb);
		git_repository_free(w->repo);
	}
	for (i = 0; i < job->count; i++) {
		task = task_at(job, i);
		blob = &git->blobs[task->blob];
		blob->state = task->state;
		blob->size = task->size;
		blob->findings = task->findings;
	}
	if (ok && job->failed)
		guard_error_copy(err, &job->failure);
	else if (ok)
		rc = 0;
	for (i = 0; job->chunks && i < TASK_CHUNKS_MAX && job->chunks[i]; i++)
		free(job->chunks[i]);
	free(job->chunks);
	free(job->workers);
	pthread_cond_destroy(&job->more);
	pthread_mutex_destroy(&job->lock);
	return rc;
}

/* Lists the blobs to scan: first every introduced blob, then (second pass)
 * the not yet scanned ancestors of introductions that have findings, which
 * decide whether a finding is new. */
static int list_blobs(struct guard_git *git, bool ancestors, uint32_t **out, size_t *count,
		      struct guard_error *err)
{
	uint32_t *list = NULL, blob;
	size_t cap = 0, n = 0, i, j;
	const struct walk_intro *intro;

	if (!ancestors) {
		for (i = 0; i < git->blob_count; i++) {
			if (!git->blobs[i].introduced || git->blobs[i].listed)
				continue;
			git->blobs[i].listed = true;
			if (guard_git_grow((void **)&list, &cap, n, sizeof(*list), err) < 0)
				goto fail;
			list[n++] = (uint32_t)i;
		}
	} else {
		for (i = 0; i < git->intro_count; i++) {
			intro = &git->intros[i];
			if (!git->blobs[intro->blob].findings)
				continue;
			for (j = 0; j < intro->anc_count; j++) {
				blob = git->ancestors[intro->anc_start + j];
				if (git->blobs[blob].listed)
					continue;
				git->blobs[blob].listed = true;
				if (guard_git_grow((void **)&list, &cap, n, sizeof(*list), err) < 0)
					goto fail;
				list[n++] = blob;
			}
		}
	}
	*out = list;
	*count = n;
	return 0;
fail:
	free(list);
	return -1;
}

/* A set of strings, for the (path, rule, secret) keys already reported. */
struct key_set {
	char **slots;
	size_t cap, count;
};

static uint64_t key_hash(const char *key)
{
	uint64_t h = 1469598103934665603ull;

	for (; *key; key++) {
		h ^= (unsigned char)*key;
		h *= 1099511628211ull;
	}
	return h;
}

/* Takes ownership of key. Returns 1 when it was new, 0 when present. */
static int key_set_add(struct key_set *set, char *key, struct guard_error *err)
{
	size_t i, mask;

	if ((set->count + 1) * 2 > set->cap) {
		size_t new_cap = set->cap ? set->cap * 2 : 256, j;
		char **slots = calloc(new_cap, sizeof(*slots));

		if (!slots) {
			free(key);
			return guard_error_oom(err);
		}
		for (j = 0; j < set->cap; j++) {
			if (!set->slots[j])
				continue;
			for (i = key_hash(set->slots[j]) & (new_cap - 1); slots[i]; i = (i + 1) & (new_cap - 1))
				;
			slots[i] = set->slots[j];
		}
		free(set->slots);
		set->slots = slots;
		set->cap = new_cap;
	}
	mask = set->cap - 1;
	for (i = key_hash(key) & mask; set->slots[i]; i = (i + 1) & mask) {
		if (strcmp(set->slots[i], key) == 0) {
			free(key);
			return 0;
		}
	}
	set->slots[i] = key;
	set->count++;
	return 1;
}

static void key_set_release(struct key_set *set)
{
	size_t i;

	for (i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
}

/* The commit fields of a location, loaded once per commit. */
struct commit_info {
	uint32_t node;
	char hex[GIT_OID_HEXSZ + 1];
	char *author;
	char date[48];
	char *subject;
};

static void commit_info_release(struct commit_info *info)
{
	free(info->author);
	free(info->subject);
	info->author = NULL;
	info->subject = NULL;
	info->node = WALK_NONE;
}

/* Formats a git time as ISO 8601 with the author's UTC offset. */
static void format_git_time(char *out, size_t size, git_time_t seconds, int offset_minutes)
{
	time_t local = (time_t)(seconds + (git_time_t)offset_minutes * 60);
	int offset = (offset_minutes < 0 ? -offset_minutes : offset_minutes) % (24 * 60);
	struct tm tm;
	char base[24];

	if (!gmtime_r(&local, &tm) || strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(out, size, "%lld", (long long)seconds);
		return;
	}
	snprintf(out, size, "%s%c%02d:%02d", base, offset_minutes < 0 ? '-' : '+', offset / 60,
		 offset % 60);
}

static int commit_info_load(struct guard_git *git, struct commit_info *info, uint32_t node,
			    struct guard_error *err)
{
	const git_signature *sig;
	git_commit *commit = NULL;
	struct guard_buf author = GUARD_BUF_INIT(4096);
	const char *summary;

	if (info->node == node)
		return 0;
	commit_info_release(info);
	git_oid_tostr(info->hex, sizeof(info->hex), &git->nodes[node].oid);
	if (git_commit_lookup(&commit, git->repo, &git->nodes[node].oid) < 0) {
		return guard_git_error(err, GUARD_ERR_IO, "reading commit '%s'", info->hex);
	}
	sig = git_commit_author(commit);
	if (guard_buf_printf(&author, err, "%.1000s <%.1000s>", sig->name ? sig->name : "",
			     sig->email ? sig->email : "") < 0) {
		git_commit_free(commit);
		return -1;
	}
	info->author = guard_buf_detach(&author, NULL);
	format_git_time(info->date, sizeof(info->date), sig->when.time, sig->when.offset);
	summary = git_commit_summary(commit);
	info->subject = guard_strdup(summary ? summary : "", err);
	git_commit_free(commit);
	if (!info->author || !info->subject)
		return guard_error_oom(err);
	info->node = node;
	return 0;
}

/* Reporting state for one introduction at a time. */
struct emit_ctx {
	struct guard_git *git;
	const struct walk_intro *intro;
	struct commit_info info;
	struct key_set reported;
	guard_finding_fn fn;
	void *fn_ctx;
};

/* Reports a finding under the current introduction's commit and path,
 * unless the same secret was already reported for that path. */
static int emit_finding(const struct guard_finding *finding, void *ctx, struct guard_error *err)
{
	struct emit_ctx *ec = ctx;
	const struct walk_intro *intro = ec->intro;
	struct guard_buf key = GUARD_BUF_INIT(8192);
	struct guard_finding copy;
	int added;

	if (guard_buf_printf(&key, err, "%s%c%s%c%s", ec->git->paths[intro->path], 0x1f,
			     finding->rule_id ? finding->rule_id : "", 0x1f, finding->secret_hash) < 0)
		return -1;
	added = key_set_add(&ec->reported, guard_buf_detach(&key, NULL), err);
	if (added <= 0)
		return added;

	copy = *finding;
	memset(&copy.loc, 0, sizeof(copy.loc));
	copy.loc.path = ec->git->paths[intro->path];
	copy.loc.line = finding->loc.line;
	copy.loc.column = finding->loc.column;
	copy.loc.end_column = finding->loc.end_column;
	copy.loc.column_utf16 = finding->loc.column_utf16;
	copy.loc.end_column_utf16 = finding->loc.end_column_utf16;
	if (intro->commit != WALK_NONE) {
		if (commit_info_load(ec->git, &ec->info, intro->commit, err) < 0)
			return -1;
		copy.loc.commit = ec->info.hex;
		copy.loc.author = ec->info.author;
		copy.loc.date = ec->info.date;
		copy.loc.subject = ec->info.subject;
	}
	if (guard_finding_fingerprint(&copy, err) < 0)
		return -1;
	return ec->fn(&copy, ec->fn_ctx, err);
}

/* True when a blob this introduction replaces already contains the secret, so
 * the commit did not add it (a merge taking a parent's line, a rename). */
static bool secret_in_ancestors(const struct guard_git *git, const struct walk_intro *intro,
				const struct guard_finding *finding)
{
	const struct guard_findings *list;
	size_t i, j;

	for (i = 0; i < intro->anc_count; i++) {
		list = git->blobs[git->ancestors[intro->anc_start + i]].findings;
		if (!list)
			continue;
		for (j = 0; j < list->count; j++)
			if (strcmp(list->items[j].secret_hash, finding->secret_hash) == 0)
				return true;
	}
	return false;
}

static int emit_all(struct guard_git *git, struct guard_scanner *scanner, guard_finding_fn fn,
		    void *fn_ctx, struct guard_error *err)
{
	struct emit_ctx ec;
	struct guard_location loc;
	const struct guard_findings *list;
	size_t i, j;
	int rc = 0;

	memset(&ec, 0, sizeof(ec));
	ec.git = git;
	ec.info.node = WALK_NONE;
	ec.fn = fn;
	ec.fn_ctx = fn_ctx;
	for (i = 0; rc == 0 && i < git->intro_count; i++) {
		ec.intro = &git->intros[i];
		memset(&loc, 0, sizeof(loc));
		loc.path = git->paths[ec.intro->path];
		rc = guard_scanner_check_name(scanner, &loc, NULL, 0, emit_finding, &ec, err);

		list = git->blobs[ec.intro->blob].findings;
		for (j = 0; rc == 0 && list && j < list->count; j++)
			if (!secret_in_ancestors(git, ec.intro, &list->items[j]))
				rc = emit_finding(&list->items[j], &ec, err);
	}
	commit_info_release(&ec.info);
	key_set_release(&ec.reported);
	return rc;
}

/* Formats bytes as the smallest whole K, M or G size (powers of 1024) that
 * --max-blob-size would need to cover them. */
static void format_size_to_cover(uint64_t bytes, char *out, size_t size)
{
	static const char units[] = { 'K', 'M', 'G' };
	uint64_t unit = 1024, value;
	size_t i;

	for (i = 0; i + 1 < sizeof(units) && bytes >= unit * 1024; i++)
		unit *= 1024;
	value = bytes / unit + (bytes % unit != 0);
	snprintf(out, size, "%" PRIu64 "%c", value, units[i]);
}

/* Records one problem (GUARD_ERR_LIMIT) for each added blob that was too
 * large to scan, at its first introduction in walk order, so that a secret
 * in it cannot pass as a clean scan. */
static int report_too_large(struct guard_git *git, uint64_t max_size, bool pre_push,
			    struct guard_scan_result *result, struct guard_error *err)
{
	struct guard_error problem = GUARD_ERROR_INIT;
	const struct walk_intro *intro;
	const struct walk_blob *blob;
	char commit[GIT_OID_HEXSZ + 1], cover[32], where[GIT_OID_HEXSZ + 32], others[64];
	uint32_t *intro_count;
	size_t i;
	int rc = 0;

	if (!git->counts.blobs_too_large)
		return 0;
	intro_count = calloc(git->blob_count ? git->blob_count : 1, sizeof(*intro_count));
	if (!intro_count)
		return guard_error_oom(err);
	for (i = 0; i < git->intro_count; i++)
		intro_count[git->intros[i].blob]++;

	for (i = 0; rc == 0 && i < git->intro_count; i++) {
		intro = &git->intros[i];
		blob = &git->blobs[intro->blob];
		if (blob->state != BLOB_TOO_LARGE || intro_count[intro->blob] == 0)
			continue;

		if (intro->commit == WALK_NONE) {
			snprintf(where, sizeof(where), "in the staged changes");
		} else {
			git_oid_tostr(commit, sizeof(commit), &git->nodes[intro->commit].oid);
			snprintf(where, sizeof(where), "at commit %s", commit);
		}
		others[0] = '\0';
		if (intro_count[intro->blob] > 1)
			snprintf(others, sizeof(others), " (the same blob is at %" PRIu32 " more %s)",
				 intro_count[intro->blob] - 1,
				 intro_count[intro->blob] == 2 ? "path" : "paths");
		intro_count[intro->blob] = 0;
		format_size_to_cover(blob->size, cover, sizeof(cover));

		if (pre_push)
			guard_error_set(&problem, GUARD_ERR_LIMIT,
					"blob too large to scan '%s' %s%s: %" PRIu64 " bytes, over the "
					"maximum blob size of %" PRIu64 " bytes; set scan.max-file-size "
					"to %s in .guard.yaml (git push passes no options to the hook), "
					"or remove the file from the commits being pushed",
					git->paths[intro->path], where, others, blob->size, max_size, cover);
		else if (intro->commit == WALK_NONE)
			guard_error_set(&problem, GUARD_ERR_LIMIT,
					"blob too large to scan '%s' %s%s: %" PRIu64 " bytes, over "
					"--max-blob-size %" PRIu64 " bytes; run again with "
					"--max-blob-size %s, or unstage the file",
					git->paths[intro->path], where, others, blob->size, max_size, cover);
		else
			guard_error_set(&problem, GUARD_ERR_LIMIT,
					"blob too large to scan '%s' %s%s: %" PRIu64 " bytes, over "
					"--max-blob-size %" PRIu64 " bytes; run again with "
					"--max-blob-size %s, or remove the file from history",
					git->paths[intro->path], where, others, blob->size, max_size, cover);
		rc = guard_scan_result_problem(result, &problem, err);
	}
	free(intro_count);
	return rc;
}

/* Appends "N thing" or "N things". */
static void append_count(struct guard_buf *buf, uint64_t n, const char *one, const char *many,
			 struct guard_error *err)
{
	guard_buf_printf(buf, err, "%" PRIu64 " %s", n, n == 1 ? one : many);
}

static int format_summary(struct guard_git *git, uint64_t elapsed_ms, uint64_t max_size,
			  const struct guard_scan_stats *stats, struct guard_error *err)
{
	struct guard_buf buf = GUARD_BUF_INIT(4096);
	const struct guard_git_counts *c = &git->counts;
	char bytes[32];

	if (git->staged) {
		guard_buf_printf(&buf, err, "git: scanned the staged changes, ");
	} else {
		guard_buf_printf(&buf, err, "git: walked ");
		append_count(&buf, c->commits, "commit", "commits", err);
		guard_buf_printf(&buf, err, ", scanned ");
	}
	append_count(&buf, c->blobs_scanned, "unique blob", "unique blobs", err);
	guard_format_bytes(c->bytes_scanned, bytes, sizeof(bytes));
	guard_buf_printf(&buf, err, " (%s) in %.2f s", bytes, (double)elapsed_ms / 1000.0);
	if (c->blobs_too_large) {
		guard_buf_printf(&buf, err, "; skipped ");
		append_count(&buf, c->blobs_too_large, "blob", "blobs", err);
		guard_buf_printf(&buf, err, " over %" PRIu64 " bytes", max_size);
	}
	if (stats->files_binary) {
		guard_buf_printf(&buf, err, "; ");
		append_count(&buf, stats->files_binary, "binary blob", "binary blobs", err);
		guard_buf_printf(&buf, err, " not scanned");
	}
	if (c->blobs_unreadable) {
		guard_buf_printf(&buf, err, "; ");
		append_count(&buf, c->blobs_unreadable, "blob", "blobs", err);
		guard_buf_printf(&buf, err, " could not be read");
	}
	if (c->shallow)
		guard_buf_printf(&buf, err, "; history is incomplete (shallow clone)");
	free(git->summary);
	git->summary = guard_buf_detach(&buf, NULL);
	return git->summary ? 0 : guard_error_oom(err);
}

/* Scans a list of blob indices with a fresh pool. */
static int scan_blob_list(struct guard_git *git, struct guard_scanner *scanner, uint64_t max_size,
			  unsigned jobs, const uint32_t *list, size_t count,
			  struct guard_scan_result *result, struct guard_error *err)
{
	struct scan_job job;
	size_t i;
	int rc = 0;

	if (count == 0)
		return 0;
	if (jobs == 0 || jobs > count)
		jobs = pick_jobs(jobs) > count ? (unsigned)count : pick_jobs(jobs);
	rc = pool_start(&job, git, scanner, max_size, jobs, result, err);
	for (i = 0; rc == 0 && i < count; i++)
		rc = pool_push(&job, list[i], err);
	return pool_finish(&job, rc == 0, err) < 0 || rc < 0 ? -1 : 0;
}

int guard_git_scan(struct guard_git *git, struct guard_scanner *scanner,
		   const struct guard_git_scan_options *options,
		   struct guard_scan_result *result, struct guard_error *err)
{
	uint64_t max_size = options && options->max_blob_size ? options->max_blob_size
							      : GUARD_GIT_MAX_BLOB_SIZE_DEFAULT;
	unsigned jobs = options ? options->jobs : 0;
	struct scan_job job;
	uint32_t *list = NULL;
	size_t count = 0;
	int pass, rc;

	/* Blobs are scanned while the walk goes on: each one as soon as a
	 * commit first adds it. */
	if (!git->planned) {
		rc = pool_start(&job, git, scanner, max_size, jobs, result, err);
		if (rc == 0) {
			git->on_blob = pool_push_blob;
			git->on_blob_ctx = &job;
			rc = guard_git_plan(git, err);
			git->on_blob = NULL;
			git->on_blob_ctx = NULL;
		}
		if (pool_finish(&job, rc == 0, err) < 0 || rc < 0)
			return -1;
	}
	if (git->counts.shallow)
		guard_log_warn("history is incomplete: this is a shallow clone, so commits before "
			       "its boundary are not scanned; run 'git fetch --unshallow' to scan them");
	for (pass = 0; pass < 2; pass++) {
		if (list_blobs(git, pass == 1, &list, &count, err) < 0)
			return -1;
		rc = scan_blob_list(git, scanner, max_size, jobs, list, count, result, err);
		free(list);
		list = NULL;
		if (rc < 0)
			return -1;
	}
	if (report_too_large(git, max_size, options && options->pre_push, result, err) < 0)
		return -1;
	if (emit_all(git, scanner, guard_scan_result_collect, result, err) < 0)
		return -1;
	if (format_summary(git, guard_now_ms() - git->started_ms, max_size, &result->stats, err) < 0)
		return -1;
	result->summary = git->summary;
	result->compact_summary = options && options->pre_push;
	return 0;
}

int guard_git_scan_report(struct guard_git *git, const struct guard_git_report_options *ro,
			  struct guard_error *err)
{
	struct guard_git_scan_options scan_options = ro->scan;
	struct guard_config config;
	struct guard_scanner *scanner = NULL;
	struct guard_scan_result result;
	const char *workdir = git_repository_workdir(git->repo);
	int rc = -1;

	guard_config_init(&config);
	guard_scan_result_init(&result, ro->command, ro->target);
	result.root = workdir;
	if (guard_config_load(&config, ro->options->config_path, workdir ? workdir : ".", err) < 0 ||
	    guard_config_apply_options(&config, ro->options, err) < 0)
		goto out;
	if (!scan_options.max_blob_size)
		scan_options.max_blob_size = config.scan.max_file_size ? config.scan.max_file_size
								      : GUARD_GIT_MAX_BLOB_SIZE_DEFAULT;

	/* The engine cuts a file at scan.max_file_size. Every blob under
	 * --max-blob-size must be scanned whole, or a secret past the cut
	 * would go unseen. */
	if (config.scan.max_file_size < scan_options.max_blob_size)
		config.scan.max_file_size = scan_options.max_blob_size;
	if (guard_scanner_new(&scanner, &config.scan, err) < 0)
		goto out;
	if (guard_git_scan(git, scanner, &scan_options, &result, err) < 0)
		goto out;
	rc = guard_report_finish(&result, ro->options, &config, ro->write_baseline, err);
out:
	guard_scanner_free(scanner);
	guard_scan_result_release(&result);
	guard_config_release(&config);
	return rc;
}
