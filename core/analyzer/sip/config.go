package sip

// Config is the analyzer's configuration, the [analyzer.sip] table of the
// configuration file. New fills in the defaults; keys the struct does not
// have are an error, and New rejects port 0.
type Config struct {
	// Ports are the port hints: UDP traffic to these ports is analyzed as
	// SIP at once, without waiting for content detection. Zeek's
	// SIP::ports.
	Ports []uint16 `toml:"ports"`
}

// DefaultConfig returns Zeek's defaults.
func DefaultConfig() Config {
	return Config{Ports: []uint16{5060}}
}
