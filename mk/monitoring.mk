# Monitoring: Prometheus alert rules and their promtool unit tests, the
# Alertmanager routing, and the compose Prometheus configuration
# (deploy/monitoring, deploy/compose).
#
# promtool and amtool come from Debian's prometheus and
# prometheus-alertmanager packages, extracted with dpkg-deb (not
# installed) into $(DEBTOOLS_DIR), which persists across checkouts like
# $(TOOLS_BIN). Other fragments may reuse $(PROMTOOL) as a prerequisite.

DEBTOOLS_DIR ?= $(abspath $(TOOLS_BIN)/../debtools)
PROMTOOL_VERSION := 2.42.0
PROMTOOL := $(DEBTOOLS_DIR)/prometheus-$(PROMTOOL_VERSION)/usr/bin/promtool
AMTOOL_VERSION := 0.25.0
AMTOOL := $(DEBTOOLS_DIR)/alertmanager-$(AMTOOL_VERSION)/usr/bin/amtool

$(PROMTOOL):
	scripts/build/deb_tool.sh prometheus $(PROMTOOL_VERSION) $(DEBTOOLS_DIR)/prometheus-$(PROMTOOL_VERSION)
	@$@ --version 2>&1 | grep -q 'version $(PROMTOOL_VERSION)' || { echo "$@ is not promtool $(PROMTOOL_VERSION)"; exit 1; }

$(AMTOOL):
	scripts/build/deb_tool.sh prometheus-alertmanager $(AMTOOL_VERSION) $(DEBTOOLS_DIR)/alertmanager-$(AMTOOL_VERSION)
	@$@ --version 2>&1 | grep -q 'version $(AMTOOL_VERSION)' || { echo "$@ is not amtool $(AMTOOL_VERSION)"; exit 1; }

.PHONY: monitoring-tools
monitoring-tools: $(PROMTOOL) $(AMTOOL) ## Extract promtool 2.42 and amtool 0.25 from Debian's packages (not installed).

.PHONY: test-rules
test-rules: $(PROMTOOL) ## Check the alert rules and run their promtool unit tests.
	$(PROMTOOL) check rules deploy/monitoring/prometheus-rules.yaml
	$(PROMTOOL) test rules deploy/monitoring/prometheus-rules.test.yaml

# Alertmanager: the config must load, and each severity must reach the
# receivers the monitoring guide promises (amtool's routing tree test).
.PHONY: test-alertmanager
test-alertmanager: $(AMTOOL) ## Check the Alertmanager config and its routing by severity.
	$(AMTOOL) check-config deploy/monitoring/alertmanager.yaml
	scripts/build/test_alert_routes.sh $(AMTOOL) deploy/monitoring/alertmanager.yaml

# The compose stack's Prometheus: scrape config and the rule files it loads
# (resolved relative to the config file, as inside the container).
.PHONY: test-prometheus-config
test-prometheus-config: $(PROMTOOL) ## Check deploy/compose/prometheus.yml with promtool.
	$(PROMTOOL) check config deploy/compose/prometheus.yml

TEST_TARGETS += test-rules test-alertmanager test-prometheus-config

# Typed checks in deploy/validate (its own module): the Dockerfile with
# BuildKit's parser and linter, docker-compose.prod.yml with compose-go,
# the Grafana dashboards with the Foundation SDK, and every metric that a
# dashboard or alert reads against the real binary's /metrics; the
# Loki/Promtail configs against the binary's JSON logs.
.PHONY: test-deploy-artifacts
test-deploy-artifacts: ## Dockerfile, compose, dashboards, alert metrics and log pipeline checks (deploy/validate).
	cd deploy/validate && $(GO) test -count=1 -run '^(TestDockerfile|TestCompose|TestDashboard|TestAlertRuleMetricsExist|TestLokiConfig|TestPromtailParsesShoalLogs)' ./...

TEST_TARGETS += test-deploy-artifacts
