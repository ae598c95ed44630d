#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int guard_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out,
		    const char *what, struct guard_error *err)
{
	uint64_t value = 0;
	const char *p;

	if (!text || !*text)
		return guard_error_set(err, GUARD_ERR_USAGE, "missing value for %s", what);
	for (p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return guard_error_set(err, GUARD_ERR_USAGE,
					       "invalid %s '%s': expected a whole number", what, text);
		if (__builtin_mul_overflow(value, 10, &value) ||
		    __builtin_add_overflow(value, (uint64_t)(*p - '0'), &value))
			return guard_error_set(err, GUARD_ERR_USAGE, "%s '%s' is too large", what, text);
	}
	if (value < min || value > max)
		return guard_error_set(err, GUARD_ERR_USAGE,
				       "%s '%s' is out of range (%llu to %llu)", what, text,
				       (unsigned long long)min, (unsigned long long)max);
	*out = value;
	return 0;
}

int guard_parse_size(const char *text, uint64_t *out, const char *what,
		     struct guard_error *err)
{
	char digits[32];
	size_t n = text ? strlen(text) : 0;
	uint64_t value, unit = 1;

	if (n == 0 || n >= sizeof(digits))
		return guard_error_set(err, GUARD_ERR_USAGE, "invalid %s '%s'", what, text ? text : "");
	memcpy(digits, text, n + 1);
	switch (digits[n - 1]) {
	case 'k': case 'K': unit = 1024ULL; break;
	case 'm': case 'M': unit = 1024ULL * 1024; break;
	case 'g': case 'G': unit = 1024ULL * 1024 * 1024; break;
	default: break;
	}
	if (unit != 1)
		digits[--n] = '\0';
	if (n == 0 || strspn(digits, "0123456789") != n)
		return guard_error_set(err, GUARD_ERR_USAGE, "invalid %s '%s': expected a whole number "
				       "of bytes, optionally followed by K, M or G", what, text);
	if (guard_parse_u64(digits, 0, UINT64_MAX, &value, what, err) < 0)
		return -1;
	if (__builtin_mul_overflow(value, unit, out))
		return guard_error_set(err, GUARD_ERR_USAGE, "%s '%s' is too large", what, text);
	return 0;
}

int guard_read_file(const char *path, size_t max, char **data, size_t *len,
		    struct guard_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t size = 0, cap;
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return guard_error_set(err, GUARD_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		close(fd);
		return guard_error_set(err, GUARD_ERR_IO, "cannot read '%s': %s", path,
				       S_ISDIR(st.st_mode) ? "is a folder" : strerror(errno));
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		close(fd);
		return guard_error_set(err, GUARD_ERR_LIMIT,
				       "'%s' is %lld bytes, over the limit of %zu bytes",
				       path, (long long)st.st_size, max);
	}

	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return guard_error_oom(err);
	}
	for (;;) {
		if (size + 1 >= cap) {
			char *grown;

			if (cap > max + 1) {
				free(buf);
				close(fd);
				return guard_error_set(err, GUARD_ERR_LIMIT,
						       "'%s' is over the limit of %zu bytes", path, max);
			}
			grown = realloc(buf, cap * 2);
			if (!grown) {
				free(buf);
				close(fd);
				return guard_error_oom(err);
			}
			buf = grown;
			cap *= 2;
		}
		got = read(fd, buf + size, cap - size - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int saved = errno;

			free(buf);
			close(fd);
			return guard_error_set(err, GUARD_ERR_IO, "cannot read '%s': %s", path, strerror(saved));
		}
		if (got == 0)
			break;
		size += (size_t)got;
		if (size > max) {
			free(buf);
			close(fd);
			return guard_error_set(err, GUARD_ERR_LIMIT,
					       "'%s' is over the limit of %zu bytes", path, max);
		}
	}
	close(fd);
	buf[size] = '\0';
	*data = buf;
	*len = size;
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static void fsync_parent(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

static int write_atomic_regular(const char *path, const void *data, size_t len,
				struct guard_error *err);

int guard_write_atomic(const char *path, const void *data, size_t len,
		       struct guard_error *err)
{
	struct stat st;
	char *target;
	int rc;

	if (lstat(path, &st) < 0)
		return write_atomic_regular(path, data, len, err);

	/* Replacing a symbolic link would turn it into a copy; write its
	 * target instead, which is what an editor saving the file does. */
	if (S_ISLNK(st.st_mode)) {
		target = realpath(path, NULL);
		if (!target)
			return guard_error_set(err, GUARD_ERR_IO, "cannot resolve '%s': %s", path,
					       strerror(errno));
		if (stat(target, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(target);
			return guard_error_set(err, GUARD_ERR_IO,
					       "cannot replace '%s': it is not a regular file", path);
		}
		rc = write_atomic_regular(target, data, len, err);
		free(target);
		return rc;
	}
	if (!S_ISREG(st.st_mode))
		return guard_error_set(err, GUARD_ERR_IO,
				       "cannot replace '%s': it is not a regular file", path);
	return write_atomic_regular(path, data, len, err);
}

int guard_write_output(const char *path, const void *data, size_t len,
		       struct guard_error *err)
{
	struct stat st;
	int fd, saved;

	if (stat(path, &st) < 0 || S_ISREG(st.st_mode))
		return guard_write_atomic(path, data, len, err);

	/* A device, FIFO or socket (/dev/null, /dev/stdout, a pipe) is written
	 * to, never replaced. */
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return guard_error_set(err, GUARD_ERR_IO, "cannot open '%s': %s", path,
				       strerror(errno));
	if (write_all(fd, data, len) < 0) {
		saved = errno;
		close(fd);
		return guard_error_set(err, GUARD_ERR_IO, "cannot write '%s': %s", path,
				       strerror(saved));
	}
	if (close(fd) < 0)
		return guard_error_set(err, GUARD_ERR_IO, "cannot write '%s': %s", path,
				       strerror(errno));
	return 0;
}

int guard_check_output(const char *path, struct guard_error *err)
{
	struct stat st;
	char *target = NULL, *copy, *tmp;
	const char *file = path;
	int fd, saved;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			return guard_error_set(err, GUARD_ERR_IO, "cannot write '%s': it is a folder",
					       path);
		if (access(path, W_OK) < 0)
			return guard_error_set(err, GUARD_ERR_IO, "cannot write '%s': %s", path,
					       strerror(errno));
		return 0;
	}
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		target = realpath(path, NULL);
		if (target)
			file = target;
	}
	copy = strdup(file);
	tmp = copy ? guard_path_join(dirname(copy), ".guard-check-XXXXXX") : NULL;
	free(copy);
	if (!tmp) {
		free(target);
		return guard_error_oom(err);
	}
	fd = mkstemp(tmp);
	saved = errno;
	free(target);
	if (fd < 0) {
		free(tmp);
		return guard_error_set(err, GUARD_ERR_IO,
				       "cannot create a file beside '%s': %s", path, strerror(saved));
	}
	close(fd);
	unlink(tmp);
	free(tmp);
	return 0;
}

static int write_atomic_regular(const char *path, const void *data, size_t len,
				struct guard_error *err)
{
	struct stat st;
	char *tmp;
	size_t n = strlen(path);
	mode_t mode, mask;
	int fd, saved;

	tmp = malloc(n + sizeof(".guard-XXXXXX"));
	if (!tmp)
		return guard_error_oom(err);
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".guard-XXXXXX", sizeof(".guard-XXXXXX"));

	if (stat(path, &st) == 0) {
		mode = st.st_mode & 07777;
	} else {
		mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}

	fd = mkstemp(tmp);
	if (fd < 0) {
		saved = errno;
		free(tmp);
		return guard_error_set(err, GUARD_ERR_IO,
				       "cannot create a temporary file beside '%s': %s", path, strerror(saved));
	}
	if (write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0)
		goto fail;
	if (stat(path, &st) == 0 && geteuid() == 0)
		(void)fchown(fd, st.st_uid, st.st_gid);
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	fsync_parent(path);
	free(tmp);
	return 0;

fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return guard_error_set(err, GUARD_ERR_IO, "cannot write '%s': %s", path, strerror(saved));
}

char *guard_path_join(const char *dir, const char *name)
{
	size_t a, b;
	char *out;

	if (!dir || !*dir || strcmp(dir, ".") == 0)
		return strdup(name);
	a = strlen(dir);
	b = strlen(name);
	while (a > 1 && dir[a - 1] == '/')
		a--;
	out = malloc(a + b + 2);
	if (!out)
		return NULL;
	memcpy(out, dir, a);
	out[a] = '/';
	memcpy(out + a + 1, name, b + 1);
	return out;
}

const char *guard_path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

bool guard_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool guard_has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

bool guard_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

char *guard_strdup(const char *s, struct guard_error *err)
{
	char *copy = strdup(s ? s : "");

	if (!copy)
		guard_error_oom(err);
	return copy;
}

char *guard_strndup(const char *s, size_t n, struct guard_error *err)
{
	char *copy = strndup(s, n);

	if (!copy)
		guard_error_oom(err);
	return copy;
}

uint64_t guard_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void guard_wipe(void *p, size_t n)
{
	if (p)
		explicit_bzero(p, n);
}
