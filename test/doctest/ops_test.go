package doctest

// The checks in this file keep the operations guides and the alerting rules
// in step: every alert has a troubleshooting section, every runbook_url
// resolves to a heading under docs/, and every relative link in docs/
// resolves to a file (and heading) of the repository.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"gopkg.in/yaml.v3"
)

// alertFiles are the rule files whose alerts the troubleshooting guide
// explains, relative to the repository root.
var alertFiles = []string{
	"deploy/monitoring/prometheus-rules.yaml",
	"deploy/rollout/canary-rules.yaml",
}

// troubleshootingGuide is the guide with one section per alert.
const troubleshootingGuide = "docs/operations/troubleshooting-guide.md"

// alert is one alerting rule of a rule file.
type alert struct {
	file    string
	name    string
	runbook string // the runbook_url annotation, "" when absent
}

// ruleGroups is the part of a Prometheus rule file, or of the spec of a
// PrometheusRule object, that holds alerts.
type ruleGroups struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// parseAlerts returns the alerts of a rule file: a plain Prometheus rule
// file (groups: at the top) or PrometheusRule objects (spec.groups), in one
// or more YAML documents.
func parseAlerts(name string, data []byte) ([]alert, error) {
	var out []alert
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for doc := 1; ; doc++ {
		var d struct {
			ruleGroups `yaml:",inline"`
			Kind       string     `yaml:"kind"`
			Spec       ruleGroups `yaml:"spec"`
		}
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, doc, err)
		}
		groups := d.Groups
		if d.Kind != "" {
			if d.Kind != "PrometheusRule" {
				continue // another object in the same file
			}
			groups = d.Spec.Groups
		}
		for _, g := range groups {
			for _, r := range g.Rules {
				if r.Alert != "" {
					out = append(out, alert{file: name, name: r.Alert, runbook: r.Annotations["runbook_url"]})
				}
			}
		}
	}
	return out, nil
}

// mdDoc is what the checks need of one Markdown document.
type mdDoc struct {
	anchors map[string]bool
	links   []mdLink
}

// mdLink is one link of a document, outside code.
type mdLink struct {
	line   int
	target string
}

var (
	atxHeading = regexp.MustCompile(`^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$`)
	// inlineLink matches [text](target) and ![alt](target), with an
	// optional "title"; group 1 is "!" for images.
	inlineLink = regexp.MustCompile(`(!?)\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^()\s>]*(?:\([^()\s]*\)[^()\s>]*)*)>?(?:\s+"[^"]*")?\s*\)`)
	// refDef matches a link reference definition: [label]: target.
	refDef = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$`)
	// htmlAnchor matches <a id="x"> and <a name="x">.
	htmlAnchor = regexp.MustCompile(`<a\s+(?:[^>]*\s)?(?:id|name)\s*=\s*"([^"]+)"`)
	codeSpan   = regexp.MustCompile("`+[^`]*`+")
	// headingLink strips a link inside a heading to its text.
	headingLink = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
)

// githubAnchor returns the anchor GitHub gives a heading: the text without
// Markdown, in lower case, with every character that is not a letter, a
// digit, a space, '-' or '_' removed and spaces turned into '-'.
func githubAnchor(heading string) string {
	s := headingLink.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// parseMarkdown reads the headings (as GitHub anchors, with -1, -2 suffixes
// for repeats) and the links of a document, skipping fenced code blocks and
// code spans.
func parseMarkdown(data []byte) (*mdDoc, error) {
	d := &mdDoc{anchors: map[string]bool{}}
	seen := map[string]int{}
	fence := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trim := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(trim, fence) && strings.Trim(trim, fence[:1]) == "" {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~") {
			i := strings.IndexFunc(trim, func(r rune) bool { return r != rune(trim[0]) })
			if i < 0 {
				i = len(trim)
			}
			fence = trim[:i]
			continue
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			d.anchors[m[1]] = true
		}
		if m := atxHeading.FindStringSubmatch(line); m != nil {
			a := githubAnchor(m[2])
			if k := seen[a]; k > 0 {
				d.anchors[a+"-"+strconv.Itoa(k)] = true
			} else {
				d.anchors[a] = true
			}
			seen[a]++
		}
		if m := refDef.FindStringSubmatch(line); m != nil {
			d.links = append(d.links, mdLink{line: n, target: m[1]})
			continue
		}
		text := codeSpan.ReplaceAllString(line, "")
		for _, m := range inlineLink.FindAllStringSubmatch(text, -1) {
			if m[1] == "!" {
				continue // images: TestImages checks them
			}
			d.links = append(d.links, mdLink{line: n, target: m[2]})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if fence != "" {
		return nil, errors.New("a code fence is never closed")
	}
	return d, nil
}

// repoRoot returns the absolute path of the repository.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// docCache parses each Markdown file once.
type docCache struct {
	root string
	docs map[string]*mdDoc // by path relative to root
}

func (c *docCache) get(rel string) (*mdDoc, error) {
	if d, ok := c.docs[rel]; ok {
		return d, nil
	}
	data, err := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	d, err := parseMarkdown(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	c.docs[rel] = d
	return d, nil
}

// checkTarget checks that the file rel (relative to the root, slash
// separated) exists and, for a Markdown file, that it has the anchor.
func (c *docCache) checkTarget(rel, anchor string) error {
	if rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
		return fmt.Errorf("%s is outside the repository", rel)
	}
	if _, err := os.Stat(filepath.Join(c.root, filepath.FromSlash(rel))); err != nil {
		return fmt.Errorf("%s does not exist", rel)
	}
	if anchor == "" || !strings.HasSuffix(rel, ".md") {
		return nil
	}
	d, err := c.get(rel)
	if err != nil {
		return err
	}
	if !d.anchors[anchor] {
		return fmt.Errorf("%s has no heading with anchor #%s", rel, anchor)
	}
	return nil
}

// loadAlerts reads every alert of alertFiles.
func loadAlerts(t *testing.T, root string) []alert {
	t.Helper()
	var all []alert
	for _, f := range alertFiles {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			t.Fatalf("read the alerting rules: %v", err)
		}
		as, err := parseAlerts(f, data)
		if err != nil {
			t.Fatal(err)
		}
		if len(as) == 0 {
			t.Fatalf("%s defines no alert", f)
		}
		all = append(all, as...)
	}
	return all
}

// TestAlertSections checks that the troubleshooting guide has a section for
// every alert: a heading whose anchor is the alert's name in lower case.
func TestAlertSections(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	c := &docCache{root: root, docs: map[string]*mdDoc{}}
	guide, err := c.get(troubleshootingGuide)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range loadAlerts(t, root) {
		if !guide.anchors[strings.ToLower(a.name)] {
			t.Errorf("%s: alert %s has no section in %s (a heading \"%s\", anchor #%s)",
				a.file, a.name, troubleshootingGuide, a.name, strings.ToLower(a.name))
		}
	}
}

// runbookDoc returns the file under docs/ (relative to the repository
// root) and the anchor that a runbook URL names: a relative path, or a
// GitHub URL such as
// https://github.com/shoalhq/shoal/blob/main/docs/operations/troubleshooting-guide.md#alert.
func runbookDoc(raw string) (file, anchor string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", err
	}
	p := u.Path
	if u.Scheme != "" || u.Host != "" {
		i := strings.Index(p, "/docs/")
		if i < 0 {
			return "", "", errors.New("the URL does not name a file under docs/")
		}
		p = p[i+1:]
	}
	p = path.Clean(strings.TrimPrefix(p, "/"))
	if !strings.HasPrefix(p, "docs/") {
		return "", "", errors.New("the URL does not name a file under docs/")
	}
	if u.Fragment == "" {
		return "", "", errors.New("the URL has no #anchor")
	}
	return p, u.Fragment, nil
}

// TestRunbookURLs checks that every runbook_url annotation names an
// existing heading of a document under docs/.
func TestRunbookURLs(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	c := &docCache{root: root, docs: map[string]*mdDoc{}}
	for _, a := range loadAlerts(t, root) {
		if a.runbook == "" {
			t.Errorf("%s: alert %s has no runbook_url annotation", a.file, a.name)
			continue
		}
		file, anchor, err := runbookDoc(a.runbook)
		if err == nil {
			err = c.checkTarget(file, anchor)
		}
		if err != nil {
			t.Errorf("%s: alert %s: runbook_url %s: %v", a.file, a.name, a.runbook, err)
		}
	}
}

// TestDocLinks checks every relative link of the Markdown files under
// docs/: the file must exist and, for a link into a Markdown file with an
// #anchor, have a heading with that anchor.
func TestDocLinks(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	c := &docCache{root: root, docs: map[string]*mdDoc{}}
	var files []string
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, rerr := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
			return rerr
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	checked := 0
	for _, f := range files {
		d, err := c.get(f)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, l := range d.links {
			if err := c.checkLink(f, l.target); err != nil {
				t.Errorf("%s:%d: link %s: %v", f, l.line, l.target, err)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no link found under docs/: the parser is broken")
	}
}

// checkLink checks one link target of the document from.
func (c *docCache) checkLink(from, target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	if u.Scheme != "" || u.Host != "" || strings.HasPrefix(target, "//") {
		return nil // absolute URLs are not checked offline
	}
	rel := from
	if u.Path != "" {
		if strings.HasPrefix(u.Path, "/") {
			return errors.New("use a path relative to the document, not to the site root")
		}
		rel = path.Clean(path.Join(path.Dir(from), u.Path))
	}
	return c.checkTarget(rel, u.Fragment)
}

func TestGithubAnchor(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ShoalAPIHighErrorRate":                  "shoalapihigherrorrate",
		"Stuck jobs":                             "stuck-jobs",
		"Store full or unreachable (PostgreSQL)": "store-full-or-unreachable-postgresql",
		"`shoal rollback JOB`":                   "shoal-rollback-job",
		"1. Back up first":                       "1-back-up-first",
		"See [the guide](x.md#y) now":            "see-the-guide-now",
		"snake_case and a–dash":                  "snake_case-and-adash",
	} {
		if got := githubAnchor(in); got != want {
			t.Errorf("githubAnchor(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseMarkdown(t *testing.T) {
	t.Parallel()
	doc := "# Title\n\nSee [a](b.md#c), ![img](img/x.png) and `[not](code.md)`.\n\n" +
		"```sh\n# not a heading\n[nor](link.md)\n```\n\n## Title\n\n[ref]: ../r.md\n<a id=\"custom\"></a>\n"
	d, err := parseMarkdown([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"title", "title-1", "custom"} {
		if !d.anchors[a] {
			t.Errorf("anchor %q missing from %v", a, d.anchors)
		}
	}
	if d.anchors["not-a-heading"] {
		t.Error("a comment in a code block was taken for a heading")
	}
	var got []string
	for _, l := range d.links {
		got = append(got, fmt.Sprintf("%d:%s", l.line, l.target))
	}
	if want := []string{"3:b.md#c", "12:../r.md"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("links = %v, want %v", got, want)
	}
}

func TestParseAlerts(t *testing.T) {
	t.Parallel()
	crd := `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: x}
spec:
  groups:
    - name: g
      rules:
        - record: job:x:rate5m
          expr: sum(rate(x[5m]))
        - alert: A
          expr: up == 0
          annotations: {runbook_url: "https://github.com/o/r/blob/main/docs/ops.md#a"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: y}
`
	plain := "groups:\n  - name: g\n    rules:\n      - alert: B\n        expr: up == 0\n"
	a, err := parseAlerts("crd", []byte(crd))
	if err != nil {
		t.Fatal(err)
	}
	b, err := parseAlerts("plain", []byte(plain))
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 1 || a[0].name != "A" || a[0].runbook == "" || len(b) != 1 || b[0].name != "B" {
		t.Fatalf("alerts = %+v %+v", a, b)
	}
	if _, err := parseAlerts("bad", []byte("groups: [")); err == nil {
		t.Fatal("a broken rule file was accepted")
	}
	for raw, want := range map[string]string{
		"https://github.com/o/r/blob/main/docs/ops.md#a": "docs/ops.md#a",
		"docs/operations/t.md#b":                         "docs/operations/t.md#b",
	} {
		f, anc, err := runbookDoc(raw)
		if err != nil || f+"#"+anc != want {
			t.Errorf("runbookDoc(%q) = %q, %q, %v; want %s", raw, f, anc, err, want)
		}
	}
	for _, raw := range []string{"https://example.com/runbook#a", "docs/ops.md", "https://github.com/o/r/blob/main/README.md#a"} {
		if _, _, err := runbookDoc(raw); err == nil {
			t.Errorf("runbookDoc(%q) accepted a URL outside docs/ or without an anchor", raw)
		}
	}
}

func TestCheckLink(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "docs", "operations"), 0o750); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"docs/operations/a.md": "# A\n\n## Stuck jobs\n",
		"docs/b.md":            "# B\n",
		"Makefile":             "all:\n",
	} {
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(name)), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c := &docCache{root: root, docs: map[string]*mdDoc{}}
	from := "docs/operations/a.md"
	for _, ok := range []string{"#stuck-jobs", "../b.md", "../b.md#b", "../../Makefile", "a.md#a", "https://example.com/x#y"} {
		if err := c.checkLink(from, ok); err != nil {
			t.Errorf("checkLink(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"#stuck", "../c.md", "../b.md#nope", "../../../outside.md", "/docs/b.md"} {
		if err := c.checkLink(from, bad); err == nil {
			t.Errorf("checkLink(%q) accepted a broken link", bad)
		}
	}
}
