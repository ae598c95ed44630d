/* Findings: previews, fingerprints, the list, severities and the report
 * helpers that keep secrets and odd bytes out of output. */
#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "report.h"
#include "tap.h"

static void check_preview(const char *secret, const char *want)
{
	struct guard_finding f;
	struct guard_error err = GUARD_ERROR_INIT;

	memset(&f, 0, sizeof(f));
	TAP_IS_INT(guard_finding_set_secret(&f, secret, strlen(secret), &err), 0,
		   "set secret of length %zu", strlen(secret));
	TAP_IS_STR(f.preview, want, "preview of a %zu-byte secret", strlen(secret));
}

static void test_previews(void)
{
	struct guard_finding f;
	struct guard_error err = GUARD_ERROR_INIT;

	check_preview("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_\xe2\x80\xa6(40 chars)");
	check_preview("x", "\xe2\x80\xa6(1 char)");
	check_preview("hunter2", "\xe2\x80\xa6(7 chars)");
	check_preview("hunter22", "hu\xe2\x80\xa6(8 chars)");
	check_preview("abcdefghijkl", "abc\xe2\x80\xa6(12 chars)");
	check_preview("abcdefghijklmnop", "abcd\xe2\x80\xa6(16 chars)");
	check_preview("ab\ncdefghijklmnop", "ab\xe2\x80\xa6(17 chars)");
	check_preview("\xc3\xa9\xc3\xa9secretsecret", "\xe2\x80\xa6(16 chars)");

	memset(&f, 0, sizeof(f));
	guard_finding_set_secret(&f, "abc", 3, &err);
	TAP_IS_STR(f.secret_hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		   "secret hash is the SHA-256 of the bytes");
	TAP_IS_INT(f.secret_length, 3, "secret length");
}

static void make_finding(struct guard_finding *f, const char *path, unsigned line,
			 const char *commit, const char *secret)
{
	struct guard_error err = GUARD_ERROR_INIT;

	memset(f, 0, sizeof(*f));
	f->rule_id = "test-rule";
	f->loc.path = (char *)path;
	f->loc.line = line;
	f->loc.commit = (char *)commit;
	guard_finding_set_secret(f, secret, strlen(secret), &err);
	guard_finding_fingerprint(f, &err);
}

static void test_fingerprints(void)
{
	struct guard_finding a, b;
	struct guard_error err = GUARD_ERROR_INIT;
	char first[96];

	make_finding(&a, "src/app.py", 3, NULL, "s3cr3tvalue123456");
	memcpy(first, a.fingerprint, sizeof(first));
	TAP_IS_INT(strlen(a.fingerprint), strlen("test-rule:") + 16 + 1 + 16, "fingerprint length");
	TAP_OK(strncmp(a.fingerprint, "test-rule:", 10) == 0, "fingerprint starts with the rule");

	make_finding(&b, "src/app.py", 99, NULL, "s3cr3tvalue123456");
	b.loc.column = 40;
	guard_finding_fingerprint(&b, &err);
	TAP_IS_STR(b.fingerprint, first, "fingerprint survives a line and column move");

	make_finding(&b, "src/other.py", 3, NULL, "s3cr3tvalue123456");
	TAP_OK(strcmp(b.fingerprint, first) != 0, "another path changes the fingerprint");
	make_finding(&b, "src/app.py", 3, NULL, "s3cr3tvalue123457");
	TAP_OK(strcmp(b.fingerprint, first) != 0, "another secret changes the fingerprint");
	make_finding(&b, "src/app.py", 3, "0123456789abcdef0123456789abcdef01234567", "s3cr3tvalue123456");
	TAP_OK(strcmp(b.fingerprint, first) != 0, "a commit changes the fingerprint");

	/* "a" + "\0" + "bc" must differ from "ab" + "\0" + "c". */
	make_finding(&a, "a", 1, "bc", "s3cr3tvalue123456");
	make_finding(&b, "ab", 1, "c", "s3cr3tvalue123456");
	TAP_OK(strcmp(a.fingerprint, b.fingerprint) != 0, "path and commit are separated");

	memset(&a, 0, sizeof(a));
	a.rule_id = "test-rule";
	TAP_IS_INT(guard_finding_fingerprint(&a, &err), -1, "no fingerprint without a secret hash");
}

static void test_list(void)
{
	struct guard_findings list = { NULL, 0, 0 };
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_finding f;
	char path[32];
	int i, sorted = 1;

	for (i = 0; i < 40; i++) {
		snprintf(path, sizeof(path), "dir/file%02d", (i * 7) % 40);
		make_finding(&f, path, (unsigned)(40 - i), NULL, "s3cr3tvalue123456");
		f.message = "note";
		TAP_IS_INT(guard_findings_add(&list, &f, &err), 0, "add finding %d", i);
	}
	TAP_IS_INT(list.count, 40, "forty findings");
	TAP_OK(list.items[0].loc.path != f.loc.path, "the list owns a copy of the path");
	TAP_IS_STR(list.items[0].message, "note", "message copied");

	guard_findings_sort(&list);
	for (i = 1; i < 40; i++)
		if (strcmp(list.items[i - 1].loc.path, list.items[i].loc.path) > 0)
			sorted = 0;
	TAP_OK(sorted, "sorted by path");

	guard_findings_remove(&list, 0);
	TAP_IS_INT(list.count, 39, "remove drops one");
	TAP_IS_STR(list.items[0].loc.path, "dir/file01", "remove keeps the order");
	guard_findings_release(&list);
	TAP_IS_INT(list.count, 0, "release empties the list");
}

static void test_severities(void)
{
	enum guard_severity s = GUARD_SEVERITY_LOW;

	TAP_IS_STR(guard_severity_name(GUARD_SEVERITY_CRITICAL), "critical", "critical name");
	TAP_IS_STR(guard_severity_name(GUARD_SEVERITY_LOW), "low", "low name");
	TAP_IS_INT(guard_severity_parse("HIGH", &s), 0, "parse ignores case");
	TAP_IS_INT(s, GUARD_SEVERITY_HIGH, "HIGH parses to high");
	TAP_IS_INT(guard_severity_parse("severe", &s), -1, "unknown severity rejected");
	TAP_IS_INT(guard_severity_parse(NULL, &s), -1, "NULL severity rejected");
}

static void check_step_at(const char *step, unsigned line, unsigned column,
			  unsigned end_column, const char *want)
{
	struct guard_buf out = GUARD_BUF_INIT(4096);
	struct guard_location loc;

	memset(&loc, 0, sizeof(loc));
	loc.step = (char *)step;
	loc.line = line;
	loc.column = column;
	loc.end_column = end_column;
	if (line > 0)
		loc.origin = "history";
	TAP_IS_INT(guard_report_redact_step(&loc, 200, &out, NULL), 0, "redact step %u:%u", line, column);
	TAP_IS_STR(out.data, want, "redacted step at %u:%u", line, column);
	guard_buf_release(&out);
}

static void check_step(const char *step, const char *want)
{
	check_step_at(step, 0, 0, 0, want);
}

static void test_step_origin(void)
{
	struct guard_location loc;

	memset(&loc, 0, sizeof(loc));
	TAP_OK(!guard_report_step_contains_secret(&loc), "no origin: secret not in the step");
	loc.origin = "layer";
	TAP_OK(!guard_report_step_contains_secret(&loc), "layer finding: secret not in the step");
	loc.origin = "history";
	TAP_OK(guard_report_step_contains_secret(&loc), "history finding: secret in the step");

	check_step_at("RUN echo login lowercasepassphrase | tee /dev/null", 1, 16, 35,
		      "RUN echo login \xe2\x80\xa6 | tee /dev/null");
	check_step_at("RUN <<EOF\necho lowercasesecret\nEOF", 2, 6, 21,
		      "RUN <<EOF\necho \xe2\x80\xa6\nEOF");
	check_step_at("RUN echo abc", 1, 10, 99, "RUN echo \xe2\x80\xa6");
	check_step_at("RUN echo abc", 7, 1, 4, "RUN echo abc");
}

static void test_steps(void)
{
	check_step("RUN |2 NPM_TOKEN=npm_abc123 MODE=prod /bin/sh -c npm ci # buildkit",
		   "RUN |2 NPM_TOKEN=\xe2\x80\xa6 MODE=\xe2\x80\xa6 /bin/sh -c npm ci # buildkit");
	check_step("/bin/sh -c #(nop)  ENV API_KEY=\"a b c\" OTHER=1",
		   "/bin/sh -c #(nop)  ENV API_KEY=\xe2\x80\xa6 OTHER=\xe2\x80\xa6");
	check_step("ARG TOKEN", "ARG TOKEN");
	check_step("ARG TOKEN= X=", "ARG TOKEN= X=");
	check_step("RUN make CFLAGS=-O2", "RUN make CFLAGS=\xe2\x80\xa6");
	check_step("COPY a=b /x", "COPY a=\xe2\x80\xa6 /x");
	check_step("RUN curl -H Authorization:Bearer ghp_R3p0rt000 https://x.test/a",
		   "RUN curl -H \xe2\x80\xa6 \xe2\x80\xa6 https://x.test/a");
	check_step("RUN echo Zm9vYmFy > /f", "RUN echo \xe2\x80\xa6 > /f");
	check_step("RUN make install-all", "RUN make install-all");
	check_step("RUN AB1", "RUN AB1");
}

static void test_utf8(void)
{
	unsigned long cp = 0;

	TAP_IS_INT(guard_report_utf8_decode((const unsigned char *)"\xc3\xa9", 2, &cp), 2, "two-byte sequence");
	TAP_IS_INT(cp, 0xe9, "code point of e acute");
	TAP_IS_INT(guard_report_utf8_decode((const unsigned char *)"\xc0\xaf", 2, &cp), 0, "overlong rejected");
	TAP_IS_INT(guard_report_utf8_decode((const unsigned char *)"\xed\xa0\x80", 3, &cp), 0, "surrogate rejected");
	TAP_IS_INT(guard_report_utf8_decode((const unsigned char *)"\xe2\x80", 2, &cp), 0, "truncated rejected");
	TAP_IS_INT(guard_report_utf8_decode((const unsigned char *)"\xf0\x9f\x94\x91", 4, &cp), 4, "four-byte sequence");
}

static void test_utf16_columns(void)
{
	static const struct {
		const char *line;
		unsigned want;
		const char *name;
	} cases[] = {
		{ "", 1, "empty prefix" },
		{ "abc", 4, "ASCII" },
		{ "na\xc3\xafve", 6, "two-byte character" },
		{ "\xe2\x82\xac", 2, "three-byte character" },
		{ "\xf0\x9f\x99\x82", 3, "character outside the BMP" },
		{ "\x80\x80", 3, "stray continuation bytes" },
		{ "\xc3", 2, "cut two-byte character" },
		{ "\xff a", 4, "invalid lead byte" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		TAP_IS_INT(guard_utf16_column(cases[i].line, strlen(cases[i].line)), cases[i].want,
			   "utf16 column: %s", cases[i].name);
}

int main(void)
{
	test_previews();
	test_fingerprints();
	test_list();
	test_severities();
	test_steps();
	test_step_origin();
	test_utf8();
	test_utf16_columns();
	return tap_done();
}
