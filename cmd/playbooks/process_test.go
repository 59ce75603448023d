package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// asProgram is the variable that makes this test binary run as the
// playbooks program itself (see TestMain), so that a test can start a
// second serve as a process of its own, with no build step.
const asProgram = "PLAYBOOKS_TEST_RUN_AS_PROGRAM"

// TestMain runs the tests, or, in a process started by startProcess, the
// program with the arguments after "--".
func TestMain(m *testing.M) {
	if os.Getenv(asProgram) == "1" {
		args := os.Args
		for i, a := range args {
			if a == "--" {
				args = args[i+1:]
				break
			}
		}
		os.Args = append([]string{"playbooks"}, args...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startProcess runs `playbooks serve` in a process of its own with exactly
// env (plus PATH and HOME) on 127.0.0.1:0, waits until it listens, and
// stops it with SIGTERM when the test ends, as an operator's replica
// behind a load balancer would run.
func startProcess(t testing.TB, env map[string]string) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "serve")
	cmd.Env = []string{asProgram + "=1", "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		if k != "PLAYBOOKS_LISTEN" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Env = append(cmd.Env, "PLAYBOOKS_LISTEN=127.0.0.1:0")
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Errorf("serve process %d did not stop on SIGTERM", cmd.Process.Pid)
			<-done
		}
	})
	r := bufio.NewReader(out)
	line, err := r.ReadString('\n')
	go func() {
		io.Copy(io.Discard, r)
		done <- cmd.Wait()
	}()
	if err != nil {
		t.Fatalf("serve process did not start: %v", err)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("serve process printed %q, want listening on ...", line)
	}
	return &server{URL: addr}
}
