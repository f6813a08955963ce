package benchgen

import (
	"math/rand/v2"
	"strings"
)

// vocabWords is the fixed vocabulary of the Text shape: 240 words, each
// written followed by a space.
const vocabWords = `
the of and to in is that for it as with was on be by at this are from or have
an not which but all can has more one were will their been if when there so
what about into than them only other new some time these two may then do first
any my now such like our over also did just after most made well how where way
many even because those through each much before must between same under while
last might both own being here without another during three since point state
file data system change store write read branch merge session checkpoint commit
index value key tree node object hash chunk block record entry table page list
query search result error return function method module package import config
option default update delete create insert select order group count total size
length offset range limit start end begin close open load save copy move sync
flush lock wait signal thread process memory disk cache buffer stream queue
stack heap pointer reference handle event message request response client
server network socket address port host domain user owner path name type kind
mode flag bit byte word line column row field struct class interface version
format encode decode parse print debug trace log metric sample test check
verify valid invalid empty full small large fast slow quick early late high low
long short simple complex local remote
`

// vocabLineEnds end a sentence and a line; each is written followed by a
// newline.
var vocabLineEnds = [...]string{
	"again.", "today.", "here.", "later.", "now.", "done.", "too.", "first.",
	"instead.", "anyway.", "below.", "above.", "before.", "after.", "together.", "enough.",
}

const (
	numWords = 240
	numEnds  = len(vocabLineEnds)
)

// vocab and lineEnds are the tokens: words with their space, line ends
// with their newline.
var vocab, lineEnds = buildVocab()

func buildVocab() (words *[numWords]string, ends *[numEnds]string) {
	f := strings.Fields(vocabWords)
	if len(f) != numWords {
		panic("benchgen: vocabulary must have 240 words")
	}
	words, ends = new([numWords]string), new([numEnds]string)
	for i, w := range f {
		words[i] = w + " "
	}
	for i, w := range vocabLineEnds {
		ends[i] = w + "\n"
	}
	return words, ends
}

// Each text file draws on its own "topic": topicWords words and topicEnds
// line ends picked at random from the vocabulary, one per slot of 64
// equally likely slots. Tokens are drawn from the slots, ten per 64-bit
// draw. The small topic is what gives about 3:1 per 4 KiB file (measured
// per file: zstd level 1 3.1, level 3 3.1, flate level 6 3.1; drawing from
// all 256 tokens gives only 2.2 under zstd level 1, too little repetition
// within 4 KiB). Line ends are 1 token in 16, so lines average about 90
// bytes.
const (
	topicWords = topicSlots - topicEnds
	topicEnds  = 4
	topicSlots = 64
)

// textGen fills buffers with pseudo-text, one new topic per buffer.
type textGen struct {
	r     *rand.Rand
	src   *rand.PCG
	words [numWords]uint8 // a permutation of word indices, partly reshuffled per topic
	ends  [numEnds]uint8
	slots [topicSlots]string
}

func newTextGen(r *rand.Rand, src *rand.PCG) *textGen {
	g := &textGen{r: r, src: src}
	for i := range g.words {
		g.words[i] = uint8(i)
	}
	for i := range g.ends {
		g.ends[i] = uint8(i)
	}
	return g
}

// newTopic draws a fresh topic into g.slots.
func (g *textGen) newTopic() {
	partialShuffle(g.r, g.words[:], topicWords)
	partialShuffle(g.r, g.ends[:], topicEnds)
	for j := range topicWords {
		g.slots[j] = vocab[g.words[j]]
	}
	for j := range topicEnds {
		g.slots[topicWords+j] = lineEnds[g.ends[j]]
	}
}

// partialShuffle moves k uniformly chosen elements of p, in random order,
// to p[:k] (the first k steps of a Fisher–Yates shuffle).
func partialShuffle(r *rand.Rand, p []uint8, k int) {
	for i := range k {
		j := i + r.IntN(len(p)-i)
		p[i], p[j] = p[j], p[i]
	}
}

// fill fills dst with pseudo-text on a new topic, the last token cut to
// fit; dst ends with a newline.
func (g *textGen) fill(dst []byte) {
	g.newTopic()
	pos := 0
	for pos < len(dst) {
		u := g.src.Uint64()
		for k := 0; k < 10 && pos < len(dst); k++ {
			pos += copy(dst[pos:], g.slots[u&(topicSlots-1)])
			u >>= 6
		}
	}
	if len(dst) > 0 {
		dst[len(dst)-1] = '\n'
	}
}
