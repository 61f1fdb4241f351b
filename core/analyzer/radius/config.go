package radius

import "fmt"

// Config is the analyzer's configuration, the [analyzer.radius] table of the
// configuration file. New fills in the defaults; keys the struct does not
// have are an error.
type Config struct {
	// Ports are the port hints: UDP traffic to these ports is analyzed as
	// RADIUS at once, without waiting for content detection. Zeek's
	// RADIUS::ports.
	Ports []uint16 `toml:"ports"`
}

// DefaultConfig returns Zeek's defaults.
func DefaultConfig() Config {
	return Config{Ports: []uint16{1812}}
}

func (c *Config) validate() error {
	for _, p := range c.Ports {
		if p == 0 {
			return fmt.Errorf("analyzer/radius: ports: 0 is not a port")
		}
	}
	return nil
}
