//go:build !unix

package bench

// cpuNanos is not measured here: -1 (no cpu-ns/op metric is reported).
func cpuNanos() int64 { return -1 }
