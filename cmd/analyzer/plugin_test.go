package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildAnalyzer builds the binary once per test (plugin-serve needs a real
// executable, not the test binary).
func buildAnalyzer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "analyzer")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// The conn log written by the conn plugin in its own process equals the
// in-process one, byte for byte.
func TestOutOfProcessConnLog(t *testing.T) {
	bin := buildAnalyzer(t)
	cfg := filepath.Join(t.TempDir(), "weir.toml")
	os.WriteFile(cfg, []byte("[[plugin]]\nname = \"conn\"\nbuiltin = \"conn\"\n"), 0o644)
	pcap := filepath.Join(pcapDir, "real_mixed.pcap")
	oop, inp := t.TempDir(), t.TempDir()
	if out, err := exec.Command(bin, "-c", cfg, "-r", pcap, "-o", oop, "-q").CombinedOutput(); err != nil {
		t.Fatalf("out-of-process run: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "-r", pcap, "-o", inp, "-q").CombinedOutput(); err != nil {
		t.Fatalf("in-process run: %v\n%s", err, out)
	}
	a, _ := os.ReadFile(filepath.Join(oop, "conn.log"))
	b, _ := os.ReadFile(filepath.Join(inp, "conn.log"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("out-of-process conn.log (%d bytes) differs from in-process (%d bytes)", len(a), len(b))
	}
	out, err := exec.Command(bin, "plugins", "-c", cfg).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "out-of-process:\n  conn") || !strings.Contains(string(out), "ConnEnd") {
		t.Errorf("analyzer plugins: %v\n%s", err, out)
	}
}

// --rotate closes logs at interval boundaries of network time, names them
// Zeek-style, and loses no record.
func TestRotation(t *testing.T) {
	pcap := filepath.Join(pcapDir, "tcp_inactivity.pcap") // two bursts minutes apart
	dir := t.TempDir()
	if code, stderr := runCLI(t, "-r", pcap, "-o", dir, "-q", "--rotate", "1m"); code != 0 {
		t.Fatal(stderr)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "conn.*.log"))
	if len(files) == 0 {
		t.Fatalf("no rotated conn log in %s", dir)
	}
	var lines int
	all := append(files, filepath.Join(dir, "conn.log"))
	for _, f := range all {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if !bytes.Contains(b, []byte("\n#close\t")) {
			t.Errorf("%s not closed", f)
		}
		lines += len(dataLines(b))
	}
	whole := analyze(t, "-r", pcap)
	if want := len(dataLines(whole["conn.log"])); lines != want {
		t.Errorf("%d records over the rotated files, want %d", lines, want)
	}
}

// rotate_size starts a new file once a log holds that many bytes.
func TestRotationBySize(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "weir.toml")
	os.WriteFile(cfg, []byte("[output]\nrotate_size = 300\n"), 0o644)
	pcap := filepath.Join(pcapDir, "real_dns_basic.pcap")
	dir := t.TempDir()
	if code, stderr := runCLI(t, "-c", cfg, "-r", pcap, "-o", dir, "-q"); code != 0 {
		t.Fatal(stderr)
	}
	rotated, _ := filepath.Glob(filepath.Join(dir, "dns.*.log"))
	if len(rotated) == 0 {
		t.Fatalf("no dns log rotated by size")
	}
	var lines int
	for _, f := range append(rotated, filepath.Join(dir, "dns.log")) {
		b, _ := os.ReadFile(f)
		lines += len(dataLines(b))
	}
	whole := analyze(t, "-r", pcap)
	if want := len(dataLines(whole["dns.log"])); lines != want {
		t.Errorf("%d dns records over %d files, want %d", lines, len(rotated)+1, want)
	}
}

// A log written by a plugin in its own process rotates as the in-process
// one does: the same files, byte for byte, and post_rotate is told.
func TestOutOfProcessRotation(t *testing.T) {
	bin := buildAnalyzer(t)
	pcap := filepath.Join(pcapDir, "tcp_inactivity.pcap") // two bursts minutes apart
	list := filepath.Join(t.TempDir(), "rotated")
	hook := fmt.Sprintf("[output]\npost_rotate = [\"sh\", \"-c\", \"echo \\\"$0\\\" >> %s\"]\n", list)
	cfg := filepath.Join(t.TempDir(), "weir.toml")
	os.WriteFile(cfg, []byte(hook+"[[plugin]]\nname = \"conn\"\nbuiltin = \"conn\"\n"), 0o644)
	oop, inp := t.TempDir(), t.TempDir()
	if out, err := exec.Command(bin, "-c", cfg, "-r", pcap, "-o", oop, "-q", "--rotate", "1m").CombinedOutput(); err != nil {
		t.Fatalf("out-of-process run: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "-r", pcap, "-o", inp, "-q", "--rotate", "1m").CombinedOutput(); err != nil {
		t.Fatalf("in-process run: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(inp, "conn*.log"))
	if len(files) < 2 {
		t.Fatalf("the in-process run rotated nothing: %v", files)
	}
	for _, f := range files {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Join(oop, filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs out of process (%v)", filepath.Base(f), err)
		}
	}
	var told []byte
	for i := 0; i < 100 && !bytes.Contains(told, []byte(oop)); i++ { // the hook runs in the background
		time.Sleep(20 * time.Millisecond)
		told, _ = os.ReadFile(list)
	}
	if n := bytes.Count(told, []byte(filepath.Join(oop, "conn."))); n != len(files)-1 {
		t.Errorf("post_rotate told of %d rotated conn logs, want %d:\n%s", n, len(files)-1, told)
	}
}
