# Kubernetes: the Helm chart (deploy/helm/shoal), the Argo Rollouts canary
# (deploy/rollout), their strict typed validation (deploy/validate, its own
# Go module), the deploy script and the rollback script.
#
# helm is built with `go install` into $(TOOLS_BIN); bats comes from
# Debian (the Makefile's deb-tools). promtool is $(PROMTOOL) of mk/monitoring.mk.

HELM_VERSION := v4.3.1
HELM := $(TOOLS_BIN)/helm
K8S_VALIDATE := deploy/validate
K8S_CHART := deploy/helm/shoal
# The values files the chart ships: name=file (default = values.yaml only).
K8S_VALUES_CASES := default= production=deploy/helm/values-production.yaml minimal=deploy/helm/values-minimal.yaml

# helm is checked by the module version recorded in the binary: a
# `go install`ed helm prints only "v4.3" in `helm version`.
$(HELM):
	$(GO) install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

.PHONY: k8s-helm
k8s-helm: $(HELM) ## Install helm $(HELM_VERSION) (go install) when missing or another version.
	@$(GO) version -m $(HELM) | grep -qE '^\s+mod\s+helm.sh/helm/v4\s+$(HELM_VERSION)\s' || \
		$(GO) install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

.PHONY: helm-sync-rules
helm-sync-rules: ## Copy deploy/monitoring/prometheus-rules.yaml into the chart (its PrometheusRule).
	cp deploy/monitoring/prometheus-rules.yaml $(K8S_CHART)/files/prometheus-rules.yaml

.PHONY: test-helm
test-helm: k8s-helm ## helm lint --strict, helm template and package the chart; strict typed checks of every object (deploy/validate).
	@set -euo pipefail; out=$$(mktemp -d); trap 'rm -rf "$$out"' EXIT; \
	for c in $(K8S_VALUES_CASES); do \
		name=$${c%%=*}; file=$${c#*=}; args=(); [ -z "$$file" ] || args=(--values "$$file"); \
		echo "helm lint --strict / template: $$name"; \
		$(HELM) lint --strict $(K8S_CHART) "$${args[@]}" >"$$out/lint-$$name.txt" || { cat "$$out/lint-$$name.txt"; exit 1; }; \
		$(HELM) template shoal $(K8S_CHART) --namespace shoal "$${args[@]}" >"$$out/$$name.yaml"; \
	done; \
	$(HELM) package $(K8S_CHART) --destination "$$out/pkg" >/dev/null; \
	$(HELM) lint --strict "$$out/pkg/shoal-1.0.0.tgz" >/dev/null; \
	tar -tzf "$$out/pkg/shoal-1.0.0.tgz" | grep -qx 'shoal/files/prometheus-rules.yaml'; \
	echo "helm package: $$(du -h "$$out/pkg/shoal-1.0.0.tgz" | cut -f1) shoal-1.0.0.tgz"; \
	cd $(K8S_VALIDATE) && $(GO) vet ./... && \
		SHOAL_HELM_RENDERED="$$out" $(GO) test -count=1 -run '^(TestChart|TestHelm|TestStrict)' .

.PHONY: test-rollout
test-rollout: $(PROMTOOL) ## Argo Rollouts canary: strict decoding and analysis checks; promtool tests of the canary rules.
	$(PROMTOOL) check rules deploy/rollout/canary-rules.yaml
	$(PROMTOOL) test rules deploy/rollout/canary-rules.test.yaml
	cd $(K8S_VALIDATE) && $(GO) test -count=1 -run '^(TestRollout|TestAnalysis)' .

.PHONY: test-rollback
test-rollback: deb-tools ## bats tests of rollback.sh with a fake kubectl and helm (make lint shellchecks them).
	bats scripts/release/test/rollback.bats

TEST_TARGETS += test-helm test-rollout test-rollback
