#include "secret_name.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* BuildKit's deny list (dockerfile2llb/validations.go) with plurals, plus
 * the short forms seen in real images (DB_PASS, MYSQL_PWD). */
static const char *const secret_words[] = {
	"apikey", "apikeys", "auth", "credential", "credentials", "creds", "key", "keys",
	"passphrase", "password", "passwords", "pword", "passwd", "pass", "pwd",
	"secret", "secrets", "token", "tokens",
};

/* A name with one of these words names something that is not a secret
 * itself: PUBLIC_KEY, SECRET_FILE, AUTH_VERSION. */
static const char *const harmless_words[] = {
	"public", "file", "files", "version", "versions",
};

static bool word_in(const char *word, size_t len, const char *const *list, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strlen(list[i]) == len && strncasecmp(word, list[i], len) == 0)
			return true;
	return false;
}

/* A new word starts at a separator, at a lower-to-upper change (apiKey) and
 * before the last capital of a capital run followed by a lower-case letter
 * (APIKey gives API, Key). */
static bool starts_word(const char *name, size_t i)
{
	unsigned char prev, cur, next;

	if (i == 0)
		return false;
	prev = (unsigned char)name[i - 1];
	cur = (unsigned char)name[i];
	next = (unsigned char)name[i + 1];
	if (islower(prev) && isupper(cur))
		return true;
	if (isdigit(prev) && isalpha(cur))
		return false;
	return isupper(prev) && isupper(cur) && islower(next);
}

static bool is_separator(char c)
{
	return c == '_' || c == '-' || c == '.';
}

bool guard_secret_name_is_sensitive(const char *name)
{
	bool secret = false;
	size_t i = 0, start;

	if (!name)
		return false;
	while (name[i]) {
		while (is_separator(name[i]))
			i++;
		if (!name[i])
			break;
		start = i++;
		while (name[i] && !is_separator(name[i]) && !starts_word(name, i))
			i++;
		if (word_in(name + start, i - start, harmless_words, GUARD_ARRAY_SIZE(harmless_words)))
			return false;
		if (word_in(name + start, i - start, secret_words, GUARD_ARRAY_SIZE(secret_words)))
			secret = true;
	}
	return secret;
}

/* 1.2, v1.2.3, 3.1.4-r1, 20.04, 1.2.3+build.7: digits first, dots between
 * numbers, at most a short suffix. */
static bool looks_like_version(const char *v)
{
	size_t digits = 0, dots = 0;
	const char *p = v;

	if (*p == 'v' || *p == 'V')
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	for (; *p && *p != '-' && *p != '+' && *p != '~'; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (*p == '.')
			dots++;
		else
			return false;
	}
	if (dots == 0 && digits > 4)
		return false;
	return strlen(p) <= 16;
}

bool guard_secret_value_is_placeholder(const char *value)
{
	static const char *const words[] = { "true", "false", "yes", "no", "none", "null",
					     "changeme", "xxx" };

	if (!value || !*value)
		return true;
	if (value[0] == '$')
		return true;
	if (value[0] == '/' && !strchr(value, ' '))
		return true;
	if (word_in(value, strlen(value), words, GUARD_ARRAY_SIZE(words)))
		return true;
	return looks_like_version(value);
}
