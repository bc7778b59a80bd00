// Package audit records who read or wrote which personal record, in an append-only
// table. Entries are collected during a request and written before its response
// leaves the server: if they cannot be written, the response carries no data.
//
// A request's reads are written one row per person (entity participant): the row's
// Records list the person's other records the request showed (their enrolments,
// referrals, observations, …, each as entity:id), so a page of 50 people with their
// nested records writes 50 rows, not one per record. Records that name no person (an
// action plan, an attribute set) keep a row of their own. Rows written before
// PostgreSQL migration 0013 have a row per record and no Records; List finds a record
// either way.
package audit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Entry is one audited access.
type Entry struct {
	ID             int64
	At             time.Time
	Subject        string
	Role           string
	OrganisationID *string
	Action         string // ActionRead or ActionWrite
	Entity         string // participant, enrolment, ...
	EntityID       string
	Operation      string // GraphQL field or admin command
	RequestID      string
	// Records are the person's other records read with them (a read of a participant):
	// entity:id, e.g. enrolment:4b0c…, in the order first read.
	Records []string
}

// The actions an entry records (audit_log.action's CHECK list).
const (
	ActionRead  = "read"
	ActionWrite = "write"
)

// Actions lists every action.
var Actions = []string{ActionRead, ActionWrite}

// PersonEntity is the entity reads are grouped by: the person a record is about.
const PersonEntity = "participant"

// recordSeparator joins an entry's Records for the one-statement insert (ids and
// entity names never hold it).
const recordSeparator = "\x1f"

// Recorder collects a request's entries.
type Recorder struct {
	mu      sync.Mutex
	entries []Entry
	// records[i] are the records read with entries[i]'s person, in the order first
	// read; they become its Records (entity:id) when the entries are drained, so the
	// hot path builds no strings.
	records [][]Ref
	reads   map[Ref]int     // a record read → the entry recording it (its person's, for a record about one)
	other   map[seenKey]int // the accesses of other actions
	// lastPerson is the entry of the person read last (-1: none): a person's records
	// are read one after another, and this saves their look-up in reads.
	lastPerson int
}

// seenKey is one recorded access other than a read.
type seenKey struct{ action, entity, id string }

type ctxKey struct{}

// NewContext returns ctx with a fresh recorder.
func NewContext(ctx context.Context) (context.Context, *Recorder) {
	r := &Recorder{reads: make(map[Ref]int, 128), lastPerson: -1} // a page's worth: fewer rehashes as it fills
	return context.WithValue(ctx, ctxKey{}, r), r
}

// Record notes an access in the request's recorder (once per entity and action).
func Record(ctx context.Context, action, entity, entityID, operation string) {
	if r, ok := ctx.Value(ctxKey{}).(*Recorder); ok {
		r.record(action, entity, entityID, operation)
	}
}

func (r *Recorder) record(action, entity, entityID, operation string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entry(action, entity, entityID, operation)
}

// entry returns the index of the entry of an access, adding it when new (r.mu held).
func (r *Recorder) entry(action, entity, entityID, operation string) int {
	if action == ActionRead {
		k := Ref{entity, entityID}
		if i, ok := r.reads[k]; ok {
			return i
		}
		r.reads[k] = len(r.entries)
	} else {
		k := seenKey{action, entity, entityID}
		if i, ok := r.other[k]; ok {
			return i
		}
		if r.other == nil {
			r.other = map[seenKey]int{}
		}
		r.other[k] = len(r.entries)
	}
	r.entries = append(r.entries, Entry{Action: action, Entity: entity, EntityID: entityID, Operation: operation})
	r.records = append(r.records, nil)
	return len(r.entries) - 1
}

// readRefs records a read of refs (one value's AuditRefs): each person it names gets an
// entry, and the other records go into the first person's Records; a value that names
// no person records each of its records as an entry of its own.
func (r *Recorder) readRefs(operation string, refs []Ref) {
	r.mu.Lock()
	defer r.mu.Unlock()
	person := -1
	for _, ref := range refs {
		if ref.Entity == PersonEntity && ref.ID != "" {
			i := r.lastPerson
			if i < 0 || r.entries[i].EntityID != ref.ID {
				i = r.entry(ActionRead, ref.Entity, ref.ID, operation)
				r.lastPerson = i
			}
			if person < 0 {
				person = i
			}
		}
	}
	for _, ref := range refs {
		if ref.Entity == PersonEntity && ref.ID != "" {
			continue
		}
		if person < 0 {
			r.entry(ActionRead, ref.Entity, ref.ID, operation)
			continue
		}
		if _, ok := r.reads[ref]; ok {
			continue
		}
		r.reads[ref] = person
		if r.records[person] == nil {
			r.records[person] = make([]Ref, 0, 4) // a person's enrolments, referral, observation: one allocation
		}
		r.records[person] = append(r.records[person], ref)
	}
}

// Store writes and reads the audit log.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Flush writes the recorder's entries for the caller in ctx.
func (s *Store) Flush(ctx context.Context, r *Recorder, requestID string) error {
	return s.copyEntries(ctx, r.drain(), requestID)
}

// FlushReads writes the recorder's entries of a request whose reads ran in scope (see
// db.BeginReads) inside that transaction, as its last statement before COMMIT, sent
// together with it: the reads and their audit rows commit together or not at all, and
// the response is withheld unless they did. A scope that read nothing has nothing to
// commit: its entries (if any) are written on their own, as Flush does, and so are
// those of a scope a failed statement aborted (its transaction is rolled back).
func (s *Store) FlushReads(ctx context.Context, r *Recorder, scope *db.ReadScope, requestID string) error {
	entries, records := r.take()
	if scope == nil || !scope.Started() {
		if scope != nil {
			scope.Close()
		}
		return s.copyEntries(ctx, withRecords(entries, records), requestID)
	}
	var b *pgx.Batch
	if len(entries) > 0 {
		subject, role, org := caller(ctx)
		cols := make([][]string, 5)
		for i := range cols {
			cols[i] = make([]string, 0, len(entries))
		}
		for i, e := range entries {
			cols[0], cols[1] = append(cols[0], e.Action), append(cols[1], e.Entity)
			cols[2], cols[3] = append(cols[2], e.EntityID), append(cols[3], e.Operation)
			cols[4] = append(cols[4], joinRecords(records[i]))
		}
		// Each row's records travel joined (unnest cannot take an array of arrays of
		// different lengths) and are split in the server; none is stored as NULL.
		b = &pgx.Batch{}
		b.Queue(`INSERT INTO audit_log (subject, role, organisation_id, action, entity, entity_id, operation, request_id, records)
			SELECT $1, $2, $3::uuid, a, e, i, o, $4, CASE WHEN r <> '' THEN string_to_array(r, $10) END
			FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[]) AS u(a, e, i, o, r)`,
			subject, role, org, requestID, cols[0], cols[1], cols[2], cols[3], cols[4], recordSeparator)
	}
	err := scope.End(ctx, b)
	if errors.Is(err, db.ErrReadsAborted) {
		return s.copyEntries(ctx, withRecords(entries, records), requestID)
	}
	if err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// drain takes the recorder's entries, each with its Records.
func (r *Recorder) drain() []Entry { return withRecords(r.take()) }

// take takes the recorder's entries and the records read with each.
func (r *Recorder) take() ([]Entry, [][]Ref) {
	r.mu.Lock()
	defer r.mu.Unlock()
	entries, records := r.entries, r.records
	r.entries, r.records, r.lastPerson = nil, nil, -1
	return entries, records
}

// withRecords fills each entry's Records (entity:id) from the records read with it.
func withRecords(entries []Entry, records [][]Ref) []Entry {
	for i, refs := range records {
		if len(refs) == 0 {
			continue
		}
		out := make([]string, len(refs))
		for j, ref := range refs {
			out[j] = ref.Entity + ":" + ref.ID
		}
		entries[i].Records = append(entries[i].Records, out...)
	}
	return entries
}

// joinRecords is strings.Join of the records' entity:id with recordSeparator, built
// in one allocation.
func joinRecords(refs []Ref) string {
	if len(refs) == 0 {
		return ""
	}
	n := len(refs) - 1
	for _, ref := range refs {
		n += len(ref.Entity) + 1 + len(ref.ID)
	}
	var b strings.Builder
	b.Grow(n)
	for i, ref := range refs {
		if i > 0 {
			b.WriteString(recordSeparator)
		}
		b.WriteString(ref.Entity)
		b.WriteByte(':')
		b.WriteString(ref.ID)
	}
	return b.String()
}

func caller(ctx context.Context) (subject, role string, org *string) {
	p, _ := auth.From(ctx)
	if p.OrgID != "" {
		org = &p.OrgID
	}
	return p.Subject, string(p.Role), org
}

func (s *Store) copyEntries(ctx context.Context, entries []Entry, requestID string) error {
	if len(entries) == 0 {
		return nil
	}
	subject, role, org := caller(ctx)
	rows := make([][]any, len(entries))
	for i, e := range entries {
		rows[i] = []any{subject, role, org, e.Action, e.Entity, e.EntityID, e.Operation, requestID, records(e)}
	}
	_, err := s.pool.CopyFrom(ctx, pgx.Identifier{"audit_log"},
		[]string{"subject", "role", "organisation_id", "action", "entity", "entity_id", "operation", "request_id", "records"}, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// records is e's Records as stored: NULL when there are none.
func records(e Entry) []string {
	if len(e.Records) == 0 {
		return nil
	}
	return e.Records
}

// AppendSystem writes entries done outside a request (the admin CLI), under subject.
func (s *Store) AppendSystem(ctx context.Context, subject, requestID string, entries ...Entry) error {
	rows := make([][]any, len(entries))
	for i, e := range entries {
		rows[i] = []any{subject, string(auth.Admin), nil, e.Action, e.Entity, e.EntityID, e.Operation, requestID, records(e)}
	}
	_, err := s.pool.CopyFrom(ctx, pgx.Identifier{"audit_log"},
		[]string{"subject", "role", "organisation_id", "action", "entity", "entity_id", "operation", "request_id", "records"}, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// Filter narrows a listing.
type Filter struct {
	Subject  string
	Entity   string
	EntityID string
}

// where is f as SQL over audit_log with its arguments, numbered from n. A record is
// found as an entry of its own (rows before migration 0013, records that name no
// person) or in a person's Records; records @> uses the GIN index on them.
func (f Filter) where(n int) (string, []any) {
	var sql []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(n+len(args)-1)
	}
	if f.Subject != "" {
		sql = append(sql, "subject = "+arg(f.Subject))
	}
	switch {
	case f.Entity != "" && f.EntityID != "":
		e, id := arg(f.Entity), arg(f.EntityID)
		sql = append(sql, "(entity = "+e+" AND entity_id = "+id+" OR records @> ARRAY["+arg(f.Entity+":"+f.EntityID)+"])")
	case f.Entity != "":
		e := arg(f.Entity)
		sql = append(sql, "(entity = "+e+" OR EXISTS (SELECT 1 FROM unnest(records) r WHERE starts_with(r, "+arg(f.Entity+":")+")))")
	case f.EntityID != "":
		id := arg(f.EntityID)
		sql = append(sql, "(entity_id = "+id+" OR EXISTS (SELECT 1 FROM unnest(records) r WHERE substr(r, strpos(r, ':') + 1) = "+id+"))")
	}
	if len(sql) == 0 {
		return "true", nil
	}
	return strings.Join(sql, " AND "), args
}

const entryColumns = `id, at, subject, role, organisation_id::text, action, entity, coalesce(entity_id, ''), operation, request_id, coalesce(records, '{}')`

func scanEntry(r pgx.Row) (Entry, error) {
	var e Entry
	err := r.Scan(&e.ID, &e.At, &e.Subject, &e.Role, &e.OrganisationID, &e.Action, &e.Entity, &e.EntityID, &e.Operation, &e.RequestID, &e.Records)
	return e, err
}

// List returns entries newest first, a page as req asks (db.PageRequest: 1 to
// db.MaxPage entries, forward or backward); the cursor holds the entry's id.
func (s *Store) List(ctx context.Context, f Filter, req db.PageRequest) (db.Page[Entry], error) {
	p, err := req.Parse(db.KeyInt)
	if err != nil {
		return db.Page[Entry]{}, err
	}
	var key int64 = 1<<62 - 1 // the first page: every id is below it
	switch {
	case p.After != nil:
		key, _ = strconv.ParseInt(p.After[0], 10, 64) // Parse checked it
	case p.Backward:
		key = 0 // the last page: every id is above it
	}
	where, args := f.where(3)
	rows, err := s.pool.Query(ctx, `SELECT `+entryColumns+`
		FROM audit_log WHERE id `+p.Cmp("<")+` $1 AND `+where+`
		ORDER BY `+p.Order("id DESC")+` LIMIT $2`, append([]any{key, p.First + 1}, args...)...)
	if err != nil {
		return db.Page[Entry]{}, fmt.Errorf("list audit log: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) { return scanEntry(r) })
	if err != nil {
		return db.Page[Entry]{}, err
	}
	page := db.Page[Entry]{}
	page.Items, page.HasNextPage, page.HasPreviousPage = db.Trim(items, p)
	for _, e := range page.Items {
		page.Cursors = append(page.Cursors, db.Cursor(strconv.FormatInt(e.ID, 10)))
	}
	return page, nil
}

// Get returns one entry (Relay's node(id)); a missing one is NOT_FOUND.
func (s *Store) Get(ctx context.Context, id int64) (Entry, error) {
	e, err := scanEntry(s.pool.QueryRow(ctx, `SELECT `+entryColumns+` FROM audit_log WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return e, apperr.NotFoundf("id", "audit entry not found")
	}
	if err != nil {
		return e, fmt.Errorf("load audit entry: %w", err)
	}
	return e, nil
}
