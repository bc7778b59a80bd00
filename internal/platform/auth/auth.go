// Package auth authenticates requests (bearer JWTs) and carries the caller — subject,
// role and organisations — in the context. Rules about who may do what live in the
// functions here, so the GraphQL layer's two checks (the @auth directive and
// graph.OrganisationScope), the stores and the database session all ask the same
// questions.
package auth

import (
	"context"
	"slices"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

// Role is what a caller is allowed to do.
type Role string

const (
	Admin      Role = "admin"      // everything, every organisation
	Caseworker Role = "caseworker" // personal data of their own organisation
	Evaluator  Role = "evaluator"  // pseudonymised warehouse data of the organisations granted
	Steering   Role = "steering"   // aggregates of their own organisation, small counts suppressed
	Regional   Role = "regional"   // aggregates across the member municipalities granted
)

// Roles lists every role.
var Roles = []Role{Admin, Caseworker, Evaluator, Steering, Regional}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Principal is an authenticated caller.
type Principal struct {
	Subject string
	Role    Role
	OrgID   string   // home organisation
	Orgs    []string // organisations granted beyond the home one (evaluator, regional)
	// System marks the loader and the admin CLI: not a person, sees every organisation.
	System bool
	// Expires is the token's exp (Verifier.Verify); zero for a principal that no token
	// carried (the system). A WebSocket outlives its connection_init, so each operation
	// on it asks Verifier.Current.
	Expires time.Time
}

type ctxKey struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the caller in ctx.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// Require returns the caller, or UNAUTHENTICATED.
func Require(ctx context.Context) (Principal, error) {
	p, ok := From(ctx)
	if !ok {
		return Principal{}, apperr.New(apperr.Unauthenticated, "", "authentication required")
	}
	return p, nil
}

// HasRole reports whether the caller has one of roles.
func (p Principal) HasRole(roles ...Role) bool { return p.System || slices.Contains(roles, p.Role) }

// SeesAllOrganisations is true for admins and the system.
func (p Principal) SeesAllOrganisations() bool { return p.System || p.Role == Admin }

// PersonalDataOrgs are the organisations whose personal data the caller may read (nil
// with SeesAllOrganisations). Only caseworkers (own organisation) and admins read
// personal data.
func (p Principal) PersonalDataOrgs() []string {
	if p.Role == Caseworker && p.OrgID != "" {
		return []string{p.OrgID}
	}
	return []string{}
}

// CanReadPersonalData reports whether the caller may read personal data of orgID.
func (p Principal) CanReadPersonalData(orgID string) bool {
	return p.SeesAllOrganisations() || slices.Contains(p.PersonalDataOrgs(), orgID)
}

// CanReadAggregates reports whether the caller may read aggregate (warehouse) figures
// of orgID.
func (p Principal) CanReadAggregates(orgID string) bool {
	switch {
	case p.SeesAllOrganisations():
		return true
	case p.Role == Caseworker || p.Role == Steering:
		return orgID == p.OrgID
	case p.Role == Evaluator || p.Role == Regional:
		return orgID == p.OrgID || slices.Contains(p.Orgs, orgID)
	}
	return false
}

// SuppressSmallCounts is true for roles that read aggregates only and must not see
// counts below 5 (steering groups and regional bodies).
func (p Principal) SuppressSmallCounts() bool {
	return !p.System && (p.Role == Steering || p.Role == Regional)
}

// RequirePersonalData refuses a caller in ctx who may not read or write the personal
// data of orgID (FORBIDDEN on field). A context without a caller is a system process
// on the unscoped pool (the admin CLI, the demo seeder, tests' setup); in the API
// every request carries its caller, and its scoped pool shows an anonymous one nothing.
func RequirePersonalData(ctx context.Context, orgID, field string) error {
	p, ok := From(ctx)
	if ok && !p.CanReadPersonalData(orgID) {
		return Forbidden(field, "personal data of this organisation")
	}
	return nil
}

// Forbidden is the error for a caller without the right.
func Forbidden(field, what string) error {
	return apperr.New(apperr.Forbidden, field, "not allowed: %s", what)
}

// AggregateScope is the organisations whose figures a request for orgID covers: a
// regional reader asking for their own regional body gets the sum over the member
// municipalities granted to them; otherwise just orgID, when the caller may read it.
func (p Principal) AggregateScope(orgID string) ([]string, bool) {
	if members := p.RegionalMembers(orgID); len(members) > 0 {
		return append([]string(nil), members...), true
	}
	if !p.CanReadAggregates(orgID) {
		return nil, false
	}
	return []string{orgID}, true
}

// RegionalMembers is the member municipalities granted to a regional reader asking for
// their own regional body (the one rule for "a regional body's figures are its members'
// summed"); nil for any other caller or organisation.
func (p Principal) RegionalMembers(orgID string) []string {
	if p.Role == Regional && !p.System && orgID == p.OrgID {
		return p.Orgs
	}
	return nil
}

// OrgDirectory resolves organisation references (ids or codes) to the ids of
// organisations that exist; references it does not know are absent from the result.
type OrgDirectory interface {
	ResolveOrganisations(ctx context.Context, refs []string) (map[string]string, error)
}

// ErrUnknownOrganisation means a token names an organisation that does not exist.
var ErrUnknownOrganisation = apperr.New(apperr.Unauthenticated, "", "the token names an organisation that does not exist")

// Resolve replaces the organisation references of a principal taken from a token by
// the ids of the organisations they name, and refuses the principal when any of them
// names none: a token's claims must match reality before any query runs with them.
func (p Principal) Resolve(ctx context.Context, dir OrgDirectory) (Principal, error) {
	refs := append([]string(nil), p.Orgs...)
	if p.OrgID != "" {
		refs = append(refs, p.OrgID)
	}
	if len(refs) == 0 {
		return p, nil
	}
	for _, r := range refs {
		if !PlausibleOrgRef(r) {
			return Principal{}, ErrUnknownOrganisation
		}
	}
	ids, err := dir.ResolveOrganisations(ctx, refs)
	if err != nil {
		return Principal{}, err
	}
	out := p
	out.Orgs = nil
	if p.OrgID != "" {
		id, ok := ids[p.OrgID]
		if !ok {
			return Principal{}, ErrUnknownOrganisation
		}
		out.OrgID = id
	}
	for _, r := range p.Orgs {
		id, ok := ids[r]
		if !ok {
			return Principal{}, ErrUnknownOrganisation
		}
		if !slices.Contains(out.Orgs, id) {
			out.Orgs = append(out.Orgs, id)
		}
	}
	return out, nil
}
