package loaders

import "io"

// prefetchBatch is how many rows travel together between the goroutines;
// prefetchDepth batches may wait, so decoding goes on while the store takes a
// large batch (MariaDB's LOAD DATA takes 50,000 rows at once) — a few MB at most.
const (
	prefetchBatch = 256
	prefetchDepth = 256
)

type fetched struct {
	cells []string
	row   int
	err   error
}

// prefetchSource reads rows ahead on a goroutine of its own, so decoding a
// workbook's XML (most of an .xlsx load) overlaps with checking and writing
// the rows on the caller's. It starts on the first next and reads at most
// prefetchDepth batches ahead, so memory stays flat.
type prefetchSource struct {
	inner   rowSource
	batches chan []fetched
	stop    chan struct{}
	done    chan struct{}
	started bool // next and close are called from the caller's goroutine only
	cur     []fetched
	pos     int
	ended   *fetched // the EOF or error that ended the stream, repeated to later calls
}

func prefetch(inner rowSource) *prefetchSource {
	return &prefetchSource{inner: inner, batches: make(chan []fetched, prefetchDepth), stop: make(chan struct{}), done: make(chan struct{})}
}

func (p *prefetchSource) run() {
	defer close(p.done)
	defer close(p.batches)
	batch := make([]fetched, 0, prefetchBatch)
	for {
		cells, row, err := p.inner.next()
		batch = append(batch, fetched{cells, row, err})
		if err != nil || len(batch) == prefetchBatch {
			select {
			case p.batches <- batch:
			case <-p.stop:
				return
			}
			if err != nil {
				return
			}
			batch = make([]fetched, 0, prefetchBatch)
		}
	}
}

func (p *prefetchSource) next() ([]string, int, error) {
	if !p.started {
		p.started = true
		go p.run()
	}
	if p.ended != nil {
		return p.ended.cells, p.ended.row, p.ended.err
	}
	for p.pos == len(p.cur) {
		batch, ok := <-p.batches
		if !ok {
			return nil, 0, io.EOF // only after close; run always hands over the error that ends it
		}
		p.cur, p.pos = batch, 0
	}
	f := p.cur[p.pos]
	p.pos++
	if f.err != nil {
		p.ended = &f
	}
	return f.cells, f.row, f.err
}

func (p *prefetchSource) close() error {
	if p.started {
		close(p.stop)
		<-p.done
	}
	return p.inner.close()
}
