/* Platform checks of guard pin that need more than the tag's digest: the
 * entries of a multi-platform index (--check --verify) and the os and
 * architecture in the config of a single-platform image (--platform). */
#include "pin.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "registry.h"

/* Maximum bytes read for a check. A config blob grows with the image's
 * history, so it gets more room than a manifest. */
#define PIN_MANIFEST_MAX ((size_t)4 << 20)
#define PIN_CONFIG_MAX ((size_t)16 << 20)

static int load_manifest(struct guard_registry *registry, const struct guard_ref *ref,
			 const char *digest, json_t **out, struct guard_error *err)
{
	struct guard_buf body = GUARD_BUF_INIT(PIN_MANIFEST_MAX);
	json_t *root;

	if (guard_registry_get_manifest(registry, ref, digest, &body, NULL, NULL, err) < 0) {
		guard_buf_release(&body);
		return -1;
	}
	root = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
	guard_buf_release(&body);
	if (!json_is_object(root)) {
		json_decref(root);
		return guard_error_set(err, GUARD_ERR_NETWORK, "manifest %s of '%s' is not a JSON object",
				       digest, ref->path);
	}
	*out = root;
	return 0;
}

int guard_pin_index_lists(struct guard_registry *registry, const struct guard_ref *ref,
			  const char *index_digest, const char *digest, const char *platform,
			  bool *listed, struct guard_error *err)
{
	json_t *root, *entry;
	size_t i;

	*listed = false;
	if (load_manifest(registry, ref, index_digest, &root, err) < 0)
		return -1;
	json_array_foreach(json_object_get(root, "manifests"), i, entry) {
		json_t *p = json_object_get(entry, "platform");
		const char *entry_digest = json_string_value(json_object_get(entry, "digest"));

		if (!entry_digest || strcmp(entry_digest, digest) != 0)
			continue;
		if (!platform ||
		    guard_registry_platform_matches(platform,
						    json_string_value(json_object_get(p, "os")),
						    json_string_value(json_object_get(p, "architecture")),
						    json_string_value(json_object_get(p, "variant")))) {
			*listed = true;
			break;
		}
	}
	json_decref(root);
	return 0;
}

static int append_blob(const void *data, size_t len, void *ctx, struct guard_error *err)
{
	return guard_buf_append(ctx, data, len, err);
}

int guard_pin_manifest_platform(struct guard_registry *registry, const struct guard_ref *ref,
				const char *digest, const char *requested, bool *matches,
				char *platform, size_t size, struct guard_error *err)
{
	struct guard_buf blob = GUARD_BUF_INIT(PIN_CONFIG_MAX);
	json_t *manifest, *config = NULL, *descriptor;
	const char *config_digest, *os, *arch, *variant;
	json_int_t config_size;
	int rc = -1;

	platform[0] = '\0';
	*matches = false;
	if (load_manifest(registry, ref, digest, &manifest, err) < 0)
		return -1;
	descriptor = json_object_get(manifest, "config");
	config_digest = json_string_value(json_object_get(descriptor, "digest"));
	config_size = json_integer_value(json_object_get(descriptor, "size"));
	if (!config_digest) {
		guard_error_set(err, GUARD_ERR_NETWORK, "manifest %s of '%s' names no config blob",
				digest, ref->path);
		goto done;
	}
	if (config_size < 0 || (uint64_t)config_size > PIN_CONFIG_MAX) {
		guard_error_set(err, GUARD_ERR_LIMIT,
				"config blob %s of '%s' has %lld bytes, more than the %zu read to "
				"find its platform", config_digest, ref->path, (long long)config_size,
				PIN_CONFIG_MAX);
		goto done;
	}
	if (guard_registry_get_blob(registry, ref, config_digest, config_size, append_blob, &blob,
				    err) < 0)
		goto done;
	config = json_loadb(blob.data ? blob.data : "", blob.len, 0, NULL);
	os = json_string_value(json_object_get(config, "os"));
	arch = json_string_value(json_object_get(config, "architecture"));
	variant = json_string_value(json_object_get(config, "variant"));
	*matches = guard_registry_platform_matches(requested, os, arch, variant);
	if (os && arch)
		snprintf(platform, size, "%s/%s%s%s", os, arch, variant && *variant ? "/" : "",
			 variant ? variant : "");
	rc = 0;
done:
	json_decref(config);
	json_decref(manifest);
	guard_buf_release(&blob);
	return rc;
}
