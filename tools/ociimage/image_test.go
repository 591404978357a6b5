package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// shoalBinary is the real static binary the tests put in the image:
// $SHOAL_IMAGE_BINARY (make test-image passes bin/shoal) or one built
// by TestMain.
var shoalBinary string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

// tmpRoot holds files shared by several tests; removed after them.
var tmpRoot string

func testMain(m *testing.M) int {
	var err error
	tmpRoot, err = os.MkdirTemp("", "ociimage-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(tmpRoot) }()
	shoalBinary = os.Getenv("SHOAL_IMAGE_BINARY")
	if shoalBinary == "" {
		shoalBinary = filepath.Join(tmpRoot, "shoal")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags",
			"-s -w -X main.version=0.0.0-test -X main.commit=test -X main.date=1970-01-01T00:00:00Z",
			"-o", shoalBinary, "./cmd/shoal")
		cmd.Dir = filepath.Join("..", "..")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build shoal:", err)
			return 1
		}
	}
	return m.Run()
}

const testPEM = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n"

// caBundle writes a small PEM bundle (the tests must not depend on the
// build machine's certificates, but the PEM marker is checked).
func caBundle(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(p, []byte(testPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func testOptions(t *testing.T) Options {
	t.Helper()
	return Options{
		Binary:   shoalBinary,
		CACerts:  caBundle(t),
		Created:  time.Unix(1700000000, 0).UTC(),
		Version:  "1.0.0",
		Revision: "0123abcd",
		Source:   "https://github.com/shoalhq/shoal",
		Arch:     runtime.GOARCH,
	}
}

// fakeELF writes a small file with an ELF header: enough for the tests
// that do not need the real binary's size.
func fakeELF(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "shoal")
	data := append([]byte("\x7fELF"), bytes.Repeat([]byte("shoal"), 4096)...)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	sharedOnce sync.Once
	sharedOpts Options
	sharedImg  v1.Image
	sharedErr  error
)

// shared builds the real binary's image once for the tests that only
// read it (compressing 50 MB is the slow part).
func shared(t *testing.T) (Options, v1.Image) {
	t.Helper()
	sharedOnce.Do(func() {
		ca := filepath.Join(tmpRoot, "ca.crt")
		if err := os.WriteFile(ca, []byte(testPEM), 0o600); err != nil {
			sharedErr = err
			return
		}
		sharedOpts = Options{
			Binary: shoalBinary, CACerts: ca, Created: time.Unix(1700000000, 0).UTC(),
			Version: "1.0.0", Revision: "0123abcd", Source: "https://github.com/shoalhq/shoal", Arch: runtime.GOARCH,
		}
		sharedImg, sharedErr = Build(sharedOpts)
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedOpts, sharedImg
}

func build(t *testing.T, o Options) v1.Image {
	t.Helper()
	img, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestConfig(t *testing.T) {
	o, img := shared(t)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" {
		t.Errorf("User = %q, want 65532:65532", c.User)
	}
	if strings.Join(c.Entrypoint, " ") != "/shoal" {
		t.Errorf("Entrypoint = %q", c.Entrypoint)
	}
	if strings.Join(c.Cmd, " ") != "serve" {
		t.Errorf("Cmd = %q", c.Cmd)
	}
	for _, p := range []string{"8080/tcp", "9090/tcp"} {
		if _, ok := c.ExposedPorts[p]; !ok {
			t.Errorf("port %s not exposed: %v", p, c.ExposedPorts)
		}
	}
	if _, ok := c.Volumes["/data"]; !ok {
		t.Errorf("no /data volume: %v", c.Volumes)
	}
	if c.Healthcheck == nil || strings.Join(c.Healthcheck.Test, " ") != "CMD /shoal healthcheck" {
		t.Fatalf("Healthcheck = %+v", c.Healthcheck)
	}
	if c.Healthcheck.Interval <= 0 || c.Healthcheck.Timeout <= 0 || c.Healthcheck.Retries <= 0 {
		t.Errorf("Healthcheck timings unset: %+v", c.Healthcheck)
	}
	want := map[string]string{
		"org.opencontainers.image.title":    "shoal",
		"org.opencontainers.image.source":   "https://github.com/shoalhq/shoal",
		"org.opencontainers.image.licenses": "Apache-2.0",
		"org.opencontainers.image.version":  "1.0.0",
		"org.opencontainers.image.revision": "0123abcd",
		"org.opencontainers.image.created":  "2023-11-14T22:13:20Z",
	}
	for k, v := range want {
		if c.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, c.Labels[k], v)
		}
	}
	if c.Labels["org.opencontainers.image.description"] == "" {
		t.Error("no description label")
	}
	if !envHas(c.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt") {
		t.Errorf("Env = %q", c.Env)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform = %s/%s", cf.OS, cf.Architecture)
	}
	if !cf.Created.Equal(o.Created) {
		t.Errorf("Created = %v, want %v", cf.Created, o.Created)
	}
	for _, h := range cf.History {
		if !h.Created.Equal(o.Created) {
			t.Errorf("history entry created %v, want %v", h.Created, o.Created)
		}
	}
	if mt, _ := img.MediaType(); mt != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %s", mt)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != types.OCIConfigJSON {
		t.Errorf("config media type %s", m.Config.MediaType)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != types.OCILayer {
		t.Errorf("layers = %+v, want one %s", m.Layers, types.OCILayer)
	}
}

func envHas(env []string, kv string) bool {
	for _, e := range env {
		if e == kv {
			return true
		}
	}
	return false
}

type layerFile struct {
	hdr  tar.Header
	data []byte
}

func layerFiles(t *testing.T, img v1.Image) map[string]layerFile {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1", len(layers))
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }()
	files := map[string]layerFile{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = layerFile{hdr: *h, data: data}
	}
	return files
}

func TestLayerContents(t *testing.T) {
	o, img := shared(t)
	files := layerFiles(t, img)
	type want struct {
		typ  byte
		mode int64
		uid  int
	}
	wants := map[string]want{
		"shoal":                             {tar.TypeReg, 0o755, 0},
		"etc/":                              {tar.TypeDir, 0o755, 0},
		"etc/passwd":                        {tar.TypeReg, 0o644, 0},
		"etc/group":                         {tar.TypeReg, 0o644, 0},
		"etc/ssl/":                          {tar.TypeDir, 0o755, 0},
		"etc/ssl/certs/":                    {tar.TypeDir, 0o755, 0},
		"etc/ssl/certs/ca-certificates.crt": {tar.TypeReg, 0o644, 0},
		"home/":                             {tar.TypeDir, 0o755, 0},
		"home/nonroot/":                     {tar.TypeDir, 0o700, 65532},
		"data/":                             {tar.TypeDir, 0o755, 65532},
		"tmp/":                              {tar.TypeDir, 0o1777, 65532},
	}
	for name, w := range wants {
		f, ok := files[name]
		if !ok {
			t.Errorf("%s missing from the layer", name)
			continue
		}
		h := f.hdr
		if h.Typeflag != w.typ || h.Mode != w.mode || h.Uid != w.uid || h.Gid != w.uid {
			t.Errorf("%s: type %c mode %o uid %d gid %d, want type %c mode %o uid/gid %d",
				name, h.Typeflag, h.Mode, h.Uid, h.Gid, w.typ, w.mode, w.uid)
		}
		if !h.ModTime.Equal(o.Created) {
			t.Errorf("%s: mtime %v, want %v", name, h.ModTime, o.Created)
		}
	}
	for name := range files {
		if _, ok := wants[name]; !ok {
			t.Errorf("unexpected %s in the layer", name)
		}
	}
	bin, err := os.ReadFile(shoalBinary)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(files["shoal"].data, bin) {
		t.Error("/shoal differs from the binary")
	}
	ca, err := os.ReadFile(o.CACerts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(files["etc/ssl/certs/ca-certificates.crt"].data, ca) {
		t.Error("the CA bundle differs from the source")
	}
	if !strings.Contains(string(files["etc/passwd"].data), "\nnonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd has no nonroot 65532 entry:\n%s", files["etc/passwd"].data)
	}
	if !strings.Contains(string(files["etc/group"].data), "\nnonroot:x:65532:") {
		t.Errorf("/etc/group has no nonroot 65532 entry:\n%s", files["etc/group"].data)
	}
}

func TestReproducible(t *testing.T) {
	o := testOptions(t)
	var digests []string
	var archives [][]byte
	for i := range 2 {
		img := build(t, o)
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d.String())
		dir := filepath.Join(t.TempDir(), "oci")
		if err := WriteLayout(dir, img, "1.0.0"); err != nil {
			t.Fatal(err)
		}
		arc := filepath.Join(t.TempDir(), fmt.Sprintf("image-%d.tar", i))
		if err := WriteArchive(dir, arc, o.Created); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(arc) //nolint:gosec // a file the test wrote
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, b)
	}
	if digests[0] != digests[1] {
		t.Errorf("two builds differ: %s vs %s", digests[0], digests[1])
	}
	if !bytes.Equal(archives[0], archives[1]) {
		t.Error("two archives of the same image differ")
	}
}

// TestTimestampMatters shows that TestReproducible can fail: another
// SOURCE_DATE_EPOCH gives another digest.
func TestTimestampMatters(t *testing.T) {
	o := testOptions(t)
	o.Binary = fakeELF(t)
	d1, err := build(t, o).Digest()
	if err != nil {
		t.Fatal(err)
	}
	o.Created = o.Created.Add(time.Second)
	d2, err := build(t, o).Digest()
	if err != nil {
		t.Fatal(err)
	}
	if d1 == d2 {
		t.Error("the digest ignores the timestamp")
	}
}

func TestSizeBudget(t *testing.T) {
	_, img := shared(t)
	sum, err := Summarize(img)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("image %s: %d bytes compressed, %d uncompressed", sum.Digest, sum.CompressedBytes, sum.UncompressedBytes)
	if err := CheckSize(sum, DefaultMaxBytes); err != nil {
		t.Error(err)
	}
	fi, err := os.Stat(shoalBinary)
	if err != nil {
		t.Fatal(err)
	}
	if sum.UncompressedBytes <= fi.Size() {
		t.Errorf("uncompressed layer %d bytes is not larger than the binary (%d)", sum.UncompressedBytes, fi.Size())
	}
	if err := CheckSize(sum, sum.CompressedBytes); err == nil {
		t.Error("CheckSize accepted an image exactly at the budget")
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	lay := filepath.Join(dir, "oci")
	arc := filepath.Join(dir, "shoal.oci.tar")
	var out, errb bytes.Buffer
	args := []string{"--binary", fakeELF(t), "--ca-certs", caBundle(t), "--version", "1.0.0",
		"--revision", "abc", "--created", "1700000000", "--layout", lay, "--archive", arc, "--ref", "1.0.0"}
	if err := run(args, &out, &errb); err != nil {
		t.Fatalf("run: %v\n%s", err, errb.String())
	}
	var sum Summary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	idx, err := layout.ImageIndexFromPath(lay)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Digest.String() != sum.Digest {
		t.Fatalf("index %+v, want one manifest %s", im.Manifests, sum.Digest)
	}
	if got := im.Manifests[0].Annotations["org.opencontainers.image.ref.name"]; got != "1.0.0" {
		t.Errorf("ref.name = %q", got)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" {
		t.Errorf("User read back from the layout = %q", cf.Config.User)
	}
	// The archive holds the layout's files.
	f, err := os.Open(arc) //nolint:gosec // a file the test wrote
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	names := map[string]bool{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names[h.Name] = true
	}
	for _, n := range []string{"oci-layout", "index.json", "blobs/sha256/" + strings.TrimPrefix(sum.Digest, "sha256:")} {
		if !names[n] {
			t.Errorf("archive lacks %s (has %v)", n, names)
		}
	}
}

func TestRunErrors(t *testing.T) {
	notELF := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noPEM := filepath.Join(t.TempDir(), "empty.crt")
	if err := os.WriteFile(noPEM, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ca := caBundle(t)
	small := fakeELF(t)
	lay := filepath.Join(t.TempDir(), "oci")
	base := []string{"--version", "1", "--revision", "r", "--layout", lay, "--created", "1"}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no binary", append([]string{"--ca-certs", ca}, base...), "binary is required"},
		{"not ELF", append([]string{"--binary", notELF, "--ca-certs", ca}, base...), "not an ELF"},
		{"no PEM", append([]string{"--binary", small, "--ca-certs", noPEM}, base...), "no PEM"},
		{"bad created", []string{"--binary", small, "--ca-certs", ca, "--version", "1", "--revision", "r", "--layout", lay, "--created", "yesterday"}, "Unix seconds"},
		{"no created", []string{"--binary", small, "--ca-certs", ca, "--version", "1", "--revision", "r", "--layout", lay, "--created", ""}, "SOURCE_DATE_EPOCH"},
		{"no layout", []string{"--binary", small, "--ca-certs", ca, "--version", "1", "--revision", "r", "--created", "1"}, "--layout is required"},
		{"over budget", append([]string{"--binary", small, "--ca-certs", ca, "--max-bytes", "1000"}, base...), "over the budget"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := run(c.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	if _, err := os.Stat(lay); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed build left a layout behind: %v", err)
	}
}
