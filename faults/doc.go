// Package faults holds the fault suite of the playbooks server: two serve
// processes on one throwaway Postgres, a webhook receiver, load, kill -9 of
// one replica, Postgres stopped and started, SIGTERM of the other; and a
// checklist post that must catch up after kill -9 of the replica that
// committed a change before its refresh landed (a Mattermost test double in
// the test process). It runs only with the faults build tag (go test -tags
// faults ./faults/); see README.md in this folder.
package faults
