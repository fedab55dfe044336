// serve_load.go - a load test of `ticklake serve` (Go standard library only; built by
// tests/integration/t0093-serve-load.sh).
//
// Opens CLIENTS push-stream clients (each follows one symbol's trades, forming and closed bars,
// round robin over the server's symbols) and sends RPS API requests per second (status, overview,
// tables, alerts, symbols over keep-alive connections) for SECONDS. Reports errors, how far behind
// the feed the clients fell (now - the event time of the newest trade in each read, after a
// warm-up: the simulator's event time is the wall clock), and the server's peak resident memory.
// Exits 1 when there was an error or a client fell more than -max-lag seconds behind.
//
// A compiled client, not Python: at 100,000 trades/s the clients read some 57 MB/s of events,
// which one Python process (one core, its lock) could not keep up with, so the lag measured the
// client, not the server.
//
//	serve_load URL -clients 200 -rps 1000 -seconds 60 [-pid PID] [-max-lag 1.0]
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type stats struct {
	mu          sync.Mutex
	errors      []string
	eventsBytes int64
	requests    int64
	apiErrors   int64
	rssKB       int64
	lags        []float64
}

func (s *stats) err(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errors) < 20 {
		s.errors = append(s.errors, msg)
	}
}

var tsKey = []byte(`"ts":`)

// newestTS is the last whole "ts" number of chunk (one followed by ',' or '}': a read can end
// inside a number), or 0.
func newestTS(chunk []byte) int64 {
	for end := len(chunk); ; {
		i := bytes.LastIndex(chunk[:end], tsKey)
		if i < 0 {
			return 0
		}
		j := i + len(tsKey)
		k := j
		for k < len(chunk) && chunk[k] >= '0' && chunk[k] <= '9' {
			k++
		}
		if k-j >= 16 && k-j <= 19 && k < len(chunk) && (chunk[k] == ',' || chunk[k] == '}') {
			v, err := strconv.ParseInt(string(chunk[j:k]), 10, 64)
			if err == nil {
				return v
			}
		}
		end = i
	}
}

func client(addr, sym string, stop, measureFrom time.Time, st *stats, wg *sync.WaitGroup) {
	defer wg.Done()
	fail := func(e string) { st.err(fmt.Sprintf("client %s: %s", sym, e)) }
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		fail(err.Error())
		return
	}
	defer c.Close()
	// The server's own address as Host: it refuses other names on loopback (DNS rebinding).
	req := fmt.Sprintf("GET /api/stream?symbols=%s&kinds=trade,forming,bar HTTP/1.1\r\nHost: %s\r\n\r\n",
		url.QueryEscape(sym), addr)
	if _, err := c.Write([]byte(req)); err != nil {
		fail(err.Error())
		return
	}
	r := bufio.NewReaderSize(c, 64<<10)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	status, err := r.ReadString('\n')
	if err != nil {
		fail("closed before the headers")
		return
	}
	if !strings.Contains(status, " 200 ") {
		fail(strings.TrimSpace(status))
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			fail("closed in the headers")
			return
		}
		if line == "\r\n" {
			break
		}
	}
	buf := make([]byte, 64<<10)
	var worst float64
	var n int64
	for time.Now().Before(stop) {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		k, err := r.Read(buf)
		if k > 0 {
			d := buf[:k]
			n += int64(k)
			if bytes.Contains(d, []byte("event: dropped")) {
				fail("dropped as too slow")
				return
			}
			if ts := newestTS(d); ts > 0 {
				if now := time.Now(); !now.Before(measureFrom) {
					lag := float64(now.UnixNano()-ts) / 1e9
					if lag > worst {
						worst = lag
					}
				}
			}
		}
		if err != nil {
			if err == io.EOF {
				fail("stream closed by the server")
			} else {
				fail(err.Error())
			}
			return
		}
	}
	st.mu.Lock()
	st.eventsBytes += n
	st.lags = append(st.lags, worst)
	st.mu.Unlock()
}

func api(base string, perSecond float64, stop time.Time, st *stats, wg *sync.WaitGroup) {
	defer wg.Done()
	paths := []string{"/api/status", "/api/overview", "/api/tables", "/api/alerts?limit=20", "/api/symbols"}
	hc := &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
	t0 := time.Now()
	for i := 0; time.Now().Before(stop); i++ {
		due := t0.Add(time.Duration(float64(i) / perSecond * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		p := paths[i%len(paths)]
		resp, err := hc.Get(base + p)
		st.mu.Lock()
		if err != nil {
			st.apiErrors++
		} else {
			st.requests++
			if resp.StatusCode != 200 && resp.StatusCode != 503 {
				st.apiErrors++
			}
		}
		st.mu.Unlock()
		if err != nil {
			st.err("api: " + err.Error())
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 && resp.StatusCode != 503 {
			st.err(fmt.Sprintf("%s: %d", p, resp.StatusCode))
		}
	}
}

func rss(pid int, stop time.Time, st *stats) {
	for time.Now().Before(stop) {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
					if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
						st.mu.Lock()
						if kb > st.rssKB {
							st.rssKB = kb
						}
						st.mu.Unlock()
					}
				}
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// cpuTicks is the user and system time of pid so far, in clock ticks (100 a second on Linux), or
// -1.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // fields from the 3rd (state) on
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64) // utime, the 14th field
	k, err2 := strconv.ParseInt(f[12], 10, 64) // stime, the 15th
	if err1 != nil || err2 != nil {
		return -1
	}
	return u + k
}

func main() {
	clients := flag.Int("clients", 200, "push-stream clients")
	rps := flag.Int("rps", 1000, "API requests per second")
	seconds := flag.Float64("seconds", 60, "how long")
	pid := flag.Int("pid", 0, "the server's pid, for its peak RSS and CPU")
	maxLag := flag.Float64("max-lag", 1.0, "the worst lag allowed, seconds")
	warmup := flag.Float64("warmup", 3.0, "seconds before lags count")
	flag.CommandLine.Parse(reorder(os.Args[1:]))
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: serve_load URL [-clients N] [-rps N] [-seconds S] [-pid P] [-max-lag S]")
		os.Exit(2)
	}
	base := strings.TrimRight(flag.Arg(0), "/")
	u, err := url.Parse(base)
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve_load:", err)
		os.Exit(2)
	}
	resp, err := http.Get(base + "/api/symbols")
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve_load:", err)
		os.Exit(1)
	}
	var sy struct{ Symbols []string }
	json.NewDecoder(resp.Body).Decode(&sy)
	resp.Body.Close()
	if len(sy.Symbols) == 0 {
		sy.Symbols = []string{"AAPL"}
	}
	st := &stats{}
	cpu0 := cpuTicks(*pid)
	start := time.Now()
	stop := start.Add(time.Duration(*seconds * float64(time.Second)))
	measureFrom := start.Add(time.Duration(*warmup * float64(time.Second)))
	var wg sync.WaitGroup
	for i := 0; i < *clients; i++ {
		wg.Add(1)
		go client(u.Host, sy.Symbols[i%len(sy.Symbols)], stop, measureFrom, st, &wg)
	}
	workers := *rps / 100
	if workers < 1 {
		workers = 1
	}
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go api(base, float64(*rps)/float64(workers), stop, st, &wg)
	}
	if *pid > 0 {
		go rss(*pid, stop, st)
	}
	wg.Wait()
	cores := -1.0
	if cpu1 := cpuTicks(*pid); *pid > 0 && cpu0 >= 0 && cpu1 >= cpu0 {
		cores = float64(cpu1-cpu0) / 100 / time.Since(start).Seconds()
	}
	lags := append([]float64(nil), st.lags...)
	sort.Float64s(lags)
	if len(lags) == 0 {
		lags = []float64{0}
	}
	fmt.Printf("clients %d (%d finished), %.1f MB of events; API %.0f req/s, %d errors; worst lag per "+
		"client: median %.3f s, max %.3f s; server peak RSS %.0f MB, CPU %.2f cores\n", *clients,
		len(st.lags), float64(st.eventsBytes)/1e6, float64(st.requests)/(*seconds), st.apiErrors,
		lags[len(lags)/2], lags[len(lags)-1], float64(st.rssKB)/1024, cores)
	for _, e := range st.errors {
		fmt.Println("error:", e)
	}
	if len(st.errors) > 0 || len(st.lags) < *clients || lags[len(lags)-1] > *maxLag {
		os.Exit(1)
	}
}

// reorder puts flags before the URL, so "URL -clients 200" parses as the usage line shows.
func reorder(args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		if strings.HasPrefix(args[i], "-") {
			flags = append(flags, args[i])
			if !strings.Contains(args[i], "=") && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		} else {
			rest = append(rest, args[i])
		}
	}
	return append(flags, rest...)
}
