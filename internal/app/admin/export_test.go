package admin

// Maintain is maintain, for tests that stop it from its clock.
var Maintain = maintain
