/* Unit tests of byte-exact edits and their unified diff. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "buf.h"
#include "error.h"
#include "rewrite.h"

static char *apply(struct guard_rewrite *rewrite, const char *text)
{
	struct guard_buf out = GUARD_BUF_INIT(1 << 20);
	struct guard_error err = GUARD_ERROR_INIT;

	if (guard_rewrite_apply(rewrite, text, strlen(text), &out, &err) < 0) {
		guard_buf_release(&out);
		return NULL;
	}
	return guard_buf_detach(&out, NULL);
}

static char *diff(struct guard_rewrite *rewrite, const char *text)
{
	struct guard_buf out = GUARD_BUF_INIT(1 << 20);
	struct guard_error err = GUARD_ERROR_INIT;

	if (guard_rewrite_diff(rewrite, text, strlen(text), "Dockerfile", &out, &err) < 0) {
		guard_buf_release(&out);
		return NULL;
	}
	return guard_buf_detach(&out, NULL);
}

static void test_apply_insert_and_replace(void)
{
	struct guard_rewrite rewrite;
	struct guard_error err = GUARD_ERROR_INIT;
	char *out;

	guard_rewrite_init(&rewrite);
	/* Recorded out of order on purpose: apply sorts them. */
	guard_rewrite_replace(&rewrite, 20, 23, "NEW", &err);
	guard_rewrite_insert(&rewrite, 11, "@X", &err);
	guard_rewrite_insert(&rewrite, 0, ">", &err);
	out = apply(&rewrite, "FROM alpine\r\nFROM a@OLD\r\n");
	TAP_IS_STR(out, ">FROM alpine@X\r\nFROM a@NEW\r\n", "edits land at their offsets");
	free(out);
	guard_rewrite_release(&rewrite);
}

static void test_apply_end_of_text(void)
{
	struct guard_rewrite rewrite;
	struct guard_error err = GUARD_ERROR_INIT;
	char *out;

	guard_rewrite_init(&rewrite);
	guard_rewrite_insert(&rewrite, 11, "@sha256:1", &err);
	out = apply(&rewrite, "FROM alpine");
	TAP_IS_STR(out, "FROM alpine@sha256:1", "insertion at the end of a text without newline");
	free(out);
	guard_rewrite_release(&rewrite);
}

static void test_reject_overlap(void)
{
	struct guard_rewrite rewrite;
	struct guard_error err = GUARD_ERROR_INIT;

	guard_rewrite_init(&rewrite);
	guard_rewrite_replace(&rewrite, 2, 6, "x", &err);
	guard_rewrite_insert(&rewrite, 4, "y", &err);
	TAP_IS_INT(guard_rewrite_check(&rewrite, 10, &err), -1, "overlapping edits are rejected");
	TAP_IS_INT(err.code, GUARD_ERR_INTERNAL, "overlap is an internal error");
	guard_rewrite_release(&rewrite);

	guard_rewrite_init(&rewrite);
	guard_rewrite_insert(&rewrite, 4, "a", &err);
	guard_rewrite_insert(&rewrite, 4, "b", &err);
	TAP_IS_INT(guard_rewrite_check(&rewrite, 10, &err), -1, "two insertions at one offset are rejected");
	guard_rewrite_release(&rewrite);

	guard_rewrite_init(&rewrite);
	guard_rewrite_insert(&rewrite, 11, "a", &err);
	TAP_IS_INT(guard_rewrite_check(&rewrite, 10, &err), -1, "an edit past the end is rejected");
	guard_rewrite_release(&rewrite);

	guard_rewrite_init(&rewrite);
	guard_rewrite_replace(&rewrite, 2, 4, "a", &err);
	guard_rewrite_insert(&rewrite, 4, "b", &err);
	TAP_IS_INT(guard_rewrite_check(&rewrite, 10, &err), 0, "an insertion right after a replacement is fine");
	guard_rewrite_release(&rewrite);
}

static void test_diff_one_hunk(void)
{
	const char *text = "l1\nl2\nl3\nFROM a\nl5\nl6\nl7\nl8\n";
	struct guard_rewrite rewrite;
	struct guard_error err = GUARD_ERROR_INIT;
	char *out;

	guard_rewrite_init(&rewrite);
	guard_rewrite_insert(&rewrite, 15, "@d", &err);
	out = diff(&rewrite, text);
	TAP_IS_STR(out,
		   "--- a/Dockerfile\n+++ b/Dockerfile\n"
		   "@@ -1,7 +1,7 @@\n l1\n l2\n l3\n-FROM a\n+FROM a@d\n l5\n l6\n l7\n",
		   "diff has three lines of context");
	free(out);
	guard_rewrite_release(&rewrite);
}

static void test_diff_two_hunks(void)
{
	const char *text = "FROM a\n2\n3\n4\n5\n6\n7\n8\nFROM b\n";
	struct guard_rewrite rewrite;
	struct guard_error err = GUARD_ERROR_INIT;
	char *out;

	guard_rewrite_init(&rewrite);
	guard_rewrite_insert(&rewrite, 6, "@x", &err);
	guard_rewrite_insert(&rewrite, 27, "@y", &err);
	out = diff(&rewrite, text);
	TAP_IS_STR(out,
		   "--- a/Dockerfile\n+++ b/Dockerfile\n"
		   "@@ -1,4 +1,4 @@\n-FROM a\n+FROM a@x\n 2\n 3\n 4\n"
		   "@@ -6,4 +6,4 @@\n 6\n 7\n 8\n-FROM b\n+FROM b@y\n",
		   "distant changes get separate hunks");
	free(out);
	guard_rewrite_release(&rewrite);

	guard_rewrite_init(&rewrite);
	guard_rewrite_insert(&rewrite, 6, "@x", &err);
	guard_rewrite_insert(&rewrite, 25, "@y", &err);
	out = diff(&rewrite, "FROM a\n2\n3\n4\n5\n6\n7\nFROM b\n");
	TAP_IS_STR(out,
		   "--- a/Dockerfile\n+++ b/Dockerfile\n"
		   "@@ -1,8 +1,8 @@\n-FROM a\n+FROM a@x\n 2\n 3\n 4\n 5\n 6\n 7\n"
		   "-FROM b\n+FROM b@y\n",
		   "changes six lines apart share a hunk");
	free(out);
	guard_rewrite_release(&rewrite);
}

static void test_diff_crlf_and_no_newline(void)
{
	const char *text = "# x\r\nFROM a";
	struct guard_rewrite rewrite;
	struct guard_error err = GUARD_ERROR_INIT;
	char *out;

	guard_rewrite_init(&rewrite);
	guard_rewrite_insert(&rewrite, 11, "@d", &err);
	out = diff(&rewrite, text);
	TAP_IS_STR(out,
		   "--- a/Dockerfile\n+++ b/Dockerfile\n"
		   "@@ -1,2 +1,2 @@\n # x\r\n-FROM a\n\\ No newline at end of file\n"
		   "+FROM a@d\n\\ No newline at end of file\n",
		   "CRLF lines are kept and a missing final newline is marked");
	free(out);
	guard_rewrite_release(&rewrite);
}

static void test_diff_line_count_change(void)
{
	struct guard_rewrite rewrite;
	struct guard_error err = GUARD_ERROR_INIT;
	char *out;

	guard_rewrite_init(&rewrite);
	guard_rewrite_replace(&rewrite, 0, 2, "x\ny\n", &err);
	guard_rewrite_insert(&rewrite, 23, "!", &err);
	out = diff(&rewrite, "a\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n");
	TAP_IS_STR(out,
		   "--- a/Dockerfile\n+++ b/Dockerfile\n"
		   "@@ -1,4 +1,5 @@\n-a\n+x\n+y\n 2\n 3\n 4\n"
		   "@@ -8,5 +9,5 @@\n 8\n 9\n 10\n-11\n+11!\n 12\n",
		   "later hunks count the lines added before them");
	free(out);
	guard_rewrite_release(&rewrite);
}

static void test_diff_nothing(void)
{
	struct guard_rewrite rewrite;
	char *out;

	guard_rewrite_init(&rewrite);
	out = diff(&rewrite, "FROM a\n");
	TAP_IS_STR(out, "", "no edits give an empty diff");
	free(out);
	guard_rewrite_release(&rewrite);
}

int main(void)
{
	test_apply_insert_and_replace();
	test_apply_end_of_text();
	test_reject_overlap();
	test_diff_one_hunk();
	test_diff_two_hunks();
	test_diff_crlf_and_no_newline();
	test_diff_line_count_change();
	test_diff_nothing();
	return tap_done();
}
