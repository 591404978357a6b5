package s3

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/shoalhq/shoal"
)

// S3 limits: CopyObject copies at most 5 GiB; larger objects are copied in
// parts with UploadPartCopy. Variables so that tests can lower them.
var (
	copyThreshold int64 = 5 << 30
	copyPartSize  int64 = 512 << 20
)

// maxParts is S3's limit on the parts of one multipart upload.
const maxParts = 10000

// partNumber is the S3 part number of the i-th part (0-based), which
// callers have checked against maxParts.
func partNumber(i int) *int32 {
	return aws.Int32(int32(min(i+1, maxParts))) //nolint:gosec // bounded by maxParts
}

// deleteBatch is the most keys one DeleteObjects takes.
const deleteBatch = 1000

// object is one key found by a recursive listing.
type object struct {
	key  string
	size int64
}

// listAll lists every object whose key starts with prefix, recursively.
func (f *FS) listAll(ctx context.Context, l location, prefix string) ([]object, error) {
	in := &s3.ListObjectsV2Input{
		Bucket:  aws.String(l.bucket),
		Prefix:  aws.String(prefix),
		MaxKeys: aws.Int32(listPage),
	}
	var objs []object
	for {
		out, err := f.client.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, f.wrapErr("list", l, err)
		}
		for _, o := range out.Contents {
			objs = append(objs, object{key: aws.ToString(o.Key), size: aws.ToInt64(o.Size)})
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			return objs, nil
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

// exists reports whether an object is at l or below it.
func (f *FS) exists(ctx context.Context, op string, l location) (bool, error) {
	if _, err := f.head(ctx, l); err == nil {
		return true, nil
	} else if !isNotFound(err) {
		return false, f.wrapErr(op, l, err)
	}
	out, err := f.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket:  aws.String(l.bucket),
		Prefix:  aws.String(l.prefix()),
		MaxKeys: aws.Int32(1),
	})
	if err != nil {
		return false, f.wrapErr(op, l, err)
	}
	return len(out.Contents) > 0 || len(out.CommonPrefixes) > 0, nil
}

// pair parses the two paths of a rename or link.
func (f *FS) pair(op, oldpath, newpath string) (location, location, error) {
	src, err := f.parse(op, oldpath)
	if err != nil {
		return src, src, err
	}
	dst, err := f.parse(op, newpath)
	if err != nil {
		return src, dst, err
	}
	if src.key == "" || dst.key == "" {
		return src, dst, fmt.Errorf("%s %s: %w", op, oldpath, shoal.Errorf(shoal.EINVALID, "cannot %s a bucket", op))
	}
	if src.bucket == dst.bucket && (src.key == dst.key || strings.HasPrefix(dst.key, src.prefix()) || strings.HasPrefix(src.key, dst.prefix())) {
		return src, dst, fmt.Errorf("%s %s: %w", op, oldpath, shoal.Errorf(shoal.EINVALID, "%s and %s overlap", src, dst))
	}
	return src, dst, nil
}

// Rename moves an object, or every object below a prefix, to newpath. It
// fails with fs.ErrExist (ECONFLICT) when anything exists at or below
// newpath, and with ENOTFOUND when nothing exists at or below oldpath.
//
// S3 has no rename: every object is copied (CopyObject, or UploadPartCopy
// above 5 GiB), Concurrency at a time, and only once all copies succeeded
// are the sources deleted (DeleteObjects, 1000 keys a request). Readers may
// see both names, or the new one partially filled, meanwhile; a crash
// leaves the objects split between the names, which ResumeRename repairs.
func (f *FS) Rename(ctx context.Context, oldpath, newpath string) error {
	src, dst, err := f.pair("rename", oldpath, newpath)
	if err != nil {
		return err
	}
	if ok, err := f.exists(ctx, "rename", dst); err != nil {
		return err
	} else if ok {
		return errExist("rename", dst)
	}
	return f.move(ctx, "rename", src, dst, nil)
}

// ResumeRename finishes an interrupted Rename: each object still below
// oldpath is copied unless an object of the same size is at its new name,
// then all of them are deleted. It succeeds when oldpath holds nothing, so
// it can be repeated.
func (f *FS) ResumeRename(ctx context.Context, oldpath, newpath string) error {
	src, dst, err := f.pair("resume rename", oldpath, newpath)
	if err != nil {
		return err
	}
	done := make(map[string]int64)
	if out, err := f.head(ctx, dst); err == nil {
		done[""] = aws.ToInt64(out.ContentLength)
	} else if !isNotFound(err) {
		return f.wrapErr("resume rename", dst, err)
	}
	objs, err := f.listAll(ctx, dst, dst.prefix())
	if err != nil {
		return err
	}
	for _, o := range objs {
		done[strings.TrimPrefix(o.key, dst.key)] = o.size
	}
	err = f.move(ctx, "resume rename", src, dst, done)
	if errors.Is(err, errNothing) {
		return nil
	}
	return err
}

// errNothing is move's report that nothing was at the source.
var errNothing = errors.New("nothing to move")

// move copies the object at src, or the objects below it, to dst, skipping
// those whose relative name has the same size in done, then deletes the
// sources.
func (f *FS) move(ctx context.Context, op string, src, dst location, done map[string]int64) error {
	var objs []object
	if out, err := f.head(ctx, src); err == nil {
		objs = append(objs, object{key: src.key, size: aws.ToInt64(out.ContentLength)})
	} else if !isNotFound(err) {
		return f.wrapErr(op, src, err)
	}
	below, err := f.listAll(ctx, src, src.prefix())
	if err != nil {
		return err
	}
	objs = append(objs, below...)
	marker := src.with(src.key + folderSuffix)
	if out, err := f.head(ctx, marker); err == nil {
		objs = append(objs, object{key: marker.key, size: aws.ToInt64(out.ContentLength)})
	}
	if len(objs) == 0 {
		if done != nil {
			return errNothing
		}
		return errNotExist(op, src)
	}
	err = f.each(ctx, len(objs), func(ctx context.Context, i int) error {
		rel := strings.TrimPrefix(objs[i].key, src.key)
		if size, ok := done[rel]; ok && size == objs[i].size {
			return nil
		}
		return f.copyObject(ctx, op, src.with(objs[i].key), dst.with(dst.key+rel), objs[i].size)
	})
	if err != nil {
		return err
	}
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.key
	}
	return f.deleteKeys(ctx, op, src, keys)
}

// each runs fn for 0..n-1, Concurrency at a time, stopping at the first
// error.
func (f *FS) each(ctx context.Context, n int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(n, f.opts.Concurrency) {
		wg.Go(func() {
			for i := range work {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// copySource formats the x-amz-copy-source of an object: bucket/key with
// every byte but unreserved characters and slashes percent-encoded ('+'
// too: some servers decode it as a space).
func copySource(l location) string {
	const hex = "0123456789ABCDEF"
	s := l.bucket + "/" + l.key
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// copyObject copies one object of the given size.
func (f *FS) copyObject(ctx context.Context, op string, src, dst location, size int64) error {
	if size > copyThreshold {
		return f.copyParts(ctx, op, src, dst, size)
	}
	_, err := f.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket:     aws.String(dst.bucket),
		Key:        aws.String(dst.key),
		CopySource: aws.String(copySource(src)),
	})
	return f.wrapErr(op, src, err)
}

// copyParts copies an object too large for CopyObject with a multipart
// upload of UploadPartCopy ranges, aborted on failure.
func (f *FS) copyParts(ctx context.Context, op string, src, dst location, size int64) error {
	up, err := f.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(dst.bucket),
		Key:    aws.String(dst.key),
	})
	if err != nil {
		return f.wrapErr(op, dst, err)
	}
	n := int((size + copyPartSize - 1) / copyPartSize)
	if n > maxParts {
		return shoal.Errorf(shoal.EINVALID, "%s: %d bytes is more than %d parts of %d bytes", op, size, maxParts, copyPartSize)
	}
	parts := make([]types.CompletedPart, n)
	err = f.each(ctx, n, func(ctx context.Context, i int) error {
		first := int64(i) * copyPartSize
		last := min(first+copyPartSize, size) - 1
		out, err := f.client.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket:          aws.String(dst.bucket),
			Key:             aws.String(dst.key),
			UploadId:        up.UploadId,
			PartNumber:      partNumber(i),
			CopySource:      aws.String(copySource(src)),
			CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", first, last)),
		})
		if err != nil {
			return f.wrapErr(op, src, err)
		}
		parts[i] = types.CompletedPart{PartNumber: partNumber(i)}
		if out.CopyPartResult != nil {
			parts[i].ETag = out.CopyPartResult.ETag
		}
		return nil
	})
	if err == nil {
		_, err = f.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket:          aws.String(dst.bucket),
			Key:             aws.String(dst.key),
			UploadId:        up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
		err = f.wrapErr(op, dst, err)
	}
	if err != nil {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_, _ = f.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{
			Bucket: aws.String(dst.bucket), Key: aws.String(dst.key), UploadId: up.UploadId,
		})
	}
	return err
}

// deleteKeys deletes keys with DeleteObjects, 1000 at a time, deepest
// first, so that a store on a POSIX file system (versitygw) empties a
// directory before it removes the directory's own marker.
func (f *FS) deleteKeys(ctx context.Context, op string, l location, keys []string) error {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	slices.Reverse(keys)
	batches := (len(keys) + deleteBatch - 1) / deleteBatch
	for b := range batches {
		chunk := keys[b*deleteBatch : min((b+1)*deleteBatch, len(keys))]
		ids := make([]types.ObjectIdentifier, len(chunk))
		for i, k := range chunk {
			ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := f.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(l.bucket),
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return f.wrapErr(op, l, err)
		}
		for _, e := range out.Errors {
			if aws.ToString(e.Code) == "NoSuchKey" {
				continue
			}
			return fmt.Errorf("%s %s: delete %s: %w", op, l, aws.ToString(e.Key),
				shoal.Errorf(shoal.EUNAVAILABLE, "cannot delete %s: %s: %s", l.uri(aws.ToString(e.Key)), aws.ToString(e.Code), aws.ToString(e.Message)))
		}
	}
	return nil
}

// RemoveAll deletes the object at path and every object below it; nothing
// there is not an error. It refuses a bare bucket (EINVALID).
func (f *FS) RemoveAll(ctx context.Context, path string) error {
	l, err := f.parse("remove", path)
	if err != nil {
		return err
	}
	if l.key == "" {
		return fmt.Errorf("remove %s: %w", l, shoal.Errorf(shoal.EINVALID, "refusing to remove everything in bucket %s", l.bucket))
	}
	objs, err := f.listAll(ctx, l, l.prefix())
	if err != nil {
		return err
	}
	keys := []string{l.key, l.key + folderSuffix}
	for _, o := range objs {
		keys = append(keys, o.key)
	}
	return f.deleteKeys(ctx, "remove", l, keys)
}

// Link copies oldpath to newpath (S3 has no links); it fails with
// fs.ErrExist when newpath exists.
func (f *FS) Link(ctx context.Context, oldpath, newpath string) error {
	src, dst, err := f.pair("link", oldpath, newpath)
	if err != nil {
		return err
	}
	if _, err := f.head(ctx, dst); err == nil {
		return errExist("link", dst)
	} else if !isNotFound(err) {
		return f.wrapErr("link", dst, err)
	}
	out, err := f.head(ctx, src)
	if err != nil {
		return f.wrapErr("link", src, err)
	}
	return f.copyObject(ctx, "link", src, dst, aws.ToInt64(out.ContentLength))
}
