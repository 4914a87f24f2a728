package export

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aiplan-dev/aiplan/safefile"
)

func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// Twenty exports of one plan into one folder at once all succeed, leave no
// temp files, and leave a complete, consistent export.
func TestWrite_ConcurrentExportsIntoOneFolder(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p := examplePlan(t, "eu-enterprise.yaml")
			_, _, errs[i] = Write(p, dir, []string{"all"})
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("export %d: %v", i, err)
		}
	}
	var m manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil || json.Unmarshal(b, &m) != nil {
		t.Fatalf("manifest: %v", err)
	}
	want := append(append([]string{}, m.Files...), ManifestName)
	sort.Strings(want)
	if got := tree(t, dir); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("folder holds %v, manifest %v", got, want)
	}
}

// A re-export removes the files the previous export wrote and this one
// does not, and nothing else.
func TestWrite_ManifestRemovesOnlyOwnStaleFiles(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "out")
	p := examplePlan(t, "eu-enterprise.yaml")
	if _, _, err := Write(p, dir, []string{"all"}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "k8s", "mine.yaml"), []byte("user file"), 0o644)
	os.WriteFile(filepath.Join(base, "outside"), []byte("keep"), 0o644)
	// A tampered manifest cannot reach outside the folder.
	var m manifest
	b, _ := os.ReadFile(filepath.Join(dir, ManifestName))
	json.Unmarshal(b, &m)
	m.Files = append(m.Files, "../outside", "/etc/hostname")
	b, _ = json.Marshal(m)
	os.WriteFile(filepath.Join(dir, ManifestName), b, 0o644)

	p = examplePlan(t, "eu-enterprise.yaml")
	if _, _, err := Write(p, dir, []string{"prometheus"}); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(tree(t, dir), ",")
	if want := ManifestName + ",k8s/mine.yaml,prometheus/rules.yaml,report.html,report.md"; got != want {
		t.Errorf("after re-export: %s, want %s", got, want)
	}
	if b, _ := os.ReadFile(filepath.Join(base, "outside")); string(b) != "keep" {
		t.Error("file outside removed")
	}
}

func TestWrite_RefusesSymlinkedSubfolderAndLeavesNothing(t *testing.T) {
	base := t.TempDir()
	dir, elsewhere := filepath.Join(base, "out"), filepath.Join(base, "elsewhere")
	os.MkdirAll(dir, 0o755)
	os.MkdirAll(elsewhere, 0o755)
	os.Symlink(elsewhere, filepath.Join(dir, "k8s"))
	_, _, err := Write(examplePlan(t, "eu-enterprise.yaml"), dir, []string{"all"})
	var re *safefile.RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("not refused: %v", err)
	}
	if got := tree(t, elsewhere); len(got) != 0 {
		t.Errorf("wrote outside: %v", got)
	}
	if got := tree(t, dir); len(got) != 0 {
		t.Errorf("partial export: %v", got)
	}
}
