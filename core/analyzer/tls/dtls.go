package tls

import "fmt"

// maxDTLSFragments bounds the fragments one DTLS handshake message may be
// reassembled from.
const maxDTLSFragments = 64

// Datagram parses one UDP payload as DTLS records: the classic 13-byte
// header (with a connection id for the tls12_cid content type) and DTLS
// 1.3's unified header. STUN packets multiplexed on the same port (WebRTC)
// are skipped, as Zeek skips them.
func (s *session) Datagram(ts int64, isOrig bool, b []byte) {
	if s.stopped {
		return
	}
	s.dtls = true
	if len(b) > 20 && b[4] == 0x21 && b[5] == 0x12 && b[6] == 0xa4 && b[7] == 0x42 {
		return
	}
	for len(b) > 0 && !s.stopped {
		if b[0]&0xe0 == 0x20 { // DTLS 1.3 unified header: always encrypted
			n, ok := s.unifiedHeaderLen(isOrig, b)
			if !ok {
				s.violation(ts, "truncated DTLS 1.3 record")
				return
			}
			b = b[n:]
			s.dirs[side(isOrig)].encrypted = true
			s.ciphertext(ts)
			continue
		}
		if len(b) < 13 {
			s.violation(ts, "truncated DTLS record header")
			return
		}
		ctype, ver, epoch := int(b[0]), be16(b[1:]), be16(b[3:])
		off := 11
		if ctype == ctTLS12CID {
			off += s.cidLen[side(isOrig)]
		}
		if len(b) < off+2 || len(b) < off+2+int(be16(b[off:])) {
			s.violation(ts, "truncated DTLS record")
			return
		}
		n := int(be16(b[off:]))
		body := b[off+2 : off+2+n]
		b = b[off+2+n:]
		if ver != versionDTLSv10 && ver != versionDTLSv12 {
			s.violation(ts, fmt.Sprintf("Invalid version in DTLS connection. Packet reported version: %d", ver))
			return
		}
		if epoch != 0 || ctype == ctTLS12CID {
			if s.chosenVersion == versionDTLSv13 {
				s.dirs[side(isOrig)].encrypted = true
			}
			s.ciphertext(ts)
			continue
		}
		s.dtlsPlaintext(ts, isOrig, ctype, ver, body)
	}
}

// unifiedHeaderLen returns the length of the DTLS 1.3 record at the start
// of b (RFC 9147 section 4): flags 001CSLEE, connection id if C, 8- or
// 16-bit sequence number, length if L (else the record fills the datagram).
func (s *session) unifiedHeaderLen(isOrig bool, b []byte) (int, bool) {
	h := b[0]
	off := 1
	if h&0x10 != 0 {
		off += s.cidLen[side(isOrig)]
	}
	if h&0x08 != 0 {
		off += 2
	} else {
		off++
	}
	if h&0x04 == 0 {
		return len(b), off <= len(b)
	}
	if len(b) < off+2 {
		return 0, false
	}
	n := off + 2 + int(be16(b[off:]))
	return n, n <= len(b)
}

// dtlsPlaintext processes an epoch-0 DTLS record.
func (s *session) dtlsPlaintext(ts int64, isOrig bool, ctype int, raw uint16, body []byte) {
	s.setSession(ts)
	switch ctype {
	case ctChangeCipherSpec:
		s.changeCipherSpec(ts, isOrig)
		s.dirs[side(isOrig)].encrypted = true
	case ctAlert:
		for i := 0; i+2 <= len(body); i += 2 {
			s.alert(ts, isOrig, body[i], body[i+1])
		}
	case ctHandshake:
		for len(body) > 0 && !s.stopped {
			if len(body) < 12 {
				s.violation(ts, "truncated DTLS handshake header")
				return
			}
			typ, length := body[0], be24(body[1:])
			seq, foff, flen := be16(body[4:]), be24(body[6:]), be24(body[9:])
			if len(body) < 12+flen {
				s.violation(ts, "DTLS handshake record length does not match packet length")
				return
			}
			s.dtlsFragment(ts, isOrig, raw, typ, length, seq, foff, body[12:12+flen])
			body = body[12+flen:]
		}
	case ctApplicationData:
		s.earlyData(ts)
	case ctHeartbeat:
		s.addHistory(ts, isOrig, 'b')
	default:
		s.violation(ts, fmt.Sprintf("unknown SSL record type (%d) from %s", ctype, origLabel(isOrig)))
	}
}

// dtlsReasm reassembles one side's fragmented handshake message.
type dtlsReasm struct {
	active bool
	seq    uint16
	length int
	buf    []byte
	spans  []span // covered byte ranges, sorted and merged
}

type span struct{ from, to int }

// dtlsFragment handles one handshake fragment: a whole message goes
// straight to the handshake layer, pieces are reassembled first.
// Retransmitted whole messages are processed again, as Zeek does.
func (s *session) dtlsFragment(ts int64, isOrig bool, raw uint16, typ uint8, length int, seq uint16, off int, data []byte) {
	if off == 0 && len(data) == length {
		s.handshake(ts, isOrig, raw, typ, data)
		return
	}
	if length > s.cfg.MaxHandshakeMessage {
		s.violation(ts, fmt.Sprintf("DTLS record length %d larger than allowed maximum.", length))
		return
	}
	if off+len(data) > length {
		s.violation(ts, "DTLS handshake fragment trying to write past end of buffer")
		return
	}
	r := &s.dirs[side(isOrig)].frag
	if !r.active || r.seq != seq || r.length != length {
		r.active, r.seq, r.length = true, seq, length
		if cap(r.buf) < length {
			r.buf = make([]byte, length)
		}
		r.buf = r.buf[:length]
		r.spans = r.spans[:0]
	}
	copy(r.buf[off:], data)
	if !r.add(off, off+len(data)) {
		r.active = false
		s.violation(ts, fmt.Sprintf("DTLS message fragmented over more than %d pieces. Cannot reassemble.", maxDTLSFragments))
		return
	}
	if len(r.spans) == 1 && r.spans[0].from == 0 && r.spans[0].to == length {
		r.active = false
		s.handshake(ts, isOrig, raw, typ, r.buf)
	}
}

// add records [from, to) as covered, merging overlapping and adjacent
// spans. It reports false when too many disjoint spans are held.
func (r *dtlsReasm) add(from, to int) bool {
	if from == to {
		return true
	}
	i := 0
	for i < len(r.spans) && r.spans[i].to < from {
		i++
	}
	j := i
	for j < len(r.spans) && r.spans[j].from <= to {
		from = min(from, r.spans[j].from)
		to = max(to, r.spans[j].to)
		j++
	}
	if i == j {
		if len(r.spans) >= maxDTLSFragments {
			return false
		}
		r.spans = append(r.spans, span{})
		copy(r.spans[i+1:], r.spans[i:])
		r.spans[i] = span{from, to}
		return true
	}
	r.spans[i] = span{from, to}
	r.spans = append(r.spans[:i+1], r.spans[j:]...)
	return true
}
