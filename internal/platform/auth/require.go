package auth

import "context"

// RequireOrgPersonalData refuses a caller who may not read or write the personal data
// of orgID. Stores call it before an organisation-wide list or write, so that the rule
// lives beside the SQL it guards; row-level security backs it up.
func RequireOrgPersonalData(ctx context.Context, orgID, field string) error {
	p, err := Require(ctx)
	if err != nil {
		return err
	}
	if !p.CanReadPersonalData(orgID) {
		return Forbidden(field, "personal data of this organisation")
	}
	return nil
}

// RequireAdmin refuses every caller but an admin or the system (organisation-wide
// settings such as retention and inactivity rules).
func RequireAdmin(ctx context.Context, field string) error {
	p, err := Require(ctx)
	if err != nil {
		return err
	}
	if !p.SeesAllOrganisations() {
		return Forbidden(field, "only an admin may change this setting")
	}
	return nil
}

// Actor names the caller in a history row ("who"): the subject of the token.
func Actor(ctx context.Context) string {
	if p, ok := From(ctx); ok && p.Subject != "" {
		return p.Subject
	}
	return "system"
}
