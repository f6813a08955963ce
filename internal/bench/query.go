package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/internal/benchgen"
)

// The parameters of the query workload (seed/WORKLOADS.md).
const (
	querySession = "query-session-25"
	queryTag     = "tag-5"
	queryRecent  = 100
	queryNeedle  = "test-5"
	queryMetaKey = "branch" // meta branch=branch-{i%5}
)

// query is one query row: run returns the number of hits, want the number
// the items imply.
type query struct {
	run  func(ctx context.Context, s *ckptfs.Store) (int, error)
	want func(items []benchgen.QueryItem) int
}

var queries = map[string]query{
	"query/list_all": {
		run:  listCount(ckptfs.ListOptions{}),
		want: func(items []benchgen.QueryItem) int { return len(items) },
	},
	"query/list_by_session": {
		run:  listCount(ckptfs.ListOptions{Session: querySession}),
		want: countItems(func(it benchgen.QueryItem) bool { return it.Session == querySession }),
	},
	"query/list_by_tag": {
		run:  listCount(ckptfs.ListOptions{Tag: queryTag}),
		want: countItems(func(it benchgen.QueryItem) bool { return it.Tag == queryTag }),
	},
	"query/list_recent": {
		run:  listCount(ckptfs.ListOptions{Limit: queryRecent}),
		want: func(items []benchgen.QueryItem) int { return min(len(items), queryRecent) },
	},
	"query/search": {
		run: func(ctx context.Context, s *ckptfs.Store) (int, error) {
			hits, err := s.Search(ctx, queryNeedle, ckptfs.SearchOptions{})
			return len(hits), err
		},
		want: countItems(searchHit),
	},
}

func listCount(o ckptfs.ListOptions) func(context.Context, *ckptfs.Store) (int, error) {
	return func(ctx context.Context, s *ckptfs.Store) (int, error) {
		l, err := s.List(ctx, o)
		return len(l), err
	}
}

func countItems(match func(benchgen.QueryItem) bool) func([]benchgen.QueryItem) int {
	return func(items []benchgen.QueryItem) int {
		n := 0
		for _, it := range items {
			if match(it) {
				n++
			}
		}
		return n
	}
}

// searchHit: the needle is in a file, the tag or the meta key or value.
func searchHit(it benchgen.QueryItem) bool {
	for _, v := range it.State {
		if strings.Contains(string(v), queryNeedle) {
			return true
		}
	}
	return strings.Contains(it.Tag, queryNeedle) || strings.Contains(it.Branch, queryNeedle) ||
		strings.Contains(queryMetaKey, queryNeedle)
}

// runQuery measures query/*, all rows on one fresh store holding 1,000
// checkpoints (QueryItems: 50 sessions, tags tag-0…9, meta branch=…,
// times backdated by whole minutes; setup untimed). Per row, one untimed
// run checks the number of hits (and warms the caches the seed's 20 runs
// also shared), then the figure is the mean of 20 timed runs in ms.
func runQuery(e *env) error {
	items := benchgen.QueryItems(e.count(1000, 50))
	runs := e.count(20, 1)
	e.start(e.rows[0])
	return e.withStore(func(s *ckptfs.Store) error {
		if err := populateQuery(e.ctx, s, items, time.Now()); err != nil {
			return err
		}
		for _, r := range e.rows {
			e.start(r)
			q, ok := queries[r.name]
			if !ok {
				return fmt.Errorf("no query for row %s", r.name)
			}
			got, err := q.run(e.ctx, s)
			if err != nil {
				return err
			}
			if want := q.want(items); got != want {
				return fmt.Errorf("%w: %s returned %d checkpoints, want %d", errWrongResult, r.name, got, want)
			}
			e.settle()
			var sm sampler
			for range runs {
				if err := sm.time(e.ctx, func() error {
					_, err := q.run(e.ctx, s)
					return err
				}); err != nil {
					return err
				}
			}
			e.record(r, milliseconds(&sm))
		}
		return nil
	})
}

// populateQuery creates the query workload's checkpoints, oldest first,
// each dated now − item.Age.
func populateQuery(ctx context.Context, s *ckptfs.Store, items []benchgen.QueryItem, now time.Time) error {
	for _, it := range items {
		_, err := s.CheckpointState(ctx, it.State, ckptfs.CheckpointOptions{
			Session: it.Session, Tags: []string{it.Tag},
			Meta: map[string]string{queryMetaKey: it.Branch}, Time: now.Add(-it.Age)})
		if err != nil {
			return err
		}
	}
	return nil
}
