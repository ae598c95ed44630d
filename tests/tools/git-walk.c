/* Prints the (commit, path, blob) list that 'guard scan git' would scan,
 * one "COMMIT PATH BLOB" line each (COMMIT is "staged" for the index), so
 * that tests can check the history walk without the detection engine.
 * Arguments are revision specs as for 'guard scan git'; none means all
 * refs, and "--staged" selects the index. */
#include <git2.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "source_git.h"

static int print_intro(const char *commit, const char *path, const char *blob, void *ctx)
{
	(void)ctx;
	printf("%s %s %s\n", commit ? commit : "staged", path, blob);
	return 0;
}

int main(int argc, char **argv)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_git_counts counts;
	struct guard_git *git = NULL;
	int i, rc = 1, specs = 0;

	git_libgit2_init();
	if (guard_git_open(&git, &err) < 0)
		goto out;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--staged") == 0) {
			guard_git_select_staged(git);
		} else if (strcmp(argv[i], "--exclude-remotes") == 0) {
			if (guard_git_exclude_remote_refs(git, &err) < 0)
				goto out;
		} else {
			if (guard_git_select_spec(git, argv[i], &err) < 0)
				goto out;
			specs++;
		}
	}
	if (specs == 0 && guard_git_select_all(git, &err) < 0)
		goto out;
	if (guard_git_plan(git, &err) < 0)
		goto out;
	guard_git_plan_foreach(git, print_intro, NULL);
	guard_git_get_counts(git, &counts);
	fprintf(stderr, "commits %llu blobs %llu shallow %d\n", (unsigned long long)counts.commits,
		(unsigned long long)counts.blobs, counts.shallow);
	rc = 0;
out:
	if (rc)
		guard_log_report(&err);
	guard_git_free(git);
	git_libgit2_shutdown();
	return rc;
}
