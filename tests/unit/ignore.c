/* .dockerignore: a table of patterns and paths checked against BuildKit's
 * rules (moby/patternmatcher), the reading rules, errors, descending into
 * excluded folders, and which ignore file a build uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ignore.h"
#include "tap.h"

struct match_case {
	const char *file;	/* text of the ignore file */
	const char *path;
	int excluded;
};

static const struct match_case cases[] = {
	/* anchored at the root */
	{ "*.pem", "server.pem", 1 },
	{ "*.pem", "certs/server.pem", 0 },
	{ "**/*.pem", "certs/server.pem", 1 },
	{ "**/*.pem", "server.pem", 1 },
	{ "**/*.pem", "a/b/c.pem", 1 },
	{ "**/*.pem", "a/b/c.pem.txt", 0 },
	{ "foo", "foobar", 0 },
	{ "foo", "x/foo", 0 },
	{ "*/secret.txt", "a/secret.txt", 1 },
	{ "*/secret.txt", "secret.txt", 0 },
	{ "*/secret.txt", "a/b/secret.txt", 0 },
	/* comments only in column 1 */
	{ "# secrets", "# secrets", 0 },
	{ "  # secrets", "# secrets", 1 },
	{ "  # secrets", "secrets", 0 },
	/* folders and exceptions */
	{ "secrets/\n!secrets/public.pem", "secrets/private.pem", 1 },
	{ "secrets/\n!secrets/public.pem", "secrets/public.pem", 0 },
	{ "secrets/\n!secrets/public.pem", "secrets", 1 },
	{ "node_modules\n!node_modules/pkg/LICENSE", "node_modules/pkg/index.js", 1 },
	{ "node_modules\n!node_modules/pkg/LICENSE", "node_modules/pkg/LICENSE", 0 },
	{ "node_modules\n!node_modules/pkg/LICENSE", "node_modules", 1 },
	{ ".git", ".git/config", 1 },
	{ ".git", ".git/objects/ab/cdef", 1 },
	{ "**/node_modules", "web/node_modules/x/y.js", 1 },
	{ "*", "a/b", 1 },
	{ "docs\n!docs/**/*.md", "docs/a/b.md", 0 },
	{ "docs\n!docs/**/*.md", "docs/x.md", 0 },
	{ "docs\n!docs/**/*.md", "docs/a/b.txt", 1 },
	/* cleaning: these three are one pattern */
	{ "/foo/bar", "foo/bar", 1 },
	{ "foo/bar/", "foo/bar", 1 },
	{ "./foo/bar", "foo/bar", 1 },
	{ "/foo/bar", "foo/bar/baz", 1 },
	{ "/foo/bar", "x/foo/bar", 0 },
	{ "foo//bar", "foo/bar", 1 },
	{ "a/../b", "b", 1 },
	{ "a/../b", "a/b", 0 },
	{ "../b", "b", 0 },
	{ "foo", "./foo/bar", 1 },
	{ "foo", "/foo", 1 },
	{ ".", "a", 0 },
	/* classes, escapes, single characters */
	{ "[^a]*", "bcd", 1 },
	{ "[^a]*", "abc", 0 },
	{ "[^a]*", "b/x", 1 },
	{ "[a-c]x", "bx", 1 },
	{ "[a-c]x", "dx", 0 },
	{ "[\\]]", "]", 1 },
	{ "a[^x]b", "a/b", 1 },	/* a Go regexp class also matches "/" */
	{ "\\*", "*", 1 },
	{ "\\*", "a", 0 },
	{ "\\[a\\]", "[a]", 1 },
	{ "a\\ b", "a b", 1 },
	{ "?.txt", "a.txt", 1 },
	{ "?.txt", "ab.txt", 0 },
	{ "?", "\xc3\xa9", 1 },	/* one code point, two bytes */
	{ "\xc3\xa9*", "\xc3\xa9t\xc3\xa9", 1 },
	{ "a*/b", "abc/b", 1 },
	{ "a*/b", "a/x/b", 0 },
	/* double stars */
	{ "**", "x", 1 },
	{ "**", "anything/deep/down", 1 },
	{ "dir/**", "dir/a", 1 },
	{ "dir/**", "dir/a/b", 1 },
	{ "dir/**", "dir", 0 },
	{ "**/x", "x", 1 },
	{ "**/x", "a/x", 1 },
	{ "**/x", "a/b/x/c", 1 },
	{ "**/x", "ax", 0 },
	{ "a/**/b", "a/b", 1 },
	{ "a/**/b", "a/x/y/b", 1 },
	{ "a/**/b", "a/xb", 0 },
	{ "**.txt", "a.txt", 0 },	/* "**" then ".txt" needs a "/" before it */
	{ "**.txt", "d/.txt", 1 },
	{ "foo**", "foobar/x", 1 },
	/* case-sensitive */
	{ "*.PEM", "a.pem", 0 },
	{ "Secrets", "secrets/a", 0 },
	/* the last matching line wins */
	{ "*.txt\n!important.txt", "important.txt", 0 },
	{ "*.txt\n!important.txt\nimportant.txt", "important.txt", 1 },
	{ "!keep.txt\n*", "keep.txt", 1 },
	{ "*.md\n!  README.md", "README.md", 0 },
	/* reading */
	{ "\xef\xbb\xbf*.log", "x.log", 1 },
	{ "*.log\r\nfoo\r\n", "foo", 1 },
	{ "*.log\r\nfoo\r\n", "a.log", 1 },
	{ "foo   ", "foo", 1 },
	{ "\tfoo", "foo", 1 },
	{ "\n\n   \nfoo\n", "foo", 1 },
	{ "", "anything", 0 },
};

/* Returns the ignore file text on one line, for test names. */
static const char *one_line(const char *text)
{
	static char out[256];
	size_t w = 0;

	for (; *text && w + 3 < sizeof(out); text++) {
		if (*text == '\n' || *text == '\r') {
			out[w++] = '\\';
			out[w++] = *text == '\n' ? 'n' : 'r';
		} else {
			out[w++] = *text;
		}
	}
	out[w] = '\0';
	return out;
}

static void test_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct match_case *c = &cases[i];
		struct guard_error err = GUARD_ERROR_INIT;
		struct guard_ignore *ig = NULL;

		if (guard_ignore_load_buffer(&ig, c->file, strlen(c->file), "t", &err) < 0) {
			TAP_OK(0, "load '%s': %s", one_line(c->file), err.message);
			continue;
		}
		TAP_IS_INT(guard_ignore_match(ig, c->path, false), c->excluded,
			   "'%s' %s '%s'", one_line(c->file), c->excluded ? "excludes" : "keeps", c->path);
		guard_ignore_free(ig);
	}
}

static void check_error(const char *file, const char *message_part)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_ignore *ig = NULL;

	TAP_IS_INT(guard_ignore_load_buffer(&ig, file, strlen(file), ".dockerignore", &err), -1,
		   "'%s' is rejected", one_line(file));
	TAP_IS_INT(err.code, GUARD_ERR_PARSE, "'%s' is a parse error", one_line(file));
	TAP_OK(strstr(err.message, message_part) != NULL, "'%s' error says '%s': %s",
	       one_line(file), message_part, err.message);
	guard_ignore_free(ig);
}

static void test_errors(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_ignore *ig = NULL;
	char *long_line;

	check_error("ok\n!", "line 2: a bare '!'");
	check_error("!   ", "bare '!'");
	check_error("[a", "unclosed '['");
	check_error("a\\", "trailing '\\'");
	check_error("[]", "invalid character class");
	check_error("[^]", "invalid character class");
	check_error("[z-a]", "reversed");
	check_error("[a-]", "invalid character class range");

	long_line = malloc(GUARD_IGNORE_MAX_PATTERN + 2);
	memset(long_line, 'a', GUARD_IGNORE_MAX_PATTERN + 1);
	long_line[GUARD_IGNORE_MAX_PATTERN + 1] = '\0';
	TAP_IS_INT(guard_ignore_load_buffer(&ig, long_line, strlen(long_line), "t", &err), -1,
		   "overlong pattern rejected");
	TAP_IS_INT(err.code, GUARD_ERR_LIMIT, "overlong pattern is a limit error");
	free(long_line);
}

struct descend_case {
	const char *file;
	const char *dir;
	int descend;
};

static const struct descend_case descend_cases[] = {
	{ "node_modules\n!node_modules/pkg/LICENSE", "node_modules", 1 },
	{ "node_modules\n!node_modules/pkg/LICENSE", "node_modules/pkg", 1 },
	{ "node_modules\n!node_modules/pkg/LICENSE", "node_modules/other", 0 },
	{ "secrets", "secrets", 0 },
	{ "docs\n!**/*.md", "docs", 1 },
	{ "build\n!build", "build", 0 },
	{ "a\n!a/b*/c", "a/bx", 1 },
	{ "a\n!a/b*/c", "a/x", 0 },
	{ "a\n!a/**", "a", 1 },
	{ "*\n!*.go", "vendor", 0 },
	{ "*\n!*/*.go", "vendor", 1 },
};

static void test_descend(void)
{
	size_t i;

	for (i = 0; i < sizeof(descend_cases) / sizeof(descend_cases[0]); i++) {
		const struct descend_case *c = &descend_cases[i];
		struct guard_error err = GUARD_ERROR_INIT;
		struct guard_ignore *ig = NULL;

		if (guard_ignore_load_buffer(&ig, c->file, strlen(c->file), "t", &err) < 0) {
			TAP_OK(0, "load '%s': %s", one_line(c->file), err.message);
			continue;
		}
		TAP_IS_INT(guard_ignore_must_descend(ig, c->dir), c->descend, "'%s': %s '%s'",
			   one_line(c->file), c->descend ? "descend into" : "skip", c->dir);
		guard_ignore_free(ig);
	}
	TAP_IS_INT(guard_ignore_match(NULL, "a", false), 0, "no matcher excludes nothing");
	TAP_IS_INT(guard_ignore_must_descend(NULL, "a"), 0, "no matcher needs no descent");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void check_find(const char *ctx, const char *dockerfile, const char *want, const char *name)
{
	struct guard_error err = GUARD_ERROR_INIT;
	char *got = NULL;

	TAP_IS_INT(guard_ignore_find(ctx, dockerfile, &got, &err), 0, "find: %s", name);
	TAP_IS_STR(got, want, "find: %s", name);
	free(got);
}

static void test_find(void)
{
	char dir[] = "/tmp/guard-ignore-XXXXXX", path[512], want[512], df[256];
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_ignore *ig = NULL;
	char *used = NULL;

	if (!mkdtemp(dir)) {
		TAP_OK(0, "mkdtemp");
		return;
	}
	check_find(dir, NULL, NULL, "no ignore file");

	snprintf(path, sizeof(path), "%s/.dockerignore", dir);
	write_file(path, "*.pem\n");
	check_find(dir, NULL, path, "root .dockerignore");

	snprintf(path, sizeof(path), "%s/docker", dir);
	mkdir(path, 0755);
	snprintf(df, sizeof(df), "%s/docker/build.Dockerfile", dir);
	write_file(df, "FROM scratch\n");
	check_find(dir, df, (snprintf(want, sizeof(want), "%s/.dockerignore", dir), want),
		   "root file when the Dockerfile has none");

	snprintf(path, sizeof(path), "%s.dockerignore", df);
	write_file(path, "!*.pem\nsecret\n");
	check_find(dir, df, path, "<Dockerfile>.dockerignore replaces the root file");

	TAP_IS_INT(guard_ignore_load_for_build(&ig, dir, df, &used, &err), 0, "load for build");
	TAP_IS_STR(used, path, "load for build names the file it used");
	TAP_IS_INT(guard_ignore_match(ig, "a.pem", false), 0, "root file is not merged in");
	TAP_IS_INT(guard_ignore_match(ig, "secret", false), 1, "Dockerfile's file applies");
	guard_ignore_free(ig);
	free(used);

	snprintf(path, sizeof(path), "%s/Dockerfile.dockerignore", dir);
	write_file(path, "x\n");
	check_find(dir, NULL, path, "default Dockerfile's ignore file");

	TAP_IS_INT(guard_ignore_load_file(&ig, "/nonexistent/.dockerignore", &err), -1,
		   "missing file is an error");
	unlink(path);
	snprintf(path, sizeof(path), "%s.dockerignore", df);
	unlink(path);
	unlink(df);
	snprintf(path, sizeof(path), "%s/docker", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/.dockerignore", dir);
	unlink(path);
	rmdir(dir);
}

/* A backtracking matcher takes exponential time here; the state-set one
 * finishes at once. */
static void test_hostile_pattern(void)
{
	const char *file = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\n**/**/**/**/**/**/**/**/z";
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_ignore *ig = NULL;
	char path[4001];

	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	TAP_IS_INT(guard_ignore_load_buffer(&ig, file, strlen(file), "t", &err), 0, "hostile patterns load");
	TAP_IS_INT(guard_ignore_match(ig, path, false), 0, "hostile pattern does not match 4000 a's");
	path[sizeof(path) - 2] = 'b';
	TAP_IS_INT(guard_ignore_match(ig, path, false), 1, "hostile pattern matches when b ends it");
	guard_ignore_free(ig);
}

int main(void)
{
	test_table();
	test_hostile_pattern();
	test_errors();
	test_descend();
	test_find();
	return tap_done();
}
