# Operations docs: every alert has a troubleshooting section, every
# runbook_url and every relative link under docs/ resolves (test/doctest).
# The docs' shell blocks run in test-docs (mk/docs.mk).

.PHONY: test-ops-docs
test-ops-docs: ## Check alert sections, runbook URLs and links of docs/ (test/doctest/ops_test.go).
	$(GO) test -count=1 -run 'TestAlertSections|TestRunbookURLs|TestDocLinks|TestGithubAnchor|TestParseMarkdown|TestParseAlerts|TestCheckLink' ./test/doctest/

# test-ops-docs is not in TEST_TARGETS: test-go runs the same tests.
