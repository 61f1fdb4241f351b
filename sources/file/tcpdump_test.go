package file_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirnet/weir/sources"
	"github.com/weirnet/weir/sources/bpf"
	"github.com/weirnet/weir/sources/file"
)

// TestAgainstTcpdump reads the project's capture corpus (testdata/pcaps)
// with and without filters and checks that every frame and timestamp
// agrees with tcpdump's reading of the same file, which is libpcap's.
// Files tcpdump cannot read (pcapng mixing link types) and filters libpcap
// will not compile for a file's link type are left out.
func TestAgainstTcpdump(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tcpdump many times")
	}
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump is not installed")
	}
	paths, _ := filepath.Glob("../../testdata/pcaps/*.pcap*")
	if len(paths) == 0 {
		t.Skip("no captures in testdata/pcaps")
	}
	filters := []string{"", "tcp port 80", "udp and host 198.18.0.1", "vlan and tcp", "ip6 or icmp", "greater 200"}
	checked := 0
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		raw = decompress(t, path, raw)
		for _, expr := range filters {
			args := []string{"-nn", "-tt", "--time-stamp-precision=nano", "-r", "-"}
			if expr != "" {
				args = append(args, expr)
			}
			cmd := exec.Command(tcpdump, args...)
			cmd.Stdin = bytes.NewReader(raw)
			out, err := cmd.Output()
			if err != nil {
				continue // tcpdump cannot read the file or compile the filter
			}
			var want []string
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				// Decapsulated inner packets (VXLAN, ...) print on their
				// own lines without a timestamp: count only frame lines.
				if ts, _, ok := strings.Cut(line, " "); ok && ts != "" && ts[0] >= '0' && ts[0] <= '9' {
					want = append(want, ts)
				}
			}
			got, err := readFiltered(path, expr)
			if err != nil {
				t.Errorf("%s %q: %v", filepath.Base(path), expr, err)
				continue
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%s %q: weir reads %d frames %.60v, tcpdump %d %.60v", filepath.Base(path), expr, len(got), got, len(want), want)
			}
			checked++
		}
	}
	t.Logf("%d file and filter pairs agree", checked)
}

// readFiltered returns the timestamps, as tcpdump -tt prints them in
// nanoseconds, of the frames of a file that a filter accepts. A truncated
// file ends without an error, as tcpdump prints its frames and a warning.
func readFiltered(path, expr string) ([]string, error) {
	src, err := file.Open(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	set, err := bpf.NewSet(expr, 0)
	if err != nil {
		return nil, err
	}
	var out []string
	var f sources.Frame
	for {
		err := src.Next(&f)
		if err == io.EOF || errors.Is(err, file.ErrTruncated) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		ok, err := set.Match(&f)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, fmt.Sprintf("%d.%09d", f.TS/1e9, f.TS%1e9))
		}
	}
}

// decompress undoes the compression tcpdump cannot, with the tool a user
// would use.
func decompress(t *testing.T, path string, b []byte) []byte {
	var tool string
	switch {
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		tool = "zcat"
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		tool = "zstdcat"
	default:
		return b
	}
	cmd := exec.Command(tool)
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("%s: %s: %v", path, tool, err)
	}
	return out
}
