package file

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
	"time"
)

// failAfter yields its bytes in pieces, then err.
type failAfter struct {
	b   []byte
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		return 0, f.err
	}
	n := copy(p, f.b[:min(len(f.b), 1000)])
	f.b = f.b[n:]
	return n, nil
}

// The read-ahead hands out every byte in order, then the reader's own
// error (not io.ReadFull's rewording of it), and lets its goroutine go.
func TestPrefetcher(t *testing.T) {
	data := make([]byte, 3*prefetchChunk+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	bad := errors.New("disk on fire")
	lim := &prefetchLimit{max: maxPrefetching}
	for _, want := range []error{io.EOF, bad, io.ErrUnexpectedEOF} {
		p := newPrefetcher(&failAfter{b: data, err: want}, lim)
		got, err := io.ReadAll(iotest.OneByteReader(io.LimitReader(p, int64(len(data)))))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%v: read %d bytes (%v), want all %d", want, len(got), err, len(data))
		}
		if _, err := p.Read(make([]byte, 10)); err != want {
			t.Errorf("after the data: %v, want %v", err, want)
		}
		p.Close()
	}
	// Closed mid-stream, the goroutine stops.
	p := newPrefetcher(bytes.NewReader(data), lim)
	p.Read(make([]byte, 10))
	p.Close()
	for i := 0; lim.running.Load() != 0; i++ {
		if i == 100 {
			t.Fatalf("%d read-ahead goroutines still counted", lim.running.Load())
		}
		time.Sleep(time.Millisecond)
	}
}

// Beyond maxPrefetching sources read inline, and still read everything.
func TestPrefetcherBound(t *testing.T) {
	data := bytes.Repeat([]byte("weir"), 1000)
	lim := &prefetchLimit{max: maxPrefetching}
	var ps []*prefetcher
	for i := 0; i < maxPrefetching+5; i++ {
		p := newPrefetcher(bytes.NewReader(data), lim)
		got, err := io.ReadAll(p)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("source %d: %d bytes, %v", i, len(got), err)
		}
		ps = append(ps, p)
	}
	direct := 0
	for _, p := range ps {
		if p.direct {
			direct++
		}
		p.Close()
	}
	if direct != 0 {
		// Each read to its end, so its goroutine ended before the next began.
		t.Errorf("%d sources read inline though the others had finished", direct)
	}
	// Open ones all at once, with more than they read ahead: only
	// maxPrefetching read ahead.
	data = bytes.Repeat([]byte("weir"), (prefetchChunks+1)*prefetchChunk/4)
	ps = ps[:0]
	for i := 0; i < maxPrefetching+5; i++ {
		p := newPrefetcher(bytes.NewReader(data), lim)
		p.Read(make([]byte, 1))
		ps = append(ps, p)
	}
	direct = 0
	for _, p := range ps {
		if p.direct {
			direct++
		}
		rest, _ := io.ReadAll(p)
		if len(rest) != len(data)-1 {
			t.Errorf("%d bytes after the first, want %d", len(rest), len(data)-1)
		}
		p.Close()
	}
	if direct != 5 {
		t.Errorf("%d of %d sources read inline, want 5", direct, maxPrefetching+5)
	}
}
