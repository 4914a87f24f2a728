package pricefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aiplan-dev/aiplan/catalog"
	"github.com/goccy/go-yaml"
)

// ReadOverlay parses an existing overlay file; a missing file is an empty
// overlay.
func ReadOverlay(path string) (*catalog.File, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &catalog.File{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read overlay %s: %w", path, err)
	}
	return catalog.Parse(b, path)
}

// MergeOverlay adds the imported entries to an overlay (an entry with the
// same id is replaced) and records the import.
func MergeOverlay(ov *catalog.File, entries []*catalog.Instance, info *catalog.ImportInfo) *catalog.File {
	out := *ov
	out.Instances = append([]*catalog.Instance(nil), ov.Instances...)
	idx := map[string]int{}
	for i, in := range out.Instances {
		idx[strings.ToLower(in.ID)] = i
	}
	for _, e := range entries {
		if i, ok := idx[strings.ToLower(e.ID)]; ok {
			out.Instances[i] = e
			continue
		}
		idx[strings.ToLower(e.ID)] = len(out.Instances)
		out.Instances = append(out.Instances, e)
	}
	out.Imports = append(append([]*catalog.ImportInfo(nil), ov.Imports...), info)
	return &out
}

// Marshal renders an overlay as YAML that catalog.Parse reads back.
func Marshal(ov *catalog.File) ([]byte, error) {
	b, err := yaml.MarshalWithOptions(ov, yaml.UseLiteralStyleIfMultiline(false))
	if err != nil {
		return nil, err
	}
	header := "# Catalog overlay written by `aiplan catalog import`; use it with --catalog.\n" +
		"# Each instance's source names the imported file, its date and sha256.\n"
	return append([]byte(header), b...), nil
}

// WriteAtomic writes b to path through a temporary file in the same
// directory and a rename, so a failed import leaves the old file intact.
func WriteAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".aiplan-overlay-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// GCPShapes collects the machine shapes of a catalog's GCP instance types.
func GCPShapes(f *catalog.File) map[string]Shape {
	out := map[string]Shape{}
	for _, in := range f.Instances {
		if in.Cloud != "gcp" {
			continue
		}
		s := out[in.InstanceType]
		s.VCPUs, s.MemoryGiB, s.Accelerator, s.Count = in.VCPUs, in.MemoryGiB, in.Accelerator, in.AcceleratorCount
		s.Regions = append(s.Regions, in.Region)
		out[in.InstanceType] = s
	}
	return out
}
