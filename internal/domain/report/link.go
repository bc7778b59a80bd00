package report

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// A browser opening a link cannot send a bearer header, so a report is opened by a
// short-lived signed link: the token names who asked (subject, role, organisations),
// the report (organisation, month, format, edition) and an expiry, signed with HMAC-
// SHA256. It is single use (its id is recorded when opened, with the audit entry, in
// one transaction), so a copy left in a browser's history or a proxy's log opens
// nothing; the API's request log never writes query strings.

// LinkPath is where the API serves signed report links.
const LinkPath = "/reports/steering"

// LinkTTL is how long a link opens by default.
const LinkTTL = 5 * time.Minute

// Link is what a signed link carries.
type Link struct {
	ID        string   `json:"id"`
	Subject   string   `json:"sub"`
	Role      string   `json:"role"`
	OrgID     string   `json:"org,omitempty"`
	Orgs      []string `json:"orgs,omitempty"`
	ReportOrg string   `json:"ro"`
	Month     string   `json:"m"`
	Format    Format   `json:"f"`
	EditionID string   `json:"e,omitempty"`
	Expires   int64    `json:"exp"`
}

// Principal is the caller the link was made for.
func (l Link) Principal() auth.Principal {
	return auth.Principal{Subject: l.Subject, Role: auth.Role(l.Role), OrgID: l.OrgID, Orgs: l.Orgs}
}

// ErrBadLink is any link that does not verify or has expired.
var ErrBadLink = errors.New("the report link is invalid or has expired")

// Signer makes and checks links.
type Signer struct{ Key []byte }

// Sign makes a token for l, valid for ttl from now.
func (s Signer) Sign(l Link, now time.Time, ttl time.Duration) (string, time.Time, error) {
	if len(s.Key) == 0 {
		return "", time.Time{}, errors.New("no report link key configured")
	}
	var id [12]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", time.Time{}, err
	}
	l.ID = hex.EncodeToString(id[:])
	exp := now.Add(ttl)
	l.Expires = exp.Unix()
	body, err := json.Marshal(l)
	if err != nil {
		return "", time.Time{}, err
	}
	enc := base64.RawURLEncoding.EncodeToString(body)
	return enc + "." + s.mac(enc), exp, nil
}

func (s Signer) mac(enc string) string {
	m := hmac.New(sha256.New, append([]byte("steering-report-link\x00"), s.Key...))
	m.Write([]byte(enc))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify checks a token and returns its link.
func (s Signer) Verify(token string, now time.Time) (Link, error) {
	enc, sig, ok := strings.Cut(token, ".")
	if !ok || len(s.Key) == 0 || !hmac.Equal([]byte(sig), []byte(s.mac(enc))) {
		return Link{}, ErrBadLink
	}
	body, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return Link{}, ErrBadLink
	}
	var l Link
	if err := json.Unmarshal(body, &l); err != nil || now.Unix() > l.Expires || l.ID == "" {
		return Link{}, ErrBadLink
	}
	return l, nil
}
