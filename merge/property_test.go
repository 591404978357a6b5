package merge_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/hamba/avro/v2/ocf"
	"github.com/parquet-go/parquet-go"
	"github.com/scritchley/orc"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/merge"
	"github.com/shoalhq/shoal/merge/internal/rows"
)

// The property: for random partitions (file counts, sizes, schemas,
// codecs, modes), a merge either refuses and changes nothing, or ends with
// exactly the rows it started with.

type narrow struct {
	ID   int64  `parquet:"id"`
	Name string `parquet:"name,optional"`
}

type wide struct {
	ID    int64   `parquet:"id"`
	Name  string  `parquet:"name,optional"`
	Score float64 `parquet:"score"`
	Tags  []int32 `parquet:"tags,list"`
}

var parquetCodecs = []parquet.WriterOption{
	parquet.Compression(&parquet.Snappy), parquet.Compression(&parquet.Gzip),
	parquet.Compression(&parquet.Zstd), parquet.Compression(&parquet.Uncompressed),
}

func genParquet(r *rand.Rand, n int, codec parquet.WriterOption, schema int) []byte {
	var buf bytes.Buffer
	rgRows := 1 + r.IntN(200)
	if schema == 0 {
		w := parquet.NewGenericWriter[narrow](&buf, codec, parquet.MaxRowsPerRowGroup(int64(rgRows)))
		for i := range n {
			_, _ = w.Write([]narrow{{ID: r.Int64(), Name: strconv.Itoa(i) + strings.Repeat("n", r.IntN(30))}})
		}
		_ = w.Close()
	} else {
		w := parquet.NewGenericWriter[wide](&buf, codec, parquet.MaxRowsPerRowGroup(int64(rgRows)))
		for range n {
			tags := make([]int32, r.IntN(4))
			for j := range tags {
				tags[j] = r.Int32()
			}
			_, _ = w.Write([]wide{{ID: r.Int64(), Name: fmt.Sprint(r.Float64()), Score: r.NormFloat64(), Tags: tags}})
		}
		_ = w.Close()
	}
	return buf.Bytes()
}

var avroSchemas = []string{
	`{"type":"record","name":"r","fields":[{"name":"id","type":"long"},{"name":"s","type":["null","string"]}]}`,
	`{"type":"record","name":"r","fields":[{"name":"id","type":"long"},{"name":"s","type":["null","string"]},{"name":"d","type":"double"}]}`,
}

func genAvro(r *rand.Rand, n int, codec ocf.CodecName, schema int) []byte {
	var buf bytes.Buffer
	enc, err := ocf.NewEncoder(avroSchemas[schema], &buf, ocf.WithCodec(codec), ocf.WithBlockLength(1+r.IntN(100)))
	if err != nil {
		panic(err)
	}
	for i := range n {
		rec := map[string]any{"id": r.Int64(), "s": nil, "d": r.Float64()}
		if i%3 != 0 {
			rec["s"] = strconv.Itoa(r.IntN(1000))
		}
		if schema == 0 {
			delete(rec, "d")
		}
		if err := enc.Encode(rec); err != nil {
			panic(err)
		}
	}
	_ = enc.Close()
	return buf.Bytes()
}

func genORC(r *rand.Rand, n int, zlib bool) []byte {
	var buf bytes.Buffer
	td, _ := orc.ParseSchema("struct<id:bigint,name:string>")
	codec := orc.CompressionCodec(orc.CompressionNone{})
	if zlib {
		codec = orc.CompressionZlib{}
	}
	w, err := orc.NewWriter(&buf, orc.SetSchema(td), orc.SetCompression(codec))
	if err != nil {
		panic(err)
	}
	for i := range n {
		_ = w.Write(r.Int64(), "row"+strconv.Itoa(i))
	}
	_ = w.Close()
	return buf.Bytes()
}

func genText(r *rand.Rand, n int, gz, trailingNewline bool) []byte {
	var b strings.Builder
	for i := range n {
		b.WriteString(strconv.Itoa(r.IntN(1e6)) + "\x01" + strconv.Itoa(i))
		if i < n-1 || trailingNewline {
			b.WriteString("\n")
		}
	}
	if !gz {
		return []byte(b.String())
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(b.String()))
	_ = zw.Close()
	return buf.Bytes()
}

// randomPartition returns the files of a random partition of one format,
// with one schema and codec, or (rarely) a second schema or codec mixed in.
func randomPartition(r *rand.Rand) (string, map[string][]byte) {
	files := map[string][]byte{}
	count := 2 + r.IntN(12)
	format := []string{"parquet", "avro", "orc", "text"}[r.IntN(4)]
	mixSchema := r.IntN(5) == 0
	mixCodec := r.IntN(4) == 0
	pc := parquetCodecs[r.IntN(len(parquetCodecs))]
	ac := []ocf.CodecName{ocf.Null, ocf.Deflate, ocf.Snappy, ocf.ZStandard}[r.IntN(4)]
	zlib := r.IntN(2) == 0
	gz := r.IntN(2) == 0
	for i := range count {
		schema := 0
		if mixSchema && i == count-1 {
			schema = 1
		}
		n := r.IntN(300) // some files are empty of rows
		name := fmt.Sprintf("part-%05d", i)
		switch format {
		case "parquet":
			c := pc
			if mixCodec && i == 0 {
				c = parquetCodecs[r.IntN(len(parquetCodecs))]
			}
			files[name+".parquet"] = genParquet(r, n, c, schema)
		case "avro":
			c := ac
			if mixCodec && i == 0 {
				c = ocf.Deflate
			}
			files[name+".avro"] = genAvro(r, n, c, schema)
		case "orc":
			files[name+".orc"] = genORC(r, n, zlib != (mixCodec && i == 0))
		case "text":
			if gz {
				files[name+".gz"] = genText(r, n, true, r.IntN(2) == 0)
			} else {
				files[name+".txt"] = genText(r, n, false, r.IntN(2) == 0)
			}
		}
	}
	return format, files
}

func TestProperty_MergedRowsEqualInputRows(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 8
	}
	if n, err := strconv.Atoi(os.Getenv("SHOAL_SOAK")); err == nil && n > 0 {
		seeds = n * 4
	}
	base := rand.Uint64()
	merged := 0
	for i := range seeds {
		seed := base + uint64(i)
		r := rand.New(rand.NewPCG(seed, 7))
		format, files := randomPartition(r)
		mode := []shoal.MergeMode{shoal.ModeAuto, shoal.ModeConcat, shoal.ModeRewrite}[r.IntN(3)]
		t.Run(fmt.Sprintf("%d-%s-%s", seed, format, mode), func(t *testing.T) {
			root := t.TempDir()
			dir := writePartition(t, root, "t", files)
			before := mustRows(t, dir)
			env := newEnv(t, root)
			ctx := t.Context()
			j, err := env.engine.Create(ctx, merge.PlanRequest{Database: "db", Table: "t", Mode: mode}, "property")
			if err != nil {
				t.Fatal(err)
			}
			if j.Plan.Runnable() {
				if j, err = env.engine.Run(ctx, j.ID); err != nil {
					t.Fatal(err)
				}
				if j.State == shoal.MergeSucceeded {
					merged++
				} else {
					t.Logf("merge failed safely: %s", j.Error)
				}
			} else {
				t.Logf("refused: %s", firstReason(j.Plan))
			}
			if after := mustRows(t, dir); !rows.Same(after, before) {
				t.Fatalf("rows differ: %d before, %d after (job %s %q)", len(before), len(after), j.State, j.Error)
			}
			if l := leftovers(t, root); len(l) > 0 {
				t.Fatalf("left over: %v", l)
			}
		})
	}
	if merged < seeds/3 {
		t.Errorf("only %d of %d random partitions merged", merged, seeds)
	}
}
