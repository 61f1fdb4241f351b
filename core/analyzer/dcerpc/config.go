package dcerpc

import "fmt"

// Config is the analyzer's configuration, the [analyzer.dce_rpc] table of the
// configuration file. New fills in the defaults; keys the struct does not
// have are an error.
type Config struct {
	// Ports are the port hints: connections to these TCP ports are analyzed
	// as DCE-RPC at once, without waiting for content detection. Zeek's
	// DCE_RPC::ports (135, the endpoint mapper).
	Ports []uint16 `toml:"ports"`
}

// DefaultConfig returns Zeek's defaults.
func DefaultConfig() Config {
	return Config{Ports: []uint16{135}}
}

func (c *Config) validate() error {
	for _, p := range c.Ports {
		if p == 0 {
			return fmt.Errorf("analyzer/dce_rpc: ports: 0 is not a port")
		}
	}
	return nil
}
