//go:build !linux

package metrics

// registerOS registers nothing: process_* come from Linux's /proc.
func registerOS(*Registry) {}
