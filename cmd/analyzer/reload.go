package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/weirnet/weir/core/engine"
	"github.com/weirnet/weir/internal/config"
	"github.com/weirnet/weir/sources/live"
)

// reloadable are the keys a running sensor can change on SIGHUP. The rest
// shape state that exists already (connections, workers, open logs,
// plugin processes) and need a restart; a reload says which changed.
var reloadable = []string{"engine.filter", "output.rotate_interval", "output.rotate_size", "output.post_rotate",
	"conn.tcp_inactivity_timeout", "conn.udp_inactivity_timeout", "conn.icmp_inactivity_timeout",
	"conn.max_connections", "conn.ignore_violations_after", "conn.local_nets"}

// reloader applies a changed configuration file to a running sensor.
type reloader struct {
	o      options
	cur    config.File
	lm     *live.Merger // nil without -i
	eng    *engine.Engine
	post   *atomic.Pointer[[]string] // the post_rotate command in force
	stderr io.Writer
}

// reload reads the configuration again and applies what can change while
// running; it reports in one line what it did. A file that does not load
// or validate changes nothing.
func (r *reloader) reload() {
	cfg, err := loadConfig(r.o)
	var ec engine.Config
	if err == nil {
		ec, err = engineConfig(cfg) // checks what only building it checks (local_nets, analyzer tables)
	}
	if err != nil {
		fmt.Fprintf(r.stderr, "analyzer: reload: %v; the running configuration stays\n", err)
		return
	}
	var applied, restart []string
	for _, k := range config.Changed(r.cur, cfg) {
		if !slices.Contains(reloadable, k) {
			restart = append(restart, k)
			continue
		}
		if k == "engine.filter" {
			if r.lm == nil {
				continue // the files were read with the old one; nothing is left to filter
			}
			if err := r.lm.Refilter(cfg.Engine.Filter); err != nil {
				fmt.Fprintf(r.stderr, "analyzer: reload: filter %q: %v; the running filter stays\n", cfg.Engine.Filter, err)
				cfg.Engine.Filter = r.cur.Engine.Filter
				continue
			}
		}
		applied = append(applied, k)
	}
	// What is running now: the old configuration with the applied keys.
	// The keys that need a restart keep their old values, so the next
	// reload names them again until the restart.
	run := r.cur
	run.Engine.Filter = cfg.Engine.Filter
	run.Output.RotateInterval, run.Output.RotateSize, run.Output.PostRotate =
		cfg.Output.RotateInterval, cfg.Output.RotateSize, cfg.Output.PostRotate
	rc, nc := &run.Conn, &cfg.Conn
	rc.TCPInactivityTimeout, rc.UDPInactivityTimeout, rc.ICMPInactivityTimeout = nc.TCPInactivityTimeout, nc.UDPInactivityTimeout, nc.ICMPInactivityTimeout
	rc.MaxConnections, rc.IgnoreViolationsAfter, rc.LocalNets = nc.MaxConnections, nc.IgnoreViolationsAfter, nc.LocalNets
	r.cur = run

	r.eng.SetRotation(int64(run.Output.RotateInterval.Duration), run.Output.RotateSize)
	r.post.Store(&run.Output.PostRotate)
	r.eng.SetConnSettings(ec.Conn.Settings()) // the reloadable [conn] keys are cfg's in run too

	msg := "analyzer: reload: logs reopened"
	if len(applied) > 0 {
		msg += "; applied " + strings.Join(applied, ", ")
	} else {
		msg += "; no setting changed"
	}
	if len(restart) > 0 {
		msg += "; changed but kept until a restart: " + strings.Join(restart, ", ")
	}
	fmt.Fprintln(r.stderr, msg)
}
