package main

import (
	"errors"
	"fmt"
	"os/exec"
	"testing"

	"github.com/aiplan-dev/aiplan/perf"
	"github.com/aiplan-dev/aiplan/safefile"
)

func TestExitCode(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{usage("bad"), 2},
		{fmt.Errorf("estimate: %w", perf.ErrInput), 2},
		{&safefile.RefusedError{Path: "x", Reason: "no"}, 2},
		{fmt.Errorf("wrapped: %w", flagError{errors.New("unknown flag")}), 2},
		{errors.New("disk on fire"), 1},
	} {
		if got := exitCode(c.err); got != c.want {
			t.Errorf("%v: exit %d, want %d", c.err, got, c.want)
		}
	}
	for code, want := range map[int]int{0: 0, 1: 1, 3: 3, 4: 4, childUsage: 2, 2: 1, -1: 1} {
		if got, _ := childExit(code); got != want {
			t.Errorf("child exit %d: got %d, want %d", code, got, want)
		}
	}
}

// Through the supervisor, the built binary still exits 0 and 2 as
// documented (the mapping of a crashed child is TestExitCode's).
func TestSupervisor_ExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := binary(t)
	for args, want := range map[string]int{"version": 0, "plan /nonexistent.yaml": 2, "frobnicate": 2} {
		c := exec.Command("sh", "-c", bin+" "+args)
		c.Run()
		if got := c.ProcessState.ExitCode(); got != want {
			t.Errorf("aiplan %s: exit %d, want %d", args, got, want)
		}
	}
}

// A child that dies of SIGPIPE (its reader went away, as in `aiplan ... |
// head`) is no crash: no "out of memory or an internal error" message; any
// other signal still is.
func TestChildStatus_BrokenPipeIsNoCrash(t *testing.T) {
	for sig, want := range map[string]struct {
		code    int
		crashed bool
	}{"PIPE": {141, false}, "KILL": {1, true}} {
		c := exec.Command("sh", "-c", "kill -"+sig+" $$")
		c.Run()
		if code, crashed := childStatus(c.ProcessState); code != want.code || crashed != want.crashed {
			t.Errorf("child killed by SIG%s: exit %d crashed %v, want %d %v", sig, code, crashed, want.code, want.crashed)
		}
	}
}
