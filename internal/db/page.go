package db

import (
	"encoding/base64"
	"encoding/json"

	"github.com/arbetsmarknad/outcomes/internal/apperr"
)

// PageArgs are a Relay list's arguments, checked. Lists use keyset pagination: the
// cursor holds the sort key of the last row seen (a few values ending with the id), so
// pages stay stable while rows are added.
type PageArgs struct {
	First int
	// After holds the decoded sort key of the cursor, nil on the first page.
	After []string
}

// MaxPage is the largest page a caller may ask for.
const MaxPage = 200

// ParsePage validates first and decodes after. keyLen is the number of values in the
// list's sort key; a cursor of another list or a tampered one is INVALID.
func ParsePage(first *int, after *string, keyLen int) (PageArgs, error) {
	p := PageArgs{First: 50}
	if first != nil {
		p.First = *first
	}
	if p.First < 1 || p.First > MaxPage {
		return p, apperr.Invalidf("first", "first must be between 1 and %d", MaxPage)
	}
	if after != nil && *after != "" {
		b, err := base64.RawURLEncoding.DecodeString(*after)
		var key []string
		if err == nil {
			err = json.Unmarshal(b, &key)
		}
		if err != nil || len(key) != keyLen || !IsUUID(key[len(key)-1]) {
			return p, apperr.Invalidf("after", "malformed cursor")
		}
		p.After = key
	}
	return p, nil
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

// Trim cuts a result fetched with LIMIT First+1 to First items and reports whether there
// is a next page.
func Trim[T any](items []T, p PageArgs) ([]T, bool) {
	if len(items) > p.First {
		return items[:p.First], true
	}
	return items, false
}

// Page is one page of a list.
type Page[T any] struct {
	Items       []T
	Cursors     []string
	HasNextPage bool
	TotalCount  int
}
