package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// MaxNameLen bounds workload names: a Kubernetes object name built from
// one ("NAME-encoder") stays a valid DNS label (63) and a CronJob name
// stays within the 52 characters Kubernetes allows.
const MaxNameLen = 50

// ReservedNames are workload names that would collide with files or
// objects every export writes (k8s/00-namespace.yaml, report.md, the
// export manifest, Prometheus' plan-wide group).
var ReservedNames = []string{"namespace", "plan", "report", "manifest", "aiplan", "main", "variables", "outputs", "providers", "versions", "rules", "all", "gateway", "monitoring", "default"}

// IsName reports whether s is a valid workload name: a DNS-1035 label
// (lowercase letters, digits and '-', starting with a letter, ending with a
// letter or digit) of at most MaxNameLen characters. Such a name is its own
// slug, usable as a Kubernetes name, Terraform label, Prometheus group,
// Mermaid node id and file name.
func IsName(s string) bool {
	if s == "" || len(s) > MaxNameLen || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Slug is the one function that turns a name into an identifier for every
// output: Kubernetes names and labels, Terraform labels, Prometheus group
// names, Mermaid node ids and file names. A valid name (IsName) is returned
// unchanged. Any other string becomes a readable part (lowercase letters
// and digits, other runs as '-') followed by '-' and 10 hex digits of its
// SHA-256, so distinct strings give distinct slugs (up to a 40-bit hash
// collision) and the result is always a valid name.
func Slug(s string) string {
	if IsName(s) {
		return s
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9' && b.Len() > 0:
			if dash {
				b.WriteByte('-')
				dash = false
			}
			b.WriteRune(r)
		case b.Len() > 0:
			dash = true
		}
	}
	base := b.String()
	if len(base) > MaxNameLen-11 {
		base = strings.TrimRight(base[:MaxNameLen-11], "-")
	}
	sum := sha256.Sum256([]byte(s))
	h := hex.EncodeToString(sum[:5])
	if base == "" {
		return "x-" + h
	}
	return base + "-" + h
}

// badRune reports the first character of s that no name or text value may
// hold: invalid UTF-8, C0 and C1 control characters (ESC, NUL, ...), DEL,
// the bidirectional overrides that make text display differently from what
// it is, and, unless multiline, line breaks and tabs.
func badRune(s string, multiline bool) (rune, int, bool) {
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return r, i, true
			}
		case (r == '\n' || r == '\t' || r == '\r') && multiline:
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
			return r, i, true
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029:
			return r, i, true
		}
	}
	return 0, 0, false
}

// multilineFields may hold line breaks (free text shown in reports).
var multilineFields = map[string]bool{"humanOversight": true}

// checkText walks every string of the file: no control characters, no
// invalid UTF-8 and at most 1,000 characters (4,000 for free text). It also
// refuses negative numbers in every numeric field whose schema minimum is
// not negative, whether or not the field applies to the workload's type.
func (v *validator) checkText(rv reflect.Value, path, field string) {
	switch rv.Kind() {
	case reflect.Pointer:
		if !rv.IsNil() {
			v.checkText(rv.Elem(), path, field)
		}
	case reflect.Struct:
		t := rv.Type()
		for i := 0; i < t.NumField(); i++ {
			name := jsonName(t.Field(i))
			if name == "" || name == "-" {
				continue
			}
			v.checkText(rv.Field(i), join(path, name), name)
			if t.Field(i).Type.Kind() == reflect.Float64 || t.Field(i).Type.Kind() == reflect.Int {
				x := rv.Field(i)
				neg := x.Kind() == reflect.Int && x.Int() < 0 || x.Kind() == reflect.Float64 && x.Float() < 0
				if neg && strings.Contains(t.Field(i).Tag.Get("jsonschema"), "minimum=") {
					v.err(join(path, name), "must not be negative", x.Interface(), "zero or more (leave the field out where it does not apply)")
				}
			}
		}
	case reflect.Slice:
		for i := 0; i < rv.Len(); i++ {
			v.checkText(rv.Index(i), fmt.Sprintf("%s[%d]", path, i), field)
		}
	case reflect.Map:
		keys := rv.MapKeys()
		sortValues(keys)
		for _, k := range keys {
			ks := k.String()
			p := join(path, ks)
			if r, _, bad := badRune(ks, false); bad {
				v.err(p, "key holds a character that is not allowed", fmt.Sprintf("%q", r), "printable text")
			}
			v.checkText(rv.MapIndex(k), p, field)
		}
	case reflect.String:
		s := rv.String()
		ml := multilineFields[field]
		limit := 1000
		if ml {
			limit = 4000
		}
		if r, at, bad := badRune(s, ml); bad {
			v.err(path, fmt.Sprintf("holds a character that is not allowed at byte %d", at), fmt.Sprintf("%q", r), "printable UTF-8 text without control characters")
		} else if utf8.RuneCountInString(s) > limit {
			v.err(path, "too long", utf8.RuneCountInString(s), fmt.Sprintf("at most %d characters", limit))
		}
	}
}

func sortValues(vs []reflect.Value) {
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0 && vs[j].String() < vs[j-1].String(); j-- {
			vs[j], vs[j-1] = vs[j-1], vs[j]
		}
	}
}

// names checks workload names as identities: each a valid name (or the
// error shows the slug to use), none reserved, none equal to another's
// derived object name, all distinct.
func (v *validator) names(f *File) {
	reserved := map[string]bool{}
	for _, r := range ReservedNames {
		reserved[r] = true
	}
	seen := map[string]int{}
	for i := range f.Workloads {
		w := &f.Workloads[i]
		path := fmt.Sprintf("workloads[%d].name", i)
		switch {
		case w.Name == "":
			v.err(path, "is required", nil, "a unique name")
			continue
		case !IsName(w.Name):
			v.err(path, "is not a valid name", quote(w.Name), fmt.Sprintf("lowercase letters, digits and '-', starting with a letter, at most %d characters, e.g. %q", MaxNameLen, Slug(w.Name)))
			continue
		case reserved[w.Name]:
			v.err(path, "is a reserved name", quote(w.Name), "any name except "+strings.Join(ReservedNames, ", "))
			continue
		}
		if j, dup := seen[w.Name]; dup {
			v.err(path, fmt.Sprintf("duplicate workload name (also workloads[%d])", j), quote(w.Name), "unique names")
			continue
		}
		seen[w.Name] = i
	}
	// Embedding workloads export an object named NAME-encoder.
	for i := range f.Workloads {
		w := &f.Workloads[i]
		if w.Type != Embeddings || !IsName(w.Name) {
			continue
		}
		if j, ok := seen[w.Name+"-encoder"]; ok {
			v.err(fmt.Sprintf("workloads[%d].name", j), fmt.Sprintf("collides with the encoder exported for workloads[%d] (%q)", i, w.Name), quote(w.Name+"-encoder"), "a name that does not end in -encoder")
		}
	}
}
