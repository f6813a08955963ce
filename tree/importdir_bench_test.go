package tree_test

import (
	"context"
	"testing"

	"github.com/ckptfs/ckptfs/internal/testtree"
	"github.com/ckptfs/ckptfs/tree"
)

// BenchmarkImportUnchanged measures a checkpoint walk of an unchanged
// tree with a stat cache: $CKPTFS_BENCH_DIR, or Go's own source tree.
//
//	go test ./tree -run x -bench ImportUnchanged -cpuprofile /tmp/cpu.out
func BenchmarkImportUnchanged(b *testing.B) {
	dir := testtree.BenchSource()
	s := memStore(b)
	ctx := context.Background()
	ob := s.NewObjectBatch()
	first, err := tree.Import(ctx, ob, dir, tree.ImportOptions{Now: later})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Commit(ctx, ob, nil); err != nil {
		b.Fatal(err)
	}
	ob.Close()
	b.ResetTimer()
	for range b.N {
		ob := s.NewObjectBatch()
		res, err := tree.Import(ctx, ob, dir, tree.ImportOptions{Cache: first.Cache, Now: later})
		ob.Close()
		if err != nil || res.Read != 0 {
			b.Fatal(err, res.Read)
		}
	}
}
