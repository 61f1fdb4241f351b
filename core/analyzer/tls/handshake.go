package tls

import (
	"bytes"
	"fmt"
)

// Handshake message types.
const (
	hsHelloRequest       = 0
	hsClientHello        = 1
	hsServerHello        = 2
	hsHelloVerifyRequest = 3
	hsSessionTicket      = 4
	hsEndOfEarlyData     = 5
	hsHelloRetryRequest  = 6 // TLS 1.3 drafts
	hsEncryptedExts      = 8
	hsCertificate        = 11
	hsServerKeyExchange  = 12
	hsCertificateRequest = 13
	hsServerHelloDone    = 14
	hsCertificateVerify  = 15
	hsClientKeyExchange  = 16
	hsFinished           = 20
	hsCertificateURL     = 21
	hsCertificateStatus  = 22
	hsSupplementalData   = 23
	hsKeyUpdate          = 24
	hsMessageHash        = 254
)

// Extension types the analyzer looks into.
const (
	extServerName        = 0
	extSupportedGroups   = 10
	extECPointFormats    = 11
	extSignatureAlgs     = 13
	extALPN              = 16
	extSessionTicket     = 35
	extKeyShareOld       = 40
	extPreSharedKey      = 41
	extSupportedVersions = 43
	extKeyShare          = 51
	extConnectionID      = 54
)

// hrrRandom is the ServerHello random of a TLS 1.3 HelloRetryRequest.
var hrrRandom = []byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// historyLetters maps handshake types to Zeek's ssl_history letters.
var historyLetters = func() (t [256]byte) {
	for i := range t {
		t[i] = 'z'
	}
	for typ, c := range map[int]byte{
		hsHelloRequest: 'h', hsClientHello: 'c', hsServerHello: 's', hsHelloVerifyRequest: 'v',
		hsSessionTicket: 't', hsEndOfEarlyData: 'e', hsHelloRetryRequest: 'j', hsEncryptedExts: 'o',
		hsCertificate: 'x', hsServerKeyExchange: 'k', hsCertificateRequest: 'r', hsServerHelloDone: 'n',
		hsCertificateVerify: 'y', hsClientKeyExchange: 'g', hsFinished: 'f', hsCertificateURL: 'w',
		hsCertificateStatus: 'u', hsSupplementalData: 'a', hsKeyUpdate: 'p', hsMessageHash: 'm',
	} {
		t[typ] = c
	}
	return t
}()

// reader reads big-endian fields; the first short read sets bad and every
// later read returns zero values.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) u8() uint8 {
	if len(r.b) < 1 {
		r.bad = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) u16() uint16 {
	if len(r.b) < 2 {
		r.bad, r.b = true, nil
		return 0
	}
	v := be16(r.b)
	r.b = r.b[2:]
	return v
}

func (r *reader) u24() int {
	if len(r.b) < 3 {
		r.bad, r.b = true, nil
		return 0
	}
	v := be24(r.b)
	r.b = r.b[3:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.bad, r.b = true, nil
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// helloScratch holds what the fingerprints need of the hellos, in slices
// reused across hellos of the session.
type helloScratch struct {
	client clientHello
	server serverHello
}

type clientHello struct {
	version  uint16
	ciphers  []uint16
	exts     []uint16
	groups   []uint16
	points   []uint8
	sigAlgs  []uint16
	versions []uint16 // supported_versions
	alpn     []byte   // first ALPN protocol; valid only while the hello is processed
	hasALPN  bool
	hasSNI   bool
}

func (c *clientHello) reset(version uint16) {
	*c = clientHello{version: version, ciphers: c.ciphers[:0], exts: c.exts[:0], groups: c.groups[:0],
		points: c.points[:0], sigAlgs: c.sigAlgs[:0], versions: c.versions[:0]}
}

type serverHello struct {
	version uint16
	cipher  uint16
	exts    []uint16
}

// handshake processes one complete handshake message as Zeek's handshake
// layer and base scripts do: message-specific events first, then
// ssl_handshake_message (the history letter).
func (s *session) handshake(ts int64, isOrig bool, raw uint16, typ uint8, m []byte) {
	s.setSession(ts)
	switch typ {
	case hsHelloRequest:
		s.directionCheck(ts, false, isOrig)
	case hsClientHello:
		s.directionCheck(ts, true, isOrig)
		if !s.clientHello(ts, isOrig, m) {
			return
		}
	case hsServerHello:
		s.directionCheck(ts, false, isOrig)
		if !s.serverHello(ts, isOrig, m) {
			return
		}
	case hsHelloVerifyRequest:
		r := reader{b: m}
		r.u16()
		r.bytes(int(r.u8()))
		if r.bad {
			s.violation(ts, "malformed hello verify request")
			return
		}
	case hsSessionTicket:
		if len(m) < 4 {
			s.violation(ts, "malformed session ticket")
			return
		}
	case hsCertificate:
		if !s.certificate(ts, isOrig, m) {
			return
		}
	case hsServerKeyExchange:
		if !s.serverKeyExchange(ts, m) {
			return
		}
	case hsCertificateStatus:
		if len(m) < 4 {
			s.violation(ts, "malformed certificate status")
			return
		}
		if len(m) == 4 {
			s.conn.Weird("SSL_zero_length_stapled_OCSP_message", "", ts)
		}
	case hsCertificateRequest, hsServerHelloDone, hsCertificateVerify, hsClientKeyExchange,
		hsFinished, hsCertificateURL:
	default:
		s.violation(ts, fmt.Sprintf("unknown handshake message (%d) from %s", typ, origLabel(isOrig)))
		return
	}
	if s.stopped {
		return
	}
	s.handshakeMessage(ts, isOrig, typ)
}

// handshakeMessage is Zeek's ssl_handshake_message handler.
func (s *session) handshakeMessage(ts int64, isClient bool, typ uint8) {
	if isClient && typ == hsClientKeyExchange {
		s.info.clientKeyExchangeSeen = true
	}
	c := historyLetters[typ]
	if typ == hsServerHello && s.info.hrrSeen {
		c = 'j'
		s.info.hrrSeen = false
	}
	s.addHistory(ts, isClient, c)
}

// directionCheck is Zeek's DirectionCheck: a client hello from the
// responder (or a server hello from the originator) flips the session's
// idea of who the client is, noted as '^' in the history.
func (s *session) directionCheck(ts int64, desired, isOrig bool) {
	if s.flipped {
		if desired == isOrig {
			s.flipped = false
			s.flipEvent(ts)
			if !s.alertedFlip {
				s.alertedFlip = true
				s.conn.Weird("SSL_unclear_connection_direction", "", ts)
			}
		}
	} else if desired != isOrig {
		s.flipped = true
		s.flipEvent(ts)
	}
}

func (s *session) flipEvent(ts int64) {
	s.setSession(ts)
	s.info.history = append(s.info.history, '^')
}

func (s *session) setVersion(v uint16) {
	if s.chosenVersion == 0 {
		s.chosenVersion = v
	}
}

// clientHello parses a (D)TLS ClientHello. It returns false after a
// violation.
func (s *session) clientHello(ts int64, isOrig bool, m []byte) bool {
	r := reader{b: m}
	version := r.u16()
	r.bytes(32) // gmt_unix_time and random
	sid := r.bytes(int(r.u8()))
	if version == versionDTLSv10 || version == versionDTLSv12 {
		r.bytes(int(r.u8())) // cookie
	}
	ch := &s.hello.client
	ch.reset(version)
	n := int(r.u16()) / 2 // as Zeek reads it: an odd length leaves a byte behind
	cs := r.bytes(2 * n)
	for i := 0; i+1 < len(cs); i += 2 {
		ch.ciphers = append(ch.ciphers, be16(cs[i:]))
	}
	r.bytes(int(r.u8())) // compression methods
	if r.bad {
		s.violation(ts, "malformed client hello")
		return false
	}
	if !s.extensions(ts, isOrig, hsClientHello, r.b) {
		return false
	}
	if !s.info.fingerprinted {
		s.info.fingerprinted = true
		s.info.ja3 = ja3(ch)
		proto := byte('t')
		if s.dtls {
			proto = 'd'
		}
		s.info.ja4 = ja4(ch, proto)
	}
	ch.alpn = nil
	if !versionOK(version) {
		s.violation(ts, fmt.Sprintf("unsupported client SSL version 0x%04x", version))
		return false
	}
	s.confirm()
	s.clientHelloEvent(ts, sid)
	return true
}

// clientHelloEvent is Zeek's ssl_client_hello handler.
func (s *session) clientHelloEvent(ts int64, sid []byte) {
	s.setSession(ts)
	if len(sid) > 0 && !(len(sid) == 32 && allZero(sid)) {
		s.info.sessionID = append(s.info.sessionID[:0], sid...)
		s.info.sessionIDSet = true
		s.info.ticketEmptySessionSeen = false
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// serverHello parses a ServerHello (or HelloRetryRequest, which TLS 1.3
// sends as a ServerHello). It returns false after a violation.
func (s *session) serverHello(ts int64, isOrig bool, m []byte) bool {
	r := reader{b: m}
	version := r.u16()
	random := r.bytes(32)
	var sid []byte
	var cipher uint16
	if version == versionTLSv13 || version>>8 == 0x7f {
		// Drafts of TLS 1.3 dropped the session id and compression.
		cipher = r.u16()
	} else {
		sid = r.bytes(int(r.u8()))
		cipher = r.u16()
		r.u8() // compression method
	}
	if r.bad {
		s.violation(ts, "malformed server hello")
		return false
	}
	sh := &s.hello.server
	sh.version, sh.cipher, sh.exts = version, cipher, sh.exts[:0]
	if !s.extensions(ts, isOrig, hsServerHello, r.b) {
		return false
	}
	s.chosenCipher, s.cipherChosen = uint32(cipher), true
	s.info.ja3s = ja3s(sh)
	if !versionOK(version) {
		s.violation(ts, fmt.Sprintf("unsupported server SSL version 0x%04x", version))
		return false
	}
	s.serverHelloEvent(ts, version, uint32(cipher), random, sid)
	s.setVersion(version)
	return true
}

// serverHelloEvent is Zeek's ssl_server_hello handler.
func (s *session) serverHelloEvent(ts int64, version uint16, cipher uint32, random, sid []byte) {
	in := &s.info
	s.setSession(ts)
	if !in.versionSet {
		in.versionNum, in.versionSet = version, true
	}
	in.cipher = cipherName(cipher)
	if bytes.Equal(random, hrrRandom) {
		in.hrrSeen = true
	}
	if s.sameSessionID(sid) && in.versionNum/0xff != 0x7f && in.versionNum != versionTLSv13 {
		in.resumed = true
	}
	if version == versionSSLv2 {
		s.addHistory(ts, false, 's')
	}
}

// extensions walks the extension block of a hello. Like Zeek, it ignores
// the block's length field and reads extensions to the end of the message.
func (s *session) extensions(ts int64, isOrig bool, msg uint8, b []byte) bool {
	switch len(b) {
	case 0:
		return true
	case 1:
		s.violation(ts, "malformed hello extensions")
		return false
	}
	r := reader{b: b[2:]}
	for len(r.b) > 0 {
		typ := r.u16()
		data := r.bytes(int(r.u16()))
		if r.bad {
			s.violation(ts, "malformed hello extension")
			return false
		}
		if !s.extension(ts, isOrig, msg, typ, data) {
			return false
		}
	}
	return true
}

// extension processes one extension: what the fingerprints need, Zeek's
// extension-specific events, then its generic ssl_extension handler.
// Extensions whose inner lengths overrun their data are a violation, as
// they are in Zeek.
func (s *session) extension(ts int64, isOrig bool, msg uint8, typ uint16, data []byte) bool {
	ch, sh := &s.hello.client, &s.hello.server
	if msg == hsClientHello {
		ch.exts = append(ch.exts, typ)
	} else {
		sh.exts = append(sh.exts, typ)
	}
	ok := true
	switch typ {
	case extServerName:
		if msg == hsClientHello {
			ch.hasSNI = true
		}
		ok = s.serverNameExt(ts, isOrig, data)
	case extALPN:
		ok = s.alpnExt(ts, isOrig, msg, data)
	case extSupportedGroups:
		if len(data) > 0 {
			r := reader{b: data}
			l := r.u16()
			g := r.bytes(int(l) / 2 * 2)
			ok = !r.bad
			if msg == hsClientHello {
				for i := 0; i+1 < len(g); i += 2 {
					ch.groups = append(ch.groups, be16(g[i:]))
				}
			}
		}
	case extECPointFormats:
		if len(data) > 0 {
			r := reader{b: data}
			p := r.bytes(int(r.u8()))
			ok = !r.bad
			if msg == hsClientHello {
				ch.points = append(ch.points, p...)
			}
		}
	case extSignatureAlgs:
		if len(data) > 0 {
			r := reader{b: data}
			l := int(r.u16())
			ok = !r.bad
			sa := r.b[:min(l, len(r.b))&^1]
			if msg == hsClientHello {
				for i := 0; i+1 < len(sa); i += 2 {
					ch.sigAlgs = append(ch.sigAlgs, be16(sa[i:]))
				}
			}
		}
	case extSupportedVersions:
		ok = s.supportedVersionsExt(ts, isOrig, msg, data)
	case extKeyShare, extKeyShareOld:
		ok = s.keyShareExt(ts, isOrig, msg, data)
	case extConnectionID:
		if len(data) > 0 {
			// A side's connection id is the one the peer puts in the
			// records it sends.
			s.cidLen[side(!isOrig)] = int(data[0])
		}
	}
	if !ok {
		s.violation(ts, fmt.Sprintf("malformed extension %d", typ))
		return false
	}
	// Zeek's generic ssl_extension handler.
	in := &s.info
	switch {
	case isOrig && typ == extSessionTicket && len(data) > 0:
		in.ticketEmptySessionSeen = true
	case isOrig && typ == extPreSharedKey:
		in.clientPSKSeen = true
	case !isOrig && typ == extPreSharedKey && in.clientPSKSeen:
		in.resumed = true
	}
	return true
}

func (s *session) serverNameExt(ts int64, isClient bool, data []byte) bool {
	if len(data) == 0 {
		return true
	}
	r := reader{b: data}
	list := r.bytes(int(r.u16()))
	if r.bad {
		return false
	}
	r = reader{b: list}
	count := 0
	var first []byte
	for len(r.b) > 0 {
		nt := r.u8()
		if nt != 0 {
			// Zeek takes the rest of the list as this unknown name.
			s.conn.Weird("ssl_ext_unknown_server_name_type", fmt.Sprint(nt), ts)
			break
		}
		name := r.bytes(int(r.u16()))
		if r.bad {
			return false
		}
		if count == 0 {
			first = name
		}
		count++
	}
	if isClient && count > 0 {
		s.setSession(ts)
		s.info.serverName, s.info.serverNameSet = string(first), true
		if count > 1 {
			s.conn.Weird("SSL_many_server_names", serverNames(list), ts)
		}
	}
	return true
}

// serverNames formats the host names of an SNI list as Zeek's cat() does
// with a vector: [a, b].
func serverNames(list []byte) string {
	out := []byte{'['}
	r := reader{b: list}
	for i := 0; len(r.b) > 0; i++ {
		if r.u8() != 0 {
			break
		}
		name := r.bytes(int(r.u16()))
		if r.bad {
			break
		}
		if i > 0 {
			out = append(out, ", "...)
		}
		out = append(out, name...)
	}
	return string(append(out, ']'))
}

func (s *session) alpnExt(ts int64, isClient bool, msg uint8, data []byte) bool {
	if len(data) == 0 {
		return true
	}
	r := reader{b: data}
	list := r.bytes(int(r.u16()))
	if r.bad {
		return false
	}
	r = reader{b: list}
	var first []byte
	count := 0
	for len(r.b) > 0 {
		p := r.bytes(int(r.u8()))
		if r.bad {
			return false
		}
		if count == 0 {
			first = p
		}
		count++
	}
	if msg == hsClientHello {
		s.hello.client.hasALPN = true
		s.hello.client.alpn = first
	}
	if !isClient && count > 0 {
		s.setSession(ts)
		s.info.nextProtocol, s.info.nextProtocolSet = string(first), true
	}
	return true
}

func (s *session) supportedVersionsExt(ts int64, isOrig bool, msg uint8, data []byte) bool {
	if len(data) == 0 {
		return true
	}
	r := reader{b: data}
	if isOrig != s.flipped { // the client's list
		list := r.bytes(int(r.u8()))
		if r.bad {
			return false
		}
		if msg == hsClientHello {
			for i := 0; i+1 < len(list); i += 2 {
				s.hello.client.versions = append(s.hello.client.versions, be16(list[i:]))
			}
		}
		return true
	}
	v := r.u16() // the server's choice
	if r.bad {
		return false
	}
	s.setVersion(v)
	if !isOrig {
		s.setSession(ts)
		s.info.versionNum, s.info.versionSet = v, true
	}
	return true
}

func (s *session) keyShareExt(ts int64, isOrig bool, msg uint8, data []byte) bool {
	if len(data) == 0 {
		return true
	}
	r := reader{b: data}
	switch msg {
	case hsClientHello:
		list := r.bytes(int(r.u16()))
		if r.bad {
			return false
		}
		r = reader{b: list}
		for len(r.b) > 0 {
			r.u16()
			r.bytes(int(r.u16()))
			if r.bad {
				return false
			}
		}
		return true
	case hsServerHello:
		group := r.u16() // a HelloRetryRequest carries only the group
		if len(data) != 2 {
			r.bytes(int(r.u16()))
		}
		if r.bad {
			return false
		}
		if !isOrig {
			s.setSession(ts)
			s.info.curve = curveName(group)
		}
	}
	return true
}

// certificate processes a Certificate message of TLS 1.2 or older (TLS 1.3
// encrypts it).
func (s *session) certificate(ts int64, isOrig bool, m []byte) bool {
	r := reader{b: m}
	list := r.bytes(r.u24())
	if r.bad {
		s.violation(ts, "malformed certificate message")
		return false
	}
	// Validate the list before recording anything, as a parse error in
	// Zeek happens before its events.
	count := 0
	for lr := (reader{b: list}); len(lr.b) > 0; count++ {
		lr.bytes(lr.u24())
		if lr.bad {
			s.violation(ts, "malformed certificate list")
			return false
		}
	}
	if count == 0 {
		return true
	}
	s.setSession(ts)
	s.info.chainInit = true
	for lr := (reader{b: list}); len(lr.b) > 0; {
		der := lr.bytes(lr.u24())
		s.addCertificate(isOrig, der)
	}
	return true
}

// maxCertificates bounds the certificates kept per side: Zeek has no
// limit, weir must bound what a peer can make it hold.
const maxCertificates = 100

func (s *session) addCertificate(isClient bool, der []byte) {
	if n := len(s.info.serverCerts); isClient {
		n = len(s.info.clientCerts)
		if n >= maxCertificates {
			s.tooManyCertificates()
			return
		}
	} else if n >= maxCertificates {
		s.tooManyCertificates()
		return
	}
	if isClient {
		s.info.clientCerts = append(s.info.clientCerts, parseCertificate(der, false))
		return
	}
	first := len(s.info.serverCerts) == 0
	s.info.serverCerts = append(s.info.serverCerts, parseCertificate(der, first))
}

func (s *session) tooManyCertificates() {
	if !s.certsWeird {
		s.certsWeird = true
		s.conn.Weird("SSL_too_many_certificates", fmt.Sprint(maxCertificates), 0)
	}
}

// serverKeyExchange extracts the named curve of an EC(DH) key exchange,
// for the suites where Zeek parses it.
func (s *session) serverKeyExchange(ts int64, m []byte) bool {
	if !s.cipherChosen {
		return true
	}
	ec, signed := serverKeyExchangeCurve(s.chosenCipher)
	if !ec {
		return true
	}
	r := reader{b: m}
	if r.u8() != 3 { // only named curves carry a curve id
		if r.bad {
			s.violation(ts, "malformed server key exchange")
			return false
		}
		return true
	}
	curve := r.u16()
	r.bytes(int(r.u8())) // point
	if signed {
		if s.chosenVersion > versionTLSv11 && s.chosenVersion != versionDTLSv10 {
			r.u16() // signature and hash algorithm
		}
		r.bytes(int(r.u16()))
	}
	if r.bad {
		s.violation(ts, "malformed server key exchange")
		return false
	}
	s.info.curve = curveName(curve)
	return true
}

// v2ClientHello processes an SSLv2-format ClientHello record.
func (s *session) v2ClientHello(ts int64, isOrig bool, rec []byte) {
	r := reader{b: rec[5:]}
	csLen, sidLen, chLen := int(r.u16()), int(r.u16()), int(r.u16())
	if r.bad || len(rec)-5 < 6+csLen+sidLen+chLen {
		s.violation(ts, "malformed SSLv2 client hello")
		return
	}
	r.bytes(csLen / 3 * 3) // ciphers, as Zeek reads them
	sid := r.bytes(sidLen)
	s.confirm()
	s.clientHelloEvent(ts, sid)
	s.addHistory(ts, true, 'c') // Zeek adds it for a record version of 0
}

// v2ServerHello processes an SSLv2 ServerHello record.
func (s *session) v2ServerHello(ts int64, isOrig bool, rec []byte) {
	r := reader{b: rec[5:]}
	version := r.u16()
	certLen, ciphLen, connLen := int(r.u16()), int(r.u16()), int(r.u16())
	cert := r.bytes(certLen)
	ciphers := r.bytes(ciphLen / 3 * 3)
	r.bytes(connLen)
	if r.bad {
		s.violation(ts, "malformed SSLv2 server hello")
		return
	}
	if version != versionSSLv2 {
		s.violation(ts, fmt.Sprintf("Invalid version in SSL server hello. Version: %d", version))
		return
	}
	var cipher uint32
	if len(ciphers) >= 3 {
		cipher = uint32(ciphers[0])<<16 | uint32(ciphers[1])<<8 | uint32(ciphers[2])
	}
	s.serverHelloEvent(ts, version, cipher, nil, nil)
	if len(cert) > 0 {
		s.info.chainInit = true
		s.addCertificate(isOrig, cert)
	}
}

// v2ClientMasterKey processes an SSLv2 ClientMasterKey: both sides encrypt
// from here on.
func (s *session) v2ClientMasterKey(ts int64, rec []byte) {
	r := reader{b: rec[5:]}
	r.u8()
	a, b, c := int(r.u16()), int(r.u16()), int(r.u16())
	if r.bad || len(rec)-5 < 7+a+b+c {
		s.violation(ts, "malformed SSLv2 client master key")
		return
	}
	s.dirs[0].encrypted, s.dirs[1].encrypted = true, true
}
