# Thin wrapper around CMake. Quick start: `make run`, `make test`.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
FUZZ_RUNS  ?= 10000000
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
MAKEFLAGS  += --no-print-directory

.PHONY: all deps build build-asan build-fuzz run test test-plain test-asan bench fuzz fuzz-seeds fuzz-save format tidy clean sel4-qemu

all: build

# Packages beyond gcc, make and cmake (installed only when missing).
deps:
	./scripts/deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(BUILD_ASAN)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DVSPACE_SANITIZE=ON

build-asan: $(BUILD_ASAN)/CMakeCache.txt
	cmake --build $(BUILD_ASAN) -j $(JOBS)

run: deps build
	./scripts/run-main.sh $(BUILD)

test-plain: deps build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(BUILD_ASAN) --output-on-failure -j $(JOBS)

test: test-plain test-asan

# examples/sel4 on real seL4 in QEMU, transcripts compared with the
# simulator's (README "Embedding in an seL4 project"). Needs the seL4
# sources: make sel4-qemu SEL4_SRC=DIR [ARCH=ia32|x86_64|aarch64|riscv64].
ARCH ?= x86_64
sel4-qemu:
	./scripts/sel4-qemu.sh --check "$(SEL4_SRC)" "$(ARCH)" "$(BUILD)"
	$(MAKE) build
	./scripts/sel4-qemu.sh "$(SEL4_SRC)" "$(ARCH)" "$(BUILD)"

bench: build
	$(BUILD)/bench/vspace-bench --json $(BUILD)/bench.json

# libFuzzer targets of the elf/ layer (clang): FUZZ_RUNS executions each,
# corpus in $(BUILD_FUZZ)/corpus/NAME (FUZZ_CAMPAIGNS below).
$(BUILD_FUZZ)/CMakeCache.txt: | deps
	CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVSPACE_FUZZ=ON

build-fuzz: $(BUILD_FUZZ)/CMakeCache.txt
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target elf_fuzz_parse elf_fuzz_load elf_images

# Campaigns, NAME:TARGET:ARCH (the simulated machine the load target boots).
# load-aarch32 reaches large-page loads: aarch32's 64 KiB large page fits
# the load target's page cap (fuzz_load.c). Seeds: the generated images and
# their large-page twins (fuzz_corpus.py seed).
FUZZ_CAMPAIGNS ?= parse:parse:x86_64 load:load:x86_64 load-aarch32:load:aarch32

fuzz-seeds: build-fuzz
	rm -rf $(BUILD_FUZZ)/seeds && python3 tests/elf/fuzz_corpus.py seed $(BUILD_FUZZ)/tests/elf/images $(BUILD_FUZZ)/seeds

fuzz: fuzz-seeds
	for c in $(FUZZ_CAMPAIGNS); do \
	  name=$${c%%:*}; rest=$${c#*:}; t=$${rest%%:*}; arch=$${rest#*:}; \
	  mkdir -p $(BUILD_FUZZ)/corpus/$$name && cp -n $(BUILD_FUZZ)/seeds/* $(BUILD_FUZZ)/corpus/$$name/ && \
	  VS_FUZZ_ARCH=$$arch $(BUILD_FUZZ)/tests/elf/elf_fuzz_$$t -runs=$(FUZZ_RUNS) -max_len=16384 \
	    -print_final_stats=1 $(BUILD_FUZZ)/corpus/$$name || exit 1; \
	done

# Saves what each campaign found beyond its seeds: libFuzzer -merge of its
# corpus into the seeds keeps the inputs that add coverage, and
# tests/elf/fuzz_corpus_NAME.txt gets those, which `make test` replays.
fuzz-save: fuzz-seeds
	for c in $(FUZZ_CAMPAIGNS); do \
	  name=$${c%%:*}; rest=$${c#*:}; t=$${rest%%:*}; arch=$${rest#*:}; \
	  rm -rf $(BUILD_FUZZ)/merged/$$name && mkdir -p $(BUILD_FUZZ)/merged/$$name && \
	  cp $(BUILD_FUZZ)/seeds/* $(BUILD_FUZZ)/merged/$$name/ && \
	  VS_FUZZ_ARCH=$$arch $(BUILD_FUZZ)/tests/elf/elf_fuzz_$$t -merge=1 -max_len=16384 $(BUILD_FUZZ)/merged/$$name \
	    $(BUILD_FUZZ)/corpus/$$name && \
	  python3 tests/elf/fuzz_corpus.py pack $(BUILD_FUZZ)/merged/$$name $(BUILD_FUZZ)/seeds \
	    tests/elf/fuzz_corpus_$$name.txt || exit 1; \
	done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# tests/integration/* are built by their own CMake projects (a fake seL4
# tree, the old header names) and are not in $(BUILD)'s compile database.
tidy: build
	clang-tidy -p $(BUILD) $$(git ls-files '*.c' | grep -v '^tests/integration/')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
