package syslog

import (
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/antest"
)

const (
	bsd     = "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"
	rfc5424 = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\"] An application event"
)

func TestCheck(t *testing.T) {
	for _, ok := range []string{bsd, rfc5424, "<0>x", "<191>", "plain text without a priority\n\x00", "päivää"} {
		if err := check([]byte(ok)); err != "" {
			t.Errorf("%q: %s", ok, err)
		}
	}
	for _, bad := range []string{"", "\x16\x03\x01\x00\x05", "text\x01with control", "\xff\xfe", "\x00\x00"} {
		if check([]byte(bad)) == "" {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPriority(t *testing.T) {
	for s, ok := range map[string]bool{"<0>": true, "<13>x": true, "<191>": true, "<192>": false, "<01>": false, "<>": false, "<1234>": false, "<12": false} {
		if _, got := priority([]byte(s)); got != ok {
			t.Errorf("priority(%q) = %v", s, got)
		}
	}
}

func TestDetect(t *testing.T) {
	a, _ := New(DefaultConfig())
	for _, s := range []string{bsd, rfc5424, "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!"} {
		if a.Detect(true, []byte(s)) != analyzer.Match {
			t.Errorf("%q not detected", s)
		}
	}
	for _, s := range []string{"<13>hello", "Oct 11 22:14:15 no priority", "<13>Foo 11 22:14:15 x"} {
		if a.Detect(true, []byte(s)) != analyzer.NoMatch {
			t.Errorf("%q detected", s)
		}
	}
	antest.RefuseForeign(t, a, analyzer.UDP|analyzer.TCP, "syslog")
}

func TestSessions(t *testing.T) {
	a, _ := New(DefaultConfig())
	for _, c := range []struct {
		name   string
		pieces []antest.Piece
		want   antest.Expect
	}{
		{"bsd", []antest.Piece{antest.O(bsd)}, antest.Expect{Service: "syslog", SkipOrig: true, SkipResp: true}},
		{"no-priority", []antest.Piece{antest.O("kernel: eth0 link up")}, antest.Expect{Service: "syslog", SkipOrig: true, SkipResp: true}},
		{"binary", []antest.Piece{antest.OB(antest.Hex("12 34 01 00 00 01 00 00 00 00 00 00"))}, antest.Expect{Violation: true}},
	} {
		antest.Check(t, c.name, antest.Replay(a, c.pieces...), c.want)
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{Ports: []uint16{0}}); err == nil {
		t.Error("port 0 accepted")
	}
	a, err := newFromTOML(nil)
	if err != nil || a.Name() != "syslog" || a.Ports()[0] != 514 {
		t.Fatalf("defaults: %v %v", a, err)
	}
}

func TestNoAllocs(t *testing.T) {
	a, _ := New(DefaultConfig())
	b := []byte(bsd)
	if n := testing.AllocsPerRun(100, func() { a.Detect(true, b); check(b[4:]) }); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzCheck(f *testing.F) {
	a, _ := New(DefaultConfig())
	f.Add([]byte(bsd))
	f.Add([]byte(rfc5424))
	f.Add([]byte("plain\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ok := check(b) == ""
		if detectable(b) && !ok {
			t.Fatal("detectable but not valid")
		}
		if h := antest.Replay(a, antest.OB(b)); h.Confirmed != ok {
			t.Fatalf("confirmed %v, check %q", h.Confirmed, check(b))
		}
	})
}
