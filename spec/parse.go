package spec

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aiplan-dev/aiplan/diag"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// MaxFileBytes bounds the size of a workload file.
const MaxFileBytes = 8 << 20

// Parsed is a decoded file with the position of every field path.
type Parsed struct {
	File *File
	Name string
	pos  map[string][2]int
}

// Position returns the line and column of a field path (or of its nearest
// parent that has one).
func (p *Parsed) Position(path string) (int, int) {
	for path != "" {
		if lc, ok := p.pos[path]; ok {
			return lc[0], lc[1]
		}
		i := strings.LastIndexAny(path, ".[")
		if i <= 0 {
			break
		}
		path = path[:i]
	}
	return 0, 0
}

// Parse decodes a workload file strictly: unknown fields, wrong types and
// non-finite numbers are errors with their line and column, all reported
// at once. Parse does not check values; Validate does.
func Parse(b []byte, name string) (parsed *Parsed, ds diag.Diagnostics) {
	defer func() {
		if r := recover(); r != nil {
			parsed, ds = nil, diag.Diagnostics{{Severity: diag.Error, File: name, Summary: fmt.Sprintf("malformed YAML (%v)", r)}}
		}
	}()
	p := &Parsed{File: &File{}, Name: name, pos: map[string][2]int{}}
	if len(b) > MaxFileBytes {
		return nil, diag.Diagnostics{{Severity: diag.Error, File: name, Summary: fmt.Sprintf("file is %d bytes; workload files are limited to %d bytes", len(b), MaxFileBytes)}}
	}
	b = bytes.TrimPrefix(b, []byte(bom))
	if !utf8.Valid(b) {
		i := 0
		for i < len(b) {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			i += size
		}
		return nil, diag.Diagnostics{{Severity: diag.Error, File: name, Line: bytes.Count(b[:i], []byte("\n")) + 1, Col: i - bytes.LastIndexByte(b[:i], '\n'), Summary: fmt.Sprintf("invalid UTF-8 at byte %d", i), Allowed: "UTF-8 text"}}
	}
	if strings.TrimSpace(string(b)) == "" {
		return nil, diag.Diagnostics{{Severity: diag.Error, File: name, Summary: "file is empty; start from one of the files in examples/"}}
	}
	tokens, le := tokenize(string(b))
	if le != nil {
		return nil, diag.Diagnostics{{Severity: diag.Error, File: name, Line: le.Line, Col: le.Col, Summary: le.Msg}}
	}
	f, err := parser.Parse(tokens, 0)
	if err != nil {
		d := diag.Diagnostic{Severity: diag.Error, File: name, Summary: "malformed YAML: " + firstLine(err.Error())}
		if l, c, ok := errPosition(err.Error()); ok {
			d.Line, d.Col = l, c
		}
		return nil, diag.Diagnostics{d}
	}
	if len(f.Docs) != 1 || f.Docs[0] == nil || f.Docs[0].Body == nil {
		return nil, diag.Diagnostics{{Severity: diag.Error, File: name, Summary: "expected exactly one YAML document"}}
	}
	d := &decoder{name: name, pos: p.pos}
	d.value(f.Docs[0].Body, reflect.ValueOf(p.File).Elem(), "")
	return p, d.diags
}

type decoder struct {
	name  string
	pos   map[string][2]int
	diags diag.Diagnostics
	depth int
}

func (d *decoder) errAt(n ast.Node, path, summary, value, allowed string) {
	tk := n.GetToken()
	dg := diag.Diagnostic{Severity: diag.Error, File: d.name, Path: path, Summary: summary, Value: value, Allowed: allowed}
	if tk != nil && tk.Position != nil {
		dg.Line, dg.Col = tk.Position.Line, tk.Position.Column
	}
	if len(d.diags) == MaxDiagnostics {
		dg = diag.Diagnostic{Severity: diag.Error, File: d.name, Summary: fmt.Sprintf("more than %d problems; fix these first", MaxDiagnostics)}
	} else if len(d.diags) > MaxDiagnostics {
		return
	}
	d.diags = append(d.diags, dg)
}

func unwrap(n ast.Node) ast.Node {
	for {
		switch t := n.(type) {
		case *ast.TagNode:
			if t.Value == nil {
				return nil
			}
			n = t.Value
		case *ast.AnchorNode:
			if t.Value == nil {
				return nil
			}
			n = t.Value
		default:
			return n
		}
	}
}

var modelRefType = reflect.TypeOf(ModelRef{})

func (d *decoder) value(n ast.Node, v reflect.Value, path string) {
	n = unwrap(n)
	if n == nil || reflect.ValueOf(n).IsNil() {
		return
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		if _, ok := d.pos[path]; !ok {
			d.pos[path] = [2]int{tk.Position.Line, tk.Position.Column}
		}
	}
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > MaxDepth {
		d.errAt(n, path, fmt.Sprintf("nesting deeper than %d levels (limit: depth)", MaxDepth), "", "")
		return
	}
	if _, ok := n.(*ast.AliasNode); ok {
		d.errAt(n, path, "YAML aliases are not supported in workload files", "", "write the value out")
		return
	}
	if _, ok := n.(*ast.NullNode); ok {
		return // null leaves the zero value: "not set"
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.value(n, v.Elem(), path)
	case reflect.Struct:
		if v.Type() == modelRefType {
			if s, ok := n.(*ast.StringNode); ok {
				v.FieldByName("ID").SetString(s.Value)
				return
			}
		}
		d.structValue(n, v, path)
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			d.errAt(n, path, "expected a list", short(n), "")
			return
		}
		if len(seq.Values) > MaxItemsPerList {
			d.errAt(n, path, "list too long (limit: items per list)", strconv.Itoa(len(seq.Values)), fmt.Sprintf("at most %d items", MaxItemsPerList))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
		for i, e := range seq.Values {
			d.value(e, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		m, ok := mapping(n)
		if !ok {
			d.errAt(n, path, "expected a mapping", short(n), "")
			return
		}
		out := reflect.MakeMap(v.Type())
		for _, kv := range m {
			k := keyString(kv.Key)
			ev := reflect.New(v.Type().Elem()).Elem()
			d.value(kv.Value, ev, join(path, k))
			out.SetMapIndex(reflect.ValueOf(k), ev)
		}
		v.Set(out)
	case reflect.String:
		switch s := n.(type) {
		case *ast.StringNode:
			v.SetString(s.Value)
		case *ast.LiteralNode:
			v.SetString(s.Value.Value)
		case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
			v.SetString(n.GetToken().Value)
		default:
			d.errAt(n, path, "expected a text value", short(n), "")
		}
	case reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			d.errAt(n, path, "expected true or false", short(n), "true, false")
			return
		}
		v.SetBool(b.Value)
	case reflect.Float64, reflect.Int:
		f, ok := number(n)
		if !ok {
			d.errAt(n, path, "expected a number", short(n), "a finite number such as 12, 1.5, 3e9 or 2T")
			return
		}
		if v.Kind() == reflect.Int {
			if f != math.Trunc(f) || math.Abs(f) > 1e15 {
				d.errAt(n, path, "expected a whole number", short(n), "")
				return
			}
			v.SetInt(int64(f))
			return
		}
		v.SetFloat(f)
	default:
		d.errAt(n, path, "unsupported value", short(n), "")
	}
}

func (d *decoder) structValue(n ast.Node, v reflect.Value, path string) {
	m, ok := mapping(n)
	if !ok {
		d.errAt(n, path, "expected a mapping of fields", short(n), strings.Join(fieldNames(v.Type()), ", "))
		return
	}
	seen := map[string]bool{}
	for _, kv := range m {
		k := keyString(kv.Key)
		fp := join(path, k)
		if seen[k] {
			d.errAt(kv.Key, fp, "duplicate field", k, "")
			continue
		}
		seen[k] = true
		idx := fieldIndex(v.Type(), k)
		if idx < 0 {
			d.errAt(kv.Key, fp, fmt.Sprintf("unknown field %q", k), "", strings.Join(fieldNames(v.Type()), ", "))
			continue
		}
		if tk := kv.Key.GetToken(); tk != nil && tk.Position != nil {
			d.pos[fp] = [2]int{tk.Position.Line, tk.Position.Column}
		}
		d.value(kv.Value, v.Field(idx), fp)
	}
}

func mapping(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch t := n.(type) {
	case *ast.MappingNode:
		return t.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{t}, true
	}
	return nil, false
}

func keyString(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	return k.GetToken().Value
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func short(n ast.Node) string {
	s := strings.TrimSpace(n.String())
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " ..."
	}
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return strconv.Quote(s)
}

// number reads integers, floats and quantity strings such as "3e9" or "2T".
func number(n ast.Node) (float64, bool) {
	var s string
	switch t := n.(type) {
	case *ast.IntegerNode:
		s = t.GetToken().Value
	case *ast.FloatNode:
		s = t.GetToken().Value
	case *ast.StringNode:
		s = t.Value
	default:
		return 0, false
	}
	v, err := ParseQuantity(s)
	return v, err == nil
}

// ParseQuantity parses a finite number with an optional k, M, B (or G) or T
// suffix: "3e9", "40e6", "2T", "300B", "1.5M", "1_000".
func ParseQuantity(s string) (float64, error) {
	t := strings.TrimSpace(strings.ReplaceAll(s, "_", ""))
	mult := 1.0
	if n := len(t); n > 1 {
		switch t[n-1] {
		case 'k', 'K':
			mult, t = 1e3, t[:n-1]
		case 'M':
			mult, t = 1e6, t[:n-1]
		case 'B', 'G':
			mult, t = 1e9, t[:n-1]
		case 'T':
			mult, t = 1e12, t[:n-1]
		}
	}
	if strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0o") {
		return 0, fmt.Errorf("not a decimal number: %q", s)
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v*mult, 0) {
		return 0, fmt.Errorf("not a finite number: %q", s)
	}
	return v * mult, nil
}

func jsonName(f reflect.StructField) string {
	return strings.Split(f.Tag.Get("json"), ",")[0]
}

func fieldIndex(t reflect.Type, name string) int {
	for i := 0; i < t.NumField(); i++ {
		if jsonName(t.Field(i)) == name {
			return i
		}
	}
	return -1
}

func fieldNames(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if n := jsonName(t.Field(i)); n != "" && n != "-" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// errPosition extracts "[line:col]" from a goccy/go-yaml error message.
func errPosition(s string) (int, int, bool) {
	i := strings.IndexByte(s, '[')
	j := strings.IndexByte(s, ']')
	if i < 0 || j < i {
		return 0, 0, false
	}
	parts := strings.Split(s[i+1:j], ":")
	if len(parts) != 2 {
		return 0, 0, false
	}
	l, err1 := strconv.Atoi(parts[0])
	c, err2 := strconv.Atoi(parts[1])
	return l, c, err1 == nil && err2 == nil
}
