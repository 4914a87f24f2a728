package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func refused(err error) bool {
	var re *RefusedError
	return errors.As(err, &re)
}

// entries lists every path under dir (relative, slash-separated, links
// marked with "@").
func entries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if p == dir || err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if d.Type()&fs.ModeSymlink != 0 {
			rel += "@"
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	return out
}

func noTemps(t *testing.T, dir string) {
	t.Helper()
	for _, e := range entries(t, dir) {
		if strings.Contains(e, ".aiplan-") {
			t.Errorf("temp file left: %s", e)
		}
	}
}

func TestWriteFile_NeverOntoInput(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.yaml")
	write(t, real, "input")
	os.Symlink("real.yaml", filepath.Join(dir, "link.yaml"))
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.Symlink(dir, filepath.Join(dir, "linkdir"))
	os.Link(real, filepath.Join(dir, "hard.yaml"))
	for name, c := range map[string]struct{ dest, input string }{
		"input named through a link":      {real, filepath.Join(dir, "link.yaml")},
		"output named through a link":     {filepath.Join(dir, "link.yaml"), real},
		"dot-dot":                         {filepath.Join(dir, "sub", "..", "real.yaml"), real},
		"symlinked folder":                {filepath.Join(dir, "linkdir", "real.yaml"), real},
		"input through dot-dot and link":  {real, filepath.Join(dir, "linkdir", "sub", "..", "link.yaml")},
		"hard link":                       {filepath.Join(dir, "hard.yaml"), real},
		"relative input, absolute output": {real, mustRel(t, real)},
	} {
		t.Run(name, func(t *testing.T) {
			if err := WriteFile(c.dest, []byte("OVERWRITTEN"), c.input); !refused(err) {
				t.Errorf("not refused: %v", err)
			}
			if read(t, real) != "input" {
				t.Fatal("input overwritten")
			}
		})
	}
	noTemps(t, dir)
}

func mustRel(t *testing.T, p string) string {
	wd, _ := os.Getwd()
	r, err := filepath.Rel(wd, p)
	if err != nil {
		t.Skip(err)
	}
	return r
}

func TestWriteFile_ReplacesRegularFilesAtomically(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r.md")
	if err := WriteFile(out, []byte("one")); err != nil {
		t.Fatal(err)
	}
	os.Chmod(out, 0o600)
	if err := WriteFile(out, []byte("two")); err != nil || read(t, out) != "two" {
		t.Fatal(err)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Errorf("mode not kept: %v", st.Mode())
	}
	// Through a link the user named: the target is replaced, the link stays.
	os.Symlink("r.md", filepath.Join(dir, "l.md"))
	if err := WriteFile(filepath.Join(dir, "l.md"), []byte("three")); err != nil || read(t, out) != "three" {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(filepath.Join(dir, "l.md")); st.Mode()&fs.ModeSymlink == 0 {
		t.Error("link replaced")
	}
	if err := WriteFile(dir, []byte("x")); !refused(err) {
		t.Errorf("directory: %v", err)
	}
	if got := entries(t, dir); strings.Join(got, ",") != "l.md@,r.md" {
		t.Errorf("stray files: %v", got)
	}
}

func TestWriteFile_SpecialFilesWrittenInPlace(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs:", err)
	}
	got := make(chan string)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- string(b)
	}()
	if err := WriteFile(fifo, []byte("through the pipe")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through the pipe" {
		t.Errorf("reader got %q", s)
	}
	if st, _ := os.Lstat(fifo); st.Mode()&fs.ModeNamedPipe == 0 {
		t.Error("FIFO replaced by", st.Mode())
	}
	if err := WriteFile("/dev/null", []byte("x")); err != nil {
		t.Error(err)
	}
	os.Symlink("/dev/null", filepath.Join(dir, "null"))
	if err := WriteFile(filepath.Join(dir, "null"), []byte("x")); err != nil {
		t.Error(err)
	}
	if st, _ := os.Lstat("/dev/null"); st.Mode()&fs.ModeCharDevice == 0 {
		t.Fatal("/dev/null is no longer a device")
	}
	if st, _ := os.Lstat(filepath.Join(dir, "null")); st.Mode()&fs.ModeSymlink == 0 {
		t.Error("link to /dev/null replaced")
	}
	if _, err := os.Stat("/dev/full"); err == nil {
		if err := WriteFile("/dev/full", []byte("x")); !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("/dev/full: %v", err)
		}
		if st, _ := os.Lstat("/dev/full"); st.Mode()&fs.ModeCharDevice == 0 {
			t.Fatal("/dev/full replaced")
		}
	}
}

func TestDir_RefusesLinksAndEscapes(t *testing.T) {
	base := t.TempDir()
	dir, outside := filepath.Join(base, "out"), filepath.Join(base, "elsewhere")
	os.MkdirAll(dir, 0o755)
	os.MkdirAll(outside, 0o755)
	write(t, filepath.Join(outside, "victim"), "keep")
	os.Symlink(outside, filepath.Join(dir, "k8s"))
	os.Symlink(filepath.Join(outside, "victim"), filepath.Join(dir, "report.md"))
	os.Symlink(filepath.Join(outside, "victim"), filepath.Join(dir, "report.md.tmp"))
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, name := range []string{"k8s/chat.yaml", "report.md", "../elsewhere/x", "/etc/x", "a/../../x", "a//b", ""} {
		if err := d.Stage(name, []byte("x")); !refused(err) {
			t.Errorf("%q: not refused: %v", name, err)
		}
	}
	if err := d.Stage("report.md.tmp", []byte("x")); !refused(err) {
		t.Errorf("link at a file name: %v", err)
	}
	if err := d.Stage("ok/file", []byte("x")); err != nil {
		t.Fatal(err)
	}
	d.Abort()
	if got := entries(t, outside); len(got) != 1 || read(t, filepath.Join(outside, "victim")) != "keep" {
		t.Errorf("outside touched: %v", got)
	}
	noTemps(t, dir)
}

// A link planted at the temp name is never followed: O_EXCL fails on it.
func TestDir_LinkAtTempName(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "out")
	os.MkdirAll(dir, 0o755)
	write(t, filepath.Join(base, "victim"), "keep")
	old := tempName
	defer func() { tempName = old }()
	tempName = func(b string) string { return "." + b + ".aiplan-fixed.tmp" }
	os.Symlink(filepath.Join(base, "victim"), filepath.Join(dir, ".report.md.aiplan-fixed.tmp"))
	d, _ := OpenDir(dir)
	defer d.Close()
	if err := d.Stage("report.md", []byte("x")); err == nil {
		t.Fatal("wrote through a planted temp link")
	}
	if read(t, filepath.Join(base, "victim")) != "keep" {
		t.Fatal("victim overwritten")
	}
	if err := WriteFile(filepath.Join(dir, "r.md"), []byte("x")); err != nil {
		t.Log(err) // a different temp name: unaffected
	}
}

func TestDir_RefusesDirectoryHoldingInput(t *testing.T) {
	base := t.TempDir()
	in := filepath.Join(base, "proj", "k8s", "chat.yaml")
	write(t, in, "input")
	os.Symlink(filepath.Join(base, "proj"), filepath.Join(base, "plink"))
	for _, c := range [][2]string{
		{filepath.Join(base, "proj"), in},
		{filepath.Join(base, "plink"), in},
		{filepath.Join(base, "proj", "k8s", ".."), filepath.Join(base, "plink", "k8s", "chat.yaml")},
	} {
		if _, err := OpenDir(c[0], c[1]); !refused(err) {
			t.Errorf("%s holding %s: %v", c[0], c[1], err)
		}
	}
	// A hard link of the input inside the directory is not replaced.
	out := filepath.Join(base, "out")
	os.MkdirAll(out, 0o755)
	os.Link(in, filepath.Join(out, "report.md"))
	d, err := OpenDir(out, in)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Stage("report.md", []byte("x")); !refused(err) {
		t.Errorf("hard link to input: %v", err)
	}
	if read(t, in) != "input" {
		t.Fatal("input overwritten")
	}
}

func TestDir_FailedWriteLeavesDirectoryAsItWas(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "report.md"), "previous")
	old := writeAll
	defer func() { writeAll = old }()
	n := 0
	writeAll = func(w io.Writer, b []byte) error {
		if n++; n == 3 {
			return fmt.Errorf("simulated: %w", syscall.ENOSPC)
		}
		return old(w, b)
	}
	d, _ := OpenDir(dir)
	var err error
	for _, name := range []string{"k8s/a.yaml", "report.md", "report.html"} {
		if err = d.Stage(name, []byte("new")); err != nil {
			break
		}
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("want ENOSPC, got %v", err)
	}
	d.Close()
	if read(t, filepath.Join(dir, "report.md")) != "previous" {
		t.Error("partial output")
	}
	noTemps(t, dir)
	if got := entries(t, dir); strings.Join(got, ",") != "k8s,report.md" {
		t.Errorf("left: %v", got)
	}
}

// A real full disk: a 64 KiB tmpfs, where the system allows mounting one.
func TestDir_FullDisk(t *testing.T) {
	mnt := t.TempDir()
	if os.Geteuid() != 0 || exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt).Run() != nil {
		t.Skip("cannot mount a tmpfs here; TestDir_FailedWriteLeavesDirectoryAsItWas covers a full disk with a mocked writer")
	}
	defer exec.Command("umount", mnt).Run()
	write(t, filepath.Join(mnt, "report.md"), "previous")
	d, err := OpenDir(mnt)
	if err != nil {
		t.Fatal(err)
	}
	big := []byte(strings.Repeat("x", 200<<10))
	if err := d.Stage("report.md", big); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("want ENOSPC, got %v", err)
	}
	d.Close()
	if read(t, filepath.Join(mnt, "report.md")) != "previous" {
		t.Error("previous file damaged")
	}
	noTemps(t, mnt)
	if err := WriteFile(filepath.Join(mnt, "report.md"), big); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("WriteFile: want ENOSPC, got %v", err)
	}
	noTemps(t, mnt)
}

func TestDir_ReadOnly(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "report.md"), "previous")
	if os.Geteuid() == 0 {
		// root ignores permissions: use a read-only bind mount.
		if exec.Command("mount", "--bind", "-o", "ro", dir, dir).Run() != nil {
			t.Skip("root and cannot mount read-only")
		}
		defer exec.Command("umount", dir).Run()
	} else {
		os.Chmod(dir, 0o555)
		defer os.Chmod(dir, 0o755)
	}
	d, err := OpenDir(dir)
	if err == nil {
		err = d.Stage("report.md", []byte("new"))
		d.Close()
	}
	if err == nil {
		t.Fatal("wrote into a read-only folder")
	}
	if err := WriteFile(filepath.Join(dir, "report.md"), []byte("new")); err == nil {
		t.Fatal("WriteFile into a read-only folder")
	}
	if read(t, filepath.Join(dir, "report.md")) != "previous" {
		t.Error("changed")
	}
	noTemps(t, dir)
}

func TestDir_ConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			d, err := OpenDir(dir)
			if err != nil {
				errs <- err
				return
			}
			defer d.Close()
			for _, n := range []string{"k8s/a.yaml", "k8s/b.yaml", "report.md"} {
				if err := d.Stage(n, []byte(fmt.Sprintf("%s from %d\n", n, i))); err != nil {
					errs <- err
					return
				}
			}
			errs <- d.Commit()
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	noTemps(t, dir)
	if !strings.HasPrefix(read(t, filepath.Join(dir, "report.md")), "report.md from ") {
		t.Error("torn file")
	}
}

func TestDir_RemoveOnlyRegularFilesInside(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "out")
	write(t, filepath.Join(dir, "k8s", "old.yaml"), "x")
	write(t, filepath.Join(base, "victim"), "keep")
	os.Symlink(filepath.Join(base, "victim"), filepath.Join(dir, "link"))
	d, _ := OpenDir(dir)
	defer d.Close()
	for _, n := range []string{"k8s/old.yaml", "link", "../victim", "missing"} {
		if err := d.Remove(n); err != nil {
			t.Error(n, err)
		}
	}
	if got := entries(t, dir); strings.Join(got, ",") != "link@" {
		t.Errorf("left %v", got)
	}
	if read(t, filepath.Join(base, "victim")) != "keep" {
		t.Error("victim removed")
	}
}

// FuzzDirWriter stages and commits files under fuzzed names into a folder
// holding links to a sibling folder: nothing outside the folder changes, no
// temp file stays, and every name either is refused or holds its content.
func FuzzDirWriter(f *testing.F) {
	for _, s := range []string{"report.md", "k8s/a.yaml", "../x", "link/x", "sub/link2/y", "/etc/x", "a/../../b", ".", "", "a\x00b", "k8s//a", "report.md.tmp", "x/./y"} {
		f.Add(s, "k8s/b.yaml", []byte("data"))
	}
	f.Fuzz(func(t *testing.T, n1, n2 string, data []byte) {
		base := t.TempDir()
		dir, outside := filepath.Join(base, "out"), filepath.Join(base, "outside")
		os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
		os.MkdirAll(outside, 0o755)
		os.WriteFile(filepath.Join(outside, "victim"), []byte("keep"), 0o644)
		os.Symlink(outside, filepath.Join(dir, "link"))
		os.Symlink(filepath.Join(outside, "victim"), filepath.Join(dir, "sub", "link2"))
		d, err := OpenDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		ok := map[string]bool{}
		for _, n := range []string{n1, n2} {
			if d.Stage(n, data) == nil {
				ok[n] = true
			}
		}
		commitErr := d.Commit()
		d.Close()
		if got := read(t, filepath.Join(outside, "victim")); got != "keep" {
			t.Fatalf("victim overwritten via %q/%q", n1, n2)
		}
		if got := entries(t, outside); len(got) != 1 {
			t.Fatalf("outside holds %v after %q/%q", got, n1, n2)
		}
		noTemps(t, dir)
		if commitErr != nil {
			return
		}
		for n := range ok {
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
			if err != nil || string(b) != string(data) {
				t.Fatalf("%q: %v", n, err)
			}
		}
	})
}
