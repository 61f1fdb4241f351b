package dcerpc

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

var (
	// bind to the endpoint mapper (EPMv4 3.0, NDR 2.0), 72 bytes.
	bind = antest.Hex(`05 00 0b 03 10 00 00 00 48 00 00 00 01 00 00 00 b8 10 b8 10 00 00 00 00
01 00 00 00 00 00 01 00 08 83 af e1 1f 5d c9 11 91 a4 08 00 2b 14 a0 fa 03 00 00 00
04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60 02 00 00 00`)
	// bindAck accepts it, 60 bytes.
	bindAck = antest.Hex(`05 00 0c 03 10 00 00 00 3c 00 00 00 01 00 00 00 b8 10 b8 10 4d 41 00 00
04 00 31 33 35 00 00 00 01 00 00 00 00 00 00 00 04 5d 88 8a eb 1c c9 11 9f e8 08 00
2b 10 48 60 02 00 00 00`)
	// request is a big-endian request with an empty stub.
	request = antest.Hex(`05 00 00 03 00 00 00 00 00 18 00 00 00 00 00 02 00 00 00 00 00 00 00 03`)
)

func TestDetect(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		isOrig bool
		data   []byte
		want   analyzer.Verdict
	}{
		{true, bind, analyzer.Match},
		{false, bindAck, analyzer.Match},
		{true, request, analyzer.Match},
		{true, bind[:3], analyzer.NeedMore},
		{true, bind[:12], analyzer.NeedMore},
		{false, bind, analyzer.NoMatch},                                     // a bind comes from the client
		{false, antest.Hex("05 00 0b 03 00 03 00 80 01"), analyzer.NoMatch}, // Modbus echo of a bind
		{true, antest.Hex("05 00 0b 03 10 00 00 00 08 00 00 00 01 00 00 00"), analyzer.NoMatch},
		{true, antest.Hex("05 00 0b 03 10 00 00 01 48 00 00 00 01 00 00 00"), analyzer.NoMatch},
		{true, antest.Hex("04 00 0b 03"), analyzer.NoMatch},
	}
	for _, c := range cases {
		if got := a.Detect(c.isOrig, c.data); got != c.want {
			t.Errorf("Detect(%v, % x) = %v, want %v", c.isOrig, c.data, got, c.want)
		}
	}
	antest.RefuseForeign(t, a, analyzer.TCP, "dce-rpc-bind")
}

func TestSessions(t *testing.T) {
	a := newAnalyzer(t)
	O := func(b []byte) antest.Piece { return antest.Piece{IsOrig: true, Data: b} }
	R := func(b []byte) antest.Piece { return antest.Piece{IsOrig: false, Data: b} }
	cases := []struct {
		name   string
		pieces []antest.Piece
		want   antest.Expect
	}{
		{"bind-ack", []antest.Piece{O(bind), R(bindAck)}, antest.Expect{Service: "dce_rpc", SkipOrig: true, SkipResp: true}},
		// Zeek's modbus_and_non_modbus_on_port_502 test: a bind answered
		// with garbage is dce_rpc.
		{"bind-garbage-reply", []antest.Piece{O(bind), R(antest.Hex("05 00 0b 03 00 03 00 80 01"))}, antest.Expect{Service: "dce_rpc", SkipOrig: true, SkipResp: true}},
		{"request", []antest.Piece{O(request)}, antest.Expect{Service: "dce_rpc", SkipOrig: true, SkipResp: true}},
		{"truncated-bind", []antest.Piece{O(bind[:40])}, antest.Expect{}},
		{"bind-without-context", []antest.Piece{O(func() []byte {
			b := append([]byte(nil), bind...)
			b[24] = 0
			return b
		}())}, antest.Expect{Violation: true}},
		{"http", []antest.Piece{O([]byte("GET / HTTP/1.1\r\n\r\n"))}, antest.Expect{Violation: true}},
		{"modbus", []antest.Piece{O(antest.Hex("00 01 00 00 00 06 01 03 00 00 00 0a"))}, antest.Expect{Violation: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			antest.Check(t, "whole", antest.Replay(a, c.pieces...), c.want)
			antest.Check(t, "bytewise", antest.ReplayBytewise(a, c.pieces...), c.want)
		})
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{Ports: []uint16{0}}); err == nil {
		t.Error("port 0 accepted")
	}
	a, err := newFromTOML(nil)
	if err != nil || a.Name() != "dce_rpc" || a.Transports() != analyzer.TCP || a.Ports()[0] != 135 {
		t.Fatalf("defaults: %v %v", a, err)
	}
}

func TestNoAllocs(t *testing.T) {
	a := newAnalyzer(t)
	h := antest.New(a)
	n := testing.AllocsPerRun(100, func() {
		h.Session.Stream(0, true, bind[:20]) // a PDU that never completes
		a.Detect(true, bind)
	})
	if n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzSession(f *testing.F) {
	a := newAnalyzer(f)
	f.Add(antest.Conversation(antest.Piece{IsOrig: true, Data: bind}, antest.Piece{Data: bindAck}))
	f.Add(antest.Conversation(antest.Piece{IsOrig: true, Data: request}))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := antest.FuzzStream(a, data)
		if h.LateViolation {
			t.Fatalf("violation after confirmation: %v", h)
		}
		a.Detect(true, data)
		a.Detect(false, data)
	})
}
