// Package antest is a test harness for protocol analyzers: a Sink that
// records what a session reports and delivers bytes the way the connection
// tracker does (nothing after a violation, nothing to a skipped direction),
// and samples of other protocols' first bytes that a Detect must refuse.
//
// It is imported only by tests.
package antest

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/event"
)

// Harness runs one session of one analyzer and records its reports. It
// implements analyzer.Sink.
type Harness struct {
	Name    string // the service the session reports as
	Session analyzer.Session

	Confirmed bool
	// LateViolation is set when the session reported a violation after
	// confirming: the analyzers here report weirds instead.
	LateViolation bool
	Violations    []string
	Weirds        []string
	Started       []string // analyzers handed the connection (STARTTLS)
	Services      []string // confirmed services in confirmation order, as conn.log shows them
	Events        []event.Event

	// StartOK is what Start reports (is the named analyzer configured).
	StartOK bool
	// Flips counts the session's FlipRoles calls (the harness accepts
	// them, as the tracker does for UDP).
	Flips int

	skip [2]bool
	dead bool
	ts   int64
}

// New starts a session of a on a fresh connection. The sink accepts
// hand-offs (StartOK) unless the test changes it.
func New(a analyzer.Analyzer) *Harness {
	h := &Harness{Name: a.Name(), StartOK: true}
	c := analyzer.NewConn("Cantest1", event.ConnID{}, 0, a.Name(), h)
	h.Session = a.NewSession(c)
	return h
}

func dir(isOrig bool) int {
	if isOrig {
		return 0
	}
	return 1
}

// Stream delivers TCP bytes of one direction, unless the session was
// dropped or skipped that direction. It reports whether it delivered.
func (h *Harness) Stream(isOrig bool, b []byte) bool {
	if h.dead || h.skip[dir(isOrig)] {
		return false
	}
	h.ts++
	h.Session.Stream(h.ts, isOrig, b)
	return true
}

// S is Stream with a string.
func (h *Harness) S(isOrig bool, s string) bool { return h.Stream(isOrig, []byte(s)) }

// Datagram delivers one UDP payload, under the same rules as Stream.
func (h *Harness) Datagram(isOrig bool, b []byte) bool {
	if h.dead || h.skip[dir(isOrig)] {
		return false
	}
	h.ts++
	h.Session.Datagram(h.ts, isOrig, b)
	return true
}

// Gap reports missing bytes, under the same rules as Stream.
func (h *Harness) Gap(isOrig bool, n uint64) {
	if h.dead || h.skip[dir(isOrig)] {
		return
	}
	h.Session.Gap(h.ts, isOrig, n)
}

// End ends the session (if it is still running).
func (h *Harness) End() {
	if !h.dead {
		h.dead = true
		h.Session.End(h.ts)
	}
}

// Dead reports whether the session was dropped (violation or End).
func (h *Harness) Dead() bool { return h.dead }

// Skipped reports whether the session asked to skip a direction.
func (h *Harness) Skipped(isOrig bool) bool { return h.skip[dir(isOrig)] }

// Service is the conn.log service as the recorded confirmations make it.
func (h *Harness) Service() string { return strings.Join(h.Services, ",") }

// Emit implements analyzer.Sink.
func (h *Harness) Emit(ev event.Event) { h.Events = append(h.Events, ev) }

// Confirm implements analyzer.Sink.
func (h *Harness) Confirm(service string) {
	if service == h.Name {
		h.Confirmed = true
	}
	for _, s := range h.Services {
		if s == service {
			return
		}
	}
	h.Services = append(h.Services, service)
}

// Violation implements analyzer.Sink: like the tracker, it drops the
// session and removes its service.
func (h *Harness) Violation(service, reason string) {
	h.Violations = append(h.Violations, reason)
	if service == h.Name && h.Confirmed {
		h.LateViolation = true
	}
	if service == h.Name && !h.dead {
		h.dead = true
		h.Confirmed = false
		h.Session.End(h.ts)
	}
	out := h.Services[:0]
	for _, s := range h.Services {
		if s != service {
			out = append(out, s)
		}
	}
	h.Services = out
}

// Weird implements analyzer.Sink.
func (h *Harness) Weird(name, addl string, ts int64) { h.Weirds = append(h.Weirds, name) }

// Skip implements analyzer.Sink.
func (h *Harness) Skip(service string, isOrig bool) {
	if service == h.Name {
		h.skip[dir(isOrig)] = true
	}
}

// Start implements analyzer.Sink. A started analyzer is recorded and, to
// mimic a TLS analyzer that confirms, added to Services.
func (h *Harness) Start(name string) bool {
	if !h.StartOK {
		return false
	}
	h.Started = append(h.Started, name)
	h.Confirm(name)
	return true
}

// FlipRoles implements analyzer.RoleFlipper.
func (h *Harness) FlipRoles() bool { h.Flips++; return true }

// Redetect implements analyzer.Sink.
func (h *Harness) Redetect() {}

// HasWeird reports whether a weird of that name was reported.
func (h *Harness) HasWeird(name string) bool {
	for _, w := range h.Weirds {
		if w == name {
			return true
		}
	}
	return false
}

// String summarizes the harness for failure messages.
func (h *Harness) String() string {
	return fmt.Sprintf("confirmed=%v service=%q violations=%q weirds=%q started=%q skip=%v dead=%v",
		h.Confirmed, h.Service(), h.Violations, h.Weirds, h.Started, h.skip, h.dead)
}

var _ analyzer.Sink = (*Harness)(nil)

// Sample is the first bytes one direction of another protocol sends.
type Sample struct {
	Name   string
	IsOrig bool
	Data   []byte
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// tlsClientHello is a TLS 1.2 ClientHello record (SNI example.com).
var tlsClientHello = mustHex(`
16 03 01 00 5f 01 00 00 5b 03 03 5b 2d 8e 0c 61 6c 4e 2a 1f 7c 73 93 13 e2 33 8a
54 2c 1c 70 6d 24 e2 99 3b 6b 3c c1 fa 56 41 d2 00 00 0a c0 2b c0 2f c0 2c c0 30
00 ff 01 00 00 28 00 00 00 10 00 0e 00 00 0b 65 78 61 6d 70 6c 65 2e 63 6f 6d 00
0b 00 02 01 00 00 0a 00 08 00 06 00 1d 00 17 00 18 00 23 00 00`)

// tlsServerHello is the start of a TLS 1.2 ServerHello record.
var tlsServerHello = mustHex(`16 03 03 00 31 02 00 00 2d 03 03 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 00
11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 00 00 c0 2f 00 00 05 ff 01 00 01 00`)

// dnsQuery is a DNS query for example.com/A.
var dnsQuery = mustHex(`12 34 01 00 00 01 00 00 00 00 00 00 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01`)

// dnsReply answers dnsQuery.
var dnsReply = mustHex(`12 34 81 80 00 01 00 01 00 00 00 00 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01
c0 0c 00 01 00 01 00 00 0e 10 00 04 c6 12 00 01`)

// TCPSamples are other TCP protocols' opening bytes, per direction. Each
// analyzer's Detect must refuse all those not of its own protocol.
func TCPSamples() []Sample {
	return []Sample{
		{"http-request", true, []byte("GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n")},
		{"http-post", true, []byte("POST /login HTTP/1.1\r\nHost: example.com\r\nContent-Length: 7\r\n\r\nuser=x\n")},
		{"http-response", false, []byte("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nhi")},
		{"tls-client-hello", true, tlsClientHello},
		{"tls-server-hello", false, tlsServerHello},
		{"ssh-client-banner", true, []byte("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n")},
		{"ssh-server-banner", false, []byte("SSH-2.0-OpenSSH_8.9\r\n\x00\x00\x04\x2c\x06\x14")},
		{"dns-tcp-query", true, append([]byte{0, byte(len(dnsQuery))}, dnsQuery...)},
		{"pop3-greeting", false, []byte("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n")},
		{"pop3-capa", true, []byte("CAPA\r\n")},
		{"imap-greeting", false, []byte("* OK [CAPABILITY IMAP4rev1 STARTTLS] IMAP server ready\r\n")},
		{"imap-command", true, []byte("a001 CAPABILITY\r\n")},
		{"smtp-greeting", false, []byte("220 mail.example.com ESMTP Postfix\r\n")},
		{"smtp-ehlo", true, []byte("EHLO client.example.com\r\n")},
		{"ftp-user", true, []byte("USER anonymous\r\n")},
		{"irc-nick", true, []byte("NICK weir\r\nUSER weir 0 * :weir test\r\n")},
		{"irc-server", false, []byte(":irc.example.net NOTICE * :*** Looking up your hostname...\r\n")},
		{"xmpp-stream", true, []byte("<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")},
		{"modbus-request", true, mustHex("00 01 00 00 00 06 01 03 00 00 00 0a")},
		{"dce-rpc-bind", true, mustHex(`05 00 0b 03 10 00 00 00 48 00 00 00 01 00 00 00 b8 10 b8 10 00 00 00 00
01 00 00 00 00 00 01 00 c4 fe fc 99 60 52 1b 10 bb cb 00 aa 00 21 34 7a 00 00 00 00
04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60 02 00 00 00`)},
		{"rdp-x224", true, mustHex("03 00 00 2b 26 e0 00 00 00 00 00 43 6f 6f 6b 69 65 3a 20 6d 73 74 73 68 61 73 68 3d 61 64 6d 69 6e 0d 0a 01 00 08 00 01 00 00 00")},
		{"mysql-greeting", false, mustHex("4a 00 00 00 0a 38 2e 30 2e 33 36 00 0b 00 00 00 3e 41 4e 02 0f 2a 12 0a 00 ff ff ff 02 00 ff df 15 00 00 00 00 00 00 00 00 00 00 5b 40 64 3b 11 28 5d 2b 67 19 0f 4e 00 63 61 63 68 69 6e 67 5f 73 68 61 32 5f 70 61 73 73 77 6f 72 64 00")},
		{"binary-zeros", true, make([]byte, 64)},
	}
}

// UDPSamples are other UDP protocols' datagrams.
func UDPSamples() []Sample {
	ntp := make([]byte, 48)
	ntp[0] = 0x23 // v4 client
	dhcp := make([]byte, 300)
	dhcp[0], dhcp[1], dhcp[2] = 1, 1, 6
	copy(dhcp[236:], []byte{0x63, 0x82, 0x53, 0x63, 53, 1, 1, 255})
	return []Sample{
		{"dns-query", true, dnsQuery},
		{"dns-reply", false, dnsReply},
		{"ntp-client", true, ntp},
		{"dhcp-discover", true, dhcp},
		{"syslog", true, []byte("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8")},
		{"sip-invite", true, []byte("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.example.com\r\n\r\n")},
		{"snmp-get", true, mustHex("30 26 02 01 01 04 06 70 75 62 6c 69 63 a0 19 02 04 12 34 56 78 02 01 00 02 01 00 30 0b 30 09 06 05 2b 06 01 02 01 05 00")},
		{"quic-initial", true, append(mustHex("c0 00 00 00 01 08 01 02 03 04 05 06 07 08 00 00 44 d0"), make([]byte, 60)...)},
		{"zeros", true, make([]byte, 48)},
	}
}

// Chunks splits data into pieces at the given cut points (for feeding a
// stream in arbitrary segments).
func Chunks(data []byte, cuts ...int) [][]byte {
	var out [][]byte
	prev := 0
	for _, c := range cuts {
		if c <= prev || c >= len(data) {
			continue
		}
		out = append(out, data[prev:c])
		prev = c
	}
	return append(out, data[prev:])
}

// FuzzStream feeds data to a fresh session as a conversation: the first
// byte of each piece picks the direction and the piece's length, so a
// fuzzer explores interleavings. It checks nothing itself beyond not
// panicking; callers add their own invariants.
func FuzzStream(a analyzer.Analyzer, data []byte) *Harness {
	h := New(a)
	for len(data) > 0 {
		ctl := data[0]
		data = data[1:]
		n := int(ctl&0x7f) + 1
		if n > len(data) {
			n = len(data)
		}
		h.Stream(ctl&0x80 == 0, data[:n])
		data = data[n:]
	}
	h.End()
	return h
}

// FuzzDatagrams is FuzzStream for UDP: each piece is one datagram.
func FuzzDatagrams(a analyzer.Analyzer, data []byte) *Harness {
	h := New(a)
	for len(data) > 1 {
		ctl := int(data[0])<<8 | int(data[1])
		data = data[2:]
		n := ctl & 0x7ff
		if n > len(data) {
			n = len(data)
		}
		h.Datagram(ctl&0x8000 == 0, data[:n])
		data = data[n:]
	}
	h.End()
	return h
}

// Conversation encodes a conversation in FuzzStream's format, for seeds
// and for tests that want to replay one: each piece is one or more
// deliveries of its direction.
func Conversation(pieces ...Piece) []byte {
	var out []byte
	for _, p := range pieces {
		b := p.Data
		for len(b) > 0 {
			n := min(len(b), 128)
			ctl := byte(n - 1)
			if !p.IsOrig {
				ctl |= 0x80
			}
			out = append(out, ctl)
			out = append(out, b[:n]...)
			b = b[n:]
		}
	}
	return out
}

// Datagrams encodes datagrams in FuzzDatagrams' format, for seeds.
func Datagrams(pieces ...Piece) []byte {
	var out []byte
	for _, p := range pieces {
		n := min(len(p.Data), 0x7ff)
		ctl := n
		if !p.IsOrig {
			ctl |= 0x8000
		}
		out = append(out, byte(ctl>>8), byte(ctl))
		out = append(out, p.Data[:n]...)
	}
	return out
}

// Piece is one delivery of a conversation.
type Piece struct {
	IsOrig bool
	Data   []byte
}

// O and R make originator and responder pieces from strings.
func O(s string) Piece { return Piece{true, []byte(s)} }

// R makes a responder piece.
func R(s string) Piece { return Piece{false, []byte(s)} }

// Hex decodes hex with spaces and newlines ignored; it panics on bad input.
func Hex(s string) []byte { return mustHex(s) }

// OB and RB make originator and responder pieces from bytes.
func OB(b []byte) Piece { return Piece{IsOrig: true, Data: b} }

// RB makes a responder piece from bytes.
func RB(b []byte) Piece { return Piece{IsOrig: false, Data: b} }
