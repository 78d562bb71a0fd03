package sites

import (
	"context"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/postgres"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
)

// TestSiteLocksDoNotUseThePool: documents holding or waiting for their site's lock must leave
// the pool to the work of the lock holders. With a pool of two connections, three sites
// locked at once and a fourth document waiting, the pool still answers.
func TestSiteLocksDoNotUseThePool(t *testing.T) {
	t.Parallel()
	_, dsn := pgtest.NewDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := postgres.Open(ctx, dsn+"&pool_max_conns=2")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := NewStore(pool)
	noProgress := func(Progress) {}
	for _, site := range []string{"a", "b", "c"} {
		unlock, err := s.lockSite(ctx, site, noProgress)
		if err != nil {
			t.Fatalf("lock %s: %v", site, err)
		}
		defer unlock()
	}
	wctx, wcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer wcancel()
	if _, err := s.lockSite(wctx, "a", noProgress); err == nil {
		t.Fatal("a second lock of site a was granted")
	}
	var one int
	if err := pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatalf("pool starved by site locks: %v", err)
	}
}
