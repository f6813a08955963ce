package fusefs

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/pebblestore"
)

// catalog is a snapshot of one session's catalog: every checkpoint (from
// the catalog records only; no checkpoint object or tree is read), the
// branch heads, and the listing names. Listings, lookups by id prefix and
// the branch logs are served from it. It is immutable once built.
type catalog struct {
	gen     uint64
	session string
	list    []ckptfs.Summary // newest first
	byID    []int32          // indexes into list, sorted by id
	names   []string         // listing name of list[i]
	heads   []pebblestore.Branch
	tags    []string // sorted, distinct

	mu   sync.Mutex
	logs map[string][]byte // branch → content of branches/B/log
}

// shortNameLen is the minimum length of listed ids (SPEC §1).
const shortNameLen = ckptfs.ShortIDLen

func buildCatalog(ctx context.Context, st *ckptfs.Store, session string, gen uint64) (*catalog, error) {
	list, err := st.List(ctx, ckptfs.ListOptions{Session: session})
	if err != nil {
		return nil, err
	}
	heads, err := st.Branches(ctx, session)
	if err != nil {
		return nil, err
	}
	c := &catalog{gen: gen, session: session, list: list, heads: heads}
	c.byID = make([]int32, len(list))
	for i := range c.byID {
		c.byID[i] = int32(i)
	}
	slices.SortFunc(c.byID, func(a, b int32) int { return bytes.Compare(list[a].ID[:], list[b].ID[:]) })
	c.names = make([]string, len(list))
	for k, i := range c.byID {
		n := shortNameLen
		if k > 0 {
			n = max(n, commonHex(list[i].ID, list[c.byID[k-1]].ID)+1)
		}
		if k+1 < len(c.byID) {
			n = max(n, commonHex(list[i].ID, list[c.byID[k+1]].ID)+1)
		}
		c.names[i] = strings.Clone(list[i].ID.String()[:min(n, 2*len(list[i].ID))])
	}
	seen := map[string]bool{}
	for i := range list {
		for _, t := range list[i].Tags {
			if !seen[t] {
				seen[t] = true
				c.tags = append(c.tags, t)
			}
		}
	}
	slices.Sort(c.tags)
	return c, nil
}

// commonHex is the number of leading hex digits a and b share.
func commonHex(a, b ckptfs.ID) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i]>>4 != b[i]>>4 {
				return 2 * i
			}
			return 2*i + 1
		}
	}
	return 2 * len(a)
}

// resolve returns the index of the only checkpoint whose id starts with
// prefix, ErrNotFound or ErrAmbiguous.
func (c *catalog) resolve(prefix string) (int, error) {
	if !pebblestore.IsIDPrefix(prefix) {
		return 0, fmt.Errorf("%w: %q is not an id prefix", ckptfs.ErrNotFound, prefix)
	}
	k, _ := slices.BinarySearchFunc(c.byID, prefix, func(i int32, p string) int {
		s := c.list[i].ID.String()[:len(p)]
		return strings.Compare(s, p)
	})
	match := func(k int) bool {
		return k < len(c.byID) && strings.HasPrefix(c.list[c.byID[k]].ID.String(), prefix)
	}
	switch {
	case !match(k):
		return 0, fmt.Errorf("no checkpoint %s in session %q: %w", prefix, c.session, ckptfs.ErrNotFound)
	case match(k + 1):
		return 0, fmt.Errorf("%w: %s matches %s and %s", ckptfs.ErrAmbiguous, prefix,
			c.list[c.byID[k]].ID.Short(), c.list[c.byID[k+1]].ID.Short())
	}
	return int(c.byID[k]), nil
}

// head returns the head of branch b.
func (c *catalog) head(b string) (ckptfs.ID, bool) {
	for _, h := range c.heads {
		if h.Name == b {
			return h.Head, true
		}
	}
	return ckptfs.ID{}, false
}

// onBranch reports whether list[i] belongs in branches/b/: recorded on b,
// or b's head.
func (c *catalog) onBranch(i int, b string) bool {
	if c.list[i].Branch == b {
		return true
	}
	h, ok := c.head(b)
	return ok && h == c.list[i].ID
}

func (c *catalog) hasTag(i int, t string) bool { return slices.Contains(c.list[i].Tags, t) }

func (c *catalog) tagExists(t string) bool {
	_, ok := slices.BinarySearch(c.tags, t)
	return ok
}

// log returns the content of branches/b/log: one line per checkpoint
// recorded on b, newest first, "ID TIME MESSAGE" with the listing name,
// RFC 3339 UTC time and the message on one line.
func (c *catalog) log(b string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if out, ok := c.logs[b]; ok {
		return out
	}
	var buf bytes.Buffer
	for i := range c.list {
		if c.list[i].Branch != b {
			continue
		}
		fmt.Fprintf(&buf, "%s %s %s\n", c.names[i], c.list[i].Time.UTC().Format(time.RFC3339), oneLine(c.list[i].Message))
	}
	if c.logs == nil {
		c.logs = map[string][]byte{}
	}
	c.logs[b] = buf.Bytes()
	return buf.Bytes()
}

// oneLine flattens a message for one-line listings (as the CLI's log).
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// maxCatalogs bounds how many session catalogs stay cached.
const maxCatalogs = 8

// catalogs caches session catalogs. Every committed change of a session
// bumps its generation (from the store's event callback, cheaply); the
// next reader rebuilds.
type catalogs struct {
	st *ckptfs.Store

	mu      sync.Mutex
	gens    map[string]uint64
	entries map[string]*catalogEntry
	tick    uint64
}

type catalogEntry struct {
	mu      sync.Mutex // serialises builds of one session
	cat     *catalog
	lastUse uint64 // guarded by catalogs.mu
}

// bump invalidates the cached catalog of session.
func (cs *catalogs) bump(session string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.gens == nil {
		cs.gens = map[string]uint64{}
	}
	cs.gens[session]++
}

// cached returns the catalog of session if an up-to-date one is cached.
func (cs *catalogs) cached(session string) *catalog {
	cs.mu.Lock()
	e := cs.entries[session]
	gen := cs.gens[session]
	cs.mu.Unlock()
	if e == nil {
		return nil
	}
	// Never wait for a rebuild in progress: callers fall back to the
	// store, which answers the same.
	if !e.mu.TryLock() {
		return nil
	}
	defer e.mu.Unlock()
	if e.cat != nil && e.cat.gen == gen {
		return e.cat
	}
	return nil
}

// get returns an up-to-date catalog of session.
func (cs *catalogs) get(ctx context.Context, session string) (*catalog, error) {
	cs.mu.Lock()
	if cs.entries == nil {
		cs.entries = map[string]*catalogEntry{}
	}
	e := cs.entries[session]
	if e == nil {
		e = &catalogEntry{}
		cs.entries[session] = e
		cs.evictLocked(session)
	}
	cs.tick++
	e.lastUse = cs.tick
	gen := cs.gens[session]
	cs.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cat != nil && e.cat.gen == gen {
		return e.cat, nil
	}
	c, err := buildCatalog(ctx, cs.st, session, gen)
	if err != nil {
		return nil, err
	}
	e.cat = c
	return c, nil
}

// evictLocked drops the least recently used catalogs beyond maxCatalogs.
func (cs *catalogs) evictLocked(keep string) {
	for len(cs.entries) > maxCatalogs {
		var victim string
		var oldest uint64
		for s, e := range cs.entries {
			if s != keep && (victim == "" || e.lastUse < oldest) {
				victim, oldest = s, e.lastUse
			}
		}
		delete(cs.entries, victim)
	}
}
