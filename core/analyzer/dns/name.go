package dns

// nameMax is the room for one presentation-form name, Zeek's 513-byte
// buffer less its terminator. A name longer than 255 bytes is a weird but
// is kept; labels that would overflow the buffer end the name.
const nameMax = 512

// cursor is a read position in the message and how many bytes may be read
// from it: Zeek's (data, len) pair. pos+n never exceeds the message length.
type cursor struct {
	pos, n int
}

func (c *cursor) skip(k int) {
	k = min(max(k, 0), c.n)
	c.pos += k
	c.n -= k
}

// u8, u16 and u32 read big-endian integers as Zeek's ExtractShort and
// ExtractLong do: when too few bytes are left they return 0 and consume
// nothing.
func (p *parser) u8(c *cursor) uint8 {
	if c.n < 1 {
		return 0
	}
	v := p.msg[c.pos]
	c.pos++
	c.n--
	return v
}

func (p *parser) u16(c *cursor) uint16 {
	if c.n < 2 {
		return 0
	}
	v := uint16(p.msg[c.pos])<<8 | uint16(p.msg[c.pos+1])
	c.pos += 2
	c.n -= 2
	return v
}

func (p *parser) u32(c *cursor) uint32 {
	if c.n < 4 {
		return 0
	}
	b := p.msg[c.pos : c.pos+4]
	c.pos += 4
	c.n -= 4
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// stream consumes up to l bytes (Zeek's ExtractStream: a negative l is 0,
// and it stops at the end of the readable bytes) and returns them.
func (p *parser) stream(c *cursor, l int) []byte {
	l = min(max(l, 0), c.n)
	b := p.msg[c.pos : c.pos+l]
	c.pos += l
	c.n -= l
	return b
}

// name reads a domain name at c and appends its presentation form to dst
// (which must have room for nameMax bytes), as Zeek's ExtractName does:
// labels joined by '.', the trailing dot removed, no escaping, lower-cased
// if downcase. Compression pointers must point backwards, and the name they
// lead to must end before the pointer, so pointer loops are impossible; the
// chain is further bounded by the configured depth. Malformed names end
// where the problem is, with a weird, and parsing goes on from there, as in
// Zeek.
func (p *parser) name(c *cursor, dst []byte, downcase bool) []byte {
	return p.nameAt(c, dst, downcase, 0)
}

func (p *parser) nameAt(c *cursor, dst []byte, downcase bool, depth int) []byte {
	start := len(dst)
	for {
		var more bool
		dst, more = p.label(c, dst, depth)
		if !more {
			break
		}
	}
	n := len(dst) - start
	if n >= 255 {
		p.weird("DNS_NAME_too_long", "")
	}
	if n >= 2 && dst[len(dst)-1] == '.' {
		dst = dst[:len(dst)-1]
	}
	if downcase {
		lower(dst[start:])
	}
	return dst
}

// label reads one label (Zeek's ExtractLabel) and reports whether another
// may follow.
func (p *parser) label(c *cursor, dst []byte, depth int) ([]byte, bool) {
	if c.n <= 0 {
		return dst, false
	}
	at := c.pos
	l := int(p.msg[c.pos])
	c.pos++
	c.n--
	// Zeek stops when the length byte is the last readable byte, even for
	// the terminating zero.
	if c.n <= 0 || l == 0 {
		return dst, false
	}
	if l&0xc0 == 0xc0 {
		off := (l&0x3f)<<8 | int(p.msg[c.pos])
		c.pos++
		c.n--
		if off >= at {
			p.weird("DNS_label_forward_compress_offset", "")
			return dst, false
		}
		if depth >= p.maxDepth {
			p.weird("DNS_compression_chain_too_deep", "")
			return dst, false
		}
		// The target name must end before the pointer. Zeek lower-cases
		// the parts reached through pointers whatever the caller asked.
		rc := cursor{pos: off, n: at - off}
		return p.nameAt(&rc, dst, true, depth+1), false
	}
	if l > c.n {
		p.weird("DNS_label_len_gt_pkt", "")
		c.skip(c.n)
		return dst, false
	}
	if l > 63 && !p.netbios { // NetBIOS names use longer labels
		p.weird("DNS_label_too_long", "")
		return dst, false
	}
	if l >= nameMax-len(dst) {
		p.weird("DNS_label_len_gt_name_len", "")
		return dst, false
	}
	dst = append(dst, p.msg[c.pos:c.pos+l]...)
	dst = append(dst, '.')
	c.pos += l
	c.n -= l
	return dst, true
}

// lower lower-cases ASCII letters in place, as Zeek's isupper/tolower in
// the C locale.
func lower(b []byte) {
	for i, ch := range b {
		if ch >= 'A' && ch <= 'Z' {
			b[i] = ch + 'a' - 'A'
		}
	}
}
