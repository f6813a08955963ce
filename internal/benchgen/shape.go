package benchgen

import "fmt"

// Shape selects the bytes LargeState puts in its files.
type Shape int

const (
	// Text is seeded pseudo-text: words from a fixed 256-token vocabulary,
	// roughly 3:1 under zstd. It is the default.
	Text Shape = iota
	// Random is seeded uniform random bytes; it does not compress.
	Random
	// Zeros is all zero bytes; it compresses to almost nothing.
	Zeros
)

var shapeNames = [...]string{Text: "text", Random: "random", Zeros: "zeros"}

// String returns the name ParseShape accepts: "text", "random" or "zeros".
func (s Shape) String() string {
	if s >= 0 && int(s) < len(shapeNames) {
		return shapeNames[s]
	}
	return fmt.Sprintf("Shape(%d)", int(s))
}

// ParseShape parses the value of a --shape flag: "text", "random" or "zeros".
func ParseShape(s string) (Shape, error) {
	for i, name := range shapeNames {
		if s == name {
			return Shape(i), nil
		}
	}
	return Text, fmt.Errorf("benchgen: unknown shape %q (want text, random or zeros)", s)
}
