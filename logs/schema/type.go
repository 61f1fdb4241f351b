package schema

import (
	"fmt"
	"strings"
)

// Kind is the kind of a Zeek log value: a scalar, or a container (Set,
// Vector) whose element kind is given by Type.Elem.
type Kind uint8

// The Zeek types a schema may use. The names, as written in schema files and
// in a TSV log's #types line, are those of Zeek's logging framework.
const (
	Invalid  Kind = iota
	Bool          // bool: T/F in TSV, true/false in JSON
	Count         // count: unsigned 64-bit integer
	Int           // int: signed 64-bit integer
	Double        // double: floating point
	Time          // time: a point in time, seconds since the Unix epoch
	Interval      // interval: a duration in seconds
	String        // string: bytes, escaped on output
	Enum          // enum: one of a fixed set of identifiers (tcp, udp, ...)
	Port          // port: a transport port number (Zeek logs only the number)
	Addr          // addr: an IPv4 or IPv6 address
	Subnet        // subnet: an address prefix such as 10.0.0.0/8
	Pattern       // pattern: a Zeek regular expression
	Set           // set[T]: an unordered collection of scalars
	Vector        // vector[T]: an ordered collection of scalars
)

var kindNames = [...]string{
	Invalid:  "invalid",
	Bool:     "bool",
	Count:    "count",
	Int:      "int",
	Double:   "double",
	Time:     "time",
	Interval: "interval",
	String:   "string",
	Enum:     "enum",
	Port:     "port",
	Addr:     "addr",
	Subnet:   "subnet",
	Pattern:  "pattern",
	Set:      "set",
	Vector:   "vector",
}

// String returns Zeek's name for the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Scalar reports whether k is a known kind that is not a container.
func (k Kind) Scalar() bool { return k > Invalid && k < Set }

// Type is the type of a log field: a scalar Kind, or Set or Vector with the
// kind of the elements in Elem (Zeek logs only containers of scalars).
type Type struct {
	Kind Kind
	Elem Kind // element kind of a Set or Vector; Invalid otherwise
}

// ParseType parses a Zeek type name such as "count", "addr" or
// "set[string]".
func ParseType(s string) (Type, error) {
	for _, c := range [...]Kind{Set, Vector} {
		prefix := kindNames[c] + "["
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			elem, ok := strings.CutSuffix(rest, "]")
			if !ok {
				return Type{}, fmt.Errorf("schema: malformed type %q", s)
			}
			k := scalarKind(elem)
			if k == Invalid {
				return Type{}, fmt.Errorf("schema: type %q: element type %q is not a Zeek scalar type", s, elem)
			}
			return Type{Kind: c, Elem: k}, nil
		}
	}
	if k := scalarKind(s); k != Invalid {
		return Type{Kind: k}, nil
	}
	return Type{}, fmt.Errorf("schema: unknown type %q", s)
}

func scalarKind(s string) Kind {
	for k := Bool; k < Set; k++ {
		if kindNames[k] == s {
			return k
		}
	}
	return Invalid
}

// String returns Zeek's name for the type, as written in a #types line.
func (t Type) String() string {
	switch t.Kind {
	case Set, Vector:
		return t.Kind.String() + "[" + t.Elem.String() + "]"
	}
	return t.Kind.String()
}

// Container reports whether t is a Set or a Vector.
func (t Type) Container() bool { return t.Kind == Set || t.Kind == Vector }

// MarshalText implements encoding.TextMarshaler.
func (t Type) MarshalText() ([]byte, error) {
	if !t.Kind.Scalar() && !(t.Container() && t.Elem.Scalar()) {
		return nil, fmt.Errorf("schema: cannot marshal invalid type %v", t)
	}
	return []byte(t.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Type) UnmarshalText(b []byte) error {
	v, err := ParseType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
