package ssh

import (
	_ "embed"
	"errors"
	"fmt"

	"github.com/weirnet/weir/core/flow"
)

// Config is the [analyzer.ssh] table. Defaults come from DefaultConfig;
// the TOML table overrides them key by key.
type Config struct {
	// Ports are the port hints (Zeek's SSH::ports).
	Ports []uint16 `toml:"ports"`

	// LocalNets decide ssh.log's direction: a client in them logging into
	// a server outside is OUTBOUND, the reverse INBOUND, anything else
	// unset (Zeek's Site::local_nets). Empty: Zeek's private address
	// space, as weir's conn.log uses by default.
	LocalNets []string `toml:"local_nets"`

	// CompressionAlgorithms is SSH::compression_algorithms: with one of
	// these negotiated, packet sizes say nothing about authentication,
	// so no verdict is given.
	CompressionAlgorithms []string `toml:"compression_algorithms"`

	// MaxPacket bounds a key-exchange packet (they are read before
	// encryption starts). A longer one is not SSH as weir reads it (RFC
	// 4253 asks for 35000 bytes at least).
	MaxPacket int `toml:"max_packet"`

	// MaxBannerLines bounds the lines a server may send before its
	// version banner (RFC 4253 section 4.2).
	MaxBannerLines int `toml:"max_banner_lines"`
}

// DefaultConfig returns Zeek's defaults.
func DefaultConfig() Config {
	return Config{
		Ports:                 []uint16{22},
		LocalNets:             []string{},
		CompressionAlgorithms: []string{"zlib", "zlib@openssh.com"},
		MaxPacket:             64 << 10,
		MaxBannerLines:        32,
	}
}

// Validate reports the first unusable setting.
func (c *Config) Validate() error {
	if c.MaxPacket < 35000 || c.MaxPacket > 1<<20 {
		return fmt.Errorf("max_packet %d: want 35000 to 1 MiB", c.MaxPacket)
	}
	if c.MaxBannerLines < 0 || c.MaxBannerLines > 1024 {
		return fmt.Errorf("max_banner_lines %d: want 0 to 1024", c.MaxBannerLines)
	}
	for _, p := range c.Ports {
		if p == 0 {
			return errors.New("ports: port 0 is not a valid hint")
		}
	}
	if _, err := c.nets(); err != nil {
		return err
	}
	return nil
}

func (c *Config) nets() (*flow.Nets, error) {
	if len(c.LocalNets) == 0 {
		return flow.ParseNets(flow.ZeekPrivateAddressSpace)
	}
	n, err := flow.ParseNets(c.LocalNets)
	if err != nil {
		return nil, fmt.Errorf("local_nets: %w", err)
	}
	return n, nil
}

// SampleConfig is sample.toml: every key with its default.
//
//go:embed sample.toml
var SampleConfig string
