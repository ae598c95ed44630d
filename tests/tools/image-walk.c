/* Prints what guard scan image would scan in an image, one line per item,
 * so that shell tests can check the image reader without the secret engine:
 *   config PLATFORM CONFIG
 *   env NAME / label NAME / build-arg NAME=VALUE
 *   history INDEX LAYER_INDEX CREATED_BY
 *   layer INDEX LAYER STEP
 *   file LAYER_INDEX PATH SIZE [truncated] [binary]
 *   link LAYER_INDEX PATH TARGET
 *   removed LAYER_INDEX PATH LATER_LAYER_INDEX
 *   problem MESSAGE
 * Usage: image-walk [--platform P]... [--max-layer-size N] [--max-file N] IMAGE
 * Exit: 0 walked, 1 walked with problems, 2 failed (message on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_image.h"
#include "util.h"

struct watched {
	char *path;
	int layer_index;
};

struct walk_state {
	struct watched *files;
	size_t count;
	int problems;
};

static int on_entry(void *ctx, const struct guard_image_entry *e, int *watch_id,
		    struct guard_error *err)
{
	struct walk_state *s = ctx;

	switch (e->kind) {
	case GUARD_IMAGE_CONFIG:
		printf("config %s %s\n", e->platform ? e->platform : "-", e->config);
		break;
	case GUARD_IMAGE_ENV:
		printf("env %s\n", e->name);
		break;
	case GUARD_IMAGE_LABEL:
		printf("label %s\n", e->name);
		break;
	case GUARD_IMAGE_BUILD_ARG:
		printf("build-arg %s=%s\n", e->name, e->value);
		break;
	case GUARD_IMAGE_HISTORY:
		printf("history %d %d %s\n", e->history_index, e->layer_index, e->value);
		break;
	case GUARD_IMAGE_LAYER:
		printf("layer %d %s %s\n", e->layer_index, e->layer, e->step ? e->step : "-");
		break;
	case GUARD_IMAGE_FILE:
	case GUARD_IMAGE_HARDLINK: {
		struct watched *grown = realloc(s->files, (s->count + 1) * sizeof(*grown));

		if (!grown)
			return guard_error_oom(err);
		s->files = grown;
		s->files[s->count].path = strdup(e->path);
		s->files[s->count].layer_index = e->layer_index;
		*watch_id = (int)s->count++;
		if (e->kind == GUARD_IMAGE_HARDLINK)
			printf("link %d %s %s\n", e->layer_index, e->path, e->link_target);
		else
			printf("file %d %s %llu%s%s\n", e->layer_index, e->path,
			       (unsigned long long)e->size, e->truncated ? " truncated" : "",
			       e->binary ? " binary" : "");
		break;
	}
	}
	return 0;
}

static void on_removed(void *ctx, int watch_id, int layer_index)
{
	struct walk_state *s = ctx;

	printf("removed %d %s %d\n", s->files[watch_id].layer_index, s->files[watch_id].path,
	       layer_index);
}

static int on_problem(void *ctx, const struct guard_error *problem, struct guard_error *err)
{
	struct walk_state *s = ctx;

	(void)err;
	s->problems++;
	printf("problem %s: %s\n", guard_error_code_name(problem->code), problem->message);
	return 0;
}

int main(int argc, char **argv)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_image_visitor visitor = { 0 };
	struct guard_image_options opts;
	struct walk_state state = { 0 };
	const char *platforms[8];
	size_t platform_count = 0, i;
	uint64_t value;
	int arg, rc;

	guard_image_options_init(&opts);
	for (arg = 1; arg < argc - 1; arg += 2) {
		if (strcmp(argv[arg], "--platform") == 0 && platform_count < 8)
			platforms[platform_count++] = argv[arg + 1];
		else if (strcmp(argv[arg], "--max-layer-size") == 0 &&
			 guard_parse_size(argv[arg + 1], &value, "size", &err) == 0)
			opts.max_layer_bytes = value;
		else if (strcmp(argv[arg], "--max-file") == 0 &&
			 guard_parse_size(argv[arg + 1], &value, "size", &err) == 0)
			opts.max_file_bytes = (size_t)value;
		else
			break;
	}
	if (arg != argc - 1) {
		fprintf(stderr, "usage: image-walk [--platform P]... [--max-layer-size N] IMAGE\n");
		return 2;
	}
	opts.platforms = platforms;
	opts.platform_count = platform_count;
	visitor.ctx = &state;
	visitor.entry = on_entry;
	visitor.removed = on_removed;
	visitor.problem = on_problem;

	rc = guard_image_walk(argv[arg], &opts, &visitor, &err);
	for (i = 0; i < state.count; i++)
		free(state.files[i].path);
	free(state.files);
	if (rc < 0) {
		fprintf(stderr, "image-walk: %s (%s)\n", err.message, guard_error_code_name(err.code));
		return 2;
	}
	return state.problems ? 1 : 0;
}
