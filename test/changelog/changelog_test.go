// Package changelog checks that CHANGELOG.md keeps the Keep a Changelog
// 1.1.0 form that RELEASING.md relies on: an [Unreleased] section first,
// released versions in descending SemVer order with ISO 8601 dates, only the
// standard change sections, and a link reference for every version at the
// bottom of the file.
package changelog

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/semver"
)

// sectionNames are the change types Keep a Changelog defines.
var sectionNames = map[string]bool{
	"Added": true, "Changed": true, "Deprecated": true,
	"Removed": true, "Fixed": true, "Security": true,
}

var (
	versionHeading = regexp.MustCompile(`^## \[([^\]]+)\](?: - (\S+))?( \[YANKED\])?$`)
	linkRef        = regexp.MustCompile(`^\[([^\]]+)\]: (\S+)$`)
	// A version as Keep a Changelog writes it: SemVer 2.0.0 without the "v".
	semverText = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$`)
)

// release is one "## [...]" heading.
type release struct {
	name string // "Unreleased" or a version
	date time.Time
	line int
}

// check returns every format problem of a changelog, each with its line
// number; none means the file is well formed.
func check(text string) []error {
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("line %d: %s", line, fmt.Sprintf(format, args...)))
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) == 0 || lines[0] != "# Changelog" {
		fail(1, `the first line must be "# Changelog"`)
	}

	var (
		releases   []release
		cur        *release
		sections   map[string]bool
		section    string // current "### " heading
		entries    int    // list items in the current section
		links      = map[string]string{}
		linkOrder  []string
		firstLink  int
		intro      strings.Builder
		closeBlock = func(line int) {
			if section != "" && entries == 0 {
				fail(line, "section %q of [%s] has no entries", section, cur.name)
			}
			section, entries = "", 0
		}
	)
	for i, l := range lines {
		n := i + 1
		if m := linkRef.FindStringSubmatch(l); m != nil {
			if firstLink == 0 {
				firstLink = n
				closeBlock(n)
			}
			if _, dup := links[m[1]]; dup {
				fail(n, "duplicate link reference [%s]", m[1])
			}
			if !strings.HasPrefix(m[2], "https://") {
				fail(n, "link reference [%s] must be an https URL, got %q", m[1], m[2])
			}
			links[m[1]] = m[2]
			linkOrder = append(linkOrder, m[1])
			continue
		}
		if firstLink != 0 {
			if strings.TrimSpace(l) != "" {
				fail(n, "only link references may follow the first link reference (line %d), got %q", firstLink, l)
			}
			continue
		}
		switch {
		case n == 1:
		case strings.HasPrefix(l, "# "):
			fail(n, "only one top-level heading is allowed")
		case strings.HasPrefix(l, "## "):
			if cur != nil {
				closeBlock(n)
			}
			m := versionHeading.FindStringSubmatch(l)
			if m == nil {
				fail(n, `want "## [Unreleased]" or "## [X.Y.Z] - YYYY-MM-DD", got %q`, l)
				cur = &release{name: "?", line: n}
				sections = map[string]bool{}
				continue
			}
			r := release{name: m[1], line: n}
			if r.name == "Unreleased" {
				if m[2] != "" || m[3] != "" {
					fail(n, "[Unreleased] takes no date")
				}
				if len(releases) > 0 {
					fail(n, "[Unreleased] must be the first section")
				}
			} else {
				if !semverText.MatchString(r.name) {
					fail(n, "version %q is not SemVer X.Y.Z (without a leading v)", r.name)
				}
				d, err := time.Parse(time.DateOnly, m[2])
				if err != nil {
					fail(n, "version %s needs an ISO 8601 date YYYY-MM-DD, got %q", r.name, m[2])
				}
				r.date = d
			}
			releases = append(releases, r)
			cur = &releases[len(releases)-1]
			sections = map[string]bool{}
		case strings.HasPrefix(l, "### "):
			if cur == nil {
				fail(n, "section %q before any version heading", l)
				continue
			}
			closeBlock(n)
			section = strings.TrimPrefix(l, "### ")
			if !sectionNames[section] {
				fail(n, "unknown section %q (want Added, Changed, Deprecated, Removed, Fixed or Security)", section)
			}
			if sections[section] {
				fail(n, "section %q appears twice in [%s]", section, cur.name)
			}
			sections[section] = true
		case strings.HasPrefix(l, "#"):
			fail(n, "unexpected heading %q: only ##, ### and the title are used", l)
		case cur == nil:
			intro.WriteString(l + "\n")
		case strings.TrimSpace(l) == "":
		case strings.HasPrefix(l, "- "):
			if section == "" {
				fail(n, "entry outside a section of [%s]: put it under ### Added, ### Changed, ...", cur.name)
			}
			entries++
		case strings.HasPrefix(l, "  "):
			if entries == 0 {
				fail(n, "indented text that continues no entry")
			}
		default:
			fail(n, "text in a version section must be a list entry (\"- ...\"), got %q", l)
		}
	}
	if firstLink == 0 && cur != nil {
		closeBlock(len(lines))
	}

	if s := intro.String(); !strings.Contains(s, "Keep a Changelog") || !strings.Contains(s, "Semantic Versioning") {
		fail(2, "the introduction must say the file follows Keep a Changelog and Semantic Versioning")
	}
	if len(releases) == 0 || releases[0].name != "Unreleased" {
		fail(1, "there must be an [Unreleased] section, first")
	}
	var prev *release
	seen := map[string]bool{}
	for i := range releases {
		r := &releases[i]
		if seen[r.name] {
			fail(r.line, "[%s] appears twice", r.name)
		}
		seen[r.name] = true
		if _, ok := links[r.name]; !ok && r.name != "?" {
			fail(r.line, "[%s] has no link reference at the bottom of the file", r.name)
		}
		if r.name == "Unreleased" || !semverText.MatchString(r.name) {
			continue
		}
		if prev != nil {
			if semver.Compare("v"+r.name, "v"+prev.name) >= 0 {
				fail(r.line, "version %s must be lower than %s above it (descending order)", r.name, prev.name)
			}
			if !r.date.IsZero() && !prev.date.IsZero() && r.date.After(prev.date) {
				fail(r.line, "version %s is dated %s, after %s's %s above it", r.name, r.date.Format(time.DateOnly), prev.name, prev.date.Format(time.DateOnly))
			}
		}
		prev = r
	}
	for _, name := range linkOrder {
		if !seen[name] {
			fail(firstLink, "link reference [%s] names no version heading", name)
		}
	}
	if len(linkOrder) == len(releases) {
		for i, name := range linkOrder {
			if releases[i].name != name {
				fail(firstLink+i, "link references must follow the order of the versions: want [%s], got [%s]", releases[i].name, name)
				break
			}
		}
	}
	return errs
}

func TestChangelog(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range check(string(b)) {
		t.Errorf("CHANGELOG.md %v", err)
	}
}

const good = `# Changelog

All notable changes are documented here, following [Keep a Changelog](https://keepachangelog.com/en/1.1.0/);
versions follow [Semantic Versioning](https://semver.org/).

## [Unreleased]

### Added
- Something new,
  over two lines.

## [1.0.0] - 2026-03-02

### Added
- The first stable release.

### Fixed
- A bug.

## [1.0.0-rc.1] - 2026-02-20

### Changed
- A release candidate.

## [0.9.0] - 2026-01-05 [YANKED]

### Security
- A fix.

[Unreleased]: https://github.com/shoalhq/shoal/compare/v1.0.0...HEAD
[1.0.0]: https://github.com/shoalhq/shoal/compare/v1.0.0-rc.1...v1.0.0
[1.0.0-rc.1]: https://github.com/shoalhq/shoal/compare/v0.9.0...v1.0.0-rc.1
[0.9.0]: https://github.com/shoalhq/shoal/releases/tag/v0.9.0
`

func TestCheckAcceptsWellFormed(t *testing.T) {
	for _, err := range check(good) {
		t.Error(err)
	}
}

// TestCheckFindsProblems breaks the well-formed changelog one way at a time
// and expects check to name each problem.
func TestCheckFindsProblems(t *testing.T) {
	cases := []struct {
		name, old, new, want string
	}{
		{"title", "# Changelog\n", "# Changes\n", `first line must be "# Changelog"`},
		{"intro", "[Keep a Changelog]", "[a format]", "Keep a Changelog and Semantic Versioning"},
		{"no unreleased", "## [Unreleased]\n\n### Added\n- Something new,\n  over two lines.\n\n", "", "there must be an [Unreleased] section"},
		{"unreleased not first", "## [Unreleased]\n\n### Added\n- Something new,\n  over two lines.\n\n## [1.0.0] - 2026-03-02\n", "## [1.0.0] - 2026-03-02\n\n### Added\n- x\n\n## [Unreleased]\n", "[Unreleased] must be the first section"},
		{"ascending versions", "## [0.9.0] - 2026-01-05 [YANKED]", "## [1.1.0] - 2026-01-05", "must be lower than 1.0.0-rc.1"},
		{"prerelease above release", "## [1.0.0-rc.1] - 2026-02-20", "## [1.0.0-rc.2] - 2026-02-20\n\n### Added\n- x\n\n## [1.0.0-rc.1] - 2026-02-21", "dated 2026-02-21, after 1.0.0-rc.2"},
		{"bad date", "2026-03-02", "2026-3-2", "ISO 8601 date"},
		{"no date", " - 2026-03-02", "", "ISO 8601 date"},
		{"impossible date", "2026-03-02", "2026-02-30", "ISO 8601 date"},
		{"v prefix", "## [1.0.0] - ", "## [v1.0.0] - ", `"v1.0.0" is not SemVer`},
		{"unknown section", "### Fixed", "### Bugfixes", `unknown section "Bugfixes"`},
		{"duplicate section", "### Fixed\n- A bug.", "### Added\n- A bug.", `section "Added" appears twice`},
		{"empty section", "### Fixed\n- A bug.\n", "### Fixed\n", `section "Fixed" of [1.0.0] has no entries`},
		{"prose", "- The first stable release.", "The first stable release.", "must be a list entry"},
		{"entry outside section", "## [1.0.0] - 2026-03-02\n", "## [1.0.0] - 2026-03-02\n- stray\n", "entry outside a section"},
		{"missing link", "[1.0.0]: https://github.com/shoalhq/shoal/compare/v1.0.0-rc.1...v1.0.0\n", "", "[1.0.0] has no link reference"},
		{"stray link", "[0.9.0]: https", "[0.8.0]: https", "[0.8.0] names no version heading"},
		{"http link", "[0.9.0]: https://", "[0.9.0]: http://", "must be an https URL"},
		{"link order", "[1.0.0]: https://github.com/shoalhq/shoal/compare/v1.0.0-rc.1...v1.0.0\n[1.0.0-rc.1]: https://github.com/shoalhq/shoal/compare/v0.9.0...v1.0.0-rc.1\n", "[1.0.0-rc.1]: https://github.com/shoalhq/shoal/compare/v0.9.0...v1.0.0-rc.1\n[1.0.0]: https://github.com/shoalhq/shoal/compare/v1.0.0-rc.1...v1.0.0\n", "must follow the order of the versions"},
		{"text after links", "[0.9.0]: https://github.com/shoalhq/shoal/releases/tag/v0.9.0\n", "[0.9.0]: https://github.com/shoalhq/shoal/releases/tag/v0.9.0\n\n## [0.8.0] - 2025-12-01\n", "only link references may follow"},
		{"duplicate version", "## [1.0.0-rc.1] - 2026-02-20", "## [1.0.0] - 2026-02-20", "[1.0.0] appears twice"},
		{"deep heading", "### Fixed\n", "#### Fixed\n", "unexpected heading"},
		{"bad heading", "## [1.0.0] - 2026-03-02", "## 1.0.0 (2026-03-02)", `want "## [Unreleased]"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(good, c.old) {
				t.Fatalf("test case does not apply: %q is not in the sample", c.old)
			}
			text := strings.Replace(good, c.old, c.new, 1)
			errs := check(text)
			for _, err := range errs {
				if strings.Contains(err.Error(), c.want) {
					return
				}
			}
			t.Errorf("want an error containing %q, got %v", c.want, errs)
		})
	}
}
