// Package apperr is the one error type the domain packages return to callers.
// internal/platform/errview translates it, in one place for GraphQL and plain HTTP,
// into what a client sees (extensions.code, extensions.field, an HTTP status).
package apperr

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error class. There are few on purpose.
type Code string

const (
	Invalid         Code = "INVALID"
	NotFound        Code = "NOT_FOUND"
	Conflict        Code = "CONFLICT"
	Forbidden       Code = "FORBIDDEN"
	Unauthenticated Code = "UNAUTHENTICATED"
	Internal        Code = "INTERNAL"
	// NotEligible: a decision fails its measure's eligibility rule; it can be taken
	// anyway only with an explicit override and a reason.
	NotEligible Code = "NOT_ELIGIBLE"
	// Unavailable: a store the request needs is down; the caller may retry later.
	Unavailable Code = "UNAVAILABLE"
	// TooLarge: the request or a file in it is over a size limit; the same code the
	// HTTP layer gives a body over its limit.
	TooLarge Code = "REQUEST_TOO_LARGE"
	// WarehouseUnavailable: the outcome warehouse (ClickHouse) is down; analytics may be
	// retried later, and casework is not affected.
	WarehouseUnavailable Code = "WAREHOUSE_UNAVAILABLE"
)

// Retryable reports whether a caller may retry a request that failed with code: the
// request was refused only because a store was down.
func Retryable(code Code) bool { return code == Unavailable || code == WarehouseUnavailable }

// Error is a domain error with the input field it concerns, if any.
type Error struct {
	Code    Code
	Field   string // input path, e.g. "input.personalIdentityNumber"
	Message string // safe to show to the caller; never holds personal data
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// New returns an error of the given code.
func New(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Invalidf reports a validation failure on one input field.
func Invalidf(field, format string, args ...any) *Error {
	return New(Invalid, field, format, args...)
}

// NotFoundf reports a missing entity.
func NotFoundf(field, format string, args ...any) *Error {
	return New(NotFound, field, format, args...)
}

// Conflictf reports a clash with existing state (duplicates, stale versions).
func Conflictf(field, format string, args ...any) *Error {
	return New(Conflict, field, format, args...)
}

// CodeOf returns the code of the first *Error in err's chain, or Internal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As returns the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// List collects several validation failures so that a caller sees them all at once.
type List []*Error

// Add appends a failure.
func (l *List) Add(e *Error) {
	// nil is no error: checks that return *Error can be added unconditionally.
	if e != nil {
		*l = append(*l, e)
	}
}

// Err returns nil when empty, the single error, or a combined error whose first
// element decides the code.
func (l List) Err() error {
	switch len(l) {
	case 0:
		return nil
	case 1:
		return l[0]
	}
	return multi(l)
}

type multi []*Error

func (m multi) Error() string {
	s := m[0].Error()
	for _, e := range m[1:] {
		s += "; " + e.Error()
	}
	return s
}

// Unwrap exposes every element, so errors.As finds the first one.
func (m multi) Unwrap() []error {
	out := make([]error, len(m))
	for i, e := range m {
		out[i] = e
	}
	return out
}

// All returns every *Error in err (one for a plain *Error, several for a List).
func All(err error) []*Error {
	var m multi
	if errors.As(err, &m) {
		return m
	}
	if e, ok := As(err); ok {
		return []*Error{e}
	}
	return nil
}
