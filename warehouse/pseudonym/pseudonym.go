// Package pseudonym derives the warehouse keys. A key is an HMAC-SHA256 of an internal
// id under a secret held in configuration, never in ClickHouse: without the secret a
// warehouse row cannot be linked back to PostgreSQL, and the personal identity number
// is not an input at all.
package pseudonym

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Keyer computes pseudonymised keys.
type Keyer struct{ secret []byte }

// New returns a Keyer for secret.
func New(secret []byte) Keyer { return Keyer{secret: append([]byte(nil), secret...)} }

// Person is the warehouse key of a participant.
func (k Keyer) Person(participantID string) string { return k.mac("person:" + participantID) }

// Enrolment is the warehouse key of an enrolment.
func (k Keyer) Enrolment(enrolmentID string) string { return k.mac("enrolment:" + enrolmentID) }

func (k Keyer) mac(s string) string {
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil)[:16])
}
