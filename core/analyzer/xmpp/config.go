package xmpp

import (
	"errors"
	"fmt"
)

// Config is the analyzer's configuration, the [analyzer.xmpp] table of the
// configuration file. New fills in the defaults; keys the struct does not
// have are an error.
type Config struct {
	// Ports are the port hints: connections to these TCP ports are
	// analyzed as XMPP at once, without waiting for content detection.
	// Zeek's XMPP::ports (5222 client-to-server, 5269 server-to-server).
	Ports []uint16 `toml:"ports"`

	// MaxTagLength bounds one buffered XML tag; a longer one is dropped
	// (weird xmpp_tag_too_long, a violation before confirmation).
	MaxTagLength int `toml:"max_tag_length"`
}

// DefaultConfig returns Zeek's defaults.
func DefaultConfig() Config {
	return Config{
		Ports:        []uint16{5222, 5269},
		MaxTagLength: 4096,
	}
}

func (c *Config) validate() error {
	var errs []error
	if c.MaxTagLength < 256 {
		errs = append(errs, fmt.Errorf("max_tag_length must be at least 256, got %d", c.MaxTagLength))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("analyzer/xmpp: %w", err)
	}
	return nil
}
