/* Finding the files guard pin reads, and turning each into a list of image
 * references with the plan of where their digests go. */
#include "pin.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "dockerfile.h"
#include "glob.h"
#include "log.h"
#include "util.h"
#include "yaml_refs.h"

static bool is_yaml_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 4 && strcasecmp(name + n - 4, ".yml") == 0) ||
	       (n > 5 && strcasecmp(name + n - 5, ".yaml") == 0);
}

/* The names a folder search picks up. Dockerfile.dockerignore is the
 * ignore file of a Dockerfile, not a Dockerfile. */
static bool is_searched_name(const char *name, enum guard_pin_file_kind *kind)
{
	/* The files docker compose reads by default, overrides included. */
	static const char *const compose[] = {
		"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml",
		"compose.override.yaml", "compose.override.yml",
		"docker-compose.override.yaml", "docker-compose.override.yml",
	};
	size_t i;

	for (i = 0; i < GUARD_ARRAY_SIZE(compose); i++) {
		if (strcmp(name, compose[i]) == 0) {
			*kind = GUARD_PIN_YAML;
			return true;
		}
	}
	*kind = GUARD_PIN_DOCKERFILE;
	if (guard_has_suffix(name, ".dockerignore"))
		return false;
	return strcmp(name, "Dockerfile") == 0 || strcmp(name, "Containerfile") == 0 ||
	       (guard_has_suffix(name, ".Dockerfile") && strlen(name) > strlen(".Dockerfile")) ||
	       (guard_has_prefix(name, "Dockerfile.") && strlen(name) > strlen("Dockerfile."));
}

/* Adds a file to pin. data, when not NULL, is the content already read,
 * and the run takes it over. */
static int add_file(struct guard_pin_run *run, const char *path,
		    enum guard_pin_file_kind kind, char *data, size_t len,
		    struct guard_error *err)
{
	struct guard_pin_file *grown, *file;
	char *real = realpath(path, NULL);
	size_t i;

	/* The same file named twice (or through a symlink) is pinned once. */
	for (i = 0; real && i < run->file_count; i++) {
		if (run->files[i].write_path && strcmp(run->files[i].write_path, real) == 0) {
			free(real);
			free(data);
			return 0;
		}
	}
	if (run->file_count >= GUARD_PIN_MAX_FILES) {
		free(real);
		free(data);
		return guard_error_set(err, GUARD_ERR_LIMIT, "more than %d files to pin",
				       GUARD_PIN_MAX_FILES);
	}
	grown = realloc(run->files, (run->file_count + 1) * sizeof(*grown));
	if (!grown) {
		free(real);
		free(data);
		return guard_error_oom(err);
	}
	run->files = grown;
	file = &run->files[run->file_count];
	memset(file, 0, sizeof(*file));
	file->path = strdup(path);
	if (!file->path) {
		free(real);
		free(data);
		return guard_error_oom(err);
	}
	file->data = data;
	file->len = len;
	file->write_path = real;
	file->kind = kind;
	file->content_kind = kind == GUARD_PIN_YAML ? "yaml" : "dockerfile";
	if (!real) {
		file->failed = true;
		guard_error_set(&file->error, GUARD_ERR_IO, "cannot open '%s': %s", path,
				strerror(errno));
	}
	run->file_count++;
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists a folder's entries in byte order, so that runs are reproducible. */
static int list_folder(const char *dir, char ***out, size_t *count, struct guard_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *entry;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		return guard_error_set(err, GUARD_ERR_IO, "cannot open folder '%s': %s", dir,
				       strerror(errno));
	while ((entry = readdir(d)) != NULL) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		if (n == cap) {
			char **grown;

			cap = cap ? cap * 2 : 32;
			grown = realloc(names, cap * sizeof(*names));
			if (!grown)
				goto oom;
			names = grown;
		}
		names[n] = strdup(entry->d_name);
		if (!names[n])
			goto oom;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), compare_names);
	*out = names;
	*count = n;
	return 0;

oom:
	closedir(d);
	while (n > 0)
		free(names[--n]);
	free(names);
	return guard_error_oom(err);
}

/* Reports whether a YAML file found by a folder walk is a Kubernetes
 * manifest: a document with top-level apiVersion and kind. Files that do
 * not parse as YAML and templates (an image value with "{{" or "${") are
 * not, and -v names them. On true, *data and *len take over the file's
 * content. */
static bool is_kubernetes_manifest(const char *path, char **data, size_t *len)
{
	struct guard_error read_err = GUARD_ERROR_INIT;
	struct guard_yaml_refs refs;
	char *text = NULL;
	size_t text_len = 0, i;
	bool found = false;

	if (guard_read_file(path, GUARD_PIN_MAX_FILE_SIZE, &text, &text_len, &read_err) < 0) {
		guard_log_info("skipping '%s': %s", path, read_err.message);
		return false;
	}
	/* Most YAML files are not manifests: skip the parse when they cannot be. */
	if (!memmem(text, text_len, "apiVersion", 10) || !memmem(text, text_len, "kind", 4)) {
		free(text);
		return false;
	}
	guard_yaml_refs_init(&refs);
	if (guard_yaml_refs_find(&refs, path, text, text_len, &read_err) < 0) {
		guard_log_info("skipping '%s': not valid YAML: %s", path, read_err.message);
	} else if (refs.kind == GUARD_YAML_KUBERNETES) {
		found = true;
		for (i = 0; i < refs.count && found; i++) {
			if (strstr(refs.items[i].text, "{{") || strstr(refs.items[i].text, "${")) {
				guard_log_info("skipping '%s': image '%s' is a template", path,
					       refs.items[i].text);
				found = false;
			}
		}
	}
	guard_yaml_refs_release(&refs);
	if (!found) {
		free(text);
		return false;
	}
	*data = text;
	*len = text_len;
	return true;
}

/* Reports whether a glob of scan.skip-paths matches relative, a path
 * relative to the folder that was given. */
static bool walk_skips(const struct guard_pin_run *run, const char *relative)
{
	const struct guard_string_list *globs = &run->config.scan.skip_paths;
	size_t i;

	for (i = 0; i < globs->count; i++)
		if (guard_glob_match_path(globs->items[i], relative))
			return true;
	return false;
}

/* Adds a regular file that a walk found when its name or content makes it
 * a file to pin. */
static int add_found_file(struct guard_pin_run *run, const char *path, const char *name,
			  struct guard_error *err)
{
	enum guard_pin_file_kind kind;
	char *data = NULL;
	size_t len = 0;

	if (is_searched_name(name, &kind))
		return add_file(run, path, kind, NULL, 0, err);
	if (is_yaml_name(name) && is_kubernetes_manifest(path, &data, &len))
		return add_file(run, path, GUARD_PIN_YAML, data, len, err);
	return 0;
}

/* Walks a folder without following symlinks, so that a link cannot lead
 * the search out of the tree or round in a loop. relative is dir's path
 * below the folder that was given ("" for that folder). */
static int walk_folder(struct guard_pin_run *run, const char *dir, const char *relative,
		       int depth, struct guard_error *err)
{
	char **names = NULL;
	size_t count = 0, i;
	int rc = 0;

	if (depth > 64)
		return guard_error_set(err, GUARD_ERR_LIMIT, "folder '%s' is nested more than 64 deep", dir);
	if (list_folder(dir, &names, &count, err) < 0)
		return -1;
	for (i = 0; i < count && rc == 0; i++) {
		char *path = guard_path_join(dir, names[i]);
		char *child = guard_path_join(relative, names[i]);
		struct stat st;

		if (!path || !child) {
			free(path);
			free(child);
			rc = guard_error_oom(err);
			break;
		}
		if (lstat(path, &st) == 0 && !walk_skips(run, child)) {
			if (S_ISDIR(st.st_mode) && strcmp(names[i], ".git") != 0 &&
			    strcmp(names[i], "node_modules") != 0)
				rc = walk_folder(run, path, child, depth + 1, err);
			else if (S_ISREG(st.st_mode))
				rc = add_found_file(run, path, names[i], err);
		}
		free(path);
		free(child);
	}
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return rc;
}

int guard_pin_files_add_path(struct guard_pin_run *run, const char *path,
			     struct guard_error *err)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		size_t before = run->file_count;

		if (walk_folder(run, path, "", 0, err) < 0)
			return -1;
		if (run->file_count == before)
			guard_log_warn("no Dockerfile, compose file or Kubernetes manifest found in '%s'",
				       path);
		return 0;
	}
	return add_file(run, path, is_yaml_name(guard_path_base(path)) ? GUARD_PIN_YAML :
		       GUARD_PIN_DOCKERFILE, NULL, 0, err);
}

static struct guard_pin_site *new_site(struct guard_pin_run *run, size_t file,
				       struct guard_error *err)
{
	struct guard_pin_site *site;

	if (run->site_count == run->site_cap) {
		size_t cap = run->site_cap ? run->site_cap * 2 : 64;
		struct guard_pin_site *grown = realloc(run->sites, cap * sizeof(*grown));

		if (!grown) {
			guard_error_oom(err);
			return NULL;
		}
		run->sites = grown;
		run->site_cap = cap;
	}
	site = &run->sites[run->site_count++];
	memset(site, 0, sizeof(*site));
	site->file = file;
	site->digest_start = SIZE_MAX;
	site->digest_end = SIZE_MAX;
	site->tag_request = SIZE_MAX;
	site->digest_request = SIZE_MAX;
	return site;
}

/* Parses the text to resolve. An invalid reference fails the file: the
 * build would fail on it too. */
static int parse_site_ref(struct guard_pin_site *site, const char *path,
			  struct guard_error *err)
{
	if (guard_ref_parse(&site->ref, site->expanded, err) < 0)
		return guard_error_prefix(err, "%s:%u", path, site->line);
	site->has_ref = true;
	site->name = guard_ref_canonical(&site->ref, true);
	if (!site->name)
		return guard_error_oom(err);
	return 0;
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *copy;

	if (!s)
		return NULL;
	copy = strdup(s);
	if (!copy)
		*oom = true;
	return copy;
}

/* The byte offsets at which the lines of a file start, to turn an
 * offset into a line number. */
struct line_starts {
	size_t *offsets;
	size_t count;
};

static int line_starts_build(struct line_starts *lines, const char *data, size_t len,
			     struct guard_error *err)
{
	size_t i, n = 1;

	for (i = 0; i < len; i++)
		n += data[i] == '\n';
	lines->offsets = malloc(n * sizeof(*lines->offsets));
	if (!lines->offsets)
		return guard_error_oom(err);
	lines->offsets[0] = 0;
	lines->count = 1;
	for (i = 0; i < len; i++)
		if (data[i] == '\n')
			lines->offsets[lines->count++] = i + 1;
	return 0;
}

/* Returns the 1-based line that contains offset. */
static unsigned line_of(const struct line_starts *lines, size_t offset)
{
	size_t low = 0, high = lines->count;

	while (high - low > 1) {
		size_t mid = low + (high - low) / 2;

		if (lines->offsets[mid] <= offset)
			low = mid;
		else
			high = mid;
	}
	return (unsigned)(low + 1);
}

static int load_dockerfile_image(struct guard_pin_run *run, size_t index,
				 const struct guard_dockerfile_image *image,
				 const struct line_starts *lines, struct guard_error *err)
{
	struct guard_pin_site *site = new_site(run, index, err);
	bool oom = false;

	if (!site)
		return -1;
	site->line = image->line;
	site->column = image->column;
	site->edit_line = image->line;
	site->kind = guard_dockerfile_ref_kind_name(image->kind);
	site->text = dup_or_null(image->written ? image->written : "", &oom);
	site->expanded = dup_or_null(image->expanded, &oom);
	site->reason = dup_or_null(image->reason, &oom);
	site->warning = dup_or_null(image->warning, &oom);
	if (oom)
		return guard_error_oom(err);

	switch (image->action) {
	case GUARD_DOCKERFILE_PIN:
		site->pinnable = true;
		site->insert_at = image->insert_at;
		site->edit_line = line_of(lines, image->insert_at);
		site->add_latest = image->add_latest;
		site->duplicate = image->duplicate;
		break;
	case GUARD_DOCKERFILE_PINNED:
		site->pinned = true;
		site->digest_start = image->digest_start;
		site->digest_end = image->digest_end;
		if (image->digest_start != SIZE_MAX)
			site->edit_line = line_of(lines, image->digest_start);
		break;
	case GUARD_DOCKERFILE_SKIP:
		site->action = GUARD_PIN_ACTION_SKIPPED;
		return 0;
	}
	if (!site->expanded) {
		site->action = GUARD_PIN_ACTION_SKIPPED;
		if (!site->reason && !(site->reason = strdup("the reference could not be expanded")))
			return guard_error_oom(err);
		return 0;
	}
	return parse_site_ref(site, run->files[index].path, err);
}

static int load_dockerfile(struct guard_pin_run *run, size_t index, struct guard_error *err)
{
	struct guard_pin_file *file = &run->files[index];
	struct guard_dockerfile_options options = { 0 };
	struct guard_dockerfile *df = NULL;
	struct line_starts lines = { 0 };
	size_t i;
	int rc = 0;

	options.build_args = run->build_args;
	options.build_arg_count = run->build_arg_count;
	options.max_size = GUARD_PIN_MAX_FILE_SIZE;
	if (guard_dockerfile_parse(&df, file->path, file->data, file->len, &options, err) < 0)
		return -1;
	for (i = 0; i < df->warning_count; i++)
		guard_log_warn("%s", df->warnings[i]);
	rc = line_starts_build(&lines, file->data, file->len, err);
	for (i = 0; i < df->image_count && rc == 0; i++)
		rc = load_dockerfile_image(run, index, &df->images[i], &lines, err);
	free(lines.offsets);
	guard_dockerfile_free(df);
	return rc;
}

static int load_yaml_ref(struct guard_pin_run *run, size_t index, const char *kind,
			 const struct guard_yaml_ref *ref, struct guard_error *err)
{
	struct guard_pin_site *site = new_site(run, index, err);
	bool oom = false;
	const char *at;

	if (!site)
		return -1;
	site->line = (unsigned)ref->line;
	site->column = (unsigned)ref->column;
	site->edit_line = site->line;
	site->kind = kind;
	site->text = dup_or_null(ref->text, &oom);
	site->reason = dup_or_null(ref->skip_reason, &oom);
	if (oom)
		return guard_error_oom(err);
	if (ref->skip_reason) {
		site->action = GUARD_PIN_ACTION_SKIPPED;
		return 0;
	}
	site->expanded = dup_or_null(ref->text, &oom);
	if (oom)
		return guard_error_oom(err);
	if (parse_site_ref(site, run->files[index].path, err) < 0)
		return -1;

	at = strchr(ref->text, '@');
	if (site->ref.digest && at) {
		site->pinned = true;
		site->digest_start = ref->start + (size_t)(at - ref->text);
		site->digest_end = ref->end;
	} else {
		site->pinnable = true;
		site->insert_at = ref->end;
		site->add_latest = !site->ref.tag;
	}
	return 0;
}

static int load_yaml(struct guard_pin_run *run, size_t index, struct guard_error *err)
{
	struct guard_pin_file *file = &run->files[index];
	struct guard_yaml_refs refs;
	const char *kind;
	size_t i;
	int rc = 0;

	guard_yaml_refs_init(&refs);
	if (guard_yaml_refs_find(&refs, file->path, file->data, file->len, err) < 0) {
		guard_yaml_refs_release(&refs);
		return -1;
	}
	kind = guard_yaml_kind_name(refs.kind);
	file->content_kind = kind;
	if (refs.kind == GUARD_YAML_OTHER)
		guard_log_warn("'%s' is neither a compose file nor a Kubernetes manifest; "
			       "nothing to pin", file->path);
	for (i = 0; i < refs.count && rc == 0; i++)
		rc = load_yaml_ref(run, index, kind, &refs.items[i], err);
	guard_yaml_refs_release(&refs);
	return rc;
}

/* Drops the sites a failed file added. */
static void drop_sites_from(struct guard_pin_run *run, size_t first)
{
	while (run->site_count > first) {
		struct guard_pin_site *site = &run->sites[--run->site_count];

		free(site->text);
		free(site->expanded);
		free(site->name);
		free(site->reason);
		free(site->warning);
		if (site->has_ref)
			guard_ref_release(&site->ref);
	}
}

int guard_pin_files_load(struct guard_pin_run *run, struct guard_error *err)
{
	size_t i;

	for (i = 0; i < run->file_count; i++) {
		struct guard_pin_file *file = &run->files[i];
		struct guard_error file_err = GUARD_ERROR_INIT;
		size_t first = run->site_count;
		int rc;

		if (file->failed)
			continue;
		if (!file->data && guard_read_file(file->path, GUARD_PIN_MAX_FILE_SIZE, &file->data, &file->len,
				    &file_err) < 0) {
			file->failed = true;
			guard_error_copy(&file->error, &file_err);
			continue;
		}
		rc = file->kind == GUARD_PIN_YAML ? load_yaml(run, i, &file_err) :
		     load_dockerfile(run, i, &file_err);
		if (rc < 0) {
			if (file_err.code == GUARD_ERR_INTERNAL) {
				guard_error_copy(err, &file_err);
				return -1;
			}
			drop_sites_from(run, first);
			file->failed = true;
			guard_error_copy(&file->error, &file_err);
		}
	}
	return 0;
}
