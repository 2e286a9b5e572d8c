// The channel workloads of packages/bench in Go, for comparison in the same run.
// One benchmark op is one message (or one select receive), like the TypeScript
// figures. Run by the bench driver with -test.cpu 1 and 2 (GOMAXPROCS).
package bench

import "testing"

func BenchmarkUnbuffered(b *testing.B) { oneWay(b, 0) }

func BenchmarkBuffered(b *testing.B) { oneWay(b, 128) }

// oneWay: one goroutine sends 0..N-1, another receives and sums them.
func oneWay(b *testing.B, capacity int) {
	ch := make(chan int, capacity)
	done := make(chan int)
	b.ResetTimer()
	go func() {
		sum := 0
		for i := 0; i < b.N; i++ {
			sum += <-ch
		}
		done <- sum
	}()
	for i := 0; i < b.N; i++ {
		ch <- i
	}
	if sum, want := <-done, b.N*(b.N-1)/2; sum != want {
		b.Fatalf("moved the wrong values: sum %d, want %d", sum, want)
	}
}

// BenchmarkPingPong: N messages as N/2 round trips on two unbuffered channels.
func BenchmarkPingPong(b *testing.B) {
	rounds := (b.N + 1) / 2
	ping, pong := make(chan int), make(chan int)
	b.ResetTimer()
	go func() {
		for r := 0; r < rounds; r++ {
			pong <- <-ping
		}
	}()
	sum := 0
	for r := 0; r < rounds; r++ {
		ping <- r
		sum += <-pong
	}
	if want := rounds * (rounds - 1) / 2; sum != want {
		b.Fatalf("moved the wrong values: sum %d, want %d", sum, want)
	}
}

// filled returns k channels, channel j holding n copies of j+1, so every one
// stays ready for n receives.
func filled(k, n int) []chan int {
	cs := make([]chan int, k)
	for j := range cs {
		cs[j] = make(chan int, n)
		for i := 0; i < n; i++ {
			cs[j] <- j + 1
		}
	}
	return cs
}

// checkLeft checks that the values received plus those left add up.
func checkLeft(b *testing.B, cs []chan int, sum int) {
	left := 0
	for j, c := range cs {
		left += len(c) * (j + 1)
	}
	k := len(cs)
	if want := b.N*k*(k+1)/2 - left; sum != want {
		b.Fatalf("moved the wrong values: sum %d, want %d", sum, want)
	}
}

func BenchmarkSelect2(b *testing.B) {
	cs := filled(2, b.N)
	c0, c1 := cs[0], cs[1]
	sum := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		select {
		case v := <-c0:
			sum += v
		case v := <-c1:
			sum += v
		}
	}
	b.StopTimer()
	checkLeft(b, cs, sum)
}

func BenchmarkSelect8(b *testing.B) {
	cs := filled(8, b.N)
	c0, c1, c2, c3, c4, c5, c6, c7 := cs[0], cs[1], cs[2], cs[3], cs[4], cs[5], cs[6], cs[7]
	sum := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		select {
		case v := <-c0:
			sum += v
		case v := <-c1:
			sum += v
		case v := <-c2:
			sum += v
		case v := <-c3:
			sum += v
		case v := <-c4:
			sum += v
		case v := <-c5:
			sum += v
		case v := <-c6:
			sum += v
		case v := <-c7:
			sum += v
		}
	}
	b.StopTimer()
	checkLeft(b, cs, sum)
}
