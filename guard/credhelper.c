#include "credhelper.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

extern char **environ;

#define HELPER_OUTPUT_MAX (64 * 1024)
/* Maximum length of helper error text quoted in a warning. */
#define HELPER_MESSAGE_MAX 200

/* What a helper prints on stdout, with exit status 1, when it has no
 * credentials for the server (docker-credential-helpers). The last two
 * come from helpers that reject an empty request; clients treat them the
 * same way. */
static const char *const helper_not_found_messages[] = {
	"credentials not found in native keychain",
	"no credentials server URL",
	"no credentials username",
};

/* Helper names become part of a program name looked up in PATH, so they
 * may not name a path. */
static bool helper_name_valid(const char *name)
{
	const char *p;

	if (!*name || name[0] == '.')
		return false;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	return true;
}

char *guard_credhelper_find(const char *program, bool *oom)
{
	const char *path = getenv("PATH");
	const char *dir, *end;

	*oom = false;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (dir = path; *dir; dir = *end ? end + 1 : end) {
		struct stat st;
		char *candidate;

		end = strchr(dir, ':');
		if (!end)
			end = dir + strlen(dir);
		if (dir[0] != '/')
			continue;
		if (asprintf(&candidate, "%.*s/%s", (int)(end - dir), dir, program) < 0) {
			*oom = true;
			return NULL;
		}
		if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(candidate, X_OK) == 0)
			return candidate;
		free(candidate);
	}
	return NULL;
}

/* Writes data to a pipe with SIGPIPE blocked in this thread, so a helper
 * that exits without reading its input cannot kill guard. Write errors
 * are ignored: the helper's exit status and output tell what happened. */
static void write_request(int fd, const char *data, size_t len)
{
	sigset_t pipe_set, old_set, pending;
	struct timespec zero = { 0, 0 };
	bool was_pending;
	bool broken = false;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE) == 1;

	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			broken = errno == EPIPE;
			break;
		}
		data += n;
		len -= (size_t)n;
	}

	if (broken && !was_pending)
		sigtimedwait(&pipe_set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);
}

/* Starts program with its stdin and stdout on pipes; stderr is inherited
 * so the helper's own messages reach the user, as with the docker CLI. */
static int spawn_helper(const char *path, const char *program, pid_t *pid, int *in_fd,
			int *out_fd, char *cause, size_t cause_len)
{
	char *argv[] = { (char *)program, (char *)"get", NULL };
	posix_spawn_file_actions_t actions;
	int in_pipe[2], out_pipe[2];
	int rc;

	if (pipe2(in_pipe, O_CLOEXEC) < 0) {
		snprintf(cause, cause_len, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(out_pipe, O_CLOEXEC) < 0) {
		snprintf(cause, cause_len, "cannot create a pipe: %s", strerror(errno));
		close(in_pipe[0]);
		close(in_pipe[1]);
		return -1;
	}

	rc = posix_spawn_file_actions_init(&actions);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
	if (rc == 0)
		rc = posix_spawn(pid, path, &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(in_pipe[0]);
	close(out_pipe[1]);
	if (rc != 0) {
		snprintf(cause, cause_len, "cannot run it: %s", strerror(rc));
		close(in_pipe[1]);
		close(out_pipe[0]);
		return -1;
	}
	*in_fd = in_pipe[1];
	*out_fd = out_pipe[0];
	return 0;
}

/* Describes a timeout in seconds when it is a whole number of them. */
static void describe_timeout(int timeout_ms, char *cause, size_t cause_len)
{
	if (timeout_ms % 1000 == 0)
		snprintf(cause, cause_len, "timed out after %d s", timeout_ms / 1000);
	else
		snprintf(cause, cause_len, "timed out after %d ms", timeout_ms);
}

/* Reads the helper's stdout until EOF, the deadline, or cap bytes, which
 * is one byte more than the output may have. */
static int read_helper_output(int fd, uint64_t deadline, int timeout_ms, char *buf, size_t cap,
			      size_t *len, char *cause, size_t cause_len)
{
	*len = 0;
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		uint64_t now = guard_now_ms();
		ssize_t n;
		int rc;

		if (now >= deadline)
			goto timeout;
		rc = poll(&pfd, 1, (int)(deadline - now));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			snprintf(cause, cause_len, "cannot read its output: %s", strerror(errno));
			return -1;
		}
		if (rc == 0)
			goto timeout;

		n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(cause, cause_len, "cannot read its output: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		*len += (size_t)n;
		if (*len == cap) {
			snprintf(cause, cause_len, "its output exceeds the limit of %d KiB",
				 HELPER_OUTPUT_MAX / 1024);
			return -1;
		}
	}

timeout:
	describe_timeout(timeout_ms, cause, cause_len);
	return -1;
}

/* Waits for the helper to exit until the deadline, then kills it. */
static int wait_helper(pid_t pid, uint64_t deadline, int timeout_ms, int *status, char *cause,
		       size_t cause_len)
{
	struct timespec pause = { 0, 5 * 1000 * 1000 };

	for (;;) {
		pid_t done = waitpid(pid, status, WNOHANG);

		if (done == pid)
			return 0;
		if (done < 0 && errno != EINTR) {
			snprintf(cause, cause_len, "cannot wait for it: %s", strerror(errno));
			return -1;
		}
		if (guard_now_ms() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			describe_timeout(timeout_ms, cause, cause_len);
			return -1;
		}
		nanosleep(&pause, NULL);
	}
}

static void kill_helper(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Trims ASCII whitespace from both ends of text[0..len) in place. */
static char *trim(char *text, size_t *len)
{
	while (*len > 0 && isspace((unsigned char)text[*len - 1]))
		(*len)--;
	text[*len] = '\0';
	while (*len > 0 && isspace((unsigned char)*text)) {
		text++;
		(*len)--;
	}
	return text;
}

/* Describes a failed helper run: its exit status and the first line of
 * what it printed, because helpers print their errors on stdout. Output
 * that looks like a JSON response is left out because it may contain the
 * secret. */
static void describe_exit(int status, const char *output, char *cause, size_t cause_len)
{
	char message[HELPER_MESSAGE_MAX + 1];
	size_t n = 0;

	if (WIFSIGNALED(status)) {
		snprintf(cause, cause_len, "killed by signal %d", WTERMSIG(status));
		return;
	}
	if (output[0] != '{') {
		for (; output[n] && output[n] != '\n' && n < HELPER_MESSAGE_MAX; n++)
			message[n] = isprint((unsigned char)output[n]) ? output[n] : '?';
	}
	message[n] = '\0';
	if (n > 0)
		snprintf(cause, cause_len, "exit status %d: %s", WEXITSTATUS(status), message);
	else
		snprintf(cause, cause_len, "exit status %d", WEXITSTATUS(status));
}

/* Reads {"ServerURL","Username","Secret"}. Go's encoding/json matches
 * member names case-insensitively, so helpers may print any case. */
static int read_helper_answer(const char *output, size_t len, const char *program,
			      struct guard_credential *out, enum guard_credhelper_status *status,
			      char *cause, size_t cause_len, struct guard_error *err)
{
	const char *username = NULL, *secret = NULL, *name;
	json_t *root, *value;
	int rc = -1;

	root = json_loadb(output, len, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		snprintf(cause, cause_len, "its output is not a JSON object");
		*status = GUARD_CREDHELPER_FAILED;
		return 0;
	}
	json_object_foreach(root, name, value) {
		if (strcasecmp(name, "Username") == 0 && json_is_string(value))
			username = json_string_value(value);
		else if (strcasecmp(name, "Secret") == 0 && json_is_string(value))
			secret = json_string_value(value);
	}

	*status = GUARD_CREDHELPER_NOT_FOUND;
	if ((!username || !*username) && (!secret || !*secret)) {
		rc = 0;
		goto done;
	}
	if (username && strcmp(username, "<token>") == 0) {
		out->identity_token = guard_strdup(secret ? secret : "", err);
		if (!out->identity_token)
			goto done;
	} else {
		out->username = guard_strdup(username ? username : "", err);
		out->password = guard_strdup(secret ? secret : "", err);
		if (!out->username || !out->password)
			goto done;
	}
	if (asprintf(&out->source, "credential helper %s", program) < 0) {
		out->source = NULL;
		guard_error_oom(err);
		goto done;
	}
	*status = GUARD_CREDHELPER_FOUND;
	rc = 0;

done:
	/* NOTE: jansson frees its copies of the strings without wiping them. */
	json_decref(root);
	if (rc < 0)
		guard_credential_release(out);
	return rc;
}

/* Runs the helper once and sorts the result into found, not found or
 * failed; cause describes a failure. */
static int run_helper(const char *helper, const char *server_url, int timeout_ms,
		      struct guard_credential *out, enum guard_credhelper_status *status, char *cause,
		      size_t cause_len, struct guard_error *err)
{
	char *program = NULL, *path = NULL, *output = NULL, *text;
	int in_fd = -1, out_fd = -1, exit_status = 0, rc = -1;
	uint64_t deadline;
	size_t len = 0, i;
	pid_t pid;
	bool oom;

	*status = GUARD_CREDHELPER_FAILED;
	if (asprintf(&program, "docker-credential-%s", helper) < 0)
		return guard_error_oom(err);
	if (!helper_name_valid(helper)) {
		snprintf(cause, cause_len, "the helper name is not a plain program name");
		rc = 0;
		goto done;
	}
	path = guard_credhelper_find(program, &oom);
	if (!path) {
		if (oom) {
			guard_error_oom(err);
			goto done;
		}
		snprintf(cause, cause_len, "not found in PATH");
		rc = 0;
		goto done;
	}
	output = malloc(HELPER_OUTPUT_MAX + 1);
	if (!output) {
		guard_error_oom(err);
		goto done;
	}

	rc = 0;
	deadline = guard_now_ms() + (uint64_t)timeout_ms;
	if (spawn_helper(path, program, &pid, &in_fd, &out_fd, cause, cause_len) < 0)
		goto done;
	write_request(in_fd, server_url, strlen(server_url));
	close(in_fd);
	if (read_helper_output(out_fd, deadline, timeout_ms, output, HELPER_OUTPUT_MAX + 1, &len,
			       cause, cause_len) < 0) {
		kill_helper(pid);
		goto done;
	}
	if (wait_helper(pid, deadline, timeout_ms, &exit_status, cause, cause_len) < 0)
		goto done;

	text = trim(output, &len);
	if (WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0) {
		rc = read_helper_answer(text, len, program, out, status, cause, cause_len, err);
		goto done;
	}
	for (i = 0; i < GUARD_ARRAY_SIZE(helper_not_found_messages); i++)
		if (strcmp(text, helper_not_found_messages[i]) == 0)
			*status = GUARD_CREDHELPER_NOT_FOUND;
	if (*status == GUARD_CREDHELPER_FAILED)
		describe_exit(exit_status, text, cause, cause_len);

done:
	if (out_fd >= 0)
		close(out_fd);
	if (output) {
		guard_wipe(output, HELPER_OUTPUT_MAX + 1);
		free(output);
	}
	free(path);
	free(program);
	return rc;
}

int guard_credhelper_get(const char *helper, const char *server_url, int timeout_ms,
			struct guard_credential *out, enum guard_credhelper_status *status,
			struct guard_error *err)
{
	char cause[512] = "";
	char *once_key = NULL;

	memset(out, 0, sizeof(*out));

	if (run_helper(helper, server_url, timeout_ms, out, status, cause, sizeof(cause), err) < 0)
		return -1;
	if (*status != GUARD_CREDHELPER_FAILED)
		return 0;

	if (asprintf(&once_key, "credential-helper %s %s", helper, server_url) < 0)
		return guard_error_oom(err);
	guard_log_warn_once(once_key,
			    "credential helper 'docker-credential-%s' failed for '%s': %s; "
			    "continuing without credentials", helper, server_url, cause);
	free(once_key);
	return 0;
}
