//go:build nometrics

package app

import (
	"context"
	"errors"
	"net/http"

	"quire/internal/contents"
	"quire/internal/httpapi"
	"quire/internal/kernel"
	"quire/internal/wsbridge"
)

// This file replaces metrics.go in a build with -tags nometrics: the same
// tree with no metrics code linked in (neither internal/metrics nor its
// library), which bench's -compare-quire runs beside the usual build to
// measure what metrics cost at start and idle (issue #21). It is not a
// build to ship: --metrics and --metrics-addr do nothing or fail.

// meterSet has no values: s.metrics is always nil.
type meterSet struct{}

func (s *server) newMetrics() *meterSet                     { return nil }
func (s *server) observeManagers()                          {}
func (s *server) kernelMeter() kernel.Meter                 { return nil }
func (s *server) wsMeter() wsbridge.Meter                   { return nil }
func (s *server) slowTerminalMeter() func()                 { return nil }
func (s *server) loginMeter() func(string)                  { return nil }
func (s *server) meterAPI(*httpapi.Deps, func() int)        {}
func (s *server) meterRequests(h http.Handler) http.Handler { return h }
func (s *server) meterContents(*contents.Options)           {}

func (s *server) serveMetrics(context.Context) (func(), error) {
	return nil, errors.New("--metrics-addr: this binary was built with -tags nometrics (for benchmarks) and has no metrics")
}
