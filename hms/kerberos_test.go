//go:build kerberos

package hms_test

import (
	"context"
	"testing"
	"time"

	"github.com/shoalhq/shoal/hms"
	"github.com/shoalhq/shoal/hms/hmstest"
)

// There is no KDC here: this only checks that auth=KERBEROS against a
// server that does not speak SASL fails cleanly and in bounded time.
func TestKerberos_FailsCleanlyWithoutKDC(t *testing.T) {
	s := hmstest.Start(t)
	t.Setenv("KRB5CCNAME", "FILE:"+t.TempDir()+"/none")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := hms.Open(ctx, s.URI()+"?auth=KERBEROS&read_timeout=1s")
	if err == nil {
		t.Fatal("Open succeeded without Kerberos credentials")
	}
	t.Logf("error: %v", err)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}
