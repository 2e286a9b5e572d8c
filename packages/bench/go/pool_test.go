// The pool workload of packages/bench in Go: N trivial jobs at 8 workers.
// BenchmarkPoolSeed is the seed article's Worker / Dispatcher / chan-chan-Job
// pool as published (dispatch starts one goroutine per job to wait for an idle
// worker), plus only what a finite benchmark needs: a way to stop the
// dispatcher and the workers. BenchmarkPoolSharedQueue is the reference: 8
// goroutines ranging over one shared job channel.
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

// Job is one trivial job: its result, 2n, is added to out.
type Job struct {
	n    int
	out  *int64
	done *sync.WaitGroup
}

func (j Job) run() {
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

func checkSum(b *testing.B, sum int64) {
	if want := int64(b.N) * int64(b.N-1); sum != want {
		b.Fatalf("wrong results: sum %d, want %d", sum, want)
	}
}

func BenchmarkPoolSeed(b *testing.B) {
	jobQueue := make(chan Job, maxQueue)
	d := NewDispatcher(maxWorkers, jobQueue)
	d.Run()
	var sum int64
	var wg sync.WaitGroup
	wg.Add(b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		jobQueue <- Job{n: i, out: &sum, done: &wg}
	}
	wg.Wait()
	b.StopTimer()
	d.Stop()
	checkSum(b, sum)
}

func BenchmarkPoolSharedQueue(b *testing.B) {
	jobs := make(chan Job, maxQueue)
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
	var sum int64
	var wg sync.WaitGroup
	wg.Add(b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		jobs <- Job{n: i, out: &sum, done: &wg}
	}
	wg.Wait()
	b.StopTimer()
	close(jobs)
	workers.Wait()
	checkSum(b, sum)
}
