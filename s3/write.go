package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/shoalhq/shoal"
)

// Create starts a new object, failing with fs.ErrExist (ECONFLICT) when it
// exists. Nothing is visible until Close: up to PartSize bytes are buffered
// and sent with one PutObject; a larger file becomes a multipart upload
// with parts of PartSize, sent as they fill. Close completes the upload;
// an error from Write or Close aborts it, so no part is left behind.
//
// Both PutObject and CompleteMultipartUpload carry If-None-Match: *, so an
// object created by someone else between the check and Close fails Close
// with fs.ErrExist instead of being replaced (unless DisableConditionalWrites
// is set). Sync does nothing and returns nil: the data is durable only once
// Close has returned nil. Uploads use the context given to Create.
func (f *FS) Create(ctx context.Context, path string) (shoal.WriteFile, error) {
	l, err := f.parse("create", path)
	if err != nil {
		return nil, err
	}
	if l.key == "" {
		return nil, fmt.Errorf("create %s: %w", l, shoal.Errorf(shoal.EINVALID, "%s is a bucket, not a file", l))
	}
	if _, err := f.head(ctx, l); err == nil {
		return nil, errExist("create", l)
	} else if !isNotFound(err) {
		return nil, f.wrapErr("create", l, err)
	}
	return &writer{f: f, ctx: ctx, l: l}, nil
}

type writer struct {
	f        *FS
	ctx      context.Context
	l        location
	buf      []byte
	uploadID *string
	parts    []types.CompletedPart
	err      error // sticky: the first failure
	closed   bool
}

// Write buffers p, sending a part whenever PartSize bytes are buffered.
func (w *writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, fmt.Errorf("write %s: file already closed", w.l)
	}
	if w.err != nil {
		return 0, w.err
	}
	size := int(w.f.opts.PartSize)
	n := 0
	for len(p) > 0 {
		if w.buf == nil {
			// Small files stay small: grow up to PartSize as needed.
			w.buf = make([]byte, 0, min(size, max(len(p), 64<<10)))
		}
		k := min(len(p), size-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		n += k
		if len(w.buf) == size {
			if err := w.uploadPart(); err != nil {
				w.err = err
				w.abort()
				return n, err
			}
		}
	}
	return n, nil
}

// uploadPart sends the buffer as the next part, starting the multipart
// upload on the first.
func (w *writer) uploadPart() error {
	if w.uploadID == nil {
		out, err := w.f.client.CreateMultipartUpload(w.ctx, &s3.CreateMultipartUploadInput{
			Bucket: aws.String(w.l.bucket),
			Key:    aws.String(w.l.key),
		})
		if err != nil {
			return w.f.wrapErr("create", w.l, err)
		}
		w.uploadID = out.UploadId
	}
	if len(w.parts) >= maxParts {
		return shoal.Errorf(shoal.EINVALID, "create %s: the file needs more than %d parts of %d bytes; raise s3.part_size", w.l, maxParts, w.f.opts.PartSize)
	}
	num := partNumber(len(w.parts))
	out, err := w.f.client.UploadPart(w.ctx, &s3.UploadPartInput{
		Bucket:        aws.String(w.l.bucket),
		Key:           aws.String(w.l.key),
		UploadId:      w.uploadID,
		PartNumber:    num,
		Body:          bytes.NewReader(w.buf),
		ContentLength: aws.Int64(int64(len(w.buf))),
	})
	if err != nil {
		return w.f.wrapErr("upload part of", w.l, err)
	}
	w.parts = append(w.parts, types.CompletedPart{PartNumber: num, ETag: out.ETag})
	w.buf = w.buf[:0]
	return nil
}

// Sync does nothing: an S3 object is durable once Close returns nil.
func (w *writer) Sync() error {
	if w.err != nil {
		return w.err
	}
	return nil
}

// Close sends what is buffered and completes the object. After a failure it
// aborts the multipart upload and returns the failure.
func (w *writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	w.err = w.finish()
	if w.err != nil {
		w.abort()
	}
	w.buf = nil
	return w.err
}

func (w *writer) ifNoneMatch() *string {
	if w.f.opts.DisableConditionalWrites {
		return nil
	}
	return aws.String("*")
}

func (w *writer) finish() error {
	if w.uploadID == nil {
		_, err := w.f.client.PutObject(w.ctx, &s3.PutObjectInput{
			Bucket:        aws.String(w.l.bucket),
			Key:           aws.String(w.l.key),
			Body:          bytes.NewReader(w.buf),
			ContentLength: aws.Int64(int64(len(w.buf))),
			IfNoneMatch:   w.ifNoneMatch(),
		})
		if err != nil && isPreconditionFailed(err) {
			return errExist("create", w.l)
		}
		return w.f.wrapErr("create", w.l, err)
	}
	if len(w.buf) > 0 {
		if err := w.uploadPart(); err != nil {
			return err
		}
	}
	_, err := w.f.client.CompleteMultipartUpload(w.ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(w.l.bucket),
		Key:             aws.String(w.l.key),
		UploadId:        w.uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts},
		IfNoneMatch:     w.ifNoneMatch(),
	})
	if err != nil && isPreconditionFailed(err) {
		return errExist("create", w.l)
	}
	if err == nil {
		w.uploadID = nil // nothing to abort
	}
	return w.f.wrapErr("create", w.l, err)
}

// abort removes the parts of a failed multipart upload, even when the
// context that wrote them is cancelled.
func (w *writer) abort() {
	if w.uploadID == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), time.Minute)
	defer cancel()
	_, err := w.f.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket:   aws.String(w.l.bucket),
		Key:      aws.String(w.l.key),
		UploadId: w.uploadID,
	})
	if err == nil || errors.Is(err, context.Canceled) {
		w.uploadID = nil
	}
}
