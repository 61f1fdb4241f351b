package dns

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/event"
)

// Header flag bits for building messages.
const (
	fQR = 0x8000
	fAA = 0x0400
	fTC = 0x0200
	fRD = 0x0100
	fRA = 0x0080
)

func opFlags(op int) uint16 { return uint16(op) << 11 }

// builder assembles a DNS message; counts follow the sections added.
type builder struct{ b []byte }

func newMsg(id, flags uint16) *builder {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b, id)
	binary.BigEndian.PutUint16(b[2:], flags)
	return &builder{b: b}
}

func (m *builder) count(i int) {
	binary.BigEndian.PutUint16(m.b[4+2*i:], binary.BigEndian.Uint16(m.b[4+2*i:])+1)
}

// wire encodes a dotted name; "" is the root.
func wire(name string) []byte {
	var b []byte
	if name != "" {
		for _, l := range strings.Split(name, ".") {
			b = append(b, byte(len(l)))
			b = append(b, l...)
		}
	}
	return append(b, 0)
}

func (m *builder) q(name string, typ, class uint16) *builder {
	return m.qRaw(wire(name), typ, class)
}

func (m *builder) qRaw(name []byte, typ, class uint16) *builder {
	m.b = append(m.b, name...)
	m.b = binary.BigEndian.AppendUint16(m.b, typ)
	m.b = binary.BigEndian.AppendUint16(m.b, class)
	m.count(0)
	return m
}

func (m *builder) rr(sec int, name []byte, typ, class uint16, ttl uint32, rdata []byte) *builder {
	m.b = append(m.b, name...)
	m.b = binary.BigEndian.AppendUint16(m.b, typ)
	m.b = binary.BigEndian.AppendUint16(m.b, class)
	m.b = binary.BigEndian.AppendUint32(m.b, ttl)
	m.b = binary.BigEndian.AppendUint16(m.b, uint16(len(rdata)))
	m.b = append(m.b, rdata...)
	m.count(sec)
	return m
}

func (m *builder) an(name string, typ uint16, ttl uint32, rdata []byte) *builder {
	return m.rr(1, wire(name), typ, 1, ttl, rdata)
}

func (m *builder) bytes() []byte { return m.b }

// ptr is a compression pointer to offset off.
func ptr(off int) []byte { return []byte{0xc0 | byte(off>>8), byte(off)} }

// testSink records what a session reports, and ends the session on a
// violation as the tracker does.
type testSink struct {
	events     []event.Event
	weirds     []string // "name" or "name addl"
	confirms   int
	violations []string
	skips      []bool
	sess       analyzer.Session
	ts         int64
}

func (k *testSink) Emit(ev event.Event) { k.events = append(k.events, ev) }
func (k *testSink) Confirm(string)      { k.confirms++ }
func (k *testSink) Violation(_, reason string) {
	k.violations = append(k.violations, reason)
	if k.sess != nil {
		k.sess.End(k.ts)
	}
}
func (k *testSink) Weird(name, addl string, ts int64) {
	if addl != "" {
		name += " " + addl
	}
	k.weirds = append(k.weirds, name)
}
func (k *testSink) Skip(_ string, isOrig bool) { k.skips = append(k.skips, isOrig) }
func (k *testSink) Start(string) bool          { return false }
func (k *testSink) Redetect()                  {}

func (k *testSink) records() []*event.DNS {
	var out []*event.DNS
	for _, ev := range k.events {
		if ev.Kind == event.KindDNSMessage {
			out = append(out, ev.DNS)
		}
	}
	return out
}

func (k *testSink) hasWeird(w string) bool {
	for _, x := range k.weirds {
		if x == w {
			return true
		}
	}
	return false
}

var (
	client = netip.MustParseAddr("198.18.0.2")
	server = netip.MustParseAddr("198.18.0.1")
)

func udpID(rp uint16) event.ConnID {
	return event.ConnID{OrigH: client, RespH: server, OrigP: 40000, RespP: rp, Proto: event.TransportUDP}
}

// testSession starts a session on id with cfg (nil: defaults). It returns
// the handle the tracker would hold; h.s is the session until End.
func testSession(t testing.TB, cfg *Config, id event.ConnID) (*handle, *testSink) {
	t.Helper()
	c := DefaultConfig()
	if cfg != nil {
		c = *cfg
	}
	a, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	k := &testSink{}
	h := a.NewSession(analyzer.NewConn("Ctest", id, 1e9, Name, k)).(*handle)
	k.sess = h
	return h, k
}

// second is one second in ns.
const second = int64(1e9)

// dg delivers a datagram at ts seconds.
func dg(s *handle, k *testSink, ts float64, isOrig bool, b []byte) {
	k.ts = int64(ts * 1e9)
	s.Datagram(k.ts, isOrig, b)
}

func end(s *handle, k *testSink, ts float64) {
	k.ts = int64(ts * 1e9)
	s.End(k.ts)
}

// show renders a record compactly for failure messages.
func show(d *event.DNS) string {
	return fmt.Sprintf("%+v", *d)
}
