package file

import (
	"encoding/binary"
	"io"
	"math/bits"

	"github.com/weirnet/weir/sources"
)

// Classic pcap, as written by libpcap: a 24-byte file header, then per
// packet a 16-byte record header and the captured bytes.
const (
	pcapMagicMicro = 0xa1b2c3d4 // timestamps in microseconds
	pcapMagicNano  = 0xa1b23c4d // timestamps in nanoseconds
	pcapFileHeader = 24
	pcapRecHeader  = 16
)

type pcapState struct {
	order    order
	fracNS   int64 // nanoseconds per unit of the sub-second field: 1000 or 1
	link     uint32
	limit    int // largest acceptable caplen
	lenSwaps int // see swapLens
}

// Before pcap 2.3 the record header had the original length before the
// captured one; libpcap 2.3 files are ambiguous. libpcap swaps the two
// fields when it sees these versions, and so do we.
const (
	swapNever  = iota
	swapAlways // version < 2.3
	swapIfBig  // version 2.3: swap when caplen > len
)

func swapped(v uint32) uint32 { return bits.ReverseBytes32(v) }

func (s *Source) readPcapHeader() error {
	h, err := s.w.peek(pcapFileHeader)
	if err != nil {
		return truncatedHeader("pcap file header", pcapFileHeader, len(h), err)
	}
	p := &s.pcap
	switch binary.BigEndian.Uint32(h) {
	case pcapMagicMicro:
		p.order, p.fracNS = bigEndian, 1000
	case pcapMagicNano:
		p.order, p.fracNS = bigEndian, 1
	case swapped(pcapMagicMicro):
		p.order, p.fracNS = littleEndian, 1000
	case swapped(pcapMagicNano):
		p.order, p.fracNS = littleEndian, 1
	}
	major, minor := p.order.u16(h[4:]), p.order.u16(h[6:])
	if major != 2 {
		return corrupt("pcap file header: unsupported version %d.%d", major, minor)
	}
	switch {
	case minor < 3:
		p.lenSwaps = swapAlways
	case minor == 3:
		p.lenSwaps = swapIfBig
	}
	p.limit = caplenLimit(p.order.u32(h[16:]))
	// The upper bits of the link type field carry FCS information
	// (draft-ietf-opsawg-pcap); libpcap masks them off the same way.
	p.link = p.order.u32(h[20:]) & 0x03ffffff
	s.w.discard(pcapFileHeader)
	return nil
}

func (s *Source) nextPcap(f *sources.Frame) error {
	p := &s.pcap
	start := s.w.off
	h, err := s.w.peek(pcapRecHeader)
	if err != nil {
		if len(h) == 0 && err == io.EOF {
			return err // a clean end, between records
		}
		return s.fail(start, truncatedHeader("record header", pcapRecHeader, len(h), err))
	}
	caplen, wirelen := p.order.u32(h[8:]), p.order.u32(h[12:])
	if p.lenSwaps != swapNever && (p.lenSwaps == swapAlways || caplen > wirelen) {
		caplen, wirelen = wirelen, caplen
	}
	if caplen > uint32(p.limit) {
		return s.fail(start, corrupt("record: caplen %d exceeds the limit of %d bytes", caplen, p.limit))
	}
	n := pcapRecHeader + int(caplen)
	rec, err := s.w.peek(n)
	if err != nil {
		return s.fail(start, truncated("record", int(caplen), len(rec)-pcapRecHeader, err))
	}
	f.TS = int64(p.order.u32(rec[0:]))*1e9 + int64(p.order.u32(rec[4:]))*p.fracNS
	f.Data = rec[pcapRecHeader:n:n]
	f.WireLen = int(max(wirelen, caplen))
	f.Link = p.link
	f.Iface = 0
	s.w.discard(n)
	return nil
}

// order reads integers in a file's byte order. Loading little-endian and
// swapping when needed inlines to a load and a predictable branch, where a
// binary.ByteOrder interface would cost an indirect call per field.
type order bool

const (
	littleEndian order = false
	bigEndian    order = true
)

func (o order) u16(b []byte) uint16 {
	v := binary.LittleEndian.Uint16(b)
	if o {
		v = bits.ReverseBytes16(v)
	}
	return v
}

func (o order) u32(b []byte) uint32 {
	v := binary.LittleEndian.Uint32(b)
	if o {
		v = bits.ReverseBytes32(v)
	}
	return v
}

func (o order) u64(b []byte) uint64 {
	v := binary.LittleEndian.Uint64(b)
	if o {
		v = bits.ReverseBytes64(v)
	}
	return v
}
