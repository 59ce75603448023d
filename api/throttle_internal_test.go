package api

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// TestThrottleBounded fails from more addresses than the throttle tracks:
// it never holds more than MaxClients, and the addresses idle for a
// window are dropped, since they have earned everything back.
func TestThrottleBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := newThrottle(AuthThrottle{Failures: 3, Window: time.Minute, MaxClients: 100, Now: func() time.Time { return now }})
	from := func(i int) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "10." + strconv.Itoa(i/65536%256) + "." + strconv.Itoa(i/256%256) + "." + strconv.Itoa(i%256) + ":1"
		return r
	}
	for i := range 1000 {
		th.failed(from(i))
		if n := th.tracked(); n > 100 {
			t.Fatalf("after %d addresses, %d tracked, want at most 100", i+1, n)
		}
	}
	now = now.Add(time.Minute)
	th.failed(from(5000))
	if n := th.tracked(); n != 1 {
		t.Errorf("a window later, %d addresses tracked, want only the new one", n)
	}
}
