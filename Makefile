# ticklake build. `./dev` wraps this with set-up; plain `make` works once
# `./dev setup` has run (or DUCKDB_HOME points at an official libduckdb).

CC       ?= gcc
DUCKDB_HOME ?= third_party/duckdb
DUCKDB_DIR := $(abspath $(DUCKDB_HOME))

PKGS     := rdkafka libcurl libcrypto libwebsockets
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS   ?= -O2 -g
# src/ has one folder per layer (docs/ARCHITECTURE.md); every folder is on the include path, and
# each library's flags go only to its home folder (CFLAGS_<folder>), so a header of librdkafka,
# DuckDB, libcurl, OpenSSL or libwebsockets compiles only there. scripts/check-layers.sh checks the dependency rule.
SRC_DIRS := base core cli kafka engine s3 ws lake pipeline cmd
override CFLAGS += -std=c17 -D_GNU_SOURCE $(WARN) -Isrc $(SRC_DIRS:%=-Isrc/%)
CFLAGS_kafka  := $(shell pkg-config --cflags rdkafka) -DTICKLAKE_KAFKA_LIBS='"$(abspath .cache/kafka-3.9.1/libs)"'
CFLAGS_engine := -I$(DUCKDB_DIR) -DENGINE_DUCKDB_LIB='"$(DUCKDB_DIR)/libduckdb.so"'
CFLAGS_s3     := $(shell pkg-config --cflags libcurl libcrypto)
CFLAGS_ws     := $(shell pkg-config --cflags libwebsockets)
ALL_LIB_CFLAGS := $(CFLAGS_kafka) $(CFLAGS_engine) $(CFLAGS_s3) $(CFLAGS_ws)
LDLIBS   += $(shell pkg-config --libs $(PKGS)) -ldl -lm -lpthread

BUILD    ?= build/release
SRCS     := src/main.c $(wildcard $(SRC_DIRS:%=src/%/*.c))
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all clean unit asan fuzz format format-check
all: ticklake

ticklake: $(BUILD)/ticklake
	ln -sf $(BUILD)/ticklake ticklake

$(BUILD)/ticklake: $(BUILD)/main.o $(BUILD)/libticklake.a $(BUILD)/layers.ok
	$(CC) $(CFLAGS) -o $@ $(BUILD)/main.o $(BUILD)/libticklake.a $(LDLIBS)

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
PURE_SRCS := src/core/config.c src/core/json.c src/core/tick.c src/core/feed.c src/core/feed_rest.c src/core/bar.c src/core/indicators.c src/base/util.c src/core/civil.c src/base/log.c src/core/lakepath.c src/core/csv.c src/core/replay.c
fuzz: $(FUZZ_BINS)
build/fuzz/%: tests/fuzz/%.c $(PURE_SRCS) $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	clang -std=c17 -D_GNU_SOURCE -g -O1 -Isrc/base -Isrc/core -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $< $(PURE_SRCS) -lm
# The S3 client's parsers (XML responses, ISO 8601 times, the AWS INI files) and the secret wiping
# the INI reader uses: no libcurl, only libcrypto.
FUZZ_S3_SRCS := src/s3/s3_xml.c src/s3/s3_ini.c src/s3/s3_hash.c
build/fuzz/fuzz_s3: tests/fuzz/fuzz_s3.c $(FUZZ_S3_SRCS) $(PURE_SRCS) $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	clang -std=c17 -D_GNU_SOURCE -g -O1 -Isrc/base -Isrc/core -Isrc/s3 $(shell pkg-config --cflags libcrypto) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $< $(FUZZ_S3_SRCS) $(PURE_SRCS) -lm $(shell pkg-config --libs libcrypto)

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

# Benchmarks (not tests): see docs/PERFORMANCE.md for the commands and results.
$(BUILD)/bench/%: bench/%.c $(BUILD)/libticklake.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ALL_LIB_CFLAGS) -o $@ $< $(BUILD)/libticklake.a $(LDLIBS)
.PHONY: bench-aggregate
bench-aggregate: $(BUILD)/bench/aggregate
.PHONY: bench-latency
bench-latency: $(BUILD)/bench/latency
