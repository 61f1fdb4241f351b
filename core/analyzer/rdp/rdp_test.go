package rdp

import (
	"encoding/binary"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/antest"
)

// pdu wraps an X.224 PDU of code with variable part v in a TPKT.
func pdu(code byte, v []byte) []byte {
	n := minPDU + len(v)
	b := []byte{3, 0, byte(n >> 8), byte(n), byte(n - 5), code, 0, 0, 0, 0, 0}
	return append(b, v...)
}

func neg(typ byte, proto uint32) []byte {
	b := []byte{typ, 0, negLen, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(b[4:], proto)
	return b
}

var (
	request    = pdu(codeCR, append([]byte("Cookie: mstshash=admin\r\n"), neg(negReq, 3)...))
	confirmTLS = pdu(codeCC, neg(negRsp, 1))
	confirmStd = pdu(codeCC, nil)
	failure    = pdu(codeCC, neg(negFailure, 5))
)

func TestDetect(t *testing.T) {
	a, _ := New(DefaultConfig())
	cases := []struct {
		isOrig bool
		data   []byte
		want   analyzer.Verdict
	}{
		{true, request, analyzer.Match},
		{true, pdu(codeCR, nil), analyzer.Match},
		{false, confirmTLS, analyzer.Match},
		{true, request[:5], analyzer.NeedMore},
		{true, request[:20], analyzer.NeedMore},
		{false, request, analyzer.NoMatch},
		{true, confirmTLS, analyzer.NoMatch},
		{true, pdu(codeCR, []byte("Cookie: \x01\r\n")), analyzer.NoMatch},
		{true, pdu(codeCR, []byte{9, 9, 9}), analyzer.NoMatch},
		{true, pdu(codeCR, append(neg(negReq, 3), 0, 0, 0)), analyzer.NoMatch},
		{true, pdu(codeCR, append(neg(negReq, 3), append([]byte{correlationInfo, 0, correlationLen, 0}, make([]byte, 32)...)...)), analyzer.Match},
		{false, antest.Hex("03 00 00 2b 00 03 00 80 01"), analyzer.NoMatch}, // Modbus echo, Zeek's port-502 test
	}
	for _, c := range cases {
		if got := a.Detect(c.isOrig, c.data); got != c.want {
			t.Errorf("Detect(%v, % x) = %v, want %v", c.isOrig, c.data, got, c.want)
		}
	}
	antest.RefuseForeign(t, a, analyzer.TCP, "rdp-x224")
}

func TestSessions(t *testing.T) {
	a, _ := New(DefaultConfig())
	O, R := antest.OB, antest.RB
	for _, c := range []struct {
		name   string
		pieces []antest.Piece
		want   antest.Expect
	}{
		{"tls", []antest.Piece{O(request), R(confirmTLS), antest.O("\x16\x03\x01\x00\x05hello")}, antest.Expect{Service: "rdp,ssl", StartedSSL: true, SkipOrig: true, SkipResp: true}},
		{"standard-security", []antest.Piece{O(pdu(codeCR, []byte("Cookie: mstshash=a\r\n"))), R(confirmStd)}, antest.Expect{Service: "rdp", SkipOrig: true, SkipResp: true}},
		{"negotiation-failure", []antest.Piece{O(request), R(failure)}, antest.Expect{Service: "rdp", SkipOrig: true, SkipResp: true}},
		{"request-only", []antest.Piece{O(request)}, antest.Expect{}},
		{"garbage-reply", []antest.Piece{O(request), R(antest.Hex("03 00 00 2b 00 03 00 80 01"))}, antest.Expect{Violation: true}},
		{"http", []antest.Piece{antest.O("GET / HTTP/1.1\r\n\r\n")}, antest.Expect{Violation: true}},
	} {
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
	if err != nil || a.Name() != "rdp" || a.Ports()[0] != 3389 {
		t.Fatalf("defaults: %v %v", a, err)
	}
}

func TestNoAllocs(t *testing.T) {
	a, _ := New(DefaultConfig())
	if n := testing.AllocsPerRun(100, func() { a.Detect(true, request) }); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzSession(f *testing.F) {
	a, _ := New(DefaultConfig())
	f.Add(antest.Conversation(antest.OB(request), antest.RB(confirmTLS)))
	f.Add(antest.Conversation(antest.OB(pdu(codeCR, nil)), antest.RB(failure)))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := antest.FuzzStream(a, data)
		if h.LateViolation {
			t.Fatalf("violation after confirmation: %v", h)
		}
		a.Detect(true, data)
		a.Detect(false, data)
	})
}
