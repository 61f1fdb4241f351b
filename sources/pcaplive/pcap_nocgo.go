//go:build !cgo || !unix

package pcaplive

import (
	"time"

	"github.com/weirnet/weir/sources"
	"github.com/weirnet/weir/sources/live"
)

// Source is only implemented with cgo on Unix systems.
type Source struct{}

// Open fails with ErrUnsupported.
func Open(Config) (*Source, error) { return nil, ErrUnsupported }

func (*Source) Next(*sources.Frame) error                    { return ErrUnsupported }
func (*Source) NextWait(*sources.Frame, time.Duration) error { return ErrUnsupported }
func (*Source) Name() string                                 { return "" }
func (*Source) LinkType() uint32                             { return 0 }
func (*Source) Snaplen() int                                 { return 0 }
func (*Source) Close() error                                 { return nil }
func (*Source) CaptureStats() live.CaptureStats              { return live.CaptureStats{} }

func (*Source) Refilter(string) (func() error, error) { return nil, ErrUnsupported }
