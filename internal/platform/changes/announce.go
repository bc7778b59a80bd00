package changes

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// AnnounceGap is the least time between two announcements: the changes committed in
// it are announced together. The loader waits longer than this for a burst to gather
// anyway (OUTCOMES_LOADER_LINGER, 100 ms by default).
const AnnounceGap = 25 * time.Millisecond

// announceTimeout bounds one announcement; a lost one costs the loader no more than
// its poll interval (OUTCOMES_LOADER_POLL_INTERVAL).
const announceTimeout = 5 * time.Second

// Announcer tells the loader, on Channel, that writes have committed change events. It
// does so after those writes, in a statement of its own, never inside them: a NOTIFY
// takes one lock for the whole database from its transaction's commit until the commit
// is on disk, so a NOTIFY in every write transaction made all writers commit one at a
// time (a one-row INSERT with a NOTIFY in its transaction ran at a quarter to a third of
// the rate of the INSERT alone under eight clients; make bench-notify). Announcements are
// coalesced: Kick returns at once, at most one is being sent at any time, and the kicks
// that arrive meanwhile make one more, AnnounceGap after the last.
//
// outcomesctl announces its writes once each command is done (AnnounceOnce); writes
// made in SQL by hand are found by the loader's poll (OUTCOMES_LOADER_POLL_INTERVAL), and
// so is a write whose announcement failed.
type Announcer struct {
	db  DB
	log zerolog.Logger

	mu      sync.Mutex
	sending bool // a goroutine is announcing
	again   bool // kicked since that goroutine's last announcement
}

// NewAnnouncer announces on db (a pool: the announcement is a statement of its own).
func NewAnnouncer(db DB, log zerolog.Logger) *Announcer {
	return &Announcer{db: db, log: log}
}

// Kick says that writes with change events have committed. A nil Announcer does
// nothing (the loader's poll finds the changes).
func (a *Announcer) Kick() {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sending {
		a.again = true
		return
	}
	a.sending = true
	go a.announce()
}

// announce sends announcements until no kick came during the last one and the gap
// after it.
func (a *Announcer) announce() {
	for {
		ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), announcementKey{}, true), announceTimeout)
		err := AnnounceOnce(ctx, a.db)
		cancel()
		if err != nil {
			// The statement carries no personal data; the SQLSTATE says enough.
			a.log.Warn().Str("sqlstate", db.SQLState(err)).Bool("unavailable", db.IsUnavailable(err)).
				Msg("could not announce committed changes; the loader finds them at its next poll")
		}
		time.Sleep(AnnounceGap)
		a.mu.Lock()
		if !a.again {
			a.sending = false
			a.mu.Unlock()
			return
		}
		a.again = false
		a.mu.Unlock()
	}
}

// AnnounceOnce tells the loader once, on db, that committed writes have change events:
// what a program that writes now and then (outcomesctl) sends when its writes are done.
func AnnounceOnce(ctx context.Context, db DB) error {
	_, err := db.Exec(ctx, `SELECT pg_notify($1, '')`, Channel)
	return err
}

type announcementKey struct{}

// IsAnnouncement says whether ctx is an announcement's: it follows a response and is
// part of none, so counters of what a request costs leave it out (testenv.Statements).
func IsAnnouncement(ctx context.Context) bool { return ctx.Value(announcementKey{}) != nil }
