// Package file reads capture files: classic pcap (microsecond and
// nanosecond, either byte order) and pcapng (several sections, several
// interfaces with their own link types and time resolutions), each either
// plain or compressed with gzip or zstd. The format is recognised from the
// content, never from the file name.
//
// Reading allocates nothing per packet: a frame's Data is a slice of the
// source's read buffer, valid until the next call to Next. A truncated or
// corrupt file ends the source with a *ReadError naming the file, the packet
// number and the byte offset of the bad record, after every good frame
// before it has been returned.
package file

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/weirnet/weir/sources"
)

const (
	// windowSize is the read buffer of a source. Large reads keep system
	// calls and decompressor calls rare; 1 MiB holds hundreds of ordinary
	// packets and any jumbo or offloaded one.
	windowSize = 1 << 20
	// rawBufSize buffers the compressed file in front of a decompressor,
	// and lets Open peek at the first bytes. Uncompressed reads bypass it:
	// bufio reads straight into the window when asked for more than this.
	rawBufSize = 64 << 10

	// A record's captured length above its limit is corruption, not a
	// reason to allocate. The limit is the file's (or interface's) snap
	// length, but at least minCaplenLimit, because writers often claim a
	// snap length smaller than what they then write, and at most
	// maxCaplenLimit, because some writers claim "unlimited" (0x7fffffff).
	minCaplenLimit = 256 << 10
	maxCaplenLimit = 16 << 20

	// zstdMaxWindow is the largest zstd window accepted: the reference
	// tool's own default limit when decompressing (zstd --long=27). A
	// larger window would be memory a crafted file could demand.
	zstdMaxWindow = 1 << 27
)

// caplenLimit is the largest acceptable captured length for a snap length.
func caplenLimit(snaplen uint32) int {
	return int(min(max(snaplen, minCaplenLimit), maxCaplenLimit))
}

type format uint8

const (
	formatPcap format = iota + 1
	formatPcapng
)

// Compression wrappers, by the first bytes of the file.
var (
	magicGzip = []byte{0x1f, 0x8b}
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Source is a capture file being read. It implements sources.Source and
// sources.Progresser. It is not safe for concurrent use, except Progress,
// which a progress display may call from another goroutine.
type Source struct {
	name   string
	closer io.Closer // the file; nil for readers handed in by tests
	size   int64     // of the underlying file; -1 if unknown
	raw    *countingReader
	decomp decompressor // nil when the file is not compressed
	w      window
	format format
	pcap   pcapState
	ng     ngState
	pkts   int64       // frames returned so far
	err    error       // final result once the source is finished
	pre    *prefetcher // reading ahead (Open's files); nil in tests
}

// Open opens a capture file and reads its file header (pcap) or first
// section header (pcapng). The result is a *Source.
func Open(path string) (sources.Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	size := int64(-1)
	if fi, err := f.Stat(); err == nil {
		if fi.IsDir() {
			f.Close()
			return nil, fmt.Errorf("open %s: is a directory", path)
		}
		if fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	// Read ahead from regular files only: a read from a pipe may block,
	// and Close waits for the read-ahead to stop.
	s, err := newSource(path, f, size, windowSize, size >= 0)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.closer = f
	return s, nil
}

// newSource reads a capture from r with a read buffer of window bytes. It
// is Open without the file system, for tests and fuzzing, which use small
// windows to be quick and to make the buffer slide and grow often.
func newSource(name string, r io.Reader, size int64, window int, readAhead bool) (*Source, error) {
	s := &Source{name: name, size: size, raw: &countingReader{r: r}}
	br := bufio.NewReaderSize(s.raw, min(rawBufSize, window))
	head, _ := br.Peek(4) // a short or failing read shows as a short head
	var inner io.Reader = br
	var wrapped string
	switch {
	case hasPrefix(head, magicGzip):
		d, err := newGzip(br)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", name, prefixErr("gzip", err))
		}
		s.decomp, inner, wrapped = d, d, "gzip"
	case hasPrefix(head, magicZstd):
		d, err := newZstd(br)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", name, prefixErr("zstd", err))
		}
		s.decomp, inner, wrapped = d, d, "zstd"
	}
	if readAhead {
		s.pre = newPrefetcher(inner, readAheads)
		inner = s.pre
	}
	s.w = newWindow(inner, window)
	err := s.readFileHeader(wrapped)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	return s, nil
}

// readFileHeader recognises the capture format and reads its header.
func (s *Source) readFileHeader(wrapped string) error {
	head, err := s.w.peek(4)
	if len(head) < 4 {
		if err != io.EOF {
			return err
		}
		desc := "empty"
		if len(head) > 0 {
			desc = fmt.Sprintf("only %d bytes", len(head))
		}
		if wrapped != "" {
			desc = wrapped + "-compressed, " + desc
		}
		return fmt.Errorf("%w (%s)", ErrUnknownFormat, desc)
	}
	magic := binary.BigEndian.Uint32(head)
	switch magic {
	case pcapMagicMicro, pcapMagicNano, swapped(pcapMagicMicro), swapped(pcapMagicNano):
		s.format = formatPcap
		return s.readPcapHeader()
	case blockSHB:
		s.format = formatPcapng
		return s.readSHB("section header block")
	}
	desc := fmt.Sprintf("magic 0x%08x", magic)
	if wrapped != "" {
		desc = wrapped + "-compressed, " + desc
	} else if kind := unsupportedCompression(head); kind != "" {
		desc += ", looks " + kind + "-compressed, which is not supported"
	}
	return fmt.Errorf("%w (%s)", ErrUnknownFormat, desc)
}

// unsupportedCompression names compressors people use on captures that we
// do not read, so that the error tells them what to do.
func unsupportedCompression(head []byte) string {
	switch {
	case hasPrefix(head, []byte("BZh")):
		return "bzip2"
	case hasPrefix(head, []byte{0xfd, '7', 'z', 'X'}):
		return "xz"
	case hasPrefix(head, []byte{0x04, 0x22, 0x4d, 0x18}):
		return "lz4"
	}
	return ""
}

// Next implements sources.Source. The frame's Data is a slice of the
// source's buffer, valid until the next call to Next; its capacity is
// clipped to its length so that an append cannot write into the buffer.
func (s *Source) Next(f *sources.Frame) error {
	if s.err != nil {
		return s.err
	}
	var err error
	if s.format == formatPcap {
		err = s.nextPcap(f)
	} else {
		err = s.nextPcapng(f)
	}
	if err != nil {
		s.err = err
		return err
	}
	s.pkts++
	return nil
}

// Name implements sources.Source: the path given to Open.
func (s *Source) Name() string { return s.name }

// Progress implements sources.Progresser: bytes read so far from the
// underlying file (compressed bytes for a compressed file) and its size, or
// -1 if the size is unknown (a pipe). Reading runs ahead of the frames
// handed out by at most the read buffers (about 1 MiB).
func (s *Source) Progress() (done, total int64) {
	return s.raw.n.Load(), s.size
}

// Packets is the number of frames returned so far.
func (s *Source) Packets() int64 { return s.pkts }

// Close releases the file and the decompressor. Next returns an error after
// Close; Close may be called more than once.
func (s *Source) Close() error {
	if s.err == nil || s.err == io.EOF {
		s.err = fmt.Errorf("read %s: %w", s.name, os.ErrClosed)
	}
	if s.pre != nil {
		s.pre.Close() // before the decompressor goes back to its pool
		s.pre = nil
	}
	if s.decomp != nil {
		s.decomp.release()
		s.decomp = nil
	}
	s.w = window{} // drop the buffer
	var err error
	if s.closer != nil {
		err = s.closer.Close()
		s.closer = nil
	}
	return err
}

// fail wraps a cause into the error for the packet record at offset off.
func (s *Source) fail(off int64, cause error) error {
	return &ReadError{Path: s.name, Packet: s.pkts + 1, Offset: off, Err: cause}
}

// failBlock wraps a cause into the error for a pcapng block that holds no
// packet.
func (s *Source) failBlock(off int64, block string, cause error) error {
	return &ReadError{Path: s.name, Packet: s.pkts + 1, Offset: off, Block: block, Err: cause}
}

// countingReader counts the bytes read from the underlying file, for
// Progress, which may run on another goroutine.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// A decompressor is a pooled gzip or zstd reader.
type decompressor interface {
	io.Reader
	release() // return to the pool; the reader must not be used after
}

// Decompressors are expensive to set up (zstd's especially) and cheap to
// reset, and a replay often opens hundreds of files one after another, so
// they are pooled. zstd decoders run with concurrency 1: they then decode
// synchronously, start no goroutines, and a decoder the pool drops needs no
// Close. A capture is one long sequential stream, and weir already keeps
// the cores busy with its workers.
var (
	gzipPool sync.Pool // *gzip.Reader
	zstdPool sync.Pool // *zstd.Decoder
)

type gzipReader struct{ *gzip.Reader }

func newGzip(r io.Reader) (*gzipReader, error) {
	if z, ok := gzipPool.Get().(*gzip.Reader); ok {
		if err := z.Reset(r); err != nil {
			gzipPool.Put(z)
			return nil, err
		}
		return &gzipReader{z}, nil
	}
	z, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	return &gzipReader{z}, nil
}

func (g *gzipReader) Read(p []byte) (int, error) {
	n, err := g.Reader.Read(p)
	if err != nil && err != io.EOF {
		err = prefixErr("gzip", err)
	}
	return n, err
}

func (g *gzipReader) release() { gzipPool.Put(g.Reader) }

type zstdReader struct{ *zstd.Decoder }

func newZstd(r io.Reader) (*zstdReader, error) {
	if d, ok := zstdPool.Get().(*zstd.Decoder); ok {
		if err := d.Reset(r); err != nil {
			return nil, err
		}
		return &zstdReader{d}, nil
	}
	d, err := zstd.NewReader(r,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(zstdMaxWindow))
	if err != nil {
		return nil, err
	}
	return &zstdReader{d}, nil
}

func (z *zstdReader) Read(p []byte) (int, error) {
	n, err := z.Decoder.Read(p)
	if err != nil && err != io.EOF {
		err = prefixErr("zstd", err)
	}
	return n, err
}

func (z *zstdReader) release() {
	z.Decoder.Reset(nil) // drop the reference to the file
	zstdPool.Put(z.Decoder)
}

// prefixErr says which decompressor failed, unless the error says so.
func prefixErr(name string, err error) error {
	msg := err.Error()
	if len(msg) > len(name) && msg[:len(name)] == name && msg[len(name)] == ':' {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}

func hasPrefix(b, prefix []byte) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == string(prefix)
}

// Interface guards.
var (
	_ sources.Source     = (*Source)(nil)
	_ sources.Progresser = (*Source)(nil)
)
