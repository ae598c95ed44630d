#include "image_scan.h"
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "digest.h"
#include "image_history.h"
#include "secret_name.h"
#include "util.h"

/* Findings result->findings.items[first .. first + count) came from one file. */
struct finding_range {
	size_t first;
	size_t count;
	char *path;		/* for hard links of the same layer */
};

struct image_scan {
	struct guard_scanner *scanner;
	struct guard_scan_result *result;
	const struct guard_image_options *opts;
	struct finding_range *ranges;	/* indexed by watch id */
	size_t range_count;
	size_t layer_first_range;	/* ranges of the current layer start here */
	struct guard_string_list reported;	/* rule + name + value hash, per platform */
};

static void base_location(struct guard_location *loc, const struct guard_image_entry *e,
			  const char *origin)
{
	memset(loc, 0, sizeof(*loc));
	loc->image = (char *)e->image;
	loc->platform = (char *)e->platform;
	loc->layer = (char *)e->layer;
	loc->layer_index = e->layer_index;
	loc->step = (char *)e->step;
	loc->origin = (char *)origin;
}

/* Reports NAME=value once per platform, rule and value. */
static int report_name_rule(struct image_scan *s, const struct guard_image_entry *e,
			    const char *rule, const char *name, const char *value,
			    const struct guard_location *loc, struct guard_error *err)
{
	struct guard_finding f = { 0 };
	struct guard_buf key = GUARD_BUF_INIT(4096);
	char hash[65];
	size_t i;
	int rc = -1;

	if (!guard_secret_name_is_sensitive(name) || guard_secret_value_is_placeholder(value))
		return 0;
	if (guard_sha256_hex(value, strlen(value), hash, err) < 0 ||
	    guard_buf_printf(&key, err, "%s %s %s %s", rule, e->platform ? e->platform : "", name,
			     hash) < 0)
		goto done;
	for (i = 0; i < s->reported.count; i++)
		if (strcmp(s->reported.items[i], key.data) == 0) {
			rc = 0;
			goto done;
		}
	if (guard_string_list_add(&s->reported, key.data, err) < 0)
		goto done;

	f.rule_id = guard_source_rule(rule)->id;
	f.severity = guard_source_rule(rule)->severity;
	f.description = guard_source_rule(rule)->description;
	f.hint = guard_source_rule(rule)->hint;
	f.loc = *loc;
	f.loc.path = (char *)name;
	if (guard_finding_set_secret(&f, value, strlen(value), err) < 0 ||
	    guard_finding_fingerprint(&f, err) < 0)
		goto done;
	rc = guard_scan_result_collect(&f, s->result, err);
done:
	guard_buf_release(&key);
	return rc;
}

/* Runs NAME=value through the engine. */
static int scan_pair(struct image_scan *s, const char *name, const char *value,
		     const struct guard_location *loc, struct guard_error *err)
{
	struct guard_buf text = GUARD_BUF_INIT(s->opts->max_json_bytes + 4096);
	int rc;

	if (guard_buf_printf(&text, err, "%s=%s", name, value) < 0)
		return -1;
	rc = guard_scanner_scan(s->scanner, loc, text.data, text.len, &s->result->stats,
				guard_scan_result_collect, s->result, err);
	guard_buf_release_secret(&text);
	return rc;
}

static int scan_history(struct image_scan *s, const struct guard_image_entry *e,
			struct guard_error *err)
{
	struct guard_history_step step;
	struct guard_location loc;
	size_t i;
	int rc = 0;

	base_location(&loc, e, "history");
	loc.step = (char *)e->value;
	loc.layer = NULL;
	if (guard_history_parse(&step, e->value, err) < 0)
		return -1;
	for (i = 0; rc == 0 && i < step.var_count; i++)
		rc = report_name_rule(s, e, step.kind == GUARD_HISTORY_ENV
					? GUARD_RULE_IMAGE_ENV_SECRET : GUARD_RULE_IMAGE_BUILD_ARG_SECRET,
				      step.vars[i].name, step.vars[i].value, &loc, err);
	guard_history_step_release(&step);
	if (rc == 0)
		rc = guard_scanner_scan(s->scanner, &loc, e->value, strlen(e->value),
					&s->result->stats, guard_scan_result_collect, s->result, err);
	return rc;
}

static int add_range(struct image_scan *s, size_t first, const char *path, int *watch_id,
		     struct guard_error *err)
{
	struct finding_range *grown;

	if (s->result->findings.count == first)
		return 0;
	grown = realloc(s->ranges, (s->range_count + 1) * sizeof(*grown));
	if (!grown)
		return guard_error_oom(err);
	s->ranges = grown;
	grown[s->range_count].first = first;
	grown[s->range_count].count = s->result->findings.count - first;
	grown[s->range_count].path = guard_strdup(path, err);
	if (!grown[s->range_count].path)
		return -1;
	*watch_id = (int)s->range_count++;
	return 0;
}

static int scan_file(struct image_scan *s, const struct guard_image_entry *e, int *watch_id,
		     struct guard_error *err)
{
	size_t first = s->result->findings.count;
	struct guard_location loc;

	base_location(&loc, e, "layer");
	loc.path = (char *)e->path;
	if (e->binary) {
		s->result->stats.files_binary++;
	} else {
		if (guard_scanner_scan(s->scanner, &loc, e->data, e->len, &s->result->stats,
				       guard_scan_result_collect, s->result, err) < 0)
			return -1;
		if (e->truncated) {
			struct guard_error problem = GUARD_ERROR_INIT;

			s->result->stats.files_too_large++;
			guard_error_set(&problem, GUARD_ERR_LIMIT,
					"file '%s' in layer %d of '%s' has %llu bytes; only the first %zu were scanned (the per-file limit)",
					e->path, e->layer_index, e->image,
					(unsigned long long)e->size, e->len);
			if (guard_scan_result_problem(s->result, &problem, err) < 0)
				return -1;
		}
	}
	if (guard_scanner_check_name(s->scanner, &loc, e->data, e->len, guard_scan_result_collect,
				     s->result, err) < 0)
		return -1;
	return add_range(s, first, e->path, watch_id, err);
}

/* A hard link has no data: the findings of its target in this layer are
 * reported again under the link's name. */
static int scan_hardlink(struct image_scan *s, const struct guard_image_entry *e, int *watch_id,
			 struct guard_error *err)
{
	size_t first = s->result->findings.count, i, j;
	struct guard_location loc;

	for (i = s->layer_first_range; i < s->range_count; i++) {
		struct finding_range r = s->ranges[i];

		if (strcmp(r.path, e->link_target) != 0)
			continue;
		for (j = r.first; j < r.first + r.count; j++) {
			struct guard_finding copy = s->result->findings.items[j];

			copy.loc.path = (char *)e->path;
			copy.loc.removed = false;
			if (guard_finding_fingerprint(&copy, err) < 0 ||
			    guard_scan_result_collect(&copy, s->result, err) < 0)
				return -1;
		}
		break;
	}
	base_location(&loc, e, "layer");
	loc.path = (char *)e->path;
	if (guard_scanner_check_name(s->scanner, &loc, NULL, 0, guard_scan_result_collect,
				     s->result, err) < 0)
		return -1;
	return add_range(s, first, e->path, watch_id, err);
}

static int on_entry(void *ctx, const struct guard_image_entry *e, int *watch_id,
		    struct guard_error *err)
{
	struct image_scan *s = ctx;
	struct guard_location loc;

	switch (e->kind) {
	case GUARD_IMAGE_CONFIG:
		return 0;
	case GUARD_IMAGE_ENV:
		base_location(&loc, e, "config.Env");
		if (report_name_rule(s, e, GUARD_RULE_IMAGE_ENV_SECRET, e->name, e->value, &loc,
				     err) < 0)
			return -1;
		return scan_pair(s, e->name, e->value, &loc, err);
	case GUARD_IMAGE_LABEL:
		base_location(&loc, e, "config.Labels");
		return scan_pair(s, e->name, e->value, &loc, err);
	case GUARD_IMAGE_HISTORY:
		return scan_history(s, e, err);
	case GUARD_IMAGE_BUILD_ARG:
		base_location(&loc, e, "provenance");
		loc.layer = (char *)e->blob;
		if (report_name_rule(s, e, GUARD_RULE_IMAGE_BUILD_ARG_SECRET, e->name, e->value,
				     &loc, err) < 0)
			return -1;
		return scan_pair(s, e->name, e->value, &loc, err);
	case GUARD_IMAGE_LAYER:
		s->layer_first_range = s->range_count;
		return 0;
	case GUARD_IMAGE_FILE:
		return scan_file(s, e, watch_id, err);
	case GUARD_IMAGE_HARDLINK:
		return scan_hardlink(s, e, watch_id, err);
	}
	return 0;
}

/* Every report prints loc.removed as "deleted by a later layer", so the
 * message adds only the layer that deleted the file. */
static void on_removed(void *ctx, int watch_id, int layer_index)
{
	struct image_scan *s = ctx;
	const struct finding_range *r = &s->ranges[watch_id];
	size_t i;

	for (i = r->first; i < r->first + r->count && i < s->result->findings.count; i++) {
		struct guard_finding *f = &s->result->findings.items[i];
		char message[64];
		char *copy;

		f->loc.removed = true;
		if (layer_index <= 0 || f->message)
			continue;
		snprintf(message, sizeof(message), "layer %d deletes it", layer_index);
		copy = strdup(message);
		if (copy)	/* without memory the finding stays, only without the note */
			f->message = copy;
	}
}

static int on_problem(void *ctx, const struct guard_error *problem, struct guard_error *err)
{
	struct image_scan *s = ctx;

	return guard_scan_result_problem(s->result, problem, err);
}

int guard_image_scan(const char *image, const struct guard_image_options *opts,
		     struct guard_scanner *scanner, struct guard_scan_result *result,
		     struct guard_error *err)
{
	struct image_scan s = { 0 };
	struct guard_image_visitor visitor = { &s, on_entry, on_removed, on_problem };
	size_t i;
	int rc;

	s.scanner = scanner;
	s.result = result;
	s.opts = opts;
	rc = guard_image_walk(image, opts, &visitor, err);
	for (i = 0; i < s.range_count; i++)
		free(s.ranges[i].path);
	free(s.ranges);
	guard_string_list_release(&s.reported);
	return rc;
}
