/* The JSON report; doc/report.schema.json describes it. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"

/* Version of the report's JSON layout, raised on incompatible changes. */
#define REPORT_JSON_VERSION 1

/* Maximum bytes of a build step kept in a report entry. */
#define STEP_REPORT_MAX 1024

json_t *guard_report_json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct guard_buf fixed = GUARD_BUF_INIT(SIZE_MAX / 2);
	size_t len;
	json_t *value;

	if (!s)
		return json_null();
	len = strlen(s);
	value = json_stringn(s, len);
	if (value)
		return value;

	/* Not valid UTF-8: keep the valid sequences, replace each bad byte. */
	while (len > 0) {
		unsigned long cp;
		size_t n = guard_report_utf8_decode(p, len, &cp);
		int rc;

		if (n == 0) {
			rc = guard_buf_puts(&fixed, "\xef\xbf\xbd", NULL);
			n = 1;
		} else {
			rc = guard_buf_append(&fixed, p, n, NULL);
		}
		if (rc < 0) {
			guard_buf_release(&fixed);
			return NULL;
		}
		p += n;
		len -= n;
	}
	value = json_stringn(fixed.data ? fixed.data : "", fixed.len);
	guard_buf_release(&fixed);
	return value;
}

int guard_report_dump_json(json_t *root, char **text, size_t *len, struct guard_error *err)
{
	struct guard_buf out = GUARD_BUF_INIT(GUARD_REPORT_MAX_BYTES);
	char *dumped = json_dumps(root, JSON_INDENT(2));

	if (!dumped)
		return guard_error_oom(err);
	if (guard_buf_puts(&out, dumped, err) < 0 || guard_buf_putc(&out, '\n', err) < 0) {
		free(dumped);
		guard_buf_release(&out);
		return -1;
	}
	free(dumped);
	*text = guard_buf_detach(&out, len);
	return *text ? 0 : guard_error_oom(err);
}

/* Collects json_object_set_new failures, which only happen without memory
 * (strings are made valid UTF-8 before they get here). */
struct json_builder {
	bool failed;
};

static void set(struct json_builder *b, json_t *object, const char *key, json_t *value)
{
	if (!value || json_object_set_new(object, key, value) < 0)
		b->failed = true;
}

static void set_string(struct json_builder *b, json_t *object, const char *key, const char *s)
{
	set(b, object, key, guard_report_json_string(s));
}

static void set_optional_string(struct json_builder *b, json_t *object, const char *key,
				const char *s)
{
	if (s)
		set_string(b, object, key, s);
}

static json_t *commit_object(struct json_builder *b, const struct guard_location *loc)
{
	json_t *commit = json_object();

	if (!commit) {
		b->failed = true;
		return NULL;
	}
	set_string(b, commit, "id", loc->commit);
	set_optional_string(b, commit, "author", loc->author);
	set_optional_string(b, commit, "date", loc->date);
	if (loc->subject) {
		struct guard_buf subject = GUARD_BUF_INIT(STEP_REPORT_MAX * 4);

		/* A commit subject can name a secret ("add token ghp_..."). */
		if (guard_report_redact_text(loc->subject, STEP_REPORT_MAX, &subject, NULL) < 0)
			b->failed = true;
		else
			set_optional_string(b, commit, "subject", subject.data ? subject.data : "");
		guard_buf_release(&subject);
	}
	return commit;
}

static json_t *image_object(struct json_builder *b, const struct guard_location *loc)
{
	struct guard_buf step = GUARD_BUF_INIT(STEP_REPORT_MAX * 4);
	json_t *image = json_object();

	if (!image) {
		b->failed = true;
		return NULL;
	}
	set_optional_string(b, image, "name", loc->image);
	set_optional_string(b, image, "platform", loc->platform);
	set_optional_string(b, image, "layer", loc->layer);
	if (loc->layer_index > 0)
		set(b, image, "layer_index", json_integer(loc->layer_index));
	if (loc->step) {
		if (guard_report_redact_step(loc, STEP_REPORT_MAX, &step, NULL) < 0)
			b->failed = true;
		else
			set_string(b, image, "step", step.data ? step.data : "");
	}
	set(b, image, "removed", json_boolean(loc->removed));
	guard_buf_release(&step);
	return image;
}

static json_t *finding_object(struct json_builder *b, const struct guard_finding *f)
{
	const struct guard_location *loc = &f->loc;
	json_t *object = json_object();

	if (!object) {
		b->failed = true;
		return NULL;
	}
	set_string(b, object, "rule", f->rule_id);
	set_string(b, object, "description", f->description);
	set_string(b, object, "severity", guard_severity_name(f->severity));
	set_string(b, object, "path", loc->path);
	set_string(b, object, "origin", loc->origin);
	set(b, object, "line", json_integer(loc->line));
	set(b, object, "column", json_integer(loc->column));
	set(b, object, "end_column", json_integer(loc->end_column));
	set_string(b, object, "preview", f->preview);
	set(b, object, "secret_length", json_integer((json_int_t)f->secret_length));
	set_string(b, object, "fingerprint", f->fingerprint);
	set_string(b, object, "hint", f->hint);
	set_string(b, object, "message", f->message);
	if (loc->commit)
		set(b, object, "commit", commit_object(b, loc));
	if (loc->image || loc->layer || loc->step || loc->platform)
		set(b, object, "image", image_object(b, loc));
	return object;
}

static json_t *summary_object(struct json_builder *b, const struct guard_scan_result *result)
{
	const struct guard_scan_stats *s = &result->stats;
	json_t *summary = json_object();

	if (!summary) {
		b->failed = true;
		return NULL;
	}
	set(b, summary, "files_scanned", json_integer((json_int_t)s->files_scanned));
	set(b, summary, "bytes_scanned", json_integer((json_int_t)s->bytes_scanned));
	set(b, summary, "files_binary", json_integer((json_int_t)s->files_binary));
	set(b, summary, "files_too_large", json_integer((json_int_t)s->files_too_large));
	set(b, summary, "files_unreadable", json_integer((json_int_t)s->files_unreadable));
	set(b, summary, "files_ignored", json_integer((json_int_t)s->files_ignored));
	set(b, summary, "findings_allowed", json_integer((json_int_t)s->findings_allowed));
	set(b, summary, "findings_baselined", json_integer((json_int_t)s->findings_baselined));
	set(b, summary, "findings", json_integer((json_int_t)result->findings.count));
	set(b, summary, "problems", json_integer((json_int_t)result->problems.count));
	set_string(b, summary, "note", result->summary);
	return summary;
}

static json_t *problems_array(struct json_builder *b, const struct guard_scan_result *result)
{
	json_t *problems = json_array();
	size_t i;

	if (!problems) {
		b->failed = true;
		return NULL;
	}
	for (i = 0; i < result->problems.count; i++) {
		enum guard_error_code code = result->problem_codes ? result->problem_codes[i]
								   : result->worst;
		json_t *problem = json_object();

		if (!problem || json_array_append_new(problems, problem) < 0) {
			b->failed = true;
			break;
		}
		set_string(b, problem, "class", guard_error_code_name(code));
		set_string(b, problem, "message", result->problems.items[i]);
	}
	return problems;
}

static json_t *report_object(struct json_builder *b, const struct guard_scan_result *result)
{
	json_t *root = json_object(), *tool = json_object(), *findings = json_array();
	size_t i;

	if (!root || !tool || !findings) {
		json_decref(root);
		json_decref(tool);
		json_decref(findings);
		b->failed = true;
		return NULL;
	}
	set(b, root, "version", json_integer(REPORT_JSON_VERSION));
	set(b, root, "tool", tool);
	set_string(b, tool, "name", "guard");
	set_string(b, tool, "version", GUARD_VERSION);
	set_string(b, root, "command", result->command);
	set_string(b, root, "target", result->target);
	set(b, root, "findings", findings);
	for (i = 0; i < result->findings.count; i++) {
		json_t *finding = finding_object(b, &result->findings.items[i]);

		if (!finding || json_array_append_new(findings, finding) < 0)
			b->failed = true;
	}
	set(b, root, "summary", summary_object(b, result));
	set(b, root, "problems", problems_array(b, result));
	return root;
}

int guard_report_write_json(const struct guard_scan_result *result, struct guard_buf *out,
			    struct guard_error *err)
{
	struct json_builder b = { false };
	json_t *root = report_object(&b, result);
	char *text = NULL;
	size_t len;
	int rc;

	if (!root || b.failed) {
		json_decref(root);
		return guard_error_oom(err);
	}
	rc = guard_report_dump_json(root, &text, &len, err);
	json_decref(root);
	if (rc == 0)
		rc = guard_buf_append(out, text, len, err);
	free(text);
	return rc;
}
