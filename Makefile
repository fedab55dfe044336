# ticklake build. `./dev` wraps this with set-up; plain `make` works once
# `./dev setup` has run (or DUCKDB_HOME points at an official libduckdb).

CC       ?= gcc
DUCKDB_HOME ?= third_party/duckdb
DUCKDB_DIR := $(abspath $(DUCKDB_HOME))

PKGS     := libcurl libcrypto expat libedit libwebsockets

# librdkafka 2.13.2 or newer (docs/ARCHITECTURE.md). RDKAFKA_HOME names an install prefix (include/,
# lib/librdkafka.a, lib/pkgconfig/rdkafka.pc), linked statically. Unset: the system's librdkafka when
# pkg-config finds one new enough, else the one scripts/fetch-librdkafka.sh (./dev setup) builds.
RDKAFKA_MIN     := 2.13.2
RDKAFKA_FETCHED := .cache/librdkafka-2.15.1
ifeq ($(RDKAFKA_HOME),)
ifeq ($(shell pkg-config --atleast-version=$(RDKAFKA_MIN) rdkafka 2>/dev/null && echo y),y)
RDKAFKA_CFLAGS := $(shell pkg-config --cflags rdkafka)
RDKAFKA_LIBS   := $(shell pkg-config --libs rdkafka)
else
RDKAFKA_HOME := $(RDKAFKA_FETCHED)
endif
endif
ifneq ($(RDKAFKA_HOME),)
RDKAFKA_DIR    := $(abspath $(RDKAFKA_HOME))
RDKAFKA_DEP    := $(RDKAFKA_DIR)/lib/librdkafka.a
RDKAFKA_CFLAGS := -isystem $(RDKAFKA_DIR)/include
RDKAFKA_LIBS   := $(RDKAFKA_DEP) $(filter-out -L% -lrdkafka,$(shell PKG_CONFIG_PATH=$(RDKAFKA_DIR)/lib/pkgconfig pkg-config --static --libs rdkafka 2>/dev/null))
endif
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS   ?= -O2 -g
# src/ has one folder per layer (docs/ARCHITECTURE.md); every folder is on the include path, and
# each library's flags go only to its home folder (CFLAGS_<folder>), so a header of librdkafka,
# DuckDB, libcurl, OpenSSL, expat (s3/), libwebsockets (ws/), libedit (cli/) or civetweb (http/)
# compiles only there.
# scripts/check-layers.sh checks the dependency rule.
SRC_DIRS := base core cli kafka engine s3 ws lake pipeline http serve cmd
override CFLAGS += -std=c17 -D_GNU_SOURCE $(WARN) -Isrc $(SRC_DIRS:%=-Isrc/%)
CFLAGS_kafka  := $(RDKAFKA_CFLAGS) -DTICKLAKE_KAFKA_LIBS='"$(abspath .cache/kafka-3.9.1/libs)"'
CFLAGS_engine := -I$(DUCKDB_DIR) -DENGINE_DUCKDB_LIB='"$(DUCKDB_DIR)/libduckdb.so"' \
	-DENGINE_HTTPFS_EXT='"$(DUCKDB_DIR)/httpfs.duckdb_extension"'
CFLAGS_s3     := $(shell pkg-config --cflags libcurl libcrypto expat)
CFLAGS_ws     := $(shell pkg-config --cflags libwebsockets)
CFLAGS_cli    := $(shell pkg-config --cflags libedit)
# civetweb (libcivetweb-dev) has no pkg-config file: its header is in /usr/include, its home is http/.
CFLAGS_http   :=
CFLAGS_serve  := -DTICKLAKE_WEB_DIR='"$(abspath web)"'
# yyjson (scripts/fetch-yyjson.sh) is compiled into the binary; its header only for core/ (json.c).
# YYJSON_DISABLE_NON_STANDARD drops the JSON5-style extensions: the reader is strict RFC 8259 only.
YYJSON_DIR    := third_party/yyjson
YYJSON_DEFS   := -DYYJSON_DISABLE_NON_STANDARD=1
CFLAGS_core   := -I$(YYJSON_DIR) $(YYJSON_DEFS)
ALL_LIB_CFLAGS := $(CFLAGS_kafka) $(CFLAGS_engine) $(CFLAGS_s3) $(CFLAGS_ws) $(CFLAGS_cli) $(CFLAGS_core)
LDLIBS   += $(RDKAFKA_LIBS) $(shell pkg-config --libs $(PKGS)) -lcivetweb -ldl -lm -lpthread
# The binary's malloc: jemalloc (libjemalloc-dev), for every library in the process (librdkafka's
# per-message allocations are freed on other threads, where glibc's arenas contend; decision 0043).
# `make MALLOC_LIBS=` builds with glibc's malloc. Unit tests and sanitizer builds keep glibc's.
MALLOC_LIBS ?= $(shell pkg-config --libs jemalloc)

BUILD    ?= build/release
SRCS     := src/main.c $(wildcard $(SRC_DIRS:%=src/%/*.c))
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/%.o) $(BUILD)/third_party/yyjson.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all clean unit asan fuzz format format-check
all: ticklake

ticklake: $(BUILD)/ticklake
	ln -sf $(BUILD)/ticklake ticklake

# The run path lets an installed or copied tree find the libraries `make install` puts beside it
# ($(PREFIX)/lib/ticklake); engine_load.c finds libduckdb.so there the same way.
RUNPATH  := -Wl,-rpath,'$$ORIGIN/../lib/ticklake'
$(BUILD)/ticklake: $(BUILD)/main.o $(BUILD)/libticklake.a $(BUILD)/layers.ok $(RDKAFKA_DEP)
	$(CC) $(CFLAGS) $(LDFLAGS) $(RUNPATH) -o $@ $(BUILD)/main.o $(BUILD)/libticklake.a $(LDLIBS) $(MALLOC_LIBS)

# The dependency rule between folders and library homes (scripts/check-layers.sh), again whenever a
# source file changes.
$(BUILD)/layers.ok: scripts/check-layers.sh $(SRCS) $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	bash scripts/check-layers.sh src
	@touch $@

$(BUILD)/libticklake.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

# Header dependencies come from the compiler (-MMD); the first folder of the path picks the flags.
$(BUILD)/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CFLAGS_$(firstword $(subst /, ,$*))) -MMD -MP -c -o $@ $<

-include $(LIB_OBJS:.o=.d) $(BUILD)/main.d

# The vendored yyjson, with the same warnings as our own code (it compiles clean with them).
$(BUILD)/third_party/yyjson.o: $(YYJSON_DIR)/yyjson.c $(YYJSON_DIR)/yyjson.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(YYJSON_DEFS) -c -o $@ $<
$(YYJSON_DIR)/yyjson.c $(YYJSON_DIR)/yyjson.h:
	@echo "$@ is missing: run ./dev setup (scripts/fetch-yyjson.sh fetches it)" >&2; exit 1
# src/kafka/ needs librdkafka's headers: say how to get them rather than fail on a missing include.
$(filter $(BUILD)/kafka/%,$(LIB_OBJS)): | $(RDKAFKA_DEP)
ifneq ($(RDKAFKA_HOME),)
$(RDKAFKA_DEP):
	@echo "librdkafka >= $(RDKAFKA_MIN) not found at $(RDKAFKA_HOME): run ./dev setup (scripts/fetch-librdkafka.sh)," \
	    "or set RDKAFKA_HOME to a librdkafka install" >&2; exit 1
endif

$(BUILD)/tests/%: tests/unit/%.c tests/unit/testlib.h $(BUILD)/libticklake.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ALL_LIB_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libticklake.a $(LDLIBS)

$(BUILD):
	mkdir -p $@

# Unit tests: every tests/unit/test_*.c is one binary.
unit: $(UNIT_BINS)
	@tests/unit/run.sh $(UNIT_BINS)

# The same unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
asan:
	$(MAKE) BUILD=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined" unit

# Fuzz targets (clang + libFuzzer), each over pure parsers only.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
PURE_SRCS := src/core/config.c src/core/ini.c src/core/json.c src/core/tick.c src/core/feed.c src/core/feed_rest.c src/core/bar.c src/core/indicators.c src/base/util.c src/core/civil.c src/base/log.c src/core/lakepath.c src/core/csv.c src/core/csv_ahead.c src/core/replay.c src/core/replay_value.c src/core/index_info.c src/core/index_daily.c src/core/kprops.c src/core/kprops_java.c src/core/progress.c
fuzz: $(FUZZ_BINS)
# yyjson is compiled once (instrumented like the rest) and linked into every target.
FUZZ_YYJSON := build/fuzz/yyjson.o
$(FUZZ_YYJSON): $(YYJSON_DIR)/yyjson.c $(YYJSON_DIR)/yyjson.h
	@mkdir -p $(dir $@)
	clang -std=c17 -D_GNU_SOURCE -g -O1 $(YYJSON_DEFS) -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -c -o $@ $<
build/fuzz/%: tests/fuzz/%.c $(PURE_SRCS) $(FUZZ_YYJSON) $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	clang -std=c17 -D_GNU_SOURCE -g -O1 -Isrc/base -Isrc/core -I$(YYJSON_DIR) $(YYJSON_DEFS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $< $(PURE_SRCS) $(FUZZ_YYJSON) -lm
# The S3 client's parsers (XML responses through expat, ISO 8601 times, the AWS INI files) and the
# secret wiping the INI reader uses, and the credential chain's answers: no libcurl; libcrypto and expat.
FUZZ_S3_SRCS := src/s3/s3_xml.c src/s3/s3_ini.c src/s3/s3_hash.c src/s3/s3_creds_parse.c
build/fuzz/fuzz_s3: tests/fuzz/fuzz_s3.c $(FUZZ_S3_SRCS) $(PURE_SRCS) $(FUZZ_YYJSON) $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	clang -std=c17 -D_GNU_SOURCE -g -O1 -Isrc/base -Isrc/core -I$(YYJSON_DIR) $(YYJSON_DEFS) -Isrc/s3 $(shell pkg-config --cflags libcrypto expat) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $< $(FUZZ_S3_SRCS) $(PURE_SRCS) $(FUZZ_YYJSON) -lm $(shell pkg-config --libs libcrypto expat)

# serve's request parsing (serve_req.c) and civetweb's query-string decoding (src/http/http.c).
FUZZ_SERVE_SRCS := src/serve/serve_req.c src/http/http.c
build/fuzz/fuzz_serve: tests/fuzz/fuzz_serve.c $(FUZZ_SERVE_SRCS) $(PURE_SRCS) $(FUZZ_YYJSON) $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	clang -std=c17 -D_GNU_SOURCE -g -O1 -Isrc/base -Isrc/core -I$(YYJSON_DIR) $(YYJSON_DEFS) -Isrc/http -Isrc/serve -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $< $(FUZZ_SERVE_SRCS) $(PURE_SRCS) $(FUZZ_YYJSON) -lm -lcivetweb -lpthread

# The text of lake queries: the read-only policy, CREATE TABLE AS and script splitting.
FUZZ_QUERY_SRCS := src/lake/query_sql.c src/engine/engine_stmt.c
build/fuzz/fuzz_query_sql: tests/fuzz/fuzz_query_sql.c $(FUZZ_QUERY_SRCS) $(PURE_SRCS) $(FUZZ_YYJSON) $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	clang -std=c17 -D_GNU_SOURCE -g -O1 -Isrc/base -Isrc/core -I$(YYJSON_DIR) $(YYJSON_DEFS) -Isrc/lake -Isrc/engine -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $< $(FUZZ_QUERY_SRCS) $(PURE_SRCS) $(FUZZ_YYJSON) -lm

# catalog.json as read from a lake.
FUZZ_CATALOG_SRCS := src/lake/catalog_json.c src/lake/catalog.c
build/fuzz/fuzz_catalog: tests/fuzz/fuzz_catalog.c $(FUZZ_CATALOG_SRCS) $(PURE_SRCS) $(FUZZ_YYJSON) $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	clang -std=c17 -D_GNU_SOURCE -g -O1 -Isrc/base -Isrc/core -I$(YYJSON_DIR) $(YYJSON_DEFS) -Isrc/lake -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $< $(FUZZ_CATALOG_SRCS) $(PURE_SRCS) $(FUZZ_YYJSON) -lm

# The S3 backend against a real S3-compatible server (versitygw) on loopback.
S3_LIVE := $(BUILD)/tests/s3/test_s3_live
$(S3_LIVE): tests/s3/test_s3_live.c tests/unit/testlib.h $(BUILD)/libticklake.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ALL_LIB_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libticklake.a $(LDLIBS)
.PHONY: s3-live
s3-live: $(S3_LIVE)
	@tests/s3/run.sh $(S3_LIVE)

FORMAT_FILES = src/*.c src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c tests/s3/*.c
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf build ticklake

# `make install` (PREFIX, DESTDIR): the binary in $(PREFIX)/bin, the libraries it loads at run time
# (libduckdb.so, the httpfs extension) in $(PREFIX)/lib/ticklake and the web console in
# $(PREFIX)/share/ticklake/web, which it finds relative to itself ($$ORIGIN/../lib/ticklake), so an
# installed tree still works when moved or copied. librdkafka is linked into the binary when it is
# the fetched (static) one; a system librdkafka stays where the system has it.
PREFIX ?= /usr/local
.PHONY: install uninstall
install: $(BUILD)/ticklake
	@test -f web/vendor/lightweight-charts.standalone.production.js || \
		{ echo "make install: web/vendor has no chart library: run scripts/fetch-charts.sh (or ./dev setup)" >&2; exit 1; }
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/ticklake
	install -m 0755 $(BUILD)/ticklake $(DESTDIR)$(PREFIX)/bin/ticklake
	install -m 0755 $(DUCKDB_DIR)/libduckdb.so $(DESTDIR)$(PREFIX)/lib/ticklake/libduckdb.so
	install -m 0644 $(DUCKDB_DIR)/httpfs.duckdb_extension $(DESTDIR)$(PREFIX)/lib/ticklake/httpfs.duckdb_extension
	install -d $(DESTDIR)$(PREFIX)/share/ticklake/web/vendor
	install -m 0644 web/*.html web/*.js web/*.css $(DESTDIR)$(PREFIX)/share/ticklake/web/
	install -m 0644 web/vendor/* $(DESTDIR)$(PREFIX)/share/ticklake/web/vendor/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/ticklake $(DESTDIR)$(PREFIX)/lib/ticklake/libduckdb.so \
	    $(DESTDIR)$(PREFIX)/lib/ticklake/httpfs.duckdb_extension
	rm -rf $(DESTDIR)$(PREFIX)/share/ticklake/web
	-rmdir $(DESTDIR)$(PREFIX)/lib/ticklake $(DESTDIR)$(PREFIX)/share/ticklake

# Benchmarks (not tests): see docs/PERFORMANCE.md for the commands and results.
$(BUILD)/bench/%: bench/%.c $(BUILD)/libticklake.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ALL_LIB_CFLAGS) -o $@ $< $(BUILD)/libticklake.a $(LDLIBS)
.PHONY: bench-aggregate
bench-aggregate: $(BUILD)/bench/aggregate
.PHONY: bench-latency
bench-latency: $(BUILD)/bench/latency
.PHONY: bench-consume
bench-consume: $(BUILD)/bench/consume
.PHONY: bench-ws-recv
bench-ws-recv: $(BUILD)/bench/ws_recv
