package playbooks

// The pure-Go SQLite driver is the longest chain of a first build: its C
// library translated to Go (modernc.org/libc, 7 s on one core of a 2-core
// machine), then SQLite itself (modernc.org/sqlite/lib, 14 s), one after
// the other, each one package that only one core can compile. cmd/go
// starts the packages that are ready in the order of a depth-first walk of
// the imports, sorted by path, so when only the store imported the driver
// it was walked last and these two started 85 s into a 111 s build, with
// one core idle for the last 26 s. This package sorts first among the
// module's packages that cmd/playbooks imports: importing the driver here
// walks it first, and it compiles beside everything else (98 s).
// TestSQLiteBuiltEarly keeps it so.
import _ "modernc.org/sqlite"
