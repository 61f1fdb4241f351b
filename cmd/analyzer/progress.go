package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/engine"
	"github.com/weirnet/weir/sources"
	"golang.org/x/term"
)

// progress draws a one-line progress bar on a terminal while files replay.
// It reads counters the pipeline publishes atomically and never blocks it.
type progress struct {
	w     io.Writer
	srcs  []sources.Source
	eng   *engine.Engine
	on    bool
	done  chan struct{}
	wg    sync.WaitGroup
	began time.Time
}

func newProgress(w io.Writer, srcs []sources.Source, eng *engine.Engine, quiet bool) *progress {
	on := false
	if f, ok := w.(*os.File); ok && !quiet {
		on = term.IsTerminal(int(f.Fd()))
	}
	return &progress{w: w, srcs: srcs, eng: eng, on: on, done: make(chan struct{})}
}

func (p *progress) fraction() (done, total int64) {
	for _, s := range p.srcs {
		if pr, ok := s.(sources.Progresser); ok {
			d, t := pr.Progress()
			done += d
			if t > 0 {
				total += t
			}
		}
	}
	return done, total
}

func (p *progress) start() {
	p.began = time.Now()
	if !p.on {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				fmt.Fprint(p.w, "\r\033[K")
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
}

func (p *progress) draw() {
	done, total := p.fraction()
	frac := 0.0
	if total > 0 {
		frac = float64(done) / float64(total)
		if frac > 1 {
			frac = 1
		}
	}
	const width = 30
	n := int(frac * width)
	el := time.Since(p.began).Seconds()
	rate := float64(p.eng.FramesRead()) / max(el, 1e-9)
	eta := ""
	if frac > 0.01 {
		eta = fmt.Sprintf(" eta %s", time.Duration(el/frac*(1-frac)*float64(time.Second)).Round(time.Second))
	}
	fmt.Fprintf(p.w, "\r[%s%s] %5.1f%% %s/%s %s pkt/s%s\033[K", strings.Repeat("#", n), strings.Repeat(".", width-n),
		frac*100, human(done), human(total), si(rate), eta)
}

func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
}

func summary(w io.Writer, s engine.Stats, b *bus.Bus, paths []string, elapsed time.Duration, dir string) {
	fmt.Fprintf(w, "analyzed %d file(s): %d packets in %s (%s pkt/s)", len(paths), s.Frames,
		elapsed.Round(time.Millisecond), si(float64(s.Frames)/max(elapsed.Seconds(), 1e-9)))
	if s.Filtered > 0 {
		fmt.Fprintf(w, ", %d filtered out", s.Filtered)
	}
	fmt.Fprintln(w)
	if s.FirstTS != 0 {
		fmt.Fprintf(w, "  network time %s to %s\n", time.Unix(0, s.FirstTS).UTC().Format(time.RFC3339),
			time.Unix(0, s.LastTS).UTC().Format(time.RFC3339))
	}
	d := s.Decode
	fmt.Fprintf(w, "  connections: %d", s.Conn.ConnsCreated)
	if s.Conn.EvictedByLimit > 0 {
		fmt.Fprintf(w, " (%d evicted early by conn.max_connections)", s.Conn.EvictedByLimit)
	}
	fmt.Fprintf(w, "; non-IP frames: %d; malformed: %d\n", d.NotIP, d.Weird)
	var names []string
	for n := range b.Delivered() {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, b.Delivered()[n]))
	}
	fmt.Fprintf(w, "  events delivered: %s\n", strings.Join(parts, ", "))
	fmt.Fprintf(w, "  logs in %s\n", dir)
}

func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func si(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
