/* Every content rule: at least one true positive and one near miss, built
 * from templates (see engine_fixture.h), plus the generic rules' filters. */
#include "engine_fixture.h"
#include "rule_cases.h"
#include "rules.h"
#include "tap.h"
#include "util.h"


static bool has_case(const char *rule, bool found)
{
	for (size_t i = 0; i < GUARD_ARRAY_SIZE(cases); i++) {
		if (strcmp(cases[i].rule, rule) == 0 && cases[i].found == found)
			return true;
	}
	return false;
}

static void test_every_rule_has_cases(void)
{
	size_t count;
	const struct guard_rule *rules = guard_rules(&count);

	TAP_OK(count >= 60, "at least 60 content rules (%zu)", count);
	for (size_t i = 0; i < count; i++) {
		TAP_OK(has_case(rules[i].id, true), "rule %s has a true positive", rules[i].id);
		TAP_OK(has_case(rules[i].id, false), "rule %s has a near miss", rules[i].id);
		TAP_OK(guard_rule_find(rules[i].id) == &rules[i], "rule %s found by id", rules[i].id);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(rules[i].id, rules[j].id) == 0)
				TAP_OK(0, "rule id %s is unique", rules[i].id);
		}
	}
}

static void test_cases(struct guard_scanner *scanner)
{
	for (size_t i = 0; i < GUARD_ARRAY_SIZE(cases); i++) {
		const struct rule_case *c = &cases[i];
		char *text = fixture_expand(c->text);
		struct guard_findings findings;
		size_t hits;

		if (fixture_scan(scanner, "fixture.txt", text, strlen(text), &findings, NULL) < 0) {
			TAP_OK(0, "case %zu (%s) scans", i, c->rule);
			free(text);
			continue;
		}
		hits = fixture_count_rule(&findings, c->rule);
		if (c->found)
			TAP_IS_INT(hits, 1, "case %zu: %s finds its secret once", i, c->rule);
		else
			TAP_IS_INT(hits, 0, "case %zu: %s skips a near miss", i, c->rule);
		if (hits != (c->found ? 1u : 0u))
			printf("#   generated text (fake values): %s", text);
		for (size_t k = 0; c->found && k < findings.count; k++) {
			const struct guard_finding *f = &findings.items[k];

			if (strcmp(f->rule_id, c->rule) != 0)
				continue;
			TAP_OK(f->loc.line >= 1 && f->loc.column >= 1 &&
			       f->loc.end_column > f->loc.column,
			       "case %zu: %s has a position", i, c->rule);
			TAP_OK(strstr(text, f->preview) == NULL || f->secret_length < 8,
			       "case %zu: %s preview is redacted", i, c->rule);
		}
		guard_findings_release(&findings);
		free(text);
	}
}

static void test_entropy(void)
{
	TAP_OK(guard_rule_entropy("aaaa", 4) == 0, "entropy of one repeated byte is 0");
	TAP_OK(guard_rule_entropy("abcd", 4) == 2, "entropy of four distinct bytes is 2");
}

int main(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_scanner *scanner = NULL;

	test_every_rule_has_cases();
	test_entropy();
	if (guard_scanner_new(&scanner, NULL, &err) < 0) {
		TAP_OK(0, "scanner compiles: %s", err.message);
		return tap_done();
	}
	test_cases(scanner);
	guard_scanner_free(scanner);
	return tap_done();
}
