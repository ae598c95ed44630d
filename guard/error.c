#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int guard_error_set(struct guard_error *err, enum guard_error_code code,
		    const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

int guard_error_prefix(struct guard_error *err, const char *fmt, ...)
{
	char prefix[GUARD_ERROR_MAX];
	size_t plen, mlen, room;
	va_list ap;

	if (!err)
		return -1;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);

	plen = strlen(prefix);
	mlen = strlen(err->message);
	if (mlen && plen + 2 < sizeof(err->message)) {
		room = sizeof(err->message) - 1 - plen - 2;
		if (mlen > room)
			mlen = room;
		memmove(err->message + plen + 2, err->message, mlen);
		memcpy(err->message, prefix, plen);
		memcpy(err->message + plen, ": ", 2);
		err->message[plen + 2 + mlen] = '\0';
	} else {
		memcpy(err->message, prefix, plen + 1);
	}
	if (err->code == GUARD_OK)
		err->code = GUARD_ERR_INTERNAL;
	return -1;
}

int guard_error_oom(struct guard_error *err)
{
	return guard_error_set(err, GUARD_ERR_INTERNAL, "out of memory");
}

void guard_error_copy(struct guard_error *dst, const struct guard_error *src)
{
	if (dst && src && dst != src)
		memcpy(dst, src, sizeof(*dst));
}

void guard_error_clear(struct guard_error *err)
{
	if (err) {
		err->code = GUARD_OK;
		err->message[0] = '\0';
	}
}

const char *guard_error_code_name(enum guard_error_code code)
{
	switch (code) {
	case GUARD_OK: return "ok";
	case GUARD_ERR_USAGE: return "usage";
	case GUARD_ERR_PARSE: return "parse";
	case GUARD_ERR_IO: return "io";
	case GUARD_ERR_LIMIT: return "limit";
	case GUARD_ERR_NOTFOUND: return "not-found";
	case GUARD_ERR_AUTH: return "auth";
	case GUARD_ERR_NETWORK: return "network";
	case GUARD_ERR_INTERNAL: return "internal";
	}
	return "internal";
}
