package report

import (
	"io"
	"unicode/utf8"
)

// Terminal wraps a writer so that no control character reaches it except
// line feed and tab: ESC (and with it every terminal escape sequence),
// carriage return, backspace, NUL, DEL, the C1 controls, Unicode line
// separators and the bidirectional overrides are dropped, and invalid UTF-8
// becomes U+FFFD. Workload files are validated to hold none of these; this
// keeps catalog overlays and anything else printed honest too.
func Terminal(w io.Writer) io.Writer { return &terminal{w: w} }

type terminal struct {
	w    io.Writer
	tail []byte // an incomplete UTF-8 sequence from the last Write
	buf  []byte
}

func (t *terminal) Write(p []byte) (int, error) {
	in := p
	if len(t.tail) > 0 {
		in = append(t.tail, p...)
		t.tail = nil
	}
	out := t.buf[:0]
	for len(in) > 0 {
		r, size := utf8.DecodeRune(in)
		if r == utf8.RuneError && size <= 1 {
			if !utf8.FullRune(in) {
				t.tail = append([]byte(nil), in...)
				break
			}
			out = append(out, "\uFFFD"...)
			in = in[1:]
			continue
		}
		if Printable(r) {
			out = append(out, in[:size]...)
		}
		in = in[size:]
	}
	t.buf = out
	if _, err := t.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Printable reports whether r may be printed to a terminal.
func Printable(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return true
	case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
		return false
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029:
		return false
	}
	return true
}
