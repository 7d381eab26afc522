//! The form model: an endpoint's input schema read into an ordered list of typed fields.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::classify::{is_advanced, is_prompt_name, media_kind};
use super::error::SchemaError;
use super::media_limits::MediaLimits;
use super::resolve::{Flat, Resolver};

/// How deep objects may nest (`elements[].reference…`) before a field falls back to raw JSON.
const MAX_NESTING: usize = 4;
/// fal's generic document title, which says nothing a person would call the endpoint.
const GENERIC_TITLE_PREFIX: &str = "Queue OpenAPI for";

/// The form of one endpoint: its id, a title and the fields in display order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormModel {
    /// The endpoint id, e.g. `fal-ai/veo3.1/image-to-video`.
    pub endpoint_id: String,
    /// A human title for the endpoint.
    pub title: String,
    /// The input fields in `x-fal-order-properties` order.
    pub fields: Vec<Field>,
}

/// The control a field is drawn with (and the JSON type it sends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// The main text prompt.
    Prompt,
    /// Any other free text.
    Text,
    /// One of a fixed list of choices (`choices`), sent as the exact value.
    Enum,
    /// A switch.
    Bool,
    /// A whole number.
    Integer,
    /// A number.
    Number,
    /// One image (a URL or a local file to upload).
    Image,
    /// A list of images.
    ImageList,
    /// One video.
    Video,
    /// A list of videos.
    VideoList,
    /// One audio file.
    Audio,
    /// Any other file.
    File,
    /// A nested object with its own fields (`item_fields`).
    Object,
    /// A list of objects, each with `item_fields` (Kling's `elements`).
    ObjectList,
    /// A shape the form cannot draw: edited as raw JSON.
    Json,
}

impl FieldKind {
    /// The kind's name as used in the CLI JSON (`image_list`, `object_list`…).
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Prompt => "prompt",
            FieldKind::Text => "text",
            FieldKind::Enum => "enum",
            FieldKind::Bool => "bool",
            FieldKind::Integer => "integer",
            FieldKind::Number => "number",
            FieldKind::Image => "image",
            FieldKind::ImageList => "image_list",
            FieldKind::Video => "video",
            FieldKind::VideoList => "video_list",
            FieldKind::Audio => "audio",
            FieldKind::File => "file",
            FieldKind::Object => "object",
            FieldKind::ObjectList => "object_list",
            FieldKind::Json => "json",
        }
    }

    /// True for one media file (image, video, audio, file).
    pub fn is_single_media(self) -> bool {
        matches!(
            self,
            FieldKind::Image | FieldKind::Video | FieldKind::Audio | FieldKind::File
        )
    }

    /// True for a list of media files.
    pub fn is_media_list(self) -> bool {
        matches!(self, FieldKind::ImageList | FieldKind::VideoList)
    }
}

/// One input field with everything the form needs to draw and check it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The property name sent to fal.
    pub name: String,
    /// A human label (the schema's title, else the name in words).
    pub label: String,
    /// The schema's description (may be empty).
    pub description: String,
    /// The endpoint refuses the request without it.
    pub required: bool,
    /// The schema's default, if it declares a non-null one.
    pub default: Option<Value>,
    /// The control to draw.
    pub kind: FieldKind,
    /// The allowed values of an `enum` field (exact JSON values), else empty.
    pub choices: Vec<Value>,
    /// Inclusive lower bound (`minimum`).
    pub min: Option<f64>,
    /// Inclusive upper bound (`maximum`).
    pub max: Option<f64>,
    /// Exclusive lower bound (`exclusiveMinimum`).
    pub exclusive_min: Option<f64>,
    /// Exclusive upper bound (`exclusiveMaximum`).
    pub exclusive_max: Option<f64>,
    /// Longest accepted text, in characters.
    pub max_length: Option<u64>,
    /// Shortest accepted text, in characters.
    pub min_length: Option<u64>,
    /// Fewest list items.
    pub min_items: Option<u64>,
    /// Most list items.
    pub max_items: Option<u64>,
    /// `null` is an accepted value.
    pub nullable: bool,
    /// File limits of a media field (or of each item of a media list).
    pub media: Option<MediaLimits>,
    /// The fields of an `object`, or of each item of an `object_list`.
    pub item_fields: Vec<Field>,
    /// Rarely used: drawn under "More options" (see `classify::is_advanced` for the rule).
    pub advanced: bool,
    /// The property schema with local `$ref`s inlined (what a raw JSON editor checks against).
    pub schema: Value,
}

impl FormModel {
    /// Reads the form of the endpoint described by a fal queue OpenAPI document. Never panics:
    /// a document it cannot use is an error, a field it cannot draw becomes `json`.
    pub fn from_openapi(doc: &Value) -> Result<FormModel, SchemaError> {
        if !doc.is_object() {
            return Err(SchemaError::NotOpenApi("it is not a JSON object".into()));
        }
        if let Some(err) = doc.get("error") {
            let message = err
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("the service returned an error instead of a schema");
            return Err(SchemaError::NotOpenApi(message.to_string()));
        }
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| SchemaError::NotOpenApi("it has no `paths` object".into()))?;
        let declared_id = doc
            .pointer("/info/x-fal-metadata/endpointId")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let (endpoint_id, post) = find_submit_path(paths, declared_id)?;
        let resolver = Resolver::new(doc);
        let schema = post
            .pointer("/requestBody/content/application~1json/schema")
            .ok_or_else(|| SchemaError::BadInput {
                endpoint: endpoint_id.clone(),
                reason: "its POST path has no application/json request body schema".into(),
            })?;
        let input = resolver.flatten(schema);
        if input.broken || input.union {
            return Err(SchemaError::BadInput {
                endpoint: endpoint_id,
                reason: "the request body schema cannot be resolved to one object (a missing \
                         or circular $ref, or a union)"
                    .into(),
            });
        }
        let has_properties = input.get("properties").is_some_and(Value::is_object);
        let is_object_type = matches!(input.str("type"), None | Some("object"));
        if !is_object_type || (!has_properties && input.get("properties").is_some()) {
            return Err(SchemaError::BadInput {
                endpoint: endpoint_id,
                reason: "the request body schema is not an object with properties".into(),
            });
        }
        let fields = object_fields(&resolver, &input, 0);
        let title = document_title(doc, &endpoint_id);
        Ok(FormModel {
            endpoint_id,
            title,
            fields,
        })
    }

    /// Parses JSON text and reads it with [`FormModel::from_openapi`].
    pub fn from_openapi_str(text: &str) -> Result<FormModel, SchemaError> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| SchemaError::NotOpenApi(format!("it is not valid JSON ({e})")))?;
        FormModel::from_openapi(&doc)
    }

    /// The field called `name`, if the form has one.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The field names, comma-separated (for error messages).
    pub fn field_names(&self) -> String {
        self.fields
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Field {
    /// The enum choice written as `text` (a string choice exactly, others by their JSON form).
    pub fn choice_matching(&self, text: &str) -> Option<&Value> {
        self.choices.iter().find(|c| match c {
            Value::String(s) => s == text,
            other => *other.to_string() == *text,
        })
    }
}

/// Finds the submit path: `POST /{endpoint id}`, or the only POST that is not a request path.
fn find_submit_path<'a>(
    paths: &'a Map<String, Value>,
    declared_id: Option<&str>,
) -> Result<(String, &'a Value), SchemaError> {
    if let Some(id) = declared_id
        && let Some(post) = paths.get(&format!("/{id}")).and_then(|p| p.get("post"))
    {
        return Ok((id.to_string(), post));
    }
    let candidate = paths.iter().find_map(|(path, item)| {
        let post = item.get("post")?;
        (!path.contains("/requests/")).then_some((path, post))
    });
    match candidate {
        Some((path, post)) => {
            let id = declared_id
                .map(str::to_string)
                .unwrap_or_else(|| path.trim_start_matches('/').to_string());
            if id.is_empty() {
                return Err(SchemaError::NotOpenApi(
                    "its POST path is `/`, so the endpoint id is unknown".into(),
                ));
            }
            Ok((id, post))
        }
        None => Err(SchemaError::NotOpenApi(
            "it has no POST path to submit requests to".into(),
        )),
    }
}

/// The endpoint's human title: our own `info.title`, unless it is fal's generic one.
fn document_title(doc: &Value, endpoint_id: &str) -> String {
    match doc.pointer("/info/title").and_then(Value::as_str) {
        Some(t) if !t.trim().is_empty() && !t.starts_with(GENERIC_TITLE_PREFIX) => {
            t.trim().to_string()
        }
        _ => endpoint_id.to_string(),
    }
}

/// The fields of an object schema, in `x-fal-order-properties` order, then any the order omits.
fn object_fields(resolver: &Resolver<'_>, object: &Flat, nesting: usize) -> Vec<Field> {
    let Some(props) = object.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    let required: Vec<&str> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut names: Vec<&str> = Vec::with_capacity(props.len());
    if let Some(order) = object
        .get("x-fal-order-properties")
        .and_then(Value::as_array)
    {
        for name in order.iter().filter_map(Value::as_str) {
            if props.contains_key(name) && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    for name in props.keys() {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let prop = props.get(name)?;
            Some(build_field(
                resolver,
                name,
                prop,
                required.contains(&name),
                nesting,
            ))
        })
        .collect()
}

/// One field from its property schema.
fn build_field(
    resolver: &Resolver<'_>,
    name: &str,
    prop: &Value,
    required: bool,
    nesting: usize,
) -> Field {
    let flat = resolver.flatten(prop);
    let label = prop
        .get("title")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
        .map(|t| tidy_title(t.trim()))
        .unwrap_or_else(|| humanize(name));
    let description = flat.str("description").unwrap_or("").trim().to_string();
    let mut nullable = flat.nullable;
    let default = flat.get("default").filter(|d| !d.is_null()).cloned();

    let (min, exclusive_min) = bound(&flat, "minimum", "exclusiveMinimum");
    let (max, exclusive_max) = bound(&flat, "maximum", "exclusiveMaximum");

    let mut choices = Vec::new();
    let mut media = None;
    let mut item_fields = Vec::new();
    let kind = if flat.broken || flat.union {
        FieldKind::Json
    } else if let Some(values) = enum_choices(&flat, &mut nullable) {
        choices = values;
        FieldKind::Enum
    } else {
        match flat.str("type") {
            Some("string") => {
                if is_prompt_name(name) {
                    FieldKind::Prompt
                } else if let Some(kind) = media_kind(name, &flat) {
                    media = flat.get("x-fal").map(MediaLimits::from_x_fal);
                    kind
                } else {
                    FieldKind::Text
                }
            }
            Some("integer") => FieldKind::Integer,
            Some("number") => FieldKind::Number,
            Some("boolean") => FieldKind::Bool,
            Some("array") => {
                array_kind(resolver, name, &flat, nesting, &mut media, &mut item_fields)
            }
            Some("object") => object_kind(resolver, &flat, nesting, &mut item_fields),
            None if flat.get("properties").is_some() => {
                object_kind(resolver, &flat, nesting, &mut item_fields)
            }
            None if flat.get("items").is_some() => {
                array_kind(resolver, name, &flat, nesting, &mut media, &mut item_fields)
            }
            _ => FieldKind::Json,
        }
    };
    let media = media.filter(|m: &MediaLimits| !m.is_empty());
    Field {
        name: name.to_string(),
        label,
        description,
        required,
        default,
        kind,
        choices,
        min,
        max,
        exclusive_min,
        exclusive_max,
        max_length: flat.count("maxLength"),
        min_length: flat.count("minLength"),
        min_items: flat.count("minItems"),
        max_items: flat.count("maxItems"),
        nullable,
        media,
        item_fields,
        advanced: is_advanced(name, kind, required),
        schema: resolver.inline_refs(prop),
    }
}

/// Reads an inclusive bound and its exclusive twin, in both the OpenAPI 3.0 form
/// (`exclusiveMinimum: true` beside `minimum`) and the 3.1 form (`exclusiveMinimum: 0`).
fn bound(flat: &Flat, inclusive: &str, exclusive: &str) -> (Option<f64>, Option<f64>) {
    let value = flat.num(inclusive);
    match flat.get(exclusive) {
        Some(Value::Bool(true)) => (None, value),
        Some(Value::Number(_)) => (value, flat.num(exclusive)),
        _ => (value, None),
    }
}

/// The enum's non-null scalar choices (a `null` choice makes the field nullable instead).
fn enum_choices(flat: &Flat, nullable: &mut bool) -> Option<Vec<Value>> {
    let values: Vec<Value> = match (flat.get("enum"), flat.get("const")) {
        (Some(Value::Array(values)), _) => values.clone(),
        (None, Some(c)) => vec![c.clone()],
        _ => return None,
    };
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        match v {
            Value::Null => *nullable = true,
            Value::String(_) | Value::Number(_) | Value::Bool(_) => out.push(v),
            // An enum of objects or arrays has no sensible picker.
            _ => return None,
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The kind of an array field: a media list, a list of objects, or raw JSON.
fn array_kind(
    resolver: &Resolver<'_>,
    name: &str,
    flat: &Flat,
    nesting: usize,
    media: &mut Option<MediaLimits>,
    item_fields: &mut Vec<Field>,
) -> FieldKind {
    let Some(items) = flat.get("items") else {
        return FieldKind::Json;
    };
    let items = resolver.flatten(items);
    if items.broken || items.union || items.get("enum").is_some() {
        return FieldKind::Json;
    }
    match items.str("type") {
        Some("string") => match media_kind(name, &items) {
            Some(FieldKind::Image) => {
                *media = items.get("x-fal").map(MediaLimits::from_x_fal);
                FieldKind::ImageList
            }
            Some(FieldKind::Video) => {
                *media = items.get("x-fal").map(MediaLimits::from_x_fal);
                FieldKind::VideoList
            }
            // No list control for audio, other files or plain strings: edit as JSON.
            _ => FieldKind::Json,
        },
        Some("object") | None if items.get("properties").is_some() => {
            if nesting + 1 >= MAX_NESTING || !resolver.take_fields(property_count(&items)) {
                return FieldKind::Json;
            }
            *item_fields = object_fields(resolver, &items, nesting + 1);
            if item_fields.is_empty() {
                FieldKind::Json
            } else {
                FieldKind::ObjectList
            }
        }
        _ => FieldKind::Json,
    }
}

/// The kind of an object field: nested fields, or raw JSON for free-form maps and deep nesting.
fn object_kind(
    resolver: &Resolver<'_>,
    flat: &Flat,
    nesting: usize,
    item_fields: &mut Vec<Field>,
) -> FieldKind {
    let has_props = flat
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    if !has_props || nesting + 1 >= MAX_NESTING || !resolver.take_fields(property_count(flat)) {
        return FieldKind::Json;
    }
    *item_fields = object_fields(resolver, flat, nesting + 1);
    FieldKind::Object
}

/// How many properties an object schema declares.
fn property_count(flat: &Flat) -> usize {
    flat.get("properties")
        .and_then(Value::as_object)
        .map_or(0, |p| p.len())
}

/// `reference_image_urls` → "Reference image urls".
/// Fixes the capitalisation fal's generated titles give acronyms ("Image Urls" → "Image URLs").
fn tidy_title(title: &str) -> String {
    title
        .split(' ')
        .map(|word| match word {
            "Url" => "URL",
            "Urls" => "URLs",
            "Id" => "ID",
            "Fps" => "FPS",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn humanize(name: &str) -> String {
    let words = name.replace(['_', '-'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => name.to_string(),
    }
}
