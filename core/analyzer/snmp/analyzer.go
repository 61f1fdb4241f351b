// Package snmp identifies SNMP (RFC 1157, RFC 3416, RFC 3412) over UDP for
// conn.log's service.
//
// A datagram is SNMP when it is one BER SEQUENCE filling the datagram
// whose version is 0 (v1), 1 (v2c) or 3 (v3) and whose body has the shape
// of that version: for v1 and v2c a community OCTET STRING and a PDU (tag
// 0xa0 to 0xa8) holding request-id, error-status (0 to 18) and error-index
// INTEGERs and a varbind SEQUENCE, or for a v1 trap the enterprise OID,
// agent address, generic-trap (0 to 6), specific-trap, time stamp and
// varbinds; for v3 a header SEQUENCE of message id, maximum size, a
// one-byte flags OCTET STRING and security model, then the security
// parameters OCTET STRING and a scoped PDU (a SEQUENCE, or an OCTET STRING
// when encrypted). Detection needs such a datagram; the session confirms on
// the first one in either direction (Zeek confirms on the first message it
// parses) and then skips both directions. A first datagram that is not SNMP
// is a violation.
//
// Datagram never keeps the bytes it is given and allocates nothing.
package snmp

import (
	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/dgram"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "snmp"

var newFromTOML = dgram.FromTOML(DefaultConfig, New)

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: newFromTOML})
}

// Analyzer is the configured SNMP analyzer. It is shared by all workers:
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
