/* Test program: looks up the registry credentials of one domain and prints
 * what was found, with a SHA-256 of the secret in place of the secret. */
#include <stdio.h>
#include <string.h>

#include "credentials.h"
#include "digest.h"
#include "log.h"

static void print_secret(const char *kind, const char *secret)
{
	struct guard_error err = GUARD_ERROR_INIT;
	char hex[65];

	if (guard_sha256_hex(secret, strlen(secret), hex, &err) < 0)
		snprintf(hex, sizeof(hex), "error");
	printf("kind=%s secret-sha256=%s\n", kind, hex);
}

int main(int argc, char **argv)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_credential cred;
	bool found;

	if (argc != 2) {
		fprintf(stderr, "usage: credentials_lookup DOMAIN\n");
		return 2;
	}
	if (guard_credentials_lookup(argv[1], &cred, &found, &err) < 0) {
		guard_log_report(&err);
		return 3;
	}
	if (!found) {
		printf("found=no\n");
		return 0;
	}
	printf("found=yes\nsource=%s\n", cred.source ? cred.source : "");
	if (cred.registry_token) {
		print_secret("registry-token", cred.registry_token);
	} else if (cred.identity_token) {
		print_secret("identity-token", cred.identity_token);
	} else {
		printf("username=%s\n", cred.username);
		print_secret("password", cred.password);
	}
	guard_credential_release(&cred);
	return 0;
}
