package ftp

import (
	"errors"
	"fmt"
)

// Config is the analyzer's configuration, the [analyzer.ftp] table of the
// configuration file. New fills in the defaults; keys the struct does not
// have are an error.
type Config struct {
	// Ports are the port hints: connections to these TCP ports are
	// analyzed as FTP at once, without waiting for content detection.
	// Zeek's FTP::ports (21, and 2811 for GridFTP).
	Ports []uint16 `toml:"ports"`

	// MaxLineLength bounds one buffered command or reply line; a longer
	// line is cut there (weird contentline_size_exceeded).
	MaxLineLength int `toml:"max_line_length"`

	// MaxPendingCommands bounds the pipelined commands waiting for a
	// reply; beyond it the oldest is forgotten (weird
	// ftp_too_many_pending_commands).
	MaxPendingCommands int `toml:"max_pending_commands"`
}

// DefaultConfig returns Zeek's defaults.
func DefaultConfig() Config {
	return Config{
		Ports:              []uint16{21, 2811},
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
		return fmt.Errorf("analyzer/ftp: %w", err)
	}
	return nil
}
