package antest

import (
	"slices"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
)

// RefuseForeign checks that a's Detect answers NoMatch to every sample of
// the transport (in both directions), except the named ones (the
// analyzer's own protocol, or one it shares a first message with).
func RefuseForeign(t testing.TB, a analyzer.Analyzer, tr analyzer.Transport, except ...string) {
	t.Helper()
	var samples []Sample
	if tr&analyzer.TCP != 0 {
		samples = append(samples, TCPSamples()...)
	}
	if tr&analyzer.UDP != 0 {
		samples = append(samples, UDPSamples()...)
	}
	for _, s := range samples {
		if slices.Contains(except, s.Name) {
			continue
		}
		for _, isOrig := range []bool{s.IsOrig, !s.IsOrig} {
			if v := a.Detect(isOrig, s.Data); v != analyzer.NoMatch {
				t.Errorf("%s: Detect(isOrig=%v, %s) = %v, want NoMatch", a.Name(), isOrig, s.Name, v)
			}
		}
	}
}

// Replay runs a conversation through a fresh session, each piece as one
// delivery (Stream for TCP analyzers, Datagram otherwise), and ends it.
func Replay(a analyzer.Analyzer, pieces ...Piece) *Harness {
	h := New(a)
	for _, p := range pieces {
		if a.Transports()&analyzer.TCP != 0 {
			h.Stream(p.IsOrig, p.Data)
		} else {
			h.Datagram(p.IsOrig, p.Data)
		}
	}
	h.End()
	return h
}

// ReplayBytewise is Replay for TCP with every byte its own delivery, to
// show that the result does not depend on segmentation.
func ReplayBytewise(a analyzer.Analyzer, pieces ...Piece) *Harness {
	h := New(a)
	for _, p := range pieces {
		for i := range p.Data {
			h.Stream(p.IsOrig, p.Data[i:i+1])
		}
	}
	h.End()
	return h
}

// Expect is what a replay should end with.
type Expect struct {
	Service    string // conn.log service, e.g. "pop3" or "imap,ssl"
	Violation  bool   // a violation was reported
	SkipOrig   bool   // the session skipped the originator's bytes
	SkipResp   bool   // ... and the responder's
	Weird      string // a weird that must have been reported ("" = none checked)
	NoWeirds   bool   // no weird at all
	StartedSSL bool   // the session handed off to "ssl"
}

// Check compares h with e.
func Check(t testing.TB, name string, h *Harness, e Expect) {
	t.Helper()
	bad := h.Service() != e.Service ||
		(len(h.Violations) > 0) != e.Violation ||
		h.Skipped(true) != e.SkipOrig || h.Skipped(false) != e.SkipResp ||
		(e.Weird != "" && !h.HasWeird(e.Weird)) ||
		(e.NoWeirds && len(h.Weirds) > 0) ||
		slices.Contains(h.Started, "ssl") != e.StartedSSL
	if bad {
		t.Errorf("%s: got %v\nwant %+v", name, h, e)
	}
}
