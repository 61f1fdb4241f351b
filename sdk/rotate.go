package sdk

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/weirnet/weir/logs"
)

// zeekTimeLayout is how rotated log names and the TSV #open and #close
// lines write a time (as package logs does).
const zeekTimeLayout = "2006-01-02-15-04-05"

func zeekTime(ts int64) string { return time.Unix(0, ts).UTC().Format(zeekTimeLayout) }

// validOpen reports whether s is a time in zeekTimeLayout: a checkpoint's
// open time goes into a file name.
func validOpen(s string) bool {
	_, err := time.Parse(zeekTimeLayout, s)
	return err == nil && len(s) == len(zeekTimeLayout)
}

// readOpen returns the open time of the TSV log at path, from its #open
// line, or "" if it has none.
func readOpen(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break
		}
		if v, ok := strings.CutPrefix(line, "#open\t"); ok && validOpen(v) {
			return v
		}
	}
	return ""
}

// rotate closes every log at network time ts (#close), renames it as
// logs.Writer.Rotate does, <path>.<open>-<close>.log (plus -1, -2, ... when
// taken), and has its writer start a new file opening at ts. It returns
// the rotated files' paths, in the order the logs were created. fallback
// is the open time of a file whose own is unknown (a JSON log continued
// after a crash that no rotation had named yet).
//
// A writer continued after a crash writes into the staging directory: its
// staged file is rotated there, what it gained is moved to the real file,
// and the real file is renamed. A file of the crashed process that no
// writer continued yet is completed and renamed as its writer would have.
func (s *logSet) rotate(ts, fallback int64) ([]string, error) {
	var paths []string
	var errs []error
	step := 0
	for _, e := range s.entries {
		if e.closed {
			continue
		}
		s.testStep(&step)
		var p string
		var err error
		if e.staged {
			p, err = s.rotateStaged(e, ts)
		} else {
			p, err = e.w.Rotate(ts)
		}
		if errors.Is(err, logs.ErrClosed) {
			e.closed = true
			continue
		}
		if err != nil {
			errs = append(errs, err)
		}
		if p != "" {
			paths = append(paths, p)
			e.open, e.base = zeekTime(ts), 0
		}
	}
	files := make([]string, 0, len(s.resumed))
	for f := range s.resumed {
		files = append(files, f)
	}
	slices.Sort(files)
	for _, f := range files {
		s.testStep(&step)
		open := s.opens[f]
		if open == "" {
			open = zeekTime(fallback)
		}
		p, err := s.rotateResumed(f, open, ts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		paths = append(paths, p)
	}
	s.testStep(&step)
	return paths, errors.Join(errs...)
}

// testStep lets a test interrupt a rotation before each file and at the
// end, as a crash would.
func (s *logSet) testStep(step *int) {
	if s.rotateStep != nil {
		s.rotateStep(*step)
	}
	*step++
}

// rotateStaged rotates the log of a writer that continues a crashed
// process's file through the staging directory.
func (s *logSet) rotateStaged(e *logEntry, ts int64) (string, error) {
	staged, err := e.w.Rotate(ts)
	if staged == "" {
		// Not renamed: the writer goes on appending to the staged file,
		// which stays where move expects it.
		return "", err
	}
	// err may say that the new staged file could not be created; the
	// closed one is complete and is moved and renamed all the same.
	if merr := e.moveFrom(staged); merr != nil {
		return "", errors.Join(err, merr)
	}
	open := e.open
	if open == "" {
		// Only the writer's own open time is known: the one in the
		// staged file's rotated name.
		stem := strings.TrimSuffix(filepath.Base(e.main), ".log"+s.opts.Compress.Ext())
		open = strings.TrimPrefix(filepath.Base(staged), stem+".")
		open = open[:min(len(open), len(zeekTimeLayout))]
	}
	p, rerr := s.rename(e.main, filepath.Base(e.main), open, ts)
	if rerr != nil {
		return "", errors.Join(err, rerr)
	}
	// The writer's new staged file starts a new real file: its first move
	// creates it, header and all.
	e.copied, e.skipHeader = 0, false
	if rerr := os.Remove(staged); rerr != nil {
		err = errors.Join(err, fmt.Errorf("sdk: %w", rerr))
	}
	return p, err
}

// rotateResumed completes a file of the crashed process that no writer
// continues (its #close, for TSV), renames it, and starts its successor as
// the writer's Rotate would have: opening at ts (the TSV header with #open
// at ts). The file stays in s.resumed, so that a writer created later for
// the log continues it instead of opening at its own time.
func (s *logSet) rotateResumed(file, open string, ts int64) (string, error) {
	path := filepath.Join(s.dir, file)
	var header []byte
	if s.opts.Format == logs.TSV {
		var err error
		if header, err = readHeader(path, ts); err != nil {
			return "", err
		}
		if err := appendClose(path, ts); err != nil {
			return "", err
		}
	}
	p, err := s.rename(path, file, open, ts)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, header, 0o644); err != nil {
		return p, fmt.Errorf("sdk: rotating: %w", err)
	}
	s.resumed[file] = int64(len(header))
	s.opens[file] = zeekTime(ts)
	return p, nil
}

// readHeader returns the TSV header of the log at path with its #open line
// set to ts.
func readHeader(path string, ts int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sdk: rotating: %w", err)
	}
	defer f.Close()
	var out []byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") || line == "#close" || strings.HasPrefix(line, "#close\t") {
			break
		}
		if strings.HasPrefix(line, "#open\t") {
			line = "#open\t" + zeekTime(ts)
		}
		out = append(append(out, line...), '\n')
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sdk: rotating %s: %w", path, err)
	}
	return out, nil
}

// rename renames src, the log file name (<stem>.log<ext>) or a second name
// of it, to its rotated name in the log directory:
// <stem>.<open>-<close>.log<ext>, or with -1, -2, ... after the close time if
// that is taken, as logs.Writer.Rotate names them.
func (s *logSet) rename(src, name, open string, ts int64) (string, error) {
	ext := ".log" + s.opts.Compress.Ext()
	stem := strings.TrimSuffix(name, ext) + "." + open + "-" + zeekTime(ts)
	rotated := filepath.Join(s.dir, stem+ext)
	for n := 1; exists(rotated); n++ {
		rotated = filepath.Join(s.dir, fmt.Sprintf("%s-%d%s", stem, n, ext))
	}
	if err := os.Rename(src, rotated); err != nil {
		return "", fmt.Errorf("sdk: rotating: %w", err)
	}
	return rotated, nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// sizes returns the record bytes in the largest current log file and
// those written to all logs by this process (for size-based rotation and
// metrics). Safe only on the handler's goroutine, like the rest of logSet.
func (s *logSet) sizes() (file, total int64) {
	for _, e := range s.entries {
		if e.closed {
			continue
		}
		f, t := e.w.Written()
		file = max(file, f+e.base)
		total += t
	}
	for _, size := range s.resumed {
		file = max(file, size)
	}
	return file, total
}

// rotating is a rotation in progress (checkpoint.Rotating).
type rotating struct {
	Seq uint64 `json:"seq"`
	TS  int64  `json:"ts"`
	// Files are the files it closes (in the log directory), each with a
	// second name in rotDir.
	Files []string `json:"files"`
}

// link gives every file the rotation p will close a second name in
// rotDir, and returns p with those files. Renamed or not, a file keeps
// its second name, by which a resumed process finds it (finishRotation).
// On a file system without hard links it returns nil: the rotation then
// goes unrecorded, and a crash in the middle of it leaves a resumed
// process the new file where it expects the old.
func (s *logSet) link(p *rotating) *rotating {
	var files []string
	for _, e := range s.entries {
		if !e.closed {
			files = append(files, filepath.Base(e.main))
		}
	}
	for f := range s.resumed {
		files = append(files, f)
	}
	slices.Sort(files)
	err := os.RemoveAll(s.rotDir)
	if err == nil {
		err = os.MkdirAll(s.rotDir, 0o755)
	}
	for _, f := range files {
		if err != nil {
			break
		}
		err = os.Link(filepath.Join(s.dir, f), filepath.Join(s.rotDir, f))
	}
	s.linked = true
	if err != nil {
		s.logger.Warn("cannot record the rotation (hard links): a crash during it would garble the current logs", "error", err)
		return nil
	}
	p.Files = files
	return p
}

// finishRotation completes the rotation the crashed process left
// unfinished (ck.Rotating) as that process would have: each file is cut
// back to its size at the checkpoint, gets its #close, is renamed, and a
// new file opening at the rotation time takes its place. ck is updated (the
// new files, the rotation's files in Rotations) and saved before the second
// names are removed, so that a crash in here only repeats it.
func (s *logSet) finishRotation(ck *checkpoint) error {
	r := ck.Rotating
	compressed := s.opts.Compress != logs.NoCompression
	tsv := s.opts.Format == logs.TSV && !compressed
	var paths []string
	for _, f := range r.Files {
		i := slices.IndexFunc(ck.Logs, func(l ckptLog) bool { return l.File == f })
		if i < 0 || f != filepath.Base(f) || strings.HasPrefix(f, ".") {
			return fmt.Errorf("sdk: checkpoint %s: bad rotating file %q", s.ckptPath, f)
		}
		l := ck.Logs[i]
		link := filepath.Join(s.rotDir, f)
		main := filepath.Join(s.dir, f)
		if err := os.Truncate(link, l.Size); err != nil {
			return fmt.Errorf("sdk: completing the rotation of %s: %w", main, err)
		}
		var header []byte
		if tsv {
			var err error
			if header, err = readHeader(link, r.TS); err != nil {
				return err
			}
			if err := appendClose(link, r.TS); err != nil {
				return err
			}
		}
		cur, err := s.nameOf(link, f)
		if err != nil {
			return err
		}
		if cur == "" || cur == main {
			src := main
			if cur == "" {
				src = link
			}
			open := l.Open
			if !validOpen(open) {
				open = zeekTime(r.TS) // unknown (see ckptLog.Open)
			}
			if cur, err = s.rename(src, f, open, r.TS); err != nil {
				return err
			}
		}
		paths = append(paths, cur)
		if compressed {
			// The new file cannot be continued: the resumed writer
			// starts its own.
			if err := os.Remove(main); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("sdk: %w", err)
			}
			ck.Logs[i].File = ""
			continue
		}
		if err := os.WriteFile(main, header, 0o644); err != nil {
			return fmt.Errorf("sdk: completing the rotation of %s: %w", main, err)
		}
		ck.Logs[i] = ckptLog{File: f, Size: int64(len(header)), Open: zeekTime(r.TS)}
	}
	ck.Logs = slices.DeleteFunc(ck.Logs, func(l ckptLog) bool { return l.File == "" })
	ck.Rotations = append(ck.Rotations, rotation{Seq: r.Seq, Paths: paths})
	ck.Rotating = nil
	s.logger.Warn("completed a rotation the crashed process had begun", "batch", r.Seq, "files", paths)
	if err := s.save(ck); err != nil {
		return err
	}
	if err := os.RemoveAll(s.rotDir); err != nil {
		return fmt.Errorf("sdk: %w", err)
	}
	return nil
}

// nameOf returns the path in the log directory of the file whose second
// name is link (a log file called file before the rotation): the file
// itself if not renamed yet, its rotated name, or "" if it has no other
// name.
func (s *logSet) nameOf(link, file string) (string, error) {
	li, err := os.Stat(link)
	if err != nil {
		return "", fmt.Errorf("sdk: %w", err)
	}
	main := filepath.Join(s.dir, file)
	if fi, err := os.Stat(main); err == nil && os.SameFile(li, fi) {
		return main, nil
	}
	stem := strings.TrimSuffix(file, ".log"+s.opts.Compress.Ext()) + "."
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return "", fmt.Errorf("sdk: %w", err)
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), stem) {
			continue
		}
		if fi, err := e.Info(); err == nil && os.SameFile(li, fi) {
			return filepath.Join(s.dir, e.Name()), nil
		}
	}
	return "", nil
}
