use super::*;
use crate::library::sidecar::{SIDECAR_FORMAT, SidecarTimings};

struct Lib {
    dir: tempfile::TempDir,
    video: PathBuf,
    sidecar: PathBuf,
}

impl Lib {
    /// A library folder with one video and its sidecar, and an empty `exports` folder.
    fn new() -> Lib {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("library");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::create_dir_all(dir.path().join("exports")).unwrap();
        let video = lib.join("2026-03-04_050607_veo3-1_fox.mp4");
        let bytes: Vec<u8> = (0..3 * CHUNK as u32 + 17)
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(&video, &bytes).unwrap();
        let sidecar = sidecar_path(&video);
        Sidecar {
            format: SIDECAR_FORMAT.into(),
            job_id: "job-1".into(),
            endpoint_id: "fal-ai/veo3.1".into(),
            request_id: Some("req-1".into()),
            prompt: "a fox".into(),
            input: serde_json::json!({"prompt": "a fox"}),
            references: vec![],
            seed: Some(7),
            file: "2026-03-04_050607_veo3-1_fox.mp4".into(),
            file_size: bytes.len() as u64,
            blake3: blake3::hash(&bytes).to_hex().to_string(),
            video_url: None,
            result: None,
            cost: Default::default(),
            timings: SidecarTimings::default(),
            simulated: true,
        }
        .write(&sidecar)
        .unwrap();
        Lib {
            dir,
            video,
            sidecar,
        }
    }

    fn export_path(&self, name: &str) -> PathBuf {
        self.dir.path().join("exports").join(name)
    }

    fn save(&self, dest: &Path, options: ExportOptions) -> Result<Exported, ExportError> {
        export_copy(&self.video, &self.sidecar, dest, options, &mut |_, _| {})
    }

    fn video_bytes(&self) -> Vec<u8> {
        std::fs::read(&self.video).unwrap()
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn copies_the_video_and_a_sidecar_naming_the_copy() {
    let lib = Lib::new();
    let dest = lib.export_path("keeper.mp4");
    let mut seen = Vec::new();
    let out = export_copy(
        &lib.video,
        &lib.sidecar,
        &dest,
        ExportOptions::default(),
        &mut |done, total| seen.push((done, total)),
    )
    .unwrap();
    assert_eq!(out.video, dest);
    assert_eq!(
        out.sidecar.as_deref(),
        Some(lib.export_path("keeper.json").as_path())
    );
    assert_eq!(std::fs::read(&dest).unwrap(), lib.video_bytes());
    let copy = Sidecar::read(&lib.export_path("keeper.json")).unwrap();
    assert_eq!(copy.file, "keeper.mp4");
    assert_eq!(
        copy.video_path(&lib.export_path("keeper.json")),
        Some(dest.clone())
    );
    assert_eq!(copy.job_id, "job-1");
    let total = lib.video_bytes().len() as u64;
    assert_eq!(
        seen.last(),
        Some(&(total, total)),
        "progress reaches the end"
    );
    assert!(seen.len() >= 4, "progress is reported as it goes: {seen:?}");
    assert_eq!(
        names(&lib.dir.path().join("exports")),
        ["keeper.json", "keeper.mp4"]
    );
}

#[test]
fn the_library_file_itself_is_refused_by_identity() {
    let lib = Lib::new();
    let before = lib.video_bytes();
    // The same path, and the same folder reached through `..`.
    let dotted = lib
        .dir
        .path()
        .join("exports/../library")
        .join(lib.video.file_name().unwrap());
    for dest in [lib.video.clone(), dotted] {
        let err = lib.save(
            &dest,
            ExportOptions {
                replace_video: true,
                replace_sidecar: true,
            },
        );
        assert!(
            matches!(err, Err(ExportError::SameFile { .. })),
            "{dest:?}: {err:?}"
        );
    }
    // A hard link to the library file.
    let hard = lib.export_path("hard.mp4");
    std::fs::hard_link(&lib.video, &hard).unwrap();
    let err = lib
        .save(
            &hard,
            ExportOptions {
                replace_video: true,
                replace_sidecar: true,
            },
        )
        .unwrap_err();
    assert!(matches!(err, ExportError::SameFile { .. }), "{err:?}");
    assert!(err.to_string().contains("library's own file"), "{err}");
    // The library sidecar chosen as the copy's name.
    let err = lib.save(
        &lib.sidecar,
        ExportOptions {
            replace_video: true,
            replace_sidecar: true,
        },
    );
    assert!(matches!(err, Err(ExportError::SameFile { .. })), "{err:?}");
    assert_eq!(lib.video_bytes(), before, "the library file is untouched");
    assert!(Sidecar::read(&lib.sidecar).is_ok());
}

#[cfg(unix)]
#[test]
fn a_symlink_to_the_library_file_is_refused() {
    let lib = Lib::new();
    let before = lib.video_bytes();
    let link = lib.export_path("link.mp4");
    std::os::unix::fs::symlink(&lib.video, &link).unwrap();
    let err = lib
        .save(
            &link,
            ExportOptions {
                replace_video: true,
                replace_sidecar: true,
            },
        )
        .unwrap_err();
    assert!(matches!(err, ExportError::SameFile { .. }), "{err:?}");
    // A folder link: the library folder under another name.
    let folder = lib.dir.path().join("elsewhere");
    std::os::unix::fs::symlink(lib.video.parent().unwrap(), &folder).unwrap();
    let err = lib
        .save(
            &folder.join(lib.video.file_name().unwrap()),
            ExportOptions {
                replace_video: true,
                replace_sidecar: true,
            },
        )
        .unwrap_err();
    assert!(matches!(err, ExportError::SameFile { .. }), "{err:?}");
    assert_eq!(lib.video_bytes(), before);
}

#[cfg(any(windows, target_os = "macos"))]
#[test]
fn another_letter_case_of_the_library_file_is_refused() {
    // Windows and macOS folders are case-insensitive by default.
    let lib = Lib::new();
    let upper = lib.video.with_file_name(
        lib.video
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_uppercase(),
    );
    let err = lib.save(
        &upper,
        ExportOptions {
            replace_video: true,
            replace_sidecar: true,
        },
    );
    assert!(matches!(err, Err(ExportError::SameFile { .. })), "{err:?}");
}

#[test]
fn an_unrelated_json_beside_the_copy_is_never_replaced_unasked() {
    let lib = Lib::new();
    let dest = lib.export_path("keeper.mp4");
    let notes = lib.export_path("keeper.json");
    std::fs::write(&notes, b"{\"my\": \"notes\"}").unwrap();
    let err = lib
        .save(
            &dest,
            ExportOptions {
                replace_video: true,
                replace_sidecar: false,
            },
        )
        .unwrap_err();
    match &err {
        ExportError::SidecarExists { sidecar, .. } => assert_eq!(sidecar, &notes),
        other => panic!("expected SidecarExists, got {other:?}"),
    }
    assert!(err.to_string().contains("keeper.json"), "{err}");
    assert_eq!(std::fs::read(&notes).unwrap(), b"{\"my\": \"notes\"}");
    assert!(!dest.exists(), "nothing was copied before asking");
    // When the user says replace, it is replaced.
    lib.save(
        &dest,
        ExportOptions {
            replace_video: true,
            replace_sidecar: true,
        },
    )
    .unwrap();
    assert_eq!(Sidecar::read(&notes).unwrap().file, "keeper.mp4");
}

#[test]
fn an_earlier_copy_of_the_same_video_is_replaced_without_asking() {
    let lib = Lib::new();
    let dest = lib.export_path("keeper.mp4");
    lib.save(
        &dest,
        ExportOptions {
            replace_video: true,
            replace_sidecar: false,
        },
    )
    .unwrap();
    let out = lib
        .save(
            &dest,
            ExportOptions {
                replace_video: true,
                replace_sidecar: false,
            },
        )
        .unwrap();
    assert_eq!(out.sidecar, Some(lib.export_path("keeper.json")));
    assert_eq!(std::fs::read(&dest).unwrap(), lib.video_bytes());
}

#[test]
fn an_existing_file_or_folder_is_kept_unless_replacing_is_allowed() {
    let lib = Lib::new();
    let dest = lib.export_path("keeper.mp4");
    std::fs::write(&dest, b"another video").unwrap();
    let err = lib.save(&dest, ExportOptions::default()).unwrap_err();
    assert!(matches!(err, ExportError::VideoExists(_)), "{err:?}");
    assert_eq!(std::fs::read(&dest).unwrap(), b"another video");
    let folder = lib.export_path("folder.mp4");
    std::fs::create_dir(&folder).unwrap();
    let err = lib
        .save(
            &folder,
            ExportOptions {
                replace_video: true,
                replace_sidecar: true,
            },
        )
        .unwrap_err();
    assert!(matches!(err, ExportError::IsFolder(_)), "{err:?}");
}

#[test]
fn a_failed_copy_leaves_nothing_under_the_final_name() {
    let lib = Lib::new();
    // A folder as the "video": it opens on Unix, and reading it fails.
    let unreadable = lib.dir.path().join("library");
    let dest = lib.export_path("keeper.mp4");
    let r = export_copy(
        &unreadable,
        &lib.sidecar,
        &dest,
        ExportOptions::default(),
        &mut |_, _| {},
    );
    assert!(matches!(r, Err(ExportError::Io { .. })), "{r:?}");
    assert!(
        names(&lib.dir.path().join("exports")).is_empty(),
        "no temporary or partial file"
    );
}

#[test]
fn a_video_without_a_sidecar_is_copied_alone() {
    let lib = Lib::new();
    std::fs::remove_file(&lib.sidecar).unwrap();
    let out = lib
        .save(&lib.export_path("keeper.mp4"), ExportOptions::default())
        .unwrap();
    assert_eq!(out.sidecar, None);
    assert_eq!(names(&lib.dir.path().join("exports")), ["keeper.mp4"]);
}
