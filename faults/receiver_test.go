//go:build faults

package faults

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// receipt is one webhook delivery the receiver got.
type receipt struct {
	ID      string // webhook-id, else X-Playbooks-Delivery
	Path    string // /hook/create, /hook/status, /hook/slow
	RunID   string // the payload's id
	Body    [32]byte
	Arrived time.Time // when the request came in
	At      time.Time // when the 200 was written
	Sender  string    // the instance that held the connection, "?" if unknown
	// Acked: the 200 was written while the sender still waited for it. A
	// receipt whose sender had given up (timed out, died) is not a
	// delivery, and its retry is no duplicate.
	Acked bool
}

// receiver is the webhook endpoint: it answers 200 after 20-200 ms, except
// that the first receipt of a delivery on /hook/slow is held for slowHold
// (an attempt that outlasts a job's lease).
type receiver struct {
	srv      *httptest.Server
	procs    *processes
	slowHold time.Duration

	mu       sync.Mutex
	receipts []receipt
	slowSeen map[string]bool
	noID     int
}

type connKey struct{}

func newReceiver(procs *processes, slowHold time.Duration) *receiver {
	rc := &receiver{procs: procs, slowHold: slowHold, slowSeen: map[string]bool{}}
	rc.srv = httptest.NewUnstartedServer(http.HandlerFunc(rc.handle))
	rc.srv.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		// Which replica dialed: looked up when the connection is
		// accepted, while its process surely holds it.
		peer, _ := c.RemoteAddr().(*net.TCPAddr)
		local, _ := c.LocalAddr().(*net.TCPAddr)
		sender := "?"
		if peer != nil && local != nil {
			sender = procs.owner(peer.Port, local.Port)
		}
		return context.WithValue(ctx, connKey{}, sender)
	}
	rc.srv.Start()
	return rc
}

func (rc *receiver) URL(path string) string { return rc.srv.URL + path }

func (rc *receiver) handle(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return
	}
	id := r.Header.Get("webhook-id")
	if id == "" {
		id = r.Header.Get("X-Playbooks-Delivery")
	}
	if id == "" {
		rc.mu.Lock()
		rc.noID++
		rc.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		return
	}
	var p struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &p)
	sender, _ := r.Context().Value(connKey{}).(string)
	// A receiver takes a moment to answer (20-200 ms), so that some
	// deliveries are in flight at each fault; the first attempt at a
	// delivery on /hook/slow is held for slowHold.
	hold := time.Duration(20+rand.IntN(180)) * time.Millisecond
	if strings.HasSuffix(r.URL.Path, "/slow") {
		rc.mu.Lock()
		if !rc.slowSeen[id] {
			hold = rc.slowHold
		}
		rc.slowSeen[id] = true
		rc.mu.Unlock()
	}
	t := time.NewTimer(hold)
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
	t.Stop()
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	rec := receipt{ID: id, Path: r.URL.Path, RunID: p.ID, Body: sha256.Sum256(body), Arrived: arrived, At: time.Now(),
		Sender: sender, Acked: r.Context().Err() == nil}
	rc.mu.Lock()
	rc.receipts = append(rc.receipts, rec)
	rc.mu.Unlock()
}

func (rc *receiver) snapshot() []receipt {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]receipt(nil), rc.receipts...)
}

func (rc *receiver) withoutID() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.noID
}
