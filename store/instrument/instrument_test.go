package instrument_test

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/store/instrument"
	"github.com/shoalhq/shoal/store/sqlite"
)

var _ shoal.Store = (*instrument.Store)(nil)

// TestOps_CoverTheStore checks that every store method has an op label.
func TestOps_CoverTheStore(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[shoal.Store]()
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		if name != "Close" && !slices.Contains(instrument.Ops, name) {
			t.Errorf("store method %s has no op", name)
		}
	}
}

func gather(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

func series(mf *dto.MetricFamily, name, value string) *dto.Metric {
	for _, m := range mf.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == name && l.GetValue() == value {
				return m
			}
		}
	}
	return nil
}

func TestStore_MeasuresCallsAndCollectsUpAndPool(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	st := instrument.Wrap(raw, instrument.NewMetrics(reg))
	reg.MustRegister(instrument.NewCollector(st, instrument.SQLPool(raw.DB())))

	sc := &shoal.Scan{Catalog: "c", State: shoal.ScanRunning, Thresholds: shoal.DefaultThresholds}
	if err := st.CreateScan(ctx, sc); err != nil {
		t.Fatal(err)
	}
	w, err := st.SnapshotWriter(ctx, sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteTables(ctx, []shoal.TableStats{{Database: "d", Table: "t", Format: shoal.FormatText}}); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	for range 3 {
		if _, err := st.GetScan(ctx, sc.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.GetScan(ctx, 999); shoal.ErrorCode(err) != shoal.ENOTFOUND {
		t.Fatalf("missing scan: %v", err) // errors pass through unchanged
	}
	mfs := gather(t, reg)
	hist := mfs["shoal_store_query_duration_seconds"]
	for op, want := range map[string]uint64{"CreateScan": 1, "SnapshotWriter": 1, "WriteTables": 1, "GetScan": 4, "ListAudit": 0} {
		m := series(hist, "op", op)
		if m == nil || m.GetHistogram().GetSampleCount() != want {
			t.Errorf("op %s: %v, want %d samples", op, m, want)
		}
	}
	if len(hist.GetMetric()) != len(instrument.Ops) {
		t.Errorf("%d op series, want %d pre-initialised", len(hist.GetMetric()), len(instrument.Ops))
	}
	if v := mfs["shoal_store_up"].GetMetric()[0].GetGauge().GetValue(); v != 1 {
		t.Errorf("store up = %v", v)
	}
	if m := series(mfs["shoal_store_pool_connections"], "state", "idle"); m == nil || m.GetGauge().GetValue() < 1 {
		t.Errorf("idle connections %v, want at least 1 after use", m)
	}
	if series(mfs["shoal_store_pool_connections"], "state", "in_use") == nil {
		t.Error("no in_use series")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if v := gather(t, reg)["shoal_store_up"].GetMetric()[0].GetGauge().GetValue(); v != 0 {
		t.Errorf("store up = %v after Close", v)
	}
}
