//go:build faults

package faults

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds cmd/playbooks once, without -race, into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "playbooks")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/playbooks")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/playbooks: %v\n%s", err, out)
	}
	return bin
}

// newProcesses makes the folder of a test's replica logs (kept, and its
// path printed, when the test fails), builds cmd/playbooks into it, and
// stops every instance still running when the test ends.
func newProcesses(t *testing.T) *processes {
	t.Helper()
	work, err := os.MkdirTemp("", "playbooks-faults.")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replica logs kept in %s", work)
			return
		}
		os.RemoveAll(work)
	})
	p := &processes{bin: buildBinary(t, work), dir: work}
	t.Cleanup(p.stopAll)
	return p
}

// withServeEnv adds to env the settings of PLAYBOOKS_FAULTS_SERVE_ENV
// ("K=V K=V"), which win, and returns it.
func withServeEnv(env map[string]string) map[string]string {
	for _, kv := range strings.Fields(os.Getenv("PLAYBOOKS_FAULTS_SERVE_ENV")) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// instance is one serve process. A replica restarted after kill -9 is a
// new instance on the same port.
type instance struct {
	name    string // A1, A2, B1
	replica string // A or B
	url     string // http://127.0.0.1:port
	pid     int
	cmd     *exec.Cmd
	logPath string
	started time.Time
	done    chan struct{} // closed when the process has exited

	mu       sync.Mutex
	exitCode int // -1 when killed by a signal
	exitAt   time.Time
	killedAt time.Time // kill -9 sent
	termAt   time.Time // SIGTERM sent
}

// processes keeps every instance started, for the receiver to tell which
// one holds a connection and for the cleanup.
type processes struct {
	bin string
	dir string
	mu  sync.Mutex
	all []*instance
}

// errConfig is a serve that refused its configuration and exited.
var errConfig = errors.New("serve exited before listening")

// start runs `serve` with env on 127.0.0.1:port and waits until it prints
// that it listens (60 s at most).
func (p *processes) start(t *testing.T, name, replica string, port int, env map[string]string) (*instance, error) {
	t.Helper()
	in := &instance{name: name, replica: replica, url: fmt.Sprintf("http://127.0.0.1:%d", port),
		logPath: filepath.Join(p.dir, name+".log"), done: make(chan struct{})}
	logf, err := os.Create(in.logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(p.bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), fmt.Sprintf("PLAYBOOKS_LISTEN=127.0.0.1:%d", port)}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	in.cmd, in.pid, in.started = cmd, cmd.Process.Pid, time.Now()
	p.mu.Lock()
	p.all = append(p.all, in)
	p.mu.Unlock()
	line := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		l, _ := r.ReadString('\n')
		line <- l
		io.Copy(io.Discard, r)
		err := cmd.Wait()
		logf.Close()
		in.mu.Lock()
		in.exitAt = time.Now()
		in.exitCode = cmd.ProcessState.ExitCode()
		if err != nil && in.exitCode == 0 {
			in.exitCode = -1
		}
		in.mu.Unlock()
		close(in.done)
	}()
	select {
	case l := <-line:
		if strings.HasPrefix(l, "listening on ") {
			return in, nil
		}
		<-in.done
		return nil, fmt.Errorf("%w: %s: %s", errConfig, name, in.logTail(1500))
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		return nil, fmt.Errorf("%s did not listen within 60 s: %s", name, in.logTail(1500))
	}
}

// stopAll kills whatever is still running (test cleanup).
func (p *processes) stopAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, in := range p.all {
		select {
		case <-in.done:
		default:
			in.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-in.done:
			case <-time.After(20 * time.Second):
				in.cmd.Process.Kill()
				<-in.done
			}
		}
	}
}

// panics counts the instances whose log shows a panic, and names them.
func (p *processes) panics(t *testing.T) int {
	t.Helper()
	n := 0
	for _, in := range p.instances() {
		if s := in.logTail(1 << 20); strings.Contains(s, "panic:") || strings.Contains(s, "fatal error:") {
			n++
			t.Logf("%s's log shows a panic: %s", in.name, in.logPath)
		}
	}
	return n
}

func (p *processes) instances() []*instance {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*instance(nil), p.all...)
}

func (in *instance) alive() bool {
	select {
	case <-in.done:
		return false
	default:
		return true
	}
}

// kill9 sends SIGKILL and waits for the process to be gone.
func (in *instance) kill9() time.Time {
	in.mu.Lock()
	in.killedAt = time.Now()
	at := in.killedAt
	in.mu.Unlock()
	in.cmd.Process.Signal(syscall.SIGKILL)
	<-in.done
	return at
}

// sigterm sends SIGTERM and returns when it was sent.
func (in *instance) sigterm() time.Time {
	in.mu.Lock()
	in.termAt = time.Now()
	at := in.termAt
	in.mu.Unlock()
	in.cmd.Process.Signal(syscall.SIGTERM)
	return at
}

func (in *instance) logTail(n int) string {
	b, _ := os.ReadFile(in.logPath)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// owner tells which instance holds the local end of a TCP connection whose
// peer (our receiver) sees it coming from 127.0.0.1:peerPort: the socket's
// inode from /proc/net/tcp, then the instance with that inode among its
// file descriptors. "?" when no live instance holds it.
func (p *processes) owner(peerPort, receiverPort int) string {
	inode := socketInode(peerPort, receiverPort)
	if inode == "" {
		return "?"
	}
	want := "socket:[" + inode + "]"
	for _, in := range p.instances() {
		if !in.alive() {
			continue
		}
		fds := fmt.Sprintf("/proc/%d/fd", in.pid)
		ents, err := os.ReadDir(fds)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if l, err := os.Readlink(filepath.Join(fds, e.Name())); err == nil && l == want {
				return in.name
			}
		}
	}
	return "?"
}

// socketInode finds, in /proc/net/tcp and tcp6, the socket whose local port
// is local and remote port is remote.
func socketInode(local, remote int) string {
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) < 10 {
				continue
			}
			if hexPort(fs[1]) == local && hexPort(fs[2]) == remote && fs[9] != "0" {
				return fs[9]
			}
		}
	}
	return ""
}

func hexPort(addr string) int {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return -1
	}
	n, err := strconv.ParseUint(addr[i+1:], 16, 32)
	if err != nil {
		return -1
	}
	return int(n)
}
