package model

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/domain/referral"
)

// The domain stores an enum's value in lower_snake case; GraphQL names it in
// UPPER_SNAKE. EnumOut and EnumIn are that mapping, the one used everywhere (the
// resolvers' enumOut/enumIn and the marshalers below).

// EnumOut maps a stored lower_snake value to its GraphQL enum value.
func EnumOut(stored string) string { return strings.ToUpper(stored) }

// EnumIn maps a GraphQL enum value to its stored lower_snake form.
func EnumIn(value string) string { return strings.ToLower(value) }

// gqlgen.yml binds each enum below to the domain's string type through a
// Marshal…/Unmarshal… pair, as it binds Date to time.Time (MarshalCalendarDate): a
// field of a domain struct (participant.Participant.Gender, outcome.Observation.Status,
// …) is then marshalled without a resolver. A resolver field costs gqlgen a goroutine
// per object and its stack growth, and a page of 50 participants has hundreds.

// storedEnum writes a stored value as its GraphQL enum value, quoted, without
// allocating for the usual value (lower_snake ASCII).
func storedEnum[T ~string](v T) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		s := string(v)
		var buf [64]byte
		if len(s)+2 > len(buf) {
			io.WriteString(w, strconv.Quote(EnumOut(s))) //nolint:errcheck
			return
		}
		b := append(buf[:0], '"')
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case 'a' <= c && c <= 'z':
				c -= 'a' - 'A'
			case c == '_', '0' <= c && c <= '9', 'A' <= c && c <= 'Z':
			default: // not an enum value: quote it as the generated marshaler would
				io.WriteString(w, strconv.Quote(EnumOut(s))) //nolint:errcheck
				return
			}
			b = append(b, c)
		}
		w.Write(append(b, '"')) //nolint:errcheck
	})
}

// unmarshalStored reads a GraphQL enum value E (checked by the generated enum's own
// UnmarshalGQL) as its stored form T.
func unmarshalStored[T ~string, E ~string, P interface {
	*E
	UnmarshalGQL(any) error
}](v any) (T, error) {
	var e E
	if err := P(&e).UnmarshalGQL(v); err != nil {
		return "", err
	}
	return T(EnumIn(string(e))), nil
}

// MarshalStoredGender writes a participant.Gender as a Gender.
func MarshalStoredGender(v participant.Gender) graphql.Marshaler { return storedEnum(v) }

// UnmarshalStoredGender reads a Gender as a participant.Gender.
func UnmarshalStoredGender(v any) (participant.Gender, error) {
	return unmarshalStored[participant.Gender, Gender](v)
}

// MarshalStoredCaseStatus writes a participant.CaseStatus as a CaseStatus.
func MarshalStoredCaseStatus(v participant.CaseStatus) graphql.Marshaler { return storedEnum(v) }

// UnmarshalStoredCaseStatus reads a CaseStatus as a participant.CaseStatus.
func UnmarshalStoredCaseStatus(v any) (participant.CaseStatus, error) {
	return unmarshalStored[participant.CaseStatus, CaseStatus](v)
}

// MarshalStoredOutcomeStatus writes an outcome.Status as an OutcomeStatus.
func MarshalStoredOutcomeStatus(v outcome.Status) graphql.Marshaler { return storedEnum(v) }

// UnmarshalStoredOutcomeStatus reads an OutcomeStatus as an outcome.Status.
func UnmarshalStoredOutcomeStatus(v any) (outcome.Status, error) {
	return unmarshalStored[outcome.Status, OutcomeStatus](v)
}

// MarshalStoredObservationSource writes an outcome.Source as an ObservationSource.
func MarshalStoredObservationSource(v outcome.Source) graphql.Marshaler { return storedEnum(v) }

// UnmarshalStoredObservationSource reads an ObservationSource as an outcome.Source.
func UnmarshalStoredObservationSource(v any) (outcome.Source, error) {
	return unmarshalStored[outcome.Source, ObservationSource](v)
}

// MarshalStoredReferralSource writes a referral.Source as a ReferralSource.
func MarshalStoredReferralSource(v referral.Source) graphql.Marshaler { return storedEnum(v) }

// UnmarshalStoredReferralSource reads a ReferralSource as a referral.Source.
func UnmarshalStoredReferralSource(v any) (referral.Source, error) {
	return unmarshalStored[referral.Source, ReferralSource](v)
}

// MarshalCalendarMonth lets domain structs keep months as time.Time (their first day):
// gqlgen binds the Month scalar to time.Time through this pair, as it binds Date
// (MarshalCalendarDate), so no resolver is needed per month field.
func MarshalCalendarMonth(t time.Time) graphql.Marshaler {
	if y := t.Year(); y < 0 || y > 9999 {
		return graphql.WriterFunc(func(w io.Writer) { Month(t).MarshalGQL(w) })
	}
	q := new(quoted)
	appendQuotedDate(q.b[:0], t)
	q.b[8], q.n = '"', 9 // "YYYY-MM", closed where the day began
	return q
}

// UnmarshalCalendarMonth parses YYYY-MM into a time.Time.
func UnmarshalCalendarMonth(v any) (time.Time, error) {
	var m Month
	err := m.UnmarshalGQL(v)
	return time.Time(m), err
}
