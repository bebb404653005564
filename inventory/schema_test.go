package inventory

import (
	"bytes"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// compiledSchema compiles Schema() with format assertions on, so a bad
// waiver date fails too.
func compiledSchema(t *testing.T) (*jsonschema.Schema, map[string]any) {
	t.Helper()
	raw, err := Schema()
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	require.NoError(t, c.AddResource("inventory.schema.json", doc))
	sch, err := c.Compile("inventory.schema.json")
	require.NoError(t, err)
	obj, ok := doc.(map[string]any)
	require.True(t, ok)
	assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", obj["$schema"])
	return sch, obj
}

// yamlInstance converts an inventory in YAML to the JSON value a YAML
// language server validates.
func yamlInstance(t *testing.T, src []byte) any {
	t.Helper()
	j, err := yaml.YAMLToJSON(src)
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	require.NoError(t, err)
	return inst
}

func TestSchemaAcceptsStartersAndGoodInventories(t *testing.T) {
	sch, _ := compiledSchema(t)
	for _, m := range Models {
		src, err := Starter(m)
		require.NoError(t, err)
		assert.NoError(t, sch.Validate(yamlInstance(t, src)), "starter %s", m)
	}
	good, err := filepath.Glob(filepath.Join("testdata", "good", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, good)
	for _, f := range good {
		src := readFile(t, f)
		assert.NoError(t, sch.Validate(yamlInstance(t, src)), f)
	}
}

func TestSchemaRejects(t *testing.T) {
	sch, _ := compiledSchema(t)
	head := `deployment: lab
model: manual-cutover
domain: ACME.LOCAL
database: {snapshot: db.json, server: sql01}
`
	base := head + `nodes:
  - {name: tms01, role: primary, transport: {kind: dir, path: nodes/tms01}}
`
	require.NoError(t, sch.Validate(yamlInstance(t, []byte(base))), "the base case is valid")
	noDB := "deployment: lab\nmodel: single\nnodes: [{name: a, role: primary, transport: {kind: local}}]\n"
	tests := map[string]struct{ src, why string }{
		"unknown top-level key":             {base + "colour: blue\n", "additional properties 'colour' not allowed"},
		"unknown nested key":                {base + "  - {name: tms02, role: standby, adress: x, transport: {kind: local}}\n", "additional properties 'adress' not allowed"},
		"unknown model":                     {strings.Replace(base, "manual-cutover", "cluster", 1), "at '/model': value must be one of"},
		"unknown role":                      {base + "  - {name: tms02, role: master, transport: {kind: local}}\n", "at '/nodes/1/role': value must be one of"},
		"unknown kind":                      {base + "  - {name: tms02, role: standby, transport: {kind: rdp}}\n", "at '/nodes/1/transport/kind': value must be one of"},
		"dir without path":                  {base + "  - {name: tms02, role: standby, transport: {kind: dir}}\n", "at '/nodes/1/transport': missing property 'path'"},
		"node without name":                 {base + "  - {role: standby, transport: {kind: local}}\n", "at '/nodes/1': missing property 'name'"},
		"no nodes":                          {head + "nodes: []\n", "at '/nodes': minItems"},
		"negative limit":                    {base + "time: {max_offset_ms: -1}\n", "at '/time/max_offset_ms': minimum"},
		"both database sources":             {noDB + "database: {snapshot: db.json, dsn_env: DSN, server: sql01}\n", "at '/database': 'oneOf' failed, subschemas 0, 1 matched"},
		"no database source":                {noDB + "database: {server: sql01}\n", "at '/database': 'oneOf' failed, none matched"},
		"no database server":                {noDB + "database: {snapshot: db.json}\n", "at '/database': missing property 'server'"},
		"multi-server no domain":            {strings.Replace(base, "domain: ACME.LOCAL\n", "", 1), "missing property 'domain'"},
		"public systems without dns_public": {base + "public_systems: true\n", "missing property 'addresses'"},
		"waiver without reason":             {base + "waivers: [{rule: time.synced, expires: 2026-12-31}]\n", "at '/waivers/0': missing property 'reason'"},
		"waiver with a bad date":            {base + "waivers: [{rule: time.synced, reason: r, expires: 31/12/2026}]\n", "'31/12/2026' is not valid date"},
	}
	for name, tt := range tests {
		err := sch.Validate(yamlInstance(t, []byte(tt.src)))
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), tt.why, name)
	}
}

// TestSchemaPropertiesAreTheYAMLKeys keeps the schema and the Go types in
// step: the same keys at the same places, every object closed, every key
// described.
func TestSchemaPropertiesAreTheYAMLKeys(t *testing.T) {
	_, doc := compiledSchema(t)
	var fromSchema []string
	var walkSchema func(s map[string]any, path string)
	walkSchema = func(s map[string]any, path string) {
		if items, ok := s["items"].(map[string]any); ok {
			walkSchema(items, path+"[]")
		}
		props, ok := s["properties"].(map[string]any)
		if !ok {
			return
		}
		assert.Equal(t, false, s["additionalProperties"], "additionalProperties at %q", path)
		for k, v := range props {
			p := childPath(path, k)
			fromSchema = append(fromSchema, p)
			sub, ok := v.(map[string]any)
			require.True(t, ok)
			assert.NotEmpty(t, sub["description"], "description of %s", p)
			walkSchema(sub, p)
		}
	}
	walkSchema(doc, "")

	var fromTypes []string
	var walkType func(t reflect.Type, path string)
	walkType = func(typ reflect.Type, path string) {
		switch {
		case typ == dateType:
		case typ.Kind() == reflect.Slice:
			walkType(typ.Elem(), path+"[]")
		case typ.Kind() == reflect.Struct:
			for f := range typ.Fields() {
				if name := yamlName(f); name != "" {
					p := childPath(path, name)
					fromTypes = append(fromTypes, p)
					walkType(f.Type, p)
				}
			}
		}
	}
	walkType(reflect.TypeFor[Inventory](), "")

	slices.Sort(fromSchema)
	slices.Sort(fromTypes)
	assert.Equal(t, fromTypes, fromSchema)
	described := maps.Clone(schemaDescriptions)
	maps.Copy(described, notifySchemaDescriptions)
	assert.Equal(t, fromTypes, slices.Sorted(maps.Keys(described)), "schemaDescriptions (with notifySchemaDescriptions) has exactly the keys")
	assert.Contains(t, fromTypes, "nodes[].transport.kind", "the walk reaches nested keys")
}

// TestSchemaRequiredMatchesLoader: the keys the loader insists on are
// required in the schema as well.
func TestSchemaRequiredMatchesLoader(t *testing.T) {
	_, doc := compiledSchema(t)
	required := func(path ...string) []any {
		s := doc
		for _, p := range path {
			next, ok := s[p].(map[string]any)
			require.True(t, ok, "schema path %v", path)
			s = next
		}
		r, _ := s["required"].([]any)
		return r
	}
	assert.ElementsMatch(t, []any{"deployment", "model", "database", "nodes"}, required())
	assert.ElementsMatch(t, []any{"server"}, required("properties", "database"))
	assert.ElementsMatch(t, []any{"name", "role", "transport"}, required("properties", "nodes", "items"))
	assert.ElementsMatch(t, []any{"kind"}, required("properties", "nodes", "items", "properties", "transport"))
	assert.ElementsMatch(t, []any{"rule", "reason", "expires"}, required("properties", "waivers", "items"))
}
