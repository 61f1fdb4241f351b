package decode

import (
	"bytes"
	"encoding/binary"
)

// Fragment reassembly, modeled on Zeek's FragReassembler: datagrams are
// keyed by (src, dst, id, and for IPv4 the protocol as RFC 791 says); the
// bytes seen first win an overlap; the header of the offset-0 fragment heads
// the datagram. Unlike Zeek, every datagram is bounded in time and memory.
//
// Each datagram in flight owns one buffer from a pool of size classes:
//
//	buf: [ ... | header | payload byte 0 ... end )
//	                    ^ base
//
// The header of the offset-0 fragment is copied just before base, so the
// complete datagram is one contiguous slice of buf, handed to the caller
// without another copy; the buffer goes back to the pool at the next Decode.

const (
	// Buffer bytes before the payload of an IPv4 datagram: the largest
	// header. An IPv6 datagram's is the unfragmentable part of its first
	// fragment, and grows if the offset-0 fragment brings a longer one.
	fragBaseV4 = 60
	// The largest buffer: an IPv6 datagram of 40 + 65535 bytes, or an
	// IPv4 one of 65535 with its payload at fragBaseV4, fits.
	fragBufMax = 40 + 65535 + 25
	// Zeek's MIN_ACCEPTABLE_FRAG_SIZE (a fragment other than the last
	// shorter than this is "excessively_small_fragment") and
	// MAX_ACCEPTABLE_FRAG_SIZE (a payload reaching past this is
	// "excessively_large_fragment").
	fragZeekSmall = 64
	fragZeekLarge = 64000
	// The disjoint byte ranges one datagram may hold before it is complete.
	// Fragments in any sane order merge into a handful of ranges.
	fragMaxSpans = 64
)

// fragClassSize are the buffer sizes; a datagram moves to a bigger one as
// its fragments reach further.
var fragClassSize = [...]int{2 << 10, 4 << 10, 8 << 10, 16 << 10, 32 << 10, fragBufMax}

// fragKey identifies a datagram.
type fragKey struct {
	src, dst [16]byte
	id       uint32
	proto    uint8 // IPv4 protocol; 0 for IPv6
	v6       bool
}

// fragment is one fragment handed to the reassembler.
type fragment struct {
	key       fragKey
	hdr       []byte // IPv4 header, or the IPv6 unfragmentable part (headers before the fragment header)
	nhOff     int    // IPv6: offset in hdr of the next-header byte that names the fragment header
	nextProto uint8  // IPv6: the fragment header's next header
	offset    int    // of data in the datagram's payload
	more      bool   // more fragments follow (MF, M)
	data      []byte
}

// span is a range of payload bytes held, [lo, hi).
type span struct{ lo, hi int32 }

// datagram is one datagram being reassembled.
type datagram struct {
	key          fragKey
	first        int64     // network time of its first fragment
	older, newer *datagram // in order of creation
	buf          []byte    // from the pool; nil until the first byte is stored
	class        int       // of buf
	base         int       // offset of payload byte 0 in buf
	hdrLen       int       // header bytes before base; 0 until the offset-0 fragment
	nhOff        int       // IPv6: see fragment
	nextProto    uint8     // IPv6: see fragment
	unfragLen    int       // IPv6: unfragmentable part of the first fragment seen
	size         int       // payload size given by the last fragment, -1 until then
	end          int       // payload bytes up to the highest one held
	n            int       // spans in use
	spans        [fragMaxSpans]span
}

// reassembler holds the datagrams of one Decoder.
type reassembler struct {
	cfg            *Config
	stats          *Stats
	table          map[fragKey]*datagram
	oldest, newest *datagram
	count          int // datagrams in flight
	held           int // bytes of all buffers, in use or idle
	free           [len(fragClassSize)][][]byte
	spare          []*datagram
	// The buffers of the datagrams returned since the last Decode began:
	// one for the packet, one per DecodeInner that completed an inner
	// datagram.
	last []lastBuf
}

// lastBuf is a buffer handed out with a datagram, and its class.
type lastBuf struct {
	buf   []byte
	class int
}

func (r *reassembler) init(cfg *Config, stats *Stats) {
	r.cfg = cfg
	r.stats = stats
	r.table = make(map[fragKey]*datagram)
	r.last = make([]lastBuf, 0, 1+MaxTunnelDepth)
}

// releaseLast takes back the buffers of the datagrams returned since the
// previous Decode began: their slices are no longer valid.
func (r *reassembler) releaseLast() {
	for i, l := range r.last {
		r.put(l.buf, l.class)
		r.last[i] = lastBuf{}
	}
	r.last = r.last[:0]
}

// expire drops the datagrams whose first fragment is FragTimeout old at now.
func (r *reassembler) expire(now int64) {
	for r.oldest != nil && now-r.oldest.first >= r.cfg.FragTimeout {
		r.drop(r.oldest)
		r.stats.FragExpired++
	}
}

// add stores fragment f of packet p. It returns the datagram when f
// completes it; otherwise p's Status is Fragment, or Weird when f had to be
// dropped.
func (r *reassembler) add(p *Packet, f *fragment) []byte {
	p.Status = Fragment
	upper := f.offset + len(f.data)
	// No valid datagram reaches past these: the IPv4 or IPv6 length field
	// could not hold its length.
	limit := 65535 - 20
	if f.key.v6 {
		limit = 65535 + 40 - len(f.hdr)
	}
	if upper > limit {
		weird(p, weirdLargeFragment)
		return nil
	}
	if upper > fragZeekLarge {
		p.ExtraWeird |= WeirdExcessivelyLargeFragment
	}
	if f.more && p.IPTotalLen < fragZeekSmall {
		p.ExtraWeird |= WeirdExcessivelySmallFragment
	}

	dg := r.table[f.key]
	if dg == nil {
		dg = r.create(f, p.TS)
	} else if f.key.v6 && (f.nextProto != dg.nextProto || len(f.hdr) != dg.unfragLen) {
		p.ExtraWeird |= WeirdFragmentProtocolInconsistency
	}

	if !f.more {
		switch {
		case dg.size < 0:
			dg.size = upper
		case upper != dg.size:
			p.ExtraWeird |= WeirdFragmentSizeInconsistency
			dg.size = max(dg.size, upper)
		}
	}
	if dg.size >= 0 && upper > dg.size {
		// A fragment reaches past the end a last fragment gave.
		p.ExtraWeird |= WeirdFragmentSizeInconsistency
		dg.size = upper
	}

	head := f.offset == 0 && dg.hdrLen == 0
	base := dg.base
	if head {
		base = max(base, len(f.hdr))
	}
	if name := r.reserve(dg, base, max(dg.end, upper)); name != "" {
		r.drop(dg)
		weird(p, name)
		return nil
	}
	if head {
		copy(dg.buf[dg.base-len(f.hdr):dg.base], f.hdr)
		dg.hdrLen = len(f.hdr)
		dg.nhOff = f.nhOff
		dg.nextProto = f.nextProto
	}
	if len(f.data) > 0 && !r.insert(p, dg, f.offset, f.data) {
		r.drop(dg)
		weird(p, weirdFragmentLimit)
		return nil
	}
	if dg.hdrLen == 0 || dg.size <= 0 || dg.n != 1 || dg.spans[0].lo != 0 || int(dg.spans[0].hi) != dg.size {
		return nil
	}
	return r.finish(p, dg)
}

// create starts a datagram for f, dropping the oldest one if the count is
// at its limit.
func (r *reassembler) create(f *fragment, now int64) *datagram {
	if r.count >= r.cfg.MaxFragDatagrams {
		r.drop(r.oldest)
		r.stats.FragEvicted++
	}
	var dg *datagram
	if n := len(r.spare); n > 0 {
		dg = r.spare[n-1]
		r.spare = r.spare[:n-1]
	} else {
		dg = new(datagram)
	}
	dg.key = f.key
	dg.first = now
	dg.buf, dg.class = nil, 0
	dg.base = fragBaseV4
	if f.key.v6 {
		dg.base = len(f.hdr)
	}
	dg.hdrLen, dg.nhOff = 0, f.nhOff
	dg.nextProto, dg.unfragLen = f.nextProto, len(f.hdr)
	dg.size, dg.end, dg.n = -1, 0, 0

	dg.older, dg.newer = r.newest, nil
	if r.newest != nil {
		r.newest.newer = dg
	} else {
		r.oldest = dg
	}
	r.newest = dg
	r.table[f.key] = dg
	r.count++
	return dg
}

// drop forgets dg and takes back its buffer.
func (r *reassembler) drop(dg *datagram) {
	if dg.older != nil {
		dg.older.newer = dg.newer
	} else {
		r.oldest = dg.newer
	}
	if dg.newer != nil {
		dg.newer.older = dg.older
	} else {
		r.newest = dg.older
	}
	dg.older, dg.newer = nil, nil
	delete(r.table, dg.key)
	r.count--
	if dg.buf != nil {
		r.put(dg.buf, dg.class)
		dg.buf = nil
	}
	r.spare = append(r.spare, dg)
}

// reserve makes dg's buffer hold a payload of end bytes at base, moving what
// it holds if either changes. It returns the weird name of why it could not.
func (r *reassembler) reserve(dg *datagram, base, end int) string {
	need := base + end
	if dg.buf != nil && base == dg.base && need <= len(dg.buf) {
		return ""
	}
	class := 0
	for class < len(fragClassSize) && fragClassSize[class] < need {
		class++
	}
	if class == len(fragClassSize) {
		return weirdLargeFragment
	}
	buf := r.get(class, dg)
	if buf == nil {
		return weirdFragmentLimit
	}
	if dg.buf != nil {
		copy(buf[base-dg.hdrLen:], dg.buf[dg.base-dg.hdrLen:dg.base+dg.end])
		r.put(dg.buf, dg.class)
	}
	dg.buf, dg.class, dg.base = buf, class, base
	return ""
}

// get returns a buffer of the class, within MaxFragBytes: it reuses an idle
// one, allocates, or else frees idle buffers and then drops the oldest
// datagrams other than keep until it can. It returns nil if even that fails.
func (r *reassembler) get(class int, keep *datagram) []byte {
	for {
		if fl := r.free[class]; len(fl) > 0 {
			buf := fl[len(fl)-1]
			fl[len(fl)-1] = nil
			r.free[class] = fl[:len(fl)-1]
			return buf
		}
		size := fragClassSize[class]
		if r.held+size <= r.cfg.MaxFragBytes {
			r.held += size
			return make([]byte, size)
		}
		if r.dropIdle() {
			continue
		}
		victim := r.oldest
		if victim == keep {
			victim = victim.newer
		}
		if victim == nil {
			return nil
		}
		r.drop(victim)
		r.stats.FragEvicted++
	}
}

// put keeps buf, of the class, for reuse.
func (r *reassembler) put(buf []byte, class int) {
	r.free[class] = append(r.free[class], buf)
}

// dropIdle lets the garbage collector have one idle buffer, the largest.
func (r *reassembler) dropIdle() bool {
	for c := len(r.free) - 1; c >= 0; c-- {
		if fl := r.free[c]; len(fl) > 0 {
			fl[len(fl)-1] = nil
			r.free[c] = fl[:len(fl)-1]
			r.held -= fragClassSize[c]
			return true
		}
	}
	return false
}

// insert copies the payload bytes data at offset lo into dg where it holds
// none yet: the bytes seen first win, as in Zeek, and an overlap is a weird
// ("fragment_inconsistency" if the bytes differ). It returns false if dg
// would hold too many disjoint ranges.
func (r *reassembler) insert(p *Packet, dg *datagram, lo int, data []byte) bool {
	hi := lo + len(data)
	spans := dg.spans[:dg.n]
	// spans[a:b] are those that overlap or touch [lo, hi).
	a := 0
	for a < len(spans) && int(spans[a].hi) < lo {
		a++
	}
	b := a
	for b < len(spans) && int(spans[b].lo) <= hi {
		b++
	}
	if len(spans)-(b-a)+1 > fragMaxSpans {
		return false
	}

	payload := dg.buf[dg.base:]
	pos := lo // bytes of [lo, pos) are placed or compared
	for _, s := range spans[a:b] {
		slo, shi := int(s.lo), int(s.hi)
		if slo > pos {
			copy(payload[pos:slo], data[pos-lo:])
		}
		if olo, ohi := max(pos, slo), min(hi, shi); olo < ohi {
			if bytes.Equal(payload[olo:ohi], data[olo-lo:ohi-lo]) {
				p.ExtraWeird |= WeirdFragmentOverlap
			} else {
				p.ExtraWeird |= WeirdFragmentInconsistency
			}
		}
		pos = max(pos, shi)
	}
	if pos < hi {
		copy(payload[pos:hi], data[pos-lo:])
	}

	merged := span{int32(lo), int32(hi)}
	if a < b {
		merged.lo = min(merged.lo, spans[a].lo)
		merged.hi = max(merged.hi, spans[b-1].hi)
	}
	switch {
	case a == b: // a new range before spans[a]
		copy(dg.spans[a+1:dg.n+1], dg.spans[a:dg.n])
		dg.n++
	default: // spans[a:b] become one
		copy(dg.spans[a+1:], dg.spans[b:dg.n])
		dg.n -= b - a - 1
	}
	dg.spans[a] = merged
	dg.end = max(dg.end, hi)
	return true
}

// finish turns the complete dg into a datagram with a consistent header:
// IPv4 total length, fragment flags and checksum; IPv6 payload length, and
// the fragment header unlinked from the chain. It returns nil, with p
// Weird, if the datagram is too long for its header to say.
func (r *reassembler) finish(p *Packet, dg *datagram) []byte {
	dgram := dg.buf[dg.base-dg.hdrLen : dg.base+dg.size]
	if !dg.key.v6 {
		if len(dgram) > 65535 {
			r.drop(dg)
			weird(p, weirdLargeFragment)
			return nil
		}
		binary.BigEndian.PutUint16(dgram[2:4], uint16(len(dgram)))
		binary.BigEndian.PutUint16(dgram[6:8], be16(dgram[6:8])&^(ipv4MF|ipv4OffsetMask))
		dgram[10], dgram[11] = 0, 0
		binary.BigEndian.PutUint16(dgram[10:12], Checksum(dgram[:dg.hdrLen]))
	} else {
		if len(dgram)-40 > 65535 {
			r.drop(dg)
			weird(p, weirdLargeFragment)
			return nil
		}
		binary.BigEndian.PutUint16(dgram[4:6], uint16(len(dgram)-40))
		dgram[dg.nhOff] = dg.nextProto
	}
	r.stats.FragReassembled++

	// The buffer outlives the datagram until the next Decode.
	r.last = append(r.last, lastBuf{dg.buf, dg.class})
	dg.buf = nil
	r.drop(dg)
	return dgram
}
