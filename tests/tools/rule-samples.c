/* Writes every true-positive case of the rule tests as a file into a
 * folder, and the fake values in them to a second file, one per line. Shell
 * tests then run guard over real findings of every rule and check that no
 * value reaches any output.
 *
 * usage: rule-samples DIR VALUES-FILE */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../unit/engine_fixture.h"
#include "../unit/rule_cases.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct guard_buf values = GUARD_BUF_INIT(1 << 24);
	struct guard_error err = GUARD_ERROR_INIT;
	size_t i, written = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: rule-samples DIR VALUES-FILE\n");
		return 2;
	}
	if (mkdir(argv[1], 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "rule-samples: cannot create '%s': %s\n", argv[1], strerror(errno));
		return 1;
	}
	fixture_values = &values;
	for (i = 0; i < GUARD_ARRAY_SIZE(cases); i++) {
		char name[160], *path, *text;

		if (!cases[i].found)
			continue;
		snprintf(name, sizeof(name), "%03zu-%s.txt", i, cases[i].rule);
		path = guard_path_join(argv[1], name);
		text = fixture_expand(cases[i].text);
		if (!path || !text || guard_write_atomic(path, text, strlen(text), &err) < 0) {
			fprintf(stderr, "rule-samples: %s\n", err.message[0] ? err.message : "out of memory");
			return 1;
		}
		free(path);
		free(text);
		written++;
	}
	if (guard_write_atomic(argv[2], values.data ? values.data : "", values.len, &err) < 0) {
		fprintf(stderr, "rule-samples: %s\n", err.message);
		return 1;
	}
	guard_buf_release(&values);
	printf("%zu\n", written);
	return 0;
}
