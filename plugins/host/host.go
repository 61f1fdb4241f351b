// Package host runs weir plugins in their own processes: it launches a
// plugin binary with hashicorp/go-plugin, speaks the plugin protocol
// (sdk/proto/weir/v1) to it over gRPC, and presents it to the event bus as
// a bus.Plugin. It also serves an in-process bus.Plugin over that protocol,
// which is how the analyzer binary runs its built-in log plugins out of
// process (ServeBus).
//
// # Delivery
//
// Handle converts the bus's events into protobuf and packs them into
// batches of Config.BatchEvents events (2048 by default, fewer when they
// reach protocol.MaxBatchBytes) on one long-lived
// bidirectional gRPC stream; there is no call per event. A batch is kept
// until the plugin acknowledges it; at most Config.Window batches are kept.
// In replay mode (the default) Handle blocks while the window is full, so a
// slow plugin slows the replay down and nothing is lost. In live mode
// (Config.Live) Handle never blocks: up to Config.LiveQueue more batches
// wait, and beyond that batches are dropped and counted (Stats.Dropped),
// unless a spill is configured (Config.SpillDir): then they wait in a file,
// up to Config.SpillMaxBytes, and reach the plugin in order once it has
// room again; see spill.go.
//
// # Failures
//
// A plugin process that exits, crashes, breaks the stream, fails a health
// check or leaves a batch unacknowledged for Config.AckTimeout is killed
// and started again after an exponential backoff. The new process resumes
// from its checkpoint (see package sdk) and the host sends it again every
// batch after that checkpoint, so the logs end up exactly as without the
// failure. A plugin that fails more than Config.MaxRestarts times within
// Config.RestartWindow is disabled: the host logs one error, drops (and
// counts) its events from then on, and Close returns the error. Handle never
// returns an error, so the other plugins and the core go on. A killed
// process's unix socket is removed with it: see sockets.go.
//
// # Rotation
//
// Plugin implements bus.Rotator and bus.Sizer. A rotation travels in the
// event stream, on the batch being filled, so that it falls between exactly
// the events handed over before and after it; see rotate.go.
//
// # Versions and trust
//
// The host offers plugin protocol version protocol.Version; a plugin built
// for another version is refused with an error naming both. A plugin binary
// can be pinned by its SHA-256 (Config.SHA256): go-plugin checks it before
// starting the process. The connection uses go-plugin's AutoMTLS.
package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/status"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/conn"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
	sdkevent "github.com/weirnet/weir/sdk/event"
	"github.com/weirnet/weir/sdk/protocol"
)

// Config describes one out-of-process plugin.
type Config struct {
	// Name is the instance name: unique among the plugins of a run, the
	// name in messages and statistics, and the name of the plugin's
	// checkpoint file in the log directory.
	Name string
	// Path is the plugin binary; Args are its arguments. For a built-in
	// plugin served by the analyzer binary, see SelfCommand.
	Path string
	Args []string
	// SHA256, if set, pins the binary: the hex SHA-256 of Path. A binary
	// that does not match is not started.
	SHA256 string
	// Options are passed to the plugin as a JSON object (the [plugin.options]
	// table of the configuration). The plugin rejects keys it does not know.
	Options map[string]any
	// Logs says where and how the plugin writes its logs.
	Logs logs.Options
	// Live selects live mode: never block the bus, drop (and count) what
	// does not fit in the queue. Replay mode blocks instead.
	Live bool

	// BatchEvents is the number of events per batch message (default
	// 2048; at least 64). Per-batch costs (a gRPC message, a wake-up on
	// each side, a checkpoint every Window/2 batches) make small batches
	// expensive: see BenchmarkOutOfProcess.
	BatchEvents int
	// Window is the number of unacknowledged batches kept (default 32).
	// The plugin checkpoints and acknowledges every Window/2 batches.
	Window int
	// LiveQueue is the number of further batches that may wait in live
	// mode before batches are dropped (default 32). Memory in flight is
	// about (Window+LiveQueue) × BatchEvents × 200 bytes: 26 MB by default.
	LiveQueue int
	// SpillDir, if set, gives live mode a spill: batches that find the
	// live queue full are written to a file in this directory
	// (weir-NAME.spill, created when needed, mode 0600; the directory is
	// created with mode 0700 if missing) instead of being dropped, and
	// delivered in order when the plugin catches up. A file of a previous
	// run found there at launch is removed, not replayed. Replay mode
	// never spills: it waits.
	SpillDir string
	// SpillMaxBytes bounds the spill file (default DefaultSpillMaxBytes,
	// at least MinSpillMaxBytes); batches beyond it are dropped and
	// counted. The spill's memory does not grow with it, but reading
	// batches back may keep up to (Window+LiveQueue) buffers of up to
	// protocol.MaxBatchBytes besides the encoders'.
	SpillMaxBytes int64
	// FlushInterval: a partial batch, and acknowledgements, are pushed out
	// after this much time without a full batch (default 1s), so that a
	// quiet live sensor's logs do not lag.
	FlushInterval time.Duration
	// AckTimeout: a plugin that leaves a batch unacknowledged this long
	// after FlushInterval is considered hung (default 30s). It also bounds
	// the Configure, Open and Close calls.
	AckTimeout time.Duration
	// HealthInterval is the period of gRPC health checks (default 5s);
	// a check that takes longer than that fails.
	HealthInterval time.Duration
	// StartTimeout bounds the start of the process and its handshake
	// (default 10s).
	StartTimeout time.Duration
	// MaxRestarts within RestartWindow, after which the plugin is disabled
	// (defaults 5 and 1m).
	MaxRestarts   int
	RestartWindow time.Duration
	// BackoffMin and BackoffMax bound the wait before a restart, which
	// doubles with each failure in the window (defaults 100ms and 10s).
	BackoffMin, BackoffMax time.Duration

	// Logger receives the host's messages about the plugin and the
	// plugin's own log lines. Default: warnings and errors to stderr.
	Logger hclog.Logger
}

// Defaults.
const (
	DefaultBatchEvents = 2048
	MinBatchEvents     = 64
	DefaultWindow      = 32
	DefaultLiveQueue   = 32
)

func (c *Config) applyDefaults() error {
	if c.Name == "" {
		return errors.New("plugins/host: plugin without a name")
	}
	if c.Path == "" {
		return fmt.Errorf("plugin %s: no path to the plugin binary", c.Name)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.BatchEvents <= 0 {
		c.BatchEvents = DefaultBatchEvents
	}
	if c.BatchEvents < MinBatchEvents {
		return fmt.Errorf("plugin %s: batch_events %d is below %d", c.Name, c.BatchEvents, MinBatchEvents)
	}
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	if c.Window < 2 {
		return fmt.Errorf("plugin %s: window %d: want at least 2", c.Name, c.Window)
	}
	if c.LiveQueue <= 0 {
		c.LiveQueue = DefaultLiveQueue
	}
	switch {
	case c.SpillMaxBytes < 0:
		return fmt.Errorf("plugin %s: spill_max_bytes %d is negative", c.Name, c.SpillMaxBytes)
	case c.SpillDir == "" && c.SpillMaxBytes > 0:
		return fmt.Errorf("plugin %s: spill_max_bytes is set without spill_dir", c.Name)
	case c.SpillDir != "" && c.SpillMaxBytes == 0:
		c.SpillMaxBytes = DefaultSpillMaxBytes
	case c.SpillDir != "" && c.SpillMaxBytes < MinSpillMaxBytes:
		return fmt.Errorf("plugin %s: spill_max_bytes %d is below %d (two batches of the largest size)", c.Name, c.SpillMaxBytes, MinSpillMaxBytes)
	}
	def(&c.FlushInterval, time.Second)
	def(&c.AckTimeout, 30*time.Second)
	def(&c.HealthInterval, 5*time.Second)
	def(&c.StartTimeout, 10*time.Second)
	def(&c.RestartWindow, time.Minute)
	def(&c.BackoffMin, 100*time.Millisecond)
	def(&c.BackoffMax, 10*time.Second)
	if c.MaxRestarts <= 0 {
		c.MaxRestarts = 5
	}
	if c.Logger == nil {
		c.Logger = hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Warn, Output: os.Stderr})
	}
	return nil
}

// SelfCommand returns the path and arguments that start the running binary
// in plugin mode for the built-in plugin name: `<self> plugin-serve <name>`.
// The analyzer's main calls ServeBus when started so.
func SelfCommand(name string) (path string, args []string, err error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, fmt.Errorf("plugins/host: %w", err)
	}
	return self, []string{"plugin-serve", name}, nil
}

// state of a Plugin.
type state int32

const (
	stateRunning    state = iota // a process is attached
	stateRestarting              // the process failed; the supervisor replaces it
	stateDisabled                // failed too often; events are dropped
	stateClosed
)

func (s state) String() string {
	return [...]string{"running", "restarting", "disabled", "closed"}[s]
}

// message is one batch, from encoding until acknowledged.
type message struct {
	enc      protocol.Encoder
	events   int
	seq      uint64
	sync     bool // asks for an acknowledgement at once
	rotate   bool // asks for the logs to rotate at rotateTS after the events
	rotateTS int64
	data     []byte // the encoded message, aliasing enc's buffer or buf
	buf      []byte // holds data for a batch read back from the spill
	sentAt   time.Time
}

// Plugin is an out-of-process plugin as the bus sees it. Handle, Open and
// Close are called by the bus's goroutine; Stats from any.
type Plugin struct {
	cfg    Config
	logger hclog.Logger
	desc   protocol.ConfigureResponse
	kinds  []event.Kind
	ports  *[65536 / 64]uint64 // nil: StreamData and Datagram from any port

	// sockDir is the private directory of the processes' unix sockets
	// (sockets.go), from Launch until the plugin is closed or disabled.
	sockDir string

	// fillMu guards the batch being filled, which the bus's goroutine
	// owns, against the supervisor's flush of a partial batch.
	fillMu   sync.Mutex
	cur      *message
	sc       scratch
	sev      sdkevent.Event
	disabled atomic.Bool

	// openMu keeps Open and a restart from interleaving, so that every
	// process is opened once the bus has opened the plugin.
	openMu sync.Mutex

	mu       sync.Mutex
	cond     *sync.Cond
	queue    []*message // sealed, in sequence order, unacknowledged
	sent     int        // queue[:sent] were sent on the current process's stream
	nextSeq  uint64
	free     []*message
	state    state
	gen      uint64 // incremented whenever the current process is abandoned
	proc     *proc  // the current process; nil while restarting
	openTS   int64
	opened   bool
	lastSeal time.Time
	lastAck  time.Time
	failure  error       // why the current process is being replaced
	err      error       // why the plugin was disabled
	failures []time.Time // within RestartWindow
	stats    Stats
	acked    uint64 // the last batch acknowledged

	// spill holds, in live mode with Config.SpillDir, the batches sealed
	// after the queue was full, in sequence order after the queue's: when
	// it is not empty, every new batch goes there too (spill.go).
	spill *spill

	// Rotation (rotate.go).
	rotated   map[uint64][]string // replay: files closed by rotating batch seq, for Rotate to collect
	rotSeq    uint64              // the last rotating batch
	onRotate  func(paths []string)
	noRotate  sync.Once // the warning that the plugin cannot rotate
	fileBytes atomic.Int64
	logBytes  atomic.Int64

	wake    chan struct{} // tells the supervisor to replace the process
	done    chan struct{} // stops the supervisor
	supDone chan struct{}
}

// Stats is what a plugin's host counted.
type Stats struct {
	State     string // running, restarting, disabled or closed
	Delivered uint64 // events the plugin acknowledged
	Dropped   uint64 // events not delivered: live-mode overflow, or after the plugin was disabled
	Pending   uint64 // events sent, queued or spilled, not yet acknowledged
	Batches   uint64 // batches sealed
	Restarts  int    // processes started after a failure

	// Spill (live mode with Config.SpillDir). Delivered + Dropped +
	// Pending is every event handed over; spilled events are counted
	// again in Delivered, or in Dropped, once their fate is known.
	SpilledEvents  uint64 // events written to the spill, in all
	SpilledBatches uint64 // batches written to the spill, in all
	SpillEvents    uint64 // events in the spill now
	SpillBytes     int64  // bytes in the spill file now
}

// Launch starts the plugin process, negotiates the protocol and configures
// the plugin. Errors are the user's to fix (a wrong path, a checksum or
// protocol version mismatch, a rejected option) and name the plugin.
func Launch(cfg Config) (*Plugin, error) {
	if err := cfg.applyDefaults(); err != nil {
		return nil, err
	}
	p := &Plugin{
		cfg:     cfg,
		logger:  cfg.Logger.Named(cfg.Name),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		supDone: make(chan struct{}),
	}
	p.cond = sync.NewCond(&p.mu)
	if cfg.SpillDir != "" {
		path, err := prepareSpill(&p.cfg, p.logger)
		if err != nil {
			return nil, err
		}
		if cfg.Live {
			p.spill = newSpill(path, cfg.SpillMaxBytes)
		}
	}
	var err error
	if p.sockDir, err = newSocketDir(cfg.Name); err != nil {
		return nil, err
	}
	pr, desc, err := p.start(false, false)
	if err != nil {
		p.removeSocketDir()
		return nil, err
	}
	p.desc = desc
	for _, k := range desc.Kinds {
		p.kinds = append(p.kinds, event.Kind(k))
	}
	if len(desc.DataPorts) > 0 {
		p.ports = new([65536 / 64]uint64)
		for _, port := range desc.DataPorts {
			p.ports[port/64] |= 1 << (port % 64)
		}
	}
	now := time.Now()
	p.lastSeal, p.lastAck = now, now
	p.attach(pr, 0, nil)
	go p.supervise()
	return p, nil
}

// Name implements bus.Plugin: the instance name.
func (p *Plugin) Name() string { return p.cfg.Name }

// SelfQueued reports whether the plugin bounds its own queue and never
// blocks Handle (live mode): the bus then calls it directly.
func (p *Plugin) SelfQueued() bool { return p.cfg.Live }

// Subscriptions implements bus.Plugin: the kinds the plugin declared.
func (p *Plugin) Subscriptions() []event.Kind { return append([]event.Kind(nil), p.kinds...) }

// DataSubscriptions returns the responder ports and detected protocols the
// plugin wants StreamData and Datagram events for (both empty: none, unless
// it subscribed to those kinds without a restriction). The core should
// produce such events only for connections someone wants.
func (p *Plugin) DataSubscriptions() (ports []uint16, protocols []string) {
	return append([]uint16(nil), p.desc.DataPorts...), append([]string(nil), p.desc.DataProtocols...)
}

// Taps returns the core's raw payload taps (conn.Config.Taps) that the
// plugins' StreamData and Datagram subscriptions need: the core publishes
// raw data only for the connections someone asked for.
func Taps(plugins ...*Plugin) []conn.Tap {
	var taps []conn.Tap
	for _, p := range plugins {
		var tr analyzer.Transport
		for _, k := range p.kinds {
			switch k {
			case event.KindStreamData:
				tr |= analyzer.TCP
			case event.KindDatagram:
				tr |= analyzer.UDP
			}
		}
		if tr == 0 {
			continue
		}
		ports, protocols := p.DataSubscriptions()
		taps = append(taps, conn.Tap{Transport: tr, Ports: ports, Services: protocols})
	}
	return taps
}

// Info returns what the plugin said about itself.
func (p *Plugin) Info() Info {
	return Info{Name: p.desc.Name, SDKVersion: p.desc.SDKVersion, Kinds: p.Subscriptions(),
		DataPorts: p.desc.DataPorts, DataProtocols: p.desc.DataProtocols, Logs: p.desc.Logs}
}

// Stats returns the plugin's counters.
func (p *Plugin) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.State = p.state.String()
	for _, m := range p.queue {
		s.Pending += uint64(m.events)
	}
	if p.spill != nil {
		s.Pending += p.spill.events
		s.SpillEvents, s.SpillBytes = p.spill.events, p.spill.bytes
	}
	return s
}

// Err returns why the plugin was disabled, or nil.
func (p *Plugin) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Open implements bus.Plugin. A failure is handled as a crash (restart),
// not returned.
func (p *Plugin) Open(ts int64) error {
	p.openMu.Lock()
	defer p.openMu.Unlock()
	p.mu.Lock()
	p.openTS, p.opened = ts, true
	pr := p.proc
	p.mu.Unlock()
	if pr == nil {
		return nil // restarting: the new process is opened when it starts
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.AckTimeout)
	defer cancel()
	if err := pr.rpc.Open(ctx, ts); err != nil {
		p.fail(pr, fmt.Errorf("open: %w", rpcError(err)))
	}
	return nil
}

// wants reports whether ev goes to the plugin; the bus has checked the kind.
// Raw data events are checked against the plugin's ports unless it also
// subscribed by protocol, which the events do not carry: the core's taps
// (Taps) produce them only for subscribed ports and protocols.
func (p *Plugin) wants(ev *event.Event) bool {
	if p.ports == nil || ev.Data == nil || len(p.desc.DataProtocols) > 0 {
		return true
	}
	port := ev.Data.ID.RespP
	return p.ports[port/64]&(1<<(port%64)) != 0
}

// Handle implements bus.Plugin. It encodes the events at once (the bus
// reuses them) and blocks only in replay mode, while the window is full.
// It never fails: a failing plugin is restarted or disabled instead.
func (p *Plugin) Handle(batch []event.Event) error {
	p.fillMu.Lock()
	defer p.fillMu.Unlock()
	for i := range batch {
		ev := &batch[i]
		if !p.wants(ev) {
			continue
		}
		if p.disabled.Load() {
			p.mu.Lock()
			p.stats.Dropped++
			p.mu.Unlock()
			continue
		}
		if p.cur == nil {
			p.cur = p.newMessage()
		}
		toSDK(ev, &p.sev, &p.sc)
		p.cur.enc.Append(&p.sev)
		p.cur.events++
		if p.cur.events >= p.cfg.BatchEvents || p.cur.enc.Size() >= protocol.MaxBatchBytes {
			p.seal(false)
		}
	}
	return nil
}

// newMessage returns an empty message, recycled if possible.
func (p *Plugin) newMessage() *message {
	p.mu.Lock()
	var m *message
	if n := len(p.free); n > 0 {
		m = p.free[n-1]
		p.free = p.free[:n-1]
	}
	p.mu.Unlock()
	if m == nil {
		m = new(message)
	}
	m.enc.Reset()
	m.events, m.seq, m.sync, m.data = 0, 0, false, nil
	m.rotate, m.rotateTS = false, 0
	return m
}

// recycle returns an acknowledged or dropped message; p.mu is held.
func (p *Plugin) recycle(m *message) {
	m.data = nil
	p.free = append(p.free, m)
}

// seal queues the batch being filled (p.fillMu is held), waiting for room
// in replay mode. A sync batch asks the plugin to acknowledge at once. It
// returns the batch's sequence number, 0 if it was dropped.
//
// In live mode a full queue drops the batch; a rotating batch loses its
// events but keeps its place, one beyond the bound, so that the files
// still rotate at the right time. With a spill, a batch that finds the
// queue full, or the spill not empty, goes to the spill instead
// (sealSpill), so that the batches stay in sequence order.
func (p *Plugin) seal(sync bool) uint64 {
	m := p.cur
	p.cur = nil
	p.mu.Lock()
	defer p.mu.Unlock()
	bound := p.cfg.Window + p.cfg.LiveQueue
	if p.spill != nil && (p.spill.count > 0 || len(p.queue) >= bound) &&
		(p.state == stateRunning || p.state == stateRestarting) {
		return p.sealSpill(m, sync)
	}
	if p.cfg.Live && len(p.queue) >= bound {
		if m.rotate && len(p.queue) == bound {
			p.stats.Dropped += uint64(m.events)
			m.enc.Reset()
			m.events = 0
		} else {
			if m.rotate {
				p.logger.Warn("live queue full: a rotation is dropped", "ts", m.rotateTS)
			}
			p.stats.Dropped += uint64(m.events)
			p.recycle(m)
			return 0
		}
	} else if !p.cfg.Live {
		for len(p.queue) >= p.cfg.Window && (p.state == stateRunning || p.state == stateRestarting) {
			p.cond.Wait()
		}
	}
	if p.state == stateDisabled || p.state == stateClosed {
		p.stats.Dropped += uint64(m.events)
		p.recycle(m)
		return 0
	}
	p.nextSeq++
	m.seq, m.sync = p.nextSeq, sync || m.rotate
	if m.rotate {
		m.enc.Rotate(m.rotateTS)
		// The size of the files being closed no longer counts: size-based
		// rotation must not ask again before the plugin reports the new
		// ones (recv ignores older sizes).
		p.rotSeq = m.seq
		p.fileBytes.Store(0)
	}
	m.data = m.enc.Finish(m.seq, m.sync)
	p.queue = append(p.queue, m)
	p.stats.Batches++
	p.lastSeal = time.Now()
	p.cond.Broadcast()
	return m.seq
}

// ackThrough forgets the batches up to seq, which the plugin has, and
// collects the files their rotations closed from rots; p.mu is held. It
// returns the closed files to hand to the OnRotate callback (live mode),
// which the caller calls once p.mu is released.
func (p *Plugin) ackThrough(seq uint64, rots []protocol.Rotation) (notify []string) {
	n := 0
	for n < len(p.queue) && p.queue[n].seq <= seq {
		m := p.queue[n]
		if m.rotate {
			notify = p.rotationDone(m.seq, rots, notify)
		}
		p.stats.Delivered += uint64(m.events)
		p.recycle(m)
		n++
	}
	p.acked = max(p.acked, seq)
	if n == 0 {
		return notify
	}
	k := copy(p.queue, p.queue[n:])
	clear(p.queue[k:])
	p.queue = p.queue[:k]
	p.sent = max(p.sent-n, 0)
	p.lastAck = time.Now()
	p.cond.Broadcast()
	return notify
}

// Close implements bus.Plugin: it sends what is left, waits until the
// plugin has acknowledged everything, has the plugin close its logs at
// network time ts, and stops the process. It returns the reason the
// plugin was disabled, if it was.
func (p *Plugin) Close(ts int64) error {
	// A last batch, possibly empty, with sync set: the plugin
	// checkpoints and acknowledges everything.
	p.fillMu.Lock()
	if p.cur == nil {
		p.cur = p.newMessage()
	}
	p.seal(true)
	p.fillMu.Unlock()

	var err error
	for {
		p.mu.Lock()
		for p.state == stateRestarting || p.state == stateRunning && (len(p.queue) > 0 || p.spill.len() > 0) {
			p.cond.Wait()
		}
		if p.state != stateRunning {
			err = p.err
			p.mu.Unlock()
			break
		}
		pr := p.proc
		p.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.AckTimeout)
		cerr := pr.rpc.Close(ctx, ts)
		cancel()
		if cerr == nil {
			break
		}
		p.fail(pr, fmt.Errorf("close: %w", rpcError(cerr)))
	}

	p.mu.Lock()
	pr := p.proc
	p.proc = nil
	if p.state != stateDisabled {
		p.state = stateClosed
	}
	p.gen++
	p.cond.Broadcast()
	p.mu.Unlock()
	close(p.done)
	<-p.supDone
	if pr != nil {
		p.stop(pr, false)
	}
	p.removeSocketDir()
	p.mu.Lock()
	p.dropSpill()
	p.mu.Unlock()
	return err
}

// Info is what a plugin says about itself.
type Info struct {
	Name          string // the plugin's own name
	SDKVersion    string
	Kinds         []event.Kind
	DataPorts     []uint16
	DataProtocols []string
	Logs          []string
}

// Describe starts the plugin, has it validate its options and describe
// itself, and stops it; nothing is read or written in the log directory.
// For `analyzer plugins`.
func Describe(cfg Config) (Info, error) {
	if err := cfg.applyDefaults(); err != nil {
		return Info{}, err
	}
	p := &Plugin{cfg: cfg, logger: cfg.Logger.Named(cfg.Name)}
	var err error
	if p.sockDir, err = newSocketDir(cfg.Name); err != nil {
		return Info{}, err
	}
	defer p.removeSocketDir()
	pr, desc, err := p.start(false, true)
	if err != nil {
		return Info{}, err
	}
	p.stop(pr, false)
	info := Info{Name: desc.Name, SDKVersion: desc.SDKVersion, DataPorts: desc.DataPorts,
		DataProtocols: desc.DataProtocols, Logs: desc.Logs}
	for _, k := range desc.Kinds {
		info.Kinds = append(info.Kinds, event.Kind(k))
	}
	return info, nil
}

// FileSHA256 returns the hex SHA-256 of a file, the value Config.SHA256
// pins.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// proc is one plugin process and its stream.
type proc struct {
	client *plugin.Client
	rpc    *protocol.Client
	stream *protocol.EventStream
	cancel context.CancelFunc // tears the stream down
	pid    int
	stderr *tail
	gen    uint64
	wg     sync.WaitGroup // the sender and receiver
}

var versionRE = regexp.MustCompile(`[Pp]lugin version: (\d+)`)

// start launches a process and configures it; resume says whether it
// replaces a failed one.
func (p *Plugin) start(resume, checkOnly bool) (*proc, protocol.ConfigureResponse, error) {
	var desc protocol.ConfigureResponse
	cfg := &p.cfg
	var secure *plugin.SecureConfig
	if cfg.SHA256 != "" {
		sum, err := hex.DecodeString(cfg.SHA256)
		if err != nil || len(sum) != sha256.Size {
			return nil, desc, fmt.Errorf("plugin %s: sha256 %q is not a hex SHA-256", cfg.Name, cfg.SHA256)
		}
		secure = &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()}
	}
	options := []byte(nil)
	if len(cfg.Options) > 0 {
		var err error
		if options, err = json.Marshal(cfg.Options); err != nil {
			return nil, desc, fmt.Errorf("plugin %s: options: %w", cfg.Name, err)
		}
	}
	stderr := newTail(8 << 10)
	cmd := exec.Command(cfg.Path, cfg.Args...)
	cmd.Env = pluginEnv(p.sockDir)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: protocol.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{
			protocol.Version: {protocol.PluginName: &protocol.GRPCPlugin{}},
		},
		Cmd:              cmd,
		SkipHostEnv:      true, // cmd.Env has it: see pluginEnv
		SecureConfig:     secure,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     cfg.StartTimeout,
		GRPCDialOptions:  protocol.DialOptions(),
		Logger:           p.logger,
		Stderr:           stderr,
	})
	rpcClient, err := client.Client()
	if err != nil {
		client.Kill()
		p.clearSockets()
		return nil, desc, p.startError(err, stderr)
	}
	raw, err := rpcClient.Dispense(protocol.PluginName)
	if err != nil {
		client.Kill()
		p.clearSockets()
		return nil, desc, fmt.Errorf("plugin %s (%s): %w", cfg.Name, cfg.Path, err)
	}
	pr := &proc{client: client, rpc: raw.(*protocol.Client), stderr: stderr}
	// go-plugin's process runner names a process by its pid.
	pr.pid, _ = strconv.Atoi(client.ID())
	ctx, cancel := context.WithTimeout(context.Background(), cfg.AckTimeout)
	defer cancel()
	lo := protocol.LogOptions{Dir: cfg.Logs.Dir, JSON: cfg.Logs.Format == logs.JSON,
		Compress: string(cfg.Logs.Compress), ISOTime: cfg.Logs.ISOTime}
	desc, err = pr.rpc.Configure(ctx, protocol.ConfigureRequest{
		Instance:  cfg.Name,
		Options:   options,
		Logs:      lo,
		Resume:    resume,
		AckEvery:  uint32(max(cfg.Window/2, 1)),
		CheckOnly: checkOnly,
	})
	if err != nil {
		p.stop(pr, true)
		return nil, desc, fmt.Errorf("plugin %s: %w", cfg.Name, rpcError(err))
	}
	if checkOnly {
		return pr, desc, nil
	}
	p.mu.Lock()
	opened, openTS := p.opened, p.openTS
	p.mu.Unlock()
	if opened {
		if err := pr.rpc.Open(ctx, openTS); err != nil {
			p.stop(pr, true)
			return nil, desc, fmt.Errorf("plugin %s: open: %w", cfg.Name, rpcError(err))
		}
	}
	sctx, scancel := context.WithCancel(context.Background())
	stream, err := pr.rpc.Events(sctx)
	if err != nil {
		scancel()
		p.stop(pr, true)
		return nil, desc, fmt.Errorf("plugin %s: events: %w", cfg.Name, rpcError(err))
	}
	pr.stream, pr.cancel = stream, scancel
	return pr, desc, nil
}

// startError explains why a process did not start.
func (p *Plugin) startError(err error, stderr *tail) error {
	cfg := &p.cfg
	switch {
	case errors.Is(err, plugin.ErrChecksumsDoNotMatch):
		return fmt.Errorf("plugin %s: %s does not match the configured sha256 %s: not started", cfg.Name, cfg.Path, cfg.SHA256)
	case strings.Contains(err.Error(), "incompatible API version"):
		if m := versionRE.FindStringSubmatch(err.Error()); m != nil {
			return fmt.Errorf("plugin %s (%s) speaks weir plugin protocol version %s, this weir speaks version %d: rebuild the plugin with a weir SDK for protocol version %d",
				cfg.Name, cfg.Path, m[1], protocol.Version, protocol.Version)
		}
		return fmt.Errorf("plugin %s (%s): incompatible plugin protocol version (this weir speaks %d): %w", cfg.Name, cfg.Path, protocol.Version, err)
	}
	msg := fmt.Sprintf("plugin %s (%s): %v", cfg.Name, cfg.Path, err)
	if t := stderr.lastLines(5); t != "" {
		msg += "; its last output:\n" + t
	}
	return errors.New(msg)
}

// rpcError turns a gRPC status error into its message.
func rpcError(err error) error {
	if s, ok := status.FromError(err); ok {
		return errors.New(s.Message())
	}
	return err
}

// stop ends a process: at once (SIGKILL) after a failure, otherwise by
// go-plugin's graceful shutdown. It waits for the process and the stream's
// goroutines, and removes the socket a killed process leaves behind.
func (p *Plugin) stop(pr *proc, kill bool) {
	if kill && pr.pid > 0 {
		if proc, err := os.FindProcess(pr.pid); err == nil {
			_ = proc.Kill()
		}
	}
	if pr.cancel != nil {
		pr.cancel()
	}
	pr.client.Kill()
	pr.wg.Wait()
	p.clearSockets()
}

var (
	_ bus.Plugin  = (*Plugin)(nil)
	_ bus.Rotator = (*Plugin)(nil)
	_ bus.Sizer   = (*Plugin)(nil)
)
