//go:build unix

package dns

import "syscall"

// processCPU returns the CPU time (user and system) the process has used,
// in ns: unlike wall time it does not grow when other processes compete
// for the cores, so benchmarks on a shared machine report it too.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
