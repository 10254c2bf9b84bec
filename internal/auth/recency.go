package auth

import "container/list"

// recencyMap is a map of at most max entries kept in order of use: adding
// to a full map forgets the least recently used entry. The login throttle
// (by address) and the device cookies (by nonce) each keep one, so an
// attacker who varies the key can only push out old entries, never grow
// memory. It is not safe for concurrent use.
type recencyMap[V any] struct {
	max     int
	entries map[string]*list.Element // of *recencyEntry[V]
	order   *list.List               // front = least recently used
}

type recencyEntry[V any] struct {
	key string
	val V
}

func newRecencyMap[V any](max int) *recencyMap[V] {
	return &recencyMap[V]{max: max, entries: map[string]*list.Element{}, order: list.New()}
}

// lookup returns key's value if it is there and keep says it still
// matters; an entry keep refuses is forgotten.
func (m *recencyMap[V]) lookup(key string, keep func(V) bool) (V, bool) {
	var zero V
	e, ok := m.entries[key]
	if !ok {
		return zero, false
	}
	v := e.Value.(*recencyEntry[V]).val
	if !keep(v) {
		m.remove(key)
		return zero, false
	}
	return v, true
}

// add stores v under key as the most recently used entry (replacing what
// key held), first forgetting the least recently used entries while the
// map is full.
func (m *recencyMap[V]) add(key string, v V) {
	m.remove(key)
	for len(m.entries) >= max(m.max, 1) {
		front := m.order.Front()
		m.order.Remove(front)
		delete(m.entries, front.Value.(*recencyEntry[V]).key)
	}
	m.entries[key] = m.order.PushBack(&recencyEntry[V]{key: key, val: v})
}

// touch makes key the most recently used entry, if it is there.
func (m *recencyMap[V]) touch(key string) {
	if e, ok := m.entries[key]; ok {
		m.order.MoveToBack(e)
	}
}

// remove forgets key.
func (m *recencyMap[V]) remove(key string) {
	if e, ok := m.entries[key]; ok {
		m.order.Remove(e)
		delete(m.entries, key)
	}
}

// len is the number of entries.
func (m *recencyMap[V]) len() int { return len(m.entries) }
