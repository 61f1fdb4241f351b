// Package modbus identifies Modbus/TCP (the MODBUS Messaging on TCP/IP
// Implementation Guide V1.0b) for conn.log's service.
//
// Each direction is read as MBAP frames: transaction id, protocol id (0
// for Modbus), length (2 to 254: unit id, function code and data), unit
// id, function code. A frame is valid when its header is and, for the
// public function codes weir knows (1 to 6, 15, 16 and exceptions), its
// data has the size and values the specification gives (as Zeek's parser
// checks them: quantities, byte counts, coil values). The session confirms
// once a valid request and a valid response were seen (Zeek confirms on the
// first whole PDU; since the fix for zeek/zeek#3962 it also rejects
// protocol ids other than 0, which is what keeps the TLS, HTTP, DCE-RPC and RDP connections of its
// modbus_and_non_modbus_on_port_502 test from being named modbus), and
// then skips both directions. An invalid frame before confirmation is a
// violation.
//
// Detection, off port 502: the originator's first frame is complete and
// valid and uses a public function code.
//
// Buffers: Stream never keeps the bytes it is given; a frame split across
// deliveries is gathered in a fixed 260-byte array per direction.
package modbus

import (
	"github.com/weirnet/weir/core/analyzer"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "modbus"

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

// Analyzer is the configured Modbus analyzer. It is shared by all workers:
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
	if !isOrig {
		return analyzer.NoMatch
	}
	if len(data) < headerLen {
		// Only the protocol id can be judged early.
		if len(data) >= 4 && (data[2] != 0 || data[3] != 0) {
			return analyzer.NoMatch
		}
		return analyzer.NeedMore
	}
	n, err := frameLen(data)
	if err != "" {
		return analyzer.NoMatch
	}
	if len(data) < n {
		return analyzer.NeedMore
	}
	if !publicCode(data[7]) || checkFrame(data[:n], true) != "" {
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
