# SPDX-License-Identifier: GPL-2.0-or-later
# libFuzzer harnesses (fuzz/fuzz_*.c), built with Debian's clang into
# build-fuzz/ and linked against the same sources as ward.
#   make fuzz         each harness FUZZ_SECONDS (default 600) from its corpus
#   make fuzz-smoke   replay every corpus, then each FUZZ_SMOKE_SECONDS (20)
#   make fuzz-NAME    one harness (fuzz-config, fuzz-idmap, ...)
#   make fuzz-merge   add what the runs found (new coverage only) to the seeds
# New inputs go to build-fuzz/corpus/NAME, not the seeds in fuzz/corpus/NAME;
# a crash lands in build-fuzz/crash-NAME-*: copy it into fuzz/corpus/NAME
# with the fix, and the replay in make check keeps it fixed.

FUZZ_CC ?= clang
FUZZ_BUILD := build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 20
# Extra libFuzzer flags (-jobs=N -workers=N to use more cores).
FUZZ_FLAGS ?=
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g $(filter-out $(SAN_FLAGS) $(LEAN_CFLAGS),$(WARD_CFLAGS)) -Ifuzz \
	$(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_NAMES := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
# Leak checks on, minus the library leaks listed (with their inputs) in
# fuzz/lsan.supp.
fuzz_env = ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	LSAN_OPTIONS=suppressions=$(abspath fuzz/lsan.supp)

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-merge $(FUZZ_NAMES:%=fuzz-%) $(FUZZ_NAMES:%=fuzz-replay-%)

$(FUZZ_BUILD)/%.o: %.c $(HEADERS) fuzz/fuzz.h $(GEN)/mount_optmap.h
	@mkdir -p $(dir $@)
	@echo "  CC      $< (fuzz)"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/libspec.a: $(SPEC_SRCS:%.c=$(FUZZ_BUILD)/%.o)
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ_BUILD)/libward.a: $(RUNTIME_SRCS:%.c=$(FUZZ_BUILD)/%.o)
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/fuzz/fuzz_%.o $(FUZZ_BUILD)/libward.a $(FUZZ_BUILD)/libspec.a
	@echo "  LD      $@"
	@$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(WARD_LIBS)

# ward-net's harness links its config.c with spec/ (as ward-net itself
# does), never runtime/.
$(FUZZ_BUILD)/hooks/ward-net/%.o: hooks/ward-net/%.c hooks/ward-net/ward-net.h $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (fuzz)"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(NET_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/fuzz/fuzz_net_annotations.o: FUZZ_CFLAGS += -Ihooks/ward-net
$(FUZZ_BUILD)/fuzz_net_annotations: $(FUZZ_BUILD)/fuzz/fuzz_net_annotations.o \
		$(FUZZ_BUILD)/hooks/ward-net/config.o $(FUZZ_BUILD)/libspec.a
	@echo "  LD      $@"
	@$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(WARD_LIBS)

$(FUZZ_BUILD)/fuzz/fuzz_net_cni.o: FUZZ_CFLAGS += -Ihooks/ward-net
$(FUZZ_BUILD)/fuzz_net_cni: $(FUZZ_BUILD)/fuzz/fuzz_net_cni.o \
		$(FUZZ_BUILD)/hooks/ward-net/cni_parse.o \
		$(FUZZ_BUILD)/hooks/ward-net/config.o $(FUZZ_BUILD)/libspec.a
	@echo "  LD      $@"
	@$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(WARD_LIBS)

fuzz-build: $(FUZZ_BINS)

# One harness for SECONDS from its seeds and earlier finds (new inputs are
# written to the first directory).  The full log stays in build-fuzz/NAME.log;
# on a crash, leak or UB its report is printed and the target fails.
define fuzz_one
	@mkdir -p $(FUZZ_BUILD)/corpus/$(1)
	@echo "== fuzz_$(1): $(2) s"
	@$(call fuzz_env,$(1)) $(FUZZ_BUILD)/fuzz_$(1) -max_total_time=$(2) $(FUZZ_FLAGS) \
		-print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/crash-$(1)- \
		$(if $(wildcard fuzz/$(1).dict),-dict=fuzz/$(1).dict) \
		$(FUZZ_BUILD)/corpus/$(1) fuzz/corpus/$(1) >$(FUZZ_BUILD)/$(1).log 2>&1 || \
		{ sed -n '/^==[0-9]*==ERROR\|runtime error\|^artifact_prefix\|Test unit written/,$$p' \
			$(FUZZ_BUILD)/$(1).log | head -60; exit 1; }
	@grep -aE 'stat::number_of_executed_units' $(FUZZ_BUILD)/$(1).log
endef

$(FUZZ_NAMES:%=fuzz-%): fuzz-%: $(FUZZ_BUILD)/fuzz_%
	$(call fuzz_one,$*,$(FUZZ_SECONDS))

fuzz: fuzz-build
	@set -e; for n in $(FUZZ_NAMES); do $(MAKE) --no-print-directory fuzz-$$n; done

# make check: every seed and every regression input replayed, then a short
# run of each harness (the replay alone catches a regression; the run
# catches what a change newly opened up).
fuzz-smoke: fuzz-build $(FUZZ_NAMES:%=fuzz-replay-%)
	@set -e; for n in $(FUZZ_NAMES); do \
		$(MAKE) --no-print-directory fuzz-$$n FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS); done

$(FUZZ_NAMES:%=fuzz-replay-%): fuzz-replay-%: $(FUZZ_BUILD)/fuzz_%
	@echo "== replay fuzz/corpus/$*"
	@$(call fuzz_env,$*) $(FUZZ_BUILD)/fuzz_$* -runs=0 fuzz/corpus/$* \
		>$(FUZZ_BUILD)/$*-replay.log 2>&1 || \
		{ sed -n '/^==[0-9]*==ERROR\|runtime error/,$$p' $(FUZZ_BUILD)/$*-replay.log | head -60; exit 1; }

# Fold what the runs found into the checked-in corpora: only inputs that add
# coverage are copied (libFuzzer -merge=1), so the replay in make check
# covers what the fuzzers reached.
fuzz-merge: fuzz-build
	@set -e; for n in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$n; \
		$(call fuzz_env,$$n) $(FUZZ_BUILD)/fuzz_$$n -merge=1 fuzz/corpus/$$n \
			$(FUZZ_BUILD)/corpus/$$n >$(FUZZ_BUILD)/$$n-merge.log 2>&1 || \
			{ tail -20 $(FUZZ_BUILD)/$$n-merge.log; exit 1; }; \
		echo "fuzz/corpus/$$n: $$(ls fuzz/corpus/$$n | wc -l) inputs"; \
	done

# make check's deps step installs the compiler and libFuzzer's runtime.
TEST_DEPS += clang libclang-rt-14-dev
.SECONDARY: $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz/fuzz_%.o)
