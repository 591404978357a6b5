package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's user: the "nonroot" account of distroless images.
const (
	uid      = 65532
	gid      = 65532
	userName = "nonroot"
)

// Paths inside the image.
const (
	binaryPath = "shoal"
	caPath     = "etc/ssl/certs/ca-certificates.crt"
)

// Options describe the image to build.
type Options struct {
	Binary   string    // the static shoal binary
	CACerts  string    // a PEM bundle of CA certificates
	Created  time.Time // every timestamp in the image (SOURCE_DATE_EPOCH)
	Version  string    // org.opencontainers.image.version
	Revision string    // org.opencontainers.image.revision
	Source   string    // org.opencontainers.image.source
	Arch     string    // GOARCH of the binary
}

func (o Options) validate() error {
	var errs []error
	if o.Binary == "" {
		errs = append(errs, errors.New("the binary is required"))
	}
	if o.CACerts == "" {
		errs = append(errs, errors.New("the CA certificate bundle is required"))
	}
	if o.Version == "" {
		errs = append(errs, errors.New("the version is required"))
	}
	if o.Revision == "" {
		errs = append(errs, errors.New("the revision is required"))
	}
	if o.Arch == "" {
		errs = append(errs, errors.New("the architecture is required"))
	}
	if o.Created.IsZero() || o.Created.Before(time.Unix(0, 0)) {
		errs = append(errs, errors.New("the creation time must be a positive Unix time"))
	}
	return errors.Join(errs...)
}

// Labels are the OCI annotations of the image config.
func (o Options) Labels() map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "shoal",
		"org.opencontainers.image.description": "Finds and merges small files in Hive warehouses",
		"org.opencontainers.image.source":      o.Source,
		"org.opencontainers.image.url":         o.Source,
		"org.opencontainers.image.licenses":    "Apache-2.0",
		"org.opencontainers.image.vendor":      "Shoal",
		"org.opencontainers.image.version":     o.Version,
		"org.opencontainers.image.revision":    o.Revision,
		"org.opencontainers.image.created":     o.Created.UTC().Format(time.RFC3339),
	}
}

// entry is one file or directory of the image's only layer.
type entry struct {
	name string // relative path; directories end in "/"
	mode int64
	uid  int
	gid  int
	data []byte
}

const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group = "root:x:0:\nnonroot:x:65532:\n"
)

// entries lists the layer's contents in the order they are written.
func entries(binary, caCerts []byte) []entry {
	dir := func(name string, mode int64, owner int) entry {
		return entry{name: name, mode: mode, uid: owner, gid: owner}
	}
	file := func(name string, mode int64, data []byte) entry {
		return entry{name: name, mode: mode, data: data}
	}
	return []entry{
		dir("data/", 0o755, uid),
		dir("etc/", 0o755, 0),
		file("etc/group", 0o644, []byte(group)),
		file("etc/passwd", 0o644, []byte(passwd)),
		dir("etc/ssl/", 0o755, 0),
		dir("etc/ssl/certs/", 0o755, 0),
		file(caPath, 0o644, caCerts),
		dir("home/", 0o755, 0),
		dir("home/nonroot/", 0o700, uid),
		file(binaryPath, 0o755, binary),
		dir("tmp/", 0o1777, uid),
	}
}

// layerTar writes the layer as an uncompressed tar with every timestamp
// set to created, so the same binary always gives the same bytes.
func layerTar(ents []entry, created time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := &tar.Header{
			Name:    e.name,
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.gid,
			ModTime: created,
			Format:  tar.FormatPAX,
		}
		if e.uid == uid {
			h.Uname, h.Gname = userName, userName
		} else {
			h.Uname, h.Gname = "root", "root"
		}
		if strings.HasSuffix(e.name, "/") {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("layer %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("layer %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Build assembles the image: one layer on an empty base, OCI media types.
func Build(o Options) (v1.Image, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(o.Binary)
	if err != nil {
		return nil, fmt.Errorf("read the binary: %w", err)
	}
	if len(bin) < 4 || !bytes.Equal(bin[:4], []byte("\x7fELF")) {
		return nil, fmt.Errorf("%s is not an ELF executable", o.Binary)
	}
	ca, err := os.ReadFile(o.CACerts)
	if err != nil {
		return nil, fmt.Errorf("read the CA certificates: %w", err)
	}
	if !bytes.Contains(ca, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, fmt.Errorf("%s holds no PEM certificate", o.CACerts)
	}
	created := o.Created.UTC()
	raw, err := layerTar(entries(bin, ca), created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(raw)), nil
	},
		tarball.WithMediaType(types.OCILayer),
		tarball.WithCompressionLevel(gzip.DefaultCompression),
		// Compress once: the digest, the size and the layout all read it.
		tarball.WithCompressedCaching)
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}

	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: created},
			CreatedBy: "ociimage: /shoal, CA certificates, nonroot user",
			Comment:   "built without a container engine by tools/ociimage",
		},
		MediaType: types.OCILayer,
	})
	if err != nil {
		return nil, fmt.Errorf("append the layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture = o.Arch
	cf.OS = "linux"
	cf.Created = v1.Time{Time: created}
	cf.Author = "Shoal"
	cf.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", uid, gid),
		Entrypoint: []string{"/" + binaryPath},
		Cmd:        []string{"serve"},
		Env: []string{
			"PATH=/",
			"SSL_CERT_FILE=/" + caPath,
			"TMPDIR=/tmp",
		},
		WorkingDir: "/",
		ExposedPorts: map[string]struct{}{
			"8080/tcp": {},
			"9090/tcp": {},
		},
		Volumes:    map[string]struct{}{"/data": {}},
		Labels:     o.Labels(),
		StopSignal: "SIGTERM",
		Healthcheck: &v1.HealthConfig{
			Test:        []string{"CMD", "/" + binaryPath, "healthcheck"},
			Interval:    30 * time.Second,
			Timeout:     5 * time.Second,
			StartPeriod: 15 * time.Second,
			Retries:     3,
		},
	}
	return mutate.ConfigFile(img, cf)
}

// Summary describes a written image.
type Summary struct {
	Digest            string `json:"digest"`
	CompressedBytes   int64  `json:"compressed_bytes"`
	UncompressedBytes int64  `json:"uncompressed_bytes"`
}

// Summarize measures the image: the compressed size counts the manifest,
// the config and every layer blob, as a registry stores them.
func Summarize(img v1.Image) (Summary, error) {
	var s Summary
	d, err := img.Digest()
	if err != nil {
		return s, err
	}
	s.Digest = d.String()
	m, err := img.RawManifest()
	if err != nil {
		return s, err
	}
	c, err := img.RawConfigFile()
	if err != nil {
		return s, err
	}
	s.CompressedBytes = int64(len(m) + len(c))
	layers, err := img.Layers()
	if err != nil {
		return s, err
	}
	for _, l := range layers {
		n, err := l.Size()
		if err != nil {
			return s, err
		}
		s.CompressedBytes += n
		rc, err := l.Uncompressed()
		if err != nil {
			return s, err
		}
		u, err := io.Copy(io.Discard, rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return s, err
		}
		s.UncompressedBytes += u
	}
	return s, nil
}

// WriteLayout writes img as a fresh OCI image layout in dir, tagged ref.
func WriteLayout(dir string, img v1.Image, ref string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("OCI layout: %w", err)
	}
	var opts []layout.Option
	if ref != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": ref}))
	}
	if err := p.AppendImage(img, opts...); err != nil {
		return fmt.Errorf("OCI layout: %w", err)
	}
	return nil
}

// WriteArchive packs the layout in dir into a tar file (an "oci-archive"),
// with sorted names and fixed metadata so the archive is reproducible.
func WriteArchive(dir, file string, created time.Time) (err error) {
	var names []string
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir {
			names = append(names, path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	f, err := os.Create(file) //nolint:gosec // the output path is the caller's choice
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	tw := tar.NewWriter(f)
	for _, path := range names {
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		h := &tar.Header{Name: filepath.ToSlash(rel), ModTime: created.UTC(), Format: tar.FormatPAX, Mode: 0o644}
		switch {
		case fi.IsDir():
			h.Typeflag, h.Name, h.Mode = tar.TypeDir, h.Name+"/", 0o755
		case fi.Mode().IsRegular():
			h.Typeflag, h.Size = tar.TypeReg, fi.Size()
		default:
			return fmt.Errorf("%s: unexpected file type in the layout", path)
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg {
			if err := copyFile(tw, path); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path) //nolint:gosec // a path inside the layout just written
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	_, err = io.Copy(w, f)
	return err
}
