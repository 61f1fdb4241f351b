package file

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// Expand turns -r arguments into the list of files to read. Each argument
// is a path or a glob (filepath.Match syntax: *, ?, [...]); the glob is
// expanded here, so a quoted 'cases/*.pcap*' works without a shell, and
// beyond the shell's argument-length limit.
//
// The result is sorted and holds each file once, even when two arguments
// name it differently (a.pcap and ./a.pcap, or a path and a symlink to
// it), so that no packet is read twice. Directories matched by a glob are
// left out. It is an error when a glob matches no file, when a path does
// not exist or is a directory, or when a glob is malformed; the error names
// the argument.
func Expand(patterns []string) ([]string, error) {
	var paths []string
	for _, p := range patterns {
		if !hasMeta(p) {
			fi, err := os.Stat(p)
			if err != nil {
				return nil, err // *fs.PathError: "stat x: no such file or directory"
			}
			if fi.IsDir() {
				return nil, fmt.Errorf("%s: is a directory, not a capture file", p)
			}
			paths = append(paths, filepath.Clean(p))
			continue
		}
		matches, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", p, err)
		}
		n := 0
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && !fi.IsDir() {
				paths = append(paths, filepath.Clean(m))
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("pattern %q matches no files", p)
		}
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)
	return dedupSameFile(paths), nil
}

// dedupSameFile drops paths that name a file seen earlier in the list by
// another name. Files are compared only with files of the same size.
func dedupSameFile(paths []string) []string {
	bySize := make(map[int64][]os.FileInfo)
	out := paths[:0]
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil { // vanished since; let Open report it
			out = append(out, p)
			continue
		}
		if slices.ContainsFunc(bySize[fi.Size()], func(o os.FileInfo) bool { return os.SameFile(o, fi) }) {
			continue
		}
		bySize[fi.Size()] = append(bySize[fi.Size()], fi)
		out = append(out, p)
	}
	return out
}

// hasMeta reports whether p holds glob metacharacters. As in
// filepath.Glob, a backslash escapes one, except on Windows.
func hasMeta(p string) bool {
	magic := `*?[\`
	if runtime.GOOS == "windows" {
		magic = `*?[`
	}
	return strings.ContainsAny(p, magic)
}
