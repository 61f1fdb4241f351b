package host

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/weirnet/weir/core/event"
	sdkevent "github.com/weirnet/weir/sdk/event"
)

// fill sets every field of the struct v points to, recursively, to a
// non-zero value derived from *n, so that a conversion that forgets a
// field shows.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(netip.Addr{}) {
			v.Set(reflect.ValueOf(netip.AddrFrom4([4]byte{198, 18, byte(*n >> 8), byte(*n)})))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i), n)
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		fill(v.Index(0), n)
		fill(v.Index(1), n)
	case reflect.String:
		v.SetString("s" + string(rune('a'+*n%26)) + string(rune('A'+*n/26%26)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n%200 + 1))
	case reflect.Int64:
		v.SetInt(int64(*n) * 1_000_003)
	default:
		panic("fill: " + v.Kind().String())
	}
}

// TestConvertCoversCoreEvent: every payload type of core/event, with every
// field set, survives the way to the SDK's types and back; and the SDK's
// types have exactly the core's fields.
func TestConvertCoversCoreEvent(t *testing.T) {
	payloads := []struct {
		kind  event.Kind
		field string
	}{
		{event.KindConnEnd, "Conn"}, {event.KindWeird, "Weird"}, {event.KindHTTPTransaction, "HTTP"},
		{event.KindSSHHandshake, "SSH"}, {event.KindTLSHandshake, "TLS"}, {event.KindDNSMessage, "DNS"},
		{event.KindStreamData, "Data"},
	}
	// Payloads that stay in the core process: the sensor's own Stats
	// reports feed the built-in stats and capture_loss logs and are not
	// part of the plugin protocol (yet).
	inProcessOnly := []string{"Stats"}
	// Every payload field of event.Event is listed.
	if n := reflect.TypeOf(event.Event{}).NumField() - 4; n != len(payloads)+len(inProcessOnly) {
		t.Fatalf("core/event.Event has %d payloads, the test knows %d", n, len(payloads)+len(inProcessOnly))
	}
	n := 0
	for _, p := range payloads {
		ev := event.Event{Kind: p.kind, Time: 5, Key: "k", Seq: 9}
		fill(reflect.ValueOf(&ev).Elem().FieldByName(p.field), &n)
		var sev sdkevent.Event
		var sc scratch
		toSDK(&ev, &sev, &sc)
		back := fromSDK(nil, []sdkevent.Event{sev})
		if !reflect.DeepEqual(back[0], ev) {
			t.Errorf("%s: round trip lost something:\n got %+v\nwant %+v", p.field, reflect.ValueOf(back[0]).FieldByName(p.field).Elem(), reflect.ValueOf(ev).FieldByName(p.field).Elem())
		}
		ct := reflect.TypeOf(ev).FieldByIndex([]int{indexOf(reflect.TypeOf(ev), p.field)}).Type.Elem()
		st, ok := reflect.TypeOf(sev).FieldByName(p.field)
		if !ok {
			t.Errorf("sdk/event.Event has no %s", p.field)
			continue
		}
		if ct.NumField() != st.Type.Elem().NumField() {
			t.Errorf("%s: core has %d fields, sdk %d", p.field, ct.NumField(), st.Type.Elem().NumField())
		}
	}
}

func indexOf(t reflect.Type, name string) int {
	f, _ := t.FieldByName(name)
	return f.Index[0]
}
