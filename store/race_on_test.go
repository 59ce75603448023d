//go:build race

package store_test

// raceEnabled: this test binary runs under the race detector, which slows
// the pure-Go SQLite driver tenfold; scripts/test runs the 10 000-run tests
// again without it (see TestListTasks10k).
const raceEnabled = true
