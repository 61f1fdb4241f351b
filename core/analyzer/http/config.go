package http

import (
	_ "embed"
	"errors"
	"fmt"
)

// Config is the [analyzer.http] table. Defaults come from DefaultConfig;
// the TOML table overrides them key by key.
type Config struct {
	// Ports are the port hints: traffic to these responder ports is
	// given to the analyzer before its content is recognised (Zeek's
	// HTTP::ports without 631 and 1080, which Zeek's DPD also reaches by
	// content).
	Ports []uint16 `toml:"ports"`

	// CapturePassword logs the password of Basic authorization, Zeek's
	// HTTP::default_capture_password. Off by default: passwords in logs
	// are a liability. The user name is always logged.
	CapturePassword bool `toml:"capture_password"`

	// MaxLineLength bounds a request line, status line or header line.
	// A longer line is cut at this length, the rest is read as the next
	// line, and the weird contentline_size_exceeded is reported. Zeek's
	// limit is 16 MB; a line is buffered only while it spans segments,
	// and this bound is what one connection direction may hold.
	MaxLineLength int `toml:"max_line_length"`

	// MaxHeaderBytes bounds one header with its continuation lines
	// (Zeek's MIME::max_header_bytes): further continuation lines are
	// dropped with the weird exceeded_mime_max_header_bytes.
	MaxHeaderBytes int `toml:"max_header_bytes"`

	// MaxPendingRequests is Zeek's HTTP::max_pending_requests: when more
	// requests than this wait for replies, they are all logged without
	// their replies (weird HTTP_excessive_pipelining). It bounds the
	// records one connection holds.
	MaxPendingRequests int `toml:"max_pending_requests"`

	// MaxFiles is Zeek's HTTP::max_files_orig and max_files_resp: at
	// most this many file names and MIME types per direction and record.
	MaxFiles int `toml:"max_files"`

	// MIMESniffBytes is how many leading bytes of a body are kept to
	// sniff its MIME type, Zeek's default_file_bof_buffer_size. 0 turns
	// sniffing off.
	MIMESniffBytes int `toml:"mime_sniff_bytes"`

	// Decompress counts and sniffs bodies with Content-Encoding gzip,
	// x-gzip or deflate after decompression, as Zeek does. Off: the
	// compressed bytes are counted and sniffed.
	Decompress bool `toml:"decompress"`
}

// DefaultConfig returns Zeek's defaults.
func DefaultConfig() Config {
	return Config{
		Ports:              []uint16{80, 81, 3128, 8000, 8080, 8888},
		MaxLineLength:      64 << 10,
		MaxHeaderBytes:     1024,
		MaxPendingRequests: 100,
		MaxFiles:           15,
		MIMESniffBytes:     4096,
		Decompress:         true,
	}
}

// Validate reports the first unusable setting.
func (c *Config) Validate() error {
	switch {
	case c.MaxLineLength < 256:
		return fmt.Errorf("max_line_length %d: want at least 256", c.MaxLineLength)
	case c.MaxLineLength > 64<<20:
		return fmt.Errorf("max_line_length %d: want at most 64 MiB", c.MaxLineLength)
	case c.MaxHeaderBytes < 0:
		return errors.New("max_header_bytes must not be negative")
	case c.MaxPendingRequests < 0:
		return errors.New("max_pending_requests must not be negative")
	case c.MaxPendingRequests > 1<<20:
		return fmt.Errorf("max_pending_requests %d: want at most %d", c.MaxPendingRequests, 1<<20)
	case c.MaxFiles < 0:
		return errors.New("max_files must not be negative")
	case c.MIMESniffBytes < 0 || c.MIMESniffBytes > 1<<20:
		return fmt.Errorf("mime_sniff_bytes %d: want 0 to 1 MiB", c.MIMESniffBytes)
	}
	for _, p := range c.Ports {
		if p == 0 {
			return errors.New("ports: port 0 is not a valid hint")
		}
	}
	return nil
}

// SampleConfig is sample.toml: every key with its default.
//
//go:embed sample.toml
var SampleConfig string
