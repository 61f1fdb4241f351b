package logs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirnet/weir/logs/schema"
)

func TestIntervalAndCountVectors(t *testing.T) {
	l, err := schema.Parse([]byte(`{"path":"v","description":"d","fields":[
		{"name":"ttls","type":"vector[interval]","description":"d"},
		{"name":"ns","type":"vector[count]","description":"d"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Format{TSV, JSON} {
		dir := t.TempDir()
		w, err := Create(l, Options{Dir: dir, Format: f}, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.Begin()
		w.IntervalVector([]int64{3600e9, 1500e6})
		w.CountVector([]uint64{1, 22})
		if err := w.End(); err != nil {
			t.Fatal(err)
		}
		w.Begin()
		w.IntervalVector(nil)
		w.CountVector(nil)
		w.End()
		w.Close(0)
		b, _ := os.ReadFile(filepath.Join(dir, "v.log"))
		want := []string{"3600.000000,1.500000\t1,22\n", "(empty)\t(empty)\n"}
		if f == JSON {
			want = []string{`{"ttls":[3600.0,1.5],"ns":[1,22]}`, `{"ttls":[],"ns":[]}`}
		}
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%v: %q not in\n%s", f, w, b)
			}
		}
	}
}
