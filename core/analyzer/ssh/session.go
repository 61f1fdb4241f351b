package ssh

import (
	"crypto/md5"
	"encoding/binary"
	"slices"
	"strings"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/event"
)

// Protocol versions as Zeek's SSH analyzer classifies banners.
const (
	verUnknown = iota
	ver1
	ver2
	ver199 // SSH-1.99: speaks both
)

// Per-direction states (Zeek's binpac SSH states, simplified: the key
// exchange kind is connection-wide).
const (
	stVersion = iota
	stKex
	stEncrypted
)

// Key exchange families: they decide what messages 30 to 34 are.
const (
	kexUnknown = iota
	kexDH
	kexGEX
	kexECC
	kexGSS
	kexRSA
)

// SSH-2 message numbers used here (RFC 4253, 4419, 4432, 4462, 5656).
const (
	msgKexInit = 20
	msgNewKeys = 21
)

// SSH-1 message numbers used here.
const (
	ssh1PublicKey  = 2
	ssh1SessionKey = 3
)

// maxBanner bounds a version line (RFC 4253 allows 255 bytes).
const maxBanner = 1024

// Session is the SSH analysis of one connection. It is driven by the
// engine worker that owns the connection.
type Session struct {
	an   *Analyzer
	conn *analyzer.Conn
	ts   int64

	dirs      [2]direction // originator, responder
	version   int          // the connection's version from both banners
	kexSeen   bool         // the first KEXINIT's algorithms are cached
	kexFrom   bool         // ... from the originator
	kexAlgs   []string
	kex       int
	caps      [2]*capabilities // client, server
	capsDone  bool
	encrypted int // bytes after NEWKEYS in the segment being parsed

	// Zeek's SSH_Analyzer state for the authentication heuristic.
	hadGap                 bool
	authDecisionMade       bool
	skippedBanner          bool
	sawEncryptedClientData bool
	serviceAcceptSize      int
	userauthFailureSize    int

	rec       *event.SSH // c$ssh, from the first banner on
	logged    bool
	confirmed bool
	stopped   bool // not SSH (a violation) or the analyzer was disabled
	ended     bool
}

type direction struct {
	state    int
	buf      []byte // a banner line or packet spanning Stream calls
	skipLF   bool   // the banner ended with CR: drop a LF that follows
	preLines int    // lines before the server's banner
	version  int    // of this side's banner
}

// capabilities is one side's KEXINIT (Zeek's SSH::Capabilities).
type capabilities struct {
	isServer    bool
	kex, hostKy []string
	enc, mac    [2][]string // client to server, server to client
	comp        [2][]string
}

func dir(isOrig bool) int {
	if isOrig {
		return 0
	}
	return 1
}

// Stream delivers in-order bytes of one direction; b is not retained.
// How bytes are split into calls matters: the authentication heuristic
// reads the sizes of encrypted segments, as Zeek does.
func (s *Session) Stream(ts int64, isOrig bool, b []byte) {
	if s.ended || s.stopped || s.hadGap || len(b) == 0 {
		return
	}
	s.ts = ts
	d := &s.dirs[dir(isOrig)]
	if d.state == stEncrypted {
		s.encryptedSegment(len(b), isOrig)
		return
	}
	s.encrypted = 0
	s.parse(isOrig, b)
	if s.encrypted > 0 && !s.stopped {
		// NEWKEYS came in this segment, encrypted bytes after it.
		s.encryptedSegment(s.encrypted, isOrig)
	}
}

// Gap: after content is missing nothing more is read (Zeek gives up on
// both directions).
func (s *Session) Gap(ts int64, isOrig bool, n uint64) {
	if n > 0 {
		s.hadGap = true
	}
}

// Datagram is not used: SSH runs over TCP.
func (s *Session) Datagram(int64, bool, []byte) {}

// End publishes the record if it was not yet (finalize_ssh).
func (s *Session) End(ts int64) {
	if s.ended {
		return
	}
	s.ts = ts
	s.ended = true
	s.log()
	for i := range s.dirs {
		s.dirs[i].buf = nil
	}
}

func (s *Session) weird(name, addl string) { s.conn.Weird(name, addl, s.ts) }

// violation: the bytes are not SSH. Before confirmation the core drops the
// session (and ends it); after, parsing stops.
func (s *Session) violation(reason string) {
	s.stopped = true
	if !s.confirmed {
		s.conn.Violation(reason)
	}
}

// parse reads the unencrypted part of a direction: the banner, then
// binary packets, until NEWKEYS.
func (s *Session) parse(isOrig bool, b []byte) {
	d := &s.dirs[dir(isOrig)]
	if d.skipLF {
		// The banner ended with a CR at the end of the last call.
		d.skipLF = false
		if b[0] == '\n' {
			b = b[1:]
		}
	}
	for len(b) > 0 && !s.stopped && !s.ended {
		switch d.state {
		case stVersion:
			b = s.bannerBytes(isOrig, b)
		case stKex:
			b = s.packetBytes(isOrig, b)
		case stEncrypted:
			s.encrypted += len(b)
			return
		}
	}
}

// bannerBytes collects a version line (ended by LF, CR or CRLF, as
// binpac's &oneline) and returns the bytes after it.
func (s *Session) bannerBytes(isOrig bool, b []byte) []byte {
	d := &s.dirs[dir(isOrig)]
	i := 0
	for i < len(b) && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	if len(d.buf)+i > maxBanner {
		s.weird("ssh_banner_too_long", "")
		s.violation("SSH version line too long")
		return nil
	}
	if i == len(b) {
		d.buf = append(d.buf, b...)
		return nil
	}
	line := b[:i]
	if len(d.buf) > 0 {
		d.buf = append(d.buf, line...)
		line = d.buf
	}
	rest := b[i+1:]
	if b[i] == '\r' {
		if len(rest) > 0 && rest[0] == '\n' {
			rest = rest[1:]
		} else if len(rest) == 0 {
			d.skipLF = true
		}
	}
	s.bannerLine(isOrig, line)
	d.buf = d.buf[:0]
	return rest
}

func (s *Session) bannerLine(isOrig bool, line []byte) {
	d := &s.dirs[dir(isOrig)]
	if !strings.HasPrefix(string(line), "SSH-") {
		// RFC 4253: a server may send other lines first.
		if !isOrig && d.preLines < s.an.cfg.MaxBannerLines {
			d.preLines++
			return
		}
		s.weird("malformed_ssh_identification", "")
		s.violation("malformed ssh identification")
		return
	}
	banner := string(line)
	d.state = stKex
	d.version = bannerVersion(banner)
	s.updateVersion()
	s.setSession()
	if isOrig {
		s.rec.Client = banner
	} else {
		s.rec.Server = banner
	}
	s.setScriptVersion()
}

// bannerVersion classifies a banner by its protocol version.
func bannerVersion(v string) int {
	if len(v) < 5 {
		return verUnknown
	}
	switch v[4] {
	case '2':
		return ver2
	case '1':
		if len(v) >= 8 && v[6] == '9' && v[7] == '9' {
			return ver199
		}
		return ver1
	}
	return verUnknown
}

// updateVersion is binpac's update_version: the version both speak.
func (s *Session) updateVersion() {
	c, sv := s.dirs[0].version, s.dirs[1].version
	switch {
	case c == sv:
		if sv == ver199 {
			s.version = ver2
		} else {
			s.version = sv
		}
	case c == ver1 && sv == ver2, c == ver2 && sv == ver1:
		s.version = verUnknown
	case c == ver199 && sv == ver2, c == ver2 && sv == ver199:
		s.version = ver2
	case c == ver1 && sv == ver199, c == ver199 && sv == ver1:
		s.version = ver1
	}
}

// setScriptVersion is main.zeek's set_version: the version field of the
// record, once both banners are known.
func (s *Session) setScriptVersion() {
	r := s.rec
	cl, sv := r.Client, r.Server
	if len(cl) <= 4 || len(sv) <= 4 {
		return
	}
	is99 := func(v string) bool { return len(v) > 7 && v[6] == '9' && v[7] == '9' }
	set := func(v uint8) { r.Version, r.HasVersion = v, true }
	switch {
	case cl[4] == '1' && sv[4] == '2':
		if is99(cl) {
			set(2)
		} else {
			set(0)
		}
	case cl[4] == '2' && sv[4] == '1':
		if is99(sv) {
			set(2)
		} else {
			set(0)
		}
	case cl[4] == '1' && sv[4] == '1':
		if is99(sv) && is99(cl) {
			set(2)
		} else {
			set(1)
		}
	case cl[4] == '2' && sv[4] == '2':
		set(2)
	}
}

// setSession is main.zeek's set_session: the record starts.
func (s *Session) setSession() {
	if s.rec != nil {
		return
	}
	id := s.conn.ID
	s.rec = &event.SSH{TS: s.ts, UID: s.conn.UID, ID: id}
	nets := s.an.nets
	lo := nets.Contains(id.OrigH.As16())
	lr := nets.Contains(id.RespH.As16())
	if lo != lr {
		if lo {
			s.rec.Direction = "OUTBOUND"
		} else {
			s.rec.Direction = "INBOUND"
		}
	}
}

// packetBytes reads one binary packet from b, holding a packet that spans
// Stream calls, and returns the bytes after it.
func (s *Session) packetBytes(isOrig bool, b []byte) []byte {
	d := &s.dirs[dir(isOrig)]
	// Framing follows the version both speak (binpac's get_version);
	// until the other banner is known, this side's own.
	ssh1 := s.version == ver1 || s.version == verUnknown && d.version == ver1
	if len(d.buf) == 0 && len(b) >= 4 {
		n, ok := s.packetLen(b, ssh1)
		if !ok {
			return nil
		}
		if len(b) >= n {
			s.packet(isOrig, b[:n], ssh1)
			return b[n:]
		}
	}
	// Collect the length, then the rest of the packet.
	if len(d.buf) < 4 {
		take := min(4-len(d.buf), len(b))
		d.buf = append(d.buf, b[:take]...)
		b = b[take:]
		if len(d.buf) < 4 {
			return b
		}
	}
	n, ok := s.packetLen(d.buf, ssh1)
	if !ok {
		return nil
	}
	take := min(n-len(d.buf), len(b))
	d.buf = append(d.buf, b[:take]...)
	b = b[take:]
	if len(d.buf) < n {
		return b
	}
	s.packet(isOrig, d.buf, ssh1)
	if cap(d.buf) > 4<<10 {
		d.buf = nil
	} else {
		d.buf = d.buf[:0]
	}
	return b
}

// packetLen is the total length of the packet that starts with b (at
// least 4 bytes): Zeek's get_kex_length.
func (s *Session) packetLen(b []byte, ssh1 bool) (int, bool) {
	pl := binary.BigEndian.Uint32(b)
	if pl < 5 || pl > uint32(s.an.cfg.MaxPacket) {
		s.violation("invalid ssh packet length")
		return 0, false
	}
	if ssh1 {
		return int(pl) + 4 + 8 - int(pl%8), true
	}
	return int(pl) + 4, true
}

// packet handles one unencrypted binary packet.
func (s *Session) packet(isOrig bool, p []byte, ssh1 bool) {
	if ssh1 {
		s.packet1(isOrig, p)
		return
	}
	pl := int(binary.BigEndian.Uint32(p))
	pad := int(p[4])
	if pad > pl-2 {
		s.violation("invalid ssh padding length")
		return
	}
	msg := p[5]
	payload := p[6 : 4+pl-pad]
	switch {
	case msg == msgKexInit:
		s.kexInit(isOrig, payload)
	case msg == msgNewKeys:
		s.dirs[dir(isOrig)].state = stEncrypted
		s.confirm()
	case msg >= 30 && msg <= 34 && !isOrig:
		s.kexReply(msg, payload)
	}
}

// packet1 handles an SSH-1 packet: after the first one a direction is
// encrypted; the server's PUBLIC_KEY carries the host key.
func (s *Session) packet1(isOrig bool, p []byte) {
	pl := int(binary.BigEndian.Uint32(p))
	padLen := 8 - pl%8
	body := p[4+padLen:] // message type, data, CRC
	if len(body) < 5 {
		s.violation("truncated ssh1 packet")
		return
	}
	msg := body[0]
	data := body[1 : len(body)-4]
	switch msg {
	case ssh1PublicKey:
		s.ssh1HostKey(data)
	case ssh1SessionKey:
		s.confirm()
	}
	s.dirs[dir(isOrig)].state = stEncrypted
}

// ssh1HostKey fingerprints the host key of SSH1_PUBLIC_KEY: MD5 over
// modulus and exponent.
func (s *Session) ssh1HostKey(b []byte) {
	r := reader{b: b}
	r.skip(8 + 4) // cookie, server key bits
	r.mpint1()    // server key exponent
	r.mpint1()    // server key modulus
	r.skip(4)     // host key bits
	exp := r.mpint1()
	mod := r.mpint1()
	if r.bad {
		s.violation("malformed ssh1 public key")
		return
	}
	h := md5.New()
	h.Write(mod)
	h.Write(exp)
	var sum [md5.Size]byte
	s.setHostKey(h.Sum(sum[:0]))
}

// confirm marks the protocol as confirmed once both sides spoke SSH (both
// banners seen): a capture of one direction only does not make the
// connection "ssh" in conn.log, as in Zeek.
func (s *Session) confirm() {
	if s.dirs[0].version == 0 || s.dirs[1].version == 0 {
		return
	}
	if !s.confirmed {
		s.confirmed = true
		s.conn.Confirm()
		s.setSession()
	}
}

// kexInit handles a KEXINIT: Zeek's ssh_capabilities and update_kex.
func (s *Session) kexInit(isOrig bool, p []byte) {
	r := reader{b: p}
	r.skip(16) // cookie
	var lists [10][]byte
	for i := range lists {
		lists[i] = r.str()
	}
	r.skip(1 + 4)
	if r.bad {
		s.violation("malformed ssh KEXINIT")
		return
	}
	c := &capabilities{isServer: !isOrig}
	c.kex = nameList(lists[0])
	c.hostKy = nameList(lists[1])
	c.enc = [2][]string{nameList(lists[2]), nameList(lists[3])}
	c.mac = [2][]string{nameList(lists[4]), nameList(lists[5])}
	c.comp = [2][]string{nameList(lists[6]), nameList(lists[7])}

	// update_kex: the kex family decides how messages 30-34 are read.
	if !s.kexSeen {
		s.kexSeen, s.kexFrom, s.kexAlgs = true, isOrig, c.kex
	} else if s.kexFrom != isOrig {
		client, server := c.kex, s.kexAlgs
		if !isOrig {
			client, server = s.kexAlgs, c.kex
		}
		if alg, ok := firstCommon(client, server); ok {
			s.kex = kexFamily(alg)
			if s.kex == kexUnknown {
				s.weird("ssh_unknown_kex_algorithm", alg)
			}
		}
	}

	// ssh_capabilities.
	if s.rec == nil || s.capsDone {
		return
	}
	side := dir(isOrig)
	if s.caps[side] != nil {
		return
	}
	s.caps[side] = c
	cl, sv := s.caps[0], s.caps[1]
	if cl == nil || sv == nil {
		return
	}
	s.capsDone = true
	s.rec.CipherAlg = bidirectional(cl.enc, sv.enc)
	s.rec.MACAlg = bidirectional(cl.mac, sv.mac)
	s.rec.CompressionAlg = bidirectional(cl.comp, sv.comp)
	s.rec.KexAlg = findAlg(cl.kex, sv.kex)
	s.rec.HostKeyAlg = findAlg(cl.hostKy, sv.hostKy)
}

// kexFamily maps a negotiated key exchange to its message family
// (binpac's update_kex, with the algorithms Zeek added since).
func kexFamily(alg string) int {
	switch {
	case alg == "rsa1024-sha1" || alg == "rsa2048-sha256":
		return kexRSA
	case alg == "diffie-hellman-group1-sha1" || alg == "diffie-hellman-group14-sha1" ||
		alg == "diffie-hellman-group14-sha256" || alg == "diffie-hellman-group16-sha512" ||
		alg == "diffie-hellman-group18-sha512":
		return kexDH
	case alg == "diffie-hellman-group-exchange-sha1" || alg == "diffie-hellman-group-exchange-sha256":
		return kexGEX
	case strings.HasPrefix(alg, "gss-"):
		return kexGSS
	case strings.HasPrefix(alg, "ecdh-sha2-") || alg == "ecmqv-sha2" ||
		strings.HasPrefix(alg, "curve25519-sha256") || strings.HasPrefix(alg, "sntrup761x25519-sha512") ||
		strings.HasPrefix(alg, "mlkem768x25519-sha256"):
		return kexECC
	}
	return kexUnknown
}

// kexReply finds the server host key in the server's key exchange
// messages: KEXDH_REPLY / KEX_ECDH_REPLY (31), KEX_DH_GEX_REPLY and
// KEXGSS_HOSTKEY (33), KEXRSA_PUBKEY (30). K_S is the first string.
func (s *Session) kexReply(msg byte, p []byte) {
	want := byte(0)
	switch s.kex {
	case kexDH, kexECC:
		want = 31
	case kexGEX, kexGSS:
		want = 33
	case kexRSA:
		want = 30
	}
	if msg != want {
		return
	}
	r := reader{b: p}
	k := r.str()
	if r.bad {
		s.violation("malformed ssh key exchange reply")
		return
	}
	sum := md5.Sum(k)
	s.setHostKey(sum[:])
}

func (s *Session) setHostKey(sum []byte) {
	if s.rec == nil {
		return
	}
	const hex = "0123456789abcdef"
	var b [16*3 - 1]byte
	for i, c := range sum[:16] {
		if i > 0 {
			b[i*3-1] = ':'
		}
		b[i*3] = hex[c>>4]
		b[i*3+1] = hex[c&15]
	}
	s.rec.HostKey = string(b[:])
}

// nameList splits a name-list as Zeek's name_list_to_vector: empty names
// are dropped.
func nameList(b []byte) []string {
	var out []string
	for _, n := range strings.Split(string(b), ",") {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

func firstCommon(client, server []string) (string, bool) {
	for _, c := range client {
		if slices.Contains(server, c) {
			return c, true
		}
	}
	return "", false
}

// findAlg is main.zeek's find_alg.
func findAlg(client, server []string) string {
	if a, ok := firstCommon(client, server); ok {
		return a
	}
	return "Algorithm negotiation failed"
}

// bidirectional is find_bidirectional_alg.
func bidirectional(client, server [2][]string) string {
	cs := findAlg(client[0], server[0])
	sc := findAlg(client[1], server[1])
	if cs == sc {
		return cs
	}
	return "To server: " + cs + ", to client: " + sc
}

// encryptedSegment is ProcessEncryptedSegment / ProcessEncrypted: Zeek's
// heuristic on the sizes of the first encrypted segments.
func (s *Session) encryptedSegment(n int, isOrig bool) {
	if s.authDecisionMade || s.version != ver2 {
		return
	}
	if isOrig {
		s.sawEncryptedClientData = true
		return
	}
	if !s.sawEncryptedClientData {
		return
	}
	// SERVICE_ACCEPT first.
	if s.serviceAcceptSize == 0 {
		s.serviceAcceptSize = n
		return
	}
	// USERAUTH_SUCCESS for "none": 16 bytes less than SERVICE_ACCEPT.
	if s.userauthFailureSize == 0 && n+16 == s.serviceAcceptSize {
		s.authDecisionMade = true
		s.authAttempted(true)
		return
	}
	if s.userauthFailureSize == 0 {
		// Too big for a USERAUTH_FAILURE: a pre-auth banner.
		if !s.skippedBanner && n-s.serviceAcceptSize > 256 {
			s.skippedBanner = true
			return
		}
		s.userauthFailureSize = n
		return
	}
	if n == s.userauthFailureSize {
		s.authAttempted(false)
		return
	}
	if n-s.serviceAcceptSize == -16 {
		s.authDecisionMade = true
		s.authAttempted(true)
	}
}

// authAttempted is the ssh_auth_attempted event handlers.
func (s *Session) authAttempted(ok bool) {
	r := s.rec
	if r == nil || r.AuthSuccess == event.True {
		return
	}
	if slices.Contains(s.an.cfg.CompressionAlgorithms, r.CompressionAlg) {
		return // packet sizes say nothing under compression
	}
	r.AuthSuccess = event.False
	if ok {
		r.AuthSuccess = event.True
	}
	r.AuthAttempts++
	if ok {
		// Zeek logs at once and disables the analyzer.
		s.log()
		s.stopped = true
		s.conn.Skip(true)
		s.conn.Skip(false)
	}
}

// log publishes the record once.
func (s *Session) log() {
	if s.logged || s.rec == nil {
		return
	}
	s.logged = true
	s.conn.Emit(event.Event{Kind: event.KindSSHHandshake, Time: s.ts, SSH: s.rec})
}

// reader reads SSH wire types; bad records an overrun and sticks.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) skip(n int) {
	if r.bad || n > len(r.b) {
		r.bad = true
		return
	}
	r.b = r.b[n:]
}

func (r *reader) str() []byte {
	if r.bad || len(r.b) < 4 {
		r.bad = true
		return nil
	}
	n := binary.BigEndian.Uint32(r.b)
	if uint64(n) > uint64(len(r.b)-4) {
		r.bad = true
		return nil
	}
	v := r.b[4 : 4+n]
	r.b = r.b[4+n:]
	return v
}

// mpint1 reads an SSH-1 multiple precision integer: bits, then bytes.
func (r *reader) mpint1() []byte {
	if r.bad || len(r.b) < 2 {
		r.bad = true
		return nil
	}
	n := (int(binary.BigEndian.Uint16(r.b)) + 7) / 8
	if n > len(r.b)-2 {
		r.bad = true
		return nil
	}
	v := r.b[2 : 2+n]
	r.b = r.b[2+n:]
	return v
}
