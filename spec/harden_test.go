package spec

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

const head = "apiVersion: aiplan.dev/v1\nkind: Plan\nmetadata: {name: x}\n"

func wl(name string) string {
	return fmt.Sprintf("  - name: %s\n    type: llm-inference\n    model: llama-3.1-8b\n    traffic: {peakRequestsPerSecond: 1, inputTokens: 100, outputTokens: 100}\n", name)
}

func errorsOf(t *testing.T, in string) string {
	t.Helper()
	_, ds := Load([]byte(in), "t.yaml", cat)
	var out []string
	for _, d := range ds {
		if d.Severity == "error" {
			out = append(out, d.String())
		}
	}
	return strings.Join(out, "\n")
}

func TestLimits_RefusedBeforeParsing(t *testing.T) {
	for name, c := range map[string]struct{ in, want string }{
		"deep flow":     {strings.Repeat("[", 100000) + strings.Repeat("]", 100000), "limit: depth"},
		"deep flow map": {strings.Repeat("{a: ", 20000) + "1" + strings.Repeat("}", 20000), "limit: depth"},
		"deep block": {func() string {
			var b strings.Builder
			for i := 0; i < 200; i++ {
				b.WriteString(strings.Repeat(" ", i) + "a:\n")
			}
			return b.String()
		}(), "limit: depth"},
		"deep list": {func() string {
			var b strings.Builder
			for i := 0; i < 200; i++ {
				b.WriteString(strings.Repeat(" ", 2*i) + "- \n")
			}
			return b.String()
		}(), "limit: depth"},
		"many keys": {head + "constraints:\n  discounts:\n" + func() string {
			var b strings.Builder
			for i := 0; i < 300; i++ {
				fmt.Fprintf(&b, "    k%d: 0\n", i)
			}
			return b.String()
		}(), "limit: keys per mapping"},
		"many flow keys": {head + "constraints: {discounts: {" + func() string {
			var b strings.Builder
			for i := 0; i < 300; i++ {
				fmt.Fprintf(&b, "k%d: 0, ", i)
			}
			return b.String()
		}() + "}}", "limit: keys per mapping"},
		"tokens": {head + "workloads: [" + strings.Repeat("a, ", 700000) + "]", "limit: tokens"},
		"alias":  {head + "x: &a [1]\ny: *a\n", "limit: aliases"},
	} {
		t.Run(name, func(t *testing.T) {
			t0 := time.Now()
			got := errorsOf(t, c.in)
			if !strings.Contains(got, c.want) {
				t.Errorf("want %q, got %s", c.want, got)
			}
			if d := time.Since(t0); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestLimits_ManyErrorsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(head + "workloads:\n")
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&b, "  - name: w%d\n    type: nonsense\n", i)
	}
	_, ds := Load([]byte(b.String()), "t.yaml", cat)
	if len(ds) != MaxDiagnostics+1 || !strings.Contains(ds[len(ds)-1].Summary, "more problems") {
		t.Errorf("%d diagnostics, last %v", len(ds), ds[len(ds)-1])
	}
}

func TestBOM_Accepted(t *testing.T) {
	if got := errorsOf(t, "\xef\xbb\xbf"+head+"workloads:\n"+wl("chat")); got != "" {
		t.Error(got)
	}
}

func TestNames(t *testing.T) {
	for name, c := range map[string]struct{ in, want string }{
		"space":             {wl(`"help centre"`), `is not a valid name (got "help centre"); allowed: lowercase letters, digits and '-', starting with a letter, at most 50 characters, e.g. "help-centre-`},
		"upper":             {wl("Chat"), "is not a valid name"},
		"digit start":       {wl("00-namespace"), "is not a valid name"},
		"too long":          {wl(strings.Repeat("a", 51)), "is not a valid name"},
		"reserved":          {wl("namespace"), "is a reserved name"},
		"duplicate":         {wl("chat") + wl("chat"), "workloads[1].name: duplicate workload name (also workloads[0])"},
		"nul":               {wl(`"a\0b"`), "not allowed"},
		"esc":               {wl(`"a\eb"`), "not allowed"},
		"bad utf8":          {wl("\"a\xffb\""), "invalid UTF-8 at byte"},
		"esc in plan":       {strings.Replace(head, "{name: x}", `{name: "x\e[31m"}`, 1) + "workloads:\n" + wl("chat"), "metadata.name: holds a character that is not allowed"},
		"newline in region": {head + "constraints:\n  onPrem:\n    - {accelerator: a100-80gb, count: 8, region: \"dc1\\nresource\"}\nworkloads:\n" + wl("chat"), "constraints.onPrem[0].region: holds a character"},
		"encoder":           {wl("idx-encoder") + "  - {name: idx, type: embeddings, documents: 1000}\n", `workloads[0].name: collides with the encoder exported for workloads[1]`},
	} {
		t.Run(name, func(t *testing.T) {
			in := c.in
			if !strings.HasPrefix(in, "apiVersion") {
				in = head + "workloads:\n" + in
			}
			if got := errorsOf(t, in); !strings.Contains(got, c.want) {
				t.Errorf("want %q, got\n%s", c.want, got)
			}
		})
	}
}

func TestNegative_RefusedWhereFieldDoesNotApply(t *testing.T) {
	in := head + "workloads:\n" + wl("chat") + "    tokens: -5\n    documents: -1\n"
	got := errorsOf(t, in)
	for _, want := range []string{"workloads[0].tokens: must not be negative", "workloads[0].documents: must not be negative"} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in\n%s", want, got)
		}
	}
}

// Distinct names give distinct identifiers, every identifier is a valid
// name, and a valid name is its own identifier.
func TestSlug_Properties(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	alphabet := []rune("aAbB-_. 0z9é\x00\x1b/{}")
	seen := map[string]string{}
	for i := 0; i < 200000; i++ {
		n := 1 + r.Intn(60)
		rs := make([]rune, n)
		for j := range rs {
			rs[j] = alphabet[r.Intn(len(alphabet))]
		}
		s := string(rs)
		checkSlug(t, s, seen)
	}
	for _, s := range []string{"Chat", "chat", "a b", "a-b", "A_B", "a.b", "日本", "中文", "", strings.Repeat("x", 300) + "1", strings.Repeat("x", 300) + "2"} {
		checkSlug(t, s, seen)
	}
}

func checkSlug(t *testing.T, s string, seen map[string]string) {
	t.Helper()
	id := Slug(s)
	if !IsName(id) {
		t.Fatalf("Slug(%q) = %q is not a valid name", s, id)
	}
	if IsName(s) && id != s {
		t.Fatalf("Slug(%q) = %q changes a valid name", s, id)
	}
	if prev, ok := seen[id]; ok && prev != s {
		t.Fatalf("Slug(%q) = Slug(%q) = %q", s, prev, id)
	}
	seen[id] = s
}

func FuzzSlug(f *testing.F) {
	for _, s := range []string{"chat", "Chat", "a b", "a\x00b", "日本", ""} {
		f.Add(s, "chat")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		sa, sb := Slug(a), Slug(b)
		if !IsName(sa) || !IsName(sb) {
			t.Fatalf("invalid slug %q %q", sa, sb)
		}
		if a != b && sa == sb {
			t.Fatalf("Slug(%q) == Slug(%q) == %q", a, b, sa)
		}
		if IsName(a) && sa != a {
			t.Fatalf("Slug(%q) = %q", a, sa)
		}
	})
}
