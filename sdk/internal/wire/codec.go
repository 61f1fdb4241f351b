package wire

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
)

// Raw is a protobuf message already encoded (or not yet decoded): Codec
// passes its bytes through. The core sends batches as Raw, encoded by an
// Encoder; the plugin receives them as Raw and decodes them with Decode.
type Raw struct {
	// B holds the message. On the receiving side the Codec gives it a
	// fresh buffer for every message, which the receiver owns.
	B []byte
}

// Codec is gRPC's protobuf codec extended with Raw. Its name is "proto", so
// the messages on the wire are ordinary gRPC protobuf messages (content
// type application/grpc+proto) that peers in any language read with code
// generated from the .proto files; every other message goes to the
// standard protobuf codec.
type Codec struct{}

var protoCodec = encoding.GetCodec(proto.Name)

// Marshal implements encoding.Codec. A Raw's bytes are returned as they
// are: gRPC writes them before Marshal is called again on that stream.
func (Codec) Marshal(v any) ([]byte, error) {
	if r, ok := v.(*Raw); ok {
		return r.B, nil
	}
	return protoCodec.Marshal(v)
}

// Unmarshal implements encoding.Codec. A Raw gets a copy of data: gRPC may
// reuse its buffer, and the events decoded from a batch point into it for
// as long as the plugin keeps them.
func (Codec) Unmarshal(data []byte, v any) error {
	if r, ok := v.(*Raw); ok {
		r.B = append(make([]byte, 0, len(data)), data...)
		return nil
	}
	return protoCodec.Unmarshal(data, v)
}

// Name implements encoding.Codec.
func (Codec) Name() string { return proto.Name }

var _ encoding.Codec = Codec{}
