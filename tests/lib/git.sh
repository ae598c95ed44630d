# Helpers for the git tests: an isolated git environment, commits with
# increasing dates, and fake secrets of well-known shapes. Source it after
# tap.sh.
GUARD_TOOLS_DIR=${GUARD_TOOLS_DIR:-$ROOT/build/tools}
GIT_WALK=$GUARD_TOOLS_DIR/git-walk

# No user or system configuration leaks into the test repositories.
HOME=$TMP/home
mkdir -p "$HOME"
export HOME
export GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Test Author" GIT_AUTHOR_EMAIL="author@test.invalid"
export GIT_COMMITTER_NAME="Test Author" GIT_COMMITTER_EMAIL="author@test.invalid"
export GUARD
git config --global init.defaultBranch main
git config --global protocol.file.allow always
git config --global advice.detachedHead false

# Every commit gets a date one minute after the previous one, so that the
# order of history does not depend on how fast the test runs.
GIT_TEST_TIME=1700000000
commit() {
	GIT_TEST_TIME=$((GIT_TEST_TIME + 60))
	GIT_AUTHOR_DATE="@$GIT_TEST_TIME +0000" GIT_COMMITTER_DATE="@$GIT_TEST_TIME +0000" \
		git commit -q --no-verify "$@"
}

# random_chars SET N: N random characters from the tr character set SET.
random_chars() {
	LC_ALL=C tr -dc "$1" < /dev/urandom | head -c "$2"
}

# A GitHub classic token shape: ghp_ and 36 letters and digits.
fake_github_token() {
	printf 'ghp_%s' "$(random_chars 'A-Za-z0-9' 36)"
}

# An AWS access key id shape: AKIA and 16 base32 characters.
fake_aws_key_id() {
	printf 'AKIA%s' "$(random_chars 'A-Z2-7' 16)"
}

fake_aws_secret() {
	random_chars 'A-Za-z0-9/+' 40
}

# walk [ARGS]: the "COMMIT PATH BLOB" lines git-walk prints, with commit ids
# shortened to the subject of the commit, so "SUBJECT PATH".
walk() {
	"$GIT_WALK" "$@" 2>"$TMP/walk.err" | while read -r c p b; do
		if [ "$c" = staged ]; then
			echo "staged $p"
		else
			echo "$(git log -1 --format=%s "$c") $p"
		fi
	done
}
