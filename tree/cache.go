package tree

import (
	"container/list"
	"sync"
)

// lru is a byte-bounded LRU cache of decoded objects. Safe for concurrent
// use.
type lru[V any] struct {
	mu    sync.Mutex
	max   int
	size  int
	order *list.List // front = most recent
	items map[ID]*list.Element
}

type lruItem[V any] struct {
	id   ID
	v    V
	size int
}

func newLRU[V any](maxBytes int) *lru[V] {
	return &lru[V]{max: maxBytes, order: list.New(), items: make(map[ID]*list.Element)}
}

func (c *lru[V]) get(id ID) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[id]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*lruItem[V]).v, true
	}
	var zero V
	return zero, false
}

func (c *lru[V]) add(id ID, v V, size int) {
	if size > c.max/4 {
		return // would evict too much
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[id]; ok {
		c.order.MoveToFront(el)
		return
	}
	c.items[id] = c.order.PushFront(&lruItem[V]{id, v, size})
	c.size += size
	for c.size > c.max {
		el := c.order.Back()
		it := el.Value.(*lruItem[V])
		c.order.Remove(el)
		delete(c.items, it.id)
		c.size -= it.size
	}
}

func (c *lru[V]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order.Init()
	c.items = make(map[ID]*list.Element)
	c.size = 0
}
