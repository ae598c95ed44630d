/* Every content rule: at least one true positive and one near miss, built
 * from templates (see engine_fixture.h), plus the generic rules' filters. */
#include "engine_fixture.h"
#include "rules.h"
#include "tap.h"
#include "util.h"

struct rule_case {
	const char *rule;
	const char *text;
	bool found;
};

#define HIT(rule, text) { rule, text, true }
#define MISS(rule, text) { rule, text, false }

static const struct rule_case cases[] = {
	HIT("aws-access-key-id", "aws_access_key_id = AKIA{2:16}\n"),
	HIT("aws-access-key-id", "\"AccessKeyId\": \"ASIA{2:16}\",\n"),
	MISS("aws-access-key-id", "aws_access_key_id = AKIA{2:15}\n"),
	MISS("aws-access-key-id", "id = AKIA{2:16}Q9\n"),
	HIT("aws-secret-access-key", "aws_secret_access_key = {b:40}\n"),
	HIT("aws-secret-access-key", "\"SecretAccessKey\": \"{b:40}\"\n"),
	MISS("aws-secret-access-key", "aws_secret_access_key = {b:39}\n"),
	HIT("aws-session-token", "aws_session_token = {b:300}\n"),
	MISS("aws-session-token", "aws_session_token = {b:60}\n"),
	HIT("gcp-service-account-key-id",
	    "{\"type\": \"service_account\", \"private_key_id\": \"{h:40}\"}\n"),
	MISS("gcp-service-account-key-id", "\"private_key_id\": \"{h:39}\"\n"),
	HIT("gcp-api-key", "maps_key=AIza{w:35}\n"),
	MISS("gcp-api-key", "maps_key=AIza{w:30}\n"),
	HIT("gcp-oauth-client-secret", "client_secret=GOCSPX-{w:28}\n"),
	MISS("gcp-oauth-client-secret", "client_secret=GOCSPX-{w:20}\n"),
	HIT("azure-storage-account-key", "DefaultEndpointsProtocol=https;AccountName=st{x:8};"
	    "AccountKey={b:86}==;EndpointSuffix=core.windows.net\n"),
	MISS("azure-storage-account-key", "AccountName=st{x:8};AccountKey={b:40}==;\n"),
	HIT("azure-shared-access-key", "Endpoint=sb://ns{x:6}.servicebus.windows.net/;"
	    "SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={b:43}=\n"),
	MISS("azure-shared-access-key", "SharedAccessKey={b:20}=\n"),
	HIT("azure-sas-token", "https://st{x:8}.blob.core.windows.net/c/f?sv=2022-11-02&ss=b"
	    "&srt=co&sp=r&se=2030-01-01T00:00:00Z&sig={b:43}%3D\n"),
	MISS("azure-sas-token", "https://st{x:8}.blob.core.windows.net/c/f?sp=r&sig={b:43}%3D\n"),
	HIT("azure-ad-client-secret", "AZURE_CLIENT_SECRET={a:3}8Q~{a:34}\n"),
	MISS("azure-ad-client-secret", "AZURE_CLIENT_SECRET={a:3}8Q~{a:20}\n"),
	HIT("alibaba-access-key-id", "access_key_id: LTAI{a:20}\n"),
	MISS("alibaba-access-key-id", "access_key_id: LTAI{a:8}\n"),
	HIT("alibaba-access-key-secret", "alibaba_cloud_access_key_secret = {a:30}\n"),
	MISS("alibaba-access-key-secret", "alibaba_cloud_access_key_secret = {a:25}\n"),
	HIT("digitalocean-token", "DIGITALOCEAN_ACCESS_TOKEN=dop_v1_{h:64}\n"),
	MISS("digitalocean-token", "DIGITALOCEAN_ACCESS_TOKEN=dop_v1_{h:60}\n"),
	HIT("heroku-api-key", "HEROKU_API_KEY={h:8}-{h:4}-{h:4}-{h:4}-{h:12}\n"),
	MISS("heroku-api-key", "HEROKU_API_KEY={h:8}-{h:4}-{h:4}-{h:12}\n"),
	HIT("heroku-api-key-v2", "HEROKU_API_KEY=HRKU-AA{w:58}\n"),
	MISS("heroku-api-key-v2", "HEROKU_API_KEY=HRKU-AB{w:58}\n"),
	HIT("vault-token", "VAULT_TOKEN=hvs.{w:95}\n"),
	MISS("vault-token", "VAULT_TOKEN=hvs.{w:40}\n"),
	HIT("terraform-cloud-token", "token = \"{a:14}.atlasv1.{w:67}\"\n"),
	MISS("terraform-cloud-token", "token = \"{a:10}.atlasv1.{w:67}\"\n"),
	HIT("pulumi-access-token", "PULUMI_ACCESS_TOKEN=pul-{h:40}\n"),
	MISS("pulumi-access-token", "PULUMI_ACCESS_TOKEN=pul-{h:30}\n"),

	HIT("github-pat", "GITHUB_TOKEN=ghp_{a:36}\n"),
	MISS("github-pat", "GITHUB_TOKEN=ghp_{a:30}\n"),
	HIT("github-fine-grained-pat", "token: github_pat_{a:22}_{a:59}\n"),
	MISS("github-fine-grained-pat", "token: github_pat_{a:22}_{a:40}\n"),
	HIT("github-oauth-token", "oauth = \"gho_{a:36}\"\n"),
	MISS("github-oauth-token", "oauth = \"gho_{a:36}_x\"\n"),
	HIT("github-app-user-token", "ghu_{a:36}\n"),
	MISS("github-app-user-token", "ghu_{a:20}\n"),
	HIT("github-app-installation-token", "x-access-token:ghs_{a:36}\n"),
	MISS("github-app-installation-token", "x-access-token:ghs_{a:35}\n"),
	HIT("github-refresh-token", "refresh: ghr_{a:76}\n"),
	MISS("github-refresh-token", "refresh: ghr_{a:20}\n"),
	HIT("gitlab-pat", "GITLAB_TOKEN=glpat-{w:20}\n"),
	MISS("gitlab-pat", "GITLAB_TOKEN=glpat-{w:12}\n"),
	HIT("gitlab-pipeline-trigger-token", "token=glptt-{h:40}\n"),
	MISS("gitlab-pipeline-trigger-token", "token=glptt-{h:20}\n"),
	HIT("gitlab-runner-token", "token = \"glrt-{w:20}\"\n"),
	MISS("gitlab-runner-token", "token = \"glrt-{w:10}\"\n"),
	HIT("gitlab-deploy-token", "gldt-{w:20}\n"),
	MISS("gitlab-deploy-token", "gldt-{w:10}\n"),
	HIT("bitbucket-app-password", "BITBUCKET_APP_PASSWORD=ATBB{a:32}\n"),
	MISS("bitbucket-app-password", "BITBUCKET_APP_PASSWORD=ATBB{a:10}\n"),
	HIT("bitbucket-client-secret", "BITBUCKET_CLIENT_SECRET={a:32}\n"),
	MISS("bitbucket-client-secret", "BITBUCKET_CLIENT_SECRET={a:12}\n"),
	HIT("atlassian-api-token", "JIRA_API_TOKEN=ATATT3{w:186}\n"),
	MISS("atlassian-api-token", "JIRA_API_TOKEN=ATATT3{w:50}\n"),

	HIT("npm-token", "NPM_TOKEN=npm_{a:36}\n"),
	MISS("npm-token", "NPM_TOKEN=npm_{a:20}\n"),
	HIT("npmrc-auth", "registry=https://registry.npmjs.org/\n"
	    "//registry.npmjs.org/:_authToken={a:40}\n"),
	HIT("npmrc-auth", "_auth={b:32}\nemail=ci@localhost\n"),
	MISS("npmrc-auth", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"),
	MISS("npmrc-auth", "self._auth = {a:20}\n"),
	HIT("pypi-token", "[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmc{w:70}\n"),
	MISS("pypi-token", "password = pypi-AgEIcHlwaS5vcmc{w:20}\n"),
	HIT("rubygems-api-key", "GEM_HOST_API_KEY=rubygems_{h:48}\n"),
	MISS("rubygems-api-key", "GEM_HOST_API_KEY=rubygems_{h:40}\n"),
	HIT("nuget-api-key", "dotnet nuget push -k oy2{x:43}\n"),
	MISS("nuget-api-key", "dotnet nuget push -k oy2{x:30}\n"),
	HIT("dockerhub-token", "echo dckr_pat_{w:27} | docker login -u bot --password-stdin\n"),
	MISS("dockerhub-token", "echo dckr_pat_{w:10} | docker login\n"),
	HIT("docker-config-auth",
	    "{\"auths\": {\"registry.internal.test\": {\"auth\": \"{basic:20}\"}}}\n"),
	MISS("docker-config-auth", "{\"auths\": {\"registry.internal.test\": {\"auth\": \"\"}}}\n"),

	HIT("slack-bot-token", "SLACK_BOT_TOKEN=xoxb-{d:12}-{d:13}-{a:24}\n"),
	MISS("slack-bot-token", "SLACK_BOT_TOKEN=xoxb-{d:12}-{a:24}\n"),
	HIT("slack-user-token", "xoxp-{d:12}-{d:12}-{d:13}-{h:32}\n"),
	MISS("slack-user-token", "xoxp-{d:12}-{h:32}\n"),
	HIT("slack-app-token", "SLACK_APP_TOKEN=xapp-1-{A:11}-{d:13}-{h:64}\n"),
	MISS("slack-app-token", "SLACK_APP_TOKEN=xapp-1-{A:11}-{h:64}\n"),
	HIT("slack-webhook-url", "url: https://hooks.slack.com/services/T{A:10}/B{A:10}/{a:24}\n"),
	MISS("slack-webhook-url", "url: https://hooks.slack.com/services/T{A:10}/B{A:10}/{a:10}\n"),
	HIT("discord-bot-token", "DISCORD_TOKEN=M{w:23}.{w:6}.{w:38}\n"),
	MISS("discord-bot-token", "DISCORD_TOKEN=M{w:23}.{w:38}\n"),
	HIT("discord-webhook-url", "https://discord.com/api/webhooks/{d:18}/{w:68}\n"),
	MISS("discord-webhook-url", "https://discord.com/api/webhooks/{d:18}/{w:20}\n"),
	HIT("telegram-bot-token", "TELEGRAM_BOT_TOKEN={d:10}:AA{w:33}\n"),
	MISS("telegram-bot-token", "TELEGRAM_BOT_TOKEN={d:10}:AB{w:33}\n"),
	HIT("twilio-api-key", "TWILIO_API_KEY=SK{h:32}\n"),
	MISS("twilio-api-key", "TWILIO_API_KEY=SK{h:20}\n"),
	HIT("twilio-auth-token", "TWILIO_AUTH_TOKEN={h:32}\n"),
	MISS("twilio-auth-token", "TWILIO_AUTH_TOKEN={h:16}\n"),
	HIT("sendgrid-api-key", "SENDGRID_API_KEY=SG.{w:22}.{w:43}\n"),
	MISS("sendgrid-api-key", "SENDGRID_API_KEY=SG.{w:22}.{w:20}\n"),
	HIT("mailgun-api-key", "api_key = \"key-{h:32}\"\n"),
	MISS("mailgun-api-key", "api_key = \"key-{h:20}\"\n"),
	HIT("mailchimp-api-key", "MAILCHIMP_KEY={h:32}-us12\n"),
	MISS("mailchimp-api-key", "MAILCHIMP_KEY={h:20}-us12\n"),

	HIT("stripe-secret-key", "STRIPE_SECRET_KEY=sk_live_{a:32}\n"),
	MISS("stripe-secret-key", "STRIPE_SECRET_KEY=sk_live_{a:10}\n"),
	HIT("stripe-test-key", "STRIPE_SECRET_KEY=sk_test_{a:32}\n"),
	MISS("stripe-test-key", "STRIPE_SECRET_KEY=sk_test_{a:10}\n"),
	HIT("stripe-webhook-secret", "STRIPE_WEBHOOK_SECRET=whsec_{a:32}\n"),
	MISS("stripe-webhook-secret", "STRIPE_WEBHOOK_SECRET=whsec_{a:10}\n"),
	HIT("shopify-token", "SHOPIFY_ACCESS_TOKEN=shpat_{h:32}\n"),
	MISS("shopify-token", "SHOPIFY_ACCESS_TOKEN=shpat_{h:20}\n"),
	HIT("square-access-token", "SQUARE_ACCESS_TOKEN=EAAA{w:60}\n"),
	MISS("square-access-token", "SQUARE_ACCESS_TOKEN=EAAA{w:30}\n"),
	HIT("square-oauth-secret", "SQUARE_APP_SECRET=sq0csp-{w:43}\n"),
	MISS("square-oauth-secret", "SQUARE_APP_SECRET=sq0csp-{w:20}\n"),

	HIT("openai-api-key", "OPENAI_API_KEY=sk-proj-{w:40}T3BlbkFJ{w:40}\n"),
	MISS("openai-api-key", "OPENAI_API_KEY=sk-proj-{w:10}T3BlbkFJ{w:40}\n"),
	HIT("anthropic-api-key", "ANTHROPIC_API_KEY=sk-ant-api03-{w:93}AA\n"),
	MISS("anthropic-api-key", "ANTHROPIC_API_KEY=sk-ant-api03-{w:40}AA\n"),
	HIT("huggingface-token", "HF_TOKEN=hf_{L:34}\n"),
	MISS("huggingface-token", "HF_TOKEN=hf_{L:20}\n"),
	HIT("datadog-api-key", "DD_API_KEY={h:32}\n"),
	MISS("datadog-api-key", "DD_API_KEY={h:20}\n"),
	HIT("datadog-app-key", "datadog_app_key: \"{h:40}\"\n"),
	MISS("datadog-app-key", "datadog_app_key: \"{h:30}\"\n"),
	HIT("sentry-org-token", "SENTRY_AUTH_TOKEN=sntrys_eyJ{w:100}\n"),
	MISS("sentry-org-token", "SENTRY_AUTH_TOKEN=sntrys_{w:100}\n"),
	HIT("sentry-user-token", "SENTRY_AUTH_TOKEN=sntryu_{h:64}\n"),
	MISS("sentry-user-token", "SENTRY_AUTH_TOKEN=sntryu_{h:40}\n"),
	HIT("grafana-service-account-token", "GRAFANA_TOKEN=glsa_{a:32}_{h:8}\n"),
	MISS("grafana-service-account-token", "GRAFANA_TOKEN=glsa_{a:32}\n"),
	HIT("grafana-cloud-token", "GRAFANA_CLOUD_TOKEN=glc_{a:60}\n"),
	MISS("grafana-cloud-token", "GRAFANA_CLOUD_TOKEN=glc_{a:10}\n"),
	HIT("newrelic-user-api-key", "NEW_RELIC_API_KEY=NRAK-{A:27}\n"),
	MISS("newrelic-user-api-key", "NEW_RELIC_API_KEY=NRAK-{A:20}\n"),
	HIT("linear-api-key", "LINEAR_API_KEY=lin_api_{a:40}\n"),
	MISS("linear-api-key", "LINEAR_API_KEY=lin_api_{a:20}\n"),
	HIT("postman-api-key", "POSTMAN_API_KEY=PMAK-{h:24}-{h:34}\n"),
	MISS("postman-api-key", "POSTMAN_API_KEY=PMAK-{h:24}-{h:20}\n"),
	HIT("doppler-token", "DOPPLER_TOKEN=dp.pt.{a:43}\n"),
	MISS("doppler-token", "DOPPLER_TOKEN=dp.pt.{a:20}\n"),
	HIT("age-secret-key", "AGE-SECRET-KEY-1{g:58}\n"),
	MISS("age-secret-key", "AGE-SECRET-KEY-1{g:40}\n"),

	HIT("private-key", "-----BEGIN RSA PRIVATE KEY-----\n{pem}\n-----END RSA PRIVATE KEY-----\n"),
	HIT("private-key", "-----BEGIN PRIVATE KEY-----\n{pem}\n-----END PRIVATE KEY-----\n"),
	HIT("private-key", "-----BEGIN EC PRIVATE KEY-----\n{pem}\n-----END EC PRIVATE KEY-----\n"),
	HIT("private-key", "-----BEGIN DSA PRIVATE KEY-----\n{pem}\n-----END DSA PRIVATE KEY-----\n"),
	HIT("private-key", "-----BEGIN OPENSSH PRIVATE KEY-----\n{pem}\n"
	    "-----END OPENSSH PRIVATE KEY-----\n"),
	HIT("private-key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\n{pem}\n"
	    "-----END ENCRYPTED PRIVATE KEY-----\n"),
	HIT("private-key", "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
	    "DEK-Info: AES-128-CBC,{h:32}\n\n{pem}\n-----END RSA PRIVATE KEY-----\n"),
	HIT("private-key", "key: |\n  -----BEGIN PRIVATE KEY-----\n  {b:64}\n  {b:64}\n"
	    "  -----END PRIVATE KEY-----\n"),
	MISS("private-key", "-----BEGIN PUBLIC KEY-----\n{pem}\n-----END PUBLIC KEY-----\n"),
	MISS("private-key", "-----BEGIN CERTIFICATE-----\n{pem}\n-----END CERTIFICATE-----\n"),
	MISS("private-key", "if line == \"-----BEGIN RSA PRIVATE KEY-----\":\n    start()\n"),
	HIT("ssh2-private-key", "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"rsa-key\"\n"
	    "{pem}\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n"),
	MISS("ssh2-private-key", "---- BEGIN SSH2 PUBLIC KEY ----\n{pem}\n---- END SSH2 PUBLIC KEY ----\n"),
	HIT("pgp-private-key", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{pem}\n={b:4}\n"
	    "-----END PGP PRIVATE KEY BLOCK-----\n"),
	MISS("pgp-private-key", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n{pem}\n={b:4}\n"
	    "-----END PGP PUBLIC KEY BLOCK-----\n"),
	HIT("putty-private-key", "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n"
	    "Comment: ed25519-key\nPublic-Lines: 2\n{b:64}\n{b:20}\nPrivate-Lines: 1\n{b:44}\n"
	    "Private-MAC: {h:64}\n"),
	HIT("putty-private-key", "PuTTY-User-Key-File-2: ssh-rsa\r\nEncryption: none\r\n"
	    "Comment: rsa-key\r\nPublic-Lines: 1\r\n{b:64}\r\nPrivate-Lines: 2\r\n{b:64}\r\n"
	    "{b:40}\r\nPrivate-MAC: {h:40}\r\n"),
	MISS("putty-private-key", "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n"
	     "Comment: ed25519-key\nPublic-Lines: 2\n{b:64}\n{b:20}\n"),

	HIT("jwt", "Authorization-Cookie: eyJ{w:20}.eyJ{w:40}.{w:43}\n"),
	MISS("jwt", "session = eyJ{w:20}.eyJ{w:40}\n"),
	HIT("database-url-password", "DATABASE_URL=postgres://app:{a:16}@db.internal:5432/app\n"),
	HIT("database-url-password", "REDIS_URL=redis://:{a:16}@cache:6379/0\n"),
	HIT("database-url-password", "uri = \"mongodb+srv://ops:{a:16}@cluster0.internal.test/db\"\n"),
	MISS("database-url-password", "DATABASE_URL=postgres://app:${DB_PASSWORD}@db/app\n"),
	MISS("database-url-password", "DATABASE_URL=postgres://app@db/app\n"),
	HIT("url-password", "git clone https://deploy:{a:16}@git.internal.test/repo.git\n"),
	MISS("url-password", "git clone https://deploy:$TOKEN@git.internal.test/repo.git\n"),
	MISS("url-password", "git clone https://deploy@git.internal.test/repo.git\n"),
	MISS("url-password", "see http://localhost:8080/status@now\n"),
	HIT("connection-string-password",
	    "Server=db{x:4};Database=app;User Id=sa;Password={a:16};\n"),
	MISS("connection-string-password",
	     "Server=db{x:4};Database=app;Integrated Security=true;Password=;\n"),
	HIT("http-authorization-header", "curl -H \"Authorization: Bearer {w:40}\" https://api\n"),
	MISS("http-authorization-header", "curl -H \"Authorization: Bearer $TOKEN\" https://api\n"),
	HIT("curl-user-password", "curl -u admin:{a:16} https://api.internal.test/\n"),
	MISS("curl-user-password", "curl -u admin:$ADMIN_PASSWORD https://api.internal.test/\n"),
	HIT("netrc-password", "machine api.internal.test login deploy password {a:16}\n"),
	HIT("netrc-password", "machine api.internal.test\n  login deploy\n  password {a:16}\n"),
	MISS("netrc-password", "machine api.internal.test login deploy password changeme\n"),

	HIT("generic-password", "DB_PASSWORD = \"{a:16}\"\n"),
	HIT("generic-password", "  password: {a:12}!#\n"),
	HIT("generic-password", "{\"password\": \"{a:12}{d:2}{a:2}\"}\n"),
	HIT("generic-password", "spring.datasource.password={a:16}\n"),
	MISS("generic-password", "DB_PASSWORD = os.getenv(\"DB_PASSWORD\")\n"),
	MISS("generic-password", "password: ${DB_PASSWORD}\n"),
	MISS("generic-password", "password: $DB_PASSWORD\n"),
	MISS("generic-password", "password = \"<your password>\"\n"),
	MISS("generic-password", "password: changeme\n"),
	MISS("generic-password", "password: \"xxxxxxxxxx\"\n"),
	MISS("generic-password", "password: \"********\"\n"),
	MISS("generic-password", "const password = process.env.DB_PASSWORD;\n"),
	MISS("generic-password", "password_file: /run/secrets/db_password\n"),
	MISS("generic-password", "password = config.db.password\n"),
	MISS("generic-password", "\"password\": \"{{ .Values.db.password }}\"\n"),
	MISS("generic-password", "password = getpass.getpass()\n"),
	MISS("generic-password", "PASSWORD_MIN_LENGTH = 12\n"),
	MISS("generic-password", "password: \"your-password-here\"\n"),
	HIT("generic-secret", "client_secret: \"{a:32}\"\n"),
	MISS("generic-secret", "client_secret: ${CLIENT_SECRET}\n"),
	MISS("generic-secret", "secret_name: DATABASE_SECRET_NAME\n"),
	HIT("generic-token", "auth_token = '{a:32}'\n"),
	MISS("generic-token", "auth_token = get_token()\n"),
	MISS("generic-token", "token = self.next_token_value\n"),
	HIT("generic-api-key", "API_KEY={a:32}\n"),
	MISS("generic-api-key", "API_KEY=<your-api-key>\n"),
	MISS("generic-api-key", "api_key: \"%(API_KEY)s\"\n"),
};

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
