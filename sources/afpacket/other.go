//go:build !linux

package afpacket

import (
	"errors"
	"time"

	"github.com/weirnet/weir/sources"
	"github.com/weirnet/weir/sources/live"
)

// ErrUnsupported is returned by Open where there is no AF_PACKET: use
// sources/pcaplive there.
var ErrUnsupported = errors.New("afpacket: AF_PACKET exists only on Linux; use pcaplive")

// Source is only implemented on Linux.
type Source struct{}

// Open fails with ErrUnsupported.
func Open(cfg Config) (*Source, error) { return nil, ErrUnsupported }

func (*Source) Next(*sources.Frame) error                    { return ErrUnsupported }
func (*Source) NextWait(*sources.Frame, time.Duration) error { return ErrUnsupported }
func (*Source) Name() string                                 { return "" }
func (*Source) Close() error                                 { return nil }
func (*Source) Stats() Stats                                 { return Stats{} }
func (*Source) CaptureStats() live.CaptureStats              { return live.CaptureStats{} }
func (*Source) Refilter(string) (func() error, error)        { return nil, ErrUnsupported }

// DropPrivileges fails with ErrUnsupported.
func DropPrivileges(string, bool) error { return ErrUnsupported }
