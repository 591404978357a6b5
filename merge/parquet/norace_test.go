//go:build !race

package parquet

// raceEnabled reports whether the tests run under the race detector.
const raceEnabled = false
