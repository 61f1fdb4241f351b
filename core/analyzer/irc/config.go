package irc

import (
	"errors"
	"fmt"
)

// Config is the analyzer's configuration, the [analyzer.irc] table of the
// configuration file. New fills in the defaults; keys the struct does not
// have are an error.
type Config struct {
	// Ports are the port hints: connections to these TCP ports are
	// analyzed as IRC at once, without waiting for content detection.
	// Zeek's IRC::ports (6666 to 6669; 6697 is IRC over TLS, "ssl").
	Ports []uint16 `toml:"ports"`

	// MaxLineLength bounds one buffered command or reply line; a longer
	// line is cut there (weird contentline_size_exceeded).
	MaxLineLength int `toml:"max_line_length"`
}

// DefaultConfig returns Zeek's defaults.
func DefaultConfig() Config {
	return Config{
		Ports:         []uint16{6666, 6667, 6668, 6669},
		MaxLineLength: 8704, // IRCv3: 8191 bytes of tags and a 512-byte message
	}
}

func (c *Config) validate() error {
	var errs []error
	if c.MaxLineLength < 64 {
		errs = append(errs, fmt.Errorf("max_line_length must be at least 64, got %d", c.MaxLineLength))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("analyzer/irc: %w", err)
	}
	return nil
}
