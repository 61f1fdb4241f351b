// Package mysql identifies the MySQL (and MariaDB) client/server protocol
// for conn.log's service and hands the connection to the TLS analyzer
// when the client asks for TLS, so conn.log reads "mysql,ssl".
//
// Packets carry a 3-byte little-endian length and a sequence number. The
// server speaks first with an initial handshake (sequence 0, protocol
// version 10, a printable NUL-terminated server version, a connection id,
// eight bytes of scramble and a zero filler) or an error packet (0xff).
// The client answers with sequence 1: a handshake response (with
// CLIENT_PROTOCOL_41: capability flags, maximum packet size, character set
// and 23 zero bytes, then the user name; without it, the 4.0 form) or, if
// its capability flags ask for TLS, a 32-byte SSL request.
//
// Detection: a complete initial handshake from the server. Confirmation
// follows Zeek, which confirms on the client's handshake response: the
// session confirms on a valid response to a valid greeting; an SSL request
// also starts "ssl" on the bytes that follow (Zeek's StartTLS). Then the
// session skips both directions. A greeting or response that is not
// MySQL is a violation; an error greeting ends the session quietly.
//
// Buffers: Stream never keeps the bytes it is given; the greeting and the
// start of the client's response are gathered in fixed arrays.
package mysql

import (
	"github.com/weirnet/weir/core/analyzer"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "mysql"

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

// Analyzer is the configured MySQL analyzer. It is shared by all workers:
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

// Detect implements analyzer.Analyzer: a complete version 10 greeting
// from the server.
func (a *Analyzer) Detect(isOrig bool, data []byte) analyzer.Verdict {
	if isOrig {
		return analyzer.NoMatch
	}
	if len(data) < 5 {
		if len(data) == 4 && data[3] != 0 {
			return analyzer.NoMatch
		}
		return analyzer.NeedMore
	}
	n := packetLen(data)
	if data[3] != 0 || data[4] != protocol10 || n < minGreeting || n > maxGreeting {
		return analyzer.NoMatch
	}
	if len(data) < 4+n {
		return analyzer.NeedMore
	}
	if checkGreeting(data[4:4+n]) != "" {
		return analyzer.NoMatch
	}
	return analyzer.Match
}

// NewSession implements analyzer.Analyzer.
func (a *Analyzer) NewSession(c *analyzer.Conn) analyzer.Session {
	return &session{c: c}
}

var (
	_ analyzer.Analyzer    = (*Analyzer)(nil)
	_ analyzer.Initializer = (*Analyzer)(nil)
)
