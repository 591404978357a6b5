# Shoal — run `make help` for the targets.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
PG_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
MYSQL_DSN ?= root@tcp(127.0.0.1:3306)/
# Pinned tools install into TOOLS_BIN (checked by version on every use).
TOOLS_BIN ?= $(shell go env GOPATH)/bin

# Each area adds its targets in mk/<area>.mk: to TEST_TARGETS (run by
# `make test`) and to GATES (release gates run by `make gates` and CI).
TEST_TARGETS :=
GATES :=
include $(sort $(wildcard mk/*.mk))

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

.PHONY: ui
ui: web/node_modules/.package-lock.json ## Build the dashboard into web/dist.
	cd web && npm run build

.PHONY: build
build: ui ## Build the static shoal binary into bin/.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/shoal ./cmd/shoal

.PHONY: run
run: build ## Generate the demo warehouse and serve it at http://localhost:8080.
	./bin/shoal demo --dir .demo --addr localhost:8080

.PHONY: generate
generate: ## Regenerate code from the OpenAPI spec.
	cd http/api && $(GO) tool oapi-codegen -config config.yaml ../openapi.yaml

.PHONY: verify
verify: generate ## Check that generated code and every module's go.mod are current.
	$(GO) mod tidy
	for m in bench/duckdb deploy/validate tools/ociimage; do (cd $$m && $(GO) mod tidy) || exit 1; done
	git diff --exit-code -- http/api go.mod go.sum '*/go.mod' '*/go.sum'

.PHONY: vet
vet: ## go vet and gofmt.
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)

GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := $(shell go env GOPATH)/bin/golangci-lint

$(GOLANGCI_LINT):
	$(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

# Tools from Debian's archive that the checks need, installed when missing.
DEB_TOOLS := shellcheck bats jq

.PHONY: deb-tools
deb-tools: ## Install shellcheck, bats and jq from Debian when missing.
	@missing=""; for p in $(DEB_TOOLS); do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq || true; \
		apt-get install -y -qq --no-install-recommends $$missing; \
	fi

.PHONY: lint-shell
lint-shell: deb-tools ## shellcheck every shell script, CI's entry point and the bats tests.
	shellcheck $$(git ls-files '*.sh') .ci/run
	shellcheck -s bash $$(git ls-files '*.bats')

.PHONY: lint
lint: $(GOLANGCI_LINT) lint-shell ## golangci-lint (with gosec), pinned, and shellcheck.
	@$(GOLANGCI_LINT) version | grep -q $(GOLANGCI_LINT_VERSION:v%=%) || $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	$(GOLANGCI_LINT) run ./...

.PHONY: test-go
test-go: ## Go unit and integration tests (with -race, writing coverage.out for `make cover`), then the SIGKILL fault injection.
	SHOAL_TEST_POSTGRES=$${SHOAL_TEST_POSTGRES-$(PG_URL)} SHOAL_TEST_MYSQL="$${SHOAL_TEST_MYSQL-$(MYSQL_DSN)}" $(GO) test -race -count=1 -skip '^TestFault' -coverprofile=coverage.out -coverpkg=./... ./...
	# Killing child processes tests crash safety, not data races: no -race.
	$(GO) test -count=1 -run '^TestFault' ./merge/

.PHONY: test-web
test-web: web/node_modules/.package-lock.json ## Vitest unit tests of the dashboard.
	cd web && npm test

.PHONY: test-e2e
test-e2e: ui ## End-to-end test in headless Chromium.
	SKIP_WEB_BUILD=1 ./scripts/e2e.sh

.PHONY: test-duckdb
test-duckdb: ## DuckDB conformance of the Parquet merger and a quick merge benchmark (bench/duckdb, its own module, cgo).
	cd bench/duckdb && CGO_ENABLED=1 $(GO) vet ./...
	cd bench/duckdb && set -o pipefail && SHOAL_REQUIRE_REALDATA=$${SHOAL_REQUIRE_REALDATA-} CGO_ENABLED=1 $(GO) test -p 1 -count=1 -timeout 30m -v ./... 2>&1 | grep -v -E '^ *=== (RUN|PAUSE|CONT|NAME)'

.PHONY: test
test: vet test-go test-duckdb test-web test-e2e $(TEST_TARGETS) ## Run every test.

.PHONY: gates
gates: $(GATES) ## Release gates beyond lint and test (see RELEASING.md).

.PHONY: soak
soak: ## Fault injection with many random SIGKILL seeds (SHOAL_SOAK, default 50).
	SHOAL_SOAK=$${SHOAL_SOAK-50} $(GO) test -count=1 -timeout 60m -run 'TestFault' -v ./merge/ | grep -E '^(---|ok|FAIL|PASS)'

.PHONY: bench
bench: ## Benchmarks: scan vs find, API latency, merges vs cat and DuckDB, fsimage parsing, hmsdb enumeration, S3 listing, a 1M-row store migration.
	./scripts/bench.sh
	./scripts/bench-merge.sh
	./scripts/bench-fsimage.sh
	./scripts/bench-hmsdb.sh
	./scripts/bench-s3.sh
	$(MAKE) bench-migrate

.PHONY: clean
clean: ## Remove build output and the demo.
	rm -rf bin .demo web/dist/assets web/dist/index.html
