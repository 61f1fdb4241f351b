// Package dhcp identifies DHCP (RFC 2131, RFC 2132) for conn.log's
// service.
//
// Detection (Zeek's dhcp_cookie signature, made strict) and confirmation
// both need a well-formed message: a BOOTP operation (1 request, 2 reply),
// a hardware address length of at most 16, the 236-byte BOOTP header, the
// DHCP magic cookie 99.130.83.99, and options that parse (each within the
// datagram, up to the end option) with a DHCP message type, if present, of
// 1 to 18. The session confirms on the first such datagram in either
// direction and then skips both; a first datagram that is not one is a
// violation.
//
// Datagram never keeps the bytes it is given and allocates nothing.
package dhcp

import (
	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/dgram"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "dhcp"

var newFromTOML = dgram.FromTOML(DefaultConfig, New)

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: newFromTOML})
}

// Analyzer is the configured DHCP analyzer. It is shared by all workers:
// Detect and NewSession are safe for concurrent use. Everything but the
// checks is dgram's: detection on one datagram, and a session that
// decides on the first datagram in either direction.
type Analyzer struct {
	dgram.Analyzer
}

// New returns an analyzer with cfg (start from DefaultConfig), or an error
// naming what is wrong with it.
func New(cfg Config) (*Analyzer, error) {
	d, err := dgram.New(dgram.Protocol{Name: Name, Check: check}, cfg.Ports)
	if err != nil {
		return nil, err
	}
	return &Analyzer{d}, nil
}

var (
	_ analyzer.Analyzer    = (*Analyzer)(nil)
	_ analyzer.Initializer = (*Analyzer)(nil)
)
