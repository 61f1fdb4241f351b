// Package imap identifies IMAP (RFC 9051, RFC 3501) for conn.log's service
// and hands the connection to the TLS analyzer after STARTTLS.
//
// Detection: the server's first bytes are an untagged greeting, "* OK",
// "* PREAUTH" or "* BYE". Confirmation, a valid exchange: an OK or PREAUTH
// greeting and a well-formed tagged IMAP command from the client (Zeek
// confirms on the "* OK" greeting alone, or on a client CAPABILITY or
// STARTTLS). Before confirmation, a first server line that is not a
// greeting, a client line that is not a tagged command, or a server line
// that is neither untagged, a continuation nor a tagged status is a
// violation.
//
// STARTTLS: when the server answers the client's tagged STARTTLS with OK
// (tag matched), the session confirms, starts "ssl" on the bytes that
// follow and skips both directions, so conn.log shows "imap,ssl". Like
// Zeek, once the client authenticates or opens a mailbox (LOGIN,
// AUTHENTICATE, SELECT, EXAMINE, CREATE, LIST, FETCH) STARTTLS can no
// longer come and the session skips both directions.
//
// Buffers: Stream never keeps the bytes it is given; each direction holds
// at most one partial line (max_line_length), and the STARTTLS tag is
// kept in a fixed array.
package imap

import (
	"bytes"
	"fmt"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/linebuf"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "imap"

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: newFromTOML})
}

func newFromTOML(decode func(v any) error) (analyzer.Analyzer, error) {
	cfg := DefaultConfig()
	if decode != nil {
		if err := decode(&cfg); err != nil {
			return nil, fmt.Errorf("analyzer/imap: %w", err)
		}
	}
	return New(cfg)
}

// Analyzer is the configured IMAP analyzer. It is shared by all workers:
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

var greetings = []string{"* OK", "* PREAUTH", "* BYE"}

// Detect implements analyzer.Analyzer: the server's first bytes are an
// untagged greeting. A client's first line ("a1 CAPABILITY") says too
// little on its own.
func (a *Analyzer) Detect(isOrig bool, data []byte) analyzer.Verdict {
	if isOrig {
		return analyzer.NoMatch
	}
	more := false
	for _, g := range greetings {
		switch {
		case len(data) > len(g):
			if bytes.EqualFold(data[:len(g)], []byte(g)) && isSep(data[len(g)]) {
				return analyzer.Match
			}
		case bytes.EqualFold(data, []byte(g[:len(data)])):
			more = true
		}
	}
	if more {
		return analyzer.NeedMore
	}
	return analyzer.NoMatch
}

func isSep(c byte) bool { return c == ' ' || c == '\r' || c == '\n' }

// NewSession implements analyzer.Analyzer.
func (a *Analyzer) NewSession(c *analyzer.Conn) analyzer.Session {
	s := &session{c: c}
	s.lines[0] = linebuf.New(a.cfg.MaxLineLength)
	s.lines[1] = linebuf.New(a.cfg.MaxLineLength)
	return s
}

var (
	_ analyzer.Analyzer    = (*Analyzer)(nil)
	_ analyzer.Initializer = (*Analyzer)(nil)
)
