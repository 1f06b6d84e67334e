package scenarios

import "embed"

// Schema is the JSON Schema (draft 2020-12) of the scenario format, for
// editors and for serving: schema.json beside this file. It describes the
// same fields as the model; rules between fields (one action family per
// fault, references to users, assets and requests) are checked by Load and
// Parse only.
//
//go:embed schema.json
var Schema []byte

// SchemaID is the schema's $id.
const SchemaID = "https://github.com/payap/payap-sandbox/scenarios/schema.json"

// Examples are the example scenarios shipped with the sandbox
// (examples/*.yaml).
//
//go:embed examples/*.yaml
var Examples embed.FS
