#include "credentials.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
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

#define HUB_KEY "https://index.docker.io/v1/"
#define HUB_DOMAIN "docker.io"

/* config.json files are small; the cap only guards against reading a wrong file. */
#define AUTH_FILE_MAX (4u * 1024 * 1024)
#define HELPER_OUTPUT_MAX (64 * 1024)
#define HELPER_TIMEOUT_MS 30000
/* Longest helper error text quoted in a warning. */
#define HELPER_MESSAGE_MAX 200

/* Which program wrote an auth file. The docker CLI keys Docker Hub as
 * https://index.docker.io/v1/; podman and skopeo (containers-auth.json)
 * key it as docker.io. */
enum auth_file_kind {
	AUTH_FILE_DOCKER,
	AUTH_FILE_CONTAINERS,
};

/* What one source decided for the domain. */
enum lookup_outcome {
	LOOKUP_NONE,		/* nothing for this domain: ask the next source */
	LOOKUP_FOUND,		/* a credential: stop */
	LOOKUP_ANONYMOUS,	/* a configured helper failed: stop without one */
};

const char *guard_credentials_server_key(const char *domain)
{
	if (strcmp(domain, HUB_DOMAIN) == 0 || strcmp(domain, "index.docker.io") == 0)
		return HUB_KEY;
	return domain;
}

void guard_credential_release(struct guard_credential *credential)
{
	if (credential->password)
		guard_wipe(credential->password, strlen(credential->password));
	if (credential->identity_token)
		guard_wipe(credential->identity_token, strlen(credential->identity_token));
	if (credential->registry_token)
		guard_wipe(credential->registry_token, strlen(credential->registry_token));
	free(credential->username);
	free(credential->password);
	free(credential->identity_token);
	free(credential->registry_token);
	free(credential->source);
	memset(credential, 0, sizeof(*credential));
}

static int set_source(struct guard_credential *out, const char *source, struct guard_error *err)
{
	out->source = guard_strdup(source, err);
	return out->source ? 0 : -1;
}

/* Base64 -------------------------------------------------------------- */

static int base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes padded standard base64 as Go's base64.StdEncoding does, which
 * skips CR and LF. Returns the NUL-terminated bytes (the caller wipes and
 * frees them) or NULL when text is not valid base64 or memory ran out
 * (*oom tells which). */
static unsigned char *base64_decode(const char *text, size_t *len, bool *oom)
{
	size_t n = strlen(text), used = 0, out_len = 0, pad = 0, i;
	unsigned char *out = malloc(n / 4 * 3 + 4);
	unsigned quad[4];

	*oom = out == NULL;
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		int v;

		if (c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			if (used < 2)
				goto invalid;
			pad++;
			quad[used++] = 0;
		} else {
			v = base64_value(c);
			if (v < 0 || pad > 0)
				goto invalid;
			quad[used++] = (unsigned)v;
		}
		if (used == 4) {
			out[out_len++] = (unsigned char)(quad[0] << 2 | quad[1] >> 4);
			if (pad < 2)
				out[out_len++] = (unsigned char)((quad[1] & 0xf) << 4 | quad[2] >> 2);
			if (pad < 1)
				out[out_len++] = (unsigned char)((quad[2] & 0x3) << 6 | quad[3]);
			used = 0;
			if (pad > 0)
				break;
		}
	}
	/* Nothing but line breaks may follow the padding. */
	for (i++; i < n; i++)
		if (text[i] != '\r' && text[i] != '\n')
			goto invalid;
	if (used != 0)
		goto invalid;
	out[out_len] = '\0';
	*len = out_len;
	return out;

invalid:
	guard_wipe(out, n / 4 * 3 + 4);
	free(out);
	return NULL;
}

/* Auth file entries ---------------------------------------------------- */

static const char *string_member(json_t *object, const char *name)
{
	json_t *value = json_object_get(object, name);

	return json_is_string(value) ? json_string_value(value) : NULL;
}

/* Splits a decoded "auth" value the way the docker CLI does: at the first
 * colon, with a non-empty username and trailing NULs cut from the password. */
static int split_auth(char *decoded, size_t len, const char *origin, const char *key,
		      struct guard_credential *out, struct guard_error *err)
{
	char *colon;

	while (len > 0 && decoded[len - 1] == '\0')
		len--;
	colon = memchr(decoded, ':', len);
	if (!colon || colon == decoded)
		return guard_error_set(err, GUARD_ERR_PARSE,
				       "invalid credentials in '%s': auths.\"%s\".auth does not decode "
				       "to USERNAME:PASSWORD", origin, key);
	if (!out)
		return 0;
	out->username = guard_strndup(decoded, (size_t)(colon - decoded), err);
	if (!out->username)
		return -1;
	out->password = guard_strndup(colon + 1, len - (size_t)(colon - decoded) - 1, err);
	return out->password ? 0 : -1;
}

/* Decodes the "auth" member of an entry into out, or only checks it when
 * out is NULL. An absent or empty "auth" leaves out untouched. */
static int decode_auth(json_t *entry, const char *origin, const char *key,
		       struct guard_credential *out, struct guard_error *err)
{
	json_t *auth = json_object_get(entry, "auth");
	unsigned char *decoded;
	size_t len = 0;
	bool oom;
	int rc;

	if (!auth || json_is_null(auth))
		return 0;
	if (!json_is_string(auth))
		return guard_error_set(err, GUARD_ERR_PARSE,
				       "invalid credentials in '%s': auths.\"%s\".auth is not a string",
				       origin, key);
	if (json_string_length(auth) == 0)
		return 0;

	decoded = base64_decode(json_string_value(auth), &len, &oom);
	if (!decoded) {
		if (oom)
			return guard_error_oom(err);
		return guard_error_set(err, GUARD_ERR_PARSE,
				       "invalid credentials in '%s': auths.\"%s\".auth is not valid "
				       "base64", origin, key);
	}
	rc = split_auth((char *)decoded, len, origin, key, out, err);
	guard_wipe(decoded, len);
	free(decoded);
	return rc;
}

/* Checks the types of one auths entry, as the docker CLI does when it
 * loads the file, so a broken entry fails every look-up. */
static int check_entry(json_t *entry, const char *origin, const char *key,
		       struct guard_error *err)
{
	static const char *const strings[] = {
		"auth", "username", "password", "identitytoken", "registrytoken", "email",
		"serveraddress",
	};
	size_t i;

	if (!json_is_object(entry))
		return guard_error_set(err, GUARD_ERR_PARSE,
				       "invalid credentials in '%s': auths.\"%s\" is not an object",
				       origin, key);
	for (i = 0; i < GUARD_ARRAY_SIZE(strings); i++) {
		json_t *value = json_object_get(entry, strings[i]);

		if (value && !json_is_string(value) && !json_is_null(value))
			return guard_error_set(err, GUARD_ERR_PARSE,
					       "invalid credentials in '%s': auths.\"%s\".%s is not a "
					       "string", origin, key, strings[i]);
	}
	return decode_auth(entry, origin, key, NULL, err);
}

/* Fills out from an auths entry. A registry token wins over an identity
 * token, which wins over a username and password, so exactly one kind is
 * set. An entry with none of them ({} next to a credential store) leaves
 * *found false. */
static int read_entry(json_t *entry, const char *origin, const char *key, bool auth_only,
		      struct guard_credential *out, bool *found, struct guard_error *err)
{
	const char *registry_token = auth_only ? NULL : string_member(entry, "registrytoken");
	const char *identity_token = auth_only ? NULL : string_member(entry, "identitytoken");
	const char *username = auth_only ? NULL : string_member(entry, "username");
	const char *password = auth_only ? NULL : string_member(entry, "password");

	*found = false;
	if (registry_token && *registry_token) {
		out->registry_token = guard_strdup(registry_token, err);
		*found = out->registry_token != NULL;
		return *found ? 0 : -1;
	}
	if (identity_token && *identity_token) {
		out->identity_token = guard_strdup(identity_token, err);
		*found = out->identity_token != NULL;
		return *found ? 0 : -1;
	}

	if (decode_auth(entry, origin, key, out, err) < 0) {
		guard_credential_release(out);
		return -1;
	}
	if (out->username) {
		*found = true;
		return 0;
	}
	if (username && *username) {
		out->username = guard_strdup(username, err);
		out->password = guard_strdup(password ? password : "", err);
		if (!out->username || !out->password) {
			guard_credential_release(out);
			return -1;
		}
		*found = true;
	}
	return 0;
}

/* Returns the host part of an auths key as the docker CLI's
 * ConvertToHostname does: without "http://" or "https://" and without any
 * path. The result is written into host (size n). */
static void key_hostname(const char *key, char *host, size_t n, bool *had_scheme)
{
	const char *start = key;
	size_t len;

	*had_scheme = false;
	if (guard_has_prefix(key, "http://") || guard_has_prefix(key, "https://")) {
		start = strstr(key, "://") + 3;
		*had_scheme = true;
	}
	len = strcspn(start, "/");
	if (len >= n)
		len = n - 1;
	memcpy(host, start, len);
	host[len] = '\0';
}

/* Finds the entry for a domain. Docker files: the exact server key, else a
 * key whose host part is the domain (old logins wrote "https://host/v2/");
 * that fallback never maps docker.io to the Hub key. Containers files: the
 * domain, else a key with a scheme whose host part is the domain, where
 * index.docker.io also means docker.io. */
static json_t *find_entry(json_t *auths, const char *domain, enum auth_file_kind kind,
			  const char **entry_key)
{
	const char *key = kind == AUTH_FILE_DOCKER ? guard_credentials_server_key(domain) : domain;
	const char *candidate;
	json_t *value;
	char host[512];
	bool had_scheme;

	if (kind == AUTH_FILE_CONTAINERS && strcmp(domain, "index.docker.io") == 0)
		key = HUB_DOMAIN;
	value = json_object_get(auths, key);
	if (value) {
		*entry_key = key;
		return value;
	}

	json_object_foreach(auths, candidate, value) {
		key_hostname(candidate, host, sizeof(host), &had_scheme);
		/* NOTE: containers-auth.json keys without a scheme may name a
		 * namespace ("quay.io/org"); they only apply to that namespace, and
		 * look-ups here know the domain alone, so they are skipped. */
		if (kind == AUTH_FILE_CONTAINERS) {
			if (!had_scheme)
				continue;
			if (strcmp(host, "index.docker.io") == 0)
				memcpy(host, HUB_DOMAIN, sizeof(HUB_DOMAIN));
		}
		if (strcmp(host, key) == 0) {
			*entry_key = candidate;
			return value;
		}
	}
	return NULL;
}

/* Credential helpers ---------------------------------------------------- */

enum helper_status {
	HELPER_FOUND,
	HELPER_NOT_FOUND,	/* the helper has nothing for this server */
	HELPER_FAILED,		/* a warning was printed */
};

/* What a helper prints on stdout, with exit status 1, when it holds no
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

/* Finds program in PATH. Relative PATH entries are skipped, as Go's
 * exec.LookPath does since Go 1.19, so a helper is never taken from the
 * current folder. Returns NULL when it is not found (*oom tells OOM). */
static char *find_in_path(const char *program, bool *oom)
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

/* Reads the helper's stdout until EOF, the cap or the deadline. */
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
	snprintf(cause, cause_len, "timed out after %d ms", timeout_ms);
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
			snprintf(cause, cause_len, "timed out after %d ms", timeout_ms);
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
 * that looks like a JSON answer is left out, as it may hold the secret. */
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
			      struct guard_credential *out, enum helper_status *status,
			      char *cause, size_t cause_len, struct guard_error *err)
{
	const char *username = NULL, *secret = NULL, *name;
	json_t *root, *value;
	int rc = -1;

	root = json_loadb(output, len, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		snprintf(cause, cause_len, "its output is not a JSON object");
		*status = HELPER_FAILED;
		return 0;
	}
	json_object_foreach(root, name, value) {
		if (strcasecmp(name, "Username") == 0 && json_is_string(value))
			username = json_string_value(value);
		else if (strcasecmp(name, "Secret") == 0 && json_is_string(value))
			secret = json_string_value(value);
	}

	*status = HELPER_NOT_FOUND;
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
	*status = HELPER_FOUND;
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
		      struct guard_credential *out, enum helper_status *status, char *cause,
		      size_t cause_len, struct guard_error *err)
{
	char *program = NULL, *path = NULL, *output = NULL, *text;
	int in_fd = -1, out_fd = -1, exit_status = 0, rc = -1;
	uint64_t deadline;
	size_t len = 0, i;
	pid_t pid;
	bool oom;

	*status = HELPER_FAILED;
	if (asprintf(&program, "docker-credential-%s", helper) < 0)
		return guard_error_oom(err);
	if (!helper_name_valid(helper)) {
		snprintf(cause, cause_len, "the helper name is not a plain program name");
		rc = 0;
		goto done;
	}
	path = find_in_path(program, &oom);
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
	if (read_helper_output(out_fd, deadline, timeout_ms, output, HELPER_OUTPUT_MAX, &len,
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
			*status = HELPER_NOT_FOUND;
	if (*status == HELPER_FAILED)
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

/* Runs a helper and warns, once per helper and server, when it failed. */
static int ask_helper(const char *helper, const char *server_url, int timeout_ms,
		      struct guard_credential *out, enum helper_status *status,
		      struct guard_error *err)
{
	char cause[512] = "";
	char *once_key = NULL;

	if (run_helper(helper, server_url, timeout_ms, out, status, cause, sizeof(cause), err) < 0)
		return -1;
	if (*status != HELPER_FAILED)
		return 0;

	if (asprintf(&once_key, "credential-helper %s %s", helper, server_url) < 0)
		return guard_error_oom(err);
	guard_log_warn_once(once_key,
			    "credential helper 'docker-credential-%s' failed for '%s': %s; "
			    "continuing without credentials", helper, server_url, cause);
	free(once_key);
	return 0;
}

int guard_credentials_run_helper(const char *helper, const char *server_url, int timeout_ms,
				 struct guard_credential *out, bool *found,
				 struct guard_error *err)
{
	enum helper_status status;

	memset(out, 0, sizeof(*out));
	*found = false;
	if (ask_helper(helper, server_url, timeout_ms, out, &status, err) < 0)
		return -1;
	*found = status == HELPER_FOUND;
	return 0;
}


/* Loading files -------------------------------------------------------- */

/* Parses JSON text that may hold secrets; the text is wiped by the caller. */
static json_t *parse_json(const char *text, size_t len, const char *origin,
			  struct guard_error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr);

	if (!root) {
		guard_error_set(err, GUARD_ERR_PARSE, "invalid JSON in '%s': line %d: %s", origin,
				jerr.line, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		guard_error_set(err, GUARD_ERR_PARSE, "invalid JSON in '%s': expected an object",
				origin);
		return NULL;
	}
	return root;
}

/* Reads an auth file. A missing file sets *root to NULL and is no error. */
static int load_auth_file(const char *path, json_t **root, struct guard_error *err)
{
	char *data = NULL;
	size_t len = 0;

	*root = NULL;
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	if (guard_read_file(path, AUTH_FILE_MAX, &data, &len, err) < 0)
		return guard_error_prefix(err, "reading registry credentials");
	*root = parse_json(data, len, path, err);
	guard_wipe(data, len);
	free(data);
	return *root ? 0 : -1;
}

/* Checks the top-level members guard reads and every auths entry. */
static int check_auth_file(json_t *root, const char *origin, struct guard_error *err)
{
	json_t *auths = json_object_get(root, "auths");
	json_t *helpers = json_object_get(root, "credHelpers");
	json_t *store = json_object_get(root, "credsStore");
	const char *key;
	json_t *value;

	if (store && !json_is_string(store) && !json_is_null(store))
		return guard_error_set(err, GUARD_ERR_PARSE,
				       "invalid credentials in '%s': credsStore is not a string", origin);
	if (helpers && !json_is_null(helpers)) {
		if (!json_is_object(helpers))
			return guard_error_set(err, GUARD_ERR_PARSE,
					       "invalid credentials in '%s': credHelpers is not an object",
					       origin);
		json_object_foreach(helpers, key, value)
			if (!json_is_string(value))
				return guard_error_set(err, GUARD_ERR_PARSE,
						       "invalid credentials in '%s': credHelpers.\"%s\" is "
						       "not a string", origin, key);
	}
	if (!auths || json_is_null(auths))
		return 0;
	if (!json_is_object(auths))
		return guard_error_set(err, GUARD_ERR_PARSE,
				       "invalid credentials in '%s': auths is not an object", origin);
	json_object_foreach(auths, key, value)
		if (check_entry(value, origin, key, err) < 0)
			return -1;
	return 0;
}

/* The credential helper configured for a domain: credHelpers[key], else
 * credsStore. NULL when there is none. */
static const char *configured_helper(json_t *root, const char *key)
{
	const char *helper = string_member(json_object_get(root, "credHelpers"), key);

	if (helper && *helper)
		return helper;
	helper = string_member(root, "credsStore");
	return helper && *helper ? helper : NULL;
}

/* Looks the domain up in one auth file, in docker's order: a configured
 * helper decides alone (the file's plaintext entry for the host is then not
 * used), else the auths entry. */
static int lookup_file(const char *path, enum auth_file_kind kind, const char *domain,
		       struct guard_credential *out, enum lookup_outcome *outcome,
		       struct guard_error *err)
{
	const char *key = kind == AUTH_FILE_DOCKER ? guard_credentials_server_key(domain) : domain;
	const char *helper, *entry_key = NULL;
	json_t *root, *entry;
	char *source = NULL;
	bool found = false;
	int rc = -1;

	*outcome = LOOKUP_NONE;
	if (load_auth_file(path, &root, err) < 0)
		return -1;
	if (!root)
		return 0;
	if (check_auth_file(root, path, err) < 0)
		goto done;

	helper = configured_helper(root, key);
	if (helper) {
		enum helper_status status;

		if (ask_helper(helper, key, HELPER_TIMEOUT_MS, out, &status, err) < 0)
			goto done;
		/* A helper without credentials for the host lets the next file
		 * answer; a failed helper was reported and means anonymous. */
		if (status == HELPER_FOUND)
			*outcome = LOOKUP_FOUND;
		else if (status == HELPER_FAILED)
			*outcome = LOOKUP_ANONYMOUS;
		rc = 0;
		goto done;
	}

	entry = find_entry(json_object_get(root, "auths"), domain, kind, &entry_key);
	if (entry && read_entry(entry, path, entry_key, false, out, &found, err) < 0)
		goto done;
	if (found) {
		if (asprintf(&source, "%s auths", path) < 0) {
			source = NULL;
			guard_credential_release(out);
			guard_error_oom(err);
			goto done;
		}
		out->source = source;
		*outcome = LOOKUP_FOUND;
	}
	rc = 0;

done:
	json_decref(root);
	return rc;
}

/* DOCKER_AUTH_CONFIG holds {"auths": {...}}; docker CLI 28.3 and later read
 * only the "auth" member of its entries and consult it before any file. */
static int lookup_env(const char *domain, struct guard_credential *out,
		      enum lookup_outcome *outcome, struct guard_error *err)
{
	const char *text = getenv("DOCKER_AUTH_CONFIG");
	const char *entry_key = NULL;
	json_t *root, *auths, *entry;
	bool found = false;
	int rc = -1;

	*outcome = LOOKUP_NONE;
	if (!text || !*text)
		return 0;
	root = parse_json(text, strlen(text), "DOCKER_AUTH_CONFIG", err);
	if (!root)
		return -1;

	auths = json_object_get(root, "auths");
	if (auths && !json_is_null(auths) && !json_is_object(auths)) {
		guard_error_set(err, GUARD_ERR_PARSE,
				"invalid credentials in 'DOCKER_AUTH_CONFIG': auths is not an object");
		goto done;
	}
	if (check_auth_file(root, "DOCKER_AUTH_CONFIG", err) < 0)
		goto done;
	entry = auths ? find_entry(auths, domain, AUTH_FILE_DOCKER, &entry_key) : NULL;
	if (entry && read_entry(entry, "DOCKER_AUTH_CONFIG", entry_key, true, out, &found, err) < 0)
		goto done;
	if (found) {
		if (set_source(out, "DOCKER_AUTH_CONFIG", err) < 0) {
			guard_credential_release(out);
			goto done;
		}
		*outcome = LOOKUP_FOUND;
	}
	rc = 0;

done:
	json_decref(root);
	return rc;
}

static const char *home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home && *home)
		return home;
	pw = getpwuid(getuid());
	return pw ? pw->pw_dir : NULL;
}

/* Returns prefix joined with suffix (prefix alone when suffix is empty) in
 * a new string, or NULL when prefix is unset or empty. *oom reports a
 * failed allocation. */
static char *path_under(const char *prefix, const char *suffix, bool *oom)
{
	char *path;

	*oom = false;
	if (!prefix || !*prefix)
		return NULL;
	path = *suffix ? guard_path_join(prefix, suffix) : strdup(prefix);
	*oom = path == NULL;
	return path;
}

/* The auth files in the order they are consulted. Docker's file comes
 * first because guard follows docker's behaviour; the files podman and
 * skopeo write follow, in the order those tools read them. */
static int lookup_files(const char *domain, struct guard_credential *out,
			enum lookup_outcome *outcome, struct guard_error *err)
{
	struct {
		const char *prefix;
		const char *suffix;
		enum auth_file_kind kind;
	} sources[] = {
		{ getenv("DOCKER_CONFIG"), "config.json", AUTH_FILE_DOCKER },
		{ NULL, ".docker/config.json", AUTH_FILE_DOCKER },
		{ getenv("REGISTRY_AUTH_FILE"), "", AUTH_FILE_CONTAINERS },
		{ getenv("XDG_RUNTIME_DIR"), "containers/auth.json", AUTH_FILE_CONTAINERS },
		{ home_dir(), ".config/containers/auth.json", AUTH_FILE_CONTAINERS },
	};
	size_t i;

	/* DOCKER_CONFIG replaces ~/.docker, as in the docker CLI. */
	if (!sources[0].prefix || !*sources[0].prefix)
		sources[1].prefix = home_dir();

	*outcome = LOOKUP_NONE;
	for (i = 0; i < GUARD_ARRAY_SIZE(sources); i++) {
		char *path;
		bool oom;
		int rc;

		path = path_under(sources[i].prefix, sources[i].suffix, &oom);
		if (oom)
			return guard_error_oom(err);
		if (!path)
			continue;
		rc = lookup_file(path, sources[i].kind, domain, out, outcome, err);
		free(path);
		if (rc < 0 || *outcome != LOOKUP_NONE)
			return rc;
	}
	return 0;
}

int guard_credentials_lookup(const char *domain, struct guard_credential *out, bool *found,
			     struct guard_error *err)
{
	enum lookup_outcome outcome;

	memset(out, 0, sizeof(*out));
	*found = false;

	if (lookup_env(domain, out, &outcome, err) < 0)
		return -1;
	if (outcome == LOOKUP_NONE && lookup_files(domain, out, &outcome, err) < 0)
		return -1;
	*found = outcome == LOOKUP_FOUND;
	if (*found)
		guard_log_debug("registry credentials for '%s' from %s", domain, out->source);
	return 0;
}
