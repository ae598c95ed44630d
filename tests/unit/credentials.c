/* Unit tests of registry credential look-up: config.json fixtures, the
 * podman and skopeo auth files, DOCKER_AUTH_CONFIG and credential helper
 * scripts written into a scratch folder. */
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

#include "credentials.h"
#include "credhelper.h"
#include "error.h"
#include "util.h"

static char scratch[] = "/tmp/guard-creds-XXXXXX";
static char docker_dir[64], bin_dir[64], home_dir[64], xdg_dir[64], sys_dir[64];

/* Every secret the fixtures contain; none may reach stderr. */
static const char *const secrets[] = {
	"pa:ss", "plain-pass", "refresh-token-value", "registry-token-value",
	"helper-secret-value", "store-secret-value", "token-secret-value", "hub-pass",
	"legacy-pass", "env-pass", "podman-pass", "xdg-pass", "home-pass",
	"failing-secret-value",
};

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void write_docker_config(const char *json)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/config.json", docker_dir);
	write_file(path, json, 0600);
}

static void write_helper(const char *name, const char *body)
{
	char path[700], script[2048];

	snprintf(path, sizeof(path), "%s/docker-credential-%s", bin_dir, name);
	snprintf(script, sizeof(script), "#!/bin/sh\n%s\n", body);
	write_file(path, script, 0755);
}

/* Looks a domain up and returns 0 or -1; fills cred, found and err. */
static int lookup(const char *domain, struct guard_credential *cred, bool *found,
		  struct guard_error *err)
{
	guard_error_clear(err);
	return guard_credentials_lookup(domain, cred, found, err);
}

/* Runs a helper directly, with a timeout of the test's choice. */
static int run_helper(const char *helper, const char *server_url, int timeout_ms,
		      struct guard_credential *cred, bool *found, struct guard_error *err)
{
	enum guard_credhelper_status status;
	int rc = guard_credhelper_get(helper, server_url, timeout_ms, cred, &status, err);

	*found = status == GUARD_CREDHELPER_FOUND;
	return rc;
}

/* stderr goes to a file while the tests run, so warnings can be checked. */
static char stderr_path[600];
static int saved_stderr = -1;

static void capture_stderr(void)
{
	int fd;

	snprintf(stderr_path, sizeof(stderr_path), "%s/stderr.txt", scratch);
	fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

/* Returns what was written to stderr since capture_stderr and keeps capturing. */
static char *captured_stderr(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	char *data = NULL;
	size_t len;

	fflush(stderr);
	if (guard_read_file(stderr_path, 1 << 20, &data, &len, &err) < 0)
		return strdup("");
	return data;
}

static void restore_stderr(void)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
}

static int count_lines_with(const char *text, const char *needle)
{
	int n = 0;

	while ((text = strstr(text, needle)) != NULL) {
		n++;
		text += strlen(needle);
	}
	return n;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void test_auth_forms(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_credential cred;
	bool found;

	write_docker_config("{\"auths\": {"
			    "\"colon.example\": {\"auth\": \"YWxpY2U6cGE6c3M=\"},"
			    "\"plain.example\": {\"username\": \"bob\", \"password\": \"plain-pass\"},"
			    "\"identity.example\": {\"auth\": \"\", \"identitytoken\": \"refresh-token-value\"},"
			    "\"registry.example:5000\": {\"registrytoken\": \"registry-token-value\"},"
			    "\"nuls.example\": {\"auth\": \"dXNlcjpwYXNzAAA=\"},"
			    "\"wrapped.example\": {\"auth\": \"aHViLXVzZXI6\\r\\naHViLXBhc3M=\\n\"},"
			    "\"empty.example\": {}"
			    "}}");

	TAP_IS_INT(lookup("colon.example", &cred, &found, &err), 0, "auth entry: look-up succeeds");
	TAP_OK(found, "auth entry: found");
	TAP_IS_STR(cred.username, "alice", "auth entry: username before the first colon");
	TAP_IS_STR(cred.password, "pa:ss", "auth entry: password keeps later colons");
	TAP_OK(cred.source && strstr(cred.source, "config.json"), "auth entry: source names the file");
	guard_credential_release(&cred);

	lookup("plain.example", &cred, &found, &err);
	TAP_OK(found, "username and password fields: found");
	TAP_IS_STR(cred.username, "bob", "username field");
	TAP_IS_STR(cred.password, "plain-pass", "password field");
	guard_credential_release(&cred);

	lookup("identity.example", &cred, &found, &err);
	TAP_OK(found, "identitytoken: found");
	TAP_IS_STR(cred.identity_token, "refresh-token-value", "identitytoken is the identity token");
	TAP_OK(cred.password == NULL && cred.registry_token == NULL, "identitytoken: only one kind set");
	guard_credential_release(&cred);

	lookup("registry.example:5000", &cred, &found, &err);
	TAP_OK(found, "registrytoken with a port in the key: found");
	TAP_IS_STR(cred.registry_token, "registry-token-value", "registrytoken is the registry token");
	guard_credential_release(&cred);

	lookup("nuls.example", &cred, &found, &err);
	TAP_IS_STR(cred.password, "pass", "trailing NULs are cut from the password");
	guard_credential_release(&cred);

	lookup("wrapped.example", &cred, &found, &err);
	TAP_IS_STR(cred.password, "hub-pass", "line breaks inside base64 are skipped");
	guard_credential_release(&cred);

	TAP_IS_INT(lookup("empty.example", &cred, &found, &err), 0, "empty entry without a store: no error");
	TAP_OK(!found, "empty entry without a store: not found");
	guard_credential_release(&cred);

	TAP_IS_INT(lookup("other.example", &cred, &found, &err), 0, "unknown host: no error");
	TAP_OK(!found, "unknown host: not found");
	guard_credential_release(&cred);
}

static void test_hub_and_legacy_keys(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_credential cred;
	bool found;

	TAP_IS_STR(guard_credentials_server_key("docker.io"), "https://index.docker.io/v1/",
		   "docker.io maps to the Hub key");
	TAP_IS_STR(guard_credentials_server_key("index.docker.io"), "https://index.docker.io/v1/",
		   "index.docker.io maps to the Hub key");
	TAP_IS_STR(guard_credentials_server_key("ghcr.io"), "ghcr.io", "other domains are their own key");

	write_docker_config("{\"auths\": {"
			    "\"https://index.docker.io/v1/\": {\"auth\": \"aHViLXVzZXI6aHViLXBhc3M=\"},"
			    "\"https://legacy.example/v2/\": {\"auth\": \"bGVnYWN5OmxlZ2FjeS1wYXNz\"},"
			    "\"http://old.example:5000\": {\"auth\": \"bGVnYWN5OmxlZ2FjeS1wYXNz\"}"
			    "}}");
	lookup("docker.io", &cred, &found, &err);
	TAP_OK(found, "docker.io uses the Hub key");
	TAP_IS_STR(cred.username, "hub-user", "Hub username");
	guard_credential_release(&cred);

	lookup("index.docker.io", &cred, &found, &err);
	TAP_OK(found, "index.docker.io uses the Hub key");
	guard_credential_release(&cred);

	lookup("legacy.example", &cred, &found, &err);
	TAP_OK(found, "legacy https://host/v2/ key matches the host");
	TAP_IS_STR(cred.username, "legacy", "legacy key username");
	guard_credential_release(&cred);

	lookup("old.example:5000", &cred, &found, &err);
	TAP_OK(found, "legacy http://host:port key matches the host and port");
	guard_credential_release(&cred);

	lookup("old.example", &cred, &found, &err);
	TAP_OK(!found, "host without the port does not match host:port");
	guard_credential_release(&cred);

	write_docker_config("{\"auths\": {\"docker.io\": {\"auth\": \"aHViLXVzZXI6aHViLXBhc3M=\"}}}");
	lookup("docker.io", &cred, &found, &err);
	TAP_OK(!found, "a docker.io key in config.json is not the Hub key");
	guard_credential_release(&cred);
}

static void test_bad_entries(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_credential cred;
	bool found;

	write_docker_config("{\"auths\": {"
			    "\"good.example\": {\"auth\": \"aHViLXVzZXI6aHViLXBhc3M=\"},"
			    "\"bad.example\": {\"auth\": \"not base64!\"}}}");
	TAP_IS_INT(lookup("good.example", &cred, &found, &err), -1,
		   "bad base64 fails the whole file, even for another host");
	TAP_IS_INT(err.code, GUARD_ERR_PARSE, "bad base64 is a parse error");
	TAP_OK(strstr(err.message, "config.json") != NULL, "bad base64 error names the file");
	TAP_OK(strstr(err.message, "bad.example") != NULL, "bad base64 error names the key");
	TAP_OK(!found, "bad base64: not found");
	guard_credential_release(&cred);

	write_docker_config("{\"auths\": {\"x.example\": {\"auth\": \"aHViLXVzZXI6aHViLXBhc3M\"}}}");
	TAP_IS_INT(lookup("x.example", &cred, &found, &err), -1, "unpadded base64 is rejected");
	guard_credential_release(&cred);

	write_docker_config("{\"auths\": {\"x.example\": {\"auth\": \"bm9jb2xvbg==\"}}}");
	TAP_IS_INT(lookup("x.example", &cred, &found, &err), -1, "auth without a colon is rejected");
	TAP_OK(strstr(err.message, "USERNAME:PASSWORD") != NULL, "no colon: error says what is expected");
	guard_credential_release(&cred);

	write_docker_config("{\"auths\": {\"x.example\": {\"auth\": \"Om5vdXNlcg==\"}}}");
	TAP_IS_INT(lookup("x.example", &cred, &found, &err), -1, "auth with an empty username is rejected");
	guard_credential_release(&cred);

	write_docker_config("{\"auths\": [");
	TAP_IS_INT(lookup("x.example", &cred, &found, &err), -1, "invalid JSON is an error");
	TAP_OK(strstr(err.message, "config.json") != NULL, "invalid JSON error names the file");
	guard_credential_release(&cred);

	write_docker_config("{\"credHelpers\": {\"x.example\": 5}}");
	TAP_IS_INT(lookup("x.example", &cred, &found, &err), -1, "non-string credHelpers value is an error");
	guard_credential_release(&cred);

	write_docker_config("");
	TAP_IS_INT(lookup("x.example", &cred, &found, &err), -1, "empty config.json is an error");
	guard_credential_release(&cred);
}

static void test_helpers(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_credential cred;
	char *text;
	bool found;

	write_helper("teststore",
		     "url=$(cat)\n"
		     "printf '{\"ServerURL\":\"%s\",\"Username\":\"%s\",\"Secret\":\"store-secret-value\"}' "
		     "\"$url\" \"$url\"");
	write_helper("testhelper",
		     "test \"$1\" = get || exit 3\n"
		     "cat >/dev/null\n"
		     "echo '{\"serverurl\":\"x\",\"username\":\"helper-user\",\"secret\":\"helper-secret-value\"}'");
	write_helper("tokenhelper",
		     "cat >/dev/null\n"
		     "echo '{\"Username\":\"<token>\",\"Secret\":\"token-secret-value\"}'");
	write_helper("nonehelper",
		     "cat >/dev/null\n"
		     "echo 'credentials not found in native keychain'\nexit 1");

	write_docker_config("{\"credsStore\": \"teststore\","
			    " \"credHelpers\": {\"ecr.example\": \"testhelper\","
			    "  \"token.example\": \"tokenhelper\", \"none.example\": \"nonehelper\","
			    "  \"https://index.docker.io/v1/\": \"testhelper\"},"
			    " \"auths\": {\"store.example\": {},"
			    "  \"none.example\": {\"auth\": \"aHViLXVzZXI6aHViLXBhc3M=\"}}}");

	lookup("store.example", &cred, &found, &err);
	TAP_OK(found, "{} with credsStore asks the store");
	TAP_IS_STR(cred.username, "store.example", "the store receives the server key on stdin");
	TAP_IS_STR(cred.password, "store-secret-value", "the store's secret is the password");
	TAP_OK(cred.source && strstr(cred.source, "docker-credential-teststore"),
	       "source names the store helper");
	guard_credential_release(&cred);

	lookup("unlisted.example:5000", &cred, &found, &err);
	TAP_OK(found, "credsStore answers for hosts without an auths entry");
	TAP_IS_STR(cred.username, "unlisted.example:5000", "store receives host:port");
	guard_credential_release(&cred);

	lookup("ecr.example", &cred, &found, &err);
	TAP_OK(found, "credHelpers entry: found");
	TAP_IS_STR(cred.username, "helper-user", "credHelpers overrides credsStore for its host");
	TAP_IS_STR(cred.password, "helper-secret-value", "helper answer members match in any case");
	guard_credential_release(&cred);

	lookup("docker.io", &cred, &found, &err);
	TAP_IS_STR(cred.username, "helper-user", "credHelpers is keyed by the Hub key for docker.io");
	guard_credential_release(&cred);

	lookup("token.example", &cred, &found, &err);
	TAP_OK(found, "<token> answer: found");
	TAP_IS_STR(cred.identity_token, "token-secret-value", "<token> username means an identity token");
	TAP_OK(cred.username == NULL && cred.password == NULL, "<token> answer sets no password");
	guard_credential_release(&cred);

	TAP_IS_INT(lookup("none.example", &cred, &found, &err), 0, "helper without credentials: no error");
	TAP_OK(!found, "a helper configured for the host hides its plaintext auths entry");
	guard_credential_release(&cred);
	text = captured_stderr();
	TAP_OK(strstr(text, "nonehelper") == NULL, "helper's not-found answer is silent");
	free(text);
}

static void test_helper_failures(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_credential cred;
	char *text;
	bool found;

	write_helper("failhelper",
		     "cat >/dev/null\necho 'cannot reach the keyring service'\nexit 2");
	write_helper("jsonfail",
		     "cat >/dev/null\necho '{\"Username\":\"u\",\"Secret\":\"failing-secret-value\"}'\nexit 1");
	write_helper("garbage", "cat >/dev/null\necho 'failing-secret-value is not JSON'");
	write_helper("slowhelper", "exec sleep 5");
	write_helper("lingering", "cat >/dev/null\nexec >&-\nexec sleep 5");
	write_helper("chatty", "cat >/dev/null\nyes failing-secret-value | head -c 70000");

	write_docker_config("{\"credHelpers\": {\"fail.example\": \"failhelper\","
			    " \"missing.example\": \"absenthelper\", \"json.example\": \"jsonfail\","
			    " \"bad-name.example\": \"../evil\"},"
			    " \"auths\": {\"fail.example\": {\"auth\": \"aHViLXVzZXI6aHViLXBhc3M=\"}}}");

	TAP_IS_INT(lookup("fail.example", &cred, &found, &err), 0, "failing helper: no error");
	TAP_OK(!found, "failing helper: anonymous, the auths entry is not used");
	guard_credential_release(&cred);
	text = captured_stderr();
	TAP_OK(strstr(text, "warning: credential helper 'docker-credential-failhelper' failed for "
			    "'fail.example': exit status 2: cannot reach the keyring service") != NULL,
	       "failing helper: warning names the helper, host, status and message");
	free(text);

	lookup("missing.example", &cred, &found, &err);
	TAP_OK(!found, "missing helper: anonymous");
	guard_credential_release(&cred);
	text = captured_stderr();
	TAP_OK(strstr(text, "'docker-credential-absenthelper' failed for 'missing.example': not "
			    "found in PATH") != NULL, "missing helper: warning names the helper");
	free(text);

	lookup("json.example", &cred, &found, &err);
	TAP_OK(!found, "helper exiting 1 with JSON: anonymous");
	guard_credential_release(&cred);
	text = captured_stderr();
	TAP_OK(strstr(text, "'docker-credential-jsonfail' failed for 'json.example': exit status 1;")
	       != NULL, "helper output that looks like JSON is not quoted");
	free(text);

	lookup("bad-name.example", &cred, &found, &err);
	TAP_OK(!found, "helper name with a slash: anonymous");
	guard_credential_release(&cred);
	text = captured_stderr();
	TAP_OK(strstr(text, "not a plain program name") != NULL, "helper name with a slash: warning");
	free(text);

	TAP_IS_INT(run_helper("garbage", "g.example", 5000, &cred, &found, &err), 0,
		   "helper printing garbage: no error");
	TAP_OK(!found, "helper printing garbage: not found");
	guard_credential_release(&cred);
	text = captured_stderr();
	TAP_OK(strstr(text, "'docker-credential-garbage' failed for 'g.example': its output is not "
			    "a JSON object") != NULL, "helper printing garbage: warning");
	free(text);

	TAP_IS_INT(run_helper("slowhelper", "s.example", 300, &cred, &found, &err),
		   0, "slow helper: no error");
	TAP_OK(!found, "slow helper: not found");
	guard_credential_release(&cred);
	text = captured_stderr();
	TAP_OK(strstr(text, "'docker-credential-slowhelper' failed for 's.example': timed out "
			    "after 300 ms") != NULL, "slow helper is killed at the deadline");
	free(text);

	run_helper("lingering", "l.example", 300, &cred, &found, &err);
	TAP_OK(!found, "helper that closes stdout and lingers: not found");
	guard_credential_release(&cred);
	text = captured_stderr();
	TAP_OK(strstr(text, "'docker-credential-lingering' failed for 'l.example': timed out "
			    "after 300 ms") != NULL, "lingering helper is killed at the deadline");
	free(text);

	TAP_IS_INT(run_helper("chatty", "c.example", 5000, &cred, &found, &err), 0,
		   "helper with huge output: no error");
	TAP_OK(!found, "helper with huge output: not found");
	guard_credential_release(&cred);
	text = captured_stderr();
	TAP_OK(strstr(text, "'docker-credential-chatty' failed for 'c.example': its output exceeds "
			    "the limit of 64 KiB") != NULL, "helper output is capped");
	free(text);

	run_helper("failhelper", "fail.example", 5000, &cred, &found, &err);
	guard_credential_release(&cred);
	text = captured_stderr();
	TAP_IS_INT(count_lines_with(text, "'docker-credential-failhelper' failed for 'fail.example'"),
		   1, "a repeated failure of one helper and host is warned about once");
	free(text);
}

static void test_env_and_containers_files(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_credential cred;
	char path[700], dir[600];
	bool found;

	write_docker_config("{\"auths\": {\"shared.example\": {\"auth\": \"aHViLXVzZXI6aHViLXBhc3M=\"}}}");

	setenv("DOCKER_AUTH_CONFIG",
	       "{\"auths\": {\"shared.example\": {\"auth\": \"ZW52dXNlcjplbnYtcGFzcw==\"},"
	       " \"fields.example\": {\"username\": \"u\", \"password\": \"env-pass\"}}}", 1);
	lookup("shared.example", &cred, &found, &err);
	TAP_OK(found, "DOCKER_AUTH_CONFIG: found");
	TAP_IS_STR(cred.username, "envuser", "DOCKER_AUTH_CONFIG is consulted before config.json");
	TAP_IS_STR(cred.source, "DOCKER_AUTH_CONFIG", "source names DOCKER_AUTH_CONFIG");
	guard_credential_release(&cred);

	lookup("fields.example", &cred, &found, &err);
	TAP_OK(!found, "DOCKER_AUTH_CONFIG reads only the auth member");
	guard_credential_release(&cred);

	setenv("DOCKER_AUTH_CONFIG", "{\"auths\": {\"x\": {\"auth\": \"%%%\"}}}", 1);
	TAP_IS_INT(lookup("shared.example", &cred, &found, &err), -1, "bad DOCKER_AUTH_CONFIG is an error");
	TAP_OK(strstr(err.message, "DOCKER_AUTH_CONFIG") != NULL, "the error names DOCKER_AUTH_CONFIG");
	guard_credential_release(&cred);

	setenv("DOCKER_AUTH_CONFIG", "not json", 1);
	TAP_IS_INT(lookup("shared.example", &cred, &found, &err), -1, "DOCKER_AUTH_CONFIG must be JSON");
	guard_credential_release(&cred);
	unsetenv("DOCKER_AUTH_CONFIG");

	snprintf(path, sizeof(path), "%s/registry-auth.json", scratch);
	write_file(path, "{\"auths\": {\"docker.io\": {\"auth\": \"cG9kbWFuOnBvZG1hbi1wYXNz\"},"
			 " \"shared.example\": {\"auth\": \"cG9kbWFuOnBvZG1hbi1wYXNz\"},"
			 " \"quay.example/org\": {\"auth\": \"cG9kbWFuOnBvZG1hbi1wYXNz\"},"
			 " \"https://legacy-podman.example/v1/\": {\"auth\": \"cG9kbWFuOnBvZG1hbi1wYXNz\"}}}",
		   0600);
	setenv("REGISTRY_AUTH_FILE", path, 1);
	lookup("docker.io", &cred, &found, &err);
	TAP_OK(found, "REGISTRY_AUTH_FILE: docker.io key is Docker Hub");
	TAP_IS_STR(cred.username, "podman", "REGISTRY_AUTH_FILE username");
	TAP_OK(cred.source && strstr(cred.source, "registry-auth.json"), "source names the auth file");
	guard_credential_release(&cred);

	lookup("shared.example", &cred, &found, &err);
	TAP_IS_STR(cred.username, "hub-user", "config.json is consulted before REGISTRY_AUTH_FILE");
	guard_credential_release(&cred);

	lookup("quay.example", &cred, &found, &err);
	TAP_OK(!found, "a namespace key does not apply to the whole registry");
	guard_credential_release(&cred);

	lookup("legacy-podman.example", &cred, &found, &err);
	TAP_OK(found, "a key with a scheme matches its host in a containers file");
	guard_credential_release(&cred);
	unsetenv("REGISTRY_AUTH_FILE");

	snprintf(dir, sizeof(dir), "%s/containers", xdg_dir);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/auth.json", dir);
	write_file(path, "{\"auths\": {\"xdg.example\": {\"auth\": \"eGRnOnhkZy1wYXNz\"}}}", 0600);
	setenv("XDG_RUNTIME_DIR", xdg_dir, 1);
	lookup("xdg.example", &cred, &found, &err);
	TAP_IS_STR(cred.username, "xdg", "XDG_RUNTIME_DIR/containers/auth.json is read");
	guard_credential_release(&cred);
	unsetenv("XDG_RUNTIME_DIR");

	snprintf(dir, sizeof(dir), "%s/.config", home_dir);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/.config/containers", home_dir);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/auth.json", dir);
	write_file(path, "{\"auths\": {\"home.example\": {\"auth\": \"aG9tZTpob21lLXBhc3M=\"}}}", 0600);
	lookup("home.example", &cred, &found, &err);
	TAP_IS_STR(cred.username, "home", "~/.config/containers/auth.json is read");
	guard_credential_release(&cred);

	/* Without DOCKER_CONFIG, ~/.docker/config.json is the docker file. */
	unsetenv("DOCKER_CONFIG");
	TAP_IS_INT(lookup("shared.example", &cred, &found, &err), 0, "no ~/.docker/config.json: no error");
	TAP_OK(!found, "no ~/.docker/config.json: not found");
	guard_credential_release(&cred);
	setenv("DOCKER_CONFIG", docker_dir, 1);
}

static void remove_helper(const char *name)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%s", bin_dir, name);
	unlink(path);
}

static void test_default_store(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_credential cred;
	char path[700];
	bool found;

	snprintf(path, sizeof(path), "%s/config.json", docker_dir);
	unlink(path);
	write_helper("secretservice", "cat >/dev/null\n"
		     "echo '{\"Username\":\"secretservice-user\",\"Secret\":\"helper-secret-value\"}'");
	lookup("default.example", &cred, &found, &err);
	TAP_OK(found, "missing config.json: the secretservice helper is the default store");
	TAP_IS_STR(cred.username, "secretservice-user", "default store: secretservice answers");
	guard_credential_release(&cred);

	write_docker_config("{\"auths\": {}, \"credHelpers\": {}}");
	lookup("default.example", &cred, &found, &err);
	TAP_OK(found, "config.json without credentials: the default store is used");
	guard_credential_release(&cred);

	write_docker_config("{\"auths\": {\"other.example\": {}}}");
	lookup("default.example", &cred, &found, &err);
	TAP_OK(!found, "config.json with an auths entry: no default store");
	guard_credential_release(&cred);

	unlink(path);
	snprintf(path, sizeof(path), "%s/pass", bin_dir);
	write_file(path, "#!/bin/sh\nexit 1\n", 0755);
	lookup("default.example", &cred, &found, &err);
	TAP_OK(!found, "pass in PATH without docker-credential-pass: no default store");
	guard_credential_release(&cred);

	write_helper("pass", "cat >/dev/null\n"
		     "echo '{\"Username\":\"pass-user\",\"Secret\":\"helper-secret-value\"}'");
	lookup("default.example", &cred, &found, &err);
	TAP_IS_STR(cred.username, "pass-user", "pass in PATH makes pass the default store");
	guard_credential_release(&cred);

	remove_helper("pass");
	remove_helper("docker-credential-pass");
	remove_helper("docker-credential-secretservice");
}

static void test_relative_path_entry(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_credential cred;
	char path[700], *text;
	bool found;

	/* PATH starts with "relative-folder", resolved against the scratch folder. */
	snprintf(path, sizeof(path), "%s/relative-folder", scratch);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/relative-folder/docker-credential-relhelper", scratch);
	write_file(path, "#!/bin/sh\necho '{\"Username\":\"u\",\"Secret\":\"s\"}'\n", 0755);
	run_helper("relhelper", "r.example", 5000, &cred, &found, &err);
	TAP_OK(!found, "a helper in a relative PATH entry is not run");
	guard_credential_release(&cred);
	text = captured_stderr();
	TAP_OK(strstr(text, "'docker-credential-relhelper' failed for 'r.example': not found in PATH")
	       != NULL, "relative PATH entry: warning");
	free(text);
}

static void link_program(const char *name)
{
	static const char *const dirs[] = { "/usr/bin", "/bin" };
	char from[128], to[128];
	size_t i;

	snprintf(to, sizeof(to), "%s/%s", sys_dir, name);
	for (i = 0; i < GUARD_ARRAY_SIZE(dirs); i++) {
		snprintf(from, sizeof(from), "%s/%s", dirs[i], name);
		if (access(from, X_OK) == 0 && symlink(from, to) == 0)
			return;
	}
	fprintf(stderr, "cannot find %s\n", name);
	exit(2);
}

static void test_no_secret_on_stderr(void)
{
	char *text = captured_stderr();
	size_t i;

	for (i = 0; i < GUARD_ARRAY_SIZE(secrets); i++)
		TAP_OK(strstr(text, secrets[i]) == NULL, "stderr does not contain secret %zu", i);
	free(text);
}

int main(void)
{
	char path[600];

	if (!mkdtemp(scratch)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(docker_dir, sizeof(docker_dir), "%s/docker", scratch);
	snprintf(bin_dir, sizeof(bin_dir), "%s/bin", scratch);
	snprintf(home_dir, sizeof(home_dir), "%s/home", scratch);
	snprintf(xdg_dir, sizeof(xdg_dir), "%s/run", scratch);
	snprintf(sys_dir, sizeof(sys_dir), "%s/sys", scratch);
	mkdir(docker_dir, 0700);
	mkdir(bin_dir, 0700);
	mkdir(home_dir, 0700);
	mkdir(xdg_dir, 0700);
	mkdir(sys_dir, 0700);
	/* Only these programs are in PATH, so the machine's own credential
	 * helpers and pass cannot change the results. */
	link_program("cat");
	link_program("head");
	link_program("sleep");
	link_program("yes");

	setenv("DOCKER_CONFIG", docker_dir, 1);
	setenv("HOME", home_dir, 1);
	unsetenv("DOCKER_AUTH_CONFIG");
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("XDG_RUNTIME_DIR");
	snprintf(path, sizeof(path), "relative-folder:%s:%s", bin_dir, sys_dir);
	setenv("PATH", path, 1);

	if (chdir(scratch) < 0) {
		perror(scratch);
		return 2;
	}
	capture_stderr();
	test_auth_forms();
	test_hub_and_legacy_keys();
	test_bad_entries();
	test_helpers();
	test_helper_failures();
	test_env_and_containers_files();
	test_default_store();
	test_relative_path_entry();
	test_no_secret_on_stderr();
	restore_stderr();

	nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
