# SPDX-License-Identifier: GPL-2.0-or-later
# ward: build, test, demo.  `make demo` and `make check` are the two commands
# a newcomer runs on a fresh Debian 12 machine as root.

VERSION := 0.1.0
PREFIX ?= /usr/local
BUILD ?= build
CC ?= cc
CFLAGS ?= -O2 -g
SAN_FLAGS ?=
# Smaller binary (issue 15: no bigger than crun's): unused functions and
# C's unwind tables (nothing here unwinds; sanitizer builds keep them for
# their reports) are left out of the link.
LEAN_CFLAGS := $(if $(SAN_FLAGS),,-ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -fno-unwind-tables)
LEAN_LDFLAGS := $(if $(SAN_FLAGS),,-Wl,--gc-sections)

# Debian packages the build and the tests need (deps installs the missing).
DEB_DEPS := gcc make pkg-config libyajl-dev libseccomp-dev libcap-dev \
	libmount-dev criu libprotobuf-c-dev libnftables-dev libmnl-dev busybox-static \
	python3-pytest uidmap iproute2 nftables
# make check also drives ward with the real clients.
TEST_DEPS := podman containerd containernetworking-plugins
# make bench compares against these (and times with GNU time).
BENCH_DEPS := runc crun time
PKGS := yajl libseccomp libcap mount criu

# runtime/ is the core (create, start, exec, delete and the single-file parts);
# each subsystem has its folder; runtime/cli/ is the command line.
RUNTIME_DIRS := runtime runtime/cgroup runtime/idmap runtime/seccomp runtime/check runtime/criu runtime/cli

WARD_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-DWARD_VERSION=\"$(VERSION)\" -Ispec $(RUNTIME_DIRS:%=-I%) -Ibuild/gen \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(SAN_FLAGS) $(LEAN_CFLAGS)
WARD_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Loaded on first use (runtime/lazylib.h): linked --as-needed, so only a
# function the wrappers miss makes the linker record the library, and the
# link step fails if one does.
# yajl and libcap, which every call needs, are linked from the archives
# Debian's -dev packages ship: ld.so then maps only libc, ~0.25 ms less for
# each of the two executions a `run` makes.  (A yajl or libcap security
# update therefore needs a rebuild of ward.)
STATIC_LIBS := -l:libyajl_s.a -l:libcap.a
LAZY_LIBS := mount criu seccomp
empty :=
space := $(empty) $(empty)
WARD_LIBS := $(filter-out -lyajl -lcap $(LAZY_LIBS:%=-l%),$(WARD_LIBS)) \
	$(STATIC_LIBS) -Wl,--as-needed $(LAZY_LIBS:%=-l%) -Wl,--no-as-needed

SPEC_SRCS := $(sort $(wildcard spec/*.c))
RUNTIME_SRCS := $(filter-out runtime/cli/main.c,$(sort $(wildcard $(RUNTIME_DIRS:%=%/*.c))))
SPEC_OBJS := $(SPEC_SRCS:%.c=$(BUILD)/%.o)
RUNTIME_OBJS := $(RUNTIME_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
HEADERS := $(wildcard spec/*.h $(RUNTIME_DIRS:%=%/*.h))

include hooks/ward-net.mk

.PHONY: all deps check unit integration demo asan install uninstall clean bench stress criu-private

all: $(BUILD)/ward ward $(ALL_EXTRA)

ward: $(BUILD)/ward
	@if [ "$(BUILD)" = build ]; then cp -f $< $@; fi

# libmount's option tables, as C (runtime/gen/mount_optmap.c): one file for
# every build flavour, made before anything compiles.
GEN := build/gen
$(GEN)/mount_optmap.h: runtime/gen/mount_optmap.c
	@mkdir -p $(GEN)
	@echo "  GEN     $@"
	@$(CC) $(shell pkg-config --cflags mount) -o $(GEN)/mount_optmap $< -lmount
	@$(GEN)/mount_optmap >$@.tmp && mv -f $@.tmp $@

$(BUILD)/%.o: %.c $(HEADERS) $(GEN)/mount_optmap.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(WARD_CFLAGS) -c -o $@ $<

$(BUILD)/libspec.a: $(SPEC_OBJS)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/libward.a: $(RUNTIME_OBJS)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/ward: $(BUILD)/runtime/cli/main.o $(BUILD)/libward.a $(BUILD)/libspec.a
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(SAN_FLAGS) $(LEAN_LDFLAGS) -o $@.tmp $^ $(WARD_LIBS)
	@if readelf -d $@.tmp | grep -E 'NEEDED.*lib($(subst $(space),|,$(LAZY_LIBS) yajl cap))\.so'; then \
		echo "$@: links a library it should load lazily (wrap the function in its *_lazy.c) or statically"; \
		rm -f $@.tmp; exit 1; fi
	@mv -f $@.tmp $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libward.a $(BUILD)/libspec.a
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(WARD_CFLAGS) -o $@ $^ $(WARD_LIBS)

# Install only what is missing, so a machine that has everything needs no
# network and no apt lock.
deps:
	@missing=""; for p in $(DEB_DEPS) $(EXTRA_DEPS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# Each run gets a base temp dir of its own: pytest resets the shared
# /tmp/pytest-of-root to 0700, which would cut the idmap tests' bundles off
# from their containers' unprivileged root in a run going on at once.
# --one-file-system: a mount a failed test left must not take host files
# with it.
# A killed run (rc >= 128) keeps its temp dir: the state in it explains
# what it left; the next session's leak guard (tests/leak_guard.py)
# removes the containers, cgroups and netns it recorded.
PYTEST_RUN = t=$$(mktemp -d /tmp/ward-pytest.XXXXXX); \
	WARD_BIN=$(1) pytest-3 -v -rs -p no:cacheprovider --basetemp=$$t $(2); rc=$$?; \
	if [ $$rc -lt 128 ]; then rm -rf --one-file-system $$t; \
	else echo "pytest killed (exit $$rc): its files stay in $$t"; fi; exit $$rc

integration: all
	$(call PYTEST_RUN,$(abspath $(BUILD)/ward),tests/)

# CRIU 4.1 from Debian trixie, unpacked under build/criu for the checkpoint
# tests (Debian 12's 3.17 cannot dump on this kernel); never installed.
# Failing to fetch it is not fatal: those tests then skip and say why.
criu-private:
	@sh tests/criu/fetch.sh $(abspath build/criu) >/dev/null || true

check:
	$(MAKE) deps EXTRA_DEPS="$(TEST_DEPS)"
	$(MAKE) all
	$(MAKE) criu-private
	$(MAKE) unit
	$(MAKE) integration
	$(MAKE) fuzz-smoke

# The long crash-consistency sweep: ward killed every few hundred
# microseconds across create, run, run -d and delete (make check runs a
# bounded one).
stress: all
	WARD_STRESS=1 WARD_BIN=$(abspath $(BUILD)/ward) pytest-3 -v -rs tests/test_crash.py

asan: deps
	$(MAKE) BUILD=build-asan SAN_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer" \
		CFLAGS="-O1 -g" build-asan/ward unit-asan
	export ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1; \
		$(call PYTEST_RUN,$(abspath build-asan/ward),tests/)

unit-asan: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

demo: deps
	$(MAKE) all
	@sh tests/demo.sh

bench:
	$(MAKE) deps EXTRA_DEPS="$(BENCH_DEPS)"
	$(MAKE) all
	@sh bench/run.sh

# What `make install` puts where; `make uninstall` removes exactly these.
# podman reads hooks from /usr/share/containers/oci/hooks.d and
# /etc/containers/oci/hooks.d: pass HOOKSDIR=one of them to let it find
# ward-net's hook file.
HOOKSDIR ?= $(PREFIX)/share/containers/oci/hooks.d
MANPAGES := contrib/ward.8 contrib/ward-check.8
# Every config snippet in contrib/ (the man pages and the completion have
# their own places; oci-hooks.d/ goes to HOOKSDIR).
DOCS := $(wildcard contrib/*.toml contrib/*.conf contrib/*.json \
	contrib/*.conflist contrib/*.yaml)
INSTALLED := $(PREFIX)/bin/ward $(MANPAGES:contrib/%=$(PREFIX)/share/man/man8/%) \
	$(PREFIX)/share/bash-completion/completions/ward \
	$(DOCS:contrib/%=$(PREFIX)/share/doc/ward/%) \
	$(PREFIX)/libexec/ward/ward-net $(HOOKSDIR)/ward-net.json
install: all install-net
	install -D -s -m 0755 $(BUILD)/ward $(DESTDIR)$(PREFIX)/bin/ward
	for m in $(MANPAGES); do \
		install -D -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man8/$${m#contrib/} || exit 1; \
	done
	install -D -m 0644 contrib/ward.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/ward
	for d in $(DOCS); do \
		install -D -m 0644 $$d $(DESTDIR)$(PREFIX)/share/doc/ward/$${d#contrib/} || exit 1; \
	done
	if [ -f contrib/oci-hooks.d/ward-net.json ]; then \
		install -D -m 0644 contrib/oci-hooks.d/ward-net.json $(DESTDIR)$(HOOKSDIR)/ward-net.json; \
	fi

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir $(DESTDIR)$(PREFIX)/libexec/ward $(DESTDIR)$(PREFIX)/share/doc/ward 2>/dev/null || true

clean:
	rm -rf build build-asan build-fuzz ward

include fuzz/fuzz.mk
