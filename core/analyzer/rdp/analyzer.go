// Package rdp identifies the Remote Desktop Protocol (MS-RDPBCGR) for
// conn.log's service and hands the connection to the TLS analyzer when
// the server selects TLS or CredSSP, so conn.log reads "rdp,ssl".
//
// An RDP connection opens with an X.224 Connection Request from the client
// and a Connection Confirm from the server, each in a TPKT (version 3,
// length 11 to 1024 for these PDUs, the X.224 length indicator agreeing,
// class 0), the request optionally carrying a cookie or routing token and
// an RDP negotiation request, the confirm optionally an RDP negotiation
// response or failure (type 2 or 3, length 8). Detection: a complete
// Connection Request from the client, or a complete Connection Confirm
// from the server. Confirmation, a valid exchange: a Connection Request
// answered by a Connection Confirm. (Zeek confirms later, on the MCS
// Connect data of standard RDP security, so for RDP over TLS it names only
// "ssl"; weir names the RDP connection that plainly happened, as Zeek's
// dpd_rdp_client/dpd_rdp_server signature pair does.) A first PDU that is
// not the expected one is a violation.
//
// After the confirm, a selected protocol other than standard RDP security
// (TLS 1, CredSSP 2, RDSTLS 4, CredSSP with early user authorization 8)
// starts "ssl" on the bytes that follow; either way the session then skips
// both directions.
//
// Buffers: Stream never keeps the bytes it is given; the first PDU of each
// direction is gathered in a fixed 1 KiB array.
package rdp

import (
	"github.com/weirnet/weir/core/analyzer"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "rdp"

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

// Analyzer is the configured RDP analyzer. It is shared by all workers:
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

// Detect implements analyzer.Analyzer.
func (a *Analyzer) Detect(isOrig bool, data []byte) analyzer.Verdict {
	code := byte(codeCR)
	if !isOrig {
		code = codeCC
	}
	n, err := tpktLen(data, code)
	switch {
	case err != "":
		return analyzer.NoMatch
	case n == 0 || len(data) < n:
		return analyzer.NeedMore
	}
	if _, err := checkPDU(data[:n], code); err != "" {
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
