package model

import (
	"context"
	"encoding/base64"
	"io"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

// Node is any entity with a global id (the GraphQL interface Node). Domain types do
// not know GraphQL, so the binding accepts any value; node(id:) only returns entities.
type Node interface{}

// NodeKinds are the GraphQL types that implement Node.
var NodeKinds = map[string]bool{
	"ActionPlan": true, "FollowUp": true, "Employer": true, "EmployerContact": true, "EmployerNote": true,
	"Enrolment": true, "Organisation": true, "Unit": true, "StaffUser": true, "MeasureType": true,
	"OutcomeObservation": true, "Participant": true, "Project": true, "Target": true,
	"RecruitmentEvent": true, "Interview": true, "Quota": true, "Referral": true, "AuditEntry": true,
	"Consent": true,
}

// GlobalID encodes a record id of a kind as an opaque global id: base64url of
// "Kind:id" without padding.
func GlobalID(kind, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + id))
}

// ParseGlobalID decodes a global id into its kind and record id.
func ParseGlobalID(s string) (kind, id string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", "", false
	}
	kind, id, ok = strings.Cut(string(b), ":")
	if !ok || !NodeKinds[kind] || id == "" {
		return "", "", false
	}
	return kind, id, true
}

// RecordID is the record id inside a global id of the given kind (any kind when kind
// is ""), or s itself: outside GraphQL (tokens, URL parameters, SQL, the audit log)
// both name the record.
func RecordID(kind, s string) string {
	if k, id, ok := ParseGlobalID(s); ok && (kind == "" || k == kind) {
		return id
	}
	return s
}

// MarshalGlobalID writes an ID: the id field of a Node type, and a reference field
// named after a Node type (organisationId on AuditEntry), become global ids; any other
// ID is written as it is.
func MarshalGlobalID(id string) graphql.ContextMarshaler {
	return contextMarshalerFunc(func(ctx context.Context, w io.Writer) error {
		if kind := idKind(ctx); kind != "" && id != "" {
			return writeGlobalID(w, kind, id)
		}
		if plainASCII(id) { // the quoting below would change nothing but the quotes
			_, err := w.Write(append(append(append(make([]byte, 0, len(id)+2), '"'), id...), '"'))
			return err
		}
		_, err := io.WriteString(w, strconv.Quote(id))
		return err
	})
}

// writeGlobalID writes GlobalID(kind, id) quoted, in one allocation: a page writes an
// id per record it shows, and base64url needs no escaping.
func writeGlobalID(w io.Writer, kind, id string) error {
	var raw [80]byte
	src := append(append(append(raw[:0], kind...), ':'), id...)
	out := make([]byte, 0, base64.RawURLEncoding.EncodedLen(len(src))+2)
	out = append(out, '"')
	out = base64.RawURLEncoding.AppendEncode(out, src)
	_, err := w.Write(append(out, '"'))
	return err
}

// plainASCII reports whether strconv.Quote would leave s as it is between its quotes:
// printable ASCII without a quote or a backslash.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

type contextMarshalerFunc func(ctx context.Context, w io.Writer) error

func (f contextMarshalerFunc) MarshalGQLContext(ctx context.Context, w io.Writer) error {
	return f(ctx, w)
}

// idKind is the Node kind of the ID being written, from the field it belongs to.
func idKind(ctx context.Context) string {
	fc := graphql.GetFieldContext(ctx)
	for fc != nil && fc.Field.Field == nil { // list elements have a context of their own
		fc = fc.Parent
	}
	if fc == nil {
		return ""
	}
	name := fc.Field.Name
	if name == "id" {
		if NodeKinds[fc.Object] {
			return fc.Object
		}
		return ""
	}
	if base, ok := strings.CutSuffix(name, "Id"); ok && base != "" {
		kind := strings.ToUpper(base[:1]) + base[1:]
		if NodeKinds[kind] {
			return kind
		}
	}
	return ""
}

// UnmarshalGlobalID reads an ID argument or input field: a global id becomes its
// record id; anything else (the plain ids of older clients) passes as it is, and
// an id of the wrong kind simply finds nothing.
func UnmarshalGlobalID(ctx context.Context, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		if n, isInt := v.(int64); isInt {
			return strconv.FormatInt(n, 10), nil
		}
		return "", apperr.Invalidf("", "an ID must be a string")
	}
	if _, id, ok := ParseGlobalID(s); ok {
		return id, nil
	}
	return s, nil
}
