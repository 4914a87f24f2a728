// Package catalog holds aiplan's reference data: accelerators, cloud
// instances, model architectures and the fitted efficiency factors of the
// performance engine. Every record carries its Source and AsOf date.
//
// The data lives in data/*.yaml, embedded with go:embed. Users overlay or
// extend it with their own file (Load with an overlay path). Read types.go
// first, then load.go (decoding and validation) and resolve.go (id lookup).
package catalog
