// Package securitytest holds one test per class of defect an outside probe of the API
// found (issue 11), each named after its class, against real PostgreSQL and ClickHouse
// servers and the API's real HTTP handler:
//
//	TestTokenClaimsCheckedAgainstReality  claims
//	TestAuditFailsClosed                  audit
//	TestCheapRefusalOfExpensiveQueries    parser limits
//	TestNothingPersonalInLogs             logs
//	TestMalformedRequestsAreClientErrors  malformed requests
//	TestExportsSafeInExcel                exports
//	TestKeyFetchingCannotStallLogins      key fetching
//	TestLeastPrivilegeDatabaseRoles       database roles
//	TestWarehouseOutageKeepsCasework      warehouse outage
//	TestOperatorsCanSeeErrors             metrics
//
// The refusal of a 20,000-field query is measured by BenchmarkRefusal* (see
// docs/BENCHMARKS.md), not timed in a test. docs/SECURITY.md maps each threat to its
// control and test.
package securitytest
