package http

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/http/api"
)

// maxRequestBody bounds the body of an API request (the largest the spec
// allows in practice is a plan of 10,000 partition specs).
const maxRequestBody = 16 << 20

// specValidator checks API requests against http/openapi.yaml before they
// reach a handler: the generated server only parses parameter types, so the
// ranges, lengths, patterns, enums and body schemas written in the spec are
// enforced here, and a request that breaks them gets a 400 naming the
// parameter or body field.
type specValidator struct {
	router routers.Router
}

func newSpecValidator() (*specValidator, error) {
	doc, err := api.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("load embedded OpenAPI spec: %w", err)
	}
	// Routes are matched on the path alone, whatever host served them.
	doc.Servers = openapi3.Servers{{URL: "/api/v1"}}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route the OpenAPI spec: %w", err)
	}
	return &specValidator{router: r}, nil
}

// wrap validates each request that matches an operation of the spec; other
// requests (the dashboard, probes, unknown API paths) pass through.
func (v *specValidator) wrap(s *Server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, params, err := v.router.FindRoute(r)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
		}
		in := &openapi3filter.RequestValidationInput{
			Request: r, PathParams: params, Route: route,
			Options: &openapi3filter.Options{SkipSettingDefaults: true},
		}
		if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeJSON(w, http.StatusRequestEntityTooLarge, api.Error{Code: shoal.EINVALID,
					Message: fmt.Sprintf("request body larger than %d bytes", tooBig.Limit)})
				return
			}
			s.Error(w, r, shoal.Errorf(shoal.EINVALID, "%s", describeRequestError(err)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// describeRequestError turns a validation error into one line that names
// what was wrong, without the schema dumps of kin-openapi's own messages.
func describeRequestError(err error) string {
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return err.Error()
	}
	what := "request body"
	if p := re.Parameter; p != nil {
		what = fmt.Sprintf("%s parameter %q", p.In, p.Name)
	}
	var se *openapi3.SchemaError
	if errors.As(re.Err, &se) {
		if ptr := se.JSONPointer(); len(ptr) > 0 && re.Parameter == nil {
			what += " field " + strings.Join(ptr, ".")
		}
		return what + ": " + se.Reason
	}
	var pe *openapi3filter.ParseError
	if errors.As(re.Err, &pe) {
		return what + ": " + pe.Error()
	}
	switch {
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		return what + " is required"
	case errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue):
		return what + " is empty"
	case re.Err != nil && re.Reason != "":
		return what + ": " + re.Reason + ": " + re.Err.Error()
	case re.Err != nil:
		return what + ": " + re.Err.Error()
	}
	return what + ": " + re.Reason
}
