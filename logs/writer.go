package logs

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"unsafe"

	"github.com/weirnet/weir/logs/schema"
)

// Format is the encoding of a log file.
type Format int

const (
	// TSV is Zeek's default ASCII format: a header of #-lines naming and
	// typing the fields, one tab-separated line per record, a #close
	// footer.
	TSV Format = iota
	// JSON is one JSON object per line, as Zeek writes with
	// LogAscii::use_json=T: flat dotted member names, unset fields
	// omitted, no header.
	JSON
)

func (f Format) String() string {
	switch f {
	case TSV:
		return "tsv"
	case JSON:
		return "json"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// DefaultBufferSize is the size of each of a Writer's two buffers.
const DefaultBufferSize = 256 << 10

// Options configure a Writer.
type Options struct {
	// Dir is the directory of the log files; it is created if missing.
	// Empty means the current directory.
	Dir string
	// Format is TSV (the default) or JSON.
	Format Format
	// Compress selects the compressor; the file name gets its extension.
	Compress Compression
	// ISOTime writes JSON time values as ISO 8601 strings
	// ("2011-03-18T19:06:08.306400Z", Zeek's JSON::TS_ISO8601) instead
	// of epoch seconds (JSON::TS_EPOCH, the default). TSV ignores it.
	ISOTime bool
	// BufferSize is the size of each of the two buffers that records are
	// collected in before they go to the file; DefaultBufferSize if zero.
	BufferSize int

	fs   fileSystem // nil: the OS; tests substitute their own
	sync bool       // wait for each hand-off: the benchmarks' baseline
}

// ErrClosed is returned by a Writer that was closed.
var ErrClosed = errors.New("logs: writer closed")

// field is what encoding needs of a schema field, kept small so that the
// per-value type check stays in cache.
type field struct {
	kind schema.Kind
	elem schema.Kind // of a Set or Vector
	// key precedes the value: `,"name":` in JSON (End turns the first
	// comma of a record into '{'), the separator in TSV ("" for the first
	// field).
	key []byte
}

// closedRecord is Writer.next between End and Begin: larger than any field
// index, so one comparison catches both a value beyond the last field and a
// value outside a record.
const closedRecord = math.MaxInt

// Writer writes the records of one log, in the log's schema, to a file.
//
// A record is written by Begin, one value method per field in schema order,
// then End:
//
//	w.Begin()
//	w.Time(c.Start)
//	w.String(c.UID)
//	w.Addr(c.OrigH)
//	...
//	if err := w.End(); err != nil { ... }
//
// Each value method checks the value's type against the schema field it
// fills; a mismatch is a programming error and panics, naming the log, the
// field and both types. Values are encoded straight into a buffer: a record
// costs no allocation in steady state. Strings and byte slices passed in are
// not retained.
//
// Complete records collect in a buffer; a full buffer is handed to a
// goroutine that compresses and writes it while the next one fills, so the
// caller's goroutine only encodes. Flush pushes out what is buffered.
//
// Close must be called: besides finishing the file it stops the Writer's
// goroutine. A Writer is not safe for concurrent use.
type Writer struct {
	log    *schema.Log
	fields []field
	opts   Options
	fs     fileSystem
	json   bool
	limit  int // hand the buffer off once it holds this much

	buf   []byte // records being collected; the current record at buf[rec:]
	spare []byte // the other buffer, while it is not with the sink
	rec   int
	next  int // index of the field the next value fills; closedRecord outside a record
	extra int // values beyond the last field

	comp   compressor // kept across rotations; nil without compression
	sink   *sink      // nil once closed, or when reopening failed
	name   string     // current file
	openTS int64
	err    error // sticky I/O error of the current file
	closed bool

	fileBytes  atomic.Int64 // record bytes (before compression) in the current file
	totalBytes atomic.Int64 // record bytes written since Create
}

// Written returns the record bytes (before compression) in the current
// file and since the writer was created; safe from any goroutine (metrics,
// size-based rotation).
func (w *Writer) Written() (file, total int64) { return w.fileBytes.Load(), w.totalBytes.Load() }

// OpenTS is the network time the current file was opened at (its #open,
// and the start of its name once rotated).
func (w *Writer) OpenTS() int64 { return w.openTS }

// Create opens Dir/<path>.log (plus .gz or .zst) for the log l, truncating
// an existing file, and writes the TSV header. openTS is the network time in
// nanoseconds since the Unix epoch that the header's #open line and a later
// rotated file name carry: weir never uses the wall clock in a log, so that
// replaying the same capture gives the same bytes.
func Create(l *schema.Log, o Options, openTS int64) (*Writer, error) {
	if err := l.Validate(); err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	if o.Format != TSV && o.Format != JSON {
		return nil, fmt.Errorf("logs: %s: unknown format %v", l.Path, o.Format)
	}
	if !o.Compress.valid() {
		return nil, fmt.Errorf("logs: %s: unknown compression %q (want %q, %q or none)", l.Path, o.Compress, Gzip, Zstd)
	}
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultBufferSize
	}
	w := &Writer{
		log:   l.Clone(),
		opts:  o,
		fs:    o.fs,
		json:  o.Format == JSON,
		limit: o.BufferSize,
		next:  closedRecord,
	}
	if w.fs == nil {
		w.fs = osFS{}
	}
	w.fields = make([]field, len(w.log.Fields))
	for i, f := range w.log.Fields {
		if !writable(f.Type) {
			return nil, fmt.Errorf("logs: %s: field %q: type %v is not supported by the writer yet", l.Path, f.Name, f.Type)
		}
		key := []byte(`,"` + f.Name + `":`)
		if !w.json {
			key = []byte{tsvSeparator}
			if i == 0 {
				key = nil
			}
		}
		w.fields[i] = field{kind: f.Type.Kind, elem: f.Type.Elem, key: key}
	}
	// Records larger than the slack make a buffer grow, once.
	w.buf = make([]byte, 0, o.BufferSize+o.BufferSize/4)
	w.spare = make([]byte, 0, cap(w.buf))
	if o.Compress != NoCompression {
		c, err := newCompressor(o.Compress, nil)
		if err != nil {
			return nil, fmt.Errorf("logs: %s: %w", l.Path, err)
		}
		w.comp = c
	}
	if o.Dir != "" {
		if err := w.fs.MkdirAll(o.Dir); err != nil {
			return nil, fmt.Errorf("logs: %s: %w", l.Path, err)
		}
	}
	if err := w.openFile(openTS, false); err != nil {
		return nil, err
	}
	return w, nil
}

// writable reports whether the Writer has a value method for t.
func writable(t schema.Type) bool {
	switch t.Kind {
	case schema.Bool, schema.Count, schema.Int, schema.Double, schema.Time,
		schema.Interval, schema.String, schema.Enum, schema.Port, schema.Addr:
		return true
	case schema.Set, schema.Vector:
		return t.Elem == schema.String || t.Elem == schema.Enum || t.Elem == schema.Interval || t.Elem == schema.Count
	}
	return false
}

// Log returns the schema the Writer writes; it must not be modified.
func (w *Writer) Log() *schema.Log { return w.log }

// Name returns the path of the file being written.
func (w *Writer) Name() string { return w.name }

func (w *Writer) fileName() string {
	return filepath.Join(w.opts.Dir, w.log.Path+".log"+w.opts.Compress.Ext())
}

// openFile starts a file at network time ts. With appendTo set an existing
// file is kept and appended to: a second TSV header, a second gzip member or
// zstd frame, all of which readers accept.
func (w *Writer) openFile(ts int64, appendTo bool) error {
	name := w.fileName()
	f, err := w.fs.Open(name, appendTo)
	if err != nil {
		return fmt.Errorf("logs: %w", err)
	}
	w.sink = startSink(f, w.comp)
	w.name = name
	w.openTS = ts
	w.err = nil
	w.buf = w.buf[:0]
	if !w.json {
		w.buf = w.appendHeader(w.buf, ts)
	}
	return nil
}

// appendHeader appends Zeek's TSV header. Only the separator line escapes
// its value (\x09): Zeek writes it as "#separator" followed by a space,
// because the separator is not known until that line has been read.
func (w *Writer) appendHeader(b []byte, ts int64) []byte {
	b = append(b, "#separator \\x09\n"...)
	b = append(b, "#set_separator\t,\n"...)
	b = append(b, "#empty_field\t(empty)\n"...)
	b = append(b, "#unset_field\t-\n"...)
	b = append(b, "#path\t"...)
	b = append(b, w.log.Path...)
	b = append(b, "\n#open\t"...)
	b = appendZeekTime(b, ts)
	b = append(b, "\n#fields"...)
	for _, f := range w.log.Fields {
		b = append(b, '\t')
		b = append(b, f.Name...)
	}
	b = append(b, "\n#types"...)
	for _, f := range w.log.Fields {
		b = append(b, '\t')
		b = append(b, f.Type.String()...)
	}
	return append(b, '\n')
}

// closeFile ends the current file: drops an unfinished record, writes the
// TSV footer, hands everything to the sink and closes it.
func (w *Writer) closeFile(ts int64) error {
	if w.sink == nil {
		return w.err
	}
	if w.inRecord() {
		w.buf = w.buf[:w.rec]
		w.next = closedRecord
	}
	if !w.json {
		w.buf = append(w.buf, "#close\t"...)
		w.buf = appendZeekTime(w.buf, ts)
		w.buf = append(w.buf, '\n')
	}
	w.handoff(false)
	w.collect()
	err := w.err
	if cerr := w.sink.close(); cerr != nil && err == nil {
		err = fmt.Errorf("logs: closing %s: %w", w.name, cerr)
	}
	w.sink = nil
	return err
}

// handoff gives the collected records to the sink and continues in the
// other buffer.
func (w *Writer) handoff(flush bool) {
	if w.sink == nil { // reopening after a rotation failed: drop
		w.buf = w.buf[:0]
		return
	}
	spare, err := w.sink.send(w.buf, flush)
	w.noteErr(err)
	if spare == nil {
		spare = w.spare
		w.spare = nil
	}
	w.buf = spare[:0]
}

// collect waits for the buffer in flight to come back.
func (w *Writer) collect() {
	spare, err := w.sink.wait()
	w.noteErr(err)
	if spare != nil {
		w.spare = spare
	}
}

func (w *Writer) noteErr(err error) {
	if err != nil && w.err == nil {
		w.err = fmt.Errorf("logs: writing %s: %w", w.name, err)
	}
}

// Flush writes all complete records to the file (through the compressor,
// which emits what it holds) and waits until that is done. A live sensor
// calls it periodically so that logs do not lag while traffic is light.
func (w *Writer) Flush() error {
	if w.closed {
		return ErrClosed
	}
	if w.sink == nil {
		return w.err
	}
	var partial []byte
	if w.inRecord() { // keep the record in progress out of the file
		partial = w.buf[w.rec:]
		w.buf = w.buf[:w.rec]
	}
	w.handoff(true)
	w.collect()
	if partial != nil {
		// The old buffer is back with the sink's result; partial still
		// points into it, and w.buf is the other buffer.
		w.rec = 0
		w.buf = append(w.buf, partial...)
	}
	return w.err
}

// Close writes the TSV #close line with closeTS (network time, ns), flushes,
// finishes the compressed stream and closes the file. It reports the first
// error the file had. Closing a closed Writer returns ErrClosed.
func (w *Writer) Close(closeTS int64) error {
	if w.closed {
		return ErrClosed
	}
	w.closed = true
	return w.closeFile(closeTS)
}

// Rotate closes the current file at network time ts as Close does, renames
// it the way Zeek names rotated logs, <path>.<open>-<close>.log (times in
// UTC as 2006-01-02-15-04-05, plus .gz or .zst), and starts a new file that
// opens at ts. It returns the rotated file's path. If two rotations would
// give the same name, the later one gets -1, -2, ... after the close time.
//
// Call it between records: an unfinished record is discarded. When to
// rotate (an interval boundary in network time, a size) and what happens to
// rotated files (archive, upload) is the caller's policy.
func (w *Writer) Rotate(ts int64) (string, error) {
	if w.closed {
		return "", ErrClosed
	}
	cur, openTS := w.name, w.openTS
	err := w.closeFile(ts)
	w.fileBytes.Store(0)
	var stem []byte
	stem = append(stem, w.log.Path...)
	stem = append(stem, '.')
	stem = appendZeekTime(stem, openTS)
	stem = append(stem, '-')
	stem = appendZeekTime(stem, ts)
	ext := ".log" + w.opts.Compress.Ext()
	rotated := filepath.Join(w.opts.Dir, string(stem)+ext)
	for n := 1; w.fs.Exists(rotated); n++ {
		rotated = filepath.Join(w.opts.Dir, fmt.Sprintf("%s-%d%s", stem, n, ext))
	}
	renamed := true
	if rerr := w.fs.Rename(cur, rotated); rerr != nil {
		// Keep what the file holds: the new file is appended to it.
		err = errors.Join(err, fmt.Errorf("logs: rotating: %w", rerr))
		rotated, renamed = "", false
	}
	if oerr := w.openFile(ts, !renamed); oerr != nil {
		// Records are dropped until the next successful Rotate; End
		// reports why.
		w.err = oerr
		return rotated, errors.Join(err, oerr)
	}
	return rotated, err
}

func (w *Writer) inRecord() bool { return w.next != closedRecord }

// Begin starts a record. A record left unfinished by an earlier Begin (for
// example after a recovered panic) is discarded.
func (w *Writer) Begin() {
	if w.inRecord() {
		w.buf = w.buf[:w.rec]
	}
	w.rec = len(w.buf)
	w.next = 0
	w.extra = 0
}

// End completes the record. If the record does not have exactly one value
// per field it is discarded and End returns an error. End also returns the
// file's I/O error, if writing it failed; records are then dropped until the
// next Rotate.
func (w *Writer) End() error {
	if !w.inRecord() {
		return fmt.Errorf("logs: %s: End without Begin", w.log.Path)
	}
	n := w.next
	w.next = closedRecord
	if n != len(w.fields) || w.extra != 0 {
		w.buf = w.buf[:w.rec]
		return fmt.Errorf("logs: %s: record has %d values, the schema has %d fields", w.log.Path, n+w.extra, len(w.fields))
	}
	if w.json {
		if len(w.buf) == w.rec { // every field unset
			w.buf = append(w.buf, '{')
		} else {
			w.buf[w.rec] = '{' // was the first member's comma
		}
		w.buf = append(w.buf, '}', '\n')
	} else {
		if w.buf[w.rec] == '#' {
			// A line starting with '#' would read as a header line;
			// Zeek escapes the first byte.
			w.buf = append(w.buf, "xxx"...)
			copy(w.buf[w.rec+4:], w.buf[w.rec+1:len(w.buf)-3])
			copy(w.buf[w.rec:], `\x23`)
		}
		w.buf = append(w.buf, '\n')
	}
	w.fileBytes.Add(int64(len(w.buf) - w.rec))
	w.totalBytes.Add(int64(len(w.buf) - w.rec))
	if len(w.buf) >= w.limit {
		w.handoff(false)
		if w.opts.sync {
			w.collect()
		}
	}
	return w.err
}

// value checks that the next field has kind k, moves past it and returns
// what precedes its value (the separator in TSV, the member name in JSON).
// When the value does not fit it returns false, and the caller calls
// badValue: kept out of here so that value is inlined into each method.
func (w *Writer) value(k schema.Kind) ([]byte, bool) {
	if i := w.next; i < len(w.fields) {
		if f := &w.fields[i]; f.kind == k {
			w.next = i + 1
			return f.key, true
		}
	}
	return nil, false
}

// appendKey writes what value returned. TSV's key is the separator (or
// nothing, for the first field), appended as a byte rather than copied.
func (w *Writer) appendKey(key []byte) {
	if w.json {
		w.buf = append(w.buf, key...)
	} else if len(key) != 0 {
		w.buf = append(w.buf, tsvSeparator)
	}
}

// badValue handles a value that does not fit the next field: its type
// differs (a panic), there is no record (a panic), or the record has no
// field left (counted for End to report).
func (w *Writer) badValue(k schema.Kind) {
	if w.next < len(w.fields) {
		w.mismatch(k.String())
	}
	w.noField(k.String())
}

// noField handles a value with no field to fill: outside a record it
// panics, past the last field it is counted for End to report.
func (w *Writer) noField(kind string) {
	if !w.inRecord() {
		panic(fmt.Sprintf("logs: %s: %s value written outside Begin/End", w.log.Path, kind))
	}
	w.extra++
}

func (w *Writer) mismatch(got string) {
	f := w.log.Fields[w.next]
	panic(fmt.Sprintf("logs: %s field %d %q has type %v, got a %s value", w.log.Path, w.next, f.Name, f.Type, got))
}

// Unset writes the field as unset: "-" in TSV, omitted in JSON.
func (w *Writer) Unset() {
	i := w.next
	if i >= len(w.fields) {
		w.noField("unset")
		return
	}
	w.next = i + 1
	if !w.json {
		w.appendKey(w.fields[i].key)
		w.buf = append(w.buf, tsvUnset...)
	}
}

// Time writes a time field: ns is nanoseconds since the Unix epoch. TSV and
// JSON epoch output give seconds with microseconds (TSV always six decimals:
// 1300475167.096535); JSON keeps sub-microsecond digits when there are any.
func (w *Writer) Time(ns int64) {
	key, ok := w.value(schema.Time)
	if !ok {
		w.badValue(schema.Time)
		return
	}
	w.appendKey(key)
	switch {
	case !w.json:
		w.buf = appendSeconds(w.buf, ns)
	case w.opts.ISOTime:
		w.buf = append(w.buf, '"')
		w.buf = appendISOTime(w.buf, ns)
		w.buf = append(w.buf, '"')
	default:
		w.buf = appendExactSeconds(w.buf, ns)
	}
}

// Interval writes an interval field: ns is a duration in nanoseconds,
// written as seconds like Time.
func (w *Writer) Interval(ns int64) {
	key, ok := w.value(schema.Interval)
	if !ok {
		w.badValue(schema.Interval)
		return
	}
	w.appendKey(key)
	if w.json {
		w.buf = appendExactSeconds(w.buf, ns)
	} else {
		w.buf = appendSeconds(w.buf, ns)
	}
}

// String writes a string field, escaped as Zeek escapes strings.
func (w *Writer) String(s string) {
	key, ok := w.value(schema.String)
	if !ok {
		w.badValue(schema.String)
		return
	}
	w.appendKey(key)
	w.appendString(s)
}

// Bytes writes a string field from a byte slice, which is not retained.
func (w *Writer) Bytes(b []byte) {
	key, ok := w.value(schema.String)
	if !ok {
		w.badValue(schema.String)
		return
	}
	w.appendKey(key)
	w.appendString(unsafe.String(unsafe.SliceData(b), len(b)))
}

// Enum writes an enum field (an identifier such as tcp).
func (w *Writer) Enum(s string) {
	key, ok := w.value(schema.Enum)
	if !ok {
		w.badValue(schema.Enum)
		return
	}
	w.appendKey(key)
	w.appendString(s)
}

func (w *Writer) appendString(s string) {
	if w.json {
		w.buf = appendJSONString(w.buf, s)
	} else {
		w.buf = appendTSVString(w.buf, s, false)
	}
}

// Count writes a count field.
func (w *Writer) Count(v uint64) {
	key, ok := w.value(schema.Count)
	if !ok {
		w.badValue(schema.Count)
		return
	}
	w.appendKey(key)
	w.buf = appendUint(w.buf, v)
}

// Int writes an int field.
func (w *Writer) Int(v int64) {
	key, ok := w.value(schema.Int)
	if !ok {
		w.badValue(schema.Int)
		return
	}
	w.appendKey(key)
	neg, u := abs(v)
	if neg {
		w.buf = append(w.buf, '-')
	}
	w.buf = appendUint(w.buf, u)
}

// Port writes a port field. Zeek logs only the number; the protocol is in
// the proto field.
func (w *Writer) Port(p uint16) {
	key, ok := w.value(schema.Port)
	if !ok {
		w.badValue(schema.Port)
		return
	}
	w.appendKey(key)
	w.buf = appendUint(w.buf, uint64(p))
}

// Double writes a double field as Zeek does: in TSV rounded to six decimals,
// in JSON the shortest form that reads back exactly.
func (w *Writer) Double(v float64) {
	key, ok := w.value(schema.Double)
	if !ok {
		w.badValue(schema.Double)
		return
	}
	w.appendKey(key)
	if w.json {
		w.buf = appendJSONDouble(w.buf, v)
	} else {
		w.buf = appendTSVDouble(w.buf, v)
	}
}

// Bool writes a bool field: T or F in TSV, true or false in JSON.
func (w *Writer) Bool(b bool) {
	key, ok := w.value(schema.Bool)
	if !ok {
		w.badValue(schema.Bool)
		return
	}
	w.appendKey(key)
	switch {
	case w.json && b:
		w.buf = append(w.buf, "true"...)
	case w.json:
		w.buf = append(w.buf, "false"...)
	case b:
		w.buf = append(w.buf, 'T')
	default:
		w.buf = append(w.buf, 'F')
	}
}

// Addr writes an addr field. IPv4-mapped IPv6 addresses are written as IPv4,
// as Zeek does. The zero netip.Addr writes the field as unset.
func (w *Writer) Addr(a netip.Addr) {
	if !a.IsValid() {
		if w.next < len(w.fields) && w.fields[w.next].kind != schema.Addr {
			w.mismatch(schema.Addr.String())
		}
		w.Unset()
		return
	}
	key, ok := w.value(schema.Addr)
	if !ok {
		w.badValue(schema.Addr)
		return
	}
	w.appendKey(key)
	if w.json {
		w.buf = append(w.buf, '"')
		w.buf = appendAddr(w.buf, a)
		w.buf = append(w.buf, '"')
	} else {
		w.buf = appendAddr(w.buf, a)
	}
}

// StringSet writes a set[string], vector[string], set[enum] or vector[enum]
// field. Elements are written in the order given: sort them for output that
// does not depend on map iteration. An empty (or nil) ss is an empty set,
// "(empty)" in TSV and [] in JSON; call Unset for an unset one.
func (w *Writer) StringSet(ss []string) {
	i := w.next
	if i >= len(w.fields) {
		w.noField("set[string]")
		return
	}
	if f := w.fields[i]; f.kind != schema.Set && f.kind != schema.Vector || f.elem != schema.String && f.elem != schema.Enum {
		w.mismatch("set[string]")
	}
	w.next = i + 1
	w.appendKey(w.fields[i].key)
	if w.json {
		w.buf = append(w.buf, '[')
		for i, s := range ss {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.buf = appendJSONString(w.buf, s)
		}
		w.buf = append(w.buf, ']')
		return
	}
	if len(ss) == 0 {
		w.buf = append(w.buf, tsvEmpty...)
		return
	}
	for i, s := range ss {
		if i > 0 {
			w.buf = append(w.buf, tsvSetSeparator)
		}
		w.buf = appendTSVString(w.buf, s, true)
	}
}

// IntervalVector writes a vector[interval] (or set[interval]) field, such
// as dns.log's TTLs; values are nanoseconds.
func (w *Writer) IntervalVector(ns []int64) {
	if !w.containerOf(schema.Interval, "vector[interval]") {
		return
	}
	if w.json {
		w.buf = append(w.buf, '[')
		for i, v := range ns {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.buf = appendExactSeconds(w.buf, v)
		}
		w.buf = append(w.buf, ']')
		return
	}
	if len(ns) == 0 {
		w.buf = append(w.buf, tsvEmpty...)
		return
	}
	for i, v := range ns {
		if i > 0 {
			w.buf = append(w.buf, tsvSetSeparator)
		}
		w.buf = appendSeconds(w.buf, v)
	}
}

// CountVector writes a vector[count] (or set[count]) field.
func (w *Writer) CountVector(vs []uint64) {
	if !w.containerOf(schema.Count, "vector[count]") {
		return
	}
	if w.json {
		w.buf = append(w.buf, '[')
	} else if len(vs) == 0 {
		w.buf = append(w.buf, tsvEmpty...)
		return
	}
	for i, v := range vs {
		if i > 0 {
			if w.json {
				w.buf = append(w.buf, ',')
			} else {
				w.buf = append(w.buf, tsvSetSeparator)
			}
		}
		w.buf = strconv.AppendUint(w.buf, v, 10)
	}
	if w.json {
		w.buf = append(w.buf, ']')
	}
}

// containerOf checks the next field is a set or vector of elem, writes its
// key and advances; it reports false when there is no next field.
func (w *Writer) containerOf(elem schema.Kind, what string) bool {
	i := w.next
	if i >= len(w.fields) {
		w.noField(what)
		return false
	}
	if f := w.fields[i]; f.kind != schema.Set && f.kind != schema.Vector || f.elem != elem {
		w.mismatch(what)
	}
	w.next = i + 1
	w.appendKey(w.fields[i].key)
	return true
}
