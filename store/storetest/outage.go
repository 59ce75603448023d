package storetest

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"

	"github.com/playbooks-bot/playbooks/store"
)

// Outage is a TCP proxy in front of the test Postgres that a test can take
// down and bring back, to see what the program does while its database is
// unreachable: Stop refuses new connections (the port is closed) and cuts
// the open ones, as a stopped or restarting Postgres does; Start serves
// again on the same address.
type Outage struct {
	t      testing.TB
	target string // host:port of the real Postgres
	addr   string // host:port the proxy listens on

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

// PostgresOutage returns the URL of an empty schema of the test Postgres
// (as URL(t, Postgres)) reached through an Outage, which is up. It skips t
// when that Postgres cannot be reached, as URL does.
func PostgresOutage(t testing.TB) (string, *Outage) {
	t.Helper()
	u, err := url.Parse(URL(t, Postgres))
	if err != nil {
		t.Fatalf("parse Postgres URL: %v", err)
	}
	o := &Outage{t: t, target: u.Host, conns: map[net.Conn]bool{}}
	if u.Port() == "" {
		o.target = net.JoinHostPort(u.Hostname(), "5432")
	}
	o.addr = "127.0.0.1:0"
	o.Start()
	t.Cleanup(o.Stop)
	u.Host = o.addr
	return u.String(), o
}

// OpenPostgresOutage returns a migrated store on a Postgres schema of its
// own reached through an Outage, which is up; the store is closed when t
// ends.
func OpenPostgresOutage(t testing.TB) (*store.DB, *Outage) {
	t.Helper()
	dbURL, o := PostgresOutage(t)
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("open Postgres behind an outage proxy: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate Postgres behind an outage proxy: %v", err)
	}
	return db, o
}

// Start serves again on the proxy's address; it does nothing when up.
func (o *Outage) Start() {
	o.t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ln != nil {
		return
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		o.t.Fatalf("outage proxy: listen again on %s: %v", o.addr, err)
	}
	o.ln, o.addr = ln, ln.Addr().String()
	go o.accept(ln)
}

// Stop closes the proxy's port and every connection through it; it does
// nothing when down.
func (o *Outage) Stop() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ln == nil {
		return
	}
	o.ln.Close()
	o.ln = nil
	for c := range o.conns {
		c.Close()
	}
	clear(o.conns)
}

func (o *Outage) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed by Stop
		}
		go o.pipe(c)
	}
}

// pipe copies between a client's connection and a new one to Postgres
// until either ends or Stop cuts both.
func (o *Outage) pipe(c net.Conn) {
	up, err := net.Dial("tcp", o.target)
	if err != nil {
		c.Close()
		return
	}
	o.mu.Lock()
	if o.ln == nil { // stopped meanwhile
		o.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	o.conns[c], o.conns[up] = true, true
	o.mu.Unlock()
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		io.Copy(dst, src) // ends when either side closes, or Stop cuts both
		done <- struct{}{}
	}
	go cp(up, c)
	go cp(c, up)
	<-done
	c.Close()
	up.Close()
	<-done
	o.mu.Lock()
	delete(o.conns, c)
	delete(o.conns, up)
	o.mu.Unlock()
}
