//go:build race

package benchgen

const raceEnabled = true
