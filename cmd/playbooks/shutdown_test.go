package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// oldShutdownLimit is the fixed limit serve used to give requests in flight
// when stopping; a request held past it shows the grace period is the one
// configured.
const oldShutdownLimit = 10 * time.Second

// TestShutdownWaitsForRequests stops serve while a request is in flight,
// held up on a table lock in Postgres for longer than the old fixed 10 s
// limit: with PLAYBOOKS_SHUTDOWN_GRACE=5m the request completes (200) once
// the lock is released, and serve then returns without error. Nothing is
// timed but the hold, which only needs to be long enough: a slow machine
// makes it longer, never shorter.
func TestShutdownWaitsForRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("holds a request for more than 10 s")
	}
	dbURL, ok := testDatabaseURLs(t)["postgres"]
	if !ok {
		t.Skip("needs Postgres, to hold a request on a lock")
	}
	app := "pbshutdown" + bot.NewID()[:10] // names serve's connections in pg_stat_activity
	u, _ := url.Parse(dbURL)
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	admin := strings.Repeat("a", 32)
	env := map[string]string{
		"PLAYBOOKS_DATABASE_URL": u.String(), "PLAYBOOKS_LISTEN": "127.0.0.1:0",
		"PLAYBOOKS_ADMIN_TOKEN": admin, "PLAYBOOKS_SHUTDOWN_GRACE": "5m",
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve did not start: %v", err)
	}
	go io.Copy(io.Discard, pr)
	base, _ := strings.CutPrefix(strings.TrimSpace(line), "listening on ")

	// Hold every read of playbooks on a lock from a connection of our own.
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.Exec("LOCK TABLE playbooks IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	status := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", base+"/plugins/playbooks/api/v0/playbooks?team_id="+bot.NewID(), nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("the request in flight: %v", err)
			status <- 0
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		status <- res.StatusCode
	}()
	waitFor(t, "the request to wait on the lock", func() bool {
		var n int
		err := db.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", app).Scan(&n)
		return err == nil && n > 0
	})

	stop() // as SIGTERM does
	waitFor(t, "serve to stop accepting connections", func() bool {
		c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	time.Sleep(oldShutdownLimit + 2*time.Second)
	select {
	case err := <-done:
		t.Fatalf("serve returned (%v) while a request was in flight, within its grace period", err)
	default:
	}
	if err := lock.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := <-status; got != http.StatusOK {
		t.Errorf("the request in flight during shutdown: status %d, want 200", got)
	}
	if err := <-done; err != nil {
		t.Errorf("serve returned %v, want nil after the request it waited for", err)
	}
}

// waitFor polls cond until it holds, failing t if it never does within a
// minute: a liveness bound, not a timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestShutdownLogged checks that serve logs, as its last line, that its
// shutdown has finished and how long it took: no longer than the time
// from the signal until serve returned.
func TestShutdownLogged(t *testing.T) {
	env := map[string]string{"PLAYBOOKS_DATABASE_URL": testDatabaseURLs(t)["sqlite"], "PLAYBOOKS_LOG_FORMAT": "json"}
	_, logs, stop := startServerStop(t, env)
	began := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
	took := time.Since(began)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	var last struct {
		Level, Msg string
		DurationMS *float64 `json:"duration_ms"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	if last.Msg != "shutdown finished" || last.Level != "INFO" || last.DurationMS == nil {
		t.Fatalf("last log line %s, want an INFO shutdown finished with duration_ms", lines[len(lines)-1])
	}
	if d := time.Duration(*last.DurationMS * float64(time.Millisecond)); d <= 0 || d > took {
		t.Errorf("shutdown took %v by its log, %v by the test's clock; want (0, %v]", d, took, took)
	}
}

// TestShutdownGraceConfig checks PLAYBOOKS_SHUTDOWN_GRACE: 30 s unless set,
// a positive duration when set.
func TestShutdownGraceConfig(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  time.Duration // 0: refused
	}{
		{"", 30 * time.Second}, {"2m", 2 * time.Minute}, {"soon", 0}, {"0s", 0}, {"-5s", 0},
	} {
		c, err := loadConfig(func(k string) string { return map[string]string{"PLAYBOOKS_SHUTDOWN_GRACE": tc.value}[k] })
		switch {
		case tc.want == 0 && (err == nil || !strings.Contains(err.Error(), "PLAYBOOKS_SHUTDOWN_GRACE")):
			t.Errorf("%q: error %v, want one naming PLAYBOOKS_SHUTDOWN_GRACE", tc.value, err)
		case tc.want != 0 && (err != nil || c.ShutdownGrace != tc.want):
			t.Errorf("%q: %v, %v; want %v", tc.value, c.ShutdownGrace, err, tc.want)
		}
	}
}

// TestShutdownFinishesSlackWork stops serve right after Slack was
// acknowledged for a start-run modal whose work outlives the answer (every
// Web API call takes 700 ms, so creating the channel and inviting three
// members takes longer than the 2 s acknowledgement): serve finishes the
// work within its grace period before it returns, and the run is there,
// with its channel and checklist message.
func TestShutdownFinishesSlackWork(t *testing.T) {
	dbURL := testDatabaseURLs(t)["sqlite"]
	sl := slacktest.New(t, nil)
	alice, bob, carol := sl.AddUser("alice"), sl.AddUser("bob"), sl.AddUser("carol")
	general := sl.AddChannel("general", alice.ID, sl.BotUserID)
	addr := freeAddr(t)
	signing, admin := "slack-signing-secret-0123456789", "admin-secret-0123456789"
	sl.SetBot("http://"+addr, signing)
	env := map[string]string{
		"PLAYBOOKS_DATABASE_URL": dbURL, "PLAYBOOKS_LISTEN": addr, "PLAYBOOKS_ADMIN_TOKEN": admin,
		"PLAYBOOKS_SECRET": strings.Repeat("s", 32), "PLAYBOOKS_SHUTDOWN_GRACE": "2m",
		"PLAYBOOKS_SLACK_BOT_TOKEN": sl.BotToken, "PLAYBOOKS_SLACK_SIGNING_SECRET": signing,
		"PLAYBOOKS_SLACK_API_URL": sl.URL, "PLAYBOOKS_PUBLIC_URL": "http://" + addr,
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, pw, io.Discard)
		pw.Close()
	}()
	if _, err := bufio.NewReader(pr).ReadString('\n'); err != nil {
		t.Fatalf("serve did not start: %v", err)
	}
	go io.Copy(io.Discard, pr)
	base := "http://" + addr + "/plugins/playbooks/api/v0"
	var pb struct{ ID, Error, Details string }
	if code := call(t, "POST", base+"/playbooks", admin, map[string]any{
		"title": "Outage", "team_id": sl.Team, "create_public_playbook_run": false,
		"invited_user_ids": []string{bob.ID, carol.ID}, "invite_users_enabled": true,
		"checklists": []any{map[string]any{"title": "Triage", "items": []any{map[string]any{"title": "Page DBA"}}}},
	}, &pb); code != 201 {
		t.Fatalf("create playbook: got %d %s %s, want 201", code, pb.Error, pb.Details)
	}
	if resp, err := sl.SlashCommand(ctx, slacktest.Slash{UserID: alice.ID, ChannelID: general.ID, Text: "run"}); err != nil || resp.Status != 200 {
		t.Fatalf("/playbook run: %v %+v", err, resp)
	}
	views := sl.Views()
	if len(views) != 1 {
		t.Fatalf("%d modals opened, want 1", len(views))
	}
	sl.DelayAll(700 * time.Millisecond)
	resp, err := sl.Submit(ctx, views[0], map[string]string{dialogs.StartRunPlaybook: pb.ID, dialogs.StartRunName: "API down"})
	if err != nil || resp.Status != 200 {
		t.Fatalf("submit the start-run modal: %v, %+v", err, resp)
	}
	if ch, ok := sl.ChannelByName("api-down"); ok && len(sl.Messages(ch.ID)) > 0 {
		t.Fatal("the run's checklist is posted before the answer: nothing is left to test at shutdown")
	}
	stop() // SIGTERM, while the run is being started
	if err := <-done; err != nil {
		t.Fatalf("serve returned %v", err)
	}
	ch, ok := sl.ChannelByName("api-down")
	if !ok || len(ch.Members) != 4 || len(sl.Messages(ch.ID)) == 0 {
		t.Fatalf("after shutdown: channel %+v (found %v), %d messages; want the run's channel with its 3 members and the bot, and its checklist",
			ch, ok, len(sl.Messages(ch.ID)))
	}
}
