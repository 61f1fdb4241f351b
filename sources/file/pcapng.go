package file

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"

	"github.com/weirnet/weir/sources"
)

// pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks, each
// type(4) length(4) body length(4), the length counting the whole block and
// being a multiple of 4. A section header block starts each section and
// sets its byte order; interface description blocks then define the
// section's interfaces, numbered from 0, which packet blocks refer to.
const (
	blockSHB    = 0x0a0d0d0a
	blockIDB    = 0x00000001
	blockPB     = 0x00000002 // obsolete packet block
	blockSPB    = 0x00000003
	blockNRB    = 0x00000004
	blockISB    = 0x00000005
	blockEPB    = 0x00000006
	blockDSB    = 0x0000000a
	blockCustom = 0x00000bad
	blockCustNC = 0x40000bad // custom, not to be copied

	byteOrderMagic = 0x1a2b3c4d

	// Options hold comments, descriptions and hashes, none of which a
	// packet needs; more than this in one block is taken for corruption.
	maxBlockOptions = 1 << 20
	// maxInterfaces bounds the interfaces of one section; the obsolete
	// packet block numbers interfaces in 16 bits.
	maxInterfaces = 1 << 16

	optEndOfOpt = 0
	optTSResol  = 9
	optTSOffset = 14
)

type ngState struct {
	order  order
	ifaces []ngIface // of the current section
	base   int       // number of interfaces in earlier sections
	lastTS int64     // of the last packet, for simple packet blocks
}

// ngIface is an interface description block, reduced to what reading its
// packets needs.
type ngIface struct {
	link    uint32
	snaplen uint32
	limit   int // largest acceptable caplen
	index   int // Frame.Iface: numbered across sections, so unique in the file

	// A timestamp is a count of units of 10^-n or 2^-n seconds;
	// nanoseconds are units*factor, units/factor or units*1e9>>shift.
	tsKind   uint8
	tsFactor uint64
	tsShift  uint
	tsOffset int64 // if_tsoffset, in nanoseconds
}

const (
	tsMul   = iota // 10^-n, n <= 9
	tsDiv          // 10^-n, n > 9
	tsShift        // 2^-n
)

var pow10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// setResolution applies an if_tsresol value: the low seven bits are an
// exponent, of 10 if the top bit is clear and of 2 if it is set.
func (i *ngIface) setResolution(v uint8) error {
	e := uint(v & 0x7f)
	switch {
	case v&0x80 != 0 && e < 64:
		i.tsKind, i.tsShift = tsShift, e
	case v&0x80 == 0 && e <= 9:
		i.tsKind, i.tsFactor = tsMul, pow10[9-e]
	case v&0x80 == 0 && e-9 < uint(len(pow10)):
		i.tsKind, i.tsFactor = tsDiv, pow10[e-9]
	default:
		return corrupt("block: if_tsresol 0x%02x is out of range", v)
	}
	return nil
}

// ts converts a timestamp to nanoseconds since the epoch. Times past 2262
// wrap, as they would anywhere an int64 of nanoseconds holds them.
func (i *ngIface) ts(hi, lo uint32) int64 {
	u := uint64(hi)<<32 | uint64(lo)
	var ns uint64
	switch i.tsKind {
	case tsMul:
		ns = u * i.tsFactor
	case tsDiv:
		ns = u / i.tsFactor
	default:
		h, l := bits.Mul64(u, 1e9)
		ns = l>>i.tsShift | h<<(64-i.tsShift) // h<<64 is 0 in Go
	}
	return int64(ns) + i.tsOffset
}

// readSHB reads a section header block at the current offset and starts
// its section. what names the block in messages: "block" where the error
// will say which block it is, the full name where it will not.
func (s *Source) readSHB(what string) error {
	const fixed = 16 // type, length, byte-order magic, version
	h, err := s.w.peek(fixed)
	if err != nil {
		return truncatedHeader(what, fixed, len(h), err)
	}
	var o order
	switch m := binary.LittleEndian.Uint32(h[8:]); m {
	case byteOrderMagic:
		o = littleEndian
	case swapped(byteOrderMagic):
		o = bigEndian
	default:
		return corrupt("%s: byte-order magic 0x%08x", what, bits.ReverseBytes32(m))
	}
	blen := o.u32(h[4:])
	if blen < 28 || blen%4 != 0 {
		return corrupt("%s: length %d", what, blen)
	}
	if major, minor := o.u16(h[12:]), o.u16(h[14:]); major != 1 {
		return corrupt("%s: unsupported pcapng version %d.%d", what, major, minor)
	}
	// The section length and the options (hardware, OS, application)
	// are of no use to reading packets.
	s.ng.order = o
	if err := s.skipBlock(s.w.off, blen, what); err != nil {
		return err
	}
	s.ng.base += len(s.ng.ifaces)
	s.ng.ifaces = s.ng.ifaces[:0]
	return nil
}

// skipBlock passes over the block of length blen that starts at start,
// checking its trailing length. what names the block in messages.
func (s *Source) skipBlock(start int64, blen uint32, what string) error {
	consumed := s.w.off - start
	if err := s.w.skip(int64(blen) - 4 - consumed); err != nil {
		return truncated(what, int(blen), int(s.w.off-start), err)
	}
	t, err := s.w.peek(4)
	if err != nil {
		return truncated(what, int(blen), int(s.w.off-start)+len(t), err)
	}
	if tl := s.ng.order.u32(t); tl != blen {
		return corrupt("%s: trailing length %d does not match leading length %d", what, tl, blen)
	}
	s.w.discard(4)
	return nil
}

func (s *Source) nextPcapng(f *sources.Frame) error {
	for {
		start := s.w.off
		h, err := s.w.peek(8)
		if err != nil {
			if len(h) == 0 && err == io.EOF {
				return err // a clean end, between blocks
			}
			cause := truncatedHeader("block header", 8, len(h), err)
			if len(h) >= 4 {
				return s.blockErr(start, s.ng.order.u32(h), cause)
			}
			return s.fail(start, cause)
		}
		typ := s.ng.order.u32(h)
		if typ == blockSHB { // the same in either byte order
			if err := s.readSHB("block"); err != nil {
				return s.failBlock(start, blockName(typ), err)
			}
			continue
		}
		blen := s.ng.order.u32(h[4:])
		if blen < 12 || blen%4 != 0 {
			return s.blockErr(start, typ, corrupt("block: length %d", blen))
		}
		switch typ {
		case blockEPB, blockPB:
			return s.readPacketBlock(f, start, typ, blen)
		case blockSPB:
			return s.readSimplePacketBlock(f, start, blen)
		case blockIDB:
			err = s.readIDB(blen)
		default:
			err = s.skipBlock(start, blen, "block")
		}
		if err != nil {
			return s.failBlock(start, blockName(typ), err)
		}
	}
}

// readPacketBlock reads an enhanced packet block or its obsolete
// predecessor, which has the same layout but for a 16-bit interface id and
// a drop count.
func (s *Source) readPacketBlock(f *sources.Frame, start int64, typ, blen uint32) error {
	const fixed = 28 // header, interface, timestamp, caplen, original length
	name := blockName(typ)
	o := s.ng.order
	if blen < fixed+4 {
		return s.fail(start, corrupt("%s: length %d is too short", name, blen))
	}
	h, err := s.w.peek(fixed)
	if err != nil {
		return s.fail(start, truncated(name, int(blen), len(h), err))
	}
	id := o.u32(h[8:])
	if typ == blockPB {
		id = uint32(o.u16(h[8:]))
	}
	if id >= uint32(len(s.ng.ifaces)) {
		return s.fail(start, corrupt("%s: interface %d is not defined (the section has %d)", name, id, len(s.ng.ifaces)))
	}
	ifc := &s.ng.ifaces[id]
	caplen, wirelen := o.u32(h[20:]), o.u32(h[24:])
	if caplen > uint32(ifc.limit) {
		return s.fail(start, corrupt("%s: caplen %d exceeds the limit of %d bytes", name, caplen, ifc.limit))
	}
	if need := fixed + (caplen+3)&^3 + 4; need > blen {
		return s.fail(start, corrupt("%s: caplen %d does not fit in a block of %d bytes", name, caplen, blen))
	} else if blen-need > maxBlockOptions {
		return s.fail(start, corrupt("%s: %d bytes of options", name, blen-need))
	}
	rec, err := s.w.peek(int(blen))
	if err != nil {
		return s.fail(start, truncated(name, int(blen), len(rec), err))
	}
	if tl := o.u32(rec[blen-4:]); tl != blen {
		return s.fail(start, corrupt("%s: trailing length %d does not match leading length %d", name, tl, blen))
	}
	end := fixed + int(caplen)
	f.TS = ifc.ts(o.u32(rec[12:]), o.u32(rec[16:]))
	s.ng.lastTS = f.TS
	f.Data = rec[fixed:end:end]
	f.WireLen = int(max(wirelen, caplen))
	f.Link = ifc.link
	f.Iface = ifc.index
	s.w.discard(int(blen))
	return nil
}

// readSimplePacketBlock reads a simple packet block: no timestamp, no
// captured length, always interface 0. The captured length is the original
// length cut to the snap length and to the block. The frame gets the
// timestamp of the packet before it in the file (0 if there is none):
// network time then stands still rather than jumping back to 1970, which
// would upset the merge and every timer.
func (s *Source) readSimplePacketBlock(f *sources.Frame, start int64, blen uint32) error {
	const fixed = 12 // header, original length
	const name = "simple packet block"
	o := s.ng.order
	if blen < fixed+4 {
		return s.fail(start, corrupt("%s: length %d is too short", name, blen))
	}
	if len(s.ng.ifaces) == 0 {
		return s.fail(start, corrupt("%s: no interface is defined", name))
	}
	ifc := &s.ng.ifaces[0]
	room := blen - fixed - 4
	if room > uint32(ifc.limit)+3 {
		return s.fail(start, corrupt("%s: %d bytes of packet data exceed the limit of %d", name, room, ifc.limit))
	}
	rec, err := s.w.peek(int(blen))
	if err != nil {
		return s.fail(start, truncated(name, int(blen), len(rec), err))
	}
	if tl := o.u32(rec[blen-4:]); tl != blen {
		return s.fail(start, corrupt("%s: trailing length %d does not match leading length %d", name, tl, blen))
	}
	wirelen := o.u32(rec[8:])
	caplen := min(wirelen, room)
	if ifc.snaplen != 0 {
		caplen = min(caplen, ifc.snaplen)
	}
	end := fixed + int(caplen)
	f.TS = s.ng.lastTS
	f.Data = rec[fixed:end:end]
	f.WireLen = int(wirelen)
	f.Link = ifc.link
	f.Iface = ifc.index
	s.w.discard(int(blen))
	return nil
}

// readIDB reads an interface description block and adds the interface to
// the section.
func (s *Source) readIDB(blen uint32) error {
	const fixed = 16 // header, link type, reserved, snap length
	o := s.ng.order
	if blen < fixed+4 {
		return corrupt("block: length %d is too short", blen)
	}
	if blen-fixed-4 > maxBlockOptions {
		return corrupt("block: %d bytes of options", blen-fixed-4)
	}
	if len(s.ng.ifaces) >= maxInterfaces {
		return corrupt("block: more than %d interfaces in one section", maxInterfaces)
	}
	rec, err := s.w.peek(int(blen))
	if err != nil {
		return truncated("block", int(blen), len(rec), err)
	}
	if tl := o.u32(rec[blen-4:]); tl != blen {
		return corrupt("block: trailing length %d does not match leading length %d", tl, blen)
	}
	snaplen := o.u32(rec[12:])
	ifc := ngIface{
		link:     uint32(o.u16(rec[8:])),
		snaplen:  snaplen,
		limit:    caplenLimit(snaplen),
		index:    s.ng.base + len(s.ng.ifaces),
		tsKind:   tsMul,
		tsFactor: 1000, // the default resolution is microseconds
	}
	for opts := rec[fixed : blen-4]; len(opts) >= 4; {
		code, olen := o.u16(opts), int(o.u16(opts[2:]))
		if code == optEndOfOpt {
			break
		}
		next := 4 + (olen+3)&^3
		if next > len(opts) {
			return corrupt("block: option %d of %d bytes overruns the block", code, olen)
		}
		val := opts[4 : 4+olen]
		switch code {
		case optTSResol:
			if olen != 1 {
				return corrupt("block: if_tsresol of %d bytes", olen)
			}
			if err := ifc.setResolution(val[0]); err != nil {
				return err
			}
		case optTSOffset:
			if olen != 8 {
				return corrupt("block: if_tsoffset of %d bytes", olen)
			}
			ifc.tsOffset = int64(o.u64(val)) * 1e9
		}
		opts = opts[next:]
	}
	s.ng.ifaces = append(s.ng.ifaces, ifc)
	s.w.discard(int(blen))
	return nil
}

// blockErr reports a cause for a block whose kind decides how the error
// reads: as a packet if it is a packet block, else by its name.
func (s *Source) blockErr(start int64, typ uint32, cause error) error {
	switch typ {
	case blockEPB, blockPB, blockSPB:
		return s.fail(start, cause)
	}
	return s.failBlock(start, blockName(typ), cause)
}

func blockName(typ uint32) string {
	switch typ {
	case blockSHB:
		return "section header block"
	case blockIDB:
		return "interface description block"
	case blockPB:
		return "packet block"
	case blockSPB:
		return "simple packet block"
	case blockNRB:
		return "name resolution block"
	case blockISB:
		return "interface statistics block"
	case blockEPB:
		return "enhanced packet block"
	case blockDSB:
		return "decryption secrets block"
	case blockCustom, blockCustNC:
		return "custom block"
	}
	return fmt.Sprintf("block of type 0x%08x", typ)
}
