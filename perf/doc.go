// Package perf is aiplan's performance engine: pure, allocation-light
// functions that predict memory, serving throughput and latency, training
// time and classic-model throughput from a model's architecture and an
// accelerator's specifications, scaled by the fitted efficiency factors in
// catalog.Efficiency.
//
// Reading guide: memory.go (weights, KV cache, activations, optimizer
// states), inference.go (prefill/decode roofline, parallelism, batching,
// load), training.go (FLOPs, MFU, parallel plan, goodput), classic.go.
// Every estimate carries an uncertainty band and the assumptions it made.
package perf
