//go:build faults

package faults

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cluster is a throwaway Postgres cluster of the suite's own: a temporary
// folder, trust authentication, 127.0.0.1 on a free port, a database named
// test. As root it runs as the postgres user (or nobody), as initdb wants.
type cluster struct {
	bin   string // the folder of initdb, pg_ctl, createdb
	dir   string
	port  int
	runAs []string
}

// pgBinDir finds initdb: PLAYBOOKS_FAULTS_PG_BIN, then Debian's newest
// versioned folder, then PATH. "" when there is none.
func pgBinDir() string {
	if d := os.Getenv("PLAYBOOKS_FAULTS_PG_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { return pgVersion(matches[i]) < pgVersion(matches[j]) })
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1])
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func pgVersion(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// freePort returns a TCP port on 127.0.0.1 that nothing listened on a
// moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startCluster initialises and starts a cluster, stopped and removed when
// the test ends. Without initdb it fails under CI and skips otherwise.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	bin := pgBinDir()
	if bin == "" {
		msg := "no initdb (tried PLAYBOOKS_FAULTS_PG_BIN, /usr/lib/postgresql/*/bin, PATH): the fault suite needs a Postgres of its own"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg + "; SKIPPED (install postgresql, or set PLAYBOOKS_FAULTS_PG_BIN)")
	}
	dir, err := os.MkdirTemp("", "playbooks-faults-pg.")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{bin: bin, dir: dir, port: freePort(t)}
	if os.Geteuid() == 0 {
		name := "postgres"
		u, err := user.Lookup(name)
		if err != nil {
			name = "nobody"
			if u, err = user.Lookup(name); err != nil {
				t.Fatalf("running as root and there is neither a postgres nor a nobody user for initdb")
			}
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		// initdb refuses to run as root.
		c.runAs = []string{"runuser", "-u", name, "--"}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.pgctl("-m", "immediate", "stop")
		os.RemoveAll(dir)
	})
	if out, err := c.cmd("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	if out, err := c.cmd("createdb", "-h", dir, "-p", strconv.Itoa(c.port), "-U", "postgres", "test").CombinedOutput(); err != nil {
		t.Fatalf("createdb: %v\n%s", err, out)
	}
	return c
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

// URL is the database URL of the cluster's test database.
func (c *cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/test?sslmode=disable", c.port)
}

func (c *cluster) cmd(prog string, args ...string) *exec.Cmd {
	argv := append(append(append([]string{}, c.runAs...), filepath.Join(c.bin, prog)), args...)
	return exec.Command(argv[0], argv[1:]...)
}

func (c *cluster) pgctl(args ...string) error {
	args = append([]string{"-D", c.data(), "-w", "-t", "60"}, args...)
	if out, err := c.cmd("pg_ctl", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl %s: %v\n%s%s", strings.Join(args, " "), err, out, c.logTail())
	}
	return nil
}

// start starts the server and waits until it accepts connections.
func (c *cluster) start() error {
	return c.pgctl("-l", filepath.Join(c.dir, "server.log"), "-o",
		fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", c.port, c.dir), "start")
}

// stop stops the server the way an operator's restart does: fast shutdown,
// every client connection cut.
func (c *cluster) stop() error { return c.pgctl("-m", "fast", "stop") }

func (c *cluster) logTail() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// waitUntil polls cond every step until it is true or the deadline passes.
func waitUntil(d time.Duration, step time.Duration, cond func() bool) bool {
	end := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
		time.Sleep(step)
	}
}
