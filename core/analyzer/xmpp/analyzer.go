// Package xmpp identifies XMPP (RFC 6120) for conn.log's service and hands
// the connection to the TLS analyzer after STARTTLS.
//
// Detection follows Zeek's dpd_xmpp signature: a direction opens with an
// optional XML declaration and a <stream:stream ...> header that declares
// a jabber: namespace (xmlns='jabber:client', jabber:server, ...).
// Confirmation, a valid exchange: both sides opened such a stream. Before
// confirmation, a direction that does not open with the declaration or a
// stream header, a header without a jabber: namespace, or 64 tags without
// both headers is a violation.
//
// STARTTLS: when the server answers the client's <starttls/> with
// <proceed/>, the session confirms, starts "ssl" on the bytes that follow
// and skips both directions, so conn.log shows "xmpp,ssl"; <failure/> is
// weird xmpp_starttls_failure. Once the server's <stream:features> closed
// without offering <starttls>, or the client starts SASL (<auth>),
// STARTTLS can no longer come and the session skips both directions.
//
// The session reads tags, not XML: it needs only element names in a
// handful of places. Stream never keeps the bytes it is given; each
// direction holds at most one partial tag (max_tag_length).
package xmpp

import (
	"bytes"
	"fmt"

	"github.com/weirnet/weir/core/analyzer"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "xmpp"

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: newFromTOML})
}

func newFromTOML(decode func(v any) error) (analyzer.Analyzer, error) {
	cfg := DefaultConfig()
	if decode != nil {
		if err := decode(&cfg); err != nil {
			return nil, fmt.Errorf("analyzer/xmpp: %w", err)
		}
	}
	return New(cfg)
}

// Analyzer is the configured XMPP analyzer. It is shared by all workers:
// Detect and NewSession are safe for concurrent use.
type Analyzer struct {
	cfg Config
}

// New returns an analyzer with cfg (start from DefaultConfig), or an error
// naming what is wrong with it.
func New(cfg Config) (*Analyzer, error) {
	cfg.Ports = append([]uint16(nil), cfg.Ports...)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Analyzer{cfg: cfg}, nil
}

// Init implements analyzer.Initializer.
func (a *Analyzer) Init() error { return a.cfg.validate() }

// Name implements analyzer.Analyzer.
func (a *Analyzer) Name() string { return Name }

// Transports implements analyzer.Analyzer.
func (a *Analyzer) Transports() analyzer.Transport { return analyzer.TCP }

// Ports implements analyzer.Analyzer; the slice must not be modified.
func (a *Analyzer) Ports() []uint16 { return a.cfg.Ports }

// Detect implements analyzer.Analyzer, in either direction.
func (a *Analyzer) Detect(isOrig bool, data []byte) analyzer.Verdict {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	for tags := 0; tags < 2; tags++ {
		data = bytes.TrimLeft(data, " \t\r\n")
		if len(data) == 0 {
			return analyzer.NeedMore
		}
		if data[0] != '<' {
			return analyzer.NoMatch
		}
		j := bytes.IndexByte(data, '>')
		if j < 0 {
			// Refuse early what cannot become a declaration or header.
			if p := data[1:]; !bytes.HasPrefix(p, []byte("?xml")[:min(4, len(p))]) &&
				!bytes.HasPrefix(p, []byte("stream:stream")[:min(13, len(p))]) {
				return analyzer.NoMatch
			}
			return analyzer.NeedMore
		}
		tag := data[1:j]
		data = data[j+1:]
		switch {
		case tags == 0 && isDecl(tag):
			continue
		case isStreamHeader(tag) && jabberNS(tag):
			return analyzer.Match
		}
		return analyzer.NoMatch
	}
	return analyzer.NoMatch
}

// isDecl reports an XML declaration, "<?xml ...?>".
func isDecl(tag []byte) bool {
	return len(tag) >= 5 && bytes.HasPrefix(tag, []byte("?xml")) && (tag[4] == ' ' || tag[4] == '?') && tag[len(tag)-1] == '?'
}

// isStreamHeader reports a "<stream:stream ...>" start tag.
func isStreamHeader(tag []byte) bool {
	return bytes.HasPrefix(tag, []byte("stream:stream")) && (len(tag) == 13 || isSpace(tag[13]))
}

// jabberNS reports whether a tag declares a jabber: default namespace.
func jabberNS(tag []byte) bool {
	return bytes.Contains(tag, []byte("xmlns='jabber:")) || bytes.Contains(tag, []byte(`xmlns="jabber:`))
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// NewSession implements analyzer.Analyzer.
func (a *Analyzer) NewSession(c *analyzer.Conn) analyzer.Session {
	s := &session{c: c}
	s.tags[0].max = a.cfg.MaxTagLength
	s.tags[1].max = a.cfg.MaxTagLength
	return s
}

var (
	_ analyzer.Analyzer    = (*Analyzer)(nil)
	_ analyzer.Initializer = (*Analyzer)(nil)
)
