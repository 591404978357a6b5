# Database migration safety (docs/operations/database-migration-guide.md):
# the migration tests of both stores and of `shoal migrate`, the backup and
# restore test, and the 1,000,000-row migration benchmark.


.PHONY: test-migrations
test-migrations: ## Migration tests on PostgreSQL and SQLite: up twice, down and up, statements re-run, invalid indexes, `shoal migrate --to`.
	SHOAL_TEST_POSTGRES=$${SHOAL_TEST_POSTGRES-$(PG_URL)} SHOAL_REQUIRE_INTEGRATION=1 \
		$(GO) test -count=1 -run 'TestMigrate|TestStore_Migrate|TestLatestIn' ./store/postgres/ ./store/sqlite/ ./store/internal/schema/
	SHOAL_TEST_POSTGRES=$${SHOAL_TEST_POSTGRES-$(PG_URL)} SHOAL_REQUIRE_INTEGRATION=1 \
		$(GO) test -count=1 -run 'TestMigrateCommand' ./cmd/shoal/

.PHONY: test-backup-restore
test-backup-restore: ## pg_dump and pg_restore of a store filled by the binary: row counts and checksums of every table.
	PG_URL='$(PG_URL)' ./scripts/db/backup_restore_test.sh

# test-migrations is not in TEST_TARGETS: test-go runs the same tests.
TEST_TARGETS += test-backup-restore

.PHONY: bench-migrate
bench-migrate: ## Migrate a PostgreSQL store of 1,000,000 partition rows to the newest schema (budget 5 minutes).
	PG_URL='$(PG_URL)' ./scripts/bench-migrate.sh
