package config_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/shoalhq/shoal/config"
	"github.com/shoalhq/shoal/config/internal/refdoc"
)

const regenerate = "run `make config-schema` (go generate ./config) and commit the result"

// TestSchema_Committed fails when docs/config.schema.json is not what the
// Go types generate.
func TestSchema_Committed(t *testing.T) {
	t.Parallel()
	want, err := config.Schema()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../docs/config.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("docs/config.schema.json is stale: %s", regenerate)
	}
}

// TestGuide_EverySetting fails when the configuration guide's reference
// is stale or misses a setting of the schema.
func TestGuide_EverySetting(t *testing.T) {
	t.Parallel()
	schema, err := config.Schema()
	if err != nil {
		t.Fatal(err)
	}
	guide, err := os.ReadFile("../docs/operations/configuration-guide.md")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := refdoc.Markdown(schema)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(guide), ref) {
		t.Errorf("the settings reference of docs/operations/configuration-guide.md is stale: %s", regenerate)
	}
	settings, err := refdoc.Settings(schema)
	if err != nil {
		t.Fatal(err)
	}
	if len(settings) < 80 {
		t.Fatalf("only %d settings found in the schema", len(settings))
	}
	for _, s := range settings {
		if !strings.Contains(string(guide), "| `"+s.Path+"` |") {
			t.Errorf("setting %s is missing from the configuration guide", s.Path)
		}
		if s.Description == "" {
			t.Errorf("setting %s has no description", s.Path)
		}
	}
}

// TestEnvExample checks that .env.production.example lists every SHOAL_*
// variable the binary accepts, only those, and every ${NAME} that
// production.yaml references, with the secrets empty.
func TestEnvExample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../.env.production.example")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	line := regexp.MustCompile(`^(?:# )?([A-Z][A-Z0-9_]*)=(.*)$`)
	for _, l := range strings.Split(string(data), "\n") {
		if m := line.FindStringSubmatch(l); m != nil {
			if _, dup := listed[m[1]]; dup {
				t.Errorf("%s is listed twice", m[1])
			}
			listed[m[1]] = m[2]
		}
	}
	cfg := config.DefaultConfig()
	want := map[string]bool{"SHOAL_CONFIG": true}
	for _, ev := range config.EnvVars(&cfg) {
		want[ev.Name] = true
		if _, ok := listed[ev.Name]; !ok {
			t.Errorf("%s (%s) is missing from .env.production.example", ev.Name, ev.Field)
		}
	}
	for name := range listed {
		if strings.HasPrefix(name, config.EnvPrefix) && !want[name] {
			t.Errorf(".env.production.example lists %s, which is not a setting", name)
		}
	}
	for _, secret := range []string{"SHOAL_STORE_URL", "SHOAL_AUTH_TOKENS", "SHOAL_SENTRY_DSN", "SHOAL_NOTIFY_SMTP_PASSWORD", "SHOAL_CATALOG_S3_SECRET_KEY"} {
		if listed[secret] != "" {
			t.Errorf("secret %s has a value in .env.production.example", secret)
		}
	}
	prod := loadFile(t, "../deploy/config/production.yaml")
	refs := config.References(&prod)
	if len(refs) < 4 {
		t.Fatalf("production.yaml has %d ${NAME} references, want the notify and catalog secrets", len(refs))
	}
	for _, r := range refs {
		if v, ok := listed[r.Name]; !ok || v != "" {
			t.Errorf("${%s} of production.yaml (%s) must be listed empty in .env.production.example", r.Name, r.Field)
		}
	}
}

func loadFile(t *testing.T, path string) config.Config {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.DefaultConfig()
	if err := config.Parse(data, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// shippedConfigs returns every Shoal config file in the repository: the
// deploy/config files, the good test files, and any file under deploy/
// named *config*.yaml that is a Shoal config (it points at the schema or
// has a store or catalog section and is not a Kubernetes object).
func shippedConfigs(t testing.TB) []string {
	t.Helper()
	files, _ := filepath.Glob("../deploy/config/*.yaml")
	if len(files) < 2 {
		t.Fatalf("deploy/config holds %d files, want production.yaml and development.yaml", len(files))
	}
	good, _ := filepath.Glob("testdata/*.yml")
	for _, f := range good {
		if !strings.HasSuffix(f, ".bad.yml") {
			files = append(files, f)
		}
	}
	shoalConfig := regexp.MustCompile(`(?m)(\$schema=.*config\.schema\.json|^(store|catalog|catalogs):)`)
	k8s := regexp.MustCompile(`(?m)^(apiVersion|kind|services):`)
	_ = filepath.WalkDir("../deploy", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Dir(p) == "../deploy/config" {
			return nil
		}
		base := filepath.Base(p)
		if ext := filepath.Ext(base); !strings.Contains(base, "config") || (ext != ".yaml" && ext != ".yml") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err == nil && shoalConfig.Match(data) && !k8s.Match(data) {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files
}

// TestCheck_Shipped validates every shipped config: schema, Go validation,
// and no literal secrets in the production ones.
func TestCheck_Shipped(t *testing.T) {
	t.Parallel()
	for _, f := range shippedConfigs(t) {
		t.Run(f, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			opts := config.CheckOptions{RequireCatalog: true, Production: !strings.Contains(f, "testdata") && !strings.Contains(f, "development")}
			for _, p := range config.Check(data, opts) {
				t.Errorf("%s:%s", f, p)
			}
		})
	}
}

// badCase is one file of testdata/bad: its first line is "# want: TEXT",
// TEXT being part of a problem Check must report; an optional second line
// "# flags: --production" gives the options.
type badCase struct {
	path, want string
	production bool
}

func badCases(t *testing.T) []badCase {
	t.Helper()
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(files) < 20 {
		t.Fatalf("testdata/bad holds %d files", len(files))
	}
	var out []badCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(data), "\n", 3)
		want, ok := strings.CutPrefix(lines[0], "# want: ")
		if !ok {
			t.Fatalf("%s: the first line must be '# want: message'", f)
		}
		out = append(out, badCase{path: f, want: want, production: len(lines) > 1 && lines[1] == "# flags: --production"})
	}
	return out
}

func TestCheck_Bad(t *testing.T) {
	t.Parallel()
	for _, c := range badCases(t) {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			problems := config.Check(data, config.CheckOptions{Production: c.production, RequireCatalog: true})
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			if !strings.Contains(strings.Join(got, "\n"), c.want) {
				t.Fatalf("problems:\n%s\nwant one containing %q", strings.Join(got, "\n"), c.want)
			}
			for _, p := range problems {
				if p.Path != "" && p.Line == 0 && !strings.Contains(p.Message, "is required") {
					t.Errorf("problem %q has no line", p)
				}
			}
			if c.production {
				// The secret is the only problem: the file is otherwise valid.
				if ps := config.Check(data, config.CheckOptions{RequireCatalog: true}); len(ps) != 0 {
					t.Errorf("without --production: %v", ps)
				}
			}
		})
	}
}

// productionEnv is .env.production.example with its empty secrets filled.
func productionEnv(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../.env.production.example")
	if err != nil {
		t.Fatal(err)
	}
	fill := map[string]string{
		"SHOAL_STORE_URL":         "postgres://shoal:s3cret@db:5432/shoal?sslmode=disable",
		"SHOAL_AUTH_TOKENS":       "ci:0123456789abcdef0123",
		"HMSDB_LAKE_PASSWORD":     "p%40ss%3Aword%2F",
		"SLACK_WEBHOOK_URL":       "https://hooks.slack.com/services/T0/B0/XYZ",
		"INCIDENT_WEBHOOK_URL":    "https://incidents.example.com/hook",
		"DINGTALK_ACCESS_TOKEN":   "abc123",
		"DINGTALK_SECRET":         "SECabc",
		"INCIDENT_WEBHOOK_SECRET": "whsec",
	}
	var env []string
	for _, l := range strings.Split(string(data), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, _ := strings.Cut(l, "=")
		if f, ok := fill[k]; ok && v == "" {
			v = f
		}
		env = append(env, k+"="+v)
	}
	return env
}

// TestCheck_ProductionWithEnv loads production.yaml as serve would, with
// the example environment, and checks that a missing variable is named.
func TestCheck_ProductionWithEnv(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../deploy/config/production.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := productionEnv(t)
	if ps := config.Check(data, config.CheckOptions{Production: true, RequireCatalog: true, Environ: env}); len(ps) != 0 {
		t.Fatalf("production.yaml with the example environment: %v", ps)
	}
	var partial []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "SLACK_WEBHOOK_URL=") {
			partial = append(partial, kv)
		}
	}
	ps := config.Check(data, config.CheckOptions{RequireCatalog: true, Environ: partial})
	if len(ps) != 1 || ps[0].Path != "notify.channels[0].url" || !strings.Contains(ps[0].Message, "${SLACK_WEBHOOK_URL}: the environment variable is not set") || ps[0].Line == 0 {
		t.Fatalf("without SLACK_WEBHOOK_URL: %v", ps)
	}
	// A password with a raw / or ? breaks the URL; the error does not show it.
	raw := append(append([]string(nil), partial...), "HMSDB_LAKE_PASSWORD=pass/zz9?x", "SLACK_WEBHOOK_URL=https://hooks.example.com/x")
	ps = config.Check(data, config.CheckOptions{RequireCatalog: true, Environ: raw})
	if len(ps) != 1 || ps[0].Path != "catalogs[1].url" || !strings.Contains(ps[0].Message, "percent-encode") || strings.Contains(ps[0].Message, "zz9") {
		t.Fatalf("with a raw / in the password: %v", ps)
	}
	// The real loader gives the same values.
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, env)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(true); err != nil {
		t.Fatal(err)
	}
	lake, _ := cfg.FindCatalog("lake")
	if lake.URL != "hmsdb+mysql://shoal_ro:p%40ss%3Aword%2F@metastore-db.lake.internal:3306/hive?tls=true" {
		t.Errorf("lake url = %q", lake.URL)
	}
	if cfg.Notify.Channels[1].URL != "https://oapi.dingtalk.com/robot/send?access_token=abc123" || cfg.Store.URL != "postgres://shoal:s3cret@db:5432/shoal?sslmode=disable" {
		t.Errorf("notify %+v store %q", cfg.Notify.Channels[1], cfg.Store.URL)
	}
	if len(cfg.AllCatalogs()) != 3 || cfg.Server.EmbeddedWorker || cfg.Log.Format != "json" {
		t.Errorf("config = %+v", cfg)
	}
}
