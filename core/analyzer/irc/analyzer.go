// Package irc identifies IRC (RFC 1459, RFC 2812, IRCv3) for conn.log's
// service and hands the connection to the TLS analyzer after STARTTLS
// (the IRCv3 tls extension).
//
// Detection (after Zeek's irc_client and irc_server_reply signatures): the
// client's first lines register (NICK, CAP, STARTTLS, a USER with its four
// parameters, or SERVER; leading PASS lines are passed over), or the
// server's first line is an IRC message with a numeric reply (with its
// source prefix: a bare "220 " is an SMTP or FTP greeting) or NOTICE, PING
// or ERROR. Confirmation, a valid exchange: the client sent a
// registration command and the server answered with a well-formed IRC
// message (Zeek confirms on any client line). Before confirmation a line
// that is not an IRC message is a violation, and so is a connection that
// exchanged 64 lines without registering.
//
// STARTTLS: reply 670 (RPL_STARTTLS) confirms, starts "ssl" on the bytes
// that follow and skips both directions, so conn.log shows "irc,ssl".
// STARTTLS is only allowed during registration, so once the server
// welcomes the client (001) the session skips both directions.
//
// Buffers: Stream never keeps the bytes it is given; each direction holds
// at most one partial line (max_line_length).
package irc

import (
	"bytes"
	"fmt"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/linebuf"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "irc"

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: newFromTOML})
}

func newFromTOML(decode func(v any) error) (analyzer.Analyzer, error) {
	cfg := DefaultConfig()
	if decode != nil {
		if err := decode(&cfg); err != nil {
			return nil, fmt.Errorf("analyzer/irc: %w", err)
		}
	}
	return New(cfg)
}

// Analyzer is the configured IRC analyzer. It is shared by all workers:
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

// maxDetectLine is the longest first line Detect waits for.
const maxDetectLine = 512

// Detect implements analyzer.Analyzer.
func (a *Analyzer) Detect(isOrig bool, data []byte) analyzer.Verdict {
	for lines := 0; lines < 4; lines++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if len(data) > maxDetectLine || (len(data) > 0 && !plausibleStart(data[0])) {
				return analyzer.NoMatch
			}
			return analyzer.NeedMore
		}
		line := bytes.TrimSuffix(data[:i], []byte("\r"))
		data = data[i+1:]
		m, ok := parse(line)
		if !ok {
			return analyzer.NoMatch
		}
		if isOrig {
			if m.is("PASS") && m.nparams == 1 {
				continue // a connection password precedes registration
			}
			if registers(m) {
				return analyzer.Match
			}
			return analyzer.NoMatch
		}
		// A bare numeric line is an SMTP or FTP greeting as well: numeric
		// replies count with their source prefix only, as servers send
		// them.
		if (m.prefix && m.numeric()) || ((m.is("NOTICE") || m.is("PING") || m.is("ERROR")) && m.nparams >= 1) {
			return analyzer.Match
		}
		return analyzer.NoMatch
	}
	return analyzer.NoMatch
}

func plausibleStart(c byte) bool {
	return c == ':' || c == '@' || c == ' ' || (c|0x20 >= 'a' && c|0x20 <= 'z') || (c >= '0' && c <= '9')
}

// registers reports whether a client message starts registration
// strictly enough to tell IRC from other protocols' first commands.
func registers(m message) bool {
	switch {
	case m.is("NICK"):
		return m.nparams == 1
	case m.is("USER"):
		return m.nparams == 4
	case m.is("CAP"):
		return m.nparams >= 1
	case m.is("STARTTLS"):
		return m.nparams == 0
	case m.is("SERVER"):
		return m.nparams >= 2
	}
	return false
}

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
