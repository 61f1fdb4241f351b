package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/weirnet/weir/logs"
)

// checkpointVersion is the format of the checkpoint file.
const checkpointVersion = 1

// checkpoint is what the plugin saves before it acknowledges batches: the
// last batch applied, the size of every log file at that point, and the
// handler's state. It lives next to the logs, in .weir-<instance>.ckpt,
// written to a temporary file and renamed over the old one, so it is
// always whole. It survives the plugin process, not the machine (there is
// no fsync: after a machine crash a replay starts over anyway).
type checkpoint struct {
	Version  int       `json:"version"`
	Instance string    `json:"instance"`
	Seq      uint64    `json:"seq"`
	Logs     []ckptLog `json:"logs"`
	State    []byte    `json:"state,omitempty"`
	// Rotating is a rotation that had not completed when the checkpoint
	// was saved (for batch Seq, whose events Logs hold): a resumed plugin
	// completes it before anything else.
	Rotating *rotating `json:"rotating,omitempty"`
	// Rotations are the latest rotations (see server.rotations): a
	// resumed plugin reports them again, since the core may have missed
	// the Ack that named their files.
	Rotations []rotation `json:"rotations,omitempty"`
}

type ckptLog struct {
	File string `json:"file"` // name in the log directory
	Size int64  `json:"size"`
	// Open is the file's open time as rotated names carry it
	// (2006-01-02-15-04-05, UTC), "" when unknown: the resumed process's
	// writer opens later, and a rotation must still name the file after
	// the time it really opened.
	Open string `json:"open,omitempty"`
}

// rotation is one rotation: the batch that asked for it and the files it
// closed, as renamed.
type rotation struct {
	Seq   uint64   `json:"seq"`
	Paths []string `json:"paths"`
}

// logSet tracks a plugin's log writers for checkpoints, and after a crash
// continues the crashed process's files.
//
// How a file is continued. logs.Writer can only create a file (with its
// header), not append to one, and compresses with state that dies with the
// process. So after a crash, with plain logs, the SDK truncates each file to
// its size at the checkpoint and has the handler's writers create their
// files in a staging directory instead; at every checkpoint, and at the
// end, it moves what the staged file gained to the real file, dropping the
// staged header when the real file already has one. The real file ends up
// exactly as without the crash. Compressed logs cannot be continued that
// way: the file is truncated to the checkpoint and kept under a numbered
// name (conn.1.log.zst: everything up to the checkpoint; its last
// compressed frame is unterminated, so decompressors report an unexpected
// end after the data), and a new file starts. Nothing is lost or written
// twice, but the log is in two files. A logs.Writer that can checkpoint a
// compressed frame and resume a file would remove both detours.
type logSet struct {
	dir      string       // the core's log directory
	opts     logs.Options // the core's options
	ckptPath string
	stageDir string
	rotDir   string // second names of the files a rotation in progress closes
	linked   bool   // rotDir holds such names

	rotateStep func(step int) // tests: called in rotate before each file and at the end
	logger     hclog.Logger

	staging bool              // writers are created in stageDir
	resumed map[string]int64  // plain files the checkpoint listed → size
	opens   map[string]string // files the checkpoint listed → open time, if known
	entries []*logEntry
}

type logEntry struct {
	w          *logs.Writer
	main       string // the file in the core's directory
	staged     bool   // w writes into stageDir
	copied     int64  // staged: bytes of the staged file already moved (or skipped)
	skipHeader bool   // staged: the real file has its header already
	closed     bool   // w was closed
	// open is the main file's open time in rotated names' form, "" until
	// known (see ckptLog.Open).
	open string
	// base is the size main had when w started continuing it (after a
	// crash), which w's own count lacks.
	base int64
}

func newLogSet(instance string, opts logs.Options, logger hclog.Logger) *logSet {
	dir := opts.Dir
	if dir == "" {
		dir = "."
	}
	opts.Dir = dir
	return &logSet{
		dir:      dir,
		opts:     opts,
		ckptPath: filepath.Join(dir, ".weir-"+instance+".ckpt"),
		stageDir: filepath.Join(dir, ".weir-"+instance+".stage"),
		rotDir:   filepath.Join(dir, ".weir-"+instance+".rot"),
		logger:   logger,
	}
}

// options returns the logs.Options for the handler's writers.
func (s *logSet) options() logs.Options {
	o := s.opts
	if s.staging {
		o.Dir = s.stageDir
	}
	return o
}

// fresh discards what an earlier run left: its checkpoint and staging
// directory. The logs themselves are truncated when created.
func (s *logSet) fresh() error {
	if err := os.Remove(s.ckptPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sdk: removing stale checkpoint: %w", err)
	}
	if err := os.RemoveAll(s.rotDir); err != nil {
		return fmt.Errorf("sdk: %w", err)
	}
	return os.RemoveAll(s.stageDir)
}

// resume prepares the log files from the last checkpoint and returns it
// (the zero checkpoint if there is none: the crash came before the first).
func (s *logSet) resume(instance string) (checkpoint, error) {
	var ck checkpoint
	data, err := os.ReadFile(s.ckptPath)
	if errors.Is(err, os.ErrNotExist) {
		return ck, s.fresh()
	}
	if err != nil {
		return ck, fmt.Errorf("sdk: reading checkpoint: %w", err)
	}
	if err := json.Unmarshal(data, &ck); err != nil {
		return ck, fmt.Errorf("sdk: checkpoint %s: %w", s.ckptPath, err)
	}
	if ck.Version != checkpointVersion || ck.Instance != instance {
		return ck, fmt.Errorf("sdk: checkpoint %s is version %d of instance %q, want version %d of %q",
			s.ckptPath, ck.Version, ck.Instance, checkpointVersion, instance)
	}
	if err := os.RemoveAll(s.stageDir); err != nil {
		return ck, fmt.Errorf("sdk: %w", err)
	}
	if ck.Rotating != nil {
		if err := s.finishRotation(&ck); err != nil {
			return ck, err
		}
	}
	s.resumed = make(map[string]int64)
	s.opens = make(map[string]string)
	compressed := s.opts.Compress != logs.NoCompression
	for _, l := range ck.Logs {
		if l.File != filepath.Base(l.File) || strings.HasPrefix(l.File, ".") {
			return ck, fmt.Errorf("sdk: checkpoint %s: bad file name %q", s.ckptPath, l.File)
		}
		path := filepath.Join(s.dir, l.File)
		if err := os.Truncate(path, l.Size); err != nil {
			return ck, fmt.Errorf("sdk: resuming %s: %w", path, err)
		}
		if validOpen(l.Open) {
			s.opens[l.File] = l.Open
		}
		if !compressed {
			s.resumed[l.File] = l.Size
			continue
		}
		kept, err := keepPart(path)
		if err != nil {
			return ck, fmt.Errorf("sdk: resuming %s: %w", path, err)
		}
		s.logger.Warn("compressed log cannot be continued after a crash: kept what was checkpointed, a new file starts",
			"kept", kept, "new", path)
	}
	s.staging = !compressed
	if s.staging {
		if err := os.MkdirAll(s.stageDir, 0o755); err != nil {
			return ck, fmt.Errorf("sdk: %w", err)
		}
	}
	return ck, nil
}

// keepPart renames path (dir/conn.log.zst) to the first free
// dir/conn.N.log.zst.
func keepPart(path string) (string, error) {
	dir, base := filepath.Split(path)
	stem, ext, ok := strings.Cut(base, ".log")
	if !ok {
		stem, ext = base, ""
	}
	for n := 1; ; n++ {
		kept := filepath.Join(dir, fmt.Sprintf("%s.%d.log%s", stem, n, ext))
		if _, err := os.Lstat(kept); err == nil {
			continue
		}
		return kept, os.Rename(path, kept)
	}
}

// openTSer is a logs.Writer that tells the open time of its current file.
// logs.Writer does not yet: until it does, the open time of a writer the
// handler created itself (TrackLog) is read from the TSV header, and is
// unknown for JSON (see ckptLog.Open).
type openTSer interface{ OpenTS() int64 }

// track registers w. It must have been created with options(); open is
// its open time in rotated names' form, "" if the caller does not know.
func (s *logSet) track(w *logs.Writer, open string) error {
	for _, e := range s.entries {
		if e.w == w {
			return nil
		}
	}
	name := w.Name()
	dir, base := filepath.Split(name)
	want := s.options().Dir
	if filepath.Clean(dir) != filepath.Clean(want) {
		return fmt.Errorf("sdk: log %s is not in %s: create logs with Context.CreateLog or Context.LogOptions", name, want)
	}
	if o, ok := any(w).(openTSer); ok && open == "" {
		open = zeekTime(o.OpenTS())
	}
	e := &logEntry{w: w, main: filepath.Join(s.dir, base), staged: s.staging}
	if e.staged {
		e.base, e.skipHeader = s.resumed[base]
		delete(s.resumed, base)
		if e.skipHeader {
			open = s.opens[base]
		}
	}
	e.open = open
	s.entries = append(s.entries, e)
	return nil
}

// checkpoint flushes every log, moves staged records to the real files
// and saves the checkpoint for batch seq.
//
// With pending set, the checkpoint also records a rotation about to start
// (see rotating): the files it will rotate get a second name in rotDir,
// so that a process replacing one that crashed in the middle of the
// rotation can find them whatever they are called by then.
func (s *logSet) checkpoint(instance string, seq uint64, state []byte, rotations []rotation, pending *rotating) error {
	ck := checkpoint{Version: checkpointVersion, Instance: instance, Seq: seq, State: state, Rotations: rotations}
	for _, e := range s.entries {
		if !e.closed {
			if err := e.w.Flush(); errors.Is(err, logs.ErrClosed) {
				e.closed = true
			} else if err != nil {
				return err
			}
		}
		if e.staged {
			if err := e.move(); err != nil {
				return err
			}
		}
		fi, err := os.Stat(e.main)
		if err != nil {
			return fmt.Errorf("sdk: checkpoint: %w", err)
		}
		if e.open == "" && s.opts.Format == logs.TSV {
			e.open = readOpen(e.main)
		}
		ck.Logs = append(ck.Logs, ckptLog{File: filepath.Base(e.main), Size: fi.Size(), Open: e.open})
	}
	// Files of the crashed process that no writer continues yet keep
	// their size.
	for f, size := range s.resumed {
		ck.Logs = append(ck.Logs, ckptLog{File: f, Size: size, Open: s.opens[f]})
	}
	slices.SortFunc(ck.Logs, func(a, b ckptLog) int { return strings.Compare(a.File, b.File) })
	if pending != nil {
		ck.Rotating = s.link(pending)
	} else if s.linked {
		if err := os.RemoveAll(s.rotDir); err != nil {
			return fmt.Errorf("sdk: checkpoint: %w", err)
		}
		s.linked = false
	}
	return s.save(&ck)
}

// save writes ck to the checkpoint file, atomically.
func (s *logSet) save(ck *checkpoint) error {
	data, err := json.Marshal(ck)
	if err != nil {
		return fmt.Errorf("sdk: checkpoint: %w", err)
	}
	tmp := s.ckptPath + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("sdk: checkpoint: %w", err)
	}
	if err := os.Rename(tmp, s.ckptPath); err != nil {
		return fmt.Errorf("sdk: checkpoint: %w", err)
	}
	return nil
}

// move appends what the staged file gained since the last move to the real
// file. The first move drops the staged file's header if the real file
// has one, and otherwise replaces the real file (left over from the
// crashed process after its last checkpoint).
func (e *logEntry) move() error { return e.moveFrom(e.w.Name()) }

// moveFrom is move from the staged file src (w's file, or the one w's
// rotation closed).
func (e *logEntry) moveFrom(name string) error {
	src, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("sdk: %w", err)
	}
	defer src.Close()
	if _, err := src.Seek(e.copied, io.SeekStart); err != nil {
		return fmt.Errorf("sdk: %w", err)
	}
	data, err := io.ReadAll(src)
	if err != nil {
		return fmt.Errorf("sdk: %w", err)
	}
	first := e.copied == 0
	e.copied += int64(len(data))
	if first && e.skipHeader {
		data = data[headerLen(data):]
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if first && !e.skipHeader {
		flag |= os.O_TRUNC
	}
	dst, err := os.OpenFile(e.main, flag, 0o644)
	if err != nil {
		return fmt.Errorf("sdk: %w", err)
	}
	_, err = dst.Write(data)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sdk: continuing %s: %w", e.main, err)
	}
	return nil
}

// headerLen returns the length of the leading '#' lines of a TSV log (0
// for JSON). A record line never starts with '#': the writer escapes it.
func headerLen(b []byte) int {
	n := 0
	for n < len(b) && b[n] == '#' {
		i := bytes.IndexByte(b[n:], '\n')
		if i < 0 {
			break
		}
		n += i + 1
	}
	return n
}

// close closes every log at network time ts, completes the real files,
// and removes the checkpoint and staging directory.
func (s *logSet) close(ts int64) error {
	var errs []error
	for _, e := range s.entries {
		if !e.closed {
			if err := e.w.Close(ts); err != nil && !errors.Is(err, logs.ErrClosed) {
				errs = append(errs, err)
			}
			e.closed = true
		}
		if e.staged {
			if err := e.move(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	// A file of the crashed process that no writer continued still needs
	// the footer its writer would have written.
	if s.opts.Format == logs.TSV {
		for f := range s.resumed {
			if err := appendClose(filepath.Join(s.dir, f), ts); err != nil {
				errs = append(errs, err)
			}
		}
	}
	s.resumed = nil
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := os.Remove(s.ckptPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sdk: %w", err)
	}
	if err := os.RemoveAll(s.rotDir); err != nil {
		return fmt.Errorf("sdk: %w", err)
	}
	return os.RemoveAll(s.stageDir)
}

// appendClose writes the TSV footer as logs.Writer.Close does.
func appendClose(path string, ts int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("sdk: %w", err)
	}
	_, err = fmt.Fprintf(f, "#close\t%s\n", time.Unix(0, ts).UTC().Format("2006-01-02-15-04-05"))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
