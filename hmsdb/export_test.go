package hmsdb

import "context"

// ExecForTest runs a statement on the catalog's own connection pool, so
// that tests can check the session refuses writes.
func ExecForTest(ctx context.Context, c *Catalog, query string) error {
	_, err := c.db.ExecContext(ctx, c.q(query))
	return err
}
