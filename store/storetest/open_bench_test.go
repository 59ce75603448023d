package storetest_test

import (
	"testing"

	"github.com/playbooks-bot/playbooks/store/storetest"
)

// BenchmarkOpen measures what a test's fresh store costs: a copy of the
// migrated template, opened (the database's creation and drop included
// for Postgres, at the end).
func BenchmarkOpen(b *testing.B) {
	for _, kind := range storetest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			for b.Loop() {
				storetest.Open(b, kind)
			}
		})
	}
}
