package file

import (
	"io"
	"sync/atomic"
)

// prefetchChunk is how much the read-ahead goroutine reads at a time, and
// prefetchChunks how many chunks a source holds (one being consumed, the
// rest read ahead).
// At most maxPrefetching sources read ahead at once: a replay of hundreds
// of files merges them all, and each reading ahead would hold its chunks
// (and a goroutine); the others read inline, as without read-ahead.
const (
	prefetchChunk  = 512 << 10
	prefetchChunks = 3
	maxPrefetching = 16
)

// A prefetchLimit bounds the read-ahead goroutines running at once.
type prefetchLimit struct {
	running atomic.Int32
	max     int32
}

// readAheads is the limit of the sources Open makes.
var readAheads = &prefetchLimit{max: maxPrefetching}

// A prefetcher reads (and, for a compressed file, decompresses) ahead on
// a goroutine of its own, so that the system calls and the decompression
// run on another core while the packets before them are analyzed. Read
// hands the chunks out in order, with the error that ended the stream
// after the last of them. It adds one copy (chunk to window), which costs
// less than the read it takes off the packet path.
//
// Read is for one goroutine; Close may be called from another, once, and
// waits for the read-ahead goroutine to stop, after which the underlying
// reader may be released.
type prefetcher struct {
	r     io.Reader
	limit *prefetchLimit
	full  chan prefetched
	free  chan []byte
	stop  chan struct{}
	done  chan struct{}

	started bool
	direct  bool   // over maxPrefetching: Read reads r itself
	cur     []byte // unread part of buf
	buf     []byte // the chunk being consumed, nil if none
	err     error  // the stream's end, once the chunks before it are consumed
}

type prefetched struct {
	b   []byte
	err error
}

func newPrefetcher(r io.Reader, limit *prefetchLimit) *prefetcher {
	return &prefetcher{r: r, limit: limit, full: make(chan prefetched, prefetchChunks), free: make(chan []byte, prefetchChunks),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// Read implements io.Reader.
func (p *prefetcher) Read(dst []byte) (int, error) {
	if !p.started {
		p.started = true
		if p.limit.running.Add(1) > p.limit.max {
			p.limit.running.Add(-1)
			p.direct = true
		} else {
			for i := 0; i < prefetchChunks; i++ {
				p.free <- make([]byte, prefetchChunk)
			}
			go p.run()
		}
	}
	if p.direct {
		return p.r.Read(dst)
	}
	for len(p.cur) == 0 {
		if p.err != nil {
			// The goroutine has ended: let go of the chunks.
			p.buf, p.free, p.full = nil, nil, nil
			return 0, p.err
		}
		if p.buf != nil {
			p.free <- p.buf[:cap(p.buf)]
			p.buf = nil
		}
		c := <-p.full
		p.cur, p.buf, p.err = c.b, c.b, c.err
	}
	n := copy(dst, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// run reads chunks until the stream ends or Close.
func (p *prefetcher) run() {
	defer close(p.done)
	defer p.limit.running.Add(-1)
	for {
		var b []byte
		select {
		case b = <-p.free:
		case <-p.stop:
			return
		}
		n, err := fillChunk(p.r, b)
		select {
		case p.full <- prefetched{b[:n], err}:
		case <-p.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// fillChunk reads into b until it is full or r fails; the error is r's own
// (io.EOF at the end), unlike io.ReadFull's.
func fillChunk(r io.Reader, b []byte) (int, error) {
	n := 0
	for empty := 0; n < len(b); {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m > 0 {
			empty = 0
		} else if empty++; empty >= 100 {
			return n, io.ErrNoProgress
		}
	}
	return n, nil
}

// Close stops the read-ahead goroutine and waits for it.
func (p *prefetcher) Close() {
	if !p.started || p.direct {
		return
	}
	close(p.stop)
	<-p.done
}
