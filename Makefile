# weir: the two commands a newcomer needs are `make demo` and `make test`.
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN := bin/analyzer
DEMO_PCAP ?= testdata/pcaps/real_mixed.pcap
DEMO_OUT ?= logs-demo
FUZZTIME ?= 60s

.PHONY: all deps build demo test test-short bench fuzz conformance golden clean

all: build

deps:
	@scripts/setup.sh

build: deps
	$(GO) build -o $(BIN) ./cmd/analyzer

# Analyze a capture the project made itself and show the logs.
demo: build
	@rm -rf $(DEMO_OUT)
	./$(BIN) -r $(DEMO_PCAP) -o $(DEMO_OUT)
	@for f in $(DEMO_OUT)/*.log; do echo "== $$f"; cat $$f; done

# Everything CI runs: formatting, vet, the race detector over all tests
# (fuzz targets run their seed corpora), generated testdata up to date.
test: deps
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run ./testdata/gen -check -o testdata/pcaps
	$(GO) test -race -count=1 ./...
	cd sdk/examples/redis && $(GO) vet ./... && $(GO) test -count=1 ./...

test-short: deps
	$(GO) test -count=1 ./...

bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	scripts/bench.sh
	@if [ $$(id -u) -eq 0 ]; then scripts/bench-live.sh; else echo "bench: live capture figure skipped (needs root: sudo scripts/bench-live.sh)"; fi

# Longer fuzzing than the seed runs in `make test`.
fuzz: deps
	@$(GO) list -f '{{.ImportPath}} {{.Dir}}' ./... | while read pkg dir; do \
		for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
			echo "fuzz $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# Field-by-field agreement with Zeek's reference logs (needs ../shared).
conformance: build
	../shared/conformance/run $(BIN)

# Rewrite golden logs after an intended change of semantics.
golden:
	$(GO) test ./cmd/analyzer -run Golden -update

clean:
	rm -rf bin $(DEMO_OUT)
