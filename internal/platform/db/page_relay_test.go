package db_test

import (
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

func TestParseRelay(t *testing.T) {
	n := func(v int) *int { return &v }
	s := func(v string) *string { return &v }
	cur := db.Cursor("Uppsala", "00000000-0000-0000-0000-000000000001")
	t.Run("OK", func(t *testing.T) {
		p, err := db.ParseRelay(nil, nil, nil, nil, db.KeyText, db.KeyUUID)
		if err != nil || p.First != 50 || p.Backward || p.After != nil {
			t.Errorf("defaults: %+v %v", p, err)
		}
		p, err = db.ParseRelay(nil, nil, n(3), s(cur), db.KeyText, db.KeyUUID)
		if err != nil || p.First != 3 || !p.Backward || p.After[0] != "Uppsala" {
			t.Errorf("backward: %+v %v", p, err)
		}
		if got := p.Cmp(">") + " " + p.Order("name, id DESC"); got != "< name DESC, id" {
			t.Errorf("backward SQL: %q", got)
		}
		fwd := db.PageArgs{First: 2}
		if got := fwd.Cmp("<") + " " + fwd.Order("held_on DESC, id DESC"); got != "< held_on DESC, id DESC" {
			t.Errorf("forward SQL: %q", got)
		}
	})
	t.Run("Trim", func(t *testing.T) {
		items, next, prev := db.Trim([]int{3, 2, 1}, db.PageArgs{First: 2, Backward: true, After: []string{"x"}})
		if len(items) != 2 || items[0] != 2 || items[1] != 3 || !next || !prev {
			t.Errorf("backward trim: %v %v %v", items, next, prev)
		}
		items, next, prev = db.Trim([]int{1, 2}, db.PageArgs{First: 2})
		if len(items) != 2 || next || prev {
			t.Errorf("forward trim: %v %v %v", items, next, prev)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, c := range []struct {
			first, last   *int
			after, before *string
			field         string
		}{
			{first: n(2), last: n(2), field: "last"},
			{last: n(0), field: "last"},
			{last: n(201), field: "last"},
			{before: s("not-a-cursor"), field: "before"},
			{first: n(0), field: "first"},
		} {
			_, err := db.ParseRelay(c.first, c.after, c.last, c.before, db.KeyText, db.KeyUUID)
			if e, ok := apperr.As(err); !ok || e.Code != apperr.Invalid || e.Field != c.field {
				t.Errorf("%+v: %v", c, err)
			}
		}
	})
}
