// Package openapitest holds the helpers the packages' OpenAPI tests share:
// loading a document, walking it as generic JSON (Map, At, Slice, …),
// resolving JSON pointers and $ref, listing operations, a small JSON Schema
// validator for OpenAPI 3.0 schemas, and reflection over the json tags of
// Go wire types.
//
// It is test support: only _test.go files import it, never production code.
package openapitest
