//! MP4 (ISO base media) boxes: reading a box header and a box's children, checked.
//!
//! Every box must fit inside its parent, declare at least its own header, and (below the top
//! level) never have size 0; a 64-bit size must be at least 16. The `mp4` crate checks only
//! part of this (a nested box of size 0 makes it loop forever), so the walk in `layout` uses
//! these readers before the crate sees the file.

use std::io::{Read, Seek, SeekFrom};

use crate::media::deadline::Deadline;

/// Most boxes one file may have (real clips have a few dozen; fragmented ones a few thousand).
pub const MAX_BOXES: usize = 100_000;

/// What is wrong with a file's structure (the demuxer turns it into a `MediaError`).
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// The file ends inside a box.
    Truncated,
    /// The structure is damaged or hostile; says where and how.
    Damaged(String),
    /// A real video, in a form reelsmith does not read (e.g. another codec).
    Unsupported(String),
    /// An MP4 without anything reelsmith could show (no video track).
    NoVideo(String),
    /// The walk ran out of time.
    TimedOut,
    /// The file could not be read.
    Io(String),
}

impl Fault {
    fn damaged(reason: impl Into<String>) -> Fault {
        Fault::Damaged(reason.into())
    }
}

/// Anything a box walk can read from.
pub trait Source: Read + Seek + Send {}
impl<T: Read + Seek + Send> Source for T {}

/// One box: its type and where it lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxHead {
    /// The four-character type.
    pub kind: [u8; 4],
    /// Offset of the box's first byte.
    pub start: u64,
    /// 8, or 16 with a 64-bit size.
    pub header_len: u64,
    /// Offset just past the box.
    pub end: u64,
}

impl BoxHead {
    /// Where the box's content starts.
    pub fn payload(&self) -> u64 {
        self.start + self.header_len
    }

    /// Bytes of content.
    pub fn payload_len(&self) -> u64 {
        self.end - self.payload()
    }

    /// The type as text, for messages.
    pub fn name(&self) -> String {
        fourcc(self.kind)
    }
}

/// A four-character code as text (`'moov'`), or in hex when it is not printable.
pub fn fourcc(kind: [u8; 4]) -> String {
    if kind.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("'{}'", String::from_utf8_lossy(&kind))
    } else {
        format!("0x{:08x}", u32::from_be_bytes(kind))
    }
}

/// Reads boxes from a source of known length, counting them and watching the deadline.
pub struct Reader<'a> {
    src: &'a mut dyn Source,
    len: u64,
    boxes: usize,
    deadline: &'a Deadline,
}

impl<'a> Reader<'a> {
    /// A reader over `src`, which holds `len` bytes.
    pub fn new(src: &'a mut dyn Source, len: u64, deadline: &'a Deadline) -> Reader<'a> {
        Reader {
            src,
            len,
            boxes: 0,
            deadline,
        }
    }

    /// The file's length.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Stops with [`Fault::TimedOut`] once the deadline has passed.
    pub fn tick(&self) -> Result<(), Fault> {
        if self.deadline.expired() {
            return Err(Fault::TimedOut);
        }
        Ok(())
    }

    /// Exactly `buf.len()` bytes at `offset`; running out of file is [`Fault::Truncated`].
    pub fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), Fault> {
        let end = offset
            .checked_add(buf.len() as u64)
            .ok_or(Fault::Truncated)?;
        if end > self.len {
            return Err(Fault::Truncated);
        }
        self.src
            .seek(SeekFrom::Start(offset))
            .map_err(|e| Fault::Io(e.to_string()))?;
        self.src.read_exact(buf).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => Fault::Truncated,
            _ => Fault::Io(e.to_string()),
        })
    }

    /// The whole content of `b`, which must be at most `max` bytes (`what` names it).
    pub fn payload(&mut self, b: &BoxHead, max: u64, what: &str) -> Result<Vec<u8>, Fault> {
        if b.payload_len() > max {
            return Err(Fault::damaged(format!(
                "its {what} box is {} bytes, more than the {max} such a box may have",
                b.payload_len()
            )));
        }
        let mut buf = vec![0u8; b.payload_len() as usize];
        self.read_at(b.payload(), &mut buf)?;
        Ok(buf)
    }

    /// The header of the box at `at`, which must end by `limit`. `top`: a top-level box, which
    /// may run to the end of the file (size 0) and whose overrun means a truncated file.
    fn head(
        &mut self,
        at: u64,
        limit: u64,
        top: bool,
        parent: &str,
    ) -> Result<Option<BoxHead>, Fault> {
        self.boxes += 1;
        if self.boxes > MAX_BOXES {
            return Err(Fault::damaged(format!(
                "it has more than {MAX_BOXES} boxes"
            )));
        }
        if self.boxes.is_multiple_of(256) {
            self.tick()?;
        }
        let room = limit - at;
        if room < 8 {
            return Err(if top {
                Fault::Truncated
            } else {
                Fault::damaged(format!(
                    "{room} stray byte(s) at the end of {parent}, too few for a box"
                ))
            });
        }
        let mut h = [0u8; 8];
        self.read_at(at, &mut h)?;
        let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        let kind = [h[4], h[5], h[6], h[7]];
        let (size, header_len) = match size32 {
            0 if top => return Ok(None),
            0 => {
                return Err(Fault::damaged(format!(
                    "a {} box inside {parent} has size 0 (only the file's last top-level box may)",
                    fourcc(kind)
                )));
            }
            1 => {
                let mut l = [0u8; 8];
                self.read_at(at + 8, &mut l)?;
                let large = u64::from_be_bytes(l);
                if large < 16 {
                    return Err(Fault::damaged(format!(
                        "a {} box in {parent} has a 64-bit size of {large}, smaller than its header",
                        fourcc(kind)
                    )));
                }
                (large, 16)
            }
            2..=7 => {
                return Err(Fault::damaged(format!(
                    "a {} box in {parent} has size {size32}, smaller than its header",
                    fourcc(kind)
                )));
            }
            s => (u64::from(s), 8),
        };
        let end = at.checked_add(size).ok_or(Fault::Truncated)?;
        if end > limit {
            return Err(if top {
                Fault::Truncated
            } else {
                Fault::damaged(format!(
                    "a {} box runs {} byte(s) past the end of {parent}",
                    fourcc(kind),
                    end - limit
                ))
            });
        }
        Ok(Some(BoxHead {
            kind,
            start: at,
            header_len,
            end,
        }))
    }

    /// The top-level boxes, in order; a box of size 0 runs to the end and ends the list.
    pub fn top_level(&mut self) -> Result<Vec<BoxHead>, Fault> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < self.len {
            match self.head(at, self.len, true, "the file")? {
                Some(b) => {
                    at = b.end;
                    out.push(b);
                }
                None => break,
            }
        }
        Ok(out)
    }

    /// The boxes filling `parent` from `skip` bytes into its content to its end, exactly.
    pub fn children(&mut self, parent: &BoxHead, skip: u64) -> Result<Vec<BoxHead>, Fault> {
        let name = parent.name();
        if skip > parent.payload_len() {
            return Err(Fault::damaged(format!(
                "its {name} box is {} bytes, too short for its own fields",
                parent.payload_len()
            )));
        }
        let mut out = Vec::new();
        let mut at = parent.payload() + skip;
        while at < parent.end {
            let Some(b) = self.head(at, parent.end, false, &name)? else {
                break;
            };
            at = b.end;
            out.push(b);
        }
        Ok(out)
    }

    /// The header of the one box starting `skip` bytes into `parent`'s content (the first
    /// sample entry of an `stsd`, the first child of an `avc1`), which must fit in `parent`.
    pub fn first_child(&mut self, parent: &BoxHead, skip: u64) -> Result<BoxHead, Fault> {
        let name = parent.name();
        if skip > parent.payload_len() {
            return Err(Fault::damaged(format!(
                "its {name} box is {} bytes, too short for its own fields",
                parent.payload_len()
            )));
        }
        self.head(parent.payload() + skip, parent.end, false, &name)?
            .ok_or_else(|| Fault::damaged(format!("{name} has no content")))
    }
}

/// A big-endian u32 at `at` of `b`, if it is there.
pub fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(s))
}

/// A big-endian u64 at `at` of `b`, if it is there.
pub fn be64(b: &[u8], at: usize) -> Option<u64> {
    let s: [u8; 8] = b.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_be_bytes(s))
}
