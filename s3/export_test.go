package s3

// SetCopyLimits lowers the CopyObject limit and the UploadPartCopy part size
// so that tests exercise the multipart copy path with small objects; it
// returns a function that restores them.
func SetCopyLimits(threshold, part int64) (restore func()) {
	t, p := copyThreshold, copyPartSize
	copyThreshold, copyPartSize = threshold, part
	return func() { copyThreshold, copyPartSize = t, p }
}
