#include "image_history.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The builders join argv with single spaces and do not quote values, so the
 * end of a value with spaces is found only by a following " NAME=" or by
 * the shell that starts the command. */
static const char *const shell_prefixes[] = {
	"/bin/sh -c ", "/bin/bash -c ", "/bin/ash -c ", "/bin/dash -c ", "/usr/bin/env ",
	"cmd /S /C ", "powershell ", "pwsh ",
};

#define HISTORY_MAX_VARS 4096

static bool is_name_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* Length of the NAME at s when it is followed by '=', else 0. */
static size_t assignment_name(const char *s, const char *end)
{
	const char *p = s;

	if (p >= end || !is_name_start(*p))
		return 0;
	while (p < end && is_name_char(*p))
		p++;
	return (p < end && *p == '=') ? (size_t)(p - s) : 0;
}

/* Position of the next " NAME=" in [from, end), or NULL. */
static const char *next_assignment(const char *from, const char *end)
{
	const char *p;

	for (p = from; p < end; p++)
		if (*p == ' ' && assignment_name(p + 1, end))
			return p;
	return NULL;
}

static int add_var(struct guard_history_step *step, const char *name, size_t name_len,
		   const char *value, size_t value_len, struct guard_error *err)
{
	struct guard_history_var *vars;
	struct guard_history_var *var;

	if (step->var_count >= HISTORY_MAX_VARS)
		return 0;
	vars = realloc(step->vars, (step->var_count + 1) * sizeof(*vars));
	if (!vars)
		return guard_error_oom(err);
	step->vars = vars;
	var = &vars[step->var_count];
	var->name = guard_strndup(name, name_len, err);
	var->value = guard_strndup(value, value_len, err);
	if (!var->name || !var->value) {
		free(var->name);
		free(var->value);
		return -1;
	}
	step->var_count++;
	return 0;
}

/* ENV and ARG text: "A=b C=d e", "A B=c" (bare ARG names), or the old
 * "ENV KEY some value" form. */
static int parse_pairs(struct guard_history_step *step, const char *text, bool env,
		       struct guard_error *err)
{
	const char *p = text, *end = text + strlen(text);

	while (p < end) {
		const char *name, *value, *stop;
		size_t len;

		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		name = p;
		len = assignment_name(p, end);
		if (!len) {
			while (p < end && *p != ' ')
				p++;
			if (env && p < end && step->var_count == 0) {
				/* ENV KEY value: the value is the rest of the line. */
				return add_var(step, name, (size_t)(p - name), p + 1,
					       (size_t)(end - p - 1), err);
			}
			if (add_var(step, name, (size_t)(p - name), "", 0, err) < 0)
				return -1;
			continue;
		}
		value = p + len + 1;
		stop = next_assignment(value, end);
		if (!stop)
			stop = end;
		if (add_var(step, name, len, value, (size_t)(stop - value), err) < 0)
			return -1;
		p = stop;
	}
	return 0;
}

static const char *find_shell(const char *from, const char *end)
{
	const char *best = NULL;
	size_t i;

	for (i = 0; i < GUARD_ARRAY_SIZE(shell_prefixes); i++) {
		const char *hit = from;
		size_t n = strlen(shell_prefixes[i]);

		while ((hit = memmem(hit, (size_t)(end - hit), shell_prefixes[i], n))) {
			if (hit == from || hit[-1] == ' ')
				break;
			hit++;
		}
		if (hit && (!best || hit < best))
			best = hit;
	}
	return best;
}

/* "|N K1=v1 K2=v2 command": N pairs, then the command. */
static int parse_run_args(struct guard_history_step *step, const char *text,
			  struct guard_error *err)
{
	const char *end = text + strlen(text), *p = text + 1, *shell, *limit;
	unsigned long count = 0, i;

	while (p < end && isdigit((unsigned char)*p) && count < HISTORY_MAX_VARS)
		count = count * 10 + (unsigned long)(*p++ - '0');
	if (p >= end || *p != ' ')
		return 0;
	p++;
	shell = find_shell(p, end);
	limit = shell ? shell : end;

	for (i = 0; i < count && p < limit; i++) {
		size_t len = assignment_name(p, end);
		const char *value, *stop;

		if (!len)
			break;
		value = p + len + 1;
		if (i + 1 < count) {
			stop = next_assignment(value, limit);
			if (!stop)
				stop = shell ? limit - 1 : value + strcspn(value, " ");
		} else if (shell) {
			stop = limit > value ? limit - 1 : value;
		} else {
			stop = value + strcspn(value, " ");
		}
		if (stop < value)
			stop = value;
		if (add_var(step, p, len, value, (size_t)(stop - value), err) < 0)
			return -1;
		p = stop < end ? stop + 1 : end;
	}
	if (shell)
		p = shell;
	step->command = guard_strndup(p, (size_t)(end - p), err);
	return step->command ? 0 : -1;
}

static int parse_instruction(struct guard_history_step *step, const char *text,
			     struct guard_error *err)
{
	if (guard_has_prefix(text, "ENV ")) {
		step->kind = GUARD_HISTORY_ENV;
		return parse_pairs(step, text + 4, true, err);
	}
	if (guard_has_prefix(text, "ARG ")) {
		step->kind = GUARD_HISTORY_ARG;
		return parse_pairs(step, text + 4, false, err);
	}
	return 0;
}

static bool starts_with_shell(const char *text)
{
	size_t i;

	for (i = 0; i < GUARD_ARRAY_SIZE(shell_prefixes); i++)
		if (guard_has_prefix(text, shell_prefixes[i]))
			return true;
	return false;
}

int guard_history_parse(struct guard_history_step *out, const char *created_by,
			struct guard_error *err)
{
	struct guard_history_step step = { 0 };
	const char *nop;
	char *text;
	size_t len;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	text = guard_strdup(created_by ? created_by : "", err);
	if (!text)
		return -1;
	len = strlen(text);
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\n'))
		text[--len] = '\0';
	if (guard_has_suffix(text, " # buildkit"))
		text[len - strlen(" # buildkit")] = '\0';

	/* Classic metadata steps: "<shell> #(nop)  ENV A=b" (two spaces). */
	nop = strstr(text, "#(nop) ");
	if (nop && nop - text < 64) {
		nop += strlen("#(nop)");
		while (*nop == ' ')
			nop++;
		rc = parse_instruction(&step, nop, err);
	} else if (text[0] == '|' && isdigit((unsigned char)text[1])) {
		step.kind = GUARD_HISTORY_RUN;
		rc = parse_run_args(&step, text, err);
	} else if (guard_has_prefix(text, "RUN ")) {
		step.kind = GUARD_HISTORY_RUN;
		if (text[4] == '|' && isdigit((unsigned char)text[5]))
			rc = parse_run_args(&step, text + 4, err);
		else
			rc = (step.command = guard_strdup(text + 4, err)) ? 0 : -1;
	} else if (starts_with_shell(text)) {
		step.kind = GUARD_HISTORY_RUN;
		rc = (step.command = guard_strdup(text, err)) ? 0 : -1;
	} else {
		rc = parse_instruction(&step, text, err);
	}
	guard_wipe(text, len);
	free(text);
	if (rc < 0) {
		guard_history_step_release(&step);
		return -1;
	}
	*out = step;
	return 0;
}

void guard_history_step_release(struct guard_history_step *step)
{
	size_t i;

	if (!step)
		return;
	for (i = 0; i < step->var_count; i++) {
		free(step->vars[i].name);
		if (step->vars[i].value) {
			guard_wipe(step->vars[i].value, strlen(step->vars[i].value));
			free(step->vars[i].value);
		}
	}
	free(step->vars);
	if (step->command) {
		guard_wipe(step->command, strlen(step->command));
		free(step->command);
	}
	memset(step, 0, sizeof(*step));
}

const char *guard_history_kind_name(enum guard_history_kind kind)
{
	switch (kind) {
	case GUARD_HISTORY_ENV:
		return "env";
	case GUARD_HISTORY_ARG:
		return "arg";
	case GUARD_HISTORY_RUN:
		return "run";
	default:
		return "other";
	}
}
