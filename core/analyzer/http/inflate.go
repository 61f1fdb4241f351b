package http

import "errors"

// inflater decompresses a gzip, zlib or raw deflate stream (RFC 1952, 1950,
// 1951) handed to it in pieces, the way Zeek's ZIP support analyzer
// decompresses a body with Content-Encoding gzip or deflate.
//
// The HTTP analyzer needs two things from a compressed body: its
// decompressed length (Zeek's body length counts decompressed bytes) and
// its first bytes (for MIME sniffing). So the inflater keeps no history
// window: it counts every decompressed byte and stores only the first
// cap(prefix) of them, resolving back-references inside that prefix. Its
// memory is the Huffman tables (about 3 KB) whatever the body size, and it
// is push-driven: Write accepts any split of the input, keeping at most 64
// bits of it between calls, so no goroutine or input buffering is needed.
//
// Like zlib under Zeek, it auto-detects gzip and zlib headers, falls back
// to raw deflate when the stream starts with neither, stops at the end of
// the first deflate stream (trailing bytes are ignored) and gives up for
// good on corrupt data.
type inflater struct {
	prefix []byte // first decompressed bytes, up to cap(prefix); owned by the caller
	total  uint64 // decompressed bytes so far
	state  infState
	failed bool

	acc  uint64 // input bits not consumed yet, least significant first
	nacc uint   // number of valid bits in acc

	final  bool // the current block is the last one
	remain int  // stored block: bytes left; gzip header: bytes left of a field
	flags  byte // gzip FLG
	hlit   int  // dynamic header: literal/length codes
	hdist  int  // dynamic header: distance codes
	hclen  int  // dynamic header: code length codes
	idx    int  // dynamic header: next code length to read
	lens   [320]uint8
	clen   huffman // code length code
	lit    huffman
	dist   huffman
	litP   *huffman // tables of the current block (fixed or dynamic)
	distP  *huffman
}

type infState uint8

const (
	infDetect      infState = iota // first two bytes: gzip, zlib or raw
	infGzipHeader                  // gzip header fields after the magic
	infGzipExtra                   // FEXTRA payload
	infGzipName                    // FNAME, zero-terminated
	infGzipComment                 // FCOMMENT, zero-terminated
	infGzipHCRC                    // FHCRC
	infBlockHeader
	infStoredLen
	infStored
	infDynHeader
	infDynCodeLens
	infDynLens
	infCodes
	infDone // end of the deflate stream: further input is ignored
)

// gzip flag bits (RFC 1952 section 2.3.1).
const (
	gzFHCRC    = 1 << 1
	gzFEXTRA   = 1 << 2
	gzFNAME    = 1 << 3
	gzFCOMMENT = 1 << 4
)

var errCorrupt = errors.New("corrupt deflate data")

// reset prepares z for a new stream that keeps its first bytes in prefix
// (which may be nil or of zero capacity: count only).
func (z *inflater) reset(prefix []byte) {
	z.prefix = prefix[:0]
	z.total = 0
	z.state = infDetect
	z.failed = false
	z.acc, z.nacc = 0, 0
	z.final = false
}

// Done reports whether the stream ended or failed: more input changes
// nothing.
func (z *inflater) Done() bool { return z.failed || z.state == infDone }

// Write decompresses in, which is not retained. It returns errCorrupt the
// first time it finds corrupt data; from then on it ignores its input.
func (z *inflater) Write(in []byte) error {
	if z.failed || z.state == infDone {
		return nil
	}
	for {
		// Keep at least 56 bits at hand while input remains, so every
		// state below can look at a whole symbol group at once.
		for z.nacc <= 56 && len(in) > 0 {
			z.acc |= uint64(in[0]) << z.nacc
			z.nacc += 8
			in = in[1:]
		}
		var more bool
		var err error
		switch z.state {
		case infStored:
			in, more = z.stored(in)
		default:
			more, err = z.step()
		}
		if err != nil {
			z.failed = true
			return err
		}
		if z.state == infDone {
			return nil
		}
		if more && len(in) == 0 {
			return nil // everything consumed or held in acc
		}
	}
}

// bits returns the next n bits without consuming them; ok is false when
// fewer are at hand.
func (z *inflater) bits(n uint) (uint32, bool) {
	if z.nacc < n {
		return 0, false
	}
	return uint32(z.acc & (1<<n - 1)), true
}

func (z *inflater) drop(n uint) {
	z.acc >>= n
	z.nacc -= n
}

// byte_ takes one whole byte (the acc is byte aligned in the header states).
func (z *inflater) byte_() (byte, bool) {
	if z.nacc < 8 {
		return 0, false
	}
	b := byte(z.acc)
	z.drop(8)
	return b, true
}

// step runs the current state once. more reports that it needs more input
// than is at hand (nothing was consumed by the failed attempt).
func (z *inflater) step() (more bool, err error) {
	switch z.state {
	case infDetect:
		v, ok := z.bits(16)
		if !ok {
			return true, nil
		}
		b0, b1 := byte(v), byte(v>>8)
		switch {
		case b0 == 0x1f && b1 == 0x8b:
			z.drop(16)
			z.state = infGzipHeader
			z.remain = 8 // CM, FLG, MTIME(4), XFL, OS
		case b0&0x0f == 8 && b0>>4 <= 7 && (uint(b0)<<8|uint(b1))%31 == 0 && b1&0x20 == 0:
			z.drop(16) // zlib header without preset dictionary
			z.state = infBlockHeader
		default:
			z.state = infBlockHeader // raw deflate, as zlib's retry in Zeek
		}
	case infGzipHeader:
		b, ok := z.byte_()
		if !ok {
			return true, nil
		}
		switch 8 - z.remain {
		case 0:
			if b != 8 {
				return false, errCorrupt
			}
		case 1:
			z.flags = b
		}
		z.remain--
		if z.remain == 0 {
			z.state = infGzipExtra
			z.remain = -1
		}
	case infGzipExtra:
		if z.flags&gzFEXTRA == 0 {
			z.state = infGzipName
			break
		}
		if z.remain < 0 {
			v, ok := z.bits(16)
			if !ok {
				return true, nil
			}
			z.drop(16)
			z.remain = int(v)
			break
		}
		if z.remain == 0 {
			z.state = infGzipName
			break
		}
		if _, ok := z.byte_(); !ok {
			return true, nil
		}
		z.remain--
	case infGzipName, infGzipComment:
		flag := byte(gzFNAME)
		next := infGzipComment
		if z.state == infGzipComment {
			flag, next = gzFCOMMENT, infGzipHCRC
		}
		if z.flags&flag == 0 {
			z.state = next
			break
		}
		b, ok := z.byte_()
		if !ok {
			return true, nil
		}
		if b == 0 {
			z.state = next
		}
	case infGzipHCRC:
		if z.flags&gzFHCRC != 0 {
			if _, ok := z.bits(16); !ok {
				return true, nil
			}
			z.drop(16)
		}
		z.state = infBlockHeader
	case infBlockHeader:
		v, ok := z.bits(3)
		if !ok {
			return true, nil
		}
		z.drop(3)
		z.final = v&1 == 1
		switch v >> 1 {
		case 0:
			z.drop(z.nacc % 8) // stored blocks start on a byte boundary
			z.state = infStoredLen
		case 1:
			z.litP, z.distP = &fixedLit, &fixedDist
			z.state = infCodes
		case 2:
			z.state = infDynHeader
		default:
			return false, errCorrupt
		}
	case infStoredLen:
		v, ok := z.bits(32)
		if !ok {
			return true, nil
		}
		z.drop(32)
		n, nn := uint16(v), uint16(v>>16)
		if n != ^nn {
			return false, errCorrupt
		}
		z.remain = int(n)
		z.state = infStored
	case infDynHeader:
		v, ok := z.bits(14)
		if !ok {
			return true, nil
		}
		z.drop(14)
		z.hlit = int(v&0x1f) + 257
		z.hdist = int(v>>5&0x1f) + 1
		z.hclen = int(v>>10) + 4
		if z.hlit > 286 || z.hdist > 30 {
			return false, errCorrupt
		}
		z.idx = 0
		clear(z.lens[:19])
		z.state = infDynCodeLens
	case infDynCodeLens:
		for z.idx < z.hclen {
			v, ok := z.bits(3)
			if !ok {
				return true, nil
			}
			z.drop(3)
			z.lens[codeLenOrder[z.idx]] = uint8(v)
			z.idx++
		}
		if z.clen.build(z.lens[:19]) != 0 {
			return false, errCorrupt
		}
		z.idx = 0
		z.state = infDynLens
	case infDynLens:
		return z.dynLens()
	case infCodes:
		return z.codes()
	}
	return false, nil
}

// codeLenOrder is the order of the code length code lengths (RFC 1951
// section 3.2.7).
var codeLenOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// dynLens reads the literal/length and distance code lengths of a dynamic
// block, one code length symbol (and its repeat bits) at a time.
func (z *inflater) dynLens() (bool, error) {
	n := z.hlit + z.hdist
	for z.idx < n {
		sym, l := z.clen.decode(z.acc, z.nacc)
		if l < 0 {
			return false, errCorrupt
		}
		if l == 0 {
			return true, nil
		}
		if sym < 16 {
			z.drop(uint(l))
			z.lens[z.idx] = uint8(sym)
			z.idx++
			continue
		}
		var extra, base uint
		var val uint8
		switch sym {
		case 16:
			if z.idx == 0 {
				return false, errCorrupt
			}
			val = z.lens[z.idx-1]
			extra, base = 2, 3
		case 17:
			extra, base = 3, 3
		default:
			extra, base = 7, 11
		}
		if z.nacc < uint(l)+extra {
			return true, nil
		}
		rep := int(base + uint((z.acc>>uint(l))&(1<<extra-1)))
		z.drop(uint(l) + extra)
		if z.idx+rep > n {
			return false, errCorrupt
		}
		for ; rep > 0; rep-- {
			z.lens[z.idx] = val
			z.idx++
		}
	}
	if z.lens[256] == 0 {
		return false, errCorrupt // no end-of-block code
	}
	if e := z.lit.build(z.lens[:z.hlit]); e < 0 || e > 0 && z.hlit-int(z.lit.count[0]) != 1 {
		return false, errCorrupt
	}
	if e := z.dist.build(z.lens[z.hlit:n]); e < 0 || e > 0 && z.hdist-int(z.dist.count[0]) != 1 {
		return false, errCorrupt
	}
	z.litP, z.distP = &z.lit, &z.dist
	z.state = infCodes
	return false, nil
}

var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// codes decodes literals and length/distance pairs until the block ends
// or the bits at hand run out. A pair is decoded as a whole (at most 48
// bits) or not at all, so a pause never splits one.
func (z *inflater) codes() (bool, error) {
	for {
		sym, l := z.litP.decode(z.acc, z.nacc)
		if l < 0 {
			return false, errCorrupt
		}
		if l == 0 {
			return true, nil
		}
		if sym < 256 {
			z.drop(uint(l))
			z.literal(byte(sym))
			continue
		}
		if sym == 256 {
			z.drop(uint(l))
			if z.final {
				z.state = infDone
			} else {
				z.state = infBlockHeader
			}
			return false, nil
		}
		sym -= 257
		if sym >= 29 {
			return false, errCorrupt
		}
		used := uint(l)
		le := uint(lengthExtra[sym])
		if z.nacc < used+le {
			return true, nil
		}
		length := int(lengthBase[sym]) + int((z.acc>>used)&(1<<le-1))
		used += le
		dsym, dl := z.distP.decode(z.acc>>used, z.nacc-used)
		if dl < 0 {
			return false, errCorrupt
		}
		if dl == 0 {
			return true, nil
		}
		if dsym >= 30 {
			return false, errCorrupt
		}
		used += uint(dl)
		de := uint(distExtra[dsym])
		if z.nacc < used+de {
			return true, nil
		}
		dist := int(distBase[dsym]) + int((z.acc>>used)&(1<<de-1))
		z.drop(used + de)
		if uint64(dist) > z.total {
			return false, errCorrupt // reaches before the start of the output
		}
		z.match(dist, length)
	}
}

// stored copies the bytes of a stored block: first whole bytes left in
// acc, then straight from the input.
func (z *inflater) stored(in []byte) ([]byte, bool) {
	for z.remain > 0 && z.nacc >= 8 {
		z.literal(byte(z.acc))
		z.drop(8)
		z.remain--
	}
	if z.remain > 0 && z.nacc == 0 && len(in) > 0 {
		n := min(z.remain, len(in))
		z.literals(in[:n])
		z.remain -= n
		in = in[n:]
	}
	if z.remain == 0 {
		if z.final {
			z.state = infDone
		} else {
			z.state = infBlockHeader
		}
		return in, false
	}
	return in, true
}

func (z *inflater) literal(c byte) {
	if len(z.prefix) < cap(z.prefix) {
		z.prefix = append(z.prefix, c)
	}
	z.total++
}

func (z *inflater) literals(b []byte) {
	if room := cap(z.prefix) - len(z.prefix); room > 0 {
		z.prefix = append(z.prefix, b[:min(room, len(b))]...)
	}
	z.total += uint64(len(b))
}

// match copies length bytes from dist back. While the prefix is not full
// it holds every byte produced so far, so the source is inside it.
func (z *inflater) match(dist, length int) {
	for i := 0; i < length && len(z.prefix) < cap(z.prefix); i++ {
		z.prefix = append(z.prefix, z.prefix[len(z.prefix)-dist])
	}
	z.total += uint64(length)
}

// huffman is a canonical Huffman code (RFC 1951 section 3.2.2) with a
// lookup table for codes of up to fastBits bits and a bit-by-bit walk
// (as zlib's puff) for longer ones.
type huffman struct {
	count  [16]uint16  // codes of each length
	symbol [288]uint16 // symbols in canonical order
	fast   [1 << fastBits]uint16
}

const fastBits = 9

// build makes the code from per-symbol code lengths. It returns 0 for a
// complete code, a positive number for an incomplete one and -1 for an
// over-subscribed one.
func (h *huffman) build(lengths []uint8) int {
	clear(h.count[:])
	for _, l := range lengths {
		h.count[l]++
	}
	if int(h.count[0]) == len(lengths) {
		clear(h.fast[:])
		return 0 // no codes: complete, but decoding anything fails
	}
	left := 1
	for l := 1; l < 16; l++ {
		left <<= 1
		left -= int(h.count[l])
		if left < 0 {
			return -1
		}
	}
	var offs [16]uint16
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	for sym, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = uint16(sym)
			offs[l]++
		}
	}
	// The fast table: every code of at most fastBits bits, bit-reversed
	// (the stream carries codes most significant bit first), replicated
	// over the unused high bits.
	clear(h.fast[:])
	code, idx := 0, 0
	for l := 1; l <= fastBits; l++ {
		for i := 0; i < int(h.count[l]); i++ {
			rev := reverseBits(uint16(code), uint(l))
			entry := h.symbol[idx]<<4 | uint16(l)
			for j := int(rev); j < len(h.fast); j += 1 << l {
				h.fast[j] = entry
			}
			code++
			idx++
		}
		code <<= 1
	}
	return left
}

func reverseBits(v uint16, n uint) uint16 {
	var r uint16
	for i := uint(0); i < n; i++ {
		r = r<<1 | v&1
		v >>= 1
	}
	return r
}

// decode reads one symbol from the low bits of acc (n of them valid). It
// returns the symbol and its code length; length 0 means more bits are
// needed, -1 that the bits are not a code.
func (h *huffman) decode(acc uint64, n uint) (int, int) {
	if e := h.fast[acc&(1<<fastBits-1)]; e != 0 {
		if l := int(e & 15); uint(l) <= n {
			return int(e >> 4), l
		}
		return 0, 0
	}
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		if uint(l) > n {
			return 0, 0
		}
		code |= int(acc>>(l-1)) & 1
		c := int(h.count[l])
		if code-c < first {
			return int(h.symbol[index+code-first]), l
		}
		index += c
		first += c
		first <<= 1
		code <<= 1
	}
	return 0, -1
}

// The fixed codes of block type 1, built once; read-only afterwards.
var fixedLit, fixedDist huffman

func init() {
	var l [288]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	fixedLit.build(l[:])
	var d [30]uint8
	for i := range d {
		d[i] = 5
	}
	fixedDist.build(d[:])
}
