package logs

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression names the compressor applied to a log file.
type Compression string

// The supported compressors. The names are those a config file uses.
const (
	NoCompression Compression = ""
	Gzip          Compression = "gzip" // klauspost gzip, BestSpeed; file name gets .gz
	Zstd          Compression = "zstd" // klauspost zstd, SpeedFastest; file name gets .zst
)

// Ext returns the suffix the compressor adds after ".log": "", ".gz" or
// ".zst".
func (c Compression) Ext() string {
	switch c {
	case Gzip:
		return ".gz"
	case Zstd:
		return ".zst"
	}
	return ""
}

func (c Compression) valid() bool { return c == NoCompression || c == Gzip || c == Zstd }

// compressor is what the gzip and zstd writers have in common. One is kept
// per Writer and Reset onto each new file, so rotation does not reallocate
// the compressor's state.
type compressor interface {
	io.WriteCloser
	Flush() error
	Reset(io.Writer)
}

func newCompressor(c Compression, w io.Writer) (compressor, error) {
	switch c {
	case Gzip:
		return gzip.NewWriterLevel(w, gzip.BestSpeed)
	case Zstd:
		// One goroutine: the sink's goroutine is the one that compresses;
		// more would allocate a goroutine per block and compete with the
		// packet path for the remaining cores.
		return zstd.NewWriter(w,
			zstd.WithEncoderLevel(zstd.SpeedFastest),
			zstd.WithEncoderConcurrency(1))
	}
	return nil, fmt.Errorf("unknown compression %q", c)
}

// fileSystem is the little of the OS the writer needs; tests and benchmarks
// substitute their own.
type fileSystem interface {
	// Open opens name for writing, creating it if needed; it truncates
	// an existing file, or with appendTo set, appends to it.
	Open(name string, appendTo bool) (io.WriteCloser, error)
	Rename(oldpath, newpath string) error
	Exists(name string) bool
	MkdirAll(dir string) error
}

type osFS struct{}

func (osFS) Open(name string, appendTo bool) (io.WriteCloser, error) {
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendTo {
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	return os.OpenFile(name, flag, 0o644)
}
func (osFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
func (osFS) MkdirAll(dir string) error            { return os.MkdirAll(dir, 0o755) }
func (osFS) Exists(name string) bool {
	_, err := os.Lstat(name)
	return err == nil
}

// A chunk is a buffer of complete records travelling between the Writer and
// its sink's goroutine.
type chunk struct {
	b     []byte
	flush bool  // also flush the compressor, so everything so far is in the file
	err   error // on the way back: the sink's first error, if any
}

// sink owns one open log file and the goroutine that writes to it. The
// Writer hands it a full buffer and keeps filling the other one meanwhile
// (double buffering): compression and the write system call happen off the
// caller's goroutine, and no more than one buffer is ever in flight.
type sink struct {
	file   io.WriteCloser
	comp   compressor // nil when not compressing
	dst    io.Writer  // comp or file
	work   chan chunk
	done   chan chunk
	exited chan struct{}
	busy   bool // a chunk is with the goroutine
}

func startSink(file io.WriteCloser, comp compressor) *sink {
	s := &sink{
		file:   file,
		comp:   comp,
		dst:    file,
		work:   make(chan chunk, 1),
		done:   make(chan chunk, 1),
		exited: make(chan struct{}),
	}
	if comp != nil {
		comp.Reset(file)
		s.dst = comp
	}
	go s.run()
	return s
}

// run writes chunks until work is closed. After the first error it keeps
// returning buffers, unwritten, with that error attached.
func (s *sink) run() {
	defer close(s.exited)
	var err error
	for c := range s.work {
		if err == nil && len(c.b) > 0 {
			_, err = s.dst.Write(c.b)
		}
		if err == nil && c.flush && s.comp != nil {
			err = s.comp.Flush()
		}
		c.b, c.err = c.b[:0], err
		s.done <- c
	}
}

// send hands b to the goroutine after taking back the chunk in flight, if
// any, and returns that chunk's buffer (or nil) and error.
func (s *sink) send(b []byte, flush bool) (spare []byte, err error) {
	spare, err = s.wait()
	s.work <- chunk{b: b, flush: flush}
	s.busy = true
	return spare, err
}

// wait takes back the chunk in flight, if any.
func (s *sink) wait() (spare []byte, err error) {
	if !s.busy {
		return nil, nil
	}
	c := <-s.done
	s.busy = false
	return c.b, c.err
}

// close stops the goroutine, which must be idle, then finishes the
// compressed stream and closes the file.
func (s *sink) close() error {
	close(s.work)
	<-s.exited
	var err error
	if s.comp != nil {
		err = s.comp.Close()
	}
	return errors.Join(err, s.file.Close())
}

var (
	_ compressor = (*gzip.Writer)(nil)
	_ compressor = (*zstd.Encoder)(nil)
	_ fileSystem = osFS{}
)
