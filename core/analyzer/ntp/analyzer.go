// Package ntp identifies NTP (RFC 5905, and the mode 6 control and mode 7
// private messages of ntpd) for conn.log's service.
//
// Confirmation follows Zeek, which confirms on the first message that
// parses: the session confirms on the first well-formed datagram in either
// direction (a reply may come first, as in captures with reordering), and
// then skips both directions. A datagram that is not a well-formed NTP
// message before confirmation is a violation.
//
// Well-formed, for modes 1 to 5: version 1 to 4, at least 48 bytes, a
// stratum of at most 16, a poll exponent and a precision in the ranges
// RFC 5905 allows, and what follows the header is a MAC (4+16 or 4+20
// bytes, or a 4-byte crypto-NAK) or NTPv4 extension fields. Mode 6: a
// 12-byte header whose count fits the datagram. Mode 7: version 2 to 4 and
// at least 8 bytes. Mode 0 is reserved.
//
// Detection, off the NTP port, is stricter: modes 1 to 5 only, the
// message exactly 48 bytes or 48 plus a MAC, and a client's transmit
// timestamp or a server's reference timestamp set, so that 48 zero bytes or
// other protocols' datagrams do not pass.
//
// A server's message from the originator, or a client's from the responder,
// flips the connection's roles once, as in Zeek (a capture that caught the
// reply first). Datagram never keeps the bytes it is given and allocates
// nothing.
package ntp

import (
	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/dgram"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "ntp"

var newFromTOML = dgram.FromTOML(DefaultConfig, New)

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: newFromTOML})
}

// Analyzer is the configured NTP analyzer. It is shared by all workers:
// Detect and NewSession are safe for concurrent use. Everything but the
// checks is dgram's: detection on one datagram, and a session that
// decides on the first datagram in either direction.
type Analyzer struct {
	dgram.Analyzer
}

// New returns an analyzer with cfg (start from DefaultConfig), or an error
// naming what is wrong with it.
func New(cfg Config) (*Analyzer, error) {
	d, err := dgram.New(dgram.Protocol{Name: Name, Check: check, Detectable: detectable, Flip: reversed}, cfg.Ports)
	if err != nil {
		return nil, err
	}
	return &Analyzer{d}, nil
}

var (
	_ analyzer.Analyzer    = (*Analyzer)(nil)
	_ analyzer.Initializer = (*Analyzer)(nil)
)
