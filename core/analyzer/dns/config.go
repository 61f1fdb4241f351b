package dns

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Config is the analyzer's configuration, the [analyzer.dns] table of the
// configuration file (see sample.toml). New fills in the defaults; keys the
// struct does not have are an error.
type Config struct {
	// Ports are the port hints: traffic to these TCP or UDP ports is
	// analyzed as DNS without waiting for content detection. Zeek's
	// DNS::ports: 53 (DNS), 137 (NetBIOS name service), 5353 (mDNS) and
	// 5355 (LLMNR).
	Ports []uint16 `toml:"ports"`

	// MaxQueries is Zeek's dns_max_queries: a message claiming more
	// questions is not DNS (weird DNS_Conn_count_too_large, violation).
	MaxQueries int `toml:"max_queries"`

	// MaxPendingMsgs and MaxPendingQueryIDs are Zeek's DNS::max_pending_msgs
	// and DNS::max_pending_query_ids: once more unmatched queries (or
	// replies) than this wait under one transaction id, or unmatched ones
	// wait under more ids than this, they are logged unmatched.
	MaxPendingMsgs     int `toml:"max_pending_msgs"`
	MaxPendingQueryIDs int `toml:"max_pending_query_ids"`

	// MaxCompressionDepth is Zeek's dns_max_compression_chain_depth: how
	// many compression pointers one name may follow.
	MaxCompressionDepth int `toml:"max_compression_depth"`

	// MaxAnswerBytes bounds the answer text kept for one record; answers
	// beyond it are dropped (weird DNS_answers_truncated). Zeek has no such
	// bound.
	MaxAnswerBytes int `toml:"max_answer_bytes"`

	// MaxPendingBytes bounds the memory one connection's unmatched
	// transactions may hold; beyond it they are logged unmatched at once
	// (weird DNS_pending_limit). Zeek has no such bound.
	MaxPendingBytes int `toml:"max_pending_bytes"`

	// MulticastSubnets is Zeek's DNS::multicast_subnets: messages sent to
	// these addresses are logged one record per message, unpaired.
	MulticastSubnets []string `toml:"multicast_subnets"`

	// SessionTimeout is Zeek's dns_session_timeout: a DNS connection over
	// UDP is removed (and logged) once idle this long, checked every
	// SessionTimeout with a second of slack, as Zeek's DNS analyzer does,
	// rather than after the UDP inactivity timeout. "0s" disables it.
	SessionTimeout Duration `toml:"session_timeout"`

	multicast []netip.Prefix
}

// Duration is a time.Duration written as a string in TOML ("10s").
type Duration struct{ time.Duration }

// UnmarshalText parses a duration such as "10s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back as a string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Defaults.
const (
	DefaultMaxQueries          = 25
	DefaultMaxPendingMsgs      = 50
	DefaultMaxPendingQueryIDs  = 50
	DefaultMaxCompressionDepth = 20
	DefaultMaxAnswerBytes      = 1 << 20
	DefaultMaxPendingBytes     = 4 << 20
)

// DefaultConfig returns Zeek's defaults.
func DefaultConfig() Config {
	return Config{
		Ports:               []uint16{53, 137, 5353, 5355},
		MaxQueries:          DefaultMaxQueries,
		MaxPendingMsgs:      DefaultMaxPendingMsgs,
		MaxPendingQueryIDs:  DefaultMaxPendingQueryIDs,
		MaxCompressionDepth: DefaultMaxCompressionDepth,
		MaxAnswerBytes:      DefaultMaxAnswerBytes,
		MaxPendingBytes:     DefaultMaxPendingBytes,
		MulticastSubnets:    []string{"224.0.0.0/4", "ff00::/8"},
		SessionTimeout:      Duration{10 * time.Second},
	}
}

// validate checks c and prepares its parsed forms.
func (c *Config) validate() error {
	var errs []error
	positive := func(name string, v int) {
		if v < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %d", name, v))
		}
	}
	positive("max_queries", c.MaxQueries)
	positive("max_pending_msgs", c.MaxPendingMsgs)
	positive("max_pending_query_ids", c.MaxPendingQueryIDs)
	if c.MaxCompressionDepth < 1 {
		errs = append(errs, fmt.Errorf("max_compression_depth must be at least 1, got %d", c.MaxCompressionDepth))
	}
	if c.MaxAnswerBytes < 1024 {
		errs = append(errs, fmt.Errorf("max_answer_bytes must be at least 1024, got %d", c.MaxAnswerBytes))
	}
	if c.SessionTimeout.Duration < 0 {
		errs = append(errs, fmt.Errorf("session_timeout must not be negative, got %v", c.SessionTimeout.Duration))
	}
	if c.MaxPendingBytes < 1024 {
		errs = append(errs, fmt.Errorf("max_pending_bytes must be at least 1024, got %d", c.MaxPendingBytes))
	}
	c.multicast = c.multicast[:0]
	for _, s := range c.MulticastSubnets {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("multicast_subnets: %w", err))
			continue
		}
		c.multicast = append(c.multicast, p.Masked())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("analyzer/dns: %w", err)
	}
	return nil
}

func (c *Config) isMulticast(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range c.multicast {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
