package hmstest

import (
	"fmt"

	"github.com/beltran/gohive/hive_metastore"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// StorageFormat is the Hive classes of a storage format.
type StorageFormat struct {
	InputFormat, OutputFormat, SerDe string
}

// Storage formats as Hive's STORED AS writes them.
var (
	Parquet = StorageFormat{
		"org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
		"org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
		"org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}
	ORC = StorageFormat{
		"org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
		"org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
		"org.apache.hadoop.hive.ql.io.orc.OrcSerde"}
	Avro = StorageFormat{
		"org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
		"org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat",
		"org.apache.hadoop.hive.serde2.avro.AvroSerDe"}
	Text = StorageFormat{
		"org.apache.hadoop.mapred.TextInputFormat",
		"org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
		"org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"}
	SequenceFile = StorageFormat{
		"org.apache.hadoop.mapred.SequenceFileInputFormat",
		"org.apache.hadoop.hive.ql.io.HiveSequenceFileOutputFormat",
		"org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"}
	RCFile = StorageFormat{
		"org.apache.hadoop.hive.ql.io.RCFileInputFormat",
		"org.apache.hadoop.hive.ql.io.RCFileOutputFormat",
		"org.apache.hadoop.hive.serde2.columnar.LazyBinaryColumnarSerDe"}
)

// NewTable returns a MANAGED_TABLE with string partition keys, no buckets
// (numBuckets -1) and empty parameters, ready for changes and AddTable.
func NewTable(db, name string, f StorageFormat, location string, partitionKeys ...string) *hive_metastore.Table {
	t := &hive_metastore.Table{
		DbName:     db,
		TableName:  name,
		Owner:      "hive",
		TableType:  "MANAGED_TABLE",
		Parameters: map[string]string{},
		Sd: &hive_metastore.StorageDescriptor{
			Cols:         []*hive_metastore.FieldSchema{{Name: "c", Type: "string"}},
			Location:     location,
			InputFormat:  f.InputFormat,
			OutputFormat: f.OutputFormat,
			NumBuckets:   -1,
			SerdeInfo:    &hive_metastore.SerDeInfo{SerializationLib: f.SerDe, Parameters: map[string]string{}},
			BucketCols:   []string{},
			SortCols:     []*hive_metastore.Order{},
			Parameters:   map[string]string{},
		},
		PartitionKeys: []*hive_metastore.FieldSchema{},
	}
	for _, k := range partitionKeys {
		t.PartitionKeys = append(t.PartitionKeys, &hive_metastore.FieldSchema{Name: k, Type: "string"})
	}
	return t
}

// NewPartition returns a partition with these values, location and
// parameters (nil: none), storage like its table's.
func NewPartition(t *hive_metastore.Table, values []string, location string, params map[string]string) *hive_metastore.Partition {
	sd := *t.Sd
	sd.Location = location
	if params == nil {
		params = map[string]string{}
	}
	return &hive_metastore.Partition{
		Values:     values,
		DbName:     t.DbName,
		TableName:  t.TableName,
		Sd:         &sd,
		Parameters: params,
		WriteId:    -1,
	}
}
