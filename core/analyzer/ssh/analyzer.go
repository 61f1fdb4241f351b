// Package ssh is weir's SSH analyzer: from the unencrypted start of an
// SSH connection (version banners, the key exchange) and the sizes of the
// first encrypted packets it builds the record of Zeek's ssh.log: client
// and server software, negotiated algorithms, the server's host key
// fingerprint, and whether authentication succeeded.
//
// The semantics are Zeek's (src/analyzer/protocol/ssh and
// scripts/base/protocols/ssh/main.zeek): the algorithms are the first of
// the client's KEXINIT lists that the server also offers, the host key is
// the MD5 of the key blob in the server's key exchange reply, and the
// authentication verdict comes from Zeek's packet-size heuristic (the
// server's encrypted replies after the client's first encrypted packet:
// SERVICE_ACCEPT, then USERAUTH_FAILURE of a constant size per attempt,
// or a USERAUTH_SUCCESS 16 bytes shorter than the SERVICE_ACCEPT). As in
// Zeek, the record is published as soon as a login succeeds, otherwise
// when the connection ends; after a success the analyzer asks the core to
// skip the rest of the connection.
//
// A session holds at most one key-exchange packet per direction (bounded
// by Config.MaxPacket) and the two KEXINIT algorithm lists.
package ssh

import (
	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/flow"
)

// Name is the service name the analyzer confirms ("ssh" in conn.log).
const Name = "ssh"

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

// Analyzer is the configured SSH analyzer, shared by all engine workers.
type Analyzer struct {
	cfg  Config
	nets *flow.Nets
}

// New returns an analyzer with cfg, which must be valid.
func New(cfg Config) (*Analyzer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	nets, err := cfg.nets()
	if err != nil {
		return nil, err
	}
	return &Analyzer{cfg: cfg, nets: nets}, nil
}

// Init validates the configuration again (analyzer.Initializer).
func (a *Analyzer) Init() error { return a.cfg.Validate() }

func (a *Analyzer) Name() string                   { return Name }
func (a *Analyzer) Transports() analyzer.Transport { return analyzer.TCP }
func (a *Analyzer) Ports() []uint16                { return a.cfg.Ports }

// Detect recognises an SSH version banner ("SSH-" and a digit). A server
// may send other lines before its banner (RFC 4253 section 4.2): the
// responder's first bytes match when one of their lines is a banner.
// data may be kept only during the call.
func (a *Analyzer) Detect(isOrig bool, data []byte) analyzer.Verdict {
	for {
		v := bannerVerdict(data)
		if v != analyzer.NoMatch || isOrig {
			return v
		}
		// Another line from the server?
		i := 0
		for i < len(data) && data[i] != '\n' {
			i++
		}
		if i == len(data) {
			if len(data) >= analyzer.DetectBytes {
				return analyzer.NoMatch
			}
			return analyzer.NeedMore
		}
		data = data[i+1:]
		if len(data) == 0 {
			return analyzer.NeedMore
		}
	}
}

func bannerVerdict(b []byte) analyzer.Verdict {
	const p = "SSH-"
	for i := 0; i < len(p); i++ {
		if i == len(b) {
			return analyzer.NeedMore
		}
		if b[i] != p[i] {
			return analyzer.NoMatch
		}
	}
	if len(b) == len(p) {
		return analyzer.NeedMore
	}
	if b[len(p)] >= '0' && b[len(p)] <= '9' {
		return analyzer.Match
	}
	return analyzer.NoMatch
}

// NewSession starts analyzing connection c.
func (a *Analyzer) NewSession(c *analyzer.Conn) analyzer.Session {
	return &Session{an: a, conn: c}
}

// Interface guards.
var (
	_ analyzer.Analyzer    = (*Analyzer)(nil)
	_ analyzer.Initializer = (*Analyzer)(nil)
	_ analyzer.Session     = (*Session)(nil)
)

// RequiresHandshake keeps the analyzer off connections picked up
// midstream, as Zeek does: without the start of the streams, requests and
// replies cannot be told apart reliably.
func (a *Analyzer) RequiresHandshake() bool { return true }

var _ analyzer.HandshakeRequirer = (*Analyzer)(nil)
