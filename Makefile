# tmsdrift — make targets. Only Go is needed: `make demo`, `make test`.
GO        ?= go
BIN       := bin/tmsdrift
DEMO_LAB  ?= fixtures/labs/post-upgrade
PKGS      := ./...
FUZZTIME  ?= 10s
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null)

.PHONY: all build test lint vet fmt-check demo serve-demo bench fuzz clean test-windows build-windows

all: build

## build: the binary; --version says $(VERSION) (git describe, when this is a
## clone with tags or commits) and the commit Go stamps (-buildvcs).
build:
	$(GO) build -buildvcs=auto -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/tmsdrift

## test: what CI runs — formatting, vet, every test (race detector when cgo works).
test: lint
	@if $(GO) env CGO_ENABLED | grep -q 1 && command -v gcc >/dev/null 2>&1; then \
		echo "go test -race $(PKGS)"; $(GO) test -race -count=1 $(PKGS); \
	else \
		echo "go test $(PKGS) (no cgo: without -race)"; $(GO) test -count=1 $(PKGS); \
	fi

lint: fmt-check vet build-windows

## build-windows: the Windows binary builds (the local transport is Windows-only code).
build-windows:
	GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./cmd/tmsdrift

## test-windows: the Windows build of the local transport and the Windows service, run for real under Wine
## fixers: only the deployment lock's tests (LockFileEx between two processes, the lock file taken back
## after a refused run, a sharing violation when it is open elsewhere); the rest of fixers runs in `make test`.
## (needs: apt-get install wine64 gcc-mingw-w64-x86-64-win32; see fixtures/wine/exec.sh).
## It builds tmsdrift.exe first: serve/winservice installs and runs it as a service (TMSDRIFT_EXE).
## One package at a time (-p 1): both install services named tms... in the one Wine prefix, and the local
## node lists them all (collect/local's fix test would see serve/winservice's).
## cmd/tmsdrift: only its Windows-only TestWine... tests (the whole fix, promote and rollback commands
## through the local transport, with real services; promote also writes Wine's C:\Program Files\TANDBERG
## and a registry key, removed afterwards); the rest of its tests are Linux-oriented and run in `make test`.
test-windows:
	GOOS=windows GOARCH=amd64 $(GO) build -o bin/tmsdrift.exe ./cmd/tmsdrift
	TMSDRIFT_EXE=$(CURDIR)/bin/tmsdrift.exe GOOS=windows GOARCH=amd64 $(GO) test -count=1 -p 1 -exec $(CURDIR)/fixtures/wine/exec.sh ./collect/local/ ./serve/winservice/
	GOOS=windows GOARCH=amd64 $(GO) test -count=1 -p 1 -exec $(CURDIR)/fixtures/wine/exec.sh -run 'Lock|SecondFixer|WaitingFixer' ./fixers/
	GOOS=windows GOARCH=amd64 $(GO) test -count=1 -p 1 -exec $(CURDIR)/fixtures/wine/exec.sh -run '^TestWine' ./cmd/tmsdrift/

vet:
	$(GO) vet $(PKGS)
	GOOS=windows $(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## demo: build, then audit a drifted lab: nodes from its snapshot folders, the
## database read live from a TDS test server on 127.0.0.1 (exit 1 is the verdict).
demo: build
	@$(GO) run ./fixtures/demo -lab $(DEMO_LAB) -bin ./$(BIN)
	@echo
	@echo "Next:"
	@printf '  %-64s # %s\n' "./$(BIN) explain machinekey.present" "what a rule checks, why, how to fix" \
		"./$(BIN) fix -i $(DEMO_LAB)/inventory.yaml" "the fix plan (changes nothing)"
	@echo "  ./$(BIN) audit -i $(DEMO_LAB)/inventory.yaml --format markdown"

## serve-demo: the nightly service on a copy of the demo lab, auditing every
## minute: open http://127.0.0.1:9417/ (Ctrl-C stops it).
serve-demo: build
	@d=$$(mktemp -d "$${TMPDIR:-/tmp}/tmsdrift-serve-demo.XXXXXX"); cp -R $(DEMO_LAB)/. "$$d/"; \
	printf "schedule:\n  audit: '@every 1m'\n" >> "$$d/inventory.yaml"; \
	echo "lab copied to $$d; first run now, then every minute: open http://127.0.0.1:9417/"; \
	./$(BIN) serve --once -i "$$d/inventory.yaml"; ./$(BIN) serve -i "$$d/inventory.yaml"

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
