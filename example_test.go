package shoal_test

import (
	"fmt"

	"github.com/shoalhq/shoal"
)

// Partition directory names are Hive-escaped; values are decoded.
func ExamplePartitionSpec() {
	spec := shoal.PartitionSpec([]string{"dt", "hour"}, []string{"2026-11-21", "12:00"})
	fmt.Println(spec)
	k, v, _ := shoal.ParsePartitionDir("hour=12%3A00")
	fmt.Println(k, v)
	// Output:
	// dt=2026-11-21/hour=12%3A00
	// hour 12:00
}

// A partition's files fold into statistics; memory holds only its sizes.
// The heap estimate is 150 bytes × (1 directory + 3 files + 4 blocks).
func ExamplePartitionFolder() {
	f := shoal.NewPartitionFolder(shoal.Thresholds{SmallFileSize: 1 << 20, TargetFileSize: 128 << 20, BlockSize: 128 << 20})
	f.Reset("sales", "orders", "dt=2026-11-21", "/wh/sales.db/orders/dt=2026-11-21")
	for _, size := range []int64{4 << 10, 8 << 10, 200 << 20} {
		f.Add(&shoal.FileInfo{Size: size}, shoal.FormatParquet)
	}
	st := f.Stats()
	fmt.Println(st.Files, st.Small, st.FilesAfterMerge, st.ReducibleFiles, st.NameNodeHeap)
	// Output: 3 2 2 1 1200
}
