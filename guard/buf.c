#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void guard_buf_init(struct guard_buf *buf, size_t max)
{
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
	buf->max = max;
}

void guard_buf_release(struct guard_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
}

void guard_buf_release_secret(struct guard_buf *buf)
{
	if (buf->data)
		explicit_bzero(buf->data, buf->cap);
	guard_buf_release(buf);
}

int guard_buf_reserve(struct guard_buf *buf, size_t extra, struct guard_error *err)
{
	size_t need, cap;
	char *data;

	if (__builtin_add_overflow(buf->len, extra, &need) || need > buf->max)
		return guard_error_set(err, GUARD_ERR_LIMIT,
				       "data exceeds the limit of %zu bytes", buf->max);
	if (need + 1 <= buf->cap)
		return 0;

	cap = buf->cap ? buf->cap : 64;
	while (cap < need + 1) {
		if (cap > ((size_t)-1) / 2) {
			cap = need + 1;
			break;
		}
		cap *= 2;
	}
	data = realloc(buf->data, cap);
	if (!data)
		return guard_error_oom(err);
	buf->data = data;
	buf->cap = cap;
	return 0;
}

int guard_buf_append(struct guard_buf *buf, const void *data, size_t len,
		     struct guard_error *err)
{
	if (guard_buf_reserve(buf, len, err) < 0)
		return -1;
	if (len)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return 0;
}

int guard_buf_puts(struct guard_buf *buf, const char *s, struct guard_error *err)
{
	return guard_buf_append(buf, s, strlen(s), err);
}

int guard_buf_putc(struct guard_buf *buf, char c, struct guard_error *err)
{
	return guard_buf_append(buf, &c, 1, err);
}

int guard_buf_vprintf(struct guard_buf *buf, struct guard_error *err,
		      const char *fmt, va_list ap)
{
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return guard_error_set(err, GUARD_ERR_INTERNAL, "invalid format string");
	if (guard_buf_reserve(buf, (size_t)n, err) < 0)
		return -1;
	vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
	buf->len += (size_t)n;
	return 0;
}

int guard_buf_printf(struct guard_buf *buf, struct guard_error *err,
		     const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = guard_buf_vprintf(buf, err, fmt, ap);
	va_end(ap);
	return rc;
}

void guard_buf_truncate(struct guard_buf *buf, size_t len)
{
	if (len < buf->len) {
		buf->len = len;
		buf->data[len] = '\0';
	}
}

char *guard_buf_detach(struct guard_buf *buf, size_t *len)
{
	char *data = buf->data;

	if (!data)
		data = calloc(1, 1);
	if (len)
		*len = buf->len;
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
	return data;
}
