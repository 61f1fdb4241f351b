// Package sdk is what a weir plugin is written with: a program that weir's
// core starts in its own process, feeds with typed events over gRPC, and
// that writes its own log.
//
//	func main() {
//		sdk.Serve("redis", &Analyzer{},
//			sdk.Subscribe(event.KindStreamData, event.KindConnEnd),
//			sdk.StreamPorts(6379))
//	}
//
// The handler gets batches of events (package sdk/event) of the kinds it
// subscribed to, in the core's deterministic order; raw stream data
// (StreamData, Datagram) only for the ports or detected protocols it
// names. Its options come from its table in the core's configuration
// (Context.DecodeOptions); its logs are created with Context.CreateLog, in
// the core's log directory and format, from a schema of its own
// (schema.Parse of an embedded JSON file, like logs/schema/*.json).
//
// # Crashes and checkpoints
//
// The core keeps every batch until the plugin acknowledges it, and starts a
// crashed plugin again. So that no line is lost or written twice, the SDK
// acknowledges batches only at checkpoints: it flushes every log to its
// file and saves, next to the logs (.weir-<instance>.ckpt), the last batch
// applied, the size of every log file and the handler's state
// (Snapshotter). A restarted plugin truncates its logs to those sizes,
// restores the state and tells the core where to resume; the core sends
// every later batch again. Batches it already applied are skipped by
// number, so delivery is idempotent per batch. The SDK checkpoints every
// half window of batches (the core says how many), whenever the core asks
// (a quiet live sensor, the end of the run), and at Close.
//
// A handler whose output depends on state kept across batches implements
// Snapshotter; otherwise it must write the same lines from a fresh start at
// any batch boundary. Compressed logs are the one case where the result
// differs from a run without crash: the compressed stream cannot be
// continued, so the part before the crash keeps a numbered name
// (redis.1.log.zst) and a new file starts; nothing is lost or repeated.
//
// # Rotation
//
// The core rotates a plugin's logs as it rotates its own (network-time
// interval, size, SIGHUP), in band: after the events of the batch that asks
// for it, the SDK calls the handler's Rotator if it has one, then closes,
// renames (<path>.<open>-<close>.log) and reopens every log it tracks,
// checkpoints, and reports the closed files to the core for its
// post_rotate hook. A crash in the middle of a rotation is completed by the
// next process; a rotation the checkpoint covers is not done again.
// WithoutRotation opts out.
//
// # Testing
//
// Run drives a handler in the test's own process exactly as the core
// would (configuration, wire encoding, checkpoints, close), so a plugin's
// golden tests need neither the core nor a process. See
// sdk/examples/redis.
//
// # The contract
//
// The protocol is sdk/proto/weir/v1/*.proto plus the go-plugin handshake in
// package sdk/protocol; a plugin in another language implements those.
// A plugin built against another protocol version is refused by the core
// with a message naming both versions.
package sdk
