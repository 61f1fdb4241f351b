// Package smtp identifies SMTP (RFC 5321) for conn.log's service and
// hands the connection to the TLS analyzer after STARTTLS (RFC 3207).
//
// Detection: the server's first bytes are a 220 greeting (Zeek's
// dpd_smtp_server signature; FTP greets the same way, so both analyzers
// start and the client's commands tell them apart). Confirmation, a valid
// exchange: a 2xx reply to the client's EHLO, HELO or LHLO, or a 220 reply
// to STARTTLS. Before confirmation, a server line that is not a reply
// (three digits then space, hyphen or end of line), a greeting other than
// 220, 421 or 554, or a first client command that is not SMTP is a
// violation.
//
// STARTTLS: a 220 reply to STARTTLS confirms, starts "ssl" on the bytes
// that follow and skips both directions, so conn.log shows "smtp,ssl".
// Once a mail transaction starts (a 2xx reply to MAIL) or the client has
// authenticated (235), STARTTLS is no longer expected and the session
// skips both directions: message bodies cost nothing.
//
// Buffers: Stream never keeps the bytes it is given; each direction holds
// at most one partial line (max_line_length) and the pipelined commands
// waiting for a reply are bounded (max_pending_commands).
package smtp

import (
	"fmt"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/linebuf"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "smtp"

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: newFromTOML})
}

func newFromTOML(decode func(v any) error) (analyzer.Analyzer, error) {
	cfg := DefaultConfig()
	if decode != nil {
		if err := decode(&cfg); err != nil {
			return nil, fmt.Errorf("analyzer/smtp: %w", err)
		}
	}
	return New(cfg)
}

// Analyzer is the configured SMTP analyzer. It is shared by all workers:
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

// Detect implements analyzer.Analyzer: the server's first bytes are "220"
// then a space or hyphen, after optional white space.
func (a *Analyzer) Detect(isOrig bool, data []byte) analyzer.Verdict {
	if isOrig {
		return analyzer.NoMatch
	}
	i := 0
	for i < len(data) && i < 16 && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	data = data[i:]
	const code = "220"
	for j := 0; j < len(code); j++ {
		if j >= len(data) {
			return analyzer.NeedMore
		}
		if data[j] != code[j] {
			return analyzer.NoMatch
		}
	}
	if len(data) == len(code) {
		return analyzer.NeedMore
	}
	if c := data[len(code)]; c == ' ' || c == '-' || c == '\t' || c == '\r' || c == '\n' {
		return analyzer.Match
	}
	return analyzer.NoMatch
}

// NewSession implements analyzer.Analyzer.
func (a *Analyzer) NewSession(c *analyzer.Conn) analyzer.Session {
	s := &session{
		c:       c,
		pending: make([]command, 0, min(a.cfg.MaxPendingCommands, 8)),
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
