package tls

import "fmt"

// Config is the analyzer's configuration, the [analyzer.ssl] table of
// weir.toml. Zero values take the defaults below.
type Config struct {
	// Ports are the port hints: traffic to these ports is tried with the
	// analyzer even before its first bytes look like TLS. Default
	// DefaultPorts.
	Ports []uint16 `toml:"ports"`
	// MaxHandshakeMessage bounds the size of one handshake message
	// (certificate chains are the large ones). A larger message is a
	// protocol violation: the analyzer logs what it has and stops. Default
	// 1 MiB; at most 16 MiB, the largest length TLS can express.
	MaxHandshakeMessage int `toml:"max_handshake_message"`
	// MaxHistory bounds ssl_history, as Zeek's SSL::max_ssl_history_length
	// does. Default 100.
	MaxHistory int `toml:"max_history"`
}

// Defaults.
const (
	DefaultMaxHandshakeMessage = 1 << 20
	DefaultMaxHistory          = 100
	maxHandshakeMessageLimit   = 1<<24 - 1
)

// DefaultPorts are Zeek's SSL and DTLS ports (ssl_ports, dtls_ports) plus
// the usual TLS ports it does not list: SMTPS 465, DNS over TLS 853 and
// 8443.
var DefaultPorts = []uint16{443, 465, 563, 585, 614, 636, 853, 989, 990, 992, 993, 995, 5223, 8443}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Ports:               append([]uint16(nil), DefaultPorts...),
		MaxHandshakeMessage: DefaultMaxHandshakeMessage,
		MaxHistory:          DefaultMaxHistory,
	}
}

// Init fills defaults and validates c.
func (c *Config) Init() error {
	if c.Ports == nil {
		c.Ports = append([]uint16(nil), DefaultPorts...)
	}
	if c.MaxHandshakeMessage == 0 {
		c.MaxHandshakeMessage = DefaultMaxHandshakeMessage
	}
	if c.MaxHandshakeMessage < 64 || c.MaxHandshakeMessage > maxHandshakeMessageLimit {
		return fmt.Errorf("analyzer/ssl: max_handshake_message %d out of range [64, %d]", c.MaxHandshakeMessage, maxHandshakeMessageLimit)
	}
	if c.MaxHistory == 0 {
		c.MaxHistory = DefaultMaxHistory
	}
	if c.MaxHistory < 1 || c.MaxHistory > 1<<16 {
		return fmt.Errorf("analyzer/ssl: max_history %d out of range [1, 65536]", c.MaxHistory)
	}
	return nil
}
