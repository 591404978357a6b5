package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildShoal builds the real binary once per test.
func buildShoal(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shoal")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func runBinary(t *testing.T, bin string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = "../.."
	cmd.Env = env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// TestConfigValidate_Binary runs `shoal config validate` and `shoal
// config schema` as a user would.
func TestConfigValidate_Binary(t *testing.T) {
	bin := buildShoal(t)
	env := []string{"PATH=" + os.Getenv("PATH")}

	out, errOut, code := runBinary(t, bin, env, "config", "validate", "--production", "deploy/config/production.yaml")
	if code != 0 || out != "deploy/config/production.yaml: ok\n" || errOut != "" {
		t.Fatalf("production: code %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	out, errOut, code = runBinary(t, bin, env, "config", "validate", "deploy/config/development.yaml", "config/testdata/full.yml")
	if code != 0 || out != "deploy/config/development.yaml: ok\nconfig/testdata/full.yml: ok\n" || errOut != "" {
		t.Fatalf("development: code %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	// The development file has a literal webhook URL: not for production.
	_, errOut, code = runBinary(t, bin, env, "config", "validate", "--production", "deploy/config/development.yaml")
	if code != 1 || !strings.Contains(errOut, "development.yaml:") || !strings.Contains(errOut, "notify.channels[0].url: webhook URLs carry their token") {
		t.Fatalf("development --production: code %d stderr %s", code, errOut)
	}

	bad, _ := filepath.Glob("../../config/testdata/bad/*.yaml")
	if len(bad) < 20 {
		t.Fatalf("%d bad files", len(bad))
	}
	for _, f := range bad {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(data), "\n", 3)
		want := strings.TrimPrefix(lines[0], "# want: ")
		args := []string{"config", "validate"}
		if lines[1] == "# flags: --production" {
			args = append(args, "--production")
		}
		rel := strings.TrimPrefix(f, "../../")
		out, errOut, code := runBinary(t, bin, env, append(args, rel)...)
		if code != 1 || out != "" || !strings.Contains(errOut, rel+":") || !strings.Contains(errOut, want) || !strings.HasSuffix(errOut, "shoal: invalid configuration\n") {
			t.Errorf("%s: code %d, stdout %q, stderr %q; want status 1 and %q", rel, code, out, errOut, want)
		}
	}

	// The line and column point at the offending key.
	_, errOut, _ = runBinary(t, bin, env, "config", "validate", "config/testdata/bad/unknown-field.yaml")
	if !strings.HasPrefix(errOut, "config/testdata/bad/unknown-field.yaml:5:3: scan.concurency: unknown setting (did you mean concurrency?)\n") {
		t.Errorf("stderr = %q", errOut)
	}

	// A good file and a bad one: both reported, status 1.
	out, errOut, code = runBinary(t, bin, env, "config", "validate", "deploy/config/development.yaml", "config/testdata/bad/bad-enum.yaml")
	if code != 1 || out != "deploy/config/development.yaml: ok\n" || !strings.Contains(errOut, "bad-enum.yaml:7:13: notify.channels[0].type") {
		t.Errorf("mixed: code %d stdout %q stderr %q", code, out, errOut)
	}

	// --env resolves references and SHOAL_* variables, from _FILE too.
	secret := filepath.Join(t.TempDir(), "store-url")
	if err := os.WriteFile(secret, []byte("postgres://shoal:pw@db:5432/shoal\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	full := append(env, "SHOAL_STORE_URL_FILE="+secret, "HMSDB_LAKE_PASSWORD=x", "SLACK_WEBHOOK_URL=https://hooks.example.com/a",
		"DINGTALK_ACCESS_TOKEN=t", "DINGTALK_SECRET=s", "INCIDENT_WEBHOOK_URL=https://incidents.example.com/h", "INCIDENT_WEBHOOK_SECRET=w")
	if out, errOut, code := runBinary(t, bin, full, "config", "validate", "--env", "--production", "deploy/config/production.yaml"); code != 0 {
		t.Errorf("--env with every variable: code %d stdout %q stderr %q", code, out, errOut)
	}
	_, errOut, code = runBinary(t, bin, append(full[:len(full):len(full)], "SHOAL_SCAN_CONCURENCY=4"), "config", "validate", "--env", "deploy/config/production.yaml")
	if code != 1 || !strings.Contains(errOut, "environment SHOAL_SCAN_CONCURENCY: no such setting") {
		t.Errorf("unknown variable: code %d stderr %q", code, errOut)
	}
	_, errOut, code = runBinary(t, bin, env, "config", "validate", "--env", "deploy/config/production.yaml")
	if code != 1 || !strings.Contains(errOut, "production.yaml:46:10: catalogs[1].url: ${HMSDB_LAKE_PASSWORD}: the environment variable is not set") {
		t.Errorf("unset reference: code %d stderr %q", code, errOut)
	}

	// Usage errors exit with status 2.
	for _, args := range [][]string{{"config"}, {"config", "validate"}, {"config", "lint"}, {"config", "validate", "--strict", "x.yaml"}} {
		if _, _, code := runBinary(t, bin, env, args...); code != 2 {
			t.Errorf("%v: code %d, want 2", args, code)
		}
	}
	if _, errOut, code := runBinary(t, bin, env, "config", "validate", "no/such.yaml"); code != 1 || !strings.Contains(errOut, "no/such.yaml: open no/such.yaml: no such file or directory") {
		t.Errorf("missing file: code %d stderr %q", code, errOut)
	}

	// config schema prints the published schema.
	out, _, code = runBinary(t, bin, env, "config", "schema")
	published, err := os.ReadFile("../../docs/config.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || out != string(published) {
		t.Errorf("config schema: code %d, output differs from docs/config.schema.json", code)
	}
}
