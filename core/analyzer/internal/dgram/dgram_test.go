package dgram

import (
	"strings"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/antest"
	"github.com/weirnet/weir/core/event"
)

// toy is a protocol whose messages start with "ok"; detection off the
// ports also wants them to end with "!".
var toy = Protocol{
	Name: "toy",
	Check: func(b []byte) string {
		if len(b) < 2 || b[0] != 'o' || b[1] != 'k' {
			return "not toy"
		}
		return ""
	},
}

func strict() Protocol {
	p := toy
	p.Detectable = func(b []byte) bool { return toy.Check(b) == "" && b[len(b)-1] == '!' }
	return p
}

func TestNew(t *testing.T) {
	ports := []uint16{7, 8}
	a, err := New(toy, ports)
	if err != nil {
		t.Fatal(err)
	}
	ports[0] = 9
	if a.Name() != "toy" || a.Transports() != analyzer.UDP || a.Ports()[0] != 7 || a.Init() != nil {
		t.Fatalf("got %q %v %v", a.Name(), a.Transports(), a.Ports())
	}
	if _, err := New(toy, []uint16{7, 0}); err == nil || err.Error() != "analyzer/toy: ports: 0 is not a port" {
		t.Fatalf("port 0: %v", err)
	}
}

func TestFromTOML(t *testing.T) {
	type cfg struct{ Ports []uint16 }
	build := func(c cfg) (*Analyzer, error) {
		a, err := New(toy, c.Ports)
		if err != nil {
			return nil, err
		}
		return &a, nil
	}
	newFn := FromTOML(func() cfg { return cfg{Ports: []uint16{7}} }, build)
	if a, err := newFn(nil); err != nil || a.Ports()[0] != 7 {
		t.Fatalf("defaults: %v %v", a, err)
	}
	a, err := newFn(func(v any) error { v.(*cfg).Ports = []uint16{0}; return nil })
	if err == nil || a != nil {
		t.Fatalf("port 0: %v %v (a typed nil must not leak as a non-nil Analyzer)", a, err)
	}
}

func TestDetect(t *testing.T) {
	loose, _ := New(toy, nil)
	tight, _ := New(strict(), nil)
	for _, c := range []struct {
		b            string
		loose, tight analyzer.Verdict
	}{
		{"ok!", analyzer.Match, analyzer.Match},
		{"ok", analyzer.Match, analyzer.NoMatch},
		{"no", analyzer.NoMatch, analyzer.NoMatch},
		{"", analyzer.NoMatch, analyzer.NoMatch},
	} {
		if v := loose.Detect(true, []byte(c.b)); v != c.loose {
			t.Errorf("loose Detect(%q) = %v", c.b, v)
		}
		if v := tight.Detect(false, []byte(c.b)); v != c.tight {
			t.Errorf("strict Detect(%q) = %v", c.b, v)
		}
	}
}

func TestSessions(t *testing.T) {
	a, _ := New(toy, nil)
	both := antest.Expect{Service: "toy", SkipOrig: true, SkipResp: true}
	for _, c := range []struct {
		name   string
		pieces []antest.Piece
		want   antest.Expect
	}{
		{"confirm", []antest.Piece{antest.OB([]byte("ok")), antest.RB([]byte("ok"))}, both},
		{"reply-first", []antest.Piece{antest.RB([]byte("ok"))}, both},
		{"first-decides-good", []antest.Piece{antest.OB([]byte("ok")), antest.RB([]byte("junk"))}, both},
		{"first-decides-bad", []antest.Piece{antest.OB([]byte("junk")), antest.RB([]byte("ok"))}, antest.Expect{Violation: true}},
	} {
		antest.Check(t, c.name, antest.Replay(&a, c.pieces...), c.want)
	}
	h := antest.Replay(&a, antest.OB([]byte("junk")))
	if !strings.Contains(strings.Join(h.Violations, ";"), "not toy") {
		t.Errorf("violations %q lack the check's reason", h.Violations)
	}
}

func TestNoAllocs(t *testing.T) {
	a, _ := New(strict(), nil)
	s := a.NewSession(analyzer.NewConn("C", event.ConnID{}, 0, "toy", nopSink{}))
	b := []byte("ok!")
	if n := testing.AllocsPerRun(100, func() { a.Detect(true, b); s.Datagram(0, true, b) }); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

// nopSink discards reports, so that only the session's own allocations count.
type nopSink struct{}

func (nopSink) Emit(event.Event)            {}
func (nopSink) Confirm(string)              {}
func (nopSink) Violation(string, string)    {}
func (nopSink) Weird(string, string, int64) {}
func (nopSink) Skip(string, bool)           {}
func (nopSink) Start(string) bool           { return false }
func (nopSink) Redetect()                   {}
