package cost

// Mode is how capacity is bought. Its string form is what plans print and
// what the workload file's constraints.pricing lists (for the simple modes).
type Mode string

// Simple modes: one price per unit of capacity.
const (
	OnDemand        Mode = "on-demand"
	Spot            Mode = "spot"
	Reserved1y      Mode = "reserved-1y"
	Reserved3y      Mode = "reserved-3y"
	ManagedPlatform Mode = "managed-platform"
	Serverless      Mode = "serverless"
	OnPrem          Mode = "on-prem"
	Committed       Mode = "committed"
	API             Mode = "api"
	// Device is owned edge hardware: no cloud cost.
	Device Mode = "device"
	// Unpriced marks a configuration rejected before any price applied.
	Unpriced Mode = "any"
)

// Compound modes: a baseline bought one way and the rest another.
const (
	// SpotOverOnDemand keeps the always-on baseline on demand and runs the
	// replicas above it on spot (latency-critical endpoints).
	SpotOverOnDemand Mode = "spot+on-demand"
	// OnPremBurst serves from owned hardware and bursts to cloud instances
	// on demand for the hours the pool cannot cover.
	OnPremBurst Mode = "on-prem+cloud burst"
	// CommittedOverflow serves from committed instances and overflows on demand.
	CommittedOverflow Mode = "committed+on-demand"
)

// CloudModes are the modes that buy cloud instances by the hour, in the
// order the search tries them.
var CloudModes = []Mode{OnDemand, Reserved1y, Reserved3y, Spot, ManagedPlatform}

// FileModes are the modes a workload file may list in constraints.pricing.
var FileModes = []Mode{OnDemand, Spot, Reserved1y, Reserved3y, Serverless, ManagedPlatform, OnPrem, API}

// UsesSpot reports whether any capacity in the mode can be interrupted.
func (m Mode) UsesSpot() bool { return m == Spot || m == SpotOverOnDemand }

// Owned reports whether the mode serves from capacity already paid for
// (owned hardware or an existing commitment), whose fixed cost is sunk.
func (m Mode) Owned() bool {
	return m == OnPrem || m == OnPremBurst || m == Committed || m == CommittedOverflow
}

// OnPremises reports whether the mode runs (at least its base) on owned hardware.
func (m Mode) OnPremises() bool { return m == OnPrem || m == OnPremBurst }

// Bursts reports whether part of the capacity is bought on demand beyond an owned base.
func (m Mode) Bursts() bool { return m == OnPremBurst || m == CommittedOverflow }

// Reserved reports whether the mode reserves the baseline for a term.
func (m Mode) Reserved() bool { return m == Reserved1y || m == Reserved3y }

// PerInstance reports whether the mode bills whole cloud instances by the hour.
func (m Mode) PerInstance() bool {
	switch m {
	case OnDemand, Spot, Reserved1y, Reserved3y, ManagedPlatform, SpotOverOnDemand, Committed, CommittedOverflow:
		return true
	}
	return false
}

// ParseMode returns the mode a workload file names, if it is one.
func ParseMode(s string) (Mode, bool) {
	for _, m := range FileModes {
		if string(m) == s {
			return m, true
		}
	}
	return "", false
}
