package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver
	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/demo"
	"github.com/shoalhq/shoal/merge/parquet"
)

// duckMemoryLimit bounds DuckDB's memory in these tests.
const duckMemoryLimit = "4GB"

// hugeMemoryLimit is DuckDB's memory limit while it reads a real file
// whose values are of a gigabyte: it allocates 2 GiB twice for each.
const hugeMemoryLimit = "8GB"

// copies is how many copies of a real file one merge concatenates.
const copies = 3

// minConcatPass is how many real files must merge in concat mode and read
// back the same in DuckDB.
const minConcatPass = 25

// realdataDir returns the folder of real files: $SHOAL_REALDATA, or
// ../../../shared/realdata from this module's folder (the shared/ folder
// beside the repository). It skips the test when the folder is absent, or
// fails it with SHOAL_REQUIRE_REALDATA=1, as CI sets.
func realdataDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SHOAL_REALDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "realdata")
	}
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("SHOAL_REQUIRE_REALDATA") == "1" {
			t.Fatalf("real data required but missing: %v (set SHOAL_REALDATA or check out beside ../shared)", err)
		}
		t.Skipf("real data not found: %v (see ../shared/realdata/CATALOG.md)", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

var (
	dbOnce sync.Once
	db     *sql.DB
	dbErr  error
)

// duck returns the shared in-memory DuckDB database.
func duck(t *testing.T) *sql.DB {
	t.Helper()
	dbOnce.Do(func() {
		db, dbErr = sql.Open("duckdb", "")
		if dbErr != nil {
			return
		}
		// One connection, so that the settings hold for every query, and a
		// memory limit well below the machine's (DuckDB's default is 80%
		// of it), which other processes share.
		db.SetMaxOpenConns(1)
		_, dbErr = db.Exec("SET memory_limit = '" + duckMemoryLimit + "'")
	})
	if dbErr != nil {
		t.Fatalf("open DuckDB: %v", dbErr)
	}
	return db
}

// sqlString quotes s as a SQL string literal.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// scan is a SQL relation reading one Parquet file. Hive partitioning is
// off: DuckDB would otherwise add a column for every k=v folder in a path.
func scan(path string) string {
	return "SELECT * FROM read_parquet(" + sqlString(path) + ", hive_partitioning = false)"
}

// scanAll is a SQL relation with the rows of every path, in order; a path
// may repeat. Few paths are read one by one with UNION ALL, many with one
// read_parquet of a list (which must then hold distinct paths).
func scanAll(paths []string) string {
	if len(paths) <= copies {
		parts := make([]string, len(paths))
		for i, p := range paths {
			parts[i] = "(" + scan(p) + ")"
		}
		return strings.Join(parts, " UNION ALL ")
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = sqlString(p)
	}
	return "SELECT * FROM read_parquet([" + strings.Join(quoted, ", ") + "], hive_partitioning = false)"
}

func count(ctx context.Context, db *sql.DB, relation string) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM ("+relation+")").Scan(&n)
	return n, err
}

// columns returns DuckDB's rendering of a relation's columns, "name TYPE".
func columns(ctx context.Context, db *sql.DB, relation string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "DESCRIBE "+relation)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		// column_name, column_type, null, key, default, extra
		out = append(out, vals[0].String+" "+vals[1].String)
	}
	return out, rows.Err()
}

// compareInDuckDB reads the merged output and the inputs with DuckDB and
// checks that they hold the same columns and the same rows as multisets:
// equal counts, and nothing left in either direction of EXCEPT ALL over the
// rows rendered as strings (each row as DuckDB's text of the row struct, so
// that every column type compares, maps and floats included). With digest,
// rows are compared by the MD5 of that text, for rows of gigabytes.
func compareInDuckDB(t *testing.T, out string, inputs []string, wantRows int64, digest bool) {
	t.Helper()
	ctx := context.Background()
	db := duck(t)
	if digest {
		compareDigests(t, db, out, inputs, wantRows)
		return
	}
	in, merged := scanAll(inputs), scan(out)

	inCols, err := columns(ctx, db, "("+scan(inputs[0])+")")
	if err != nil {
		t.Fatalf("DuckDB describe input: %v", err)
	}
	outCols, err := columns(ctx, db, "("+merged+")")
	if err != nil {
		t.Fatalf("DuckDB cannot read the merged file: %v", err)
	}
	if !slices.Equal(inCols, outCols) {
		t.Errorf("DuckDB columns differ:\n input:  %v\n output: %v", inCols, outCols)
	}

	nIn, err := count(ctx, db, in)
	if err != nil {
		t.Fatalf("DuckDB count input: %v", err)
	}
	nOut, err := count(ctx, db, merged)
	if err != nil {
		t.Fatalf("DuckDB count merged file: %v", err)
	}
	if nIn != nOut || nOut != wantRows {
		t.Fatalf("row counts: DuckDB reads %d input rows and %d output rows; the merger wrote %d", nIn, nOut, wantRows)
	}

	render := func(rel string) string {
		if digest {
			return "SELECT md5(CAST(r AS VARCHAR)) AS row FROM (" + rel + ") AS r"
		}
		return "SELECT CAST(r AS VARCHAR) AS row FROM (" + rel + ") AS r"
	}
	var extra, missing int64
	q := fmt.Sprintf(`SELECT
		(SELECT count(*) FROM (%[1]s EXCEPT ALL %[2]s)),
		(SELECT count(*) FROM (%[2]s EXCEPT ALL %[1]s))`, render(merged), render(in))
	if err := db.QueryRowContext(ctx, q).Scan(&extra, &missing); err != nil {
		t.Fatalf("DuckDB compare rows: %v", err)
	}
	if extra != 0 || missing != 0 {
		t.Errorf("rows differ: %d output rows not in the inputs, %d input rows not in the output", extra, missing)
		if !digest {
			showDiff(t, db, render(merged), render(in))
		}
	}
}

// compareDigests compares the rows of out and inputs as multisets of MD5
// digests of their renderings, reading one file at a time with one DuckDB
// thread: rows of a gigabyte do not fit DuckDB's memory limit in a set
// operation over several files.
func compareDigests(t *testing.T, db *sql.DB, out string, inputs []string, wantRows int64) {
	t.Helper()
	ctx := context.Background()
	debug.FreeOSMemory()
	if _, err := db.ExecContext(ctx, "SET threads = 1; SET memory_limit = '"+hugeMemoryLimit+"'"); err != nil {
		t.Fatal(err)
	}
	defer db.ExecContext(ctx, "RESET threads; SET memory_limit = '"+duckMemoryLimit+"'")
	cache := map[string][]string{}
	digests := func(path string) []string {
		if d, ok := cache[path]; ok {
			return d
		}
		rows, err := db.QueryContext(ctx, "SELECT md5(CAST(r AS VARCHAR)) FROM ("+scan(path)+") AS r")
		if err != nil {
			t.Fatalf("DuckDB reading %s: %v", filepath.Base(path), err)
		}
		defer rows.Close()
		var d []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			d = append(d, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("DuckDB reading %s: %v", filepath.Base(path), err)
		}
		cache[path] = d
		return d
	}
	var want []string
	for _, p := range inputs {
		want = append(want, digests(p)...)
	}
	got := digests(out)
	if int64(len(got)) != wantRows || len(want) != len(got) {
		t.Fatalf("row counts: DuckDB reads %d input rows and %d output rows; the merger wrote %d", len(want), len(got), wantRows)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(want, got) {
		t.Errorf("rows differ (compared by MD5 of DuckDB's rendering)")
	}
}

// showDiff logs a few rows of each side of a failed comparison.
func showDiff(t *testing.T, db *sql.DB, out, in string) {
	t.Helper()
	for _, side := range []struct{ name, q string }{
		{"only in output", out + " EXCEPT ALL " + in},
		{"only in inputs", in + " EXCEPT ALL " + out},
	} {
		rows, err := db.Query("SELECT left(row, 300) FROM (" + side.q + ") LIMIT 3")
		if err != nil {
			t.Logf("%s: %v", side.name, err)
			continue
		}
		for rows.Next() {
			var s string
			if rows.Scan(&s) == nil {
				t.Logf("%s: %s", side.name, s)
			}
		}
		rows.Close()
	}
}

// mergeFiles inspects paths with m and merges them in mode into a new file
// under dir. A refusal, by Inspect or by Merge, is returned as is; the
// caller decides whether it counts as a failure.
func mergeFiles(ctx context.Context, m shoal.Merger, paths []string, mode shoal.MergeMode, out string) (*shoal.MergeResult, error) {
	inputs := make([]shoal.MergeInput, len(paths))
	metas := make([]*shoal.FileMeta, len(paths))
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		inputs[i] = shoal.MergeInput{Name: filepath.Base(p), Size: st.Size(), R: f}
		if metas[i], err = m.Inspect(ctx, inputs[i]); err != nil {
			return nil, &inspectError{err}
		}
	}
	w, err := os.Create(out)
	if err != nil {
		return nil, err
	}
	res, err := m.Merge(ctx, w, inputs, metas, shoal.MergeOptions{Mode: mode})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if res.Bytes != 0 {
		if st, err := os.Stat(out); err == nil && st.Size() != res.Bytes {
			return nil, fmt.Errorf("merger says it wrote %d bytes, the file has %d", res.Bytes, st.Size())
		}
	}
	return res, nil
}

// inspectError marks an error of Inspect: the merger refuses the file.
type inspectError struct{ err error }

func (e *inspectError) Error() string { return "Inspect: " + e.err.Error() }
func (e *inspectError) Unwrap() error { return e.err }

// refused reports whether err is the merger declining the input (an
// Inspect error or a RefusalError), as opposed to a failed merge.
func refused(err error) bool {
	var ie *inspectError
	var re *shoal.RefusalError
	return errors.As(err, &ie) || errors.As(err, &re)
}

// verify re-reads the output with the merger's own reader.
func verify(t *testing.T, m shoal.Merger, out string, wantRows int64) {
	t.Helper()
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	meta, err := m.Verify(context.Background(), shoal.MergeInput{Name: filepath.Base(out), Size: st.Size(), R: f})
	if err != nil {
		t.Fatalf("Verify(merged): %v", err)
	}
	if meta.Rows != wantRows {
		t.Fatalf("Verify(merged) counted %d rows, the merge wrote %d", meta.Rows, wantRows)
	}
}

// TestRealParquet merges three copies of every real Parquet file with the
// Shoal merger, in concat and rewrite mode, and checks with DuckDB that the
// output holds the inputs' rows.
func TestRealParquet(t *testing.T) {
	dir := filepath.Join(realdataDir(t), "parquet")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.Contains(e.Name(), ".parquet") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		t.Fatalf("no Parquet files in %s", dir)
	}
	ctx := context.Background()
	db := duck(t)
	m := parquet.New()
	modes := []shoal.MergeMode{shoal.ModeConcat, shoal.ModeRewrite}

	var (
		mu          sync.Mutex
		duckSkipped []string
		passed      = map[shoal.MergeMode][]string{}
		refusals    = map[shoal.MergeMode][]string{}
	)
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			huge := isHuge(ctx, db, path)
			if huge && testing.Short() {
				t.Skip("skipped in -short: a column chunk of 100 MB or more")
			}
			// DuckDB must decode every value of the input (count(*) alone
			// reads only the footer); a huge file is decoded by the
			// comparison itself.
			probe := "SELECT count(*) FROM (" + scan(path) + ")"
			if !huge {
				probe = "SELECT max(length(CAST(r AS VARCHAR))) FROM (" + scan(path) + ") AS r"
			}
			var discard sql.NullInt64
			if err := db.QueryRowContext(ctx, probe).Scan(&discard); err != nil {
				t.Logf("skipped: DuckDB cannot read it: %v", firstLine(err))
				mu.Lock()
				duckSkipped = append(duckSkipped, name+" ("+firstLine(err)+")")
				mu.Unlock()
				return
			}
			paths := make([]string, copies)
			for i := range paths {
				paths[i] = path
			}
			for _, mode := range modes {
				t.Run(string(mode), func(t *testing.T) {
					if huge && mode == shoal.ModeRewrite {
						// Decoding and encoding values of a gigabyte takes
						// several GiB of memory; the merger's own suite
						// concatenates this file and does not rewrite it.
						t.Skip("skipped: rewrite of a column chunk of 100 MB or more")
					}
					out := filepath.Join(t.TempDir(), "merged.parquet")
					start := time.Now()
					res, err := mergeFiles(ctx, m, paths, mode, out)
					if refused(err) {
						t.Logf("refused by the Shoal merger: %v", err)
						mu.Lock()
						refusals[mode] = append(refusals[mode], name+": "+firstLine(err))
						mu.Unlock()
						return
					}
					if err != nil {
						t.Fatalf("Merge(%s): %v", mode, err)
					}
					verify(t, m, out, res.Rows)
					compareInDuckDB(t, out, paths, res.Rows, huge)
					if !t.Failed() {
						mu.Lock()
						passed[mode] = append(passed[mode], name)
						mu.Unlock()
						t.Logf("%d rows, %v", res.Rows, time.Since(start).Round(time.Millisecond))
					}
				})
			}
		})
	}

	t.Logf("summary: %d real Parquet files; DuckDB cannot read %d", len(files), len(duckSkipped))
	for _, s := range duckSkipped {
		t.Logf("summary:   skipped, DuckDB cannot read %s", s)
	}
	for _, mode := range modes {
		t.Logf("summary: %-7s passed %d, refused by Shoal %d", mode, len(passed[mode]), len(refusals[mode]))
		for _, r := range refusals[mode] {
			t.Logf("summary:   refused (%s) %s", mode, r)
		}
	}
	if n := len(passed[shoal.ModeConcat]); n < minConcatPass && !testing.Short() {
		t.Errorf("only %d real files passed in concat mode, want at least %d", n, minConcatPass)
	}
}

// isHuge reports whether a file holds a value of 100 MB or more (a real file
// holds 1 GiB strings), which takes long to merge three times and compare.
func isHuge(ctx context.Context, db *sql.DB, path string) bool {
	var n sql.NullInt64
	q := "SELECT max(total_uncompressed_size) FROM parquet_metadata(" + sqlString(path) + ")"
	// An unreadable footer is not huge; the probe that follows says why.
	if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return false
	}
	return n.Int64 >= 100<<20
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// TestDemoParquet generates the demo warehouse and merges the files of each
// partition of its streaming and batch Parquet tables, in both modes, and
// checks the outputs with DuckDB.
func TestDemoParquet(t *testing.T) {
	ctx := context.Background()
	man, err := demo.Generate(ctx, demo.Options{Dir: filepath.Join(t.TempDir(), "warehouse"), Seed: 1, Scale: 0.3})
	if err != nil {
		t.Fatalf("generate demo: %v", err)
	}
	m := parquet.New()
	var merged int
	for _, tn := range [][2]string{{"web", "clickstream"}, {"sales", "orders"}} {
		tm := man.Table(tn[0], tn[1])
		if tm == nil {
			t.Fatalf("demo has no table %s.%s", tn[0], tn[1])
		}
		for _, pm := range tm.Partitions {
			paths, err := dataFiles(pm.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(paths) == 0 {
				continue
			}
			for _, mode := range []shoal.MergeMode{shoal.ModeConcat, shoal.ModeRewrite} {
				t.Run(tm.Table+"/"+pm.Spec+"/"+string(mode), func(t *testing.T) {
					out := filepath.Join(t.TempDir(), "merged.parquet")
					res, err := mergeFiles(ctx, m, paths, mode, out)
					if err != nil {
						t.Fatalf("Merge(%s) of %d files: %v", mode, len(paths), err)
					}
					if res.Rows != pm.Rows {
						t.Errorf("merged %d rows, the demo manifest says %d", res.Rows, pm.Rows)
					}
					verify(t, m, out, res.Rows)
					compareInDuckDB(t, out, paths, res.Rows, false)
					merged++
				})
			}
		}
	}
	t.Logf("summary: %d demo partition merges checked with DuckDB", merged)
	if merged == 0 {
		t.Fatal("no demo partition merged")
	}
}

// dataFiles lists a partition's visible, non-empty data files, as the merge
// engine would pick them: hidden files (_SUCCESS, .crc, _temporary/) and
// zero-byte files are left out.
func dataFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), "_") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		if info.Size() > 0 {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out, nil
}
