package dhcp

import "fmt"

// Config is the analyzer's configuration, the [analyzer.dhcp] table of the
// configuration file. New fills in the defaults; keys the struct does not
// have are an error.
type Config struct {
	// Ports are the port hints: UDP traffic to these ports is analyzed as
	// DHCP at once, without waiting for content detection. Zeek's
	// DHCP::ports (67 and 68).
	Ports []uint16 `toml:"ports"`
}

// DefaultConfig returns Zeek's defaults.
func DefaultConfig() Config {
	return Config{Ports: []uint16{67, 68}}
}

func (c *Config) validate() error {
	for _, p := range c.Ports {
		if p == 0 {
			return fmt.Errorf("analyzer/dhcp: ports: 0 is not a port")
		}
	}
	return nil
}
