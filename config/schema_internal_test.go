package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// structTypes returns every struct type reachable from Config, by name.
func structTypes() map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || out[t.Name()] != nil {
			return
		}
		out[t.Name()] = t
		for i := range t.NumField() {
			walk(t.Field(i).Type)
		}
	}
	walk(reflect.TypeFor[Config]())
	return out
}

// TestSchemaRules_NameFields fails when a schema rule names a field that
// does not exist, so a renamed field cannot silently lose its rule.
func TestSchemaRules_NameFields(t *testing.T) {
	t.Parallel()
	types := structTypes()
	for key := range rules {
		typ, field, _ := strings.Cut(key, ".")
		st, ok := types[typ]
		if !ok {
			t.Errorf("rule %s: no type %s under Config", key, typ)
			continue
		}
		if _, ok := st.FieldByName(field); !ok {
			t.Errorf("rule %s: %s has no field %s", key, typ, field)
		}
	}
	for typ, fields := range required {
		st, ok := types[typ]
		if !ok {
			t.Errorf("required: no type %s", typ)
			continue
		}
		for _, name := range fields {
			found := false
			for i := range st.NumField() {
				found = found || yamlName(st.Field(i)) == name
			}
			if !found {
				t.Errorf("required: %s has no setting %s", typ, name)
			}
		}
	}
}

// TestSchemaRules_AgreeWithValidate: each value an enum of the schema
// allows passes Validate, and a value outside it fails, for the settings
// Validate checks.
func TestSchemaRules_AgreeWithValidate(t *testing.T) {
	t.Parallel()
	for key, env := range map[string]string{
		"LogConfig.Level":  "SHOAL_LOG_LEVEL",
		"LogConfig.Format": "SHOAL_LOG_FORMAT",
		"MergeConfig.Mode": "SHOAL_MERGE_MODE",
		"SMTPConfig.TLS":   "SHOAL_NOTIFY_SMTP_TLS",
	} {
		for _, v := range append(append([]string(nil), rules[key].enum...), "bogus") {
			cfg := DefaultConfig()
			if err := ApplyEnv(&cfg, []string{env + "=" + v}); err != nil {
				t.Fatal(err)
			}
			err := cfg.Validate(false)
			if (err == nil) != (v != "bogus") {
				t.Errorf("%s=%s: Validate = %v", env, v, err)
			}
		}
	}
	// Sizes and durations: the schema's patterns accept what the parsers
	// accept for the documented forms.
	for _, s := range []string{"16MiB", "1GiB", "512", "1.5KiB", "16MB", "0"} {
		if _, err := ParseSize(s); err != nil || !reMatch(t, sizePattern, s) {
			t.Errorf("size %q: parse %v, pattern %v", s, err, reMatch(t, sizePattern, s))
		}
	}
	for _, s := range []string{"30s", "24h", "1h30m", "0", "1.5h", "250ms"} {
		var d Duration
		if err := d.Set(s); err != nil || !reMatch(t, durationPattern, s) {
			t.Errorf("duration %q: parse %v, pattern %v", s, err, reMatch(t, durationPattern, s))
		}
	}
	for _, s := range []string{"-1h", "daily", "1d"} {
		if reMatch(t, durationPattern, s) {
			t.Errorf("duration pattern accepts %q", s)
		}
	}
}

func reMatch(t *testing.T, pattern, s string) bool {
	t.Helper()
	re, err := regexp.Compile(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return re.MatchString(s)
}

// TestFieldDocs_Complete: every field has a description, and fields
// sharing one comment ("Keytab and Principal ...") get it.
func TestFieldDocs_Complete(t *testing.T) {
	t.Parallel()
	docs, err := fieldDocs()
	if err != nil {
		t.Fatal(err)
	}
	for name, st := range structTypes() {
		for i := range st.NumField() {
			if docs[name+"."+st.Field(i).Name] == "" {
				t.Errorf("%s.%s has no doc comment", name, st.Field(i).Name)
			}
		}
	}
	if docs["HDFSConfig.Principal"] != docs["HDFSConfig.Keytab"] || !strings.Contains(docs["HDFSConfig.Principal"], "Kerberos") {
		t.Errorf("Principal doc = %q", docs["HDFSConfig.Principal"])
	}
}

// FuzzSchemaAgreesWithParser: whatever the schema accepts, the Go parser
// accepts too, so `shoal config validate` never passes a file serve
// rejects while parsing. Check must never panic.
func FuzzSchemaAgreesWithParser(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yml", "testdata/bad/*.yaml", "../deploy/config/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = Check(data, CheckOptions{Production: true})
		doc, problems := parseDocument(data)
		if problems != nil {
			return
		}
		if schemaCheck(doc) != nil {
			return
		}
		cfg := DefaultConfig()
		if err := Parse(data, &cfg); err != nil {
			t.Fatalf("the schema accepts a file the parser rejects: %v\n%s", err, data)
		}
	})
}
