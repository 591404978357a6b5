# Release process (RELEASING.md): the coverage, security, contract, load,
# provenance and workflow gates, and the pinned tools they use.

GOSEC_VERSION       := v2.29.0
GOVULNCHECK_VERSION := v1.8.0
ACTIONLINT_VERSION  := v1.7.12
K6_VERSION          := v1.8.1
SYFT_VERSION        := v1.54.1
COSIGN_VERSION      := v2.6.5
# Statement coverage of the shipped, non-generated packages (scripts/cover.sh).
COVER_MIN           ?= 80
# `make test-go` writes it (see RELEASING.md); `make cover` only reads it.
COVER_PROFILE       ?= coverage.out

RELEASE_TOOL := TOOLS_BIN=$(TOOLS_BIN) ./scripts/release/tool.sh

.PHONY: tool-gosec tool-govulncheck tool-actionlint tool-k6 tool-syft tool-cosign
tool-gosec: ## Install gosec (pinned).
	@$(RELEASE_TOOL) gosec github.com/securego/gosec/v2/cmd/gosec $(GOSEC_VERSION)
tool-govulncheck: ## Install govulncheck (pinned).
	@$(RELEASE_TOOL) govulncheck golang.org/x/vuln/cmd/govulncheck $(GOVULNCHECK_VERSION)
tool-actionlint: ## Install actionlint (pinned).
	@$(RELEASE_TOOL) actionlint github.com/rhysd/actionlint/cmd/actionlint $(ACTIONLINT_VERSION)
tool-k6: ## Install k6 (pinned).
	@$(RELEASE_TOOL) k6 go.k6.io/k6 $(K6_VERSION)
tool-syft: ## Install syft (pinned).
	@$(RELEASE_TOOL) syft github.com/anchore/syft/cmd/syft $(SYFT_VERSION)
tool-cosign: ## Install cosign (pinned).
	@$(RELEASE_TOOL) cosign github.com/sigstore/cosign/v2/cmd/cosign $(COSIGN_VERSION)

.PHONY: cover
cover: ## Coverage gate: >= COVER_MIN% of statements, from the profile `make test-go` wrote.
	./scripts/cover.sh -m $(COVER_MIN) $(COVER_PROFILE)

.PHONY: sec
sec: tool-gosec tool-govulncheck ## gosec, and govulncheck when SHOAL_VULNDB names a local database.
	GOSEC=$(TOOLS_BIN)/gosec GOVULNCHECK=$(TOOLS_BIN)/govulncheck ./scripts/release/sec.sh

.PHONY: test-contract
test-contract: ## OpenAPI contract test against a real server (valid and malformed requests).
	mkdir -p bin
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/shoal-contract ./cmd/shoal
	SHOAL_CONTRACT=1 SHOAL_BINARY=$(CURDIR)/bin/shoal-contract $(GO) test -count=1 -timeout 15m -v -run '^TestContract$$' ./test/contract/ 2>&1 \
		| grep -v -E '^ *=== (RUN|PAUSE|CONT|NAME)'; exit $${PIPESTATUS[0]}

.PHONY: test-load
test-load: tool-k6 ## k6 load test of the read endpoints against a real server.
	mkdir -p bin
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/shoal-load ./cmd/shoal
	K6=$(TOOLS_BIN)/k6 SHOAL_BINARY=$(CURDIR)/bin/shoal-load ./scripts/load/run.sh

.PHONY: provenance
provenance: tool-syft tool-cosign ## SBOMs (SPDX, CycloneDX) and cosign signatures of the binary and the image tarball (when built), verified.
	mkdir -p bin
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/shoal ./cmd/shoal
	SYFT=$(TOOLS_BIN)/syft ./scripts/release/sbom.sh bin/shoal bin/sbom
	COSIGN=$(TOOLS_BIN)/cosign ./scripts/release/sign.sh bin/sbom/shoal.spdx.json bin/shoal $(wildcard bin/image/shoal-*.oci.tar)

.PHONY: lint-workflows
lint-workflows: tool-actionlint deb-tools ## actionlint (with shellcheck) over .github/workflows.
	$(TOOLS_BIN)/actionlint -shellcheck=$$(command -v shellcheck) .github/workflows/*.yml

# The CHANGELOG format test (test/changelog) runs in test-go's ./...
TEST_TARGETS += test-contract
GATES += cover sec test-load provenance lint-workflows
