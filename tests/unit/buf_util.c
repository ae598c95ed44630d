/* Unit tests of the bounded buffer, number parsing and atomic writes. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

#include "buf.h"
#include "digest.h"
#include "error.h"
#include "util.h"

static void test_buf_limit(void)
{
	struct guard_buf buf = GUARD_BUF_INIT(8);
	struct guard_error err = GUARD_ERROR_INIT;

	TAP_IS_INT(guard_buf_puts(&buf, "12345678", &err), 0, "buffer fills to its max");
	TAP_IS_INT(guard_buf_putc(&buf, 'x', &err), -1, "buffer rejects a byte past max");
	TAP_IS_INT(err.code, GUARD_ERR_LIMIT, "overflow is a limit error");
	TAP_IS_STR(buf.data, "12345678", "failed append leaves the buffer unchanged");
	guard_buf_release(&buf);
}

static void test_buf_printf(void)
{
	struct guard_buf buf = GUARD_BUF_INIT(1024);
	struct guard_error err = GUARD_ERROR_INIT;
	char *out;
	size_t len;

	guard_buf_printf(&buf, &err, "%s:%d", "line", 42);
	out = guard_buf_detach(&buf, &len);
	TAP_IS_STR(out, "line:42", "printf appends formatted text");
	TAP_IS_INT(len, 7, "detach returns the length");
	free(out);
}

static void test_parse_numbers(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	uint64_t v = 0;

	TAP_IS_INT(guard_parse_u64("42", 1, 100, &v, "--jobs", &err), 0, "parse 42");
	TAP_IS_INT(v, 42, "value 42");
	TAP_IS_INT(guard_parse_u64("4x", 1, 100, &v, "--jobs", &err), -1, "reject trailing letters");
	TAP_IS_INT(guard_parse_u64("101", 1, 100, &v, "--jobs", &err), -1, "reject out of range");
	TAP_IS_INT(guard_parse_u64("99999999999999999999999", 0, UINT64_MAX, &v, "n", &err), -1,
		   "reject overflow");
	TAP_IS_INT(guard_parse_size("10M", &v, "--max-blob-size", &err), 0, "parse 10M");
	TAP_IS_INT(v, 10 * 1024 * 1024, "10M is 10 MiB");
}

static void test_write_atomic(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	char dir[] = "/tmp/guard-unit-XXXXXX";
	char *path, *data = NULL;
	struct stat st;
	size_t len = 0;

	TAP_OK(mkdtemp(dir) != NULL, "temporary folder");
	path = guard_path_join(dir, "Dockerfile");
	TAP_IS_INT(guard_write_atomic(path, "a\r\n", 3, &err), 0, "write new file");
	chmod(path, 0751);
	TAP_IS_INT(guard_write_atomic(path, "bb", 2, &err), 0, "replace file");
	TAP_IS_INT(stat(path, &st), 0, "file exists");
	TAP_IS_INT(st.st_mode & 07777, 0751, "mode is kept");
	TAP_IS_INT(guard_read_file(path, 100, &data, &len, &err), 0, "read back");
	TAP_IS_STR(data, "bb", "new content");
	free(data);
	TAP_IS_INT(guard_read_file(path, 1, &data, &len, &err), -1, "read over the cap fails");
	TAP_IS_INT(err.code, GUARD_ERR_LIMIT, "cap is a limit error");
	unlink(path);
	rmdir(dir);
	free(path);
}

static void test_write_special_files(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	char dir[] = "/tmp/guard-unit-XXXXXX";
	char *target, *link, *data = NULL;
	struct stat st;
	size_t len = 0;

	TAP_OK(mkdtemp(dir) != NULL, "temporary folder for links");
	target = guard_path_join(dir, "real.Dockerfile");
	link = guard_path_join(dir, "Dockerfile");
	guard_write_atomic(target, "old", 3, &err);
	TAP_IS_INT(symlink("real.Dockerfile", link), 0, "symbolic link made");
	TAP_IS_INT(guard_write_atomic(link, "new", 3, &err), 0, "write through a symbolic link");
	TAP_IS_INT(lstat(link, &st), 0, "link still exists");
	TAP_OK(S_ISLNK(st.st_mode), "the link stays a link");
	TAP_IS_INT(guard_read_file(target, 100, &data, &len, &err), 0, "read the target");
	TAP_IS_STR(data, "new", "the target has the new content");
	free(data);

	TAP_IS_INT(guard_write_atomic("/dev/null", "x", 1, &err), -1,
		   "a device is not replaced atomically");
	TAP_IS_INT(guard_write_output("/dev/null", "x", 1, &err), 0, "output to /dev/null");
	TAP_IS_INT(stat("/dev/null", &st), 0, "/dev/null exists");
	TAP_OK(S_ISCHR(st.st_mode), "/dev/null is still a device");

	unlink(link);
	unlink(target);
	rmdir(dir);
	free(link);
	free(target);
}

static void test_error_prefix(void)
{
	struct guard_error err = GUARD_ERROR_INIT;

	guard_error_set(&err, GUARD_ERR_NETWORK, "401 unauthorized");
	guard_error_prefix(&err, "resolving '%s'", "python:3.12");
	TAP_IS_STR(err.message, "resolving 'python:3.12': 401 unauthorized", "prefix adds context");
	TAP_IS_INT(err.code, GUARD_ERR_NETWORK, "prefix keeps the code");
}

static void test_digest(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	char d[GUARD_DIGEST_MAX];

	guard_sha256_digest("", 0, d, &err);
	TAP_IS_STR(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		   "sha256 of empty input");
	TAP_OK(guard_digest_is_sha256(d), "computed digest is valid");
	TAP_OK(!guard_digest_is_sha256("sha256:E3B0"), "short uppercase digest is invalid");
}

int main(void)
{
	test_buf_limit();
	test_buf_printf();
	test_parse_numbers();
	test_write_atomic();
	test_write_special_files();
	test_error_prefix();
	test_digest();
	return tap_done();
}
