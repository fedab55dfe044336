// wan_proxy.go - a TCP proxy on loopback that makes a local server look far away: each
// connection's bytes are held for a one-way delay in each direction and paced to a bandwidth per
// connection, as a client in a cloud region sees S3 (a round trip per request, a per-connection
// throughput) while loopback has neither. Go standard library only; built by bench/query/s3.sh.
//
//	wan_proxy -upstream HOST:PORT [-delay 10ms] [-rate 80] [-listen 127.0.0.1:0] [-log]
//
// -delay is one way (a request and its answer take twice it), -rate is MB/s (10^6 bytes) per
// connection and direction. Prints the listening address on stdout once ready; runs until killed.
// The model: a chunk read from one side is written to the other no sooner than -delay after it was
// read and no sooner than the previous chunk's bytes have drained at -rate; at most 4 MiB of a
// direction is in flight, past which reading stops (TCP's window does the same). A new
// connection's first request waits one more round trip (the TCP handshake; no TLS is modelled).
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"
)

type chunk struct {
	data []byte
	at   time.Time // when it was read
}

const chunkSize = 16 << 10
const inFlight = (4 << 20) / chunkSize

// conn counts what one connection carried, for -log: requests are the client's turns to speak.
type conn struct {
	up, down, requests int64
	turn               int32 // 1: the client spoke last
}

// pipe copies src to dst with the delay and the pacing, then half-closes dst; nothing is written
// before free. up: src is the client.
func pipe(dst, src *net.TCPConn, delay time.Duration, rate float64, free time.Time, c *conn, up bool) {
	ch := make(chan chunk, inFlight)
	go func() {
		for {
			b := make([]byte, chunkSize)
			n, err := src.Read(b)
			if n > 0 {
				if up {
					atomic.AddInt64(&c.up, int64(n))
					if atomic.SwapInt32(&c.turn, 1) == 0 {
						atomic.AddInt64(&c.requests, 1)
					}
				} else {
					atomic.AddInt64(&c.down, int64(n))
					atomic.StoreInt32(&c.turn, 0)
				}
				ch <- chunk{b[:n], time.Now()}
			}
			if err != nil {
				close(ch)
				return
			}
		}
	}()
	for k := range ch { // free: when the link has drained what was sent before
		due := k.at.Add(delay)
		if free.After(due) {
			due = free
		}
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if _, err := dst.Write(k.data); err != nil {
			src.Close() // ends the reader, which may be waiting for the peer
			break
		}
		free = due.Add(time.Duration(float64(len(k.data)) / rate * float64(time.Second)))
	}
	for range ch { // let the reader finish
	}
	dst.CloseWrite()
}

func main() {
	upstream := flag.String("upstream", "", "HOST:PORT of the server")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	delay := flag.Duration("delay", 10*time.Millisecond, "one-way delay")
	rate := flag.Float64("rate", 80, "MB/s per connection and direction")
	logConns := flag.Bool("log", false, "a line on stderr per connection closed: requests, bytes each way, seconds open")
	flag.Parse()
	if *upstream == "" || *rate <= 0 || *delay < 0 {
		fmt.Fprintln(os.Stderr, "usage: wan_proxy -upstream HOST:PORT [-delay D] [-rate MB/s] [-listen ADDR]")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wan_proxy:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	bps := *rate * 1e6
	for {
		accepted, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "wan_proxy:", err)
			os.Exit(1)
		}
		go func(client *net.TCPConn) {
			defer client.Close()
			u, err := net.Dial("tcp", *upstream)
			if err != nil {
				fmt.Fprintln(os.Stderr, "wan_proxy:", err)
				return
			}
			server := u.(*net.TCPConn)
			defer server.Close()
			// The handshake a far server costs: the request's first byte waits a round trip.
			opened := time.Now()
			shake := opened.Add(3 * *delay)
			var n conn
			done := make(chan struct{})
			go func() { pipe(server, client, *delay, bps, shake, &n, true); done <- struct{}{} }()
			pipe(client, server, *delay, bps, time.Time{}, &n, false)
			<-done
			if *logConns {
				fmt.Fprintf(os.Stderr, "conn requests %d up %d down %d open %.3f s\n", n.requests, n.up, n.down, time.Since(opened).Seconds())
			}
		}(accepted.(*net.TCPConn))
	}
}
