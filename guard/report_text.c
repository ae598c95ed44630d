/* The text report: findings grouped by source, one line each that editors
 * and terminals can jump to, then the details and the hint. */
#include <stdio.h>
#include <string.h>

#include "report.h"

#define ANSI_RESET "\033[0m"
#define ANSI_BOLD "\033[1m"
#define ANSI_DIM "\033[2m"

/* Maximum bytes of a build step shown under an image finding. */
#define STEP_DISPLAY_MAX 160

struct text_writer {
	struct guard_buf *out;
	bool color;
	struct guard_error *err;
	int rc;
};

/* Appends s with control bytes, C1 controls and invalid UTF-8 written as
 * \xNN, so that a crafted file name cannot drive the terminal. */
static void put_safe(struct text_writer *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);

	while (w->rc == 0 && len > 0) {
		unsigned long cp = 0;
		size_t n = guard_report_utf8_decode(p, len, &cp);

		if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			w->rc = guard_buf_printf(w->out, w->err, "\\x%02x", *p);
			n = 1;
		} else {
			w->rc = guard_buf_append(w->out, p, n, w->err);
		}
		p += n;
		len -= n;
	}
}

static void put_raw(struct text_writer *w, const char *s)
{
	if (w->rc == 0)
		w->rc = guard_buf_puts(w->out, s, w->err);
}

static void put_styled(struct text_writer *w, const char *style, const char *s)
{
	if (w->color)
		put_raw(w, style);
	put_safe(w, s);
	if (w->color)
		put_raw(w, ANSI_RESET);
}

static const char *severity_style(enum guard_severity severity)
{
	switch (severity) {
	case GUARD_SEVERITY_CRITICAL: return "\033[1;31m";
	case GUARD_SEVERITY_HIGH: return "\033[31m";
	case GUARD_SEVERITY_MEDIUM: return "\033[33m";
	case GUARD_SEVERITY_LOW: return "\033[36m";
	}
	return ANSI_BOLD;
}

static const char *display_path(const struct guard_finding *f)
{
	if (f->loc.path)
		return f->loc.path;
	return f->loc.origin ? f->loc.origin : "(no path)";
}

static bool same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_group(const struct guard_finding *a, const struct guard_finding *b)
{
	return same_string(a->loc.path, b->loc.path) && same_string(a->loc.origin, b->loc.origin) &&
	       same_string(a->loc.commit, b->loc.commit) && same_string(a->loc.image, b->loc.image) &&
	       same_string(a->loc.platform, b->loc.platform) &&
	       same_string(a->loc.layer, b->loc.layer) && a->loc.layer_index == b->loc.layer_index;
}

static void write_group_header(struct text_writer *w, const struct guard_finding *f)
{
	char number[32];

	put_styled(w, ANSI_BOLD, display_path(f));
	if (f->loc.commit) {
		put_raw(w, " (commit ");
		put_safe(w, f->loc.commit);
		put_raw(w, ")");
	}
	if (f->loc.image || f->loc.layer || f->loc.layer_index > 0) {
		put_raw(w, " (");
		if (f->loc.image) {
			put_raw(w, "image ");
			put_safe(w, f->loc.image);
		}
		if (f->loc.platform) {
			put_raw(w, " ");
			put_safe(w, f->loc.platform);
		}
		if (f->loc.layer) {
			put_raw(w, f->loc.image ? ", layer " : "layer ");
			if (f->loc.layer_index > 0) {
				snprintf(number, sizeof(number), "%d ", f->loc.layer_index);
				put_raw(w, number);
			}
			put_safe(w, f->loc.layer);
		} else if (f->loc.layer_index > 0) {
			snprintf(number, sizeof(number), "%slayer %d", f->loc.image ? ", " : "",
				 f->loc.layer_index);
			put_raw(w, number);
		}
		put_raw(w, ")");
	}
	put_raw(w, "\n");
}

static void write_position(struct text_writer *w, const struct guard_finding *f)
{
	char number[48];

	put_safe(w, display_path(f));
	if (f->loc.line > 0) {
		snprintf(number, sizeof(number), ":%u:%u", f->loc.line, f->loc.column);
		put_raw(w, number);
	}
}

static void write_severity(struct text_writer *w, enum guard_severity severity)
{
	char upper[16];
	const char *name = guard_severity_name(severity);
	size_t i;

	for (i = 0; name[i] && i + 1 < sizeof(upper); i++)
		upper[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
	upper[i] = '\0';
	put_styled(w, severity_style(severity), upper);
}

static void write_git_details(struct text_writer *w, const struct guard_location *loc)
{
	put_raw(w, "    commit ");
	put_safe(w, loc->commit);
	if (loc->author) {
		put_raw(w, " by ");
		put_safe(w, loc->author);
	}
	if (loc->date) {
		put_raw(w, " on ");
		put_safe(w, loc->date);
	}
	if (loc->subject && w->rc == 0) {
		struct guard_buf subject = GUARD_BUF_INIT(STEP_DISPLAY_MAX * 4);

		/* A commit subject can name a secret ("add token ghp_..."). */
		w->rc = guard_report_redact_text(loc->subject, STEP_DISPLAY_MAX, &subject, w->err);
		put_raw(w, ": ");
		put_safe(w, subject.data ? subject.data : "");
		guard_buf_release(&subject);
	}
	put_raw(w, "\n");
}

static void write_image_details(struct text_writer *w, const struct guard_location *loc)
{
	struct guard_buf step = GUARD_BUF_INIT(STEP_DISPLAY_MAX * 4);

	if (loc->step && w->rc == 0) {
		w->rc = guard_report_redact_step(loc, STEP_DISPLAY_MAX, &step, w->err);
		put_raw(w, "    step: ");
		put_safe(w, step.data ? step.data : "");
		put_raw(w, "\n");
	}
	if (loc->removed)
		put_raw(w, "    removed in a later layer, but this layer still ships it\n");
	guard_buf_release(&step);
}

static void write_finding(struct text_writer *w, const struct guard_finding *f)
{
	write_position(w, f);
	put_raw(w, "  ");
	write_severity(w, f->severity);
	put_raw(w, "  ");
	put_safe(w, f->rule_id ? f->rule_id : "unknown");
	put_raw(w, "  ");
	put_safe(w, f->description ? f->description : "");
	put_raw(w, "  ");
	put_safe(w, f->preview);
	put_raw(w, "  ");
	put_styled(w, ANSI_DIM, f->fingerprint);
	put_raw(w, "\n");

	if (f->loc.origin && f->loc.path) {
		put_raw(w, "    found in ");
		put_safe(w, f->loc.origin);
		put_raw(w, "\n");
	}
	if (f->loc.commit)
		write_git_details(w, &f->loc);
	if (f->loc.step || f->loc.removed)
		write_image_details(w, &f->loc);
	if (f->message) {
		put_raw(w, "    ");
		put_safe(w, f->message);
		put_raw(w, "\n");
	}
	if (f->hint) {
		put_raw(w, "    hint: ");
		put_safe(w, f->hint);
		put_raw(w, "\n");
	}
}

int guard_report_write_text(const struct guard_scan_result *result, bool color,
			    struct guard_buf *out, struct guard_error *err)
{
	struct text_writer w = { out, color, err, 0 };
	const struct guard_findings *list = &result->findings;
	size_t i;

	for (i = 0; i < list->count && w.rc == 0; i++) {
		const struct guard_finding *f = &list->items[i];

		if (i == 0 || !same_group(&list->items[i - 1], f)) {
			if (i > 0)
				put_raw(&w, "\n");
			write_group_header(&w, f);
		}
		write_finding(&w, f);
	}
	return w.rc;
}
