package merge_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/hiveserver"
	"github.com/shoalhq/shoal/hiveserver/hs2test"
	"github.com/shoalhq/shoal/merge"
)

// clusterEnv is a local warehouse with db.events/dt=1 (six text files) and
// an in-process HiveServer2 whose fake catalog has the same table with 300
// rows in dt=1.
func clusterEnv(t *testing.T, transactional bool) (*env, *hs2test.Server, string) {
	t.Helper()
	root := t.TempDir()
	dir := writePartition(t, root, "events", textFiles(6))
	e := newEnv(t, root)
	if transactional {
		e.engine.Catalog = acidCatalog{e.engine.Catalog, false}
	}
	srv := hs2test.New(t, hs2test.Options{})
	srv.Model.AddTable(hs2test.Table{Database: "db", Name: "events", Columns: []string{"line"}, PartitionKeys: []string{"dt"}, Transactional: transactional})
	srv.Model.AddPartition("db", "events", []string{"1"}, 300, 6)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := hiveserver.Open(ctx, srv.URI("hive2", "auth=NOSASL&poll_interval=10ms&compaction_poll=10ms&timeout=20s&connect_timeout=5s&socket_timeout=5s"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	e.engine.Cluster = c
	return e, srv, dir
}

func TestCluster_LargePartitionInsertOverwrite(t *testing.T) {
	e, srv, dir := clusterEnv(t, false)
	ctx := t.Context()
	before := mustRows(t, dir)

	// Below cluster_bytes the partition is merged in-process.
	e.engine.Defaults.ClusterBytes = 1 << 40
	plan, err := e.engine.Plan(ctx, merge.PlanRequest{Database: "db", Table: "events"})
	if err != nil {
		t.Fatal(err)
	}
	if pp := plan.Partitions[0]; pp.Strategy != "" || len(pp.Groups) != 1 {
		t.Fatalf("small partition planned %+v", pp)
	}

	e.engine.Defaults.ClusterBytes = 100
	j, err := e.engine.Create(ctx, merge.PlanRequest{Database: "db", Table: "events"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	pp := j.Plan.Partitions[0]
	if !pp.Eligible || pp.Strategy != shoal.StrategyCluster || pp.ClusterStrategy != string(hiveserver.StrategyInsertOverwrite) ||
		len(pp.Groups) != 0 || pp.FilesBefore != 6 || !strings.Contains(pp.ModeReason, "cluster_bytes") {
		t.Fatalf("plan %+v", pp)
	}
	j, err = e.engine.Run(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != shoal.MergeSucceeded {
		t.Fatalf("job %s: %s", j.State, j.Error)
	}
	r := j.Results[0]
	insert := "INSERT OVERWRITE TABLE `db`.`events` PARTITION (`dt`='1') SELECT `line` FROM `db`.`events` WHERE `dt`='1'"
	count := "SELECT COUNT(*) FROM `db`.`events` WHERE `dt`='1'"
	if r.Step != shoal.StepSwapped || r.Swap != shoal.SwapHiveSQL || r.RowsBefore != 300 || r.RowsAfter != 300 ||
		!strings.Contains(r.Validation, insert) || r.Backup != "" || r.Staging != "" || !r.ExpiresAt.IsZero() {
		t.Fatalf("result %+v", r)
	}
	texts := srv.Texts()
	if !slices.Contains(texts, insert) || !slices.Contains(texts, count) || !slices.Contains(texts, "SET hive.merge.size.per.task="+strconv.FormatInt(policy().TargetFileSize, 10)) {
		t.Fatalf("server received:\n%s", strings.Join(texts, "\n"))
	}
	if pt, _ := srv.Model.Partition("db", "events", "dt=1"); pt.Files != 1 || pt.Rows != 300 {
		t.Fatalf("model partition after the merge: %+v", pt)
	}
	// The fake Hive leaves the files alone: the result lists them as they are.
	if r.FilesAfter != 6 || r.BytesAfter != r.BytesBefore {
		t.Fatalf("after: %d files, %d bytes", r.FilesAfter, r.BytesAfter)
	}
	if got := mustRows(t, dir); !slices.Equal(got, before) {
		t.Fatal("files changed")
	}
	// No backup: rollback refuses, naming the reason.
	_, err = e.engine.Rollback(ctx, j.ID)
	if shoal.ErrorCode(err) != shoal.ECONFLICT || !strings.Contains(err.Error(), "Hive SQL") || !strings.Contains(err.Error(), "no backup") {
		t.Fatalf("rollback of a cluster merge: %v", err)
	}
}

func TestCluster_ACIDCompacts(t *testing.T) {
	e, srv, _ := clusterEnv(t, true)
	ctx := t.Context()
	j, err := e.engine.Create(ctx, merge.PlanRequest{Database: "db", Table: "events"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	pp := j.Plan.Partitions[0]
	if !j.Plan.Eligible || !pp.Eligible || pp.ClusterStrategy != string(hiveserver.StrategyCompact) || !strings.Contains(pp.ModeReason, "ACID") {
		t.Fatalf("plan of an ACID table with a cluster: %q %+v", j.Plan.Reason, pp)
	}
	j, err = e.engine.Run(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != shoal.MergeSucceeded {
		t.Fatalf("job %s: %s", j.State, j.Error)
	}
	compact := "ALTER TABLE `db`.`events` PARTITION (`dt`='1') COMPACT 'major'"
	if !slices.Contains(srv.Texts(), compact) || !strings.Contains(j.Results[0].Validation, compact) {
		t.Fatalf("statements:\n%s", strings.Join(srv.Texts(), "\n"))
	}
	if _, err := e.engine.Rollback(ctx, j.ID); shoal.ErrorCode(err) != shoal.ECONFLICT {
		t.Fatalf("rollback: %v", err)
	}
	// Without a cluster the table is refused as before.
	e.engine.Cluster = nil
	plan, err := e.engine.Plan(ctx, merge.PlanRequest{Database: "db", Table: "events"})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Eligible || !strings.Contains(plan.Reason, "COMPACT") {
		t.Fatalf("plan without a cluster: %+v", plan)
	}
}

func TestCluster_FailureFailsPartition(t *testing.T) {
	e, srv, _ := clusterEnv(t, false)
	ctx := t.Context()
	e.engine.Defaults.ClusterBytes = 1
	srv.FailOn("INSERT OVERWRITE", "Error while processing statement: FAILED: Execution Error, return code 2")
	j, err := e.engine.Create(ctx, merge.PlanRequest{Database: "db", Table: "events"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	j, err = e.engine.Run(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := j.Results[0]
	if j.State != shoal.MergeFailed || r.Step != shoal.StepFailed || !strings.Contains(r.Error, "return code 2") || !strings.Contains(j.Error, "return code 2") {
		t.Fatalf("job %s %q, result %+v", j.State, j.Error, r)
	}
}

func TestCluster_RCFileConcatenates(t *testing.T) {
	e, srv, dir := clusterEnv(t, false)
	ctx := t.Context()
	for _, n := range visible(t, dir) {
		if err := os.Remove(filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	writePartition(t, e.root, "events", map[string][]byte{"000000_0": []byte("RCF\x01a"), "000001_0": []byte("RCF\x01b")})
	j, err := e.engine.Create(ctx, merge.PlanRequest{Database: "db", Table: "events"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if pp := j.Plan.Partitions[0]; !pp.Eligible || pp.Format != shoal.FormatRCFile || pp.ClusterStrategy != string(hiveserver.StrategyConcatenate) {
		t.Fatalf("plan of RCFiles: %+v", pp)
	}
	if j, err = e.engine.Run(ctx, j.ID); err != nil || j.State != shoal.MergeSucceeded {
		t.Fatalf("run: %v %+v", err, j)
	}
	if !slices.Contains(srv.Texts(), "ALTER TABLE `db`.`events` PARTITION (`dt`='1') CONCATENATE") {
		t.Fatalf("statements:\n%s", strings.Join(srv.Texts(), "\n"))
	}
}
