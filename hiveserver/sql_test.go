package hiveserver_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/hiveserver"
	"github.com/shoalhq/shoal/hiveserver/hs2test"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func ordersTable() *shoal.Table {
	return &shoal.Table{Database: "sales", Name: "orders", Format: shoal.FormatParquet, PartitionKeys: []string{"dt", "country"}}
}

func part(t *shoal.Table, vals ...string) *shoal.Partition {
	return &shoal.Partition{Values: vals, Spec: shoal.PartitionSpec(t.PartitionKeys, vals)}
}

var sizes = hiveserver.Sizes{TargetBytes: 128 * shoal.MiB, SmallBytes: 16 * shoal.MiB}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./hiveserver -run Golden -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func render(t *shoal.Table, p *shoal.Partition, stmts []string) string {
	return "-- count\n" + hiveserver.CountSQL(t, p) + "\n-- statements\n" + strings.Join(stmts, ";\n") + "\n"
}

func TestGoldenSQL(t *testing.T) {
	orders := ordersTable()
	cols := []string{"id", "amount", "note"}
	unpart := &shoal.Table{Database: "default", Name: "logs", Format: shoal.FormatRCFile}
	bucketed := &shoal.Table{Database: "sales", Name: "users", PartitionKeys: []string{"dt"}, BucketColumns: []string{"id"}, NumBuckets: 8}
	acid := &shoal.Table{Database: "sales", Name: "events", PartitionKeys: []string{"dt"}, Transactional: true}
	mm := &shoal.Table{Database: "sales", Name: "mm", Transactional: true, TransactionalProperties: "insert_only"}
	weird := &shoal.Table{Database: "we`ird", Name: "t`1", PartitionKeys: []string{"k`ey", "n"}}

	cases := []struct {
		name  string
		table *shoal.Table
		part  *shoal.Partition
		stmts func() ([]string, error)
	}{
		{"insert_overwrite", orders, part(orders, "2024-01-01", "US"), func() ([]string, error) {
			return hiveserver.InsertOverwriteStatements(orders, part(orders, "2024-01-01", "US"), cols, sizes, hiveserver.DialectHive)
		}},
		{"insert_overwrite_unpartitioned", unpart, nil, func() ([]string, error) {
			return hiveserver.InsertOverwriteStatements(unpart, nil, []string{"line"}, hiveserver.Sizes{TargetBytes: 256 * shoal.MiB}, hiveserver.DialectHive)
		}},
		{"insert_overwrite_bucketed", bucketed, part(bucketed, "2024-01-01"), func() ([]string, error) {
			return hiveserver.InsertOverwriteStatements(bucketed, part(bucketed, "2024-01-01"), []string{"id", "name"}, sizes, hiveserver.DialectHive)
		}},
		{"insert_overwrite_null_last_key", orders, part(orders, "2024-01-01", shoal.HiveDefaultPartition), func() ([]string, error) {
			return hiveserver.InsertOverwriteStatements(orders, part(orders, "2024-01-01", shoal.HiveDefaultPartition), cols, sizes, hiveserver.DialectHive)
		}},
		{"insert_overwrite_null_first_key", orders, part(orders, shoal.HiveDefaultPartition, "US"), func() ([]string, error) {
			return hiveserver.InsertOverwriteStatements(orders, part(orders, shoal.HiveDefaultPartition, "US"), cols, sizes, hiveserver.DialectHive)
		}},
		{"insert_overwrite_spark", orders, part(orders, "2024-01-01", "US"), func() ([]string, error) {
			sz := sizes
			sz.PartitionBytes = 300 * shoal.MiB
			return hiveserver.InsertOverwriteStatements(orders, part(orders, "2024-01-01", "US"), cols, sz, hiveserver.DialectSpark)
		}},
		{"insert_overwrite_spark_unknown_size", orders, part(orders, "2024-01-01", "US"), func() ([]string, error) {
			return hiveserver.InsertOverwriteStatements(orders, part(orders, "2024-01-01", "US"), cols, sizes, hiveserver.DialectSpark)
		}},
		{"concatenate_rcfile", orders, part(orders, "2024-01-01", "US"), func() ([]string, error) {
			return hiveserver.ConcatenateStatements(orders, part(orders, "2024-01-01", "US"), shoal.FormatRCFile)
		}},
		{"concatenate_orc_unpartitioned", unpart, nil, func() ([]string, error) {
			return hiveserver.ConcatenateStatements(unpart, nil, shoal.FormatORC)
		}},
		{"compact", acid, part(acid, "2024-01-01"), func() ([]string, error) {
			return hiveserver.CompactStatements(acid, part(acid, "2024-01-01"))
		}},
		{"compact_insert_only_unpartitioned", mm, nil, func() ([]string, error) {
			return hiveserver.CompactStatements(mm, nil)
		}},
		// Injection attempts: quotes, backslashes, semicolons, newlines,
		// variable references and backticks in names.
		{"injection_values", orders, part(orders, "x' OR '1'='1", "a\\'; DROP TABLE sales.orders; --\nb"), func() ([]string, error) {
			return hiveserver.InsertOverwriteStatements(orders, part(orders, "x' OR '1'='1", "a\\'; DROP TABLE sales.orders; --\nb"), cols, sizes, hiveserver.DialectHive)
		}},
		{"injection_variables", orders, part(orders, "${env:HOME}", "${hiveconf:x}\\"), func() ([]string, error) {
			return hiveserver.ConcatenateStatements(orders, part(orders, "${env:HOME}", "${hiveconf:x}\\"), shoal.FormatRCFile)
		}},
		{"injection_identifiers", weird, part(weird, "v`", "1"), func() ([]string, error) {
			return hiveserver.InsertOverwriteStatements(weird, part(weird, "v`", "1"), []string{"c`ol", "x"}, sizes, hiveserver.DialectHive)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stmts, err := c.stmts()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.name, render(c.table, c.part, stmts))
		})
	}
}

// Every statement must lex as Hive would and contain no raw newline and no
// ${ that Hive's variable substitution would expand.
func TestGoldenStatementsAreSingleLine(t *testing.T) {
	orders := ordersTable()
	p := part(orders, "a\nb${x}", "c\r\x00'\\")
	stmts, err := hiveserver.InsertOverwriteStatements(orders, p, []string{"id"}, sizes, hiveserver.DialectHive)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(stmts, hiveserver.CountSQL(orders, p)) {
		if strings.ContainsAny(s, "\n\r\x00") || strings.Contains(s, "${") {
			t.Errorf("statement not safe: %q", s)
		}
	}
}

func TestChoose(t *testing.T) {
	orders := ordersTable()
	acid := &shoal.Table{Database: "d", Name: "acid", Transactional: true}
	bucketed := &shoal.Table{Database: "d", Name: "b", BucketColumns: []string{"id"}, NumBuckets: 4}
	header := &shoal.Table{Database: "d", Name: "csv", HeaderLines: 1}
	footer := &shoal.Table{Database: "d", Name: "csv2", Params: map[string]string{"skip.footer.line.count": "2"}}
	headerParam := &shoal.Table{Database: "d", Name: "csv3", Params: map[string]string{"skip.header.line.count": "1"}}
	view := &shoal.Table{Database: "d", Name: "v", Type: shoal.TableView}
	orcAbove := hiveserver.ChooseOptions{ConcatenateORCAbove: shoal.GiB}
	spark := hiveserver.ChooseOptions{Dialect: hiveserver.DialectSpark}

	cases := []struct {
		name   string
		t      *shoal.Table
		f      shoal.Format
		bytes  int64
		opts   hiveserver.ChooseOptions
		want   hiveserver.Strategy
		refuse string
	}{
		{"parquet", orders, shoal.FormatParquet, shoal.GiB, orcAbove, hiveserver.StrategyInsertOverwrite, ""},
		{"rcfile", orders, shoal.FormatRCFile, 1, hiveserver.ChooseOptions{}, hiveserver.StrategyConcatenate, ""},
		{"orc small", orders, shoal.FormatORC, shoal.GiB - 1, orcAbove, hiveserver.StrategyInsertOverwrite, ""},
		{"orc large", orders, shoal.FormatORC, shoal.GiB, orcAbove, hiveserver.StrategyConcatenate, ""},
		{"orc never", orders, shoal.FormatORC, 10 * shoal.TiB, hiveserver.ChooseOptions{}, hiveserver.StrategyInsertOverwrite, ""},
		{"acid", acid, shoal.FormatORC, 1, orcAbove, hiveserver.StrategyCompact, ""},
		{"acid text", acid, shoal.FormatText, 1, orcAbove, hiveserver.StrategyCompact, ""},
		{"bucketed rcfile", bucketed, shoal.FormatRCFile, 1, orcAbove, hiveserver.StrategyInsertOverwrite, ""},
		{"sequencefile", orders, shoal.FormatSequence, 1, orcAbove, hiveserver.StrategyInsertOverwrite, ""},
		{"header", header, shoal.FormatText, 1, orcAbove, "", "skip.header.line.count=1"},
		{"header param", headerParam, shoal.FormatText, 1, orcAbove, "", "skip.header.line.count=1"},
		{"footer", footer, shoal.FormatText, 1, orcAbove, "", "skip.footer.line.count=2"},
		{"view", view, shoal.FormatText, 1, orcAbove, "", "is a view"},
		{"mixed", orders, shoal.FormatMixed, 1, orcAbove, "", "mixes file formats"},
		{"spark rcfile", orders, shoal.FormatRCFile, 1, spark, hiveserver.StrategyInsertOverwrite, ""},
		{"spark acid", acid, shoal.FormatORC, 1, spark, "", "Spark SQL cannot compact"},
		{"spark bucketed", bucketed, shoal.FormatParquet, 1, spark, "", "bucketed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := hiveserver.Choose(c.t, c.f, c.bytes, c.opts)
			if c.refuse != "" {
				var re *shoal.RefusalError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), c.refuse) {
					t.Fatalf("got %q, %v; want a refusal containing %q", got, err, c.refuse)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestStatementRefusals(t *testing.T) {
	orders := ordersTable()
	p := part(orders, "2024-01-01", "US")
	acid := &shoal.Table{Database: "d", Name: "acid", Transactional: true}
	bucketed := &shoal.Table{Database: "d", Name: "b", BucketColumns: []string{"id"}, NumBuckets: 4}
	header := &shoal.Table{Database: "d", Name: "csv", HeaderLines: 2}
	refusal := func(err error) bool { var re *shoal.RefusalError; return errors.As(err, &re) }

	if _, err := hiveserver.InsertOverwriteStatements(header, nil, []string{"a"}, sizes, hiveserver.DialectHive); !refusal(err) || !strings.Contains(err.Error(), "drop the header") {
		t.Errorf("header: %v", err)
	}
	if _, err := hiveserver.InsertOverwriteStatements(acid, nil, []string{"a"}, sizes, hiveserver.DialectHive); !refusal(err) {
		t.Errorf("acid insert overwrite: %v", err)
	}
	if _, err := hiveserver.ConcatenateStatements(bucketed, nil, shoal.FormatRCFile); !refusal(err) {
		t.Errorf("bucketed concatenate: %v", err)
	}
	if _, err := hiveserver.ConcatenateStatements(acid, nil, shoal.FormatORC); !refusal(err) {
		t.Errorf("acid concatenate: %v", err)
	}
	if _, err := hiveserver.CompactStatements(orders, p); !refusal(err) {
		t.Errorf("non-acid compact: %v", err)
	}
	if _, err := hiveserver.InsertOverwriteStatements(orders, p, []string{"id", "dt"}, sizes, hiveserver.DialectHive); shoal.ErrorCode(err) != shoal.EINVALID {
		t.Errorf("partition key among columns: %v", err)
	}
	if _, err := hiveserver.InsertOverwriteStatements(orders, p, nil, sizes, hiveserver.DialectHive); shoal.ErrorCode(err) != shoal.EINVALID {
		t.Errorf("no columns: %v", err)
	}
	if _, err := hiveserver.InsertOverwriteStatements(orders, part(orders, "x"), []string{"id"}, sizes, hiveserver.DialectHive); shoal.ErrorCode(err) != shoal.EINVALID {
		t.Errorf("too few values: %v", err)
	}
	if _, err := hiveserver.ConcatenateStatements(orders, nil, shoal.FormatRCFile); shoal.ErrorCode(err) != shoal.EINVALID {
		t.Errorf("partitioned table without partition: %v", err)
	}
}

func TestParseDescribe(t *testing.T) {
	orders := ordersTable()
	names := []string{"id                  ", "amount", "note", "dt", "country", "", "# Partition Information", "# col_name", "", "dt", "country"}
	got, err := hiveserver.ParseDescribe(orders, names)
	if err != nil || strings.Join(got, ",") != "id,amount,note" {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := hiveserver.ParseDescribe(orders, []string{"# Partition Information"}); err == nil {
		t.Fatal("no columns: want an error")
	}
}

func TestParseCompactions(t *testing.T) {
	cols := []string{"compactionid", "dbname", "tabname", "partname", "type", "state", "errormessage"}
	rows := [][]any{
		{int64(0), "Database", "Table", "Partition", "Type", "State", "Error message"},
		{int64(7), "sales", "events", "dt=2024-01-01", "MAJOR", "failed", "boom"},
	}
	got := hiveserver.ParseCompactions(cols, rows)
	if len(got) != 1 || got[0].ID != "7" || got[0].State != "failed" || got[0].Error != "boom" || got[0].Partition != "dt=2024-01-01" {
		t.Fatalf("got %+v", got)
	}
	// Hive 4 names, no header row.
	got = hiveserver.ParseCompactions([]string{"CompactionId", "Database", "Table", "Partition", "Type", "State"},
		[][]any{{"3", "d", "t", "---", "MAJOR", "succeeded"}})
	if len(got) != 1 || got[0].ID != "3" || got[0].Table != "t" {
		t.Fatalf("got %+v", got)
	}
}

// FuzzQuote checks that a quoted literal decodes, by Hive's rules, to the
// original string, stays on one line, cannot end early and never contains
// "${".
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "a", "it's", `a\b`, "x' OR '1'='1", "a;b", "l1\nl2", "${env:HOME}", "\\'", "\x00\x7f", "é漢字", `\044`, "$"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := hiveserver.QuoteString(s)
		if len(q) < 2 || q[0] != '\'' || q[len(q)-1] != '\'' {
			t.Fatalf("not quoted: %q", q)
		}
		body := q[1 : len(q)-1]
		for i := 0; i < len(body); i++ {
			switch body[i] {
			case '\\':
				i++ // escaped
			case '\'':
				t.Fatalf("unescaped quote in %q", q)
			}
		}
		if strings.ContainsAny(q, "\n\r\x00") || strings.Contains(q, "${") {
			t.Fatalf("unsafe literal %q", q)
		}
		if got := hs2test.UnescapeHive(body); got != s {
			t.Fatalf("QuoteString(%q) = %s decodes to %q", s, q, got)
		}
		id := hiveserver.QuoteIdent(s)
		if strings.Count(id[1:len(id)-1], "`")%2 != 0 {
			t.Fatalf("QuoteIdent(%q) = %s", s, id)
		}
	})
}
