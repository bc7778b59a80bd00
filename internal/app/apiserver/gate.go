package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// Limits bound a GraphQL request before gqlgen parses or validates it. Validation costs
// grow faster than the query (thousands of repeated fields cost seconds of CPU in the
// overlapping-fields rule), so a request over any limit is refused after a linear scan.
type Limits struct {
	MaxBodyBytes int64 // the HTTP body (413 REQUEST_TOO_LARGE)
	// MaxUploadBytes bounds a multipart request, a file upload (413 REQUEST_TOO_LARGE);
	// zero: MaxBodyBytes. Its operations part is held to MaxBodyBytes and every check.
	MaxUploadBytes int64
	MaxQueryBytes  int // the query text
	MaxTokens      int // lexical tokens of the query
	MaxFields      int // fields, aliases included, counted where written
	MaxFragments   int // fragment definitions, inline fragments and spreads
	// MaxSpreadFields bounds an operation's fields with its fragments spread in (a
	// fragment spread twice counts twice), as validation and the complexity limit walk
	// them: fragments that each spread the one before twice double the count with every
	// level, so a few kilobytes of query cost seconds of CPU before the complexity limit
	// could refuse them.
	MaxSpreadFields int
}

// DefaultLimits are generous for the frontends' largest pages (a participant with all
// nested lists is about 150 fields) and far below what costs noticeable CPU.
var DefaultLimits = Limits{MaxBodyBytes: MaxBodyBytes, MaxUploadBytes: MaxUploadBodyBytes, MaxQueryBytes: 32 << 10, MaxTokens: 4000, MaxFields: 500, MaxFragments: 50,
	MaxSpreadFields: 5000}

// Error codes of the request gate, beside apperr's.
const (
	codeBadRequest      = "BAD_REQUEST"
	codeRequestTooLarge = string(apperr.TooLarge)
	codeQueryTooLarge   = "QUERY_TOO_LARGE"
)

type gateError struct {
	status  int
	code    string
	field   string
	message string
}

func (e *gateError) Error() string { return e.message }

// queryOnlyByGET refuses a mutation or subscription sent by GET (405, as the GraphQL
// over HTTP spec has it) with a typed error: gqlgen's own answer, a 406, had no code.
func queryOnlyByGET(query, operationName string) *gateError {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return nil // gqlgen answers GRAPHQL_PARSE_FAILED
	}
	op := doc.Operations.ForName(operationName)
	if operationName == "" && len(doc.Operations) == 1 {
		op = doc.Operations[0]
	}
	if op == nil || op.Operation == ast.Query {
		return nil
	}
	return &gateError{status: http.StatusMethodNotAllowed, code: codeBadRequest,
		message: fmt.Sprintf("a %s is sent by POST; GET runs queries only", op.Operation)}
}

func badRequest(format string, args ...any) *gateError {
	return &gateError{status: http.StatusBadRequest, code: codeBadRequest, message: fmt.Sprintf(format, args...)}
}

// gate refuses malformed and expensive GraphQL requests with a typed 4xx error before
// gqlgen sees them, and hands the others on unchanged. Its error messages never quote
// the request: they name the field and the rule.
func gate(l Limits, count func(code string), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err *gateError
		switch r.Method {
		case http.MethodPost:
			var body []byte
			if boundary, ok := multipartBoundary(r); ok {
				max := l.MaxUploadBytes
				if max == 0 {
					max = l.MaxBodyBytes
				}
				body, err = readBody(w, r, max, fmt.Sprintf("the upload is larger than %d MB: a file may be at most %d MB; import larger files with outcomesctl",
					max>>20, importer.MaxFileBytes>>20))
				if err == nil {
					err = checkMultipart(l, body, boundary)
				}
			} else if !jsonMediaType(r) {
				// No transport of gqlgen's takes it: its answer would carry no code.
				err = &gateError{status: http.StatusUnsupportedMediaType, code: codeBadRequest,
					message: "send a GraphQL request as application/json, or a file upload as multipart/form-data with its boundary"}
			} else {
				body, err = readBody(w, r, l.MaxBodyBytes, fmt.Sprintf("request body is larger than %d bytes", l.MaxBodyBytes))
				if err == nil {
					var params *graphql.RawParams
					if params, err = checkPost(l, body); err == nil {
						r = r.WithContext(context.WithValue(r.Context(), gatedKey{}, params))
					}
				}
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		case http.MethodGet:
			q := r.URL.Query()
			var vars, ext map[string]any
			if v := q.Get("variables"); v != "" && decodeJSON([]byte(v), &vars) != nil { // as transport.GET decodes them
				err = badRequest("variables must be a JSON object")
			} else if v := q.Get("extensions"); v != "" && decodeJSON([]byte(v), &ext) != nil {
				err = badRequest("extensions must be a JSON object")
			} else {
				// A persisted query may come by GET as its hash alone (Apollo's
				// useGETForHashedQueries), in the extensions parameter.
				_, persisted := ext["persistedQuery"]
				err = checkRequest(l, q.Get("query"), q.Get("operationName"), vars, persisted)
			}
			if err == nil {
				err = queryOnlyByGET(q.Get("query"), q.Get("operationName"))
			}
		case http.MethodOptions:
			// CORS preflights are answered before the gate; gqlgen answers the rest.
		default:
			// PUT, DELETE, PATCH, HEAD, …: GraphQL over HTTP uses GET and POST only, and
			// gqlgen's answer ("transport not supported", 400 as text/plain) had no code.
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			err = &gateError{status: http.StatusMethodNotAllowed, code: codeBadRequest,
				message: "send a GraphQL request by POST (or a query by GET)"}
		}
		if err != nil {
			count(err.code)
			writeGateError(w, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// websocketGate holds every operation that comes over a WebSocket to the checks gate
// makes of an HTTP request. graphql-ws carries queries and mutations as well as
// subscriptions, one connection many operations, and none of them passes through gate:
// without this, a mutation could store text the gate refuses, and a query of thousands
// of fields would be validated (seconds of CPU) before gqlgen's complexity limit refused
// it. It runs before the persisted queries, on the request as the client sent it. The
// connection's token was verified once, in connection_init: an operation after it has
// expired is refused as a request with it would be.
type websocketGate struct {
	limits   Limits
	verifier *auth.Verifier
}

// viaWebsocket marks the context of a WebSocket connection (websocketTransport's InitFunc).
type viaWebsocket struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = websocketGate{}

func (websocketGate) ExtensionName() string                   { return "WebsocketGate" }
func (websocketGate) Validate(graphql.ExecutableSchema) error { return nil }

func (g websocketGate) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	if ctx.Value(viaWebsocket{}) == nil {
		return nil // an HTTP request: gate checked it
	}
	if p, ok := auth.From(ctx); !ok || g.verifier.Current(p) != nil {
		return &gqlerror.Error{Message: "the connection's bearer token has expired: connect again with a current one",
			Extensions: map[string]any{"code": string(apperr.Unauthenticated)}}
	}
	_, persisted := raw.Extensions["persistedQuery"]
	e := checkRequest(g.limits, raw.Query, raw.OperationName, raw.Variables, persisted)
	if e == nil {
		return nil
	}
	ext := map[string]any{"code": e.code}
	if e.field != "" {
		ext["field"] = e.field
	}
	return &gqlerror.Error{Message: e.message, Extensions: ext}
}

func readBody(w http.ResponseWriter, r *http.Request, max int64, tooLargeMessage string) ([]byte, *gateError) {
	tooLarge := &gateError{status: http.StatusRequestEntityTooLarge, code: codeRequestTooLarge, message: tooLargeMessage}
	if r.ContentLength > max {
		return nil, tooLarge
	}
	// Read into one buffer of the announced size (a chunked body grows one), so that a
	// large body costs one copy, not a series of doublings.
	buf := bytes.NewBuffer(make([]byte, 0, max64(r.ContentLength+1, 512)))
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, max))
	body := buf.Bytes()
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, tooLarge
	case err != nil:
		return nil, badRequest("the request body could not be read")
	}
	return body, nil
}

// multipartBoundary says whether r is a multipart form (the GraphQL multipart request
// specification: a file upload) and returns its boundary.
func multipartBoundary(r *http.Request) (string, bool) {
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		return "", false
	}
	return params["boundary"], true
}

// jsonMediaType says whether r is a JSON body, as transport.POST decides it.
func jsonMediaType(r *http.Request) bool {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mediaType == "application/json"
}

// checkMultipart holds an upload's operations part, which the specification puts
// first, to the limits and checks of a JSON body, and its map, second, to the
// specification: a JSON object from each file's part name to the variables it fills,
// every one a file the request carries and a variable the operation has. (gqlgen
// refused a malformed map with a 422 without a code.) The files are the imports' to read.
func checkMultipart(l Limits, body []byte, boundary string) *gateError {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "operations" {
		return badRequest("a multipart request must start with its operations part (GraphQL multipart request specification)")
	}
	ops, e := readPart(l, part, "operations")
	if e != nil {
		return e
	}
	params, e := checkPost(l, ops)
	if e != nil {
		return e
	}
	if part, err = mr.NextPart(); err != nil || part.FormName() != "map" {
		return badRequest("a multipart request's second part must be its map (GraphQL multipart request specification)")
	}
	raw, e := readPart(l, part, "map")
	if e != nil {
		return e
	}
	var fileMap map[string][]string
	if err := json.Unmarshal(raw, &fileMap); err != nil {
		return badRequest("the map part must be a JSON object from each file's part name to a list of variable paths")
	}
	files := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return badRequest("the multipart request could not be read")
		}
		if part.FileName() != "" {
			files[part.FormName()] = true
		}
	}
	for name, paths := range fileMap {
		if !files[name] {
			return badRequest("the map names a file part that the request does not carry")
		}
		for _, path := range paths {
			rest, ok := strings.CutPrefix(path, "variables.")
			if !ok || !hasPath(params.Variables, strings.Split(rest, ".")) {
				return badRequest("a path in the map is not a variable of the operation (variables.<name>, with .<index> into lists)")
			}
		}
	}
	return nil
}

// readPart reads a multipart request's JSON part, held to MaxBodyBytes.
func readPart(l Limits, part *multipart.Part, name string) ([]byte, *gateError) {
	b, err := io.ReadAll(io.LimitReader(part, l.MaxBodyBytes+1))
	switch {
	case err != nil:
		return nil, badRequest("the multipart request could not be read")
	case int64(len(b)) > l.MaxBodyBytes:
		return nil, &gateError{status: http.StatusRequestEntityTooLarge, code: codeRequestTooLarge,
			message: fmt.Sprintf("the %s part is larger than %d bytes", name, l.MaxBodyBytes)}
	}
	return b, nil
}

// hasPath says whether path (object keys, list indexes) leads somewhere in v, as gqlgen
// follows a map's path to put a file there.
func hasPath(v any, path []string) bool {
	for _, step := range path {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[step]; !ok {
				return false
			}
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(x) {
				return false
			}
			v = x[i]
		default:
			return false
		}
	}
	return true
}

// gatedKey is the context key of the request a JSON POST decoded to in the gate, which
// postJSON then executes instead of decoding the body again.
type gatedKey struct{}

// gated returns the request the gate decoded from r's body, if it did.
func gated(r *http.Request) (*graphql.RawParams, bool) {
	p, ok := r.Context().Value(gatedKey{}).(*graphql.RawParams)
	return p, ok
}

// checkPost checks a JSON POST body and returns the request it holds, decoded as
// gqlgen's POST transport decodes it (numbers as json.Number).
func checkPost(l Limits, body []byte) (*graphql.RawParams, *gateError) {
	if bytes.IndexByte(body, 0) >= 0 {
		return nil, badRequest("the request body holds a NUL byte")
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return nil, badRequest("the request body is empty; send a JSON object with query and variables")
	case trimmed[0] == '[':
		return nil, badRequest("batched requests are not supported; send one JSON object per request")
	case trimmed[0] != '{':
		return nil, badRequest("the request body must be a JSON object with query, operationName and variables")
	}
	// Decoded exactly as gqlgen's POST and multipart transports decode it (into RawParams,
	// numbers as json.Number), so that what is checked here is what runs: a key given
	// twice, "variables" or "extensions", merges the two objects there, and must here.
	params := new(graphql.RawParams)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		// encoding/json's message can quote a character of the input: say where instead.
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntax):
			return nil, badRequest("the request body is not valid JSON for a GraphQL request (near byte %d)", syntax.Offset)
		case errors.As(err, &typ) && (typ.Field == "variables" || typ.Field == "extensions"):
			return nil, badRequest("%s must be a JSON object", typ.Field)
		}
		return nil, badRequest("the request body is not a JSON object of query, operationName and variables")
	}
	if len(bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n")) > 0 {
		return nil, badRequest("the request body holds more than one JSON value; send one JSON object per request")
	}
	_, persisted := params.Extensions["persistedQuery"]
	if e := checkRequest(l, params.Query, params.OperationName, params.Variables, persisted); e != nil {
		return nil, e
	}
	return params, nil
}

// decodeJSON decodes one JSON value as gqlgen's transports do (numbers as json.Number).
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// checkRequest checks a decoded request; persisted says whether its extensions name a
// persisted query.
func checkRequest(l Limits, query, operationName string, vars map[string]any, persisted bool) *gateError {
	if query == "" && !persisted {
		// A persisted query (APQ, or a registered operation) may come as its hash alone.
		return badRequest("the request has no query")
	}
	if len(query) > l.MaxQueryBytes {
		return tooLargeQuery("the query is %d bytes; the limit is %d", len(query), l.MaxQueryBytes)
	}
	if e := checkText("query", query); e != nil {
		return e
	}
	if e := checkText("operationName", operationName); e != nil {
		return e
	}
	if e := checkValue("variables", vars); e != nil {
		return e
	}
	return checkQuery(l, query)
}

func tooLargeQuery(format string, args ...any) *gateError {
	return &gateError{status: http.StatusBadRequest, code: codeQueryTooLarge, message: fmt.Sprintf(format, args...)}
}

// passedQueries remembers query texts that parsed and passed checkQuery under given limits:
// clients send the same few queries again and again (a create, a page), and the check,
// a function of the two alone, lexed and parsed each of them anew on every request
// (3 % of the API's CPU per write). Cleared when full, so it holds at most
// maxPassedQueries texts of at most MaxQueryBytes each. A text that does not parse is
// not remembered: gqlgen refuses it, and a client does not send it on and on.
var passedQueries = struct {
	sync.Mutex
	m map[passedQuery]struct{}
}{m: map[passedQuery]struct{}{}}

type passedQuery struct {
	l     Limits
	query string
}

const maxPassedQueries = 256

// checkQuery is checkQueryText, answered from passedQueries for a text that passed before.
func checkQuery(l Limits, query string) *gateError {
	k := passedQuery{l, query}
	passedQueries.Lock()
	_, ok := passedQueries.m[k]
	passedQueries.Unlock()
	if ok {
		return nil
	}
	e, parsed := checkQueryText(l, query)
	if e == nil && parsed {
		passedQueries.Lock()
		if len(passedQueries.m) >= maxPassedQueries {
			clear(passedQueries.m)
		}
		passedQueries.m[k] = struct{}{}
		passedQueries.Unlock()
	}
	return e
}

// checkQueryText counts tokens (stopping at the limit), then parses the query (linear)
// and counts fields and fragments, and checks the text of every string literal
// (arguments and variables' defaults). A query that does not lex or parse is left to
// gqlgen, which answers GRAPHQL_PARSE_FAILED: parsed says whether it did.
func checkQueryText(l Limits, query string) (e *gateError, parsed bool) {
	lex := lexer.New(&ast.Source{Input: query})
	for n := 0; ; n++ {
		tok, err := lex.ReadToken()
		if err != nil {
			return nil, false
		}
		if tok.Kind == lexer.EOF {
			break
		}
		if n >= l.MaxTokens {
			return tooLargeQuery("the query has more than %d tokens", l.MaxTokens), false
		}
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return nil, false
	}
	c := &counter{}
	for _, op := range doc.Operations {
		// A variable's default is a literal the operation uses as it uses the variable.
		for _, v := range op.VariableDefinitions {
			c.value(join("variables", v.Variable), v.DefaultValue)
		}
		c.selections(op.SelectionSet, "")
	}
	for _, f := range doc.Fragments {
		c.fragments++
		c.selections(f.SelectionSet, "")
	}
	switch {
	case c.fields > l.MaxFields:
		return tooLargeQuery("the query has %d fields (aliases included); the limit is %d", c.fields, l.MaxFields), true
	case c.fragments > l.MaxFragments:
		return tooLargeQuery("the query has %d fragments and spreads; the limit is %d", c.fragments, l.MaxFragments), true
	case spreadFields(doc, l.MaxSpreadFields) > l.MaxSpreadFields:
		return tooLargeQuery("an operation of the query has more than %d fields once its fragments are spread in", l.MaxSpreadFields), true
	case c.bad != nil:
		return c.bad, true
	}
	return nil, true
}

// spreadFields is the most fields an operation of doc has with its fragments spread in,
// counted up to just past limit. Each fragment is counted once and remembered, so the
// count is linear in the document however often its fragments are spread; a fragment
// cycle (which validation refuses) adds nothing.
func spreadFields(doc *ast.QueryDocument, limit int) int {
	s := &spreader{doc: doc, limit: limit, counted: map[string]int{}, open: map[string]bool{}}
	most := 0
	for _, op := range doc.Operations {
		most = max(most, s.fields(op.SelectionSet))
	}
	return most
}

type spreader struct {
	doc     *ast.QueryDocument
	limit   int
	counted map[string]int
	open    map[string]bool // the fragments being counted (a cycle)
}

func (s *spreader) fields(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			n += 1 + s.fields(x.SelectionSet)
		case *ast.InlineFragment:
			n += s.fields(x.SelectionSet)
		case *ast.FragmentSpread:
			n += s.fragment(x.Name)
		}
		if n > s.limit {
			return s.limit + 1
		}
	}
	return n
}

func (s *spreader) fragment(name string) int {
	if n, ok := s.counted[name]; ok {
		return n
	}
	f := s.doc.Fragments.ForName(name)
	if f == nil || s.open[name] {
		return 0
	}
	s.open[name] = true
	n := s.fields(f.SelectionSet)
	s.open[name] = false
	s.counted[name] = n
	return n
}

type counter struct {
	fields, fragments int
	bad               *gateError
}

func (c *counter) selections(set ast.SelectionSet, path string) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			c.fields++
			name := s.Alias
			if name == "" {
				name = s.Name
			}
			p := join(path, name)
			for _, a := range s.Arguments {
				c.value(join(p, a.Name), a.Value)
			}
			c.selections(s.SelectionSet, p)
		case *ast.InlineFragment:
			c.fragments++
			c.selections(s.SelectionSet, path)
		case *ast.FragmentSpread:
			c.fragments++
		}
	}
}

func (c *counter) value(path string, v *ast.Value) {
	if v == nil || c.bad != nil {
		return
	}
	switch v.Kind {
	case ast.StringValue, ast.BlockValue:
		c.bad = checkText(path, v.Raw)
	case ast.ListValue:
		for i, ch := range v.Children {
			c.value(path+"["+strconv.Itoa(i)+"]", ch.Value)
		}
	case ast.ObjectValue:
		for _, ch := range v.Children {
			c.value(join(path, ch.Name), ch.Value)
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// checkValue checks every string (and key) in a decoded JSON value.
func checkValue(path string, v any) *gateError {
	switch x := v.(type) {
	case string:
		return checkText(path, x)
	case map[string]any:
		for k, e := range x {
			if bad := checkText(path, k); bad != nil {
				return bad
			}
			if bad := checkValue(path+"."+k, e); bad != nil {
				return bad
			}
		}
	case []any:
		for i, e := range x {
			if bad := checkValue(path+"["+strconv.Itoa(i)+"]", e); bad != nil {
				return bad
			}
		}
	}
	return nil
}

// checkText refuses text that is not valid UTF-8 or holds control characters other
// than tab and line breaks. JSON decoding turns invalid UTF-8 (and lone surrogate
// escapes) into U+FFFD, so that character is refused too: the text was damaged on its
// way and storing the replacement would silently change it.
func checkText(field, s string) *gateError {
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return &gateError{status: http.StatusBadRequest, code: string(apperr.Invalid), field: field,
				message: "text must be valid UTF-8 (it holds an invalid byte sequence or a replacement character)"}
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7f, r >= 0x80 && r < 0xa0:
			return &gateError{status: http.StatusBadRequest, code: string(apperr.Invalid), field: field,
				message: fmt.Sprintf("text must not hold control characters (U+%04X)", r)}
		}
	}
	return nil
}

func writeGateError(w http.ResponseWriter, e *gateError) {
	ext := map[string]any{"code": e.code}
	if e.field != "" {
		ext["field"] = e.field
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"message": e.message, "extensions": ext}}}) //nolint:errcheck
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
