/* The SARIF 2.1.0 report, shaped for GitHub code scanning: one run, the
 * rules that the results use, repository-relative artifact URIs under
 * %SRCROOT%, and guard's fingerprint as a partial fingerprint. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"
#include "util.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define SARIF_VERSION "2.1.0"
#define SRCROOT "%SRCROOT%"
#define FINGERPRINT_KEY "guardFingerprint/v1"

/* TODO: point at the project's public home once it has one; SARIF wants an
 * absolute URI here and GitHub shows it next to the tool name. */
#define INFORMATION_URI "https://guard.invalid/"

/* Hard-coded credentials (CWE-798), the weakness every rule reports. */
#define CWE_TAG "external/cwe/cwe-798"

struct sarif_builder {
	bool failed;
	const char **rule_ids;	/* rules in the order of first use */
	size_t rule_count;
};

static void set(struct sarif_builder *b, json_t *object, const char *key, json_t *value)
{
	if (!value || json_object_set_new(object, key, value) < 0)
		b->failed = true;
}

static void set_string(struct sarif_builder *b, json_t *object, const char *key, const char *s)
{
	set(b, object, key, guard_report_json_string(s));
}

static void append(struct sarif_builder *b, json_t *array, json_t *value)
{
	if (!value || json_array_append_new(array, value) < 0)
		b->failed = true;
}

static json_t *text_object(struct sarif_builder *b, const char *text)
{
	json_t *object = json_object();

	if (!object) {
		b->failed = true;
		return NULL;
	}
	set_string(b, object, "text", text);
	return object;
}

/* GitHub's "SARIF support for code scanning" page maps security-severity
 * above 9.0 to critical, 7.0 to 8.9 to high, 4.0 to 6.9 to medium and 3.9
 * or less to low. */
static const char *security_severity(enum guard_severity severity)
{
	switch (severity) {
	case GUARD_SEVERITY_CRITICAL: return "9.5";
	case GUARD_SEVERITY_HIGH: return "8.0";
	case GUARD_SEVERITY_MEDIUM: return "5.5";
	case GUARD_SEVERITY_LOW: return "3.0";
	}
	return "5.5";
}

static const char *sarif_level(enum guard_severity severity)
{
	switch (severity) {
	case GUARD_SEVERITY_CRITICAL:
	case GUARD_SEVERITY_HIGH: return "error";
	case GUARD_SEVERITY_MEDIUM: return "warning";
	case GUARD_SEVERITY_LOW: return "note";
	}
	return "warning";
}

/* "github-pat" becomes "GithubPat": SARIF rule names are identifiers. */
static int rule_name(const char *id, struct guard_buf *out)
{
	bool upper = true;

	for (; *id; id++) {
		char c = *id;

		if (c == '-' || c == '_' || c == '.' || c == ' ') {
			upper = true;
			continue;
		}
		if (upper && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		upper = false;
		if (guard_buf_putc(out, c, NULL) < 0)
			return -1;
	}
	return 0;
}

/* Returns the index of rule id in tool.driver.rules; *added is set when
 * this call added it, so the caller appends its metadata once. */
static int rule_index(struct sarif_builder *b, const char *id, bool *added)
{
	size_t i;

	*added = false;
	for (i = 0; i < b->rule_count; i++)
		if (strcmp(b->rule_ids[i], id) == 0)
			return (int)i;
	b->rule_ids[b->rule_count] = id;
	*added = true;
	return (int)b->rule_count++;
}

static json_t *rule_properties(struct sarif_builder *b, const struct guard_finding *f)
{
	json_t *properties = json_object(), *tags = json_array();

	if (!properties || !tags) {
		json_decref(properties);
		json_decref(tags);
		b->failed = true;
		return NULL;
	}
	set_string(b, properties, "security-severity", security_severity(f->severity));
	set_string(b, properties, "precision", "high");
	set(b, properties, "tags", tags);
	append(b, tags, json_string("security"));
	append(b, tags, json_string("secret"));
	append(b, tags, json_string(CWE_TAG));
	return properties;
}

static json_t *rule_help(struct sarif_builder *b, const struct guard_finding *f)
{
	struct guard_buf markdown = GUARD_BUF_INIT(64 * 1024);
	const char *hint = f->hint ? f->hint : "Revoke the secret and remove it from the source.";
	json_t *help = json_object();

	if (!help || guard_buf_printf(&markdown, NULL, "**%s**\n\n%s", f->description, hint) < 0) {
		json_decref(help);
		guard_buf_release(&markdown);
		b->failed = true;
		return NULL;
	}
	set_string(b, help, "text", hint);
	set_string(b, help, "markdown", markdown.data);
	guard_buf_release(&markdown);
	return help;
}

/* Rule metadata comes from the first finding of each rule, because the
 * findings carry the description, hint and severity of their rule. */
static json_t *rule_object(struct sarif_builder *b, const struct guard_finding *f)
{
	struct guard_buf name = GUARD_BUF_INIT(1024), full = GUARD_BUF_INIT(64 * 1024);
	json_t *rule = json_object(), *config = json_object();

	if (!rule || !config || rule_name(f->rule_id, &name) < 0 ||
	    guard_buf_printf(&full, NULL, "%s: a credential that must not be committed, sent in a build context or built into an image.",
			     f->description) < 0) {
		json_decref(rule);
		json_decref(config);
		b->failed = true;
		goto done;
	}
	set_string(b, rule, "id", f->rule_id);
	set_string(b, rule, "name", name.data);
	set(b, rule, "shortDescription", text_object(b, f->description));
	set(b, rule, "fullDescription", text_object(b, full.data));
	set(b, rule, "help", rule_help(b, f));
	set(b, rule, "defaultConfiguration", config);
	set_string(b, config, "level", sarif_level(f->severity));
	set(b, rule, "properties", rule_properties(b, f));
done:
	guard_buf_release(&name);
	guard_buf_release(&full);
	return rule;
}

static bool uri_keeps(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
}

/* Percent-encodes every byte outside the unreserved set and "/", so that
 * spaces, non-ASCII names and control bytes still give a valid URI. */
static int uri_encode(const char *path, struct guard_buf *out)
{
	const unsigned char *p = (const unsigned char *)path;

	for (; *p; p++) {
		int rc = uri_keeps(*p) ? guard_buf_putc(out, (char)*p, NULL)
				       : guard_buf_printf(out, NULL, "%%%02X", *p);

		if (rc < 0)
			return -1;
	}
	return 0;
}

static json_t *region_object(struct sarif_builder *b, const struct guard_location *loc)
{
	json_t *region = json_object();

	if (!region) {
		b->failed = true;
		return NULL;
	}
	/* A finding on a file name has no line; GitHub needs a start line,
	 * so it points at the first one. */
	set(b, region, "startLine", json_integer(loc->line > 0 ? loc->line : 1));
	/* SARIF counts columns in UTF-16 code units unless the run sets
	 * columnKind, so byte columns are the fallback when those are unknown. */
	if (loc->line > 0 && loc->column_utf16 > 0) {
		set(b, region, "startColumn", json_integer(loc->column_utf16));
		if (loc->end_column_utf16 > loc->column_utf16)
			set(b, region, "endColumn", json_integer(loc->end_column_utf16));
	} else if (loc->line > 0 && loc->column > 0) {
		set(b, region, "startColumn", json_integer(loc->column));
		if (loc->end_column > loc->column)
			set(b, region, "endColumn", json_integer(loc->end_column));
	}
	return region;
}

/* Image findings have no repository file: their URI is the path inside the
 * image, or the part of the config (origin) that held the secret. */
static json_t *location_object(struct sarif_builder *b, const struct guard_finding *f)
{
	const struct guard_location *loc = &f->loc;
	struct guard_buf uri = GUARD_BUF_INIT(64 * 1024);
	bool in_image = loc->image || loc->layer;
	const char *path = "unknown";
	json_t *location = json_object(), *physical = json_object(), *artifact = json_object();

	if (loc->path)
		path = loc->path;
	else if (loc->origin)
		path = loc->origin;
	while (path[0] == '/')
		path++;
	if (!location || !physical || !artifact || uri_encode(path, &uri) < 0) {
		json_decref(location);
		json_decref(physical);
		json_decref(artifact);
		guard_buf_release(&uri);
		b->failed = true;
		return NULL;
	}
	set(b, location, "physicalLocation", physical);
	set(b, physical, "artifactLocation", artifact);
	set_string(b, artifact, "uri", uri.data ? uri.data : "");
	if (!in_image)
		set_string(b, artifact, "uriBaseId", SRCROOT);
	set(b, physical, "region", region_object(b, loc));
	guard_buf_release(&uri);
	return location;
}

static json_t *message_object(struct sarif_builder *b, const struct guard_finding *f)
{
	struct guard_buf text = GUARD_BUF_INIT(64 * 1024);
	const struct guard_location *loc = &f->loc;
	json_t *message;
	int rc;

	rc = guard_buf_printf(&text, NULL, "%s %s", f->description, f->preview);
	if (rc == 0 && loc->commit)
		rc = guard_buf_printf(&text, NULL, " added in commit %.12s", loc->commit);
	if (rc == 0 && loc->layer)
		rc = guard_buf_printf(&text, NULL, " in layer %d (%s)%s", loc->layer_index,
				      loc->layer, loc->removed ? ", removed by a later layer" : "");
	else if (rc == 0 && loc->image && loc->origin)
		rc = guard_buf_printf(&text, NULL, " in the image's %s", loc->origin);
	if (rc == 0)
		rc = guard_buf_puts(&text, ".", NULL);
	if (rc == 0 && f->message)
		rc = guard_buf_printf(&text, NULL, " %s", f->message);
	if (rc == 0 && f->hint)
		rc = guard_buf_printf(&text, NULL, " %s", f->hint);
	message = rc == 0 ? text_object(b, text.data) : NULL;
	if (!message)
		b->failed = true;
	guard_buf_release(&text);
	return message;
}

static json_t *result_properties(struct sarif_builder *b, const struct guard_finding *f)
{
	const struct guard_location *loc = &f->loc;
	json_t *properties = json_object();

	if (!properties) {
		b->failed = true;
		return NULL;
	}
	set_string(b, properties, "severity", guard_severity_name(f->severity));
	set(b, properties, "secretLength", json_integer((json_int_t)f->secret_length));
	if (loc->origin)
		set_string(b, properties, "origin", loc->origin);
	if (loc->commit) {
		set_string(b, properties, "commit", loc->commit);
		if (loc->author)
			set_string(b, properties, "author", loc->author);
		if (loc->date)
			set_string(b, properties, "date", loc->date);
	}
	if (loc->image)
		set_string(b, properties, "image", loc->image);
	if (loc->platform)
		set_string(b, properties, "platform", loc->platform);
	if (loc->layer) {
		set_string(b, properties, "layer", loc->layer);
		set(b, properties, "layerIndex", json_integer(loc->layer_index));
		set(b, properties, "removed", json_boolean(loc->removed));
	}
	return properties;
}

static json_t *result_object(struct sarif_builder *b, const struct guard_finding *f,
			     json_t *rules)
{
	json_t *result = json_object(), *locations = json_array(), *fingerprints = json_object();
	bool added;
	int index = rule_index(b, f->rule_id, &added);

	if (!result || !locations || !fingerprints) {
		json_decref(result);
		json_decref(locations);
		json_decref(fingerprints);
		b->failed = true;
		return NULL;
	}
	if (added)
		append(b, rules, rule_object(b, f));

	set_string(b, result, "ruleId", f->rule_id);
	set(b, result, "ruleIndex", json_integer(index));
	set_string(b, result, "level", sarif_level(f->severity));
	set(b, result, "message", message_object(b, f));
	set(b, result, "locations", locations);
	append(b, locations, location_object(b, f));
	set(b, result, "partialFingerprints", fingerprints);
	set_string(b, fingerprints, FINGERPRINT_KEY, f->fingerprint);
	set(b, result, "properties", result_properties(b, f));
	return result;
}

static json_t *driver_object(struct sarif_builder *b, json_t *rules)
{
	json_t *driver = json_object();

	if (!driver) {
		b->failed = true;
		return NULL;
	}
	set_string(b, driver, "name", "guard");
	set_string(b, driver, "version", GUARD_VERSION);
	set_string(b, driver, "semanticVersion", GUARD_VERSION);
	set_string(b, driver, "informationUri", INFORMATION_URI);
	set(b, driver, "rules", rules);
	return driver;
}

/* SARIF wants the base URI to be absolute and to end with "/". */
static json_t *base_ids_object(struct sarif_builder *b, const char *root)
{
	struct guard_buf uri = GUARD_BUF_INIT(PATH_MAX * 3 + 16);
	json_t *ids = json_object(), *srcroot = json_object();
	char *resolved = root ? realpath(root, NULL) : NULL;
	const char *absolute = resolved ? resolved : (root && root[0] == '/') ? root : NULL;

	if (!ids || !srcroot) {
		json_decref(ids);
		json_decref(srcroot);
		free(resolved);
		b->failed = true;
		return NULL;
	}
	set(b, ids, SRCROOT, srcroot);
	if (absolute) {
		if (guard_buf_puts(&uri, "file://", NULL) < 0 || uri_encode(absolute, &uri) < 0 ||
		    (!guard_has_suffix(uri.data, "/") && guard_buf_putc(&uri, '/', NULL) < 0))
			b->failed = true;
		else
			set_string(b, srcroot, "uri", uri.data);
	}
	set(b, srcroot, "description",
	    text_object(b, "The folder or repository root that artifact URIs are relative to."));
	guard_buf_release(&uri);
	free(resolved);
	return ids;
}

static json_t *invocation_object(struct sarif_builder *b, const struct guard_scan_result *result)
{
	json_t *invocations = json_array(), *invocation = json_object(),
	       *notifications = json_array();
	size_t i;

	if (!invocations || !invocation || !notifications) {
		json_decref(invocations);
		json_decref(invocation);
		json_decref(notifications);
		b->failed = true;
		return NULL;
	}
	append(b, invocations, invocation);
	set(b, invocation, "executionSuccessful", json_boolean(result->problems.count == 0 &&
								 result->worst == GUARD_OK));
	set(b, invocation, "toolExecutionNotifications", notifications);
	for (i = 0; i < result->problems.count; i++) {
		json_t *notification = json_object();

		append(b, notifications, notification);
		if (!notification)
			break;
		set_string(b, notification, "level", "error");
		set(b, notification, "message", text_object(b, result->problems.items[i]));
	}
	return invocations;
}

/* "scan context" becomes "guard/scan-context/", so that GitHub keeps the
 * alerts of each kind of scan apart. */
static json_t *automation_object(struct sarif_builder *b, const char *command)
{
	struct guard_buf id = GUARD_BUF_INIT(1024);
	json_t *details = json_object();
	const char *p;
	int rc = guard_buf_puts(&id, "guard/", NULL);

	for (p = command ? command : "scan"; rc == 0 && *p; p++)
		rc = guard_buf_putc(&id, *p == ' ' ? '-' : *p, NULL);
	if (rc == 0)
		rc = guard_buf_putc(&id, '/', NULL);
	if (!details || rc < 0) {
		json_decref(details);
		guard_buf_release(&id);
		b->failed = true;
		return NULL;
	}
	set_string(b, details, "id", id.data);
	guard_buf_release(&id);
	return details;
}

static json_t *run_object(struct sarif_builder *b, const struct guard_scan_result *result)
{
	json_t *run = json_object(), *tool = json_object(), *rules = json_array(),
	       *results = json_array();
	size_t i;

	if (!run || !tool || !rules || !results) {
		json_decref(run);
		json_decref(tool);
		json_decref(rules);
		json_decref(results);
		b->failed = true;
		return NULL;
	}
	set(b, run, "tool", tool);
	set(b, tool, "driver", driver_object(b, rules));
	set(b, run, "automationDetails", automation_object(b, result->command));
	set(b, run, "originalUriBaseIds", base_ids_object(b, result->root));
	set(b, run, "invocations", invocation_object(b, result));
	set(b, run, "results", results);
	for (i = 0; i < result->findings.count; i++)
		append(b, results, result_object(b, &result->findings.items[i], rules));
	return run;
}

int guard_report_write_sarif(const struct guard_scan_result *result, struct guard_buf *out,
			     struct guard_error *err)
{
	struct sarif_builder b = { false, NULL, 0 };
	json_t *root = json_object(), *runs = json_array();
	char *text = NULL;
	size_t len;
	int rc;

	b.rule_ids = calloc(result->findings.count + 1, sizeof(*b.rule_ids));
	if (!root || !runs || !b.rule_ids) {
		json_decref(root);
		json_decref(runs);
		free(b.rule_ids);
		return guard_error_oom(err);
	}
	set_string(&b, root, "$schema", SARIF_SCHEMA);
	set_string(&b, root, "version", SARIF_VERSION);
	set(&b, root, "runs", runs);
	append(&b, runs, run_object(&b, result));
	free(b.rule_ids);

	if (b.failed) {
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
