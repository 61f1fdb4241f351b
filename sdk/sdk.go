package sdk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/logs/schema"
	"github.com/weirnet/weir/sdk/event"
)

// Handler is what a plugin implements. The lifecycle, once per process:
//
//	Init(ctx)              optional (Initializer): decode options, validate, subscribe
//	Restore(state)         optional (Snapshotter): only when resuming after a crash
//	Open(ctx, ts)          optional (Opener): the network time of the first packet
//	Handle(ctx, batch)*    every batch, in the core's order
//	Close(ctx, ts)         optional (Closer): the run ends; the SDK closes the logs after it
//
// Handle is called from one goroutine at a time. It receives the events of
// the kinds the plugin subscribed to, in the order the core published them
// (network time, then a stable tie-break). The batch and everything it
// points to are the handler's to keep.
//
// An error from Handle is a failure of the plugin: the core restarts it
// and sends the batch again, and disables a plugin that keeps failing. Bad
// traffic is not an error: write it to the log or count it.
type Handler interface {
	Handle(ctx *Context, batch []event.Event) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx *Context, batch []event.Event) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx *Context, batch []event.Event) error { return f(ctx, batch) }

// Initializer is implemented by a handler that needs its options or must
// subscribe depending on them. Init runs before any event; an error stops
// the core's start-up with the error's message, so name the option.
type Initializer interface {
	Init(ctx *Context) error
}

// Opener is implemented by a handler that wants the network time of the
// run's first packet before the first batch (Context.OpenTS has it too).
// After a restart it is called again, in the new process.
type Opener interface {
	Open(ctx *Context, ts int64) error
}

// Closer is implemented by a handler with something to finish when the run
// ends, at network time ts: records it held back, summaries. It may still
// write to its logs; the SDK closes them afterwards.
type Closer interface {
	Close(ctx *Context, ts int64) error
}

// Rotator is implemented by a handler with something to write to its logs
// before they rotate at network time ts (records it holds back that belong
// in the closing files). After it returns, the SDK closes every log
// created with Context.CreateLog or registered with TrackLog (#close at
// ts), renames it Zeek-style, <path>.<open>-<close>.log, and continues in a
// new file opening at ts; the writers stay valid. The core asks for a
// rotation between two batches: at an interval of network time, when a log
// grows past a size, or on SIGHUP.
type Rotator interface {
	Rotate(ctx *Context, ts int64) error
}

// Snapshotter is implemented by a handler that keeps state across batches
// that its future output depends on (a table of open transactions, what
// was already reported). The SDK saves the snapshot with each checkpoint
// and, when the plugin is restarted after a crash, calls Restore with the
// last one before the first batch, so the output is the same as without
// the crash. A handler without it must produce the same lines from a fresh
// start at any batch boundary (stateless, like a conn log).
type Snapshotter interface {
	Snapshot() ([]byte, error)
	Restore(state []byte) error
}

// Option configures Serve.
type Option func(*settings)

type settings struct {
	kinds     []event.Kind
	ports     []uint16
	protocols []string
	logs      []string
	logger    hclog.Logger
	noRotate  bool
}

// Subscribe adds event kinds to the plugin's subscriptions.
func Subscribe(kinds ...event.Kind) Option {
	return func(s *settings) { s.kinds = append(s.kinds, kinds...) }
}

// StreamPorts restricts StreamData and Datagram events to connections
// whose responder port is one of ports (subscribe to the kinds as well).
func StreamPorts(ports ...uint16) Option {
	return func(s *settings) { s.ports = append(s.ports, ports...) }
}

// StreamProtocols restricts StreamData and Datagram events to connections
// in which the core detected one of the protocols (lower case names as in
// conn.log's service field).
func StreamProtocols(protocols ...string) Option {
	return func(s *settings) { s.protocols = append(s.protocols, protocols...) }
}

// Logs names the logs the plugin writes ("redis"), for display by
// `analyzer plugins`.
func Logs(paths ...string) Option {
	return func(s *settings) { s.logs = append(s.logs, paths...) }
}

// WithoutRotation tells the core not to rotate the plugin's logs (it
// writes to a pipe, or rotates on its own): the core then treats it as a
// plugin built with an SDK from before rotation, whose logs stay one file
// each.
func WithoutRotation() Option {
	return func(s *settings) { s.noRotate = true }
}

// WithLogger sets the logger of the plugin process. By default it writes
// JSON lines to stderr, which the core shows with the plugin's name.
func WithLogger(l hclog.Logger) Option {
	return func(s *settings) { s.logger = l }
}

// Context is the plugin's view of the run: its options, subscriptions,
// logs. It is valid for the life of the process; its methods are meant for
// the goroutine that calls the handler.
type Context struct {
	instance string
	options  []byte
	settings *settings
	inInit   bool
	openTS   int64
	logger   hclog.Logger
	logs     *logSet
}

// Instance returns the plugin's name in the core's configuration.
func (c *Context) Instance() string { return c.instance }

// Logger returns the plugin's logger.
func (c *Context) Logger() hclog.Logger { return c.logger }

// OpenTS returns the network time of the first packet of the run (0 before
// the core opened the plugin).
func (c *Context) OpenTS() int64 { return c.openTS }

// DecodeOptions decodes the plugin's options (its [plugin.options] table in
// the core's configuration, as JSON) into v, a pointer to a struct with
// json tags holding the defaults. A key v has no field for is an error
// naming the key, so that a typo is not ignored. Without options v keeps
// its defaults.
func (c *Context) DecodeOptions(v any) error {
	if len(bytes.TrimSpace(c.options)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(c.options))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: options: %w", c.instance, err)
	}
	return nil
}

// Subscribe adds event kinds to the subscriptions. Only during Init.
func (c *Context) Subscribe(kinds ...event.Kind) {
	c.mustInit("Subscribe")
	c.settings.kinds = append(c.settings.kinds, kinds...)
}

// StreamPorts is the Option of that name, during Init.
func (c *Context) StreamPorts(ports ...uint16) {
	c.mustInit("StreamPorts")
	c.settings.ports = append(c.settings.ports, ports...)
}

// StreamProtocols is the Option of that name, during Init.
func (c *Context) StreamProtocols(protocols ...string) {
	c.mustInit("StreamProtocols")
	c.settings.protocols = append(c.settings.protocols, protocols...)
}

func (c *Context) mustInit(what string) {
	if !c.inInit {
		panic("sdk: Context." + what + " called outside Init")
	}
}

// LogOptions returns the options a log of this plugin must be created
// with: the core's directory, format and compression. Prefer CreateLog,
// which also registers the log for checkpoints; a handler that calls
// logs.Create itself must use these options and pass the writer to
// TrackLog.
//
// After a crash the directory may be a staging directory of the SDK's
// (see the package documentation): do not build paths from it.
func (c *Context) LogOptions() logs.Options { return c.logs.options() }

// CreateLog creates the log l (its file <path>.log in the core's log
// directory) with #open at network time openTS, and registers it for
// checkpoints. The SDK flushes it at every checkpoint and closes it (with
// #close at the run's end) after the handler's Close: do not Close it
// yourself. Schemas of a plugin's own logs come from schema.Parse, for
// example of an embedded JSON file.
//
// After a crash, CreateLog continues the file the crashed process wrote,
// from its last checkpoint.
func (c *Context) CreateLog(l *schema.Log, openTS int64) (*logs.Writer, error) {
	w, err := logs.Create(l, c.logs.options(), openTS)
	if err != nil {
		return nil, err
	}
	if err := c.logs.track(w, zeekTime(openTS)); err != nil {
		_ = w.Close(openTS)
		return nil, err
	}
	return w, nil
}

// TrackLog registers a writer the handler created itself with
// LogOptions, so that checkpoints flush it and the SDK closes it. Tracking
// a writer twice is harmless.
func (c *Context) TrackLog(w *logs.Writer) error { return c.logs.track(w, "") }

func (s *settings) normalize() {
	slices.Sort(s.kinds)
	s.kinds = slices.Compact(s.kinds)
	slices.Sort(s.ports)
	s.ports = slices.Compact(s.ports)
	slices.Sort(s.protocols)
	s.protocols = slices.Compact(s.protocols)
}
