// Package radius identifies RADIUS (RFC 2865, RFC 2866, RFC 5176) over
// UDP for conn.log's service.
//
// A datagram is RADIUS when its code is known (1 to 5, 11 to 13, 40 to
// 45), its length field is 20 to 4096 and within the datagram (octets past
// it are padding), and its attributes, after the 16-byte authenticator,
// fill the length exactly (each at least 2 bytes). Detection, off port
// 1812, also wants the length to fill the datagram, an access or
// accounting code (1 to 5, 11) and at least one attribute. The session
// confirms on the first RADIUS datagram in either direction (Zeek confirms
// on the first message it parses) and then skips both; a first datagram
// that is not RADIUS is a violation.
//
// Datagram never keeps the bytes it is given and allocates nothing.
package radius

import (
	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/dgram"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "radius"

var newFromTOML = dgram.FromTOML(DefaultConfig, New)

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: newFromTOML})
}

// Analyzer is the configured RADIUS analyzer. It is shared by all workers:
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
