package hms

import "time"

// SetNow replaces the clock UpdateStats uses.
func SetNow(c *Catalog, now func() time.Time) { c.now = now }

// ParseURIForTest exposes the parsed form of a URI.
func ParseURIForTest(uri string) (hosts []string, auth, user string, batch int, err error) {
	cfg, err := parseURI(uri)
	if err != nil {
		return nil, "", "", 0, err
	}
	return cfg.hosts, cfg.auth, cfg.user, cfg.batchSize, nil
}
