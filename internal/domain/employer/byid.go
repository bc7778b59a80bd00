package employer

import (
	"context"
	"fmt"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// ContactByID loads one contact (Relay's node(id)); row-level security hides other
// organisations' contacts, which are NOT_FOUND.
func (s *Store) ContactByID(ctx context.Context, id string) (Contact, error) {
	if !db.IsUUID(id) {
		return Contact{}, apperr.NotFoundf("id", "contact not found")
	}
	var c Contact
	err := s.pool.QueryRow(ctx, `SELECT id, employer_id, name, role, phone, email FROM employer_contact WHERE id = $1`, id).
		Scan(&c.ID, &c.EmployerID, &c.Name, &c.Role, &c.Phone, &c.Email)
	if db.IsNoRows(err) {
		return c, apperr.NotFoundf("id", "contact not found")
	}
	if err != nil {
		return c, fmt.Errorf("load employer contact: %w", err)
	}
	return c, nil
}

// NoteByID loads one note (Relay's node(id)).
func (s *Store) NoteByID(ctx context.Context, id string) (Note, error) {
	if !db.IsUUID(id) {
		return Note{}, apperr.NotFoundf("id", "note not found")
	}
	var n Note
	err := s.pool.QueryRow(ctx, `SELECT id, employer_id, author, body, created_at FROM employer_note WHERE id = $1`, id).
		Scan(&n.ID, &n.EmployerID, &n.Author, &n.Body, &n.At)
	if db.IsNoRows(err) {
		return n, apperr.NotFoundf("id", "note not found")
	}
	if err != nil {
		return n, fmt.Errorf("load employer note: %w", err)
	}
	return n, nil
}
