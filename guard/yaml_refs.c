#include "yaml_refs.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Bounds for hostile input: alias chains can make a small file describe a
 * huge tree ("billion laughs"), so the walk stops at these. */
#define WALK_MAX_DEPTH 64
#define WALK_MAX_NODES 1000000

static const char skip_block[] = "written as a block scalar";
static const char skip_escaped[] = "written with escape sequences or across lines";
static const char skip_empty[] = "empty image value";
static const char skip_not_scalar[] = "the image value is not a string";
static const char skip_interpolated[] = "uses compose variable interpolation";
static const char skip_built[] = "names the image that the service's build produces";

/* libyaml marks count characters, not bytes, and skip the byte order mark;
 * byte_offset converts them, scanning on from the last position converted. */
struct offsets {
	const unsigned char *data;
	size_t len;
	size_t bom;
	size_t chars;	/* last character index converted */
	size_t bytes;	/* its byte offset */
};

static size_t byte_offset(struct offsets *o, size_t char_index)
{
	if (char_index < o->chars) {
		o->chars = 0;
		o->bytes = o->bom;
	}
	while (o->chars < char_index && o->bytes < o->len) {
		o->bytes++;
		while (o->bytes < o->len && (o->data[o->bytes] & 0xC0) == 0x80)
			o->bytes++;
		o->chars++;
	}
	return o->bytes;
}

struct walk {
	yaml_document_t *doc;
	struct offsets offsets;
	struct guard_yaml_refs *refs;
	enum guard_yaml_kind kind;	/* of the document being walked */
	const char *data;
	size_t visited;
	struct guard_error *err;
};

void guard_yaml_refs_init(struct guard_yaml_refs *refs)
{
	memset(refs, 0, sizeof(*refs));
}

void guard_yaml_refs_release(struct guard_yaml_refs *refs)
{
	size_t i;

	for (i = 0; i < refs->count; i++)
		free(refs->items[i].text);
	free(refs->items);
	memset(refs, 0, sizeof(*refs));
}

const char *guard_yaml_kind_name(enum guard_yaml_kind kind)
{
	switch (kind) {
	case GUARD_YAML_COMPOSE:
		return "compose";
	case GUARD_YAML_KUBERNETES:
		return "kubernetes";
	case GUARD_YAML_OTHER:
		break;
	}
	return "yaml";
}

static bool scalar_is(const yaml_node_t *node, const char *text)
{
	return node && node->type == YAML_SCALAR_NODE &&
	       node->data.scalar.length == strlen(text) &&
	       memcmp(node->data.scalar.value, text, node->data.scalar.length) == 0;
}

/* Returns the value of key in a mapping node, or NULL. */
static yaml_node_t *mapping_get(yaml_document_t *doc, const yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++)
		if (scalar_is(yaml_document_get_node(doc, pair->key), key))
			return yaml_document_get_node(doc, pair->value);
	return NULL;
}

/* Finds key in a mapping or, failing that, in the mappings it merges with
 * "<<" (compose files share settings through anchors this way). */
static yaml_node_t *mapping_get_merged(yaml_document_t *doc, const yaml_node_t *map,
				       const char *key)
{
	yaml_node_t *value = mapping_get(doc, map, key), *merge;
	yaml_node_item_t *item;

	if (value)
		return value;
	merge = mapping_get(doc, map, "<<");
	if (!merge)
		return NULL;
	if (merge->type == YAML_MAPPING_NODE)
		return mapping_get(doc, merge, key);
	if (merge->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (item = merge->data.sequence.items.start; item < merge->data.sequence.items.top; item++) {
		value = mapping_get(doc, yaml_document_get_node(doc, *item), key);
		if (value)
			return value;
	}
	return NULL;
}

static void position_of(const char *data, size_t offset, size_t *line, size_t *column)
{
	size_t i, line_start = 0, n = 1;

	for (i = 0; i < offset; i++) {
		if (data[i] == '\n') {
			n++;
			line_start = i + 1;
		}
	}
	*line = n;
	*column = offset - line_start + 1;
}

/* Locates the value's bytes: for a one-line plain or quoted scalar written
 * without escapes, the value ends at the end mark (before the closing
 * quote) and its bytes equal the parsed value. */
static const char *locate(struct walk *w, const yaml_node_t *node, size_t *start, size_t *end)
{
	size_t value_len = node->data.scalar.length;
	size_t stop = byte_offset(&w->offsets, node->end_mark.index);
	yaml_scalar_style_t style = node->data.scalar.style;

	if (style == YAML_LITERAL_SCALAR_STYLE || style == YAML_FOLDED_SCALAR_STYLE)
		return skip_block;
	if (style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE) {
		char quote = style == YAML_SINGLE_QUOTED_SCALAR_STYLE ? '\'' : '"';

		if (stop == 0 || w->data[stop - 1] != quote)
			return skip_escaped;
		stop--;
	}
	if (node->start_mark.line != node->end_mark.line || value_len > stop ||
	    memcmp(w->data + stop - value_len, node->data.scalar.value, value_len) != 0)
		return skip_escaped;
	*start = stop - value_len;
	*end = stop;
	return NULL;
}

static int add_ref(struct walk *w, const yaml_node_t *node, const char *reason)
{
	struct guard_yaml_refs *refs = w->refs;
	struct guard_yaml_ref ref = { 0 };
	struct guard_yaml_ref *grown;
	size_t i;

	if (node->type != YAML_SCALAR_NODE) {
		ref.start = byte_offset(&w->offsets, node->start_mark.index);
		ref.end = ref.start;
		ref.skip_reason = skip_not_scalar;
	} else {
		ref.skip_reason = locate(w, node, &ref.start, &ref.end);
		if (ref.skip_reason)
			ref.start = ref.end = byte_offset(&w->offsets, node->start_mark.index);
		else if (node->data.scalar.length == 0)
			ref.skip_reason = skip_empty;
		else if (memchr(node->data.scalar.value, '$', node->data.scalar.length) &&
			 w->kind == GUARD_YAML_COMPOSE)
			ref.skip_reason = skip_interpolated;
		if (!ref.skip_reason)
			ref.skip_reason = reason;
	}

	/* An alias reaches the same node twice; it is one place in the file. */
	for (i = 0; i < refs->count; i++)
		if (refs->items[i].start == ref.start && refs->items[i].end == ref.end)
			return 0;

	ref.text = strndup(node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : "",
			   node->type == YAML_SCALAR_NODE ? node->data.scalar.length : 0);
	if (!ref.text)
		return guard_error_oom(w->err);
	grown = realloc(refs->items, (refs->count + 1) * sizeof(*grown));
	if (!grown) {
		free(ref.text);
		return guard_error_oom(w->err);
	}
	position_of(w->data, ref.start, &ref.line, &ref.column);
	refs->items = grown;
	refs->items[refs->count++] = ref;
	return 0;
}

static int walk_compose(struct walk *w, const yaml_node_t *root)
{
	yaml_node_t *services = mapping_get(w->doc, root, "services");
	yaml_node_pair_t *pair;

	if (!services || services->type != YAML_MAPPING_NODE)
		return 0;
	for (pair = services->data.mapping.pairs.start; pair < services->data.mapping.pairs.top; pair++) {
		yaml_node_t *service = yaml_document_get_node(w->doc, pair->value);
		yaml_node_t *image = mapping_get_merged(w->doc, service, "image");

		/* "image:" with no value is YAML null: nothing to pin. */
		if (!image || (image->type == YAML_SCALAR_NODE &&
			       image->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			       image->data.scalar.length == 0))
			continue;
		/* With build, compose tags the image it builds with this name,
		 * so no registry has it yet. */
		if (add_ref(w, image, mapping_get_merged(w->doc, service, "build") ? skip_built : NULL) < 0)
			return -1;
	}
	return 0;
}

static int walk_containers(struct walk *w, const yaml_node_t *list)
{
	yaml_node_item_t *item;

	if (!list || list->type != YAML_SEQUENCE_NODE)
		return 0;
	for (item = list->data.sequence.items.start; item < list->data.sequence.items.top; item++) {
		yaml_node_t *container = yaml_document_get_node(w->doc, *item);
		yaml_node_t *image = mapping_get(w->doc, container, "image");

		if (image && add_ref(w, image, NULL) < 0)
			return -1;
	}
	return 0;
}

/* Kubernetes: any mapping with containers, initContainers or
 * ephemeralContainers is a pod spec, wherever it sits (Pod, a workload's
 * template, a CronJob's jobTemplate, a List's items, custom resources). */
static int walk_kubernetes(struct walk *w, const yaml_node_t *node, int depth)
{
	static const char *const keys[] = { "initContainers", "containers", "ephemeralContainers" };
	yaml_node_pair_t *pair;
	yaml_node_item_t *item;
	size_t i;

	if (!node || depth > WALK_MAX_DEPTH)
		return 0;
	if (++w->visited > WALK_MAX_NODES)
		return guard_error_set(w->err, GUARD_ERR_LIMIT,
				       "more than %d YAML nodes to visit (aliases nested too deep?)",
				       WALK_MAX_NODES);
	if (node->type == YAML_SEQUENCE_NODE) {
		for (item = node->data.sequence.items.start; item < node->data.sequence.items.top; item++)
			if (walk_kubernetes(w, yaml_document_get_node(w->doc, *item), depth + 1) < 0)
				return -1;
		return 0;
	}
	if (node->type != YAML_MAPPING_NODE)
		return 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (walk_containers(w, mapping_get(w->doc, node, keys[i])) < 0)
			return -1;
	for (pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++)
		if (walk_kubernetes(w, yaml_document_get_node(w->doc, pair->value), depth + 1) < 0)
			return -1;
	return 0;
}

static int walk_document(struct walk *w)
{
	yaml_node_t *root = yaml_document_get_root_node(w->doc);
	enum guard_yaml_kind kind = GUARD_YAML_OTHER;

	if (!root || root->type != YAML_MAPPING_NODE)
		return 0;
	if (mapping_get(w->doc, root, "apiVersion") && mapping_get(w->doc, root, "kind"))
		kind = GUARD_YAML_KUBERNETES;
	else if (mapping_get(w->doc, root, "services"))
		kind = GUARD_YAML_COMPOSE;
	if (kind == GUARD_YAML_OTHER)
		return 0;
	if (w->refs->kind == GUARD_YAML_OTHER)
		w->refs->kind = kind;
	w->kind = kind;
	return kind == GUARD_YAML_COMPOSE ? walk_compose(w, root) : walk_kubernetes(w, root, 0);
}

static int compare_refs(const void *a, const void *b)
{
	const struct guard_yaml_ref *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int guard_yaml_refs_find(struct guard_yaml_refs *refs, const char *path, const char *data,
			 size_t len, struct guard_error *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct walk w;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	w.refs = refs;
	w.data = data;
	w.err = err;
	w.offsets.data = (const unsigned char *)data;
	w.offsets.len = len;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		w.offsets.bom = 3;
	w.offsets.bytes = w.offsets.bom;

	/* Offsets are computed on UTF-8 bytes, so UTF-16 and UTF-32 are rejected. */
	if (len >= 2 && ((unsigned char)data[0] == 0xFE || (unsigned char)data[0] == 0xFF ||
			 data[0] == '\0' || data[1] == '\0'))
		return guard_error_set(err, GUARD_ERR_PARSE,
				       "%s:1: UTF-16 and UTF-32 YAML files are not supported", path);
	if (!yaml_parser_initialize(&parser))
		return guard_error_oom(err);
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);

	for (;;) {
		if (!yaml_parser_load(&parser, &doc)) {
			rc = guard_error_set(err, GUARD_ERR_PARSE, "%s:%zu: %s%s%s", path,
					     parser.problem_mark.line + 1,
					     parser.problem ? parser.problem : "invalid YAML",
					     parser.context ? " " : "",
					     parser.context ? parser.context : "");
			break;
		}
		if (!yaml_document_get_root_node(&doc)) {
			yaml_document_delete(&doc);
			break;
		}
		w.doc = &doc;
		rc = walk_document(&w);
		yaml_document_delete(&doc);
		if (rc < 0)
			break;
	}
	yaml_parser_delete(&parser);
	if (rc == 0 && refs->count > 1)
		qsort(refs->items, refs->count, sizeof(*refs->items), compare_refs);
	return rc;
}
