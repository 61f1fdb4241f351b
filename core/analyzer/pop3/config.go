package pop3

import (
	"errors"
	"fmt"
)

// Config is the analyzer's configuration, the [analyzer.pop3] table of the
// configuration file. New fills in the defaults; keys the struct does not
// have are an error.
type Config struct {
	// Ports are the port hints: connections to these TCP ports are
	// analyzed as POP3 at once, without waiting for content detection.
	// Zeek's POP3::ports (110; 995 is POP3 over TLS, which is "ssl").
	Ports []uint16 `toml:"ports"`

	// MaxLineLength bounds one buffered command or reply line; a longer
	// line is cut there (weird contentline_size_exceeded).
	MaxLineLength int `toml:"max_line_length"`

	// MaxPendingCommands bounds the pipelined commands waiting for a
	// reply; beyond it the oldest is forgotten (weird
	// pop3_too_many_pending_commands).
	MaxPendingCommands int `toml:"max_pending_commands"`
}

// DefaultConfig returns Zeek's defaults.
func DefaultConfig() Config {
	return Config{
		Ports:              []uint16{110},
		MaxLineLength:      4096,
		MaxPendingCommands: 32,
	}
}

func (c *Config) validate() error {
	var errs []error
	if c.MaxLineLength < 64 {
		errs = append(errs, fmt.Errorf("max_line_length must be at least 64, got %d", c.MaxLineLength))
	}
	if c.MaxPendingCommands < 1 || c.MaxPendingCommands > 1024 {
		errs = append(errs, fmt.Errorf("max_pending_commands must be in [1, 1024], got %d", c.MaxPendingCommands))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("analyzer/pop3: %w", err)
	}
	return nil
}
