package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoalhq/shoal/config"
)

func TestLoad_Full(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load("testdata/full.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(true); err != nil {
		t.Fatal(err)
	}
	if cfg.Scan.Concurrency != 16 || cfg.Scan.OpsPerSecond != 500 || time.Duration(cfg.Scan.Interval) != 6*time.Hour {
		t.Errorf("scan = %+v", cfg.Scan)
	}
	if cfg.Policy.SmallFileSize != 32<<20 || cfg.Policy.TargetFileSize != 256<<20 {
		t.Errorf("policy = %+v", cfg.Policy)
	}
	if cfg.Server.EmbeddedWorker || cfg.Server.Addr != "0.0.0.0:9090" || len(cfg.Server.CORSOrigins) != 1 {
		t.Errorf("server = %+v", cfg.Server)
	}
}

func TestDefaultConfig_Valid(t *testing.T) {
	t.Parallel()
	cfg := config.DefaultConfig()
	if err := cfg.Validate(false); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(true); err == nil || !strings.Contains(err.Error(), "catalog.url: is required") {
		t.Fatalf("Validate(true) without a catalog = %v", err)
	}
}

func TestLoad_Bad(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/*.bad.yml")
	if len(files) == 0 {
		t.Fatal("no bad configs")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(data), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("%s: first line must be '# want: message'", f)
			}
			cfg, err := config.Load(f, nil)
			if err == nil {
				err = cfg.Validate(false)
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error = %v, want it to contain %q", err, want)
			}
		})
	}
}

func TestApplyEnv(t *testing.T) {
	t.Parallel()
	cfg := config.DefaultConfig()
	err := config.ApplyEnv(&cfg, []string{
		"SHOAL_STORE_URL=postgres://x@y/z",
		"SHOAL_SCAN_CONCURRENCY=3",
		"SHOAL_POLICY_SMALL_FILE_SIZE=1MiB",
		"SHOAL_SERVER_EMBEDDED_WORKER=false",
		"SHOAL_SERVER_CORS_ORIGINS=https://a.example, https://b.example",
		"SHOAL_SCAN_INTERVAL=12h",
		"SHOAL_REQUIRE_INTEGRATION=1", // a test switch, not a setting
		"PATH=/bin",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.URL != "postgres://x@y/z" || cfg.Scan.Concurrency != 3 || cfg.Policy.SmallFileSize != 1<<20 ||
		cfg.Server.EmbeddedWorker || len(cfg.Server.CORSOrigins) != 2 || time.Duration(cfg.Scan.Interval) != 12*time.Hour {
		t.Errorf("config after env = %+v", cfg)
	}
	err = config.ApplyEnv(&cfg, []string{"SHOAL_SCAN_CONCURENCY=3", "SHOAL_SCAN_OPS_PER_SECOND=fast"})
	if err == nil || !strings.Contains(err.Error(), "SHOAL_SCAN_CONCURENCY: no such setting") ||
		!strings.Contains(err.Error(), "SHOAL_SCAN_OPS_PER_SECOND (scan.ops_per_second): want a number") {
		t.Fatalf("bad env error = %v", err)
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]config.Size{"16MiB": 16 << 20, "1GB": 1e9, "512": 512, "1.5KiB": 1536, " 2 GiB ": 2 << 30} {
		got, err := config.ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1MiB", "lots"} {
		if _, err := config.ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

// FuzzParse is seeded from every shipped config and the bad ones.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yml")
	for _, pattern := range []string{"testdata/bad/*.yaml", "../deploy/config/*.yaml"} {
		more, _ := filepath.Glob(pattern)
		files = append(files, more...)
	}
	for _, p := range files {
		data, _ := os.ReadFile(p)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := config.DefaultConfig()
		if err := config.Parse(data, &cfg); err != nil {
			return
		}
		_ = cfg.Validate(false) // must not panic
	})
}

func TestAllCatalogs(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load("testdata/full.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	cats := cfg.AllCatalogs()
	var names []string
	for _, c := range cats {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "default,prod,lake" {
		t.Fatalf("catalog names = %v", names)
	}
	prod, ok := cfg.FindCatalog("prod")
	if !ok || prod.HDFS.OpsPerSecond != 200 || prod.HiveServer != "hive2://hs2:10000/default" {
		t.Fatalf("prod = %+v", prod)
	}
	// Unset fields inherit the global settings; set ones override them.
	if prod.Merge.ClusterBytes != 10<<30 || prod.Merge.Retention != cfg.Merge.Retention || prod.Policy.SmallFileSize != 32<<20 {
		t.Errorf("prod policy %+v merge %+v", prod.Policy, prod.Merge)
	}
	lake, _ := cfg.FindCatalog("lake")
	if lake.Policy.SmallFileSize != 8<<20 || lake.Policy.TargetFileSize != 256<<20 || lake.Merge.ClusterBytes != 0 {
		t.Errorf("lake policy %+v merge %+v", lake.Policy, lake.Merge)
	}
	if _, ok := cfg.FindCatalog("nope"); ok {
		t.Error("FindCatalog(nope) found a catalog")
	}
	// The file is not changed by resolving.
	if cfg.Catalogs[1].Policy.TargetFileSize != 0 {
		t.Error("AllCatalogs changed the configuration")
	}
}
