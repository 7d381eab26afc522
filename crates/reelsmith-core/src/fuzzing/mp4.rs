//! Finding and editing the boxes of an MP4 in memory: for crafted files and for structure-aware
//! mutations (sizes, types, nesting, table counts) in the mutation tests and fuzz seeds.

/// One box of a file: where it is, and its parent's index in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxAt {
    /// Its type.
    pub kind: [u8; 4],
    /// Offset of its size field.
    pub start: usize,
    /// 8, or 16 with a 64-bit size.
    pub header_len: usize,
    /// Offset just past it.
    pub end: usize,
    /// Index of the box it is in.
    pub parent: Option<usize>,
}

impl BoxAt {
    /// Where its content starts.
    pub fn payload(&self) -> usize {
        self.start + self.header_len
    }
}

/// Bytes of fields before a container's child boxes; `None` for boxes without children.
pub fn children_offset(kind: &[u8; 4]) -> Option<usize> {
    Some(match kind {
        b"moov" | b"trak" | b"mdia" | b"minf" | b"dinf" | b"stbl" | b"edts" | b"udta" | b"mvex"
        | b"moof" | b"traf" | b"ilst" => 0,
        b"meta" => 4,
        b"stsd" | b"dref" => 8,
        b"avc1" | b"avc3" | b"hev1" | b"hvc1" | b"encv" => 78,
        b"mp4a" => 28,
        _ => return None,
    })
}

/// Every box it can find, parents before children, in file order within a parent.
pub fn boxes(file: &[u8]) -> Vec<BoxAt> {
    let mut out = Vec::new();
    scan(file, 0, file.len(), None, &mut out, 0);
    out
}

fn scan(
    file: &[u8],
    from: usize,
    to: usize,
    parent: Option<usize>,
    out: &mut Vec<BoxAt>,
    depth: usize,
) {
    let mut at = from;
    while at + 8 <= to && out.len() < 10_000 && depth < 16 {
        let size =
            u32::from_be_bytes([file[at], file[at + 1], file[at + 2], file[at + 3]]) as usize;
        let kind = [file[at + 4], file[at + 5], file[at + 6], file[at + 7]];
        let (size, header_len) = match size {
            0 => (to - at, 8),
            1 if at + 16 <= to => {
                let mut l = [0u8; 8];
                l.copy_from_slice(&file[at + 8..at + 16]);
                (u64::from_be_bytes(l).min(usize::MAX as u64) as usize, 16)
            }
            1..=7 => return,
            s => (s, 8),
        };
        if size < header_len || at.saturating_add(size) > to {
            return;
        }
        let me = out.len();
        out.push(BoxAt {
            kind,
            start: at,
            header_len,
            end: at + size,
            parent,
        });
        if let Some(skip) = children_offset(&kind) {
            scan(
                file,
                at + header_len + skip,
                at + size,
                Some(me),
                out,
                depth + 1,
            );
        }
        at += size;
    }
}

/// The first box of type `kind` whose ancestors are of the types in `path`, outermost first.
pub fn find(file: &[u8], path: &[&[u8; 4]]) -> Option<BoxAt> {
    let all = boxes(file);
    all.iter().copied().find(|b| {
        let mut chain = vec![b.kind];
        let mut p = b.parent;
        while let Some(i) = p {
            chain.push(all[i].kind);
            p = all[i].parent;
        }
        chain.reverse();
        chain.len() == path.len() && chain.iter().zip(path).all(|(a, b)| a == *b)
    })
}

/// Writes a big-endian u32 at `at`.
pub fn put_u32(file: &mut [u8], at: usize, v: u32) {
    file[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// Reads a big-endian u32 at `at`.
pub fn get_u32(file: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([file[at], file[at + 1], file[at + 2], file[at + 3]])
}

/// Inserts `bytes` at `at` inside box `inside` (an index into `boxes(file)`), growing it and
/// every box around it (32-bit or 64-bit sizes).
pub fn insert_into(file: &mut Vec<u8>, inside: usize, at: usize, bytes: &[u8]) {
    let all = boxes(file);
    file.splice(at..at, bytes.iter().copied());
    resize_chain(file, &all, Some(inside), bytes.len() as i64);
}

/// Removes box `index` (of `boxes(file)`), shrinking the boxes around it.
pub fn remove_box(file: &mut Vec<u8>, index: usize) {
    let all = boxes(file);
    let b = all[index];
    file.drain(b.start..b.end);
    resize_chain(file, &all, b.parent, -((b.end - b.start) as i64));
}

fn resize_chain(file: &mut [u8], all: &[BoxAt], mut at: Option<usize>, delta: i64) {
    while let Some(i) = at {
        let b = all[i];
        if b.header_len == 16 {
            let mut l = [0u8; 8];
            l.copy_from_slice(&file[b.start + 8..b.start + 16]);
            let v = (u64::from_be_bytes(l) as i64 + delta) as u64;
            file[b.start + 8..b.start + 16].copy_from_slice(&v.to_be_bytes());
        } else if get_u32(file, b.start) != 0 {
            let v = (i64::from(get_u32(file, b.start)) + delta) as u32;
            put_u32(file, b.start, v);
        }
        at = b.parent;
    }
}
