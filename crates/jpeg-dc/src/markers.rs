//! Marker segments: what the headers declare.

#[derive(Clone, Copy)]
pub(crate) struct Component {
    pub(crate) id: u8,
    pub(crate) h: usize,
    pub(crate) v: usize,
    pub(crate) quant: usize,
}

pub(crate) fn be16(data: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([
        *data.get(at)?,
        *data.get(at + 1)?,
    ])))
}

/// The position of the next marker (0xFF not followed by a stuffing 0x00) at or after `from`.
pub(crate) fn next_marker(jpeg: &[u8], from: usize) -> usize {
    let mut at = from;
    while at < jpeg.len()
        && !(jpeg[at] == 0xFF && jpeg.get(at + 1).is_some_and(|&b| b != 0 && b != 0xFF))
    {
        at += 1;
    }
    at
}
