// Package sip identifies SIP (RFC 3261) over UDP for conn.log's service.
//
// A datagram is SIP when it starts with a request line (a known method,
// a sip:, sips: or tel: URI, "SIP/2.0") or a status line ("SIP/2.0", a
// three-digit code from 100 to 699, a space), followed by header lines
// that include Via and Call-ID (or their compact forms v and i) before the
// blank line. Detection needs such a datagram (Zeek's dpd_sip signature
// looks at the start line); the session confirms on the first one in either
// direction and then skips both; a first datagram that is not SIP is a
// violation.
//
// Datagram never keeps the bytes it is given and allocates nothing.
package sip

import (
	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/dgram"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "sip"

var newFromTOML = dgram.FromTOML(DefaultConfig, New)

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: newFromTOML})
}

// Analyzer is the configured SIP analyzer. It is shared by all workers:
// Detect and NewSession are safe for concurrent use. Everything but the
// checks is dgram's: detection on one datagram, and a session that
// decides on the first datagram in either direction.
type Analyzer struct {
	dgram.Analyzer
}

// New returns an analyzer with cfg (start from DefaultConfig), or an error
// naming what is wrong with it.
func New(cfg Config) (*Analyzer, error) {
	d, err := dgram.New(dgram.Protocol{Name: Name, Check: check, Detectable: detectable}, cfg.Ports)
	if err != nil {
		return nil, err
	}
	return &Analyzer{d}, nil
}

var (
	_ analyzer.Analyzer    = (*Analyzer)(nil)
	_ analyzer.Initializer = (*Analyzer)(nil)
)
