#include "source_image.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "config.h"
#include "image_layer.h"
#include "image_manifest.h"
#include "log.h"
#include "util.h"

void guard_image_options_init(struct guard_image_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->max_layer_bytes = GUARD_IMAGE_DEFAULT_MAX_LAYER_BYTES;
	opts->max_entries = GUARD_IMAGE_DEFAULT_MAX_ENTRIES;
	opts->max_file_bytes = GUARD_IMAGE_DEFAULT_MAX_FILE_BYTES;
	opts->max_json_bytes = GUARD_IMAGE_DEFAULT_MAX_JSON_BYTES;
}

enum transport {
	TRANSPORT_DOCKER,
	TRANSPORT_DOCKER_ARCHIVE,
	TRANSPORT_OCI,
	TRANSPORT_OCI_ARCHIVE,
};

static const struct {
	const char *prefix;
	enum transport transport;
} transports[] = {
	{ "docker://", TRANSPORT_DOCKER },
	{ "docker-archive:", TRANSPORT_DOCKER_ARCHIVE },
	{ "oci-archive:", TRANSPORT_OCI_ARCHIVE },
	{ "oci:", TRANSPORT_OCI },
};

static bool path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* "PATH" or "PATH:REF": paths may contain ':', so the split is at the first
 * ':' whose left part names an existing file, and REF may contain ':' too
 * (docker-archive:x.tar:repo:tag). */
static int split_path_ref(const char *text, char **path, char **ref, struct guard_error *err)
{
	const char *colon;

	*ref = NULL;
	for (colon = strchr(text, ':'); colon && !path_exists(text); colon = strchr(colon + 1, ':')) {
		char *left = guard_strndup(text, (size_t)(colon - text), err);
		bool found;

		if (!left)
			return -1;
		found = colon != text && path_exists(left);
		if (found) {
			*path = left;
			*ref = guard_strdup(colon + 1, err);
			if (!*ref) {
				free(left);
				return -1;
			}
			return 0;
		}
		free(left);
	}
	*path = guard_strdup(text, err);
	return *path ? 0 : -1;
}

static int walk_oci(struct image_walk *w, const char *ref, struct guard_error *err)
{
	struct guard_buf body;
	json_t *index, *chosen;
	int rc;

	if (!w->store.has_index)
		return guard_error_set(err, GUARD_ERR_PARSE,
				       "cannot read image '%s': the archive has no index.json, so it is not an OCI archive (name a docker save archive as docker-archive:PATH)",
				       w->name);
	if (guard_image_store_read(&w->store, "index.json", NULL, -1, w->opts->max_json_bytes,
				   &body, err) < 0)
		return guard_error_prefix(err, "reading the index of '%s'", w->name);
	index = guard_manifest_parse_json(body.data, body.len, "index.json", err);
	guard_buf_release(&body);
	if (!index)
		return -1;
	chosen = guard_manifest_select_ref(index, ref, w->name, err);
	rc = chosen ? guard_manifest_walk_descriptor(w, chosen, NULL, 0, err) : -1;
	json_decref(index);
	return rc;
}

static int walk_transport(struct image_walk *w, enum transport transport, const char *rest,
			  struct guard_error *err)
{
	char *path = NULL, *ref = NULL;
	int rc;

	if (transport == TRANSPORT_DOCKER) {
		struct guard_buf root;
		char digest[GUARD_DIGEST_MAX] = "";

		if (!w->opts->remote)
			return guard_error_set(err, GUARD_ERR_USAGE,
					       "registry images are not supported here: '%s'", w->name);
		if (w->opts->remote(w->opts->remote_ctx, rest, &w->store, &root, digest, err) < 0)
			return -1;
		rc = guard_manifest_walk_bytes(w, root.data, root.len, digest, NULL, 0, err);
		guard_buf_release(&root);
		return rc;
	}

	if (split_path_ref(rest, &path, &ref, err) < 0)
		return -1;
	if (transport == TRANSPORT_OCI)
		rc = guard_image_store_open_dir(&w->store, path, err);
	else
		rc = guard_image_store_open_tar(&w->store, path, w->opts->max_entries, err);
	if (rc == 0) {
		if (transport == TRANSPORT_DOCKER_ARCHIVE && w->store.has_docker_manifest)
			rc = guard_manifest_walk_docker_save(w, ref, err);
		else if (transport == TRANSPORT_DOCKER_ARCHIVE && !w->store.has_index)
			rc = guard_error_set(err, GUARD_ERR_PARSE,
					     "cannot read image '%s': the archive has no manifest.json, so it is not a docker save archive (name an OCI archive as oci-archive:PATH)",
					     w->name);
		else
			rc = walk_oci(w, ref, err);
	}
	free(path);
	free(ref);
	return rc;
}

/* Checks that each requested --platform matched, and lists the platforms
 * the image has when one did not. A registry image without it fails as a
 * registry lookup (exit 4), and a local one as input without the requested
 * content (exit 3). When other platforms were scanned, each missing one is
 * a problem of the result instead, so that the report still shows what was
 * found. */
static int check_platforms(struct image_walk *w, bool registry, struct guard_error *err)
{
	enum guard_error_code code = registry ? GUARD_ERR_NOTFOUND : GUARD_ERR_PARSE;
	struct guard_buf found = GUARD_BUF_INIT(4096);
	struct guard_error problem = GUARD_ERROR_INIT;
	bool missing = false;
	size_t i;
	int rc = 0;

	for (i = 0; i < w->opts->platform_count; i++)
		if (!(w->platform_seen & (1ULL << (i < 63 ? i : 63))))
			missing = true;
	if (w->images > 0 && !missing)
		return 0;
	for (i = 0; i < w->platforms.count; i++)
		if (guard_buf_printf(&found, err, "%s%s", i ? ", " : "", w->platforms.items[i]) < 0) {
			guard_buf_release(&found);
			return -1;
		}
	if (!missing) {
		rc = guard_error_set(err, code,
				     "no image of '%s' matches the requested platforms: it has %s",
				     w->name, found.len ? found.data : "no platform in its config");
		guard_buf_release(&found);
		return rc;
	}
	for (i = 0; rc == 0 && i < w->opts->platform_count; i++) {
		if (w->platform_seen & (1ULL << (i < 63 ? i : 63)))
			continue;
		guard_error_set(&problem, code,
				"no platform '%s' in image '%s': it has %s (choose one of them with --platform)",
				w->opts->platforms[i], w->name,
				found.len ? found.data : "no platform in its config");
		if (w->images == 0 || !w->visitor->problem) {
			guard_error_copy(err, &problem);
			rc = -1;
		} else if (w->visitor->problem(w->visitor->ctx, &problem, err) < 0) {
			rc = -1;
		}
	}
	guard_buf_release(&found);
	return rc;
}

int guard_image_walk(const char *name, const struct guard_image_options *opts,
		     const struct guard_image_visitor *visitor, struct guard_error *err)
{
	struct image_walk w;
	enum transport transport = TRANSPORT_DOCKER;
	const char *rest = name;
	size_t i;
	int rc;

	memset(&w, 0, sizeof(w));
	w.name = name;
	w.opts = opts;
	w.visitor = visitor;
	for (i = 0; i < GUARD_ARRAY_SIZE(transports); i++) {
		if (guard_has_prefix(name, transports[i].prefix)) {
			transport = transports[i].transport;
			rest = name + strlen(transports[i].prefix);
			break;
		}
	}
	if (!*rest)
		return guard_error_set(err, GUARD_ERR_USAGE, "missing image name in '%s'", name);
	if (rest == name && path_exists(name))
		return guard_error_set(err, GUARD_ERR_USAGE,
				       "'%s' is a local file or folder, not a registry image: name it as oci:%s, oci-archive:%s or docker-archive:%s",
				       name, name, name, name);

	w.registry = transport == TRANSPORT_DOCKER;
	rc = walk_transport(&w, transport, rest, err);
	if (rc == 0)
		rc = check_platforms(&w, w.registry, err);
	/* A registry image whose store is not open yet failed on its reference
	 * or its first request, and that error has its class already. */
	if (rc < 0 && (!w.registry || w.store.open))
		guard_manifest_error_class(&w, err);
	guard_image_store_release(&w.store);
	guard_string_list_release(&w.scanned_layers);
	guard_string_list_release(&w.platforms);
	return rc;
}
