package s3_test

import (
	"testing"

	"github.com/shoalhq/shoal/fstest"
	"github.com/shoalhq/shoal/s3"
	"github.com/shoalhq/shoal/s3/s3test"
)

// The shared FileSystem contract, against versitygw, with the default
// 16 MiB part size (fstest.LargeSize crosses it).
func TestContract(t *testing.T) {
	t.Parallel()
	fsys, bucket := s3test.NewFS(t, nil)
	fstest.Run(t, fsys, bucket+"/contract")
}

// The same with the smallest part size and the s3a scheme.
func TestContractSmallParts(t *testing.T) {
	t.Parallel()
	fsys, bucket := s3test.NewFS(t, func(o *s3.Options) { o.PartSize = s3.MinPartSize })
	fstest.Run(t, fsys, "s3a"+bucket[2:]+"/deep/er/root")
}
