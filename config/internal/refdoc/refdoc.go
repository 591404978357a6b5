// Package refdoc renders the settings reference of the configuration guide
// from the JSON Schema of the config file, so that the guide lists every
// setting the schema has, with the same descriptions.
package refdoc

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/shoalhq/shoal/config"
)

// Begin and End delimit the generated reference in the guide.
const (
	Begin = "<!-- BEGIN GENERATED SETTINGS REFERENCE: make config-schema -->"
	End   = "<!-- END GENERATED SETTINGS REFERENCE -->"
)

// Setting is one leaf setting of the schema.
type Setting struct {
	Path        string // e.g. catalogs[].hdfs.keytab
	Type        string
	Default     string
	Env         string // the SHOAL_* variable, or "" for list items
	Description string
}

type schema struct {
	Ref         string             `json:"$ref"`
	Type        any                `json:"type"`
	Description string             `json:"description"`
	Default     any                `json:"default"`
	Enum        []string           `json:"enum"`
	Pattern     string             `json:"pattern"`
	Minimum     *float64           `json:"minimum"`
	Maximum     *float64           `json:"maximum"`
	Properties  map[string]*schema `json:"properties"`
	Items       *schema            `json:"items"`
	Defs        map[string]*schema `json:"$defs"`
}

// Settings lists the leaf settings of the schema in path order.
func Settings(schemaJSON []byte) ([]Setting, error) {
	var root schema
	if err := json.Unmarshal(schemaJSON, &root); err != nil {
		return nil, fmt.Errorf("refdoc: %w", err)
	}
	cfg := config.DefaultConfig()
	env := map[string]string{}
	for _, ev := range config.EnvVars(&cfg) {
		env[ev.Field] = ev.Name
	}
	var out []Setting
	var walk func(s *schema, path string, inList bool) error
	walk = func(s *schema, path string, inList bool) error {
		keys := make([]string, 0, len(s.Properties))
		for k := range s.Properties {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := s.Properties[k]
			full := k
			if path != "" {
				full = path + "." + k
			}
			target := p
			if name, ok := strings.CutPrefix(p.Ref, "#/$defs/"); ok {
				if target = root.Defs[name]; target == nil {
					return fmt.Errorf("refdoc: %s: no $defs/%s", full, name)
				}
			}
			if target.Properties != nil {
				if err := walk(target, full, inList); err != nil {
					return err
				}
				continue
			}
			if p.Items != nil {
				item := p.Items
				if name, ok := strings.CutPrefix(item.Ref, "#/$defs/"); ok && root.Defs[name] != nil && root.Defs[name].Properties != nil {
					if err := walk(root.Defs[name], full+"[]", true); err != nil {
						return err
					}
					continue
				}
			}
			st := Setting{Path: full, Type: typeOf(p, target), Description: p.Description}
			if p.Default != nil {
				st.Default = fmt.Sprint(p.Default)
				if list, ok := p.Default.([]any); ok {
					st.Default = fmt.Sprint(list...)
				}
			}
			if !inList {
				st.Env = env[full]
			}
			out = append(out, st)
		}
		return nil
	}
	if err := walk(&root, "", false); err != nil {
		return nil, err
	}
	return out, nil
}

func typeOf(p, target *schema) string {
	switch p.Ref {
	case "#/$defs/Size":
		return "size"
	case "#/$defs/Duration":
		return "duration"
	}
	t := fmt.Sprint(target.Type)
	if t == "array" && target.Items != nil {
		return "list of " + typeOf(target.Items, target.Items)
	}
	if len(target.Enum) > 0 {
		return "one of " + strings.Join(target.Enum, ", ")
	}
	switch {
	case target.Minimum != nil && target.Maximum != nil:
		t += fmt.Sprintf(" (%g to %g)", *target.Minimum, *target.Maximum)
	case target.Minimum != nil:
		t += fmt.Sprintf(" (≥ %g)", *target.Minimum)
	}
	return t
}

// Markdown renders the reference: one table per top-level section.
func Markdown(schemaJSON []byte) (string, error) {
	settings, err := Settings(schemaJSON)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(Begin + "\n")
	section := ""
	for _, s := range settings {
		top, _, _ := strings.Cut(s.Path, ".")
		top = strings.TrimSuffix(top, "[]")
		if top != section {
			section = top
			fmt.Fprintf(&b, "\n### %s\n\n", section)
			b.WriteString("| Setting | Type | Default | Environment | Description |\n")
			b.WriteString("|---|---|---|---|---|\n")
		}
		env := "file only"
		if s.Env != "" {
			env = "`" + s.Env + "`"
		}
		def := ""
		if s.Default != "" {
			def = "`" + s.Default + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", s.Path, cell(s.Type), def, env, cell(s.Description))
	}
	b.WriteString("\n" + End + "\n")
	return b.String(), nil
}

var cellEscaper = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "\n", " ")

func cell(s string) string { return cellEscaper.Replace(s) }

// Replace puts the reference between the markers of guide.
func Replace(guide, reference string) (string, error) {
	i := strings.Index(guide, Begin)
	j := strings.Index(guide, End)
	if i < 0 || j < i {
		return "", fmt.Errorf("refdoc: the guide lacks the %q and %q markers", Begin, End)
	}
	return guide[:i] + reference + strings.TrimPrefix(guide[j+len(End):], "\n"), nil
}
