package main

import (
	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/localfs"
	"github.com/shoalhq/shoal/merge"
)

// registerMergers gives the engine one merger per format.
func registerMergers(e *merge.Engine) {
}

// unconfinedFS is the file system of recovery without a catalog: the
// journal holds absolute paths.
func unconfinedFS() shoal.WritableFS { return localfs.New() }
