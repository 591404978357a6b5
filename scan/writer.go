package scan

import (
	"context"
	"fmt"
	"sync"

	"github.com/shoalhq/shoal"
)

// batchWriter writes batches of statistics on its own goroutine, so that
// listing goes on while the store commits the previous batch. At most depth
// batches wait, which bounds memory.
type batchWriter struct {
	w    shoal.SnapshotWriter
	ch   chan batch
	done chan struct{}

	mu     sync.Mutex
	err    error
	closed sync.Once
}

type batch struct {
	parts  []shoal.PartitionStats
	tables []shoal.TableStats
}

func newBatchWriter(ctx context.Context, w shoal.SnapshotWriter, depth int) *batchWriter {
	b := &batchWriter{w: w, ch: make(chan batch, depth), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		for bt := range b.ch {
			if b.failed() != nil {
				continue // drain after a failure
			}
			if err := b.write(ctx, bt); err != nil {
				b.mu.Lock()
				b.err = err
				b.mu.Unlock()
			}
		}
	}()
	return b
}

func (b *batchWriter) write(ctx context.Context, bt batch) error {
	if len(bt.parts) > 0 {
		if err := b.w.WritePartitions(ctx, bt.parts); err != nil {
			return fmt.Errorf("write partition stats: %w", err)
		}
	}
	if len(bt.tables) > 0 {
		if err := b.w.WriteTables(ctx, bt.tables); err != nil {
			return fmt.Errorf("write table stats: %w", err)
		}
	}
	return nil
}

func (b *batchWriter) failed() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// send queues a batch, which the writer then owns. It returns the first
// write error, if one happened.
func (b *batchWriter) send(ctx context.Context, bt batch) error {
	if err := b.failed(); err != nil {
		return err
	}
	select {
	case b.ch <- bt:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close waits for the queued batches and returns the first write error.
// It may be called more than once.
func (b *batchWriter) close() error {
	b.closed.Do(func() { close(b.ch) })
	<-b.done
	return b.failed()
}
