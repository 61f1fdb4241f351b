//go:build !unix

package dns

func processCPU() int64 { return 0 }
