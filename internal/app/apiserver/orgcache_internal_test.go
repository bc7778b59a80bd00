package apiserver

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// countingDirectory is the real organisation store, counting the look-ups that reach it.
type countingDirectory struct {
	*organisation.Store
	calls atomic.Int32
}

func (d *countingDirectory) ResolveOrganisations(ctx context.Context, refs []string) (map[string]string, error) {
	d.calls.Add(1)
	return d.Store.ResolveOrganisations(ctx, refs)
}

func TestOrgCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testenv.Postgres(t)
	store := organisation.NewStore(pool)
	org := domaintest.OrganisationWith(t, pool, organisation.CreateInput{Code: "cachekommun", Name: "Cachekommun", Kind: organisation.Municipality})
	dir := &countingDirectory{Store: store}
	c := newOrgCache(dir, time.Minute)
	now := time.Now()
	c.now = func() time.Time { return now }

	for i := 0; i < 3; i++ {
		got, err := c.ResolveOrganisations(ctx, []string{"cachekommun"})
		if err != nil || got["cachekommun"] != org.ID {
			t.Fatalf("resolve %d: %v %v, want %s", i, got, err, org.ID)
		}
	}
	if n := dir.calls.Load(); n != 1 {
		t.Errorf("a known organisation was looked up %d times in a minute, want 1", n)
	}

	t.Run("unknown organisations are asked every time", func(t *testing.T) {
		before := dir.calls.Load()
		for i := 0; i < 2; i++ {
			got, err := c.ResolveOrganisations(ctx, []string{"nosuchkommun"})
			if err != nil || len(got) != 0 {
				t.Fatalf("unknown: %v %v", got, err)
			}
		}
		if n := dir.calls.Load() - before; n != 2 {
			t.Errorf("unknown organisation looked up %d times, want 2", n)
		}
	})

	t.Run("entries expire", func(t *testing.T) {
		before := dir.calls.Load()
		now = now.Add(time.Minute + time.Second)
		if _, err := c.ResolveOrganisations(ctx, []string{"cachekommun"}); err != nil {
			t.Fatal(err)
		}
		if n := dir.calls.Load() - before; n != 1 {
			t.Errorf("expired entry: %d look-ups, want 1", n)
		}
	})
}
