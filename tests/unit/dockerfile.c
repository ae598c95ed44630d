/* Unit tests of the Dockerfile parser and the pin plan. Every pin case
 * applies a fake digest at the planned offsets and compares the whole
 * output, which proves that no other byte changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#include "buf.h"
#include "dockerfile.h"
#include "dockerfile_int.h"
#include "error.h"

#define FAKE "sha256:d1"
/* Digests already in test inputs must be well formed. */
#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char *const no_args[] = { NULL };

static size_t count_args(const char *const *args)
{
	size_t n = 0;

	while (args && args[n])
		n++;
	return n;
}

static int parse(const char *text, const char *const *args, struct guard_dockerfile **df,
		 struct guard_error *err)
{
	struct guard_dockerfile_options opts = { args, count_args(args), 0 };

	return guard_dockerfile_parse(df, "Dockerfile", text, strlen(text), &opts, err);
}

static const char *action_name(const struct guard_dockerfile_image *img)
{
	static const char *const sites[] = { "pin", "pin-literal", "pin-arg", "pin-expr",
					     "pin-after" };

	if (img->action == GUARD_DOCKERFILE_SKIP)
		return "skip";
	if (img->action == GUARD_DOCKERFILE_PINNED)
		return "pinned";
	return sites[img->site];
}

/* "kind expanded action" per image, joined by " | ". */
static char *plan_summary(const struct guard_dockerfile *df)
{
	struct guard_buf buf = GUARD_BUF_INIT(1 << 16);
	struct guard_error err = GUARD_ERROR_INIT;

	for (size_t i = 0; i < df->image_count; i++) {
		const struct guard_dockerfile_image *img = &df->images[i];

		guard_buf_printf(&buf, &err, "%s%s %s %s%s", i ? " | " : "",
				 guard_dockerfile_ref_kind_name(img->kind),
				 img->expanded ? img->expanded : "(none)", action_name(img),
				 img->duplicate ? "(dup)" : "");
	}
	return guard_buf_detach(&buf, NULL);
}

/* Applies digest to every image and returns the new text. */
static char *apply_digest(const struct guard_dockerfile *df, const char *digest)
{
	const char **digests = calloc(df->image_count + 1, sizeof(*digests));
	struct guard_error err = GUARD_ERROR_INIT;
	char *out = NULL;
	size_t len;

	for (size_t i = 0; i < df->image_count; i++)
		digests[i] = digest;
	if (guard_dockerfile_apply(df, digests, &out, &len, &err) < 0) {
		printf("# apply: %s\n", err.message);
		out = NULL;
	}
	free(digests);
	return out;
}

static char *apply_fake(const struct guard_dockerfile *df)
{
	return apply_digest(df, FAKE);
}

static size_t count_action(const struct guard_dockerfile *df, enum guard_dockerfile_action action)
{
	size_t n = 0;

	for (size_t i = 0; i < df->image_count; i++)
		n += df->images[i].action == action;
	return n;
}

/* Pins with a well-formed digest, parses the result again and checks
 * that every planned pin now reads as pinned. */
static void check_repin(const struct guard_dockerfile *df, const char *const *args,
			const char *name)
{
	struct guard_dockerfile *again = NULL;
	struct guard_error err = GUARD_ERROR_INIT;
	char *out = apply_digest(df, "sha256:" HEX_B);
	size_t pins = count_action(df, GUARD_DOCKERFILE_PIN);

	if (!out || parse(out, args, &again, &err) < 0) {
		TAP_OK(0, "%s: pinned text parses (%s)", name, err.message);
		free(out);
		return;
	}
	TAP_IS_INT(count_action(again, GUARD_DOCKERFILE_PIN), 0, "%s: nothing left to pin", name);
	TAP_IS_INT(count_action(again, GUARD_DOCKERFILE_PINNED),
		   count_action(df, GUARD_DOCKERFILE_PINNED) + pins, "%s: every pin reads as pinned",
		   name);
	free(out);
	guard_dockerfile_free(again);
}

struct pin_case {
	const char *name;
	const char *input;
	const char *const *args;
	const char *plan;
	const char *output;	/* NULL: the input, unchanged */
};

static const char *const args_py313[] = { "BASE=python:3.13", NULL };
static const char *const args_same[] = { "BASE=python:3.12", NULL };
static const char *const args_tag[] = { "TAG=3.10", NULL };
static const char *const args_arch[] = { "TARGETARCH=arm64", NULL };
static const char *const args_pinned[] = { "BASE=alpine@sha256:" HEX_A, NULL };

static const struct pin_case pin_cases[] = {
	{ "literal from", "FROM alpine:3.20\n", NULL, "from alpine:3.20 pin-literal",
	  "FROM alpine:3.20@" FAKE "\n" },
	{ "no tag gets latest", "FROM node\n", NULL, "from node pin-literal",
	  "FROM node:latest@" FAKE "\n" },
	{ "no final newline", "FROM node", NULL, "from node pin-literal",
	  "FROM node:latest@" FAKE },
	{ "lowercase and as", "from golang:1.23 as build\nfrom build\n", NULL,
	  "from golang:1.23 pin-literal | from build skip",
	  "from golang:1.23@" FAKE " as build\nfrom build\n" },
	{ "platform flag kept", "FROM --platform=$BUILDPLATFORM golang:1.23 AS b\n", NULL,
	  "from golang:1.23 pin-literal",
	  "FROM --platform=$BUILDPLATFORM golang:1.23@" FAKE " AS b\n" },
	{ "registry with port", "FROM registry:5000/app\nFROM app:5000\n", NULL,
	  "from registry:5000/app pin-literal | from app:5000 pin-literal",
	  "FROM registry:5000/app:latest@" FAKE "\nFROM app:5000@" FAKE "\n" },
	{ "trailing spaces and tabs", "FROM alpine:3 \t \nRUN x\n", NULL,
	  "from alpine:3 pin-literal", "FROM alpine:3@" FAKE " \t \nRUN x\n" },
	{ "leading whitespace", "   FROM alpine:3\n\t  COPY a b\n", NULL, "from alpine:3 pin-literal",
	  "   FROM alpine:3@" FAKE "\n\t  COPY a b\n" },
	{ "quoted image", "FROM \"alpine:3\"\n", NULL, "from alpine:3 pin-literal",
	  "FROM \"alpine:3@" FAKE "\"\n" },
	{ "scratch", "FROM scratch\nCOPY a /\n", NULL, "from scratch skip", NULL },
	{ "stage names case-insensitive",
	  "FROM node:22 AS Node\nFROM NODE\nFROM node:22\n", NULL,
	  "from node:22 pin-literal | from NODE skip | from node:22 pin-literal",
	  "FROM node:22@" FAKE " AS Node\nFROM NODE\nFROM node:22@" FAKE "\n" },
	{ "later stage is an image", "FROM tools\nFROM alpine:3 AS tools\n", NULL,
	  "from tools pin-literal | from alpine:3 pin-literal",
	  "FROM tools:latest@" FAKE "\nFROM alpine:3@" FAKE " AS tools\n" },
	{ "copy from stage, number and image",
	  "FROM golang:1 AS build\nFROM alpine:3\nCOPY --from=0 /a /a\nCOPY --from=build /b /b\n"
	  "COPY --from=Build /c /c\nCOPY --from=nginx:1.27 /d /d\n", NULL,
	  "from golang:1 pin-literal | from alpine:3 pin-literal | copy-from 0 skip | "
	  "copy-from build skip | copy-from Build skip | copy-from nginx:1.27 pin-literal",
	  "FROM golang:1@" FAKE " AS build\nFROM alpine:3@" FAKE "\nCOPY --from=0 /a /a\n"
	  "COPY --from=build /b /b\nCOPY --from=Build /c /c\nCOPY --from=nginx:1.27@" FAKE
	  " /d /d\n" },
	{ "copy from variable", "ARG IMG=busybox\nFROM alpine:3\nCOPY --from=$IMG /a /a\n", NULL,
	  "from alpine:3 pin-literal | copy-from $IMG skip",
	  "ARG IMG=busybox\nFROM alpine:3@" FAKE "\nCOPY --from=$IMG /a /a\n" },
	{ "add has no from", "FROM alpine:3\nADD --chown=1 a b\n", NULL, "from alpine:3 pin-literal",
	  "FROM alpine:3@" FAKE "\nADD --chown=1 a b\n" },
	{ "several mounts",
	  "FROM alpine:3 AS build\n"
	  "RUN --mount=type=bind,from=busybox:1,target=/a --mount=type=cache,target=/c,FROM=build "
	  "--mount=From=ghcr.io/x/y:2,type=bind true\n", NULL,
	  "from alpine:3 pin-literal | mount-from busybox:1 pin-literal | mount-from build skip | "
	  "mount-from ghcr.io/x/y:2 pin-literal",
	  "FROM alpine:3@" FAKE " AS build\n"
	  "RUN --mount=type=bind,from=busybox:1@" FAKE ",target=/a --mount=type=cache,target=/c,"
	  "FROM=build --mount=From=ghcr.io/x/y:2@" FAKE ",type=bind true\n" },
	{ "mount types and quoted fields",
	  "FROM alpine:3\nRUN --mount=type=secret,id=x,from=nope:1 --mount=\"type=cache,from=busybox:1\" "
	  "--mount=type=BIND,\"from=nginx:1\" --mount=type=tmpfs,from=x:1 true\n", NULL,
	  "from alpine:3 pin-literal | mount-from busybox:1 pin-literal | mount-from nginx:1 pin-literal",
	  "FROM alpine:3@" FAKE "\nRUN --mount=type=secret,id=x,from=nope:1 --mount=\"type=cache,from=busybox:1@"
	  FAKE "\" --mount=type=BIND,\"from=nginx:1@" FAKE "\" --mount=type=tmpfs,from=x:1 true\n" },
	{ "mount from stage arg",
	  "FROM alpine:3\nARG TOOLS=busybox:1.36\nRUN --mount=from=$TOOLS,target=/t true\n", NULL,
	  "from alpine:3 pin-literal | mount-from busybox:1.36 pin-arg",
	  "FROM alpine:3@" FAKE "\nARG TOOLS=busybox:1.36@" FAKE
	  "\nRUN --mount=from=$TOOLS,target=/t true\n" },
	{ "onbuild forms",
	  "FROM alpine:3\nONBUILD COPY --from=nginx:1 /a /a\n"
	  "onbuild run --mount=type=bind,from=busybox,target=/b true\n", NULL,
	  "from alpine:3 pin-literal | onbuild-copy-from nginx:1 pin-literal | "
	  "onbuild-mount-from busybox pin-literal",
	  "FROM alpine:3@" FAKE "\nONBUILD COPY --from=nginx:1@" FAKE " /a /a\n"
	  "onbuild run --mount=type=bind,from=busybox:latest@" FAKE ",target=/b true\n" },
	{ "syntax directive", "# syntax=docker/dockerfile:1\nFROM alpine:3\n", NULL,
	  "syntax docker/dockerfile:1 pin-literal | from alpine:3 pin-literal",
	  "# syntax=docker/dockerfile:1@" FAKE "\nFROM alpine:3@" FAKE "\n" },
	{ "syntax after escape with extra words",
	  "# escape=`\n#SYNTAX = docker/dockerfile:1.7 extra\nFROM alpine:3\n", NULL,
	  "syntax docker/dockerfile:1.7 pin-literal | from alpine:3 pin-literal",
	  "# escape=`\n#SYNTAX = docker/dockerfile:1.7@" FAKE " extra\nFROM alpine:3@" FAKE "\n" },
	{ "late syntax is a comment", "# Dockerfile\n# syntax=docker/dockerfile:1\nFROM alpine:3\n",
	  NULL, "from alpine:3 pin-literal",
	  "# Dockerfile\n# syntax=docker/dockerfile:1\nFROM alpine:3@" FAKE "\n" },
	{ "continuation swallows from",
	  "FROM alpine:3\nRUN make \\\n\n# comment \\\n   # indented\nFROM nginx:1.27\n", NULL,
	  "from alpine:3 pin-literal",
	  "FROM alpine:3@" FAKE "\nRUN make \\\n\n# comment \\\n   # indented\nFROM nginx:1.27\n" },
	{ "double escape ends the line", "FROM alpine:3\nRUN echo \\\\\nFROM nginx:1\n", NULL,
	  "from alpine:3 pin-literal | from nginx:1 pin-literal",
	  "FROM alpine:3@" FAKE "\nRUN echo \\\\\nFROM nginx:1@" FAKE "\n" },
	{ "backtick continuation",
	  "# escape=`\nFROM mcr.microsoft.com/windows:ltsc2022\nCOPY a C:\\ `\n  b\nFROM nginx:1\n", NULL,
	  "from mcr.microsoft.com/windows:ltsc2022 pin-literal | from nginx:1 pin-literal",
	  "# escape=`\nFROM mcr.microsoft.com/windows:ltsc2022@" FAKE
	  "\nCOPY a C:\\ `\n  b\nFROM nginx:1@" FAKE "\n" },
	{ "late escape keeps backslash",
	  "# Dockerfile for app\n# escape=`\nFROM alpine:3\nCOPY x C:\\\nFROM nginx:1\n", NULL,
	  "from alpine:3 pin-literal",
	  "# Dockerfile for app\n# escape=`\nFROM alpine:3@" FAKE "\nCOPY x C:\\\nFROM nginx:1\n" },
	{ "from split by continuation", "FROM \\\n  alpine:3 \\\n  AS base\n", NULL,
	  "from alpine:3 pin-literal", "FROM \\\n  alpine:3@" FAKE " \\\n  AS base\n" },
	{ "heredoc body is data",
	  "FROM alpine:3\nCOPY <<EOF /ctx/Dockerfile\nFROM python:3.12\n# syntax=x\nARG A=b\nEOF\n"
	  "RUN <<-EOT sh\n\tFROM nginx\n\tEOT\nFROM debian:12\n", NULL,
	  "from alpine:3 pin-literal | from debian:12 pin-literal",
	  "FROM alpine:3@" FAKE "\nCOPY <<EOF /ctx/Dockerfile\nFROM python:3.12\n# syntax=x\nARG A=b\n"
	  "EOF\nRUN <<-EOT sh\n\tFROM nginx\n\tEOT\nFROM debian:12@" FAKE "\n" },
	{ "two heredocs on a line",
	  "FROM alpine:3\nCOPY <<A <<\"B\" /d/\nFROM x\nA\nFROM y\nB\nFROM z:1\n", NULL,
	  "from alpine:3 pin-literal | from z:1 pin-literal",
	  "FROM alpine:3@" FAKE "\nCOPY <<A <<\"B\" /d/\nFROM x\nA\nFROM y\nB\nFROM z:1@" FAKE "\n" },
	{ "not heredocs",
	  "FROM alpine:3\nRUN echo \"<<EOF\" && cat<<EOF && cat <<<x && cat << EOF\nFROM nginx:1\n", NULL,
	  "from alpine:3 pin-literal | from nginx:1 pin-literal",
	  "FROM alpine:3@" FAKE "\nRUN echo \"<<EOF\" && cat<<EOF && cat <<<x && cat << EOF\n"
	  "FROM nginx:1@" FAKE "\n" },
	{ "onbuild heredoc", "FROM alpine:3\nONBUILD RUN <<EOF\nFROM nginx\nEOF\n", NULL,
	  "from alpine:3 pin-literal",
	  "FROM alpine:3@" FAKE "\nONBUILD RUN <<EOF\nFROM nginx\nEOF\n" },
	{ "json form run", "FROM alpine:3\nRUN [\"sh\", \"-c\", \"echo FROM x\"]\n", NULL,
	  "from alpine:3 pin-literal",
	  "FROM alpine:3@" FAKE "\nRUN [\"sh\", \"-c\", \"echo FROM x\"]\n" },

	/* ARGs. */
	{ "arg default is the image",
	  "ARG BASE=python:3.12\nFROM ${BASE} AS a\nFROM $BASE\n", NULL,
	  "from python:3.12 pin-arg | from python:3.12 pin-arg(dup)",
	  "ARG BASE=python:3.12@" FAKE "\nFROM ${BASE} AS a\nFROM $BASE\n" },
	{ "arg default without tag", "ARG BASE=python\nFROM $BASE\n", NULL, "from python pin-arg",
	  "ARG BASE=python:latest@" FAKE "\nFROM $BASE\n" },
	{ "double quoted default", "ARG BASE=\"python:3.12\"\nFROM ${BASE}\n", NULL,
	  "from python:3.12 pin-arg", "ARG BASE=\"python:3.12@" FAKE "\"\nFROM ${BASE}\n" },
	{ "single quoted default", "ARG BASE='python:3.12'\nFROM ${BASE}\n", NULL,
	  "from python:3.12 pin-arg", "ARG BASE='python:3.12@" FAKE "'\nFROM ${BASE}\n" },
	{ "several args on one line", "ARG A=1 BASE=alpine:3.20 C=2\nFROM $BASE\n", NULL,
	  "from alpine:3.20 pin-arg", "ARG A=1 BASE=alpine:3.20@" FAKE " C=2\nFROM $BASE\n" },
	{ "default references earlier arg",
	  "ARG REG=docker.io\nARG IMG=$REG/library/x:1\nFROM $IMG\n", NULL,
	  "from docker.io/library/x:1 pin-arg",
	  "ARG REG=docker.io\nARG IMG=$REG/library/x:1@" FAKE "\nFROM $IMG\n" },
	{ "default inside expression", "FROM ${BASE:-debian:12}\n", NULL,
	  "from debian:12 pin-expr", "FROM ${BASE:-debian:12@" FAKE "}\n" },
	{ "expression default with declared empty arg", "ARG BASE\nFROM ${BASE:-debian:12}\n", NULL,
	  "from debian:12 pin-expr", "ARG BASE\nFROM ${BASE:-debian:12@" FAKE "}\n" },
	{ "expression with arg value", "ARG BASE=alpine:3\nFROM ${BASE:-debian:12}\n", NULL,
	  "from alpine:3 pin-arg", "ARG BASE=alpine:3@" FAKE "\nFROM ${BASE:-debian:12}\n" },
	{ "pieces go after the expression", "ARG PY=3.12\nFROM python:${PY}-slim\n", NULL,
	  "from python:3.12-slim pin-after", "ARG PY=3.12\nFROM python:${PY}-slim@" FAKE "\n" },
	{ "piece at the end", "ARG PY=3.12\nFROM python:$PY\n", NULL, "from python:3.12 pin-after",
	  "ARG PY=3.12\nFROM python:$PY@" FAKE "\n" },
	{ "registry and tag pieces",
	  "ARG REG=docker.io\nARG TAG=1\nFROM ${REG}/library/x:${TAG}\n", NULL,
	  "from docker.io/library/x:1 pin-after",
	  "ARG REG=docker.io\nARG TAG=1\nFROM ${REG}/library/x:${TAG}@" FAKE "\n" },
	{ "shared arg", "ARG BASE=alpine:3\nFROM $BASE\nFROM ${BASE}-x\n", NULL,
	  "from alpine:3 pin-after | from alpine:3-x pin-after",
	  "ARG BASE=alpine:3\nFROM $BASE@" FAKE "\nFROM ${BASE}-x@" FAKE "\n" },
	{ "arg also in platform flag",
	  "ARG IMG=linux/amd64\nFROM --platform=$IMG $IMG\n", NULL, "from linux/amd64 pin-after",
	  "ARG IMG=linux/amd64\nFROM --platform=$IMG $IMG:latest@" FAKE "\n" },
	{ "arg without value", "ARG TAG\nFROM alpine:${TAG}\n", NULL, "from alpine: skip", NULL },
	{ "undeclared arg", "FROM alpine:${NOPE}\n", NULL, "from alpine: skip", NULL },
	{ "platform arg", "FROM img-${TARGETARCH}:1\n", NULL, "from img-:1 skip", NULL },
	{ "declared platform arg", "ARG TARGETARCH\nFROM img-${TARGETARCH}:1\n", NULL,
	  "from img-:1 skip", NULL },
	{ "platform arg given", "FROM img-${TARGETARCH}:1\n", args_arch, "from img-arm64:1 pin-after",
	  "FROM img-${TARGETARCH}:1@" FAKE "\n" },
	{ "required arg", "FROM ${BASE:?need}\n", NULL, "from  skip", NULL },
	{ "global arg invisible in stage", "ARG IMG=busybox:1\nFROM alpine:3\n"
	  "RUN --mount=from=$IMG,target=/x true\n", NULL,
	  "from alpine:3 pin-literal | mount-from  skip",
	  "ARG IMG=busybox:1\nFROM alpine:3@" FAKE "\nRUN --mount=from=$IMG,target=/x true\n" },
	{ "global arg redeclared in stage", "ARG IMG=busybox:1\nFROM alpine:3\nARG IMG\n"
	  "RUN --mount=from=$IMG,target=/x true\n", NULL,
	  "from alpine:3 pin-literal | mount-from busybox:1 pin-arg",
	  "ARG IMG=busybox:1@" FAKE "\nFROM alpine:3@" FAKE "\nARG IMG\n"
	  "RUN --mount=from=$IMG,target=/x true\n" },
	{ "stage inherits args from its base",
	  "FROM alpine:3 AS base\nARG TOOLS=busybox:1\nFROM base\n"
	  "RUN --mount=from=$TOOLS,target=/t true\nFROM alpine:3\n"
	  "RUN --mount=from=$TOOLS,target=/t true\n", NULL,
	  "from alpine:3 pin-literal | from base skip | mount-from busybox:1 pin-arg | "
	  "from alpine:3 pin-literal | mount-from  skip",
	  "FROM alpine:3@" FAKE " AS base\nARG TOOLS=busybox:1@" FAKE "\nFROM base\n"
	  "RUN --mount=from=$TOOLS,target=/t true\nFROM alpine:3@" FAKE "\n"
	  "RUN --mount=from=$TOOLS,target=/t true\n" },
	{ "env feeds a mount",
	  "FROM alpine:3\nENV TOOLS=busybox:1\nRUN --mount=from=${TOOLS},target=/t true\n", NULL,
	  "from alpine:3 pin-literal | mount-from busybox:1 pin-after",
	  "FROM alpine:3@" FAKE "\nENV TOOLS=busybox:1\nRUN --mount=from=${TOOLS}@" FAKE
	  ",target=/t true\n" },
	{ "build arg override", "ARG BASE=python:3.12\nFROM $BASE\n", args_py313,
	  "from python:3.13 pin-after", "ARG BASE=python:3.12\nFROM $BASE@" FAKE "\n" },
	{ "build arg same as default", "ARG BASE=python:3.12\nFROM $BASE\n", args_same,
	  "from python:3.12 pin-after", "ARG BASE=python:3.12\nFROM $BASE@" FAKE "\n" },
	{ "build arg fills missing", "ARG TAG\nFROM python:${TAG}\n", args_tag,
	  "from python:3.10 pin-after", "ARG TAG\nFROM python:${TAG}@" FAKE "\n" },
	{ "build arg over pinned default", "ARG BASE=python:3.12@sha256:" HEX_A "\nFROM $BASE\n", args_py313,
	  "from python:3.13 skip", NULL },
	{ "build arg with digest", "ARG BASE=alpine:3\nFROM $BASE\n", args_pinned,
	  "from alpine@sha256:" HEX_A " pinned", NULL },
	{ "substitution forms",
	  "ARG V=python:3.12-slim\nARG E=\nFROM ${V%-slim}\nFROM ${V#python:}x\n"
	  "FROM ${V/3.12/3.13}\nFROM ${E-alpine}:1\nFROM ${E:-alpine}:2\nFROM ${V:+busybox}\n"
	  "FROM ${V%%:*}\nFROM ${V##*-}y\n", NULL,
	  "from python:3.12 pin-after | from 3.12-slimx pin-after | from python:3.13-slim pin-after | "
	  "from :1 skip | from alpine:2 pin-after | from busybox pin-expr | from python pin-after | "
	  "from slimy pin-after",
	  "ARG V=python:3.12-slim\nARG E=\nFROM ${V%-slim}@" FAKE "\nFROM ${V#python:}x:latest@" FAKE
	  "\nFROM ${V/3.12/3.13}@" FAKE "\nFROM ${E-alpine}:1\nFROM ${E:-alpine}:2@" FAKE
	  "\nFROM ${V:+busybox:latest@" FAKE "}\nFROM ${V%%:*}:latest@" FAKE
	  "\nFROM ${V##*-}y:latest@" FAKE "\n" },

	/* Digests already in place. */
	{ "tag and digest",
	  "FROM nginx:1.27@sha256:" HEX_B "\nFROM nginx@sha256:" HEX_A " AS b\n", NULL,
	  "from nginx:1.27@sha256:" HEX_B " pinned | from nginx@sha256:" HEX_A " pinned",
	  "FROM nginx:1.27@" FAKE "\nFROM nginx@" FAKE " AS b\n" },
	{ "pinned arg default", "ARG BASE=\"alpine:3@sha256:" HEX_B "\"\nFROM $BASE\n", NULL,
	  "from alpine:3@sha256:" HEX_B " pinned", "ARG BASE=\"alpine:3@" FAKE "\"\nFROM $BASE\n" },
	{ "pinned syntax", "# syntax=docker/dockerfile:1@sha256:" HEX_A "\nFROM scratch\n", NULL,
	  "syntax docker/dockerfile:1@sha256:" HEX_A " pinned | from scratch skip",
	  "# syntax=docker/dockerfile:1@" FAKE "\nFROM scratch\n" },

	/* Line endings and byte order marks. */
	{ "crlf", "ARG BASE=python:3.12\r\nFROM $BASE\r\nFROM node\r\nRUN a \\\r\n  b\r\n", NULL,
	  "from python:3.12 pin-arg | from node pin-literal",
	  "ARG BASE=python:3.12@" FAKE "\r\nFROM $BASE\r\nFROM node:latest@" FAKE
	  "\r\nRUN a \\\r\n  b\r\n" },
	{ "bom", "\xef\xbb\xbf# syntax=docker/dockerfile:1\r\nFROM alpine:3\r\n", NULL,
	  "syntax docker/dockerfile:1 pin-literal | from alpine:3 pin-literal",
	  "\xef\xbb\xbf# syntax=docker/dockerfile:1@" FAKE "\r\nFROM alpine:3@" FAKE "\r\n" },
};

static void test_pin_cases(void)
{
	for (size_t i = 0; i < sizeof(pin_cases) / sizeof(pin_cases[0]); i++) {
		const struct pin_case *c = &pin_cases[i];
		struct guard_dockerfile *df = NULL;
		struct guard_error err = GUARD_ERROR_INIT;
		char *plan, *out;

		if (parse(c->input, c->args ? c->args : no_args, &df, &err) < 0) {
			TAP_OK(0, "%s: parses (%s)", c->name, err.message);
			continue;
		}
		plan = plan_summary(df);
		TAP_IS_STR(plan, c->plan, "%s: plan", c->name);
		out = apply_fake(df);
		TAP_IS_STR(out, c->output ? c->output : c->input, "%s: pinned text", c->name);
		check_repin(df, c->args ? c->args : no_args, c->name);
		free(plan);
		free(out);
		guard_dockerfile_free(df);
	}
}

struct error_case {
	const char *name;
	const char *input;
	enum guard_error_code code;
	const char *message;
};

static const struct error_case error_cases[] = {
	{ "comment after from", "FROM alpine # base\n", GUARD_ERR_PARSE,
	  "Dockerfile:1: FROM requires either one or three arguments" },
	{ "from with two words", "FROM alpine:3\nFROM alpine base\n", GUARD_ERR_PARSE,
	  "Dockerfile:2: FROM requires either one or three arguments" },
	{ "from with four words", "FROM a AS b c\n", GUARD_ERR_PARSE,
	  "Dockerfile:1: FROM requires either one or three arguments" },
	{ "from without image", "FROM\n", GUARD_ERR_PARSE,
	  "Dockerfile:1: FROM requires either one or three arguments" },
	{ "platform without equals", "FROM --platform linux/amd64 alpine\n", GUARD_ERR_PARSE,
	  "Dockerfile:1: FROM: missing a value on flag '--platform'" },
	{ "unknown from flag", "FROM --pull=always alpine\n", GUARD_ERR_PARSE,
	  "Dockerfile:1: FROM: unknown flag '--pull=always'" },
	{ "copy from without equals", "FROM alpine\nCOPY --from build /a /a\n", GUARD_ERR_PARSE,
	  "Dockerfile:2: COPY: missing a value on flag '--from'" },
	{ "onbuild mount without equals", "FROM alpine\nONBUILD RUN --mount true\n", GUARD_ERR_PARSE,
	  "Dockerfile:2: RUN: missing a value on flag '--mount'" },
	{ "unknown instruction", "FROM alpine:3\nFORM x\n", GUARD_ERR_PARSE,
	  "Dockerfile:2: unknown instruction: FORM" },
	{ "unterminated heredoc", "FROM alpine:3\nRUN <<EOF\necho\nEOF \n", GUARD_ERR_PARSE,
	  "Dockerfile:2: unterminated heredoc 'EOF'" },
	{ "space indented terminator", "FROM alpine:3\nRUN <<-EOF\necho\n  EOF\n", GUARD_ERR_PARSE,
	  "Dockerfile:2: unterminated heredoc 'EOF'" },
	{ "repeated directive", "# escape=`\n# ESCAPE=\\\nFROM alpine\n", GUARD_ERR_PARSE,
	  "Dockerfile:2: only one escape parser directive can be used" },
	{ "repeated syntax", "# syntax=a\n#syntax=b\nFROM alpine\n", GUARD_ERR_PARSE,
	  "Dockerfile:2: only one syntax parser directive can be used" },
	{ "bad escape", "# escape=x\nFROM alpine\n", GUARD_ERR_PARSE,
	  "Dockerfile:1: invalid escape token 'x' does not match ` or \\" },
	{ "empty file", "\n# only a comment\n", GUARD_ERR_PARSE,
	  "Dockerfile: file with no instructions" },
	{ "bad stage name", "FROM alpine AS 1st\n", GUARD_ERR_PARSE,
	  "Dockerfile:1: invalid name for build stage: '1st', name can't start with a number or "
	  "contain symbols" },
	{ "onbuild from", "FROM alpine\nONBUILD FROM x\n", GUARD_ERR_PARSE,
	  "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger" },
	{ "env without value", "FROM alpine\nENV KEY\n", GUARD_ERR_PARSE,
	  "Dockerfile:2: ENV must have two arguments" },
	{ "json that is not strings", "FROM alpine\nCMD [1, 2]\n", GUARD_ERR_PARSE,
	  "Dockerfile:2: CMD: JSON form must be an array of strings" },
	{ "escaped dollar stays literal", "FROM alpine:3\\$x\n", GUARD_ERR_PARSE,
	  "Dockerfile:1: invalid image reference 'alpine:3$x'" },
	{ "uppercase repository", "FROM alpine/X:3\n", GUARD_ERR_PARSE,
	  "Dockerfile:1: invalid image reference 'alpine/X:3'" },
	{ "invalid reference", "FROM alpine:3 AS a\nCOPY --from=bad:tag:x / /\n", GUARD_ERR_PARSE,
	  "Dockerfile:2: invalid image reference 'bad:tag:x'" },
	{ "short digest", "FROM alpine@sha256:abc\n", GUARD_ERR_PARSE,
	  "Dockerfile:1: invalid image reference 'alpine@sha256:abc'" },
};

static void test_error_cases(void)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		struct guard_dockerfile *df = NULL;
		struct guard_error err = GUARD_ERROR_INIT;
		int rc = parse(c->input, no_args, &df, &err);

		TAP_IS_INT(rc, -1, "%s: rejected", c->name);
		TAP_IS_INT(err.code, c->code, "%s: error class", c->name);
		TAP_OK(strncmp(err.message, c->message, strlen(c->message)) == 0, "%s: message '%s'",
		       c->name, err.message);
		if (rc == 0)
			guard_dockerfile_free(df);
	}
}

static struct guard_dockerfile *must_parse(const char *text, const char *const *args)
{
	struct guard_dockerfile *df = NULL;
	struct guard_error err = GUARD_ERROR_INIT;

	if (parse(text, args ? args : no_args, &df, &err) < 0) {
		printf("# parse failed: %s\n", err.message);
		return NULL;
	}
	return df;
}

static void test_positions(void)
{
	const char *text = "\xef\xbb\xbf" "ARG BASE=python:3.12\r\n\r\nFROM  $BASE AS a\r\n"
			   "COPY --from=nginx:1 /a /b\r\n";
	struct guard_dockerfile *df = must_parse(text, NULL);
	const struct guard_dockerfile_image *img;

	if (!df) {
		TAP_OK(0, "positions: parses");
		return;
	}
	TAP_OK(df->bom, "bom detected");
	TAP_OK(df->crlf, "crlf detected");
	TAP_IS_INT(df->image_count, 2, "two images");
	img = &df->images[0];
	TAP_IS_INT(img->line, 3, "from line");
	TAP_IS_INT(img->column, 7, "from column");
	TAP_IS_STR(img->written, "$BASE", "from written");
	TAP_IS_INT(img->start, strstr(text, "$BASE") - text, "from start offset");
	TAP_IS_INT(img->end, strstr(text, " AS a") - text, "from end offset");
	TAP_IS_INT(img->insert_at, strstr(text, "\r\n") - text, "digest goes at the default's end");
	TAP_IS_INT(img->insert_line, 1, "insert line is the ARG line");
	img = &df->images[1];
	TAP_IS_INT(img->line, 4, "copy-from line");
	TAP_IS_INT(img->column, 13, "copy-from column");
	TAP_IS_INT(img->insert_at, strstr(text, " /a /b") - text, "copy-from insertion offset");
	TAP_IS_INT(df->instructions[1].line, 3, "instruction line after blank line");
	guard_dockerfile_free(df);

	df = must_parse("FROM alpine\n\\\nRUN a \\\n  b\n", NULL);
	if (df) {
		TAP_IS_INT(df->instructions[1].line, 3, "line of the keyword below a lone escape");
		TAP_IS_INT(df->instructions[1].end_line, 4, "last line of the continued RUN");
		TAP_IS_STR(df->instructions[1].text, "RUN a   b", "continued RUN text");
		guard_dockerfile_free(df);
	}
}

static void test_reasons(void)
{
	struct {
		const char *input;
		const char *reason;
		const char *const *args;
	} cases[] = {
		{ "ARG TAG\nFROM alpine:${TAG}\n", "depends on ARG 'TAG', which has no value" },
		{ "FROM img-${TARGETARCH}\n", "depends on platform ARG 'TARGETARCH', known only at build time" },
		{ "FROM --platform=$BUILDPLATFORM x-$BUILDARCH:1\n",
		  "depends on platform ARG 'BUILDARCH', known only at build time" },
		{ "FROM scratch\n", "scratch is the empty image" },
		{ "FROM alpine\nARG TAG=1\nFROM alpine:${TAG}\n",
		  "depends on 'TAG', which is not an ARG declared before the first FROM" },
		{ "FROM alpine\nRUN --mount=from=$IMG true\n",
		  "depends on 'IMG', which is not an ARG or ENV of this stage" },
		{ "FROM alpine\nCOPY --from=${IMG} / /\n",
		  "variable expansion is not supported for --from" },
		{ "FROM alpine\nCOPY --from=3 / /\n", "stage number 3" },
		{ "ARG BASE=python:3.12@sha256:" HEX_A "\nFROM $BASE\n",
		  "ARG 'BASE' has a digest in its default; pin the --build-arg value where it is set",
		  args_py313 },
		{ "FROM alpine AS base\nFROM base\n", "stage 'base' defined earlier" },
		{ "FROM ${B:?need}\n", "ARG 'B' has no value and the reference requires one" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct guard_dockerfile *df = must_parse(cases[i].input, cases[i].args);
		const struct guard_dockerfile_image *img;

		if (!df) {
			TAP_OK(0, "reason %zu: parses", i);
			continue;
		}
		img = &df->images[df->image_count - 1];
		TAP_IS_INT(img->action, GUARD_DOCKERFILE_SKIP, "reason %zu: skipped", i);
		TAP_IS_STR(img->reason, cases[i].reason, "reason %zu: text", i);
		guard_dockerfile_free(df);
	}
}

static void test_warnings(void)
{
	struct guard_dockerfile *df = must_parse("ARG PY=3.12\nFROM python:${PY}\n", NULL);

	if (df) {
		TAP_IS_STR(df->images[0].warning, "the reference is built from 'PY', so changing its value needs a new pin",
			   "pieces warn about the ARG");
		guard_dockerfile_free(df);
	}
	df = must_parse("ARG BASE=python:3.12\nFROM $BASE\n", args_py313);
	if (df) {
		TAP_IS_STR(df->images[0].warning,
			   "the digest was resolved with the --build-arg value of ARG 'BASE' and "
			   "decides the image, so a build with another value of 'BASE' still gets "
			   "this image",
			   "override warns");
		guard_dockerfile_free(df);
	}
	df = must_parse("ARG BASE=python:3.12\nFROM $BASE\n", NULL);
	if (df) {
		TAP_OK(df->images[0].warning == NULL, "arg default site has no warning");
		guard_dockerfile_free(df);
	}
}

static void test_pairs(void)
{
	const char *text = "FROM alpine\nENV A=1 B=\"two words\" C='x y'\nENV LEGACY some value here\n"
			   "ARG TOKEN\nARG K=v\nLABEL x=y\n";
	struct guard_dockerfile *df = must_parse(text, NULL);
	const struct guard_dockerfile_instruction *in;

	if (!df) {
		TAP_OK(0, "pairs: parses");
		return;
	}
	in = &df->instructions[1];
	TAP_IS_STR(in->keyword, "ENV", "env keyword");
	TAP_IS_INT(in->pair_count, 3, "three env pairs");
	TAP_IS_STR(in->pairs[1].name, "B", "pair name");
	TAP_IS_STR(in->pairs[1].value, "two words", "quotes removed from value");
	TAP_OK(in->pairs[1].quoted, "value marked quoted");
	TAP_IS_INT(in->pairs[1].value_start, strstr(text, "\"two") - text, "value start offset");
	TAP_IS_INT(in->pairs[1].value_end, strstr(text, " C=") - text, "value end offset");
	TAP_IS_STR(in->pairs[2].value, "x y", "single quotes removed");
	TAP_OK(!in->pairs[0].quoted, "plain value not quoted");
	in = &df->instructions[2];
	TAP_IS_INT(in->pair_count, 1, "legacy env is one pair");
	TAP_IS_STR(in->pairs[0].name, "LEGACY", "legacy name");
	TAP_IS_STR(in->pairs[0].value, "some value here", "legacy value");
	TAP_IS_INT(in->pairs[0].value_start, strstr(text, "some") - text, "legacy value offset");
	in = &df->instructions[3];
	TAP_OK(in->pairs[0].value == NULL, "arg without value has NULL value");
	TAP_IS_INT(in->stage, 0, "arg in stage 0");
	TAP_IS_STR(df->instructions[5].pairs[0].value, "y", "label value");
	guard_dockerfile_free(df);
}

static void test_copy_words_and_heredocs(void)
{
	const char *text = "FROM alpine\nCOPY --chown=1:1 --from=b src/ \"dst dir/\"\n"
			   "COPY <<EOF 2<<-'TWO' /x/\nhello $X\nEOF\n\tbody\n\tTWO\nRUN [\"a\", \"b\\\"c\"]\n";
	struct guard_dockerfile *df = must_parse("FROM alpine AS b\nFROM alpine\n", NULL);
	const struct guard_dockerfile_instruction *in;
	const struct guard_dockerfile_heredoc *h;

	guard_dockerfile_free(df);
	df = must_parse(text, NULL);
	if (!df) {
		TAP_OK(0, "copy: parses");
		return;
	}
	in = &df->instructions[1];
	TAP_IS_INT(in->flag_count, 2, "copy flags");
	TAP_IS_STR(in->flags[0].raw, "--chown=1:1", "first flag");
	TAP_IS_INT(in->arg_count, 3, "copy words split on blanks");
	TAP_IS_STR(in->args[0].raw, "src/", "copy source");
	in = &df->instructions[2];
	TAP_IS_INT(in->heredoc_count, 2, "two heredocs");
	h = &in->heredocs[0];
	TAP_IS_STR(h->delimiter, "EOF", "first delimiter");
	TAP_OK(h->expand, "unquoted delimiter expands");
	TAP_IS_INT(h->body_start, strstr(text, "hello") - text, "first body start");
	TAP_IS_INT(h->body_end, strstr(text, "EOF\n\t") - text, "first body end");
	TAP_IS_INT(h->body_line, 4, "first body line");
	h = &in->heredocs[1];
	TAP_IS_STR(h->delimiter, "TWO", "quoted delimiter");
	TAP_IS_INT(h->fd, 2, "fd number");
	TAP_OK(h->strip_tabs, "dash strips tabs");
	TAP_OK(!h->expand, "quoted delimiter does not expand");
	TAP_IS_INT(h->body_start, strstr(text, "\tbody") - text, "second body start");
	TAP_IS_INT(in->end_line, 7, "instruction ends at the last terminator");
	in = &df->instructions[3];
	TAP_OK(in->json, "json form detected");
	TAP_IS_INT(in->arg_count, 2, "json elements");
	TAP_IS_STR(in->args[1].value, "b\"c", "json string decoded");
	guard_dockerfile_free(df);
}

static void test_limits(void)
{
	struct guard_dockerfile *df = NULL;
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_dockerfile_options opts = { NULL, 0, 16 };
	size_t n = GUARD_DOCKERFILE_MAX_LINE + 10;
	char *big = malloc(n + 1);

	memset(big, 'a', n);
	memcpy(big, "RUN ", 4);
	big[n] = '\0';
	TAP_IS_INT(guard_dockerfile_parse(&df, "Dockerfile", big, n, NULL, &err), -1,
		   "long line rejected");
	TAP_IS_INT(err.code, GUARD_ERR_LIMIT, "long line is a limit error");
	TAP_OK(strstr(err.message, "65536") != NULL, "cap named: %s", err.message);
	free(big);
	guard_error_clear(&err);
	TAP_IS_INT(guard_dockerfile_parse(&df, "Dockerfile", "FROM alpine:3.20\n", 17, &opts, &err),
		   -1, "file over the cap rejected");
	TAP_IS_INT(err.code, GUARD_ERR_LIMIT, "file cap is a limit error");
	TAP_OK(strstr(err.message, "16 byte") != NULL, "file cap named: %s", err.message);
}

static void test_directives(void)
{
	struct guard_dockerfile *df = must_parse("#check=skip=all\n# escape=`\n\nFROM alpine\n", NULL);

	if (!df) {
		TAP_OK(0, "directives: parses");
		return;
	}
	TAP_IS_INT(df->escape, '`', "backtick escape");
	TAP_IS_STR(df->check, "skip=all", "check directive");
	TAP_OK(df->syntax == NULL, "no syntax");
	guard_dockerfile_free(df);
	df = must_parse("# unknown=1\n# escape=`\nFROM alpine\n", NULL);
	if (df) {
		TAP_IS_INT(df->escape, '\\', "unknown directive ends the directives");
		TAP_IS_INT(df->warning_count, 1, "late directive warned");
		TAP_IS_STR(df->warnings[0],
			   "Dockerfile:2: '# escape=' is not at the top of the file, so it is a comment; "
			   "move it above every other line to make it a parser directive",
			   "late directive warning text");
		guard_dockerfile_free(df);
	}
	df = must_parse("# syntax=docker/dockerfile:1\nFROM alpine\n# a comment\n", NULL);
	if (df) {
		TAP_IS_INT(df->warning_count, 0, "directive at the top not warned");
		guard_dockerfile_free(df);
	}
}

static void test_apply_overlap(void)
{
	struct guard_dockerfile *df = must_parse("FROM alpine:3\nFROM nginx:1\n", NULL);
	const char *digests[] = { FAKE, FAKE };
	struct guard_error err = GUARD_ERROR_INIT;
	char *out = NULL;
	size_t len;

	if (!df) {
		TAP_OK(0, "overlap: parses");
		return;
	}
	df->images[1].insert_at = df->images[0].insert_at;
	TAP_IS_INT(guard_dockerfile_apply(df, digests, &out, &len, &err), -1,
		   "two edits at one offset rejected");
	TAP_IS_INT(err.code, GUARD_ERR_INTERNAL, "overlap is an internal error");
	df->images[1].action = GUARD_DOCKERFILE_PINNED;
	df->images[1].digest_start = df->images[0].insert_at - 2;
	df->images[1].digest_end = df->images[0].insert_at + 1;
	TAP_IS_INT(guard_dockerfile_apply(df, digests, &out, &len, &err), -1,
		   "insertion inside a replaced range rejected");
	digests[1] = NULL;
	TAP_IS_INT(guard_dockerfile_apply(df, digests, &out, &len, &err), 0,
		   "a NULL digest leaves the image alone");
	TAP_IS_STR(out, "FROM alpine:3@" FAKE "\nFROM nginx:1\n", "only the first image pinned");
	free(out);
	guard_dockerfile_free(df);
}

static void test_load(void)
{
	char path[] = "/tmp/guard-dockerfile-XXXXXX";
	int fd = mkstemp(path);
	struct guard_dockerfile *df = NULL;
	struct guard_error err = GUARD_ERROR_INIT;

	TAP_OK(fd >= 0, "temporary file created");
	if (fd < 0)
		return;
	TAP_IS_INT(write(fd, "FROM alpine:3\n", 14), 14, "temporary file written");
	close(fd);
	TAP_IS_INT(guard_dockerfile_load(&df, path, NULL, &err), 0, "load reads the file");
	if (df) {
		TAP_IS_STR(df->path, path, "path kept for messages");
		TAP_IS_INT(df->image_count, 1, "loaded file has one image");
		guard_dockerfile_free(df);
	}
	unlink(path);
	TAP_IS_INT(guard_dockerfile_load(&df, path, NULL, &err), -1, "missing file rejected");
	TAP_OK(err.code != GUARD_OK, "missing file sets an error");
}

static void test_glob(void)
{
	TAP_OK(df_glob_match("*", "", 0, '\\'), "star matches empty");
	TAP_OK(df_glob_match("a*c", "abbbc", 5, '\\'), "star in the middle");
	TAP_OK(!df_glob_match("a*c", "abbbd", 5, '\\'), "star needs the suffix");
	TAP_OK(df_glob_match("a?c", "abc", 3, '\\'), "question mark matches one byte");
	TAP_OK(!df_glob_match("a?c", "ac", 2, '\\'), "question mark needs a byte");
	TAP_OK(df_glob_match("\\*x", "*x", 2, '\\'), "escaped star is literal");
	TAP_OK(!df_glob_match("\\*x", "ax", 2, '\\'), "escaped star matches only a star");
	TAP_OK(df_glob_match("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", 31, '\\'),
	       "many stars match");
	TAP_OK(!df_glob_match("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 31, '\\'),
	       "many stars fail fast");
}

int main(void)
{
	test_glob();
	test_apply_overlap();
	test_load();
	test_pin_cases();
	test_error_cases();
	test_positions();
	test_reasons();
	test_warnings();
	test_pairs();
	test_copy_words_and_heredocs();
	test_limits();
	test_directives();
	return tap_done();
}
