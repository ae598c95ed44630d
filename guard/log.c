#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum guard_log_level log_level = GUARD_LOG_NORMAL;
static bool progress_shown;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

#define ONCE_KEYS_MAX 64
static char *once_keys[ONCE_KEYS_MAX];
static size_t once_count;

void guard_log_set_level(enum guard_log_level level)
{
	log_level = level;
}

enum guard_log_level guard_log_level(void)
{
	return log_level;
}

static void clear_progress_locked(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = false;
	}
}

__attribute__((format(printf, 2, 0)))
static void vlog(const char *kind, const char *fmt, va_list ap)
{
	pthread_mutex_lock(&log_lock);
	clear_progress_locked();
	fputs("guard: ", stderr);
	if (kind)
		fprintf(stderr, "%s: ", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

void guard_log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(NULL, fmt, ap);
	va_end(ap);
}

void guard_log_warn(const char *fmt, ...)
{
	va_list ap;

	if (log_level < GUARD_LOG_NORMAL)
		return;
	va_start(ap, fmt);
	vlog("warning", fmt, ap);
	va_end(ap);
}

void guard_log_hint(const char *fmt, ...)
{
	va_list ap;

	if (log_level < GUARD_LOG_NORMAL)
		return;
	va_start(ap, fmt);
	vlog("hint", fmt, ap);
	va_end(ap);
}

void guard_log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level < GUARD_LOG_VERBOSE)
		return;
	va_start(ap, fmt);
	vlog(NULL, fmt, ap);
	va_end(ap);
}

void guard_log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_level < GUARD_LOG_DEBUG)
		return;
	va_start(ap, fmt);
	vlog("debug", fmt, ap);
	va_end(ap);
}

void guard_log_report(const struct guard_error *err)
{
	if (err && err->message[0])
		guard_log_error("%s", err->message);
}

void guard_log_warn_once(const char *key, const char *fmt, ...)
{
	va_list ap;
	size_t i;
	bool seen = false;

	pthread_mutex_lock(&log_lock);
	for (i = 0; i < once_count; i++) {
		if (strcmp(once_keys[i], key) == 0) {
			seen = true;
			break;
		}
	}
	if (!seen && once_count < ONCE_KEYS_MAX) {
		once_keys[once_count] = strdup(key);
		if (once_keys[once_count])
			once_count++;
	}
	pthread_mutex_unlock(&log_lock);
	if (seen)
		return;

	va_start(ap, fmt);
	if (log_level >= GUARD_LOG_NORMAL)
		vlog("warning", fmt, ap);
	va_end(ap);
}

void guard_log_progress(const char *fmt, ...)
{
	va_list ap;

	if (log_level < GUARD_LOG_NORMAL || !isatty(STDERR_FILENO))
		return;

	pthread_mutex_lock(&log_lock);
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	progress_shown = true;
	pthread_mutex_unlock(&log_lock);
}

void guard_log_progress_done(void)
{
	pthread_mutex_lock(&log_lock);
	clear_progress_locked();
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

bool guard_log_color_stdout(void)
{
	const char *no_color = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(no_color && no_color[0]);
}
