package apiserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// persistedQueries implements Apollo's automatic persisted queries (APQ: the client
// sends extensions.persistedQuery.sha256Hash, and the query text only when the server
// answers PERSISTED_QUERY_NOT_FOUND) and, when allowed is set, the production mode that
// accepts only the registered operations of the frontend's build.
type persistedQueries struct {
	cache   graphql.Cache[string] // APQ: hash -> query, filled by clients
	allowed map[string]string     // "only" mode: hash -> query, from the manifest
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = persistedQueries{}

func newAPQ() persistedQueries { return persistedQueries{cache: lru.New[string](1000)} }

// LoadOperationManifest reads an operation manifest: Apollo's persisted query manifest
// ({"format":"apollo-persisted-query-manifest","operations":[{"id","body",...}]}) or
// graphql-codegen's persisted documents ({"<sha256>": "<body>"}). Every id must be the
// SHA-256 of its body.
func LoadOperationManifest(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("persisted operations: %w", err)
	}
	ops := map[string]string{}
	var apollo struct {
		Format     string `json:"format"`
		Operations []struct {
			ID   string `json:"id"`
			Body string `json:"body"`
		} `json:"operations"`
	}
	if err := json.Unmarshal(b, &apollo); err == nil && apollo.Format != "" {
		for _, o := range apollo.Operations {
			ops[o.ID] = o.Body
		}
	} else if err := json.Unmarshal(b, &ops); err != nil {
		return nil, fmt.Errorf("persisted operations %s: neither an Apollo manifest nor a hash-to-document map", path)
	}
	for id, body := range ops {
		if queryHash(body) != id {
			return nil, fmt.Errorf("persisted operations %s: id %s is not the SHA-256 of its body", path, id)
		}
	}
	return ops, nil
}

func queryHash(q string) string {
	h := sha256.Sum256([]byte(q))
	return hex.EncodeToString(h[:])
}

func (persistedQueries) ExtensionName() string                   { return "PersistedQueries" }
func (persistedQueries) Validate(graphql.ExecutableSchema) error { return nil }

// A malformed or unregistered persisted query is the client's fault, answered 422 as an
// operation that does not validate; PERSISTED_QUERY_NOT_FOUND stays 200, the answer
// Apollo's clients expect before they send the query.
func init() {
	errcode.RegisterErrorType("PERSISTED_QUERY_INVALID", errcode.KindProtocol)
	errcode.RegisterErrorType("PERSISTED_QUERY_NOT_ALLOWED", errcode.KindProtocol)
}

func pqError(code, msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
}

func (p persistedQueries) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	var hash string
	if ext, ok := raw.Extensions["persistedQuery"].(map[string]any); ok {
		if v, _ := ext["version"].(float64); v != 1 {
			if n, ok := ext["version"].(json.Number); !ok || n.String() != "1" {
				return pqError("PERSISTED_QUERY_INVALID", "extensions.persistedQuery.version must be 1")
			}
		}
		hash, _ = ext["sha256Hash"].(string)
		if len(hash) != 64 {
			return pqError("PERSISTED_QUERY_INVALID", "extensions.persistedQuery.sha256Hash must be a SHA-256 in hex")
		}
	} else if raw.Extensions["persistedQuery"] != nil {
		return pqError("PERSISTED_QUERY_INVALID", "extensions.persistedQuery must be an object")
	}
	if p.allowed != nil {
		if raw.Query != "" {
			hash = queryHash(raw.Query)
		}
		q, ok := p.allowed[hash]
		if !ok {
			return pqError("PERSISTED_QUERY_NOT_ALLOWED", "this server accepts only the registered operations of the frontend's build")
		}
		raw.Query = q
		return nil
	}
	if hash == "" {
		return nil // a plain request
	}
	if raw.Query == "" {
		q, ok := p.cache.Get(ctx, hash)
		if !ok {
			// Apollo clients look for exactly this message and then send the query.
			return pqError("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
		}
		raw.Query = q
		return nil
	}
	if queryHash(raw.Query) != hash {
		return pqError("PERSISTED_QUERY_INVALID", "the persisted query hash is not the SHA-256 of the query")
	}
	p.cache.Add(ctx, hash, raw.Query)
	return nil
}
