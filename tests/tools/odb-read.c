/* Reads the objects whose ids come on stdin (one per line) with guard's
 * pack reader and checks each against its id by hashing it again. Prints
 * one "ID TYPE SIZE" line per object, "ID too-large SIZE" when it is over
 * the cap given as the first argument, or "ID error: MESSAGE". Exits 1
 * when any object failed or did not match its id. Run inside the
 * repository. The second argument, when given, is the cache size in bytes. */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "git_odb.h"

static int use_fallback(void *ctx, git_odb **out, struct guard_error *err)
{
	(void)err;
	*out = ctx;
	return 0;
}

int main(int argc, char **argv)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_odb *odb = NULL;
	struct guard_odb_reader *reader = NULL;
	struct guard_git_object *obj;
	git_repository *repo = NULL;
	git_odb *fallback = NULL;
	uint64_t max = argc > 1 ? strtoull(argv[1], NULL, 10) : UINT64_MAX, size;
	size_t cache = argc > 2 ? strtoull(argv[2], NULL, 10) : 8u << 20;
	char line[256], hex[GIT_OID_HEXSZ + 1];
	git_oid id, again;
	int rc, status = 0;

	git_libgit2_init();
	if (git_repository_open_ext(&repo, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL) < 0 ||
	    git_repository_odb(&fallback, repo) < 0) {
		fprintf(stderr, "odb-read: cannot open the repository\n");
		return 2;
	}
	if (guard_odb_open(&odb, repo, &err) < 0 ||
	    guard_odb_reader_new(&reader, odb, use_fallback, fallback, cache, &err) < 0) {
		fprintf(stderr, "odb-read: %s\n", err.message);
		return 2;
	}
	fprintf(stderr, "packs %zu\n", guard_odb_pack_count(odb));
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (git_oid_fromstr(&id, line) < 0)
			continue;
		git_oid_tostr(hex, sizeof(hex), &id);
		rc = guard_odb_read(reader, &id, max, true, &obj, &size, &err);
		if (rc < 0) {
			printf("%s error: %s\n", hex, err.message);
			status = 1;
			continue;
		}
		if (rc == 1) {
			printf("%s too-large %llu\n", hex, (unsigned long long)size);
			continue;
		}
		if (git_odb_hash(&again, obj->data, obj->size, obj->type) < 0 ||
		    !git_oid_equal(&again, &id)) {
			printf("%s error: the content does not match the id\n", hex);
			status = 1;
		} else {
			printf("%s %s %zu\n", hex, git_object_type2string(obj->type), obj->size);
		}
		guard_git_object_unref(obj);
	}
	guard_odb_reader_free(reader);
	guard_odb_free(odb);
	git_odb_free(fallback);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return status;
}
