/* The engine's behaviour around the rules: positions, line endings,
 * encodings, decoded values, window cuts, allowing, binary files, file
 * names, path globs, the size cap and concurrent use. */
#include <pthread.h>

#include "engine_fixture.h"
#include "decode.h"
#include "glob.h"
#include "scanner_int.h"
#include "tap.h"
#include "util.h"

static struct guard_scanner *new_scanner(const struct guard_scan_config *config)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_scanner *scanner = NULL;

	if (guard_scanner_new(&scanner, config, &err) < 0) {
		printf("# scanner: %s\n", err.message);
		return NULL;
	}
	return scanner;
}

static const struct guard_finding *find_rule(const struct guard_findings *list, const char *rule)
{
	for (size_t i = 0; i < list->count; i++) {
		if (strcmp(list->items[i].rule_id, rule) == 0)
			return &list->items[i];
	}
	return NULL;
}

static void test_positions(struct guard_scanner *scanner)
{
	char *token = fixture_expand("ghp_{a:36}");
	struct guard_buf text = GUARD_BUF_INIT(4096);
	struct guard_findings list;
	const struct guard_finding *f;

	guard_buf_printf(&text, NULL, "first line\n\n  export GITHUB_TOKEN=%s # ci\n", token);
	fixture_scan(scanner, "a/b.sh", text.data, text.len, &list, NULL);
	f = find_rule(&list, "github-pat");
	TAP_OK(f != NULL, "token found");
	if (f) {
		TAP_IS_INT(f->loc.line, 3, "line is 1-based");
		TAP_IS_INT(f->loc.column, 23, "column is the first byte, 1-based");
		TAP_IS_INT(f->loc.end_column, 63, "end column is after the last byte");
		TAP_IS_STR(f->loc.path, "a/b.sh", "path is copied from the location");
		TAP_IS_INT(f->secret_length, 40, "secret length");
		TAP_OK(strncmp(f->preview, "ghp_", 4) == 0 && !strstr(f->preview, token + 4),
		       "preview shows only the first characters");
		TAP_OK(guard_has_prefix(f->fingerprint, "github-pat:"), "fingerprint names the rule");
	}
	TAP_IS_INT(list.count, 1, "the generic token rule yields to the specific one");
	guard_findings_release(&list);
	guard_buf_release(&text);
	free(token);
}

/* Compares two finding lists on what must not change with line endings
 * or encodings. */
static void compare_findings(const struct guard_findings *a, const struct guard_findings *b,
			     const char *what)
{
	TAP_IS_INT(b->count, a->count, "%s: same number of findings", what);
	for (size_t i = 0; i < a->count && i < b->count; i++) {
		TAP_IS_STR(b->items[i].rule_id, a->items[i].rule_id, "%s: finding %zu rule", what, i);
		TAP_IS_INT(b->items[i].loc.line, a->items[i].loc.line, "%s: finding %zu line", what, i);
		TAP_IS_INT(b->items[i].loc.column, a->items[i].loc.column, "%s: finding %zu column",
			   what, i);
		TAP_IS_INT(b->items[i].loc.end_column, a->items[i].loc.end_column,
			   "%s: finding %zu end column", what, i);
		TAP_IS_STR(b->items[i].fingerprint, a->items[i].fingerprint,
			   "%s: finding %zu fingerprint", what, i);
	}
}

static const char multi_template[] =
	"# settings\n"
	"aws_access_key_id = AKIA{2:16}\n"
	"DATABASE_URL=postgres://app:{a:16}@db:5432/app\n"
	"key: |\n"
	"  -----BEGIN OPENSSH PRIVATE KEY-----\n"
	"  {b:64}\n"
	"  {b:64}\n"
	"  -----END OPENSSH PRIVATE KEY-----\n"
	"slack = \"xoxb-{d:12}-{d:13}-{a:24}\"\n";

static char *to_crlf(const char *text)
{
	struct guard_buf out = GUARD_BUF_INIT(1 << 20);

	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			guard_buf_putc(&out, '\r', NULL);
		guard_buf_putc(&out, *p, NULL);
	}
	return guard_buf_detach(&out, NULL);
}

static void test_crlf(struct guard_scanner *scanner)
{
	char *lf = fixture_expand(multi_template);
	char *crlf = to_crlf(lf);
	struct guard_findings a, b;

	fixture_scan(scanner, "settings.yaml", lf, strlen(lf), &a, NULL);
	fixture_scan(scanner, "settings.yaml", crlf, strlen(crlf), &b, NULL);
	TAP_IS_INT(a.count, 4, "LF file: four findings");
	compare_findings(&a, &b, "CRLF");
	guard_findings_release(&a);
	guard_findings_release(&b);
	free(lf);
	free(crlf);
}

/* ASCII text to UTF-16 in either byte order, with or without a BOM. */
static char *to_utf16(const char *text, bool big_endian, bool bom, size_t *len)
{
	size_t n = strlen(text);
	char *out = malloc(n * 2 + 2);
	size_t k = 0;

	if (bom) {
		out[k++] = big_endian ? '\xfe' : '\xff';
		out[k++] = big_endian ? '\xff' : '\xfe';
	}
	for (size_t i = 0; i < n; i++) {
		out[k++] = big_endian ? 0 : text[i];
		out[k++] = big_endian ? text[i] : 0;
	}
	*len = k;
	return out;
}

static void test_utf16(struct guard_scanner *scanner)
{
	char *text = fixture_expand(multi_template);
	struct guard_findings plain;

	fixture_scan(scanner, "settings.yaml", text, strlen(text), &plain, NULL);
	for (int variant = 0; variant < 4; variant++) {
		bool big_endian = variant & 1, bom = variant & 2;
		struct guard_scan_stats stats = { 0 };
		struct guard_findings wide;
		char what[64];
		size_t len;
		char *data = to_utf16(text, big_endian, bom, &len);

		snprintf(what, sizeof(what), "UTF-16%s %s BOM", big_endian ? "BE" : "LE",
			 bom ? "with" : "without");
		fixture_scan(scanner, "settings.yaml", data, len, &wide, &stats);
		TAP_IS_INT(stats.files_binary, 0, "%s: not taken for binary", what);
		compare_findings(&plain, &wide, what);
		guard_findings_release(&wide);
		free(data);
	}
	guard_findings_release(&plain);
	free(text);
}

static void put_base64(struct guard_buf *out, const char *text)
{
	fixture_put_base64(out, (const unsigned char *)text, strlen(text));
}

static void test_encoded(struct guard_scanner *scanner)
{
	char *pem = fixture_expand("-----BEGIN RSA PRIVATE KEY-----\n{pem}\n"
				   "-----END RSA PRIVATE KEY-----\n");
	char *token = fixture_expand("ghp_{a:36}");
	char *password = fixture_expand("{a:16}");
	struct guard_buf text = GUARD_BUF_INIT(8 << 20), inner = GUARD_BUF_INIT(4096);
	struct guard_findings list;
	const struct guard_finding *f;

	/* A PEM key as base64 in a JSON value: reported at the value. */
	guard_buf_puts(&text, "{\"name\": \"svc\",\n \"key\": \"", NULL);
	put_base64(&text, pem);
	guard_buf_puts(&text, "\"}\n", NULL);
	fixture_scan(scanner, "secret.json", text.data, text.len, &list, NULL);
	f = find_rule(&list, "private-key");
	TAP_OK(f != NULL, "base64 PEM key found");
	if (f) {
		TAP_IS_INT(f->loc.line, 2, "base64 PEM key: line of the encoded value");
		TAP_IS_INT(f->loc.column, 10, "base64 PEM key: column of the encoded value");
	}
	guard_findings_release(&list);

	/* A file that is nothing but base64, without a final newline. */
	guard_buf_truncate(&text, 0);
	put_base64(&text, pem);
	fixture_scan(scanner, "key.b64", text.data, text.len, &list, NULL);
	f = find_rule(&list, "private-key");
	TAP_OK(f != NULL && f->loc.line == 1 && f->loc.column == 1,
	       "base64 run from the first to the last byte");
	guard_findings_release(&list);

	/* Tokens across the boundaries of the pieces a long base64 run is
	 * decoded in (1 MiB of base64 each, overlapping by 64 KiB). */
	{
		struct guard_buf plain = GUARD_BUF_INIT(4 << 20);
		static const size_t at[] = { 700000, 737270, 786420, 1474550 };
		size_t placed = 0;

		while (plain.len < 1600000) {
			if (placed < GUARD_ARRAY_SIZE(at) && plain.len >= at[placed]) {
				guard_buf_printf(&plain, NULL, " t=%s ", token);
				placed++;
			}
			guard_buf_puts(&plain, "filler text for a long base64 run\n", NULL);
		}
		guard_buf_truncate(&text, 0);
		put_base64(&text, plain.data);
		fixture_scan(scanner, "blob.b64", text.data, text.len, &list, NULL);
		TAP_IS_INT(fixture_count_rule(&list, "github-pat"), 1,
			   "tokens in a long base64 run: one finding for the same token");
		guard_findings_release(&list);

		/* Different tokens at the same places are all found. */
		guard_buf_truncate(&plain, 0);
		placed = 0;
		while (plain.len < 1600000) {
			if (placed < GUARD_ARRAY_SIZE(at) && plain.len >= at[placed]) {
				char *other = fixture_expand("ghp_{a:36}");

				guard_buf_printf(&plain, NULL, " t=%s ", other);
				free(other);
				placed++;
			}
			guard_buf_puts(&plain, "filler text for a long base64 run\n", NULL);
		}
		guard_buf_truncate(&text, 0);
		put_base64(&text, plain.data);
		fixture_scan(scanner, "blob.b64", text.data, text.len, &list, NULL);
		TAP_IS_INT(fixture_count_rule(&list, "github-pat"), GUARD_ARRAY_SIZE(at),
			   "tokens in a long base64 run: each found across piece boundaries");
		guard_findings_release(&list);
		guard_buf_release(&plain);
	}

	/* A PEM key with "\n" escapes in a JSON string (service account files). */
	guard_buf_truncate(&text, 0);
	guard_buf_puts(&text, "{\"type\": \"service_account\",\n  \"private_key\": \"", NULL);
	for (const char *p = pem; *p; p++)
		guard_buf_puts(&text, *p == '\n' ? "\\n" : (char[]){ *p, 0 }, NULL);
	guard_buf_puts(&text, "\"\n}\n", NULL);
	fixture_scan(scanner, "sa.json", text.data, text.len, &list, NULL);
	f = find_rule(&list, "private-key");
	TAP_OK(f != NULL, "escaped PEM key found");
	if (f) {
		TAP_IS_INT(f->loc.line, 2, "escaped PEM key: line of the string");
		TAP_IS_INT(f->loc.column, 19, "escaped PEM key: column of the string");
	}
	guard_findings_release(&list);

	/* base64 inside base64 is two levels deep and still found. */
	guard_buf_truncate(&text, 0);
	guard_buf_printf(&inner, NULL, "export GITHUB_TOKEN=%s\n", token);
	{
		struct guard_buf once = GUARD_BUF_INIT(4096);

		put_base64(&once, inner.data);
		guard_buf_puts(&text, "data:\n  env: ", NULL);
		put_base64(&text, once.data);
		guard_buf_putc(&text, '\n', NULL);
		guard_buf_release(&once);
	}
	fixture_scan(scanner, "secret.yaml", text.data, text.len, &list, NULL);
	f = find_rule(&list, "github-pat");
	TAP_OK(f != NULL, "token in base64 in base64 found");
	if (f) {
		TAP_IS_INT(f->loc.line, 2, "double base64: line");
		TAP_IS_INT(f->loc.column, 8, "double base64: column of the outer value");
	}
	guard_findings_release(&list);

	/* URL-encoded database URL in a query string. */
	guard_buf_truncate(&text, 0);
	guard_buf_printf(&text, NULL, "next=/login?db=postgres%%3A%%2F%%2Fapp%%3A%s%%40db%%2Fapp\n",
			 password);
	fixture_scan(scanner, "access.log", text.data, text.len, &list, NULL);
	f = find_rule(&list, "database-url-password");
	TAP_OK(f != NULL, "URL-encoded database password found");
	if (f)
		TAP_IS_INT(f->loc.column, 1, "URL-encoded: column of the encoded run");
	guard_findings_release(&list);

	guard_buf_release(&inner);
	guard_buf_release(&text);
	free(pem);
	free(token);
	free(password);
}

/* Fills a buffer with near misses of one rule, so that its windows merge
 * until they reach the window cap and get cut, and puts a real token at
 * pos. The token must be found exactly once wherever the cuts fall. */
static void test_window_cuts(struct guard_scanner *scanner)
{
	static const size_t boundaries[] = {
		GUARD_DECODE_SNIFF_BYTES, GUARD_SCANNER_WINDOW_MAX, 2 * GUARD_SCANNER_WINDOW_MAX,
	};
	size_t size = 2 * GUARD_SCANNER_WINDOW_MAX + 4096;
	char *token = fixture_expand("ghp_{a:36}");
	char *data = malloc(size);
	size_t failures = 0, checked = 0;

	for (size_t i = 0; i < size; i++)
		data[i] = "ghp_short, \n"[i % 12];
	for (size_t b = 0; b < GUARD_ARRAY_SIZE(boundaries); b++) {
		for (size_t pos = boundaries[b] - 48; pos <= boundaries[b] + 8; pos++) {
			struct guard_findings list;
			char saved[64];

			memcpy(saved, data + pos - 1, 42);
			data[pos - 1] = ' ';
			memcpy(data + pos, token, 40);
			data[pos + 40] = ' ';
			fixture_scan(scanner, "big.txt", data, size, &list, NULL);
			if (fixture_count_rule(&list, "github-pat") != 1) {
				failures++;
				printf("# token at %zu found %zu times\n", pos,
				       fixture_count_rule(&list, "github-pat"));
			}
			checked++;
			memcpy(data + pos - 1, saved, 42);
			guard_findings_release(&list);
		}
	}
	TAP_IS_INT(failures, 0, "a token straddling each cut is found once (%zu positions)",
		   checked);
	free(data);
	free(token);
}

static void test_allow(struct guard_scanner *scanner)
{
	char *text = fixture_expand("a = \"ghp_{a:36}\"  # guard:allow test fixture\n"
				    "b = \"ghp_{a:36}\"\n");
	struct guard_scan_stats stats = { 0 };
	struct guard_findings list;

	fixture_scan(scanner, "t.py", text, strlen(text), &list, &stats);
	TAP_IS_INT(list.count, 1, "guard:allow suppresses its line only");
	if (list.count == 1)
		TAP_IS_INT(list.items[0].loc.line, 2, "the other line is still reported");
	TAP_IS_INT(stats.findings_allowed, 1, "allowed finding is counted");
	guard_findings_release(&list);
	free(text);
}

static void test_config(void)
{
	struct guard_config config;
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_scanner *scanner;
	struct guard_scan_stats stats = { 0 };
	struct guard_findings list;
	struct guard_location loc = { 0 };
	char *text = fixture_expand("a = \"ghp_{a:20}FixtureStop{a:5}\"\n"
				    "b = \"glpat-{w:20}\"\n"
				    "c = \"xoxb-{d:12}-{d:13}-{a:24}\"\n");

	guard_config_init(&config);
	guard_string_list_add(&config.scan.stopwords, "fixturestop", &err);
	guard_string_list_add(&config.scan.disabled_rules, "gitlab-pat", &err);
	guard_string_list_add(&config.scan.disabled_rules, "file-dotenv", &err);
	guard_string_list_add(&config.scan.skip_paths, "vendor", &err);
	guard_string_list_add(&config.scan.skip_paths, "**/*.min.js", &err);
	scanner = new_scanner(&config.scan);
	if (!scanner) {
		TAP_OK(0, "scanner with configuration");
		return;
	}

	fixture_scan(scanner, "t.py", text, strlen(text), &list, &stats);
	TAP_IS_INT(fixture_count_rule(&list, "github-pat"), 0, "stopword suppresses a secret");
	TAP_IS_INT(fixture_count_rule(&list, "gitlab-pat"), 0, "disabled rule reports nothing");
	TAP_IS_INT(fixture_count_rule(&list, "slack-bot-token"), 1, "other rules still report");
	TAP_IS_INT(stats.findings_allowed, 1, "stopword counted as allowed");
	guard_findings_release(&list);

	loc.path = "app/.env";
	memset(&list, 0, sizeof(list));
	guard_scanner_check_name(scanner, &loc, NULL, 0, fixture_collect, &list, &err);
	TAP_IS_INT(list.count, 0, "disabled file rule reports nothing");
	guard_findings_release(&list);

	TAP_OK(guard_scanner_path_skipped(scanner, "vendor/lib/a.c"), "skip glob: folder name");
	TAP_OK(guard_scanner_path_skipped(scanner, "src/vendor"), "skip glob: nested folder");
	TAP_OK(guard_scanner_path_skipped(scanner, "web/dist/app.min.js"), "skip glob: **");
	TAP_OK(!guard_scanner_path_skipped(scanner, "src/vendors.c"), "skip glob: no partial name");
	TAP_OK(!guard_scanner_path_skipped(scanner, "app.js"), "skip glob: other file");

	guard_scanner_free(scanner);
	guard_config_release(&config);
	free(text);
}

static void test_globs(void)
{
	static const struct { const char *glob, *path; bool match; } cases[] = {
		{ "*.log", "a/b/x.log", true },
		{ "*.log", "x.log", true },
		{ "*.log", "x.log.1", false },
		{ "/build", "build/out.o", true },
		{ "/build", "src/build/out.o", false },
		{ "docs/*.md", "docs/a.md", true },
		{ "docs/*.md", "docs/sub/a.md", false },
		{ "docs/**/*.md", "docs/sub/deep/a.md", true },
		{ "docs/**/*.md", "docs/a.md", true },
		{ "**/test?/fixtures", "x/tests/fixtures/a.txt", true },
		{ "[ab].txt", "b.txt", true },
		{ "[ab].txt", "c.txt", false },
		{ "node_modules/", "web/node_modules/x/index.js", true },
	};

	for (size_t i = 0; i < GUARD_ARRAY_SIZE(cases); i++)
		TAP_IS_INT(guard_glob_match_path(cases[i].glob, cases[i].path), cases[i].match,
			   "glob '%s' on '%s'", cases[i].glob, cases[i].path);
}

static void test_binary(struct guard_scanner *scanner)
{
	char *pem = fixture_expand("-----BEGIN PRIVATE KEY-----\n{pem}\n-----END PRIVATE KEY-----\n");
	size_t size = 16384;
	char *data = calloc(1, size);
	struct guard_scan_stats stats = { 0 };
	struct guard_findings list;

	memset(data, 'x', size);
	data[100] = '\0';
	memcpy(data + 200, pem, strlen(pem));
	fixture_scan(scanner, "blob.bin", data, size, &list, &stats);
	TAP_IS_INT(list.count, 0, "binary file: nothing reported");
	TAP_IS_INT(stats.files_binary, 1, "binary file: counted");
	TAP_IS_INT(stats.files_scanned, 0, "binary file: not counted as scanned");
	guard_findings_release(&list);

	memset(&stats, 0, sizeof(stats));
	fixture_scan(scanner, "keys/store.p12", data, size, &list, &stats);
	TAP_IS_INT(fixture_count_rule(&list, "private-key"), 1, "key store: binary content scanned");
	TAP_IS_INT(stats.files_binary, 0, "key store: not skipped");
	guard_findings_release(&list);

	memset(&stats, 0, sizeof(stats));
	data[100] = 'x';
	data[GUARD_DECODE_SNIFF_BYTES + 10] = '\0';
	fixture_scan(scanner, "late-nul.txt", data, size, &list, &stats);
	TAP_IS_INT(fixture_count_rule(&list, "private-key"), 1, "NUL after the sniffed bytes: text");
	guard_findings_release(&list);

	/* Big-endian integers have the NUL pattern of UTF-16BE but are not text. */
	memset(&stats, 0, sizeof(stats));
	for (size_t i = 0; i + 4 <= size; i += 4) {
		data[i] = 0;
		data[i + 1] = (char)(1 + (i / 4) % 200);
		data[i + 2] = 0;
		data[i + 3] = (char)(1 + i % 251);
	}
	fixture_scan(scanner, "lib.a", data, size, &list, &stats);
	TAP_IS_INT(stats.files_binary, 1, "integer table: binary, not UTF-16");
	guard_findings_release(&list);

	memset(&stats, 0, sizeof(stats));
	fixture_scan(scanner, "empty.txt", NULL, 0, &list, &stats);
	TAP_IS_INT(list.count, 0, "empty file: nothing reported");
	TAP_IS_INT(stats.files_scanned, 1, "empty file: counted as scanned");
	guard_findings_release(&list);

	TAP_OK(guard_scanner_name_is_keystore("a/b/site.PFX"), "keystore name: .PFX");
	TAP_OK(guard_scanner_name_is_keystore("release.keystore"), "keystore name: .keystore");
	TAP_OK(guard_scanner_name_is_keystore("vault.kdbx"), "keystore name: .kdbx");
	TAP_OK(!guard_scanner_name_is_keystore("logo.png"), "keystore name: other file");
	free(data);
	free(pem);
}

static void test_size_cap(void)
{
	struct guard_scan_config config = { 0 };
	struct guard_scanner *scanner;
	struct guard_scan_stats stats = { 0 };
	struct guard_findings list;
	char *text = fixture_expand("a = \"ghp_{a:36}\"\n");
	size_t size = 4096;
	char *data = malloc(size);

	config.max_file_size = 2048;
	scanner = new_scanner(&config);
	memset(data, ' ', size);
	memcpy(data + 100, text, strlen(text));
	memcpy(data + 3000, text, strlen(text));
	data[3000] = 'b';
	TAP_IS_INT(guard_scanner_max_file_size(scanner), 2048, "max file size from config");
	fixture_scan(scanner, "big.txt", data, size, &list, &stats);
	TAP_IS_INT(list.count, 1, "only the first max_file_size bytes are scanned");
	TAP_IS_INT(stats.files_too_large, 1, "a file over the cap is counted");
	TAP_IS_INT(stats.bytes_scanned, 2048, "bytes scanned stop at the cap");
	guard_findings_release(&list);
	guard_scanner_free(scanner);

	scanner = new_scanner(NULL);
	TAP_IS_INT(guard_scanner_max_file_size(scanner), GUARD_SCAN_DEFAULT_MAX_FILE_SIZE,
		   "default max file size");
	guard_scanner_free(scanner);
	free(data);
	free(text);
}

static void test_names(struct guard_scanner *scanner)
{
	static const struct { const char *path; const char *rule; } cases[] = {
		{ "home/.ssh/id_rsa", "file-private-key" },
		{ "id_ed25519", "file-private-key" },
		{ "deploy/id_ecdsa", "file-private-key" },
		{ "keys/deploy_rsa", "file-private-key" },
		{ "certs/site.p12", "file-keystore" },
		{ "certs/site.pfx", "file-keystore" },
		{ "android/release.jks", "file-keystore" },
		{ "db/passwords.kdbx", "file-keystore" },
		{ "keys/work.ppk", "file-putty-key" },
		{ ".env", "file-dotenv" },
		{ "app/.env.production", "file-dotenv" },
		{ ".npmrc", "file-package-credentials" },
		{ "home/.pypirc", "file-package-credentials" },
		{ "home/.gem/credentials", "file-package-credentials" },
		{ ".netrc", "file-netrc" },
		{ "_netrc", "file-netrc" },
		{ "root/.git-credentials", "file-git-credentials" },
		{ "root/.aws/credentials", "file-cloud-credentials" },
		{ ".s3cfg", "file-cloud-credentials" },
		{ "root/.docker/config.json", "file-docker-config" },
		{ ".dockercfg", "file-docker-config" },
		{ ".pgpass", "file-pgpass" },
		{ "web/.htpasswd", "file-htpasswd" },
		{ "root/.kube/config", "file-kubeconfig" },
		{ "deploy/kubeconfig", "file-kubeconfig" },
		{ "deploy/prod.kubeconfig", "file-kubeconfig" },
		{ "infra/terraform.tfvars", "file-terraform-vars" },
		{ "infra/prod.auto.tfvars", "file-terraform-vars" },
		{ "root/.bash_history", "file-shell-history" },
		{ ".zsh_history", "file-shell-history" },
		{ ".psql_history", "file-shell-history" },
		{ ".mysql_history", "file-shell-history" },
		{ ".git/config", "file-git-folder" },
		{ "sub/.git/config", "file-git-folder" },
		{ ".env.example", NULL },
		{ ".env.sample", NULL },
		{ ".env.template", NULL },
		{ "home/.ssh/id_rsa.pub", NULL },
		{ "README.md", NULL },
		{ "docs/config", NULL },
		{ "aws/credentials.md", NULL },
		{ "tls/server.pem", NULL },
		{ ".git/HEAD", NULL },
	};
	struct guard_error err = GUARD_ERROR_INIT;

	for (size_t i = 0; i < GUARD_ARRAY_SIZE(cases); i++) {
		struct guard_location loc = { 0 };
		struct guard_findings list = { 0 };

		loc.path = (char *)cases[i].path;
		guard_scanner_check_name(scanner, &loc, NULL, 0, fixture_collect, &list, &err);
		if (cases[i].rule) {
			TAP_IS_STR(list.count ? list.items[0].rule_id : NULL, cases[i].rule,
				   "secret file name '%s'", cases[i].path);
			if (list.count)
				TAP_IS_INT(list.items[0].loc.line, 0, "'%s' has no line", cases[i].path);
		} else {
			TAP_IS_INT(list.count, 0, "ordinary name '%s'", cases[i].path);
		}
		guard_findings_release(&list);
	}

	/* *.pem and *.key are secret files when they hold a private key. */
	{
		const char *key = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
		const char *cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
		struct guard_location loc = { 0 };
		struct guard_findings list = { 0 };

		loc.path = "tls/server.key";
		guard_scanner_check_name(scanner, &loc, key, strlen(key), fixture_collect, &list, &err);
		TAP_IS_INT(fixture_count_rule(&list, "file-private-key"), 1, "*.key with a private key");
		loc.path = "tls/server.pem";
		guard_scanner_check_name(scanner, &loc, cert, strlen(cert), fixture_collect, &list,
					 &err);
		TAP_IS_INT(list.count, 1, "*.pem with a certificate only is not a secret file");
		guard_findings_release(&list);
	}
}

static void test_fingerprints(struct guard_scanner *scanner)
{
	char *text = fixture_expand("t = \"ghp_{a:36}\"\n");
	char *moved = malloc(strlen(text) + 8);
	struct guard_findings a, b, c;

	memcpy(moved, "\n\n\n   ", 6);
	memcpy(moved + 6, text, strlen(text) + 1);
	fixture_scan(scanner, "x.txt", text, strlen(text), &a, NULL);
	fixture_scan(scanner, "x.txt", moved, strlen(moved), &b, NULL);
	fixture_scan(scanner, "y.txt", text, strlen(text), &c, NULL);
	if (a.count == 1 && b.count == 1 && c.count == 1) {
		TAP_IS_STR(b.items[0].fingerprint, a.items[0].fingerprint,
			   "fingerprint survives a line move");
		TAP_OK(strcmp(c.items[0].fingerprint, a.items[0].fingerprint) != 0,
		       "fingerprint differs by path");
	} else {
		TAP_OK(0, "one finding in each fingerprint scan");
	}
	guard_findings_release(&a);
	guard_findings_release(&b);
	guard_findings_release(&c);
	free(moved);
	free(text);
}

struct thread_job {
	struct guard_scanner *scanner;
	const char *text;
	size_t found;
};

static void *scan_many(void *arg)
{
	struct thread_job *job = arg;

	for (int i = 0; i < 50; i++) {
		struct guard_findings list;

		fixture_scan(job->scanner, "t.yaml", job->text, strlen(job->text), &list, NULL);
		job->found += list.count;
		guard_findings_release(&list);
	}
	return NULL;
}

static void test_threads(struct guard_scanner *scanner)
{
	char *text = fixture_expand(multi_template);
	struct thread_job jobs[4];
	pthread_t threads[4];

	for (int t = 0; t < 4; t++) {
		jobs[t] = (struct thread_job){ scanner, text, 0 };
		pthread_create(&threads[t], NULL, scan_many, &jobs[t]);
	}
	for (int t = 0; t < 4; t++) {
		pthread_join(threads[t], NULL);
		TAP_IS_INT(jobs[t].found, 50 * 4, "thread %d finds every secret every time", t);
	}
	free(text);
}

int main(void)
{
	struct guard_scanner *scanner = new_scanner(NULL);

	if (!scanner) {
		TAP_OK(0, "scanner compiles");
		return tap_done();
	}
	test_positions(scanner);
	test_crlf(scanner);
	test_utf16(scanner);
	test_encoded(scanner);
	test_window_cuts(scanner);
	test_allow(scanner);
	test_binary(scanner);
	test_names(scanner);
	test_fingerprints(scanner);
	test_threads(scanner);
	test_config();
	test_globs();
	test_size_cap();
	guard_scanner_free(scanner);
	return tap_done();
}
