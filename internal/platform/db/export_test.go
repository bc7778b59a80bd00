package db

// MigrateFrom runs the migrations of another file tree (tests of the runner itself).
var MigrateFrom = migrateTo
