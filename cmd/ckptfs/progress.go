package main

import (
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress is a progress bar on a terminal, nothing otherwise. A nil
// *progress is valid and does nothing.
type progress struct{ bar *progressbar.ProgressBar }

func (a *app) newProgress(desc string, total int64, bytes bool) *progress {
	if !a.tty {
		return nil
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(a.stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(bytes),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish())
	return &progress{bar: bar}
}

func (p *progress) set(n int64) {
	if p != nil {
		p.bar.Set64(n)
	}
}

func (p *progress) done() {
	if p != nil {
		p.bar.Finish()
	}
}
