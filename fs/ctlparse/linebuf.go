package ctlparse

import "bytes"

// keepCap is the largest buffer capacity a LineBuffer keeps between lines;
// a larger buffer (left by a long line) is released.
const keepCap = 64 << 10

// LineBuffer accumulates the bytes written to one control-file handle and
// yields complete lines. The zero value is ready to use. A LineBuffer is not
// safe for concurrent use.
type LineBuffer struct {
	pending    []byte // bytes of the current, unterminated line
	discarding bool   // dropping bytes up to the next newline after an error
}

// Write appends p and returns the lines it completed, in order, without their
// "\n". A CR before the "\n" is kept (Parse ignores it). Each line may be at
// most MaxLineLen bytes, not counting the "\n".
//
// If a line exceeds MaxLineLen, Write returns the lines completed before it
// and a "line too long" error. The long line and the rest of p are dropped;
// if p does not end in a newline, the bytes of later writes up to and
// including the next newline are dropped too, so parsing resumes at the next
// line boundary.
func (b *LineBuffer) Write(p []byte) (lines []string, err error) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if b.discarding {
			if i < 0 {
				return lines, nil
			}
			b.discarding = false
			p = p[i+1:]
			continue
		}
		if i < 0 {
			if len(b.pending)+len(p) > MaxLineLen {
				return lines, b.overflow(true)
			}
			b.pending = append(b.pending, p...)
			return lines, nil
		}
		if len(b.pending)+i > MaxLineLen {
			return lines, b.overflow(p[len(p)-1] != '\n')
		}
		b.pending = append(b.pending, p[:i]...)
		lines = append(lines, b.take())
		p = p[i+1:]
	}
	return lines, nil
}

// Flush returns the final line if bytes not terminated by a newline are
// pending, and resets the buffer. Call it when
// the handle is closed. It returns ok=false if nothing is pending, or if the
// pending bytes belong to a line already rejected as too long.
func (b *LineBuffer) Flush() (line string, ok bool) {
	if b.discarding || len(b.pending) == 0 {
		b.reset()
		return "", false
	}
	return b.take(), true
}

// take returns the pending line and empties the buffer.
func (b *LineBuffer) take() string {
	line := string(b.pending)
	b.reset()
	return line
}

func (b *LineBuffer) reset() {
	b.discarding = false
	if cap(b.pending) > keepCap {
		b.pending = nil
	} else {
		b.pending = b.pending[:0]
	}
}

// overflow drops the pending line and returns the "line too long" error.
func (b *LineBuffer) overflow(discard bool) error {
	b.reset()
	b.discarding = discard
	return errTooLong()
}

func errTooLong() error {
	return errorf("line too long (limit %d bytes)", MaxLineLen)
}
