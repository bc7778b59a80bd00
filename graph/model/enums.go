package model

// The GraphQL enums whose values the domain stores in lower_snake case (a participant's
// gender and case status, an outcome status, a referral's and an observation's source).
// They are written here rather than generated because gqlgen.yml binds each to two Go
// types: the enum below (arguments, inputs, resolvers) and the domain's own string type
// through the Stored… marshalers (enums_stored.go), so that a domain struct's field
// is marshalled as it is, with no resolver (and no goroutine) per object.
// Their documentation is the schema's (graph/schema/*.graphqls); each All… list is the
// one list of its values (IsValid reads it), and graph TestHandWrittenEnumsAreTheSchemas
// holds it to the schema.

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Gender (kön). All statistics are split by it.
type Gender string

const (
	// Woman (kvinna).
	// Label (sv): Kvinna
	GenderWoman Gender = "WOMAN"
	// Man (man).
	// Label (sv): Man
	GenderMan Gender = "MAN"
	// Other or non-binary (annat).
	// Label (sv): Annat
	GenderOther Gender = "OTHER"
	// Not stated (ej angivet).
	// Label (sv): Ej angivet
	GenderNotStated Gender = "NOT_STATED"
)

var AllGender = []Gender{
	GenderWoman,
	GenderMan,
	GenderOther,
	GenderNotStated,
}

func (e Gender) IsValid() bool { return slices.Contains(AllGender, e) }

func (e Gender) String() string {
	return string(e)
}

func (e *Gender) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("enums must be strings")
	}

	*e = Gender(str)
	if !e.IsValid() {
		return fmt.Errorf("%s is not a valid Gender", str)
	}
	return nil
}

func (e Gender) MarshalGQL(w io.Writer) {
	_, _ = fmt.Fprint(w, strconv.Quote(e.String()))
}

func (e *Gender) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return err
	}
	return e.UnmarshalGQL(s)
}

func (e Gender) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	e.MarshalGQL(&buf)
	return buf.Bytes(), nil
}

// Case status (ärendestatus).
type CaseStatus string

const (
	// Active case (aktivt ärende).
	// Label (sv): Aktiv
	CaseStatusActive CaseStatus = "ACTIVE"
	// Paused, e.g. during sick leave (vilande).
	// Label (sv): Vilande
	CaseStatusPaused CaseStatus = "PAUSED"
	// Closed (avslutat).
	// Label (sv): Avslutad
	CaseStatusClosed CaseStatus = "CLOSED"
)

var AllCaseStatus = []CaseStatus{
	CaseStatusActive,
	CaseStatusPaused,
	CaseStatusClosed,
}

func (e CaseStatus) IsValid() bool { return slices.Contains(AllCaseStatus, e) }

func (e CaseStatus) String() string {
	return string(e)
}

func (e *CaseStatus) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("enums must be strings")
	}

	*e = CaseStatus(str)
	if !e.IsValid() {
		return fmt.Errorf("%s is not a valid CaseStatus", str)
	}
	return nil
}

func (e CaseStatus) MarshalGQL(w io.Writer) {
	_, _ = fmt.Fprint(w, strconv.Quote(e.String()))
}

func (e *CaseStatus) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return err
	}
	return e.UnmarshalGQL(s)
}

func (e CaseStatus) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	e.MarshalGQL(&buf)
	return buf.Bytes(), nil
}

// Exit destinations and observed labour-market statuses (avslutsorsak / status).
type OutcomeStatus string

const (
	// Unsubsidised employment, full time (osubventionerat arbete, heltid).
	// Label (sv): Osubventionerat arbete, heltid
	OutcomeStatusUnsubsidisedEmploymentFull OutcomeStatus = "UNSUBSIDISED_EMPLOYMENT_FULL"
	// Unsubsidised employment, part time (osubventionerat arbete, deltid).
	// Label (sv): Osubventionerat arbete, deltid
	OutcomeStatusUnsubsidisedEmploymentPart OutcomeStatus = "UNSUBSIDISED_EMPLOYMENT_PART"
	// Subsidised employment (subventionerad anställning).
	// Label (sv): Subventionerad anställning
	OutcomeStatusSubsidisedEmployment OutcomeStatus = "SUBSIDISED_EMPLOYMENT"
	// Regular studies (studier).
	// Label (sv): Studier
	OutcomeStatusStudies OutcomeStatus = "STUDIES"
	// Another measure (annan insats).
	// Label (sv): Annan insats
	OutcomeStatusOtherMeasure OutcomeStatus = "OTHER_MEASURE"
	// Back to the Public Employment Service, seeking work (åter till AF).
	// Label (sv): Arbetssökande
	OutcomeStatusJobSeeking OutcomeStatus = "JOB_SEEKING"
	// Sick leave or activity compensation (sjukskrivning / aktivitetsersättning).
	// Label (sv): Sjukskriven
	OutcomeStatusSickLeave OutcomeStatus = "SICK_LEAVE"
	// Parental leave (föräldraledighet).
	// Label (sv): Föräldraledig
	OutcomeStatusParentalLeave OutcomeStatus = "PARENTAL_LEAVE"
	// Moved away (flyttat).
	// Label (sv): Flyttat
	OutcomeStatusMovedAway OutcomeStatus = "MOVED_AWAY"
	// Dropped out (avbrott).
	// Label (sv): Avbrutit
	OutcomeStatusDroppedOut OutcomeStatus = "DROPPED_OUT"
	// Other (annat).
	// Label (sv): Annat
	OutcomeStatusOther OutcomeStatus = "OTHER"
	// Unknown (okänt): a value, never a guess.
	// Label (sv): Okänd
	OutcomeStatusUnknown OutcomeStatus = "UNKNOWN"
)

var AllOutcomeStatus = []OutcomeStatus{
	OutcomeStatusUnsubsidisedEmploymentFull,
	OutcomeStatusUnsubsidisedEmploymentPart,
	OutcomeStatusSubsidisedEmployment,
	OutcomeStatusStudies,
	OutcomeStatusOtherMeasure,
	OutcomeStatusJobSeeking,
	OutcomeStatusSickLeave,
	OutcomeStatusParentalLeave,
	OutcomeStatusMovedAway,
	OutcomeStatusDroppedOut,
	OutcomeStatusOther,
	OutcomeStatusUnknown,
}

func (e OutcomeStatus) IsValid() bool { return slices.Contains(AllOutcomeStatus, e) }

func (e OutcomeStatus) String() string {
	return string(e)
}

func (e *OutcomeStatus) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("enums must be strings")
	}

	*e = OutcomeStatus(str)
	if !e.IsValid() {
		return fmt.Errorf("%s is not a valid OutcomeStatus", str)
	}
	return nil
}

func (e OutcomeStatus) MarshalGQL(w io.Writer) {
	_, _ = fmt.Fprint(w, strconv.Quote(e.String()))
}

func (e *OutcomeStatus) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return err
	}
	return e.UnmarshalGQL(s)
}

func (e OutcomeStatus) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	e.MarshalGQL(&buf)
	return buf.Bytes(), nil
}

// Who referred the person (anvisande part).
type ReferralSource string

const (
	// Social services / social assistance (socialtjänsten, ekonomiskt bistånd).
	// Label (sv): Socialtjänsten
	ReferralSourceSocialServices ReferralSource = "SOCIAL_SERVICES"
	// The Public Employment Service (Arbetsförmedlingen).
	// Label (sv): Arbetsförmedlingen
	ReferralSourceAf ReferralSource = "AF"
	// The Social Insurance Agency (Försäkringskassan).
	// Label (sv): Försäkringskassan
	ReferralSourceSocialInsurance ReferralSource = "SOCIAL_INSURANCE"
	// The Region (regionen, e.g. psychiatry).
	// Label (sv): Regionen
	ReferralSourceRegion ReferralSource = "REGION"
	// Came on their own (egen anmälan).
	// Label (sv): Egen anmälan
	ReferralSourceSelf ReferralSource = "SELF"
	// Other (annan).
	// Label (sv): Annan
	ReferralSourceOther ReferralSource = "OTHER"
)

var AllReferralSource = []ReferralSource{
	ReferralSourceSocialServices,
	ReferralSourceAf,
	ReferralSourceSocialInsurance,
	ReferralSourceRegion,
	ReferralSourceSelf,
	ReferralSourceOther,
}

func (e ReferralSource) IsValid() bool { return slices.Contains(AllReferralSource, e) }

func (e ReferralSource) String() string {
	return string(e)
}

func (e *ReferralSource) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("enums must be strings")
	}

	*e = ReferralSource(str)
	if !e.IsValid() {
		return fmt.Errorf("%s is not a valid ReferralSource", str)
	}
	return nil
}

func (e ReferralSource) MarshalGQL(w io.Writer) {
	_, _ = fmt.Fprint(w, strconv.Quote(e.String()))
}

func (e *ReferralSource) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return err
	}
	return e.UnmarshalGQL(s)
}

func (e ReferralSource) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	e.MarshalGQL(&buf)
	return buf.Bytes(), nil
}

// Where an observation came from (källa).
type ObservationSource string

const (
	// Phone follow-up (telefonuppföljning).
	// Label (sv): Telefonuppföljning
	ObservationSourcePhoneFollowUp ObservationSource = "PHONE_FOLLOW_UP"
	// Participant survey (deltagarenkät).
	// Label (sv): Deltagarenkät
	ObservationSourceParticipantSurvey ObservationSource = "PARTICIPANT_SURVEY"
	// Social-assistance payment register (utbetalningsregister ekonomiskt bistånd).
	// Label (sv): Register över ekonomiskt bistånd
	ObservationSourceSocialAssistanceRegister ObservationSource = "SOCIAL_ASSISTANCE_REGISTER"
	// Data from the Public Employment Service (AF).
	// Label (sv): Arbetsförmedlingens uppgifter
	ObservationSourceAfData ObservationSource = "AF_DATA"
	// SUS (Försäkringskassan's follow-up system).
	// Label (sv): SUS
	ObservationSourceSus ObservationSource = "SUS"
	// The employer (arbetsgivare).
	// Label (sv): Arbetsgivaren
	ObservationSourceEmployer ObservationSource = "EMPLOYER"
	// The caseworker (handläggare).
	// Label (sv): Handläggaren
	ObservationSourceCaseworker ObservationSource = "CASEWORKER"
)

var AllObservationSource = []ObservationSource{
	ObservationSourcePhoneFollowUp,
	ObservationSourceParticipantSurvey,
	ObservationSourceSocialAssistanceRegister,
	ObservationSourceAfData,
	ObservationSourceSus,
	ObservationSourceEmployer,
	ObservationSourceCaseworker,
}

func (e ObservationSource) IsValid() bool { return slices.Contains(AllObservationSource, e) }

func (e ObservationSource) String() string {
	return string(e)
}

func (e *ObservationSource) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("enums must be strings")
	}

	*e = ObservationSource(str)
	if !e.IsValid() {
		return fmt.Errorf("%s is not a valid ObservationSource", str)
	}
	return nil
}

func (e ObservationSource) MarshalGQL(w io.Writer) {
	_, _ = fmt.Fprint(w, strconv.Quote(e.String()))
}

func (e *ObservationSource) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return err
	}
	return e.UnmarshalGQL(s)
}

func (e ObservationSource) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	e.MarshalGQL(&buf)
	return buf.Bytes(), nil
}
