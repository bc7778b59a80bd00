package loader

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/livefigures"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// The pipeline the live loop and the rebuild share: three stages joined by small
// channels, so reading PostgreSQL and building the next batch overlap with ClickHouse
// taking the current one.
//
//	read  (a source: the outbox's pending changes, or a page of participants)
//	  ‖ build (read the histories in one snapshot, build the rows, look up live rows)
//	  ‖ write (write, isolating a permanent failure down to one participant; record
//	           dead letters; mark the batch's changes processed)
//
// The live loop feeds one batch at a time (a change must not be built before the
// previous batch with the same participant is written, or its tombstones would be
// computed from stale live rows); the rebuild feeds pages as fast as they are taken.

// work is one batch entering the pipeline.
type work struct {
	orgOf  map[string]string // participant id -> organisation id
	events []changes.Event   // outbox events to mark processed once written (live loop only)
}

// source yields the next batch; ok false ends the pipeline.
type source func(ctx context.Context) (w work, ok bool, err error)

// pipelineOptions choose how the shared stages behave.
type pipelineOptions struct {
	lookupLive bool // tombstone live rows PostgreSQL no longer implies (false: fresh, empty tables)
	// retries is how many times a transient failure of one batch is retried with growing
	// waits inside the pipeline before it gives up (the live loop retries by itself,
	// forever, with the changes still pending: 0).
	retries int
	// builders and writers are how many batches are built, and written, at once (0: one).
	// The live loop builds and writes one at a time; a rebuild's pages are independent.
	builders, writers int
	written           func(b *prepared, rows int) // after each batch is written and marked (one call at a time)
	// gather, when set, writes the batches gathered: whole batches in INSERTs of at
	// least gather.months month rows or gather.enrolments enrolment rows (the rest at
	// the end). Only for batches without tombstones or outbox events (a rebuild into
	// fresh tables): every INSERT makes a part per partition it touches, and parts cost
	// the server far more than their rows (each page's INSERT into the wide
	// enrolment_outcome made a part per exit year: six times the server CPU of the same
	// rows inserted at once), and parts are merged again in the background.
	gather *gatherLimits
}

// gatherLimits say when gathered batches are written (pipelineOptions.gather).
type gatherLimits struct{ months, enrolments int }

// pipeline runs read ‖ build ‖ write until the source ends or a stage fails.
func (l *Loader) pipeline(ctx context.Context, read source, o pipelineOptions) error {
	g, gctx := errgroup.WithContext(ctx)
	works := make(chan work, 1)
	built := make(chan *prepared, 1)
	g.Go(func() error {
		defer close(works)
		for {
			w, ok, err := read(gctx)
			if err != nil || !ok {
				return err
			}
			select {
			case works <- w:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
	})
	var building sync.WaitGroup
	for range max(o.builders, 1) {
		building.Add(1)
		g.Go(func() error {
			defer building.Done()
			for w := range works {
				var b *prepared
				err := l.withRetries(gctx, o.retries, func() error {
					var err error
					b, err = l.build(gctx, w, o.lookupLive)
					return err
				})
				if err != nil {
					return err
				}
				select {
				case built <- b:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	go func() { building.Wait(); close(built) }()
	var mu sync.Mutex // serialises the written callback
	report := func(b *prepared, n int) {
		if o.written != nil {
			mu.Lock()
			o.written(b, n)
			mu.Unlock()
		}
	}
	gathered := &gathering{}
	// writeGathered writes a gathering (always with retries) and reports its batches.
	writeGathered := func(batches []*prepared) error {
		if len(batches) == 0 {
			return nil
		}
		var rows []int
		err := l.withRetries(gctx, o.retries, func() error {
			var err error
			rows, err = l.writeGathered(gctx, batches)
			return err
		})
		if err != nil {
			return err
		}
		for i, b := range batches {
			report(b, rows[i])
			recycleMonthRows(b.rows.Months)
		}
		return nil
	}
	var writing sync.WaitGroup
	for range max(o.writers, 1) {
		writing.Add(1)
		g.Go(func() error {
			defer writing.Done()
			for b := range built {
				if o.gather != nil && b.gatherable() {
					if err := writeGathered(gathered.add(b, *o.gather)); err != nil {
						return err
					}
					continue
				}
				var n int
				err := l.withRetries(gctx, o.retries, func() error {
					var err error
					n, err = l.write(gctx, b)
					return err
				})
				if err != nil {
					return err
				}
				report(b, n)
				recycleMonthRows(b.rows.Months)
			}
			return nil
		})
	}
	g.Go(func() error {
		writing.Wait()
		if gctx.Err() != nil {
			return nil
		}
		return writeGathered(gathered.flush())
	})
	return g.Wait()
}

// spareMonths holds month-row slices that written batches are done with.
var spareMonths sync.Pool

// monthRows returns an empty slice with room for at least n rows.
func monthRows(n int) []snapshot.MonthRow {
	if s, ok := spareMonths.Get().(*[]snapshot.MonthRow); ok && cap(*s) >= n {
		return (*s)[:0]
	}
	return make([]snapshot.MonthRow, 0, n)
}

// recycleMonthRows hands a written batch's month rows back for another batch: nothing
// reads them once the batch is written (a split for isolation copies its rows).
func recycleMonthRows(rows []snapshot.MonthRow) {
	if cap(rows) > 0 {
		rows = rows[:0]
		spareMonths.Put(&rows)
	}
}

// gathering holds batches waiting for a gathered write (pipelineOptions.gather).
type gathering struct {
	mu                 sync.Mutex
	batches            []*prepared
	months, enrolments int
}

// add adds b and, once the rows waiting reach a limit, hands them all out.
func (g *gathering) add(b *prepared, limits gatherLimits) []*prepared {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.batches = append(g.batches, b)
	g.months += len(b.rows.Months)
	g.enrolments += len(b.rows.Enrolments)
	if g.months < limits.months && g.enrolments < limits.enrolments {
		return nil
	}
	return g.takeLocked()
}

// flush hands out whatever waits.
func (g *gathering) flush() []*prepared {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.takeLocked()
}

func (g *gathering) takeLocked() []*prepared {
	out := g.batches
	g.batches, g.months, g.enrolments = nil, 0, 0
	return out
}

// gatherable says a batch may wait for a gathered write: it writes no tombstones and
// marks no outbox events (a fresh rebuild's page).
func (b *prepared) gatherable() bool {
	return b.rows.Fresh && len(b.rows.DeletedMonths)+len(b.rows.DeletedEnrolments)+len(b.erased)+len(b.events) == 0
}

// writeGathered writes several batches in one INSERT per table, records their dead
// letters, and returns the rows written of each. When ClickHouse refuses the INSERT for
// good, each batch is written on its own, isolating the participants whose rows are
// refused.
//
// A fresh rebuild writes no enrolment row of a participant before these, so any row of
// theirs with a later version than their batch's was written by a live loader that read
// them later: theirs stand, and the batch's (older) enrolment rows are left out. Without
// this check the wait for a gathering would widen the window in which both could end up
// live. (Month rows need no check: readers take the highest version.) After a first
// attempt, whatever its outcome, the batches count as not fresh: the blocks an INSERT
// sent before failing may have been written, and what is written again cancels them
// first.
func (l *Loader) writeGathered(ctx context.Context, batches []*prepared) ([]int, error) {
	oldest := batches[0].rows.Version
	for _, b := range batches {
		oldest = min(oldest, b.rows.Version)
	}
	versions, err := chstore.EnrolmentVersionsAbove(ctx, l.CH, oldest)
	if err != nil {
		l.Metrics.Errors.WithLabelValues("clickhouse").Inc()
		return nil, err
	}
	rs := make([]chstore.Rows, len(batches))
	for i, b := range batches {
		if b.rows.Fresh && len(versions) > 0 {
			kept := b.rows.Enrolments[:0:0]
			for _, r := range b.rows.Enrolments {
				if versions[r.PersonKey] <= b.rows.Version {
					kept = append(kept, r)
				}
			}
			b.rows.Enrolments = kept
		}
		rs[i] = b.rows
	}
	err = chstore.WriteMany(ctx, l.CH, rs)
	for _, b := range batches {
		b.rows.Fresh = false
	}
	rows := make([]int, len(batches))
	if err == nil {
		var written []person
		var dead []deadLetter
		for i, b := range batches {
			written, dead = append(written, b.people...), append(dead, b.dead...)
			rows[i] = b.rows.Len()
			l.Metrics.RowsWritten.Add(float64(rows[i]))
			l.Metrics.BatchSize.Observe(float64(rows[i]))
		}
		if err := l.recordDeadLetters(ctx, written, dead); err != nil {
			l.Metrics.Errors.WithLabelValues("dead_letter").Inc()
			return nil, err
		}
		return rows, nil
	}
	if isTransient(err) {
		l.Metrics.Errors.WithLabelValues("clickhouse").Inc()
		return nil, err
	}
	l.Log.Warn().Str("reason", reasonOf(err)).Int("batches", len(batches)).Msg("clickhouse refused gathered rows; writing batch by batch")
	for i, b := range batches {
		if rows[i], err = l.write(ctx, b); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// withRetries runs fn, retrying a transient failure up to retries times with growing
// waits; a permanent error (none reach here from the write stage, which isolates them)
// returns at once.
func (l *Loader) withRetries(ctx context.Context, retries int, fn func() error) error {
	b := newBackoff()
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || attempt >= retries || !isTransient(err) || ctx.Err() != nil {
			return err
		}
		wait := b.next()
		l.Log.Warn().Err(err).Dur("retry_in", wait).Msg("batch failed transiently; retrying")
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}

// ProcessOnce handles one batch of pending change events and returns how many it
// marked processed (a batch's dead letters included: the queue moves on past them).
func (l *Loader) ProcessOnce(ctx context.Context) (int, error) {
	l.defaults()
	start := time.Now()
	events, err := changes.Pending(ctx, l.PG, l.BatchSize)
	if err != nil {
		l.Metrics.Errors.WithLabelValues("read").Inc()
		return 0, err
	}
	if len(events) == 0 {
		return 0, nil
	}
	l.batchSeq++
	log := l.Log.With().Uint64("batch", l.batchSeq).Logger()
	w := work{orgOf: make(map[string]string, len(events)), events: events}
	for _, e := range events {
		w.orgOf[e.ParticipantID] = e.OrgID
	}
	var rows, dead int
	err = l.pipeline(ctx, once(w), pipelineOptions{lookupLive: true, written: func(b *prepared, n int) {
		rows, dead = n, len(b.dead)
	}})
	if err != nil {
		l.Metrics.RejectedBatches.Inc()
		return 0, err
	}
	l.Metrics.EventsDone.Add(float64(len(events)))
	l.Metrics.BatchSeconds.Observe(time.Since(start).Seconds())
	log.Info().Int("changes", len(events)).Int("participants", len(w.orgOf)).Int("rows", rows).Int("dead_letters", dead).
		Int64("first_change", events[0].ID).Dur("took", time.Since(start)).
		Float64("oldest_change_age_s", time.Since(events[0].CreatedAt).Seconds()).Msg("batch written")
	return len(events), nil
}

// once is a source of one batch.
func once(w work) source {
	done := false
	return func(context.Context) (work, bool, error) {
		if done {
			return work{}, false, nil
		}
		done = true
		return w, true, nil
	}
}

// Sync rebuilds and writes the warehouse rows of the given participants (id ->
// organisation id), tombstoning rows PostgreSQL no longer implies, without touching the
// outbox. It returns the number of rows written.
func (l *Loader) Sync(ctx context.Context, orgOf map[string]string) (int, error) {
	l.defaults()
	var rows int
	err := l.pipeline(ctx, once(work{orgOf: orgOf}), pipelineOptions{lookupLive: true,
		written: func(_ *prepared, n int) { rows = n }})
	return rows, err
}

// person is one participant of a batch.
type person struct {
	id, org, key string
}

// part is what one ClickHouse write carries: the rows of some participants.
type part struct {
	rows   chstore.Rows
	erased []string // person keys of participants no longer in PostgreSQL
	people []person // everyone whose rows (or erasure) the part carries
}

// prepared is a batch ready for ClickHouse.
type prepared struct {
	part
	participants int
	dead         []deadLetter    // left out: their rows cannot be built or written
	events       []changes.Event // to mark processed once written
}

// build reads the participants' histories and builds their rows, plus tombstones for
// live rows PostgreSQL no longer implies. A participant whose rows cannot be built
// becomes a dead letter here.
func (l *Loader) build(ctx context.Context, w work, lookupLive bool) (*prepared, error) {
	ids := make([]string, 0, len(w.orgOf))
	for id := range w.orgOf {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	version, persons, err := readHistories(ctx, l.PG, ids)
	if err != nil {
		l.Metrics.Errors.WithLabelValues("read").Inc()
		return nil, err
	}
	asOf := snapshot.Month(calendar.Today(l.now()))
	b := &prepared{participants: len(ids), events: w.events}
	b.rows.Version, b.rows.Fresh = version, !lookupLive
	// Room for about ten years of months per person, so appends rarely copy; in a
	// slice an earlier batch has finished with (filling fresh memory, page by page, was
	// a good part of a rebuild's CPU).
	b.rows.Months = monthRows(len(ids) * 120)
	b.rows.Enrolments = make([]snapshot.EnrolmentRow, 0, len(ids)*2)
	b.people = make([]person, 0, len(ids))
	byOrg := map[string][]string{} // org -> person keys
	type implied struct {
		months     map[int64]bool
		enrolments map[string]bool
	}
	var implies map[string]implied
	if lookupLive {
		implies = make(map[string]implied, len(ids))
	}
	for _, id := range ids {
		key := l.Keys.Person(id)
		org := w.orgOf[id]
		p := persons[id]
		if p == nil {
			b.erased = append(b.erased, key)
		} else {
			org = p.OrgID
			// The person's month rows go straight into the batch's (no copy of millions of rows).
			all, enrolments, err := buildPerson(b.rows.Months, p, asOf, l.Keys)
			if err != nil {
				// Left out, with its earlier rows untouched; recorded once the batch is written.
				b.dead = append(b.dead, deadLetter{orgID: org, participantID: id, reason: err.Error()})
				continue
			}
			months := all[len(b.rows.Months):]
			b.rows.Months = all
			b.rows.Enrolments = append(b.rows.Enrolments, enrolments...)
			if lookupLive {
				im := implied{months: make(map[int64]bool, len(months)), enrolments: make(map[string]bool, len(enrolments))}
				for _, m := range months {
					im.months[m.Month.Unix()] = true
				}
				for _, e := range enrolments {
					im.enrolments[e.EnrolmentKey] = true
				}
				implies[key] = im
			}
		}
		byOrg[org] = append(byOrg[org], key)
		b.people = append(b.people, person{id: id, org: org, key: key})
	}
	if !lookupLive {
		return b, nil
	}
	for org, keys := range byOrg {
		live, err := chstore.Live(ctx, l.CH, org, keys)
		if err != nil {
			l.Metrics.Errors.WithLabelValues("clickhouse").Inc()
			return nil, err
		}
		for _, key := range keys {
			im := implies[key] // zero value for the erased: everything live is tombstoned
			for _, m := range live.Months[key] {
				if !im.months[snapshot.Month(m).Unix()] {
					b.rows.DeletedMonths = append(b.rows.DeletedMonths, snapshot.MonthRow{OrgID: org, PersonKey: key, Month: m})
				}
			}
			for _, e := range live.Enrolments[key] {
				if !im.enrolments[e] {
					b.rows.DeletedEnrolments = append(b.rows.DeletedEnrolments, snapshot.EnrolmentRow{OrgID: org, EnrolmentKey: e, PersonKey: key})
				}
			}
		}
	}
	return b, nil
}

// BuildError says that a participant's snapshot could not be built (the builder
// panicked on their history): permanent until their data or the builder changes.
type BuildError struct{ Cause string }

func (e *BuildError) Error() string { return "snapshot build failed: " + e.Cause }

// buildPerson appends one participant's month rows to batch and returns them with their
// enrolment rows, after checking that ClickHouse can hold them. On an error the caller
// keeps batch as it was (anything appended past its length is ignored).
func buildPerson(batch []snapshot.MonthRow, p *snapshot.Person, asOf time.Time, keys snapshot.Keys) (months []snapshot.MonthRow, enrolments []snapshot.EnrolmentRow, err error) {
	defer func() {
		if r := recover(); r != nil {
			// A runtime error names an operation and indexes, never a value of the history;
			// any other panic value is named by its type only.
			cause := fmt.Sprintf("panic of type %T", r)
			if re, ok := r.(runtime.Error); ok {
				cause = re.Error()
			}
			months, enrolments, err = nil, nil, &BuildError{Cause: cause}
		}
	}()
	months, enrolments = snapshot.AppendBuild(batch, *p, asOf, keys)
	// The driver would wrap an out-of-range date into a wrong one rather than refuse it.
	if err := chstore.Representable(months[len(batch):], enrolments); err != nil {
		return nil, nil, err
	}
	return months, enrolments, nil
}

// write sends a prepared batch to ClickHouse (isolating a permanent failure to the
// participants causing it), records and resolves dead letters, marks the batch's
// changes processed, and returns the rows written.
func (l *Loader) write(ctx context.Context, b *prepared) (int, error) {
	written, dead, n, err := l.writeIsolating(ctx, b.part)
	if err != nil {
		l.Metrics.Errors.WithLabelValues("clickhouse").Inc()
		return 0, err
	}
	// A retry of this batch must not count its dead letters twice.
	allDead := append(append([]deadLetter(nil), b.dead...), dead...)
	if err := l.recordDeadLetters(ctx, written, allDead); err != nil {
		l.Metrics.Errors.WithLabelValues("dead_letter").Inc()
		return 0, err
	}
	if len(b.events) > 0 {
		ids := make([]int64, len(b.events))
		for i, e := range b.events {
			ids[i] = e.ID
		}
		// Only now, after ClickHouse acknowledged the rows, do the events count as done;
		// the same statement tells the API processes which organisations' figures changed.
		if err := changes.MarkProcessed(ctx, l.PG, ids, livefigures.Channel); err != nil {
			l.Metrics.Errors.WithLabelValues("mark").Inc()
			return 0, err
		}
	}
	b.dead = allDead
	l.Metrics.RowsWritten.Add(float64(n))
	l.Metrics.BatchSize.Observe(float64(n))
	return n, nil
}

// writeIsolating writes a part; when ClickHouse refuses it for good, it halves the part
// and writes each half, down to the one participant whose rows are refused, who
// becomes a dead letter. It returns the participants written, the dead letters and the
// rows written; a transient error returns as is (the whole batch is retried).
func (l *Loader) writeIsolating(ctx context.Context, p part) ([]person, []deadLetter, int, error) {
	err := l.writePart(ctx, p)
	if err == nil {
		return p.people, nil, p.rows.Len(), nil
	}
	if isTransient(err) || len(p.people) == 0 {
		return nil, nil, 0, err
	}
	if len(p.people) == 1 {
		who := p.people[0]
		return nil, []deadLetter{{orgID: who.org, participantID: who.id, reason: reasonOf(err)}}, 0, nil
	}
	l.Log.Warn().Str("reason", reasonOf(err)).Int("participants", len(p.people)).Msg("clickhouse refused a batch; splitting it to isolate the cause")
	a, c := p.split()
	wa, da, na, err := l.writeIsolating(ctx, a)
	if err != nil {
		return nil, nil, 0, err
	}
	wc, dc, nc, err := l.writeIsolating(ctx, c)
	if err != nil {
		return nil, nil, 0, err
	}
	return append(wa, wc...), append(da, dc...), na + nc, nil
}

func (l *Loader) writePart(ctx context.Context, p part) error {
	if err := chstore.Write(ctx, l.CH, p.rows); err != nil {
		return err
	}
	// Erased people: the tombstones hide them at once; the mutation removes their data
	// rows physically when ClickHouse gets to it (on a cluster, on every shard).
	return l.Warehouse().DeletePersons(ctx, p.erased)
}

// split halves a part by participant.
func (p part) split() (part, part) {
	half := len(p.people) / 2
	return p.only(p.people[:half]), p.only(p.people[half:])
}

// only is the part of p that belongs to people.
func (p part) only(people []person) part {
	keys := make(map[string]bool, len(people))
	for _, who := range people {
		keys[who.key] = true
	}
	out := part{people: people, rows: chstore.Rows{Version: p.rows.Version}}
	for _, m := range p.rows.Months {
		if keys[m.PersonKey] {
			out.rows.Months = append(out.rows.Months, m)
		}
	}
	for _, e := range p.rows.Enrolments {
		if keys[e.PersonKey] {
			out.rows.Enrolments = append(out.rows.Enrolments, e)
		}
	}
	for _, m := range p.rows.DeletedMonths {
		if keys[m.PersonKey] {
			out.rows.DeletedMonths = append(out.rows.DeletedMonths, m)
		}
	}
	for _, e := range p.rows.DeletedEnrolments {
		if keys[e.PersonKey] {
			out.rows.DeletedEnrolments = append(out.rows.DeletedEnrolments, e)
		}
	}
	for _, k := range p.erased {
		if keys[k] {
			out.erased = append(out.erased, k)
		}
	}
	return out
}
