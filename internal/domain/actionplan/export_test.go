package actionplan

import "time"

// SetClock lets tests fix "today".
func (s *Store) SetClock(now func() time.Time) { s.now = now }
