package host

import (
	"errors"
	"fmt"

	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/sdk"
	sdkevent "github.com/weirnet/weir/sdk/event"
)

// LogWriterer is implemented by an in-process plugin that can run out of
// process: it returns the log writers it has created so far, all with the
// logs.Options its factory received. The SDK flushes them at every
// checkpoint and records their sizes; without them a crash could lose or
// repeat lines, so ServeBus refuses a plugin that lacks the method.
type LogWriterer interface {
	LogWriters() []*logs.Writer
}

// Snapshotter is implemented by an in-process plugin whose future output
// depends on state kept across batches (weird's "already logged for this
// connection" table): see sdk.Snapshotter. Without it, a plugin restarted
// after a crash starts from empty state at its last checkpoint.
type Snapshotter = sdk.Snapshotter

// BusFactory builds the in-process plugin when the core has configured the
// plugin process. It must create its logs with ctx.LogOptions(); it may
// decode its options with ctx.DecodeOptions.
type BusFactory func(ctx *sdk.Context) (bus.Plugin, error)

// ServeBus serves the in-process plugin that factory builds over the
// plugin protocol, for the analyzer binary started as
// `analyzer plugin-serve NAME` (see SelfCommand). It returns when the core
// is done with the process.
func ServeBus(name string, factory BusFactory, opts ...sdk.Option) {
	sdk.Serve(name, &busHandler{factory: factory}, opts...)
}

// busHandler adapts a bus.Plugin to sdk.Handler.
type busHandler struct {
	factory BusFactory
	p       bus.Plugin
	lw      LogWriterer
	opened  bool
	events  []event.Event
}

func (h *busHandler) Init(ctx *sdk.Context) error {
	p, err := h.factory(ctx)
	if err != nil {
		return err
	}
	lw, ok := p.(LogWriterer)
	if !ok {
		return fmt.Errorf("plugin %s cannot run out of process: it does not implement host.LogWriterer", p.Name())
	}
	h.p, h.lw = p, lw
	for _, k := range p.Subscriptions() {
		ctx.Subscribe(sdkevent.Kind(k))
	}
	return nil
}

func (h *busHandler) Open(ctx *sdk.Context, ts int64) error {
	if h.opened {
		return nil
	}
	h.opened = true
	return h.p.Open(ts)
}

func (h *busHandler) Handle(ctx *sdk.Context, batch []sdkevent.Event) error {
	if !h.opened {
		if err := h.Open(ctx, ctx.OpenTS()); err != nil {
			return err
		}
	}
	// The bus contract: the plugin may keep the payloads, not the slice.
	h.events = fromSDK(h.events[:0], batch)
	err := h.p.Handle(h.events)
	clear(h.events)
	return errors.Join(err, h.track(ctx))
}

// track registers the writers the plugin created since the last batch.
func (h *busHandler) track(ctx *sdk.Context) error {
	for _, w := range h.lw.LogWriters() {
		if err := ctx.TrackLog(w); err != nil {
			return err
		}
	}
	return nil
}

func (h *busHandler) Close(ctx *sdk.Context, ts int64) error {
	if !h.opened {
		if err := h.Open(ctx, ctx.OpenTS()); err != nil {
			return err
		}
	}
	// Writers created during Close are tracked too, so the SDK completes
	// them; the plugin closes its own.
	return errors.Join(h.p.Close(ts), h.track(ctx))
}

// Snapshot implements sdk.Snapshotter for plugins that implement it.
func (h *busHandler) Snapshot() ([]byte, error) {
	if s, ok := h.p.(Snapshotter); ok {
		return s.Snapshot()
	}
	return nil, nil
}

// Restore implements sdk.Snapshotter for plugins that implement it.
func (h *busHandler) Restore(state []byte) error {
	if s, ok := h.p.(Snapshotter); ok {
		return s.Restore(state)
	}
	return nil
}

var (
	_ sdk.Initializer = (*busHandler)(nil)
	_ sdk.Opener      = (*busHandler)(nil)
	_ sdk.Closer      = (*busHandler)(nil)
	_ sdk.Snapshotter = (*busHandler)(nil)
)
