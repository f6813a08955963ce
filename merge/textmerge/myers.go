package textmerge

// minMaxCost is the least number of edit steps a single middle-snake
// search may take before settling for a non-optimal split (git uses the
// same bound).
const minMaxCost = 256

// myers finds a longest common subsequence of a and b with Myers'
// linear-space O(ND) algorithm and marks the lines outside it as changed.
//
// The edit graph of a[aLo:aHi] and b[bLo:bHi] has a point (x, y) for
// every aLo <= x <= aHi, bLo <= y <= bHi; moving right deletes a[x],
// moving down inserts b[y], and moving diagonally, allowed only when
// a[x] == b[y], keeps the line. An edit path from the top-left corner to
// the bottom-right one costs its number of non-diagonal moves. Points are
// grouped by diagonal k = x - y; fwd[k] holds the largest x reached on
// diagonal k by the forward search with the current cost, bwd[k] the
// smallest x reached by the backward search (from the bottom-right corner
// towards the top-left one), and -1 or maxInt mark a diagonal the search
// has not reached.
type myers struct {
	a, b     []int32 // the sequences
	ia, ib   []int32 // index of each element in the caller's sequences
	ca, cb   []bool  // changed marks, by caller index
	fwd, bwd []int   // per diagonal k, at index k+off; allocated by split
	off      int
	maxCost  int // cost after which split gives up on optimality
}

const maxInt = int(^uint(0) >> 1)

// newMyers returns a myers for a and b, whose searches give up on
// optimality after maxCost steps; 0 means max(256, √(N+M)) or so.
func newMyers(a, b, ia, ib []int32, ca, cb []bool, maxCost int) *myers {
	if maxCost <= 0 {
		maxCost = minMaxCost
		for maxCost*maxCost < len(a)+len(b) {
			maxCost *= 2
		}
	}
	return &myers{a: a, b: b, ia: ia, ib: ib, ca: ca, cb: cb, off: len(b) + 1, maxCost: maxCost}
}

// compare marks the changed lines of a[aLo:aHi] against b[bLo:bHi].
func (m *myers) compare(aLo, aHi, bLo, bHi int) {
	for {
		for aLo < aHi && bLo < bHi && m.a[aLo] == m.b[bLo] {
			aLo++
			bLo++
		}
		for aLo < aHi && bLo < bHi && m.a[aHi-1] == m.b[bHi-1] {
			aHi--
			bHi--
		}
		if aLo == aHi || bLo == bHi {
			m.markA(aLo, aHi)
			m.markB(bLo, bHi)
			return
		}
		x, y := m.split(aLo, aHi, bLo, bHi)
		if (x == aLo && y == bLo) || (x == aHi && y == bHi) {
			// split returns a point strictly inside the graph; should
			// that ever fail, mark everything rather than loop forever.
			m.markA(aLo, aHi)
			m.markB(bLo, bHi)
			return
		}
		m.compare(aLo, x, bLo, y)
		aLo, bLo = x, y
	}
}

// markA marks a[lo:hi] changed.
func (m *myers) markA(lo, hi int) {
	for _, i := range m.ia[lo:hi] {
		m.ca[i] = true
	}
}

// markB marks b[lo:hi] changed.
func (m *myers) markB(lo, hi int) {
	for _, i := range m.ib[lo:hi] {
		m.cb[i] = true
	}
}

// split returns a point (x, y) on an optimal edit path through the graph
// of a[aLo:aHi] and b[bLo:bHi], other than its corners: the end of the
// middle snake found when the forward and backward searches meet. If the
// searches take more than maxCost steps each, it returns instead the
// point either search has pushed furthest from its corner. Both ranges
// must be non-empty, with a[aLo] != b[bLo] and a[aHi-1] != b[bHi-1], so
// that the cost is at least 2.
func (m *myers) split(aLo, aHi, bLo, bHi int) (x, y int) {
	if m.fwd == nil { // diagonals -len(b)-1 ... len(a)+1
		m.fwd = make([]int, len(m.a)+len(m.b)+3)
		m.bwd = make([]int, len(m.a)+len(m.b)+3)
	}
	kMin, kMax := aLo-bHi, aHi-bLo // diagonals of the graph
	fMid, bMid := aLo-bLo, aHi-bHi // start diagonals of the two searches
	odd := (fMid-bMid)&1 != 0      // parity of the total cost
	fLo, fHi := fMid, fMid         // diagonals reached so far, forward
	bLo2, bHi2 := bMid, bMid       // and backward
	m.fwd[m.off+fMid] = aLo
	m.bwd[m.off+bMid] = aHi
	for cost := 1; ; cost++ {
		// One more step forward. The diagonals reached with this cost are
		// those of the right parity within one of the previous ones.
		fLo, fHi = m.widen(fLo, fHi, kMin, kMax, m.fwd, -1)
		for k := fHi; k >= fLo; k -= 2 {
			x, y := m.forward(k, aHi, bHi)
			if odd && bLo2 <= k && k <= bHi2 && x >= 0 && m.bwd[m.off+k] <= x {
				return x, y // cost 2*cost-1: cost forward, cost-1 back
			}
		}
		// One more step backward.
		bLo2, bHi2 = m.widen(bLo2, bHi2, kMin, kMax, m.bwd, maxInt)
		for k := bHi2; k >= bLo2; k -= 2 {
			x, y := m.backward(k, aLo, bLo)
			if !odd && fLo <= k && k <= fHi && x != maxInt && x <= m.fwd[m.off+k] {
				return x, y // cost 2*cost: cost forward, cost back
			}
		}
		if cost >= m.maxCost {
			return m.bestGuess(fLo, fHi, bLo2, bHi2, aLo, aHi, bLo, bHi)
		}
	}
}

// widen returns the range of diagonals a search can reach with one more
// step, given the range lo..hi reached so far, kept within kMin..kMax
// and to the parity of the new step. The new end diagonals get v[k±1]
// set to unreached, so that forward and backward only ever read values
// of the previous step.
func (m *myers) widen(lo, hi, kMin, kMax int, v []int, unreached int) (int, int) {
	if lo > kMin {
		lo--
		v[m.off+lo-1] = unreached
	} else {
		lo++
	}
	if hi < kMax {
		hi++
		v[m.off+hi+1] = unreached
	} else {
		hi--
	}
	return lo, hi
}

// forward extends the forward search on diagonal k by one step, from the
// neighbouring diagonal that got further, then along the snake of equal
// lines. Points outside the graph are unreachable; it returns x = -1 if
// the diagonal cannot be reached.
func (m *myers) forward(k, aHi, bHi int) (x, y int) {
	x = -1
	if d := m.fwd[m.off+k+1]; d >= 0 && d-k <= bHi { // down from k+1
		x = d
	}
	if r := m.fwd[m.off+k-1]; r >= 0 && r+1 <= aHi && r+1 > x { // right from k-1
		x = r + 1
	}
	if x < 0 {
		m.fwd[m.off+k] = -1
		return -1, -1
	}
	y = x - k
	for x < aHi && y < bHi && m.a[x] == m.b[y] {
		x++
		y++
	}
	m.fwd[m.off+k] = x
	return x, y
}

// backward is forward for the backward search: it moves up or left, and
// returns x = maxInt if the diagonal cannot be reached.
func (m *myers) backward(k, aLo, bLo int) (x, y int) {
	x = maxInt
	if u := m.bwd[m.off+k-1]; u != maxInt && u-k >= bLo { // up from k-1
		x = u
	}
	if l := m.bwd[m.off+k+1]; l != maxInt && l-1 >= aLo && l-1 < x { // left from k+1
		x = l - 1
	}
	if x == maxInt {
		m.bwd[m.off+k] = maxInt
		return maxInt, maxInt
	}
	y = x - k
	for x > aLo && y > bLo && m.a[x-1] == m.b[y-1] {
		x--
		y--
	}
	m.bwd[m.off+k] = x
	return x, y
}

// bestGuess returns, when the searches have become too expensive, the
// reached point furthest from its search's starting corner (progress
// measured as the number of lines, of a and b together, between the
// point and that corner), like GNU diff's heuristic: the parts on either
// side of it are then diffed separately.
func (m *myers) bestGuess(fLo, fHi, bLo2, bHi2, aLo, aHi, bLo, bHi int) (x, y int) {
	best := -1
	for k := fHi; k >= fLo; k -= 2 {
		if px := m.fwd[m.off+k]; px >= 0 {
			if p := (px - aLo) + (px - k - bLo); p > best {
				best, x, y = p, px, px-k
			}
		}
	}
	for k := bHi2; k >= bLo2; k -= 2 {
		if px := m.bwd[m.off+k]; px != maxInt {
			if p := (aHi - px) + (bHi - (px - k)); p > best {
				best, x, y = p, px, px-k
			}
		}
	}
	return x, y
}
