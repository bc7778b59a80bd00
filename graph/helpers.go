package graph

import (
	"context"
	"time"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/domain/referral"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// referralConnection turns a page of referrals into a connection.
func referralConnection(page db.Page[referral.Referral], err error) (*model.ReferralConnection, error) {
	if err != nil {
		return nil, err
	}
	edges, info := edgesOf(page, func(c string, n *referral.Referral) *model.ReferralEdge {
		return &model.ReferralEdge{Cursor: c, Node: n}
	})
	return &model.ReferralConnection{Edges: edges, PageInfo: info, TotalCount: page.TotalCount}, nil
}

// asOfOrToday is the asOf argument, or today.
func (r *Resolver) asOfOrToday(asOf *model.Date) time.Time {
	if asOf == nil {
		return r.today()
	}
	return time.Time(*asOf)
}

// participantToWrite loads a participant a mutation writes about and checks the caller
// may write personal data of their organisation (another tenant's person is NOT_FOUND).
func (r *Resolver) participantToWrite(ctx context.Context, id string) (*participant.Participant, error) {
	p, err := r.Participants.Get(ctx, id)
	if apperr.CodeOf(err) == apperr.NotFound {
		return nil, apperr.NotFoundf("input.participantId", "participant not found")
	}
	if err != nil {
		return nil, err
	}
	if err := requirePersonalData(ctx, p.OrganisationID, "input.participantId"); err != nil {
		return nil, err
	}
	return &p, nil
}
