// Package calendar turns instants into the calendar dates the municipalities live by.
// "Today" is the date in Sweden, not in UTC: between midnight and 01:00/02:00 Swedish
// time the UTC date is still yesterday, and a referral dated today would be refused as
// lying in the future.
package calendar

import (
	"time"
	_ "time/tzdata" // the zone database travels with the binary: slim images lack it
)

// Sweden is the zone dates are taken in.
var Sweden = mustLoad("Europe/Stockholm")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Today is the Swedish calendar date of now, as midnight UTC (how dates are held).
func Today(now time.Time) time.Time {
	y, m, d := now.In(Sweden).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
