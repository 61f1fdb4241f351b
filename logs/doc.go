// Package logs writes weir's logs in Zeek's formats: the TSV of Zeek's ASCII
// writer, with its #fields/#types header, or JSON lines as Zeek writes them
// with LogAscii::use_json; plain, gzip or zstd compressed; rotated on demand.
//
// What a log contains is described by its schema (package logs/schema): the
// field names, their order and their Zeek types. A Writer is created for one
// schema and checks every value against it, so the header, the JSON member
// names and the values cannot drift apart:
//
//	l, _ := schema.Get("conn")
//	w, err := logs.Create(l, logs.Options{Dir: "out", Compress: logs.Zstd}, firstPacketTS)
//	...
//	w.Begin()
//	w.Time(c.StartNS)
//	w.String(c.UID)
//	...
//	err = w.End()
//	...
//	err = w.Close(lastPacketTS)
//
// Writing a record allocates nothing: values are encoded straight into a
// buffer. Full buffers are compressed and written by a goroutine of the
// Writer while the caller fills the next, so the caller's goroutine pays
// only for encoding.
//
// Times in a log are network time, passed in by the caller as nanoseconds
// since the Unix epoch, including those of the #open and #close lines and of
// rotated file names. Replaying the same capture thus gives byte-identical
// logs.
package logs
