// Package kindgen writes kinds_gen.go, the Go side of liblxd's table of
// kinds, from the library itself: lxd_kind_info for every kind from 0 to
// LXD_KIND_COUNT-1. `go generate` runs it through ../genkinds; the suite
// runs it in memory and fails when the committed file differs.
package kindgen

/*
#cgo pkg-config: liblxd
#include <lxd.h>
*/
import "C"

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/format"
	"strings"
	"text/template"
)

// Info is what the generator takes from lxd_kind_info.
type Info struct {
	Kind          int    `json:"kind"`
	Class         string `json:"class"`
	CName         string `json:"c_name"`
	Parent        *int   `json:"parent"`
	VariantOf     *int   `json:"variant_of"`
	Endpoint      string `json:"endpoint"`
	Key           string `json:"key"`
	ProjectScoped bool   `json:"project_scoped"`
	// Singleton: a kind of one object per server, keyed by nothing (the
	// Server, the Cluster): its Client accessor returns that object, not a
	// manager.
	Singleton bool `json:"singleton"`
}

// Count is LXD_KIND_COUNT of the header the binding is built with.
func Count() int { return int(C.LXD_KIND_COUNT) }

// Load describes every kind, 0 to LXD_KIND_COUNT-1, with lxd_kind_info.
func Load() ([]Info, error) {
	infos := make([]Info, Count())
	for k := range infos {
		var out *C.char
		if st := C.lxd_kind_info(C.lxd_kind(k), &out); st != C.LXD_OK {
			return nil, fmt.Errorf("lxd_kind_info(%d): %s", k, C.GoString(C.lxd_status_name(st)))
		}
		doc := C.GoString(out)
		C.lxd_string_free(out)
		if err := json.Unmarshal([]byte(doc), &infos[k]); err != nil {
			return nil, fmt.Errorf("lxd_kind_info(%d): %v", k, err)
		}
		if infos[k].Kind != k || infos[k].Class == "" || infos[k].CName == "" {
			return nil, fmt.Errorf("lxd_kind_info(%d) describes another kind: %s", k, doc)
		}
	}
	return infos, nil
}

// Generate gives the source of kinds_gen.go for the library in use.
func Generate() ([]byte, error) {
	infos, err := Load()
	if err != nil {
		return nil, err
	}
	return Render(infos)
}

// managerTypes are the kinds whose manager has methods of its own.
var managerTypes = map[string]string{"Image": "ImageManager"}

type row struct {
	Info
	Const    string // KindContainer
	CConst   string // LXD_KIND_CONTAINER
	Accessor string // Containers (on *Client) or Snapshots (on *Object)
	Manager  string // Manager, ImageManager or ChildManager
	ParentC  string // the parent's Go constant, or ""
	VariantC string // the Go constant of the kind it is a variant of, or ""
	Desc     string // "Container objects (/1.0/containers, keyed by name)"
	// Kinds are the child kinds one Object accessor reaches, by the
	// parent's kind (Snapshots: an instance's or a volume's), set on the
	// accessor's first row only; Dup marks the others.
	Kinds []string
	Dup   bool
}

// plural is the English plural of a class name, for its accessor:
// Instances, ImageAliases, StoragePools.
func plural(name string) string {
	for _, end := range []string{"s", "x", "ch", "sh"} {
		if strings.HasSuffix(name, end) {
			return name + "es"
		}
	}
	return name + "s"
}

// Render writes kinds_gen.go for the kinds described.
func Render(infos []Info) ([]byte, error) {
	rows := make([]row, len(infos))
	for i, in := range infos {
		rows[i] = row{Info: in, Const: "Kind" + in.Class, CConst: "LXD_KIND_" + strings.ToUpper(in.CName), Manager: "Manager"}
	}
	for i := range rows {
		r := &rows[i]
		r.Accessor = plural(r.Class)
		if m, ok := managerTypes[r.Class]; ok {
			r.Manager = m
		}
		if r.Parent != nil {
			if *r.Parent < 0 || *r.Parent >= len(rows) {
				return nil, fmt.Errorf("%s: parent %d is no kind", r.Class, *r.Parent)
			}
			p := rows[*r.Parent]
			r.ParentC = p.Const
			r.Accessor = plural(strings.TrimPrefix(r.Class, p.Class))
			r.Manager = "ChildManager"
		}
		if r.VariantOf != nil {
			if *r.VariantOf < 0 || *r.VariantOf >= len(rows) {
				return nil, fmt.Errorf("%s: variant_of %d is no kind", r.Class, *r.VariantOf)
			}
			r.VariantC = rows[*r.VariantOf].Const
		}
		key := r.Key
		if key == "id" {
			key = "operation id"
		}
		r.Desc = fmt.Sprintf("%s objects (%s, keyed by %s)", r.Class, r.Endpoint, key)
		if r.Singleton != (r.Key == "") || (r.Singleton && r.Parent != nil) {
			return nil, fmt.Errorf("%s: singleton %v with the key %q and parent %v", r.Class, r.Singleton, r.Key, r.Parent)
		}
		if r.Singleton {
			r.Accessor = r.Class
			r.Desc = fmt.Sprintf("the %s object (%s)", r.Class, r.Endpoint)
		}
	}
	// One Client accessor per top-level kind; an Object accessor may serve
	// child kinds of different parents (it picks by the object's kind), but
	// never two of one parent.
	seen := map[string]int{}
	for i := range rows {
		r := &rows[i]
		scope := "Client"
		if r.ParentC != "" {
			scope = "Object"
		}
		j, ok := seen[scope+"."+r.Accessor]
		if !ok {
			seen[scope+"."+r.Accessor] = i
			r.Kinds = []string{r.Const}
			continue
		}
		first := &rows[j]
		if scope == "Client" || *first.Parent == *r.Parent {
			return nil, fmt.Errorf("%s and %s would both be reached with %s.%s", first.Class, r.Class, scope, r.Accessor)
		}
		first.Kinds = append(first.Kinds, r.Const)
		r.Dup = true
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, rows); err != nil {
		return nil, err
	}
	src, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("generated source does not parse: %v\n%s", err, buf.Bytes())
	}
	return src, nil
}

var tmpl = template.Must(template.New("kinds").Parse(`// Code generated by "go run ./internal/genkinds" from liblxd's lxd_kind_info; DO NOT EDIT.

package lxd

// #include <lxd.h>
import "C"

// The kinds of objects, one per lxd_kind; their values are the C API's.
const (
{{- range .}}
	// {{.Const}}: {{.Desc}}{{if .ParentC}}, under a {{.ParentC}} object{{end}}{{if .VariantC}}, a variant of {{.VariantC}}{{end}}.
	{{.Const}} Kind = C.{{.CConst}} // {{.Kind}}
{{- end}}
)

// kindCount is LXD_KIND_COUNT as this file was generated.
const kindCount = {{len .}}

// kindTable has one row per kind, in the order of their values.
var kindTable = [kindCount]kindRow{
{{- range .}}
	{kind: {{.Const}}, class: {{printf "%q" .Class}}, cName: {{printf "%q" .CName}}, parent: {{if .ParentC}}{{.ParentC}}{{else}}-1{{end}}, variantOf: {{if .VariantC}}{{.VariantC}}{{else}}-1{{end}}},
{{- end}}
}
{{range .}}{{if .Dup}}{{else if and .ParentC (gt (len .Kinds) 1)}}
// {{.Accessor}} manages the child objects of this kind's {{.Accessor}}: {{range $i, $k := .Kinds}}{{if $i}}, {{end}}{{$k}}{{end}}, by this object's kind (the first for an object of none of their parents' kinds).
func (o *Object) {{.Accessor}}() *ChildManager { return o.childrenOf({{range $i, $k := .Kinds}}{{if $i}}, {{end}}{{$k}}{{end}}) }
{{else if .ParentC}}
// {{.Accessor}} manages the {{.Desc}} under this object (an object of {{.ParentC}} or a variant of it).
func (o *Object) {{.Accessor}}() *ChildManager { return o.Children({{.Const}}) }
{{else if .Singleton}}
// {{.Accessor}} reads {{.Desc}}: a singleton, loaded afresh by each call.
func (c *Client) {{.Accessor}}() (*Object, error) { return c.singleton({{.Const}}) }
{{else if eq .Manager "Manager"}}
// {{.Accessor}} manages {{.Desc}}.
func (c *Client) {{.Accessor}}() *Manager { return c.Manager({{.Const}}) }
{{else}}
// {{.Accessor}} manages {{.Desc}}.
func (c *Client) {{.Accessor}}() *{{.Manager}} { return &{{.Manager}}{c.Manager({{.Const}})} }
{{end}}{{end}}`))
