package imap

import (
	"errors"
	"fmt"
)

// Config is the analyzer's configuration, the [analyzer.imap] table of the
// configuration file. New fills in the defaults; keys the struct does not
// have are an error.
type Config struct {
	// Ports are the port hints: connections to these TCP ports are
	// analyzed as IMAP at once, without waiting for content detection.
	// Zeek's IMAP::ports (143; 993 is IMAP over TLS, which is "ssl").
	Ports []uint16 `toml:"ports"`

	// MaxLineLength bounds one buffered command or reply line; a longer
	// line is cut there (weird contentline_size_exceeded).
	MaxLineLength int `toml:"max_line_length"`
}

// DefaultConfig returns Zeek's defaults.
func DefaultConfig() Config {
	return Config{
		Ports:         []uint16{143},
		MaxLineLength: 8192,
	}
}

func (c *Config) validate() error {
	var errs []error
	if c.MaxLineLength < 64 {
		errs = append(errs, fmt.Errorf("max_line_length must be at least 64, got %d", c.MaxLineLength))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("analyzer/imap: %w", err)
	}
	return nil
}
