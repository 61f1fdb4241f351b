// Package dcerpc identifies connection-oriented DCE-RPC (DCE 1.1 RPC,
// chapter 12, and Microsoft's MS-RPCE) over TCP for conn.log's service,
// which Zeek names "dce_rpc".
//
// Detection follows Zeek's dpd_dce_rpc signature (version 5, minor version
// 0 or 1, a packet type up to 19, flags 3 in the fourth byte) and adds the
// data representation (integer order 0 or 1, float format 0 to 3, two
// zero bytes) and a fragment length of at least the header. Confirmation
// follows Zeek, which confirms on the first whole PDU that parses: the
// session confirms once one complete, valid connection-oriented PDU
// arrived in either direction (a packet type that side sends, a fragment
// length that holds the header and the authentication trailer, and for
// bind and alter-context a first presentation context that fits), then
// skips both directions. An invalid header before confirmation is a
// violation.
//
// Buffers: Stream never keeps the bytes it is given; the first 72 bytes
// of a PDU are gathered in a fixed array per direction and the rest of the
// PDU is only counted.
package dcerpc

import (
	"github.com/weirnet/weir/core/analyzer"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "dce_rpc"

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

// Analyzer is the configured DCE-RPC analyzer. It is shared by all
// workers: Detect and NewSession are safe for concurrent use.
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

// Detect implements analyzer.Analyzer, in either direction.
func (a *Analyzer) Detect(isOrig bool, data []byte) analyzer.Verdict {
	// Zeek's signature: ^\x05[\x00\x01][\x00-\x13]\x03
	for i, c := range data[:min(len(data), 4)] {
		switch {
		case i == 0 && c != 5,
			i == 1 && c > 1,
			i == 2 && c > 0x13,
			i == 3 && c != 3:
			return analyzer.NoMatch
		}
	}
	if len(data) < headerLen {
		if checkPrefix(data, isOrig) != "" {
			return analyzer.NoMatch
		}
		return analyzer.NeedMore
	}
	if _, err := checkHeader(data[:headerLen], isOrig); err != "" {
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
