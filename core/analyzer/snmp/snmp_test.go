package snmp

import (
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/antest"
)

func tlv(tag byte, parts ...[]byte) []byte {
	var c []byte
	for _, p := range parts {
		c = append(c, p...)
	}
	if len(c) < 0x80 {
		return append([]byte{tag, byte(len(c))}, c...)
	}
	return append([]byte{tag, 0x81, byte(len(c))}, c...)
}

func integer(v byte) []byte { return tlv(0x02, []byte{v}) }

var sysDescr = tlv(0x30, tlv(0x30, tlv(0x06, []byte{0x2b, 6, 1, 2, 1, 1, 1, 0}), []byte{0x05, 0x00}))

func get(version, pdu byte) []byte {
	return tlv(0x30, integer(version), tlv(0x04, []byte("public")),
		tlv(pdu, tlv(0x02, []byte{0x12, 0x34}), integer(0), integer(0), sysDescr))
}

var (
	getV1      = get(0, 0xa0)
	responseV2 = get(1, 0xa2)
	trapV1     = tlv(0x30, integer(0), tlv(0x04, []byte("public")), tlv(0xa4,
		tlv(0x06, []byte{0x2b, 6, 1, 4, 1, 0x81, 0x2a}), tlv(0x40, []byte{198, 18, 0, 2}),
		integer(6), integer(1), tlv(0x43, []byte{0x01, 0x00}), tlv(0x30)))
	v3 = tlv(0x30, integer(3),
		tlv(0x30, integer(7), tlv(0x02, []byte{0x05, 0xdc}), tlv(0x04, []byte{0x04}), integer(3)),
		tlv(0x04, tlv(0x30, tlv(0x04), integer(0), integer(0), tlv(0x04), tlv(0x04), tlv(0x04))),
		tlv(0x30, tlv(0x04), tlv(0x04), tlv(0xa0, integer(1), integer(0), integer(0), tlv(0x30))))
)

func TestCheck(t *testing.T) {
	for name, m := range map[string][]byte{"get-v1": getV1, "response-v2c": responseV2, "trap-v1": trapV1, "v3-discovery": v3, "getbulk": get(1, 0xa5)} {
		if err := check(m); err != "" {
			t.Errorf("%s: %s", name, err)
		}
	}
	bad := map[string][]byte{
		"version-2":         get(2, 0xa0),
		"bad-pdu-tag":       get(1, 0xa9),
		"trailing-byte":     append(append([]byte(nil), getV1...), 0),
		"truncated":         getV1[:len(getV1)-1],
		"trap-in-v2c":       func() []byte { b := append([]byte(nil), trapV1...); b[4] = 1; return b }(),
		"error-status-99":   tlv(0x30, integer(1), tlv(0x04, []byte("x")), tlv(0xa2, integer(1), integer(99), integer(0), tlv(0x30))),
		"v3-small-max-size": tlv(0x30, integer(3), tlv(0x30, integer(7), integer(100), tlv(0x04, []byte{4}), integer(3)), tlv(0x04), tlv(0x30)),
	}
	for name, m := range bad {
		if check(m) == "" {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestDetect(t *testing.T) {
	a, _ := New(DefaultConfig())
	if a.Detect(true, getV1) != analyzer.Match || a.Detect(false, responseV2) != analyzer.Match {
		t.Error("SNMP not detected")
	}
	antest.RefuseForeign(t, a, analyzer.UDP|analyzer.TCP, "snmp-get")
}

func TestSessions(t *testing.T) {
	a, _ := New(DefaultConfig())
	for _, c := range []struct {
		name   string
		pieces []antest.Piece
		want   antest.Expect
	}{
		{"get-response", []antest.Piece{antest.OB(getV1), antest.RB(responseV2)}, antest.Expect{Service: "snmp", SkipOrig: true, SkipResp: true}},
		{"trap", []antest.Piece{antest.OB(trapV1)}, antest.Expect{Service: "snmp", SkipOrig: true, SkipResp: true}},
		{"garbage", []antest.Piece{antest.O("hello")}, antest.Expect{Violation: true}},
	} {
		antest.Check(t, c.name, antest.Replay(a, c.pieces...), c.want)
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{Ports: []uint16{0}}); err == nil {
		t.Error("port 0 accepted")
	}
	a, err := newFromTOML(nil)
	if err != nil || a.Name() != "snmp" || a.Transports() != analyzer.UDP || len(a.Ports()) != 2 {
		t.Fatalf("defaults: %v %v", a, err)
	}
}

func TestNoAllocs(t *testing.T) {
	a, _ := New(DefaultConfig())
	if n := testing.AllocsPerRun(100, func() { a.Detect(true, v3) }); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzCheck(f *testing.F) {
	a, _ := New(DefaultConfig())
	f.Add(getV1)
	f.Add(trapV1)
	f.Add(v3)
	f.Fuzz(func(t *testing.T, b []byte) {
		ok := check(b) == ""
		if h := antest.Replay(a, antest.OB(b)); h.Confirmed != ok {
			t.Fatalf("confirmed %v, check %q", h.Confirmed, check(b))
		}
	})
}
