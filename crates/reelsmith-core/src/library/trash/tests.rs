use super::*;
use crate::library::indexer::tests::add_video;
use crate::library::sidecar::Sidecar;

fn entry_of(dir: &Path, name: &str) -> IndexEntry {
    let sidecar = dir.join(format!("{name}.json"));
    IndexEntry::from_sidecar(&Sidecar::read(&sidecar).unwrap(), &sidecar).unwrap()
}

fn own_trash(dir: &Path) -> Trash {
    Trash::new(
        dir,
        TrashOptions {
            undo_for: Duration::from_secs(60),
            os_trash: false,
        },
    )
}

#[test]
fn delete_moves_the_pair_out_and_undo_puts_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path();
    add_video(lib, "a", "one");
    add_video(lib, "b", "two");
    let journal = Journal::open_in(&lib.join("data")).unwrap();
    let entries = vec![entry_of(lib, "a"), entry_of(lib, "b")];
    for e in &entries {
        journal.index_item(&e.item).unwrap();
    }
    let mut trash = own_trash(lib);
    let deleted = trash.delete(entries, Some(&journal));
    assert_eq!(deleted.moved, ["job-a", "job-b"]);
    assert!(deleted.failed.is_empty());
    for f in ["a.mp4", "a.json", "b.mp4", "b.json"] {
        assert!(!lib.join(f).exists(), "{f} still in the library");
    }
    assert!(journal.library_items().unwrap().is_empty());
    // The files wait in the trash folder, whole.
    let staged: Vec<_> = walk(trash.folder());
    assert_eq!(staged.len(), 4);

    let Restored {
        entries: restored,
        failed,
    } = trash.undo(deleted.batch, Some(&journal)).unwrap();
    assert!(failed.is_empty());
    assert_eq!(restored.len(), 2);
    assert_eq!(std::fs::read(lib.join("a.mp4")).unwrap(), b"video");
    assert!(Sidecar::read(&lib.join("b.json")).is_ok());
    assert_eq!(journal.library_items().unwrap().len(), 2);
    assert!(walk(trash.folder()).is_empty());
    assert!(matches!(
        trash.undo(deleted.batch, None),
        Err(TrashError::Expired)
    ));
}

#[test]
fn undo_never_overwrites_a_file_that_took_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path();
    add_video(lib, "a", "one");
    let mut trash = own_trash(lib);
    let deleted = trash.delete(vec![entry_of(lib, "a")], None);
    std::fs::write(lib.join("a.mp4"), b"someone else's").unwrap();
    let Restored {
        entries: restored,
        failed,
    } = trash.undo(deleted.batch, None).unwrap();
    assert!(restored.is_empty());
    assert!(matches!(failed[0].1, TrashError::Occupied(_)));
    assert_eq!(std::fs::read(lib.join("a.mp4")).unwrap(), b"someone else's");
    // Still undoable once the way is clear.
    std::fs::remove_file(lib.join("a.mp4")).unwrap();
    let restored = trash.undo(deleted.batch, None).unwrap().entries;
    assert_eq!(restored.len(), 1);
    assert_eq!(std::fs::read(lib.join("a.mp4")).unwrap(), b"video");
}

#[test]
fn clear_keeps_favourites_and_expiry_keeps_files_in_our_trash() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path();
    let mut index = LibraryIndex::new();
    for n in ["a", "b", "c"] {
        add_video(lib, n, n);
        index.upsert(entry_of(lib, n));
    }
    index.set_marks(
        "job-b",
        crate::store::Marks {
            favourite: true,
            rejected: false,
        },
    );
    let mut trash = Trash::new(
        lib,
        TrashOptions {
            undo_for: Duration::ZERO,
            os_trash: false,
        },
    );
    let deleted = trash.clear_keep_favourites(&index, None);
    let mut moved = deleted.moved.clone();
    moved.sort();
    assert_eq!(moved, ["job-a", "job-c"]);
    assert!(lib.join("b.mp4").exists());
    assert!(!lib.join("a.mp4").exists());
    trash.expire(false);
    assert!(trash.undoable().is_empty());
    assert!(matches!(
        trash.undo(deleted.batch, None),
        Err(TrashError::Expired)
    ));
    // No OS trash: the files are kept in ours, never deleted.
    assert_eq!(walk(trash.folder()).len(), 4);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
