# Makefile - builds mdm, mdm-compare and the tests; see README.md.
#
# Sources are found by folder, so adding a file needs no edit here:
#   core/ modern/ adapter/ app/ harness/ legacy/   -> build/libmdm.a
#   app/main_*.c, harness/main_*.c                -> build/<name> (_ becomes -)
#   tests/{unit,integration,migration}/test_*.c    -> build/tests/<name>
#   tests/support/*.c                              -> linked into every test
#
# Variables: SAN=address,undefined (sanitizers), LEGACY=0 (phase 3: build
# without legacy/), COVERAGE=1 (--coverage -O0), PREFIX, DESTDIR, BUILD.

SHELL      := /bin/bash
CC         ?= cc
PKG_CONFIG ?= pkg-config
BUILD      ?= build
PREFIX     ?= /usr/local
DESTDIR    ?=
SAN        ?=
LEGACY     ?= 1
COVERAGE   ?= 0

LIB_PKGS  := sqlite3 libpq yaml-0.1 zlib liblzma libzstd libarchive
TEST_PKGS := cmocka

pkg_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pkg_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

OPT      := -O2
ifeq ($(COVERAGE),1)
# Atomic counters: with threads (register reads the CSV while another
# thread creates the PostgreSQL database; the pool tests) plain counters
# race, gcov derives negative counts from them, and a line that ran can
# show as never run (seen once in CI: a gate failure on a covered line).
OPT      := -O0 --coverage -fprofile-update=atomic
endif
CFLAGS   ?= $(OPT) -g
CPPFLAGS += -D_DEFAULT_SOURCE
# Where `make install` puts the expected-differences list shadow mode reads.
CPPFLAGS += -DMDM_DATADIR='"$(PREFIX)/share/mdm"'
CPPFLAGS += $(call pkg_cflags,$(LIB_PKGS))
WARN     := -std=c11 -Wall -Wextra -Werror
LDLIBS   += $(call pkg_libs,$(LIB_PKGS)) -lbz2 -lpthread -lm
ifeq ($(COVERAGE),1)
LDFLAGS  += --coverage -fprofile-update=atomic
endif
ifneq ($(SAN),)
CFLAGS   += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SAN)
endif

LIB_DIRS := core modern adapter app harness
ifeq ($(LEGACY),1)
LIB_DIRS += legacy
CPPFLAGS += -DMDM_WITH_LEGACY=1
else
CPPFLAGS += -DMDM_WITH_LEGACY=0
endif

# Include paths per layer (ci/layers.sh checks the includes themselves, make
# test runs it): a folder sees only the layers below it, so most forbidden
# includes do not even compile. adapter/'s public headers name no legacy/
# or modern/ type (mdm_store_impl.h, which does, is the router's), so app/
# and harness/ compile without those folders. Tests, benches and fuzz
# targets see everything.
LEGACY_DIR    := $(if $(filter 1,$(LEGACY)),legacy)
LAYER_core    := core
LAYER_legacy  := core legacy
LAYER_modern  := core modern
LAYER_adapter := core $(LEGACY_DIR) modern adapter
LAYER_app     := core adapter app
LAYER_harness := core adapter app harness
LAYER_all     := core $(LEGACY_DIR) modern adapter app harness
LAYER_INC      = $(addprefix -I,$(LAYER_all))
$(foreach d,core legacy modern adapter app harness,\
  $(eval $(BUILD)/obj/$(d)/%.o: LAYER_INC = $(addprefix -I,$(LAYER_$(d)))))

ALL_SRCS  := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
MAIN_SRCS := $(foreach d,app harness,$(wildcard $(d)/main_*.c))
LIB_SRCS  := $(filter-out $(MAIN_SRCS),$(ALL_SRCS))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
PROGRAMS  := $(foreach s,$(MAIN_SRCS),$(BUILD)/$(subst _,-,$(patsubst main_%.c,%,$(notdir $(s)))))

TEST_DIRS := tests/unit tests/integration
ifeq ($(LEGACY),1)
TEST_DIRS += tests/migration
endif
TEST_SRCS := $(foreach d,$(TEST_DIRS),$(wildcard $(d)/test_*.c))
ifneq ($(LEGACY),1)
# (filter-out honours only one %, so match "legacy" anywhere by hand)
TEST_SRCS := $(foreach s,$(TEST_SRCS),$(if $(findstring legacy,$(notdir $(s))),,$(s)))
endif
TEST_SUPPORT := $(wildcard tests/support/*.c)
TEST_BINS := $(foreach s,$(TEST_SRCS),$(BUILD)/tests/$(basename $(notdir $(s))))
BENCH_SRCS := $(wildcard tests/bench/bench_*.c)
BENCH_BINS := $(foreach s,$(BENCH_SRCS),$(BUILD)/bench/$(basename $(notdir $(s))))

.PHONY: all lib programs docs tests benches test test-stress compare slt coverage bench deps install clean check-deps fuzz
.DEFAULT_GOAL := all

all: check-deps programs docs

check-deps:
	@$(PKG_CONFIG) --exists $(LIB_PKGS) 2>/dev/null || { \
	  echo "error: missing build dependencies ($(LIB_PKGS) via pkg-config); run 'make deps'" >&2; exit 1; }
	@echo '#include <bzlib.h>' | $(CC) -E -x c - >/dev/null 2>&1 || { \
	  echo "error: missing build dependency libbz2 (bzlib.h, no pkg-config file); run 'make deps'" >&2; exit 1; }

lib: $(BUILD)/libmdm.a
programs: $(PROGRAMS)

# The man page and the bash completion come from the program's own help
# texts (mdm help --man | --bash), so they cannot drift from --help.
docs: $(BUILD)/mdm.1 $(BUILD)/mdm.bash
$(BUILD)/mdm.1: $(BUILD)/mdm
	$(BUILD)/mdm help --man > $@.tmp && mv $@.tmp $@
$(BUILD)/mdm.bash: $(BUILD)/mdm
	$(BUILD)/mdm help --bash > $@.tmp && mv $@.tmp $@
tests: $(TEST_BINS)
benches: $(BENCH_BINS)

$(BUILD)/libmdm.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(LAYER_INC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# Programs: app/main_mdm.c -> build/mdm, harness/main_mdm_compare.c -> build/mdm-compare
define program_rule
$(BUILD)/$(subst _,-,$(patsubst main_%.c,%,$(notdir $(1)))): $(BUILD)/obj/$(1:.c=.o) $(BUILD)/libmdm.a
	$$(CC) $$(LDFLAGS) $$^ $$(LDLIBS) -o $$@
endef
$(foreach s,$(MAIN_SRCS),$(eval $(call program_rule,$(s))))

TEST_SUPPORT_OBJS := $(TEST_SUPPORT:%.c=$(BUILD)/obj/%.o)
TEST_CPPFLAGS := -Itests/support $(call pkg_cflags,$(TEST_PKGS))
TEST_LDLIBS   := $(call pkg_libs,$(TEST_PKGS))

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(LAYER_INC) $(CPPFLAGS) $(TEST_CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

define test_rule
$(BUILD)/tests/$(basename $(notdir $(1))): $(BUILD)/obj/$(1:.c=.o) $(TEST_SUPPORT_OBJS) $(BUILD)/libmdm.a
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) $$^ $$(TEST_LDLIBS) $$(LDLIBS) -o $$@
endef
$(foreach s,$(TEST_SRCS),$(eval $(call test_rule,$(s))))

define bench_rule
$(BUILD)/bench/$(basename $(notdir $(1))): $(BUILD)/obj/$(1:.c=.o) $(BUILD)/libmdm.a
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) $$^ $$(LDLIBS) -o $$@
endef
$(foreach s,$(BENCH_SRCS),$(eval $(call bench_rule,$(s))))

# deps: installs the missing Debian packages (as root), or says how.
deps:
	@bash ci/deps.sh

# test: every test binary, with a throwaway PostgreSQL, then the
# statelessness check on the object files.
test: deps
	@$(MAKE) --no-print-directory all tests
	@bash ci/no-globals.sh $(BUILD)
	@bash ci/layers.sh
	@bash ci/run-tests.sh $(TEST_BINS)

# test-stress: every test binary ROUNDS times beside busy loops on every
# core, to find tests that pass only on a quiet machine (ci/stress.sh;
# ONLY="test_pool test_faults" narrows it; SAN=thread BUILD=... works too).
ROUNDS ?= 20
ONLY   ?=
STRESS_BINS = $(if $(ONLY),$(filter $(addprefix $(BUILD)/tests/,$(ONLY)),$(TEST_BINS)),$(TEST_BINS))
test-stress: deps
	@$(MAKE) --no-print-directory all tests
	@test -n "$(STRESS_BINS)" || { echo "test-stress: ONLY='$(ONLY)' names no test binary" >&2; exit 2; }
	@ROUNDS=$(ROUNDS) bash ci/stress.sh $(STRESS_BINS)

compare: deps
	@$(MAKE) --no-print-directory all
	@bash ci/compare.sh $(BUILD)

# slt: every *.test below SLT_DIR (a local copy of the published
# sqllogictest corpus, which is never committed) through legacy and modern on
# SQLite and PostgreSQL (a throwaway server as for compare), cross matrix
# included. The results in those files were recorded by SQLite: on
# PostgreSQL disagreeing with them is reported, not failed (harness/README.md).
# Reports: reports/slt/. SLT_OPTS adds mdm-compare options (e.g. --no-cross).
SLT_DIR     ?=
SLT_JOBS    ?= 2
SLT_TIMEOUT ?= 7200
SLT_OPTS    ?=
slt: deps
	@test -n "$(SLT_DIR)" || { echo "slt: give the folder: make slt SLT_DIR=DIR" >&2; exit 2; }
	@$(MAKE) --no-print-directory all
	@files=$$(find "$(SLT_DIR)" -name '*.test' -type f | LC_ALL=C sort); \
	test -n "$$files" || { echo "slt: no *.test below $(SLT_DIR)" >&2; exit 2; }; \
	mkdir -p reports/slt; \
	bash ci/compare.sh $(BUILD) --report-dir reports/slt --slt-engine sqlite \
	    -j $(SLT_JOBS) --timeout $(SLT_TIMEOUT) $(SLT_OPTS) $$files

coverage: deps
	@bash ci/coverage.sh

bench: deps
	@$(MAKE) --no-print-directory all benches
	@bash ci/bench.sh $(BUILD)

fuzz:
	@bash ci/fuzz.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/mdm
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(BUILD)/mdm.1 $(DESTDIR)$(PREFIX)/share/man/man1/mdm.1
	install -m 0644 $(BUILD)/mdm.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/mdm
	install -m 0644 fixtures/expected-differences $(DESTDIR)$(PREFIX)/share/mdm/

clean:
	rm -rf $(BUILD) reports/coverage reports/tests reports/*.md.tmp
	find reports -mindepth 1 ! -name README.md -delete 2>/dev/null || true

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
