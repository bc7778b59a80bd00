package participant

import (
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

func TestAttributesMergeCarriesOverAndInForce(t *testing.T) {
	t.Parallel()
	d := func(y, m, dd int) time.Time { return time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC) }
	gottsunda, red, yellow := "Gottsunda", "red", "yellow"
	days := 500
	first := AttributesInput{District: &gottsunda, DistanceCategory: &red, GuaranteeDays: &days}.Merge(nil, d(2017, 12, 1))
	second := AttributesInput{DistanceCategory: &yellow}.Merge(&first, d(2018, 6, 1))
	if *second.District != "Gottsunda" || *second.GuaranteeDays != 500 || *second.DistanceCategory != "yellow" {
		t.Fatalf("merge = %+v: given values replace, others carry over", second)
	}
	if *first.DistanceCategory != "red" {
		t.Fatal("merge changed the earlier set")
	}
	history := []*Attributes{&first, &second}
	if InForce(history, d(2017, 11, 30)) != nil {
		t.Error("a set before its valid-from date")
	}
	if got := InForce(history, d(2018, 5, 31)); got != &first {
		t.Errorf("in force on 2018-05-31 = %+v, want the first set", got)
	}
	if got := InForce(history, d(2018, 6, 1)); got != &second {
		t.Errorf("in force on 2018-06-01 = %+v, want the second set", got)
	}
}

func TestAttributesValidateReportsEveryBadField(t *testing.T) {
	t.Parallel()
	bad, neg, future := "purple", -1, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	in := AttributesInput{DistanceCategory: &bad, BirthRegion: &bad, EducationLevel: &bad, GuaranteeDays: &neg, ResidencePermitDate: &future}
	err := in.Validate(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "input.attributes.")
	got := map[string]bool{}
	for _, e := range apperr.All(err) {
		got[e.Field] = true
	}
	for _, f := range []string{"distanceCategory", "birthRegion", "educationLevel", "guaranteeDays", "residencePermitDate"} {
		if !got["input.attributes."+f] {
			t.Errorf("no error on %s (got %v)", f, err)
		}
	}
}

func TestOneOfWritesTheList(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   []string
		want string
	}{{nil, ""}, {[]string{"a"}, "a"}, {[]string{"a", "b"}, "a or b"}, {DistanceCategories, "green, yellow or red"}} {
		if got := OneOf(c.in); got != c.want {
			t.Errorf("OneOf(%v) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := OneOf(Genders); got != "woman, man, other or not_stated" {
		t.Errorf("OneOf(Genders) = %q", got)
	}
}
