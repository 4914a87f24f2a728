// Package safefile does every file write aiplan makes. Writes into an
// export directory go through an os.Root opened on that directory: every
// path is relative, never leaves the directory and never passes through a
// symbolic link; each file is written to a temp file created with O_EXCL
// under a random name beside it and renamed into place, so readers never
// see half a file and concurrent writers never share a temp file. A single
// output file (plan --out) that is a FIFO, a device or a terminal is
// written directly instead of being replaced. No write lands on an input
// file, compared after resolving links, '..' and hard links.
package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// RefusedError is a write refused for safety: the caller asked for
// something aiplan will not do (a usage error, not a failure).
type RefusedError struct {
	Path   string
	Reason string
}

func (e *RefusedError) Error() string { return e.Path + ": " + e.Reason }

func refuse(p, format string, a ...any) error {
	return &RefusedError{Path: p, Reason: fmt.Sprintf(format, a...)}
}

// inputs are files that must never be written: their resolved paths and
// identities (so hard links and bind mounts count too).
type inputs struct {
	paths []string
	infos []os.FileInfo
}

func newInputs(list []string) inputs {
	var in inputs
	for _, p := range list {
		if p == "" || p == "-" {
			continue
		}
		if r, err := resolve(p); err == nil {
			in.paths = append(in.paths, r)
		}
		if st, err := os.Stat(p); err == nil {
			in.infos = append(in.infos, st)
		}
	}
	return in
}

// hits reports whether the resolved path real (or the existing file st)
// is one of the inputs.
func (in inputs) hits(real string, st os.FileInfo) bool {
	for _, p := range in.paths {
		if p == real {
			return true
		}
	}
	if st != nil {
		for _, i := range in.infos {
			if os.SameFile(i, st) {
				return true
			}
		}
	}
	return false
}

// resolve returns the absolute path of p with every symbolic link and '..'
// resolved; for a path that does not exist yet, its parent is resolved.
func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	parent, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", err
	}
	return filepath.Join(parent, filepath.Base(abs)), nil
}

// tempName is a fresh name beside base: hidden, random, never reused.
var tempName = func(base string) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return "." + base + ".aiplan-" + hex.EncodeToString(b[:]) + ".tmp"
}

// writeAll is replaced in tests to simulate a full disk.
var writeAll = func(w io.Writer, data []byte) error {
	_, err := w.Write(data)
	return err
}

// WriteFile writes data to the file dest (plan --out). A FIFO, character
// device or socket (a terminal, /dev/stdout, /dev/null) is written
// directly; anything else is replaced atomically through a temp file in
// the same directory, through any symbolic link the user named. It refuses
// a directory and any path that resolves to one of the inputs.
func WriteFile(dest string, data []byte, inputPaths ...string) error {
	return WriteStream(dest, func(w io.Writer) error { return writeAll(w, data) }, inputPaths...)
}

// WriteStream is WriteFile with the content written by fill, so a large
// report goes to disk without being held in memory.
func WriteStream(dest string, fill func(io.Writer) error, inputPaths ...string) error {
	in := newInputs(inputPaths)
	st, err := os.Stat(dest) // follows links: the user named this path
	if err == nil && st.IsDir() {
		return refuse(dest, "is a directory; give a file name")
	}
	if err != nil {
		st = nil
	}
	// A device, FIFO or socket, or a standard stream named through /dev or
	// /proc (which may be redirected to a file the shell holds open), is
	// written in place, never replaced.
	stream := false
	for _, pre := range []string{"/dev/stdout", "/dev/stderr", "/dev/fd/", "/dev/tty", "/proc/self/fd/"} {
		stream = stream || strings.HasPrefix(filepath.Clean(dest)+"/", pre)
	}
	if st != nil && (!st.Mode().IsRegular() || stream) {
		if in.hits("", st) {
			return refuse(dest, "is the workload file; choose another path")
		}
		f, err := os.OpenFile(dest, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		if err := fill(f); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", dest, err)
		}
		return f.Close()
	}
	real, err := resolve(dest)
	if err != nil {
		return fmt.Errorf("--out %s: %w", dest, err)
	}
	if in.hits(real, st) {
		return refuse(dest, "would overwrite the workload file; choose another path")
	}
	mode := fs.FileMode(0o644)
	if st != nil {
		mode = st.Mode().Perm()
	}
	dir := filepath.Dir(real)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return replace(root, filepath.Base(real), fill, mode, nil)
}

// replace writes data to a new temp file in root and renames it to name.
// With keep set, the temp file is left for the caller to rename later and
// its name is returned through keep.
func replace(root *os.Root, name string, fill func(io.Writer) error, mode fs.FileMode, keep *string) (err error) {
	dir, base := path.Split(name)
	tmp := path.Join(dir, tempName(base))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			root.Remove(tmp)
		}
	}()
	if err = fill(f); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if keep != nil {
		*keep = tmp
		return nil
	}
	return root.Rename(tmp, name)
}

// Dir is an export directory. Files are staged with Stage and appear
// together with Commit; Abort (or a failed Stage) removes what was staged.
type Dir struct {
	Path   string // as the user gave it
	real   string
	root   *os.Root
	in     inputs
	staged []staged
}

type staged struct{ tmp, name string }

// OpenDir creates dir if needed and opens it for writing. The directory
// itself may be reached through a link the user named; nothing inside it
// is. A directory that holds an input anywhere below it is refused.
func OpenDir(dir string, inputPaths ...string) (*Dir, error) {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return nil, refuse(dir, "is a file, not a directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	real, err := resolve(dir)
	if err != nil {
		return nil, err
	}
	in := newInputs(inputPaths)
	for _, p := range in.paths {
		if rel, err := filepath.Rel(real, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, refuse(dir, "holds the workload file (%s); export into a directory that does not", rel)
		}
	}
	root, err := os.OpenRoot(real)
	if err != nil {
		return nil, err
	}
	return &Dir{Path: dir, real: real, root: root, in: in}, nil
}

// Close releases the directory, removing anything staged and not committed.
func (d *Dir) Close() error {
	d.Abort()
	return d.root.Close()
}

// check validates a relative slash-separated name and creates its parent
// folders, refusing names that leave the directory, pass through a link
// or land on an input.
func (d *Dir) check(name string) error {
	if name == "" || path.IsAbs(name) || strings.Contains(name, "\\") || path.Clean(name) != name || name == "." || strings.HasPrefix(name, "../") || name == ".." {
		return refuse(filepath.Join(d.Path, name), "is not a plain relative path inside the export directory")
	}
	parts := strings.Split(name, "/")
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		st, err := d.root.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) && i < len(parts)-1 {
			if err := d.root.Mkdir(p, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			st, err = d.root.Lstat(p)
		}
		if errors.Is(err, fs.ErrNotExist) {
			break // the file itself does not exist yet
		}
		if err != nil {
			return err
		}
		full := filepath.Join(d.Path, filepath.FromSlash(p))
		switch {
		case st.Mode()&fs.ModeSymlink != 0:
			return refuse(full, "is a symbolic link; aiplan does not write through links inside an export directory (remove it)")
		case i < len(parts)-1 && !st.IsDir():
			return refuse(full, "is not a directory")
		case i == len(parts)-1 && !st.Mode().IsRegular():
			return refuse(full, "is not a regular file; aiplan replaces only regular files in an export directory")
		}
		if i == len(parts)-1 && d.in.hits(filepath.Join(d.real, filepath.FromSlash(p)), st) {
			return refuse(full, "is the workload file; export into a directory that does not hold it")
		}
	}
	if d.in.hits(filepath.Join(d.real, filepath.FromSlash(name)), nil) {
		return refuse(filepath.Join(d.Path, name), "is the workload file; export into a directory that does not hold it")
	}
	return nil
}

// Stage writes data to a temp file beside name; Commit renames it into place.
func (d *Dir) Stage(name string, data []byte) error {
	return d.StageStream(name, func(w io.Writer) error { return writeAll(w, data) })
}

// StageStream is Stage with the content written by fill.
func (d *Dir) StageStream(name string, fill func(io.Writer) error) error {
	if err := d.check(name); err != nil {
		return err
	}
	var tmp string
	if err := replace(d.root, name, fill, 0o644, &tmp); err != nil {
		return err
	}
	d.staged = append(d.staged, staged{tmp, name})
	return nil
}

// Commit renames every staged file into place, in staging order.
func (d *Dir) Commit() error {
	for i, s := range d.staged {
		if err := d.check(s.name); err != nil {
			d.staged = d.staged[i:]
			return err
		}
		if err := d.root.Rename(s.tmp, s.name); err != nil {
			d.staged = d.staged[i:]
			return err
		}
	}
	d.staged = nil
	return nil
}

// Abort removes every staged temp file.
func (d *Dir) Abort() {
	for _, s := range d.staged {
		d.root.Remove(s.tmp)
	}
	d.staged = nil
}

// ReadFile reads a regular file inside the directory (not through a link);
// a missing file is (nil, nil).
func (d *Dir) ReadFile(name string) ([]byte, error) {
	st, err := d.root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, refuse(filepath.Join(d.Path, name), "is not a regular file")
	}
	return d.root.ReadFile(name)
}

// Remove deletes a regular file inside the directory, and the folders it
// leaves empty; links and anything else are left alone. A missing file is
// not an error.
func (d *Dir) Remove(name string) error {
	if d.check(name) != nil {
		return nil
	}
	st, err := d.root.Lstat(name)
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	if err := d.root.Remove(name); err != nil {
		return err
	}
	for dir := path.Dir(name); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if d.root.Remove(dir) != nil { // fails unless empty
			break
		}
	}
	return nil
}
