package radius

import (
	"encoding/binary"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/antest"
)

func packet(code byte, attrs ...[]byte) []byte {
	b := make([]byte, headerLen)
	b[0], b[1] = code, 7
	copy(b[4:], "0123456789abcdef")
	for _, a := range attrs {
		b = append(b, a...)
	}
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

func attr(typ byte, v string) []byte { return append([]byte{typ, byte(2 + len(v))}, v...) }

var (
	accessRequest = packet(1, attr(1, "bob"), attr(2, "0123456789abcdef"), attr(4, "\xc6\x12\x00\x01"))
	accessAccept  = packet(2, attr(18, "welcome"))
	accessReject  = packet(3)
)

func TestCheck(t *testing.T) {
	for name, b := range map[string][]byte{"request": accessRequest, "accept": accessAccept, "reject": accessReject,
		"padded": append(append([]byte(nil), accessAccept...), 0, 0, 0)} {
		if err := check(b); err != "" {
			t.Errorf("%s: %s", name, err)
		}
	}
	bad := map[string][]byte{
		"code-0":         packet(0, attr(1, "x")),
		"length-past":    func() []byte { b := append([]byte(nil), accessRequest...); b[3] += 4; return b }(),
		"attr-overrun":   func() []byte { b := packet(1, attr(1, "x")); b[21] = 9; return b }(),
		"attr-length-1":  func() []byte { b := packet(1, attr(1, "x")); b[21] = 1; return b }(),
		"short":          accessRequest[:12],
		"attr-type-zero": packet(1, attr(0, "x")),
	}
	for name, b := range bad {
		if check(b) == "" {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestDetect(t *testing.T) {
	a, _ := New(DefaultConfig())
	if a.Detect(true, accessRequest) != analyzer.Match || a.Detect(false, accessAccept) != analyzer.Match {
		t.Error("RADIUS not detected")
	}
	if a.Detect(false, accessReject) != analyzer.NoMatch {
		t.Error("attribute-less packet detected off port")
	}
	antest.RefuseForeign(t, a, analyzer.UDP|analyzer.TCP)
}

func TestSessions(t *testing.T) {
	a, _ := New(DefaultConfig())
	for _, c := range []struct {
		name   string
		pieces []antest.Piece
		want   antest.Expect
	}{
		{"request-accept", []antest.Piece{antest.OB(accessRequest), antest.RB(accessAccept)}, antest.Expect{Service: "radius", SkipOrig: true, SkipResp: true}},
		{"garbage", []antest.Piece{antest.O("hello radius server, are you there?")}, antest.Expect{Violation: true}},
	} {
		antest.Check(t, c.name, antest.Replay(a, c.pieces...), c.want)
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{Ports: []uint16{0}}); err == nil {
		t.Error("port 0 accepted")
	}
	a, err := newFromTOML(nil)
	if err != nil || a.Name() != "radius" || a.Ports()[0] != 1812 {
		t.Fatalf("defaults: %v %v", a, err)
	}
}

func TestNoAllocs(t *testing.T) {
	a, _ := New(DefaultConfig())
	if n := testing.AllocsPerRun(100, func() { a.Detect(true, accessRequest) }); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzCheck(f *testing.F) {
	a, _ := New(DefaultConfig())
	f.Add(accessRequest)
	f.Add(accessAccept)
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
