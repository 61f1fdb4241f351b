// Package pop3 identifies POP3 (RFC 1939) for conn.log's service and hands
// the connection to the TLS analyzer after STLS (RFC 2595).
//
// Detection and confirmation follow Zeek's POP3 analyzer: the server's
// first bytes must be "+OK", and the protocol is confirmed when the server
// answers a POP3 command with "+OK" after its greeting (Zeek confirms on
// the reply to USER, CAPA and STLS; weir also accepts the other
// authorization and transaction commands, QUIT excepted). A server line
// that is neither a status indicator nor part of a multi-line reply, before
// confirmation, is a violation. A "+OK" to STLS confirms, starts the "ssl"
// analyzer on the bytes that follow and stops this one, so conn.log shows
// "pop3,ssl". Once the client is authenticated STLS can no longer come, and
// the session skips both directions: mail bodies cost nothing.
//
// Buffers: Stream never keeps the bytes it is given. Each direction holds
// at most one partial line (max_line_length) and the pipelined commands
// waiting for a reply are bounded (max_pending_commands).
package pop3

import (
	"bytes"
	"fmt"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/linebuf"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "pop3"

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: newFromTOML})
}

func newFromTOML(decode func(v any) error) (analyzer.Analyzer, error) {
	cfg := DefaultConfig()
	if decode != nil {
		if err := decode(&cfg); err != nil {
			return nil, fmt.Errorf("analyzer/pop3: %w", err)
		}
	}
	return New(cfg)
}

// Analyzer is the configured POP3 analyzer. It is shared by all workers:
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

// Name implements analyzer.Analyzer.
func (a *Analyzer) Name() string { return Name }

// Transports implements analyzer.Analyzer.
func (a *Analyzer) Transports() analyzer.Transport { return analyzer.TCP }

// Ports implements analyzer.Analyzer; the slice must not be modified.
func (a *Analyzer) Ports() []uint16 { return a.cfg.Ports }

// Detect implements analyzer.Analyzer: the server's first bytes are "+OK"
// (Zeek's dpd_pop3_server signature). The client's first bytes alone do
// not decide: USER and AUTH are FTP and SMTP commands too.
func (a *Analyzer) Detect(isOrig bool, data []byte) analyzer.Verdict {
	if isOrig {
		return analyzer.NoMatch
	}
	const ok = "+OK"
	if len(data) < len(ok)+1 {
		if bytes.HasPrefix([]byte(ok), data) || bytes.HasPrefix(data, []byte(ok)) {
			return analyzer.NeedMore
		}
		return analyzer.NoMatch
	}
	if string(data[:len(ok)]) == ok && isStatusEnd(data[len(ok)]) {
		return analyzer.Match
	}
	return analyzer.NoMatch
}

// isStatusEnd reports whether c may follow a status indicator.
func isStatusEnd(c byte) bool { return c == ' ' || c == '\r' || c == '\n' || c == '\t' }

// NewSession implements analyzer.Analyzer.
func (a *Analyzer) NewSession(c *analyzer.Conn) analyzer.Session {
	s := &session{
		c:       c,
		pending: make([]pending, 0, min(a.cfg.MaxPendingCommands, 8)),
		maxPend: a.cfg.MaxPendingCommands,
	}
	s.lines[0] = linebuf.New(a.cfg.MaxLineLength)
	s.lines[1] = linebuf.New(a.cfg.MaxLineLength)
	return s
}

var (
	_ analyzer.Analyzer    = (*Analyzer)(nil)
	_ analyzer.Initializer = (*Analyzer)(nil)
)

// Init implements analyzer.Initializer.
func (a *Analyzer) Init() error { return a.cfg.validate() }
