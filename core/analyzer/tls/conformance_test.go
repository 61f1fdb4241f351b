package tls

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// conformanceDir finds Zeek's reference cases (shared/conformance beside
// the repository, or $WEIR_CONFORMANCE). They are never copied into the
// repository.
func conformanceDir() string {
	if d := os.Getenv("WEIR_CONFORMANCE"); d != "" {
		return filepath.Join(d, "zeek", "cases")
	}
	return filepath.Join("..", "..", "..", "..", "shared", "conformance", "zeek", "cases")
}

// conformanceCases are the TLS, SSLv3, DTLS and STARTTLS cases.
func conformanceCases(t *testing.T) []string {
	dir := conformanceDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("Zeek conformance cases not available (%v)", err)
	}
	var cases []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, "tls") || strings.HasPrefix(n, "dtls") || n == "sslv3" || strings.HasSuffix(n, "-starttls") {
			if _, err := os.Stat(filepath.Join(dir, n, "ssl.log")); err == nil {
				cases = append(cases, n)
			}
		}
	}
	return cases
}

// TestZeekConformance runs every TLS case of the conformance suite and
// requires each ssl.log field weir writes to agree with Zeek's reference.
func TestZeekConformance(t *testing.T) {
	dir := conformanceDir()
	total, bad := 0, 0
	for _, c := range conformanceCases(t) {
		t.Run(c, func(t *testing.T) {
			got := runCapture(t, filepath.Join(dir, c, "trace.pcap"), nil)
			ref := readZeekLog(t, filepath.Join(dir, c, "ssl.log"))
			diffs, n := compareWithZeek(got.records(), ref)
			total += n
			bad += len(diffs)
			for _, d := range diffs {
				t.Error(d)
			}
		})
	}
	t.Logf("%d field values compared, %d differ", total, bad)
}
