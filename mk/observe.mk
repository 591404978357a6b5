# Observability (metrics, tracing, logs, Sentry, notifications).
# The tests of these packages also run in `make test-go`; the targets here
# run them alone, and `observe-contract` is a release gate: a fresh
# `shoal serve` exports every contracted metric, and the observability
# reference documents each one.

OBSERVE_PKGS := ./internal/telemetry/... ./notify/... ./store/instrument/... ./jobs/... ./http/...

.PHONY: test-observe
test-observe: ## Tests of the observability packages and the serve/worker observability tests (with -race).
	$(GO) test -race -count=1 $(OBSERVE_PKGS)
	$(GO) test -race -count=1 -run 'TestObserver' ./merge/
	$(GO) test -race -count=1 -run 'TestObserve|TestTracing|TestWorker_Listener|TestRun_Healthcheck|TestRun_Version|TestRun_WorkerListener' ./cmd/shoal/

.PHONY: observe-contract
observe-contract: ## Gate: every contracted metric is exported by a fresh serve and documented.
	$(GO) test -count=1 -run 'TestObserve_FreshServeExportsTheContract|TestObserve_ReferenceListsEveryMetric' ./cmd/shoal/

# observe-contract is not in GATES: test-go runs the same tests.
