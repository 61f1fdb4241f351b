package file

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/weirnet/weir/sources"
)

// The tests write their captures with these small writers rather than a
// library's, because they must produce what libraries do not: big-endian
// files, old versions, obsolete blocks, odd resolutions, broken files.

// byteOrder is what binary.LittleEndian and binary.BigEndian both are.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// pcapWriter builds a classic pcap file in memory.
type pcapWriter struct {
	o    byteOrder
	nano bool
	buf  bytes.Buffer
	offs []int64 // offset of each record
	ends []int64 // end of the header and of each record: the clean cuts
}

func newPcap(o byteOrder, nano bool, link, snaplen uint32) *pcapWriter {
	w := &pcapWriter{o: o, nano: nano}
	magic := uint32(pcapMagicMicro)
	if nano {
		magic = pcapMagicNano
	}
	w.u32(magic)
	w.u16(2)
	w.u16(4)
	w.u32(0) // thiszone
	w.u32(0) // sigfigs
	w.u32(snaplen)
	w.u32(link)
	w.ends = append(w.ends, int64(w.buf.Len()))
	return w
}

func (w *pcapWriter) u16(v uint16) { w.buf.Write(w.o.AppendUint16(nil, v)) }
func (w *pcapWriter) u32(v uint32) { w.buf.Write(w.o.AppendUint32(nil, v)) }

// packet writes a record; ts is in nanoseconds and is cut to microseconds
// for a microsecond file.
func (w *pcapWriter) packet(ts int64, data []byte, wire int) {
	w.offs = append(w.offs, int64(w.buf.Len()))
	frac := ts % 1e9
	if !w.nano {
		frac /= 1000
	}
	w.u32(uint32(ts / 1e9))
	w.u32(uint32(frac))
	w.u32(uint32(len(data)))
	w.u32(uint32(wire))
	w.buf.Write(data)
	w.ends = append(w.ends, int64(w.buf.Len()))
}

func (w *pcapWriter) bytes() []byte { return w.buf.Bytes() }

// ngWriter builds a pcapng file in memory, one block at a time.
type ngWriter struct {
	o    byteOrder
	buf  bytes.Buffer
	offs []int64 // offset of each packet block
	ends []int64 // end of each block: the clean cuts
}

func newNg(o byteOrder) *ngWriter {
	w := &ngWriter{o: o}
	w.shb()
	return w
}

// block writes a block with the given body, padded to 4 bytes.
func (w *ngWriter) block(typ uint32, body []byte) {
	pad := (4 - len(body)%4) % 4
	n := uint32(12 + len(body) + pad)
	b := w.o.AppendUint32(nil, typ)
	b = w.o.AppendUint32(b, n)
	b = append(b, body...)
	b = append(b, make([]byte, pad)...)
	b = w.o.AppendUint32(b, n)
	w.buf.Write(b)
	w.ends = append(w.ends, int64(w.buf.Len()))
}

// shb starts a section in the writer's byte order (which may be changed
// between sections).
func (w *ngWriter) shb() {
	body := w.o.AppendUint32(nil, byteOrderMagic)
	body = w.o.AppendUint16(body, 1)
	body = w.o.AppendUint16(body, 0)
	body = w.o.AppendUint64(body, ^uint64(0))             // section length unknown
	body = append(body, w.opt(3, []byte("weir test"))...) // shb_userappl
	body = append(body, w.opt(optEndOfOpt, nil)...)
	w.block(blockSHB, body)
}

// opt encodes an option, padded.
func (w *ngWriter) opt(code uint16, val []byte) []byte {
	b := w.o.AppendUint16(nil, code)
	b = w.o.AppendUint16(b, uint16(len(val)))
	b = append(b, val...)
	return append(b, make([]byte, (4-len(val)%4)%4)...)
}

// idb defines an interface; resol is the if_tsresol byte (0: leave the
// default), offset the if_tsoffset in seconds.
func (w *ngWriter) idb(link uint16, snaplen uint32, resol byte, offset int64) {
	body := w.o.AppendUint16(nil, link)
	body = w.o.AppendUint16(body, 0)
	body = w.o.AppendUint32(body, snaplen)
	body = append(body, w.opt(2, []byte("eth0"))...) // if_name
	if resol != 0 {
		body = append(body, w.opt(optTSResol, []byte{resol})...)
	}
	if offset != 0 {
		body = append(body, w.opt(optTSOffset, w.o.AppendUint64(nil, uint64(offset)))...)
	}
	body = append(body, w.opt(optEndOfOpt, nil)...)
	w.block(blockIDB, body)
}

// epb writes an enhanced packet block; units are in the interface's
// resolution.
func (w *ngWriter) epb(iface uint32, units uint64, data []byte, wire int) {
	w.offs = append(w.offs, int64(w.buf.Len()))
	body := w.o.AppendUint32(nil, iface)
	body = w.o.AppendUint32(body, uint32(units>>32))
	body = w.o.AppendUint32(body, uint32(units))
	body = w.o.AppendUint32(body, uint32(len(data)))
	body = w.o.AppendUint32(body, uint32(wire))
	body = append(body, data...)
	body = append(body, make([]byte, (4-len(data)%4)%4)...)
	body = append(body, w.opt(1, []byte("a comment"))...) // opt_comment
	body = append(body, w.opt(optEndOfOpt, nil)...)
	w.block(blockEPB, body)
}

// pb writes an obsolete packet block.
func (w *ngWriter) pb(iface uint16, units uint64, data []byte, wire int) {
	w.offs = append(w.offs, int64(w.buf.Len()))
	body := w.o.AppendUint16(nil, iface)
	body = w.o.AppendUint16(body, 0) // drops
	body = w.o.AppendUint32(body, uint32(units>>32))
	body = w.o.AppendUint32(body, uint32(units))
	body = w.o.AppendUint32(body, uint32(len(data)))
	body = w.o.AppendUint32(body, uint32(wire))
	body = append(body, data...)
	w.block(blockPB, body)
}

// spb writes a simple packet block.
func (w *ngWriter) spb(data []byte, wire int) {
	w.offs = append(w.offs, int64(w.buf.Len()))
	body := w.o.AppendUint32(nil, uint32(wire))
	w.block(blockSPB, append(body, data...))
}

func (w *ngWriter) bytes() []byte { return w.buf.Bytes() }

func gzipped(t testing.TB, b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func zstded(t testing.TB, b []byte) []byte {
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer zw.Close()
	return zw.EncodeAll(b, nil)
}

// frame is a copy of a sources.Frame that outlives Next.
type frame struct {
	TS      int64
	Data    string
	WireLen int
	Link    uint32
	Iface   int
}

func copyFrame(f *sources.Frame) frame {
	return frame{f.TS, string(f.Data), f.WireLen, f.Link, f.Iface}
}

// readAll reads a source to its end and returns its frames and the error
// that ended it (nil for io.EOF).
func readAll(src sources.Source) ([]frame, error) {
	var out []frame
	var f sources.Frame
	for {
		err := src.Next(&f)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if len(f.Data) > f.WireLen {
			return out, errors.New("test: frame with len(Data) > WireLen")
		}
		out = append(out, copyFrame(&f))
	}
}

// openBytes is Open for a capture held in memory, reading ahead as Open
// does.
func openBytes(name string, b []byte) (*Source, error) {
	return newSource(name, bytes.NewReader(b), int64(len(b)), windowSize, true)
}

// openSmall is openBytes with a small read buffer, which slides and grows
// far more often than the real one.
func openSmall(name string, b []byte) (*Source, error) {
	return newSource(name, bytes.NewReader(b), int64(len(b)), 64, false)
}

func writeFile(t testing.TB, name string, b []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// payload returns n deterministic bytes that differ with seed, so that a
// frame handed out from the wrong place in the buffer shows.
func payload(seed, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}
