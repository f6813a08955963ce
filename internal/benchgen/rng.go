package benchgen

import (
	"encoding/binary"
	"math/rand/v2"
)

// Each generator draws from its own PCG stream, so the same seed given to
// CheckpointState and LargeState yields unrelated data.
const (
	streamCheckpoint uint64 = 0x636b70745f737461 // "ckpt_sta"
	streamLarge      uint64 = 0x6c617267655f7374 // "large_st"
	streamGC         uint64 = 0x67635f6167657300 // "gc_ages"
)

func newRand(seed, stream uint64) (*rand.Rand, *rand.PCG) {
	src := rand.NewPCG(seed, stream)
	return rand.New(src), src
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomString returns n characters drawn uniformly from [A-Za-z0-9], like
// Python's random.choices over string.ascii_letters + string.digits.
func randomString(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[r.IntN(len(alnum))]
	}
	return string(b)
}

// fillRandom fills dst with uniform random bytes.
func fillRandom(dst []byte, src *rand.PCG) {
	for len(dst) >= 8 {
		binary.LittleEndian.PutUint64(dst, src.Uint64())
		dst = dst[8:]
	}
	if len(dst) > 0 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], src.Uint64())
		copy(dst, b[:])
	}
}
