package benchgen

import "testing"

func BenchmarkLargeState10MB(b *testing.B) {
	for _, shape := range []Shape{Text, Random, Zeros} {
		b.Run(shape.String(), func(b *testing.B) {
			b.SetBytes(10 * MB)
			for b.Loop() {
				LargeState(1, 10*MB, shape)
			}
		})
	}
}

func BenchmarkCheckpointState(b *testing.B) {
	for b.Loop() {
		CheckpointState(1, 100, 50)
	}
}
