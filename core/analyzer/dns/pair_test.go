package dns

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"

	"github.com/weirnet/weir/core/event"
)

func query(id uint16, name string) []byte {
	return newMsg(id, fRD).q(name, typeA, 1).bytes()
}

func answer(id uint16, name string, ip byte) []byte {
	return newMsg(id, fQR|fRD|fRA).q(name, typeA, 1).an(name, typeA, 60, []byte{192, 0, 2, ip}).bytes()
}

// summary is what pairing tests compare: id, query, whether query and
// reply contributed, rtt and the publication time.
type summary struct {
	id       uint16
	query    string
	hasQType bool
	hasRCode bool
	rtt      int64 // -1 unset
	answers  int
	ts, time int64 // record ts and event time, in ms
}

func summarize(k *testSink) []summary {
	var out []summary
	for _, ev := range k.events {
		if ev.Kind != event.KindDNSMessage {
			continue
		}
		d := ev.DNS
		rtt := int64(-1)
		if d.HasRTT {
			rtt = d.RTT / 1e6
		}
		out = append(out, summary{d.TransID, d.Query, d.HasQType, d.HasRCode, rtt, len(d.Answers), d.TS / 1e6, ev.Time / 1e6})
	}
	return out
}

type step struct {
	at     float64
	isOrig bool
	msg    []byte
}

// TestPairing checks how queries and replies become records: Zeek's
// DNS::set_session and finalize_dns.
func TestPairing(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		endAt float64
		want  []summary
	}{
		{
			name:  "query and reply",
			steps: []step{{1, true, query(1, "a.example")}, {1.5, false, answer(1, "a.example", 1)}},
			endAt: 9,
			want:  []summary{{1, "a.example", true, true, 500, 1, 1000, 1500}},
		},
		{
			name:  "reply before query",
			steps: []step{{1, false, answer(2, "b.example", 1)}, {1.2, true, query(2, "b.example")}},
			endAt: 9,
			// The record starts with the reply; its rtt came out zero and
			// is unset, as in Zeek.
			want: []summary{{2, "b.example", true, true, -1, 1, 1000, 1200}},
		},
		{
			name: "several outstanding, answered in reverse",
			steps: []step{
				{1, true, query(10, "x.example")}, {1.1, true, query(11, "y.example")}, {1.2, true, query(12, "z.example")},
				{2, false, answer(12, "z.example", 3)}, {2.1, false, answer(11, "y.example", 2)}, {2.2, false, answer(10, "x.example", 1)},
			},
			endAt: 9,
			want: []summary{
				{12, "z.example", true, true, 800, 1, 1200, 2000},
				{11, "y.example", true, true, 1000, 1, 1100, 2100},
				{10, "x.example", true, true, 1200, 1, 1000, 2200},
			},
		},
		{
			name:  "unanswered query is logged at the end",
			steps: []step{{1, true, query(3, "c.example")}},
			endAt: 9,
			want:  []summary{{3, "c.example", true, false, -1, 0, 1000, 9000}},
		},
		{
			name:  "duplicate reply is logged alone at the end",
			steps: []step{{1, true, query(4, "d.example")}, {1.5, false, answer(4, "d.example", 1)}, {1.6, false, answer(4, "d.example", 1)}},
			endAt: 9,
			want: []summary{
				{4, "d.example", true, true, 500, 1, 1000, 1500},
				{4, "d.example", false, true, -1, 1, 1600, 9000},
			},
		},
		{
			name: "retransmitted query: the first pairs, the second is unmatched",
			steps: []step{
				{1, true, query(5, "e.example")}, {3, true, query(5, "e.example")}, {6, false, answer(5, "e.example", 1)},
			},
			endAt: 9,
			want: []summary{
				{5, "e.example", true, true, 5000, 1, 1000, 6000},
				{5, "e.example", true, false, -1, 0, 3000, 9000},
			},
		},
		{
			name: "a reply pairs with a queued query of its id before older ones",
			steps: []step{
				{1, true, query(20, "p.example")}, {1.1, true, query(21, "q.example")}, {1.2, true, query(22, "r.example")},
				{2, false, answer(20, "p.example", 1)}, // p leaves the pending slot; q takes it
				{2.1, false, answer(22, "r.example", 3)},
				{2.2, false, answer(21, "q.example", 2)},
			},
			endAt: 9,
			want: []summary{
				{20, "p.example", true, true, 1000, 1, 1000, 2000},
				{22, "r.example", true, true, 900, 1, 1200, 2100},
				{21, "q.example", true, true, 1100, 1, 1100, 2200},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, k := testSession(t, nil, udpID(53))
			for _, st := range tc.steps {
				dg(s, k, st.at, st.isOrig, st.msg)
			}
			end(s, k, tc.endAt)
			if got := summarize(k); !slices.Equal(got, tc.want) {
				t.Errorf("records:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestPendingLimits checks Zeek's max_pending_query_ids: unmatched queries
// under more ids than the limit are logged as soon as one more id comes.
func TestPendingLimits(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxPendingQueryIDs = 3
	cfg.MaxPendingMsgs = 2
	s, k := testSession(t, &cfg, udpID(53))
	// The first query takes the pending slot; the table then gets ids
	// 101..104 (4 > 3), and the fifth id flushes them.
	for id := uint16(100); id <= 105; id++ {
		dg(s, k, 1, true, query(id, "flood.example"))
	}
	if n := len(k.records()); n != 4 {
		t.Fatalf("%d records logged early, want 4 (ids 101-104)", n)
	}
	// Same id: more than MaxPendingMsgs waiting flushes that queue.
	for i := 0; i < 4; i++ {
		dg(s, k, 2, true, query(105, "flood.example"))
	}
	if n := len(k.records()); n != 7 {
		t.Fatalf("%d records, want 7 after the queue of id 105 overflowed", n)
	}
	end(s, k, 3)
	if n := len(k.records()); n != 10 {
		t.Fatalf("%d records at the end, want 10 (every query once)", n)
	}
}

// TestPendingBytesLimit checks the memory bound on unmatched replies.
func TestPendingBytesLimit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxPendingBytes = 4096
	s, k := testSession(t, &cfg, udpID(53))
	txt := make([]byte, 200)
	for i := range txt {
		txt[i] = 'x'
	}
	for id := uint16(0); id < 40; id++ {
		m := newMsg(id, fQR).an("big.example", typeTXT, 1, cat(charStr(string(txt)))).bytes()
		dg(s, k, 1, false, m)
	}
	if !k.hasWeird("DNS_pending_limit") {
		t.Error("no DNS_pending_limit weird")
	}
	if s.s.held > cfg.MaxPendingBytes+1024 {
		t.Errorf("holding %d bytes, limit %d", s.s.held, cfg.MaxPendingBytes)
	}
	end(s, k, 2)
	if n := len(k.records()); n != 40 {
		t.Errorf("%d records, want every reply once (40)", n)
	}
}

func TestRejected(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply []byte
		want  bool
	}{
		{"no records at all", newMsg(1, fQR|3).q("x.example", typeA, 1).bytes(), true},
		{"refused without question", newMsg(1, fQR|5).bytes(), true},
		{"NXDOMAIN with SOA", newMsg(1, fQR|3).q("x.example", typeA, 1).
			rr(2, wire("example"), typeSOA, 1, 60, cat(wire("ns"), wire("h"), make([]byte, 20))).bytes(), false},
	} {
		s, k := testSession(t, nil, udpID(53))
		dg(s, k, 1, true, query(1, "x.example"))
		dg(s, k, 2, false, tc.reply)
		end(s, k, 3)
		recs := k.records()
		if len(recs) != 1 || recs[0].Rejected != tc.want {
			t.Errorf("%s: records %v, want one with rejected %v", tc.name, recs, tc.want)
		}
	}
}

// TestRecordFields checks every field of a paired record.
func TestRecordFields(t *testing.T) {
	s, k := testSession(t, nil, udpID(53))
	dg(s, k, 1, true, newMsg(0xbeef, fRD|fTC|0x0030).q("WWW.Example.COM", typeAAAA, 1).bytes())
	dg(s, k, 1.000250, false, newMsg(0xbeef, fQR|fAA|fRA|3).q("www.example.com", typeAAAA, 1).
		an("www.example.com", typeAAAA, 5, parseAddr16(t, "2001:db8::5")).bytes())
	recs := k.records()
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	want := event.DNS{
		TS: 1 * second, UID: "Ctest", ID: udpID(53), Proto: event.TransportUDP, TransID: 0xbeef,
		RTT: 250_000, HasRTT: true, Query: "www.example.com", HasQuery: true,
		QClass: 1, QClassName: "C_INTERNET", QType: 28, QTypeName: "AAAA", HasQType: true,
		RCode: 3, RCodeName: "NXDOMAIN", HasRCode: true,
		AA: true, TC: true, RD: true, RA: true, Z: 3,
		Answers: []string{"2001:db8::5"}, TTLs: []int64{5 * second},
		Opcode: 0, OpcodeName: "query",
	}
	got := *recs[0]
	if !slices.Equal(got.Answers, want.Answers) || !slices.Equal(got.TTLs, want.TTLs) {
		t.Errorf("answers %q %v", got.Answers, got.TTLs)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("record:\n got %+v\nwant %+v", got, want)
	}
	if k.confirms != 1 {
		t.Errorf("%d confirmations, want 1", k.confirms)
	}
}

// TestMulticast checks that messages to a multicast group are each their
// own record, and that a reply from the originator to a multicast group
// does not flip the connection.
func TestMulticast(t *testing.T) {
	id := event.ConnID{OrigH: netip.MustParseAddr("198.18.0.7"), RespH: netip.MustParseAddr("224.0.0.251"),
		OrigP: 5353, RespP: 5353, Proto: event.TransportUDP}
	s, k := testSession(t, nil, id)
	dg(s, k, 1, true, newMsg(0, fQR|fAA).an("printer.local", typeA, 120, []byte{198, 18, 0, 7}).bytes())
	dg(s, k, 2, true, newMsg(0, 0).q("printer.local", typeA, 1).bytes())
	dg(s, k, 3, true, newMsg(0, 0).q("printer.local", typeA, 1).bytes())
	recs := k.records()
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3 (one per message, logged at once)", len(recs))
	}
	if recs[0].ID != id || recs[0].HasQType || !recs[0].AA || recs[0].Query != "printer.local" {
		t.Errorf("first record %s", show(recs[0]))
	}
	if !recs[1].HasQType || recs[1].HasRCode {
		t.Errorf("second record %s", show(recs[1]))
	}
	end(s, k, 4)
	if len(k.records()) != 3 {
		t.Error("End logged more records")
	}
}

// TestFlip checks that a reply as the first message from the originator
// swaps the roles in the record, as Zeek flips the connection.
func TestFlip(t *testing.T) {
	id := event.ConnID{OrigH: server, RespH: client, OrigP: 53, RespP: 40000, Proto: event.TransportUDP}
	s, k := testSession(t, nil, id)
	dg(s, k, 1, true, answer(9, "f.example", 1))
	end(s, k, 2)
	recs := k.records()
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	if recs[0].ID.OrigH != client || recs[0].ID.RespP != 53 {
		t.Errorf("record id %+v, want the client as originator", recs[0].ID)
	}
}

func TestOpcodes(t *testing.T) {
	s, k := testSession(t, nil, udpID(53))
	dg(s, k, 1, true, newMsg(1, opFlags(2)).q("status.example", typeA, 1).bytes())
	if !k.hasWeird("DNS_unknown_opcode 2") || len(k.records()) != 0 || k.confirms != 0 {
		t.Errorf("status query: weirds %q, %d records, %d confirms", k.weirds, len(k.records()), k.confirms)
	}
	dg(s, k, 2, true, newMsg(2, opFlags(opNotify)|fAA).q("zone.example", typeSOA, 1).bytes())
	dg(s, k, 3, false, newMsg(2, opFlags(opNotify)|fQR|fAA).q("zone.example", typeSOA, 1).bytes())
	recs := k.records()
	if len(recs) != 1 || recs[0].Opcode != 4 || recs[0].OpcodeName != "notify" {
		t.Fatalf("notify: %v", recs)
	}
}

func TestTooManyQuestions(t *testing.T) {
	s, k := testSession(t, nil, udpID(53))
	m := newMsg(1, 0)
	for i := 0; i < 26; i++ {
		m.q("x", typeA, 1)
	}
	dg(s, k, 1, true, m.bytes())
	if !slices.Equal(k.violations, []string{"DNS_Conn_count_too_large"}) || !k.hasWeird("DNS_Conn_count_too_large") {
		t.Errorf("violations %q weirds %q", k.violations, k.weirds)
	}
	// The violation ended the session (the tracker calls End, and never
	// the session again); the query it had started is logged.
	if n := len(k.records()); n != 1 {
		t.Errorf("%d records, want the pending query", n)
	}
}

// TestNetBIOS checks NetBIOS name service specifics: decoded names,
// NBSTAT, the NetBIOS opcode names, long labels.
func TestNetBIOS(t *testing.T) {
	id := udpID(137)
	id.OrigP = 137
	s, k := testSession(t, nil, id)
	name := "EcFaEFEDFEEFEMEFECEPFCEPFCCACAAA" // encodes "BRWC..."-like text
	dg(s, k, 1, true, newMsg(0x1234, fRD|0x0010).q(name, typeNBS, 1).bytes())
	dg(s, k, 1.1, true, newMsg(0x1235, 0).q("CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", typeSRV, 1).bytes())
	end(s, k, 2)
	recs := k.records()
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	var buf [16]byte
	if want := string(decodeNetbiosName([]byte(name), &buf)); recs[0].Query != want || want == "" {
		t.Errorf("query %q, want %q", recs[0].Query, want)
	}
	if recs[0].QTypeName != "NIMLOC" || recs[0].OpcodeName != "netbios-query" || recs[0].Z != 1 {
		t.Errorf("record %s", show(recs[0]))
	}
	if recs[1].Query != "*" || recs[1].QTypeName != "NBSTAT" {
		t.Errorf("NBSTAT record %s", show(recs[1]))
	}
	// A 64-byte label is fine on port 137.
	if len(k.weirds) != 0 {
		t.Errorf("weirds %q", k.weirds)
	}
}

// TestDynamicUpdate checks Zeek's formatting of a dynamic update reply
// (prerequisites, deletions, additions) and that its zone is no query.
func TestDynamicUpdate(t *testing.T) {
	s, k := testSession(t, nil, udpID(53))
	upd := func(flags uint16) []byte {
		m := newMsg(77, opFlags(opUpdate)|flags).q("Example.ORG", typeSOA, 1)
		m.rr(1, wire("Host.example.org"), typeCNAME, classNONE, 0, nil)
		m.rr(1, wire("x.example.org"), typeANY, classANY, 0, nil)
		m.rr(2, wire("host.example.org"), typeAAAA, classANY, 0, nil)
		m.rr(2, wire("host.example.org"), typeA, classNONE, 0, []byte{192, 0, 2, 9})
		m.rr(2, wire("host.example.org"), typeA, 1, 1200, []byte{192, 0, 2, 10})
		return m.bytes()
	}
	dg(s, k, 1, true, upd(0))
	dg(s, k, 1.1, false, upd(fQR|5))
	recs := k.records()
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	d := recs[0]
	want := []string{"pre: NoRRSet CNAME host.example.org", "pre: NameInUse x.example.org", "del: RRSet AAAA",
		"del: RR A host.example.org", "add: A host.example.org 192.0.2.10"}
	if !slices.Equal(d.Answers, want) {
		t.Errorf("answers:\n got %q\nwant %q", d.Answers, want)
	}
	if d.Query != "host.example.org" || d.HasQType || d.OpcodeName != "dynamic-update" || d.RCodeName != "REFUSED" {
		t.Errorf("record %s", show(d))
	}
	if len(k.weirds) != 0 {
		t.Errorf("weirds %q", k.weirds)
	}
}
