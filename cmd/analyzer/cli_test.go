package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func runCLI(t *testing.T, args ...string) (code int, stderr string) {
	t.Helper()
	var b bytes.Buffer
	code = run(args, &b)
	return code, b.String()
}

func dataLines(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// A truncated file: one clear error naming the file and the packet, a
// non-zero exit, and everything before the damage analyzed and logged.
func TestTruncatedFileKeepsWhatWasRead(t *testing.T) {
	dir := t.TempDir()
	code, stderr := runCLI(t, "-r", filepath.Join(pcapDir, "file_truncated.pcap"), "-o", dir, "-q")
	if code == 0 {
		t.Fatalf("exit 0 on a truncated file")
	}
	if !strings.Contains(stderr, "file_truncated.pcap") || !strings.Contains(stderr, "packet 6") {
		t.Errorf("error does not name the file and the packet: %q", stderr)
	}
	if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
		t.Errorf("want one line of error, got %d:\n%s", n+1, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "conn.log"))
	if err != nil {
		t.Fatalf("conn.log not written for the packets before the damage: %v", err)
	}
	if len(dataLines(b)) == 0 {
		t.Fatal("conn.log has no connection")
	}
	if !bytes.Contains(b, []byte("#close")) {
		t.Error("conn.log not closed")
	}
}

// A connection whose packets are spread over two files is one connection.
func TestSplitFilesMergeIntoOneConnection(t *testing.T) {
	got := analyze(t, "-r", filepath.Join(pcapDir, "split_a.pcap"), "-r", filepath.Join(pcapDir, "split_b.pcap"))
	lines := dataLines(got["conn.log"])
	if len(lines) != 1 {
		t.Fatalf("got %d connections, want 1:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if !strings.Contains(lines[0], "\tSF\t") || !strings.Contains(lines[0], "ShADadFf") {
		t.Errorf("merged connection is not a complete SF exchange: %s", lines[0])
	}
	// A glob gives the same.
	glob := analyze(t, "-r", filepath.Join(pcapDir, "split_*.pcap"))
	if !bytes.Equal(glob["conn.log"], got["conn.log"]) {
		t.Error("glob and explicit files give different logs")
	}
}

func TestUnknownConfigKey(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "weir.toml")
	os.WriteFile(cfg, []byte("[conn]\ntcp_inactivity_timout = \"1m\"\n"), 0o644)
	code, stderr := runCLI(t, "-c", cfg, "-r", filepath.Join(pcapDir, "tcp_sf.pcap"), "-o", t.TempDir())
	if code == 0 || !strings.Contains(stderr, "conn.tcp_inactivity_timout") || !strings.Contains(stderr, cfg) {
		t.Fatalf("exit %d, stderr %q: want an error naming the key and the file", code, stderr)
	}
}

func TestConfigChangesTimeouts(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "weir.toml")
	// With a 10 minute UDP timeout the two bursts 2 minutes apart are one flow.
	os.WriteFile(cfg, []byte("[conn]\nudp_inactivity_timeout = \"10m\"\n"), 0o644)
	got := analyze(t, "-c", cfg, "-r", filepath.Join(pcapDir, "udp_inactivity.pcap"))
	if n := len(dataLines(got["conn.log"])); n != 1 {
		t.Fatalf("%d connections with a 10m UDP timeout, want 1", n)
	}
}

func TestJSONAndCompression(t *testing.T) {
	got := analyze(t, "-r", filepath.Join(pcapDir, "tcp_sf.pcap"), "--format", "json", "--compress", "zstd")
	z, ok := got["conn.log.zst"]
	if !ok {
		t.Fatalf("no conn.log.zst; wrote %v", keys(got))
	}
	d, _ := zstd.NewReader(nil)
	plain, err := d.DecodeAll(z, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := string(plain)
	for _, want := range []string{`"id.orig_h":"198.18.0.10"`, `"conn_state":"SF"`, `"history":"ShADadFf"`, `"community_id":"1:`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON conn.log lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, `"tunnel_parents"`) {
		t.Error("unset tunnel_parents written in JSON (Zeek omits unset fields)")
	}
	if !strings.Contains(s, `"service":"http"`) {
		t.Error("HTTP on port 80 not named in service")
	}
}

func TestFilter(t *testing.T) {
	all := analyze(t, "-r", filepath.Join(pcapDir, "real_mixed.pcap"))
	tcp := analyze(t, "-r", filepath.Join(pcapDir, "real_mixed.pcap"), "-f", "tcp port 80")
	nAll, nTCP := len(dataLines(all["conn.log"])), len(dataLines(tcp["conn.log"]))
	if nTCP == 0 || nTCP >= nAll {
		t.Fatalf("filter 'tcp port 80' kept %d of %d connections", nTCP, nAll)
	}
	for _, l := range dataLines(tcp["conn.log"]) {
		if !strings.Contains(l, "\ttcp\t") || !strings.Contains(l, "\t80\t") {
			t.Errorf("filtered log has a non-port-80 connection: %s", l)
		}
	}
	code, stderr := runCLI(t, "-r", filepath.Join(pcapDir, "tcp_sf.pcap"), "-f", "tcp port eighty", "-o", t.TempDir())
	if code == 0 || !strings.Contains(stderr, "eighty") {
		t.Errorf("bad filter: exit %d, %q", code, stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	if code, stderr := runCLI(t); code != 2 || !strings.Contains(stderr, "-r") {
		t.Errorf("no arguments: exit %d, %q", code, stderr)
	}
	if code, stderr := runCLI(t, "-r", "/nonexistent/x.pcap"); code == 0 || !strings.Contains(stderr, "/nonexistent/x.pcap") {
		t.Errorf("missing file: exit %d, %q", code, stderr)
	}
	if code, _ := runCLI(t, "--help"); code != 0 {
		t.Errorf("--help: exit %d", code)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
