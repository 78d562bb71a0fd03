# serialhub — the front door. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

BIN      := bin/serialhub
STACK    := deploy/local/stack.sh
HUB      := deploy/local/hub.sh
DATA     := deploy/local/data
GOFLAGS_TEST ?= -race -count=1
# A count of inputs, not a duration: with -fuzztime=3s Go's fuzzing coordinator can report
# "context deadline exceeded" when the clock runs out while a worker is mid-input (golang/go#75804),
# failing a run that found nothing. A count has no deadline to race.
FUZZTIME ?= 10000x
# Every Go command sees the local stack's connection settings.
ENVFILE  := set -a; [ -f $(DATA)/env ] && . $(DATA)/env; set +a;

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: build
build: ## build bin/serialhub
	go build -o $(BIN) ./cmd/serialhub

.PHONY: install
install: ## install what is missing (apt packages, Temporal CLI, staticcheck)
	$(STACK) install

.PHONY: stack
stack: ## start PostgreSQL, ClickHouse and Temporal on loopback (idempotent)
	$(STACK) up

.PHONY: up
up: stack build ## start the local stack and the hub (API + worker) in the background
	$(ENVFILE) $(BIN) migrate
	$(ENVFILE) $(BIN) bootstrap
	$(HUB) start $(BIN)

.PHONY: down
down: ## stop the hub and the local stack (only what these scripts started)
	-$(HUB) stop
	$(STACK) down

.PHONY: status
status: ## show what runs
	$(STACK) status
	-$(HUB) status

.PHONY: demo
demo: up ## run the demo scenario and keep the hub running until Ctrl-C
	@trap '$(HUB) stop' EXIT; $(ENVFILE) $(BIN) demo --wait

.PHONY: demo-once
demo-once: up ## run the demo scenario once; exit 0 only if every step succeeded
	$(ENVFILE) $(BIN) demo

.PHONY: test
test: stack ## set up what is missing, run every test (race detector, short fuzzing), then the demo
	$(ENVFILE) go test $(GOFLAGS_TEST) ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)
	$(MAKE) --no-print-directory demo-once

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME inputs (make fuzz FUZZTIME=5m for a longer, timed run)
	@for f in $$(grep -rl --include='*_test.go' '^func Fuzz' .); do \
	  pkg=./$$(dirname $$f); \
	  for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$f | sed 's/func //'); do \
	    echo "fuzz $$pkg $$t ($(FUZZTIME))"; \
	    go test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg > /tmp/serialhub-fuzz.log 2>&1 || { cat /tmp/serialhub-fuzz.log; exit 1; }; \
	  done; \
	done

.PHONY: bench
bench: stack ## run the Go benchmarks and load drivers and print figures
	@# -p 1: one package's benchmarks at a time, or two would share the cores and the servers.
	$(ENVFILE) go test -p 1 -timeout 1h -run='^$$' -bench=. -benchmem ./... | grep -E '^(Benchmark|ok|FAIL|goos|pkg|cpu)'

.PHONY: lint
lint: ## go vet, gofmt check and staticcheck
	go vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(STACK) install >/dev/null
	$${SERIALHUB_CACHE:-$$HOME/.cache/serialhub}/bin/staticcheck ./...

.PHONY: clean
clean: ## remove built binaries (the stack's data stays; `make down` first to stop it)
	rm -rf bin
