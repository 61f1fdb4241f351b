package xmpp

import (
	"strings"
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
	O = antest.O
	R = antest.R
)

const (
	clientHeader = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client' to='example.net' version='1.0'>"
	serverHeader = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='c2s_123' from='example.net' version='1.0' xml:lang='en'>"
	featuresTLS  = "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>"
	featuresSASL = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>"
)

func TestDetect(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		isOrig bool
		data   string
		want   analyzer.Verdict
	}{
		{true, clientHeader, analyzer.Match},
		{false, serverHeader, analyzer.Match},
		{true, "<?xml version=\"1.0\"?>\n<stream:stream to=\"example.net\" xmlns=\"jabber:server\">", analyzer.Match},
		{true, "<?xml version='1.0'?>", analyzer.NeedMore},
		{true, "<stream:stre", analyzer.NeedMore},
		{true, "<stream:stream to='x'", analyzer.NeedMore},
		{true, "<stream:stream xmlns='urn:other'>", analyzer.NoMatch},
		{true, "<html><body>", analyzer.NoMatch},
		{true, "<htm", analyzer.NoMatch},
		{true, "hello <stream:stream xmlns='jabber:client'>", analyzer.NoMatch},
	}
	for _, c := range cases {
		if got := a.Detect(c.isOrig, []byte(c.data)); got != c.want {
			t.Errorf("Detect(%v, %q) = %v, want %v", c.isOrig, c.data, got, c.want)
		}
	}
	antest.RefuseForeign(t, a, analyzer.TCP, "xmpp-stream")
	partial := []byte(clientHeader[:40])
	if n := testing.AllocsPerRun(100, func() { a.Detect(true, partial) }); n != 0 {
		t.Errorf("Detect allocates %v", n)
	}
}

func TestSessions(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		name   string
		pieces []antest.Piece
		want   antest.Expect
	}{
		{
			name: "starttls",
			pieces: []antest.Piece{
				O(clientHeader), R(serverHeader), R(featuresTLS),
				O("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
				R("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
				O("\x16\x03\x01\x00\x05hello"),
			},
			want: antest.Expect{Service: "xmpp,ssl", SkipOrig: true, SkipResp: true, StartedSSL: true, NoWeirds: true},
		},
		{
			name: "starttls-failure",
			pieces: []antest.Piece{
				O(clientHeader), R(serverHeader + featuresTLS),
				O("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
				R("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"),
			},
			want: antest.Expect{Service: "xmpp", Weird: "xmpp_starttls_failure"},
		},
		{
			name: "no-tls-offered-skips",
			pieces: []antest.Piece{
				O(clientHeader), R(serverHeader), R(featuresSASL),
				O("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGJvYgBzZWNyZXQ=</auth>"),
			},
			want: antest.Expect{Service: "xmpp", SkipOrig: true, SkipResp: true, NoWeirds: true},
		},
		{
			name: "proceed-without-starttls",
			pieces: []antest.Piece{
				O(clientHeader), R(serverHeader + featuresTLS), R("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
			},
			want: antest.Expect{Service: "xmpp"},
		},
		{
			name:   "client-only",
			pieces: []antest.Piece{O(clientHeader)},
			want:   antest.Expect{},
		},
		{
			name:   "http-on-5222",
			pieces: []antest.Piece{O("GET / HTTP/1.1\r\n\r\n")},
			want:   antest.Expect{Violation: true},
		},
		{
			name:   "other-xml",
			pieces: []antest.Piece{O("<?xml version='1.0'?><soap:Envelope>"), R(serverHeader)},
			want:   antest.Expect{Violation: true},
		},
		{
			name:   "stream-without-jabber",
			pieces: []antest.Piece{O("<stream:stream xmlns='urn:x'>"), R(serverHeader)},
			want:   antest.Expect{Violation: true},
		},
		{
			name:   "huge-tag",
			pieces: []antest.Piece{O("<stream:stream " + strings.Repeat("a='b' ", 2000) + ">")},
			want:   antest.Expect{Violation: true},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			antest.Check(t, "whole", antest.Replay(a, c.pieces...), c.want)
			antest.Check(t, "bytewise", antest.ReplayBytewise(a, c.pieces...), c.want)
		})
	}
}

func TestTagBounded(t *testing.T) {
	h := antest.New(newAnalyzer(t))
	h.S(true, "<stream:stream ")
	for range 100 {
		h.S(true, strings.Repeat("x", 1000))
	}
	s := h.Session.(*session)
	if len(s.tags[0].buf) > 4096 || cap(s.tags[0].buf) > 8192 {
		t.Fatalf("tag buffer %d/%d", len(s.tags[0].buf), cap(s.tags[0].buf))
	}
}

func TestConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxTagLength = 10
	if _, err := New(cfg); err == nil || !strings.HasPrefix(err.Error(), "analyzer/xmpp: ") {
		t.Errorf("New accepted %+v (err %v)", cfg, err)
	}
	a, err := newFromTOML(nil)
	if err != nil || a.Name() != "xmpp" || len(a.Ports()) != 2 || a.Ports()[0] != 5222 {
		t.Fatalf("defaults: %v %v", a, err)
	}
}

func TestNoAllocs(t *testing.T) {
	h := antest.New(newAnalyzer(t))
	h.S(true, clientHeader)
	h.S(false, serverHeader)
	msg := []byte("<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>")
	n := testing.AllocsPerRun(100, func() {
		h.Stream(true, msg)
		h.Stream(false, msg)
	})
	if n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzSession(f *testing.F) {
	a := newAnalyzer(f)
	f.Add(antest.Conversation(O(clientHeader), R(serverHeader+featuresTLS), O("<starttls/>"), R("<proceed/>")))
	f.Add(antest.Conversation(O(clientHeader), R(serverHeader+featuresSASL), O("<auth>x</auth>")))
	f.Add(antest.Conversation(O("<?xml?><!-- c --><a>")))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := antest.FuzzStream(a, data)
		if h.LateViolation {
			t.Fatalf("violation after confirmation: %v", h)
		}
		a.Detect(true, data)
	})
}
