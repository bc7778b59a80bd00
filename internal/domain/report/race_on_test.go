//go:build race

package report

// raceEnabled: the race detector slows the small-count protection about tenfold, so the
// oracle test checks fewer reports under it (the full set runs without -race).
const raceEnabled = true
