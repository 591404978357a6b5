package warehouse

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/shoalhq/shoal"
)

// PropertiesFile is the optional file in a table's directory that holds
// what a Metastore would know about the table: its TBLPROPERTIES, one
// key=value per line ('#' starts a comment). The name is hidden from Hive
// readers. Recognised keys:
//
//	skip.header.line.count=1        header lines of text files
//	transactional=true              an ACID table
//	transactional_properties=insert_only
//	shoal.num_buckets=4             a bucketed table (Hive keeps this in SDS)
//	shoal.bucket_columns=id,dt
//
// Other keys are kept in Table.Params.
const PropertiesFile = ".tblproperties"

// maxProperties bounds the file, which is read whole.
const maxProperties = 64 << 10

func readProperties(path string, t *shoal.Table) error {
	data, err := os.ReadFile(path) //nolint:gosec // a file inside the warehouse root
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(data) > maxProperties {
		return shoal.Errorf(shoal.EINVALID, "%s is larger than %d bytes", path, maxProperties)
	}
	return parseProperties(data, t)
}

// parseProperties applies key=value lines to t.
func parseProperties(data []byte, t *shoal.Table) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return shoal.Errorf(shoal.EINVALID, "%s line %d: want key=value, got %q", PropertiesFile, n, line)
		}
		if t.Params == nil {
			t.Params = map[string]string{}
		}
		t.Params[k] = v
		switch k {
		case "skip.header.line.count", "shoal.num_buckets":
			i, err := strconv.Atoi(v)
			if err != nil || i < 0 || i > 1<<20 {
				return shoal.Errorf(shoal.EINVALID, "%s line %d: %s must be a small non-negative integer, got %q", PropertiesFile, n, k, v)
			}
			if k == "skip.header.line.count" {
				t.HeaderLines = i
			} else {
				t.NumBuckets = i
			}
		case "transactional":
			t.Transactional = strings.EqualFold(v, "true")
		case "transactional_properties":
			t.TransactionalProperties = strings.ToLower(v)
		case "shoal.bucket_columns":
			t.BucketColumns = strings.Split(v, ",")
		}
	}
	return sc.Err()
}
