package modbus

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
	readHoldingReq  = antest.Hex("00 01 00 00 00 06 0a 03 00 00 00 02")
	readHoldingResp = antest.Hex("00 01 00 00 00 07 0a 03 04 00 2a 00 2b")
	writeCoilReq    = antest.Hex("00 02 00 00 00 06 0a 05 00 07 ff 00")
	writeCoilResp   = antest.Hex("00 02 00 00 00 06 0a 05 00 07 ff 00")
	exceptionResp   = antest.Hex("00 03 00 00 00 03 0a 83 02")
	writeRegsReq    = antest.Hex("00 04 00 00 00 0b 0a 10 00 01 00 02 04 00 0a 01 02")
	vendorReq       = antest.Hex("00 05 00 00 00 04 0a 5a 01 02")
)

func TestCheckFrame(t *testing.T) {
	cases := []struct {
		name  string
		f     []byte
		isReq bool
		ok    bool
	}{
		{"read-holding-req", readHoldingReq, true, true},
		{"read-holding-resp", readHoldingResp, false, true},
		{"write-coil", writeCoilReq, true, true},
		{"exception", exceptionResp, false, true},
		{"write-registers", writeRegsReq, true, true},
		{"vendor-code", vendorReq, true, true},
		{"exception-in-request", exceptionResp, true, false},
		{"coil-value", antest.Hex("00 02 00 00 00 06 0a 05 00 07 00 01"), true, false},
		{"read-quantity-0", antest.Hex("00 01 00 00 00 06 0a 03 00 00 00 00"), true, false},
		{"read-quantity-126", antest.Hex("00 01 00 00 00 06 0a 03 00 00 00 7e"), true, false},
		{"odd-register-bytes", antest.Hex("00 01 00 00 00 06 0a 03 03 00 2a 00"), false, false},
		{"byte-count-mismatch", antest.Hex("00 01 00 00 00 07 0a 03 06 00 2a 00 2b"), false, false},
		{"write-registers-count", antest.Hex("00 04 00 00 00 0b 0a 10 00 01 00 03 04 00 0a 01 02"), true, false},
		{"fc-0", antest.Hex("00 01 00 00 00 02 0a 00"), true, false},
	}
	for _, c := range cases {
		n, err := frameLen(c.f)
		if err != "" || n != len(c.f) {
			t.Fatalf("%s: frameLen %d %q", c.name, n, err)
		}
		if got := checkFrame(c.f, c.isReq) == ""; got != c.ok {
			t.Errorf("%s: checkFrame = %q", c.name, checkFrame(c.f, c.isReq))
		}
	}
}

func TestDetect(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		isOrig bool
		data   []byte
		want   analyzer.Verdict
	}{
		{true, readHoldingReq, analyzer.Match},
		{true, append(append([]byte(nil), writeCoilReq...), readHoldingReq...), analyzer.Match},
		{true, readHoldingReq[:5], analyzer.NeedMore},
		{true, readHoldingReq[:10], analyzer.NeedMore},
		{true, antest.Hex("00 01 00 01"), analyzer.NoMatch},
		{true, antest.Hex("00 01 00 01 00 06 0a 03 00 00 00 02"), analyzer.NoMatch},
		{true, vendorReq, analyzer.NoMatch}, // not a public function code
		{false, readHoldingResp, analyzer.NoMatch},
	}
	for _, c := range cases {
		if got := a.Detect(c.isOrig, c.data); got != c.want {
			t.Errorf("Detect(%v, % x) = %v, want %v", c.isOrig, c.data, got, c.want)
		}
	}
	antest.RefuseForeign(t, a, analyzer.TCP, "modbus-request")
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
		{"request-response", []antest.Piece{O(readHoldingReq), R(readHoldingResp)}, antest.Expect{Service: "modbus", SkipOrig: true, SkipResp: true}},
		{"exception", []antest.Piece{O(readHoldingReq), R(exceptionResp)}, antest.Expect{Service: "modbus", SkipOrig: true, SkipResp: true}},
		{"two-frames-one-segment", []antest.Piece{O(append(append([]byte(nil), writeCoilReq...), readHoldingReq...)), R(writeCoilResp)}, antest.Expect{Service: "modbus", SkipOrig: true, SkipResp: true}},
		{"request-only", []antest.Piece{O(readHoldingReq)}, antest.Expect{}},
		// What Zeek's modbus_and_non_modbus_on_port_502 test throws at
		// port 502: none of it is Modbus.
		{"tls", []antest.Piece{O(antest.TCPSamples()[3].Data)}, antest.Expect{Violation: true}},
		{"http", []antest.Piece{O([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))}, antest.Expect{Violation: true}},
		{"dce-rpc-bind", []antest.Piece{O(antest.Hex("05 00 0b 03 10 00 00 00 48 00 00 00 01 00 00 00")), R(antest.Hex("05 00 0b 03 00 03 00 80 01"))}, antest.Expect{Violation: true}},
		{"rdp", []antest.Piece{O(antest.Hex("03 00 00 2b 26 e0 00 00 00 00 00 43 6f 6f 6b 69 65 3a 20"))}, antest.Expect{Violation: true}},
		{"protocol-id-1", []antest.Piece{O(antest.Hex("00 01 00 01 00 06 0a 03 00 00 00 02")), R(readHoldingResp)}, antest.Expect{Violation: true}},
		{"bad-response", []antest.Piece{O(readHoldingReq), R(antest.Hex("00 01 00 00 00 07 0a 03 06 00 2a 00 2b"))}, antest.Expect{Violation: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			antest.Check(t, "whole", antest.Replay(a, c.pieces...), c.want)
			antest.Check(t, "bytewise", antest.ReplayBytewise(a, c.pieces...), c.want)
		})
	}
}

func TestGapStops(t *testing.T) {
	h := antest.New(newAnalyzer(t))
	h.Stream(true, readHoldingReq[:9])
	h.Gap(true, 100)
	if !h.Skipped(true) || !h.Skipped(false) || len(h.Violations) > 0 {
		t.Fatalf("%v", h)
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{Ports: []uint16{0}}); err == nil {
		t.Error("port 0 accepted")
	}
	a, err := newFromTOML(nil)
	if err != nil || a.Name() != "modbus" || a.Transports() != analyzer.TCP || a.Ports()[0] != 502 {
		t.Fatalf("defaults: %v %v", a, err)
	}
}

func TestNoAllocs(t *testing.T) {
	a := newAnalyzer(t)
	h := antest.New(a)
	n := testing.AllocsPerRun(100, func() {
		h.Stream(true, readHoldingReq[:3])
		h.Stream(true, readHoldingReq[3:])
		a.Detect(true, readHoldingReq)
	})
	if n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzSession(f *testing.F) {
	a := newAnalyzer(f)
	f.Add(antest.Conversation(antest.Piece{IsOrig: true, Data: readHoldingReq}, antest.Piece{Data: readHoldingResp}))
	f.Add(antest.Conversation(antest.Piece{IsOrig: true, Data: writeRegsReq}, antest.Piece{Data: exceptionResp}))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := antest.FuzzStream(a, data)
		if h.LateViolation {
			t.Fatalf("violation after confirmation: %v", h)
		}
		a.Detect(true, data)
	})
}
