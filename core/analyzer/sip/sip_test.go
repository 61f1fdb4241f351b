package sip

import (
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/antest"
)

const (
	invite = "INVITE sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/UDP pc33.example.org;branch=z9hG4bK776asdhds\r\n" +
		"Max-Forwards: 70\r\nTo: Bob <sip:bob@example.net>\r\nFrom: Alice <sip:alice@example.org>;tag=1928301774\r\n" +
		"Call-ID: a84b4c76e66710@pc33.example.org\r\nCSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n"
	ringing = "SIP/2.0 180 Ringing\r\nv: SIP/2.0/UDP pc33.example.org;branch=z9hG4bK776asdhds\r\ni: a84b4c76e66710\r\n\r\n"
)

func TestCheck(t *testing.T) {
	for _, ok := range []string{invite, ringing, "OPTIONS sips:x SIP/2.0\nVia: a\n Folded: b\nCall-ID: c\n\n"} {
		if err := check([]byte(ok)); err != "" {
			t.Errorf("%q: %s", ok[:20], err)
		}
	}
	for _, bad := range []string{
		"INVITE http://x SIP/2.0\r\nVia: a\r\nCall-ID: b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"SIP/2.0 1800 x\r\n",
		"INVITE sip:x SIP/2.0\r\nVia: a\r\n\r\nCall-ID: b\r\n",
		"INVITE sip:x SIP/2.0\r\nno colon\r\n",
		"INVITE sip:x SIP/2.0",
	} {
		if check([]byte(bad)) == "" {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDetect(t *testing.T) {
	a, _ := New(DefaultConfig())
	if a.Detect(true, []byte(invite)) != analyzer.Match || a.Detect(false, []byte(ringing)) != analyzer.Match {
		t.Error("SIP not detected")
	}
	antest.RefuseForeign(t, a, analyzer.UDP|analyzer.TCP, "sip-invite")
}

func TestSessions(t *testing.T) {
	a, _ := New(DefaultConfig())
	for _, c := range []struct {
		name   string
		pieces []antest.Piece
		want   antest.Expect
	}{
		{"invite", []antest.Piece{antest.O(invite), antest.R(ringing)}, antest.Expect{Service: "sip", SkipOrig: true, SkipResp: true}},
		{"garbage", []antest.Piece{antest.O("\x00\x01 binary")}, antest.Expect{Violation: true}},
	} {
		antest.Check(t, c.name, antest.Replay(a, c.pieces...), c.want)
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{Ports: []uint16{0}}); err == nil {
		t.Error("port 0 accepted")
	}
	a, err := newFromTOML(nil)
	if err != nil || a.Name() != "sip" || a.Transports() != analyzer.UDP || a.Ports()[0] != 5060 {
		t.Fatalf("defaults: %v %v", a, err)
	}
}

func TestNoAllocs(t *testing.T) {
	a, _ := New(DefaultConfig())
	b := []byte(invite)
	if n := testing.AllocsPerRun(100, func() { a.Detect(true, b) }); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzCheck(f *testing.F) {
	a, _ := New(DefaultConfig())
	f.Add([]byte(invite))
	f.Add([]byte(ringing))
	f.Fuzz(func(t *testing.T, b []byte) {
		ok := check(b) == ""
		if h := antest.Replay(a, antest.OB(b)); h.Confirmed != ok {
			t.Fatalf("confirmed %v, check %q", h.Confirmed, check(b))
		}
	})
}
