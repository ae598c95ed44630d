#include "image_manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "image_layer.h"
#include "log.h"
#include "util.h"

#define MAX_INDEX_DEPTH 4
#define ATTESTATION_TYPE "attestation-manifest"
#define PROVENANCE_MAX_BYTES ((size_t)16 << 20)

struct layer_desc {
	const char *key;		/* digest or archive path */
	const char *digest;		/* expected digest, or NULL */
	int64_t size;			/* -1 when unknown */
	const char *media_type;		/* NULL in docker save archives */
	bool skip_compressed;		/* digest is a diff_id: check plain tars only */
};

json_t *guard_manifest_parse_json(const char *text, size_t len, const char *what,
				  struct guard_error *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, 0, &jerr);

	if (!doc)
		guard_error_set(err, GUARD_ERR_PARSE, "invalid JSON in '%s' at line %d: %s", what,
				jerr.line, jerr.text);
	else if (!json_is_object(doc) && !json_is_array(doc)) {
		guard_error_set(err, GUARD_ERR_PARSE, "'%s' is not a JSON object", what);
		json_decref(doc);
		doc = NULL;
	}
	return doc;
}

static const char *string_of(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static const char *annotation(json_t *desc, const char *key)
{
	return string_of(json_object_get(desc, "annotations"), key);
}

json_t *guard_manifest_select_ref(json_t *index, const char *ref, const char *image,
				  struct guard_error *err)
{
	json_t *manifests = json_object_get(index, "manifests"), *entry, *found = NULL;
	struct guard_buf names = GUARD_BUF_INIT(4096);
	size_t i, count = json_array_size(manifests);

	json_array_foreach(manifests, i, entry) {
		const char *name = annotation(entry, "org.opencontainers.image.ref.name");

		if (ref && name && strcmp(name, ref) == 0) {
			guard_buf_release(&names);
			return entry;
		}
		guard_buf_printf(&names, NULL, "%s%s", names.len ? ", " : "",
				 name ? name : "(unnamed)");
	}
	if (!ref && count == 1)
		found = json_array_get(manifests, 0);
	else if (count == 0)
		guard_error_set(err, GUARD_ERR_PARSE,
				"cannot read image '%s': its index.json lists no image", image);
	else if (!ref)
		guard_error_set(err, GUARD_ERR_USAGE,
				"missing image name for '%s': it contains %zu images (names: %s), so add :NAME to choose one",
				image, count, names.data);
	else
		guard_error_set(err, GUARD_ERR_PARSE,
				"no image named '%s' in '%s': the names are %s (write one after the last ':')",
				ref, image, names.data ? names.data : "none");
	guard_buf_release(&names);
	return found;
}

static char *platform_of(json_t *platform, struct guard_error *err)
{
	const char *os = string_of(platform, "os"), *arch = string_of(platform, "architecture");
	const char *variant = string_of(platform, "variant");
	struct guard_buf out = GUARD_BUF_INIT(256);

	if (!os || !arch)
		return NULL;
	if (guard_buf_printf(&out, err, "%s/%s%s%s", os, arch, variant ? "/" : "",
			     variant ? variant : "") < 0)
		return NULL;
	return guard_buf_detach(&out, NULL);
}

/* "linux/arm64" matches "linux/arm64/v8"; a requested variant must match. */
static bool platform_matches(const char *requested, const char *actual)
{
	size_t len = strlen(requested);

	return strcmp(requested, actual) == 0 ||
	       (strncmp(requested, actual, len) == 0 && actual[len] == '/' &&
		strchr(requested, '/') == strrchr(requested, '/'));
}

static void note_platform(struct image_walk *w, const char *platform)
{
	size_t i;

	for (i = 0; i < w->platforms.count; i++)
		if (strcmp(w->platforms.items[i], platform) == 0)
			return;
	/* Without memory the list in a later error message is only shorter. */
	guard_string_list_add(&w->platforms, platform, NULL);
}

static bool platform_selected(struct image_walk *w, const char *platform)
{
	bool selected = w->opts->platform_count == 0;
	size_t i;

	if (platform)
		note_platform(w, platform);
	for (i = 0; platform && i < w->opts->platform_count; i++) {
		if (platform_matches(w->opts->platforms[i], platform)) {
			w->platform_seen |= 1ULL << (i < 63 ? i : 63);
			selected = true;
		}
	}
	return selected;
}

void guard_manifest_error_class(const struct image_walk *w, struct guard_error *err)
{
	if (!err)
		return;
	/* The store reports a missing blob as GUARD_ERR_NOTFOUND so that the walk
	 * can skip optional ones (attestations, other platforms). In a local
	 * image a failure that keeps it means the layout or archive lacks a blob. */
	if (!w->registry && (err->code == GUARD_ERR_NOTFOUND || err->code == GUARD_ERR_AUTH ||
			     err->code == GUARD_ERR_NETWORK))
		err->code = GUARD_ERR_PARSE;
	else if (w->registry && (err->code == GUARD_ERR_PARSE || err->code == GUARD_ERR_IO))
		err->code = GUARD_ERR_NETWORK;
}

static int report_problem(struct image_walk *w, struct guard_error *problem,
			  struct guard_error *err)
{
	guard_manifest_error_class(w, problem);
	return w->visitor->problem(w->visitor->ctx, problem, err);
}

/* ---- layers ---- */

struct layer_ctx {
	struct image_walk *w;
	struct guard_image_entry base;
};

static int layer_file(void *ctx, const struct guard_layer_file *file, int *watch_id,
		      struct guard_error *err)
{
	struct layer_ctx *c = ctx;
	struct guard_image_entry e = c->base;

	e.kind = file->link_target ? GUARD_IMAGE_HARDLINK : GUARD_IMAGE_FILE;
	e.path = file->path;
	e.link_target = file->link_target;
	e.data = file->data;
	e.len = file->len;
	e.size = file->size;
	e.truncated = file->truncated;
	e.binary = file->binary;
	return c->w->visitor->entry(c->w->visitor->ctx, &e, watch_id, err);
}

static void layer_removed(void *ctx, int watch_id, int layer_index)
{
	struct image_walk *w = ctx;

	w->visitor->removed(w->visitor->ctx, watch_id, layer_index);
}

static bool layer_type_supported(const char *media_type)
{
	if (!media_type)
		return true;
	if (strstr(media_type, "encrypted"))
		return false;
	return strstr(media_type, "image.layer.v1.tar") || strstr(media_type, "rootfs.diff.tar") ||
	       strstr(media_type, "rootfs.foreign.diff.tar") ||
	       strstr(media_type, "image.layer.nondistributable.v1.tar");
}

static int walk_layer(struct image_walk *w, const struct layer_desc *desc,
		      struct guard_image_entry *base, struct guard_removal_tracker *tracker,
		      struct guard_error *err)
{
	struct guard_layer_limits limits = { w->opts->max_layer_bytes, w->opts->max_entries,
					     w->opts->max_file_bytes };
	struct guard_error problem = GUARD_ERROR_INIT;
	struct layer_ctx c = { w, *base };
	struct guard_blob_reader *reader;
	int watch = -1, rc;

	if (w->visitor->entry(w->visitor->ctx, base, &watch, err) < 0)
		return -1;
	if (!layer_type_supported(desc->media_type)) {
		guard_error_set(&problem, GUARD_ERR_PARSE, "unsupported media type '%s'",
				desc->media_type);
		rc = -1;
	} else if (guard_blob_reader_open(&reader, &w->store, desc->key, desc->digest, desc->size,
					  desc->skip_compressed, &problem) < 0) {
		rc = -1;
	} else {
		rc = guard_layer_walk(reader, base->layer_index, &limits, tracker, layer_file, &c,
				      &problem);
		guard_blob_reader_free(reader);
		if (rc == -2) {
			guard_error_copy(err, &problem);
			return -1;
		}
	}
	if (rc < 0) {
		if (problem.code == GUARD_ERR_NOTFOUND)
			problem.code = w->store.corrupt_class;
		guard_error_prefix(&problem, "layer %d ('%s') of '%s'%s%s", base->layer_index,
				   desc->key, w->name, base->platform ? " for " : "",
				   base->platform ? base->platform : "");
		return report_problem(w, &problem, err);
	}
	return 0;
}

/* ---- config ---- */

static int emit(struct image_walk *w, struct guard_image_entry *e, struct guard_error *err)
{
	int watch = -1;

	return w->visitor->entry(w->visitor->ctx, e, &watch, err);
}

static int walk_env_labels(struct image_walk *w, json_t *config, struct guard_image_entry *base,
			   struct guard_error *err)
{
	json_t *inner = json_object_get(config, "config"), *item;
	const char *key;
	size_t i;

	json_array_foreach(json_object_get(inner, "Env"), i, item) {
		struct guard_image_entry e = *base;
		const char *text = json_string_value(item), *eq;
		char *name;
		int rc;

		if (!text || !(eq = strchr(text, '=')))
			continue;
		name = guard_strndup(text, (size_t)(eq - text), err);
		if (!name)
			return -1;
		e.kind = GUARD_IMAGE_ENV;
		e.name = name;
		e.value = eq + 1;
		rc = emit(w, &e, err);
		free(name);
		if (rc < 0)
			return -1;
	}
	json_object_foreach(json_object_get(inner, "Labels"), key, item) {
		struct guard_image_entry e = *base;

		if (!json_is_string(item))
			continue;
		e.kind = GUARD_IMAGE_LABEL;
		e.name = key;
		e.value = json_string_value(item);
		if (emit(w, &e, err) < 0)
			return -1;
	}
	return 0;
}

/* Maps history to layers: each entry without empty_layer made the next
 * layer (image-spec config.md). steps[i] is layer i+1's created_by. */
static int walk_history(struct image_walk *w, json_t *config, struct guard_image_entry *base,
			const char **steps, size_t layer_count, struct guard_error *err)
{
	json_t *item;
	size_t i, layer = 0;

	json_array_foreach(json_object_get(config, "history"), i, item) {
		struct guard_image_entry e = *base;
		const char *created_by = string_of(item, "created_by");

		e.kind = GUARD_IMAGE_HISTORY;
		e.history_index = (int)i;
		e.empty_layer = json_is_true(json_object_get(item, "empty_layer"));
		if (!e.empty_layer && layer < layer_count) {
			steps[layer] = created_by;
			e.layer_index = (int)++layer;
		}
		if (!created_by || !*created_by)
			continue;
		e.value = created_by;
		if (emit(w, &e, err) < 0)
			return -1;
	}
	return 0;
}

static bool layer_seen(struct image_walk *w, const char *id, struct guard_error *err, int *rc)
{
	size_t i;

	*rc = 0;
	for (i = 0; i < w->scanned_layers.count; i++)
		if (strcmp(w->scanned_layers.items[i], id) == 0)
			return true;
	*rc = guard_string_list_add(&w->scanned_layers, id, err);
	return false;
}

static int walk_layers(struct image_walk *w, json_t *config, const struct layer_desc *layers,
		       size_t count, struct guard_image_entry *base, struct guard_error *err)
{
	json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	struct guard_removal_tracker *tracker;
	const char **steps;
	size_t i;
	int rc = 0;

	steps = calloc(count + 1, sizeof(*steps));
	if (!steps)
		return guard_error_oom(err);
	if (walk_history(w, config, base, steps, count, err) < 0 ||
	    guard_removal_tracker_new(&tracker, layer_removed, w, err) < 0) {
		free(steps);
		return -1;
	}
	for (i = 0; rc == 0 && i < count; i++) {
		struct guard_image_entry e = *base;
		const char *diff_id = json_string_value(json_array_get(diff_ids, i));
		int seen_rc;

		e.kind = GUARD_IMAGE_LAYER;
		e.layer = json_array_size(diff_ids) == count && diff_id ? diff_id
				: (layers[i].digest ? layers[i].digest : layers[i].key);
		e.blob = layers[i].digest ? layers[i].digest : layers[i].key;
		e.layer_index = (int)i + 1;
		e.step = steps[i];
		/* NOTE: a layer shared by several platforms is scanned for the first
		 * one only, so its findings carry that platform and their removed
		 * flag reflects that platform's later layers. */
		if (layer_seen(w, e.layer, err, &seen_rc)) {
			guard_log_debug("layer %d of '%s' (%s) was already scanned", e.layer_index,
					w->name, e.layer);
			continue;
		}
		if (seen_rc < 0) {
			rc = -1;
		} else {
			struct layer_desc desc = layers[i];

			/* A docker save layer.tar is checked against its diff_id. */
			if (!desc.digest && diff_id) {
				desc.digest = diff_id;
				desc.skip_compressed = true;
			}
			rc = walk_layer(w, &desc, &e, tracker, err);
		}
	}
	guard_removal_tracker_free(tracker);
	free(steps);
	return rc;
}

/* Walks one platform's image from its config. */
static int walk_image(struct image_walk *w, const char *config_key, const char *config_digest,
		      int64_t config_size, const struct layer_desc *layers, size_t count,
		      const char *platform_hint, struct guard_error *err)
{
	struct guard_image_entry base = { 0 };
	struct guard_buf body;
	char *platform = NULL;
	json_t *config;
	int rc = -1;

	if (guard_image_store_read(&w->store, config_key, config_digest, config_size,
				   w->opts->max_json_bytes, &body, err) < 0)
		return guard_error_prefix(err, "reading the config of '%s'", w->name);
	config = guard_manifest_parse_json(body.data, body.len, config_key, err);
	guard_buf_release(&body);
	if (!config || !json_is_object(config))
		goto done;
	platform = platform_hint ? guard_strdup(platform_hint, err) : platform_of(config, err);
	if (!platform_selected(w, platform)) {
		rc = 0;
		goto done;
	}
	w->images++;
	base.image = w->name;
	base.platform = platform;
	base.config = config_digest ? config_digest : config_key;
	base.kind = GUARD_IMAGE_CONFIG;
	if (emit(w, &base, err) < 0 || walk_env_labels(w, config, &base, err) < 0)
		goto done;
	rc = walk_layers(w, config, layers, count, &base, err);
done:
	json_decref(config);
	free(platform);
	return rc;
}

static int walk_manifest(struct image_walk *w, json_t *doc, const char *platform,
			 struct guard_error *err)
{
	json_t *config = json_object_get(doc, "config"), *layers = json_object_get(doc, "layers");
	const char *config_digest = string_of(config, "digest");
	const char *config_type = string_of(config, "mediaType");
	struct layer_desc *descs;
	json_t *item;
	size_t i, count = json_array_size(layers);
	int rc;

	if (!config_digest)
		return guard_error_set(err, GUARD_ERR_PARSE, "manifest of '%s' has no config digest",
				       w->name);
	if (config_type && !strstr(config_type, "image.config.v1+json") &&
	    !strstr(config_type, "container.image.v1+json")) {
		guard_log_warn("skipped an artifact in '%s': config media type '%s' is not an image config",
			       w->name, config_type);
		return 0;
	}
	descs = calloc(count + 1, sizeof(*descs));
	if (!descs)
		return guard_error_oom(err);
	json_array_foreach(layers, i, item) {
		descs[i].key = string_of(item, "digest");
		descs[i].digest = descs[i].key;
		descs[i].size = json_is_integer(json_object_get(item, "size"))
				? json_integer_value(json_object_get(item, "size")) : -1;
		descs[i].media_type = string_of(item, "mediaType");
		if (!descs[i].key) {
			free(descs);
			return guard_error_set(err, GUARD_ERR_PARSE,
					       "layer %zu of '%s' has no digest", i + 1, w->name);
		}
	}
	rc = walk_image(w, config_digest, config_digest,
			json_is_integer(json_object_get(config, "size"))
				? json_integer_value(json_object_get(config, "size")) : -1,
			descs, count, platform, err);
	free(descs);
	return rc;
}

/* Reads a manifest or index by digest, from the manifests endpoint of a
 * registry or as a blob of a layout. */
static int read_manifest(struct image_walk *w, const char *digest, int64_t size,
			 struct guard_buf *out, struct guard_error *err)
{
	size_t max = w->opts->max_json_bytes;

	if (!w->store.read_manifest)
		return guard_image_store_read(&w->store, digest, digest, size, max, out, err);
	if (size >= 0 && (uint64_t)size > max)
		return guard_error_set(err, GUARD_ERR_LIMIT,
				       "manifest '%s' has %lld bytes, more than the %zu byte limit",
				       digest, (long long)size, max);
	return w->store.read_manifest(w->store.impl, digest, max, out, err);
}

/* ---- attestations ---- */

static bool is_attestation(json_t *desc)
{
	const char *type = annotation(desc, "vnd.docker.reference.type");
	json_t *platform = json_object_get(desc, "platform");

	if (type)
		return true;
	return platform && strcmp(string_of(platform, "os") ? string_of(platform, "os") : "",
				  "unknown") == 0 &&
	       strcmp(string_of(platform, "architecture") ? string_of(platform, "architecture")
							 : "", "unknown") == 0;
}

static int emit_build_args(struct image_walk *w, json_t *args, const char *blob,
			   struct guard_error *err)
{
	const char *key;
	json_t *value;

	json_object_foreach(args, key, value) {
		struct guard_image_entry e = { 0 };

		if (!guard_has_prefix(key, "build-arg:") || !json_is_string(value))
			continue;
		e.kind = GUARD_IMAGE_BUILD_ARG;
		e.image = w->name;
		e.blob = blob;
		e.name = key + strlen("build-arg:");
		e.value = json_string_value(value);
		if (emit(w, &e, err) < 0)
			return -1;
	}
	return 0;
}

/* SLSA provenance records build arguments in mode=max: v0.2 under
 * predicate.invocation.parameters.args, v1 under
 * predicate.buildDefinition.externalParameters.request.args. */
static int walk_provenance(struct image_walk *w, json_t *layer, struct guard_error *err)
{
	const char *digest = string_of(layer, "digest");
	struct guard_error skip = GUARD_ERROR_INIT;
	struct guard_buf body;
	json_t *doc, *predicate;
	int rc;

	if (!digest || !guard_has_prefix(string_of(layer, "mediaType") ?
					 string_of(layer, "mediaType") : "", "application/vnd.in-toto"))
		return 0;
	if (guard_image_store_read(&w->store, digest, digest, -1, PROVENANCE_MAX_BYTES, &body,
				   &skip) < 0) {
		if (skip.code == GUARD_ERR_NOTFOUND)
			return 0;
		guard_error_prefix(&skip, "reading attestation '%s' of '%s'", digest, w->name);
		return report_problem(w, &skip, err);
	}
	doc = guard_manifest_parse_json(body.data, body.len, digest, &skip);
	guard_buf_release(&body);
	if (!doc)
		return report_problem(w, &skip, err);
	predicate = json_object_get(doc, "predicate");
	rc = emit_build_args(w, json_object_get(json_object_get(json_object_get(predicate,
				"invocation"), "parameters"), "args"), digest, err);
	if (rc == 0)
		rc = emit_build_args(w, json_object_get(json_object_get(json_object_get(
			json_object_get(predicate, "buildDefinition"), "externalParameters"),
			"request"), "args"), digest, err);
	json_decref(doc);
	return rc;
}

static int walk_attestation(struct image_walk *w, json_t *desc, struct guard_error *err)
{
	const char *digest = string_of(desc, "digest");
	struct guard_error skip = GUARD_ERROR_INIT;
	json_t *doc, *layer;
	struct guard_buf body;
	size_t i;
	int rc = 0;

	if (!digest)
		return 0;
	if (read_manifest(w, digest, -1, &body, &skip) < 0) {
		if (skip.code == GUARD_ERR_NOTFOUND)
			return 0;
		return report_problem(w, &skip, err);
	}
	doc = guard_manifest_parse_json(body.data, body.len, digest, &skip);
	guard_buf_release(&body);
	if (!doc)
		return report_problem(w, &skip, err);
	json_array_foreach(json_object_get(doc, "layers"), i, layer)
		if (rc == 0)
			rc = walk_provenance(w, layer, err);
	json_decref(doc);
	return rc;
}

/* ---- indexes ---- */

static int walk_index(struct image_walk *w, json_t *doc, int depth, struct guard_error *err)
{
	json_t *entry;
	size_t i;

	json_array_foreach(json_object_get(doc, "manifests"), i, entry) {
		struct guard_error skip = GUARD_ERROR_INIT;
		char *platform;
		bool selected;

		if (is_attestation(entry))
			continue;
		platform = platform_of(json_object_get(entry, "platform"), err);
		selected = !platform || platform_selected(w, platform);
		if (selected && guard_manifest_walk_descriptor(w, entry, platform, depth + 1,
							     &skip) < 0) {
			if (skip.code != GUARD_ERR_NOTFOUND || w->opts->platform_count) {
				free(platform);
				guard_error_copy(err, &skip);
				return -1;
			}
			/* A layout may leave out other platforms' blobs (containerd's
			 * docker save does). */
			guard_log_warn("skipped platform %s of '%s': %s", platform ? platform : "?",
				       w->name, skip.message);
		}
		free(platform);
	}
	json_array_foreach(json_object_get(doc, "manifests"), i, entry)
		if (is_attestation(entry) &&
		    strcmp(annotation(entry, "vnd.docker.reference.type") ?
			   annotation(entry, "vnd.docker.reference.type") : ATTESTATION_TYPE,
			   ATTESTATION_TYPE) == 0 &&
		    walk_attestation(w, entry, err) < 0)
			return -1;
	return 0;
}

int guard_manifest_walk_bytes(struct image_walk *w, const char *text, size_t len,
			      const char *digest, const char *platform, int depth,
			      struct guard_error *err)
{
	json_t *doc = guard_manifest_parse_json(text, len, digest ? digest : w->name, err);
	const char *media_type;
	int rc;

	if (!doc)
		return -1;
	media_type = string_of(doc, "mediaType");
	if (json_integer_value(json_object_get(doc, "schemaVersion")) == 1 ||
	    (media_type && strstr(media_type, "docker.distribution.manifest.v1+"))) {
		json_decref(doc);
		return guard_error_set(err, GUARD_ERR_PARSE,
				       "'%s' uses the Docker schema 1 manifest format, which is unsupported (deprecated and refused by current Docker); push it again with a current client",
				       w->name);
	}
	if (json_is_array(json_object_get(doc, "manifests"))) {
		rc = depth > MAX_INDEX_DEPTH
			? guard_error_set(err, GUARD_ERR_PARSE, "indexes of '%s' nest too deeply",
					  w->name)
			: walk_index(w, doc, depth, err);
	} else if (json_is_object(json_object_get(doc, "config"))) {
		rc = walk_manifest(w, doc, platform, err);
	} else {
		rc = guard_error_set(err, GUARD_ERR_PARSE,
				     "unsupported media type '%s' in '%s': neither an index nor an image manifest",
				     media_type ? media_type : "(none)", w->name);
	}
	json_decref(doc);
	return rc;
}

int guard_manifest_walk_descriptor(struct image_walk *w, json_t *desc, const char *platform,
				   int depth, struct guard_error *err)
{
	const char *digest = string_of(desc, "digest");
	const char *media_type = string_of(desc, "mediaType");
	json_t *size = json_object_get(desc, "size");
	struct guard_buf body;
	int rc;

	if (!digest)
		return guard_error_set(err, GUARD_ERR_PARSE, "an index entry of '%s' has no digest",
				       w->name);
	if (media_type && !strstr(media_type, "manifest") && !strstr(media_type, "index")) {
		guard_log_warn("skipped '%s' in '%s': unsupported media type '%s'", digest, w->name,
			       media_type);
		return 0;
	}
	if (read_manifest(w, digest, json_is_integer(size) ? json_integer_value(size) : -1, &body,
			  err) < 0)
		return guard_error_prefix(err, "reading manifest '%s' of '%s'", digest, w->name);
	rc = guard_manifest_walk_bytes(w, body.data, body.len, digest, platform, depth, err);
	guard_buf_release(&body);
	return rc;
}

/* ---- docker save ---- */

static bool repo_tag_matches(json_t *tags, const char *ref)
{
	json_t *tag;
	size_t i;

	json_array_foreach(tags, i, tag) {
		const char *t = json_string_value(tag);

		if (t && (strcmp(t, ref) == 0 ||
			  (guard_has_suffix(t, ref) && t[strlen(t) - strlen(ref) - 1] == '/')))
			return true;
	}
	return false;
}

static json_t *select_saved_image(struct image_walk *w, json_t *list, const char *ref,
				  struct guard_error *err)
{
	struct guard_buf names = GUARD_BUF_INIT(4096);
	json_t *item, *found = NULL;
	size_t i;

	json_array_foreach(list, i, item) {
		json_t *tags = json_object_get(item, "RepoTags");

		if (ref && repo_tag_matches(tags, ref)) {
			guard_buf_release(&names);
			return item;
		}
		guard_buf_printf(&names, NULL, "%s%s", names.len ? ", " : "",
				 json_string_value(json_array_get(tags, 0))
					 ? json_string_value(json_array_get(tags, 0)) : "(untagged)");
	}
	if (!ref && json_array_size(list) == 1)
		found = json_array_get(list, 0);
	else if (json_array_size(list) == 0)
		guard_error_set(err, GUARD_ERR_PARSE,
				"cannot read image '%s': its manifest.json lists no image", w->name);
	else if (!ref)
		guard_error_set(err, GUARD_ERR_USAGE,
				"missing image name for '%s': it contains %zu images (names: %s), so add :NAME to choose one",
				w->name, json_array_size(list), names.data);
	else
		guard_error_set(err, GUARD_ERR_PARSE,
				"no image named '%s' in '%s': the names are %s (write one after the last ':')",
				ref, w->name, names.data ? names.data : "none");
	guard_buf_release(&names);
	return found;
}

/* "blobs/sha256/<hex>" names its own digest; "<hex>.json" too (legacy). */
static char *digest_of_path(const char *path, struct guard_error *err)
{
	const char *base = guard_path_base(path);
	struct guard_buf out = GUARD_BUF_INIT(GUARD_DIGEST_MAX);
	size_t hex = strspn(base, "0123456789abcdef");

	if (hex != 64 || (base[64] && strcmp(base + 64, ".json") != 0 &&
			  strcmp(base + 64, ".tar") != 0))
		return NULL;
	if (guard_buf_printf(&out, err, "sha256:%.64s", base) < 0)
		return NULL;
	return guard_buf_detach(&out, NULL);
}

int guard_manifest_walk_docker_save(struct image_walk *w, const char *ref,
				    struct guard_error *err)
{
	struct layer_desc *descs = NULL;
	char **digests = NULL;
	json_t *list, *image, *layers, *item;
	struct guard_buf body;
	char *config_digest = NULL;
	size_t i, count = 0;
	int rc = -1;

	if (guard_image_store_read(&w->store, "manifest.json", NULL, -1, w->opts->max_json_bytes,
				   &body, err) < 0)
		return guard_error_prefix(err, "reading manifest.json of '%s'", w->name);
	list = guard_manifest_parse_json(body.data, body.len, "manifest.json", err);
	guard_buf_release(&body);
	if (!list)
		return -1;
	image = json_is_array(list) ? select_saved_image(w, list, ref, err) : NULL;
	if (!image) {
		if (!json_is_array(list))
			guard_error_set(err, GUARD_ERR_PARSE,
					"manifest.json of '%s' is not a JSON array", w->name);
		goto done;
	}
	layers = json_object_get(image, "Layers");
	count = json_array_size(layers);
	descs = calloc(count + 1, sizeof(*descs));
	digests = calloc(count + 1, sizeof(*digests));
	if (!descs || !digests) {
		guard_error_oom(err);
		goto done;
	}
	json_array_foreach(layers, i, item) {
		descs[i].key = json_string_value(item);
		if (!descs[i].key) {
			guard_error_set(err, GUARD_ERR_PARSE, "manifest.json of '%s' has an invalid layer path",
					w->name);
			goto done;
		}
		digests[i] = digest_of_path(descs[i].key, err);
		descs[i].digest = digests[i];
		descs[i].size = -1;
	}
	if (!string_of(image, "Config")) {
		guard_error_set(err, GUARD_ERR_PARSE, "manifest.json of '%s' has no Config", w->name);
		goto done;
	}
	config_digest = digest_of_path(string_of(image, "Config"), err);
	rc = walk_image(w, string_of(image, "Config"), config_digest, -1, descs, count, NULL, err);
done:
	for (i = 0; digests && i < count; i++)
		free(digests[i]);
	free(digests);
	free(descs);
	free(config_digest);
	json_decref(list);
	return rc;
}
