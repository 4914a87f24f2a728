package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/aiplan-dev/aiplan/plan"
	"github.com/aiplan-dev/aiplan/spec"
)

// The streamed JSON is byte for byte what encoding/json writes for the
// whole plan, for every example.
func TestWriteJSON_SameBytesAsEncoder(t *testing.T) {
	cat := catalog.MustDefault()
	files, _ := filepath.Glob("../examples/*.yaml")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		sf, ds := spec.Load(b, f, cat)
		if ds.HasErrors() {
			t.Fatal(ds.Err())
		}
		p := plan.Build(sf, cat)
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(p); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := Write(&got, p, "json"); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: streamed JSON differs (%d vs %d bytes)", f, got.Len(), want.Len())
		}
	}
}
