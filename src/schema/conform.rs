//! Checks a JSON value against an OpenAPI schema, reporting errors in fal's `{loc, msg, type}` shape.
