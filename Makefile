# guard: build, test and install.
#
#   make deps        install the Debian packages the build and the tests need
#   make             build build/guard
#   make check       install missing packages, build, run every test under
#                    prove, then run them again against an ASan + UBSan build
#   make test        only the tests of the normal build
#   make check-asan  only the tests of the sanitizer build
#   make install     install guard and its man page (PREFIX, DESTDIR)
#   make demo        run guard's main jobs on a built-in example

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DESTDIR  ?=

CC       ?= cc
PKGS     := libcurl jansson libcrypto libgit2 libarchive libhs libpcre2-8 yaml-0.1 zlib libdeflate
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-missing-field-initializers \
            -Wvla -Wstrict-prototypes -Wmissing-prototypes
ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE -DGUARD_VERSION='"$(VERSION)"' $(WARN) $(CFLAGS) \
              $(shell pkg-config --cflags $(PKGS)) -Iguard
LIBS     = $(shell pkg-config --libs $(PKGS)) -lpthread -lm

BUILD    ?= build
# V=1 prints the full compiler command lines.
Q        := $(if $(V),,@)
SRCS     := $(sort $(wildcard guard/*.c))
LIB_SRCS := $(filter-out guard/main.c,$(SRCS))
OBJS     := $(SRCS:guard/%.c=$(BUILD)/%.o)
LIB_OBJS := $(LIB_SRCS:guard/%.c=$(BUILD)/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# Test programs that shell tests drive (not run on their own).
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tools/%)

# Debian 12 package names; keep in step with .ci/run and README.md.
DEB_BUILD := build-essential pkg-config clang libclang-rt-14-dev \
             libcurl4-openssl-dev libjansson-dev libssl-dev libgit2-dev \
             libarchive-dev libvectorscan-dev libpcre2-dev libyaml-dev zlib1g-dev \
             libdeflate-dev
DEB_TEST  := perl git jq curl openssl python3 docker-registry apache2-utils \
             skopeo umoci busybox-static buildah ripgrep hyperfine zstd pre-commit
DEB_ALL   := $(DEB_BUILD) $(DEB_TEST)

.PHONY: all deps check test check-asan unit clean install demo bench lint-banned

all: $(BUILD)/guard

$(BUILD)/guard: $(OBJS)
	@echo "  LD    $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LIBS)

# guard/ is a prerequisite so that removing a source also rebuilds the archive.
$(BUILD)/libguard.a: $(LIB_OBJS) guard
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

$(BUILD)/%.o: guard/%.c $(wildcard guard/*.h) | $(BUILD)
	@echo "  CC    $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/tap.h $(BUILD)/libguard.a
	@mkdir -p $(BUILD)/tests
	@echo "  CC    $<"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(BUILD)/libguard.a $(LIBS)

$(BUILD)/tools/%: tests/tools/%.c tests/tap.h $(BUILD)/libguard.a
	@mkdir -p $(BUILD)/tools
	@echo "  CC    $<"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(BUILD)/libguard.a $(LIBS)

$(BUILD):
	mkdir -p $(BUILD)

unit: $(UNIT_BINS) $(TOOL_BINS)

# Tests find the binary under test through GUARD, the unit test binaries
# through GUARD_UNIT_DIR and the test programs through GUARD_TOOLS_DIR.
check: deps
	$(MAKE) test
	$(MAKE) check-asan

test: $(BUILD)/guard unit lint-banned
	GUARD=$(CURDIR)/$(BUILD)/guard GUARD_UNIT_DIR=$(CURDIR)/$(BUILD)/tests \
	GUARD_TOOLS_DIR=$(CURDIR)/$(BUILD)/tools prove -j2 --timer tests/

check-asan:
	$(MAKE) BUILD=build-asan CC=clang \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	    LDFLAGS="-fsanitize=address,undefined" build-asan/guard unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	GUARD=$(CURDIR)/build-asan/guard GUARD_UNIT_DIR=$(CURDIR)/build-asan/tests \
	GUARD_TOOLS_DIR=$(CURDIR)/build-asan/tools prove -j2 --timer tests/

# Risky libc calls are not used anywhere in guard's sources.
lint-banned:
	@! grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|gets|system)[[:space:]]*\(' guard/*.c guard/*.h \
	    || { echo "banned libc call above (see README, Conventions)"; exit 1; }

# Installs only what is missing, so a second run changes nothing. Without
# root it prints the command to run instead.
deps:
	@missing=$$(for p in $(DEB_ALL); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "make deps: all packages are installed"; \
	elif [ "$$(id -u)" -ne 0 ]; then \
	    echo "make deps: missing packages; as root, run:"; \
	    echo "  apt-get update && apt-get install -y --no-install-recommends" $$missing; \
	    exit 1; \
	else \
	    echo "make deps: installing" $$missing; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

demo: deps $(BUILD)/guard
	GUARD=$(CURDIR)/$(BUILD)/guard bash demo/run.sh

install: $(BUILD)/guard
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BUILD)/guard $(DESTDIR)$(BINDIR)/guard
	install -m 0644 doc/guard.1 $(DESTDIR)$(MANDIR)/man1/guard.1

clean:
	rm -rf build build-asan
