// Package pb is the Go code protoc generates from sdk/proto/weir/v1: the
// published contract between weir's core and its plugins. It is internal:
// plugin authors use package sdk and the typed events of sdk/event; the
// core uses sdk/protocol.
//
// The generated files are committed so that a build needs no protoc. After
// changing a .proto file, regenerate with (from the repository root):
//
//	go generate ./sdk/internal/pb
//
// which needs protoc (Debian: protobuf-compiler), protoc-gen-go v1.36.6 and
// protoc-gen-go-grpc v1.3.0 (the newest that targets the grpc module this
// repository uses) on PATH:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.6
//	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.3.0
package pb

//go:generate protoc -I ../../proto --go_out=../.. --go_opt=module=github.com/weirnet/weir/sdk --go-grpc_out=../.. --go-grpc_opt=module=github.com/weirnet/weir/sdk ../../proto/weir/v1/event.proto ../../proto/weir/v1/plugin.proto
