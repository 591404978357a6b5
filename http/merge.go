package http

import (
	"cmp"
	"context"
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/http/api"
	"github.com/shoalhq/shoal/merge"
)

// MergePlanner plans and rolls back merges; merge.Engine implements it.
type MergePlanner interface {
	Create(ctx context.Context, req merge.PlanRequest, actor string) (*shoal.MergeJob, error)
	Rollback(ctx context.Context, jobID int64) (*shoal.MergeJob, error)
	Cancel(ctx context.Context, jobID int64, reason string) (*shoal.MergeJob, error)
}

// MergeQueue runs and cancels merge jobs; jobs.Client implements it.
type MergeQueue interface {
	StartMerge(ctx context.Context, id int64) (*shoal.MergeJob, error)
	CancelMerge(ctx context.Context, id int64) (*shoal.MergeJob, error)
}

var errNoMerges = shoal.Errorf(shoal.ENOTIMPLEMENTED, "merging is not configured on this server")

func (a *apiServer) GetAuth(ctx context.Context, _ api.GetAuthRequestObject) (api.GetAuthResponseObject, error) {
	return api.GetAuth200JSONResponse{Required: len(a.s.AuthTokens) > 0}, nil
}

func (a *apiServer) ListAudit(ctx context.Context, req api.ListAuditRequestObject) (api.ListAuditResponseObject, error) {
	items, total, err := a.s.Store.ListAudit(ctx, deref(req.Params.Limit), deref(req.Params.Offset))
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []shoal.AuditEntry{}
	}
	return api.ListAudit200JSONResponse{Items: items, Total: total}, nil
}

func (a *apiServer) ListPolicies(ctx context.Context, _ api.ListPoliciesRequestObject) (api.ListPoliciesResponseObject, error) {
	ps, err := a.s.Store.ListPolicies(ctx)
	if err != nil {
		return nil, err
	}
	if ps == nil {
		ps = []shoal.Policy{}
	}
	return api.ListPolicies200JSONResponse{Defaults: a.mergeDefaults(nil), Items: ps}, nil
}

// mergeDefaults returns the configured default policy of a catalog (the
// first one when name is nil); the built-in defaults without catalogs.
func (a *apiServer) mergeDefaults(name *string) shoal.EffectivePolicy {
	c, err := a.catalog(name)
	if c == nil || err != nil {
		return shoal.DefaultPolicy()
	}
	return c.MergeDefaults
}

func (a *apiServer) PutPolicy(ctx context.Context, req api.PutPolicyRequestObject) (api.PutPolicyResponseObject, error) {
	if req.Body == nil {
		return nil, shoal.Errorf(shoal.EINVALID, "a policy body is required")
	}
	p := *req.Body
	if p.Scope != "" && p.Scope != req.Scope {
		return nil, shoal.Errorf(shoal.EINVALID, "body scope %q differs from the path's %q", p.Scope, req.Scope)
	}
	p.Scope = req.Scope
	p.UpdatedAt = time.Now().UTC().Truncate(time.Microsecond)
	p.UpdatedBy = actorOf(ctx)
	if err := a.s.Store.PutPolicy(ctx, &p); err != nil {
		return nil, err
	}
	return api.PutPolicy200JSONResponse(p), nil
}

func (a *apiServer) DeletePolicy(ctx context.Context, req api.DeletePolicyRequestObject) (api.DeletePolicyResponseObject, error) {
	if err := a.s.Store.DeletePolicy(ctx, req.Scope); err != nil {
		return nil, err
	}
	return api.DeletePolicy204Response{}, nil
}

func (a *apiServer) GetEffectivePolicy(ctx context.Context, req api.GetEffectivePolicyRequestObject) (api.GetEffectivePolicyResponseObject, error) {
	db, table, ok := strings.Cut(req.Scope, ".")
	if !ok || db == "" || table == "" {
		return nil, shoal.Errorf(shoal.EINVALID, "the effective policy is per table: database.table")
	}
	c, err := a.catalog(req.Params.Catalog)
	if err != nil {
		return nil, err
	}
	defaults := shoal.DefaultPolicy()
	if c != nil {
		defaults = c.MergeDefaults
	}
	ps, err := a.s.Store.ListPolicies(ctx)
	if err != nil {
		return nil, err
	}
	return api.GetEffectivePolicy200JSONResponse(shoal.ResolvePolicy(defaults, ps, db, table)), nil
}

// candidatePool is how many partitions, by reducible files, are scored.
const candidatePool = 1000

func (a *apiServer) ListCandidates(ctx context.Context, req api.ListCandidatesRequestObject) (api.ListCandidatesResponseObject, error) {
	items, err := a.candidates(ctx, req.Params.Catalog, deref(req.Params.Limit))
	if err != nil {
		return nil, err
	}
	return api.ListCandidates200JSONResponse{Items: items}, nil
}

// candidates ranks the partitions of the newest snapshot that have files
// to remove by score, best first, at most limit (DefaultLimit when 0).
func (a *apiServer) candidates(ctx context.Context, catalog *string, limit int) ([]api.Candidate, error) {
	if limit == 0 {
		limit = shoal.DefaultLimit
	}
	out := []api.Candidate{}
	name, err := a.catalogName(catalog)
	if err != nil {
		return nil, err
	}
	defaults := a.mergeDefaults(catalog)
	sc, err := a.s.Store.LatestSnapshot(ctx, name)
	if shoal.ErrorCode(err) == shoal.ENOTFOUND {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	ps, _, err := a.s.Store.ListPartitions(ctx, shoal.PartitionFilter{
		ScanID: sc.ID, Sort: shoal.SortReducibleFiles, Desc: true, Limit: candidatePool,
	})
	if err != nil {
		return nil, err
	}
	policies, err := a.s.Store.ListPolicies(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	for i := range ps {
		p := &ps[i]
		if p.ReducibleFiles <= 0 {
			continue
		}
		pol := shoal.ResolvePolicy(defaults, policies, p.Database, p.Table)
		if ok, _ := pol.Admits(p.Database, p.Table); !ok {
			continue
		}
		score := shoal.ScoreCandidate(p.ReducibleFiles, p.Bytes, now.Sub(p.NewestModTime), time.Duration(pol.MinAge))
		format := api.Format(p.Format)
		mtime := p.NewestModTime
		out = append(out, api.Candidate{
			Database: p.Database, Table: p.Table, Partition: p.Spec, Format: &format, Files: p.Files,
			SmallFiles: p.Small, Bytes: p.Bytes, ReducibleFiles: p.ReducibleFiles, NewestMtime: &mtime, Score: score,
		})
	}
	slices.SortStableFunc(out, func(x, y api.Candidate) int { return cmp.Compare(y.Score.Value, x.Score.Value) })
	return out[:min(limit, len(out))], nil
}

// PlanCandidates plans one job per table for the best candidates, in score
// order, until the bytes to rewrite reach the global max_bytes_per_run.
func (a *apiServer) PlanCandidates(ctx context.Context, req api.PlanCandidatesRequestObject) (api.PlanCandidatesResponseObject, error) {
	var limit int
	var name *string
	if req.Body != nil {
		limit, name = deref(req.Body.Limit), req.Body.Catalog
	}
	c, err := a.mergesIn(name)
	if err != nil {
		return nil, err
	}
	cands, err := a.candidates(ctx, &c.Name, limit)
	if err != nil {
		return nil, err
	}
	policies, err := a.s.Store.ListPolicies(ctx)
	if err != nil {
		return nil, err
	}
	budget := shoal.ResolvePolicy(c.MergeDefaults, policies, "", "").MaxBytesPerRun
	type tableKey struct{ db, table string }
	var order []tableKey
	specs := map[tableKey][]string{}
	for _, c := range cands {
		k := tableKey{c.Database, c.Table}
		if _, ok := specs[k]; !ok {
			order = append(order, k)
		}
		specs[k] = append(specs[k], c.Partition)
	}
	out := api.PlanCandidates201JSONResponse{Items: []api.MergeJob{}}
	for _, k := range order {
		if out.BytesToRewrite >= budget {
			break
		}
		j, err := c.Merges.Create(ctx, merge.PlanRequest{Database: k.db, Table: k.table, Partitions: specs[k]}, actorOf(ctx))
		if err != nil {
			return nil, err
		}
		if !j.Plan.Runnable() {
			// Statistics said yes, the files said no (hot, refused).
			if _, err := c.Merges.Cancel(ctx, j.ID, "nothing to merge: "+j.Plan.Reason); err != nil {
				return nil, err
			}
			continue
		}
		out.BytesToRewrite += j.Plan.BytesToRewrite
		out.Items = append(out.Items, summarize(*j))
	}
	return out, nil
}

func (a *apiServer) ListMerges(ctx context.Context, req api.ListMergesRequestObject) (api.ListMergesResponseObject, error) {
	f := shoal.MergeJobFilter{Catalog: deref(req.Params.Catalog), Database: deref(req.Params.Database), Table: deref(req.Params.Table),
		Limit: deref(req.Params.Limit), Offset: deref(req.Params.Offset)}
	if req.Params.State != nil {
		f.State = shoal.MergeState(*req.Params.State)
	}
	jobs, total, err := a.s.Store.ListMergeJobs(ctx, f)
	if err != nil {
		return nil, err
	}
	items := make([]shoal.MergeJob, 0, len(jobs))
	for _, j := range jobs {
		items = append(items, summarize(*j))
	}
	return api.ListMerges200JSONResponse{Items: items, Total: total}, nil
}

func (a *apiServer) PlanMerge(ctx context.Context, req api.PlanMergeRequestObject) (api.PlanMergeResponseObject, error) {
	if req.Body == nil {
		return nil, shoal.Errorf(shoal.EINVALID, "a plan request body is required")
	}
	c, err := a.mergesIn(req.Body.Catalog)
	if err != nil {
		return nil, err
	}
	pr := merge.PlanRequest{Database: req.Body.Database, Table: req.Body.Table, Partitions: deref(req.Body.Partitions)}
	if req.Body.Mode != nil {
		pr.Mode = shoal.MergeMode(*req.Body.Mode)
	}
	j, err := c.Merges.Create(ctx, pr, actorOf(ctx))
	if err != nil {
		return nil, err
	}
	return api.PlanMerge201JSONResponse(*j), nil
}

func (a *apiServer) GetMerge(ctx context.Context, req api.GetMergeRequestObject) (api.GetMergeResponseObject, error) {
	j, err := a.s.Store.GetMergeJob(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetMerge200JSONResponse(*j), nil
}

func (a *apiServer) RunMerge(ctx context.Context, req api.RunMergeRequestObject) (api.RunMergeResponseObject, error) {
	if a.s.MergeJobs == nil {
		return nil, errNoMerges
	}
	j, err := a.s.MergeJobs.StartMerge(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return api.RunMerge202JSONResponse(*j), nil
}

func (a *apiServer) CancelMerge(ctx context.Context, req api.CancelMergeRequestObject) (api.CancelMergeResponseObject, error) {
	if a.s.MergeJobs == nil {
		return nil, errNoMerges
	}
	j, err := a.s.MergeJobs.CancelMerge(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return api.CancelMerge200JSONResponse(*j), nil
}

func (a *apiServer) RollbackMerge(ctx context.Context, req api.RollbackMergeRequestObject) (api.RollbackMergeResponseObject, error) {
	m, err := a.mergesOfJob(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	j, err := m.Rollback(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return api.RollbackMerge200JSONResponse(*j), nil
}

// summarize drops what a list does not show from a job's plan: the file
// listings and merge groups, which can hold thousands of names.
func summarize(j shoal.MergeJob) shoal.MergeJob {
	if j.Plan == nil {
		return j
	}
	p := *j.Plan
	p.Partitions = make([]shoal.PartitionPlan, len(j.Plan.Partitions))
	for i, pp := range j.Plan.Partitions {
		pp.Listing, pp.Groups = nil, nil
		p.Partitions[i] = pp
	}
	j.Plan = &p
	return j
}

type actorKey struct{}

// actorOf returns who makes the request: the token's name, or
// "anonymous" on an open server.
func actorOf(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok {
		return a
	}
	return "anonymous"
}

// mutating reports whether a request changes state.
func mutating(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch:
		return strings.HasPrefix(r.URL.Path, "/api/")
	}
	return false
}

// auth checks the bearer token of mutating API calls when tokens are
// configured, and writes every mutating call that succeeds to the audit
// log: who, what and when.
func (s *Server) auth(next http.Handler) http.Handler {
	type token struct{ name, secret string }
	var tokens []token
	for _, t := range s.AuthTokens {
		name, secret, _ := strings.Cut(t, ":")
		tokens = append(tokens, token{name, secret})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !mutating(r) {
			next.ServeHTTP(w, r)
			return
		}
		actor := "anonymous"
		if len(tokens) > 0 {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			actor = ""
			for _, t := range tokens {
				if ok && subtle.ConstantTimeCompare([]byte(got), []byte(t.secret)) == 1 {
					actor = "token:" + t.name
				}
			}
			if actor == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="shoal"`)
				writeJSON(w, http.StatusUnauthorized, api.Error{Code: "unauthorized",
					Message: "this server requires a bearer token for changes (auth.tokens)"})
				return
			}
		}
		sw := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), actorKey{}, actor)))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		if sw.status < 400 {
			e := &shoal.AuditEntry{Actor: actor, Action: r.Method + " " + auditAction(r.URL.Path), Target: r.URL.Path,
				Detail: http.StatusText(sw.status)}
			if err := s.Store.AppendAudit(context.WithoutCancel(r.Context()), e); err != nil {
				s.Logger.Error("audit log write failed", "path", r.URL.Path, "err", err)
			}
		}
	})
}

// auditAction names an action by its route: /api/v1/merges/12/run becomes
// merges/{id}/run.
func auditAction(path string) string {
	parts := strings.Split(strings.TrimPrefix(path, "/api/v1/"), "/")
	for i, p := range parts {
		if p != "" && strings.Trim(p, "0123456789") == "" {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}
