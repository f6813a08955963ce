package bench

import (
	"maps"
	"strconv"
	"strings"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/internal/benchgen"
)

// branchSession holds the branching workload.
const branchSession = "branch-test"

// runBranch measures branch/*: per row, on a fresh store, a root
// checkpoint of checkpoint_state(10, 10) (untimed), then for each of n
// branches: CreateBranch from the root's id, and a chain of m checkpoints
// {…base, checkpoint: c} with Parent the previous one (the root first) and
// Branch set. Rate = n×m checkpoints over the summed times of every
// CreateBranch and checkpoint.
func runBranch(e *env) error {
	base := benchgen.CheckpointState(seed, 10, 10)
	for _, r := range e.rows {
		e.start(r)
		branches, chain := e.count(r.n, 1), e.count(r.m, 1)
		states := make([]map[string][]byte, chain)
		for c := range states {
			states[c] = maps.Clone(base)
			states[c]["checkpoint"] = []byte(strconv.Itoa(c))
		}
		pattern := strings.TrimPrefix(r.name, "branch/")
		var sm sampler
		err := e.withStore(func(s *ckptfs.Store) error {
			root, err := s.CheckpointState(e.ctx, base, ckptfs.CheckpointOptions{Session: branchSession})
			if err != nil {
				return err
			}
			e.settle()
			for b := range branches {
				if err := branchChain(e, s, &sm, root.ID, pattern+"-"+strconv.Itoa(b), states); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		sm.n = branches * chain // checkpoints, not operations
		e.record(r, throughput(r, &sm))
	}
	return nil
}

// branchChain creates branch name at root and the chain of states on it.
func branchChain(e *env, s *ckptfs.Store, sm *sampler, root ckptfs.ID, name string, states []map[string][]byte) error {
	if err := sm.time(e.ctx, func() error {
		_, err := s.CreateBranch(e.ctx, branchSession, name, root.String())
		return err
	}); err != nil {
		return err
	}
	parent := root
	for _, st := range states {
		if err := sm.time(e.ctx, func() error {
			res, err := s.CheckpointState(e.ctx, st, ckptfs.CheckpointOptions{
				Session: branchSession, Branch: name, Parent: parent})
			parent = res.ID
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}
