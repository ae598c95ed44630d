/* Unit tests of .guard.yaml: the schema, its error messages, discovery in a
 * git work tree made with the git CLI, and pin.ignore globs. */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

#include "config.h"
#include "error.h"
#include "util.h"

static char scratch[] = "/tmp/guard-config-XXXXXX";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

/* Writes text to a file in the scratch folder and loads it with --config. */
static int load_text(const char *text, struct guard_config *config, struct guard_error *err)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/case.yaml", scratch);
	write_file(path, text);
	guard_config_init(config);
	guard_error_clear(err);
	return guard_config_load(config, path, NULL, err);
}

static void test_full_example(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_config c;
	char want[256];

	TAP_IS_INT(load_text("# guard settings\n"
			     "registry:\n"
			     "  mirrors:\n"
			     "    docker.io: http://127.0.0.1:5000\n"
			     "  insecure: [myreg.local:5000]\n"
			     "  ca-files: [certs/ca.pem, /etc/ssl/extra.pem]\n"
			     "pin:\n"
			     "  ignore: [\"docker.io/library/*\", \"!docker.io/library/python\"]\n"
			     "  jobs: 8\n"
			     "  platform: linux/arm64/v8\n"
			     "scan:\n"
			     "  skip-paths: [\"vendor/**\", \"**/*.min.js\"]\n"
			     "  disable-rules: [generic-password]\n"
			     "  stopwords:\n"
			     "    - dummy\n"
			     "    - changeme\n"
			     "  max-file-size: 10M\n"
			     "baseline: .guard-baseline.json\n"
			     "format: sarif\n", &c, &err), 0, "full example loads");
	TAP_IS_STR(err.message, "", "full example: no error");
	TAP_OK(c.path && guard_has_suffix(c.path, "/case.yaml"), "path records the file");
	TAP_IS_INT(c.registry.mirror_count, 1, "one mirror");
	TAP_IS_STR(c.registry.mirror_count ? c.registry.mirrors[0].host : NULL, "docker.io", "mirror host");
	TAP_IS_STR(c.registry.mirror_count ? c.registry.mirrors[0].url : NULL, "http://127.0.0.1:5000",
		   "mirror URL");
	TAP_IS_INT(c.registry.insecure.count, 1, "one insecure host");
	TAP_IS_STR(c.registry.insecure.items[0], "myreg.local:5000", "insecure host");
	TAP_IS_INT(c.registry.ca_files.count, 2, "two CA files");
	snprintf(want, sizeof(want), "%s/certs/ca.pem", scratch);
	TAP_IS_STR(c.registry.ca_files.items[0], want, "relative CA file is under the file's folder");
	TAP_IS_STR(c.registry.ca_files.items[1], "/etc/ssl/extra.pem", "absolute CA file is kept");
	TAP_IS_INT(c.pin.ignore.count, 2, "two ignore patterns");
	TAP_IS_STR(c.pin.ignore.items[1], "!docker.io/library/python", "ignore keeps the '!'");
	TAP_IS_INT(c.pin.jobs, 8, "jobs");
	TAP_IS_STR(c.pin.platform, "linux/arm64/v8", "platform with a variant");
	TAP_IS_INT(c.scan.skip_paths.count, 2, "two skip paths");
	TAP_IS_STR(c.scan.skip_paths.items[1], "**/*.min.js", "skip paths stay as written");
	TAP_IS_STR(c.scan.disabled_rules.items[0], "generic-password", "disabled rule");
	TAP_IS_INT(c.scan.stopwords.count, 2, "block list of stopwords");
	TAP_IS_INT(c.scan.max_file_size, 10 * 1024 * 1024, "max-file-size 10M is 10 MiB");
	snprintf(want, sizeof(want), "%s/.guard-baseline.json", scratch);
	TAP_IS_STR(c.baseline, want, "baseline is under the file's folder");
	TAP_OK(c.format_set, "format is set");
	TAP_IS_INT(c.format, GUARD_FORMAT_SARIF, "format sarif");
	guard_config_release(&c);
}

static void test_valid_documents(void)
{
	static const struct {
		const char *yaml;
		const char *name;
	} cases[] = {
		{ "", "empty file" },
		{ "# only a comment\n", "only comments" },
		{ "---\npin:\n...\n", "explicit document markers and a null section" },
		{ "pin: {jobs: \"4\", platform: linux/amd64}\n", "flow mapping, quoted number" },
		{ "scan:\n  stopwords: []\n  max-file-size: 512\n", "empty list and plain bytes" },
		{ "baseline: ~\nformat: json\n", "null value keeps the default" },
		{ "registry:\n  mirrors:\n    ghcr.io: https://mirror.example/ghcr\n", "https mirror" },
	};
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_config c;
	size_t i;

	for (i = 0; i < GUARD_ARRAY_SIZE(cases); i++) {
		TAP_IS_INT(load_text(cases[i].yaml, &c, &err), 0, "valid: %s", cases[i].name);
		TAP_IS_STR(err.message, "", "valid: %s: no error", cases[i].name);
		guard_config_release(&c);
	}

	load_text("pin: {jobs: \"4\"}\nbaseline: ~\n", &c, &err);
	TAP_IS_INT(c.pin.jobs, 4, "quoted jobs is read as a number");
	TAP_OK(c.baseline == NULL, "null baseline stays unset");
	TAP_OK(!c.format_set, "format stays unset without the key");
	guard_config_release(&c);
}

static void test_invalid_documents(void)
{
	static const struct {
		const char *yaml;
		const char *message;	/* after "invalid configuration '<file>': " */
	} cases[] = {
		{ "pin:\n  jobs: many\n",
		  "line 2: pin.jobs: expected a whole number from 1 to 256, got 'many'" },
		{ "pin:\n  jobs: 0\n",
		  "line 2: pin.jobs: expected a whole number from 1 to 256, got '0'" },
		{ "pin:\n  jobs: [8]\n", "line 2: pin.jobs: expected a string, got a list" },
		{ "pin:\n  job: 8\n",
		  "line 2: pin.job: unknown key (valid keys: ignore, jobs, platform)" },
		{ "colour: red\n",
		  "line 1: colour: unknown key (valid keys: registry, pin, scan, baseline, format)" },
		{ "registry:\n  insecure: myreg.local:5000\n",
		  "line 2: registry.insecure: expected a list, got a scalar" },
		{ "registry:\n  ca-files:\n    - a.pem\n    - {b: c}\n",
		  "line 4: registry.ca-files: expected a string, got a mapping" },
		{ "registry:\n  mirrors: [http://x]\n",
		  "line 2: registry.mirrors: expected a mapping, got a list" },
		{ "registry:\n  mirrors:\n    docker.io: ftp://mirror\n",
		  "line 3: registry.mirrors.docker.io: the mirror URL must start with http:// or "
		  "https://, got 'ftp://mirror'" },
		{ "registry:\n  mirrors:\n    a: http://1\n    a: http://2\n",
		  "line 4: registry.mirrors.a: duplicate key (first on line 3)" },
		{ "scan:\n  max-file-size: lots\n",
		  "line 2: scan.max-file-size: expected a size above 0 such as 512K, 10M or 1G, got 'lots'" },
		{ "scan:\n  max-file-size: 0\n",
		  "line 2: scan.max-file-size: expected a size above 0 such as 512K, 10M or 1G, got '0'" },
		{ "scan:\n  stopwords: [dummy, [x]]\n",
		  "line 2: scan.stopwords: expected a string, got a list" },
		{ "scan:\n  skip-paths: [\"\"]\n", "line 2: scan.skip-paths: empty list item" },
		{ "scan: [skip-paths]\n", "line 1: scan: expected a mapping, got a list" },
		{ "format: xml\n", "line 1: format: expected text, json or sarif, got 'xml'" },
		{ "baseline: [a.json]\n", "line 1: baseline: expected a string, got a list" },
		{ "baseline: \"\"\n", "line 1: baseline: expected a file name, got an empty string" },
		{ "pin:\n  jobs: 1\n  jobs: 2\n", "line 3: pin.jobs: duplicate key (first on line 2)" },
		{ "pin: {}\nscan: {}\npin: {}\n", "line 3: pin: duplicate key (first on line 1)" },
		{ "pin:\n  platform: linux\n",
		  "line 2: pin.platform: expected OS/ARCH or OS/ARCH/VARIANT such as linux/amd64, got 'linux'" },
		{ "pin:\n  platform: linux//amd64\n",
		  "line 2: pin.platform: expected OS/ARCH or OS/ARCH/VARIANT such as linux/amd64, got "
		  "'linux//amd64'" },
		{ "pin:\n  ignore: [\"!\"]\n", "line 2: pin.ignore: '!' needs a pattern after it" },
		{ "- pin\n- scan\n", "line 1: top level: expected a mapping, got a list" },
		{ "just text\n", "line 1: top level: expected a mapping, got a scalar" },
		{ "pin: {}\n---\nscan: {}\n", "line 3: expected one YAML document, found a second one" },
		{ "[1, 2]: x\n", "line 1: top level: expected a string, got a list" },
	};
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_config c;
	char want[512];
	size_t i;

	for (i = 0; i < GUARD_ARRAY_SIZE(cases); i++) {
		snprintf(want, sizeof(want), "invalid configuration '%s/case.yaml': %s", scratch,
			 cases[i].message);
		TAP_IS_INT(load_text(cases[i].yaml, &c, &err), -1, "invalid: %s", cases[i].message);
		TAP_IS_INT(err.code, GUARD_ERR_PARSE, "invalid: parse error class");
		TAP_IS_STR(err.message, want, "invalid: message");
		TAP_OK(c.path == NULL, "invalid: config left untouched");
		guard_config_release(&c);
	}

	TAP_IS_INT(load_text("pin: [a\n", &c, &err), -1, "YAML syntax error");
	TAP_IS_INT(err.code, GUARD_ERR_PARSE, "YAML syntax error: parse error class");
	TAP_OK(strstr(err.message, "case.yaml': line 2: ") != NULL, "YAML syntax error names the line");
	guard_config_release(&c);

	TAP_IS_INT(load_text("pin: &a {jobs: 2}\nscan: *a\n", &c, &err), -1, "alias to a wrong section");
	TAP_OK(strstr(err.message, "line 1: scan.jobs: unknown key") != NULL,
	       "alias errors point at the anchored node");
	guard_config_release(&c);
}

static void test_file_errors(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_config c;
	char path[128];
	FILE *f;
	int i;

	guard_config_init(&c);
	snprintf(path, sizeof(path), "%s/missing.yaml", scratch);
	TAP_IS_INT(guard_config_load(&c, path, NULL, &err), -1, "missing --config file is an error");
	TAP_IS_INT(err.code, GUARD_ERR_IO, "missing --config file: I/O error class");
	TAP_OK(strstr(err.message, "missing.yaml") != NULL, "missing --config file: named");
	guard_config_release(&c);

	snprintf(path, sizeof(path), "%s/huge.yaml", scratch);
	f = fopen(path, "w");
	for (i = 0; i < 80000; i++)
		fputs("# filler line\n", f);
	fclose(f);
	guard_error_clear(&err);
	TAP_IS_INT(guard_config_load(&c, path, NULL, &err), -1, "file over 1 MiB is rejected");
	TAP_IS_INT(err.code, GUARD_ERR_LIMIT, "file over 1 MiB: limit error class");
	guard_config_release(&c);
}

static void test_apply_options(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_mirror_opt mirror = { (char *)"docker.io", (char *)"http://127.0.0.1:6000" };
	const char *insecure[] = { "cli.local:5000" };
	struct guard_options opts;
	struct guard_config c;

	load_text("registry:\n  mirrors: {docker.io: \"http://127.0.0.1:5000\"}\n"
		  "  insecure: [file.local]\nformat: json\nbaseline: b.json\n", &c, &err);
	guard_options_init(&opts);
	opts.mirrors = &mirror;
	opts.mirror_count = 1;
	opts.insecure = insecure;
	opts.insecure_count = 1;
	opts.format = GUARD_FORMAT_SARIF;
	opts.format_set = true;
	opts.baseline = "cli.json";
	TAP_IS_INT(guard_config_apply_options(&c, &opts, &err), 0, "options apply");
	TAP_IS_INT(c.registry.mirror_count, 1, "a mirror for the same host replaces the file's");
	TAP_IS_STR(c.registry.mirrors[0].url, "http://127.0.0.1:6000", "command-line mirror wins");
	TAP_IS_INT(c.registry.insecure.count, 2, "insecure hosts add up");
	TAP_IS_INT(c.format, GUARD_FORMAT_SARIF, "command-line format wins");
	TAP_IS_STR(c.baseline, "cli.json", "command-line baseline wins");
	guard_config_release(&c);
}

static int run(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_discovery(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_config c;
	char repo[128], sub[160], path[192], plain[128], linked[128], gitdir[128], want[192];

	snprintf(repo, sizeof(repo), "%s/repo", scratch);
	snprintf(sub, sizeof(sub), "%s/a/b", repo);
	TAP_IS_INT(run((char *const[]){ "git", "init", "-q", repo, NULL }), 0, "git init");
	snprintf(path, sizeof(path), "%s/a", repo);
	mkdir(path, 0755);
	mkdir(sub, 0755);

	guard_config_init(&c);
	TAP_IS_INT(guard_config_load(&c, NULL, sub, &err), 0, "git tree without .guard.yaml: no error");
	TAP_OK(c.path == NULL, "git tree without .guard.yaml: defaults");
	guard_config_release(&c);

	snprintf(path, sizeof(path), "%s/.guard.yaml", sub);
	write_file(path, "pin:\n  jobs: 3\n");
	guard_config_init(&c);
	guard_config_load(&c, NULL, sub, &err);
	TAP_OK(c.path == NULL, "a .guard.yaml below the git root is not used");
	guard_config_release(&c);

	snprintf(path, sizeof(path), "%s/.guard.yaml", repo);
	write_file(path, "pin:\n  jobs: 5\n");
	guard_config_init(&c);
	TAP_IS_INT(guard_config_load(&c, NULL, sub, &err), 0, "discovery from a subfolder");
	TAP_IS_STR(c.path, path, "the file at the git root is found");
	TAP_IS_INT(c.pin.jobs, 5, "settings come from the root file");
	guard_config_release(&c);

	snprintf(path, sizeof(path), "%s/other.yaml", scratch);
	write_file(path, "pin:\n  jobs: 7\n");
	guard_config_init(&c);
	guard_config_load(&c, path, sub, &err);
	TAP_IS_INT(c.pin.jobs, 7, "--config wins over discovery");
	guard_config_release(&c);

	/* A .git file (git worktree, --separate-git-dir) marks a root too. */
	snprintf(linked, sizeof(linked), "%s/linked", scratch);
	snprintf(gitdir, sizeof(gitdir), "%s/linked.git", scratch);
	TAP_IS_INT(run((char *const[]){ "git", "init", "-q", "--separate-git-dir", gitdir, linked,
					NULL }), 0, "git init with a separate git dir");
	snprintf(path, sizeof(path), "%s/.guard.yaml", linked);
	write_file(path, "format: json\n");
	snprintf(sub, sizeof(sub), "%s/deep", linked);
	mkdir(sub, 0755);
	guard_config_init(&c);
	guard_config_load(&c, NULL, sub, &err);
	TAP_IS_STR(c.path, path, "a .git file marks the work tree root");
	guard_config_release(&c);

	snprintf(plain, sizeof(plain), "%s/plain", scratch);
	mkdir(plain, 0755);
	guard_config_init(&c);
	TAP_IS_INT(guard_config_load(&c, NULL, plain, &err), 0, "outside git, no file: no error");
	TAP_OK(c.path == NULL, "outside git, no file: defaults");
	guard_config_release(&c);

	snprintf(want, sizeof(want), "%s/.guard.yaml", plain);
	write_file(want, "scan:\n  stopwords: [x]\n");
	guard_config_init(&c);
	guard_config_load(&c, NULL, plain, &err);
	TAP_IS_STR(c.path, want, "outside git the start folder's file is used");
	guard_config_release(&c);

	write_file(want, "scan:\n  stopword: [x]\n");
	guard_config_init(&c);
	TAP_IS_INT(guard_config_load(&c, NULL, plain, &err), -1, "a found file with errors fails");
	TAP_OK(strstr(err.message, "scan.stopword: unknown key") != NULL, "found file error names the key");
	guard_config_release(&c);
}

static void test_pin_ignored(void)
{
	struct guard_config c;
	struct guard_error err = GUARD_ERROR_INIT;

	guard_config_init(&c);
	TAP_OK(!guard_config_pin_ignored(&c, "docker.io/library/python"), "no patterns: nothing ignored");

	guard_string_list_add(&c.pin.ignore, "docker.io/library/*", &err);
	guard_string_list_add(&c.pin.ignore, "!docker.io/library/python", &err);
	TAP_OK(guard_config_pin_ignored(&c, "docker.io/library/alpine"), "glob ignores a library image");
	TAP_OK(!guard_config_pin_ignored(&c, "docker.io/library/python"), "'!' re-includes one image");
	TAP_OK(!guard_config_pin_ignored(&c, "ghcr.io/org/app"), "other registries are not ignored");
	TAP_OK(!guard_config_pin_ignored(&c, "docker.io/library"), "the prefix alone does not match");
	guard_config_release(&c);

	guard_config_init(&c);
	guard_string_list_add(&c.pin.ignore, "!docker.io/library/python", &err);
	guard_string_list_add(&c.pin.ignore, "docker.io/library/*", &err);
	TAP_OK(guard_config_pin_ignored(&c, "docker.io/library/python"), "the last matching pattern wins");
	guard_config_release(&c);

	guard_config_init(&c);
	guard_string_list_add(&c.pin.ignore, "ghcr.io/*", &err);
	guard_string_list_add(&c.pin.ignore, "*/internal-?", &err);
	guard_string_list_add(&c.pin.ignore, "registry.local:5000/[ab]pp", &err);
	TAP_OK(guard_config_pin_ignored(&c, "ghcr.io/org/team/app"), "'*' also matches '/'");
	TAP_OK(guard_config_pin_ignored(&c, "quay.io/org/internal-1"), "'?' matches one character");
	TAP_OK(!guard_config_pin_ignored(&c, "quay.io/org/internal-10"), "'?' matches only one");
	TAP_OK(guard_config_pin_ignored(&c, "registry.local:5000/app"), "bracket expression");
	TAP_OK(!guard_config_pin_ignored(&c, "registry.local:5000/cpp"), "bracket expression excludes");
	TAP_OK(!guard_config_pin_ignored(&c, "GHCR.IO/org/app"), "matching is case-sensitive");
	guard_config_release(&c);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	if (!mkdtemp(scratch)) {
		perror("mkdtemp");
		return 2;
	}
	test_full_example();
	test_valid_documents();
	test_invalid_documents();
	test_file_errors();
	test_apply_options();
	test_discovery();
	test_pin_ignored();
	nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
