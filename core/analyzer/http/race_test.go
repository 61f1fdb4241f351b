//go:build race

package http

// raceEnabled: the race detector makes the long hostile-input tests ten
// times slower, so they run a tenth of their rounds under it.
const raceEnabled = true
