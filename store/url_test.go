package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/store"
)

// TestParseURL checks how a database URL is read: Postgres URLs are shown
// without their password, SQLite paths made absolute, and an unknown
// scheme refused with the accepted ones named, before anything is created.
func TestParseURL(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, url, driver, display, err string
	}{
		{"postgres", "postgres://u:pw@db:5432/x?sslmode=disable", "postgres", "postgres://u@db:5432/x?sslmode=disable", ""},
		{"postgresql password param", "postgresql://db/x?password=pw&sslmode=require", "postgres", "postgresql://db/x?sslmode=require", ""},
		{"plain relative path", "data/p.db", "sqlite", filepath.Join(wd, "data/p.db"), ""},
		{"sqlite scheme", "sqlite:///tmp/p.db", "sqlite", "/tmp/p.db", ""},
		{"file prefix with query", "file:/tmp/p.db?cache=shared", "sqlite", "/tmp/p.db", ""},
		{"file scheme", "file:///tmp/p.db", "sqlite", "/tmp/p.db", ""},
		{"mysql", "mysql://x", "", "", `unknown scheme "mysql": use one of postgres://, postgresql://, sqlite://, file://`},
		{"http", "https://db.example.com/x", "", "", `unknown scheme "https"`},
		{"empty sqlite path", "sqlite://", "", "", "empty path"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.ParseURL(tt.url)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseURL(%q) error = %v, want one containing %q", tt.url, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tt.url, err)
			}
			if got.Driver != tt.driver || got.Display != tt.display {
				t.Errorf("ParseURL(%q) = %+v, want driver %s, display %s", tt.url, got, tt.driver, tt.display)
			}
			if tt.driver == "sqlite" && got.Path != tt.display {
				t.Errorf("ParseURL(%q).Path = %q, want %q", tt.url, got.Path, tt.display)
			}
		})
	}
	// Open refuses the unknown scheme too, and creates nothing.
	dir := t.TempDir()
	if _, err := store.Open(t.Context(), "mysql://"+dir+"/x"); err == nil || !strings.Contains(err.Error(), "unknown scheme") {
		t.Errorf("Open(mysql://...) error = %v, want unknown scheme", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("Open(mysql://...) created %v", entries)
	}
}
