# Documentation: the tested shell blocks of the docs, and the dashboard
# screenshots the guides show.

.PHONY: test-docs
test-docs: ## Run every ```sh {test} block of the docs (test/doctest).
	PATH="$(TOOLS_BIN):$$PATH" SHOAL_TEST_DOCS=1 $(GO) test -count=1 -timeout 30m -v -run 'TestDocs|TestParse' ./test/doctest/ 2>&1 | grep -v -E '^ *=== (RUN|PAUSE|CONT|NAME)'; exit $${PIPESTATUS[0]}

TEST_TARGETS += test-docs

.PHONY: screenshots
screenshots: ui ## Refresh the guides' dashboard screenshots (docs/operations/img) with the browser test.
	SKIP_WEB_BUILD=1 E2E_SHOTS_DIR=docs/operations/img E2E_SCREENSHOT=docs/img/dashboard.png ./scripts/e2e.sh
