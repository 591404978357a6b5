// Package storetest is the contract test suite of shoal.Store. Every store
// implementation runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) shoal.Store { return openTestStore(t) })
//	}
//
// The suite pins down what the interface comments leave open:
//
//   - Times come back in UTC, truncated to microseconds; zero times stay zero.
//   - CreateScan stores an empty state as queued. UpdateScan returns
//     ECONFLICT when it would change the state of a final scan; setting the
//     state a final scan already has is not a change.
//   - Snapshots are ordered by finish time, then by id.
//   - A snapshot's statistics are visible only once its scan has succeeded:
//     before that, reads return ENOTFOUND.
//   - Writing a partition or table again replaces it.
//   - Sorted lists break ties by name ("db.table" for tables, the spec for
//     partitions), in the direction of the sort, and across a snapshot then
//     by an internal id, so that paging never repeats or skips rows. The
//     zero time sorts before every other time.
//   - Search is a case-insensitive substring in which % and _ are literal.
//   - Trend limits and PruneSnapshots keep counts reject negative values with
//     EINVALID; a trend limit of 0 means shoal.DefaultLimit.
//   - Trends count only succeeded snapshots that still hold table
//     statistics; PruneSnapshots keeps those and counts only the snapshots
//     that still had partition statistics.
//
// RunLoad, with SyntheticTable, Fill and Measure, checks the latency of the
// hot queries on a large synthetic snapshot; stores run it from a test that
// is skipped unless asked for.
package storetest
