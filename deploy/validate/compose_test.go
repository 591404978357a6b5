package validate

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

const composeFile = "docker-compose.prod.yml"

// loadCompose loads the compose file with compose-go's schema validation
// and consistency checks, in a copy of the project directory whose
// .env.production is .env.production.example (as an operator starts), so
// that the required env_file resolves.
func loadCompose(t *testing.T, content []byte, resolveEnv bool) *types.Project {
	t.Helper()
	project, err := loadComposeErr(t, content, resolveEnv)
	if err != nil {
		t.Fatal(err)
	}
	return project
}

func loadComposeErr(t *testing.T, content []byte, resolveEnv bool) (*types.Project, error) {
	t.Helper()
	dir := t.TempDir()
	example, err := os.ReadFile(fromRepo(t, ".env.production.example"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".env.production"), example, 0o600); err != nil {
		t.Fatal(err)
	}
	env, err := dotenv.GetEnvFromFile(map[string]string{}, []string{filepath.Join(dir, ".env.production")})
	if err != nil {
		t.Fatalf(".env.production.example: %v", err)
	}
	details := types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, composeFile), Content: content}},
		Environment: env,
	}
	return loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SkipResolveEnvironment = !resolveEnv
		o.SetProjectName("shoal", true)
		// Relative paths stay as written, except when env_file must be read.
		o.ResolvePaths = resolveEnv
	})
}

func readCompose(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(fromRepo(t, composeFile))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

var shoalServices = []string{"migrate", "serve", "worker"}

// composeProblems lists the invariants the production compose file breaks.
func composeProblems(t *testing.T, content []byte) []string {
	t.Helper()
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	p, err := loadComposeErr(t, content, false)
	if err != nil {
		return []string{"load: " + err.Error()}
	}
	for _, name := range append(slices.Clone(shoalServices), "postgres", "prometheus", "grafana", "alertmanager") {
		if _, ok := p.Services[name]; !ok {
			bad("service %s missing", name)
		}
	}
	if len(problems) > 0 {
		return problems
	}
	replicas := func(s types.ServiceConfig) int {
		if s.Deploy == nil || s.Deploy.Replicas == nil {
			return 1
		}
		return *s.Deploy.Replicas
	}
	if n := replicas(p.Services["serve"]); n != 2 {
		bad("serve has %d replicas, want 2", n)
	}
	if n := replicas(p.Services["worker"]); n != 3 {
		bad("worker has %d replicas, want 3", n)
	}
	if v := p.Services["serve"].Environment["SHOAL_SERVER_EMBEDDED_WORKER"]; v == nil || *v != "false" {
		bad("serve does not turn the embedded worker off")
	}
	if c := p.Services["migrate"].Command; strings.Join(c, " ") != "migrate" {
		bad("migrate runs %q, want migrate", c)
	}
	if r := p.Services["migrate"].Restart; r != types.RestartPolicyNo {
		bad("migrate restart policy %q, want \"no\" (one-shot)", r)
	}

	for name, s := range p.Services {
		// Pinned images.
		img := s.Image
		tag := ""
		if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
			tag = img[i+1:]
		}
		if tag == "" || tag == "latest" || !regexp.MustCompile(`\d+\.\d+`).MatchString(tag) && !strings.Contains(tag, "SHOAL_VERSION") {
			bad("%s: image %q is not pinned to a version", name, img)
		}
		// Limits.
		if s.Deploy == nil || s.Deploy.Resources.Limits == nil || s.Deploy.Resources.Limits.NanoCPUs <= 0 || s.Deploy.Resources.Limits.MemoryBytes <= 0 {
			bad("%s: no CPU and memory limits (deploy.resources.limits)", name)
		}
		// Health checks and restart policies, except for the one-shot job.
		if name != "migrate" {
			if s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) < 2 {
				bad("%s: no health check", name)
			}
			if s.Restart != types.RestartPolicyUnlessStopped && s.Restart != types.RestartPolicyAlways {
				bad("%s: restart policy %q, want unless-stopped or always", name, s.Restart)
			}
		}
		// Data lives in named volumes declared at the top level.
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeVolume {
				if v.Source == "" {
					bad("%s: anonymous volume at %s", name, v.Target)
				} else if _, ok := p.Volumes[v.Source]; !ok {
					bad("%s: volume %s is not declared", name, v.Source)
				}
			}
		}
		// No secret written in the file: any variable named like one must
		// be empty-free, i.e. absent, or point at a file.
		for k, v := range s.Environment {
			if v != nil && secretName.MatchString(k) && !strings.HasSuffix(k, "_FILE") && *v != "" {
				bad("%s: environment %s has an inline value", name, k)
			}
			if v != nil && regexp.MustCompile(`://[^/\s:@]+:[^/\s@]+@`).MatchString(*v) {
				bad("%s: environment %s holds a URL with a password", name, k)
			}
		}
	}

	for _, name := range shoalServices {
		s := p.Services[name]
		if !s.ReadOnly {
			bad("%s: root file system not read-only", name)
		}
		if !slices.ContainsFunc(s.Tmpfs, func(m string) bool { return m == "/tmp" || strings.HasPrefix(m, "/tmp:") }) {
			bad("%s: no tmpfs on /tmp", name)
		}
		if s.User != "65532:65532" {
			bad("%s: user %q, want 65532:65532", name, s.User)
		}
		if !slices.Contains(s.CapDrop, "ALL") {
			bad("%s: capabilities not dropped", name)
		}
		if !slices.ContainsFunc(s.EnvFiles, func(e types.EnvFile) bool { return filepath.Base(e.Path) == ".env.production" && bool(e.Required) }) {
			bad("%s: secrets do not come from the required env_file .env.production", name)
		}
		if !slices.ContainsFunc(s.Volumes, func(v types.ServiceVolumeConfig) bool {
			return v.Target == "/etc/shoal/config.yaml" && v.ReadOnly
		}) {
			bad("%s: config not mounted read-only at /etc/shoal/config.yaml", name)
		}
		if name == "migrate" {
			continue
		}
		if d, ok := s.DependsOn["migrate"]; !ok || d.Condition != types.ServiceConditionCompletedSuccessfully {
			bad("%s: does not wait for migrate to complete successfully", name)
		}
		hc := s.HealthCheck
		if hc == nil || len(hc.Test) < 3 || hc.Test[0] != "CMD" || hc.Test[1] != "/shoal" || hc.Test[2] != "healthcheck" {
			bad("%s: health check is not `shoal healthcheck`", name)
		}
	}
	if hc := p.Services["worker"].HealthCheck; hc != nil && !slices.Contains(hc.Test, "http://127.0.0.1:9090/healthz") {
		bad("worker: health check does not probe its own port 9090")
	}
	if d, ok := p.Services["migrate"].DependsOn["postgres"]; !ok || d.Condition != types.ServiceConditionHealthy {
		bad("migrate: does not wait for a healthy postgres")
	}
	if hc := p.Services["postgres"].HealthCheck; hc != nil && !slices.Contains(hc.Test, "pg_isready") {
		bad("postgres: health check does not use pg_isready")
	}
	if img := p.Services["postgres"].Image; !strings.HasPrefix(img, "postgres:15.") {
		bad("postgres: image %s, want PostgreSQL 15", img)
	}
	return problems
}

func TestCompose(t *testing.T) {
	for _, p := range composeProblems(t, readCompose(t)) {
		t.Error(p)
	}
}

// TestComposeEnvFile loads the stack as `docker compose` would, with the
// example environment as .env.production: every SHOAL_* variable of the
// example reaches the shoal services, and the compose file's own settings
// win over it.
func TestComposeEnvFile(t *testing.T) {
	p := loadCompose(t, readCompose(t), true)
	example, err := dotenv.GetEnvFromFile(map[string]string{}, []string{fromRepo(t, ".env.production.example")})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range shoalServices {
		env := p.Services[name].Environment
		for k := range example {
			if _, ok := env[k]; !ok {
				t.Errorf("%s: %s from .env.production does not reach the service", name, k)
			}
		}
		if v := env["SHOAL_CONFIG"]; v == nil || *v != "/etc/shoal/config.yaml" {
			t.Errorf("%s: SHOAL_CONFIG = %v", name, v)
		}
		if v := env["SHOAL_LOG_FORMAT"]; v == nil || *v != "json" {
			t.Errorf("%s: SHOAL_LOG_FORMAT = %v, want json (Promtail parses JSON)", name, v)
		}
	}
}

// TestComposeFilesExist checks that every file the stack bind-mounts from
// the repository is there.
func TestComposeFilesExist(t *testing.T) {
	p := loadCompose(t, readCompose(t), false)
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind || !strings.HasPrefix(v.Source, "./deploy/") {
				continue
			}
			if _, err := os.Stat(fromRepo(t, v.Source)); err != nil {
				t.Errorf("%s: bind mount source %s: %v", name, v.Source, err)
			}
		}
	}
}

// TestComposeShoalConfig validates the config the stack mounts with the
// binary's own `shoal config validate --production`.
func TestComposeShoalConfig(t *testing.T) {
	bin := shoalBinary(t)
	cmd := exec.Command(bin, "config", "validate", "--production", fromRepo(t, "deploy/compose/shoal.yaml"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("shoal config validate --production deploy/compose/shoal.yaml: %v\n%s", err, out)
	}
}

// TestComposeRejects shows each invariant failing on a broken file.
func TestComposeRejects(t *testing.T) {
	good := string(readCompose(t))
	cases := []struct{ name, old, new, want string }{
		{"serve replicas", "      replicas: 2\n", "      replicas: 1\n", "serve has 1 replicas"},
		{"worker replicas", "      replicas: 3\n", "      replicas: 5\n", "worker has 5 replicas"},
		{"writable root", "  read_only: true\n  tmpfs:", "  read_only: false\n  tmpfs:", "not read-only"},
		{"latest image", "image: postgres:15.10-bookworm", "image: postgres:latest", "not pinned"},
		{"postgres 16", "image: postgres:15.10-bookworm", "image: postgres:16.6", "want PostgreSQL 15"},
		{"no restart", "    restart: unless-stopped\n    deploy:\n      resources:\n        limits: {cpus: \"1\", memory: 1G}", "    deploy:\n      resources:\n        limits: {cpus: \"1\", memory: 1G}", "loki: restart policy"},
		{"inline secret", "      POSTGRES_USER: shoal\n", "      POSTGRES_USER: shoal\n      POSTGRES_PASSWORD: hunter2\n", "POSTGRES_PASSWORD has an inline value"},
		{"password URL", "      SHOAL_SERVER_ADDR: \":8080\"\n", "      SHOAL_SERVER_ADDR: \":8080\"\n      SHOAL_STORE_URL: postgres://shoal:hunter2@postgres/shoal\n", "URL with a password"},
		{"anonymous data", "      - pgdata:/var/lib/postgresql/data", "      - /var/lib/postgresql/data", "anonymous volume"},
		{"undeclared volume", "      - grafana-data:/var/lib/grafana", "      - grafana-state:/var/lib/grafana", ""},
		{"no healthcheck", "      test: [\"CMD\", \"pg_isready\", \"-U\", \"shoal\", \"-d\", \"shoal\", \"-h\", \"127.0.0.1\"]", "      disable: true", "postgres: no health check"},
		{"migrate not awaited", "        condition: service_completed_successfully\n", "        condition: service_started\n", "does not wait for migrate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(good, c.old) {
				t.Fatalf("the compose file no longer contains %q", c.old)
			}
			problems := composeProblems(t, []byte(strings.Replace(good, c.old, c.new, 1)))
			if len(problems) == 0 {
				t.Fatal("accepted")
			}
			if c.want != "" && !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("want a problem containing %q, got %q", c.want, problems)
			}
		})
	}
}
