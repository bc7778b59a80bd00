package apiserver

import (
	"context"
	"sync"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// orgCache remembers, for a short while, the organisations tokens named and that
// exist, so that a busy caller's requests do not each cost a look-up (and a database
// round trip) before their work. Only found organisations are kept: a reference that
// did not resolve is asked again every time, so an organisation created a moment ago
// is known at once; one removed is forgotten within ttl.
type orgCache struct {
	dir auth.OrgDirectory
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]orgCacheEntry
}

type orgCacheEntry struct {
	id      string
	expires time.Time
}

// orgCacheSize bounds the cache: past it, the cache starts again empty (tokens name a
// handful of organisations; a flood of different ones only costs look-ups).
const orgCacheSize = 10000

func newOrgCache(dir auth.OrgDirectory, ttl time.Duration) *orgCache {
	return &orgCache{dir: dir, ttl: ttl, now: time.Now, entries: map[string]orgCacheEntry{}}
}

// ResolveOrganisations answers from the cache when it knows every reference, and asks
// the directory (keeping what it found) otherwise.
func (c *orgCache) ResolveOrganisations(ctx context.Context, refs []string) (map[string]string, error) {
	now := c.now()
	out := make(map[string]string, len(refs))
	c.mu.Lock()
	for _, r := range refs {
		if e, ok := c.entries[r]; ok && now.Before(e.expires) {
			out[r] = e.id
		}
	}
	c.mu.Unlock()
	if len(out) == len(refs) {
		return out, nil
	}
	found, err := c.dir.ResolveOrganisations(ctx, refs)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.entries) >= orgCacheSize {
		c.entries = map[string]orgCacheEntry{}
	}
	for r, id := range found {
		c.entries[r] = orgCacheEntry{id: id, expires: now.Add(c.ttl)}
	}
	c.mu.Unlock()
	return found, nil
}
