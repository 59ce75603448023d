package main

import (
	"strings"
	"testing"
	"time"
)

// TestJobConfig checks PLAYBOOKS_SHUTDOWN_GRACE and PLAYBOOKS_JOB_RETENTION:
// their defaults, and durations out of range refused with the variable's
// name.
func TestJobConfig(t *testing.T) {
	c, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.ShutdownGrace != 30*time.Second || c.JobRetention != 720*time.Hour {
		t.Errorf("defaults: grace %v, retention %v; want 30s and 720h", c.ShutdownGrace, c.JobRetention)
	}
	env := map[string]string{"PLAYBOOKS_SHUTDOWN_GRACE": "45s", "PLAYBOOKS_JOB_RETENTION": "168h"}
	if c, err = loadConfig(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.ShutdownGrace != 45*time.Second || c.JobRetention != 168*time.Hour {
		t.Errorf("set: grace %v, retention %v; want 45s and 168h", c.ShutdownGrace, c.JobRetention)
	}
	for name, value := range map[string]string{
		"PLAYBOOKS_SHUTDOWN_GRACE": "soon", "PLAYBOOKS_JOB_RETENTION": "30d",
	} {
		for _, v := range []string{value, "-1s", "0s"} {
			_, err := loadConfig(func(k string) string { return map[string]string{name: v}[k] })
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%s: error %v, want one naming the variable", name, v, err)
			}
		}
	}
}
