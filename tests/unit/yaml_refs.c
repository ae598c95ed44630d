/* Unit tests of image references found in compose and Kubernetes YAML. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "error.h"
#include "yaml_refs.h"

/* Returns the bytes of the file at the reference's range. */
static char *slice(const char *data, const struct guard_yaml_ref *ref)
{
	return strndup(data + ref->start, ref->end - ref->start);
}

static void test_compose(void)
{
	const char *data =
		"\xEF\xBB\xBF# app\r\n"
		"x-base: &base\r\n"
		"  image: 'redis:7'\r\n"
		"services:\r\n"
		"  web:\r\n"
		"    image: \"nginx:1.27\"   # front\r\n"
		"  db:\r\n"
		"    image: postgres:16\r\n"
		"  cache:\r\n"
		"    <<: *base\r\n"
		"  app:\r\n"
		"    build: .\r\n"
		"    image: myapp:dev\r\n"
		"  tpl:\r\n"
		"    image: \"busybox:${TAG:-1}\"\r\n"
		"  none:\r\n"
		"    image:\r\n"
		"  caf\xC3\xA9:\r\n"
		"    image: alpine:3.20\r\n";
	struct guard_yaml_refs refs;
	struct guard_error err = GUARD_ERROR_INIT;
	char *s;

	guard_yaml_refs_init(&refs);
	TAP_IS_INT(guard_yaml_refs_find(&refs, "f.yaml", data, strlen(data), &err), 0, "compose file parses");
	TAP_IS_INT(refs.kind, GUARD_YAML_COMPOSE, "compose detected by content");
	TAP_IS_INT(refs.count, 6, "six image values found");
	if (refs.count != 6)
		goto done;

	TAP_IS_STR(refs.items[0].text, "redis:7", "merged anchor value found once");
	s = slice(data, &refs.items[0]);
	TAP_IS_STR(s, "redis:7", "single-quoted range is inside the quotes");
	free(s);
	TAP_IS_INT(refs.items[0].line, 3, "anchor line");
	TAP_IS_INT(refs.items[0].column, 11, "anchor column");

	s = slice(data, &refs.items[1]);
	TAP_IS_STR(s, "nginx:1.27", "double-quoted range is inside the quotes");
	free(s);
	TAP_OK(refs.items[1].skip_reason == NULL, "quoted value can be edited");
	TAP_IS_INT(refs.items[1].line, 6, "line counts CRLF lines once");

	s = slice(data, &refs.items[2]);
	TAP_IS_STR(s, "postgres:16", "plain range");
	free(s);

	TAP_IS_STR(refs.items[3].text, "myapp:dev", "built image found");
	TAP_OK(refs.items[3].skip_reason != NULL, "built image is skipped");
	TAP_OK(refs.items[4].skip_reason != NULL, "interpolated image is skipped");

	s = slice(data, &refs.items[5]);
	TAP_IS_STR(s, "alpine:3.20", "range after multibyte characters is in bytes");
	free(s);
done:
	guard_yaml_refs_release(&refs);
}

static void test_kubernetes(void)
{
	const char *data =
		"apiVersion: v1\n"
		"kind: Pod\n"
		"spec:\n"
		"  initContainers:\n"
		"  - name: init\n"
		"    image: busybox:1.36\n"
		"  containers:\n"
		"  - {name: app, image: \"ghcr.io/o/app:v1\"}\n"
		"---\n"
		"apiVersion: batch/v1\n"
		"kind: CronJob\n"
		"spec:\n"
		"  jobTemplate:\n"
		"    spec:\n"
		"      template:\n"
		"        spec:\n"
		"          containers:\n"
		"          - name: c\n"
		"            image: alpine@sha256:0123456789012345678901234567890123456789012345678901234567890123\n"
		"          ephemeralContainers:\n"
		"          - name: debug\n"
		"            image: >-\n"
		"              busybox\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: ConfigMap\n"
		"data:\n"
		"  image: nginx\n";
	struct guard_yaml_refs refs;
	struct guard_error err = GUARD_ERROR_INIT;
	char *s;

	guard_yaml_refs_init(&refs);
	TAP_IS_INT(guard_yaml_refs_find(&refs, "f.yaml", data, strlen(data), &err), 0, "kubernetes file parses");
	TAP_IS_INT(refs.kind, GUARD_YAML_KUBERNETES, "kubernetes detected by content");
	TAP_IS_INT(refs.count, 4, "four container images in three documents");
	if (refs.count != 4)
		goto done;
	TAP_IS_STR(refs.items[0].text, "busybox:1.36", "init container image");
	s = slice(data, &refs.items[1]);
	TAP_IS_STR(s, "ghcr.io/o/app:v1", "flow mapping value range");
	free(s);
	TAP_IS_INT(refs.items[2].line, 19, "cron job image line");
	TAP_IS_INT(refs.items[2].column, 20, "cron job image column");
	TAP_OK(refs.items[3].skip_reason != NULL, "block scalar is skipped");
done:
	guard_yaml_refs_release(&refs);
}

static void test_errors(void)
{
	const char *bad = "services:\n  web:\n    image: \"nginx\n";
	struct guard_yaml_refs refs;
	struct guard_error err = GUARD_ERROR_INIT;

	guard_yaml_refs_init(&refs);
	TAP_IS_INT(guard_yaml_refs_find(&refs, "f.yaml", bad, strlen(bad), &err), -1, "unterminated quote fails");
	TAP_IS_INT(err.code, GUARD_ERR_PARSE, "syntax error is a parse error");
	TAP_OK(strncmp(err.message, "f.yaml:", 7) == 0, "message starts with the path");
	guard_yaml_refs_release(&refs);

	guard_yaml_refs_init(&refs);
	TAP_IS_INT(guard_yaml_refs_find(&refs, "f.yaml", "a: 1\n", 5, &err), 0, "other YAML parses");
	TAP_IS_INT(refs.kind, GUARD_YAML_OTHER, "other YAML has no kind");
	TAP_IS_INT(refs.count, 0, "other YAML has no references");
	guard_yaml_refs_release(&refs);
}

int main(void)
{
	test_compose();
	test_kubernetes();
	test_errors();
	return tap_done();
}
