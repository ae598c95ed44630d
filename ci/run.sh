#!/usr/bin/env bash
# Runs the checks of the guard GitHub Actions step. Inputs come from GUARD_*
# variables (set by action.yml), the event from GITHUB_EVENT_NAME and
# GITHUB_EVENT_PATH. It writes the report(s), the step outputs and a summary
# table, and exits with guard's exit code contract: 0 clean, 1 findings at or
# above fail-on, 2 usage, 3 unreadable input, 4 registry or network, 5 internal.
set -uo pipefail

GUARD=${GUARD:-guard}
run_list=${GUARD_RUN:-scan-context}
target_path=${GUARD_PATH:-.}
image=${GUARD_IMAGE:-}
format=${GUARD_FORMAT:-sarif}
output=${GUARD_OUTPUT:-guard.sarif}
baseline=${GUARD_BASELINE:-}
fail_on=${GUARD_FAIL_ON:-low}
extra_args=${GUARD_ARGS:-}

note() { printf 'guard-action: %s\n' "$*" >&2; }

usage_error() {
	note "$*"
	exit 2
}

case $format in
sarif | json | text) ;;
*) usage_error "invalid format '$format': expected sarif, json or text" ;;
esac

case $fail_on in
none) fail_rank=99 ;;
low) fail_rank=0 ;;
medium) fail_rank=1 ;;
high) fail_rank=2 ;;
critical) fail_rank=3 ;;
*) usage_error "invalid fail-on '$fail_on': expected low, medium, high, critical or none" ;;
esac

# The checks to run, in the order given; commas and spaces both separate.
read -r -a checks <<< "${run_list//,/ }"
[ ${#checks[@]} -gt 0 ] || usage_error "no check given in 'run'"
for check in "${checks[@]}"; do
	case $check in
	pin-check | scan-context | scan-git | scan-image) ;;
	*) usage_error "unknown check '$check': expected pin-check, scan-context, scan-git or scan-image" ;;
	esac
done

# report_path CHECK: OUTPUT itself for one check, else OUTPUT with the check
# name before the extension.
report_path() {
	if [ ${#checks[@]} -eq 1 ]; then
		printf '%s' "$output"
		return
	fi
	local base=${output%.*} ext=${output##*.}
	[ "$base" = "$output" ] && ext="" || ext=".$ext"
	printf '%s-%s%s' "$base" "$1" "$ext"
}

is_zero_id() {
	[[ $1 =~ ^0+$ ]]
}

has_commit() {
	git cat-file -e "$1^{commit}" 2>/dev/null
}

# git_range: prints the revision arguments of guard scan git for the event,
# one per line, or nothing to scan the whole history. It never returns a
# range smaller than what the event adds. When the commits it needs are
# missing from the clone, it fails and prints how to fetch them.
git_range() {
	local event=${GITHUB_EVENT_NAME:-} payload=${GITHUB_EVENT_PATH:-}
	local before after base head default

	if [ -z "$event" ] || [ -z "$payload" ] || [ ! -r "$payload" ]; then
		return 0
	fi
	case $event in
	push)
		before=$(jq -r '.before // ""' "$payload")
		after=$(jq -r '.after // ""' "$payload")
		if [ -z "$after" ] || is_zero_id "$after"; then
			echo "DELETED"
			return 0
		fi
		has_commit "$after" || {
			note "commit $after of the push is not in the clone; use actions/checkout with fetch-depth: 0"
			return 3
		}
		if [ -n "$before" ] && ! is_zero_id "$before" && has_commit "$before"; then
			printf '%s..%s\n' "$before" "$after"
			return 0
		fi
		# A new branch, or a force push whose old tip is gone: scan the
		# commits that the default branch does not have.
		default=$(jq -r '.repository.default_branch // ""' "$payload")
		if [ -n "$default" ] && git rev-parse -q --verify "refs/remotes/origin/$default" > /dev/null &&
			[ "$(jq -r '.ref // ""' "$payload")" != "refs/heads/$default" ]; then
			printf '%s\n^refs/remotes/origin/%s\n' "$after" "$default"
		else
			printf '%s\n' "$after"
		fi
		;;
	pull_request | pull_request_target)
		base=$(jq -r '.pull_request.base.sha // ""' "$payload")
		head=$(jq -r '.pull_request.head.sha // ""' "$payload")
		if ! has_commit "$base" || ! has_commit "$head"; then
			note "the pull request's commits $base and $head are not both in the clone; use actions/checkout with fetch-depth: 0"
			return 3
		fi
		printf '%s..%s\n' "$base" "$head"
		;;
	merge_group)
		base=$(jq -r '.merge_group.base_sha // ""' "$payload")
		head=$(jq -r '.merge_group.head_sha // ""' "$payload")
		if ! has_commit "$base" || ! has_commit "$head"; then
			note "the merge group's commits are not in the clone; use actions/checkout with fetch-depth: 0"
			return 3
		fi
		printf '%s..%s\n' "$base" "$head"
		;;
	*) ;;
	esac
	return 0
}

# count_findings FILE FORMAT: findings at or above fail-on in a report.
count_findings() {
	local file=$1 fmt=$2
	[ -s "$file" ] || {
		echo 0
		return
	}
	case $fmt in
	sarif)
		jq --argjson rank "$fail_rank" '
			def r: {"low":0,"medium":1,"high":2,"critical":3}[. // "low"] // 0;
			[.runs[].results[] | select((.properties.severity | r) >= $rank)] | length' "$file"
		;;
	json)
		jq --argjson rank "$fail_rank" '
			def r: {"low":0,"medium":1,"high":2,"critical":3}[. // "low"] // 0;
			[.findings[]? | select((.severity | r) >= $rank)] | length' "$file"
		;;
	pin-json)
		jq '[.references[]? | select(.action == "unpinned")] | length' "$file"
		;;
	*)
		echo unknown
		;;
	esac
}

# pin_sarif JSON SARIF: turns guard pin --check's JSON into SARIF results,
# one per unpinned reference.
pin_sarif() {
	jq --arg version "$("$GUARD" version | head -n 1 | cut -d' ' -f2)" '{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		version: "2.1.0",
		runs: [{
			tool: {driver: {
				name: "guard", version: $version,
				informationUri: "https://guard.invalid/",
				rules: [{
					id: "unpinned-image",
					name: "UnpinnedImage",
					shortDescription: {text: "Image reference not pinned to a digest"},
					fullDescription: {text: "The image reference names a tag, which the registry can move to other content. A digest names exactly one image."},
					help: {text: "Run guard pin to append the digest (name:tag@sha256:...).", markdown: "Run `guard pin` to append the digest (`name:tag@sha256:...`)."},
					defaultConfiguration: {level: "error"},
					properties: {tags: ["security", "supply-chain"], "security-severity": "5.0"}
				}]
			}},
			results: [(.references // [])[] | select(.action == "unpinned") | {
				ruleId: "unpinned-image", ruleIndex: 0, level: "error",
				message: {text: ("Image reference " + .text + " is not pinned to a digest.")},
				locations: [{physicalLocation: {
					artifactLocation: {uri: .file, uriBaseId: "%SRCROOT%"},
					region: {startLine: .line, startColumn: (.column // 1)}}}],
				partialFingerprints: {"guardFingerprint/v1": ("unpinned-image:" + .file + ":" + .text)},
				properties: {severity: "medium"}
			}]
		}]
	}' "$1" > "$2"
}

summary_rows=()
first_report=""
total=0
worst=0

record() {
	local check=$1 code=$2 count=$3 report=$4 what=$5
	summary_rows+=("| $check | $what | $count | $code | \`$report\` |")
	[ -n "$first_report" ] || first_report=$report
	[ "$count" = unknown ] || total=$((total + count))
	if [ "$code" -ge 2 ] && [ "$code" -gt "$worst" ]; then
		worst=$code
	elif [ "$code" -eq 1 ] && [ "$worst" -lt 1 ]; then
		if [ "$count" = unknown ] || [ "$count" -gt 0 ]; then
			worst=1
		fi
	fi
}

# shellcheck disable=SC2206
extra=($extra_args)
common=()
[ -n "$baseline" ] && common+=(--baseline "$baseline")

for check in "${checks[@]}"; do
	report=$(report_path "$check")
	case $check in
	pin-check)
		pin_format=$format
		[ "$format" = sarif ] && pin_format=json
		pin_out=$report
		[ "$format" = sarif ] && pin_out="$report.pin.json"
		note "running: guard pin --check --format $pin_format $target_path"
		"$GUARD" pin --check --format "$pin_format" --output "$pin_out" "${extra[@]}" "$target_path"
		code=$?
		count_format=$format
		if [ "$format" = sarif ] && [ -s "$pin_out" ]; then
			pin_sarif "$pin_out" "$report"
			rm -f "$pin_out"
		elif [ "$format" = json ]; then
			count_format=pin-json
		fi
		what=$target_path
		;;
	scan-context)
		note "running: guard scan context $target_path"
		"$GUARD" scan context --format "$format" --output "$report" "${common[@]}" "${extra[@]}" "$target_path"
		code=$?
		count_format=$format
		what=$target_path
		;;
	scan-git)
		range_text=$(git_range)
		rc=$?
		if [ $rc -ne 0 ]; then
			record "$check" "$rc" 0 "-" "(range)"
			continue
		fi
		if [ "$range_text" = DELETED ]; then
			note "the push deletes a branch: no commits to scan"
			record "$check" 0 0 "-" "(branch deletion)"
			continue
		fi
		mapfile -t range <<< "$range_text"
		[ -n "${range[0]:-}" ] || range=()
		note "running: guard scan git ${range[*]:-(all history)}"
		"$GUARD" scan git --format "$format" --output "$report" "${common[@]}" "${extra[@]}" "${range[@]}"
		code=$?
		count_format=$format
		what=${range[*]:-all history}
		;;
	scan-image)
		[ -n "$image" ] || usage_error "scan-image needs the 'image' input"
		note "running: guard scan image $image"
		"$GUARD" scan image --format "$format" --output "$report" "${common[@]}" "${extra[@]}" "$image"
		code=$?
		count_format=$format
		what=$image
		;;
	esac
	count=0
	if [ "$code" -le 1 ]; then
		count=$(count_findings "$report" "$count_format")
		[ "$count" = unknown ] && [ "$code" -eq 0 ] && count=0
		if [ "$code" -eq 1 ] && [ "$count" != unknown ] && [ "$count" -eq 0 ]; then
			note "$check: findings below fail-on '$fail_on' do not fail the step"
		fi
	fi
	record "$check" "$code" "$count" "$report" "$what"
done

if [ -n "${GITHUB_OUTPUT:-}" ]; then
	{
		echo "findings=$total"
		echo "report=$first_report"
	} >> "$GITHUB_OUTPUT"
fi

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
	{
		echo "### guard"
		echo
		echo "| check | target | findings (fail-on $fail_on) | exit code | report |"
		echo "|---|---|---|---|---|"
		printf '%s\n' "${summary_rows[@]}"
	} >> "$GITHUB_STEP_SUMMARY"
fi

exit "$worst"
