// Package metrics exposes a running sensor's counters on a Prometheus
// /metrics endpoint. Collectors read snapshots the pipeline publishes
// atomically, so scraping never blocks capture.
package metrics

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Interface is one capture interface's counters.
type Interface struct {
	Name                         string
	Received, Dropped, IfDropped uint64
	Reopens, Cut                 uint64
	Down                         bool
}

// Plugin is one plugin's delivery counters.
type Plugin struct {
	Name                        string
	Delivered, Dropped, Pending uint64
	Restarts                    int
	Disabled                    bool
	// Out-of-process plugins with a spill: events and batches written to
	// it so far, and what it holds now.
	SpilledEvents, SpilledBatches, SpillEvents uint64
	SpillBytes                                 int64
}

// Sources are the snapshot functions the collector calls on each scrape.
// Any may be nil.
type Sources struct {
	Frames     func() (frames, filtered, events uint64)
	LiveConns  func() int64
	Interfaces func() []Interface
	Plugins    func() []Plugin
	LogBytes   func() map[string]int64 // record bytes written, per log plugin
}

type collector struct {
	src                                                       Sources
	frames, filtered, events, conns                           *prometheus.Desc
	ifRecv, ifDrop, ifIfDrop, ifReopen, ifDown, ifCut         *prometheus.Desc
	plDelivered, plDropped, plPending, plRestarts, plDisabled *prometheus.Desc
	logBytes                                                  *prometheus.Desc
	plSpilledEvents, plSpilledBatches, plSpillEvents          *prometheus.Desc
	plSpillBytes                                              *prometheus.Desc
}

func newCollector(src Sources) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("weir_"+name, help, labels, nil)
	}
	return &collector{
		src:              src,
		frames:           d("frames_total", "Frames read from all sources."),
		filtered:         d("frames_filtered_total", "Frames dropped by the capture filter in user space (files)."),
		events:           d("events_total", "Events published to the bus."),
		conns:            d("connections_live", "Connections being tracked."),
		ifRecv:           d("interface_received_frames_total", "Frames captured on an interface.", "interface"),
		ifDrop:           d("interface_kernel_dropped_frames_total", "Frames the kernel dropped for lack of ring space.", "interface"),
		ifIfDrop:         d("interface_driver_dropped_frames_total", "Frames the interface or driver dropped.", "interface"),
		ifCut:            d("interface_cut_frames_total", "Frames captured shorter than on the wire (snap length).", "interface"),
		ifReopen:         d("interface_reopens_total", "Times an interface was opened again after it disappeared.", "interface"),
		ifDown:           d("interface_down", "1 while the interface is down or gone.", "interface"),
		plDelivered:      d("plugin_delivered_events_total", "Events a plugin took.", "plugin"),
		plDropped:        d("plugin_dropped_events_total", "Events not delivered to a plugin (live overflow, disabled).", "plugin"),
		plPending:        d("plugin_queue_events", "Events sent, queued or spilled to a plugin, not yet acknowledged.", "plugin"),
		plSpilledEvents:  d("plugin_spilled_events_total", "Events written to a plugin's spill file because its live queue was full.", "plugin"),
		plSpilledBatches: d("plugin_spilled_batches_total", "Batches written to a plugin's spill file.", "plugin"),
		plSpillEvents:    d("plugin_spill_events", "Events in a plugin's spill file now.", "plugin"),
		plSpillBytes:     d("plugin_spill_bytes", "Bytes in a plugin's spill file now.", "plugin"),
		plRestarts:       d("plugin_restarts_total", "Plugin process restarts after failures.", "plugin"),
		plDisabled:       d("plugin_disabled", "1 when a plugin was disabled after repeated failures.", "plugin"),
		logBytes:         d("log_bytes_written_total", "Bytes of log records written (before compression).", "plugin"),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.frames, c.filtered, c.events, c.conns, c.ifRecv, c.ifDrop, c.ifIfDrop,
		c.ifReopen, c.ifDown, c.ifCut, c.plDelivered, c.plDropped, c.plPending, c.plRestarts, c.plDisabled, c.logBytes,
		c.plSpilledEvents, c.plSpilledBatches, c.plSpillEvents, c.plSpillBytes} {
		ch <- d
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	cm := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, l...)
	}
	gm := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	if f := c.src.Frames; f != nil {
		fr, fi, ev := f()
		cm(c.frames, float64(fr))
		cm(c.filtered, float64(fi))
		cm(c.events, float64(ev))
	}
	if f := c.src.LiveConns; f != nil {
		gm(c.conns, float64(f()))
	}
	if f := c.src.Interfaces; f != nil {
		for _, i := range f() {
			cm(c.ifRecv, float64(i.Received), i.Name)
			cm(c.ifDrop, float64(i.Dropped), i.Name)
			cm(c.ifIfDrop, float64(i.IfDropped), i.Name)
			cm(c.ifReopen, float64(i.Reopens), i.Name)
			cm(c.ifCut, float64(i.Cut), i.Name)
			gm(c.ifDown, b2f(i.Down), i.Name)
		}
	}
	if f := c.src.LogBytes; f != nil {
		for name, n := range f() {
			cm(c.logBytes, float64(n), name)
		}
	}
	if f := c.src.Plugins; f != nil {
		for _, p := range f() {
			cm(c.plDelivered, float64(p.Delivered), p.Name)
			cm(c.plDropped, float64(p.Dropped), p.Name)
			gm(c.plPending, float64(p.Pending), p.Name)
			cm(c.plRestarts, float64(p.Restarts), p.Name)
			gm(c.plDisabled, b2f(p.Disabled), p.Name)
			cm(c.plSpilledEvents, float64(p.SpilledEvents), p.Name)
			cm(c.plSpilledBatches, float64(p.SpilledBatches), p.Name)
			gm(c.plSpillEvents, float64(p.SpillEvents), p.Name)
			gm(c.plSpillBytes, float64(p.SpillBytes), p.Name)
		}
	}
}

// Server serves /metrics.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Serve starts serving /metrics on addr ("127.0.0.1:9911"; ":0" picks a
// port, see Addr). Go runtime and process metrics are included.
func Serve(addr string, src Sources) (*Server, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(src), prometheus.NewGoCollector(),
		prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen %s: %w", addr, err)
	}
	s := &Server{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, ln: ln}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener closed under us: nothing to report to
		}
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }
