package catalog

import (
	"fmt"
	"strings"
)

// ImportInfo is the provenance of an overlay written by `aiplan catalog
// import`: the files the prices came from, with their dates and hashes.
type ImportInfo struct {
	Format     string         `yaml:"format" json:"format"`
	ImportedAt string         `yaml:"imported_at" json:"imported_at"`
	Files      []ImportSource `yaml:"files" json:"files"`
	// Entries is how many instance entries the import added or changed.
	Entries int `yaml:"entries" json:"entries"`
	// Overlay is the overlay file it was loaded from (set by Load).
	Overlay string `yaml:"-" json:"overlay,omitempty"`
}

// ImportSource is one imported file.
type ImportSource struct {
	Name string `yaml:"name" json:"name"`
	// Date is the file's own publication or effective date when it states
	// one, else the file's modification time (YYYY-MM-DD).
	Date   string `yaml:"date" json:"date"`
	SHA256 string `yaml:"sha256" json:"sha256"`
}

// Imports returns the provenance of the imported overlays the catalog was
// loaded with, in load order.
func (c *Catalog) Imports() []*ImportInfo { return c.imports }

// Assumptions returns one sentence per imported overlay, for a plan's
// assumptions: which files the prices came from, their dates and hashes.
func (c *Catalog) Assumptions() []string {
	var out []string
	for _, im := range c.imports {
		var files []string
		for _, f := range im.Files {
			h := f.SHA256
			if len(h) > 12 {
				h = h[:12]
			}
			files = append(files, fmt.Sprintf("%s (dated %s, sha256 %s)", f.Name, f.Date, h))
		}
		out = append(out, fmt.Sprintf("Prices of %d instance entries come from an import of %s (%s, imported %s, overlay %s); they override the embedded catalog.",
			im.Entries, strings.Join(files, ", "), im.Format, im.ImportedAt, im.Overlay))
	}
	return out
}
