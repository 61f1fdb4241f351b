package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden logs under testdata/pcaps/*.golden")

const pcapDir = "../../testdata/pcaps"

// captures lists the project's own test captures, skipping the ones that
// are deliberately broken (tested separately) and split halves.
func captures(t *testing.T) []string {
	t.Helper()
	var out []string
	ents, err := os.ReadDir(pcapDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !(strings.Contains(n, ".pcap")) {
			continue
		}
		if strings.HasPrefix(n, "file_truncated") || strings.HasPrefix(n, "split_") {
			continue
		}
		out = append(out, n)
	}
	sort.Strings(out)
	if len(out) == 0 {
		t.Fatal("no captures in testdata/pcaps: run go run ./testdata/gen -o testdata/pcaps")
	}
	return out
}

// analyze runs the CLI in-process and returns the logs it wrote.
func analyze(t *testing.T, args ...string) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	var stderr bytes.Buffer
	args = append(args, "-o", dir, "-q")
	if code := run(args, &stderr); code != 0 {
		t.Fatalf("analyzer %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
	}
	logs := map[string][]byte{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		logs[e.Name()] = b
	}
	return logs
}

// TestGolden replays every capture and compares each log with its golden
// copy in testdata/pcaps/<capture>.golden/. Run with -update to rewrite.
func TestGolden(t *testing.T) {
	for _, name := range captures(t) {
		t.Run(name, func(t *testing.T) {
			got := analyze(t, "-r", filepath.Join(pcapDir, name))
			gdir := filepath.Join(pcapDir, strings.SplitN(name, ".", 2)[0]+".golden")
			if *update {
				os.RemoveAll(gdir)
				if err := os.MkdirAll(gdir, 0o755); err != nil {
					t.Fatal(err)
				}
				for n, b := range got {
					if err := os.WriteFile(filepath.Join(gdir, n), b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			want := map[string][]byte{}
			ents, err := os.ReadDir(gdir)
			if err != nil {
				t.Fatalf("no golden logs (run go test ./cmd/analyzer -run Golden -update): %v", err)
			}
			for _, e := range ents {
				b, _ := os.ReadFile(filepath.Join(gdir, e.Name()))
				want[e.Name()] = b
			}
			for n := range want {
				if _, ok := got[n]; !ok {
					t.Errorf("%s: not written", n)
				}
			}
			for n, b := range got {
				w, ok := want[n]
				if !ok {
					t.Errorf("%s: written but has no golden copy", n)
					continue
				}
				if !bytes.Equal(b, w) {
					t.Errorf("%s differs from golden:\n%s", n, lineDiff(w, b))
				}
			}
		})
	}
}

// TestWorkersDeterministic checks the logs do not depend on the number of
// workers or on the run.
func TestWorkersDeterministic(t *testing.T) {
	for _, name := range captures(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(pcapDir, name)
			one := analyze(t, "-r", path, "--workers", "1")
			four := analyze(t, "-r", path, "--workers", "4")
			again := analyze(t, "-r", path, "--workers", "4")
			for n, b := range one {
				if !bytes.Equal(b, four[n]) {
					t.Errorf("%s differs between 1 and 4 workers:\n%s", n, lineDiff(b, four[n]))
				}
				if !bytes.Equal(four[n], again[n]) {
					t.Errorf("%s differs between two runs with 4 workers", n)
				}
			}
			if len(one) != len(four) {
				t.Errorf("1 worker wrote %d logs, 4 wrote %d", len(one), len(four))
			}
		})
	}
}

func lineDiff(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	var b strings.Builder
	n := max(len(wl), len(gl))
	shown := 0
	for i := 0; i < n && shown < 10; i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			b.WriteString("- " + w + "\n+ " + g + "\n")
			shown++
		}
	}
	return b.String()
}
