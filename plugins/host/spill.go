package host

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/weirnet/weir/sdk/protocol"
)

// Spilling batches to disk (live mode, Config.SpillDir).
//
// In live mode Handle must never block, so the queue of sealed batches is
// bounded (Window+LiveQueue). With a spill configured, a batch sealed
// while that queue is full is appended to the plugin's spill file instead
// of being dropped, with the sequence number it was sealed with; from then
// on every newer batch goes to the spill as well, behind it, until the
// spill is empty again. The sender goroutine reads the spill back, oldest
// first, whenever it has sent the whole queue and the queue has room
// (acknowledgements free it), so that the plugin gets every batch once,
// in sequence order, before anything newer. Spilled batches are part of
// what the host has not delivered yet: they survive restarts of the
// plugin, are drained by Close, counted in Stats.Pending, and dropped
// (counted) when the plugin is disabled.
//
// The file is a ring of records of at most Config.SpillMaxBytes bytes in
// all, so the disk use is bounded; a batch that does not fit is dropped
// and counted, as without a spill. Each record is a fixed header (magic,
// body length, sequence number, events, flags, CRC-32C of header and body)
// and the batch's encoded bytes; the memory the spill takes is its few
// offsets and counters, whatever it holds. The spill is not meant to
// survive the sensor: nothing is synced to disk, and a file left by a
// previous run (a crash of the whole sensor) is removed when the plugin is
// launched, not replayed: its events would reach the logs out of order.
// The file is created when the first batch is spilled and removed as soon
// as the spill is empty, and on Close.
//
// A write that fails (a full disk) drops that batch, counted, with one
// line in the log until a write succeeds again. A read that fails or
// finds a corrupt record drops the whole spill, counted, with one line:
// the spilled batches are the newest ones, so the sequence numbers are
// taken back and the plugin sees no gap.
//
// Locking: the ring's fields are guarded by Plugin.mu. Records are
// written under it (by seal, on the bus's goroutine: a write to the page
// cache, which is what Handle costs more while spilling); they are read
// without it by the one goroutine that reads (the current process's
// sender, see unspill), at an offset the ring keeps out of the writer's
// way until the reader pops the record. The file is closed only by the
// reader, or once no reader runs.

// Spill defaults and limits.
const (
	// DefaultSpillMaxBytes bounds a spill file when Config.SpillDir is
	// set without Config.SpillMaxBytes: 1 GiB.
	DefaultSpillMaxBytes = 1 << 30
	// MinSpillMaxBytes is the smallest bound accepted: a batch of the
	// largest size (protocol.MaxBatchBytes) must fit.
	MinSpillMaxBytes = 2 * protocol.MaxBatchBytes
)

// spillHeaderSize is the size of a record's header: magic u32, body length
// u32, sequence number u64, events u32, flags u32, CRC-32C u32 (of the
// header's first 24 bytes and the body), little-endian.
const spillHeaderSize = 28

const (
	spillMagic = 0x6c707377 // "wspl"

	spillSync   = 1 << 0
	spillRotate = 1 << 1
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errSpillFull: the record does not fit within the bound.
var errSpillFull = errors.New("spill full")

// spill is a plugin's spill file: a FIFO ring of encoded batches.
type spill struct {
	path string
	max  int64
	f    *os.File // nil while the spill is empty

	// The records live in [head, tail) or, once the writer has wrapped
	// around, in [head, end) and [0, tail).
	head, tail, end int64
	wrapped         bool

	count     int    // records
	events    uint64 // events in them
	bytes     int64  // their size, headers included
	rotations int    // rotating batches among them

	failing bool // a write failed and was logged; reset by a successful one

	whdr [spillHeaderSize]byte // the writer's header (Plugin.mu held)
	rhdr [spillHeaderSize]byte // the reader's
}

// spillRecord describes a record read back.
type spillRecord struct {
	seq          uint64
	events       int
	sync, rotate bool
	size         int64 // in the file, header included
}

// spillFileName returns the spill file's name for the plugin instance
// name: weir-NAME.spill, NAME restricted to letters, digits, '.', '_' and
// '-' (with a hash of the name if that changed it, so that two instance
// names never share a file).
func spillFileName(name string) string {
	s := safeName(name, 64)
	if s != name {
		sum := sha256.Sum256([]byte(name))
		s += "-" + hex.EncodeToString(sum[:4])
	}
	return "weir-" + s + ".spill"
}

// prepareSpill makes the plugin's spill directory (mode 0700 if it does
// not exist) and removes a spill file a previous run left, saying so. It
// returns the spill file's path. Errors name the plugin and the key.
func prepareSpill(cfg *Config, logger hclog.Logger) (string, error) {
	if err := os.MkdirAll(cfg.SpillDir, 0o700); err != nil {
		return "", fmt.Errorf("plugin %s: spill_dir: %w", cfg.Name, err)
	}
	path := filepath.Join(cfg.SpillDir, spillFileName(cfg.Name))
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return path, nil
	case err != nil:
		return "", fmt.Errorf("plugin %s: spill_dir: %w", cfg.Name, err)
	}
	if err := os.Remove(path); err != nil {
		return "", fmt.Errorf("plugin %s: spill_dir: removing the spill file of a previous run: %w", cfg.Name, err)
	}
	logger.Warn("removed the spill file of a previous run: its events are not replayed, they would reach the logs out of order",
		"path", path, "bytes", fi.Size())
	return path, nil
}

func newSpill(path string, max int64) *spill { return &spill{path: path, max: max} }

// len returns the number of records; 0 for a nil spill (none configured).
func (s *spill) len() int {
	if s == nil {
		return 0
	}
	return s.count
}

// append writes one record holding data, the batch seq, at the ring's
// tail. It returns errSpillFull if the record does not fit within the
// bound, or the I/O error; either way the ring is unchanged.
func (s *spill) append(data []byte, seq uint64, events int, sync, rotate bool) error {
	size := int64(spillHeaderSize + len(data))
	if s.count == 0 {
		s.head, s.tail, s.end, s.wrapped = 0, 0, 0, false
	}
	off, wrap := s.tail, false
	switch {
	case !s.wrapped && s.tail+size <= s.max:
	case !s.wrapped && size <= s.head:
		off, wrap = 0, true
	case s.wrapped && s.tail+size <= s.head:
	default:
		return errSpillFull
	}
	if s.f == nil {
		f, err := createSpillFile(s.path)
		if err != nil {
			return err
		}
		s.f = f
	}
	h := s.whdr[:]
	binary.LittleEndian.PutUint32(h[0:], spillMagic)
	binary.LittleEndian.PutUint32(h[4:], uint32(len(data)))
	binary.LittleEndian.PutUint64(h[8:], seq)
	binary.LittleEndian.PutUint32(h[16:], uint32(events))
	var flags uint32
	if sync {
		flags |= spillSync
	}
	if rotate {
		flags |= spillRotate
	}
	binary.LittleEndian.PutUint32(h[20:], flags)
	crc := crc32.Update(crc32.Checksum(h[:24], crcTable), crcTable, data)
	binary.LittleEndian.PutUint32(h[24:], crc)
	if _, err := s.f.WriteAt(h, off); err != nil {
		return fmt.Errorf("writing %s: %w", s.path, err)
	}
	if _, err := s.f.WriteAt(data, off+spillHeaderSize); err != nil {
		return fmt.Errorf("writing %s: %w", s.path, err)
	}
	if wrap {
		s.end, s.wrapped = s.tail, true
	}
	s.tail = off + size
	s.count++
	s.events += uint64(events)
	s.bytes += size
	if rotate {
		s.rotations++
	}
	return nil
}

// createSpillFile creates the spill file, private to the user. A file of
// that name (which a failed removal may have left) is replaced; O_EXCL
// keeps a planted symbolic link from being followed.
func createSpillFile(path string) (*os.File, error) {
	const flags = os.O_RDWR | os.O_CREATE | os.O_EXCL
	f, err := os.OpenFile(path, flags, 0o600)
	if errors.Is(err, fs.ErrExist) && os.Remove(path) == nil {
		f, err = os.OpenFile(path, flags, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("creating the spill file: %w", err)
	}
	return f, nil
}

// segmentEnd returns where the records that follow head end: head's
// record lies below it. Plugin.mu is held.
func (s *spill) segmentEnd() int64 {
	if s.wrapped {
		return s.end
	}
	return s.tail
}

// read reads the record at off, which must hold batch seq and end by lim
// (segmentEnd), into buf (grown as needed) and returns it with its bytes.
// Only the reader calls it, without Plugin.mu: the record stays where it
// is until pop.
func (s *spill) read(off, lim int64, seq uint64, buf []byte) (spillRecord, []byte, error) {
	var rec spillRecord
	h := s.rhdr[:]
	if _, err := s.f.ReadAt(h, off); err != nil {
		return rec, buf, fmt.Errorf("reading %s at %d: %w", s.path, off, noEOF(err))
	}
	n := int64(binary.LittleEndian.Uint32(h[4:]))
	if binary.LittleEndian.Uint32(h[0:]) != spillMagic || off+spillHeaderSize+n > lim ||
		binary.LittleEndian.Uint64(h[8:]) != seq {
		return rec, buf, fmt.Errorf("%s at %d: not the record of batch %d: the file is corrupt", s.path, off, seq)
	}
	if int64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := s.f.ReadAt(buf, off+spillHeaderSize); err != nil {
		return rec, buf, fmt.Errorf("reading %s at %d: %w", s.path, off, noEOF(err))
	}
	if crc32.Update(crc32.Checksum(h[:24], crcTable), crcTable, buf) != binary.LittleEndian.Uint32(h[24:]) {
		return rec, buf, fmt.Errorf("%s at %d: batch %d fails its checksum: the file is corrupt", s.path, off, seq)
	}
	flags := binary.LittleEndian.Uint32(h[20:])
	rec = spillRecord{seq: seq, events: int(binary.LittleEndian.Uint32(h[16:])),
		sync: flags&spillSync != 0, rotate: flags&spillRotate != 0, size: spillHeaderSize + n}
	return rec, buf, nil
}

// noEOF turns the io.EOF of a read past the end of the file (truncated
// by someone) into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// pop forgets the oldest record, rec, which the reader has read; the file
// goes when it is empty. Plugin.mu is held.
func (s *spill) pop(rec spillRecord) error {
	s.head += rec.size
	if s.wrapped && s.head == s.end {
		s.head, s.wrapped = 0, false
	}
	s.count--
	s.events -= uint64(rec.events)
	s.bytes -= rec.size
	if rec.rotate {
		s.rotations--
	}
	if s.count == 0 {
		return s.discard()
	}
	return nil
}

// discard forgets every record and removes the file; no reader may run.
// Plugin.mu is held.
func (s *spill) discard() error {
	s.head, s.tail, s.end, s.wrapped = 0, 0, 0, false
	s.count, s.events, s.bytes, s.rotations = 0, 0, 0, 0
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	if err != nil {
		return fmt.Errorf("removing the spill file: %w", err)
	}
	return nil
}

// sealSpill appends m, the batch seal is sealing, to the spill: in live
// mode, while the queue is full or the spill not empty. p.mu is held. It
// returns the batch's sequence number, 0 if the batch was dropped: it did
// not fit, or the write failed. A rotating batch that does not fit loses
// its events, as in seal, and is dropped only if even that does not fit.
func (p *Plugin) sealSpill(m *message, sync bool) uint64 {
	defer p.recycle(m) // the file has its bytes, or it is dropped
	sp := p.spill
	seq := p.nextSeq + 1
	m.sync = sync || m.rotate
	if m.rotate {
		m.enc.Rotate(m.rotateTS)
	}
	err := sp.append(m.enc.Finish(seq, m.sync), seq, m.events, m.sync, m.rotate)
	if errors.Is(err, errSpillFull) && m.rotate && m.events > 0 {
		p.stats.Dropped += uint64(m.events)
		m.events = 0
		m.enc.Reset()
		m.enc.Rotate(m.rotateTS)
		err = sp.append(m.enc.Finish(seq, true), seq, 0, true, true)
	}
	if err != nil {
		if !errors.Is(err, errSpillFull) && !sp.failing {
			sp.failing = true
			p.logger.Error("spilling to disk failed: batches that find the live queue full are dropped until a write succeeds",
				"error", err.Error())
		}
		if m.rotate {
			p.logger.Warn("live queue full and no room in the spill: a rotation is dropped", "ts", m.rotateTS)
		}
		p.stats.Dropped += uint64(m.events)
		return 0
	}
	sp.failing = false
	p.nextSeq = seq
	if m.rotate {
		p.rotSeq = seq // see seal
		p.fileBytes.Store(0)
	}
	p.stats.Batches++
	p.stats.SpilledBatches++
	p.stats.SpilledEvents += uint64(m.events)
	p.lastSeal = time.Now()
	p.cond.Broadcast()
	return seq
}

// canUnspill reports whether the sender should move a spilled batch into
// the queue; p.mu is held.
func (p *Plugin) canUnspill() bool {
	return p.spill.len() > 0 && len(p.queue) < p.cfg.Window+p.cfg.LiveQueue
}

// unspill moves the oldest spilled batch to the end of the queue. Only the
// current process's sender calls it, once it has sent the whole queue and
// canUnspill; p.mu is held on entry and on return, and released while the
// file is read. The spilled batches are the newest sealed, numbered up to
// p.nextSeq, so the oldest is p.nextSeq-count+1.
func (p *Plugin) unspill() {
	sp := p.spill
	off, lim, seq := sp.head, sp.segmentEnd(), p.nextSeq-uint64(sp.count)+1
	var m *message
	if n := len(p.free); n > 0 {
		m = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		m = new(message)
	}
	p.mu.Unlock()
	rec, buf, err := sp.read(off, lim, seq, m.buf)
	p.mu.Lock()
	m.buf = buf
	if err != nil {
		p.recycle(m)
		p.spillLost(err)
		return
	}
	if err := sp.pop(rec); err != nil {
		p.logger.Warn(err.Error())
	}
	m.seq, m.events, m.sync, m.rotate, m.rotateTS = rec.seq, rec.events, rec.sync, rec.rotate, 0
	m.data = buf
	p.queue = append(p.queue, m)
	p.cond.Broadcast()
}

// spillLost drops every spilled batch after the spill file failed to give
// one back (p.mu held, by the reader). They are the newest batches, so
// their sequence numbers are taken back: the plugin sees no gap.
func (p *Plugin) spillLost(err error) {
	sp := p.spill
	n, rotations := sp.count, sp.rotations
	p.stats.Dropped += sp.events
	p.nextSeq -= uint64(n)
	p.rotSeq = min(p.rotSeq, p.nextSeq)
	if derr := sp.discard(); derr != nil {
		err = errors.Join(err, derr)
	}
	p.logger.Error("reading the spill file failed: the batches in it are dropped",
		"batches", n, "rotations", rotations, "error", err.Error())
	p.cond.Broadcast()
}

// dropSpill drops (and counts) what the spill holds and removes its file,
// when the plugin is disabled or closed and no sender runs; p.mu is held.
func (p *Plugin) dropSpill() {
	if p.spill == nil {
		return
	}
	p.stats.Dropped += p.spill.events
	if err := p.spill.discard(); err != nil {
		p.logger.Warn(err.Error())
	}
}
