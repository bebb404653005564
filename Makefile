# tmsdrift — make targets. Only Go is needed: `make demo`, `make test`.
GO        ?= go
BIN       := bin/tmsdrift
DEMO_LAB  ?= fixtures/labs/post-upgrade
PKGS      := ./...
FUZZTIME  ?= 10s

.PHONY: all build test lint vet fmt-check demo bench fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/tmsdrift

## test: what CI runs — formatting, vet, every test (race detector when cgo works).
test: lint
	@if $(GO) env CGO_ENABLED | grep -q 1 && command -v gcc >/dev/null 2>&1; then \
		echo "go test -race $(PKGS)"; $(GO) test -race -count=1 $(PKGS); \
	else \
		echo "go test $(PKGS) (no cgo: without -race)"; $(GO) test -count=1 $(PKGS); \
	fi

lint: fmt-check vet

vet:
	$(GO) vet $(PKGS)
	GOOS=windows $(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## demo: build and audit a drifted lab (exit 1 is the expected verdict).
demo: build
	@echo "\$$ tmsdrift audit -i $(DEMO_LAB)/inventory.yaml"
	@./$(BIN) audit -i $(DEMO_LAB)/inventory.yaml; code=$$?; \
	echo; echo "exit code $$code (0 all pass, 1 failures, 2 bad input, 3 could not check)"; \
	echo "Next: ./$(BIN) explain machinekey.present   |   ./$(BIN) audit -i $(DEMO_LAB)/inventory.yaml --format markdown"; \
	test $$code -le 3

## bench: Go benchmarks (the 1,000-node audit, hashing); bench/ has the data-sync comparison script.
bench:
	$(GO) test -run=NONE -bench=. -benchmem $(PKGS)

## fuzz: a short run of every fuzz target.
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$t"; $(GO) test -run=NONE -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf bin
