package tls

import (
	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/event"
)

// Name is the analyzer's name and the service conn.log shows, as in Zeek.
const Name = "ssl"

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: New})
}

// New builds an analyzer; decode, when non-nil, fills its Config from the
// analyzer's TOML table.
func New(decode func(v any) error) (analyzer.Analyzer, error) {
	a := &Analyzer{cfg: DefaultConfig()}
	if decode != nil {
		if err := decode(&a.cfg); err != nil {
			return nil, err
		}
	}
	if err := a.Init(); err != nil {
		return nil, err
	}
	return a, nil
}

// Analyzer is the SSL/TLS/DTLS analyzer. It is safe to share between
// goroutines once initialized; its sessions are not.
type Analyzer struct {
	cfg Config
}

// NewAnalyzer returns an analyzer with the given configuration (zero
// fields take their defaults).
func NewAnalyzer(cfg Config) (*Analyzer, error) {
	a := &Analyzer{cfg: cfg}
	if err := a.Init(); err != nil {
		return nil, err
	}
	return a, nil
}

// Init fills defaults and validates the configuration.
func (a *Analyzer) Init() error { return a.cfg.Init() }

// Config returns the configuration in effect.
func (a *Analyzer) Config() Config { return a.cfg }

func (a *Analyzer) Name() string                   { return Name }
func (a *Analyzer) Transports() analyzer.Transport { return analyzer.TCP | analyzer.UDP }
func (a *Analyzer) Ports() []uint16                { return a.cfg.Ports }

// Detect recognises the first record a side sends: a TLS handshake record
// carrying a ClientHello (originator) or ServerHello (responder), an
// SSLv2-format hello, or a DTLS handshake record with a ClientHello,
// HelloVerifyRequest or ServerHello.
func (a *Analyzer) Detect(isOrig bool, data []byte) analyzer.Verdict { return detect(isOrig, data) }

func detect(isOrig bool, b []byte) analyzer.Verdict {
	if len(b) == 0 {
		return analyzer.NeedMore
	}
	if b[0] == 22 { // handshake record, TLS or DTLS
		if len(b) < 3 {
			return analyzer.NeedMore
		}
		switch v := be16(b[1:]); {
		case recordVersionOK(v):
			if len(b) < 6 {
				return analyzer.NeedMore
			}
			if be16(b[3:]) < 4 {
				return analyzer.NoMatch
			}
			if isOrig && b[5] == 1 || !isOrig && b[5] == 2 {
				return analyzer.Match
			}
		case v == versionDTLSv10 || v == versionDTLSv12:
			if len(b) < 14 {
				return analyzer.NeedMore
			}
			if isOrig && b[13] == 1 || !isOrig && (b[13] == 2 || b[13] == 3) {
				return analyzer.Match
			}
		}
		return analyzer.NoMatch
	}
	if b[0]&0x80 != 0 { // SSLv2 record header
		if len(b) < 5 {
			return analyzer.NeedMore
		}
		if int(b[0]&0x7f)<<8|int(b[1]) < 9 {
			return analyzer.NoMatch
		}
		if isOrig && b[2] == 1 {
			if v := be16(b[3:]); v == versionSSLv2 || recordVersionOK(v) {
				return analyzer.Match
			}
		}
		if !isOrig && b[2] == 4 && b[4] < 2 {
			if len(b) < 7 {
				return analyzer.NeedMore
			}
			if be16(b[5:]) == versionSSLv2 {
				return analyzer.Match
			}
		}
	}
	return analyzer.NoMatch
}

// NewSession starts analyzing connection c.
func (a *Analyzer) NewSession(c *analyzer.Conn) analyzer.Session {
	s := &session{cfg: &a.cfg, conn: c}
	s.dtls = c.ID.Proto == event.TransportUDP
	return s
}

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }
func be24(b []byte) int    { return int(b[0])<<16 | int(b[1])<<8 | int(b[2]) }

var (
	_ analyzer.Analyzer    = (*Analyzer)(nil)
	_ analyzer.Initializer = (*Analyzer)(nil)
)
