package logs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/weirnet/weir/logs/schema"
)

func testSchema(t *testing.T, doc string) *schema.Log {
	t.Helper()
	l, err := schema.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// pair is a two-field log: a string and a count.
const pairSchema = `{"path":"pair","description":"d","fields":[
	{"name":"s","type":"string","description":"d"},
	{"name":"n","type":"count","description":"d"}]}`

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// records returns the non-header lines of a TSV log.
func records(s string) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

func TestTypeMismatchPanics(t *testing.T) {
	w, err := Create(mustSchema("conn"), Options{Dir: t.TempDir()}, openTS)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(closeTS)
	for name, write := range map[string]func(){
		"Addr for time":      func() { w.Addr(netip.MustParseAddr("10.0.0.1")) },
		"zero Addr for time": func() { w.Addr(netip.Addr{}) },
		"String for time":    func() { w.String("x") },
		"Count for time":     func() { w.Count(1) },
		"Interval for time":  func() { w.Interval(1) },
		"StringSet for time": func() { w.StringSet(nil) },
	} {
		t.Run(name, func(t *testing.T) {
			w.Begin()
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if !strings.Contains(msg, `conn field 0 "ts" has type time`) {
					t.Errorf("panic %q, want one naming the log, field and type", r)
				}
			}()
			write()
		})
	}
	// The Writer still works after a recovered panic: Begin drops the
	// unfinished record.
	if err := writeConn(w, &typicalConn); err != nil {
		t.Fatal(err)
	}
	// Enum and String are distinct types.
	w.Begin()
	w.Time(1)
	w.String("uid")
	w.Addr(netip.MustParseAddr("10.0.0.1"))
	w.Port(1)
	w.Addr(netip.MustParseAddr("10.0.0.2"))
	w.Port(2)
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), `"proto" has type enum, got a string value`) {
				t.Errorf("String for an enum field: panic %v", r)
			}
		}()
		w.String("tcp")
	}()
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "outside Begin/End") {
				t.Errorf("value outside a record: panic %v", r)
			}
		}()
		w2, _ := Create(testSchema(t, pairSchema), Options{Dir: t.TempDir()}, 0)
		defer w2.Close(0)
		w2.String("x")
	}()
}

func TestValueCount(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(testSchema(t, pairSchema), Options{Dir: dir}, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Begin()
	w.String("too few")
	if err := w.End(); err == nil || !strings.Contains(err.Error(), "record has 1 values, the schema has 2 fields") {
		t.Errorf("End with too few values: %v", err)
	}
	w.Begin()
	w.String("too many")
	w.Count(1)
	w.Count(2)
	w.Unset()
	if err := w.End(); err == nil || !strings.Contains(err.Error(), "record has 4 values") {
		t.Errorf("End with too many values: %v", err)
	}
	if err := w.End(); err == nil {
		t.Error("End without Begin succeeded")
	}
	w.Begin()
	w.String("abandoned")
	w.Begin() // drops the abandoned record
	w.String("ok")
	w.Count(3)
	if err := w.End(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(0); err != nil {
		t.Fatal(err)
	}
	if got := records(readFile(t, filepath.Join(dir, "pair.log"))); len(got) != 1 || got[0] != "ok\t3" {
		t.Errorf("records = %q, want only the complete one", got)
	}
	if err := w.Close(0); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: %v, want ErrClosed", err)
	}
	if err := w.Flush(); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close: %v, want ErrClosed", err)
	}
}

// A line that would start with '#' gets that byte escaped, as in Zeek, so
// it cannot be taken for a header line.
func TestHashAtLineStart(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(testSchema(t, pairSchema), Options{Dir: dir}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"#fields", "a#b", "#"} {
		w.Begin()
		w.String(s)
		w.Count(1)
		if err := w.End(); err != nil {
			t.Fatal(err)
		}
	}
	w.Close(0)
	want := []string{`\x23fields` + "\t1", "a#b\t1", `\x23` + "\t1"}
	if got := records(readFile(t, filepath.Join(dir, "pair.log"))); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("records = %q, want %q", got, want)
	}
}

// Flush puts every complete record into the file, and only those.
func TestFlush(t *testing.T) {
	for _, c := range []Compression{NoCompression, Gzip, Zstd} {
		t.Run(string(c)+"_", func(t *testing.T) {
			dir := t.TempDir()
			w, err := Create(testSchema(t, pairSchema), Options{Dir: dir, Format: JSON, Compress: c}, 0)
			if err != nil {
				t.Fatal(err)
			}
			w.Begin()
			w.String("done")
			w.Count(1)
			w.End()
			w.Begin()
			w.String("in progress")
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			// A compressed stream is not finished yet, but what was
			// flushed decompresses.
			if got := decompressPrefix(t, w.Name(), c); got != `{"s":"done","n":1}`+"\n" {
				t.Errorf("after Flush the file holds %q", got)
			}
			w.Count(2)
			if err := w.End(); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(0); err != nil {
				t.Fatal(err)
			}
			if got := decompress(t, w.Name(), c); got != `{"s":"done","n":1}`+"\n"+`{"s":"in progress","n":2}`+"\n" {
				t.Errorf("file = %q", got)
			}
		})
	}
}

func decompress(t *testing.T, name string, c Compression) string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	switch c {
	case Gzip:
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case Zstd:
		zr, err := zstd.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decompressing %s: %v", name, err)
	}
	return string(b)
}

// decompressPrefix reads what a still-open compressed file yields, ignoring
// the missing end of the stream.
func decompressPrefix(t *testing.T, name string, c Compression) string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	switch c {
	case Gzip:
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case Zstd:
		zr, err := zstd.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	}
	var out bytes.Buffer
	io.Copy(&out, r) // stops with io.ErrUnexpectedEOF at the unfinished end
	return out.String()
}

// TestCompressedRoundTrip writes many records through each compressor, with
// small buffers so that many hand-offs happen, and compares the
// decompressed file with the plain one.
func TestCompressedRoundTrip(t *testing.T) {
	const n = 5000
	write := func(o Options) string {
		o.Dir = t.TempDir()
		o.BufferSize = 4 << 10
		w, err := Create(mustSchema("conn"), o, openTS)
		if err != nil {
			t.Fatal(err)
		}
		r := typicalConn
		for i := range n {
			r.ts = openTS + int64(i)*1e6
			r.origP = uint16(i)
			if err := writeConn(w, &r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(closeTS); err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(o.Dir, "conn.log"+o.Compress.Ext()); w.Name() != want {
			t.Errorf("file %s, want %s", w.Name(), want)
		}
		return decompress(t, w.Name(), o.Compress)
	}
	for _, f := range []Format{TSV, JSON} {
		plain := write(Options{Format: f})
		if got := len(records(plain)); got != n {
			t.Fatalf("%v: %d records, want %d", f, got, n)
		}
		for _, c := range []Compression{Gzip, Zstd} {
			if got := write(Options{Format: f, Compress: c}); got != plain {
				t.Errorf("%v %s: decompressed file differs from the plain one (%d vs %d bytes)", f, c, len(got), len(plain))
			}
		}
	}
}

func TestRotate(t *testing.T) {
	for _, c := range []Compression{NoCompression, Zstd} {
		t.Run(string(c)+"_", func(t *testing.T) {
			dir := t.TempDir()
			w, err := Create(testSchema(t, pairSchema), Options{Dir: dir, Compress: c}, openTS)
			if err != nil {
				t.Fatal(err)
			}
			write := func(s string) {
				w.Begin()
				w.String(s)
				w.Count(1)
				if err := w.End(); err != nil {
					t.Fatal(err)
				}
			}
			write("first")
			w.Begin()
			w.String("unfinished at rotation")
			const rotTS = 1300478400000000000 // 2011-03-18-20-00-00
			rotated, err := w.Rotate(rotTS)
			if err != nil {
				t.Fatal(err)
			}
			want := filepath.Join(dir, "pair.2011-03-18-19-06-07-2011-03-18-20-00-00.log"+c.Ext())
			if rotated != want {
				t.Errorf("rotated to %s, want %s", rotated, want)
			}
			old := decompress(t, rotated, c)
			if !strings.Contains(old, "#open\t2011-03-18-19-06-07\n") || !strings.HasSuffix(old, "first\t1\n#close\t2011-03-18-20-00-00\n") {
				t.Errorf("rotated file:\n%s", old)
			}
			write("second")
			// A second rotation within the same second gets a suffix.
			again, err := w.Rotate(rotTS)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, "pair.2011-03-18-20-00-00-2011-03-18-20-00-00.log"+c.Ext()); again != want {
				t.Errorf("second rotation to %s, want %s", again, want)
			}
			write("third")
			third, err := w.Rotate(rotTS)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, "pair.2011-03-18-20-00-00-2011-03-18-20-00-00-1.log"+c.Ext()); third != want {
				t.Errorf("third rotation to %s, want %s", third, want)
			}
			write("fourth")
			if err := w.Close(rotTS + 3600e9); err != nil {
				t.Fatal(err)
			}
			cur := decompress(t, filepath.Join(dir, "pair.log"+c.Ext()), c)
			if !strings.Contains(cur, "#open\t2011-03-18-20-00-00\n") || !strings.HasSuffix(cur, "fourth\t1\n#close\t2011-03-18-21-00-00\n") {
				t.Errorf("current file:\n%s", cur)
			}
			if got := records(decompress(t, again, c)); len(got) != 1 || got[0] != "second\t1" {
				t.Errorf("second file records %q", got)
			}
		})
	}
}

// failFS fails writes after a number of bytes, and renames when asked.
type failFS struct {
	osFS
	failRename bool
}

type failingFile struct{ *os.File }

func (f failingFile) Write(b []byte) (int, error) { return 0, errors.New("disk full") }

func (fs failFS) Open(name string, appendTo bool) (io.WriteCloser, error) {
	f, err := fs.osFS.Open(name, appendTo)
	if err != nil || fs.failRename {
		return f, err
	}
	return failingFile{f.(*os.File)}, nil
}

func (fs failFS) Rename(oldpath, newpath string) error {
	if fs.failRename {
		return errors.New("rename refused")
	}
	return fs.osFS.Rename(oldpath, newpath)
}

func TestWriteErrorIsReported(t *testing.T) {
	w, err := Create(testSchema(t, pairSchema), Options{Dir: t.TempDir(), BufferSize: 64, fs: failFS{}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var endErr error
	for i := 0; i < 100 && endErr == nil; i++ {
		w.Begin()
		w.String("some text to fill the buffer")
		w.Count(uint64(i))
		endErr = w.End()
	}
	if endErr == nil || !strings.Contains(endErr.Error(), "disk full") {
		t.Errorf("End error %v, want the write error", endErr)
	}
	if err := w.Close(0); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Close error %v, want the write error", err)
	}
}

// If the rename fails, the records stay in the file: the new file appends.
func TestRotateRenameFailureKeepsData(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(testSchema(t, pairSchema), Options{Dir: dir, fs: failFS{failRename: true}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range []string{"before", "after"} {
		w.Begin()
		w.String(s)
		w.Count(1)
		w.End()
		if i == 0 {
			if _, err := w.Rotate(1e9); err == nil {
				t.Error("Rotate did not report the failed rename")
			}
		}
	}
	w.Close(2e9)
	if got := records(readFile(t, filepath.Join(dir, "pair.log"))); strings.Join(got, "|") != "before\t1|after\t1" {
		t.Errorf("records %q", got)
	}
}

func TestCreateRejects(t *testing.T) {
	dir := t.TempDir()
	l := mustSchema("conn")
	if _, err := Create(l, Options{Dir: dir, Compress: "lz4"}, 0); err == nil {
		t.Error("unknown compression accepted")
	}
	if _, err := Create(l, Options{Dir: dir, Format: 7}, 0); err == nil {
		t.Error("unknown format accepted")
	}
	sub := testSchema(t, `{"path":"s","description":"d","fields":[{"name":"n","type":"subnet","description":"d"}]}`)
	if _, err := Create(sub, Options{Dir: dir}, 0); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("unsupported type: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "blocker"), nil, 0o644)
	if _, err := Create(l, Options{Dir: filepath.Join(dir, "blocker", "x")}, 0); err == nil {
		t.Error("Dir below a file accepted")
	}
}

// zeekCut reads a TSV log the way zeek-cut does: the separator from the
// "#separator" line (written escaped), the column names from "#fields",
// header lines skipped; it returns the named columns of each record.
func zeekCut(t *testing.T, r io.Reader, columns ...string) [][]string {
	t.Helper()
	sc := bufio.NewScanner(r)
	sep := ""
	var idx []int
	var out [][]string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#separator "):
			s := unescapeTSV(strings.TrimPrefix(line, "#separator "))
			if s == "" {
				t.Fatalf("empty separator in %q", line)
			}
			sep = s
		case strings.HasPrefix(line, "#fields"+sep) && sep != "":
			names := strings.Split(line, sep)[1:]
			idx = idx[:0]
			for _, c := range columns {
				i := -1
				for j, n := range names {
					if n == c {
						i = j
					}
				}
				if i < 0 {
					t.Fatalf("column %q not in %q", c, names)
				}
				idx = append(idx, i)
			}
		case strings.HasPrefix(line, "#"):
		default:
			if idx == nil {
				t.Fatalf("record before #fields: %q", line)
			}
			vals := strings.Split(line, sep)
			var row []string
			for _, i := range idx {
				row = append(row, vals[i])
			}
			out = append(out, row)
		}
	}
	return out
}

func TestReadableByZeekCut(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(mustSchema("conn"), Options{Dir: dir}, openTS)
	if err != nil {
		t.Fatal(err)
	}
	for i := range goldenConns {
		writeConn(w, &goldenConns[i])
	}
	w.Close(closeTS)
	f, err := os.Open(filepath.Join(dir, "conn.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := zeekCut(t, f, "uid", "id.resp_h", "id.resp_p", "duration", "tunnel_parents", "history")
	want := [][]string{
		{"CHhAvVGS1DHFjwGM9", "208.80.152.118", "80", "2.683796", "-", "ShADadttfF"},
		{"CwjjYJ2WqgTbAqiHl6", "ff02::fb", "5353", "1.000000", "(empty)", "D"},
		{"C\u00e9-UTF8", "::192.168.1.1", "67", "-0.000002", `a\x2cb,\x2d,(empty),\x28empty),x\xffy\xc3\xa9`, `a\x09b\x0ac\\d\x7fe\xc3\xa9`},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("zeek-cut view:\n got %q\nwant %q", rows, want)
	}
	// Unescaped, the values come back as written.
	if got := unescapeTSV(rows[2][5]); got != goldenConns[2].history {
		t.Errorf("history unescapes to %q, want %q", got, goldenConns[2].history)
	}
}

// TestZeroAllocs asserts that writing records allocates nothing in steady
// state, buffer hand-offs to the compressing goroutine included. Each run
// writes 1000 records through 8 KiB buffers (some 40 hand-offs), so that
// even one allocation per run, which AllocsPerRun's integer average would
// hide if a run were one record, fails the test.
func TestZeroAllocs(t *testing.T) {
	for _, f := range []Format{TSV, JSON} {
		for _, c := range []Compression{NoCompression, Gzip, Zstd} {
			t.Run(fmt.Sprintf("%v/%s", f, c), func(t *testing.T) {
				w, err := Create(mustSchema("conn"), Options{Dir: t.TempDir(), Format: f, Compress: c, BufferSize: 8 << 10}, openTS)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close(closeTS)
				records := []connRec{typicalConn, goldenConns[1], goldenConns[2]}
				write := func() {
					for i := range 1000 {
						if err := writeConn(w, &records[i%len(records)]); err != nil {
							t.Fatal(err)
						}
					}
				}
				write() // warm up: buffers, compressor state
				if n := testing.AllocsPerRun(10, write); n != 0 {
					t.Errorf("%v allocations per 1000 records, want 0", n)
				}
			})
		}
	}
}

// TestOtherTypes covers the value methods conn and weird do not use.
func TestOtherTypes(t *testing.T) {
	l := testSchema(t, `{"path":"misc","description":"d","fields":[
		{"name":"i","type":"int","description":"d"},
		{"name":"d","type":"double","description":"d"},
		{"name":"tags","type":"vector[enum]","description":"d"},
		{"name":"b","type":"string","description":"d"}]}`)
	for _, tc := range []struct {
		format Format
		want   string
	}{
		{TSV, "-42\t0.333333\tA,B\t\\x2d\n0\t3.0\t(empty)\t(empty)\n"},
		{JSON, `{"i":-42,"d":0.3333333333333333,"tags":["A","B"],"b":"-"}` + "\n" + `{"i":0,"d":3.0,"tags":[],"b":""}` + "\n"},
	} {
		dir := t.TempDir()
		w, err := Create(l, Options{Dir: dir, Format: tc.format}, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []struct {
			i    int64
			d    float64
			tags []string
			b    []byte
		}{{-42, 1.0 / 3, []string{"A", "B"}, []byte("-")}, {0, 3, nil, nil}} {
			w.Begin()
			w.Int(r.i)
			w.Double(r.d)
			w.StringSet(r.tags)
			w.Bytes(r.b)
			if err := w.End(); err != nil {
				t.Fatal(err)
			}
		}
		w.Close(0)
		got := readFile(t, filepath.Join(dir, "misc.log"))
		if tc.format == TSV {
			got = strings.Join(records(got), "\n") + "\n"
		}
		if got != tc.want {
			t.Errorf("%v:\n got %q\nwant %q", tc.format, got, tc.want)
		}
	}
}
