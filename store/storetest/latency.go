package storetest

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/store"
)

// Latency is a TCP proxy in front of the test Postgres that delays what
// the program sends by a delay a test sets (and changes) at will: each
// round trip to the database (a query and its answer, a BEGIN, a COMMIT)
// then takes at least that long, as with a distant or overloaded
// database. Bytes are delivered in order, each chunk its delay after it
// was sent.
type Latency struct {
	addr string // host:port the proxy listens on

	mu    sync.Mutex
	delay time.Duration
}

// OpenPostgresLatency returns a migrated store on a Postgres schema of its
// own reached through a Latency proxy, with no delay yet (set it with
// SetDelay once the test's setup is done); the store is closed when t
// ends. It skips t when that Postgres cannot be reached, as URL does.
func OpenPostgresLatency(t testing.TB) (*store.DB, *Latency) {
	t.Helper()
	u, err := url.Parse(URL(t, Postgres))
	if err != nil {
		t.Fatalf("parse Postgres URL: %v", err)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("latency proxy: %v", err)
	}
	l := &Latency{addr: ln.Addr().String()}
	var conns sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed when t ends
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				l.pipe(c, target)
			}()
		}
	}()
	u.Host = l.addr
	ctx := context.Background()
	db, err := store.Open(ctx, u.String())
	if err != nil {
		ln.Close()
		t.Fatalf("open Postgres behind a latency proxy: %v", err)
	}
	t.Cleanup(func() {
		db.Close()
		ln.Close()
		conns.Wait()
	})
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate Postgres behind a latency proxy: %v", err)
	}
	return db, l
}

// SetDelay sets how long what the program sends takes to reach Postgres
// from now on.
func (l *Latency) SetDelay(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.delay = d
}

func (l *Latency) current() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.delay
}

// chunk is what the program sent, due at Postgres at due.
type chunk struct {
	b   []byte
	due time.Time
}

// pipe relays one connection: Postgres's answers at once, the program's
// requests after the delay, until either side closes.
func (l *Latency) pipe(c net.Conn, target string) {
	up, err := net.Dial("tcp", target)
	if err != nil {
		c.Close()
		return
	}
	queue := make(chan chunk, 1024)
	done := make(chan struct{}, 3)
	go func() { // the program → queue
		defer close(queue)
		buf := make([]byte, 32<<10)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				queue <- chunk{b: append([]byte(nil), buf[:n]...), due: time.Now().Add(l.current())}
			}
			if err != nil {
				return
			}
		}
	}()
	go func() { // queue → Postgres, each chunk when due
		defer func() { done <- struct{}{} }()
		for ch := range queue {
			time.Sleep(time.Until(ch.due))
			if _, err := up.Write(ch.b); err != nil {
				return
			}
		}
	}()
	go func() { // Postgres → the program
		io.Copy(c, up)
		done <- struct{}{}
	}()
	<-done
	c.Close()
	up.Close()
	<-done
}
