//! The errors of the schema module.

use std::path::PathBuf;

/// What went wrong reading a document or filling a form.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// The document is not an OpenAPI queue document of a fal endpoint.
    #[error("the document is not a fal queue OpenAPI document: {0}")]
    NotOpenApi(String),
    /// The input schema the POST path points at is missing or is not an object.
    #[error("the input schema of {endpoint} cannot be used as a form: {reason}")]
    BadInput {
        /// The endpoint id (or "the document" when unknown).
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A value was given for a field the endpoint does not have.
    #[error("{endpoint} has no field `{field}`; its fields are: {known}")]
    UnknownField {
        /// The endpoint id.
        endpoint: String,
        /// The name that was given.
        field: String,
        /// The field names it does have, comma-separated.
        known: String,
    },
    /// A value does not fit its field.
    #[error("{field}: {message}")]
    InvalidValue {
        /// The field (path such as `elements[0].frontal_image_url`).
        field: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// A local file has no uploaded URL yet, so the payload cannot be built.
    #[error("{field}: the local file {} has not been uploaded yet; upload it before submitting", path.display())]
    NotUploaded {
        /// The field holding the file.
        field: String,
        /// The local file.
        path: PathBuf,
    },
}
