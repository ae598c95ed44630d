/* "guard rules": lists the built-in secret rules, for people and for tools
 * that want the keywords (bench/scan feeds them to ripgrep). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "rules.h"
#include "util.h"

static const char rules_usage[] =
	"usage: guard rules [--format text|json] [--output FILE]\n"
	"\n"
	"Lists the secret detection rules: id, severity, description and the\n"
	"keywords that make a rule look at a file. File rules report a file by\n"
	"its name alone, and source rules report what guard parses (Dockerfile\n"
	"ENV, ARG and COPY, image Env and build arguments); neither has keywords.\n"
	"\n";

static void write_keywords(FILE *out, const struct guard_rule *rule)
{
	for (size_t k = 0; rule->keywords[k]; k++)
		fprintf(out, "%s%s", k ? " " : "", rule->keywords[k]);
}

static int write_text(FILE *out)
{
	size_t count, file_count, source_count, width = 0;
	const struct guard_rule *rules = guard_rules(&count);
	const struct guard_file_rule *files = guard_file_rules(&file_count);
	const struct guard_file_rule *sources = guard_source_rules(&source_count);

	for (size_t i = 0; i < count; i++)
		width = strlen(rules[i].id) > width ? strlen(rules[i].id) : width;
	for (size_t i = 0; i < file_count; i++)
		width = strlen(files[i].id) > width ? strlen(files[i].id) : width;
	for (size_t i = 0; i < source_count; i++)
		width = strlen(sources[i].id) > width ? strlen(sources[i].id) : width;

	for (size_t i = 0; i < count; i++) {
		fprintf(out, "%-*s  %-8s  %s\n%-*s  keywords: ", (int)width, rules[i].id,
			guard_severity_name(rules[i].severity), rules[i].description,
			(int)width + 10, "");
		write_keywords(out, &rules[i]);
		fputc('\n', out);
	}
	for (size_t i = 0; i < file_count; i++)
		fprintf(out, "%-*s  %-8s  %s\n", (int)width, files[i].id,
			guard_severity_name(files[i].severity), files[i].description);
	for (size_t i = 0; i < source_count; i++)
		fprintf(out, "%-*s  %-8s  %s\n", (int)width, sources[i].id,
			guard_severity_name(sources[i].severity), sources[i].description);
	fprintf(out, "\n%zu content rules, %zu file name rules, %zu source rules\n", count,
		file_count, source_count);
	return 0;
}

static json_t *rule_json(const char *id, const char *kind, const char *description,
			 enum guard_severity severity, const char *hint, json_t *keywords)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", id, "kind", kind,
			 "description", description, "severity", guard_severity_name(severity),
			 "hint", hint, "keywords", keywords);
}

static int write_json(FILE *out, struct guard_error *err)
{
	size_t count, file_count, source_count;
	const struct guard_rule *rules = guard_rules(&count);
	const struct guard_file_rule *files = guard_file_rules(&file_count);
	const struct guard_file_rule *sources = guard_source_rules(&source_count);
	json_t *list = json_array();
	json_t *root;
	int rc;

	if (!list)
		return guard_error_oom(err);
	for (size_t i = 0; i < count; i++) {
		json_t *keywords = json_array();

		for (size_t k = 0; keywords && rules[i].keywords[k]; k++)
			json_array_append_new(keywords, json_string(rules[i].keywords[k]));
		if (!keywords || json_array_append_new(list, rule_json(rules[i].id, "content",
				rules[i].description, rules[i].severity, rules[i].hint, keywords)) < 0) {
			json_decref(list);
			return guard_error_oom(err);
		}
	}
	for (size_t i = 0; i < file_count; i++) {
		if (json_array_append_new(list, rule_json(files[i].id, "file", files[i].description,
				files[i].severity, files[i].hint, json_array())) < 0) {
			json_decref(list);
			return guard_error_oom(err);
		}
	}
	for (size_t i = 0; i < source_count; i++) {
		if (json_array_append_new(list, rule_json(sources[i].id, "source",
				sources[i].description, sources[i].severity, sources[i].hint,
				json_array())) < 0) {
			json_decref(list);
			return guard_error_oom(err);
		}
	}
	root = json_pack("{s:o}", "rules", list);
	if (!root)
		return guard_error_oom(err);
	rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (rc < 0)
		return guard_error_set(err, GUARD_ERR_IO, "cannot write the rule list");
	fputc('\n', out);
	return 0;
}

int guard_cmd_rules(int argc, char **argv, struct guard_error *err)
{
	static const struct option long_options[] = {
		GUARD_COMMON_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct guard_options opts;
	void *file = NULL;
	FILE *out;
	int opt, rc = -1;

	guard_options_init(&opts);
	optind = 1;
	while ((opt = getopt_long(argc, argv, GUARD_COMMON_SHORT_OPTIONS, long_options,
				  NULL)) != -1) {
		int handled;

		if (opt == 'h') {
			fputs(rules_usage, stdout);
			fputs(guard_common_options_help, stdout);
			guard_options_release(&opts);
			return GUARD_RESULT_CLEAN;
		}
		handled = guard_options_handle(&opts, opt, optarg, err);
		if (handled < 0)
			goto done;
		if (handled == 0) {
			guard_options_usage_error("rules", argv, err);
			goto done;
		}
	}
	if (optind < argc) {
		guard_error_set(err, GUARD_ERR_USAGE, "unexpected argument '%s' for 'guard rules'",
				argv[optind]);
		goto done;
	}
	if (opts.format == GUARD_FORMAT_SARIF) {
		guard_error_set(err, GUARD_ERR_USAGE,
				"'guard rules' writes text or json, not sarif");
		goto done;
	}
	if (guard_options_open_output(&opts, &file, err) < 0)
		goto done;
	out = file;

	rc = opts.format == GUARD_FORMAT_JSON ? write_json(out, err) : write_text(out);
	if (rc == 0 && (fflush(out) != 0 || ferror(out)))
		rc = guard_error_set(err, GUARD_ERR_IO, "cannot write the rule list");
	if (out != stdout)
		fclose(out);
	if (rc == 0)
		rc = GUARD_RESULT_CLEAN;
done:
	guard_options_release(&opts);
	return rc;
}
