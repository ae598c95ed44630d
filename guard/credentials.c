#include "credentials.h"

#include <errno.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credhelper.h"
#include "log.h"
#include "util.h"

#define HUB_KEY "https://index.docker.io/v1/"
#define HUB_DOMAIN "docker.io"

/* config.json files are small; the cap only guards against reading a wrong file. */
#define AUTH_FILE_MAX (4u * 1024 * 1024)

/* Auth file layouts, by the program that writes them. The docker CLI keys Docker Hub as
 * https://index.docker.io/v1/; podman and skopeo (containers-auth.json)
 * key it as docker.io. */
enum auth_file_kind {
	AUTH_FILE_DOCKER,
	AUTH_FILE_CONTAINERS,
};

/* Result of looking the domain up in one source. */
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
 * (then *oom is set). */
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

/* Finds the entry for a domain. In a docker file that is the exact server
 * key, else a key whose host part is the domain, because old logins wrote
 * "https://host/v2/". That fallback never maps docker.io to the Hub key. In
 * a containers file it is the domain, else a key with a scheme whose host
 * part is the domain, where index.docker.io also means docker.io. */
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

/* Loading files -------------------------------------------------------- */

/* Parses JSON text that may contain secrets. The caller wipes the text. */
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

/* Whether a docker config.json names any credential source. */
static bool contains_auth(json_t *root)
{
	const char *store = string_member(root, "credsStore");
	json_t *helpers = json_object_get(root, "credHelpers");
	json_t *auths = json_object_get(root, "auths");

	return (store && *store) || json_object_size(helpers) > 0 || json_object_size(auths) > 0;
}

/* The store the docker CLI picks on Linux when config.json is missing or
 * names no credential source (docker/cli credentials/default_store_linux.go):
 * "pass" when the pass program is in PATH, else "secretservice", and only
 * when the matching docker-credential- helper is in PATH too. */
static const char *default_store(bool *oom)
{
	const char *store = "secretservice";
	char *found = guard_credhelper_find("pass", oom);

	if (*oom)
		return NULL;
	if (found)
		store = "pass";
	free(found);
	found = guard_credhelper_find(strcmp(store, "pass") == 0 ? "docker-credential-pass"
							 : "docker-credential-secretservice", oom);
	if (!found)
		return NULL;
	free(found);
	return store;
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
	/* A missing docker file still gets the platform's default store. */
	if (!root && kind == AUTH_FILE_CONTAINERS)
		return 0;
	if (!root && !(root = json_object()))
		return guard_error_oom(err);
	if (check_auth_file(root, path, err) < 0)
		goto done;

	helper = configured_helper(root, key);
	if (!helper && kind == AUTH_FILE_DOCKER && !contains_auth(root)) {
		bool oom;

		helper = default_store(&oom);
		if (oom) {
			guard_error_oom(err);
			goto done;
		}
	}
	if (helper) {
		enum guard_credhelper_status status;

		if (guard_credhelper_get(helper, key, GUARD_CREDHELPER_TIMEOUT_MS, out, &status,
					 err) < 0)
			goto done;
		/* A helper without credentials for the host lets the next file
		 * provide one. A failed helper was reported and means anonymous. */
		if (status == GUARD_CREDHELPER_FOUND)
			*outcome = LOOKUP_FOUND;
		else if (status == GUARD_CREDHELPER_FAILED)
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

/* DOCKER_AUTH_CONFIG contains {"auths": {...}}. The docker CLI 28.3 and
 * later reads only the "auth" member of its entries, before any file. */
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
