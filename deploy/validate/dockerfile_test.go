package validate

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// dockerfile is a Dockerfile parsed by BuildKit's own parser, with the
// warnings of BuildKit's linter (the checks of `docker build --check`
// that run at parse time).
type dockerfile struct {
	stages   []instructions.Stage
	metaArgs map[string]string
	warnings []string
}

func parseDockerfile(t *testing.T, data []byte) (*dockerfile, error) {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	df := &dockerfile{metaArgs: map[string]string{}}
	for _, w := range res.Warnings {
		df.warnings = append(df.warnings, w.Short)
	}
	lint := linter.New(&linter.Config{
		Warn: func(rule, _, _, msg string, _ []parser.Range) {
			df.warnings = append(df.warnings, rule+": "+msg)
		},
	})
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	if err != nil {
		return nil, err
	}
	df.stages = stages
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			df.metaArgs[kv.Key] = kv.ValueString()
		}
	}
	return df, nil
}

var argRef = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

// expand substitutes the global ARG defaults, as BuildKit does in FROM.
func (df *dockerfile) expand(s string) string {
	return argRef.ReplaceAllStringFunc(s, func(m string) string {
		name := argRef.FindStringSubmatch(m)[1]
		if v, ok := df.metaArgs[name]; ok {
			return v
		}
		return m
	})
}

// secretName matches variable names that hold credentials: a word of the
// name (between underscores) such as PASSWORD, SECRET, TOKEN(S), DSN.
var secretName = regexp.MustCompile(`(?i)(^|_)(pass(word|wd)?|secrets?|tokens?|api_?keys?|private_?keys?|credentials?|dsn|access_?keys?)(_|$)`)

// lintDockerfile returns every rule the Dockerfile breaks.
func lintDockerfile(t *testing.T, data []byte) []string {
	t.Helper()
	df, err := parseDockerfile(t, data)
	if err != nil {
		return []string{"parse: " + err.Error()}
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, w := range df.warnings {
		bad("BuildKit lint: %s", w)
	}
	if len(df.stages) < 2 {
		bad("not a multi-stage build: %d stage(s)", len(df.stages))
	}
	if len(df.stages) == 0 {
		return problems
	}

	// Every base image pinned: a version tag (not latest) or a digest.
	var names []string
	for _, st := range df.stages {
		base := df.expand(st.BaseName)
		switch {
		case strings.Contains(base, "$"):
			bad("FROM %s: unresolved variable", st.BaseName)
		case base == "scratch" || slices.Contains(names, strings.ToLower(base)):
		case strings.Contains(base, "@sha256:"):
		default:
			ref := base[strings.LastIndex(base, "/")+1:]
			i := strings.LastIndex(ref, ":")
			switch {
			case i < 0:
				bad("FROM %s: no tag (means latest)", base)
			case ref[i+1:] == "latest":
				bad("FROM %s: the latest tag is not a pinned version", base)
			case !regexp.MustCompile(`\d+\.\d+`).MatchString(ref[i+1:]):
				bad("FROM %s: tag %q is not an explicit version", base, ref[i+1:])
			}
		}
		if st.Name != "" {
			names = append(names, strings.ToLower(st.Name))
		}
	}

	// No credentials in ENV or ARG values, in any stage.
	checkKV := func(kind, key, value string) {
		if secretName.MatchString(key) && value != "" {
			bad("%s %s has a value: secrets must come from the runtime", kind, key)
		}
	}
	for k, v := range df.metaArgs {
		checkKV("ARG", k, v)
	}
	for _, st := range df.stages {
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					checkKV("ENV", kv.Key, kv.Value)
				}
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					checkKV("ARG", kv.Key, kv.ValueString())
				}
			}
		}
	}

	// Version, commit and date reach the binary through ldflags.
	var buildRun string
	for _, st := range df.stages[:len(df.stages)-1] {
		for _, c := range st.Commands {
			if r, ok := c.(*instructions.RunCommand); ok && strings.Contains(strings.Join(r.CmdLine, " "), "go build") {
				buildRun = strings.Join(r.CmdLine, " ")
			}
		}
	}
	if buildRun == "" {
		bad("no build stage runs go build")
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=${VERSION}", "-X main.commit=${COMMIT}", "-X main.date=${DATE}"} {
		if buildRun != "" && !strings.Contains(buildRun, want) {
			bad("go build lacks %q", want)
		}
	}

	// The final stage: the image that ships.
	final := df.stages[len(df.stages)-1]
	var user, healthcheck, entrypoint, cmd []string
	labels := map[string]string{}
	var exposed []string
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = append(user, c.User)
		case *instructions.HealthCheckCommand:
			if c.Health != nil {
				healthcheck = c.Health.Test
			}
		case *instructions.EntrypointCommand:
			if c.PrependShell {
				bad("ENTRYPOINT in shell form: the image has no shell")
			}
			entrypoint = c.CmdLine
		case *instructions.CmdCommand:
			if c.PrependShell {
				bad("CMD in shell form: the image has no shell")
			}
			cmd = c.CmdLine
		case *instructions.LabelCommand:
			for _, kv := range c.Labels {
				labels[kv.Key] = kv.Value
			}
		case *instructions.ExposeCommand:
			exposed = append(exposed, c.Ports...)
		case *instructions.RunCommand:
			bad("RUN in the final stage: %s", c.String())
		}
	}
	if len(user) == 0 {
		bad("the final stage sets no USER (runs as root)")
	} else if u := user[len(user)-1]; !regexp.MustCompile(`^[1-9][0-9]*(:[1-9][0-9]*)?$`).MatchString(u) {
		bad("final USER %q is not a numeric non-root uid[:gid]", u)
	}
	if len(healthcheck) < 2 || healthcheck[0] != "CMD" || healthcheck[1] != "/shoal" {
		bad("HEALTHCHECK %q does not exec /shoal (want CMD [\"/shoal\", ...])", healthcheck)
	}
	if strings.Join(entrypoint, " ") != "/shoal" {
		bad("ENTRYPOINT %q, want [\"/shoal\"]", entrypoint)
	}
	if strings.Join(cmd, " ") != "serve" {
		bad("CMD %q, want [\"serve\"]", cmd)
	}
	for _, k := range []string{"title", "description", "source", "licenses", "version", "revision", "created"} {
		if labels["org.opencontainers.image."+k] == "" {
			bad("label org.opencontainers.image.%s missing", k)
		}
	}
	for _, p := range []string{"8080", "9090"} {
		if !slices.Contains(exposed, p) && !slices.Contains(exposed, p+"/tcp") {
			bad("port %s not exposed", p)
		}
	}
	return problems
}

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile(fromRepo(t, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range lintDockerfile(t, data) {
		t.Error(p)
	}
}

// TestDockerfileLintRejects shows each rule failing on a bad Dockerfile.
func TestDockerfileLintRejects(t *testing.T) {
	good, err := os.ReadFile(fromRepo(t, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, old, new, want string
	}{
		{"root user", "USER 65532:65532", "USER root", "not a numeric non-root"},
		{"uid 0", "USER 65532:65532", "USER 0:0", "not a numeric non-root"},
		{"no user", "USER 65532:65532\n", "", "sets no USER"},
		{"latest tag", "FROM scratch", "FROM alpine:latest", "latest tag"},
		{"untagged", "FROM scratch", "FROM alpine", "no tag"},
		{"no healthcheck", "HEALTHCHECK", "# HEALTHCHECK", "does not exec /shoal"},
		{"curl healthcheck", `CMD ["/shoal", "healthcheck"]`, `CMD ["curl", "-f", "http://localhost:8080/healthz"]`, "does not exec /shoal"},
		{"secret env", "TMPDIR=/tmp", "TMPDIR=/tmp SHOAL_AUTH_TOKENS=admin:0123456789abcdef", "SHOAL_AUTH_TOKENS has a value"},
		{"secret arg", "ARG GO_VERSION=1.26.8", "ARG GO_VERSION=1.26.8\nARG GITHUB_TOKEN=ghp_abc", "GITHUB_TOKEN has a value"},
		{"no ldflags", "-X main.commit=${COMMIT} ", "", "lacks \"-X main.commit=${COMMIT}\""},
		{"no label", `org.opencontainers.image.licenses="Apache-2.0" \`, `\`, "licenses missing"},
		{"shell entrypoint", `ENTRYPOINT ["/shoal"]`, `ENTRYPOINT /shoal`, "shell form"},
		// BuildKit's own linter runs too.
		{"buildkit lint", "-bookworm-slim AS web", "-bookworm-slim as web", "BuildKit lint: FromAsCasing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !bytes.Contains(good, []byte(c.old)) {
				t.Fatalf("the Dockerfile no longer contains %q", c.old)
			}
			bad := bytes.Replace(good, []byte(c.old), []byte(c.new), 1)
			problems := lintDockerfile(t, bad)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("want a problem containing %q, got %q", c.want, problems)
			}
		})
	}
	// A single-stage build is rejected too.
	single := []byte("FROM golang:1.26.8-bookworm\nUSER 65532\nHEALTHCHECK CMD [\"/shoal\",\"healthcheck\"]\nENTRYPOINT [\"/shoal\"]\nCMD [\"serve\"]\n")
	if p := lintDockerfile(t, single); !slices.ContainsFunc(p, func(s string) bool { return strings.Contains(s, "not a multi-stage build") }) {
		t.Errorf("single-stage Dockerfile accepted: %q", p)
	}
}
