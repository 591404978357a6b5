package http

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/http/api"
)

// apiServer implements the generated strict server interface.
type apiServer struct{ s *Server }

var _ api.StrictServerInterface = (*apiServer)(nil)

// specJSON renders the embedded spec as JSON for /api/v1/openapi.json.
func specJSON() ([]byte, error) {
	sw, err := api.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("load embedded OpenAPI spec: %w", err)
	}
	return json.Marshal(sw)
}

// snapshot resolves the scan_id parameter: the given scan, which must have
// succeeded, or the newest snapshot (ENOTFOUND when there is none yet).
func (a *apiServer) snapshot(ctx context.Context, catalog *string, id *int64) (*shoal.Scan, error) {
	if id == nil {
		name, err := a.catalogName(catalog)
		if err != nil {
			return nil, err
		}
		return a.s.Store.LatestSnapshot(ctx, name)
	}
	sc, err := a.s.Store.GetScan(ctx, *id)
	if err != nil {
		return nil, err
	}
	if sc.State != shoal.ScanSucceeded {
		return nil, shoal.Errorf(shoal.ENOTFOUND, "snapshot %d not found: the scan is %s", *id, sc.State)
	}
	return sc, nil
}

// snapshotID resolves the scan_id parameter to an ID without loading the
// scan when it is given: the store's queries refuse a scan that has not
// succeeded, so the hot list endpoints save a round trip.
func (a *apiServer) snapshotID(ctx context.Context, catalog *string, id *int64) (int64, error) {
	if id != nil {
		return *id, nil
	}
	name, err := a.catalogName(catalog)
	if err != nil {
		return 0, err
	}
	sc, err := a.s.Store.LatestSnapshot(ctx, name)
	if err != nil {
		return 0, err
	}
	return sc.ID, nil
}

func (a *apiServer) GetSummary(ctx context.Context, req api.GetSummaryRequestObject) (api.GetSummaryResponseObject, error) {
	sc, err := a.snapshot(ctx, req.Params.Catalog, req.Params.ScanId)
	if shoal.ErrorCode(err) == shoal.ENOTFOUND && req.Params.ScanId == nil {
		return api.GetSummary200JSONResponse{Totals: totalsJSON(&shoal.Totals{})}, nil
	}
	if err != nil {
		return nil, err
	}
	out := scanJSON(sc)
	return api.GetSummary200JSONResponse{Snapshot: &out, Totals: out.Totals}, nil
}

func (a *apiServer) ListScans(ctx context.Context, req api.ListScansRequestObject) (api.ListScansResponseObject, error) {
	f := shoal.ScanFilter{Limit: deref(req.Params.Limit), Offset: deref(req.Params.Offset)}
	if req.Params.State != nil {
		f.State = shoal.ScanState(*req.Params.State)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	scans, total, err := a.s.Store.ListScans(ctx, f)
	if err != nil {
		return nil, err
	}
	out := api.ListScans200JSONResponse{Items: make([]api.Scan, len(scans)), Total: total}
	for i, sc := range scans {
		out.Items[i] = scanJSON(sc)
	}
	return out, nil
}

func (a *apiServer) StartScan(ctx context.Context, req api.StartScanRequestObject) (api.StartScanResponseObject, error) {
	c, err := a.catalog(req.Params.Catalog)
	if err != nil {
		return nil, err
	}
	if a.s.Scans == nil || c == nil {
		return nil, shoal.Errorf(shoal.EUNAVAILABLE, "no catalog is configured to scan")
	}
	sc, err := a.s.Scans.StartScan(ctx, c.Name, c.Thresholds)
	if err != nil {
		return nil, err
	}
	return api.StartScan202JSONResponse(scanJSON(sc)), nil
}

func (a *apiServer) GetScan(ctx context.Context, req api.GetScanRequestObject) (api.GetScanResponseObject, error) {
	sc, err := a.s.Store.GetScan(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetScan200JSONResponse(scanJSON(sc)), nil
}

func (a *apiServer) CancelScan(ctx context.Context, req api.CancelScanRequestObject) (api.CancelScanResponseObject, error) {
	if a.s.Scans == nil {
		return nil, shoal.Errorf(shoal.EUNAVAILABLE, "this server does not run jobs")
	}
	sc, err := a.s.Scans.CancelScan(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return api.CancelScan200JSONResponse(scanJSON(sc)), nil
}

func (a *apiServer) ListDatabases(ctx context.Context, req api.ListDatabasesRequestObject) (api.ListDatabasesResponseObject, error) {
	id, err := a.snapshotID(ctx, req.Params.Catalog, req.Params.ScanId)
	if shoal.ErrorCode(err) == shoal.ENOTFOUND && req.Params.ScanId == nil {
		return api.ListDatabases200JSONResponse{Items: []api.DatabaseStats{}}, nil
	}
	if err != nil {
		return nil, err
	}
	dbs, err := a.s.Store.ListDatabases(ctx, id)
	if err != nil {
		return nil, err
	}
	out := api.ListDatabases200JSONResponse{ScanId: id, Items: make([]api.DatabaseStats, len(dbs))}
	for i, d := range dbs {
		out.Items[i] = api.DatabaseStats{
			Name: d.Name, Tables: d.Tables, Partitions: d.Partitions, Files: d.Files, Bytes: d.Bytes,
			SmallFiles: d.Small, SmallRatio: ratio(d.Small, d.Files), NamenodeHeapBytes: d.NameNodeHeap,
			ReducibleFiles: d.ReducibleFiles,
		}
	}
	return out, nil
}

func (a *apiServer) ListTables(ctx context.Context, req api.ListTablesRequestObject) (api.ListTablesResponseObject, error) {
	p := req.Params
	sort, desc, err := sortOrder((*string)(p.Sort), (*string)(p.Order))
	if err != nil {
		return nil, err
	}
	f := shoal.TableFilter{
		Database: deref(p.Database), Search: deref(p.Search), Sort: sort, Desc: desc,
		Limit: deref(p.Limit), Offset: deref(p.Offset),
	}
	if p.Format != nil {
		f.Format = shoal.Format(*p.Format)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	id, err := a.snapshotID(ctx, p.Catalog, p.ScanId)
	if shoal.ErrorCode(err) == shoal.ENOTFOUND && p.ScanId == nil {
		return api.ListTables200JSONResponse{Items: []api.TableStats{}}, nil
	}
	if err != nil {
		return nil, err
	}
	f.ScanID = id
	tables, total, err := a.s.Store.ListTables(ctx, f)
	if err != nil {
		return nil, err
	}
	return tableListResponse{scanID: id, total: total, items: tables}, nil
}

func (a *apiServer) GetTable(ctx context.Context, req api.GetTableRequestObject) (api.GetTableResponseObject, error) {
	id, err := a.snapshotID(ctx, req.Params.Catalog, req.Params.ScanId)
	if err != nil {
		return nil, err
	}
	t, err := a.s.Store.GetTable(ctx, id, req.Database, req.Table)
	if err != nil {
		return nil, err
	}
	return api.GetTable200JSONResponse(tableJSON(t)), nil
}

func (a *apiServer) ListTablePartitions(ctx context.Context, req api.ListTablePartitionsRequestObject) (api.ListTablePartitionsResponseObject, error) {
	p := req.Params
	return a.partitions(ctx, p.Catalog, p.ScanId, shoal.PartitionFilter{
		Database: req.Database, Table: req.Table, Search: deref(p.Search), OnlyErrors: deref(p.Errors),
		Limit: deref(p.Limit), Offset: deref(p.Offset),
	}, (*string)(p.Sort), (*string)(p.Order))
}

func (a *apiServer) ListPartitions(ctx context.Context, req api.ListPartitionsRequestObject) (api.ListPartitionsResponseObject, error) {
	p := req.Params
	return a.partitions(ctx, p.Catalog, p.ScanId, shoal.PartitionFilter{
		Search: deref(p.Search), OnlyErrors: deref(p.Errors), Limit: deref(p.Limit), Offset: deref(p.Offset),
	}, (*string)(p.Sort), (*string)(p.Order))
}

func (a *apiServer) partitions(ctx context.Context, catalog *string, scanID *int64, f shoal.PartitionFilter, sortKey, order *string) (partitionListResponse, error) {
	var out partitionListResponse
	var err error
	if f.Sort, f.Desc, err = sortOrder(sortKey, order); err != nil {
		return out, err
	}
	if err := f.Validate(); err != nil {
		return out, err
	}
	id, err := a.snapshotID(ctx, catalog, scanID)
	if err != nil {
		return out, err
	}
	f.ScanID = id // the store answers ENOTFOUND for a table not in the snapshot
	parts, total, err := a.s.Store.ListPartitions(ctx, f)
	if err != nil {
		return out, err
	}
	return partitionListResponse{scanID: id, total: total, items: parts}, nil
}

func (a *apiServer) GetTrend(ctx context.Context, req api.GetTrendRequestObject) (api.GetTrendResponseObject, error) {
	p := req.Params
	limit := 30
	if p.Limit != nil {
		limit = *p.Limit
		if limit < 1 || limit > shoal.MaxLimit {
			return nil, shoal.Errorf(shoal.EINVALID, "limit must be between 1 and %d, got %d", shoal.MaxLimit, limit)
		}
	}
	db, table := deref(p.Database), deref(p.Table)
	if (db == "") != (table == "") {
		return nil, shoal.Errorf(shoal.EINVALID, "database and table must be given together")
	}
	catalog, err := a.catalogName(p.Catalog)
	if err != nil {
		return nil, err
	}
	var points []shoal.TrendPoint
	if table != "" {
		points, err = a.s.Store.TableTrend(ctx, catalog, db, table, limit)
	} else {
		points, err = a.s.Store.WarehouseTrend(ctx, catalog, limit)
	}
	if err != nil {
		return nil, err
	}
	out := api.GetTrend200JSONResponse{Items: make([]api.TrendPoint, len(points))}
	if table != "" {
		out.Database, out.Table = &db, &table
	}
	for i, pt := range points {
		out.Items[i] = api.TrendPoint{
			ScanId: pt.ScanID, At: pt.At, Partitions: pt.Partitions, Files: pt.Files, Bytes: pt.Bytes,
			SmallFiles: pt.Small, NamenodeHeapBytes: pt.NameNodeHeap, ReducibleFiles: pt.ReducibleFiles,
		}
	}
	return out, nil
}

// sortOrder validates sort and order parameters. Metrics sort descending
// and names ascending unless order says otherwise.
func sortOrder(sortKey, order *string) (shoal.SortKey, bool, error) {
	key := shoal.SortSmallFiles
	if sortKey != nil {
		key = shoal.SortKey(*sortKey)
	}
	if !key.Valid() {
		return "", false, shoal.Errorf(shoal.EINVALID, "unknown sort key %q", key)
	}
	desc := key != shoal.SortName
	if order != nil {
		switch *order {
		case "asc":
			desc = false
		case "desc":
			desc = true
		default:
			return "", false, shoal.Errorf(shoal.EINVALID, "order must be asc or desc, got %q", *order)
		}
	}
	return key, desc, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ratio(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) / float64(whole)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func avg(bytes, files int64) int64 {
	if files == 0 {
		return 0
	}
	return bytes / files
}

func scanJSON(sc *shoal.Scan) api.Scan {
	p := sc.Progress
	prog := api.Progress{
		PartitionsDone: p.PartitionsDone, PartitionsTotal: p.PartitionsTotal, TotalKnown: p.TotalKnown,
		TablesDone: p.TablesDone, TablesTotal: p.TablesTotal, Files: p.Files, Bytes: p.Bytes,
		Errors: p.Errors, Rate: p.Rate,
	}
	switch {
	case sc.State == shoal.ScanSucceeded:
		prog.Percent = 100
	case p.PartitionsTotal > 0:
		prog.Percent = min(99.9, 100*float64(p.PartitionsDone)/float64(p.PartitionsTotal))
	}
	if p.ETA > 0 {
		eta := p.ETA.Seconds()
		prog.EtaSeconds = &eta
	}
	return api.Scan{
		Id: sc.ID, Catalog: sc.Catalog, State: api.ScanState(sc.State), CreatedAt: sc.CreatedAt,
		StartedAt: timePtr(sc.StartedAt), FinishedAt: timePtr(sc.FinishedAt),
		DurationSeconds: sc.Duration(time.Now()).Seconds(), Error: strPtr(sc.Error),
		Thresholds: api.Thresholds{
			SmallFileBytes: sc.Thresholds.SmallFileSize, TargetFileBytes: sc.Thresholds.TargetFileSize,
			BlockBytes: sc.Thresholds.BlockSize,
		},
		Progress: prog,
		Totals:   totalsJSON(&sc.Totals),
	}
}

func totalsJSON(t *shoal.Totals) api.Totals {
	return api.Totals{
		Databases: t.Databases, Tables: t.Tables, Partitions: t.Partitions, Files: t.Files, Bytes: t.Bytes,
		SmallFiles: t.Small, SmallRatio: ratio(t.Small, t.Files), Blocks: t.Blocks, NamenodeHeapBytes: t.NameNodeHeap,
		FilesAfterMerge: t.FilesAfterMerge, ReducibleFiles: t.ReducibleFiles, ErrorPartitions: t.ErrorPartitions,
		Histogram: t.Histogram[:],
	}
}

func tableJSON(t *shoal.TableStats) api.TableStats {
	return api.TableStats{
		Database: t.Database, Table: t.Table, Location: t.Location, Format: api.Format(t.Format), Owner: strPtr(t.Owner),
		Partitioned: t.Partitioned, Transactional: t.Transactional, Partitions: t.Partitions, Files: t.Files,
		Bytes: t.Bytes, SmallFiles: t.Small, SmallRatio: t.SmallRatio(), AvgSize: avg(t.Bytes, t.Files),
		MinSize: t.MinSize, MaxSize: t.MaxSize, OldestMtime: timePtr(t.OldestModTime), NewestMtime: timePtr(t.NewestModTime),
		NamenodeHeapBytes: t.NameNodeHeap, FilesAfterMerge: t.FilesAfterMerge, ReducibleFiles: t.ReducibleFiles,
		ErrorPartitions: t.ErrorPartitions, Histogram: t.Histogram[:],
	}
}
