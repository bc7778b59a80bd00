// Package logging sets up zerolog: JSON lines, one logger per binary, carried in the
// context so that request and batch ids follow every line.
package logging

import (
	"io"
	"time"

	"github.com/rs/zerolog"
)

// zerolog's time format is a package global: set it once, before any logger runs.
func init() { zerolog.TimeFieldFormat = time.RFC3339Nano }

// New returns a JSON logger writing to w at the given level ("debug", "info", ...).
func New(w io.Writer, level, service string) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		lvl = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Str("service", service).Logger()
}
