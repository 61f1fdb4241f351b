// Package schema holds the machine-readable descriptions of weir's logs: for
// each log its path (the file name without extension), its fields in output
// order with their Zeek types, what each field means, and where weir
// deliberately differs from Zeek.
//
// The schemas are JSON files in this directory, one per log, embedded into
// the binary. They drive the writers in package logs (the TSV #fields and
// #types lines, JSON member names, the type check of every value) and serve as
// the documentation of the log formats; a test keeps them well-formed.
//
// A plugin that writes its own log can build its schema with Parse.
package schema

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
)

// Log is the schema of one log.
type Log struct {
	// Path names the log: the file is <Path>.log, and TSV's #path line
	// carries it. Lower case letters, digits and '_'.
	Path string `json:"path"`
	// Description says what one line of the log stands for.
	Description string `json:"description"`
	// Fields in output order.
	Fields []Field `json:"fields"`
	// Differences says where weir's log deliberately differs from Zeek's
	// log of the same path, and why. Empty for a log Zeek does not have.
	Differences string `json:"differences,omitempty"`
}

// Field is one column of a log.
type Field struct {
	// Name as it appears in TSV's #fields line and as the JSON member
	// name: Zeek's flattened name, with '.' between record levels
	// (id.orig_h).
	Name string `json:"name"`
	// Type is the Zeek type of the values.
	Type Type `json:"type"`
	// Description says what the value means to a user.
	Description string `json:"description"`
}

// Index returns the position of the field with the given name, or -1.
func (l *Log) Index(name string) int {
	return slices.IndexFunc(l.Fields, func(f Field) bool { return f.Name == name })
}

// Clone returns a deep copy of l.
func (l *Log) Clone() *Log {
	c := *l
	c.Fields = slices.Clone(l.Fields)
	return &c
}

// Validate reports the first problem that makes l unusable: a missing path or
// description, a field without a name, type or description, a malformed or
// duplicate field name.
func (l *Log) Validate() error {
	if !validPath(l.Path) {
		return fmt.Errorf("schema: invalid path %q: want lower case letters, digits and '_'", l.Path)
	}
	if strings.TrimSpace(l.Description) == "" {
		return fmt.Errorf("schema %s: missing description", l.Path)
	}
	if len(l.Fields) == 0 {
		return fmt.Errorf("schema %s: no fields", l.Path)
	}
	seen := make(map[string]bool, len(l.Fields))
	for i, f := range l.Fields {
		if !validName(f.Name) {
			return fmt.Errorf("schema %s: field %d: invalid name %q: want identifiers joined by '.'", l.Path, i, f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("schema %s: duplicate field %q", l.Path, f.Name)
		}
		seen[f.Name] = true
		if !f.Type.Kind.Scalar() && !(f.Type.Container() && f.Type.Elem.Scalar()) {
			return fmt.Errorf("schema %s: field %q: missing or invalid type", l.Path, f.Name)
		}
		if strings.TrimSpace(f.Description) == "" {
			return fmt.Errorf("schema %s: field %q: missing description", l.Path, f.Name)
		}
	}
	return nil
}

func validPath(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// validName accepts identifiers joined by '.', the names Zeek's logging
// framework produces. Such names need no escaping in TSV or JSON.
func validName(s string) bool {
	for _, part := range strings.Split(s, ".") {
		if part == "" || part[0] >= '0' && part[0] <= '9' {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
				return false
			}
		}
	}
	return true
}

// Parse decodes and validates one schema file. Unknown JSON keys are an
// error, so that a misspelt key is not silently ignored.
func Parse(data []byte) (*Log, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var l Log
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	if dec.More() {
		return nil, errors.New("schema: trailing data after the schema object")
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return &l, nil
}

// ErrUnknown is returned by Get for a path that has no schema.
var ErrUnknown = errors.New("schema: unknown log")

//go:embed *.json
var files embed.FS

// builtin parses the embedded schemas once. A broken embedded schema is a
// bug caught by this package's tests; Get and All still report it rather than
// panic at init.
var builtin = sync.OnceValues(func() (map[string]*Log, error) {
	logs := make(map[string]*Log)
	names, err := fs.Glob(files, "*.json")
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	for _, name := range names {
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
		l, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if want := strings.TrimSuffix(name, ".json"); l.Path != want {
			return nil, fmt.Errorf("schema: %s: path %q does not match the file name", name, l.Path)
		}
		logs[l.Path] = l
	}
	return logs, nil
})

// Get returns the built-in schema of the log with the given path ("conn",
// "weird", ...). The result is the caller's copy.
func Get(path string) (*Log, error) {
	logs, err := builtin()
	if err != nil {
		return nil, err
	}
	l, ok := logs[path]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknown, path)
	}
	return l.Clone(), nil
}

// All returns every built-in schema, sorted by path. The results are the
// caller's copies.
func All() ([]*Log, error) {
	logs, err := builtin()
	if err != nil {
		return nil, err
	}
	all := make([]*Log, 0, len(logs))
	for _, l := range logs {
		all = append(all, l.Clone())
	}
	slices.SortFunc(all, func(a, b *Log) int { return strings.Compare(a.Path, b.Path) })
	return all, nil
}
