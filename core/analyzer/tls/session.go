package tls

import (
	"bytes"
	"fmt"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/event"
)

// Record content types; SSLv2 message types are mapped to 300+type as
// Zeek does.
const (
	ctChangeCipherSpec = 20
	ctAlert            = 21
	ctHandshake        = 22
	ctApplicationData  = 23
	ctHeartbeat        = 24
	ctTLS12CID         = 25 // DTLS 1.2 record with a connection id (RFC 9146)
	ctV2Error          = 300
	ctV2ClientHello    = 301
	ctV2ClientMaster   = 302
	ctV2ServerHello    = 304
)

// session analyzes one connection. It keeps the three layers of Zeek's
// analyzer apart: the record layer (recordLayerVersion, the per-side
// encryption state), the handshake layer (chosen version and cipher,
// direction flips) and the script state that becomes the ssl.log record
// (info).
//
// A session copies what it must keep: the bytes passed to Stream and
// Datagram are not retained after the call. It allocates when a record or
// handshake message spans calls (buffers bounded by the record size and
// Config.MaxHandshakeMessage) and for what the log record keeps; a record
// wholly inside one call is parsed in place.
type session struct {
	cfg  *Config
	conn *analyzer.Conn
	dtls bool

	// stopped ends parsing: after a violation, a content gap, or once the
	// record is logged at establishment (Zeek then disables the analyzer).
	stopped bool

	dirs [2]dirState // by side; see side

	// Record layer.
	recordLayerVersion uint16 // 0 until the first valid TLS record
	established        bool

	// Handshake layer.
	chosenVersion uint16 // Zeek's set_version: the first version seen wins; 0 = unknown
	chosenCipher  uint32
	cipherChosen  bool
	flipped       bool
	alertedFlip   bool
	confirmed     bool
	cidLen        [2]int // DTLS connection id length in records sent by each side
	certsWeird    bool

	hello helloScratch
	info  info
}

// side maps a direction to its index in dirs.
func side(isOrig bool) int {
	if isOrig {
		return 1
	}
	return 0
}

type dirState struct {
	// TCP: an incomplete record, header included, and its total length
	// once the header is complete (0 before).
	rec        []byte
	recTotal   int
	recVersion uint16
	// The incomplete handshake message, header included.
	hs        []byte
	encrypted bool
	frag      dtlsReasm
}

// info is Zeek's SSL::Info as the base scripts fill it.
type info struct {
	started bool
	logged  bool
	ts      int64

	versionNum uint16
	versionSet bool
	cipher     string
	curve      string

	serverName    string
	serverNameSet bool
	sessionID     []byte
	sessionIDSet  bool

	resumed                bool
	ticketEmptySessionSeen bool
	clientKeyExchangeSeen  bool
	clientPSKSeen          bool
	hrrSeen                bool

	lastAlert       string
	nextProtocol    string
	nextProtocolSet bool
	established     bool
	history         []byte

	chainInit   bool
	serverCerts []certEntry
	clientCerts []certEntry

	ja3, ja3s, ja4 string
	fingerprinted  bool
}

// Stream parses TCP payload: records are reassembled across calls and fed
// through the record layer.
func (s *session) Stream(ts int64, isOrig bool, b []byte) {
	d := &s.dirs[side(isOrig)]
	for !s.stopped {
		if d.recTotal == 0 {
			if len(b) == 0 {
				return
			}
			if len(d.rec) == 0 && len(b) >= 5 {
				total, ver, ok := s.recordHeader(ts, isOrig, b)
				if !ok {
					return
				}
				if len(b) >= total { // the whole record is here: no copy
					s.record(ts, isOrig, ver, b[:total])
					b = b[total:]
					continue
				}
				d.rec = append(d.rec[:0], b...)
				d.recTotal, d.recVersion = total, ver
				return
			}
			n := min(5-len(d.rec), len(b))
			d.rec = append(d.rec, b[:n]...)
			b = b[n:]
			if len(d.rec) < 5 {
				return
			}
			total, ver, ok := s.recordHeader(ts, isOrig, d.rec)
			if !ok {
				return
			}
			d.recTotal, d.recVersion = total, ver
		}
		if len(d.rec) < d.recTotal {
			n := min(d.recTotal-len(d.rec), len(b))
			d.rec = append(d.rec, b[:n]...)
			b = b[n:]
			if len(d.rec) < d.recTotal {
				return
			}
		}
		rec, ver := d.rec, d.recVersion
		d.rec, d.recTotal = d.rec[:0], 0
		s.record(ts, isOrig, ver, rec)
	}
}

// Gap ends the analysis, as Zeek's SSL analyzer ignores everything after a
// content gap in either direction; the record is logged at End.
func (s *session) Gap(ts int64, isOrig bool, n uint64) {
	if s.stopped {
		return
	}
	s.stop()
}

// End logs the record if nothing logged it yet.
func (s *session) End(ts int64) {
	if s.info.started && !s.info.logged {
		s.emit(ts)
	}
	s.stopped = true
	s.release()
}

// stop ends parsing and tells the tracker to deliver nothing more.
func (s *session) stop() {
	s.stopped = true
	s.conn.Skip(true)
	s.conn.Skip(false)
	s.release()
}

// release drops the reassembly buffers.
func (s *session) release() {
	for i := range s.dirs {
		s.dirs[i].rec, s.dirs[i].hs = nil, nil
		s.dirs[i].frag = dtlsReasm{}
	}
}

// violation reports that the traffic is not (or no longer) TLS. As Zeek's
// analyzer_violation_info handler does, it first logs what the session
// has.
func (s *session) violation(ts int64, reason string) {
	if s.stopped {
		return
	}
	s.stopped = true
	if s.info.started && !s.info.logged {
		s.emit(ts)
	}
	s.release()
	s.conn.Violation(reason)
}

func origLabel(isOrig bool) string {
	if isOrig {
		return "originator"
	}
	return "responder"
}

// recordHeader checks a TLS or SSLv2 record header (5 bytes of h) the way
// Zeek's determine_ssl_record_layer does and returns the record's total
// length. On failure it reports a violation.
func (s *session) recordHeader(ts int64, isOrig bool, h []byte) (total int, ver uint16, ok bool) {
	h0, h1, h2, h3, h4 := h[0], h[1], h[2], h[3], h[4]
	if s.recordLayerVersion != 0 && s.recordLayerVersion != versionSSLv2 {
		if v := uint16(h1)<<8 | uint16(h2); !recordVersionOK(v) {
			s.violation(ts, fmt.Sprintf("Invalid version late in TLS connection. Packet reported version: %d", v))
			return 0, 0, false
		}
	}
	switch {
	case s.recordLayerVersion != 0:
		ver = s.recordLayerVersion
	case h0&0x80 != 0:
		switch {
		case h2 == 0x01 && isOrig: // SSLv2 client hello
			if v := uint16(h3)<<8 | uint16(h4); v != versionSSLv2 && !recordVersionOK(v) {
				s.violation(ts, fmt.Sprintf("Invalid version in SSL client hello. Version: %d", v))
				return 0, 0, false
			}
			ver = versionSSLv2
		case h2 == 0x04 && h4 < 2 && !isOrig: // SSLv2 server hello: the connection stays SSLv2
			s.recordLayerVersion = versionSSLv2
			ver = versionSSLv2
		default:
			s.violation(ts, fmt.Sprintf("Invalid headers in SSL connection. Head1: %d, head2: %d, head3: %d", h1, h2, h3))
			return 0, 0, false
		}
	default:
		v := uint16(h1)<<8 | uint16(h2)
		if !recordVersionOK(v) {
			s.violation(ts, fmt.Sprintf("Invalid version in TLS connection. Version: %d", v))
			return 0, 0, false
		}
		if h0 < 20 || h0 > 30 {
			s.violation(ts, fmt.Sprintf("Invalid type in TLS connection. Version: %d, Type: %d", v, h0))
			return 0, 0, false
		}
		s.recordLayerVersion = v
		ver = v
	}
	if ver == versionSSLv2 {
		l := int(h0&0x7f)<<8 | int(h1)
		if l < 3 {
			s.violation(ts, fmt.Sprintf("SSLv2 record length %d too short", l))
			return 0, 0, false
		}
		return l + 2, ver, true
	}
	return 5 + (int(h3)<<8 | int(h4)), ver, true
}

// tls12OrOlder reports whether v is a version negotiated before TLS 1.3.
func tls12OrOlder(v uint16) bool {
	return v == versionSSLv2 || v == versionSSLv3 || v == versionTLSv10 || v == versionTLSv11 || v == versionTLSv12
}

// record processes one complete TLS or SSLv2 record (header included).
func (s *session) record(ts int64, isOrig bool, ver uint16, rec []byte) {
	var ctype int
	var raw uint16
	if ver == versionSSLv2 {
		ctype = int(rec[2]) + 300
	} else {
		ctype = int(rec[0])
		raw = be16(rec[1:])
	}
	d := &s.dirs[side(isOrig)]
	// TLS 1.3 (and anything not known to be older) encrypts without a
	// change cipher spec: Zeek takes the first application data record of
	// a side as the start of its encryption.
	if !d.encrypted && ctype == ctApplicationData && !tls12OrOlder(s.chosenVersion) {
		d.encrypted = true
	}
	if d.encrypted {
		s.ciphertext(ts)
		return
	}
	s.plaintext(ts, isOrig, ctype, raw, rec)
}

// ciphertext notes an encrypted record: the first one after both sides
// switched to encryption establishes the session. Only a session whose
// handshake was seen in part can be established: Zeek does not analyze
// connections it joined midstream (a port hint may attach this analyzer
// to one), and encrypted records alone say nothing.
func (s *session) ciphertext(ts int64) {
	if s.dirs[0].encrypted && s.dirs[1].encrypted && !s.established && s.info.started {
		s.established = true
		s.establish(ts)
	}
}

// plaintext processes a record sent in the clear. rec includes the
// header (SSLv2 messages keep fields in it).
func (s *session) plaintext(ts int64, isOrig bool, ctype int, raw uint16, rec []byte) {
	s.setSession(ts)
	body := rec[5:]
	switch ctype {
	case ctChangeCipherSpec:
		if len(body) == 0 {
			return
		}
		s.changeCipherSpec(ts, isOrig)
		s.dirs[side(isOrig)].encrypted = true
		if len(body) > 1 { // the rest of the record is encrypted
			s.ciphertext(ts)
		}
	case ctAlert:
		for i := 0; i+2 <= len(body); i += 2 {
			s.alert(ts, isOrig, body[i], body[i+1])
		}
	case ctHandshake:
		s.handshakeStream(ts, isOrig, raw, body)
	case ctApplicationData:
		s.earlyData(ts)
	case ctHeartbeat:
		s.addHistory(ts, isOrig, 'b')
	case ctV2Error:
	case ctV2ClientHello:
		s.v2ClientHello(ts, isOrig, rec)
	case ctV2ClientMaster:
		s.v2ClientMasterKey(ts, rec)
	case ctV2ServerHello:
		s.v2ServerHello(ts, isOrig, rec)
	default:
		s.violation(ts, fmt.Sprintf("unknown SSL record type (%d) from %s", ctype, origLabel(isOrig)))
	}
}

// earlyData is Zeek's ssl_plaintext_data handler: application data in the
// clear once a version was negotiated and before establishment.
func (s *session) earlyData(ts int64) {
	if s.info.versionSet && !s.info.established {
		s.conn.Weird("ssl_early_application_data", "", ts)
	}
}

// handshakeStream feeds a plaintext handshake record's payload to the
// handshake layer, which reassembles messages across records.
func (s *session) handshakeStream(ts int64, isOrig bool, raw uint16, body []byte) {
	d := &s.dirs[side(isOrig)]
	buf := body
	buffered := len(d.hs) > 0
	if buffered {
		d.hs = append(d.hs, body...)
		buf = d.hs
	}
	for len(buf) >= 4 && !s.stopped {
		n := be24(buf[1:])
		if n > s.cfg.MaxHandshakeMessage {
			s.violation(ts, fmt.Sprintf("handshake message type %d of %d bytes exceeds the limit of %d", buf[0], n, s.cfg.MaxHandshakeMessage))
			return
		}
		if len(buf) < 4+n {
			break
		}
		s.handshake(ts, isOrig, raw, buf[0], buf[4:4+n])
		buf = buf[4+n:]
	}
	if s.stopped {
		return
	}
	switch {
	case len(buf) == 0:
		d.hs = d.hs[:0]
	case buffered:
		d.hs = d.hs[:copy(d.hs, buf)]
	default:
		d.hs = append(d.hs[:0], buf...)
	}
}

// setSession is Zeek's set_session: the first SSL event creates the record.
func (s *session) setSession(ts int64) {
	if !s.info.started {
		s.info.started = true
		s.info.ts = ts
	}
}

// addHistory is Zeek's add_to_history: upper case for the client.
func (s *session) addHistory(ts int64, isClient bool, c byte) {
	s.setSession(ts)
	h := s.info.history
	if len(h) >= s.cfg.MaxHistory {
		return
	}
	if isClient {
		c -= 'a' - 'A'
	}
	s.info.history = append(h, c)
	if len(s.info.history) == s.cfg.MaxHistory {
		s.conn.Weird("SSL_max_ssl_history_length_reached", fmt.Sprint(s.cfg.MaxHistory), ts)
	}
}

func (s *session) changeCipherSpec(ts int64, isClient bool) {
	s.addHistory(ts, isClient, 'i')
	if isClient && s.info.ticketEmptySessionSeen && !s.info.clientKeyExchangeSeen {
		s.info.resumed = true
	}
}

func (s *session) alert(ts int64, isClient bool, level, desc uint8) {
	s.addHistory(ts, isClient, 'l')
	s.info.lastAlert = alertName(desc)
}

// establish is Zeek's ssl_established: the record is complete, logged, and
// the analyzer detaches so that encrypted bulk data costs nothing.
func (s *session) establish(ts int64) {
	s.setSession(ts)
	s.info.established = true
	s.emit(ts)
	s.stop()
}

// emit publishes the ssl.log record, running Zeek's ssl_finishing
// (certificate fingerprints, subject and issuer, SNI match) first.
func (s *session) emit(ts int64) {
	in := &s.info
	in.logged = true
	t := &event.TLS{
		UID:             s.conn.UID,
		ID:              s.conn.ID,
		TS:              in.ts,
		Cipher:          in.cipher,
		Curve:           in.curve,
		ServerName:      in.serverName,
		HasServerName:   in.serverNameSet,
		Resumed:         in.resumed,
		LastAlert:       in.lastAlert,
		NextProtocol:    in.nextProtocol,
		HasNextProtocol: in.nextProtocolSet,
		Established:     in.established,
		History:         string(in.history),
		JA3:             in.ja3,
		JA3S:            in.ja3s,
		JA4:             in.ja4,
	}
	if in.versionSet {
		t.VersionNum = in.versionNum
		t.Version = versionName(in.versionNum)
	}
	if in.chainInit {
		t.CertChainFPs = fingerprints(in.serverCerts)
		t.ClientCertChainFPs = fingerprints(in.clientCerts)
	}
	if len(in.serverCerts) > 0 && in.serverCerts[0].ok {
		c := &in.serverCerts[0]
		t.Subject, t.Issuer, t.HasSubject = c.subject, c.issuer, true
		if in.serverNameSet {
			t.SNIMatchesCert = event.False
			if c.matchesHost(in.serverName) {
				t.SNIMatchesCert = event.True
			}
		}
	}
	if len(in.clientCerts) > 0 && in.clientCerts[0].ok {
		c := &in.clientCerts[0]
		t.ClientSubject, t.ClientIssuer, t.HasClientSubject = c.subject, c.issuer, true
	}
	s.conn.Emit(event.Event{Kind: event.KindTLSHandshake, Time: ts, Key: s.conn.UID, TLS: t})
}

func fingerprints(cs []certEntry) []string {
	fps := make([]string, 0, len(cs))
	for i := range cs {
		if cs[i].ok {
			fps = append(fps, cs[i].fp)
		}
	}
	return fps
}

// confirm reports the protocol once.
func (s *session) confirm() {
	if !s.confirmed {
		s.confirmed = true
		s.conn.Confirm()
	}
}

// sameSessionID compares the server's session id with the client's.
func (s *session) sameSessionID(sid []byte) bool {
	return s.info.sessionIDSet && bytes.Equal(s.info.sessionID, sid)
}

var _ analyzer.Session = (*session)(nil)
