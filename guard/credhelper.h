/* Docker credential helpers: the docker-credential-<name> programs that
 * keep registry secrets in a keychain (docker-credential-helpers protocol). */
#ifndef GUARD_CREDHELPER_H
#define GUARD_CREDHELPER_H

#include <stdbool.h>

#include "credentials.h"
#include "error.h"

/* How long a helper may take before it is killed. Helpers may wait for a
 * keyring to unlock, so this is generous. */
#define GUARD_CREDHELPER_TIMEOUT_MS 30000

enum guard_credhelper_status {
	GUARD_CREDHELPER_FOUND,
	GUARD_CREDHELPER_NOT_FOUND,	/* the helper has nothing for this server */
	GUARD_CREDHELPER_FAILED,	/* a warning was printed */
};

/* Runs "docker-credential-<helper> get" from PATH with server_url on stdin
 * and reads its response, killing it after timeout_ms. A "<token>" username
 * makes the secret an identity token. A helper that is missing, fails, is
 * too slow or prints something unreadable is a warning naming it (once per
 * helper and server), then GUARD_CREDHELPER_FAILED. Fails only when out of
 * memory. out is released by the caller. */
int guard_credhelper_get(const char *helper, const char *server_url, int timeout_ms,
			 struct guard_credential *out, enum guard_credhelper_status *status,
			 struct guard_error *err);

/* Finds program in PATH and returns its path, which the caller frees.
 * Relative PATH entries are skipped, as Go's exec.LookPath does since Go
 * 1.19, so a helper is never taken from the current folder. Returns NULL
 * when it is not found, and sets *oom when memory ran out. */
char *guard_credhelper_find(const char *program, bool *oom);

#endif
