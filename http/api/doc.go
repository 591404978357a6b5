// Package api holds the server interfaces and models that oapi-codegen
// v2.8.2 generates from Shoal's OpenAPI spec, http/openapi.yaml.
//
// Do not edit api.gen.go; run `make generate`.
package api

//go:generate go tool oapi-codegen -config config.yaml ../openapi.yaml
