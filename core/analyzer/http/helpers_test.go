package http

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/event"
)

// recSink records what a session reports.
type recSink struct {
	events     []event.Event
	weirds     []string // "name" or "name addl"
	confirms   int
	violations []string
	skips      []bool
	redetects  int
	onViol     func()
}

func (r *recSink) Start(string) bool { return false }
func (r *recSink) Redetect()         { r.redetects++ }

func (r *recSink) Emit(ev event.Event)        { r.events = append(r.events, ev) }
func (r *recSink) Confirm(string)             { r.confirms++ }
func (r *recSink) Skip(_ string, isOrig bool) { r.skips = append(r.skips, isOrig) }
func (r *recSink) Violation(_, reason string) {
	r.violations = append(r.violations, reason)
	if r.onViol != nil {
		r.onViol()
	}
}
func (r *recSink) Weird(name, addl string, _ int64) {
	if addl != "" {
		name += " " + addl
	}
	r.weirds = append(r.weirds, name)
}

func (r *recSink) hasWeird(name string) bool {
	for _, w := range r.weirds {
		if w == name || strings.HasPrefix(w, name+" ") {
			return true
		}
	}
	return false
}

var testID = event.ConnID{
	OrigH: netip.MustParseAddr("198.18.0.1"), OrigP: 40000,
	RespH: netip.MustParseAddr("198.18.0.2"), RespP: 80, Proto: event.TransportTCP,
}

func newTestSession(t testing.TB, mod func(*Config)) (*Session, *recSink) {
	t.Helper()
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sink := &recSink{}
	c := analyzer.NewConn("CtestUID", testID, 1, Name, sink)
	s := a.NewSession(c).(*Session)
	// Like the tracker: a violation ends the session.
	sink.onViol = func() { s.End(s.ts) }
	return s, sink
}

// logLine renders a record like a Zeek http.log line from trans_depth on,
// without the file id columns: "-" unset, "(empty)" empty.
func logLine(h *event.HTTP) string {
	str := func(f event.HTTPField, v string) string {
		if !h.Has(f) {
			return "-"
		}
		if v == "" {
			return "(empty)"
		}
		return v
	}
	cnt := func(f event.HTTPField, v uint64) string {
		if !h.Has(f) {
			return "-"
		}
		return fmt.Sprint(v)
	}
	vec := func(v []string) string {
		if v == nil {
			return "-"
		}
		if len(v) == 0 {
			return "(empty)"
		}
		return strings.Join(v, ",")
	}
	f := []string{
		fmt.Sprint(h.TransDepth),
		str(event.HTTPMethod, h.Method), str(event.HTTPHost, h.Host), str(event.HTTPURI, h.URI),
		str(event.HTTPReferrer, h.Referrer), str(event.HTTPVersion, h.Version),
		str(event.HTTPUserAgent, h.UserAgent), str(event.HTTPOrigin, h.Origin),
		fmt.Sprint(h.RequestBodyLen), fmt.Sprint(h.ResponseBodyLen),
		cnt(event.HTTPStatusCode, h.StatusCode), str(event.HTTPStatusMsg, h.StatusMsg),
		cnt(event.HTTPInfoCode, h.InfoCode), str(event.HTTPInfoMsg, h.InfoMsg),
		vec(h.Tags), str(event.HTTPUsername, h.Username), str(event.HTTPPassword, h.Password),
		vec(h.Proxied), vec(h.OrigFilenames), vec(h.OrigMIMETypes), vec(h.RespFilenames), vec(h.RespMIMETypes),
	}
	return strings.Join(f, " ")
}

func (r *recSink) lines() []string {
	var out []string
	for _, ev := range r.events {
		if ev.Kind == event.KindHTTPTransaction {
			out = append(out, logLine(ev.HTTP))
		}
	}
	return out
}

// step is one thing that happens to a session.
type step struct {
	orig bool
	data string
	eof  bool   // EndOfStream of the direction instead of data
	gap  uint64 // Gap of the direction instead of data
	rst  bool   // Reset
}

func o(s string) step          { return step{orig: true, data: s} }
func r(s string) step          { return step{data: s} }
func oEOF() step               { return step{orig: true, eof: true} }
func rEOF() step               { return step{eof: true} }
func oGap(n uint64) step       { return step{orig: true, gap: n} }
func rGap(n uint64) step       { return step{gap: n} }
func rst() step                { return step{rst: true} }
func (st step) String() string { return fmt.Sprintf("%+v", struct{ step }{st}) }

// run plays steps, then ends the session.
func run(s *Session, steps []step) {
	ts := int64(1)
	for _, st := range steps {
		ts++
		switch {
		case st.rst:
			s.Reset(ts)
		case st.eof:
			s.EndOfStream(ts, st.orig)
		case st.gap > 0:
			s.Gap(ts, st.orig, st.gap)
		default:
			s.Stream(ts, st.orig, []byte(st.data))
		}
	}
	s.End(ts + 1)
}

// bytewise splits every data step into one-byte steps.
func bytewise(steps []step) []step {
	var out []step
	for _, st := range steps {
		if st.data == "" || st.eof || st.gap > 0 || st.rst {
			out = append(out, st)
			continue
		}
		for i := 0; i < len(st.data); i++ {
			out = append(out, step{orig: st.orig, data: st.data[i : i+1]})
		}
	}
	return out
}
