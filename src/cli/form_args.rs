//! The form of `reelsmith generate` from its arguments: `--input-json` first, then the prompt,
//! media (`--image`, `--video`, `--element`) and `--set` on top; local paths made absolute.

use std::path::PathBuf;

use crate::cli::engine_setup::{CliExit, exit};
use crate::cli::generate::GenerateArgs;
use reelsmith_core::schema::{Field, FieldKind, FieldValue, FormModel, FormState, MediaRef};

pub(super) fn invalid(message: impl Into<String>) -> CliExit {
    CliExit::new(exit::INVALID, message)
}

/// A command-line media argument: `@PATH` or a plain path is a local file, an http(s) or
/// data URL is sent as it is.
fn media_ref(text: &str) -> MediaRef {
    let text = text.trim();
    if let Some(path) = text.strip_prefix('@') {
        return MediaRef::Local(PathBuf::from(path));
    }
    if text.starts_with("http://") || text.starts_with("https://") || text.starts_with("data:") {
        MediaRef::Url(text.to_string())
    } else {
        MediaRef::Local(PathBuf::from(text))
    }
}

/// Puts media into the endpoint's single fields of `single` kind (in order), then into its
/// list field of `list` kind.
fn place_media(
    model: &FormModel,
    form: &mut FormState,
    items: Vec<MediaRef>,
    single: FieldKind,
    list: FieldKind,
    option: &str,
) -> Result<(), CliExit> {
    if items.is_empty() {
        return Ok(());
    }
    let singles: Vec<&Field> = model.fields.iter().filter(|f| f.kind == single).collect();
    let list_field = model.fields.iter().find(|f| f.kind == list);
    let mut rest = items.into_iter();
    for field in &singles {
        match rest.next() {
            Some(m) => {
                form.values.insert(field.name.clone(), FieldValue::Media(m));
            }
            None => return Ok(()),
        }
    }
    let extra: Vec<MediaRef> = rest.collect();
    if extra.is_empty() {
        return Ok(());
    }
    let Some(list_field) = list_field else {
        let what = if singles.is_empty() {
            format!("{} has no {} input", model.endpoint_id, single.as_str())
        } else {
            format!(
                "{} takes {} {} input(s) ({}); {} more were given",
                model.endpoint_id,
                singles.len(),
                single.as_str(),
                singles
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                extra.len()
            )
        };
        return Err(invalid(format!("{option}: {what}")));
    };
    match form.values.get_mut(&list_field.name) {
        Some(FieldValue::MediaList(existing)) => existing.extend(extra),
        _ => {
            form.values
                .insert(list_field.name.clone(), FieldValue::MediaList(extra));
        }
    }
    Ok(())
}

/// Adds one element (frontal image, then references) to the endpoint's element list.
fn add_element(model: &FormModel, form: &mut FormState, spec: &str) -> Result<(), CliExit> {
    let list = model
        .fields
        .iter()
        .filter(|f| f.kind == FieldKind::ObjectList)
        .find(|f| f.item_fields.iter().any(|i| i.kind == FieldKind::Image))
        .ok_or_else(|| {
            invalid(format!(
                "--element: {} has no element list (elements are a Kling O1 input)",
                model.endpoint_id
            ))
        })?;
    let front_field = list
        .item_fields
        .iter()
        .find(|i| i.kind == FieldKind::Image)
        .ok_or_else(|| invalid("--element: the element has no image field"))?;
    let refs_field = list
        .item_fields
        .iter()
        .find(|i| i.kind == FieldKind::ImageList);
    let mut parts = spec.split(',').map(str::trim).filter(|p| !p.is_empty());
    let front = parts.next().ok_or_else(|| {
        invalid("--element: give the frontal image first, e.g. --element front.png,side.png")
    })?;
    let mut item = FormState::default();
    item.values.insert(
        front_field.name.clone(),
        FieldValue::Media(media_ref(front)),
    );
    let refs: Vec<MediaRef> = parts.map(media_ref).collect();
    if !refs.is_empty() {
        let refs_field = refs_field.ok_or_else(|| {
            invalid("--element: this endpoint's elements take no reference images")
        })?;
        item.values
            .insert(refs_field.name.clone(), FieldValue::MediaList(refs));
    }
    match form.values.get_mut(&list.name) {
        Some(FieldValue::ObjectList(items)) => items.push(item),
        _ => {
            form.values
                .insert(list.name.clone(), FieldValue::ObjectList(vec![item]));
        }
    }
    Ok(())
}

/// Makes every local path absolute, so the journal still finds the files from another folder.
pub fn absolutize(form: &mut FormState) {
    let fix = |m: &mut MediaRef| {
        if let MediaRef::Local(p) = m
            && let Ok(abs) = std::path::absolute(&*p)
        {
            *p = abs;
        }
    };
    for value in form.values.values_mut() {
        match value {
            FieldValue::Media(m) => fix(m),
            FieldValue::MediaList(list) => list.iter_mut().for_each(fix),
            FieldValue::Object(inner) => absolutize(inner),
            FieldValue::ObjectList(items) => items.iter_mut().for_each(absolutize),
            _ => {}
        }
    }
}

/// Builds the form from the arguments (input JSON first, options on top).
pub fn build_form(model: &FormModel, args: &GenerateArgs) -> Result<FormState, CliExit> {
    let mut form = match &args.input_json {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                invalid(format!(
                    "--input-json: the file {} cannot be read ({e})",
                    path.display()
                ))
            })?;
            let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                invalid(format!(
                    "--input-json: {} is not valid JSON ({e})",
                    path.display()
                ))
            })?;
            FormState::from_input_json(model, &value)
                .map_err(|e| invalid(format!("--input-json: {e}")))?
        }
        None => FormState::from_defaults(model),
    };
    if let Some(name) = &args.preset {
        let store = reelsmith_core::schema::presets::PresetStore::new(
            reelsmith_core::schema::presets::presets_dir(),
        );
        let preset = store
            .load(&model.endpoint_id, name)
            .map_err(|e| invalid(format!("--preset: {e}")))?;
        preset.apply(model, &mut form);
    }
    if let Some(prompt) = &args.prompt {
        form.set_from_str(model, "prompt", prompt)
            .map_err(|e| invalid(format!("-p: {e}")))?;
    }
    let images: Vec<MediaRef> = args
        .image
        .iter()
        .chain(args.images.iter())
        .map(|s| media_ref(s))
        .collect();
    place_media(
        model,
        &mut form,
        images,
        FieldKind::Image,
        FieldKind::ImageList,
        "--image",
    )?;
    let videos: Vec<MediaRef> = args.video.iter().map(|s| media_ref(s)).collect();
    place_media(
        model,
        &mut form,
        videos,
        FieldKind::Video,
        FieldKind::VideoList,
        "--video",
    )?;
    for spec in &args.element {
        add_element(model, &mut form, spec)?;
    }
    for assignment in &args.set {
        let (name, value) = assignment.split_once('=').ok_or_else(|| {
            invalid(format!(
                "--set {assignment}: write it as NAME=VALUE, e.g. --set duration=8s"
            ))
        })?;
        form.set_from_str(model, name.trim(), value)
            .map_err(|e| invalid(format!("--set {}: {e}", name.trim())))?;
    }
    absolutize(&mut form);
    Ok(form)
}
