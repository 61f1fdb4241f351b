package dhcp

import (
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/antest"
)

func newAnalyzer(t testing.TB) *Analyzer {
	t.Helper()
	a, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// message builds a DHCP message with op and the options given (an end
// option is appended).
func message(op byte, opts ...byte) []byte {
	b := make([]byte, bootpLen, 300)
	b[0], b[1], b[2] = op, 1, 6 // Ethernet, 6-byte address
	b[4], b[5], b[6], b[7] = 0x39, 0x03, 0xf3, 0x26
	copy(b[28:], []byte{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01})
	b = append(b, cookie[:]...)
	b = append(b, opts...)
	return append(b, optEnd)
}

var (
	discover = message(opRequest, optMsgType, 1, 1, 55, 3, 1, 3, 6)
	offer    = message(opReply, optMsgType, 1, 2, 54, 4, 198, 18, 0, 1, 51, 4, 0, 0, 0x0e, 0x10)
)

func TestCheck(t *testing.T) {
	noEnd := discover[:len(discover)-1]
	cases := []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"discover", discover, true},
		{"offer", offer, true},
		{"bootp-without-type", message(opReply), true},
		{"padded", message(opRequest, 0, 0, optMsgType, 1, 3), true},
		{"no-end-option", noEnd, true},
		{"bad-op", func() []byte { b := append([]byte(nil), discover...); b[0] = 3; return b }(), false},
		{"long-hwaddr", func() []byte { b := append([]byte(nil), discover...); b[2] = 17; return b }(), false},
		{"no-cookie", func() []byte { b := append([]byte(nil), discover...); b[bootpLen] = 0; return b }(), false},
		{"option-overrun", message(opRequest, 12, 200, 'x'), false},
		{"type-0", message(opRequest, optMsgType, 1, 0), false},
		{"type-too-long", message(opRequest, optMsgType, 2, 1, 1), false},
		{"short", discover[:200], false},
	}
	for _, c := range cases {
		if got := check(c.b) == ""; got != c.ok {
			t.Errorf("%s: check = %q", c.name, check(c.b))
		}
	}
}

func TestDetect(t *testing.T) {
	a := newAnalyzer(t)
	if a.Detect(true, discover) != analyzer.Match || a.Detect(false, offer) != analyzer.Match {
		t.Error("DHCP not detected")
	}
	antest.RefuseForeign(t, a, analyzer.UDP|analyzer.TCP, "dhcp-discover")
}

func TestSessions(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		name   string
		pieces []antest.Piece
		want   antest.Expect
	}{
		{"discover-offer", []antest.Piece{antest.OB(discover), antest.RB(offer)}, antest.Expect{Service: "dhcp", SkipOrig: true, SkipResp: true}},
		{"one-broadcast", []antest.Piece{antest.RB(offer)}, antest.Expect{Service: "dhcp", SkipOrig: true, SkipResp: true}},
		{"dns-on-67", []antest.Piece{antest.OB(antest.Hex("12 34 01 00 00 01 00 00 00 00 00 00 03 77 77 77 00 00 01 00 01"))}, antest.Expect{Violation: true}},
	}
	for _, c := range cases {
		antest.Check(t, c.name, antest.Replay(a, c.pieces...), c.want)
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{Ports: []uint16{0}}); err == nil {
		t.Error("port 0 accepted")
	}
	a, err := newFromTOML(nil)
	if err != nil || a.Name() != "dhcp" || a.Transports() != analyzer.UDP || len(a.Ports()) != 2 {
		t.Fatalf("defaults: %v %v", a, err)
	}
}

func TestNoAllocs(t *testing.T) {
	a := newAnalyzer(t)
	if n := testing.AllocsPerRun(100, func() { a.Detect(true, offer) }); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzCheck(f *testing.F) {
	a := newAnalyzer(f)
	f.Add(discover)
	f.Add(offer)
	f.Add(message(opRequest, 12, 200, 'x'))
	f.Fuzz(func(t *testing.T, b []byte) {
		ok := check(b) == ""
		h := antest.Replay(a, antest.Piece{IsOrig: true, Data: b})
		if h.Confirmed != ok || (a.Detect(true, b) == analyzer.Match) != ok {
			t.Fatalf("check %q, confirmed %v", check(b), h.Confirmed)
		}
	})
}
