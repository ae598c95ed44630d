/* The results of guard pin on stdout: one line per reference that changed
 * or needs attention in text, or one JSON document. */
#include "pin.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "util.h"

const char *guard_pin_action_name(enum guard_pin_action action)
{
	switch (action) {
	case GUARD_PIN_ACTION_PINNED:
		return "pinned";
	case GUARD_PIN_ACTION_ALREADY:
		return "already_pinned";
	case GUARD_PIN_ACTION_UPDATED:
		return "updated";
	case GUARD_PIN_ACTION_UNPINNED:
		return "unpinned";
	case GUARD_PIN_ACTION_SKIPPED:
		return "skipped";
	case GUARD_PIN_ACTION_ERROR:
		return "error";
	case GUARD_PIN_ACTION_NONE:
		break;
	}
	return "none";
}

static const char *mode_name(enum guard_pin_mode mode)
{
	switch (mode) {
	case GUARD_PIN_CHECK:
		return "check";
	case GUARD_PIN_DIFF:
		return "diff";
	case GUARD_PIN_WRITE:
		break;
	}
	return "write";
}

/* The reference to show: what was resolved when it differs from the text
 * (an ARG-driven FROM), else the text. */
static const char *shown(const struct guard_pin_site *site)
{
	return site->expanded ? site->expanded : site->text;
}

/* Stage names and scratch are skipped in every build; listing them would
 * bury the skips that need attention, so they show only with -v. The
 * reasons are the Dockerfile parser's wording. */
static bool names_no_image(const struct guard_pin_site *site)
{
	return site->reason && (guard_has_prefix(site->reason, "stage ") ||
				guard_has_prefix(site->reason, "scratch "));
}

static void print_check_site(const struct guard_pin_run *run, const struct guard_pin_site *site,
			     FILE *out)
{
	const char *path = run->files[site->file].path;

	if (site->action == GUARD_PIN_ACTION_UNPINNED)
		fprintf(out, "%s:%u: %s\n", path, site->line, shown(site));
	else if (site->moved_to[0])
		fprintf(out, "%s:%u: %s: the tag now points to %s\n", path, site->line,
			site->text, site->moved_to);
	else if (site->action == GUARD_PIN_ACTION_SKIPPED &&
		 (!names_no_image(site) || guard_log_level() >= GUARD_LOG_VERBOSE))
		/* An image that cannot be pinned without build-time values is not
		 * a failure, but a CI gate must not pass over it in silence. */
		fprintf(out, "%s:%u: skipped %s: %s\n", path, site->line, site->text,
			site->reason ? site->reason : "");
}

static void print_write_site(const struct guard_pin_run *run, const struct guard_pin_site *site,
			     FILE *out)
{
	const char *path = run->files[site->file].path;
	const char *verb = run->mode == GUARD_PIN_DIFF ? "would pin" : "pinned";

	switch (site->action) {
	/* The line is where the bytes change: for FROM ${BASE}, the line of
	 * ARG BASE=... */
	case GUARD_PIN_ACTION_PINNED:
		fprintf(out, "%s:%u: %s %s%s@%s\n", path, site->edit_line, verb, shown(site),
			site->add_latest ? ":latest" : "", site->digest);
		break;
	case GUARD_PIN_ACTION_UPDATED:
		/* The reference up to its old digest, which the line shows next. */
		fprintf(out, "%s:%u: %s %.*s: %s -> %s\n", path, site->edit_line,
			run->mode == GUARD_PIN_DIFF ? "would update" : "updated",
			(int)strcspn(shown(site), "@"), shown(site), site->previous, site->digest);
		break;
	case GUARD_PIN_ACTION_SKIPPED:
		if (!names_no_image(site) || guard_log_level() >= GUARD_LOG_VERBOSE)
			fprintf(out, "%s:%u: skipped %s: %s\n", path, site->line, site->text,
				site->reason ? site->reason : "");
		break;
	case GUARD_PIN_ACTION_ALREADY:
		if (guard_log_level() >= GUARD_LOG_VERBOSE)
			fprintf(out, "%s:%u: already pinned %s\n", path, site->line, site->text);
		break;
	default:
		break;
	}
}

static int write_text(const struct guard_pin_run *run, FILE *out)
{
	size_t i;

	if (run->mode == GUARD_PIN_DIFF) {
		/* stdout carries only the diff, so that it can go to patch; the
		 * images it leaves unpinned are named on stderr. */
		for (i = 0; i < run->file_count; i++)
			if (run->files[i].diff)
				fputs(run->files[i].diff, out);
		for (i = 0; i < run->site_count; i++) {
			const struct guard_pin_site *site = &run->sites[i];

			if (site->action == GUARD_PIN_ACTION_SKIPPED && !names_no_image(site))
				guard_log_warn("%s:%u: skipped %s: %s", run->files[site->file].path,
					       site->line, site->text, site->reason ? site->reason : "");
		}
		return 0;
	}
	for (i = 0; i < run->site_count; i++) {
		if (run->mode == GUARD_PIN_CHECK)
			print_check_site(run, &run->sites[i], out);
		else if (guard_log_level() > GUARD_LOG_QUIET)
			print_write_site(run, &run->sites[i], out);
	}
	return 0;
}

static json_t *error_json(const struct guard_error *error)
{
	return json_pack("{s:s, s:s}", "code", guard_error_code_name(error->code),
			 "message", error->message);
}

static json_t *string_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *site_json(const struct guard_pin_run *run, const struct guard_pin_site *site)
{
	json_t *obj = json_pack("{s:s, s:I, s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
				"file", run->files[site->file].path,
				"line", (json_int_t)site->line,
				"column", (json_int_t)site->column,
				"kind", site->kind ? site->kind : "",
				"text", site->text ? site->text : "",
				"expanded", string_or_null(site->expanded),
				"name", string_or_null(site->name),
				"digest", string_or_null(site->digest),
				"action", json_string(guard_pin_action_name(site->action)),
				"reason", string_or_null(site->reason),
				"warning", string_or_null(site->warning));

	if (!obj)
		return NULL;
	if (site->action == GUARD_PIN_ACTION_PINNED || site->action == GUARD_PIN_ACTION_UPDATED)
		json_object_set_new(obj, "edit_line", json_integer((json_int_t)site->edit_line));
	if (site->previous[0])
		json_object_set_new(obj, "previous_digest", json_string(site->previous));
	if (site->moved_to[0])
		json_object_set_new(obj, "tag_digest", json_string(site->moved_to));
	if (site->action == GUARD_PIN_ACTION_ERROR)
		json_object_set_new(obj, "error", error_json(&site->error));
	return obj;
}

static json_t *file_json(const struct guard_pin_file *file)
{
	json_t *obj = json_pack("{s:s, s:s, s:b, s:b}", "path", file->path,
				"kind", file->content_kind ? file->content_kind : "",
				"changed", file->changed, "written", file->written);

	if (!obj)
		return NULL;
	if (file->diff)
		json_object_set_new(obj, "diff", json_string(file->diff));
	if (file->failed)
		json_object_set_new(obj, "error", error_json(&file->error));
	return obj;
}

static json_t *summary_json(const struct guard_pin_run *run)
{
	size_t counts[GUARD_PIN_ACTION_ERROR + 1] = { 0 };
	json_t *obj;
	size_t i;

	for (i = 0; i < run->site_count; i++)
		counts[run->sites[i].action]++;
	obj = json_pack("{s:I}", "references", (json_int_t)run->site_count);
	for (i = GUARD_PIN_ACTION_PINNED; obj && i <= GUARD_PIN_ACTION_ERROR; i++)
		json_object_set_new(obj, guard_pin_action_name((enum guard_pin_action)i),
				    json_integer((json_int_t)counts[i]));
	return obj;
}

static int write_json(const struct guard_pin_run *run, FILE *out, struct guard_error *err)
{
	json_t *root = json_pack("{s:s, s:[], s:[]}", "mode", mode_name(run->mode),
				 "files", "references");
	json_t *files, *refs;
	size_t i;
	int rc = 0;

	if (!root)
		return guard_error_oom(err);
	files = json_object_get(root, "files");
	refs = json_object_get(root, "references");
	json_object_set_new(root, "update", json_boolean(run->update));
	json_object_set_new(root, "platform", string_or_null(run->platform));
	for (i = 0; i < run->file_count; i++)
		if (json_array_append_new(files, file_json(&run->files[i])) < 0)
			rc = guard_error_oom(err);
	for (i = 0; i < run->site_count; i++)
		if (json_array_append_new(refs, site_json(run, &run->sites[i])) < 0)
			rc = guard_error_oom(err);
	json_object_set_new(root, "summary", summary_json(run));
	if (rc == 0 && (json_dumpf(root, out, JSON_INDENT(2)) < 0 || fputc('\n', out) == EOF))
		rc = guard_error_set(err, GUARD_ERR_IO, "cannot write the JSON results");
	json_decref(root);
	return rc;
}

int guard_pin_output_write(const struct guard_pin_run *run, FILE *out,
			   struct guard_error *err)
{
	if (run->opts.format == GUARD_FORMAT_JSON)
		return write_json(run, out, err);
	return write_text(run, out);
}
