package catalog

import (
	"sync"
	"testing"
)

// A loaded catalog's models carry their derived figures from load, and
// reading them writes nothing, so concurrent readers cannot race; a model a
// caller builds is derived afresh on every read and never written either.
func TestModel_DerivedFiguresAreReadOnly(t *testing.T) {
	c := MustDefault()
	for _, m := range c.Models {
		if m.IsLLM() && !m.derived.ready {
			t.Errorf("%s: architecture figures not derived at load", m.ID)
		}
	}
	m, err := c.Model("llama-3.1-8b")
	if err != nil {
		t.Fatal(err)
	}
	own := *m
	own.derived = derivedArch{}
	want, _ := m.DerivedParams()
	kv := m.KVElemsPerTokenPerLayer()
	if want <= 0 || kv <= 0 {
		t.Fatalf("llama-3.1-8b: derived %g parameters, %g KV elements", want, kv)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, _ := own.DerivedParams(); got != want {
				t.Errorf("caller-built model: %g parameters, want %g", got, want)
			}
			if got := own.KVElemsPerTokenPerLayer(); got != kv {
				t.Errorf("caller-built model: %g KV elements, want %g", got, kv)
			}
		}()
	}
	wg.Wait()
	if own.derived.ready {
		t.Error("reading a caller-built model wrote its cache")
	}
}
