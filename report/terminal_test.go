package report

import (
	"bytes"
	"testing"
)

func TestTerminal_StripsControls(t *testing.T) {
	var b bytes.Buffer
	w := Terminal(&b)
	for _, s := range []string{"ok \x1b[31mred\x1b[0m\r\n", "nul\x00 del\x7f bs\b c1\u009b bidi\u202e é\xc3", "\xa9 tab\tend\n", "bad\xff\n"} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	want := "ok [31mred[0m\nnul del bs c1 bidi éé tab\tend\nbad\uFFFD\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}
