package catalog

import (
	"regexp"
	"testing"
)

// TestModels_HFRepoIsARepositoryID: hf_repo is empty or an org/name
// Hugging Face repository id, and no two models share one.
func TestModels_HFRepoIsARepositoryID(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$`)
	c := MustDefault()
	seen := map[string]string{}
	n := 0
	for _, m := range c.Models {
		if m.HFRepo == "" {
			continue
		}
		n++
		if !re.MatchString(m.HFRepo) {
			t.Errorf("%s: hf_repo %q is not org/name", m.ID, m.HFRepo)
		}
		if other, ok := seen[m.HFRepo]; ok {
			t.Errorf("%s and %s share hf_repo %s", m.ID, other, m.HFRepo)
		}
		seen[m.HFRepo] = m.ID
	}
	if n < 40 {
		t.Errorf("only %d models carry their Hugging Face repository", n)
	}
}
