package krb

import (
	"encoding/binary"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/antest"
)

// tlv encodes one BER TLV with a definite length.
func tlv(tag byte, parts ...[]byte) []byte {
	var c []byte
	for _, p := range parts {
		c = append(c, p...)
	}
	switch {
	case len(c) < 0x80:
		return append([]byte{tag, byte(len(c))}, c...)
	case len(c) < 0x100:
		return append([]byte{tag, 0x81, byte(len(c))}, c...)
	default:
		return append([]byte{tag, 0x82, byte(len(c) >> 8), byte(len(c))}, c...)
	}
}

func integer(v byte) []byte { return tlv(0x02, []byte{v}) }

// asReq is an AS-REQ with a minimal req-body.
func asReqMsg() []byte {
	body := tlv(0x30,
		tlv(0xa0, tlv(0x03, []byte{0, 0x50, 0x80, 0, 0x10})),
		tlv(0xa2, tlv(0x1b, []byte("EXAMPLE.NET"))),
		tlv(0xa7, integer(42)),
	)
	return tlv(0x6a, tlv(0x30, tlv(0xa1, integer(5)), tlv(0xa2, integer(asReq)), tlv(0xa4, body)))
}

// krbError is a KRB-ERROR (KDC_ERR_PREAUTH_REQUIRED), padded to a long
// length form.
func krbErrorMsg() []byte {
	return tlv(0x7e, tlv(0x30, tlv(0xa0, integer(5)), tlv(0xa1, integer(krbErr)),
		tlv(0xa6, integer(25)), tlv(0xa9, tlv(0x1b, []byte("EXAMPLE.NET"))),
		tlv(0xac, tlv(0x04, make([]byte, 200)))))
}

func tcpRecord(m []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(m))), m...)
}

func TestCheckPrefix(t *testing.T) {
	good := [][]byte{asReqMsg(), krbErrorMsg()}
	for _, m := range good {
		if n, err := checkPrefix(m); err != "" || n != len(m) {
			t.Errorf("checkPrefix(% x...) = %d %q", m[:8], n, err)
		}
		if n, err := checkPrefix(m[:prefixLen]); err != "" || n != len(m) {
			t.Errorf("prefix: %d %q", n, err)
		}
	}
	bad := map[string][]byte{
		"pvno-4":          tlv(0x6a, tlv(0x30, tlv(0xa1, integer(4)), tlv(0xa2, integer(asReq)))),
		"type-mismatch":   tlv(0x6a, tlv(0x30, tlv(0xa1, integer(5)), tlv(0xa2, integer(tgsReq)))),
		"rep-field-order": tlv(0x6b, tlv(0x30, tlv(0xa1, integer(5)), tlv(0xa2, integer(asRep)))),
		"unknown-app":     tlv(0x61, tlv(0x30, tlv(0xa0, integer(5)), tlv(0xa1, integer(1)))),
		"not-sequence":    tlv(0x6a, tlv(0x31, tlv(0xa1, integer(5)), tlv(0xa2, integer(asReq)))),
		"universal":       tlv(0x30, tlv(0xa0, integer(5))),
	}
	for name, m := range bad {
		if _, err := checkPrefix(m); err == "" {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestDetect(t *testing.T) {
	udp, _ := NewUDP(DefaultConfig())
	tcp, _ := NewTCP(DefaultConfig())
	if udp.Detect(true, asReqMsg()) != analyzer.Match || udp.Detect(false, krbErrorMsg()) != analyzer.Match {
		t.Error("UDP Kerberos not detected")
	}
	if udp.Detect(true, asReqMsg()[:20]) != analyzer.NoMatch {
		t.Error("truncated datagram detected")
	}
	rec := tcpRecord(asReqMsg())
	if tcp.Detect(true, rec) != analyzer.Match || tcp.Detect(true, rec[:10]) != analyzer.NeedMore {
		t.Error("TCP Kerberos not detected")
	}
	if tcp.Detect(true, []byte{0, 0, 0, 5, 0x6a}) != analyzer.NoMatch {
		t.Error("short record accepted")
	}
	antest.RefuseForeign(t, udp, analyzer.UDP|analyzer.TCP)
	antest.RefuseForeign(t, tcp, analyzer.UDP|analyzer.TCP)
}

func TestSessions(t *testing.T) {
	udp, _ := NewUDP(DefaultConfig())
	tcp, _ := NewTCP(DefaultConfig())
	cases := []struct {
		name   string
		a      *Analyzer
		pieces []antest.Piece
		want   antest.Expect
	}{
		{"udp-as-req", udp, []antest.Piece{antest.OB(asReqMsg()), antest.RB(krbErrorMsg())}, antest.Expect{Service: "krb", SkipOrig: true, SkipResp: true}},
		{"udp-garbage", udp, []antest.Piece{antest.OB([]byte("hello, not kerberos"))}, antest.Expect{Violation: true}},
		{"tcp-as-req", tcp, []antest.Piece{antest.OB(tcpRecord(asReqMsg())), antest.RB(tcpRecord(krbErrorMsg()))}, antest.Expect{Service: "krb_tcp", SkipOrig: true, SkipResp: true}},
		{"tcp-incomplete", tcp, []antest.Piece{antest.OB(tcpRecord(asReqMsg())[:30])}, antest.Expect{}},
		{"tcp-http", tcp, []antest.Piece{antest.O("GET / HTTP/1.1\r\n\r\n")}, antest.Expect{Violation: true}},
		{"tcp-bad-length", tcp, []antest.Piece{antest.OB(append(binary.BigEndian.AppendUint32(nil, uint32(len(asReqMsg())+3)), append(asReqMsg(), 0, 0, 0)...))}, antest.Expect{Violation: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			antest.Check(t, "whole", antest.Replay(c.a, c.pieces...), c.want)
			if c.a.tcp {
				antest.Check(t, "bytewise", antest.ReplayBytewise(c.a, c.pieces...), c.want)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	if _, err := NewTCP(Config{Ports: []uint16{0}}); err == nil {
		t.Error("port 0 accepted")
	}
	u, err := fromTOML(nil, false)
	if err != nil || u.Name() != "krb" || u.Transports() != analyzer.UDP || u.Ports()[0] != 88 {
		t.Fatalf("udp defaults: %v %v", u, err)
	}
	tc, err := fromTOML(nil, true)
	if err != nil || tc.Name() != "krb_tcp" || tc.Transports() != analyzer.TCP {
		t.Fatalf("tcp defaults: %v %v", tc, err)
	}
}

func TestNoAllocs(t *testing.T) {
	udp, _ := NewUDP(DefaultConfig())
	m := asReqMsg()
	if n := testing.AllocsPerRun(100, func() { udp.Detect(true, m) }); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzCheck(f *testing.F) {
	udp, _ := NewUDP(DefaultConfig())
	tcp, _ := NewTCP(DefaultConfig())
	f.Add(asReqMsg())
	f.Add(krbErrorMsg())
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := checkPrefix(b)
		h := antest.Replay(udp, antest.OB(b))
		if h.Confirmed != (err == "" && n == len(b)) {
			t.Fatalf("confirmed %v, check %d %q", h.Confirmed, n, err)
		}
		rec := tcpRecord(b)
		ht := antest.Replay(tcp, antest.OB(rec[:len(rec)/2]), antest.OB(rec[len(rec)/2:]))
		if ht.LateViolation {
			t.Fatal("violation after confirmation")
		}
		tcp.Detect(true, rec)
	})
}
