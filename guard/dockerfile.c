#include "dockerfile.h"

#include <stdlib.h>

int guard_dockerfile_parse(struct guard_dockerfile **out, const char *path,
			   const char *data, size_t len,
			   const struct guard_dockerfile_options *opts,
			   struct guard_error *err)
{
	(void)out;
	(void)data;
	(void)len;
	(void)opts;
	return guard_error_set(err, GUARD_ERR_INTERNAL, "parsing '%s': the Dockerfile parser is not built yet", path);
}

int guard_dockerfile_load(struct guard_dockerfile **out, const char *path,
			  const struct guard_dockerfile_options *opts,
			  struct guard_error *err)
{
	return guard_dockerfile_parse(out, path, "", 0, opts, err);
}

void guard_dockerfile_free(struct guard_dockerfile *df)
{
	free(df);
}

int guard_dockerfile_apply(const struct guard_dockerfile *df,
			   const char *const *digests, char **out, size_t *out_len,
			   struct guard_error *err)
{
	(void)df;
	(void)digests;
	(void)out;
	(void)out_len;
	return guard_error_set(err, GUARD_ERR_INTERNAL, "the Dockerfile rewriter is not built yet");
}

const char *guard_dockerfile_ref_kind_name(enum guard_dockerfile_ref_kind kind)
{
	static const char *const names[] = {
		"from", "copy-from", "mount-from", "onbuild-copy-from",
		"onbuild-mount-from", "syntax",
	};

	if ((size_t)kind >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[kind];
}
