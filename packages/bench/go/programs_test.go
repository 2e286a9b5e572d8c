// Go's own programs, as packages/bench/src/workloads/programs.ts ports them:
// the prime sieve, a gen/sq/merge pipeline, a daisy chain, a stateful
// goroutine answering on reply channels, and the seed's dispatcher. b.N is the
// program's size (primes, values, tasks, requests, jobs), so ns/op is per unit
// of work like the TypeScript figures. Each also reports its process CPU time
// per op (cpu-ns/op), which the bench compares with the TypeScript CPU time.
package bench

import (
	"sync"
	"testing"
)

// measureCPU runs program with b.N once untimed (a warm-up, as the TypeScript
// side has), then once timed, and reports CPU time per op.
func measureCPU(b *testing.B, program func(n int)) {
	program(b.N)
	b.ResetTimer()
	start := cpuNanos()
	program(b.N)
	used := cpuNanos() - start
	b.StopTimer()
	if used >= 0 {
		b.ReportMetric(float64(used)/float64(b.N), "cpu-ns/op")
	}
}

// ---- The prime sieve ----

func generate(ch chan<- int) {
	for i := 2; ; i++ {
		ch <- i
	}
}

func filter(in <-chan int, out chan<- int, prime int) {
	for {
		i := <-in
		if i%prime != 0 {
			out <- i
		}
	}
}

func sieve(n int) int {
	ch := make(chan int)
	go generate(ch)
	sum := 0
	for i := 0; i < n; i++ {
		prime := <-ch
		sum += prime
		ch1 := make(chan int)
		go filter(ch, ch1, prime)
		ch = ch1
	}
	return sum
}

func primeSum(n int) int {
	sum := 0
	for k, c := 0, 2; k < n; c++ {
		prime := true
		for d := 2; d*d <= c; d++ {
			if c%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			sum += c
			k++
		}
	}
	return sum
}

func BenchmarkSieve(b *testing.B) {
	measureCPU(b, func(n int) {
		if got, want := sieve(n), primeSum(n); got != want {
			b.Fatalf("sieve: sum %d, want %d", got, want)
		}
	})
}

// ---- Pipeline: gen, sq, merge ----

func gen(n int) <-chan int {
	out := make(chan int)
	go func() {
		for i := 0; i < n; i++ {
			out <- i
		}
		close(out)
	}()
	return out
}

func sq(in <-chan int) <-chan int {
	out := make(chan int)
	go func() {
		for v := range in {
			out <- v * v
		}
		close(out)
	}()
	return out
}

func merge(cs ...<-chan int) <-chan int {
	var wg sync.WaitGroup
	out := make(chan int)
	output := func(c <-chan int) {
		for v := range c {
			out <- v
		}
		wg.Done()
	}
	wg.Add(len(cs))
	for _, c := range cs {
		go output(c)
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

func BenchmarkPipeline(b *testing.B) {
	measureCPU(b, func(n int) {
		in := gen(n)
		c1, c2 := sq(in), sq(in)
		sum := 0
		for v := range merge(c1, c2) {
			sum += v
		}
		if want := (n - 1) * n * (2*n - 1) / 6; sum != want {
			b.Fatalf("pipeline: sum %d, want %d", sum, want)
		}
	})
}

// ---- Daisy chain ----

func link(left, right chan int) { left <- 1 + <-right }

func BenchmarkDaisyChain(b *testing.B) {
	measureCPU(b, func(n int) {
		leftmost := make(chan int)
		right := leftmost
		left := leftmost
		for i := 0; i < n; i++ {
			right = make(chan int)
			go link(left, right)
			left = right
		}
		go func(c chan int) { c <- 1 }(right)
		if got := <-leftmost; got != n+1 {
			b.Fatalf("daisy chain: %d, want %d", got, n+1)
		}
	})
}

// ---- A stateful goroutine with reply channels ----

const clients = 10

type readOp struct {
	key  int
	resp chan int
}

type writeOp struct {
	key, val int
	resp     chan bool
}

func BenchmarkStateful(b *testing.B) {
	measureCPU(b, func(n int) {
		reads := make(chan readOp)
		writes := make(chan writeOp)
		go func() {
			state := make(map[int]int)
			for {
				select {
				case read := <-reads:
					read.resp <- state[read.key]
				case write := <-writes:
					state[write.key] = write.val
					write.resp <- true
				}
			}
		}()
		var wg sync.WaitGroup
		var mu sync.Mutex
		sum := 0
		rounds := n / (2 * clients)
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func(c int) {
				local := 0
				for i := 0; i < rounds; i++ {
					write := writeOp{key: c, val: i, resp: make(chan bool)}
					writes <- write
					<-write.resp
					read := readOp{key: c, resp: make(chan int)}
					reads <- read
					local += <-read.resp
				}
				mu.Lock()
				sum += local
				mu.Unlock()
				wg.Done()
			}(c)
		}
		wg.Wait()
		if want := clients * rounds * (rounds - 1) / 2; sum != want {
			b.Fatalf("stateful: sum %d, want %d", sum, want)
		}
	})
}

// ---- The seed's dispatcher (the Worker and Dispatcher of pool_test.go) ----

func BenchmarkDispatcher(b *testing.B) {
	measureCPU(b, func(n int) {
		jobQueue := make(chan Job, maxQueue)
		d := NewDispatcher(maxWorkers, jobQueue)
		d.Run()
		var sum int64
		var wg sync.WaitGroup
		wg.Add(n)
		for i := 0; i < n; i++ {
			jobQueue <- Job{n: i, out: &sum, done: &wg}
		}
		wg.Wait()
		d.Stop()
		if want := int64(n) * int64(n-1); sum != want {
			b.Fatalf("dispatcher: sum %d, want %d", sum, want)
		}
	})
}
