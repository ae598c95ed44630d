/* Lists the files of a build context that .dockerignore keeps, one
 * context-relative path per line, sorted, walking folders the way a
 * context scanner does: an excluded folder is entered only when
 * guard_ignore_must_descend returns true for it.
 *
 *   ignore-walk CONTEXT_DIR [DOCKERFILE]
 *
 * Prints "ignore-file PATH" (or "ignore-file none") on stderr. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ignore.h"
#include "log.h"
#include "util.h"

struct path_list {
	char **items;
	size_t count, cap;
};

static int add_path(struct path_list *list, const char *path)
{
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 64;
		char **items = realloc(list->items, cap * sizeof(*items));

		if (!items)
			return -1;
		list->items = items;
		list->cap = cap;
	}
	list->items[list->count] = strdup(path);
	return list->items[list->count++] ? 0 : -1;
}

static int walk(const struct guard_ignore *ig, const char *root, const char *rel,
		struct path_list *kept)
{
	char *dir_path = rel[0] ? guard_path_join(root, rel) : strdup(root);
	DIR *dir = dir_path ? opendir(dir_path) : NULL;
	struct dirent *entry;
	int rc = 0;

	if (!dir) {
		free(dir_path);
		return -1;
	}
	while (rc == 0 && (entry = readdir(dir)) != NULL) {
		char *child, *full;
		struct stat st;
		bool excluded;

		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		child = rel[0] ? guard_path_join(rel, entry->d_name) : strdup(entry->d_name);
		full = child ? guard_path_join(root, child) : NULL;
		if (!child || !full || lstat(full, &st) != 0) {
			free(child);
			free(full);
			rc = -1;
			break;
		}
		excluded = guard_ignore_match(ig, child, S_ISDIR(st.st_mode));
		if (S_ISDIR(st.st_mode)) {
			if (!excluded || guard_ignore_must_descend(ig, child))
				rc = walk(ig, root, child, kept);
		} else if (!excluded) {
			rc = add_path(kept, child);
		}
		free(child);
		free(full);
	}
	closedir(dir);
	free(dir_path);
	return rc;
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct path_list kept = { NULL, 0, 0 };
	struct guard_ignore *ig = NULL;
	char *used = NULL;
	size_t i;
	int rc;

	if (argc < 2 || argc > 3) {
		fputs("usage: ignore-walk CONTEXT_DIR [DOCKERFILE]\n", stderr);
		return 2;
	}
	if (guard_ignore_load_for_build(&ig, argv[1], argc == 3 ? argv[2] : NULL, &used, &err) < 0) {
		guard_log_report(&err);
		return 3;
	}
	fprintf(stderr, "ignore-file %s\n", used ? used : "none");

	rc = walk(ig, argv[1], "", &kept);
	qsort(kept.items, kept.count, sizeof(char *), compare_paths);
	for (i = 0; i < kept.count; i++) {
		if (rc == 0)
			printf("%s\n", kept.items[i]);
		free(kept.items[i]);
	}
	free(kept.items);
	free(used);
	guard_ignore_free(ig);
	if (rc < 0) {
		fprintf(stderr, "ignore-walk: cannot walk '%s'\n", argv[1]);
		return 3;
	}
	return 0;
}
