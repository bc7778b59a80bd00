package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// postJSON is gqlgen's POST transport with a cheaper way of writing a successful
// response. gqlgen writes the response with json.Marshal, which re-scans the data its
// own marshalers have just written (a json.RawMessage is compacted and checked byte by
// byte): 4–5 % of the API's CPU on a page of 50 participants. Here a response that is
// data only is written as {"data":…} around the bytes as they are. Everything else (a
// body that does not decode, an operation that does not parse or validate, a response
// with errors or extensions, a client asking for application/graphql-response+json) is
// left to transport.POST, which writes it exactly as before.
type postJSON struct {
	transport.POST
}

func (h postJSON) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if !plainJSONAccepted(r.Header.Get("Accept")) {
		h.POST.Do(w, r, exec)
		return
	}
	start := graphql.Now()
	// The gate has decoded the body already (gated), and left it unread for transport.POST
	// should the request need it (retry); a handler mounted without the gate reads and
	// decodes it here.
	retry := func() { h.POST.Do(w, r, exec) }
	params, ok := gated(r)
	if ok {
		p := *params // the gate's copy stays as it decoded it
		params = &p
	} else {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			h.POST.Do(w, r, exec) // reports the read error as transport.POST does
			return
		}
		retry = func() {
			r.Body = io.NopCloser(bytes.NewReader(body))
			h.POST.Do(w, r, exec)
		}
		params = new(graphql.RawParams)
		if decodeJSON(body, params) != nil {
			retry()
			return
		}
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	ctx := r.Context()
	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		retry()
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	resp := responses(ctx)
	if resp == nil { // gqlgen answers nothing when the request's context ended before its operation ran
		endedEarly(ctx, w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if len(resp.Errors) > 0 || len(resp.Extensions) > 0 || resp.Label != "" || resp.Path != nil || resp.HasNext != nil || len(resp.Data) == 0 {
		b, err := json.Marshal(resp)
		if err != nil {
			panic(err) // as transport.POST: the response was built by gqlgen itself
		}
		_, _ = w.Write(b)
		return
	}
	buf := make([]byte, 0, len(resp.Data)+len(`{"data":}`))
	buf = append(buf, `{"data":`...)
	buf = append(buf, resp.Data...)
	buf = append(buf, '}')
	_, _ = w.Write(buf)
}

// plainJSONAccepted reports whether transport.POST would answer application/json: no
// Accept header, or one naming only application/json or any type.
func plainJSONAccepted(accept string) bool {
	if accept == "" {
		return true
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.TrimSpace(mediaType) {
		case "application/json", "*/*", "application/*":
		default:
			return false
		}
	}
	return true
}

// endedEarly reports whether the request's context has ended, and if so answers it as
// such: a request whose time ran out is TIMEOUT (errview's word for a deadline); a
// client that went away is answered nothing. Neither is the server's fault, and neither
// is logged or answered as one (INTERNAL).
func endedEarly(ctx context.Context, w http.ResponseWriter) bool {
	err := ctx.Err()
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		writeError(w, http.StatusServiceUnavailable, err)
	}
	return true
}
