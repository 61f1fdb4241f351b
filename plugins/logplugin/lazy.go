// Package logplugin holds what every log-writing plugin shares: a log file
// created with its first record (as Zeek creates logs lazily, so a run
// without DNS traffic leaves no empty dns.log), flushed on demand and
// closed with its #close line.
package logplugin

import (
	"sync/atomic"

	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/logs/schema"
)

// Lazy is embedded by log plugins; it provides their Open, Flush, Rotate
// and Close.
type Lazy struct {
	Opts logs.Options
	W    *logs.Writer // nil until the first record

	pub atomic.Pointer[logs.Writer] // W, for LogBytes on other goroutines
}

// Rotate closes the current file at network time ts (with its #close
// line), renames it Zeek-style and starts a new one. It returns the
// rotated file's path, or "" when nothing was written yet.
func (l *Lazy) Rotate(ts int64) (string, error) {
	if l.W == nil {
		return "", nil
	}
	return l.W.Rotate(ts)
}

// Open does nothing: the file is created with the first record.
func (l *Lazy) Open(ts int64) error { return nil }

// Writer returns the log's writer, creating the file for the schema of
// path (e.g. "conn") at network time ts on first use.
func (l *Lazy) Writer(path string, ts int64) (*logs.Writer, error) {
	if l.W != nil {
		return l.W, nil
	}
	s, err := schema.Get(path)
	if err != nil {
		return nil, err
	}
	return l.WriterFor(s, ts)
}

// WriterFor is Writer for a schema the plugin built itself (optional
// columns, a third-party log).
func (l *Lazy) WriterFor(s *schema.Log, ts int64) (*logs.Writer, error) {
	if l.W == nil {
		w, err := logs.Create(s, l.Opts, ts)
		if err != nil {
			return nil, err
		}
		l.W = w
		l.pub.Store(w)
	}
	return l.W, nil
}

// Flush writes buffered records to the file (a live sensor calls it after
// every batch).
func (l *Lazy) Flush() error {
	if l.W == nil {
		return nil
	}
	return l.W.Flush()
}

// Close writes the #close line at network time ts and closes the file.
func (l *Lazy) Close(ts int64) error {
	if l.W == nil {
		return nil
	}
	return l.W.Close(ts)
}

// LogWriters lists the plugin's open log writers; the out-of-process plugin
// host checkpoints them so a crashed plugin neither loses nor repeats lines.
func (l *Lazy) LogWriters() []*logs.Writer {
	if l.W == nil {
		return nil
	}
	return []*logs.Writer{l.W}
}

// LogBytes returns the record bytes in the current file and written in
// all; safe from any goroutine.
func (l *Lazy) LogBytes() (file, total int64) {
	if w := l.pub.Load(); w != nil {
		return w.Written()
	}
	return 0, 0
}
