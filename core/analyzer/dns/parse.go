package dns

import (
	"strconv"

	"github.com/weirnet/weir/core/analyzer"
)

// headerLen is the size of the fixed DNS header.
const headerLen = 12

// Sections of a message, Zeek's DNS_AnswerType; a dynamic update calls its
// answer and authority sections prerequisites and updates.
const (
	secAnswer = iota + 1
	secAuthority
	secAdditional
	secPrerequisite
	secUpdate
)

// header is a message's fixed header and what follows from it.
type header struct {
	id                 uint16
	opcode, rcode, z   uint8
	qr, aa, tc, rd, ra bool
	qd, an, ns, ar     uint16

	// tracked: the opcode is one Zeek's dns.log scripts handle (query,
	// notify, dynamic update); other messages are parsed for anomalies
	// only.
	tracked bool
	// update: a dynamic update (RFC 2136), whose sections are zone,
	// prerequisites, updates, additional. Not on NetBIOS, whose opcode 5
	// is a name registration.
	update bool
}

func parseHeader(b []byte) header {
	flags := uint16(b[2])<<8 | uint16(b[3])
	h := header{
		id:     uint16(b[0])<<8 | uint16(b[1]),
		qr:     flags&0x8000 != 0,
		opcode: uint8(flags>>11) & 0xf,
		aa:     flags&0x0400 != 0,
		tc:     flags&0x0200 != 0,
		rd:     flags&0x0100 != 0,
		ra:     flags&0x0080 != 0,
		z:      uint8(flags>>4) & 0x7,
		rcode:  uint8(flags) & 0xf,
		qd:     uint16(b[4])<<8 | uint16(b[5]),
		an:     uint16(b[6])<<8 | uint16(b[7]),
		ns:     uint16(b[8])<<8 | uint16(b[9]),
		ar:     uint16(b[10])<<8 | uint16(b[11]),
	}
	h.tracked = h.opcode == opQuery || h.opcode == opNotify || h.opcode == opUpdate
	return h
}

// parser holds what reading one message needs. It is part of a session and
// reused for every message; msg is only valid during the call.
type parser struct {
	msg      []byte
	conn     *analyzer.Conn
	ts       int64
	maxDepth int
	netbios  bool // the responder port is 137: NetBIOS name service rules

	// Name buffers: the question or owner name, and names inside rdata.
	owner, rname1, rname2 [nameMax]byte
}

func (p *parser) weird(name, addl string) { p.conn.Weird(name, addl, p.ts) }

// message interprets one DNS message as Zeek's DNS_Interpreter::ParseMessage
// and applies the dns.log script semantics to the session's transactions.
// isQuery is 1 for the originator, 0 for the responder, 2 when unknown (a
// partial TCP message flushed at the end).
func (s *session) message(ts int64, b []byte, isQuery int) {
	p := &s.p
	p.msg, p.ts = b, ts
	defer func() { p.msg = nil }()
	if len(b) < headerLen {
		p.weird("DNS_truncated_len_lt_hdr_len", "")
		return
	}
	h := parseHeader(b)
	if s.firstMessage && h.qr && isQuery == 1 {
		// The first message came from the originator but is a reply:
		// Zeek flips the connection's roles (unless the responder is a
		// multicast address): conn.log's too, over UDP, where the
		// tracker can; over TCP only the session's view of them.
		if !s.respMulticast() {
			s.c.FlipRoles()
			s.flip()
		}
	}
	s.firstMessage = false
	p.netbios = s.id.RespP == 137
	h.update = h.opcode == opUpdate && !p.netbios

	if !s.knownOpcode(h.opcode) {
		p.weird("DNS_unknown_opcode", strconv.Itoa(int(h.opcode)))
		return
	}
	if h.tracked {
		s.setSession(ts, &h)
	}
	if s.a.cfg.MaxQueries > 0 && int(h.qd) > s.a.cfg.MaxQueries {
		// Most non-DNS traffic on port 53 ends here.
		p.weird("DNS_Conn_count_too_large", "")
		s.endMessage(ts, &h)
		s.violation("DNS_Conn_count_too_large")
		return
	}
	c := cursor{pos: headerLen, n: len(b) - headerLen}
	ok := s.questions(&c, &h)
	if ok {
		sec := secAnswer
		if h.update {
			sec = secPrerequisite
		}
		ok = s.records(&c, &h, int(h.an), sec)
	}
	if ok {
		s.confirm()
		// Zeek's defaults (dns_skip_all_auth, dns_skip_all_addl) skip the
		// authority and additional sections: nothing in them reaches
		// dns.log. The updates of a dynamic update are logged, though.
		if h.update {
			s.records(&c, &h, int(h.ns), secUpdate)
		}
	}
	s.endMessage(ts, &h)
}

// knownOpcode reports whether the analyzer parses messages with this
// opcode: the ones dns.log tracks and, on NetBIOS, the name service's own.
func (s *session) knownOpcode(op uint8) bool {
	switch op {
	case opQuery, opNotify, opUpdate:
		return true
	case 6, 7, 8: // release, WACK, refresh
		return s.p.netbios
	}
	return false
}

func (s *session) questions(c *cursor, h *header) bool {
	for range h.qd {
		if !s.question(c, h) {
			return false
		}
	}
	return true
}

// question reads one question (Zeek's ParseQuestion).
func (s *session) question(c *cursor, h *header) bool {
	p := &s.p
	name := p.name(c, p.owner[:0], false)
	if c.n < 4 {
		p.weird("DNS_truncated_quest_too_short", "")
		return false
	}
	qtype := p.u16(c)
	qclass := p.u16(c)
	if h.update {
		return true // the zone of a dynamic update; not a query
	}
	lower(name)
	switch {
	case !h.qr:
		s.request(h, name, qtype, qclass)
	case h.an == 0 && h.ns == 0 && h.ar == 0:
		// A reply without any record: the question was rejected in
		// some fashion.
		if s.cur != nil {
			s.cur.rejected = true
		}
	}
	return true
}

func (s *session) records(c *cursor, h *header, n, sec int) bool {
	for range n {
		if !s.record(c, h, sec) {
			return false
		}
	}
	return true
}

// rr is the resource record being parsed.
type rr struct {
	sec    int
	owner  []byte
	typ    uint16
	class  uint16
	ttl    uint32
	rdlen  int
	rstart int // offset of the rdata
}

// record reads one resource record (Zeek's ParseAnswer) and reports
// whether the section may go on.
func (s *session) record(c *cursor, h *header, sec int) bool {
	p := &s.p
	r := rr{sec: sec}
	r.owner = p.name(c, p.owner[:0], true)
	if c.n < 4 {
		p.weird("DNS_truncated_ans_too_short", "")
		return false
	}
	r.typ = p.u16(c)
	r.class = p.u16(c)
	r.ttl = p.u32(c)
	r.rdlen = int(p.u16(c))
	r.rstart = c.pos
	if r.rdlen > c.n {
		p.weird("DNS_truncated_RR_rdlength_lt_len", "")
		return false
	}
	switch {
	case sec == secPrerequisite:
		s.prerequisite(h, &r)
		c.skip(r.rdlen)
		return true
	case sec == secUpdate && (r.class == classANY || r.class == classNONE):
		s.deletion(h, &r)
		c.skip(r.rdlen)
		return true
	}
	if r.rdlen == 0 && c.n > 0 {
		p.weird("DNS_zero_rdlength", "")
		return false
	}
	return s.rdata(c, h, &r)
}

// rdata parses the data of one record by type and hands its dns.log text to
// reply, with Zeek's quirks: some types consume a fixed number of bytes
// whatever rdlength says, and the next record is read from wherever the
// previous one ended.
func (s *session) rdata(c *cursor, h *header, r *rr) bool {
	p := &s.p
	out := s.replyBuf[:0]
	switch r.typ {
	case typeA:
		if r.rdlen != 4 {
			p.weird("DNS_RR_bad_length", "")
			return false
		}
		v := p.u32(c)
		if h.update && !p.netbios {
			out = append(out, "A "...)
			out = append(out, r.owner...)
			out = append(out, ' ')
		}
		out = appendIPv4(out, v)
		s.reply(h, r, out)

	case typeAAAA, typeA6:
		var a [16]byte
		for i := 0; i < 16; i += 4 {
			v := p.u32(c) // 0 when short: Zeek reads 16 bytes whatever rdlength
			a[i], a[i+1], a[i+2], a[i+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
		}
		if h.update && !p.netbios {
			if r.typ == typeAAAA {
				out = append(out, "AAAA "...)
			} else {
				out = append(out, "A6 "...)
			}
			out = append(out, r.owner...)
			out = append(out, ' ')
		}
		out = appendAddr16(out, a)
		s.reply(h, r, out)

	case typeNS, typeCNAME, typePTR:
		out = p.name(c, out, true)
		s.lengthCheck(c, r)
		s.reply(h, r, out)

	case typeSOA:
		mname := p.name(c, p.rname1[:0], true)
		p.name(c, p.rname2[:0], true)
		if c.n < 20 {
			return false
		}
		c.skip(20) // serial, refresh, retry, expire, minimum
		s.lengthCheck(c, r)
		s.reply(h, r, append(out, mname...))

	case typeMX:
		p.u16(c) // preference
		out = p.name(c, out, true)
		s.lengthCheck(c, r)
		s.reply(h, r, out)

	case typeSRV:
		if p.netbios {
			// NBSTAT, which SRV's number was taken from; not parsed.
			c.skip(r.rdlen)
			return true
		}
		p.u16(c) // priority
		p.u16(c) // weight
		p.u16(c) // port
		out = p.name(c, out, true)
		s.lengthCheck(c, r)
		s.reply(h, r, out)

	case typeTXT, typeSPF:
		prefix := "TXT "
		if r.typ == typeSPF {
			prefix = "SPF "
		}
		rd := r.rdlen
		for k := 0; ; k++ {
			str, ok := s.charString(c, &rd)
			if !ok {
				break
			}
			if k > 0 {
				out = append(out, ' ')
			}
			out = append(out, prefix...)
			out = strconv.AppendInt(out, int64(len(str)), 10)
			out = append(out, ' ')
			out = append(out, str...)
		}
		s.reply(h, r, out)
		return rd == 0

	case typeWKS:
		// Zeek logs nothing for WKS but still counts it as an answer.
		c.skip(r.rdlen)
		s.reply(h, r, out)

	case typeRRSIG:
		if c.n < 18 {
			return false
		}
		covered := p.u16(c)
		algo := p.u16(c) >> 8
		c.skip(14) // original TTL, expiration, inception, key tag
		start := c.pos
		signer := p.name(c, p.rname1[:0], true)
		p.stream(c, r.rdlen-(c.pos-start+18))
		s.algoWeird("DNSSEC_RRSIG_", uint8(algo))
		out = append(out, "RRSIG "...)
		out = strconv.AppendUint(out, uint64(covered), 10)
		out = append(out, ' ')
		if len(signer) == 0 {
			out = append(out, "<Root>"...)
		} else {
			out = append(out, signer...)
		}
		s.reply(h, r, out)

	case typeDNSKEY:
		if c.n < 4 {
			return false
		}
		flags := p.u16(c)
		pa := p.u16(c)
		proto, algo := uint8(pa>>8), uint8(pa)
		p.stream(c, r.rdlen-4)
		if flags&0xfe7e != 0 {
			p.weird("DNSSEC_DNSKEY_Invalid_Flag", strconv.Itoa(int(flags)))
		}
		if flags&0x0181 == 0x0181 {
			p.weird("DNSSEC_DNSKEY_Revoked_KSK", strconv.Itoa(int(flags)))
		}
		if proto != 3 {
			p.weird("DNSSEC_DNSKEY_Invalid_Protocol", strconv.Itoa(int(proto)))
		}
		s.algoWeird("DNSSEC_DNSKEY_", algo)
		out = append(out, "DNSKEY "...)
		out = strconv.AppendUint(out, uint64(algo), 10)
		s.reply(h, r, out)

	case typeNSEC:
		next := p.name(c, p.rname1[:0], true)
		s.bitmaps(c, r.rdlen-(c.pos-r.rstart), "DNSSEC_NSEC_bitmapLen0")
		out = append(out, "NSEC "...)
		out = append(out, r.owner...)
		out = append(out, ' ')
		out = append(out, next...)
		s.reply(h, r, out)

	case typeNSEC3:
		if c.n < 6 {
			return false
		}
		c.skip(4) // hash algorithm, flags, iterations
		p.stream(c, int(p.u8(c)))
		p.stream(c, int(p.u8(c)))
		s.bitmaps(c, r.rdlen-(c.pos-r.rstart), "DNSSEC_NSEC3_bitmapLen0")
		s.reply(h, r, append(out, "NSEC3"...))

	case typeNSEC3PARAM:
		if c.n < 5 {
			return false
		}
		c.skip(4)
		p.stream(c, int(p.u8(c)))
		s.reply(h, r, append(out, "NSEC3PARAM"...))

	case typeDS:
		if c.n < 4 {
			return false
		}
		p.u16(c) // key tag
		ad := p.u16(c)
		algo, dtype := uint8(ad>>8), uint8(ad)
		p.stream(c, r.rdlen-4)
		switch {
		case dtype == 0:
			p.weird("DNSSEC_DS_ReservedDigestType", strconv.Itoa(int(dtype)))
		case dtype > 4:
			p.weird("DNSSEC_DS_unknown_DigestType", strconv.Itoa(int(dtype)))
		}
		out = append(out, "DS "...)
		out = strconv.AppendUint(out, uint64(algo), 10)
		out = append(out, ' ')
		out = strconv.AppendUint(out, uint64(dtype), 10)
		s.reply(h, r, out)

	case typeBINDS:
		if c.n < 5 {
			return false
		}
		p.u32(c)
		p.stream(c, r.rdlen-4)
		s.reply(h, r, append(out, "BIND9 signing signal"...))

	case typeSSHFP:
		if c.n < 2 {
			return false
		}
		p.u16(c) // algorithm, fingerprint type
		fp := p.stream(c, r.rdlen-2)
		out = append(out, "SSHFP: "...)
		out = appendHex(out, fp)
		s.reply(h, r, out)

	case typeLOC:
		if c.n < 15 {
			return false
		}
		vs := p.u16(c)
		hv := p.u16(c)
		p.u32(c) // latitude
		p.u32(c) // longitude
		p.u32(c) // altitude
		if v := vs >> 8; v != 0 {
			p.weird("DNS_LOC_version_unrecognized", strconv.Itoa(int(v)))
		}
		out = append(out, "LOC:  "...)
		out = strconv.AppendUint(out, uint64(vs&0xff), 10)
		out = append(out, ' ')
		out = strconv.AppendUint(out, uint64(hv>>8), 10)
		out = append(out, ' ')
		out = strconv.AppendUint(out, uint64(hv&0xff), 10)
		s.reply(h, r, out)

	case typeNAPTR:
		return s.naptr(c, h, r, out)

	case typeSVCB, typeHTTPS:
		// Parsed for its anomalies; Zeek's scripts log nothing for it.
		if c.n < 3 {
			p.weird("DNS_SVBC_wrong_length", "")
			return false
		}
		p.u16(c) // priority
		p.name(c, p.rname1[:0], false)
		if used := c.pos - r.rstart; used < r.rdlen {
			c.skip(r.rdlen - used)
		}

	case typeOPT:
		return s.ednsOptions(c)

	case typeTSIG:
		p.name(c, p.rname1[:0], true) // algorithm
		p.u32(c)                      // time signed: seconds,
		p.u16(c)                      // and Zeek's "milliseconds"
		p.u16(c)                      // fudge
		p.stream(c, int(p.u16(c)))
		p.u16(c) // original id
		p.u16(c) // error
		p.stream(c, int(p.u16(c)))

	case typeHINFO, typeCAA, typeNBS, typeTKEY:
		// Zeek parses these but its scripts log nothing for them.
		c.skip(r.rdlen)

	default:
		out = append(out, "<unknown type="...)
		out = strconv.AppendUint(out, uint64(r.typ), 10)
		out = append(out, '>')
		s.reply(h, r, out)
		p.weird("DNS_RR_unknown_type", strconv.Itoa(int(r.typ)))
		c.skip(r.rdlen)
	}
	return true
}

// lengthCheck is Zeek's DNS_RR_length_mismatch for records whose data is a
// name (plus fixed fields): the parse should have used exactly rdlength.
func (s *session) lengthCheck(c *cursor, r *rr) {
	if c.pos-r.rstart != r.rdlen {
		s.p.weird("DNS_RR_length_mismatch", "")
	}
}

// charString reads one <character-string> of TXT and SPF data (Zeek's
// extract_char_string): rd is what is left of rdlength.
func (s *session) charString(c *cursor, rd *int) ([]byte, bool) {
	if *rd <= 0 {
		return nil, false
	}
	p := &s.p
	size := int(p.msg[c.pos])
	c.pos++
	c.n--
	*rd--
	if size > *rd {
		p.weird("DNS_TXT_char_str_past_rdlen", "")
		return nil, false
	}
	b := p.msg[c.pos : c.pos+size]
	c.pos += size
	c.n -= size
	*rd -= size
	return b, true
}

// bitmaps walks the type bitmaps of NSEC and NSEC3 as Zeek does.
func (s *session) bitmaps(c *cursor, n int, weird string) {
	p := &s.p
	for n > 0 && c.n > 0 {
		wb := p.u16(c)
		win, l := wb>>8, int(wb&0xff)
		if l == 0 {
			p.weird(weird, strconv.Itoa(int(win)))
			return
		}
		p.stream(c, l)
		n -= 2 + l
	}
}

// algoWeird reports DNSSEC algorithms Zeek flags in RRSIG and DNSKEY.
func (s *session) algoWeird(prefix string, algo uint8) {
	var what string
	switch algo {
	case 2, 3, 4, 5, 6, 7, 8, 10, 12, 13, 14, 15, 16:
		return
	case 1:
		what = "NotRecommended_ZoneSignAlgo"
	case 252:
		what = "Indirect_ZoneSignAlgo"
	case 253:
		what = "PrivateDNS_ZoneSignAlgo"
	case 254:
		what = "PrivateOID_ZoneSignAlgo"
	default:
		what = "unknown_ZoneSignAlgo"
	}
	s.p.weird(prefix+what, strconv.Itoa(int(algo)))
}

// naptr formats a NAPTR record as Zeek's dns_NAPTR_reply handler does:
// "NAPTR order preference flags service regexp replacement" (regexp and
// replacement each only when non-empty).
func (s *session) naptr(c *cursor, h *header, r *rr, out []byte) bool {
	p := &s.p
	end := r.rstart + r.rdlen
	order := p.u16(c)
	pref := p.u16(c)
	var strs [3][]byte
	for i := range strs {
		if c.pos >= end || c.pos+1+int(p.msg[c.pos]) > end {
			p.weird("DNS_RR_length_mismatch", "")
			c.skip(end - c.pos)
			return true
		}
		strs[i] = p.stream(c, int(p.u8(c)))
	}
	repl := p.name(c, p.rname1[:0], true)
	s.lengthCheck(c, r)
	out = append(out, "NAPTR "...)
	out = strconv.AppendUint(out, uint64(order), 10)
	out = append(out, ' ')
	out = strconv.AppendUint(out, uint64(pref), 10)
	out = append(out, ' ')
	out = append(out, strs[0]...)
	out = append(out, ' ')
	out = append(out, strs[1]...)
	out = append(out, ' ')
	out = append(out, strs[2]...)
	if len(repl) > 0 {
		if len(strs[2]) > 0 {
			out = append(out, ' ')
		}
		out = append(out, repl...)
	}
	s.reply(h, r, out)
	return true
}

// ednsOptions walks the options of an OPT record that Zeek parses in place:
// Zeek reads options up to the end of the message rather than of the
// record, and a record that does not end the message exactly is an
// EDNS_truncated_option. (OPT normally sits in the additional section,
// which is not parsed by default.)
func (s *session) ednsOptions(c *cursor) bool {
	p := &s.p
	for c.n >= 4 {
		p.u16(c) // code
		l := int(p.u16(c))
		if l > c.n {
			break
		}
		c.skip(l)
	}
	if c.n > 0 {
		p.weird("EDNS_truncated_option", "")
		return false
	}
	return true
}

// prerequisite formats a record of a dynamic update's prerequisite section
// (Zeek's dns_dynamic_update_pre handler).
func (s *session) prerequisite(h *header, r *rr) {
	out := append(s.replyBuf[:0], "pre: "...)
	switch {
	case r.class == classNONE && r.typ == typeANY:
		out = append(out, "NameNotInUse "...)
	case r.class == classANY && r.typ == typeANY:
		out = append(out, "NameInUse "...)
	case r.class == classNONE:
		out = append(out, "NoRRSet "...)
		out = append(out, qtypeName(r.typ)...)
		out = append(out, ' ')
	default:
		out = append(out, "RRSetExists "...)
		out = append(out, qtypeName(r.typ)...)
		out = append(out, ' ')
	}
	out = append(out, r.owner...)
	s.reply(h, r, out)
}

// deletion formats a deletion in a dynamic update's update section (Zeek's
// dns_dynamic_update_del handler).
func (s *session) deletion(h *header, r *rr) {
	out := append(s.replyBuf[:0], "del: "...)
	switch {
	case r.class == classANY && r.typ == typeANY:
		out = append(out, "RRSet * "...)
		out = append(out, r.owner...)
	case r.class == classNONE:
		out = append(out, "RR "...)
		out = append(out, qtypeName(r.typ)...)
		out = append(out, ' ')
		out = append(out, r.owner...)
	default:
		out = append(out, "RRSet "...)
		out = append(out, qtypeName(r.typ)...)
	}
	s.reply(h, r, out)
}
