package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoalhq/shoal/config"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestApplyEnv_File(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	url := writeFile(t, dir, "store-url", "postgres://shoal:pw@db:5432/shoal\n")
	tokens := writeFile(t, dir, "tokens", "ci:0123456789abcdef0,ops:fedcba9876543210f\r\n\n")
	level := writeFile(t, dir, "level", "warn")
	cfg := config.DefaultConfig()
	err := config.ApplyEnv(&cfg, []string{
		"SHOAL_STORE_URL_FILE=" + url,
		"SHOAL_AUTH_TOKENS_FILE=" + tokens,
		"SHOAL_LOG_LEVEL_FILE=" + level,
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.URL != "postgres://shoal:pw@db:5432/shoal" || cfg.Log.Level != "warn" {
		t.Errorf("store %q level %q", cfg.Store.URL, cfg.Log.Level)
	}
	if strings.Join(cfg.Auth.Tokens, " ") != "ci:0123456789abcdef0 ops:fedcba9876543210f" {
		t.Errorf("tokens = %q", cfg.Auth.Tokens)
	}
	if err := cfg.Validate(false); err != nil {
		t.Fatal(err)
	}

	big := writeFile(t, dir, "big", strings.Repeat("x", 1<<20+1))
	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"SHOAL_STORE_URL=sqlite://a.db", "SHOAL_STORE_URL_FILE=" + url}, "SHOAL_STORE_URL and SHOAL_STORE_URL_FILE are both set"},
		{[]string{"SHOAL_SENTRY_DSN_FILE=" + filepath.Join(dir, "missing")}, "SHOAL_SENTRY_DSN_FILE (sentry.dsn): open " + filepath.Join(dir, "missing")},
		{[]string{"SHOAL_SENTRY_DSN_FILE="}, "SHOAL_SENTRY_DSN_FILE (sentry.dsn): empty file name"},
		{[]string{"SHOAL_SENTRY_DSN_FILE=" + big}, "is larger than 1048576 bytes"},
		{[]string{"SHOAL_STORE_URI_FILE=" + url}, "SHOAL_STORE_URI_FILE: no such setting"},
		{[]string{"SHOAL_SCAN_CONCURRENCY_FILE=" + level}, `SHOAL_SCAN_CONCURRENCY_FILE (scan.concurrency): want an integer, got "warn"`},
	} {
		cfg := config.DefaultConfig()
		if err := config.ApplyEnv(&cfg, c.env); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.env, err, c.want)
		}
	}
}

// TestEnvVars_NoFileSuffix: no setting's own variable ends in _FILE, so
// SHOAL_X_FILE always means "X from a file".
func TestEnvVars_NoFileSuffix(t *testing.T) {
	t.Parallel()
	cfg := config.DefaultConfig()
	for _, ev := range config.EnvVars(&cfg) {
		if strings.HasSuffix(ev.Name, config.FileSuffix) {
			t.Errorf("%s ends in %s", ev.Name, config.FileSuffix)
		}
	}
}

func TestLoad_References(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "config.yaml", `
catalogs:
  - name: lake
    url: hmsdb+postgres://hive:${LAKE_DB_PASSWORD}@pg:5432/metastore
    write_url: thrift://${LAKE_HMS_HOST}:9083
    s3:
      access_key: ${LAKE_S3_ACCESS_KEY}
      secret_key: ${LAKE_S3_SECRET_KEY}
notify:
  channels:
    - name: hook
      type: webhook
      url: ${HOOK_URL}
      secret: ${HOOK_SECRET}
`)
	env := []string{
		"LAKE_DB_PASSWORD=pa%24%24",
		"LAKE_HMS_HOST=hms.lake",
		"LAKE_S3_ACCESS_KEY=AKIA1",
		"LAKE_S3_SECRET_KEY=s3cr3t",
		"HOOK_URL=https://hooks.example.com/a?token=${NOT_EXPANDED}",
		"HOOK_SECRET=",
		"SHOAL_CATALOG_URL=warehouse:///${LITERAL}", // env values are not expanded
	}
	cfg, err := config.Load(path, env)
	if err != nil {
		t.Fatal(err)
	}
	lake := cfg.Catalogs[0]
	if lake.URL != "hmsdb+postgres://hive:pa%24%24@pg:5432/metastore" || lake.WriteURL != "thrift://hms.lake:9083" ||
		lake.S3.AccessKey != "AKIA1" || lake.S3.SecretKey != "s3cr3t" {
		t.Errorf("lake = %+v", lake)
	}
	ch := cfg.Notify.Channels[0]
	if ch.URL != "https://hooks.example.com/a?token=${NOT_EXPANDED}" || ch.Secret != "" {
		t.Errorf("channel = %+v", ch)
	}
	if cfg.Catalog.URL != "warehouse:///${LITERAL}" {
		t.Errorf("catalog.url = %q", cfg.Catalog.URL)
	}

	_, err = config.Load(path, env[1:])
	if err == nil || !strings.Contains(err.Error(), "catalogs[0].url: ${LAKE_DB_PASSWORD}: the environment variable is not set") {
		t.Fatalf("unset variable: %v", err)
	}
	refs := config.References(&config.Config{Catalogs: []config.CatalogConfig{{URL: "x://${A}:${B}"}}, Notify: config.NotifyConfig{Channels: []config.NotifyChannel{{URL: "${C}"}}}})
	if len(refs) != 3 || refs[0] != (config.Reference{Field: "catalogs[0].url", Name: "A"}) || refs[2] != (config.Reference{Field: "notify.channels[0].url", Name: "C", Whole: true}) {
		t.Errorf("References = %+v", refs)
	}
}

func TestExpandEnv_Errors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		cfg  config.Config
		want string
	}{
		{config.Config{Catalogs: []config.CatalogConfig{{URL: "thrift://${HMS HOST}:9083"}}}, "catalogs[0].url: malformed reference"},
		{config.Config{Catalogs: []config.CatalogConfig{{URL: "thrift://${HOST:9083"}}}, "catalogs[0].url: malformed reference"},
		{config.Config{Notify: config.NotifyConfig{Channels: []config.NotifyChannel{{Secret: "${SHOAL_AUTH_TOKENS}"}}}}, "notify.channels[0].secret: ${SHOAL_AUTH_TOKENS}: names starting with SHOAL_ are settings"},
	} {
		if err := config.ExpandEnv(&c.cfg, []string{"SHOAL_AUTH_TOKENS=x"}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

func TestLiteralSecrets(t *testing.T) {
	t.Parallel()
	cfg := config.Config{
		Store:    config.StoreConfig{URL: "postgres://shoal@db/shoal"}, // no password: PGPASSWORD
		Catalogs: []config.CatalogConfig{{URL: "hmsdb+mysql://hive:${PW}@db/hive", HiveServer: "hive2://u:p@hs2:10000/default"}},
		Notify: config.NotifyConfig{Channels: []config.NotifyChannel{
			{URL: "https://oapi.dingtalk.com/robot/send?access_token=${T}", Secret: "${S}"},
			{URL: "https://hooks.slack.com/services/T/B/X"},
		}},
	}
	var got []string
	for _, err := range config.LiteralSecrets(&cfg) {
		got = append(got, err.Error())
	}
	want := []string{
		"catalogs[0].hiveserver: holds a literal password",
		"notify.channels[1].url: webhook URLs carry their token",
	}
	if len(got) != len(want) {
		t.Fatalf("LiteralSecrets = %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("LiteralSecrets[%d] = %q, want %q...", i, got[i], want[i])
		}
	}
}
