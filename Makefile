# ahead: `make run` to see it work, `make test` to run every test.
GO        ?= go
PKGS      ?= ./...
TESTFLAGS ?=

.PHONY: help run test test-race lint bench deps build fmt test-cluster contracts

help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## Start ahead dev: embedded Redis, the experience classics, outbox, API on 127.0.0.1:8080.
	$(GO) run ./cmd/ahead dev $(ARGS)

build: ## Build bin/ahead.
	CGO_ENABLED=0 $(GO) build -o bin/ahead ./cmd/ahead

deps: ## Install what the tests need (redis-server, chromium, pinned Node packages).
	@scripts/deps.sh

contracts: ## Find Twilio's OpenAPI contracts (AHEAD_TWILIO_OPENAPI_DIR, else ../shared/contracts); fail without them.
	@scripts/contracts.sh >/dev/null

test: contracts deps ## Run every test with the race detector against a throwaway redis-server; contract tests fail, never skip.
	@AHEAD_TWILIO_OPENAPI_DIR="$$(scripts/contracts.sh)" AHEAD_REQUIRE_CONTRACTS=1 \
		scripts/with-redis.sh $(GO) test -race -count=1 $(TESTFLAGS) $(PKGS)

test-race: test ## Same as test: the tests always run with -race.

lint: ## gofmt and go vet.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

fmt: ## Format the code.
	gofmt -w $$(git ls-files '*.go')

bench: ## Measure ahead beside a hand-built asynq app and raw asynq on a throwaway redis-server (ARGS="--preload 1000000 --json bench.json").
	@scripts/with-redis.sh $(GO) run ./cmd/ahead bench $(ARGS)

test-cluster: deps ## Run the end-to-end and effect tests against a throwaway 3-master Redis Cluster, one package at a time (a cluster has one database, which each flushes).
	@scripts/with-cluster.sh $(GO) test -race -count=1 -p 1 -run Cluster $(TESTFLAGS) ./internal/e2e/ ./internal/store/ ./internal/synthetic/
