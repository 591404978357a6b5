// Package duckdb holds Shoal's checks and benchmarks against DuckDB, in a
// module of its own so that the main module does not depend on cgo or on
// DuckDB: conformance_test.go reads the mergers' outputs back with DuckDB,
// and cmd/mergebench measures the mergers against cat and DuckDB.
package duckdb
