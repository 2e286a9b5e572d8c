//go:build unix

package bench

import "syscall"

// cpuNanos is the process's CPU time (user + system, every thread) in ns.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
