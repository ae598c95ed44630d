/* The created_by parser and the secret name rules. */
#include <stdlib.h>
#include <string.h>

#include "image_history.h"
#include "secret_name.h"
#include "tap.h"

struct history_case {
	const char *created_by;
	enum guard_history_kind kind;
	const char *vars;	/* "NAME=value" joined by '|' */
	const char *command;
};

static const struct history_case history_cases[] = {
	{ "/bin/sh -c #(nop)  ENV A=b", GUARD_HISTORY_ENV, "A=b", NULL },
	{ "/bin/sh -c #(nop) ENV DATABASE_PASSWORD=supersecret", GUARD_HISTORY_ENV,
	  "DATABASE_PASSWORD=supersecret", NULL },
	{ "/bin/sh -c #(nop)  ENV GREETING=hello world TOKEN=x y", GUARD_HISTORY_ENV,
	  "GREETING=hello world|TOKEN=x y", NULL },
	{ "/bin/sh -c #(nop)  ENV KEY some value", GUARD_HISTORY_ENV, "KEY=some value", NULL },
	{ "/bin/sh -c #(nop)  ARG API_KEY", GUARD_HISTORY_ARG, "API_KEY=", NULL },
	{ "/bin/sh -c #(nop)  ARG NAME=default", GUARD_HISTORY_ARG, "NAME=default", NULL },
	{ "ARG A B=val", GUARD_HISTORY_ARG, "A=|B=val", NULL },
	{ "ARG NPM_TOKEN=npm_abc def", GUARD_HISTORY_ARG, "NPM_TOKEN=npm_abc def", NULL },
	{ "ENV PATH=/usr/bin:/bin", GUARD_HISTORY_ENV, "PATH=/usr/bin:/bin", NULL },
	{ "|1 API_KEY=sk_live_probe123 /bin/sh -c echo $API_KEY > /config", GUARD_HISTORY_RUN,
	  "API_KEY=sk_live_probe123", "/bin/sh -c echo $API_KEY > /config" },
	{ "|2 A=one two B=three /bin/sh -c make", GUARD_HISTORY_RUN, "A=one two|B=three",
	  "/bin/sh -c make" },
	{ "|2 A=x C=y=z /bin/sh -c make", GUARD_HISTORY_RUN, "A=x|C=y=z", "/bin/sh -c make" },
	{ "|1 MSG=a B=c /bin/sh -c env", GUARD_HISTORY_RUN, "MSG=a B=c", "/bin/sh -c env" },
	{ "RUN |1 NPM_TOKEN=abc /bin/sh -c npm ci # buildkit", GUARD_HISTORY_RUN,
	  "NPM_TOKEN=abc", "/bin/sh -c npm ci" },
	{ "RUN |3 A= B=with space \"quoted\" C='q' /bin/sh -c FOO=bar make # buildkit",
	  GUARD_HISTORY_RUN, "A=|B=with space \"quoted\"|C='q'", "/bin/sh -c FOO=bar make" },
	{ "RUN |2 TOKEN=t1 X=2 /usr/local/bin/tool --flag # buildkit", GUARD_HISTORY_RUN,
	  "TOKEN=t1|X=2", "/usr/local/bin/tool --flag" },
	{ "RUN /bin/sh -c apk add curl # buildkit", GUARD_HISTORY_RUN, "",
	  "/bin/sh -c apk add curl" },
	{ "/bin/sh -c apt-get update", GUARD_HISTORY_RUN, "", "/bin/sh -c apt-get update" },
	{ "|1 API_KEY=sk_scratch /bin/sh -c [\"/bin/busybox\", \"sh\"]", GUARD_HISTORY_RUN,
	  "API_KEY=sk_scratch", "/bin/sh -c [\"/bin/busybox\", \"sh\"]" },
	{ "COPY busybox /bin/ # buildkit", GUARD_HISTORY_OTHER, "", NULL },
	{ "/bin/sh -c #(nop) COPY file:87c795a1 in /app/hello.txt ", GUARD_HISTORY_OTHER, "",
	  NULL },
	{ "/bin/sh -c #(nop)  CMD [\"sh\"]", GUARD_HISTORY_OTHER, "", NULL },
	{ "", GUARD_HISTORY_OTHER, "", NULL },
	{ "|x nonsense", GUARD_HISTORY_OTHER, "", NULL },
};

static char *join_vars(const struct guard_history_step *step)
{
	size_t i, size = 1;
	char *out;

	for (i = 0; i < step->var_count; i++)
		size += strlen(step->vars[i].name) + strlen(step->vars[i].value) + 2;
	out = calloc(1, size);
	for (i = 0; out && i < step->var_count; i++) {
		if (i)
			strncat(out, "|", size - strlen(out) - 1);
		strncat(out, step->vars[i].name, size - strlen(out) - 1);
		strncat(out, "=", size - strlen(out) - 1);
		strncat(out, step->vars[i].value, size - strlen(out) - 1);
	}
	return out;
}

static void test_history(void)
{
	size_t i;

	for (i = 0; i < sizeof(history_cases) / sizeof(history_cases[0]); i++) {
		const struct history_case *c = &history_cases[i];
		struct guard_error err = GUARD_ERROR_INIT;
		struct guard_history_step step;
		char *vars;

		TAP_IS_INT(guard_history_parse(&step, c->created_by, &err), 0, "parse '%s'",
			   c->created_by);
		TAP_IS_STR(guard_history_kind_name(step.kind), guard_history_kind_name(c->kind),
			   "kind of '%s'", c->created_by);
		vars = join_vars(&step);
		TAP_IS_STR(vars, c->vars, "variables of '%s'", c->created_by);
		TAP_IS_STR(step.command, c->command, "command of '%s'", c->created_by);
		free(vars);
		guard_history_step_release(&step);
	}
}

static void test_names(void)
{
	static const char *const flagged[] = {
		"SECRET_PASSPHRASE", "SUPER_Secret", "password", "secret", "auth",
		"super_duper_secret_token", "apikey", "git_key", "githubToken", "DB_PASS",
		"MYSQL_PWD", "API_KEYS", "AWS_SECRET_ACCESS_KEY", "NPM_TOKEN", "APIKey",
		"db-password", "Credentials",
	};
	static const char *const clean[] = {
		"sunflower", "PUBLIC_KEY", "public_token", "SECRET_PASSPHRASE_FILE",
		"AUTH_MODULE_VERSION", "KEYCLOAK_URL", "MONKEY", "PATH", "PASSAGE", "HOME",
		"GPG_KEY_FILE", "", "_",
	};
	size_t i;

	for (i = 0; i < sizeof(flagged) / sizeof(flagged[0]); i++)
		TAP_OK(guard_secret_name_is_sensitive(flagged[i]), "name '%s' is sensitive",
		       flagged[i]);
	for (i = 0; i < sizeof(clean) / sizeof(clean[0]); i++)
		TAP_OK(!guard_secret_name_is_sensitive(clean[i]), "name '%s' is not sensitive",
		       clean[i]);
}

static void test_values(void)
{
	static const char *const placeholders[] = {
		"", "/run/secrets/npm", "$NPM_TOKEN", "${TOKEN}", "1.2.3", "v2.0.1-r1", "20.04",
		"true", "3.1.4-r1",
	};
	static const char *const literals[] = {
		"supersecret", "sk_live_probe123", "hunter2", "20240101x", "1.2.3 beta release",
	};
	size_t i;

	for (i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++)
		TAP_OK(guard_secret_value_is_placeholder(placeholders[i]),
		       "value '%s' is a placeholder", placeholders[i]);
	for (i = 0; i < sizeof(literals) / sizeof(literals[0]); i++)
		TAP_OK(!guard_secret_value_is_placeholder(literals[i]), "value '%s' is a literal",
		       literals[i]);
}

int main(void)
{
	test_history();
	test_names();
	test_values();
	return tap_done();
}
