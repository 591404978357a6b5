package http

import (
	"context"
	"sync"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/http/api"
)

// Catalog is one configured catalog (cluster) as the API serves it.
type Catalog struct {
	// Name identifies the catalog in requests (?catalog=) and in scans.
	Name string
	// URI, Files and HiveServer are shown without credentials.
	URI        string
	Kind       string
	Files      string
	HiveServer string
	// Thresholds are what "Scan now" scans with.
	Thresholds shoal.Thresholds
	// MergeDefaults is the catalog's configured default policy.
	MergeDefaults shoal.EffectivePolicy
	// Merges plans and rolls back merges in this catalog; nil when this
	// server cannot merge there.
	Merges MergePlanner
	// Check lists the catalog's databases to tell whether it answers; nil
	// reports the catalog healthy without a check.
	Check func(ctx context.Context) (databases int, err error)

	mu     sync.Mutex
	health api.CatalogInfo
}

// healthTTL is how long a health check's answer is reused, so that
// dashboards polling the API do not load the metastore.
const healthTTL = 30 * time.Second

// healthTimeout bounds one health check.
const healthTimeout = 10 * time.Second

// info returns the catalog's description with its health, checking it when
// the last answer is older than healthTTL. Concurrent callers wait for one
// check.
func (c *Catalog) info(ctx context.Context) api.CatalogInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.health.CheckedAt.IsZero() && time.Since(c.health.CheckedAt) < healthTTL {
		return c.health
	}
	h := api.CatalogInfo{Name: c.Name, Uri: c.URI, Kind: api.CatalogInfoKind(c.Kind), Healthy: true, Merges: c.Merges != nil}
	if c.Files != "" {
		h.Files = &c.Files
	}
	if c.HiveServer != "" {
		h.Hiveserver = &c.HiveServer
	}
	start := time.Now()
	if c.Check != nil {
		cctx, cancel := context.WithTimeout(ctx, healthTimeout)
		n, err := c.Check(cctx)
		cancel()
		if err != nil {
			msg := err.Error()
			h.Healthy, h.Error = false, &msg
		} else {
			h.Databases = &n
		}
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	h.LatencyMs = &ms
	h.CheckedAt = time.Now().UTC()
	c.health = h
	return h
}

// catalog resolves the catalog parameter: the named catalog, or the first
// one when name is empty. With no catalog configured it returns nil and no
// error, so that read-only servers still answer from the store.
func (a *apiServer) catalog(name *string) (*Catalog, error) {
	n := deref(name)
	if n == "" {
		if len(a.s.Catalogs) == 0 {
			return nil, nil
		}
		return a.s.Catalogs[0], nil
	}
	for _, c := range a.s.Catalogs {
		if c.Name == n {
			return c, nil
		}
	}
	return nil, shoal.Errorf(shoal.EINVALID, "catalog %q is not configured", n)
}

// catalogName resolves the catalog parameter to the name that scans
// record; "" (any catalog) when none is configured.
func (a *apiServer) catalogName(name *string) (string, error) {
	c, err := a.catalog(name)
	if c == nil || err != nil {
		return "", err
	}
	return c.Name, nil
}

// mergesIn returns the catalog's merge planner, or errNoMerges.
func (a *apiServer) mergesIn(name *string) (*Catalog, error) {
	c, err := a.catalog(name)
	if err != nil {
		return nil, err
	}
	if c == nil || c.Merges == nil {
		return nil, errNoMerges
	}
	return c, nil
}

// mergesOfJob returns the planner of the catalog that merge job id belongs
// to.
func (a *apiServer) mergesOfJob(ctx context.Context, id int64) (MergePlanner, error) {
	j, err := a.s.Store.GetMergeJob(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, c := range a.s.Catalogs {
		if c.Name == j.Catalog && c.Merges != nil {
			return c.Merges, nil
		}
	}
	return nil, shoal.Errorf(shoal.ENOTIMPLEMENTED, "merge job %d belongs to catalog %q, which this server cannot merge in", id, j.Catalog)
}

func (a *apiServer) ListCatalogs(ctx context.Context, _ api.ListCatalogsRequestObject) (api.ListCatalogsResponseObject, error) {
	out := api.ListCatalogs200JSONResponse{Items: make([]api.CatalogInfo, len(a.s.Catalogs))}
	var wg sync.WaitGroup
	for i, c := range a.s.Catalogs {
		wg.Go(func() { out.Items[i] = c.info(ctx) })
	}
	wg.Wait()
	for i := range out.Items {
		sc, err := a.s.Store.LatestSnapshot(ctx, out.Items[i].Name)
		switch {
		case err == nil:
			js := scanJSON(sc)
			out.Items[i].LatestScan = &js
		case shoal.ErrorCode(err) != shoal.ENOTFOUND:
			return nil, err
		}
	}
	return out, nil
}
