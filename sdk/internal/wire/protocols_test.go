package wire

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/weirnet/weir/sdk/internal/pb"
)

// protoName maps a Go field name of sdk/event to its .proto field name:
// snake case, with the initialisms the .proto spells as one word.
func protoName(goName string) string {
	special := map[string]string{
		"UID": "uid", "ID": "id", "TS": "ts", "URI": "uri", "RTT": "rtt", "TTLs": "ttls", "HasRTT": "has_rtt",
		"OrigMIMETypes": "orig_mime_types", "RespMIMETypes": "resp_mime_types", "MACAlg": "mac_alg",
		"JA3": "ja3", "JA3S": "ja3s", "JA4": "ja4", "CertChainFPs": "cert_chain_fps",
		"ClientCertChainFPs": "client_cert_chain_fps", "SNIMatchesCert": "sni_matches_cert",
		"QClass": "qclass", "QClassName": "qclass_name", "QType": "qtype", "QTypeName": "qtype_name",
		"HasQType": "has_qtype", "RCode": "rcode", "RCodeName": "rcode_name", "HasRCode": "has_rcode",
		"AA": "aa", "TC": "tc", "RD": "rd", "RA": "ra", "TransID": "trans_id",
	}
	if s, ok := special[goName]; ok {
		return s
	}
	var b strings.Builder
	for i, r := range goName {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// TestProtocolFieldsByName checks, field by field and by name, that every
// field of the SDK's HTTP, SSH, TLS and DNS types reaches the field of the
// same name in the generated messages: independent of the conversion code,
// so that two swapped fields cannot pass.
func TestProtocolFieldsByName(t *testing.T) {
	var b pb.Batch
	if err := proto.Unmarshal(AppendBatch(nil, 1, false, sample()), &b); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i, ev := range sample() {
		var goVal reflect.Value
		var m protoreflect.Message
		switch {
		case ev.HTTP != nil:
			goVal, m = reflect.ValueOf(ev.HTTP).Elem(), b.Events[i].GetHttp().ProtoReflect()
		case ev.SSH != nil:
			goVal, m = reflect.ValueOf(ev.SSH).Elem(), b.Events[i].GetSsh().ProtoReflect()
		case ev.TLS != nil:
			goVal, m = reflect.ValueOf(ev.TLS).Elem(), b.Events[i].GetTls().ProtoReflect()
		case ev.DNS != nil:
			goVal, m = reflect.ValueOf(ev.DNS).Elem(), b.Events[i].GetDns().ProtoReflect()
		default:
			continue
		}
		fields := m.Descriptor().Fields()
		if goVal.NumField() != fields.Len() {
			t.Errorf("%s: %d Go fields, %d proto fields", goVal.Type(), goVal.NumField(), fields.Len())
		}
		for j := range goVal.NumField() {
			name := goVal.Type().Field(j).Name
			fd := fields.ByName(protoreflect.Name(protoName(name)))
			if fd == nil {
				t.Errorf("%s.%s: no proto field %q", goVal.Type(), name, protoName(name))
				continue
			}
			if name == "ID" {
				continue // ConnID: covered by the round trips
			}
			got, want := protoValue(m.Get(fd), fd), goValue(goVal.Field(j))
			if got != want {
				t.Errorf("%s.%s: proto has %s, want %s", goVal.Type(), name, got, want)
			}
			checked++
		}
	}
	if checked < 80 {
		t.Fatalf("checked only %d fields", checked)
	}
}

func protoValue(v protoreflect.Value, fd protoreflect.FieldDescriptor) string {
	if fd != nil && fd.IsList() {
		l := v.List()
		var parts []string
		for i := range l.Len() {
			parts = append(parts, protoValue(l.Get(i), nil))
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	switch x := v.Interface().(type) {
	case []byte:
		return string(x)
	case protoreflect.EnumNumber:
		return fmt.Sprint(int(x))
	}
	return fmt.Sprint(v.Interface())
}

func goValue(v reflect.Value) string {
	if v.Kind() == reflect.Slice {
		var parts []string
		for i := range v.Len() {
			parts = append(parts, goValue(v.Index(i)))
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	switch v.Kind() {
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprint(v.Uint())
	case reflect.Int64:
		return fmt.Sprint(v.Int())
	}
	return fmt.Sprint(v.Interface())
}
