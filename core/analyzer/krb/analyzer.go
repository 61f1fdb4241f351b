// Package krb identifies Kerberos 5 (RFC 4120) for conn.log's service. It
// registers two analyzers, as Zeek has: "krb" for UDP and "krb_tcp" for
// TCP, where each message carries a 4-byte length prefix (RFC 4120
// section 7.2.2); conn.log names the service after the analyzer.
//
// A message is well-formed when it is an ASN.1 APPLICATION-tagged Kerberos
// message (AS-REQ 10, AS-REP 11, TGS-REQ 12, TGS-REP 13, AP-REQ 14,
// AP-REP 15, KRB-SAFE 20, KRB-PRIV 21, KRB-CRED 22, KRB-ERROR 30) holding a
// SEQUENCE whose first two fields are pvno 5 and a msg-type equal to the
// application tag (fields [1] and [2] in KDC requests, [0] and [1]
// otherwise), and its BER length agrees with the datagram or the TCP
// record. Detection needs a well-formed message (Zeek's dpd_krb_udp
// signature looks for a TGS-REQ's pvno); the session confirms on the first
// complete well-formed message in either direction (Zeek confirms on the
// first message it parses), then skips both directions. A malformed first
// message is a violation.
//
// Buffers: Datagram and Stream never keep the bytes they are given; a TCP
// session gathers the length prefix and the first 32 bytes of a record in
// a fixed array and only counts the rest.
package krb

import (
	"encoding/binary"

	"github.com/weirnet/weir/core/analyzer"
)

// Names of the two analyzers, and the services conn.log shows.
const (
	NameUDP = "krb"
	NameTCP = "krb_tcp"
)

func init() {
	analyzer.Register(analyzer.Factory{Name: NameUDP, New: func(decode func(v any) error) (analyzer.Analyzer, error) {
		return fromTOML(decode, false)
	}})
	analyzer.Register(analyzer.Factory{Name: NameTCP, New: func(decode func(v any) error) (analyzer.Analyzer, error) {
		return fromTOML(decode, true)
	}})
}

func fromTOML(decode func(v any) error, tcp bool) (analyzer.Analyzer, error) {
	cfg := DefaultConfig()
	if decode != nil {
		if err := decode(&cfg); err != nil {
			return nil, err
		}
	}
	if tcp {
		return NewTCP(cfg)
	}
	return NewUDP(cfg)
}

// Analyzer is one of the configured Kerberos analyzers. It is shared by
// all workers: Detect and NewSession are safe for concurrent use.
type Analyzer struct {
	cfg Config
	tcp bool
}

// NewUDP returns the UDP analyzer ("krb") with cfg.
func NewUDP(cfg Config) (*Analyzer, error) { return newAnalyzer(cfg, false) }

// NewTCP returns the TCP analyzer ("krb_tcp") with cfg.
func NewTCP(cfg Config) (*Analyzer, error) { return newAnalyzer(cfg, true) }

func newAnalyzer(cfg Config, tcp bool) (*Analyzer, error) {
	cfg.Ports = append([]uint16(nil), cfg.Ports...)
	a := &Analyzer{cfg: cfg, tcp: tcp}
	if err := a.Init(); err != nil {
		return nil, err
	}
	return a, nil
}

// Init implements analyzer.Initializer.
func (a *Analyzer) Init() error { return a.cfg.validate(a.Name()) }

// Name implements analyzer.Analyzer.
func (a *Analyzer) Name() string {
	if a.tcp {
		return NameTCP
	}
	return NameUDP
}

// Transports implements analyzer.Analyzer.
func (a *Analyzer) Transports() analyzer.Transport {
	if a.tcp {
		return analyzer.TCP
	}
	return analyzer.UDP
}

// Ports implements analyzer.Analyzer; the slice must not be modified.
func (a *Analyzer) Ports() []uint16 { return a.cfg.Ports }

// Detect implements analyzer.Analyzer, in either direction.
func (a *Analyzer) Detect(isOrig bool, data []byte) analyzer.Verdict {
	if !a.tcp {
		if n, err := checkPrefix(data); err == "" && n == len(data) {
			return analyzer.Match
		}
		return analyzer.NoMatch
	}
	if len(data) < 4 {
		if len(data) > 0 && data[0] != 0 {
			return analyzer.NoMatch // records are far below 16 MiB
		}
		return analyzer.NeedMore
	}
	rec := binary.BigEndian.Uint32(data)
	if rec < minMessage || rec > maxRecord {
		return analyzer.NoMatch
	}
	msg := data[4:]
	if len(msg) > 0 && !appTag(msg[0]) {
		return analyzer.NoMatch
	}
	if len(msg) < min(int(rec), prefixLen) {
		return analyzer.NeedMore
	}
	n, err := checkPrefix(msg[:min(len(msg), int(rec))])
	if err != "" || n != int(rec) {
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
