package file

import (
	"errors"
	"fmt"
	"io"
)

// Sentinel causes, for errors.Is. They appear at the start of a ReadError's
// cause (for example "truncated record (header says 1514 bytes, 200
// present)") so a caller can tell a capture that was cut short, which is
// common and usually worth only a warning, from one that is damaged.
var (
	// ErrTruncated: the file ends inside a record or block.
	ErrTruncated = errors.New("truncated")
	// ErrCorrupt: a record or block header holds an impossible value.
	ErrCorrupt = errors.New("corrupt")
	// ErrUnknownFormat: Open found neither pcap nor pcapng.
	ErrUnknownFormat = errors.New("not a pcap or pcapng file")
)

// ReadError is the error Next returns when a file turns out to be truncated
// or corrupt, or reading it fails. Every frame before the failing record was
// returned normally; the source is finished after a ReadError.
type ReadError struct {
	Path string
	// Packet is the 1-based number of the packet being read. For a pcapng
	// block that holds no packet (Block is set) it is the number the next
	// packet would have had.
	Packet int64
	// Offset is where the record or block starts, in bytes from the start
	// of the uncompressed capture stream.
	Offset int64
	// Block names the pcapng block being read when it is not a packet
	// block ("interface description block", ...); empty otherwise.
	Block string
	Err   error
}

func (e *ReadError) Error() string {
	if e.Block != "" {
		return fmt.Sprintf("read %s: %s at offset %d (before packet %d): %v", e.Path, e.Block, e.Offset, e.Packet, e.Err)
	}
	return fmt.Sprintf("read %s: packet %d at offset %d: %v", e.Path, e.Packet, e.Offset, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// truncated describes a record of want bytes of which only have could be
// read because the stream ended with cause. A clean end of the stream is
// plain truncation; a decompressor that ran out of input mid-stream says so
// too and is kept as the cause; any other failure (a checksum, an I/O error)
// is the real story and is returned as it is.
func truncated(what string, want, have int, cause error) error {
	switch {
	case cause == io.EOF:
		return fmt.Errorf("%w %s (header says %d bytes, %d present)", ErrTruncated, what, want, have)
	case errors.Is(cause, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w %s (header says %d bytes, %d present): %w", ErrTruncated, what, want, have, cause)
	default:
		return cause
	}
}

// truncatedHeader is truncated for a fixed-size header, where "header says"
// would read oddly.
func truncatedHeader(what string, want, have int, cause error) error {
	switch {
	case cause == io.EOF:
		return fmt.Errorf("%w %s (%d bytes needed, %d present)", ErrTruncated, what, want, have)
	case errors.Is(cause, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w %s (%d bytes needed, %d present): %w", ErrTruncated, what, want, have, cause)
	default:
		return cause
	}
}

// corrupt builds an ErrCorrupt cause: corrupt("record: caplen %d ...", ...)
// reads "corrupt record: caplen ...".
func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w "+format, append([]any{ErrCorrupt}, args...)...)
}
