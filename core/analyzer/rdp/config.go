package rdp

import "fmt"

// Config is the analyzer's configuration, the [analyzer.rdp] table of the
// configuration file. New fills in the defaults; keys the struct does not
// have are an error.
type Config struct {
	// Ports are the port hints: connections to these TCP ports are analyzed
	// as RDP at once, without waiting for content detection. Zeek's
	// RDP::rdp_ports.
	Ports []uint16 `toml:"ports"`
}

// DefaultConfig returns Zeek's defaults.
func DefaultConfig() Config {
	return Config{Ports: []uint16{3389}}
}

func (c *Config) validate() error {
	for _, p := range c.Ports {
		if p == 0 {
			return fmt.Errorf("analyzer/rdp: ports: 0 is not a port")
		}
	}
	return nil
}
