package krb

import "fmt"

// Config is the configuration of one of the package's two analyzers: the
// [analyzer.krb] table (UDP) or the [analyzer.krb_tcp] table (TCP). New
// fills in the defaults; keys the struct does not have are an error.
type Config struct {
	// Ports are the port hints: traffic to these ports is analyzed as
	// Kerberos at once, without waiting for content detection. Zeek's
	// KRB::udp_ports and KRB::tcp_ports (88).
	Ports []uint16 `toml:"ports"`
}

// DefaultConfig returns Zeek's defaults.
func DefaultConfig() Config {
	return Config{Ports: []uint16{88}}
}

func (c *Config) validate(name string) error {
	for _, p := range c.Ports {
		if p == 0 {
			return fmt.Errorf("analyzer/%s: ports: 0 is not a port", name)
		}
	}
	return nil
}
