// The seed's payload server ("Handling 1 Million Requests per Minute with Go",
// as published in the Go Work Pool article), completed into a runnable program
// so that `pnpm --filter @gochan/demo compare` can drive it beside ours.
//
// As published: payloadHandler decodes the body through io.LimitReader and
// pushes one Job per payload onto JobQueue (a blocking send: it never refuses),
// then answers 200; the Dispatcher starts MAX_WORKERS Workers and, for every
// job, a goroutine that waits for an idle worker; a Worker registers its job
// channel in the pool and runs Payload.UploadToS3.
//
// Completed here, and not in the article: main, the configuration read from
// the environment, UploadToS3 writing to an fs sink with the same layout,
// syscalls and batching as ours (packages/demo/src/fs-sink.ts: objects of up to
// SINK_BATCH_SIZE payloads, two written at a time, each written to a temporary
// file, fsynced, renamed, its directory fsynced; an upload returns once its
// object is durable), a listening line on stdout, and GET /stats (payloads
// acknowledged and stored) for the measurement. A payload is decoded into a
// map and encoded again, as ours parses and re-serializes it.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ---- the article's types, as published ----

// Payload is one uploaded document.
type Payload map[string]interface{}

// PayloadCollection is the request body.
type PayloadCollection struct {
	WindowsVersion string    `json:"version"`
	Token          string    `json:"token"`
	Payloads       []Payload `json:"payloads"`
}

// Job represents the job to be run.
type Job struct {
	Payload Payload
}

// JobQueue is a buffered channel that we can send work requests on.
var JobQueue chan Job

// Worker represents the worker that executes the job.
type Worker struct {
	WorkerPool chan chan Job
	JobChannel chan Job
	quit       chan bool
}

// NewWorker creates a worker registered with workerPool.
func NewWorker(workerPool chan chan Job) Worker {
	return Worker{
		WorkerPool: workerPool,
		JobChannel: make(chan Job),
		quit:       make(chan bool)}
}

// Start method starts the run loop for the worker, listening for a quit channel in
// case we need to stop it.
func (w Worker) Start() {
	go func() {
		for {
			// register the current worker into the worker queue.
			w.WorkerPool <- w.JobChannel

			select {
			case job := <-w.JobChannel:
				// we have received a work request.
				if err := job.Payload.UploadToS3(); err != nil {
					log.Printf("Error uploading to S3: %s", err.Error())
				}

			case <-w.quit:
				// we have received a signal to stop
				return
			}
		}
	}()
}

// Stop signals the worker to stop listening for work requests.
func (w Worker) Stop() {
	go func() {
		w.quit <- true
	}()
}

// Dispatcher hands jobs to idle workers.
type Dispatcher struct {
	// A pool of workers channels that are registered with the dispatcher
	WorkerPool chan chan Job
	maxWorkers int
}

// NewDispatcher creates a dispatcher for maxWorkers workers.
func NewDispatcher(maxWorkers int) *Dispatcher {
	pool := make(chan chan Job, maxWorkers)
	return &Dispatcher{WorkerPool: pool, maxWorkers: maxWorkers}
}

// Run starts the workers and the dispatch loop.
func (d *Dispatcher) Run() {
	// starting n number of workers
	for i := 0; i < d.maxWorkers; i++ {
		worker := NewWorker(d.WorkerPool)
		worker.Start()
	}

	go d.dispatch()
}

func (d *Dispatcher) dispatch() {
	for {
		select {
		case job := <-JobQueue:
			// a job request has been received
			go func(job Job) {
				// try to obtain a worker job channel that is available.
				// this will block until a worker is idle
				jobChannel := <-d.WorkerPool

				// dispatch the job to the worker job channel
				jobChannel <- job
			}(job)
		}
	}
}

var maxLength int64

func payloadHandler(w http.ResponseWriter, r *http.Request) {

	if r.Method != "POST" {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}

	// Read the body into a string for json decoding
	var content = &PayloadCollection{}
	err := json.NewDecoder(io.LimitReader(r.Body, maxLength)).Decode(&content)
	if err != nil {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(http.StatusBadRequest)
		return
	}

	// Go through each payload and queue items individually to be posted to S3
	for _, payload := range content.Payloads {

		// let's create a job with the payload
		work := Job{Payload: payload}

		// Push the work onto the queue.
		JobQueue <- work
		atomic.AddInt64(&acknowledged, 1) // counted as queued (the 200 follows the last one)
	}

	w.WriteHeader(http.StatusOK)
}

// ---- completed for the measurement ----

var (
	sink         *fsSink
	acknowledged int64
)

// UploadToS3 stores the payload in the fs sink; it returns once it is durable.
func (p *Payload) UploadToS3() error {
	line, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return sink.Put(line)
}

type batch struct {
	lines [][]byte
	done  chan struct{}
	err   error
}

// fsSink group-commits payloads into NDJSON objects, as packages/demo/src/fs-sink.ts does.
type fsSink struct {
	mu          sync.Mutex
	open        *batch
	sealed      []*batch
	writing     int
	concurrency int
	batchSize   int
	dir         string
	boot        string
	seq         int64
	dirs        map[string]bool
	stored      int64
	objects     int64
	failed      int64
}

func (s *fsSink) Put(line []byte) error {
	s.mu.Lock()
	b := s.open
	if b == nil {
		b = &batch{done: make(chan struct{})}
		s.open = b
	}
	b.lines = append(b.lines, line)
	if len(b.lines) >= s.batchSize {
		s.open = nil
		s.sealed = append(s.sealed, b)
	}
	s.pumpLocked()
	s.mu.Unlock()
	<-b.done
	return b.err
}

// pumpLocked starts writes while fewer than concurrency are in flight: sealed
// batches first, then the open one (whatever gathered while writers were busy).
func (s *fsSink) pumpLocked() {
	for s.writing < s.concurrency {
		var b *batch
		if len(s.sealed) > 0 {
			b = s.sealed[0]
			s.sealed = s.sealed[1:]
		} else if s.open != nil {
			b = s.open
			s.open = nil
		} else {
			return
		}
		s.writing++
		s.seq++
		go s.write(b, s.seq)
	}
}

func (s *fsSink) write(b *batch, seq int64) {
	now := time.Now().UTC()
	folder := filepath.Join(s.dir, "payloads", fmt.Sprintf("%04d", now.Year()), fmt.Sprintf("%02d", int(now.Month())), fmt.Sprintf("%02d", now.Day()))
	name := fmt.Sprintf("%s-%08d.ndjson", s.boot, seq)
	b.err = s.writeObject(folder, name, b.lines)
	s.mu.Lock()
	if b.err == nil {
		s.stored += int64(len(b.lines))
		s.objects++
	} else {
		s.failed += int64(len(b.lines))
	}
	s.writing--
	s.pumpLocked()
	s.mu.Unlock()
	close(b.done)
}

func (s *fsSink) writeObject(folder, name string, lines [][]byte) error {
	s.mu.Lock()
	known := s.dirs[folder]
	s.mu.Unlock()
	if !known {
		if err := os.MkdirAll(folder, 0o755); err != nil {
			return err
		}
		for d := folder; d != s.dir && d != filepath.Dir(d); d = filepath.Dir(d) {
			if err := fsyncDir(filepath.Dir(d)); err != nil {
				return err
			}
		}
		s.mu.Lock()
		s.dirs[folder] = true
		s.mu.Unlock()
	}
	size := 0
	for _, l := range lines {
		size += len(l) + 1
	}
	body := make([]byte, 0, size)
	for _, l := range lines {
		body = append(body, l...)
		body = append(body, '\n')
	}
	tmp := filepath.Join(folder, ".tmp-"+name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err = f.Write(body); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, filepath.Join(folder, name)); err != nil {
		os.Remove(tmp)
		return err
	}
	return fsyncDir(folder)
}

func fsyncDir(path string) error {
	d, err := os.Open(path)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func statsHandler(w http.ResponseWriter, r *http.Request) {
	sink.mu.Lock()
	stored, objects, failed := sink.stored, sink.objects, sink.failed
	sink.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"acknowledged":%d,"stored":%d,"objects":%d,"failed":%d,"queued":%d}`,
		atomic.LoadInt64(&acknowledged), stored, objects, failed, len(JobQueue))
}

func envInt(name string, fallback int) int {
	v := os.Getenv(name)
	if v == "" {
		return fallback
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		log.Fatalf("%s=%q: must be a non-negative integer", name, v)
	}
	return n
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("[seed] ")
	maxWorkers := envInt("MAX_WORKERS", 2048)
	maxQueue := envInt("MAX_QUEUE", 20000)
	maxLength = int64(envInt("MAX_BODY_BYTES", 1048576))
	batchSize := envInt("SINK_BATCH_SIZE", 1000)
	dir := os.Getenv("SINK_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "gochan-seed-bucket")
	}
	host := os.Getenv("HOST")
	if host == "" {
		host = "127.0.0.1"
	}
	boot := make([]byte, 3)
	rand.Read(boot)
	sink = &fsSink{
		concurrency: 2,
		batchSize:   batchSize,
		dir:         dir,
		boot:        strconv.FormatInt(time.Now().UnixMilli(), 36) + "-" + hex.EncodeToString(boot),
		dirs:        map[string]bool{},
	}
	JobQueue = make(chan Job, maxQueue)
	dispatcher := NewDispatcher(maxWorkers)
	dispatcher.Run()

	listener, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(envInt("PORT", 8080))))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/payloads", payloadHandler)
	mux.HandleFunc("/stats", statsHandler)
	fmt.Printf("{\"event\":\"listening\",\"url\":\"http://%s\",\"pid\":%d}\n", listener.Addr().String(), os.Getpid())
	log.Printf("MAX_WORKERS=%d MAX_QUEUE=%d sink=fs:%s", maxWorkers, maxQueue, dir)
	log.Fatal(http.Serve(listener, mux))
}
