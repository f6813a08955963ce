package benchgen

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestIncremental(t *testing.T) {
	base := CheckpointState(1, 100, 50)
	keep := CheckpointState(1, 100, 50)
	for _, pct := range []int{1, 5, 10, 25, 50} {
		s := Incremental(base, 3, pct)
		if len(s) != len(base) {
			t.Fatalf("pct %d: %d keys, want %d", pct, len(s), len(base))
		}
		changed := 0
		for k, v := range s {
			if !bytes.Equal(v, base[k]) {
				changed++
			}
		}
		if changed != pct {
			t.Errorf("pct %d: %d values changed", pct, changed)
		}
		if got, want := string(s[fmt.Sprintf("files.file_%d.content", pct-1)]), fmt.Sprintf("Modified content 3-%d", pct-1); got != want {
			t.Errorf("pct %d: last changed file = %q, want %q", pct, got, want)
		}
	}
	if !equalStates(base, keep) {
		t.Error("Incremental modified its base")
	}
}

func TestMergeSides(t *testing.T) {
	base := CheckpointState(1, 200, 10)
	keep := CheckpointState(1, 200, 10)
	for _, overlap := range []int{0, 10, 50, 100} {
		b1, b2 := MergeSides(base, overlap)
		both, only1, only2 := 0, 0, 0
		for k, v := range base {
			c1, c2 := !bytes.Equal(b1[k], v), !bytes.Equal(b2[k], v)
			switch {
			case c1 && c2:
				both++
			case c1:
				only1++
			case c2:
				only2++
			}
		}
		if both != overlap || only1 != 100-overlap || only2 != 100-overlap {
			t.Errorf("overlap %d: both %d, only b1 %d, only b2 %d", overlap, both, only1, only2)
		}
		if got := string(b1["files.file_99.content"]); got != "Branch1 modification 99" {
			t.Errorf("b1 file 99 = %q", got)
		}
		i := 100 - overlap
		if got, want := string(b2[fmt.Sprintf("files.file_%d.content", i)]), fmt.Sprintf("Branch2 modification %d", i); got != want {
			t.Errorf("b2 file %d = %q, want %q", i, got, want)
		}
	}
	if !equalStates(base, keep) {
		t.Error("MergeSides modified its base")
	}
	for _, bad := range []int{-1, 101} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("MergeSides(%d) did not panic", bad)
				}
			}()
			MergeSides(base, bad)
		}()
	}
}

func TestQueryItems(t *testing.T) {
	items := QueryItems(1000)
	if len(items) != 1000 {
		t.Fatalf("%d items", len(items))
	}
	var hits []int
	session25, tag5 := 0, 0
	for i, it := range items {
		matched := false
		for _, v := range it.State {
			matched = matched || strings.Contains(string(v), "test-5")
		}
		for _, v := range []string{it.Session, it.Tag, it.Branch} {
			matched = matched || strings.Contains(v, "test-5")
		}
		if matched {
			hits = append(hits, i)
		}
		if it.Session == "query-session-25" {
			session25++
		}
		if it.Tag == "tag-5" {
			tag5++
		}
		if len(it.State) != 2 || string(it.State["index"]) != fmt.Sprint(i) || string(it.State["data"]) != fmt.Sprintf("test-%d", i) {
			t.Errorf("item %d: state %q", i, it.State)
		}
		if it.Branch != fmt.Sprintf("branch-%d", i%5) || it.Age != time.Duration(1000-i)*time.Minute {
			t.Errorf("item %d: branch %q age %v", i, it.Branch, it.Age)
		}
	}
	want := []int{5}
	for i := 50; i < 60; i++ {
		want = append(want, i)
	}
	for i := 500; i < 600; i++ {
		want = append(want, i)
	}
	if fmt.Sprint(hits) != fmt.Sprint(want) {
		t.Errorf("search test-5 matched %d items %v, want 111 (5, 50–59, 500–599)", len(hits), hits)
	}
	if session25 != 20 || tag5 != 100 {
		t.Errorf("session 25: %d items, tag-5: %d, want 20 and 100", session25, tag5)
	}
}

func TestGCItems(t *testing.T) {
	items := GCItems(1, 1000)
	seen := map[time.Duration]int{}
	for i, it := range items {
		if it.Session != fmt.Sprintf("gc-session-%d", i%10) || string(it.State["data"]) != fmt.Sprintf("checkpoint-%d", i) || len(it.State) != 1 {
			t.Errorf("item %d = %+v", i, it)
		}
		if it.Age%(24*time.Hour) != 0 || it.Age < 24*time.Hour || it.Age > 90*24*time.Hour {
			t.Errorf("item %d: age %v, want whole days in 1–90", i, it.Age)
		}
		seen[it.Age]++
	}
	if len(seen) != 90 {
		t.Errorf("%d distinct ages in 1,000 draws, want all 90", len(seen))
	}
	older7 := 0
	for _, it := range items {
		if it.Age > 7*24*time.Hour {
			older7++
		}
	}
	if older7 < 870 || older7 > 950 { // expect 1000 × 83/90 ≈ 922
		t.Errorf("%d items older than 7 days, want about 922", older7)
	}
	same, other := GCItems(1, 1000), GCItems(2, 1000)
	diff := 0
	for i := range items {
		if same[i].Age != items[i].Age {
			t.Fatalf("same seed: item %d age %v vs %v", i, same[i].Age, items[i].Age)
		}
		if other[i].Age != items[i].Age {
			diff++
		}
	}
	if diff == 0 {
		t.Error("different seeds gave the same ages")
	}
}

func TestStateSize(t *testing.T) {
	if n := StateSize(map[string][]byte{"a": []byte("xy"), "bb": nil, "c": []byte("z")}); n != 3 {
		t.Errorf("StateSize = %d, want 3", n)
	}
}
