/* A minimal TAP producer for guard's C unit tests, run by prove. */
#ifndef GUARD_TAP_H
#define GUARD_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

#define TAP_OK(cond, ...) tap_ok_at(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define TAP_IS_STR(got, want, ...)                                              \
	do {                                                                    \
		const char *tap_g_ = (got), *tap_w_ = (want);                   \
		int tap_same_ = (tap_g_ && tap_w_) ? strcmp(tap_g_, tap_w_) == 0 \
						  : tap_g_ == tap_w_;           \
		if (!tap_ok_at(tap_same_, __FILE__, __LINE__, __VA_ARGS__))     \
			printf("#   got:      '%s'\n#   expected: '%s'\n",         \
			       tap_g_ ? tap_g_ : "(null)", tap_w_ ? tap_w_ : "(null)"); \
	} while (0)

#define TAP_IS_INT(got, want, ...)                                              \
	do {                                                                    \
		long long tap_g_ = (long long)(got), tap_w_ = (long long)(want); \
		if (!tap_ok_at(tap_g_ == tap_w_, __FILE__, __LINE__, __VA_ARGS__)) \
			printf("#   got:      %lld\n#   expected: %lld\n", tap_g_, tap_w_); \
	} while (0)

__attribute__((format(printf, 4, 5)))
static inline int tap_ok_at(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("%s %d - ", ok ? "ok" : "not ok", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return ok;
}

/* Prints the plan and returns the exit status for main. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
