// Package http is weir's HTTP analyzer: it reads HTTP/0.9, 1.0 and 1.1
// from reassembled TCP streams and publishes one event.HTTP per
// request/response pair, the record of Zeek's http.log.
//
// The semantics are Zeek's (src/analyzer/protocol/http/HTTP.cc and
// scripts/base/protocols/http/main.zeek), reproduced quirk for quirk where
// they show in the log: how requests and replies are paired under
// pipelining and 1xx interim replies, what a reply without a request or a
// request without a reply logs, HTTP/0.9 requests and replies, how bodies
// are delimited (Content-Length, chunked, multipart, until the connection
// closes, line by line) and counted (after removing chunked framing and
// gzip/deflate encoding), MIME types sniffed from the first bytes of each
// body or multipart part. The package README lists where weir differs.
//
// Cost: a session copies nothing of a body except its first bytes (for
// MIME sniffing, from a pool, returned once sniffed) and lines that span
// segments; it allocates per transaction (the record and its strings), not
// per packet. Memory per connection is bounded by the configuration:
// MaxLineLength per direction, MaxPendingRequests records, MIMESniffBytes
// per body in progress.
package http

import (
	"sync"

	"github.com/weirnet/weir/core/analyzer"
)

// Name is the service name the analyzer confirms ("http" in conn.log).
const Name = "http"

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: newFromTOML})
}

func newFromTOML(decode func(v any) error) (analyzer.Analyzer, error) {
	cfg := DefaultConfig()
	if decode != nil {
		if err := decode(&cfg); err != nil {
			return nil, err
		}
	}
	return New(cfg)
}

// Analyzer is the configured HTTP analyzer. It is shared by all engine
// workers: Detect and NewSession are safe for concurrent use.
type Analyzer struct {
	cfg   Config
	sniff sync.Pool // *sniffBuf
	infl  sync.Pool // *inflater
}

// New returns an analyzer with cfg, which must be valid.
func New(cfg Config) (*Analyzer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Analyzer{cfg: cfg}, nil
}

// Init validates the configuration again (analyzer.Initializer).
func (a *Analyzer) Init() error { return a.cfg.Validate() }

func (a *Analyzer) Name() string                   { return Name }
func (a *Analyzer) Transports() analyzer.Transport { return analyzer.TCP }
func (a *Analyzer) Ports() []uint16                { return a.cfg.Ports }

// NewSession starts analyzing connection c.
func (a *Analyzer) NewSession(c *analyzer.Conn) analyzer.Session {
	s := &Session{an: a, conn: c}
	s.lines[0].reset(a.cfg.MaxLineLength)
	s.lines[1].reset(a.cfg.MaxLineLength)
	s.req.s, s.req.isOrig = s, true
	s.rep.s = s
	return s
}

// sniffBuf is a pooled buffer for the first bytes of a body.
type sniffBuf struct{ b []byte }

func (a *Analyzer) getSniff() *sniffBuf {
	if v, ok := a.sniff.Get().(*sniffBuf); ok {
		v.b = v.b[:0]
		return v
	}
	return &sniffBuf{b: make([]byte, 0, a.cfg.MIMESniffBytes)}
}

func (a *Analyzer) putSniff(b *sniffBuf) {
	if b != nil {
		a.sniff.Put(b)
	}
}

func (a *Analyzer) getInflater() *inflater {
	if v, ok := a.infl.Get().(*inflater); ok {
		return v
	}
	return new(inflater)
}

func (a *Analyzer) putInflater(z *inflater) {
	z.prefix = nil
	a.infl.Put(z)
}

// Detect recognises HTTP from the first bytes of a direction: from the
// originator a request line (a known method, a URI and an HTTP/ version,
// or a GET of a path, HTTP/0.9 style), from the responder a status line.
// data may be kept only during the call.
func (a *Analyzer) Detect(isOrig bool, data []byte) analyzer.Verdict {
	if isOrig {
		return detectRequest(data)
	}
	return detectReply(data)
}

var detectMethods = append([]string{"PATCH"}, httpMethods...)

func detectRequest(b []byte) analyzer.Verdict {
	n := 0
	for n < len(b) && b[n] >= 'A' && b[n] <= 'Z' {
		n++
	}
	if n == len(b) {
		// Still inside the method: a prefix of a known one?
		for _, m := range detectMethods {
			if len(m) >= n && m[:n] == string(b) {
				return analyzer.NeedMore
			}
		}
		return analyzer.NoMatch
	}
	method := string(b[:n])
	known := false
	for _, m := range detectMethods {
		if m == method {
			known = true
			break
		}
	}
	if !known || b[n] != ' ' {
		return analyzer.NoMatch
	}
	rest := b[n+1:]
	for len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	// The URI: printable, no white space.
	u := 0
	for u < len(rest) && rest[u] > ' ' && rest[u] < 0x7f {
		u++
	}
	if u == len(rest) {
		if len(b) >= analyzer.DetectBytes {
			return analyzer.NoMatch
		}
		return analyzer.NeedMore
	}
	if u == 0 {
		return analyzer.NoMatch
	}
	tail := rest[u:]
	switch tail[0] {
	case '\r', '\n':
		// No version: HTTP/0.9 takes only "GET /path".
		if method == "GET" && rest[0] == '/' {
			return analyzer.Match
		}
		return analyzer.NoMatch
	case ' ':
		return versionVerdict(tail[1:])
	}
	return analyzer.NoMatch
}

func detectReply(b []byte) analyzer.Verdict {
	// HTTP/d.d ddd
	const pattern = "HTTP/0.0 000"
	for i := 0; i < len(pattern); i++ {
		if i == len(b) {
			return analyzer.NeedMore
		}
		if !fitsPattern(b[i], pattern[i], false) {
			return analyzer.NoMatch
		}
	}
	return analyzer.Match
}

// versionVerdict checks "HTTP/d.d" (the name case-insensitively) at the
// start of v, which may be cut short.
func versionVerdict(v []byte) analyzer.Verdict {
	const pattern = "HTTP/0.0"
	for i := 0; i < len(pattern); i++ {
		if i == len(v) {
			return analyzer.NeedMore
		}
		if !fitsPattern(v[i], pattern[i], true) {
			return analyzer.NoMatch
		}
	}
	return analyzer.Match
}

// fitsPattern: '0' in the pattern stands for any digit.
func fitsPattern(c, p byte, fold bool) bool {
	switch {
	case p == '0':
		return isDigit(c)
	case fold && c >= 'a' && c <= 'z':
		return c-'a'+'A' == p
	}
	return c == p
}

// Interface guards.
var (
	_ analyzer.Analyzer    = (*Analyzer)(nil)
	_ analyzer.Initializer = (*Analyzer)(nil)
)

// RequiresHandshake keeps the analyzer off connections picked up
// midstream, as Zeek does: without the start of the streams, requests and
// replies cannot be told apart reliably.
func (a *Analyzer) RequiresHandshake() bool { return true }

var _ analyzer.HandshakeRequirer = (*Analyzer)(nil)
