#include "credentials.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Placeholder until config.json and helper support land: anonymous. */
int guard_credentials_lookup(const char *domain, struct guard_credential *out, bool *found,
			     struct guard_error *err)
{
	(void)domain;
	(void)err;
	memset(out, 0, sizeof(*out));
	*found = false;
	return 0;
}

void guard_credential_release(struct guard_credential *credential)
{
	if (credential->password)
		guard_wipe(credential->password, strlen(credential->password));
	if (credential->identity_token)
		guard_wipe(credential->identity_token, strlen(credential->identity_token));
	if (credential->registry_token)
		guard_wipe(credential->registry_token, strlen(credential->registry_token));
	free(credential->username);
	free(credential->password);
	free(credential->identity_token);
	free(credential->registry_token);
	free(credential->source);
	memset(credential, 0, sizeof(*credential));
}
