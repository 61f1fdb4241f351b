// Package ftp identifies the FTP control connection (RFC 959) for
// conn.log's service and hands it to the TLS analyzer after AUTH TLS
// (RFC 4217).
//
// Detection: the server's first bytes are a 220 or 120 greeting (as in
// Zeek's dpd_ftp_server signature; SMTP greets the same way, so both
// analyzers start and the client's commands tell them apart).
// Confirmation, a valid exchange: the reply to USER is 230, 331 or 332,
// the reply to PASS is 230 or 202, the reply to FEAT is 211, or the reply
// to AUTH is 234. Before confirmation, a server line outside a multi-line
// reply that is not a reply, a greeting other than 120, 220 or 421, or a
// first client command that is not FTP is a violation.
//
// AUTH TLS: a 234 reply to AUTH confirms, starts "ssl" on the bytes that
// follow and skips both directions, so conn.log shows "ftp,ssl". Once the
// user is logged in (230) AUTH can no longer come and the session skips
// both directions. Data connections are not identified (Zeek names them
// ftp-data only through the control connection's PORT/PASV replies).
//
// Buffers: Stream never keeps the bytes it is given; each direction holds
// at most one partial line (max_line_length) and the pipelined commands
// waiting for a reply are bounded (max_pending_commands).
package ftp

import (
	"fmt"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/linebuf"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "ftp"

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: newFromTOML})
}

func newFromTOML(decode func(v any) error) (analyzer.Analyzer, error) {
	cfg := DefaultConfig()
	if decode != nil {
		if err := decode(&cfg); err != nil {
			return nil, fmt.Errorf("analyzer/ftp: %w", err)
		}
	}
	return New(cfg)
}

// Analyzer is the configured FTP analyzer. It is shared by all workers:
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
// or "120" and then not a digit, after optional white space.
func (a *Analyzer) Detect(isOrig bool, data []byte) analyzer.Verdict {
	if isOrig {
		return analyzer.NoMatch
	}
	i := 0
	for i < len(data) && i < 16 && (data[i] == ' ' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	data = data[i:]
	if len(data) < 4 {
		for j, c := range data {
			if (j == 0 && c != '1' && c != '2') || (j == 1 && c != '2') || (j == 2 && c != '0') {
				return analyzer.NoMatch
			}
		}
		return analyzer.NeedMore
	}
	if (data[0] == '1' || data[0] == '2') && data[1] == '2' && data[2] == '0' &&
		(data[3] == ' ' || data[3] == '-' || data[3] == '\r' || data[3] == '\n') {
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
