# Configuration: the JSON Schema of the config file, the settings reference
# of the configuration guide, and the validation of every shipped config.

CONFIG_BIN := bin/shoal-config-check

.PHONY: config-schema
config-schema: ## Regenerate docs/config.schema.json and the settings reference of the configuration guide.
	$(GO) generate ./config

.PHONY: test-config
test-config: ## Config tests: schema and guide up to date, shipped and bad configs, env and _FILE secrets.
	$(GO) test -count=1 ./config/...
	$(GO) test -count=1 -run '^TestConfigValidate_Binary$$' ./cmd/shoal

# config-validate builds the binary and runs `shoal config validate` as CI
# and operators do: the shipped configs pass, every bad one fails with its
# expected message (first line "# want: ...", optional "# flags: ...").
.PHONY: config-validate
config-validate: ## Validate deploy/config/*.yaml with the real binary and check the bad configs are rejected.
	CGO_ENABLED=0 $(GO) build -trimpath -o $(CONFIG_BIN) ./cmd/shoal
	$(CONFIG_BIN) config validate --production deploy/config/production.yaml
	$(CONFIG_BIN) config validate deploy/config/development.yaml
	$(CONFIG_BIN) config validate --production deploy/compose/shoal.yaml
	@set -euo pipefail; n=0; \
	for f in config/testdata/bad/*.yaml; do \
		want=$$(sed -n '1s/^# want: //p' "$$f"); \
		flags=$$(sed -n '2s/^# flags: //p' "$$f"); \
		if [ -z "$$want" ]; then echo "$$f: first line must be '# want: MESSAGE'"; exit 1; fi; \
		rc=0; out=$$($(CONFIG_BIN) config validate $$flags "$$f" 2>&1) || rc=$$?; \
		if [ "$$rc" -ne 1 ]; then echo "$$f: exit status $$rc, want 1"; echo "$$out"; exit 1; fi; \
		if ! grep -qF -- "$$want" <<<"$$out"; then echo "$$f: output lacks '$$want':"; echo "$$out"; exit 1; fi; \
		n=$$((n+1)); \
	done; \
	echo "config-validate: $$n bad configs rejected with the expected message"
	$(CONFIG_BIN) config schema | cmp -s - docs/config.schema.json || { echo "docs/config.schema.json is stale: run make config-schema"; exit 1; }

# test-config is not added to TEST_TARGETS: test-go's `go test ./...`
# already runs these packages.
GATES += config-validate
