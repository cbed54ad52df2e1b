// Package yamlx is ahead's one strict-YAML helper. Flows, queues,
// policies, content templates, Stripe mappings and the configuration file
// are all read through it, so every file reports its problems the same
// way: file, line and field, every problem at once, unknown and repeated
// keys refused, YAML merge keys followed where a loader allows them.
//
// It offers node primitives (Resolve, IsNull, Join, Describe, Root), the
// splitting of a stream into documents with their first lines (Split), a
// table-driven mapping walker (Mapping, Pairs, Str, Seq, Required) for
// loaders that check key by key, and a reflective decoder (Decode) for
// plain settings structs. It knows nothing of ahead's domain and must not
// import any of ahead's packages.
package yamlx
