# simfleet — top-level entry points.  Every target that needs packages runs
# scripts/bootstrap first (quick when all are installed).
#   make         release build: build/simfleet
#   make demo    build and run the demonstration (scripts/demo)
#   make check   warnings as errors, unit + CLI tests, then again under ASan+UBSan
#   make bench   benchmarks (JSON lines, with the peer measured in the same run)
#   make fuzz    libFuzzer targets of every parser (installs clang)

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE ?= cmake

.PHONY: all build bootstrap demo check test asan bench fuzz clean

all: build

bootstrap:
	@./scripts/bootstrap

build/CMakeCache.txt:
	$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=Release

build: build/CMakeCache.txt
	$(CMAKE) --build build -j$(JOBS)

build-asan/CMakeCache.txt:
	$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSF_SANITIZE=ON -DSF_BENCH=OFF

demo: bootstrap
	@$(MAKE) --no-print-directory build
	@./scripts/demo build/simfleet

test: build
	cd build && ctest --output-on-failure -j$(JOBS)

asan: build-asan/CMakeCache.txt
	$(CMAKE) --build build-asan -j$(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j$(JOBS)

check: bootstrap
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory asan

bench: bootstrap
	@$(MAKE) --no-print-directory build
	@./scripts/bench build

# libFuzzer targets (clang): replay every seed corpus, then fuzz each target
# for FUZZ_SECONDS on a scratch copy of its corpus.
FUZZ_SECONDS ?= 30
fuzz:
	@./scripts/bootstrap --fuzz
	$(CMAKE) -S . -B build-fuzz -DSF_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DSF_BENCH=OFF
	$(CMAKE) --build build-fuzz -j$(JOBS)
	cd build-fuzz && ctest -R '^fuzz_' --output-on-failure
	@for t in der apdu saip isdr fs_attach bpp rsp_notification rsp_smdp ipa; do \
		rm -rf build-fuzz/corpus-$$t && cp -r tests/fuzz/corpus_$$t build-fuzz/corpus-$$t && \
		build-fuzz/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus-$$t 2>&1 | tail -n 1 || exit 1; \
	done

clean:
	rm -rf build build-asan build-fuzz
