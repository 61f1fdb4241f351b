//go:build !unix

package logs

func processCPU() int64 { return 0 }
