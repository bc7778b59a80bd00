package graph

import (
	"time"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/domain/referral"
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
