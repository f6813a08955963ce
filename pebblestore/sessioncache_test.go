package pebblestore

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The in-memory set of known sessions follows applied transactions only:
// a failed transaction teaches it nothing, and a deleted session is
// forgotten.
func TestSessionCacheFollowsCommits(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	has := func() bool {
		t.Helper()
		var ok bool
		if err := s.Update(ctx, func(tx *Tx) (err error) { ok, err = tx.HasSession("a"); return err }); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	boom := errors.New("boom")
	if err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.CreateSession("a", time.Now()); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failed transaction: %v", err)
	}
	if has() {
		t.Fatal("a session created by a failed transaction exists")
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.CreateSession("a", time.Now()) }); err != nil {
		t.Fatal(err)
	}
	if !has() {
		t.Fatal("created session not found")
	}
	if !has() { // the second time from the cache of known sessions
		t.Fatal("created session not found again")
	}
	// Deleted and created again within one transaction, then deleted.
	if err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.DeleteSession(ctx, "a"); err != nil {
			return err
		}
		if ok, err := tx.HasSession("a"); err != nil || ok {
			t.Errorf("deleted session seen in its transaction: %v %v", ok, err)
		}
		return tx.CreateSession("a", time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	if !has() {
		t.Fatal("re-created session not found")
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.DeleteSession(ctx, "a") }); err != nil {
		t.Fatal(err)
	}
	if has() {
		t.Fatal("deleted session still known")
	}
	if ok, err := s.HasSession("a"); err != nil || ok {
		t.Fatalf("store: %v %v", ok, err)
	}
}
