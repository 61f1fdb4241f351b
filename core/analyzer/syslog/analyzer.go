// Package syslog identifies syslog over UDP (RFC 3164, RFC 5424) for
// conn.log's service.
//
// Zeek's syslog analyzer accepts any datagram on its port, with or
// without a priority. Weir confirms on the first datagram that is text:
// a priority "<0>" to "<191>" (no leading zeros) followed by anything, or,
// without a priority, printable text (UTF-8 allowed; tabs, line ends and a
// trailing NUL tolerated). A first datagram with other binary content is a
// violation. The session then skips both directions.
//
// Detection off port 514 is strict: a priority followed by an RFC 5424
// version ("1 ") or an RFC 3164 timestamp ("Oct 11 22:14:15 ").
//
// Datagram never keeps the bytes it is given and allocates nothing.
package syslog

import (
	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/dgram"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "syslog"

var newFromTOML = dgram.FromTOML(DefaultConfig, New)

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: newFromTOML})
}

// Analyzer is the configured syslog analyzer. It is shared by all workers:
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
