// Package doctest runs the shell commands of Shoal's documentation.
//
// A fenced block whose info string is "sh {test}" or "bash {test}" is a
// tested block: TestDocs runs it with bash (-euo pipefail) from the
// repository root, with a freshly built shoal binary first on PATH, and
// fails with the file and line of any block that exits non-zero. Blocks
// without {test} are shown to readers but not run: they need a cluster, a
// Docker engine or a registry this machine does not have.
package doctest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// block is one tested code block.
type block struct {
	file string
	line int // of the opening fence
	body string
}

// parse returns the tested blocks of a Markdown document.
func parse(name string, data []byte) ([]block, error) {
	var (
		out   []block
		cur   *block
		fence string
		buf   strings.Builder
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trim := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(trim, fence) && strings.Trim(trim, fence[:1]) == "" {
				if cur != nil {
					cur.body = buf.String()
					out = append(out, *cur)
				}
				fence, cur = "", nil
				buf.Reset()
				continue
			}
			if cur != nil {
				buf.WriteString(line)
				buf.WriteByte('\n')
			}
			continue
		}
		if strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~") {
			i := strings.IndexFunc(trim, func(r rune) bool { return r != '`' && r != '~' })
			if i < 0 {
				i = len(trim)
			}
			fence = trim[:i]
			info := strings.Fields(trim[i:])
			if len(info) >= 2 && (info[0] == "sh" || info[0] == "bash") && info[1] == "{test}" {
				cur = &block{file: name, line: n}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if fence != "" {
		return nil, fmt.Errorf("%s: a code fence is never closed", name)
	}
	return out, nil
}

func TestParse(t *testing.T) {
	t.Parallel()
	doc := "# T\n```sh {test}\necho one\n```\n\n```sh\nkubectl apply\n```\n````bash {test}\necho ```\necho two\n````\n"
	got, err := parse("x.md", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].line != 2 || got[0].body != "echo one\n" || got[1].line != 9 || got[1].body != "echo ```\necho two\n" {
		t.Fatalf("parse = %+v", got)
	}
	if _, err := parse("y.md", []byte("```sh {test}\necho\n")); err == nil {
		t.Fatal("an unclosed fence was accepted")
	}
}

// docFiles are the documents whose tested blocks run.
func docFiles(t *testing.T, root string) []string {
	t.Helper()
	files := []string{filepath.Join(root, "README.md"), filepath.Join(root, "RELEASING.md")}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// imageRef matches a Markdown image: ![alt](path).
var imageRef = regexp.MustCompile(`!\[[^\]]*\]\(([^)\s]+)\)`)

// TestImages checks that every image a document shows exists and is a PNG,
// JPEG or SVG file.
func TestImages(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range docFiles(t, root) {
		data, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range imageRef.FindAllSubmatch(data, -1) {
			ref := string(m[1])
			if strings.Contains(ref, "://") {
				continue
			}
			img, err := os.ReadFile(filepath.Join(filepath.Dir(f), ref))
			if err != nil {
				t.Errorf("%s shows %s: %v", f, ref, err)
				continue
			}
			if !bytes.HasPrefix(img, []byte("\x89PNG\r\n\x1a\n")) && !bytes.HasPrefix(img, []byte{0xff, 0xd8, 0xff}) && !bytes.Contains(img[:min(len(img), 512)], []byte("<svg")) {
				t.Errorf("%s shows %s, which is not a PNG, JPEG or SVG image", f, ref)
			}
		}
	}
}

func TestDocs(t *testing.T) {
	if os.Getenv("SHOAL_TEST_DOCS") == "" {
		t.Skip("set SHOAL_TEST_DOCS=1 (make test-docs) to run the documentation's commands")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []block
	for _, f := range docFiles(t, root) {
		data, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		bs, err := parse(rel, data)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, bs...)
	}
	ops := 0
	for _, b := range blocks {
		if strings.HasPrefix(b.file, "docs/operations/") {
			ops++
		}
	}
	if ops == 0 {
		t.Fatal("docs/operations has no tested shell blocks (```sh {test})")
	}

	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "shoal"), "./cmd/shoal")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	path := bin + string(os.PathListSeparator) + os.Getenv("PATH")
	for _, b := range blocks {
		t.Run(fmt.Sprintf("%s:%d", b.file, b.line), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", b.body)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "PATH="+path, "SHOAL_DOCTEST=1", "TMPDIR="+t.TempDir())
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s:%d: %v\n--- block ---\n%s--- output ---\n%s", b.file, b.line, err, b.body, out)
			}
		})
	}
}
