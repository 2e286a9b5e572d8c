// The pool workloads of packages/bench in Go, with the TypeScript rows'
// contracts: N trivial jobs at 8 workers, each job returning 2i to its
// submitter.
//
// A promise per job is, in Go, a reply channel per job (capacity 1, so a
// worker never waits for the submitter): the submitter receives every reply
// and sums them. All at once: the job queue holds every job (capacity N, as
// the TypeScript pools' queues are unbounded there). Bounded: before sending
// job i the submitter receives job i-maxQueue's reply. One at a time: send one
// job, receive its reply, next. A batch: errgroup's SetLimit pattern written
// with the standard library, results written into a slice.
//
// BenchmarkPoolSeed* is the seed article's Worker / Dispatcher / chan-chan-Job
// pool as published (dispatch starts one goroutine per job to wait for an idle
// worker), plus only what a finite benchmark needs: a way to stop the
// dispatcher and the workers. BenchmarkPoolSharedQueue* is 8 goroutines
// ranging over one shared job channel.
package bench

import (
	"sync"
	"sync/atomic"
	"testing"
)

const (
	maxWorkers = 8
	maxQueue   = 1024
)

// Job is one trivial job with result 2n. The pool benchmarks send it on reply
// (the submitter receives it); the seed program of programs_test.go adds it to
// *out and marks done, as the TypeScript port of that program does.
type Job struct {
	n     int
	reply chan int
	out   *int64
	done  *sync.WaitGroup
}

func newJob(n int) Job {
	return Job{n: n, reply: make(chan int, 1)}
}

func (j Job) run() {
	if j.reply != nil {
		j.reply <- j.n * 2
		return
	}
	atomic.AddInt64(j.out, int64(j.n*2))
	j.done.Done()
}

// Worker as in the seed: registers its JobChannel, then waits for a job or quit.
type Worker struct {
	WorkerPool chan chan Job
	JobChannel chan Job
	quit       chan bool
}

func NewWorker(workerPool chan chan Job) Worker {
	return Worker{WorkerPool: workerPool, JobChannel: make(chan Job), quit: make(chan bool)}
}

func (w Worker) Start() {
	go func() {
		for {
			w.WorkerPool <- w.JobChannel
			select {
			case job := <-w.JobChannel:
				job.run()
			case <-w.quit:
				return
			}
		}
	}()
}

func (w Worker) Stop() {
	go func() { w.quit <- true }()
}

// Dispatcher as in the seed, with the job queue passed in instead of a global
// and a quit channel so the benchmark can stop it.
type Dispatcher struct {
	WorkerPool chan chan Job
	maxWorkers int
	jobQueue   chan Job
	workers    []Worker
	quit       chan struct{}
}

func NewDispatcher(maxWorkers int, jobQueue chan Job) *Dispatcher {
	return &Dispatcher{
		WorkerPool: make(chan chan Job, maxWorkers),
		maxWorkers: maxWorkers,
		jobQueue:   jobQueue,
		quit:       make(chan struct{}),
	}
}

func (d *Dispatcher) Run() {
	for i := 0; i < d.maxWorkers; i++ {
		worker := NewWorker(d.WorkerPool)
		worker.Start()
		d.workers = append(d.workers, worker)
	}
	go d.dispatch()
}

func (d *Dispatcher) dispatch() {
	for {
		select {
		case job := <-d.jobQueue:
			go func(job Job) {
				jobChannel := <-d.WorkerPool
				jobChannel <- job
			}(job)
		case <-d.quit:
			return
		}
	}
}

func (d *Dispatcher) Stop() {
	close(d.quit)
	for _, w := range d.workers {
		w.Stop()
	}
}

// sharedQueue starts 8 workers ranging over jobs; stop closes it and waits for them.
func sharedQueue(jobs chan Job) (stop func()) {
	var workers sync.WaitGroup
	for w := 0; w < maxWorkers; w++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for job := range jobs {
				job.run()
			}
		}()
	}
	return func() {
		close(jobs)
		workers.Wait()
	}
}

func checkSum(b *testing.B, sum int64) {
	if want := int64(b.N) * int64(b.N-1); sum != want {
		b.Fatalf("wrong results: sum %d, want %d", sum, want)
	}
}

// allAtOnce sends every job, then receives every reply.
func allAtOnce(b *testing.B, jobs chan Job) int64 {
	replies := make([]chan int, b.N)
	for i := 0; i < b.N; i++ {
		job := newJob(i)
		replies[i] = job.reply
		jobs <- job
	}
	var sum int64
	for _, r := range replies {
		sum += int64(<-r)
	}
	return sum
}

// bounded receives job i-maxQueue's reply before sending job i.
func bounded(b *testing.B, jobs chan Job) int64 {
	replies := make([]chan int, b.N)
	var sum int64
	for i := 0; i < b.N; i++ {
		if i >= maxQueue {
			sum += int64(<-replies[i-maxQueue])
		}
		job := newJob(i)
		replies[i] = job.reply
		jobs <- job
	}
	from := b.N - maxQueue
	if from < 0 {
		from = 0
	}
	for _, r := range replies[from:] {
		sum += int64(<-r)
	}
	return sum
}

func BenchmarkPoolSeed(b *testing.B) {
	jobQueue := make(chan Job, b.N)
	d := NewDispatcher(maxWorkers, jobQueue)
	d.Run()
	b.ResetTimer()
	sum := allAtOnce(b, jobQueue)
	b.StopTimer()
	d.Stop()
	checkSum(b, sum)
}

func BenchmarkPoolSeedBounded(b *testing.B) {
	jobQueue := make(chan Job, maxQueue)
	d := NewDispatcher(maxWorkers, jobQueue)
	d.Run()
	b.ResetTimer()
	sum := bounded(b, jobQueue)
	b.StopTimer()
	d.Stop()
	checkSum(b, sum)
}

func BenchmarkPoolSharedQueue(b *testing.B) {
	jobs := make(chan Job, b.N)
	stop := sharedQueue(jobs)
	b.ResetTimer()
	sum := allAtOnce(b, jobs)
	b.StopTimer()
	stop()
	checkSum(b, sum)
}

func BenchmarkPoolSharedQueueBounded(b *testing.B) {
	jobs := make(chan Job, maxQueue)
	stop := sharedQueue(jobs)
	b.ResetTimer()
	sum := bounded(b, jobs)
	b.StopTimer()
	stop()
	checkSum(b, sum)
}

// BenchmarkPoolSerial: one job at a time, so each meets an idle worker.
func BenchmarkPoolSerial(b *testing.B) {
	jobs := make(chan Job, maxQueue)
	stop := sharedQueue(jobs)
	b.ResetTimer()
	var sum int64
	for i := 0; i < b.N; i++ {
		job := newJob(i)
		jobs <- job
		sum += int64(<-job.reply)
	}
	b.StopTimer()
	stop()
	checkSum(b, sum)
}

// BenchmarkPoolGroup: a batch, as errgroup.SetLimit(8) runs it: a goroutine per
// job once one of 8 slots is free, each writing its result into the slice.
func BenchmarkPoolGroup(b *testing.B) {
	b.ResetTimer()
	results := make([]int, b.N)
	slots := make(chan struct{}, maxWorkers)
	var wg sync.WaitGroup
	for i := 0; i < b.N; i++ {
		slots <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = i * 2
			<-slots
		}(i)
	}
	wg.Wait()
	var sum int64
	for _, r := range results {
		sum += int64(r)
	}
	b.StopTimer()
	checkSum(b, sum)
}
