package analytics

import (
	"context"
	"sync"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
)

// Writer batches the rows of many concurrent writers into few INSERTs: a batch is sent when
// it holds MaxRows rows or when Wait has passed since its first row, whichever comes first.
// WriteFacts returns only once its rows are in ClickHouse (or the batch failed), so a caller
// that marks something done afterwards never marks it early. It is the ingest's EventSink.
type Writer struct {
	insert  func(ctx context.Context, f *domain.EPCFacts) error
	maxRows int
	wait    time.Duration
	timeout time.Duration // of one INSERT; not bound to any caller's context

	mu  sync.Mutex
	cur *pending
}

type pending struct {
	facts domain.EPCFacts
	full  chan struct{} // closed when the batch reached maxRows
	done  chan struct{} // closed when the batch was sent (err set)
	err   error
}

// NewWriter returns a Writer over s. maxRows ≤ 0 and wait ≤ 0 take defaults (50,000 rows,
// 200 ms).
func NewWriter(s *Store, maxRows int, wait time.Duration) *Writer {
	return newWriter(s.WriteFacts, maxRows, wait)
}

func newWriter(insert func(context.Context, *domain.EPCFacts) error, maxRows int, wait time.Duration) *Writer {
	if maxRows <= 0 {
		maxRows = 50_000
	}
	if wait <= 0 {
		wait = 200 * time.Millisecond
	}
	return &Writer{insert: insert, maxRows: maxRows, wait: wait, timeout: 5 * time.Minute}
}

// WriteFacts adds the rows of f to the current batch and waits until that batch is written.
// A set of rows as large as a batch is written at once, without waiting for others.
func (w *Writer) WriteFacts(ctx context.Context, f *domain.EPCFacts) error {
	if f.Len() == 0 {
		return nil
	}
	if f.Len() >= w.maxRows {
		return w.insert(ctx, f)
	}
	w.mu.Lock()
	if w.cur == nil {
		w.cur = &pending{full: make(chan struct{}), done: make(chan struct{})}
		go w.send(w.cur)
	}
	b := w.cur
	b.facts.Append(f)
	if b.facts.Len() >= w.maxRows {
		w.cur = nil // later rows start the next batch
		close(b.full)
	}
	w.mu.Unlock()
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		// The batch is still written; writing it again on a retry is harmless.
		return ctx.Err()
	}
}

// send writes b once it is full or its time is up.
func (w *Writer) send(b *pending) {
	t := time.NewTimer(w.wait)
	select {
	case <-t.C:
	case <-b.full:
		t.Stop()
	}
	w.mu.Lock()
	if w.cur == b {
		w.cur = nil
	}
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
	b.err = w.insert(ctx, &b.facts)
	cancel()
	close(b.done)
}
