package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/aiplan-dev/aiplan/plan"
)

// Write renders the plan in one format straight to w, without building the
// whole output in memory first. JSON is encoded one top-level field, and
// one workload, at a time; the bytes are those of json.Encoder with a
// two-space indent.
func Write(w io.Writer, p *plan.Plan, format string) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	switch format {
	case "table", "":
		Table(bw, p)
	case "json":
		if err := streamJSON(bw, p); err != nil {
			return err
		}
	case "md", "markdown":
		Markdown(bw, p)
	case "html":
		HTML(bw, p)
	default:
		return fmt.Errorf("unknown format %q: allowed: %s", format, strings.Join(Formats, ", "))
	}
	return bw.Flush()
}

// streamJSON writes p as json.Encoder with SetIndent("", "  ") would,
// holding at most one top-level field or one workload encoded at a time.
func streamJSON(w *bufio.Writer, p *plan.Plan) error {
	rv := reflect.ValueOf(p).Elem()
	rt := rv.Type()
	w.WriteString("{")
	n := 0
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		fv := rv.Field(i)
		if strings.Contains(","+opts+",", ",omitempty,") && empty(fv) {
			continue
		}
		if n > 0 {
			w.WriteString(",")
		}
		n++
		key, _ := json.Marshal(name)
		w.WriteString("\n  ")
		w.Write(key)
		w.WriteString(": ")
		if fv.Kind() == reflect.Slice && !fv.IsNil() && fv.Len() > 0 {
			w.WriteString("[")
			for j := 0; j < fv.Len(); j++ {
				if j > 0 {
					w.WriteString(",")
				}
				w.WriteString("\n    ")
				b, err := json.MarshalIndent(fv.Index(j).Interface(), "    ", "  ")
				if err != nil {
					return err
				}
				w.Write(b)
			}
			w.WriteString("\n  ]")
			continue
		}
		b, err := json.MarshalIndent(fv.Interface(), "  ", "  ")
		if err != nil {
			return err
		}
		w.Write(b)
	}
	if n > 0 {
		w.WriteString("\n")
	}
	_, err := w.WriteString("}\n")
	return err
}

// empty is encoding/json's omitempty test.
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}
