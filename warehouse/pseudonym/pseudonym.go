// Package pseudonym derives the warehouse keys. A key is an HMAC-SHA256 of an internal
// id under a secret held in configuration, never in ClickHouse: without the secret a
// warehouse row cannot be linked back to PostgreSQL, and the personal identity number
// is not an input at all.
package pseudonym

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"
)

// Keyer computes pseudonymised keys. It is safe for concurrent use.
type Keyer struct {
	secret []byte
	// macs holds HMACs keyed with secret for reuse: setting up a fresh one for every key
	// was a noticeable part of a rebuild's CPU (a rebuild derives millions of keys).
	macs *sync.Pool
}

// New returns a Keyer for secret.
func New(secret []byte) Keyer {
	k := Keyer{secret: append([]byte(nil), secret...)}
	k.macs = &sync.Pool{New: func() any { return hmac.New(sha256.New, k.secret) }}
	return k
}

// Person is the warehouse key of a participant.
func (k Keyer) Person(participantID string) string { return k.mac("person:", participantID) }

// Enrolment is the warehouse key of an enrolment.
func (k Keyer) Enrolment(enrolmentID string) string { return k.mac("enrolment:", enrolmentID) }

func (k Keyer) mac(prefix, id string) string {
	var m hash.Hash
	if k.macs != nil {
		m = k.macs.Get().(hash.Hash)
		defer k.macs.Put(m)
		m.Reset()
	} else {
		m = hmac.New(sha256.New, k.secret) // a Keyer not made by New
	}
	var buf [96]byte
	m.Write(append(append(buf[:0], prefix...), id...))
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0])[:16])
}
