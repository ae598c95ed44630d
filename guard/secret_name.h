/* Classifies variable names (ENV, ARG, build arguments) and their values:
 * does the name say "this holds a secret", and is the value a real literal
 * rather than a placeholder? Shared by the image and context scanners. */
#ifndef GUARD_SECRET_NAME_H
#define GUARD_SECRET_NAME_H

#include <stdbool.h>

/* True when a word of name is a secret word (password, token, key, secret,
 * auth, credentials, ... and their plurals, PASS, PWD) and no word is
 * public, file or version. Words are split at '_', '-', '.' and camelCase
 * boundaries, then compared without case. This is BuildKit's
 * SecretsUsedInArgOrEnv rule plus camelCase, plurals, PASS and PWD. */
bool guard_secret_name_is_sensitive(const char *name);

/* True when value is not worth reporting as a secret: empty, a reference
 * to another variable ($X, ${X}), a secret mount path (/run/secrets/...),
 * an absolute path, a boolean or a version number such as 1.2.3 or v2.0-r1. */
bool guard_secret_value_is_placeholder(const char *value);

#endif
