package catalog

import (
	"regexp"
	"strings"
)

// An exported manifest runs the image the catalog names. A reference that
// floats (no tag, which Docker reads as :latest; :latest itself; a rolling
// tag such as nightly or latest-rocm; a wildcard such as 3.3.x) resolves
// to a different build as the vendor publishes new ones, so a plan applied
// next month would run an engine version its performance figures were not
// predicted or fitted for. The catalog takes pinned references only: an
// exact release tag or a sha256 digest.

var (
	digestRe = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)
	// rollingWords are tag words vendors move to each new build.
	rollingWords = map[string]bool{"latest": true, "nightly": true, "stable": true, "main": true, "master": true, "dev": true, "edge": true, "rolling": true, "current": true}
	versionRe    = regexp.MustCompile(`\d+(?:\.\d+)+`)
)

// ImageTag splits an image reference into its repository and tag ("" when
// it has none). A digest reference has no tag unless it carries both.
func ImageTag(ref string) (repo, tag string) {
	ref = strings.TrimSpace(ref)
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	slash := strings.LastIndex(ref, "/")
	if i := strings.LastIndex(ref, ":"); i > slash {
		return ref[:i], ref[i+1:]
	}
	return ref, ""
}

// UnpinnedImage says why an image reference does not pin one build ("" when
// it does): empty, no tag, :latest or another rolling tag, a wildcard
// version, or a tag with no version number in it. A sha256 digest pins the
// build whatever the tag says.
func UnpinnedImage(ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "empty image reference"
	}
	if digestRe.MatchString(ref) {
		return ""
	}
	if strings.Contains(ref, "@") {
		return "a digest must be @sha256: and 64 hex digits"
	}
	_, tag := ImageTag(ref)
	if tag == "" {
		return "no tag (a container runtime pulls :latest)"
	}
	for _, w := range strings.FieldsFunc(strings.ToLower(tag), func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		if rollingWords[w] {
			return "tag " + tag + " is a rolling tag (" + w + "): the vendor moves it to each new build"
		}
		if w == "x" || w == "*" {
			return "tag " + tag + " is a wildcard version, not a release"
		}
	}
	if !strings.ContainsAny(tag, "0123456789") {
		return "tag " + tag + " names no version"
	}
	return ""
}

// VersionsIn lists the dotted version numbers in s (v0.11.1 -> 0.11.1;
// "vLLM 0.9.1, Neuron SDK 2.26.1" -> 0.9.1, 2.26.1).
func VersionsIn(s string) []string { return versionRe.FindAllString(s, -1) }

// TagCarries reports whether an image tag names version v as a whole
// number (0.5.3 is in v0.5.3-cu129 and v0.5.3rc0-rocm630-mi30x, not in
// v0.5.31).
func TagCarries(tag, v string) bool {
	for i := 0; ; {
		j := strings.Index(tag[i:], v)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || !isDigitOrDot(tag[j-1])
		end := j + len(v)
		after := end == len(tag) || !(tag[end] >= '0' && tag[end] <= '9') && !(tag[end] == '.' && end+1 < len(tag) && tag[end+1] >= '0' && tag[end+1] <= '9')
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isDigitOrDot(c byte) bool { return c == '.' || c >= '0' && c <= '9' }

// exactVersion says why an engine version is not one release ("" when it
// is): it must carry a dotted version number and no wildcard component.
func exactVersion(v string) string {
	if len(VersionsIn(v)) == 0 {
		return "names no release number (e.g. v0.11.1, 25.01)"
	}
	for _, w := range strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return r == '-' || r == '_' || r == '.' || r == ' ' || r == ',' }) {
		if w == "x" || w == "*" || rollingWords[w] {
			return "is a range or a rolling name, not one release"
		}
	}
	return ""
}
