package sip

import "fmt"

// Config is the analyzer's configuration, the [analyzer.sip] table of the
// configuration file. New fills in the defaults; keys the struct does not
// have are an error.
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

func (c *Config) validate() error {
	for _, p := range c.Ports {
		if p == 0 {
			return fmt.Errorf("analyzer/sip: ports: 0 is not a port")
		}
	}
	return nil
}
