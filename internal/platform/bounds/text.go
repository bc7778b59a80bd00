package bounds

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

// MaxEmail is the longest e-mail address accepted (the limit participants and staff always had).
const MaxEmail = 200

// MaxPhone is the longest telephone number accepted (a participant's, an employer
// contact's), in characters.
const MaxPhone = 40

// Text limits, in characters, that the database states too: each table's CHECK
// (length(…) BETWEEN 1 AND n) names the same number, and graph TestTextLimitsAreTheDatabases
// compares every such CHECK with these, so a value is refused with its field named
// rather than as a bare constraint violation.
const (
	// MaxRecordName is the longest name of a record: an organisation, a unit, a staff
	// member, an employer or contact, a project, a target, a recruitment event, a quota, a
	// funder.
	MaxRecordName = 200
	// MaxLongText is the longest goal, step description or stated reason.
	MaxLongText = 2000
	// MaxNotes is the longest notes field or note body.
	MaxNotes = 4000
)

// Name checks a required name (a person's, a unit's, a contact's) that the caller has
// already trimmed: blank, control characters or more than max characters are INVALID on
// field. The message never repeats the value: names are personal data. It returns
// *apperr.Error (nil when fine) so that apperr.List.Add takes it as it is.
func Name(field, v string, max int) *apperr.Error {
	switch {
	case v == "":
		return apperr.Invalidf(field, "a name is required; it must not be blank")
	case utf8.RuneCountInString(v) > max:
		return apperr.Invalidf(field, "at most %d characters", max)
	case strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\t' }) >= 0:
		// A tab survives (a quoted separator in a tab-separated file); line breaks do not.
		return apperr.Invalidf(field, "a name must not hold line breaks or control characters")
	}
	return nil
}

// Text checks a free text the caller has already trimmed against its limit, in
// characters (as the database's length() counts, and as the message says; a byte count
// refused 150 Swedish letters as more than 200 characters): more is INVALID on field.
func Text(field, v string, max int) *apperr.Error {
	if utf8.RuneCountInString(v) > max {
		return apperr.Invalidf(field, "at most %d characters", max)
	}
	return nil
}

// Email checks an e-mail address the caller has already trimmed; "" (none given) passes.
// An address is one mailbox, local@domain, with a dot in the domain and nothing else: no
// display name, no spaces, no angle brackets. The message never repeats the value.
func Email(field, v string) *apperr.Error {
	if v == "" {
		return nil
	}
	if !ValidEmail(v) {
		return apperr.Invalidf(field, "not an e-mail address (expected name@example.se, at most %d characters)", MaxEmail)
	}
	return nil
}

// ValidEmail reports whether v is one plain e-mail address (the rule of Email).
func ValidEmail(v string) bool {
	if v == "" || utf8.RuneCountInString(v) > MaxEmail || strings.ContainsAny(v, " \t\r\n<>,;\"") {
		return false
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(v, '@')
	local, domain := v[:at], v[at+1:]
	if local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.Contains(domain, "..") || strings.HasPrefix(domain, "[") {
		return false
	}
	return true
}
