package db

import (
	"encoding/base64"
	"encoding/json"
	"time"

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

// Key kinds of a list's sort key, as ParsePage checks them.
const (
	KeyText      = "text"
	KeyDate      = "date"      // YYYY-MM-DD
	KeyTimestamp = "timestamp" // RFC 3339
	KeyUUID      = "uuid"
)

// ParsePage validates first and decodes after. kinds describes the list's sort key,
// ending with the id (KeyUUID). A cursor of another list, or a tampered one, is INVALID
// on "after" here, before any SQL sees its values.
func ParsePage(first *int, after *string, kinds ...string) (PageArgs, error) {
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
		if err != nil || len(key) != len(kinds) || !keyMatches(key, kinds) {
			return p, apperr.Invalidf("after", "malformed cursor (not one of this list's)")
		}
		p.After = key
	}
	return p, nil
}

func keyMatches(key, kinds []string) bool {
	for i, k := range kinds {
		v := key[i]
		var ok bool
		switch k {
		case KeyUUID:
			ok = IsUUID(v)
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
