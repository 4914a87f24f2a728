// Command aiplan is the AI infrastructure planner.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/aiplan-dev/aiplan/perf"
	"github.com/aiplan-dev/aiplan/report"
	"github.com/aiplan-dev/aiplan/safefile"
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// usageError marks bad input: exit code 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usage(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// supervisedEnv marks the child process of the supervisor (see supervise).
const supervisedEnv = "AIPLAN_SUPERVISED"

// childUsage is the child's exit status for a usage error; the supervisor
// turns it back into 2. It stays clear of the statuses `aiplan plan`
// reports itself (3 infeasible, 4 over budget), which pass through.
const childUsage = 64

func main() {
	if os.Getenv(supervisedEnv) == "" {
		if code, ok := supervise(); ok {
			os.Exit(code)
		}
	}
	limitMemory()
	code := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	if code == 2 && os.Getenv(supervisedEnv) != "" {
		code = childUsage
	}
	os.Exit(code)
}

// softMemoryLimit is the Go heap's soft limit for the process that plans
// (GOMEMLIMIT overrides it). The collector's default target is twice the
// live heap, so a plan of 10,000 workloads, whose results and export hold a
// few hundred MB, would otherwise grow past 1 GB between collections; near
// this limit the collector runs more often instead (the runtime caps that
// at about half the CPU, so a plan that truly needs more still finishes).
const softMemoryLimit = 640 << 20

// limitMemory sets softMemoryLimit unless the user set GOMEMLIMIT.
func limitMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}
}

// supervise runs aiplan as a child process and maps its exit status. The Go
// runtime exits with status 2 when it runs out of memory or crashes, the
// status aiplan uses for bad input; run under a supervisor, the child
// reports bad input as 3, so a 2 (or death by a signal) is a failure: 1.
// It returns false where the child cannot be started, and main then runs
// in-process.
func supervise() (int, bool) {
	exe, err := os.Executable()
	if err != nil {
		return 0, false
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), supervisedEnv+"=1")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	if err := cmd.Start(); err != nil {
		signal.Stop(sig)
		return 0, false
	}
	go func() {
		for s := range sig {
			cmd.Process.Signal(s)
		}
	}()
	cmd.Wait()
	signal.Stop(sig)
	code, crashed := childStatus(cmd.ProcessState)
	if crashed {
		fmt.Fprintf(os.Stderr, "aiplan: failed (%v): out of memory or an internal error; please report this with the command you ran\n", cmd.ProcessState)
	}
	return code, true
}

// childStatus maps the supervised child's end to aiplan's exit status. A
// child killed by SIGPIPE wrote to a reader that went away (`aiplan ... |
// head`): that is no crash, and it ends quietly with the shell's status for
// that signal.
func childStatus(ps *os.ProcessState) (int, bool) {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGPIPE {
		return 128 + int(syscall.SIGPIPE), false
	}
	return childExit(ps.ExitCode())
}

// childExit maps the supervised child's exit status (-1: killed by a
// signal) to aiplan's: 64 is a usage error (2), 2 is the Go runtime's fatal
// error (out of memory, crash) and a signal is a kill (often the OOM
// killer): both failures (1).
func childExit(code int) (int, bool) {
	switch {
	case code == childUsage:
		return 2, false
	case code == 2 || code < 0:
		return 1, true
	}
	return code, false
}

// run executes the CLI and returns the exit code: 0 ok, 1 internal error,
// 2 usage or input error, 3 a plan with an infeasible workload, 4 a plan
// over budget (with --fail-over-budget). Tests call it in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "aiplan: internal error: %v\nplease report this with the command you ran\n", r)
			code = 1
		}
	}()
	stdout, stderr = report.Terminal(stdout), report.Terminal(stderr)
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetContext(ctx)
	err := root.Execute()
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "aiplan: %v\n", err)
	return exitCode(err)
}

// exitCode maps an error to the exit status: 2 for bad input (usage
// errors, flag errors, perf.ErrInput, refused writes), 1 for everything
// else (internal errors, I/O failures).
func exitCode(err error) int {
	var st exitStatus
	if errors.As(err, &st) {
		return st.code
	}
	var ue usageError
	var re *safefile.RefusedError
	if errors.As(err, &ue) || isFlagError(err) || errors.Is(err, perf.ErrInput) || errors.As(err, &re) {
		return 2
	}
	return 1
}

func isFlagError(err error) bool {
	// cobra and pflag report unknown commands and flags as plain errors;
	// everything that reaches here without a usageError wrapper and comes
	// from argument parsing is marked by flagErrorFunc below.
	var fe flagError
	return errors.As(err, &fe)
}

type flagError struct{ error }

func (f flagError) Unwrap() error { return f.error }

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "aiplan",
		Short: "aiplan plans AI infrastructure: fit, speed, cost, architecture and compliance",
		Long: `aiplan is the AI infrastructure planner. From one workload file it finds the
cheapest way to run every workload that meets its latency targets, budget,
regions and compliance regimes; prices it over the traffic shape; designs the
architecture around it; maps the regimes to controls; and writes Kubernetes,
Terraform and Prometheus files. Its estimates of memory, throughput, latency
and training time come from model architecture and hardware specifications,
checked against published measurements.

Everything runs offline on the embedded, sourced catalog. Start with:
  aiplan plan examples/eu-enterprise.yaml`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usage("unknown command %q (see `aiplan --help`)", args[0])
			}
			return cmd.Help()
		},
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return flagError{fmt.Errorf("%w (see `%s --help`)", err, c.CommandPath())}
	})
	root.AddCommand(newVersionCmd(), newPlanCmd(), newExportCmd(), newValidateCmd(), newSchemaCmd(), newCatalogCmd(), newEstimateCmd(), newCalibrateCmd())
	for _, c := range root.Commands() {
		wrapArgs(c)
	}
	return root
}

// wrapArgs turns cobra's positional-argument errors into usage errors.
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		orig := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := orig(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, s := range c.Commands() {
		wrapArgs(s)
	}
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the aiplan version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "aiplan %s\n", version)
			return nil
		},
	}
}
