package db

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

// PageArgs are a Relay list's arguments, checked. Lists use keyset pagination: the
// cursor holds the sort key of the last row seen (a few values ending with the id), so
// pages stay stable while rows are added.
//
// Paging backward (Relay's last/before) reads the same keyset in the opposite order:
// First is then the number asked with last, After holds before's key, and Backward is
// set; Cmp and Order turn the list's forward SQL around, and Trim puts the rows back
// in the list's order.
type PageArgs struct {
	First int
	// After holds the decoded sort key of the cursor (after, or before when Backward),
	// nil on the first (or last) page.
	After    []string
	Backward bool
	// SkipCount says the caller does not read the list's total count (a query that did
	// not select totalCount): a store may leave Page.TotalCount at 0 instead of counting
	// every matching row, which on a large organisation costs more than the page itself.
	SkipCount bool
}

// PageRequest is a list's Relay arguments as a caller gave them (nil: not given). The
// store that owns the list parses them (Parse) with its sort key, beside the ORDER BY
// the key follows, so a list's order and its cursor's format are written in one place
// and a resolver only passes the arguments on.
type PageRequest struct {
	First  *int
	After  *string
	Last   *int
	Before *string
	// SkipCount: the caller does not read the total count (see PageArgs.SkipCount).
	SkipCount bool
}

// FirstN asks for the first n rows (the store's callers outside GraphQL, and tests).
func FirstN(n int) PageRequest { return PageRequest{First: &n} }

// Parse checks the request against a list's sort key (ParseRelay).
func (r PageRequest) Parse(kinds ...string) (PageArgs, error) {
	p, err := ParseRelay(r.First, r.After, r.Last, r.Before, kinds...)
	p.SkipCount = r.SkipCount
	return p, err
}

// MaxPage is the largest page a caller may ask for.
const MaxPage = 200

// Key kinds of a list's sort key, as ParsePage checks them.
const (
	KeyText      = "text"
	KeyDate      = "date"      // YYYY-MM-DD
	KeyTimestamp = "timestamp" // RFC 3339
	KeyUUID      = "uuid"
	KeyInt       = "int" // a decimal int64 (a bigserial id)
)

// ParsePage validates first and decodes after. kinds describes the list's sort key,
// ending with the id (KeyUUID). A cursor of another list, or a tampered one, is INVALID
// on "after" here, before any SQL sees its values.
func ParsePage(first *int, after *string, kinds ...string) (PageArgs, error) {
	return ParseRelay(first, after, nil, nil, kinds...)
}

// ParseRelay validates Relay's four paging arguments: first/after pages forward,
// last/before backward (50 rows when neither count is given); mixing the directions is
// INVALID, as is a count outside 1..MaxPage or a cursor not of this list.
func ParseRelay(first *int, after *string, last *int, before *string, kinds ...string) (PageArgs, error) {
	p := PageArgs{First: 50}
	var errs apperr.List
	backward := last != nil || (before != nil && *before != "")
	if backward && (first != nil || (after != nil && *after != "")) {
		errs.Add(apperr.Invalidf("last", "page forward (first, after) or backward (last, before), not both"))
		return p, errs.Err()
	}
	count, cursor, countName, cursorName := first, after, "first", "after"
	if backward {
		count, cursor, countName, cursorName = last, before, "last", "before"
		p.Backward = true
	}
	if count != nil {
		p.First = *count
	}
	if p.First < 1 || p.First > MaxPage {
		errs.Add(apperr.Invalidf(countName, "%s must be between 1 and %d", countName, MaxPage))
	}
	if cursor != nil && *cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(*cursor)
		var key []string
		if err == nil {
			err = json.Unmarshal(b, &key)
		}
		if err != nil || len(key) != len(kinds) || !keyMatches(key, kinds) {
			errs.Add(apperr.Invalidf(cursorName, "malformed cursor (not one of this list's)"))
		} else {
			p.After = key
		}
	}
	return p, errs.Err()
}

// Cmp is the keyset comparison of a page: the list's forward one ("<" or ">"), or
// its opposite when paging backward.
func (p PageArgs) Cmp(forward string) string {
	if !p.Backward {
		return forward
	}
	if forward == ">" {
		return "<"
	}
	return ">"
}

// Order is the ORDER BY list of a page: the list's forward order ("a, b DESC, id"),
// or every column's opposite direction when paging backward.
func (p PageArgs) Order(forward string) string {
	if !p.Backward {
		return forward
	}
	cols := strings.Split(forward, ",")
	for i, c := range cols {
		c = strings.TrimSpace(c)
		if base, ok := strings.CutSuffix(c, " DESC"); ok {
			cols[i] = base
		} else {
			cols[i] = strings.TrimSuffix(c, " ASC") + " DESC"
		}
	}
	return strings.Join(cols, ", ")
}

func keyMatches(key, kinds []string) bool {
	for i, k := range kinds {
		v := key[i]
		var ok bool
		switch k {
		case KeyUUID:
			ok = IsUUID(v)
		case KeyInt:
			_, err := strconv.ParseInt(v, 10, 64)
			ok = err == nil
		case KeyDate:
			_, err := time.Parse(time.DateOnly, v)
			ok = err == nil
		case KeyTimestamp:
			_, err := time.Parse(time.RFC3339Nano, v)
			ok = err == nil
		default:
			ok = len(v) <= 1000
		}
		if !ok {
			return false
		}
	}
	return true
}

// AfterValue returns the i-th value of the cursor's key, or nil on the first page (so a
// query can test "$n::text IS NULL OR (sort, id) > (...)").
func (p PageArgs) AfterValue(i int) *string {
	if p.After == nil {
		return nil
	}
	return &p.After[i]
}

// Cursor encodes a row's sort key (ending with its id).
func Cursor(key ...string) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Trim cuts a result fetched with LIMIT First+1 to First items, in the list's order,
// and reports whether there are next and previous pages. Forward, a previous page
// exists when a cursor was given (rows precede it); backward, the same holds for the
// next page.
func Trim[T any](items []T, p PageArgs) (page []T, hasNext, hasPrevious bool) {
	more := len(items) > p.First
	if more {
		items = items[:p.First]
	}
	if !p.Backward {
		return items, more, p.After != nil
	}
	slices.Reverse(items)
	return items, p.After != nil, more
}

// Page is one page of a list.
type Page[T any] struct {
	Items           []T
	Cursors         []string
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
}

// One is every store's "get one or NOT_FOUND": the first row of rows, scanned by scan,
// or NOT_FOUND on field ("<what> not found") when the query found none. err is the
// error of the query that gave rows (so a call reads db.One(tx.Query(...)) in two lines).
func One[T any](rows pgx.Rows, err error, scan pgx.RowToFunc[T], field, what string) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	items, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return zero, err
	}
	return First(items, nil, field, what)
}

// First is One for rows already loaded (a store's ByIDs): the first item, or NOT_FOUND
// on field when there is none.
func First[T any](items []T, err error, field, what string) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	if len(items) == 0 {
		return zero, apperr.NotFoundf(field, "%s not found", what)
	}
	return items[0], nil
}
