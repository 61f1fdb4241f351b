//go:build !cgo

package bpf

import (
	"strings"
	"testing"
)

func TestCompileWithoutCgo(t *testing.T) {
	_, err := Compile("tcp", 1, 0)
	if err == nil || !strings.Contains(err.Error(), "without cgo") {
		t.Fatalf("Compile without cgo: %v", err)
	}
}
