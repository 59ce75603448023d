//go:build faults

package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const basePath = "/plugins/playbooks/api/v0"

// reqRec is one request to a replica and how it ended: its status, 0 when
// no answer came (cut, timeout) or -1 when the connection was refused.
type reqRec struct {
	at         time.Time // when the answer (or the error) came
	replica    string
	status     int
	retryAfter bool
	load       bool // sent by a load client, not a probe of the suite
}

// client talks to the replicas' REST API with the admin token and records
// every request.
type client struct {
	token  string
	hc     *http.Client
	names  map[string]string        // base URL -> replica name
	routes atomic.Pointer[[]string] // the base URLs the load goes to

	mu   sync.Mutex
	reqs []reqRec
}

func newClient(token string, names map[string]string) *client {
	tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 32, IdleConnTimeout: 30 * time.Second}
	return &client{token: token, names: names, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

func (c *client) setRoutes(urls ...string) { c.routes.Store(&urls) }

func (c *client) pick() string {
	r := *c.routes.Load()
	return r[rand.IntN(len(r))]
}

// do sends one request to base and decodes a 2xx answer into out. It
// returns the status, 0 when there was no answer.
func (c *client) do(ctx context.Context, load bool, base, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	return c.send(ctx, load, base, method, path, rd, -1, out)
}

func (c *client) send(ctx context.Context, load bool, base, method, path string, body io.Reader, length int64, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, base+basePath+path, body)
	if err != nil {
		return 0, err
	}
	if length >= 0 {
		req.ContentLength = length
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	rec := reqRec{replica: c.names[base], load: load}
	if err != nil {
		rec.at = time.Now()
		if errors.Is(err, syscall.ECONNREFUSED) {
			rec.status = -1 // nothing listened: no request was in flight
		}
		c.record(ctx, rec)
		return 0, err
	}
	b, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	rec.at, rec.status, rec.retryAfter = time.Now(), resp.StatusCode, resp.Header.Get("Retry-After") != ""
	if rerr != nil {
		// The answer was cut: the write may or may not have landed.
		rec.status = 0
		c.record(ctx, rec)
		return 0, rerr
	}
	c.record(ctx, rec)
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

func (c *client) record(ctx context.Context, r reqRec) {
	if ctx.Err() != nil && r.status == 0 {
		return // the suite stopped the load; not the server's doing
	}
	c.mu.Lock()
	c.reqs = append(c.reqs, r)
	c.mu.Unlock()
}

func (c *client) requests() []reqRec {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]reqRec(nil), c.reqs...)
}

// The playbook every load run starts from: two checklists of four items.
const (
	nChecklists = 2
	nItems      = 4
)

// itemRec is what was written to one item: the last acknowledged state
// and every state whose write got no acknowledgement (it may have landed).
type itemRec struct {
	acked    bool
	last     string
	unacked  map[string]bool
	attempts int
}

// allowed reports whether the item's final state is one its writes allow.
func (it *itemRec) allowed(state string) bool {
	if it.unacked[state] {
		return true
	}
	if !it.acked {
		return state == "" // never written: as the playbook had it
	}
	return state == it.last
}

// runRec is one run a load client created (acknowledged) and what it
// wrote to it since, acknowledged or not.
type runRec struct {
	id          string
	name        string
	items       [nChecklists][nItems]itemRec
	statusAcked []string // status update messages answered 2xx
	addsAcked   []string // titles of items added to checklist 0, answered 2xx
}

// loadStats counts acknowledged writes by kind.
type loadStats struct {
	creates, toggles, statuses, adds atomic.Int64
	unacked                          atomic.Int64
}

func (s *loadStats) acked() int64 {
	return s.creates.Load() + s.toggles.Load() + s.statuses.Load() + s.adds.Load()
}

// worker is one load client: it creates runs, toggles their items, posts
// status updates with short reminders and adds items, each run written by
// this worker only, so that what each run must hold is known.
type worker struct {
	n        int
	c        *client
	team     string
	playbook string
	owner    string
	stats    *loadStats
	runs     []*runRec
	seq      int
}

func (w *worker) loop(ctx context.Context) {
	for ctx.Err() == nil {
		w.step(ctx)
		// A little think time keeps two cores from saturating.
		t := time.NewTimer(time.Duration(10+rand.IntN(25)) * time.Millisecond)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

func (w *worker) step(ctx context.Context) {
	w.seq++
	base := w.c.pick()
	if len(w.runs) < 2 || rand.IntN(10) == 0 {
		name := fmt.Sprintf("load %d-%d", w.n, w.seq)
		var r struct {
			ID string `json:"id"`
		}
		_, err := w.c.do(ctx, true, base, "POST", "/runs", map[string]any{
			"name": name, "owner_user_id": w.owner, "team_id": w.team, "playbook_id": w.playbook,
		}, &r)
		if err == nil && r.ID != "" {
			w.runs = append(w.runs, &runRec{id: r.ID, name: name})
			w.stats.creates.Add(1)
		} else if ctx.Err() == nil {
			w.stats.unacked.Add(1)
		}
		return
	}
	run := w.runs[rand.IntN(len(w.runs))]
	var err error
	switch k := rand.IntN(20); {
	case k < 9: // toggle an item of the playbook's
		cl, i := rand.IntN(nChecklists), rand.IntN(nItems)
		state := ""
		if rand.IntN(2) == 0 {
			state = "closed"
		}
		it := &run.items[cl][i]
		it.attempts++
		_, err = w.c.do(ctx, true, base, "PUT", fmt.Sprintf("/runs/%s/checklists/%d/item/%d/state", run.id, cl, i),
			map[string]any{"new_state": state}, nil)
		if err == nil {
			it.acked, it.last = true, state
			w.stats.toggles.Add(1)
		} else {
			if it.unacked == nil {
				it.unacked = map[string]bool{}
			}
			it.unacked[state] = true
		}
	case k < 16: // a status update with a reminder 1 or 2 s later
		msg := fmt.Sprintf("status %d-%d", w.n, w.seq)
		_, err = w.c.do(ctx, true, base, "POST", "/runs/"+run.id+"/status",
			map[string]any{"message": msg, "reminder": 1 + rand.IntN(2)}, nil)
		if err == nil {
			run.statusAcked = append(run.statusAcked, msg)
			w.stats.statuses.Add(1)
		}
	default: // an item added at the end of checklist 0
		title := fmt.Sprintf("added %d-%d", w.n, w.seq)
		_, err = w.c.do(ctx, true, base, "POST", "/runs/"+run.id+"/checklists/0/add", map[string]any{"title": title}, nil)
		if err == nil {
			run.addsAcked = append(run.addsAcked, title)
			w.stats.adds.Add(1)
		}
	}
	if err != nil && ctx.Err() == nil {
		w.stats.unacked.Add(1)
	}
}

// trickle posts a status update to base with its body sent slowly, its
// last byte d after the first, so that the request is in flight for that
// long; it returns the status (0 for no answer).
func (c *client) trickle(base, runID, msg string, d time.Duration) (int, error) {
	b, _ := json.Marshal(map[string]any{"message": msg, "reminder": 0})
	pr, pw := io.Pipe()
	go func() {
		const parts = 10
		step := d / (parts - 1)
		for i := 0; i < parts; i++ {
			lo, hi := i*len(b)/parts, (i+1)*len(b)/parts
			if _, err := pw.Write(b[lo:hi]); err != nil {
				return
			}
			if i < parts-1 {
				time.Sleep(step)
			}
		}
		pw.Close()
	}()
	return c.send(context.Background(), false, base, "POST", "/runs/"+runID+"/status", pr, int64(len(b)), nil)
}
