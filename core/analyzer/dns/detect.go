package dns

import "github.com/weirnet/weir/core/analyzer"

// Detect implements analyzer.Analyzer: it recognises DNS by content, as a
// UDP message or as the start of a TCP stream (two-byte length, message).
// A match needs a sane header (a known opcode, plausible record counts for
// the length) and a well-formed first question: labels of 1 to 63 bytes, a
// name of at most 255, a known class. data is not retained.
func (a *Analyzer) Detect(isOrig bool, data []byte) analyzer.Verdict {
	udp := a.plausible(data, len(data), true)
	if udp == analyzer.Match {
		return udp
	}
	tcp := analyzer.NeedMore
	if len(data) >= 2 {
		size := int(data[0])<<8 | int(data[1])
		msg := data[2:]
		complete := len(msg) >= size
		if complete {
			msg = msg[:size]
		}
		if size < headerLen {
			tcp = analyzer.NoMatch
		} else {
			tcp = a.plausible(msg, size, complete)
		}
	}
	if tcp == analyzer.Match || tcp == analyzer.NeedMore {
		return tcp
	}
	return analyzer.NoMatch
}

// plausible checks the start of one message of the given size; complete
// says msg is all of it (otherwise running out of bytes means NeedMore).
func (a *Analyzer) plausible(msg []byte, size int, complete bool) analyzer.Verdict {
	short := analyzer.NoMatch
	if !complete {
		short = analyzer.NeedMore
	}
	// Judge the flags as soon as they are there: a stream's first segment
	// may hold only the start of the header.
	if len(msg) >= 4 {
		flags := uint16(msg[2])<<8 | uint16(msg[3])
		switch op := flags >> 11 & 0xf; op {
		case 0, 1, 2, 4, 5:
		default:
			return analyzer.NoMatch
		}
		if flags&0x8000 == 0 && flags&0xf != 0 {
			return analyzer.NoMatch // a query with an rcode
		}
	}
	if len(msg) < headerLen {
		return short
	}
	h := parseHeader(msg)
	if int(h.qd) > a.cfg.MaxQueries || h.qd == 0 && (!h.qr || h.an == 0) {
		return analyzer.NoMatch
	}
	// Every question takes at least 5 bytes, every record at least 11.
	if headerLen+5*int(h.qd)+11*(int(h.an)+int(h.ns)+int(h.ar)) > size {
		return analyzer.NoMatch
	}
	// The first name (of the first question, or of the first answer of a
	// response without question) cannot use compression: nothing precedes
	// it.
	i, n := headerLen, 0
	for {
		if i >= len(msg) {
			return short
		}
		l := int(msg[i])
		i++
		if l == 0 {
			break
		}
		if l > 63 {
			return analyzer.NoMatch // a pointer, an extended label or a long one
		}
		n += l + 1
		if n > 255 {
			return analyzer.NoMatch
		}
		i += l
	}
	if i+4 > len(msg) {
		return short
	}
	switch class := (uint16(msg[i+2])<<8 | uint16(msg[i+3])) & 0x7fff; class { // mDNS uses the top bit
	case 1, 3, 4, 254, 255:
		return analyzer.Match
	}
	return analyzer.NoMatch
}
