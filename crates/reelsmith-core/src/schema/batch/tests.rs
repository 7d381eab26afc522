use super::*;
use crate::jobs::{BundledModels, ModelSource};

const I2V: &str = "fal-ai/veo3.1/image-to-video";

fn model() -> FormModel {
    BundledModels.model(I2V).unwrap()
}

fn base(model: &FormModel) -> FormState {
    let mut form = FormState::from_defaults(model);
    form.set_from_str(model, "prompt", "the same prompt")
        .unwrap();
    form
}

#[test]
fn one_job_per_photo_of_a_folder_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["b.PNG", "a.jpg", "c.webp", "notes.txt"] {
        std::fs::write(dir.path().join(name), b"x").unwrap();
    }
    std::fs::create_dir(dir.path().join("sub.png")).unwrap();
    let photos = photos_in(dir.path()).unwrap();
    let names: Vec<_> = photos
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["a.jpg", "b.PNG", "c.webp"]);
    let model = model();
    let field = photo_field(&model, None).unwrap();
    assert_eq!(field, "image_url");
    let forms = per_photo(&base(&model), &field, &photos);
    assert_eq!(forms.len(), 3);
    for (form, photo) in forms.iter().zip(&photos) {
        assert_eq!(form.media("image_url"), [&MediaRef::Local(photo.clone())]);
        assert_eq!(form.text("prompt"), Some("the same prompt"));
    }
    let summary = summarize(&model, &forms);
    assert_eq!((summary.jobs, summary.unpriced), (3, 0));
    // 8 s of Veo 3.1 with audio at $0.40/s, three times.
    assert!((summary.usd - 9.60).abs() < 1e-9, "{summary:?}");
    assert!(
        summary
            .to_string()
            .starts_with("3 job(s), about $9.60 in all")
    );
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        photos_in(empty.path()),
        Err(BatchError::NoPhotos(_))
    ));
    assert!(matches!(
        photo_field(&model, Some("nope")),
        Err(BatchError::NoImageField { .. })
    ));
}

#[test]
fn one_job_per_prompt_line() {
    let model = model();
    let forms = per_prompt(
        &model,
        &base(&model),
        "a fox\n\n  an owl  \r\na cat\n",
        "p.txt",
    )
    .unwrap();
    let prompts: Vec<_> = forms.iter().map(|f| f.text("prompt").unwrap()).collect();
    assert_eq!(prompts, ["a fox", "an owl", "a cat"]);
    assert!(matches!(
        per_prompt(&model, &base(&model), "\n \n", "p.txt"),
        Err(BatchError::Empty(_))
    ));
}

#[test]
fn csv_rows_fill_the_named_fields_and_errors_name_row_and_column() {
    let model = model();
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let cat = elsewhere.path().join("cat.png");
    for photo in [
        dir.path().join("fox.png"),
        dir.path().join("owl.png"),
        cat.clone(),
    ] {
        std::fs::write(photo, b"x").unwrap();
    }
    let csv = format!(
        "prompt,image_url,duration\n\
         a fox,fox.png,8s\n\
         an owl,https://example.invalid/owl.png,\n\
         \"a cat, sleeping\",{},4s\n",
        cat.display()
    );
    let csv = csv.as_str();
    let forms = per_csv_row(&model, &base(&model), csv, dir.path(), "jobs.csv").unwrap();
    assert_eq!(forms.len(), 3);
    assert_eq!(
        forms[0].media("image_url"),
        [&MediaRef::Local(dir.path().join("fox.png"))]
    );
    assert_eq!(
        forms[1].media("image_url"),
        [&MediaRef::Url("https://example.invalid/owl.png".into())]
    );
    assert_eq!(forms[2].text("prompt"), Some("a cat, sleeping"));
    assert_eq!(forms[2].media("image_url"), [&MediaRef::Local(cat.clone())]);
    assert_eq!(forms[2].text("duration"), Some("4s"));
    // An empty cell keeps the form's value.
    assert_eq!(forms[1].text("duration"), base(&model).text("duration"));

    let bad_value = "prompt,image_url,duration\na fox,fox.png,8s\nan owl,owl.png,99s\n";
    let err = per_csv_row(&model, &base(&model), bad_value, dir.path(), "j.csv").unwrap_err();
    match &err {
        BatchError::Cell { row, column, .. } => {
            assert_eq!((*row, column.as_str()), (3, "duration"))
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().starts_with("row 3, column duration: "),
        "{err}"
    );

    let unknown = "prompt,colour\na fox,red\n";
    let err = per_csv_row(&model, &base(&model), unknown, dir.path(), "j.csv").unwrap_err();
    assert!(matches!(&err, BatchError::UnknownColumn { column, .. } if column == "colour"));

    // A missing required image is the row's error, named by its column.
    let mut no_image = FormState::from_defaults(&model);
    no_image.values.remove("image_url");
    let err = per_csv_row(&model, &no_image, "prompt\na fox\n", dir.path(), "j.csv").unwrap_err();
    assert!(
        matches!(&err, BatchError::Cell { row: 2, column, .. } if column == "image_url"),
        "{err}"
    );

    let ragged = "prompt,duration\na fox\n";
    assert!(matches!(
        per_csv_row(&model, &base(&model), ragged, dir.path(), "j.csv"),
        Err(BatchError::Csv { line: 2, .. })
    ));
    assert!(matches!(
        per_csv_row(&model, &base(&model), "prompt\n", dir.path(), "j.csv"),
        Err(BatchError::Empty(_))
    ));
}
