/* The built-in rule catalogue and the value filters that keep placeholders,
 * variable references and code out of the generic rules. */
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "decode.h"
#include "rules.h"
#include "util.h"

/* Pieces shared by the patterns. A token must not continue an identifier
 * or a longer token on either side. */
#define NOT_AFTER_WORD "(?<![A-Za-z0-9_])"
#define NOT_BEFORE_WORD "(?![A-Za-z0-9_])"
#define NOT_AFTER_TOKEN "(?<![A-Za-z0-9_\\-])"
#define NOT_BEFORE_TOKEN "(?![A-Za-z0-9_\\-])"

/* The rest of a variable or key name after its keyword, an optional closing
 * quote, and an assignment operator in code, YAML, JSON, INI or .env. */
#define NAME_REST "[A-Za-z0-9_.\\-]{0,30}"
#define ASSIGN "[\"'\\]]?\\s{0,4}(?::=|=>|=|:)\\s{0,4}"
#define ASSIGN_QUOTE ASSIGN "[\"'`]?"

/* A value in double, single or no quotes; group 1 in every branch. */
#define ANY_VALUE(min) \
	"(?|\"([^\"\\r\\n]{" #min ",200})\"|'([^'\\r\\n]{" #min ",200})'" \
	"|([^\\s\"'`,;<>(){}\\[\\]]{" #min ",200}))"

#define HINT_ROTATE "Revoke the credential at its issuer, create a new one and load it " \
	"from a secret store or a build secret (RUN --mount=type=secret)."
#define HINT_KEY "Treat the key as compromised: replace it and keep private keys out " \
	"of the repository and the build context."
#define HINT_GENERIC "Move the value to a secret store or an environment variable set at " \
	"run time, and rotate it if it was ever committed or pushed."

#define CRIT GUARD_SEVERITY_CRITICAL
#define HIGH GUARD_SEVERITY_HIGH
#define MED GUARD_SEVERITY_MEDIUM
#define LOW GUARD_SEVERITY_LOW

#define PLACEHOLDER GUARD_FILTER_PLACEHOLDER
#define CODE GUARD_FILTER_CODE
#define GENERIC GUARD_FILTER_GENERIC
#define ANY_CASE GUARD_FILTER_ANY_CASE

static const struct guard_rule rules[] = {
	/* Cloud providers */
	{ "aws-access-key-id", "AWS access key ID", CRIT,
	  { "AKIA", "ASIA", "ABIA", "ACCA", "A3T", NULL },
	  "(?<![A-Za-z0-9])((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})(?![A-Za-z0-9])",
	  0, 20, 3.0, 0, HINT_ROTATE },
	{ "aws-secret-access-key", "AWS secret access key", CRIT,
	  { "secret_access_key", "secretaccesskey", "secret-access-key", "aws_secret_key",
	    "awssecretkey", "aws-secret-key", NULL },
	  "(?i:(?:aws[_\\-]?)?(?:secret_access_key|secretaccesskey|secret-access-key)"
	  "|aws(?:_secret_key|secretkey|-secret-key))[A-Za-z0-9_]{0,10}" ASSIGN_QUOTE
	  "([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
	  8, 100, 3.0, ANY_CASE, HINT_ROTATE },
	{ "aws-session-token", "AWS session token", HIGH,
	  { "session_token", "sessiontoken", "session-token", NULL },
	  "(?i:(?:aws[_\\-]?)?session[_\\-]?token)[A-Za-z0-9_]{0,10}" ASSIGN_QUOTE
	  "([A-Za-z0-9/+=]{100,1200})(?![A-Za-z0-9/+=])",
	  8, 1280, 3.5, ANY_CASE, HINT_ROTATE },
	{ "gcp-service-account-key-id", "Google Cloud service account key (private_key_id)", CRIT,
	  { "private_key_id", NULL },
	  "\"private_key_id\"\\s{0,4}:\\s{0,4}\"([a-f0-9]{40})\"",
	  1, 60, 3.0, 0, HINT_KEY },
	{ "gcp-api-key", "Google Cloud API key", HIGH,
	  { "AIza", NULL },
	  NOT_AFTER_TOKEN "(AIza[A-Za-z0-9_\\-]{35})" NOT_BEFORE_TOKEN,
	  0, 40, 3.0, 0, HINT_ROTATE },
	{ "gcp-oauth-client-secret", "Google OAuth client secret", HIGH,
	  { "GOCSPX-", NULL },
	  NOT_AFTER_TOKEN "(GOCSPX-[A-Za-z0-9_\\-]{28})" NOT_BEFORE_TOKEN,
	  0, 40, 3.0, 0, HINT_ROTATE },
	{ "azure-storage-account-key", "Azure storage account key", CRIT,
	  { "AccountKey=", NULL },
	  "(?i:AccountKey)=([A-Za-z0-9+/]{86}==)",
	  0, 100, 3.5, ANY_CASE, HINT_ROTATE },
	{ "azure-shared-access-key", "Azure Service Bus or Event Hubs shared access key", HIGH,
	  { "SharedAccessKey=", NULL },
	  "(?i:SharedAccessKey)=([A-Za-z0-9+/]{42,43}=)",
	  0, 60, 3.5, ANY_CASE, HINT_ROTATE },
	{ "azure-sas-token", "Azure shared access signature (SAS) token", HIGH,
	  { "sig=", NULL },
	  "(?i:sv=)\\d{4}-\\d\\d-\\d\\d&[^\\s\"'<>]{0,400}?(?i:sig=)"
	  "([A-Za-z0-9%+/]{40,100}(?:%3D|=){0,2})",
	  420, 110, 3.5, ANY_CASE, HINT_ROTATE },
	{ "azure-ad-client-secret", "Microsoft Entra ID (Azure AD) client secret", HIGH,
	  { "Q~", NULL },
	  "(?<![A-Za-z0-9_~.\\-])([A-Za-z0-9_~.]{3}\\dQ~[A-Za-z0-9_~.\\-]{31,34})"
	  "(?![A-Za-z0-9_~.\\-])",
	  4, 40, 3.0, 0, HINT_ROTATE },
	{ "alibaba-access-key-id", "Alibaba Cloud AccessKey ID", HIGH,
	  { "LTAI", NULL },
	  "(?<![A-Za-z0-9])(LTAI[A-Za-z0-9]{12,20})(?![A-Za-z0-9])",
	  0, 24, 3.0, 0, HINT_ROTATE },
	{ "alibaba-access-key-secret", "Alibaba Cloud AccessKey secret", CRIT,
	  { "alibaba", "aliyun", "alicloud", "access_key_secret", "accesskeysecret",
	    "access-key-secret", NULL },
	  "(?i:(?:alibaba|aliyun|alicloud)[A-Za-z0-9_.\\-]{0,20}secret[A-Za-z0-9_.\\-]{0,20}"
	  "|access[_\\-]?key[_\\-]?secret)" ASSIGN_QUOTE "([A-Za-z0-9]{30})(?![A-Za-z0-9])",
	  0, 100, 3.5, ANY_CASE, HINT_ROTATE },
	{ "digitalocean-token", "DigitalOcean access, OAuth or refresh token", HIGH,
	  { "dop_v1_", "doo_v1_", "dor_v1_", NULL },
	  NOT_AFTER_WORD "(do[opr]_v1_[a-f0-9]{64})" NOT_BEFORE_WORD,
	  0, 80, 3.0, 0, HINT_ROTATE },
	{ "heroku-api-key", "Heroku API key", HIGH,
	  { "heroku", NULL },
	  "(?i:heroku)" NAME_REST ASSIGN_QUOTE
	  "([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
	  "(?![A-Za-z0-9])",
	  0, 90, 3.0, ANY_CASE, HINT_ROTATE },
	{ "heroku-api-key-v2", "Heroku platform API key", HIGH,
	  { "HRKU-", NULL },
	  NOT_AFTER_TOKEN "(HRKU-AA[A-Za-z0-9_\\-]{58})" NOT_BEFORE_TOKEN,
	  0, 70, 3.0, 0, HINT_ROTATE },
	{ "vault-token", "HashiCorp Vault token", HIGH,
	  { "hvs.", "hvb.", NULL },
	  NOT_AFTER_WORD "(hv[sb]\\.[A-Za-z0-9_\\-]{90,130})" NOT_BEFORE_TOKEN,
	  0, 140, 3.5, 0, HINT_ROTATE },
	{ "terraform-cloud-token", "Terraform Cloud or Enterprise API token", HIGH,
	  { ".atlasv1.", NULL },
	  "(?<![A-Za-z0-9])([A-Za-z0-9]{14}\\.atlasv1\\.[A-Za-z0-9_\\-=]{60,70})"
	  "(?![A-Za-z0-9_\\-=])",
	  15, 80, 3.5, 0, HINT_ROTATE },
	{ "pulumi-access-token", "Pulumi access token", HIGH,
	  { "pul-", NULL },
	  NOT_AFTER_TOKEN "(pul-[a-f0-9]{40})" NOT_BEFORE_WORD,
	  0, 50, 3.0, 0, HINT_ROTATE },

	/* Source hosting and CI */
	{ "github-pat", "GitHub personal access token (classic)", CRIT,
	  { "ghp_", NULL },
	  NOT_AFTER_WORD "(ghp_[A-Za-z0-9]{36})" NOT_BEFORE_WORD,
	  0, 40, 3.0, 0, HINT_ROTATE },
	{ "github-fine-grained-pat", "GitHub fine-grained personal access token", CRIT,
	  { "github_pat_", NULL },
	  NOT_AFTER_WORD "(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})" NOT_BEFORE_WORD,
	  0, 90, 3.0, 0, HINT_ROTATE },
	{ "github-oauth-token", "GitHub OAuth access token", CRIT,
	  { "gho_", NULL },
	  NOT_AFTER_WORD "(gho_[A-Za-z0-9]{36})" NOT_BEFORE_WORD,
	  0, 40, 3.0, 0, HINT_ROTATE },
	{ "github-app-user-token", "GitHub App user access token", CRIT,
	  { "ghu_", NULL },
	  NOT_AFTER_WORD "(ghu_[A-Za-z0-9]{36})" NOT_BEFORE_WORD,
	  0, 40, 3.0, 0, HINT_ROTATE },
	{ "github-app-installation-token", "GitHub App installation access token", CRIT,
	  { "ghs_", NULL },
	  NOT_AFTER_WORD "(ghs_[A-Za-z0-9]{36})" NOT_BEFORE_WORD,
	  0, 40, 3.0, 0, HINT_ROTATE },
	{ "github-refresh-token", "GitHub refresh token", CRIT,
	  { "ghr_", NULL },
	  NOT_AFTER_WORD "(ghr_[A-Za-z0-9]{36,76})" NOT_BEFORE_WORD,
	  0, 80, 3.0, 0, HINT_ROTATE },
	{ "gitlab-pat", "GitLab personal, project or group access token", CRIT,
	  { "glpat-", NULL },
	  NOT_AFTER_TOKEN "(glpat-[A-Za-z0-9_\\-]{20,300})" NOT_BEFORE_TOKEN,
	  0, 310, 3.0, 0, HINT_ROTATE },
	{ "gitlab-pipeline-trigger-token", "GitLab pipeline trigger token", HIGH,
	  { "glptt-", NULL },
	  NOT_AFTER_TOKEN "(glptt-[a-f0-9]{40})" NOT_BEFORE_WORD,
	  0, 50, 3.0, 0, HINT_ROTATE },
	{ "gitlab-runner-token", "GitLab runner authentication token", HIGH,
	  { "glrt-", NULL },
	  NOT_AFTER_TOKEN "(glrt-[A-Za-z0-9_\\-]{20,300})" NOT_BEFORE_TOKEN,
	  0, 310, 3.0, 0, HINT_ROTATE },
	{ "gitlab-deploy-token", "GitLab deploy token", HIGH,
	  { "gldt-", NULL },
	  NOT_AFTER_TOKEN "(gldt-[A-Za-z0-9_\\-]{20,300})" NOT_BEFORE_TOKEN,
	  0, 310, 3.0, 0, HINT_ROTATE },
	{ "bitbucket-app-password", "Bitbucket app password or API token", HIGH,
	  { "ATBB", NULL },
	  NOT_AFTER_WORD "(ATBB[A-Za-z0-9]{28,40})" NOT_BEFORE_WORD,
	  0, 44, 3.0, 0, HINT_ROTATE },
	{ "bitbucket-client-secret", "Bitbucket OAuth consumer secret", HIGH,
	  { "bitbucket", NULL },
	  "(?i:bitbucket)" NAME_REST "(?i:secret)" NAME_REST ASSIGN_QUOTE
	  "([A-Za-z0-9_\\-]{32,64})" NOT_BEFORE_TOKEN,
	  0, 150, 3.5, ANY_CASE, HINT_ROTATE },
	{ "atlassian-api-token", "Atlassian (Jira, Confluence) API token", HIGH,
	  { "ATATT3", NULL },
	  NOT_AFTER_WORD "(ATATT3[A-Za-z0-9_\\-=]{150,250})(?![A-Za-z0-9_\\-=])",
	  0, 260, 3.5, 0, HINT_ROTATE },

	/* Package registries and container registries */
	{ "npm-token", "npm access token", CRIT,
	  { "npm_", NULL },
	  NOT_AFTER_WORD "(npm_[A-Za-z0-9]{36})" NOT_BEFORE_WORD,
	  0, 40, 3.0, 0, HINT_ROTATE },
	{ "npmrc-auth", "Registry credential in an .npmrc (_authToken, _auth, _password)", CRIT,
	  { "_auth", "_password", NULL },
	  "(?m)(?:^[ \\t]*|/:)(?:_authToken|_auth|_password)\\s{0,4}=\\s{0,4}[\"']?([^\\s\"']{8,500})",
	  64, 520, 3.0, PLACEHOLDER, HINT_ROTATE },
	{ "pypi-token", "PyPI API token", CRIT,
	  { "pypi-AgEIcHlwaS5vcmc", NULL },
	  NOT_AFTER_WORD "(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\\-]{50,300})" NOT_BEFORE_TOKEN,
	  0, 310, 3.0, 0, HINT_ROTATE },
	{ "rubygems-api-key", "RubyGems API key", CRIT,
	  { "rubygems_", NULL },
	  NOT_AFTER_WORD "(rubygems_[a-f0-9]{48})" NOT_BEFORE_WORD,
	  0, 60, 3.0, 0, HINT_ROTATE },
	{ "nuget-api-key", "NuGet API key", HIGH,
	  { "oy2", NULL },
	  "(?<![A-Za-z0-9])(oy2[a-z0-9]{43})(?![A-Za-z0-9])",
	  0, 50, 3.0, 0, HINT_ROTATE },
	{ "dockerhub-token", "Docker Hub personal or organization access token", CRIT,
	  { "dckr_pat_", "dckr_oat_", NULL },
	  NOT_AFTER_WORD "(dckr_[po]at_[A-Za-z0-9_\\-]{27,32})" NOT_BEFORE_TOKEN,
	  0, 40, 3.0, 0, HINT_ROTATE },
	{ "docker-config-auth", "Registry credential in a docker config.json (auths)", CRIT,
	  { "\"auth\"", NULL },
	  "\"auth\"\\s{0,4}:\\s{0,4}\"([A-Za-z0-9+/]{8,400}={0,2})\"",
	  0, 420, 0, GUARD_FILTER_BASIC_AUTH, HINT_ROTATE },

	/* Chat and messaging */
	{ "slack-bot-token", "Slack bot token", HIGH,
	  { "xoxb-", NULL },
	  NOT_AFTER_WORD "(xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24,34})" NOT_BEFORE_WORD,
	  0, 70, 3.0, 0, HINT_ROTATE },
	{ "slack-user-token", "Slack user token", HIGH,
	  { "xoxp-", "xoxe-", NULL },
	  NOT_AFTER_WORD "(xox[pe](?:-[0-9]{10,13}){3}-[A-Za-z0-9]{28,34})" NOT_BEFORE_WORD,
	  0, 90, 3.0, 0, HINT_ROTATE },
	{ "slack-app-token", "Slack app-level token", HIGH,
	  { "xapp-", NULL },
	  NOT_AFTER_WORD "(xapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{10,14}-[a-f0-9]{64})" NOT_BEFORE_WORD,
	  0, 100, 3.0, 0, HINT_ROTATE },
	{ "slack-webhook-url", "Slack incoming webhook URL", HIGH,
	  { "hooks.slack.com/", NULL },
	  "(?i:hooks\\.slack\\.com)/(?|services/(T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{23,25})"
	  "|(?:workflows|triggers)/(T[A-Z0-9]{8,12}/[A-Za-z0-9]{8,12}/[0-9]{6,20}/[A-Za-z0-9]{23,40}))"
	  NOT_BEFORE_WORD,
	  0, 120, 3.0, ANY_CASE, HINT_ROTATE },
	{ "discord-bot-token", "Discord bot token", HIGH,
	  { "discord", NULL },
	  "(?i:discord)" NAME_REST ASSIGN_QUOTE
	  "([MNO][A-Za-z0-9_\\-]{23,25}\\.[A-Za-z0-9_\\-]{6}\\.[A-Za-z0-9_\\-]{27,38})"
	  NOT_BEFORE_TOKEN,
	  0, 140, 3.0, ANY_CASE, HINT_ROTATE },
	{ "discord-webhook-url", "Discord webhook URL", HIGH,
	  { "/api/webhooks/", NULL },
	  "(?i:discord(?:app)?\\.com)/api/webhooks/([0-9]{17,20}/[A-Za-z0-9_\\-]{60,68})"
	  NOT_BEFORE_TOKEN,
	  30, 100, 3.0, 0, HINT_ROTATE },
	{ "telegram-bot-token", "Telegram bot token", HIGH,
	  { ":AA", NULL },
	  "(?<![0-9])([0-9]{8,10}:AA[A-Za-z0-9_\\-]{33})" NOT_BEFORE_TOKEN,
	  11, 40, 3.0, 0, HINT_ROTATE },
	{ "twilio-api-key", "Twilio API key", HIGH,
	  { "twilio", NULL },
	  "(?i:twilio)[^\\r\\n]{0,80}?(?<![A-Za-z0-9])(SK[0-9a-fA-F]{32})(?![A-Za-z0-9])",
	  0, 130, 3.0, ANY_CASE, HINT_ROTATE },
	{ "twilio-auth-token", "Twilio auth token", HIGH,
	  { "twilio", NULL },
	  "(?i:twilio[A-Za-z0-9_.\\-]{0,20}token)[A-Za-z0-9_]{0,10}" ASSIGN_QUOTE
	  "([a-f0-9]{32})(?![A-Za-z0-9])",
	  0, 110, 3.0, ANY_CASE, HINT_ROTATE },
	{ "sendgrid-api-key", "SendGrid API key", HIGH,
	  { "SG.", NULL },
	  "(?<![A-Za-z0-9])(SG\\.[A-Za-z0-9_\\-]{22}\\.[A-Za-z0-9_\\-]{43})" NOT_BEFORE_TOKEN,
	  0, 70, 3.0, 0, HINT_ROTATE },
	{ "mailgun-api-key", "Mailgun API key", HIGH,
	  { "key-", NULL },
	  NOT_AFTER_TOKEN "(key-[0-9a-f]{32})(?![A-Za-z0-9])",
	  0, 40, 3.0, 0, HINT_ROTATE },
	{ "mailchimp-api-key", "Mailchimp API key", HIGH,
	  { "-us1", "-us2", "-us3", "-us4", "-us5", "-us6", "-us7", "-us8", "-us9", NULL },
	  "(?<![A-Za-z0-9])([0-9a-f]{32}-us[0-9]{1,2})(?![A-Za-z0-9])",
	  33, 6, 3.0, 0, HINT_ROTATE },

	/* Payments and commerce */
	{ "stripe-secret-key", "Stripe live secret or restricted key", CRIT,
	  { "sk_live_", "rk_live_", NULL },
	  NOT_AFTER_WORD "([sr]k_live_[A-Za-z0-9]{24,99})" NOT_BEFORE_WORD,
	  0, 110, 3.0, 0, HINT_ROTATE },
	{ "stripe-test-key", "Stripe test-mode secret key", LOW,
	  { "sk_test_", NULL },
	  NOT_AFTER_WORD "(sk_test_[A-Za-z0-9]{24,99})" NOT_BEFORE_WORD,
	  0, 110, 3.0, 0, HINT_ROTATE },
	{ "stripe-webhook-secret", "Stripe webhook signing secret", HIGH,
	  { "whsec_", NULL },
	  NOT_AFTER_WORD "(whsec_[A-Za-z0-9+/=]{32,64})(?![A-Za-z0-9+/=])",
	  0, 70, 3.0, 0, HINT_ROTATE },
	{ "shopify-token", "Shopify access token or shared secret", HIGH,
	  { "shpat_", "shpca_", "shppa_", "shpss_", NULL },
	  NOT_AFTER_WORD "(shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})" NOT_BEFORE_WORD,
	  0, 40, 3.0, 0, HINT_ROTATE },
	{ "square-access-token", "Square access token", HIGH,
	  { "EAAA", "sq0atp-", NULL },
	  "(?<![A-Za-z0-9_\\-])(?|(EAAA[A-Za-z0-9_\\-]{60})|(sq0atp-[A-Za-z0-9_\\-]{22}))"
	  NOT_BEFORE_TOKEN,
	  0, 70, 3.0, 0, HINT_ROTATE },
	{ "square-oauth-secret", "Square OAuth application secret", HIGH,
	  { "sq0csp-", NULL },
	  NOT_AFTER_TOKEN "(sq0csp-[A-Za-z0-9_\\-]{43})" NOT_BEFORE_TOKEN,
	  0, 60, 3.0, 0, HINT_ROTATE },

	/* AI and developer services */
	{ "openai-api-key", "OpenAI API key", CRIT,
	  { "T3BlbkFJ", NULL },
	  NOT_AFTER_TOKEN "(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\\-]{20,200}T3BlbkFJ"
	  "[A-Za-z0-9_\\-]{20,200})" NOT_BEFORE_TOKEN,
	  220, 220, 3.0, 0, HINT_ROTATE },
	{ "anthropic-api-key", "Anthropic API key", CRIT,
	  { "sk-ant-", NULL },
	  NOT_AFTER_TOKEN "(sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_\\-]{80,100}AA)"
	  NOT_BEFORE_TOKEN,
	  0, 120, 3.0, 0, HINT_ROTATE },
	{ "huggingface-token", "Hugging Face access token", HIGH,
	  { "hf_", NULL },
	  NOT_AFTER_WORD "(hf_[A-Za-z]{34})" NOT_BEFORE_WORD,
	  0, 40, 3.0, 0, HINT_ROTATE },
	{ "datadog-api-key", "Datadog API key", HIGH,
	  { "datadog", "dd_api", "dd-api", "dd.api", "ddapi", NULL },
	  "(?i:(?:datadog|dd)[_.\\-]?api[_.\\-]?key)[A-Za-z0-9_]{0,10}" ASSIGN_QUOTE
	  "([a-f0-9]{32})(?![A-Za-z0-9])",
	  0, 80, 3.0, ANY_CASE, HINT_ROTATE },
	{ "datadog-app-key", "Datadog application key", HIGH,
	  { "datadog", "dd_app", "dd-app", "dd.app", "ddapp", NULL },
	  "(?i:(?:datadog|dd)[_.\\-]?app(?:lication)?[_.\\-]?key)[A-Za-z0-9_]{0,10}"
	  ASSIGN_QUOTE "([a-f0-9]{40})(?![A-Za-z0-9])",
	  0, 100, 3.0, ANY_CASE, HINT_ROTATE },
	{ "sentry-org-token", "Sentry organization auth token", HIGH,
	  { "sntrys_", NULL },
	  NOT_AFTER_WORD "(sntrys_eyJ[A-Za-z0-9+/=_\\-]{60,400})(?![A-Za-z0-9+/=_\\-])",
	  0, 420, 3.5, 0, HINT_ROTATE },
	{ "sentry-user-token", "Sentry user auth token", HIGH,
	  { "sntryu_", NULL },
	  NOT_AFTER_WORD "(sntryu_[a-f0-9]{64})" NOT_BEFORE_WORD,
	  0, 80, 3.0, 0, HINT_ROTATE },
	{ "grafana-service-account-token", "Grafana service account token", HIGH,
	  { "glsa_", NULL },
	  NOT_AFTER_WORD "(glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})" NOT_BEFORE_WORD,
	  0, 50, 3.0, 0, HINT_ROTATE },
	{ "grafana-cloud-token", "Grafana Cloud access policy token", HIGH,
	  { "glc_", NULL },
	  NOT_AFTER_WORD "(glc_[A-Za-z0-9+/]{32,400}={0,2})(?![A-Za-z0-9+/=])",
	  0, 410, 3.5, 0, HINT_ROTATE },
	{ "newrelic-user-api-key", "New Relic user API key", HIGH,
	  { "NRAK-", NULL },
	  NOT_AFTER_TOKEN "(NRAK-[A-Z0-9]{27})" NOT_BEFORE_WORD,
	  0, 40, 3.0, 0, HINT_ROTATE },
	{ "linear-api-key", "Linear API key", HIGH,
	  { "lin_api_", NULL },
	  NOT_AFTER_WORD "(lin_api_[A-Za-z0-9]{40})" NOT_BEFORE_WORD,
	  0, 50, 3.0, 0, HINT_ROTATE },
	{ "postman-api-key", "Postman API key", HIGH,
	  { "PMAK-", NULL },
	  NOT_AFTER_TOKEN "(PMAK-[a-f0-9]{24}-[a-f0-9]{34})" NOT_BEFORE_WORD,
	  0, 70, 3.0, 0, HINT_ROTATE },
	{ "doppler-token", "Doppler personal token", HIGH,
	  { "dp.pt.", NULL },
	  NOT_AFTER_WORD "(dp\\.pt\\.[A-Za-z0-9]{43})" NOT_BEFORE_WORD,
	  0, 50, 3.0, 0, HINT_ROTATE },
	{ "age-secret-key", "age encryption secret key", CRIT,
	  { "AGE-SECRET-KEY-1", NULL },
	  "(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})(?![A-Za-z0-9])",
	  0, 70, 3.0, 0, HINT_KEY },

	/* Private keys */
	{ "private-key", "Private key (PEM: PKCS#1, PKCS#8, SEC1, OpenSSH, encrypted)", CRIT,
	  { "-----BEGIN", NULL },
	  "(-----BEGIN[ A-Z0-9]{0,40} PRIVATE KEY-----[A-Za-z0-9+/=\\s:,.\\-]{40,20000}?"
	  "-----END[ A-Z0-9]{0,40} PRIVATE KEY-----)",
	  0, 20200, 0, 0, HINT_KEY },
	{ "ssh2-private-key", "Private key in the SSH2 (RFC 4716) format", CRIT,
	  { "BEGIN SSH2 ENCRYPTED PRIVATE KEY", NULL },
	  "(---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----[\\s\\S]{40,20000}?"
	  "---- END SSH2 ENCRYPTED PRIVATE KEY ----)",
	  5, 20100, 0, 0, HINT_KEY },
	{ "pgp-private-key", "PGP private key block", CRIT,
	  { "BEGIN PGP PRIVATE KEY BLOCK", NULL },
	  "(-----BEGIN PGP PRIVATE KEY BLOCK-----[\\s\\S]{40,60000}?"
	  "-----END PGP PRIVATE KEY BLOCK-----)",
	  5, 60100, 0, 0, HINT_KEY },
	{ "putty-private-key", "PuTTY private key (.ppk)", CRIT,
	  { "PuTTY-User-Key-File-", NULL },
	  "(PuTTY-User-Key-File-[23]:[\\s\\S]{20,12000}?Private-Lines:\\s*[0-9]{1,4}\\r?\\n"
	  "[A-Za-z0-9+/=\\r\\n]{40,12000}?)\\r?\\nPrivate-(?:MAC|Hash)",
	  0, 24100, 0, 0, HINT_KEY },

	/* Tokens and URLs */
	{ "jwt", "JSON Web Token", MED,
	  { "eyJ", NULL },
	  NOT_AFTER_TOKEN "(eyJ[A-Za-z0-9_\\-]{10,4000}\\.eyJ[A-Za-z0-9_\\-]{10,8000}\\."
	  "[A-Za-z0-9_\\-]{16,2000})" NOT_BEFORE_TOKEN,
	  0, 14100, 3.0, 0,
	  "Revoke the token (or rotate its signing key) and keep tokens out of files." },
	{ "database-url-password", "Password in a database connection URL", HIGH,
	  { "postgres://", "postgresql://", "mysql://", "mariadb://", "mongodb://",
	    "mongodb+srv://", "redis://", "rediss://", "amqp://", "amqps://", "mssql://",
	    "sqlserver://", NULL },
	  "(?i:(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\\+srv)?|rediss?|amqps?|mssql"
	  "|sqlserver)://)[^\\s:/@\"'<>]{0,100}:([^\\s/@\"'<>]{3,100})@[A-Za-z0-9.\\-\\[\\]]",
	  0, 230, 0, ANY_CASE | PLACEHOLDER, HINT_ROTATE },
	{ "url-password", "Password in a URL (user:password@host)", HIGH,
	  { "://", NULL },
	  /* Starts at "://" so that only the hits themselves are tried; the
	   * database schemes belong to database-url-password. */
	  "(?<!(?i:postgres))(?<!(?i:postgresql))(?<!(?i:mysql))(?<!(?i:mariadb))"
	  "(?<!(?i:mongodb))(?<!(?i:mongodb\\+srv))(?<!(?i:redis))(?<!(?i:rediss))"
	  "(?<!(?i:amqp))(?<!(?i:amqps))(?<!(?i:mssql))(?<!(?i:sqlserver))"
	  /* RFC 3986 userinfo never contains brackets, braces or '|', so usage
	   * lines such as [docker://]NAME[:TAG|@DIGEST] do not match. */
	  "(?<=[A-Za-z0-9])://[^\\s:/@\"'<>\\[\\]{}|\\\\^`]{1,100}:"
	  "([^\\s/@\"'<>\\[\\]{}|\\\\^`]{3,100})@[A-Za-z0-9.\\-\\[\\]]",
	  0, 230, 0, PLACEHOLDER, HINT_ROTATE },
	{ "connection-string-password", "Password in a connection string (Server=...;Password=...)",
	  HIGH,
	  { "password", "pwd", NULL },
	  "(?i)(?:server|data source|host|address|addr)\\s{0,4}=\\s{0,4}[^;\\r\\n]{1,200};"
	  "(?:[^;\\r\\n]{0,200};){0,8}?\\s{0,4}(?:password|pwd)\\s{0,4}=\\s{0,4}"
	  "([^;\"'\\s]{3,200})",
	  1900, 220, 0, ANY_CASE | PLACEHOLDER, HINT_ROTATE },
	{ "http-authorization-header", "Credential in an HTTP Authorization header", HIGH,
	  { "authorization", NULL },
	  "(?i:authorization)[\"']?\\s{0,4}[:=]\\s{0,4}[\"']?(?i:bearer|basic|token)\\s+"
	  "([A-Za-z0-9._~+/\\-]{12,2000}=*)",
	  0, 2100, 3.0, ANY_CASE | PLACEHOLDER, HINT_ROTATE },
	{ "curl-user-password", "Password passed to curl with -u or --user", HIGH,
	  { "curl", NULL },
	  "(?i:curl)\\s(?:[^\\r\\n]{0,200}?\\s)?(?:-u|--user)[ =]{1,4}[\"']?[^\\s:\"']{1,100}:"
	  "([^\\s\"']{3,100})",
	  0, 420, 0, ANY_CASE | PLACEHOLDER, HINT_ROTATE },
	{ "netrc-password", "Password in a .netrc entry", HIGH,
	  { "machine", NULL },
	  "(?i:machine)\\s+\\S{1,255}\\s+(?i:login)\\s+\\S{1,255}\\s+(?i:password)\\s+(\\S{3,255})",
	  0, 800, 0, ANY_CASE | PLACEHOLDER, HINT_ROTATE },

	/* Generic assignments */
	{ "generic-password", "Password assigned in code or configuration", MED,
	  { "password", "passwd", "pwd", "passphrase", NULL },
	  "(?i:password|passwd|pwd|passphrase)" NAME_REST ASSIGN ANY_VALUE(6),
	  0, 250, 3.0, ANY_CASE | PLACEHOLDER | CODE | GENERIC, HINT_GENERIC },
	{ "generic-secret", "Secret assigned in code or configuration", MED,
	  { "secret", NULL },
	  "(?i:secret)" NAME_REST ASSIGN ANY_VALUE(10),
	  0, 250, 3.5, ANY_CASE | PLACEHOLDER | CODE | GENERIC, HINT_GENERIC },
	{ "generic-token", "Token assigned in code or configuration", MED,
	  { "token", NULL },
	  "(?i:token)" NAME_REST ASSIGN ANY_VALUE(16),
	  0, 250, 3.5, ANY_CASE | PLACEHOLDER | CODE | GENERIC, HINT_GENERIC },
	{ "generic-api-key", "API key or access key assigned in code or configuration", MED,
	  { "api_key", "apikey", "api-key", "api.key", "access_key", "accesskey", "access-key",
	    NULL },
	  "(?i:api[_.\\-]?key|access[_\\-]?key)" NAME_REST ASSIGN ANY_VALUE(16),
	  0, 250, 3.5, ANY_CASE | PLACEHOLDER | CODE | GENERIC, HINT_GENERIC },
};

const struct guard_rule *guard_rules(size_t *count)
{
	*count = GUARD_ARRAY_SIZE(rules);
	return rules;
}

const struct guard_rule *guard_rule_find(const char *id)
{
	for (size_t i = 0; i < GUARD_ARRAY_SIZE(rules); i++) {
		if (strcmp(rules[i].id, id) == 0)
			return &rules[i];
	}
	return NULL;
}

double guard_rule_entropy(const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t counts[256] = { 0 };
	double bits = 0;

	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		counts[p[i]]++;
	for (size_t c = 0; c < 256; c++) {
		double share;

		if (!counts[c])
			continue;
		share = (double)counts[c] / (double)len;
		bits -= share * log2(share);
	}
	return bits;
}

/* Values that stand for a secret without being one. Matched as substrings
 * of the lowercased value. */
static const char *const placeholder_parts[] = {
	"changeme", "change_me", "change-me", "example", "placeholder", "your_", "your-",
	"yourpass", "yoursecret", "yourtoken", "redacted", "dummy", "xxxx", "****",
	"....", "replace", "fixme", "todo", "sample", "insert_", "insert-", "getenv",
	"environ", "process.env", "secrets.", "env(", "env[", "env.", "{{", "}}", "${",
	"#{", "%(", "%s", "%d", "vault:", "secretref", "secretkeyref", "valuefrom",
};

/* Whole values that are placeholders or literals, compared ignoring case. */
static const char *const placeholder_words[] = {
	"password", "passwd", "pass", "pwd", "secret", "token", "apikey", "api_key",
	"test", "testing", "null", "none", "nil", "true", "false", "undefined", "empty",
	"default", "user", "username", "admin", "root", "string", "required", "optional",
	"hidden", "masked", "unset", "notset", "n/a", "tbd", "abc123", "123456",
	"12345678", "letmein", "qwerty", "foobar", "secret123", "password123",
};

static bool has_part_ci(const char *value, size_t len, const char *part)
{
	size_t n = strlen(part);

	for (size_t i = 0; i + n <= len; i++) {
		if (strncasecmp(value + i, part, n) == 0)
			return true;
	}
	return false;
}

/* One character repeated, or two alternating ("x-x-x"), is a placeholder. */
static bool is_repetitive(const char *value, size_t len)
{
	unsigned char seen[256] = { 0 };
	size_t distinct = 0;

	for (size_t i = 0; i < len; i++) {
		if (!seen[(unsigned char)value[i]]++)
			distinct++;
	}
	return distinct <= 2;
}

static bool is_placeholder(const char *value, size_t len)
{
	static const char prefixes[] = "$%<!@&*";

	if (len == 0 || memchr(prefixes, value[0], sizeof(prefixes) - 1))
		return true;
	if (is_repetitive(value, len))
		return true;
	for (size_t i = 0; i < GUARD_ARRAY_SIZE(placeholder_words); i++) {
		if (strlen(placeholder_words[i]) == len &&
		    strncasecmp(value, placeholder_words[i], len) == 0)
			return true;
	}
	for (size_t i = 0; i < GUARD_ARRAY_SIZE(placeholder_parts); i++) {
		if (has_part_ci(value, len, placeholder_parts[i]))
			return true;
	}
	return false;
}

static bool is_path(const char *value, size_t len)
{
	static const char *const suffixes[] = {
		".txt", ".json", ".yaml", ".yml", ".pem", ".key", ".crt", ".env", ".conf",
		".cfg", ".ini", ".xml", ".properties", ".toml", ".p12", ".jks", ".gpg",
	};

	if (value[0] == '/' || value[0] == '~' || value[0] == '\\' ||
	    (len >= 2 && value[0] == '.' && (value[1] == '/' || value[1] == '.')) ||
	    (len >= 3 && isalpha((unsigned char)value[0]) && value[1] == ':' &&
	     (value[2] == '\\' || value[2] == '/')))
		return true;
	for (size_t i = 0; i < GUARD_ARRAY_SIZE(suffixes); i++) {
		size_t n = strlen(suffixes[i]);

		if (len > n && strncasecmp(value + len - n, suffixes[i], n) == 0)
			return true;
	}
	return false;
}

/* A C-style name: a letter or underscore, then letters, digits or
 * underscores. */
static bool is_name(const char *value, size_t len)
{
	if (len == 0 || !(isalpha((unsigned char)value[0]) || value[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++) {
		if (!(isalnum((unsigned char)value[i]) || value[i] == '_'))
			return false;
	}
	return true;
}

/* SOME_CONSTANT or snake_case_name_2: an identifier with underscores in
 * one letter case. */
static bool is_identifier(const char *value, size_t len)
{
	bool upper = false, lower = false, underscore = false;

	if (!(isalpha((unsigned char)value[0]) || value[0] == '_'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c == '_')
			underscore = true;
		else if (isupper(c))
			upper = true;
		else if (islower(c))
			lower = true;
		else if (!isdigit(c))
			return false;
	}
	return underscore && upper != lower;
}

/* Identifiers, member access (config.db.password), calls, concatenations
 * and plain words or sentences are code or prose, not literals. A real password may be a plain word too; the
 * generic rules accept that miss to stay quiet on source code. */
static bool is_code(const char *value, size_t len)
{
	bool word_chars_only = true;
	bool digits_only = true;

	if (memchr(value, '(', len) || memchr(value, ')', len) || is_path(value, len) ||
	    strchr("^=:|.?,;", value[0]))
		return true;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (!isdigit(c))
			digits_only = false;
		if (!(isalpha(c) || c == '_' || c == '-' || c == '.' || c == '+' || c == ' ' ||
		      c == ':'))
			word_chars_only = false;
	}
	if (digits_only || word_chars_only || is_identifier(value, len) || memchr(value, ' ', len))
		return true;

	/* An expression that starts with a name: LIMIT*2, BASE+5. */
	for (size_t i = 1; i < len; i++) {
		if (strchr("+*", value[i]) && is_name(value, i))
			return true;
		if (!(isalnum((unsigned char)value[i]) || value[i] == '_'))
			break;
	}

	/* Vim script scopes (s:name, a:name) and URLs, which the URL rules
	 * check for a password. */
	if (len > 2 && value[1] == ':' && islower((unsigned char)value[0]))
		return true;
	if (has_part_ci(value, len, "://"))
		return true;

	/* this.password, cfg.db.password, args->password */
	if (strstr(value, "->") || strstr(value, "::"))
		return true;
	return false;
}

static bool is_basic_auth(const char *value, size_t len)
{
	unsigned char decoded[320];
	size_t n;
	const unsigned char *colon;
	bool ok;

	if (len > 400)
		return false;
	n = guard_decode_base64(value, len, decoded, sizeof(decoded));
	if (n == 0 || n == SIZE_MAX)
		return false;
	colon = memchr(decoded, ':', n);
	ok = colon && colon > decoded && colon < decoded + n - 1 &&
	     guard_decode_is_text(decoded, n);
	guard_wipe(decoded, sizeof(decoded));
	return ok;
}

/* True for the part of a guard fingerprint after its rule id
 * ("<16 hex>:<16 hex>"): in a baseline or report, "generic-password:..."
 * reads like a password assignment, and guard's own files must not
 * produce findings. */
static bool is_fingerprint_tail(const char *value, size_t len)
{
	if (len != 33 || value[16] != ':')
		return false;
	for (size_t i = 0; i < len; i++) {
		bool hex = (value[i] >= '0' && value[i] <= '9') || (value[i] >= 'a' && value[i] <= 'f');

		if (i != 16 && !hex)
			return false;
	}
	return true;
}

bool guard_rule_accepts(const struct guard_rule *rule, const char *value, size_t len)
{
	if (len == 0)
		return false;
	if ((rule->filters & GUARD_FILTER_GENERIC) && is_fingerprint_tail(value, len))
		return false;
	if (rule->min_entropy > 0 && guard_rule_entropy(value, len) < rule->min_entropy)
		return false;
	if ((rule->filters & GUARD_FILTER_PLACEHOLDER) && is_placeholder(value, len))
		return false;
	if ((rule->filters & GUARD_FILTER_CODE) && is_code(value, len))
		return false;
	if ((rule->filters & GUARD_FILTER_BASIC_AUTH) && !is_basic_auth(value, len))
		return false;
	return true;
}

/* File rules */

enum file_rule_index {
	FILE_PRIVATE_KEY,
	FILE_KEYSTORE,
	FILE_PUTTY_KEY,
	FILE_DOTENV,
	FILE_PACKAGE_CREDENTIALS,
	FILE_NETRC,
	FILE_GIT_CREDENTIALS,
	FILE_CLOUD_CREDENTIALS,
	FILE_DOCKER_CONFIG,
	FILE_DATABASE_PASSWORDS,
	FILE_HTPASSWD,
	FILE_KUBECONFIG,
	FILE_TERRAFORM_VARS,
	FILE_SHELL_HISTORY,
	FILE_GIT_FOLDER,
};

static const struct guard_file_rule file_rules[] = {
	[FILE_PRIVATE_KEY] = { "file-private-key", "Private key file (id_rsa, *.pem, *.key, ...)",
			       CRIT, HINT_KEY },
	[FILE_KEYSTORE] = { "file-keystore", "Key store or password database "
			    "(.p12, .pfx, .jks, .keystore, .kdbx, ...)", HIGH, HINT_KEY },
	[FILE_PUTTY_KEY] = { "file-putty-key", "PuTTY private key file (.ppk)", CRIT, HINT_KEY },
	[FILE_DOTENV] = { "file-dotenv", "Environment file (.env, .env.*)", HIGH,
			  "Keep .env files out of the build context (.dockerignore) and of git "
			  "(.gitignore); commit a .env.example with placeholders instead." },
	[FILE_PACKAGE_CREDENTIALS] = { "file-package-credentials", "Package registry credentials "
				       "(.npmrc, .pypirc, .gem/credentials)", HIGH,
				       "Pass registry credentials as a build secret "
				       "(RUN --mount=type=secret) instead of copying the file." },
	[FILE_NETRC] = { "file-netrc", "netrc credentials file (.netrc, _netrc)", HIGH,
			 HINT_GENERIC },
	[FILE_GIT_CREDENTIALS] = { "file-git-credentials", "git credential store "
				   "(.git-credentials)", CRIT, HINT_ROTATE },
	[FILE_CLOUD_CREDENTIALS] = { "file-cloud-credentials", "Cloud CLI credentials "
				     "(.aws/credentials, .s3cfg)", CRIT, HINT_ROTATE },
	[FILE_DOCKER_CONFIG] = { "file-docker-config", "Docker client configuration with "
				 "registry logins (.docker/config.json, .dockercfg)", HIGH,
				 HINT_ROTATE },
	[FILE_DATABASE_PASSWORDS] = { "file-pgpass", "PostgreSQL password file (.pgpass)", HIGH,
				      HINT_ROTATE },
	[FILE_HTPASSWD] = { "file-htpasswd", "Apache password file (.htpasswd)", MED,
			    HINT_GENERIC },
	[FILE_KUBECONFIG] = { "file-kubeconfig", "Kubernetes client configuration "
			      "(.kube/config, kubeconfig)", HIGH, HINT_ROTATE },
	[FILE_TERRAFORM_VARS] = { "file-terraform-vars", "Terraform variable values "
				  "(terraform.tfvars, *.auto.tfvars)", MED, HINT_GENERIC },
	[FILE_SHELL_HISTORY] = { "file-shell-history", "Shell or database client history "
				 "(.bash_history, .psql_history, ...)", MED,
				 "Remove history files from the build context; they often hold "
				 "passwords typed on the command line." },
	[FILE_GIT_FOLDER] = { "file-git-folder", "git metadata folder in the build context (.git)",
			      MED, "Add .git to .dockerignore: it holds the full history and "
			      "remote URLs, which may contain credentials." },
};

static const struct guard_file_rule source_rules[] = {
	{ "dockerfile-env-secret", "Secret in a Dockerfile ENV value", HIGH,
	  "Remove the value from the Dockerfile and rotate it. Pass secrets to the build with "
	  "'RUN --mount=type=secret,id=NAME' and 'docker build --secret id=NAME,...', and to "
	  "the container at run time through the orchestrator's secret store." },
	{ "dockerfile-arg-secret", "Secret in a Dockerfile ARG default", HIGH,
	  "Remove the default and rotate the value. Build arguments are recorded in the image "
	  "history; use 'RUN --mount=type=secret,id=NAME' with 'docker build --secret' instead." },
	{ "dockerfile-copy-secret-file", "Dockerfile copies a secret file into the image", HIGH,
	  "Exclude the file in .dockerignore, or copy only what the image needs. A file copied "
	  "into a layer stays downloadable even if a later step deletes it." },
	{ "image-env-secret", "Secret-looking ENV variable with a literal value", HIGH,
	  "Set secrets at run time (--env-file, orchestrator secrets), not with ENV: the value "
	  "ships in the image config" },
	{ "image-build-arg-secret", "Secret-looking build argument recorded in the image", HIGH,
	  "Use a BuildKit secret mount (RUN --mount=type=secret) instead of ARG: build argument "
	  "values stay in the image history" },
};

const struct guard_file_rule *guard_source_rules(size_t *count)
{
	*count = GUARD_ARRAY_SIZE(source_rules);
	return source_rules;
}

const struct guard_file_rule *guard_source_rule(const char *id)
{
	for (size_t i = 0; i < GUARD_ARRAY_SIZE(source_rules); i++)
		if (strcmp(source_rules[i].id, id) == 0)
			return &source_rules[i];
	return &source_rules[0];
}

const struct guard_file_rule *guard_file_rules(size_t *count)
{
	*count = GUARD_ARRAY_SIZE(file_rules);
	return file_rules;
}

struct name_entry {
	const char *name;
	enum file_rule_index rule;
};

/* Exact base names. */
static const struct name_entry base_names[] = {
	{ "id_rsa", FILE_PRIVATE_KEY }, { "id_dsa", FILE_PRIVATE_KEY },
	{ "id_ecdsa", FILE_PRIVATE_KEY }, { "id_ed25519", FILE_PRIVATE_KEY },
	{ "id_ecdsa_sk", FILE_PRIVATE_KEY }, { "id_ed25519_sk", FILE_PRIVATE_KEY },
	{ "id_xmss", FILE_PRIVATE_KEY },
	{ ".env", FILE_DOTENV },
	{ ".npmrc", FILE_PACKAGE_CREDENTIALS }, { ".pypirc", FILE_PACKAGE_CREDENTIALS },
	{ ".netrc", FILE_NETRC }, { "_netrc", FILE_NETRC },
	{ ".git-credentials", FILE_GIT_CREDENTIALS },
	{ ".s3cfg", FILE_CLOUD_CREDENTIALS },
	{ ".dockercfg", FILE_DOCKER_CONFIG },
	{ ".pgpass", FILE_DATABASE_PASSWORDS },
	{ ".htpasswd", FILE_HTPASSWD },
	{ "kubeconfig", FILE_KUBECONFIG },
	{ "terraform.tfvars", FILE_TERRAFORM_VARS },
	{ ".bash_history", FILE_SHELL_HISTORY }, { ".zsh_history", FILE_SHELL_HISTORY },
	{ ".sh_history", FILE_SHELL_HISTORY }, { ".history", FILE_SHELL_HISTORY },
	{ ".ash_history", FILE_SHELL_HISTORY }, { ".fish_history", FILE_SHELL_HISTORY },
	{ ".psql_history", FILE_SHELL_HISTORY }, { ".mysql_history", FILE_SHELL_HISTORY },
	{ ".sqlite_history", FILE_SHELL_HISTORY }, { ".rediscli_history", FILE_SHELL_HISTORY },
	{ ".python_history", FILE_SHELL_HISTORY }, { ".node_repl_history", FILE_SHELL_HISTORY },
	{ ".irb_history", FILE_SHELL_HISTORY }, { ".mongosh_history", FILE_SHELL_HISTORY },
	{ ".dbshell", FILE_SHELL_HISTORY },
};

/* Path endings, matched at the start of the path or after a '/'. */
static const struct name_entry path_endings[] = {
	{ ".aws/credentials", FILE_CLOUD_CREDENTIALS },
	{ ".docker/config.json", FILE_DOCKER_CONFIG },
	{ ".kube/config", FILE_KUBECONFIG },
	{ ".gem/credentials", FILE_PACKAGE_CREDENTIALS },
	{ ".git/config", FILE_GIT_FOLDER },
	{ ".config/fish/fish_history", FILE_SHELL_HISTORY },
	{ ".local/share/fish/fish_history", FILE_SHELL_HISTORY },
};

/* Name suffixes (extensions and the like), ignoring case. */
static const struct name_entry suffixes[] = {
	{ ".p12", FILE_KEYSTORE }, { ".pfx", FILE_KEYSTORE }, { ".pkcs12", FILE_KEYSTORE },
	{ ".jks", FILE_KEYSTORE }, { ".jceks", FILE_KEYSTORE }, { ".bks", FILE_KEYSTORE },
	{ ".keystore", FILE_KEYSTORE }, { ".kdbx", FILE_KEYSTORE }, { ".kdb", FILE_KEYSTORE },
	{ ".ppk", FILE_PUTTY_KEY },
	{ ".kubeconfig", FILE_KUBECONFIG },
	{ ".auto.tfvars", FILE_TERRAFORM_VARS },
};

static bool path_ends_with_component(const char *path, const char *ending)
{
	size_t plen = strlen(path), elen = strlen(ending);

	if (plen < elen || strcmp(path + plen - elen, ending) != 0)
		return false;
	return plen == elen || path[plen - elen - 1] == '/';
}

static bool is_dotenv(const char *base)
{
	static const char *const templates[] = { "example", "sample", "template", "dist" };
	const char *rest;

	if (strcmp(base, ".env") == 0)
		return true;
	if (strncmp(base, ".env.", 5) != 0)
		return false;
	rest = base + 5;
	for (size_t i = 0; i < GUARD_ARRAY_SIZE(templates); i++) {
		if (strcasecmp(rest, templates[i]) == 0)
			return false;
	}
	return *rest != '\0';
}

/* Key files named after their algorithm (deploy_rsa, host_ed25519) or
 * holding a PEM private key (*.pem, *.key). */
static bool is_private_key_file(const char *base, const void *data, size_t len)
{
	static const char *const key_suffixes[] = { "_rsa", "_dsa", "_ecdsa", "_ed25519" };
	static const char marker[] = "PRIVATE KEY-----";

	for (size_t i = 0; i < GUARD_ARRAY_SIZE(key_suffixes); i++) {
		if (guard_has_suffix(base, key_suffixes[i]))
			return true;
	}
	if (!data || !(guard_has_suffix(base, ".pem") || guard_has_suffix(base, ".key") ||
		       guard_has_suffix(base, ".PEM") || guard_has_suffix(base, ".KEY")))
		return false;
	return memmem(data, len, marker, sizeof(marker) - 1) != NULL;
}

const struct guard_file_rule *guard_file_rule_match(const char *path, const void *data,
						    size_t len)
{
	const char *base;
	size_t blen;

	if (!path || !*path)
		return NULL;
	base = guard_path_base(path);
	blen = strlen(base);

	for (size_t i = 0; i < GUARD_ARRAY_SIZE(base_names); i++) {
		if (strcmp(base, base_names[i].name) == 0)
			return &file_rules[base_names[i].rule];
	}
	for (size_t i = 0; i < GUARD_ARRAY_SIZE(path_endings); i++) {
		if (path_ends_with_component(path, path_endings[i].name))
			return &file_rules[path_endings[i].rule];
	}
	for (size_t i = 0; i < GUARD_ARRAY_SIZE(suffixes); i++) {
		size_t n = strlen(suffixes[i].name);

		if (blen > n && strcasecmp(base + blen - n, suffixes[i].name) == 0)
			return &file_rules[suffixes[i].rule];
	}
	if (is_dotenv(base))
		return &file_rules[FILE_DOTENV];
	if (is_private_key_file(base, data, len))
		return &file_rules[FILE_PRIVATE_KEY];
	return NULL;
}
