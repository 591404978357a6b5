package notify_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if they leave goroutines running
// (the notifier's delivery goroutines stop on Close).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
