/* Reading and writing baseline files. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "baseline.h"
#include "report.h"
#include "util.h"

void guard_baseline_init(struct guard_baseline *baseline)
{
	baseline->fingerprints = NULL;
	baseline->count = 0;
}

void guard_baseline_release(struct guard_baseline *baseline)
{
	size_t i;

	for (i = 0; i < baseline->count; i++)
		free(baseline->fingerprints[i]);
	free(baseline->fingerprints);
	guard_baseline_init(baseline);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect_fingerprints(struct guard_baseline *baseline, json_t *findings,
				const char *path, struct guard_error *err)
{
	size_t i, unique = 0;
	json_t *entry;

	baseline->fingerprints = calloc(json_array_size(findings) + 1, sizeof(char *));
	if (!baseline->fingerprints)
		return guard_error_oom(err);

	json_array_foreach(findings, i, entry) {
		const char *fingerprint = json_string_value(json_object_get(entry, "fingerprint"));

		if (!fingerprint || !fingerprint[0])
			return guard_error_set(err, GUARD_ERR_PARSE,
					       "invalid baseline '%s': findings[%zu] has no \"fingerprint\" string",
					       path, i);
		baseline->fingerprints[baseline->count] = guard_strdup(fingerprint, err);
		if (!baseline->fingerprints[baseline->count])
			return -1;
		baseline->count++;
	}

	qsort(baseline->fingerprints, baseline->count, sizeof(char *), compare_names);
	for (i = 0; i < baseline->count; i++) {
		if (unique > 0 && strcmp(baseline->fingerprints[unique - 1], baseline->fingerprints[i]) == 0) {
			free(baseline->fingerprints[i]);
			continue;
		}
		baseline->fingerprints[unique++] = baseline->fingerprints[i];
	}
	baseline->count = unique;
	return 0;
}

/* Turns the results of a SARIF log that guard wrote into baseline entries:
 * [{"fingerprint": partialFingerprints["guardFingerprint/v1"]}, ...].
 * Results without that key are skipped. Returns a new array, or NULL. */
static json_t *sarif_fingerprints(json_t *log)
{
	json_t *entries = json_array(), *run, *result;
	size_t i, j;

	if (!entries)
		return NULL;
	json_array_foreach(json_object_get(log, "runs"), i, run) {
		json_array_foreach(json_object_get(run, "results"), j, result) {
			json_t *fingerprint = json_object_get(json_object_get(result, "partialFingerprints"),
							      "guardFingerprint/v1");

			if (!json_is_string(fingerprint))
				continue;
			if (json_array_append_new(entries, json_pack("{sO}", "fingerprint", fingerprint)) < 0) {
				json_decref(entries);
				return NULL;
			}
		}
	}
	return entries;
}

int guard_baseline_load(struct guard_baseline *baseline, const char *path,
			struct guard_error *err)
{
	json_error_t json_err;
	json_t *root = NULL, *findings;
	char *data = NULL;
	size_t len;
	int rc = -1;

	if (guard_read_file(path, GUARD_BASELINE_MAX_BYTES, &data, &len, err) < 0)
		return guard_error_prefix(err, "cannot read baseline");

	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &json_err);
	if (!root) {
		guard_error_set(err, GUARD_ERR_PARSE, "invalid baseline '%s': line %d: %s", path,
				json_err.line, json_err.text);
		goto done;
	}
	findings = json_object_get(root, "findings");
	if (!findings && json_is_array(json_object_get(root, "runs")))
		findings = sarif_fingerprints(root);
	else
		json_incref(findings);
	if (!json_is_array(findings)) {
		json_decref(findings);
		guard_error_set(err, GUARD_ERR_PARSE,
				"invalid baseline '%s': expected an object with a \"findings\" array, or a SARIF log",
				path);
		goto done;
	}
	rc = collect_fingerprints(baseline, findings, path, err);
	json_decref(findings);
	if (rc < 0)
		guard_baseline_release(baseline);
done:
	json_decref(root);
	free(data);
	return rc;
}

bool guard_baseline_contains(const struct guard_baseline *baseline, const char *fingerprint)
{
	if (!baseline->count || !fingerprint)
		return false;
	return bsearch(&fingerprint, baseline->fingerprints, baseline->count, sizeof(char *),
		       compare_names) != NULL;
}

static int compare_by_fingerprint(const void *a, const void *b)
{
	const struct guard_finding *fa = *(const struct guard_finding *const *)a;
	const struct guard_finding *fb = *(const struct guard_finding *const *)b;

	return strcmp(fa->fingerprint, fb->fingerprint);
}

static void set_optional(json_t *object, const char *key, const char *value)
{
	if (value)
		json_object_set_new(object, key, guard_report_json_string(value));
}

static json_t *baseline_entry(const struct guard_finding *f)
{
	json_t *entry = json_object();

	if (!entry)
		return NULL;
	json_object_set_new(entry, "fingerprint", json_string(f->fingerprint));
	json_object_set_new(entry, "rule", json_string(f->rule_id));
	set_optional(entry, "path", f->loc.path ? f->loc.path : f->loc.origin);
	set_optional(entry, "commit", f->loc.commit);
	set_optional(entry, "layer", f->loc.layer);
	json_object_set_new(entry, "preview", json_string(f->preview));
	return entry;
}

static json_t *baseline_document(const struct guard_findings *findings,
				 const struct guard_finding **sorted)
{
	json_t *root = json_object(), *list = json_array();
	size_t i;

	if (!root || !list) {
		json_decref(root);
		json_decref(list);
		return NULL;
	}
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "tool", json_string("guard"));
	json_object_set_new(root, "findings", list);

	for (i = 0; i < findings->count; i++) {
		json_t *entry;

		if (i > 0 && strcmp(sorted[i - 1]->fingerprint, sorted[i]->fingerprint) == 0)
			continue;
		entry = baseline_entry(sorted[i]);
		if (!entry || json_array_append_new(list, entry) < 0) {
			json_decref(root);
			return NULL;
		}
	}
	return root;
}

int guard_baseline_write(const char *path, const struct guard_findings *findings,
			 struct guard_error *err)
{
	const struct guard_finding **sorted;
	json_t *root;
	char *text;
	size_t i, len;
	int rc;

	sorted = calloc(findings->count + 1, sizeof(*sorted));
	if (!sorted)
		return guard_error_oom(err);
	for (i = 0; i < findings->count; i++)
		sorted[i] = &findings->items[i];
	qsort(sorted, findings->count, sizeof(*sorted), compare_by_fingerprint);

	root = baseline_document(findings, sorted);
	free(sorted);
	if (!root)
		return guard_error_oom(err);
	rc = guard_report_dump_json(root, &text, &len, err);
	json_decref(root);
	if (rc < 0)
		return -1;

	rc = guard_write_output(path, text, len, err);
	free(text);
	if (rc < 0)
		return guard_error_prefix(err, "cannot write baseline");
	return 0;
}
