// Package rows reads every row of a data file as a canonical string, with
// readers that do not share code with the mergers' byte-level paths, so
// that tests can compare the rows of a partition before and after a merge
// as multisets.
package rows

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/hamba/avro/v2/ocf"
	"github.com/parquet-go/parquet-go"
	"github.com/scritchley/orc"

	"github.com/shoalhq/shoal"
)

// File reads the rows of the file at path, detecting its format from its
// first bytes.
func File(path string) ([]string, error) {
	f, err := os.Open(path) //nolint:gosec // test and benchmark input
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch shoal.DetectFormat(head[:n]) {
	case shoal.FormatParquet:
		return readParquet(f, st.Size())
	case shoal.FormatORC:
		return readORC(f, st.Size())
	case shoal.FormatAvro:
		return readAvro(f)
	case shoal.FormatTextGzip:
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		return lines(zr)
	case shoal.FormatTextBzip2:
		return lines(bzip2.NewReader(f))
	default:
		return lines(f)
	}
}

// Dir reads the rows of every visible file in dir.
func Dir(dir string) ([]string, error) { return DirHeader(dir, 0) }

// DirHeader is Dir for a text table with header lines: the first n lines
// of each file are not rows.
func DirHeader(dir string, n int) ([]string, error) {
	es, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range es {
		if e.IsDir() || shoal.IsHidden(e.Name()) {
			continue
		}
		rs, err := File(dir + "/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		out = append(out, rs[min(n, len(rs)):]...)
	}
	return out, nil
}

// Same reports whether two row lists are equal as multisets.
func Same(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func lines(r io.Reader) ([]string, error) {
	var out []string
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			out = append(out, strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"))
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func readParquet(r io.ReaderAt, size int64) ([]string, error) {
	pf, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rg := range pf.RowGroups() {
		rr := rg.Rows()
		buf := make([]parquet.Row, 128)
		for {
			n, err := rr.ReadRows(buf)
			for _, row := range buf[:n] {
				out = append(out, renderParquet(row))
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				_ = rr.Close()
				return nil, err
			}
		}
		_ = rr.Close()
	}
	return out, nil
}

func renderParquet(row parquet.Row) string {
	var b strings.Builder
	for i, v := range row {
		if i > 0 {
			b.WriteByte('|')
		}
		fmt.Fprintf(&b, "%d:%d:%d:%s", v.Column(), v.RepetitionLevel(), v.DefinitionLevel(), v.String())
	}
	return b.String()
}

func readORC(r io.ReaderAt, size int64) ([]string, error) {
	or, err := orc.NewReader(sized{r, size})
	if err != nil {
		return nil, err
	}
	defer func() { _ = or.Close() }()
	c := or.Select(or.Schema().Columns()...)
	var out []string
	for c.Stripes() {
		for c.Next() {
			b, err := json.Marshal(c.Row())
			if err != nil {
				return nil, err
			}
			out = append(out, string(b))
		}
	}
	return out, c.Err()
}

type sized struct {
	io.ReaderAt
	n int64
}

func (s sized) Size() int64 { return s.n }

func readAvro(r io.Reader) ([]string, error) {
	dec, err := ocf.NewDecoder(r)
	if err != nil {
		return nil, err
	}
	var out []string
	for dec.HasNext() {
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		out = append(out, string(b))
	}
	return out, dec.Error()
}
