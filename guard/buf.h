/* Growable byte buffers with a hard maximum. */
#ifndef GUARD_BUF_H
#define GUARD_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "error.h"

/* data is always NUL-terminated (the NUL is not counted in len). max is the
 * largest len the buffer may reach; appending past it fails with
 * GUARD_ERR_LIMIT and leaves the buffer unchanged. */
struct guard_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

#define GUARD_BUF_INIT(maximum) { NULL, 0, 0, (maximum) }

void guard_buf_init(struct guard_buf *buf, size_t max);

/* Frees the memory and resets the buffer, keeping max. */
void guard_buf_release(struct guard_buf *buf);

/* Wipes the contents with explicit_bzero, then releases: for credentials. */
void guard_buf_release_secret(struct guard_buf *buf);

int guard_buf_append(struct guard_buf *buf, const void *data, size_t len,
		     struct guard_error *err);
int guard_buf_puts(struct guard_buf *buf, const char *s, struct guard_error *err);
int guard_buf_putc(struct guard_buf *buf, char c, struct guard_error *err);
int guard_buf_printf(struct guard_buf *buf, struct guard_error *err,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int guard_buf_vprintf(struct guard_buf *buf, struct guard_error *err,
		      const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/* Ensures room for extra more bytes without exceeding max. */
int guard_buf_reserve(struct guard_buf *buf, size_t extra, struct guard_error *err);

void guard_buf_truncate(struct guard_buf *buf, size_t len);

/* Hands the data to the caller (who frees it) and resets the buffer. Returns
 * an empty allocated string for an empty buffer, NULL only on OOM. */
char *guard_buf_detach(struct guard_buf *buf, size_t *len);

#endif
