package main

import (
	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/localfs"
	"github.com/shoalhq/shoal/merge"
	"github.com/shoalhq/shoal/merge/avro"
	"github.com/shoalhq/shoal/merge/orc"
	"github.com/shoalhq/shoal/merge/parquet"
	"github.com/shoalhq/shoal/merge/text"
)

// registerMergers gives the engine one merger per format.
func registerMergers(e *merge.Engine) {
	e.Register(parquet.New(), orc.New(), avro.New(), text.New())
}

// unconfinedFS is the file system of recovery without a catalog: the
// journal holds absolute paths.
func unconfinedFS() shoal.WritableFS { return localfs.New() }
