package hs2test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/thrift/lib/go/thrift"
	"github.com/beltran/gohive/hiveserver"
)

// rawClient talks to the server with the generated Thrift client, without
// gohive, to reach what gohive never sends (synchronous execution).
func rawClient(t *testing.T, s *Server) *hiveserver.TCLIServiceClient {
	t.Helper()
	sock := thrift.NewTSocketConf(fmt.Sprintf("127.0.0.1:%d", s.Port()), &thrift.TConfiguration{SocketTimeout: 5 * time.Second})
	if err := sock.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close() })
	trans := thrift.NewTBufferedTransport(sock, 4096)
	return hiveserver.NewTCLIServiceClientFactory(trans, thrift.NewTBinaryProtocolFactoryConf(nil))
}

func TestSynchronousExecuteAndColumnarFetch(t *testing.T) {
	s := New(t, Options{})
	s.Model.AddTable(Table{Database: "d", Name: "t", Columns: []string{"a"}, PartitionKeys: []string{"k"}})
	s.Model.AddPartition("d", "t", []string{"x"}, 5, 2)
	s.Model.AddPartition("d", "t", []string{"y"}, 7, 2)
	ctx := context.Background()
	c := rawClient(t, s)
	open, err := c.OpenSession(ctx, &hiveserver.TOpenSessionReq{ClientProtocol: hiveserver.TProtocolVersion_HIVE_CLI_SERVICE_PROTOCOL_V6})
	if err != nil || open.Status.StatusCode != hiveserver.TStatusCode_SUCCESS_STATUS {
		t.Fatal(open, err)
	}
	exec, err := c.ExecuteStatement(ctx, &hiveserver.TExecuteStatementReq{SessionHandle: open.SessionHandle, Statement: "SELECT COUNT(*) FROM `d`.`t` WHERE `k`='y'"})
	if err != nil || exec.Status.StatusCode != hiveserver.TStatusCode_SUCCESS_STATUS || !exec.OperationHandle.HasResultSet {
		t.Fatal(exec, err)
	}
	st, err := c.GetOperationStatus(ctx, &hiveserver.TGetOperationStatusReq{OperationHandle: exec.OperationHandle})
	if err != nil || st.GetOperationState() != hiveserver.TOperationState_FINISHED_STATE {
		t.Fatalf("synchronous statement not finished: %v %v", st, err)
	}
	res, err := c.FetchResults(ctx, &hiveserver.TFetchResultsReq{OperationHandle: exec.OperationHandle, MaxRows: 10})
	if err != nil || len(res.Results.Columns) != 1 || res.Results.Columns[0].I64Val == nil || res.Results.Columns[0].I64Val.Values[0] != 7 {
		t.Fatalf("fetch: %v %v", res, err)
	}
	// A synchronous failure is reported in the ExecuteStatement status.
	exec, err = c.ExecuteStatement(ctx, &hiveserver.TExecuteStatementReq{SessionHandle: open.SessionHandle, Statement: "SELECT COUNT(*) FROM `d`.`nope`"})
	if err != nil || exec.Status.StatusCode != hiveserver.TStatusCode_ERROR_STATUS || !strings.Contains(exec.Status.GetErrorMessage(), "Table not found") {
		t.Fatal(exec, err)
	}
	// Calls Shoal does not make answer with an error status.
	tables, err := c.GetTables(ctx, &hiveserver.TGetTablesReq{SessionHandle: open.SessionHandle})
	if err != nil || tables.Status.StatusCode != hiveserver.TStatusCode_ERROR_STATUS {
		t.Fatal(tables, err)
	}
}

func TestModelRejectsMalformedStatements(t *testing.T) {
	m := NewModel()
	m.AddTable(Table{Database: "d", Name: "t", Columns: []string{"a"}, PartitionKeys: []string{"k"}})
	m.AddPartition("d", "t", []string{"x"}, 5, 2)
	for _, stmt := range []string{
		"SELECT COUNT(*) FROM `d`.`t` WHERE `k`='x'; DROP TABLE `d`.`t`",
		"SELECT COUNT(*) FROM `d`.`t` WHERE `k`='x' OR '1'='1'",
		"SELECT COUNT(*) FROM `d`.`t` WHERE `k`='x",
		"SELECT COUNT(*) FROM `d`.`t` WHERE `nope`='x'",
		"ALTER TABLE `d`.`t` PARTITION (`k`='zz') CONCATENATE",
		"ALTER TABLE `d`.`t` PARTITION (`k`='x') COMPACT 'major'",
		"INSERT OVERWRITE TABLE `d`.`t` PARTITION (`k`) SELECT `a` FROM `d`.`t`",
		"DROP TABLE `d`.`t`",
	} {
		if _, err := m.Exec(stmt); err == nil {
			t.Errorf("accepted %q", stmt)
		}
	}
	r, err := m.Exec("SELECT COUNT(*) FROM `d`.`t` WHERE `k`='x'")
	if err != nil || r.Rows[0][0] != int64(5) {
		t.Fatal(r, err)
	}
}

func TestUnescapeHive(t *testing.T) {
	for in, want := range map[string]string{
		`it\'s`: "it's", `a\\b`: `a\b`, `\012`: "\n", `\044{x}`: "${x}", `\n\t`: "\n\t", `\%`: `\%`, `\q`: "q", `\1`: "1", `\0`: "\x00",
	} {
		if got := UnescapeHive(in); got != want {
			t.Errorf("UnescapeHive(%q) = %q, want %q", in, got, want)
		}
	}
}
