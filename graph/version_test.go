package graph_test

import (
	"context"
	"testing"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
)

// A form read before a fix made in plain SQL (docs/DATABASE.md's sanctioned kind, which
// names no version) is stale: saving it is CONFLICT on input.version and changes
// nothing, as after any other change, because the database raises the version of every
// changed row (migration 0019). Before, the fix left the version as it was and the
// caseworker's save silently undid it.
func TestStaleFormAfterAFixInSQLIsConflict(t *testing.T) {
	t.Parallel()
	w := worldOn(t, apitest.New(t, apitest.Options{}), "fix-a", "fix-b")
	person := w.createPerson(t, w.orgA)
	var read struct{ Participant struct{ Version int } }
	w.admin.MustData(t, `query($id: ID!) { participant(id: $id) { version } }`, map[string]any{"id": person}, &read)

	if _, err := w.system.Exec(context.Background(), `UPDATE participant SET family_name = 'Rättad' WHERE id = $1`,
		model.RecordID("Participant", person)); err != nil {
		t.Fatal(err)
	}
	errs := w.admin.MustFail(t, `mutation($id: ID!, $v: Int!) { updateParticipant(input: {id: $id, version: $v, familyName: "Gammal"}) { version } }`,
		map[string]any{"id": person, "v": read.Participant.Version})
	gqltest.WantError(t, errs, "CONFLICT", "input.version")
	var now struct{ Participant struct{ FamilyName string } }
	w.admin.MustData(t, `query($id: ID!) { participant(id: $id) { familyName } }`, map[string]any{"id": person}, &now)
	if now.Participant.FamilyName != "Rättad" {
		t.Errorf("family name %q after the stale save, want the fix's %q", now.Participant.FamilyName, "Rättad")
	}
}
